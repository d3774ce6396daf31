/**
 * The orders benchmark: orders placed from one shared stock, straight at its owner and through shops that list it.
 *
 * Every node runs in a child process of its own ({@link ./orders-node.ts}), each with its own temporary SQLite
 * file and its real loopback URL as base URL, so that the load generator (this process) shares no event loop
 * with them:
 *  - A, the producer: enterprise `ferme`, items `big` (10,000,000 units), `direct-race` (300) and `shared` (300);
 *  - B and C, two shops, each listing A's `shared` and `big` (the listing row and the shop's own records, as the
 *    listing service writes them), each holding a token issued at A (`WriteOrders`, `ReadOrders`, `ReadProducts`).
 *
 * Orders are one-line Held orders shaped as Open Food Network sends them (JSON-LD under `application/json`),
 * POSTed over keep-alive connections by a closed loop of {@link CONCURRENCY} workers per node targeted; a latency
 * is one request from sending to the last byte of the answer.
 *
 *  1. Direct at A: {@link DIRECT_WARMUP} orders of `big` to warm up, then {@link DIRECT_ORDERS} measured: every
 *     one must be 201. Orders per second and p50/p95; then {@link SINGLE_ORDERS} one at a time (the latency of an
 *     order without queueing). The CPU time of each node process per order is reported beside.
 *  2. Direct race at A: {@link RACE_ORDERS} orders of one unit of `direct-race` (stock 300): exactly 300 are 201,
 *     the others 409 (problem+json naming the short line), none anything else.
 *  3. Through the shops: {@link SHOP_WARMUP} orders of `big` through B and C (as many per shop as A's warm-up),
 *     then {@link RACE_ORDERS} orders of one unit of `shared`, through B and C (each with its own workers), every
 *     one placed by the shop at A: exactly 300 are 201 and the others 409 (A's refusal passed on), 0 errors. Orders
 *     per second end to end, p50/p95.
 *
 * Afterwards every node is closed and its SQLite file read on a read-only connection of this process: at A, for
 * every item, `initial + restocked = available + reserved + sold`, `direct-race` and `shared` fully reserved and
 * nothing left, `big` reserved exactly as many units as orders were accepted, A's Held orders as many as the
 * 201s; at B and C, as many Held orders as their 201s, and each refused order Cancelled, never left Held.
 *
 * Set `BENCH_ORDERS_PROFILE=DIR` to run the nodes under `node --cpu-prof` (profiles written to DIR when they
 * exit), `BENCH_ORDERS_CONCURRENCY=N` to change the requests in flight per node targeted (default 50: latency
 * is then mostly queueing, in-flight / throughput), `BENCH_ORDERS_DIRECT=N` the measured direct orders. Every socket is on 127.0.0.1; the temporary directory is removed at the end.
 *
 * @packageDocumentation
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sqlite3 from 'sqlite3';
import { startJsonChild, stopJsonChild, type BenchResult, type JsonChild, type TargetCheck, formatMs, formatRate, groupLog, percentile } from './harness.js';
import type { ItemIds, ProducerReady, ShopReady } from './orders-node.js';

const GROUP = 'orders';
const log = groupLog(GROUP);
const ms = formatMs;
const rate = formatRate;

/** Requests in flight per node targeted (`BENCH_ORDERS_CONCURRENCY`). */
const CONCURRENCY = Number(process.env['BENCH_ORDERS_CONCURRENCY'] ?? 50);
const DIRECT_WARMUP = 500;
/** Orders sent one at a time (latency without queueing). */
const SINGLE_ORDERS = 300;
const DIRECT_ORDERS = Number(process.env['BENCH_ORDERS_DIRECT'] ?? 5000);
/**
 * Orders through the shops before the race: {@link DIRECT_WARMUP} per shop, as A gets before it is measured (a
 * shop runs more code per order than A, the client to A included, and 100 orders left part of it still to be
 * compiled by V8 during the race: its figures were then those of a node just started, not of one in service).
 */
const SHOP_WARMUP = DIRECT_WARMUP * 2;
const RACE_ORDERS = 1000;
const RACE_STOCK = 300;
const BIG_STOCK = 10_000_000;
/** The shops' enterprises (B and C). */
const SHOPS = ['boutique-b', 'boutique-c'] as const;

/** The targets orders are held to (on a 2-core machine). */
const TARGET = {
  directPerSecond: 1000,
  shopsPerSecond: 200,
  shopsP95Ms: 250,
} as const;

const CONTEXT = 'https://www.datafoodconsortium.org';

// ------------------------------------------------------------------ requests

/** A one-line order as Open Food Network's FdcBackorderer sends it (the collection URL as the new order's `@id`). */
function orderBody(ordersUrl: string, ids: ItemIds, quantity: number): string {
  const line = `${ordersUrl}/OrderLines/1`;
  return JSON.stringify({
    '@context': CONTEXT,
    '@graph': [
      {
        '@id': ordersUrl, '@type': 'dfc-b:Order', 'dfc-b:orderedBy': 'https://customer.example/api/dfc/enterprises/7',
        'dfc-b:hasOrderStatus': 'dfc-v:Held', 'dfc-b:hasPart': [line],
      },
      { '@id': line, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': quantity, 'dfc-b:concerns': ids.offer },
      { '@id': ids.offer, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': ids.product },
      { '@id': ids.product, '@type': 'dfc-b:SuppliedProduct' },
    ],
  });
}

/** Where a batch of orders goes: one node's orders collection, with a customer token of it. */
interface Target {
  readonly name: string;
  readonly url: string;
  readonly eid: string;
  readonly token: string;
  readonly ids: ItemIds;
  readonly pid: number;
}

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly ms: number;
}

function post(agent: Agent, target: Target, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = httpRequest(`${target.url}/api/dfc/enterprises/${target.eid}/orders`, {
      method: 'POST', agent,
      headers: { 'content-type': 'application/json', accept: 'application/ld+json', authorization: `Bearer ${target.token}`, 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({
        status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started,
      }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** CPU time (user + system) a process has used, in ms, from `/proc` (Linux; 100 ticks/s). */
function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** What a batch of orders did. */
interface Batch {
  readonly count: number;
  readonly wallMs: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  /** Answers by status. */
  readonly statuses: ReadonlyMap<number, number>;
  /** Requests that got no answer (network errors). */
  readonly errors: readonly string[];
  /** Refusals that did not say why (not problem+json, or no short line / reason in it). */
  readonly unexplained: readonly string[];
  /** 201s by target. */
  readonly createdBy: ReadonlyMap<string, number>;
  /** CPU of each node process per wall time, in % of one core. */
  readonly cpu: string;
}

/**
 * Sends `count` orders of one unit, shared among the targets, with `concurrency` workers per target (each target its
 * own keep-alive pool; a worker sends its next order as soon as the last one is answered), and checks what every
 * answer says. The CPU of the targets' processes (and of `also`) is measured over the batch.
 *
 * Each batch opens its connections as it starts, as a burst of new clients would: their cost is part of what its
 * first answers measure.
 */
async function orders(targets: readonly Target[], count: number, also: readonly { name: string; pid: number }[] = [], concurrency = CONCURRENCY): Promise<Batch> {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const createdBy = new Map<string, number>();
  const errors: string[] = [];
  const unexplained: string[] = [];
  const agents = targets.map(() => new Agent({ keepAlive: true, maxSockets: concurrency }));
  const bodies = targets.map((t) => orderBody(`${t.url}/api/dfc/enterprises/${t.eid}/orders`, t.ids, 1));
  const watched = [...targets.map((t) => ({ name: t.name, pid: t.pid })), ...also];
  const pids = [...new Set(watched.map((w) => w.pid))];
  const cpuBefore = pids.map(processCpuMs);
  let next = 0;
  const started = performance.now();
  const worker = async (t: number): Promise<void> => {
    const target = targets[t] as Target;
    for (;;) {
      if (next >= count) return;
      next += 1;
      try {
        const answer = await post(agents[t] as Agent, target, bodies[t] as string);
        latencies.push(answer.ms);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        if (answer.status === 201) createdBy.set(target.name, (createdBy.get(target.name) ?? 0) + 1);
        else if (answer.status === 409 || answer.status === 503) {
          const explained = answer.contentType.startsWith('application/problem+json') && explains(answer.body);
          if (!explained) unexplained.push(`${target.name} ${answer.status}: ${answer.body.slice(0, 200)}`);
        }
      } catch (error: unknown) {
        errors.push(`${target.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  await Promise.all(targets.flatMap((_t, i) => Array.from({ length: concurrency }, () => worker(i))));
  const wallMs = performance.now() - started;
  const cpuAfter = pids.map(processCpuMs);
  for (const agent of agents) agent.destroy();
  latencies.sort((a, b) => a - b);
  const cpu = pids.map((pid, i) => {
    const before = cpuBefore[i];
    const after = cpuAfter[i];
    const name = watched.find((w) => w.pid === pid)?.name ?? String(pid);
    if (before === undefined || after === undefined) return `${name} ?`;
    return `${name} ${(((after - before) / wallMs) * 100).toFixed(0)} % (${Math.round(((after - before) / latencies.length) * 1000)} µs per order)`;
  }).join(', ');
  return {
    count: latencies.length, wallMs, perSecond: (latencies.length * 1000) / wallMs,
    p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99),
    statuses, errors, unexplained, createdBy, cpu,
  };
}

/** A refusal says why: a short line with what was asked and what was left, or the supplier's reason. */
function explains(body: string): boolean {
  try {
    const problem = JSON.parse(body) as { detail?: unknown; shortLines?: unknown };
    if (Array.isArray(problem.shortLines) && problem.shortLines.length > 0) return true;
    return typeof problem.detail === 'string' && /requested, \d+ available|refused|cannot be reached/u.test(problem.detail);
  } catch {
    return false;
  }
}

function statusesOf(batch: Batch): string {
  return [...batch.statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(', ') || 'no answer';
}

function describe(batch: Batch): string {
  return `${rate(batch.perSecond)} orders/s, p50 ${ms(batch.p50)}, p95 ${ms(batch.p95)}, p99 ${ms(batch.p99)} ` +
    `(${batch.count} orders in ${ms(batch.wallMs)}; ${statusesOf(batch)}; CPU ${batch.cpu})`;
}

/** Throws unless every answer was one of `allowed` and every refusal said why. */
function expectAnswers(what: string, batch: Batch, allowed: readonly number[]): void {
  const others = [...batch.statuses.keys()].filter((s) => !allowed.includes(s));
  if (batch.errors.length > 0 || others.length > 0 || batch.unexplained.length > 0) {
    throw new Error(`${what}: ${statusesOf(batch)}; ${batch.errors.length} errors${batch.errors[0] !== undefined ? ` (${batch.errors[0]})` : ''}; ` +
      `${batch.unexplained.length} refusals without a reason${batch.unexplained[0] !== undefined ? ` (${batch.unexplained[0]})` : ''}`);
  }
}

// ------------------------------------------------------------------ nodes

const stopChild = (child: JsonChild): Promise<void> => stopJsonChild(child, log);

function profileFlags(): string[] {
  const dir = process.env['BENCH_ORDERS_PROFILE'];
  return dir === undefined || dir === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

/** Every row of a query, on a read-only connection of this process (the node has exited). */
function readRows<T>(file: string, sql: string, params: readonly (string | number)[] = []): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (error) => {
      if (error !== null) {
        reject(error);
        return;
      }
      db.all<T>(sql, params, (err, rows) => {
        db.close();
        if (err !== null) reject(err);
        else resolve(rows);
      });
    });
  });
}

interface StockRow {
  item_iri: string; initial: number; restocked: number; available: number; reserved: number; sold: number;
}

/** Orders of an enterprise by status, counting only those with a line on `item`. */
async function ordersByStatus(db: string, item: string): Promise<Record<string, number>> {
  const rows = await readRows<{ status: string; n: number }>(db,
    'SELECT o.status AS status, COUNT(DISTINCT o.iri) AS n FROM orders o JOIN order_lines l ON l.order_iri = o.iri WHERE l.item_iri = ? GROUP BY o.status', [item]);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** Whether the shops can order from another node in this build (the upstream client is wired). */
function upstreamWired(): boolean {
  const main = readFileSync(fileURLToPath(new URL('../server/main.ts', import.meta.url)), 'utf8');
  return existsSync(fileURLToPath(new URL('../server/orders/upstream.ts', import.meta.url))) && main.includes('upstream:');
}

// ------------------------------------------------------------------ the benchmark

/** Runs the orders benchmark. */
export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'maillon-bench-orders-'));
  const children: JsonChild[] = [];
  const results: BenchResult[] = [];
  try {
    const loadBefore = loadavg().map((l) => l.toFixed(2)).join(' ');
    log(`${availableParallelism()} cores, load average ${loadBefore} before starting`);
    const dirs = { a: join(dir, 'a'), b: join(dir, 'b'), c: join(dir, 'c') };
    for (const d of Object.values(dirs)) mkdirSync(d);
    const stock = { big: BIG_STOCK, 'direct-race': RACE_STOCK, shared: RACE_STOCK };
    const producerChild = startJsonChild('node A', 'orders-node.ts', ['producer', dirs.a, JSON.stringify(stock), SHOPS.join(',')], profileFlags());
    children.push(producerChild);
    const a = await producerChild.next<ProducerReady>(120_000);
    log(`A (producer) at ${a.url}, pid ${a.pid}`);
    const atA = (key: string): Target => ({ name: 'A', url: a.url, eid: a.eid, token: a.buyer, ids: a.items[key] as ItemIds, pid: a.pid });

    // 1. Direct at A, throughput.
    log(`direct at A: ${DIRECT_WARMUP} orders to warm up, then ${DIRECT_ORDERS} measured, ${CONCURRENCY} in flight…`);
    const warm = await orders([atA('big')], DIRECT_WARMUP);
    expectAnswers('direct warm-up', warm, [201]);
    const direct = await orders([atA('big')], DIRECT_ORDERS);
    expectAnswers('direct orders', direct, [201]);
    log(`  ${describe(direct)}`);
    // One at a time: what one order costs without queueing.
    const single = await orders([atA('big')], SINGLE_ORDERS, [], 1);
    expectAnswers('direct orders, one at a time', single, [201]);
    log(`  one at a time: ${describe(single)}`);

    // 2. Direct race at A for the last units.
    log(`direct race at A: ${RACE_ORDERS} orders of 1 against a stock of ${RACE_STOCK}…`);
    const directRace = await orders([atA('direct-race')], RACE_ORDERS);
    expectAnswers('direct race', directRace, [201, 409]);
    log(`  ${describe(directRace)}`);

    // 3. Through the shops.
    let shopsRace: Batch | undefined;
    let shopWarm: Batch | undefined;
    const shopReady: ShopReady[] = [];
    if (!upstreamWired()) {
      log('shops: skipped, this build does not order from other nodes yet (server/orders/upstream.ts not wired)');
    } else {
      const producerFile = join(dir, 'producer.json');
      writeFileSync(producerFile, JSON.stringify(a));
      for (const [i, shop] of SHOPS.entries()) {
        const child = startJsonChild(`shop ${shop}`, 'orders-node.ts', ['shop', i === 0 ? dirs.b : dirs.c, shop, producerFile, 'shared,big'], profileFlags());
        children.push(child);
        shopReady.push(await child.next<ShopReady>(120_000));
      }
      const viaShops = (key: string): Target[] => shopReady.map((s, i) => ({
        name: i === 0 ? 'B' : 'C', url: s.url, eid: s.eid, token: s.buyer, ids: s.listed[key] as ItemIds, pid: s.pid,
      }));
      log(`shops B ${shopReady[0]?.url} and C ${shopReady[1]?.url}: ${SHOP_WARMUP} orders to warm up…`);
      shopWarm = await orders(viaShops('big'), SHOP_WARMUP, [{ name: 'A', pid: a.pid }]);
      expectAnswers('orders through the shops (warm-up)', shopWarm, [201]);
      log(`  warm-up: ${describe(shopWarm)}`);
      log(`race through B and C: ${RACE_ORDERS} orders of 1 against a stock of ${RACE_STOCK} at A, ${CONCURRENCY} in flight per shop…`);
      shopsRace = await orders(viaShops('shared'), RACE_ORDERS, [{ name: 'A', pid: a.pid }]);
      expectAnswers('race through the shops', shopsRace, [201, 409]);
      log(`  ${describe(shopsRace)}`);
    }
    const loadAfter = loadavg().map((l) => l.toFixed(2)).join(' ');
    log(`load average ${loadAfter} after the runs`);

    // Close every node, then read the ledgers and orders from their files.
    for (const child of children.splice(0).reverse()) await stopChild(child);
    const dbA = join(dirs.a, 'maillon.db');
    const ledgers = await readRows<StockRow>(dbA, 'SELECT item_iri, initial, restocked, available, reserved, sold FROM stock');
    const broken = ledgers.filter((l) => Math.abs(l.initial + l.restocked - l.available - l.reserved - l.sold) > 1e-6);
    if (broken.length > 0) throw new Error(`the ledger invariant does not hold at A: ${JSON.stringify(broken)}`);
    const ledger = (key: string): StockRow => {
      const row = ledgers.find((l) => l.item_iri === a.items[key]?.item);
      if (row === undefined) throw new Error(`no ledger for ${key} at A`);
      return row;
    };
    const bigAccepted = [warm, direct, single, shopWarm].reduce((sum, batch) => sum + (batch?.statuses.get(201) ?? 0), 0);
    if (ledger('big').reserved !== bigAccepted || ledger('big').sold !== 0) {
      throw new Error(`big at A: ${JSON.stringify(ledger('big'))}, but ${bigAccepted} orders of 1 were accepted`);
    }
    const checkRace = async (what: string, key: string, batch: Batch): Promise<string> => {
      const accepted = batch.statuses.get(201) ?? 0;
      const refused = batch.statuses.get(409) ?? 0;
      const row = ledger(key);
      const held = await ordersByStatus(dbA, row.item_iri);
      const expected = Math.min(RACE_ORDERS, RACE_STOCK);
      if (accepted !== expected || refused !== RACE_ORDERS - expected || row.reserved + row.sold !== expected || row.available !== 0 || (held['Held'] ?? 0) !== accepted) {
        throw new Error(`${what}: ${accepted} accepted, ${refused} refused; ledger at A ${JSON.stringify(row)}; orders at A ${JSON.stringify(held)}`);
      }
      return `${accepted} accepted, ${refused} refused (409), 0 errors; ledger at A: initial ${row.initial} = available ${row.available} + reserved ${row.reserved} + sold ${row.sold}, ${held['Held'] ?? 0} Held orders`;
    };
    const directCheck = await checkRace('direct race', 'direct-race', directRace);
    log(`  invariant, direct race: ${directCheck}`);
    let shopsCheck = '';
    if (shopsRace !== undefined) {
      shopsCheck = await checkRace('race through the shops', 'shared', shopsRace);
      for (const [i, s] of shopReady.entries()) {
        const name = i === 0 ? 'B' : 'C';
        const at = await ordersByStatus(join(i === 0 ? dirs.b : dirs.c, 'maillon.db'), s.listed['shared']?.item ?? '');
        const accepted = shopsRace.createdBy.get(name) ?? 0;
        if ((at['Held'] ?? 0) !== accepted || (at['Pending'] ?? 0) !== 0) throw new Error(`shop ${name}: ${accepted} orders accepted, but it holds ${JSON.stringify(at)}`);
        shopsCheck += `; ${name}: ${accepted} Held, ${at['Cancelled'] ?? 0} Cancelled`;
      }
      log(`  invariant, race through the shops: ${shopsCheck}`);
    }

    const load = `load ${loadBefore} → ${loadAfter}`;
    const directTargets: TargetCheck[] = [{
      label: `direct POST at A ≥ ${rate(TARGET.directPerSecond)} orders/s`,
      pass: direct.perSecond >= TARGET.directPerSecond,
      actual: `${rate(direct.perSecond)}/s (p50 ${ms(direct.p50)}, p95 ${ms(direct.p95)}, ${CONCURRENCY} in flight; ${load})`,
    }];
    results.push(
      {
        group: GROUP, name: `POST order at A directly, ${CONCURRENCY} in flight`, ms: direct.p50, runs: direct.count,
        note: `${describe(direct)}`, targets: directTargets,
      },
      { group: GROUP, name: 'POST order at A directly, one at a time', ms: single.p50, runs: single.count, note: describe(single) },
      {
        group: GROUP, name: `race at A directly: ${RACE_ORDERS} orders, stock ${RACE_STOCK}`, ms: directRace.p50, runs: directRace.count,
        note: `${describe(directRace)}; ${directCheck}`,
        targets: [{ label: `direct race: exactly ${RACE_STOCK} succeed, ${RACE_ORDERS - RACE_STOCK} refused 409, invariant`, pass: true, actual: directCheck }],
      },
    );
    if (shopsRace !== undefined) {
      results.push({
        group: GROUP, name: `race through shops B and C: ${RACE_ORDERS} orders, stock ${RACE_STOCK} at A`, ms: shopsRace.p50, runs: shopsRace.count,
        note: describe(shopsRace),
        targets: [
          { label: `through shops: exactly ${RACE_STOCK} succeed, ${RACE_ORDERS - RACE_STOCK} refused 409, 0 errors, invariant at A`, pass: true, actual: shopsCheck },
          {
            label: `through shops ≥ ${TARGET.shopsPerSecond} orders/s end to end`, pass: shopsRace.perSecond >= TARGET.shopsPerSecond,
            actual: `${rate(shopsRace.perSecond)}/s (${CONCURRENCY} in flight per shop; ${load})`,
          },
          { label: `through shops p95 ≤ ${TARGET.shopsP95Ms} ms`, pass: shopsRace.p95 <= TARGET.shopsP95Ms, actual: `p95 ${ms(shopsRace.p95)} (p50 ${ms(shopsRace.p50)})` },
        ],
      });
    } else {
      results.push({ group: GROUP, name: 'race through shops B and C', note: 'not run: the shops cannot order from other nodes in this build' });
    }
    return results;
  } finally {
    for (const child of children.reverse()) await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  }
}
