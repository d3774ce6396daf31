/**
 * When peers are synced: each on its own interval, at most `concurrency` at a time, a failed peer after its
 * backoff. Its tick runs on the node's {@link Timers}.
 *
 * @packageDocumentation
 */
import type { Logger } from 'pino';
import { failure, loggedFailure, shownUrl } from '../errors/failure.js';
import type { PeerRow, ProvenanceStore, SyncSummary } from '../store/federation.js';
import type { CancelTimer, Timers } from '../timers/timers.js';
import type { PeerSyncOutcome, SyncEngine, SyncProgress } from './sync-engine.js';

/** Options of {@link SyncScheduler}. */
export interface SyncSchedulerArgs {
  readonly engine: SyncEngine;
  /** Where the peers and their next attempts are listed. */
  readonly provenance: ProvenanceStore;
  /** Where the periodic tick runs. */
  readonly timers: Timers;
  /** Most peers synced at once (default 4). */
  readonly concurrency?: number;
  /** How often due peers are looked for (default 1 s). */
  readonly tickMs?: number;
  /**
   * The longest a peer's first sync is put off to spread a backlog, the one found at start or a batch of new peers
   * added while the node runs (default 5 minutes; never more than the peer's interval).
   */
  readonly spreadMs?: number;
  readonly logger?: Logger;
  readonly now?: () => Date;
  /** A number in [0, 1) (tests pass their own). */
  readonly random?: () => number;
}

/** How the schedule keeps up (see {@link scheduleStatus}). */
export interface ScheduleStatus {
  /**
   * Whether peers are synced on their intervals (`serve` without `MAILLON_SYNC_SCHEDULE=off`). When not, nothing
   * syncs a peer unless asked, so no lag is measured: `lagSeconds` and `mostOverdue` are null, and `due` counts the
   * peers whose next attempt has come (what a `maillon sync` would sync).
   */
  readonly enabled: boolean;
  /** Most syncs at once. */
  readonly concurrency: number;
  /**
   * Peers whose sync is due now and not running (waiting for a free slot). A peer whose first sync was put off to
   * spread a backlog is due from its planned time, not before.
   */
  readonly due: number;
  /**
   * How late the most overdue peer is, in seconds (0 when none is due): since its next attempt, or since it was added
   * (a new peer), or since its planned time when its first sync was put off to spread a backlog. Null when the schedule
   * is off.
   */
  readonly lagSeconds: number | null;
  /** The most overdue peer's name, or null. */
  readonly mostOverdue: string | null;
}

/**
 * How far behind its peers' intervals the schedule is: how many peers are due and not running, and how late the
 * most overdue is. A lag that grows means the node cannot keep its peers' intervals (too many peers for its
 * concurrency, or peers too slow); a spread of first syncs on plan is no lag.
 *
 * @param planned - when the first sync of each peer put off to spread a backlog is planned (epoch ms)
 */
export function scheduleStatus(
  peers: readonly PeerRow[], running: ReadonlySet<number>, now: Date, concurrency: number, planned: ReadonlyMap<number, number> = new Map(),
): ScheduleStatus {
  let due = 0;
  let lagMs = 0;
  let mostOverdue: string | null = null;
  for (const peer of peers) {
    if (running.has(peer.id)) continue;
    // A new peer is due since it was added; one whose first sync was put off, since its planned time.
    const since = Math.max(Date.parse(peer.nextAttemptAt ?? peer.createdAt), planned.get(peer.id) ?? -Infinity);
    const late = now.getTime() - since;
    if (!(late >= 0)) continue;
    due++;
    if (late >= lagMs) {
      lagMs = late;
      mostOverdue = peer.name;
    }
  }
  return { enabled: true, concurrency, due, lagSeconds: Math.round(lagMs / 1000), mostOverdue };
}

/**
 * Runs syncs now or on schedule, never two of the same peer at once. The schedule reads the peers at each tick and
 * queues those due, most overdue first; a slot freed by a sync that ends is given to the next of them at once, not
 * at the next tick, so that throughput is bounded by the syncs themselves, not by `concurrency` a tick.
 */
export class SyncScheduler {
  private readonly running = new Map<number, Promise<PeerSyncOutcome>>();
  private cancelTick: CancelTimer | undefined;
  private readonly concurrency: number;
  /**
   * When the first sync of each peer of a backlog may begin (epoch ms): the spread of first syncs. Also the new peers
   * found while the node runs that were not put off (now): so that they count in no later batch.
   */
  private readonly notBefore = new Map<number, number>();
  /** Whether the backlog at start was looked at yet. */
  private spread = false;
  /** The peers due at the last reading of the list, most overdue first, not started yet (their ids). */
  private queue: number[] = [];
  /** A tick asked for the list to be read again. */
  private wantList = false;
  /** A slot was freed: the next queued peer may start. */
  private wantFill = false;
  /** The scheduling work going on (a tick's, or a freed slot's), if any: one at a time, never two. */
  private pumping: Promise<void> | undefined;
  /** Set by {@link stop}: no sync starts any more, whoever asks ({@link runNow}, {@link syncOne}, {@link syncSoon}). */
  private stopped = false;

  public constructor(private readonly args: SyncSchedulerArgs) {
    this.concurrency = Math.max(1, args.concurrency ?? 4);
  }

  private now(): Date {
    return this.args.now?.() ?? new Date();
  }

  /** How the schedule keeps up with the intervals of these peers (all of them, as listed), now. */
  public statusOf(peers: readonly PeerRow[]): ScheduleStatus {
    const status = scheduleStatus(peers, new Set(this.running.keys()), this.now(), this.concurrency, this.notBefore);
    // Not started (`MAILLON_SYNC_SCHEDULE=off`, or a process that only syncs when asked) or stopped: peers wait for
    // no schedule, so how late they are against one means nothing (it would only grow).
    return this.cancelTick !== undefined ? status : { ...status, enabled: false, lagSeconds: null, mostOverdue: null };
  }

  /** Peers being synced now. */
  public get active(): number[] {
    return [...this.running.keys()];
  }

  /** Starts the periodic syncs. */
  public start(): void {
    if (this.cancelTick !== undefined) return;
    this.cancelTick = this.args.timers.every('sync schedule', this.args.tickMs ?? 1000, () => this.tick());
  }

  /**
   * Stops scheduling, gives up the syncs in flight ({@link SyncEngine.stop}: their fetches end at once, nothing of
   * them is applied) and waits for them to end.
   */
  public async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTick?.();
    this.cancelTick = undefined;
    this.queue = [];
    this.args.engine.stop();
    await this.pumping;
    await Promise.allSettled(this.running.values());
  }

  /**
   * Syncs the given peers (all when none are given) now, `concurrency` at a time. Once {@link stop}ped, the peers
   * not started yet are not synced (nor touched: their last outcome stays): each gets a `stopped` outcome ({@link syncOne}).
   *
   * @param peers - the peers
   * @param onProgress - per peer progress
   * @returns one outcome per peer, in the order given
   */
  public async runNow(peers?: readonly PeerRow[], onProgress?: (peer: PeerRow, progress: SyncProgress | 'done', outcome?: PeerSyncOutcome) => void): Promise<PeerSyncOutcome[]> {
    const list = peers ?? (await this.args.provenance.listPeers());
    const outcomes: PeerSyncOutcome[] = new Array<PeerSyncOutcome>(list.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < list.length) {
        const index = next++;
        const peer = list[index] as PeerRow;
        const outcome = await this.syncOne(peer, (p) => onProgress?.(peer, p));
        outcomes[index] = outcome;
        onProgress?.(peer, 'done', outcome);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, list.length) }, worker));
    return outcomes;
  }

  /**
   * Plans the first syncs of a backlog: at the first look, the peers due (new ones, and those a stopped node left
   * overdue); later, the new peers added since (a script adding a thousand). When they are more than the schedule
   * syncs at once, each is put off by a random part of the spread window (at most its own interval), so that a
   * thousand peers are not all asked in the first minutes and then, in step, at every interval after. A few start
   * at once. Peers overdue because the node cannot keep up are never put off.
   */
  private planFirstSyncs(peers: readonly PeerRow[], now: Date): void {
    const listed = new Set(peers.map((p) => p.id));
    for (const id of this.notBefore.keys()) if (!listed.has(id)) this.notBefore.delete(id);
    const first = !this.spread;
    this.spread = true;
    const backlog = duePeers(peers, now, new Set(this.running.keys()), peers.length)
      .filter((p) => !this.notBefore.has(p.id) && (first || p.nextAttemptAt === null));
    if (backlog.length <= this.concurrency) {
      // Not put off; a new peer is marked as seen, so that it counts in no later batch.
      if (!first) for (const peer of backlog) this.notBefore.set(peer.id, now.getTime());
      return;
    }
    const random = this.args.random ?? Math.random;
    const window = this.args.spreadMs ?? 300_000;
    for (const peer of backlog) this.notBefore.set(peer.id, now.getTime() + Math.floor(random() * Math.min(window, peer.intervalSeconds * 1000)));
    this.args.logger?.info({ peers: backlog.length, windowMs: window }, first ? 'spreading the first syncs of the peers due at start'
      : 'spreading the first syncs of the peers added');
  }

  /** Peers to sync once more when their running sync ends (a push arrived meanwhile). */
  private readonly again = new Set<number>();

  /**
   * Syncs a peer soon: now, or right after the sync of it that is running (which may have read the peer
   * before the change that a notification announces).
   */
  public syncSoon(peer: PeerRow): void {
    if (this.running.has(peer.id)) {
      this.again.add(peer.id);
      return;
    }
    this.inBackground(peer);
  }

  /** Syncs one peer, or joins the sync of it already running. */
  public syncOne(peer: PeerRow, onProgress?: (progress: SyncProgress) => void): Promise<PeerSyncOutcome> {
    const current = this.running.get(peer.id);
    if (current !== undefined) return current;
    // Stopped (a node in its grace period, asked by hand or by a push): a sync started now would only mark the peer and
    // record a `stopped` attempt over its last outcome, due again at once; the peer is left as it is.
    if (this.stopped) return Promise.resolve(notStarted(peer));
    // Synced now (by hand, by a push, or its turn came): whatever was planned for its first sync is past.
    this.notBefore.delete(peer.id);
    const run = this.args.engine.sync(peer, onProgress).finally(() => {
      this.running.delete(peer.id);
      if (this.again.delete(peer.id)) this.inBackground(peer);
    });
    this.running.set(peer.id, run);
    // The slot is free: the next due peer takes it now. Not after a sync that rejected (the store failing to record
    // the attempt, so the peer is due still): the next tick tries again, a second later, rather than at once forever.
    run.then(() => this.slotFreed(), () => undefined);
    return run;
  }

  /**
   * Syncs one peer with nobody waiting for it: the outcome is logged, and a sync that rejects (the store
   * failing to record the attempt) is logged too, never left as an unhandled rejection that ends the process.
   */
  private inBackground(peer: PeerRow): void {
    this.syncOne(peer).then((outcome) => {
      // Given up, or not started, for the node's stop: no failure of the peer's.
      if (!outcome.ok && outcome.failure.kind === 'stopped') this.args.logger?.info({ peer: peer.name }, 'peer sync given up: the node is stopping');
      else if (!outcome.ok && outcome.failure.kind === 'removed') this.args.logger?.info({ peer: peer.name }, 'peer removed during its sync');
      // Not this peer's failure: another process (`maillon sync`) is syncing it, and its mark keeps it off the schedule.
      else if (!outcome.ok && outcome.failure.kind === 'busy') this.args.logger?.info({ peer: peer.name, reason: outcome.failure.message }, 'peer being synced by another process');
      // A peer's URL may carry its secret (`?key=…`): the log shows it without.
      else if (!outcome.ok) this.args.logger?.warn({ peer: peer.name, failure: loggedFailure(outcome.failure) }, 'peer sync failed');
      else this.args.logger?.info({ peer: peer.name, summary: loggedSummary(outcome.summary) }, 'peer synced');
    }, (error: unknown) => {
      this.args.logger?.error({ err: error, peer: peer.name }, 'peer sync failed to run');
    });
  }

  private tick(): Promise<void> {
    this.wantList = true;
    return this.pump();
  }

  /** A sync ended: while the schedule runs, the next queued peer starts. */
  private slotFreed(): void {
    if (this.cancelTick === undefined) return;
    this.wantFill = true;
    void this.pump();
  }

  /**
   * Does what the ticks and the freed slots asked, one piece of work at a time: what is asked meanwhile is done by
   * the work going on, or by the next one, started as soon as it ends.
   */
  private pump(): Promise<void> {
    this.pumping ??= this.work().finally(() => {
      this.pumping = undefined;
      // Asked between the last look at the flags and now.
      if (this.wantList || this.wantFill) void this.pump();
    });
    return this.pumping;
  }

  private async work(): Promise<void> {
    while (this.wantList || this.wantFill) {
      if (this.cancelTick === undefined) {
        this.wantList = false;
        this.wantFill = false;
        return;
      }
      const list = this.wantList;
      this.wantList = false;
      this.wantFill = false;
      try {
        if (list) await this.look();
        await this.fill();
      } catch (error: unknown) {
        // The store failed: nothing more is started before the next tick reads the list again (no loop on a failing read).
        this.queue = [];
        this.args.logger?.error({ err: error }, 'sync scheduler tick failed');
      }
    }
  }

  /**
   * Reads the peers, plans the first syncs of those added, and queues those due when a slot is free (with none
   * free, the queue left is taken first). The plan is made even when every slot is busy: peers added meanwhile are
   * due from their planned times, not late from the moment they were added.
   */
  private async look(): Promise<void> {
    const now = this.now();
    const peers = await this.args.provenance.listPeers();
    this.planFirstSyncs(peers, now);
    if (this.running.size >= this.concurrency) return;
    this.queue = duePeers(peers.filter((p) => !this.waiting(p.id, now)), now, new Set(this.running.keys()), peers.length).map((p) => p.id);
  }

  /** Whether a peer waits for its place in the spread of first syncs. */
  private waiting(id: number, now: Date): boolean {
    return (this.notBefore.get(id) ?? 0) > now.getTime();
  }

  /**
   * Starts queued peers while slots are free. Each is read again first: since the list was read it may have been
   * synced (by hand, by a push), changed or removed.
   */
  private async fill(): Promise<void> {
    while (this.running.size < this.concurrency && this.cancelTick !== undefined) {
      const id = this.queue.shift();
      if (id === undefined) return;
      if (this.running.has(id)) continue;
      const peer = await this.args.provenance.getPeer(id);
      const now = this.now();
      if (peer === undefined || this.running.has(id) || this.waiting(id, now) || !isDue(peer, now)) continue;
      // Taken meanwhile (a sync by hand), or stopped: the peer keeps its place.
      if (this.running.size >= this.concurrency || this.cancelTick === undefined) {
        this.queue.unshift(id);
        return;
      }
      this.inBackground(peer);
    }
  }
}

/** A sync's summary as the log shows it: the catalogues it could not read named without their queries. */
function loggedSummary(summary: SyncSummary): SyncSummary {
  const { unreadable } = summary;
  return unreadable === undefined ? summary : { ...summary, unreadable: { ...unreadable, urls: unreadable.urls.map(shownUrl) } };
}

/**
 * Whether a peer's sync is due: its next attempt has come, or it was never attempted (a new peer).
 *
 * @param peer - the peer
 * @param now - the time now
 */
export function isDue(peer: PeerRow, now: Date): boolean {
  return peer.nextAttemptAt === null || peer.nextAttemptAt <= now.toISOString();
}

/**
 * The peers a scheduler queues: those whose next attempt has come (a new peer at once), not running now,
 * the longest due first, at most `free` of them. A peer in backoff, including one whose sync was cut short by
 * the process dying (its attempt was recorded as a failure before it began), waits for its next attempt.
 *
 * @param peers - every peer
 * @param now - the time now
 * @param running - ids of the peers being synced
 * @param free - how many more syncs may start
 */
export function duePeers(peers: readonly PeerRow[], now: Date, running: ReadonlySet<number>, free: number): PeerRow[] {
  const at = now.toISOString();
  return peers
    .filter((p) => !running.has(p.id) && (p.nextAttemptAt === null || p.nextAttemptAt <= at))
    .sort((a, b) => (a.nextAttemptAt ?? '').localeCompare(b.nextAttemptAt ?? ''))
    .slice(0, Math.max(0, free));
}

/**
 * Whether a peer is waiting out the backoff of a failure, or is being synced (its next attempt the backoff a failure
 * would have: by `serve` beside, or by a process that died during it): `maillon sync` leaves it alone unless it is named.
 *
 * @param peer - the peer
 * @param now - the time now
 */
export function inBackoff(peer: PeerRow, now: Date): boolean {
  return (peer.status === 'failed' || peer.syncingSince !== null) && peer.nextAttemptAt !== null && peer.nextAttemptAt > now.toISOString();
}

/** The longest interval between two syncs of a peer: a year. */
export const MAX_INTERVAL_SECONDS = 366 * 86_400;

/**
 * Parses an interval: `90`, `90s`, `5m`, `2h`, `1d`, at most {@link MAX_INTERVAL_SECONDS}.
 *
 * @returns seconds, or undefined when it does not parse or is longer than a year
 */
export function parseInterval(text: string): number | undefined {
  const match = /^(\d+)\s*([smhd]?)$/u.exec(text.trim());
  if (match === null) return undefined;
  const value = Number(match[1]);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  // At most a year: a larger interval would put the next sync past the dates JavaScript can write.
  return value > 0 && value * unit <= MAX_INTERVAL_SECONDS ? value * unit : undefined;
}

/** The outcome of a peer whose sync was not started, the scheduler being stopped. */
function notStarted(peer: PeerRow): PeerSyncOutcome {
  return { ok: false, peer, failure: failure('stopped', 'not synced: the sync was stopped before this peer', peer.url) };
}
