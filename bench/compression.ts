/**
 * The compression benchmark: what compressing the 5,000-item catalogue costs a node, once per version and from
 * the render cache, and how much smaller it gets.
 *
 * A real node in this process (so that `process.cpuUsage()` counts its CPU, zlib's thread pool included) serves
 * a generated catalogue of 5,000 offers; `GET catalog_items?page_size=5000` over loopback:
 *  1. identity, first request (render) and then from the cache;
 *  2. br and gzip: the first request in each coding compresses the cached body once (brotli 6, gzip 6), the
 *     next ones send the kept form;
 *  3. the on-the-fly settings (brotli 4, gzip 1) that uncached JSON answers get, on the same bytes.
 * CPU is per request (user + system of the whole process); the client's share (reading the body) is in it.
 *
 * @packageDocumentation
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasErrors } from '../server/errors/problem.js';
import { loadConfig } from '../server/config.js';
import { compress } from '../server/http/compress.js';
import { createLogger } from '../server/logging.js';
import { startNode } from '../server/main.js';
import { generateCatalog } from './catalog-generator.js';
import { formatMs, groupLog, megabytes, median, type BenchResult } from './harness.js';

const GROUP = 'compression';
const log = groupLog(GROUP);
const OFFERS = 5000;
const CACHED_RUNS = 20;

interface Timed {
  readonly ms: number;
  /** CPU of this process during the request, ms. */
  readonly cpuMs: number;
  readonly bytes: number;
  readonly coding: string;
  /** The body, when asked to keep it. */
  readonly body?: Buffer;
}

/** One GET, timed from sending to the last byte, with the process's CPU over the same span. */
function get(url: string, acceptEncoding: string | undefined, keep = false): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const req = httpRequest(url, { headers: { accept: 'application/ld+json', ...(acceptEncoding !== undefined ? { 'accept-encoding': acceptEncoding } : {}) } }, (res) => {
      let bytes = 0;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (keep) chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('end', () => {
        const used = process.cpuUsage(cpu);
        if (res.statusCode !== 200) reject(new Error(`GET ${url}: ${res.statusCode}`));
        resolve({
          ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000, bytes, coding: String(res.headers['content-encoding'] ?? 'identity'),
          ...(keep ? { body: Buffer.concat(chunks) } : {}),
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Runs the compression benchmark. */
export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'maillon-bench-compression-'));
  const config = loadConfig({ port: '0', host: '127.0.0.1', 'data-dir': dir, 'base-url': 'https://maillon.example.org' }, { MAILLON_LOG_LEVEL: 'silent' });
  const node = await startNode(config, createLogger('silent'));
  try {
    const decoded = await node.decoder.decode(JSON.stringify(generateCatalog(OFFERS)));
    if (hasErrors(decoded.problems) || decoded.rejected.length > 0) throw new Error('the generated catalogue does not decode');
    await node.catalog.createEnterprise(decoded.records, { eid: 'bench' });
    await node.catalog.importRecords('bench', decoded.records);
    const url = `${node.url}/api/dfc/enterprises/bench/catalog_items?page_size=${OFFERS}`;
    const results: BenchResult[] = [];
    const render = await get(url, undefined, true);
    log(`identity, first request (render): ${formatMs(render.ms)}, CPU ${formatMs(render.cpuMs)}, ${megabytes(render.bytes)}`);
    const plain: Timed[] = [];
    for (let i = 0; i < CACHED_RUNS; i++) plain.push(await get(url, undefined));
    const plainCpu = median(plain.map((t) => t.cpuMs));
    results.push({
      group: GROUP, name: `whole ${OFFERS.toLocaleString('en-US')}-item catalogue, identity, from the cache`, ms: median(plain.map((t) => t.ms)),
      runs: CACHED_RUNS, times: plain.map((t) => t.ms), note: `${megabytes(render.bytes)}; CPU ${formatMs(plainCpu)}/request; render ${formatMs(render.ms)}`,
    });
    for (const coding of ['br', 'gzip'] as const) {
      const first = await get(url, coding);
      if (first.coding !== coding) throw new Error(`asked ${coding}, got ${first.coding}`);
      const cached: Timed[] = [];
      for (let i = 0; i < CACHED_RUNS; i++) cached.push(await get(url, coding));
      const cpu = median(cached.map((t) => t.cpuMs));
      log(`${coding}: first request (compress once) ${formatMs(first.ms)}, CPU ${formatMs(first.cpuMs)}; from the cache ` +
        `${formatMs(median(cached.map((t) => t.ms)))}, CPU ${formatMs(cpu)}/request; ${megabytes(first.bytes)} (${(render.bytes / first.bytes).toFixed(1)}× fewer)`);
      results.push({
        group: GROUP, name: `whole catalogue, ${coding}, from the cache (compressed once)`, ms: median(cached.map((t) => t.ms)), runs: CACHED_RUNS,
        times: cached.map((t) => t.ms), ratio: `${(render.bytes / first.bytes).toFixed(1)}× fewer bytes`,
        note: `${megabytes(first.bytes)}; CPU ${formatMs(cpu)}/request (identity ${formatMs(plainCpu)}); first request ${formatMs(first.ms)}, CPU ${formatMs(first.cpuMs)}`,
      });
    }
    // The on-the-fly settings, on the same bytes (what an uncached answer of this size would cost per request).
    const body = render.body ?? Buffer.alloc(0);
    for (const coding of ['br', 'gzip'] as const) {
      const times: number[] = [];
      let size = 0;
      for (let i = 0; i < 5; i++) {
        const cpu = process.cpuUsage();
        size = (await compress(body, coding, 'fast')).length;
        const used = process.cpuUsage(cpu);
        times.push((used.user + used.system) / 1000);
      }
      log(`${coding} on the fly (fast): CPU ${formatMs(median(times))} for ${megabytes(body.length)} → ${megabytes(size)}`);
      results.push({
        group: GROUP, name: `${coding} on the fly (fast settings), ${megabytes(body.length)} of JSON-LD`, ms: median(times), runs: 5, times,
        ratio: `${(body.length / size).toFixed(1)}× fewer bytes`, note: 'CPU time of one compression',
      });
    }
    return results;
  } finally {
    await node.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
