/**
 * The catalogue of the node's enterprises: reading it in the shapes peers expect, and every write, with ids
 * assigned under the node's base URL and links kept consistent in both directions.
 *
 * Writes are checked completely before anything is stored, and each is one store transaction: a rejected
 * write changes nothing.
 *
 * This class is the catalogue's one entry point (for the routes, the command line and `main.ts`); the work is
 * done by the modules beside it: reads (`catalog-reads.ts`), identities (`identities.ts`), enterprise, product
 * and stock writes (`enterprise-writes.ts`, `product-writes.ts`, `stock-writes.ts`), and what every write
 * shares (`committer.ts`).
 *
 * @packageDocumentation
 */
import type { CatalogItemRecord, DfcRecord, OfferRecord } from '../../ontology/records.js';
import type { Decoder, DecodeResult } from '../codec/decode.js';
import { NotFoundHttpError } from '../errors/http-error.js';
import type { EnterpriseRow, NodeStore, RemovedEnterprise } from '../store/store.js';
import { NodeUrls, type Collection } from '../urls/node-urls.js';
import { CatalogReads, type Catalogue, type ReadAhead, type VersionedRecord } from './catalog-reads.js';
import { CatalogueCache, type CatalogueSnapshot } from './catalogue-cache.js';
import { Committer, type WriteBody, type WriteCondition } from './committer.js';
import { EnterpriseWrites, type ImportChanges, type ImportOptions, type ImportSummary } from './enterprise-writes.js';
import { Identities } from './identities.js';
import { ProductWrites } from './product-writes.js';
import { StockWrites } from './stock-writes.js';

export type { Catalogue, CatalogueEntry, ReadAhead, VersionedRecord } from './catalog-reads.js';
export type { CatalogueSnapshot } from './catalogue-cache.js';
export { profileVersionOf } from './catalog-reads.js';
export { IF_MATCH_FAILED, type WriteBody, type WriteCondition } from './committer.js';
export type { ImportChanges, ImportCounts, ImportOptions, ImportSummary } from './enterprise-writes.js';

/** Options of {@link CatalogService}. */
export interface CatalogServiceArgs {
  readonly store: NodeStore;
  readonly decoder: Decoder;
  /** Called after every committed write (wakes the webhook deliveries; never awaited). */
  readonly onChange?: () => void;
  /** The most catalogue records kept in memory for {@link CatalogService.currentCatalogue} (see `catalogue-cache.ts`). */
  readonly cachedRecords?: number;
}

/** Reads and writes the node's catalogues. */
export class CatalogService {
  public readonly urls: NodeUrls;
  private readonly reads: CatalogReads;
  private readonly committer: Committer;
  private readonly enterprises: EnterpriseWrites;
  private readonly products: ProductWrites;
  private readonly stock: StockWrites;
  private readonly kept: CatalogueCache;

  public constructor(args: CatalogServiceArgs) {
    this.urls = new NodeUrls(args.store.baseUrl);
    this.reads = new CatalogReads(args.store, this.urls);
    this.kept = new CatalogueCache(args.store, args.cachedRecords !== undefined ? { maxRecords: args.cachedRecords } : {});
    this.committer = new Committer(args.store, args.decoder, args.onChange ?? (() => undefined));
    // A record the committer decoded (and validated) stays known valid once renamed: it is not validated twice.
    const identities = new Identities(args.store, this.urls, (source, renamed) => this.committer.carryValidity(source, renamed));
    this.enterprises = new EnterpriseWrites(args.store, this.urls, this.reads, identities, this.committer);
    this.products = new ProductWrites(args.store, this.urls, this.reads, identities, this.committer);
    this.stock = new StockWrites(this.reads, this.committer);
  }

  // ------------------------------------------------------------------ reads

  /** An enterprise's row, or 404. */
  public enterpriseRow(eid: string): Promise<EnterpriseRow> {
    return this.reads.enterpriseRow(eid);
  }

  /** Current version of an enterprise, or 404. */
  public version(eid: string): Promise<number> {
    return this.reads.version(eid);
  }

  /** Every enterprise. */
  public listEnterprises(): Promise<EnterpriseRow[]> {
    return this.reads.listEnterprises();
  }

  /**
   * An enterprise's profile: the Enterprise (with `supplies` and `manages` listing its catalogue), its
   * address and its main contact, and the profile's version.
   */
  public enterpriseGraph(eid: string): Promise<{ row: EnterpriseRow; records: DfcRecord[]; version: string }> {
    return this.reads.enterpriseGraph(eid);
  }

  /** Every published record of an enterprise: its profile and its whole catalogue. */
  public publishedRecords(eid: string): Promise<DfcRecord[]> {
    return this.reads.publishedRecords(eid);
  }

  /** An enterprise's whole catalogue. */
  public catalogue(eid: string): Promise<Catalogue> {
    return this.reads.catalogue(eid);
  }

  /**
   * An enterprise's whole catalogue as {@link catalogue} reads it, with each record's version, kept in memory and
   * brought up to date from the change feed: at least as recent as the row given (see `catalogue-cache.ts`).
   *
   * @param row - the enterprise's row as the request read it
   */
  public currentCatalogue(row: EnterpriseRow): Promise<CatalogueSnapshot> {
    return this.kept.catalogue(row);
  }

  /** An enterprise's sale sessions, customer categories and catalogues, ordered by `@id`. */
  public otherResources(eid: string): Promise<DfcRecord[]> {
    return this.reads.otherResources(eid);
  }

  /** One catalogue resource of an enterprise, with its version. */
  public resource(eid: string, collection: Collection, id: string): Promise<VersionedRecord> {
    return this.reads.resource(eid, collection, id);
  }

  /** An address or a person, by its own URL, with its version. */
  public profileResource(kind: 'Address' | 'Person', id: string): Promise<VersionedRecord & { row: EnterpriseRow }> {
    return this.reads.profileResource(kind, id);
  }

  // ------------------------------------------------------------------ writes

  /**
   * Decodes a body, or throws 400/422 with the codec's problems. Nothing is written.
   *
   * @param options - `partial`: rejected resources are returned in `rejected` rather than failing the decode
   */
  public decode(body: WriteBody, base: string, options: { readonly partial?: boolean } = {}): Promise<DecodeResult> {
    return this.committer.decode(body, base, options);
  }

  /**
   * Creates an enterprise from a DFC Enterprise document (with its address and main contact).
   *
   * @param records - the decoded body
   * @param options - privacy
   */
  public createEnterprise(records: readonly DfcRecord[], options: { private?: boolean; eid?: string } = {}): Promise<EnterpriseRow> {
    return this.enterprises.createEnterprise(records, options);
  }

  /**
   * Replaces an enterprise's profile (name, description, contact details, address, main contact).
   *
   * @param condition - the enterprise's version the write requires, or its row as read to check `If-Match`
   * @returns the enterprise's row once written
   */
  public updateEnterprise(eid: string, records: readonly DfcRecord[], condition?: number | EnterpriseRow): Promise<EnterpriseRow> {
    return this.enterprises.updateEnterprise(eid, records, condition);
  }

  /** {@link updateEnterprise}, without reading back the row written (given the row read for `If-Match`, it reads nothing). */
  public replaceProfile(eid: string, records: readonly DfcRecord[], condition?: number | EnterpriseRow): Promise<void> {
    return this.enterprises.replaceProfile(eid, records, condition);
  }

  /**
   * Removes an enterprise: its resources are withdrawn through the change feed (and the webhooks), so that
   * followers see them go; its tokens, grants, listings and stock go with it.
   *
   * @throws NotFoundHttpError (404) for an unknown enterprise, ConflictHttpError (409) while orders placed with it are open
   */
  public async removeEnterprise(eid: string): Promise<RemovedEnterprise> {
    await this.reads.enterpriseRow(eid);
    const removed = await this.committer.removeEnterprise(eid);
    if (removed !== undefined) return removed;
    // Removed meanwhile by another request: the 404 of an unknown enterprise.
    await this.reads.enterpriseRow(eid);
    throw new NotFoundHttpError(`no enterprise ${eid}`);
  }

  /**
   * Creates products from a decoded body: SuppliedProducts with their catalog items and offers, embedded or
   * linked in the same document. Products get ids under the enterprise's catalogue; a catalog item and its
   * offer take the id of their product, as Open Food Network does.
   *
   * @returns the records written
   */
  public createProducts(eid: string, records: readonly DfcRecord[]): Promise<DfcRecord[]> {
    return this.products.createProducts(eid, records);
  }

  /**
   * Replaces one product (and the catalog items and offers the body gives with it).
   *
   * @param condition - the enterprise's version, or the product's (`If-Match`)
   * @param unstated - the items and offers of the body that say no stock (they keep theirs)
   * @returns the records written
   */
  public replaceProduct(eid: string, id: string, records: readonly DfcRecord[], condition?: WriteCondition, unstated?: ReadonlySet<string>): Promise<DfcRecord[]> {
    return this.products.replaceProduct(eid, id, records, condition, unstated);
  }

  /** Deletes a product with its catalog items and their offers, and unlinks it from its product group. */
  public deleteProduct(eid: string, id: string, condition?: WriteCondition): Promise<void> {
    return this.products.deleteProduct(eid, id, condition);
  }

  /**
   * Updates a catalog item from plain JSON as Open Food Network sends it (`{"dfc-b:stockLimitation": 12,
   * "dfc-b:sku": "TOM-1K"}`; an absent key leaves that field as it was) or from a JSON-LD CatalogItem.
   */
  public updateCatalogItem(eid: string, id: string, body: WriteBody, condition?: WriteCondition, ahead?: ReadAhead): Promise<CatalogItemRecord> {
    return this.stock.updateCatalogItem(eid, id, body, condition, ahead);
  }

  /**
   * Begins the read a write of a catalog item starts from, before the write is known allowed (see {@link ReadAhead});
   * nothing of it is shown unless the write takes it.
   */
  public readAheadCatalogItem(eid: string, id: string): ReadAhead {
    return this.reads.readAhead(eid, 'catalog_items', id);
  }

  /**
   * Updates an offer: price (a Price object or a bare number) and stock; a negative stock means on demand.
   * Takes plain JSON (absent keys unchanged) or a JSON-LD Offer.
   */
  public updateOffer(eid: string, id: string, body: WriteBody, condition?: WriteCondition): Promise<OfferRecord> {
    return this.stock.updateOffer(eid, id, body, condition);
  }

  /**
   * Imports a catalogue document into an enterprise: every product, catalog item and offer gets an id under
   * the enterprise (a resource already there is replaced), the original `@id` is kept as `owl:sameAs`, and an
   * Enterprise in the document updates the profile. One transaction: nothing of it is stored unless all is.
   *
   * @param options - progress, and whether to create the enterprise (in the same transaction) when it does not exist
   * @returns how many resources were written
   */
  public importRecords(eid: string, records: readonly DfcRecord[], options: ImportOptions = {}): Promise<ImportSummary> {
    return this.enterprises.importRecords(eid, records, options);
  }

  /**
   * {@link importRecords}, with what it changed against what was stored (or, with `dryRun`, would change,
   * writing nothing); `keepProfile` and `keepStock` leave an existing enterprise's profile and stock as they are.
   */
  public importCatalogue(eid: string, records: readonly DfcRecord[], options: ImportOptions = {}): Promise<{ summary: ImportSummary; changes: ImportChanges }> {
    return this.enterprises.importCatalogue(eid, records, options);
  }
}
