/**
 * The stock ledger and orders on SQLite: reservations are all or nothing, the invariant holds through every
 * move, and the published catalog item follows the ledger (with a feed event per change).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeId } from '../../../ontology/iri.js';
import type { CatalogItemRecord, DfcRecord, OfferRecord } from '../../../ontology/records.js';
import { OrderStateError, type OrderRow, type StockLevel } from '../../../server/store/orders.js';
import { SqliteDatabase } from '../../../server/store/sqlite/database.js';
import { migrate, MIGRATIONS } from '../../../server/store/sqlite/migrations.js';
import { SqliteStore } from '../../../server/store/sqlite/sqlite-store.js';
import { readRows } from '../../helpers/sqlite.js';

const base = 'https://a.example';
const id = (path: string): NodeId => `${base}/api/dfc/enterprises/ferme/${path}` as NodeId;
const item = (key: string, stock: number | null): CatalogItemRecord => ({
  kind: 'CatalogItem', id: id(`catalog_items/${key}`), product: id(`supplied_products/${key}`), stock, offers: [id(`offers/${key}`)], listedIn: [],
});
const offer = (key: string, stock: number | null): OfferRecord => ({ kind: 'Offer', id: id(`offers/${key}`), item: id(`catalog_items/${key}`), stock, price: { value: 2, currency: 'x' as never } });

function balanced(level: StockLevel | undefined): void {
  expect(level).to.not.equal(undefined);
  const l = level as StockLevel;
  expect(l.initial + l.restocked).to.be.closeTo(l.available + l.reserved + l.sold, 1e-9);
  if (!l.onDemand) expect(l.available).to.be.at.least(0);
}

describe('store: stock ledger and orders', () => {
  let dir: string;
  let store: SqliteStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-orders-'));
    store = await SqliteStore.open({ path: join(dir, 'node.db'), baseUrl: base });
    const records: DfcRecord[] = [item('carotte', 5), offer('carotte', 5), item('miel', 2), offer('miel', 2), item('pain', null), offer('pain', null)];
    await store.createEnterprise('ferme', `${base}/api/dfc/enterprises/ferme`, []);
    await store.apply('ferme', { upsert: records });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const line = (key: string, quantity: number) => ({ offer: id(`offers/${key}`), item: id(`catalog_items/${key}`), quantity });
  const place = (lines: ReturnType<typeof line>[], key?: string) => store.orders.create({
    eid: 'ferme', collection: id('orders'), state: 'Held', lines, expiresAt: null,
    ...(key !== undefined ? { idempotency: { caller: 't', key, requestHash: 'h' } } : {}),
  });

  it('keeps placements in flight out of the owed cancellations until a start finds them, and forgets those whose answers are stored', async () => {
    const later = '2999-01-01T00:00:00.000Z';
    const sent = (target: string, key: string, order?: string) => ({
      eid: 'ferme', ...(order !== undefined ? { order } : {}), target, placement: { key, lines: [{ product: 'https://b.example/p', quantity: 1 }] },
      reason: 'being placed', nextAt: '2000-01-01T00:00:00.000Z', giveUpAt: later,
    });
    const held = await place([line('carotte', 1)]);
    if (!held.ok) throw new Error('not placed');
    const amended = held.order;
    // An order stored with its suppliers' answer forgets what was sent in its own transaction.
    await store.orders.recordPlacements([sent('https://b.example/orders', 'stored'), sent('https://b.example/orders', 'amending', amended.iri)]);
    const stored = await store.orders.create({
      eid: 'ferme', collection: id('orders'), state: 'Held', lines: [line('miel', 1)], expiresAt: later, settles: [{ target: 'https://b.example/orders', key: 'stored' }],
    });
    expect(stored.ok).to.equal(true);
    // In flight: nothing is due, nothing is owed.
    expect(await store.orders.upstreamDue(later, 10)).to.deep.equal([]);
    expect(await store.orders.upstreamOwed(10)).to.deep.equal([]);
    // A 503 owes the same placement: owed from now on, and a settle no longer forgets it.
    await store.orders.recordPlacements([sent('https://c.example/orders', 'lost')]);
    await store.orders.oweUpstream([{ ...sent('https://c.example/orders', 'lost'), reason: 'no answer' }]);
    await store.orders.settlePlacements([{ target: 'https://c.example/orders', key: 'lost' }]);
    expect((await store.orders.upstreamOwed(10)).map((c) => c.reason)).to.deep.equal(['no answer']);
    // A start: what is still in flight is owed now, and the order it was amending expires now.
    const now = new Date().toISOString();
    expect(await store.orders.interruptPending(now)).to.deep.equal({ orders: 1, placements: 1 });
    const due = await store.orders.upstreamDue(now, 10);
    expect(due.map((c) => [c.placement?.key, c.order ?? null, c.nextAt <= now])).to.deep.equal([['lost', null, true], ['amending', amended.iri, true]]);
    expect((await store.orders.get(amended.iri))?.expiresAt).to.equal(now);
    expect((await store.orders.get(stored.ok ? stored.order.iri : ''))?.expiresAt).to.equal(later);
  });

  it('opens a ledger for every catalog item, from its stock', async () => {
    const level = await store.orders.stock(id('catalog_items/carotte'));
    expect(level).to.include({ available: 5, reserved: 0, sold: 0, onDemand: false, initial: 5 });
    expect(await store.orders.stock(id('catalog_items/pain'))).to.include({ onDemand: true });
  });

  it('reserves all lines or none, naming each short line with what is available', async () => {
    const refused = await place([line('carotte', 3), line('miel', 3)]);
    expect(refused.ok).to.equal(false);
    expect(refused).to.deep.include({ short: [{ index: 1, item: id('catalog_items/miel'), requested: 3, available: 2 }] });
    expect(await store.orders.stock(id('catalog_items/carotte'))).to.include({ available: 5, reserved: 0 });
    const placed = await place([line('carotte', 3), line('miel', 2), line('pain', 10)]);
    expect(placed.ok).to.equal(true);
    expect(await store.orders.stock(id('catalog_items/carotte'))).to.include({ available: 2, reserved: 3 });
    balanced(await store.orders.stock(id('catalog_items/pain')));
  });

  it('answers a new order exactly as it then reads back (the answer is built from what was written, not read)', async () => {
    const lines = [
      { ...line('carotte', 1.5), product: id('supplied_products/carotte'), price: { value: 2.4, currency: 'https://x.example/euro' }, details: { sentId: 'l1', n: [1, { a: null }] } },
      line('miel', 2),
      { ...line('pain', 3), listing: 7 },
    ];
    const placed = await store.orders.create({
      eid: 'ferme', collection: id('orders'), state: 'Held', lines, expiresAt: '2030-01-01T00:00:00.000Z', orderedBy: 'https://buyer.example/e/1',
      placedBy: 'token-1', details: { sentId: 'o1', saleSession: { kind: 'SaleSession', id: 'https://s.example/1' } },
    });
    expect(placed.ok).to.equal(true);
    const answered = (placed as { order: unknown }).order;
    expect(answered).to.deep.equal(await store.orders.get(id('orders/1')));
    const bare = await place([line('carotte', 1)]);
    expect((bare as { order: unknown }).order).to.deep.equal(await store.orders.get(id('orders/2')));
  });

  it('answers an amendment, a completion and a cancellation exactly as they then read back, with or without new lines', async () => {
    const first = await store.orders.create({
      eid: 'ferme', collection: `${id('orders')}/`, state: 'Pending', expiresAt: null,
      lines: [{ ...line('carotte', 1.5), details: { sentId: 'l1' } }, { ...line('pain', 2), listing: 3 }],
    });
    const iri = (first as { order: { iri: string } }).order.iri;
    const lines = (await store.orders.get(iri))?.lines ?? [];
    // The same lines, a new state: the lines are kept as they are (not written again).
    const same = await store.orders.amend(iri, { lines, details: { upstream: [{ ordersUrl: 'u', order: 'o' }] }, expiresAt: '2031-01-01T00:00:00.000Z', state: 'Held' });
    expect(same.ok && same.value).to.deep.equal(await store.orders.get(iri));
    // New lines: written, and the ledger follows.
    const changed = await store.orders.amend(iri, { lines: [line('carotte', 2.25), line('miel', 1)], expiresAt: null });
    expect(changed.ok && changed.value).to.deep.equal(await store.orders.get(iri));
    expect(await store.orders.stock(id('catalog_items/carotte'))).to.include({ reserved: 2.25 });
    expect(await store.orders.complete(iri)).to.deep.equal(await store.orders.get(iri));
    const other = await place([line('miel', 1)]);
    const otherIri = (other as { order: { iri: string } }).order.iri;
    expect(await store.orders.cancel(otherIri, 'cancelled', { why: 'test' })).to.deep.equal(await store.orders.get(otherIri));
    expect(await store.orders.stock(id('catalog_items/miel'))).to.include({ reserved: 0, sold: 1, available: 1 });
  });

  it('publishes the available stock on the item and the offers that mirrored it, with a feed event', async () => {
    const before = await store.feed.latestSeq('ferme');
    await place([line('carotte', 2)]);
    const stored = await store.getResource(id('catalog_items/carotte'));
    expect((stored?.record as CatalogItemRecord).stock).to.equal(3);
    expect(((await store.getResource(id('offers/carotte')))?.record as OfferRecord).stock).to.equal(3);
    const events = await store.feed.events(before, 10, 'ferme');
    expect(events.map((e) => e.iri)).to.include.members([id('catalog_items/carotte'), id('offers/carotte')]);
    // The record stays byte-for-byte what JSON.stringify gives (conditional writes compare it).
    const raw = stored?.record as CatalogItemRecord;
    expect(JSON.stringify(JSON.parse(JSON.stringify(raw)))).to.equal(JSON.stringify(raw));
  });

  it('publishes once per group commit the stock its orders left, and a write grouped after them sees it published', async () => {
    const before = await store.feed.latestSeq('ferme');
    const itemId = id('catalog_items/carotte');
    // Queued together, so committed together: three orders, then a write that expects the item as they left it.
    const after = { ...item('carotte', 2), sku: 'CAR-1' };
    const [a, b, c, applied] = await Promise.allSettled([
      place([line('carotte', 1)]), place([line('carotte', 1)]), place([line('carotte', 1)]),
      store.apply('ferme', { upsert: [after], expect: new Map([[itemId, item('carotte', 2)]]) }),
    ]);
    expect([a, b, c].map((o) => o.status === 'fulfilled' && o.value.ok)).to.deep.equal([true, true, true]);
    // Had the copy not been written before it, the write would have found stock 5 and refused (or restocked to 5).
    expect(applied.status).to.equal('fulfilled');
    const level = await store.orders.stock(itemId);
    expect(level).to.include({ available: 2, reserved: 3, restocked: 0 });
    balanced(level);
    expect(((await store.getResource(itemId))?.record as CatalogItemRecord)).to.deep.equal(after);
    expect(((await store.getResource(id('offers/carotte')))?.record as OfferRecord).stock).to.equal(2);
    // One copy for the three orders (the feed shows the committed states only), then the write's.
    const events = (await store.feed.events(before, 50, 'ferme')).filter((e) => e.iri === itemId);
    expect(events.map((e) => (e.record as CatalogItemRecord).stock)).to.deep.equal([2, 2]);
  });

  it('reserves the lines of many items together, all or none, on-demand items included', async () => {
    const keys = Array.from({ length: 45 }, (_, i) => `lot${i}`);
    await store.apply('ferme', { upsert: keys.flatMap((k) => [item(k, 2), offer(k, 2)]) });
    const placed = await place([...keys.map((k) => line(k, 1)), line('pain', 7)]);
    expect(placed.ok).to.equal(true);
    for (const k of [keys[0], keys[39], keys[40], keys[44]] as string[]) {
      const level = await store.orders.stock(id(`catalog_items/${k}`));
      expect(level).to.include({ available: 1, reserved: 1 });
      balanced(level);
      expect(((await store.getResource(id(`offers/${k}`)))?.record as OfferRecord).stock).to.equal(1);
    }
    expect(await store.orders.stock(id('catalog_items/pain'))).to.include({ reserved: 7, onDemand: true });
    // One short line in the second statement's items, one in the first's: both named, nothing of either taken.
    const refused = await place([...keys.map((k, i) => line(k, i === 3 || i === 42 ? 2 : 1)), line('pain', 1)]);
    expect(refused.ok).to.equal(false);
    expect((refused as { short: unknown }).short).to.deep.equal([
      { index: 3, item: id('catalog_items/lot3'), requested: 2, available: 1 },
      { index: 42, item: id('catalog_items/lot42'), requested: 2, available: 1 },
    ]);
    for (const k of keys) expect(await store.orders.stock(id(`catalog_items/${k}`))).to.include({ available: 1, reserved: 1 });
    expect(await store.orders.stock(id('catalog_items/pain'))).to.include({ reserved: 7 });
  });

  it('holds a Pending order as it was read, in one statement, and nothing once it changed or closed', async () => {
    const created = await store.orders.create({ eid: 'ferme', collection: id('orders'), state: 'Pending', lines: [line('carotte', 2)], expiresAt: null });
    if (!created.ok) throw new Error('not created');
    const pending = created.order;
    // A write in a later millisecond than the creation (what tells the order changed since it was read).
    await new Promise((resolve) => setTimeout(resolve, 2));
    const held = await store.orders.hold(pending, { details: { upstream: [{ ordersUrl: 'u', order: 'o' }] }, expiresAt: '2999-01-01T00:00:00.000Z' });
    expect(held).to.deep.equal(await store.orders.get(pending.iri));
    expect(held).to.include({ state: 'Held', expiresAt: '2999-01-01T00:00:00.000Z' });
    expect(held?.details).to.deep.equal({ upstream: [{ ordersUrl: 'u', order: 'o' }] });
    // Read before the change above: refused, and the order stays as it is.
    expect(await store.orders.hold(pending, { details: {}, expiresAt: null })).to.equal(undefined);
    expect(await store.orders.get(pending.iri)).to.deep.equal(held);
    const cancelled = await store.orders.cancel(pending.iri, 'cancelled');
    expect(await store.orders.hold(cancelled, { details: {}, expiresAt: null })).to.equal(undefined);
    expect((await store.orders.get(pending.iri))?.state).to.equal('Cancelled');
    expect(await store.orders.stock(id('catalog_items/carotte'))).to.include({ available: 5, reserved: 0 });
  });

  it('cancels an order as read without reading it again, and one changed since as it now is', async () => {
    const first = await place([line('carotte', 2), line('miel', 1)]);
    if (!first.ok) throw new Error('not placed');
    const cancelled = await store.orders.cancel(first.order.iri, 'cancelled', undefined, first.order);
    expect(cancelled).to.deep.equal(await store.orders.get(first.order.iri));
    expect(cancelled).to.include({ state: 'Cancelled', closedReason: 'cancelled' });
    expect(await store.orders.stock(id('catalog_items/carotte'))).to.include({ available: 5, reserved: 0 });
    expect(await store.orders.stock(id('catalog_items/miel'))).to.include({ available: 2, reserved: 0 });
    // Read, then amended (a later millisecond): the cancellation gives back what the order holds now, not what was read.
    const second = await place([line('carotte', 2)]);
    if (!second.ok) throw new Error('not placed');
    await new Promise((resolve) => setTimeout(resolve, 2));
    const amended = await store.orders.amend(second.order.iri, { lines: [line('carotte', 4)], expiresAt: null });
    expect(amended.ok).to.equal(true);
    const again = await store.orders.cancel(second.order.iri, 'expired', { why: 'late' }, second.order);
    expect(again).to.deep.equal(await store.orders.get(second.order.iri));
    expect(again.lines.map((l) => [l.quantity, l.reserved])).to.deep.equal([[4, 0]]);
    const level = await store.orders.stock(id('catalog_items/carotte'));
    expect(level).to.include({ available: 5, reserved: 0 });
    balanced(level);
    // Closed since it was read: refused as without it.
    const error = await store.orders.cancel(second.order.iri, 'cancelled', undefined, second.order).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(OrderStateError);
  });

  it('holds and cancels orders of listed items queued together in one statement, each as read, and one changed since as it now is', async () => {
    const listed = (key: string, quantity: number) => ({ ...line(key, quantity), listing: 9 });
    const pending = [];
    for (const q of [1, 2, 3, 4]) {
      const created = await store.orders.create({ eid: 'ferme', collection: id('orders'), state: 'Pending', lines: [listed('carotte', q)], expiresAt: null });
      if (!created.ok) throw new Error('not created');
      pending.push(created.order);
    }
    const [a, b, c, d] = pending as [OrderRow, OrderRow, OrderRow, OrderRow];
    // d changes after it was read (a later millisecond): its cancellation closes it as it now is.
    await new Promise((resolve) => setTimeout(resolve, 2));
    const changed = await store.orders.hold(d, { details: { changed: true }, expiresAt: null });
    const statements: string[] = [];
    (store as unknown as { db: { writerDb: { on(event: 'trace', listener: (sql: string) => void): void } } }).db.writerDb.on('trace', (sql) => statements.push(sql));
    const [held, cancelled, heldToo, late] = await Promise.all([
      store.orders.hold(a, { details: { upstream: 'a' }, expiresAt: '2999-01-01T00:00:00.000Z' }),
      store.orders.cancel(b.iri, 'refused upstream', { why: 'b' }, b),
      store.orders.hold(c, { details: {}, expiresAt: null }),
      store.orders.cancel(d.iri, 'refused upstream', undefined, d),
    ]);
    // The writer was free: it waited for the end of the turn, and the four queued in it shared one statement.
    expect(statements.filter((sql) => sql.startsWith('UPDATE orders SET status = v.column3')).length).to.equal(1);
    for (const [answer, order] of [[held, a], [cancelled, b], [heldToo, c], [late, d]] as const) expect(answer).to.deep.equal(await store.orders.get(order.iri));
    expect([held?.state, cancelled.state, heldToo?.state, late.state]).to.deep.equal(['Held', 'Cancelled', 'Held', 'Cancelled']);
    expect(cancelled).to.include({ closedReason: 'refused upstream', expiresAt: null });
    expect(cancelled.details).to.deep.equal({ why: 'b' });
    expect(held?.details).to.deep.equal({ upstream: 'a' });
    expect(late.details).to.deep.equal(changed?.details);
    expect(await store.orders.hold(a, { details: {}, expiresAt: null })).to.equal(undefined);
    expect(await store.orders.stock(id('catalog_items/carotte'))).to.include({ available: 5, reserved: 0 });
  });

  it('leaves nothing of orders created together whose shared statements fail partway, first in the transaction or not', async () => {
    const db = (store as unknown as { db: SqliteDatabase }).db;
    const statements: string[] = [];
    (db as unknown as { writerDb: { on(event: 'trace', listener: (sql: string) => void): void } }).writerDb.on('trace', (sql) => statements.push(sql));
    // A line of this offer fails to insert: after the ledgers and the orders are written, as a full disk would.
    await db.transaction((tx) => tx.exec("CREATE TRIGGER boom BEFORE INSERT ON order_lines WHEN NEW.offer_iri LIKE '%/boom' BEGIN SELECT RAISE(ABORT, 'boom'); END"));
    const boom = { offer: id('offers/boom'), item: id('catalog_items/carotte'), quantity: 1 };
    for (const first of [true, false]) {
      statements.length = 0;
      const outcomes = await Promise.allSettled([
        // Alone: the transactions after it start a group of their own, whatever the writer was doing.
        db.transaction(async () => undefined, { alone: true }),
        // A plain write first in that group, or none: the orders' shared statements open the transaction.
        ...(first ? [] : [db.transaction((tx) => tx.run("UPDATE meta SET value = value WHERE key = 'base_url'"))]),
        place([line('carotte', 1)]), place([boom]), place([line('miel', 1)]),
      ]);
      const orders = outcomes.slice(first ? 1 : 2);
      expect(orders.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
      expect(((orders[1] as PromiseRejectedResult).reason as Error).message).to.contain('boom');
      // The shared statements ran, failed, and were undone: by the whole transaction's rollback, or their savepoint.
      expect(statements.some((sql) => sql.startsWith('UPDATE stock SET available = d.column3'))).to.equal(true);
      expect(statements.includes('SAVEPOINT orders_together')).to.equal(!first);
      expect(statements.includes(first ? 'ROLLBACK' : 'ROLLBACK TO orders_together')).to.equal(true);
    }
    // Each order that stood reserved its unit once; the failed ones left nothing.
    expect(await store.orders.stock(id('catalog_items/carotte'))).to.include({ available: 3, reserved: 2 });
    expect(await store.orders.stock(id('catalog_items/miel'))).to.include({ available: 0, reserved: 2 });
    balanced(await store.orders.stock(id('catalog_items/carotte')));
    expect((await store.orders.list('ferme', { offset: 0, limit: 10 })).total).to.equal(4);
  });

  it('records an order refused before it was accepted as Cancelled: it reserves nothing, never expires, and says why', async () => {
    const refused = await store.orders.create({
      eid: 'ferme', collection: id('orders'), state: 'Cancelled', closedReason: 'refused upstream: none left',
      lines: [line('carotte', 5), line('miel', 3)], details: { refusedUpstream: { status: 409 } },
    });
    expect(refused.ok).to.equal(true);
    const order = (refused as Extract<typeof refused, { ok: true }>).order;
    expect(order).to.deep.include({ state: 'Cancelled', closedReason: 'refused upstream: none left', expiresAt: null });
    expect(order.lines.map((l) => l.reserved)).to.deep.equal([0, 0]);
    expect(await store.orders.get(order.iri)).to.deep.equal(order);
    expect(await store.orders.stock(id('catalog_items/carotte'))).to.include({ available: 5, reserved: 0 });
    expect(await store.orders.expired('2100-01-01T00:00:00.000Z', 10)).to.deep.equal([]);
    // The next order takes its number after it, and every carrot.
    const next = await place([line('carotte', 5)]);
    expect(next.ok && next.order.number).to.equal(order.number + 1);
  });

  it('counts two lines of one item together, naming each with its own quantity and what they ask together', async () => {
    const lines = [line('miel', 1), line('carotte', 1), line('miel', 2)];
    const short = [
      { index: 0, item: id('catalog_items/miel'), requested: 1, available: 2, requestedTogether: 3, sharedWith: [2] },
      { index: 2, item: id('catalog_items/miel'), requested: 2, available: 2, requestedTogether: 3, sharedWith: [0] },
    ];
    expect(await place(lines)).to.deep.equal({ ok: false, short });
    // Queued together (the first runs alone, the others share their statements): the same answer for each.
    const statements: string[] = [];
    (store as unknown as { db: { writerDb: { on(event: 'trace', listener: (sql: string) => void): void } } }).db.writerDb.on('trace', (sql) => statements.push(sql));
    const together = await Promise.all([place(lines), place(lines), place(lines)]);
    expect(statements.filter((sql) => sql.trimStart().startsWith("SELECT 's' AS t")).length).to.be.at.least(1);
    expect(together).to.deep.equal([{ ok: false, short }, { ok: false, short }, { ok: false, short }]);
    expect(await store.orders.stock(id('catalog_items/miel'))).to.include({ available: 2, reserved: 0 });
    expect(await store.orders.stock(id('catalog_items/carotte'))).to.include({ available: 5, reserved: 0 });
  });

  it('names an amended line with its new quantity, and what the order could have: the ledger\'s stock and what it holds', async () => {
    const placed = await place([line('carotte', 1), line('miel', 1)]);
    if (!placed.ok) throw new Error('not placed');
    const iri = placed.order.iri;
    const carotte = id('catalog_items/carotte');
    // 4 left, 1 held by the order: it could have 5, and the line asks 100 (not the 99 more it would take).
    expect(await store.orders.amend(iri, { lines: [line('carotte', 100), line('miel', 1)], expiresAt: null })).to.deep.equal({
      ok: false, short: [{ index: 0, item: carotte, requested: 100, available: 5 }],
    });
    // Two lines on the item: each its own quantity, both what the order could have and what they ask together.
    expect(await store.orders.amend(iri, { lines: [line('carotte', 3), line('miel', 2), line('carotte', 3)], expiresAt: null })).to.deep.equal({
      ok: false, short: [
        { index: 0, item: carotte, requested: 3, available: 5, requestedTogether: 6, sharedWith: [2] },
        { index: 2, item: carotte, requested: 3, available: 5, requestedTogether: 6, sharedWith: [0] },
      ],
    });
    // Nothing moved: the order holds what it held.
    expect(await store.orders.stock(carotte)).to.include({ available: 4, reserved: 1 });
    expect(await store.orders.stock(id('catalog_items/miel'))).to.include({ available: 1, reserved: 1 });
    expect((await store.orders.get(iri))?.lines.map((l) => l.quantity)).to.deep.equal([1, 1]);
  });

  it('amends up and down, all or nothing, completes and cancels', async () => {
    const placed = await place([line('carotte', 2)]);
    if (!placed.ok) throw new Error('not placed');
    const iri = placed.order.iri;
    expect((await store.orders.amend(iri, { lines: [line('carotte', 6)], expiresAt: null })).ok).to.equal(false);
    expect(await store.orders.stock(id('catalog_items/carotte'))).to.include({ available: 3, reserved: 2 });
    expect((await store.orders.amend(iri, { lines: [line('carotte', 5)], expiresAt: null })).ok).to.equal(true);
    expect(await store.orders.stock(id('catalog_items/carotte'))).to.include({ available: 0, reserved: 5 });
    expect((await store.orders.amend(iri, { lines: [line('carotte', 1)], expiresAt: null })).ok).to.equal(true);
    expect(await store.orders.stock(id('catalog_items/carotte'))).to.include({ available: 4, reserved: 1 });
    const done = await store.orders.complete(iri);
    expect(done.state).to.equal('Complete');
    expect(await store.orders.stock(id('catalog_items/carotte'))).to.include({ available: 4, reserved: 0, sold: 1 });
    let error: unknown;
    try {
      await store.orders.cancel(iri, 'cancelled');
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(OrderStateError);
    const other = await place([line('carotte', 4)]);
    if (!other.ok) throw new Error('not placed');
    await store.orders.cancel(other.order.iri, 'expired');
    const level = await store.orders.stock(id('catalog_items/carotte'));
    expect(level).to.include({ available: 4, reserved: 0, sold: 1 });
    balanced(level);
  });

  it('restocks when the item is written, keeping the invariant', async () => {
    await place([line('carotte', 2)]);
    const stored = await store.getResource(id('catalog_items/carotte'));
    await store.apply('ferme', { upsert: [{ ...(stored?.record as CatalogItemRecord), stock: 10 }] });
    const level = await store.orders.stock(id('catalog_items/carotte'));
    expect(level).to.include({ available: 10, reserved: 2, restocked: 7 });
    balanced(level);
  });

  it('answers a retried request with the same order and reserves nothing again', async () => {
    const first = await place([line('carotte', 2)], 'k1');
    const again = await place([line('carotte', 2)], 'k1');
    expect(again.ok && first.ok && again.order.iri === first.order.iri && again.replayed).to.equal(true);
    expect(await store.orders.stock(id('catalog_items/carotte'))).to.include({ available: 3, reserved: 2 });
  });

  it('never sells the same unit twice under concurrent orders', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => place([line('carotte', 1)])));
    expect(results.filter((r) => r.ok)).to.have.length(5);
    const level = await store.orders.stock(id('catalog_items/carotte'));
    expect(level).to.include({ available: 0, reserved: 5 });
    balanced(level);
  });

  it('creates orders queued together in shared statements exactly as it would one by one', async () => {
    // A second store like the first, whose orders are placed one at a time.
    const other = await SqliteStore.open({ path: join(dir, 'one-by-one.db'), baseUrl: base });
    try {
      const extra: DfcRecord[] = [item('farine', 1), offer('farine', 1), item('sucre', 0.4), offer('sucre', 0.4), item('sel', 3), offer('sel', 3)];
      const records: DfcRecord[] = [item('carotte', 5), offer('carotte', 5), item('miel', 2), offer('miel', 2), item('pain', null), offer('pain', null), ...extra];
      await other.createEnterprise('ferme', `${base}/api/dfc/enterprises/ferme`, []);
      await other.apply('ferme', { upsert: records });
      await store.apply('ferme', { upsert: extra });
      const orders: { lines: ReturnType<typeof line>[]; key?: string; hash?: string; listing?: boolean; orderedBy?: string; refused?: string }[] = [
        { lines: [line('carotte', 2)] },
        { lines: [line('carotte', 2), line('miel', 1)] },
        // Short: 1 left after the two before it; the miel line fits but is not taken.
        { lines: [line('miel', 1), line('carotte', 2)] },
        { lines: [line('miel', 1), line('pain', 5), line('carotte', 1)] },
        { lines: [line('farine', 0.1)], key: 'k1' },
        { lines: [line('farine', 0.2)] },
        // The same key again: the same order (the same request), or a refusal naming it (another request).
        { lines: [line('farine', 0.1)], key: 'k1' },
        { lines: [line('farine', 0.5)], key: 'k1', hash: 'other' },
        { lines: [line('farine', 0.7)] },
        { lines: [line('farine', 0.6), line('farine', 0.1)] },
        { lines: [line('miel', 1)] },
        { lines: [{ ...line('nulle-part', 1) }, line('pain', 1)] },
        { lines: [line('pain', 2)], listing: true },
        { lines: [line('carotte', 0)], key: 'k2' },
        // Nothing reserved for a line of nothing, even of an item without a ledger.
        { lines: [line('nulle-part', 0), line('miel', 0)] },
        // (0.4 − 0.2) − 0.1 is not 0.4 − (0.2 + 0.1) in binary: the ledger must be left as one order at a time leaves it.
        { lines: [line('sucre', 0.2)] },
        { lines: [line('sucre', 0.1)] },
        // A double that SQLite's JSON reader would not give back exactly, and text that only a bound string keeps.
        { lines: [line('sel', 2.186368054169052)], orderedBy: 'https://buyer.example/\ud800' },
        // Recorded refused: nothing reserved, even of the last carrot, and the next order still gets it.
        { lines: [line('carotte', 1)], refused: 'refused upstream: gone' },
        { lines: [line('carotte', 1)] },
      ];
      const placeIn = (target: SqliteStore, o: typeof orders[number]) => {
        const common = {
          eid: 'ferme', collection: id('orders'), lines: o.listing === true ? o.lines.map((l) => ({ ...l, listing: 3 })) : o.lines,
          ...(o.orderedBy !== undefined ? { orderedBy: o.orderedBy } : {}),
        };
        return target.orders.create(o.refused !== undefined ? { ...common, state: 'Cancelled', closedReason: o.refused } : {
          ...common, state: 'Held', expiresAt: null, ...(o.key !== undefined ? { idempotency: { caller: 't', key: o.key, requestHash: o.hash ?? 'h' } } : {}),
        });
      };
      const oneByOne = [];
      for (const o of orders) oneByOne.push(await placeIn(other, o));
      const statements: string[] = [];
      (store as unknown as { db: { writerDb: { on(event: 'trace', listener: (sql: string) => void): void } } }).db.writerDb.on('trace', (sql) => statements.push(sql));
      const together = await Promise.all(orders.map((o) => placeIn(store, o)));
      // Shared statements did run (the first order ran alone, holding the writer while the others queued): their
      // read of ledgers, numbers and keys (with or without a savepoint, as their group opened or not).
      expect(statements.filter((sql) => sql.trimStart().startsWith("SELECT 's' AS t")).length).to.be.at.least(1);
      const outcome = (r: Awaited<ReturnType<typeof place>>) => (r.ok ? { ok: true, replayed: r.replayed, order: { ...r.order, createdAt: '', updatedAt: '' } }
        : 'short' in r ? r : { keyReused: r.order.iri });
      expect(together.map(outcome)).to.deep.equal(oneByOne.map(outcome));
      for (const key of ['carotte', 'miel', 'pain', 'farine', 'sucre', 'sel']) {
        const [a, b] = [await store.orders.stock(id(`catalog_items/${key}`)), await other.orders.stock(id(`catalog_items/${key}`))];
        balanced(a);
        // Exactly, to the last bit.
        expect(a).to.deep.equal(b);
        // The published copy follows the ledger.
        expect(((await store.getResource(id(`offers/${key}`)))?.record as OfferRecord).stock).to.equal(((await other.getResource(id(`offers/${key}`)))?.record as OfferRecord).stock);
      }
      const read = async (target: SqliteStore) => (await target.orders.list('ferme', { offset: 0, limit: 100 })).orders.map((o) => ({ ...o, createdAt: '', updatedAt: '' }));
      expect(await read(store)).to.deep.equal(await read(other));
    } finally {
      await other.close();
    }
  });

  it('migration 10 opens a ledger for every catalog item stored before it, from its published stock', async () => {
    const file = join(dir, 'old.db');
    const db = await SqliteDatabase.open(file);
    try {
      await db.transaction(async (tx) => {
        await tx.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
        for (const m of MIGRATIONS.filter((x) => x.version < 10)) {
          await tx.exec(m.sql);
          await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, 'then']);
        }
        await tx.run("INSERT INTO enterprises (eid, iri, name, created_at, updated_at) VALUES ('ferme', 'x:ferme', 'Ferme', 'then', 'then')");
        const insert = "INSERT INTO resources (iri, eid, kind, record, created_at, updated_at) VALUES (?, 'ferme', 'CatalogItem', ?, 'then', 'then')";
        await tx.run(insert, ['x:a', JSON.stringify(item('a', 7))]);
        await tx.run(insert, ['x:b', JSON.stringify(item('b', null))]);
      });
      expect(await migrate(db)).to.include(10);
    } finally {
      await db.close();
    }
    expect(await readRows(file, 'SELECT item_iri, on_demand, initial, available, reserved, sold FROM stock ORDER BY item_iri')).to.deep.equal([
      { item_iri: 'x:a', on_demand: 0, initial: 7, available: 7, reserved: 0, sold: 0 },
      { item_iri: 'x:b', on_demand: 1, initial: 0, available: 0, reserved: 0, sold: 0 },
    ]);
  });

  it('reads what an order line draws on in one go: the resource, and for an Offer its item and listing, as read one by one', async () => {
    const listed = await store.orders.addListing({
      eid: 'ferme', item: id('catalog_items/miel'), offer: id('offers/miel'), product: id('supplied_products/miel'), originItem: 'https://b.example/items/miel',
      originProduct: 'https://b.example/products/miel', originOrders: 'https://b.example/orders', factor: 6, price: 3.5, details: { orderAt: 'x' },
    });
    const carotte = await store.orders.orderable(id('offers/carotte'));
    expect(carotte).to.deep.equal({
      eid: 'ferme', record: (await store.getResource(id('offers/carotte')))?.record,
      offered: { itemIri: id('catalog_items/carotte'), item: { eid: 'ferme', record: (await store.getResource(id('catalog_items/carotte')))?.record } },
    });
    const miel = await store.orders.orderable(id('offers/miel'));
    expect(miel?.offered?.listing).to.deep.equal(listed);
    expect(miel?.offered?.listing).to.deep.equal(await store.orders.listingByLocal(id('catalog_items/miel')));
    // Not an Offer: the resource alone.
    expect(await store.orders.orderable(id('catalog_items/carotte'))).to.deep.equal({
      eid: 'ferme', record: (await store.getResource(id('catalog_items/carotte')))?.record,
    });
    expect(await store.orders.orderable(id('offers/none'))).to.equal(undefined);
    // An Offer whose item is not stored: its item's id, and nothing else.
    const orphan: OfferRecord = { kind: 'Offer', id: id('offers/orphan'), item: id('catalog_items/gone'), stock: 1 };
    await store.apply('ferme', { upsert: [orphan] });
    expect(await store.orders.orderable(orphan.id)).to.deep.equal({ eid: 'ferme', record: orphan, offered: { itemIri: orphan.item } });
  });

  it('finds the listings an origin record touches: by origin item, offer or ordered product', async () => {
    const listing = (key: string, product: string) => store.orders.addListing({
      eid: 'ferme', item: id(`catalog_items/${key}`), offer: id(`offers/${key}`), product: id(`supplied_products/${key}`),
      originItem: `https://b.example/items/${key}`, originOffer: `https://b.example/offers/${key}`, originProduct: product,
      originOrders: 'https://b.example/orders', factor: 1,
    });
    const before = await store.orders.hasListings();
    const a = await listing('carotte', 'https://b.example/products/carotte');
    const b = await listing('miel', 'https://b.example/products/case');
    // Whether any listing exists (the sync skips telling the listings of a snapshot when none does).
    expect([before, await store.orders.hasListings()]).to.deep.equal([false, true]);
    const ids = async (iris: string[]) => (await store.orders.listingsTouching(iris)).map((l) => l.id);
    expect(await ids(['https://b.example/items/carotte'])).to.deep.equal([a.id]);
    expect(await ids(['https://b.example/offers/miel', 'https://b.example/items/carotte'])).to.deep.equal([a.id, b.id]);
    expect(await ids(['https://b.example/products/case'])).to.deep.equal([b.id]);
    expect(await ids(['https://b.example/other'])).to.deep.equal([]);
    expect(await ids([])).to.deep.equal([]);
  });

  it('sets and clears a listing\'s lastError alone, the rest of its details kept', async () => {
    const listed = await store.orders.addListing({
      eid: 'ferme', item: id('catalog_items/poire'), offer: id('offers/poire'), product: id('supplied_products/poire'), originItem: 'https://b.example/items/poire',
      originProduct: 'https://b.example/products/poire', originOrders: 'https://b.example/orders', factor: 1, details: { stockItem: 'https://b.example/items/poire' },
    });
    const error = { kind: 'not-dfc', message: 'kept the last published values: the price would be 0', at: '2026-01-01T00:00:00.000Z' };
    await store.orders.setListingDetail(listed.id, 'lastError', error);
    expect((await store.orders.listing(listed.id))?.details).to.deep.equal({ stockItem: 'https://b.example/items/poire', lastError: error });
    await store.orders.setListingDetail(listed.id, 'lastError', null);
    expect((await store.orders.listing(listed.id))?.details).to.deep.equal({ stockItem: 'https://b.example/items/poire' });
    // Clearing what is not set changes nothing.
    await store.orders.setListingDetail(listed.id, 'lastError', null);
    expect((await store.orders.listing(listed.id))?.details).to.deep.equal({ stockItem: 'https://b.example/items/poire' });
  });
});
