/**
 * The HTTP benchmark: a real node serving a 5,000-item catalogue over loopback, loaded with autocannon.
 *
 * Measured, each for a fixed duration after a short warm-up:
 *  1. GET of the whole catalogue (`catalog_items?page_size=5000`, JSON-LD): the first request alone (cold:
 *     nothing rendered yet, JIT cold), then steady state with 1 connection (latency without queueing) and
 *     with 10 connections (under load);
 *  2. the same GET with `If-None-Match` of its ETag, answered 304;
 *  3. `PUT catalog_items/{id}` stock writes, round-robin over every item, each with a new value; afterwards
 *     GETs check that the last acknowledged value of sampled items is the one stored.
 *
 * The node runs in a child process ({@link ./http-server.ts}), not in this one: autocannon is JavaScript
 * too, and it decodes every response body to a string (6 MB per catalogue response). In one process the
 * load generator and the server would share one event loop, so the client's work would be counted as
 * server latency and would cap the throughput; in two processes each gets its own core and the server can
 * be profiled alone. Set `BENCH_HTTP_PROFILE=DIR` to run the server under `node --cpu-prof` (profile written
 * to DIR when it exits), `BENCH_HTTP_DURATION=SECONDS` to change the measured duration (default 10), and
 * `BENCH_SQL_PROFILE=FILE` to write every statement SQLite ran once the catalogue was seeded (see {@link ./http-server.ts};
 * the same lines as the national bench's), and
 * `BENCH_HTTP_ONLY=writes` to measure the stock writes alone (3; the catalogue GETs are skipped, so a profile of the
 * server is of the writes only, and an A/B of a write-path change takes a third of the time), and
 * `BENCH_HTTP_WRITE_RATE=N` to send the stock writes at N a second (all connections together) instead of as fast as
 * they are answered: below what the node can take, both sides of an A/B then do the same work each second, batched
 * alike, and their CPU time per write compares more steadily on a machine shared with other work (the target's
 * row then says so, and is no measure of the node's rate).
 *
 * Every request goes to 127.0.0.1 only.
 *
 * @packageDocumentation
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { megabytes, type BenchResult, formatMs, formatRate, groupLog, percentile } from './harness.js';
import type { ServerReady } from './http-server.js';

const GROUP = 'http';
const log = groupLog(GROUP);
const ms = formatMs;
const rate = formatRate;
const OFFERS = 5000;
const CONNECTIONS = 10;
const DURATION_S = Number(process.env['BENCH_HTTP_DURATION'] ?? 10);
const WARMUP_S = 3;
const LD_JSON = 'application/ld+json';
/** `BENCH_HTTP_ONLY=writes`: only the stock writes are measured. */
const ONLY_WRITES = process.env['BENCH_HTTP_ONLY'] === 'writes';
/** `BENCH_HTTP_WRITE_RATE=N`: the stock writes are sent at N a second (0: as fast as answered). */
const WRITE_RATE = Number(process.env['BENCH_HTTP_WRITE_RATE'] ?? 0);

/** The targets the HTTP API is held to. */
const TARGET = {
  catalogueP50Ms: 150,
  notModifiedP50Ms: 5,
  /** Issue 16: stock writes ≥ 3,000/s at 10 connections, each still reaching the change feed. */
  writesPerSecond: 3000,
} as const;




// ------------------------------------------------------------------ the server process

interface ServerProcess {
  readonly ready: ServerReady;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
}

/** Spawns {@link ./http-server.ts} and waits for its ready line. */
async function startServer(dir: string): Promise<ServerProcess> {
  const script = fileURLToPath(new URL('http-server.ts', import.meta.url));
  const profileDir = process.env['BENCH_HTTP_PROFILE'];
  const flags = profileDir === undefined || profileDir === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', script, dir, String(OFFERS)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await new Promise<ServerReady>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the node did not start within 120 s')), 120_000);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line) as ServerReady);
      } catch (error: unknown) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the node exited with code ${String(code)} before it was ready`));
    });
  }).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    await exited;
    throw error;
  });
  const server = { ready, child, exited };
  if (!/^http:\/\/127\.0\.0\.1:\d+$/u.test(ready.url)) {
    await stopServer(server);
    throw new Error(`the node listens on ${ready.url}, not on loopback`);
  }
  return server;
}

/** Closes the server's standard input (it closes the node and exits); kills it if it lingers. */
async function stopServer(server: ServerProcess): Promise<void> {
  if (server.child.exitCode !== null) return;
  server.child.stdin?.end();
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 30_000);
  const code = await server.exited;
  clearTimeout(timer);
  if (code !== 0) log(`the node exited with code ${String(code)}`);
}

// ------------------------------------------------------------------ requests

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  /** From sending the request to the last byte of the body. */
  readonly ms: number;
}

/** One request with node:http (no fetch: its first call loads undici, which would be charged to "cold"). */
function send(base: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Reply> {
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
    req.end(body);
  });
}

/** The nodes of a JSON-LD document (its `@graph`, or the document itself). */
function nodesOf(text: string): Record<string, unknown>[] {
  const doc = JSON.parse(text) as Record<string, unknown>;
  return Array.isArray(doc['@graph']) ? (doc['@graph'] as Record<string, unknown>[]) : [doc];
}

function isCatalogItem(node: Record<string, unknown>): boolean {
  const types = ([] as unknown[]).concat(node['@type'] ?? []);
  return types.some((t) => typeof t === 'string' && /(^|[#:])CatalogItem$/u.test(t));
}

/** The `dfc-b:stockLimitation` of the catalog item in a JSON-LD body. */
function stockOf(text: string): number | undefined {
  const item = nodesOf(text).find(isCatalogItem);
  const value: unknown = item?.['dfc-b:stockLimitation'] ?? item?.['stockLimitation'];
  if (typeof value === 'number') return value;
  if (typeof value === 'object' && value !== null && '@value' in value) return Number((value as { '@value': unknown })['@value']);
  return undefined;
}

// ------------------------------------------------------------------ load

interface Load {
  readonly result: autocannon.Result;
  readonly p50: number;
  readonly p99: number;
  readonly perSecond: number;
  readonly count: number;
  /** CPU time of the server process (every thread) per wall time, in % of one core; undefined off Linux. */
  readonly serverCpu: number | undefined;
  /** CPU time of the server's main thread (its event loop) per wall time, in % of one core; undefined off Linux. */
  readonly serverMainCpu: number | undefined;
  /** CPU time of this process (autocannon) per wall time, in % of one core. */
  readonly clientCpu: number;
}

/**
 * CPU time (user + system) a process has used, in ms, from `/proc` (Linux; 100 ticks/s): every thread's, or with
 * `mainThread` its main thread's alone (the event loop, beside SQLite's and the collector's threads).
 */
function processCpuMs(pid: number, mainThread = false): number | undefined {
  try {
    const stat = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** The nearest-rank percentile of sorted values. */

/**
 * Runs autocannon for `duration` seconds and checks that every response had `status`.
 *
 * Latencies are taken from autocannon's `response` events (sub-millisecond, every status) rather than its
 * histogram, which keeps whole milliseconds and only 2xx responses by default.
 */
async function load(what: string, pid: number, options: autocannon.Options, status: number, duration = DURATION_S): Promise<Load> {
  const latencies: number[] = [];
  const serverBefore = processCpuMs(pid);
  const mainBefore = processCpuMs(pid, true);
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  const instance = autocannon({ connections: CONNECTIONS, ...options, duration });
  instance.on('response', (_client, _status, _bytes, responseTimeMs) => {
    latencies.push(responseTimeMs);
  });
  const result = await instance;
  const wall = performance.now() - started;
  const clientUsage = process.cpuUsage(clientBefore);
  const serverAfter = processCpuMs(pid);
  const mainAfter = processCpuMs(pid, true);
  const statuses = Object.entries(result.statusCodeStats).map(([code, { count }]) => `${code}×${count}`);
  if (result.errors > 0 || result.timeouts > 0 || Object.keys(result.statusCodeStats).some((code) => Number(code) !== status)) {
    throw new Error(`${what}: expected only ${status}, got ${statuses.join(', ') || 'no response'}, ` +
      `${result.errors} errors, ${result.timeouts} timeouts`);
  }
  if (latencies.length === 0) throw new Error(`${what}: no response in ${duration} s`);
  latencies.sort((a, b) => a - b);
  return {
    result,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    perSecond: result.requests.total / result.duration,
    count: latencies.length,
    serverCpu: serverBefore === undefined || serverAfter === undefined ? undefined : ((serverAfter - serverBefore) / wall) * 100,
    serverMainCpu: mainBefore === undefined || mainAfter === undefined ? undefined : ((mainAfter - mainBefore) / wall) * 100,
    clientCpu: ((clientUsage.user + clientUsage.system) / 1000 / wall) * 100,
  };
}

function cpu(measured: Load): string {
  return `CPU server ${measured.serverCpu === undefined ? '?' : measured.serverCpu.toFixed(0)} %, client ${measured.clientCpu.toFixed(0)} %`;
}

/** The server's CPU time per request: on a machine shared with other work, steadier than requests per second. */
function cpuPerRequest(measured: Load): string {
  const perRequest = (cpu: number | undefined): string => (cpu === undefined ? '?' : ((cpu * 10) / measured.perSecond).toFixed(3));
  return `server CPU ${perRequest(measured.serverCpu)} ms/request (main thread ${perRequest(measured.serverMainCpu)})`;
}

/** Warm-up, then the measured run. */
async function warmAndLoad(what: string, pid: number, options: autocannon.Options, status: number): Promise<Load> {
  log(`${what}: ${WARMUP_S} s warm-up, ${DURATION_S} s measured…`);
  await load(`${what} (warm-up)`, pid, options, status, WARMUP_S);
  const measured = await load(what, pid, options, status);
  log(`  p50 ${ms(measured.p50)}, p99 ${ms(measured.p99)}, ${rate(measured.perSecond)} req/s (${measured.count} requests; ${cpu(measured)}; ${cpuPerRequest(measured)})`);
  return measured;
}

function loadRow(name: string, measured: Load, connections: number, extra = ''): Pick<BenchResult, 'group' | 'name' | 'ms' | 'runs' | 'note'> {
  return {
    group: GROUP,
    name,
    ms: measured.p50,
    runs: measured.count,
    note: `p50 ${ms(measured.p50)}, p99 ${ms(measured.p99)}, ${rate(measured.perSecond)} req/s, ${connections} conn × ${DURATION_S} s, ${cpu(measured)}${extra}`,
  };
}

// ------------------------------------------------------------------ the benchmark

/** Stock writes, round-robin over every item; checks that what was acknowledged is what is stored. */
async function stockWrites(ready: ServerReady): Promise<{ measured: Load; checked: number }> {
  const { url, eid, token, items } = ready;
  const itemPath = (id: string): string => `/api/dfc/enterprises/${eid}/catalog_items/${encodeURIComponent(id)}`;
  // Write n goes to item n mod items.length with stock n: every value is unique, so a response says which
  // write it acknowledges.
  let next = 0;
  const acknowledged = new Set<number>();
  const badReplies: string[] = [];
  const options: autocannon.Options = {
    url,
    ...(WRITE_RATE > 0 ? { overallRate: WRITE_RATE } : {}),
    method: 'PUT',
    headers: { 'content-type': 'application/json', accept: LD_JSON, authorization: `Bearer ${token}` },
    requests: [{
      setupRequest: (request) => {
        const n = next++;
        return { ...request, path: itemPath(items[n % items.length] as string), body: JSON.stringify({ 'dfc-b:stockLimitation': n }) };
      },
      onResponse: (status, body) => {
        const stock = status === 200 ? stockOf(body) : undefined;
        if (stock === undefined) badReplies.push(`${status}: ${body.slice(0, 200)}`);
        else acknowledged.add(stock);
      },
    }],
  };
  const measured = await warmAndLoad(`PUT catalog item stock, ${CONNECTIONS} connections${WRITE_RATE > 0 ? `, at ${WRITE_RATE}/s` : ''}`, ready.pid, options, 200);
  if (badReplies.length > 0) throw new Error(`stock writes: ${badReplies.length} replies without the written stock, e.g. ${badReplies[0]}`);

  // Sanity: for sampled items (and the item of the last acknowledged write), the stored stock is the last
  // value acknowledged for it, or a later one whose reply was cut off when autocannon stopped.
  const last = Math.max(...acknowledged);
  const sampled = new Set<number>([last % items.length]);
  const writtenItems = Math.min(next, items.length);
  for (let i = 0; i < writtenItems; i += Math.max(1, Math.floor(writtenItems / 25))) sampled.add(i);
  for (const index of sampled) {
    const written: number[] = [];
    for (let n = index; n < next; n += items.length) written.push(n);
    const lastAcknowledged = written.filter((n) => acknowledged.has(n)).at(-1);
    // An item written once, by a request still in flight when the load stopped (or one that timed out under load),
    // has no acknowledged write: nothing can be said of it, and it is not a failure of the node.
    if (lastAcknowledged === undefined) {
      if (index === last % items.length) throw new Error(`item ${items[index]} was never written (${next} writes sent)`);
      continue;
    }
    const reply = await send(url, 'GET', itemPath(items[index] as string), { accept: LD_JSON });
    const stored = reply.status === 200 ? stockOf(reply.body.toString('utf8')) : undefined;
    if (stored === undefined || stored < lastAcknowledged || !written.includes(stored)) {
      throw new Error(`item ${items[index]}: stored stock ${String(stored)} (status ${reply.status}), ` +
        `but the last acknowledged write was ${lastAcknowledged}`);
    }
  }
  log(`  ${acknowledged.size} writes acknowledged; stored stock checked on ${sampled.size} items`);
  return { measured, checked: sampled.size };
}

/** The row of the stock writes, with its target. */
function writesRow(writes: { measured: Load; checked: number }): BenchResult {
  return {
    ...loadRow(`PUT catalog item stock, ${CONNECTIONS} connections${WRITE_RATE > 0 ? `, at ${WRITE_RATE}/s (not the node's rate)` : ''}`, writes.measured, CONNECTIONS,
      `, ${cpuPerRequest(writes.measured)}, ${OFFERS} items round-robin, stored value checked on ${writes.checked}`),
    targets: [{
      label: `stock writes ≥ ${TARGET.writesPerSecond.toLocaleString('en-US')}/s`,
      pass: writes.measured.perSecond >= TARGET.writesPerSecond,
      actual: `${rate(writes.measured.perSecond)}/s (p50 ${ms(writes.measured.p50)}, p99 ${ms(writes.measured.p99)})`,
    }],
  };
}

/** Runs the HTTP benchmark. */
export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'maillon-bench-http-'));
  let server: ServerProcess | undefined;
  try {
    // Server and load generator need a core each: other work on the machine shows up in every number here.
    log(`${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} before starting`);
    log(`starting a node with ${OFFERS.toLocaleString('en-US')} catalog items (child process)…`);
    server = await startServer(dir);
    const { ready } = server;
    if (ready.items.length !== OFFERS) throw new Error(`the node stores ${ready.items.length} catalog items, expected ${OFFERS}`);
    log(`node ${ready.url} (pid ${ready.pid}), catalogue seeded in ${ms(ready.seedMs)}`);

    if (ONLY_WRITES) {
      const writes = await stockWrites(ready);
      return [writesRow(writes)];
    }
    const path = `/api/dfc/enterprises/${ready.eid}/catalog_items?page_size=${OFFERS}`;
    const accept = { accept: LD_JSON };

    // Cold: the very first request to the node, before anything was rendered or cached.
    const cold = await send(ready.url, 'GET', path, accept);
    const etag = cold.headers['etag'];
    const contentType = String(cold.headers['content-type'] ?? '');
    if (cold.status !== 200 || typeof etag !== 'string' || !contentType.startsWith(LD_JSON)) {
      throw new Error(`GET catalogue: status ${cold.status}, content-type ${contentType}, ETag ${String(etag)}`);
    }
    const served = nodesOf(cold.body.toString('utf8')).filter(isCatalogItem).length;
    if (served !== OFFERS) throw new Error(`GET catalogue returned ${served} catalog items, expected ${OFFERS}`);
    const size = cold.body.length;
    log(`cold GET: ${ms(cold.ms)}; response ${megabytes(size)} (${size.toLocaleString('en-US')} bytes, ${contentType}), ` +
      `${served.toLocaleString('en-US')} catalog items`);

    const get: autocannon.Options = { url: `${ready.url}${path}`, headers: accept };
    const single = await warmAndLoad('GET catalogue, 1 connection', ready.pid, { ...get, connections: 1 }, 200);
    const loaded = await warmAndLoad(`GET catalogue, ${CONNECTIONS} connections`, ready.pid, get, 200);
    const notModified = await warmAndLoad(
      `GET catalogue If-None-Match → 304, ${CONNECTIONS} connections`, ready.pid, { ...get, headers: { ...accept, 'if-none-match': etag } }, 304,
    );
    const writes = await stockWrites(ready);

    const n = OFFERS.toLocaleString('en-US');
    return [
      { group: GROUP, name: `GET ${n}-item catalogue, cold (first request)`, ms: cold.ms, runs: 1, note: `${megabytes(size)} ${LD_JSON}` },
      loadRow(`GET ${n}-item catalogue, steady, 1 connection`, single, 1),
      {
        ...loadRow(`GET ${n}-item catalogue, steady, ${CONNECTIONS} connections`, loaded, CONNECTIONS),
        targets: [{
          label: `GET ${n}-item catalogue p50 ≤ ${TARGET.catalogueP50Ms} ms (${CONNECTIONS} connections)`,
          pass: loaded.p50 <= TARGET.catalogueP50Ms,
          actual: `${ms(loaded.p50)} (p99 ${ms(loaded.p99)}; 1 connection: p50 ${ms(single.p50)})`,
        }],
      },
      {
        ...loadRow(`GET catalogue If-None-Match → 304, ${CONNECTIONS} connections`, notModified, CONNECTIONS),
        targets: [{
          label: `304 Not Modified p50 ≤ ${TARGET.notModifiedP50Ms} ms`,
          pass: notModified.p50 <= TARGET.notModifiedP50Ms,
          actual: `${ms(notModified.p50)} (p99 ${ms(notModified.p99)})`,
        }],
      },
      writesRow(writes),
      { group: GROUP, name: 'catalogue response size', note: `${megabytes(size)} (${size.toLocaleString('en-US')} bytes) of ${LD_JSON}` },
    ];
  } finally {
    if (server !== undefined) await stopServer(server);
    rmSync(dir, { recursive: true, force: true });
  }
}
