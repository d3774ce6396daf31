/**
 * The index rows of a source's records (`server/store/federated-entries.ts`): what makes an item in stock.
 */
import { expect } from 'chai';
import type { Iri, NodeId } from '../../../ontology/iri.js';
import type { DfcRecord } from '../../../ontology/records.js';
import { measureIri } from '../../../ontology/units.js';
import { entriesOf, linkedEntries, type SourcedRecord } from '../../../server/store/federated-entries.js';

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

  it('finds an item\'s enterprise by where its catalogue is, page by page as a rebuild does, or says it cannot yet', () => {
    const O = 'https://ofn.example/api/dfc';
    const item = `${O}/enterprises/7/catalog_items/55`;
    const page: DfcRecord[] = [
      { kind: 'SuppliedProduct', id: `${O}/enterprises/7/supplied_products/55` as NodeId, name: 'Miel', images: [], variantOf: [], variants: [], catalogItems: [item as NodeId] },
      { kind: 'CatalogItem', id: item as NodeId, product: `${O}/enterprises/7/supplied_products/55` as NodeId, stock: 3, offers: [], listedIn: [] },
    ];
    const organization: DfcRecord = { kind: 'Enterprise', id: `${O}/organizations/7` as NodeId, name: 'Ferme 7', supplies: [], manages: [], maintains: [], customerCategories: [], affiliates: [] };
    const sourced = (records: readonly DfcRecord[]): SourcedRecord[] => records.map((record) => ({ record, authoritative: true }));
    const held = new Map(sourced([...page, organization]).map((r) => [r.record.id as string, r]));
    expect(entriesOf([...page, organization])[0]?.enterpriseIri).to.equal(`${O}/organizations/7`);
    expect(linkedEntries(sourced(page), (iri) => held.get(iri))?.get(item)?.entry.enterpriseIri).to.equal(`${O}/organizations/7`);
    // Not held yet (a later page may bring it): no entry that a rebuild could tell apart.
    const withoutIt = new Map(sourced(page).map((r) => [r.record.id as string, r]));
    expect(linkedEntries(sourced(page), (iri) => withoutIt.get(iri))).to.equal(undefined);
  });

  it('does not take a supplier on another origin for the seller: the guess is still awaited, as a rebuild would find it', () => {
    const R = 'https://relay.example/api/dfc';
    const item = `${R}/enterprises/7/catalog_items/1`;
    const page: DfcRecord[] = [
      { kind: 'SuppliedProduct', id: `${R}/enterprises/7/supplied_products/1` as NodeId, name: 'Miel', images: [], variantOf: [], variants: [],
        catalogItems: [item as NodeId], suppliedBy: 'https://farm.example/api/dfc/enterprises/1' as NodeId },
      { kind: 'CatalogItem', id: item as NodeId, product: `${R}/enterprises/7/supplied_products/1` as NodeId, stock: 3, offers: [], listedIn: [] },
    ];
    const farm: DfcRecord = { kind: 'Enterprise', id: 'https://farm.example/api/dfc/enterprises/1' as NodeId, name: 'Farm', supplies: [], manages: [], maintains: [], customerCategories: [], affiliates: [] };
    const held = new Map([...page, farm].map((record) => [record.id as string, { record, authoritative: false }]));
    expect(linkedEntries(page.map((record) => ({ record, authoritative: false })), (iri) => held.get(iri))).to.equal(undefined);
  });

  it('gives an item two enterprises claim to the same one as a rebuild does (the last by `@id`), whatever the page\'s order', () => {
    // Open Food Network's layout: the item lies in the catalogue of enterprise 7, whose organization is held too, and
    // both say they manage the item.
    const O = 'https://ofn.example/api/dfc';
    const item = `${O}/enterprises/7/catalog_items/55` as NodeId;
    const product = `${O}/enterprises/7/supplied_products/55` as NodeId;
    const claimer = (path: string): DfcRecord => ({ kind: 'Enterprise', id: `${O}/${path}` as NodeId, name: path, supplies: [], manages: [item],
      maintains: [], customerCategories: [], affiliates: [] });
    const all: DfcRecord[] = [
      { kind: 'SuppliedProduct', id: product, name: 'Miel', images: [], variantOf: [], variants: [], catalogItems: [item] },
      { kind: 'CatalogItem', id: item, product, stock: 3, offers: [], listedIn: [] },
      claimer('enterprises/7'), claimer('organizations/7'),
    ];
    const rebuilt = entriesOf([...all].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)))[0];
    expect(rebuilt?.enterpriseIri).to.equal(`${O}/organizations/7`);
    for (const page of [all, [...all].reverse()]) {
      const sourced = page.map((record) => ({ record, authoritative: true }));
      const byId = new Map(sourced.map((r) => [r.record.id as string, r]));
      expect(linkedEntries(sourced, (iri) => byId.get(iri))?.get(item)?.entry).to.deep.equal(rebuilt);
    }
  });
});
