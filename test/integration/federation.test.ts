/**
 * The federation end to end: three real Maillon nodes on loopback (each its own server and SQLite file, each
 * with a base URL equal to its real URL so that every `@id` dereferences), a plain static HTTP server playing
 * an Open Food Network shop, and a static "aggregator" relaying copies of another node's resources.
 *
 *   A: ferme-des-trois-chenes + chevrerie-du-puy
 *   B: fournil-de-la-place + groupement-producteurs-limousins   (withdrawal grace 0)
 *   C: amap-du-vieux-pont + epicerie-du-village                  (sees everything: A, B, the OFN shop, the relay)
 *
 * The expectations are computed from the example network's plain data (`examples/network/data.ts`) and from
 * the OFN fixture, never from what the node answers.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser, type Quad } from 'n3';
import { ENTERPRISES, soldProducts, type EnterpriseData } from '../../examples/network/data.js';
import type { CatalogItemRecord, DfcRecord, OfferRecord, SuppliedProductRecord } from '../../ontology/records.js';
import { DFC_PT_NS, OWL } from '../../ontology/vocabulary.js';
import { CSV_COLUMNS } from '../../server/federation/federation-service.js';
import type { SyncSummary } from '../../server/store/federation.js';
import { startFederationNode, type FederationNode } from '../helpers/federation.js';
import { startStaticPeer, type StaticPeer } from '../helpers/fake-peer.js';
import type { TestResponse } from '../helpers/node.js';
import { parseCsv } from '../helpers/csv.js';

// ------------------------------------------------------------------ constants

const FERME = 'ferme-des-trois-chenes';
const CHEVRERIE = 'chevrerie-du-puy';
const LAYOUT = {
  a: [FERME, CHEVRERIE],
  b: ['fournil-de-la-place', 'groupement-producteurs-limousins'],
  c: ['amap-du-vieux-pont', 'epicerie-du-village'],
} as const;
type NodeName = keyof typeof LAYOUT;
const NODE_NAMES: readonly NodeName[] = ['a', 'b', 'c'];
const EXAMPLES = join(import.meta.dirname, '../../examples/network');
const FIXTURE = join(import.meta.dirname, '../fixtures/ofn-static/catalog.json');
/** The origin the OFN fixture's `@id`s are written under; replaced by the static server's own origin. */
const FIXTURE_ORIGIN = 'http://ofn-static.invalid';
const OFN_CATALOGUE_PATH = '/api/dfc/enterprises/7001/catalog_items';
const CTX_1_16 = 'https://w3id.org/dfc/ontology/context/context_1.16.0.json';
const ALL = 'page_size=10000';
const CSV_HEADER = CSV_COLUMNS.join(',');
const VEGETABLE = `${DFC_PT_NS}vegetable`;
const TOMATO = `${DFC_PT_NS}tomato`;
const GOAT_DAIRY = `${DFC_PT_NS}goat-dairy-product`;
const LIMOGES = { lat: 45.83, lon: 1.26 };

// ------------------------------------------------------------------ the expected offers

/** One offer as the test expects to find it in a federated catalogue. */
interface ExpectedOffer {
  readonly item: string;
  readonly product: string;
  readonly offer: string;
  readonly enterprise: string;
  /** Where it is published: a node, or the static OFN shop. */
  readonly origin: NodeName | 'ofn';
  readonly eid: string;
  readonly name: string;
  readonly description: string;
  readonly type: string;
  /** `null`: on demand. */
  readonly stock: number | null;
  readonly price: number;
  readonly latitude: number;
  readonly longitude: number;
  readonly postcode: string;
}

function exampleEnterprise(slug: string): EnterpriseData {
  const found = ENTERPRISES.find((e) => e.slug === slug);
  if (found === undefined) throw new Error(`no example enterprise ${slug}`);
  return found;
}

/** The offers a node publishes for its example enterprises, with the ids it gives them (`maillon import` keeps the slugs). */
function exampleOffers(origin: NodeName, base: string): ExpectedOffer[] {
  return LAYOUT[origin].flatMap((eid) => {
    const data = exampleEnterprise(eid);
    const enterprise = `${base}/api/dfc/enterprises/${eid}`;
    return soldProducts(data).map((p) => ({
      item: `${enterprise}/catalog_items/${p.slug}`, product: `${enterprise}/supplied_products/${p.slug}`, offer: `${enterprise}/offers/${p.slug}`,
      enterprise, origin, eid, name: p.name, description: p.description, type: `${DFC_PT_NS}${p.type}`, stock: p.stock, price: p.price,
      latitude: data.address.latitude, longitude: data.address.longitude, postcode: data.address.postcode,
    }));
  });
}

type JsonNode = Record<string, unknown>;

/** The OFN fixture with its `@id`s under `origin`. */
function ofnDocument(origin: string): { '@context': string; '@graph': JsonNode[] } {
  return JSON.parse(readFileSync(FIXTURE, 'utf8').replaceAll(FIXTURE_ORIGIN, origin)) as { '@context': string; '@graph': JsonNode[] };
}

/** The offers of the OFN fixture, read from the JSON itself (not through our codec). */
function ofnOffers(origin: string): ExpectedOffer[] {
  const graph = ofnDocument(origin)['@graph'];
  const byId = new Map(graph.map((n) => [n['@id'] as string, n]));
  const enterprise = graph.find((n) => n['@type'] === 'dfc-b:Enterprise') as JsonNode;
  const address = byId.get(enterprise['dfc-b:hasAddress'] as string) as JsonNode;
  return graph.filter((n) => n['@type'] === 'dfc-b:CatalogItem').map((item) => {
    const product = byId.get(item['dfc-b:references'] as string) as JsonNode;
    const offer = byId.get(item['dfc-b:offeredThrough'] as string) as JsonNode;
    const stock = item['dfc-b:stockLimitation'] as number | undefined;
    return {
      item: item['@id'] as string, product: product['@id'] as string, offer: offer['@id'] as string, enterprise: enterprise['@id'] as string,
      origin: 'ofn', eid: '7001', name: product['dfc-b:name'] as string, description: product['dfc-b:description'] as string,
      type: `${DFC_PT_NS}${(product['dfc-b:hasType'] as string).replace(/^dfc-pt:/u, '')}`,
      stock: stock === undefined || stock < 0 ? null : stock,
      price: (offer['dfc-b:hasPrice'] as JsonNode)['dfc-b:value'] as number,
      latitude: address['dfc-b:latitude'] as number, longitude: address['dfc-b:longitude'] as number, postcode: address['dfc-b:hasPostalCode'] as string,
    };
  });
}

// ------------------------------------------------------------------ helpers

/** Our own great-circle distance (spherical Earth, R = 6371 km). */
function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const toRad = (d: number): number => (d * Math.PI) / 180;
  const h = Math.sin(toRad(lat2 - lat1) / 2) ** 2 + Math.cos(toRad(lat1)) * Math.cos(toRad(lat2)) * Math.sin(toRad(lon2 - lon1) / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}

function mediaTypeOf(response: TestResponse): string {
  return (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
}

function expectProblem(response: TestResponse, status: number): void {
  expect(response.status, response.text).to.equal(status);
  expect(mediaTypeOf(response)).to.equal('application/problem+json');
  const problem = response.json<Record<string, unknown>>();
  expect(problem['status']).to.equal(status);
  expect(problem['title']).to.be.a('string').and.not.equal('');
  expect(problem['type']).to.be.a('string').and.not.equal('');
  expect(problem['detail']).to.be.a('string').and.not.equal('');
}

/** The target of a `Link` relation. */
function linkOf(response: TestResponse, rel: string): string | undefined {
  for (const part of (response.headers.get('link') ?? '').split(/,(?=\s*<)/u)) {
    const match = /<([^>]*)>\s*;\s*rel="?([^";]+)"?/u.exec(part.trim());
    if (match !== null && match[2] === rel) return match[1];
  }
  return undefined;
}

/** Decodes an answer with our own codec, expecting no problem at all. */
async function decode(node: FederationNode, response: TestResponse): Promise<DfcRecord[]> {
  expect(response.status, response.text.slice(0, 500)).to.equal(200);
  const result = await node.node.decoder.decode(response.text, { mediaType: mediaTypeOf(response) });
  expect(result.problems, JSON.stringify(result.problems.slice(0, 3))).to.deep.equal([]);
  expect(result.rejected).to.deep.equal([]);
  return result.records;
}

/** The federated catalogue of a node (one page holding everything), decoded. */
async function federated(node: FederationNode, query = ''): Promise<DfcRecord[]> {
  return decode(node, await node.request('GET', `/api/federation/catalog?${ALL}${query === '' ? '' : `&${query}`}`));
}

const itemsOf = (records: readonly DfcRecord[]): CatalogItemRecord[] => records.filter((r): r is CatalogItemRecord => r.kind === 'CatalogItem');
const sorted = (values: Iterable<string>): string[] => [...values].sort();

/** The catalog item IRIs a federated query answers, sorted. */
async function itemIris(node: FederationNode, query: string): Promise<string[]> {
  return sorted(itemsOf(await federated(node, query)).map((i) => i.id));
}


/** The CSV of a federated query, as objects keyed by the header. */
async function csvRows(node: FederationNode, query = ''): Promise<Record<string, string>[]> {
  const response = await node.request('GET', `/api/federation/catalog.csv${query === '' ? '' : `?${query}`}`);
  expect(response.status, response.text.slice(0, 300)).to.equal(200);
  expect(mediaTypeOf(response)).to.equal('text/csv');
  const [header, ...rows] = parseCsv(response.text);
  expect(header?.join(',')).to.equal(CSV_HEADER);
  return rows.map((cells) => {
    expect(cells, JSON.stringify(cells)).to.have.length(header?.length ?? 0);
    return Object.fromEntries((header ?? []).map((h, i) => [h, cells[i] ?? '']));
  });
}

/** Copies of some of a JSON-LD graph's nodes (deep copies, so they can be changed). */
function copyNodes(graph: readonly JsonNode[], ids: readonly string[]): JsonNode[] {
  return ids.map((id) => {
    const node = graph.find((n) => n['@id'] === id);
    if (node === undefined) throw new Error(`no ${id} in the graph`);
    return structuredClone(node);
  });
}

// ------------------------------------------------------------------ the test

describe('federation: three real nodes, a static OFN shop and a relay', function () {
  this.timeout(30_000);

  const nodes = {} as Record<NodeName, FederationNode>;
  /** peers[x][y]: the id of peer y on node x. */
  const peers = { a: {}, b: {}, c: {} } as Record<NodeName, Partial<Record<NodeName | 'ofn' | 'relay', number>>>;
  const firstSync = { a: {}, b: {}, c: {} } as Record<NodeName, Partial<Record<NodeName, SyncSummary>>>;
  const secondSync = { a: {}, b: {}, c: {} } as Record<NodeName, Partial<Record<NodeName, SyncSummary>>>;
  const expected = {} as Record<NodeName | 'ofn', ExpectedOffer[]>;
  const servers: StaticPeer[] = [];
  const extraNodes: FederationNode[] = [];
  let ofn: StaticPeer;

  const peerId = (on: NodeName, of: NodeName | 'ofn' | 'relay'): number => {
    const id = peers[on][of];
    if (id === undefined) throw new Error(`node ${on} has no peer ${of}`);
    return id;
  };
  /** Everything node C sees once it syncs A, B and the OFN shop. */
  const seenByC = (): ExpectedOffer[] => [...expected.a, ...expected.b, ...expected.c, ...expected.ofn];

  before(async function () {
    this.timeout(30_000);
    nodes.a = await startFederationNode({ name: 'Node A' });
    nodes.b = await startFederationNode({ name: 'Node B', withdrawGraceSeconds: 0 });
    nodes.c = await startFederationNode({ name: 'Node C' });
    for (const name of NODE_NAMES) {
      for (const eid of LAYOUT[name]) await nodes[name].seed(eid);
      expected[name] = exampleOffers(name, nodes[name].base);
    }
    ofn = await startStaticPeer((origin) => ({
      [OFN_CATALOGUE_PATH]: { body: JSON.stringify(ofnDocument(origin), null, 2), contentType: 'application/ld+json' },
    }));
    servers.push(ofn);
    expected.ofn = ofnOffers(ofn.url);
  });

  after(async () => {
    await Promise.allSettled([...[...Object.values(nodes), ...extraNodes].map((n) => n.close()), ...servers.map((s) => s.close())]);
  });

  it('the expected offers match the example files (sanity of the test itself)', () => {
    let itemsInFiles = 0;
    for (const file of [...LAYOUT.a, ...LAYOUT.b, ...LAYOUT.c]) {
      const document = JSON.parse(readFileSync(join(EXAMPLES, `${file}.jsonld`), 'utf8')) as { '@graph': JsonNode[] };
      itemsInFiles += document['@graph'].filter((n) => n['@type'] === 'dfc-b:CatalogItem').length;
    }
    expect(expected.a.length + expected.b.length + expected.c.length).to.equal(itemsInFiles);
    expect(itemsInFiles).to.be.greaterThan(100);
    expect(expected.ofn).to.have.length(5);
  });

  // ---------------------------------------------------------------- 1
  describe('three nodes syncing each other', () => {
    before(async function () {
      this.timeout(30_000);
      for (const on of NODE_NAMES) {
        for (const of of NODE_NAMES.filter((n) => n !== on)) {
          // By base URL alone: the sync starts from discovery (/.well-known/dfc/).
          const peer = await nodes[on].addPeer(nodes[of].url, `Node ${of.toUpperCase()}`);
          peers[on][of] = peer.id;
        }
      }
      for (const on of NODE_NAMES) {
        for (const of of NODE_NAMES.filter((n) => n !== on)) firstSync[on][of] = await nodes[on].sync(peerId(on, of));
      }
      for (const on of NODE_NAMES) {
        for (const of of NODE_NAMES.filter((n) => n !== on)) secondSync[on][of] = await nodes[on].sync(peerId(on, of));
      }
    });

    it('adds peers by base URL, normalised, with their names', async () => {
      const response = await nodes.c.request('GET', '/api/sync/peers', { headers: { Authorization: `Bearer ${nodes.c.adminToken}` } });
      expect(response.status).to.equal(200);
      const list = response.json<{ id: number; name: string; url: string; origin: string; status: string; hasToken: boolean }[]>();
      expect(list.map((p) => [p.name, p.url, p.origin, p.status])).to.deep.equal([
        ['Node A', `${nodes.a.url}/`, nodes.a.url, 'ok'],
        ['Node B', `${nodes.b.url}/`, nodes.b.url, 'ok'],
      ]);
      expect(list.every((p) => !('token' in p) && p.hasToken === false)).to.equal(true);
    });

    for (const on of NODE_NAMES) {
      it(`node ${on.toUpperCase()}'s federated catalogue holds all six enterprises' offers with their original @ids`, async () => {
        const records = await federated(nodes[on]);
        const all = [...expected.a, ...expected.b, ...expected.c];
        const items = itemsOf(records);
        expect(items).to.have.length(all.length);
        expect(sorted(items.map((i) => i.id))).to.deep.equal(sorted(all.map((o) => o.item)));
        const offers = records.filter((r): r is OfferRecord => r.kind === 'Offer');
        expect(sorted(offers.map((o) => o.id))).to.deep.equal(sorted(all.map((o) => o.offer)));
        const products = new Set<string>(records.filter((r) => r.kind === 'SuppliedProduct').map((r) => r.id));
        for (const o of all) expect(products.has(o.product), o.product).to.equal(true);
        const enterprises = sorted(records.filter((r) => r.kind === 'Enterprise').map((r) => r.id));
        expect(enterprises).to.deep.equal(sorted(NODE_NAMES.flatMap((n) => LAYOUT[n].map((eid) => `${nodes[n].base}/api/dfc/enterprises/${eid}`))));
        // Each resource under the base URL of the node that publishes it, never re-minted by the node relaying it.
        for (const o of all) expect(o.item.startsWith(`${nodes[o.origin as NodeName].base}/`)).to.equal(true);
        // Prices and stock as published.
        const byItem = new Map<string, CatalogItemRecord>(items.map((i) => [i.id, i]));
        const byOffer = new Map<string, OfferRecord>(offers.map((o) => [o.id, o]));
        for (const o of all) {
          expect(byItem.get(o.item)?.stock, o.item).to.equal(o.stock);
          expect(byOffer.get(o.offer)?.price?.value, o.offer).to.equal(o.price);
        }
      });
    }

    it('the @ids of A on C dereference at A', async () => {
      const item = expected.a.find((o) => o.eid === CHEVRERIE);
      expect(item).to.not.equal(undefined);
      const response = await fetch(item?.item ?? '', { headers: { Accept: 'application/ld+json' } });
      expect(response.status).to.equal(200);
      expect(await response.text()).to.include(item?.item ?? '');
    });

    it('first syncs add every record the peer publishes, and nothing else', async () => {
      for (const on of NODE_NAMES) {
        for (const of of NODE_NAMES.filter((n) => n !== on)) {
          // What the peer publishes: its enterprise list and each enterprise's catalogue, decoded by our codec.
          const ids = new Set<string>();
          const list = await decode(nodes[of], await nodes[of].request('GET', '/api/dfc/enterprises'));
          for (const r of list) ids.add(r.id);
          for (const eid of LAYOUT[of]) {
            for (const r of await decode(nodes[of], await nodes[of].request('GET', `/api/dfc/enterprises/${eid}/catalog_items`))) ids.add(r.id);
          }
          const summary = firstSync[on][of];
          expect(summary, `${on} ← ${of}`).to.include({
            added: [...ids].filter((id) => !id.startsWith('_:')).length, updated: 0, unchanged: 0, withdrawn: 0, quarantined: 0,
            pages: 1 + LAYOUT[of].length, notModified: 0,
          });
          expect(summary?.bytes).to.be.greaterThan(10_000);
          expect((await nodes[on].node.store.provenance.peerCounts(peerId(on, of)))).to.deep.equal({ active: summary?.added, missing: 0, withdrawn: 0 });
        }
      }
    });

    it('a second sync of the same data adds and updates nothing: it reads one empty page of the peer\'s change feed', async () => {
      for (const on of NODE_NAMES) {
        for (const of of NODE_NAMES.filter((n) => n !== on)) {
          const summary = secondSync[on][of];
          // Maillon peers publish a change feed: the second sync is incremental, from the cursor the first set.
          expect(summary, `${on} ← ${of}`).to.include({ added: 0, updated: 0, withdrawn: 0, quarantined: 0, pages: 1, notModified: 0 });
          expect(summary?.bytes, `${on} ← ${of}`).to.be.below(2000);
        }
      }
      const status = (await nodes.a.request('GET', '/api/sync/status', { headers: { Authorization: `Bearer ${nodes.a.adminToken}` } })).json<{ peers: { name: string; lastSummary: SyncSummary | null }[] }>();
      expect(status.peers.map((p) => [p.name, p.lastSummary?.pages, p.lastSummary?.added])).to.deep.equal([['Node B', 1, 0], ['Node C', 1, 0]]);
    });
  });

  // ---------------------------------------------------------------- 4
  describe('a static Open Food Network-style shop as a peer', () => {
    let firstOfn: SyncSummary;
    let secondOfn: SyncSummary;

    before(async () => {
      const peer = await nodes.c.addPeer(`${ofn.url}${OFN_CATALOGUE_PATH}`, 'Vergers (OFN)');
      peers.c.ofn = peer.id;
      firstOfn = await nodes.c.sync(peer.id);
      secondOfn = await nodes.c.sync(peer.id);
    });

    it('syncs the catalogue URL as it is, then revalidates it with If-None-Match (304)', () => {
      expect(firstOfn).to.include({ added: ofnDocument(ofn.url)['@graph'].length, updated: 0, quarantined: 0, pages: 1, notModified: 0 });
      expect(secondOfn).to.include({ added: 0, updated: 0, pages: 1, notModified: 1, bytes: 0 });
      const gets = ofn.log.filter((r) => r.path === OFN_CATALOGUE_PATH);
      expect(gets.map((r) => r.status)).to.deep.equal([200, 304]);
      expect(gets[0]?.ifNoneMatch).to.equal(undefined);
      expect(gets[1]?.ifNoneMatch).to.be.a('string').and.match(/^"/u);
      // Discovery is asked once, to look for a change feed; the shop has none (404), so it is not asked again.
      expect(ofn.log.filter((r) => r.path.startsWith('/.well-known')).map((r) => r.status)).to.deep.equal([404]);
    });

    it('its products are in the federated catalogue with their ids, prices, groups and extras', async () => {
      const records = await federated(nodes.c, `peer=${peerId('c', 'ofn')}`);
      expect(sorted(itemsOf(records).map((i) => i.id))).to.deep.equal(sorted(expected.ofn.map((o) => o.item)));
      const offers = new Map<string, OfferRecord>(records.filter((r): r is OfferRecord => r.kind === 'Offer').map((o) => [o.id, o]));
      for (const o of expected.ofn) {
        expect(offers.get(o.offer)?.price?.value, o.offer).to.equal(o.price);
        expect(offers.get(o.offer)?.price?.currency).to.match(/Euro$/u);
      }
      const products = new Map<string, SuppliedProductRecord>(records.filter((r): r is SuppliedProductRecord => r.kind === 'SuppliedProduct').map((p) => [p.id, p]));
      const group = `${ofn.url}/api/dfc/enterprises/7001/supplied_products/1200`;
      const reinette = products.get(`${ofn.url}/api/dfc/enterprises/7001/supplied_products/1201`);
      expect(reinette?.variantOf).to.deep.equal([group]);
      expect(sorted(products.get(group)?.variants ?? [])).to.deep.equal([`${group.slice(0, -4)}1201`, `${group.slice(0, -4)}1202`]);
      expect(reinette?.extra?.['ofn:spree_product_id']).to.deep.equal([{ '@value': 501 }]);
      const address = records.find((r) => r.kind === 'Address');
      expect(address).to.include({ id: `${ofn.url}/api/dfc/addresses/8001`, postcode: '19000', latitude: 45.2658, longitude: 1.7722 });
    });

    it('on demand (no stockLimitation) stays on demand, and in_stock=true includes it', async () => {
      const rows = new Map((await csvRows(nodes.c, `peer=${peerId('c', 'ofn')}`)).map((r) => [r['catalog_item_iri'], r]));
      for (const o of expected.ofn) {
        const row = rows.get(o.item);
        expect(row, o.item).to.not.equal(undefined);
        expect(row?.['stock']).to.equal(o.stock === null ? '' : String(o.stock));
        expect(row?.['in_stock']).to.equal(o.stock === null || o.stock > 0 ? 'true' : 'false');
        expect(Number(row?.['price'])).to.equal(o.price);
      }
      const inStock = await itemIris(nodes.c, `peer=${peerId('c', 'ofn')}&in_stock=true`);
      expect(inStock).to.deep.equal(sorted(expected.ofn.filter((o) => o.stock === null || o.stock > 0).map((o) => o.item)));
      expect(expected.ofn.filter((o) => o.stock === null)).to.have.length(2);
      expect(expected.ofn.filter((o) => o.stock === 0)).to.have.length(1);
    });
  });

  // ---------------------------------------------------------------- 5
  describe('federated queries on the node that sees everything (C)', () => {
    const items = (list: readonly ExpectedOffer[]): string[] => sorted(list.map((o) => o.item));
    /** Whether a product type is `ancestor` or under it, walking every skos:broader. */
    const isUnder = (type: string, ancestor: string): boolean => {
      const seen = new Set<string>();
      const stack = [type];
      while (stack.length > 0) {
        const current = stack.pop() as string;
        if (current === ancestor) return true;
        if (seen.has(current)) continue;
        seen.add(current);
        stack.push(...(nodes.c.node.taxonomy.get(current)?.broader ?? []));
      }
      return false;
    };

    it('without filters: everything, once', async () => {
      expect(await itemIris(nodes.c, '')).to.deep.equal(items(seenByC()));
    });

    it('type=vegetable includes tomatoes (narrower types) and excludes cheeses; every spelling of the type works', async () => {
      const vegetables = items(seenByC().filter((o) => isUnder(o.type, VEGETABLE)));
      const tomatoes = seenByC().filter((o) => isUnder(o.type, TOMATO));
      const cheeses = seenByC().filter((o) => /cheese/u.test(o.type));
      expect(tomatoes.length).to.be.greaterThan(3);
      expect(cheeses.length).to.be.greaterThan(3);
      // Tomatoes are typed with narrower concepts (heirloom, cherry, round), none with vegetable itself.
      expect(tomatoes.every((o) => o.type !== VEGETABLE && o.type !== TOMATO)).to.equal(true);
      for (const query of ['type=vegetable', 'type=dfc-pt:vegetable', `type=${encodeURIComponent(VEGETABLE)}`]) {
        const answer = await itemIris(nodes.c, query);
        expect(answer, query).to.deep.equal(vegetables);
        for (const t of tomatoes) expect(answer, `${query} includes ${t.name}`).to.include(t.item);
        for (const c of cheeses) expect(answer, `${query} excludes ${c.name}`).to.not.include(c.item);
      }
      expect(await itemIris(nodes.c, 'type=tomato')).to.deep.equal(items(tomatoes));
    });

    it('type=dfc-pt:goat-dairy-product, short or full IRI', async () => {
      const goat = items(seenByC().filter((o) => isUnder(o.type, GOAT_DAIRY)));
      expect(goat.length).to.be.greaterThan(10);
      expect(await itemIris(nodes.c, 'type=dfc-pt:goat-dairy-product')).to.deep.equal(goat);
      expect(await itemIris(nodes.c, `type=${encodeURIComponent(GOAT_DAIRY)}`)).to.deep.equal(goat);
      expect(await itemIris(nodes.c, 'type=goat-dairy-product')).to.deep.equal(goat);
    });

    it('q= searches names and descriptions, every word, any case and accent', async () => {
      const tomate = items(seenByC().filter((o) => `${o.name} ${o.description}`.toLowerCase().includes('tomate')));
      expect(tomate.length).to.be.greaterThan(5);
      expect(await itemIris(nodes.c, 'q=tomate')).to.deep.equal(tomate);
      expect(await itemIris(nodes.c, 'q=TOMATE')).to.deep.equal(tomate);
      const both = items(seenByC().filter((o) => ['tomates', 'cerises'].every((w) => `${o.name} ${o.description}`.toLowerCase().includes(w))));
      expect(both.length).to.be.greaterThan(0);
      expect(await itemIris(nodes.c, `q=${encodeURIComponent('tomates cerises')}`)).to.deep.equal(both);
      expect(await itemIris(nodes.c, 'q=zzzzzz')).to.deep.equal([]);
      // Words are letters and digits: punctuation alone (a LIKE wildcard, FTS5 syntax) is a 400 with the reason.
      for (const q of ['%25', '_', '*', '%22']) {
        const response = await nodes.c.request('GET', `/api/federation/catalog?q=${q}`);
        expect(response.status, q).to.equal(400);
        expect(response.json<{ detail: string }>().detail).to.include('at least one word');
      }
    });

    it('near=45.83,1.26 with radius_km=5 and 100, against our own haversine', async () => {
      const within = (km: number): string[] => items(seenByC().filter((o) => haversineKm(LIMOGES.lat, LIMOGES.lon, o.latitude, o.longitude) <= km));
      const five = within(5);
      const hundred = within(100);
      // The Limoges AMAP is within 5 km; the farm at Saint-Léonard (~16 km) is not; Tulle (~70 km) is within 100.
      expect(five.length).to.be.greaterThan(0);
      expect(five.length).to.be.lessThan(hundred.length);
      expect(hundred).to.deep.equal(items(seenByC()));
      expect(await itemIris(nodes.c, 'near=45.83,1.26&radius_km=5')).to.deep.equal(five);
      expect(await itemIris(nodes.c, 'near=45.83,1.26&radius_km=100')).to.deep.equal(hundred);
      expect(await itemIris(nodes.c, 'near=45.83,1.26&radius_km=20')).to.deep.equal(within(20));
      expect(await itemIris(nodes.c, 'near=45.83,1.26')).to.deep.equal(within(25));
      expect(await itemIris(nodes.c, 'near=48.85,2.35&radius_km=50')).to.deep.equal([]);
    });

    it('in_stock=true: limited stock above zero, or on demand', async () => {
      const inStock = seenByC().filter((o) => o.stock === null || o.stock > 0);
      expect(inStock.some((o) => o.stock === null)).to.equal(true);
      expect(await itemIris(nodes.c, 'in_stock=true')).to.deep.equal(items(inStock));
    });

    it('enterprise=<iri>, peer=<id> and peer=local', async () => {
      const ferme = `${nodes.a.base}/api/dfc/enterprises/${FERME}`;
      expect(await itemIris(nodes.c, `enterprise=${encodeURIComponent(ferme)}`)).to.deep.equal(items(seenByC().filter((o) => o.enterprise === ferme)));
      expect(await itemIris(nodes.c, `peer=${peerId('c', 'a')}`)).to.deep.equal(items(expected.a));
      expect(await itemIris(nodes.c, `peer=${peerId('c', 'b')}`)).to.deep.equal(items(expected.b));
      expect(await itemIris(nodes.c, 'peer=local')).to.deep.equal(items(expected.c));
      // An unknown peer is a mistake said as such (naming it), not an empty catalogue, in every view that filters by peer.
      for (const path of ['/api/federation/catalog', '/api/federation/catalog.csv', '/api/federation/rows', '/api/federation/producers', '/api/federation/stats']) {
        const response = await nodes.c.request('GET', `${path}?peer=999`);
        expectProblem(response, 400);
        expect(response.json<{ detail: string }>().detail, path).to.include('peer=999');
      }
    });

    it('numbers of the query written as plain decimals only (max_points=0x10, radius_km=1e1 are 400); radius_km=12.5 is read', async () => {
      for (const query of ['max_points=0x10', 'max_points=1e1', 'max_points=%2010', 'max_points=10.0']) {
        expectProblem(await nodes.c.request('GET', `/api/federation/producers?${query}`), 400);
      }
      expect((await nodes.c.request('GET', '/api/federation/producers?max_points=10')).status).to.equal(200);
      expect((await nodes.c.request('GET', '/api/federation/catalog?near=45.83,1.26&radius_km=12.5')).status).to.equal(200);
    });

    it('filters combine', async () => {
      const answer = await itemIris(nodes.c, 'type=vegetable&in_stock=true&near=45.83,1.26&radius_km=30');
      const want = items(seenByC().filter((o) => isUnder(o.type, VEGETABLE) && (o.stock === null || o.stock > 0)
        && haversineKm(LIMOGES.lat, LIMOGES.lon, o.latitude, o.longitude) <= 30));
      expect(want.length).to.be.greaterThan(0);
      expect(answer).to.deep.equal(want);
    });

    it('paging with page_size=5: Link next, stable order, the pages make the whole', async () => {
      const whole = await itemIris(nodes.c, '');
      const pages: string[][] = [];
      let url: string | undefined = `${nodes.c.url}/api/federation/catalog?page_size=5`;
      while (url !== undefined && pages.length < 1000) {
        expect(url.startsWith(`${nodes.c.base}/api/federation/catalog?`)).to.equal(true);
        const response = await nodes.c.request('GET', url.slice(nodes.c.url.length));
        const ids = itemsOf(await decode(nodes.c, response)).map((i) => i.id);
        pages.push(ids);
        url = linkOf(response, 'next');
      }
      expect(pages.length).to.equal(Math.ceil(whole.length / 5));
      expect(pages.slice(0, -1).every((p) => p.length === 5)).to.equal(true);
      const union = pages.flat();
      expect(new Set(union).size, 'no item on two pages').to.equal(union.length);
      expect(sorted(union)).to.deep.equal(whole);
      // Stable: the same page twice is the same page, and the CSV (one line per row, in the query order) agrees.
      const again = itemsOf(await decode(nodes.c, await nodes.c.request('GET', '/api/federation/catalog?page=3&page_size=5'))).map((i) => i.id);
      expect(sorted(again)).to.deep.equal(sorted(pages[2] ?? []));
      const csvOrder = (await csvRows(nodes.c)).map((r) => r['catalog_item_iri'] as string);
      expect(sorted(csvOrder.slice(10, 15))).to.deep.equal(sorted(pages[2] ?? []));
      expectProblem(await nodes.c.request('GET', `/api/federation/catalog?page_size=5&page=${pages.length + 1}`), 404);
    });

    for (const [query, why] of [
      ['near=abc', 'near is not coordinates'],
      ['near=45.83', 'near without a longitude'],
      ['near=45.83,1.26&radius_km=-1', 'a negative radius'],
      ['near=45.83,1.26&radius_km=abc', 'a radius that is not a number'],
      ['near=45.83,1.26&radius_km=0x10', 'a radius in hexadecimal'],
      ['near=45.83,1.26&radius_km=1e2', 'a radius with an exponent'],
      ['near=45.83,1.26&radius_km=%2010', 'a radius with a blank'],
      ['near=45.83,1.26&radius_km=Infinity', 'an infinite radius'],
      ['near=0x2D,1.26', 'a latitude in hexadecimal'],
      ['radius_km=5', 'radius_km without near'],
      ['in_stock=maybe', 'in_stock neither true nor false'],
      ['peer=x', 'peer neither an id nor local'],
      ['page_size=0', 'page_size 0'],
      ['type=vegetable&type=fruit', 'a parameter given twice'],
    ] as const) {
      it(`400 problem+json for ${why} (${query})`, async () => {
        expectProblem(await nodes.c.request('GET', `/api/federation/catalog?${query}`), 400);
        if (!query.startsWith('page_size')) expectProblem(await nodes.c.request('GET', `/api/federation/catalog.csv?${query}`), 400);
      });
    }
  });

  // ---------------------------------------------------------------- 6
  describe('N-Quads: one named graph per source', () => {
    it('graphs <base>/api/sync/peers/{id} and <base>/api/dfc/enterprises/{eid}; each subject in the graph of its origin', async () => {
      const response = await nodes.c.request('GET', `/api/federation/catalog?${ALL}`, { headers: { Accept: 'application/n-quads' } });
      expect(response.status).to.equal(200);
      expect(mediaTypeOf(response)).to.equal('application/n-quads');
      const quads: Quad[] = new Parser({ format: 'application/n-quads' }).parse(response.text);
      expect(quads.length).to.be.greaterThan(1000);
      const c = nodes.c.base;
      const peerGraph = (of: NodeName | 'ofn'): string => `${c}/api/sync/peers/${peerId('c', of)}`;
      expect(sorted(new Set(quads.map((q) => q.graph.value)))).to.deep.equal(sorted([
        peerGraph('a'), peerGraph('b'), peerGraph('ofn'), ...LAYOUT.c.map((eid) => `${c}/api/dfc/enterprises/${eid}`),
      ]));
      const graphOfSubject = (iri: string): string => {
        if (iri.startsWith(`${nodes.a.base}/`)) return peerGraph('a');
        if (iri.startsWith(`${nodes.b.base}/`)) return peerGraph('b');
        if (iri.startsWith(`${ofn.url}/`)) return peerGraph('ofn');
        const eid = new RegExp(`^${c.replace(/[.]/gu, '\\.')}/api/dfc/(?:enterprises|addresses|persons)/([^/]+)`, 'u').exec(iri)?.[1];
        if (eid === undefined) throw new Error(`a subject of no known origin: ${iri}`);
        return `${c}/api/dfc/enterprises/${eid}`;
      };
      const blankGraphs = new Map<string, Set<string>>();
      for (const q of quads) {
        expect(q.graph.termType).to.equal('NamedNode');
        if (q.subject.termType === 'NamedNode') expect(q.graph.value, q.subject.value).to.equal(graphOfSubject(q.subject.value));
        if (q.object.termType === 'BlankNode') blankGraphs.set(q.object.value, new Set([...(blankGraphs.get(q.object.value) ?? []), q.graph.value]));
      }
      // A blank node (a price, a quantity) is in the graph of the resource that holds it, and only there.
      for (const q of quads.filter((x) => x.subject.termType === 'BlankNode')) {
        expect([...(blankGraphs.get(q.subject.value) ?? [])]).to.deep.equal([q.graph.value]);
      }
      const itemSubjects = new Set(quads.filter((q) => q.predicate.value.endsWith('#type') && q.object.value.endsWith('#CatalogItem')).map((q) => q.subject.value));
      expect(sorted(itemSubjects)).to.deep.equal(sorted(seenByC().map((o) => o.item)));
    });

    it('text/turtle of the same catalogue parses, with the same subjects', async () => {
      const nquads: Quad[] = new Parser({ format: 'application/n-quads' }).parse(
        (await nodes.c.request('GET', `/api/federation/catalog?${ALL}`, { headers: { Accept: 'application/n-quads' } })).text);
      const response = await nodes.c.request('GET', `/api/federation/catalog?${ALL}`, { headers: { Accept: 'text/turtle' } });
      expect(response.status).to.equal(200);
      expect(mediaTypeOf(response)).to.equal('text/turtle');
      const turtle: Quad[] = new Parser({ format: 'text/turtle' }).parse(response.text);
      const named = (list: readonly Quad[]): string[] => sorted(new Set(list.filter((q) => q.subject.termType === 'NamedNode').map((q) => q.subject.value)));
      expect(named(turtle)).to.deep.equal(named(nquads));
      expect(turtle.every((q) => q.graph.termType === 'DefaultGraph')).to.equal(true);
    });
  });

  // ---------------------------------------------------------------- 7
  describe('stats and CSV for a local authority', () => {
    interface Counts { producers: number; products: number; offers: number }
    interface Stats {
      totals: Counts;
      byProductType: (Counts & { type: string; label: string | null; depth: number })[];
      bySource: (Counts & { source: string; name: string })[];
      byPostcodeArea: (Counts & { area: string })[];
    }

    it('totals, byProductType rolled up, bySource with names, byPostcodeArea', async () => {
      const response = await nodes.c.request('GET', '/api/federation/stats');
      expect(response.status).to.equal(200);
      expect(mediaTypeOf(response)).to.equal('application/json');
      const stats = response.json<Stats>();
      const all = seenByC();
      const stocked = (await nodes.c.request('GET', '/api/federation/rows?in_stock=true&page_size=1')).json<{ total: number }>().total;
      expect(stats.totals).to.deep.equal({ producers: 7, products: all.length, offers: all.length, inStock: stocked });

      const type = (t: string): (Counts & { type: string }) | undefined => stats.byProductType.find((x) => x.type === t);
      const vegetable = type('dfc-pt:vegetable');
      const tomato = type('dfc-pt:tomato');
      expect(vegetable?.offers).to.equal(all.filter((o) => nodes.c.node.taxonomy.isUnder(o.type, VEGETABLE) || o.type === VEGETABLE).length);
      expect(tomato?.offers).to.equal(all.filter((o) => /tomato$/u.test(o.type)).length);
      expect(vegetable?.offers).to.be.at.least(tomato?.offers ?? Infinity);
      expect(vegetable?.offers).to.equal((await itemIris(nodes.c, 'type=vegetable')).length);
      expect(type('dfc-pt:goat-dairy-product')?.offers).to.equal((await itemIris(nodes.c, 'type=goat-dairy-product')).length);

      expect(stats.bySource.map((s) => [s.source, s.name, s.offers, s.producers])).to.deep.equal([
        ['local', 'this node', expected.c.length, 2],
        ...[...(['a', 'b'] as const).map((n) => [`peer:${peerId('c', n)}`, `Node ${n.toUpperCase()}`, expected[n].length, 2]),
          [`peer:${peerId('c', 'ofn')}`, 'Vergers (OFN)', expected.ofn.length, 1]].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
      ]);
      const area = (a: string): Counts | undefined => stats.byPostcodeArea.find((x) => x.area === a);
      expect(area('87')).to.deep.include({ producers: 6, offers: expected.a.length + expected.b.length + expected.c.length });
      expect(area('19')).to.deep.include({ producers: 1, offers: expected.ofn.length });
      expect(stats.byPostcodeArea.map((x) => x.area)).to.deep.equal(['19', '87']);
    });

    it('GET /api/federation/catalog.csv: a header line, one line per offer, quoted where needed', async () => {
      const response = await nodes.c.request('GET', '/api/federation/catalog.csv');
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-disposition')).to.include('attachment');
      const lines = response.text.split('\r\n');
      expect(lines.pop()).to.equal('');
      expect(lines[0]).to.equal(CSV_HEADER);
      expect(lines.length - 1).to.equal(seenByC().length);
      // A name with a comma is quoted.
      expect(response.text).to.include('"Pommes de terre - 2,5 kg"');
      const rows = await csvRows(nodes.c);
      const byItem = new Map(rows.map((r) => [r['catalog_item_iri'], r]));
      for (const o of seenByC()) {
        const row = byItem.get(o.item);
        expect(row, o.item).to.not.equal(undefined);
        expect(row).to.deep.include({
          product: o.name, product_type: o.type.replace(DFC_PT_NS, 'dfc-pt:'), currency: 'dfc-m:Euro',
          stock: o.stock === null ? '' : String(o.stock), in_stock: o.stock === null || o.stock > 0 ? 'true' : 'false',
          postcode: o.postcode, enterprise: o.enterprise, product_iri: o.product, offer_iri: o.offer,
          source: o.origin === 'c' ? 'local' : o.origin === 'ofn' ? 'Vergers (OFN)' : `Node ${o.origin.toUpperCase()}`,
        });
        expect(Number(row?.['price'])).to.equal(o.price);
        expect(Number(row?.['latitude'])).to.equal(o.latitude);
      }
    });
  });

  // ---------------------------------------------------------------- 8
  describe('the same product seen through two peers', () => {
    let relay: StaticPeer;
    let copied: ExpectedOffer[];
    let stripped: ExpectedOffer;
    const RELAY_PATH = '/relay/catalog.json';

    before(async () => {
      // An aggregator relaying copies of some of A's resources: same @ids (A's origin), another price.
      const graph = (await nodes.a.request('GET', `/api/dfc/enterprises/${FERME}/catalog_items`)).json<{ '@graph': JsonNode[] }>()['@graph'];
      copied = ['tomates-rondes', 'poireaux'].map((slug) => expected.a.find((o) => o.item.endsWith(`/catalog_items/${slug}`)) as ExpectedOffer);
      stripped = expected.a.find((o) => o.item.endsWith('/catalog_items/oignons-rouges')) as ExpectedOffer;
      const nodesOut: JsonNode[] = [];
      for (const [o, keepSameAs] of [...copied.map((x) => [x, true] as const), [stripped, false] as const]) {
        for (const node of copyNodes(graph, [o.product, o.item, o.offer])) {
          if (node['@id'] === o.offer) (node['dfc-b:hasPrice'] as JsonNode)['dfc-b:value'] = o.price + 10;
          // One copy as a relay that drops what it does not know (owl:sameAs): still the same @id.
          if (!keepSameAs) for (const key of Object.keys(node)) if (/sameAs/u.test(key)) delete node[key];
          nodesOut.push(node);
        }
      }
      relay = await startStaticPeer(() => ({
        [RELAY_PATH]: { body: JSON.stringify({ '@context': CTX_1_16, '@graph': nodesOut }), contentType: 'application/ld+json' },
      }));
      servers.push(relay);
      const peer = await nodes.c.addPeer(`${relay.url}${RELAY_PATH}`, 'Aggregator');
      peers.c.relay = peer.id;
      const summary = await nodes.c.sync(peer.id);
      expect(summary).to.include({ added: 9, quarantined: 0 });
      await nodes.c.sync(peerId('c', 'a'));
    });

    it('a relayed product appears once, with the price of its origin', async () => {
      const records = await federated(nodes.c);
      const items = itemsOf(records);
      expect(items).to.have.length(seenByC().length);
      const offers = new Map<string, OfferRecord>(records.filter((r): r is OfferRecord => r.kind === 'Offer').map((o) => [o.id, o]));
      for (const o of copied) {
        expect(items.filter((i) => i.id === o.item), o.item).to.have.length(1);
        expect(offers.get(o.offer)?.price?.value, o.offer).to.equal(o.price);
      }
      const rows = (await csvRows(nodes.c)).filter((r) => copied.some((o) => o.item === r['catalog_item_iri']));
      expect(rows.map((r) => [r['source'], Number(r['price'])])).to.have.deep.members(copied.map((o) => ['Node A', o.price]));
    });

    it('a relayed copy without owl:sameAs is still the same @id: it appears once, with the origin\'s price', async () => {
      const rows = (await csvRows(nodes.c)).filter((r) => r['catalog_item_iri'] === stripped.item);
      expect(rows.map((r) => [r['source'], Number(r['price'])])).to.deep.equal([['Node A', stripped.price]]);
      expect((await csvRows(nodes.c)).length).to.equal(seenByC().length);
    });

    it('the N-Quads list a relayed product in both sources\' graphs (provenance)', async () => {
      const response = await nodes.c.request('GET', `/api/federation/catalog?${ALL}`, { headers: { Accept: 'application/n-quads' } });
      const quads: Quad[] = new Parser({ format: 'application/n-quads' }).parse(response.text);
      for (const o of copied) {
        const graphs = sorted(new Set(quads.filter((q) => q.subject.value === o.item).map((q) => q.graph.value)));
        expect(graphs, o.item).to.deep.equal(sorted([`${nodes.c.base}/api/sync/peers/${peerId('c', 'a')}`, `${nodes.c.base}/api/sync/peers/${peerId('c', 'relay')}`]));
      }
    });

    it('owl:sameAs: a copy imported on B (maillon import) is B\'s claim on C, which syncs A and B: listed apart until C\'s operator confirms it', async () => {
      const before = await csvRows(nodes.c);
      const text = readFileSync(join(EXAMPLES, `${CHEVRERIE}.jsonld`), 'utf8');
      const { records } = await nodes.b.node.decoder.decode(text);
      await nodes.b.node.catalog.createEnterprise(records, { eid: 'relais-chevrerie' });
      const imported = await nodes.b.node.catalog.importRecords('relais-chevrerie', records);
      expect(imported.items).to.equal(soldProducts(exampleEnterprise(CHEVRERIE)).length);
      // B's copies carry owl:sameAs to the originals, as A's own products do (A was seeded by the same import).
      const sameAsOf = (r: DfcRecord): string[] => (r.extra?.[OWL.sameAs] ?? []).flatMap((v) => ('@id' in v ? [v['@id']] : []));
      const onB = (await decode(nodes.b, await nodes.b.request('GET', '/api/dfc/enterprises/relais-chevrerie/catalog_items')))
        .filter((r): r is SuppliedProductRecord => r.kind === 'SuppliedProduct');
      const onA = (await decode(nodes.a, await nodes.a.request('GET', `/api/dfc/enterprises/${CHEVRERIE}/catalog_items`)))
        .filter((r): r is SuppliedProductRecord => r.kind === 'SuppliedProduct');
      expect(onB.length).to.equal(onA.length);
      for (const product of onB) {
        expect(product.id.startsWith(`${nodes.b.base}/api/dfc/enterprises/relais-chevrerie/`)).to.equal(true);
        const original = onA.find((p) => p.id.endsWith(`/${product.id.split('/').pop() ?? ''}`));
        expect(sameAsOf(product).length, product.id).to.be.greaterThan(0);
        expect(sameAsOf(product)).to.deep.equal(sameAsOf(original as SuppliedProductRecord));
      }
      const summary = await nodes.c.sync(peerId('c', 'b'));
      expect(summary.added).to.be.greaterThan(onB.length);
      const productOf = (slug: string, node: 'a' | 'b'): string => (node === 'a'
        ? `${nodes.a.base}/api/dfc/enterprises/${CHEVRERIE}/supplied_products/${slug}`
        : `${nodes.b.base}/api/dfc/enterprises/relais-chevrerie/supplied_products/${slug}`);
      const slugs = soldProducts(exampleEnterprise(CHEVRERIE)).map((p) => p.slug);
      // A and B each say their product is the original: neither is C's to verify (B's import is B's operator's
      // word, not C's), so both offers are listed, each under its own enterprise.
      const claimed = await csvRows(nodes.c);
      expect(claimed.length).to.equal(before.length + slugs.length);
      for (const slug of slugs) {
        const copies = claimed.filter((r) => r['product_iri'] === productOf(slug, 'a') || r['product_iri'] === productOf(slug, 'b'));
        expect(copies.map((r) => r['source']).sort(), slug).to.deep.equal(['Node A', 'Node B']);
      }
      // C's operator confirms that B's copies are A's products (as an import on C would): once each again.
      await nodes.c.node.store.index.confirmSameAs(slugs.map((slug) => ({ subject: productOf(slug, 'b'), target: productOf(slug, 'a') })));
      const rows = await csvRows(nodes.c);
      expect(rows.length).to.equal(before.length);
      // The same products, once each: the names on C did not change.
      expect(rows.map((r) => r['product']).sort()).to.deep.equal(before.map((r) => r['product']).sort());
      for (const slug of slugs) {
        const copies = rows.filter((r) => r['product_iri'] === productOf(slug, 'a') || r['product_iri'] === productOf(slug, 'b'));
        expect(copies, slug).to.have.length(1);
      }
      const stats = (await nodes.c.request('GET', '/api/federation/stats')).json<{ totals: { producers: number; products: number; offers: number } }>();
      expect(stats.totals).to.include({ producers: 7, products: before.length, offers: before.length });
    });
  });

  // ---------------------------------------------------------------- 2
  describe('a stock change at A reaches B', () => {
    const admin = (): Record<string, string> => ({ Authorization: `Bearer ${nodes.a.adminToken}`, 'Content-Type': 'application/json' });

    it('PUT stockLimitation 0 at A; after B syncs A, in_stock=true on B no longer lists it and the CSV shows stock 0', async () => {
      const ail = expected.a.find((o) => o.item.endsWith('/catalog_items/ail-violet')) as ExpectedOffer;
      expect(ail.stock).to.be.greaterThan(0);
      expect(await itemIris(nodes.b, 'in_stock=true')).to.include(ail.item);
      const put = await nodes.a.request('PUT', `/api/dfc/enterprises/${FERME}/catalog_items/ail-violet`, {
        headers: admin(), body: JSON.stringify({ 'dfc-b:stockLimitation': 0 }),
      });
      expect(put.status, put.text).to.equal(200);
      const summary = await nodes.b.sync(peerId('b', 'a'));
      // The catalog item and the offer that mirrored its stock changed: two versions in A's change feed, read
      // incrementally (one page with them, one empty page), nothing else fetched.
      expect(summary).to.include({ added: 0, updated: 2, withdrawn: 0, pages: 2, notModified: 0 });
      expect(await itemIris(nodes.b, 'in_stock=true')).to.not.include(ail.item);
      expect(await itemIris(nodes.b, '')).to.include(ail.item);
      const row = (await csvRows(nodes.b)).find((r) => r['catalog_item_iri'] === ail.item);
      expect(row).to.deep.include({ stock: '0', in_stock: 'false' });
      const item = itemsOf(await federated(nodes.b, `enterprise=${encodeURIComponent(ail.enterprise)}`)).find((i) => i.id === ail.item);
      expect(item?.stock).to.equal(0);
    });
  });

  // ---------------------------------------------------------------- 3
  describe('a product deleted at A is withdrawn at B (grace 0), and comes back', () => {
    let echalotes: ExpectedOffer;

    before(() => {
      echalotes = expected.a.find((o) => o.item.endsWith('/catalog_items/echalotes')) as ExpectedOffer;
    });

    it('disappears from B\'s federated catalogue but stays in B\'s database, flagged withdrawn', async () => {
      expect(await itemIris(nodes.b, '')).to.include(echalotes.item);
      const del = await nodes.a.request('DELETE', `/api/dfc/enterprises/${FERME}/supplied_products/echalotes`, {
        headers: { Authorization: `Bearer ${nodes.a.adminToken}` },
      });
      expect(del.status, del.text).to.be.oneOf([200, 204]);
      const summary = await nodes.b.sync(peerId('b', 'a'));
      expect(summary).to.include({ added: 0, withdrawn: 3 });
      expect(await itemIris(nodes.b, '')).to.not.include(echalotes.item);
      expect(await itemIris(nodes.b, 'q=echalote')).to.deep.equal([]);
      const provenance = nodes.b.node.store.provenance;
      expect((await provenance.peerCounts(peerId('b', 'a'))).withdrawn).to.equal(3);
      const held = await provenance.held(peerId('b', 'a'));
      for (const iri of [echalotes.item, echalotes.product, echalotes.offer]) {
        expect(held.get(iri)?.withdrawnAt, iri).to.be.a('string');
      }
      // A sync that finds nothing new changes nothing: it stays withdrawn.
      const again = await nodes.b.sync(peerId('b', 'a'));
      expect(again).to.include({ added: 0, updated: 0, withdrawn: 0 });
      expect(await itemIris(nodes.b, ''), 'withdrawn item back after a 304').to.not.include(echalotes.item);
      expect((await provenance.peerCounts(peerId('b', 'a'))).withdrawn).to.equal(3);
    });

    it('comes back when A serves it again under the same @id (re-imported from the example)', async () => {
      const text = readFileSync(join(EXAMPLES, `${FERME}.jsonld`), 'utf8');
      const { records } = await nodes.a.node.decoder.decode(text);
      const wanted = new Set(records.filter((r) => /\/echalotes$/u.test(r.id)).map((r) => r.id));
      expect(wanted.size).to.equal(3);
      await nodes.a.node.catalog.importRecords(FERME, records.filter((r) => wanted.has(r.id)));
      expect((await nodes.a.request('GET', `/api/dfc/enterprises/${FERME}/catalog_items/echalotes`)).status).to.equal(200);
      const summary = await nodes.b.sync(peerId('b', 'a'));
      expect(summary).to.include({ added: 0, withdrawn: 0 });
      expect(await itemIris(nodes.b, '')).to.include(echalotes.item);
      expect((await nodes.b.node.store.provenance.peerCounts(peerId('b', 'a'))).withdrawn).to.equal(0);
      const row = (await csvRows(nodes.b)).find((r) => r['catalog_item_iri'] === echalotes.item);
      expect(Number(row?.['price'])).to.equal(echalotes.price);
    });

    it('with a grace period: missing first, withdrawn once the grace is over, even when the page then answers 304', async () => {
      const d = await startFederationNode({ name: 'Node D', withdrawGraceSeconds: 1 });
      extraNodes.push(d);
      const shop = await startStaticPeer((origin) => ({
        [OFN_CATALOGUE_PATH]: { body: JSON.stringify(ofnDocument(origin)), contentType: 'application/ld+json' },
      }));
      servers.push(shop);
      const peer = await d.addPeer(`${shop.url}${OFN_CATALOGUE_PATH}`, 'shop');
      expect((await d.sync(peer.id)).added).to.be.greaterThan(10);
      // The shop stops selling the apple juice (1203): product, item and offer leave the document.
      const gone = ofnOffers(shop.url).find((o) => o.item.endsWith('/1203')) as ExpectedOffer;
      const document = ofnDocument(shop.url);
      const without = JSON.parse(JSON.stringify({ ...document, '@graph': document['@graph'].filter((n) => ![gone.item, gone.product, gone.offer].includes(n['@id'] as string)) })
        .replaceAll(`"${gone.item}",`, '').replaceAll(`"${gone.product}",`, '')) as object;
      shop.files.set(OFN_CATALOGUE_PATH, { body: JSON.stringify(without), contentType: 'application/ld+json' });
      const first = await d.sync(peer.id);
      expect(first).to.include({ withdrawn: 0, notModified: 0 });
      expect(await d.node.store.provenance.peerCounts(peer.id)).to.include({ missing: 3, withdrawn: 0 });
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const second = await d.sync(peer.id);
      expect(second).to.include({ notModified: 1 });
      expect(await d.node.store.provenance.peerCounts(peer.id), 'after the grace, with the page unchanged (304)').to.deep.equal({ active: ofnDocument(shop.url)['@graph'].length - 3, missing: 0, withdrawn: 3 });
      expect(second.withdrawn).to.equal(3);
      expect(await itemIris(d, '')).to.not.include(gone.item);
    });
  });

  // ---------------------------------------------------------------- 11
  describe('no peer damages another\'s data: impostors claiming A\'s enterprise, or this node\'s own', () => {
    let e: FederationNode;
    const OWN = 'epicerie-du-village';
    const PATH = '/impostor/catalog.json';
    let ferme: string;
    let own: string;
    const summaries: SyncSummary[] = [];

    /** The OFN shop's document, its enterprise's @id replaced by `enterprise` (its items then claim it), renamed. */
    const claiming = (origin: string, enterprise: string): string => JSON.stringify(ofnDocument(origin))
      .replaceAll(`"${origin}/api/dfc/enterprises/7001"`, JSON.stringify(enterprise)).replaceAll('Vergers de la Vézère', 'Ferme Usurpée');

    /** A relay's document: an item of A's (on A's origin) that A does not list, and its copy of A's farm, renamed and moved. */
    const ghost = (origin: string, when: string): string => JSON.stringify({
      '@context': CTX_1_16,
      '@graph': [
        { '@id': ferme, '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Ferme Usurpée', 'dfc-b:hasAddress': `${origin}/addresses/brest` },
        { '@id': `${origin}/addresses/brest`, '@type': 'dfc-b:Address', 'dfc-b:hasCity': 'Brest', 'dfc-b:hasPostalCode': '29200', 'dfc-b:latitude': 48.39, 'dfc-b:longitude': -4.49 },
        { '@id': `${ferme}/catalog_items/ghost-${when}`, '@type': 'dfc-b:CatalogItem', 'dfc-b:references': `${ferme}/supplied_products/ghost-${when}`,
          'dfc-b:stockLimitation': 3, 'dfc-b:offeredThrough': `${ferme}/offers/ghost-${when}`, 'dfc-b:managedBy': ferme },
        { '@id': `${ferme}/supplied_products/ghost-${when}`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': `Fantôme ${when}` },
        { '@id': `${ferme}/offers/ghost-${when}`, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': `${ferme}/catalog_items/ghost-${when}`,
          'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 1, 'dfc-b:hasUnit': 'dfc-m:Euro' }, 'dfc-b:stockLimitation': 3 },
      ],
    });

    before(async function () {
      this.timeout(30_000);
      e = await startFederationNode({ name: 'Node E' });
      extraNodes.push(e);
      await e.seed(OWN);
      ferme = `${nodes.a.base}/api/dfc/enterprises/${FERME}`;
      own = `${e.base}/api/dfc/enterprises/${OWN}`;
      // Added before A (lower peer ids): they must not win a tie they should not be in.
      const impostor = await startStaticPeer((origin) => ({ [PATH]: { body: claiming(origin, ferme), contentType: 'application/ld+json' } }));
      const usurper = await startStaticPeer((origin) => ({ [PATH]: { body: claiming(origin, own), contentType: 'application/ld+json' } }));
      servers.push(impostor, usurper);
      // Relays of an item on A's origin that A does not list, with a copy of A's enterprise renamed and moved to Brest:
      // one synced before A (A's first snapshot corrects it), one after (its own first snapshot takes A's word).
      const relays = ['before', 'after'].map(async (when) => startStaticPeer((origin) => ({ [PATH]: { body: ghost(origin, when), contentType: 'application/ld+json' } })));
      const [before, after] = await Promise.all(relays);
      servers.push(before as StaticPeer, after as StaticPeer);
      const peers = [await e.addPeer(`${impostor.url}${PATH}`, 'Impostor'), await e.addPeer(`${usurper.url}${PATH}`, 'Usurper'),
        await e.addPeer(`${before?.url}${PATH}`, 'Relay before'), await e.addPeer(nodes.a.url, 'Node A'), await e.addPeer(`${after?.url}${PATH}`, 'Relay after')];
      for (const peer of peers) summaries.push(await e.sync(peer.id));
    });

    it('lists the impostors\' items under no enterprise, and reports them with the refusals', async () => {
      const ofnItems = ofnOffers('http://x.invalid').length;
      // Each item claiming another origin's enterprise as its seller is counted (A's: none); the usurper's copy of
      // E's own enterprise, on E's origin, is skipped besides (no peer changes E's resources), and counted apart.
      expect(summaries[0]?.refused).to.equal(ofnItems);
      expect(summaries[1]?.refused).to.equal(summaries[0]?.refused);
      expect(summaries[1]?.ownSkipped).to.equal(1);
      expect(summaries[1]?.quarantined).to.equal(0);
      expect(summaries[3]?.refused).to.equal(0);
      // The relays' items on A's origin that A, followed whole, does not publish are not listed (the relay synced
      // before A included), and the relay synced after A says so in its summary.
      expect(await itemIris(e, `enterprise=${encodeURIComponent(ferme)}`)).to.deep.equal(sorted(expected.a.filter((o) => o.enterprise === ferme).map((o) => o.item)));
      expect(await itemIris(e, 'q=fantome')).to.deep.equal([]);
      expect(summaries[4]?.unvouched).to.deep.equal({ count: 1, iris: [`${ferme}/catalog_items/ghost-after`] });
      expect(await itemIris(e, `enterprise=${encodeURIComponent(own)}`)).to.deep.equal(sorted(exampleOffers('c', e.base).filter((o) => o.eid === OWN).map((o) => o.item)));
      const rows = (await csvRows(e)).filter((r) => !r['catalog_item_iri']?.startsWith(nodes.a.base) && !r['catalog_item_iri']?.startsWith(e.base));
      expect(rows).to.have.length(2 * ofnItems);
      for (const row of rows) expect([row['enterprise'], row['enterprise_name'], row['town'], row['latitude']], row['catalog_item_iri']).to.deep.equal(['', '', '', '']);
    });

    it('names and places A\'s enterprise by A\'s word in the producers\' map, the towns, near=<town> and text search', async () => {
      const real = exampleEnterprise(FERME);
      const { producers } = (await e.request('GET', '/api/federation/producers')).json<{ producers: { iri: string; name: string; city: string }[] }>();
      expect(producers.find((p) => p.iri === ferme)).to.deep.include({ name: real.name, city: real.address.city });
      expect(producers.map((p) => p.name)).to.not.include('Ferme Usurpée');
      const towns = (await e.request('GET', '/api/federation/places')).json<{ places: { city: string }[] }>().places.map((p) => p.city);
      expect(towns).to.not.include('Tulle');
      expect(towns).to.not.include('Brest');
      expect(await itemIris(e, 'near=48.39,-4.49&radius_km=50')).to.deep.equal([]);
      expectProblem(await e.request('GET', '/api/federation/catalog?near=Tulle'), 400);
      expect(await itemIris(e, 'q=usurpee')).to.deep.equal([]);
      // The relays' ghosts are not listed (A does not publish them): every row of A's farm is A's.
      const rows = (await csvRows(e)).filter((r) => r['enterprise'] === ferme);
      expect(rows).to.have.length(expected.a.filter((o) => o.enterprise === ferme).length);
      for (const row of rows) expect([row['enterprise_name'], row['town']]).to.deep.equal([real.name, real.address.city]);
    });
  });
});
