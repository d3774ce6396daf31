/**
 * The static peers of the federation benchmark, alone in their own process (spawned by `bench/federation.ts`).
 *
 * Usage: `node --import tsx bench/federation-peers.ts PEERS OFFERS`. Listens on PEERS ephemeral ports of
 * 127.0.0.1, one per peer, so that every peer has its own origin (authority is decided by origin). Each port
 * serves one catalogue, `/api/dfc/enterprises/{id}/catalog_items`: a generated DFC 1.16 catalogue of OFFERS
 * offers ({@link generateCatalog}, product types mixed from the starter taxonomy), whose enterprise is given
 * an address with latitude, longitude and postcode spread over a region of about 300 × 200 km. Bodies are
 * rendered once at start-up, and compressed once (brotli and gzip, as a node's render cache keeps them); a GET
 * sends the coding its `Accept-Encoding` asks for (the node's own negotiation), with a strong ETag per coded
 * variant, and `If-None-Match` with it gets a 304. Bytes sent are counted per coding, for the benchmark's report
 * (a GET of `/bench/sent` on any port answers them as JSON).
 *
 * A GET of `/bench/change` on a peer's port changes that peer's catalogue (a new stock on one item, a new ETag), so
 * that the benchmark can time what follows a sync that changed something.
 *
 * Prints one JSON line ({@link PeersReady}), including what the benchmark's federated query must return,
 * then serves until its standard input closes.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { haversineKm } from '../server/federation/federation-service.js';
import { chooseCoding, compress, variantEtag, type ChosenCoding } from '../server/http/compress.js';
import { generateCatalog, prng } from './catalog-generator.js';
import { narrowerClosure } from './harness.js';

/** One peer as the benchmark registers it. */
export interface PeerInfo {
  readonly name: string;
  /** Its catalogue URL. */
  readonly url: string;
  readonly origin: string;
  readonly latitude: number;
  readonly longitude: number;
  readonly postcode: string;
  readonly bytes: number;
}

/** What this script prints once every peer listens. */
export interface PeersReady {
  readonly peers: readonly PeerInfo[];
  readonly offers: number;
  /** The benchmark's federated query and what it must find. */
  readonly query: {
    readonly type: string;
    readonly near: string;
    readonly radiusKm: number;
    /** Peers whose address is within the radius. */
    readonly origins: readonly string[];
    /** Offers of those peers whose product type is the query's type or a narrower one. */
    readonly matches: number;
  };
  readonly bytes: number;
  /** The same bodies compressed, brotli and gzip. */
  readonly brBytes: number;
  readonly gzipBytes: number;
  /** Time to render and compress every body. */
  readonly renderMs: number;
  readonly pid: number;
}

/** Centre of the region (Limoges) and of the query. */
const CENTRE = { lat: 45.83, lon: 1.26 } as const;
const QUERY_TYPE = 'vegetable';
const RADIUS_KM = 50;



interface Rendered {
  readonly body: Buffer;
  readonly br: Buffer;
  readonly gzip: Buffer;
  readonly etag: string;
  readonly path: string;
}

/** Bytes of catalogue bodies sent so far, per coding. */
export type SentBytes = Record<ChosenCoding, number>;
const sent: SentBytes = { identity: 0, br: 0, gzip: 0 };

const [peersArg, offersArg] = process.argv.slice(2);
if (peersArg === undefined || offersArg === undefined) throw new Error('usage: federation-peers.ts PEERS OFFERS');
const peerCount = Number(peersArg);
const offers = Number(offersArg);

// One server per port; the port tells the peer apart.
const servers: Server[] = [];
const byPort = new Map<number, Rendered>();
/** How each peer's catalogue is built again with a change (see `/bench/change`). */
const rebuilders = new Map<number, () => Promise<Rendered>>();
const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void => {
  if (req.url === '/bench/sent') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(sent));
    return;
  }
  if (req.url === '/bench/change') {
    // The catalogue of the peer on this port changes: its first stocked item gets a new stock (a new ETag).
    const port = req.socket.localPort ?? 0;
    const rebuild = rebuilders.get(port);
    if (rebuild === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no peer on this port');
      return;
    }
    rebuild().then((rendered) => {
      byPort.set(port, rendered);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ etag: rendered.etag }));
    }, (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error)));
    return;
  }
  const page = byPort.get(req.socket.localPort ?? 0);
  if (page === undefined || req.method !== 'GET' || (req.url ?? '').split('?')[0] !== page.path) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  const coding = chooseCoding(req.headers['accept-encoding']);
  const etag = variantEtag(page.etag, coding);
  const ifNoneMatch = req.headers['if-none-match']?.split(',').map((t) => t.trim().replace(/^W\//u, ''));
  if (ifNoneMatch?.includes(etag) === true) {
    res.writeHead(304, { etag, vary: 'Accept-Encoding' }).end();
    return;
  }
  const body = coding === 'identity' ? page.body : page[coding];
  sent[coding] += body.length;
  res.writeHead(200, {
    'content-type': 'application/ld+json', 'content-length': body.length, etag, vary: 'Accept-Encoding',
    ...(coding !== 'identity' ? { 'content-encoding': coding } : {}),
  }).end(body);
};
for (let i = 0; i < peerCount; i++) {
  const server = createServer(handler);
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  servers.push(server);
}

const started = performance.now();
const random = prng(2024);
const vegetables = narrowerClosure(QUERY_TYPE);
const peers: PeerInfo[] = [];
const near: string[] = [];
let matches = 0;
let totalBytes = 0;
let totalBr = 0;
let totalGzip = 0;
for (const [i, server] of servers.entries()) {
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  const enterpriseId = 20001 + i;
  const generate = (): ReturnType<typeof generateCatalog> => generateCatalog(offers, { baseUrl: `${origin}/api/dfc`, enterpriseId, seed: i + 1 });
  const catalog = generate();
  const [enterprise, ...rest] = catalog['@graph'];
  if (enterprise === undefined || enterprise['@type'] !== 'dfc-b:Enterprise') throw new Error('the generated catalogue has no enterprise node first');
  const enterpriseIri = enterprise['@id'] as string;
  // Spread over about ±1.35° of latitude (±150 km) and ±1.9° of longitude (±150 km), 4 decimals like a geocoder.
  const latitude = Math.round((CENTRE.lat + (random() * 2 - 1) * 1.35) * 1e4) / 1e4;
  const longitude = Math.round((CENTRE.lon + (random() * 2 - 1) * 1.9) * 1e4) / 1e4;
  const postcode = `${[87, 19, 23, 24, 16, 86, 36][Math.floor(random() * 7)]}${String(Math.floor(random() * 1000)).padStart(3, '0')}`;
  const addressIri = `${enterpriseIri}/address`;
  // The generator's nodes are kept as they are; the enterprise is copied with a link to its address.
  const graph = [
    { ...enterprise, 'dfc-b:hasAddress': addressIri },
    {
      '@id': addressIri, '@type': 'dfc-b:Address', 'dfc-b:hasStreet': `${i + 1} route de la Ferme`, 'dfc-b:hasPostalCode': postcode,
      'dfc-b:hasCity': `Commune ${i + 1}`, 'dfc-b:hasCountry': 'http://publications.europa.eu/resource/authority/country/FRA',
      'dfc-b:latitude': latitude, 'dfc-b:longitude': longitude,
    },
    ...rest,
  ];
  if (haversineKm(CENTRE.lat, CENTRE.lon, latitude, longitude) <= RADIUS_KM) {
    near.push(origin);
    for (const node of rest) {
      const type = node['dfc-b:hasType'];
      if (node['@type'] === 'dfc-b:SuppliedProduct' && typeof type === 'string' && vegetables.has(type.replace(/^dfc-pt:/u, ''))) matches++;
    }
  }
  const path = `/api/dfc/enterprises/${enterpriseId}/catalog_items`;
  // Only the context and the enterprise's two nodes are kept for a rebuild, not the catalogue's graph.
  const context = catalog['@context'];
  const renderGraph = async (nodes: readonly Record<string, unknown>[]): Promise<Rendered> => {
    const body = Buffer.from(JSON.stringify({ '@context': context, '@graph': nodes }), 'utf8');
    const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
    const [br, gzip] = await Promise.all([compress(body, 'br', 'cached'), compress(body, 'gzip', 'cached')]);
    return { body, br, gzip, etag, path };
  };
  const rendered = await renderGraph(graph);
  byPort.set(port, rendered);
  const { body, br, gzip } = rendered;
  const head = graph.slice(0, 2) as Record<string, unknown>[];
  let changes = 0;
  rebuilders.set(port, () => {
    // Built again from the same seed (the graph is not kept: a thousand peers' graphs would fill memory), then changed.
    const [, ...again] = generate()['@graph'];
    const nodes = [...head, ...again];
    const item = nodes.find((n) => n['@type'] === 'dfc-b:CatalogItem' && typeof n['dfc-b:stockLimitation'] === 'number');
    if (item !== undefined) item['dfc-b:stockLimitation'] = 1000 + ++changes;
    return renderGraph(nodes);
  });
  totalBr += br.length;
  totalGzip += gzip.length;
  totalBytes += body.length;
  peers.push({ name: `peer-${String(i + 1).padStart(3, '0')}`, url: `${origin}${path}`, origin, latitude, longitude, postcode, bytes: body.length });
}
const renderMs = performance.now() - started;

const shutdown = (): void => {
  for (const server of servers) {
    server.close();
    server.closeAllConnections();
  }
  process.exit(0);
};
process.stdin.on('end', shutdown);
process.stdin.on('error', shutdown);
process.stdin.resume();
process.on('SIGTERM', shutdown);

const ready: PeersReady = {
  peers, offers,
  query: { type: QUERY_TYPE, near: `${CENTRE.lat},${CENTRE.lon}`, radiusKm: RADIUS_KM, origins: near, matches },
  bytes: totalBytes, brBytes: totalBr, gzipBytes: totalGzip, renderMs, pid: process.pid,
};
console.log(JSON.stringify(ready));
