/**
 * Listings between two in-process nodes (a shop listing a farm's items, the farm being a Maillon node reached
 * through a loopback rewrite of its base URL) and with a static Open Food Network / FDC-shaped supplier selling
 * a wholesale case: what the shop publishes, how the origin's stock reaches it (pull and push), removal, and the
 * refusals.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CatalogItemRecord, DfcRecord, OfferRecord, SuppliedProductRecord } from '../../ontology/records.js';
import { DFC_B, OWL } from '../../ontology/vocabulary.js';
import { safeFetch, type SafeFetch } from '../../server/net/safe-fetch.js';
import type { ListingView } from '../../server/orders/listings.js';
import { startStaticPeer, type StaticPeer } from '../helpers/fake-peer.js';
import { bearer, startInProcess, type InProcessNode } from '../helpers/in-process.js';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURE = readFileSync(join(here, '../fixtures/fdc-wholesale.json'), 'utf8');
const FARM = 'http://farm.test';

/** The shop reaches the farm's base URL (`http://farm.test`) on its loopback port. */
function rewriting(target: () => string): SafeFetch {
  return (request, policy) => safeFetch({ ...request, url: request.url.replace(FARM, target()) }, policy);
}

/**
 * Sets an item's stock at its owner as a stock write does (the ledger restocks, the mirroring offer follows),
 * through the store: the catalogue's own stock write is not what these tests are about.
 */
async function restock(node: InProcessNode, iri: string, stock: number): Promise<void> {
  const stored = await node.store.getResource(iri);
  if (stored?.record.kind !== 'CatalogItem') throw new Error(`no catalog item ${iri}`);
  await node.store.apply(stored.eid, { upsert: [{ ...stored.record, stock }] });
}

async function catalogueOf(node: InProcessNode, eid: string): Promise<DfcRecord[]> {
  const response = await node.request('GET', `/api/dfc/enterprises/${eid}/supplied_products`, { headers: { accept: 'application/ld+json' } });
  expect(response.status).to.equal(200);
  return (await node.decoder.decode(response.text, { mediaType: 'application/ld+json' })).records;
}

function post(node: InProcessNode, token: string, eid: string, body: unknown): ReturnType<InProcessNode['request']> {
  return node.request('POST', `/api/dfc/enterprises/${eid}/listings`, {
    headers: { ...bearer(token), 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
}

describe('listings (two nodes)', function () {
  this.timeout(30_000);
  let farm: InProcessNode;
  let shop: InProcessNode;
  let token: string;
  const tomato = `${FARM}/api/dfc/enterprises/ferme/catalog_items/tomate`;

  before(async () => {
    // The farm reaches the shop's ids on the shop's port, as DNS would (once the shop is up).
    farm = await startInProcess({
      base: FARM, notifier: { fetch: (request, policy) => safeFetch({ ...request, url: request.url.replace('http://shop.test', shop.url) }, policy) },
    });
    await farm.seed('ferme');
    shop = await startInProcess({ base: 'http://shop.test', notifier: { fetch: rewriting(() => farm.url) } });
    await shop.seed('boutique');
    token = await shop.token('boutique', ['WriteProducts']);
  });
  after(async () => {
    await shop?.close();
    await farm?.close();
  });

  it('publishes the remote item in the shop\'s catalogue, with the markup, the owner\'s stock and owl:sameAs', async () => {
    const response = await post(shop, token, 'boutique', { item: tomato, markup: '10%' });
    expect(response.status, response.text).to.equal(201);
    expect(response.headers.get('content-type')).to.match(/^application\/json/u);
    const view = response.json<ListingView>();
    expect(response.headers.get('location')).to.equal(`/api/dfc/enterprises/boutique/listings/${view.id}`);
    expect(view).to.deep.include({ factor: 1, markup: 10, price: null });
    expect(view.origin).to.deep.equal({
      item: tomato, offer: `${FARM}/api/dfc/enterprises/ferme/offers/tomate`, product: `${FARM}/api/dfc/enterprises/ferme/supplied_products/tomate`,
      orders: `${FARM}/api/dfc/enterprises/ferme/orders`, state: 'available',
    });
    expect(view.published).to.deep.include({ price: 4.95, stock: 12 });
    expect(view.item).to.match(/^http:\/\/shop\.test\/api\/dfc\/enterprises\/boutique\/catalog_items\/listing-/u);

    const records = await catalogueOf(shop, 'boutique');
    const product = records.find((r): r is SuppliedProductRecord => r.id === view.product && r.kind === 'SuppliedProduct');
    expect(product?.name).to.equal('Tomates anciennes');
    expect(product?.extra?.[OWL.sameAs]).to.deep.equal([{ '@id': `${FARM}/api/dfc/enterprises/ferme/supplied_products/tomate` }]);
    const item = records.find((r): r is CatalogItemRecord => r.id === view.item && r.kind === 'CatalogItem');
    expect(item?.stock).to.equal(12);
    const offer = records.find((r): r is OfferRecord => r.id === view.offer && r.kind === 'Offer');
    expect(offer?.price?.value).to.equal(4.95);
    // The enterprise's profile lists it like any product of its own.
    const profile = await shop.request('GET', '/api/dfc/enterprises/boutique', { headers: { accept: 'application/ld+json' } });
    expect(profile.text).to.include(view.product.split('/').pop());
    // The order service sees the local item as a listing.
    expect((await shop.store.orders.listingByLocal(view.item))?.originProduct).to.equal(view.origin.product);
  });

  it('lists, reads one, and refuses a second listing of the same item', async () => {
    const all = await shop.request('GET', '/api/dfc/enterprises/boutique/listings', { headers: bearer(token) });
    expect(all.status).to.equal(200);
    const [first] = all.json<{ listings: ListingView[] }>().listings;
    expect(first?.origin.item).to.equal(tomato);
    const one = await shop.request('GET', `/api/dfc/enterprises/boutique/listings/${first?.id}`, { headers: bearer(token) });
    expect(one.json<ListingView>().item).to.equal(first?.item);
    const again = await post(shop, token, 'boutique', { item: tomato });
    expect(again.status).to.equal(409);
    expect(again.headers.get('content-type')).to.match(/^application\/problem\+json/u);
  });

  it('refuses (422) a listing of a listing of one of its own items: orders of it would go round', async () => {
    const [listing] = await shop.store.orders.listings('boutique');
    const farmer = await farm.token('ferme', ['WriteProducts']);
    const response = await post(farm, farmer, 'ferme', { item: listing?.item });
    expect(response.status, response.text).to.equal(422);
    expect(response.headers.get('content-type')).to.match(/^application\/problem\+json/u);
    expect(response.json<{ detail: string }>().detail).to.contain('leads back to this node')
      .and.to.contain(`${listing?.product} is owl:sameAs ${FARM}/api/dfc/enterprises/ferme/supplied_products/tomate`);
    expect(await farm.store.orders.listings('ferme')).to.deep.equal([]);
  });

  it('mirrors the owner\'s stock change by pull (refresh)', async () => {
    const [listing] = await shop.store.orders.listings('boutique');
    await restock(farm, tomato, 7);
    expect(await shop.listings.refresh(listing as NonNullable<typeof listing>)).to.deep.equal({ ok: true, changed: true });
    expect((await shop.listings.get('boutique', listing?.id as number)).published.stock).to.equal(7);
    expect(await shop.listings.refresh(listing as NonNullable<typeof listing>)).to.deep.equal({ ok: true, changed: false });
  });

  it('mirrors the owner\'s stock and price change by push (the records a sync applies)', async () => {
    const [listing] = await shop.store.orders.listings('boutique');
    await restock(farm, tomato, 3);
    await farm.catalog.updateOffer('ferme', 'tomate', { text: JSON.stringify({ 'dfc-b:hasPrice': 5 }), mediaType: 'application/json' });
    const peer = await shop.store.provenance.addPeer({ name: 'farm', url: `${FARM}/api/dfc/enterprises/ferme/catalog_items` }, FARM);
    const outcome = await shop.scheduler.syncOne(peer);
    expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
    const view = await shop.listings.get('boutique', listing?.id as number);
    expect(view.published).to.deep.include({ stock: 3, price: 5.5 });
    // The next sync reads the farm's change feed (incremental): its changes are pushed the same way.
    await restock(farm, tomato, 2);
    const again = await shop.scheduler.syncOne((await shop.store.provenance.getPeer(peer.id)) ?? peer);
    expect(again.ok, JSON.stringify(again)).to.equal(true);
    expect((await shop.store.feed.peerFeed(peer.id)).cursor).to.not.equal(null);
    expect((await shop.listings.get('boutique', listing?.id as number)).published.stock).to.equal(2);
  });

  it('a new listing sells at the owner\'s stock and price now, not at what the shop\'s last sync held', async () => {
    const cheese = `${FARM}/api/dfc/enterprises/ferme/catalog_items/chevre`;
    // The shop synced the farm (the test above): it holds the cheese out of stock at 3.20. The farm then restocks it
    // and changes its price, and the shop does not sync again.
    expect((await shop.store.index.queryEntries({})).find((e) => e.itemIri === cheese)).to.deep.include({ stock: 0, price: 3.2 });
    await restock(farm, cheese, 9);
    await farm.catalog.updateOffer('ferme', 'chevre', { text: JSON.stringify({ 'dfc-b:hasPrice': 3.6 }), mediaType: 'application/json' });
    const response = await post(shop, token, 'boutique', { item: cheese });
    expect(response.status, response.text).to.equal(201);
    const view = response.json<ListingView>();
    expect(view.published).to.deep.include({ stock: 9, price: 3.6 });
    const records = await catalogueOf(shop, 'boutique');
    expect(records.find((r): r is CatalogItemRecord => r.id === view.item && r.kind === 'CatalogItem')?.stock).to.equal(9);
    expect(records.find((r): r is OfferRecord => r.id === view.offer && r.kind === 'Offer')?.price?.value).to.equal(3.6);
    expect((await shop.request('DELETE', `/api/dfc/enterprises/boutique/listings/${view.id}`, { headers: bearer(token) })).status).to.equal(204);
  });

  it('changes the price a listing sells at (PATCH): fixed, a markup, the origin\'s, published at once', async () => {
    const [listing] = await shop.store.orders.listings('boutique');
    const url = `/api/dfc/enterprises/boutique/listings/${listing?.id}`;
    const patch = (body: unknown, headers: Record<string, string> = {}): ReturnType<InProcessNode['request']> => shop.request('PATCH', url, {
      headers: { ...bearer(token), 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
    });
    const offerPrice = async (): Promise<unknown> => (await catalogueOf(shop, 'boutique'))
      .find((r): r is OfferRecord => r.id === listing?.offer && r.kind === 'Offer')?.price?.value;
    // The farm sells at 5 now (the test before): a fixed price, then a discount on its price, then its price.
    const fixed = await patch({ price: '4.20' });
    expect(fixed.status, fixed.text).to.equal(200);
    expect(fixed.json<ListingView>()).to.deep.include({ price: 4.2, markup: null });
    expect(fixed.json<ListingView>().published.price).to.equal(4.2);
    expect(await offerPrice()).to.equal(4.2);
    const discount = await patch({ markup: '-10%' });
    expect(discount.json<ListingView>()).to.deep.include({ price: null, markup: -10 });
    expect(await offerPrice()).to.equal(4.5);
    const origin = await patch({ price: null });
    expect(origin.json<ListingView>()).to.deep.include({ price: null, markup: null });
    expect(await offerPrice()).to.equal(5);

    // Refused, nothing changed: what is no term, what cannot be published (5 × 0.0001 rounds to 0.00), no body.
    for (const [body, status, detail] of [
      [{ price: 0 }, 422, /price must be an amount above 0/u], [{ price: 1, markup: 2 }, 422, /not both/u], [{}, 422, /nothing to change/u],
      [{ stock: 3 }, 422, /"stock" cannot be changed/u], [{ markup: '-99.99%' }, 422, /cannot be sold at these terms/u], [{ markup: '0x10' }, 422, /markup must be/u],
      [[1], 400, /an array/u],
    ] as const) {
      const refused = await patch(body);
      expect(refused.status, `${JSON.stringify(body)}: ${refused.text}`).to.equal(status);
      expect(refused.headers.get('content-type')).to.match(/^application\/problem\+json/u);
      expect(refused.json<{ detail: string }>().detail).to.match(detail);
    }
    expect((await patch({ price: 1 }, { 'content-type': 'text/plain' })).status).to.equal(415);
    expect((await shop.request('PATCH', url, { headers: { 'content-type': 'application/json' }, body: '{"price": 1}' })).status).to.equal(401);
    const other = await shop.request('PATCH', '/api/dfc/enterprises/boutique/listings/999999', { headers: { ...bearer(token), 'content-type': 'application/json' }, body: '{"price": 1}' });
    expect(other.status).to.equal(404);
    expect((await shop.listings.get('boutique', listing?.id as number))).to.deep.include({ price: null, markup: null });
    expect(await offerPrice()).to.equal(5);

    // A mirror that read the listing before its terms changed publishes the new terms, not the old ones.
    const before = (await shop.store.orders.listing(listing?.id as number)) as NonNullable<typeof listing>;
    expect((await patch({ price: 3.3 })).status).to.equal(200);
    await restock(farm, tomato, 4);
    expect((await shop.listings.refresh(before)).ok).to.equal(true);
    expect(await offerPrice()).to.equal(3.3);
    expect((await shop.listings.get('boutique', listing?.id as number)).published).to.deep.include({ price: 3.3, stock: 4 });

    // As the tests after this one expect it.
    expect((await patch({ markup: 10 })).json<ListingView>().published.price).to.equal(5.5);
    await restock(farm, tomato, 2);
    await shop.listings.refresh(before);
  });

  it('takes a fixed price, keeps an on-demand item on demand, and removes a listing with what it published', async () => {
    const response = await post(shop, token, 'boutique', { item: `${FARM}/api/dfc/enterprises/ferme/catalog_items/carottes`, price: 2.5 });
    expect(response.status, response.text).to.equal(201);
    const view = response.json<ListingView>();
    expect(view.published).to.deep.include({ price: 2.5, stock: null });
    expect(view.price).to.equal(2.5);
    const removed = await shop.request('DELETE', `/api/dfc/enterprises/boutique/listings/${view.id}`, { headers: bearer(token) });
    expect(removed.status).to.equal(204);
    expect((await catalogueOf(shop, 'boutique')).map((r) => r.id)).to.not.include.members([view.item, view.offer, view.product]);
    const gone = await shop.request('GET', `/api/dfc/enterprises/boutique/listings/${view.id}`, { headers: bearer(token) });
    expect(gone.status).to.equal(404);
    expect(gone.headers.get('content-type')).to.match(/^application\/problem\+json/u);
  });

  it('sells a wholesale case by the unit through a Maillon node that imported it (its planned transformation republished), and names a short line in units', async () => {
    const decoded = await farm.decoder.decode(FIXTURE, { mediaType: 'application/ld+json' });
    await farm.catalog.importRecords('moulin', decoded.records, { create: true });
    const ours = (path: string): string => `${FARM}/api/dfc/enterprises/moulin/${path}`;
    const response = await post(shop, token, 'boutique', { item: ours('catalog_items/101') });
    expect(response.status, response.text).to.equal(201);
    const view = response.json<ListingView>();
    expect(view.factor).to.equal(6);
    expect(view.origin).to.deep.equal({
      item: ours('catalog_items/101'), offer: ours('offers/102'), product: ours('supplied_products/102'), orders: ours('orders'), state: 'available',
    });
    expect(view.published).to.deep.include({ price: 3, stock: 24 });

    // Ordered beyond the 4 cases: the shop's customer is told of the shop's line and offer, in units (4 × 6 = 24).
    const atFarm = await farm.token('moulin', ['WriteOrders']);
    await shop.store.provenance.addPeer({ name: 'moulin-orders', url: ours('catalog_items'), token: atFarm }, FARM);
    const customer = await shop.token('boutique', ['WriteOrders']);
    const ordersUrl = `${shop.base}/api/dfc/enterprises/boutique/orders`;
    const caseLedger = await farm.store.orders.stock(ours('catalog_items/102'));
    expect(caseLedger).to.include({ available: 4, reserved: 0 });
    const refused = await shop.request('POST', '/api/dfc/enterprises/boutique/orders', {
      headers: { ...bearer(customer), 'content-type': 'application/json' },
      body: JSON.stringify({
        '@context': 'https://www.datafoodconsortium.org',
        '@graph': [
          { '@id': ordersUrl, '@type': 'dfc-b:Order', 'dfc-b:hasOrderStatus': 'dfc-v:Held', 'dfc-b:hasPart': `${ordersUrl}/OrderLines/1` },
          { '@id': `${ordersUrl}/OrderLines/1`, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': 30, 'dfc-b:concerns': view.offer },
        ],
      }),
    });
    expect(refused.status, refused.text).to.equal(409);
    expect((JSON.parse(refused.text) as { shortLines: unknown[] }).shortLines).to.deep.equal([{
      line: 1, id: `${ordersUrl}/OrderLines/1`, offer: view.offer, item: view.item, requested: 30, available: 24, supplier: { requested: 5, available: 4, factor: 6 },
    }]);
    expect(await farm.store.orders.stock(ours('catalog_items/102'))).to.deep.equal(caseLedger);
  });

  it('refuses catalogue writes to a listing\'s records (409: the origin owns them), while the listing itself still mirrors the origin', async () => {
    const [row] = await shop.store.orders.listings('boutique');
    const listing = row as NonNullable<typeof row>;
    const before = await shop.listings.get('boutique', listing.id);
    const path = (iri: string): string => new URL(iri).pathname;
    const headers = { ...bearer(token), 'content-type': 'application/json' };
    const writes: [string, string, string | undefined][] = [
      // Open Food Network's plain stock PUT, and the DFC ones.
      ['PUT', path(listing.item), JSON.stringify({ 'dfc-b:stockLimitation': 999 })],
      ['PUT', path(listing.offer), JSON.stringify({ 'dfc-b:hasPrice': 0.01 })],
      ['PUT', path(listing.product), JSON.stringify({
        '@context': 'https://www.datafoodconsortium.org', '@id': listing.product, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Mine now',
      })],
      ['DELETE', path(listing.product), undefined],
    ];
    for (const [method, url, body] of writes) {
      const response = await shop.request(method, url, { headers, ...(body !== undefined ? { body } : {}) });
      expect(response.status, `${method} ${url}: ${response.text}`).to.equal(409);
      expect(response.headers.get('content-type')).to.match(/^application\/problem\+json/u);
      expect(response.json<{ detail: string }>().detail, `${method} ${url}`).to.contain(`is a listing of ${tomato}, managed by its origin`)
        .and.to.contain(`DELETE /api/dfc/enterprises/boutique/listings/${listing.id}`);
    }
    // An import naming them leaves them as they are (a dry run as well), and imports the rest: the shop's own
    // export, its listings in it, imported again after an edit of its own products.
    const exported = await catalogueOf(shop, 'boutique');
    const own = exported.find((r): r is SuppliedProductRecord => r.kind === 'SuppliedProduct' && r.id !== listing.product);
    expect(own, 'a product of the shop\'s own').to.not.equal(undefined);
    const edited = exported.map((r) => (r.id === own?.id ? { ...own, description: 'Edited offline' } : r.id === listing.item ? { ...r, stock: 999 } : r));
    // Each listing publishes three records.
    const listings = (await shop.store.orders.listings('boutique')).length;
    for (const dryRun of [true, false]) {
      const { summary, changes } = await shop.catalog.importCatalogue('boutique', edited, { dryRun });
      expect(summary.listed, `dry run ${dryRun}`).to.equal(3 * listings);
      expect(changes.products.updated, `dry run ${dryRun}`).to.equal(1);
      expect(changes.written, `dry run ${dryRun}`).to.equal(!dryRun);
    }
    const ownNow = await shop.store.getResource(own?.id as string);
    expect(ownNow?.record.kind === 'SuppliedProduct' ? ownNow.record.description : undefined).to.equal('Edited offline');
    expect(await shop.listings.get('boutique', listing.id)).to.deep.equal(before);
    const [item] = await shop.store.getResources([listing.item]);
    expect(item?.record.kind === 'CatalogItem' ? item.record.stock : undefined).to.equal(before.published.stock);
    // A product created under a name that slugs to a listing's id gets another id, not the listing's records.
    const created = await shop.request('POST', '/api/dfc/enterprises/boutique/supplied_products', {
      headers, body: JSON.stringify({
        '@context': 'https://www.datafoodconsortium.org', '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': listing.product.split('/').pop(),
      }),
    });
    expect(created.status, created.text).to.equal(201);
    expect(created.headers.get('location')).to.not.equal(listing.product);
    // The listing's own mirror writes still go through.
    await restock(farm, tomato, 5);
    expect(await shop.listings.refresh(listing)).to.deep.include({ ok: true, changed: true });
    expect((await shop.listings.get('boutique', listing.id)).published.stock).to.equal(5);
  });

  it('never gives the @ids of a removed listing to another one', async () => {
    const carrots = `${FARM}/api/dfc/enterprises/ferme/catalog_items/carottes`;
    const first = (await post(shop, token, 'boutique', { item: carrots })).json<ListingView>();
    expect((await shop.request('DELETE', `/api/dfc/enterprises/boutique/listings/${first.id}`, { headers: bearer(token) })).status).to.equal(204);
    const second = await post(shop, token, 'boutique', { item: carrots });
    expect(second.status, second.text).to.equal(201);
    const again = second.json<ListingView>();
    for (const key of ['item', 'offer', 'product'] as const) expect(again[key], key).to.not.equal(first[key]);
    expect([...await shop.store.orders.retiredListingIris([first.item, first.offer, first.product, again.item])].sort())
      .to.deep.equal([first.item, first.offer, first.product].sort());
    expect((await shop.request('DELETE', `/api/dfc/enterprises/boutique/listings/${again.id}`, { headers: bearer(token) })).status).to.equal(204);
  });

  it('answers problem+json for what cannot be listed', async () => {
    const cases: [unknown, number, RegExp][] = [
      [{ item: `${FARM}/api/dfc/enterprises/ferme/catalog_items/nope` }, 422, /no dfc-b:CatalogItem/u],
      [{ item: 'http://127.0.0.1:1/api/dfc/enterprises/x/catalog_items/y' }, 503, /cannot be reached/u],
      [{ item: tomato.replace('tomate', 'chevre'), markup: 'abc' }, 422, /markup/u],
      [{ item: tomato.replace('tomate', 'chevre'), markup: '-100%' }, 422, /markup/u],
      [{ item: tomato.replace('tomate', 'chevre'), price: 2, markup: 5 }, 422, /not both/u],
      [{ item: tomato.replace('tomate', 'chevre'), price: -1 }, 422, /price/u],
      // Nothing coerced: no free item, no hexadecimal, exponent or padding, no fraction of a cent.
      ...[0, '0', '0.00', '0x10', '1e3', ' 12 ', 12.3456, '12.3456', '', true].map((price): [unknown, number, RegExp] => [
        { item: tomato.replace('tomate', 'chevre'), price }, 422, /price must be an amount above 0 with at most 2 decimals/u]),
      ...[' 15 ', '0x10', '15 %'].map((markup): [unknown, number, RegExp] => [{ item: tomato.replace('tomate', 'chevre'), markup }, 422, /markup must be/u]),
      // A markup that makes the price 0.00 would publish a free item.
      [{ item: tomato.replace('tomate', 'chevre'), markup: '-99.99%' }, 422, /price would be 0:/u],
      [{ item: 'not an iri' }, 422, /absolute IRI/u],
      // A URL no server would take (a 100 KB request line) was fetched, answered 503, and logged whole.
      [{ item: `${FARM}/api/dfc/enterprises/ferme/catalog_items/${'x'.repeat(100_000)}` }, 422, /item to list is a URL of 100,\d{3} characters .*at most 4,096/u],
      [{ item: `${FARM}/api/dfc/enterprises/ferme/catalog_items/${'é'.repeat(1000)}` }, 422, /item to list is a URL of \d,\d{3} characters .*at most 4,096/u],
      [{ item: 'http://shop.test/api/dfc/enterprises/boutique/catalog_items/x' }, 422, /this node/u],
      [{ price: 3 }, 400, /item/u],
      // A field a listing does not have (a misspelt price) is refused, not dropped: the item would sell at the origin's price.
      [{ item: tomato.replace('tomate', 'chevre'), prix: 3 }, 422, /"prix"/u],
      [{ item: tomato.replace('tomate', 'chevre'), Markup: '15%' }, 422, /"Markup"/u],
    ];
    for (const [body, status, detail] of cases) {
      const response = await post(shop, token, 'boutique', body);
      expect(response.status, `${JSON.stringify(body)}: ${response.text}`).to.equal(status);
      expect(response.headers.get('content-type')).to.match(/^application\/problem\+json/u);
      expect(response.json<{ detail: string }>().detail).to.match(detail);
    }
    const anonymous = await shop.request('POST', '/api/dfc/enterprises/boutique/listings', {
      headers: { 'content-type': 'application/json' }, body: JSON.stringify({ item: tomato }),
    });
    expect(anonymous.status).to.equal(401);
    const put = await shop.request('PUT', '/api/dfc/enterprises/boutique/listings', { headers: bearer(token) });
    expect(put.status).to.equal(405);
    expect(put.headers.get('allow')).to.equal('GET, HEAD, POST, OPTIONS');
    expect((await shop.request('OPTIONS', '/api/dfc/enterprises/boutique/listings/1')).status).to.equal(204);
    expect((await shop.request('GET', '/api/dfc/enterprises/boutique/listings/x', { headers: bearer(token) })).status).to.equal(404);
    const reader = await shop.token('boutique', ['ReadProducts']);
    expect((await shop.request('GET', '/api/dfc/enterprises/boutique/listings', { headers: bearer(reader) })).status).to.equal(403);
  });

  it('leaves nothing of a listing removed while a mirror of it is under way (the mirror does not write its records again)', async () => {
    const cheese = `${FARM}/api/dfc/enterprises/ferme/catalog_items/chevre`;
    const added = await post(shop, token, 'boutique', { item: cheese, price: 3 });
    expect(added.status, added.text).to.equal(201);
    const view = added.json<ListingView>();
    // A new stock at the owner: the mirror has something to write.
    await restock(farm, cheese, 21);
    const row = (await shop.store.orders.listing(view.id)) as NonNullable<Awaited<ReturnType<typeof shop.store.orders.listing>>>;
    // The mirror is held at its write, its records read: the removal is asked for right then.
    const store = shop.store as { apply: typeof shop.store.apply };
    const apply = store.apply;
    let reached: () => void = () => undefined;
    let release: () => void = () => undefined;
    const atWrite = new Promise<void>((resolve) => (reached = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    store.apply = async (eid, changes, options) => {
      if (changes.upsert?.some((r) => r.id === view.item) === true) {
        reached();
        await gate;
      }
      return apply.call(shop.store, eid, changes, options);
    };
    try {
      const mirroring = shop.listings.refresh(row);
      await atWrite;
      const removing = shop.request('DELETE', `/api/dfc/enterprises/boutique/listings/${view.id}`, { headers: bearer(token) });
      // The removal waits for the mirror (its records are deleted in the listing's turn), or is done: either way,
      // the mirror then writes.
      await Promise.race([removing, new Promise((resolve) => setTimeout(resolve, 300))]);
      release();
      expect((await mirroring).ok).to.equal(true);
      expect((await removing).status).to.equal(204);
    } finally {
      release();
      store.apply = apply;
    }
    expect(await shop.store.getResources([view.item, view.offer, view.product])).to.deep.equal([]);
    expect(await shop.store.orders.listing(view.id)).to.equal(undefined);
  });
});

describe('listings of a wholesale case (an FDC-shaped static supplier)', function () {
  this.timeout(30_000);
  let supplier: StaticPeer;
  let shop: InProcessNode;
  let token: string;
  const catalogue = '/api/dfc/Enterprises/moulin/SuppliedProducts';
  const body = (origin: string, stock = '4'): string => FIXTURE.replaceAll('https://fdc.example', origin).replaceAll('"dfc-b:stockLimitation": "4"', `"dfc-b:stockLimitation": "${stock}"`);

  before(async () => {
    supplier = await startStaticPeer((origin) => ({ [catalogue]: { body: body(origin), contentType: 'application/ld+json' } }));
    shop = await startInProcess({ base: 'http://shop.test' });
    await shop.seed('boutique');
    token = await shop.token('boutique', ['WriteProducts']);
  });
  after(async () => {
    await shop?.close();
    await supplier?.close();
  });

  it('sells the retail unit: price / factor, stock × factor, and orders the case', async () => {
    const item = `${supplier.url}${catalogue}/101/CatalogItem`;
    const response = await post(shop, token, 'boutique', { item, markup: 0 });
    expect(response.status, response.text).to.equal(201);
    const view = response.json<ListingView>();
    expect(view.factor).to.equal(6);
    expect(view.origin).to.deep.equal({
      item, offer: `${supplier.url}${catalogue}/102/Offer`, product: `${supplier.url}${catalogue}/102`, orders: `${supplier.url}/api/dfc/Enterprises/moulin/Orders`, state: 'available',
    });
    expect(view.published).to.deep.include({ price: 3, stock: 24 });
    const product = (await catalogueOf(shop, 'boutique')).find((r) => r.id === view.product);
    expect(product?.kind === 'SuppliedProduct' ? product.name : undefined).to.equal('Lentilles vertes, sachet 500 g');
    expect(product?.extra?.[OWL.sameAs]).to.deep.equal([{ '@id': `${supplier.url}${catalogue}/101` }]);
  });

  it('mirrors the case\'s stock in retail units by pull', async () => {
    supplier.files.set(catalogue, { body: body(supplier.url, '2'), contentType: 'application/ld+json' });
    const [listing] = await shop.store.orders.listings('boutique');
    expect(await shop.listings.refresh(listing as NonNullable<typeof listing>)).to.deep.equal({ ok: true, changed: true });
    expect((await shop.listings.get('boutique', listing?.id as number)).published.stock).to.equal(12);
  });

  it('keeps the planned transformation and its flows through a sync', async () => {
    const peer = await shop.store.provenance.addPeer({ name: 'moulin', url: `${supplier.url}${catalogue}` }, supplier.url);
    const outcome = await shop.scheduler.syncOne(peer);
    expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
    const flows = ['AsPlannedTransformation', 'AsPlannedConsumptionFlow', 'AsPlannedProductionFlow'].map((s) => `${supplier.url}${catalogue}/101/${s}`);
    const held = await shop.store.index.recordsOf(flows);
    expect([...held.keys()].sort()).to.deep.equal([...flows].sort());
    // And the push path reads them: the case's stock moves, the listing follows.
    supplier.files.set(catalogue, { body: body(supplier.url, '5'), contentType: 'application/ld+json' });
    expect((await shop.scheduler.syncOne((await shop.store.provenance.getPeer(peer.id)) ?? peer)).ok).to.equal(true);
    const [listing] = await shop.store.orders.listings('boutique');
    expect((await shop.listings.get('boutique', listing?.id as number)).published.stock).to.equal(30);
  });

  it('keeps the last good price and stock when the case\'s new ones cannot be published, and says why in the listing', async () => {
    const [listing] = await shop.store.orders.listings('boutique');
    const url = `/api/dfc/enterprises/boutique/listings/${listing?.id as number}`;
    const before = (await shop.request('GET', url, { headers: bearer(token) })).json<ListingView>();
    expect(before.lastError).to.equal(null);
    // 0.02 € the case of 6 is 0.0033 € the unit: 0.00 in cents, no price to sell at; and a stock beyond counting.
    supplier.files.set(catalogue, { body: body(supplier.url, '1e300').replace('"dfc-b:value": "18.00"', '"dfc-b:value": "0.02"'), contentType: 'application/ld+json' });
    const row = await shop.store.orders.listing(listing?.id as number);
    const outcome = await shop.listings.refresh(row as NonNullable<typeof row>);
    expect(outcome.ok).to.equal(false);
    const refused = (await shop.request('GET', url, { headers: bearer(token) })).json<ListingView>();
    expect(refused.published).to.deep.equal(before.published);
    expect(refused.lastError?.message).to.match(/price would be 0:.*stock would be 6e\+300|stock would be 6e\+300.*price would be 0:/u);
    const offer = (await catalogueOf(shop, 'boutique')).find((r): r is OfferRecord => r.id === before.offer && r.kind === 'Offer');
    expect(offer?.price?.value).to.equal(before.published.price);
    supplier.files.set(catalogue, { body: body(supplier.url, '3'), contentType: 'application/ld+json' });
    const fixed = await shop.store.orders.listing(listing?.id as number);
    expect(await shop.listings.refresh(fixed as NonNullable<typeof fixed>)).to.deep.equal({ ok: true, changed: true });
    const after = (await shop.request('GET', url, { headers: bearer(token) })).json<ListingView>();
    expect(after.published).to.deep.include({ price: 3, stock: 18 });
    expect(after.lastError).to.equal(null);
  });

  it('keeps the planned transformation on import, renamed after the product, and re-publishes it', async () => {
    const decoded = await shop.decoder.decode(body('https://fdc.example'), { mediaType: 'application/ld+json' });
    const summary = await shop.catalog.importRecords('moulin', decoded.records, { create: true });
    expect(summary.plans).to.equal(3);
    expect(summary.skipped).to.deep.equal([]);
    const published = await catalogueOf(shop, 'moulin');
    const ours = (id: string): string => `http://shop.test/api/dfc/enterprises/moulin/supplied_products/${id}`;
    const consumption = published.find((r) => r.id === `${ours('101')}/AsPlannedConsumptionFlow`);
    const production = published.find((r) => r.id === `${ours('101')}/AsPlannedProductionFlow`);
    expect(consumption?.kind).to.equal('Resource');
    expect(consumption?.extra?.[DFC_B.consumes]).to.deep.equal([{ '@id': ours('101') }]);
    expect(production?.extra?.[DFC_B.produces]).to.deep.equal([{ '@id': ours('102') }]);
    expect(published.some((r) => r.id === `${ours('101')}/AsPlannedTransformation`)).to.equal(true);
    // Deleting the product takes its plan with it.
    await shop.catalog.deleteProduct('moulin', '101');
    expect((await shop.store.getResources([`${ours('101')}/AsPlannedConsumptionFlow`])).length).to.equal(0);
  });
});
