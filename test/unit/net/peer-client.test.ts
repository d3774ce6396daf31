import { expect } from 'chai';
import dns, { type LookupAddress } from 'node:dns';
import http, { type ServerResponse } from 'node:http';
import {
  DEFAULT_ACCEPT,
  DEFAULT_FETCH_POLICY,
  fetchPage,
  isPrivateAddress,
  type FetchedPage,
  type FetchOutcome,
  type FetchPolicy,
  type PeerFailure,
} from '../../../server/net/peer-client.js';
import { startFakePeer, type FakePeer, type FakePeerHandler } from '../../helpers/fake-peer.js';

/** Test peers started by the current test: closed after it, once the client closed its connections. */
const running: FakePeer[] = [];

async function startPeer(handler: FakePeerHandler): Promise<FakePeer> {
  const peer = await startFakePeer(handler);
  running.push(peer);
  return peer;
}

/** Waits until a condition holds, or gives up after `ms`. */
async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const stop = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > stop) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}

/** Local servers are on loopback, so tests allow private addresses unless they test the refusal. */
const LOCAL: FetchPolicy = { ...DEFAULT_FETCH_POLICY, allowPrivate: true, totalTimeoutMs: 2_000, connectTimeoutMs: 1_000 };

const JSONLD = 'application/ld+json';
const CATALOG = JSON.stringify({ '@context': 'https://w3id.org/dfc/ontology/context/context_1.16.0.json', '@graph': [] });

function sendJson(res: ServerResponse, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(200, { 'content-type': JSONLD, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function pageOf(outcome: FetchOutcome): FetchedPage {
  if (!outcome.ok) expect.fail(`expected a page, got ${JSON.stringify(outcome.failure)}`);
  return outcome.page;
}

function failureOf(outcome: FetchOutcome): PeerFailure {
  if (outcome.ok) expect.fail(`expected a failure, got a page of ${outcome.page.bytes} bytes`);
  return outcome.failure;
}

/** Makes `dns.promises.lookup` (which the client calls at request time) answer from a table, for one call. */
async function withDns<T>(answer: (host: string) => Promise<LookupAddress[]>, run: () => Promise<T>): Promise<T> {
  const promises = dns.promises as unknown as { lookup: (host: string, options: unknown) => Promise<LookupAddress[]> };
  const original = promises.lookup;
  promises.lookup = (host: string) => answer(host);
  try {
    return await run();
  } finally {
    promises.lookup = original;
  }
}

describe('peer client (fetchPage)', () => {
  afterEach(async () => {
    // The client must close every connection itself; give the FINs a moment, then check before we close.
    const closedByClient = await until(() => running.every((r) => r.sockets.size === 0), 1_000);
    const leaked = running.reduce((n, r) => n + r.sockets.size, 0);
    for (const peer of running.splice(0)) await peer.close();
    expect(closedByClient, `${leaked} connection(s) left open by the client`).to.equal(true);
  });

  describe('successful fetches', () => {
    it('fetches JSON-LD with its ETag, sending the default headers', async () => {
      const peer = await startPeer((_req, res) => sendJson(res, CATALOG, { etag: '"v1"', 'last-modified': 'Tue, 01 Jul 2025 10:00:00 GMT' }));
      const page = pageOf(await fetchPage({ url: `${peer.base}/catalog#frag` }, LOCAL));
      expect(page).to.deep.include({ url: `${peer.base}/catalog`, status: 200, body: CATALOG, contentType: JSONLD, etag: '"v1"' });
      expect(page.lastModified).to.equal('Tue, 01 Jul 2025 10:00:00 GMT');
      expect(page.bytes).to.equal(Buffer.byteLength(CATALOG));
      expect(page.next).to.equal(undefined);
      const headers = peer.hits[0]?.headers ?? {};
      expect(headers.accept).to.equal(DEFAULT_ACCEPT);
      expect(headers['accept-encoding']).to.equal('identity');
      expect(headers['user-agent']).to.match(/Maillon/u);
      expect(headers.authorization).to.equal(undefined);
    });

    it('answers 304 on If-None-Match / If-Modified-Since', async () => {
      const peer = await startPeer((req, res) => {
        if (req.headers['if-none-match'] === '"v1"') {
          res.writeHead(304, { etag: '"v1"' });
          res.end();
        } else sendJson(res, CATALOG, { etag: '"v1"' });
      });
      const outcome = await fetchPage({ url: `${peer.base}/catalog`, etag: '"v1"', lastModified: 'Tue, 01 Jul 2025 10:00:00 GMT' }, LOCAL);
      expect(pageOf(outcome)).to.deep.equal({
        url: `${peer.base}/catalog`,
        status: 304,
        bytes: 0,
        etag: '"v1"',
        lastModified: 'Tue, 01 Jul 2025 10:00:00 GMT',
      });
      expect(peer.hits[0]?.headers['if-modified-since']).to.equal('Tue, 01 Jul 2025 10:00:00 GMT');
    });

    it('sends the token as a bearer token or as X-Api-Token', async () => {
      const peer = await startPeer((_req, res) => sendJson(res, CATALOG));
      pageOf(await fetchPage({ url: `${peer.base}/a`, token: 's3cret' }, LOCAL));
      pageOf(await fetchPage({ url: `${peer.base}/b`, token: 's3cret', tokenHeader: 'x-api-token' }, LOCAL));
      expect(peer.hits[0]?.headers.authorization).to.equal('Bearer s3cret');
      expect(peer.hits[0]?.headers['x-api-token']).to.equal(undefined);
      expect(peer.hits[1]?.headers['x-api-token']).to.equal('s3cret');
      expect(peer.hits[1]?.headers.authorization).to.equal(undefined);
    });

    it('sends the Accept header asked for', async () => {
      const peer = await startPeer((_req, res) => sendJson(res, CATALOG));
      pageOf(await fetchPage({ url: `${peer.base}/`, accept: 'text/turtle' }, LOCAL));
      expect(peer.hits[0]?.headers.accept).to.equal('text/turtle');
    });
  });

  describe('next page', () => {
    it('reads rel="next" from the Link header, resolved against the URL, before the body', async () => {
      const peer = await startPeer((_req, res) =>
        sendJson(res, { 'hydra:next': '/from-body' }, { link: '</catalog?page=1>; rel="first", <catalog?page=2>; title="a, b"; rel="next"' }),
      );
      // The first rel parameter counts (RFC 8288): the second link has title first, then rel.
      const page = pageOf(await fetchPage({ url: `${peer.base}/api/catalog` }, LOCAL));
      expect(page.next).to.equal(`${peer.base}/api/catalog?page=2`);
    });

    it('reads hydra:next from a @graph node, compact or full, string or {"@id"}', async () => {
      const peer = await startPeer((req, res) => {
        if (req.url === '/compact') {
          sendJson(res, { '@graph': [{ '@id': '/o/1' }, { '@type': 'hydra:PartialCollectionView', 'hydra:next': '/catalog?page=2' }] });
        } else if (req.url === '/full') {
          sendJson(res, { '@graph': [{ 'http://www.w3.org/ns/hydra/core#next': [{ '@id': 'https://peer.example/catalog?page=3' }] }] });
        } else {
          sendJson(res, { '@id': '/catalog', 'hydra:view': { 'hydra:next': { '@id': '?page=4' } } });
        }
      });
      expect(pageOf(await fetchPage({ url: `${peer.base}/compact` }, LOCAL)).next).to.equal(`${peer.base}/catalog?page=2`);
      expect(pageOf(await fetchPage({ url: `${peer.base}/full` }, LOCAL)).next).to.equal('https://peer.example/catalog?page=3');
      expect(pageOf(await fetchPage({ url: `${peer.base}/view` }, LOCAL)).next).to.equal(`${peer.base}/view?page=4`);
    });

    it('reads a top-level "next" key; ignores bad links and unparsable JSON', async () => {
      const peer = await startPeer((req, res) => {
        if (req.url === '/next') sendJson(res, { items: [], next: 'https://peer.example/catalog?page=3' }, { 'content-type': 'application/json' });
        else if (req.url === '/js') sendJson(res, { next: 'javascript:alert(1)' });
        else sendJson(res, '{"next": "/p2", oops');
      });
      expect(pageOf(await fetchPage({ url: `${peer.base}/next` }, LOCAL)).next).to.equal('https://peer.example/catalog?page=3');
      expect(pageOf(await fetchPage({ url: `${peer.base}/js` }, LOCAL)).next).to.equal(undefined);
      const broken = pageOf(await fetchPage({ url: `${peer.base}/broken` }, LOCAL));
      expect(broken.next).to.equal(undefined);
      expect(broken.body).to.equal('{"next": "/p2", oops');
    });
  });

  describe('timeouts', () => {
    it('times out a peer that sends no headers before the deadline', async () => {
      const peer = await startPeer((_req, res) => {
        const timer = setTimeout(() => sendJson(res, CATALOG), 2_000);
        res.on('close', () => clearTimeout(timer));
      });
      const started = Date.now();
      const failure = failureOf(await fetchPage({ url: `${peer.base}/slow` }, { ...LOCAL, totalTimeoutMs: 300 }));
      const elapsed = Date.now() - started;
      expect(failure.kind).to.equal('timeout');
      expect(elapsed).to.be.within(280, 500);
    });

    it('times out a peer that trickles the body (total deadline, not idle timeout)', async () => {
      const peer = await startPeer((_req, res) => {
        res.writeHead(200, { 'content-type': JSONLD, 'content-length': 100 });
        const timer = setInterval(() => res.write('x'), 100);
        res.on('close', () => clearInterval(timer));
      });
      const started = Date.now();
      const failure = failureOf(await fetchPage({ url: `${peer.base}/trickle` }, { ...LOCAL, totalTimeoutMs: 500 }));
      expect(failure.kind).to.equal('timeout');
      expect(Date.now() - started).to.be.within(480, 700);
    });

    it('counts resolving the host against the connect timeout', async () => {
      const started = Date.now();
      const outcome = await withDns(
        () => new Promise<LookupAddress[]>(() => undefined), // a resolver that never answers
        () => fetchPage({ url: 'http://stuck.example/' }, { ...LOCAL, connectTimeoutMs: 150 }),
      );
      const failure = failureOf(outcome);
      expect(failure.kind).to.equal('timeout');
      expect(failure.message).to.match(/connect/u);
      expect(Date.now() - started).to.be.below(400);
    });
  });

  describe('body size and integrity', () => {
    it('refuses a Content-Length over the limit without reading the body', async () => {
      const peer = await startPeer((_req, res) => sendJson(res, 'x'.repeat(5_000)));
      const failure = failureOf(await fetchPage({ url: `${peer.base}/big` }, { ...LOCAL, maxBytes: 1_000 }));
      expect(failure).to.deep.include({ kind: 'too-large', status: 200 });
    });

    it('aborts a chunked body once it passes the limit, closing the connection', async () => {
      let serverSawClose = false;
      const peer = await startPeer((req, res) => {
        req.socket.on('close', () => (serverSawClose = true));
        res.writeHead(200, { 'content-type': JSONLD }); // no Content-Length: chunked, endless
        const chunk = Buffer.alloc(4_096, 0x20);
        const pump = (): void => {
          if (res.destroyed || serverSawClose) return;
          if (res.write(chunk)) setImmediate(pump);
          else res.once('drain', pump);
        };
        pump();
      });
      const failure = failureOf(await fetchPage({ url: `${peer.base}/endless` }, { ...LOCAL, maxBytes: 64 * 1024 }));
      expect(failure.kind).to.equal('too-large');
      expect(await until(() => serverSawClose, 1_000)).to.equal(true);
    });

    it('reports a body shorter than its Content-Length as truncated', async () => {
      const peer = await startPeer((_req, res) => {
        res.writeHead(200, { 'content-type': JSONLD, 'content-length': 1_000 });
        res.write('0123456789', () => res.socket?.destroy());
      });
      const failure = failureOf(await fetchPage({ url: `${peer.base}/short` }, LOCAL));
      expect(failure).to.deep.include({ kind: 'truncated', status: 200 });
    });

    it('reports a connection reset in the middle of a chunked body as truncated', async () => {
      const peer = await startPeer((_req, res) => {
        res.writeHead(200, { 'content-type': JSONLD });
        res.write('{"@graph": [', () => res.socket?.destroy());
      });
      expect(failureOf(await fetchPage({ url: `${peer.base}/reset` }, LOCAL)).kind).to.equal('truncated');
    });
  });

  describe('answers that are not a DFC page', () => {
    it('refuses HTML as not-dfc', async () => {
      const peer = await startPeer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<html><body>Login</body></html>');
      });
      const failure = failureOf(await fetchPage({ url: `${peer.base}/login` }, LOCAL));
      expect(failure).to.deep.include({ kind: 'not-dfc', status: 200 });
      expect(failure.message).to.match(/text\/html/u);
    });

    it('accepts Turtle', async () => {
      const peer = await startPeer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/turtle' });
        res.end('<a> <b> <c> .\n');
      });
      expect(pageOf(await fetchPage({ url: `${peer.base}/ttl` }, LOCAL)).contentType).to.equal('text/turtle');
    });

    it('reports 500 as http-status with a clipped, cleaned text of the body', async () => {
      const peer = await startPeer((_req, res) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`database\nexploded\u001b[31m ${'!'.repeat(500)}`);
      });
      const failure = failureOf(await fetchPage({ url: `${peer.base}/boom` }, LOCAL));
      expect(failure).to.deep.include({ kind: 'http-status', status: 500, url: `${peer.base}/boom` });
      expect(failure.message).to.match(/^HTTP 500 Internal Server Error: database exploded/u);
      // eslint-disable-next-line no-control-regex -- no control character may reach a log line
      expect(failure.message).not.to.match(/[\u0000-\u001f]/u);
      expect(failure.message.length).to.be.below(300);
    });
  });

  describe('redirects', () => {
    it('gives up on a redirect loop after exactly maxRedirects + 1 requests', async () => {
      const peer = await startPeer((_req, res) => {
        res.writeHead(302, { location: '/loop' });
        res.end();
      });
      const failure = failureOf(await fetchPage({ url: `${peer.base}/loop` }, { ...LOCAL, maxRedirects: 3 }));
      expect(failure).to.deep.include({ kind: 'too-many-redirects', status: 302 });
      expect(peer.hits).to.have.length(4);
    });

    it('follows two redirects (relative and absolute), keeping the token on the same origin', async () => {
      const peer = await startPeer((req, res, self) => {
        if (req.url === '/old/a') res.writeHead(301, { location: 'b' });
        else if (req.url === '/old/b') res.writeHead(307, { location: `${self.base}/catalog` });
        else return sendJson(res, CATALOG);
        res.end();
      });
      const page = pageOf(await fetchPage({ url: `${peer.base}/old/a`, token: 't' }, { ...LOCAL, maxRedirects: 2 }));
      expect(page.url).to.equal(`${peer.base}/catalog`);
      expect(peer.hits.map((h) => h.url)).to.deep.equal(['/old/a', '/old/b', '/catalog']);
      expect(peer.hits.map((h) => h.headers.authorization)).to.deep.equal(['Bearer t', 'Bearer t', 'Bearer t']);
    });

    it('drops the token when a redirect leaves the origin', async () => {
      const other = await startPeer((_req, res) => sendJson(res, CATALOG));
      const peer = await startPeer((_req, res) => {
        res.writeHead(302, { location: `${other.base}/elsewhere` });
        res.end();
      });
      pageOf(await fetchPage({ url: `${peer.base}/`, token: 't', tokenHeader: 'x-api-token' }, LOCAL));
      expect(peer.hits[0]?.headers['x-api-token']).to.equal('t');
      expect(other.hits[0]?.headers['x-api-token']).to.equal(undefined);
    });

    it('refuses a redirect to file:///etc/passwd as bad-url', async () => {
      const peer = await startPeer((_req, res) => {
        res.writeHead(302, { location: 'file:///etc/passwd' });
        res.end();
      });
      const failure = failureOf(await fetchPage({ url: `${peer.base}/r` }, LOCAL));
      expect(failure).to.deep.include({ kind: 'bad-url', url: `${peer.base}/r` });
      expect(peer.hits).to.have.length(1);
    });

    it('refuses URLs that are not absolute http(s)', async () => {
      expect(failureOf(await fetchPage({ url: 'ftp://peer.example/catalog' }, LOCAL)).kind).to.equal('bad-url');
      expect(failureOf(await fetchPage({ url: 'catalog.json' }, LOCAL)).kind).to.equal('bad-url');
    });
  });

  describe('private addresses', () => {
    const PUBLIC_ONLY: FetchPolicy = { ...LOCAL, allowPrivate: false };

    it('refuses loopback by IP literal and by name, before any connection', async () => {
      const peer = await startPeer((_req, res) => sendJson(res, CATALOG));
      for (const url of [`http://127.0.0.1:${peer.port}/`, `http://localhost:${peer.port}/`, `http://[::1]:${peer.port}/`]) {
        const failure = failureOf(await fetchPage({ url }, PUBLIC_ONLY));
        expect(failure.kind, url).to.equal('private-address');
      }
      expect(peer.connections).to.equal(0);
    });

    it('resolves and checks every redirect hop anew', async () => {
      // Only loopback servers exist here, so a redirect from a public peer to a private one cannot be staged;
      // this shows each hop goes through the resolve-and-check step (the refusal itself is tested above).
      const peer = await startPeer((req, res, self) => {
        if (req.url === '/a') {
          res.writeHead(302, { location: `http://other.example:${self.port}/b` });
          res.end();
        } else sendJson(res, CATALOG);
      });
      const lookups: string[] = [];
      const outcome = await withDns(
        async (host) => {
          lookups.push(host);
          return [{ address: '127.0.0.1', family: 4 }];
        },
        () => fetchPage({ url: `http://peer.example:${peer.port}/a` }, LOCAL),
      );
      expect(pageOf(outcome).url).to.equal(`http://other.example:${peer.port}/b`);
      expect(lookups).to.deep.equal(['peer.example', 'other.example']);
      const refused = await withDns(
        async (host) => [{ address: host === 'peer.example' ? '127.0.0.1' : '10.0.0.1', family: 4 }],
        () => fetchPage({ url: `http://other.example:${peer.port}/b` }, { ...PUBLIC_ONLY }),
      );
      expect(failureOf(refused).kind).to.equal('private-address');
    });

    it('refuses a name if ANY of its addresses is private', async () => {
      const outcome = await withDns(
        async () => [{ address: '93.184.215.14', family: 4 }, { address: '10.0.0.7', family: 4 }],
        () => fetchPage({ url: 'http://mixed.example/' }, PUBLIC_ONLY),
      );
      const failure = failureOf(outcome);
      expect(failure.kind).to.equal('private-address');
      expect(failure.message).to.contain('10.0.0.7');
    });

    it('connects to the address it checked, not to a second lookup (no DNS rebinding)', async () => {
      const peer = await startPeer((_req, res) => sendJson(res, CATALOG));
      let lookups = 0;
      const outcome = await withDns(
        async (host) => {
          lookups += 1;
          expect(host).to.equal('peer.example');
          return [{ address: '127.0.0.1', family: 4 }];
        },
        // peer.example resolves nowhere for real: reaching the server proves the pinned address was used.
        () => fetchPage({ url: `http://peer.example:${peer.port}/catalog` }, LOCAL),
      );
      expect(pageOf(outcome).url).to.equal(`http://peer.example:${peer.port}/catalog`);
      expect(lookups).to.equal(1);
      expect(peer.hits[0]?.headers.host).to.equal(`peer.example:${peer.port}`);
    });
  });
});

describe('isPrivateAddress', () => {
  const table: [string, boolean][] = [
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['172.32.0.1', false],
    ['192.168.1.1', true],
    ['127.0.0.1', true],
    ['169.254.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['100.128.0.1', false],
    ['8.8.8.8', false],
    ['1.1.1.1', false],
    ['0.0.0.0', true],
    ['224.0.0.1', true],
    ['255.255.255.255', true],
    ['192.0.2.1', true],
    ['::', true],
    ['::1', true],
    ['[::1]', true],
    ['fe80::1', true],
    ['fe80::1%eth0', true],
    ['fc00::1', true],
    ['fd12::1', true],
    ['ff02::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:7f00:1', true],
    ['::ffff:8.8.8.8', false],
    ['64:ff9b::10.0.0.1', true],
    ['64:ff9b::8.8.8.8', false],
    ['2002:a00:1::1', true],
    ['2001:db8::1', true],
    ['2001:4860::8888', false],
    ['2001:4860:4860::8888', false],
    ['2a00:1450:4007:80b::200e', false],
    ['not an address', true],
    ['010.0.0.1', true],
  ];
  for (const [ip, expected] of table) {
    it(`${ip} is ${expected ? 'private' : 'public'}`, () => {
      expect(isPrivateAddress(ip)).to.equal(expected);
    });
  }
});
