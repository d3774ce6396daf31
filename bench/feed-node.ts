/**
 * One node of the feed benchmark, alone in its own process (spawned by `bench/feed.ts`), so that its timings
 * and its event loop are its own.
 *
 * Usage: `node --import tsx bench/feed-node.ts DATA_DIR NAME OFFERS`. Finds a free loopback port and starts a
 * real node there whose base URL is that real URL (`http://127.0.0.1:<port>`), fresh SQLite file in
 * DATA_DIR, `MAILLON_ALLOW_PRIVATE=1`, `MAILLON_SYNC_SCHEDULE=off`, `MAILLON_LOG_LEVEL=silent`. When OFFERS
 * is above 0 it creates one enterprise and imports a generated catalogue of OFFERS offers into it
 * (`catalog.createEnterprise` + `importRecords`). It issues an admin token and prints one JSON line
 * ({@link FeedNodeReady}).
 *
 * Then it reads one JSON command per line on its standard input and answers each with one JSON line:
 *  - `{"cmd": "clearCursor", "peer": ID}`: forgets its cursor in that peer's change feed
 *    (`store.feed.setPeerFeed(id, { cursor: null })`), so that the next sync is a full snapshot;
 *  - `{"cmd": "syncLog"}`: the wall-clock times (`performance.timeOrigin + performance.now()`, ms) at which
 *    `scheduler.syncOne` was called and settled since the last `syncLog` ({@link SyncLogEntry}). The
 *    scheduler instance is wrapped, not changed: the sync route, `runNow` and `syncSoon` (which the
 *    notification route calls, and which queues one more sync when one is running) all call it.
 * When its standard input closes it closes the node and exits normally (so that `--cpu-prof` can write).
 *
 * @packageDocumentation
 */
import { createServer, type AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { issueToken, SCOPES } from '../server/auth/tokens.js';
import { hasErrors } from '../server/errors/problem.js';
import { loadConfig } from '../server/config.js';
import { createLogger } from '../server/logging.js';
import { startNode, type RunningNode } from '../server/main.js';
import type { PeerRow } from '../server/store/federation.js';
import type { SyncProgress } from '../server/sync/sync-engine.js';
import { generateCatalog } from './catalog-generator.js';

/** One catalog item of the seeded catalogue. */
export interface SeededItem {
  /** Local id (`…/catalog_items/{id}`). */
  readonly id: string;
  readonly iri: string;
  /** Its product's name. */
  readonly name: string;
  /** Its stock (null: on demand). */
  readonly stock: number | null;
}

/** What this script prints once the node listens (and is seeded). */
export interface FeedNodeReady {
  readonly url: string;
  readonly db: string;
  /** An admin token (`Authorization: Bearer`). */
  readonly token: string;
  /** The seeded enterprise (absent when OFFERS is 0). */
  readonly eid?: string;
  readonly enterpriseIri?: string;
  readonly items: readonly SeededItem[];
  readonly seedMs: number;
  readonly pid: number;
}

/** One call of `scheduler.syncOne`. */
export interface SyncLogEntry {
  readonly peer: number;
  /** Wall-clock ms when it was called, and when its sync settled (equal for a call that joined a running sync). */
  readonly calledAt: number;
  readonly settledAt: number;
  /** Whether the call joined a sync already running instead of starting one. */
  readonly joined: boolean;
}

const EID = 'valley';

/** Wall-clock milliseconds, sub-millisecond resolution (comparable across processes on one machine). */
function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Generates, decodes and imports the catalogue; returns its catalog items with their products' names. */
async function seed(node: RunningNode, offers: number): Promise<SeededItem[]> {
  const decoded = await node.decoder.decode(JSON.stringify(generateCatalog(offers)));
  if (hasErrors(decoded.problems) || decoded.rejected.length > 0) {
    throw new Error(`the generated catalogue does not decode: ${JSON.stringify(decoded.problems.slice(0, 3))}`);
  }
  await node.catalog.createEnterprise(decoded.records, { eid: EID });
  const imported = await node.catalog.importRecords(EID, decoded.records);
  if (imported.items !== offers) throw new Error(`imported ${imported.items} catalog items, expected ${offers}`);
  const stored = await node.store.listResources(EID, ['CatalogItem', 'SuppliedProduct']);
  const names = new Map<string, string>();
  for (const { record } of stored) if (record.kind === 'SuppliedProduct' && record.name !== undefined) names.set(record.id, record.name);
  const items: SeededItem[] = [];
  for (const { record } of stored) {
    if (record.kind !== 'CatalogItem') continue;
    const id = node.catalog.urls.localId(EID, 'catalog_items', record.id);
    const name = record.product === undefined ? undefined : names.get(record.product);
    if (id === undefined || name === undefined) throw new Error(`catalog item ${record.id}: no local id or no product name`);
    items.push({ id, iri: record.id, name, stock: record.stock });
  }
  if (items.length !== offers) throw new Error(`${items.length} catalog items stored, expected ${offers}`);
  return items;
}

const [dir, name, offersArg] = process.argv.slice(2);
if (dir === undefined || name === undefined || offersArg === undefined) throw new Error('usage: feed-node.ts DATA_DIR NAME OFFERS');
const offers = Number(offersArg);

const env: NodeJS.ProcessEnv = {
  MAILLON_ALLOW_PRIVATE: '1', MAILLON_SYNC_SCHEDULE: 'off', MAILLON_LOG_LEVEL: 'silent', MAILLON_NAME: name,
};
let node: RunningNode | undefined;
let db = '';
// Another process may take the port between the probe and the bind: try a few.
for (let attempt = 0; node === undefined; attempt++) {
  const port = await freePort();
  const config = loadConfig({ port: String(port), host: '127.0.0.1', 'data-dir': dir, 'base-url': `http://127.0.0.1:${port}` }, env);
  if (!config.allowPrivate || config.syncSchedule) throw new Error('the node is not configured as the benchmark needs');
  db = config.db;
  try {
    node = await startNode(config, createLogger('silent'));
  } catch (error: unknown) {
    if (attempt >= 4 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
  }
}
const running = node;
if (running.url !== running.config.baseUrl) throw new Error(`node listens on ${running.url}, not on its base URL ${running.config.baseUrl}`);

const started = performance.now();
const items = offers > 0 ? await seed(running, offers) : [];
const seedMs = performance.now() - started;
const { token } = await issueToken(running.store, { eid: null, scopes: SCOPES, label: 'feed bench admin' });

// Wrap the scheduler's syncOne on the instance, to log when syncs are asked for and when they end.
let syncLog: SyncLogEntry[] = [];
const scheduler = running.scheduler;
const syncOne = scheduler.syncOne.bind(scheduler);
scheduler.syncOne = (peer: PeerRow, onProgress?: (progress: SyncProgress) => void) => {
  const calledAt = wallNow();
  const joined = scheduler.active.includes(peer.id);
  const promise = syncOne(peer, onProgress);
  void promise.finally(() => syncLog.push({ peer: peer.id, calledAt, settledAt: joined ? calledAt : wallNow(), joined }));
  return promise;
};

let closing = false;
const shutdown = (): void => {
  if (closing) return;
  closing = true;
  running.close().then(() => process.exit(0), (error: unknown) => {
    console.error('closing the node failed:', error);
    process.exit(1);
  });
};
const answer = (value: unknown): void => {
  console.log(JSON.stringify(value));
};
createInterface({ input: process.stdin }).on('line', (line) => {
  let command: { cmd?: unknown; peer?: unknown };
  try {
    command = JSON.parse(line) as { cmd?: unknown; peer?: unknown };
  } catch {
    answer({ ok: false, error: `not JSON: ${line.slice(0, 100)}` });
    return;
  }
  if (command.cmd === 'clearCursor' && typeof command.peer === 'number') {
    running.store.feed.setPeerFeed(command.peer, { cursor: null })
      .then(async () => answer({ ok: true, cursor: (await running.store.feed.peerFeed(command.peer as number)).cursor }))
      .catch((error: unknown) => answer({ ok: false, error: String(error) }));
  } else if (command.cmd === 'syncLog') {
    const log = syncLog;
    syncLog = [];
    answer({ ok: true, log });
  } else answer({ ok: false, error: `unknown command ${JSON.stringify(command.cmd)}` });
}).on('close', shutdown);
process.on('SIGTERM', shutdown);

const ready: FeedNodeReady = {
  url: running.url, db, token, ...(offers > 0 ? { eid: EID, enterpriseIri: running.catalog.urls.enterprise(EID) } : {}),
  items, seedMs, pid: process.pid,
};
console.log(JSON.stringify(ready));
