/**
 * Following the change feed of each node whose items this node's listings sell, so that a change at the owner
 * (a sale, a restock, a new price, the item deleted) reaches the listing within about a second, whether or not
 * that node is a peer whose catalogue this node syncs. The pull timer stays the fallback (an origin without a
 * feed, such as an Open Food Network or FDC platform, or one that cannot be reached).
 *
 * One follow per origin node, for as long as a listing sells one of its items: its public change feed (the one its
 * discovery document names) is read from its newest sequence on, every `intervalMs`, with a small request that
 * answers nothing new most of the time. What it says changed is not trusted as such: the listings of the items it
 * names read their origin again ({@link ListingService.onOriginChanges}); an item it says was deleted is gone.
 *
 * @packageDocumentation
 */
import { MAILLON } from '../../ontology/streams.js';
import type { Decoder } from '../codec/decode.js';
import { membersOf } from '../codec/ldes.js';
import { failure, type Failure } from '../errors/failure.js';
import { bodyText, type FetchPolicy, type SafeFetch } from '../net/safe-fetch.js';
import type { CancelTimer, Timers } from '../timers/timers.js';
import type { ListingService } from './listings.js';

/** Where an origin node's change feed is: its URL, none (the node publishes none), or unknown for now (it did not answer). */
export type FeedLocation = { readonly feed: string } | { readonly none: Failure } | { readonly unreachable: Failure };

/** What the follower needs. */
export interface ListingFollowerDeps {
  readonly listings: ListingService;
  readonly decoder: Decoder;
  readonly fetch: SafeFetch;
  readonly policy: FetchPolicy;
  readonly timers: Timers;
  /**
   * The public change feed of an origin node (from its discovery document); `signal` fires when the follower stops
   * (a look at an origin that answers slowly is given up, not waited for).
   */
  readonly locate: (origin: string, signal: AbortSignal) => Promise<FeedLocation>;
  /** How often each followed feed is read. */
  readonly intervalMs: number;
  /** Told of a feed that cannot be read (logged; the pull timer covers its listings meanwhile). */
  readonly onFailure?: (origin: string, failure: Failure) => void;
  /** The clock (tests). */
  readonly now?: () => number;
}

/** One origin followed. */
interface Follow {
  feed?: string;
  /** The last sequence seen, and the feed's identity: unknown until the feed's root was read. */
  cursor?: number;
  stream?: string | null;
  /** Not before (after failures, or for an origin without a feed). */
  nextAt: number;
  failures: number;
  /** When the root was read last: a feed that was reset (its node's database made anew) is noticed within a minute. */
  rootAt: number;
  /** A look at it is running: another one waits for the next tick (two would read the same changes twice). */
  busy: boolean;
}

const FEED_ACCEPT = 'text/turtle, application/ld+json;q=0.5';
/** An origin without a feed is asked again this often (it may get one). */
const NO_FEED_RETRY_MS = 10 * 60_000;
/** The most a failing feed waits between attempts. */
const MAX_BACKOFF_MS = 5 * 60_000;
/** How often the root is read again, to notice a feed that went backwards or was replaced. */
const ROOT_EVERY_MS = 60_000;
/** The most one read of a feed may take. */
const FEED_TIMEOUT_MS = 5000;
/** Feed pages read per look: a busy origin's backlog is read over several looks, never in one long one. */
const PAGES_PER_LOOK = 5;

/** The origin of an IRI, or undefined. */
function originOf(iri: string): string | undefined {
  try {
    return new URL(iri).origin;
  } catch {
    return undefined;
  }
}

/** Follows the change feeds of the origins of the node's listings. */
export class ListingFollower {
  private readonly follows = new Map<string, Follow>();
  private cancelTimer: CancelTimer | undefined;
  private updating: Promise<void> = Promise.resolve();
  /** The looks at feeds in progress (each origin's on its own: one that hangs holds up no other). */
  private readonly inFlight = new Set<Promise<void>>();
  /** Following only between {@link start} and {@link stop} (a command of the command line follows nothing). */
  private started = false;
  /** Fired by {@link stop}: the feed reads in flight are given up, so a stop never waits out a slow origin. */
  private stopping = new AbortController();
  /** The signal of the feed reads: {@link stopping}'s, or the policy's own as well (one per start, not per read). */
  private signal: AbortSignal;

  /** The fetch policy of feed reads: a feed page is small, and a look should not outlast a few ticks. */
  private readonly policy: FetchPolicy;

  public constructor(private readonly deps: ListingFollowerDeps) {
    const limit = Math.min(deps.policy.totalTimeoutMs, FEED_TIMEOUT_MS);
    this.policy = { ...deps.policy, totalTimeoutMs: limit, connectTimeoutMs: Math.min(deps.policy.connectTimeoutMs, limit) };
    this.signal = this.readSignal();
  }

  /** Fires when the follower stops, or when the policy's own signal does. */
  private readSignal(): AbortSignal {
    const own = this.deps.policy.signal;
    return own === undefined ? this.stopping.signal : AbortSignal.any([own, this.stopping.signal]);
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /** The origins followed now (for tests and the operator). */
  public origins(): string[] {
    return [...this.follows.keys()].sort();
  }

  /** Starts following the origins of the node's listings (the node serves). */
  public start(): Promise<void> {
    this.started = true;
    if (this.stopping.signal.aborted) {
      this.stopping = new AbortController();
      this.signal = this.readSignal();
    }
    return this.update();
  }

  /**
   * Looks at the listings again: follows the origin of each new one, no longer follows an origin none is left of.
   * Called when the node starts, and when a listing is added or removed. Never rejects (a failure is told).
   *
   * Once an origin's feed position is known, its listings read their origin once: what changed before (while this
   * node was down, or between a listing's first read and now) is not missed.
   */
  public update(): Promise<void> {
    if (!this.started) return Promise.resolve();
    this.updating = this.updating.then(async () => {
      if (!this.started) return;
      const wanted = new Set<string>();
      for (const listing of await this.deps.listings.all()) {
        const origin = originOf(listing.originItem);
        if (origin !== undefined) wanted.add(origin);
      }
      for (const origin of [...this.follows.keys()]) if (!wanted.has(origin)) this.follows.delete(origin);
      for (const origin of wanted) if (!this.follows.has(origin)) this.follows.set(origin, { nextAt: 0, failures: 0, rootAt: 0, busy: false });
      if (this.follows.size > 0 && this.cancelTimer === undefined) {
        this.cancelTimer = this.deps.timers.every('listing feeds', this.deps.intervalMs, () => this.look());
      } else if (this.follows.size === 0) {
        this.cancelTimer?.();
        this.cancelTimer = undefined;
      }
      // A new origin's feed position is taken now: a change right after the listing was made is not missed.
      await Promise.all([...this.follows].filter(([, f]) => f.cursor === undefined && f.nextAt <= this.now()).map(([o, f]) => this.poll(o, f)));
    }).catch((error: unknown) => {
      this.deps.onFailure?.('', failure('internal', `the listings' origins could not be looked at: ${error instanceof Error ? error.message : String(error)}`));
    });
    return this.updating;
  }

  /** Stops following (the node stops): the feed reads in flight are given up, and the looks they belong to end. */
  public async stop(): Promise<void> {
    this.started = false;
    this.stopping.abort();
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    await Promise.all([this.updating, ...this.inFlight]);
  }

  /**
   * Starts a look at every followed feed that is due and not being read, without waiting for them: the timer's
   * next tick must not wait for an origin that hangs ({@link stop} waits for them).
   */
  public look(): void {
    if (!this.started) return;
    for (const [origin, follow] of this.follows) {
      if (follow.nextAt > this.now() || follow.busy) continue;
      const look = this.poll(origin, follow);
      this.inFlight.add(look);
      void look.finally(() => this.inFlight.delete(look));
    }
  }

  private async poll(origin: string, follow: Follow): Promise<void> {
    if (follow.busy) return;
    follow.busy = true;
    try {
      const outcome = await this.read(origin, follow);
      // Given up because the node stops: not the origin's failure, and no back-off to carry into the next start.
      if (outcome?.kind === 'stopped') return;
      if (outcome === undefined) {
        follow.failures = 0;
        return;
      }
      follow.failures += 1;
      follow.nextAt = this.now() + Math.min(MAX_BACKOFF_MS, this.deps.intervalMs * 2 ** Math.min(follow.failures, 12));
      this.deps.onFailure?.(origin, outcome);
    } catch (error: unknown) {
      follow.failures += 1;
      follow.nextAt = this.now() + MAX_BACKOFF_MS;
      this.deps.onFailure?.(origin, failure('internal', error instanceof Error ? error.message : String(error)));
    } finally {
      follow.busy = false;
    }
  }

  /** Reads what is new in an origin's feed and tells the listings; a failure is answered. */
  private async read(origin: string, follow: Follow): Promise<Failure | undefined> {
    if (follow.feed === undefined) {
      const located = await this.deps.locate(origin, this.signal);
      if ('none' in located) {
        // No feed to follow: the pull timer refreshes its listings. Asked again now and then.
        follow.nextAt = this.now() + NO_FEED_RETRY_MS;
        return undefined;
      }
      if ('unreachable' in located) return located.unreachable;
      follow.feed = located.feed;
    }
    const feed = follow.feed;
    if (follow.cursor === undefined || this.now() - follow.rootAt >= ROOT_EVERY_MS) {
      const root = await this.root(feed);
      if ('failure' in root) return root.failure;
      follow.rootAt = this.now();
      const reset = follow.cursor !== undefined && (root.head < follow.cursor || root.stream !== follow.stream);
      const first = follow.cursor === undefined;
      if (first || reset) {
        follow.cursor = root.head;
        follow.stream = root.stream;
        // What changed before the position was known is read from the origin itself.
        await this.deps.listings.onOriginChanges(origin, { changed: await this.listedAt(origin) });
        return undefined;
      }
    }
    const changed = new Set<string>();
    const deleted = new Set<string>();
    let after = follow.cursor ?? 0;
    for (let page = 0; page < PAGES_PER_LOOK; page++) {
      const url = `${feed}?after=${after}`;
      const fetched = await this.document(url);
      if ('failure' in fetched) {
        // A cursor the feed no longer knows: its root is read again next time.
        if (fetched.failure.kind === 'http-status' && (fetched.failure.status === 404 || fetched.failure.status === 410)) follow.rootAt = 0;
        return fetched.failure;
      }
      const members = membersOf(fetched.records);
      let last = after;
      for (const member of members) {
        if (member.kind === 'delete') {
          changed.delete(member.iri);
          deleted.add(member.iri);
        } else {
          deleted.delete(member.iri);
          changed.add(member.iri);
        }
        last = Math.max(last, member.seq ?? last);
      }
      if (members.length === 0 || last === after) break;
      after = last;
    }
    follow.cursor = after;
    if (changed.size + deleted.size > 0) await this.deps.listings.onOriginChanges(origin, { changed: [...changed], deleted: [...deleted] });
    return undefined;
  }

  /** The origin items of the listings of an origin. */
  private async listedAt(origin: string): Promise<string[]> {
    return (await this.deps.listings.all()).map((l) => l.originItem).filter((iri) => originOf(iri) === origin);
  }

  /** The newest sequence of a feed and its identity. */
  private async root(feed: string): Promise<{ head: number; stream: string | null } | { failure: Failure }> {
    const fetched = await this.document(feed);
    if ('failure' in fetched) return fetched;
    for (const record of fetched.records) {
      const head = record.extra?.[MAILLON.head]?.find((v) => '@value' in v);
      const stream = record.extra?.[MAILLON.stream]?.find((v) => '@value' in v);
      if (head !== undefined && '@value' in head && typeof head['@value'] === 'number') {
        return { head: head['@value'], stream: stream !== undefined && '@value' in stream ? String(stream['@value']) : null };
      }
    }
    return { failure: failure('not-dfc', 'the change feed names no head sequence', feed) };
  }

  /** One feed document, decoded. */
  private async document(url: string): Promise<{ records: Awaited<ReturnType<Decoder['decode']>>['records'] } | { failure: Failure }> {
    const outcome = await this.deps.fetch({ url, headers: { accept: FEED_ACCEPT } }, { ...this.policy, signal: this.signal });
    if (!outcome.ok) return { failure: outcome.failure };
    const { response } = outcome;
    try {
      const decoded = await this.deps.decoder.decode(bodyText(response), { mediaType: response.headers['content-type'] ?? 'application/ld+json', base: response.url });
      if (decoded.problems.some((p) => p.id === null && p.severity === 'error')) return { failure: failure('not-dfc', 'the change feed cannot be read', url) };
      return { records: decoded.records };
    } catch (error: unknown) {
      return { failure: failure('decode', `the change feed cannot be read (${error instanceof Error ? error.message : String(error)})`, url) };
    }
  }
}
