/**
 * Removing a listing while a held order of it is past its hold but not swept yet (the sweep runs under `serve` only):
 * such an order is no open order, for the removal as for the refusal to delete records an open order names.
 */
import { expect } from 'chai';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.js';
import { bearer, startInProcess, type InProcessNode } from '../helpers/in-process.js';
import { listRemoteItem, type ListedItem } from '../helpers/listing.js';

const CONTEXT = 'https://www.datafoodconsortium.org';

describe('listing removal beside an expired order the sweep has not closed yet', function () {
  this.timeout(30_000);
  let peer: FakePeer;
  let shop: InProcessNode;
  let listed: ListedItem;

  before(async () => {
    let next = 1;
    peer = await startFakePeer((req, res, self) => {
      const api = `${self.base}/api/dfc/Enterprises/sup`;
      const path = new URL(req.url ?? '/', self.base).pathname;
      const n = req.method === 'POST' ? next++ : Number(/Orders\/(\d+)$/u.exec(path)?.[1]);
      const text = self.hits[self.hits.length - 1]?.body?.toString('utf8') ?? '';
      const status = /Cancelled/u.test(text) ? 'Cancelled' : 'Held';
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ '@context': CONTEXT, '@graph': [{ '@id': `${api}/Orders/${n}`, '@type': 'dfc-b:Order', 'dfc-b:hasOrderStatus': { '@id': `dfc-v:${status}` } }] }));
    }, { readBody: true });
    shop = await startInProcess({ base: 'http://b.test', orderHoldSeconds: 1 });
    await shop.seed('shop');
    const api = `${peer.base}/api/dfc/Enterprises/sup`;
    await shop.store.provenance.addPeer({ name: 'sup', url: `${api}/SuppliedProducts`, token: 'k', tokenHeader: 'x-api-token' }, peer.base);
    listed = await listRemoteItem(shop, 'shop', { key: 'pc', price: 2, originItem: `${api}/SuppliedProducts/case`, originProduct: `${api}/SuppliedProducts/case`, originOrders: `${api}/Orders` });
  });
  after(async () => { await shop.close(); await peer.close(); });

  it('removes the listing (204), not a 500 that leaves it stuck removing', async () => {
    const customer = await shop.token('shop', ['WriteOrders']);
    const admin = await shop.token('shop', ['WriteProducts']);
    const url = `${shop.base}/api/dfc/enterprises/shop/orders`;
    const body = JSON.stringify({ '@context': CONTEXT, '@graph': [
      { '@id': url, '@type': 'dfc-b:Order', 'dfc-b:hasOrderStatus': 'dfc-v:Held', 'dfc-b:hasPart': [`${url}/OrderLines/1`] },
      { '@id': `${url}/OrderLines/1`, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': 2, 'dfc-b:concerns': listed.offer },
    ] });
    const r = await shop.request('POST', '/api/dfc/enterprises/shop/orders', { headers: { 'content-type': 'application/json', ...bearer(customer) }, body });
    expect(r.status, r.text).to.equal(201);
    await new Promise((resolve) => { setTimeout(resolve, 1500); });
    const del = await shop.request('DELETE', `/api/dfc/enterprises/shop/listings/${listed.listing.id}`, { headers: bearer(admin) });
    expect(del.status, del.text).to.equal(204);
    expect(await shop.store.orders.listing(listed.listing.id)).to.equal(undefined);
    expect(await shop.store.getResource(listed.offer)).to.equal(undefined);
  });
});
