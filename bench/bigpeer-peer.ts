/**
 * The one big peer of the `bigpeer` benchmark, alone in its own process (spawned by `bench/bigpeer.ts`).
 *
 * Usage: `node --import tsx bench/bigpeer-peer.ts OFFERS PAGE_SIZE`. Listens on an ephemeral port of 127.0.0.1 and
 * serves a generated DFC 1.16 catalogue of OFFERS offers ({@link generateCatalog}) at
 * `/api/dfc/enterprises/30001/catalog_items`, paged PAGE_SIZE offers a page (`?page=N`), each page linking the next
 * with a `Link: <…>; rel="next"` header, as a paged Open Food Network-style catalogue would; the first page also holds
 * the enterprise and its address. Pages are rendered and compressed (brotli and gzip, as a node's render cache keeps
 * them) once at start-up; a GET sends the coding its `Accept-Encoding` asks for, with a strong ETag per coded
 * variant, and `If-None-Match` with it gets a 304.
 *
 * Prints one JSON line in the shape of the federation benchmark's {@link PeersReady} (one peer), then serves until
 * its standard input closes.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chooseCoding, compress, variantEtag } from '../server/http/compress.js';
import { generateCatalog } from './catalog-generator.js';
import type { PeersReady } from './federation-peers.js';
import { narrowerClosure } from './harness.js';

const ENTERPRISE_ID = 30001;
const CENTRE = { lat: 45.83, lon: 1.26 } as const;
const QUERY_TYPE = 'vegetable';

interface Page {
  readonly body: Buffer;
  readonly br: Buffer;
  readonly gzip: Buffer;
  readonly etag: string;
}


const [offersArg, pageSizeArg] = process.argv.slice(2);
if (offersArg === undefined || pageSizeArg === undefined) throw new Error('usage: bigpeer-peer.ts OFFERS PAGE_SIZE');
const offers = Number(offersArg);
const pageSize = Number(pageSizeArg);
const pageCount = Math.ceil(offers / pageSize);

const path = `/api/dfc/enterprises/${ENTERPRISE_ID}/catalog_items`;
const pages: Page[] = [];
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://peer');
  const number = Number(url.searchParams.get('page') ?? '1');
  const page = url.pathname === path && Number.isInteger(number) ? pages[number - 1] : undefined;
  if (page === undefined || req.method !== 'GET') {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  const coding = chooseCoding(req.headers['accept-encoding']);
  const etag = variantEtag(page.etag, coding);
  const link = number < pageCount ? { link: `<${path}?page=${number + 1}>; rel="next"` } : {};
  const ifNoneMatch = req.headers['if-none-match']?.split(',').map((t) => t.trim().replace(/^W\//u, ''));
  if (ifNoneMatch?.includes(etag) === true) {
    res.writeHead(304, { etag, vary: 'Accept-Encoding', ...link }).end();
    return;
  }
  const body = coding === 'identity' ? page.body : page[coding];
  res.writeHead(200, {
    'content-type': 'application/ld+json', 'content-length': body.length, etag, vary: 'Accept-Encoding', ...link,
    ...(coding !== 'identity' ? { 'content-encoding': coding } : {}),
  }).end(body);
});
server.keepAliveTimeout = 5000;
await new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen(0, '127.0.0.1', () => resolve());
});
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const enterpriseIri = `${origin}/api/dfc/enterprises/${ENTERPRISE_ID}`;
const addressIri = `${enterpriseIri}/address`;

const started = performance.now();
const vegetables = narrowerClosure(QUERY_TYPE);
let matches = 0;
let bytes = 0;
let brBytes = 0;
let gzipBytes = 0;
for (let p = 0; p < pageCount; p++) {
  const count = Math.min(pageSize, offers - p * pageSize);
  const catalog = generateCatalog(count, {
    baseUrl: `${origin}/api/dfc`, enterpriseId: ENTERPRISE_ID, enterprise: false, seed: p + 1, firstOffer: 10001 + p * pageSize,
  });
  for (const node of catalog['@graph']) {
    const type = node['dfc-b:hasType'];
    if (node['@type'] === 'dfc-b:SuppliedProduct' && typeof type === 'string' && vegetables.has(type.replace(/^dfc-pt:/u, ''))) matches++;
  }
  // The enterprise and its address on the first page (without the lists of everything it supplies and manages,
  // which a paged catalogue cannot carry whole).
  const head = p > 0 ? [] : [
    {
      '@id': enterpriseIri, '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Big Regional Cooperative', 'dfc-b:hasAddress': addressIri,
      'dfc-b:hasDescription': 'A regional cooperative selling for hundreds of producers.',
    },
    {
      '@id': addressIri, '@type': 'dfc-b:Address', 'dfc-b:hasStreet': '1 route de la Ferme', 'dfc-b:hasPostalCode': '87000',
      'dfc-b:hasCity': 'Limoges', 'dfc-b:hasCountry': 'http://publications.europa.eu/resource/authority/country/FRA',
      'dfc-b:latitude': CENTRE.lat, 'dfc-b:longitude': CENTRE.lon,
    },
  ];
  const body = Buffer.from(JSON.stringify({ '@context': catalog['@context'], '@graph': [...head, ...catalog['@graph']] }), 'utf8');
  const [br, gzip] = await Promise.all([compress(body, 'br', 'cached'), compress(body, 'gzip', 'cached')]);
  pages.push({ body, br, gzip, etag: `"${createHash('sha1').update(body).digest('base64url')}"` });
  bytes += body.length;
  brBytes += br.length;
  gzipBytes += gzip.length;
}
const renderMs = performance.now() - started;

const shutdown = (): void => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
};
process.stdin.on('end', shutdown);
process.stdin.on('error', shutdown);
process.stdin.resume();
process.on('SIGTERM', shutdown);

const ready: PeersReady = {
  peers: [{ name: 'big-peer', url: `${origin}${path}`, origin, latitude: CENTRE.lat, longitude: CENTRE.lon, postcode: '87000', bytes }],
  offers,
  query: { type: QUERY_TYPE, near: `${CENTRE.lat},${CENTRE.lon}`, radiusKm: 50, origins: [origin], matches },
  bytes, brBytes, gzipBytes, renderMs, pid: process.pid,
};
console.log(JSON.stringify(ready));
