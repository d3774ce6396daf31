import { expect } from 'chai';
import type { NodeId } from '../../../ontology/iri.js';
import type { CatalogItemRecord, DfcRecord, SuppliedProductRecord } from '../../../ontology/records.js';
import { GENID_PATH, skolemise } from '../../../server/sync/skolem.js';

const PEER = 'https://shop.example';
const id = (s: string): NodeId => s as NodeId;

function product(items: string[]): SuppliedProductRecord {
  return { kind: 'SuppliedProduct', id: id(`${PEER}/sp/1`), name: 'Pommes', images: [], variantOf: [], variants: [], catalogItems: items.map(id) };
}

function item(label: string, stock: number | null, sku?: string): CatalogItemRecord {
  return { kind: 'CatalogItem', id: id(label), product: id(`${PEER}/sp/1`), stock, offers: [], listedIn: [], ...(sku !== undefined ? { sku } : {}) };
}

const ids = (records: readonly DfcRecord[]): string[] => records.map((r) => r.id);

describe('skolemise', () => {
  it('gives back the very page when no resource is a blank node', () => {
    const page: DfcRecord[] = [product([]), item(`${PEER}/ci/1`, 3)];
    expect(skolemise(page, PEER)).to.equal(page);
  });

  it('names a blank node under the peer origin from the link that leads to it, whatever its label and content', () => {
    const once = skolemise([product(['_:b0']), item('_:b0', 3)], PEER);
    const again = skolemise([item('_:zz', 7), product(['_:zz'])], PEER);
    const name = once[1]?.id as string;
    expect(name.startsWith(`${PEER}${GENID_PATH}`)).to.equal(true);
    expect((once[0] as SuppliedProductRecord).catalogItems).to.deep.equal([name]);
    // Another label, another order, another stock: the same resource, the same IRI.
    expect(again[0]?.id).to.equal(name);
  });

  it('tells apart blank nodes reached by the same link, by their content, and names those nothing leads to', () => {
    const page = [product(['_:b1', '_:b2']), item('_:b1', 3, 'A'), item('_:b2', 3, 'B'), item('_:b3', 1, 'C')];
    const named = skolemise(page, PEER);
    expect(new Set(ids(named)).size).to.equal(4);
    expect(ids(named).some((i) => i.startsWith('_:'))).to.equal(false);
    const swapped = skolemise([product(['_:q', '_:p']), item('_:p', 3, 'B'), item('_:q', 3, 'A'), item('_:r', 1, 'C')], PEER);
    expect(new Map(swapped.map((r) => [(r as CatalogItemRecord).sku, r.id]))).to.deep.equal(new Map(named.map((r) => [(r as CatalogItemRecord).sku, r.id])));
  });

  it('keeps the names of two items of one product, and of their offers, when a stock or a price changes', () => {
    const offer = (label: string, of: string, stock: number, price: number): DfcRecord =>
      ({ kind: 'Offer', id: id(label), item: id(of), stock, price: { value: price, currency: 'dfc-m:Euro' } } as unknown as DfcRecord);
    const page = (stockA: number, priceA: number): readonly DfcRecord[] => skolemise([
      product(['_:b1', '_:b2']), { ...item('_:b1', stockA, 'A'), offers: [id('_:o1')] }, { ...item('_:b2', 5, 'B'), offers: [id('_:o2')] },
      offer('_:o1', '_:b1', stockA, priceA), offer('_:o2', '_:b2', 5, 4),
    ], PEER);
    const before = ids(page(3, 2));
    expect(new Set(before).size).to.equal(5);
    expect(ids(page(2, 2))).to.deep.equal(before);
    expect(ids(page(2, 2.5))).to.deep.equal(before);
  });

  it('names chains of blank nodes, and leaves the values of literals alone', () => {
    const offer: DfcRecord = { kind: 'Offer', id: id('_:o'), item: id('_:i'), stock: 2, extra: { 'https://x.example/note': [{ '@value': '_:i' }] } };
    const named = skolemise([product(['_:i']), { ...item('_:i', 2), offers: [id('_:o')] }, offer], PEER);
    const [, namedItem, namedOffer] = named as [DfcRecord, CatalogItemRecord, DfcRecord & { item: string; extra: Record<string, unknown> }];
    expect(namedItem.offers).to.deep.equal([namedOffer.id]);
    expect(namedOffer.item).to.equal(namedItem.id);
    expect(namedOffer.extra['https://x.example/note']).to.deep.equal([{ '@value': '_:i' }]);
  });
});
