/**
 * `CatalogService` through its public methods, on a real SQLite store: reads, enterprise creation and update,
 * product creation, replacement and deletion, stock and offer updates (Open Food Network's plain JSON and
 * JSON-LD), imports, and the HTTP error each refusal raises (a refused write changes nothing).
 */
import { expect } from 'chai';
import type { CatalogItemRecord, DfcRecord, OfferRecord, SuppliedProductRecord } from '../../../ontology/records.js';
import { OWL } from '../../../ontology/vocabulary.js';
import { CatalogService, type WriteBody } from '../../../server/catalog/catalog-service.js';
import {
  BadRequestHttpError, ConflictHttpError, HttpError, NotFoundHttpError, PreconditionFailedHttpError, UnprocessableEntityHttpError,
} from '../../../server/errors/http-error.js';
import { farmRecords, startInProcess, type InProcessNode } from '../../helpers/in-process.js';
import { CONTEXT, enterpriseBody, nestedProduct } from '../../helpers/write-api.js';

type ErrorClass = new (...args: never[]) => HttpError;

async function rejects(promise: Promise<unknown>, type: ErrorClass, message?: RegExp): Promise<HttpError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error: unknown) {
    caught = error;
  }
  expect(caught, `expected ${type.name}`).to.be.instanceOf(type);
  if (message !== undefined) expect((caught as Error).message).to.match(message);
  return caught as HttpError;
}

const json = (value: unknown): WriteBody => ({ text: JSON.stringify(value), mediaType: 'application/json' });
const jsonld = (value: unknown): WriteBody => ({ text: JSON.stringify(value), mediaType: 'application/ld+json' });

describe('catalog: CatalogService', function () {
  let node: InProcessNode;
  let api: string;

  before(async () => {
    node = await startInProcess();
    api = `${node.base}/api/dfc/enterprises/ferme`;
    await node.seed('ferme');
    await node.seed('voisin');
  });
  after(async () => node.close());

  const item = async (id: string): Promise<CatalogItemRecord> => (await node.catalog.resource('ferme', 'catalog_items', id)).record as CatalogItemRecord;
  const offer = async (id: string): Promise<OfferRecord> => (await node.catalog.resource('ferme', 'offers', id)).record as OfferRecord;
  const decode = async (body: unknown, base = `${api}/supplied_products`): Promise<DfcRecord[]> => (await node.catalog.decode(jsonld(body), base)).records;

  describe('reads', () => {
    it('an enterprise row, its version, and 404 for an unknown one', async () => {
      const row = await node.catalog.enterpriseRow('ferme');
      expect(row).to.include({ eid: 'ferme', iri: api, private: false, name: 'Ferme ferme' });
      expect(await node.catalog.version('ferme')).to.equal(row.version);
      await rejects(node.catalog.enterpriseRow('nobody'), NotFoundHttpError, /nobody/u);
      await rejects(node.catalog.version('nobody'), NotFoundHttpError);
      await rejects(node.catalog.enterpriseGraph('nobody'), NotFoundHttpError);
      expect((await node.catalog.listEnterprises()).map((r) => r.eid).sort()).to.deep.equal(['ferme', 'voisin']);
    });

    it('the catalogue: each product with its items and offers, ordered by id', async () => {
      const catalogue = await node.catalog.catalogue('ferme');
      expect(catalogue.entries.map((e) => e.product.id)).to.deep.equal(['carottes', 'chevre', 'tomate'].map((p) => `${api}/supplied_products/${p}`));
      const tomate = catalogue.entries.find((e) => e.product.id.endsWith('/tomate'));
      expect(tomate?.items.map((i) => i.stock)).to.deep.equal([12]);
      expect(tomate?.offers.map((o) => o.price?.value)).to.deep.equal([4.5]);
      expect(catalogue.groups.size).to.equal(0);
      const published = await node.catalog.publishedRecords('ferme');
      expect(published.filter((r) => r.kind === 'Enterprise')).to.have.length(1);
      expect(published).to.have.length(3 + 9);
    });

    it('a resource of another enterprise is not found under this one', async () => {
      await rejects(node.catalog.resource('voisin', 'offers', 'nothing'), NotFoundHttpError, /no offer "nothing" in enterprise voisin/u);
      // Each collection names one of its resources in good English ("categorie" was seen).
      await rejects(node.catalog.resource('voisin', 'customer_categories', 'x'), NotFoundHttpError, /^no customer category "x" in enterprise voisin$/u);
      await rejects(node.catalog.resource('voisin', 'catalog_items', 'x'), NotFoundHttpError, /^no catalog item "x"/u);
      await rejects(node.catalog.resource('nobody', 'offers', 'tomate'), NotFoundHttpError, /no enterprise/u);
      const address = await node.catalog.profileResource('Address', 'ferme');
      expect(address.row.eid).to.equal('ferme');
      await rejects(node.catalog.profileResource('Person', 'nobody'), NotFoundHttpError);
      expect(await node.catalog.otherResources('ferme')).to.deep.equal([]);
    });
  });

  describe('decode', () => {
    it('a malformed body is 400 and an invalid one 422, both with the codec problems', async () => {
      const malformed = await rejects(node.catalog.decode({ text: '{"a":', mediaType: 'application/ld+json' }, api), BadRequestHttpError);
      expect(malformed.problems).to.be.an('array').that.is.not.empty;
      await rejects(node.catalog.decode({ text: '<a> <b> .', mediaType: 'text/turtle' }, api), BadRequestHttpError);
      const invalid = await rejects(node.catalog.decode(jsonld(nestedProduct({ name: 'X', price: 'cher' })), api), UnprocessableEntityHttpError);
      expect(invalid.problems?.some((p) => p.severity === 'error')).to.equal(true);
    });
  });

  describe('enterprises', () => {
    it('creates one from a DFC Enterprise document, its id from the name; refuses 0 or 2, a bad id, a duplicate', async () => {
      const records = await decode(enterpriseBody({ name: 'Moulin de la Vienne' }), `${node.base}/api/dfc/enterprises`);
      const row = await node.catalog.createEnterprise(records);
      expect(row.eid).to.equal('moulin-de-la-vienne');
      const graph = await node.catalog.enterpriseGraph('moulin-de-la-vienne');
      expect(graph.records.map((r) => r.id).sort()).to.deep.equal([
        `${node.base}/api/dfc/addresses/moulin-de-la-vienne`, `${node.base}/api/dfc/enterprises/moulin-de-la-vienne`, `${node.base}/api/dfc/persons/moulin-de-la-vienne`,
      ]);
      await rejects(node.catalog.createEnterprise(records), ConflictHttpError, /already exists/u);
      await rejects(node.catalog.createEnterprise(records.filter((r) => r.kind !== 'Enterprise')), UnprocessableEntityHttpError, /found 0/u);
      const two = [...records, ...farmRecords('autre').filter((r) => r.kind === 'Enterprise')];
      await rejects(node.catalog.createEnterprise(two), UnprocessableEntityHttpError, /found 2/u);
      await rejects(node.catalog.createEnterprise(records, { eid: 'pas bon!' }), UnprocessableEntityHttpError, /invalid enterprise id/u);
    });

    it('updates the profile; refuses another enterprise of ours in the body, and a stale version', async () => {
      const version = await node.catalog.version('voisin');
      const records = await decode(enterpriseBody({ name: 'Voisin renommé' }), `${node.base}/api/dfc/enterprises/voisin`);
      const row = await node.catalog.updateEnterprise('voisin', records, version);
      expect(row.name).to.equal('Voisin renommé');
      expect(row.version).to.be.greaterThan(version);
      await rejects(node.catalog.updateEnterprise('voisin', records, version), PreconditionFailedHttpError);
      const other = await decode(enterpriseBody({ id: api, name: 'Usurpateur' }), `${node.base}/api/dfc/enterprises/voisin`);
      await rejects(node.catalog.updateEnterprise('voisin', other), ConflictHttpError, /describes/u);
      await rejects(node.catalog.updateEnterprise('voisin', []), UnprocessableEntityHttpError);
      await rejects(node.catalog.updateEnterprise('nobody', records), NotFoundHttpError);
    });

    it('a profile write conditioned on the row read for If-Match: a stock write meanwhile does not refuse it, a profile write does', async () => {
      const row = await node.catalog.enterpriseRow('voisin');
      const [item] = (await node.catalog.catalogue('voisin')).entries.flatMap((e) => e.items);
      const slug = (item as CatalogItemRecord).id.split('/').at(-1) as string;
      await node.catalog.updateCatalogItem('voisin', slug, json({ 'dfc-b:stockLimitation': 77 }));
      const records = await decode(enterpriseBody({ name: 'Voisin encore' }), `${node.base}/api/dfc/enterprises/voisin`);
      await node.catalog.replaceProfile('voisin', records, row);
      expect((await node.catalog.enterpriseRow('voisin')).name).to.equal('Voisin encore');
      await rejects(node.catalog.replaceProfile('voisin', records, row), PreconditionFailedHttpError);
    });
  });

  describe('products', () => {
    it('creates a product with its item and offer under the enterprise, and calls onChange after a committed write only', async () => {
      let called = 0;
      const service = new CatalogService({ store: node.store, decoder: node.decoder, onChange: () => { called++; } });
      const written = await service.createProducts('ferme', await decode(nestedProduct({ name: 'Céleri rave', sku: 'CEL-1', stock: 3, price: 2.4 })));
      const product = written.find((r): r is SuppliedProductRecord => r.kind === 'SuppliedProduct');
      expect(product?.id).to.equal(`${api}/supplied_products/celeri-rave`);
      expect(product?.suppliedBy).to.equal(api);
      expect(written.find((r) => r.kind === 'CatalogItem')?.id).to.equal(`${api}/catalog_items/celeri-rave`);
      expect(written.find((r) => r.kind === 'Offer')?.id).to.equal(`${api}/offers/celeri-rave`);
      expect(called).to.equal(1);
      await rejects(service.createProducts('ferme', written), ConflictHttpError);
      expect(called).to.equal(1);
      const again = await node.catalog.createProducts('ferme', await decode(nestedProduct({ name: 'Céleri rave' })));
      expect(again.find((r) => r.kind === 'SuppliedProduct')?.id).to.equal(`${api}/supplied_products/celeri-rave-2`);
    });

    it('refuses a body without a product (422), an id of ours that exists (409), an unknown enterprise (404)', async () => {
      const version = await node.catalog.version('ferme');
      const itemOnly = (await decode(nestedProduct({ name: 'X' }))).filter((r) => r.kind !== 'SuppliedProduct');
      await rejects(node.catalog.createProducts('ferme', itemOnly), UnprocessableEntityHttpError, /SuppliedProduct/u);
      const existing = await decode(nestedProduct({ name: 'Tomates', ids: { product: `${api}/supplied_products/tomate` } }));
      await rejects(node.catalog.createProducts('ferme', existing), ConflictHttpError, /use PUT/u);
      await rejects(node.catalog.createProducts('nobody', existing), NotFoundHttpError);
      expect(await node.catalog.version('ferme')).to.equal(version);
    });

    it('replaces a product, keeping its items; refuses a body about another product, or none, or a stale version', async () => {
      const iri = `${api}/supplied_products/carottes`;
      const body = { '@context': CONTEXT, '@id': iri, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Carottes nouvelles', 'dfc-b:description': 'En botte.' };
      const written = await node.catalog.replaceProduct('ferme', 'carottes', await decode(body, iri));
      const product = written.find((r): r is SuppliedProductRecord => r.id === iri);
      expect(product?.name).to.equal('Carottes nouvelles');
      expect(product?.catalogItems).to.deep.equal([`${api}/catalog_items/carottes`]);
      expect((await item('carottes')).product).to.equal(iri);
      const blank = { ...body, '@id': '_:p', 'dfc-b:name': 'Carottes (blank)' };
      expect((await node.catalog.replaceProduct('ferme', 'carottes', await decode(blank, iri))).some((r) => r.id === iri)).to.equal(true);
      const other = { ...body, '@id': `${api}/supplied_products/tomate` };
      await rejects(node.catalog.replaceProduct('ferme', 'carottes', await decode(other, iri)), ConflictHttpError, /describes/u);
      await rejects(node.catalog.replaceProduct('ferme', 'carottes', []), UnprocessableEntityHttpError, /expected the dfc-b:SuppliedProduct/u);
      await rejects(node.catalog.replaceProduct('ferme', 'nothing', await decode(body, iri)), NotFoundHttpError);
      await rejects(node.catalog.replaceProduct('ferme', 'carottes', await decode(body, iri), 1), PreconditionFailedHttpError);
    });

    it('deletes a product with its item and offer; a second delete is 404', async () => {
      const written = await node.catalog.createProducts('ferme', await decode(nestedProduct({ name: 'Éphémère' })));
      const id = (written.find((r) => r.kind === 'SuppliedProduct')?.id ?? '').split('/').pop() ?? '';
      await node.catalog.deleteProduct('ferme', id);
      for (const collection of ['supplied_products', 'catalog_items', 'offers'] as const) {
        await rejects(node.catalog.resource('ferme', collection, id), NotFoundHttpError);
      }
      await rejects(node.catalog.deleteProduct('ferme', id), NotFoundHttpError);
    });
  });

  describe('stock and offers', () => {
    it('takes Open Food Network’s plain JSON for an item: stock and sku, an absent key unchanged, the mirrored offer too', async () => {
      const updated = await node.catalog.updateCatalogItem('ferme', 'tomate', json({ 'dfc-b:stockLimitation': 20 }));
      expect(updated.stock).to.equal(20);
      expect(updated.sku).to.equal('TOM-1');
      expect((await offer('tomate')).stock).to.equal(20);
      await node.catalog.updateCatalogItem('ferme', 'tomate', json({ stockLimitation: '8', sku: 'TOM-2' }));
      expect(await item('tomate')).to.include({ stock: 8, sku: 'TOM-2' });
      await node.catalog.updateCatalogItem('ferme', 'tomate', json({ 'dfc-b:sku': null, 'dfc-b:stockLimitation': -5 }));
      const onDemand = await item('tomate');
      expect(onDemand.stock).to.equal(null);
      expect(onDemand).to.not.have.property('sku');
      await node.catalog.updateCatalogItem('ferme', 'tomate', json({ 'dfc-b:stockLimitation': null }));
      expect((await item('tomate')).stock).to.equal(null);
    });

    it('refuses bad plain JSON: 400 malformed or not an object, 422 unknown field or bad value; nothing changes', async () => {
      const version = await node.catalog.version('ferme');
      await rejects(node.catalog.updateCatalogItem('ferme', 'chevre', { text: '{', mediaType: 'application/json' }), BadRequestHttpError, /malformed JSON/u);
      await rejects(node.catalog.updateCatalogItem('ferme', 'chevre', json([1])), BadRequestHttpError, /object/u);
      await rejects(node.catalog.updateCatalogItem('ferme', 'chevre', json({ 'dfc-b:price': 1 })), UnprocessableEntityHttpError, /unknown field/u);
      await rejects(node.catalog.updateCatalogItem('ferme', 'chevre', json({ 'dfc-b:hasPrice': 1 })), UnprocessableEntityHttpError, /unknown field/u);
      const stock = await rejects(node.catalog.updateCatalogItem('ferme', 'chevre', json({ 'dfc-b:stockLimitation': 'lots' })), UnprocessableEntityHttpError);
      expect(stock.problems?.[0]?.path).to.equal('dfc-b:stockLimitation');
      const sku = await rejects(node.catalog.updateCatalogItem('ferme', 'chevre', json({ 'dfc-b:sku': 12 })), UnprocessableEntityHttpError);
      expect(sku.problems?.[0]?.message).to.include('sku');
      await rejects(node.catalog.updateCatalogItem('ferme', 'nothing', json({ 'dfc-b:stockLimitation': 1 })), NotFoundHttpError);
      await rejects(node.catalog.updateCatalogItem('ferme', 'chevre', json({ 'dfc-b:stockLimitation': 1 }), version - 1), PreconditionFailedHttpError);
      expect(await node.catalog.version('ferme')).to.equal(version);
    });

    it('takes a JSON-LD CatalogItem, and refuses one that is not about this item', async () => {
      const iri = `${api}/catalog_items/chevre`;
      const body = { '@context': CONTEXT, '@id': iri, '@type': 'dfc-b:CatalogItem', 'dfc-b:stockLimitation': 6, 'dfc-b:sku': 'CHE-2' };
      const updated = await node.catalog.updateCatalogItem('ferme', 'chevre', jsonld(body));
      expect(updated).to.include({ stock: 6, sku: 'CHE-2' });
      const noSku = { '@context': CONTEXT, '@id': iri, '@type': 'dfc-b:CatalogItem', 'dfc-b:stockLimitation': 6 };
      expect(await node.catalog.updateCatalogItem('ferme', 'chevre', jsonld(noSku))).to.not.have.property('sku');
      const other = { ...body, '@id': `${api}/catalog_items/tomate` };
      await rejects(node.catalog.updateCatalogItem('ferme', 'chevre', jsonld(other)), UnprocessableEntityHttpError, /expected the dfc-b:CatalogItem/u);
    });

    it('updates an offer from a bare price, a Price object (unit and VAT), and its stock', async () => {
      expect((await node.catalog.updateOffer('ferme', 'chevre', json({ 'dfc-b:hasPrice': 3.6 }))).price).to.deep.equal({
        value: 3.6, currency: 'https://github.com/datafoodconsortium/taxonomies/releases/latest/download/measures.rdf#Euro',
      });
      const withVat = await node.catalog.updateOffer('ferme', 'chevre', json({ price: { 'dfc-b:value': '4', 'dfc-b:hasUnit': 'dfc-m:Euro', 'dfc-b:VATrate': 5.5 } }));
      expect(withVat.price).to.deep.include({ value: 4, vatRate: 5.5 });
      const keepsVat = await node.catalog.updateOffer('ferme', 'chevre', json({ hasPrice: { value: 4.2 }, stockLimitation: 2 }));
      expect(keepsVat.price).to.deep.include({ value: 4.2, vatRate: 5.5 });
      expect(keepsVat.stock).to.equal(2);
      expect((await node.catalog.updateOffer('ferme', 'chevre', json({ 'dfc-b:stockLimitation': -1 }))).stock).to.equal(null);
    });

    it('refuses a price that is not a number, a negative price, an unknown field; 404 for an unknown offer', async () => {
      const version = await node.catalog.version('ferme');
      const text = await rejects(node.catalog.updateOffer('ferme', 'chevre', json({ 'dfc-b:hasPrice': 'cher' })), UnprocessableEntityHttpError);
      expect(text.problems?.[0]?.path).to.equal('dfc-b:hasPrice');
      await rejects(node.catalog.updateOffer('ferme', 'chevre', json({ 'dfc-b:hasPrice': { currency: 'EUR' } })), UnprocessableEntityHttpError);
      const negative = await rejects(node.catalog.updateOffer('ferme', 'chevre', json({ 'dfc-b:hasPrice': -2 })), UnprocessableEntityHttpError);
      expect(negative.problems).to.be.an('array').that.is.not.empty;
      await rejects(node.catalog.updateOffer('ferme', 'chevre', json({ 'dfc-b:sku': 'x' })), UnprocessableEntityHttpError, /unknown field/u);
      await rejects(node.catalog.updateOffer('ferme', 'nothing', json({ 'dfc-b:hasPrice': 1 })), NotFoundHttpError);
      expect(await node.catalog.version('ferme')).to.equal(version);
    });

    it('takes a JSON-LD Offer', async () => {
      const iri = `${api}/offers/carottes`;
      const body = {
        '@context': CONTEXT, '@id': iri, '@type': 'dfc-b:Offer', 'dfc-b:stockLimitation': 9,
        'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 2.1, 'dfc-b:hasUnit': 'dfc-m:Euro' },
      };
      const updated = await node.catalog.updateOffer('ferme', 'carottes', jsonld(body));
      expect(updated.stock).to.equal(9);
      expect(updated.price?.value).to.equal(2.1);
      await rejects(node.catalog.updateOffer('ferme', 'carottes', jsonld({ ...body, '@id': `${api}/offers/tomate` })), UnprocessableEntityHttpError, /expected the dfc-b:Offer/u);
    });
  });

  describe('imports', () => {
    it('reports an unchanged catalogue imported again as unchanged, whatever the order of its fields', async () => {
      const records = farmRecords('again', { origin: 'https://again.example', products: [{ id: 'poireaux', name: 'Poireaux', type: 'leek', stock: 5, price: 2.1 }] });
      await node.catalog.importRecords('voisin', records);
      const stored = (await node.store.listResources('voisin', ['SuppliedProduct', 'CatalogItem', 'Offer'])).map((r) => r.record);
      // The same records, their fields in reverse order (as a document read back builds them).
      const reordered = stored.map((r) => Object.fromEntries(Object.entries(r).reverse()) as unknown as DfcRecord);
      const { changes } = await node.catalog.importCatalogue('voisin', reordered, { dryRun: true });
      for (const kind of ['products', 'items', 'offers'] as const) expect(changes[kind], kind).to.include({ updated: 0, added: 0 });
      expect(changes.products.unchanged).to.be.greaterThan(0);
    });

    it('moves ids under the enterprise, keeps the original as owl:sameAs, counts, and skips what is not a catalogue', async () => {
      const records: DfcRecord[] = [
        ...farmRecords('import', { origin: 'https://shop.example', products: [{ id: 'oignons', name: 'Oignons', type: 'onion', stock: 4, price: 1.2 }] }),
        { kind: 'Order', id: 'https://shop.example/orders/1' as SuppliedProductRecord['id'], lines: [] },
      ];
      const counts = await node.catalog.importRecords('voisin', records);
      expect(counts).to.deep.equal({ products: 1, items: 1, offers: 1, others: 0, plans: 0, skipped: ['Order'], listed: 0 });
      const { record } = await node.catalog.resource('voisin', 'supplied_products', 'oignons');
      expect(record.extra?.[OWL.sameAs]).to.deep.equal([{ '@id': 'https://shop.example/api/dfc/enterprises/import/supplied_products/oignons' }]);
      expect((await node.catalog.enterpriseRow('voisin')).name).to.equal('Ferme import');
      const again = await node.catalog.importRecords('voisin', records);
      expect(again.products).to.equal(1);
      expect((await node.catalog.catalogue('voisin')).entries.filter((e) => e.product.name === 'Oignons')).to.have.length(1);
      await rejects(node.catalog.importRecords('nobody', records), NotFoundHttpError);
    });

    it('creates the enterprise in the import\'s own transaction: an import whose catalogue fails leaves no enterprise', async () => {
      const origin = 'https://shop.example';
      const good = { id: 'navets', name: 'Navets', stock: 3, price: 1.5 };
      const records = farmRecords('nouvelle', { origin, products: [good, { id: 'raves', name: 'Raves', stock: 2, price: -1 }] });
      await rejects(node.catalog.importRecords('nouvelle', records, { create: true }), UnprocessableEntityHttpError);
      await rejects(node.catalog.enterpriseRow('nouvelle'), NotFoundHttpError);
      expect((await node.catalog.listEnterprises()).map((r) => r.eid)).not.to.include('nouvelle');

      const counts = await node.catalog.importRecords('nouvelle', farmRecords('nouvelle', { origin, products: [good] }), { create: true });
      expect(counts).to.include({ products: 1, items: 1, offers: 1 });
      expect(await node.catalog.enterpriseRow('nouvelle')).to.include({ name: 'Ferme nouvelle', private: false });
      expect((await node.catalog.enterpriseGraph('nouvelle')).records.map((r) => r.kind)).to.deep.equal(['Enterprise', 'Address', 'Person']);
      expect((await node.catalog.catalogue('nouvelle')).entries.map((e) => e.product.name)).to.deep.equal(['Navets']);
      // Into an enterprise that exists now: no second create (no 409), the catalogue is replaced in place.
      expect(await node.catalog.importRecords('nouvelle', farmRecords('nouvelle', { origin, products: [good] }), { create: true })).to.include({ products: 1 });
    });

    it('creates an enterprise named after its id when the document has no Enterprise', async () => {
      const records = farmRecords('x', { origin: 'https://shop.example', products: [{ id: 'cerises', name: 'Cerises', stock: 1, price: 4 }] })
        .filter((r) => !['Enterprise', 'Address', 'Person'].includes(r.kind));
      await node.catalog.importRecords('sans-profil', records, { create: true });
      expect(await node.catalog.enterpriseRow('sans-profil')).to.include({ name: 'sans-profil' });
      expect((await node.catalog.catalogue('sans-profil')).entries).to.have.length(1);
      await rejects(node.catalog.importRecords('Not Valid!', records, { create: true }), UnprocessableEntityHttpError, /invalid enterprise id/u);
    });
  });
});
