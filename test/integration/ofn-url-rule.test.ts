/**
 * Open Food Network finds a supplier's orders without discovery: it takes a linked product's `@id`, drops the last
 * segment to get the catalogue, and replaces `/SuppliedProducts` with `/Orders` in it for the orders collection
 * (`FdcUrlBuilder`). These tests apply that rule literally to the ids this node serves (`…/supplied_products/{id}`,
 * which it leaves as the products collection) and to the FDC spelling (`…/SuppliedProducts/{id}`), place an order
 * where it leads, and find the open order there again, as OFN looks for it before amending.
 */
import { expect } from 'chai';
import { bearer, startInProcess, type InProcessNode } from '../helpers/in-process.js';

/** OFN's rule (`FdcUrlBuilder`), literally: catalogue and orders URLs of a product `@id`. */
function ofnUrls(productId: string): { catalog: string; orders: string } {
  const base = productId.slice(0, productId.lastIndexOf('/'));
  return { catalog: base, orders: base.replace('/SuppliedProducts', '/Orders') };
}

function graph(text: string): Record<string, unknown>[] {
  const doc = JSON.parse(text) as { '@graph'?: Record<string, unknown>[] } & Record<string, unknown>;
  return doc['@graph'] ?? [doc];
}

function order(ordersUrl: string, offer: string, product: string): string {
  return JSON.stringify({
    '@context': 'https://www.datafoodconsortium.org',
    '@graph': [
      { '@id': ordersUrl, '@type': 'dfc-b:Order', 'dfc-b:orderedBy': 'https://ofn.example/api/dfc/enterprises/7', 'dfc-b:hasOrderStatus': 'dfc-v:Held',
        'dfc-b:hasPart': `${ordersUrl}/OrderLines/1` },
      { '@id': `${ordersUrl}/OrderLines/1`, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': '1', 'dfc-b:concerns': offer },
      { '@id': offer, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': product },
    ],
  });
}

describe("Open Food Network's URL rule on our ids", function () {
  this.timeout(20_000);
  let node: InProcessNode;
  let token: string;

  before(async () => {
    node = await startInProcess({ base: 'http://a.test' });
    await node.seed('ferme');
    token = await node.token('ferme', ['WriteOrders', 'ReadOrders']);
  });
  after(() => node.close());

  const path = (iri: string) => iri.slice(node.base.length);

  it('leads from every product we publish to its catalogue and to our orders collection', async () => {
    const buyer = await node.token('ferme', ['WriteOrders']);
    const catalogue = await node.request('GET', '/api/dfc/enterprises/ferme/catalog_items');
    const products = graph(catalogue.text).filter((n) => n['@type'] === 'dfc-b:SuppliedProduct');
    expect(products).to.have.length.greaterThan(0);
    let placedCount = 0;
    for (const product of products) {
      const id = product['@id'] as string;
      const urls = ofnUrls(id);
      const listed = await node.request('GET', path(urls.catalog));
      expect(listed.status).to.equal(200);
      expect(graph(listed.text).map((n) => n['@id'])).to.include(id);
      const offer = (graph(listed.text).find((n) => n['@type'] === 'dfc-b:Offer' && String(n['@id']).endsWith(id.slice(id.lastIndexOf('/'))))?.['@id']) as string;
      const placed = await node.request('POST', path(urls.orders), { headers: { 'content-type': 'application/json', ...bearer(buyer) }, body: order(urls.orders, offer, id) });
      if (placed.status === 409) continue; // out of stock: the collection answered as an orders collection
      expect(placed.status, placed.text).to.equal(201);
      // OFN then finds its open order where the rule led it, and follows the order's own @id from there.
      const open = graph((await node.request('GET', path(urls.orders), { headers: bearer(buyer) })).text)
        .filter((n) => n['@type'] === 'dfc-b:Order' && n['dfc-b:hasOrderStatus'] === 'dfc-v:Held').map((n) => n['@id']);
      expect(open).to.include(placed.headers.get('location'));
      expect((await node.request('GET', path(placed.headers.get('location') as string), { headers: bearer(buyer) })).status).to.equal(200);
      placedCount += 1;
    }
    // Only a product out of stock may answer 409: the rule led to orders actually placed.
    expect(placedCount).to.be.greaterThan(0);
  });

  it("takes an order posted where OFN's literal FDC rule leads from our ids: the products collection", async () => {
    const id = `${node.base}/api/dfc/enterprises/ferme/supplied_products/tomate`;
    // FdcUrlBuilder as in the pilot: drop the last segment, replace /SuppliedProducts (absent here) with /Orders.
    const ordersUrl = id.slice(0, id.lastIndexOf('/')).replace('/SuppliedProducts', '/Orders');
    expect(ordersUrl).to.equal(`${node.base}/api/dfc/enterprises/ferme/supplied_products`);
    const placed = await node.request('POST', path(ordersUrl), {
      headers: { 'content-type': 'application/json', ...bearer(token) },
      body: order(ordersUrl, `${node.base}/api/dfc/enterprises/ferme/offers/tomate`, id),
    });
    expect(placed.status, placed.text).to.equal(201);
    expect(graph(placed.text).find((n) => n['@type'] === 'dfc-b:Order')?.['dfc-b:hasOrderStatus']).to.equal('dfc-v:Held');
    const read = await node.request('GET', path(placed.headers.get('location') as string), { headers: bearer(token) });
    expect(read.status).to.equal(200);
  });

  it('takes the sale session OFN sends there too, which its rule gives the same @id as the order, and amends the order from it', async () => {
    const id = `${node.base}/api/dfc/enterprises/ferme/supplied_products/tomate`;
    const catalog = id.slice(0, id.lastIndexOf('/'));
    const ordersUrl = catalog.replace('/SuppliedProducts', '/Orders');
    const sessionUrl = catalog.replace('/SuppliedProducts', '/SalesSession/#');
    // One node in RDF: an Order and a SaleSession at once, that belongs to itself.
    expect(sessionUrl).to.equal(ordersUrl);
    const withSession = (orderId: string, quantity: string) => {
      const body = JSON.parse(order(orderId, `${node.base}/api/dfc/enterprises/ferme/offers/tomate`, id).replace('"dfc-b:quantity":"1"', `"dfc-b:quantity":"${quantity}"`)) as { '@graph': Record<string, unknown>[] };
      (body['@graph'][0] as Record<string, unknown>)['dfc-b:belongsTo'] = sessionUrl;
      body['@graph'].push({ '@id': sessionUrl, '@type': 'dfc-b:SaleSession', 'dfc-b:beginDate': 'Mon Dec 16 2024 02:30:56 UTC', 'dfc-b:endDate': 'Tue Dec 24 2024 02:30:56 UTC' });
      return JSON.stringify(body);
    };
    const placed = await node.request('POST', path(ordersUrl), { headers: { 'content-type': 'application/json', ...bearer(token) }, body: withSession(ordersUrl, '1') });
    expect(placed.status, placed.text).to.equal(201);
    const answer = graph(placed.text);
    expect(answer.find((n) => n['@type'] === 'dfc-b:Order')?.['dfc-b:hasOrderStatus']).to.equal('dfc-v:Held');
    // The session is answered with its dates, as a node of its own.
    const session = answer.find((n) => n['@type'] === 'dfc-b:SaleSession');
    expect(session?.['dfc-b:endDate']).to.equal('2024-12-24T02:30:56Z');
    const location = placed.headers.get('location') as string;
    // OFN amends by PUT at the order's own @id, the session still at the collection's URL.
    const amended = await node.request('PUT', path(location), { headers: { 'content-type': 'application/json', ...bearer(token) }, body: withSession(location, '2') });
    expect(amended.status, amended.text).to.equal(200);
    expect(graph(amended.text).find((n) => n['@type'] === 'dfc-b:OrderLine')?.['dfc-b:quantity']).to.equal(2);
    expect((await node.request('DELETE', path(location), { headers: bearer(token) })).status).to.equal(200);
  });

  it('answers the FDC spelling: …/SuppliedProducts/{id} is the product, …/Orders the orders collection', async () => {
    const alias = `${node.base}/api/dfc/enterprises/ferme/SuppliedProducts/tomate`;
    const product = await node.request('GET', path(alias));
    expect(product.status).to.equal(200);
    expect(graph(product.text)[0]?.['dfc-b:name']).to.be.a('string');
    const urls = ofnUrls(alias);
    expect(urls.orders).to.equal(`${node.base}/api/dfc/enterprises/ferme/Orders`);
    const placed = await node.request('POST', path(urls.orders), {
      headers: { 'content-type': 'application/json', ...bearer(token) },
      body: order(urls.orders, `${node.base}/api/dfc/enterprises/ferme/offers/tomate`, alias),
    });
    expect(placed.status, placed.text).to.equal(201);
    expect(placed.headers.get('location')?.startsWith(`${urls.orders}/`)).to.equal(true);
    const held = await node.request('GET', path(urls.orders), { headers: bearer(token) });
    expect(graph(held.text).filter((n) => n['@type'] === 'dfc-b:Order').map((n) => n['dfc-b:hasOrderStatus'])).to.include('dfc-v:Held');
  });

  it('reaches an order under either spelling of the collection, whichever it was posted under', async () => {
    const product = `${node.base}/api/dfc/enterprises/ferme/supplied_products/tomate`;
    const offer = `${node.base}/api/dfc/enterprises/ferme/offers/tomate`;
    for (const [posted, other] of [['orders', 'Orders'], ['Orders', 'orders']] as const) {
      const collection = `${node.base}/api/dfc/enterprises/ferme/${posted}`;
      const placed = await node.request('POST', path(collection), { headers: { 'content-type': 'application/json', ...bearer(token) }, body: order(collection, offer, product) });
      expect(placed.status, placed.text).to.equal(201);
      const id = placed.headers.get('location') as string;
      expect(id.startsWith(`${collection}/`)).to.equal(true);
      const alias = id.replace(`/${posted}/`, `/${other}/`);
      const read = await node.request('GET', path(alias), { headers: bearer(token) });
      expect(read.status, read.text).to.equal(200);
      expect(graph(read.text).find((n) => n['@type'] === 'dfc-b:Order')?.['@id']).to.equal(id);
      // A change through the other spelling, its body naming the order either way, changes the same order.
      for (const named of [alias, id]) {
        const amended = await node.request('PUT', path(alias), {
          headers: { 'content-type': 'application/json', ...bearer(token) },
          body: order(named, offer, product).replace('"dfc-b:quantity":"1"', '"dfc-b:quantity":"2"'),
        });
        expect(amended.status, amended.text).to.equal(200);
        expect(graph(amended.text).find((n) => n['@type'] === 'dfc-b:OrderLine')?.['dfc-b:quantity']).to.equal(2);
      }
      const cancelled = await node.request('DELETE', path(alias), { headers: bearer(token) });
      expect(cancelled.status, cancelled.text).to.equal(200);
      expect((await node.request('GET', path(id), { headers: bearer(token) })).text).to.include('dfc-v:Cancelled');
    }
    // Only the order's number is shared: a number no order has is unknown under both.
    expect((await node.request('GET', '/api/dfc/enterprises/ferme/Orders/999999', { headers: bearer(token) })).status).to.equal(404);
  });

  it("finds a buyer's open order where OFN's literal rule leads from our ids, and only there, only for that buyer", async () => {
    const product = `${node.base}/api/dfc/enterprises/ferme/supplied_products/tomate`;
    const offer = `${node.base}/api/dfc/enterprises/ferme/offers/tomate`;
    // FdcUrlBuilder: the product's @id without its last segment; `/SuppliedProducts` (absent here) → `/Orders`.
    const ordersUrl = product.slice(0, product.lastIndexOf('/')).replace('/SuppliedProducts', '/Orders');
    const buyer = await node.token('ferme', ['WriteOrders']);
    const other = await node.token('ferme', ['WriteOrders']);
    const placed = await node.request('POST', path(ordersUrl), { headers: { 'content-type': 'application/json', ...bearer(buyer) }, body: order(ordersUrl, offer, product) });
    expect(placed.status, placed.text).to.equal(201);
    const id = placed.headers.get('location') as string;

    const look = async (token?: string) => {
      const answer = await node.request('GET', path(ordersUrl), { headers: token === undefined ? {} : bearer(token) });
      expect(answer.status, answer.text).to.equal(200);
      return { answer, nodes: graph(answer.text) };
    };
    // OFN's look-up: the Order nodes of the graph, Held ones kept; it then reads each line's offer.
    const seen = await look(buyer);
    const held = seen.nodes.filter((n) => n['@type'] === 'dfc-b:Order' && n['dfc-b:hasOrderStatus'] === 'dfc-v:Held');
    expect(held.map((n) => n['@id'])).to.deep.equal([id]);
    const line = seen.nodes.find((n) => n['@id'] === (held[0]?.['dfc-b:hasPart'] as string));
    expect(line?.['dfc-b:concerns']).to.equal(offer);
    // One node for the offer, offering what the buyer ordered: OFN matches its lines by `offer.offeredItem`.
    const offers = seen.nodes.filter((n) => n['@id'] === offer);
    expect(offers).to.have.length(1);
    expect(offers[0]?.['dfc-b:offeredItem']).to.deep.equal({ '@id': product });
    // The same document is still the catalogue OFN reloads to sync its stock.
    expect(seen.nodes.some((n) => n['@id'] === product && n['@type'] === 'dfc-b:SuppliedProduct')).to.equal(true);
    expect(seen.answer.headers.get('cache-control')).to.include('no-store');
    expect(seen.answer.headers.get('etag')).to.equal(null);
    expect(seen.answer.headers.get('last-modified')).to.equal(null);

    // Paged, the order is on the first page only: a client reading every page meets it once.
    const paged = async (n: number) => {
      const answer = await node.request('GET', `${path(ordersUrl)}?page=${n}&page_size=1`, { headers: bearer(buyer) });
      expect(answer.status, answer.text).to.equal(200);
      return graph(answer.text).filter((n) => n['@type'] === 'dfc-b:Order').map((n) => n['@id']);
    };
    expect(await paged(1)).to.deep.equal([id]);
    expect(await paged(2)).to.deep.equal([]);

    // Nobody else sees it there: the public, another buyer, the seller, the node's admin.
    const seller = await node.token('ferme', ['ReadOrders', 'WriteOrders', 'ReadProducts']);
    for (const token of [undefined, other, seller, node.adminToken]) {
      expect((await look(token)).nodes.filter((n) => n['@type'] === 'dfc-b:Order'), String(token)).to.deep.equal([]);
    }
    // Completed, it is no longer open: OFN then starts a new order.
    const completed = await node.request('PUT', path(id), {
      headers: { 'content-type': 'application/json', ...bearer(buyer) }, body: order(id, offer, product).replace('dfc-v:Held', 'dfc-v:Complete'),
    });
    expect(completed.status, completed.text).to.equal(200);
    expect((await look(buyer)).nodes.filter((n) => n['@type'] === 'dfc-b:Order')).to.deep.equal([]);
  });
});
