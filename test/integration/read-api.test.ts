/**
 * The read side of the HTTP API, against real nodes on loopback: every GET endpoint, content negotiation,
 * paging, conditional requests, OPTIONS/405/CORS, private enterprises and the problem+json error shape.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { Parser, Writer, type Quad } from 'n3';
import type { DfcRecord } from '../../ontology/records.js';
import { canonicalNQuads, doublesAsDecimals, jsonld, offline } from '../helpers/jsonld.js';
import { startTestNode, type TestNode, type TestResponse } from '../helpers/node.js';

// ------------------------------------------------------------------ constants

const FERME = 'ferme-des-trois-chenes';
const CHEVRERIE = 'chevrerie-du-puy';
const ENT = `/api/dfc/enterprises/${FERME}`;
const CTX_1_16 = 'https://w3id.org/dfc/ontology/context/context_1.16.0.json';
const CTX_2_0 = 'https://w3id.org/dfc/ontology/context/context_2.0.0.json';
const V2 = 'application/ld+json; profile="dfc-v2"';
const SERVED = ['application/ld+json', 'application/json', 'text/turtle', 'application/n-triples', 'application/n-quads'];
const RDF_TYPES = ['text/turtle', 'application/n-triples', 'application/n-quads'] as const;
const N3_FORMAT: Record<(typeof RDF_TYPES)[number], string> = {
  'text/turtle': 'text/turtle',
  'application/n-triples': 'application/n-triples',
  'application/n-quads': 'application/n-quads',
};
const EXAMPLES = join(import.meta.dirname, '../../examples/network');

// ------------------------------------------------------------------ helpers

type JsonNode = Record<string, unknown>;

interface JsonLdDocument {
  '@context': unknown;
  '@graph': JsonNode[];
}

/** The `@graph` of a JSON-LD answer. */
function graphOf(response: TestResponse): JsonNode[] {
  const document = response.json<JsonLdDocument>();
  expect(document).to.have.property('@graph').that.is.an('array');
  return document['@graph'];
}

/** The `@type`s of a node, as an array. */
function typesOf(node: JsonNode): string[] {
  const type = node['@type'];
  if (type === undefined) return [];
  return Array.isArray(type) ? (type as string[]) : [type as string];
}

function nodesOfType(graph: readonly JsonNode[], type: string): JsonNode[] {
  return graph.filter((n) => typesOf(n).includes(type));
}

/** A value that may be one item or an array, as an array of `@id` strings. */
function ids(value: unknown): string[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => (typeof v === 'string' ? v : (v as { '@id': string })['@id']));
}

function idOf(node: JsonNode): string {
  return node['@id'] as string;
}

/** The media type of a Content-Type header, without parameters. */
function mediaTypeOf(response: TestResponse): string {
  return (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
}

/** Checks an RFC 9457 problem answer. */
function expectProblem(response: TestResponse, status: number): Record<string, unknown> {
  expect(response.status, response.text).to.equal(status);
  expect(mediaTypeOf(response)).to.equal('application/problem+json');
  const problem = response.json<Record<string, unknown>>();
  expect(problem['type']).to.be.a('string').and.not.equal('');
  expect(problem['title']).to.be.a('string').and.not.equal('');
  expect(problem['status']).to.equal(status);
  expect(problem['detail']).to.be.a('string').and.not.equal('');
  return problem;
}

/** The path of one of the node's IRIs (the `@id`s use the public base, requests go to the loopback port). */
function pathOf(t: TestNode, iri: string): string {
  expect(iri.startsWith(`${t.base}/`), `${iri} is under ${t.base}`).to.equal(true);
  return iri.slice(t.base.length);
}

/** The target of a `Link` relation. */
function linkOf(response: TestResponse, rel: string): string | undefined {
  const header = response.headers.get('link');
  if (header === null) return undefined;
  for (const part of header.split(/,(?=\s*<)/u)) {
    const match = /<([^>]*)>\s*;\s*rel="?([^";]+)"?/u.exec(part.trim());
    if (match !== null && match[2] === rel) return match[1];
  }
  return undefined;
}

/** The comma-separated list of a header, as a sorted set. */
function headerList(response: TestResponse, name: string): string[] {
  return (response.headers.get(name) ?? '').split(',').map((s) => s.trim()).filter(Boolean).sort();
}

const sortRecords = (records: readonly DfcRecord[]): DfcRecord[] => [...records].sort((a, b) => a.id.localeCompare(b.id));

/** Decodes an answer with our codec, expecting no problems. */
async function decodeAnswer(t: TestNode, response: TestResponse): Promise<DfcRecord[]> {
  const result = await t.node.decoder.decode(response.text, { mediaType: mediaTypeOf(response) });
  expect(result.problems, JSON.stringify(result.problems.slice(0, 3))).to.deep.equal([]);
  return sortRecords(result.records);
}

/** The catalogue as stored, in records. */
async function storedCatalogue(t: TestNode, eid: string): Promise<DfcRecord[]> {
  const catalogue = await t.node.catalog.catalogue(eid);
  return sortRecords([...catalogue.groups.values(), ...catalogue.entries.flatMap((e) => [e.product, ...e.items, ...e.offers])]);
}

/** The RDFC-1.0 canonical N-Quads of an answer (JSON-LD through jsonld.js, RDF formats through n3). */
async function canonicalOf(response: TestResponse): Promise<string> {
  const mediaType = mediaTypeOf(response);
  if (mediaType === 'application/ld+json' || mediaType === 'application/json') {
    return canonicalNQuads(doublesAsDecimals(await jsonld.toRDF(response.json(), { ...offline, format: 'application/n-quads' })));
  }
  const quads = parseRdf(response.text, mediaType);
  const writer = new Writer({ format: 'N-Quads' });
  writer.addQuads(quads);
  const nquads = await new Promise<string>((resolve, reject) => writer.end((error, result: string) => (error ? reject(error) : resolve(result))));
  return canonicalNQuads(nquads);
}

function parseRdf(text: string, mediaType: string): Quad[] {
  const format = N3_FORMAT[mediaType as (typeof RDF_TYPES)[number]];
  expect(format, `an RDF media type: ${mediaType}`).to.be.a('string');
  return new Parser({ format }).parse(text);
}

/** A request without any header the client did not ask for (fetch always adds `Accept: *\/*`). */
function rawRequest(t: TestNode, method: string, path: string, headers: Record<string, string> = {}): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${t.url}${path}`, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const h = new Headers();
        const raw: IncomingHttpHeaders = response.headers;
        for (const [name, value] of Object.entries(raw)) {
          if (value === undefined) continue;
          for (const v of Array.isArray(value) ? value : [value]) h.append(name, v);
        }
        resolve({ status: response.statusCode ?? 0, headers: h, text, json: <T>() => JSON.parse(text) as T });
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end();
  });
}

/** Follows `rel="next"` from a first page, returning every page. */
async function walk(t: TestNode, firstPath: string, headers: Record<string, string> = {}): Promise<TestResponse[]> {
  const pages: TestResponse[] = [];
  let path: string | undefined = firstPath;
  while (path !== undefined) {
    const response = await t.request('GET', path, { headers });
    expect(response.status, `${path}: ${response.text.slice(0, 200)}`).to.equal(200);
    pages.push(response);
    expect(pages.length, 'the walk ends').to.be.below(100);
    const next = linkOf(response, 'next');
    path = next === undefined ? undefined : pathOf(t, next);
  }
  return pages;
}

/** Non-group SuppliedProduct ids of a graph, in document order. */
function productIds(graph: readonly JsonNode[]): string[] {
  return nodesOfType(graph, 'dfc-b:SuppliedProduct').filter((n) => n['dfc-b:hasVariant'] === undefined).map(idOf);
}

/** Reads an example enterprise's document. */
async function exampleRecords(t: TestNode, name: string): Promise<DfcRecord[]> {
  const result = await t.node.decoder.decode(readFileSync(join(EXAMPLES, `${name}.jsonld`), 'utf8'));
  expect(result.rejected).to.deep.equal([]);
  return result.records;
}

// ------------------------------------------------------------------ tests

describe('read API', () => {
  let t: TestNode;
  let enterpriseIri: string;
  let catalogue: TestResponse;
  let catalogueGraph: JsonNode[];

  before(async () => {
    t = await startTestNode();
    await t.seed(FERME);
    await t.seed(CHEVRERIE);
    enterpriseIri = `${t.base}${ENT}`;
    catalogue = await t.request('GET', `${ENT}/catalog_items`);
    expect(catalogue.status).to.equal(200);
    catalogueGraph = graphOf(catalogue);
  });
  after(async () => {
    await t?.close();
  });

  // ---------------------------------------------------------------- discovery

  describe('discovery', () => {
    it('GET /.well-known/dfc/ describes the node, its DFC versions, context, media types and endpoints', async () => {
      for (const path of ['/.well-known/dfc/', '/.well-known/dfc']) {
        const response = await t.request('GET', path);
        expect(response.status).to.equal(200);
        expect(mediaTypeOf(response)).to.equal('application/ld+json');
        const document = response.json<Record<string, unknown>>();
        expect(document['@id']).to.equal(`${t.base}/.well-known/dfc/`);
        expect(document['name']).to.equal('Maillon node');
        expect(document['ontologyVersions']).to.include.members(['1.16.0', '2.0.0']);
        expect(document['context']).to.equal(CTX_1_16);
        expect(document['mediaTypes']).to.have.members(SERVED);
        expect(document['enterprises']).to.equal(`${t.base}/api/dfc/enterprises`);
        expect(document['platform']).to.equal(`${t.base}/api/dfc/webid`);
        const scopes = document['scopes'] as { scope: string; iri: string; endpoint: string }[];
        const readProducts = scopes.find((s) => s.scope === 'ReadProducts');
        expect(readProducts?.endpoint).to.equal(`${t.base}/api/dfc/enterprises/{eid}/catalog_items`);
        expect(readProducts?.iri).to.equal('http://w3id.org/dfc/taxonomies/scopes.rdf#ReadProducts');
        expect(scopes.find((s) => s.scope === 'ReadEnterprise')?.endpoint).to.equal(`${t.base}/api/dfc/enterprises/{eid}`);
      }
    });

    it('GET /api/dfc/webid names the platform and the ontology versions 1.16 and 2.0', async () => {
      const response = await t.request('GET', '/api/dfc/webid');
      expect(response.status).to.equal(200);
      expect(mediaTypeOf(response)).to.equal('application/ld+json');
      const document = response.json<Record<string, unknown>>();
      expect(document['@id']).to.equal(`${t.base}/api/dfc/webid`);
      expect(document['schema:name']).to.equal('Maillon node');
      expect(document['maillon:ontologyVersion']).to.include.members(['1.16.0', '2.0.0']);
      expect(document['maillon:discovery']).to.deep.equal({ '@id': `${t.base}/.well-known/dfc/` });
    });
  });

  // ---------------------------------------------------------------- enterprises

  describe('enterprises', () => {
    it('GET /api/dfc/enterprises lists every public enterprise with its profile', async () => {
      const response = await t.request('GET', '/api/dfc/enterprises');
      expect(response.status).to.equal(200);
      expect(mediaTypeOf(response)).to.equal('application/ld+json');
      expect(response.json<JsonLdDocument>()['@context']).to.equal(CTX_1_16);
      const graph = graphOf(response);
      const enterprises = nodesOfType(graph, 'dfc-b:Enterprise');
      expect(enterprises.map(idOf)).to.have.members([FERME, CHEVRERIE].map((eid) => `${t.base}/api/dfc/enterprises/${eid}`));
      for (const enterprise of enterprises) {
        expect(enterprise['dfc-b:name']).to.be.a('string');
        for (const link of [...ids(enterprise['dfc-b:hasAddress']), ...ids(enterprise['dfc-b:hasMainContact'])]) {
          expect(graph.map(idOf), `${link} is in the list`).to.include(link);
        }
      }
    });

    it('GET /api/dfc/enterprises/{eid} gives the Enterprise with address, main contact, supplies and manages', async () => {
      const response = await t.request('GET', ENT);
      expect(response.status).to.equal(200);
      expect(mediaTypeOf(response)).to.equal('application/ld+json');
      expect(response.json<JsonLdDocument>()['@context']).to.equal(CTX_1_16);
      const graph = graphOf(response);
      const [enterprise, ...others] = nodesOfType(graph, 'dfc-b:Enterprise');
      expect(others).to.deep.equal([]);
      expect(enterprise).to.not.equal(undefined);
      const e = enterprise as JsonNode;
      expect(idOf(e)).to.equal(enterpriseIri);
      expect(e['dfc-b:name']).to.equal('Ferme des Trois Chênes');

      expect(ids(e['dfc-b:hasAddress'])).to.deep.equal([`${t.base}/api/dfc/addresses/${FERME}`]);
      expect(ids(e['dfc-b:hasMainContact'])).to.deep.equal([`${t.base}/api/dfc/persons/${FERME}`]);
      const address = graph.find((n) => idOf(n) === `${t.base}/api/dfc/addresses/${FERME}`);
      expect(address && typesOf(address)).to.deep.equal(['dfc-b:Address']);
      expect(address?.['dfc-b:hasCity']).to.be.a('string');
      const person = graph.find((n) => idOf(n) === `${t.base}/api/dfc/persons/${FERME}`);
      expect(person && typesOf(person)).to.deep.equal(['dfc-b:Person']);
      expect(person?.['dfc-b:firstName']).to.be.a('string');

      // supplies: every product of the catalogue (product groups aside); manages: every catalog item.
      expect(ids(e['dfc-b:supplies'])).to.have.members(productIds(catalogueGraph));
      expect(ids(e['dfc-b:manages'])).to.have.members(nodesOfType(catalogueGraph, 'dfc-b:CatalogItem').map(idOf));
      expect(ids(e['dfc-b:supplies'])).to.have.length.greaterThan(10);
    });

    it('GET /api/dfc/persons/{eid} and /api/dfc/addresses/{eid} give the main contact and the address of the profile', async () => {
      const profile = graphOf(await t.request('GET', ENT));
      for (const [path, type] of [[`/api/dfc/persons/${FERME}`, 'dfc-b:Person'], [`/api/dfc/addresses/${FERME}`, 'dfc-b:Address']] as const) {
        const response = await t.request('GET', path);
        expect(response.status).to.equal(200);
        expect(mediaTypeOf(response)).to.equal('application/ld+json');
        expect(response.json<JsonLdDocument>()['@context']).to.equal(CTX_1_16);
        const graph = graphOf(response);
        expect(graph).to.have.length(1);
        const node = graph[0] as JsonNode;
        expect(idOf(node)).to.equal(`${t.base}${path}`);
        expect(typesOf(node)).to.deep.equal([type]);
        expect(node).to.deep.equal(profile.find((n) => idOf(n) === `${t.base}${path}`));
      }
    });

    it('answers 404 problem+json for an unknown enterprise, person or address', async () => {
      for (const path of [
        '/api/dfc/enterprises/no-such-farm',
        '/api/dfc/enterprises/no-such-farm/catalog_items',
        '/api/dfc/enterprises/no-such-farm/supplied_products',
        '/api/dfc/enterprises/no-such-farm/supplied_products/ail-violet',
        '/api/dfc/enterprises/no-such-farm/catalog_items/ail-violet',
        '/api/dfc/enterprises/no-such-farm/offers/ail-violet',
        '/api/dfc/persons/no-such-farm',
        '/api/dfc/addresses/no-such-farm',
      ]) {
        expectProblem(await t.request('GET', path), 404);
      }
    });

    it('answers 404 problem+json for an unknown path', async () => {
      for (const path of ['/api/dfc/nothing', '/nothing', '/api/dfc/enterprises/x/catalog_items/y/z', '/api/dfc/persons']) {
        const problem = expectProblem(await t.request('GET', path), 404);
        expect(problem['title']).to.equal('Not Found');
      }
    });
  });

  // ---------------------------------------------------------------- catalogue

  describe('catalogue', () => {
    it('GET .../catalog_items is the whole catalogue: products, product groups with hasVariant, items, offers with price', async () => {
      expect(mediaTypeOf(catalogue)).to.equal('application/ld+json');
      expect(catalogue.json<JsonLdDocument>()['@context']).to.equal(CTX_1_16);
      const products = nodesOfType(catalogueGraph, 'dfc-b:SuppliedProduct');
      const items = nodesOfType(catalogueGraph, 'dfc-b:CatalogItem');
      const offers = nodesOfType(catalogueGraph, 'dfc-b:Offer');
      expect(products.length + items.length + offers.length).to.equal(catalogueGraph.length);
      const byId = new Map(catalogueGraph.map((n) => [idOf(n), n]));

      for (const p of products) expect(idOf(p).startsWith(`${enterpriseIri}/supplied_products/`), idOf(p)).to.equal(true);
      for (const i of items) expect(idOf(i).startsWith(`${enterpriseIri}/catalog_items/`), idOf(i)).to.equal(true);
      for (const o of offers) expect(idOf(o).startsWith(`${enterpriseIri}/offers/`), idOf(o)).to.equal(true);

      // Product groups and their variants, linked both ways.
      const groups = products.filter((p) => p['dfc-b:hasVariant'] !== undefined);
      expect(groups).to.not.be.empty;
      for (const group of groups) {
        const variants = ids(group['dfc-b:hasVariant']);
        expect(variants).to.not.be.empty;
        for (const variant of variants) {
          const node = byId.get(variant);
          expect(node && typesOf(node), `variant ${variant} is in the catalogue`).to.deep.equal(['dfc-b:SuppliedProduct']);
          expect(ids(node?.['dfc-b:isVariantOf'])).to.include(idOf(group));
        }
      }

      // Every product is referenced by an item, every item offered through an offer with a price.
      const plain = products.filter((p) => p['dfc-b:hasVariant'] === undefined);
      expect(plain).to.have.length(items.length);
      for (const product of plain) {
        expect(product['dfc-b:name']).to.be.a('string');
        expect(ids(product['dfc-b:suppliedBy'])).to.deep.equal([enterpriseIri]);
        const [itemId] = ids(product['dfc-b:referencedBy']);
        const item = byId.get(itemId ?? '');
        expect(item && typesOf(item), `item of ${idOf(product)}`).to.deep.equal(['dfc-b:CatalogItem']);
        expect(ids(item?.['dfc-b:references'])).to.deep.equal([idOf(product)]);
        expect(ids(item?.['dfc-b:managedBy'])).to.deep.equal([enterpriseIri]);
      }
      for (const item of items) {
        const offerIds = ids(item['dfc-b:offeredThrough']);
        expect(offerIds, `offers of ${idOf(item)}`).to.not.be.empty;
        for (const offerId of offerIds) expect(byId.has(offerId), `${offerId} is in the catalogue`).to.equal(true);
      }
      for (const offer of offers) {
        const price = offer['dfc-b:hasPrice'] as JsonNode;
        expect(typesOf(price)).to.deep.equal(['dfc-b:Price']);
        expect(price['dfc-b:value']).to.be.a('number').and.at.least(0);
        expect(price['dfc-b:hasUnit']).to.equal('dfc-m:Euro');
        expect(ids(offer['dfc-b:offeredItem'])).to.have.length(1);
        expect(byId.has(ids(offer['dfc-b:offeredItem'])[0] as string)).to.equal(true);
      }
    });

    it('the catalogue decodes into exactly the stored records', async () => {
      expect(await decodeAnswer(t, catalogue)).to.deep.equal(await storedCatalogue(t, FERME));
    });

    it('GET .../supplied_products is the same whole catalogue', async () => {
      const response = await t.request('GET', `${ENT}/supplied_products`);
      expect(response.status).to.equal(200);
      expect(mediaTypeOf(response)).to.equal('application/ld+json');
      expect(await decodeAnswer(t, response)).to.deep.equal(await decodeAnswer(t, catalogue));
    });

    it('every product, product group, catalog item and offer answers at its own @id with the node the catalogue has', async () => {
      for (const node of catalogueGraph) {
        const response = await t.request('GET', pathOf(t, idOf(node)));
        expect(response.status, idOf(node)).to.equal(200);
        expect(mediaTypeOf(response)).to.equal('application/ld+json');
        expect(response.json<JsonLdDocument>()['@context']).to.equal(CTX_1_16);
        expect(graphOf(response), idOf(node)).to.deep.equal([node]);
      }
    });

    it('a product @id is <catalogue URL>/<id>, and the catalogue URL gives the whole catalogue containing it', async () => {
      const whole = await decodeAnswer(t, catalogue);
      const catalogueUrls = new Map<string, string[]>();
      for (const node of [...nodesOfType(catalogueGraph, 'dfc-b:SuppliedProduct'), ...nodesOfType(catalogueGraph, 'dfc-b:CatalogItem')]) {
        const id = idOf(node);
        const slash = id.lastIndexOf('/');
        const url = id.slice(0, slash);
        expect(id.slice(slash + 1)).to.match(/^[A-Za-z0-9._~%-]+$/u);
        catalogueUrls.set(url, [...(catalogueUrls.get(url) ?? []), id]);
      }
      expect([...catalogueUrls.keys()]).to.have.members([`${enterpriseIri}/supplied_products`, `${enterpriseIri}/catalog_items`]);
      for (const [url, members] of catalogueUrls) {
        const response = await t.request('GET', pathOf(t, url));
        expect(response.status, url).to.equal(200);
        const graphIds = graphOf(response).map(idOf);
        for (const id of members) expect(graphIds, `${url} contains ${id}`).to.include(id);
        expect(await decodeAnswer(t, response)).to.deep.equal(whole);
      }
    });

    it('answers 404 problem+json for an unknown product, catalog item or offer', async () => {
      for (const collection of ['supplied_products', 'catalog_items', 'offers']) {
        const problem = expectProblem(await t.request('GET', `${ENT}/${collection}/no-such-thing`), 404);
        expect(problem['detail']).to.contain('no-such-thing');
      }
      // A resource of another enterprise is not found under this one.
      expectProblem(await t.request('GET', `/api/dfc/enterprises/${CHEVRERIE}/supplied_products/ail-violet`), 404);
    });

    it('HEAD answers the headers of GET without a body', async () => {
      const get = await t.request('GET', `${ENT}/catalog_items`);
      const head = await t.request('HEAD', `${ENT}/catalog_items`);
      expect(head.status).to.equal(200);
      expect(head.text).to.equal('');
      expect(head.headers.get('etag')).to.equal(get.headers.get('etag'));
      expect(head.headers.get('content-type')).to.equal(get.headers.get('content-type'));
    });
  });

  // ---------------------------------------------------------------- content negotiation

  describe('content negotiation', () => {
    it('without Accept, with application/ld+json and with */* answers DFC 1.16 JSON-LD', async () => {
      const none = await rawRequest(t, 'GET', `${ENT}/catalog_items`);
      expect(none.status).to.equal(200);
      expect(mediaTypeOf(none)).to.equal('application/ld+json');
      expect(none.json<JsonLdDocument>()['@context']).to.equal(CTX_1_16);
      for (const accept of ['application/ld+json', '*/*', 'application/*', 'application/ld+json, text/turtle;q=0.9']) {
        const response = await t.request('GET', `${ENT}/catalog_items`, { headers: { accept } });
        expect(response.status, accept).to.equal(200);
        expect(mediaTypeOf(response), accept).to.equal('application/ld+json');
        expect(response.text, accept).to.equal(none.text);
      }
    });

    it('application/json answers the same body as application/ld+json', async () => {
      const response = await t.request('GET', `${ENT}/catalog_items`, { headers: { accept: 'application/json' } });
      expect(response.status).to.equal(200);
      expect(mediaTypeOf(response)).to.equal('application/json');
      expect(response.text).to.equal(catalogue.text);
      const profile = await t.request('GET', ENT, { headers: { accept: 'application/json' } });
      expect(mediaTypeOf(profile)).to.equal('application/json');
      expect(profile.text).to.equal((await t.request('GET', ENT)).text);
    });

    it('profile="dfc-v2" answers DFC 2.0: the 2.0 context and an ldp:Container of the catalog items', async () => {
      const response = await t.request('GET', `${ENT}/catalog_items`, { headers: { accept: V2 } });
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.match(/^application\/ld\+json;\s*profile="?dfc-v2"?/u);
      const document = response.json<JsonLdDocument>();
      const context = Array.isArray(document['@context']) ? (document['@context'] as unknown[]) : [document['@context']];
      expect(context[0]).to.equal(CTX_2_0);
      expect(JSON.stringify(document['@context'])).to.not.contain('context_1.16');
      const graph = graphOf(response);
      const containers = nodesOfType(graph, 'ldp:Container');
      expect(containers).to.have.length(1);
      const container = containers[0] as JsonNode;
      expect(idOf(container)).to.equal(`${enterpriseIri}/catalog_items`);
      expect(ids(container['ldp:contains'])).to.have.members(nodesOfType(catalogueGraph, 'dfc-b:CatalogItem').map(idOf));
      // Same records as in DFC 1.16.
      expect(await decodeAnswer(t, response)).to.deep.equal(await decodeAnswer(t, catalogue));
    });

    it('profile="dfc-v2" answers the enterprise as a dfc-b:Organization with the 2.0 context', async () => {
      const profile = await t.request('GET', ENT, { headers: { accept: V2 } });
      expect(profile.status).to.equal(200);
      expect(profile.headers.get('content-type')).to.match(/^application\/ld\+json;\s*profile="?dfc-v2"?/u);
      const context = profile.json<JsonLdDocument>()['@context'];
      expect(Array.isArray(context) ? context[0] : context).to.equal(CTX_2_0);
      const profileGraph = graphOf(profile);
      const organization = profileGraph.find((n) => typesOf(n).includes('dfc-b:Organization'));
      expect(organization && idOf(organization)).to.equal(enterpriseIri);
      expect(organization?.['dfc-b:name']).to.equal('Ferme des Trois Chênes');
      expect(nodesOfType(profileGraph, 'dfc-b:Enterprise')).to.deep.equal([]);
      // One resource is not a collection: no ldp:Container around it.
      expect(nodesOfType(profileGraph, 'ldp:Container')).to.deep.equal([]);
    });

    it('a DFC 2.0 profile or single resource decodes into the same records as DFC 1.16 (its ldp:Container is not the resource itself)', async () => {
      for (const path of [ENT, `${ENT}/offers/ail-violet`, `${ENT}/supplied_products/ail-violet`, `/api/dfc/persons/${FERME}`]) {
        const v1 = await decodeAnswer(t, await t.request('GET', path));
        const v2 = await decodeAnswer(t, await t.request('GET', path, { headers: { accept: V2 } }));
        expect(v2, `${path} in DFC 2.0`).to.deep.equal(v1);
      }
    });

    for (const mediaType of RDF_TYPES) {
      it(`${mediaType} parses with n3 and decodes into the records of the JSON-LD`, async () => {
        for (const path of [`${ENT}/catalog_items`, ENT, `/api/dfc/persons/${FERME}`, `${ENT}/offers/ail-violet`]) {
          const json = await t.request('GET', path);
          const response = await t.request('GET', path, { headers: { accept: mediaType } });
          expect(response.status, path).to.equal(200);
          expect(mediaTypeOf(response), path).to.equal(mediaType);
          const quads = parseRdf(response.text, mediaType);
          expect(quads.length, path).to.be.greaterThan(0);
          const decoded = await t.node.decoder.decode(response.text, { mediaType });
          expect(decoded.problems, path).to.deep.equal([]);
          expect(sortRecords(decoded.records), path).to.deep.equal(await decodeAnswer(t, json));
          expect(await canonicalOf(response), `${path}: same RDF graph as the JSON-LD`).to.equal(await canonicalOf(json));
        }
      });
    }

    it('respects q-values and specificity', async () => {
      const cases: [string, string][] = [
        ['text/turtle;q=0.5, application/n-quads', 'application/n-quads'],
        ['application/n-quads;q=0.2, text/turtle;q=0.9', 'text/turtle'],
        ['application/n-triples;q=0.8, application/ld+json;q=0.7', 'application/n-triples'],
        ['text/*', 'text/turtle'],
        ['image/png, text/turtle;q=0.1', 'text/turtle'],
        ['application/ld+json;q=0, */*', 'application/json'],
        ['*/*;q=0.1, application/n-quads', 'application/n-quads'],
      ];
      for (const [accept, expected] of cases) {
        const response = await t.request('GET', `${ENT}/catalog_items`, { headers: { accept } });
        expect(response.status, accept).to.equal(200);
        expect(mediaTypeOf(response), accept).to.equal(expected);
      }
    });

    it('answers 406 problem+json listing the available types when nothing acceptable is served', async () => {
      for (const path of [`${ENT}/catalog_items`, ENT, `${ENT}/offers/ail-violet`, `/api/dfc/addresses/${FERME}`, '/api/dfc/enterprises']) {
        for (const accept of ['image/png', 'application/ld+json;q=0', 'text/html, application/xml']) {
          const problem = expectProblem(await t.request('GET', path, { headers: { accept } }), 406);
          for (const type of SERVED) expect(problem['detail'], `${path} ${accept}`).to.contain(type);
        }
      }
    });
  });

  // ---------------------------------------------------------------- paging

  describe('paging', () => {
    it('page_size=10 pages the catalogue with a Link next and a hydra:PartialCollectionView', async () => {
      const response = await t.request('GET', `${ENT}/catalog_items?page_size=10`);
      expect(response.status).to.equal(200);
      const next = linkOf(response, 'next');
      expect(next).to.equal(`${enterpriseIri}/catalog_items?page=2&page_size=10`);
      expect(linkOf(response, 'first')).to.equal(`${enterpriseIri}/catalog_items?page=1&page_size=10`);
      expect(linkOf(response, 'prev')).to.equal(undefined);
      const graph = graphOf(response);
      const views = nodesOfType(graph, 'hydra:PartialCollectionView');
      expect(views).to.have.length(1);
      const view = views[0] as JsonNode;
      // The view of the first page is the URL as requested: link-traversal clients follow next only from it.
      expect(idOf(view)).to.equal(`${enterpriseIri}/catalog_items?page_size=10`);
      expect(ids(view['hydra:next'])).to.deep.equal([next]);
      expect(ids(view['hydra:first'])).to.deep.equal([`${enterpriseIri}/catalog_items?page=1&page_size=10`]);
      expect(ids(view['hydra:last'])).to.deep.equal([linkOf(response, 'last')]);
      expect(productIds(graph)).to.have.length(10);
    });

    it('following next visits every product exactly once, in a stable order, and the pages add up to the catalogue', async () => {
      const pages = await walk(t, `${ENT}/catalog_items?page_size=10`);
      const again = await walk(t, `${ENT}/catalog_items?page_size=10`);
      const order = pages.flatMap((p) => productIds(graphOf(p)));
      expect(again.flatMap((p) => productIds(graphOf(p)))).to.deep.equal(order);

      const all = productIds(catalogueGraph);
      expect(pages).to.have.length(Math.ceil(all.length / 10));
      expect(new Set(order).size, 'no product twice').to.equal(order.length);
      expect(order).to.have.members(all);
      for (const page of pages.slice(0, -1)) expect(productIds(graphOf(page))).to.have.length(10);

      // Items and offers are each on exactly one page too.
      for (const type of ['dfc-b:CatalogItem', 'dfc-b:Offer']) {
        const seen = pages.flatMap((p) => nodesOfType(graphOf(p), type).map(idOf));
        expect(new Set(seen).size, type).to.equal(seen.length);
        expect(seen, type).to.have.members(nodesOfType(catalogueGraph, type).map(idOf));
      }

      // The union of the pages (a product group may come with its variants on more than one page) is the catalogue.
      const union = new Map<string, DfcRecord>();
      for (const page of pages) for (const record of await decodeAnswer(t, page)) union.set(record.id, record);
      expect(sortRecords([...union.values()])).to.deep.equal(await storedCatalogue(t, FERME));

      const last = pages[pages.length - 1] as TestResponse;
      expect(linkOf(last, 'next')).to.equal(undefined);
      expect(linkOf(last, 'prev')).to.equal(`${enterpriseIri}/catalog_items?page=${pages.length - 1}&page_size=10`);
      const lastView = nodesOfType(graphOf(last), 'hydra:PartialCollectionView')[0];
      expect(lastView?.['hydra:next']).to.equal(undefined);
    });

    it('paging works the same in Turtle', async () => {
      const pages = await walk(t, `${ENT}/catalog_items?page_size=10`, { accept: 'text/turtle' });
      expect(pages).to.have.length(Math.ceil(productIds(catalogueGraph).length / 10));
      for (const [index, page] of pages.entries()) {
        expect(mediaTypeOf(page)).to.equal('text/turtle');
        const quads = parseRdf(page.text, 'text/turtle');
        const view = quads.filter((q) => q.object.value === 'http://www.w3.org/ns/hydra/core#PartialCollectionView');
        expect(view).to.have.length(1);
        const next = quads.find((q) => q.predicate.value === 'http://www.w3.org/ns/hydra/core#next');
        expect(next?.object.value).to.equal(linkOf(page, 'next'));
        // The view is the page as requested, with its first and last pages.
        const requested = index === 0 ? `${enterpriseIri}/catalog_items?page_size=10` : linkOf(pages[index - 1] as TestResponse, 'next');
        expect(view[0]?.subject.value).to.equal(requested);
        for (const rel of ['first', 'last']) {
          expect(quads.find((q) => q.predicate.value === `http://www.w3.org/ns/hydra/core#${rel}`)?.object.value, rel).to.equal(linkOf(page, rel));
        }
      }
    });

    it('a page is the same RDF graph in JSON-LD and in Turtle (hydra links are IRIs in both)', async () => {
      const path = `${ENT}/catalog_items?page=2&page_size=10`;
      const json = await t.request('GET', path);
      const turtle = await t.request('GET', path, { headers: { accept: 'text/turtle' } });
      expect(await canonicalOf(json)).to.equal(await canonicalOf(turtle));
    });

    it('paging links and the DFC 2.0 container name the collection that was asked for', async () => {
      for (const [first, second] of [['catalog_items', 'supplied_products'], ['supplied_products', 'catalog_items']] as const) {
        const size = first === 'catalog_items' ? 13 : 14;
        for (const collection of [first, second]) {
          const response = await t.request('GET', `${ENT}/${collection}?page_size=${size}`);
          expect(response.status).to.equal(200);
          expect(linkOf(response, 'next'), `${collection} after ${first}`).to.equal(`${enterpriseIri}/${collection}?page=2&page_size=${size}`);
          const view = nodesOfType(graphOf(response), 'hydra:PartialCollectionView')[0];
          expect(view && idOf(view), `${collection} after ${first}`).to.equal(`${enterpriseIri}/${collection}?page_size=${size}`);
        }
        for (const collection of [first, second]) {
          const response = await t.request('GET', `${ENT}/${collection}?page_size=${size + 10}`, { headers: { accept: V2 } });
          const container = nodesOfType(graphOf(response), 'ldp:Container')[0];
          expect(container && idOf(container), `DFC 2.0 ${collection} after ${first}`).to.equal(`${enterpriseIri}/${collection}`);
        }
      }
    });

    it('answers 404 problem+json for a page past the end of the catalogue', async () => {
      const pages = Math.ceil(productIds(catalogueGraph).length / 10);
      expectProblem(await t.request('GET', `${ENT}/catalog_items?page=${pages + 1}&page_size=10`), 404);
      expectProblem(await t.request('GET', `${ENT}/supplied_products?page=2`), 404);
      expectProblem(await t.request('GET', `${ENT}/catalog_items?page=999&page_size=10`, { headers: { accept: 'text/turtle' } }), 404);
    });

    it('answers 404 problem+json for a page past the end of the enterprise list', async () => {
      expect((await t.request('GET', '/api/dfc/enterprises?page=2&page_size=1')).status).to.equal(200);
      expectProblem(await t.request('GET', '/api/dfc/enterprises?page=3&page_size=1'), 404);
    });

    it('answers 400 problem+json for invalid paging parameters', async () => {
      for (const query of ['page_size=0', 'page_size=abc', 'page=0', 'page_size=100000', 'page=-1', 'page=1.5', 'page_size=', 'page=abc']) {
        for (const path of [`${ENT}/catalog_items`, `${ENT}/supplied_products`, '/api/dfc/enterprises']) {
          const problem = expectProblem(await t.request('GET', `${path}?${query}`), 400);
          expect(problem['detail'], `${path}?${query}`).to.match(/page/u);
        }
      }
    });

    it('the enterprise list pages too', async () => {
      const first = await t.request('GET', '/api/dfc/enterprises?page_size=1');
      expect(first.status).to.equal(200);
      expect(linkOf(first, 'next')).to.equal(`${t.base}/api/dfc/enterprises?page=2&page_size=1`);
      const pages = await walk(t, '/api/dfc/enterprises?page_size=1');
      const enterprises = pages.flatMap((p) => nodesOfType(graphOf(p), 'dfc-b:Enterprise').map(idOf));
      expect(enterprises).to.deep.equal([CHEVRERIE, FERME].map((eid) => `${t.base}/api/dfc/enterprises/${eid}`).sort());
    });
  });

  describe('paging with a node default page size of 5', () => {
    let s: TestNode;
    const names = [FERME, CHEVRERIE, 'amap-du-vieux-pont', 'epicerie-du-village', 'fournil-de-la-place', 'groupement-producteurs-limousins'];
    before(async () => {
      s = await startTestNode({ pageSize: 5 });
      for (const name of names) await s.seed(name);
    });
    after(async () => {
      await s?.close();
    });

    it('gives the whole catalogue without parameters, and pages it by 5 to a client that asks for pages', async () => {
      const stored = await s.node.catalog.catalogue(FERME);
      const whole = await s.request('GET', `${ENT}/catalog_items`);
      expect(whole.status).to.equal(200);
      expect(linkOf(whole, 'next')).to.equal(undefined);
      expect(productIds(graphOf(whole))).to.deep.equal(stored.entries.map((e) => e.product.id));
      const response = await s.request('GET', `${ENT}/catalog_items?page=1`);
      expect(response.status).to.equal(200);
      expect(linkOf(response, 'next')).to.equal(`${s.base}${ENT}/catalog_items?page=2&page_size=5`);
      expect(productIds(graphOf(response))).to.have.length(5);
      const pages = await walk(s, `${ENT}/catalog_items?page=1`);
      expect(pages).to.have.length(Math.ceil(stored.entries.length / 5));
      expect(pages.flatMap((p) => productIds(graphOf(p)))).to.deep.equal(stored.entries.map((e) => e.product.id));
    });

    it('an explicit page_size overrides the default', async () => {
      const stored = await s.node.catalog.catalogue(FERME);
      const response = await s.request('GET', `${ENT}/catalog_items?page_size=${stored.entries.length}`);
      expect(response.status).to.equal(200);
      expect(linkOf(response, 'next')).to.equal(undefined);
      expect(nodesOfType(graphOf(response), 'hydra:PartialCollectionView')).to.deep.equal([]);
      expect(productIds(graphOf(response))).to.have.length(stored.entries.length);
    });

    it('pages the enterprise list by 5 without parameters', async () => {
      const response = await s.request('GET', '/api/dfc/enterprises');
      expect(response.status).to.equal(200);
      expect(linkOf(response, 'next')).to.equal(`${s.base}/api/dfc/enterprises?page=2&page_size=5`);
      expect(nodesOfType(graphOf(response), 'dfc-b:Enterprise')).to.have.length(5);
      const pages = await walk(s, '/api/dfc/enterprises');
      expect(pages).to.have.length(2);
      const all = pages.flatMap((p) => nodesOfType(graphOf(p), 'dfc-b:Enterprise').map(idOf));
      expect(all).to.have.members(names.map((eid) => `${s.base}/api/dfc/enterprises/${eid}`));
    });
  });

  // ---------------------------------------------------------------- OPTIONS, 405, CORS, request ids

  describe('OPTIONS, 405, CORS and request ids', () => {
    const allowOf = (response: TestResponse) => headerList(response, 'allow');

    it('OPTIONS answers Allow (and Accept-Post where POST is allowed)', async () => {
      const cases: [string, string[], boolean][] = [
        ['/api/dfc/enterprises', ['GET', 'HEAD', 'OPTIONS', 'POST'], true],
        [`${ENT}/supplied_products`, ['GET', 'HEAD', 'OPTIONS', 'POST'], true],
        [`${ENT}/catalog_items`, ['GET', 'HEAD', 'OPTIONS'], false],
        [ENT, ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'], false],
        [`${ENT}/supplied_products/ail-violet`, ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'], false],
        [`${ENT}/catalog_items/ail-violet`, ['GET', 'HEAD', 'OPTIONS', 'PUT'], false],
        [`${ENT}/offers/ail-violet`, ['GET', 'HEAD', 'OPTIONS', 'PUT'], false],
        [`/api/dfc/persons/${FERME}`, ['GET', 'HEAD', 'OPTIONS'], false],
        [`/api/dfc/addresses/${FERME}`, ['GET', 'HEAD', 'OPTIONS'], false],
      ];
      for (const [path, methods, acceptPost] of cases) {
        const response = await t.request('OPTIONS', path);
        expect(response.status, path).to.be.oneOf([200, 204]);
        expect(allowOf(response), path).to.deep.equal([...methods].sort());
        if (acceptPost) {
          expect(headerList(response, 'accept-post'), path).to.include.members(['application/ld+json', 'text/turtle', 'application/n-triples']);
        } else {
          expect(response.headers.get('accept-post'), path).to.equal(null);
        }
      }
    });

    it('answers 405 problem+json with Allow for a method not allowed', async () => {
      const cases: [string, string, string[]][] = [
        ['DELETE', `${ENT}/catalog_items`, ['GET', 'HEAD', 'OPTIONS']],
        ['POST', `${ENT}/catalog_items`, ['GET', 'HEAD', 'OPTIONS']],
        ['PATCH', `${ENT}/offers/ail-violet`, ['GET', 'HEAD', 'OPTIONS', 'PUT']],
        ['DELETE', '/api/dfc/enterprises', ['GET', 'HEAD', 'OPTIONS', 'POST']],
        ['PATCH', ENT, ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']],
        ['PUT', `/api/dfc/persons/${FERME}`, ['GET', 'HEAD', 'OPTIONS']],
        ['PATCH', `${ENT}/supplied_products/ail-violet`, ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']],
      ];
      for (const [method, path, methods] of cases) {
        const response = await t.request(method, path);
        expectProblem(response, 405);
        expect(allowOf(response), `${method} ${path}`).to.deep.equal([...methods].sort());
      }
    });

    it('GET answers Access-Control-Allow-Origin: * and exposes the paging and caching headers', async () => {
      for (const path of [`${ENT}/catalog_items?page_size=10`, ENT, '/.well-known/dfc/', `${ENT}/offers/no-such-thing`]) {
        const response = await t.request('GET', path, { headers: { origin: 'https://shop.example' } });
        expect(response.headers.get('access-control-allow-origin'), path).to.equal('*');
        expect(headerList(response, 'access-control-expose-headers'), path).to.include.members(['ETag', 'Last-Modified', 'Link', 'X-Request-Id']);
      }
    });

    it('a CORS preflight answers 204 with the allowed methods and headers', async () => {
      const response = await t.request('OPTIONS', `${ENT}/catalog_items`, {
        headers: { origin: 'https://shop.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      expect(response.status).to.equal(204);
      expect(response.text).to.equal('');
      expect(response.headers.get('access-control-allow-origin')).to.equal('*');
      expect(headerList(response, 'access-control-allow-methods')).to.include.members(['GET', 'HEAD', 'OPTIONS']);
      expect(headerList(response, 'access-control-allow-headers').map((h) => h.toLowerCase())).to.include.members(['authorization', 'accept', 'if-none-match']);
    });

    it('echoes X-Request-Id when given and generates one otherwise', async () => {
      const given = await t.request('GET', ENT, { headers: { 'x-request-id': 'req-42.abc_Z' } });
      expect(given.headers.get('x-request-id')).to.equal('req-42.abc_Z');
      const failed = await t.request('GET', '/api/dfc/enterprises/nope', { headers: { 'x-request-id': 'req-43' } });
      expect(failed.status).to.equal(404);
      expect(failed.headers.get('x-request-id')).to.equal('req-43');
      const a = await t.request('GET', ENT);
      const b = await t.request('GET', ENT);
      expect(a.headers.get('x-request-id')).to.be.a('string').and.not.equal('');
      expect(b.headers.get('x-request-id')).to.be.a('string').and.not.equal(a.headers.get('x-request-id'));
      const insane = await t.request('GET', ENT, { headers: { 'x-request-id': 'x'.repeat(200) } });
      expect(insane.headers.get('x-request-id')).to.be.a('string').and.not.equal('x'.repeat(200));
    });
  });
});

// ------------------------------------------------------------------ conditional requests

describe('read API: conditional requests', () => {
  let t: TestNode;
  before(async () => {
    t = await startTestNode();
    await t.seed(FERME);
  });
  after(async () => {
    await t?.close();
  });

  it('answers a strong ETag and a Last-Modified date', async () => {
    for (const path of [`${ENT}/catalog_items`, `${ENT}/catalog_items?page_size=10`, ENT, `${ENT}/offers/ail-violet`, `/api/dfc/persons/${FERME}`, '/api/dfc/enterprises']) {
      const response = await t.request('GET', path);
      expect(response.status, path).to.equal(200);
      const etag = response.headers.get('etag');
      expect(etag, path).to.match(/^"[^"]+"$/u);
      expect(etag?.startsWith('W/'), path).to.equal(false);
      const lastModified = response.headers.get('last-modified') ?? '';
      expect(Number.isNaN(Date.parse(lastModified)), `${path}: ${lastModified}`).to.equal(false);
      expect(new Date(lastModified).toUTCString()).to.equal(lastModified);
      expect(Date.parse(lastModified)).to.be.at.most(Date.now() + 1000);
    }
  });

  it('If-None-Match with the ETag (or *, or a list, or its weak form) answers 304 with an empty body', async () => {
    for (const path of [`${ENT}/catalog_items`, `${ENT}/catalog_items?page_size=10&page=2`, ENT, `${ENT}/supplied_products/ail-violet`, `/api/dfc/addresses/${FERME}`, '/api/dfc/enterprises']) {
      const first = await t.request('GET', path);
      const etag = first.headers.get('etag') as string;
      for (const ifNoneMatch of [etag, '*', `"something-else", ${etag}`, `W/${etag}`]) {
        const response = await t.request('GET', path, { headers: { 'if-none-match': ifNoneMatch } });
        expect(response.status, `${path} If-None-Match: ${ifNoneMatch}`).to.equal(304);
        expect(response.text).to.equal('');
        expect(response.headers.get('etag')).to.equal(etag);
      }
      const other = await t.request('GET', path, { headers: { 'if-none-match': '"something-else"' } });
      expect(other.status).to.equal(200);
      expect(other.text).to.equal(first.text);
    }
  });

  it('a GET whose If-Match names no current ETag, or whose If-Unmodified-Since is older than it, is a 412 before If-None-Match (RFC 9110 §13.2.2)', async () => {
    for (const path of [`${ENT}/catalog_items`, `${ENT}/catalog_items?page_size=10&page=2`, ENT, `${ENT}/supplied_products/ail-violet`, '/api/dfc/enterprises']) {
      const first = await t.request('GET', path);
      const etag = first.headers.get('etag') as string;
      const lastModified = first.headers.get('last-modified') as string;
      for (const ifMatch of [etag, '*', `"something-else", ${etag}`]) {
        const response = await t.request('GET', path, { headers: { 'if-match': ifMatch } });
        expect(response.status, `${path} If-Match: ${ifMatch}`).to.equal(200);
        expect(response.text).to.equal(first.text);
      }
      // A client that read the gzip variant holds its tag: the same state.
      const gzip = await t.request('GET', path, { headers: { 'accept-encoding': 'gzip' } });
      const gzipTag = gzip.headers.get('etag') as string;
      expect((await t.request('GET', path, { headers: { 'if-match': gzipTag } })).status, `${path} If-Match: ${gzipTag}`).to.equal(200);
      // A weak tag never matches strongly; an If-None-Match that matches does not turn the 412 into a 304.
      for (const headers of [{ 'if-match': '"something-else"' }, { 'if-match': `W/${etag}` }, { 'if-match': '"something-else"', 'if-none-match': etag }] as Record<string, string>[]) {
        for (const method of ['GET', 'HEAD'] as const) {
          const response = await t.request(method, path, { headers });
          expect(response.status, `${method} ${path} ${JSON.stringify(headers)}`).to.equal(412);
          if (method === 'GET') {
            expect(response.headers.get('content-type')).to.match(/^application\/problem\+json/u);
            expect(response.text).to.include('If-Match');
          }
        }
      }
      const past = new Date(Date.parse(lastModified) - 1000).toUTCString();
      const refused = await t.request('GET', path, { headers: { 'if-unmodified-since': past } });
      expect(refused.status, `${path} If-Unmodified-Since: ${past}`).to.equal(412);
      expect(refused.text).to.include('If-Unmodified-Since');
      for (const since of [lastModified, new Date(Date.now() + 60_000).toUTCString(), 'not a date']) {
        expect((await t.request('GET', path, { headers: { 'if-unmodified-since': since } })).status, `${path} If-Unmodified-Since: ${since}`).to.equal(200);
      }
      // If-Match wins over If-Unmodified-Since (§13.1.4: ignored beside it).
      expect((await t.request('GET', path, { headers: { 'if-match': etag, 'if-unmodified-since': past } })).status).to.equal(200);
    }
  });

  it('different representations (JSON-LD 1.16, DFC 2.0, Turtle) have different ETags', async () => {
    const etags = new Map<string, string>();
    for (const accept of ['application/ld+json', V2, 'text/turtle']) {
      const response = await t.request('GET', `${ENT}/catalog_items`, { headers: { accept } });
      expect(response.status).to.equal(200);
      etags.set(accept, response.headers.get('etag') as string);
    }
    expect(new Set(etags.values()).size).to.equal(etags.size);
    // A JSON-LD ETag does not validate the Turtle representation.
    const turtle = await t.request('GET', `${ENT}/catalog_items`, {
      headers: { accept: 'text/turtle', 'if-none-match': etags.get('application/ld+json') as string },
    });
    expect(turtle.status).to.equal(200);
    expect(turtle.headers.get('etag')).to.equal(etags.get('text/turtle'));
  });

  it('every negotiated representation has its own strong ETag, even when only the media type differs (RFC 9110 §8.8.1)', async () => {
    const etags = new Map<string, string>();
    for (const accept of SERVED) {
      const response = await t.request('GET', `${ENT}/catalog_items`, { headers: { accept } });
      expect(mediaTypeOf(response)).to.equal(accept);
      etags.set(accept, response.headers.get('etag') as string);
    }
    const byEtag = new Map<string, string[]>();
    for (const [accept, etag] of etags) byEtag.set(etag, [...(byEtag.get(etag) ?? []), accept]);
    expect([...byEtag.values()].filter((types) => types.length > 1), 'media types sharing one ETag').to.deep.equal([]);
  });

  it('after a stock write the ETag changes, the old one gets 200 and the new one 304', async () => {
    const before = await t.request('GET', `${ENT}/catalog_items`);
    const oldEtag = before.headers.get('etag') as string;
    const itemBefore = await t.request('GET', `${ENT}/catalog_items/ail-violet`);
    const oldItemEtag = itemBefore.headers.get('etag') as string;
    const oldTurtle = (await t.request('GET', `${ENT}/catalog_items`, { headers: { accept: 'text/turtle' } })).headers.get('etag') as string;
    const stockBefore = graphOf(itemBefore)[0]?.['dfc-b:stockLimitation'];
    expect(stockBefore).to.not.equal(3);

    const put = await t.request('PUT', `${ENT}/catalog_items/ail-violet`, {
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ 'dfc-b:stockLimitation': 3 }),
    });
    expect(put.status, put.text).to.equal(200);

    const after = await t.request('GET', `${ENT}/catalog_items`, { headers: { 'if-none-match': oldEtag } });
    expect(after.status).to.equal(200);
    const newEtag = after.headers.get('etag') as string;
    expect(newEtag).to.match(/^"[^"]+"$/u).and.not.equal(oldEtag);
    const item = graphOf(after).find((n) => idOf(n) === `${t.base}${ENT}/catalog_items/ail-violet`);
    expect(item?.['dfc-b:stockLimitation']).to.equal(3);
    expect(Date.parse(after.headers.get('last-modified') ?? '')).to.be.at.least(Date.parse(before.headers.get('last-modified') ?? ''));
    expect((await t.request('GET', `${ENT}/catalog_items`, { headers: { 'if-none-match': newEtag } })).status).to.equal(304);

    const itemAfter = await t.request('GET', `${ENT}/catalog_items/ail-violet`, { headers: { 'if-none-match': oldItemEtag } });
    expect(itemAfter.status).to.equal(200);
    expect(itemAfter.headers.get('etag')).to.not.equal(oldItemEtag);
    expect(graphOf(itemAfter)[0]?.['dfc-b:stockLimitation']).to.equal(3);

    const turtle = await t.request('GET', `${ENT}/catalog_items`, { headers: { accept: 'text/turtle', 'if-none-match': oldTurtle } });
    expect(turtle.status).to.equal(200);
    expect(turtle.headers.get('etag')).to.not.equal(oldTurtle);
  });
});

// ------------------------------------------------------------------ private enterprises

describe('read API: private enterprises', () => {
  let t: TestNode;
  const SECRET = 'jardin-secret';
  const HIDDEN = 'chevrerie-privee';
  let hiddenProduct: string;
  let hiddenItem: string;
  let hiddenOffer: string;

  before(async () => {
    t = await startTestNode();
    await t.seed(FERME);
    // One private enterprise through the API…
    const document = {
      '@context': CTX_1_16,
      '@graph': [
        { '@id': '_:e', '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Jardin Secret', 'dfc-b:hasAddress': '_:a', 'dfc-b:hasMainContact': '_:p' },
        {
          '@id': '_:a', '@type': 'dfc-b:Address', 'dfc-b:hasStreet': '1 rue des Lilas', 'dfc-b:hasPostalCode': '87000',
          'dfc-b:hasCity': 'Limoges', 'dfc-b:hasCountry': 'http://publications.europa.eu/resource/authority/country/FRA',
        },
        { '@id': '_:p', '@type': 'dfc-b:Person', 'dfc-b:firstName': 'Anne', 'dfc-b:familyName': 'Martin' },
      ],
    };
    const created = await t.request('POST', '/api/dfc/enterprises?private=true', {
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/ld+json' },
      body: JSON.stringify(document),
    });
    expect(created.status, created.text).to.equal(201);
    expect(created.headers.get('location')).to.equal(`${t.base}/api/dfc/enterprises/${SECRET}`);
    // …and one through the catalogue service, with a catalogue.
    const records = await exampleRecords(t, CHEVRERIE);
    await t.node.catalog.createEnterprise(records, { eid: HIDDEN, private: true });
    await t.node.catalog.importRecords(HIDDEN, records);
    const catalogue = await t.node.catalog.catalogue(HIDDEN);
    const entry = catalogue.entries[0];
    if (entry === undefined) throw new Error('the private catalogue is empty');
    hiddenProduct = entry.product.id;
    hiddenItem = (entry.items[0] as { id: string }).id;
    hiddenOffer = (entry.offers[0] as { id: string }).id;
  });
  after(async () => {
    await t?.close();
  });

  const productPaths = (eid: string): string[] => [`/api/dfc/enterprises/${eid}/catalog_items`, `/api/dfc/enterprises/${eid}/supplied_products`];
  const profilePaths = (eid: string): string[] => [`/api/dfc/enterprises/${eid}`, `/api/dfc/persons/${eid}`, `/api/dfc/addresses/${eid}`];
  const resourcePaths = (): string[] => [hiddenProduct, hiddenItem, hiddenOffer].map((iri) => pathOf(t, iri));
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  // Issue 9: these were 401 and 403, which told a stranger the enterprise exists (RFC 9110 §15.5.5).
  it('answers 404 problem+json without a token, as for an unknown enterprise', async () => {
    for (const path of [...productPaths(HIDDEN), ...profilePaths(HIDDEN), ...resourcePaths(), ...productPaths(SECRET), ...profilePaths(SECRET)]) {
      const response = await t.request('GET', path);
      expectProblem(response, 404);
      expect(response.headers.get('www-authenticate'), path).to.equal(null);
    }
  });

  it('answers 404 problem+json with another enterprise\'s token', async () => {
    const other = await t.token(FERME, ['ReadEnterprise', 'ReadProducts', 'WriteEnterprise', 'WriteProducts']);
    for (const path of [...productPaths(HIDDEN), ...profilePaths(HIDDEN), ...resourcePaths(), ...productPaths(SECRET), ...profilePaths(SECRET)]) {
      expectProblem(await t.request('GET', path, { headers: bearer(other) }), 404);
    }
  });

  it('answers 200 with its own ReadProducts / ReadEnterprise token, and 403 for the scope the token lacks', async () => {
    const readProducts = await t.token(HIDDEN, ['ReadProducts']);
    const readEnterprise = await t.token(HIDDEN, ['ReadEnterprise']);
    for (const path of [...productPaths(HIDDEN), ...resourcePaths()]) {
      const response = await t.request('GET', path, { headers: bearer(readProducts) });
      expect(response.status, path).to.equal(200);
      expect(response.headers.get('cache-control'), path).to.contain('private');
      expectProblem(await t.request('GET', path, { headers: bearer(readEnterprise) }), 403);
    }
    for (const path of profilePaths(HIDDEN)) {
      const response = await t.request('GET', path, { headers: bearer(readEnterprise) });
      expect(response.status, path).to.equal(200);
      expect(response.headers.get('cache-control'), path).to.contain('private');
      expectProblem(await t.request('GET', path, { headers: bearer(readProducts) }), 403);
    }
    // X-Api-Token works as well as Authorization.
    expect((await t.request('GET', productPaths(HIDDEN)[0] as string, { headers: { 'x-api-token': readProducts } })).status).to.equal(200);
  });

  it('answers 200 with the admin token, with the whole private catalogue and profile', async () => {
    const catalogue = await t.request('GET', `/api/dfc/enterprises/${HIDDEN}/catalog_items`, { headers: bearer(t.adminToken) });
    expect(catalogue.status).to.equal(200);
    expect(await decodeAnswer(t, catalogue)).to.deep.equal(await storedCatalogue(t, HIDDEN));
    for (const path of [...profilePaths(HIDDEN), ...profilePaths(SECRET), ...productPaths(SECRET), ...resourcePaths()]) {
      expect((await t.request('GET', path, { headers: bearer(t.adminToken) })).status, path).to.equal(200);
    }
    const secret = graphOf(await t.request('GET', `/api/dfc/enterprises/${SECRET}`, { headers: bearer(t.adminToken) }));
    const enterprise = nodesOfType(secret, 'dfc-b:Enterprise')[0];
    expect(enterprise?.['dfc-b:name']).to.equal('Jardin Secret');
    expect(ids(enterprise?.['dfc-b:hasAddress'])).to.deep.equal([`${t.base}/api/dfc/addresses/${SECRET}`]);
    expect(ids(enterprise?.['dfc-b:hasMainContact'])).to.deep.equal([`${t.base}/api/dfc/persons/${SECRET}`]);
    const person = graphOf(await t.request('GET', `/api/dfc/persons/${SECRET}`, { headers: bearer(t.adminToken) }))[0];
    expect(person?.['dfc-b:firstName']).to.equal('Anne');
  });

  it('is absent from the public enterprise list and present for the admin and for its own token', async () => {
    const iri = (eid: string) => `${t.base}/api/dfc/enterprises/${eid}`;
    const listed = async (headers: Record<string, string>) => {
      const response = await t.request('GET', '/api/dfc/enterprises', { headers });
      expect(response.status).to.equal(200);
      return nodesOfType(graphOf(response), 'dfc-b:Enterprise').map(idOf);
    };
    expect(await listed({})).to.deep.equal([iri(FERME)]);
    expect(await listed(bearer(await t.token(FERME, ['ReadEnterprise'])))).to.deep.equal([iri(FERME)]);
    expect(await listed(bearer(t.adminToken))).to.have.members([iri(FERME), iri(HIDDEN), iri(SECRET)]);
    expect(await listed(bearer(await t.token(HIDDEN, ['ReadEnterprise'])))).to.have.members([iri(FERME), iri(HIDDEN)]);
    const anonymous = await t.request('GET', '/api/dfc/enterprises');
    expect(anonymous.text).to.not.contain(HIDDEN).and.not.contain(SECRET);
  });

  it('serves public reads with an invalid token as anonymous ones (Open Food Network sends its user token everywhere)', async () => {
    for (const path of [`${ENT}/catalog_items`, ENT, `${ENT}/offers/ail-violet`, '/api/dfc/enterprises', `/api/dfc/persons/${FERME}`]) {
      for (const headers of [bearer('mln_not-a-token'), { 'x-api-token': 'mln_not-a-token' }, { authorization: 'Basic dXNlcjpwYXNz' }]) {
        const response = await t.request('GET', path, { headers });
        const anonymous = await t.request('GET', path);
        expect(response.status, path).to.equal(anonymous.status);
        expect(response.text, path).to.equal(anonymous.text);
      }
    }
  });

  it('answers 401 invalid_token to an invalid token on a private read', async () => {
    const response = await t.request('GET', `/api/dfc/enterprises/${SECRET}/catalog_items`, { headers: bearer('mln_not-a-token') });
    expectProblem(response, 401);
    expect(response.headers.get('www-authenticate')).to.equal('Bearer error="invalid_token"');
  });
});
