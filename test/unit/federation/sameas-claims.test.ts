/**
 * An `owl:sameAs` is a claim until verified: an enterprise of this node that writes a product "the same as" a
 * peer's, at any price (with `owl:sameAs` in the body, or with the peer's `@id`, which the node renames and
 * keeps as `owl:sameAs`), adds its own offer to the federated catalogue and removes none; the operator's
 * import of the peer's document is a confirmation, and makes the two one product.
 */
import { expect } from 'chai';
import type { CatalogItemRecord, DfcRecord, OfferRecord } from '../../../ontology/records.js';
import { OWL } from '../../../ontology/vocabulary.js';
import { run } from '../../../server/cli/main.js';
import { UsageError } from '../../../server/cli/node-commands.js';
import { bearer, farmRecords, ORCHARD_PRODUCTS, startFederated, type FederatedFixture } from '../../helpers/in-process.js';
import { flatProduct, JSONLD } from '../../helpers/write-api.js';

describe('federation: an owl:sameAs to a peer\'s product is a claim until verified', function () {
  let fixture: FederatedFixture;
  /** The peer's apples: product, catalog item and offer. */
  let pommes: { product: string; item: string; offer: string };

  before(async () => {
    fixture = await startFederated();
    const e = `${fixture.peerServer.url}/api/dfc/enterprises/verger`;
    pommes = { product: `${e}/supplied_products/pommes`, item: `${e}/catalog_items/pommes`, offer: `${e}/offers/pommes` };
  });
  after(async () => fixture.close());

  /** Every record of the federated catalogue, through HTTP. */
  async function catalogue(): Promise<DfcRecord[]> {
    const response = await fixture.node.request('GET', '/api/federation/catalog?page_size=1000', { headers: { accept: 'application/ld+json' } });
    expect(response.status, response.text).to.equal(200);
    const decoded = await fixture.node.decoder.decode(response.text, { mediaType: 'application/ld+json' });
    expect(decoded.rejected).to.deep.equal([]);
    return decoded.records;
  }

  /** The offers listed, as [enterprise, price]. */
  async function offers(): Promise<[string | undefined, number | undefined][]> {
    const records = await catalogue();
    const items = records.filter((r): r is CatalogItemRecord => r.kind === 'CatalogItem');
    return records.filter((r): r is OfferRecord => r.kind === 'Offer')
      .map((o) => [items.find((i) => i.id === o.item)?.managedBy, o.price?.value] as [string | undefined, number | undefined]);
  }

  /** A new enterprise of this node with no products, and a WriteProducts token of it. */
  async function enterprise(eid: string): Promise<{ token: string; iri: string }> {
    await fixture.node.seed(eid, { records: farmRecords(eid, { products: [] }) });
    return { token: await fixture.node.token(eid, ['WriteProducts']), iri: `${fixture.node.base}/api/dfc/enterprises/${eid}` };
  }

  const peerEnterprise = (): string => `${fixture.peerServer.url}/api/dfc/enterprises/verger`;

  it('an enterprise token\'s product declaring owl:sameAs the peer\'s, at 0.01 €, does not remove the peer\'s offer', async () => {
    const before = await offers();
    expect(before).to.deep.include([peerEnterprise(), 2.8]);
    const copie = await enterprise('copie');
    const body = flatProduct({ name: 'Pommes Reinette', price: 0.01 });
    const graph = body['@graph'] as Record<string, unknown>[];
    graph[0] = { ...graph[0], [OWL.sameAs]: { '@id': pommes.product } };
    const response = await fixture.node.request('POST', '/api/dfc/enterprises/copie/supplied_products', {
      headers: { ...bearer(copie.token), ...JSONLD }, body: JSON.stringify(body),
    });
    expect(response.status, response.text).to.equal(201);
    const after = await offers();
    expect(after).to.deep.include([peerEnterprise(), 2.8]);
    expect(after).to.deep.include([copie.iri, 0.01]);
    expect(after).to.have.length(before.length + 1);
    const records = await catalogue();
    expect(records.some((r) => r.id === pommes.offer)).to.equal(true);
    expect(records.some((r) => r.id === pommes.product)).to.equal(true);
  });

  it('a product written with the peer\'s @id (renamed, kept as owl:sameAs) does not remove the peer\'s offer either', async () => {
    const before = await offers();
    const homonyme = await enterprise('homonyme');
    const response = await fixture.node.request('POST', '/api/dfc/enterprises/homonyme/supplied_products', {
      headers: { ...bearer(homonyme.token), ...JSONLD },
      body: JSON.stringify(flatProduct({ name: 'Pommes Reinette', price: 0.01, ids: pommes })),
    });
    expect(response.status, response.text).to.equal(201);
    // Renamed under the node, the peer's @id kept as owl:sameAs: still a claim.
    const written = await fixture.node.store.listResources('homonyme', ['SuppliedProduct']);
    expect(written).to.have.length(1);
    expect(written[0]?.record.id.startsWith(fixture.node.base)).to.equal(true);
    expect(JSON.stringify(written[0]?.record)).to.include(pommes.product);
    const after = await offers();
    expect(after).to.deep.include([peerEnterprise(), 2.8]);
    expect(after).to.deep.include([homonyme.iri, 0.01]);
    expect(after).to.have.length(before.length + 1);
  });

  it('the operator\'s import of the peer\'s product is a confirmation: one product, this node\'s offer', async () => {
    const before = await offers();
    // The peer's document, as the operator would import it (maillon import FILE --enterprise relais).
    const peerRecords = farmRecords('verger', {
      origin: fixture.peerServer.url, products: ORCHARD_PRODUCTS.filter((p) => p.id === 'pommes').map((p) => ({ ...p, price: 2.5 })),
    }).filter((r) => !['Enterprise', 'Address', 'Person'].includes(r.kind));
    await fixture.node.seed('relais', { records: [...farmRecords('relais', { products: [] }), ...peerRecords] });
    const after = await offers();
    const relais = `${fixture.node.base}/api/dfc/enterprises/relais`;
    expect(after).to.deep.include([relais, 2.5]);
    expect(after).to.not.deep.include([peerEnterprise(), 2.8]);
    expect(after).to.have.length(before.length);
    // Both sources still hold it (provenance), under one key.
    const rows = await fixture.node.federation.rows(await fixture.node.federation.query({ enterprise: relais }));
    expect((await fixture.node.store.index.rowsOfKeys(rows.map((r) => r.productKey))).map((r) => r.source))
      .to.deep.equal(['local:relais', `peer:${fixture.peer.id}`]);
  });

  it('the operator confirms a claim with maillon identity confirm: then one product, this node\'s offer', async () => {
    const before = await offers();
    const vitrine = await enterprise('vitrine');
    const response = await fixture.node.request('POST', '/api/dfc/enterprises/vitrine/supplied_products', {
      headers: { ...bearer(vitrine.token), ...JSONLD }, body: JSON.stringify(flatProduct({ name: 'Tomates', price: 0.5 })),
    });
    expect(response.status, response.text).to.equal(201);
    const tomates = `${fixture.peerServer.url}/api/dfc/enterprises/verger/supplied_products/tomate-cerise`;
    const [ours] = await fixture.node.store.listResources('vitrine', ['SuppliedProduct']);
    expect(ours).to.not.equal(undefined);
    const claimed = await offers();
    expect(claimed).to.have.length(before.length + 1);
    expect(claimed).to.deep.include([peerEnterprise(), 3.5]);
    let out = '';
    const io = { out: (t: string) => void (out += t), err: () => undefined };
    const args = ['--db', fixture.node.db, '--data-dir', fixture.node.dir];
    expect(await run(['identity', 'confirm', ours?.record.id ?? '', tomates, ...args], io)).to.equal(0);
    expect(out).to.include('owl:sameAs');
    const confirmed = await offers();
    expect(confirmed).to.have.length(before.length);
    expect(confirmed).to.deep.include([vitrine.iri, 0.5]);
    expect(confirmed).to.not.deep.include([peerEnterprise(), 3.5]);
    for (const bad of [['confirm', 'not an iri', tomates], ['confirm', tomates], ['deny', tomates, tomates], ['confirm', tomates, tomates]]) {
      let error: unknown;
      try {
        await run(['identity', ...bad, ...args], io);
      } catch (e: unknown) {
        error = e;
      }
      expect(error, bad.join(' ')).to.be.instanceOf(UsageError);
    }
  });
});
