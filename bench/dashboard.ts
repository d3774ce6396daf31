/**
 * The territory dashboard at scale: a node whose federated catalogue holds 100,000 offers (1,000 producers of 12
 * platforms over a region's towns, see `territory-seed.ts`), asked what the dashboard asks.
 *
 * - The API: each aggregate and page the dashboard requests, timed on its first asking (the node keeps answers
 *   until the next write, so a second asking would time a cache), and again warm.
 * - The browser (when Debian's Chromium is installed): the first view, from navigation to a page that answers,
 *   and each filter change to its answer drawn. Targets: first view ≤ 1 s, each filter change ≤ 300 ms.
 *
 * @packageDocumentation
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../server/config.js';
import { createLogger } from '../server/logging.js';
import { startNode, type RunningNode } from '../server/main.js';
import { hasChromium, timeDashboard, CHROMIUM } from '../test/helpers/dashboard-timing.js';
import { formatMs, groupLog, type BenchResult } from './harness.js';
import { seedTerritory } from './territory-seed.js';

const GROUP = 'dashboard';
const log = groupLog(GROUP);
const SIZE = { offers: 100_000, enterprises: 1000, peers: 12 } as const;
const FIRST_VIEW_MS = 1000;
const FILTER_MS = 300;

/** What the dashboard asks, each a query not asked before: a first view, then filter changes. */
const API_CALLS: readonly (readonly [string, string])[] = [
  ['first view: summary', '/api/federation/stats'],
  ['first view: first page of the table', '/api/federation/rows?page=1&page_size=25&sort=relevance'],
  ['first view: producers for the map', '/api/federation/producers'],
  ['type=vegetable: summary', '/api/federation/stats?type=vegetable'],
  ['type=vegetable: page sorted by price', '/api/federation/rows?type=vegetable&page=1&page_size=25&sort=-price'],
  ['type=vegetable: producers', '/api/federation/producers?type=vegetable'],
  ['in stock: summary', '/api/federation/stats?in_stock=true'],
  ['in stock: page', '/api/federation/rows?in_stock=true&page=1&page_size=25&sort=relevance'],
  ['in stock: producers', '/api/federation/producers?in_stock=true'],
  ['near Tulle 25 km: summary', '/api/federation/stats?near=Tulle&radius_km=25'],
  ['near Tulle 25 km: page', '/api/federation/rows?near=Tulle&radius_km=25&page=1&page_size=25&sort=relevance'],
  ['near Tulle 25 km: gaps', '/api/federation/gaps?near=Tulle&radius_km=25'],
  ['q=chevre: summary', '/api/federation/stats?q=chevre'],
  ['q=chevre: page', '/api/federation/rows?q=chevre&page=1&page_size=25&sort=relevance'],
  ['page 40 sorted by town', '/api/federation/rows?page=40&page_size=25&sort=city'],
  ['page sorted by product type label', '/api/federation/rows?page=1&page_size=25&sort=typeLabel'],
];

async function timed(url: string): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  const response = await fetch(url, { headers: { accept: 'application/json', 'accept-language': 'fr' } });
  const bytes = (await response.arrayBuffer()).byteLength;
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return { ms: performance.now() - started, bytes };
}

/** Runs the dashboard benchmark. */
export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'maillon-bench-dashboard-'));
  let node: RunningNode | undefined;
  const results: BenchResult[] = [];
  try {
    const seeded = performance.now();
    await seedTerritory(join(dir, 'maillon.db'), SIZE);
    log(`seeded ${SIZE.offers.toLocaleString('en-US')} offers of ${SIZE.enterprises} producers in ${formatMs(performance.now() - seeded)}`);
    const config = loadConfig({ port: '0', host: '127.0.0.1', 'data-dir': dir, 'base-url': 'http://127.0.0.1' },
      { MAILLON_LOG_LEVEL: 'silent', MAILLON_SYNC_SCHEDULE: '0' });
    node = await startNode(config, createLogger('silent'));
    // The API alone, on a node just started: each query's first answer, then warm (from the node's cache).
    for (const [name, path] of API_CALLS) {
      const cold = await timed(`${node.url}${path}`);
      const warm = [await timed(`${node.url}${path}`), await timed(`${node.url}${path}`), await timed(`${node.url}${path}`)].map((t) => t.ms);
      log(`${name}: first ${formatMs(cold.ms)}, then ${warm.map(formatMs).join(' / ')} (${Math.round(cold.bytes / 1024)} KB)`);
      results.push({ group: GROUP, name: `API ${name}`, ms: cold.ms, runs: 1, note: `warm ${formatMs(Math.min(...warm))}; ${Math.round(cold.bytes / 1024)} KB` });
    }
    // The browser on a node started again: nothing cached, as after a restart or a sync.
    await node.shutdown(1000);
    node = await startNode(config, createLogger('silent'));
    const url = node.url;
    if (hasChromium()) {
      const timings = await timeDashboard(url, 'Tulle');
      const worst = Math.max(...timings.filters.map((f) => f.ms));
      const catalogue = timings.requests.filter((r) => r.startsWith('/api/federation/catalog'));
      log(`browser: first view ${formatMs(timings.firstViewMs)}, filter changes ${timings.filters.map((f) => `${f.change} ${formatMs(f.ms)}`).join(', ')}`);
      results.push({
        group: GROUP, name: `browser: first view, ${SIZE.offers.toLocaleString('en-US')} federated offers`, ms: timings.firstViewMs, runs: 1,
        note: `${timings.requests.filter((r) => r.startsWith('/api/')).length} API requests, ${Math.round(timings.apiBytes / 1024)} KB of API answers`,
        targets: [
          { label: `first view interactive ≤ ${FIRST_VIEW_MS} ms`, pass: timings.firstViewMs <= FIRST_VIEW_MS, actual: formatMs(timings.firstViewMs) },
          { label: 'the page never asks for the whole catalogue', pass: catalogue.length === 0, actual: `${catalogue.length} catalogue requests` },
        ],
      });
      for (const f of timings.filters) {
        results.push({ group: GROUP, name: `browser: filter change, ${f.change}`, ms: f.ms, runs: 1, note: `${formatMs(f.driverMs)} as the driver sees it` });
      }
      results.push({
        group: GROUP, name: `browser: slowest of ${timings.filters.length} filter changes`, ms: worst, runs: timings.filters.length,
        times: timings.filters.map((f) => f.ms),
        targets: [{ label: `each filter change ≤ ${FILTER_MS} ms`, pass: worst <= FILTER_MS, actual: `${formatMs(worst)} (slowest: ${timings.filters.find((f) => f.ms === worst)?.change ?? ''})` }],
      });
    } else {
      log(`browser timings skipped: no ${CHROMIUM} (apt-get install -y chromium)`);
    }

    return results;
  } finally {
    await node?.shutdown(1000);
    rmSync(dir, { recursive: true, force: true });
  }
}
