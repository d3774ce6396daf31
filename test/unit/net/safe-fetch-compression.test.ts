import { expect } from 'chai';
import type { ServerResponse } from 'node:http';
import { brotliCompressSync, gunzipSync, gzipSync } from 'node:zlib';
import type { Failure } from '../../../server/errors/failure.js';
import { codingOf, DEFAULT_FETCH_POLICY, bodyText, safeFetch, type FetchPolicy, type SafeFetchOutcome, type SafeResponse } from '../../../server/net/safe-fetch.js';
import { CATALOG, JSONLD, closePeers, startPeer } from '../../helpers/http-peer.js';

const LOCAL: FetchPolicy = { ...DEFAULT_FETCH_POLICY, allowPrivate: true, totalTimeoutMs: 5_000, connectTimeoutMs: 1_000 };
const MB = 1024 * 1024;

function responseOf(outcome: SafeFetchOutcome): SafeResponse {
  if (!outcome.ok) expect.fail(`expected an answer, got ${JSON.stringify(outcome.failure)}`);
  return outcome.response;
}

function failureOf(outcome: SafeFetchOutcome): Failure {
  if (outcome.ok) expect.fail(`expected a failure, got ${outcome.response.status} with ${outcome.response.body.length} bytes`);
  return outcome.failure;
}

/** Answers 200 with a body already coded, its Content-Length the coded one. */
function sendCoded(res: ServerResponse, body: Buffer, coding: string, chunked = false): void {
  res.writeHead(200, { 'content-type': JSONLD, 'content-encoding': coding, ...(chunked ? {} : { 'content-length': body.length }) });
  res.end(body);
}

/** A JSON-LD text of about `bytes` bytes that compresses well. */
function bigCatalog(bytes: number): string {
  const node = { '@id': 'https://peer.example/offers/1', '@type': 'dfc-b:Offer', 'dfc-b:price': 3.5 };
  const graph: unknown[] = [];
  for (let size = 0; size < bytes; size += 90) graph.push({ ...node, '@id': `https://peer.example/offers/${graph.length}` });
  return JSON.stringify({ '@context': 'https://w3id.org/dfc/ontology/context/context_1.16.0.json', '@graph': graph });
}

describe('safeFetch() with compressed answers', () => {
  afterEach(closePeers);

  for (const coding of ['br', 'gzip'] as const) {
    it(`decodes a ${coding} body, telling its coding and the bytes received`, async () => {
      const text = bigCatalog(200_000);
      const coded = coding === 'br' ? brotliCompressSync(text) : gzipSync(text);
      const peer = await startPeer((_req, res) => sendCoded(res, coded, coding));
      const response = responseOf(await safeFetch({ url: `${peer.base}/c` }, LOCAL));
      expect(bodyText(response)).to.equal(text);
      expect(response.encoding).to.equal(coding);
      expect(response.wireBytes).to.equal(coded.length);
      expect(coded.length).to.be.lessThan(text.length / 10);
    });
  }

  it('decodes a chunked gzip body (no Content-Length), and x-gzip as gzip', async () => {
    const peer = await startPeer((req, res) => sendCoded(res, gzipSync(CATALOG), req.url === '/x' ? 'x-gzip' : 'gzip', true));
    expect(bodyText(responseOf(await safeFetch({ url: `${peer.base}/c` }, LOCAL)))).to.equal(CATALOG);
    expect(bodyText(responseOf(await safeFetch({ url: `${peer.base}/x` }, LOCAL)))).to.equal(CATALOG);
  });

  it('takes identity and an absent coding as they are, wireBytes the body length', async () => {
    const peer = await startPeer((_req, res) => {
      res.writeHead(200, { 'content-type': JSONLD, 'content-encoding': 'identity' });
      res.end(CATALOG);
    });
    const response = responseOf(await safeFetch({ url: `${peer.base}/c` }, LOCAL));
    expect(bodyText(response)).to.equal(CATALOG);
    expect(response.encoding).to.equal(undefined);
    expect(response.wireBytes).to.equal(Buffer.byteLength(CATALOG));
  });

  for (const coding of ['gzip', 'br'] as const) {
    it(`refuses a ${coding} bomb (10 MB of zeros) at a 1 MB limit, without inflating it all`, async () => {
      const zeros = Buffer.alloc(10 * MB);
      const bomb = coding === 'gzip' ? gzipSync(zeros, { level: 9 }) : brotliCompressSync(zeros);
      expect(bomb.length).to.be.lessThan(20_000);
      const peer = await startPeer((_req, res) => sendCoded(res, bomb, coding));
      const before = process.memoryUsage().arrayBuffers;
      const failure = failureOf(await safeFetch({ url: `${peer.base}/bomb` }, { ...LOCAL, maxBytes: MB }));
      expect(failure).to.deep.include({ kind: 'too-large', status: 200 });
      expect(failure.message).to.contain(`limit of ${MB} bytes once decoded (${coding}`);
      // What was kept is the limit and one chunk, not 10 MB (external memory is the buffers' own).
      expect(process.memoryUsage().arrayBuffers - before).to.be.lessThan(4 * MB);
    });
  }

  it('refuses a coded body above the limit of received bytes, by its Content-Length or as it comes', async () => {
    const text = bigCatalog(100_000);
    const coded = gzipSync(text, { level: 0 });
    const peer = await startPeer((req, res) => sendCoded(res, coded, 'gzip', req.url === '/chunked'));
    const policy = { ...LOCAL, maxEncodedBytes: 50_000 };
    const declared = failureOf(await safeFetch({ url: `${peer.base}/c` }, policy));
    expect(declared.kind).to.equal('too-large');
    expect(declared.message).to.contain('Content-Length');
    const streamed = failureOf(await safeFetch({ url: `${peer.base}/chunked` }, policy));
    expect(streamed.kind).to.equal('too-large');
    expect(streamed.message).to.contain('as received (gzip)');
  });

  it('reports a truncated gzip body as truncated, corrupt data as bad-encoding, never throwing', async () => {
    const coded = gzipSync(bigCatalog(50_000));
    const peer = await startPeer((req, res) => {
      if (req.url === '/cut') sendCoded(res, coded.subarray(0, coded.length - 100), 'gzip');
      else if (req.url === '/br-cut') sendCoded(res, brotliCompressSync(bigCatalog(50_000)).subarray(0, 500), 'br');
      else sendCoded(res, Buffer.from('this is not gzip at all, just text pretending'), 'gzip');
    });
    const cut = failureOf(await safeFetch({ url: `${peer.base}/cut` }, LOCAL));
    expect(cut.kind).to.equal('truncated');
    expect(failureOf(await safeFetch({ url: `${peer.base}/br-cut` }, LOCAL)).kind).to.equal('truncated');
    const corrupt = failureOf(await safeFetch({ url: `${peer.base}/corrupt` }, LOCAL));
    expect(corrupt.kind).to.equal('bad-encoding');
    expect(corrupt.message).to.contain('gzip body cannot be decoded');
  });

  it('refuses unknown and stacked codings clearly', async () => {
    const peer = await startPeer((req, res) => sendCoded(res, Buffer.from(CATALOG), req.url === '/stacked' ? 'gzip, br' : 'compress'));
    const unknown = failureOf(await safeFetch({ url: `${peer.base}/c` }, LOCAL));
    expect(unknown).to.deep.include({ kind: 'bad-encoding', status: 200 });
    expect(unknown.message).to.contain('unsupported content encoding compress');
    const stacked = failureOf(await safeFetch({ url: `${peer.base}/stacked` }, LOCAL));
    expect(stacked.kind).to.equal('bad-encoding');
    expect(stacked.message).to.contain('stacked content codings gzip, br');
  });

  it('decodes nothing where there is no body: HEAD, 204, an empty coded body', async () => {
    const peer = await startPeer((req, res) => {
      if (req.url === '/no-content') res.writeHead(204, { 'content-encoding': 'br' }).end();
      else if (req.method === 'HEAD') res.writeHead(200, { 'content-type': JSONLD, 'content-encoding': 'br', 'content-length': 1234 }).end();
      else sendCoded(res, Buffer.alloc(0), 'gzip');
    });
    const head = responseOf(await safeFetch({ url: `${peer.base}/c`, method: 'HEAD' }, LOCAL));
    expect(head.body.length).to.equal(0);
    expect(responseOf(await safeFetch({ url: `${peer.base}/no-content` }, LOCAL)).status).to.equal(204);
    expect(responseOf(await safeFetch({ url: `${peer.base}/empty` }, LOCAL)).body.length).to.equal(0);
  });

  describe('an error answer with a compressed body', () => {
    const PROBLEM = 'application/problem+json';
    const problem = JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'the database is down, try again later' });
    /** Answers 503 with a body (coded as `coding` says, or as given), no Content-Length. */
    const sendError = (res: ServerResponse, body: Buffer, coding: string, type = PROBLEM): void => {
      res.writeHead(503, { 'content-type': type, 'content-encoding': coding });
      res.end(body);
    };

    for (const coding of ['gzip', 'br'] as const) {
      it(`shows the decoded text of a ${coding} problem document in the failure, never its bytes`, async () => {
        const peer = await startPeer((_req, res) => sendError(res, coding === 'br' ? brotliCompressSync(problem) : gzipSync(problem), coding));
        const failure = failureOf(await safeFetch({ url: `${peer.base}/c` }, LOCAL));
        expect(failure).to.deep.include({ kind: 'http-status', status: 503 });
        expect(failure.message).to.equal(`HTTP 503 Service Unavailable: ${problem}`);
      });

      it(`reads a ${coding} bomb in an error body as far as the snippet's KB, quickly and in little memory`, async () => {
        // 64 MB of text, a few KB to a few hundred KB on the wire.
        const text = Buffer.alloc(64 * MB, 'a');
        const bomb = coding === 'br' ? brotliCompressSync(text) : gzipSync(text, { level: 9 });
        const peer = await startPeer((_req, res) => sendError(res, bomb, coding, 'text/plain'));
        const before = process.memoryUsage().arrayBuffers;
        const started = Date.now();
        const failure = failureOf(await safeFetch({ url: `${peer.base}/bomb` }, LOCAL));
        expect(Date.now() - started).to.be.lessThan(2_000);
        expect(failure.kind).to.equal('http-status');
        expect(failure.message).to.equal(`HTTP 503 Service Unavailable: ${'a'.repeat(200)}…`);
        expect(process.memoryUsage().arrayBuffers - before).to.be.lessThan(4 * MB);
      });

      it(`leaves out a corrupt ${coding} error body, saying so`, async () => {
        const coded = coding === 'br' ? brotliCompressSync(problem) : gzipSync(problem);
        // The gzip header kept (it names the coding), the data after it scrambled.
        for (let i = coding === 'br' ? 3 : 12; i < coded.length - 8; i += 2) coded[i] = (coded[i] ?? 0) ^ 0x55;
        const peer = await startPeer((_req, res) => sendError(res, coded, coding));
        const failure = failureOf(await safeFetch({ url: `${peer.base}/c` }, LOCAL));
        expect(failure.kind).to.equal('http-status');
        expect(failure.message).to.equal(`HTTP 503 Service Unavailable (body not shown: the ${coding} body cannot be decoded)`);
      });

      it(`shows the beginning of a ${coding} error body cut before its end`, async () => {
        const coded = coding === 'br' ? brotliCompressSync(problem) : gzipSync(problem);
        const peer = await startPeer((_req, res) => sendError(res, coded.subarray(0, coded.length - 4), coding));
        const failure = failureOf(await safeFetch({ url: `${peer.base}/c` }, LOCAL));
        expect(failure.message).to.match(/^HTTP 503 Service Unavailable: \{"type":"about:blank"/u);
        expect(problem.startsWith(failure.message.slice('HTTP 503 Service Unavailable: '.length))).to.equal(true);
      });
    }

    it('reads at most 16 KB of a coded error body: one that decodes to nothing by then is left out', async () => {
      // A gzip header with a 60 KB extra field before the data: a decoder outputs nothing for 60 KB.
      const extra = Buffer.alloc(60_000, 0x41);
      const header = Buffer.from([0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 3, extra.length & 0xff, extra.length >> 8]);
      const coded = Buffer.concat([header, extra, gzipSync(problem).subarray(10)]);
      expect(gunzipSync(coded).toString('utf8')).to.equal(problem);
      const peer = await startPeer((_req, res) => sendError(res, coded, 'gzip'));
      const failure = failureOf(await safeFetch({ url: `${peer.base}/c` }, LOCAL));
      expect(failure.message).to.equal('HTTP 503 Service Unavailable (body not shown: nothing decoded from 16384 bytes of gzip)');
    });

    it('leaves out an error body in a coding not asked for or not known, saying so; an empty one or a HEAD says nothing', async () => {
      const peer = await startPeer((req, res) => {
        if (req.url === '/zstd') sendError(res, Buffer.from(problem), 'zstd');
        else if (req.url === '/empty') sendError(res, Buffer.alloc(0), 'gzip');
        else sendError(res, req.method === 'HEAD' ? Buffer.alloc(0) : gzipSync(problem), 'gzip');
      });
      expect(failureOf(await safeFetch({ url: `${peer.base}/zstd` }, LOCAL)).message)
        .to.equal('HTTP 503 Service Unavailable (body not shown: unsupported content encoding zstd (asked for br, gzip))');
      expect(failureOf(await safeFetch({ url: `${peer.base}/c` }, { ...LOCAL, compressed: false })).message)
        .to.equal('HTTP 503 Service Unavailable (body not shown: unrequested content encoding gzip)');
      expect(failureOf(await safeFetch({ url: `${peer.base}/empty` }, LOCAL)).message).to.equal('HTTP 503 Service Unavailable');
      expect(failureOf(await safeFetch({ url: `${peer.base}/c`, method: 'HEAD' }, LOCAL)).message).to.equal('HTTP 503 Service Unavailable');
    });

    it('shows nothing of a coded error body that is not text', async () => {
      const peer = await startPeer((_req, res) => sendError(res, gzipSync(problem), 'gzip', 'application/octet-stream'));
      expect(failureOf(await safeFetch({ url: `${peer.base}/c` }, LOCAL)).message).to.equal('HTTP 503 Service Unavailable');
    });
  });

  it('reads Content-Encoding values (codingOf)', () => {
    expect(codingOf(undefined, true)).to.equal(undefined);
    expect(codingOf('', true)).to.equal(undefined);
    expect(codingOf(' identity ', true)).to.equal(undefined);
    expect(codingOf('GZIP', true)).to.equal('gzip');
    expect(codingOf('identity, br', true)).to.equal('br');
    expect(codingOf('br', false)).to.have.property('refused').that.contains('unrequested');
    expect(codingOf('deflate', true)).to.have.property('refused').that.contains('unsupported');
  });
});
