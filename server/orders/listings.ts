/**
 * Listings: a shop selling, in its own catalogue, a catalog item of another node.
 *
 * The node that owns an item is the single authority for its stock. A listing publishes the shop's own
 * SuppliedProduct (`owl:sameAs` the origin's), CatalogItem and Offer, and mirrors the origin's stock and price
 * into them: through the records a sync receives from the owner (push, {@link ListingService.onPeerRecords}),
 * and by fetching the origin again (pull, {@link ListingService.refresh}, the fallback). Orders for a listed
 * item go to the owner (see `order-service.ts`), in whole units of what it sells.
 *
 * Wholesale packs follow Open Food Network (`FdcOfferBroker`): when the origin's catalogue holds
 * `R/AsPlannedConsumptionFlow` (consumes the retail product R, quantity = the pack factor) and
 * `R/AsPlannedProductionFlow` (produces the wholesale product W), a listing of R sells R's units but orders W:
 * retail price = W's price / factor, retail stock = W's stock × factor.
 *
 * @packageDocumentation
 */
import type { NodeId } from '../../ontology/iri.js';
import type {
  CatalogItemRecord, DfcRecord, ExtraValue, OfferRecord, ResourceRecord, SuppliedProductRecord,
} from '../../ontology/records.js';
import { DFC_B, OWL } from '../../ontology/vocabulary.js';
import type { Decoder } from '../codec/decode.js';
import { failure, failureText, type Failure } from '../errors/failure.js';
import { problem, type Problem } from '../errors/problem.js';
import {
  ConflictHttpError, NotFoundHttpError, ServiceUnavailableHttpError, UnprocessableEntityHttpError,
} from '../errors/http-error.js';
import { bodyText, clip, urlTooLong, type FetchPolicy, type SafeFetch } from '../net/safe-fetch.js';
import { isOwnIri } from '../urls/own-iris.js';
import type { ListingRow } from '../store/orders.js';
import { MAX_MONEY, OrderedRecordError, type NodeStore } from '../store/store.js';
import { catalogUrlOf, ordersUrlOf } from '../urls/fdc-urls.js';
import { LISTING_ID_PREFIX, slugify, type NodeUrls } from '../urls/node-urls.js';

/** What the service needs. */
export interface ListingServiceDeps {
  readonly store: NodeStore;
  readonly decoder: Decoder;
  readonly urls: NodeUrls;
  /** The node's safe HTTP client, and the policy it is used with (bounded time and size, private addresses). */
  readonly fetch: SafeFetch;
  readonly policy: FetchPolicy;
  /** Called after a listing's records changed (wakes the webhook deliveries). */
  readonly onChange?: () => void;
  /**
   * Cancels an open order as its seller, with the orders it placed at suppliers (the order service's): what a
   * forced removal of a listing does to the held orders that sell from it. None: such a removal is refused.
   */
  readonly cancelOrder?: (iri: string, reason: string) => Promise<void>;
  /** Told of a listing added or removed (the origin follower: which origins' change feeds to follow). */
  readonly onListingsChanged?: () => void;
  /** The clock (tests). */
  readonly now?: () => number;
}

/**
 * What a listing knows of its origin's item:
 * - `available`: the owner sells it (its last stock and price are mirrored, even while the owner cannot be reached);
 * - `gone`: the owner removed it (its item answered 404 or 410, its catalogue no longer holds it, or its own
 *   snapshot or change feed says it was deleted): the listing publishes a stock of 0 and its orders are refused,
 *   until the item is back.
 */
export type OriginState = 'available' | 'gone';

/** Why a listing's origin is gone, as stored in its details. */
interface GoneDetails {
  readonly since: string;
  readonly reason: string;
}

/** How a listing prices the origin's item: a fixed price, or a markup in percent over the origin's price. */
export interface ListingTerms {
  readonly price?: number;
  readonly markup?: number;
}

/** A listing as the API and the command line show it. */
export interface ListingView {
  readonly id: number;
  readonly eid: string;
  /** The shop's own records. */
  readonly item: string;
  readonly offer: string;
  readonly product: string;
  readonly origin: {
    readonly item: string;
    readonly offer: string | null;
    /** What is ordered from the owner: its product, or its wholesale case. */
    readonly product: string;
    readonly orders: string;
    /** Whether the owner still sells it ({@link OriginState}). */
    readonly state: OriginState;
    /** When gone: since when, and what said so. */
    readonly goneSince?: string;
    readonly goneReason?: string;
  };
  /** Retail units per unit ordered from the owner. */
  readonly factor: number;
  readonly price: number | null;
  readonly markup: number | null;
  /** The published price and stock (null: on demand), as last mirrored. */
  readonly published: { readonly price: number | null; readonly currency: string | null; readonly stock: number | null };
  /**
   * Why the last mirror left the published values as they were (the origin could not be read, or said what the
   * shop cannot publish: a price of 0 or beyond {@link MAX_MONEY}, a negative stock, a broken pack…), and when;
   * null once a mirror succeeds.
   */
  readonly lastError: ListingError | null;
  readonly createdAt: string;
}

/** Why a listing's last mirror was refused, and when (kept in the listing's details). */
export interface ListingError extends Failure {
  readonly at: string;
}

/**
 * What a mirror of one listing did: `gone` when the origin says the item was removed (the listing then publishes a
 * stock of 0); a failure (the origin unreachable, or an answer that says nothing) keeps the last values.
 */
export type MirrorOutcome =
  | { readonly ok: true; readonly changed: boolean; readonly gone?: true }
  | { readonly ok: false; readonly failure: Failure };

/** An origin that could not be read: `gone` when what it answered says the item is no more (404/410, or a catalogue without it). */
type OriginFailure = { readonly failure: Failure; readonly gone?: true };

/** The origin of a listing, as read: what is shown, what is ordered, and where the stock comes from. */
interface Origin {
  readonly item: CatalogItemRecord;
  /** The retail product shown (R). */
  readonly product: SuppliedProductRecord;
  /** What is ordered (W for a wholesale pack, else R). */
  readonly ordered: string;
  /** Its record. */
  readonly orderedProduct: SuppliedProductRecord;
  /** The offer of what is ordered: its price. */
  readonly offer: OfferRecord;
  /** The catalog item of what is ordered: its stock. */
  readonly stockItem: CatalogItemRecord;
  readonly factor: number;
  /** Read from what the node's syncs hold, not from the origin itself (its stock and price may be that sync's). */
  readonly fromIndex?: true;
}

/** Records known so far while reading an origin, by `@id`. */
type Known = Map<string, DfcRecord>;

const ACCEPT = 'application/ld+json, application/json;q=0.9, text/turtle;q=0.8';
const CONSUMPTION = '/AsPlannedConsumptionFlow';
const PRODUCTION = '/AsPlannedProductionFlow';
const TRANSFORMATION = '/AsPlannedTransformation';

/**
 * The largest pack a listing sells by the unit. Open Food Network's factors are whole numbers of retail units in
 * a case (6, 12, 24…): a fraction (half a case?) or a factor in the millions is a catalogue that says something
 * else, refused rather than guessed.
 */
export const MAX_PACK_FACTOR = 10_000;

/**
 * The percent of a markup as given: a JSON number, or a plain decimal string with an optional `%` (`15`, `"15"`,
 * `"-10%"`, `"12.5%"`); undefined for anything else (`"1e3"`, `"0x10"`, `" 15 "`, `"15 %"`), and for -100% or less.
 */
export function parseMarkup(value: unknown): number | undefined {
  let number: number;
  if (typeof value === 'number') number = value;
  else if (typeof value === 'string' && /^[+-]?\d+(?:\.\d+)?%?$/u.test(value)) number = Number(value.replace(/%$/u, ''));
  else return undefined;
  return Number.isFinite(number) && number > -100 ? number : undefined;
}

/**
 * A price as given: a JSON number, or a plain decimal string (`"3.5"`, `"12"`), positive, with at most two decimals
 * (money is in cents: `12.3456` is refused rather than rounded behind the owner's back) and at most
 * {@link MAX_MONEY}; undefined for anything else (`0`, `"0x10"`, `"1e3"`, `" 12 "`, `"-1"`).
 */
export function parsePrice(value: unknown): number | undefined {
  let number: number;
  if (typeof value === 'number') number = value;
  else if (typeof value === 'string' && /^\d+(?:\.\d{1,2})?$/u.test(value)) number = Number(value);
  else return undefined;
  return isMoney(number) ? number : undefined;
}

/** Whether a number is an amount a shop can sell at: finite, above zero once in cents, whole cents, at most {@link MAX_MONEY}. */
function isMoney(value: number): boolean {
  return Number.isFinite(value) && value > 0 && value <= MAX_MONEY && cents(value) === value;
}

/** Money as shops show it: two decimals. */
function cents(value: number): number {
  return Math.round(value * 100) / 100;
}

/** The first `@id` of a property kept in `extra`. */
function extraRef(record: DfcRecord, predicate: string): string | undefined {
  const value = record.extra?.[predicate]?.[0];
  return value !== undefined && '@id' in value ? value['@id'] : undefined;
}

/**
 * The `dfc-b:value` of a QuantitativeValue kept in `extra` (a flow's `hasQuantity`): a number when it is one
 * (a JSON number, or a plain decimal string as FDC writes them), else what was found, for the caller to refuse;
 * undefined when there is none.
 */
function extraQuantity(record: DfcRecord): unknown {
  const value: ExtraValue | undefined = record.extra?.[DFC_B.hasQuantity]?.[0];
  if (value === undefined) return undefined;
  if (!('properties' in value)) return '(not a dfc-b:QuantitativeValue)';
  const literal = value.properties[DFC_B.value]?.[0];
  if (literal === undefined) return undefined;
  if (!('@value' in literal)) return '(not a literal)';
  const raw: unknown = literal['@value'];
  if (typeof raw === 'number') return raw;
  return typeof raw === 'string' && /^[+-]?\d+(?:\.\d+)?$/u.test(raw.trim()) ? Number(raw.trim()) : raw;
}

/** The listings of the node's enterprises. */
export class ListingService {
  /**
   * The work on each listing's published records, one at a time per listing (a mirror, a removal from sale, a change
   * of terms): a mirror that read the listing's terms before a change of them would otherwise publish the old price
   * after the new one.
   */
  private readonly queues = new Map<number, Promise<unknown>>();

  public constructor(private readonly deps: ListingServiceDeps) {}

  /** Runs `work` once the work queued on listing `id` is over (whatever its outcome). */
  private serial<T>(id: number, work: () => Promise<T>): Promise<T> {
    const before = this.queues.get(id) ?? Promise.resolve();
    const run = before.then(work, work);
    const tail = run.catch(() => undefined);
    this.queues.set(id, tail);
    void tail.then(() => {
      if (this.queues.get(id) === tail) this.queues.delete(id);
    });
    return run;
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /**
   * Lists another node's catalog item in an enterprise's catalogue.
   *
   * @param originItem - the `@id` of the remote CatalogItem
   * @param terms - a fixed price, or a markup in percent (none: the origin's price)
   * @throws UnprocessableEntityHttpError (422) for an item that is not a usable DFC catalog item; ServiceUnavailableHttpError (503) when the origin cannot be reached
   */
  public async add(eid: string, originItem: string, terms: ListingTerms = {}): Promise<ListingView> {
    const { store, urls } = this.deps;
    if ((await store.getEnterprise(eid)) === undefined) throw new NotFoundHttpError(`no enterprise ${JSON.stringify(eid)} on this node`);
    checkTerms(terms);
    // What is refused is told clipped: a text of any length may come (a 100 KB one was fetched and logged whole).
    let parsed: URL;
    try {
      parsed = new URL(originItem);
    } catch {
      throw new UnprocessableEntityHttpError(`${JSON.stringify(clip(originItem, 100))} is not an absolute IRI`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UnprocessableEntityHttpError(`${clip(originItem, 100)} is not an http(s) IRI`);
    // The URL as it is fetched.
    const tooLong = urlTooLong(parsed.href);
    if (tooLong !== undefined) throw new UnprocessableEntityHttpError(`the item to list is ${tooLong}`);
    if (isOwnIri(originItem, urls.base)) {
      throw new UnprocessableEntityHttpError(`${originItem} is an item of this node: list items of other nodes`);
    }
    if ((await store.orders.listings(eid)).some((l) => l.originItem === originItem)) {
      throw new ConflictHttpError(`enterprise ${eid} lists ${originItem} already`);
    }
    const origin = await this.resolve(originItem, true);
    if ('failure' in origin) throw httpErrorOf(origin.failure, originItem);
    const loop = await this.leadsBack(origin);
    if (loop !== undefined) {
      throw new UnprocessableEntityHttpError(`cannot list ${originItem}: it leads back to this node (${loop.join(' is owl:sameAs ')}): `
        + 'it is a listing of this node\'s own item or listing, and an order of it would go round between the nodes', { extensions: { sameAs: loop } });
    }

    const orderAt = await this.orderTarget(origin);
    if (orderAt !== undefined && 'failure' in orderAt) throw httpErrorOf(orderAt.failure, originItem);

    const local = await this.mintLocalId(eid, origin.product.name ?? originItem.split('/').pop() ?? 'item');
    const ids = {
      product: urls.resource(eid, 'supplied_products', local) as NodeId,
      item: urls.resource(eid, 'catalog_items', local) as NodeId,
      offer: urls.resource(eid, 'offers', local) as NodeId,
    };
    const records = this.published(eid, ids, origin, terms);
    const problems = publishProblems(this.deps.decoder, records);
    if (problems.length > 0) {
      throw new UnprocessableEntityHttpError(`the origin's item cannot be published here: ${problems.map((p) => p.message).join('; ')}`, { problems });
    }
    // The listing is recorded before what it publishes: after a crash in between, no mirrored item is ever taken
    // for one of our own (whose stock the node would sell itself); a listing without records sells nothing.
    let row: ListingRow;
    try {
      row = await store.orders.addListing({
        eid, item: ids.item, offer: ids.offer, product: ids.product, originItem, originOffer: origin.offer.id, originProduct: origin.ordered,
        originOrders: orderAt?.orders ?? ordersUrlOf(origin.ordered), factor: origin.factor,
        ...(terms.price !== undefined ? { price: terms.price } : {}), ...(terms.markup !== undefined ? { markup: terms.markup } : {}),
        details: {
          stockItem: origin.stockItem.id, retailProduct: origin.product.id,
          ...(orderAt !== undefined ? { orderAt: { product: orderAt.product, offer: orderAt.offer } } : {}),
        },
      });
    } catch (error: unknown) {
      if ((await store.orders.listings(eid)).some((l) => l.originItem === originItem)) throw new ConflictHttpError(`enterprise ${eid} lists ${originItem} already`);
      throw error;
    }
    try {
      await store.apply(eid, { upsert: records, expect: new Map(Object.values(ids).map((iri) => [iri, null])) });
    } catch (error: unknown) {
      await store.orders.removeListing(row.id);
      throw error;
    }
    this.deps.onChange?.();
    this.deps.onListingsChanged?.();
    // Read from what the last sync of the origin held, the stock and price may be that sync's (minutes old), and the
    // change feed the follower reads says only what changes from now on: the origin itself is read now, as a pull
    // does. When it cannot be, the listing keeps what the sync held, and says why, as after any pull.
    if (origin.fromIndex === true) await this.refresh(row);
    return this.view((await store.orders.listing(row.id)) ?? row);
  }

  /** An enterprise's listings. */
  public async list(eid: string): Promise<ListingView[]> {
    if ((await this.deps.store.getEnterprise(eid)) === undefined) throw new NotFoundHttpError(`no enterprise ${JSON.stringify(eid)} on this node`);
    const views: ListingView[] = [];
    for (const row of await this.deps.store.orders.listings(eid)) views.push(await this.view(row));
    return views;
  }

  /** One listing of an enterprise, or 404. */
  public async get(eid: string, id: number): Promise<ListingView> {
    return this.view(await this.row(eid, id));
  }

  /**
   * Changes the terms a listing sells at: a fixed price, a markup over its origin's price, or neither (the origin's
   * price). The origin is read again (its price and stock now), and the new price is published at once; orders
   * already placed keep the prices of their lines. Nothing changes when the new price cannot be published (it
   * rounds to 0.00, overflows…: 422) or the origin cannot be read (503). A listing whose item its origin removed
   * keeps the terms for when it is back, and stays off sale.
   *
   * @throws NotFoundHttpError (404) for no such listing; ConflictHttpError (409) for one being removed;
   *   UnprocessableEntityHttpError (422) for terms that cannot be published; ServiceUnavailableHttpError (503)
   *   when the origin cannot be reached
   */
  public async setTerms(eid: string, id: number, terms: ListingTerms): Promise<ListingView> {
    checkTerms(terms);
    return this.serial(id, async () => {
      // Read in its turn: the terms and state a mirror before this one left.
      const listing = await this.row(eid, id);
      if (listing.details?.['removing'] === true) throw new ConflictHttpError(`listing ${id} is being removed`);
      const { price: _price, markup: _markup, ...rest } = listing;
      const next: ListingRow = {
        ...rest, ...(terms.price !== undefined ? { price: terms.price } : {}), ...(terms.markup !== undefined ? { markup: terms.markup } : {}),
      };
      const store = (): Promise<ListingRow> => this.storeTerms(id, eid, terms);
      if (goneOf(listing) !== undefined) return this.view(await store());
      const origin = await this.resolve(listing.originItem, false);
      if ('failure' in origin) {
        if (origin.gone === true) {
          await this.markGone(listing, origin.failure.message);
          return this.view(await store());
        }
        if (isUnreachable(origin.failure)) {
          throw new ServiceUnavailableHttpError(`the origin of ${listing.originItem} cannot be reached, so the new price cannot be set: ${failureText(origin.failure)}`,
            { headers: { 'Retry-After': '60' } });
        }
        throw new UnprocessableEntityHttpError(`the origin of ${listing.originItem} cannot be read, so the new price cannot be set: ${failureText(origin.failure)}`);
      }
      const planned = await this.planMirror(next, origin.stockItem, origin.offer, { product: origin.ordered, factor: origin.factor });
      if (planned.why.length > 0) throw new UnprocessableEntityHttpError(`the listing cannot be sold at these terms: ${planned.why.join('; ')}`);
      const stored = await store();
      await this.publishMirror(stored, planned.upsert);
      return this.view((await this.deps.store.orders.listing(id)) ?? stored);
    });
  }

  /** Stores a listing's terms; 404 when it was removed meanwhile. */
  private async storeTerms(id: number, eid: string, terms: ListingTerms): Promise<ListingRow> {
    const stored = await this.deps.store.orders.setListingTerms(id, terms);
    if (stored === undefined) throw new NotFoundHttpError(`enterprise ${eid} has no listing ${id}`);
    return stored;
  }

  /**
   * Removes a listing and the records it published.
   *
   * An open order that sells from it (Pending, or Held and not expired) would be left naming nothing: its
   * completion or cancellation could no longer reach the order placed at the owner, whose reservation would wait
   * for its expiry. So the removal is refused (409, naming those orders) unless `force` is given: the orders are
   * then cancelled first, with their orders at the owner, as their seller would cancel them. Either way the listing
   * takes no new order from the moment the removal starts.
   *
   * @throws ConflictHttpError (409) when open orders sell from the listing and `force` is not given, or one of them
   *   is being placed at its supplier right now
   */
  public async remove(eid: string, id: number, options: { force?: boolean } = {}): Promise<{ cancelled: string[] }> {
    const { store } = this.deps;
    let row = await this.row(eid, id);
    // Closed to new orders first: an order placed between the look at the open orders and the removal would
    // otherwise be one more order naming nothing (one being placed right now checks its listings once stored).
    await store.orders.setListingDetail(row.id, 'removing', true);
    row = { ...row, details: { ...row.details, removing: true } };
    const cancelled: string[] = [];
    try {
      const open = await store.orders.openOrdersOfListing(row.id, new Date(this.now()).toISOString());
      if (open.length > 0) {
        const names = open.map((o) => `${o.iri} (${o.state})`).join(', ');
        const pending = open.filter((o) => o.state === 'Pending');
        if (pending.length > 0) {
          throw new ConflictHttpError(`listing ${id} cannot be removed now: order(s) ${pending.map((o) => o.iri).join(', ')} are being placed at the supplier; try again in a moment`,
            { extensions: { openOrders: open.map((o) => o.iri) } });
        }
        if (options.force !== true || this.deps.cancelOrder === undefined) {
          throw new ConflictHttpError(
            `listing ${id} is sold in open order(s) ${names}: cancel them first, or remove it with force=true (--force), which cancels them (and their orders at ${row.originOrders})`,
            { extensions: { openOrders: open.map((o) => o.iri) } });
        }
        for (const order of open) {
          await this.deps.cancelOrder(order.iri, `cancelled: listing ${id} (${row.originItem}) was removed`);
          cancelled.push(order.iri);
        }
      }
    } catch (error: unknown) {
      // Refused: the listing sells on (what a concurrent change wrote to its details is kept).
      await store.orders.setListingDetail(row.id, 'removing', null);
      throw error;
    }
    // In the listing's turn: a mirror that read its records before they went would otherwise write them again.
    await this.serial(row.id, async () => {
      const present = await store.getResources([row.product, row.item, row.offer]);
      try {
        if (present.length > 0) await store.apply(eid, { delete: present.map((r) => r.record.id) });
      } catch (error: unknown) {
        // An order placed meanwhile names its records (the store refuses to delete them): the listing sells on.
        await store.orders.setListingDetail(row.id, 'removing', null);
        throw error instanceof OrderedRecordError ? new ConflictHttpError(`listing ${id} cannot be removed now: ${error.message}`) : error;
      }
      await store.orders.removeListing(row.id);
    });
    this.deps.onChange?.();
    this.deps.onListingsChanged?.();
    return { cancelled };
  }

  /**
   * Pull: reads the origin again (from the origin itself, not what a sync holds) and mirrors its stock and price.
   * An origin that says the item is gone (404/410, a catalogue without it) takes it off sale: stock 0, orders
   * refused, until it is back. Any other failure is answered, never thrown: the listing keeps what it published
   * last (an origin that does not answer has not removed anything).
   */
  public async refresh(listing: ListingRow): Promise<MirrorOutcome> {
    return this.serial(listing.id, async () => {
      // Read again in its turn: its terms may have changed since `listing` was read, or it may be gone.
      const now = await this.deps.store.orders.listing(listing.id);
      return now === undefined ? { ok: true, changed: false } : this.refreshNow(now);
    });
  }

  /** {@link refresh}, in the listing's turn. */
  private async refreshNow(listing: ListingRow): Promise<MirrorOutcome> {
    const origin = await this.resolve(listing.originItem, false);
    if ('failure' in origin) {
      if (origin.gone !== true) {
        // A read given up because the node stops says nothing about the origin: the listing's view keeps what it had.
        if (origin.failure.kind !== 'stopped') await this.noteError(listing, origin.failure);
        return { ok: false, failure: origin.failure };
      }
      return { ok: true, changed: await this.markGone(listing, origin.failure.message), gone: true };
    }
    return this.mirror(listing, origin.stockItem, origin.offer, { product: origin.ordered, factor: origin.factor });
  }

  /**
   * Changes the owner itself published (its change feed, read by a sync or by {@link ListingFollower}): every
   * listing of an item among `changed` reads its origin again; one whose item (or the wholesale case it sells
   * from) is among `deleted` is gone at once, the owner's own word. Only what `origin` is the authority for counts.
   *
   * @returns how many listings changed
   */
  public async onOriginChanges(origin: string, changes: { readonly changed?: readonly string[]; readonly deleted?: readonly string[] }): Promise<number> {
    const own = (iris: readonly string[] | undefined): string[] => (iris ?? []).filter((iri) => originOf(iri) === origin);
    const deleted = new Set(own(changes.deleted));
    const touched = [...new Set([...own(changes.changed), ...deleted])];
    if (touched.length === 0) return 0;
    let changed = 0;
    for (const listing of await this.deps.store.orders.listingsTouching(touched)) {
      const removed = [listing.originItem, stockItemOf(listing)].find((iri) => deleted.has(iri));
      if (removed !== undefined) {
        if (await this.serial(listing.id, async () => this.markGone(listing, `the owner's change feed says ${removed} was deleted`))) changed += 1;
        continue;
      }
      const outcome = await this.refresh(listing);
      if (outcome.ok && outcome.changed) changed += 1;
    }
    return changed;
  }

  /** Every listing of the node. */
  public async all(): Promise<ListingRow[]> {
    const rows: ListingRow[] = [];
    for (const enterprise of await this.deps.store.listEnterprises()) for (const row of await this.deps.store.orders.listings(enterprise.eid)) rows.push(row);
    return rows;
  }

  /**
   * Takes a listing off sale because its origin removed the item: the stock published becomes 0 (the price
   * stays, for the operator to see), the listing stays, with why. Answers whether anything changed.
   */
  private async markGone(listing: ListingRow, reason: string): Promise<boolean> {
    const { store } = this.deps;
    let changed = false;
    // Read again: what else its details say now (a removal under way) is kept.
    const now = await store.orders.listing(listing.id);
    if (now === undefined) return false;
    // Off sale first, then said to be gone: a reader in between sees it available with nothing to sell, never gone and
    // still selling (a listing read as gone with its old stock, which a shop could still order, was seen in a test).
    const [item, offer] = await Promise.all([store.getResource(listing.item), store.getResource(listing.offer)]);
    const upsert: DfcRecord[] = [];
    if (item?.record.kind === 'CatalogItem' && item.record.stock !== 0) upsert.push({ ...item.record, stock: 0 });
    if (offer?.record.kind === 'Offer' && offer.record.stock !== 0) upsert.push({ ...offer.record, stock: 0 });
    if (upsert.length > 0) {
      await store.apply(listing.eid, { upsert });
      changed = true;
    }
    if (goneOf(now) === undefined) {
      const gone: GoneDetails = { since: new Date(this.now()).toISOString(), reason };
      changed = (await store.orders.setListingDetail(listing.id, 'gone', gone)) || changed;
    }
    if (changed) this.deps.onChange?.();
    return changed;
  }

  /** {@link refresh} of every listing of the node (the pull timer); answers how many changed and how many failed. */
  public async refreshAll(eids?: readonly string[]): Promise<{ changed: number; failed: Failure[] }> {
    const enterprises = eids ?? (await this.deps.store.listEnterprises()).map((e) => e.eid);
    let changed = 0;
    const failed: Failure[] = [];
    for (const eid of enterprises) {
      for (const listing of await this.deps.store.orders.listings(eid)) {
        const outcome = await this.refresh(listing);
        if (!outcome.ok) failed.push(outcome.failure);
        else if (outcome.changed) changed += 1;
      }
    }
    return { changed, failed };
  }

  /**
   * Push: records a sync just received from a peer. Every listing whose origin item, offer or ordered product is
   * among them mirrors the owner's stock and price, from these records and what the sync holds of the rest.
   *
   * @param origin - the origin of the peer that sent them: only what it is the authority for counts (a relay's
   *   copy of another node's stock is no word of its owner; the pull reads that owner itself); none (a sender
   *   not known): nothing counts
   * @returns how many listings changed
   */
  public async onPeerRecords(records: readonly DfcRecord[], origin?: string): Promise<number> {
    // A sender not known (a peer removed meanwhile) is the authority for nothing.
    if (origin === undefined) return 0;
    const own = records.filter((r) => originOf(r.id) === origin);
    if (own.length === 0) return 0;
    const byId = new Map(own.map((r) => [r.id as string, r]));
    const touched = new Set<string>(byId.keys());
    // A wholesale case's stock is on its own catalog item, which names the case (the listing's ordered product).
    for (const record of own) if (record.kind === 'CatalogItem' && record.product !== undefined) touched.add(record.product);
    const listings = await this.deps.store.orders.listingsTouching([...touched]);
    if (listings.length === 0) return 0;
    // What a sync holds of the rest counts only as the origin itself sent it (not as a relay of another origin did).
    const sources = new Set((await this.deps.store.provenance.listPeers()).filter((p) => p.origin === origin).map((p) => `peer:${p.id}`));
    let changed = 0;
    for (const listing of listings) {
      // Only the listing's own site speaks for its stock and price.
      if (originOf(listing.originItem) !== origin) continue;
      const stockItemId = stockItemOf(listing);
      const wanted = [stockItemId, ...(listing.originOffer !== undefined ? [listing.originOffer] : [])];
      const missing = wanted.filter((iri) => !byId.has(iri));
      const held = missing.length > 0 ? await this.deps.store.index.recordsOf(missing) : new Map<string, { record: DfcRecord; source: string }>();
      const find = (iri: string | undefined): DfcRecord | undefined => {
        if (iri === undefined || originOf(iri) !== origin) return undefined;
        const stored = held.get(iri);
        return byId.get(iri) ?? (stored !== undefined && sources.has(stored.source) ? stored.record : undefined);
      };
      const stockItem = find(stockItemId);
      const offer = find(listing.originOffer);
      if (stockItem?.kind !== 'CatalogItem' || offer?.kind !== 'Offer') continue;
      const outcome = await this.serial(listing.id, async (): Promise<MirrorOutcome> => {
        const now = await this.deps.store.orders.listing(listing.id);
        if (now === undefined) return { ok: true, changed: false };
        // A listing taken off sale comes back only when its own item is there again (the origin read whole).
        return goneOf(now) !== undefined ? this.refreshNow(now) : this.mirror(now, stockItem, offer);
      });
      if (outcome.ok && outcome.changed) changed += 1;
    }
    return changed;
  }

  // ------------------------------------------------------------------ reading the origin

  /**
   * Whether an origin is, as far as can be known, a listing that leads back to this node: a listing publishes its
   * product `owl:sameAs` its origin's, so the chain of `owl:sameAs` of the origin's product (and of the case
   * ordered) is followed (what a sync holds from each site, else the site itself: a few requests at most, a
   * failure is no answer) until a product of this node. Answers that chain, or undefined. Orders themselves are
   * bounded too (see the order service's hop limit): this refuses the loop where it is made.
   */
  private async leadsBack(origin: Origin): Promise<string[] | undefined> {
    const { base } = this.deps.urls;
    // As URLs compare (`HTTP://` and a host in capitals are this node too), as the sync refuses our own IRIs.
    const ours = (iri: string): boolean => isOwnIri(iri, base);
    const seen = new Set<string>([origin.product.id, origin.orderedProduct.id]);
    const queue: string[][] = [];
    const follow = (record: DfcRecord, path: readonly string[]): void => {
      for (const next of sameAsOf(record)) {
        if (seen.has(next)) continue;
        seen.add(next);
        queue.push([...path, next]);
      }
    };
    follow(origin.product, [origin.product.id]);
    if (origin.orderedProduct !== origin.product) follow(origin.orderedProduct, [origin.orderedProduct.id]);
    let asked = 0;
    for (let path = queue.shift(); path !== undefined; path = queue.shift()) {
      const iri = path[path.length - 1] as string;
      if (ours(iri)) return path;
      if (path.length > SAME_AS_DEPTH) continue;
      let record = (await this.heldFromOwnSite([iri])).get(iri);
      if (record === undefined && asked < SAME_AS_REQUESTS) {
        asked += 1;
        const fetched = await this.fetchRecords(iri);
        if (!('failure' in fetched)) record = fetched.records.find((r) => r.id === iri);
      }
      if (record !== undefined) follow(record, path);
    }
    return undefined;
  }

  /** The records of `iris` a sync holds from each one's own site (a relay's copy of another site's records is left out). */
  private async heldFromOwnSite(iris: readonly string[]): Promise<Map<string, DfcRecord>> {
    const held = new Map<string, DfcRecord>();
    const found = await this.deps.store.index.recordsOf(iris);
    if (found.size === 0) return held;
    const origins = new Map((await this.deps.store.provenance.listPeers()).map((p) => [`peer:${p.id}`, p.origin]));
    for (const [iri, { record, source }] of found) if (origins.get(source) === originOf(iri)) held.set(iri, record);
    return held;
  }

  /**
   * Where the orders of an item kept in a Solid pod (a peer of kind `solid`) go: a pod takes no orders, and a node that publishes its
   * catalogue into a pod says, in `owl:sameAs`, which of its own product and offer each pod resource is. When the
   * ordered product and its offer both name such a resource on another origin, the orders go to that node (its
   * orders collection, its product and offer), once that node answers for the product: a pod cannot send a shop's
   * orders to a node that does not confirm it sells what the pod shows. Undefined: the orders go to the origin.
   */
  private async orderTarget(origin: Origin): Promise<{ orders: string; product: string; offer: string } | { failure: Failure } | undefined> {
    const here = originOf(origin.ordered);
    // Only for a pod this node knows as one (a peer of kind solid): any other origin takes its own orders, whatever
    // its products say they are the same as.
    const pods = (await this.deps.store.provenance.listPeers()).filter((p) => p.kind === 'solid').map((p) => originOf(p.url));
    if (here === undefined || !pods.includes(here)) return undefined;
    const elsewhere = (record: DfcRecord): string[] => (record.extra?.[OWL.sameAs] ?? [])
      .flatMap((v) => ('@id' in v && typeof v['@id'] === 'string' ? [v['@id']] : []))
      .filter((iri) => originOf(iri) !== undefined && originOf(iri) !== here);
    const offers = elsewhere(origin.offer);
    // A product may name several others (a platform's copy, the node it came from): the first its node confirms,
    // whose offer the pod names too. A few at most: each is a request.
    const candidates = elsewhere(origin.orderedProduct).filter((iri) => offers.some((o) => originOf(o) === originOf(iri))).slice(0, 3);
    if (candidates.length === 0) return undefined;
    let refused: Failure | undefined;
    for (const product of candidates) {
      const confirmed = await this.fetchRecords(product);
      if (!('failure' in confirmed) && confirmed.records.some((r) => r.id === product && r.kind === 'SuppliedProduct')) {
        const offer = offers.find((o) => originOf(o) === originOf(product)) as string;
        return { orders: ordersUrlOf(product), product, offer };
      }
      refused ??= 'failure' in confirmed ? confirmed.failure
        : failure('not-dfc', `${origin.ordered} says it is ${product}, which its node does not serve as a dfc-b:SuppliedProduct`, product);
    }
    return { failure: refused as Failure };
  }

  /**
   * Reads an origin item with its product and offer, and a wholesale case when the catalogue plans one. From what
   * the node's syncs hold first (when `indexFirst`), else from the origin: the item's `@id`, then the catalogue
   * (the item's or product's `@id` without its last segment, which every DFC and OFN node serves whole).
   */
  private async resolve(originItem: string, indexFirst: boolean): Promise<Origin | OriginFailure> {
    if (indexFirst) {
      const known: Known = new Map();
      const fromIndex = async (iris: readonly (string | undefined)[]): Promise<void> => {
        const wanted = iris.filter((i): i is string => i !== undefined && !known.has(i));
        if (wanted.length === 0) return;
        // Only what a site itself sent counts: a relay's copy of its records (a peer of another origin) is no word of it.
        for (const [iri, record] of await this.heldFromOwnSite(wanted)) known.set(iri, record);
      };
      await fromIndex([originItem]);
      const item = known.get(originItem);
      if (item?.kind === 'CatalogItem' && item.product !== undefined) {
        // A peer's snapshot holds its whole catalogue: the flows are there if the catalogue has them.
        await fromIndex([item.product, ...item.offers, `${item.product}${CONSUMPTION}`, `${item.product}${PRODUCTION}`, `${item.product}${TRANSFORMATION}`]);
        const wholesale = wholesaleOf(known, item.product);
        if (wholesale !== undefined && 'product' in wholesale) {
          await fromIndex([wholesale.product]);
          const w = known.get(wholesale.product);
          if (w?.kind === 'SuppliedProduct') await fromIndex(w.catalogItems);
          const wItem = itemOfProduct(known, wholesale.product);
          if (wItem !== undefined) await fromIndex(wItem.offers);
        }
        const origin = originFrom(known, originItem);
        if (!('failure' in origin)) return { ...origin, fromIndex: true };
      }
    }
    return this.fetchOrigin(originItem);
  }

  /**
   * Reads an origin item from its origin: a few documents, within one fetch's time altogether (an origin that
   * never answers holds the caller for one bounded wait, not one per document tried).
   */
  private async fetchOrigin(originItem: string): Promise<Origin | OriginFailure> {
    const known: Known = new Map();
    const fetched = new Set<string>();
    const failures: Failure[] = [];
    /** Whether a document of the origin was read (a DFC document: its word on what it holds counts). */
    let read = false;
    const deadline = this.now() + this.deps.policy.totalTimeoutMs;
    const get = async (url: string): Promise<void> => {
      const key = url.replace(/#.*$/u, '');
      if (fetched.has(key)) return;
      fetched.add(key);
      const left = deadline - this.now();
      // Out of time, or the origin already did not answer: asking it again only makes the caller wait longer.
      if (left <= 0 || failures.some((f) => f.kind === 'timeout')) {
        if (!failures.some((f) => f.kind === 'timeout')) failures.push(failure('timeout', `the origin did not answer within ${this.deps.policy.totalTimeoutMs} ms`, key));
        return;
      }
      const outcome = await this.fetchRecords(key, left);
      if ('failure' in outcome) failures.push(outcome.failure);
      else {
        read = true;
        for (const record of outcome.records) if (!known.has(record.id)) known.set(record.id, record);
      }
    };
    await get(originItem);
    let item = known.get(originItem);
    // Nothing is read of another site on the origin's word (the origin's records that name one are refused).
    const here = originOf(originItem);
    const sameSite = (iri: string): boolean => originOf(iri) === here;
    // The product's catalogue holds the product, its offer and its planned flows (Open Food Network looks there).
    if (item?.kind === 'CatalogItem' && item.product !== undefined && sameSite(item.product)) await get(catalogUrlOf(item.product));
    // Else the item's catalogue, and the one above it (an FDC item named `…/SuppliedProducts/R/CatalogItem`).
    for (let url = catalogUrlOf(originItem), up = 0; up < 2 && known.get(originItem)?.kind !== 'CatalogItem'; url = catalogUrlOf(url), up++) await get(url);
    item = known.get(originItem);
    if (item?.kind !== 'CatalogItem') {
      // Not answering (a timeout, a refused connection, a 5xx) says nothing of the item: the origin is unreachable.
      const unreachable = failures.find(isUnreachable);
      if (unreachable !== undefined) return { failure: unreachable };
      const why = failures.length > 0 ? ` (${failures.map(failureText).join('; ')})` : '';
      const missing = failure('not-dfc', `no dfc-b:CatalogItem ${originItem} at its origin${why}`, originItem);
      // The origin answered, and what it said is that the item is no more: 404/410, or its catalogue without it.
      const gone = read || failures.some((f) => f.kind === 'http-status' && (f.status === 404 || f.status === 410));
      return gone ? { failure: missing, gone: true } : { failure: missing };
    }
    if (item.product !== undefined && sameSite(item.product) && !fetched.has(catalogUrlOf(item.product))) await get(catalogUrlOf(item.product));
    const wholesale = item.product === undefined ? undefined : wholesaleOf(known, item.product);
    if (wholesale !== undefined && 'product' in wholesale && sameSite(wholesale.product) && itemOfProduct(known, wholesale.product) === undefined) await get(catalogUrlOf(wholesale.product));
    return originFrom(known, originItem);
  }

  /** One document of the origin, decoded (within `timeoutMs`, when less than the policy's time). */
  private async fetchRecords(url: string, timeoutMs?: number): Promise<{ records: DfcRecord[] } | { failure: Failure }> {
    const { policy } = this.deps;
    const bounded = timeoutMs === undefined || timeoutMs >= policy.totalTimeoutMs ? policy
      : { ...policy, totalTimeoutMs: Math.max(1, timeoutMs), connectTimeoutMs: Math.max(1, Math.min(policy.connectTimeoutMs, timeoutMs)) };
    const outcome = await this.deps.fetch({ url, headers: { accept: ACCEPT } }, bounded);
    if (!outcome.ok) return { failure: outcome.failure };
    const { response } = outcome;
    const mediaType = response.headers['content-type'] ?? 'application/ld+json';
    const decoded = await this.deps.decoder.decode(bodyText(response), { mediaType, base: response.url });
    const documentErrors = decoded.problems.filter((p) => p.id === null && p.severity === 'error');
    if (documentErrors.length > 0) return { failure: failure('not-dfc', documentErrors.map((p) => p.message).join('; '), response.url) };
    return { records: decoded.records };
  }

  // ------------------------------------------------------------------ publishing

  /** The shop's SuppliedProduct, CatalogItem and Offer for an origin. */
  private published(eid: string, ids: { product: NodeId; item: NodeId; offer: NodeId }, origin: Origin, terms: ListingTerms): DfcRecord[] {
    const owner = this.deps.urls.enterprise(eid) as NodeId;
    const source = origin.product;
    const stock = retailStock(origin.stockItem, origin.factor);
    const product: SuppliedProductRecord = {
      kind: 'SuppliedProduct', id: ids.product, images: [...source.images], variantOf: [], variants: [], catalogItems: [ids.item], suppliedBy: owner,
      ...(source.name !== undefined ? { name: source.name } : {}), ...(source.description !== undefined ? { description: source.description } : {}),
      ...(source.quantity !== undefined ? { quantity: source.quantity } : {}), ...(source.productType !== undefined ? { productType: source.productType } : {}),
      ...textLanguages(source, ['name', 'description']),
      extra: { [OWL.sameAs]: [{ '@id': source.id }] },
    };
    const item: CatalogItemRecord = {
      kind: 'CatalogItem', id: ids.item, product: ids.product, stock, offers: [ids.offer], managedBy: owner, listedIn: [],
      ...(origin.item.sku !== undefined ? { sku: origin.item.sku } : {}),
    };
    const price = retailPrice(origin.offer, origin.factor, terms);
    const offer: OfferRecord = { kind: 'Offer', id: ids.offer, item: ids.item, stock, ...(price !== undefined ? { price } : {}) };
    return [product, item, offer];
  }

  /**
   * Mirrors the origin's stock and price into a listing's item and offer; answers whether anything changed.
   * What would be published is checked as {@link add} checks it ({@link publishProblems}): values the shop cannot
   * publish (a price that rounds to 0.00 or overflows, a negative or absurd stock, an unknown currency) leave the
   * last good ones in place, and the listing says why in its `lastError`. So does, for a fixed price, an origin
   * that changed its currency (the price was set in the old one), and, on a pull (`plan`: the pack the origin
   * plans now), a pack that changed its size or case (the listing orders by the old one). A listing that was gone is
   * on sale again.
   */
  private async mirror(listing: ListingRow, stockItem: CatalogItemRecord, originOffer: OfferRecord, plan?: Wholesale): Promise<MirrorOutcome> {
    const planned = await this.planMirror(listing, stockItem, originOffer, plan);
    if (planned.why.length > 0) {
      const refused = failure('not-dfc', `kept the last published values: ${planned.why.join('; ')}`, listing.originItem);
      await this.noteError(listing, refused);
      return { ok: false, failure: refused };
    }
    return this.publishMirror(listing, planned.upsert);
  }

  /**
   * What {@link mirror} would write of a listing (its item and offer with the origin's stock, and the price its
   * terms make of the origin's), and why it must not (nothing written then); reads, writes nothing.
   */
  private async planMirror(
    listing: ListingRow, stockItem: CatalogItemRecord, originOffer: OfferRecord, plan?: Wholesale,
  ): Promise<{ upsert: DfcRecord[]; why: string[] }> {
    const { store } = this.deps;
    const stock = retailStock(stockItem, listing.factor);
    const price = retailPrice(originOffer, listing.factor, {
      ...(listing.price !== undefined ? { price: listing.price } : {}), ...(listing.markup !== undefined ? { markup: listing.markup } : {}),
    });
    const [item, offer] = await Promise.all([store.getResource(listing.item), store.getResource(listing.offer)]);
    const upsert: DfcRecord[] = [];
    const next: DfcRecord[] = [];
    if (item?.record.kind === 'CatalogItem') {
      next.push({ ...item.record, stock });
      if (item.record.stock !== stock) upsert.push(next[next.length - 1] as DfcRecord);
    }
    if (offer?.record.kind === 'Offer') {
      const { price: _old, ...rest } = offer.record;
      next.push({ ...rest, stock, ...(price !== undefined ? { price } : {}) });
      const samePrice = offer.record.price?.value === price?.value && offer.record.price?.currency === price?.currency;
      if (offer.record.stock !== stock || !samePrice) upsert.push(next[next.length - 1] as DfcRecord);
    }
    // The item and the offer carry the same stock: one reason is said once.
    const why = [...new Set(publishProblems(this.deps.decoder, next).map((p) => p.message))];
    const before = offer?.record.kind === 'Offer' ? offer.record.price?.currency : undefined;
    if (listing.price !== undefined && before !== undefined && price !== undefined && price.currency !== before) {
      why.push(`the origin now prices in ${price.currency}, and the fixed price ${listing.price} was set in ${before}`);
    }
    if (plan !== undefined && (plan.factor !== listing.factor || plan.product !== listing.originProduct)) {
      why.push(`the origin now sells it as ${plan.product} in packs of ${plan.factor}, listed as ${listing.originProduct} in packs of ${listing.factor}: list it again`);
    }
    return { upsert, why };
  }

  /** Writes what {@link planMirror} planned: the listing is on sale again, and its last error cleared. */
  private async publishMirror(listing: ListingRow, upsert: readonly DfcRecord[]): Promise<MirrorOutcome> {
    const { store } = this.deps;
    if (upsert.length > 0) await store.apply(listing.eid, { upsert: [...upsert] });
    // On sale again once what it publishes is the owner's again (never "available" with the stock of 0 of a gone one).
    let back = false;
    if (goneOf(listing) !== undefined) back = await store.orders.setListingDetail(listing.id, 'gone', null);
    if (listing.details?.['lastError'] !== undefined || upsert.length > 0) await this.noteError(listing, undefined);
    if (upsert.length === 0 && !back) return { ok: true, changed: false };
    this.deps.onChange?.();
    return { ok: true, changed: true };
  }

  /** Records why a listing's last mirror was refused (undefined: it was not), for its view. */
  private async noteError(listing: ListingRow, why: Failure | undefined): Promise<void> {
    await this.deps.store.orders.setListingDetail(listing.id, 'lastError', why === undefined ? null : { ...why, at: new Date().toISOString() });
  }

  /**
   * A local id for a new listing's records: free, and never one a removed listing published (old orders, caches
   * and the peers that listed it still name those `@id`s; given again, they would name another product).
   */
  private async mintLocalId(eid: string, name: string): Promise<string> {
    const { store, urls } = this.deps;
    const stem = `${LISTING_ID_PREFIX}${slugify(name)}`.slice(0, 100);
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? stem : `${stem}-${n}`;
      const iris = [urls.resource(eid, 'supplied_products', candidate), urls.resource(eid, 'catalog_items', candidate), urls.resource(eid, 'offers', candidate)];
      const taken = await store.getResources(iris);
      if (taken.length === 0 && (await store.orders.retiredListingIris(iris)).size === 0) return candidate;
    }
  }

  private async row(eid: string, id: number): Promise<ListingRow> {
    const row = Number.isInteger(id) ? await this.deps.store.orders.listing(id) : undefined;
    if (row?.eid !== eid) throw new NotFoundHttpError(`no listing ${id} in enterprise ${eid}`);
    return row;
  }

  private async view(row: ListingRow): Promise<ListingView> {
    const [item, offer] = await Promise.all([this.deps.store.getResource(row.item), this.deps.store.getResource(row.offer)]);
    const price = offer?.record.kind === 'Offer' ? offer.record.price : undefined;
    const gone = goneOf(row);
    return {
      id: row.id, eid: row.eid, item: row.item, offer: row.offer, product: row.product,
      origin: {
        item: row.originItem, offer: row.originOffer ?? null, product: row.originProduct, orders: row.originOrders, state: gone === undefined ? 'available' : 'gone',
        ...(gone !== undefined ? { goneSince: gone.since, goneReason: gone.reason } : {}),
      },
      factor: row.factor, price: row.price ?? null, markup: row.markup ?? null,
      published: {
        price: price?.value ?? null, currency: price?.currency ?? null, stock: item?.record.kind === 'CatalogItem' ? item.record.stock : null,
      },
      lastError: listingErrorOf(row.details?.['lastError']),
      createdAt: row.createdAt,
    };
  }
}

/** How many `owl:sameAs` a listing's origin is followed through, at most, looking for this node ({@link ListingService.add}). */
const SAME_AS_DEPTH = 4;
/** How many of those are asked of their site, at most, when no sync holds them: each is a request. */
const SAME_AS_REQUESTS = 3;

/** The `owl:sameAs` targets of a record (kept in `extra`). */
function sameAsOf(record: DfcRecord): string[] {
  return (record.extra?.[OWL.sameAs] ?? []).flatMap((v) => ('@id' in v && typeof v['@id'] === 'string' ? [v['@id']] : []));
}

/** The origin of an IRI, or undefined for one that is no URL. */
function originOf(iri: string): string | undefined {
  try {
    return new URL(iri).origin;
  } catch {
    return undefined;
  }
}

/**
 * Refuses terms that make no price: both a price and a markup, a price that {@link parsePrice} would not read
 * (not positive, more than two decimals, beyond {@link MAX_MONEY}), a markup of -100% or less. The same rules
 * whoever calls: the API and the command line parse with {@link parsePrice} and {@link parseMarkup} first.
 */
function checkTerms(terms: ListingTerms): void {
  if (terms.price !== undefined && terms.markup !== undefined) throw new UnprocessableEntityHttpError('give a price or a markup, not both');
  if (terms.price !== undefined && parsePrice(terms.price) === undefined) {
    throw new UnprocessableEntityHttpError(`price ${terms.price} is not an amount above 0 with at most 2 decimals`);
  }
  if (terms.markup !== undefined && parseMarkup(terms.markup) === undefined) {
    throw new UnprocessableEntityHttpError(`markup ${terms.markup}% is not a percentage above -100`);
  }
}

/**
 * Why the shop cannot publish a listing's records (none: it can): what `add` refuses with a 422 and what a mirror
 * declines. The node's record rules (the schemas, as for any record it stores), and what a shop sells at: a price
 * in a currency the node knows, in whole cents, above 0.00 and at most {@link MAX_MONEY} (a markup of -99.99% or a
 * tiny origin price ÷ a large pack must not publish a free item; 1e308 must not overflow to a null price); a
 * stock that is on demand (null) or a whole number of units from 0 to 2^53.
 */
function publishProblems(decoder: Decoder, records: readonly DfcRecord[]): Problem[] {
  const ours: Problem[] = [];
  for (const record of records) {
    if (record.kind !== 'CatalogItem' && record.kind !== 'Offer') continue;
    const type = `dfc-b:${record.kind}`;
    const stock: unknown = record.stock;
    if (stock !== null && !(typeof stock === 'number' && Number.isSafeInteger(stock) && stock >= 0)) {
      ours.push(problem('out-of-range', record.id, type, 'dfc-b:stockLimitation', `the stock would be ${String(stock)}: not on demand nor a whole number of units from 0 to 2^53`));
    }
    const value: unknown = record.kind === 'Offer' ? record.price?.value : undefined;
    if (value !== undefined && !(typeof value === 'number' && isMoney(value))) {
      ours.push(problem('out-of-range', record.id, type, 'dfc-b:hasPrice/dfc-b:value',
        `the price would be ${String(value)}: not an amount above 0 in whole cents, at most ${MAX_MONEY}`));
    }
  }
  const said = new Set(ours.map((p) => `${p.id ?? ''} ${p.path}`));
  const theirs = decoder.validate(records).flatMap((p): Problem[] => {
    if (said.has(`${p.id ?? ''} ${p.path}`)) return [];
    if (p.severity === 'error') return [p];
    // A currency the node does not know is only a warning for a record it keeps; it is no price to sell at.
    return p.code === 'unknown-unit' && p.path === 'dfc-b:hasPrice/dfc-b:hasUnit' ? [{ ...p, severity: 'error' }] : [];
  });
  return [...ours, ...theirs];
}

/** A listing's `lastError` as its details keep it, or null. */
function listingErrorOf(value: unknown): ListingError | null {
  if (typeof value !== 'object' || value === null) return null;
  const { kind, message, url, at } = value as Record<string, unknown>;
  if (typeof kind !== 'string' || typeof message !== 'string' || typeof at !== 'string') return null;
  return { kind: kind as Failure['kind'], message, ...(typeof url === 'string' ? { url } : {}), at };
}

/** Why a listing's origin is gone, or undefined while the owner sells its item. */
function goneOf(listing: ListingRow): GoneDetails | undefined {
  const gone = listing.details?.['gone'];
  if (typeof gone !== 'object' || gone === null) return undefined;
  const { since, reason } = gone as Record<string, unknown>;
  return { since: typeof since === 'string' ? since : '', reason: typeof reason === 'string' ? reason : 'removed at its origin' };
}

/**
 * Why a listing takes no order now, or undefined when it does: its origin removed the item, or the listing is
 * being removed. An order of it is refused at once (it would only fail at the owner, or name nothing).
 */
export function notOnSale(listing: ListingRow): string | undefined {
  const gone = goneOf(listing);
  if (gone !== undefined) return `${listing.originItem} is no longer sold by its owner (${gone.reason})`;
  if (listing.details?.['removing'] === true) return `the listing of ${listing.originItem} is being removed`;
  return undefined;
}


/** The catalog item a listing's stock comes from (the wholesale case's, for a pack). */
function stockItemOf(listing: ListingRow): string {
  const stockItem = listing.details?.['stockItem'];
  return typeof stockItem === 'string' ? stockItem : listing.originItem;
}

/** The languages of `fields` of a record (those it copies), as a record's `languages`; nothing when none has one. */
function textLanguages(record: DfcRecord, fields: readonly string[]): { languages?: Record<string, string> } {
  const kept = fields.flatMap((field) => {
    const language = record.languages?.[field];
    return language === undefined ? [] : [[field, language] as const];
  });
  return kept.length === 0 ? {} : { languages: Object.fromEntries(kept) };
}

/**
 * Retail units available: the origin's stock × factor, in whole units; null (on demand) stays null. Not clamped:
 * a negative, non-finite or absurd stock comes out as such, for {@link publishProblems} to refuse (a stock of -5
 * published as 0 would hide that the origin's word is broken).
 */
function retailStock(stockItem: CatalogItemRecord, factor: number): number | null {
  const stock: unknown = stockItem.stock;
  if (stock === null) return null;
  return typeof stock === 'number' ? Math.floor(stock * factor + 1e-9) : Number.NaN;
}

/**
 * The shop's price of one retail unit: fixed, or the origin's (÷ factor for a pack) with the markup, in cents.
 * Not checked here: a price that rounds to 0.00, or overflows, comes out as such for {@link publishProblems}.
 */
function retailPrice(offer: OfferRecord, factor: number, terms: ListingTerms): OfferRecord['price'] {
  if (offer.price === undefined) return undefined;
  const origin: unknown = offer.price.value;
  const value = terms.price ?? (typeof origin === 'number' ? cents((origin / factor) * (1 + (terms.markup ?? 0) / 100)) : Number.NaN);
  return { value, currency: offer.price.currency, ...(offer.price.vatRate !== undefined ? { vatRate: offer.price.vatRate } : {}) };
}

/** A wholesale case as a catalogue plans it: the product ordered, and how many retail units one of it holds. */
interface Wholesale {
  readonly product: string;
  readonly factor: number;
}

/**
 * The wholesale case a catalogue plans for a retail product, by Open Food Network's id convention: undefined when
 * the catalogue plans none (no `R/AsPlannedTransformation`, `R/AsPlannedConsumptionFlow` nor
 * `R/AsPlannedProductionFlow` among the records), the case when the plan is whole, else what is wrong with it.
 * A plan declared but broken is never read as "no plan": the retail item would be sold at its own stock and price,
 * and ordered by the unit, which its owner sells by the case.
 *
 * The factor (the consumption flow's quantity) must be a whole number from 1 to {@link MAX_PACK_FACTOR}, as Open
 * Food Network's are; the production flow, when it says a quantity, makes one case.
 */
function wholesaleOf(known: Known, retail: string): Wholesale | { problem: string } | undefined {
  const transformation = known.get(`${retail}${TRANSFORMATION}`);
  const consumption = known.get(`${retail}${CONSUMPTION}`);
  const production = known.get(`${retail}${PRODUCTION}`);
  if (transformation === undefined && consumption === undefined && production === undefined) return undefined;
  const broken = (why: string): { problem: string } => ({ problem: `the catalogue plans a wholesale pack of ${retail}, but ${why}` });
  if (consumption?.kind !== 'Resource' || !isFlow(consumption, DFC_B.AsPlannedConsumptionFlow)) return broken(`${retail}${CONSUMPTION} is not a dfc-b:AsPlannedConsumptionFlow`);
  if (production?.kind !== 'Resource' || !isFlow(production, DFC_B.AsPlannedProductionFlow)) return broken(`${retail}${PRODUCTION} is not a dfc-b:AsPlannedProductionFlow`);
  const consumes = extraRef(consumption, DFC_B.consumes);
  if (consumes !== retail) return broken(`its consumption flow consumes ${consumes ?? 'nothing'} (dfc-b:consumes), not the retail product`);
  const product = extraRef(production, DFC_B.produces);
  if (product === undefined) return broken('its production flow produces nothing (dfc-b:produces)');
  if (product === retail) return broken('its production flow produces the retail product itself');
  const factor = extraQuantity(consumption);
  if (typeof factor !== 'number' || !Number.isInteger(factor) || factor < 1 || factor > MAX_PACK_FACTOR) {
    return broken(`the pack factor (the consumption flow's dfc-b:hasQuantity) is ${JSON.stringify(factor) ?? 'missing'}, not a whole number from 1 to ${MAX_PACK_FACTOR}`);
  }
  const made = extraQuantity(production);
  if (made !== undefined && made !== 1) return broken(`its production flow makes ${JSON.stringify(made)} cases, not 1`);
  return { product, factor };
}

function isFlow(record: ResourceRecord, type: string): boolean {
  return record.types.includes(type);
}

/** The catalog item of a product among known records: the one its `referencedBy` names, or one that references it. */
function itemOfProduct(known: Known, product: string): CatalogItemRecord | undefined {
  const record = known.get(product);
  const named = record?.kind === 'SuppliedProduct' ? record.catalogItems.map((id) => known.get(id)).find((r) => r?.kind === 'CatalogItem') : undefined;
  if (named?.kind === 'CatalogItem') return named;
  for (const candidate of known.values()) if (candidate.kind === 'CatalogItem' && candidate.product === product) return candidate;
  return undefined;
}

/** The first priced offer of a catalog item among known records. */
function offerOfItem(known: Known, item: CatalogItemRecord): OfferRecord | undefined {
  const offers = item.offers.map((id) => known.get(id)).filter((r): r is OfferRecord => r?.kind === 'Offer');
  return offers.find((o) => o.price !== undefined && o.customerCategory === undefined) ?? offers.find((o) => o.price !== undefined);
}

/**
 * An origin from the records read, or why it is not usable. Every record the listing relies on (the item, its
 * product and offer, and for a wholesale case the planned flows, the case, its catalog item and offer) must be on
 * the listed item's own site: a site is the authority for its own products only. One that names a product,
 * offer or stock on another site would have the shop order there in its name (its orders go to the orders
 * collection of what is ordered), and sell stock and prices it made up about that site.
 */
function originFrom(known: Known, originItem: string): Origin | { failure: Failure } {
  const here = originOf(originItem);
  const offSite = (what: string, iri: string): { failure: Failure } => ({
    failure: failure('not-dfc', `the ${what} ${iri} of ${originItem} is on another site than the item (${here ?? 'none'}): `
      + 'a listing relies only on what the item\'s own site publishes', originItem),
  });
  // What names another site is refused as such, before anything is looked for there (and not found: nothing of it is read).
  const item = known.get(originItem);
  if (item?.kind === 'CatalogItem' && item.product !== undefined) {
    if (originOf(item.product) !== here) return offSite('product', item.product);
    const wholesale = wholesaleOf(known, item.product);
    if (wholesale !== undefined && 'product' in wholesale && originOf(wholesale.product) !== here) return offSite('wholesale product', wholesale.product);
  }
  const origin = originFromRecords(known, originItem);
  if ('failure' in origin) return origin;
  const relied = [
    ['product', origin.product.id], ['offer', origin.offer.id], ['ordered product', origin.ordered], ['catalog item of what is ordered', origin.stockItem.id],
    ...(origin.factor !== 1 || origin.ordered !== origin.product.id
      ? [['planned consumption flow', `${origin.product.id}${CONSUMPTION}`], ['planned production flow', `${origin.product.id}${PRODUCTION}`]] : []),
  ] as const;
  const foreign = relied.find(([, iri]) => originOf(iri) !== here);
  return foreign !== undefined ? offSite(foreign[0], foreign[1]) : origin;
}

/** An origin from the records read, whoever published them, or why it is not usable. */
function originFromRecords(known: Known, originItem: string): Origin | { failure: Failure } {
  const bad = (message: string): { failure: Failure } => ({ failure: failure('not-dfc', message, originItem) });
  const item = known.get(originItem);
  if (item?.kind !== 'CatalogItem') return bad(`no dfc-b:CatalogItem ${originItem} at its origin`);
  if (item.product === undefined) return bad(`the catalog item ${originItem} references no product (dfc-b:references)`);
  const product = known.get(item.product);
  if (product?.kind !== 'SuppliedProduct') return bad(`the product ${item.product} of ${originItem} is not in its catalogue`);
  const wholesale = wholesaleOf(known, product.id);
  if (wholesale !== undefined && 'problem' in wholesale) return bad(wholesale.problem);
  if (wholesale === undefined) {
    const offer = offerOfItem(known, item);
    if (offer === undefined) return bad(`the catalog item ${originItem} has no priced offer (dfc-b:offeredThrough)`);
    return { item, product, ordered: product.id, orderedProduct: product, offer, stockItem: item, factor: 1 };
  }
  const stockItem = itemOfProduct(known, wholesale.product);
  if (stockItem === undefined) return bad(`the wholesale product ${wholesale.product} of ${product.id} has no catalog item in its catalogue`);
  const offer = offerOfItem(known, stockItem);
  if (offer === undefined) return bad(`the wholesale product ${wholesale.product} of ${product.id} has no priced offer`);
  const orderedProduct = known.get(wholesale.product);
  if (orderedProduct?.kind !== 'SuppliedProduct') return bad(`the wholesale product ${wholesale.product} of ${product.id} is not in its catalogue`);
  return { item, product, ordered: wholesale.product, orderedProduct, offer, stockItem, factor: wholesale.factor };
}

/**
 * Whether a failure to read an origin means it did not answer (try again later) rather than that it answered
 * something: a timeout, a connection or transfer failure, a 5xx, or a 408/429 (busy).
 */
function isUnreachable(f: Failure): boolean {
  if (f.kind === 'http-status') return f.status === undefined || f.status >= 500 || f.status === 408 || f.status === 429;
  // `stopped`: this node gave the read up (it is stopping); the origin said nothing.
  return f.kind === 'timeout' || f.kind === 'network' || f.kind === 'truncated' || f.kind === 'too-many-redirects' || f.kind === 'stopped';
}

/** The HTTP error of an origin that could not be read. */
function httpErrorOf(f: Failure, originItem: string): Error {
  if (!isUnreachable(f)) return new UnprocessableEntityHttpError(`cannot list ${originItem}: ${failureText(f)}`);
  return new ServiceUnavailableHttpError(`the origin of ${originItem} cannot be reached: ${failureText(f)}`, { headers: { 'Retry-After': '60' } });
}
