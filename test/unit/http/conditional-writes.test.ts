import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueToken, SCOPES } from '../../../server/auth/tokens.js';
import { loadConfig } from '../../../server/config.js';
import { createLogger } from '../../../server/logging.js';
import { startNode, type RunningNode } from '../../../server/main.js';

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
          'dfc-b:offeredThrough': { '@id': '_:o', '@type': 'dfc-b:Offer', 'dfc-b:hasPrice': 2 } },
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
    // The offer has no stock of its own (null), so it did not mirror the item's: it is as it was.
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
