/**
 * Which peers the sync schedule takes at a tick, and which `maillon sync` leaves alone: a peer waiting out the
 * backoff of a failure (a sync that killed the process counts as one) is not synced again before its time.
 */
import { expect } from 'chai';
import type { PeerRow, ProvenanceStore } from '../../../server/store/federation.js';
import { duePeers, inBackoff, MAX_INTERVAL_SECONDS, parseInterval, scheduleStatus, SyncScheduler } from '../../../server/sync/scheduler.js';
import { intervalWithJitter, type PeerSyncOutcome, type SyncEngine } from '../../../server/sync/sync-engine.js';
import type { Timers } from '../../../server/timers/timers.js';

describe('which peers a sync schedule takes', () => {
  const now = new Date('2026-03-01T12:00:00.000Z');
  const at = (offsetMs: number): string => new Date(now.getTime() + offsetMs).toISOString();
  const peer = (id: number, status: string, nextAttemptAt: string | null): PeerRow => ({
    id, name: `p${id}`, url: `https://p${id}.example/`, origin: `https://p${id}.example`, token: null, tokenHeader: 'authorization',
    profile: 'dfc-v1', kind: 'dfc', intervalSeconds: 300, createdAt: at(-86_400_000), status, lastAttemptAt: null, lastSuccessAt: null, nextAttemptAt,
    failures: status === 'failed' ? 1 : 0, lastError: null, lastSummary: null, syncingSince: null,
  });

  it('takes new peers and those due, the longest due first, skipping those in backoff and those running', () => {
    const peers = [
      peer(1, 'new', null), peer(2, 'ok', at(-1_000)), peer(3, 'failed', at(60_000)), peer(4, 'failed', at(-60_000)),
      peer(5, 'ok', at(1_000)), peer(6, 'ok', at(-5_000)),
    ];
    expect(duePeers(peers, now, new Set(), 10).map((p) => p.id)).to.deep.equal([1, 4, 6, 2]);
    expect(duePeers(peers, now, new Set([4]), 10).map((p) => p.id)).to.deep.equal([1, 6, 2]);
    expect(duePeers(peers, now, new Set(), 2).map((p) => p.id)).to.deep.equal([1, 4]);
    expect(duePeers(peers, now, new Set(), 0)).to.deep.equal([]);
  });

  it('says a failed peer whose next attempt is to come is in backoff, and no other', () => {
    expect(inBackoff(peer(1, 'failed', at(1)), now)).to.equal(true);
    expect(inBackoff(peer(1, 'failed', at(0)), now)).to.equal(false);
    expect(inBackoff(peer(1, 'failed', null), now)).to.equal(false);
    expect(inBackoff(peer(1, 'ok', at(60_000)), now)).to.equal(false);
    expect(inBackoff(peer(1, 'new', null), now)).to.equal(false);
    // Being synced (by another process): its next attempt is a failure's backoff, and it is left alone as one in backoff.
    expect(inBackoff({ ...peer(1, 'ok', at(60_000)), syncingSince: at(-1_000) }, now)).to.equal(true);
  });
});

describe('parseInterval', () => {
  it('reads 90, 90s, 5m, 2h and 1d, up to a year, and nothing else', () => {
    expect(['90', '90s', '5m', '2h', '1d', '366d'].map(parseInterval)).to.deep.equal([90, 90, 300, 7200, 86_400, MAX_INTERVAL_SECONDS]);
    // Past a year the next sync would be a date JavaScript cannot write (a RangeError after every sync).
    for (const bad of ['367d', '99999999999d', '0', '-5m', '5 weeks', '', '1e3']) expect(parseInterval(bad), bad).to.equal(undefined);
  });
});

describe('a schedule of many peers', () => {
  const start = new Date('2026-03-01T12:00:00.000Z');
  const peer = (id: number, nextAttemptAt: string | null, intervalSeconds = 3600): PeerRow => ({
    id, name: `p${id}`, url: `https://p${id}.example/`, origin: `https://p${id}.example`, token: null, tokenHeader: 'authorization',
    profile: 'dfc-v1', intervalSeconds, createdAt: new Date(start.getTime() - 600_000).toISOString(), status: nextAttemptAt === null ? 'new' : 'ok',
    lastAttemptAt: null, lastSuccessAt: null, nextAttemptAt, failures: 0, lastError: null, lastSummary: null, kind: 'dfc', syncingSince: null,
  });

  /** How the fake engine of {@link harness} ends a sync. */
  type Ending = 'recorded' | 'unrecorded' | 'rejected';

  /**
   * A scheduler over fake peers, engine, clock and timers: the test turns the clock and runs the ticks. A sync ends a
   * turn of the event loop after it starts: `recorded` as the store records an attempt (the next one an interval
   * away), `unrecorded` leaving the peer due still, `rejected` as a sync whose attempt the store failed to record.
   */
  function harness(
    peers: PeerRow[], concurrency: number, random: () => number, options: { ending?: Ending; listFails?: boolean; hold?: Promise<void> } = {},
  ) {
    let now = start;
    let tick: (() => unknown) | undefined;
    const synced: { id: number; at: number }[] = [];
    let active = 0;
    let maxActive = 0;
    let reads = 0;
    const timers: Timers = {
      every: (_name, _ms, task) => {
        tick = task;
        return () => undefined;
      },
      after: () => () => undefined,
      cancelAll: () => undefined,
    };
    const engine = {
      sync: async (p: PeerRow): Promise<PeerSyncOutcome> => {
        synced.push({ id: p.id, at: now.getTime() - start.getTime() });
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((resolve) => setImmediate(resolve));
        // A sync that lasts until the test lets it end (it keeps its slot meanwhile).
        if (options.hold !== undefined) await options.hold;
        active--;
        if (options.ending === 'rejected') throw new Error('SQLITE_FULL: database or disk is full');
        if (options.ending !== 'unrecorded') {
          peers[peers.findIndex((q) => q.id === p.id)] = { ...p, nextAttemptAt: new Date(now.getTime() + p.intervalSeconds * 1000).toISOString() };
        }
        return { ok: false, peer: p, failure: { kind: 'network', message: 'not run' } } as unknown as PeerSyncOutcome;
      },
      stop: () => undefined,
    } as unknown as SyncEngine;
    const read = <T>(value: () => T): Promise<T> => {
      reads++;
      return options.listFails === true ? Promise.reject(new Error('SQLITE_BUSY: database is locked')) : Promise.resolve(value());
    };
    const provenance = {
      listPeers: () => read(() => [...peers]),
      getPeer: (id: number) => read(() => peers.find((p) => p.id === id)),
    } as unknown as ProvenanceStore;
    const scheduler = new SyncScheduler({ engine, provenance, timers, concurrency, spreadMs: 60_000, now: () => now, random });
    scheduler.start();
    return {
      scheduler, synced,
      get maxActive(): number {
        return maxActive;
      },
      get reads(): number {
        return reads;
      },
      /** Turns the clock to `ms` after the start, runs a tick, and waits until every sync it led to has ended. */
      at: async (ms: number): Promise<void> => {
        now = new Date(start.getTime() + ms);
        await tick?.();
        // Let the fake syncs, and those that their freed slots start, settle (nothing left running for a few turns).
        for (let quiet = 0, turns = 0; quiet < 3 && (options.hold === undefined || turns < 10); turns++) {
          await new Promise((resolve) => setImmediate(resolve));
          quiet = scheduler.active.length === 0 ? quiet + 1 : 0;
        }
      },
    };
  }

  it('spreads the first syncs of a backlog over the window, at most `concurrency` at a time', async () => {
    const peers = Array.from({ length: 40 }, (_, i) => peer(i + 1, null));
    let n = 0;
    // Evenly spread draws: peer k starts at about k / 40 of the window.
    const h = harness(peers, 4, () => (n++ % 40) / 40);
    for (let ms = 0; ms <= 70_000; ms += 1000) await h.at(ms);
    expect(h.synced.map((s) => s.id).sort((a, b) => a - b)).to.deep.equal(peers.map((p) => p.id));
    // Not all at the start: a quarter of the window holds about a quarter of them, none more than concurrency at one tick.
    expect(h.synced.filter((s) => s.at === 0).length).to.be.at.most(4);
    expect(h.synced.filter((s) => s.at < 15_000).length).to.be.within(8, 16);
    const perTick = new Map<number, number>();
    for (const s of h.synced) perTick.set(s.at, (perTick.get(s.at) ?? 0) + 1);
    expect(Math.max(...perTick.values())).to.be.at.most(4);
    expect(Math.max(...h.synced.map((s) => s.at))).to.be.below(60_000 + 5_000);
  });

  it('starts a few due peers at once: nothing to spread when they fit in the free slots', async () => {
    const h = harness([peer(1, null), peer(2, start.toISOString())], 4, () => 0.99);
    await h.at(0);
    expect(h.synced.map((s) => s.id).sort()).to.deep.equal([1, 2]);
  });

  it('gives a slot freed by a sync to the next due peer at once: 40 quick syncs in one tick, never more than 2 at once', async () => {
    // Synced before (not a backlog at start): all 40 come due together, ten seconds on.
    const peers = Array.from({ length: 40 }, (_, i) => peer(i + 1, new Date(start.getTime() + 10_000).toISOString(), 4));
    const h = harness(peers, 2, () => 0.5);
    await h.at(0);
    expect(h.synced).to.deep.equal([]);
    await h.at(10_000);
    // Before, a tick started `concurrency` peers and a slot freed meanwhile waited for the next tick: 2 a second.
    expect(h.synced.map((s) => s.id).sort((a, b) => a - b)).to.deep.equal(peers.map((p) => p.id));
    expect(h.synced.every((s) => s.at === 10_000)).to.equal(true);
    expect(h.maxActive).to.equal(2);
    expect(h.scheduler.statusOf(peers)).to.include({ due: 0, lagSeconds: 0 });
    // Every peer again at its interval, each once.
    await h.at(14_000);
    expect(h.synced).to.have.length(80);
    expect(new Set(h.synced.slice(40).map((s) => s.id)).size).to.equal(40);
    expect(h.maxActive).to.equal(2);
  });

  it('starts a peer that stays due once per reading of the list, not again and again as its slot frees', async () => {
    const peers = Array.from({ length: 10 }, (_, i) => peer(i + 1, start.toISOString()));
    const h = harness(peers, 2, () => 0.5, { ending: 'unrecorded' });
    await h.at(0);
    // Ten due at start: a backlog, spread over the window; past it, each once.
    await h.at(61_000);
    const counts = new Map<number, number>();
    for (const s of h.synced) counts.set(s.id, (counts.get(s.id) ?? 0) + 1);
    expect([...counts.keys()].sort((a, b) => a - b)).to.deep.equal(peers.map((p) => p.id));
    expect(h.synced.filter((s) => s.at === 61_000).map((s) => s.id).sort((a, b) => a - b)).to.deep.equal(peers.map((p) => p.id));
    expect(h.maxActive).to.equal(2);
  });

  it('does not spin when syncs reject (the store failing): the slots they free wait for the next tick', async () => {
    const peers = Array.from({ length: 10 }, (_, i) => peer(i + 1, new Date(start.getTime() + 1_000).toISOString()));
    const h = harness(peers, 2, () => 0.5, { ending: 'rejected' });
    await h.at(0);
    await h.at(1_000);
    expect(h.synced).to.have.length(2);
    await h.at(2_000);
    expect(h.synced).to.have.length(4);
  });

  it('does not spin when the store cannot be read: one reading a tick', async () => {
    const h = harness([peer(1, null)], 2, () => 0.5, { listFails: true });
    for (let ms = 0; ms < 5_000; ms += 1000) await h.at(ms);
    expect(h.reads).to.equal(5);
    expect(h.synced).to.deep.equal([]);
  });

  it('measures lag against the planned time of a spread first sync: a spread on plan is no lag', async () => {
    const peers = Array.from({ length: 40 }, (_, i) => peer(i + 1, null));
    let n = 0;
    const h = harness(peers, 4, () => (n++ % 40) / 40);
    for (let ms = 0; ms <= 30_000; ms += 1000) {
      await h.at(ms);
      // Added ten minutes before the start: measured from that, the lag was 600 s and more while on plan.
      expect(h.scheduler.statusOf(peers), `at ${ms} ms`).to.deep.equal({ enabled: true, concurrency: 4, due: 0, lagSeconds: 0, mostOverdue: null });
    }
    expect(h.synced.length).to.be.within(18, 22);
  });

  it('plans the spread of peers added while every slot is busy at once: their lag counts from their planned times', async () => {
    const peers = [peer(1, null)];
    let release = (): void => undefined;
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    let n = 0;
    const h = harness(peers, 1, () => 0.25 + (n++ % 40) / 80, { hold });
    await h.at(0);
    expect(h.scheduler.active).to.deep.equal([1]);
    // Forty peers added (ten minutes ago, as the harness dates them) while the one slot is taken.
    peers.push(...Array.from({ length: 40 }, (_, i) => peer(i + 2, null)));
    await h.at(1_000);
    // Put off to 15 s and later: none due yet. Planned only once a slot freed, they counted 600 s late meanwhile.
    expect(h.scheduler.statusOf(peers)).to.deep.equal({ enabled: true, concurrency: 1, due: 0, lagSeconds: 0, mostOverdue: null });
    await h.at(20_000);
    const status = h.scheduler.statusOf(peers);
    expect(status.due).to.be.within(1, 40);
    expect(status.lagSeconds).to.be.at.most(5);
    release();
  });

  it('spreads a batch of peers added while the schedule runs; one or two added start at once', async () => {
    const peers = [peer(1, new Date(start.getTime() + 3_600_000).toISOString())];
    let n = 0;
    const h = harness(peers, 4, () => (n++ % 40) / 40);
    await h.at(0);
    peers.push(peer(2, null));
    await h.at(1_000);
    expect(h.synced).to.deep.equal([{ id: 2, at: 1_000 }]);
    peers.push(...Array.from({ length: 40 }, (_, i) => peer(i + 3, null)));
    for (let ms = 2_000; ms <= 65_000; ms += 1000) await h.at(ms);
    const added = h.synced.filter((s) => s.id > 2);
    expect(added.map((s) => s.id).sort((a, b) => a - b)).to.deep.equal(peers.slice(2).map((p) => p.id));
    expect(added.filter((s) => s.at < 17_000).length).to.be.within(8, 16);
    expect(Math.max(...added.map((s) => s.at))).to.be.at.least(55_000);
  });

  it('syncs no peer it has not started once stopped (Ctrl-C during `maillon sync`): those get a stopped outcome and are left untouched', async () => {
    const peers = Array.from({ length: 5 }, (_, i) => peer(i + 1, null));
    let release = (): void => undefined;
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const h = harness(peers, 2, () => 0, { hold });
    const running = h.scheduler.runNow([...peers]);
    while (h.synced.length < 2) await new Promise((resolve) => setImmediate(resolve));
    const stopped = h.scheduler.stop();
    release();
    const outcomes = await running;
    await stopped;
    // The two under way ended as the engine ended them; the three others never reached it.
    expect(h.synced.map((s) => s.id)).to.deep.equal([1, 2]);
    expect(outcomes.map((o) => (o.ok ? 'ok' : o.failure.kind))).to.deep.equal(['network', 'network', 'stopped', 'stopped', 'stopped']);
    expect(outcomes.map((o) => o.peer.id)).to.deep.equal([1, 2, 3, 4, 5]);
  });

  it('once stopped, starts no sync asked by hand or by a push either (a node in its grace period): the peer is left untouched', async () => {
    const peers = [peer(1, null), peer(2, null)];
    const h = harness(peers, 2, () => 0);
    await h.scheduler.stop();
    // A sync started now would mark the peer and record a `stopped` attempt over its last outcome, due again at once.
    const outcome = await h.scheduler.syncOne(peers[0] as PeerRow);
    h.scheduler.syncSoon(peers[1] as PeerRow);
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.synced).to.deep.equal([]);
    expect(outcome.ok ? 'ok' : outcome.failure.kind).to.equal('stopped');
  });

  it('says when the schedule is off (never started, or stopped): no lag is measured, nor grows', async () => {
    // Due for ten minutes: a started schedule would sync it, one that is off never will.
    const peers = [peer(1, new Date(start.getTime() - 600_000).toISOString())];
    const timers: Timers = { every: () => () => undefined, after: () => () => undefined, cancelAll: () => undefined };
    const scheduler = new SyncScheduler({
      engine: { stop: () => undefined } as unknown as SyncEngine, provenance: {} as ProvenanceStore, timers, now: () => start,
    });
    expect(scheduler.statusOf(peers)).to.deep.equal({ enabled: false, concurrency: 4, due: 1, lagSeconds: null, mostOverdue: null });
    scheduler.start();
    expect(scheduler.statusOf(peers)).to.deep.equal({ enabled: true, concurrency: 4, due: 1, lagSeconds: 600, mostOverdue: 'p1' });
    await scheduler.stop();
    expect(scheduler.statusOf(peers)).to.include({ enabled: false, lagSeconds: null });
  });

  it('reports how many peers are due and how late the most overdue one is', () => {
    const peers = [peer(1, new Date(start.getTime() - 90_000).toISOString()), peer(2, new Date(start.getTime() + 1_000).toISOString()),
      peer(3, null), peer(4, new Date(start.getTime() - 5_000).toISOString())];
    // Peer 3 is new: due since it was added, ten minutes ago.
    expect(scheduleStatus(peers, new Set(), start, 4)).to.deep.equal({ enabled: true, concurrency: 4, due: 3, lagSeconds: 600, mostOverdue: 'p3' });
    expect(scheduleStatus(peers, new Set([3]), start, 4)).to.deep.equal({ enabled: true, concurrency: 4, due: 2, lagSeconds: 90, mostOverdue: 'p1' });
    expect(scheduleStatus([peers[1] as PeerRow], new Set(), start, 2)).to.deep.equal({ enabled: true, concurrency: 2, due: 0, lagSeconds: 0, mostOverdue: null });
    // Peer 3's first sync put off to spread a backlog: due from its planned time (to come, then 30 s ago).
    expect(scheduleStatus(peers, new Set(), start, 4, new Map([[3, start.getTime() + 5_000]]))).to.deep.equal({ enabled: true, concurrency: 4, due: 2, lagSeconds: 90, mostOverdue: 'p1' });
    expect(scheduleStatus(peers, new Set(), start, 4, new Map([[3, start.getTime() - 30_000], [1, start.getTime() - 120_000]])))
      .to.deep.equal({ enabled: true, concurrency: 4, due: 3, lagSeconds: 90, mostOverdue: 'p1' });
    expect(scheduleStatus(peers, new Set([1]), start, 4, new Map([[3, start.getTime() - 30_000]]))).to.deep.equal({ enabled: true, concurrency: 4, due: 2, lagSeconds: 30, mostOverdue: 'p3' });
  });

  it('moves each next sync by up to 5 % of the interval, both ways', () => {
    expect(intervalWithJitter(3600, () => 0)).to.equal(3_420_000);
    expect(intervalWithJitter(3600, () => 0.5)).to.equal(3_600_000);
    expect(intervalWithJitter(3600, () => 0.999999)).to.be.within(3_779_000, 3_780_000);
  });
});
