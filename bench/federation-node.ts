/**
 * The node under test of the federation benchmark, alone in its own process (spawned by
 * `bench/federation.ts`), so that its peak memory is its own.
 *
 * Usage: `node --import tsx bench/federation-node.ts DATA_DIR PEERS_JSON [CONCURRENCY] [no-query-entries]`. Starts a
 * real node on 127.0.0.1 (ephemeral port, fresh SQLite file in DATA_DIR, private peers allowed, sync concurrency
 * CONCURRENCY (default 4), no scheduled
 * syncs, log level silent), adds every peer of PEERS_JSON (a file holding {@link PeersReady}) with
 * `store.provenance.addPeer`, then:
 *  1. a cold full sync of every peer with `scheduler.runNow()`;
 *  2. sanity checks: every outcome ok, the federated index holds one winning row per offer (an SQL count
 *     now; `queryEntries({})` at the very end, so that its 100,000 rows in memory do not count as the
 *     sync's peak), and `FederationService.query` of the benchmark's query finds exactly the offers
 *     the peers computed;
 *  3. a warm sync, every page answered 304.
 * It prints one JSON line ({@link NodeSynced}) and serves (the parent times the federated catalogue over
 * HTTP) until its standard input closes; then it prints a last JSON line ({@link NodeDone}) with its peak
 * memory, closes the node and exits normally (so that `--cpu-prof` can write its profile).
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import sqlite3 from 'sqlite3';
import { DFC_PT_NS } from '../ontology/vocabulary.js';
import { issueToken, SCOPES } from '../server/auth/tokens.js';
import { loadConfig } from '../server/config.js';
import { FederationService, haversineKm } from '../server/federation/federation-service.js';
import { createLogger } from '../server/logging.js';
import { startNode } from '../server/main.js';
import type { PeerSyncOutcome } from '../server/sync/sync-engine.js';
import type { PeersReady } from './federation-peers.js';
import { installSqlProfile } from './sql-profile.js';

/** A sync pass, summed over the peers. */
export interface SyncPass {
  readonly ms: number;
  /**
   * CPU time of the node's process over the pass (every thread: SQLite's work too), ms: on a machine shared with
   * other work, the wall time says how busy the machine was as much as what the sync cost; this says the cost.
   */
  readonly cpuMs: number;
  readonly ok: number;
  readonly failed: readonly string[];
  readonly added: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly pages: number;
  readonly notModified: number;
  /** Peers whose pages were not all answered 304 (warm pass). */
  readonly notAllNotModified: number;
  /** Bytes of the pages, decoded: what an uncompressed transfer sends. */
  readonly bytes: number;
  /** Bytes of the pages as received (compressed). */
  readonly wireBytes: number;
  /** Slowest peer sync, ms. */
  readonly slowestPeerMs: number;
}

/** What this script prints after the syncs. */
export interface NodeSynced {
  readonly phase: 'synced';
  readonly url: string;
  readonly pid: number;
  /** An admin token. */
  readonly token: string;
  /** The peers' ids, in the order of the peers file. */
  readonly peerIds: readonly number[];
  readonly cold: SyncPass;
  readonly warm: SyncPass;
  /** Winning rows of the federated index after the cold sync (SQL count, on a connection of its own). */
  readonly winners: number;
  /** `FederationService.query` of the benchmark's query. */
  readonly queryRows: number;
  /** Rows of that query outside the circle or of another type (must be 0). */
  readonly queryStrays: number;
  /** `FederationService.query` time in this process, ms (no rendering). */
  readonly queryMs: number;
  /** RSS (bytes) of the node right after it started, before any sync: its baseline. */
  readonly rssAtStart: number;
  /** maxRSS (bytes) after the cold sync; after the warm sync. */
  readonly maxRssAfterCold: number;
  readonly maxRssAfterWarm: number;
}

/** The last line, when the parent is done. */
export interface NodeDone {
  readonly phase: 'done';
  /** Peak resident set size of the syncs and the HTTP queries, in bytes. */
  readonly maxRss: number;
  /** `queryEntries({}).length`, run after `maxRss` was taken (it holds every row in memory at once). */
  readonly queryEntriesLength: number;
  /** Peak resident set size once `queryEntries({})` ran too. */
  readonly maxRssWithQueryEntries: number;
}

/** Counts the winning rows of the federated index on a read-only connection of its own (no rows in memory). */
function countWinners(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, sqlite3.OPEN_READONLY, (error) => {
      if (error !== null) {
        reject(error);
        return;
      }
      db.get<{ n: number }>('SELECT COUNT(*) AS n FROM federated_entries WHERE winner = 1', (err, row) => {
        db.close();
        if (err !== null) reject(err);
        else resolve(row?.n ?? -1);
      });
    });
  });
}

/** `process.resourceUsage().maxRSS` is in kilobytes. */
function maxRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

function pass(outcomes: readonly PeerSyncOutcome[], ms: number, cpu: NodeJS.CpuUsage): SyncPass {
  let added = 0;
  let updated = 0;
  let unchanged = 0;
  let pages = 0;
  let notModified = 0;
  let notAllNotModified = 0;
  let bytes = 0;
  let wireBytes = 0;
  let slowest = 0;
  const failed: string[] = [];
  for (const outcome of outcomes) {
    if (!outcome.ok) {
      failed.push(`${outcome.peer.name}: ${outcome.failure.kind}: ${outcome.failure.message}`);
      continue;
    }
    const s = outcome.summary;
    added += s.added;
    updated += s.updated;
    unchanged += s.unchanged;
    pages += s.pages;
    notModified += s.notModified;
    if (s.notModified !== s.pages) notAllNotModified++;
    bytes += s.bytes;
    wireBytes += s.wireBytes ?? s.bytes;
    slowest = Math.max(slowest, s.ms);
  }
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, ok: outcomes.length - failed.length, failed, added, updated, unchanged, pages, notModified, notAllNotModified, bytes, wireBytes, slowestPeerMs: slowest };
}

const [dir, peersFile, concurrencyArg = '4', entriesArg = 'query-entries'] = process.argv.slice(2);
if (dir === undefined || peersFile === undefined) throw new Error('usage: federation-node.ts DATA_DIR PEERS_JSON [CONCURRENCY] [query-entries|no-query-entries]');
const setup = JSON.parse(readFileSync(peersFile, 'utf8')) as PeersReady;

const config = loadConfig(
  { port: '0', host: '127.0.0.1', 'data-dir': dir, 'base-url': 'https://maillon.example.org', 'allow-private': true },
  {
    MAILLON_LOG_LEVEL: 'silent', MAILLON_SYNC_CONCURRENCY: concurrencyArg, MAILLON_SYNC_SCHEDULE: '0',
    // `BENCH_FETCH_COMPRESSED=off` syncs asking for identity, for an A/B of the transfer's cost.
    MAILLON_FETCH_COMPRESSED: process.env['BENCH_FETCH_COMPRESSED'] ?? 'on',
    // A benchmark of one big peer raises the size limits (a snapshot may be 4× one response) and the sync's budget.
    ...(process.env['BENCH_NODE_MAX_RESPONSE_BYTES'] !== undefined ? { MAILLON_MAX_RESPONSE_BYTES: process.env['BENCH_NODE_MAX_RESPONSE_BYTES'] } : {}),
    ...(process.env['BENCH_NODE_SYNC_TIMEOUT'] !== undefined ? { MAILLON_SYNC_TIMEOUT: process.env['BENCH_NODE_SYNC_TIMEOUT'] } : {}),
  },
);
if (!config.allowPrivate || config.syncConcurrency !== Number(concurrencyArg)) throw new Error('the node is not configured as the benchmark needs');
// `BENCH_SQL_PROFILE=FILE`: every statement SQLite runs during the cold sync (its lists of placeholders cut short), and
// when each peer's sync ended, written to FILE as JSON lines once the cold sync is done: where SQLite's time goes, and
// how busy each connection was.
const sqlProfile = installSqlProfile((sql) => sql.replace(/(\(\d+, \?, \?\), )+\(\d+, \?, \?\)/gu, '(n, ?, ?)…')
  .replace(/(\((\?,)*\?\),)+\((\?,)*\?\)/gu, '(?…)…').replace(/(\?, ?)+\?/gu, '?…'));
const node = await startNode(config, createLogger('silent'));
const rssAtStart = process.memoryUsage().rss;
const { provenance, index } = node.store;
const peerIds: number[] = [];
for (const peer of setup.peers) peerIds.push((await provenance.addPeer({ name: peer.name, url: peer.url, intervalSeconds: 3600 }, peer.origin)).id);
// For the parent's `POST /api/sync/peers/{id}/sync` (a sync that changed something, before a timed read).
const { token } = await issueToken(node.store, { eid: null, scopes: SCOPES, label: 'federation bench admin' });

// 1. Cold sync.
let started = performance.now();
let cpu = process.cpuUsage();
sqlProfile.start(started);
const coldOutcomes = await node.scheduler.runNow(undefined, !sqlProfile.enabled ? undefined : (peer, progress) => {
  if (progress === 'done') sqlProfile.mark({ peer: peer.id });
});
const cold = pass(coldOutcomes, performance.now() - started, process.cpuUsage(cpu));
sqlProfile.finish();
const maxRssAfterCold = maxRss();
if (cold.failed.length > 0) throw new Error(`cold sync: ${cold.failed.length} peers failed, e.g. ${cold.failed[0]}`);

// 2. Sanity checks on what the cold sync built. `queryEntries({}).length` would hold 100,000 rows in this
// process and count towards its peak memory: it runs at the end, after the peak of the real work is read.
const winners = await countWinners(config.db);
const peerNames = async (): Promise<Map<number, string>> => new Map((await provenance.listPeers()).map((p) => [p.id, p.name]));
const service = new FederationService(index, node.catalog, () => node.taxonomy, peerNames);
const query = { type: setup.query.type, near: setup.query.near, radiusKm: String(setup.query.radiusKm) };
started = performance.now();
// `BENCH_NODE_QUERY=off` (the bigpeer bench) leaves the query out: its rows in memory would count in the warm sync's
// peak, which must be the syncs' own.
const rows = process.env['BENCH_NODE_QUERY'] === 'off' ? [] : await service.rows(await service.query(query));
const queryMs = performance.now() - started;
const [lat, lon] = setup.query.near.split(',').map(Number) as [number, number];
const types: ReadonlySet<string> = node.taxonomy.narrowerClosure(`${DFC_PT_NS}${setup.query.type}`);
const origins = new Set(setup.query.origins);
const queryStrays = rows.filter((r) => r.productType === null || !types.has(r.productType)
  || r.latitude === null || r.longitude === null || !origins.has(new URL(r.itemIri).origin)
  || haversineKm(lat, lon, r.latitude, r.longitude) > setup.query.radiusKm).length;

// 3. Warm sync: every page unchanged.
started = performance.now();
cpu = process.cpuUsage();
const warmOutcomes = await node.scheduler.runNow();
const warm = pass(warmOutcomes, performance.now() - started, process.cpuUsage(cpu));
const maxRssAfterWarm = maxRss();

let closing = false;
const shutdown = (): void => {
  if (closing) return;
  closing = true;
  const peak = maxRss();
  (entriesArg === 'query-entries' ? index.queryEntries({}) : Promise.resolve([])).then((all) => {
    const done: NodeDone = { phase: 'done', maxRss: peak, queryEntriesLength: all.length, maxRssWithQueryEntries: maxRss() };
    console.log(JSON.stringify(done));
    return node.close();
  }).then(() => process.exit(0), (error: unknown) => {
    console.error('closing the node failed:', error);
    process.exit(1);
  });
};
process.stdin.on('end', shutdown);
process.stdin.on('error', shutdown);
process.stdin.resume();
process.on('SIGTERM', shutdown);

const synced: NodeSynced = {
  phase: 'synced', url: node.url, pid: process.pid, token, peerIds, cold, warm, winners, queryRows: rows.length, queryStrays, queryMs,
  rssAtStart, maxRssAfterCold, maxRssAfterWarm,
};
console.log(JSON.stringify(synced));
