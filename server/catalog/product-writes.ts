/**
 * Writes of products: creating them (with their catalog items and offers), replacing one, deleting one, with
 * the links of product groups kept both ways.
 *
 * @packageDocumentation
 */
import type { CatalogItemRecord, DfcRecord, SuppliedProductRecord } from '../../ontology/records.js';
import { ConflictHttpError, NotFoundHttpError, UnprocessableEntityHttpError } from '../errors/http-error.js';
import type { NodeStore, ResourceReads } from '../store/store.js';
import { PLAN_SUFFIXES } from '../urls/fdc-urls.js';
import { COLLECTION_OF, type NodeUrls } from '../urls/node-urls.js';
import type { CatalogReads } from './catalog-reads.js';
import { alreadyRead, conditionOf, type Committer, type WriteCondition, type WriteDecision } from './committer.js';
import type { Identities } from './identities.js';

function unique<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}

/** Creates, replaces and deletes products. */
export class ProductWrites {
  public constructor(
    private readonly store: NodeStore,
    private readonly urls: NodeUrls,
    private readonly reads: CatalogReads,
    private readonly identities: Identities,
    private readonly committer: Committer,
  ) {}

  /**
   * Creates products from a decoded body: SuppliedProducts with their catalog items and offers, embedded or
   * linked in the same document. Products get ids under the enterprise's catalogue; a catalog item and its
   * offer take the id of their product, as Open Food Network does.
   *
   * @returns the records written
   */
  public async createProducts(eid: string, records: readonly DfcRecord[]): Promise<DfcRecord[]> {
    await this.reads.enterpriseRow(eid);
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
    const written = await this.committer.retrying(async () => {
      const minted = new Set<string>();
      const identified = await this.identities.identify(eid, catalogue, 'create', new Map(), minted);
      // The ids minted must still be free when the transaction runs (two POSTs of one name get two ids).
      await this.committer.commit(eid, { upsert: await this.withGroupLinks(eid, identified), expect: new Map([...minted].map((iri) => [iri, null])) });
      return identified;
    });
    return this.asPublished(eid, written);
  }

  /**
   * The records a write answers with, its offers with a stock as they are stored: an offer given a stock of its own
   * publishes no more than its item has left (set in the write's transaction), and the answer says what its GET and
   * the catalogue say, not the number written (as the offer's own PUT answers). One read, only when such an offer
   * was written.
   */
  private async asPublished(eid: string, written: DfcRecord[]): Promise<DfcRecord[]> {
    const stocked = written.filter((r) => r.kind === 'Offer' && typeof r.stock === 'number').map((r) => r.id);
    if (stocked.length === 0) return written;
    const stored = new Map((await this.store.getResources(stocked)).filter((s) => s.eid === eid && s.record.kind === 'Offer').map((s) => [s.record.id, s.record]));
    return written.map((r) => stored.get(r.id) ?? r);
  }

  /**
   * Replaces one product (and the catalog items and offers the body gives with it).
   *
   * @param condition - what `If-Match` requires of the product (see {@link WriteCondition}); without one (or
   *   with `*`), a write that lost a race is done again in the store's transaction, and applies
   * @returns the records written
   */
  public async replaceProduct(
    eid: string, id: string, records: readonly DfcRecord[], condition?: WriteCondition, unstated: ReadonlySet<string> = new Set(),
  ): Promise<DfcRecord[]> {
    const written = await this.committer.readModifyWrite(eid, condition, (from, attempt) => this.decideReplace(eid, id, records, condition, from, attempt, unstated));
    return this.asPublished(eid, written);
  }

  private async decideReplace(
    eid: string, id: string, records: readonly DfcRecord[], condition: WriteCondition | undefined, from: ResourceReads, attempt: number,
    unstated: ReadonlySet<string>,
  ): Promise<WriteDecision<DfcRecord[]>> {
    const iri = this.urls.resource(eid, 'supplied_products', id);
    // PUT replaces; products are created by POST to the collection, which assigns ids.
    const existing = await this.reads.resource(eid, 'supplied_products', id, alreadyRead(condition, attempt), from);
    const expected = conditionOf(condition, existing);
    const existingRecord = existing.record;
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
    const bodyItems = catalogue.filter((r): r is CatalogItemRecord => r.kind === 'CatalogItem' && r.product === target.id
      && this.urls.localId(eid, 'catalog_items', r.id) === undefined);
    // Read only when there is something to match them with (a PUT of the product alone reads nothing more).
    const existingItems = existingRecord.kind === 'SuppliedProduct' && bodyItems.length > 0
      ? (await from.getResources(existingRecord.catalogItems)).map((r) => r.record).filter((r): r is CatalogItemRecord => r.kind === 'CatalogItem')
      : [];
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
    // Its reads are the store's: inside the store's transaction they see what it does (nothing else commits while
    // it holds the lock), and the ids it mints must still be free when it commits (`expect`, below).
    // What keeps its stored stock or links must still be as read when the write commits (a stock write, or an order,
    // committing meanwhile would otherwise be undone): expected, as the product is.
    const read = new Map<string, DfcRecord>();
    const written = await this.keepStored(eid, catalogue, await this.identities.identify(eid, catalogue, 'replace', fixed, minted), unstated, from, read);
    const product = written.find((r) => r.id === iri) as SuppliedProductRecord;
    // Items the body leaves out stay linked: a PUT of the product alone must not orphan its stock.
    const kept = existingRecord.kind === 'SuppliedProduct' ? existingRecord.catalogItems : [];
    const merged = { ...product, catalogItems: unique([...product.catalogItems, ...kept]) };
    // Still valid: the links added are the stored product's, valid when it was stored.
    this.committer.carryValidity(product, merged);
    const upsert = written.map((r) => (r.id === iri ? merged : r));
    // A variant that left a product group is taken off that group's list.
    const left = existingRecord.kind === 'SuppliedProduct' ? existingRecord.variantOf.filter((g) => !merged.variantOf.includes(g)) : [];
    for (const group of left.length > 0 ? await from.getResources(left) : []) {
      if (group.eid === eid && group.record.kind === 'SuppliedProduct') {
        upsert.push({ ...group.record, variants: group.record.variants.filter((v) => v !== iri) });
      }
    }
    const expect = new Map<string, DfcRecord | null>([...read, [iri, existingRecord], ...[...minted].map((m) => [m, null] as const)]);
    return { changes: { upsert: await this.withGroupLinks(eid, upsert, from), expect, ...expected }, value: upsert.filter((r) => !left.includes(r.id)) };
  }

  /**
   * What a replacement's catalog items and offers say nothing of stays as stored:
   * - their stock, when they say none: as a PUT of the item or the offer alone does (Open Food Network: blank is
   *   unchanged), a PUT of the product with them (to change a SKU) made them sell without limit;
   * - an item's offers, when it names none or not all: as the product keeps the items the body leaves out. An item
   *   given without `dfc-b:offeredThrough` lost its offer, which stayed published and orderable, naming the item,
   *   its stock no longer following the item's; an offer left out that mirrored the item's stock follows its change.
   *
   * A new item or offer is as the body gives it (on demand without a stock, as when created).
   *
   * @param given - the records of the body, as decoded
   * @param written - what {@link Identities.identify} made of them, in the same order
   * @param unstated - the `@id`s (as decoded) of the items and offers that say no stock
   * @param read - collects the stored records this decision rests on (the write expects them as read)
   */
  private async keepStored(
    eid: string, given: readonly DfcRecord[], written: DfcRecord[], unstated: ReadonlySet<string>, from: ResourceReads, read: Map<string, DfcRecord>,
  ): Promise<DfcRecord[]> {
    const kept: DfcRecord[] = [];
    for (const [index, record] of written.entries()) {
      const source = given[index] as DfcRecord;
      const stock = unstated.has(source.id);
      if (record.kind !== 'CatalogItem' && (record.kind !== 'Offer' || !stock)) {
        kept.push(record);
        continue;
      }
      const stored = await from.getResource(record.id);
      if (stored?.eid !== eid || stored.record.kind !== record.kind) {
        kept.push(record);
        continue;
      }
      read.set(stored.record.id, stored.record);
      let same: DfcRecord = stock ? { ...record, stock: stored.record.stock } : record;
      if (same.kind === 'CatalogItem' && stored.record.kind === 'CatalogItem') {
        const offers = unique([...same.offers, ...stored.record.offers]);
        if (offers.length > same.offers.length) same = { ...same, offers };
        // An offer the body leaves out that mirrored the item's stock keeps mirroring it, as with a PUT of the item
        // (Open Food Network has one stock per variant); one with a stock of its own keeps it, whatever its number
        // (see the stock writes). An offer the body gives is as the body says: the seller's, its stock its own
        // unless it is the item's.
        if (same.stock !== stored.record.stock) {
          const inBody = new Set(written.map((r) => r.id as string));
          const before = stored.record.stock;
          for (const offer of await from.getResources(stored.record.offers.filter((o) => !inBody.has(o)))) {
            if (offer.eid === eid && offer.record.kind === 'Offer' && offer.ownStock !== true && offer.record.stock === before) {
              read.set(offer.record.id, offer.record);
              kept.push({ ...offer.record, stock: same.stock });
            }
          }
        }
      }
      // Still valid: the stock and the links kept are the stored record's, valid when it was stored.
      if (same !== record) this.committer.carryValidity(record, same);
      kept.push(same);
    }
    return kept;
  }

  /**
   * Deletes a product with its catalog items and their offers, and unlinks it from its product group.
   *
   * @param condition - what `If-Match` requires of the product (see {@link WriteCondition})
   */
  public async deleteProduct(eid: string, id: string, condition?: WriteCondition): Promise<void> {
    return this.committer.readModifyWrite(eid, condition, (from, attempt) => this.decideDelete(eid, id, condition, from, attempt));
  }

  private async decideDelete(
    eid: string, id: string, condition: WriteCondition | undefined, from: ResourceReads, attempt: number,
  ): Promise<WriteDecision<undefined>> {
    const existing = await this.reads.resource(eid, 'supplied_products', id, alreadyRead(condition, attempt), from);
    const expected = conditionOf(condition, existing);
    const { record } = existing;
    if (record.kind !== 'SuppliedProduct') throw new NotFoundHttpError(`no supplied product ${id}`);
    const items = (await from.getResources(record.catalogItems)).filter((r) => r.eid === eid).map((r) => r.record);
    const offers = items.flatMap((i) => (i.kind === 'CatalogItem' ? i.offers : []));
    const upsert: DfcRecord[] = [];
    for (const group of await from.getResources(record.variantOf)) {
      if (group.eid === eid && group.record.kind === 'SuppliedProduct') {
        upsert.push({ ...group.record, variants: group.record.variants.filter((v) => v !== record.id) });
      }
    }
    for (const variant of await from.getResources(record.variants)) {
      if (variant.eid === eid && variant.record.kind === 'SuppliedProduct') {
        upsert.push({ ...variant.record, variantOf: variant.record.variantOf.filter((g) => g !== record.id) });
      }
    }
    // Its planned transformation (a wholesale pack) goes with it.
    const plans = (await from.getResources(PLAN_SUFFIXES.map((suffix) => `${record.id}${suffix}`))).filter((r) => r.eid === eid).map((r) => r.record.id);
    return {
      changes: { upsert, delete: [record.id, ...items.map((i) => i.id), ...offers, ...plans], expect: new Map([[record.id, record]]), ...expected },
      value: undefined,
    };
  }

  /** Adds the reverse links of product groups already stored (a new variant joins its group), read from `from`. */
  private async withGroupLinks(eid: string, records: readonly DfcRecord[], from: ResourceReads = this.store): Promise<DfcRecord[]> {
    const inBody = new Map(records.map((r) => [r.id, r]));
    const result = [...records];
    for (const record of records) {
      if (record.kind !== 'SuppliedProduct') continue;
      for (const groupId of record.variantOf) {
        if (inBody.has(groupId)) continue;
        const group = await from.getResource(groupId);
        if (group?.eid !== eid || group.record.kind !== 'SuppliedProduct' || group.record.variants.includes(record.id)) continue;
        const updated = { ...group.record, variants: [...group.record.variants, record.id] };
        inBody.set(groupId, updated);
        result.push(updated);
      }
    }
    return result;
  }
}
