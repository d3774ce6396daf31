/**
 * The big-peer benchmark (issue 16): one node syncing one static peer of 200,000 offers, paged 1,000 offers a page,
 * to show that a sync's memory does not grow with the peer's size (its pages are merged and staged as they arrive,
 * and applied at the end in one transaction, read back in chunks).
 *
 * Two child processes, as in the federation benchmark:
 *  - {@link ./bigpeer-peer.ts}: the peer, on one loopback port, its pages rendered and compressed once at start-up,
 *    linked by `Link: <…>; rel="next"`, with ETags and 304s;
 *  - {@link ./federation-node.ts}: the node under test (fresh SQLite file, private peers allowed), alone in its
 *    process so that its peak memory (`maxRSS`) is its own. It reports its RSS right after start (the baseline: no
 *    old code path runs in the same run to compare with), runs the cold and warm syncs and the sanity checks.
 * The node's size limits are raised for one peer this big (a snapshot may be 4× one response: 100 MB responses, so
 * 400 MB a snapshot; 260 MB here) and its sync budget to 10 minutes.
 *
 * Set `BENCH_BIGPEER_PROFILE=DIR` to run the node under `node --cpu-prof` (profile written to DIR when it exits), and
 * `BENCH_BIGPEER_OFFERS` for another size.
 *
 * @packageDocumentation
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatMs, formatRate, groupLog, megabytes, startJsonChild, stopJsonChild, type BenchResult, type JsonChild } from './harness.js';
import type { NodeDone, NodeSynced } from './federation-node.js';
import type { PeersReady } from './federation-peers.js';

const GROUP = 'bigpeer';
const log = groupLog(GROUP);
const OFFERS = Number(process.env['BENCH_BIGPEER_OFFERS'] ?? 200_000);
const PAGE_SIZE = 1000;

/** The targets of issue 16. */
const TARGET = {
  offersPerSecond: 10_000,
  peakBytes: 400e6,
} as const;

/** Runs the big-peer benchmark. */
export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'maillon-bench-bigpeer-'));
  let peerProcess: JsonChild | undefined;
  let nodeProcess: JsonChild | undefined;
  try {
    log(`${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} before starting`);
    log(`starting one static peer of ${OFFERS.toLocaleString('en-US')} offers, ${PAGE_SIZE.toLocaleString('en-US')} a page (child process)…`);
    peerProcess = startJsonChild('the peer', 'bigpeer-peer.ts', [String(OFFERS), String(PAGE_SIZE)]);
    const peer = await peerProcess.next<PeersReady>(600_000);
    log(`peer ready: ${megabytes(peer.bytes)} of JSON-LD in ${Math.ceil(OFFERS / PAGE_SIZE)} pages (brotli ${megabytes(peer.brBytes)}), ` +
      `rendered in ${formatMs(peer.renderMs)}`);

    const peersFile = join(dir, 'peers.json');
    writeFileSync(peersFile, JSON.stringify(peer));
    const profileDir = process.env['BENCH_BIGPEER_PROFILE'];
    const flags = profileDir === undefined || profileDir === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
    process.env['BENCH_NODE_MAX_RESPONSE_BYTES'] = String(100 * 1024 * 1024);
    process.env['BENCH_NODE_SYNC_TIMEOUT'] = String(600_000);
    // No federated query between the syncs: the peak after the warm sync is the two syncs' own.
    process.env['BENCH_NODE_QUERY'] = 'off';
    log(`starting the node (child process${flags.length > 0 ? ', --cpu-prof' : ''}); cold sync, checks, warm sync…`);
    nodeProcess = startJsonChild('the node', 'federation-node.ts', [join(dir, 'data'), peersFile, '4', 'no-query-entries'], flags);
    const synced = await nodeProcess.next<NodeSynced>(1_200_000);
    const { cold, warm } = synced;

    // Sanity: the cold sync took everything in, the warm one nothing.
    if (cold.ok !== 1) throw new Error(`cold sync failed: ${cold.failed.join('; ')}`);
    const resources = 3 * OFFERS + 2;
    if (cold.added !== resources) throw new Error(`cold sync added ${cold.added} resources, expected ${resources}`);
    if (synced.winners !== OFFERS) throw new Error(`after the cold sync the federated index holds ${synced.winners} winning rows, expected ${OFFERS}`);
    if (warm.ok !== 1 || warm.added !== 0 || warm.updated !== 0 || warm.notModified !== warm.pages || warm.pages !== cold.pages) {
      throw new Error(`warm sync: ${warm.ok} ok, ${warm.added} added, ${warm.updated} updated, ${warm.notModified}/${warm.pages} pages 304; ` +
        `${warm.failed.join('; ')}`);
    }
    const rate = (OFFERS * 1000) / cold.ms;
    log(`cold sync: ${formatMs(cold.ms)} (${formatRate(rate)} offers/s; node CPU ${formatMs(cold.cpuMs)}, ` +
      `${formatRate((OFFERS * 1000) / cold.cpuMs)} offers per CPU second), ${cold.pages} pages, ${megabytes(cold.wireBytes)} received ` +
      `(${megabytes(cold.bytes)} decoded), ${cold.added.toLocaleString('en-US')} resources added`);
    log(`warm sync: ${formatMs(warm.ms)}, ${warm.notModified}/${warm.pages} pages 304`);
    log(`node RSS at start ${megabytes(synced.rssAtStart)}; peak after the cold sync ${megabytes(synced.maxRssAfterCold)}, ` +
      `after the warm sync ${megabytes(synced.maxRssAfterWarm)}`);

    nodeProcess.child.stdin?.end();
    await nodeProcess.next<NodeDone>(120_000);
    await stopJsonChild(nodeProcess, log);
    nodeProcess = undefined;

    const n = OFFERS.toLocaleString('en-US');
    const peak = Math.max(synced.maxRssAfterCold, synced.maxRssAfterWarm);
    return [
      {
        group: GROUP, name: `cold sync, one peer × ${n} offers, ${PAGE_SIZE.toLocaleString('en-US')}/page`, ms: cold.ms, runs: 1, offers: OFFERS,
        note: `node CPU ${formatMs(cold.cpuMs)}; ${cold.pages} pages, ${megabytes(cold.wireBytes)} received (${megabytes(cold.bytes)} decoded), ` +
          `${cold.added.toLocaleString('en-US')} resources; warm sync ${formatMs(warm.ms)} (all 304)`,
        targets: [{
          label: `one ${n}-offer peer syncs at ≥ ${formatRate(TARGET.offersPerSecond)} offers/s`,
          pass: rate >= TARGET.offersPerSecond,
          actual: `${formatRate(rate)} offers/s (${(cold.ms / 1000).toFixed(1)} s)`,
        }],
      },
      {
        group: GROUP, name: 'node peak memory (maxRSS) of the syncs',
        note: `peak ${megabytes(peak)} (cold ${megabytes(synced.maxRssAfterCold)}, warm ${megabytes(synced.maxRssAfterWarm)}); ` +
          `baseline: RSS ${megabytes(synced.rssAtStart)} right after start`,
        targets: [{
          label: `node peak RSS ≤ ${megabytes(TARGET.peakBytes)} syncing a ${n}-offer peer`,
          pass: peak <= TARGET.peakBytes,
          actual: `${megabytes(peak)} (baseline at start ${megabytes(synced.rssAtStart)})`,
        }],
      },
    ];
  } finally {
    if (nodeProcess !== undefined) {
      nodeProcess.child.kill('SIGKILL');
      await nodeProcess.exited;
    }
    if (peerProcess !== undefined) await stopJsonChild(peerProcess, log);
    rmSync(dir, { recursive: true, force: true });
  }
}
