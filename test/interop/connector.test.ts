/**
 * Interoperability with the published DFC TypeScript connector: it imports what we publish and reads back
 * the same names, prices and stock, without any network access.
 */
import { expect } from 'chai';
import { CONTEXT_1_16_CONNECTOR_URL } from '../../ontology/contexts.js';
import type { NodeId } from '../../ontology/iri.js';
import type { DfcRecord } from '../../ontology/records.js';
import { measureIri } from '../../ontology/units.js';
import { encodeJsonLd } from '../../server/codec/encode.js';

function catalogue(offers: number): DfcRecord[] {
  const base = 'https://node.example/api/dfc/enterprises/ferme';
  const records: DfcRecord[] = [];
  for (let i = 0; i < offers; i++) {
    const product = `${base}/supplied_products/${i}` as NodeId;
    const item = `${base}/catalog_items/${i}` as NodeId;
    const offer = `${base}/offers/${i}` as NodeId;
    const stock = i % 5 === 0 ? null : i;
    records.push(
      { kind: 'SuppliedProduct', id: product, name: `Produit n°${i}`, quantity: { value: 500, unit: measureIri('Gram') },
        images: [], variantOf: [], variants: [], catalogItems: [item] },
      { kind: 'CatalogItem', id: item, product, sku: `SKU-${i}`, stock, offers: [offer], listedIn: [] },
      { kind: 'Offer', id: offer, item, price: { value: 1 + i / 4, currency: measureIri('Euro') }, stock },
    );
  }
  return records;
}

describe('interoperability with @datafoodconsortium/connector', function () {
  this.timeout(60000);
  const realFetch = globalThis.fetch;
  const fetched: string[] = [];

  before(() => {
    globalThis.fetch = ((input: unknown) => {
      fetched.push(String(input));
      return Promise.reject(new Error(`network access during an offline test: ${String(input)}`));
    }) as typeof fetch;
  });
  after(() => {
    globalThis.fetch = realFetch;
  });

  it('imports our catalogue of 100 offers and reads the same names, prices and stock', async () => {
    const records = catalogue(100);
    const { Connector, SuppliedProduct, CatalogItem, Offer } = await import('@datafoodconsortium/connector');
    const text = JSON.stringify(encodeJsonLd(records, { contextUrl: CONTEXT_1_16_CONNECTOR_URL }));
    const imported = await new Connector().import(text);

    const byId = new Map(records.map((r) => [r.id, r]));
    let products = 0;
    let items = 0;
    let offers = 0;
    for (const object of imported) {
      const semanticId = object.getSemanticId();
      const ours = byId.get(semanticId as NodeId);
      if (object instanceof SuppliedProduct) {
        products++;
        expect(ours?.kind === 'SuppliedProduct' && ours.name).to.equal(object.getName());
      } else if (object instanceof CatalogItem) {
        items++;
        expect(ours?.kind === 'CatalogItem' && ours.sku).to.equal(object.getSku());
        const stock = object.getStockLimitation();
        if (ours?.kind === 'CatalogItem' && ours.stock === null) expect(Number.isNaN(stock) || stock === undefined).to.equal(true);
        else expect(stock).to.equal(ours?.kind === 'CatalogItem' ? ours.stock : undefined);
        const offerers = await object.getOfferers();
        expect(offerers.map((o) => o.getSemanticId())).to.deep.equal(ours?.kind === 'CatalogItem' ? ours.offers : []);
      } else if (object instanceof Offer) {
        offers++;
        const price = object.getPrice();
        expect(ours?.kind === 'Offer' && ours.price?.value).to.equal(price?.getQuantityValue());
        expect(price?.getSemanticProperty('dfc-b:hasUnit')).to.equal('dfc-m:Euro');
        const stock = object.getStockLimitation();
        if (ours?.kind === 'Offer' && ours.stock === null) expect(Number.isNaN(stock) || stock === undefined).to.equal(true);
        else expect(stock).to.equal(ours?.kind === 'Offer' ? ours.stock : undefined);
      }
    }
    expect([products, items, offers]).to.deep.equal([100, 100, 100]);
    expect(fetched).to.deep.equal([]);
  });
});
