/**
 * A peer cannot hold a sync, nor bring the node down: the whole sync of a peer has a deadline besides each
 * fetch's own (a slow discovery then a trickled catalogue, many pages each just in time, a decode that ends
 * past the deadline), and a decoder that throws on a document fails that peer's sync with backoff. In every
 * case nothing of the sync is applied: the previous snapshot stays, only the peer's sync state changes.
 */
import { expect } from 'chai';
import type { ServerResponse } from 'node:http';
import pino from 'pino';
import { Decoder } from '../../../server/codec/decode.js';
import { failure } from '../../../server/errors/failure.js';
import type { FetchPolicy, SafeFetch } from '../../../server/net/safe-fetch.js';
import type { PeerRow } from '../../../server/store/federation.js';
import { SqliteStore } from '../../../server/store/sqlite/sqlite-store.js';
import { duePeers, inBackoff, SyncScheduler } from '../../../server/sync/scheduler.js';
import { ConfigError, loadConfig } from '../../../server/config.js';
import { DEFAULT_SYNC_TIMEOUT_MS, SyncEngine, type PeerSyncOutcome } from '../../../server/sync/sync-engine.js';
import type { Timers } from '../../../server/timers/timers.js';
import { startFakePeer, type FakePeer } from '../../helpers/fake-peer.js';

const CONTEXT = 'https://w3id.org/dfc/ontology/context/context_1.16.0.json';

/** A DFC 1.16 catalogue of one enterprise with one offer, under `origin`. */
function catalogue(origin: string, price: number, extra: Record<string, unknown> = {}): string {
  const e = `${origin}/api/dfc/enterprises/ferme`;
  return JSON.stringify({
    '@context': CONTEXT,
    ...extra,
    '@graph': [
      { '@id': e, '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Ferme' },
      { '@id': `${e}/supplied_products/miel`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Miel', 'dfc-b:suppliedBy': e },
      {
        '@id': `${e}/catalog_items/miel`, '@type': 'dfc-b:CatalogItem', 'dfc-b:references': `${e}/supplied_products/miel`,
        'dfc-b:stockLimitation': 10, 'dfc-b:offeredThrough': `${e}/offers/miel`, 'dfc-b:managedBy': e,
      },
      {
        '@id': `${e}/offers/miel`, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': `${e}/catalog_items/miel`,
        'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': price, 'dfc-b:hasUnit': 'dfc-m:Euro' },
      },
    ],
  });
}

/** Per-fetch limits far above the whole-sync budgets below: only the whole-sync deadline can end these syncs. */
const POLICY: FetchPolicy = { connectTimeoutMs: 2_000, totalTimeoutMs: 10_000, maxBytes: 1024 * 1024, maxRedirects: 3, allowPrivate: true };
/** How late past its budget a sync may end, on a loaded machine. */
const MARGIN_MS = 1_500;

type Mode = 'good' | 'slow-then-trickle' | 'slow-pages';

/** Writes a body a byte at a time, one every `everyMs`, until the client goes away. */
function trickle(res: ServerResponse, body: string, everyMs: number): void {
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(200, { 'content-type': 'application/ld+json', 'content-length': bytes.length });
  let sent = 0;
  const timer = setInterval(() => {
    if (sent < bytes.length) res.write(bytes.subarray(sent, ++sent));
    else {
      clearInterval(timer);
      res.end();
    }
  }, everyMs);
  res.once('close', () => clearInterval(timer));
}

describe('the sync of one peer, against a hostile peer', function () {
  this.timeout(20_000);

  let peer: FakePeer;
  let mode: Mode = 'good';
  let price = 2.5;
  let store: SqliteStore;
  let row: PeerRow;
  const pending = new Set<NodeJS.Timeout>();
  const later = (ms: number, work: () => void): void => {
    const timer = setTimeout(() => {
      pending.delete(timer);
      work();
    }, ms);
    pending.add(timer);
  };

  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    peer = await startFakePeer((req, res, self) => {
      const url = new URL(req.url ?? '/', self.base);
      const json = (body: string): void => void res.writeHead(200, { 'content-type': 'application/ld+json' }).end(body);
      if (url.pathname === '/.well-known/dfc/') {
        const body = JSON.stringify({ enterprises: `${self.base}/catalog` });
        // A discovery answered slowly, but within any per-fetch deadline.
        if (mode === 'slow-then-trickle') later(400, () => json(body));
        else json(body);
      } else if (url.pathname === '/catalog') {
        if (mode === 'good') json(catalogue(self.base, price));
        // A catalogue trickled a byte every 50 ms: it would take minutes, far past the whole-sync budget.
        else if (mode === 'slow-then-trickle') trickle(res, catalogue(self.base, price), 50);
        // Pages without end, each answered in 200 ms: every fetch in time, the whole sync never done.
        else later(200, () => json(catalogue(self.base, price, { next: `/catalog?page=${Number(url.searchParams.get('page') ?? 0) + 1}` })));
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      }
    });
  });

  after(async () => {
    process.off('unhandledRejection', onUnhandled);
    for (const timer of pending) clearTimeout(timer);
    await peer.close();
  });

  beforeEach(async () => {
    mode = 'good';
    price = 2.5;
    store = await SqliteStore.open({ path: ':memory:', baseUrl: 'http://node.test' });
    row = await store.provenance.addPeer({ name: 'ferme', url: `${peer.base}/` }, peer.base);
  });

  afterEach(async () => {
    await store.close();
    expect(unhandled, 'unhandled rejections').to.deep.equal([]);
  });

  const engine = (syncTimeoutMs: number, decoder: Decoder = new Decoder()): SyncEngine => new SyncEngine({
    provenance: store.provenance, feed: store.feed, decoder, ownBase: 'http://node.test', policy: POLICY, syncTimeoutMs,
  });
  const current = async (): Promise<PeerRow> => (await store.provenance.getPeer(row.id)) as PeerRow;

  /** What the node holds of the peer: its resources, validators, quarantine and federated index rows. */
  const holdings = async (): Promise<unknown> => ({
    held: [...(await store.provenance.held(row.id)).values()],
    sources: [...(await store.provenance.sources(row.id))],
    quarantine: await store.provenance.quarantine(row.id),
    index: (await store.index.queryEntries({})).map((e) => [e.source, e.itemIri, e.price]),
  });

  /** A first good sync: the snapshot that a failing sync must leave as it is. */
  async function syncedOnce(): Promise<unknown> {
    const first = await engine(10_000).sync(await current());
    expect(first.ok, JSON.stringify(first)).to.equal(true);
    const held = await holdings();
    expect((held as { held: unknown[] }).held).to.have.length(4);
    return held;
  }

  /** Asserts a failed peer, one more failure counted, its next attempt in the future. */
  async function expectFailedWithBackoff(failures: number, error: RegExp): Promise<void> {
    const state = await current();
    expect(state).to.deep.include({ status: 'failed', failures });
    expect(state.lastError).to.match(error);
    expect(Date.parse(state.nextAttemptAt ?? '')).to.be.above(Date.now());
    expect(inBackoff(state, new Date())).to.equal(true);
    expect(duePeers([state], new Date(), new Set(), 4), 'a scheduler tick skips it').to.deep.equal([]);
  }

  async function timed(work: () => Promise<PeerSyncOutcome>): Promise<{ outcome: PeerSyncOutcome; ms: number }> {
    const start = Date.now();
    const outcome = await work();
    return { outcome, ms: Date.now() - start };
  }

  describe('a whole-sync deadline, besides each fetch\'s', () => {
    it('ends a slow discovery then a trickled catalogue at the budget, as a timeout, applying nothing', async () => {
      const before = await syncedOnce();
      mode = 'slow-then-trickle';
      price = 9.9;
      const { outcome, ms } = await timed(async () => engine(1_500).sync(await current()));
      if (outcome.ok) expect.fail('the sync succeeded');
      expect(outcome.failure.kind).to.equal('timeout');
      expect(outcome.failure.message).to.match(/whole sync took longer than its budget of 1500 ms/u);
      expect(outcome.failure.url).to.equal(`${peer.base}/catalog`);
      expect(ms).to.be.within(1_500 - 50, 1_500 + MARGIN_MS);
      expect(await holdings()).to.deep.equal(before);
      await expectFailedWithBackoff(1, /^timeout: the whole sync took longer than its budget/u);
    });

    it('ends a run of pages that never ends, each page in time, applying nothing', async () => {
      mode = 'slow-pages';
      const { outcome, ms } = await timed(async () => engine(1_000).sync(await current()));
      if (outcome.ok) expect.fail('the sync succeeded');
      expect(outcome.failure.kind).to.equal('timeout');
      expect(outcome.failure.message).to.match(/budget of 1000 ms/u);
      expect(ms).to.be.within(1_000 - 50, 1_000 + MARGIN_MS);
      expect(peer.hits.filter((h) => h.url.startsWith('/catalog?page=')).length).to.be.above(1);
      expect(await holdings()).to.deep.equal({ held: [], sources: [], quarantine: [], index: [] });
      await expectFailedWithBackoff(1, /^timeout: /u);
    });

    it('applies nothing when the last page is decoded past the deadline', async () => {
      const before = await syncedOnce();
      price = 7.7;
      const real = new Decoder();
      // The fetches are done in time; the decode ends after the budget.
      const slow = { decode: async (...args: Parameters<Decoder['decode']>) => {
        await new Promise((resolve) => setTimeout(resolve, 700));
        return real.decode(...args);
      } } as unknown as Decoder;
      const outcome = await engine(500, slow).sync(await current());
      if (outcome.ok) expect.fail('the sync succeeded');
      expect(outcome.failure.kind).to.equal('timeout');
      expect(await holdings()).to.deep.equal(before);
      await expectFailedWithBackoff(1, /^timeout: /u);
    });

    it('gives each fetch the policy\'s deadline, or what remains of the budget when that is shorter', async () => {
      for (const [budget, expected] of [[60_000, 'policy'], [3_000, 'remaining']] as const) {
        const deadlines: number[] = [];
        const transport: SafeFetch = async (request, policy) => {
          deadlines.push(policy.totalTimeoutMs);
          if (request.url.endsWith('/.well-known/dfc/')) return { ok: false, failure: failure('http-status', 'HTTP 404', request.url, 404) };
          return { ok: true, response: { url: request.url, status: 200, headers: { 'content-type': 'application/ld+json' }, body: Buffer.from(catalogue(peer.base, price)) } };
        };
        const outcome = await new SyncEngine({
          provenance: store.provenance, feed: store.feed, decoder: new Decoder(), ownBase: 'http://node.test', policy: POLICY, syncTimeoutMs: budget, fetch: transport,
        }).sync(await current());
        expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
        expect(deadlines.length, `${budget}`).to.be.at.least(2); // discovery (for the feed, then the start), the catalogue
        if (expected === 'policy') expect(deadlines.every((ms) => ms === POLICY.totalTimeoutMs), `${deadlines.join()}`).to.equal(true);
        else expect(deadlines.every((ms) => ms > 0 && ms <= budget), `${deadlines.join()}`).to.equal(true);
      }
      expect(await current()).to.deep.include({ status: 'ok', failures: 0, lastError: null });
    });
  });

  describe('a stop of the node', () => {
    it('gives up a sync under way: nothing applied, its status `stopped`, no failure counted, due again at once', async () => {
      const before = await syncedOnce();
      mode = 'slow-then-trickle';
      price = 9.9;
      const stopped = engine(10_000);
      const hits = peer.hits.length;
      const running = stopped.sync(await current());
      // The catalogue is being trickled when the node stops.
      while (!peer.hits.slice(hits).some((h) => h.url === '/catalog')) await new Promise((resolve) => setTimeout(resolve, 10));
      const { outcome, ms } = await timed(async () => {
        stopped.stop();
        return running;
      });
      if (outcome.ok) expect.fail('the sync succeeded');
      expect(outcome.failure.kind).to.equal('stopped');
      expect(ms).to.be.below(MARGIN_MS);
      expect(await holdings()).to.deep.equal(before);
      const state = await current();
      expect(state).to.deep.include({ status: 'stopped', failures: 0 });
      expect(state.lastError).to.match(/^stopped: the node stopped during this sync/u);
      expect(inBackoff(state, new Date())).to.equal(false);
      expect(duePeers([state], new Date(), new Set(), 4).map((p) => p.id), 'due at the next start').to.deep.equal([row.id]);
    });
  });

  describe('MAILLON_SYNC_TIMEOUT', () => {
    it('sets the whole-sync budget, 120 s by default, and refuses what makes no sense', () => {
      expect(loadConfig({}, {}).syncTimeoutMs).to.equal(DEFAULT_SYNC_TIMEOUT_MS).and.to.equal(120_000);
      expect(loadConfig({}, { MAILLON_SYNC_TIMEOUT: '45000' }).syncTimeoutMs).to.equal(45_000);
      for (const bad of ['0', '-1', '1.5', 'two minutes']) {
        expect(() => loadConfig({}, { MAILLON_SYNC_TIMEOUT: bad }), bad).to.throw(ConfigError, /MAILLON_SYNC_TIMEOUT/u);
      }
    });
  });

  describe('a decoder that throws', () => {
    const throwing: [string, () => never][] = [
      ['a RangeError (a stack blown by a deep document)', () => { throw new RangeError('Maximum call stack size exceeded'); }],
      ['a TypeError', () => { throw new TypeError('Cannot read properties of undefined (reading \'@id\')'); }],
      ['something that is no Error', () => { throw 'a string\u0000with control characters'; }],
    ];
    for (const [what, fail] of throwing) {
      it(`fails the peer's sync with backoff on ${what}, applying nothing`, async () => {
        const before = await syncedOnce();
        price = 4.4;
        // Thrown synchronously from a method that is not even async, and rejected from one that is.
        for (const decoder of [{ decode: () => fail() }, { decode: async () => fail() }]) {
          const failures = (await current()).failures;
          const outcome = await engine(10_000, decoder as unknown as Decoder).sync(await current());
          if (outcome.ok) expect.fail('the sync succeeded');
          expect(outcome.failure.kind).to.equal('decode');
          expect(outcome.failure.url).to.equal(`${peer.base}/catalog`);
          expect(outcome.failure.message).to.match(/^the decoder failed on this document \(/u);
          // eslint-disable-next-line no-control-regex -- control characters must not reach the stored error
          expect(outcome.failure.message).not.to.match(/[\u0000-\u001f]/u);
          expect(await holdings()).to.deep.equal(before);
          await expectFailedWithBackoff(failures + 1, /^decode: the decoder failed on this document/u);
        }
      });
    }

    it('fails a sync run in the background (a push, the schedule) the same way, the process going on', async () => {
      await syncedOnce();
      const decoder = { decode: () => { throw new RangeError('Invalid array length'); } } as unknown as Decoder;
      const logs: string[] = [];
      const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) });
      const scheduler = new SyncScheduler({ engine: engine(10_000, decoder), provenance: store.provenance, timers: {} as Timers, logger });
      scheduler.syncSoon(await current());
      // Waited for, not stopped: a stop gives up a sync under way (and does not count it against the peer).
      while (scheduler.active.length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
      await scheduler.stop();
      await expectFailedWithBackoff(1, /^decode: .*RangeError: Invalid array length/u);
      expect(logs.join('')).to.match(/peer sync failed/u);
    });

    it('logs a failed sync in the background without the secret its peer\'s URL carries in its query', async () => {
      const secret = await store.provenance.addPeer({ name: 'keyed', url: `${peer.base}/missing?key=SECRET123` }, peer.base);
      const logs: string[] = [];
      const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) });
      const scheduler = new SyncScheduler({ engine: engine(10_000), provenance: store.provenance, timers: {} as Timers, logger });
      scheduler.syncSoon(secret);
      while (scheduler.active.length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
      await scheduler.stop();
      const failed = logs.map((line) => JSON.parse(line) as { msg: string; failure?: { kind: string; url?: string } }).filter((l) => l.msg === 'peer sync failed');
      expect(failed.map((l) => l.failure?.url)).to.deep.equal([`${peer.base}/missing?…`]);
      expect(logs.join('')).not.to.include('SECRET123');
      // The node still reads the peer at its whole URL.
      expect(peer.hits.map((h) => h.url)).to.include('/missing?key=SECRET123');
    });

    it('logs a sync that rejects in the background (the store failing) instead of ending the process', async () => {
      const broken = new SyncEngine({
        // The real store, but for the attempt's record (its prototype keeps every other method).
        provenance: Object.assign(Object.create(store.provenance) as object, {
          recordAttempt: async () => { throw new Error('SQLITE_FULL: database or disk is full'); },
        }) as never,
        feed: store.feed, decoder: new Decoder(), ownBase: 'http://node.test', policy: POLICY,
      });
      const logs: string[] = [];
      const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) });
      const scheduler = new SyncScheduler({ engine: broken, provenance: store.provenance, timers: {} as Timers, logger });
      scheduler.syncSoon(await current());
      await scheduler.stop();
      // Let a rejection left unhandled be reported before afterEach looks.
      await new Promise((resolve) => setImmediate(resolve));
      const errors = logs.map((line) => JSON.parse(line) as { msg: string; err?: { message: string } }).filter((l) => l.msg === 'peer sync failed to run');
      expect(errors.map((l) => l.err?.message)).to.deep.equal(['SQLITE_FULL: database or disk is full']);
    });
  });
});
