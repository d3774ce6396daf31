/**
 * The DFC routes under `/api/dfc`, in-process: reads and writes, content negotiation (406 included), paging,
 * ETag/304/412, OPTIONS/405, CORS, private enterprises, and the 4xx answers of bad requests.
 */
import { expect } from 'chai';
import { bearer, startInProcess, type InProcessNode } from '../../helpers/in-process.js';
import { CONTEXT, enterpriseBody, expectProblem, nestedProduct } from '../../helpers/write-api.js';

const FERME = '/api/dfc/enterprises/ferme';
const JSONLD = { 'content-type': 'application/ld+json' };
const JSON_TYPE = { 'content-type': 'application/json' };

interface Graph { '@context'?: unknown; '@graph'?: Record<string, unknown>[]; '@type'?: string }

function graphOf(text: string): Record<string, unknown>[] {
  const document = JSON.parse(text) as Graph & Record<string, unknown>;
  return document['@graph'] ?? [document];
}

function ids(text: string): string[] {
  return graphOf(text).map((n) => n['@id'] as string);
}

describe('http: the DFC routes', function () {
  let node: InProcessNode;
  let ferme: string;
  let other: string;

  before(async () => {
    node = await startInProcess();
    await node.seed('ferme');
    await node.seed('secret', { private: true });
    ferme = await node.token('ferme');
    other = await node.token('secret', ['ReadProducts']);
  });
  after(async () => node.close());

  describe('reads', () => {
    it('lists public enterprises only without a token, and private ones too for the admin', async () => {
      const anonymous = await node.request('GET', '/api/dfc/enterprises');
      expect(anonymous.status).to.equal(200);
      expect(ids(anonymous.text)).to.include(`${node.base}${FERME}`).and.not.include(`${node.base}/api/dfc/enterprises/secret`);
      expect(anonymous.headers.get('cache-control')).to.equal('no-cache');
      const admin = await node.request('GET', '/api/dfc/enterprises', { headers: bearer(node.adminToken) });
      expect(ids(admin.text)).to.include(`${node.base}/api/dfc/enterprises/secret`);
      expect(admin.headers.get('cache-control')).to.equal('private, no-cache');
    });

    it('serves an enterprise with supplies and manages derived from its catalogue', async () => {
      const response = await node.request('GET', FERME);
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.equal('application/ld+json; charset=utf-8');
      const enterprise = graphOf(response.text).find((n) => n['@id'] === `${node.base}${FERME}`);
      expect(enterprise?.['dfc-b:supplies']).to.have.length(3);
      expect(enterprise?.['dfc-b:manages']).to.include(`${node.base}${FERME}/catalog_items/tomate`);
      expect(response.headers.get('last-modified')).to.be.a('string');
      expect(response.headers.get('vary')).to.include('Accept');
    });

    it('serves the whole catalogue under both collection paths, and each resource alone', async () => {
      for (const collection of ['catalog_items', 'supplied_products']) {
        const response = await node.request('GET', `${FERME}/${collection}`);
        expect(response.status).to.equal(200);
        expect(ids(response.text)).to.include.members([
          `${node.base}${FERME}/supplied_products/tomate`, `${node.base}${FERME}/catalog_items/tomate`, `${node.base}${FERME}/offers/tomate`,
        ]);
      }
      for (const path of ['supplied_products/tomate', 'catalog_items/tomate', 'offers/tomate']) {
        const response = await node.request('GET', `${FERME}/${path}`);
        expect(response.status, path).to.equal(200);
        expect(ids(response.text)).to.deep.equal([`${node.base}${FERME}/${path}`]);
      }
    });

    it('serves the main contact and the address by their own URLs', async () => {
      const person = await node.request('GET', '/api/dfc/persons/ferme');
      expect(person.status).to.equal(200);
      expect(graphOf(person.text)[0]?.['dfc-b:firstName']).to.equal('Anne');
      const address = await node.request('GET', '/api/dfc/addresses/ferme');
      expect(graphOf(address.text)[0]?.['dfc-b:hasCity']).to.equal('Limoges');
      expectProblem(await node.request('GET', '/api/dfc/addresses/nowhere'), 404);
    });

    it('answers 404 for an unknown enterprise, resource, or sale session', async () => {
      const noEnterprise = expectProblem(await node.request('GET', '/api/dfc/enterprises/nobody/catalog_items'), 404);
      expect(noEnterprise.detail).to.include('nobody');
      const noItem = expectProblem(await node.request('GET', `${FERME}/catalog_items/nothing`), 404);
      expect(noItem.detail).to.include('"nothing"').and.include('ferme');
      expectProblem(await node.request('GET', `${FERME}/sale_sessions/none`), 404);
      expectProblem(await node.request('GET', '/api/dfc/enterprises/nobody/offers/x'), 404);
    });
  });

  describe('content negotiation', () => {
    it('gives Turtle, N-Triples and N-Quads', async () => {
      const turtle = await node.request('GET', `${FERME}/offers/tomate`, { headers: { accept: 'text/turtle' } });
      expect(turtle.headers.get('content-type')).to.equal('text/turtle; charset=utf-8');
      expect(turtle.text).to.include(`<${node.base}${FERME}/offers/tomate>`);
      const ntriples = await node.request('GET', `${FERME}/offers/tomate`, { headers: { accept: 'application/n-triples' } });
      expect(ntriples.headers.get('content-type')).to.match(/^application\/n-triples/u);
      expect(ntriples.text.trim().split('\n').every((line) => line.endsWith(' .'))).to.equal(true);
      const nquads = await node.request('GET', `${FERME}/offers/tomate`, { headers: { accept: 'application/n-quads' } });
      expect(nquads.headers.get('content-type')).to.match(/^application\/n-quads/u);
      expect(nquads.headers.get('etag')).to.not.equal(ntriples.headers.get('etag'));
    });

    it('gives DFC 2.0 on the dfc-v2 profile, and application/json as asked', async () => {
      const v2 = await node.request('GET', `${FERME}/catalog_items`, { headers: { accept: 'application/ld+json; profile="dfc-v2"' } });
      expect(v2.headers.get('content-type')).to.equal('application/ld+json; profile="dfc-v2"; charset=utf-8');
      expect(v2.text).to.include('ldp:');
      const v1 = await node.request('GET', `${FERME}/catalog_items`);
      expect(v1.text).to.not.include('ldp:Container');
      const json = await node.request('GET', `${FERME}/catalog_items`, { headers: { accept: 'application/json' } });
      expect(json.headers.get('content-type')).to.equal('application/json; charset=utf-8');
    });

    it('gives each resource in RDF in the profile asked, whichever profile was asked first', async () => {
      const V2_NS = 'http://w3id.org/dfc/ontology/v2.0.0/src/DFC_BusinessOntology.owl#';
      for (const path of [FERME, `${FERME}/catalog_items/tomate`]) {
        for (const type of ['text/turtle', 'application/n-triples', 'application/n-quads']) {
          for (const order of [['v2', 'v1'], ['v1', 'v2']]) {
            // A write moves the enterprise's version: nothing of either profile is cached before the first GET.
            const put = await node.request('PUT', `${FERME}/catalog_items/tomate`, { headers: { ...JSON_TYPE, ...bearer(ferme) }, body: JSON.stringify({ 'dfc-b:stockLimitation': 10 + order.length }) });
            expect(put.status).to.equal(200);
            const etags = new Map<string, string | null>();
            for (const profile of order) {
              const response = await node.request('GET', path, { headers: { accept: profile === 'v2' ? `${type}; profile="dfc-v2"` : type } });
              expect(response.status).to.equal(200);
              expect(response.text.includes(V2_NS), `${path} ${type} ${order.join(' then ')}: ${profile}`).to.equal(profile === 'v2');
              etags.set(profile, response.headers.get('etag'));
            }
            expect(etags.get('v1')).to.not.equal(etags.get('v2'));
          }
        }
      }
    });

    it('honours q-values and wildcards', async () => {
      const preferTurtle = await node.request('GET', FERME, { headers: { accept: 'application/ld+json;q=0.5, text/turtle' } });
      expect(preferTurtle.headers.get('content-type')).to.match(/^text\/turtle/u);
      const wildcard = await node.request('GET', FERME, { headers: { accept: 'text/*' } });
      expect(wildcard.headers.get('content-type')).to.match(/^text\/turtle/u);
      const any = await node.request('GET', FERME, { headers: { accept: '*/*' } });
      expect(any.headers.get('content-type')).to.match(/^application\/ld\+json/u);
    });

    it('answers 406 with the available types for anything else, and for q=0 on all', async () => {
      const html = expectProblem(await node.request('GET', FERME, { headers: { accept: 'text/html' } }), 406);
      expect(html.title).to.equal('Not Acceptable');
      expect(html.detail).to.include('text/turtle');
      expectProblem(await node.request('GET', '/api/dfc/enterprises', { headers: { accept: '*/*;q=0' } }), 406);
    });
  });

  describe('paging', () => {
    it('pages the catalogue with Link headers and a hydra view, and 404 past the end', async () => {
      const first = await node.request('GET', `${FERME}/catalog_items?page_size=2`);
      expect(first.status).to.equal(200);
      const link = first.headers.get('link') ?? '';
      expect(link).to.include('rel="next"').and.include('page=2&page_size=2').and.include('rel="first"');
      expect(first.text).to.include('hydra:PartialCollectionView').and.include('hydra:next');
      // A cached body of the same page asked as `?page=1&page_size=2` must not lend it its view.
      const canonical = await node.request('GET', `${FERME}/catalog_items?page=1&page_size=2`);
      const viewOf = (text: string) => graphOf(text).find((n) => n['@type'] === 'hydra:PartialCollectionView');
      expect(viewOf(first.text)?.['@id']).to.match(/\/catalog_items\?page_size=2$/u);
      expect(viewOf(canonical.text)?.['@id']).to.match(/\/catalog_items\?page=1&page_size=2$/u);
      expect(viewOf(first.text)).to.include.keys('hydra:first', 'hydra:next', 'hydra:last');
      const products = (text: string) => graphOf(text).filter((n) => n['@type'] === 'dfc-b:SuppliedProduct').map((n) => n['@id']);
      const second = await node.request('GET', `${FERME}/catalog_items?page=2&page_size=2`);
      expect(second.headers.get('link')).to.include('rel="prev"').and.not.include('rel="next"');
      const all = [...products(first.text), ...products(second.text)];
      expect(all).to.have.length(3);
      expect([...all].sort()).to.deep.equal(all);
      expectProblem(await node.request('GET', `${FERME}/catalog_items?page=3&page_size=2`), 404);
    });

    it('gives the whole catalogue to a client that asks for no pages, and pages to one that prefers them', async () => {
      const small = await startInProcess({ pageSize: 2 });
      try {
        await small.seed('ferme');
        const products = (text: string) => graphOf(text).filter((n) => n['@type'] === 'dfc-b:SuppliedProduct');
        // Open Food Network reads a catalogue URL whole, following no link: three products, on one page of no view.
        const whole = await small.request('GET', `${FERME}/catalog_items`);
        expect(products(whole.text)).to.have.length(3);
        expect(whole.headers.get('link')).to.equal(null);
        expect(whole.text).to.not.include('hydra:PartialCollectionView');
        expect(whole.headers.get('vary')).to.include('Prefer');
        // LDP Paging's preference: pages of the count asked for, or of the node's page size when it asks for more.
        const prefer = (count: string) => small.request('GET', `${FERME}/catalog_items`, { headers: { prefer: `return=representation; max-member-count=${count}` } });
        const one = await prefer('"1"');
        expect(products(one.text)).to.have.length(1);
        expect(one.headers.get('link')).to.include('page=2&page_size=1');
        expect(one.headers.get('etag')).to.not.equal(whole.headers.get('etag'));
        const many = await prefer('1000');
        expect(products(many.text)).to.have.length(2);
        expect(many.headers.get('link')).to.include('page=2&page_size=2');
        // A count that is none is no preference.
        expect(products((await prefer('0')).text)).to.have.length(3);
        // Asked by its parameters, a page is of the node's page size as before.
        expect(products((await small.request('GET', `${FERME}/catalog_items?page=1`)).text)).to.have.length(2);
      } finally {
        await small.close();
      }
    });

    it('pages the list of enterprises', async () => {
      const first = await node.request('GET', '/api/dfc/enterprises?page_size=1', { headers: bearer(node.adminToken) });
      expect(first.headers.get('link')).to.include('rel="next"');
      expectProblem(await node.request('GET', '/api/dfc/enterprises?page=9&page_size=1'), 404);
    });

    it('refuses bad paging parameters with 400', async () => {
      for (const query of ['page=0', 'page=abc', 'page_size=0', 'page_size=10001', 'page_size=1.5']) {
        const body = expectProblem(await node.request('GET', `${FERME}/catalog_items?${query}`), 400);
        expect(body.detail, query).to.match(/page/u);
      }
      expectProblem(await node.request('GET', '/api/dfc/enterprises?page=-1'), 400);
    });
  });

  describe('caching and preconditions', () => {
    it('answers 304 to If-None-Match with the ETag (or *), and 200 with another', async () => {
      const first = await node.request('GET', `${FERME}/catalog_items`);
      const etag = first.headers.get('etag') ?? '';
      expect(etag).to.match(/^"[^"]+"$/u);
      const again = await node.request('GET', `${FERME}/catalog_items`, { headers: { 'if-none-match': `"other", W/${etag}` } });
      expect(again.status).to.equal(304);
      expect(again.text).to.equal('');
      expect((await node.request('GET', `${FERME}/catalog_items`, { headers: { 'if-none-match': '*' } })).status).to.equal(304);
      expect((await node.request('GET', `${FERME}/catalog_items`, { headers: { 'if-none-match': '"stale"' } })).status).to.equal(200);
      const list = await node.request('GET', '/api/dfc/enterprises');
      expect((await node.request('GET', '/api/dfc/enterprises', { headers: { 'if-none-match': list.headers.get('etag') ?? '' } })).status).to.equal(304);
    });

    it('a write with a current If-Match succeeds; a stale one gets 412 and changes nothing', async () => {
      const path = `${FERME}/catalog_items/carottes`;
      const before = await node.request('GET', path);
      const etag = before.headers.get('etag') ?? '';
      const ok = await node.request('PUT', path, {
        headers: { ...bearer(ferme), ...JSON_TYPE, 'if-match': etag }, body: JSON.stringify({ 'dfc-b:stockLimitation': 5 }),
      });
      expect(ok.status, ok.text).to.equal(200);
      const stale = await node.request('PUT', path, {
        headers: { ...bearer(ferme), ...JSON_TYPE, 'if-match': etag }, body: JSON.stringify({ 'dfc-b:stockLimitation': 6 }),
      });
      expect(expectProblem(stale, 412).title).to.equal('Precondition Failed');
      const after = await node.request('GET', path);
      expect(graphOf(after.text)[0]?.['dfc-b:stockLimitation']).to.equal(5);
      const star = await node.request('PUT', path, {
        headers: { ...bearer(ferme), ...JSON_TYPE, 'if-match': '*' }, body: JSON.stringify({ 'dfc-b:stockLimitation': 7 }),
      });
      expect(star.status).to.equal(200);
    });

    it('If-Match accepts the ETag of any representation of the resource', async () => {
      const path = `${FERME}/offers/carottes`;
      const turtle = await node.request('GET', path, { headers: { accept: 'text/turtle' } });
      const response = await node.request('PUT', path, {
        headers: { ...bearer(ferme), ...JSON_TYPE, 'if-match': turtle.headers.get('etag') ?? '' }, body: JSON.stringify({ 'dfc-b:hasPrice': 2.2 }),
      });
      expect(response.status, response.text).to.equal(200);
    });

    it('If-None-Match and If-Unmodified-Since on a write: 412 when they fail, and nothing changes', async () => {
      const path = `${FERME}/catalog_items/carottes`;
      const stockAt = async (): Promise<unknown> => graphOf((await node.request('GET', path)).text)[0]?.['dfc-b:stockLimitation'];
      const put = (headers: Record<string, string>, stock: number) => node.request('PUT', path, {
        headers: { ...bearer(ferme), ...JSON_TYPE, ...headers }, body: JSON.stringify({ 'dfc-b:stockLimitation': stock }),
      });
      const read = await node.request('GET', path);
      const before = await stockAt();
      // `*`: the resource exists. Its current tag, weak or strong: it is in that state.
      for (const ifNoneMatch of ['*', read.headers.get('etag') ?? '', `W/${read.headers.get('etag') ?? ''}`]) {
        expect(expectProblem(await put({ 'if-none-match': ifNoneMatch }, 11), 412).detail, ifNoneMatch).to.match(/If-None-Match/u);
      }
      expect(await stockAt()).to.equal(before);
      // Another state's tag is no obstacle.
      expect((await put({ 'if-none-match': '"other"' }, 11)).status).to.equal(200);
      expect(await stockAt()).to.equal(11);
      // Modified since a date before the enterprise's Last-Modified: 412; at or after it, taken.
      const modified = (await node.request('GET', path)).headers.get('last-modified') ?? '';
      const earlier = new Date(Date.parse(modified) - 60_000).toUTCString();
      expect(expectProblem(await put({ 'if-unmodified-since': earlier }, 12), 412).detail).to.match(/If-Unmodified-Since/u);
      expect(await stockAt()).to.equal(11);
      expect((await put({ 'if-unmodified-since': new Date(Date.parse(modified) + 60_000).toUTCString() }, 12)).status).to.equal(200);
      // Beside If-Match, or not a date, it is ignored (RFC 9110 §13.1.4).
      const etag = (await node.request('GET', path)).headers.get('etag') ?? '';
      expect((await put({ 'if-match': etag, 'if-unmodified-since': earlier }, 13)).status).to.equal(200);
      for (const notADate of ['yesterday', '1', '2001', '0', 'Mon, 31 Feb 2024 00:00:00 GMT']) expect((await put({ 'if-unmodified-since': notADate }, 14)).status, notADate).to.equal(200);
      // The obsolete forms of an HTTP date are dates too.
      expect(expectProblem(await put({ 'if-unmodified-since': 'Sunday, 06-Nov-94 08:49:37 GMT' }, 15), 412).detail).to.match(/If-Unmodified-Since/u);
      expect(expectProblem(await put({ 'if-unmodified-since': 'Sun Nov  6 08:49:37 1994' }, 15), 412).detail).to.match(/If-Unmodified-Since/u);
      expect(await stockAt()).to.equal(14);
      await put({}, typeof before === 'number' ? before : -1);
    });

    it('If-Match on a resource that does not exist is 404, not 412', async () => {
      expectProblem(await node.request('PUT', `${FERME}/catalog_items/ghost`, {
        headers: { ...bearer(ferme), ...JSON_TYPE, 'if-match': '"x"' }, body: JSON.stringify({ 'dfc-b:stockLimitation': 1 }),
      }), 404);
    });
  });

  describe('OPTIONS, 405 and CORS', () => {
    it('OPTIONS answers 204 with Allow, and Accept-Post on the collections that take POST', async () => {
      const products = await node.request('OPTIONS', `${FERME}/supplied_products`);
      expect(products.status).to.equal(204);
      expect(products.headers.get('allow')).to.equal('GET, HEAD, OPTIONS, POST');
      expect(products.headers.get('accept-post')).to.include('text/turtle');
      const item = await node.request('OPTIONS', `${FERME}/catalog_items/tomate`);
      expect(item.headers.get('allow')).to.equal('GET, HEAD, OPTIONS, PUT');
      expect(item.headers.get('accept-post')).to.equal(null);
      expect((await node.request('OPTIONS', `${FERME}/supplied_products/tomate`)).headers.get('allow')).to.include('DELETE');
      expect((await node.request('OPTIONS', '/api/dfc/persons/ferme')).headers.get('allow')).to.equal('GET, HEAD, OPTIONS');
    });

    it('another method is 405 with Allow', async () => {
      const response = await node.request('DELETE', `${FERME}/catalog_items`, { headers: bearer(ferme) });
      const body = expectProblem(response, 405);
      expect(response.headers.get('allow')).to.equal('GET, HEAD, OPTIONS');
      expect(body.detail).to.include('DELETE');
      expectProblem(await node.request('PATCH', '/api/dfc/enterprises'), 405);
      expectProblem(await node.request('POST', `${FERME}/sale_sessions/x`), 405);
    });

    it('OPTIONS on the other routes answers 204 with their methods (Accept-Post: JSON where they take POST), not Express\'s 200 text', async () => {
      for (const [path, methods, post] of [
        ['/api/sync/peers', ['GET', 'POST', 'HEAD', 'OPTIONS'], true], ['/api/admin/grants', ['GET', 'POST', 'HEAD', 'OPTIONS'], true],
        ['/api/dfc/subscriptions', ['GET', 'POST', 'HEAD', 'OPTIONS'], true], ['/api/federation/stats', ['GET', 'HEAD', 'OPTIONS'], false],
        ['/api/dfc/feed', ['GET', 'HEAD', 'OPTIONS'], false], ['/.well-known/dfc', ['GET', 'HEAD', 'OPTIONS'], false],
        [`${FERME}/listings`, ['GET', 'POST', 'HEAD', 'OPTIONS'], true],
      ] as const) {
        const answer = await node.request('OPTIONS', path);
        expect(answer.status, path).to.equal(204);
        expect(answer.headers.get('allow')?.split(', '), path).to.have.members([...methods]);
        expect(answer.headers.get('accept-post'), path).to.equal(post ? 'application/json, application/*+json' : null);
      }
    });

    it('every answer allows any origin; a preflight gets the read methods and headers', async () => {
      const read = await node.request('GET', FERME, { headers: { origin: 'https://shop.example' } });
      expect(read.headers.get('access-control-allow-origin')).to.equal('*');
      expect(read.headers.get('access-control-expose-headers')).to.include('ETag');
      const preflight = await node.request('OPTIONS', `${FERME}/catalog_items`, {
        headers: { origin: 'https://shop.example', 'access-control-request-method': 'GET' },
      });
      expect(preflight.status).to.equal(204);
      expect(preflight.headers.get('access-control-allow-methods')).to.equal('GET, HEAD, OPTIONS');
      expect(preflight.headers.get('access-control-allow-headers')).to.include('Authorization').and.include('Prefer');
      expect(preflight.headers.get('access-control-max-age')).to.equal('600');
      expect(preflight.headers.get('allow')).to.equal(null);
    });
  });

  describe('headers every answer carries', () => {
    it('nosniff on every answer; an answer to a credential that says nothing of caching is private and asked again', async () => {
      for (const [path, headers] of [['/api/sync/peers', bearer(node.adminToken)], ['/api/sync/peers', { 'x-api-token': node.adminToken }], ['/api/admin/grants', bearer(node.adminToken)]] as const) {
        const answer = await node.request('GET', path, { headers });
        expect(answer.status, path).to.equal(200);
        expect(answer.headers.get('cache-control'), path).to.equal('private, no-cache');
        expect(answer.headers.get('x-content-type-options'), path).to.equal('nosniff');
      }
      const anonymous = await node.request('GET', '/api/sync/peers');
      expect(anonymous.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(anonymous.headers.get('cache-control')).to.equal(null);
      // A route's own caching is kept: a catalogue read with a token says its own.
      const read = await node.request('GET', `${FERME}/catalog_items`, { headers: bearer(node.adminToken) });
      expect(read.headers.get('cache-control')).to.not.equal(null).and.not.equal('private, no-cache');
      // The answer with a webhook's secret is kept by no cache.
      const subscribed = await node.request('POST', '/api/dfc/subscriptions', {
        headers: { ...bearer(node.adminToken), 'content-type': 'application/json' }, body: JSON.stringify({ callback: 'http://127.0.0.1:9/headers-hook' }),
      });
      expect(subscribed.status, subscribed.text).to.equal(201);
      expect(subscribed.headers.get('cache-control')).to.equal('no-store');
    });
  });

  describe('private enterprises', () => {
    it('need a token with the scope on that enterprise; to others they are unknown (404, not 401 or 403)', async () => {
      // Issue 9: a 401 or 403 confirmed that the enterprise exists.
      const unknown = expectProblem(await node.request('GET', '/api/dfc/enterprises/nobody/catalog_items'), 404);
      const anonymous = expectProblem(await node.request('GET', '/api/dfc/enterprises/secret/catalog_items'), 404);
      const wrong = expectProblem(await node.request('GET', '/api/dfc/enterprises/secret/catalog_items', { headers: bearer(ferme) }), 404);
      for (const hidden of [anonymous, wrong]) expect(hidden.detail.replace('secret', 'nobody')).to.equal(unknown.detail);
      const right = await node.request('GET', '/api/dfc/enterprises/secret/catalog_items', { headers: bearer(other) });
      expect(right.status).to.equal(200);
      expect(right.headers.get('cache-control')).to.equal('private, no-cache');
      // The token has ReadProducts only: the profile needs ReadEnterprise.
      const profile = expectProblem(await node.request('GET', '/api/dfc/enterprises/secret', { headers: bearer(other) }), 403);
      expect(profile.detail).to.include('ReadEnterprise');
      expect(expectProblem(await node.request('GET', '/api/dfc/addresses/secret'), 404).detail.replace('secret', 'nobody'))
        .to.equal(expectProblem(await node.request('GET', '/api/dfc/addresses/nobody'), 404).detail);
    });
  });

  describe('writes', () => {
    it('POST creates a product with its item and offer, 201 with Location', async () => {
      const response = await node.request('POST', `${FERME}/supplied_products`, {
        headers: { ...bearer(ferme), ...JSONLD }, body: JSON.stringify(nestedProduct({ name: 'Poireaux', sku: 'POI-1', stock: 8, price: 3 })),
      });
      expect(response.status, response.text).to.equal(201);
      const location = response.headers.get('location') ?? '';
      expect(location).to.equal(`${node.base}${FERME}/supplied_products/Poireaux`);
      expect(response.headers.get('etag')).to.be.a('string');
      const read = await node.request('GET', location.slice(node.base.length));
      expect(read.status).to.equal(200);
      expect(graphOf(read.text)[0]?.['dfc-b:name']).to.equal('Poireaux');
    });

    it('POST takes Turtle and answers in the representation asked for', async () => {
      const turtle = `@prefix dfc-b: <https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#> .
@prefix dfc-m: <https://github.com/datafoodconsortium/taxonomies/releases/latest/download/measures.rdf#> .
_:p a dfc-b:SuppliedProduct ; dfc-b:name "Navets" ; dfc-b:referencedBy _:i .
_:i a dfc-b:CatalogItem ; dfc-b:references _:p ; dfc-b:sku "NAV-1" ; dfc-b:stockLimitation 4 ; dfc-b:offeredThrough _:o .
_:o a dfc-b:Offer ; dfc-b:offeredItem _:i ; dfc-b:hasPrice [ a dfc-b:Price ; dfc-b:value 1.5 ; dfc-b:hasUnit dfc-m:Euro ] .
`;
      const response = await node.request('POST', `${FERME}/supplied_products`, {
        headers: { ...bearer(ferme), 'content-type': 'text/turtle', accept: 'text/turtle' }, body: turtle,
      });
      expect(response.status, response.text).to.equal(201);
      expect(response.headers.get('content-type')).to.match(/^text\/turtle/u);
      expect(response.headers.get('location')).to.match(/\/supplied_products\/Navets$/u);
    });

    it('keeps the language of the text it is given, in every representation and in the catalogue', async () => {
      const turtle = `@prefix dfc-b: <https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#> .
@prefix dfc-m: <https://github.com/datafoodconsortium/taxonomies/releases/latest/download/measures.rdf#> .
_:p a dfc-b:SuppliedProduct ; dfc-b:name "Pommes"@fr, "Apples"@en ; dfc-b:description "Du verger"@fr ; dfc-b:referencedBy _:i .
_:i a dfc-b:CatalogItem ; dfc-b:references _:p ; dfc-b:sku "POM-1" ; dfc-b:stockLimitation 4 ; dfc-b:offeredThrough _:o .
_:o a dfc-b:Offer ; dfc-b:offeredItem _:i ; dfc-b:hasPrice [ a dfc-b:Price ; dfc-b:value 1.5 ; dfc-b:hasUnit dfc-m:Euro ] .
`;
      const created = await node.request('POST', `${FERME}/supplied_products`, { headers: { ...bearer(ferme), 'content-type': 'text/turtle' }, body: turtle });
      expect(created.status, created.text).to.equal(201);
      const path = (created.headers.get('location') ?? '').slice(node.base.length);
      const product = graphOf((await node.request('GET', path)).text)[0];
      expect(product?.['dfc-b:name']).to.have.deep.members([{ '@value': 'Pommes', '@language': 'fr' }, { '@value': 'Apples', '@language': 'en' }]);
      expect(product?.['dfc-b:description']).to.deep.equal({ '@value': 'Du verger', '@language': 'fr' });
      const asTurtle = await node.request('GET', path, { headers: { accept: 'text/turtle' } });
      expect(asTurtle.text).to.include('"Pommes"@fr').and.include('"Apples"@en').and.include('"Du verger"@fr');
      const page = graphOf((await node.request('GET', `${FERME}/supplied_products`)).text).find((n) => n['@id'] === `${node.base}${path}`);
      expect(page?.['dfc-b:description']).to.deep.equal({ '@value': 'Du verger', '@language': 'fr' });
    });

    it('gives an offer that says no stock its item\'s, and keeps the stock of a product\'s item and offer a PUT says none of', async () => {
      const stockAt = async (path: string): Promise<unknown> => graphOf((await node.request('GET', path)).text)[0]?.['dfc-b:stockLimitation'];
      const body = (item: Record<string, unknown>, offer: Record<string, unknown>, id?: string): string => JSON.stringify({
        '@context': CONTEXT, '@id': id ?? '_:p', '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Radis',
        'dfc-b:referencedBy': { '@id': '_:i', '@type': 'dfc-b:CatalogItem', ...item,
          'dfc-b:offeredThrough': { '@id': '_:o', '@type': 'dfc-b:Offer', 'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 1, 'dfc-b:hasUnit': 'dfc-m:Euro' }, ...offer } },
      });
      const created = await node.request('POST', `${FERME}/supplied_products`, { headers: { ...bearer(ferme), ...JSONLD }, body: body({ 'dfc-b:sku': 'RAD-1', 'dfc-b:stockLimitation': 8 }, {}) });
      expect(created.status, created.text).to.equal(201);
      const product = (created.headers.get('location') ?? '').slice(node.base.length);
      const id = product.split('/').pop() as string;
      expect(await stockAt(`${FERME}/catalog_items/${id}`)).to.equal(8);
      // Published on demand (no stockLimitation) while its item sold eight, before.
      expect(await stockAt(`${FERME}/offers/${id}`)).to.equal(8);
      // A PUT of the product with its item and offer, to change the SKU: their stock stays.
      const put = await node.request('PUT', product, { headers: { ...bearer(ferme), ...JSONLD }, body: body({ 'dfc-b:sku': 'RAD-2' }, {}, `${node.base}${product}`) });
      expect(put.status, put.text).to.equal(200);
      expect(graphOf((await node.request('GET', `${FERME}/catalog_items/${id}`)).text)[0]?.['dfc-b:sku']).to.equal('RAD-2');
      expect(await stockAt(`${FERME}/catalog_items/${id}`)).to.equal(8);
      expect(await stockAt(`${FERME}/offers/${id}`)).to.equal(8);
      // Stated, it is taken (and an offer stating its own keeps it).
      await node.request('PUT', product, { headers: { ...bearer(ferme), ...JSONLD }, body: body({ 'dfc-b:stockLimitation': 3 }, { 'dfc-b:stockLimitation': 2 }, `${node.base}${product}`) });
      expect(await stockAt(`${FERME}/catalog_items/${id}`)).to.equal(3);
      expect(await stockAt(`${FERME}/offers/${id}`)).to.equal(2);
    });

    it('keeps an item\'s offers linked when a product PUT gives the item without them', async () => {
      const created = await node.request('POST', `${FERME}/supplied_products`, {
        headers: { ...bearer(ferme), ...JSONLD }, body: JSON.stringify(nestedProduct({ name: 'Betteraves', sku: 'BET-1', stock: 22, price: 2 })),
      });
      expect(created.status, created.text).to.equal(201);
      const product = (created.headers.get('location') ?? '').slice(node.base.length);
      const id = product.split('/').pop() as string;
      const item = `${node.base}${FERME}/catalog_items/${id}`;
      const offer = `${node.base}${FERME}/offers/${id}`;
      const put = await node.request('PUT', product, {
        headers: { ...bearer(ferme), ...JSONLD },
        body: JSON.stringify({ '@context': CONTEXT, '@graph': [
          { '@id': `${node.base}${product}`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Betteraves', 'dfc-b:referencedBy': item },
          { '@id': item, '@type': 'dfc-b:CatalogItem', 'dfc-b:references': `${node.base}${product}`, 'dfc-b:stockLimitation': 3 },
        ] }),
      });
      expect(put.status, put.text).to.equal(200);
      const read = graphOf((await node.request('GET', `${FERME}/catalog_items/${id}`)).text)[0];
      expect(read?.['dfc-b:offeredThrough']).to.equal(offer);
      expect(read?.['dfc-b:stockLimitation']).to.equal(3);
      expect(graphOf((await node.request('GET', `${FERME}/offers/${id}`)).text)[0]?.['dfc-b:stockLimitation']).to.equal(3);
      // Still the item's offer: its stock follows the item's.
      await node.request('PUT', `${FERME}/catalog_items/${id}`, { headers: { ...bearer(ferme), ...JSON_TYPE }, body: JSON.stringify({ 'dfc-b:stockLimitation': 7 }) });
      expect(graphOf((await node.request('GET', `${FERME}/offers/${id}`)).text)[0]?.['dfc-b:stockLimitation']).to.equal(7);
    });

    it('refuses a stock finer than a thousandth (no order could take it), in plain JSON, JSON-LD and Turtle', async () => {
      const path = `${FERME}/catalog_items/tomate`;
      const item = `${node.base}${path}`;
      const before = graphOf((await node.request('GET', path)).text)[0]?.['dfc-b:stockLimitation'];
      for (const stock of [0.0004, 1e-320, 1.23456789, '1.0005']) {
        const plain = await node.request('PUT', path, { headers: { ...bearer(ferme), ...JSON_TYPE }, body: JSON.stringify({ 'dfc-b:stockLimitation': stock }) });
        expect(expectProblem(plain, 422).detail, String(stock)).to.be.a('string');
        expect(JSON.stringify(JSON.parse(plain.text))).to.include('thousandths');
        const ld = await node.request('PUT', path, {
          headers: { ...bearer(ferme), ...JSONLD }, body: JSON.stringify({ '@context': CONTEXT, '@id': item, '@type': 'dfc-b:CatalogItem', 'dfc-b:stockLimitation': stock }),
        });
        expectProblem(ld, 422);
      }
      const turtle = await node.request('PUT', path, { headers: { ...bearer(ferme), 'content-type': 'text/turtle' },
        body: `<${item}> a <https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#CatalogItem> ; <https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#stockLimitation> 0.0004 .` });
      expectProblem(turtle, 422);
      expect(graphOf((await node.request('GET', path)).text)[0]?.['dfc-b:stockLimitation']).to.equal(before);
      // A thousandth, and floating point's spelling of one, are taken.
      for (const stock of [1.234, 0.059, 0.001]) {
        const ok = await node.request('PUT', path, { headers: { ...bearer(ferme), ...JSON_TYPE }, body: JSON.stringify({ 'dfc-b:stockLimitation': stock }) });
        expect(ok.status, ok.text).to.equal(200);
      }
      await node.request('PUT', path, { headers: { ...bearer(ferme), ...JSON_TYPE }, body: JSON.stringify({ 'dfc-b:stockLimitation': before }) });
    });

    it('leaves the stock as it was when a JSON-LD or Turtle item or offer says none, and takes a negative one as on demand', async () => {
      const item = `${node.base}${FERME}/catalog_items/tomate`;
      const offer = `${node.base}${FERME}/offers/tomate`;
      const stockOf = async (path: string): Promise<unknown> => graphOf((await node.request('GET', path)).text)[0]?.['dfc-b:stockLimitation'];
      const put = async (path: string, body: string, type = 'application/ld+json') => {
        const response = await node.request('PUT', path, { headers: { ...bearer(ferme), 'content-type': type }, body });
        expect(response.status, response.text).to.equal(200);
      };
      await put(`${FERME}/catalog_items/tomate`, JSON.stringify({ 'dfc-b:stockLimitation': 9 }), 'application/json');
      // The price of the offer alone, then the SKU of the item alone: the stock stays (it was dropped: on demand).
      await put(`${FERME}/offers/tomate`, JSON.stringify({
        '@context': CONTEXT, '@id': offer, '@type': 'dfc-b:Offer', 'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 8.5, 'dfc-b:hasUnit': 'dfc-m:Euro' },
      }));
      expect(await stockOf(`${FERME}/offers/tomate`)).to.equal(9);
      await put(`${FERME}/catalog_items/tomate`, JSON.stringify({ '@context': CONTEXT, '@id': item, '@type': 'dfc-b:CatalogItem', 'dfc-b:sku': 'TOM-2' }));
      expect(await stockOf(`${FERME}/catalog_items/tomate`)).to.equal(9);
      // A SKU in a language, then one in none: the item's text takes the body's language, or none.
      const skuOf = async (): Promise<unknown> => graphOf((await node.request('GET', `${FERME}/catalog_items/tomate`)).text)[0]?.['dfc-b:sku'];
      await put(`${FERME}/catalog_items/tomate`, `@prefix dfc-b: <https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#> .
<${item}> a dfc-b:CatalogItem ; dfc-b:sku "TOM-3"@fr .`, 'text/turtle');
      expect(await skuOf()).to.deep.equal({ '@value': 'TOM-3', '@language': 'fr' });
      // Plain JSON's SKU is in no language.
      await put(`${FERME}/catalog_items/tomate`, JSON.stringify({ 'dfc-b:sku': 'TOM-4' }), 'application/json');
      expect(await skuOf()).to.equal('TOM-4');
      await put(`${FERME}/catalog_items/tomate`, `@prefix dfc-b: <https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#> .
<${item}> a dfc-b:CatalogItem ; dfc-b:sku "TOM-3"@fr .`, 'text/turtle');
      await put(`${FERME}/catalog_items/tomate`, `@prefix dfc-b: <https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#> .
<${item}> a dfc-b:CatalogItem ; dfc-b:sku "TOM-3" .`, 'text/turtle');
      expect(await skuOf()).to.equal('TOM-3');
      expect(await stockOf(`${FERME}/catalog_items/tomate`)).to.equal(9);
      expect(await stockOf(`${FERME}/offers/tomate`)).to.equal(9);
      // Stated: a new stock, then a negative one (on demand: published as -1).
      await put(`${FERME}/catalog_items/tomate`, JSON.stringify({ '@context': CONTEXT, '@id': item, '@type': 'dfc-b:CatalogItem', 'dfc-b:stockLimitation': 4 }));
      expect(await stockOf(`${FERME}/catalog_items/tomate`)).to.equal(4);
      await put(`${FERME}/catalog_items/tomate`, JSON.stringify({ '@context': CONTEXT, '@id': item, '@type': 'dfc-b:CatalogItem', 'dfc-b:stockLimitation': -1 }));
      expect(await stockOf(`${FERME}/catalog_items/tomate`)).to.equal(-1);
      await put(`${FERME}/catalog_items/tomate`, JSON.stringify({ 'dfc-b:stockLimitation': 12 }), 'application/json');
    });

    it('refuses a body without a product (422), without a known media type (415), empty (400) or malformed (400)', async () => {
      const noProduct = await node.request('POST', `${FERME}/supplied_products`, {
        headers: { ...bearer(ferme), ...JSONLD }, body: JSON.stringify(enterpriseBody({ name: 'Pas un produit' })),
      });
      expect(expectProblem(noProduct, 422).detail).to.include('SuppliedProduct');
      const html = await node.request('POST', `${FERME}/supplied_products`, { headers: { ...bearer(ferme), 'content-type': 'text/html' }, body: '<p>' });
      expectProblem(html, 415);
      expect(html.headers.get('accept-post')).to.include('application/ld+json');
      const none = await node.request('POST', `${FERME}/supplied_products`, { headers: bearer(ferme), body: new Uint8Array([1]) as unknown as string });
      expect(expectProblem(none, 415).detail).to.include('without Content-Type');
      expect(expectProblem(await node.request('POST', `${FERME}/supplied_products`, { headers: { ...bearer(ferme), ...JSONLD }, body: '  ' }), 400).detail)
        .to.include('empty');
      const malformed = expectProblem(await node.request('POST', `${FERME}/supplied_products`, { headers: { ...bearer(ferme), ...JSONLD }, body: '{"@context":' }), 400);
      expect(malformed.problems).to.be.an('array').that.is.not.empty;
    });

    it('refuses invalid DFC with 422 and the codec problems, and changes nothing', async () => {
      const before = (await node.request('GET', `${FERME}/catalog_items`)).headers.get('etag');
      const body = nestedProduct({ name: 'Prix faux', price: 'beaucoup' });
      const response = await node.request('POST', `${FERME}/supplied_products`, { headers: { ...bearer(ferme), ...JSONLD }, body: JSON.stringify(body) });
      const problem = expectProblem(response, 422);
      expect(problem.problems?.some((p) => p.path.includes('hasPrice'))).to.equal(true);
      expect((await node.request('GET', `${FERME}/catalog_items`)).headers.get('etag')).to.equal(before);
    });

    it('writes need the scope on that enterprise: 401 without a token, 403 with another', async () => {
      const body = JSON.stringify(nestedProduct({ name: 'Interdit' }));
      expectProblem(await node.request('POST', `${FERME}/supplied_products`, { headers: JSONLD, body }), 401);
      expectProblem(await node.request('POST', `${FERME}/supplied_products`, { headers: { ...bearer(other), ...JSONLD }, body }), 403);
      const readOnly = await node.token('ferme', ['ReadProducts']);
      const lacking = expectProblem(await node.request('PUT', `${FERME}/catalog_items/tomate`, {
        headers: { ...bearer(readOnly), ...JSON_TYPE }, body: '{"dfc-b:stockLimitation": 1}',
      }), 403);
      expect(lacking.detail).to.include('WriteProducts');
      expectProblem(await node.request('POST', '/api/dfc/enterprises/nobody/supplied_products', { headers: { ...bearer(node.adminToken), ...JSONLD }, body }), 404);
    });

    it('PUT of a catalog item takes plain JSON as Open Food Network sends it; a negative stock means on demand', async () => {
      const path = `${FERME}/catalog_items/tomate`;
      const response = await node.request('PUT', path, {
        headers: { ...bearer(ferme), ...JSON_TYPE }, body: JSON.stringify({ 'dfc-b:stockLimitation': 3, 'dfc-b:sku': 'TOM-9' }),
      });
      expect(response.status, response.text).to.equal(200);
      const item = graphOf((await node.request('GET', path)).text)[0];
      expect(item?.['dfc-b:stockLimitation']).to.equal(3);
      expect(item?.['dfc-b:sku']).to.equal('TOM-9');
      await node.request('PUT', path, { headers: { ...bearer(ferme), ...JSON_TYPE }, body: JSON.stringify({ 'dfc-b:stockLimitation': -1 }) });
      const onDemand = graphOf((await node.request('GET', path)).text)[0];
      expect(onDemand?.['dfc-b:stockLimitation']).to.equal(-1);
      expect(onDemand?.['dfc-b:sku']).to.equal('TOM-9');
    });

    it('a bare price replaces what the old price said beside its value, keeping its currency and VAT rate', async () => {
      const offer = `${node.base}${FERME}/offers/carottes`;
      const put = async (body: string, type: string) => {
        const response = await node.request('PUT', `${FERME}/offers/carottes`, { headers: { ...bearer(ferme), 'content-type': type }, body });
        expect(response.status, response.text).to.equal(200);
      };
      await put(JSON.stringify({ '@context': CONTEXT, '@id': offer, '@type': 'dfc-b:Offer',
        'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 3, 'dfc-b:hasUnit': 'dfc-m:Euro', 'dfc-b:VATrate': 5.5, 'dfc-b:minValue': 2.9 } }), 'application/ld+json');
      const priceOf = async () => graphOf((await node.request('GET', `${FERME}/offers/carottes`)).text)[0]?.['dfc-b:hasPrice'] as Record<string, unknown>;
      expect(await priceOf()).to.include({ 'dfc-b:value': 3, 'dfc-b:minValue': 2.9 });
      await put(JSON.stringify({ 'dfc-b:hasPrice': 10 }), 'application/json');
      const price = await priceOf();
      expect(price).to.include({ 'dfc-b:value': 10, 'dfc-b:VATrate': 5.5 });
      expect(price).to.not.have.property('dfc-b:minValue');
      // In pounds, then a bare price as a JSON-LD Offer: in pounds still, with its VAT rate (not in euros without one).
      await put(JSON.stringify({ '@context': CONTEXT, '@id': offer, '@type': 'dfc-b:Offer',
        'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 3, 'dfc-b:hasUnit': 'dfc-m:PoundSterling', 'dfc-b:VATrate': 20 } }), 'application/ld+json');
      await put(JSON.stringify({ '@context': CONTEXT, '@id': offer, '@type': 'dfc-b:Offer', 'dfc-b:hasPrice': 7 }), 'application/ld+json');
      expect(await priceOf()).to.include({ 'dfc-b:value': 7, 'dfc-b:hasUnit': 'dfc-m:PoundSterling', 'dfc-b:VATrate': 20 });
    });

    it('PUT of an offer takes a bare price; bad fields are 422, bad JSON 400', async () => {
      const path = `${FERME}/offers/chevre`;
      const ok = await node.request('PUT', path, { headers: { ...bearer(ferme), ...JSON_TYPE }, body: JSON.stringify({ 'dfc-b:hasPrice': 3.9 }) });
      expect(ok.status, ok.text).to.equal(200);
      const price = graphOf((await node.request('GET', path)).text)[0]?.['dfc-b:hasPrice'] as Record<string, unknown>;
      expect(price['dfc-b:value']).to.equal(3.9);
      expectProblem(await node.request('PUT', path, { headers: { ...bearer(ferme), ...JSON_TYPE }, body: JSON.stringify({ colour: 'red' }) }), 422);
      expectProblem(await node.request('PUT', path, { headers: { ...bearer(ferme), ...JSON_TYPE }, body: '{"dfc-b:hasPrice":' }), 400);
    });

    it('PUT replaces a product, DELETE removes it with its item and offer', async () => {
      const created = await node.request('POST', `${FERME}/supplied_products`, {
        headers: { ...bearer(ferme), ...JSONLD }, body: JSON.stringify(nestedProduct({ name: 'Radis' })),
      });
      const location = created.headers.get('location') ?? '';
      const path = location.slice(node.base.length);
      const replaced = await node.request('PUT', path, {
        headers: { ...bearer(ferme), ...JSONLD },
        body: JSON.stringify({ '@context': CONTEXT, '@id': location, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Radis roses', 'dfc-b:description': 'Une botte.' }),
      });
      expect(replaced.status, replaced.text).to.equal(200);
      expect(graphOf((await node.request('GET', path)).text)[0]?.['dfc-b:name']).to.equal('Radis roses');
      const deleted = await node.request('DELETE', path, { headers: bearer(ferme) });
      expect(deleted.status).to.equal(204);
      expectProblem(await node.request('GET', path), 404);
      expectProblem(await node.request('GET', `${FERME}/catalog_items/radis`), 404);
      expectProblem(await node.request('DELETE', path, { headers: bearer(ferme) }), 404);
    });

    it('POST of an enterprise needs the admin token; PUT replaces the profile', async () => {
      const body = JSON.stringify(enterpriseBody({ name: 'Rucher du Bois' }));
      expectProblem(await node.request('POST', '/api/dfc/enterprises', { headers: JSONLD, body }), 401);
      expectProblem(await node.request('POST', '/api/dfc/enterprises', { headers: { ...bearer(ferme), ...JSONLD }, body }), 403);
      const created = await node.request('POST', '/api/dfc/enterprises?private=true', { headers: { ...bearer(node.adminToken), ...JSONLD }, body });
      expect(created.status, created.text).to.equal(201);
      expect(created.headers.get('location')).to.equal(`${node.base}/api/dfc/enterprises/rucher-du-bois`);
      // Private: unknown to an anonymous reader (issue 9: this was a 401, which confirmed it exists).
      expectProblem(await node.request('GET', '/api/dfc/enterprises/rucher-du-bois'), 404);
      expectProblem(await node.request('POST', '/api/dfc/enterprises', { headers: { ...bearer(node.adminToken), ...JSONLD }, body }), 409);
      const put = await node.request('PUT', '/api/dfc/enterprises/rucher-du-bois', {
        headers: { ...bearer(node.adminToken), ...JSONLD }, body: JSON.stringify(enterpriseBody({ name: 'Rucher du Grand Bois' })),
      });
      expect(put.status, put.text).to.equal(200);
      expect(graphOf(put.text).find((n) => n['@type'] === 'dfc-b:Enterprise')?.['dfc-b:name']).to.equal('Rucher du Grand Bois');
      const conflict = await node.request('PUT', '/api/dfc/enterprises/rucher-du-bois', {
        headers: { ...bearer(node.adminToken), ...JSONLD }, body: JSON.stringify(enterpriseBody({ id: `${node.base}${FERME}`, name: 'Autre' })),
      });
      expectProblem(conflict, 409);
      // `?private=` as flags are written, any other value a 400 (`?private=1` made a public enterprise).
      for (const [flag, name, hidden] of [['1', 'Rucher Un', true], ['YES', 'Rucher Deux', true], ['off', 'Rucher Trois', false]] as const) {
        const made = await node.request('POST', `/api/dfc/enterprises?private=${flag}`, {
          headers: { ...bearer(node.adminToken), ...JSONLD }, body: JSON.stringify(enterpriseBody({ name })),
        });
        expect(made.status, made.text).to.equal(201);
        expect((await node.request('GET', new URL(made.headers.get('location') as string).pathname)).status, flag).to.equal(hidden ? 404 : 200);
      }
      for (const query of ['private=maybe', 'private=true&private=false']) {
        const refused = await node.request('POST', `/api/dfc/enterprises?${query}`, {
          headers: { ...bearer(node.adminToken), ...JSONLD }, body: JSON.stringify(enterpriseBody({ name: 'Rucher Refusé' })),
        });
        expect(expectProblem(refused, 400).detail, query).to.match(/^private must be true or false/u);
      }
      // The switch written otherwise is refused too: ignored, it made public what was meant to be private.
      for (const query of ['Private=true', 'private[]=true', 'PRIVATE=1', 'privat=true']) {
        const before = (await node.request('GET', '/api/dfc/enterprises', { headers: bearer(node.adminToken) })).text;
        const refused = await node.request('POST', `/api/dfc/enterprises?${query}`, {
          headers: { ...bearer(node.adminToken), ...JSONLD }, body: JSON.stringify(enterpriseBody({ name: 'Rucher Mal Écrit' })),
        });
        expect(expectProblem(refused, 400).detail, query).to.match(/did you mean private\?/u);
        expect((await node.request('GET', '/api/dfc/enterprises', { headers: bearer(node.adminToken) })).text, query).to.equal(before);
      }
    });

    it('a body over the limit is 413', async () => {
      const small = await startInProcess({ bodyLimit: 2048 });
      try {
        await small.seed('ferme');
        const response = await small.request('POST', `${FERME}/supplied_products`, {
          headers: { ...bearer(small.adminToken), ...JSONLD }, body: JSON.stringify(nestedProduct({ name: 'x'.repeat(5000) })),
        });
        const problem = expectProblem(response, 413);
        expect(problem.title).to.equal('Content Too Large');
        expect(problem.detail).to.include('2048');
      } finally {
        await small.close();
      }
    });
  });
});
