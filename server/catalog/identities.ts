/**
 * The identities of what a write stores: ids minted under the node's base URL (a catalog item and its offer
 * take their product's), every link rewritten to them, the enterprise as owner, and the id a resource had
 * elsewhere kept as `owl:sameAs`.
 *
 * @packageDocumentation
 */
import { productTypeLabel } from '../../ontology/taxonomy.js';
import { withoutDerivedLinks } from '../../ontology/inverses.js';
import type { NodeId } from '../../ontology/iri.js';
import type { AddressRecord, DfcRecord, EnterpriseRecord, Extra, ExtraValue, PersonRecord, ResourceRecord } from '../../ontology/records.js';
import { OWL } from '../../ontology/vocabulary.js';
import { sameAsOf } from '../store/federated-entries.js';
import type { NodeStore } from '../store/store.js';
import { planOf } from '../urls/fdc-urls.js';
import { COLLECTION_OF, isValidLocalId, LISTING_ID_PREFIX, safeDecode, slugify, type NodeUrls } from '../urls/node-urls.js';
import { OTHER_KINDS } from './catalog-reads.js';

/** How {@link Identities.identify} names records: fresh ids, ids kept from a foreign document, or given ids. */
export type IdentifyMode = 'create' | 'import' | 'replace';

/** Whether a record is of a kind the catalogue stores under an enterprise's collections. */
export function isCatalogueKind(record: DfcRecord): boolean {
  return (Object.keys(COLLECTION_OF) as string[]).includes(record.kind);
}

/** What the taxonomy checks of a record (see `server/codec/validate.ts`): a price's currency, a quantity's unit. */
function taxonomyChecked(record: DfcRecord): readonly unknown[] {
  const { price, quantity, quantityUnit } = record as { price?: { currency?: unknown }; quantity?: { unit?: unknown }; quantityUnit?: unknown };
  return [price?.currency, quantity?.unit, quantityUnit];
}

/**
 * Whether a renamed record is as valid as its source, without validating it again.
 *
 * Renaming replaces strings equal to the `@id` of a record of the write by an IRI of the node (a percent-encoded
 * path under the base URL, or a stored record's `@id`), adds the owner (an IRI of the node) and `owl:sameAs` (an
 * `@id` in `extra`), and drops derived links and fields left undefined. The record schemas
 * (`ontology/schemas.ts`) take any string as text and any such IRI as a node id, limit no array's length or
 * repeats, and a `kind` is never an `@id`: none of that can fail them. Only the taxonomy's check can: a body that
 * gave one of its records the `@id` of a unit or currency would have it renamed. Such a record is validated again.
 */
export function renamingKeepsValidity(source: DfcRecord, renamed: DfcRecord): boolean {
  const before = taxonomyChecked(source);
  return taxonomyChecked(renamed).every((value, index) => value === before[index]);
}

/** Gives records the node's ids. */
export class Identities {
  /**
   * @param renamed - told of each record renamed without a change that could make it invalid, with its source
   *   (the committer then does not validate it again)
   */
  public constructor(
    private readonly store: NodeStore,
    private readonly urls: NodeUrls,
    private readonly renamed: (source: DfcRecord, result: DfcRecord) => void = () => undefined,
  ) {}

  /** Whether a listing publishes `iri`, or published it before it was removed. */
  private async isListingIri(iri: string): Promise<boolean> {
    const { orders } = this.store;
    return (await orders.listingsPublishing([iri])).length > 0 || (await orders.retiredListingIris([iri])).size > 0;
  }

  /**
   * Whether an `@id` is a placeholder a client wrote for a resource it wants created (`"@id": "#"`, or a
   * relative id, which the decoder resolved against the URL posted to): an IRI under the enterprise's URL that is
   * not one of its resources' ids. It gets a real IRI under the node, and no `owl:sameAs` keeps it.
   */
  private isPlaceholder(eid: string, id: string): boolean {
    const enterprise = this.urls.enterprise(eid);
    if (!(id.startsWith(`${enterprise}/`) || id.startsWith(`${enterprise}#`)) || id === this.urls.address(eid) || id === this.urls.person(eid)) return false;
    return Object.values(COLLECTION_OF).every((collection) => this.urls.localId(eid, collection, id) === undefined);
  }

  private tell(source: DfcRecord, result: DfcRecord): DfcRecord {
    if (renamingKeepsValidity(source, result)) this.renamed(source, result);
    return result;
  }

  /**
   * The Enterprise, Address and Person records of a profile, with the node's ids.
   *
   * @param renamed - the ids the catalogue written with it was given (document `@id` → the node's): the enterprise's
   *   links to its catalogues and customer categories follow them (an import left them naming the file's ids)
   */
  public profileRecords(eid: string, enterprise: EnterpriseRecord, records: readonly DfcRecord[], renamed: ReadonlyMap<string, string> = new Map()): DfcRecord[] {
    const ids = new Map<string, string>([...renamed, [enterprise.id, this.urls.enterprise(eid)]]);
    const address = records.find((r): r is AddressRecord => r.kind === 'Address' && r.id === enterprise.address);
    const contact = records.find((r): r is PersonRecord => r.kind === 'Person' && r.id === enterprise.mainContact);
    if (address !== undefined) ids.set(address.id, this.urls.address(eid));
    if (contact !== undefined) ids.set(contact.id, this.urls.person(eid));
    const described = new Map(records.filter((r): r is ResourceRecord => r.kind === 'Resource').map((r) => [r.id as string, r]));
    const sources = [enterprise, ...(address ? [address] : []), ...(contact ? [contact] : [])].map((record) => withDescribed(record, described));
    // Catalogue links are derived from the catalogue when the profile is read; never stored here.
    return remap(sources, ids).map((record, index) => {
      if (index > 0) return this.tell(sources[index] as DfcRecord, record);
      // The enterprise keeps the identity it had elsewhere (Open Food Network's `…/enterprises/7`), as its products do;
      // an id under this node (its own, or a placeholder resolved under it) was no identity elsewhere.
      const elsewhere = enterprise.id.startsWith('_:') || enterprise.id.startsWith(`${this.urls.base}/`) ? undefined : enterprise.id;
      return this.tell(sources[0] as DfcRecord, withSameAs(withoutDerivedLinks(record as EnterpriseRecord), elsewhere));
    });
  }

  /**
   * Gives catalogue records the node's ids and rewrites their links.
   *
   * @param mode - `create` mints fresh ids, `import` reuses the last path segment of foreign ids, `replace`
   *   keeps the ids of `fixed`
   * @param fixed - ids decided already (record `@id` → the node's id)
   * @param minted - collects the ids minted, which must still be free when the write commits
   */
  public async identify(
    eid: string, records: readonly DfcRecord[], mode: IdentifyMode, fixed: ReadonlyMap<string, string> = new Map(),
    minted: Set<string> = new Set(),
  ): Promise<DfcRecord[]> {
    const ids = new Map<string, string>(fixed);
    const taken = new Set<string>();
    const mint = async (record: DfcRecord, hint: string): Promise<string> => {
      const collection = COLLECTION_OF[record.kind as keyof typeof COLLECTION_OF];
      const stem = isValidLocalId(hint) ? hint : slugify(hint);
      for (let n = 1; ; n++) {
        const candidate = n === 1 ? stem : `${stem}-${n}`;
        const iri = this.urls.resource(eid, collection, candidate);
        if (taken.has(iri)) continue;
        if (mode !== 'import' && (await this.store.getResource(iri)) !== undefined) continue;
        // A listing's ids (present, or retired with a listing removed) are never another resource's: an import does
        // not replace its records, and no product takes an @id that old orders and peers still read as a listing's.
        if (candidate.startsWith(LISTING_ID_PREFIX) && (await this.isListingIri(iri))) continue;
        taken.add(iri);
        return iri;
      }
    };
    const lastSegment = (iri: string): string => {
      const segment = iri.replace(/[#/]+$/u, '').split(/[/#]/u).pop() ?? '';
      return safeDecode(segment) ?? segment;
    };
    // Products first, so that an item and its offer can take their product's id.
    const order = ['SuppliedProduct', 'CatalogItem', 'Offer', ...OTHER_KINDS] as const;
    for (const kind of order) {
      for (const record of records.filter((r) => r.kind === kind)) {
        if (ids.has(record.id)) continue;
        const collection = COLLECTION_OF[kind];
        const local = this.urls.localId(eid, collection, record.id);
        if (local !== undefined) {
          ids.set(record.id, record.id);
          taken.add(record.id);
          continue;
        }
        let hint: string;
        if (record.kind === 'CatalogItem' && record.product !== undefined && ids.has(record.product)) {
          hint = this.urls.localId(eid, 'supplied_products', ids.get(record.product) as string) ?? 'item';
        } else if (record.kind === 'Offer' && record.item !== undefined && ids.has(record.item)) {
          hint = this.urls.localId(eid, 'catalog_items', ids.get(record.item) as string) ?? 'offer';
        } else if (mode === 'import' && !record.id.startsWith('_:') && !this.isPlaceholder(eid, record.id)) {
          hint = lastSegment(record.id);
        } else {
          hint = hintOf(record);
        }
        const fresh = await mint(record, hint);
        minted.add(fresh);
        ids.set(record.id, fresh);
      }
    }
    const owner = this.urls.enterprise(eid) as NodeId;
    const named = remap(records, ids).map((record, index) => {
      const original = records[index] as DfcRecord;
      let result: DfcRecord = record;
      if (record.kind === 'SuppliedProduct') result = { ...record, suppliedBy: owner };
      if (record.kind === 'CatalogItem') result = { ...record, managedBy: owner };
      if (record.kind === 'CustomerCategory') result = { ...record, definedBy: owner };
      if (record.kind === 'Catalog') result = { ...record, maintainedBy: owner };
      // Keep the identity the resource had elsewhere, so peers can still match it; a placeholder (`"@id": "#"`, a
      // relative id resolved under this node) was never an identity anywhere: nothing may point at it.
      if (original.id !== record.id && !original.id.startsWith('_:') && !this.isPlaceholder(eid, original.id)) {
        result = withSameAs(result, original.id);
      }
      return this.tell(original, result);
    });
    return named;
  }

  /**
   * The planned transformations of imported products (`R/AsPlannedTransformation`, `R/AsPlannedConsumptionFlow`,
   * `R/AsPlannedProductionFlow`: how a retail product is made from a wholesale case), renamed after their
   * product's new `@id` with every link rewritten, so that Open Food Network's string convention still finds them
   * in our catalogue. Other resources of classes the node does not model are left out of an import.
   *
   * @param sources - the records of the import, as decoded
   * @param catalogue - the catalogue records given to {@link identify}, and what it answered, in the same order
   * @returns the renamed plans, and the `@id`s (as decoded) of the resources kept
   */
  public plans(sources: readonly DfcRecord[], catalogue: readonly DfcRecord[], written: readonly DfcRecord[]): { records: DfcRecord[]; kept: Set<string> } {
    const ids = new Map<string, string>();
    catalogue.forEach((record, index) => {
      const renamed = written[index];
      if (renamed !== undefined) ids.set(record.id, renamed.id);
    });
    const plans = sources.filter((r) => r.kind === 'Resource' && ids.has(planOf(r.id)?.product ?? ''));
    for (const plan of plans) {
      const { product, suffix } = planOf(plan.id) as NonNullable<ReturnType<typeof planOf>>;
      ids.set(plan.id, `${ids.get(product) as string}${suffix}`);
    }
    const renamed = remap(plans, ids).map((record, index) => withSameAs(record, (plans[index] as DfcRecord).id));
    return { records: renamed, kept: new Set(plans.map((p) => p.id)) };
  }

  /**
   * Confirms the `owl:sameAs` links of imported products. An import is the operator's word: its products are
   * what they say they are the same as, and the federated catalogue merges them (an `owl:sameAs` sent through
   * the API stays a claim). Called once the import has committed, so a failed import confirms nothing.
   */
  public async confirmImported(records: readonly DfcRecord[]): Promise<void> {
    await this.store.index.confirmSameAs(records.flatMap((record) =>
      record.kind === 'SuppliedProduct' ? sameAsOf(record).map((target) => ({ subject: record.id, target })) : []));
  }
}

/** A readable id stem for a new resource. */
function hintOf(record: DfcRecord): string {
  switch (record.kind) {
    case 'SuppliedProduct':
      return record.name ?? (record.productType !== undefined ? productTypeLabel(record.productType) : 'suppliedproduct');
    case 'CustomerCategory':
    case 'Catalog':
      return record.name ?? record.kind.toLowerCase();
    case 'CatalogItem':
      return record.sku ?? 'item';
    case 'SaleSession':
      return `session-${(record.beginDate ?? '').slice(0, 10)}`;
    default:
      return record.kind.toLowerCase();
  }
}

/** How deep described nodes are embedded in one another in a profile (a longer chain is kept as links beyond). */
const MAX_DESCRIBED_DEPTH = 4;

/**
 * A profile record with the resources it links to that the document describes, and of which the node keeps no record
 * of its own (`Resource` records: Open Food Network's `dfc-b:SocialMedia` nodes, a certification), embedded where it
 * links to them under their own IRIs. Stored as links alone, their description (a social network's name and URL)
 * was dropped, and the profile then linked to what no one serves.
 */
function withDescribed<T extends DfcRecord>(record: T, described: ReadonlyMap<string, ResourceRecord>): T {
  if (record.extra === undefined || described.size === 0) return record;
  const extra = embedDescribed(record.extra, described, new Set([record.id]), 0);
  return extra === record.extra ? record : { ...record, extra };
}

/**
 * `extra` with the described resources it links to embedded. Each is embedded once in a record (`embedded`: the
 * record's own id, then every resource embedded in it); any other link to it stays a link, so what is stored is never
 * more than the document described (nodes that all link to one another were copied at every link, n^5 times).
 */
function embedDescribed(extra: Extra, described: ReadonlyMap<string, ResourceRecord>, embedded: Set<string>, depth: number): Extra {
  let changed = false;
  const result: Record<string, ExtraValue[]> = {};
  for (const [predicate, values] of Object.entries(extra)) {
    result[predicate] = values.map((value) => {
      const next = embeddedValue(value, described, embedded, depth);
      changed ||= next !== value;
      return next;
    });
  }
  return changed ? result : extra;
}

function embeddedValue(value: ExtraValue, described: ReadonlyMap<string, ResourceRecord>, embedded: Set<string>, depth: number): ExtraValue {
  if ('properties' in value) {
    const properties = embedDescribed(value.properties, described, embedded, depth);
    return properties === value.properties ? value : { ...value, properties };
  }
  if (!('@id' in value) || depth >= MAX_DESCRIBED_DEPTH) return value;
  const resource = described.get(value['@id']);
  // A node embedded already, or the record itself (a social medium's `socialMediaOf`), stays a link.
  if (resource === undefined || embedded.has(resource.id)) return value;
  embedded.add(resource.id);
  const properties = embedDescribed(resource.extra ?? {}, described, embedded, depth + 1);
  return { id: resource.id, ...(resource.types.length > 0 ? { '@type': resource.types } : {}), properties };
}

/**
 * Rewrites every id string found in the records (links, and `@id`s of kept properties); the values of
 * literals (`@value`) are left alone. A walk of the records, not a copy through JSON: only what it rewrites
 * is new, and what has no id to rewrite is shared with the input.
 */
export function remap(records: readonly DfcRecord[], ids: ReadonlyMap<string, string>): DfcRecord[] {
  if (ids.size === 0) return [...records];
  return records.map((record) => rewrite(record, ids, undefined) as DfcRecord);
}

function rewrite(value: unknown, ids: ReadonlyMap<string, string>, key: string | undefined): unknown {
  if (typeof value === 'string') return key !== '@value' && ids.has(value) ? ids.get(value) : value;
  if (Array.isArray(value)) {
    let changed = false;
    const result = value.map((item: unknown) => {
      const next = rewrite(item, ids, undefined);
      changed ||= next !== item;
      return next;
    });
    return changed ? result : value;
  }
  if (typeof value !== 'object' || value === null) return value;
  let changed = false;
  const result: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    // As JSON would: a field left undefined is no field.
    if (v === undefined) {
      changed = true;
      continue;
    }
    const next = rewrite(v, ids, k);
    changed ||= next !== v;
    result[k] = next;
  }
  return changed ? result : value;
}

/**
 * `record` with `owl:sameAs <original>`, once (a body sent again with what the node wrote already says it), and none
 * to itself (the body's `owl:sameAs <original>` renamed with the record's links names the record); as it is without
 * `original`.
 */
function withSameAs<R extends DfcRecord>(record: R, original: string | undefined): R {
  if (original === undefined || original === record.id) return record;
  const idOf = (v: unknown): unknown => (typeof v === 'object' && v !== null ? (v as { '@id'?: unknown })['@id'] : undefined);
  const present = (record.extra?.[OWL.sameAs] ?? []).filter((v) => idOf(v) !== record.id && idOf(v) !== original);
  return { ...record, extra: { ...record.extra, [OWL.sameAs]: [...present, { '@id': original }] } };
}

