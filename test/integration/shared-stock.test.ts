/**
 * Shared stock across three real nodes on loopback, each with its own SQLite file: producer A (`ferme`) and two
 * shops, B and C, each listing A's heirloom tomatoes through the listing service and holding a token issued at A
 * (`WriteOrders`, `ReadProducts`). B and C reach A's `@id`s (`http://a.test/…`) on A's loopback port, as DNS
 * would.
 *
 * What it proves:
 * - orders through B, through C and straight at A racing for the last units never take more than there was:
 *   reserved + sold at A is exactly what was accepted, and never more than the stock; every refused order says
 *   why (a 409 problem document naming the short line, or a 503 with the reason); the ledger's invariant holds;
 * - A's new stock (a restock, and what orders took) reaches the shops' listings, by pull and by push (a sync);
 * - a retried POST with the same Idempotency-Key at B places one order at A, not two;
 * - amendments up and down at B move A's reservation with them (a refused one changes nothing), completion sells
 *   at A, cancellation at B gives A's units back;
 * - held orders expire: B's (its cancellation reaches A) and A's own.
 */
import { expect } from 'chai';
import { safeFetch, type SafeFetch } from '../../server/net/safe-fetch.js';
import type { ListingView } from '../../server/orders/listings.js';
import type { ListingRow, StockLevel } from '../../server/store/orders.js';
import { bearer, FARM_PRODUCTS, farmRecords, startInProcess, type InProcessNode, type InProcessOptions } from '../helpers/in-process.js';

const CONTEXT = 'https://www.datafoodconsortium.org';
const A = 'http://a.test';
const TOMATO_STOCK = 12;
const ITEM = `${A}/api/dfc/enterprises/ferme/catalog_items/tomate`;

type Node = Record<string, unknown>;

function nodesOf(text: string): Node[] {
  const doc = JSON.parse(text) as { '@graph'?: Node[] } & Node;
  return doc['@graph'] ?? [doc];
}

function typed(text: string, type: string): Node[] {
  return nodesOf(text).filter((n) => [n['@type']].flat().includes(type));
}

/** A customer's one-line order as Open Food Network sends it (the collection URL as the new order's `@id`). */
function order(id: string, offer: string, product: string, quantity: number, status = 'dfc-v:Held'): string {
  return JSON.stringify({
    '@context': CONTEXT,
    '@graph': [
      {
        '@id': id, '@type': 'dfc-b:Order', 'dfc-b:orderedBy': 'https://customer.example/api/dfc/enterprises/7', 'dfc-b:hasOrderStatus': status,
        'dfc-b:hasPart': [`${id}/OrderLines/1`],
      },
      { '@id': `${id}/OrderLines/1`, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': quantity, 'dfc-b:concerns': offer },
      { '@id': offer, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': product },
      { '@id': product, '@type': 'dfc-b:SuppliedProduct' },
    ],
  });
}

/** The ledger's invariant: nothing created or lost. */
function expectInvariant(level: StockLevel | undefined): StockLevel {
  expect(level, 'no ledger').to.not.equal(undefined);
  const l = level as StockLevel;
  expect(l.initial + l.restocked, JSON.stringify(l)).to.be.closeTo(l.available + l.reserved + l.sold, 1e-9);
  expect(Math.min(l.available, l.reserved, l.sold), JSON.stringify(l)).to.be.at.least(0);
  return l;
}

/** The listing row behind a shop's listing. */
async function rowOf(shop: Shop): Promise<ListingRow> {
  const row = await shop.node.store.orders.listing(shop.listing.id);
  if (row === undefined) throw new Error(`${shop.name} has no listing ${shop.listing.id}`);
  return row;
}

/** Polls `probe` until it answers true, or fails after `ms`. */
async function until(what: string, probe: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A shop: its node, its listing of A's tomatoes, a customer's token. */
interface Shop {
  readonly name: string;
  readonly eid: string;
  readonly node: InProcessNode;
  readonly listing: ListingView;
  readonly customer: string;
  /** POSTs an order of the listed tomatoes (optionally with an Idempotency-Key). */
  post(quantity: number, key?: string): ReturnType<InProcessNode['request']>;
  /** PUTs an order document on an order of the shop. */
  put(iri: string, quantity: number, status?: string): ReturnType<InProcessNode['request']>;
}

interface Trio {
  readonly a: InProcessNode;
  readonly b: Shop;
  readonly c: Shop;
  /** A customer of A, ordering directly. */
  readonly direct: (quantity: number) => ReturnType<InProcessNode['request']>;
  readonly stockAtA: () => Promise<StockLevel>;
  /** A's orders, by state. */
  readonly statesAtA: () => Promise<Record<string, number>>;
  close(): Promise<void>;
}

async function statesOf(node: InProcessNode, eid: string): Promise<Record<string, number>> {
  const { orders } = await node.store.orders.list(eid, { offset: 0, limit: 1000 });
  const states: Record<string, number> = {};
  for (const o of orders) states[o.state] = (states[o.state] ?? 0) + 1;
  return states;
}

/** Starts A, B and C; B and C list A's tomatoes through their listing API. */
async function startTrio(options: InProcessOptions = {}): Promise<Trio> {
  const started: InProcessNode[] = [];
  try {
    const a = await startInProcess({ ...options, base: A });
    started.push(a);
    await a.seed('ferme', { records: farmRecords('ferme', { products: FARM_PRODUCTS.map((p) => (p.id === 'tomate' ? { ...p, stock: TOMATO_STOCK } : p)) }) });
    // The shops reach A's ids where A listens.
    const routed: SafeFetch = (request, policy) => safeFetch({ ...request, url: request.url.startsWith(A) ? `${a.url}${request.url.slice(A.length)}` : request.url }, policy);
    const shop = async (name: string): Promise<Shop> => {
      const node = await startInProcess({ ...options, base: `http://${name}.test`, notifier: { fetch: routed } });
      started.push(node);
      const eid = `boutique-${name}`;
      await node.seed(eid);
      // The credentials the shop holds for A, issued at A.
      const token = await a.token('ferme', ['WriteOrders', 'ReadProducts']);
      await node.store.provenance.addPeer({ name: 'ferme', url: `${A}/api/dfc/enterprises/ferme/catalog_items`, token }, A);
      const manager = await node.token(eid, ['WriteProducts']);
      const listed = await node.request('POST', `/api/dfc/enterprises/${eid}/listings`, {
        headers: { ...bearer(manager), 'content-type': 'application/json' }, body: JSON.stringify({ item: ITEM, price: 5 }),
      });
      if (listed.status !== 201) throw new Error(`${name} could not list A's item: ${listed.status} ${listed.text}`);
      const listing = listed.json<ListingView>();
      const customer = await node.token(eid, ['WriteOrders']);
      const collection = `/api/dfc/enterprises/${eid}/orders`;
      const headers = { 'content-type': 'application/json', ...bearer(customer) };
      return {
        name, eid, node, listing, customer,
        post: (quantity, key) => node.request('POST', collection, {
          headers: { ...headers, ...(key !== undefined ? { 'idempotency-key': key } : {}) },
          body: order(`${node.base}${collection}`, listing.offer, listing.product, quantity),
        }),
        put: (iri, quantity, status) => node.request('PUT', new URL(iri).pathname, { headers, body: order(iri, listing.offer, listing.product, quantity, status) }),
      };
    };
    const b = await shop('b');
    const c = await shop('c');
    const buyer = await a.token('ferme', ['WriteOrders']);
    const tomato = { offer: `${A}/api/dfc/enterprises/ferme/offers/tomate`, product: `${A}/api/dfc/enterprises/ferme/supplied_products/tomate` };
    return {
      a, b, c,
      direct: (quantity) => a.request('POST', '/api/dfc/enterprises/ferme/orders', {
        headers: { 'content-type': 'application/json', ...bearer(buyer) }, body: order(`${A}/api/dfc/enterprises/ferme/orders`, tomato.offer, tomato.product, quantity),
      }),
      stockAtA: async () => expectInvariant(await a.store.orders.stock(ITEM)),
      statesAtA: () => statesOf(a, 'ferme'),
      close: async () => {
        for (const node of started.reverse()) await node.close();
      },
    };
  } catch (error: unknown) {
    for (const node of started.reverse()) await node.close();
    throw error;
  }
}

/**
 * What a refusal must say: a problem document naming the short line (the line of the order as sent, at the node
 * it was sent to: a shop names its own offer, not A's), or the reason A could not be reached.
 */
function expectExplained(response: { status: number; text: string; headers: Headers }, where: string, offer: string): void {
  expect(response.headers.get('content-type'), `${where}: ${response.text}`).to.match(/^application\/problem\+json/u);
  const problem = JSON.parse(response.text) as { detail?: string; shortLines?: { line: number; offer: string; requested: number; available: number }[] };
  if (response.status === 503) {
    expect(problem.detail, where).to.match(/cannot be reached: \S/u);
    return;
  }
  expect(response.status, `${where}: ${response.text}`).to.equal(409);
  expect(problem.shortLines, `${where}: ${response.text}`).to.have.length(1);
  const [short] = problem.shortLines ?? [];
  expect(short, where).to.include({ line: 1, offer });
  expect(short?.requested, where).to.be.above(short?.available ?? Infinity);
  expect(problem.detail, where).to.contain(`line 1 (${offer}): ${short?.requested} requested, ${short?.available} available`);
}

describe('shared stock: a producer and two shops selling its items', function () {
  this.timeout(60_000);

  describe('orders racing for the last units', () => {
    let trio: Trio;
    before(async () => {
      trio = await startTrio();
    });
    after(() => trio.close());

    it('lists A\'s item at B and C with A\'s stock', async () => {
      for (const shop of [trio.b, trio.c]) {
        expect(shop.listing.origin.item).to.equal(ITEM);
        expect(shop.listing.origin.orders).to.equal(`${A}/api/dfc/enterprises/ferme/orders`);
        expect(shop.listing.published.stock).to.equal(TOMATO_STOCK);
      }
      expect(await trio.stockAtA()).to.include({ initial: TOMATO_STOCK, available: TOMATO_STOCK, reserved: 0, sold: 0 });
    });

    it('never sells more than there was, says why each refused order was refused, and keeps the ledger whole', async () => {
      // 30 one-unit orders (10 through B, 10 through C, 10 straight at A) and 3 of two units, for 12 units.
      const sent: { where: string; quantity: number; send: () => ReturnType<InProcessNode['request']> }[] = [];
      for (let i = 0; i < 10; i++) {
        sent.push({ where: `B#${i}`, quantity: 1, send: () => trio.b.post(1) });
        sent.push({ where: `C#${i}`, quantity: 1, send: () => trio.c.post(1) });
        sent.push({ where: `A#${i}`, quantity: 1, send: () => trio.direct(1) });
      }
      sent.push({ where: 'B#2u', quantity: 2, send: () => trio.b.post(2) }, { where: 'C#2u', quantity: 2, send: () => trio.c.post(2) });
      sent.push({ where: 'A#2u', quantity: 2, send: () => trio.direct(2) });
      const answers = await Promise.all(sent.map(async (s) => ({ ...s, response: await s.send() })));

      const accepted = answers.filter((x) => x.response.status === 201);
      const refused = answers.filter((x) => x.response.status !== 201);
      const offerAt = { A: `${A}/api/dfc/enterprises/ferme/offers/tomate`, B: trio.b.listing.offer, C: trio.c.listing.offer };
      for (const x of refused) expectExplained(x.response, x.where, offerAt[x.where[0] as 'A' | 'B' | 'C']);
      const units = accepted.reduce((sum, x) => sum + x.quantity, 0);
      expect(units).to.be.at.most(TOMATO_STOCK);
      // The one-unit orders alone ask for more than the stock: whatever was refused, nothing is left at A.
      const level = await trio.stockAtA();
      expect(level).to.include({ available: 0, reserved: units, sold: 0 });
      expect(units).to.equal(TOMATO_STOCK);
      // A holds one order per accepted order (its own customers' and the shops'), and nothing else.
      expect(await trio.statesAtA()).to.deep.equal({ Held: accepted.length });
      // Each shop holds exactly the orders it accepted; the refused ones are closed, none left pending.
      for (const shop of [trio.b, trio.c]) {
        const mine = answers.filter((x) => x.where.startsWith(shop.name.toUpperCase()));
        const states = await statesOf(shop.node, shop.eid);
        const held = mine.filter((x) => x.response.status === 201).length;
        expect(states['Held'] ?? 0, `${shop.name}: ${JSON.stringify(states)}`).to.equal(held);
        expect(states['Pending'] ?? 0).to.equal(0);
        expect((states['Cancelled'] ?? 0) + held).to.equal(mine.length);
      }
      // And one more, anywhere, is refused.
      const lates = [[() => trio.b.post(1), trio.b.listing.offer], [() => trio.c.post(1), trio.c.listing.offer], [() => trio.direct(1), `${A}/api/dfc/enterprises/ferme/offers/tomate`]] as const;
      for (const [send, offer] of lates) {
        const late = await send();
        expect(late.status, late.text).to.equal(409);
        expectExplained(late, 'late order', offer);
      }
      expect(await trio.stockAtA()).to.include({ available: 0, reserved: TOMATO_STOCK });
    });

    it('brings A\'s new stock to the shops\' listings, by pull and by push', async () => {
      // What the orders took is already A's published stock.
      expect(await trio.b.node.listings.refresh(await rowOf(trio.b))).to.deep.include({ ok: true });
      expect((await trio.b.node.listings.get(trio.b.eid, trio.b.listing.id)).published.stock).to.equal(0);
      // A restocks through its API.
      const restocked = await trio.a.request('PUT', '/api/dfc/enterprises/ferme/catalog_items/tomate', {
        headers: { 'content-type': 'application/json', ...bearer(trio.a.adminToken) }, body: JSON.stringify({ 'dfc-b:stockLimitation': 20 }),
      });
      expect(restocked.status, restocked.text).to.equal(200);
      expect(await trio.stockAtA()).to.include({ available: 20, reserved: TOMATO_STOCK });
      // Push: C syncs A, and what the sync applies reaches C's listing.
      const [peer] = await trio.c.node.store.provenance.listPeers();
      if (peer === undefined) throw new Error('C has no peer');
      const synced = await trio.c.node.scheduler.syncOne(peer);
      expect(synced.ok, JSON.stringify(synced)).to.equal(true);
      await until('C\'s listing to show A\'s new stock', async () => (await trio.c.node.listings.get(trio.c.eid, trio.c.listing.id)).published.stock === 20);
      const catalogue = await trio.c.node.request('GET', new URL(trio.c.listing.item).pathname, { headers: { accept: 'application/ld+json' } });
      expect(typed(catalogue.text, 'dfc-b:CatalogItem')[0]?.['dfc-b:stockLimitation']).to.equal(20);
      // Pull: B reads A again.
      expect(await trio.b.node.listings.refresh(await rowOf(trio.b))).to.deep.equal({ ok: true, changed: true });
      expect((await trio.b.node.listings.get(trio.b.eid, trio.b.listing.id)).published.stock).to.equal(20);
      // And the new units can be ordered through C.
      const more = await trio.c.post(3);
      expect(more.status, more.text).to.equal(201);
      expect(await trio.stockAtA()).to.include({ available: 17, reserved: TOMATO_STOCK + 3 });
    });
  });

  describe('one order through a shop', () => {
    let trio: Trio;
    beforeEach(async () => {
      trio = await startTrio();
    });
    afterEach(() => trio.close());

    it('places one order at A for a retried POST with the same Idempotency-Key', async () => {
      const first = await trio.b.post(2, 'retry-42');
      const again = await trio.b.post(2, 'retry-42');
      expect([first.status, again.status], again.text).to.deep.equal([201, 201]);
      expect(again.headers.get('location')).to.equal(first.headers.get('location'));
      expect(await trio.stockAtA()).to.include({ available: TOMATO_STOCK - 2, reserved: 2 });
      expect(await trio.statesAtA()).to.deep.equal({ Held: 1 });
      expect(await statesOf(trio.b.node, trio.b.eid)).to.deep.equal({ Held: 1 });
    });

    it('moves A\'s reservation with amendments up and down, keeps it on a refused one, and sells at A on completion', async () => {
      const created = await trio.b.post(3);
      expect(created.status, created.text).to.equal(201);
      const iri = created.headers.get('location') as string;
      expect(await trio.stockAtA()).to.include({ available: 9, reserved: 3 });
      const up = await trio.b.put(iri, 7);
      expect(up.status, up.text).to.equal(200);
      expect(await trio.stockAtA()).to.include({ available: 5, reserved: 7 });
      const down = await trio.b.put(iri, 2);
      expect(down.status, down.text).to.equal(200);
      expect(await trio.stockAtA()).to.include({ available: 10, reserved: 2 });
      // More than A has: refused with A's reason, and the order stays as it was, here and at A.
      const tooMuch = await trio.b.put(iri, 13);
      expectExplained(tooMuch, 'amendment beyond the stock', trio.b.listing.offer);
      // The line asks 13 (not the 11 more); the order could have A's 10 left and the 2 it holds.
      expect((JSON.parse(tooMuch.text) as { shortLines: unknown[] }).shortLines).to.deep.equal([{
        line: 1, id: `${iri}/OrderLines/1`, offer: trio.b.listing.offer, item: trio.b.listing.item, requested: 13, available: 12,
        supplier: { requested: 13, available: 12, factor: 1 },
      }]);
      expect(await trio.stockAtA()).to.include({ available: 10, reserved: 2 });
      const read = await trio.b.node.request('GET', new URL(iri).pathname, { headers: bearer(trio.b.customer) });
      expect(typed(read.text, 'dfc-b:OrderLine').map((l) => l['dfc-b:quantity'])).to.deep.equal([2]);
      expect(typed(read.text, 'dfc-b:Order')[0]?.['dfc-b:hasOrderStatus']).to.equal('dfc-v:Held');
      const completed = await trio.b.put(iri, 2, 'dfc-v:Complete');
      expect(completed.status, completed.text).to.equal(200);
      expect(await trio.stockAtA()).to.include({ available: 10, reserved: 0, sold: 2 });
      expect(await trio.statesAtA()).to.deep.equal({ Complete: 1 });
    });

    it('gives A\'s units back when the order is cancelled at the shop', async () => {
      const created = await trio.c.post(4);
      expect(created.status, created.text).to.equal(201);
      expect(await trio.stockAtA()).to.include({ available: 8, reserved: 4 });
      const cancelled = await trio.c.node.request('DELETE', new URL(created.headers.get('location') as string).pathname, { headers: bearer(trio.c.customer) });
      expect(cancelled.status, cancelled.text).to.equal(200);
      expect(typed(cancelled.text, 'dfc-b:Order')[0]?.['dfc-b:hasOrderStatus']).to.equal('dfc-v:Cancelled');
      expect(await trio.stockAtA()).to.include({ available: TOMATO_STOCK, reserved: 0, sold: 0 });
      expect(await trio.statesAtA()).to.deep.equal({ Cancelled: 1 });
    });
  });

  describe('held orders that nobody completes', () => {
    let trio: Trio;
    beforeEach(async () => {
      trio = await startTrio({ orderHoldSeconds: 1 });
    });
    afterEach(() => trio.close());

    it('expire: the shop\'s, whose cancellation reaches A, and A\'s own', async () => {
      const viaB = await trio.b.post(3);
      expect(viaB.status, viaB.text).to.equal(201);
      const atA = await trio.direct(2);
      expect(atA.status, atA.text).to.equal(201);
      expect(await trio.stockAtA()).to.include({ available: 7, reserved: 5 });
      // B's hold runs out first in this test: B's sweep cancels its order, and its order at A with it.
      let expiredAtB = 0;
      await until('B\'s order to expire', async () => (expiredAtB += await trio.b.node.orders.expireDue()) >= 1);
      const iri = viaB.headers.get('location') as string;
      const order = await trio.b.node.store.orders.get(iri);
      expect(order).to.deep.include({ state: 'Cancelled', closedReason: 'expired' });
      await until('A to give B\'s units back', async () => (await trio.stockAtA()).reserved === 2);
      // A's own customer's order expires at A.
      let expiredAtA = 0;
      await until('A\'s order to expire', async () => (expiredAtA += await trio.a.orders.expireDue()) >= 1);
      expect(await trio.stockAtA()).to.include({ available: TOMATO_STOCK, reserved: 0, sold: 0 });
      expect(await trio.statesAtA()).to.deep.equal({ Cancelled: 2 });
      // An expired order can no longer be completed.
      const late = await trio.b.put(iri, 3, 'dfc-v:Complete');
      expect(late.status, late.text).to.equal(409);
    });
  });
});
