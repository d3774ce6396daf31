/**
 * A completion of an order placed at two suppliers, where the first completes and the second says its order is
 * closed there: the first delivers and bills, so the shop's order must not be cancelled (nor the first's).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeId } from '../../../ontology/iri.js';
import type { DfcRecord } from '../../../ontology/records.js';
import { Decoder } from '../../../server/codec/decode.js';
import { OrderService, type UpstreamOrders } from '../../../server/orders/order-service.js';
import { SqliteStore } from '../../../server/store/sqlite/sqlite-store.js';
import { NodeUrls } from '../../../server/urls/node-urls.js';
import { listingRowOf } from '../../helpers/listing.js';

const base = 'https://shop.example';
const api = `${base}/api/dfc/enterprises/shop`;
const id = (path: string): NodeId => `${api}/${path}` as NodeId;
const FARM1 = 'https://farm1.example/api/dfc/enterprises/f';
const FARM2 = 'https://farm2.example/api/dfc/enterprises/f';

function body(status: string, iri?: string): string {
  const url = iri ?? `${api}/orders`;
  return JSON.stringify({ '@context': 'https://www.datafoodconsortium.org', '@graph': [
    { '@id': url, '@type': 'dfc-b:Order', 'dfc-b:hasOrderStatus': status, 'dfc-b:hasPart': [`${url}/OrderLines/1`, `${url}/OrderLines/2`] },
    { '@id': `${url}/OrderLines/1`, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': 2, 'dfc-b:concerns': id('offers/miel') },
    { '@id': `${url}/OrderLines/2`, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': 1, 'dfc-b:concerns': id('offers/pain') },
  ] });
}

describe('orders: a completion that one supplier takes and another cannot', () => {
  it('keeps the shop\'s order held, cancels nothing at the supplier that completed, and says so (409)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rev-'));
    const store = await SqliteStore.open({ path: join(dir, 'node.db'), baseUrl: base });
    const calls: string[] = [];
    const atSupplier = new Map<string, string>();
    const upstream: UpstreamOrders = {
      place: async (r) => { const o = `${r.ordersUrl}/1`; atSupplier.set(o, 'Held'); calls.push(`place ${o}`); return { ok: true, order: o }; },
      complete: async (o) => {
        calls.push(`complete ${o}`);
        if (o.startsWith(FARM2)) { atSupplier.set(o, 'Cancelled'); return { ok: false, status: 409, reason: 'order expired' }; }
        atSupplier.set(o, 'Complete'); return { ok: true, order: o };
      },
      cancel: async (o) => { calls.push(`cancel ${o}`); return atSupplier.get(o) === 'Complete' ? { ok: false, status: 409, reason: 'order is Complete' } : { ok: true, order: o }; },
      state: async (o) => atSupplier.get(o) as 'Cancelled',
    };
    const events: unknown[] = [];
    const service = new OrderService({ store, decoder: new Decoder(), urls: new NodeUrls(base), upstream, onUpstreamCancellation: (e) => void events.push(e) });
    await store.createEnterprise('shop', api, []);
    const records: DfcRecord[] = [];
    for (const k of ['miel', 'pain']) {
      records.push({ kind: 'CatalogItem', id: id(`catalog_items/${k}`), stock: null, offers: [id(`offers/${k}`)], listedIn: [] },
        { kind: 'Offer', id: id(`offers/${k}`), item: id(`catalog_items/${k}`), stock: null });
    }
    await store.apply('shop', { upsert: records });
    await store.orders.addListing(listingRowOf('shop', api, 'miel', FARM1));
    await store.orders.addListing(listingRowOf('shop', api, 'pain', FARM2));
    const caller = { id: 'buyer', readsAll: true };
    const created = await service.create('shop', `${api}/orders`, { text: body('dfc-v:Held'), mediaType: 'application/json' }, caller);
    try {
      const refused = await service.update('shop', created.order.iri, { text: body('dfc-v:Complete', created.order.iri), mediaType: 'application/json' }, caller)
        .then(() => undefined, (e: unknown) => e as { status?: number; message: string });
      expect(refused?.status).to.equal(409);
      expect(refused?.message).to.match(/closed there .* completed already: this order stays held/u);
      expect((await store.orders.get(created.order.iri))?.state).to.equal('Held');
      expect(calls.filter((c) => c.startsWith('cancel')), 'nothing cancelled at a supplier').to.deep.equal([]);
      expect([...atSupplier.values()].sort()).to.deep.equal(['Cancelled', 'Complete']);
      expect(events).to.deep.equal([]);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
