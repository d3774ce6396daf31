/**
 * How an enterprise's catalogue is laid out in a pod container: a pure function from the node's records to the
 * Turtle documents to write, each at a stable path.
 *
 * - `enterprise.ttl`: the enterprise (`#enterprise`), its address (`#address`) and its customer categories;
 * - `products/<id>.ttl`: one supplied product (`#product`) with its catalog items (`#item-<id>`) and their offers
 *   (`#offer-<id>`), so that a change of price or stock rewrites that one document;
 * - `index.ttl`: a `dfc-b:Catalog` (`#catalog`) listing every item, and an `rdfs:seeAlso` to every document, so a
 *   Linked Data client that does not speak LDP still finds them all.
 *
 * The pod is the owner's own store: its documents describe resources under the pod's IRIs (so that a reader
 * holds the pod authoritative for them, as for any peer's own origin), each linked by `owl:sameAs` to the node's
 * IRI it was published from. Every document is plain Turtle with absolute IRIs: no JSON-LD context is needed.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import type { NodeId } from '../../ontology/iri.js';
import type {
  CatalogItemRecord, CatalogRecord, DfcRecord, EnterpriseRecord, ExtraValue, OfferRecord, SuppliedProductRecord,
} from '../../ontology/records.js';
import { OWL, RDFS } from '../../ontology/vocabulary.js';
import { serialize } from '../codec/serialize.js';

/** One product of the catalogue with what it is sold as. */
export interface LayoutEntry {
  readonly product: SuppliedProductRecord;
  readonly items: readonly CatalogItemRecord[];
  readonly offers: readonly OfferRecord[];
  /** Other records published with the product (Open Food Network's planned transformations). */
  readonly plans: readonly DfcRecord[];
}

/** What is published of one enterprise. */
export interface LayoutInput {
  /** The publication's container: an absolute URL with a final slash. */
  readonly container: string;
  /** The enterprise's profile records: the enterprise and its address are published, nothing else of it. */
  readonly profile: readonly DfcRecord[];
  /** The products that are not groups, with their items and offers. */
  readonly entries: readonly LayoutEntry[];
  /** Product groups (products with variants). */
  readonly groups: readonly SuppliedProductRecord[];
  /** Customer categories the offers are made to. */
  readonly categories: readonly DfcRecord[];
}

/** One Turtle document to write into the pod. */
export interface PodDocument {
  /** Its absolute URL. */
  readonly url: string;
  /** What it holds (with pod IRIs). */
  readonly records: readonly DfcRecord[];
  readonly turtle: string;
  /** SHA-256 of the Turtle, base64url: the same hash, nothing to write. */
  readonly hash: string;
  /** What it is, for reports: `index`, `enterprise` or `product`. */
  readonly role: 'index' | 'enterprise' | 'product';
}

/** The names of the documents of a publication, under its container. */
export const INDEX_DOCUMENT = 'index.ttl';
export const ENTERPRISE_DOCUMENT = 'enterprise.ttl';
export const PRODUCTS_CONTAINER = 'products/';

/** A path segment or fragment safe in a URL, from the last segment of an IRI; a hash of the IRI otherwise. */
export function localName(iri: string): string {
  let last = iri.replace(/[/#]+$/u, '').split(/[/#]/u).pop() ?? '';
  try {
    last = decodeURIComponent(last);
  } catch {
    last = '';
  }
  return /^[A-Za-z0-9][A-Za-z0-9._~-]{0,99}$/u.test(last) && last !== '.' && last !== '..'
    ? last
    : createHash('sha256').update(iri).digest('hex').slice(0, 16);
}

/** Gives out names that stay unique within one scope (a second `x` becomes `x-2`). */
class Names {
  private readonly used = new Set<string>();

  public take(name: string): string {
    let candidate = name;
    for (let n = 2; this.used.has(candidate); n++) candidate = `${name}-${n}`;
    this.used.add(candidate);
    return candidate;
  }
}

/** Replaces every string equal to a mapped IRI, anywhere in a record (links, lists, kept extra values). */
function rewrite<T>(value: T, map: ReadonlyMap<string, string>): T {
  if (typeof value === 'string') return (map.get(value) ?? value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => rewrite(v, map)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v, map)])) as T;
  }
  return value;
}

/** A record under its pod IRI, linked by `owl:sameAs` to the IRI it was published from. */
function podRecord<T extends DfcRecord>(record: T, map: ReadonlyMap<string, string>): T {
  const rewritten = rewrite(record, map);
  const sameAs: ExtraValue[] = [...(rewritten.extra?.[OWL.sameAs] ?? [])];
  if (!sameAs.some((v) => '@id' in v && v['@id'] === record.id)) sameAs.push({ '@id': record.id });
  return { ...rewritten, extra: { ...rewritten.extra, [OWL.sameAs]: sameAs } };
}

function document(url: string, role: PodDocument['role'], records: readonly DfcRecord[]): PodDocument {
  const turtle = `${serialize(records, 'turtle')}\n`;
  return { url, role, records, turtle, hash: createHash('sha256').update(turtle).digest('base64url') };
}

/**
 * The documents of one enterprise's publication, in a stable order (index, enterprise, products by URL).
 *
 * @param input - the container and the records to publish
 */
export function podLayout(input: LayoutInput): PodDocument[] {
  const { container } = input;
  const enterprise = input.profile.find((r): r is EnterpriseRecord => r.kind === 'Enterprise');
  if (enterprise === undefined) throw new Error('podLayout: no Enterprise record in the profile');
  const address = input.profile.find((r) => r.kind === 'Address' && r.id === enterprise.address);
  const enterpriseUrl = `${container}${ENTERPRISE_DOCUMENT}`;
  const indexUrl = `${container}${INDEX_DOCUMENT}`;
  const catalogIri = `${indexUrl}#catalog` as NodeId;

  // Every published record's pod IRI, decided first: links between documents are rewritten with one map.
  const map = new Map<string, string>([[enterprise.id, `${enterpriseUrl}#enterprise`]]);
  if (address !== undefined) map.set(address.id, `${enterpriseUrl}#address`);
  const enterpriseNames = new Names();
  for (const category of input.categories) map.set(category.id, `${enterpriseUrl}#${enterpriseNames.take(`category-${localName(category.id)}`)}`);
  const files = new Names();
  const products: { url: string; records: DfcRecord[] }[] = [];
  const allProducts: LayoutEntry[] = [...input.entries, ...input.groups.map((product) => ({ product, items: [], offers: [], plans: [] }))];
  for (const entry of allProducts) {
    const url = `${container}${PRODUCTS_CONTAINER}${files.take(localName(entry.product.id))}.ttl`;
    const names = new Names();
    map.set(entry.product.id, `${url}#${names.take('product')}`);
    for (const item of entry.items) map.set(item.id, `${url}#${names.take(`item-${localName(item.id)}`)}`);
    for (const offer of entry.offers) map.set(offer.id, `${url}#${names.take(`offer-${localName(offer.id)}`)}`);
    entry.plans.forEach((plan, i) => map.set(plan.id, `${url}#${names.take(`plan-${i + 1}`)}`));
    products.push({ url, records: [entry.product, ...entry.items, ...entry.offers, ...entry.plans] });
  }

  const published: EnterpriseRecord = {
    ...podRecord(enterprise, map), maintains: [catalogIri],
    // Only what is in the pod: the main contact (a person) is not published, nor links to the node's other resources.
    supplies: enterprise.supplies.filter((id) => map.has(id)).map((id) => map.get(id) as NodeId),
    manages: enterprise.manages.filter((id) => map.has(id)).map((id) => map.get(id) as NodeId),
  };
  delete (published as { mainContact?: NodeId }).mainContact;
  const enterpriseDocument = document(enterpriseUrl, 'enterprise', [
    published, ...(address !== undefined ? [podRecord(address, map)] : []), ...input.categories.map((c) => podRecord(c, map)),
  ]);
  const productDocuments = products.map(({ url, records }) => document(url, 'product', records.map((record) => {
    const rewritten = podRecord(record, map);
    return rewritten.kind === 'CatalogItem' ? { ...rewritten, listedIn: [catalogIri] } : rewritten;
  })));
  productDocuments.sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
  const catalog: CatalogRecord = {
    kind: 'Catalog', id: catalogIri, name: enterprise.name ?? localName(enterprise.id), maintainedBy: map.get(enterprise.id) as NodeId,
    items: allProducts.flatMap((e) => e.items.map((i) => map.get(i.id) as NodeId)),
    extra: { [RDFS.seeAlso]: [enterpriseDocument, ...productDocuments].map((d) => ({ '@id': d.url })) },
  };
  return [document(indexUrl, 'index', [catalog]), enterpriseDocument, ...productDocuments];
}
