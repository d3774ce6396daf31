/**
 * The federated index: one row per catalog item and source, with what regional queries filter on (product
 * type, place, stock, price, text). Built from a source's records by a pure function.
 *
 * @packageDocumentation
 */
import { foldText } from '../../ontology/fold.js';
import { productTypeLabel, productTypeLabels } from '../../ontology/taxonomy.js';
import type { AddressRecord, CatalogItemRecord, DfcRecord, EnterpriseRecord, OfferRecord, SuppliedProductRecord } from '../../ontology/records.js';
import { OWL } from '../../ontology/vocabulary.js';

/** One catalog item of one source, as the index keeps it. */
export interface FederatedEntry {
  readonly itemIri: string;
  readonly productIri: string;
  /**
   * The identity of the product across sources, its own `@id` to begin with. The index gives products whose
   * identity is verified (an `owl:sameAs` named both ways, or one this node's operator confirmed) one key:
   * two entries with one key are one product. A one-sided `owl:sameAs` changes no key.
   */
  readonly productKey: string;
  /**
   * The `owl:sameAs` targets the product declares (the originals a node imported it from, or anything a
   * writer claimed): a claim, until the other side names it back or the operator confirms it.
   */
  readonly sameAs: readonly string[];
  readonly offerIri: string | null;
  readonly enterpriseIri: string | null;
  /** The enterprise's name, for people (a CSV's column beside its IRI). */
  readonly enterpriseName: string | null;
  /** The town of the enterprise's address. */
  readonly city: string | null;
  readonly name: string | null;
  /**
   * What text search matches, folded ({@link foldText}): the name, the description, the product type's labels
   * (English and French, and its local name) and the enterprise's name.
   */
  readonly search: string;
  readonly productType: string | null;
  readonly stock: number | null;
  /** An offer to order it through, and limited stock above zero or on demand. */
  readonly inStock: boolean;
  readonly price: number | null;
  readonly currency: string | null;
  readonly latitude: number | null;
  readonly longitude: number | null;
  readonly postcode: string | null;
  /** The pack size sold (`dfc-b:hasQuantity`): its value and its `dfc-m:` unit. */
  readonly quantity: number | null;
  readonly quantityUnit: string | null;
}

/** The `owl:sameAs` targets of a product. */
export function sameAsOf(product: SuppliedProductRecord): string[] {
  return (product.extra?.[OWL.sameAs] ?? []).flatMap((v) => ('@id' in v ? [v['@id']] : []));
}

/**
 * The index entries of one source's records.
 *
 * @param records - every record the source holds (catalogue and enterprise profiles)
 */
export function entriesOf(records: readonly DfcRecord[]): FederatedEntry[] {
  const byId = new Map<string, DfcRecord>();
  for (const record of records) byId.set(record.id, record);
  // Which enterprise manages or supplies what: from either direction of the link.
  const owner = new Map<string, string>();
  for (const record of records) {
    if (record.kind === 'Enterprise') {
      for (const id of [...record.manages, ...record.supplies]) owner.set(id, record.id);
    }
  }
  const entries: FederatedEntry[] = [];
  for (const record of records) {
    if (record.kind !== 'CatalogItem' || record.product === undefined) continue;
    const product = byId.get(record.product);
    if (product?.kind !== 'SuppliedProduct') continue;
    const offer = record.offers.map((id) => byId.get(id)).find((o): o is OfferRecord => o?.kind === 'Offer');
    const enterpriseIri = sellerOf(record.id, [record.managedBy, product.suppliedBy, owner.get(record.id), owner.get(product.id),
      ...(record.managedBy === undefined ? layoutOwners(record.id).filter((iri) => byId.get(iri)?.kind === 'Enterprise') : [])]);
    const enterprise = enterpriseIri === null ? undefined : byId.get(enterpriseIri);
    const address = enterprise?.kind === 'Enterprise' && enterprise.address !== undefined ? byId.get(enterprise.address) : undefined;
    entries.push(entry(record, product, offer, enterpriseIri, enterprise?.kind === 'Enterprise' ? enterprise : undefined,
      address?.kind === 'Address' ? address : undefined));
  }
  return entries;
}

/**
 * The origin of an IRI as text (`https://shop.example:8443`, lowercased, a default port dropped), or undefined for
 * one without an authority (a blank node, a URN). A prefix match, not a URL parse: the index builds an entry per offer.
 */
export function iriOrigin(iri: string): string | undefined {
  const match = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/iu.exec(iri);
  if (match === null) return undefined;
  const origin = match[0].toLowerCase();
  return (origin.startsWith('http://') && origin.endsWith(':80')) || (origin.startsWith('https://') && origin.endsWith(':443'))
    ? origin.slice(0, origin.lastIndexOf(':')) : origin;
}

/**
 * The enterprise an item is attributed to: the first candidate (its manager, its product's supplier, the enterprise
 * that says it manages or supplies either) on the item's own origin. An origin speaks for its own enterprises only:
 * an item on one origin naming as its seller an enterprise of another (this node's, or a third party's) is an
 * impersonation, not a relay (a relay republishes an origin's items with that origin's enterprise, all on that
 * origin), and it is attributed to no enterprise, rather than listed under one that never offered it.
 *
 * @param itemIri - the catalog item
 * @param candidates - the enterprises it names, best first
 */
export function sellerOf(itemIri: string, candidates: readonly (string | undefined)[]): string | null {
  const origin = iriOrigin(itemIri);
  for (const candidate of candidates) {
    if (candidate !== undefined && origin !== undefined && iriOrigin(candidate) === origin) return candidate;
  }
  return null;
}

function entry(
  item: CatalogItemRecord, product: SuppliedProductRecord, offer: OfferRecord | undefined, enterpriseIri: string | null,
  enterprise: EnterpriseRecord | undefined, address: AddressRecord | undefined,
): FederatedEntry {
  // The item's stock is what the catalogue sells (Open Food Network reads it there); the offer's is a fallback.
  const stock = item.stock ?? offer?.stock ?? null;
  const onDemand = item.stock === null && (offer === undefined || offer.stock === null);
  return {
    itemIri: item.id,
    productIri: product.id,
    productKey: product.id,
    sameAs: sameAsOf(product),
    offerIri: offer?.id ?? null,
    enterpriseIri,
    enterpriseName: enterprise?.name ?? null,
    city: address?.city ?? null,
    name: displayName(product),
    search: searchText(product, enterprise),
    productType: product.productType ?? null,
    stock: onDemand ? null : stock,
    // An item without an offer (none given, or its offer quarantined) cannot be ordered: not in stock, whatever it says.
    inStock: offer !== undefined && (onDemand || (stock !== null && stock > 0)),
    price: offer?.price?.value ?? null,
    currency: offer?.price?.currency ?? null,
    latitude: address?.latitude ?? null,
    longitude: address?.longitude ?? null,
    postcode: address?.postcode ?? null,
    quantity: product.quantity?.value ?? null,
    quantityUnit: product.quantity?.unit ?? null,
  };
}


/** A product's name, or for one published by type only, its product type's label. */
function displayName(product: SuppliedProductRecord): string | null {
  return product.name ?? (product.productType !== undefined ? productTypeLabel(product.productType) : null);
}

/** The folded text a product is found by (see {@link FederatedEntry.search}). */
function searchText(product: SuppliedProductRecord, enterprise: EnterpriseRecord | undefined): string {
  const parts = [displayName(product), product.description, ...(product.productType !== undefined ? productTypeLabels(product.productType) : []),
    enterprise?.name];
  return foldText(parts.filter((p): p is string => p !== undefined && p !== null && p !== '').join(' '));
}

/** A record of a peer, with whether the peer is authoritative for it (its `@id` is under the peer's origin). */
export interface SourcedRecord {
  readonly record: DfcRecord;
  readonly authoritative: boolean;
}

/** An index entry of a peer's catalog item, with whether the peer is authoritative for both the item and its product. */
export interface SourcedEntry {
  readonly entry: FederatedEntry;
  readonly authoritative: boolean;
  /** How much the peer is to be believed about the entry's enterprise (see {@link ENTERPRISE_RANK}). */
  readonly enterpriseRank: number;
}

/**
 * How much a row's source is to be believed about the row's enterprise (its name, address, place), lower first: this
 * node; a peer speaking of an enterprise under its own origin; a relay's copy of another origin's; no copy at all
 * (the row names the enterprise and says nothing of it). Not the row's rank (its index's `RANK`): that says whose product wins.
 */
export const ENTERPRISE_RANK = { local: 0, authoritative: 1, relayed: 2, unknown: 3 } as const;

/**
 * The {@link ENTERPRISE_RANK} of a peer's entry.
 *
 * @param entry - the entry, built from the peer's records
 * @param authoritative - whether the peer's record of an `@id` is under its origin
 */
export function enterpriseRankOf(entry: FederatedEntry, authoritative: (iri: string) => boolean): number {
  if (entry.enterpriseIri === null || entry.enterpriseName === null) return ENTERPRISE_RANK.unknown;
  return authoritative(entry.enterpriseIri) ? ENTERPRISE_RANK.authoritative : ENTERPRISE_RANK.relayed;
}

/** Open Food Network's enterprises under its DFC API: `…/api/dfc/enterprises/7`. */
const OFN_ENTERPRISE = /^(.*\/api\/dfc)\/enterprises\/([^/?#]+)$/u;

/**
 * The enterprises whose catalogue an item's `@id` lies in, by the layout Open Food Network and this node share
 * (`<enterprise>/catalog_items/<id>`): the seller of an item that names no manager. Open Food Network's DFC 2.0 names
 * neither an item's manager nor an organization's catalogue (no `managedBy`, no `supplies`/`manages`): its items,
 * under `…/api/dfc/enterprises/7/catalog_items/…`, are organization `…/api/dfc/organizations/7`'s, and were
 * attributed to no enterprise (no producer, town or place in the federated catalogue). Only an enterprise the source
 * holds is taken, on the item's origin (see {@link sellerOf}).
 */
export function layoutOwners(itemIri: string): string[] {
  const match = /^(.*)\/catalog_items\/[^/?#]+$/u.exec(itemIri);
  if (match === null) return [];
  const enterprise = match[1] as string;
  const ofn = OFN_ENTERPRISE.exec(enterprise);
  return ofn === null ? [enterprise] : [enterprise, `${ofn[1] as string}/organizations/${ofn[2] as string}`];
}

/** The {@link layoutOwners} of the catalog items among some records that name no manager. */
function layoutOwnersOf(items: readonly { readonly record: DfcRecord }[]): Set<string> {
  const owners = new Set<string>();
  for (const { record } of items) if (record.kind === 'CatalogItem' && record.managedBy === undefined) for (const iri of layoutOwners(record.id)) owners.add(iri);
  return owners;
}

/** What the catalog items among some records link to (product, offers, manager): the records their index rows read. */
export function linkedOf(items: readonly { readonly record: DfcRecord }[]): Set<string> {
  const linked = new Set<string>();
  for (const { record } of items) {
    if (record.kind !== 'CatalogItem') continue;
    if (record.product !== undefined) linked.add(record.product);
    record.offers.forEach((o) => linked.add(o));
    if (record.managedBy !== undefined) linked.add(record.managedBy);
  }
  return linked;
}

/**
 * The walk from some catalog items to every record their index rows read, written once for whoever drives it: each
 * step yields the `@id`s to look up and is given back the records found (in any order; those not found left out).
 * The steps: what the items link to (product, offers, manager); the products' suppliers not linked already (the
 * enterprise of an item that names no manager), and the enterprises whose catalogue such an item's `@id` lies in
 * ({@link layoutOwners}); the enterprises' addresses. Returns everything taken, the items
 * first (a record may be there twice when two steps found it).
 *
 * @param items - catalog items (other records are walked from too, but link to nothing)
 * @param guesses - their {@link layoutOwners}, when the caller has them already
 */
export function* linkWalk<R extends { readonly record: DfcRecord }>(
  items: readonly R[], guesses: ReadonlySet<string> = layoutOwnersOf(items),
): Generator<ReadonlySet<string>, R[], readonly R[]> {
  const linked = linkedOf(items);
  const second = yield linked;
  const third = yield new Set([...second.flatMap(({ record }) => (record.kind === 'SuppliedProduct' && record.suppliedBy !== undefined
    && !linked.has(record.suppliedBy) ? [record.suppliedBy] : [])), ...[...guesses].filter((iri) => !linked.has(iri))]);
  const addresses = yield new Set([...second, ...third].flatMap(({ record }) => (record.kind === 'Enterprise' && record.address !== undefined ? [record.address] : [])));
  return [...items, ...second, ...third, ...addresses];
}

/**
 * Runs a {@link linkWalk} with an asynchronous look-up (a database's).
 *
 * @param lookup - the records of some `@id`s (those not found left out)
 */
export async function walkLinks<R extends { readonly record: DfcRecord }>(
  items: readonly R[], lookup: (iris: ReadonlySet<string>) => Promise<readonly R[]>,
): Promise<R[]> {
  const walk = linkWalk(items);
  for (let step = walk.next(); ; step = walk.next(await lookup(step.value))) {
    if (step.done === true) return step.value;
  }
}

/**
 * The index entries of some catalog items of a peer, from the records a rebuild of the peer's whole graph reads for
 * them (the items, what they link to, the products' suppliers, the enterprises' addresses), each found by `find`:
 * the entries a snapshot's page can compute while its records are in memory. Undefined when a record they link to is
 * not found (a later page may hold it): the caller cannot tell them apart from the rebuild's.
 *
 * @param items - catalog items (other records are ignored)
 * @param find - a record of the peer by `@id`, when known
 * @returns each item's entry, or null when the rebuild would give it none (its product is not a product)
 */
export function linkedEntries(
  items: readonly SourcedRecord[], find: (iri: string) => SourcedRecord | undefined,
): Map<string, SourcedEntry | null> | undefined {
  const catalogItems = items.filter((i) => i.record.kind === 'CatalogItem');
  const all = new Map<string, SourcedRecord>(catalogItems.map((item) => [item.record.id, item]));
  // An enterprise guessed from an item's `@id` may well not exist (an OFN item has two guesses, one of them right).
  const guessed = layoutOwnersOf(catalogItems);
  const missed = new Set<string>();
  // The enterprises the records found so far link to as manager or supplier (kept as they are found).
  const linked = new Set<string>();
  const noteLinks = (record: DfcRecord): void => {
    if (record.kind === 'CatalogItem' && record.managedBy !== undefined) linked.add(record.managedBy);
    if (record.kind === 'SuppliedProduct' && record.suppliedBy !== undefined) linked.add(record.suppliedBy);
  };
  for (const { record } of catalogItems) noteLinks(record);
  const walk = linkWalk(catalogItems, guessed);
  for (let step = walk.next(); step.done !== true;) {
    const found: SourcedRecord[] = [];
    for (const iri of step.value) {
      const record = all.get(iri) ?? find(iri);
      // A guess that is also a link (an item's manager, a product's supplier: the same enterprise) must be found.
      if (record === undefined && guessed.has(iri) && !linked.has(iri)) {
        missed.add(iri);
        continue;
      }
      if (record === undefined) return undefined;
      all.set(iri, record);
      noteLinks(record.record);
      found.push(record);
    }
    step = walk.next(found);
  }
  // An item none of whose guesses was found may find its enterprise on a later page, which the rebuild would read:
  // its entry cannot be told from the rebuild's now.
  for (const { record } of catalogItems) {
    if (record.kind !== 'CatalogItem' || record.managedBy !== undefined) continue;
    // A product's supplier on the item's origin comes before a guess (see entriesOf and sellerOf).
    const product = record.product === undefined ? undefined : all.get(record.product)?.record;
    if (product?.kind === 'SuppliedProduct' && product.suppliedBy !== undefined && iriOrigin(product.suppliedBy) === iriOrigin(record.id)) continue;
    const guesses = layoutOwners(record.id);
    if (guesses.length > 0 && guesses.every((iri) => missed.has(iri))) return undefined;
  }
  // As a rebuild reads them, in `@id` order, where their order tells: an item that two enterprises say they manage or
  // supply goes to the last of them (entriesOf); nothing else depends on it. Only the enterprises are sorted, not the
  // thousands of records of a big peer's page (most of the time of this function).
  const records: DfcRecord[] = [];
  const enterprises: DfcRecord[] = [];
  const authoritative = new Set<string>();
  for (const r of all.values()) {
    (r.record.kind === 'Enterprise' ? enterprises : records).push(r.record);
    if (r.authoritative) authoritative.add(r.record.id);
  }
  for (const enterprise of enterprises.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) records.push(enterprise);
  const out = new Map<string, SourcedEntry | null>(catalogItems.map((i) => [i.record.id, null]));
  for (const entry of entriesOf(records)) {
    if (!out.has(entry.itemIri) || out.get(entry.itemIri) !== null) continue;
    out.set(entry.itemIri, {
      entry, authoritative: authoritative.has(entry.itemIri) && authoritative.has(entry.productIri),
      enterpriseRank: enterpriseRankOf(entry, (iri) => authoritative.has(iri)),
    });
  }
  return out;
}
