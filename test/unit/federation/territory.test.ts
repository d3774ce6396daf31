/**
 * `FederationService`'s territory answers (547890b), on a node with its own farm (Limoges, 87000) and a peer's
 * orchard (Brive, 19100, whose address also says "Limoges"): the statistics rolled up the taxonomy with
 * `broader` and `inStock`, `near=` as a town, the towns, the producers from the index, and the gaps of a
 * territory.
 */
import { expect } from 'chai';
import { BadRequestHttpError } from '../../../server/errors/http-error.js';
import { haversineKm, type CatalogueQuery, type Gaps } from '../../../server/federation/federation-service.js';
import { startFederated, type FederatedFixture } from '../../helpers/in-process.js';

const LIMOGES = '45.83,1.26';

async function refused(run: () => Promise<unknown>): Promise<BadRequestHttpError> {
  try {
    await run();
  } catch (error: unknown) {
    expect(error).to.be.instanceOf(BadRequestHttpError);
    return error as BadRequestHttpError;
  }
  throw new Error('expected a 400');
}

describe('federation: the territory (statistics, towns, producers, gaps)', function () {
  let fixture: FederatedFixture;

  before(async () => {
    fixture = await startFederated();
  });
  after(async () => fixture.close());

  const service = () => fixture.node.federation;
  const names = async (query: CatalogueQuery): Promise<string[]> =>
    (await service().rows(await service().query(query))).map((r) => r.name ?? '').sort();

  describe('stats', () => {
    it('rolls the product types up the taxonomy, each with its broader type and its offers in stock', async () => {
      const stats = await service().stats();
      const type = (name: string) => stats.byProductType.find((t) => t.type === name);
      expect(type('dfc-pt:vegetable')).to.include({ broader: null, depth: 0, offers: 3, inStock: 3 });
      expect(type('dfc-pt:tomato')).to.include({ broader: 'dfc-pt:vegetable', depth: 1, offers: 2, inStock: 2 });
      expect(type('dfc-pt:cherry-tomato')).to.include({ broader: 'dfc-pt:tomato', depth: 2 });
      expect(type('dfc-pt:goat-fresh-cheese')).to.include({ broader: 'dfc-pt:goat-dairy-product', offers: 1, inStock: 0 });
      expect(type('dfc-pt:honey')).to.include({ broader: 'dfc-pt:sweet-groceries', inStock: 0 });
      // Each broader type names a type of the list (a tree), and counts at least what its narrower types count.
      for (const t of stats.byProductType) {
        if (t.broader === null) continue;
        const parent = type(t.broader);
        expect(parent, t.type).to.not.equal(undefined);
        expect(parent?.offers, t.type).to.be.at.least(t.offers);
        expect(parent?.inStock, t.type).to.be.at.least(t.inStock);
        expect(parent?.depth, t.type).to.equal(t.depth - 1);
      }
      const stocked = (await names({ inStock: 'true' })).length;
      expect(stats.totals).to.deep.equal({ producers: 2, products: 6, offers: 6, inStock: stocked });
      expect(stats.inStock).to.equal(stocked);
      const tops = stats.byProductType.filter((t) => t.depth === 0);
      expect(tops.reduce((s, t) => s + t.offers, 0)).to.equal(stats.totals.offers);
      expect(tops.reduce((s, t) => s + t.inStock, 0)).to.equal(stocked);
      expect(stats.byPostcodeArea).to.deep.equal([
        { area: '19', producers: 1, products: 3, offers: 3, inStock: 2 }, { area: '87', producers: 1, products: 3, offers: 3, inStock: 2 },
      ]);
      expect(stats.bySource.map((s) => [s.source, s.inStock])).to.deep.equal([['local', 2], [`peer:${fixture.peer.id}`, 2]]);
    });

    it('summarises what the filters match: out of stock, a source, a circle, a text', async () => {
      const out = await service().stats({ inStock: 'false' });
      expect(out.totals).to.deep.equal({ producers: 2, products: 2, offers: 2, inStock: 0 });
      expect(out.byProductType.map((t) => t.type).sort()).to.deep.equal([
        'dfc-pt:dairy-product', 'dfc-pt:goat-dairy-product', 'dfc-pt:goat-fresh-cheese', 'dfc-pt:honey', 'dfc-pt:local-grocery-store', 'dfc-pt:sweet-groceries',
      ]);
      expect((await service().stats({ near: LIMOGES, radiusKm: '10' })).totals).to.deep.equal({ producers: 1, products: 3, offers: 3, inStock: 2 });
      expect((await service().stats({ peer: String(fixture.peer.id), inStock: 'true' })).totals).to.deep.equal({ producers: 1, products: 2, offers: 2, inStock: 2 });
      expect((await service().stats({ q: 'tomates' })).totals).to.include({ products: 2, inStock: 2 });
    });
  });

  describe('near= as a town', () => {
    it('lists the towns with their labels; a name of two postcodes, one of them this node\'s own town, is that one', async () => {
      const places = await service().places();
      expect(places).to.deep.equal([
        { city: 'Limoges', postcode: '19100', lat: 45.16, lon: 1.53, producers: 1, label: 'Limoges (19100)' },
        { city: 'Limoges', postcode: '87000', lat: 45.83, lon: 1.26, producers: 1, label: 'Limoges (87000)' },
      ]);
      // The peer's "Limoges (19100)" does not make this node's Limoges ambiguous (two peers' towns would be: see
      // peer-places.test.ts).
      expect(await names({ near: 'limoges', radiusKm: '10' })).to.deep.equal(await names({ near: LIMOGES, radiusKm: '10' }));
      expect((await refused(() => service().query({ near: 'Limogne' }))).message).to.include('is no known town');
    });

    it('filters around a town by postcode or label as around its coordinates', async () => {
      const around = await names({ near: LIMOGES, radiusKm: '10' });
      expect(around).to.have.length(3);
      expect(await names({ near: '87000', radiusKm: '10' })).to.deep.equal(around);
      expect(await names({ near: 'Limoges (87000)', radiusKm: '10' })).to.deep.equal(around);
      expect(await names({ near: 'Limoges (19100)', radiusKm: '10' })).to.deep.equal(['=Miel "toutes fleurs", printemps', 'Pommes Reinette', 'Tomates cerises']);
      expect(await service().count({ near: '19100', radiusKm: '100' })).to.equal(6);
      // The default radius (25 km) around a town.
      expect(await service().count({ near: '87000' })).to.equal(3);
    });
  });

  it('lists the producers of a query, with the total beyond the limit', async () => {
    const all = await service().producers({}, 10);
    expect(all.total).to.equal(2);
    expect(all.producers.map((p) => [p.source, p.sourceName, p.offers, p.inStock])).to.deep.equal([
      ['local', 'this node', 3, 2], [`peer:${fixture.peer.id}`, 'verger', 3, 2],
    ]);
    const one = await service().producers({}, 1);
    expect(one.total).to.equal(2);
    expect(one.producers).to.have.length(1);
    expect((await service().producers({ near: '19100', radiusKm: '5' }, 10)).producers.map((p) => p.source)).to.deep.equal([`peer:${fixture.peer.id}`]);
  });

  it('answers the summaries afresh after our own write (no cached answer outlives a commit)', async () => {
    const chevre = (stock: number) => fixture.node.catalog.updateCatalogItem('ferme', 'chevre', {
      text: JSON.stringify({ 'dfc-b:stockLimitation': stock }), mediaType: 'application/json',
    });
    const before = await service().stats();
    const gapsBefore = await service().gaps({ near: LIMOGES, radiusKm: '10', inStock: 'true' });
    const producersBefore = (await service().producers({ inStock: 'true' }, 10)).producers.map((p) => p.inStock);
    expect(gapsBefore.gaps.some((g) => g.type === 'dfc-pt:goat-fresh-cheese')).to.equal(true);
    await chevre(4);
    try {
      const after = await service().stats();
      expect(after.totals.inStock).to.equal(before.totals.inStock + 1);
      expect(after.byProductType.find((t) => t.type === 'dfc-pt:goat-fresh-cheese')?.inStock).to.equal(1);
      const gapsAfter = await service().gaps({ near: LIMOGES, radiusKm: '10', inStock: 'true' });
      expect(gapsAfter.gaps.some((g) => g.type === 'dfc-pt:goat-fresh-cheese')).to.equal(false);
      expect((await service().producers({ inStock: 'true' }, 10)).producers.map((p) => p.inStock)).to.deep.equal([(producersBefore[0] as number) + 1, producersBefore[1]]);
      expect(await service().count({ inStock: 'false' })).to.equal(1);
    } finally {
      await chevre(0);
    }
    expect((await service().stats()).totals.inStock).to.equal(before.totals.inStock);
  });

  describe('gaps', () => {
    const gapOf = (gaps: Gaps, type: string) => gaps.gaps.find((g) => g.type === type);

    it('lists the types offered only far away with the nearest distance, and those nobody offers with null', async () => {
      const gaps = await service().gaps({ near: LIMOGES, radiusKm: '10' });
      expect(gaps.near).to.deep.equal({ lat: 45.83, lon: 1.26 });
      expect(gaps.radiusKm).to.equal(10);
      const brive = Math.round(haversineKm(45.83, 1.26, 45.16, 1.53) * 10) / 10;
      expect(gapOf(gaps, 'dfc-pt:honey')).to.deep.equal({
        type: 'dfc-pt:honey', labels: { en: 'honey', fr: 'miel' }, depth: 2, broader: 'dfc-pt:sweet-groceries', nearestKm: brive, producersElsewhere: 1,
      });
      expect(gapOf(gaps, 'dfc-pt:cherry-tomato')).to.include({ nearestKm: brive, producersElsewhere: 1 });
      expect(gapOf(gaps, 'dfc-pt:fruit')).to.include({ nearestKm: brive, depth: 0 });
      expect(gapOf(gaps, 'dfc-pt:bakery')).to.include({ nearestKm: null, producersElsewhere: 0 });
      // Offered here (a broader type by a narrower one: heirloom tomatoes are tomatoes and vegetables): no gap.
      for (const type of ['dfc-pt:hierloom-tomato', 'dfc-pt:tomato', 'dfc-pt:vegetable', 'dfc-pt:carrot', 'dfc-pt:goat-fresh-cheese', 'dfc-pt:dairy-product']) {
        expect(gapOf(gaps, type), type).to.equal(undefined);
      }
      expect(gaps.typesLookedAt).to.be.above(gaps.gaps.length);
      // Depth first, then the nearest.
      const keys = gaps.gaps.map((g) => [g.depth, g.nearestKm ?? Infinity]);
      expect(keys).to.deep.equal([...keys].sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number)));
    });

    it('takes the radius, a town and the other filters into account', async () => {
      const wide = await service().gaps({ near: LIMOGES, radiusKm: '100' });
      for (const type of ['dfc-pt:honey', 'dfc-pt:fruit', 'dfc-pt:cherry-tomato']) expect(gapOf(wide, type), type).to.equal(undefined);
      expect(gapOf(wide, 'dfc-pt:bakery')).to.include({ nearestKm: null });
      // Around Brive, by its town: what Limoges has is 77 km away.
      const brive = await service().gaps({ near: 'Limoges (19100)', radiusKm: '10' });
      expect(brive.near).to.deep.equal({ lat: 45.16, lon: 1.53 });
      expect(gapOf(brive, 'dfc-pt:carrot')).to.include({ producersElsewhere: 1 });
      expect(gapOf(brive, 'dfc-pt:tomato')).to.equal(undefined);
      // Only what is in stock: the goat cheese (out of stock) is offered by nobody.
      const stocked = await service().gaps({ near: LIMOGES, radiusKm: '10', inStock: 'true' });
      expect(gapOf(stocked, 'dfc-pt:goat-fresh-cheese')).to.include({ nearestKm: null, producersElsewhere: 0 });
      expect(gapOf(stocked, 'dfc-pt:carrot')).to.equal(undefined);
      // The default radius.
      expect((await service().gaps({ near: LIMOGES })).radiusKm).to.equal(25);
      // Empty filters, as a form sends them, are absent, as on every other route.
      const ten = await service().gaps({ near: LIMOGES, radiusKm: '10' });
      expect(await service().gaps({ near: LIMOGES, radiusKm: '10', type: '', q: ' ', peer: '', enterprise: '' })).to.deep.equal(ten);
    });

    it('refuses a query without near, with type or q, or with a bad near or radius', async () => {
      const cases: [CatalogueQuery, RegExp][] = [
        [{}, /near/u], [{ near: '' }, /near/u], [{ radiusKm: '10' }, /near/u],
        [{ near: LIMOGES, type: 'tomato' }, /not type or q/u], [{ near: LIMOGES, q: 'tomates' }, /not type or q/u],
        [{ near: '95,1' }, /near/u], [{ near: 'Atlantis' }, /no known town/u], [{ near: LIMOGES, radiusKm: '0' }, /radius_km/u],
        [{ near: LIMOGES, radiusKm: 'far' }, /radius_km/u], [{ near: LIMOGES, inStock: 'maybe' }, /in_stock/u],
      ];
      for (const [query, message] of cases) {
        const error = await refused(() => service().gaps(query));
        expect(error.status, JSON.stringify(query)).to.equal(400);
        expect(error.message, JSON.stringify(query)).to.match(message);
      }
    });
  });
});
