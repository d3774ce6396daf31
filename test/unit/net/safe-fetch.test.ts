import { expect } from 'chai';
import type { LookupAddress } from 'node:dns';
import { Agent } from 'node:http';
import type { Failure } from '../../../server/errors/failure.js';
import {
  DEFAULT_FETCH_POLICY,
  MAX_URL_LENGTH,
  bodyText,
  safeFetch,
  type FetchPolicy,
  type SafeFetchOutcome,
  type SafeResponse,
} from '../../../server/net/safe-fetch.js';
import { CATALOG, JSONLD, closePeers, sendJson, startPeer, until, withDns } from '../../helpers/http-peer.js';

/** Local servers are on loopback, so tests allow private addresses unless they test the refusal. */
const LOCAL: FetchPolicy = { ...DEFAULT_FETCH_POLICY, allowPrivate: true, totalTimeoutMs: 2_000, connectTimeoutMs: 1_000 };

function responseOf(outcome: SafeFetchOutcome): SafeResponse {
  if (!outcome.ok) expect.fail(`expected an answer, got ${JSON.stringify(outcome.failure)}`);
  return outcome.response;
}

function failureOf(outcome: SafeFetchOutcome): Failure {
  if (outcome.ok) expect.fail(`expected a failure, got ${outcome.response.status} with ${outcome.response.body.length} bytes`);
  return outcome.failure;
}

const bearer = (value: string): { header: string; value: string } => ({ header: 'authorization', value: `Bearer ${value}` });

describe('safeFetch()', () => {
  afterEach(closePeers);

  describe('URLs too long to send', () => {
    it('refuses a URL longer than MAX_URL_LENGTH without connecting, and a redirect to one', async () => {
      const peer = await startPeer((req, res) => {
        if (req.url === '/far') {
          res.writeHead(302, { location: `/${'x'.repeat(MAX_URL_LENGTH)}` });
          res.end();
        } else sendJson(res, CATALOG);
      });
      const path = `/${'a'.repeat(MAX_URL_LENGTH)}`;
      const refused = failureOf(await safeFetch({ url: `${peer.base}${path}` }, LOCAL));
      expect(refused.kind).to.equal('bad-url');
      expect(refused.message).to.match(/at most 4,096 are taken/u);
      expect(peer.hits.length, 'no request sent').to.equal(0);
      const longest = `${peer.base}/${'a'.repeat(MAX_URL_LENGTH - peer.base.length - 1)}`;
      expect(longest.length).to.equal(MAX_URL_LENGTH);
      expect(responseOf(await safeFetch({ url: longest }, LOCAL)).status).to.equal(200);
      const redirected = failureOf(await safeFetch({ url: `${peer.base}/far` }, LOCAL));
      expect(redirected.kind).to.equal('bad-url');
      expect(redirected.message).to.match(/^redirect to a URL of .* at most 4,096 are taken/u);
      expect(peer.hits.length, 'the longest URL and the redirect only').to.equal(2);
    });
  });

  describe('bodyText', () => {
    const answer = (body: Buffer, contentType?: string) => ({ url: 'http://p.test/', status: 200, headers: contentType === undefined ? {} : { 'content-type': contentType }, body });
    it('reads the charset the answer declares, UTF-8 otherwise, without a byte order mark', () => {
      const latin1 = Buffer.from('<x> <y> "Pommes \u00e0 cidre" .', 'latin1');
      expect(bodyText(answer(latin1, 'text/turtle; charset=ISO-8859-1'))).to.equal('<x> <y> "Pommes \u00e0 cidre" .');
      expect(bodyText(answer(latin1, 'text/turtle;charset="windows-1252"'))).to.include('\u00e0');
      // JSON is UTF-8 whatever its charset parameter says (RFC 8259 §8.1).
      expect(bodyText(answer(Buffer.from('{"a":"\u00e9t\u00e9"}', 'utf8'), 'application/ld+json; charset=iso-8859-1'))).to.equal('{"a":"\u00e9t\u00e9"}');
      const utf8 = Buffer.from('\ufeff{"a":"\u00e9t\u00e9"}', 'utf8');
      for (const type of [undefined, 'application/ld+json', 'application/ld+json; charset=utf-8', 'text/turtle; charset=no-such-charset']) {
        expect(bodyText(answer(utf8, type)), String(type)).to.equal('{"a":"\u00e9t\u00e9"}');
      }
    });
  });

  describe('successful requests', () => {
    it('answers the status, headers and body, asking for br or gzip, with our User-Agent', async () => {
      const peer = await startPeer((_req, res) => sendJson(res, CATALOG, { etag: '"v1"', 'last-modified': 'Tue, 01 Jul 2025 10:00:00 GMT' }));
      const response = responseOf(await safeFetch({ url: `${peer.base}/catalog#frag` }, LOCAL));
      expect(response).to.deep.include({ url: `${peer.base}/catalog`, status: 200 });
      expect(response.headers).to.deep.include({ 'content-type': JSONLD, etag: '"v1"', 'last-modified': 'Tue, 01 Jul 2025 10:00:00 GMT' });
      expect(bodyText(response)).to.equal(CATALOG);
      expect(response.body.length).to.equal(Buffer.byteLength(CATALOG));
      const hit = peer.hits[0];
      expect(hit?.method).to.equal('GET');
      expect(hit?.headers['accept-encoding']).to.equal('br, gzip');
      expect(hit?.headers['user-agent']).to.match(/Maillon/u);
      expect(hit?.headers.authorization).to.equal(undefined);
    });

    it('answers 304 to a conditional request, with the headers given', async () => {
      const peer = await startPeer((req, res) => {
        if (req.headers['if-none-match'] === '"v1"') {
          res.writeHead(304, { etag: '"v1"' });
          res.end();
        } else sendJson(res, CATALOG, { etag: '"v1"' });
      });
      const response = responseOf(await safeFetch({ url: `${peer.base}/catalog`, headers: { 'If-None-Match': '"v1"' } }, LOCAL));
      expect(response).to.deep.include({ url: `${peer.base}/catalog`, status: 304 });
      expect(response.headers.etag).to.equal('"v1"');
      expect(response.body.length).to.equal(0);
    });

    it('sends a credential in the header it names', async () => {
      const peer = await startPeer((_req, res) => sendJson(res, CATALOG));
      responseOf(await safeFetch({ url: `${peer.base}/a`, credential: bearer('s3cret') }, LOCAL));
      responseOf(await safeFetch({ url: `${peer.base}/b`, credential: { header: 'X-Api-Token', value: 's3cret' } }, LOCAL));
      expect(peer.hits[0]?.headers.authorization).to.equal('Bearer s3cret');
      expect(peer.hits[0]?.headers['x-api-token']).to.equal(undefined);
      expect(peer.hits[1]?.headers['x-api-token']).to.equal('s3cret');
      expect(peer.hits[1]?.headers.authorization).to.equal(undefined);
    });

    it('keeps its own Accept-Encoding and Content-Length whatever the caller asks', async () => {
      const peer = await startPeer((_req, res) => sendJson(res, CATALOG));
      responseOf(await safeFetch({ url: `${peer.base}/`, method: 'POST', body: 'abc', headers: { 'Accept-Encoding': 'gzip', 'Content-Length': '1' } }, LOCAL));
      responseOf(await safeFetch({ url: `${peer.base}/`, headers: { 'Accept-Encoding': 'gzip' } }, { ...LOCAL, compressed: false }));
      expect(peer.hits[0]?.headers['accept-encoding']).to.equal('br, gzip');
      expect(peer.hits[1]?.headers['accept-encoding']).to.equal('identity');
      expect(peer.hits[0]?.headers['content-length']).to.equal('3');
      expect(peer.hits[0]?.body.toString()).to.equal('abc');
    });
  });

  describe('methods and bodies', () => {
    it('PUTs a string body with If-Match, as UTF-8', async () => {
      const peer = await startPeer((_req, res) => {
        res.writeHead(201, { etag: '"v2"', 'content-length': 0 });
        res.end();
      });
      const body = JSON.stringify({ name: 'Crème fraîche' });
      const response = responseOf(await safeFetch({
        url: `${peer.base}/pod/order.jsonld`, method: 'PUT', headers: { 'content-type': JSONLD, 'if-match': '"v1"' }, body,
      }, LOCAL));
      expect(response).to.deep.include({ status: 201 });
      expect(response.headers.etag).to.equal('"v2"');
      const hit = peer.hits[0];
      expect(hit).to.deep.include({ method: 'PUT', url: '/pod/order.jsonld' });
      expect(hit?.headers).to.deep.include({ 'content-type': JSONLD, 'if-match': '"v1"', 'content-length': String(Buffer.byteLength(body)) });
      expect(hit?.body.toString('utf8')).to.equal(body);
    });

    it('DELETEs with a body of bytes', async () => {
      const peer = await startPeer((_req, res) => {
        res.writeHead(204);
        res.end();
      });
      const bytes = new Uint8Array([0, 1, 2, 0xff]);
      const response = responseOf(await safeFetch({ url: `${peer.base}/pod/old`, method: 'delete', body: bytes, headers: { 'if-match': '"v2"' } }, LOCAL));
      expect(response.status).to.equal(204);
      expect(peer.hits[0]).to.deep.include({ method: 'DELETE' });
      expect([...(peer.hits[0]?.body ?? [])]).to.deep.equal([0, 1, 2, 0xff]);
      expect(peer.hits[0]?.headers['content-length']).to.equal('4');
    });

    it('reports a 412 to a stale If-Match as http-status 412', async () => {
      const peer = await startPeer((_req, res) => {
        res.writeHead(412, { 'content-type': 'text/plain' });
        res.end('precondition failed');
      });
      const failure = failureOf(await safeFetch({ url: `${peer.base}/pod/order`, method: 'PUT', headers: { 'if-match': '"old"' }, body: '{}' }, LOCAL));
      expect(failure).to.deep.include({ kind: 'http-status', status: 412 });
      expect(failure.message).to.match(/^HTTP 412 Precondition Failed: precondition failed/u);
    });

    it('sends a HEAD and reads no body, whatever length it declares', async () => {
      const peer = await startPeer((_req, res) => {
        res.writeHead(200, { 'content-type': JSONLD, 'content-length': 10_000 });
        res.end();
      });
      const response = responseOf(await safeFetch({ url: `${peer.base}/`, method: 'HEAD' }, { ...LOCAL, maxBytes: 1_000 }));
      expect(response.status).to.equal(200);
      expect(response.body.length).to.equal(0);
    });
  });

  describe('timeouts', () => {
    it('times out a peer that sends no headers before the deadline', async () => {
      const peer = await startPeer((_req, res) => {
        const timer = setTimeout(() => sendJson(res, CATALOG), 2_000);
        res.on('close', () => clearTimeout(timer));
      });
      const started = Date.now();
      const failure = failureOf(await safeFetch({ url: `${peer.base}/slow` }, { ...LOCAL, totalTimeoutMs: 300 }));
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
      const failure = failureOf(await safeFetch({ url: `${peer.base}/trickle` }, { ...LOCAL, totalTimeoutMs: 500 }));
      expect(failure.kind).to.equal('timeout');
      expect(Date.now() - started).to.be.within(480, 700);
    });

    it('counts resolving the host against the connect timeout', async () => {
      const started = Date.now();
      const outcome = await withDns(
        () => new Promise<LookupAddress[]>(() => undefined), // a resolver that never answers
        () => safeFetch({ url: 'http://stuck.example/' }, { ...LOCAL, connectTimeoutMs: 150 }),
      );
      const failure = failureOf(outcome);
      expect(failure.kind).to.equal('timeout');
      expect(failure.message).to.match(/connect/u);
      expect(Date.now() - started).to.be.below(400);
    });
  });

  describe('a stop (the policy\'s signal)', () => {
    it('gives up a request in flight at once, and starts none once it fired', async () => {
      let asked = 0;
      const peer = await startPeer((_req, res) => {
        asked++;
        const timer = setTimeout(() => sendJson(res, CATALOG), 5_000);
        res.on('close', () => clearTimeout(timer));
      });
      const stop = new AbortController();
      const started = Date.now();
      const pending = safeFetch({ url: `${peer.base}/slow` }, { ...LOCAL, totalTimeoutMs: 10_000, signal: stop.signal });
      expect(await until(() => asked === 1, 2_000)).to.equal(true);
      stop.abort();
      const failure = failureOf(await pending);
      expect(failure.kind).to.equal('stopped');
      expect(Date.now() - started).to.be.below(2_000);
      const again = failureOf(await safeFetch({ url: `${peer.base}/slow` }, { ...LOCAL, signal: stop.signal }));
      expect(again.kind).to.equal('stopped');
      expect(asked, 'no request once stopped').to.equal(1);
    });
  });

  describe('body size and integrity', () => {
    it('refuses a Content-Length over the limit without reading the body', async () => {
      const peer = await startPeer((_req, res) => sendJson(res, 'x'.repeat(5_000)));
      const failure = failureOf(await safeFetch({ url: `${peer.base}/big` }, { ...LOCAL, maxBytes: 1_000 }));
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
      const failure = failureOf(await safeFetch({ url: `${peer.base}/endless` }, { ...LOCAL, maxBytes: 64 * 1024 }));
      expect(failure.kind).to.equal('too-large');
      expect(await until(() => serverSawClose, 1_000)).to.equal(true);
    });

    it('reports a body shorter than its Content-Length as truncated', async () => {
      const peer = await startPeer((_req, res) => {
        res.writeHead(200, { 'content-type': JSONLD, 'content-length': 1_000 });
        res.write('0123456789', () => res.socket?.destroy());
      });
      const failure = failureOf(await safeFetch({ url: `${peer.base}/short` }, LOCAL));
      expect(failure).to.deep.include({ kind: 'truncated', status: 200 });
    });

    it('reports a connection reset in the middle of a chunked body as truncated', async () => {
      const peer = await startPeer((_req, res) => {
        res.writeHead(200, { 'content-type': JSONLD });
        res.write('{"@graph": [', () => res.socket?.destroy());
      });
      expect(failureOf(await safeFetch({ url: `${peer.base}/reset` }, LOCAL)).kind).to.equal('truncated');
    });

    it('refuses a content encoding it did not ask for', async () => {
      const peer = await startPeer((_req, res) => sendJson(res, CATALOG, { 'content-encoding': 'gzip' }));
      const failure = failureOf(await safeFetch({ url: `${peer.base}/gz` }, { ...LOCAL, compressed: false }));
      expect(failure).to.deep.include({ kind: 'bad-encoding', status: 200 });
      expect(failure.message).to.contain('unrequested content encoding gzip');
    });
  });

  describe('answers that are not 2xx, and the caller\'s check of the head', () => {
    it('reports 500 as http-status with a clipped, cleaned text of the body', async () => {
      const peer = await startPeer((_req, res) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`database\nexploded\u001b[31m ${'!'.repeat(500)}`);
      });
      const failure = failureOf(await safeFetch({ url: `${peer.base}/boom` }, LOCAL));
      expect(failure).to.deep.include({ kind: 'http-status', status: 500, url: `${peer.base}/boom` });
      expect(failure.message).to.match(/^HTTP 500 Internal Server Error: database exploded/u);
      // eslint-disable-next-line no-control-regex -- no control character may reach a log line
      expect(failure.message).not.to.match(/[\u0000-\u001f]/u);
      expect(failure.message.length).to.be.below(300);
    });

    it('ends the call on a refusal of the head, before reading the body, with a cleaned message', async () => {
      let serverSawClose = false;
      const peer = await startPeer((req, res) => {
        req.socket.on('close', () => (serverSawClose = true));
        res.writeHead(200, { 'content-type': 'text/html' });
        res.write('<html>');
      });
      const failure = failureOf(await safeFetch({
        url: `${peer.base}/login`,
        checkHead: (headers) => (headers['content-type'] === 'text/html' ? { kind: 'not-dfc', message: 'html\u001b[31m here' } : undefined),
      }, LOCAL));
      expect(failure).to.deep.equal({ kind: 'not-dfc', message: 'html [31m here', url: `${peer.base}/login`, status: 200 });
      expect(await until(() => serverSawClose, 1_000)).to.equal(true);
    });
  });

  describe('redirects', () => {
    it('gives up on a redirect loop after exactly maxRedirects + 1 requests', async () => {
      const peer = await startPeer((_req, res) => {
        res.writeHead(302, { location: '/loop' });
        res.end();
      });
      const failure = failureOf(await safeFetch({ url: `${peer.base}/loop` }, { ...LOCAL, maxRedirects: 3 }));
      expect(failure).to.deep.include({ kind: 'too-many-redirects', status: 302 });
      expect(peer.hits).to.have.length(4);
    });

    it('keeps a caller\'s pooled connection through answers without a body (304 not modified, 204)', async () => {
      const peer = await startPeer((req, res) => {
        if (req.url === '/same') res.writeHead(304, { etag: '"v1"' }).end();
        else if (req.url === '/none') res.writeHead(204).end();
        else sendJson(res, CATALOG);
      });
      const agent = new Agent({ keepAlive: true, maxFreeSockets: 1 });
      try {
        const statuses: number[] = [];
        for (const path of ['/catalog', '/same', '/same', '/none', '/catalog']) {
          statuses.push(responseOf(await safeFetch({ url: `${peer.base}${path}`, agent, headers: { 'if-none-match': '"v1"' } }, LOCAL)).status);
        }
        expect(statuses).to.deep.equal([200, 304, 304, 204, 200]);
        // A re-sync of an unchanged peer is all 304s: one connection for all of them, not one each.
        expect(peer.connections).to.equal(1);
      } finally {
        agent.destroy();
      }
    });

    it('keeps a caller\'s pool to its origin only: a redirect elsewhere opens a connection of its own, closed after it', async () => {
      const other = await startPeer((_req, res) => sendJson(res, CATALOG));
      const peer = await startPeer((req, res) => {
        if (req.url === '/moved') {
          res.writeHead(302, { location: `${other.base}/catalog` });
          res.end();
        } else sendJson(res, CATALOG);
      });
      const agent = new Agent({ keepAlive: true, maxFreeSockets: 1 });
      try {
        responseOf(await safeFetch({ url: `${peer.base}/here`, agent }, LOCAL));
        responseOf(await safeFetch({ url: `${peer.base}/moved`, agent }, LOCAL));
        // The pool's origin was asked for a kept connection; the other origin for none, and its connection is closed.
        expect(peer.hits.map((h) => h.headers.connection)).to.deep.equal(['keep-alive', 'keep-alive']);
        expect(other.hits.map((h) => h.headers.connection)).to.deep.equal(['close']);
        expect(await until(() => other.sockets.size === 0, 2000)).to.equal(true);
        const pooled = [...Object.keys(agent.freeSockets), ...Object.keys(agent.sockets)];
        expect(pooled.some((name) => name.includes(`:${other.port}:`))).to.equal(false);
      } finally {
        agent.destroy();
      }
    });

    it('follows two redirects (relative and absolute), keeping the credential on the same origin', async () => {
      const peer = await startPeer((req, res, self) => {
        if (req.url === '/old/a') res.writeHead(301, { location: 'b' });
        else if (req.url === '/old/b') res.writeHead(307, { location: `${self.base}/catalog` });
        else return sendJson(res, CATALOG);
        res.end();
      });
      const response = responseOf(await safeFetch({ url: `${peer.base}/old/a`, credential: bearer('t') }, { ...LOCAL, maxRedirects: 2 }));
      expect(response.url).to.equal(`${peer.base}/catalog`);
      expect(peer.hits.map((h) => h.url)).to.deep.equal(['/old/a', '/old/b', '/catalog']);
      expect(peer.hits.map((h) => h.headers.authorization)).to.deep.equal(['Bearer t', 'Bearer t', 'Bearer t']);
    });

    it('drops the credential when a redirect leaves the origin', async () => {
      const other = await startPeer((_req, res) => sendJson(res, CATALOG));
      const peer = await startPeer((_req, res) => {
        res.writeHead(302, { location: `${other.base}/elsewhere` });
        res.end();
      });
      responseOf(await safeFetch({ url: `${peer.base}/`, credential: { header: 'x-api-token', value: 't' } }, LOCAL));
      expect(peer.hits[0]?.headers['x-api-token']).to.equal('t');
      expect(other.hits[0]?.headers['x-api-token']).to.equal(undefined);
    });

    it('refuses a redirect to file:///etc/passwd as bad-url', async () => {
      const peer = await startPeer((_req, res) => {
        res.writeHead(302, { location: 'file:///etc/passwd' });
        res.end();
      });
      const failure = failureOf(await safeFetch({ url: `${peer.base}/r` }, LOCAL));
      expect(failure).to.deep.include({ kind: 'bad-url', url: `${peer.base}/r` });
      expect(peer.hits).to.have.length(1);
    });

    it('refuses URLs that are not absolute http(s)', async () => {
      expect(failureOf(await safeFetch({ url: 'ftp://peer.example/catalog' }, LOCAL)).kind).to.equal('bad-url');
      expect(failureOf(await safeFetch({ url: 'catalog.json' }, LOCAL)).kind).to.equal('bad-url');
    });

    it('refuses port 0, and a redirect to it (Node connected to port 80 instead)', async () => {
      expect(failureOf(await safeFetch({ url: 'http://127.0.0.1:0/catalog' }, LOCAL))).to.deep.include({ kind: 'bad-url' });
      const peer = await startPeer((_req, res) => {
        res.writeHead(302, { location: 'http://127.0.0.1:0/elsewhere' });
        res.end();
      });
      const failure = failureOf(await safeFetch({ url: `${peer.base}/r` }, LOCAL));
      expect(failure.kind).to.equal('bad-url');
      expect(failure.message).to.include('port 0');
    });
  });

  describe('redirects of other methods than GET (as fetch does)', () => {
    /** A peer that redirects `/from` with the given status to `/to`, and answers 200 there. */
    async function redirecting(status: number): Promise<Awaited<ReturnType<typeof startPeer>>> {
      return startPeer((req, res) => {
        if (req.url === '/from') {
          res.writeHead(status, { location: '/to' });
          res.end();
        } else sendJson(res, '{}');
      });
    }
    const headers = { 'content-type': 'application/json', 'if-match': '"v1"' };

    it('turns any method into a GET without its body on a 303', async () => {
      for (const method of ['POST', 'PUT', 'DELETE']) {
        const peer = await redirecting(303);
        responseOf(await safeFetch({ url: `${peer.base}/from`, method, headers, body: '{"a":1}' }, LOCAL));
        const [first, second] = peer.hits;
        expect(first, method).to.deep.include({ method, url: '/from' });
        expect(first?.body.toString()).to.equal('{"a":1}');
        expect(second, method).to.deep.include({ method: 'GET', url: '/to' });
        expect(second?.body.length).to.equal(0);
        expect(second?.headers['content-type']).to.equal(undefined);
        expect(second?.headers['content-length']).to.equal(undefined);
        // Only the headers that describe the body go with it.
        expect(second?.headers['if-match']).to.equal('"v1"');
      }
    });

    it('keeps the method and the body on a 307 and a 308', async () => {
      for (const status of [307, 308]) {
        for (const method of ['POST', 'PUT', 'DELETE']) {
          const peer = await redirecting(status);
          responseOf(await safeFetch({ url: `${peer.base}/from`, method, headers, body: Buffer.from('{"a":1}') }, LOCAL));
          const second = peer.hits[1];
          expect(second, `${status} ${method}`).to.deep.include({ method, url: '/to' });
          expect(second?.body.toString()).to.equal('{"a":1}');
          expect(second?.headers).to.deep.include({ 'content-type': 'application/json', 'content-length': '7', 'if-match': '"v1"' });
        }
      }
    });

    it('turns a POST into a GET on a 301 and a 302, and keeps any other method with its body', async () => {
      for (const status of [301, 302]) {
        const post = await redirecting(status);
        responseOf(await safeFetch({ url: `${post.base}/from`, method: 'POST', headers, body: '{"a":1}' }, LOCAL));
        expect(post.hits[1], `${status} POST`).to.deep.include({ method: 'GET', url: '/to' });
        expect(post.hits[1]?.body.length).to.equal(0);
        const put = await redirecting(status);
        responseOf(await safeFetch({ url: `${put.base}/from`, method: 'PUT', headers, body: '{"a":1}' }, LOCAL));
        expect(put.hits[1], `${status} PUT`).to.deep.include({ method: 'PUT', url: '/to' });
        expect(put.hits[1]?.body.toString()).to.equal('{"a":1}');
      }
    });

    it('drops the credential, not the body, when a 307 leaves the origin', async () => {
      const other = await startPeer((_req, res) => sendJson(res, '{}'));
      const peer = await startPeer((_req, res) => {
        res.writeHead(307, { location: `${other.base}/inbox` });
        res.end();
      });
      responseOf(await safeFetch({ url: `${peer.base}/inbox`, method: 'POST', body: 'hello', credential: bearer('t') }, LOCAL));
      expect(other.hits[0]).to.deep.include({ method: 'POST' });
      expect(other.hits[0]?.body.toString()).to.equal('hello');
      expect(other.hits[0]?.headers.authorization).to.equal(undefined);
    });

    it('reports a redirect as http-status when told not to follow, sending one request', async () => {
      const peer = await redirecting(307);
      const failure = failureOf(await safeFetch({ url: `${peer.base}/from`, method: 'POST', body: 'x', redirect: 'error' }, LOCAL));
      expect(failure).to.deep.include({ kind: 'http-status', status: 307, url: `${peer.base}/from` });
      expect(failure.message).to.match(/^HTTP 307/u);
      expect(peer.hits).to.have.length(1);
    });
  });

  describe('private addresses', () => {
    const PUBLIC_ONLY: FetchPolicy = { ...LOCAL, allowPrivate: false };

    it('refuses loopback by IP literal and by name, before any connection', async () => {
      const peer = await startPeer((_req, res) => sendJson(res, CATALOG));
      for (const url of [`http://127.0.0.1:${peer.port}/`, `http://localhost:${peer.port}/`, `http://[::1]:${peer.port}/`]) {
        const failure = failureOf(await safeFetch({ url }, PUBLIC_ONLY));
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
        () => safeFetch({ url: `http://peer.example:${peer.port}/a` }, LOCAL),
      );
      expect(responseOf(outcome).url).to.equal(`http://other.example:${peer.port}/b`);
      expect(lookups).to.deep.equal(['peer.example', 'other.example']);
      const refused = await withDns(
        async (host) => [{ address: host === 'peer.example' ? '127.0.0.1' : '10.0.0.1', family: 4 }],
        () => safeFetch({ url: `http://other.example:${peer.port}/b` }, { ...PUBLIC_ONLY }),
      );
      expect(failureOf(refused).kind).to.equal('private-address');
    });

    it('refuses a name if ANY of its addresses is private', async () => {
      const outcome = await withDns(
        async () => [{ address: '93.184.215.14', family: 4 }, { address: '10.0.0.7', family: 4 }],
        () => safeFetch({ url: 'http://mixed.example/' }, PUBLIC_ONLY),
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
        () => safeFetch({ url: `http://peer.example:${peer.port}/catalog` }, LOCAL),
      );
      expect(responseOf(outcome).url).to.equal(`http://peer.example:${peer.port}/catalog`);
      expect(lookups).to.equal(1);
      expect(peer.hits[0]?.headers.host).to.equal(`peer.example:${peer.port}`);
    });
  });
});
