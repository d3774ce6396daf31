/**
 * The order service's wake-ups of the webhook deliveries: only an order that moves stock of our own ledgers (what
 * the catalogue publishes) wakes them; a shop's order of listed items alone reserves at its supplier, publishes
 * nothing here, and wakes nothing.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeId } from '../../../ontology/iri.js';
import type { DfcRecord } from '../../../ontology/records.js';
import { Decoder } from '../../../server/codec/decode.js';
import { HttpError } from '../../../server/errors/http-error.js';
import { OrderService, type UpstreamOrders, type UpstreamOutcome } from '../../../server/orders/order-service.js';
import { SqliteStore } from '../../../server/store/sqlite/sqlite-store.js';
import { NodeUrls } from '../../../server/urls/node-urls.js';
import { listingRowOf } from '../../helpers/listing.js';

const base = 'https://shop.example';
const api = `${base}/api/dfc/enterprises/shop`;
const id = (path: string): NodeId => `${api}/${path}` as NodeId;
const FARM = 'https://farm.example/api/dfc/enterprises/farm';

function order(lines: { offer: string; quantity: number }[]): string {
  const url = `${api}/orders`;
  return JSON.stringify({
    '@context': 'https://www.datafoodconsortium.org',
    '@graph': [
      { '@id': url, '@type': 'dfc-b:Order', 'dfc-b:hasOrderStatus': 'dfc-v:Held', 'dfc-b:hasPart': lines.map((_l, i) => `${url}/OrderLines/${i + 1}`) },
      ...lines.map((l, i) => ({ '@id': `${url}/OrderLines/${i + 1}`, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': l.quantity, 'dfc-b:concerns': l.offer })),
    ],
  });
}

describe('order service: what wakes the webhook deliveries', () => {
  let dir: string;
  let store: SqliteStore;
  let wakes: number;
  let answer: UpstreamOutcome;
  /** The supplier's orders cancelled. */
  let cancelled: string[];
  let service: OrderService;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-order-service-'));
    store = await SqliteStore.open({ path: join(dir, 'node.db'), baseUrl: base });
    await store.createEnterprise('shop', api, []);
    const records: DfcRecord[] = [
      { kind: 'CatalogItem', id: id('catalog_items/pain'), stock: 5, offers: [id('offers/pain')], listedIn: [] },
      { kind: 'Offer', id: id('offers/pain'), item: id('catalog_items/pain'), stock: 5 },
      { kind: 'CatalogItem', id: id('catalog_items/miel'), stock: null, offers: [id('offers/miel')], listedIn: [] },
      { kind: 'Offer', id: id('offers/miel'), item: id('catalog_items/miel'), stock: null },
    ];
    await store.apply('shop', { upsert: records });
    await store.orders.addListing(listingRowOf('shop', api, 'miel', FARM));
    wakes = 0;
    cancelled = [];
    answer = { ok: true, order: `${FARM}/orders/1` };
    const upstream: UpstreamOrders = {
      place: async () => answer,
      complete: async (o) => ({ ok: true, order: o }),
      cancel: async (o) => {
        cancelled.push(o);
        return { ok: true, order: o };
      },
    };
    service = new OrderService({ store, decoder: new Decoder(), urls: new NodeUrls(base), upstream, onChange: () => void wakes++ });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const caller = { id: 'buyer', readsAll: true };
  const place = (lines: { offer: string; quantity: number }[], key?: string) =>
    service.create('shop', `${api}/orders`, { text: order(lines), mediaType: 'application/json' }, caller, key);

  it('an order of listed items alone, accepted, refused or cancelled, wakes nothing', async () => {
    const listed = await place([{ offer: id('offers/miel'), quantity: 2 }]);
    expect(listed.order.state).to.equal('Held');
    answer = { ok: false, status: 409, reason: 'line 1: 2 requested, 0 available' };
    const refused = await place([{ offer: id('offers/miel'), quantity: 2 }]).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(HttpError).with.property('status', 409);
    await service.cancel('shop', listed.order.iri, caller);
    expect(wakes).to.equal(0);
  });

  it('an order refused for a short line of our own names it without asking the supplier of its listed lines, and wakes nothing', async () => {
    const pain = { line: 2, id: `${api}/orders/OrderLines/2`, offer: id('offers/pain'), item: id('catalog_items/pain'), requested: 6, available: 5 };
    const lines = [{ offer: id('offers/miel'), quantity: 2 }, { offer: id('offers/pain'), quantity: 6 }];
    let asked = 0;
    answer = { ok: true, order: `${FARM}/orders/1` };
    const upstream: UpstreamOrders = {
      place: async () => {
        asked += 1;
        return answer;
      },
      complete: async (o) => ({ ok: true, order: o }),
      cancel: async (o) => ({ ok: true, order: o }),
    };
    service = new OrderService({ store, decoder: new Decoder(), urls: new NodeUrls(base), upstream, onChange: () => void wakes++ });
    const ours = await place(lines, 'k-ours').catch((e: unknown) => e) as HttpError;
    expect(ours.status).to.equal(409);
    expect(ours.extensions).to.deep.equal({ shortLines: [pain] });
    // Asking would have held the supplier's stock for an order refused anyway.
    expect(asked).to.equal(0);
    expect(await store.orders.stock(id('catalog_items/pain'))).to.include({ available: 5, reserved: 0 });
    expect((await store.orders.list('shop', { offset: 0, limit: 10 })).total).to.equal(0);
    expect(wakes).to.equal(0);
  });

  it('an order with a line of our own wakes them when placed and when cancelled, a replay does not', async () => {
    const mixed = await place([{ offer: id('offers/miel'), quantity: 1 }, { offer: id('offers/pain'), quantity: 2 }], 'k1');
    expect(wakes).to.equal(1);
    expect(await store.orders.stock(id('catalog_items/pain'))).to.include({ available: 3, reserved: 2 });
    const again = await place([{ offer: id('offers/miel'), quantity: 1 }, { offer: id('offers/pain'), quantity: 2 }], 'k1');
    expect(again.replayed).to.equal(true);
    expect(wakes).to.equal(1);
    await service.cancel('shop', mixed.order.iri, caller);
    expect(wakes).to.equal(2);
    // Refused by the supplier: its own line was reserved, then given back.
    answer = { ok: false, status: 503, reason: 'timeout' };
    await place([{ offer: id('offers/miel'), quantity: 1 }, { offer: id('offers/pain'), quantity: 1 }]).catch(() => undefined);
    expect(wakes).to.equal(4);
    expect(await store.orders.stock(id('catalog_items/pain'))).to.include({ available: 5, reserved: 0 });
  });
});

/**
 * An order of listed lines alone, without an Idempotency-Key, is placed with the suppliers first and stored once,
 * as they answered; with a key, it is stored Pending first, so that a retry finds what the first attempt placed.
 */
describe('order service: an order of listed lines is stored once its suppliers answered', () => {
  const OTHER = 'https://other.example/api/dfc/enterprises/other';
  let dir: string;
  let store: SqliteStore;
  let service: OrderService;
  /** What each supplier answers, by orders collection. */
  let answers: Map<string, UpstreamOutcome>;
  let calls: { what: 'place' | 'complete' | 'cancel'; order: string; storedThen: string[] }[];
  /** The Idempotency-Key of each order placed. */
  let keys: string[];
  /** The orders collection whose client throws (a bug of ours, not a refusal). */
  let breaksAt: string | undefined;
  /** Done while a supplier is asked. */
  let meanwhile: (() => Promise<unknown>) | undefined;

  const states = async (): Promise<string[]> => (await store.orders.list('shop', { offset: 0, limit: 100 })).orders.map((o) => o.state);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-order-first-'));
    store = await SqliteStore.open({ path: join(dir, 'node.db'), baseUrl: base });
    await store.createEnterprise('shop', api, []);
    const records: DfcRecord[] = [
      { kind: 'CatalogItem', id: id('catalog_items/miel'), stock: null, offers: [id('offers/miel')], listedIn: [] },
      { kind: 'Offer', id: id('offers/miel'), item: id('catalog_items/miel'), stock: null },
      { kind: 'CatalogItem', id: id('catalog_items/cidre'), stock: null, offers: [id('offers/cidre')], listedIn: [] },
      { kind: 'Offer', id: id('offers/cidre'), item: id('catalog_items/cidre'), stock: null },
    ];
    await store.apply('shop', { upsert: records });
    for (const [key, origin] of [['miel', FARM], ['cidre', OTHER]] as const) await store.orders.addListing(listingRowOf('shop', api, key, origin));
    answers = new Map([[`${FARM}/orders`, { ok: true, order: `${FARM}/orders/1` }], [`${OTHER}/orders`, { ok: true, order: `${OTHER}/orders/9` }]]);
    calls = [];
    keys = [];
    breaksAt = undefined;
    meanwhile = undefined;
    const upstream: UpstreamOrders = {
      place: async (request) => {
        keys.push(request.key);
        calls.push({ what: 'place', order: request.ordersUrl, storedThen: await states() });
        await meanwhile?.();
        if (request.ordersUrl === breaksAt) throw new Error('the client broke');
        return answers.get(request.ordersUrl) ?? { ok: false, status: 503, reason: 'unknown supplier' };
      },
      complete: async (o) => {
        calls.push({ what: 'complete', order: o, storedThen: await states() });
        return { ok: true, order: o };
      },
      cancel: async (o) => {
        calls.push({ what: 'cancel', order: o, storedThen: await states() });
        return { ok: true, order: o };
      },
    };
    service = new OrderService({ store, decoder: new Decoder(), urls: new NodeUrls(base), upstream });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const caller = { id: 'buyer', readsAll: true };
  const place = (lines: { offer: string; quantity: number }[], key?: string, status = 'Held') =>
    service.create('shop', `${api}/orders`, { text: order(lines).replace('dfc-v:Held', `dfc-v:${status}`), mediaType: 'application/json' }, caller, key);

  it('asks the suppliers before anything is stored, then stores the order Held once, with their orders', async () => {
    const placed = await place([{ offer: id('offers/miel'), quantity: 2 }, { offer: id('offers/cidre'), quantity: 1 }]);
    expect(calls).to.deep.equal([
      { what: 'place', order: `${FARM}/orders`, storedThen: [] },
      { what: 'place', order: `${OTHER}/orders`, storedThen: [] },
    ]);
    expect(placed.order).to.deep.include({ state: 'Held', number: 1, closedReason: null });
    // A key per supplier and attempt, sent as it is (no digest of a long one).
    expect(new Set(keys).size).to.equal(2);
    for (const key of keys) expect(key).to.match(/^[\x21-\x7e]{1,120}$/u);
    await place([{ offer: id('offers/miel'), quantity: 1 }]);
    expect(new Set(keys).size).to.equal(3);
    expect(placed.order.details['upstream']).to.deep.equal([
      { ordersUrl: `${FARM}/orders`, order: `${FARM}/orders/1` }, { ordersUrl: `${OTHER}/orders`, order: `${OTHER}/orders/9` },
    ]);
    // Written once: never Pending, never written again.
    expect(placed.order.updatedAt).to.equal(placed.order.createdAt);
    expect(placed.order.expiresAt).to.not.equal(null);
    expect(await store.orders.get(placed.order.iri)).to.deep.equal(placed.order);
  });

  it('records a refusal as a Cancelled order that says why, and cancels what another supplier took', async () => {
    answers.set(`${OTHER}/orders`, { ok: false, status: 409, reason: 'line 1: 1 requested, 0 available' });
    const refused = await place([{ offer: id('offers/miel'), quantity: 2 }, { offer: id('offers/cidre'), quantity: 1 }]).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(HttpError).with.property('status', 409);
    expect((refused as Error).message).to.contain('0 available');
    expect(calls.map((c) => [c.what, c.order])).to.deep.equal([['place', `${FARM}/orders`], ['place', `${OTHER}/orders`], ['cancel', `${FARM}/orders/1`]]);
    const [stored] = (await store.orders.list('shop', { offset: 0, limit: 10 })).orders;
    expect(stored).to.deep.include({ state: 'Cancelled', closedReason: 'refused upstream: line 1: 1 requested, 0 available', expiresAt: null });
    expect(stored?.details['refusedUpstream']).to.deep.equal({ ok: false, status: 409, reason: 'line 1: 1 requested, 0 available' });
    expect(stored?.details['upstream']).to.equal(undefined);
  });

  it('stops at the first supplier that refuses, and names each short line it reports, in the order\'s lines', async () => {
    answers.set(`${FARM}/orders`, { ok: false, status: 409, reason: 'farm: short', short: [{ index: 0, requested: 2, available: 1 }] });
    answers.set(`${OTHER}/orders`, { ok: false, status: 409, reason: 'other: short', short: [{ index: 0, requested: 3, available: 0 }] });
    const refused = await place([{ offer: id('offers/cidre'), quantity: 3 }, { offer: id('offers/miel'), quantity: 2 }]).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(HttpError).with.property('status', 409);
    const shortLines = [
      { line: 1, id: `${api}/orders/OrderLines/1`, offer: id('offers/cidre'), item: id('catalog_items/cidre'), requested: 3, available: 0, supplier: { requested: 3, available: 0, factor: 1 } },
    ];
    expect((refused as HttpError).extensions).to.deep.equal({ shortLines });
    // The lines' suppliers in the lines' order: the farm is not asked once the other supplier refused (it would
    // hold its stock for an order refused anyway).
    expect(calls.map((c) => [c.what, c.order])).to.deep.equal([['place', `${OTHER}/orders`]]);
    const [stored] = (await store.orders.list('shop', { offset: 0, limit: 10 })).orders;
    expect(stored).to.deep.include({ state: 'Cancelled', closedReason: 'refused upstream: other: short' });
    expect(stored?.details['refusedUpstream']).to.deep.equal({ ok: false, status: 409, reason: 'other: short', shortLines });

    // The other supplier took its line, then the farm refused: the other's order is cancelled.
    calls = [];
    answers.set(`${OTHER}/orders`, { ok: true, order: `${OTHER}/orders/9` });
    const miel = { line: 2, id: `${api}/orders/OrderLines/2`, offer: id('offers/miel'), item: id('catalog_items/miel'), requested: 2, available: 1, supplier: { requested: 2, available: 1, factor: 1 } };
    const one = await place([{ offer: id('offers/cidre'), quantity: 1 }, { offer: id('offers/miel'), quantity: 2 }]).catch((e: unknown) => e);
    expect((one as HttpError).extensions).to.deep.equal({ shortLines: [miel] });
    expect(calls.map((c) => [c.what, c.order])).to.deep.equal([['place', `${OTHER}/orders`], ['place', `${FARM}/orders`], ['cancel', `${OTHER}/orders/9`]]);

    // A refusal that names no line: said as a problem of the order, with its reason.
    answers.set(`${OTHER}/orders`, { ok: false, status: 409, reason: 'closed on Sundays' });
    const closed = await place([{ offer: id('offers/cidre'), quantity: 1 }, { offer: id('offers/miel'), quantity: 2 }]).catch((e: unknown) => e) as HttpError;
    expect(closed.status).to.equal(409);
    expect(closed.message).to.contain('closed on Sundays');

    // An outage: the next supplier is not asked either.
    calls = [];
    answers.set(`${OTHER}/orders`, { ok: false, status: 503, reason: 'timeout' });
    const down = await place([{ offer: id('offers/cidre'), quantity: 1 }, { offer: id('offers/miel'), quantity: 2 }]).catch((e: unknown) => e);
    expect(down).to.be.instanceOf(HttpError).with.property('status', 503);
    expect(calls.map((c) => [c.what, c.order])).to.deep.equal([['place', `${OTHER}/orders`]]);
  });

  it('answers 503 when a supplier cannot be reached, and records that', async () => {
    answers.set(`${FARM}/orders`, { ok: false, status: 503, reason: 'timeout: no answer within 8000 ms' });
    const failed = await place([{ offer: id('offers/miel'), quantity: 1 }]).catch((e: unknown) => e);
    expect(failed).to.be.instanceOf(HttpError).with.property('status', 503);
    const [stored] = (await store.orders.list('shop', { offset: 0, limit: 10 })).orders;
    expect(stored).to.deep.include({ state: 'Cancelled', closedReason: 'refused upstream: timeout: no answer within 8000 ms' });
    expect(stored?.details['refusedUpstream']).to.deep.include({ status: 503 });
    // Nothing was placed: nothing to cancel.
    expect(calls.map((c) => c.what)).to.deep.equal(['place']);
  });

  it('with an Idempotency-Key, places again a request whose supplier could not be reached, and the key answers the new order', async () => {
    answers.set(`${FARM}/orders`, { ok: false, status: 503, reason: 'timeout: no answer within 100 ms' });
    const down = await place([{ offer: id('offers/miel'), quantity: 1 }], 'k-503').catch((e: unknown) => e);
    expect(down).to.be.instanceOf(HttpError).with.property('status', 503);
    answers.set(`${FARM}/orders`, { ok: true, order: `${FARM}/orders/2` });
    const placed = await place([{ offer: id('offers/miel'), quantity: 1 }], 'k-503');
    expect(placed).to.deep.include({ replayed: false });
    expect(placed.order).to.deep.include({ state: 'Held', number: 2 });
    const again = await place([{ offer: id('offers/miel'), quantity: 1 }], 'k-503');
    expect(again).to.deep.include({ replayed: true });
    expect(again.order.iri).to.equal(placed.order.iri);
    expect(calls.map((c) => c.what)).to.deep.equal(['place', 'place']);
    // A refusal (409) is still the key's answer.
    answers.set(`${FARM}/orders`, { ok: false, status: 409, reason: 'closed on Sundays' });
    const refused = await place([{ offer: id('offers/miel'), quantity: 2 }], 'k-409').catch((e: unknown) => e);
    const refusedAgain = await place([{ offer: id('offers/miel'), quantity: 2 }], 'k-409').catch((e: unknown) => e);
    expect([refused, refusedAgain].map((e) => (e as HttpError).status)).to.deep.equal([409, 409]);
    expect(calls.map((c) => c.what)).to.deep.equal(['place', 'place', 'place']);
  });

  it('records an error of ours while placing as the reason, and cancels what a supplier took before it', async () => {
    breaksAt = `${OTHER}/orders`;
    const failed = await place([{ offer: id('offers/miel'), quantity: 1 }, { offer: id('offers/cidre'), quantity: 1 }]).catch((e: unknown) => e);
    expect(failed).to.be.instanceOf(Error).and.not.instanceOf(HttpError);
    expect((failed as Error).message).to.equal('the client broke');
    expect(calls.map((c) => [c.what, c.order])).to.deep.equal([['place', `${FARM}/orders`], ['place', `${OTHER}/orders`], ['cancel', `${FARM}/orders/1`]]);
    const [stored] = (await store.orders.list('shop', { offset: 0, limit: 10 })).orders;
    expect(stored).to.deep.include({ state: 'Cancelled', closedReason: 'refused upstream: the client broke' });
    expect(stored?.details['refusedUpstream']).to.equal(undefined);
  });

  it('cancels the suppliers\' orders when the order cannot be stored after they accepted', async () => {
    const orders = store.orders as { create: typeof store.orders.create };
    const create = orders.create.bind(store.orders);
    orders.create = async (o) => (o.state === 'Held' ? Promise.reject(new Error('disk full')) : create(o));
    const failed = await place([{ offer: id('offers/miel'), quantity: 1 }]).catch((e: unknown) => e);
    expect((failed as Error).message).to.equal('disk full');
    expect(calls.map((c) => [c.what, c.order])).to.deep.equal([['place', `${FARM}/orders`], ['cancel', `${FARM}/orders/1`]]);
  });

  it('answers 404 when the enterprise is removed while its order is placed, and cancels what the supplier took', async () => {
    // No order of it is stored yet: nothing holds the removal back.
    meanwhile = () => store.removeEnterprise('shop');
    const failed = await place([{ offer: id('offers/miel'), quantity: 1 }]).catch((e: unknown) => e);
    expect(failed).to.be.instanceOf(HttpError).with.property('status', 404);
    expect(calls.map((c) => [c.what, c.order])).to.deep.equal([['place', `${FARM}/orders`], ['cancel', `${FARM}/orders/1`]]);
  });

  it('still answers a supplier\'s refusal when the enterprise is removed meanwhile', async () => {
    meanwhile = () => store.removeEnterprise('shop');
    answers.set(`${FARM}/orders`, { ok: false, status: 409, reason: 'line 1: 1 requested, 0 available' });
    const refused = await place([{ offer: id('offers/miel'), quantity: 1 }]).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(HttpError).with.property('status', 409);
    expect(await store.getEnterprise('shop')).to.equal(undefined);
  });

  it('completes at the suppliers an order sent Complete', async () => {
    const done = await place([{ offer: id('offers/miel'), quantity: 1 }], undefined, 'Complete');
    expect(done.order.state).to.equal('Complete');
    expect(calls.map((c) => [c.what, c.order])).to.deep.equal([['place', `${FARM}/orders`], ['complete', `${FARM}/orders/1`]]);
  });

  it('keeps a Pending order (which a crash may leave) for the hold alone, and the Held order until its sale session ends', async () => {
    const end = new Date(Date.now() + 7 * 86_400_000).toISOString().replace(/\.\d+Z$/u, 'Z');
    const body = JSON.parse(order([{ offer: id('offers/miel'), quantity: 1 }])) as { '@graph': Record<string, unknown>[] };
    (body['@graph'][0] as Record<string, unknown>)['dfc-b:belongsTo'] = `${api}/SalesSession/#`;
    body['@graph'].push({ '@id': `${api}/SalesSession/#`, '@type': 'dfc-b:SaleSession', 'dfc-b:endDate': end });
    let pendingExpiry: string | null | undefined;
    meanwhile = async () => {
      pendingExpiry = (await store.orders.list('shop', { offset: 0, limit: 1 })).orders[0]?.expiresAt;
    };
    const placed = await service.create('shop', `${api}/orders`, { text: JSON.stringify(body), mediaType: 'application/json' }, caller, 'k-session');
    // Stored Pending before the supplier was asked: within the default hold of 30 minutes.
    expect(Date.parse(pendingExpiry as string)).to.be.below(Date.now() + 31 * 60_000);
    expect(placed.order.state).to.equal('Held');
    expect(placed.order.expiresAt).to.equal(new Date(Date.parse(end) + 30 * 60_000).toISOString());
  });

  it('refuses a sale session whose endDate is no date (a 422 naming it), and holds a real one until it ends', async () => {
    const withEnd = (end: unknown): string => {
      const body = JSON.parse(order([{ offer: id('offers/miel'), quantity: 1 }])) as { '@graph': Record<string, unknown>[] };
      (body['@graph'][0] as Record<string, unknown>)['dfc-b:belongsTo'] = `${api}/SalesSession/1`;
      body['@graph'].push({ '@id': `${api}/SalesSession/1`, '@type': 'dfc-b:SaleSession', 'dfc-b:endDate': end });
      return JSON.stringify(body);
    };
    for (const end of [12345, '12345', 'not a date', '2026-13-45']) {
      const refused = await service.create('shop', `${api}/orders`, { text: withEnd(end), mediaType: 'application/json' }, caller).catch((e: unknown) => e);
      expect(refused, String(end)).to.be.instanceOf(HttpError).with.property('status', 422);
      expect((refused as HttpError).problems?.map((p) => [p.id, p.path])).to.deep.equal([[`${api}/SalesSession/1`, 'dfc-b:endDate']]);
    }
    // Nothing was asked of the supplier, nothing stored.
    expect(calls).to.deep.equal([]);
    const end = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    const placed = await service.create('shop', `${api}/orders`, { text: withEnd(end), mediaType: 'application/json' }, caller);
    expect(placed.order.expiresAt).to.equal(new Date(Date.parse(`${end}T00:00:00Z`) + 30 * 60_000).toISOString());
  });

  it('with an Idempotency-Key, stores the order Pending before asking, and a retry asks nothing again', async () => {
    const first = await place([{ offer: id('offers/miel'), quantity: 1 }], 'k1');
    expect(calls).to.deep.equal([{ what: 'place', order: `${FARM}/orders`, storedThen: ['Pending'] }]);
    expect(first.order.state).to.equal('Held');
    const again = await place([{ offer: id('offers/miel'), quantity: 1 }], 'k1');
    expect(again.replayed).to.equal(true);
    expect(again.order.iri).to.equal(first.order.iri);
    expect(calls).to.have.length(1);
  });
});
