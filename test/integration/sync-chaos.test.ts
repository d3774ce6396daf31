/**
 * The sync engine against misbehaving peers: real loopback servers, a real node with its own SQLite file.
 * Each chaos peer must fail only itself, with a clear failure kind and within the deadline; healthy peers sync
 * fully; a peer claiming another peer's `@id`s never wins over it.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DfcRecord, OfferRecord, SuppliedProductRecord } from '../../ontology/records.js';
import { issueToken, SCOPES } from '../../server/auth/tokens.js';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/logging.js';
import { startNode, type RunningNode } from '../../server/main.js';
import type { PeerRow, QuarantinedRecord, SyncSummary } from '../../server/store/federation.js';
import type { PeerSyncOutcome } from '../../server/sync/sync-engine.js';
import { startFakePeer, type FakePeer, type FakePeerHandler } from '../helpers/fake-peer.js';
import { readRows } from '../helpers/sqlite.js';

// ---------------------------------------------------------------------------------------------------------
// Loopback servers

/** The fake peers of the suite, closed after it. */
const servers: FakePeer[] = [];

async function startServer(handler: FakePeerHandler): Promise<FakePeer> {
  const peer = await startFakePeer(handler);
  servers.push(peer);
  return peer;
}

async function closeServers(): Promise<void> {
  for (const peer of servers.splice(0)) await peer.close();
}

// ---------------------------------------------------------------------------------------------------------
// DFC 1.16 catalogues

interface Item {
  readonly slug: string;
  readonly name: string;
  readonly price: number;
  readonly stock: number;
}

const CONTEXT = 'https://w3id.org/dfc/ontology/context/context_1.16.0.json';
/** A resource under the node's own base URL. */
const HIJACK = 'http://node.test/api/dfc/enterprises/epicerie/supplied_products/hijack';

const ids = (origin: string, enterprise: string, slug: string): { product: string; item: string; offer: string } => {
  const e = `${origin}/api/dfc/enterprises/${enterprise}`;
  return { product: `${e}/supplied_products/${slug}`, item: `${e}/catalog_items/${slug}`, offer: `${e}/offers/${slug}` };
};

/** The product, catalog item and offer nodes of one item, under `origin`. */
function itemNodes(origin: string, enterprise: string, item: Item): Record<string, unknown>[] {
  const e = `${origin}/api/dfc/enterprises/${enterprise}`;
  const id = ids(origin, enterprise, item.slug);
  return [
    { '@id': id.product, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': item.name, 'dfc-b:suppliedBy': e },
    {
      '@id': id.item, '@type': 'dfc-b:CatalogItem', 'dfc-b:references': id.product, 'dfc-b:sku': item.slug.toUpperCase(),
      'dfc-b:stockLimitation': item.stock, 'dfc-b:offeredThrough': id.offer, 'dfc-b:managedBy': e,
    },
    {
      '@id': id.offer, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': id.item,
      'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': item.price, 'dfc-b:hasUnit': 'dfc-m:Euro' },
    },
  ];
}

/** A whole catalogue: the enterprise, its address, and its items. */
function catalogue(origin: string, enterprise: string, items: readonly Item[]): string {
  const e = `${origin}/api/dfc/enterprises/${enterprise}`;
  const address = `${origin}/api/dfc/addresses/${enterprise}`;
  return JSON.stringify({
    '@context': CONTEXT,
    '@graph': [
      {
        '@id': e, '@type': 'dfc-b:Enterprise', 'dfc-b:name': enterprise, 'dfc-b:hasAddress': address,
        'dfc-b:supplies': items.map((i) => ids(origin, enterprise, i.slug).product),
        'dfc-b:manages': items.map((i) => ids(origin, enterprise, i.slug).item),
      },
      {
        '@id': address, '@type': 'dfc-b:Address', 'dfc-b:hasStreet': '1 place du Marché', 'dfc-b:hasPostalCode': '87000',
        'dfc-b:hasCity': 'Limoges', 'dfc-b:latitude': 45.83, 'dfc-b:longitude': 1.26,
      },
      ...items.flatMap((i) => itemNodes(origin, enterprise, i)),
    ],
  });
}

/** A peer serving one document at `/catalog`, with a strong ETag and 304 on If-None-Match. */
interface StaticPeer extends FakePeer {
  doc: { body: string; etag: string };
  readonly url: string;
}

async function startStaticPeer(body: (origin: string) => string): Promise<StaticPeer> {
  let peer: StaticPeer | undefined;
  const server = await startServer((req, res) => {
    const current = (peer as StaticPeer).doc;
    if (req.url !== '/catalog') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    } else if (req.headers['if-none-match'] === current.etag) {
      res.writeHead(304, { etag: current.etag }).end();
    } else {
      res.writeHead(200, { 'content-type': 'application/ld+json', 'content-length': Buffer.byteLength(current.body), etag: current.etag });
      res.end(current.body);
    }
  });
  peer = Object.assign(server, { doc: { body: body(server.base), etag: '"v1"' }, url: `${server.base}/catalog` });
  return peer;
}

// ---------------------------------------------------------------------------------------------------------
// Reading the node

interface ResourceRow {
  peer_id: number; iri: string; kind: string; record: string; hash: string; authoritative: number; source_url: string;
  first_seen_at: string; updated_at: string; missing_since: string | null; withdrawn_at: string | null;
}

describe('sync against misbehaving peers (chaos)', function () {
  this.timeout(20_000);

  let dir: string;
  let node: RunningNode;
  let db: string;
  let admin: string;
  let enterpriseToken: string;
  let healthyA: StaticPeer;
  let healthyB: StaticPeer;
  let chaos: FakePeer;
  let flakyBroken = true;
  const peerIds = new Map<string, number>();
  let firstRun: { outcomes: PeerSyncOutcome[]; ms: number };

  const A_ITEMS: Item[] = [
    { slug: 'pommes', name: 'Pommes Reinette', price: 2.4, stock: 30 },
    { slug: 'poires', name: 'Poires Conférence', price: 3.1, stock: 12 },
    { slug: 'noix', name: 'Noix de Corrèze', price: 7.5, stock: 8 },
  ];
  const B_ITEMS: Item[] = [
    { slug: 'pain', name: 'Pain de campagne', price: 3.2, stock: 20 },
    { slug: 'brioche', name: 'Brioche au beurre', price: 5.4, stock: 6 },
    { slug: 'fouace', name: 'Fouace', price: 6, stock: 4 },
  ];
  const INVALID_ITEMS: Item[] = [
    { slug: 'miel', name: 'Miel de châtaignier', price: 9, stock: 10 },
    { slug: 'gelee', name: 'Gelée royale', price: -4, stock: 3 },
    { slug: 'cire', name: 'Bougie en cire', price: 4.5, stock: 10 },
  ];

  async function api(method: string, path: string, init: { token?: string; body?: unknown } = {}): Promise<{ status: number; type: string; json: <T>() => T }> {
    const headers: Record<string, string> = {};
    if (init.token !== undefined) headers['authorization'] = `Bearer ${init.token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${node.url}${path}`, {
      method, headers, ...(init.body !== undefined ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, type: response.headers.get('content-type') ?? '', json: <T>() => JSON.parse(text) as T };
  }

  /** Syncs one peer now through the API (the route reads the peer's current row). */
  async function syncPeer(name: string): Promise<{ ok: boolean; summary?: SyncSummary; failure?: { kind: string; message: string } }> {
    const response = await api('POST', `/api/sync/peers/${id(name)}/sync`, { token: admin });
    expect(response.status).to.equal(200);
    return response.json();
  }

  async function peerRow(name: string): Promise<PeerRow> {
    const peer = await node.store.provenance.getPeer(id(name));
    if (peer === undefined) expect.fail(`no peer ${name}`);
    return peer;
  }

  function id(name: string): number {
    const value = peerIds.get(name);
    if (value === undefined) expect.fail(`peer ${name} was not added`);
    return value;
  }

  /** The federated catalogue, decoded: product names and offer prices by `@id`. */
  async function federated(): Promise<{ names: Map<string, string | undefined>; prices: Map<string, number | undefined>; records: DfcRecord[] }> {
    const response = await fetch(`${node.url}/api/federation/catalog`, { headers: { accept: 'application/ld+json' } });
    expect(response.status).to.equal(200);
    const decoded = await node.decoder.decode(await response.text(), { mediaType: 'application/ld+json' });
    expect(decoded.rejected, 'the federated catalogue decodes cleanly').to.deep.equal([]);
    const names = new Map<string, string | undefined>();
    const prices = new Map<string, number | undefined>();
    for (const record of decoded.records) {
      if (record.kind === 'SuppliedProduct') names.set(record.id, (record as SuppliedProductRecord).name);
      if (record.kind === 'Offer') prices.set(record.id, (record as OfferRecord).price?.value);
    }
    return { names, prices, records: decoded.records };
  }

  const dumpResources = (): Promise<ResourceRow[]> => readRows<ResourceRow>(db, 'SELECT * FROM peer_resources ORDER BY peer_id, iri');

  before(async () => {
    healthyA = await startStaticPeer((origin) => catalogue(origin, 'ferme-a', A_ITEMS));
    healthyB = await startStaticPeer((origin) => catalogue(origin, 'fournil-b', B_ITEMS));
    chaos = await startServer((req, res, self) => {
      const send = (status: number, type: string, body: string): void => {
        res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) }).end(body);
      };
      switch (req.url) {
        case '/slow': {
          // Headers only after 5 s: far beyond the 1.5 s deadline.
          const timer = setTimeout(() => send(200, 'application/ld+json', catalogue(self.base, 'slow', A_ITEMS)), 5_000);
          res.on('close', () => clearTimeout(timer));
          return;
        }
        case '/trickle': {
          const body = catalogue(self.base, 'trickle', A_ITEMS);
          res.writeHead(200, { 'content-type': 'application/ld+json', 'content-length': Buffer.byteLength(body) });
          let at = 0;
          const timer = setInterval(() => {
            if (at < body.length) res.write(body.charAt(at++));
          }, 200);
          res.on('close', () => clearInterval(timer));
          return;
        }
        case '/error':
          return send(500, 'text/plain', 'Internal Server Error: the database went away');
        case '/html':
          return send(200, 'text/html; charset=utf-8', '<!doctype html><html><body><form>Log in</form></body></html>');
        case '/truncated': {
          const body = catalogue(self.base, 'truncated', A_ITEMS);
          res.writeHead(200, { 'content-type': 'application/ld+json', 'content-length': Buffer.byteLength(body) });
          res.write(body.slice(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
          return;
        }
        case '/huge': {
          // Chunked (no Content-Length), so the limit must hold while streaming: 300 kB against 200 kB.
          res.writeHead(200, { 'content-type': 'application/ld+json' });
          const chunk = `${' '.repeat(10_239)}\n`;
          let sent = 0;
          const pump = (): void => {
            while (sent < 30 && !res.destroyed) {
              sent += 1;
              if (!res.write(chunk)) {
                res.once('drain', pump);
                return;
              }
            }
            if (!res.destroyed) res.end();
          };
          pump();
          return;
        }
        case '/loop':
          res.writeHead(302, { location: '/loop' }).end();
          return;
        case '/invalid':
          return send(200, 'application/ld+json', catalogue(self.base, 'rucher', INVALID_ITEMS));
        case '/claimer': {
          // Claims two of A's items under A's @ids, with other names and prices.
          // And one product under our own node's base, which no peer may write.
          const claimed = A_ITEMS.slice(0, 2).map((i) => ({ ...i, name: `${i.name} (CLAIMED)`, price: i.price + 10 }));
          return send(200, 'application/ld+json', JSON.stringify({
            '@context': CONTEXT,
            '@graph': [
              ...claimed.flatMap((i) => itemNodes(healthyA.base, 'ferme-a', i)),
              { '@id': HIJACK, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Hijacked' },
            ],
          }));
        }
        case '/sameas': {
          // Its own product (under its own origin, so authoritative) declared owl:sameAs B's "pain", cheaper.
          const e = `${self.base}/api/dfc/enterprises/copycat`;
          const copy = itemNodes(self.base, 'copycat', { slug: 'pain', name: 'COPYCAT pain', price: 0.5, stock: 3 });
          copy[0] = { ...copy[0], 'http://www.w3.org/2002/07/owl#sameAs': { '@id': ids(healthyB.base, 'fournil-b', 'pain').product } };
          return send(200, 'application/ld+json', JSON.stringify({
            '@context': CONTEXT, '@graph': [{ '@id': e, '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Copycat' }, ...copy],
          }));
        }
        case '/flaky':
          if (flakyBroken) return send(503, 'text/plain', 'maintenance');
          return send(200, 'application/ld+json', catalogue(self.base, 'flaky', [{ slug: 'oeufs', name: 'Œufs', price: 3.6, stock: 24 }]));
        default:
          return send(404, 'text/plain', 'not found');
      }
    });

    dir = mkdtempSync(join(tmpdir(), 'maillon-chaos-'));
    const env: NodeJS.ProcessEnv = {
      MAILLON_ALLOW_PRIVATE: '1', MAILLON_SYNC_SCHEDULE: 'off', MAILLON_LOG_LEVEL: 'silent', MAILLON_FETCH_TIMEOUT: '1500',
      MAILLON_MAX_RESPONSE_BYTES: '200000', MAILLON_WITHDRAW_GRACE: '0',
    };
    const config = loadConfig({ port: '0', host: '127.0.0.1', 'data-dir': dir, 'base-url': 'http://node.test', 'allow-private': true }, env);
    expect(config).to.deep.include({ allowPrivate: true, syncSchedule: false, fetchTimeoutMs: 1500, maxResponseBytes: 200_000, withdrawGraceSeconds: 0 });
    node = await startNode(config, createLogger('silent'));
    db = config.db;
    admin = (await issueToken(node.store, { eid: null, scopes: SCOPES, label: 'admin' })).token;
    await node.catalog.createEnterprise([{
      kind: 'Enterprise', id: 'http://node.test/api/dfc/enterprises/epicerie' as never, name: 'Épicerie', supplies: [], manages: [],
      maintains: [], customerCategories: [], affiliates: [],
    }], { eid: 'epicerie' });
    enterpriseToken = (await issueToken(node.store, { eid: 'epicerie', scopes: SCOPES })).token;

    const peers: [string, string][] = [
      ['a', healthyA.url], ['b', healthyB.url],
      ...['slow', 'trickle', 'error', 'html', 'truncated', 'huge', 'loop', 'invalid', 'claimer', 'flaky'].map((n): [string, string] => [n, `${chaos.base}/${n}`]),
    ];
    for (const [name, url] of peers) {
      const response = await api('POST', '/api/sync/peers', { token: admin, body: { url, name } });
      expect(response.status, `adding ${name}`).to.equal(201);
      peerIds.set(name, response.json<{ id: number }>().id);
    }

    const started = Date.now();
    const outcomes = await node.scheduler.runNow();
    firstRun = { outcomes, ms: Date.now() - started };
  });

  after(async () => {
    await node?.close();
    await closeServers();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  describe('one run over every peer', () => {
    const outcome = (name: string): PeerSyncOutcome => {
      const found = firstRun.outcomes.find((o) => o.peer.name === name);
      if (found === undefined) expect.fail(`no outcome for ${name}`);
      return found;
    };

    it('syncs every peer once, in bounded time (concurrency and deadline)', () => {
      expect(firstRun.outcomes.map((o) => o.peer.name)).to.deep.equal([...peerIds.keys()]);
      // Two 1.5 s timeouts at most back to back; everything else is loopback-fast.
      expect(firstRun.ms).to.be.below(5_000);
      expect(firstRun.ms).to.be.at.least(1_400); // the slow and trickling peers were waited for, up to the deadline
    });

    const expected: [string, string, number?][] = [
      ['slow', 'timeout'], ['trickle', 'timeout'], ['error', 'http-status', 500], ['html', 'not-dfc'], ['truncated', 'truncated'],
      ['huge', 'too-large'], ['loop', 'too-many-redirects', 302], ['flaky', 'http-status', 503],
    ];
    for (const [name, kind, status] of expected) {
      it(`fails ${name} alone, as ${kind}`, () => {
        const o = outcome(name);
        if (o.ok) expect.fail(`${name} synced: ${JSON.stringify(o.summary)}`);
        expect(o.failure.kind).to.equal(kind);
        expect(o.failure.url).to.match(new RegExp(`^${chaos.base}/${name}`, 'u'));
        expect(o.failure.message).to.be.a('string').and.not.equal('');
        if (status !== undefined) expect(o.failure.status).to.equal(status);
      });
    }

    it('syncs both healthy peers fully', () => {
      for (const name of ['a', 'b']) {
        const o = outcome(name);
        if (!o.ok) expect.fail(`${name} failed: ${JSON.stringify(o.failure)}`);
        // Enterprise, address, and a product, an item and an offer per item.
        expect(o.summary).to.deep.include({ added: 2 + 3 * 3, updated: 0, withdrawn: 0, quarantined: 0, refused: 0, pages: 1, notModified: 0 });
      }
    });

    it('lists every offer of both healthy peers in the federated catalogue, with their names and prices', async () => {
      const { names, prices } = await federated();
      for (const [peer, enterprise, items] of [[healthyA, 'ferme-a', A_ITEMS], [healthyB, 'fournil-b', B_ITEMS]] as const) {
        for (const item of items) {
          const id = ids(peer.base, enterprise, item.slug);
          expect(prices.get(id.offer), id.offer).to.equal(item.price);
          expect(names.get(id.product), id.product).to.equal(item.name);
        }
      }
    });

    it('quarantines the invalid offer and merges the rest of that peer', async () => {
      const o = outcome('invalid');
      if (!o.ok) expect.fail(`invalid failed as a whole: ${JSON.stringify(o.failure)}`);
      expect(o.summary).to.deep.include({ quarantined: 1, added: 2 + 3 * 3 - 1 });
      const { prices, names } = await federated();
      const bad = ids(chaos.base, 'rucher', 'gelee');
      expect(prices.has(bad.offer)).to.equal(false);
      for (const item of INVALID_ITEMS.filter((i) => i.price >= 0)) {
        expect(prices.get(ids(chaos.base, 'rucher', item.slug).offer)).to.equal(item.price);
      }
      // The item and product of the bad offer are valid: they are kept, without a price.
      expect(names.get(bad.product)).to.equal('Gelée royale');
    });

    it('never lets the claimer win over the origin of the @ids it claims', async () => {
      const o = outcome('claimer');
      if (!o.ok) expect.fail(`claimer failed: ${JSON.stringify(o.failure)}`);
      const { names, prices } = await federated();
      for (const item of A_ITEMS) {
        const id = ids(healthyA.base, 'ferme-a', item.slug);
        expect(names.get(id.product)).to.equal(item.name);
        expect(prices.get(id.offer)).to.equal(item.price);
      }
      const text = JSON.stringify([...names.values()]);
      expect(text).not.to.include('CLAIMED');
      expect(o.summary).to.deep.include({ added: 6, refused: 0, quarantined: 0, ownSkipped: 1 });
    });

    it('skips what the claimer says about our own node: kept nowhere, counted apart, not quarantined', async () => {
      expect(await node.store.provenance.quarantine(id('claimer'))).to.deep.equal([]);
      const rows = await readRows(db, `SELECT iri FROM peer_resources WHERE iri = '${HIJACK}'`);
      expect(rows).to.deep.equal([]);
    });

    it('keeps the claimer copies, flagged as relayed', async () => {
      const rows = await readRows<{ iri: string; authoritative: number; record: string }>(db,
        `SELECT iri, authoritative, record FROM peer_resources WHERE peer_id = ${id('claimer')} ORDER BY iri`);
      expect(rows).to.have.length(6);
      expect(rows.every((r) => r.authoritative === 0)).to.equal(true);
      expect(rows.every((r) => r.iri.startsWith(`${healthyA.base}/`))).to.equal(true);
      expect(rows.some((r) => r.record.includes('(CLAIMED)'))).to.equal(true);
      const origin = await readRows<{ authoritative: number }>(db, `SELECT authoritative FROM peer_resources WHERE peer_id = ${id('a')}`);
      expect(origin.every((r) => r.authoritative === 1)).to.equal(true);
    });

    it('leaves a failed peer with nothing stored', async () => {
      const rows = await readRows<{ n: number }>(db,
        `SELECT COUNT(*) AS n FROM peer_resources WHERE peer_id IN (${['slow', 'trickle', 'error', 'html', 'truncated', 'huge', 'loop', 'flaky'].map(id).join(',')})`);
      expect(rows[0]?.n).to.equal(0);
    });
  });

  describe('peers API', () => {
    it('GET /api/sync/status lists every peer with its status and last error', async () => {
      const response = await api('GET', '/api/sync/status', { token: admin });
      expect(response.status).to.equal(200);
      const body = response.json<{ running: number[]; peers: { id: number; name: string; status: string; lastError: string | null; failures: number }[] }>();
      expect(body.peers.map((p) => p.name)).to.deep.equal([...peerIds.keys()]);
      const byName = new Map(body.peers.map((p) => [p.name, p]));
      for (const name of ['a', 'b', 'invalid', 'claimer']) {
        expect(byName.get(name)).to.deep.include({ status: 'ok', lastError: null, failures: 0 });
      }
      for (const [name, kind] of [['slow', 'timeout'], ['trickle', 'timeout'], ['error', 'http-status'], ['html', 'not-dfc'],
        ['truncated', 'truncated'], ['huge', 'too-large'], ['loop', 'too-many-redirects']] as const) {
        expect(byName.get(name)?.status, name).to.equal('failed');
        expect(byName.get(name)?.lastError, name).to.match(new RegExp(`^${kind}: `, 'u'));
      }
    });

    it('GET /api/sync/status needs the admin token, like the rest of the peers API', async () => {
      // The router is documented "node admin only", and the status shows peer URLs and their errors.
      expect((await api('GET', '/api/sync/status')).status).to.equal(401);
      expect((await api('GET', '/api/sync/status', { token: enterpriseToken })).status).to.equal(403);
    });

    it('GET /api/sync/peers/{id} shows the quarantine with the codec problem report', async () => {
      const response = await api('GET', `/api/sync/peers/${id('invalid')}`, { token: admin });
      expect(response.status).to.equal(200);
      const body = response.json<{ name: string; hasToken: boolean; token?: unknown; resources: { active: number }; quarantine: QuarantinedRecord[] }>();
      expect(body).to.deep.include({ name: 'invalid', hasToken: false });
      expect(body).not.to.have.property('token');
      expect(body.resources.active).to.equal(2 + 3 * 3 - 1);
      const bad = ids(chaos.base, 'rucher', 'gelee').offer;
      expect(body.quarantine).to.have.length(1);
      expect(body.quarantine[0]).to.deep.include({ iri: bad, type: 'dfc-b:Offer' });
      expect(body.quarantine[0]?.problems).to.deep.equal([{
        code: 'out-of-range', id: bad, type: 'dfc-b:Offer', path: 'dfc-b:hasPrice/dfc-b:value', message: 'price must not be negative', severity: 'error',
      }]);
    });

    it('GET /api/sync/peers/{id} is for the admin only, and 404 for an unknown peer', async () => {
      expect((await api('GET', `/api/sync/peers/${id('invalid')}`)).status).to.equal(401);
      expect((await api('GET', `/api/sync/peers/${id('invalid')}`, { token: enterpriseToken })).status).to.equal(403);
      expect((await api('GET', '/api/sync/peers/9999', { token: admin })).status).to.equal(404);
    });

    describe('POST /api/sync/peers validation', () => {
      const cases: [string, unknown, number][] = [
        ['missing url', { name: 'nourl' }, 422],
        ['ftp URL', { url: 'ftp://127.0.0.1/catalog', name: 'ftp' }, 422],
        ['not a URL', { url: 'catalog.json', name: 'relative' }, 422],
        ['bad interval', { url: 'http://127.0.0.1:9/x', name: 'interval', interval: 'soon' }, 422],
        ['bad profile', { url: 'http://127.0.0.1:9/x', name: 'profile', profile: 'dfc-v3' }, 422],
        ['our own base', { url: 'http://node.test/api/dfc/enterprises', name: 'self' }, 422],
        ['malformed JSON', '{"url": ', 400],
      ];
      for (const [what, body, status] of cases) {
        it(`answers ${status} to ${what}, as problem+json`, async () => {
          const response = await api('POST', '/api/sync/peers', { token: admin, body });
          expect(response.status).to.equal(status);
          expect(response.type).to.match(/^application\/problem\+json/u);
        });
      }

      it('answers 409 to a duplicate URL or name', async () => {
        expect((await api('POST', '/api/sync/peers', { token: admin, body: { url: healthyA.url, name: 'another' } })).status).to.equal(409);
        expect((await api('POST', '/api/sync/peers', { token: admin, body: { url: `${healthyA.base}/other`, name: 'a' } })).status).to.equal(409);
      });

      it('answers 401 without a token and 403 to an enterprise token', async () => {
        const body = { url: `${healthyA.base}/other`, name: 'other' };
        expect((await api('POST', '/api/sync/peers', { body })).status).to.equal(401);
        expect((await api('POST', '/api/sync/peers', { token: enterpriseToken, body })).status).to.equal(403);
      });

      it('added no peer on any refusal', async () => {
        expect((await node.store.provenance.listPeers()).map((p) => p.name)).to.deep.equal([...peerIds.keys()]);
      });
    });
  });

  describe('copies of another peer\'s product', () => {
    it('a peer declaring owl:sameAs to another peer\'s product never wins over that product\'s origin: both are listed', async () => {
      const response = await api('POST', '/api/sync/peers', { token: admin, body: { url: `${chaos.base}/sameas`, name: 'sameas' } });
      expect(response.status).to.equal(201);
      const sameasId = response.json<{ id: number }>().id;
      try {
        const result = await api('POST', `/api/sync/peers/${sameasId}/sync`, { token: admin });
        expect(result.json<{ ok: boolean }>().ok).to.equal(true);
        const { names, prices } = await federated();
        const pain = ids(healthyB.base, 'fournil-b', 'pain');
        // B is the origin of the product the copy says it is the same as: B's name and price must stay.
        expect(names.get(pain.product), 'B\'s own product').to.equal('Pain de campagne');
        expect(prices.get(pain.offer), 'B\'s own offer').to.equal(3.2);
        // A one-sided owl:sameAs is a claim (B does not name the copy back): the copy is listed as the copycat's
        // own product, next to B's, and hides nothing.
        const copy = ids(chaos.base, 'copycat', 'pain');
        expect(names.get(copy.product), 'the copy, as its own product').to.equal('COPYCAT pain');
        expect(prices.get(copy.offer), 'the copy\'s offer').to.equal(0.5);
      } finally {
        expect((await api('DELETE', `/api/sync/peers/${sameasId}`, { token: admin })).status).to.equal(204);
      }
      // With the copy gone, B's product is back (the rest of this file relies on it).
      expect((await federated()).names.get(ids(healthyB.base, 'fournil-b', 'pain').product)).to.equal('Pain de campagne');
    });
  });

  describe('backoff', () => {
    /** Full jitter in [delay/2, delay) after the attempt; the sync itself takes a little time. */
    function expectDelay(peer: PeerRow, failures: number): number {
      expect(peer.failures).to.equal(failures);
      expect(peer.status).to.equal('failed');
      const delay = Math.min(300_000, 30_000 * 2 ** (failures - 1));
      const gap = Date.parse(peer.nextAttemptAt ?? '') - Date.parse(peer.lastAttemptAt ?? '');
      expect(gap, `after ${failures} failure(s)`).to.be.within(delay / 2, delay + 1_000);
      return Date.parse(peer.nextAttemptAt ?? '');
    }

    it('counts failures and moves the next attempt further out each time, up to the interval', async () => {
      let previous = expectDelay(await peerRow('error'), 1);
      for (let failures = 2; failures <= 6; failures++) {
        const result = await syncPeer('error');
        expect(result.ok).to.equal(false);
        expect(result.failure?.kind).to.equal('http-status');
        const next = expectDelay(await peerRow('error'), failures);
        // The delay doubles until it reaches the peer's interval (300 s): strictly later until then.
        if (failures <= 4) expect(next).to.be.above(previous);
        previous = next;
      }
    });

    it('resets failures to 0 and the status to ok on a success', async () => {
      expectDelay(await peerRow('flaky'), 1);
      expect((await syncPeer('flaky')).ok).to.equal(false);
      expectDelay(await peerRow('flaky'), 2);
      flakyBroken = false;
      const result = await syncPeer('flaky');
      expect(result.ok).to.equal(true);
      const peer = await peerRow('flaky');
      expect(peer).to.deep.include({ status: 'ok', failures: 0, lastError: null });
      expect(peer.lastSuccessAt).to.equal(peer.lastAttemptAt);
      // Next attempt: one interval (300 s) later, moved by up to ±5 % (the schedule's jitter).
      const gap = Date.parse(peer.nextAttemptAt ?? '') - Date.parse(peer.lastAttemptAt ?? '');
      expect(gap).to.be.within(285_000, 316_000);
      const { prices } = await federated();
      expect(prices.get(ids(chaos.base, 'flaky', 'oeufs').offer)).to.equal(3.6);
    });

    it('keeps the previous snapshot of a peer that fails again', async () => {
      const before = await dumpResources();
      flakyBroken = true;
      expect((await syncPeer('flaky')).ok).to.equal(false);
      expectDelay(await peerRow('flaky'), 1);
      expect(await dumpResources()).to.deep.equal(before);
      const { prices } = await federated();
      expect(prices.get(ids(chaos.base, 'flaky', 'oeufs').offer)).to.equal(3.6);
      expect((await peerRow('flaky')).lastSummary).to.deep.include({ added: 2 + 3 }); // the last success's summary is kept
    });
  });

  describe('idempotence', () => {
    it('a second sync of an unchanged peer (304) writes nothing', async () => {
      const before = await dumpResources();
      const sourcesBefore = await readRows(db, 'SELECT * FROM peer_sources ORDER BY peer_id, url');
      const hits = healthyA.hits.length;
      const result = await syncPeer('a');
      expect(result.ok).to.equal(true);
      expect(healthyA.hits.slice(hits).map((h) => h.headers['if-none-match'])).to.deep.equal(['"v1"']);
      const summary = result.summary as SyncSummary;
      expect(summary).to.deep.include({ added: 0, updated: 0, withdrawn: 0, notModified: summary.pages });
      expect(summary.pages).to.equal(1);
      expect(await dumpResources()).to.deep.equal(before);
      expect(await readRows(db, 'SELECT * FROM peer_sources ORDER BY peer_id, url')).to.deep.equal(sourcesBefore);
    });

    it('the same records sent again with a new ETag are unchanged: no row rewritten', async () => {
      const before = await dumpResources();
      healthyB.doc = { ...healthyB.doc, etag: '"v1-again"' };
      const result = await syncPeer('b');
      expect(result.ok).to.equal(true);
      expect(result.summary).to.deep.include({ added: 0, updated: 0, withdrawn: 0, unchanged: 11, notModified: 0 });
      expect(await dumpResources()).to.deep.equal(before);
    });
  });

  describe('withdrawal', () => {
    const fouace = (): { product: string; item: string; offer: string } => ids(healthyB.base, 'fournil-b', 'fouace');

    it('flags a dropped product withdrawn (row kept) and takes it out of the federated catalogue', async () => {
      healthyB.doc = { body: catalogue(healthyB.base, 'fournil-b', B_ITEMS.filter((i) => i.slug !== 'fouace')), etag: '"v2"' };
      const result = await syncPeer('b');
      expect(result.ok).to.equal(true);
      // The enterprise's supplies/manages are not kept from peers (they are derived), so it is unchanged.
      expect(result.summary).to.deep.include({ withdrawn: 3, added: 0, updated: 0 });
      const rows = await readRows<ResourceRow>(db,
        `SELECT * FROM peer_resources WHERE peer_id = ${id('b')} AND iri IN ('${fouace().product}', '${fouace().item}', '${fouace().offer}')`);
      expect(rows).to.have.length(3);
      for (const row of rows) {
        expect(row.withdrawn_at, row.iri).to.be.a('string');
        expect(row.missing_since, row.iri).to.be.a('string');
      }
      const { names, prices } = await federated();
      expect(prices.has(fouace().offer)).to.equal(false);
      expect(names.has(fouace().product)).to.equal(false);
      expect(prices.get(ids(healthyB.base, 'fournil-b', 'pain').offer)).to.equal(3.2);
      const detail = await api('GET', `/api/sync/peers/${id('b')}`, { token: admin });
      expect(detail.json<{ resources: unknown }>().resources).to.deep.equal({ active: 8, missing: 0, withdrawn: 3 });
    });

    it('restores it when the peer lists it again', async () => {
      healthyB.doc = { body: catalogue(healthyB.base, 'fournil-b', B_ITEMS), etag: '"v3"' };
      const result = await syncPeer('b');
      expect(result.ok).to.equal(true);
      const rows = await readRows<ResourceRow>(db,
        `SELECT * FROM peer_resources WHERE peer_id = ${id('b')} AND (withdrawn_at IS NOT NULL OR missing_since IS NOT NULL)`);
      expect(rows).to.deep.equal([]);
      const { names, prices } = await federated();
      expect(prices.get(fouace().offer)).to.equal(6);
      expect(names.get(fouace().product)).to.equal('Fouace');
    });

    it('a product its origin withdrew does not come back through a relay\'s copy', async () => {
      const pommes = ids(healthyA.base, 'ferme-a', 'pommes');
      const full = healthyA.doc;
      healthyA.doc = { body: catalogue(healthyA.base, 'ferme-a', A_ITEMS.filter((i) => i.slug !== 'pommes')), etag: '"a-without-pommes"' };
      try {
        const result = await syncPeer('a');
        expect(result.summary).to.deep.include({ withdrawn: 3 });
        const { names, prices } = await federated();
        // The origin said it is gone; the claimer's relayed copy (another name, price + 10) must not take its place.
        expect(names.get(pommes.product), 'product name').to.equal(undefined);
        expect(prices.get(pommes.offer), 'offer price').to.equal(undefined);
      } finally {
        healthyA.doc = { ...full, etag: '"a-again"' };
        expect((await syncPeer('a')).ok).to.equal(true);
      }
      expect((await federated()).names.get(pommes.product)).to.equal('Pommes Reinette');
    });
  });

  describe('removing a peer', () => {
    it('needs the admin token', async () => {
      expect((await api('DELETE', `/api/sync/peers/${id('b')}`)).status).to.equal(401);
      expect((await api('DELETE', `/api/sync/peers/${id('b')}`, { token: enterpriseToken })).status).to.equal(403);
    });

    it('removes the peer and everything it brought into the federated catalogue', async () => {
      expect((await api('DELETE', `/api/sync/peers/${id('b')}`, { token: admin })).status).to.equal(204);
      expect((await api('GET', `/api/sync/peers/${id('b')}`, { token: admin })).status).to.equal(404);
      expect((await api('DELETE', `/api/sync/peers/${id('b')}`, { token: admin })).status).to.equal(404);
      const { names, prices } = await federated();
      for (const item of B_ITEMS) {
        expect(prices.has(ids(healthyB.base, 'fournil-b', item.slug).offer)).to.equal(false);
        expect(names.has(ids(healthyB.base, 'fournil-b', item.slug).product)).to.equal(false);
      }
      // The others are still there.
      expect(prices.get(ids(healthyA.base, 'ferme-a', 'noix').offer)).to.equal(7.5);
      const left = await readRows<{ n: number }>(db, `SELECT (SELECT COUNT(*) FROM peer_resources WHERE peer_id = ${id('b')})
        + (SELECT COUNT(*) FROM peer_sources WHERE peer_id = ${id('b')}) + (SELECT COUNT(*) FROM federated_entries WHERE peer_id = ${id('b')}) AS n`);
      expect(left[0]?.n).to.equal(0);
    });
  });
});
