/**
 * `FederationService` through its public methods, on a node with its own enterprise (Limoges) and a peer
 * (Brive) synced from a tiny static server on 127.0.0.1: queries by type (narrower types included), text,
 * radius, stock, enterprise and source; the records behind rows; statistics; CSV.
 */
import { expect } from 'chai';
import { Taxonomy } from '../../../ontology/taxonomy.js';
import { DFC_PT_NS } from '../../../ontology/vocabulary.js';
import { BadRequestHttpError } from '../../../server/errors/http-error.js';
import { CSV_COLUMNS, haversineKm, toCsv, type CatalogueQuery } from '../../../server/federation/federation-service.js';
import type { FederatedRow } from '../../../server/store/federation.js';
import { parseCsv } from '../../helpers/csv.js';
import { startFederated, type FederatedFixture } from '../../helpers/in-process.js';

describe('federation: FederationService', function () {
  let fixture: FederatedFixture;

  before(async () => {
    fixture = await startFederated();
    await fixture.node.seed('secret', { private: true });
  });
  after(async () => fixture.close());

  const rows = async (query: CatalogueQuery): Promise<FederatedRow[]> => {
    const service = fixture.node.federation;
    return service.rows(await service.query(query));
  };
  const names = async (query: CatalogueQuery): Promise<string[]> => (await rows(query)).map((r) => r.name ?? '').sort();

  it('holds our public offers and the peer’s, not a private enterprise’s', async () => {
    const all = await rows({});
    expect(all).to.have.length(6);
    expect(all.filter((r) => r.peerId === null)).to.have.length(3);
    expect(all.filter((r) => r.peerId === fixture.peer.id)).to.have.length(3);
    expect(all.some((r) => r.enterpriseIri?.includes('/secret') === true)).to.equal(false);
  });

  it('filters by product type with every narrower type, by local name, prefixed name or IRI', async () => {
    expect(await names({ type: 'tomato' })).to.deep.equal(['Tomates anciennes', 'Tomates cerises']);
    expect(await names({ type: 'vegetable' })).to.deep.equal(['Carottes des sables', 'Tomates anciennes', 'Tomates cerises']);
    expect(await names({ type: 'dfc-pt:carrot' })).to.deep.equal(['Carottes des sables']);
    expect(await names({ type: `${DFC_PT_NS}fruit` })).to.deep.equal(['Pommes Reinette']);
    // An unknown type is a 400 with the reason, not an empty list.
    let refused: unknown;
    await rows({ type: 'spaceship' }).catch((e: unknown) => { refused = e; });
    expect(refused).to.be.instanceOf(BadRequestHttpError);
    expect(await rows({ type: '' })).to.have.length(6);
  });

  it('filters by words in the name or description, all of them', async () => {
    expect(await names({ q: 'cerises' })).to.deep.equal(['Tomates cerises']);
    expect(await names({ q: 'pommes limousin' })).to.deep.equal(['Pommes Reinette']);
    expect(await names({ q: 'tomates chèvre' })).to.deep.equal([]);
  });

  it('filters by distance from a point (25 km by default)', async () => {
    const limoges = '45.83,1.26';
    expect(await rows({ near: limoges, radiusKm: '10' })).to.have.length(3);
    expect((await rows({ near: limoges })).every((r) => r.peerId === null)).to.equal(true);
    expect(await rows({ near: limoges, radiusKm: '100' })).to.have.length(6);
    expect((await rows({ near: '45.16,1.53', radiusKm: '5' })).every((r) => r.peerId === fixture.peer.id)).to.equal(true);
    expect(haversineKm(45.83, 1.26, 45.16, 1.53)).to.be.within(70, 80);
  });

  it('filters by stock: on demand counts as in stock', async () => {
    expect(await names({ inStock: 'true' })).to.deep.equal(['Carottes des sables', 'Pommes Reinette', 'Tomates anciennes', 'Tomates cerises']);
    expect(await names({ inStock: 'false' })).to.deep.equal(['=Miel "toutes fleurs", printemps', 'Crottin de chèvre']);
  });

  it('filters by enterprise and by source', async () => {
    const ferme = `${fixture.node.base}/api/dfc/enterprises/ferme`;
    expect((await rows({ enterprise: ferme })).every((r) => r.enterpriseIri === ferme)).to.equal(true);
    expect(await rows({ enterprise: ferme })).to.have.length(3);
    expect((await rows({ peer: 'local' })).map((r) => r.peerId)).to.deep.equal([null, null, null]);
    expect((await rows({ peer: String(fixture.peer.id) })).every((r) => r.peerId === fixture.peer.id)).to.equal(true);
    expect(await names({ type: 'tomato', peer: 'local' })).to.deep.equal(['Tomates anciennes']);
  });

  it('refuses parameters that do not parse with a 400', async () => {
    const bad: [CatalogueQuery, RegExp][] = [
      [{ near: 'here' }, /near/u], [{ near: '95,1' }, /near/u], [{ near: '45,200' }, /near/u], [{ near: '45' }, /near/u],
      [{ near: '45,1', radiusKm: '0' }, /radius_km/u], [{ near: '45,1', radiusKm: 'far' }, /radius_km/u], [{ near: '45,1', radiusKm: '30000' }, /radius_km/u],
      [{ radiusKm: '5' }, /needs near/u], [{ inStock: 'yes' }, /in_stock/u], [{ peer: 'abc' }, /peer/u],
      // An unknown peer is named, not answered with nothing; numbers are plain decimals.
      [{ peer: '999' }, /peer=999 is no peer/u], [{ near: '45,1', radiusKm: '0x10' }, /radius_km/u], [{ near: '45,1', radiusKm: '1e1' }, /radius_km/u],
      [{ near: '45,1', radiusKm: ' 10' }, /radius_km/u], [{ near: '45,1', radiusKm: 'Infinity' }, /radius_km/u],
    ];
    for (const [query, message] of bad) {
      let caught: unknown;
      try {
        await fixture.node.federation.query(query);
      } catch (error: unknown) {
        caught = error;
      }
      expect(caught, JSON.stringify(query)).to.be.instanceOf(BadRequestHttpError);
      expect((caught as BadRequestHttpError).status).to.equal(400);
      expect((caught as Error).message).to.match(message);
    }
  });

  it('sees our own writes at the next query', async () => {
    await fixture.node.catalog.updateCatalogItem('ferme', 'chevre', { text: JSON.stringify({ 'dfc-b:stockLimitation': 4 }), mediaType: 'application/json' });
    expect(await names({ inStock: 'false' })).to.deep.equal(['=Miel "toutes fleurs", printemps']);
    await fixture.node.catalog.updateCatalogItem('ferme', 'chevre', { text: JSON.stringify({ 'dfc-b:stockLimitation': 0 }), mediaType: 'application/json' });
    expect(await names({ inStock: 'false' })).to.have.length(2);
  });

  it('gives the records behind rows, grouped by source, with their original ids, enterprises and addresses', async () => {
    const groups = await fixture.node.federation.records(await rows({ q: 'cerises' }));
    expect(groups).to.have.length(1);
    const kinds = groups[0]?.records.map((r) => r.kind).sort();
    expect(kinds).to.deep.equal(['Address', 'CatalogItem', 'Enterprise', 'Offer', 'SuppliedProduct']);
    expect(groups[0]?.records.every((r) => r.id.startsWith(fixture.peerServer.url))).to.equal(true);
    const both = await fixture.node.federation.recordsBySource(await rows({ type: 'tomato' }));
    expect(both.map((g) => g.source).sort()).to.deep.equal(['local:ferme', `peer:${fixture.peer.id}`]);
    for (const group of both) expect(group.records.some((r) => r.kind === 'Address'), group.source).to.equal(true);
  });

  it('summarises the supply by product type (rolled up), by source and by postcode area', async () => {
    const stats = await fixture.node.federation.stats();
    const stocked = (await rows({ inStock: 'true' })).length;
    expect(stocked).to.be.above(0).and.below(6);
    expect(stats.totals).to.deep.equal({ producers: 2, products: 6, offers: 6, inStock: stocked });
    expect(stats.inStock).to.equal(stocked);
    const type = (name: string) => stats.byProductType.find((t) => t.type === name);
    expect(type('dfc-pt:vegetable')).to.include({ products: 3, offers: 3, producers: 2, depth: 0 });
    expect(type('dfc-pt:tomato')).to.include({ products: 2, depth: 1 });
    expect(type('dfc-pt:cherry-tomato')).to.include({ products: 1, depth: 2, label: 'cherry tomato' });
    expect(stats.bySource.map(({ inStock: _, ...counts }) => counts)).to.deep.equal([
      { source: 'local', name: 'this node', producers: 1, products: 3, offers: 3 },
      { source: `peer:${fixture.peer.id}`, name: 'verger', producers: 1, products: 3, offers: 3 },
    ]);
    expect(stats.bySource.reduce((sum, s) => sum + s.inStock, 0)).to.equal(stocked);
    expect(stats.byPostcodeArea.map((a) => [a.area, a.products])).to.deep.equal([['19', 3], ['87', 3]]);
  });

  const EN = { separator: ',', decimalComma: false, language: 'en', taxonomy: Taxonomy.builtin() } as const;

  it('writes CSV: one line per row, RFC 4180 quoting, formulas neutralised, the peer’s name as source, people\'s columns', async () => {
    const all = await rows({});
    const csv = toCsv(all, new Map([[fixture.peer.id, 'verger']]), EN);
    expect(csv.startsWith('\uFEFFproduct,')).to.equal(true);
    expect(csv.endsWith('\r\n')).to.equal(true);
    const table = parseCsv(csv);
    expect(table[0]).to.deep.equal([...CSV_COLUMNS]);
    const column = (name: string): number => CSV_COLUMNS.indexOf(name as (typeof CSV_COLUMNS)[number]);
    expect(table).to.have.length(7);
    const honey = table.find((line) => line[1] === 'dfc-pt:honey') ?? [];
    expect(honey[0]).to.equal('\'=Miel "toutes fleurs", printemps');
    expect(['price', 'currency', 'currency_code', 'stock', 'in_stock', 'product_type_label'].map((c) => honey[column(c)]))
      .to.deep.equal(['9', 'dfc-m:Euro', 'EUR', '0', 'false', 'honey']);
    expect(honey[column('source')]).to.equal('verger');
    expect(honey[column('enterprise_name')]).to.be.a('string').and.not.equal('');
    const carrots = table.find((line) => line[0] === 'Carottes des sables') ?? [];
    expect(carrots[column('stock')]).to.equal('');
    expect(carrots[column('in_stock')]).to.equal('true');
    expect(carrots[column('source')]).to.equal('local');
    const unnamed = parseCsv(toCsv(all, new Map(), EN));
    expect(unnamed.find((line) => line[1] === 'dfc-pt:honey')?.[column('source')]).to.equal(`peer:${fixture.peer.id}`);
  });

  it('writes CSV for a French spreadsheet: ";" between fields, decimal commas, French labels, fields with ";" quoted', async () => {
    const all = await rows({});
    const text = toCsv(all, new Map(), { separator: ';', decimalComma: true, language: 'fr', taxonomy: Taxonomy.builtin() });
    const table = parseCsv(text, ';');
    expect(table[0]).to.deep.equal([...CSV_COLUMNS]);
    const column = (name: string): number => CSV_COLUMNS.indexOf(name as (typeof CSV_COLUMNS)[number]);
    const honey = table.find((line) => line[1] === 'dfc-pt:honey') ?? [];
    expect(honey[column('product_type_label')]).to.equal('miel');
    for (const line of table.slice(1)) {
      expect(line).to.have.length(CSV_COLUMNS.length);
      const latitude = line[column('latitude')] ?? '';
      if (latitude !== '') expect(latitude).to.match(/^-?\d+(,\d+)?$/u);
    }
    expect(table.slice(1).some((line) => (line[column('latitude')] ?? '').includes(','))).to.equal(true);
  });
});
