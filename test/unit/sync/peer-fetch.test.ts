import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import type { Failure } from '../../../server/errors/failure.js';
import { DEFAULT_FETCH_POLICY, type FetchPolicy } from '../../../server/net/safe-fetch.js';
import { DEFAULT_ACCEPT, decoderInput, fetchPage, pageMediaType, type FetchedPage, type FetchOutcome } from '../../../server/sync/peer-fetch.js';
import { CATALOG, JSONLD, closePeers, sendJson, startPeer } from '../../helpers/http-peer.js';

/** Local servers are on loopback, so tests allow private addresses. */
const LOCAL: FetchPolicy = { ...DEFAULT_FETCH_POLICY, allowPrivate: true, totalTimeoutMs: 2_000, connectTimeoutMs: 1_000 };

function pageOf(outcome: FetchOutcome): FetchedPage {
  if (!outcome.ok) expect.fail(`expected a page, got ${JSON.stringify(outcome.failure)}`);
  return outcome.page;
}

function failureOf(outcome: FetchOutcome): Failure {
  if (outcome.ok) expect.fail(`expected a failure, got a page of ${outcome.page.bytes} bytes`);
  return outcome.failure;
}

describe('peer page fetch (fetchPage)', () => {
  afterEach(closePeers);

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
      expect(headers['accept-encoding']).to.equal('br, gzip');
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
        wireBytes: 0,
        etag: '"v1"',
        lastModified: 'Tue, 01 Jul 2025 10:00:00 GMT',
      });
      expect(peer.hits[0]?.headers['if-modified-since']).to.equal('Tue, 01 Jul 2025 10:00:00 GMT');
    });

    it('refuses a 304 to a request that sent no validators (it says nothing of the page)', async () => {
      const peer = await startPeer((_req, res) => {
        res.writeHead(304, { etag: '"v1"' });
        res.end();
      });
      const failed = failureOf(await fetchPage({ url: `${peer.base}/catalog` }, LOCAL));
      expect(failed).to.deep.include({ kind: 'decode', status: 304, url: `${peer.base}/catalog` });
      expect(failed.message).to.match(/without If-None-Match or If-Modified-Since/u);
      expect(peer.hits[0]?.headers['if-none-match']).to.equal(undefined);
      // With a validator, the same answer is a page (Not Modified).
      expect(pageOf(await fetchPage({ url: `${peer.base}/catalog`, lastModified: 'Tue, 01 Jul 2025 10:00:00 GMT' }, LOCAL)).status).to.equal(304);
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

    it('reads no next page from the body of a Turtle page', async () => {
      const peer = await startPeer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/turtle' });
        res.end('<a> <b> "{\\"next\\": \\"/p2\\"}" .\n');
      });
      expect(pageOf(await fetchPage({ url: `${peer.base}/ttl` }, LOCAL)).next).to.equal(undefined);
    });
  });

  describe('parsed once', () => {
    it('parses a JSON body (or one without a media type) once, and hands the value to the decoder', async () => {
      const document = { '@context': 'https://w3id.org/dfc/ontology/context/context_1.16.0.json', '@graph': [{ '@id': '/a' }] };
      const peer = await startPeer((req, res) => {
        if (req.url === '/untyped') {
          const text = JSON.stringify(document);
          res.writeHead(200, { 'content-length': Buffer.byteLength(text) });
          res.end(text);
        } else sendJson(res, document);
      });
      for (const path of ['/typed', '/untyped']) {
        const page = pageOf(await fetchPage({ url: `${peer.base}${path}` }, LOCAL));
        expect(page.json, path).to.deep.equal({ value: document });
        expect(decoderInput(page), path).to.equal(page.json?.value);
        expect(pageMediaType(page), path).to.equal(JSONLD);
      }
    });

    it('hands the text to the decoder when the body is RDF, malformed JSON or no JSON object', async () => {
      const peer = await startPeer((req, res) => {
        if (req.url === '/ttl') {
          res.writeHead(200, { 'content-type': 'text/turtle; charset=utf-8' });
          res.end('<a> <b> <c> .\n');
        } else sendJson(res, req.url === '/broken' ? '{"@graph": [' : '42');
      });
      const turtle = pageOf(await fetchPage({ url: `${peer.base}/ttl` }, LOCAL));
      expect(turtle.json).to.equal(undefined);
      expect(decoderInput(turtle)).to.equal('<a> <b> <c> .\n');
      expect(pageMediaType(turtle)).to.equal('text/turtle');
      const broken = pageOf(await fetchPage({ url: `${peer.base}/broken` }, LOCAL));
      expect(broken.json).to.equal(undefined);
      expect(decoderInput(broken)).to.equal('{"@graph": [');
      const number = pageOf(await fetchPage({ url: `${peer.base}/number` }, LOCAL));
      expect(number.json).to.deep.equal({ value: 42 });
      expect(decoderInput(number)).to.equal('42');
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

    it('refuses a content encoding it did not ask for as not-dfc', async () => {
      const peer = await startPeer((req, res) => sendJson(res, CATALOG, { 'content-encoding': req.url === '/br' ? 'br' : 'deflate' }));
      const failure = failureOf(await fetchPage({ url: `${peer.base}/br` }, { ...LOCAL, compressed: false }));
      expect(failure).to.deep.include({ kind: 'not-dfc', status: 200 });
      expect(failure.message).to.match(/unrequested content encoding br/u);
      const deflate = failureOf(await fetchPage({ url: `${peer.base}/deflate` }, LOCAL));
      expect(deflate).to.deep.include({ kind: 'not-dfc', status: 200 });
      expect(deflate.message).to.match(/unsupported content encoding deflate/u);
    });

    it('decodes a gzip page, counting its decoded bytes and the bytes received', async () => {
      const text = JSON.stringify({ '@context': JSON.parse(CATALOG)['@context'], '@graph': Array.from({ length: 200 }, (_, i) => ({ '@id': `https://p.example/o/${i}` })) });
      const coded = gzipSync(text);
      const peer = await startPeer((_req, res) => {
        res.writeHead(200, { 'content-type': JSONLD, 'content-encoding': 'gzip', 'content-length': coded.length });
        res.end(coded);
      });
      const page = pageOf(await fetchPage({ url: `${peer.base}/gz` }, LOCAL));
      expect(page).to.deep.include({ status: 200, body: text, bytes: Buffer.byteLength(text), wireBytes: coded.length });
    });
  });
});

describe('peer page fetch and a body that is not the UTF-8 it is read as', () => {
  afterEach(closePeers);

  it('fails the page, naming the first byte that is no UTF-8, instead of keeping U+FFFD for it', async () => {
    const bytes = Buffer.concat([Buffer.from('{"@context":"https://www.datafoodconsortium.org","@id":"http://x.example/p","dfc-b:name":"Po', 'utf8'),
      Buffer.from([0xff]), Buffer.from('mme"}', 'utf8')]);
    const peer = await startPeer((_req, res) => {
      res.writeHead(200, { 'content-type': JSONLD }).end(bytes);
    });
    const failed = failureOf(await fetchPage({ url: `${peer.base}/catalog` }, LOCAL));
    expect(failed.kind).to.equal('not-dfc');
    expect(failed.message).to.equal(`the page is not valid UTF-8 (byte ${bytes.indexOf(0xff)}), as JSON and DFC documents must be: nothing of it was read`);
  });

  it('reads a JSON body that is no UTF-8 in the charset its header names (Latin-1), and a UTF-8 one as UTF-8 whatever it names', async () => {
    const text = '{"@context":"https://www.datafoodconsortium.org","@id":"http://x.example/p","dfc-b:name":"Pommes \u00e0 cidre"}';
    const peer = await startPeer((req, res) => {
      const latin1 = req.url === '/latin1';
      res.writeHead(200, { 'content-type': 'application/ld+json; charset=ISO-8859-1' }).end(Buffer.from(text, latin1 ? 'latin1' : 'utf8'));
    });
    expect(pageOf(await fetchPage({ url: `${peer.base}/latin1` }, LOCAL)).body).to.equal(text);
    expect(pageOf(await fetchPage({ url: `${peer.base}/utf8` }, LOCAL)).body).to.equal(text);
  });
});

describe("peer page fetch given the request's own signal", () => {
  afterEach(closePeers);

  it('gives the fetch up mid-download when the request signal fires, the policy signal still heard, and leaves no listener on either', async () => {
    // Sends the head and a first chunk, then nothing: the download would wait for the deadline.
    const peer = await startPeer((_req, res) => {
      res.writeHead(200, { 'content-type': JSONLD });
      res.write('{"@graph": [');
    });
    const node = new AbortController();
    const run = new AbortController();
    const listeners = (signal: AbortSignal): number => (signal as unknown as { [k: symbol]: Map<string, unknown> })[
      Object.getOwnPropertySymbols(signal).find((k) => k.description === 'kEvents') as symbol]?.size ?? 0;
    const started = Date.now();
    const pending = fetchPage({ url: `${peer.base}/slow`, signal: run.signal }, { ...LOCAL, totalTimeoutMs: 10_000, signal: node.signal });
    await new Promise((resolve) => setImmediate(resolve));
    while (peer.hits.length === 0) await new Promise((resolve) => setImmediate(resolve));
    run.abort();
    expect(failureOf(await pending).kind).to.equal('stopped');
    expect(Date.now() - started, 'given up at once, not at the deadline').to.be.below(5_000);
    expect(listeners(node.signal), "no listener left on the node's signal").to.equal(0);
    // The policy's signal alone still stops a fetch that has a request signal.
    const other = new AbortController();
    const second = fetchPage({ url: `${peer.base}/slow`, signal: other.signal }, { ...LOCAL, totalTimeoutMs: 10_000, signal: node.signal });
    while (peer.hits.length < 2) await new Promise((resolve) => setImmediate(resolve));
    node.abort();
    expect(failureOf(await second).kind).to.equal('stopped');
    expect(listeners(other.signal), "no listener left on the request's signal").to.equal(0);
  });
});
