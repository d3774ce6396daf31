/**
 * One sync of one peer: incremental from the peer's change feed when we hold a cursor in it
 * (`incremental.ts`), else a full snapshot (`snapshot.ts`); where the feed is comes from discovery
 * (`discovery.ts`). A peer's failure is a value ({@link PeerSyncOutcome}), never an exception, and it touches
 * nothing: the previous snapshot stays as it was. The outcome sets the peer's status and next attempt.
 *
 * Before any work, the peer is marked as being synced by this process, with the backoff of a failure as its next
 * attempt: a process that dies during a sync (a hostile document exhausting memory, a kill) leaves a peer that waits,
 * not a peer due now that every start syncs again, and the next start counts the mark as a failure. While the sync
 * runs the peer reads as syncing, its last outcome and error as they were. The whole sync has a deadline too, besides
 * each fetch's own.
 *
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { hostname } from 'node:os';
import type { Decoder } from '../codec/decode.js';
import { failure, failureText } from '../errors/failure.js';
import { backoffDelay } from '../net/backoff.js';
import { clip, DEFAULT_FETCH_POLICY, safeFetch, type FetchPolicy, type SafeFetch } from '../net/safe-fetch.js';
import type { PeerRow, ProvenanceStore } from '../store/federation.js';
import type { FeedStore } from '../store/feed.js';
import { discover, feedOf } from './discovery.js';
import { feedHead, incrementalSync, type Resync } from './incremental.js';
import { fetchPage, type FetchOutcome, type PageRequest } from './peer-fetch.js';
import type { PeerTokenSource } from './peer-tokens.js';
import { snapshotSync } from './snapshot.js';
import type { PageReader } from './page-reader.js';
import { solidSnapshotSync } from './solid-snapshot.js';
import { overBudget, sameOrigin, type AppliedHook, type PeerSyncOutcome, type SyncParts, type SyncProgress, type SyncRun } from './sync-context.js';

export type { PeerSyncOutcome, SyncProgress } from './sync-context.js';

/** Options of {@link SyncEngine}. */
export interface SyncEngineArgs {
  /** Peers and their sync state, and where each snapshot is applied. */
  readonly provenance: ProvenanceStore;
  /** Where each peer's feed and cursor are kept (incremental sync when the peer has a feed). */
  readonly feed: FeedStore;
  readonly decoder: Decoder;
  /** Our own public base URL: peers can never write under it. */
  readonly ownBase: string;
  readonly policy?: FetchPolicy;
  /** How long a resource may be absent from a peer's snapshot before it is flagged withdrawn. */
  readonly graceMs?: number;
  /**
   * Deadline of the whole sync of one peer (discovery and every page), in ms (default 120 s); each fetch
   * gets the policy's own deadline or what remains of this one, whichever is shorter.
   */
  readonly syncTimeoutMs?: number;
  /** Delay before retrying a failed peer: `min(maxBackoffMs, baseBackoffMs * 2^(failures-1))`, with jitter. */
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** The HTTP client (replaceable in tests). */
  readonly fetch?: SafeFetch;
  /** Access tokens of peers that demand OpenID Connect ones (none: every peer's own static token). */
  readonly tokens?: PeerTokenSource;
  readonly now?: () => Date;
  readonly random?: () => number;
  /**
   * Told of a peer's records once a sync applied them (snapshot or change feed): `main.ts` passes the listings'
   * push path, so a listing mirrors its owner's stock as soon as the owner's change arrives.
   */
  readonly onApplied?: AppliedHook;
  /**
   * Whether {@link onApplied} has anything to do now (for the listings: whether any listing exists). Asked once a
   * snapshot is applied: when it answers no, the records of a big snapshot are not read back from the staging only
   * to be told to a hook that would ignore them all.
   */
  readonly appliedWanted?: () => Promise<boolean>;
  /**
   * Most rows (resources listed) a snapshot keeps in memory, to stage them at its end in the transaction that
   * applies it, rather than in the store page by page (default and most: `FRESH_LIMIT`, 5,000). 0 stages every
   * snapshot in the store.
   */
  readonly memoryRows?: number;
  /**
   * Reads a snapshot's pages from their bytes to their records: `main.ts` passes a worker thread's (`page-workers.ts`),
   * which keeps the event loop free while a page decodes. Default: in the event loop, with {@link decoder}.
   */
  readonly pages?: PageReader;
}

/** The default of {@link SyncEngineArgs.syncTimeoutMs}. */
export const DEFAULT_SYNC_TIMEOUT_MS = 120_000;

/**
 * What a peer's state says after a process died during its sync: the mark the sync left (the peer read as syncing)
 * is counted as a failed attempt once that process is gone ({@link settleUnfinishedSyncs}).
 */
export const UNFINISHED_SYNC = failure('internal', 'the sync did not finish: the process stopped during it');

/** This process, as the owner of the syncs it marks: host, pid, and a nonce (a later process may get the same pid). */
export const SYNC_OWNER = `${hostname()}:${process.pid}:${randomUUID()}`;

/**
 * Whether the process that marked a sync is gone: this process's own marks never are; another process's are when it
 * is on this host and no longer runs (or is this process's pid, reused), or when the mark is older than any sync lasts
 * (`budgetMs`, its deadline: a process on another host, or a pid reused since).
 *
 * @param owner - the mark's owner ({@link SYNC_OWNER} of the process that wrote it; null: unknown)
 * @param since - when the mark was written
 */
export function syncOwnerGone(owner: string | null, since: string, now: Date, budgetMs: number): boolean {
  if (owner === SYNC_OWNER) return false;
  if (Date.parse(since) < now.getTime() - budgetMs) return true;
  const [host, pidText] = (owner ?? '').split(':');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isSafeInteger(pid) || pid <= 0) return owner === null;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error: unknown) {
    // EPERM: a process of another user runs with that pid.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Counts the syncs that processes now gone left unfinished as failures (at start: the last process died during
 * them). A sync of another process still running is left alone.
 *
 * @returns the peers whose sync was counted
 */
export async function settleUnfinishedSyncs(provenance: ProvenanceStore, budgetMs: number, now: Date = new Date()): Promise<number[]> {
  return provenance.settleUnfinished((owner, since) => syncOwnerGone(owner, since, now, budgetMs), failureText(UNFINISHED_SYNC));
}

/** Syncs peers into the provenance store (which rebuilds their rows of the federated index). */
export class SyncEngine {
  private readonly parts: Omit<SyncParts, 'fetch'>;
  private readonly policy: FetchPolicy;
  private readonly transport: SafeFetch;
  private readonly budgetMs: number;
  private readonly now: () => Date;
  private readonly random: () => number;
  /** Fires when the node stops: every fetch of a run gives up at once ({@link SyncEngine.stop}). */
  private readonly stopping = new AbortController();

  public constructor(private readonly args: SyncEngineArgs) {
    this.policy = { ...(args.policy ?? DEFAULT_FETCH_POLICY), signal: this.stopping.signal };
    this.transport = args.fetch ?? safeFetch;
    this.budgetMs = args.syncTimeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS;
    this.parts = {
      provenance: args.provenance, feed: args.feed, decoder: args.decoder, ownBase: args.ownBase, policy: this.policy,
      graceMs: args.graceMs ?? 3_600_000, ...(args.onApplied !== undefined ? { onApplied: args.onApplied } : {}),
      ...(args.appliedWanted !== undefined ? { appliedWanted: args.appliedWanted } : {}),
      ...(args.memoryRows !== undefined ? { memoryRows: args.memoryRows } : {}),
      ...(args.pages !== undefined ? { pages: args.pages } : {}),
    };
    this.now = args.now ?? (() => new Date());
    this.random = args.random ?? Math.random;
  }

  /**
   * Syncs one peer now (whatever its next attempt: the caller decides when a peer is due).
   *
   * @param peer - the peer
   * @param onProgress - called after each page
   */
  public async sync(peer: PeerRow, onProgress?: (progress: SyncProgress) => void): Promise<PeerSyncOutcome> {
    const started = Date.now();
    // A mark left by a process that died during this peer's sync (`maillon sync` beside `serve`): its failure counts.
    if (peer.syncingSince !== null) {
      const settled = await this.args.provenance.settleUnfinished((owner, since) => syncOwnerGone(owner, since, this.now(), this.budgetMs), failureText(UNFINISHED_SYNC), peer.id);
      if (settled.length > 0) peer = { ...peer, status: 'failed', failures: peer.failures + 1, syncingSince: null };
    }
    const run: SyncRun = { peer, started, startedAt: this.now(), deadline: started + this.budgetMs, budgetMs: this.budgetMs, onProgress };
    // Marked, in a transaction of its own, before any work, with the backoff of a failure as its next attempt: should
    // the process die during the sync, the next start finds a peer in backoff (and counts the failure), not a peer due
    // now that it would sync (and die on) again. Its last outcome and failures stay until the sync ends.
    const backoff = new Date(this.now().getTime() + this.backoff(peer.failures + 1, peer)).toISOString();
    // Another process syncing this peer now (`maillon sync` beside `serve`) keeps its mark, and this sync does not run:
    // two syncs of one peer at once would fetch it twice, and the first to end would clear the other's mark.
    const mark = await this.args.provenance.markSyncing(peer.id, { at: run.startedAt.toISOString(), owner: SYNC_OWNER, nextAttemptAt: backoff },
      (owner, since) => syncOwnerGone(owner, since, this.now(), this.budgetMs));
    if (mark.state === 'removed') return removedDuring(peer);
    if (mark.state === 'held') return syncingElsewhere(peer, mark.owner, mark.since);
    let outcome: PeerSyncOutcome;
    try {
      // The credentials this run reads the peer with: changed during the run (a new token), or already before it (the
      // row it was given is older than the stored one), the cursor it reaches is not the new ones' and is not kept.
      // The version first, then the row: a change between the two shows in the row, one after both in the version.
      const version = await this.parts.feed.peerCredentials(peer.id);
      const stored = await this.parts.provenance.getPeer(peer.id);
      const credentials = stored !== undefined && (stored.token !== peer.token || stored.tokenHeader !== peer.tokenHeader) ? 'stale' : version;
      const token = await this.args.tokens?.tokenFor(peer);
      if (token !== undefined && !token.ok) {
        outcome = { ok: false, peer, failure: token.failure };
      } else {
        // The run sends the access token where the peer's static token would go; the outcome names the peer as stored.
        const current = token === undefined ? undefined : { token: token.token };
        const withToken: PeerRow = current === undefined ? peer : { ...peer, token: current.token, tokenHeader: 'authorization' };
        // The run's pages of the peer's origin share a connection (a big peer's hundreds of pages opened one each),
        // closed with the run: none outlives it, none serves another peer.
        const pool = keepAlivePool(peer.url);
        let ran: PeerSyncOutcome;
        try {
          ran = await this.run({ ...run, peer: withToken, credentials }, { ...this.parts, fetch: this.budgetedFetch(run, current, pool) });
        } finally {
          pool?.destroy();
        }
        outcome = { ...ran, peer };
        if (outcome.ok) {
          // What the peer relays under an origin followed whole that this origin does not publish: not shown, and said.
          const unvouched = await this.parts.provenance.unvouched(peer.id);
          if (unvouched.count > 0) outcome = { ...outcome, summary: { ...outcome.summary, unvouched } };
        }
      }
    } catch (error: unknown) {
      // Our own fault (a bug, the database, a part that threw on a hostile document): reported on the peer like
      // a failure, so the scheduler goes on.
      const message = error instanceof Error ? error.message : String(error);
      outcome = { ok: false, peer, failure: failure('internal', clip(message, 500), peer.url) };
    }
    // Removed during the sync (its writes then fail on the missing peer, the cascade having dropped its staging): the
    // outcome says so, whatever the run met, rather than an internal error or a success that nothing keeps.
    return (await this.recordEnd(run, outcome)) ? outcome : removedDuring(peer);
  }

  /**
   * At a start: the peers whose last sync never finished (the process died during it: a hostile page that exhausted
   * its memory, a kill) wait their backoff from now, not from when that sync began. The attempt was counted as a
   * failure before it started, with a backoff from then; a sync that takes longer than that backoff to kill the node
   * left its peer due at once at the next start, which synced it (and died) again. Each such death counts one more
   * failure (the marker of the next attempt), so the wait grows as any failure's does.
   *
   * @param settled - the peers whose unfinished sync this start counted as a failure ({@link settleUnfinishedSyncs})
   * @returns the peers put off
   */
  public async deferUnfinished(settled: readonly number[]): Promise<PeerRow[]> {
    const marker = failureText(UNFINISHED_SYNC);
    const deferred: PeerRow[] = [];
    // Only the peers whose unfinished sync this start counted: every other start (a CLI command opens the node too)
    // would put off again a peer whose last error still says so, and a cron job would keep it from ever syncing.
    const these = new Set(settled);
    for (const peer of await this.args.provenance.listPeers()) {
      if (!these.has(peer.id) || peer.status !== 'failed' || peer.lastError !== marker) continue;
      const next = new Date(this.now().getTime() + this.backoff(Math.max(1, peer.failures), peer)).toISOString();
      if (peer.nextAttemptAt !== null && peer.nextAttemptAt >= next) continue;
      if (await this.args.provenance.postponeAttempt(peer.id, { at: peer.lastAttemptAt, error: marker, failures: peer.failures }, next)) {
        deferred.push({ ...peer, nextAttemptAt: next });
      }
    }
    return deferred;
  }

  /**
   * Gives up the syncs under way, for a node that stops: each fetch in flight ends at once (a slow peer, a big
   * snapshot's next pages would otherwise hold the stop for a whole sync's deadline), each run fails as a failure
   * does (nothing of it is applied, the peer's previous data stays), and the attempt is not counted against the
   * peer: it is due again at the next start. Syncs asked afterwards fail the same way.
   */
  public stop(): void {
    this.stopping.abort();
  }

  /**
   * Records how an attempt ended (or, before it starts, that it has not ended yet).
   *
   * @returns whether the peer is still there
   */
  private async recordEnd(run: SyncRun, outcome: PeerSyncOutcome): Promise<boolean> {
    const { peer } = run;
    if (!outcome.ok && outcome.failure.kind === 'stopped') {
      // Given up for the stop, not the peer's doing: no failure counted, no backoff, due at the next start.
      return this.args.provenance.recordAttempt(peer.id, {
        owner: SYNC_OWNER, status: 'stopped', at: run.startedAt.toISOString(), nextAttemptAt: this.now().toISOString(), failures: peer.failures,
        error: failureText(failure('stopped', 'the node stopped during this sync; it runs again after the next start', peer.url)),
        summary: null, intervalSeconds: peer.intervalSeconds,
      });
    }
    const failures = outcome.ok ? 0 : peer.failures + 1;
    return this.args.provenance.recordAttempt(peer.id, {
      owner: SYNC_OWNER,
      status: outcome.ok ? 'ok' : 'failed',
      at: run.startedAt.toISOString(),
      nextAttemptAt: new Date(this.now().getTime() + (outcome.ok ? intervalWithJitter(peer.intervalSeconds, this.random) : this.backoff(failures, peer))).toISOString(),
      failures,
      error: outcome.ok ? null : failureText(outcome.failure),
      summary: outcome.ok ? outcome.summary : null,
      // What the next attempt was computed from: a shorter interval set while the sync ran is applied by the store.
      intervalSeconds: peer.intervalSeconds,
    });
  }

  /**
   * The page fetch of one run: each fetch gets the policy's deadline or what remains of the whole sync's,
   * whichever is shorter (no timer of our own: the fetcher's deadline does it), and none starts past it.
   */
  private budgetedFetch(run: SyncRun, oidc?: { token: string }, pool?: Agent): SyncParts['fetch'] {
    let renewed = false;
    const once = async (request: PageRequest): Promise<FetchOutcome> => {
      if (this.stopping.signal.aborted) return { ok: false, failure: failure('stopped', 'given up: the node is stopping', request.url) };
      const remaining = run.deadline - Date.now();
      if (remaining <= 0) return { ok: false, failure: overBudget(run, request.url) };
      const capped = remaining < this.policy.totalTimeoutMs;
      // A peer's request carries the access token held now (renewed during the run, maybe).
      const authorised = oidc !== undefined && request.token !== undefined ? { ...request, token: oidc.token } : request;
      // The pool is the peer's origin's: a page elsewhere (a pod, where a page moved) opens its own connection.
      const sent = pool !== undefined && sameOrigin(request.url, run.peer.url) ? { ...authorised, agent: pool } : authorised;
      const outcome = await fetchPage(sent, capped ? { ...this.policy, totalTimeoutMs: remaining } : this.policy, this.transport);
      // A timeout at the sync's deadline is the whole sync's, not this request's (a timer may fire a ms early).
      if (!outcome.ok && outcome.failure.kind === 'timeout' && capped && Date.now() >= run.deadline - 1) {
        return { ok: false, failure: overBudget(run, request.url) };
      }
      return outcome;
    };
    return async (request) => {
      const outcome = await once(request);
      // The peer refused the access token (revoked, expired early): renew it once per run, and retry once.
      if (oidc === undefined || renewed || request.token === undefined || outcome.ok || outcome.failure.status !== 401) return outcome;
      renewed = true;
      const token = await this.args.tokens?.tokenFor(run.peer, true);
      if (token === undefined || !token.ok) return outcome;
      oidc.token = token.token;
      return once(request);
    };
  }

  /** Exponential backoff with jitter, never longer than the peer's own interval. */
  private backoff(failures: number, peer: PeerRow): number {
    const base = this.args.baseBackoffMs ?? 30_000;
    const max = Math.min(this.args.maxBackoffMs ?? 3_600_000, Math.max(base, peer.intervalSeconds * 1000));
    return backoffDelay(failures, { baseMs: base, maxMs: max }, this.random);
  }

  /**
   * Incremental when the peer publishes a change feed and we hold a cursor in it; otherwise a full snapshot,
   * after which the cursor is set to the feed's head read *before* the snapshot (so no change is missed).
   */
  private async run(run: SyncRun, parts: SyncParts): Promise<PeerSyncOutcome> {
    const { peer } = run;
    // A pod has no DFC discovery or change feed: each sync reads its documents, conditionally.
    if (peer.kind === 'solid') return solidSnapshotSync(parts, run);
    const feedUrl = await this.feedUrlOf(peer, parts);
    const state = await parts.feed.peerFeed(peer.id);
    let feedRead: Resync | undefined;
    if (feedUrl !== undefined && state.cursor !== null) {
      const incremental = await incrementalSync(parts, run, feedUrl, state.cursor, state.stream);
      if (!('resync' in incremental)) return incremental;
      feedRead = incremental;
    }
    const head = feedUrl === undefined ? undefined : await feedHead(parts, peer, feedUrl);
    const snapshot = await snapshotSync(parts, run);
    // The feed pages read before the snapshot took over are this sync's too: its summary counts them.
    const outcome: PeerSyncOutcome = !snapshot.ok || feedRead === undefined ? snapshot : {
      ...snapshot,
      summary: {
        ...snapshot.summary, pages: snapshot.summary.pages + feedRead.pages, bytes: snapshot.summary.bytes + feedRead.bytes,
        wireBytes: (snapshot.summary.wireBytes ?? snapshot.summary.bytes) + feedRead.wireBytes,
      },
    };
    // A snapshot that could not read some catalogue sets no cursor: the next sync is a snapshot again, which asks
    // those catalogues again (the feed would never), and until one reads them all the peer is not its origin's whole word.
    if (outcome.ok && head !== undefined && outcome.summary.unreadable === undefined) {
      await parts.feed.setPeerFeed(peer.id, { cursor: head.head, stream: head.stream }, cursorGuard(run));
    }
    return outcome;
  }

  /**
   * The feed of a peer, found once through discovery and remembered (an empty string: it has none). An
   * unreachable peer is asked again next time.
   */
  private async feedUrlOf(peer: PeerRow, parts: SyncParts): Promise<string | undefined> {
    const state = await parts.feed.peerFeed(peer.id);
    if (state.feedUrl !== null) return state.feedUrl === '' ? undefined : state.feedUrl;
    const discovery = await discover(new URL(peer.url).origin, parts.fetch);
    if (discovery.status === 'unreachable') return undefined;
    const found = discovery.status === 'found' ? feedOf(discovery.document, peer.url) ?? '' : '';
    await parts.feed.setPeerFeed(peer.id, { feedUrl: found });
    return found === '' ? undefined : found;
  }
}

/**
 * The outcome of a sync of a peer that was removed before it ended (`DELETE /api/sync/peers/{id}` while it ran):
 * nothing of the run is kept, and the peer's data is gone with it.
 */
function removedDuring(peer: PeerRow): PeerSyncOutcome {
  return { ok: false, peer, failure: failure('removed', 'the peer was removed during its sync: nothing of the sync was kept', peer.url) };
}

/**
 * The outcome of a sync not run because another process, still alive, is syncing the peer (`maillon sync` beside
 * `serve` on one database): nothing is fetched or recorded, no failure is counted, and the peer reads as syncing
 * (that process's sync) until it ends.
 *
 * @param owner - the mark's owner ({@link SYNC_OWNER} of that process: `host:pid:nonce`)
 * @param since - when that sync began
 */
function syncingElsewhere(peer: PeerRow, owner: string | null, since: string): PeerSyncOutcome {
  const [host, pid] = (owner ?? '').split(':');
  const who = host !== undefined && host !== '' && pid !== undefined && pid !== '' ? `another process (pid ${pid} on ${host})` : 'another process';
  return { ok: false, peer, failure: failure('busy', `already being synced by ${who} since ${since}; not synced again here`, peer.url) };
}

/** How far a peer's next sync may move from its interval, as a share of it (±5 %). */
export const INTERVAL_JITTER = 0.05;

/**
 * The time to a peer's next sync after a success, in ms: its interval, moved by up to ±{@link INTERVAL_JITTER} of
 * it. Peers added together (a thousand at once) would otherwise stay in step forever, all due in the same second
 * of every interval; the jitter spreads them a little more at each sync.
 *
 * @param random - a number in [0, 1)
 */
export function intervalWithJitter(intervalSeconds: number, random: () => number): number {
  return Math.round(intervalSeconds * 1000 * (1 + INTERVAL_JITTER * (2 * random() - 1)));
}

/** The condition a run's feed cursor is written on: the peer's credentials the same as when the run began. */
function cursorGuard(run: SyncRun): { credentials?: string } {
  return run.credentials === undefined ? {} : { credentials: run.credentials };
}

/**
 * A keep-alive pool for the pages of one run at a peer's origin (see {@link PageRequest.agent}); undefined for a URL
 * that is no http(s) one. Each request through it is still checked and bounded as any (a redirect elsewhere opens its
 * own connection); the caller destroys it when the run ends.
 *
 * @param url - the peer's URL
 */
function keepAlivePool(url: string): Agent | undefined {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    return undefined;
  }
  // One connection: a run fetches its pages one after the other.
  const options = { keepAlive: true, maxFreeSockets: 1 };
  return protocol === 'https:' ? new HttpsAgent(options) : protocol === 'http:' ? new Agent(options) : undefined;
}
