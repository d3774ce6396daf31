/**
 * Writes of an enterprise as a whole: creating it from a DFC Enterprise document, replacing its profile, and
 * importing a whole catalogue document into it.
 *
 * @packageDocumentation
 */
import { isDeepStrictEqual } from 'node:util';
import type { NodeId } from '../../ontology/iri.js';
import type { DfcRecord, EnterpriseRecord } from '../../ontology/records.js';
import { ConflictHttpError, UnprocessableEntityHttpError } from '../errors/http-error.js';
import { listingPublishes } from '../store/orders.js';
import type { ApplyOptions, ChangeSet, EnterpriseRow, NodeStore } from '../store/store.js';
import { isValidLocalId, slugify, type NodeUrls } from '../urls/node-urls.js';
import { OTHER_KINDS, type CatalogReads } from './catalog-reads.js';
import { httpErrorOf, type Committer } from './committer.js';
import { isCatalogueKind, type Identities } from './identities.js';

/** What {@link EnterpriseWrites.importRecords} wrote. */
export interface ImportSummary {
  products: number;
  items: number;
  offers: number;
  others: number;
  /** Planned transformations of products (wholesale packs), kept with them. */
  plans: number;
  /** The kinds of the records left out (orders, classes the node does not model). */
  skipped: string[];
  /**
   * Records of the document that a listing of the enterprise publishes (its product, catalog item and offer, as
   * the shop's own export holds them), left as they are: their origin manages them, not an import.
   */
  listed: number;
}

/** Options of {@link EnterpriseWrites.importRecords}. */
export interface ImportOptions extends ApplyOptions {
  /**
   * Create the enterprise when it does not exist, in the import's own transaction: from the document's
   * Enterprise when it has one, else as an enterprise named after its id. The import is then all or nothing:
   * never an enterprise without its catalogue.
   */
  readonly create?: boolean;
  /** An enterprise that exists keeps its profile (name, address, contact); default: the document's replaces it. */
  readonly keepProfile?: boolean;
  /**
   * A catalog item or offer that exists keeps its stock (set through the API, moved by orders); default: it
   * takes the document's. New ones always take the document's.
   */
  readonly keepStock?: boolean;
  /** Work out what the import would change, and write nothing. */
  readonly dryRun?: boolean;
}

/** What an import changes (or would change) of one kind of resource. */
export interface ImportCounts {
  added: number;
  updated: number;
  unchanged: number;
  /** The enterprise's resources of this kind that the document does not have (an import keeps them). */
  notInFile: number;
}

/** What an import changes, resource by resource, against what is stored. */
export interface ImportChanges {
  /** `created`, `replaced` (its profile, from the document), `kept` (its profile left as it was), or `unchanged`. */
  enterprise: 'created' | 'replaced' | 'kept' | 'unchanged';
  /** The name the document gives the enterprise, when it differs from the stored one and the profile was kept. */
  nameInFile?: string;
  products: ImportCounts;
  items: ImportCounts;
  offers: ImportCounts;
  /** Catalog items and offers that kept their stored stock where the document gives another ({@link ImportOptions.keepStock}). */
  stockKept: number;
  /** Whether anything was written (false for a dry run). */
  written: boolean;
}

function theEnterprise(records: readonly DfcRecord[]): EnterpriseRecord {
  const enterprises = records.filter((r): r is EnterpriseRecord => r.kind === 'Enterprise');
  if (enterprises.length !== 1) throw new UnprocessableEntityHttpError(`expected one dfc-b:Enterprise, found ${enterprises.length}`);
  return enterprises[0] as EnterpriseRecord;
}

/** Creates enterprises, replaces their profiles, imports catalogues. */
export class EnterpriseWrites {
  public constructor(
    private readonly store: NodeStore,
    private readonly urls: NodeUrls,
    private readonly reads: CatalogReads,
    private readonly identities: Identities,
    private readonly committer: Committer,
  ) {}

  /** Creates an enterprise from a DFC Enterprise document (with its address and main contact). */
  public async createEnterprise(records: readonly DfcRecord[], options: { private?: boolean; eid?: string } = {}): Promise<EnterpriseRow> {
    const enterprise = theEnterprise(records);
    const eid = options.eid ?? this.urls.enterpriseId(enterprise.id) ?? slugify(enterprise.name ?? 'enterprise');
    if (!isValidLocalId(eid)) throw new UnprocessableEntityHttpError(`invalid enterprise id ${JSON.stringify(eid)}`);
    if ((await this.store.getEnterprise(eid)) !== undefined) throw new ConflictHttpError(`enterprise ${eid} already exists`);
    const profile = this.identities.profileRecords(eid, enterprise, records);
    try {
      return await this.store.createEnterprise(eid, this.urls.enterprise(eid), profile, options.private === true ? { private: true } : {});
    } catch (error: unknown) {
      throw httpErrorOf(error);
    }
  }

  /**
   * Replaces an enterprise's profile (name, description, contact details, address, main contact).
   *
   * @param condition - refuse the write (412) unless the enterprise is at this version; or the enterprise's row
   *   as the request read it to check `If-Match`, which stands for the read (its profile version is the condition)
   * @returns the enterprise's row once written
   */
  public async updateEnterprise(eid: string, records: readonly DfcRecord[], condition?: number | EnterpriseRow): Promise<EnterpriseRow> {
    await this.replaceProfile(eid, records, condition);
    return this.reads.enterpriseRow(eid);
  }

  /**
   * {@link updateEnterprise} without reading the row it wrote: the profile's write itself reads nothing when the
   * row read for `If-Match` is given, because the profile is replaced from the body alone.
   */
  public async replaceProfile(eid: string, records: readonly DfcRecord[], condition?: number | EnterpriseRow): Promise<void> {
    // The row answers the 404 before anything else; the store checks its version in the transaction.
    if (typeof condition !== 'object' || condition.eid !== eid) await this.reads.enterpriseRow(eid);
    // The row read for If-Match: its profile must be as read (the ETag is the profile's; a stock write meanwhile
    // does not matter). A number: the enterprise as a whole must be at that version.
    const expected = typeof condition === 'object' ? { expectedProfileVersion: condition.profileVersion }
      : condition !== undefined ? { expectedVersion: condition } : {};
    const enterprise = theEnterprise(records);
    const ownId = this.urls.enterprise(eid);
    if (!enterprise.id.startsWith('_:') && enterprise.id !== ownId && this.urls.enterpriseId(enterprise.id) !== undefined) {
      throw new ConflictHttpError(`the body describes ${enterprise.id}, not ${ownId}`);
    }
    const profile = this.identities.profileRecords(eid, enterprise, records);
    const name = (profile[0] as EnterpriseRecord).name;
    await this.committer.commit(eid, {
      upsert: profile, ...(name !== undefined ? { enterprise: { name } } : {}), ...expected,
    });
  }

  /**
   * Imports a catalogue document into an enterprise: every product, catalog item and offer gets an id under
   * the enterprise (a resource already there is replaced), the original `@id` is kept as `owl:sameAs`, and an
   * Enterprise in the document updates the profile. One transaction: nothing of it is stored unless all is.
   */
  public async importRecords(eid: string, records: readonly DfcRecord[], options: ImportOptions = {}): Promise<ImportSummary> {
    return (await this.importCatalogue(eid, records, options)).summary;
  }

  /**
   * {@link importRecords}, also saying what it changed (or, with `dryRun`, would change) against what is
   * stored: resources added, updated, unchanged, and the enterprise's that the document does not have.
   */
  public async importCatalogue(eid: string, records: readonly DfcRecord[], options: ImportOptions = {}): Promise<{ summary: ImportSummary; changes: ImportChanges }> {
    const { create, keepProfile, keepStock, dryRun, ...apply } = options;
    // Without `create`, a missing enterprise is a 404.
    if (create !== true) await this.reads.enterpriseRow(eid);
    const row = await this.store.getEnterprise(eid);
    const exists = create !== true || row !== undefined;
    if (!exists && !isValidLocalId(eid)) throw new UnprocessableEntityHttpError(`invalid enterprise id ${JSON.stringify(eid)}`);
    const catalogue = records.filter(isCatalogueKind);
    const identified = await this.identities.identify(eid, catalogue, 'import');
    // Open Food Network's wholesale packs: the planned transformations of the products come with them.
    const plans = this.identities.plans(records, catalogue, identified);
    // A listing's records are its origin's to change, through the listing: an import (the shop's own export
    // imported again, say) leaves them to it, and imports the rest, instead of being refused whole.
    const listed = exists ? await this.publishedByListings([...identified, ...plans.records].map((r) => r.id)) : new Set<string>();
    const importable = [...identified, ...plans.records].filter((r) => !listed.has(r.id));
    const stored = new Map((await this.store.getResources(importable.map((r) => r.id))).map((r) => [r.record.id, r.record]));
    let stockKept = 0;
    const written = importable.map((record) => {
      const before = stored.get(record.id);
      // Stock is live (the API, orders): an import that is told to keep it leaves an existing item's as it is.
      if (keepStock !== true || before === undefined || before.kind !== record.kind || (record.kind !== 'CatalogItem' && record.kind !== 'Offer')) return record;
      const stock = (before as typeof record).stock;
      if (stock === record.stock) return record;
      stockKept++;
      const kept = { ...record, stock };
      this.committer.carryValidity(record, kept);
      return kept;
    });
    const enterprises = records.filter((r): r is EnterpriseRecord => r.kind === 'Enterprise');
    // A new enterprise without an Enterprise in the document is named after its id.
    const enterprise = enterprises.length === 1 ? enterprises[0] as EnterpriseRecord : exists ? undefined : {
      kind: 'Enterprise', id: '_:enterprise' as NodeId, name: eid, supplies: [], manages: [], maintains: [], customerCategories: [], affiliates: [],
    } satisfies EnterpriseRecord;
    // An enterprise that exists is renamed (its profile replaced) only when asked.
    const keep = exists && keepProfile === true;
    const renamed = new Map(catalogue.map((record, index) => [record.id as string, (identified[index] as DfcRecord).id as string]));
    const profile = enterprise !== undefined && !keep ? this.identities.profileRecords(eid, enterprise, records, renamed) : [];
    const name = (profile[0] as EnterpriseRecord | undefined)?.name;
    const changes: ChangeSet = {
      upsert: [...profile, ...written], ...(name !== undefined ? { enterprise: { name } } : {}), ...(exists ? {} : { create: { iri: this.urls.enterprise(eid) } }),
    };
    const ids = exists ? await this.store.catalogueIds(eid) : { products: [], items: [] };
    const offerIds = exists ? (await this.store.listResources(eid, ['Offer'])).map((r) => r.record.id) : [];
    const count = (kind: DfcRecord['kind'], present: readonly string[]): ImportCounts => {
      const mine = written.filter((r) => r.kind === kind);
      const inFile = new Set<string>(mine.map((r) => r.id));
      const before = mine.map((r) => stored.get(r.id));
      return {
        added: before.filter((b) => b === undefined).length,
        // Equal whatever the order of their fields (a record read back from a document is built in another order).
        updated: mine.filter((r, i) => before[i] !== undefined && !isDeepStrictEqual(before[i], r)).length,
        unchanged: mine.filter((r, i) => before[i] !== undefined && isDeepStrictEqual(before[i], r)).length,
        notInFile: present.filter((id) => !inFile.has(id)).length,
      };
    };
    const fileName = enterprise?.name;
    const report: ImportChanges = {
      enterprise: !exists ? 'created' : profile.length > 0 ? 'replaced' : enterprise !== undefined ? 'kept' : 'unchanged',
      ...(keep && fileName !== undefined && row !== undefined && fileName !== row.name ? { nameInFile: fileName } : {}),
      products: count('SuppliedProduct', ids.products.map((p) => p.iri)),
      items: count('CatalogItem', ids.items),
      offers: count('Offer', offerIds),
      stockKept,
      written: dryRun !== true,
    };
    // Left out above; a listing made meanwhile is still refused (409), never written over.
    if (exists) await this.committer.refuseListingRecords({ upsert: written });
    if (dryRun !== true) {
      await this.committer.commit(eid, changes, apply);
      await this.identities.confirmImported(written);
    }
    const summary: ImportSummary = {
      products: written.filter((r) => r.kind === 'SuppliedProduct').length,
      items: written.filter((r) => r.kind === 'CatalogItem').length,
      offers: written.filter((r) => r.kind === 'Offer').length,
      others: written.filter((r) => (OTHER_KINDS as readonly string[]).includes(r.kind)).length,
      plans: plans.records.filter((r) => !listed.has(r.id)).length,
      listed: listed.size,
      // Orders and resources of classes the node does not model are not part of a catalogue import.
      skipped: records.filter((r) => !isCatalogueKind(r) && !['Enterprise', 'Address', 'Person'].includes(r.kind) && !plans.kept.has(r.id))
        .map((r) => r.kind),
    };
    return { summary, changes: report };
  }

  /** Those of `iris` that a listing publishes: its product, catalog item or offer, or a record under its product. */
  private async publishedByListings(iris: readonly string[]): Promise<Set<string>> {
    const listings = iris.length === 0 ? [] : await this.store.orders.listingsPublishing(iris);
    const published = new Set<string>();
    for (const listing of listings) {
      for (const iri of iris) {
        if (listingPublishes(listing, iri)) published.add(iri);
      }
    }
    return published;
  }
}
