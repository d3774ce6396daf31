/**
 * Generic Linked Data clients traverse our paging (issue 12).
 *
 * A link-traversal client (Hydra, LDP, TREE readers) starts from the URL it is given and follows `hydra:next`
 * only from the `hydra:PartialCollectionView` whose `@id` is that very URL. The independent client here is
 * Comunica (`@comunica/query-sparql`), run offline against a real node on loopback: for every paged collection
 * and every format, starting from `…?page_size=N` (and odd spellings of it), it must read every member. A
 * negative control shows the check can fail: a static page whose view names another URL stops Comunica at page 1.
 *
 * Comunica gets a `fetch` of ours that answers the DFC context URLs from our local contexts, forces the format
 * under test through `Accept` (Comunica prefers N-Quads otherwise), and refuses every URL off loopback: nothing
 * leaves the machine, and the list of refused URLs must stay empty.
 *
 * The DFC connector has no notion of Hydra: it reads the same collection page by page, following the `Link:
 * rel="next"` header (which must agree with the body's `hydra:next`), as a DFC platform does.
 */
import { get } from 'node:http';
import { expect } from 'chai';
import { Parser } from 'n3';
import { CONTEXT_1_16_URL, resolveKnownContext } from '../../ontology/contexts.js';
import { DFC_NAMESPACES, NS } from '../../ontology/namespaces.js';
import { TREE } from '../../ontology/streams.js';
import type { DfcRecord } from '../../ontology/records.js';
import { issueToken } from '../../server/auth/tokens.js';
import { serialize } from '../../server/codec/serialize.js';
import { readWithConnector } from '../helpers/dfc-connector.js';
import { startStaticPeer, startFakePeer, type FakePeer, type StaticPeer } from '../helpers/fake-peer.js';
import { startFederationNode, type FederationNode } from '../helpers/federation.js';
import { farmRecords, ORCHARD_PRODUCTS, type FarmProduct } from '../helpers/in-process.js';

/** The formats a collection is served in, as a client asks for them. */
const FORMATS = [
  { name: 'JSON-LD (DFC 1.16)', accept: 'application/ld+json' },
  { name: 'JSON-LD (DFC 2.0 profile)', accept: 'application/ld+json; profile="dfc-v2"' },
  { name: 'Turtle', accept: 'text/turtle' },
  { name: 'N-Triples', accept: 'application/n-triples' },
  { name: 'N-Quads', accept: 'application/n-quads' },
] as const;

/** A class in both DFC generations we write (1.16 by default, 2.0 under the profile). */
function dfcClass(local: string): string[] {
  return [`${DFC_NAMESPACES['1.x']['dfc-b']}${local}`, `${DFC_NAMESPACES['2.0']['dfc-b']}${local}`];
}

/** The subjects of one of the classes, read by Comunica. */
function membersQuery(classes: readonly string[]): string {
  return `SELECT DISTINCT ?s WHERE { VALUES ?class { ${classes.map((c) => `<${c}>`).join(' ')} } ?s a ?class }`;
}

/** Eleven products: more than a page at every page size used here. */
const PRODUCTS: readonly FarmProduct[] = Array.from({ length: 11 }, (_, i) => ({
  id: `produit-${String(i).padStart(2, '0')}`, name: `Produit n°${i}`, stock: i % 4 === 0 ? null : i, price: 1 + i / 4, sku: `P-${i}`,
}));

type Engine = {
  invalidateHttpCache(): Promise<unknown>;
  queryBindings(query: string, context: Record<string, unknown>): Promise<{ toArray(): Promise<{ get(name: string): { value: string } | undefined }[]> }> };

/** What one traversal did: the members found, the pages fetched (in order), the URLs refused. */
interface Traversal {
  readonly members: string[];
  readonly pages: string[];
  readonly refused: string[];
}

describe('generic Linked Data clients traverse our paging (issue 12)', function () {
  this.timeout(120_000);
  let engine: Engine;
  let node: FederationNode;
  let orchard: StaticPeer;
  let sellerToken: string;
  /** The products an order holds one unit of. */
  const ordered: string[] = [];
  /** What the node holds, counted from what was put in (not read back). */
  const totals = {
    enterprises: 4, products: PRODUCTS.length, orders: 5,
    // ferme's, verger-local's and rucher's offers, and the peer's.
    federatedOffers: PRODUCTS.length + ORCHARD_PRODUCTS.length + 2 + ORCHARD_PRODUCTS.length,
  };

  /** Runs Comunica from `url`, in the format of `accept`, with a bearer token for the loopback node if given. */
  async function traverse(url: string, accept: string, classes: readonly string[], token?: string): Promise<Traversal> {
    const pages: string[] = [];
    const refused: string[] = [];
    const offlineFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const target = input instanceof Request ? input.url : String(input);
      const context = resolveKnownContext(target);
      if (context !== undefined) {
        return new Response(JSON.stringify({ '@context': context }), { headers: { 'content-type': 'application/ld+json' } });
      }
      if (new URL(target).hostname !== '127.0.0.1') {
        refused.push(target);
        throw new Error(`refused: ${target} is not on loopback`);
      }
      pages.push(target);
      const headers = new Headers(init?.headers);
      headers.set('accept', accept);
      if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
      return fetch(target, { ...init, headers });
    };
    // The engine keeps what it fetched: each traversal must fetch its pages again, in its own format.
    await engine.invalidateHttpCache();
    // The federated catalogue's N-Quads put each source's word in its own named graph: members are read in all.
    const stream = await engine.queryBindings(membersQuery(classes), { sources: [url], fetch: offlineFetch, unionDefaultGraph: true });
    const members = (await stream.toArray()).map((b) => b.get('s')?.value ?? '');
    return { members: [...new Set(members)].sort(), pages, refused };
  }

  before(async () => {
    const { QueryEngine } = await import('@comunica/query-sparql');
    engine = new QueryEngine() as unknown as Engine;
    node = await startFederationNode({ name: 'hydra' });
    const seed = async (eid: string, records: DfcRecord[]) => {
      await node.node.catalog.createEnterprise(records, { eid });
      await node.node.catalog.importRecords(eid, records);
    };
    await seed('ferme', farmRecords('ferme', { products: PRODUCTS }));
    await seed('vide', farmRecords('vide', { products: [] }));
    await seed('verger-local', farmRecords('verger-local', { products: ORCHARD_PRODUCTS }));
    await seed('rucher', farmRecords('rucher', { products: PRODUCTS.slice(0, 2) }));
    // A peer with three more offers, synced: the federated catalogue then holds several sources (several named
    // graphs in N-Quads).
    orchard = await startStaticPeer((origin) => ({
      '/catalog.json': { body: serialize(farmRecords('verger', { origin, products: ORCHARD_PRODUCTS }), 'jsonld'), contentType: 'application/ld+json' },
    }));
    const peer = await node.addPeer(`${orchard.url}/catalog.json`, 'verger');
    await node.sync(peer.id);
    // Five orders of one unit each on `ferme`, read back with the seller's token.
    sellerToken = (await issueToken(node.node.store, { eid: 'ferme', scopes: ['ReadOrders', 'WriteOrders'] })).token;
    const ordersUrl = `${node.base}/api/dfc/enterprises/ferme/orders`;
    for (let i = 0; i < totals.orders; i++) {
      const product = PRODUCTS[i + 1]?.id ?? '';
      ordered.push(product);
      const offer = `${node.base}/api/dfc/enterprises/ferme/offers/${product}`;
      const body = JSON.stringify({
        '@context': CONTEXT_1_16_URL,
        '@graph': [
          { '@id': ordersUrl, '@type': 'dfc-b:Order', 'dfc-b:hasPart': `${ordersUrl}/OrderLines/1` },
          { '@id': `${ordersUrl}/OrderLines/1`, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': 1, 'dfc-b:concerns': offer },
        ],
      });
      const placed = await node.request('POST', '/api/dfc/enterprises/ferme/orders', {
        headers: { authorization: `Bearer ${sellerToken}`, 'content-type': 'application/ld+json' }, body,
      });
      expect(placed.status, placed.text).to.equal(201);
    }
  });

  after(async () => {
    await node?.close();
    await orchard?.close();
  });

  /** Every paged collection: where it is, what its members are, how many there are, and who may read it. */
  const collections = () => [
    { name: 'catalog_items', path: '/api/dfc/enterprises/ferme/catalog_items', classes: dfcClass('CatalogItem'), total: totals.products, size: 4 },
    { name: 'supplied_products', path: '/api/dfc/enterprises/ferme/supplied_products', classes: dfcClass('SuppliedProduct'), total: totals.products, size: 4 },
    { name: 'offers (in the catalogue pages)', path: '/api/dfc/enterprises/ferme/catalog_items', classes: dfcClass('Offer'), total: totals.products, size: 5 },
    { name: 'SuppliedProducts (FDC spelling)', path: '/api/dfc/enterprises/ferme/SuppliedProducts', classes: dfcClass('SuppliedProduct'), total: totals.products, size: 3 },
    { name: 'enterprises', path: '/api/dfc/enterprises', classes: [...dfcClass('Enterprise'), ...dfcClass('Organization')], total: totals.enterprises, size: 3 },
    { name: 'federated catalogue', path: '/api/federation/catalog', classes: dfcClass('Offer'), total: totals.federatedOffers, size: 4 },
    { name: 'orders', path: '/api/dfc/enterprises/ferme/orders', classes: dfcClass('Order'), total: totals.orders, size: 2, token: true },
    { name: 'Orders (FDC spelling)', path: '/api/dfc/enterprises/ferme/Orders', classes: dfcClass('Order'), total: totals.orders, size: 2, token: true },
  ];

  describe('Comunica reads every member from `?page_size=N`, on every paged collection and in every format', () => {
    for (const format of FORMATS) {
      it(`in ${format.name}`, async () => {
        for (const c of collections()) {
          const start = `${node.url}${c.path}?page_size=${c.size}`;
          const run = await traverse(start, format.accept, c.classes, c.token === true ? sellerToken : undefined);
          const label = `${c.name} in ${format.name}`;
          expect(run.refused, label).to.deep.equal([]);
          expect(run.members, label).to.have.length(c.total);
          expect(run.pages[0], label).to.equal(start);
          expect(new Set(run.pages).size, `${label}: pages ${run.pages.join(' ')}`).to.equal(Math.ceil(c.total / c.size));
        }
      });
    }
  });

  describe('odd query strings', () => {
    /** Spellings of the first page (and of later ones), with how many members a client starting there reads. */
    const starts = (path: string, size: number, total: number): { query: string; expected: number }[] => {
      const last = Math.ceil(total / size);
      return [
        { query: `?page=1&page_size=${size}`, expected: total },
        { query: `?page_size=${size}&page=1`, expected: total },
        { query: `?page_size=${size}&utm_source=newsletter&x=%C3%A9t%C3%A9`, expected: total },
        { query: `?page%5Fsize=${size}`, expected: total },
        { query: `?page_size=${[...String(size)].map((d) => `%3${d}`).join('')}`, expected: total },
        { query: `?page=2&page_size=${size}`, expected: total - size },
        { query: `?page=${last}&page_size=${size}`, expected: total - (last - 1) * size },
      ].map((s) => ({ ...s, query: `${path}${s.query}` }));
    };

    for (const format of [FORMATS[0], FORMATS[2]]) {
      it(`every spelling of a first, middle or last page, in ${format.name}`, async () => {
        for (const c of collections().filter((x) => x.name !== 'Orders (FDC spelling)' && x.name !== 'SuppliedProducts (FDC spelling)')) {
          for (const { query, expected } of starts(c.path, c.size, c.total)) {
            const run = await traverse(`${node.url}${query}`, format.accept, c.classes, c.token === true ? sellerToken : undefined);
            expect(run.refused, query).to.deep.equal([]);
            expect(run.members, `${query} in ${format.name}`).to.have.length(expected);
          }
        }
      });
    }

    it('a filtered federated catalogue keeps its filters (percent-encoded) on every page', async () => {
      const enterprise = encodeURIComponent(`${node.base}/api/dfc/enterprises/ferme`);
      for (const format of FORMATS) {
        const run = await traverse(`${node.url}/api/federation/catalog?enterprise=${enterprise}&page_size=3`, format.accept, dfcClass('Offer'));
        expect(run.members, format.name).to.have.length(totals.products);
        expect(run.pages.slice(1).every((p) => p.includes(`enterprise=${enterprise}`)), run.pages.join(' ')).to.equal(true);
      }
    });

    it('an empty collection and a collection on one page give their members, and no view', async () => {
      for (const format of FORMATS) {
        const empty = await traverse(`${node.url}/api/dfc/enterprises/vide/catalog_items?page_size=2`, format.accept, dfcClass('CatalogItem'));
        expect(empty.members, format.name).to.deep.equal([]);
        expect(empty.pages, format.name).to.have.length(1);
        const whole = await traverse(`${node.url}/api/dfc/enterprises/ferme/catalog_items?page_size=100`, format.accept, dfcClass('CatalogItem'));
        expect(whole.members, format.name).to.have.length(totals.products);
        expect(whole.pages, format.name).to.have.length(1);
      }
      const page = await node.request('GET', '/api/dfc/enterprises/vide/catalog_items?page_size=2', { headers: { accept: 'text/turtle' } });
      expect(page.status).to.equal(200);
      expect(page.text).to.not.include('PartialCollectionView');
    });

    it('every page names itself as requested, with hydra:first, hydra:last and (but on the last page) hydra:next', async () => {
      const query = '/api/dfc/enterprises/ferme/catalog_items?x=1&page_size=4';
      for (const format of FORMATS) {
        const page = await node.request('GET', query, { headers: { accept: format.accept } });
        expect(page.status).to.equal(200);
        const view = `${node.base}${query}`;
        if (format.accept.includes('json')) {
          const graph = (JSON.parse(page.text) as { '@graph': Record<string, unknown>[] })['@graph'];
          const node_ = graph.find((n) => n['@type'] === 'hydra:PartialCollectionView');
          expect(node_?.['@id'], format.name).to.equal(view);
          expect(node_, format.name).to.include.keys('hydra:first', 'hydra:next', 'hydra:last');
        } else {
          const quads = new Parser({ format: format.accept }).parse(page.text);
          const described = new Set(quads.filter((q) => q.subject.value === view).map((q) => q.predicate.value));
          for (const rel of ['first', 'next', 'last']) expect(described.has(`${NS.hydra}${rel}`), `${format.name} hydra:${rel}`).to.equal(true);
        }
      }
    });
  });

  describe('a URL requested with characters an IRI may not hold (raw, as Node lets them through)', () => {
    /** GETs a path as written, without the percent-encoding a WHATWG URL would apply. */
    const rawGet = (path: string, accept: string): Promise<{ status: number; text: string }> => new Promise((resolve, reject) => {
      const { hostname, port } = new URL(node.url);
      get({ host: hostname, port, path, headers: { accept } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => void (text += chunk)).on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      }).on('error', reject);
    });
    const encoded = (path: string): string => path.replace(/[<>"|{}^`\\]/gu, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

    it('a page or a fragment still names itself, percent-encoded, in every format (the view was left out of RDF)', async () => {
      for (const [path, type, formats] of [
        ['/api/dfc/enterprises/ferme/catalog_items?utm="a>b"|{c}&page_size=4', `${NS.hydra}PartialCollectionView`, ['text/turtle', 'application/n-quads']],
        ['/api/federation/catalog?page_size=2&u=a>b^c', `${NS.hydra}PartialCollectionView`, ['text/turtle', 'application/n-quads']],
        ['/api/dfc/feed?after=0&u=a<b>`', TREE.Node, ['text/turtle']],
      ] as const) {
        const self = `${node.base}${encoded(path)}`;
        for (const accept of formats) {
          const page = await rawGet(path, accept);
          expect(page.status, `${path} ${accept}`).to.equal(200);
          const typed = new Parser({ format: accept }).parse(page.text).filter((q) => q.predicate.value === `${NS.rdf}type` && q.object.value === type);
          expect(typed.map((q) => q.subject.value), `${path} ${accept}`).to.deep.equal([self]);
        }
        const jsonld = await rawGet(path, 'application/ld+json');
        expect(jsonld.text, path).to.include(JSON.stringify(self)).and.not.include('>b');
      }
    });
  });

  describe('the change feed (TREE)', () => {
    it('a fragment is the tree:Node whose @id is the URL as requested, in Turtle and in JSON-LD', async () => {
      for (const query of ['/api/dfc/feed?after=0', '/api/dfc/feed?utm_source=x&after=0', '/api/dfc/enterprises/ferme/feed?after=0&x=%C3%A9']) {
        const turtle = await node.request('GET', query, { headers: { accept: 'text/turtle' } });
        expect(turtle.status, turtle.text).to.equal(200);
        const nodes = new Parser({ format: 'text/turtle' }).parse(turtle.text)
          .filter((q) => q.predicate.value === `${NS.rdf}type` && q.object.value === TREE.Node).map((q) => q.subject.value);
        expect(nodes, query).to.deep.equal([`${node.base}${query}`]);
        const jsonld = await node.request('GET', query, { headers: { accept: 'application/ld+json' } });
        const graph = (JSON.parse(jsonld.text) as { '@graph': Record<string, unknown>[] })['@graph'];
        expect(graph.filter((n) => [n['@type']].flat().some((t) => t === 'tree:Node' || t === TREE.Node)).map((n) => n['@id']), query)
          .to.deep.equal([`${node.base}${query}`]);
      }
    });
  });

  describe('the DFC connector reads a paged catalogue page by page', () => {
    for (const query of ['?page_size=4', '?utm_source=x&page_size=4', '?page=1&page_size=3']) {
      it(`from ${query}: every product with its name, price and stock`, async () => {
        const start = `${node.url}/api/dfc/enterprises/ferme/catalog_items${query}`;
        const read = await readWithConnector(start);
        const size = Number(/page_size=(\d+)/u.exec(query)?.[1]);
        expect(read.pages).to.have.length(Math.ceil(PRODUCTS.length / size));
        expect(read.pages[0]).to.equal(start);
        expect(read.connectorFetches.every((u) => u === CONTEXT_1_16_URL)).to.equal(true);
        const byName = new Map(read.entries.map((e) => [e.name, e]));
        expect(byName.size).to.equal(PRODUCTS.length);
        for (const p of PRODUCTS) {
          const entry = byName.get(p.name);
          // The orders placed hold one unit each of their product: the published stock is what is left (on demand: -1).
          const stock = p.stock === null ? -1 : p.stock - (ordered.includes(p.id) ? 1 : 0);
          expect(entry?.sku, p.name).to.equal(p.sku);
          expect(entry?.stock, p.name).to.equal(stock);
          expect(entry?.offers.map((o) => [o.price, o.unit, o.stock]), p.name).to.deep.equal([[p.price, 'dfc-m:Euro', stock]]);
        }
      });
    }
  });

  describe('the test can fail', () => {
    let fake: FakePeer;
    const CLASS = `${DFC_NAMESPACES['1.x']['dfc-b']}CatalogItem`;

    /** Two pages of two items; the first page's view is `viewOfFirst` (a path and query under the fake server). */
    let viewOfFirst = '';
    before(async () => {
      fake = await startFakePeer((req, res, peer) => {
        const page = (req.url ?? '').includes('page=2') ? 2 : 1;
        const items = [1, 2].map((i) => `<${peer.base}/items/${page}-${i}> a <${CLASS}> .`);
        const view = page === 1
          ? `<${peer.base}${viewOfFirst}> a <${NS.hydra}PartialCollectionView> ; <${NS.hydra}next> <${peer.base}/list?page=2&page_size=2> .`
          : `<${peer.base}/list?page=2&page_size=2> a <${NS.hydra}PartialCollectionView> .`;
        res.writeHead(200, { 'content-type': 'text/turtle' }).end([...items, view].join('\n'));
      });
    });
    after(async () => fake?.close());

    it('a first page whose view is not the URL requested stops Comunica at that page', async () => {
      viewOfFirst = '/list?page=1&page_size=2';
      const stopped = await traverse(`${fake.base}/list?page_size=2`, 'text/turtle', [CLASS]);
      expect(stopped.members).to.have.length(2);
      expect(stopped.pages).to.deep.equal([`${fake.base}/list?page_size=2`]);
      // The same pages, the view naming the URL requested: Comunica reads both.
      viewOfFirst = '/list?page_size=2';
      const followed = await traverse(`${fake.base}/list?page_size=2`, 'text/turtle', [CLASS]);
      expect(followed.members).to.have.length(4);
    });

    it('a URL off loopback is refused, and the refusal is seen', async () => {
      let error: unknown;
      try {
        await traverse('https://example.org/catalog', 'text/turtle', [CLASS]);
      } catch (e: unknown) {
        error = e;
      }
      expect(String(error)).to.match(/not on loopback/u);
    });
  });
});
