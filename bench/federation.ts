/**
 * The federation benchmark: one node syncing 100 peers of 1,000 offers each over loopback, then answering a
 * regional query of the federated catalogue.
 *
 * Two child processes:
 *  - {@link ./federation-peers.ts}: 100 static peers, one loopback port (one origin) each, every catalogue a
 *    DFC 1.16 JSON-LD document rendered once at start-up, with ETag and 304 on `If-None-Match`;
 *  - {@link ./federation-node.ts}: the node under test (fresh SQLite file, private peers allowed, sync
 *    concurrency 4), alone in its process so that its peak memory (`maxRSS`) is its own. It runs the cold
 *    and warm syncs with `scheduler.runNow()` and the sanity checks, then serves HTTP.
 * This process times `GET /api/federation/catalog?type=vegetable&near=…&radius_km=50&page_size=100` on the
 * node (5 warm-up requests, then 50 timed, one at a time).
 *
 * Bytes on the wire: the node asks its peers for compressed answers (the default), and the peers send brotli.
 * The cold sync's bytes as received are reported beside its decoded bytes (what an uncompressed sync transfers:
 * the same bodies), and beside what the peers counted sending. Then this process fetches the 100 catalogues with
 * the node's peer client twice, asking for identity and for br/gzip (4 at a time, as the sync), for the bytes
 * and time of the transfer alone, both measured in the same run. `BENCH_FETCH_COMPRESSED=off` runs the whole
 * benchmark with a node that asks its peers for identity (an A/B of the sync itself).
 *
 * Set `BENCH_FEDERATION_PROFILE=DIR` to run the node under `node --cpu-prof` (profile written to DIR when it
 * exits), and `BENCH_SQL_PROFILE=FILE` to write every statement SQLite ran during the cold sync, and when each peer's
 * sync ended, to FILE (see `federation-node.ts`). Every socket is on 127.0.0.1; the temporary directory is removed at
 * the end.
 *
 * @packageDocumentation
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { megabytes, median, startJsonChild, stopJsonChild, type BenchResult, type JsonChild, formatMs, formatRate, groupLog, narrowerClosure, percentile } from './harness.js';
import type { NodeDone, NodeSynced } from './federation-node.js';
import type { PeersReady, SentBytes } from './federation-peers.js';
import { DEFAULT_FETCH_POLICY, safeFetch, type FetchPolicy } from '../server/net/safe-fetch.js';

const ms = formatMs;
const rate = formatRate;
const PAGE_SIZE = 100;
const QUERY_WARMUP = 5;
const QUERY_RUNS = 50;
const LD_JSON = 'application/ld+json';

/** The targets a federation run is held to. */
export interface FederationTargets {
  readonly coldOffersPerSecond: number;
  readonly warmMs: number;
  readonly peakBytes: number;
  readonly queryP95Ms: number;
  /** About this many times fewer bytes with compression (issue 16: 10). */
  readonly compressionRatio: number;
  /** `GET /api/federation/stats` p95, when timed. */
  readonly statsP95Ms?: number;
  /** Text search (`GET /api/federation/catalog?q=…`) p95, when timed. */
  readonly searchP95Ms?: number;
}

/** What a federation run is: how many peers of how many offers, and what is timed against which targets. */
export interface FederationSpec {
  readonly group: string;
  readonly peers: number;
  readonly offersPerPeer: number;
  /** The node's `MAILLON_SYNC_CONCURRENCY`. */
  readonly concurrency: number;
  readonly targets: FederationTargets;
  /** Whether the catalogues are fetched again by the peer client alone, identity and compressed (a transfer A/B). */
  readonly transferPasses: boolean;
  /** Whether the timed federated query also asks `in_stock=true`. */
  readonly inStock: boolean;
  /** Whether the node materialises `queryEntries({})` at the end (a sanity check; every row in memory). */
  readonly queryEntries: boolean;
  /** How long the cold sync may take before the run is abandoned, ms. */
  readonly syncTimeoutMs: number;
}

/** The 100-peer run of `npm run bench -- federation`. */
export const FEDERATION: FederationSpec = {
  group: 'federation', peers: 100, offersPerPeer: 1000, concurrency: 4, transferPasses: true, inStock: false, queryEntries: true,
  syncTimeoutMs: 300_000,
  targets: { coldOffersPerSecond: 5000, warmMs: 2000, peakBytes: 500e6, queryP95Ms: 50, compressionRatio: 10 },
};

/** How many summaries are timed each right after a sync that changed the index. */
const STATS_CHANGES = 20;

/** Text searches timed when the spec has a search target: words of the generated names, as people type them. */
const SEARCHES = ['tomato', 'tomate cerise', 'organic', 'heritage kale', 'valley', 'chou'] as const;

// ------------------------------------------------------------------ requests

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  readonly ms: number;
}

/** One GET with node:http, timed from sending to the last body byte. */
function get(base: string, path: string, headers: Record<string, string>, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = httpRequest(new URL(path, base), { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({
        status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), ms: performance.now() - started,
      }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** One pass fetching every peer's catalogue with the node's peer client, `concurrency` at a time. */
async function transferPass(peers: PeersReady, compressed: boolean, concurrency = 4): Promise<{ ms: number; wireBytes: number; bytes: number }> {
  const policy: FetchPolicy = { ...DEFAULT_FETCH_POLICY, allowPrivate: true, compressed, totalTimeoutMs: 120_000 };
  const queue = peers.peers.map((p) => p.url);
  let wireBytes = 0;
  let bytes = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let url = queue.shift(); url !== undefined; url = queue.shift()) {
      const outcome = await safeFetch({ url, headers: { accept: LD_JSON } }, policy);
      if (!outcome.ok) throw new Error(`transfer of ${url}: ${outcome.failure.kind}: ${outcome.failure.message}`);
      wireBytes += outcome.response.wireBytes ?? outcome.response.body.length;
      bytes += outcome.response.body.length;
    }
  }));
  return { ms: performance.now() - started, wireBytes, bytes };
}

/** The nearest-rank percentile of sorted values. */

function typesOf(node: Record<string, unknown>): string[] {
  return ([] as unknown[]).concat(node['@type'] ?? []).filter((t): t is string => typeof t === 'string');
}

function isA(node: Record<string, unknown>, kind: string): boolean {
  return typesOf(node).some((t) => t === kind || t.endsWith(`:${kind}`) || t.endsWith(`#${kind}`));
}


/** The value of a link property: an IRI string or `{ "@id" }`. */
function linkOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && '@id' in value && typeof value['@id'] === 'string') return value['@id'];
  return undefined;
}

/**
 * Checks one page of the federated catalogue: the expected number of catalog items, every one from a peer
 * within the radius, every product of the queried type (or a narrower one), and a next link when more match.
 */
function checkPage(reply: Reply, peers: PeersReady): { items: number; bytes: number } {
  const contentType = String(reply.headers['content-type'] ?? '');
  if (reply.status !== 200 || !contentType.startsWith(LD_JSON)) {
    throw new Error(`federated query: status ${reply.status}, content-type ${contentType}: ${reply.body.toString('utf8').slice(0, 300)}`);
  }
  const document = JSON.parse(reply.body.toString('utf8')) as Record<string, unknown>;
  const nodes = (Array.isArray(document['@graph']) ? document['@graph'] : [document]) as Record<string, unknown>[];
  const items = nodes.filter((n) => isA(n, 'CatalogItem'));
  const expected = Math.min(PAGE_SIZE, peers.query.matches);
  if (items.length !== expected) throw new Error(`federated query: ${items.length} catalog items on the first page, expected ${expected}`);
  const origins = new Set(peers.query.origins);
  const far = items.filter((n) => !origins.has(new URL(String(n['@id'])).origin));
  if (far.length > 0) throw new Error(`federated query: ${far.length} catalog items from peers outside the radius, e.g. ${String(far[0]?.['@id'])}`);
  const allowed = narrowerClosure(peers.query.type);
  const products = nodes.filter((n) => isA(n, 'SuppliedProduct'));
  const wrong = products.filter((n) => {
    const type = linkOf(n['dfc-b:hasType']) ?? linkOf(n['hasType']) ?? '';
    return !allowed.has(type.slice(Math.max(type.lastIndexOf(':'), type.lastIndexOf('#'), type.lastIndexOf('/')) + 1));
  });
  if (products.length < items.length || wrong.length > 0) {
    throw new Error(`federated query: ${products.length} products for ${items.length} items, ${wrong.length} of another type ` +
      `(e.g. ${JSON.stringify(wrong[0]?.['dfc-b:hasType'])})`);
  }
  const link = String(reply.headers['link'] ?? '');
  if (peers.query.matches > PAGE_SIZE && !/rel="next"/u.test(link)) throw new Error(`federated query: no next link though ${peers.query.matches} offers match`);
  return { items: items.length, bytes: reply.body.length };
}

// ------------------------------------------------------------------ the benchmark

/** Runs the federation benchmark. */
export function run(): Promise<BenchResult[]> {
  return runFederation(FEDERATION);
}

/**
 * Times `GET path` on the node: warm-up requests, then timed ones, one at a time; each answer must be 200.
 *
 * @returns the times, sorted, and the last body's size
 */
async function timeGets(base: string, path: string, runs: number, check: (reply: Reply) => void): Promise<{ sorted: number[]; times: number[] }> {
  for (let i = 0; i < QUERY_WARMUP; i++) check(await get(base, path, { accept: 'application/json' }));
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const reply = await get(base, path, { accept: 'application/json' });
    check(reply);
    times.push(reply.ms);
  }
  return { sorted: [...times].sort((a, b) => a - b), times };
}

/**
 * Runs one federation benchmark: {@link FederationSpec.peers} static peers, a node syncing them cold and warm,
 * then timed queries.
 *
 * @param spec - the size, the node's concurrency and the targets
 */
export async function runFederation(spec: FederationSpec): Promise<BenchResult[]> {
  const GROUP = spec.group;
  const log = groupLog(GROUP);
  const PEERS = spec.peers;
  const OFFERS_PER_PEER = spec.offersPerPeer;
  const OFFERS = PEERS * OFFERS_PER_PEER;
  const TARGET = spec.targets;
  const stopChild = (child: JsonChild): Promise<void> => stopJsonChild(child, log);
  const dir = mkdtempSync(join(tmpdir(), `maillon-bench-${GROUP}-`));
  let peersProcess: JsonChild | undefined;
  let nodeProcess: JsonChild | undefined;
  try {
    log(`${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} before starting`);
    log(`starting ${PEERS} static peers × ${OFFERS_PER_PEER.toLocaleString('en-US')} offers (child process)…`);
    peersProcess = startJsonChild('the peer server', 'federation-peers.ts', [String(PEERS), String(OFFERS_PER_PEER)]);
    const peers = await peersProcess.next<PeersReady>(Math.max(180_000, PEERS * 600));
    if (peers.peers.length !== PEERS || new Set(peers.peers.map((p) => p.origin)).size !== PEERS) {
      throw new Error(`the peer server serves ${peers.peers.length} peers on ${new Set(peers.peers.map((p) => p.origin)).size} origins, expected ${PEERS}`);
    }
    if (!peers.peers.every((p) => /^http:\/\/127\.0\.0\.1:\d+\//u.test(p.url))) throw new Error('a peer is not on loopback');
    if (peers.query.matches === 0 || peers.query.matches >= OFFERS) throw new Error(`the query matches ${peers.query.matches} offers: not a useful subset`);
    log(`peers ready: ${megabytes(peers.bytes)} of JSON-LD (brotli ${megabytes(peers.brBytes)}, gzip ${megabytes(peers.gzipBytes)}) ` +
      `rendered and compressed in ${ms(peers.renderMs)}; the query should find ` +
      `${peers.query.matches.toLocaleString('en-US')} offers at ${peers.query.origins.length} peers`);

    const peersFile = join(dir, 'peers.json');
    writeFileSync(peersFile, JSON.stringify(peers));
    const profileDir = process.env['BENCH_FEDERATION_PROFILE'];
    const flags = profileDir === undefined || profileDir === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
    log(`starting the node (child process${flags.length > 0 ? ', --cpu-prof' : ''}); cold sync, checks, warm sync…`);
    nodeProcess = startJsonChild('the node', 'federation-node.ts',
      [join(dir, 'data'), peersFile, String(spec.concurrency), spec.queryEntries ? 'query-entries' : 'no-query-entries'], flags);
    const synced = await nodeProcess.next<NodeSynced>(spec.syncTimeoutMs);
    if (!/^http:\/\/127\.0\.0\.1:\d+$/u.test(synced.url)) throw new Error(`the node listens on ${synced.url}, not on loopback`);
    const { cold, warm } = synced;

    // Sanity: the cold sync took everything in, the warm one nothing.
    if (cold.ok !== PEERS) throw new Error(`cold sync: ${cold.ok} of ${PEERS} peers ok; ${cold.failed.join('; ')}`);
    if (cold.added !== PEERS * (3 * OFFERS_PER_PEER + 2)) throw new Error(`cold sync added ${cold.added} resources, expected ${PEERS * (3 * OFFERS_PER_PEER + 2)}`);
    if (synced.winners !== OFFERS) throw new Error(`after the cold sync the federated index holds ${synced.winners} winning rows, expected ${OFFERS}`);
    if (synced.queryRows !== peers.query.matches || synced.queryStrays !== 0) {
      throw new Error(`FederationService.query found ${synced.queryRows} rows (${synced.queryStrays} out of place or type), expected ${peers.query.matches}`);
    }
    if (warm.ok !== PEERS || warm.added !== 0 || warm.updated !== 0 || warm.notAllNotModified !== 0 || warm.notModified !== warm.pages || warm.pages < PEERS) {
      throw new Error(`warm sync: ${warm.ok} ok, ${warm.added} added, ${warm.updated} updated, ${warm.notModified}/${warm.pages} pages 304, ` +
        `${warm.notAllNotModified} peers not all 304; ${warm.failed.join('; ')}`);
    }
    const coldRate = (OFFERS * 1000) / cold.ms;
    log(`cold sync: ${ms(cold.ms)} (${rate(coldRate)} offers/s; node CPU ${ms(cold.cpuMs)}, ${rate((OFFERS * 1000) / cold.cpuMs)} offers per CPU second), ${cold.pages} pages, ${megabytes(cold.wireBytes)} received ` +
      `(${megabytes(cold.bytes)} decoded), ${cold.added.toLocaleString('en-US')} resources added, slowest peer ${ms(cold.slowestPeerMs)}`);
    const sentReply = await get(peers.peers[0]?.origin ?? '', '/bench/sent', {});
    const sent = JSON.parse(sentReply.body.toString('utf8')) as SentBytes;
    log(`the peers sent ${megabytes(sent.br)} brotli, ${megabytes(sent.gzip)} gzip, ${megabytes(sent.identity)} identity`);
    const coldRatio = cold.bytes / cold.wireBytes;
    log(`cold sync bytes: ${megabytes(cold.wireBytes)} compressed, ${megabytes(cold.bytes)} without compression (${coldRatio.toFixed(1)}× fewer)`);
    // The transfer alone, both ways in this run: identity first, then compressed.
    let transferNote = '';
    if (spec.transferPasses) {
      const plainPass = await transferPass(peers, false);
      const codedPass = await transferPass(peers, true);
      if (plainPass.bytes !== codedPass.bytes || plainPass.wireBytes !== plainPass.bytes) {
        throw new Error(`transfer passes disagree: ${plainPass.bytes} / ${plainPass.wireBytes} identity, ${codedPass.bytes} decoded from ${codedPass.wireBytes}`);
      }
      log(`transfer of the ${PEERS} catalogues (peer client, 4 at a time): identity ${megabytes(plainPass.wireBytes)} in ${ms(plainPass.ms)}, ` +
        `br/gzip ${megabytes(codedPass.wireBytes)} in ${ms(codedPass.ms)} (decoded ${megabytes(codedPass.bytes)})`);
      transferNote = `; transfer alone: identity ${megabytes(plainPass.wireBytes)} in ${ms(plainPass.ms)}, br/gzip ${megabytes(codedPass.wireBytes)} in ${ms(codedPass.ms)}`;
    }
    log(`index: ${synced.winners.toLocaleString('en-US')} winning rows; FederationService.query: ${synced.queryRows} rows in ${ms(synced.queryMs)}`);
    log(`warm sync: ${ms(warm.ms)} (node CPU ${ms(warm.cpuMs)}), ${warm.notModified}/${warm.pages} pages 304, ${warm.added} added, ${warm.updated} updated`);

    // The federated query over HTTP.
    const [lat, lon] = peers.query.near.split(',');
    const path = `/api/federation/catalog?type=${encodeURIComponent(peers.query.type)}&near=${lat},${lon}&radius_km=${peers.query.radiusKm}` +
      `${spec.inStock ? '&in_stock=true' : ''}&page_size=${PAGE_SIZE}`;
    const accept = { accept: LD_JSON };
    const first = await get(synced.url, path, accept);
    const page = checkPage(first, peers);
    log(`GET ${path}: first request ${ms(first.ms)}, ${page.items} catalog items, ${megabytes(page.bytes)}`);
    for (let i = 1; i < QUERY_WARMUP; i++) checkPage(await get(synced.url, path, accept), peers);
    const times: number[] = [];
    for (let i = 0; i < QUERY_RUNS; i++) {
      const reply = await get(synced.url, path, accept);
      if (reply.status !== 200 || reply.body.length !== page.bytes) throw new Error(`federated query run ${i}: status ${reply.status}, ${reply.body.length} bytes`);
      times.push(reply.ms);
    }
    const sorted = [...times].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p95 = percentile(sorted, 95);
    log(`federated query: p50 ${ms(p50)}, p95 ${ms(p95)}, max ${ms(sorted.at(-1) ?? 0)} (${QUERY_RUNS} requests)`);

    // The summary of the whole catalogue, and text searches, when this run holds them to a target.
    const extra: BenchResult[] = [];
    if (TARGET.statsP95Ms !== undefined) {
      let offersSeen = -1;
      let inStockSeen = -1;
      const checkStats = (reply: Reply): void => {
        if (reply.status !== 200) throw new Error(`GET /api/federation/stats: ${reply.status} ${reply.body.toString('utf8').slice(0, 300)}`);
        const totals = (JSON.parse(reply.body.toString('utf8')) as { totals?: { offers?: number; inStock?: number } }).totals;
        offersSeen = totals?.offers ?? -1;
        inStockSeen = totals?.inStock ?? -1;
      };
      // A national index changes all the time (a thousand peers syncing): each timed summary follows a sync that
      // changed something (one peer's catalogue changed, then synced through the API), so no answer kept from
      // before serves it. A few summaries of an unchanged index are timed too, for comparison.
      const afterChange: number[] = [];
      const admin = { authorization: `Bearer ${synced.token}` };
      for (let i = 0; i < STATS_CHANGES; i++) {
        const k = (i * 37) % PEERS;
        const peer = peers.peers[k] as PeersReady['peers'][number];
        const changed = await get(peer.origin, '/bench/change', {});
        if (changed.status !== 200) throw new Error(`changing ${peer.name}: ${changed.status}`);
        const synced1 = await get(synced.url, `/api/sync/peers/${synced.peerIds[k]}/sync`, admin, 'POST');
        const outcome = JSON.parse(synced1.body.toString('utf8')) as { ok: boolean; summary?: { updated: number } };
        if (synced1.status !== 200 || !outcome.ok || (outcome.summary?.updated ?? 0) < 1) {
          throw new Error(`sync of ${peer.name} after its change: ${synced1.status} ${synced1.body.toString('utf8').slice(0, 300)}`);
        }
        const reply = await get(synced.url, '/api/federation/stats', { accept: 'application/json' });
        checkStats(reply);
        afterChange.push(reply.ms);
      }
      if (offersSeen !== OFFERS) throw new Error(`GET /api/federation/stats counts ${offersSeen} offers, expected ${OFFERS}`);
      const unchanged = await timeGets(synced.url, '/api/federation/stats', QUERY_RUNS, checkStats);
      const sortedAfter = [...afterChange].sort((a, b) => a - b);
      const statsP95 = percentile(sortedAfter, 95);
      log(`stats after a sync that changed something: p50 ${ms(percentile(sortedAfter, 50))}, p95 ${ms(statsP95)}; ` +
        `unchanged index: p50 ${ms(percentile(unchanged.sorted, 50))}, p95 ${ms(percentile(unchanged.sorted, 95))}; ${inStockSeen.toLocaleString('en-US')} in stock`);
      extra.push({
        group: GROUP, name: `GET /api/federation/stats over ${OFFERS.toLocaleString('en-US')} offers, each after a sync that changed one peer`,
        ms: percentile(sortedAfter, 50), runs: STATS_CHANGES, times: afterChange,
        note: `p95 ${ms(statsP95)}; of an unchanged index p50 ${ms(percentile(unchanged.sorted, 50))}, p95 ${ms(percentile(unchanged.sorted, 95))}; ` +
          'the offers counted checked against the offers synced',
        targets: [{ label: `stats p95 ≤ ${TARGET.statsP95Ms} ms`, pass: statsP95 <= TARGET.statsP95Ms, actual: `${ms(statsP95)} after a change (p50 ${ms(percentile(sortedAfter, 50))})` }],
      });
    }
    if (TARGET.searchP95Ms !== undefined) {
      const all: number[] = [];
      const found: string[] = [];
      for (const q of SEARCHES) {
        let items = 0;
        const timed = await timeGets(synced.url, `/api/federation/catalog?q=${encodeURIComponent(q)}&page_size=${PAGE_SIZE}`, 20, (reply) => {
          if (reply.status !== 200) throw new Error(`search ${q}: ${reply.status} ${reply.body.toString('utf8').slice(0, 300)}`);
          const document = JSON.parse(reply.body.toString('utf8')) as Record<string, unknown>;
          const nodes = (Array.isArray(document['@graph']) ? document['@graph'] : [document]) as Record<string, unknown>[];
          items = nodes.filter((node) => isA(node, 'CatalogItem')).length;
        });
        if (items === 0) throw new Error(`search ${JSON.stringify(q)} found nothing: the generated names hold it`);
        found.push(`${q}: ${items}`);
        all.push(...timed.times);
      }
      const sortedAll = [...all].sort((a, b) => a - b);
      const searchP95 = percentile(sortedAll, 95);
      log(`text search (${SEARCHES.length} queries, first ${PAGE_SIZE}): p50 ${ms(percentile(sortedAll, 50))}, p95 ${ms(searchP95)}`);
      extra.push({
        group: GROUP, name: `text search over ${OFFERS.toLocaleString('en-US')} offers, ${SEARCHES.length} queries, ${PAGE_SIZE}/page`,
        ms: percentile(sortedAll, 50), runs: all.length, times: all, note: `p95 ${ms(searchP95)}; catalog items on the first page: ${found.join(', ')}`,
        targets: [{ label: `text search p95 ≤ ${TARGET.searchP95Ms} ms`, pass: searchP95 <= TARGET.searchP95Ms, actual: `${ms(searchP95)} (p50 ${ms(percentile(sortedAll, 50))})` }],
      });
    }

    // Closing its standard input makes the node print its peak memory, close and exit.
    nodeProcess.child.stdin?.end();
    const done = await nodeProcess.next<NodeDone>(30_000);
    await stopChild(nodeProcess);
    nodeProcess = undefined;
    const peak = done.maxRss;
    if (spec.queryEntries && done.queryEntriesLength !== OFFERS) throw new Error(`queryEntries({}) returned ${done.queryEntriesLength} rows, expected ${OFFERS}`);
    log(`node peak RSS ${megabytes(peak)} (after cold sync ${megabytes(synced.maxRssAfterCold)}, after warm sync ` +
      `${megabytes(synced.maxRssAfterWarm)})` + (spec.queryEntries ? `; queryEntries({}) = ${done.queryEntriesLength.toLocaleString('en-US')} rows, ` +
      `peak with it ${megabytes(done.maxRssWithQueryEntries)}` : ''));

    const n = OFFERS.toLocaleString('en-US');
    return [
      {
        group: GROUP, name: `cold sync, ${PEERS} peers × ${OFFERS_PER_PEER.toLocaleString('en-US')} offers`, ms: cold.ms, runs: 1, offers: OFFERS,
        note: `${megabytes(cold.wireBytes)} received (${megabytes(cold.bytes)} decoded), ${cold.added.toLocaleString('en-US')} resources, ` +
          `concurrency ${spec.concurrency}, slowest peer ${ms(cold.slowestPeerMs)}; node CPU ${ms(cold.cpuMs)} ` +
          `(${rate((OFFERS * 1000) / cold.cpuMs)} offers per CPU second)`,
        targets: [{
          label: `cold sync ≥ ${rate(TARGET.coldOffersPerSecond)} offers/s (${n} offers ≤ ${(OFFERS / TARGET.coldOffersPerSecond).toFixed(1)} s)`,
          pass: coldRate >= TARGET.coldOffersPerSecond,
          actual: `${rate(coldRate)} offers/s (${(cold.ms / 1000).toFixed(1)} s)`,
        }],
      },
      {
        group: GROUP, name: `cold sync bytes, ${PEERS} peers, compressed vs not`,
        note: `${megabytes(cold.wireBytes)} received compressed (the peers sent ${megabytes(sent.br + sent.gzip + sent.identity)}), ` +
          `${megabytes(cold.bytes)} without${transferNote}`,
        targets: [{
          label: `about ${TARGET.compressionRatio}× fewer bytes with compression`,
          pass: coldRatio >= TARGET.compressionRatio,
          actual: `${coldRatio.toFixed(1)}× fewer (${megabytes(cold.wireBytes)} vs ${megabytes(cold.bytes)})`,
        }],
      },
      {
        group: GROUP, name: `warm sync, ${PEERS} peers, every page 304`, ms: warm.ms, runs: 1,
        note: `${warm.notModified}/${warm.pages} pages 304, 0 added, 0 updated; node CPU ${ms(warm.cpuMs)}`,
        targets: [{ label: `warm sync ≤ ${rate(TARGET.warmMs)} ms`, pass: warm.ms <= TARGET.warmMs, actual: ms(warm.ms) }],
      },
      {
        group: GROUP, name: `GET federated catalogue, ${peers.query.type} within ${peers.query.radiusKm} km${spec.inStock ? ', in stock' : ''}, ${PAGE_SIZE}/page`,
        ms: p50, runs: QUERY_RUNS, times,
        note: `p50 ${ms(p50)}, p95 ${ms(p95)}; ${peers.query.matches.toLocaleString('en-US')} of ${n} offers match, ` +
          `${megabytes(page.bytes)} page; in-process query alone ${ms(synced.queryMs)}`,
        targets: [{ label: `federated query p95 ≤ ${TARGET.queryP95Ms} ms`, pass: p95 <= TARGET.queryP95Ms, actual: `${ms(p95)} (p50 ${ms(p50)}, median ${ms(median(times))})` }],
      },
      {
        group: GROUP, name: 'node peak memory (maxRSS)',
        note: `${megabytes(peak)} (syncs + HTTP queries; after cold sync ${megabytes(synced.maxRssAfterCold)})` +
          (spec.queryEntries ? `; ${megabytes(done.maxRssWithQueryEntries)} once queryEntries({}) materialises all ${n} rows` : ''),
        targets: [{ label: `node peak memory ≤ ${megabytes(TARGET.peakBytes)}`, pass: peak <= TARGET.peakBytes, actual: megabytes(peak) }],
      },
      ...extra,
    ];
  } finally {
    if (nodeProcess !== undefined) {
      nodeProcess.child.kill('SIGKILL');
      await nodeProcess.exited;
    }
    if (peersProcess !== undefined) await stopChild(peersProcess);
    // `BENCH_KEEP_DATA=1` keeps the node's database, to look into its queries afterwards.
    if (process.env['BENCH_KEEP_DATA'] === '1') log(`kept the node's data in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
