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
        // On demand: -1, as Open Food Network imports it (and the connector reads it back).
        expect(stock).to.equal(ours?.kind === 'CatalogItem' ? ours.stock ?? -1 : undefined);
        const offerers = await object.getOfferers();
        expect(offerers.map((o) => o.getSemanticId())).to.deep.equal(ours?.kind === 'CatalogItem' ? ours.offers : []);
      } else if (object instanceof Offer) {
        offers++;
        const price = object.getPrice();
        expect(ours?.kind === 'Offer' && ours.price?.value).to.equal(price?.getQuantityValue());
        expect(price?.getSemanticProperty('dfc-b:hasUnit')).to.equal('dfc-m:Euro');
        const stock = object.getStockLimitation();
        expect(stock).to.equal(ours?.kind === 'Offer' ? ours.stock ?? -1 : undefined);
      }
    }
    expect([products, items, offers]).to.deep.equal([100, 100, 100]);
    expect(fetched).to.deep.equal([]);
  });

  it('reads every property we write under the ontology term and its reader spelling (README "Spelling exceptions")', async () => {
    const base = 'https://node.example/api/dfc/enterprises/ferme';
    const at = (path: string): NodeId => `${base}${path}` as NodeId;
    const records: DfcRecord[] = [
      { kind: 'Enterprise', id: at(''), name: 'Ferme', description: 'Maraîchage bio', address: at('/address'),
        supplies: [at('/supplied_products/1')], manages: [at('/catalog_items/1')], maintains: [], customerCategories: [at('/customer_categories/public')], affiliates: [] },
      { kind: 'Address', id: at('/address'), street: '3 chemin des Chênes', postcode: '87000', city: 'Limoges' },
      { kind: 'CustomerCategory', id: at('/customer_categories/public'), name: 'Public', definedBy: at('') },
      { kind: 'SuppliedProduct', id: at('/supplied_products/1'), name: 'Tomates', totalTheoreticalStock: 40,
        images: ['https://node.example/tomates.jpg'], variantOf: [], variants: [], catalogItems: [at('/catalog_items/1')], suppliedBy: at('') },
      { kind: 'CatalogItem', id: at('/catalog_items/1'), product: at('/supplied_products/1'), stock: 12, offers: [at('/offers/1')], listedIn: [], managedBy: at('') },
      { kind: 'Offer', id: at('/offers/1'), item: at('/catalog_items/1'), price: { value: 4.95, currency: measureIri('Euro') }, stock: 0,
        customerCategory: at('/customer_categories/public') },
      { kind: 'SaleSession', id: at('/sale_sessions/1'), beginDate: '2026-11-23T08:00:00Z', endDate: '2026-11-27T18:00:00Z', offers: [at('/offers/1')] },
    ];
    const document = encodeJsonLd(records, { contextUrl: CONTEXT_1_16_CONNECTOR_URL });
    // Both names are on the wire: the ontology's, and the one the connector reads.
    const offerNode = document['@graph'].find((n) => n['@id'] === at('/offers/1'));
    expect(offerNode).to.include.keys('dfc-b:offers', 'dfc-b:offeredItem', 'dfc-b:offersTo', 'dfc-b:offeredTo');
    const { Connector, Enterprise, Address, SuppliedProduct, Offer, SaleSession } = await import('@datafoodconsortium/connector');
    const connector = new Connector();
    const imported = await connector.import(JSON.stringify(document));
    const find = <T>(type: abstract new (...args: never[]) => T): T => {
      const found = imported.find((o) => o instanceof type);
      expect(found, type.name).to.not.equal(undefined);
      return found as T;
    };
    expect(find(Enterprise).getDescription()).to.equal('Maraîchage bio');
    const address = find(Address);
    expect([address.getStreet(), address.getPostalCode(), address.getCity()]).to.deep.equal(['3 chemin des Chênes', '87000', 'Limoges']);
    const product = find(SuppliedProduct);
    expect(product.getTotalTheoreticalStock()).to.equal(40);
    expect(product.getImages()).to.deep.equal(['https://node.example/tomates.jpg']);
    const offer = find(Offer);
    expect((await offer.getOfferedItem())?.getSemanticId()).to.equal(at('/catalog_items/1'));
    expect((await offer.getCustomerCategory())?.getSemanticId()).to.equal(at('/customer_categories/public'));
    expect(offer.getPrice()?.getQuantityValue()).to.equal(4.95);
    expect(offer.getStockLimitation()).to.equal(0);
    expect(find(SaleSession).getBeginDate()).to.equal('2026-11-23T08:00:00Z');
    expect(fetched).to.deep.equal([]);
  });
});
