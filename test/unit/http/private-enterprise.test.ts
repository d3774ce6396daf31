/**
 * A private enterprise is unknown to whoever may not see it (RFC 9110 §15.5.5): every route that names it
 * answers a stranger (no token, or another enterprise's token) the very 404 an unknown enterprise gets, detail
 * included. Its own token without the scope gets 403, the admin and the right token 200. Writes answer 401/403
 * before any read, for an unknown enterprise as for a private one, so they reveal nothing and keep them.
 */
import { expect } from 'chai';
import { bearer, startInProcess, type InProcessNode } from '../../helpers/in-process.js';
import { expectProblem, nestedProduct, type ProblemBody } from '../../helpers/write-api.js';
import type { TestResponse } from '../../helpers/node.js';

/** Every read route that names an enterprise, for `eid`, with the scope it needs. */
const READS = (eid: string): readonly (readonly [string, 'ReadEnterprise' | 'ReadProducts'])[] => [
  [`/api/dfc/enterprises/${eid}`, 'ReadEnterprise'],
  [`/api/dfc/persons/${eid}`, 'ReadEnterprise'],
  [`/api/dfc/addresses/${eid}`, 'ReadEnterprise'],
  [`/api/dfc/enterprises/${eid}/catalog_items`, 'ReadProducts'],
  [`/api/dfc/enterprises/${eid}/supplied_products`, 'ReadProducts'],
  [`/api/dfc/enterprises/${eid}/catalog_items?page=1&page_size=2`, 'ReadProducts'],
  [`/api/dfc/enterprises/${eid}/supplied_products/tomate`, 'ReadProducts'],
  [`/api/dfc/enterprises/${eid}/catalog_items/tomate`, 'ReadProducts'],
  [`/api/dfc/enterprises/${eid}/offers/tomate`, 'ReadProducts'],
  [`/api/dfc/enterprises/${eid}/feed`, 'ReadProducts'],
  [`/api/dfc/enterprises/${eid}/feed?after=0`, 'ReadProducts'],
];

/** Paths whose resource exists in a seeded enterprise (the others are a 404 to everyone). */
const UNKNOWN_EVEN_TO_ITS_OWNER = ['sale_sessions', 'customer_categories', 'catalogs'].map((c) => `/api/dfc/enterprises/secret/${c}/x`);

describe('http: a private enterprise is unknown to strangers', function () {
  let node: InProcessNode;
  let stranger: string;
  let own: Record<'ReadEnterprise' | 'ReadProducts', string>;

  before(async () => {
    node = await startInProcess();
    await node.seed('ferme');
    await node.seed('secret', { private: true });
    stranger = await node.token('ferme');
    own = { ReadEnterprise: await node.token('secret', ['ReadEnterprise']), ReadProducts: await node.token('secret', ['ReadProducts']) };
  });
  after(async () => node.close());

  /** The problem of `path` for `secret`, checked to be the one for `nobody` with the name changed. */
  const sameAsUnknown = (hidden: TestResponse, unknown: TestResponse, what: string): void => {
    const a = expectProblem(hidden, unknown.status);
    const b = expectProblem(unknown, unknown.status);
    const normalise = (p: ProblemBody): unknown => JSON.parse(JSON.stringify(p).replaceAll('secret', 'nobody'));
    expect(normalise(a), what).to.deep.equal(normalise(b));
    expect(hidden.headers.get('www-authenticate'), what).to.equal(null);
  };

  it('every read answers no token and another enterprise\'s token the 404 of an unknown enterprise', async () => {
    for (const [path, scope] of READS('secret')) {
      const unknownPath = path.replace('secret', 'nobody');
      for (const [who, headers] of [['anonymous', {}], ['stranger', bearer(stranger)]] as const) {
        const hidden = await node.request('GET', path, { headers });
        const unknown = await node.request('GET', unknownPath, { headers });
        expect(hidden.status, `${who} GET ${path}`).to.equal(404);
        sameAsUnknown(hidden, unknown, `${who} GET ${path}`);
        expect((await node.request('HEAD', path, { headers })).status, `${who} HEAD ${path}`).to.equal(404);
      }
      expect((await node.request('GET', path, { headers: bearer(node.adminToken) })).status, `admin ${path}`).to.equal(200);
      expect((await node.request('GET', path, { headers: bearer(own[scope]) })).status, `own ${path}`).to.equal(200);
      // Its own token knows it exists: the scope it lacks is a 403.
      const other = scope === 'ReadEnterprise' ? own.ReadProducts : own.ReadEnterprise;
      expect(expectProblem(await node.request('GET', path, { headers: bearer(other) }), 403).detail, path).to.include(scope);
    }
    for (const path of UNKNOWN_EVEN_TO_ITS_OWNER) {
      for (const headers of [{}, bearer(stranger)]) sameAsUnknown(await node.request('GET', path, { headers }), await node.request('GET', path.replace('secret', 'nobody'), { headers }), path);
    }
  });

  it('a subscription to it is the 404 of an unknown enterprise to strangers, 401 without a token as anywhere, 201 for its own token', async () => {
    const subscribe = (token: string | undefined, enterprise: string) => node.request('POST', '/api/dfc/subscriptions', {
      headers: { ...(token !== undefined ? bearer(token) : {}), 'content-type': 'application/json' },
      body: JSON.stringify({ enterprise, callback: 'http://127.0.0.1:9/hook' }),
    });
    const hidden = await subscribe(stranger, 'secret');
    expect(hidden.status).to.equal(404);
    sameAsUnknown(hidden, await subscribe(stranger, 'nobody'), 'subscribe as a stranger');
    // Without a token, every subscription is refused before its enterprise is looked at: the same 401 for all.
    const anonymous = await subscribe(undefined, 'secret');
    const unknown = await subscribe(undefined, 'nobody');
    expect(expectProblem(anonymous, 401)).to.deep.equal(JSON.parse(JSON.stringify(expectProblem(unknown, 401)).replaceAll('nobody', 'secret')));
    expect(anonymous.headers.get('www-authenticate')).to.equal(unknown.headers.get('www-authenticate'));
    expect(expectProblem(await subscribe(own.ReadEnterprise, 'secret'), 403).detail).to.include('ReadProducts');
    expect((await subscribe(own.ReadProducts, 'secret')).status).to.equal(201);
    // A public enterprise's existence is no secret: a missing token there is still a 401.
    expectProblem(await subscribe(undefined, 'ferme'), 401);
    expect((await node.store.feed.listSubscriptions()).map((s) => s.eid)).to.deep.equal(['secret']);
  });

  it('writes answer 401 without a token and 403 with another enterprise\'s, the same for an unknown enterprise: they reveal nothing', async () => {
    const product = JSON.stringify(nestedProduct({ name: 'Intrus', stock: 1, price: 1 }));
    const writes: readonly (readonly [string, string, string, string])[] = [
      ['PUT', '/api/dfc/enterprises/secret', 'application/ld+json', product],
      ['POST', '/api/dfc/enterprises/secret/supplied_products', 'application/ld+json', product],
      ['PUT', '/api/dfc/enterprises/secret/supplied_products/tomate', 'application/ld+json', product],
      ['DELETE', '/api/dfc/enterprises/secret/supplied_products/tomate', 'application/ld+json', ''],
      ['PUT', '/api/dfc/enterprises/secret/catalog_items/tomate', 'application/json', '{"dfc-b:stockLimitation": 1}'],
      ['PUT', '/api/dfc/enterprises/secret/offers/tomate', 'application/json', '{"dfc-b:stockLimitation": 1}'],
    ];
    const before = JSON.stringify(await node.catalog.catalogue('secret'));
    for (const [method, path, type, body] of writes) {
      for (const [status, headers] of [[401, {}], [403, bearer(stranger)]] as const) {
        const send = (p: string) => node.request(method, p, { headers: { ...headers, 'content-type': type }, ...(body !== '' ? { body } : {}) });
        const hidden = await send(path);
        expect(hidden.status, `${method} ${path}`).to.equal(status);
        const unknown = await send(path.replace('secret', 'nobody'));
        const normalise = (p: ProblemBody): unknown => JSON.parse(JSON.stringify(p).replaceAll('secret', 'nobody'));
        expect(normalise(expectProblem(hidden, status)), `${method} ${path}`).to.deep.equal(normalise(expectProblem(unknown, status)));
      }
    }
    expect(JSON.stringify(await node.catalog.catalogue('secret'))).to.equal(before);
  });

  it('the node lists, feed and federated catalogue do not show it to strangers', async () => {
    const list = await node.request('GET', '/api/dfc/enterprises', { headers: bearer(stranger) });
    expect(list.text).to.not.include('/enterprises/secret');
    const feed = await node.request('GET', '/api/dfc/feed?after=0', { headers: bearer(stranger) });
    expect(feed.text).to.not.include('/enterprises/secret');
    const federated = await node.request('GET', '/api/federation/catalog?enterprise=secret');
    const unknown = await node.request('GET', '/api/federation/catalog?enterprise=nobody');
    expect(federated.status).to.equal(unknown.status);
    expect(federated.text.replaceAll('secret', 'nobody')).to.equal(unknown.text);
  });
});
