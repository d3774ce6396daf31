/**
 * The dashboard's static files served compressed: its scripts and style sheets (and Leaflet's) in the coding the
 * browser asks for, from memory, with strong per-coding ETags, 304 to `If-None-Match`, `Vary: Accept-Encoding`
 * and the right `Content-Length`, their cache headers and types as `express.static` gave them; images still by
 * `express.static`. Then the handler alone on a folder of its own: a file changed on disk is read again, a file
 * too large to hold and a path outside the folder are left to the next handler. Requests go through
 * `node:http`, which (unlike `fetch`) shows the bytes on the wire.
 */
import { expect } from 'chai';
import express from 'express';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { variantEtag } from '../../../server/http/compress.js';
import { defaultWebDir } from '../../../server/http/dashboard-routes.js';
import { compressedStatic, listStaticFiles } from '../../../server/http/static-files.js';
import { closeServer } from '../../helpers/fake-peer.js';
import { startInProcess, type InProcessNode } from '../../helpers/in-process.js';

interface Raw {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body as received. */
  readonly wire: Buffer;
  /** The body decoded by its Content-Encoding. */
  readonly body: Buffer;
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
        const body = wire.length === 0 ? wire : coding === 'br' ? brotliDecompressSync(wire) : coding === 'gzip' ? gunzipSync(wire) : wire;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, wire, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const varyOf = (r: Raw): string[] => String(r.headers.vary ?? '').split(',').map((t) => t.trim().toLowerCase());

const leafletDir = join(dirname(createRequire(import.meta.url).resolve('leaflet/package.json')), 'dist');

describe('http: the dashboard\'s static files, compressed', () => {
  let node: InProcessNode;
  before(async () => {
    node = await startInProcess();
  });
  after(async () => node.close());

  const FILES = [
    ['/dashboard/vendor/leaflet/leaflet.js', join(leafletDir, 'leaflet.js'), 'text/javascript; charset=utf-8'],
    ['/dashboard/vendor/leaflet/leaflet.css', join(leafletDir, 'leaflet.css'), 'text/css; charset=utf-8'],
    ['/dashboard/assets/app.js', join(defaultWebDir(), 'app.js'), 'text/javascript; charset=utf-8'],
    ['/dashboard/assets/styles.css', join(defaultWebDir(), 'styles.css'), 'text/css; charset=utf-8'],
  ] as const;

  for (const [path, file, type] of FILES) {
    it(`sends ${path} in the coding asked for, its own bytes, with its type and cache headers`, async () => {
      const bytes = readFileSync(file);
      const plain = await raw(node.url, path);
      expect(plain.status).to.equal(200);
      expect(plain.headers['content-encoding']).to.equal(undefined);
      expect(plain.body.equals(bytes)).to.equal(true);
      expect(Number(plain.headers['content-length'])).to.equal(bytes.length);
      const tag = String(plain.headers.etag);
      expect(tag).to.match(/^"[^"]+"$/u);
      for (const [asked, coding] of [['gzip, br', 'br'], ['gzip', 'gzip'], ['br;q=0.5, gzip', 'gzip']] as const) {
        const coded = await raw(node.url, path, { 'accept-encoding': asked });
        expect(coded.status, asked).to.equal(200);
        expect(coded.headers['content-encoding'], asked).to.equal(coding);
        expect(coded.body.equals(bytes), asked).to.equal(true);
        expect(Number(coded.headers['content-length']), asked).to.equal(coded.wire.length);
        expect(coded.wire.length, asked).to.be.lessThan(bytes.length / 2);
        expect(coded.headers.etag, asked).to.equal(variantEtag(tag, coding));
      }
      for (const response of [plain, await raw(node.url, path, { 'accept-encoding': 'br' })]) {
        expect(varyOf(response)).to.include('accept-encoding');
        expect(response.headers['content-type']).to.equal(type);
        expect(response.headers['cache-control']).to.equal('public, max-age=3600');
        expect(response.headers['x-content-type-options']).to.equal('nosniff');
        expect(response.headers['last-modified']).to.be.a('string');
      }
    });
  }

  it('answers 304 to the variant the client holds, 200 to a client holding another', async () => {
    const path = '/dashboard/vendor/leaflet/leaflet.js';
    const br = await raw(node.url, path, { 'accept-encoding': 'br' });
    const tag = String(br.headers.etag);
    const again = await raw(node.url, path, { 'accept-encoding': 'br', 'if-none-match': tag });
    expect(again.status).to.equal(304);
    expect(again.wire.length).to.equal(0);
    expect(again.headers.etag).to.equal(tag);
    expect(again.headers['cache-control']).to.equal('public, max-age=3600');
    expect(varyOf(again)).to.include('accept-encoding');
    expect((await raw(node.url, path, { 'accept-encoding': 'br', 'if-none-match': `W/${tag}` })).status).to.equal(304);
    const gzip = await raw(node.url, path, { 'accept-encoding': 'gzip', 'if-none-match': tag });
    expect(gzip.status).to.equal(200);
    expect(gzip.headers['content-encoding']).to.equal('gzip');
    const plain = await raw(node.url, path, { 'if-none-match': tag });
    expect(plain.status).to.equal(200);
    expect((await raw(node.url, path, { 'if-none-match': String(plain.headers.etag) })).status).to.equal(304);
  });

  it('answers 304 to If-Modified-Since alone, as express.static did; If-None-Match decides when both are sent', async () => {
    const path = '/dashboard/assets/styles.css';
    const get = await raw(node.url, path, { 'accept-encoding': 'gzip' });
    const lastModified = String(get.headers['last-modified']);
    const since = await raw(node.url, path, { 'accept-encoding': 'gzip', 'if-modified-since': lastModified });
    expect(since.status).to.equal(304);
    expect(since.headers.etag).to.equal(get.headers.etag);
    expect(varyOf(since)).to.include('accept-encoding');
    const earlier = new Date(Date.parse(lastModified) - 1_000).toUTCString();
    expect((await raw(node.url, path, { 'accept-encoding': 'gzip', 'if-modified-since': earlier })).status).to.equal(200);
    expect((await raw(node.url, path, { 'accept-encoding': 'gzip', 'if-modified-since': 'not a date' })).status).to.equal(200);
    expect((await raw(node.url, path, { 'accept-encoding': 'gzip', 'if-modified-since': lastModified, 'if-none-match': '"other"' })).status).to.equal(200);
  });

  it('answers HEAD with the headers of the GET and no body', async () => {
    const path = '/dashboard/assets/app.js';
    const get = await raw(node.url, path, { 'accept-encoding': 'br' });
    const head = await raw(node.url, path, { 'accept-encoding': 'br' }, 'HEAD');
    expect(head.status).to.equal(200);
    expect(head.wire.length).to.equal(0);
    expect(head.headers['content-encoding']).to.equal('br');
    expect(head.headers.etag).to.equal(get.headers.etag);
    expect(head.headers['content-length']).to.equal(get.headers['content-length']);
  });

  it('leaves Leaflet\'s images to express.static, as they were; unknown files and other methods are 404', async () => {
    const png = await raw(node.url, '/dashboard/vendor/leaflet/images/layers.png', { 'accept-encoding': 'br, gzip' });
    expect(png.status).to.equal(200);
    expect(png.headers['content-encoding']).to.equal(undefined);
    expect(png.headers['content-type']).to.equal('image/png');
    expect(png.headers['cache-control']).to.equal('public, max-age=3600');
    expect(png.body.equals(readFileSync(join(leafletDir, 'images/layers.png')))).to.equal(true);
    expect((await raw(node.url, '/dashboard/assets/nothing.js', { 'accept-encoding': 'br' })).status).to.equal(404);
    expect((await raw(node.url, '/dashboard/assets/app.js', {}, 'POST')).status).to.equal(404);
    expect((await raw(node.url, '/dashboard/vendor/leaflet/%2e%2e/package.json', { 'accept-encoding': 'br' })).status).to.equal(404);
  });
});

describe('http: compressedStatic on a folder', () => {
  let dir: string;
  let server: Server;
  let base: string;
  const text = (n: number, word: string): string => `${word} `.repeat(n);

  before(async () => {
    // The served folder's parent holds a secret: a path climbing out of the folder must not find it.
    dir = mkdtempSync(join(tmpdir(), 'maillon-static-'));
    writeFileSync(join(dir, 'secret.txt'), text(1_000, 'secret'));
    const served = join(dir, 'served');
    mkdirSync(join(served, 'sub'), { recursive: true });
    writeFileSync(join(served, 'a.js'), text(1_000, 'alpha'));
    writeFileSync(join(served, 'big.js'), text(2_000, 'big'));
    writeFileSync(join(served, 'sub', 'b.css'), text(1_000, 'beta'));
    writeFileSync(join(served, '.env'), 'SECRET=1');
    const app = express();
    app.use('/s', compressedStatic(served, { maxAgeSeconds: 60, maxFileBytes: 6_000 }), (_req, res) => {
      res.status(418).type('text/plain').send('next');
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await closeServer(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the files under the folder, in sub-folders too, without dot files', () => {
    expect([...listStaticFiles(join(dir, 'served')).keys()]).to.deep.equal(['a.js', 'big.js', 'sub/b.css']);
  });

  it('serves a file compressed, and reads it again once it changed on disk (new bytes, new tag)', async () => {
    const first = await raw(base, '/s/a.js', { 'accept-encoding': 'gzip' });
    expect(first.headers['content-encoding']).to.equal('gzip');
    expect(first.body.toString()).to.equal(text(1_000, 'alpha'));
    expect(first.headers['cache-control']).to.equal('public, max-age=60');
    expect((await raw(base, '/s/sub/b.css', { 'accept-encoding': 'br' })).body.toString()).to.equal(text(1_000, 'beta'));
    writeFileSync(join(dir, 'served', 'a.js'), text(900, 'gamma'));
    // A later modification time, whatever the file system's clock granularity.
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(dir, 'served', 'a.js'), later, later);
    const second = await raw(base, '/s/a.js', { 'accept-encoding': 'gzip' });
    expect(second.body.toString()).to.equal(text(900, 'gamma'));
    expect(second.headers.etag).to.not.equal(first.headers.etag);
    expect((await raw(base, '/s/a.js', { 'accept-encoding': 'gzip', 'if-none-match': String(first.headers.etag) })).status).to.equal(200);
  });

  it('leaves to the next handler a file too large to hold, one not listed, a path out of the folder, another method', async () => {
    for (const [path, method] of [['/s/big.js', 'GET'], ['/s/nothing.js', 'GET'], ['/s/..%2fsecret.txt', 'GET'], ['/s/sub/..%2f..%2fsecret.txt', 'GET'],
      ['/s/.env', 'GET'], ['/s/%E0%A4%A.js', 'GET'], ['/s/a.js', 'POST']] as const) {
      const response = await raw(base, path, { 'accept-encoding': 'gzip' }, method);
      expect(response.status, `${method} ${path}`).to.equal(418);
      expect(response.body.toString(), `${method} ${path}`).to.equal('next');
    }
    // Express itself resolves a `..` segment before routing: not even the mount point is reached.
    for (const path of ['/s/../secret.txt', '/s/%2e%2e/secret.txt']) {
      const climbing = await raw(base, path, { 'accept-encoding': 'gzip' });
      expect(climbing.status, path).to.equal(404);
      expect(climbing.body.toString(), path).to.not.include('secret secret');
    }
  });
});
