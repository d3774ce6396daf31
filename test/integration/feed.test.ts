/**
 * The change feed as a Linked Data Event Stream, end to end on real nodes (loopback, base URL = real URL):
 *
 * - every change to a published resource (enterprise profile, supplied product, catalog item, offer: create,
 *   update, delete) appends versions to the node's feed and to the enterprise's feed; a PUT that changes
 *   nothing appends nothing;
 * - the LDES shape, read with n3 (Turtle) and jsonld (JSON-LD), never with our own codec: the stream, its
 *   fragments, the members, the relations between full fragments, the caching of full and newest fragments;
 * - a private enterprise's feed needs a token, and the node's feed does not leak it;
 * - the reference LDES client (`ldes-client`, in a child process: it installs process-wide handlers and exits
 *   the process when a fetch fails) replicates the feed, and its latest versions equal what the store holds.
 */
import { expect } from 'chai';
const DFC_B_NS = 'https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Parser, Store, DataFactory, type Quad, type Term } from 'n3';
import { RECORD_KINDS } from '../../ontology/records.js';
import { issueToken, type Scope } from '../../server/auth/tokens.js';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/logging.js';
import { startNode, type NodeParts, type RunningNode } from '../../server/main.js';
import { freePort, startFederationNode, type FederationNode } from '../helpers/federation.js';
import { doublesAsDecimals, jsonld, offline } from '../helpers/jsonld.js';
import type { TestResponse } from '../helpers/node.js';
import { enterpriseBody, expectProblem, nestedProduct } from '../helpers/write-api.js';

// ------------------------------------------------------------------ vocabularies (written out, not imported from the server)

const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';
const LDES = 'https://w3id.org/ldes#';
const TREE = 'https://w3id.org/tree#';
const DCT = 'http://purl.org/dc/terms/';
const AS_DELETE = 'https://www.w3.org/ns/activitystreams#Delete';
const MAILLON_HEAD = 'https://maillon.example/ns#head';
const XSD_DATETIME = 'http://www.w3.org/2001/XMLSchema#dateTime';
const DFC_B = 'https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#';
const EXAMPLES = join(import.meta.dirname, '../../examples/network');
const CHEVRERIE = 'chevrerie-du-puy';

const { namedNode } = DataFactory;

// ------------------------------------------------------------------ reading the feed with n3

/** One version, as the Turtle says it. */
interface Version {
  readonly iri: string;
  readonly seq: number;
  readonly of: string;
  readonly modified: string;
  readonly modifiedType: string;
  readonly types: string[];
  readonly stock: number | undefined;
  readonly price: number | undefined;
  readonly name: string | undefined;
  readonly supplies: string[];
}

/** One fragment: its members and its relation to the next fragment. */
interface Fragment {
  readonly url: string;
  readonly response: TestResponse;
  readonly versions: Version[];
  readonly relations: { types: string[]; path: string | undefined; value: string | undefined; node: string | undefined }[];
}

function parseTurtle(text: string, base: string): Store {
  return new Store(new Parser({ format: 'text/turtle', baseIRI: base }).parse(text));
}

function objects(store: Store, subject: Term | string, predicate: string): Term[] {
  return store.getObjects(typeof subject === 'string' ? namedNode(subject) : subject, namedNode(predicate), null);
}

function one(store: Store, subject: Term | string, predicate: string): Term | undefined {
  return objects(store, subject, predicate)[0];
}

function numberOf(term: Term | undefined): number | undefined {
  return term === undefined ? undefined : Number(term.value);
}

/** Reads one fragment (Turtle) of the stream `feedUrl`. */
function readFragment(url: string, feedUrl: string, response: TestResponse): Fragment {
  expect(response.status, `GET ${url}: ${response.text.slice(0, 300)}`).to.equal(200);
  expect(response.headers.get('content-type') ?? '').to.match(/^text\/turtle/u);
  const store = parseTurtle(response.text, url);
  const versions = objects(store, feedUrl, `${TREE}member`).map((member) => {
    const iri = member.value;
    const seq = /\/feed\/versions\/(\d+)$/u.exec(iri);
    expect(seq, `version IRI ${iri}`).to.not.equal(null);
    const of = one(store, member, `${DCT}isVersionOf`);
    const modified = one(store, member, `${DCT}modified`);
    expect(of, `${iri} dcterms:isVersionOf`).to.not.equal(undefined);
    expect(modified, `${iri} dcterms:modified`).to.not.equal(undefined);
    const price = one(store, member, `${DFC_B}hasPrice`);
    return {
      iri, seq: Number(seq?.[1]), of: of?.value ?? '', modified: modified?.value ?? '',
      modifiedType: modified?.termType === 'Literal' ? (modified as unknown as { datatype: Term }).datatype.value : '',
      types: objects(store, member, RDF_TYPE).map((t) => t.value),
      stock: numberOf(one(store, member, `${DFC_B}stockLimitation`)),
      price: price === undefined ? undefined : numberOf(one(store, price, `${DFC_B}value`)),
      name: one(store, member, `${DFC_B}name`)?.value,
      supplies: objects(store, member, `${DFC_B}supplies`).map((t) => t.value),
    };
  }).sort((a, b) => a.seq - b.seq);
  const relations = objects(store, url, `${TREE}relation`).map((relation) => ({
    types: objects(store, relation, RDF_TYPE).map((t) => t.value),
    path: one(store, relation, `${TREE}path`)?.value,
    value: one(store, relation, `${TREE}value`)?.value,
    node: one(store, relation, `${TREE}node`)?.value,
  }));
  return { url, response, versions, relations };
}

const TURTLE_ACCEPT = { accept: 'text/turtle' };

/** Every fragment of a stream from `?after=<after>`, following `tree:node` links (at most 500 fragments). */
async function walk(node: Pick<FederationNode, 'request' | 'base'>, feedPath: string, after = 0, headers: Record<string, string> = {}): Promise<Fragment[]> {
  const feedUrl = `${node.base}${feedPath}`;
  const fragments: Fragment[] = [];
  let url: string | undefined = `${feedUrl}?after=${after}`;
  while (url !== undefined) {
    expect(fragments.length, 'too many fragments').to.be.below(500);
    expect(url.startsWith(`${feedUrl}?after=`), `fragment link ${url}`).to.equal(true);
    const fragment = readFragment(url, feedUrl, await node.request('GET', url.slice(node.base.length), { headers: { ...TURTLE_ACCEPT, ...headers } }));
    fragments.push(fragment);
    url = fragment.relations[0]?.node;
  }
  return fragments;
}

/** The versions after `after` in a stream. */
async function versionsAfter(node: Pick<FederationNode, 'request' | 'base'>, feedPath: string, after: number, headers: Record<string, string> = {}): Promise<Version[]> {
  return (await walk(node, feedPath, after, headers)).flatMap((f) => f.versions);
}

/** The triples of a JSON-LD document, through the jsonld library, as N-Quads lines without blank node labels. */
async function jsonLdTriples(text: string): Promise<string[]> {
  // Offline: a feed document carries its context inline, so the loader is never asked for anything.
  const nquads = doublesAsDecimals(await jsonld.toRDF(JSON.parse(text), { format: 'application/n-quads', ...offline }));
  return canonicalLines(new Parser({ format: 'application/n-quads' }).parse(nquads));
}

/** Quads as sorted lines with blank nodes as `_:b` (enough to compare two serialisations of the same graph). */
function canonicalLines(quads: readonly Quad[]): string[] {
  const term = (t: Term): string => {
    if (t.termType === 'BlankNode') return '_:b';
    if (t.termType === 'Literal') {
      const literal = t as unknown as { value: string; datatype: Term; language: string };
      return `"${literal.value}"^^${literal.datatype.value}@${literal.language}`;
    }
    return `<${t.value}>`;
  };
  return quads.map((q) => `${term(q.subject)} ${term(q.predicate)} ${term(q.object)}`).sort();
}

// ------------------------------------------------------------------ a node with a small feed fragment size

/**
 * A node whose feed fragments hold `fragmentSize` versions (`MAILLON_FEED_PAGE_SIZE`), on a real loopback port
 * that is also its base URL. (`startFederationNode` takes no feed settings, hence this.)
 */
interface SmallFragmentNode {
  readonly parts: RunningNode;
  readonly base: string;
  request(method: string, path: string, options?: { headers?: Record<string, string>; body?: string }): Promise<TestResponse>;
  close(): Promise<void>;
}

async function startSmallFragmentNode(fragmentSize: number): Promise<SmallFragmentNode> {
  const dir = mkdtempSync(join(tmpdir(), 'maillon-feed-'));
  let parts: RunningNode | undefined;
  let base = '';
  for (let attempt = 0; parts === undefined; attempt++) {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const config = loadConfig({ port: String(port), host: '127.0.0.1', 'data-dir': dir, 'base-url': base }, {
      MAILLON_LOG_LEVEL: 'silent', MAILLON_ALLOW_PRIVATE: '1', MAILLON_SYNC_SCHEDULE: 'off', MAILLON_FEED_PAGE_SIZE: String(fragmentSize),
    });
    expect(config.feedFragmentSize).to.equal(fragmentSize);
    try {
      parts = await startNode(config, createLogger('silent'));
    } catch (error: unknown) {
      if (attempt >= 4 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
  const running = parts;
  return {
    parts: running, base,
    request: async (method, path, init = {}) => {
      const response = await fetch(`${base}${path}`, { method, headers: init.headers ?? {}, ...(init.body !== undefined ? { body: init.body } : {}) });
      const text = await response.text();
      return { status: response.status, headers: response.headers, text, json: <T>() => JSON.parse(text) as T };
    },
    close: async () => {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function seedExample(parts: NodeParts, name: string): Promise<void> {
  const result = await parts.decoder.decode(readFileSync(join(EXAMPLES, `${name}.jsonld`), 'utf8'));
  expect(result.rejected).to.deep.equal([]);
  await parts.catalog.createEnterprise(result.records, { eid: name });
  await parts.catalog.importRecords(name, result.records);
}

// ------------------------------------------------------------------ ldes-client, in a child process

/** What the child reports of one member. */
interface ReplicatedMember {
  readonly id: string;
  readonly isVersionOf: string | null;
  readonly timestamp: string | null;
  readonly type: string | null;
  readonly stock: number | null;
}

const LDES_CHILD = `
const { replicateLDES } = await import('ldes-client');
const STOCK = ${JSON.stringify(`${DFC_B}stockLimitation`)};
const client = replicateLDES({ url: process.argv[1], materialize: true, noShape: true, polling: false });
const reader = client.stream({ highWaterMark: 100 }).getReader();
const out = [];
const str = (v) => (v === undefined || v === null ? null : typeof v === 'string' ? v : typeof v.value === 'string' ? v.value : v instanceof Date ? v.toISOString() : String(v));
for (;;) {
  const { value, done } = await reader.read();
  if (done) break;
  const id = str(value.id);
  const stock = value.quads.find((q) => q.subject.value === id && q.predicate.value === STOCK);
  out.push({ id, isVersionOf: str(value.isVersionOf), timestamp: value.timestamp === undefined ? null : new Date(str(value.timestamp)).toISOString(),
    type: str(value.type), stock: stock === undefined ? null : Number(stock.object.value) });
}
process.stdout.write(JSON.stringify(out), () => process.exit(0));
`;

/** Runs `ldes-client` on a stream URL (of a running node) and returns every member it emitted. */
async function replicate(url: string): Promise<ReplicatedMember[]> {
  // Its LevelDB state goes to a temporary directory of our own, removed afterwards.
  const scratch = mkdtempSync(join(tmpdir(), 'maillon-ldes-client-'));
  const child = spawn(process.execPath, ['--input-type=module', '-e', LDES_CHILD, url], {
    cwd: join(import.meta.dirname, '../..'), env: { ...process.env, LOG_LEVEL: 'error', TMPDIR: scratch }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(killer);
  rmSync(scratch, { recursive: true, force: true });
  expect(code, `ldes-client exited with ${code}: ${stderr.slice(0, 1000)}`).to.equal(0);
  return JSON.parse(stdout) as ReplicatedMember[];
}

// ------------------------------------------------------------------ small helpers

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
const JSON_BODY = { 'content-type': 'application/json' };
const JSONLD_BODY = { 'content-type': 'application/ld+json' };

function byOf(versions: readonly Version[]): Map<string, Version[]> {
  const map = new Map<string, Version[]>();
  for (const v of versions) map.set(v.of, [...(map.get(v.of) ?? []), v]);
  return map;
}

const sortedSet = (values: Iterable<string>): string[] => [...new Set(values)].sort();

// ------------------------------------------------------------------ the tests

describe('change feed (LDES)', function () {
  this.timeout(30_000);

  let node: FederationNode;
  let small: SmallFragmentNode;

  before(async () => {
    [node, small] = await Promise.all([startFederationNode({ name: 'feed-node' }), startSmallFragmentNode(5)]);
    await seedExample(node.node, CHEVRERIE);
    await seedExample(small.parts, CHEVRERIE);
  });

  after(async () => {
    await Promise.all([node?.close(), small?.close()]);
  });

  const token = async (eid: string | null, scopes: readonly Scope[]): Promise<string> => (await issueToken(node.node.store, { eid, scopes })).token;

  describe('every change to a published resource appends versions', () => {
    let eid = '';
    let enterprise = '';
    let writer = '';
    let product = '';
    let item = '';
    let offer = '';
    const feedPath = (): string => `/api/dfc/enterprises/${eid}/feed`;

    /** The versions appended since `seq`, read from the node's feed and from the enterprise's, which must agree. */
    const appended = async (seq: number): Promise<Version[]> => {
      const all = await versionsAfter(node, '/api/dfc/feed', seq);
      const own = await versionsAfter(node, feedPath(), seq);
      expect(own.map((v) => v.iri), 'the enterprise feed has the same versions as the node feed').to.deep.equal(all.map((v) => v.iri));
      expect(own).to.deep.equal(all);
      const seqs = all.map((v) => v.seq);
      expect(seqs, 'sequence numbers go up').to.deep.equal([...seqs].sort((a, b) => a - b));
      if (all.length > 0) expect(all.at(-1)?.seq).to.equal(await node.node.store.feed.latestSeq());
      return all;
    };
    const head = (): Promise<number> => node.node.store.feed.latestSeq();

    it('an enterprise created through the API: its profile resources are created in the feed', async () => {
      const before = await head();
      const response = await node.request('POST', '/api/dfc/enterprises', {
        headers: { ...bearer(node.adminToken), ...JSONLD_BODY }, body: JSON.stringify(enterpriseBody({ name: 'Verger du Flux' })),
      });
      expect(response.status, response.text).to.equal(201);
      enterprise = response.headers.get('location') ?? '';
      eid = decodeURIComponent(enterprise.split('/').pop() ?? '');
      writer = await token(eid, ['ReadEnterprise', 'WriteEnterprise', 'ReadProducts', 'WriteProducts']);
      const versions = await appended(before);
      expect(versions.map((v) => v.of)).to.include(enterprise);
      expect(versions.length, 'enterprise, address and main contact').to.equal(3);
      const created = byOf(versions).get(enterprise)?.[0];
      expect(created?.types).to.include(`${DFC_B}Enterprise`);
      expect(created?.name).to.equal('Verger du Flux');
      for (const v of versions) {
        expect(v.modifiedType).to.equal(XSD_DATETIME);
        expect(Number.isNaN(Date.parse(v.modified)), v.modified).to.equal(false);
      }
    });

    it('an enterprise profile update appends a version; the same PUT again appends nothing', async () => {
      const before = await head();
      const body = JSON.stringify(enterpriseBody({ name: 'Verger du Flux (renommé)' }));
      const put = await node.request('PUT', `/api/dfc/enterprises/${eid}`, { headers: { ...bearer(writer), ...JSONLD_BODY }, body });
      expect(put.status, put.text).to.equal(200);
      const versions = await appended(before);
      expect(sortedSet(versions.map((v) => v.of))).to.deep.equal([enterprise]);
      expect(versions[0]?.name).to.equal('Verger du Flux (renommé)');

      const unchanged = await head();
      const again = await node.request('PUT', `/api/dfc/enterprises/${eid}`, { headers: { ...bearer(writer), ...JSONLD_BODY }, body });
      expect(again.status, again.text).to.equal(200);
      expect(await appended(unchanged), 'an unchanged profile PUT').to.deep.equal([]);
    });

    it('POST …/supplied_products creates the product, its catalog item and its offer in the feed', async () => {
      const before = await head();
      const response = await node.request('POST', `/api/dfc/enterprises/${eid}/supplied_products`, {
        headers: { ...bearer(writer), ...JSONLD_BODY }, body: JSON.stringify(nestedProduct({ name: 'Pommes reinettes', stock: 10, price: 2.5 })),
      });
      expect(response.status, response.text).to.equal(201);
      const graph = response.json<{ '@graph': { '@id': string; '@type': string }[] }>()['@graph'];
      product = graph.find((n) => n['@type'] === 'dfc-b:SuppliedProduct')?.['@id'] ?? '';
      item = graph.find((n) => n['@type'] === 'dfc-b:CatalogItem')?.['@id'] ?? '';
      offer = graph.find((n) => n['@type'] === 'dfc-b:Offer')?.['@id'] ?? '';
      const versions = await appended(before);
      const by = byOf(versions);
      // The product, its item and its offer; and the enterprise, if its record changed (it supplies one more product).
      expect(sortedSet(versions.map((v) => v.of).filter((iri) => iri !== enterprise))).to.deep.equal(sortedSet([product, item, offer]));
      for (const v of by.get(enterprise) ?? []) expect(v.supplies, 'the enterprise\'s new version').to.include(product);
      expect(versions.length - (by.get(enterprise)?.length ?? 0)).to.equal(3);
      expect(by.get(product)?.[0]?.types).to.include(`${DFC_B}SuppliedProduct`);
      expect(by.get(item)?.[0]?.types).to.include(`${DFC_B}CatalogItem`);
      expect(by.get(item)?.[0]?.stock).to.equal(10);
      expect(by.get(offer)?.[0]?.types).to.include(`${DFC_B}Offer`);
      expect(by.get(offer)?.[0]?.price).to.equal(2.5);
    });

    it('a stock change (PUT …/catalog_items/{id}) appends the item\'s new version; the same stock again appends nothing', async () => {
      const before = await head();
      const path = new URL(item).pathname;
      const put = await node.request('PUT', path, { headers: { ...bearer(writer), ...JSON_BODY }, body: JSON.stringify({ 'dfc-b:stockLimitation': 7 }) });
      expect(put.status, put.text).to.equal(200);
      const versions = await appended(before);
      const by = byOf(versions);
      expect(by.get(item)?.map((v) => v.stock), 'the item at its new stock').to.deep.equal([7]);
      // Only the item, and its offer when the offer mirrors the item's stock.
      expect([...by.keys()].every((iri) => iri === item || iri === offer), [...by.keys()].join(', ')).to.equal(true);
      for (const v of by.get(offer) ?? []) expect(v.stock).to.equal(7);

      const unchanged = await head();
      const again = await node.request('PUT', path, { headers: { ...bearer(writer), ...JSON_BODY }, body: JSON.stringify({ 'dfc-b:stockLimitation': 7 }) });
      expect(again.status, again.text).to.equal(200);
      expect(await appended(unchanged), 'an unchanged stock PUT').to.deep.equal([]);
    });

    it('a price change (PUT …/offers/{id}) appends the offer\'s new version; the same price again appends nothing', async () => {
      const before = await head();
      const path = new URL(offer).pathname;
      const put = await node.request('PUT', path, { headers: { ...bearer(writer), ...JSON_BODY }, body: JSON.stringify({ 'dfc-b:hasPrice': 3.1 }) });
      expect(put.status, put.text).to.equal(200);
      const versions = await appended(before);
      expect(versions.map((v) => v.of)).to.deep.equal([offer]);
      expect(versions[0]?.price).to.equal(3.1);

      const unchanged = await head();
      const again = await node.request('PUT', path, { headers: { ...bearer(writer), ...JSON_BODY }, body: JSON.stringify({ 'dfc-b:hasPrice': 3.1 }) });
      expect(again.status, again.text).to.equal(200);
      expect(await appended(unchanged), 'an unchanged price PUT').to.deep.equal([]);
    });

    it('DELETE …/supplied_products/{id} appends an as:Delete version of the product, its item and its offer', async () => {
      const before = await head();
      const response = await node.request('DELETE', new URL(product).pathname, { headers: bearer(writer) });
      expect(response.status, response.text).to.equal(204);
      const all = await appended(before);
      // The enterprise may have a new version too (it no longer supplies the product): not a deletion.
      for (const v of all.filter((w) => w.of === enterprise)) {
        expect(v.types).to.include(`${DFC_B}Enterprise`);
        expect(v.supplies).to.not.include(product);
      }
      const versions = all.filter((v) => v.of !== enterprise);
      expect(sortedSet(versions.map((v) => v.of))).to.deep.equal(sortedSet([product, item, offer]));
      expect(versions).to.have.length(3);
      for (const v of versions) {
        expect(v.types, `${v.iri} is a deletion`).to.deep.equal([AS_DELETE]);
        expect(v.stock).to.equal(undefined);
        expect(v.modifiedType).to.equal(XSD_DATETIME);
      }
    });

    it('the enterprise feed holds only that enterprise\'s versions', async () => {
      const own = await versionsAfter(node, feedPath(), 0);
      const all = await versionsAfter(node, '/api/dfc/feed', 0);
      const ownSeqs = new Set(own.map((v) => v.seq));
      expect(own.length).to.be.above(0);
      // Every version of the enterprise feed is the node feed's version of the same sequence.
      for (const v of own) expect(all.find((w) => w.seq === v.seq)).to.deep.equal(v);
      // And every node-feed version of this enterprise's resources is in it.
      const mine = all.filter((v) => v.of.startsWith(`${enterprise}/`) || v.of === enterprise || v.of.endsWith(`/${eid}`));
      for (const v of mine) expect(ownSeqs.has(v.seq), v.iri).to.equal(true);
      expect(all.length).to.be.above(own.length);
    });
  });

  describe('the LDES shape', () => {
    it('the stream root: an ldes:EventStream with its paths, its view and its head (Turtle and JSON-LD alike)', async () => {
      for (const [path, eid] of [['/api/dfc/feed', undefined], [`/api/dfc/enterprises/${CHEVRERIE}/feed`, CHEVRERIE]] as const) {
        const feedUrl = `${node.base}${path}`;
        const response = await node.request('GET', path, { headers: TURTLE_ACCEPT });
        expect(response.status).to.equal(200);
        expect(response.headers.get('content-type')).to.match(/^text\/turtle/u);
        const store = parseTurtle(response.text, feedUrl);
        expect(objects(store, feedUrl, RDF_TYPE).map((t) => t.value)).to.include(`${LDES}EventStream`);
        expect(one(store, feedUrl, `${LDES}versionOfPath`)?.value).to.equal(`${DCT}isVersionOf`);
        expect(one(store, feedUrl, `${LDES}timestampPath`)?.value).to.equal(`${DCT}modified`);
        expect(objects(store, feedUrl, `${TREE}view`).map((t) => t.value)).to.deep.equal([`${feedUrl}?after=0`]);
        const head = numberOf(one(store, feedUrl, MAILLON_HEAD));
        // The head is the newest version one can reach by walking the stream.
        expect((await versionsAfter(node, path, 0)).at(-1)?.seq).to.equal(head);
        if (eid !== undefined) expect(head).to.equal(await node.node.store.feed.latestSeq(eid));

        const json = await node.request('GET', path, { headers: { accept: 'application/ld+json' } });
        expect(json.status).to.equal(200);
        expect(json.headers.get('content-type')).to.match(/^application\/ld\+json/u);
        expect(await jsonLdTriples(json.text), 'JSON-LD and Turtle say the same').to.deep.equal(
          canonicalLines(new Parser({ format: 'text/turtle', baseIRI: feedUrl }).parse(response.text)));
      }
    });

    it('a fragment lists tree:members: version IRIs …/feed/versions/{seq}, each with dcterms:isVersionOf and dcterms:modified', async () => {
      const feedUrl = `${node.base}/api/dfc/feed`;
      const after = 10;
      const response = await node.request('GET', '/api/dfc/feed?after=10', { headers: TURTLE_ACCEPT });
      const fragment = readFragment(`${feedUrl}?after=${after}`, feedUrl, response);
      expect(fragment.versions.length).to.be.above(0);
      const stored = await node.node.store.feed.events(after, 500);
      expect(fragment.versions.map((v) => v.seq)).to.deep.equal(stored.map((e) => e.seq));
      for (const v of fragment.versions) {
        expect(v.iri).to.equal(`${node.base}/api/dfc/feed/versions/${v.seq}`);
        expect(v.seq).to.be.above(after);
        expect(v.of.startsWith(`${node.base}/api/dfc/`), v.of).to.equal(true);
        expect(v.modifiedType).to.equal(XSD_DATETIME);
      }
      const store = parseTurtle(response.text, fragment.url);
      expect(objects(store, fragment.url, RDF_TYPE).map((t) => t.value)).to.include(`${TREE}Node`);
      // The same fragment in JSON-LD (inline context: nothing to fetch) is the same graph.
      const json = await node.request('GET', '/api/dfc/feed?after=10', { headers: { accept: 'application/ld+json' } });
      expect(json.status).to.equal(200);
      expect(await jsonLdTriples(json.text)).to.deep.equal(canonicalLines(new Parser({ format: 'text/turtle', baseIRI: fragment.url }).parse(response.text)));
    });

    it('full fragments are immutable and linked by a tree:GreaterThanOrEqualToRelation; the newest is short-lived, with an ETag and 304', async () => {
      const feedPath = '/api/dfc/feed';
      const fragments = await walk(small, feedPath);
      const head = await small.parts.store.feed.latestSeq();
      expect(head, 'enough versions for several fragments').to.be.above(20);
      expect(fragments.length).to.equal(Math.floor(head / 5) + 1);
      const seqs = fragments.flatMap((f) => f.versions.map((v) => v.seq));
      expect(seqs, 'every version once, in order').to.deep.equal(Array.from({ length: head }, (_, i) => i + 1));

      for (const [index, fragment] of fragments.entries()) {
        const last = index === fragments.length - 1;
        const cache = fragment.response.headers.get('cache-control') ?? '';
        expect(fragment.response.headers.get('etag'), `${fragment.url} ETag`).to.be.a('string').and.not.equal('');
        if (!last) {
          expect(fragment.versions, fragment.url).to.have.length(5);
          expect(cache, `${fragment.url} Cache-Control`).to.match(/\bimmutable\b/u);
          expect(cache).to.match(/max-age=\d{6,}/u);
          expect(fragment.relations, fragment.url).to.have.length(1);
          const relation = fragment.relations[0];
          expect(relation?.types).to.include(`${TREE}GreaterThanOrEqualToRelation`);
          expect(relation?.path).to.equal(`${DCT}modified`);
          const newest = fragment.versions.at(-1);
          expect(relation?.node).to.equal(`${small.base}${feedPath}?after=${newest?.seq}`);
          expect(relation?.value).to.equal(newest?.modified);
          // What the relation promises: everything reachable through it is modified at or after its value.
          for (const later of fragments.slice(index + 1).flatMap((f) => f.versions)) {
            expect(Date.parse(later.modified), `${later.iri} (${later.modified}) ≥ ${relation?.value}`).to.be.at.least(Date.parse(relation?.value ?? ''));
          }
        } else {
          expect(fragment.versions.length).to.be.below(5);
          expect(fragment.relations, 'the newest fragment links nowhere').to.deep.equal([]);
          expect(cache).to.not.match(/immutable/u);
          const maxAge = Number(/max-age=(\d+)/u.exec(cache)?.[1] ?? 'NaN');
          expect(maxAge, cache).to.be.at.most(60);
        }
      }

      // The newest fragment: 304 to its ETag, until a write changes it.
      const newest = fragments.at(-1) as Fragment;
      const path = newest.url.slice(small.base.length);
      const etag = newest.response.headers.get('etag') ?? '';
      const revalidated = await small.request('GET', path, { headers: { ...TURTLE_ACCEPT, 'if-none-match': etag } });
      expect(revalidated.status).to.equal(304);
      expect(revalidated.text).to.equal('');
      // A full fragment answers 304 too, and stays byte for byte the same after more writes.
      const first = fragments[0] as Fragment;
      const firstPath = first.url.slice(small.base.length);

      const stockWriter = (await issueToken(small.parts.store, { eid: CHEVRERIE, scopes: ['WriteProducts'] })).token;
      const item = (await small.parts.store.listResources(CHEVRERIE, ['CatalogItem']))[0]?.record.id ?? '';
      const put = await small.request('PUT', new URL(item).pathname, { headers: { ...bearer(stockWriter), ...JSON_BODY }, body: JSON.stringify({ 'dfc-b:stockLimitation': 999 }) });
      expect(put.status, put.text).to.equal(200);
      const changed = await small.request('GET', path, { headers: { ...TURTLE_ACCEPT, 'if-none-match': etag } });
      expect(changed.status, 'the newest fragment changed with the write').to.equal(200);
      expect(changed.headers.get('etag')).to.not.equal(etag);
      const firstAgain = await small.request('GET', firstPath, { headers: TURTLE_ACCEPT });
      expect(firstAgain.text, 'a full fragment never changes').to.equal(first.response.text);
      expect(firstAgain.headers.get('etag')).to.equal(first.response.headers.get('etag'));
      expect((await small.request('GET', firstPath, { headers: { ...TURTLE_ACCEPT, 'if-none-match': first.response.headers.get('etag') ?? '' } })).status).to.equal(304);
    });

    it('the latest version of a resource says what the API serves for it', async () => {
      const versions = await versionsAfter(node, `/api/dfc/enterprises/${CHEVRERIE}/feed`, 0);
      const fragmentStores = new Map<string, Store>();
      for (const fragment of await walk(node, `/api/dfc/enterprises/${CHEVRERIE}/feed`)) {
        for (const v of fragment.versions) fragmentStores.set(v.iri, parseTurtle(fragment.response.text, fragment.url));
      }
      /** `predicate object` pairs of a subject, blank nodes left out. */
      const pairs = (store: Store, subject: string, skip: readonly string[] = []): string[] =>
        store.getQuads(namedNode(subject), null, null, null)
          .filter((q) => q.object.termType !== 'BlankNode' && !skip.includes(q.predicate.value))
          .map((q) => `${q.predicate.value} ${q.object.termType === 'Literal' ? JSON.stringify(q.object.value) : `<${q.object.value}>`}`).sort();
      const items = (await node.node.store.listResources(CHEVRERIE, ['CatalogItem', 'Offer', 'SuppliedProduct'])).map((r) => r.record.id);
      // Catalogue resources first, then the enterprise. Its dfc-b:supplies and dfc-b:manages are derived when
      // it is served (the inverse of its products' suppliedBy and items' managedBy, which their own versions
      // carry): they are not part of the enterprise's versions.
      const derived = [`${DFC_B_NS}supplies`, `${DFC_B_NS}manages`];
      for (const iri of [...items.slice(0, 3), `${node.base}/api/dfc/enterprises/${CHEVRERIE}`]) {
        const latest = versions.filter((v) => v.of === iri).at(-1);
        expect(latest, iri).to.not.equal(undefined);
        const served = await node.request('GET', new URL(iri).pathname, { headers: TURTLE_ACCEPT });
        expect(served.status).to.equal(200);
        const version = pairs(fragmentStores.get(latest?.iri ?? '') as Store, latest?.iri ?? '', [`${DCT}isVersionOf`, `${DCT}modified`]);
        const get = pairs(parseTurtle(served.text, iri), iri, derived);
        const missing = get.filter((x) => !version.includes(x));
        const extra = version.filter((x) => !get.includes(x));
        expect({ missing: missing.slice(0, 4), missingCount: missing.length, extra },
          `the latest version of ${iri} (${latest?.iri}) against GET ${iri}`).to.deep.equal({ missing: [], missingCount: 0, extra: [] });
      }
    });

    it('deletions are as:Delete versions that name the deleted resource', async () => {
      const versions = await versionsAfter(node, '/api/dfc/feed', 0);
      const deletions = versions.filter((v) => v.types.includes(AS_DELETE));
      expect(deletions.length, 'the deletion of the product above').to.be.at.least(3);
      for (const d of deletions) {
        expect(d.types).to.deep.equal([AS_DELETE]);
        expect(versions.some((v) => v.of === d.of && v.seq < d.seq && !v.types.includes(AS_DELETE)), `${d.of} existed before`).to.equal(true);
        expect(await node.node.store.getResource(d.of), `${d.of} is gone from the store`).to.equal(undefined);
      }
    });

    it('?after must be a sequence number: 400 otherwise', async () => {
      for (const after of ['abc', '-1', '1.5', 'NaN', '0x10', '1e1', '%2010']) {
        expectProblem(await node.request('GET', `/api/dfc/feed?after=${after}`), 400);
        expectProblem(await node.request('GET', `/api/dfc/enterprises/${CHEVRERIE}/feed?after=${after}`), 400);
      }
      expect((await node.request('GET', '/api/dfc/enterprises/no-such-enterprise/feed')).status).to.equal(404);
    });
  });

  describe('private enterprises', () => {
    let privateEid = '';
    let secretItem = '';

    before(async () => {
      const created = await node.request('POST', '/api/dfc/enterprises?private=true', {
        headers: { ...bearer(node.adminToken), ...JSONLD_BODY }, body: JSON.stringify(enterpriseBody({ name: 'Ferme Discrète' })),
      });
      expect(created.status, created.text).to.equal(201);
      privateEid = decodeURIComponent(created.headers.get('location')?.split('/').pop() ?? '');
      const product = await node.request('POST', `/api/dfc/enterprises/${privateEid}/supplied_products`, {
        headers: { ...bearer(node.adminToken), ...JSONLD_BODY }, body: JSON.stringify(nestedProduct({ name: 'Fromage secret', stock: 4 })),
      });
      expect(product.status, product.text).to.equal(201);
      secretItem = product.json<{ '@graph': { '@id': string; '@type': string }[] }>()['@graph'].find((n) => n['@type'] === 'dfc-b:CatalogItem')?.['@id'] ?? '';
    });

    it('a private enterprise\'s feed needs a token with ReadProducts on it', async () => {
      const path = `/api/dfc/enterprises/${privateEid}/feed`;
      // A stranger is told it does not exist (issue 9: 401 and 403 confirmed that it does).
      expectProblem(await node.request('GET', path), 404);
      expectProblem(await node.request('GET', `${path}?after=0`), 404);
      const other = await token(CHEVRERIE, ['ReadProducts']);
      expectProblem(await node.request('GET', `${path}?after=0`, { headers: bearer(other) }), 404);
      const noScope = await token(privateEid, ['ReadEnterprise']);
      expectProblem(await node.request('GET', `${path}?after=0`, { headers: bearer(noScope) }), 403);
      const reader = await token(privateEid, ['ReadProducts']);
      const versions = await versionsAfter(node, path, 0, bearer(reader));
      expect(versions.map((v) => v.of)).to.include(secretItem);
      expect((await versionsAfter(node, path, 0, bearer(node.adminToken))).map((v) => v.of)).to.include(secretItem);
    });

    it('a private enterprise\'s feed is not cacheable by shared caches', async () => {
      const reader = await token(privateEid, ['ReadProducts']);
      for (const path of [`/api/dfc/enterprises/${privateEid}/feed`, `/api/dfc/enterprises/${privateEid}/feed?after=0`]) {
        const response = await node.request('GET', path, { headers: { ...bearer(reader), ...TURTLE_ACCEPT } });
        expect(response.status).to.equal(200);
        // A response to an authenticated request marked `public` may be stored by a proxy and served to anyone.
        expect(response.headers.get('cache-control') ?? '', `Cache-Control of ${path}`).to.not.match(/\bpublic\b/u);
      }
    });

    it('the node\'s public feed does not publish a private enterprise\'s resources', async () => {
      const versions = await versionsAfter(node, '/api/dfc/feed', 0);
      const leaked = versions.filter((v) => v.of.includes(`/enterprises/${privateEid}`) || v.of.endsWith(`/${privateEid}`));
      expect(leaked.map((v) => `${v.iri} → ${v.of}`), 'private versions in the anonymous /api/dfc/feed').to.deep.equal([]);
    });
  });

  describe('ldes-client', () => {
    it('replicates the feed: its latest version of every resource is what the store holds', async () => {
      const parts = small.parts;
      const writer = (await issueToken(parts.store, { eid: CHEVRERIE, scopes: ['WriteProducts'] })).token;
      const items = (await parts.store.listResources(CHEVRERIE, ['CatalogItem'])).map((r) => r.record);
      const products = (await parts.store.listResources(CHEVRERIE, ['SuppliedProduct'])).map((r) => r.record);
      const changedItem = items[1]?.id ?? '';
      const offers = (await parts.store.listResources(CHEVRERIE, ['Offer'])).map((r) => r.record);
      const changedOffer = offers[2]?.id ?? '';
      // Some writes, a few milliseconds apart, so that every version of a resource has its own timestamp.
      for (const stock of [11, 12, 13]) {
        await sleep(5);
        const put = await small.request('PUT', new URL(changedItem).pathname, { headers: { ...bearer(writer), ...JSON_BODY }, body: JSON.stringify({ 'dfc-b:stockLimitation': stock }) });
        expect(put.status, put.text).to.equal(200);
      }
      await sleep(5);
      const price = await small.request('PUT', new URL(changedOffer).pathname, { headers: { ...bearer(writer), ...JSON_BODY }, body: JSON.stringify({ 'dfc-b:hasPrice': 4.2 }) });
      expect(price.status, price.text).to.equal(200);
      // A product with a catalog item, neither the changed item's product nor a product group.
      const doomed = products.find((p) => p.kind === 'SuppliedProduct' && p.catalogItems.length > 0 && !(p.catalogItems as readonly string[]).includes(changedItem) && p.variants.length === 0);
      expect(doomed).to.not.equal(undefined);
      await sleep(5);
      const deleted = await small.request('DELETE', new URL(doomed?.id ?? '').pathname, { headers: bearer(writer) });
      expect(deleted.status, deleted.text).to.equal(204);

      const members = await replicate(`${small.base}/api/dfc/feed`);
      const head = await parts.store.feed.latestSeq();
      expect(members.length, 'one member per version of the stream').to.equal(head);

      // The latest member of each resource, by timestamp.
      const latest = new Map<string, ReplicatedMember>();
      for (const member of members) {
        const key = member.isVersionOf ?? member.id;
        expect(member.id, 'materialised: the member is the resource').to.equal(key);
        const held = latest.get(key);
        if (held === undefined || Date.parse(member.timestamp ?? '') >= Date.parse(held.timestamp ?? '')) latest.set(key, member);
      }
      const live = [...latest.values()].filter((m) => m.type !== AS_DELETE).map((m) => m.id);
      const gone = [...latest.values()].filter((m) => m.type === AS_DELETE).map((m) => m.id);

      const stored: string[] = [];
      for (const row of await parts.store.listEnterprises()) stored.push(...(await parts.store.listResources(row.eid, RECORD_KINDS)).map((r) => r.record.id));
      expect(sortedSet(live), 'the replicated catalogue is the stored one').to.deep.equal(sortedSet(stored));
      expect(gone).to.include(doomed?.id);
      for (const iri of gone) expect(stored).to.not.include(iri);

      const storedItem = await parts.store.getResource(changedItem);
      expect(storedItem?.record.kind).to.equal('CatalogItem');
      const storedStock = storedItem?.record.kind === 'CatalogItem' ? storedItem.record.stock : undefined;
      expect(storedStock).to.equal(13);
      expect(latest.get(changedItem)?.stock, 'the changed item\'s latest replicated stock').to.equal(storedStock);
    });
  });
});
