/**
 * A Maillon shop places its own orders for the items it lists at the items' owners, the way Open Food Network
 * places its backorders: at an FDC-shaped wholesaler (a fake server on loopback answering as FDC does), and at
 * another Maillon node.
 *
 * - the shop's customer order is accepted (Held) only once the supplier accepted, in whole cases;
 * - an amendment, a completion and a cancellation at the shop follow at the supplier;
 * - a refusal (409) reaches the customer with the supplier's reason, an outage as a 503, and in both cases the
 *   shop holds nothing: not the order, not the stock of its own lines in the same order.
 */
import { expect } from 'chai';
import type { ServerResponse } from 'node:http';
import { safeFetch, type SafeFetch } from '../../server/net/safe-fetch.js';
import { startFakePeer, type FakeHit, type FakePeer } from '../helpers/fake-peer.js';
import type { StockLevel } from '../../server/store/orders.js';
import { bearer, FARM_PRODUCTS, farmRecords, startInProcess, type InProcessNode } from '../helpers/in-process.js';
import { listRemoteItem, type ListedItem } from '../helpers/listing.js';

const CONTEXT = 'https://www.datafoodconsortium.org';

type Node = Record<string, unknown>;

function nodesOf(text: string): Node[] {
  const doc = JSON.parse(text) as { '@graph'?: Node[] } & Node;
  return doc['@graph'] ?? [doc];
}

function typed(nodes: Node[], type: string): Node[] {
  return nodes.filter((n) => [n['@type']].flat().includes(type));
}

const link = (value: unknown): unknown => (typeof value === 'object' && value !== null && '@id' in value ? (value as { '@id': unknown })['@id'] : value);

/** A customer's order as OFN (or any DFC client) sends it to a shop. */
function customerOrder(id: string, lines: { offer: string; product: string; quantity: number }[], status = 'dfc-v:Held'): string {
  return JSON.stringify({
    '@context': CONTEXT,
    '@graph': [
      {
        '@id': id, '@type': 'dfc-b:Order', 'dfc-b:orderedBy': 'https://customer.example/api/dfc/enterprises/7', 'dfc-b:hasOrderStatus': status,
        'dfc-b:hasPart': lines.map((_l, i) => `${id}/OrderLines/${i + 1}`),
      },
      ...lines.map((l, i) => ({ '@id': `${id}/OrderLines/${i + 1}`, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': l.quantity, 'dfc-b:concerns': l.offer })),
      ...lines.map((l) => ({ '@id': l.offer, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': l.product })),
    ],
  });
}

/** What the fake wholesaler does with the next requests. */
type SupplierMode = 'accept' | 'refuse' | 'refuse-slowly';

/** An FDC-shaped wholesaler: products `…/Enterprises/sup/SuppliedProducts/{id}`, orders at the sibling `…/Orders`. */
interface Wholesaler {
  readonly peer: FakePeer;
  readonly api: string;
  mode: SupplierMode;
  /** The requests about orders, with their bodies. */
  readonly orderHits: () => FakeHit[];
}

async function startWholesaler(): Promise<Wholesaler> {
  const orders = new Map<number, { status: string; quantities: number[] }>();
  const state: { mode: SupplierMode } = { mode: 'accept' };
  const answer = (res: ServerResponse, status: number, api: string, n: number): void => {
    const order = `${api}/Orders/${n}`;
    const known = orders.get(n) ?? { status: 'Held', quantities: [] };
    // As FDC answers: the status an IRI object, quantities as strings, lines and offers under its own ids.
    const body = {
      '@context': CONTEXT,
      '@graph': [
        {
          '@id': order, '@type': 'dfc-b:Order', 'dfc-b:hasOrderStatus': { '@id': `dfc-v:${known.status}` },
          'dfc-b:hasPart': known.quantities.map((_q, i) => `${order}/orderLines/${460 + i}`),
        },
        ...known.quantities.map((q, i) => ({
          '@id': `${order}/orderLines/${460 + i}`, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': String(q), 'dfc-b:concerns': `${api}/Offers/${900 + i}`,
        })),
        ...known.quantities.map((_q, i) => ({ '@id': `${api}/Offers/${900 + i}`, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': `${api}/SuppliedProducts/case-6` })),
      ],
    };
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  let next = 1;
  const peer = await startFakePeer((req, res, self) => {
    const api = `${self.base}/api/dfc/Enterprises/sup`;
    const hit = self.hits[self.hits.length - 1];
    const path = new URL(req.url ?? '/', self.base).pathname;
    if (state.mode === 'refuse' || state.mode === 'refuse-slowly') {
      const refuse = (): void => {
        res.writeHead(409, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ type: 'about:blank', title: 'Conflict', status: 409, detail: 'only 1 case of chickpeas left' }));
      };
      if (state.mode === 'refuse') refuse();
      else setTimeout(refuse, 600);
      return;
    }
    const sent = nodesOf(hit?.body?.toString('utf8') ?? '{}');
    const status = String(link(typed(sent, 'dfc-b:Order')[0]?.['dfc-b:hasOrderStatus']) ?? 'dfc-v:Held').replace(/^.*[:#/]/u, '');
    const quantities = typed(sent, 'dfc-b:OrderLine').map((l) => Number(l['dfc-b:quantity']));
    if (req.method === 'POST' && path === '/api/dfc/Enterprises/sup/Orders') {
      const n = next++;
      orders.set(n, { status, quantities });
      answer(res, 201, api, n);
      return;
    }
    const match = /^\/api\/dfc\/Enterprises\/sup\/Orders\/(\d+)$/u.exec(path);
    const n = Number(match?.[1]);
    if (req.method === 'PUT' && orders.has(n)) {
      orders.set(n, { status, quantities: quantities.length > 0 || status === 'Cancelled' ? quantities : (orders.get(n)?.quantities ?? []) });
      answer(res, 200, api, n);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  }, { readBody: true });
  return {
    peer, api: `${peer.base}/api/dfc/Enterprises/sup`,
    get mode() { return state.mode; },
    set mode(mode: SupplierMode) { state.mode = mode; },
    orderHits: () => peer.hits.filter((h) => h.url.includes('/Orders')),
  };
}

describe('orders placed upstream', function () {
  this.timeout(20_000);

  describe('at an FDC-shaped wholesaler', () => {
    let supplier: Wholesaler;
    let shop: InProcessNode;
    let customer: string;
    let chickpeas: ListedItem;
    const collection = '/api/dfc/enterprises/shop/orders';

    beforeEach(async () => {
      supplier = await startWholesaler();
      shop = await startInProcess({ base: 'http://b.test' });
      await shop.seed('shop');
      // The credentials the shop holds for the wholesaler, as for any peer.
      await shop.store.provenance.addPeer({ name: 'sup', url: `${supplier.api}/SuppliedProducts`, token: 'fdc-key', tokenHeader: 'x-api-token' }, supplier.peer.base);
      // Retail tins sold from cases of 6: what is ordered upstream is the case, and its offer is the FDC convention.
      chickpeas = await listRemoteItem(shop, 'shop', {
        key: 'pois-chiches', name: 'Pois chiches (boîte)', price: 2.4, originItem: `${supplier.api}/SuppliedProducts/case-6`,
        originProduct: `${supplier.api}/SuppliedProducts/case-6`, originOrders: `${supplier.api}/Orders`, factor: 6,
      });
      customer = await shop.token('shop', ['WriteOrders', 'ReadOrders']);
    });
    afterEach(async () => {
      await shop.close();
      await supplier.peer.close();
    });

    const tomate = () => ({ offer: `${shop.base}/api/dfc/enterprises/shop/offers/tomate`, product: `${shop.base}/api/dfc/enterprises/shop/supplied_products/tomate` });
    const listed = (quantity: number) => ({ offer: chickpeas.offer, product: chickpeas.product, quantity });
    const post = (body: string) => shop.request('POST', collection, { headers: { 'content-type': 'application/json', ...bearer(customer) }, body });
    const put = (iri: string, body: string) => shop.request('PUT', new URL(iri).pathname, { headers: { 'content-type': 'application/json', ...bearer(customer) }, body });
    const tomatoStock = () => shop.store.orders.stock(`${shop.base}/api/dfc/enterprises/shop/catalog_items/tomate`);
    const statusAtShop = async (): Promise<string[]> => {
      const list = await shop.request('GET', collection, { headers: bearer(customer) });
      return typed(nodesOf(list.text), 'dfc-b:Order').map((o) => String(link(o['dfc-b:hasOrderStatus'])));
    };

    it('orders whole cases at the wholesaler as OFN does, and holds the customer order once it accepted', async () => {
      const created = await post(customerOrder(`${shop.base}${collection}`, [listed(7), { ...tomate(), quantity: 2 }]));
      expect(created.status, created.text).to.equal(201);
      const order = typed(nodesOf(created.text), 'dfc-b:Order')[0];
      expect(order?.['dfc-b:hasOrderStatus']).to.equal('dfc-v:Held');
      expect(await tomatoStock()).to.include({ reserved: 2 });

      const [hit] = supplier.orderHits();
      expect(hit?.method).to.equal('POST');
      expect(hit?.url).to.equal('/api/dfc/Enterprises/sup/Orders');
      expect(hit?.headers['content-type']).to.equal('application/json');
      expect(hit?.headers['x-api-token']).to.equal('fdc-key');
      expect(hit?.headers['idempotency-key']).to.be.a('string');
      const sent = nodesOf(hit?.body?.toString('utf8') ?? '');
      const ordersUrl = `${supplier.api}/Orders`;
      expect(typed(sent, 'dfc-b:Order')[0]).to.include({
        '@id': ordersUrl, 'dfc-b:orderedBy': `${shop.base}/api/dfc/enterprises/shop`, 'dfc-b:hasOrderStatus': 'dfc-v:Held', 'dfc-b:hasPart': `${ordersUrl}/OrderLines/1`,
      });
      // 7 tins are 2 cases of 6; the shop's own tomatoes are not the wholesaler's business.
      const lines = typed(sent, 'dfc-b:OrderLine');
      expect(lines.map((l) => [l['@id'], l['dfc-b:quantity'], link(l['dfc-b:concerns'])])).to.deep.equal([
        [`${ordersUrl}/OrderLines/1`, 2, `${supplier.api}/SuppliedProducts/case-6/Offer`],
      ]);
      expect(typed(sent, 'dfc-b:Offer').map((o) => link(o['dfc-b:offeredItem']))).to.deep.equal([`${supplier.api}/SuppliedProducts/case-6`]);
      expect(typed(sent, 'dfc-b:SuppliedProduct').map((p) => p['@id'])).to.deep.equal([`${supplier.api}/SuppliedProducts/case-6`]);

      // The shop keeps the order the wholesaler made: an amendment goes to it.
      const iri = order?.['@id'] as string;
      const amended = await put(iri, customerOrder(iri, [listed(13), { ...tomate(), quantity: 2 }]));
      expect(amended.status, amended.text).to.equal(200);
      const amendment = supplier.orderHits()[1];
      expect(amendment?.method).to.equal('PUT');
      expect(amendment?.url).to.equal('/api/dfc/Enterprises/sup/Orders/1');
      const amendedBody = nodesOf(amendment?.body?.toString('utf8') ?? '');
      expect(typed(amendedBody, 'dfc-b:Order')[0]).to.include({ '@id': `${supplier.api}/Orders/1`, 'dfc-b:hasOrderStatus': 'dfc-v:Held' });
      expect(typed(amendedBody, 'dfc-b:OrderLine').map((l) => l['dfc-b:quantity'])).to.deep.equal([3]);

      // Completion at the shop: the completion PUT at the wholesaler, then the shop sells.
      const completed = await put(iri, customerOrder(iri, [listed(13), { ...tomate(), quantity: 2 }], 'dfc-v:Complete'));
      expect(completed.status, completed.text).to.equal(200);
      expect(typed(nodesOf(completed.text), 'dfc-b:Order')[0]?.['dfc-b:hasOrderStatus']).to.equal('dfc-v:Complete');
      const completion = supplier.orderHits().at(-1);
      expect(completion?.method).to.equal('PUT');
      expect(completion?.url).to.equal('/api/dfc/Enterprises/sup/Orders/1');
      const completionBody = nodesOf(completion?.body?.toString('utf8') ?? '');
      expect(typed(completionBody, 'dfc-b:Order')[0]?.['dfc-b:hasOrderStatus']).to.equal('dfc-v:Complete');
      expect(typed(completionBody, 'dfc-b:OrderLine').map((l) => l['dfc-b:quantity'])).to.deep.equal([3]);
      expect(await tomatoStock()).to.include({ reserved: 0, sold: 2 });
    });

    it('tells the customer why the wholesaler refused (409), and holds nothing', async () => {
      supplier.mode = 'refuse';
      const refused = await post(customerOrder(`${shop.base}${collection}`, [{ ...tomate(), quantity: 2 }, listed(7)]));
      expect(refused.status, refused.text).to.equal(409);
      expect(refused.headers.get('content-type')).to.match(/application\/problem\+json/u);
      expect((JSON.parse(refused.text) as { detail: string }).detail).to.contain('only 1 case of chickpeas left');
      expect(await statusAtShop()).to.not.include('dfc-v:Held');
      expect(await tomatoStock()).to.include({ available: 12, reserved: 0 });
      // A retry with the same Idempotency-Key answers the same refusal, not a 200 with the cancelled order.
      const body = customerOrder(`${shop.base}${collection}`, [listed(7)]);
      const headers = { 'content-type': 'application/json', 'idempotency-key': 'retry-1', ...bearer(customer) };
      const first = await shop.request('POST', collection, { headers, body });
      const again = await shop.request('POST', collection, { headers, body });
      expect([first.status, again.status]).to.deep.equal([409, 409]);
      expect((JSON.parse(again.text) as { detail: string }).detail).to.contain('only 1 case of chickpeas left');
    });

    it('answers a retry with the same Idempotency-Key while the first is still being placed with a 409, never a 201 for an order then refused', async () => {
      supplier.mode = 'refuse-slowly';
      const body = customerOrder(`${shop.base}${collection}`, [listed(7)]);
      const headers = { 'content-type': 'application/json', 'idempotency-key': 'in-flight-1', ...bearer(customer) };
      const first = shop.request('POST', collection, { headers, body });
      // The first is stored (Pending) before the wholesaler is asked, which takes 600 ms to refuse.
      await new Promise((resolve) => { setTimeout(resolve, 250); });
      const during = await shop.request('POST', collection, { headers, body });
      expect(during.status, during.text).to.equal(409);
      expect(during.headers.get('content-type')).to.match(/application\/problem\+json/u);
      expect((JSON.parse(during.text) as { detail: string }).detail).to.contain('still being placed');
      expect((await first).status).to.equal(409);
      // Once the first is answered, a retry gets its answer.
      const after = await shop.request('POST', collection, { headers, body });
      expect(after.status).to.equal(409);
      expect((JSON.parse(after.text) as { detail: string }).detail).to.contain('only 1 case of chickpeas left');
    });

    it('answers 503 with the reason when the wholesaler is down, and holds nothing', async () => {
      await supplier.peer.close();
      const started = Date.now();
      const refused = await post(customerOrder(`${shop.base}${collection}`, [{ ...tomate(), quantity: 2 }, listed(7)]));
      expect(refused.status, refused.text).to.equal(503);
      expect(refused.headers.get('retry-after')).to.equal('30');
      expect((JSON.parse(refused.text) as { detail: string }).detail).to.match(/cannot be reached: network/u);
      // An outage is no refusal: its problem says the supplier cannot be reached, under a code of its own.
      const [said] = (JSON.parse(refused.text) as { problems: { code: string; message: string }[] }).problems;
      expect(said?.code).to.equal('upstream-unreachable');
      expect(said?.message).to.match(/^the supplier cannot be reached: network/u);
      expect(Date.now() - started).to.be.below(5_000);
      expect(await statusAtShop()).to.not.include('dfc-v:Held');
      expect(await tomatoStock()).to.include({ available: 12, reserved: 0 });
    });

    it('keeps the order as it was when the wholesaler refuses an amendment', async () => {
      const created = await post(customerOrder(`${shop.base}${collection}`, [listed(6), { ...tomate(), quantity: 2 }]));
      expect(created.status, created.text).to.equal(201);
      const iri = typed(nodesOf(created.text), 'dfc-b:Order')[0]?.['@id'] as string;
      supplier.mode = 'refuse';
      const refused = await put(iri, customerOrder(iri, [listed(12), { ...tomate(), quantity: 5 }]));
      expect(refused.status, refused.text).to.equal(409);
      const read = await shop.request('GET', new URL(iri).pathname, { headers: bearer(customer) });
      const nodes = nodesOf(read.text);
      expect(typed(nodes, 'dfc-b:Order')[0]?.['dfc-b:hasOrderStatus']).to.equal('dfc-v:Held');
      expect(typed(nodes, 'dfc-b:OrderLine').map((l) => l['dfc-b:quantity']).sort()).to.deep.equal([2, 6]);
      expect(await tomatoStock()).to.include({ available: 10, reserved: 2 });
    });
  });

  describe('at two wholesalers', () => {
    it('cancels the order one accepted when the other refuses the same amendment', async () => {
      const first = await startWholesaler();
      const second = await startWholesaler();
      const shop = await startInProcess({ base: 'http://b.test' });
      try {
        await shop.seed('shop');
        const list = (w: Wholesaler, key: string) => listRemoteItem(shop, 'shop', {
          key, originItem: `${w.api}/SuppliedProducts/case-6`, originProduct: `${w.api}/SuppliedProducts/case-6`, originOrders: `${w.api}/Orders`, factor: 6,
        });
        const fromFirst = await list(first, 'lentilles');
        const fromSecond = await list(second, 'farine');
        const customer = await shop.token('shop', ['WriteOrders']);
        const collection = `${shop.base}/api/dfc/enterprises/shop/orders`;
        const headers = { 'content-type': 'application/json', ...bearer(customer) };
        const created = await shop.request('POST', '/api/dfc/enterprises/shop/orders', {
          headers, body: customerOrder(collection, [{ offer: `${shop.base}/api/dfc/enterprises/shop/offers/tomate`, product: `${shop.base}/api/dfc/enterprises/shop/supplied_products/tomate`, quantity: 1 }]),
        });
        expect(created.status, created.text).to.equal(201);
        const iri = created.headers.get('location') as string;
        first.mode = 'refuse';
        // The amendment adds a line of each: the second accepts (its line comes first), then the first refuses.
        const amended = await shop.request('PUT', new URL(iri).pathname, {
          headers, body: customerOrder(iri, [{ offer: fromSecond.offer, product: fromSecond.product, quantity: 6 }, { offer: fromFirst.offer, product: fromFirst.product, quantity: 12 }]),
        });
        expect(amended.status, amended.text).to.equal(409);
        expect(first.orderHits()).to.have.length(1);
        const atSecond = second.orderHits();
        expect(atSecond.map((h) => h.method)).to.deep.equal(['POST', 'PUT']);
        const cancellation = nodesOf(atSecond[1]?.body?.toString('utf8') ?? '');
        expect(typed(cancellation, 'dfc-b:Order')[0]?.['dfc-b:hasOrderStatus']).to.equal('dfc-v:Cancelled');
      } finally {
        await shop.close();
        await first.peer.close();
        await second.peer.close();
      }
    });

    it('gives the supplier that took an amendment the previous lines back when the other refuses it', async () => {
      const first = await startWholesaler();
      const second = await startWholesaler();
      const shop = await startInProcess({ base: 'http://b.test' });
      try {
        await shop.seed('shop');
        const list = (w: Wholesaler, key: string) => listRemoteItem(shop, 'shop', {
          key, originItem: `${w.api}/SuppliedProducts/case-6`, originProduct: `${w.api}/SuppliedProducts/case-6`, originOrders: `${w.api}/Orders`, factor: 6,
        });
        const fromFirst = await list(first, 'lentilles');
        const fromSecond = await list(second, 'farine');
        const customer = await shop.token('shop', ['WriteOrders']);
        const headers = { 'content-type': 'application/json', ...bearer(customer) };
        const lines = (a: number, b: number) => [{ offer: fromFirst.offer, product: fromFirst.product, quantity: a }, { offer: fromSecond.offer, product: fromSecond.product, quantity: b }];
        const created = await shop.request('POST', '/api/dfc/enterprises/shop/orders', { headers, body: customerOrder(`${shop.base}/api/dfc/enterprises/shop/orders`, lines(6, 6)) });
        expect(created.status, created.text).to.equal(201);
        const iri = created.headers.get('location') as string;
        second.mode = 'refuse';
        const amended = await shop.request('PUT', new URL(iri).pathname, { headers, body: customerOrder(iri, lines(18, 12)) });
        expect(amended.status, amended.text).to.equal(409);
        // The first took 3 cases, then was given its 1 case back.
        const atFirst = first.orderHits();
        expect(atFirst.map((h) => h.method)).to.deep.equal(['POST', 'PUT', 'PUT']);
        const quantities = atFirst.map((h) => typed(nodesOf(h.body?.toString('utf8') ?? ''), 'dfc-b:OrderLine').map((l) => l['dfc-b:quantity']));
        expect(quantities).to.deep.equal([[1], [3], [1]]);
        const read = await shop.request('GET', new URL(iri).pathname, { headers });
        expect(typed(nodesOf(read.text), 'dfc-b:OrderLine').map((l) => l['dfc-b:quantity'])).to.deep.equal([6, 6]);
      } finally {
        await shop.close();
        await first.peer.close();
        await second.peer.close();
      }
    });
  });

  describe('at another Maillon node', () => {
    const A = 'http://a.test';
    let a: InProcessNode;
    let b: InProcessNode;
    let customer: string;
    let listed: ListedItem;

    beforeEach(async () => {
      a = await startInProcess({ base: A });
      await a.seed('ferme');
      // B reaches A's ids (http://a.test/…) where A listens: a resolver, as DNS would be.
      const routed: SafeFetch = (request, policy) => safeFetch({ ...request, url: request.url.startsWith(A) ? `${a.url}${request.url.slice(A.length)}` : request.url }, policy);
      b = await startInProcess({ base: 'http://b.test', notifier: { fetch: routed } });
      await b.seed('shop');
      const token = await a.token('ferme', ['WriteOrders', 'ReadOrders']);
      await b.store.provenance.addPeer({ name: 'ferme', url: `${A}/api/dfc/enterprises/ferme/catalog_items`, token }, A);
      listed = await listRemoteItem(b, 'shop', {
        key: 'tomate-ferme', name: 'Tomates de la ferme', price: 5, originItem: `${A}/api/dfc/enterprises/ferme/catalog_items/tomate`,
        originOffer: `${A}/api/dfc/enterprises/ferme/offers/tomate`, originProduct: `${A}/api/dfc/enterprises/ferme/supplied_products/tomate`,
        originOrders: `${A}/api/dfc/enterprises/ferme/orders`,
      });
      customer = await b.token('shop', ['WriteOrders']);
    });
    afterEach(async () => {
      await b.close();
      await a.close();
    });

    const stockAtA = () => a.store.orders.stock(`${A}/api/dfc/enterprises/ferme/catalog_items/tomate`);
    const order = (quantity: number, id = `${b.base}/api/dfc/enterprises/shop/orders`, status?: string) =>
      customerOrder(id, [{ offer: listed.offer, product: listed.product, quantity }], status);
    const post = (body: string) => b.request('POST', '/api/dfc/enterprises/shop/orders', { headers: { 'content-type': 'application/json', ...bearer(customer) }, body });

    it('reserves at A, sells at A on completion, releases at A on cancellation', async () => {
      const created = await post(order(3));
      expect(created.status, created.text).to.equal(201);
      expect(await stockAtA()).to.include({ available: 9, reserved: 3, sold: 0 });
      // A holds B's order under B's name, as a buyer.
      const atA = (await a.store.orders.list('ferme', { offset: 0, limit: 10 })).orders;
      expect(atA.map((o) => [o.state, o.orderedBy])).to.deep.equal([['Held', `${b.base}/api/dfc/enterprises/shop`]]);

      const iri = created.headers.get('location') as string;
      const completed = await b.request('PUT', new URL(iri).pathname, {
        headers: { 'content-type': 'application/json', ...bearer(customer) }, body: order(3, iri, 'dfc-v:Complete'),
      });
      expect(completed.status, completed.text).to.equal(200);
      expect(await stockAtA()).to.include({ available: 9, reserved: 0, sold: 3 });

      const second = await post(order(4));
      expect(second.status, second.text).to.equal(201);
      expect(await stockAtA()).to.include({ available: 5, reserved: 4 });
      const cancelled = await b.request('DELETE', new URL(second.headers.get('location') as string).pathname, { headers: bearer(customer) });
      expect(cancelled.status, cancelled.text).to.equal(200);
      expect(await stockAtA()).to.include({ available: 9, reserved: 0, sold: 3 });
    });

    it('tells A until when B holds its order (the end of its sale session and B\'s hold), so that A holds its order longer', async () => {
      const end = new Date(Math.floor(Date.now() / 1000) * 1000 + 5 * 86_400_000).toISOString().replace('.000Z', 'Z');
      const body = JSON.parse(order(2)) as { '@graph': Record<string, unknown>[] };
      (body['@graph'][0] as Record<string, unknown>)['dfc-b:belongsTo'] = `${b.base}/api/dfc/enterprises/shop/SalesSession/#`;
      body['@graph'].push({ '@id': `${b.base}/api/dfc/enterprises/shop/SalesSession/#`, '@type': 'dfc-b:SaleSession', 'dfc-b:endDate': end });
      const created = await post(JSON.stringify(body));
      expect(created.status, created.text).to.equal(201);
      const hold = 30 * 60_000;
      const atB = await b.store.orders.get(created.headers.get('location') as string);
      expect(atB?.expiresAt).to.equal(new Date(Date.parse(end) + hold).toISOString());
      // B's expiry is the end A is sent: A holds its order for its own hold after that.
      const atA = (await a.store.orders.list('ferme', { offset: 0, limit: 10 })).orders;
      expect(atA.map((o) => [o.state, o.expiresAt])).to.deep.equal([['Held', new Date(Date.parse(end) + 2 * hold).toISOString()]]);
      // Without a sale session too: A never expires before B.
      const plain = await post(order(1));
      expect(plain.status, plain.text).to.equal(201);
      const plainAtB = await b.store.orders.get(plain.headers.get('location') as string);
      const [plainAtA] = (await a.store.orders.list('ferme', { offset: 0, limit: 1 })).orders;
      expect(plainAtA?.expiresAt).to.equal(new Date(Date.parse(plainAtB?.expiresAt as string) + hold).toISOString());
    });

    it('cancels B\'s order, and says why, when A cancelled its own (the farm did, or it expired) and B\'s is completed or amended', async () => {
      const own = { offer: `${b.base}/api/dfc/enterprises/shop/offers/tomate`, product: `${b.base}/api/dfc/enterprises/shop/supplied_products/tomate` };
      const headers = { 'content-type': 'application/json', ...bearer(customer) };
      const newestAtA = async () => (await a.store.orders.list('ferme', { offset: 0, limit: 1 })).orders[0]?.iri as string;
      const ownStock = () => b.store.orders.stock(`${b.base}/api/dfc/enterprises/shop/catalog_items/tomate`);

      // The farm cancels at A; B's customer completes at B.
      const first = await post(order(3));
      expect(first.status, first.text).to.equal(201);
      await a.orders.cancelAsSeller(await newestAtA(), 'cancelled');
      const iri = first.headers.get('location') as string;
      const completed = await b.request('PUT', new URL(iri).pathname, { headers, body: order(3, iri, 'dfc-v:Complete') });
      expect(completed.status, completed.text).to.equal(409);
      expect(JSON.parse(completed.text).detail).to.match(/^the supplier's order \S+ is cancelled there \(it expired, or the supplier cancelled it\): this order is now cancelled too/u);
      expect(await b.store.orders.get(iri)).to.deep.include({ state: 'Cancelled' });
      expect(await stockAtA()).to.include({ available: 12, reserved: 0, sold: 0 });

      // A's order expires first (its hold over); B's customer amends an order with a line of B's own as well.
      const second = await b.request('POST', '/api/dfc/enterprises/shop/orders', {
        headers, body: customerOrder(`${b.base}/api/dfc/enterprises/shop/orders`, [{ offer: listed.offer, product: listed.product, quantity: 2 }, { ...own, quantity: 2 }]),
      });
      expect(second.status, second.text).to.equal(201);
      expect(await ownStock()).to.include({ reserved: 2 });
      await a.orders.cancelAsSeller(await newestAtA(), 'expired');
      const secondIri = second.headers.get('location') as string;
      const amended = await b.request('PUT', new URL(secondIri).pathname, {
        headers, body: customerOrder(secondIri, [{ offer: listed.offer, product: listed.product, quantity: 4 }, { ...own, quantity: 2 }]),
      });
      expect(amended.status, amended.text).to.equal(409);
      expect(JSON.parse(amended.text).detail).to.contain('this order is now cancelled too');
      expect(await b.store.orders.get(secondIri)).to.deep.include({ state: 'Cancelled' });
      // B's own tomatoes are given back, and nothing is held at A.
      expect(await ownStock()).to.include({ reserved: 0 });
      expect(await stockAtA()).to.include({ available: 12, reserved: 0, sold: 0 });
      // Not counted as open: the listing can be removed.
      expect(await b.store.orders.openOrdersOfListing(listed.listing.id, new Date().toISOString())).to.deep.equal([]);
    });

    it('orders nothing for a listing that would order on another site than its origin item\'s (made before origins were checked)', async () => {
      const victim = await startFakePeer((_req, res) => res.writeHead(201, { 'content-type': 'application/json' }).end('{}'));
      try {
        const stray = await listRemoteItem(b, 'shop', {
          key: 'volee', price: 5, originItem: `${A}/api/dfc/enterprises/ferme/catalog_items/carottes`,
          originOffer: `${victim.base}/api/dfc/enterprises/v/offers/tomate`, originProduct: `${victim.base}/api/dfc/enterprises/v/supplied_products/tomate`,
          originOrders: `${victim.base}/api/dfc/enterprises/v/orders`,
        });
        const refused = await post(customerOrder(`${b.base}/api/dfc/enterprises/shop/orders`, [{ offer: stray.offer, product: stray.product, quantity: 1 }]));
        expect(refused.status, refused.text).to.equal(409);
        expect(JSON.parse(refused.text).detail).to.contain(`would order ${victim.base}/api/dfc/enterprises/v/orders, on another site than its origin item`);
        expect(victim.hits).to.deep.equal([]);
      } finally {
        await victim.close();
      }
    });

    it('passes A\'s refusal on to B\'s customer, naming the short line', async () => {
      const refused = await post(order(13));
      expect(refused.status, refused.text).to.equal(409);
      const problem = JSON.parse(refused.text) as { detail: string; shortLines: unknown[] };
      expect(problem.detail).to.contain('13 requested, 12 available');
      expect(problem.shortLines).to.deep.equal([{
        line: 1, id: `${b.base}/api/dfc/enterprises/shop/orders/OrderLines/1`, offer: listed.offer, item: listed.item, requested: 13, available: 12,
        supplier: { requested: 13, available: 12, factor: 1 },
      }]);
      expect(await stockAtA()).to.include({ available: 12, reserved: 0 });
    });
  });

  /**
   * Two shops whose listings lead round: A's listing is of B's, and B's of A's (listings made by hand, as no
   * listing add makes them now: an id reused, or records written over, made such pairs). An order at either goes
   * to the other with the path it came by (`Maillon-Order-Via`), and the node it comes back to refuses it: the
   * customer gets a 409 that says so, and no node keeps an order open.
   */
  describe('between listings that lead round', () => {
    const A = 'http://a.test';
    const B = 'http://b.test';
    let a: InProcessNode;
    let b: InProcessNode;
    let customer: string;
    let atA: ListedItem;

    before(async () => {
      const nodes: Record<string, () => string> = { [A]: () => a.url, [B]: () => b.url };
      const routed: SafeFetch = (request, policy) => {
        const base = Object.keys(nodes).find((origin) => request.url.startsWith(origin));
        return safeFetch({ ...request, url: base === undefined ? request.url : `${(nodes[base] as () => string)()}${request.url.slice(base.length)}` }, policy);
      };
      a = await startInProcess({ base: A, notifier: { fetch: routed } });
      b = await startInProcess({ base: B, notifier: { fetch: routed } });
      await a.seed('shop-a');
      await b.seed('shop-b');
      await a.store.provenance.addPeer({ name: 'b', url: `${B}/api/dfc/enterprises/shop-b/catalog_items`, token: await b.token('shop-b', ['WriteOrders']) }, B);
      await b.store.provenance.addPeer({ name: 'a', url: `${A}/api/dfc/enterprises/shop-a/catalog_items`, token: await a.token('shop-a', ['WriteOrders']) }, A);
      const ids = (base: string, eid: string) => ({
        originItem: `${base}/api/dfc/enterprises/${eid}/catalog_items/boucle`, originOffer: `${base}/api/dfc/enterprises/${eid}/offers/boucle`,
        originProduct: `${base}/api/dfc/enterprises/${eid}/supplied_products/boucle`, originOrders: `${base}/api/dfc/enterprises/${eid}/orders`,
      });
      atA = await listRemoteItem(a, 'shop-a', { key: 'boucle', price: 5, ...ids(B, 'shop-b') });
      await listRemoteItem(b, 'shop-b', { key: 'boucle', price: 5, ...ids(A, 'shop-a') });
      customer = await a.token('shop-a', ['WriteOrders']);
    });
    after(async () => {
      await b?.close();
      await a?.close();
    });

    it('refuses the order where it comes back (409), and the customer is told so', async () => {
      const refused = await a.request('POST', '/api/dfc/enterprises/shop-a/orders', {
        headers: { 'content-type': 'application/json', ...bearer(customer) },
        body: customerOrder(`${A}/api/dfc/enterprises/shop-a/orders`, [{ offer: atA.offer, product: atA.product, quantity: 1 }]),
      });
      expect(refused.status, refused.text).to.equal(409);
      expect(refused.headers.get('content-type')).to.match(/^application\/problem\+json/u);
      expect(JSON.parse(refused.text).detail).to.contain(`this order has come back to ${A}, which it came through already (${A} → ${B} → ${A})`);
      // One order each at most, none of them open: the loop was cut at its first turn.
      const ordersOf = async (node: InProcessNode, eid: string) => (await node.store.orders.list(eid, { offset: 0, limit: 100 })).orders;
      const [ofA, ofB] = [await ordersOf(a, 'shop-a'), await ordersOf(b, 'shop-b')];
      expect(ofA.length + ofB.length).to.be.at.most(2);
      expect([...ofA, ...ofB].filter((o) => o.state === 'Held' || o.state === 'Pending')).to.deep.equal([]);
    });

    it('refuses an order that came through more than 4 nodes, or a malformed path (400); takes one that came through 4', async () => {
      const own = { offer: `${A}/api/dfc/enterprises/shop-a/offers/tomate`, product: `${A}/api/dfc/enterprises/shop-a/supplied_products/tomate` };
      const send = (via: string) => a.request('POST', '/api/dfc/enterprises/shop-a/orders', {
        headers: { 'content-type': 'application/json', ...bearer(customer), 'maillon-order-via': via },
        body: customerOrder(`${A}/api/dfc/enterprises/shop-a/orders`, [{ ...own, quantity: 1 }]),
      });
      const path = (n: number) => Array.from({ length: n }, (_v, i) => `https://n${i}.example`).join(', ');
      const tooLong = await send(path(5));
      expect(tooLong.status, tooLong.text).to.equal(409);
      expect(JSON.parse(tooLong.text)).to.deep.include({ via: path(5).split(', ') });
      expect(JSON.parse(tooLong.text).detail).to.contain('more than 4');
      expect(JSON.parse(tooLong.text).problems[0].code).to.equal('order-loop');
      for (const via of ['https://n0.example, not a url', 'https://n0.example,,https://n1.example', 'https://n0.example,']) {
        const malformed = await send(via);
        expect(malformed.status, `${via}: ${malformed.text}`).to.equal(400);
        expect(malformed.headers.get('content-type')).to.match(/^application\/problem\+json/u);
      }
      // Another node at a path of this host is another node, not this one.
      const sibling = await send(`${A}/limousin`);
      expect(sibling.status, sibling.text).to.equal(201);
      // This node named by a URL of its API (an enterprise's) is this node: the order came back.
      for (const via of [`${A}/api/dfc/enterprises/shop-a`, `https://n0.example, ${A}/`]) {
        const back = await send(via);
        expect(back.status, `${via}: ${back.text}`).to.equal(409);
        expect(JSON.parse(back.text).problems[0].code).to.equal('order-loop');
      }
      const taken = await send(path(4));
      expect(taken.status, taken.text).to.equal(201);
    });
  });

  /**
   * A supplier that takes an order whose answer never reaches the shop (it answered after the shop's deadline, or the
   * connection dropped), or that is down when the shop cancels: what the shop told its customer is what the supplier
   * ends with. The shop owes the supplier the cancellation, keeps it in its database and tries again until done.
   */
  describe('at another Maillon node whose answers are lost, or that is down', () => {
    const A = 'http://a.test';
    let a: InProcessNode;
    let b: InProcessNode;
    let customer: string;
    let listed: ListedItem;
    /** What B's requests to A meet: A itself, nothing (A down), or A taking the request and B never hearing its answer. */
    let link: 'through' | 'down' | 'lost';

    beforeEach(async () => {
      link = 'through';
      a = await startInProcess({ base: A });
      await a.seed('ferme');
      const routed: SafeFetch = async (request, policy) => {
        if (!request.url.startsWith(A)) return safeFetch(request, policy);
        if (link === 'down') return { ok: false, failure: { kind: 'network', message: 'connect ECONNREFUSED 127.0.0.1:9', url: request.url } };
        const outcome = await safeFetch({ ...request, url: `${a.url}${request.url.slice(A.length)}` }, policy);
        if (link === 'lost') return { ok: false, failure: { kind: 'timeout', message: 'no answer within 100 ms', url: request.url } };
        return outcome;
      };
      b = await startInProcess({ base: 'http://b.test', notifier: { fetch: routed } });
      await b.seed('shop');
      const token = await a.token('ferme', ['WriteOrders']);
      await b.store.provenance.addPeer({ name: 'ferme', url: `${A}/api/dfc/enterprises/ferme/catalog_items`, token }, A);
      listed = await listRemoteItem(b, 'shop', {
        key: 'tomate-ferme', price: 5, originItem: `${A}/api/dfc/enterprises/ferme/catalog_items/tomate`, originOffer: `${A}/api/dfc/enterprises/ferme/offers/tomate`,
        originProduct: `${A}/api/dfc/enterprises/ferme/supplied_products/tomate`, originOrders: `${A}/api/dfc/enterprises/ferme/orders`,
      });
      customer = await b.token('shop', ['WriteOrders']);
    });
    afterEach(async () => {
      await b.close();
      await a.close();
    });

    const stockAtA = () => a.store.orders.stock(`${A}/api/dfc/enterprises/ferme/catalog_items/tomate`);
    const statesAtA = async () => (await a.store.orders.list('ferme', { offset: 0, limit: 100 })).orders.map((o) => o.state).reverse();
    const post = (quantity: number, headers: Record<string, string> = {}) => b.request('POST', '/api/dfc/enterprises/shop/orders', {
      headers: { 'content-type': 'application/json', ...bearer(customer), ...headers },
      body: customerOrder(`${b.base}/api/dfc/enterprises/shop/orders`, [{ offer: listed.offer, product: listed.product, quantity }]),
    });
    /** Runs B's background retries (the timers of `serve`) until nothing is owed, or fails after `ms`. */
    const settle = async (ms = 10_000): Promise<void> => {
      const deadline = Date.now() + ms;
      for (;;) {
        await b.orders.retryUpstreamCancellations();
        if ((await b.store.orders.upstreamOwed(10)).length === 0) return;
        if (Date.now() > deadline) throw new Error(`still owed: ${JSON.stringify(await b.store.orders.upstreamOwed(10))}`);
        await new Promise((resolve) => { setTimeout(resolve, 100); });
      }
    };

    it('cancels at A the order A took but whose answer B never heard (B answered 503)', async () => {
      link = 'lost';
      const lost = await post(3);
      expect(lost.status, lost.text).to.equal(503);
      expect((await b.store.orders.list('shop', { offset: 0, limit: 10 })).orders.map((o) => o.state)).to.deep.equal(['Cancelled']);
      // A took it, and B knows it owes A a cancellation.
      expect(await statesAtA()).to.deep.equal(['Held']);
      expect(await stockAtA()).to.include({ available: 9, reserved: 3 });
      const [owed] = await b.store.orders.upstreamOwed(10);
      expect(owed).to.deep.include({ eid: 'shop', target: `${A}/api/dfc/enterprises/ferme/orders` });
      link = 'through';
      await settle();
      expect(await statesAtA()).to.deep.equal(['Cancelled']);
      expect(await stockAtA()).to.include({ available: 12, reserved: 0, sold: 0 });
    });

    it('cancels only the attempt B reported as not placed, never the order of a retry that B accepted', async () => {
      link = 'lost';
      expect((await post(3)).status).to.equal(503);
      link = 'through';
      const retried = await post(3);
      expect(retried.status, retried.text).to.equal(201);
      expect(await statesAtA()).to.deep.equal(['Held', 'Held']);
      await settle();
      expect(await statesAtA()).to.deep.equal(['Cancelled', 'Held']);
      expect(await stockAtA()).to.include({ available: 9, reserved: 3 });
      const atB = await b.store.orders.get(retried.headers.get('location') as string);
      expect(atB?.state).to.equal('Held');
    });

    it('withdraws an order A never received: the same POST sent again makes it at A, and it is cancelled at once', async () => {
      link = 'down';
      expect((await post(2)).status).to.equal(503);
      expect(await statesAtA()).to.deep.equal([]);
      // Still down: the cancellation stays owed, put off.
      await b.orders.retryUpstreamCancellations();
      await new Promise((resolve) => { setTimeout(resolve, 1100); });
      expect(await b.orders.retryUpstreamCancellations()).to.deep.equal({ settled: 0, postponed: 1 });
      expect((await b.store.orders.upstreamOwed(10))[0]).to.deep.include({ attempts: 1 });
      link = 'through';
      await settle();
      expect(await statesAtA()).to.deep.equal(['Cancelled']);
      expect(await stockAtA()).to.include({ available: 12, reserved: 0 });
    });

    it('places again a request retried with the same Idempotency-Key after a 503 (nothing was placed), and keeps the key\'s other guarantees', async () => {
      link = 'down';
      const key = { 'idempotency-key': 'after-503' };
      const down = await post(2, key);
      expect(down.status, down.text).to.equal(503);
      expect(down.headers.get('retry-after')).to.equal('30');
      link = 'through';
      // Retried at once by two clients: one order, placed once.
      const [again, meanwhile] = await Promise.all([post(2, key), post(2, key)]);
      expect([again.status, meanwhile.status].sort(), `${again.text} ${meanwhile.text}`).to.satisfy((s: number[]) => s[0] === 201 && (s[1] === 201 || s[1] === 409));
      const placed = again.status === 201 ? again : meanwhile;
      const replay = await post(2, key);
      expect(replay.status, replay.text).to.equal(201);
      expect(replay.headers.get('location')).to.equal(placed.headers.get('location'));
      // The same key with another body is still refused.
      const other = await post(3, key);
      expect(other.status, other.text).to.equal(422);
      const atB = (await b.store.orders.list('shop', { offset: 0, limit: 10 })).orders.map((o) => o.state);
      expect(atB.filter((state) => state === 'Held')).to.have.length(1);
      // The first attempt's order is withdrawn at A (made there by the same POST, then cancelled); the retry's is held.
      await settle();
      expect(await stockAtA()).to.include({ available: 10, reserved: 2 });
      expect((await statesAtA()).sort()).to.deep.equal(['Cancelled', 'Held']);
    });

    it('cancels at A, once A is back, an order cancelled at B while A was down', async () => {
      const created = await post(4);
      expect(created.status, created.text).to.equal(201);
      expect(await stockAtA()).to.include({ available: 8, reserved: 4 });
      link = 'down';
      const cancelled = await b.request('DELETE', new URL(created.headers.get('location') as string).pathname, { headers: bearer(customer) });
      expect(cancelled.status, cancelled.text).to.equal(200);
      expect(typed(nodesOf(cancelled.text), 'dfc-b:Order')[0]?.['dfc-b:hasOrderStatus']).to.equal('dfc-v:Cancelled');
      expect(await statesAtA()).to.deep.equal(['Held']);
      expect(await b.store.orders.upstreamOwed(10)).to.have.length(1);
      link = 'through';
      await settle();
      expect(await statesAtA()).to.deep.equal(['Cancelled']);
      expect(await stockAtA()).to.include({ available: 12, reserved: 0 });
    });
  });

  /**
   * A's wholesale case of 6 kg of tomatoes (11 in stock), sold at B by the kilogram (a listing of factor 6), beside
   * B's own tomatoes (12): a refusal names B's lines, B's offers and kilograms, whoever is short, and nothing stays
   * reserved at A or at B.
   */
  describe('a wholesale case of another Maillon node, sold as retail units', () => {
    const A = 'http://a.test';
    const CASES = 11;
    let a: InProcessNode;
    let b: InProcessNode;
    let customer: string;
    let listed: ListedItem;
    const ordersAtB = () => `${b.base}/api/dfc/enterprises/shop/orders`;
    const caseItem = `${A}/api/dfc/enterprises/ferme/catalog_items/tomate-caisse`;

    beforeEach(async () => {
      a = await startInProcess({ base: A });
      await a.seed('ferme', { records: farmRecords('ferme', { products: [...FARM_PRODUCTS, { id: 'tomate-caisse', name: 'Tomates anciennes, caisse de 6 kg', stock: CASES, price: 27 }] }) });
      const routed: SafeFetch = (request, policy) => safeFetch({ ...request, url: request.url.startsWith(A) ? `${a.url}${request.url.slice(A.length)}` : request.url }, policy);
      b = await startInProcess({ base: 'http://b.test', notifier: { fetch: routed } });
      await b.seed('shop');
      const token = await a.token('ferme', ['WriteOrders', 'ReadOrders']);
      await b.store.provenance.addPeer({ name: 'ferme', url: `${A}/api/dfc/enterprises/ferme/catalog_items`, token }, A);
      listed = await listRemoteItem(b, 'shop', {
        key: 'tomate-ferme', name: 'Tomates de la ferme (kg)', price: 5, originItem: caseItem, originOffer: `${A}/api/dfc/enterprises/ferme/offers/tomate-caisse`,
        originProduct: `${A}/api/dfc/enterprises/ferme/supplied_products/tomate-caisse`, originOrders: `${A}/api/dfc/enterprises/ferme/orders`, factor: 6,
      });
      customer = await b.token('shop', ['WriteOrders']);
    });
    afterEach(async () => {
      await b.close();
      await a.close();
    });

    const own = () => ({ offer: `${b.base}/api/dfc/enterprises/shop/offers/tomate`, product: `${b.base}/api/dfc/enterprises/shop/supplied_products/tomate` });
    const ownItem = () => `${b.base}/api/dfc/enterprises/shop/catalog_items/tomate`;
    const kilos = (quantity: number) => ({ offer: listed.offer, product: listed.product, quantity });
    const headers = (extra: Record<string, string> = {}) => ({ 'content-type': 'application/json', ...bearer(customer), ...extra });
    const post = (lines: { offer: string; product: string; quantity: number }[], extra?: Record<string, string>) =>
      b.request('POST', '/api/dfc/enterprises/shop/orders', { headers: headers(extra), body: customerOrder(ordersAtB(), lines) });
    const put = (iri: string, lines: { offer: string; product: string; quantity: number }[]) =>
      b.request('PUT', new URL(iri).pathname, { headers: headers(), body: customerOrder(iri, lines) });
    /** The ledgers at A (the case) and at B (its own tomatoes), whole. */
    const ledgers = async (): Promise<(StockLevel | undefined)[]> => [await a.store.orders.stock(caseItem), await b.store.orders.stock(ownItem())];
    /** The listed line as B names it: B's line, offer and item, kilograms, and A's cases beside. */
    const listedShort = (lineId: string, line: number, requested: number, more: Record<string, unknown> = {}) => ({
      line, id: lineId, offer: listed.offer, item: listed.item, requested, available: 66, supplier: { requested: 14, available: 11, factor: 6 }, ...more,
    });
    const problemOf = (text: string) => JSON.parse(text) as { detail: string; shortLines: unknown[]; problems: { code: string }[] };

    it('names the short listed line in B\'s terms: its line and offer, in kilograms (11 cases are 66 kg), and the same on a retry', async () => {
      const before = await ledgers();
      const refused = await post([kilos(80)]);
      expect(refused.status, refused.text).to.equal(409);
      const problem = problemOf(refused.text);
      expect(problem.shortLines).to.deep.equal([listedShort(`${ordersAtB()}/OrderLines/1`, 1, 80)]);
      expect(problem.problems.map((p) => p.code)).to.deep.equal(['insufficient-stock']);
      expect(problem.detail).to.contain(`line 1 (${listed.offer}): 80 requested, 66 available (at the supplier, in packs of 6: 14 requested, 11 available)`);
      // A's offer and case count are not what B's customer ordered.
      expect(problem.detail).to.not.contain(`${A}/api/dfc/enterprises/ferme/offers`);
      expect(await ledgers()).to.deep.equal(before);
      // With an Idempotency-Key (stored before A is asked): the same answer, and again on the retry.
      const first = await post([kilos(80)], { 'idempotency-key': 'k-80' });
      const again = await post([kilos(80)], { 'idempotency-key': 'k-80' });
      expect([first.status, again.status]).to.deep.equal([409, 409]);
      expect(problemOf(first.text).shortLines).to.deep.equal(problem.shortLines);
      expect(problemOf(again.text).shortLines).to.deep.equal(problem.shortLines);
      expect(await ledgers()).to.deep.equal(before);
      // 66 kg are indeed there: 11 cases.
      const fits = await post([kilos(66)]);
      expect(fits.status, fits.text).to.equal(201);
      expect(await a.store.orders.stock(caseItem)).to.include({ available: 0, reserved: CASES });
    });

    it('names the short lines of an order, B\'s own ones without asking A, and reserves nothing at A or at B', async () => {
      const before = await ledgers();
      const ordersAtA = async () => (await a.store.orders.list('ferme', { offset: 0, limit: 1 })).total;
      const placedAtA = await ordersAtA();
      // B's own line short: the order is refused there, A is not asked (it would hold its cases for nothing).
      const both = await post([{ ...own(), quantity: 13 }, kilos(80)]);
      expect(both.status, both.text).to.equal(409);
      expect(problemOf(both.text).shortLines).to.deep.equal([
        { line: 1, id: `${ordersAtB()}/OrderLines/1`, offer: own().offer, item: ownItem(), requested: 13, available: 12 },
      ]);
      expect(await ledgers()).to.deep.equal(before);
      expect(await ordersAtA()).to.equal(placedAtA);
      const ownShort = await post([{ ...own(), quantity: 13 }, kilos(12)]);
      expect(ownShort.status, ownShort.text).to.equal(409);
      expect(problemOf(ownShort.text).shortLines).to.deep.equal([
        { line: 1, id: `${ordersAtB()}/OrderLines/1`, offer: own().offer, item: ownItem(), requested: 13, available: 12 },
      ]);
      expect(await ledgers()).to.deep.equal(before);
      // Only the listed line short: B's own tomatoes were held a moment, and are back.
      const listedShortOnly = await post([{ ...own(), quantity: 2 }, kilos(80)]);
      expect(listedShortOnly.status, listedShortOnly.text).to.equal(409);
      expect(problemOf(listedShortOnly.text).shortLines).to.deep.equal([listedShort(`${ordersAtB()}/OrderLines/2`, 2, 80)]);
      expect(await ledgers()).to.deep.equal(before);
      // Two lines on the listing share A's cases: each its own kilograms, both the 66 kg, 80 kg together.
      const shared = await post([kilos(40), kilos(40)]);
      expect(shared.status, shared.text).to.equal(409);
      expect(problemOf(shared.text).shortLines).to.deep.equal([
        listedShort(`${ordersAtB()}/OrderLines/1`, 1, 40, { requestedTogether: 80, sharedWith: [2] }),
        listedShort(`${ordersAtB()}/OrderLines/2`, 2, 40, { requestedTogether: 80, sharedWith: [1] }),
      ]);
      expect(await ledgers()).to.deep.equal(before);
    });

    it('names the short lines of a refused amendment with their new quantities, and keeps the order and both ledgers as they were', async () => {
      const created = await post([{ ...own(), quantity: 1 }, kilos(6)]);
      expect(created.status, created.text).to.equal(201);
      const iri = created.headers.get('location') as string;
      const held = await ledgers();
      expect(held.map((l) => [l?.available, l?.reserved])).to.deep.equal([[10, 1], [11, 1]]);
      // The listed line up to 80 kg: A could give B's order 11 cases (10 left, 1 it holds), 66 kg.
      const listedUp = await put(iri, [{ ...own(), quantity: 1 }, kilos(80)]);
      expect(listedUp.status, listedUp.text).to.equal(409);
      expect(problemOf(listedUp.text).shortLines).to.deep.equal([listedShort(`${iri}/OrderLines/2`, 2, 80)]);
      expect(await ledgers()).to.deep.equal(held);
      // Both up: B's line asks 100 of the 12 its order could have (11 left, 1 held); refused at B, A is not asked.
      const bothUp = await put(iri, [{ ...own(), quantity: 100 }, kilos(80)]);
      expect(bothUp.status, bothUp.text).to.equal(409);
      expect(problemOf(bothUp.text).shortLines).to.deep.equal([
        { line: 1, id: `${iri}/OrderLines/1`, offer: own().offer, item: ownItem(), requested: 100, available: 12 },
      ]);
      expect(await ledgers()).to.deep.equal(held);
      // B's line alone short: the same.
      const ownUp = await put(iri, [{ ...own(), quantity: 100 }, kilos(12)]);
      expect(ownUp.status, ownUp.text).to.equal(409);
      expect(problemOf(ownUp.text).shortLines).to.deep.equal([
        { line: 1, id: `${iri}/OrderLines/1`, offer: own().offer, item: ownItem(), requested: 100, available: 12 },
      ]);
      expect(await ledgers()).to.deep.equal(held);
      const read = await b.request('GET', new URL(iri).pathname, { headers: bearer(customer) });
      expect(typed(nodesOf(read.text), 'dfc-b:OrderLine').map((l) => l['dfc-b:quantity'])).to.deep.equal([1, 6]);
    });
  });
});
