/**
 * The producer dies in the middle of a shop's order. Producer A runs `maillon serve` in a child process of its
 * own (SQLite file in a temp folder, `MAILLON_ORDER_HOLD=2`); shop B runs in-process, lists A's tomatoes and
 * orders them at A through a TCP relay of the test on loopback, which lets the test see when A has answered and
 * keep that answer from B.
 *
 * 1. A takes B's order (its reservation is committed: A has answered) and is killed by SIGKILL before B gets the
 *    answer. B reports the failure (503 with the reason, within its order timeout), does not accept its
 *    customer's order (Cancelled, never Held), and owes A the cancellation of whatever A made of it: after A
 *    restarts on the same database file, B's retry (the same POST, which finds A's order, then its cancellation)
 *    gives the units back, long before A's hold would (A holds until B's order would have expired, and after):
 *    nothing stays reserved, the ledger's invariant holds.
 * 2. A is stopped (SIGSTOP) while B waits for its answer: B gives up at its bounded timeout with a 503 saying
 *    why, and accepts nothing; A, killed and restarted, holds nothing.
 *
 * 3. The shop dies (SIGKILL) while it places orders at A: see the second suite.
 *
 * No hook in the product: the kill lands where the relay says A is, and A's database file is read on a
 * read-only connection of the test.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueToken } from '../../server/auth/tokens.js';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/logging.js';
import { openNode } from '../../server/main.js';
import { safeFetch, type SafeFetch } from '../../server/net/safe-fetch.js';
import type { ListingView } from '../../server/orders/listings.js';
import { bearer, farmRecords, startInProcess, type InProcessNode } from '../helpers/in-process.js';
import { readRows } from '../helpers/sqlite.js';

const ROOT = join(import.meta.dirname, '../..');
const CONTEXT = 'https://www.datafoodconsortium.org';
const A = 'http://a.test';
const ITEM = `${A}/api/dfc/enterprises/ferme/catalog_items/tomate`;
/** A's hold, in seconds: short, so that the test sees it run out. */
const HOLD_SECONDS = 2;
/** B's deadline for one request to A (the in-process node's default `MAILLON_ORDER_TIMEOUT`). */
const ORDER_TIMEOUT_MS = 10_000;

/** `maillon serve` of A in a child process, and where it listens. */
interface Producer {
  readonly child: ChildProcess;
  readonly port: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startProducer(db: string, dir: string, base = A, env: Record<string, string> = { MAILLON_ORDER_HOLD: String(HOLD_SECONDS) }): Promise<Producer> {
  const child = spawn(process.execPath, [
    '--import', 'tsx', 'server/cli/bin.ts', 'serve', '--port', '0', '--host', '127.0.0.1', '--db', db, '--data-dir', dir, '--base-url', base,
  ], {
    cwd: ROOT, env: { ...process.env, MAILLON_LOG_LEVEL: 'silent', MAILLON_SYNC_SCHEDULE: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return new Promise<Producer>((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${base} did not start within 30 s: ${out}${err}`));
    }, 30_000);
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/u.exec(out)?.[1];
      if (port !== undefined) {
        clearTimeout(timer);
        resolve({ child, port: Number(port), exited });
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${base} exited (${signal ?? String(code)}) before listening: ${out}${err}`));
    });
  });
}

async function kill(producer: Producer): Promise<void> {
  if (producer.child.exitCode === null && producer.child.signalCode === null) producer.child.kill('SIGKILL');
  const { signal } = await producer.exited;
  expect(signal === 'SIGKILL' || signal === null).to.equal(true);
}

/**
 * A TCP relay on loopback between B and A. Requests always go through; while `withhold` is set, A's answers are
 * not passed on, and `answered` resolves at the first byte of one.
 */
class Relay {
  public target = 0;
  public withhold = false;
  /** While set, requests are not passed on to A (and are dropped): A never gets them. */
  public block = false;
  /** POSTs that reached the relay (orders placed at A). */
  public posts = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private onAnswer: (() => void) | undefined;

  private constructor(server: Server) {
    this.server = server;
  }

  public static async start(): Promise<Relay> {
    const server = createServer();
    const relay = new Relay(server);
    server.on('connection', (client) => relay.relay(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return relay;
  }

  public get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Resolves when A starts answering a request while answers are withheld. */
  public answered(): Promise<void> {
    return new Promise((resolve) => (this.onAnswer = resolve));
  }

  public async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket): void {
    const upstream = connect(this.target, '127.0.0.1');
    this.sockets.add(client).add(upstream);
    client.on('data', (chunk) => {
      if (chunk.toString('latin1').startsWith('POST ')) this.posts += 1;
      if (!this.block) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!this.withhold) {
        client.write(chunk);
        return;
      }
      const wake = this.onAnswer;
      this.onAnswer = undefined;
      wake?.();
    });
    // A dying closes its connections: B sees its own close as A's.
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  }
}

interface StockRow { initial: number; restocked: number; available: number; reserved: number; sold: number }

describe('a producer killed in the middle of a shop\'s order', function () {
  this.timeout(90_000);

  let dir: string;
  let db: string;
  let relay: Relay;
  let producer: Producer | undefined;
  let shop: InProcessNode;
  let listing: ListingView;
  let customer: string;

  const ledger = async (): Promise<StockRow> => {
    const [row] = await readRows<StockRow>(db, 'SELECT initial, restocked, available, reserved, sold FROM stock WHERE item_iri = ?', [ITEM]);
    if (row === undefined) throw new Error('no ledger for the tomatoes at A');
    expect(row.initial + row.restocked, JSON.stringify(row)).to.be.closeTo(row.available + row.reserved + row.sold, 1e-9);
    return row;
  };
  const ordersAtA = (): Promise<{ status: string; closed_reason: string | null }[]> =>
    readRows(db, 'SELECT status, closed_reason FROM orders ORDER BY number');
  const post = (quantity: number): ReturnType<InProcessNode['request']> => {
    const collection = `/api/dfc/enterprises/boutique/orders`;
    const id = `${shop.base}${collection}`;
    return shop.request('POST', collection, {
      headers: { 'content-type': 'application/json', ...bearer(customer) },
      body: JSON.stringify({
        '@context': CONTEXT,
        '@graph': [
          { '@id': id, '@type': 'dfc-b:Order', 'dfc-b:hasOrderStatus': 'dfc-v:Held', 'dfc-b:hasPart': [`${id}/OrderLines/1`] },
          { '@id': `${id}/OrderLines/1`, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': quantity, 'dfc-b:concerns': listing.offer },
          { '@id': listing.offer, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': listing.product },
        ],
      }),
    });
  };
  const shopStates = async (): Promise<string[]> => (await shop.store.orders.list('boutique', { offset: 0, limit: 100 })).orders.map((o) => o.state);
  const restart = async (): Promise<void> => {
    producer = await startProducer(db, dir);
    relay.target = producer.port;
  };
  /** Polls A's file until `probe` holds, or fails after `ms`. */
  const until = async (what: string, probe: () => Promise<boolean>, ms = 30_000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-orders-crash-'));
    db = join(dir, 'a.db');
    // A's enterprise and the token B holds for it, written before A serves.
    const parts = await openNode(loadConfig({ db, 'data-dir': dir, 'base-url': A }, {}), createLogger('silent'));
    let token: string;
    try {
      const records = farmRecords('ferme');
      await parts.catalog.createEnterprise(records, { eid: 'ferme' });
      await parts.catalog.importRecords('ferme', records);
      token = (await issueToken(parts.store, { eid: 'ferme', scopes: ['WriteOrders', 'ReadProducts'], label: 'boutique' })).token;
    } finally {
      await parts.close();
    }
    relay = await Relay.start();
    await restart();
    const routed: SafeFetch = (request, policy) => safeFetch({
      ...request, url: request.url.startsWith(A) ? `http://127.0.0.1:${relay.port}${request.url.slice(A.length)}` : request.url,
    }, policy);
    shop = await startInProcess({ base: 'http://b.test', notifier: { fetch: routed } });
    await shop.seed('boutique');
    await shop.store.provenance.addPeer({ name: 'ferme', url: `${A}/api/dfc/enterprises/ferme/catalog_items`, token }, A);
    const manager = await shop.token('boutique', ['WriteProducts']);
    const listed = await shop.request('POST', '/api/dfc/enterprises/boutique/listings', {
      headers: { ...bearer(manager), 'content-type': 'application/json' }, body: JSON.stringify({ item: ITEM, price: 5 }),
    });
    expect(listed.status, listed.text).to.equal(201);
    listing = listed.json<ListingView>();
    customer = await shop.token('boutique', ['WriteOrders']);
  });

  afterEach(async () => {
    await shop?.close();
    if (producer !== undefined) await kill(producer);
    producer = undefined;
    await relay?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('after taking the order: B answers 503 and holds nothing; restarted, A cancels it as B retries, and nothing stays reserved', async () => {
    const running = producer as Producer;
    relay.withhold = true;
    const answered = relay.answered();
    const started = Date.now();
    const pending = post(3);
    await answered;
    // A has committed the order and is answering: it dies before B hears it.
    running.child.kill('SIGKILL');
    await running.exited;
    producer = undefined;
    const response = await pending;
    const elapsed = Date.now() - started;
    expect(response.status, response.text).to.equal(503);
    expect(response.headers.get('content-type')).to.match(/^application\/problem\+json/u);
    expect((JSON.parse(response.text) as { detail: string }).detail).to.match(/cannot be reached: \S/u);
    expect(elapsed).to.be.below(ORDER_TIMEOUT_MS + 5_000);
    // B did not accept its customer's order.
    expect(await shopStates()).to.deep.equal(['Cancelled']);
    // The kill landed after A's commit: A holds the order and its 3 units, and its file is whole.
    expect(await readRows(db, 'PRAGMA integrity_check')).to.deep.equal([{ integrity_check: 'ok' }]);
    expect(await ordersAtA()).to.deep.equal([{ status: 'Held', closed_reason: null }]);
    expect(await ledger()).to.include({ available: 9, reserved: 3, sold: 0 });

    // B owes A the cancellation; A restarts on the same file, B's retry (its timers, run here) cancels A's order.
    expect(await shop.store.orders.upstreamOwed(10)).to.have.length(1);
    relay.withhold = false;
    await restart();
    await until('B\'s owed cancellation to reach A', async () => {
      await shop.orders.retryUpstreamCancellations();
      return (await ledger()).reserved === 0;
    });
    expect(await ledger()).to.include({ initial: 12, available: 12, reserved: 0, sold: 0 });
    expect(await ordersAtA()).to.deep.equal([{ status: 'Cancelled', closed_reason: 'cancelled' }]);
    expect(await shop.store.orders.upstreamOwed(10)).to.deep.equal([]);
    // And B orders from A again.
    const again = await post(2);
    expect(again.status, again.text).to.equal(201);
    expect(await ledger()).to.include({ available: 10, reserved: 2 });
  });

  it('stopped while B waits: B gives up at its timeout with a 503 and holds nothing; A holds nothing', async () => {
    const running = producer as Producer;
    running.child.kill('SIGSTOP');
    const started = Date.now();
    const response = await post(4);
    const elapsed = Date.now() - started;
    expect(response.status, response.text).to.equal(503);
    expect((JSON.parse(response.text) as { detail: string }).detail).to.match(/cannot be reached: \S/u);
    expect(elapsed).to.be.at.least(ORDER_TIMEOUT_MS - 1_000).and.below(ORDER_TIMEOUT_MS + 5_000);
    expect(await shopStates()).to.deep.equal(['Cancelled']);
    running.child.kill('SIGKILL');
    await running.exited;
    producer = undefined;
    await restart();
    // Nothing was reserved, and nothing is after the restart and a hold's time.
    await until('A to sweep its holds', async () => (await ordersAtA()).every((o) => o.status !== 'Held'));
    expect(await ledger()).to.include({ available: 12, reserved: 0, sold: 0 });
  });
});

/**
 * The shop dies in the middle of its orders. Producer A and shop B both run `maillon serve` in child processes
 * (SQLite files in a temp folder); B lists A's tomatoes and orders them at A through the test's relay, whose
 * address is A's base URL. B is killed by SIGKILL while A's answers are held back (A took the orders) or while
 * its requests are (A never got them). Restarted, B owes A the cancellation of whatever A may hold for orders B
 * never stored: each placement was recorded before it was sent, and B's timers cancel it at A.
 */
describe('a shop killed in the middle of its orders', function () {
  this.timeout(120_000);

  let dir: string;
  let dbA: string;
  let dbB: string;
  let relay: Relay;
  let producer: Producer | undefined;
  let shop: Producer | undefined;
  let base: string;
  let item: string;
  let listing: ListingView;
  let customer: string;

  const ledger = async (): Promise<StockRow> => {
    const [row] = await readRows<StockRow>(dbA, 'SELECT initial, restocked, available, reserved, sold FROM stock WHERE item_iri = ?', [item]);
    if (row === undefined) throw new Error('no ledger for the tomatoes at A');
    expect(row.initial + row.restocked, JSON.stringify(row)).to.be.closeTo(row.available + row.reserved + row.sold, 1e-9);
    return row;
  };
  const ordersAtA = (): Promise<{ status: string }[]> => readRows(dbA, 'SELECT status FROM orders ORDER BY number');
  const until = async (what: string, probe: () => Promise<boolean>, ms = 30_000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const startShop = async (): Promise<void> => {
    shop = await startProducer(dbB, join(dir, 'b'), 'http://b.test', { MAILLON_ALLOW_PRIVATE: 'true', MAILLON_ORDER_TIMEOUT: '60000' });
  };
  const killShop = async (): Promise<void> => {
    if (shop !== undefined) await kill(shop);
    shop = undefined;
  };
  /** POSTs an order to B: one tomato (listed), and with `own` a bunch of B's own carrots (a mixed order). */
  const post = (own = false): Promise<Response | undefined> => {
    const id = 'http://b.test/api/dfc/enterprises/boutique/orders';
    const ownOffer = 'http://b.test/api/dfc/enterprises/boutique/offers/carottes';
    const lines = own ? [`${id}/OrderLines/1`, `${id}/OrderLines/2`] : [`${id}/OrderLines/1`];
    return fetch(`http://127.0.0.1:${(shop as Producer).port}/api/dfc/enterprises/boutique/orders`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...bearer(customer) },
      body: JSON.stringify({
        '@context': CONTEXT,
        '@graph': [
          { '@id': id, '@type': 'dfc-b:Order', 'dfc-b:hasOrderStatus': 'dfc-v:Held', 'dfc-b:hasPart': lines },
          { '@id': `${id}/OrderLines/1`, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': 1, 'dfc-b:concerns': listing.offer },
          ...(own ? [{ '@id': `${id}/OrderLines/2`, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': 1, 'dfc-b:concerns': ownOffer }] : []),
        ],
      }),
    }).catch(() => undefined);
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-shop-crash-'));
    dbA = join(dir, 'a.db');
    dbB = join(dir, 'b.db');
    relay = await Relay.start();
    base = `http://127.0.0.1:${relay.port}`;
    item = `${base}/api/dfc/enterprises/ferme/catalog_items/tomate`;
    let token: string;
    const a = await openNode(loadConfig({ db: dbA, 'data-dir': join(dir, 'a'), 'base-url': base }, {}), createLogger('silent'));
    try {
      const records = farmRecords('ferme');
      await a.catalog.createEnterprise(records, { eid: 'ferme' });
      await a.catalog.importRecords('ferme', records);
      token = (await issueToken(a.store, { eid: 'ferme', scopes: ['WriteOrders', 'ReadProducts'], label: 'boutique' })).token;
    } finally {
      await a.close();
    }
    producer = await startProducer(dbA, join(dir, 'a'), base, {});
    relay.target = producer.port;
    const b = await openNode(loadConfig({ db: dbB, 'data-dir': join(dir, 'b'), 'base-url': 'http://b.test', 'allow-private': true }, {}), createLogger('silent'));
    try {
      const records = farmRecords('boutique');
      await b.catalog.createEnterprise(records, { eid: 'boutique' });
      await b.catalog.importRecords('boutique', records);
      await b.store.provenance.addPeer({ name: 'ferme', url: `${base}/api/dfc/enterprises/ferme/catalog_items`, token }, base);
      listing = await b.listings.add('boutique', item, { price: 5 });
      customer = (await issueToken(b.store, { eid: 'boutique', scopes: ['WriteOrders'], label: 'client' })).token;
    } finally {
      await b.close();
    }
    await startShop();
  });

  afterEach(async () => {
    await killShop();
    if (producer !== undefined) await kill(producer);
    producer = undefined;
    await relay?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const own of [false, true]) {
    it(`${own ? 'a mixed order (Pending at B)' : 'orders of listed lines only (placed first)'}: A took them, B dies before it stores them; restarted, B cancels them at A`, async () => {
      relay.withhold = true;
      const sent = [post(own), post(own), post(own)];
      // A has committed the three orders (and is answering them): B dies before it hears any answer.
      await until('A to take the three orders', async () => (await ordersAtA()).filter((o) => o.status === 'Held').length === 3);
      await killShop();
      await Promise.all(sent);
      expect(await ledger()).to.include({ reserved: 3 });
      relay.withhold = false;
      await startShop();
      if (own) {
        // Nothing is placing B's Pending orders any more: read, changed or cancelled at once (before any sweep), each
        // is expired, never a Draft "being placed" that a buyer's retry would wait on.
        const at = (n: number) => `http://127.0.0.1:${(shop as Producer).port}/api/dfc/enterprises/boutique/orders/${n}`;
        const read = await fetch(at(1), { headers: { ...bearer(customer), accept: 'application/json' } });
        const text = await read.text();
        expect(read.status, text).to.equal(200);
        expect(text).to.include('Cancelled').and.not.include('Draft');
        const iri = 'http://b.test/api/dfc/enterprises/boutique/orders/2';
        const put = await fetch(at(2), {
          method: 'PUT', headers: { ...bearer(customer), 'content-type': 'application/json' },
          body: JSON.stringify({ '@context': CONTEXT, '@id': iri, '@type': 'dfc-b:Order', 'dfc-b:hasOrderStatus': 'dfc-v:Cancelled' }),
        });
        expect(put.status, await put.text()).to.equal(200);
        const removed = await fetch(at(3), { method: 'DELETE', headers: bearer(customer) });
        expect(removed.status, await removed.text()).to.equal(200);
        const closed = await readRows<{ closed_reason: string }>(dbB, 'SELECT closed_reason FROM orders ORDER BY number');
        expect(closed.map((o) => o.closed_reason)).to.deep.equal(['expired', 'expired', 'expired']);
      }
      // B's timers send the same POSTs again (same key and body: A answers the orders it made), then cancel them.
      await until('B\'s cancellations to reach A', async () => (await ledger()).reserved === 0);
      expect(await ledger()).to.include({ initial: 12, available: 12, reserved: 0, sold: 0 });
      expect((await ordersAtA()).map((o) => o.status)).to.deep.equal(['Cancelled', 'Cancelled', 'Cancelled']);
      // B holds no order it could tell a buyer is open (a mixed order, Pending when B died, expires), and owes nothing more.
      await until('B to expire what it was placing', async () => (await readRows<{ status: string }>(dbB, 'SELECT status FROM orders')).every((o) => o.status === 'Cancelled'));
      expect(await readRows(dbB, 'SELECT status FROM orders')).to.have.length(own ? 3 : 0);
      await until('B to settle what it owed', async () => (await readRows(dbB, 'SELECT id FROM upstream_cancellations')).length === 0);
    });
  }

  it('A never got the order: restarted, B leaves A nothing held', async () => {
    relay.block = true;
    const sent = post();
    await until('B to send its order', () => Promise.resolve(relay.posts > 0));
    await killShop();
    await sent;
    relay.block = false;
    expect(await ordersAtA()).to.deep.equal([]);
    await startShop();
    // B does not know whether A took it: the same POST finds (here: makes) A's order, which is then cancelled.
    await until('B to settle what it owed', async () => (await readRows(dbB, 'SELECT id FROM upstream_cancellations')).length === 0);
    expect((await ordersAtA()).filter((o) => o.status !== 'Cancelled')).to.deep.equal([]);
    expect(await ledger()).to.include({ available: 12, reserved: 0 });
  });
});
