/**
 * The catalogue of the node's enterprises: reading it in the shapes peers expect, and every write, with ids
 * assigned under the node's base URL and links kept consistent in both directions.
 *
 * Writes are checked completely before anything is stored, and each is one store transaction: a rejected
 * write changes nothing.
 *
 * @packageDocumentation
 */
import { withoutDerivedLinks } from '../../ontology/inverses.js';
import type { NodeId } from '../../ontology/iri.js';
import type {
  AddressRecord, CatalogItemRecord, DfcRecord, EnterpriseRecord, ExtraValue, OfferRecord, PersonRecord, SuppliedProductRecord,
} from '../../ontology/records.js';
import { OWL } from '../../ontology/vocabulary.js';
import type { Decoder, DecodeResult } from '../codec/decode.js';
import { readCatalogItemUpdate, readOfferUpdate, type PlainJsonRead } from '../codec/plain-json.js';
import { SYNTAX_ERRORS, type Problem } from '../errors/problem.js';
import {
  BadRequestHttpError, ConflictHttpError, ForbiddenHttpError, NotFoundHttpError, PreconditionFailedHttpError, UnprocessableEntityHttpError,
} from '../errors/http-error.js';
import {
  AlreadyExistsError, ConcurrentChangeError, OwnershipError, VersionConflictError, type ApplyOptions, type ChangeSet, type EnterpriseRow, type NodeStore,
} from '../store/store.js';
import { COLLECTION_OF, isValidLocalId, NodeUrls, safeDecode, slugify, type Collection } from '../urls/node-urls.js';

/** One product of a catalogue page: a product with its catalog items and their offers. */
export interface CatalogueEntry {
  readonly product: SuppliedProductRecord;
  readonly items: readonly CatalogItemRecord[];
  readonly offers: readonly OfferRecord[];
}

/** An enterprise's whole catalogue, in a stable order. */
export interface Catalogue {
  readonly enterprise: EnterpriseRow;
  /** Products that are not product groups, each with its items and offers, ordered by `@id`. */
  readonly entries: readonly CatalogueEntry[];
  /** Product groups by `@id`. */
  readonly groups: ReadonlyMap<string, SuppliedProductRecord>;
}

/** A body decoded for a write. */
export interface WriteBody {
  readonly text: string;
  readonly mediaType: string;
}

/** Options of {@link CatalogService}. */
export interface CatalogServiceArgs {
  readonly store: NodeStore;
  readonly decoder: Decoder;
  /** Called after every committed write (wakes the webhook deliveries; never awaited). */
  readonly onChange?: () => void;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer U)[] ? U[] : T[K] };

const CATALOGUE_KINDS = ['SuppliedProduct', 'CatalogItem', 'Offer'] as const;
/** What an enterprise publishes beside its products: sale sessions, customer categories, catalogues. */
const OTHER_KINDS = ['SaleSession', 'CustomerCategory', 'Catalog'] as const;

function isCatalogueKind(record: DfcRecord): boolean {
  return (Object.keys(COLLECTION_OF) as string[]).includes(record.kind);
}

function unique<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}

/** Reads and writes the node's catalogues. */
export class CatalogService {
  public readonly urls: NodeUrls;
  private readonly store: NodeStore;
  private readonly decoder: Decoder;
  private readonly onChange: () => void;

  public constructor(args: CatalogServiceArgs) {
    this.store = args.store;
    this.decoder = args.decoder;
    this.onChange = args.onChange ?? (() => undefined);
    this.urls = new NodeUrls(args.store.baseUrl);
  }

  // ------------------------------------------------------------------ reads

  /** An enterprise's row, or 404. */
  public async enterpriseRow(eid: string): Promise<EnterpriseRow> {
    const row = await this.store.getEnterprise(eid);
    if (row === undefined) throw new NotFoundHttpError(`no enterprise ${JSON.stringify(eid)} on this node`);
    return row;
  }

  /** Current version of an enterprise, or 404. */
  public async version(eid: string): Promise<number> {
    const version = await this.store.enterpriseVersion(eid);
    if (version === undefined) throw new NotFoundHttpError(`no enterprise ${JSON.stringify(eid)} on this node`);
    return version;
  }

  /** Every enterprise. */
  public listEnterprises(): Promise<EnterpriseRow[]> {
    return this.store.listEnterprises();
  }

  /**
   * An enterprise's profile: the Enterprise (with `supplies` and `manages` listing its catalogue), its
   * address and its main contact.
   */
  public async enterpriseGraph(eid: string): Promise<{ row: EnterpriseRow; records: DfcRecord[] }> {
    const row = await this.enterpriseRow(eid);
    const stored = await this.store.getResource(row.iri);
    if (stored?.record.kind !== 'Enterprise') throw new NotFoundHttpError(`enterprise ${eid} has no profile`);
    const ids = await this.store.catalogueIds(eid);
    const enterprise: EnterpriseRecord = {
      ...stored.record,
      supplies: ids.products.filter((p) => !p.group).map((p) => p.iri as NodeId),
      manages: ids.items as NodeId[],
    };
    const linked = await this.store.getResources([enterprise.address, enterprise.mainContact].filter((x): x is NodeId => x !== undefined));
    return { row, records: [enterprise, ...linked.map((r) => r.record)] };
  }

  /** Every published record of an enterprise: its profile and its whole catalogue. */
  public async publishedRecords(eid: string): Promise<DfcRecord[]> {
    const { records } = await this.enterpriseGraph(eid);
    const catalogue = await this.catalogue(eid);
    return [...records, ...catalogue.entries.flatMap((e) => [e.product, ...e.items, ...e.offers])];
  }

  /** An enterprise's whole catalogue. */
  public async catalogue(eid: string): Promise<Catalogue> {
    const enterprise = await this.enterpriseRow(eid);
    const resources = await this.store.listResources(eid, CATALOGUE_KINDS);
    const products: SuppliedProductRecord[] = [];
    const groups = new Map<string, SuppliedProductRecord>();
    const items = new Map<string, CatalogItemRecord>();
    const offers = new Map<string, OfferRecord>();
    for (const { record } of resources) {
      if (record.kind === 'SuppliedProduct') {
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
      };
    });
    return { enterprise, entries, groups };
  }

  /** An enterprise's sale sessions, customer categories and catalogues, ordered by `@id`. */
  public async otherResources(eid: string): Promise<DfcRecord[]> {
    await this.enterpriseRow(eid);
    return (await this.store.listResources(eid, OTHER_KINDS)).map((r) => r.record);
  }

  /** One catalogue resource of an enterprise. */
  public async resource(eid: string, collection: Collection, id: string): Promise<{ record: DfcRecord }> {
    const stored = await this.store.getResource(this.urls.resource(eid, collection, id));
    if (stored === undefined || stored.eid !== eid) {
      await this.enterpriseRow(eid); // a 404 that says which is missing: the enterprise or the resource
      throw new NotFoundHttpError(`no ${collection.replace(/_/gu, ' ').replace(/s$/u, '')} ${JSON.stringify(id)} in enterprise ${eid}`);
    }
    return { record: stored.record };
  }

  /** An address or a person, by its own URL. */
  public async profileResource(kind: 'Address' | 'Person', id: string): Promise<{ row: EnterpriseRow; record: DfcRecord }> {
    const iri = kind === 'Address' ? this.urls.address(id) : this.urls.person(id);
    const stored = await this.store.getResource(iri);
    if (stored?.record.kind !== kind) throw new NotFoundHttpError(`no ${kind.toLowerCase()} ${JSON.stringify(id)} on this node`);
    return { row: await this.enterpriseRow(stored.eid), record: stored.record };
  }

  // ------------------------------------------------------------------ writes

  /** Decodes a body, or throws 400/422 with the codec's problems. Nothing is written. */
  public async decode(body: WriteBody, base: string): Promise<DecodeResult> {
    const result = await this.decoder.decode(body.text, { mediaType: body.mediaType, base });
    const documentErrors = result.problems.filter((p) => p.id === null && p.severity === 'error');
    if (documentErrors.length > 0) {
      const malformed = documentErrors.some((p) => SYNTAX_ERRORS.has(p.code));
      const Error = malformed ? BadRequestHttpError : UnprocessableEntityHttpError;
      throw new Error(documentErrors.map((p) => p.message).join('; '), { problems: result.problems });
    }
    if (result.rejected.length > 0) {
      throw new UnprocessableEntityHttpError(`${result.rejected.length} resource(s) are not valid DFC`, { problems: result.problems });
    }
    return result;
  }

  /**
   * Creates an enterprise from a DFC Enterprise document (with its address and main contact).
   *
   * @param records - the decoded body
   * @param options - privacy
   */
  public async createEnterprise(records: readonly DfcRecord[], options: { private?: boolean; eid?: string } = {}): Promise<EnterpriseRow> {
    const enterprises = records.filter((r): r is EnterpriseRecord => r.kind === 'Enterprise');
    if (enterprises.length !== 1) throw new UnprocessableEntityHttpError(`expected one dfc-b:Enterprise, found ${enterprises.length}`);
    const enterprise = enterprises[0] as EnterpriseRecord;
    const eid = options.eid ?? this.urls.enterpriseId(enterprise.id) ?? slugify(enterprise.name ?? 'enterprise');
    if (!isValidLocalId(eid)) throw new UnprocessableEntityHttpError(`invalid enterprise id ${JSON.stringify(eid)}`);
    if ((await this.store.getEnterprise(eid)) !== undefined) throw new ConflictHttpError(`enterprise ${eid} already exists`);
    const profile = this.profileRecords(eid, enterprise, records);
    try {
      return await this.store.createEnterprise(eid, this.urls.enterprise(eid), profile, options.private === true ? { private: true } : {});
    } catch (error: unknown) {
      throw this.storeError(error);
    }
  }

  /** Replaces an enterprise's profile (name, description, contact details, address, main contact). */
  public async updateEnterprise(eid: string, records: readonly DfcRecord[], expectedVersion?: number): Promise<EnterpriseRow> {
    await this.enterpriseRow(eid);
    const enterprises = records.filter((r): r is EnterpriseRecord => r.kind === 'Enterprise');
    if (enterprises.length !== 1) throw new UnprocessableEntityHttpError(`expected one dfc-b:Enterprise, found ${enterprises.length}`);
    const enterprise = enterprises[0] as EnterpriseRecord;
    const ownId = this.urls.enterprise(eid);
    if (!enterprise.id.startsWith('_:') && enterprise.id !== ownId && this.urls.enterpriseId(enterprise.id) !== undefined) {
      throw new ConflictHttpError(`the body describes ${enterprise.id}, not ${ownId}`);
    }
    const profile = this.profileRecords(eid, enterprise, records);
    const name = (profile[0] as EnterpriseRecord).name;
    await this.apply(eid, { upsert: profile, ...(name !== undefined ? { enterprise: { name } } : {}), ...(expectedVersion !== undefined ? { expectedVersion } : {}) });
    return this.enterpriseRow(eid);
  }

  /** The Enterprise, Address and Person records of a profile, with the node's ids. */
  private profileRecords(eid: string, enterprise: EnterpriseRecord, records: readonly DfcRecord[]): DfcRecord[] {
    const ids = new Map<string, string>([[enterprise.id, this.urls.enterprise(eid)]]);
    const address = records.find((r): r is AddressRecord => r.kind === 'Address' && r.id === enterprise.address);
    const contact = records.find((r): r is PersonRecord => r.kind === 'Person' && r.id === enterprise.mainContact);
    if (address !== undefined) ids.set(address.id, this.urls.address(eid));
    if (contact !== undefined) ids.set(contact.id, this.urls.person(eid));
    const renamed = remap([enterprise, ...(address ? [address] : []), ...(contact ? [contact] : [])], ids);
    // Catalogue links are derived from the catalogue when the profile is read; never stored here.
    const [first, ...rest] = renamed;
    return [withoutDerivedLinks(first as EnterpriseRecord), ...rest];
  }

  /**
   * Creates products from a decoded body: SuppliedProducts with their catalog items and offers, embedded or
   * linked in the same document. Products get ids under the enterprise's catalogue; a catalog item and its
   * offer take the id of their product, as Open Food Network does.
   *
   * @returns the records written
   */
  public async createProducts(eid: string, records: readonly DfcRecord[]): Promise<DfcRecord[]> {
    await this.enterpriseRow(eid);
    const catalogue = records.filter((r) => r.kind === 'SuppliedProduct' || r.kind === 'CatalogItem' || r.kind === 'Offer');
    if (!catalogue.some((r) => r.kind === 'SuppliedProduct')) {
      throw new UnprocessableEntityHttpError('expected a dfc-b:SuppliedProduct in the body');
    }
    // A POST creates: a product, item or offer of this node that exists already is a conflict, never overwritten.
    for (const record of catalogue) {
      const collection = COLLECTION_OF[record.kind as keyof typeof COLLECTION_OF];
      if (this.urls.localId(eid, collection, record.id) !== undefined && (await this.store.getResource(record.id)) !== undefined) {
        throw new ConflictHttpError(`${record.id} already exists; use PUT to change it`);
      }
    }
    return this.retrying(async () => {
      const minted = new Set<string>();
      const written = await this.identify(eid, catalogue, 'create', new Map(), minted);
      // The ids minted must still be free when the transaction runs (two POSTs of one name get two ids).
      await this.apply(eid, { upsert: await this.withGroupLinks(eid, written), expect: new Map([...minted].map((iri) => [iri, null])) });
      return written;
    });
  }

  /**
   * Replaces one product (and the catalog items and offers the body gives with it).
   *
   * @returns the records written
   */
  public async replaceProduct(eid: string, id: string, records: readonly DfcRecord[], expectedVersion?: number): Promise<DfcRecord[]> {
    return this.retrying(() => this.replaceProductOnce(eid, id, records, expectedVersion));
  }

  private async replaceProductOnce(eid: string, id: string, records: readonly DfcRecord[], expectedVersion?: number): Promise<DfcRecord[]> {
    const iri = this.urls.resource(eid, 'supplied_products', id);
    // PUT replaces; products are created by POST to the collection, which assigns ids.
    const { record: existingRecord } = await this.resource(eid, 'supplied_products', id);
    const existing = { record: existingRecord };
    const products = records.filter((r): r is SuppliedProductRecord => r.kind === 'SuppliedProduct');
    const target = products.find((p) => p.id === iri) ?? (products.length === 1 ? products[0] : undefined);
    if (target === undefined) throw new UnprocessableEntityHttpError(`expected the dfc-b:SuppliedProduct ${iri} in the body`);
    if (target.id !== iri && this.urls.localId(eid, 'supplied_products', target.id) !== undefined) {
      throw new ConflictHttpError(`the body describes ${target.id}, not ${iri}`);
    }
    const catalogue = records.filter((r) => r === target || r.kind === 'CatalogItem' || r.kind === 'Offer');
    // Items and offers given without an id of ours are the product's existing ones, in order: a PUT replaces
    // them, it does not add new ones next to them.
    const fixed = new Map<string, string>([[target.id, iri]]);
    const existingItems = existingRecord.kind === 'SuppliedProduct'
      ? (await this.store.getResources(existingRecord.catalogItems)).map((r) => r.record).filter((r): r is CatalogItemRecord => r.kind === 'CatalogItem')
      : [];
    const bodyItems = catalogue.filter((r): r is CatalogItemRecord => r.kind === 'CatalogItem' && r.product === target.id
      && this.urls.localId(eid, 'catalog_items', r.id) === undefined);
    bodyItems.forEach((item, index) => {
      const existingItem = existingItems[index];
      if (existingItem === undefined) return;
      fixed.set(item.id, existingItem.id);
      item.offers.forEach((offerId, offerIndex) => {
        const existingOffer = existingItem.offers[offerIndex];
        if (existingOffer !== undefined && this.urls.localId(eid, 'offers', offerId) === undefined) fixed.set(offerId, existingOffer);
      });
    });
    const minted = new Set<string>();
    const written = await this.identify(eid, catalogue, 'replace', fixed, minted);
    const product = written.find((r) => r.id === iri) as SuppliedProductRecord;
    // Items the body leaves out stay linked: a PUT of the product alone must not orphan its stock.
    const kept = existing.record.kind === 'SuppliedProduct' ? existing.record.catalogItems : [];
    const merged = { ...product, catalogItems: unique([...product.catalogItems, ...kept]) };
    const upsert = written.map((r) => (r.id === iri ? merged : r));
    // A variant that left a product group is taken off that group's list.
    const left = existing.record.kind === 'SuppliedProduct' ? existing.record.variantOf.filter((g) => !merged.variantOf.includes(g)) : [];
    for (const group of await this.store.getResources(left)) {
      if (group.eid === eid && group.record.kind === 'SuppliedProduct') {
        upsert.push({ ...group.record, variants: group.record.variants.filter((v) => v !== iri) });
      }
    }
    const expect = new Map<string, DfcRecord | null>([[iri, existingRecord], ...[...minted].map((m) => [m, null] as const)]);
    await this.apply(eid, { upsert: await this.withGroupLinks(eid, upsert), expect, ...(expectedVersion !== undefined ? { expectedVersion } : {}) });
    return upsert.filter((r) => !left.includes(r.id));
  }

  /** Deletes a product with its catalog items and their offers, and unlinks it from its product group. */
  public async deleteProduct(eid: string, id: string, expectedVersion?: number): Promise<void> {
    return this.retrying(() => this.deleteProductOnce(eid, id, expectedVersion));
  }

  private async deleteProductOnce(eid: string, id: string, expectedVersion?: number): Promise<void> {
    const { record } = await this.resource(eid, 'supplied_products', id);
    if (record.kind !== 'SuppliedProduct') throw new NotFoundHttpError(`no supplied product ${id}`);
    const items = (await this.store.getResources(record.catalogItems)).filter((r) => r.eid === eid).map((r) => r.record);
    const offers = items.flatMap((i) => (i.kind === 'CatalogItem' ? i.offers : []));
    const upsert: DfcRecord[] = [];
    for (const group of await this.store.getResources(record.variantOf)) {
      if (group.eid === eid && group.record.kind === 'SuppliedProduct') {
        upsert.push({ ...group.record, variants: group.record.variants.filter((v) => v !== record.id) });
      }
    }
    for (const variant of await this.store.getResources(record.variants)) {
      if (variant.eid === eid && variant.record.kind === 'SuppliedProduct') {
        upsert.push({ ...variant.record, variantOf: variant.record.variantOf.filter((g) => g !== record.id) });
      }
    }
    await this.apply(eid, {
      upsert,
      delete: [record.id, ...items.map((i) => i.id), ...offers],
      expect: new Map([[record.id, record]]),
      ...(expectedVersion !== undefined ? { expectedVersion } : {}),
    });
  }

  /**
   * Updates a catalog item from plain JSON as Open Food Network sends it (`{"dfc-b:stockLimitation": 12,
   * "dfc-b:sku": "TOM-1K"}`; an absent key leaves that field as it was) or from a JSON-LD CatalogItem.
   */
  public async updateCatalogItem(eid: string, id: string, body: WriteBody, expectedVersion?: number): Promise<CatalogItemRecord> {
    return this.retrying(() => this.updateCatalogItemOnce(eid, id, body, expectedVersion));
  }

  private async updateCatalogItemOnce(eid: string, id: string, body: WriteBody, expectedVersion?: number): Promise<CatalogItemRecord> {
    const { record } = await this.resource(eid, 'catalog_items', id);
    if (record.kind !== 'CatalogItem') throw new NotFoundHttpError(`no catalog item ${id}`);
    let updated: Mutable<CatalogItemRecord> = { ...record, offers: [...record.offers], listedIn: [...record.listedIn] };
    const plain = plainUpdate(readCatalogItemUpdate(body, record));
    if (plain !== undefined) {
      if (plain.problems.length > 0) throw new UnprocessableEntityHttpError('invalid catalog item update', { problems: plain.problems });
      const { stock, sku } = plain.update;
      if (stock !== undefined) updated.stock = stock;
      if (sku === null) delete updated.sku;
      else if (sku !== undefined) updated.sku = sku;
    } else {
      const decoded = await this.decode(body, record.id);
      const given = decoded.records.find((r): r is CatalogItemRecord => r.kind === 'CatalogItem' && (r.id === record.id || r.id.startsWith('_:')));
      if (given === undefined) throw new UnprocessableEntityHttpError(`expected the dfc-b:CatalogItem ${record.id} in the body`);
      updated = { ...updated, stock: given.stock, ...(given.sku !== undefined ? { sku: given.sku } : {}) };
      if (given.sku === undefined) delete updated.sku;
      if (given.extra !== undefined) updated.extra = given.extra;
    }
    const upsert: DfcRecord[] = [updated];
    // A partial update is a read-modify-write: it must apply to what it read, or be done again.
    const expect = new Map<string, DfcRecord | null>([[record.id, record]]);
    // An offer that mirrored the item's stock keeps mirroring it (Open Food Network has one stock per variant).
    for (const offer of await this.store.getResources(record.offers)) {
      if (offer.eid === eid && offer.record.kind === 'Offer' && offer.record.stock === record.stock && updated.stock !== record.stock) {
        upsert.push({ ...offer.record, stock: updated.stock });
        expect.set(offer.record.id, offer.record);
      }
    }
    await this.apply(eid, { upsert, expect, ...(expectedVersion !== undefined ? { expectedVersion } : {}) });
    return updated;
  }

  /**
   * Updates an offer: price (a Price object or a bare number) and stock; a negative stock means on demand.
   * Takes plain JSON (absent keys unchanged) or a JSON-LD Offer.
   */
  public async updateOffer(eid: string, id: string, body: WriteBody, expectedVersion?: number): Promise<OfferRecord> {
    return this.retrying(() => this.updateOfferOnce(eid, id, body, expectedVersion));
  }

  private async updateOfferOnce(eid: string, id: string, body: WriteBody, expectedVersion?: number): Promise<OfferRecord> {
    const { record } = await this.resource(eid, 'offers', id);
    if (record.kind !== 'Offer') throw new NotFoundHttpError(`no offer ${id}`);
    let updated: Mutable<OfferRecord> = { ...record };
    const plain = plainUpdate(readOfferUpdate(body, record));
    if (plain !== undefined) {
      if (plain.problems.length > 0) throw new UnprocessableEntityHttpError('invalid offer update', { problems: plain.problems });
      if (plain.update.stock !== undefined) updated.stock = plain.update.stock;
      if (plain.update.price !== undefined) updated.price = plain.update.price;
      const invalid = this.decoder.validate([updated]).filter((p) => p.severity === 'error');
      if (invalid.length > 0) throw new UnprocessableEntityHttpError('invalid offer update', { problems: invalid });
    } else {
      const decoded = await this.decode(body, record.id);
      const given = decoded.records.find((r): r is OfferRecord => r.kind === 'Offer' && (r.id === record.id || r.id.startsWith('_:')));
      if (given === undefined) throw new UnprocessableEntityHttpError(`expected the dfc-b:Offer ${record.id} in the body`);
      updated = { ...updated, stock: given.stock, ...(given.price !== undefined ? { price: given.price } : {}) };
      if (given.customerCategory !== undefined) updated.customerCategory = given.customerCategory;
      if (given.extra !== undefined) updated.extra = given.extra;
    }
    await this.apply(eid, { upsert: [updated], expect: new Map([[record.id, record]]), ...(expectedVersion !== undefined ? { expectedVersion } : {}) });
    return updated;
  }

  /**
   * Imports a catalogue document into an enterprise: every product, catalog item and offer gets an id under
   * the enterprise (a resource already there is replaced), the original `@id` is kept as `owl:sameAs`, and an
   * Enterprise in the document updates the profile.
   *
   * @returns how many resources were written
   */
  public async importRecords(
    eid: string, records: readonly DfcRecord[], options: ApplyOptions = {},
  ): Promise<{ products: number; items: number; offers: number; others: number; skipped: string[] }> {
    await this.enterpriseRow(eid);
    const catalogue = records.filter(isCatalogueKind);
    const written = await this.identify(eid, catalogue, 'import');
    const enterprises = records.filter((r): r is EnterpriseRecord => r.kind === 'Enterprise');
    const profile = enterprises.length === 1 ? this.profileRecords(eid, enterprises[0] as EnterpriseRecord, records) : [];
    const name = (profile[0] as EnterpriseRecord | undefined)?.name;
    await this.apply(eid, { upsert: [...profile, ...written], ...(name !== undefined ? { enterprise: { name } } : {}) }, options);
    return {
      products: written.filter((r) => r.kind === 'SuppliedProduct').length,
      items: written.filter((r) => r.kind === 'CatalogItem').length,
      offers: written.filter((r) => r.kind === 'Offer').length,
      others: written.filter((r) => (OTHER_KINDS as readonly string[]).includes(r.kind)).length,
      // Orders and resources of classes the node does not model are not part of a catalogue import.
      skipped: records.filter((r) => !isCatalogueKind(r) && !['Enterprise', 'Address', 'Person'].includes(r.kind)).map((r) => r.kind),
    };
  }

  /**
   * Gives catalogue records the node's ids and rewrites their links.
   *
   * @param mode - `create` mints fresh ids, `import` reuses the last path segment of foreign ids, `replace`
   *   keeps the ids of `fixed`
   */
  private async identify(
    eid: string, records: readonly DfcRecord[], mode: 'create' | 'import' | 'replace', fixed: ReadonlyMap<string, string> = new Map(),
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
        } else if (mode === 'import' && !record.id.startsWith('_:')) {
          hint = lastSegment(record.id);
        } else {
          hint = hintOf(record);
        }
        const fresh = await mint(record, hint);
        minted.add(fresh);
        ids.set(record.id, fresh);
      }
    }
    const owned = remap(records, ids).map((record, index) => {
      const original = records[index] as DfcRecord;
      let result: DfcRecord = record;
      if (record.kind === 'SuppliedProduct') result = { ...record, suppliedBy: this.urls.enterprise(eid) as NodeId };
      if (record.kind === 'CatalogItem') result = { ...record, managedBy: this.urls.enterprise(eid) as NodeId };
      if (record.kind === 'CustomerCategory') result = { ...record, definedBy: this.urls.enterprise(eid) as NodeId };
      // Keep the identity the resource had elsewhere, so peers can still match it.
      if (original.id !== record.id && !original.id.startsWith('_:')) {
        const sameAs: ExtraValue[] = [...(result.extra?.[OWL.sameAs] ?? []), { '@id': original.id }];
        result = { ...result, extra: { ...result.extra, [OWL.sameAs]: sameAs } };
      }
      return result;
    });
    return owned;
  }

  /** Adds the reverse links of product groups already stored (a new variant joins its group). */
  private async withGroupLinks(eid: string, records: readonly DfcRecord[]): Promise<DfcRecord[]> {
    const inBody = new Map(records.map((r) => [r.id, r]));
    const result = [...records];
    for (const record of records) {
      if (record.kind !== 'SuppliedProduct') continue;
      for (const groupId of record.variantOf) {
        if (inBody.has(groupId)) continue;
        const group = await this.store.getResource(groupId);
        if (group?.eid !== eid || group.record.kind !== 'SuppliedProduct' || group.record.variants.includes(record.id)) continue;
        const updated = { ...group.record, variants: [...group.record.variants, record.id] };
        inBody.set(groupId, updated);
        result.push(updated);
      }
    }
    return result;
  }

  private async apply(eid: string, changes: ChangeSet, options: ApplyOptions = {}): Promise<void> {
    const problems = this.decoder.validate(changes.upsert ?? []).filter((p) => p.severity === 'error');
    if (problems.length > 0) throw new UnprocessableEntityHttpError('the result would not be valid DFC', { problems });
    try {
      await this.store.apply(eid, changes, options);
    } catch (error: unknown) {
      // A concurrent change is retried by the caller; everything else becomes an HTTP error here.
      if (error instanceof ConcurrentChangeError) throw error;
      throw this.storeError(error);
    }
    this.onChange();
  }

  /** Runs a read-modify-write again (a few times) when another request changed what it read meanwhile. */
  private async retrying<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error: unknown) {
        if (!(error instanceof ConcurrentChangeError) || attempt >= 5) throw this.storeError(error);
      }
    }
  }

  private storeError(error: unknown): unknown {
    if (error instanceof ConcurrentChangeError) return new ConflictHttpError(`${error.message}; try again`);
    if (error instanceof AlreadyExistsError) return new ConflictHttpError('that resource exists already');
    if (error instanceof VersionConflictError) return new PreconditionFailedHttpError(error.message);
    if (error instanceof OwnershipError) return new ForbiddenHttpError(error.message);
    return error;
  }
}

/** A readable id stem for a new resource. */
function hintOf(record: DfcRecord): string {
  switch (record.kind) {
    case 'SuppliedProduct':
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

/** Rewrites every id string found in the records (links, and `@id`s of kept properties). */
function remap(records: readonly DfcRecord[], ids: ReadonlyMap<string, string>): DfcRecord[] {
  if (ids.size === 0) return [...records];
  return records.map((record) => JSON.parse(JSON.stringify(record), (key, value: unknown) =>
    typeof value === 'string' && key !== '@value' && ids.has(value) ? ids.get(value) : value) as DfcRecord);
}

/** A plain-JSON update, undefined for a document to decode, or the HTTP error of a body that is no update. */
function plainUpdate<T>(read: PlainJsonRead<T>): { update: T; problems: readonly Problem[] } | undefined {
  if (read.kind === 'document') return undefined;
  if (read.kind === 'refused') {
    const { code, message } = read.problem;
    throw SYNTAX_ERRORS.has(code) ? new BadRequestHttpError(message) : new UnprocessableEntityHttpError(message);
  }
  return read;
}
