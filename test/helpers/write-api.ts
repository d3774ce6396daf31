/**
 * Helpers for the write-API and token integration tests: DFC bodies in every wire shape, a store snapshot to
 * prove a rejected request changed nothing, problem-document checks and decoded GETs.
 */
import { expect } from 'chai';
import type { CatalogItemRecord, DfcRecord, OfferRecord, SuppliedProductRecord } from '../../ontology/records.js';
import { RECORD_KINDS } from '../../ontology/records.js';
import { EURO } from '../../ontology/units.js';
import type { TestNode, TestResponse } from './node.js';

export const CONTEXT = 'https://w3id.org/dfc/ontology/context/context_1.16.0.json';
export const DFC_B = 'https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#';
export const DFC_M = 'https://github.com/datafoodconsortium/taxonomies/releases/latest/download/measures.rdf#';
export { EURO };

export const JSONLD = { 'content-type': 'application/ld+json' } as const;
export const JSON_TYPE = { 'content-type': 'application/json' } as const;
export const TURTLE = { 'content-type': 'text/turtle' } as const;

/** `Authorization: Bearer <token>`. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** Path of an enterprise, or of one of its collections or resources, under the API. */
export function api(eid: string, collection?: 'supplied_products' | 'catalog_items' | 'offers', id?: string): string {
  return `/api/dfc/enterprises/${eid}${collection !== undefined ? `/${collection}` : ''}${id !== undefined ? `/${id}` : ''}`;
}

/** The `@id` the node gives a path. */
export function iri(t: TestNode, path: string): string {
  return `${t.base}${path}`;
}

/** The last path segment of an IRI. */
export function localId(id: string): string {
  return decodeURIComponent(id.split('/').pop() ?? '');
}

/** What a product body says. */
export interface ProductSpec {
  readonly name?: string;
  readonly description?: string;
  readonly sku?: string;
  readonly stock?: number | string;
  readonly price?: number | string;
  readonly unit?: string;
  readonly variantOf?: string;
  /** `@id`s to use (blank nodes by default). */
  readonly ids?: { product?: string; item?: string; offer?: string };
}

function productNode(spec: ProductSpec, id: string): Record<string, unknown> {
  return {
    '@id': id,
    '@type': 'dfc-b:SuppliedProduct',
    ...(spec.name !== undefined ? { 'dfc-b:name': spec.name } : {}),
    'dfc-b:description': spec.description ?? 'Produit de test.',
    'dfc-b:hasQuantity': { '@type': 'dfc-b:QuantitativeValue', 'dfc-b:hasUnit': spec.unit ?? 'dfc-m:Kilogram', 'dfc-b:value': 1 },
    ...(spec.variantOf !== undefined ? { 'dfc-b:isVariantOf': spec.variantOf } : {}),
  };
}

function priceNode(spec: ProductSpec): Record<string, unknown> {
  return { '@type': 'dfc-b:Price', 'dfc-b:value': spec.price ?? 2.5, 'dfc-b:hasUnit': 'dfc-m:Euro' };
}

/** (a) A SuppliedProduct with its CatalogItem and Offer embedded as nested objects. */
export function nestedProduct(spec: ProductSpec): Record<string, unknown> {
  const ids = { product: '_:product', item: '_:item', offer: '_:offer', ...spec.ids };
  return {
    '@context': CONTEXT,
    ...productNode(spec, ids.product),
    'dfc-b:referencedBy': {
      '@id': ids.item,
      '@type': 'dfc-b:CatalogItem',
      'dfc-b:sku': spec.sku ?? 'SKU-TEST',
      'dfc-b:stockLimitation': spec.stock ?? 10,
      'dfc-b:offeredThrough': {
        '@id': ids.offer,
        '@type': 'dfc-b:Offer',
        'dfc-b:hasPrice': priceNode(spec),
        'dfc-b:stockLimitation': spec.stock ?? 10,
      },
    },
  };
}

/** (b) The same, flattened in an `@graph` and linked by `@id`. */
export function flatProduct(spec: ProductSpec): Record<string, unknown> {
  const ids = { product: '_:product', item: '_:item', offer: '_:offer', ...spec.ids };
  return {
    '@context': CONTEXT,
    '@graph': [
      { ...productNode(spec, ids.product), 'dfc-b:referencedBy': ids.item },
      {
        '@id': ids.item,
        '@type': 'dfc-b:CatalogItem',
        'dfc-b:references': ids.product,
        'dfc-b:sku': spec.sku ?? 'SKU-TEST',
        'dfc-b:stockLimitation': spec.stock ?? 10,
        'dfc-b:offeredThrough': ids.offer,
      },
      {
        '@id': ids.offer,
        '@type': 'dfc-b:Offer',
        'dfc-b:offeredItem': { '@id': ids.item },
        'dfc-b:hasPrice': priceNode(spec),
        'dfc-b:stockLimitation': spec.stock ?? 10,
      },
    ],
  };
}

/** (c) The same in Turtle. */
export function turtleProduct(spec: ProductSpec & { ids: { product: string; item: string; offer: string } }): string {
  const literal = (value: string) => JSON.stringify(value);
  return `@prefix dfc-b: <${DFC_B}> .
@prefix dfc-m: <${DFC_M}> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<${spec.ids.product}>
    a dfc-b:SuppliedProduct ;
    dfc-b:name ${literal(spec.name ?? 'Produit')} ;
    dfc-b:description ${literal(spec.description ?? 'Produit de test.')} ;
    dfc-b:hasQuantity [ a dfc-b:QuantitativeValue ; dfc-b:hasUnit dfc-m:Kilogram ; dfc-b:value "1"^^xsd:decimal ] ;
    dfc-b:referencedBy <${spec.ids.item}> .

<${spec.ids.item}>
    a dfc-b:CatalogItem ;
    dfc-b:references <${spec.ids.product}> ;
    dfc-b:sku ${literal(spec.sku ?? 'SKU-TEST')} ;
    dfc-b:stockLimitation "${spec.stock ?? 10}"^^xsd:integer ;
    dfc-b:offeredThrough <${spec.ids.offer}> .

<${spec.ids.offer}>
    a dfc-b:Offer ;
    dfc-b:offeredItem <${spec.ids.item}> ;
    dfc-b:hasPrice [ a dfc-b:Price ; dfc-b:value "${spec.price ?? 2.5}"^^xsd:decimal ; dfc-b:hasUnit dfc-m:Euro ] ;
    dfc-b:stockLimitation "${spec.stock ?? 10}"^^xsd:integer .
`;
}

/** A DFC Enterprise document with its address and main contact. */
export function enterpriseBody(spec: { id?: string; name: string; description?: string; city?: string }): Record<string, unknown> {
  return {
    '@context': CONTEXT,
    '@graph': [
      {
        '@id': spec.id ?? '_:enterprise',
        '@type': 'dfc-b:Enterprise',
        'dfc-b:name': spec.name,
        'dfc-b:hasDescription': spec.description ?? 'Une entreprise de test.',
        'dfc-b:email': 'contact@example.org',
        'dfc-b:hasAddress': '_:address',
        'dfc-b:hasMainContact': '_:contact',
      },
      {
        '@id': '_:address',
        '@type': 'dfc-b:Address',
        'dfc-b:hasStreet': '3 route des Vergers',
        'dfc-b:hasPostalCode': '87000',
        'dfc-b:hasCity': spec.city ?? 'Limoges',
        'dfc-b:hasCountry': 'http://publications.europa.eu/resource/authority/country/FRA',
      },
      { '@id': '_:contact', '@type': 'dfc-b:Person', 'dfc-b:firstName': 'Anne', 'dfc-b:familyName': 'Martin' },
    ],
  };
}

/** A request body of `n` bytes or more: a valid product with a long description. */
export function bigProduct(bytes: number): string {
  return JSON.stringify(nestedProduct({ name: 'Gros produit', description: 'x'.repeat(bytes) }));
}

/**
 * Everything the store holds about an enterprise (its row with version, and every resource with its update
 * time), plus the list of enterprises: equal before and after a request iff the request changed nothing.
 */
export async function snapshot(t: TestNode, eid: string): Promise<string> {
  const enterprises = await t.node.store.listEnterprises();
  const resources = await t.node.store.listResources(eid, RECORD_KINDS);
  return JSON.stringify({ enterprises, resources });
}

/** One enterprise's own state: its row (name, version, update time) and every resource it owns. */
export async function enterpriseSnapshot(t: TestNode, eid: string): Promise<string> {
  const row = await t.node.store.getEnterprise(eid);
  const resources = await t.node.store.listResources(eid, RECORD_KINDS);
  return JSON.stringify({ row, resources });
}

/** The catalogue resources of an enterprise, as the task's reference dump. */
export async function catalogueDump(t: TestNode, eid: string): Promise<string> {
  return JSON.stringify(await t.node.store.listResources(eid, ['SuppliedProduct', 'CatalogItem', 'Offer']));
}

/** A problem as the API reports it. */
export interface WireProblem {
  readonly id: string | null;
  readonly type: string | null;
  readonly path: string;
  readonly message: string;
  readonly severity?: string;
}

/** An RFC 9457 problem document. */
export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  readonly problems?: readonly WireProblem[];
}

/** Checks a response is an `application/problem+json` with that status; returns the document. */
export function expectProblem(response: TestResponse, status: number): ProblemBody {
  expect(response.status, `status (body: ${response.text.slice(0, 400)})`).to.equal(status);
  expect(response.headers.get('content-type') ?? '').to.match(/^application\/problem\+json/u);
  const body = response.json<ProblemBody>();
  expect(body.status).to.equal(status);
  expect(body.title).to.be.a('string').and.not.equal('');
  expect(body.detail).to.be.a('string').and.not.equal('');
  return body;
}

/** Checks a problem document carries the codec's problem list, each with id, type, path and message. */
export function expectCodecProblems(body: ProblemBody): readonly WireProblem[] {
  expect(body.problems, 'problems list').to.be.an('array').that.is.not.empty;
  for (const p of body.problems ?? []) {
    expect(p).to.include.keys('id', 'type', 'path', 'message');
    expect(p.message).to.be.a('string').and.not.equal('');
    expect(p.path).to.be.a('string');
  }
  return body.problems ?? [];
}

/** GETs a path and decodes the DFC answer. */
export async function getRecords(t: TestNode, path: string, headers: Record<string, string> = {}): Promise<DfcRecord[]> {
  const response = await t.request('GET', path, { headers });
  expect(response.status, `GET ${path}: ${response.text.slice(0, 300)}`).to.equal(200);
  const decoded = await t.node.decoder.decode(response.text);
  expect(decoded.rejected, `GET ${path} decodes`).to.deep.equal([]);
  return decoded.records;
}

/** The record with an `@id` among records, or a failed assertion. */
export function byId<K extends DfcRecord['kind']>(records: readonly DfcRecord[], id: string, kind: K): Extract<DfcRecord, { kind: K }> {
  const found = records.find((r) => r.id === id);
  expect(found, `${kind} ${id}`).to.not.equal(undefined);
  expect(found?.kind).to.equal(kind);
  return found as Extract<DfcRecord, { kind: K }>;
}

/** One resource of an enterprise, by GET, decoded. */
export async function getProduct(t: TestNode, id: string): Promise<SuppliedProductRecord> {
  return byId(await getRecords(t, id.slice(t.base.length)), id, 'SuppliedProduct');
}
export async function getItem(t: TestNode, id: string): Promise<CatalogItemRecord> {
  return byId(await getRecords(t, id.slice(t.base.length)), id, 'CatalogItem');
}
export async function getOffer(t: TestNode, id: string): Promise<OfferRecord> {
  return byId(await getRecords(t, id.slice(t.base.length)), id, 'Offer');
}

/** The `@graph` node of a JSON-LD answer with that `@id`, as the wire shows it. */
export function wireNode(response: TestResponse, id: string): Record<string, unknown> {
  const document = response.json<{ '@graph'?: Record<string, unknown>[] } & Record<string, unknown>>();
  const nodes = document['@graph'] ?? [document];
  const node = nodes.find((n) => n['@id'] === id);
  expect(node, `node ${id} in ${response.text.slice(0, 300)}`).to.not.equal(undefined);
  return node as Record<string, unknown>;
}

/** The product, catalog item and offer a POST created, from its answer. */
export async function created(t: TestNode, response: TestResponse): Promise<{ product: string; item: string; offer: string; records: DfcRecord[] }> {
  expect(response.status, `POST: ${response.text.slice(0, 500)}`).to.equal(201);
  const decoded = await t.node.decoder.decode(response.text, { mediaType: (response.headers.get('content-type') ?? '').split(';')[0] ?? '' });
  const product = response.headers.get('location') ?? '';
  const item = decoded.records.find((r): r is CatalogItemRecord => r.kind === 'CatalogItem' && r.product === product);
  const offer = decoded.records.find((r): r is OfferRecord => r.kind === 'Offer' && r.item === item?.id);
  expect(item, 'catalog item in the POST answer').to.not.equal(undefined);
  expect(offer, 'offer in the POST answer').to.not.equal(undefined);
  return { product, item: item?.id ?? '', offer: offer?.id ?? '', records: decoded.records };
}
