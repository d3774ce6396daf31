/**
 * An offer given a stock of its own over HTTP (a PUT of the offer alone, as Open Food Network's OffersController
 * sends it): orders through it take no more than that stock (a 409 naming the short line otherwise), its published
 * stock follows them in the catalogue and the feed, a cancellation gives it back, and concurrent orders racing on
 * it never take more than it has.
 */
import { expect } from 'chai';
import { bearer, startInProcess, type InProcessNode } from '../helpers/in-process.js';

const CONTEXT = 'https://www.datafoodconsortium.org';

type Node = Record<string, unknown>;

function typed(body: string, type: string): Node[] {
  const doc = JSON.parse(body) as { '@graph'?: Node[] } & Node;
  return (doc['@graph'] ?? [doc]).filter((n) => [n['@type']].flat().includes(type));
}

/** A one-line order as Open Food Network sends it. */
function order(ordersUrl: string, offer: string, product: string, quantity: number): string {
  return JSON.stringify({
    '@context': CONTEXT,
    '@graph': [
      { '@id': ordersUrl, '@type': 'dfc-b:Order', 'dfc-b:orderedBy': 'https://ofn.example/api/dfc/enterprises/7', 'dfc-b:hasOrderStatus': 'dfc-v:Held', 'dfc-b:hasPart': [`${ordersUrl}/OrderLines/1`] },
      { '@id': `${ordersUrl}/OrderLines/1`, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': quantity, 'dfc-b:concerns': offer },
      { '@id': offer, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': product },
      { '@id': product, '@type': 'dfc-b:SuppliedProduct' },
    ],
  });
}

describe('an offer\'s own stock over HTTP', function () {
  this.timeout(30_000);
  let node: InProcessNode;
  let buyer: string;
  let writer: string;
  let api: string;
  let ids: { product: string; item: string; offer: string };

  beforeEach(async () => {
    node = await startInProcess({ base: 'http://a.test' });
    await node.seed('ferme');
    buyer = await node.token('ferme', ['WriteOrders']);
    writer = await node.token('ferme', ['WriteProducts', 'ReadProducts']);
    api = `${node.base}/api/dfc/enterprises/ferme`;
    ids = { product: `${api}/supplied_products/tomate`, item: `${api}/catalog_items/tomate`, offer: `${api}/offers/tomate` };
    // The offer alone given a stock of its own (the item has 12).
    const put = await node.request('PUT', '/api/dfc/enterprises/ferme/offers/tomate', {
      headers: { 'content-type': 'application/json', ...bearer(writer) }, body: '{"dfc-b:stockLimitation": 3}',
    });
    expect(put.status, put.text).to.equal(200);
  });
  afterEach(() => node.close());

  const post = (quantity: number) => node.request('POST', '/api/dfc/enterprises/ferme/orders', {
    headers: { 'content-type': 'application/json', ...bearer(buyer) }, body: order(`${api}/orders`, ids.offer, ids.product, quantity),
  });
  /** The offer's and the item's stock as the catalogue publishes them. */
  const published = async (): Promise<{ offer: unknown; item: unknown }> => {
    const catalogue = await node.request('GET', '/api/dfc/enterprises/ferme/catalog_items');
    expect(catalogue.status).to.equal(200);
    const offer = typed(catalogue.text, 'dfc-b:Offer').find((o) => o['@id'] === ids.offer);
    const item = typed(catalogue.text, 'dfc-b:CatalogItem').find((i) => i['@id'] === ids.item);
    return { offer: offer?.['dfc-b:stockLimitation'], item: item?.['dfc-b:stockLimitation'] };
  };
  /** The offer's stock in its latest version in the enterprise's feed. */
  const inFeed = async (): Promise<unknown> => {
    const events = await node.store.feed.events(0, 1000, 'ferme');
    const last = events.filter((e) => e.iri === ids.offer).at(-1);
    return (last?.record as { stock?: unknown } | null | undefined)?.stock;
  };

  it('refuses an order through the offer beyond its own stock with 409 naming the short line, and reserves nothing', async () => {
    const refused = await post(4);
    expect(refused.status, refused.text).to.equal(409);
    const problem = JSON.parse(refused.text) as { shortLines: unknown[] };
    expect(problem.shortLines).to.deep.equal([{ line: 1, id: `${api}/orders/OrderLines/1`, offer: ids.offer, item: ids.item, requested: 4, available: 3 }]);
    expect(await node.store.orders.stock(ids.item)).to.include({ available: 12, reserved: 0 });
    expect(await published()).to.deep.equal({ offer: 3, item: 12 });
  });

  it('publishes what is left of the offer\'s stock in the catalogue and the feed after an order, and gives it back on cancellation', async () => {
    const placed = await post(2);
    expect(placed.status, placed.text).to.equal(201);
    expect(await published()).to.deep.equal({ offer: 1, item: 10 });
    expect(await inFeed()).to.equal(1);
    const iri = typed(placed.text, 'dfc-b:Order')[0]?.['@id'] as string;
    const cancelled = await node.request('DELETE', new URL(iri).pathname, { headers: bearer(buyer) });
    expect(cancelled.status, cancelled.text).to.be.oneOf([200, 204]);
    expect(await published()).to.deep.equal({ offer: 3, item: 12 });
    expect(await inFeed()).to.equal(3);
  });

  it('publishes no more than its item has left, wherever the offer is read: what can be ordered through it', async () => {
    const putItem = async (stock: number): Promise<void> => {
      const put = await node.request('PUT', '/api/dfc/enterprises/ferme/catalog_items/tomate', {
        headers: { 'content-type': 'application/json', ...bearer(writer) }, body: JSON.stringify({ 'dfc-b:stockLimitation': stock }),
      });
      expect(put.status, put.text).to.equal(200);
    };
    /** The offer's stock in its own JSON-LD and Turtle, in the catalogue, the feed and the federated catalogue. */
    const everywhere = async (): Promise<unknown[]> => {
      const own = await node.request('GET', new URL(ids.offer).pathname, { headers: bearer(writer) });
      expect(own.status, own.text).to.equal(200);
      const turtle = await node.request('GET', new URL(ids.offer).pathname, { headers: { ...bearer(writer), accept: 'text/turtle' } });
      expect(turtle.status, turtle.text).to.equal(200);
      const stated = /stockLimitation\s+"?([0-9.]+)/u.exec(turtle.text)?.[1];
      const federated = await node.request('GET', '/api/federation/catalog');
      expect(federated.status).to.equal(200);
      const offer = typed(federated.text, 'dfc-b:Offer').find((o) => o['@id'] === ids.offer);
      return [typed(own.text, 'dfc-b:Offer')[0]?.['dfc-b:stockLimitation'], Number(stated), (await published()).offer, await inFeed(), offer?.['dfc-b:stockLimitation']];
    };
    await putItem(1);
    expect(await everywhere()).to.deep.equal([1, 1, 1, 1, 1]);
    const refused = await post(3);
    expect(refused.status, refused.text).to.equal(409);
    await putItem(10);
    expect(await everywhere()).to.deep.equal([3, 3, 3, 3, 3]);
    const placed = await post(2);
    expect(placed.status, placed.text).to.equal(201);
    expect(await everywhere()).to.deep.equal([1, 1, 1, 1, 1]);
    // The ledgers as they were: the offer's own 1 left, the item's 8.
    expect(await node.store.orders.stock(ids.item)).to.include({ available: 8, reserved: 2 });
  });

  it('answers a PUT of the offer with what it publishes, and the ETag its GET gives', async () => {
    // The offer given 20 of its own while its item has 12: it publishes 12.
    const put = await node.request('PUT', '/api/dfc/enterprises/ferme/offers/tomate', {
      headers: { 'content-type': 'application/json', ...bearer(writer) }, body: '{"dfc-b:stockLimitation": 20}',
    });
    expect(put.status, put.text).to.equal(200);
    const got = await node.request('GET', new URL(ids.offer).pathname, { headers: bearer(writer) });
    expect(typed(got.text, 'dfc-b:Offer')[0]?.['dfc-b:stockLimitation']).to.equal(12);
    expect(typed(put.text, 'dfc-b:Offer')[0]?.['dfc-b:stockLimitation']).to.equal(12);
    expect(put.headers.get('etag')).to.equal(got.headers.get('etag'));
    // The ETag it answered is one a conditional write can use.
    const again = await node.request('PUT', '/api/dfc/enterprises/ferme/offers/tomate', {
      headers: { 'content-type': 'application/json', 'if-match': put.headers.get('etag') ?? '', ...bearer(writer) }, body: '{"dfc-b:stockLimitation": 4}',
    });
    expect(again.status, again.text).to.equal(200);
  });

  it('answers a PUT of the whole product, and a POST of a new one, with what their offers publish', async () => {
    // The product, its item and its offer as their GETs give them, in one document: the offer given 20 of its own
    // while its item has 12.
    const graph: Node[] = [];
    for (const iri of [ids.product, ids.item, ids.offer]) {
      const got = await node.request('GET', new URL(iri).pathname, { headers: bearer(writer) });
      expect(got.status, got.text).to.equal(200);
      const doc = JSON.parse(got.text) as { '@graph'?: Node[] } & Node;
      graph.push(...(doc['@graph'] ?? [doc]).map((n) => Object.fromEntries(Object.entries(n).filter(([k]) => k !== '@context'))));
    }
    const offer = graph.find((n) => n['@id'] === ids.offer) as Node;
    expect(offer['dfc-b:stockLimitation']).to.equal(3);
    offer['dfc-b:stockLimitation'] = 20;
    const put = await node.request('PUT', new URL(ids.product).pathname, {
      headers: { 'content-type': 'application/ld+json', ...bearer(writer) }, body: JSON.stringify({ '@context': CONTEXT, '@graph': graph }),
    });
    expect(put.status, put.text).to.equal(200);
    const stored = await node.request('GET', new URL(ids.offer).pathname, { headers: bearer(writer) });
    expect(typed(stored.text, 'dfc-b:Offer')[0]?.['dfc-b:stockLimitation']).to.equal(12);
    expect(typed(put.text, 'dfc-b:Offer').find((o) => o['@id'] === ids.offer)?.['dfc-b:stockLimitation']).to.equal(12);

    // A new product whose offer is given more than its item has.
    const base = `${api}/supplied_products/courge`;
    const created = await node.request('POST', '/api/dfc/enterprises/ferme/supplied_products', {
      headers: { 'content-type': 'application/json', ...bearer(writer) },
      body: JSON.stringify({
        '@context': CONTEXT,
        '@graph': [
          { '@id': base, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Courge', 'dfc-b:referencedBy': `${api}/catalog_items/courge` },
          { '@id': `${api}/catalog_items/courge`, '@type': 'dfc-b:CatalogItem', 'dfc-b:references': base, 'dfc-b:stockLimitation': 4, 'dfc-b:offeredThrough': `${api}/offers/courge` },
          { '@id': `${api}/offers/courge`, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': `${api}/catalog_items/courge`, 'dfc-b:stockLimitation': 9,
            'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 2.5, 'dfc-b:hasUnit': 'dfc-m:Euro' } },
        ],
      }),
    });
    expect(created.status, created.text).to.equal(201);
    const createdOffer = typed(created.text, 'dfc-b:Offer')[0];
    const read = await node.request('GET', new URL(String(createdOffer?.['@id'])).pathname, { headers: bearer(writer) });
    expect(read.status, read.text).to.equal(200);
    expect(typed(read.text, 'dfc-b:Offer')[0]?.['dfc-b:stockLimitation']).to.equal(4);
    expect(createdOffer?.['dfc-b:stockLimitation']).to.equal(4);
  });

  it('never lets concurrent orders through the offer take more than its own stock', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => post(1)));
    expect(answers.map((a) => a.status).sort()).to.deep.equal([201, 201, 201, 409, 409, 409, 409, 409, 409, 409]);
    expect(await node.store.orders.stock(ids.item)).to.include({ available: 9, reserved: 3 });
    expect(await published()).to.deep.equal({ offer: 0, item: 9 });
  });
});
