/**
 * The life of a listing beyond its creation, between real nodes on loopback (a farm, `http://farm.test`, reached
 * on its loopback port; a shop listing its tomatoes):
 * - the item deleted at its owner: the listing publishes a stock of 0, says `origin.state: "gone"`, refuses orders
 *   at once (409), and sells again when the item is back; an owner that does not answer (5xx, down) is not "gone";
 * - a listing that open orders sell from is not removed from under them (409 naming them), unless forced, which
 *   cancels them, at the owner too;
 * - the owner's changes reach the listing through its change feed within about a second, the owner being no peer;
 * - an origin that hangs or fails: one bounded wait, 503 with Retry-After; 422 only for what answered and is no
 *   DFC catalog item.
 */
import { expect } from 'chai';
import { safeFetch, type SafeFetch } from '../../server/net/safe-fetch.js';
import type { ListingView } from '../../server/orders/listings.js';
import type { ListingRow } from '../../server/store/orders.js';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.js';
import { bearer, farmRecords, startInProcess, type InProcessNode } from '../helpers/in-process.js';

const FARM = 'http://farm.test';
const TOMATO = `${FARM}/api/dfc/enterprises/ferme/catalog_items/tomate`;
const CONTEXT = 'https://www.datafoodconsortium.org';

/**
 * The shop reaches the farm's base URL on `target()` (the farm's port, or anything a test puts there); `before`,
 * when given, runs before each request is sent.
 */
function rewriting(target: () => string, before?: () => ((request: { url: string; method?: string }) => Promise<void>) | undefined): SafeFetch {
  return async (request, policy) => {
    await before?.()?.(request);
    return safeFetch({ ...request, url: request.url.startsWith(FARM) ? `${target()}${request.url.slice(FARM.length)}` : request.url }, policy);
  };
}

/** Sets an item's stock at its owner (a restock through the store: the ledger and the change feed follow). */
async function restock(node: InProcessNode, iri: string, stock: number): Promise<void> {
  const stored = await node.store.getResource(iri);
  if (stored?.record.kind !== 'CatalogItem') throw new Error(`no catalog item ${iri}`);
  await node.store.apply(stored.eid, { upsert: [{ ...stored.record, stock }] });
}

/** Puts the farm's tomatoes back as they were seeded. */
async function restore(farm: InProcessNode): Promise<void> {
  const records = farmRecords('ferme').filter((r) => r.id.endsWith('/tomate'));
  await farm.catalog.importRecords('ferme', records);
}

/** A one-line order of a shop's offer, as Open Food Network sends it. */
function order(collection: string, offer: string, quantity: number): string {
  return JSON.stringify({
    '@context': CONTEXT,
    '@graph': [
      { '@id': collection, '@type': 'dfc-b:Order', 'dfc-b:hasOrderStatus': 'dfc-v:Held', 'dfc-b:hasPart': [`${collection}/OrderLines/1`] },
      { '@id': `${collection}/OrderLines/1`, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': quantity, 'dfc-b:concerns': offer },
    ],
  });
}

async function until(what: string, probe: () => Promise<boolean>, ms: number): Promise<number> {
  const started = Date.now();
  while (!(await probe())) {
    if (Date.now() - started > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return Date.now() - started;
}

interface Pair {
  readonly farm: InProcessNode;
  readonly shop: InProcessNode;
  readonly manager: string;
  readonly customer: string;
  /** Where the shop reaches the farm (the farm's port by default). */
  target: string;
  /** Runs before each request of the shop is sent (none by default). */
  hook?: ((request: { url: string; method?: string }) => Promise<void>) | undefined;
  list(item?: string): Promise<ListingView>;
  view(id: number): Promise<ListingView>;
  post(offer: string, quantity: number, key?: string): ReturnType<InProcessNode['request']>;
  close(): Promise<void>;
}

async function startPair(): Promise<Pair> {
  const farm = await startInProcess({ base: FARM });
  await farm.seed('ferme');
  let pair: Pair | undefined;
  const shop = await startInProcess({ base: 'http://shop.test', notifier: { fetch: rewriting(() => pair?.target ?? farm.url, () => pair?.hook) } });
  await shop.seed('boutique');
  const manager = await shop.token('boutique', ['WriteProducts']);
  const customer = await shop.token('boutique', ['WriteOrders']);
  const collection = `${shop.base}/api/dfc/enterprises/boutique/orders`;
  pair = {
    farm, shop, manager, customer, target: farm.url,
    list: async (item = TOMATO) => {
      const response = await shop.request('POST', '/api/dfc/enterprises/boutique/listings', {
        headers: { ...bearer(manager), 'content-type': 'application/json' }, body: JSON.stringify({ item, price: 5 }),
      });
      expect(response.status, response.text).to.equal(201);
      return response.json<ListingView>();
    },
    view: (id) => shop.listings.get('boutique', id),
    post: (offer, quantity, key) => shop.request('POST', '/api/dfc/enterprises/boutique/orders', {
      headers: { ...bearer(customer), 'content-type': 'application/json', ...(key !== undefined ? { 'idempotency-key': key } : {}) }, body: order(collection, offer, quantity),
    }),
    close: async () => {
      await shop.close();
      await farm.close();
    },
  };
  return pair;
}

async function rowOf(node: InProcessNode, id: number): Promise<ListingRow> {
  const row = await node.store.orders.listing(id);
  if (row === undefined) throw new Error(`no listing ${id}`);
  return row;
}

describe('the life of a listing', function () {
  this.timeout(60_000);

  describe('an item its owner deleted', () => {
    let pair: Pair;
    let listing: ListingView;
    /** Where the order placed while the item was on sale is (with an Idempotency-Key). */
    let placedAt: string | null = null;
    before(async () => {
      pair = await startPair();
      // The shop holds a token at the farm for its orders (a peer of the farm's, never synced here).
      const atFarm = await pair.farm.token('ferme', ['WriteOrders', 'ReadProducts']);
      await pair.shop.store.provenance.addPeer({ name: 'ferme', url: `${FARM}/api/dfc/enterprises/ferme/catalog_items`, token: atFarm }, FARM);
      listing = await pair.list();
    });
    after(() => pair.close());

    it('keeps the last stock and price while the owner answers 5xx or is down: unreachable is not gone', async () => {
      const failing: FakePeer = await startFakePeer((_req, res) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('oops');
      });
      try {
        for (const target of [failing.base, 'http://127.0.0.1:1']) {
          pair.target = target;
          const outcome = await pair.shop.listings.refresh(await rowOf(pair.shop, listing.id));
          expect(outcome.ok, target).to.equal(false);
          const view = await pair.view(listing.id);
          expect(view.origin.state, target).to.equal('available');
          expect(view.published, target).to.deep.include({ stock: 12, price: 5 });
          // A new price needs the owner's price and stock now: 503, and nothing changed.
          const terms = await pair.shop.request('PATCH', `/api/dfc/enterprises/boutique/listings/${listing.id}`, {
            headers: { ...bearer(pair.manager), 'content-type': 'application/json' }, body: '{"markup": 10}',
          });
          expect(terms.status, `${target}: ${terms.text}`).to.equal(503);
          expect(terms.headers.get('retry-after')).to.equal('60');
          expect(terms.json<{ detail: string }>().detail).to.match(/cannot be reached, so the new price cannot be set/u);
          expect(await pair.view(listing.id), target).to.deep.include({ markup: null, price: 5 });
        }
      } finally {
        pair.target = pair.farm.url;
        await failing.close();
      }
    });

    it('publishes a stock of 0 and says gone once the owner answers 404 for it (pull), keeping the listing', async () => {
      await pair.farm.catalog.deleteProduct('ferme', 'tomate');
      const outcome = await pair.shop.listings.refresh(await rowOf(pair.shop, listing.id));
      expect(outcome).to.deep.equal({ ok: true, changed: true, gone: true });
      const view = await pair.view(listing.id);
      expect(view.origin.state).to.equal('gone');
      expect(view.origin.goneSince).to.be.a('string');
      expect(view.origin.goneReason).to.match(/no dfc-b:CatalogItem/u);
      expect(view.published).to.deep.include({ stock: 0, price: 5 });
      // What the shop publishes says it too: no stock to sell.
      const offer = await pair.shop.store.getResource(listing.offer);
      expect(offer?.record.kind === 'Offer' ? offer.record.stock : undefined).to.equal(0);
      // And the API and a second look say the same.
      const api = await pair.shop.request('GET', `/api/dfc/enterprises/boutique/listings/${listing.id}`, { headers: bearer(pair.manager) });
      expect(api.json<ListingView>().origin.state).to.equal('gone');
      expect(await pair.shop.listings.refresh(await rowOf(pair.shop, listing.id))).to.deep.equal({ ok: true, changed: false, gone: true });
      // New terms are kept for when the item is back; it stays off sale meanwhile.
      const terms = await pair.shop.request('PATCH', `/api/dfc/enterprises/boutique/listings/${listing.id}`, {
        headers: { ...bearer(pair.manager), 'content-type': 'application/json' }, body: '{"markup": "10%"}',
      });
      expect(terms.status, terms.text).to.equal(200);
      expect(terms.json<ListingView>()).to.deep.include({ markup: 10, price: null });
      expect(terms.json<ListingView>().origin.state).to.equal('gone');
      expect(terms.json<ListingView>().published).to.deep.include({ stock: 0, price: 5 });
    });

    it('refuses an order of it at once (409 naming the line), without asking the owner', async () => {
      const before = (await pair.farm.store.orders.list('ferme', { offset: 0, limit: 100 })).total;
      const refused = await pair.post(listing.offer, 2);
      expect(refused.status, refused.text).to.equal(409);
      expect(refused.headers.get('content-type')).to.match(/^application\/problem\+json/u);
      const problem = refused.json<{ detail: string; shortLines: { line: number; offer: string; available: number }[] }>();
      expect(problem.shortLines).to.deep.equal([{ line: 1, id: `${pair.shop.base}/api/dfc/enterprises/boutique/orders/OrderLines/1`, offer: listing.offer, item: listing.item, requested: 2, available: 0 }]);
      expect(problem.detail).to.match(/not on sale: .*no longer sold by its owner/u);
      expect(refused.json<{ problems: { code: string }[] }>().problems.map((p) => p.code)).to.deep.equal(['insufficient-stock', 'not-on-sale']);
      // With an Idempotency-Key: the same refusal, and the same again on a retry.
      const keyed = await pair.post(listing.offer, 2, 'gone-1');
      expect(keyed.status, keyed.text).to.equal(409);
      const retried = await pair.post(listing.offer, 2, 'gone-1');
      expect(retried.status, retried.text).to.equal(409);
      expect(retried.json<{ detail: string }>().detail).to.equal(keyed.json<{ detail: string }>().detail);
      expect(retried.json<{ shortLines: unknown }>().shortLines).to.deep.equal(problem.shortLines);
      // The owner was never asked.
      expect((await pair.farm.store.orders.list('ferme', { offset: 0, limit: 100 })).total).to.equal(before);
    });

    it('sells again when the item is back at its owner', async () => {
      await restore(pair.farm);
      const outcome = await pair.shop.listings.refresh(await rowOf(pair.shop, listing.id));
      expect(outcome).to.deep.equal({ ok: true, changed: true });
      const view = await pair.view(listing.id);
      expect(view.origin.state).to.equal('available');
      expect(view.origin.goneSince).to.equal(undefined);
      expect(view.published.stock).to.equal(12);
      // At the terms set while it was gone: the owner's 4.5 and 10 %.
      expect(view.published.price).to.equal(4.95);
      const placed = await pair.post(listing.offer, 2, 'while-on-sale');
      expect(placed.status, placed.text).to.equal(201);
      placedAt = placed.headers.get('location');
      expect((await pair.farm.store.orders.stock(TOMATO))?.reserved).to.equal(2);
    });

    it('is gone as soon as the owner\'s change feed says the item was deleted (a sync of the owner as a peer)', async () => {
      const peer = await pair.shop.store.provenance.addPeer({ name: 'ferme-sync', url: `${FARM}/api/dfc/enterprises/ferme` }, FARM);
      expect((await pair.shop.scheduler.syncOne(peer)).ok).to.equal(true);
      // Cancelled first: the farm keeps an item some order still reserves.
      const held = (await pair.shop.store.orders.list('boutique', { offset: 0, limit: 10 })).orders.find((o) => o.state === 'Held');
      if (held !== undefined) await pair.shop.orders.cancelAsSeller(held.iri, 'test');
      await pair.farm.catalog.deleteProduct('ferme', 'tomate');
      // The next sync reads the farm's feed, which says Delete: the listing is gone without asking the farm again.
      const outcome = await pair.shop.scheduler.syncOne((await pair.shop.store.provenance.getPeer(peer.id)) ?? peer);
      expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
      expect((await pair.shop.store.feed.peerFeed(peer.id)).cursor).to.not.equal(null);
      const view = await pair.view(listing.id);
      expect(view.origin.state).to.equal('gone');
      expect(view.origin.goneReason).to.match(/change feed says .*tomate was deleted/u);
      expect(view.published.stock).to.equal(0);
      // A retry of a request accepted while the item was on sale gets the order it made, not a refusal.
      const retried = await pair.post(listing.offer, 2, 'while-on-sale');
      expect(retried.status, retried.text).to.equal(201);
      expect(retried.headers.get('location')).to.equal(placedAt).and.not.equal(null);
      await restore(pair.farm);
    });
  });

  describe('removing a listing that open orders sell from', () => {
    let pair: Pair;
    before(async () => {
      pair = await startPair();
      const atFarm = await pair.farm.token('ferme', ['WriteOrders', 'ReadProducts']);
      await pair.shop.store.provenance.addPeer({ name: 'ferme', url: `${FARM}/api/dfc/enterprises/ferme/catalog_items`, token: atFarm }, FARM);
    });
    after(() => pair.close());

    it('is refused with 409 naming the held orders; the listing still sells; force=true cancels them, at the owner too', async () => {
      const listing = await pair.list();
      const placed = await pair.post(listing.offer, 3);
      expect(placed.status, placed.text).to.equal(201);
      const iri = placed.headers.get('location') ?? '';
      const orderIri = iri.startsWith('http') ? iri : `${pair.shop.base}${iri}`;
      expect((await pair.farm.store.orders.stock(TOMATO))?.reserved).to.equal(3);
      const path = `/api/dfc/enterprises/boutique/listings/${listing.id}`;

      const refused = await pair.shop.request('DELETE', path, { headers: bearer(pair.manager) });
      expect(refused.status, refused.text).to.equal(409);
      expect(refused.headers.get('content-type')).to.match(/^application\/problem\+json/u);
      const problem = refused.json<{ detail: string; openOrders: string[] }>();
      expect(problem.openOrders).to.deep.equal([orderIri]);
      expect(problem.detail).to.contain(orderIri).and.to.match(/force=true/u);
      // Nothing changed: the listing is there and takes orders.
      expect((await pair.view(listing.id)).published.stock).to.equal(12);
      expect((await rowOf(pair.shop, listing.id)).details?.['removing']).to.equal(undefined);
      const second = await pair.post(listing.offer, 1);
      expect(second.status, second.text).to.equal(201);
      expect((await pair.farm.store.orders.stock(TOMATO))?.reserved).to.equal(4);

      expect((await pair.shop.request('DELETE', `${path}?force=maybe`, { headers: bearer(pair.manager) })).status).to.equal(400);
      const forced = await pair.shop.request('DELETE', `${path}?force=true`, { headers: bearer(pair.manager) });
      expect(forced.status, forced.text).to.equal(200);
      expect(forced.json<{ cancelledOrders: string[] }>().cancelledOrders).to.have.length(2).and.to.include(orderIri);
      expect((await pair.shop.store.orders.get(orderIri))?.state).to.equal('Cancelled');
      // The owner's reservations are released, not left to expire.
      expect((await pair.farm.store.orders.stock(TOMATO))).to.include({ reserved: 0, available: 12 });
      expect((await pair.shop.request('GET', path, { headers: bearer(pair.manager) })).status).to.equal(404);
    });

    it('cancels an order placed while its listing was being removed (at the owner too), instead of leaving it naming nothing', async () => {
      const listing = await pair.list();
      // The removal starts while the shop places the order at the farm: it sees no open order yet.
      pair.hook = async (request) => {
        if (request.method !== 'POST' || !request.url.includes('/orders')) return;
        pair.hook = undefined;
        const row = await rowOf(pair.shop, listing.id);
        await pair.shop.store.orders.setListingDetail(row.id, 'removing', true);
      };
      const placed = await pair.post(listing.offer, 2);
      expect(placed.status, placed.text).to.equal(409);
      expect(placed.json<{ detail: string }>().detail).to.match(/removed while the order was placed/u);
      expect((await pair.farm.store.orders.stock(TOMATO))).to.include({ reserved: 0, available: 12 });
      const { orders } = await pair.shop.store.orders.list('boutique', { offset: 0, limit: 10 });
      expect(orders[0]?.state).to.equal('Cancelled');
      expect(await pair.shop.store.orders.openOrdersOfListing(listing.id, new Date().toISOString())).to.deep.equal([]);
      await pair.shop.listings.remove('boutique', listing.id);
    });

    it('removes a listing whose orders are closed without asking (204)', async () => {
      const listing = await pair.list();
      const placed = await pair.post(listing.offer, 1);
      expect(placed.status, placed.text).to.equal(201);
      const location = placed.headers.get('location') ?? '';
      const cancelled = await pair.shop.request('DELETE', new URL(location, pair.shop.base).pathname, { headers: bearer(pair.customer) });
      expect(cancelled.status, cancelled.text).to.be.oneOf([200, 204]);
      const removed = await pair.shop.request('DELETE', `/api/dfc/enterprises/boutique/listings/${listing.id}`, { headers: bearer(pair.manager) });
      expect(removed.status, removed.text).to.equal(204);
    });
  });

  describe('following the owner\'s change feed (the owner is no peer)', () => {
    let pair: Pair;
    before(async () => {
      pair = await startPair();
      await pair.shop.listingFollower.start();
    });
    after(() => pair.close());

    it('brings a stock change at the owner to the listing within 2 s, without a sync or the pull timer', async () => {
      const listing = await pair.list();
      expect(await pair.shop.store.provenance.listPeers()).to.deep.equal([]);
      await until('the follower to follow the farm', async () => pair.shop.listingFollower.origins().includes(FARM), 2000);
      // Let the follower take the feed's position first (a change before it is caught up by a read of the origin).
      await new Promise((resolve) => setTimeout(resolve, 300));
      await restock(pair.farm, TOMATO, 7);
      const took = await until('the new stock at the shop', async () => (await pair.view(listing.id)).published.stock === 7, 2000);
      expect(took).to.be.below(2000);
      await pair.farm.catalog.updateOffer('ferme', 'tomate', { text: JSON.stringify({ 'dfc-b:hasPrice': 6 }), mediaType: 'application/json' });
      await restock(pair.farm, TOMATO, 4);
      await until('the second stock change', async () => (await pair.view(listing.id)).published.stock === 4, 2000);
    });

    it('takes the listing off sale within 2 s when the owner deletes the item, and back on sale when it returns', async () => {
      const [row] = await pair.shop.store.orders.listings('boutique');
      const id = (row as ListingRow).id;
      await pair.farm.catalog.deleteProduct('ferme', 'tomate');
      await until('the listing gone', async () => (await pair.view(id)).origin.state === 'gone', 2000);
      expect((await pair.view(id)).published.stock).to.equal(0);
      await restore(pair.farm);
      await until('the listing back', async () => (await pair.view(id)).origin.state === 'available', 2000);
      expect((await pair.view(id)).published.stock).to.equal(12);
    });

    it('stops following the owner when its last listing is removed', async () => {
      const [row] = await pair.shop.store.orders.listings('boutique');
      await pair.shop.listings.remove('boutique', (row as ListingRow).id);
      await until('the follower to let the farm go', async () => pair.shop.listingFollower.origins().length === 0, 2000);
    });
  });

  describe('an origin that hangs or fails', () => {
    let shop: InProcessNode;
    let token: string;
    let origin: FakePeer;
    let answer: 'hang' | 500 | 404 = 'hang';
    before(async () => {
      origin = await startFakePeer((req, res) => {
        if (answer === 'hang') return;
        // A server whose item route fails while its other paths answer 404, as a crashing application does.
        const status = answer === 500 && req.url?.includes('/catalog_items/y') === true ? 500 : 404;
        res.writeHead(status, { 'content-type': 'text/html' }).end('<html>no</html>');
      });
      shop = await startInProcess({ base: 'http://shop.test', fetchTimeoutMs: 1500 });
      await shop.seed('boutique');
      token = await shop.token('boutique', ['WriteProducts']);
    });
    after(async () => {
      await shop?.close();
      await origin?.close();
    });

    const post = (): ReturnType<InProcessNode['request']> => shop.request('POST', '/api/dfc/enterprises/boutique/listings', {
      headers: { ...bearer(token), 'content-type': 'application/json' }, body: JSON.stringify({ item: `${origin.base}/api/dfc/enterprises/x/catalog_items/y` }),
    });

    it('gives up on an origin that never answers after one bounded wait, with 503 and Retry-After', async () => {
      answer = 'hang';
      const hits = origin.hits.length;
      const started = Date.now();
      const response = await post();
      const took = Date.now() - started;
      expect(response.status, response.text).to.equal(503);
      expect(response.headers.get('retry-after')).to.match(/^\d+$/u);
      expect(response.json<{ detail: string }>().detail).to.match(/cannot be reached/u);
      // One fetch deadline (1.5 s) in all, not one per document tried.
      expect(took).to.be.below(2500);
      expect(origin.hits.length - hits).to.equal(1);
    });

    it('answers 503 (unreachable), not 422, for an origin whose item answers 500 (its other documents 404)', async () => {
      answer = 500;
      const response = await post();
      expect(response.status, response.text).to.equal(503);
      expect(response.headers.get('retry-after')).to.match(/^\d+$/u);
    });

    it('answers 422 for an origin that answers, but holds no such item (404)', async () => {
      answer = 404;
      const response = await post();
      expect(response.status, response.text).to.equal(422);
      expect(response.json<{ detail: string }>().detail).to.match(/no dfc-b:CatalogItem/u);
    });
  });
});
