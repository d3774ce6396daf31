import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueToken, SCOPES } from '../../../server/auth/tokens.js';
import { loadConfig } from '../../../server/config.js';
import { createLogger } from '../../../server/logging.js';
import { startNode, type RunningNode } from '../../../server/main.js';
import { CatalogService } from '../../../server/catalog/catalog-service.js';
import { Decoder } from '../../../server/codec/decode.js';
import { RecordValidator } from '../../../server/codec/validate.js';
import type { NodeStore } from '../../../server/store/store.js';
import { bearer, startInProcess, type InProcessNode } from '../../helpers/in-process.js';

const CONTEXT = 'https://www.datafoodconsortium.org';

describe('Conditional writes from the per-resource version', () => {
  let dir: string;
  let node: RunningNode;
  let admin: Record<string, string>;
  let item: string;
  let offer: string;
  let product: string;

  const request = async (method: string, url: string, headers: Record<string, string> = {}, body?: string) => {
    const response = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
    return { status: response.status, etag: response.headers.get('etag') ?? '', text: await response.text() };
  };
  const putJson = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    request('PUT', url, { ...admin, 'content-type': 'application/json', ...headers }, JSON.stringify(body));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-versions-'));
    const config = loadConfig({ port: '0', host: '127.0.0.1', 'data-dir': dir, 'base-url': 'http://node.test' }, { MAILLON_LOG_LEVEL: 'silent' });
    node = await startNode(config, createLogger('silent'));
    admin = { authorization: `Bearer ${(await issueToken(node.store, { eid: null, scopes: SCOPES, label: 'admin' })).token}` };
    const created = await request('POST', `${node.url}/api/dfc/enterprises`, { ...admin, 'content-type': 'application/ld+json' },
      JSON.stringify({ '@context': CONTEXT, '@id': '_:e', '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Ferme' }));
    expect(created.status, created.text).to.equal(201);
    const products = await request('POST', `${node.url}/api/dfc/enterprises/ferme/supplied_products`, { ...admin, 'content-type': 'application/ld+json' },
      JSON.stringify({
        '@context': CONTEXT, '@id': '_:p', '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Tomate',
        'dfc-b:referencedBy': { '@id': '_:i', '@type': 'dfc-b:CatalogItem', 'dfc-b:stockLimitation': 5,
          // On demand, said so (an offer saying nothing takes its item's stock, and follows it).
          'dfc-b:offeredThrough': { '@id': '_:o', '@type': 'dfc-b:Offer', 'dfc-b:hasPrice': 2, 'dfc-b:stockLimitation': -1 } },
      }));
    expect(products.status, products.text).to.equal(201);
    const base = `${node.url}/api/dfc/enterprises/ferme`;
    product = `${base}/supplied_products/Tomate`;
    item = `${base}/catalog_items/Tomate`;
    offer = `${base}/offers/Tomate`;
  });

  after(async () => {
    await node.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a conditional PUT after a GET succeeds; after another write to the resource it is 412', async () => {
    const etag = (await request('GET', item)).etag;
    expect((await putJson(item, { 'dfc-b:stockLimitation': 4 }, { 'if-match': etag })).status).to.equal(200);
    const stale = await putJson(item, { 'dfc-b:stockLimitation': 3 }, { 'if-match': etag });
    expect(stale.status).to.equal(412);
    expect((await request('GET', item)).text).to.include('4');
    const fresh = (await request('GET', item)).etag;
    expect((await putJson(item, { 'dfc-b:stockLimitation': 3 }, { 'if-match': fresh })).status).to.equal(200);
  });

  it('a write to another resource of the enterprise leaves a resource\'s ETag valid', async () => {
    const etag = (await request('GET', offer)).etag;
    expect((await putJson(item, { 'dfc-b:stockLimitation': 9 })).status).to.equal(200);
    // The offer is on demand (null), so it did not mirror the item's: it is as it was.
    expect((await request('GET', offer)).etag).to.equal(etag);
    const response = await putJson(offer, { 'dfc-b:hasPrice': 3 }, { 'if-match': etag });
    expect(response.status, response.text).to.equal(200);
  });

  it('the ETag of a GET changes exactly when the resource does, and a 304 follows it', async () => {
    const before = (await request('GET', product)).etag;
    expect((await request('GET', product, { 'if-none-match': before })).status).to.equal(304);
    expect((await putJson(item, { 'dfc-b:stockLimitation': 2 })).status).to.equal(200);
    expect((await request('GET', product)).etag, 'a stock write leaves the product as it was').to.equal(before);
    expect((await request('GET', product, { 'if-none-match': before })).status).to.equal(304);
  });

  it('the enterprise profile: a stock write keeps its ETag, a profile write makes it stale (412)', async () => {
    const profile = `${node.url}/api/dfc/enterprises/ferme`;
    const etag = (await request('GET', profile)).etag;
    expect((await putJson(item, { 'dfc-b:stockLimitation': 1 })).status).to.equal(200);
    expect((await request('GET', profile, { 'if-none-match': etag })).status).to.equal(304);
    const body = (name: string) => JSON.stringify({ '@context': CONTEXT, '@id': '_:e', '@type': 'dfc-b:Enterprise', 'dfc-b:name': name });
    const first = await request('PUT', profile, { ...admin, 'content-type': 'application/ld+json', 'if-match': etag }, body('Ferme 2'));
    expect(first.status, first.text).to.equal(200);
    expect(first.etag).to.equal((await request('GET', profile)).etag);
    const stale = await request('PUT', profile, { ...admin, 'content-type': 'application/ld+json', 'if-match': etag }, body('Ferme 3'));
    expect(stale.status).to.equal(412);
  });

  it('the ETag of a PUT answer works as If-Match for the next write', async () => {
    const first = await putJson(offer, { 'dfc-b:hasPrice': 4 });
    expect(first.status).to.equal(200);
    expect((await putJson(offer, { 'dfc-b:hasPrice': 5 }, { 'if-match': first.etag })).status).to.equal(200);
    expect((await putJson(offer, { 'dfc-b:hasPrice': 6 }, { 'if-match': first.etag })).status).to.equal(412);
  });
});

/** The `NodeStore` methods that read. */
const STORE_READS = new Set([
  'getEnterprise', 'listEnterprises', 'enterpriseVersion', 'getResource', 'getResources', 'getResourceWithOffers', 'listResources', 'catalogueIds',
]);

/** A store that notes every read the catalogue makes of it (method and first argument), and may act after one. */
interface CountingStore {
  readonly store: NodeStore;
  readonly reads: string[];
  /** Runs once after the next read (to change the store between a request's read and its commit). */
  afterNextRead?: () => Promise<void>;
}

function countingStore(store: NodeStore): CountingStore {
  const counting: CountingStore = {
    reads: [],
    store: new Proxy(store, {
      get(target, key, receiver) {
        const value: unknown = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        const method = value as (...args: unknown[]) => Promise<unknown>;
        if (typeof key !== 'string' || !STORE_READS.has(key)) return method.bind(target);
        return async (...args: unknown[]): Promise<unknown> => {
          counting.reads.push(`${key} ${JSON.stringify(args[0])}`);
          const result = await method.apply(target, args);
          const after = counting.afterNextRead;
          counting.afterNextRead = undefined;
          await after?.();
          return result;
        };
      },
    }),
  };
  return counting;
}

describe('Conditional writes: one read of the resource, one validation of each record', () => {
  let node: InProcessNode;
  let counting: CountingStore;
  let validated: string[];
  let original: RecordValidator['validate'];
  const api = '/api/dfc/enterprises/ferme';
  const iri = (path: string) => `http://node.test${path}`;
  const item = `${api}/catalog_items/tomate`;
  const offer = `${api}/offers/tomate`;
  const product = `${api}/supplied_products/tomate`;
  const read = (path: string) => `getResource "${iri(path)}"`;

  before(async () => {
    node = await startInProcess({
      deps: (deps) => {
        counting = countingStore(deps.store);
        return { ...deps, catalog: new CatalogService({ store: counting.store, decoder: new Decoder() }) };
      },
    });
    await node.seed('ferme');
    // Every record validation goes through RecordValidator.validate, when decoding and at commit.
    original = RecordValidator.prototype.validate;
    validated = [];
    RecordValidator.prototype.validate = function (this: RecordValidator, record, skip) {
      validated.push(record.id);
      return original.call(this, record, skip);
    };
  });
  after(async () => {
    RecordValidator.prototype.validate = original;
    await node.close();
  });

  /** A PUT with the ETag of a GET as If-Match: its status and body, and the store reads and validations it made. */
  const conditionalPut = async (path: string, body: unknown, contentType: string, etag?: string) => {
    const ifMatch = etag ?? (await node.request('GET', path)).headers.get('etag') ?? '';
    counting.reads.length = 0;
    validated.length = 0;
    const response = await node.request('PUT', path, {
      headers: { ...bearer(node.adminToken), 'content-type': contentType, 'if-match': ifMatch }, body: JSON.stringify(body),
    });
    return { status: response.status, text: response.text, reads: [...counting.reads], validated: [...validated] };
  };

  it('a catalog item: one read of it (was 2), and of its offers only because its stock changes; each record validated once', async () => {
    const put = await conditionalPut(item, { 'dfc-b:stockLimitation': 7 }, 'application/json');
    expect(put.status, put.text).to.equal(200);
    expect(put.reads).to.deep.equal([read(item), `getResources ${JSON.stringify([iri(offer)])}`]);
    // Plain JSON is validated at commit, the offer that mirrors its stock too: once each.
    expect(put.validated).to.have.members([iri(item), iri(offer)]).and.to.have.length(2);
  });

  it('a catalog item without If-Match (Open Food Network\'s stock write): one read, of it with its offers (was 2)', async () => {
    counting.reads.length = 0;
    const response = await node.request('PUT', item, {
      headers: { ...bearer(node.adminToken), 'content-type': 'application/json' }, body: JSON.stringify({ 'dfc-b:stockLimitation': 9 }),
    });
    expect(response.status, response.text).to.equal(200);
    expect(counting.reads).to.deep.equal([`getResourceWithOffers "${iri(item)}"`]);
    // The offer that mirrored the item's stock was written with it.
    const offerNow = await node.request('GET', offer, { headers: { accept: 'application/json' } });
    expect(offerNow.text).to.match(/"(dfc-b:)?stockLimitation":\s*9\b/u);
  });

  it('a catalog item in JSON-LD: validated when decoded, not again after the merge', async () => {
    const put = await conditionalPut(item, {
      '@context': CONTEXT, '@id': iri(item), '@type': 'dfc-b:CatalogItem', 'dfc-b:stockLimitation': 3,
    }, 'application/ld+json');
    expect(put.status, put.text).to.equal(200);
    expect(put.reads).to.deep.equal([read(item), `getResources ${JSON.stringify([iri(offer)])}`]);
    expect(put.validated).to.deep.equal([iri(item), iri(offer)]);
  });

  it('an offer: one read (was 2), one validation', async () => {
    const put = await conditionalPut(offer, { 'dfc-b:hasPrice': 5 }, 'application/json');
    expect(put.status, put.text).to.equal(200);
    expect(put.reads).to.deep.equal([read(offer)]);
    expect(put.validated).to.deep.equal([iri(offer)]);
  });

  it('a product: one read (was 4), validated once, when decoded, not again once renamed', async () => {
    const put = await conditionalPut(product, {
      '@context': CONTEXT, '@id': 'https://shop.example/p/1', '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Tomates',
      'dfc-b:hasQuantity': { '@type': 'dfc-b:QuantitativeValue', 'dfc-b:hasUnit': 'dfc-m:Kilogram', 'dfc-b:value': 1 },
    }, 'application/ld+json');
    expect(put.status, put.text).to.equal(200);
    expect(put.text).to.include(iri(product)).and.include('https://shop.example/p/1'); // renamed, the sent id kept as owl:sameAs
    expect(put.reads).to.deep.equal([read(product)]);
    expect(put.validated).to.deep.equal(['https://shop.example/p/1']);
  });

  it('an invalid product: 422 with the problem under the id the client sent, found by the one validation', async () => {
    const put = await conditionalPut(product, {
      '@context': CONTEXT, '@id': 'https://shop.example/p/1', '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Tomates',
      'dfc-b:hasQuantity': { '@type': 'dfc-b:QuantitativeValue', 'dfc-b:hasUnit': 'dfc-m:Kilogram', 'dfc-b:value': -1 },
    }, 'application/ld+json');
    expect(put.status, put.text).to.equal(422);
    const problems = (JSON.parse(put.text) as { problems: { id: string | null; severity: string }[] }).problems.filter((p) => p.severity === 'error');
    expect(problems.map((p) => p.id)).to.deep.equal(['https://shop.example/p/1']);
    expect(put.validated).to.deep.equal(['https://shop.example/p/1']);
  });

  it('the enterprise profile: the row read for If-Match is the write\'s only read (was 3); the answer reads the profile', async () => {
    const put = await conditionalPut(api, { '@context': CONTEXT, '@id': '_:e', '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Ferme 2' }, 'application/ld+json');
    expect(put.status, put.text).to.equal(200);
    const answer = ['getEnterprise "ferme"', `getResource "${iri(api)}"`, 'catalogueIds "ferme"', 'getResources []'];
    expect(put.reads).to.deep.equal(['getEnterprise "ferme"', ...answer]);
    expect(put.validated).to.have.length(1); // the Enterprise, when decoded
  });

  it('a change between the read for If-Match and the commit is still refused with 412', async () => {
    const etag = (await node.request('GET', item)).headers.get('etag') ?? '';
    // Another request writes the item right after this one has read it.
    counting.afterNextRead = async () => {
      await node.catalog.updateCatalogItem('ferme', 'tomate', { text: JSON.stringify({ 'dfc-b:stockLimitation': 40 }), mediaType: 'application/json' });
    };
    const put = await conditionalPut(item, { 'dfc-b:stockLimitation': 41 }, 'application/json', etag);
    expect(put.status, put.text).to.equal(412);
    // Refused at commit (the item is not as read), then read again: it moved on, so If-Match fails.
    expect(put.reads).to.deep.equal([read(item), `getResources ${JSON.stringify([iri(offer)])}`, `getResourceWithOffers "${iri(item)}"`]);
    expect((await node.catalog.resource('ferme', 'catalog_items', 'tomate')).record).to.include({ stock: 40 });
  });

  it('without If-Match, a change between the write\'s read and its commit is retried and applied', async () => {
    counting.afterNextRead = async () => {
      await node.catalog.updateCatalogItem('ferme', 'tomate', { text: JSON.stringify({ 'dfc-b:sku': 'TOM-9' }), mediaType: 'application/json' });
    };
    const response = await node.request('PUT', item, {
      headers: { ...bearer(node.adminToken), 'content-type': 'application/json' }, body: JSON.stringify({ 'dfc-b:stockLimitation': 42 }),
    });
    expect(response.status, response.text).to.equal(200);
    expect((await node.catalog.resource('ferme', 'catalog_items', 'tomate')).record).to.include({ stock: 42, sku: 'TOM-9' });
  });
});
