/**
 * The cancellations a shop owes its suppliers: recorded in the database when a supplier cannot be told (or its
 * answer to an order was lost), tried again on a clock of their own with a growing delay, kept across a restart,
 * and settled when the supplier confirms, refuses for good, or its hold has surely run out.
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
import type { UpstreamCancellationEvent } from '../../../server/orders/upstream-cancellations.js';
import { SqliteStore } from '../../../server/store/sqlite/sqlite-store.js';
import { NodeUrls } from '../../../server/urls/node-urls.js';
import { listingRowOf } from '../../helpers/listing.js';

const base = 'https://shop.example';
const api = `${base}/api/dfc/enterprises/shop`;
const id = (path: string): NodeId => `${api}/${path}` as NodeId;
const FARM = 'https://farm.example/api/dfc/enterprises/farm';

function order(quantity: number): string {
  const url = `${api}/orders`;
  return JSON.stringify({
    '@context': 'https://www.datafoodconsortium.org',
    '@graph': [
      { '@id': url, '@type': 'dfc-b:Order', 'dfc-b:hasOrderStatus': 'dfc-v:Held', 'dfc-b:hasPart': [`${url}/OrderLines/1`] },
      { '@id': `${url}/OrderLines/1`, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': quantity, 'dfc-b:concerns': id('offers/miel') },
    ],
  });
}

describe('order service: cancellations owed to suppliers', () => {
  let dir: string;
  let store: SqliteStore;
  let clock: number;
  let events: UpstreamCancellationEvent[];
  /** What the supplier answers a POST, a cancellation. */
  let placeAnswer: UpstreamOutcome;
  let cancelAnswer: UpstreamOutcome;
  /** Whether the supplier takes an Idempotency-Key (a Maillon node), as its discovery document would tell. */
  let honoursKeys: boolean | undefined = true;
  let calls: string[];
  let service: OrderService;

  const open = async (): Promise<void> => {
    store = await SqliteStore.open({ path: join(dir, 'node.db'), baseUrl: base });
    const upstream: UpstreamOrders = {
      place: async (r) => {
        calls.push(`place ${r.ordersUrl} ${r.key}`);
        return placeAnswer;
      },
      complete: async (o) => ({ ok: true, order: o }),
      cancel: async (o) => {
        calls.push(`cancel ${o}`);
        return cancelAnswer;
      },
    };
    service = new OrderService({
      store, decoder: new Decoder(), urls: new NodeUrls(base), upstream, now: () => clock, onUpstreamCancellation: (e) => void events.push(e),
      honoursIdempotencyKeys: async () => honoursKeys,
    });
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-owed-'));
    clock = Date.parse('2026-03-01T10:00:00Z');
    events = [];
    calls = [];
    honoursKeys = true;
    placeAnswer = { ok: true, order: `${FARM}/orders/1` };
    cancelAnswer = { ok: true, order: `${FARM}/orders/1` };
    await open();
    await store.createEnterprise('shop', api, []);
    const records: DfcRecord[] = [
      { kind: 'CatalogItem', id: id('catalog_items/miel'), stock: null, offers: [id('offers/miel')], listedIn: [] },
      { kind: 'Offer', id: id('offers/miel'), item: id('catalog_items/miel'), stock: null },
    ];
    await store.apply('shop', { upsert: records });
    await store.orders.addListing(listingRowOf('shop', api, 'miel', FARM));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const caller = { id: 'buyer', readsAll: true };
  const place = () => service.create('shop', `${api}/orders`, { text: order(2), mediaType: 'application/json' }, caller);
  const kinds = () => events.map((e) => e.kind);

  it('owes a cancellation for a POST the supplier did not answer, and keeps it across a restart until the supplier confirms', async () => {
    placeAnswer = { ok: false, status: 503, reason: 'timeout: no answer within 100 ms' };
    const failed = await place().catch((e: unknown) => e);
    expect(failed).to.be.instanceOf(HttpError).with.property('status', 503);
    const [owed] = await store.orders.upstreamOwed(10);
    const key = owed?.placement?.key as string;
    expect(owed).to.deep.include({ eid: 'shop', target: `${FARM}/orders`, attempts: 0 });
    expect(owed?.placement?.lines).to.deep.equal([{ product: `${FARM}/supplied_products/miel`, offer: `${FARM}/offers/miel`, quantity: 2 }]);
    expect(kinds()).to.deep.equal(['owed']);
    // Not due yet: nothing is sent.
    expect(await service.retryUpstreamCancellations()).to.deep.equal({ settled: 0, postponed: 0 });
    // Due, the supplier still down: put off, twice as long each time.
    clock += 1000;
    expect(await service.retryUpstreamCancellations()).to.deep.equal({ settled: 0, postponed: 1 });
    expect((await store.orders.upstreamOwed(10))[0]).to.deep.include({ attempts: 1, nextAt: new Date(clock + 2000).toISOString(), lastError: placeAnswer.reason });
    clock += 2000;
    await service.retryUpstreamCancellations();
    expect((await store.orders.upstreamOwed(10))[0]).to.deep.include({ attempts: 2, nextAt: new Date(clock + 4000).toISOString() });
    // The node restarts: the cancellation is still owed.
    await store.close();
    await open();
    clock += 4000;
    placeAnswer = { ok: true, order: `${FARM}/orders/7` };
    calls = [];
    expect(await service.retryUpstreamCancellations()).to.deep.equal({ settled: 1, postponed: 0 });
    // The same POST (same key), which finds the order the supplier made for it, then its cancellation.
    expect(calls).to.deep.equal([`place ${FARM}/orders ${key}`, `cancel ${FARM}/orders/7`]);
    expect(await store.orders.upstreamOwed(10)).to.deep.equal([]);
    expect(kinds()).to.deep.equal(['owed', 'retry', 'retry', 'done']);
  });

  it('never sends the POST again to a supplier that does not take an Idempotency-Key (it would make one more order): says its operator must be asked', async () => {
    placeAnswer = { ok: false, status: 503, reason: 'timeout' };
    await place().catch(() => undefined);
    placeAnswer = { ok: true, order: `${FARM}/orders/8` };
    calls = [];
    // Whether it takes one cannot be told now (its discovery document did not answer): tried again later.
    honoursKeys = undefined;
    clock += 1000;
    expect(await service.retryUpstreamCancellations()).to.deep.equal({ settled: 0, postponed: 1 });
    // It is no Maillon node: nothing is sent to it, and the operator is told.
    honoursKeys = false;
    clock += 2000;
    expect(await service.retryUpstreamCancellations()).to.deep.equal({ settled: 1, postponed: 0 });
    expect(calls).to.deep.equal([]);
    expect(await store.orders.upstreamOwed(10)).to.deep.equal([]);
    expect(kinds()).to.deep.equal(['owed', 'retry', 'refused']);
    expect(events.at(-1)).to.have.property('reason').that.matches(/operator must be asked/u);
  });

  it('does not take a refusal of its credential or of the address (401, 403, 404) for "no order": asks again later', async () => {
    placeAnswer = { ok: false, status: 503, reason: 'timeout' };
    await place().catch(() => undefined);
    let delay = 1000;
    for (const httpStatus of [401, 403, 404]) {
      placeAnswer = { ok: false, status: 409, httpStatus, reason: `HTTP ${httpStatus}` };
      clock += delay;
      delay *= 2;
      expect(await service.retryUpstreamCancellations(), `HTTP ${httpStatus}`).to.deep.equal({ settled: 0, postponed: 1 });
    }
    // The supplier's own 409 (it refuses the order: it holds none for the key) settles it.
    placeAnswer = { ok: false, status: 409, httpStatus: 409, reason: 'insufficient stock' };
    clock += delay;
    expect(await service.retryUpstreamCancellations()).to.deep.equal({ settled: 1, postponed: 0 });
    expect(kinds()).to.deep.equal(['owed', 'retry', 'retry', 'retry', 'done']);
  });

  it('once the order is found but its cancellation fails, cancels that order next time without placing again', async () => {
    placeAnswer = { ok: false, status: 503, reason: 'timeout' };
    await place().catch(() => undefined);
    placeAnswer = { ok: true, order: `${FARM}/orders/7` };
    cancelAnswer = { ok: false, status: 503, reason: 'network: socket hang up' };
    clock += 1000;
    expect(await service.retryUpstreamCancellations()).to.deep.equal({ settled: 0, postponed: 1 });
    const [found] = await store.orders.upstreamOwed(10);
    expect(found).to.deep.include({ target: `${FARM}/orders/7` });
    expect(found?.placement).to.equal(undefined);
    calls = [];
    cancelAnswer = { ok: true, order: `${FARM}/orders/7` };
    clock += 2000;
    expect(await service.retryUpstreamCancellations()).to.deep.equal({ settled: 1, postponed: 0 });
    expect(calls).to.deep.equal([`cancel ${FARM}/orders/7`]);
  });

  it('settles one the supplier refuses (no order for the key, or an order it will not cancel), and says so', async () => {
    placeAnswer = { ok: false, status: 503, reason: 'timeout' };
    await place().catch(() => undefined);
    placeAnswer = { ok: false, status: 409, reason: 'line 1: 2 requested, 0 available' };
    clock += 1000;
    expect(await service.retryUpstreamCancellations()).to.deep.equal({ settled: 1, postponed: 0 });
    expect(events.at(-1)).to.deep.include({ kind: 'done', note: 'the supplier holds no order for it: line 1: 2 requested, 0 available' });

    // A held order cancelled here while the supplier is down, whose order is then complete there.
    placeAnswer = { ok: true, order: `${FARM}/orders/2` };
    const held = await place();
    cancelAnswer = { ok: false, status: 503, reason: 'network: connect ECONNREFUSED' };
    await service.cancel('shop', held.order.iri, caller);
    expect((await store.orders.upstreamOwed(10)).map((c) => [c.target, c.order])).to.deep.equal([[`${FARM}/orders/2`, held.order.iri]]);
    cancelAnswer = { ok: false, status: 409, reason: 'order is Complete: it can no longer be cancelled' };
    clock += 1000;
    expect(await service.retryUpstreamCancellations()).to.deep.equal({ settled: 1, postponed: 0 });
    expect(events.at(-1)).to.deep.include({ kind: 'refused', reason: 'order is Complete: it can no longer be cancelled' });
    expect(await store.orders.upstreamOwed(10)).to.deep.equal([]);
  });

  it('gives up once the supplier\'s hold has surely run out (a day at least), and says so', async () => {
    placeAnswer = { ok: true, order: `${FARM}/orders/3` };
    const held = await place();
    cancelAnswer = { ok: false, status: 503, reason: 'network: connect ECONNREFUSED' };
    await service.cancel('shop', held.order.iri, caller);
    const [owed] = await store.orders.upstreamOwed(10);
    expect(Date.parse(owed?.giveUpAt as string)).to.be.at.least(clock + 86_400_000);
    clock = Date.parse(owed?.giveUpAt as string);
    expect(await service.retryUpstreamCancellations()).to.deep.equal({ settled: 1, postponed: 0 });
    expect(kinds()).to.deep.equal(['owed', 'given-up']);
    expect(await store.orders.upstreamOwed(10)).to.deep.equal([]);
  });
});
