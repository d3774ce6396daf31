/**
 * The follower of the listings' origins, against scripted feeds: it takes a feed's position from its root, passes
 * on what changed after it (once), keeps following only origins that still have a listing, leaves an origin
 * without a feed to the pull, and never lets an origin that hangs hold up another.
 */
import { expect } from 'chai';
import type { Iri, NodeId } from '../../../ontology/iri.js';
import type { DfcRecord } from '../../../ontology/records.js';
import { FEED_CONTEXT, LDES, MAILLON } from '../../../ontology/streams.js';
import { Decoder } from '../../../server/codec/decode.js';
import { encodeJsonLd } from '../../../server/codec/encode.js';
import { versionRecord } from '../../../server/codec/ldes.js';
import { failure } from '../../../server/errors/failure.js';
import { DEFAULT_FETCH_POLICY, type SafeFetch } from '../../../server/net/safe-fetch.js';
import { ListingFollower, type FeedLocation } from '../../../server/orders/listing-follower.js';
import type { ListingService } from '../../../server/orders/listings.js';
import type { ListingRow } from '../../../server/store/orders.js';
import type { Timers } from '../../../server/timers/timers.js';

const A = 'http://a.example';
const B = 'http://b.example';
const C = 'http://c.example';

function feedDocument(records: readonly DfcRecord[]): string {
  return JSON.stringify({ '@context': FEED_CONTEXT, '@graph': encodeJsonLd(records)['@graph'] });
}

function root(origin: string, head: number, stream = 's1'): string {
  return feedDocument([{
    kind: 'Resource', id: `${origin}/api/dfc/feed` as Iri, types: [LDES.EventStream],
    extra: { [MAILLON.head]: [{ '@value': head }], [MAILLON.stream]: [{ '@value': stream }] },
  }]);
}

/** A fragment of versions: `[seq, iri, deleted]`. */
function fragment(origin: string, versions: readonly [number, string, boolean][]): string {
  return feedDocument(versions.map(([seq, iri, deleted]) => versionRecord(`${origin}/api/dfc`, {
    seq, iri, at: '2026-01-01T00:00:00.000Z',
    record: deleted ? null : { kind: 'CatalogItem', id: iri as NodeId, stock: 3, offers: [], listedIn: [] },
  })));
}

/** Timers driven by the test: `tick()` runs every task once, skipping one still running (as `NodeTimers` does). */
class ManualTimers implements Timers {
  public readonly tasks = new Map<number, () => unknown>();
  private readonly running = new Set<number>();
  private next = 0;
  public every(_name: string, _ms: number, task: () => unknown): () => void {
    const id = this.next++;
    this.tasks.set(id, task);
    return () => this.tasks.delete(id);
  }
  public after(): () => void {
    return () => undefined;
  }
  public cancelAll(): void {
    this.tasks.clear();
  }
  public tick(): void {
    for (const [id, task] of this.tasks) {
      if (this.running.has(id)) continue;
      this.running.add(id);
      void Promise.resolve(task()).finally(() => this.running.delete(id));
    }
  }
}

function listing(id: number, originItem: string): ListingRow {
  return {
    id, eid: 'boutique', item: `http://shop.test/i/${id}`, offer: `http://shop.test/o/${id}`, product: `http://shop.test/p/${id}`, originItem,
    originProduct: `${originItem}/p`, originOrders: `${originItem}/orders`, factor: 1, createdAt: '2026-01-01T00:00:00.000Z',
  };
}

describe('orders/listing-follower', () => {
  const decoder = new Decoder();
  let rows: ListingRow[];
  let told: { origin: string; changed: string[]; deleted: string[] }[];
  let documents: Map<string, string | 'hang'>;
  let asked: string[];
  let timers: ManualTimers;
  let follower: ListingFollower;
  let clock: number;
  const hanging: (() => void)[] = [];

  const fetch: SafeFetch = async (request) => {
    asked.push(request.url);
    const body = documents.get(request.url);
    if (body === 'hang') return new Promise((resolve) => hanging.push(() => resolve({ ok: false, failure: failure('timeout', 'no answer', request.url) })));
    if (body === undefined) return { ok: false, failure: failure('http-status', 'HTTP 404', request.url, 404) };
    return { ok: true, response: { url: request.url, status: 200, headers: { 'content-type': 'application/ld+json' }, body: Buffer.from(body) } };
  };
  const locate = async (origin: string): Promise<FeedLocation> => {
    if (origin === C) return { none: failure('discovery', 'no discovery document', `${origin}/`) };
    return { feed: `${origin}/api/dfc/feed` };
  };

  /** Waits for the looks started to settle (they are not awaited by the timer). */
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  };

  beforeEach(() => {
    rows = [listing(1, `${A}/api/dfc/enterprises/f/catalog_items/tomate`)];
    told = [];
    documents = new Map([[`${A}/api/dfc/feed`, root(A, 10)]]);
    asked = [];
    timers = new ManualTimers();
    clock = 0;
    const listings = {
      all: async () => rows,
      onOriginChanges: async (origin: string, changes: { changed?: readonly string[]; deleted?: readonly string[] }) => {
        told.push({ origin, changed: [...(changes.changed ?? [])], deleted: [...(changes.deleted ?? [])] });
        return 0;
      },
    } as unknown as ListingService;
    follower = new ListingFollower({ listings, decoder, fetch, policy: DEFAULT_FETCH_POLICY, timers, locate, intervalMs: 1000, now: () => clock });
  });
  afterEach(async () => {
    for (const release of hanging.splice(0)) release();
    await follower.stop();
  });

  it('takes the feed\'s position, reads its listings once, then passes on each change after it once', async () => {
    await follower.start();
    expect(follower.origins()).to.deep.equal([A]);
    // The position is taken; the listings read their origin once (what changed before is not missed).
    expect(told).to.deep.equal([{ origin: A, changed: [rows[0]?.originItem], deleted: [] }]);
    told = [];
    documents.set(`${A}/api/dfc/feed?after=10`, fragment(A, [[11, `${A}/x`, false], [12, `${A}/y`, true]]));
    documents.set(`${A}/api/dfc/feed?after=12`, fragment(A, []));
    timers.tick();
    await settle();
    expect(told).to.deep.equal([{ origin: A, changed: [`${A}/x`], deleted: [`${A}/y`] }]);
    timers.tick();
    await settle();
    expect(told).to.have.length(1);
    expect(asked.filter((u) => u === `${A}/api/dfc/feed?after=12`).length).to.be.at.least(1);
  });

  it('follows only origins that still have a listing, and stops its timer with the last one', async () => {
    await follower.start();
    rows = [...rows, listing(2, `${C}/items/1`)];
    await follower.update();
    expect(follower.origins()).to.deep.equal([A, C]);
    rows = [];
    await follower.update();
    expect(follower.origins()).to.deep.equal([]);
    expect(timers.tasks.size).to.equal(0);
  });

  it('leaves an origin without a feed to the pull: not asked again at every tick', async () => {
    rows = [listing(2, `${C}/items/1`)];
    await follower.start();
    clock += 5000;
    timers.tick();
    await settle();
    expect(asked.filter((u) => u.startsWith(C))).to.deep.equal([]);
    expect(told).to.deep.equal([]);
  });

  it('does not let an origin that hangs hold up the others', async () => {
    rows = [...rows, listing(2, `${B}/api/dfc/enterprises/g/catalog_items/pomme`)];
    documents.set(`${B}/api/dfc/feed`, root(B, 5));
    await follower.start();
    told = [];
    documents.set(`${A}/api/dfc/feed?after=10`, 'hang');
    documents.set(`${B}/api/dfc/feed?after=5`, fragment(B, [[6, `${B}/pomme`, false]]));
    documents.set(`${B}/api/dfc/feed?after=6`, fragment(B, []));
    timers.tick();
    await settle();
    expect(told).to.deep.equal([{ origin: B, changed: [`${B}/pomme`], deleted: [] }]);
    // The next tick reads B again while A's look still hangs, and asks A nothing more meanwhile.
    const toA = asked.filter((u) => u.startsWith(A)).length;
    const toB = asked.filter((u) => u === `${B}/api/dfc/feed?after=6`).length;
    timers.tick();
    await settle();
    expect(asked.filter((u) => u.startsWith(A)).length).to.equal(toA);
    expect(asked.filter((u) => u === `${B}/api/dfc/feed?after=6`).length).to.equal(toB + 1);
  });

  it('gives up the feed reads in flight when it stops: a stop does not wait out an origin that never answers', async () => {
    // As the node's safe fetch does: a call whose policy's signal fires is given up at once.
    let signals = 0;
    const abortable: SafeFetch = async (request, policy) => {
      if (request.url !== `${A}/api/dfc/feed?after=10`) return fetch(request, policy);
      asked.push(request.url);
      const { signal } = policy;
      if (signal === undefined) return new Promise(() => undefined);
      signals += 1;
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve({ ok: false, failure: failure('stopped', 'given up', request.url) }), { once: true }));
    };
    const listings = { all: async () => rows, onOriginChanges: async () => 0 } as unknown as ListingService;
    const located: AbortSignal[] = [];
    const stoppable = new ListingFollower({
      listings, decoder, fetch: abortable, policy: DEFAULT_FETCH_POLICY, timers, intervalMs: 1000, now: () => clock,
      locate: async (origin, signal) => {
        located.push(signal);
        return locate(origin);
      },
    });
    await stoppable.start();
    timers.tick();
    await settle();
    expect(asked).to.include(`${A}/api/dfc/feed?after=10`);
    expect(signals).to.equal(1);
    const stopped = await Promise.race([stoppable.stop().then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 1000))]);
    expect(stopped, 'stop() ended while the read hung').to.equal(true);
    expect(located.map((s) => s.aborted)).to.deep.equal([true]);
  });

  it('reads the listings of an origin again when its feed was replaced (a new stream)', async () => {
    await follower.start();
    told = [];
    documents.set(`${A}/api/dfc/feed?after=10`, fragment(A, []));
    clock += 61_000;
    documents.set(`${A}/api/dfc/feed`, root(A, 2, 's2'));
    timers.tick();
    await settle();
    expect(told).to.deep.equal([{ origin: A, changed: [rows[0]?.originItem], deleted: [] }]);
  });
});
