/**
 * The HTTP client of orders placed at suppliers, against fake suppliers on loopback: the body is the one Open Food
 * Network's FdcBackorderer sends, the credentials held for the supplier go with it, the answer's Order @id is the
 * order; a refusal comes back with the supplier's reason, and an outage (5xx, a hang, no listener, a huge body)
 * as a 503-like value, quickly, never as an exception.
 */
import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { Decoder } from '../../../server/codec/decode.js';
import { DEFAULT_FETCH_POLICY, safeFetch } from '../../../server/net/safe-fetch.js';
import { HttpUpstreamOrders } from '../../../server/orders/upstream.js';
import type { PeerRow } from '../../../server/store/federation.js';
import { closePeers, JSONLD, sendJson, startPeer, type RecordingPeer } from '../../helpers/http-peer.js';

const SHOP = 'http://shop.test/api/dfc/enterprises/boutique';

type Node = Record<string, unknown>;

function graphOf(body: Buffer | undefined): Node[] {
  const doc = JSON.parse((body ?? Buffer.alloc(0)).toString('utf8')) as { '@graph'?: Node[] } & Node;
  return doc['@graph'] ?? [doc];
}

function typed(nodes: Node[], type: string): Node[] {
  return nodes.filter((n) => [n['@type']].flat().includes(type));
}

const link = (value: unknown): unknown => (typeof value === 'object' && value !== null && '@id' in value ? (value as { '@id': unknown })['@id'] : value);

function peerRow(origin: string, token: string, tokenHeader: PeerRow['tokenHeader'] = 'authorization'): PeerRow {
  return {
    id: 1, name: 'supplier', url: `${origin}/catalog`, origin, token, tokenHeader, profile: 'dfc-v1', kind: 'dfc', intervalSeconds: 3600, createdAt: '',
    status: 'ok', syncingSince: null, lastAttemptAt: null, lastSuccessAt: null, nextAttemptAt: null, failures: 0, lastError: null, lastSummary: null,
  };
}

/** The clients of the current test: their pooled connections are closed after it (as the node does when it closes). */
const clients: HttpUpstreamOrders[] = [];

function client(peers: PeerRow[] = [], timeoutMs = 2_000): HttpUpstreamOrders {
  const made = new HttpUpstreamOrders({
    fetch: safeFetch, policy: { ...DEFAULT_FETCH_POLICY, allowPrivate: true, connectTimeoutMs: 1_000 }, decoder: new Decoder(), peers: async () => peers, timeoutMs,
  });
  clients.push(made);
  return made;
}

/** An FDC-like answer: the created Order with a new @id, status as an IRI object, quantity as a string. */
function fdcAnswer(base: string, n: number, status = 'Held'): Node {
  const order = `${base}/api/dfc/Enterprises/sup/Orders/${n}`;
  return {
    '@context': 'https://www.datafoodconsortium.org',
    '@graph': [
      { '@id': order, '@type': 'dfc-b:Order', 'dfc-b:hasOrderStatus': { '@id': `dfc-v:${status}` }, 'dfc-b:hasPart': `${order}/orderLines/460` },
      { '@id': `${order}/orderLines/460`, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': '2', 'dfc-b:concerns': `${base}/api/dfc/Enterprises/sup/Offers/9` },
      { '@id': `${base}/api/dfc/Enterprises/sup/Offers/9`, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': `${base}/api/dfc/Enterprises/sup/SuppliedProducts/9` },
    ],
  };
}

describe('orders placed at a supplier (HttpUpstreamOrders)', function () {
  this.timeout(10_000);
  afterEach(async () => {
    for (const made of clients.splice(0)) made.closePools();
    await closePeers();
  });

  it('places orders at one supplier over one kept connection, uncompressed', async () => {
    let n = 0;
    const peer = await startPeer((_req, res, self) => sendJson(res, fdcAnswer(self.base, ++n)));
    const upstream = client();
    for (let i = 1; i <= 3; i++) expect(await place(peer, upstream)).to.deep.equal({ ok: true, order: `${peer.base}/api/dfc/Enterprises/sup/Orders/${i}` });
    expect(peer.connections).to.equal(1);
    expect(peer.hits.map((h) => [h.headers['connection'], h.headers['accept-encoding']])).to.deep.equal(Array(3).fill(['keep-alive', 'identity']));
  });

  it('keeps the connections of a burst of concurrent orders for the next burst', async () => {
    let n = 0;
    const peer = await startPeer((_req, res, self) => sendJson(res, fdcAnswer(self.base, ++n)));
    const upstream = client();
    // Many orders in flight at once, as a shop under load places them: each burst needs 60 connections. With 32
    // kept idle, 28 were closed after each burst and opened again by the next (116 connections in all).
    for (let burst = 0; burst < 3; burst++) {
      const outcomes = await Promise.all(Array.from({ length: 60 }, () => place(peer, upstream)));
      expect(outcomes.filter((o) => o.ok)).to.have.length(60);
    }
    expect(peer.hits).to.have.length(180);
    expect(peer.connections).to.equal(60);
  });

  it('sends an order again on a new connection when the supplier closed the kept one meanwhile', async () => {
    let n = 0;
    const peer = await startPeer((_req, res, self) => sendJson(res, fdcAnswer(self.base, ++n)));
    const upstream = client();
    expect(await place(peer, upstream)).to.deep.include({ ok: true });
    // The supplier drops its idle connection (its keep-alive timeout) without the client noticing yet.
    for (const socket of peer.sockets) socket.destroy();
    expect(await place(peer, upstream)).to.deep.equal({ ok: true, order: `${peer.base}/api/dfc/Enterprises/sup/Orders/2` });
    expect(peer.hits).to.have.length(2);
  });

  const place = async (peer: RecordingPeer, upstream: HttpUpstreamOrders, existing?: string) => upstream.place({
    ordersUrl: `${peer.base}/api/dfc/Enterprises/sup/Orders`, ...(existing !== undefined ? { existing } : {}), orderedBy: SHOP,
    lines: [{ product: `${peer.base}/api/dfc/Enterprises/sup/SuppliedProducts/9`, quantity: 2 }, { offer: `${peer.base}/offers/7`, product: `${peer.base}/products/7`, quantity: 1 }],
    key: 'key-1',
  });

  it('POSTs an OFN-shaped Held order with the credentials held for the supplier, and answers its new @id', async () => {
    const peer = await startPeer((_req, res, self) => sendJson(res, fdcAnswer(self.base, 31), { 'content-type': 'application/json' }));
    const outcome = await place(peer, client([peerRow('http://elsewhere.test', 'wrong'), peerRow(peer.base, 's3cret')]));
    expect(outcome).to.deep.equal({ ok: true, order: `${peer.base}/api/dfc/Enterprises/sup/Orders/31` });

    const hit = peer.hits[0];
    expect(hit?.method).to.equal('POST');
    expect(hit?.url).to.equal('/api/dfc/Enterprises/sup/Orders');
    expect(hit?.headers['content-type']).to.equal('application/json');
    expect(hit?.headers['accept']).to.equal('application/json');
    expect(hit?.headers['idempotency-key']).to.equal('key-1');
    expect(hit?.headers['authorization']).to.equal('Bearer s3cret');

    const ordersUrl = `${peer.base}/api/dfc/Enterprises/sup/Orders`;
    const body = JSON.parse(hit?.body.toString('utf8') ?? '') as Node;
    expect(body['@context']).to.equal('https://www.datafoodconsortium.org');
    const nodes = graphOf(hit?.body);
    const [order] = typed(nodes, 'dfc-b:Order');
    expect(order).to.include({ '@id': ordersUrl, 'dfc-b:orderedBy': SHOP, 'dfc-b:hasOrderStatus': 'dfc-v:Held' });
    expect(order?.['dfc-b:hasPart']).to.deep.equal([`${ordersUrl}/OrderLines/1`, `${ordersUrl}/OrderLines/2`]);
    const lines = typed(nodes, 'dfc-b:OrderLine');
    expect(lines.map((l) => [l['@id'], l['dfc-b:quantity'], link(l['dfc-b:concerns'])])).to.deep.equal([
      [`${ordersUrl}/OrderLines/1`, 2, `${peer.base}/api/dfc/Enterprises/sup/SuppliedProducts/9/Offer`],
      [`${ordersUrl}/OrderLines/2`, 1, `${peer.base}/offers/7`],
    ]);
    const offers = typed(nodes, 'dfc-b:Offer');
    expect(offers.map((o) => [o['@id'], link(o['dfc-b:offeredItem'])])).to.deep.equal([
      [`${peer.base}/api/dfc/Enterprises/sup/SuppliedProducts/9/Offer`, `${peer.base}/api/dfc/Enterprises/sup/SuppliedProducts/9`],
      [`${peer.base}/offers/7`, `${peer.base}/products/7`],
    ]);
    // The products as bare references: an @id and a type, nothing to be mistaken for a catalogue entry.
    expect(typed(nodes, 'dfc-b:SuppliedProduct').map((p) => Object.keys(p).sort())).to.deep.equal([['@id', '@type'], ['@id', '@type']]);
  });

  it('names the path of the order in Maillon-Order-Via when it has one, and sends no such header otherwise', async () => {
    const peer = await startPeer((_req, res, self) => sendJson(res, fdcAnswer(self.base, 7)));
    const upstream = client();
    await upstream.place({
      ordersUrl: `${peer.base}/api/dfc/Enterprises/sup/Orders`, orderedBy: SHOP, key: 'k', lines: [{ product: `${peer.base}/products/7`, quantity: 1 }],
      via: ['https://a.example', 'http://shop.test'],
    });
    await place(peer, upstream);
    expect(peer.hits.map((h) => h.headers['maillon-order-via'])).to.deep.equal(['https://a.example, http://shop.test', undefined]);
  });

  it('PUTs an amendment to the order placed before, under its @id, with X-Api-Token when the peer takes it', async () => {
    const peer = await startPeer((_req, res, self) => sendJson(res, fdcAnswer(self.base, 31)));
    const existing = `${peer.base}/api/dfc/Enterprises/sup/Orders/31`;
    const outcome = await place(peer, client([peerRow(peer.base, 'k', 'x-api-token')]), existing);
    expect(outcome).to.deep.equal({ ok: true, order: existing });
    const hit = peer.hits[0];
    expect(hit?.method).to.equal('PUT');
    expect(hit?.url).to.equal('/api/dfc/Enterprises/sup/Orders/31');
    expect(hit?.headers['x-api-token']).to.equal('k');
    expect(hit?.headers['authorization']).to.equal(undefined);
    expect(hit?.headers['idempotency-key']).to.equal(undefined);
    const [order] = typed(graphOf(hit?.body), 'dfc-b:Order');
    expect(order?.['@id']).to.equal(existing);
    expect(typed(graphOf(hit?.body), 'dfc-b:OrderLine').map((l) => l['@id'])).to.deep.equal([`${existing}/OrderLines/1`, `${existing}/OrderLines/2`]);
  });

  it('asks for an OpenID Connect token only for the peers at the origin said to hold credentials', async () => {
    const peer = await startPeer((_req, res, self) => sendJson(res, fdcAnswer(self.base, 5)));
    const asked: number[] = [];
    const origins: string[] = [];
    const made = (oidc: boolean) => new HttpUpstreamOrders({
      fetch: safeFetch, policy: { ...DEFAULT_FETCH_POLICY, allowPrivate: true, connectTimeoutMs: 1_000 }, decoder: new Decoder(), timeoutMs: 2_000,
      peers: async () => expect.fail('the peers at the origin are read, not all of them'),
      peersAt: async (origin) => {
        origins.push(origin);
        return [{ ...peerRow(origin, 'api-token'), id: 7, oidc }];
      },
      oidcTokenFor: async (p) => {
        asked.push(p.id);
        return 'oidc-token';
      },
    });
    const without = made(false);
    const holding = made(true);
    clients.push(without, holding);
    expect(await place(peer, without)).to.deep.include({ ok: true });
    expect(asked).to.deep.equal([]);
    expect(await place(peer, holding)).to.deep.include({ ok: true });
    expect(asked).to.deep.equal([7]);
    expect(origins).to.deep.equal([peer.base, peer.base]);
    expect(peer.hits.map((h) => h.headers['authorization'])).to.deep.equal(['Bearer api-token', 'Bearer oidc-token']);
  });

  it('completes with its lines and cancels without, by PUT, sending no credentials to a peer it holds none for', async () => {
    const peer = await startPeer((_req, res) => { res.writeHead(204); res.end(); });
    const order = `${peer.base}/api/dfc/Enterprises/sup/Orders/31`;
    const upstream = client();
    expect(await upstream.complete(order, [{ product: `${peer.base}/p/9`, quantity: 3 }], SHOP)).to.deep.equal({ ok: true, order });
    expect(await upstream.cancel(order, SHOP)).to.deep.equal({ ok: true, order });
    expect(peer.hits.map((h) => h.method)).to.deep.equal(['PUT', 'PUT']);
    expect(peer.hits[0]?.headers['authorization']).to.equal(undefined);
    const completion = graphOf(peer.hits[0]?.body);
    expect(typed(completion, 'dfc-b:Order')[0]).to.include({ '@id': order, 'dfc-b:hasOrderStatus': 'dfc-v:Complete' });
    expect(typed(completion, 'dfc-b:OrderLine').map((l) => l['dfc-b:quantity'])).to.deep.equal([3]);
    const cancellation = graphOf(peer.hits[1]?.body);
    expect(typed(cancellation, 'dfc-b:Order')[0]).to.include({ '@id': order, 'dfc-b:hasOrderStatus': 'dfc-v:Cancelled' });
    expect(typed(cancellation, 'dfc-b:OrderLine')).to.have.length(0);
  });

  it('reads the status of an order placed before by a GET with the credentials held for the supplier; nothing when it does not say', async () => {
    const peer = await startPeer((req, res, self) => {
      if (req.url?.endsWith('/Orders/5') === true) sendJson(res, fdcAnswer(self.base, 5, 'Cancelled'));
      else if (req.url?.endsWith('/Orders/6') === true) sendJson(res, fdcAnswer(self.base, 7, 'Cancelled'));
      else { res.writeHead(404); res.end(); }
    });
    const upstream = client([peerRow(peer.base, 'k-1')]);
    const order = (n: number) => `${peer.base}/api/dfc/Enterprises/sup/Orders/${n}`;
    expect(await upstream.state(order(5))).to.equal('Cancelled');
    expect(peer.hits[0]).to.deep.include({ method: 'GET' });
    expect(peer.hits[0]?.headers['authorization']).to.equal('Bearer k-1');
    // Another order in the answer, or none: the supplier does not say.
    expect(await upstream.state(order(6))).to.equal(undefined);
    expect(await upstream.state(order(8))).to.equal(undefined);
  });

  it('hashes an idempotency key too long for a header', async () => {
    const peer = await startPeer((_req, res, self) => sendJson(res, fdcAnswer(self.base, 1)));
    await client().place({ ordersUrl: `${peer.base}/Orders`, orderedBy: SHOP, lines: [{ product: `${peer.base}/p`, quantity: 1 }], key: `${'x'.repeat(300)}|é` });
    expect(peer.hits[0]?.headers['idempotency-key']).to.match(/^[\w-]{43}$/u);
  });

  it('takes a 409 with a problem as a refusal, with the supplier\'s detail as the reason', async () => {
    const peer = await startPeer((_req, res) => {
      res.writeHead(409, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ type: 'about:blank', title: 'Conflict', status: 409, detail: 'not enough stock: 2 cases requested, 1 available' }));
    });
    expect(await place(peer, client())).to.deep.equal({ ok: false, status: 409, httpStatus: 409, reason: 'not enough stock: 2 cases requested, 1 available' });
  });

  it('takes a 409 with Retry-After (an order still being placed under its Idempotency-Key) as a failure to retry, not a refusal', async () => {
    const peer = await startPeer((_req, res) => {
      res.writeHead(409, { 'content-type': 'application/problem+json', 'retry-after': '1' });
      res.end(JSON.stringify({ type: 'about:blank', title: 'Conflict', status: 409, detail: 'the request is still being placed with its suppliers' }));
    });
    expect(await place(peer, client())).to.deep.equal({
      ok: false, status: 503, reason: 'the supplier asks to retry later: the request is still being placed with its suppliers',
    });
  });

  it('reads a refusal whole: a long problem (past the client\'s error snippet) keeps its detail', async () => {
    const detail = `not enough stock: ${Array.from({ length: 12 }, (_v, i) => `line ${i + 1} (case ${i}): 3 requested, 1 available`).join('; ')}`;
    const peer = await startPeer((_req, res) => {
      res.writeHead(409, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ type: 'https://maillon.example/problems/insufficient-stock', title: 'Conflict', status: 409, instance: '/orders', problems: [], detail }));
    });
    expect(await place(peer, client())).to.deep.equal({ ok: false, status: 409, httpStatus: 409, reason: detail });
  });

  it('reads the lines a refusal says are short (a Maillon supplier\'s shortLines): by the line @id sent, else by a lone Offer; nothing else', async () => {
    let shortLines: unknown[] = [];
    const peer = await startPeer((_req, res) => {
      res.writeHead(409, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ type: 'about:blank', title: 'Conflict', status: 409, detail: 'not enough stock', shortLines }));
    });
    const orders = `${peer.base}/api/dfc/Enterprises/sup/Orders`;
    shortLines = [
      { line: 1, id: `${orders}/OrderLines/2`, offer: 'https://elsewhere.test/offers/1', requested: 1, available: 0 },
      // No @id: the Offer sent on one line only (the FDC convention `<product>/Offer` for the line sent without one).
      { offer: `${peer.base}/api/dfc/Enterprises/sup/SuppliedProducts/9/Offer`, requested: 2, available: 1 },
      // A line not sent, quantities that are no quantities, no object at all: left out.
      { id: `${orders}/OrderLines/3`, requested: 5, available: 1 },
      { id: `${orders}/OrderLines/1`, requested: '2', available: 1 },
      { id: `${orders}/OrderLines/1`, requested: 2, available: -1 },
      'line 1', null, 7,
    ];
    expect(await place(peer, client())).to.deep.equal({
      ok: false, status: 409, httpStatus: 409, reason: 'not enough stock', short: [{ index: 0, requested: 2, available: 1 }, { index: 1, requested: 1, available: 0 }],
    });
    // An amendment (PUT): the lines sent are under the order placed before.
    shortLines = [{ id: `${orders}/31/OrderLines/1`, requested: 4, available: 3 }, { id: `${orders}/OrderLines/2`, requested: 1, available: 0 }];
    expect(await place(peer, client(), `${orders}/31`)).to.deep.equal({ ok: false, status: 409, httpStatus: 409, reason: 'not enough stock', short: [{ index: 0, requested: 4, available: 3 }] });
    // Nothing it names was sent: a refusal with its reason alone.
    shortLines = [{ id: 'https://elsewhere.test/x', requested: 1, available: 0 }];
    expect(await place(peer, client())).to.deep.equal({ ok: false, status: 409, httpStatus: 409, reason: 'not enough stock' });
  });

  it('takes 400/403/404/422 as refusals too, with the status line when there is no problem', async () => {
    for (const status of [400, 403, 404, 422]) {
      const peer = await startPeer((_req, res) => { res.writeHead(status, { 'content-type': 'text/plain' }); res.end(''); });
      const outcome = await place(peer, client());
      expect(outcome, String(status)).to.deep.include({ ok: false, status: 409 });
      expect(outcome.ok ? '' : outcome.reason).to.match(new RegExp(`^HTTP ${status}`, 'u'));
    }
  });

  it('takes a 401 as a refusal saying the credential is not taken (a retry would not help), not as an outage', async () => {
    const peer = await startPeer((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/problem+json', 'www-authenticate': 'Bearer' });
      res.end('{"title":"Unauthorized","status":401,"detail":"this needs a token"}');
    });
    const outcome = await place(peer, client());
    expect(outcome).to.deep.include({ ok: false, status: 409 });
    expect(outcome.ok ? '' : outcome.reason).to.match(/^the supplier does not accept this node's credential for it \(HTTP 401\)/u).and.not.include('this needs a token');
  });

  it('takes a 2xx without an Order as an outage, not as an order placed', async () => {
    const empty = await startPeer((_req, res) => { res.writeHead(201); res.end(); });
    expect(await place(empty, client())).to.deep.include({ ok: false, status: 503 });
    const echo = await startPeer((req, res, self) => sendJson(res, { '@context': 'https://www.datafoodconsortium.org', '@id': `${self.base}/api/dfc/Enterprises/sup/Orders`, '@type': 'dfc-b:Order' }));
    const outcome = await place(echo, client());
    expect(outcome).to.deep.include({ ok: false, status: 503 });
    expect(outcome.ok ? '' : outcome.reason).to.contain('names no order');
    const garbage = await startPeer((_req, res) => { res.writeHead(201, { 'content-type': 'application/json' }); res.end('{"@context": 42, "@graph": ['); });
    expect(await place(garbage, client())).to.deep.include({ ok: false, status: 503 });
  });

  it('takes an answer naming an order on another site as no order placed: its amendments, completion and cancellation would go there, with that site\'s credentials', async () => {
    const victim = await startPeer((_req, res) => sendJson(res, {}));
    const liar = await startPeer((_req, res) => sendJson(res, fdcAnswer(victim.base, 7)));
    const upstream = client([peerRow(liar.base, 'liar-token'), { ...peerRow(victim.base, 'victim-token'), id: 2 }]);
    const outcome = await place(liar, upstream);
    expect(outcome).to.deep.include({ ok: false, status: 503 });
    expect(outcome.ok ? '' : outcome.reason).to.contain(victim.base);
    // An order on the supplier's own site is its own.
    const honest = await startPeer((_req, res, self) => sendJson(res, fdcAnswer(self.base, 8)));
    expect(await place(honest, upstream)).to.deep.include({ ok: true });
    expect(victim.hits).to.have.length(0);
  });

  it('takes a success whose order is not Held (or, for a completion, not Complete) as a refusal', async () => {
    const cancelled = await startPeer((_req, res, self) => sendJson(res, fdcAnswer(self.base, 5, 'Cancelled')));
    const outcome = await place(cancelled, client());
    expect(outcome).to.deep.include({ ok: false, status: 409 });
    expect(outcome.ok ? '' : outcome.reason).to.contain('Cancelled');
    const held = await startPeer((_req, res, self) => sendJson(res, fdcAnswer(self.base, 6, 'Held')));
    const order = `${held.base}/api/dfc/Enterprises/sup/Orders/6`;
    expect(await client().complete(order, [], SHOP)).to.deep.include({ ok: false, status: 409 });
  });

  it('answers a 503-like failure for a 500, quickly', async () => {
    const peer = await startPeer((_req, res) => { res.writeHead(500, { 'content-type': 'text/plain' }); res.end('boom'); });
    const outcome = await place(peer, client());
    expect(outcome).to.deep.include({ ok: false, status: 503 });
    expect(outcome.ok ? '' : outcome.reason).to.contain('500');
  });

  it('gives up on a supplier that hangs at the order deadline', async () => {
    const peer = await startPeer(() => undefined);
    const started = Date.now();
    const outcome = await place(peer, client([], 300));
    const took = Date.now() - started;
    expect(outcome).to.deep.include({ ok: false, status: 503 });
    expect(outcome.ok ? '' : outcome.reason).to.match(/^timeout/u);
    expect(took).to.be.within(250, 1_500);
  });

  it('answers a 503-like failure when nothing listens, quickly', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const started = Date.now();
    const outcome = await client().place({ ordersUrl: `http://127.0.0.1:${port}/Orders`, orderedBy: SHOP, lines: [{ product: 'http://127.0.0.1/p', quantity: 1 }], key: 'k' });
    expect(outcome).to.deep.include({ ok: false, status: 503 });
    expect(outcome.ok ? '' : outcome.reason).to.match(/^network/u);
    expect(Date.now() - started).to.be.below(1_000);
  });

  it('stops reading an answer past the order size limit', async () => {
    const peer = await startPeer((_req, res) => {
      res.writeHead(201, { 'content-type': JSONLD });
      // A chunked answer with no announced length: the limit applies as the bytes arrive.
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = (): void => {
        while (sent < 64 && res.write(chunk)) sent += 1;
        if (sent < 64) res.once('drain', () => { sent += 1; pump(); });
        else res.end();
      };
      res.on('error', () => undefined);
      pump();
    });
    const started = Date.now();
    const outcome = await place(peer, client());
    expect(outcome).to.deep.include({ ok: false, status: 503 });
    expect(outcome.ok ? '' : outcome.reason).to.match(/^too-large/u);
    expect(Date.now() - started).to.be.below(2_000);
  });
});
