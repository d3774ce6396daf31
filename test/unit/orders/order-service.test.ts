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
    await store.orders.addListing({
      eid: 'shop', item: id('catalog_items/miel'), offer: id('offers/miel'), product: id('supplied_products/miel'), originItem: `${FARM}/catalog_items/miel`,
      originOffer: `${FARM}/offers/miel`, originProduct: `${FARM}/supplied_products/miel`, originOrders: `${FARM}/orders`, factor: 1,
    });
    wakes = 0;
    answer = { ok: true, order: `${FARM}/orders/1` };
    const upstream: UpstreamOrders = {
      place: async () => answer,
      complete: async (o) => ({ ok: true, order: o }),
      cancel: async (o) => ({ ok: true, order: o }),
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
