/**
 * The index rows of a source's records (`server/store/federated-entries.ts`): what makes an item in stock.
 */
import { expect } from 'chai';
import type { Iri, NodeId } from '../../../ontology/iri.js';
import type { DfcRecord } from '../../../ontology/records.js';
import { measureIri } from '../../../ontology/units.js';
import { entriesOf } from '../../../server/store/federated-entries.js';

const P = 'https://peer.example/api/dfc/enterprises/ferme';
const id = (path: string): NodeId => `${P}/${path}` as NodeId;

function records(stock: number | null, offer: boolean): DfcRecord[] {
  return [
    { kind: 'SuppliedProduct', id: id('supplied_products/1'), name: 'Tomates', images: [], variantOf: [], variants: [], catalogItems: [id('catalog_items/1')] },
    { kind: 'CatalogItem', id: id('catalog_items/1'), product: id('supplied_products/1'), stock, offers: offer ? [id('offers/1')] : [], listedIn: [] },
    ...(offer ? [{ kind: 'Offer', id: id('offers/1'), item: id('catalog_items/1'), stock: null, price: { value: 2, currency: measureIri('Euro') as Iri } } as DfcRecord] : []),
  ];
}

describe('store/federated-entries', () => {
  it('says in stock an item with an offer to order it through, and stock above zero or on demand', () => {
    const inStock = (stock: number | null, offer: boolean): boolean | undefined => entriesOf(records(stock, offer))[0]?.inStock;
    expect(inStock(5, true)).to.equal(true);
    expect(inStock(null, true)).to.equal(true);
    expect(inStock(0, true)).to.equal(false);
    // No offer (none given, or its offer quarantined): nothing to order it through, whatever its stock says.
    expect(inStock(5, false)).to.equal(false);
    expect(inStock(null, false)).to.equal(false);
  });
});
