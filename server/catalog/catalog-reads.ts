/**
 * Reading the catalogue in the shapes peers expect: an enterprise's profile (with the links the node derives
 * from its catalogue), its whole catalogue in a stable order, and single resources with their versions.
 *
 * @packageDocumentation
 */
import type { NodeId } from '../../ontology/iri.js';
import { withDerivedLinks } from '../../ontology/inverses.js';
import type { CatalogItemRecord, DfcRecord, EnterpriseRecord, OfferRecord, RecordKind, SuppliedProductRecord } from '../../ontology/records.js';
import { NotFoundHttpError } from '../errors/http-error.js';
import type { EnterpriseRow, NodeStore, ResourceReads, StoredResource } from '../store/store.js';
import { planOf } from '../urls/fdc-urls.js';
import type { Collection, NodeUrls } from '../urls/node-urls.js';

/** One product of a catalogue page: a product with its catalog items and their offers. */
export interface CatalogueEntry {
  readonly product: SuppliedProductRecord;
  readonly items: readonly CatalogItemRecord[];
  readonly offers: readonly OfferRecord[];
  /**
   * The product's planned transformation (`<product>/AsPlannedTransformation` and its flows): how Open Food
   * Network makes a retail unit from a wholesale case. Published after the product, where OFN looks for them.
   */
  readonly plans: readonly DfcRecord[];
}

/** An enterprise's whole catalogue, in a stable order. */
export interface Catalogue {
  readonly enterprise: EnterpriseRow;
  /** Products that are not product groups, each with its items and offers, ordered by `@id`. */
  readonly entries: readonly CatalogueEntry[];
  /** Product groups by `@id`. */
  readonly groups: ReadonlyMap<string, SuppliedProductRecord>;
}

/** A record as read, with its version (see `StoredResource.version`). */
export interface VersionedRecord {
  readonly record: DfcRecord;
  readonly version: string;
}

/**
 * A resource with its offers, read as a request for its write arrived, beside the look-up of the request's credential
 * instead of after it: one wait for the store less before the write. The write takes it as its first attempt's read,
 * which its commit still requires to be what is stored (a write in between makes it read again, as any other).
 */
export interface ReadAhead {
  readonly eid: string;
  readonly collection: Collection;
  readonly id: string;
  readonly read: Promise<VersionedRecord & { offers?: StoredResource[] }>;
}

/** The kinds a catalogue is made of. */
export const CATALOGUE_KINDS = ['SuppliedProduct', 'CatalogItem', 'Offer'] as const;
/** The kinds a catalogue is read from: its own, and the planned transformations (kind `Resource`). */
export const CATALOGUE_KINDS_AND_PLANS: readonly RecordKind[] = [...CATALOGUE_KINDS, 'Resource'];

/**
 * An enterprise's catalogue from its records: products that are not groups, in the order given (`@id` order, as
 * the store lists them), each with its catalog items, their offers and its planned transformations; product
 * groups apart. Shared by the read of the whole catalogue and the catalogue kept up to date in memory
 * (`catalogue-cache.ts`), so both give the same pages.
 *
 * @param enterprise - the enterprise's row
 * @param records - every record of {@link CATALOGUE_KINDS_AND_PLANS}, ordered by `@id`
 */
export function assembleCatalogue(enterprise: EnterpriseRow, records: Iterable<DfcRecord>): Catalogue {
  const products: SuppliedProductRecord[] = [];
  const groups = new Map<string, SuppliedProductRecord>();
  const items = new Map<string, CatalogItemRecord>();
  const offers = new Map<string, OfferRecord>();
  const plans = new Map<string, DfcRecord[]>();
  for (const record of records) {
    if (record.kind === 'Resource') {
      const product = planOf(record.id)?.product;
      if (product !== undefined) plans.set(product, [...(plans.get(product) ?? []), record]);
    } else if (record.kind === 'SuppliedProduct') {
      if (record.variants.length > 0) groups.set(record.id, record);
      else products.push(record);
    } else if (record.kind === 'CatalogItem') items.set(record.id, record);
    else if (record.kind === 'Offer') offers.set(record.id, record);
  }
  const entries = products.map((product) => {
    const productItems = product.catalogItems.map((id) => items.get(id)).filter((i): i is CatalogItemRecord => i !== undefined);
    return {
      product,
      items: productItems,
      offers: productItems.flatMap((i) => i.offers.map((id) => offers.get(id)).filter((o): o is OfferRecord => o !== undefined)),
      plans: plans.get(product.id) ?? [],
    };
  });
  return { enterprise, entries, groups };
}

/** What one resource of each collection is called in messages ("no customer category …", not "categorie"). */
const ONE_OF: Readonly<Record<Collection, string>> = {
  supplied_products: 'supplied product',
  catalog_items: 'catalog item',
  offers: 'offer',
  sale_sessions: 'sale session',
  customer_categories: 'customer category',
  catalogs: 'catalog',
};

/** What an enterprise publishes beside its products: sale sessions, customer categories, catalogues. */
export const OTHER_KINDS = ['SaleSession', 'CustomerCategory', 'Catalog'] as const;

/**
 * The version of an enterprise's profile as one string, the way a resource's version is: the ETag of
 * `GET /enterprises/{eid}` is made from it.
 */
export function profileVersionOf(row: EnterpriseRow): string {
  return `profile:${row.profileVersion}`;
}

/**
 * The 404 of an enterprise that is not on this node: also what a private one answers to those who may not know
 * it exists, so both read alike.
 */
export function unknownEnterprise(eid: string): NotFoundHttpError {
  return new NotFoundHttpError(`no enterprise ${JSON.stringify(eid)} on this node`);
}

/** The 404 of an address or person that is not on this node (or whose enterprise is private, to a stranger). */
export function unknownProfileResource(kind: 'Address' | 'Person', id: string): NotFoundHttpError {
  return new NotFoundHttpError(`no ${kind.toLowerCase()} ${JSON.stringify(id)} on this node`);
}

/** Reads the node's catalogues. */
export class CatalogReads {
  public constructor(
    private readonly store: NodeStore,
    private readonly urls: NodeUrls,
  ) {}

  /** An enterprise's row, or 404. */
  public async enterpriseRow(eid: string): Promise<EnterpriseRow> {
    const row = await this.store.getEnterprise(eid);
    if (row === undefined) throw unknownEnterprise(eid);
    return row;
  }

  /** Current version of an enterprise, or 404. */
  public async version(eid: string): Promise<number> {
    const version = await this.store.enterpriseVersion(eid);
    if (version === undefined) throw unknownEnterprise(eid);
    return version;
  }

  /** Every enterprise. */
  public listEnterprises(): Promise<EnterpriseRow[]> {
    return this.store.listEnterprises();
  }

  /**
   * An enterprise's profile: the Enterprise (with `supplies` and `manages` listing its catalogue), its
   * address and its main contact, and the profile's version.
   */
  public async enterpriseGraph(eid: string): Promise<{ row: EnterpriseRow; records: DfcRecord[]; version: string }> {
    const row = await this.enterpriseRow(eid);
    const stored = await this.store.getResource(row.iri);
    if (stored?.record.kind !== 'Enterprise') throw new NotFoundHttpError(`enterprise ${eid} has no profile`);
    const ids = await this.store.catalogueIds(eid);
    // The derived ends of ontology/inverses.ts are never stored: each lists the catalogue's records of the
    // opposite end's kind (products that are not groups, catalog items).
    const catalogue: Partial<Record<RecordKind, readonly NodeId[]>> = {
      SuppliedProduct: ids.products.filter((p) => !p.group).map((p) => p.iri as NodeId),
      CatalogItem: ids.items as NodeId[],
    };
    const enterprise: EnterpriseRecord = withDerivedLinks(stored.record, (opposite) => catalogue[opposite.kind] ?? []);
    const linked = await this.store.getResources([enterprise.address, enterprise.mainContact].filter((x): x is NodeId => x !== undefined));
    return { row, records: [enterprise, ...linked.map((r) => r.record)], version: profileVersionOf(row) };
  }

  /** Every published record of an enterprise: its profile and its whole catalogue. */
  public async publishedRecords(eid: string): Promise<DfcRecord[]> {
    const { records } = await this.enterpriseGraph(eid);
    const catalogue = await this.catalogue(eid);
    return [...records, ...catalogue.entries.flatMap((e) => [e.product, ...e.items, ...e.offers, ...e.plans])];
  }

  /** An enterprise's whole catalogue. */
  public async catalogue(eid: string): Promise<Catalogue> {
    const enterprise = await this.enterpriseRow(eid);
    const resources = await this.store.listResources(eid, CATALOGUE_KINDS_AND_PLANS);
    return assembleCatalogue(enterprise, resources.map((r) => r.record));
  }

  /** An enterprise's sale sessions, customer categories and catalogues, ordered by `@id`. */
  public async otherResources(eid: string): Promise<DfcRecord[]> {
    await this.enterpriseRow(eid);
    return (await this.store.listResources(eid, OTHER_KINDS)).map((r) => r.record);
  }

  /**
   * One catalogue resource of an enterprise, with its version (one read when it exists).
   *
   * @param known - that resource as this request read it already (see `alreadyRead`): answered without a read
   * @param from - where to read it: the store, or a write's transaction (`NodeStore.update`)
   */
  public async resource(eid: string, collection: Collection, id: string, known?: VersionedRecord, from: ResourceReads = this.store): Promise<VersionedRecord> {
    if (known !== undefined && known.record.id === this.urls.resource(eid, collection, id)) return known;
    const stored = await from.getResource(this.urls.resource(eid, collection, id));
    if (stored === undefined || stored.eid !== eid) await this.missing(eid, collection, id);
    return { record: (stored as StoredResource).record, version: (stored as StoredResource).version };
  }

  /**
   * {@link resource}, with the resources its record names as offers (a catalog item's), read with it in one
   * statement; `offers` is undefined when the resource was `known` (not read).
   */
  public async resourceWithOffers(
    eid: string, collection: Collection, id: string, known?: VersionedRecord, from: ResourceReads = this.store,
  ): Promise<VersionedRecord & { offers?: StoredResource[] }> {
    if (known !== undefined && known.record.id === this.urls.resource(eid, collection, id)) return known;
    const stored = await from.getResourceWithOffers(this.urls.resource(eid, collection, id));
    if (stored === undefined || stored.resource.eid !== eid) await this.missing(eid, collection, id);
    const { resource, offers } = stored as { resource: StoredResource; offers: StoredResource[] };
    return { record: resource.record, version: resource.version, offers };
  }

  /**
   * {@link resourceWithOffers} begun ahead of the write that needs it (see {@link ReadAhead}). Its failure (a 404) is
   * the write's, when the write takes the read; a read no write takes fails quietly.
   */
  public readAhead(eid: string, collection: Collection, id: string): ReadAhead {
    const read = this.resourceWithOffers(eid, collection, id);
    read.catch(() => undefined);
    return { eid, collection, id, read };
  }

  /** The 404 of a resource not found: it says which is missing, the enterprise or the resource. */
  private async missing(eid: string, collection: Collection, id: string): Promise<never> {
    await this.enterpriseRow(eid);
    throw new NotFoundHttpError(`no ${ONE_OF[collection]} ${JSON.stringify(id)} in enterprise ${eid}`);
  }

  /** An address or a person, by its own URL, with its version. */
  public async profileResource(kind: 'Address' | 'Person', id: string): Promise<VersionedRecord & { row: EnterpriseRow }> {
    const iri = kind === 'Address' ? this.urls.address(id) : this.urls.person(id);
    const stored = await this.store.getResource(iri);
    if (stored?.record.kind !== kind) throw unknownProfileResource(kind, id);
    return { row: await this.enterpriseRow(stored.eid), record: stored.record, version: stored.version };
  }
}
