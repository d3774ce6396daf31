/**
 * The render benchmark: a catalogue that stays fast while it changes (issue 16).
 *
 * 1. Full pull after one change. A real node ({@link ./http-server.ts}, its own process) holds a generated
 *    catalogue of {@link PULL_OFFERS} offers. A full pull is what a syncing peer does: `GET catalog_items` asking
 *    for pages (`Prefer: max-member-count`), of the default page size (`MAILLON_PAGE_SIZE`, 500: 20 pages), in JSON-LD, then every page in order by its
 *    `Link: rel="next"`, one request at a time on one keep-alive connection. What is measured, per request, is
 *    the time from sending it to the last byte of its body on the client (loopback, so essentially the server's
 *    time plus the transfer); the pull's figure is the sum over its pages. Measured: the first pull (nothing
 *    rendered yet); the floor (pulls with no change since the last: every page cached); and, the target, pulls
 *    right after one stock change (`PUT catalog_items/{id}` of one item, admin token, a new value each round,
 *    untimed), {@link ROUNDS} rounds, a different item each, the median reported. Checks: every pull serves
 *    every catalog item once, and the changed item with its new stock.
 * 2. The whole 5,000-item catalogue under load beside a plain server. A second node holds
 *    {@link LOAD_OFFERS} offers; `GET catalog_items?page_size=5000` with autocannon, {@link CONNECTIONS}
 *    connections, p50 of the response times; beside it, in the same run, a plain `node:http` server
 *    ({@link ./plain-server.ts}, its own process) sending the same bytes from memory with the same
 *    `Content-Type`, `ETag`, `Content-Length` (and `Content-Encoding`).
 *    Once uncompressed, once with `Accept-Encoding: br, gzip` (both then send the brotli bytes the node made).
 *    Each server is warmed up ({@link WARMUP_S} s), then both are measured in {@link ROUNDS_SIDE_BY_SIDE}
 *    alternating runs ({@link DURATION_S} s for each server in all), so that the machine's load weighs on both alike; each
 *    side's response times are pooled. The ratio of the p50s is the target (≤ 1.3×): the load generator reading
 *    the bytes bounds both.
 *
 * `BENCH_RENDER_ONLY=pull` (or `plain`) runs part 1 (or 2) alone. `BENCH_RENDER_PROFILE=DIR` runs the nodes
 * under `node --cpu-prof`; `BENCH_HTTP_DURATION=SECONDS` changes the measured duration of part 2. Every socket
 * is on 127.0.0.1; the temporary directories are removed at the end.
 *
 * @packageDocumentation
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { formatMs, formatRate, groupLog, median, megabytes, percentile, startJsonChild, stopJsonChild, type BenchResult, type JsonChild } from './harness.js';
import type { ServerReady } from './http-server.js';
import type { PlainHeaders } from './plain-server.js';
import { PREFER_PAGES } from '../server/sync/peer-fetch.js';

const GROUP = 'render';
const log = groupLog(GROUP);
const ms = formatMs;
const PULL_OFFERS = 10_000;
const LOAD_OFFERS = 5000;
/** Pulls right after one change (a different item each). */
const ROUNDS = 5;
/** Pulls with nothing changed (the floor). */
const FLOOR_ROUNDS = 3;
const CONNECTIONS = 10;
const DURATION_S = Number(process.env['BENCH_HTTP_DURATION'] ?? 10);
const WARMUP_S = 3;
/** Alternating runs of each server in the side-by-side comparison (the measured duration is split among them). */
const ROUNDS_SIDE_BY_SIDE = 4;
const LD_JSON = 'application/ld+json';

/** The targets. */
const TARGET = {
  /** Sum of the page times of a full pull right after one stock change. */
  pullAfterChangeMs: 300,
  /** Our p50 / the plain server's p50, whole catalogue, 10 connections. */
  versusPlain: 1.3,
} as const;

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  /** From sending the request to the last byte of the body. */
  readonly ms: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** One request on the keep-alive agent, timed to the last byte. */
function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = httpRequest(url, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), ms: performance.now() - started }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function startNode(dir: string, offers: number): JsonChild {
  const profile = process.env['BENCH_RENDER_PROFILE'];
  const flags = profile === undefined || profile === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${profile}`];
  return startJsonChild(`node (${offers} offers)`, 'http-server.ts', [dir, String(offers)], flags);
}

// ------------------------------------------------------------------ 1. full pull after one change

interface Pull {
  /** Sum of the page times. */
  readonly ms: number;
  readonly pages: number;
  readonly bytes: number;
  /** The slowest page. */
  readonly maxPageMs: number;
  /** Stock of each catalog item served, by `@id`. */
  readonly stock: Map<string, unknown>;
}

/** The `rel="next"` target of a `Link` header, on the node's loopback URL (the links name the public base). */
function nextOf(link: string | string[] | undefined, base: string): string | undefined {
  const text = Array.isArray(link) ? link.join(', ') : link ?? '';
  const match = /<([^>]+)>;\s*rel="next"/u.exec(text);
  if (match?.[1] === undefined) return undefined;
  const url = new URL(match[1]);
  return `${base}${url.pathname}${url.search}`;
}

/** Pulls every page of the catalogue in order, as a syncing peer does; checks them after the timing. */
async function pull(ready: ServerReady): Promise<Pull> {
  let url: string | undefined = `${ready.url}/api/dfc/enterprises/${ready.eid}/catalog_items`;
  const replies: Reply[] = [];
  while (url !== undefined) {
    // A syncing peer asks for pages (a client that does not gets the whole catalogue at once).
    const reply = await send(url, 'GET', { accept: LD_JSON, prefer: PREFER_PAGES });
    if (reply.status !== 200) throw new Error(`GET ${url}: ${reply.status} ${reply.body.toString('utf8').slice(0, 200)}`);
    replies.push(reply);
    url = nextOf(reply.headers['link'], ready.url);
    if (replies.length > 1000) throw new Error('more than 1,000 pages: the next links loop');
  }
  const stock = new Map<string, unknown>();
  for (const reply of replies) {
    const doc = JSON.parse(reply.body.toString('utf8')) as { '@graph': Record<string, unknown>[] };
    for (const node of doc['@graph']) {
      if (node['@type'] !== 'dfc-b:CatalogItem') continue;
      if (stock.has(node['@id'] as string)) throw new Error(`catalog item ${String(node['@id'])} served twice`);
      stock.set(node['@id'] as string, node['dfc-b:stockLimitation']);
    }
  }
  if (stock.size !== ready.items.length) throw new Error(`a full pull served ${stock.size} catalog items, expected ${ready.items.length}`);
  const times = replies.map((r) => r.ms);
  return {
    ms: times.reduce((a, b) => a + b, 0), pages: replies.length, bytes: replies.reduce((a, r) => a + r.body.length, 0),
    maxPageMs: Math.max(...times), stock,
  };
}

async function fullPulls(dir: string): Promise<BenchResult[]> {
  const node = startNode(dir, PULL_OFFERS);
  try {
    const ready = await node.next<ServerReady>(300_000);
    log(`node ${ready.url} (pid ${ready.pid}), ${PULL_OFFERS.toLocaleString('en-US')} offers seeded in ${ms(ready.seedMs)}`);
    const first = await pull(ready);
    log(`first full pull (nothing rendered): ${ms(first.ms)}, ${first.pages} pages, ${megabytes(first.bytes)}, slowest page ${ms(first.maxPageMs)}`);
    const floors: Pull[] = [];
    for (let i = 0; i < FLOOR_ROUNDS; i++) floors.push(await pull(ready));
    const floor = median(floors.map((p) => p.ms));
    log(`full pull, no change (all cached): ${floors.map((p) => ms(p.ms)).join(', ')}`);
    const afterChange: Pull[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // A different item each round, spread over the catalogue (never the same page twice in a row).
      const index = Math.floor(((round * 7 + 3) % 20) * (ready.items.length / 20)) + round;
      const id = ready.items[index] as string;
      const value = 100_000 + round;
      const path = `${ready.url}/api/dfc/enterprises/${ready.eid}/catalog_items/${encodeURIComponent(id)}`;
      const put = await send(path, 'PUT', { 'content-type': 'application/json', accept: LD_JSON, authorization: `Bearer ${ready.token}` },
        JSON.stringify({ 'dfc-b:stockLimitation': value }));
      if (put.status !== 200) throw new Error(`PUT ${path}: ${put.status} ${put.body.toString('utf8').slice(0, 200)}`);
      const pulled = await pull(ready);
      const served = [...pulled.stock.entries()].filter(([iri]) => iri.endsWith(`/catalog_items/${id}`));
      if (served.length !== 1 || served[0]?.[1] !== value) throw new Error(`after the PUT, item ${id} is served with stock ${JSON.stringify(served)}, not ${value}`);
      afterChange.push(pulled);
      log(`round ${round + 1}: PUT stock of item ${index} (${ms(put.ms)}), then full pull ${ms(pulled.ms)} (slowest page ${ms(pulled.maxPageMs)})`);
    }
    const after = median(afterChange.map((p) => p.ms));
    const pages = first.pages;
    const n = PULL_OFFERS.toLocaleString('en-US');
    const what = `${pages} pages of ${LD_JSON}, sequential, sum of send→last byte on the client (loopback)`;
    return [
      { group: GROUP, name: `full pull ${n} offers, first (nothing rendered)`, ms: first.ms, runs: 1, offers: PULL_OFFERS,
        note: `${what}; ${megabytes(first.bytes)}` },
      { group: GROUP, name: `full pull ${n} offers, no change (floor)`, ms: floor, runs: floors.length, times: floors.map((p) => p.ms), offers: PULL_OFFERS,
        note: what },
      {
        group: GROUP, name: `full pull ${n} offers, right after one stock PUT`, ms: after, runs: afterChange.length,
        times: afterChange.map((p) => p.ms), offers: PULL_OFFERS,
        note: `${what}; slowest page ${ms(Math.max(...afterChange.map((p) => p.maxPageMs)))}; floor ${ms(floor)}`,
        targets: [{
          label: `full pull of ${n} offers right after one stock change ≤ ${TARGET.pullAfterChangeMs} ms`,
          pass: after <= TARGET.pullAfterChangeMs,
          actual: `${ms(after)} (median of ${afterChange.length}: ${afterChange.map((p) => ms(p.ms)).join(', ')}; floor ${ms(floor)})`,
        }],
      },
    ];
  } finally {
    await stopJsonChild(node, log);
  }
}

// ------------------------------------------------------------------ 2. beside a plain server

/** One autocannon run's raw figures. */
interface Run {
  readonly latencies: number[];
  readonly requests: number;
  readonly wallMs: number;
  readonly serverCpuMs: number | undefined;
  readonly clientCpuMs: number;
}

/** Several runs of one server, pooled. */
interface Load {
  readonly p50: number;
  readonly p99: number;
  readonly perSecond: number;
  readonly count: number;
  readonly serverCpu: number | undefined;
  readonly clientCpu: number;
  /** The p50 of each run. */
  readonly p50s: readonly number[];
}

/** CPU time (user + system, every thread) a process has used, in ms, from `/proc` (Linux; 100 ticks/s). */
function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** autocannon for `duration` s; every response must be a 200 of at least `bytes` bytes. */
async function load(what: string, pid: number, options: autocannon.Options, bytes: number, duration: number): Promise<Run> {
  const latencies: number[] = [];
  const wrongSize: number[] = [];
  const serverBefore = processCpuMs(pid);
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  const instance = autocannon({ connections: CONNECTIONS, ...options, duration });
  instance.on('response', (_client, _status, size, responseTimeMs) => {
    latencies.push(responseTimeMs);
    // autocannon's size counts the head too: the body alone is at least `bytes`.
    if (size < bytes) wrongSize.push(size);
  });
  const result = await instance;
  const wallMs = performance.now() - started;
  const clientUsage = process.cpuUsage(clientBefore);
  const serverAfter = processCpuMs(pid);
  if (result.errors > 0 || result.timeouts > 0 || Object.keys(result.statusCodeStats).some((code) => code !== '200')) {
    throw new Error(`${what}: ${JSON.stringify(result.statusCodeStats)}, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  if (wrongSize.length > 0) throw new Error(`${what}: ${wrongSize.length} responses shorter than ${bytes} bytes (e.g. ${wrongSize[0]})`);
  if (latencies.length === 0) throw new Error(`${what}: no response in ${duration} s`);
  return {
    latencies, requests: result.requests.total, wallMs,
    serverCpuMs: serverBefore === undefined || serverAfter === undefined ? undefined : serverAfter - serverBefore,
    clientCpuMs: (clientUsage.user + clientUsage.system) / 1000,
  };
}

function pooled(runs: readonly Run[]): Load {
  const latencies = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const wall = runs.reduce((a, r) => a + r.wallMs, 0);
  const server = runs.every((r) => r.serverCpuMs !== undefined) ? runs.reduce((a, r) => a + (r.serverCpuMs ?? 0), 0) : undefined;
  return {
    p50: percentile(latencies, 50), p99: percentile(latencies, 99), count: latencies.length,
    perSecond: (runs.reduce((a, r) => a + r.requests, 0) * 1000) / wall,
    serverCpu: server === undefined ? undefined : (server / wall) * 100,
    clientCpu: (runs.reduce((a, r) => a + r.clientCpuMs, 0) / wall) * 100,
    p50s: runs.map((r) => percentile([...r.latencies].sort((a, b) => a - b), 50)),
  };
}

interface Target {
  readonly label: string;
  readonly pid: number;
  readonly options: autocannon.Options;
}

/**
 * The node and the plain server, each warmed up, then measured in alternating runs (ABBA…), so that a change of
 * the machine's load during the measurement weighs on both alike; each side's latencies pooled.
 */
async function compare(what: string, a: Target, b: Target, bytes: number): Promise<[Load, Load]> {
  for (const side of [a, b]) await load(`${side.label}, ${what} (warm-up)`, side.pid, side.options, bytes, WARMUP_S);
  const runs: [Run[], Run[]] = [[], []];
  for (let round = 0; round < ROUNDS_SIDE_BY_SIDE; round++) {
    const order = round % 2 === 0 ? [0, 1] as const : [1, 0] as const;
    for (const index of order) {
      const side = index === 0 ? a : b;
      runs[index].push(await load(`${side.label}, ${what}`, side.pid, side.options, bytes, DURATION_S / ROUNDS_SIDE_BY_SIDE));
    }
  }
  const [ours, plain] = [pooled(runs[0]), pooled(runs[1])];
  for (const [side, measured] of [[a, ours], [b, plain]] as const) {
    log(`${side.label}, ${what}: p50 ${ms(measured.p50)} (runs: ${measured.p50s.map(ms).join(', ')}), p99 ${ms(measured.p99)}, ` +
      `${formatRate(measured.perSecond)} req/s; CPU server ${measured.serverCpu?.toFixed(0) ?? '?'} %, client ${measured.clientCpu.toFixed(0)} %`);
  }
  return [ours, plain];
}

async function besidePlain(nodeDir: string, plainDir: string): Promise<BenchResult[]> {
  const node = startNode(nodeDir, LOAD_OFFERS);
  let plain: JsonChild | undefined;
  try {
    const ready = await node.next<ServerReady>(300_000);
    log(`node ${ready.url} (pid ${ready.pid}), ${LOAD_OFFERS.toLocaleString('en-US')} offers seeded in ${ms(ready.seedMs)}`);
    const url = `${ready.url}/api/dfc/enterprises/${ready.eid}/catalog_items?page_size=${LOAD_OFFERS}`;
    // The node's own bytes and tags, in each coding: what the plain server sends.
    const forms: Record<'identity' | 'br' | 'gzip', Reply> = {
      identity: await send(url, 'GET', { accept: LD_JSON }),
      br: await send(url, 'GET', { accept: LD_JSON, 'accept-encoding': 'br' }),
      gzip: await send(url, 'GET', { accept: LD_JSON, 'accept-encoding': 'gzip' }),
    };
    for (const [coding, reply] of Object.entries(forms)) {
      const encoding = String(reply.headers['content-encoding'] ?? 'identity');
      if (reply.status !== 200 || encoding !== coding) throw new Error(`GET ${url} (${coding}): ${reply.status}, Content-Encoding ${encoding}`);
      writeFileSync(join(plainDir, coding), reply.body);
    }
    const headers: PlainHeaders = {
      contentType: String(forms.identity.headers['content-type']),
      etags: { identity: String(forms.identity.headers['etag']), br: String(forms.br.headers['etag']), gzip: String(forms.gzip.headers['etag']) },
    };
    writeFileSync(join(plainDir, 'headers.json'), JSON.stringify(headers));
    plain = startJsonChild('plain server', 'plain-server.ts', [plainDir]);
    const plainReady = await plain.next<{ url: string; pid: number }>(30_000);
    const plainUrl = `${plainReady.url}/api/dfc/enterprises/${ready.eid}/catalog_items?page_size=${LOAD_OFFERS}`;
    const check = await send(plainUrl, 'GET', { accept: LD_JSON });
    if (!check.body.equals(forms.identity.body) || check.headers['etag'] !== headers.etags.identity) throw new Error('the plain server does not send the node\'s bytes');

    const results: BenchResult[] = [];
    for (const [label, acceptEncoding, coding] of [['uncompressed', undefined, 'identity'], ['Accept-Encoding: br, gzip', 'br, gzip', 'br']] as const) {
      const requestHeaders: Record<string, string> = { accept: LD_JSON, ...(acceptEncoding !== undefined ? { 'accept-encoding': acceptEncoding } : {}) };
      const bytes = forms[coding].body.length;
      const [ours, floor] = await compare(`${label} (${megabytes(bytes)})`,
        { label: 'node', pid: ready.pid, options: { url, headers: requestHeaders } },
        { label: 'plain http', pid: plainReady.pid, options: { url: plainUrl, headers: requestHeaders } }, bytes);
      const ratio = ours.p50 / floor.p50;
      const cpu = (l: Load): string => `CPU server ${l.serverCpu?.toFixed(0) ?? '?'} %, client ${l.clientCpu.toFixed(0)} %`;
      const n = LOAD_OFFERS.toLocaleString('en-US');
      results.push(
        {
          group: GROUP, name: `GET ${n}-item catalogue, ${label}, node`, ms: ours.p50, runs: ours.count,
          ratio: `${ratio.toFixed(2)}× plain`,
          note: `p50 ${ms(ours.p50)}, p99 ${ms(ours.p99)}, ${formatRate(ours.perSecond)} req/s, ${CONNECTIONS} conn, ${ROUNDS_SIDE_BY_SIDE} runs alternating with the plain server, ${DURATION_S} s in all, ${megabytes(bytes)}, ${cpu(ours)}`,
          targets: [{
            label: `GET ${n}-item catalogue ${label}, p50 ≤ ${TARGET.versusPlain}× a plain http server sending the same bytes`,
            pass: ratio <= TARGET.versusPlain,
            actual: `${ratio.toFixed(2)}× (${ms(ours.p50)} vs ${ms(floor.p50)})`,
          }],
        },
        {
          group: GROUP, name: `GET ${n}-item catalogue, ${label}, plain http from memory`, ms: floor.p50, runs: floor.count,
          note: `p50 ${ms(floor.p50)}, p99 ${ms(floor.p99)}, ${formatRate(floor.perSecond)} req/s, ${cpu(floor)}`,
        },
      );
    }
    return results;
  } finally {
    if (plain !== undefined) await stopJsonChild(plain, log);
    await stopJsonChild(node, log);
  }
}

/** Runs the render benchmark. */
export async function run(): Promise<BenchResult[]> {
  const dirs = [0, 1, 2].map(() => mkdtempSync(join(tmpdir(), 'maillon-bench-render-')));
  try {
    log(`${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} before starting`);
    // `BENCH_RENDER_ONLY=pull` or `=plain` runs one part alone.
    const only = process.env['BENCH_RENDER_ONLY'];
    const results: BenchResult[] = [];
    if (only !== 'plain') results.push(...(await fullPulls(dirs[0] as string)));
    if (only !== 'pull') results.push(...(await besidePlain(dirs[1] as string, dirs[2] as string)));
    return results;
  } finally {
    agent.destroy();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}
