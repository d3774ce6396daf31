/**
 * Stock writes: a catalog item's stock and SKU, an offer's price and stock, from Open Food Network's plain
 * JSON or from a DFC document. Each is a read-modify-write of one resource (and of the offers that mirror an
 * item's stock), done again when another request changed it meanwhile: a write without `If-Match` (as Open
 * Food Network sends them) then inside the store's transaction, so that it applies (last writer wins) and the
 * item and its offers end with the same writer's stock.
 *
 * @packageDocumentation
 */
import type { CatalogItemRecord, DfcRecord, OfferRecord } from '../../ontology/records.js';
import type { DecodeResult } from '../codec/decode.js';
import { readCatalogItemUpdate, readOfferUpdate, type PlainJsonRead } from '../codec/plain-json.js';
import { barePrice } from '../codec/values.js';
import { BadRequestHttpError, NotFoundHttpError, UnprocessableEntityHttpError } from '../errors/http-error.js';
import { SYNTAX_ERRORS, type Problem } from '../errors/problem.js';
import type { ResourceReads } from '../store/store.js';
import type { CatalogReads, ReadAhead } from './catalog-reads.js';
import { alreadyRead, conditionOf, type Committer, type WriteBody, type WriteCondition, type WriteDecision } from './committer.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer U)[] ? U[] : T[K] };

/** A plain-JSON update, undefined for a document to decode, or the HTTP error of a body that is no update. */
function plainUpdate<T>(read: PlainJsonRead<T>): { update: T; problems: readonly Problem[] } | undefined {
  if (read.kind === 'document') return undefined;
  if (read.kind === 'refused') {
    const { code, message } = read.problem;
    throw SYNTAX_ERRORS.has(code) ? new BadRequestHttpError(message) : new UnprocessableEntityHttpError(message);
  }
  return read;
}

/**
 * Decodes a write's document body once, whatever the number of attempts: a retry inside the store's
 * transaction then does no decoding while it holds the lock (and the records decoded stay known valid).
 */
function decodeOnce(committer: Committer, body: WriteBody): (base: string) => Promise<DecodeResult> {
  let decoded: Promise<DecodeResult> | undefined;
  return (base) => (decoded ??= committer.decode(body, base));
}

/**
 * The stock a decoded item or offer of a write sets: its stock (`null`: on demand, a negative stock written), or the
 * stock it had (`before`) when its node says none.
 */
function stated(decoded: DecodeResult, given: CatalogItemRecord | OfferRecord, before: number | null): number | null {
  return decoded.unstatedStock?.has(given.id) === true ? before : given.stock;
}

/** Updates catalog items and offers. */
export class StockWrites {
  public constructor(
    private readonly reads: CatalogReads,
    private readonly committer: Committer,
  ) {}

  /**
   * Updates a catalog item from plain JSON as Open Food Network sends it (`{"dfc-b:stockLimitation": 12,
   * "dfc-b:sku": "TOM-1K"}`; an absent key leaves that field as it was) or from a JSON-LD CatalogItem.
   *
   * @param condition - what `If-Match` requires of the item (see {@link WriteCondition})
   * @param ahead - the item read as the request arrived (see {@link ReadAhead}): the first attempt of a write without
   *   condition starts from it when it is of this item
   */
  public async updateCatalogItem(eid: string, id: string, body: WriteBody, condition?: WriteCondition, ahead?: ReadAhead): Promise<CatalogItemRecord> {
    const decode = decodeOnce(this.committer, body);
    const early = condition === undefined && ahead?.eid === eid && ahead.collection === 'catalog_items' && ahead.id === id ? ahead.read : undefined;
    return this.committer.readModifyWrite(eid, condition, (from, attempt) => this.decideCatalogItem(eid, id, body, decode, condition, from, attempt, early));
  }

  private async decideCatalogItem(
    eid: string, id: string, body: WriteBody, decode: (base: string) => Promise<DecodeResult>, condition: WriteCondition | undefined,
    from: ResourceReads, attempt: number, early: ReadAhead['read'] | undefined,
  ): Promise<WriteDecision<CatalogItemRecord>> {
    // The item with its offers, in one read: a stock write changes the offers that mirror the item's stock. The first
    // attempt may take it as read ahead (from the store, as it would read it); a later one reads it where it runs.
    const read = attempt === 1 && early !== undefined
      ? await early
      : await this.reads.resourceWithOffers(eid, 'catalog_items', id, alreadyRead(condition, attempt), from);
    const expected = conditionOf(condition, read);
    const { record } = read;
    if (record.kind !== 'CatalogItem') throw new NotFoundHttpError(`no catalog item ${id}`);
    let updated: Mutable<CatalogItemRecord> = { ...record, offers: [...record.offers], listedIn: [...record.listedIn] };
    const plain = plainUpdate(readCatalogItemUpdate(body, record));
    if (plain !== undefined) {
      if (plain.problems.length > 0) throw new UnprocessableEntityHttpError('invalid catalog item update', { problems: plain.problems });
      const { stock, sku } = plain.update;
      if (stock !== undefined) updated.stock = stock;
      if (sku === null) delete updated.sku;
      else if (sku !== undefined) updated.sku = sku;
      // A SKU given in plain JSON is in no language: the old one's goes with it.
      if (sku !== undefined && updated.languages?.['sku'] !== undefined) {
        const { sku: _old, ...others } = updated.languages;
        if (Object.keys(others).length > 0) updated.languages = others;
        else delete updated.languages;
      }
    } else {
      const decoded = await decode(record.id);
      const given = decoded.records.find((r): r is CatalogItemRecord => r.kind === 'CatalogItem' && (r.id === record.id || r.id.startsWith('_:')));
      if (given === undefined) throw new UnprocessableEntityHttpError(`expected the dfc-b:CatalogItem ${record.id} in the body`);
      // A document that says no stock leaves it as it was, as plain JSON does (Open Food Network: "blank → unchanged";
      // a negative stock is on demand): a change of the SKU alone made the item sell without limit.
      updated = { ...updated, stock: stated(decoded, given, record.stock), ...(given.sku !== undefined ? { sku: given.sku } : {}) };
      if (given.sku === undefined) delete updated.sku;
      // The item's one text field is its SKU: its language, if any, is the body's.
      if (given.languages !== undefined) updated.languages = given.languages;
      else delete updated.languages;
      if (given.extra !== undefined) updated.extra = given.extra;
      // Valid without a second run: the stored item was valid, and each field taken from the body was validated
      // under the same schema when decoded.
      this.committer.carryValidity(given, updated);
    }
    const upsert: DfcRecord[] = [];
    // A partial update is a read-modify-write: it must apply to what it read, or be done again.
    const expect = new Map<string, DfcRecord | null>([[record.id, record]]);
    // An offer that mirrored the item's stock keeps mirroring it (Open Food Network has one stock per variant). One
    // with a stock of its own does not mirror it, even when its number is the item's (the orders brought them
    // together): it keeps its own, which only a write of the offer changes.
    const mirrors = updated.stock !== record.stock ? (read.offers ?? await from.getResources(record.offers)) : [];
    for (const offer of mirrors) {
      if (offer.eid === eid && offer.record.kind === 'Offer' && offer.ownStock !== true && offer.record.stock === record.stock) {
        upsert.push({ ...offer.record, stock: updated.stock });
        expect.set(offer.record.id, offer.record);
      }
    }
    // The offers before the item: writing the item restocks its ledger, whose trigger republishes the offers that
    // still mirror the old stock; written first, they no longer do, and their own conditional write finds them as read.
    upsert.push(updated);
    return { changes: { upsert, expect, ...expected }, value: updated };
  }

  /**
   * Updates an offer: price (a Price object or a bare number) and stock; a negative stock means on demand.
   * Takes plain JSON (absent keys unchanged) or a JSON-LD Offer.
   *
   * @param condition - what `If-Match` requires of the offer (see {@link WriteCondition})
   */
  public async updateOffer(eid: string, id: string, body: WriteBody, condition?: WriteCondition): Promise<OfferRecord> {
    const decode = decodeOnce(this.committer, body);
    // Whether the write (its last attempt, the one committed) gave the offer another stock than it had.
    let restocked = false;
    const written = await this.committer.readModifyWrite(eid, condition, async (from, attempt) => {
      const decision = await this.decideOffer(eid, id, body, decode, condition, from, attempt);
      restocked = decision.changes.expect?.get(decision.value.id)?.kind === 'Offer'
        && (decision.changes.expect.get(decision.value.id) as OfferRecord).stock !== decision.value.stock;
      return decision;
    });
    // The stock unchanged (a price written), the offer publishes what it did: the answer is the write's, no read more.
    if (!restocked || typeof written.stock !== 'number') return written;
    // An offer given a stock of its own publishes no more than its item has left (written in the write's transaction):
    // the answer is the offer as stored, what its GET gives, with the ETag a conditional write can use (the number
    // written would answer 20 where the offer says 12, and an ETag that no stored version has).
    const stored = await this.reads.resource(eid, 'offers', id).catch(() => undefined);
    return stored?.record.kind === 'Offer' ? stored.record : written;
  }

  private async decideOffer(
    eid: string, id: string, body: WriteBody, decode: (base: string) => Promise<DecodeResult>, condition: WriteCondition | undefined,
    from: ResourceReads, attempt: number,
  ): Promise<WriteDecision<OfferRecord>> {
    const read = await this.reads.resource(eid, 'offers', id, alreadyRead(condition, attempt), from);
    const expected = conditionOf(condition, read);
    const { record } = read;
    if (record.kind !== 'Offer') throw new NotFoundHttpError(`no offer ${id}`);
    let updated: Mutable<OfferRecord> = { ...record };
    // Plain JSON is checked by commit() under the message of an offer update; a document was checked when decoded.
    let invalid: string | undefined;
    const plain = plainUpdate(readOfferUpdate(body, record, this.committer.currency));
    if (plain !== undefined) {
      if (plain.problems.length > 0) throw new UnprocessableEntityHttpError('invalid offer update', { problems: plain.problems });
      if (plain.update.stock !== undefined) updated.stock = plain.update.stock;
      if (plain.update.price !== undefined) updated.price = plain.update.price;
      invalid = 'invalid offer update';
    } else {
      const decoded = await decode(record.id);
      const given = decoded.records.find((r): r is OfferRecord => r.kind === 'Offer' && (r.id === record.id || r.id.startsWith('_:')));
      if (given === undefined) throw new UnprocessableEntityHttpError(`expected the dfc-b:Offer ${record.id} in the body`);
      // A bare number is a price in the offer's currency, with its VAT rate, not one in euros without VAT.
      const price = given.price !== undefined && decoded.barePrices?.has(given.id) === true
        ? barePrice(given.price.value, given.price.currency, record.price) : given.price;
      updated = { ...updated, stock: stated(decoded, given, record.stock), ...(price !== undefined ? { price } : {}) };
      if (given.customerCategory !== undefined) updated.customerCategory = given.customerCategory;
      if (given.extra !== undefined) updated.extra = given.extra;
      // Valid without a second run: the stored offer was valid, and each field taken from the body was validated
      // under the same schema (and its currency against the taxonomy) when decoded.
      this.committer.carryValidity(given, updated);
    }
    return { changes: { upsert: [updated], expect: new Map([[record.id, record]]), ...expected }, value: updated, ...(invalid !== undefined ? { invalid } : {}) };
  }
}
