/**
 * The peers API under `/api/sync`, in-process: admin only; adding a peer and every refusal; a peer's detail,
 * sync, subscription and removal; the status of every peer (quarantine, how its changes reach us, our push
 * subscription); our feed and the subscriptions held at it. The peer is a tiny static server on 127.0.0.1.
 */
import { expect } from 'chai';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { serialize } from '../../../server/codec/serialize.js';
import { failure } from '../../../server/errors/failure.js';
import { shownTarget } from '../../../server/http/sync-routes.js';
import type { PeerRow, SyncSummary } from '../../../server/store/federation.js';
import type { SubscribeOutcome } from '../../../server/sync/subscribe.js';
import { startFakePeer, startStaticPeer, type StaticPeer } from '../../helpers/fake-peer.js';
import { bearer, farmRecords, startInProcess, type InProcessNode } from '../../helpers/in-process.js';
import { negativePriceCatalogue } from '../../helpers/sample-records.js';
import { expectProblem } from '../../helpers/write-api.js';

const JSON_TYPE = { 'content-type': 'application/json' };

describe('http: the sync routes', function () {
  let node: InProcessNode;
  let peerServer: StaticPeer;
  let admin: Record<string, string>;
  let enterpriseToken: string;
  let nextSubscribe: SubscribeOutcome = { ok: true, subscription: 'http://peer.test/api/dfc/subscriptions/abc' };
  const subscribed: PeerRow[] = [];

  before(async () => {
    peerServer = await startStaticPeer((origin) => ({
      '/catalog.json': { body: serialize(farmRecords('verger', { origin }), 'jsonld'), contentType: 'application/ld+json' },
      '/bad.json': { body: negativePriceCatalogue(origin), contentType: 'application/ld+json' },
    }));
    node = await startInProcess({
      deps: (deps) => ({
        ...deps,
        subscribe: async (peer) => {
          subscribed.push(peer);
          return nextSubscribe;
        },
      }),
    });
    await node.seed('ferme');
    admin = { ...bearer(node.adminToken), ...JSON_TYPE };
    enterpriseToken = await node.token('ferme');
  });
  after(async () => {
    await node.close();
    await peerServer.close();
  });

  const addPeer = (body: unknown) => node.request('POST', '/api/sync/peers', { headers: admin, body: typeof body === 'string' ? body : JSON.stringify(body) });

  it('every route needs the node admin token: 401 without a token, 403 with an enterprise token', async () => {
    for (const [method, path] of [['GET', '/api/sync/status'], ['GET', '/api/sync/feed'], ['GET', '/api/sync/peers'], ['POST', '/api/sync/peers'], ['GET', '/api/sync/peers/1'],
      ['DELETE', '/api/sync/peers/1'], ['PATCH', '/api/sync/peers/1'], ['POST', '/api/sync/peers/1/sync'], ['POST', '/api/sync/peers/1/subscribe']] as const) {
      const anonymous = await node.request(method, path);
      expect(expectProblem(anonymous, 401).detail, `${method} ${path}`).to.include('admin');
      expect(anonymous.headers.get('www-authenticate')).to.equal('Bearer');
      expectProblem(await node.request(method, path, { headers: bearer(enterpriseToken) }), 403);
    }
  });

  it('refuses a body that is not JSON (400) and every bad field (422)', async () => {
    expect(expectProblem(await addPeer('{url'), 400).detail).to.include('JSON');
    expect(expectProblem(await addPeer({ name: 'x' }), 422).detail).to.equal('url is required');
    expect(expectProblem(await addPeer({ url: 'not a url' }), 422).detail).to.include('not a URL');
    expect(expectProblem(await addPeer({ url: 'ftp://peer.example/' }), 422).detail).to.include('http');
    expect(expectProblem(await addPeer({ url: 'http://user:pw@peer.example/' }), 422).detail).to.include('token');
    expect(expectProblem(await addPeer({ url: `${node.base}/api/dfc/enterprises/ferme` }), 422).detail).to.include('own peer');
    expect(expectProblem(await addPeer({ url: peerServer.url, interval: 'soon' }), 422).detail).to.include('interval');
    expect(expectProblem(await addPeer({ url: peerServer.url, profile: 'dfc-v3' }), 422).detail).to.include('profile');
    expect(expectProblem(await addPeer({ url: peerServer.url, tokenHeader: 'cookie' }), 422).detail).to.include('tokenHeader');
    // A token an HTTP header cannot carry (every sync then failed), and a port no server listens on.
    for (const token of ['a\r\nX-Injected: 1', 'é\u0000x', 'two words', '', 12]) {
      expect(expectProblem(await addPeer({ url: peerServer.url, token }), 422).detail, JSON.stringify(token)).to.include('token');
    }
    expect(expectProblem(await addPeer({ url: 'http://127.0.0.1:0/' }), 422).detail).to.include('port 0');
    expect(expectProblem(await addPeer({ url: peerServer.url, token: 12 }), 422).detail).to.include('token must be');
    // A misspelt field was taken without a word, its setting left at the default.
    expect(expectProblem(await addPeer({ url: peerServer.url, intervall: '1h', tokne: 'secret' }), 422).detail).to.equal(
      'unknown field(s) intervall, tokne; this takes url, name, token, tokenHeader, interval, profile, kind');
    expect((await node.request('GET', '/api/sync/peers', { headers: admin })).json<unknown[]>()).to.deep.equal([]);
  });

  let peerId: number;

  it('adds a peer: 201 with Location, the token never shown; a second one with the same URL or name is 409', async () => {
    const response = await addPeer({ url: `${peerServer.url}/catalog.json`, name: 'verger', token: 's3cret', tokenHeader: 'x-api-token', interval: '5m' });
    expect(response.status, response.text).to.equal(201);
    const peer = response.json<Record<string, unknown>>();
    peerId = peer['id'] as number;
    expect(response.headers.get('location')).to.equal(`/api/sync/peers/${peerId}`);
    expect(peer).to.include({ name: 'verger', url: `${peerServer.url}/catalog.json`, hasToken: true, tokenHeader: 'x-api-token', intervalSeconds: 300, profile: 'dfc-v1' });
    expect(peer).to.not.have.property('token');
    expect(response.text).to.not.include('s3cret');
    expect(expectProblem(await addPeer({ url: `${peerServer.url}/catalog.json`, name: 'autre' }), 409).detail).to.include('URL');
    expect(expectProblem(await addPeer({ url: 'http://127.0.0.1:9/other', name: 'verger' }), 409).detail).to.include('name');
    const list = (await node.request('GET', '/api/sync/peers', { headers: admin })).json<Record<string, unknown>[]>();
    expect(list.map((p) => p['name'])).to.deep.equal(['verger']);
    expect(JSON.stringify(list)).to.not.include('s3cret');
  });

  it('a peer without a name is named after its host', async () => {
    // A token of null is none, as a PATCH takes it.
    const response = await addPeer({ url: 'http://127.0.0.1:9/nothing-here', token: null });
    expect(response.status, response.text).to.equal(201);
    expect(response.json<{ name: string; hasToken: boolean }>()).to.include({ name: '127.0.0.1:9', hasToken: false });
  });

  it('syncs a peer now: the outcome with its summary, and the detail with counts', async () => {
    const response = await node.request('POST', `/api/sync/peers/${peerId}/sync`, { headers: admin });
    expect(response.status).to.equal(200);
    const outcome = response.json<{ ok: boolean; summary: SyncSummary }>();
    expect(outcome.ok, response.text).to.equal(true);
    expect(outcome.summary.added).to.be.greaterThan(0);
    expect(peerServer.log.some((l) => l.path === '/catalog.json')).to.equal(true);
    const detail = await node.request('GET', `/api/sync/peers/${peerId}`, { headers: admin });
    const body = detail.json<{ resources: { active: number; missing: number; withdrawn: number }; quarantine: unknown[]; status: string }>();
    expect(body.status).to.equal('ok');
    expect(body.resources.active).to.equal(outcome.summary.added);
    expect(body.quarantine).to.deep.equal([]);
    const byName = await node.request('GET', '/api/sync/peers/verger', { headers: admin });
    expect(byName.json<{ id: number }>().id).to.equal(peerId);
  });

  it('a failing peer: ok false with the failure, and the status shows the error', async () => {
    const failing = (await node.request('GET', '/api/sync/peers', { headers: admin })).json<PeerRow[]>().find((p) => p.name === '127.0.0.1:9');
    const response = await node.request('POST', `/api/sync/peers/${failing?.id}/sync`, { headers: admin });
    expect(response.status).to.equal(200);
    const outcome = response.json<{ ok: boolean; failure: { kind: string; message: string } }>();
    expect(outcome.ok).to.equal(false);
    expect(outcome.failure.kind).to.be.a('string');
    const status = (await node.request('GET', '/api/sync/status', { headers: admin })).json<{ running: number[]; allowPrivate: boolean; peers: Record<string, unknown>[] }>();
    expect(status.running).to.deep.equal([]);
    expect(status.allowPrivate).to.equal(true);
    const row = status.peers.find((p) => p['id'] === failing?.id);
    expect(row?.['status']).to.equal('failed');
    expect(row?.['lastError']).to.be.a('string').and.not.equal('');
    expect(row?.['failures']).to.equal(1);
    expect(status.peers.find((p) => p['id'] === peerId)?.['lastSummary']).to.have.property('added');
    // The failed peer waits out its backoff and the synced one its interval: nothing is due. This node runs no schedule
    // (as `MAILLON_SYNC_SCHEDULE=off`): it says so, and measures no lag.
    const schedule = (status as unknown as { schedule: { enabled: boolean; concurrency: number; due: number; lagSeconds: number | null; mostOverdue: string | null } }).schedule;
    expect(schedule).to.deep.include({ enabled: false, due: 0, lagSeconds: null, mostOverdue: null });
    expect(schedule.concurrency).to.be.at.least(1);
  });

  it('a peer answering a compressed problem document: the failure and the status hold its decoded text', async () => {
    const problem = JSON.stringify({ type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'the database is down' });
    const failing = await startFakePeer((req, res) => {
      const coding = req.url === '/br.json' ? 'br' : 'gzip';
      res.writeHead(coding === 'br' ? 503 : 500, { 'content-type': 'application/problem+json', 'content-encoding': coding });
      res.end(coding === 'br' ? brotliCompressSync(problem) : gzipSync(problem));
    });
    const added: number[] = [];
    try {
      for (const [path, status] of [['/gzip.json', 'HTTP 500 Internal Server Error'], ['/br.json', 'HTTP 503 Service Unavailable']] as const) {
        const peer = (await addPeer({ url: `${failing.base}${path}`, name: `compressed ${path}` })).json<{ id: number }>();
        added.push(peer.id);
        const outcome = (await node.request('POST', `/api/sync/peers/${peer.id}/sync`, { headers: admin })).json<{ ok: boolean; failure: { kind: string; message: string } }>();
        expect(outcome.ok, path).to.equal(false);
        expect(outcome.failure.kind, path).to.equal('http-status');
        expect(outcome.failure.message, path).to.contain(`${status}: ${problem}`);
        const statusBody = (await node.request('GET', '/api/sync/status', { headers: admin })).json<{ peers: Record<string, unknown>[] }>();
        const lastError = statusBody.peers.find((p) => p['id'] === peer.id)?.['lastError'];
        expect(lastError, path).to.be.a('string').and.contain('the database is down');
        // Nothing of the coded bytes: no replacement character, no control character.
        expect([...(lastError as string)].every((c) => c >= ' ' && c !== '\ufffd'), path).to.equal(true);
      }
    } finally {
      for (const id of added) await node.request('DELETE', `/api/sync/peers/${id}`, { headers: admin });
      await failing.close();
    }
  });

  it('subscribes to a peer through the subscribe part: 200 with the outcome, 422 when it fails', async () => {
    const ok = await node.request('POST', `/api/sync/peers/${peerId}/subscribe`, { headers: admin });
    expect(ok.status).to.equal(200);
    expect(ok.json()).to.deep.equal(nextSubscribe);
    expect(subscribed.at(-1)?.id).to.equal(peerId);
    nextSubscribe = { ok: false, failure: failure('discovery', 'the peer does not take subscriptions') };
    const refused = expectProblem(await node.request('POST', `/api/sync/peers/${peerId}/subscribe`, { headers: admin }), 422);
    expect(refused.detail).to.equal('cannot subscribe: the peer does not take subscriptions');
  });

  it('PATCH changes a peer\'s token, header, interval, name and profile, merge-patch style, and keeps its data', async () => {
    const patch = (body: unknown, id: number | string = peerId) => node.request('PATCH', `/api/sync/peers/${id}`, { headers: admin, body: JSON.stringify(body) });
    const before = (await node.request('GET', `/api/sync/peers/${peerId}`, { headers: admin })).json<{ resources: { active: number } }>();
    const response = await patch({ token: 'n3w', tokenHeader: 'authorization', interval: '1h' });
    expect(response.status, response.text).to.equal(200);
    expect(response.json()).to.include({ id: peerId, name: 'verger', hasToken: true, tokenHeader: 'authorization', intervalSeconds: 3600, profile: 'dfc-v1' });
    expect(response.text).not.to.include('n3w');
    expect((await node.store.provenance.getPeer(peerId))?.token).to.equal('n3w');
    expect(expectProblem(await patch({ token: 'é\u0000x' }), 422).detail).to.include('visible ASCII');
    expect((await node.store.provenance.getPeer(peerId))?.token).to.equal('n3w');
    const renamed = await node.request('PATCH', `/api/sync/peers/${peerId}`, {
      headers: { ...admin, 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ name: 'verger-bio', token: null, profile: 'dfc-v2' }),
    });
    expect(renamed.json()).to.include({ name: 'verger-bio', hasToken: false, intervalSeconds: 3600, profile: 'dfc-v2' });
    expect((await patch({})).json()).to.include({ name: 'verger-bio', hasToken: false });
    const after = (await node.request('GET', '/api/sync/peers/verger-bio', { headers: admin })).json<{ resources: { active: number } }>();
    expect(after.resources.active).to.equal(before.resources.active).and.to.be.greaterThan(0);
    // Every refusal names the field, and changes nothing.
    expect(expectProblem(await patch({ url: 'http://elsewhere.test/' }), 422).detail).to.match(/^unknown field\(s\) url;/u);
    expect(expectProblem(await patch({ interval: 'often' }), 422).detail).to.include('interval');
    expect(expectProblem(await patch({ interval: 0 }), 422).detail).to.include('interval');
    expect(expectProblem(await patch({ token: 42 }), 422).detail).to.include('token');
    expect(expectProblem(await patch({ tokenHeader: 'cookie' }), 422).detail).to.include('tokenHeader');
    expect(expectProblem(await patch({ profile: 'dfc-v3' }), 422).detail).to.include('profile');
    expect(expectProblem(await patch({ name: '' }), 422).detail).to.include('name');
    expect(expectProblem(await patch({ name: '127.0.0.1:9', interval: '5m' }), 409).detail).to.include('127.0.0.1:9');
    expectProblem(await node.request('PATCH', `/api/sync/peers/${peerId}`, { headers: admin, body: '[1]' }), 400);
    expectProblem(await node.request('PATCH', `/api/sync/peers/${peerId}`, { headers: bearer(node.adminToken), body: '{}' }), 415);
    expect((await node.request('GET', `/api/sync/peers/${peerId}`, { headers: admin })).json()).to.include({ name: 'verger-bio', intervalSeconds: 3600 });
    expect((await patch({ name: 'verger' })).status).to.equal(200);
    // A new token for a failed peer: it is due now, not after the backoff its old token may have caused.
    const failing = (await node.request('GET', '/api/sync/peers', { headers: admin })).json<PeerRow[]>().find((p) => p.name === '127.0.0.1:9');
    expect(failing?.nextAttemptAt).to.be.a('string');
    expect((await patch({ token: 'fresh' }, failing?.id)).json()).to.include({ nextAttemptAt: null, failures: 1, hasToken: true });
    // An interval alone leaves the backoff as it is.
    const again = (await node.request('POST', `/api/sync/peers/${failing?.id}/sync`, { headers: admin })).json<{ ok: boolean }>();
    expect(again.ok).to.equal(false);
    expect((await patch({ interval: '10m' }, failing?.id)).json<PeerRow>().nextAttemptAt).to.be.a('string');
  });

  it('PATCH of a shorter interval reschedules the peer: due the new interval after its last sync, not the old one', async () => {
    const added = (await addPeer({ url: `${peerServer.url}/catalog.json?daily`, name: 'daily', interval: '1d' })).json<PeerRow>();
    try {
      expect((await node.request('POST', `/api/sync/peers/${added.id}/sync`, { headers: admin })).json()).to.include({ ok: true });
      const synced = (await node.request('GET', `/api/sync/peers/${added.id}`, { headers: admin })).json<PeerRow>();
      expect(Date.parse(synced.nextAttemptAt ?? '') - Date.parse(synced.lastAttemptAt ?? '')).to.be.greaterThan(80_000_000);
      const patched = (await node.request('PATCH', `/api/sync/peers/${added.id}`, { headers: admin, body: JSON.stringify({ interval: '2s' }) })).json<PeerRow>();
      expect(patched.intervalSeconds).to.equal(2);
      expect(Date.parse(patched.nextAttemptAt ?? '') - Date.parse(synced.lastAttemptAt ?? '')).to.equal(2_000);
      // Back to a day: the next sync keeps its time; the day applies from the sync after.
      const longer = (await node.request('PATCH', `/api/sync/peers/${added.id}`, { headers: admin, body: JSON.stringify({ interval: '1d' }) })).json<PeerRow>();
      expect(longer).to.include({ intervalSeconds: 86_400, nextAttemptAt: patched.nextAttemptAt });
    } finally {
      await node.request('DELETE', `/api/sync/peers/${added.id}`, { headers: admin });
    }
  });

  it('the status counts each peer\'s quarantine; the peer\'s detail lists the records with their problems', async () => {
    const added = await addPeer({ url: `${peerServer.url}/bad.json`, name: 'rucher' });
    const rucher = added.json<{ id: number }>().id;
    const synced = (await node.request('POST', `/api/sync/peers/${rucher}/sync`, { headers: admin })).json<{ ok: boolean; summary: SyncSummary }>();
    expect(synced.summary.quarantined, JSON.stringify(synced)).to.equal(1);
    const status = (await node.request('GET', '/api/sync/status', { headers: admin })).json<{ peers: Record<string, unknown>[] }>();
    expect(status.peers.find((p) => p['id'] === rucher)?.['quarantined']).to.equal(1);
    expect(status.peers.find((p) => p['id'] === peerId)?.['quarantined']).to.equal(0);
    const detail = (await node.request('GET', `/api/sync/peers/${rucher}`, { headers: admin })).json<{ quarantine: { iri: string; type: string; problems: { code: string; message: string }[] }[] }>();
    expect(detail.quarantine).to.have.length(1);
    expect(detail.quarantine[0]?.iri).to.equal(`${peerServer.url}/api/dfc/enterprises/rucher/offers/gelee`);
    expect(detail.quarantine[0]?.problems[0]?.message).to.include('negative');
    await node.request('DELETE', `/api/sync/peers/${rucher}`, { headers: admin });
  });

  it('the status says how each peer\'s changes reach us and our push subscription there, never its secret', async () => {
    type Status = { peers: { id: number; changes: Record<string, unknown>; push: Record<string, unknown> }[] };
    const status = async (): Promise<Status['peers']> => (await node.request('GET', '/api/sync/status', { headers: admin })).json<Status>().peers;
    // Synced, no discovery document: snapshots at its interval (1 h since the PATCH above), no subscription.
    expect((await status()).find((p) => p.id === peerId)).to.deep.include({
      changes: { via: 'interval', read: 'snapshot', intervalSeconds: 3600, feed: null, cursor: null },
      push: { state: 'none', subscription: null, subscribedAt: null, lastNotificationAt: null, notifications: 0, failures: 0, lastError: null },
    });
    // Subscribed (as subscribeToPeer leaves it), with a notification received.
    await node.store.feed.setPeerFeed(peerId, { feedUrl: `${peerServer.url}/feed`, cursor: 12, secret: 'webhook-s3cret', subscriptionUrl: `${peerServer.url}/api/dfc/subscriptions/x` });
    await node.store.feed.recordPeerSubscribe(peerId, '2026-01-01T10:00:00.000Z', null);
    await node.store.feed.recordPeerNotification(peerId, '2026-01-01T10:05:00.000Z');
    const response = await node.request('GET', '/api/sync/status', { headers: admin });
    expect(response.text).to.not.include('webhook-s3cret').and.not.include('s3cret');
    expect(response.json<Status>().peers.find((p) => p.id === peerId)).to.deep.include({
      changes: { via: 'push', read: 'feed', intervalSeconds: 3600, feed: `${peerServer.url}/feed`, cursor: 12 },
      push: {
        state: 'subscribed', subscription: `${peerServer.url}/api/dfc/subscriptions/x`, subscribedAt: '2026-01-01T10:00:00.000Z',
        lastNotificationAt: '2026-01-01T10:05:00.000Z', notifications: 1, failures: 0, lastError: null,
      },
    });
    // Never subscribed, and the attempts failed.
    const failing = (await status()).find((p) => p.id !== peerId) as Status['peers'][number];
    await node.store.feed.recordPeerSubscribe(failing.id, '2026-01-01T10:00:00.000Z', 'discovery: the peer does not take subscriptions');
    expect((await status()).find((p) => p.id === failing.id)?.push).to.include({ state: 'failing', failures: 1, lastError: 'discovery: the peer does not take subscriptions' });
  });

  it('GET /api/sync/feed: our feed\'s state, and each subscription held at it without secret, token or callback query', async () => {
    const callback = 'http://127.0.0.1:9/hooks/maillon?key=query-s3cret';
    const created = await node.request('POST', '/api/dfc/subscriptions', { headers: admin, body: JSON.stringify({ callback, enterprise: 'ferme' }) });
    expect(created.status, created.text).to.equal(201);
    const secret = created.json<{ secret: string }>().secret;
    type Feed = { feed: Record<string, unknown>; subscriptions: Record<string, unknown>[] };
    const response = await node.request('GET', '/api/sync/feed', { headers: admin });
    expect(response.status).to.equal(200);
    expect(response.text).to.not.include(secret).and.not.include('query-s3cret');
    const body = response.json<Feed>();
    const stats = await node.store.feed.stats();
    expect(stats.latestSeq).to.be.greaterThan(0);
    expect(body.feed).to.deep.equal({
      url: `${node.base}/api/dfc/feed`, latestSeq: stats.latestSeq, lastEventAt: stats.lastEventAt, events: stats.events, stream: stats.streamId,
    });
    const row = body.subscriptions.find((s) => s['id'] === created.json<{ id: string }>().id);
    expect(row).to.deep.include({ enterprise: 'ferme', target: 'http://127.0.0.1:9/hooks/maillon?…', status: 'active', failures: 0, lastDeliveryAt: null, upToDate: true });
    expect(row).to.have.all.keys('id', 'enterprise', 'target', 'createdAt', 'status', 'failures', 'lastDeliveryAt', 'nextAttemptAt', 'lastError', 'deliveredSeq', 'upToDate');
    // A change to the watched enterprise: the subscription is behind until it is delivered (never, to port 9).
    await node.catalog.importRecords('ferme', farmRecords('ferme').map((r) => (r.kind === 'CatalogItem' ? { ...r, stock: 77 } : r)));
    const after = (await node.request('GET', '/api/sync/feed', { headers: admin })).json<Feed>();
    expect(after.subscriptions.find((s) => s['id'] === row?.['id'])?.['upToDate']).to.equal(false);
    expect(after.feed['latestSeq']).to.be.greaterThan(stats.latestSeq);
  });

  it('an unknown peer is 404 on every route', async () => {
    for (const [method, path] of [['GET', '/api/sync/peers/999'], ['DELETE', '/api/sync/peers/999'], ['PATCH', '/api/sync/peers/999'], ['POST', '/api/sync/peers/999/sync'],
      ['POST', '/api/sync/peers/nobody/subscribe']] as const) {
      expect(expectProblem(await node.request(method, path, { headers: admin }), 404).detail).to.include('no peer');
    }
  });

  it('removes a peer with its data: 204, then 404, and its offers leave the federated catalogue', async () => {
    const before = (await node.request('GET', '/api/federation/catalog.csv')).text;
    expect(before).to.include(peerServer.url);
    expect((await node.request('DELETE', `/api/sync/peers/${peerId}`, { headers: admin })).status).to.equal(204);
    expectProblem(await node.request('GET', `/api/sync/peers/${peerId}`, { headers: admin }), 404);
    expect((await node.request('GET', '/api/federation/catalog.csv')).text).to.not.include(peerServer.url);
  });

  it('refuses a loopback peer unless private peers are allowed', async () => {
    const strict = await startInProcess({ allowPrivate: false });
    try {
      const response = await strict.request('POST', '/api/sync/peers', {
        headers: { ...bearer(strict.adminToken), ...JSON_TYPE }, body: JSON.stringify({ url: peerServer.url }),
      });
      expect(expectProblem(response, 422).detail).to.include('--allow-private');
    } finally {
      await strict.close();
    }
  });
});

describe('http: a subscriber\'s target as the network view shows it', () => {
  it('keeps the origin and path, and drops what may be a credential: user, password, query; a fragment is nobody\'s business', () => {
    expect(shownTarget('https://shop.example/hooks/maillon')).to.equal('https://shop.example/hooks/maillon');
    expect(shownTarget('https://user:pw@shop.example/hook?key=abc&x=1#top')).to.equal('https://shop.example/hook?…');
    expect(shownTarget('http://127.0.0.1:8080/api/sync/notifications/3#x')).to.equal('http://127.0.0.1:8080/api/sync/notifications/3');
    expect(shownTarget('not a url')).to.equal('?');
  });
});
