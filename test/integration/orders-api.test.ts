/**
 * The DFC Orders API of one node: reservations all or nothing, 409 naming the short lines, idempotent retries,
 * amendments, completion, cancellation, expiry, who sees which order; and Open Food Network's backorders exactly
 * as it sends them (JSON-LD as application/json, the collection URL as the new order's @id, quantities as strings,
 * Offers whose offeredItem is a SuppliedProduct, a completion PUT of bare references, "Thu Aug 22 2024" dates).
 */
import { expect } from 'chai';
import { bearer, startInProcess, type InProcessNode } from '../helpers/in-process.js';

const CONTEXT = 'https://www.datafoodconsortium.org';

interface Graph { '@graph'?: Record<string, unknown>[] }

function nodes(body: string): Record<string, unknown>[] {
  const doc = JSON.parse(body) as Graph & Record<string, unknown>;
  return doc['@graph'] ?? [doc];
}

function typed(body: string, type: string): Record<string, unknown>[] {
  return nodes(body).filter((n) => [n['@type']].flat().includes(type));
}

/** The ids a node serves for a product: product, catalog item and offer. */
async function idsOf(node: InProcessNode, eid: string, key: string): Promise<{ product: string; item: string; offer: string }> {
  const api = `${node.base}/api/dfc/enterprises/${eid}`;
  return { product: `${api}/supplied_products/${key}`, item: `${api}/catalog_items/${key}`, offer: `${api}/offers/${key}` };
}

/** An order as Open Food Network's FdcBackorderer builds it (§5.4 and §6.5 of the OFN notes). */
function ofnOrder(ordersUrl: string, lines: { offer: string; product: string; quantity: number | string }[], options: { status?: string; id?: string } = {}): string {
  const id = options.id ?? ordersUrl;
  const session = `${ordersUrl.replace(/\/orders$|\/Orders$/u, '')}/SalesSession/#`;
  return JSON.stringify({
    '@context': CONTEXT,
    '@graph': [
      {
        '@id': id, '@type': 'dfc-b:Order', 'dfc-b:orderedBy': 'https://ofn.example/api/dfc/enterprises/7',
        'dfc-b:hasOrderStatus': options.status ?? 'dfc-v:Held', 'dfc-b:belongsTo': session,
        'dfc-b:hasPart': lines.map((_l, i) => `${id}/OrderLines/${i + 1}`),
      },
      ...lines.map((l, i) => ({ '@id': `${id}/OrderLines/${i + 1}`, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': l.quantity, 'dfc-b:concerns': l.offer })),
      ...lines.map((l) => ({ '@id': l.offer, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': l.product })),
      ...lines.map((l) => ({ '@id': l.product, '@type': 'dfc-b:SuppliedProduct' })),
      { '@id': session, '@type': 'dfc-b:SaleSession', 'dfc-b:beginDate': 'Thu Aug 22 2024 05:40:38 UTC', 'dfc-b:endDate': '2024-08-29T05:40:38Z' },
    ],
  });
}

describe('orders API', function () {
  this.timeout(20_000);
  let node: InProcessNode;
  let seller: string;
  let buyer: string;
  let reader: string;

  beforeEach(async () => {
    node = await startInProcess({ base: 'http://a.test' });
    await node.seed('ferme');
    seller = await node.token('ferme', ['ReadOrders', 'WriteOrders', 'ReadProducts']);
    buyer = await node.token('ferme', ['WriteOrders']);
    reader = await node.token('ferme', ['ReadProducts']);
  });
  afterEach(() => node.close());

  const post = (body: string, token: string, headers: Record<string, string> = {}, path = '/api/dfc/enterprises/ferme/orders') =>
    node.request('POST', path, { headers: { 'content-type': 'application/json', ...bearer(token), ...headers }, body });
  const stockOf = async (key: string) => node.store.orders.stock(`${node.base}/api/dfc/enterprises/ferme/catalog_items/${key}`);

  it('takes an order as Open Food Network sends it, and answers so that OFN matches its lines', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const ordersUrl = `${node.base}/api/dfc/enterprises/ferme/orders`;
    const created = await post(ofnOrder(ordersUrl, [{ ...tomate, quantity: '3' }]), buyer);
    expect(created.status, created.text).to.equal(201);
    const order = typed(created.text, 'dfc-b:Order')[0] as Record<string, unknown>;
    expect(order['@id']).to.match(new RegExp(`^${ordersUrl}/\\d+$`, 'u'));
    expect(created.headers.get('location')).to.equal(order['@id']);
    expect(order['dfc-b:hasOrderStatus']).to.equal('dfc-v:Held');
    const offers = typed(created.text, 'dfc-b:Offer');
    // A link, compacted as the context says (a string or {"@id"}): the connector reads both.
    const link = (value: unknown) => (typeof value === 'string' ? value : (value as { '@id': string })['@id']);
    expect(offers.map((o) => link(o['dfc-b:offeredItem']))).to.deep.equal([tomate.product]);
    // dfc-b:offers names a catalog item (the one sold), never the product the buyer matches its lines by.
    expect(offers.map((o) => link(o['dfc-b:offers']))).to.deep.equal([tomate.item]);
    const lines = typed(created.text, 'dfc-b:OrderLine');
    expect(lines.map((l) => Number(l['dfc-b:quantity']))).to.deep.equal([3]);
    expect(await stockOf('tomate')).to.include({ available: 9, reserved: 3 });
    // The published catalogue shows what is left.
    const catalogue = await node.request('GET', '/api/dfc/enterprises/ferme/catalog_items/tomate');
    expect(typed(catalogue.text, 'dfc-b:CatalogItem')[0]?.['dfc-b:stockLimitation']).to.equal(9);

    // OFN finds its open order in the collection, amends it, then completes it with bare references.
    const list = await node.request('GET', '/api/dfc/enterprises/ferme/orders', { headers: bearer(buyer) });
    expect(list.status).to.equal(200);
    expect(typed(list.text, 'dfc-b:Order').map((o) => o['@id'])).to.deep.equal([order['@id']]);
    const iri = order['@id'] as string;
    const path = new URL(iri).pathname;
    // The order's own answer sent back as it was (its Offer naming the product as offeredItem, the catalog item as
    // offers) is the same order: no conflict between the two.
    const again = await node.request('PUT', path, { headers: { 'content-type': 'application/ld+json', ...bearer(buyer) }, body: created.text });
    expect(again.status, again.text).to.equal(200);
    expect(await stockOf('tomate')).to.include({ available: 9, reserved: 3 });
    const amended = await node.request('PUT', path, { headers: { 'content-type': 'application/json', ...bearer(buyer) }, body: ofnOrder(ordersUrl, [{ ...tomate, quantity: 5 }], { id: iri }) });
    expect(amended.status, amended.text).to.equal(200);
    expect(await stockOf('tomate')).to.include({ available: 7, reserved: 5 });
    const completed = await node.request('PUT', path, {
      headers: { 'content-type': 'application/json', ...bearer(buyer) }, body: ofnOrder(ordersUrl, [{ ...tomate, quantity: 5 }], { id: iri, status: 'dfc-v:Complete' }),
    });
    expect(completed.status, completed.text).to.equal(200);
    expect(typed(completed.text, 'dfc-b:Order')[0]?.['dfc-b:hasOrderStatus']).to.equal('dfc-v:Complete');
    expect(await stockOf('tomate')).to.include({ available: 7, reserved: 0, sold: 5 });
  });

  it('pages the orders with a hydra view whose @id is the URL as requested (first, next, last)', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const ordersUrl = `${node.base}/api/dfc/enterprises/ferme/orders`;
    for (let n = 0; n < 2; n++) expect((await post(ofnOrder(ordersUrl, [{ ...tomate, quantity: '1' }]), buyer)).status).to.equal(201);
    const page = await node.request('GET', '/api/dfc/enterprises/ferme/orders?page_size=1', { headers: bearer(seller) });
    expect(page.status, page.text).to.equal(200);
    const view = typed(page.text, 'hydra:PartialCollectionView')[0];
    expect(view?.['@id']).to.equal(`${ordersUrl}?page_size=1`);
    expect(view?.['hydra:first']).to.equal(`${ordersUrl}?page=1&page_size=1`);
    // Next: where this page ended (a cursor), which the orders placed meanwhile do not move.
    expect(view?.['hydra:next']).to.match(new RegExp(`^${ordersUrl}\\?page_size=1&after=[A-Za-z0-9_-]+$`, 'u'));
    expect(view?.['hydra:last']).to.equal(`${ordersUrl}?page=2&page_size=1`);
    expect(page.headers.get('link')).to.include(`<${view?.['hydra:next'] as string}>; rel="next"`);
  });

  it('walks the orders along the next links once each, however many are placed meanwhile (newest first); ?page=N still works', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const ordersUrl = `${node.base}/api/dfc/enterprises/ferme/orders`;
    const placed: string[] = [];
    for (let n = 0; n < 5; n++) {
      const created = await post(ofnOrder(ordersUrl, [{ ...tomate, quantity: '1' }]), buyer);
      expect(created.status, created.text).to.equal(201);
      placed.push(created.headers.get('location') as string);
    }
    const orderIds = (text: string): string[] => typed(text, 'dfc-b:Order').map((o) => o['@id'] as string);
    const seen: string[] = [];
    let at: string | undefined = '/api/dfc/enterprises/ferme/orders?page_size=2';
    for (let step = 0; at !== undefined && step < 10; step++) {
      const page = await node.request('GET', at, { headers: bearer(seller) });
      expect(page.status, page.text).to.equal(200);
      seen.push(...orderIds(page.text));
      const next = /<([^>]+)>; rel="next"/u.exec(page.headers.get('link') ?? '')?.[1];
      at = next === undefined ? undefined : next.slice(node.base.length);
      // A new order, newest: first in the list, before the walk's place.
      expect((await post(ofnOrder(ordersUrl, [{ ...tomate, quantity: '1' }]), buyer)).status).to.equal(201);
    }
    expect(seen).to.deep.equal([...placed].reverse());
    const numbered = await node.request('GET', '/api/dfc/enterprises/ferme/orders?page_size=2&page=2', { headers: bearer(seller) });
    expect(numbered.status).to.equal(200);
    expect(orderIds(numbered.text)).to.have.length(2);
    expect(numbered.headers.get('link')).to.match(/after=[A-Za-z0-9_-]+>; rel="next"/u);
  });

  it('refuses a cursor it did not write for an order list with a 400 problem saying why', async () => {
    for (const [after, why] of [['%%%', 'not base64url'], [Buffer.from('[1,2]').toString('base64url'), 'not what this node writes'],
      [Buffer.from('["n",2,"a","b"]').toString('base64url'), 'not one of an order list']]) {
      const response = await node.request('GET', `/api/dfc/enterprises/ferme/orders?after=${after}`, { headers: bearer(seller) });
      expect(response.status, response.text).to.equal(400);
      expect(response.headers.get('content-type')).to.match(/^application\/problem\+json/u);
      expect(response.json<{ detail: string }>().detail).to.include(why);
    }
  });

  it('completes with a bare status change that only refers to its lines, keeping their quantities', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const created = await post(ofnOrder(`${node.base}/api/dfc/enterprises/ferme/orders`, [{ ...tomate, quantity: 2 }]), buyer);
    const iri = created.headers.get('location') as string;
    const body = JSON.stringify({
      '@context': CONTEXT, '@id': iri, '@type': 'dfc-b:Order', 'dfc-b:hasOrderStatus': 'dfc-v:Complete', 'dfc-b:hasPart': `${iri}/OrderLines/1`,
    });
    const completed = await node.request('PUT', new URL(iri).pathname, { headers: { 'content-type': 'application/ld+json', ...bearer(buyer) }, body });
    expect(completed.status, completed.text).to.equal(200);
    expect(await stockOf('tomate')).to.include({ available: 10, reserved: 0, sold: 2 });
  });

  it('refuses to complete an order whose lines were all set to 0, in the same request or after, and keeps it open', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const url = `${node.base}/api/dfc/enterprises/ferme/orders`;
    const created = await post(ofnOrder(url, [{ ...tomate, quantity: 2 }]), buyer);
    const iri = created.headers.get('location') as string;
    const put = (body: string) => node.request('PUT', new URL(iri).pathname, { headers: { 'content-type': 'application/json', ...bearer(buyer) }, body });
    const emptied = await put(ofnOrder(url, [{ ...tomate, quantity: 0 }], { id: iri, status: 'dfc-v:Complete' }));
    expect(emptied.status, emptied.text).to.equal(409);
    expect(emptied.headers.get('content-type')).to.match(/application\/problem\+json/u);
    expect(JSON.parse(emptied.text).detail).to.contain('nothing to complete');
    // Refused before anything changed: the order still holds its 2.
    expect(await stockOf('tomate')).to.include({ reserved: 2, sold: 0 });
    // Emptied as a basket is (Held, holding nothing), then completed by a bare status change: refused too.
    expect((await put(ofnOrder(url, [{ ...tomate, quantity: 0 }], { id: iri }))).status).to.equal(200);
    expect(await stockOf('tomate')).to.include({ reserved: 0, sold: 0 });
    const bare = await put(JSON.stringify({ '@context': CONTEXT, '@id': iri, '@type': 'dfc-b:Order', 'dfc-b:hasOrderStatus': 'dfc-v:Complete' }));
    expect(bare.status, bare.text).to.equal(409);
    const read = await node.request('GET', new URL(iri).pathname, { headers: bearer(seller) });
    expect(typed(read.text, 'dfc-b:Order')[0]?.['dfc-b:hasOrderStatus']).to.equal('dfc-v:Held');
    expect(await stockOf('tomate')).to.include({ reserved: 0, sold: 0 });
  });

  it('says again what the order was given: the unit of a line\'s quantity, the VAT rate of its price; an echoed offer tells no stock', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const vat = await node.request('PUT', '/api/dfc/enterprises/ferme/offers/tomate', {
      headers: { 'content-type': 'application/json', ...bearer(node.adminToken) },
      body: JSON.stringify({ 'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 4.5, 'dfc-b:hasUnit': 'dfc-m:Euro', 'dfc-b:VATrate': 5.5 } }),
    });
    expect(vat.status, vat.text).to.equal(200);
    const body = JSON.parse(ofnOrder(`${node.base}/api/dfc/enterprises/ferme/orders`, [{ ...tomate, quantity: 2 }])) as { '@graph': Record<string, unknown>[] };
    const line = body['@graph'].find((n) => n['@type'] === 'dfc-b:OrderLine') as Record<string, unknown>;
    delete line['dfc-b:quantity'];
    line['dfc-b:hasQuantity'] = { '@type': 'dfc-b:QuantitativeValue', 'dfc-b:value': 2, 'dfc-b:hasUnit': 'dfc-m:Piece' };
    const created = await post(JSON.stringify(body), buyer);
    expect(created.status, created.text).to.equal(201);
    for (const answer of [created, await node.request('GET', new URL(created.headers.get('location') as string).pathname, { headers: bearer(seller) })]) {
      const answered = typed(answer.text, 'dfc-b:OrderLine')[0];
      expect(answered?.['dfc-b:hasQuantity']).to.deep.equal({ '@type': 'dfc-b:QuantitativeValue', 'dfc-b:value': 2, 'dfc-b:hasUnit': 'dfc-m:Piece' });
      expect(answered?.['dfc-b:hasPrice']).to.deep.equal({ '@type': 'dfc-b:Price', 'dfc-b:value': 4.5, 'dfc-b:hasUnit': 'dfc-m:Euro', 'dfc-b:VATrate': 5.5 });
      const offer = typed(answer.text, 'dfc-b:Offer')[0];
      expect(offer?.['dfc-b:hasPrice']).to.deep.equal(answered?.['dfc-b:hasPrice']);
      expect(offer).to.not.have.property('dfc-b:stockLimitation');
    }
    expect(await stockOf('tomate')).to.include({ reserved: 2 });
  });

  it('takes a line\'s quantity in pieces or in the unit of a pack of one, and refuses one in another unit (it reserved 3 kg for 3 g)', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const url = `${node.base}/api/dfc/enterprises/ferme/orders`;
    const inUnit = (value: number, unit: string) => {
      const body = JSON.parse(ofnOrder(url, [{ ...tomate, quantity: value }])) as { '@graph': Record<string, unknown>[] };
      const line = body['@graph'].find((n) => n['@type'] === 'dfc-b:OrderLine') as Record<string, unknown>;
      delete line['dfc-b:quantity'];
      line['dfc-b:hasQuantity'] = { '@type': 'dfc-b:QuantitativeValue', 'dfc-b:value': value, 'dfc-b:hasUnit': unit };
      return JSON.stringify(body);
    };
    // The seeded tomatoes are sold by the pack of 1 kg.
    expect((await post(inUnit(2, 'dfc-m:Kilogram'), buyer)).status).to.equal(201);
    expect((await post(inUnit(1, 'dfc-m:Piece'), buyer)).status).to.equal(201);
    const grams = await post(inUnit(3, 'dfc-m:Gram'), buyer);
    expect(grams.status, grams.text).to.equal(422);
    expect(grams.json<{ detail: string }>().detail).to.contain('quantity in dfc-m:Gram: this item is sold by the pack of 1 dfc-m:Kilogram');
    expect(await stockOf('tomate')).to.include({ reserved: 3 });
  });

  it('takes a line whose offer is written in another spelling of this node\'s IRI (scheme or host in capitals, a default port)', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const url = `${node.base}/api/dfc/enterprises/ferme/orders`;
    for (const offer of [tomate.offer.replace('http://a.test', 'HTTP://a.test'), tomate.offer.replace('a.test', 'A.TEST'), tomate.offer.replace('a.test', 'a.test:80')]) {
      const created = await post(ofnOrder(url, [{ offer, product: tomate.product, quantity: 1 }]), buyer);
      expect(created.status, `${offer}: ${created.text}`).to.equal(201);
      expect(typed(created.text, 'dfc-b:OrderLine')[0]?.['dfc-b:concerns']).to.equal(tomate.offer);
    }
    expect(await stockOf('tomate')).to.include({ reserved: 3 });
  });

  it('answers with the media type it negotiated, as the catalogue does (profile="dfc-v2" quoted)', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const created = await post(ofnOrder(`${node.base}/api/dfc/enterprises/ferme/orders`, [{ ...tomate, quantity: 1 }]), buyer);
    const path = new URL(created.headers.get('location') as string).pathname;
    for (const [accept, type] of [
      ['application/ld+json; profile="dfc-v2"', 'application/ld+json; profile="dfc-v2"; charset=utf-8'], ['text/turtle', 'text/turtle; charset=utf-8'],
      ['application/ld+json', 'application/ld+json; charset=utf-8'],
    ] as const) {
      const read = await node.request('GET', path, { headers: { ...bearer(seller), accept } });
      expect(read.headers.get('content-type'), accept).to.equal(type);
      const catalogue = await node.request('GET', '/api/dfc/enterprises/ferme/catalog_items', { headers: { accept } });
      expect(catalogue.headers.get('content-type'), accept).to.equal(type);
      // A write's answer too, with the ETag a read of the same representation gives.
      const written = await node.request('PUT', '/api/dfc/enterprises/ferme/catalog_items/tomate', {
        headers: { 'content-type': 'application/json', accept, ...bearer(node.adminToken) }, body: '{"dfc-b:sku": "TOM-1"}',
      });
      expect(written.headers.get('content-type'), accept).to.equal(type);
      const item = await node.request('GET', '/api/dfc/enterprises/ferme/catalog_items/tomate', { headers: { accept } });
      expect(item.headers.get('etag'), accept).to.equal(written.headers.get('etag'));
    }
  });

  it('answers under the FDC spelling …/Orders, with @ids under it', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const ordersUrl = `${node.base}/api/dfc/enterprises/ferme/Orders`;
    const created = await post(ofnOrder(ordersUrl, [{ ...tomate, quantity: 1 }]), buyer, {}, '/api/dfc/enterprises/ferme/Orders');
    expect(created.status, created.text).to.equal(201);
    expect(typed(created.text, 'dfc-b:Order')[0]?.['@id']).to.match(/\/Orders\/\d+$/u);
  });

  it('refuses an order with a short line with 409, naming each short line, and reserves nothing', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const chevre = await idsOf(node, 'ferme', 'chevre');
    const refused = await post(ofnOrder(`${node.base}/api/dfc/enterprises/ferme/orders`, [{ ...tomate, quantity: 2 }, { ...chevre, quantity: 1 }]), buyer);
    expect(refused.status).to.equal(409);
    expect(refused.headers.get('content-type')).to.match(/application\/problem\+json/u);
    const problem = JSON.parse(refused.text) as { detail: string; shortLines: { line: number; requested: number; available: number }[] };
    expect(problem.shortLines).to.deep.equal([{ line: 2, id: `${node.base}/api/dfc/enterprises/ferme/orders/OrderLines/2`, offer: chevre.offer, item: chevre.item, requested: 1, available: 0 }]);
    expect(problem.detail).to.contain('1 requested, 0 available');
    expect(await stockOf('tomate')).to.include({ available: 12, reserved: 0 });
  });

  it('names each of two short lines on one offer with its own quantity, and what they ask together', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const ordersUrl = `${node.base}/api/dfc/enterprises/ferme/orders`;
    const before = await stockOf('tomate');
    const refused = await post(ofnOrder(ordersUrl, [{ ...tomate, quantity: 7 }, { ...tomate, quantity: 6 }]), buyer);
    expect(refused.status, refused.text).to.equal(409);
    const problem = JSON.parse(refused.text) as { detail: string; shortLines: unknown[]; problems: { code: string; id: string; message: string }[] };
    // Each line asks its own quantity; the 12 tomatoes are what both could have, and they ask 13 together.
    expect(problem.shortLines).to.deep.equal([
      { line: 1, id: `${ordersUrl}/OrderLines/1`, offer: tomate.offer, item: tomate.item, requested: 7, available: 12, requestedTogether: 13, sharedWith: [2] },
      { line: 2, id: `${ordersUrl}/OrderLines/2`, offer: tomate.offer, item: tomate.item, requested: 6, available: 12, requestedTogether: 13, sharedWith: [1] },
    ]);
    expect(problem.problems.map((p) => [p.code, p.id])).to.deep.equal([['insufficient-stock', `${ordersUrl}/OrderLines/1`], ['insufficient-stock', `${ordersUrl}/OrderLines/2`]]);
    expect(problem.detail).to.contain('line 1 (').and.contain('7 requested, 12 available for it and line 2 together, which request 13');
    expect(await stockOf('tomate')).to.deep.equal(before);
  });

  it('names an amended short line with its new quantity, and what the order could have, holding what it held', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const ordersUrl = `${node.base}/api/dfc/enterprises/ferme/orders`;
    const created = await post(ofnOrder(ordersUrl, [{ ...tomate, quantity: 1 }]), buyer);
    expect(created.status, created.text).to.equal(201);
    const iri = created.headers.get('location') as string;
    const before = await stockOf('tomate');
    expect(before).to.include({ available: 11, reserved: 1 });
    const refused = await node.request('PUT', new URL(iri).pathname, {
      headers: { 'content-type': 'application/json', ...bearer(buyer) }, body: ofnOrder(ordersUrl, [{ ...tomate, quantity: 100 }], { id: iri }),
    });
    expect(refused.status, refused.text).to.equal(409);
    // The line asks 100 (not the 99 more it would take); the order could have 12: the 11 left and the 1 it holds.
    expect((JSON.parse(refused.text) as { shortLines: unknown[] }).shortLines).to.deep.equal([
      { line: 1, id: `${iri}/OrderLines/1`, offer: tomate.offer, item: tomate.item, requested: 100, available: 12 },
    ]);
    expect(await stockOf('tomate')).to.deep.equal(before);
    const read = await node.request('GET', new URL(iri).pathname, { headers: bearer(buyer) });
    expect(typed(read.text, 'dfc-b:OrderLine').map((l) => Number(l['dfc-b:quantity']))).to.deep.equal([1]);
  });

  it('makes a retried POST with the same Idempotency-Key safe', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const body = ofnOrder(`${node.base}/api/dfc/enterprises/ferme/orders`, [{ ...tomate, quantity: 2 }]);
    const first = await post(body, buyer, { 'idempotency-key': 'abc-1' });
    const second = await post(body, buyer, { 'idempotency-key': 'abc-1' });
    // The same answer: the status, the order's location and its graph, as a client that lost the first expects.
    expect(first.status).to.equal(201);
    expect(second.status).to.equal(201);
    expect(second.headers.get('location')).to.equal(first.headers.get('location'));
    expect(JSON.parse(second.text)).to.deep.equal(JSON.parse(first.text));
    expect(await stockOf('tomate')).to.include({ available: 10, reserved: 2 });
    const other = await post(ofnOrder(`${node.base}/api/dfc/enterprises/ferme/orders`, [{ ...tomate, quantity: 3 }]), buyer, { 'idempotency-key': 'abc-1' });
    expect(other.status).to.equal(422);
  });

  it('completes an order asked Complete when a retry with its key finds it held (the first attempt died before completing it)', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const body = ofnOrder(`${node.base}/api/dfc/enterprises/ferme/orders`, [{ ...tomate, quantity: 2 }], { status: 'dfc-v:Complete' });
    // The first attempt stores the order, then fails before its completion (the process dies there).
    const orders = node.store.orders;
    const complete = orders.complete.bind(orders);
    let dies = true;
    orders.complete = async (...args: Parameters<typeof complete>) => {
      if (dies) {
        dies = false;
        throw new Error('the process died here');
      }
      return complete(...args);
    };
    try {
      const first = await post(body, buyer, { 'idempotency-key': 'complete-1' });
      expect(first.status).to.equal(500);
      expect(await stockOf('tomate')).to.include({ available: 10, reserved: 2 });
      const retried = await post(body, buyer, { 'idempotency-key': 'complete-1' });
      expect(retried.status, retried.text).to.equal(201);
      expect(typed(retried.text, 'dfc-b:Order')[0]?.['dfc-b:hasOrderStatus']).to.equal('dfc-v:Complete');
      expect(await stockOf('tomate')).to.include({ available: 10, reserved: 0 });
    } finally {
      orders.complete = complete;
    }
  });

  it('answers a retry asking Complete of an order cancelled while it completes with a 409, not an error of ours', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const body = ofnOrder(`${node.base}/api/dfc/enterprises/ferme/orders`, [{ ...tomate, quantity: 1 }], { status: 'dfc-v:Complete' });
    const orders = node.store.orders;
    const complete = orders.complete.bind(orders);
    try {
      // The first attempt dies before its completion; the retry's completion finds the order cancelled meanwhile.
      orders.complete = () => Promise.reject(new Error('the process died here'));
      expect((await post(body, buyer, { 'idempotency-key': 'complete-3' })).status).to.equal(500);
      orders.complete = async (...args: Parameters<typeof complete>) => {
        await orders.cancel(args[0], 'cancelled');
        return complete(...args);
      };
      const retried = await post(body, buyer, { 'idempotency-key': 'complete-3' });
      expect(retried.status, retried.text).to.equal(409);
      expect(retried.text).to.match(/Cancelled/u);
    } finally {
      orders.complete = complete;
    }
    expect(await stockOf('tomate')).to.include({ available: 12, reserved: 0, sold: 0 });
  });

  it('answers every concurrent retry of a request asking Complete with the completed order, sold once', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const body = ofnOrder(`${node.base}/api/dfc/enterprises/ferme/orders`, [{ ...tomate, quantity: 3 }], { status: 'dfc-v:Complete' });
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(body, buyer, { 'idempotency-key': 'complete-2' })));
    for (const answer of answers) {
      expect(answer.status, answer.text).to.equal(201);
      expect(typed(answer.text, 'dfc-b:Order')[0]?.['dfc-b:hasOrderStatus']).to.equal('dfc-v:Complete');
    }
    expect(new Set(answers.map((a) => a.headers.get('location'))).size).to.equal(1);
    expect(await stockOf('tomate')).to.include({ available: 9, reserved: 0 });
  });

  it('cancels, and a cancelled order can no longer change', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const created = await post(ofnOrder(`${node.base}/api/dfc/enterprises/ferme/orders`, [{ ...tomate, quantity: 4 }]), buyer);
    const path = new URL(created.headers.get('location') as string).pathname;
    const cancelled = await node.request('DELETE', path, { headers: bearer(buyer) });
    expect(cancelled.status).to.equal(200);
    expect(await stockOf('tomate')).to.include({ available: 12, reserved: 0 });
    const again = await node.request('PUT', path, {
      headers: { 'content-type': 'application/json', ...bearer(buyer) },
      body: ofnOrder(`${node.base}/api/dfc/enterprises/ferme/orders`, [{ ...tomate, quantity: 1 }], { id: created.headers.get('location') as string }),
    });
    expect(again.status).to.equal(409);
  });

  it('refuses (409, naming the order) to delete a product an open order sells, and deletes it once the order is closed', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const created = await post(ofnOrder(`${node.base}/api/dfc/enterprises/ferme/orders`, [{ ...tomate, quantity: 2 }]), buyer);
    expect(created.status, created.text).to.equal(201);
    const order = created.headers.get('location') as string;
    const writer = await node.token('ferme', ['WriteProducts']);
    const refused = await node.request('DELETE', '/api/dfc/enterprises/ferme/supplied_products/tomate', { headers: bearer(writer) });
    expect(refused.status, refused.text).to.equal(409);
    expect(refused.headers.get('content-type')).to.match(/^application\/problem\+json/u);
    expect(refused.json<{ detail: string; order: string }>()).to.deep.include({ order });
    expect(refused.json<{ detail: string }>().detail).to.contain('complete or cancel it first');
    // Nothing was deleted: the order still completes as placed.
    expect((await node.request('GET', '/api/dfc/enterprises/ferme/offers/tomate')).status).to.equal(200);
    const completed = await node.request('PUT', new URL(order).pathname, {
      headers: { 'content-type': 'application/json', ...bearer(buyer) },
      body: ofnOrder(`${node.base}/api/dfc/enterprises/ferme/orders`, [{ ...tomate, quantity: 2 }], { id: order, status: 'dfc-v:Complete' }),
    });
    expect(completed.status, completed.text).to.equal(200);
    expect((await node.request('DELETE', '/api/dfc/enterprises/ferme/supplied_products/tomate', { headers: bearer(writer) })).status).to.equal(204);
  });

  it('answers a completion sent again with 200 only for what was sold: other quantities are a 409, never a 200 that changed nothing', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const carottes = await idsOf(node, 'ferme', 'carottes');
    const url = `${node.base}/api/dfc/enterprises/ferme/orders`;
    const created = await post(ofnOrder(url, [{ ...tomate, quantity: 2 }]), buyer);
    const iri = created.headers.get('location') as string;
    const put = (lines: Parameters<typeof ofnOrder>[1]) => node.request('PUT', new URL(iri).pathname, {
      headers: { 'content-type': 'application/json', ...bearer(buyer) }, body: ofnOrder(url, lines, { id: iri, status: 'dfc-v:Complete' }),
    });
    expect((await put([{ ...tomate, quantity: 2 }])).status).to.equal(200);
    // A retry of the same completion (its answer lost) is answered as the first was.
    const again = await put([{ ...tomate, quantity: '2' }]);
    expect(again.status, again.text).to.equal(200);
    for (const lines of [[{ ...tomate, quantity: 5 }], [{ ...tomate, quantity: 2 }, { ...carottes, quantity: 1 }], [{ ...tomate, quantity: 0 }, { ...carottes, quantity: 2 }]]) {
      const changed = await put(lines);
      expect(changed.status, `${JSON.stringify(lines)}: ${changed.text}`).to.equal(409);
      expect(changed.headers.get('content-type')).to.match(/application\/problem\+json/u);
      expect(changed.text).to.contain('Complete');
    }
    expect(await stockOf('tomate')).to.include({ available: 10, reserved: 0, sold: 2 });
    expect(await stockOf('carottes')).to.include({ reserved: 0, sold: 0 });
  });

  it('refuses a conditional change of an order with 412 (orders carry no ETag, so no If-Match tag matches), and takes If-Match: *', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const url = `${node.base}/api/dfc/enterprises/ferme/orders`;
    const created = await post(ofnOrder(url, [{ ...tomate, quantity: 2 }]), buyer);
    const iri = created.headers.get('location') as string;
    const path = new URL(iri).pathname;
    const put = (ifMatch: string, token = buyer) => node.request('PUT', path, {
      headers: { 'content-type': 'application/json', ...bearer(token), 'if-match': ifMatch }, body: ofnOrder(url, [{ ...tomate, quantity: 3 }], { id: iri }),
    });
    for (const ifMatch of ['"v1"', 'W/"v1"', '"a", "b"']) {
      const refused = await put(ifMatch);
      expect(refused.status, `${ifMatch}: ${refused.text}`).to.equal(412);
      expect(refused.headers.get('content-type')).to.match(/application\/problem\+json/u);
      const deleted = await node.request('DELETE', path, { headers: { ...bearer(buyer), 'if-match': ifMatch } });
      expect(deleted.status, `DELETE ${ifMatch}`).to.equal(412);
      expect(await stockOf('tomate'), ifMatch).to.include({ available: 10, reserved: 2 });
    }
    // Whoever may not see the order learns nothing more from a condition: 404 as without it.
    expect((await put('"v1"', await node.token('ferme', ['WriteOrders']))).status).to.equal(404);
    expect((await node.request('PUT', `${path}999`, { headers: { 'content-type': 'application/json', ...bearer(buyer), 'if-match': '"v1"' }, body: '{}' })).status).to.equal(404);
    // If-None-Match: * asks that the order not be there: it is, so nothing is changed or cancelled (RFC 9110 §13.1.2).
    for (const method of ['PUT', 'DELETE']) {
      const refused = await node.request(method, path, {
        headers: { 'content-type': 'application/json', ...bearer(buyer), 'if-none-match': '*' }, ...(method === 'PUT' ? { body: ofnOrder(url, [{ ...tomate, quantity: 3 }], { id: iri }) } : {}),
      });
      expect(refused.status, `${method} ${refused.text}`).to.equal(412);
      expect(await stockOf('tomate'), method).to.include({ available: 10, reserved: 2 });
    }
    const any = await put('*');
    expect(any.status, any.text).to.equal(200);
    expect(await stockOf('tomate')).to.include({ available: 9, reserved: 3 });
  });

  it('refuses an order of more than 1,000 lines with 422 before reading them, and takes one of 1,000', async () => {
    const carottes = await idsOf(node, 'ferme', 'carottes');
    const url = `${node.base}/api/dfc/enterprises/ferme/orders`;
    const many = (n: number) => ofnOrder(url, Array.from({ length: n }, () => ({ ...carottes, quantity: 1 })));
    const refused = await post(many(1001), buyer);
    expect(refused.status, refused.text.slice(0, 300)).to.equal(422);
    expect(refused.headers.get('content-type')).to.match(/application\/problem\+json/u);
    expect(refused.text).to.contain('1001 lines').and.to.contain('1000');
    expect(await stockOf('carottes')).to.include({ reserved: 0 });
    const taken = await post(many(1000), buyer);
    expect(taken.status, taken.text.slice(0, 300)).to.equal(201);
    expect(typed(taken.text, 'dfc-b:OrderLine')).to.have.length(1000);
    // An amendment is bounded the same way.
    const iri = taken.headers.get('location') as string;
    const amended = await node.request('PUT', new URL(iri).pathname, {
      headers: { 'content-type': 'application/json', ...bearer(buyer) },
      body: ofnOrder(url, Array.from({ length: 1001 }, () => ({ ...carottes, quantity: 1 })), { id: iri }),
    });
    expect(amended.status).to.equal(422);
  });

  it('refuses a change of the buyer (dfc-b:orderedBy) of an order with 422, and keeps the order as it was', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const url = `${node.base}/api/dfc/enterprises/ferme/orders`;
    const created = await post(ofnOrder(url, [{ ...tomate, quantity: 2 }]), buyer);
    const iri = created.headers.get('location') as string;
    const other = ofnOrder(url, [{ ...tomate, quantity: 3 }], { id: iri }).replace('https://ofn.example/api/dfc/enterprises/7', 'https://elsewhere.example/enterprises/9');
    const changed = await node.request('PUT', new URL(iri).pathname, { headers: { 'content-type': 'application/json', ...bearer(buyer) }, body: other });
    expect(changed.status, changed.text).to.equal(422);
    expect(changed.text).to.contain('dfc-b:orderedBy');
    expect(await stockOf('tomate')).to.include({ available: 10, reserved: 2 });
    // The same buyer, or none said (a bare reference to the order), changes the order.
    const same = await node.request('PUT', new URL(iri).pathname, { headers: { 'content-type': 'application/json', ...bearer(buyer) }, body: ofnOrder(url, [{ ...tomate, quantity: 3 }], { id: iri }) });
    expect(same.status, same.text).to.equal(200);
    expect(await stockOf('tomate')).to.include({ available: 9, reserved: 3 });
  });

  it('gives the stock of an untouched held order back when it expires', async () => {
    await node.close();
    node = await startInProcess({ base: 'http://a.test', orderHoldSeconds: 1 });
    await node.seed('ferme');
    buyer = await node.token('ferme', ['WriteOrders']);
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const created = await post(ofnOrder(`${node.base}/api/dfc/enterprises/ferme/orders`, [{ ...tomate, quantity: 4 }]), buyer);
    expect(created.status).to.equal(201);
    expect(await node.orders.expireDue()).to.equal(0);
    await new Promise((resolve) => { setTimeout(resolve, 1100); });
    expect(await node.orders.expireDue()).to.equal(1);
    expect(await stockOf('tomate')).to.include({ available: 12, reserved: 0 });
    const read = await node.request('GET', new URL(created.headers.get('location') as string).pathname, { headers: bearer(buyer) });
    expect(typed(read.text, 'dfc-b:Order')[0]?.['dfc-b:hasOrderStatus']).to.equal('dfc-v:Cancelled');
  });

  it('holds an order open until its sale session ends (OFN completes its backorders when the order cycle closes), then for the hold, at most 90 days ahead', async () => {
    const short = await startInProcess({ base: 'http://c.test', orderHoldSeconds: 1 });
    try {
      await short.seed('ferme');
      const token = await short.token('ferme', ['WriteOrders', 'ReadOrders']);
      const ids = await idsOf(short, 'ferme', 'tomate');
      const url = `${short.base}/api/dfc/enterprises/ferme/orders`;
      const place = async (end: Date) => {
        const body = JSON.parse(ofnOrder(url, [{ ...ids, quantity: 1 }])) as { '@graph': Record<string, unknown>[] };
        const session = body['@graph'].find((n) => n['@type'] === 'dfc-b:SaleSession') as Record<string, unknown>;
        // As OFN writes it: JavaScript's Date.toString() in UTC.
        session['dfc-b:endDate'] = end.toUTCString().replace(/^(\w+), (\d+) (\w+) (\d+) (.*) GMT$/u, '$1 $3 $2 $4 $5 UTC');
        const placed = await short.request('POST', '/api/dfc/enterprises/ferme/orders', { headers: { 'content-type': 'application/json', ...bearer(token) }, body: JSON.stringify(body) });
        expect(placed.status, placed.text).to.equal(201);
        return placed.headers.get('location') as string;
      };
      const inADay = new Date(Math.floor(Date.now() / 1000) * 1000 + 86_400_000);
      const cycle = await place(inADay);
      const inTenYears = await place(new Date(Date.now() + 10 * 365 * 86_400_000));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      // Past the hold of one second, still held: read (which expires what is past its time), and in the store.
      const read = await short.request('GET', new URL(cycle).pathname, { headers: bearer(token) });
      expect(typed(read.text, 'dfc-b:Order')[0]?.['dfc-b:hasOrderStatus']).to.equal('dfc-v:Held');
      expect((await short.store.orders.get(cycle))?.expiresAt).to.equal(new Date(inADay.getTime() + 1000).toISOString());
      const far = Date.parse((await short.store.orders.get(inTenYears))?.expiresAt as string);
      expect(far).to.be.within(Date.now() + 89 * 86_400_000, Date.now() + 90 * 86_400_000 + 1000);
    } finally {
      await short.close();
    }
  });

  it('expires a held order past its time when it is read, before the sweep comes by', async () => {
    await node.close();
    node = await startInProcess({ base: 'http://a.test', orderHoldSeconds: 1 });
    await node.seed('ferme');
    buyer = await node.token('ferme', ['WriteOrders']);
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const created = await post(ofnOrder(`${node.base}/api/dfc/enterprises/ferme/orders`, [{ ...tomate, quantity: 3 }]), buyer);
    expect(created.status).to.equal(201);
    expect(await stockOf('tomate')).to.include({ available: 9, reserved: 3 });
    await new Promise((resolve) => { setTimeout(resolve, 1100); });
    const read = await node.request('GET', new URL(created.headers.get('location') as string).pathname, { headers: bearer(buyer) });
    expect(typed(read.text, 'dfc-b:Order')[0]?.['dfc-b:hasOrderStatus']).to.equal('dfc-v:Cancelled');
    expect(await stockOf('tomate')).to.include({ available: 12, reserved: 0 });
    expect(await node.orders.expireDue()).to.equal(0);
  });

  it('expires the held orders past their time in a list of orders too, so that a buyer looking for its open order (OFN) finds none', async () => {
    await node.close();
    node = await startInProcess({ base: 'http://a.test', orderHoldSeconds: 1 });
    await node.seed('ferme');
    buyer = await node.token('ferme', ['WriteOrders']);
    seller = await node.token('ferme', ['ReadOrders']);
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const url = `${node.base}/api/dfc/enterprises/ferme/Orders`;
    expect((await post(ofnOrder(url, [{ ...tomate, quantity: 3 }]), buyer, {}, '/api/dfc/enterprises/ferme/Orders')).status).to.equal(201);
    await new Promise((resolve) => { setTimeout(resolve, 1100); });
    for (const token of [buyer, seller]) {
      const list = await node.request('GET', '/api/dfc/enterprises/ferme/Orders', { headers: bearer(token) });
      expect(list.status).to.equal(200);
      expect(typed(list.text, 'dfc-b:Order').map((o) => o['dfc-b:hasOrderStatus'])).to.deep.equal(['dfc-v:Cancelled']);
    }
    expect(await stockOf('tomate')).to.include({ available: 12, reserved: 0 });
    expect(await node.orders.expireDue()).to.equal(0);
  });

  it('keeps orders to those who may see them', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const body = ofnOrder(`${node.base}/api/dfc/enterprises/ferme/orders`, [{ ...tomate, quantity: 1 }]);
    expect((await node.request('POST', '/api/dfc/enterprises/ferme/orders', { headers: { 'content-type': 'application/json' }, body })).status).to.equal(401);
    expect((await post(body, reader)).status).to.equal(403);
    const mine = await post(body, buyer);
    const other = await node.token('ferme', ['WriteOrders']);
    const path = new URL(mine.headers.get('location') as string).pathname;
    expect((await node.request('GET', path, { headers: bearer(other) })).status).to.equal(404);
    expect((await node.request('GET', path, { headers: bearer(seller) })).status).to.equal(200);
    const theirs = await node.request('GET', '/api/dfc/enterprises/ferme/orders', { headers: bearer(other) });
    expect(typed(theirs.text, 'dfc-b:Order')).to.have.length(0);
    // Orders are in no public place: not the catalogue, not the public feed.
    const catalogue = await node.request('GET', '/api/dfc/enterprises/ferme/catalog_items');
    expect(catalogue.text).to.not.contain('dfc-b:Order"');
    const feed = await node.request('GET', '/api/dfc/feed');
    expect(feed.text).to.not.contain('/orders/');
  });

  it('dereferences the IRI it gives each line of an order (its order\'s document), to those who may see the order', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    for (const collection of ['orders', 'Orders']) {
      const created = await post(ofnOrder(`${node.base}/api/dfc/enterprises/ferme/${collection}`, [{ ...tomate, quantity: 1 }]), buyer, {}, `/api/dfc/enterprises/ferme/${collection}`);
      expect(created.status, created.text).to.equal(201);
      const order = created.headers.get('location') as string;
      const lines = typed(created.text, 'dfc-b:OrderLine').map((l) => l['@id'] as string);
      expect(lines, collection).to.deep.equal([`${order}/OrderLines/1`]);
      const path = new URL(lines[0] as string).pathname;
      const read = await node.request('GET', path, { headers: bearer(buyer) });
      expect(read.status, read.text).to.equal(200);
      expect(read.headers.get('content-location')).to.equal(order);
      expect(typed(read.text, 'dfc-b:OrderLine').map((l) => l['@id'])).to.deep.equal(lines);
      expect((await node.request('GET', path, { headers: bearer(seller) })).status).to.equal(200);
      expect((await node.request('GET', path, { headers: bearer(await node.token('ferme', ['WriteOrders'])) })).status, 'another buyer').to.equal(404);
      expect((await node.request('GET', path)).status, 'no token').to.equal(401);
      const missing = await node.request('GET', `${new URL(order).pathname}/OrderLines/2`, { headers: bearer(buyer) });
      expect(missing.status).to.equal(404);
      expect(missing.headers.get('content-type')).to.match(/^application\/problem\+json/u);
      expect((await node.request('PUT', path, { headers: bearer(buyer), body: '{}' })).status).to.equal(405);
    }
  });

  it('closes orders of fractional quantities exactly, whatever the binary rounding of their sums', async () => {
    const carottes = await idsOf(node, 'ferme', 'tomate');
    const url = `${node.base}/api/dfc/enterprises/ferme/orders`;
    const a = await post(ofnOrder(url, [{ ...carottes, quantity: 0.7 }]), buyer);
    const b = await post(ofnOrder(url, [{ ...carottes, quantity: 0.1 }]), buyer);
    expect(a.status).to.equal(201);
    expect(b.status).to.equal(201);
    expect((await node.request('DELETE', new URL(a.headers.get('location') as string).pathname, { headers: bearer(buyer) })).status).to.equal(200);
    const done = await node.request('PUT', new URL(b.headers.get('location') as string).pathname, {
      headers: { 'content-type': 'application/json', ...bearer(buyer) },
      body: JSON.stringify({ '@context': CONTEXT, '@id': b.headers.get('location'), '@type': 'dfc-b:Order', 'dfc-b:hasOrderStatus': 'dfc-v:Complete' }),
    });
    expect(done.status, done.text).to.equal(200);
    const level = await stockOf('tomate');
    expect(level?.reserved).to.equal(0);
    expect(level?.sold).to.be.closeTo(0.1, 1e-9);
  });

  describe('units reserved while an item was on demand', () => {
    const setStock = (stock: number) => node.request('PUT', '/api/dfc/enterprises/ferme/catalog_items/tomate', {
      headers: { 'content-type': 'application/json', ...bearer(node.adminToken) }, body: JSON.stringify({ 'dfc-b:stockLimitation': stock }),
    });
    const published = async (): Promise<unknown> => typed((await node.request('GET', '/api/dfc/enterprises/ferme/catalog_items/tomate')).text, 'dfc-b:CatalogItem')[0]?.['dfc-b:stockLimitation'];

    it('never come back as stock once the item counts its stock again, cancelled or expired, and orders then take only what the seller has', async () => {
      const tomate = await idsOf(node, 'ferme', 'tomate');
      const url = `${node.base}/api/dfc/enterprises/ferme/orders`;
      expect((await setStock(-1)).status).to.equal(200);
      const big = await post(ofnOrder(url, [{ ...tomate, quantity: 1000 }]), buyer);
      expect(big.status, big.text).to.equal(201);
      const small = await post(ofnOrder(url, [{ ...tomate, quantity: 5 }]), buyer);
      expect(small.status, small.text).to.equal(201);
      // The seller counts again: 2 on hand.
      expect((await setStock(2)).status).to.equal(200);
      expect((await node.request('DELETE', new URL(big.headers.get('location') as string).pathname, { headers: bearer(buyer) })).status).to.equal(200);
      expect(await published()).to.equal(2);
      expect(await stockOf('tomate')).to.include({ available: 2, reserved: 5 });
      // Twenty buyers at once for the 2 the seller has: two get one.
      const answers = await Promise.all(Array.from({ length: 20 }, () => post(ofnOrder(url, [{ ...tomate, quantity: 1 }]), buyer)));
      expect(answers.filter((a) => a.status === 201)).to.have.length(2);
      expect(answers.filter((a) => a.status !== 201).every((a) => a.status === 409)).to.equal(true);
      // The rest reserved on demand is completed: sold, and nothing comes back.
      const completed = await node.request('PUT', new URL(small.headers.get('location') as string).pathname, {
        headers: { 'content-type': 'application/json', ...bearer(buyer) },
        body: JSON.stringify({ '@context': CONTEXT, '@id': small.headers.get('location'), '@type': 'dfc-b:Order', 'dfc-b:hasOrderStatus': 'dfc-v:Complete' }),
      });
      expect(completed.status, completed.text).to.equal(200);
      expect(await stockOf('tomate')).to.include({ available: 0, reserved: 2 });
      expect(await published()).to.equal(0);
    });

    it('stay counted when counted units are released while the item is on demand (nothing comes back then)', async () => {
      const tomate = await idsOf(node, 'ferme', 'tomate');
      const url = `${node.base}/api/dfc/enterprises/ferme/orders`;
      const cancel = async (answer: { headers: Headers }) =>
        expect((await node.request('DELETE', new URL(answer.headers.get('location') as string).pathname, { headers: bearer(buyer) })).status).to.equal(200);
      expect((await setStock(5)).status).to.equal(200);
      const counted = await post(ofnOrder(url, [{ ...tomate, quantity: 5 }]), buyer);
      expect(counted.status, counted.text).to.equal(201);
      expect((await setStock(-1)).status).to.equal(200);
      const onDemand = await post(ofnOrder(url, [{ ...tomate, quantity: 10 }]), buyer);
      expect(onDemand.status, onDemand.text).to.equal(201);
      await cancel(counted);
      expect((await setStock(3)).status).to.equal(200);
      await cancel(onDemand);
      expect(await stockOf('tomate')).to.include({ available: 3, reserved: 0 });
      expect(await published()).to.equal(3);
    });

    it('come back to nothing when they expire, and units reserved from counted stock still come back', async () => {
      const expiring = await startInProcess({ base: 'http://b.test', orderHoldSeconds: 1 });
      try {
        await expiring.seed('ferme');
        const token = await expiring.token('ferme', ['WriteOrders', 'ReadOrders']);
        const item = '/api/dfc/enterprises/ferme/catalog_items/tomate';
        const set = (stock: number) => expiring.request('PUT', item, { headers: { 'content-type': 'application/json', ...bearer(expiring.adminToken) }, body: JSON.stringify({ 'dfc-b:stockLimitation': stock }) });
        const ids = await idsOf(expiring, 'ferme', 'tomate');
        const url = `${expiring.base}/api/dfc/enterprises/ferme/orders`;
        const place = (quantity: number) => expiring.request('POST', '/api/dfc/enterprises/ferme/orders', {
          headers: { 'content-type': 'application/json', ...bearer(token) }, body: ofnOrder(url, [{ ...ids, quantity }]),
        });
        expect((await set(10)).status).to.equal(200);
        expect((await place(4)).status).to.equal(201);
        expect((await set(-1)).status).to.equal(200);
        expect((await place(50)).status).to.equal(201);
        expect((await set(3)).status).to.equal(200);
        await new Promise((resolve) => setTimeout(resolve, 1500));
        // Read: both expire. The 50 reserved on demand give back nothing; the 4 from counted stock come back.
        const list = await expiring.request('GET', '/api/dfc/enterprises/ferme/orders', { headers: bearer(token) });
        expect(list.text).to.not.contain('dfc-v:Held');
        expect(await expiring.store.orders.stock(`${expiring.base}${item}`)).to.include({ available: 7, reserved: 0 });
      } finally {
        await expiring.close();
      }
    });
  });

  describe('a ledger exact in fractional quantities', () => {
    const setStock = (stock: number) => node.request('PUT', '/api/dfc/enterprises/ferme/catalog_items/tomate', {
      headers: { 'content-type': 'application/json', ...bearer(node.adminToken) }, body: JSON.stringify({ 'dfc-b:stockLimitation': stock }),
    });
    const cancel = (answer: { headers: Headers }) => node.request('DELETE', new URL(answer.headers.get('location') as string).pathname, { headers: bearer(buyer) });
    const published = async (): Promise<unknown> => typed((await node.request('GET', '/api/dfc/enterprises/ferme/catalog_items/tomate')).text, 'dfc-b:CatalogItem')[0]?.['dfc-b:stockLimitation'];

    it('gives back exactly what a cancelled order took, however many fractional lines it had', async () => {
      const tomate = await idsOf(node, 'ferme', 'tomate');
      const url = `${node.base}/api/dfc/enterprises/ferme/orders`;
      for (const [stock, lines] of [[20, Array(10).fill(0.1)], [20, Array(1000).fill(0.001)], [10.3, [0.1, 0.2]]] as [number, number[]][]) {
        expect((await setStock(stock)).status).to.equal(200);
        const created = await post(ofnOrder(url, lines.map((quantity) => ({ ...tomate, quantity }))), buyer);
        expect(created.status, created.text).to.equal(201);
        expect((await cancel(created)).status).to.equal(200);
        expect(await published(), `${lines.length} lines`).to.equal(stock);
        expect(await stockOf('tomate')).to.include({ available: stock, reserved: 0 });
      }
    });

    it('cancels and completes an order of many small lines beside a large one at a stock of 10^9 (it was a 500)', async () => {
      const tomate = await idsOf(node, 'ferme', 'tomate');
      const url = `${node.base}/api/dfc/enterprises/ferme/orders`;
      const lines = [999_999_000, ...Array<number>(100).fill(0.001)].map((quantity) => ({ ...tomate, quantity }));
      expect((await setStock(1e9)).status).to.equal(200);
      const first = await post(ofnOrder(url, lines), buyer);
      expect(first.status, first.text).to.equal(201);
      expect(await published()).to.equal(999.9);
      expect((await cancel(first)).status).to.equal(200);
      expect(await published()).to.equal(1e9);
      const second = await post(ofnOrder(url, lines), buyer);
      const done = await node.request('PUT', new URL(second.headers.get('location') as string).pathname, {
        headers: { 'content-type': 'application/json', ...bearer(buyer) },
        body: JSON.stringify({ '@context': CONTEXT, '@id': second.headers.get('location'), '@type': 'dfc-b:Order', 'dfc-b:hasOrderStatus': 'dfc-v:Complete' }),
      });
      expect(done.status, done.text).to.equal(200);
      expect(await stockOf('tomate')).to.include({ available: 999.9, reserved: 0, sold: 999_999_000.1 });
    });

    it('takes every write of an item after an order left it a fractional stock (it was a 409 for good)', async () => {
      const tomate = await idsOf(node, 'ferme', 'tomate');
      const url = `${node.base}/api/dfc/enterprises/ferme/orders`;
      // Each leaves a stock whose shortest decimal has 16 digits in binary floating point (1 - 0.059 is 0.9410000000000001).
      for (const [stock, quantity] of [[1, 0.059], [1, 0.201], [100, 0.007]] as [number, number][]) {
        expect((await setStock(stock)).status).to.equal(200);
        const created = await post(ofnOrder(url, [{ ...tomate, quantity }], { status: 'dfc-v:Complete' }), buyer);
        expect(created.status, created.text).to.equal(201);
        expect(await published()).to.equal(Number((stock - quantity).toFixed(3)));
        const sku = await node.request('PUT', '/api/dfc/enterprises/ferme/catalog_items/tomate', {
          headers: { 'content-type': 'application/json', ...bearer(node.adminToken) }, body: JSON.stringify({ 'dfc-b:sku': `T-${quantity}` }),
        });
        expect(sku.status, sku.text).to.equal(200);
        const price = await node.request('PUT', new URL(tomate.offer).pathname, {
          headers: { 'content-type': 'application/json', ...bearer(node.adminToken) }, body: JSON.stringify({ 'dfc-b:hasPrice': 3.5 }),
        });
        expect(price.status, price.text).to.equal(200);
        expect((await setStock(10)).status).to.equal(200);
      }
    });

    it('refuses a quantity finer than a thousandth, however large (the tolerance was a millionth of the value)', async () => {
      const tomate = await idsOf(node, 'ferme', 'tomate');
      const url = `${node.base}/api/dfc/enterprises/ferme/orders`;
      expect((await setStock(1e9)).status).to.equal(200);
      for (const quantity of [2.0000000001, 0.0010000001, 1000.0004, 123456.0000001]) {
        const answer = await post(ofnOrder(url, [{ ...tomate, quantity }]), buyer);
        expect(answer.status, `${quantity}: ${answer.text}`).to.equal(422);
      }
      // One unit in the last place from a thousandth, at these sizes: the decimal it is, in whole thousandths; the
      // order is cancelled again and gives back exactly what it took (it was a 500, its units held for good).
      for (const quantity of ['999999999.9990001', '5000000.000000002', '123.45600000000002']) {
        expect((await setStock(1e9)).status).to.equal(200);
        const created = await post(ofnOrder(url, [{ ...tomate, quantity }]), buyer);
        expect(created.status, `${quantity}: ${created.text}`).to.equal(201);
        const line = typed(created.text, 'dfc-b:OrderLine')[0];
        expect(Number(line?.['dfc-b:quantity']), quantity).to.equal(Number(Number(quantity).toFixed(3)));
        expect((await cancel(created)).status, quantity).to.equal(200);
        expect(await stockOf('tomate'), quantity).to.include({ available: 1e9, reserved: 0 });
      }
      for (const quantity of [0.059, 999_999_999.999, 1.5, '0.001']) {
        expect((await setStock(1e9)).status).to.equal(200);
        expect((await post(ofnOrder(url, [{ ...tomate, quantity }]), buyer)).status, String(quantity)).to.equal(201);
      }
    });
  });

  it('answers 404 on the orders of a private enterprise to whoever may not know it exists, as for an unknown one', async () => {
    await node.seed('secret', { private: true });
    const owner = await node.token('secret', ['ReadOrders', 'WriteOrders']);
    const tomate = await idsOf(node, 'ferme', 'tomate');
    for (const eid of ['secret', 'nowhere']) {
      const base = `/api/dfc/enterprises/${eid}`;
      const body = ofnOrder(`${node.base}${base}/orders`, [{ ...tomate, quantity: 1 }]);
      for (const token of [undefined, seller, buyer]) {
        const headers = { 'content-type': 'application/json', ...(token !== undefined ? bearer(token) : {}) };
        for (const [method, path] of [['GET', `${base}/orders`], ['POST', `${base}/orders`], ['GET', `${base}/orders/1`], ['PUT', `${base}/orders/1`], ['DELETE', `${base}/orders/1`], ['GET', `${base}/Orders`]]) {
          const answer = await node.request(method as 'GET', path as string, { headers, ...(method === 'POST' || method === 'PUT' ? { body } : {}) });
          expect(answer.status, `${method} ${path} ${token === undefined ? 'without a token' : 'with ferme\'s token'}: ${answer.text}`).to.equal(404);
        }
      }
    }
    // Its own token reaches it: the list of its orders (none).
    expect((await node.request('GET', '/api/dfc/enterprises/secret/orders', { headers: bearer(owner) })).status).to.equal(200);
  });

  it('answers a completion racing a cancellation with one success and one 409, never a 500', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const created = await post(ofnOrder(`${node.base}/api/dfc/enterprises/ferme/orders`, [{ ...tomate, quantity: 2 }]), buyer);
    const iri = created.headers.get('location') as string;
    const complete = JSON.stringify({ '@context': CONTEXT, '@id': iri, '@type': 'dfc-b:Order', 'dfc-b:hasOrderStatus': 'dfc-v:Complete' });
    const answers = await Promise.all([
      node.request('PUT', new URL(iri).pathname, { headers: { 'content-type': 'application/json', ...bearer(buyer) }, body: complete }),
      node.request('DELETE', new URL(iri).pathname, { headers: bearer(buyer) }),
    ]);
    expect(answers.map((a) => a.status).sort()).to.deep.equal([200, 409]);
    const level = await stockOf('tomate');
    expect((level?.available ?? 0) + (level?.reserved ?? 0) + (level?.sold ?? 0)).to.equal(12);
  });

  it('answers 404 for an enterprise the node does not hold, before anything else, whoever asks and whatever the body', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const url = `${node.base}/api/dfc/enterprises/nowhere/orders`;
    const good = ofnOrder(url, [{ ...tomate, quantity: 1 }]);
    const cases: [string, string | undefined, Record<string, string>][] = [
      // The admin may order anywhere: the lines are the enterprise's offers, of another enterprise here.
      [good, node.adminToken, {}],
      [good, node.adminToken, { 'idempotency-key': 'k1' }],
      ['{', node.adminToken, {}],
      [ofnOrder(url, [{ ...tomate, quantity: 0 }]), node.adminToken, {}],
      [good, node.adminToken, { 'idempotency-key': ' ' }],
      // Not allowed there either: the enterprise's absence comes first.
      [good, buyer, {}],
      [good, undefined, {}],
    ];
    for (const [body, token, headers] of cases) {
      for (const path of ['/api/dfc/enterprises/nowhere/orders', '/api/dfc/enterprises/nowhere/supplied_products']) {
        const answer = await node.request('POST', path, { headers: { 'content-type': 'application/json', ...(token !== undefined ? bearer(token) : {}), ...headers }, body });
        // A body that is no order, posted to the products collection, is not an order: the catalogue routes answer.
        if (path.endsWith('supplied_products') && body === '{') continue;
        // Without a credential, a body posted there is not read: whether it is an order cannot be told, and the answer
        // is the catalogue's 401 (the same for an enterprise here, private or unknown).
        if (path.endsWith('supplied_products') && token === undefined) {
          expect(answer.status, `${path} ${body}: ${answer.text}`).to.equal(401);
          continue;
        }
        expect(answer.status, `${path} ${body}: ${answer.text}`).to.equal(404);
        expect(answer.text).to.contain('nowhere');
      }
    }
    // An order the admin places at the enterprise the offers belong to is taken: the 404s above were not about the lines.
    expect((await post(ofnOrder(`${node.base}/api/dfc/enterprises/ferme/orders`, [{ ...tomate, quantity: 1 }]), node.adminToken)).status).to.equal(201);
    expect(await stockOf('tomate')).to.include({ available: 11, reserved: 1 });
  });

  it('an order posted without a credential to the products collection (OFN\'s URL rule) is told both scopes, its body unread', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const answer = await node.request('POST', '/api/dfc/enterprises/ferme/supplied_products', {
      headers: { 'content-type': 'application/json' }, body: ofnOrder(`${node.base}/api/dfc/enterprises/ferme/orders`, [{ ...tomate, quantity: 1 }]),
    });
    expect(answer.status, answer.text).to.equal(401);
    expect((JSON.parse(answer.text) as { detail: string }).detail).to.include('WriteOrders to place an order here').and.include('WriteProducts');
    expect(await stockOf('tomate')).to.include({ reserved: 0 });
  });

  it('refuses bad orders with a clear problem', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const url = `${node.base}/api/dfc/enterprises/ferme/orders`;
    const cases: [string, number][] = [
      ['{', 400],
      [JSON.stringify({ '@context': CONTEXT, '@id': 'x:y', '@type': 'dfc-b:Offer' }), 422],
      [ofnOrder(url, [{ offer: 'https://elsewhere.example/offers/1', product: 'https://elsewhere.example/p/1', quantity: 1 }]), 422],
      [ofnOrder(url, [{ ...tomate, quantity: -1 }]), 422],
      [ofnOrder(url, [{ ...tomate, quantity: 'beaucoup' }]), 422],
      [ofnOrder(url, [{ ...tomate, quantity: 1 }], { status: 'dfc-v:Shipped' }), 422],
      // A status is a term of the DFC vocabulary: a look-alike in another namespace, or in another case, is none.
      [ofnOrder(url, [{ ...tomate, quantity: 1 }], { status: 'http://evil.example/Held' }), 422],
      [ofnOrder(url, [{ ...tomate, quantity: 1 }], { status: 'dfc-b:Held' }), 422],
      [ofnOrder(url, [{ ...tomate, quantity: 1 }], { status: 'dfc-v:held' }), 422],
      [ofnOrder(url, [{ ...tomate, quantity: '1e17' }]), 422],
      [ofnOrder(url, [{ ...tomate, quantity: 0 }]), 422],
      // Finer than a thousandth: no quantity anyone sells, and a reservation the ledger's floating point would
      // never take from the available stock (12 − 1e-300 is 12).
      [ofnOrder(url, [{ ...tomate, quantity: 1e-300 }]), 422],
      [ofnOrder(url, [{ ...tomate, quantity: '0.0004' }]), 422],
      [ofnOrder(url, [{ ...tomate, quantity: 1.2345 }]), 422],
      [JSON.stringify({ '@context': CONTEXT, '@id': url, '@type': 'dfc-b:Order', 'dfc-b:hasOrderStatus': 'dfc-v:Held' }), 422],
    ];
    for (const [body, status] of cases) {
      const answer = await post(body, buyer);
      expect(answer.status, `${body}: ${answer.text}`).to.equal(status);
      expect(answer.headers.get('content-type')).to.match(/application\/problem\+json/u);
    }
    expect(await stockOf('tomate')).to.include({ available: 12, reserved: 0 });
    const fine = await post(ofnOrder(url, [{ ...tomate, quantity: 1e-300 }]), buyer);
    expect(fine.json<{ detail: string }>().detail).to.match(/finer than a thousandth of a unit/u);
    // An Order that says nothing is a reference to one described elsewhere: the problem says so.
    const bare = await post(JSON.stringify({ '@context': CONTEXT, '@id': url, '@type': 'dfc-b:Order' }), buyer);
    expect(bare.json<{ detail: string }>().detail).to.match(/^expected a dfc-b:Order in the body that says what it orders .* a reference/u);
    // A thousandth is taken.
    const gram = await post(ofnOrder(url, [{ ...tomate, quantity: '0.001' }]), buyer);
    expect(gram.status, gram.text).to.equal(201);
    expect((await node.request('DELETE', new URL(gram.headers.get('location') as string).pathname, { headers: bearer(buyer) })).status).to.equal(200);
    expect(await stockOf('tomate')).to.include({ available: 12, reserved: 0 });
  });

  describe('a body that says two things where the order reads one', () => {
    /** An OFN-shaped order of one line (`@id` the collection URL when new), with the line's properties and more nodes. */
    function oneLine(id: string, line: Record<string, unknown>, more: Record<string, unknown>[] = []): string {
      return JSON.stringify({
        '@context': CONTEXT,
        '@graph': [
          { '@id': id, '@type': 'dfc-b:Order', 'dfc-b:orderedBy': 'https://ofn.example/api/dfc/enterprises/7', 'dfc-b:hasOrderStatus': 'dfc-v:Held', 'dfc-b:hasPart': `${id}/OrderLines/1` },
          { '@id': `${id}/OrderLines/1`, '@type': 'dfc-b:OrderLine', ...line },
          ...more,
        ],
      });
    }

    /** The four bodies the audit found guessed at (each reserved something), sent to `id`. */
    function ambiguous(id: string, tomate: { offer: string; product: string }, carottes: { offer: string }): { name: string; body: string; node: string; path: string }[] {
      const line = `${id}/OrderLines/1`;
      return [
        { name: 'two quantities', body: oneLine(id, { 'dfc-b:quantity': [1, 2], 'dfc-b:concerns': tomate.offer }), node: line, path: 'dfc-b:quantity' },
        {
          // JSON-LD merges two node objects of one @id: the line has quantities 1 and 5.
          name: 'the line sent twice',
          body: oneLine(id, { 'dfc-b:quantity': 1, 'dfc-b:concerns': tomate.offer }, [{ '@id': line, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': 5, 'dfc-b:concerns': tomate.offer }]),
          node: line, path: 'dfc-b:quantity',
        },
        { name: 'two offers', body: oneLine(id, { 'dfc-b:quantity': 1, 'dfc-b:concerns': [tomate.offer, carottes.offer] }), node: line, path: 'dfc-b:concerns' },
        {
          name: 'a second Order',
          body: oneLine(id, { 'dfc-b:quantity': 1, 'dfc-b:concerns': tomate.offer }, [{ '@id': `${node.base}/api/dfc/enterprises/ferme/orders/999`, '@type': 'dfc-b:Order' }]),
          node: `${node.base}/api/dfc/enterprises/ferme/orders/999`, path: '@type',
        },
      ];
    }

    async function expectRefused(answer: { status: number; text: string; headers: Headers }, node: string, path: string, what: string): Promise<void> {
      expect(answer.status, `${what}: ${answer.text}`).to.equal(422);
      expect(answer.headers.get('content-type')).to.match(/application\/problem\+json/u);
      const problem = JSON.parse(answer.text) as { detail: string; problems: { code: string; id: string | null; path: string }[] };
      expect(problem.detail, what).to.contain(`<${node}>`).and.to.contain(path);
      expect(problem.problems.map((p) => [p.code, p.id, p.path]), what).to.deep.include(['conflicting-values', node, path]);
    }

    it('refuses a new order with 422 naming the node and property, and reserves nothing', async () => {
      const tomate = await idsOf(node, 'ferme', 'tomate');
      const carottes = await idsOf(node, 'ferme', 'carottes');
      const url = `${node.base}/api/dfc/enterprises/ferme/orders`;
      for (const { name, body, node: offending, path } of ambiguous(url, tomate, carottes)) {
        await expectRefused(await post(body, buyer), offending, path, name);
        expect(await stockOf('tomate'), name).to.include({ available: 12, reserved: 0, sold: 0 });
        expect(await stockOf('carottes'), name).to.include({ reserved: 0, sold: 0 });
      }
      // And nothing was stored: the buyer has no order.
      const list = await node.request('GET', '/api/dfc/enterprises/ferme/orders', { headers: bearer(seller) });
      expect(typed(list.text, 'dfc-b:Order')).to.have.length(0);
    });

    it('refuses a name given twice in one object (JSON keeps one: which would be a guess), reserving nothing', async () => {
      const tomate = await idsOf(node, 'ferme', 'tomate');
      const url = `${node.base}/api/dfc/enterprises/ferme/orders`;
      // As text: JSON.stringify cannot write a name twice.
      const body = oneLine(url, { 'dfc-b:quantity': 1, 'dfc-b:concerns': tomate.offer }).replace('"dfc-b:quantity":1', '"dfc-b:quantity":1,"dfc-b:quantity":2');
      expect(body).to.include('"dfc-b:quantity":1,"dfc-b:quantity":2');
      const answer = await post(body, buyer);
      expect(answer.status, answer.text).to.equal(422);
      expect((JSON.parse(answer.text) as { detail: string }).detail).to.equal('"dfc-b:quantity" is given twice in one object (at /@graph/1): a JSON reader keeps one of them, and which would be a guess');
      expect(await stockOf('tomate')).to.include({ available: 12, reserved: 0, sold: 0 });
      // A stock write, as Open Food Network sends it, is refused the same way, and changes nothing.
      const put = await node.request('PUT', new URL(tomate.item).pathname, {
        headers: { 'content-type': 'application/json', ...bearer(node.adminToken) }, body: '{"dfc-b:stockLimitation": 7, "dfc-b:stockLimitation": 9}',
      });
      expect(put.status, put.text).to.equal(422);
      expect(put.text).to.include('\\"dfc-b:stockLimitation\\" is given twice');
      expect(await stockOf('tomate')).to.include({ available: 12 });
    });

    it('refuses an amendment with 422 and keeps what the order held', async () => {
      const tomate = await idsOf(node, 'ferme', 'tomate');
      const carottes = await idsOf(node, 'ferme', 'carottes');
      const created = await post(ofnOrder(`${node.base}/api/dfc/enterprises/ferme/orders`, [{ ...tomate, quantity: 3 }]), buyer);
      expect(created.status, created.text).to.equal(201);
      const iri = created.headers.get('location') as string;
      for (const { name, body, node: offending, path } of ambiguous(iri, tomate, carottes)) {
        const answer = await node.request('PUT', new URL(iri).pathname, { headers: { 'content-type': 'application/json', ...bearer(buyer) }, body });
        await expectRefused(answer, offending, path, name);
        expect(await stockOf('tomate'), name).to.include({ available: 9, reserved: 3, sold: 0 });
        expect(await stockOf('carottes'), name).to.include({ reserved: 0, sold: 0 });
      }
      const read = await node.request('GET', new URL(iri).pathname, { headers: bearer(buyer) });
      expect(typed(read.text, 'dfc-b:OrderLine').map((l) => Number(l['dfc-b:quantity']))).to.deep.equal([3]);
    });

    it('refuses two statuses, two buyers or two sale sessions of the order, and two items of the Offer a line concerns', async () => {
      const tomate = await idsOf(node, 'ferme', 'tomate');
      const url = `${node.base}/api/dfc/enterprises/ferme/orders`;
      const line = { 'dfc-b:quantity': 1, 'dfc-b:concerns': tomate.offer };
      const order = (props: Record<string, unknown>, more: Record<string, unknown>[] = []) => JSON.stringify({
        '@context': CONTEXT,
        '@graph': [{ '@id': url, '@type': 'dfc-b:Order', 'dfc-b:hasPart': `${url}/OrderLines/1`, ...props }, { '@id': `${url}/OrderLines/1`, '@type': 'dfc-b:OrderLine', ...line }, ...more],
      });
      const cases: [string, string, string][] = [
        [order({ 'dfc-b:hasOrderStatus': ['dfc-v:Held', 'dfc-v:Complete'] }), url, 'dfc-b:hasOrderStatus'],
        [order({ 'dfc-b:orderedBy': ['https://ofn.example/api/dfc/enterprises/7', 'https://ofn.example/api/dfc/enterprises/8'] }), url, 'dfc-b:orderedBy'],
        [order({ 'dfc-b:belongsTo': [`${url}/SalesSession/1`, `${url}/SalesSession/2`] }), url, 'dfc-b:belongsTo'],
        [order({}, [{ '@id': tomate.offer, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': [tomate.product, `${tomate.product}-bis`] }]), tomate.offer, 'dfc-b:offeredItem'],
      ];
      for (const [body, offending, path] of cases) {
        await expectRefused(await post(body, buyer), offending, path, path);
        expect(await stockOf('tomate'), path).to.include({ available: 12, reserved: 0, sold: 0 });
      }
    });

    it('refuses a line of another order, or one the Order does not name beside those it does', async () => {
      const tomate = await idsOf(node, 'ferme', 'tomate');
      const url = `${node.base}/api/dfc/enterprises/ferme/orders`;
      const other = `${url}/OrderLines/2`;
      const cases: [string, Record<string, unknown>][] = [
        ['another order', { 'dfc-b:partOf': `${url}/999` }],
        ['not named', {}],
      ];
      for (const [name, props] of cases) {
        const body = oneLine(url, { 'dfc-b:quantity': 1, 'dfc-b:concerns': tomate.offer }, [{ '@id': other, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': 4, 'dfc-b:concerns': tomate.offer, ...props }]);
        await expectRefused(await post(body, buyer), other, 'dfc-b:partOf', name);
        expect(await stockOf('tomate'), name).to.include({ available: 12, reserved: 0 });
      }
    });

    it('takes the same value repeated, and the same resource sent by reference several times, as one', async () => {
      const tomate = await idsOf(node, 'ferme', 'tomate');
      const url = `${node.base}/api/dfc/enterprises/ferme/orders`;
      const line = `${url}/OrderLines/1`;
      // A number and its text, the offer twice, the line twice alike, the Offer as a node and as bare references.
      const body = oneLine(url, { 'dfc-b:quantity': [2, '2'], 'dfc-b:concerns': [tomate.offer, { '@id': tomate.offer }] }, [
        { '@id': line, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': 2, 'dfc-b:concerns': { '@id': tomate.offer }, 'dfc-b:partOf': url },
        { '@id': tomate.offer, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': tomate.product, 'dfc-b:offers': tomate.product },
        { '@id': tomate.offer },
        { '@id': tomate.product, '@type': 'dfc-b:SuppliedProduct' },
        { '@id': url, 'dfc-b:hasOrderStatus': 'dfc-v:Held', 'dfc-b:hasPart': { '@id': line } },
      ]);
      const created = await post(body, buyer);
      expect(created.status, created.text).to.equal(201);
      expect(typed(created.text, 'dfc-b:OrderLine').map((l) => Number(l['dfc-b:quantity']))).to.deep.equal([2]);
      expect(await stockOf('tomate')).to.include({ available: 10, reserved: 2 });
      // A quantity written as a number, and again as a QuantitativeValue of the same number, is one quantity.
      const iri = created.headers.get('location') as string;
      const amended = await node.request('PUT', new URL(iri).pathname, {
        headers: { 'content-type': 'application/json', ...bearer(buyer) },
        body: oneLine(iri, { 'dfc-b:quantity': 4, 'dfc-b:hasQuantity': { '@type': 'dfc-b:QuantitativeValue', 'dfc-b:value': '4', 'dfc-b:hasUnit': 'dfc-m:Piece' }, 'dfc-b:concerns': tomate.offer }),
      });
      expect(amended.status, amended.text).to.equal(200);
      expect(await stockOf('tomate')).to.include({ available: 8, reserved: 4 });
    });
  });
});

describe('a write whose answer the client cannot read', function () {
  this.timeout(20_000);
  let node: InProcessNode;
  let buyer: string;
  let admin: Record<string, string>;
  before(async () => {
    node = await startInProcess({ base: 'http://a.test' });
    await node.seed('ferme');
    buyer = await node.token('ferme', ['WriteOrders', 'ReadOrders']);
    admin = bearer(node.adminToken);
  });
  after(() => node.close());

  const api = '/api/dfc/enterprises/ferme';
  const item = (key: string) => `${node.base}${api}/catalog_items/${key}`;
  const unreadable = { accept: 'text/plain' };

  it('is a 406 before anything is placed, reserved or written, and the same request with a readable Accept goes through', async () => {
    const tomate = await idsOf(node, 'ferme', 'tomate');
    const ordersUrl = `${node.base}${api}/orders`;
    const stockBefore = await node.store.orders.stock(item('tomate'));
    const order = ofnOrder(ordersUrl, [{ ...tomate, quantity: '2' }]);
    for (const path of [`${api}/orders`, `${api}/Orders`, `${api}/supplied_products`]) {
      const refused = await node.request('POST', path, { headers: { 'content-type': 'application/json', ...bearer(buyer), ...unreadable }, body: order });
      expect(refused.status, `${path}: ${refused.text}`).to.equal(406);
      expect(refused.headers.get('content-type')).to.match(/^application\/problem\+json/u);
    }
    expect(await node.store.orders.stock(item('tomate'))).to.deep.equal(stockBefore);
    const listed = await node.request('GET', `${api}/orders`, { headers: bearer(buyer) });
    expect(typed(listed.text, 'dfc-b:Order')).to.deep.equal([]);

    // A stock write, a new product and an enterprise's profile: refused whole, the store as it was.
    const itemBefore = await node.request('GET', `${api}/catalog_items/tomate`);
    const put = await node.request('PUT', `${api}/catalog_items/tomate`, {
      headers: { 'content-type': 'application/json', ...admin, ...unreadable }, body: '{"dfc-b:stockLimitation": 99}',
    });
    expect(put.status, put.text).to.equal(406);
    expect((await node.request('GET', `${api}/catalog_items/tomate`)).text).to.equal(itemBefore.text);
    const productsBefore = (await node.request('GET', `${api}/supplied_products`)).text;
    const product = await node.request('POST', `${api}/supplied_products`, {
      headers: { 'content-type': 'application/ld+json', ...admin, ...unreadable },
      body: JSON.stringify({ '@context': CONTEXT, '@id': '_:p', '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Radis' }),
    });
    expect(product.status, product.text).to.equal(406);
    expect((await node.request('GET', `${api}/supplied_products`)).text).to.equal(productsBefore);

    // Readable: the order is placed and reserves its stock.
    const placed = await node.request('POST', `${api}/orders`, {
      headers: { 'content-type': 'application/json', ...bearer(buyer), accept: 'text/turtle' }, body: order,
    });
    expect(placed.status, placed.text).to.equal(201);
    expect(placed.headers.get('content-type')).to.match(/^text\/turtle/u);
  });
});
