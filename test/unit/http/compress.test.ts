/**
 * Compressed responses: the `Accept-Encoding` negotiation, the variant ETags and their 304s, `Vary`, HEAD, the
 * bodies left as they are (tiny, already compressed, streamed, without a body), the compressed forms kept with a
 * cached render, and the switch that turns it all off. Requests go through `node:http`, which (unlike `fetch`)
 * shows the bytes on the wire.
 */
import { expect } from 'chai';
import express from 'express';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { chooseCoding, compressible, compression, EncodedForms, variantEtag, variantEtags } from '../../../server/http/compress.js';
import { negotiate } from '../../../server/http/negotiate.js';
import { render, RenderCache, renderedSize, sendBody } from '../../../server/http/render.js';
import { errorHandler } from '../../../server/http/error-handler.js';
import { createLogger } from '../../../server/logging.js';
import { closeServer } from '../../helpers/fake-peer.js';
import { farmRecords, startInProcess, type InProcessNode } from '../../helpers/in-process.js';

interface Raw {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body as received. */
  readonly wire: Buffer;
  /** The body decoded by its Content-Encoding. */
  readonly text: string;
}

/** One request with node:http: no transparent decoding, so the test sees the coding and the bytes. */
function raw(base: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const wire = Buffer.concat(chunks);
        const coding = res.headers['content-encoding'];
        const decoded = wire.length === 0 ? wire : coding === 'br' ? brotliDecompressSync(wire) : coding === 'gzip' ? gunzipSync(wire) : wire;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, wire, text: decoded.toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const varyOf = (r: Raw): string[] => String(r.headers.vary ?? '').split(',').map((t) => t.trim().toLowerCase());

describe('http: compressed responses', () => {
  describe('chooseCoding (Accept-Encoding, RFC 9110 §12.5.3)', () => {
    const cases: [string | undefined, string][] = [
      [undefined, 'identity'],
      ['', 'identity'],
      ['br, gzip', 'br'],
      ['gzip, br', 'br'],
      ['gzip', 'gzip'],
      ['x-gzip', 'gzip'],
      ['gzip;q=1.0, br;q=0.5', 'gzip'],
      ['br;q=0, gzip', 'gzip'],
      ['br;q=0, gzip;q=0', 'identity'],
      ['*', 'br'],
      ['br;q=0, *', 'gzip'],
      ['*;q=0', 'identity'],
      ['identity', 'identity'],
      ['identity;q=1, gzip;q=0.5', 'identity'],
      ['identity;q=0.5, gzip;q=0.5', 'gzip'],
      ['identity;q=0, gzip;q=0.2', 'gzip'],
      ['identity;q=0', 'identity'],
      ['deflate, compress', 'identity'],
      ['GZIP; Q=0.8, BR; q=0.9', 'br'],
      // A member whose weight is not a qvalue (RFC 9110 §12.4.2) is ignored, as if it were not in the list.
      ['br;q=bogus, gzip;q=0.5', 'gzip'],
      ['gzip;q=abc', 'identity'],
      ['gzip;q=.5', 'identity'],
      ['gzip;q=0.0001', 'identity'],
      ['gzip;q=1.5', 'identity'],
      ['gzip;q=1.001', 'identity'],
      ['gzip;q=', 'identity'],
      ['gzip;q=0.5e0', 'identity'],
      ['br;q=.9, gzip;q=0.5', 'gzip'],
      ['br;q=abc, *;q=0.2', 'br'],
      ['identity;q=abc, gzip;q=0.5', 'gzip'],
      ['identity;q=0.5x, gzip;q=0', 'identity'],
      ['gzip;q=0.001', 'gzip'],
      ['gzip;q=1.000', 'gzip'],
      ['gzip;q=1.', 'gzip'],
      ['gzip;q=0.', 'identity'],
      ['gzip;Q=0.500', 'gzip'],
    ];
    for (const [header, expected] of cases) {
      it(`${JSON.stringify(header)} → ${expected}`, () => expect(chooseCoding(header)).to.equal(expected));
    }
  });

  it('compresses textual types, not those compressed already', () => {
    for (const type of ['application/ld+json; charset=utf-8', 'application/json', 'text/turtle', 'application/n-quads', 'text/csv',
      'application/problem+json', 'text/html; charset=utf-8', 'image/svg+xml']) expect(compressible(type), type).to.equal(true);
    for (const type of [undefined, 'image/png', 'application/gzip', 'application/zip', 'application/octet-stream', 'font/woff2', 'video/mp4']) {
      expect(compressible(type), type).to.equal(false);
    }
  });

  it('tags each coded variant apart (inside the quotes), the identity one as it is', () => {
    expect(variantEtag('"abc"', 'identity')).to.equal('"abc"');
    expect(variantEtag('"abc"', 'br')).to.equal('"abc-br"');
    expect(variantEtag('W/"abc"', 'gzip')).to.equal('W/"abc-gzip"');
    expect(variantEtags('"abc"')).to.deep.equal(['"abc"', '"abc-br"', '"abc-gzip"']);
  });

  describe('the catalogue routes (render cache)', () => {
    let node: InProcessNode;
    const CATALOGUE = '/api/dfc/enterprises/ferme/catalog_items';

    before(async () => {
      node = await startInProcess();
      await node.seed('ferme', { records: farmRecords('ferme') });
    });
    after(async () => node.close());

    it('sends br when asked br and gzip, gzip when asked gzip, as it is when not asked: the same body each time', async () => {
      const plain = await raw(node.url, CATALOGUE);
      expect(plain.status).to.equal(200);
      expect(plain.headers['content-encoding']).to.equal(undefined);
      expect(Number(plain.headers['content-length'])).to.equal(plain.wire.length);
      expect(varyOf(plain)).to.include('accept-encoding').and.include('accept');
      expect(plain.wire.length).to.be.greaterThan(1024);
      for (const [asked, coding] of [['br, gzip', 'br'], ['gzip', 'gzip'], ['gzip;q=1, br;q=0.1', 'gzip']] as const) {
        const coded = await raw(node.url, CATALOGUE, { 'accept-encoding': asked });
        expect(coded.status, asked).to.equal(200);
        expect(coded.headers['content-encoding'], asked).to.equal(coding);
        expect(Number(coded.headers['content-length']), asked).to.equal(coded.wire.length);
        expect(coded.wire.length, asked).to.be.lessThan(plain.wire.length / 3);
        expect(coded.text, asked).to.equal(plain.text);
        expect(coded.headers.etag, asked).to.equal(variantEtag(String(plain.headers.etag), coding));
        expect(varyOf(coded), asked).to.include('accept-encoding');
      }
    });

    it('answers 304 to the variant the client holds, 200 to a client holding another', async () => {
      const br = await raw(node.url, CATALOGUE, { 'accept-encoding': 'br' });
      const tag = String(br.headers.etag);
      const again = await raw(node.url, CATALOGUE, { 'accept-encoding': 'br', 'if-none-match': tag });
      expect(again.status).to.equal(304);
      expect(again.wire.length).to.equal(0);
      expect(again.headers.etag).to.equal(tag);
      expect(again.headers['content-encoding']).to.equal(undefined);
      expect(varyOf(again)).to.include('accept-encoding');
      // The br tag names another representation than the gzip one: a full answer.
      const gzip = await raw(node.url, CATALOGUE, { 'accept-encoding': 'gzip', 'if-none-match': tag });
      expect(gzip.status).to.equal(200);
      expect(gzip.headers['content-encoding']).to.equal('gzip');
      expect((await raw(node.url, CATALOGUE, { 'accept-encoding': 'gzip', 'if-none-match': String(gzip.headers.etag) })).status).to.equal(304);
      const plain = await raw(node.url, CATALOGUE, { 'if-none-match': tag });
      expect(plain.status).to.equal(200);
      expect((await raw(node.url, CATALOGUE, { 'if-none-match': String(plain.headers.etag) })).status).to.equal(304);
    });

    it('answers HEAD with the headers of the GET and no body', async () => {
      const get = await raw(node.url, CATALOGUE, { 'accept-encoding': 'br' });
      const head = await raw(node.url, CATALOGUE, { 'accept-encoding': 'br' }, 'HEAD');
      expect(head.status).to.equal(200);
      expect(head.wire.length).to.equal(0);
      expect(head.headers['content-encoding']).to.equal('br');
      expect(head.headers.etag).to.equal(get.headers.etag);
      // The cached form is known: its length is told.
      expect(head.headers['content-length']).to.equal(get.headers['content-length']);
      const plainHead = await raw(node.url, CATALOGUE, {}, 'HEAD');
      expect(plainHead.wire.length).to.equal(0);
      expect(plainHead.headers['content-encoding']).to.equal(undefined);
    });

    it('lets a write name the tag of a coded variant in If-Match (the same state of the resource)', async () => {
      const item = '/api/dfc/enterprises/ferme/catalog_items/tomate';
      const got = await raw(node.url, item);
      const write = (tag: string) => node.request('PUT', item, {
        headers: { 'content-type': 'application/ld+json', 'if-match': tag, authorization: `Bearer ${node.adminToken}` }, body: got.text,
      });
      expect((await write('"nothing-of-ours-gzip"')).status).to.equal(412);
      // If-Match compares strongly: the weak form of a variant's tag is no match (RFC 9110 §13.1.1).
      expect((await write(`W/${variantEtag(String(got.headers.etag), 'gzip')}`)).status).to.equal(412);
      const written = await write(variantEtag(String(got.headers.etag), 'gzip'));
      expect(written.status, written.text).to.equal(200);
    });

    it('compresses an uncached JSON answer on the fly, and leaves a small one (< 1 KB) as it is, Vary on both', async () => {
      const big = await raw(node.url, '/api/openapi.json', { 'accept-encoding': 'gzip, br' });
      expect(big.status).to.equal(200);
      expect(big.headers['content-encoding']).to.equal('br');
      expect(Number(big.headers['content-length'])).to.equal(big.wire.length);
      expect(() => JSON.parse(big.text) as unknown).not.to.throw();
      expect(varyOf(big)).to.include('accept-encoding');
      const small = await raw(node.url, '/api/dfc/enterprises/nobody', { 'accept-encoding': 'br' });
      expect(small.status).to.equal(404);
      expect(small.headers['content-encoding']).to.equal(undefined);
      expect(small.headers['content-type']).to.match(/problem\+json/u);
      expect(varyOf(small)).to.include('accept-encoding');
      const head = await raw(node.url, '/api/openapi.json', { 'accept-encoding': 'gzip' }, 'HEAD');
      expect(head.wire.length).to.equal(0);
      expect(head.headers['content-encoding']).to.equal('gzip');
    });

    it('sends as it is to a client whose only weight is malformed (gzip;q=abc, q=.5, q=0.0001)', async () => {
      for (const asked of ['gzip;q=abc', 'gzip;q=.5', 'gzip;q=0.0001', 'br;q=1.5']) {
        const response = await raw(node.url, CATALOGUE, { 'accept-encoding': asked });
        expect(response.status, asked).to.equal(200);
        expect(response.headers['content-encoding'], asked).to.equal(undefined);
        expect(Number(response.headers['content-length']), asked).to.equal(response.wire.length);
        expect(varyOf(response), asked).to.include('accept-encoding');
      }
      // The valid member beside a malformed one decides.
      expect((await raw(node.url, CATALOGUE, { 'accept-encoding': 'br;q=.9, gzip;q=0.5' })).headers['content-encoding']).to.equal('gzip');
    });

    it('answers a CORS preflight (204) with no body and no coding', async () => {
      const preflight = await raw(node.url, CATALOGUE, { 'accept-encoding': 'br', origin: 'https://a.example', 'access-control-request-method': 'GET' }, 'OPTIONS');
      expect(preflight.status).to.equal(204);
      expect(preflight.wire.length).to.equal(0);
      expect(preflight.headers['content-encoding']).to.equal(undefined);
    });
  });

  describe('the render cache', () => {
    it('keeps the compressed forms, made once per coding, counted in its budget', async () => {
      const cache = new RenderCache();
      const rendered = render(farmRecords('ferme'), negotiate('application/ld+json'));
      cache.set('k', rendered);
      const before = cache.size;
      expect(before).to.equal(renderedSize(rendered));
      const [first, second] = await Promise.all([rendered.forms.get('br', rendered.bytes), rendered.forms.get('br', rendered.bytes)]);
      expect(first).to.equal(second);
      expect(brotliDecompressSync(first).toString('utf8')).to.equal(rendered.body);
      expect(await rendered.forms.get('br', rendered.bytes)).to.equal(first);
      expect(cache.size).to.equal(before + first.length);
      const gzip = await rendered.forms.get('gzip', rendered.bytes);
      expect(gunzipSync(gzip).toString('utf8')).to.equal(rendered.body);
      expect(cache.size).to.equal(before + first.length + gzip.length);
    });

    it('evicts by the size with the forms, and does not bring an evicted body back', async () => {
      const a = render(farmRecords('a'), negotiate('application/ld+json'));
      const b = render(farmRecords('b'), negotiate('application/ld+json'));
      const cache = new RenderCache({ maxBytes: renderedSize(a) + renderedSize(b) + 64 });
      cache.set('a', a);
      cache.set('b', b);
      // b's forms push the total past the budget: a, the least recently used, goes.
      await b.forms.get('br', b.bytes);
      expect(cache.get('a')).to.equal(undefined);
      expect(cache.get('b')).to.equal(b);
      await a.forms.get('gzip', a.bytes);
      expect(cache.get('a')).to.equal(undefined);
    });

    it('EncodedForms tells nothing before a form is made', () => {
      const forms = new EncodedForms();
      expect(forms.size).to.equal(0);
      expect(forms.peek('br')).to.equal(undefined);
    });
  });

  describe('the on-the-fly middleware', () => {
    const big = 'x'.repeat(10_000);
    let server: import('node:http').Server;
    let base: string;

    before(async () => {
      const app = express();
      app.use(compression());
      app.get('/png', (_req, res) => res.type('image/png').send(Buffer.alloc(10_000)));
      app.get('/stream', (_req, res) => {
        res.type('text/plain');
        res.write(big);
        setTimeout(() => res.end(big), 5);
      });
      app.get('/text', (_req, res) => res.type('text/plain').send(big));
      app.get('/tagged', (_req, res) => res.setHeader('ETag', '"t"').type('application/json').send(JSON.stringify({ big })));
      app.get('/empty', (_req, res) => res.type('application/json').status(204).end());
      server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => closeServer(server));

    it('compresses a whole body, suffixing its ETag', async () => {
      const text = await raw(base, '/text', { 'accept-encoding': 'gzip' });
      expect(text.headers['content-encoding']).to.equal('gzip');
      expect(text.text).to.equal(big);
      expect(Number(text.headers['content-length'])).to.equal(text.wire.length);
      const tagged = await raw(base, '/tagged', { 'accept-encoding': 'br' });
      expect(tagged.headers.etag).to.equal('"t-br"');
    });

    it('leaves an image, a streamed body and a 204 as they are', async () => {
      const png = await raw(base, '/png', { 'accept-encoding': 'br' });
      expect(png.headers['content-encoding']).to.equal(undefined);
      expect(png.wire.length).to.equal(10_000);
      expect(varyOf(png)).not.to.include('accept-encoding');
      const streamed = await raw(base, '/stream', { 'accept-encoding': 'br' });
      expect(streamed.headers['content-encoding']).to.equal(undefined);
      expect(streamed.text).to.equal(big + big);
      const empty = await raw(base, '/empty', { 'accept-encoding': 'br' });
      expect(empty.status).to.equal(204);
      expect(empty.headers['content-encoding']).to.equal(undefined);
    });
  });

  describe('sendBody when compression fails', () => {
    /** Compressed forms whose making fails, as zlib would out of memory: the compressor the route is given. */
    class FailingForms extends EncodedForms {
      public calls = 0;
      public override get(): Promise<Buffer> {
        this.calls += 1;
        return Promise.reject(new Error('zlib: out of memory'));
      }
    }
    const body = JSON.stringify({ offers: 'x'.repeat(5_000) });
    const forms = new FailingForms();
    let server: import('node:http').Server;
    let base: string;

    before(async () => {
      const app = express();
      app.use(compression());
      app.get('/body', async (req, res, next) => {
        try {
          await sendBody(req, res, { bytes: Buffer.from(body), contentType: 'application/json; charset=utf-8', etag: '"v1"', forms });
        } catch (error) {
          next(error);
        }
      });
      app.use(errorHandler(createLogger('silent')));
      server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => closeServer(server));

    it('sends the body as it is, with the identity tag and length, never labelled with the coding it failed to make', async () => {
      for (const coding of ['br', 'gzip']) {
        const before = forms.calls;
        const response = await raw(base, '/body', { 'accept-encoding': coding });
        expect(forms.calls, coding).to.equal(before + 1);
        expect(response.status, coding).to.equal(200);
        expect(response.headers['content-encoding'], coding).to.equal(undefined);
        expect(response.wire.toString('utf8'), coding).to.equal(body);
        expect(Number(response.headers['content-length']), coding).to.equal(response.wire.length);
        expect(response.headers.etag, coding).to.equal('"v1"');
        expect(response.headers['content-type'], coding).to.equal('application/json; charset=utf-8');
        expect(varyOf(response), coding).to.include('accept-encoding');
      }
    });
  });

  describe('turned off (MAILLON_COMPRESS=off)', () => {
    let node: InProcessNode;
    before(async () => {
      node = await startInProcess({ deps: (deps) => ({ ...deps, compression: false }) });
      await node.seed('ferme');
    });
    after(async () => node.close());

    it('sends every body as it is, and does not vary on Accept-Encoding', async () => {
      for (const path of ['/api/dfc/enterprises/ferme/catalog_items', '/api/openapi.json']) {
        const response = await raw(node.url, path, { 'accept-encoding': 'br, gzip' });
        expect(response.status, path).to.equal(200);
        expect(response.headers['content-encoding'], path).to.equal(undefined);
        expect(varyOf(response), path).not.to.include('accept-encoding');
      }
    });
  });
});
