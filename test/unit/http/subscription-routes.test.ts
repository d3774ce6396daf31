/**
 * Webhook subscriptions under `/api/dfc/subscriptions` and the receiving end under
 * `/api/sync/notifications/{peer}`, in-process: who may subscribe to what, every refusal, who sees which
 * subscription; signed notifications accepted (202, and the peer is synced) or refused (401).
 */
import { expect } from 'chai';
import { serialize } from '../../../server/codec/serialize.js';
import { sign } from '../../../server/feed/signature.js';
import type { PeerRow } from '../../../server/store/federation.js';
import { startStaticPeer, type StaticPeer } from '../../helpers/fake-peer.js';
import { bearer, farmRecords, startInProcess, type InProcessNode } from '../../helpers/in-process.js';
import { expectProblem } from '../../helpers/write-api.js';

const JSON_TYPE = { 'content-type': 'application/json' };
const CALLBACK = 'http://127.0.0.1:9/hook';

interface Subscription { id: string; secret?: string; callback: string; eid: string | null; status: string; deliveredSeq: number; tokenId?: string }

describe('http: webhook subscriptions', function () {
  let node: InProcessNode;
  let ferme: string;
  let voisin: string;
  let woken = 0;

  before(async () => {
    node = await startInProcess({
      deps: (deps) => ({ ...deps, onChange: () => { woken++; } }),
    });
    await node.seed('ferme');
    await node.seed('voisin');
    ferme = await node.token('ferme', ['ReadProducts']);
    voisin = await node.token('voisin', ['ReadProducts']);
  });
  after(async () => node.close());

  const subscribe = (token: string | undefined, body: unknown) => node.request('POST', '/api/dfc/subscriptions', {
    headers: { ...(token !== undefined ? bearer(token) : {}), ...JSON_TYPE }, body: typeof body === 'string' ? body : JSON.stringify(body),
  });

  it('refuses bodies that are not a JSON object (400) and bad fields (422)', async () => {
    expectProblem(await subscribe(ferme, '[1, 2]'), 400);
    expectProblem(await subscribe(ferme, 'callback='), 400);
    expect(expectProblem(await subscribe(ferme, { enterprise: 42, callback: CALLBACK }), 422).detail).to.include('enterprise');
    expect(expectProblem(await subscribe(ferme, { enterprise: 'ferme' }), 422).detail).to.include('callback');
    expect(expectProblem(await subscribe(ferme, { enterprise: 'ferme', callback: 'ftp://x.example/' }), 422).detail).to.equal('callback refused: a callback URL must be http or https');
    // In a callback's words, never a peer's.
    for (const callback of ['ftp://x.example/', 'https://user:pw@x.example/hook', 'http://0/hook', 'http://0.0.0.0/hook']) {
      const detail = expectProblem(await subscribe(ferme, { enterprise: 'ferme', callback }), 422).detail;
      expect(detail, callback).to.match(/^callback refused: /u).and.not.match(/peer/u);
    }
    expect(expectProblem(await subscribe(ferme, { enterprise: 'ferme', callback: CALLBACK, secret: 'mine' }), 422).detail).to.include('unknown field(s) secret');
  });

  it('the whole node needs the admin token; an enterprise needs ReadProducts on it', async () => {
    expectProblem(await subscribe(undefined, { callback: CALLBACK }), 401);
    expect(expectProblem(await subscribe(ferme, { callback: CALLBACK }), 403).detail).to.include('admin');
    expectProblem(await subscribe(undefined, { enterprise: 'ferme', callback: CALLBACK }), 401);
    expectProblem(await subscribe(voisin, { enterprise: 'ferme', callback: CALLBACK }), 403);
    const writeOnly = await node.token('ferme', ['WriteProducts']);
    expect(expectProblem(await subscribe(writeOnly, { enterprise: 'ferme', callback: CALLBACK }), 403).detail).to.include('ReadProducts');
    expectProblem(await subscribe(node.adminToken, { enterprise: 'nobody', callback: CALLBACK }), 404);
  });

  let mine: Subscription;

  it('creates a subscription: 201, Location, the secret once, from the current head of the feed; wakes the notifier', async () => {
    const before = woken;
    const head = await node.store.feed.latestSeq('ferme');
    expect(head).to.be.greaterThan(0);
    const response = await subscribe(ferme, { enterprise: 'ferme', callback: CALLBACK });
    expect(response.status, response.text).to.equal(201);
    mine = response.json<Subscription>();
    expect(mine.secret).to.match(/^whsec_/u);
    expect(mine).to.include({ callback: CALLBACK, eid: 'ferme', status: 'active', deliveredSeq: head });
    expect(mine).to.not.have.property('tokenId');
    expect(response.headers.get('location')).to.equal(`${node.base}/api/dfc/subscriptions/${mine.id}`);
    expect(woken).to.equal(before + 1);
    // The same callback again, by the same token, to the same changes: 409 pointing at the one it has (each change
    // would otherwise be delivered twice).
    const again = await subscribe(ferme, { enterprise: 'ferme', callback: CALLBACK });
    expect(expectProblem(again, 409).detail).to.include(mine.id);
    expect(again.headers.get('location')).to.equal(`${node.base}/api/dfc/subscriptions/${mine.id}`);
    expect(woken).to.equal(before + 1);
    // Several at once make one.
    const racing = await Promise.all([1, 2, 3, 4].map(() => subscribe(ferme, { enterprise: 'ferme', callback: `${CALLBACK}/racing` })));
    expect(racing.map((r) => r.status).sort()).to.deep.equal([201, 409, 409, 409]);
    const held = (await node.store.feed.listSubscriptions()).filter((r) => r.callback === `${CALLBACK}/racing`);
    expect(held).to.have.length(1);
    await node.store.feed.deleteSubscription((held[0] as { id: string }).id);
  });

  it('the admin subscribes to the whole node', async () => {
    const response = await subscribe(node.adminToken, { callback: `${CALLBACK}/all` });
    expect(response.status).to.equal(201);
    expect(response.json<Subscription>().eid).to.equal(null);
  });

  it('lists: an enterprise token sees its own subscriptions, the admin every one, nobody else anything', async () => {
    expectProblem(await node.request('GET', '/api/dfc/subscriptions'), 401);
    const own = (await node.request('GET', '/api/dfc/subscriptions', { headers: bearer(ferme) })).json<Subscription[]>();
    expect(own.map((s) => s.id)).to.deep.equal([mine.id]);
    expect(own[0]).to.not.have.property('secret');
    expect((await node.request('GET', '/api/dfc/subscriptions', { headers: bearer(voisin) })).json()).to.deep.equal([]);
    expect((await node.request('GET', '/api/dfc/subscriptions', { headers: bearer(node.adminToken) })).json<Subscription[]>()).to.have.length(2);
  });

  it('shows one subscription to its owner and the admin; 404 to anyone else, 401 without a token', async () => {
    const path = `/api/dfc/subscriptions/${mine.id}`;
    const own = await node.request('GET', path, { headers: bearer(ferme) });
    expect(own.status).to.equal(200);
    expect(own.json<Subscription>()).to.include({ id: mine.id, status: 'active' }).and.not.have.property('secret');
    expect((await node.request('GET', path, { headers: bearer(node.adminToken) })).status).to.equal(200);
    expectProblem(await node.request('GET', path, { headers: bearer(voisin) }), 404);
    expectProblem(await node.request('GET', path), 401);
    expectProblem(await node.request('GET', '/api/dfc/subscriptions/nope', { headers: bearer(node.adminToken) }), 404);
    expectProblem(await node.request('DELETE', path, { headers: bearer(voisin) }), 404);
  });

  it('deletes a subscription: 204, then 404', async () => {
    const path = `/api/dfc/subscriptions/${mine.id}`;
    expect((await node.request('DELETE', path, { headers: bearer(ferme) })).status).to.equal(204);
    expectProblem(await node.request('GET', path, { headers: bearer(ferme) }), 404);
  });

  it('refuses a loopback callback unless private addresses are allowed', async () => {
    const strict = await startInProcess({ allowPrivate: false });
    try {
      const response = await strict.request('POST', '/api/dfc/subscriptions', {
        headers: { ...bearer(strict.adminToken), ...JSON_TYPE }, body: JSON.stringify({ callback: CALLBACK }),
      });
      expect(expectProblem(response, 422).detail).to.include('callback refused').and.include('private');
    } finally {
      await strict.close();
    }
  });
});

describe('http: signed notifications from a peer', function () {
  let node: InProcessNode;
  let peerServer: StaticPeer;
  let peer: PeerRow;
  let bare: PeerRow;
  const secret = 'whsec_test-secret';

  before(async () => {
    peerServer = await startStaticPeer((origin) => ({
      '/catalog.json': { body: serialize(farmRecords('verger', { origin }), 'jsonld'), contentType: 'application/ld+json' },
    }));
    node = await startInProcess();
    peer = await node.store.provenance.addPeer({ name: 'verger', url: `${peerServer.url}/catalog.json` }, peerServer.url);
    bare = await node.store.provenance.addPeer({ name: 'sans-secret', url: 'http://127.0.0.1:9/' }, 'http://127.0.0.1:9');
    await node.store.feed.setPeerFeed(peer.id, { secret });
  });
  after(async () => {
    await node.close();
    await peerServer.close();
  });

  const notify = (peerId: number | string, body: string, signature: string | undefined) => node.request('POST', `/api/sync/notifications/${peerId}`, {
    headers: { 'content-type': 'application/ld+json', ...(signature !== undefined ? { 'maillon-signature': signature } : {}) }, body,
  });

  it('refuses, with one 401 for all, an unknown peer, a peer we have no secret for, and a bad or missing signature', async () => {
    const body = JSON.stringify({ type: 'Update' });
    const answers = [
      await notify(999, body, sign(secret, body)),
      await notify('abc', body, sign(secret, body)),
      await notify(bare.id, body, sign(secret, body)),
      await notify(peer.id, body, sign('whsec_other', body)),
      await notify(peer.id, body, undefined),
      await notify(peer.id, body, 't=1,v1=zz'),
      await notify(peer.id, `${body} `, sign(secret, body)),
      await notify(peer.id, body, sign(secret, body, Date.now() - 10 * 60_000)),
    ];
    const details = answers.map((a) => expectProblem(a, 401).detail);
    // An unknown peer, one we hold no secret for, a wrong key and a tampered body: one answer, nothing to learn by probing.
    expect(details[0]).to.equal('notification refused: no subscription for this peer, or a signature that does not match');
    for (const i of [1, 2, 3, 6]) expect(details[i], String(i)).to.equal(details[0]);
    expect(details[4]).to.include('no Maillon-Signature header');
    expect(details[5]).to.include('malformed');
    expect(details[7]).to.include('replay window');
    // A header's form and time are judged alike whatever the peer: an unknown one is told what a known one is.
    const unknown = [await notify(999, body, undefined), await notify(999, body, 't=1,v1=zz'), await notify(999, body, sign(secret, body, Date.now() - 10 * 60_000))];
    expect(unknown.map((a) => expectProblem(a, 401).detail)).to.deep.equal([details[4], details[5], details[7]]);
    expect(peerServer.log).to.deep.equal([]);
    // Nothing refused is counted as received.
    expect((await node.store.feed.peerPush(peer.id)).notifications).to.equal(0);
  });

  it('refuses a notification signed with an empty or short secret a peer gave before such secrets were refused (anyone could sign it)', async () => {
    const body = JSON.stringify({ type: 'Update' });
    for (const weak of ['', 'short']) {
      const lax = await node.store.provenance.addPeer({ name: `lax-${weak.length}`, url: `http://127.0.0.${weak.length + 2}:9/` }, `http://127.0.0.${weak.length + 2}:9`);
      await node.store.feed.setPeerFeed(lax.id, { secret: weak });
      const refused = expectProblem(await notify(lax.id, body, sign(weak, body)), 401);
      expect(refused.detail).to.equal('notification refused: no subscription for this peer, or a signature that does not match');
      expect((await node.store.feed.peerPush(lax.id)).notifications).to.equal(0);
    }
  });

  it('accepts a signed notification with 202, counts it and syncs the peer; the same notification again is a replay (401)', async () => {
    const body = JSON.stringify({ type: 'Update', object: { id: `${peerServer.url}/x` } });
    const signature = sign(secret, body);
    const accepted = await notify(peer.id, body, signature);
    expect(accepted.status).to.equal(202);
    expect(accepted.text).to.equal('');
    expect(expectProblem(await notify(peer.id, body, signature), 401).detail).to.include('replayed');
    // The network view sees it: one received (the replay is not counted), and when.
    const push = await node.store.feed.peerPush(peer.id);
    expect(push.notifications).to.equal(1);
    expect(Date.now() - Date.parse(push.lastNotificationAt ?? '')).to.be.within(0, 10_000);
    const deadline = Date.now() + 10_000;
    let status = 'new';
    while (status !== 'ok' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = (await node.store.provenance.getPeer(peer.id))?.status ?? '';
    }
    expect(status).to.equal('ok');
    expect(peerServer.log.some((l) => l.path === '/catalog.json')).to.equal(true);
  });
});
