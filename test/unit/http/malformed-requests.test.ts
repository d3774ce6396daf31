/**
 * The malformed-request battery (issue 9): every route of the node (DFC reads and writes, subscriptions, the feed,
 * the peers API, notifications, the federated catalogue, discovery), and for each route that takes a body every
 * class of bad body: empty, truncated JSON and Turtle, JSON that is no object, arrays where objects belong,
 * wrong, absent and bogus-charset content types, nesting 10,000 deep in every syntax the node reads, a blank-node
 * chain of 60,000 and a shared-blank-node chain 30 levels deep; for reads, bad query parameters and headers.
 *
 * Each answer must be a client error or success, never a 5xx; every refusal a problem+json; and the store must
 * be as it was (every enterprise's catalogue and profile, the feed's newest sequence, the peers, the
 * subscriptions).
 */
import { expect } from 'chai';
import { sign } from '../../../server/feed/signature.js';
import { bearer, startInProcess, type InProcessNode } from '../../helpers/in-process.js';
import type { TestResponse } from '../../helpers/node.js';
import { CONTEXT, DFC_B, nestedProduct } from '../../helpers/write-api.js';

const DEPTH = 10_000;
const CHAIN = 60_000;
const SHARED_LEVELS = 30;
const TURTLE_PREFIXES = `@prefix dfc-b: <${DFC_B}> .\n@prefix dfc-m: <https://github.com/datafoodconsortium/taxonomies/releases/latest/download/measures.rdf#> .\n`;

/** A body, with the Content-Type it is sent with (undefined: none). */
interface BadBody {
  readonly name: string;
  readonly contentType: string | undefined;
  readonly text: string;
}

/** A product the node would take, but for an invalid price: what a body rides on must never be stored. */
function refusedProduct(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const body = nestedProduct({ name: 'Refusé', stock: 1, price: 'cher' });
  return { ...body, ...extra };
}

/** A Turtle product that is refused (its price is no number), with more triples on it. */
function turtleProduct(extra: string, tail = ''): string {
  return `${TURTLE_PREFIXES}<http://node.test/x/p> a dfc-b:SuppliedProduct ; dfc-b:name "Refusé" ;
  dfc-b:hasQuantity [ a dfc-b:QuantitativeValue ; dfc-b:hasUnit dfc-m:Kilogram ; dfc-b:value 1 ] ;
  dfc-b:referencedBy [ a dfc-b:CatalogItem ; dfc-b:stockLimitation 1 ;
    dfc-b:offeredThrough [ a dfc-b:Offer ; dfc-b:hasPrice [ a dfc-b:Price ; dfc-b:value "cher" ; dfc-b:hasUnit dfc-m:Euro ] ] ] ;
  ${extra} .
${tail}`;
}

/** Every class of bad body, as JSON-ish bodies are sent with `json` (the route's JSON media type). */
function badBodies(json: string): BadBody[] {
  const valid = JSON.stringify(refusedProduct());
  const deepArray = '['.repeat(DEPTH);
  const deepObject = '{"a":'.repeat(DEPTH);
  const blankChain: Record<string, unknown>[] = [];
  for (let i = 0; i < CHAIN; i++) blankChain.push({ '@id': `_:b${i}`, [`${DFC_B}x`]: { '@id': `_:b${i + 1}` } });
  let shared = '';
  for (let i = 0; i < SHARED_LEVELS; i++) shared += `_:l${i} dfc-b:a _:l${i + 1} ; dfc-b:b _:l${i + 1} .\n`;
  shared += `_:l${SHARED_LEVELS} dfc-b:a "end" .\n`;
  let nestedBlank = '';
  for (let i = 0; i < DEPTH; i++) nestedBlank += '[ dfc-b:x ';
  nestedBlank += '"end"';
  for (let i = 0; i < DEPTH; i++) nestedBlank += ' ]';
  return [
    { name: 'empty', contentType: json, text: '' },
    { name: 'whitespace', contentType: json, text: ' \r\n\t ' },
    { name: 'truncated JSON', contentType: json, text: valid.slice(0, Math.floor(valid.length / 2)) },
    { name: 'truncated JSON-LD', contentType: 'application/ld+json', text: valid.slice(0, -1) },
    { name: 'truncated Turtle', contentType: 'text/turtle', text: turtleProduct('dfc-b:sku "x').slice(0, -20) },
    { name: 'truncated N-Triples', contentType: 'application/n-triples', text: '<http://node.test/x> <http://node.test/p> "x' },
    { name: 'null', contentType: json, text: 'null' },
    { name: 'empty array', contentType: json, text: '[]' },
    { name: 'string', contentType: json, text: '"x"' },
    { name: 'number', contentType: json, text: '42' },
    { name: 'boolean', contentType: json, text: 'true' },
    { name: 'array of nulls', contentType: json, text: '[null, null]' },
    { name: 'array of arrays', contentType: json, text: '[[], [[]]]' },
    {
      name: 'arrays for objects', contentType: json, text: JSON.stringify({
        '@context': [[]], url: ['http://127.0.0.1:9/'], callback: ['http://127.0.0.1:9/'], enterprise: ['ferme'],
        'dfc-b:stockLimitation': [1], 'dfc-b:hasPrice': [[4.5]],
      }),
    },
    { name: 'arrays for objects in JSON-LD', contentType: 'application/ld+json', text: JSON.stringify(refusedProduct({ 'dfc-b:hasQuantity': [[1]], 'dfc-b:description': [[[]]], 'dfc-b:suppliedBy': [[{}]] })) },
    { name: 'a graph that is no array of objects', contentType: 'application/ld+json', text: JSON.stringify({ '@context': CONTEXT, '@graph': [1, 'x', null, [[]]] }) },
    { name: 'text/plain', contentType: 'text/plain', text: valid },
    { name: 'application/xml', contentType: 'application/xml', text: '<product name="x"/>' },
    { name: 'form', contentType: 'application/x-www-form-urlencoded', text: 'url=x&callback=y' },
    { name: 'unknown type', contentType: 'application/x-maillon-nothing', text: valid },
    { name: 'no content type', contentType: undefined, text: valid },
    { name: 'bogus charset', contentType: `${json}; charset=bogus`, text: valid },
    { name: 'bogus charset on Turtle', contentType: 'text/turtle; charset=x-nothing', text: turtleProduct('dfc-b:sku "x"') },
    { name: 'latin-1 charset', contentType: `${json}; charset=latin1`, text: valid },
    { name: 'malformed content type', contentType: ';;; =x', text: valid },
    { name: 'bytes that are no UTF-8', contentType: json, text: '{"a": "\udc80\ud800"}' },
    { name: '[ ×10,000, truncated', contentType: json, text: deepArray },
    { name: '[ ×10,000, closed', contentType: json, text: `${deepArray}${']'.repeat(DEPTH)}` },
    { name: '{"a": ×10,000, truncated', contentType: json, text: deepObject },
    { name: '{"a": ×10,000, closed', contentType: json, text: `${deepObject}1${'}'.repeat(DEPTH)}` },
    { name: 'JSON-LD property nested 10,000 deep', contentType: 'application/ld+json', text: JSON.stringify(refusedProduct()).replace(/\}$/u, `, "dfc-b:x": ${'{"dfc-b:x": '.repeat(DEPTH)}"end"${'}'.repeat(DEPTH)}}`) },
    { name: 'JSON-LD lists nested 10,000 deep', contentType: 'application/ld+json', text: JSON.stringify(refusedProduct()).replace(/\}$/u, `, "dfc-b:x": ${'{"@list": ['.repeat(DEPTH)}1${']}'.repeat(DEPTH)}}`) },
    { name: 'Turtle [ dfc-b:x [ … ] ] 10,000 deep', contentType: 'text/turtle', text: turtleProduct(`dfc-b:x ${nestedBlank}`) },
    { name: 'Turtle ( ( … ) ) 10,000 deep', contentType: 'text/turtle', text: turtleProduct(`dfc-b:x ${'( '.repeat(DEPTH)}1${' )'.repeat(DEPTH)}`) },
    { name: 'JSON-LD blank-node chain of 60,000', contentType: 'application/ld+json', text: JSON.stringify({ '@context': CONTEXT, '@graph': [refusedProduct({ '@context': undefined, 'dfc-b:x': { '@id': '_:b0' } }), ...blankChain] }) },
    { name: 'shared-blank-node chain 30 levels deep', contentType: 'text/turtle', text: turtleProduct('dfc-b:unmodelled _:l0', shared) },
  ];
}

/** Bad query strings, tried on every read. */
const BAD_QUERIES: readonly string[] = [
  'page=0', 'page=-1', 'page=abc', 'page=1e309', 'page=1.5', 'page=99999999999999999999', 'page[]=1', 'page=1&page=2', 'page[a]=1',
  'page=1e18', 'page=1000000000000000000', 'page=9007199254740993', 'page=0x10',
  'page_size=0', 'page_size=1e309', 'page_size=100000000', 'page_size=', 'after=-1', 'after=abc', 'after=1e309', 'after[]=1',
  'after=1&after=2', 'near=abc', 'near=1e309,1e309', 'near=91,0', 'near=45,', 'near=,', 'near=NaN,NaN', 'radius_km=5',
  'near=45.8,1.2&radius_km=-1', 'near=45.8,1.2&radius_km=1e309', 'near=45.8,1.2&radius_km=NaN', 'in_stock=maybe', 'type[]=x',
  'type=%00', 'q=%ZZ', 'q=%', 'q[a][b][c][d][e][f]=1', `q=${'x'.repeat(5000)}`, 'enterprise[]=x', 'peer=abc', 'peer[]=1',
  `${'a=1&'.repeat(2000)}b=2`,
];

/** Bad headers, tried on every read. */
const BAD_HEADERS: readonly Record<string, string>[] = [
  { accept: 'garbage' }, { accept: 'application/ld+json; q=abc' }, { accept: 'text/html' }, { accept: ';;;, ,' },
  { accept: 'application/ld+json; profile="dfc-v2' }, { 'if-none-match': 'garbage' }, { 'if-none-match': '"' },
  { 'if-modified-since': 'yesterday' }, { authorization: 'Bearer' }, { authorization: 'Basic abc' }, { authorization: 'Bearer a b' },
  { 'x-api-token': 'nope' }, { range: 'bytes=abc' },
];

describe('http: malformed requests', function () {
  this.timeout(120_000);
  let node: InProcessNode;
  let ferme: string;
  let peerId: number;
  let subscriptionId: string;
  const secret = 'whsec_battery-of-requests';
  let signedAt = 0;
  /** The store as seeded: every test leaves it so. */
  let before_ = '';

  before(async () => {
    node = await startInProcess();
    await node.seed('ferme');
    await node.seed('secret', { private: true });
    ferme = await node.token('ferme');
    const peer = await node.store.provenance.addPeer({ name: 'peer', url: 'http://127.0.0.1:9/catalog.json' }, 'http://127.0.0.1:9');
    peerId = peer.id;
    await node.store.feed.setPeerFeed(peer.id, { secret });
    const created = await node.request('POST', '/api/dfc/subscriptions', {
      headers: { ...bearer(ferme), 'content-type': 'application/json' }, body: JSON.stringify({ enterprise: 'ferme', callback: 'http://127.0.0.1:9/hook' }),
    });
    expect(created.status, created.text).to.equal(201);
    subscriptionId = created.json<{ id: string }>().id;
    before_ = await snapshot();
  });
  after(async () => node.close());

  /** What must not change: every enterprise's catalogue and profile, the feed's head, the peers, the subscriptions. */
  async function snapshot(): Promise<string> {
    const enterprises = [];
    for (const row of await node.store.listEnterprises()) {
      enterprises.push({
        eid: row.eid, private: row.private, version: row.version, profileVersion: row.profileVersion,
        catalogue: await node.catalog.catalogue(row.eid), profile: (await node.catalog.enterpriseGraph(row.eid)).records,
        other: await node.catalog.otherResources(row.eid),
      });
    }
    return JSON.stringify({
      enterprises, head: await node.store.feed.latestSeq(),
      peers: (await node.store.provenance.listPeers()).map((p) => [p.id, p.name, p.url, p.token, p.intervalSeconds, p.profile]),
      subscriptions: (await node.store.feed.listSubscriptions()).map((s) => [s.id, s.eid, s.callback, s.tokenId]),
    });
  }

  function expectClientError(response: TestResponse, what: string): void {
    expect(response.status, `${what}: ${response.text.slice(0, 300)}`).to.be.within(400, 499);
    expect(response.headers.get('content-type') ?? '', what).to.match(/^application\/problem\+json/u);
    const problem = response.json<{ status: number; title: string; detail: string }>();
    expect(problem.status, what).to.equal(response.status);
    expect(problem.detail, what).to.be.a('string').and.not.equal('');
  }

  function expectNoServerError(response: TestResponse, what: string): void {
    expect(response.status, `${what}: ${response.text.slice(0, 300)}`).to.be.below(500);
    if (response.status >= 400) expectClientError(response, what);
  }

  async function expectUnchanged(what: string): Promise<void> {
    expect(await snapshot(), `${what}: the store changed`).to.equal(before_);
  }

  /** A route that takes a body, and who may call it. */
  interface BodyRoute { readonly method: string; readonly label: string; readonly path: () => string; readonly token: () => string | undefined; readonly json: string }
  const BODY_ROUTES: readonly BodyRoute[] = [
    { method: 'POST', label: '/api/dfc/enterprises', path: () => '/api/dfc/enterprises', token: () => node.adminToken, json: 'application/ld+json' },
    { method: 'PUT', label: '/api/dfc/enterprises/ferme', path: () => '/api/dfc/enterprises/ferme', token: () => ferme, json: 'application/ld+json' },
    { method: 'POST', label: '/api/dfc/enterprises/ferme/supplied_products', path: () => '/api/dfc/enterprises/ferme/supplied_products', token: () => ferme, json: 'application/ld+json' },
    { method: 'PUT', label: '/api/dfc/enterprises/ferme/supplied_products/tomate', path: () => '/api/dfc/enterprises/ferme/supplied_products/tomate', token: () => ferme, json: 'application/ld+json' },
    { method: 'PUT', label: '/api/dfc/enterprises/ferme/catalog_items/tomate', path: () => '/api/dfc/enterprises/ferme/catalog_items/tomate', token: () => ferme, json: 'application/json' },
    { method: 'PUT', label: '/api/dfc/enterprises/ferme/offers/tomate', path: () => '/api/dfc/enterprises/ferme/offers/tomate', token: () => ferme, json: 'application/json' },
    { method: 'POST', label: '/api/dfc/subscriptions', path: () => '/api/dfc/subscriptions', token: () => ferme, json: 'application/json' },
    { method: 'POST', label: '/api/sync/peers', path: () => '/api/sync/peers', token: () => node.adminToken, json: 'application/json' },
    { method: 'POST', label: '/api/sync/notifications/{peer}', path: () => `/api/sync/notifications/${peerId}`, token: () => undefined, json: 'application/ld+json' },
  ];

  const send = (route: BodyRoute, body: BadBody): Promise<TestResponse> => {
    const headers: Record<string, string> = {};
    const token = route.token();
    if (token !== undefined) Object.assign(headers, bearer(token));
    if (body.contentType !== undefined) headers['content-type'] = body.contentType;
    // A notification is read only once its signature is verified: sign each one (a timestamp of its own, no replay).
    if (route.path().includes('/notifications/')) headers['maillon-signature'] = sign(secret, body.text, Date.now() - (signedAt++ % 250) * 1000);
    // fetch would add text/plain to a string body: a Blob without a type sends none.
    return node.request(route.method, route.path(), { headers, body: (body.contentType === undefined ? new Blob([body.text]) : body.text) as string });
  };

  describe('bad bodies on every route that takes one', () => {
    for (const route of BODY_ROUTES) {
      for (const body of badBodies(route.json)) {
        it(`${route.method} ${route.label}: ${body.name} → 4xx, store unchanged`, async () => {
          const what = `${route.method} ${route.path()} ${body.name}`;
          const response = await send(route, body);
          // A verified notification that is a JSON object, whatever it says, only wakes a sync of the peer.
          if (route.label.includes('/notifications/') && response.status === 202) return;
          expectClientError(response, what);
          await expectUnchanged(what);
        });
      }
    }
  });

  /** Every read. */
  const READS = (): string[] => [
    '/.well-known/dfc', '/.well-known/dfc/', '/api/dfc/webid', '/api/dfc/enterprises', '/api/dfc/enterprises/ferme',
    '/api/dfc/enterprises/ferme/catalog_items', '/api/dfc/enterprises/ferme/supplied_products',
    '/api/dfc/enterprises/ferme/supplied_products/tomate', '/api/dfc/enterprises/ferme/catalog_items/tomate', '/api/dfc/enterprises/ferme/offers/tomate',
    '/api/dfc/enterprises/ferme/sale_sessions/x', '/api/dfc/enterprises/ferme/customer_categories/x', '/api/dfc/enterprises/ferme/catalogs/x',
    '/api/dfc/persons/ferme', '/api/dfc/addresses/ferme', '/api/dfc/enterprises/secret', '/api/dfc/enterprises/secret/catalog_items',
    '/api/dfc/feed', '/api/dfc/enterprises/ferme/feed', '/api/dfc/enterprises/secret/feed',
    '/api/dfc/subscriptions', `/api/dfc/subscriptions/${subscriptionId}`, '/api/sync/status', '/api/sync/peers', `/api/sync/peers/${peerId}`,
    '/api/federation/catalog', '/api/federation/catalog.csv', '/api/federation/stats', '/api/federation/rows', '/nothing/here',
    '/api/dfc/enterprises/ferme/orders', '/api/dfc/enterprises/ferme/Orders', '/api/dfc/enterprises/ferme/orders/1',
    '/api/dfc/enterprises/ferme/listings',
  ];

  it('reads with bad query parameters: never a 5xx, every refusal a problem+json', async () => {
    for (const path of READS()) {
      for (const query of BAD_QUERIES) {
        for (const token of [undefined, node.adminToken]) {
          expectNoServerError(await node.request('GET', `${path}?${query}`, { headers: token === undefined ? {} : bearer(token) }), `GET ${path}?${query.slice(0, 60)}`);
        }
      }
    }
    await expectUnchanged('reads with bad queries');
  });

  it('reads with bad headers: never a 5xx, every refusal a problem+json', async () => {
    for (const path of READS()) {
      for (const headers of BAD_HEADERS) {
        expectNoServerError(await node.request('GET', path, { headers: { ...bearer(node.adminToken), ...headers } }), `GET ${path} ${JSON.stringify(headers)}`);
      }
    }
    await expectUnchanged('reads with bad headers');
  });

  it('bad paths: malformed percent-encoding, odd ids, over-long segments: 4xx problem+json', async () => {
    const paths = [
      '/api/dfc/enterprises/%E0%A4%A', '/api/dfc/enterprises/%', '/api/dfc/enterprises/ferme/offers/%ZZ', '/api/dfc/persons/%C0%80',
      `/api/dfc/enterprises/${'x'.repeat(4000)}`, '/api/dfc/enterprises/ferme/offers/..%2F..%2Fsecret', '/api/dfc/subscriptions/%00',
      '/api/sync/peers/abc', '/api/sync/peers/-1', '/api/sync/peers/1e309', '/api/sync/peers/99999999999999999999', `/api/sync/peers/${'9'.repeat(400)}`,
      '/api/dfc/enterprises/ferme/feed/x', '/api/federation/catalog/x',
    ];
    for (const path of paths) {
      for (const method of ['GET', 'DELETE', 'PUT', 'POST']) {
        const response = await node.request(method, path, {
          headers: { ...bearer(node.adminToken), 'content-type': 'application/json' }, ...(method === 'GET' ? {} : { body: '{}' }),
        });
        expectClientError(response, `${method} ${path.slice(0, 80)}`);
      }
    }
    await expectUnchanged('bad paths');
  });

  it('writes and deletes that must not happen: no token, a stranger\'s token, a failed If-Match, a bad id: 4xx, store unchanged', async () => {
    const voisin = await node.token('secret');
    const routes: [string, string][] = [
      ['DELETE', '/api/dfc/enterprises/ferme/supplied_products/tomate'], ['DELETE', `/api/dfc/subscriptions/${subscriptionId}`],
      ['DELETE', `/api/sync/peers/${peerId}`], ['POST', `/api/sync/peers/${peerId}/sync`], ['POST', `/api/sync/peers/${peerId}/subscribe`],
      ['DELETE', '/api/dfc/enterprises/ferme'], ['DELETE', '/api/dfc/enterprises/ferme/offers/tomate'], ['PATCH', '/api/dfc/enterprises/ferme/offers/tomate'],
      ['POST', '/api/dfc/enterprises/ferme'], ['PUT', '/api/dfc/feed'], ['POST', '/api/federation/catalog'], ['DELETE', '/api/dfc/subscriptions'],
      ['PUT', '/.well-known/dfc'], ['DELETE', '/api/sync/status'],
    ];
    for (const [method, path] of routes) {
      for (const headers of [{}, bearer(voisin)]) {
        const response = await node.request(method, path, { headers: { ...headers, 'content-type': 'application/json' }, ...(method === 'DELETE' ? {} : { body: '{"dfc-b:stockLimitation": 1}' }) });
        expectClientError(response, `${method} ${path} ${JSON.stringify(headers)}`);
      }
    }
    for (const path of ['/api/dfc/enterprises/ferme/supplied_products/tomate', '/api/dfc/enterprises/ferme/offers/tomate']) {
      const method = path.includes('offers') ? 'PUT' : 'DELETE';
      for (const ifMatch of ['"nope"', 'garbage', '"', 'W/"x", ,', 'W/']) {
        const response = await node.request(method, path, {
          headers: { ...bearer(ferme), 'content-type': 'application/json', 'if-match': ifMatch }, ...(method === 'PUT' ? { body: '{"dfc-b:stockLimitation": 1}' } : {}),
        });
        expectClientError(response, `${method} ${path} If-Match: ${ifMatch}`);
      }
    }
    await expectUnchanged('refused writes');
  });

  it('a charset the node cannot read is a 415 where a body is read; without a token no body is read, and the answer is the route\'s own', async () => {
    for (const path of ['/api/dfc/enterprises', '/api/sync/peers']) {
      const response = await node.request('POST', path, { headers: { 'content-type': 'application/json; charset=bogus', ...bearer(node.adminToken) }, body: '{}' });
      expect(expectClientErrorStatus(response, `POST ${path}`)).to.equal(415);
    }
    const anonymous: Record<string, number> = { '/api/dfc/enterprises': 401, '/api/sync/peers': 401, '/nothing/here': 404, '/api/dfc/subscriptions': 401, '/.well-known/dfc': 405 };
    for (const [path, status] of Object.entries(anonymous)) {
      const response = await node.request('POST', path, { headers: { 'content-type': 'application/json; charset=bogus' }, body: '{}' });
      expect(expectClientErrorStatus(response, `POST ${path}`), path).to.equal(status);
    }
    await expectUnchanged('bogus charsets');
  });

  function expectClientErrorStatus(response: TestResponse, what: string): number {
    expectClientError(response, what);
    return response.status;
  }
});
