/**
 * The webhook notifier on a real store, with a fake `post` (no network): one signed notification per changed
 * resource (a burst coalesced to its latest version), retries with backoff, `dead` after N failures, recovery,
 * revoked tokens and enterprise scoping, and the poll that finds deliveries nothing woke.
 */
import { expect } from 'chai';
import type { CatalogItemRecord, OfferRecord } from '../../../ontology/records.js';
import { issueToken } from '../../../server/auth/tokens.js';
import { notificationId, notificationOf, withoutQuery, type ChangeNotification } from '../../../server/feed/notifier.js';
import { ReplayGuard, SIGNATURE_HEADER, verify } from '../../../server/feed/signature.js';
import type { FetchPolicy, SafeFetchOutcome, SafeRequest } from '../../../server/net/safe-fetch.js';
import type { FeedEvent, SubscriptionRow } from '../../../server/store/feed.js';
import { SqliteStore } from '../../../server/store/sqlite/sqlite-store.js';
import { startInProcess, type InProcessNode } from '../../helpers/in-process.js';

const CALLBACK = 'http://127.0.0.1:9/hook';
const SECRET = 'whsec_notifier-test';

/** A fake transport: records every request and answers what `state` says. */
function fakeTransport() {
  const sent: SafeRequest[] = [];
  /** `failEvery`: every Nth request (counted in `posts`) fails too, when above 0. */
  const state = { fail: false, failEvery: 0, posts: 0 };
  const fetch = async (request: SafeRequest): Promise<SafeFetchOutcome> => {
    sent.push(request);
    state.posts += 1;
    return state.fail || (state.failEvery > 0 && state.posts % state.failEvery === 0)
      ? { ok: false, failure: { kind: 'http-status', message: 'HTTP 500', url: request.url, status: 500 } }
      : { ok: true, response: { url: request.url, status: 200, headers: {}, body: Buffer.alloc(0) } };
  };
  return { sent, state, fetch };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const stockBody = (stock: number) => ({ text: JSON.stringify({ 'dfc-b:stockLimitation': stock }), mediaType: 'application/json' });

describe('feed: the notifier', function () {
  let node: InProcessNode;
  const fake = fakeTransport();
  let n = 0;

  before(async () => {
    node = await startInProcess({ notifier: { fetch: fake.fetch, maxFailures: 3, baseBackoffMs: 1 } });
    await node.seed('ferme');
    await node.seed('voisin');
  });
  after(async () => node.close());
  beforeEach(() => {
    fake.sent.length = 0;
    fake.state.fail = false;
    fake.state.failEvery = 0;
    fake.state.posts = 0;
  });

  /** A subscription from `after` (default: the head), created without waking the notifier. */
  async function subscription(options: { eid?: string | null; after?: number; tokenId?: string | null } = {}): Promise<SubscriptionRow> {
    const eid = options.eid === undefined ? 'ferme' : options.eid;
    return node.store.feed.createSubscription({
      id: `sub-${++n}`, tokenId: options.tokenId ?? null, eid, callback: `${CALLBACK}/${n}`, secret: SECRET, createdAt: new Date().toISOString(),
      deliveredSeq: options.after ?? await node.store.feed.latestSeq(eid ?? undefined),
    });
  }

  /** Writes, then lets the rounds those writes woke pass (they find no subscription yet). */
  async function quietly(write: () => Promise<unknown>): Promise<number> {
    const head = await node.store.feed.latestSeq();
    await write();
    await sleep(50);
    return head;
  }

  const posted = (sub: SubscriptionRow) => fake.sent.filter((r) => r.url === sub.callback);
  const bodyOf = (request: SafeRequest): ChangeNotification => JSON.parse(String(request.body ?? '')) as ChangeNotification;

  it('sends one signed notification per changed resource, with the latest stock inline, and advances the cursor', async () => {
    const head = await quietly(async () => {
      for (const stock of [5, 6, 7]) await node.catalog.updateCatalogItem('ferme', 'tomate', stockBody(stock));
    });
    const sub = await subscription({ after: head });
    await node.notifier.round();
    const requests = posted(sub);
    // The item and the offer that mirrors its stock, each once, though each changed three times.
    expect(requests.map((r) => bodyOf(r).object['id']).sort()).to.deep.equal([
      `${node.base}/api/dfc/enterprises/ferme/catalog_items/tomate`, `${node.base}/api/dfc/enterprises/ferme/offers/tomate`,
    ]);
    for (const request of requests) {
      const notification = bodyOf(request);
      expect(notification.type).to.equal('Update');
      expect(notification.actor).to.equal(node.base);
      expect(notification.id).to.match(/^urn:uuid:/u);
      expect(notification.object['dfc-b:stockLimitation']).to.equal(7);
      expect(notification.object['maillon:feed']).to.equal(`${node.base}/api/dfc/feed`);
      expect(request.method).to.equal('POST');
      expect(request.headers?.['content-type']).to.equal('application/ld+json');
      expect(verify(SECRET, request.headers?.[SIGNATURE_HEADER], String(request.body ?? ''), new ReplayGuard())).to.deep.equal({ ok: true });
    }
    const after = await node.store.feed.getSubscription(sub.id);
    expect(after).to.include({ status: 'active', failures: 0, lastError: null, deliveredSeq: await node.store.feed.latestSeq('ferme') });
    expect(after?.lastDeliveryAt).to.be.a('string');
    fake.sent.length = 0;
    await node.notifier.round();
    expect(posted(sub)).to.deep.equal([]);
    await node.store.feed.deleteSubscription(sub.id);
  });

  it('a failed delivery marks the subscription failing with the error, keeps the cursor, and retries after a backoff', async () => {
    const head = await quietly(() => node.catalog.updateCatalogItem('ferme', 'carottes', stockBody(3)));
    const sub = await subscription({ after: head });
    fake.state.fail = true;
    await node.notifier.round();
    const failing = await node.store.feed.getSubscription(sub.id);
    expect(failing).to.include({ status: 'failing', failures: 1, lastError: 'http-status: HTTP 500', deliveredSeq: head });
    expect(failing?.nextAttemptAt).to.be.a('string');
    fake.state.fail = false;
    await sleep(10);
    await node.notifier.round();
    const recovered = await node.store.feed.getSubscription(sub.id);
    expect(recovered).to.include({ status: 'active', failures: 0, lastError: null, nextAttemptAt: null });
    expect(recovered?.deliveredSeq).to.be.greaterThan(head);
    // The failed round stopped at its first notification; the retry sent both.
    expect(posted(sub)).to.have.length(3);
    await node.store.feed.deleteSubscription(sub.id);
  });

  it('a receiver that fails one request in 5 catches up: each attempt keeps what it delivered, a retry carries the same ids', async () => {
    // Three items written twice: 12 versions (item and offer each time) of 6 resources.
    const head = await quietly(async () => {
      for (const round of [1, 2]) for (const item of ['tomate', 'carottes', 'chevre']) await node.catalog.updateCatalogItem('ferme', item, stockBody(20 + round));
    });
    const sub = await subscription({ after: head });
    fake.state.failEvery = 5;
    const cursors: number[] = [];
    for (let attempt = 0; attempt < 10; attempt++) {
      const row = await node.store.feed.getSubscription(sub.id);
      if (row?.status !== 'failing' && attempt > 0) break;
      await eventually(async () => ((await node.store.feed.getSubscription(sub.id))?.nextAttemptAt ?? '') <= new Date().toISOString(), 'the retry');
      await node.notifier.round();
      cursors.push((await node.store.feed.getSubscription(sub.id))?.deliveredSeq ?? -1);
    }
    const done = await node.store.feed.getSubscription(sub.id);
    expect(done).to.include({ status: 'active', failures: 0, lastError: null, deliveredSeq: await node.store.feed.latestSeq('ferme') });
    // Each failed attempt moved the cursor past what went before it.
    for (let i = 1; i < cursors.length; i++) expect(cursors[i], `attempt ${i + 1}`).to.be.greaterThan(cursors[i - 1] as number);
    const notifications = posted(sub).map(bodyOf);
    // The 6 resources, each delivered (at least once) with its last version.
    const last = new Map(notifications.map((x) => [x.object['id'], x.object['maillon:version']]));
    expect(last.size).to.equal(6);
    for (const version of last.values()) expect(Number(String(version).split('/').pop())).to.be.greaterThan(head + 6);
    // A version sent twice (a retry, or a resource sent again after its cursor) has one id; two versions never share one.
    const ids = new Map<unknown, string>();
    for (const x of notifications) {
      expect(ids.get(x.object['maillon:version']) ?? x.id).to.equal(x.id);
      ids.set(x.object['maillon:version'], x.id);
    }
    expect(new Set(ids.values()).size).to.equal(ids.size);
    await node.store.feed.deleteSubscription(sub.id);
  });

  it('an attempt that delivers part of its batch is one failure in a row, not one more', async () => {
    const head = await quietly(async () => {
      for (const item of ['tomate', 'carottes', 'chevre']) await node.catalog.updateCatalogItem('ferme', item, stockBody(30));
    });
    const sub = await subscription({ after: head });
    await node.store.feed.recordDelivery(sub.id, {
      status: 'failing', failures: 2, nextAttemptAt: null, lastDeliveryAt: null, lastError: 'http-status: HTTP 500', deliveredSeq: head,
    });
    // maxFailures is 3: a third failure that delivered nothing would give it up.
    fake.state.failEvery = 3;
    await node.notifier.round();
    const row = await node.store.feed.getSubscription(sub.id);
    expect(row).to.include({ status: 'failing', failures: 1, deliveredSeq: head + 2 });
    expect(row?.lastDeliveryAt).to.be.a('string');
    await node.store.feed.deleteSubscription(sub.id);
  });

  it('the first retry waits between half and all of the base backoff; nothing is sent before', async () => {
    const slow = await startInProcess({ notifier: { fetch: fake.fetch, baseBackoffMs: 60_000 } });
    try {
      await slow.seed('ferme');
      await sleep(50);
      const sub = await slow.store.feed.createSubscription({
        id: 'slow', tokenId: null, eid: 'ferme', callback: `${CALLBACK}/slow`, secret: SECRET, createdAt: new Date().toISOString(),
        deliveredSeq: (await slow.store.feed.latestSeq('ferme')) - 1,
      });
      fake.state.fail = true;
      const before = Date.now();
      await slow.notifier.round();
      const next = Date.parse((await slow.store.feed.getSubscription(sub.id))?.nextAttemptAt ?? '');
      expect(next - before).to.be.within(30_000 - 1000, 60_000 + 1000);
      await slow.notifier.round();
      expect(posted(sub)).to.have.length(1);
    } finally {
      await slow.close();
    }
  });

  it('gives up after maxFailures in a row: dead, and nothing more is sent', async () => {
    const head = await quietly(() => node.catalog.updateCatalogItem('ferme', 'carottes', stockBody(4)));
    const sub = await subscription({ after: head });
    fake.state.fail = true;
    for (let attempt = 1; attempt <= 3; attempt++) {
      await eventually(async () => {
        const row = await node.store.feed.getSubscription(sub.id);
        return row?.nextAttemptAt === null || (row?.nextAttemptAt ?? '') <= new Date().toISOString();
      }, 'the next attempt to be due');
      await node.notifier.round();
      expect((await node.store.feed.getSubscription(sub.id))?.failures).to.equal(attempt);
    }
    const dead = await node.store.feed.getSubscription(sub.id);
    expect(dead).to.include({ status: 'dead', failures: 3, nextAttemptAt: null, deliveredSeq: head });
    const sentBefore = posted(sub).length;
    fake.state.fail = false;
    await node.notifier.round();
    expect(posted(sub)).to.have.length(sentBefore);
    expect((await node.store.feed.deliverableSubscriptions()).map((s) => s.id)).to.not.include(sub.id);
  });

  it('a deletion is a Delete of the product, its item and its offer', async () => {
    const created = await node.catalog.createProducts('ferme', (await node.catalog.decode({
      text: JSON.stringify({
        '@context': 'https://w3id.org/dfc/ontology/context/context_1.16.0.json', '@id': '_:p', '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Fugace',
        'dfc-b:referencedBy': { '@id': '_:i', '@type': 'dfc-b:CatalogItem', 'dfc-b:stockLimitation': 1, 'dfc-b:offeredThrough': {
          '@id': '_:o', '@type': 'dfc-b:Offer', 'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 1, 'dfc-b:hasUnit': 'dfc-m:Euro' },
        } },
      }), mediaType: 'application/ld+json',
    }, `${node.base}/api/dfc/enterprises/ferme/supplied_products`)).records);
    const id = (created.find((r) => r.kind === 'SuppliedProduct')?.id ?? '').split('/').pop() ?? '';
    await sleep(50);
    const head = await quietly(() => node.catalog.deleteProduct('ferme', id));
    const sub = await subscription({ after: head });
    await node.notifier.round();
    const notifications = posted(sub).map(bodyOf);
    expect(notifications.map((x) => x.type)).to.deep.equal(['Delete', 'Delete', 'Delete']);
    expect(notifications.map((x) => x.object['type']).sort()).to.deep.equal(['dfc-b:CatalogItem', 'dfc-b:Offer', 'dfc-b:SuppliedProduct']);
    await node.store.feed.deleteSubscription(sub.id);
  });

  it('sends nothing for another enterprise’s changes, nor to a subscription whose token was revoked', async () => {
    const { row } = await issueToken(node.store, { eid: 'ferme', scopes: ['ReadProducts'] });
    const head = await quietly(() => node.catalog.updateCatalogItem('ferme', 'chevre', stockBody(2)));
    const neighbour = await subscription({ eid: 'voisin' });
    const revoked = await subscription({ after: head, tokenId: row.id });
    await node.store.revokeToken(row.id);
    const wholeNode = await subscription({ eid: null, after: head });
    await node.notifier.round();
    expect(posted(neighbour)).to.deep.equal([]);
    expect(posted(revoked)).to.deep.equal([]);
    expect(posted(wholeNode).length).to.be.greaterThan(0);
    for (const sub of [neighbour, revoked, wholeNode]) await node.store.feed.deleteSubscription(sub.id);
  });

  it('wakes by itself after a write, and its poll finds deliveries nothing woke', async () => {
    const woken = await subscription();
    await node.catalog.updateCatalogItem('ferme', 'tomate', stockBody(11));
    await eventually(() => posted(woken).length > 0, 'a delivery woken by the write');
    await node.store.feed.deleteSubscription(woken.id);
    const polling = await startInProcess({ notifier: { fetch: fake.fetch, pollMs: 20 } });
    try {
      await polling.seed('ferme');
      await sleep(50);
      const sub = await polling.store.feed.createSubscription({
        id: 'polled', tokenId: null, eid: 'ferme', callback: `${CALLBACK}/polled`, secret: SECRET, createdAt: new Date().toISOString(),
        deliveredSeq: (await polling.store.feed.latestSeq('ferme')) - 1,
      });
      await sleep(100);
      expect(posted(sub), 'nothing before start').to.deep.equal([]);
      polling.notifier.start();
      polling.notifier.start();
      await eventually(() => posted(sub).length === 1, 'a delivery found by the poll');
      await polling.notifier.stop();
    } finally {
      await polling.close();
    }
  });

  it('its poll finds a subscription another process made, even right after a look found none', async () => {
    const polling = await startInProcess({ notifier: { fetch: fake.fetch, pollMs: 20 } });
    const other = await SqliteStore.open({ path: polling.db, baseUrl: polling.base });
    try {
      await polling.seed('ferme');
      polling.notifier.start();
      await sleep(50);
      // A look that finds the table empty, as each round of a node without subscriptions does (a write's, a poll's).
      expect(await polling.store.feed.deliverableSubscriptions()).to.deep.equal([]);
      // Made by another process on the same database (`maillon` beside `serve`): nothing here knows of it.
      const made = Date.now();
      const sub = await other.feed.createSubscription({
        id: 'elsewhere', tokenId: null, eid: 'ferme', callback: `${CALLBACK}/elsewhere`, secret: SECRET, createdAt: new Date().toISOString(),
        deliveredSeq: (await other.feed.latestSeq('ferme')) - 1,
      });
      await eventually(() => posted(sub).length === 1, 'a delivery found by the poll');
      // A few polls of 20 ms at most, not the half second the store keeps an empty table for.
      expect(Date.now() - made).to.be.below(400);
      await polling.notifier.stop();
    } finally {
      await other.close();
      await polling.close();
    }
  });
});

describe('feed: the notifier, when the node stops', function () {
  it('gives up a delivery in flight at once, keeps what was delivered, and counts no failure', async () => {
    const sent: SafeRequest[] = [];
    let hung: Promise<void> | undefined;
    // The first notification is taken, the second hangs until the stop's signal fires (as safeFetch answers it).
    const fetch = async (request: SafeRequest, policy: FetchPolicy): Promise<SafeFetchOutcome> => {
      sent.push(request);
      if (sent.length === 1) return { ok: true, response: { url: request.url, status: 200, headers: {}, body: Buffer.alloc(0) } };
      const { signal } = policy;
      if (signal === undefined) throw new Error('the delivery was given no stop signal');
      hung = new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      await hung;
      return { ok: false, failure: { kind: 'stopped', message: 'given up: the node is stopping', url: request.url } };
    };
    const node = await startInProcess({ notifier: { fetch, maxFailures: 3, baseBackoffMs: 1 } });
    try {
      await node.seed('ferme');
      await sleep(50);
      const head = await node.store.feed.latestSeq('ferme');
      const sub = await node.store.feed.createSubscription({
        id: 'sub-stop', tokenId: null, eid: 'ferme', callback: `${CALLBACK}/stop`, secret: SECRET, createdAt: new Date().toISOString(), deliveredSeq: head,
      });
      await node.catalog.updateCatalogItem('ferme', 'tomate', stockBody(4));
      const round = node.notifier.round();
      await eventually(() => hung !== undefined, 'the second delivery to hang');
      const started = Date.now();
      await node.notifier.stop();
      await round;
      expect(Date.now() - started).to.be.below(1000);
      const after = await node.store.feed.getSubscription(sub.id);
      expect(after).to.include({ status: 'active', failures: 0, lastError: null });
      // The first notification's version is delivered; the second's is sent again after the next start.
      expect(after?.deliveredSeq).to.be.greaterThan(head);
      expect(after?.deliveredSeq).to.be.below(await node.store.feed.latestSeq('ferme'));
    } finally {
      await node.close();
    }
  });
});

describe('feed: notificationOf', () => {
  const item = { kind: 'CatalogItem', id: 'https://n.example/i', stock: 4, offers: [], listedIn: [] } as unknown as CatalogItemRecord;
  const offer = {
    kind: 'Offer', id: 'https://n.example/o', stock: null,
    price: { value: 2, currency: 'https://github.com/datafoodconsortium/taxonomies/releases/latest/download/measures.rdf#Euro' },
  } as unknown as OfferRecord;
  const event = (seq: number, record: FeedEvent['record'], action: FeedEvent['action'] = 'update'): FeedEvent => ({
    seq, eid: 'ferme', iri: record?.id ?? 'https://n.example/x', kind: record?.kind ?? 'Offer', action, record, at: '2026-11-24T10:00:00Z',
  });
  const args = { base: 'https://n.example', api: 'https://n.example/api/dfc' };
  const ID = notificationId('stream', 'sub', 1);

  it('puts stock and price inline only when they changed; on demand is -1', () => {
    expect(notificationOf(args, event(2, item), event(1, { ...item, stock: 3 }), ID).object['dfc-b:stockLimitation']).to.equal(4);
    expect(notificationOf(args, event(2, item), event(1, item), ID).object).to.not.have.property('dfc-b:stockLimitation');
    const first = notificationOf(args, event(1, offer, 'create'), undefined, ID);
    expect(first.type).to.equal('Create');
    expect(first.object['dfc-b:stockLimitation']).to.equal(-1);
    expect(first.object['dfc-b:hasPrice']).to.deep.equal({ 'dfc-b:value': 2, 'dfc-b:hasUnit': 'dfc-m:Euro' });
    expect(notificationOf(args, event(2, offer), event(1, offer), ID).object).to.not.have.property('dfc-b:hasPrice');
    const repriced = notificationOf(args, event(3, { ...offer, price: { ...offer.price!, value: 2.5 } } as OfferRecord), event(2, offer), ID);
    expect(repriced.object['dfc-b:hasPrice']).to.deep.equal({ 'dfc-b:value': 2.5, 'dfc-b:hasUnit': 'dfc-m:Euro' });
    expect(repriced.object['maillon:version']).to.equal('https://n.example/api/dfc/feed/versions/3');
  });

  it('a deletion carries no stock or price', () => {
    const deletion = notificationOf(args, event(4, null, 'delete'), event(3, offer), ID);
    expect(deletion.type).to.equal('Delete');
    expect(Object.keys(deletion.object).sort()).to.deep.equal(['id', 'maillon:feed', 'maillon:version', 'type']);
  });

  it('an id is a UUID of the stream, the subscription and the version: the same for a retry, another for anything else', () => {
    const id = notificationId('s1', 'sub', 7);
    expect(id).to.match(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/u);
    expect(notificationId('s1', 'sub', 7)).to.equal(id);
    expect(new Set([id, notificationId('s2', 'sub', 7), notificationId('s1', 'other', 7), notificationId('s1', 'sub', 8)]).size).to.equal(4);
    expect(notificationOf(args, event(7, offer), undefined, id).id).to.equal(id);
  });

  it('logs and shows a failed delivery without its callback\'s query, where receivers put secrets', () => {
    const callback = 'https://shop.example/hook?key=QKEY999';
    const hidden = withoutQuery({ kind: 'http-status', message: `HTTP 500 from ${callback}`, url: callback, status: 500 }, callback);
    expect(JSON.stringify(hidden)).not.to.include('QKEY999');
    expect(hidden).to.deep.equal({ kind: 'http-status', message: 'HTTP 500 from https://shop.example/hook?…', url: 'https://shop.example/hook?…', status: 500 });
    const plain = { kind: 'timeout' as const, message: 'no answer from https://shop.example/hook', url: 'https://shop.example/hook' };
    expect(withoutQuery(plain, 'https://shop.example/hook')).to.equal(plain);
  });

  it('declares in its context every prefix its object uses', () => {
    const notification = notificationOf(args, event(2, offer), undefined, ID);
    const declared = notification['@context'].flatMap((c) => (typeof c === 'object' && c !== null ? Object.keys(c) : []));
    const prefixes = new Set(Object.keys(notification.object).filter((k) => k.includes(':')).map((k) => k.slice(0, k.indexOf(':'))));
    expect([...prefixes].sort()).to.deep.equal(['dfc-b', 'maillon']);
    for (const prefix of prefixes) expect(declared, prefix).to.include(prefix);
  });
});
