/**
 * An offer's own stock through the catalog's writers, on a real SQLite store: an item's stock write never takes an
 * offer's own stock away because the numbers came to be equal (the orders, or the seller's number for the item), and
 * the seller's explicit write of the offer (alone, or in a product's replacement that gives it) still decides it.
 */
import { expect } from 'chai';
import type { NodeId } from '../../../ontology/iri.js';
import type { CatalogItemRecord, DfcRecord, OfferRecord, SuppliedProductRecord } from '../../../ontology/records.js';
import type { WriteBody } from '../../../server/catalog/catalog-service.js';
import type { NewOrderLine } from '../../../server/store/orders.js';
import { measureIri } from '../../../ontology/units.js';
import { startInProcess, type InProcessNode } from '../../helpers/in-process.js';
import { readRows } from '../../helpers/sqlite.js';

const json = (value: unknown): WriteBody => ({ text: JSON.stringify(value), mediaType: 'application/json' });

describe('catalog: an offer\'s own stock and its item\'s writers', function () {
  let node: InProcessNode;
  let ITEM: NodeId;
  let RETAIL: NodeId;
  let WHOLESALE: NodeId;
  let PRODUCT: NodeId;

  beforeEach(async () => {
    node = await startInProcess();
    await node.seed('ferme');
    const id = (path: string): NodeId => `${node.base}/api/dfc/enterprises/ferme/${path}` as NodeId;
    [ITEM, RETAIL, WHOLESALE, PRODUCT] = [id('catalog_items/miel'), id('offers/miel'), id('offers/miel-gros'), id('supplied_products/miel')];
    const offer = (iri: NodeId): OfferRecord => ({ kind: 'Offer', id: iri, item: ITEM, stock: 10, price: { value: 2, currency: measureIri('Euro') } });
    const records: DfcRecord[] = [
      { kind: 'SuppliedProduct', id: PRODUCT, name: 'Miel', images: [], catalogItems: [ITEM], variantOf: [], variants: [] } satisfies SuppliedProductRecord,
      { kind: 'CatalogItem', id: ITEM, product: PRODUCT, stock: 10, offers: [RETAIL, WHOLESALE], listedIn: [] },
      offer(RETAIL), offer(WHOLESALE),
    ];
    await node.store.apply('ferme', { upsert: records });
  });
  afterEach(async () => node.close());

  const line = (iri: NodeId, quantity: number): NewOrderLine => ({ offer: iri, item: ITEM, quantity });
  const place = (lines: NewOrderLine[]) => node.store.orders.create({ eid: 'ferme', collection: `${node.base}/api/dfc/enterprises/ferme/orders`, state: 'Held', lines, expiresAt: null });
  const stock = async (iri: NodeId): Promise<number | null> => ((await node.store.getResource(iri))?.record as OfferRecord | CatalogItemRecord).stock;
  const own = async (iri: NodeId): Promise<number | undefined> =>
    (await readRows<{ own: number }>(node.db, 'SELECT own FROM offer_stock WHERE offer_iri = ?', [iri]))[0]?.own;
  const slug = (iri: string): string => iri.split('/').pop() as string;

  it('keeps an offer\'s own stock when its item is restocked after the orders brought the item down to its number', async () => {
    await node.catalog.updateOffer('ferme', slug(RETAIL), json({ 'dfc-b:stockLimitation': 3 }));
    expect(await own(RETAIL)).to.equal(1);
    expect((await place([line(WHOLESALE, 7)])).ok).to.equal(true);
    expect([await stock(ITEM), await stock(WHOLESALE), await stock(RETAIL)]).to.deep.equal([3, 3, 3]);
    // The item restocked: the offer that mirrors it follows; the one with a stock of its own keeps its 3.
    await node.catalog.updateCatalogItem('ferme', slug(ITEM), json({ 'dfc-b:stockLimitation': 20 }));
    expect([await stock(ITEM), await stock(WHOLESALE), await stock(RETAIL)]).to.deep.equal([20, 20, 3]);
    expect(await own(RETAIL)).to.equal(1);
    const refused = await place([line(RETAIL, 10)]);
    expect(refused).to.deep.include({ ok: false, short: [{ index: 0, item: ITEM, offer: RETAIL, requested: 10, available: 3 }] });
    expect((await place([line(RETAIL, 3)])).ok).to.equal(true);
    expect([await stock(ITEM), await stock(WHOLESALE), await stock(RETAIL)]).to.deep.equal([17, 17, 0]);
  });

  it('keeps an offer\'s own stock when the item\'s stock is written as the number the offer has left', async () => {
    await node.catalog.updateOffer('ferme', slug(RETAIL), json({ 'dfc-b:stockLimitation': 5 }));
    expect((await place([line(RETAIL, 2)])).ok).to.equal(true);
    expect([await stock(ITEM), await stock(WHOLESALE), await stock(RETAIL)]).to.deep.equal([8, 8, 3]);
    // The seller writes the item's stock: 3, as the offer has left. The offer's own stock stays its own.
    await node.catalog.updateCatalogItem('ferme', slug(ITEM), json({ 'dfc-b:stockLimitation': 3 }));
    expect(await own(RETAIL)).to.equal(1);
    await node.catalog.updateCatalogItem('ferme', slug(ITEM), json({ 'dfc-b:stockLimitation': 30 }));
    expect([await stock(ITEM), await stock(WHOLESALE), await stock(RETAIL)]).to.deep.equal([30, 30, 3]);
    const refused = await place([line(RETAIL, 4)]);
    expect(refused).to.deep.include({ ok: false, short: [{ index: 0, item: ITEM, offer: RETAIL, requested: 4, available: 3 }] });
  });

  it('makes an offer a mirror again by a write of it with its item\'s stock, alone or given with its item', async () => {
    await node.catalog.updateOffer('ferme', slug(RETAIL), json({ 'dfc-b:stockLimitation': 3 }));
    // Alone, with its item's stock: a mirror, which then follows the item.
    await node.catalog.updateOffer('ferme', slug(RETAIL), json({ 'dfc-b:stockLimitation': 10 }));
    expect(await own(RETAIL)).to.equal(undefined);
    await node.catalog.updateCatalogItem('ferme', slug(ITEM), json({ 'dfc-b:stockLimitation': 12 }));
    expect([await stock(ITEM), await stock(WHOLESALE), await stock(RETAIL)]).to.deep.equal([12, 12, 12]);
    // Given its own stock again, then a product's replacement that gives it with the item's new stock: the seller's.
    await node.catalog.updateOffer('ferme', slug(RETAIL), json({ 'dfc-b:stockLimitation': 4 }));
    expect(await own(RETAIL)).to.equal(1);
    const stored = await node.store.getResources([PRODUCT, ITEM, RETAIL]);
    const [product, item, retail] = [PRODUCT, ITEM, RETAIL].map((iri) => stored.find((r) => r.record.id === iri)?.record as DfcRecord);
    // The offer first in the body: the store writes it after its item, and compares it with the item's new stock.
    await node.catalog.replaceProduct('ferme', slug(PRODUCT), [product as DfcRecord, { ...retail, stock: 25 } as DfcRecord, { ...item, stock: 25 } as DfcRecord]);
    expect(await own(RETAIL)).to.equal(undefined);
    expect([await stock(ITEM), await stock(WHOLESALE), await stock(RETAIL)]).to.deep.equal([25, 25, 25]);
    // And one that gives it another number than the item's: its own.
    const again = await node.store.getResources([PRODUCT, ITEM, RETAIL]);
    const [p2, i2, r2] = [PRODUCT, ITEM, RETAIL].map((iri) => again.find((r) => r.record.id === iri)?.record as DfcRecord);
    await node.catalog.replaceProduct('ferme', slug(PRODUCT), [p2 as DfcRecord, { ...r2, stock: 6 } as DfcRecord, { ...i2, stock: 30 } as DfcRecord]);
    expect(await own(RETAIL)).to.equal(1);
    expect([await stock(ITEM), await stock(WHOLESALE), await stock(RETAIL)]).to.deep.equal([30, 30, 6]);
  });
});
