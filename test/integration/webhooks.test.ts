/**
 * Signed webhooks, end to end on real nodes (loopback, base URL = real URL):
 *
 * - the subscriptions API (`/api/dfc/subscriptions`): who may subscribe to what, callbacks refused, the secret
 *   shown once;
 * - what a subscriber receives (captured by a loopback HTTP server of our own): ActivityStreams activities with
 *   stock and price inline, deletions, bursts coalesced, every body signed;
 * - node B following node A: B subscribes at A, and a stock change at A reaches B's federated catalogue
 *   without anyone calling sync on B;
 * - the receiving end refuses tampered, foreign, replayed, stale and unsigned notifications, and syncs nothing;
 * - a dead subscriber: failures counted with exponential backoff, `failing` then `dead` after the bound, and
 *   never a slower write.
 */
import { expect } from 'chai';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Parser } from 'n3';
import { issueToken, type Scope } from '../../server/auth/tokens.js';
import { ReplayGuard, sign, verify } from '../../server/feed/signature.js';
import type { SubscriptionRow } from '../../server/store/feed.js';
import type { PeerRow } from '../../server/store/federation.js';
import { startFakePeer } from '../helpers/fake-peer.js';
import { freePort, startFederationNode, type FederationNode } from '../helpers/federation.js';
import { startTestNode, type TestNode, type TestResponse } from '../helpers/node.js';
import { enterpriseBody, expectProblem, nestedProduct } from '../helpers/write-api.js';

const FERME = 'ferme-des-trois-chenes';
const CHEVRERIE = 'chevrerie-du-puy';
const DFC_B = 'https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#';
const AS_CONTEXT = 'https://www.w3.org/ns/activitystreams';
const SIGNATURE = 'maillon-signature';

// ------------------------------------------------------------------ a subscriber of our own

/** One request a subscriber received. */
interface Received {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly at: number;
}

/** How the subscriber answers on a path. */
interface Behaviour {
  readonly status?: number;
  readonly delayMs?: number;
  /** Never answer (the connection stays open until the server closes). */
  readonly hang?: boolean;
}

interface Subscriber {
  readonly url: string;
  readonly received: Received[];
  readonly behaviour: Map<string, Behaviour>;
  on(path: string): Received[];
  /** Answers (500) every request left hanging. */
  release(): void;
  close(): Promise<void>;
}

async function startSubscriber(): Promise<Subscriber> {
  const received: Received[] = [];
  const behaviour = new Map<string, Behaviour>();
  const hanging: ServerResponse[] = [];
  const server = await startFakePeer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const how = behaviour.get(path) ?? {};
      if (how.hang === true) {
        hanging.push(res);
        return;
      }
      const answer = (): void => {
        res.statusCode = how.status ?? 202;
        res.end();
      };
      if (how.delayMs !== undefined) setTimeout(answer, how.delayMs);
      else answer();
    });
  });
  return {
    url: server.base,
    received,
    behaviour,
    on: (path) => received.filter((r) => r.path === path),
    release: () => {
      for (const res of hanging.splice(0)) {
        res.statusCode = 500;
        res.end();
      }
    },
    close: server.close,
  };
}

// ------------------------------------------------------------------ helpers

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` every `everyMs` until it returns something other than undefined, or fails after `timeoutMs`. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 3000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
const JSON_BODY = { 'content-type': 'application/json' };

interface Notification {
  readonly '@context': unknown[];
  readonly id: string;
  readonly type: string;
  readonly published: string;
  readonly actor: string;
  readonly object: Record<string, unknown> & { id: string; type: string };
}

const parse = (r: Received): Notification => JSON.parse(r.body) as Notification;

/** The notifications a subscriber path received about one resource, in order. */
function about(subscriber: Subscriber, path: string, iri: string): Notification[] {
  return subscriber.on(path).map(parse).filter((n) => n.object.id === iri);
}

type Requester = Pick<FederationNode, 'request'>;

async function subscribe(node: Requester, token: string, body: Record<string, unknown>): Promise<TestResponse> {
  return node.request('POST', '/api/dfc/subscriptions', { headers: { ...bearer(token), ...JSON_BODY }, body: JSON.stringify(body) });
}

// ------------------------------------------------------------------ the tests

describe('webhooks', function () {
  this.timeout(20_000);

  let a: FederationNode;
  let b: FederationNode;
  let t: TestNode;
  let hook: Subscriber;
  let writer = '';
  let item = '';
  let offer = '';

  const tokenAt = async (node: FederationNode, eid: string | null, scopes: readonly Scope[]): Promise<string> =>
    (await issueToken(node.node.store, { eid, scopes })).token;
  const pathOf = (iri: string): string => new URL(iri).pathname;
  const setStock = async (iri: string, stock: number): Promise<number> => {
    const started = performance.now();
    const response = await a.request('PUT', pathOf(iri), { headers: { ...bearer(writer), ...JSON_BODY }, body: JSON.stringify({ 'dfc-b:stockLimitation': stock }) });
    const ms = performance.now() - started;
    expect(response.status, response.text.slice(0, 300)).to.equal(200);
    return ms;
  };

  before(async () => {
    [a, b, t, hook] = await Promise.all([startFederationNode({ name: 'A' }), startFederationNode({ name: 'B' }), startTestNode(), startSubscriber()]);
    await a.seed(FERME);
    await a.seed(CHEVRERIE);
    await t.seed(FERME);
    writer = await tokenAt(a, FERME, ['ReadProducts', 'WriteProducts']);
    const items = (await a.node.store.listResources(FERME, ['CatalogItem'])).map((r) => r.record);
    const first = items.find((i) => i.kind === 'CatalogItem' && i.offers.length > 0 && i.stock !== null);
    expect(first).to.not.equal(undefined);
    item = first?.id ?? '';
    offer = (first?.kind === 'CatalogItem' ? first.offers[0] : undefined) ?? '';
  });

  after(async () => {
    // The subscriber first: a delivery hanging on it would hold up the notifier's stop.
    await hook?.close();
    await Promise.all([a?.close(), b?.close(), t?.close()]);
  });

  describe('the subscriptions API', () => {
    it('an enterprise token with ReadProducts subscribes to its enterprise: 201, with an id and the secret, shown once', async () => {
      const token = await tokenAt(a, FERME, ['ReadProducts']);
      const created = await subscribe(a, token, { callback: `${hook.url}/api`, enterprise: FERME });
      expect(created.status, created.text).to.equal(201);
      const body = created.json<Record<string, unknown>>();
      expect(body['id']).to.be.a('string').and.not.equal('');
      expect(body['secret']).to.be.a('string').and.match(/^whsec_.{20,}/u);
      expect(body['callback']).to.equal(`${hook.url}/api`);
      expect(body['eid']).to.equal(FERME);
      expect(body['status']).to.equal('active');
      expect(body).to.not.have.property('tokenId');
      const id = body['id'] as string;
      expect(created.headers.get('location')).to.equal(`${a.base}/api/dfc/subscriptions/${id}`);

      const shown = await a.request('GET', `/api/dfc/subscriptions/${id}`, { headers: bearer(token) });
      expect(shown.status).to.equal(200);
      const view = shown.json<Record<string, unknown>>();
      expect(view['id']).to.equal(id);
      expect(view, 'the secret is shown once').to.not.have.property('secret');
      expect(shown.text).to.not.include(body['secret'] as string);
      const list = await a.request('GET', '/api/dfc/subscriptions', { headers: bearer(token) });
      expect(list.status).to.equal(200);
      expect(list.json<Record<string, unknown>[]>().map((s) => s['id'])).to.deep.equal([id]);
      expect(list.text).to.not.include(body['secret'] as string);

      // Another enterprise's token does not see it, and cannot delete it.
      const other = await tokenAt(a, CHEVRERIE, ['ReadProducts']);
      expect((await a.request('GET', `/api/dfc/subscriptions/${id}`, { headers: bearer(other) })).status).to.equal(404);
      expect((await a.request('DELETE', `/api/dfc/subscriptions/${id}`, { headers: bearer(other) })).status).to.equal(404);
      expectProblem(await a.request('GET', `/api/dfc/subscriptions/${id}`), 401);

      const deleted = await a.request('DELETE', `/api/dfc/subscriptions/${id}`, { headers: bearer(token) });
      expect(deleted.status).to.equal(204);
      expect((await a.request('GET', `/api/dfc/subscriptions/${id}`, { headers: bearer(token) })).status).to.equal(404);
      expect(await a.node.store.feed.getSubscription(id)).to.equal(undefined);
    });

    it('refuses without a token (401), with another enterprise\'s token or without ReadProducts (403)', async () => {
      const body = JSON.stringify({ callback: `${hook.url}/api`, enterprise: FERME });
      expectProblem(await a.request('POST', '/api/dfc/subscriptions', { headers: JSON_BODY, body }), 401);
      expectProblem(await subscribe(a, await tokenAt(a, CHEVRERIE, ['ReadProducts']), { callback: `${hook.url}/api`, enterprise: FERME }), 403);
      expectProblem(await subscribe(a, await tokenAt(a, FERME, ['ReadEnterprise', 'WriteProducts']), { callback: `${hook.url}/api`, enterprise: FERME }), 403);
      expectProblem(await subscribe(a, await tokenAt(a, FERME, ['ReadProducts']), { callback: `${hook.url}/api`, enterprise: 'no-such-enterprise' }), 404);
      expect(await a.node.store.feed.listSubscriptions()).to.deep.equal([]);
    });

    it('watching the whole node needs the admin token', async () => {
      expectProblem(await a.request('POST', '/api/dfc/subscriptions', { headers: JSON_BODY, body: JSON.stringify({ callback: `${hook.url}/api` }) }), 401);
      expectProblem(await subscribe(a, await tokenAt(a, FERME, ['ReadProducts']), { callback: `${hook.url}/api` }), 403);
      const created = await subscribe(a, a.adminToken, { callback: `${hook.url}/api` });
      expect(created.status, created.text).to.equal(201);
      const row = created.json<Record<string, unknown>>();
      expect(row['eid']).to.equal(null);
      expect((await a.request('DELETE', `/api/dfc/subscriptions/${row['id'] as string}`, { headers: bearer(a.adminToken) })).status).to.equal(204);
    });

    it('refuses a callback that is not an http(s) URL (422), and a body that is not JSON (400)', async () => {
      const token = await tokenAt(a, FERME, ['ReadProducts']);
      for (const callback of ['ftp://x', 'not a URL', '', 'file:///etc/passwd', 'javascript:alert(1)']) {
        expectProblem(await subscribe(a, token, { callback, enterprise: FERME }), 422);
      }
      expectProblem(await subscribe(a, token, { enterprise: FERME }), 422);
      expectProblem(await subscribe(a, token, { callback: 42, enterprise: FERME }), 422);
      expectProblem(await a.request('POST', '/api/dfc/subscriptions', { headers: { ...bearer(token), ...JSON_BODY }, body: '{not json' }), 400);
      expect(await a.node.store.feed.listSubscriptions()).to.deep.equal([]);
    });

    it('a node that does not allow private addresses refuses a private callback (422)', async () => {
      const token = (await issueToken(t.node.store, { eid: FERME, scopes: ['ReadProducts'] })).token;
      for (const callback of [`${hook.url}/api`, 'http://localhost:8080/hook', 'http://10.1.2.3/hook', 'http://[::1]:9000/hook', 'http://169.254.169.254/latest']) {
        const refused = await subscribe(t, token, { callback, enterprise: FERME });
        expectProblem(refused, 422);
      }
      expect(await t.node.store.feed.listSubscriptions()).to.deep.equal([]);
    });
  });

  describe('access to a private enterprise\'s changes', () => {
    it('a subscription to a private enterprise delivers nothing more once its token is revoked', async () => {
      const created = await a.request('POST', '/api/dfc/enterprises?private=true', {
        headers: { ...bearer(a.adminToken), 'content-type': 'application/ld+json' }, body: JSON.stringify(enterpriseBody({ name: 'Ferme Cachée' })),
      });
      expect(created.status, created.text).to.equal(201);
      const eid = decodeURIComponent(created.headers.get('location')?.split('/').pop() ?? '');
      const product = await a.request('POST', `/api/dfc/enterprises/${eid}/supplied_products`, {
        headers: { ...bearer(a.adminToken), 'content-type': 'application/ld+json' }, body: JSON.stringify(nestedProduct({ name: 'Miel caché', stock: 5 })),
      });
      expect(product.status, product.text).to.equal(201);
      const hidden = product.json<{ '@graph': { '@id': string; '@type': string }[] }>()['@graph'].find((n) => n['@type'] === 'dfc-b:CatalogItem')?.['@id'] ?? '';
      const put = async (stock: number): Promise<void> => {
        const response = await a.request('PUT', pathOf(hidden), { headers: { ...bearer(a.adminToken), ...JSON_BODY }, body: JSON.stringify({ 'dfc-b:stockLimitation': stock }) });
        expect(response.status).to.equal(200);
      };
      const { token, row } = await issueToken(a.node.store, { eid, scopes: ['ReadProducts'] });
      const subscription = await subscribe(a, token, { callback: `${hook.url}/revoked`, enterprise: eid });
      expect(subscription.status, subscription.text).to.equal(201);
      await put(6);
      await waitFor('the notification while the token is valid', () => about(hook, '/revoked', hidden).find((n) => n.object['dfc-b:stockLimitation'] === 6));

      expect(await a.node.store.revokeToken(row.id)).to.equal(true);
      expectProblem(await a.request('GET', `/api/dfc/enterprises/${eid}/feed`, { headers: bearer(token) }), 401);
      await put(7);
      await a.node.notifier.round();
      await sleep(800);
      const leaked = about(hook, '/revoked', hidden).filter((n) => n.object['dfc-b:stockLimitation'] === 7);
      console.log('DBG', await a.node.store.feed.latestSeq(eid), (await a.node.store.feed.events(200, 50, eid)).map((e) => [e.seq, e.action, e.iri.slice(-30), (e.record as { stock?: unknown } | null)?.stock]));
      // Clean up before asserting, whatever happens.
      await a.node.store.feed.deleteSubscription(subscription.json<{ id: string }>().id);
      expect(leaked.length, 'notifications of a private enterprise delivered under a revoked token').to.equal(0);
    });
  });

  describe('what a subscriber receives', () => {
    let secret = '';
    const path = '/body';

    before(async () => {
      const created = await subscribe(a, await tokenAt(a, FERME, ['ReadProducts']), { callback: `${hook.url}${path}`, enterprise: FERME });
      expect(created.status, created.text).to.equal(201);
      secret = created.json<{ secret: string }>().secret;
    });

    it('a stock change: an ActivityStreams Update of the catalog item, with the new stock inline, signed', async () => {
      await setStock(item, 33);
      const [notification] = await waitFor('the stock notification', () => {
        const found = about(hook, path, item).filter((n) => n.object['dfc-b:stockLimitation'] === 33);
        return found.length > 0 ? found : undefined;
      });
      expect(notification?.type).to.equal('Update');
      expect(notification?.object.type).to.equal('dfc-b:CatalogItem');
      expect(notification?.object.id).to.equal(item);
      expect(notification?.['@context']).to.include(AS_CONTEXT);
      expect(notification?.actor).to.equal(a.base);
      expect(Number.isNaN(Date.parse(notification?.published ?? ''))).to.equal(false);
      expect(notification?.id).to.match(/^urn:uuid:/u);
      const raw = hook.on(path).find((r) => parse(r).object.id === item);
      expect(raw?.headers['content-type']).to.match(/^application\/ld\+json/u);
    });

    it('a price change: an Update of the offer with dfc-b:hasPrice inline', async () => {
      const response = await a.request('PUT', pathOf(offer), { headers: { ...bearer(writer), ...JSON_BODY }, body: JSON.stringify({ 'dfc-b:hasPrice': 3.1 }) });
      expect(response.status, response.text).to.equal(200);
      const notification = await waitFor('the price notification', () => about(hook, path, offer).find((n) => n.object['dfc-b:hasPrice'] !== undefined));
      expect(notification.type).to.equal('Update');
      expect(notification.object.type).to.equal('dfc-b:Offer');
      const price = notification.object['dfc-b:hasPrice'] as Record<string, unknown>;
      expect(price['dfc-b:value']).to.equal(3.1);
    });

    it('a deletion: a Delete of the product, its item and its offer', async () => {
      const products = (await a.node.store.listResources(FERME, ['SuppliedProduct'])).map((r) => r.record);
      const doomed = products.find((p) => p.kind === 'SuppliedProduct' && p.catalogItems.length > 0 && p.variants.length === 0
        && !(p.catalogItems as readonly string[]).includes(item));
      expect(doomed).to.not.equal(undefined);
      const doomedItem = doomed?.kind === 'SuppliedProduct' ? doomed.catalogItems[0] ?? '' : '';
      const response = await a.request('DELETE', pathOf(doomed?.id ?? ''), { headers: bearer(writer) });
      expect(response.status, response.text).to.equal(204);
      const deletion = await waitFor('the deletion', () => about(hook, path, doomed?.id ?? '').find((n) => n.type === 'Delete'));
      expect(deletion.object.type).to.equal('dfc-b:SuppliedProduct');
      const itemDeletion = await waitFor('the item\'s deletion', () => about(hook, path, doomedItem).find((n) => n.type === 'Delete'));
      expect(itemDeletion.object).to.not.have.property('dfc-b:stockLimitation');
    });

    it('a burst of 5 stock writes to one item is coalesced: fewer notifications, the last with the final stock', async () => {
      // A slow subscriber (300 ms an answer) leaves the writes time to pile up behind the first delivery.
      hook.behaviour.set(path, { delayMs: 300 });
      const before = about(hook, path, item).length;
      for (const stock of [41, 42, 43, 44, 45]) await setStock(item, stock);
      await waitFor('the final stock', () => about(hook, path, item).find((n) => n.object['dfc-b:stockLimitation'] === 45), 5000);
      await sleep(700);
      hook.behaviour.delete(path);
      const burst = about(hook, path, item).slice(before);
      expect(burst.length, burst.map((n) => n.object['dfc-b:stockLimitation']).join(', ')).to.be.within(1, 4);
      expect(burst.at(-1)?.object['dfc-b:stockLimitation']).to.equal(45);
    });

    it('every notification is signed: Maillon-Signature verifies with the secret, and only with it', async () => {
      const all = hook.on(path);
      expect(all.length).to.be.above(3);
      const guard = new ReplayGuard();
      for (const r of all) {
        const header = r.headers[SIGNATURE];
        expect(header, 'Maillon-Signature').to.be.a('string').and.match(/^t=\d+,v1=[0-9a-f]{64}$/u);
        expect(verify(secret, header as string, r.body, guard), r.body.slice(0, 100)).to.deep.equal({ ok: true });
        expect(verify('whsec_someone-else', header as string, r.body, new ReplayGuard()).ok).to.equal(false);
        expect(verify(secret, header as string, `${r.body} `, new ReplayGuard()).ok).to.equal(false);
      }
    });
  });

  describe('node B follows node A through its webhook', () => {
    let peer: PeerRow;
    let secret = '';

    /** B's federated catalogue: the stock of a catalog item, read with n3 from Turtle. */
    const stockAtB = async (iri: string): Promise<number | undefined> => {
      const response = await b.request('GET', '/api/federation/catalog?page_size=10000', { headers: { accept: 'text/turtle' } });
      expect(response.status).to.equal(200);
      const quad = new Parser({ format: 'text/turtle' }).parse(response.text)
        .find((q) => q.subject.value === iri && q.predicate.value === `${DFC_B}stockLimitation`);
      return quad === undefined ? undefined : Number(quad.object.value);
    };
    const peerRow = async (): Promise<PeerRow> => (await b.node.store.provenance.getPeer(peer.id)) as PeerRow;

    before(async () => {
      const token = await tokenAt(a, FERME, ['ReadProducts']);
      const added = await b.request('POST', '/api/sync/peers', {
        headers: { ...bearer(b.adminToken), ...JSON_BODY }, body: JSON.stringify({ url: `${a.base}/api/dfc/enterprises/${FERME}`, name: 'A', token }),
      });
      expect(added.status, added.text).to.equal(201);
      peer = added.json<PeerRow>();
      const summary = await b.sync(peer.id);
      expect(summary.added).to.be.above(10);
      expect(await stockAtB(item)).to.equal(45);
    });

    it('B subscribes at A: A holds a subscription to B\'s notifications endpoint for that peer', async () => {
      const response = await b.request('POST', `/api/sync/peers/${peer.id}/subscribe`, { headers: bearer(b.adminToken) });
      expect(response.status, response.text).to.equal(200);
      const outcome = response.json<{ ok: boolean; subscription: string }>();
      expect(outcome.ok).to.equal(true);
      expect(outcome.subscription.startsWith(`${a.base}/api/dfc/subscriptions/`)).to.equal(true);
      const callback = `${b.base}/api/sync/notifications/${peer.id}`;
      const atA = (await a.node.store.feed.listSubscriptions()).filter((s) => s.callback === callback);
      expect(atA, 'A\'s subscription for B').to.have.length(1);
      expect(atA[0]?.eid).to.equal(FERME);
      const state = await b.node.store.feed.peerFeed(peer.id);
      expect(state.secret).to.equal(atA[0]?.secret);
      expect(state.subscriptionUrl).to.equal(outcome.subscription);
      secret = state.secret ?? '';
      // The attempt is recorded for the network view: made now, no failure.
      const push = await b.node.store.feed.peerPush(peer.id);
      expect(push).to.include({ failures: 0, lastError: null, notifications: 0 });
      expect(Date.now() - Date.parse(push.subscribedAt ?? '')).to.be.within(0, 10_000);
      // Only an admin of B may do it.
      expectProblem(await b.request('POST', `/api/sync/peers/${peer.id}/subscribe`), 401);
    });

    it('a stock change at A reaches B\'s federated catalogue within 2 s, without a sync called on B', async () => {
      const attempted = (await peerRow()).lastAttemptAt;
      await setStock(item, 64);
      const started = Date.now();
      await waitFor('the new stock at B', async () => ((await stockAtB(item)) === 64 ? true : undefined), 4000, 50);
      const delay = Date.now() - started;
      expect(delay, `${delay} ms from A's write to B's catalogue`).to.be.below(2000);
      expect((await peerRow()).lastAttemptAt, 'B synced A on its own').to.not.equal(attempted);
      expect((await b.node.store.feed.peerPush(peer.id)).notifications, 'notifications B received').to.be.greaterThan(0);
    });

    describe('the receiving end refuses what it cannot verify', () => {
      let subscriptionAtA: SubscriptionRow;
      const endpoint = (): string => `/api/sync/notifications/${peer.id}`;
      const body = (stock: number): string => JSON.stringify({
        '@context': [AS_CONTEXT], id: `urn:uuid:${crypto.randomUUID()}`, type: 'Update', published: new Date().toISOString(), actor: a.base,
        object: { id: item, type: 'dfc-b:CatalogItem', 'dfc-b:stockLimitation': stock },
      });
      const post = (text: string, headers: Record<string, string>, to = endpoint()): Promise<TestResponse> =>
        b.request('POST', to, { headers: { 'content-type': 'application/ld+json', ...headers }, body: text });

      before(async () => {
        // A stops notifying B (its subscription is given up), then changes a stock: B does not know until it syncs.
        subscriptionAtA = (await a.node.store.feed.listSubscriptions()).find((s) => s.callback.endsWith(endpoint())) as SubscriptionRow;
        await a.node.store.feed.recordDelivery(subscriptionAtA.id, { ...subscriptionAtA, status: 'dead' });
        await waitFor('B idle', () => (b.node.scheduler.active.length === 0 ? true : undefined));
        await setStock(item, 65);
        await sleep(300);
        expect(await stockAtB(item)).to.equal(64);
      });

      after(async () => {
        const current = await a.node.store.feed.getSubscription(subscriptionAtA.id);
        if (current !== undefined) await a.node.store.feed.recordDelivery(current.id, { ...current, status: 'active', failures: 0, nextAttemptAt: null });
      });

      it('a tampered body, a wrong key, a stale timestamp, a missing or malformed header, an unknown peer: 401 and no sync', async () => {
        const attempted = (await peerRow()).lastAttemptAt;
        const text = body(65);
        const refusals: [string, TestResponse][] = [
          ['tampered body', await post(text, { 'Maillon-Signature': sign(secret, body(1)) })],
          ['wrong key', await post(text, { 'Maillon-Signature': sign('whsec_not-the-secret', text) })],
          ['10 minutes old', await post(text, { 'Maillon-Signature': sign(secret, text, Date.now() - 10 * 60_000) })],
          ['10 minutes ahead', await post(text, { 'Maillon-Signature': sign(secret, text, Date.now() + 10 * 60_000) })],
          ['no header', await post(text, {})],
          ['malformed header', await post(text, { 'Maillon-Signature': 'v1=abc' })],
          ['unknown peer', await post(text, { 'Maillon-Signature': sign(secret, text) }, '/api/sync/notifications/9999')],
        ];
        for (const [why, response] of refusals) {
          expect(response.status, `${why}: ${response.text}`).to.equal(401);
          expectProblem(response, 401);
        }
        await sleep(300);
        expect((await peerRow()).lastAttemptAt, 'no sync of A').to.equal(attempted);
        expect(b.node.scheduler.active).to.deep.equal([]);
        expect(await stockAtB(item), 'B\'s catalogue unchanged').to.equal(64);
      });

      it('a replayed notification: first 202 (and a sync), the same request again 401 (and no sync)', async () => {
        const text = body(65);
        const headers = { 'Maillon-Signature': sign(secret, text) };
        const first = await post(text, headers);
        expect(first.status, first.text).to.equal(202);
        await waitFor('the sync the notification started', async () => ((await stockAtB(item)) === 65 ? true : undefined), 3000, 50);
        await waitFor('B idle', () => (b.node.scheduler.active.length === 0 ? true : undefined));
        const attempted = (await peerRow()).lastAttemptAt;
        const replay = await post(text, headers);
        expectProblem(replay, 401);
        await sleep(300);
        expect((await peerRow()).lastAttemptAt, 'no sync for the replay').to.equal(attempted);
      });
    });
  });

  describe('a dead subscriber', () => {
    const failingPath = '/dead';
    let closedPort = 0;
    let token = '';

    before(async () => {
      hook.behaviour.set(failingPath, { status: 500 });
      closedPort = await freePort();
      token = await tokenAt(a, FERME, ['ReadProducts']);
    });

    it('failures grow with exponential backoff: `failing`, then `dead` after 10; a dead subscription gets nothing more', async () => {
      const ids: string[] = [];
      for (const callback of [`${hook.url}${failingPath}`, `http://127.0.0.1:${closedPort}/hook`]) {
        const created = await subscribe(a, token, { callback, enterprise: FERME });
        expect(created.status, created.text).to.equal(201);
        ids.push(created.json<{ id: string }>().id);
      }
      await setStock(item, 70);
      const row = (id: string): Promise<SubscriptionRow> => a.node.store.feed.getSubscription(id) as Promise<SubscriptionRow>;
      for (const id of ids) await waitFor(`the first failure of ${id}`, async () => ((await row(id)).failures >= 1 ? true : undefined));

      // The bound (10) and the backoff base (1 s) are not configurable: drive the retries by hand, making each one
      // due at once, and check the delay the notifier chose each time.
      const seen = new Map<string, { failures: number; status: string; delayMs: number }[]>(ids.map((id) => [id, []]));
      for (let round = 0; round < 30; round++) {
        const rows = await Promise.all(ids.map(row));
        for (const r of rows) {
          const log = seen.get(r.id) as { failures: number; status: string; delayMs: number }[];
          if (log.at(-1)?.failures !== r.failures) log.push({ failures: r.failures, status: r.status, delayMs: r.nextAttemptAt === null ? -1 : Date.parse(r.nextAttemptAt) - Date.now() });
        }
        if (rows.every((r) => r.status === 'dead')) break;
        for (const r of rows) if (r.status !== 'dead') await a.node.store.feed.recordDelivery(r.id, { ...r, nextAttemptAt: new Date(Date.now() - 1000).toISOString() });
        await a.node.notifier.round();
      }
      for (const id of ids) {
        const final = await row(id);
        expect(final.status, `${final.callback}: ${JSON.stringify(seen.get(id))}`).to.equal('dead');
        expect(final.failures).to.equal(10);
        expect(final.nextAttemptAt).to.equal(null);
        expect(final.lastError).to.be.a('string').and.not.equal('');
        const log = seen.get(id) ?? [];
        for (const entry of log.filter((e) => e.failures < 10)) {
          expect(entry.status, JSON.stringify(entry)).to.equal('failing');
          // Backoff 1 s × 2^(failures − 1), with jitter in [½, 1) of it (less the time since it was chosen).
          const full = 1000 * 2 ** (entry.failures - 1);
          expect(entry.delayMs, JSON.stringify(entry)).to.be.within(full / 2 - 1000, full);
        }
      }
      expect(hook.on(failingPath).length).to.be.at.least(10);

      // Visible to its owner.
      const shown = await a.request('GET', `/api/dfc/subscriptions/${ids[0] as string}`, { headers: bearer(token) });
      expect(shown.json<{ status: string; failures: number }>()).to.include({ status: 'dead', failures: 10 });

      // Dead: never tried again.
      const attempts = hook.on(failingPath).length;
      await setStock(item, 71);
      await a.node.notifier.round();
      await sleep(600);
      expect(hook.on(failingPath).length).to.equal(attempts);
      for (const id of ids) expect((await a.request('DELETE', `/api/dfc/subscriptions/${id}`, { headers: bearer(token) })).status).to.equal(204);
    });

    it('a write is never slowed by a dead or hanging subscriber', async () => {
      const time = async (): Promise<number[]> => {
        const times: number[] = [];
        for (let i = 0; i < 5; i++) times.push(await setStock(item, 80 + i));
        return times.sort((x, y) => x - y);
      };
      const without = await time();
      hook.behaviour.set('/hang', { hang: true });
      const ids: string[] = [];
      for (const callback of [`${hook.url}/hang`, `${hook.url}${failingPath}`, `http://127.0.0.1:${closedPort}/hook`]) {
        const created = await subscribe(a, token, { callback, enterprise: FERME });
        expect(created.status).to.equal(201);
        ids.push(created.json<{ id: string }>().id);
      }
      await setStock(item, 90);
      await waitFor('a delivery hanging', () => (hook.on('/hang').length > 0 ? true : undefined));
      const withDead = await time();
      const median = (xs: number[]): number => xs[Math.floor(xs.length / 2)] as number;
      expect(median(withDead), `with: ${withDead.map(Math.round).join(', ')} ms; without: ${without.map(Math.round).join(', ')} ms`)
        .to.be.below(Math.max(100, 3 * median(without)));
      expect(Math.max(...withDead)).to.be.below(500);
      for (const id of ids) await a.request('DELETE', `/api/dfc/subscriptions/${id}`, { headers: bearer(token) });
      hook.release();
    });

    it('a subscriber that never answers does not hold up the notifications of the others', async () => {
      // A healthy subscriber, and one that hangs (its deliveries wait for the fetch timeout, 30 s by default).
      const healthy = await subscribe(a, token, { callback: `${hook.url}/healthy`, enterprise: FERME });
      const hanging = await subscribe(a, token, { callback: `${hook.url}/hang`, enterprise: FERME });
      expect(healthy.status).to.equal(201);
      expect(hanging.status).to.equal(201);
      await setStock(item, 91);
      await waitFor('the hanging delivery', () => (hook.on('/hang').filter((r) => parse(r).object['dfc-b:stockLimitation'] === 91).length > 0 ? true : undefined));
      await waitFor('the healthy delivery', () => (about(hook, '/healthy', item).some((n) => n.object['dfc-b:stockLimitation'] === 91) ? true : undefined));
      // The next change, while the other delivery still hangs.
      await setStock(item, 92);
      const started = Date.now();
      const arrived = (): true | undefined => (about(hook, '/healthy', item).some((n) => n.object['dfc-b:stockLimitation'] === 92) ? true : undefined);
      let delay: number;
      let released = false;
      try {
        await waitFor('the healthy subscriber\'s next notification', arrived, 3000);
        delay = Date.now() - started;
      } catch {
        // Not there: let the hanging delivery fail now, and see whether that was what held it up.
        hook.release();
        released = true;
        await waitFor('the healthy subscriber\'s next notification, once the hanging delivery failed', arrived, 3000);
        delay = Date.now() - started;
      } finally {
        for (const created of [healthy, hanging]) {
          await a.request('DELETE', `/api/dfc/subscriptions/${created.json<{ id: string }>().id}`, { headers: bearer(token) });
        }
        hook.release();
      }
      expect({ delay: delay < 2000 ? 'under 2 s' : `${delay} ms`, heldUntilTheHangingDeliveryFailed: released },
        'the healthy subscriber\'s notification of the second change').to.deep.equal({ delay: 'under 2 s', heldUntilTheHangingDeliveryFailed: false });
    });
  });
});
