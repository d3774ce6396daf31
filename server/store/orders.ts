/**
 * The persistence port of shared stock: each catalog item's ledger, the orders that hold, sell and release its
 * units, and the listings through which a shop sells another node's items.
 *
 * The ledger is the authority on stock. Its counters change only by conditional single statements inside one
 * transaction per order, so two orders can never take the same unit, and for every item at every moment
 * `initial + restocked = available + reserved + sold` (the database checks it on every write).
 *
 * @packageDocumentation
 */
import type { DfcRecord } from '../../ontology/records.js';

/** The ledger of one catalog item, at its owner. */
export interface StockLevel {
  readonly item: string;
  readonly eid: string;
  /** Sold to order: no limit, `available` is not consulted. */
  readonly onDemand: boolean;
  readonly initial: number;
  /** Every restock since (a write of the item's stock; negative for a write-off). */
  readonly restocked: number;
  readonly available: number;
  readonly reserved: number;
  readonly sold: number;
}

/** The life of an order: Pending while a supplier is asked, then Held, and at last Complete or Cancelled. */
export type OrderState = 'Pending' | 'Held' | 'Complete' | 'Cancelled';

/** A price as an order line records it. */
export interface LinePrice {
  readonly value: number;
  readonly currency: string;
}

/** One line of an order to store. */
export interface NewOrderLine {
  /** The offer the line concerns (ours). */
  readonly offer: string;
  /** The catalog item whose ledger the line draws on. */
  readonly item: string;
  readonly product?: string;
  readonly quantity: number;
  readonly price?: LinePrice;
  /** Set for a line sold from another node: nothing of the local ledger is reserved for it. */
  readonly listing?: number;
  /** What else to keep about the line (the buyer's own line id…). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** A stored order line. */
export interface OrderLineRow extends NewOrderLine {
  /** 1-based, stable: the line's `@id` is made from it. */
  readonly position: number;
  /** Units of the item's ledger this line holds (0 once sold or released, and for a listing's line). */
  readonly reserved: number;
  /**
   * Units of its offer's own ledger this line holds, when the offer has a stock of its own (absent: none, as for an
   * offer that mirrors its item's stock; gone once sold or released).
   */
  readonly offerReserved?: number;
}

/** A stored order. */
export interface OrderRow {
  readonly iri: string;
  /** The selling enterprise. */
  readonly eid: string;
  readonly number: number;
  readonly state: OrderState;
  /** The buyer's enterprise (`dfc-b:orderedBy`), when it said. */
  readonly orderedBy: string | null;
  /** The token (or other principal id) that placed it: a buyer sees its own orders. */
  readonly placedBy: string | null;
  /** The rest of the order as sent, and links to the orders placed upstream for it. */
  readonly details: Readonly<Record<string, unknown>>;
  readonly lines: readonly OrderLineRow[];
  readonly createdAt: string;
  readonly updatedAt: string;
  /** When a Pending or Held order gives its stock back if nothing touches it. */
  readonly expiresAt: string | null;
  /** Why a Cancelled order was closed (`cancelled`, `expired`, `refused upstream`…). */
  readonly closedReason: string | null;
}

/**
 * A line that could not be reserved: the quantity it asks and what the order could have of its item.
 *
 * The stock is counted per catalog item: every line of the order on the same item (on one offer or several) draws
 * on one ledger, and each of them is named, with its own quantity, what the order could have of the item, and
 * what the lines ask together. A line through an offer with a stock of its own draws on that offer's ledger too:
 * short of it, the line is named the same way, with what the order could have through the offer (`offer` set), and
 * the lines through that offer.
 */
export interface ShortLine {
  /** Index of the line in the request (0-based). */
  readonly index: number;
  readonly item: string;
  /** The line's own quantity (in an amendment, its new quantity, not the change). */
  readonly requested: number;
  /**
   * The most the order could have of the item: the ledger's available stock, plus what the order already holds of
   * it (an amendment). Shared by every line of the order on the item.
   */
  readonly available: number;
  /** The offer whose own stock the line is short of (absent: short of the item's). */
  readonly offer?: string;
  /** When other lines of the order draw on the same item: what all of them ask together, this one included. */
  readonly requestedTogether?: number;
  /** When other lines of the order draw on the same item: their indexes (0-based). */
  readonly sharedWith?: readonly number[];
}

/** The answer of a write that reserves stock: done, or refused with the lines that were short. */
export type Reservation<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly short: readonly ShortLine[] };

/** What every order to create says. */
interface NewOrderCommon {
  readonly eid: string;
  /**
   * The orders collection the order is created in: its `@id` is `{collection}/{number}` (a number per enterprise,
   * from 1; trailing slashes of the collection dropped). A URL, not a function of the number: the number is taken
   * in the statement that inserts the order, with no round trip before it.
   */
  readonly collection: string;
  readonly orderedBy?: string;
  readonly placedBy?: string;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly lines: readonly NewOrderLine[];
  /** The placements in flight whose answers this order records: forgotten in the transaction that stores it. */
  readonly settles?: readonly PlacementRef[];
}

/** An order to create, open: it reserves its lines of the local ledgers, all or none. */
export interface NewOpenOrder extends NewOrderCommon {
  readonly state: 'Pending' | 'Held';
  readonly expiresAt: string | null;
  /**
   * Makes a retried request safe: the same key, caller and request answer the order already created. With
   * `replaces`, an order the same request made before that placed nothing (its suppliers could not be reached): when
   * the key still answers that order, it answers this new one from now on (else the order it answers is the answer).
   */
  readonly idempotency?: { readonly caller: string; readonly key: string; readonly requestHash: string; readonly replaces?: string };
  readonly closedReason?: never;
}

/**
 * An order refused before it was accepted (a supplier refused its listed lines, asked first, or a line's listing
 * is no longer on sale), recorded closed: it reserves nothing, never expires, and says why. With a key, a retry
 * of the same request finds it (and is answered the same refusal).
 */
export interface NewRefusedOrder extends NewOrderCommon {
  readonly state: 'Cancelled';
  readonly closedReason: string;
  readonly expiresAt?: null;
  readonly idempotency?: NewOpenOrder['idempotency'];
}

/** An order to create. */
export type NewOrder = NewOpenOrder | NewRefusedOrder;

/** What {@link OrderStore.create} answers. */
export type CreateOutcome =
  | { readonly ok: true; readonly order: OrderRow; readonly replayed: boolean }
  | { readonly ok: false; readonly short: readonly ShortLine[] }
  | { readonly ok: false; readonly keyReused: true; readonly order: OrderRow };

/** A listing to store. */
export interface NewListing {
  readonly eid: string;
  readonly item: string;
  readonly offer: string;
  readonly product: string;
  readonly originItem: string;
  readonly originOffer?: string;
  /** What is ordered from the owner: the origin's product, or its wholesale case. */
  readonly originProduct: string;
  /** The owner's orders collection. */
  readonly originOrders: string;
  /** Retail units in one unit ordered from the owner (1, or the size of a case). */
  readonly factor: number;
  /** A fixed price, or a markup in percent over the origin's price. */
  readonly price?: number;
  readonly markup?: number;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** A stored listing. */
/** The keys of a listing's details that are written one at a time (see {@link OrderStore.setListingDetail}). */
export type ListingDetailKey = 'lastError' | 'gone' | 'removing';

export interface ListingRow extends NewListing {
  readonly id: number;
  readonly createdAt: string;
}

/**
 * Whether a listing publishes a record: its product, catalog item or offer, or a record under its product (its
 * planned flows, `<product>/…`), as {@link OrderStore.listingsPublishing} finds them. Those are the listing's, kept
 * by it from its origin: no catalogue write or import changes them.
 */
export function listingPublishes(listing: Pick<ListingRow, 'product' | 'item' | 'offer'>, iri: string): boolean {
  return iri === listing.product || iri === listing.item || iri === listing.offer || iri.startsWith(`${listing.product}/`);
}

/** A resource an order line names, with what it draws on when it is an Offer ({@link OrderStore.orderable}). */
export interface Orderable {
  /** The enterprise that holds the resource. */
  readonly eid: string;
  readonly record: DfcRecord;
  /** When the resource is an Offer that names its item: the item's `@id`, the item, and the listing it is sold from. */
  readonly offered?: {
    readonly itemIri: string;
    /** The item's enterprise and record; absent when no resource has that `@id`. */
    readonly item?: { readonly eid: string; readonly record: DfcRecord };
    /** The listing published as that item (or as an offer of that `@id`), as {@link OrderStore.listingByLocal} finds it. */
    readonly listing?: ListingRow;
  };
}

/**
 * How an owed cancellation finds the supplier's order when it never learnt its `@id` (the supplier took the POST
 * but its answer was lost): the same POST again, with the same Idempotency-Key and body, which a supplier answers
 * with the order it made for it (or makes it, when the first never arrived).
 */
export interface UpstreamPlacement {
  readonly key: string;
  /** The lines sent, as {@link UpstreamCancellation.target}'s supplier was sent them (the order service's `UpstreamLine`s). */
  readonly lines: readonly { readonly offer?: string; readonly product: string; readonly quantity: number }[];
  readonly via?: readonly string[];
  readonly sessionEnd?: string;
}

/** A cancellation a shop owes a supplier, to record. */
export interface NewUpstreamCancellation {
  /** The shop enterprise whose order it was (the buyer the supplier knows). */
  readonly eid: string;
  /** The shop's own order it was placed for, if any (for the operator). */
  readonly order?: string;
  /** The supplier's order, or its orders collection when {@link placement} is given. */
  readonly target: string;
  readonly placement?: UpstreamPlacement;
  /**
   * The Idempotency-Key of a placement in flight that amends {@link target} (no {@link placement}: a PUT of the
   * supplier's order): what {@link OrderStore.recordPlacements} tells it apart by.
   */
  readonly key?: string;
  /** Why it is owed, for the operator. */
  readonly reason: string;
  /** When to try first (ISO instant). */
  readonly nextAt: string;
  /** When to stop trying: the supplier's hold has surely run out by then (ISO instant). */
  readonly giveUpAt: string;
}

/**
 * A placement in flight, as {@link OrderStore.recordPlacements} recorded it: the supplier's orders collection (or
 * the order amended) and the Idempotency-Key sent.
 */
export interface PlacementRef {
  readonly target: string;
  readonly key: string;
}

/** A cancellation a shop owes a supplier, as stored. */
export interface UpstreamCancellation extends NewUpstreamCancellation {
  readonly id: number;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly createdAt: string;
}

/** The port. */
export interface OrderStore {
  /** The ledger of one item. */
  stock(item: string): Promise<StockLevel | undefined>;
  /** The ledgers of an enterprise's items, by item. */
  stockOf(eid: string): Promise<StockLevel[]>;

  /**
   * Creates an order and reserves the stock of all its lines at once (a listing's lines excepted), or of none:
   * when a line is short, nothing is written and the short lines are answered.
   */
  create(order: NewOrder): Promise<CreateOutcome>;
  /** One order by `@id`. */
  get(iri: string): Promise<OrderRow | undefined>;
  /**
   * An enterprise's orders, newest first: a buyer's own with `placedBy`; with `heldAt` (an ISO instant) only those
   * Held and not expired then. `total` is how many there are in all, unless `count` is false (then it is the number
   * of orders answered: a caller that needs no total saves a query). With `before`, only the orders numbered below
   * it (older than the one numbered so: where a page of a list ended, which a new order does not move).
   */
  list(eid: string, options: { placedBy?: string; heldAt?: string; before?: number; offset: number; limit: number; count?: boolean }): Promise<{ orders: OrderRow[]; total: number }>;
  /**
   * Replaces the lines of a Pending or Held order: reservations follow the new quantities, all or nothing.
   * Refused with {@link OrderStateError} when the order is closed.
   */
  amend(iri: string, change: {
    lines: readonly NewOrderLine[]; details?: Readonly<Record<string, unknown>>; expiresAt: string | null; state?: 'Pending' | 'Held';
    /** The placements in flight whose answers the change records: forgotten in its transaction. */
    settles?: readonly PlacementRef[];
  }): Promise<Reservation<OrderRow>>;
  /**
   * Marks an open order Held, with new details and expiry, its lines as `order` holds them: the order its
   * suppliers accepted (one statement, where {@link amend} reads the order first). Only when the order is still as
   * `order` was read (open, and not written since: same `updatedAt`); undefined otherwise, nothing then written.
   * `settles`: the placements in flight whose answers the change records, forgotten with it.
   */
  hold(order: OrderRow, change: { details: Readonly<Record<string, unknown>>; expiresAt: string | null; settles?: readonly PlacementRef[] }): Promise<OrderRow | undefined>;
  /** Completes an order: what it reserved is sold. */
  complete(iri: string, details?: Readonly<Record<string, unknown>>): Promise<OrderRow>;
  /**
   * Cancels an order: what it reserved comes back. `reason` says why (`cancelled`, `expired`…). `asRead`, the order
   * as the caller read it: when it still is (open, same `updatedAt`), its lines are taken from it, not read again.
   */
  cancel(iri: string, reason: string, details?: Readonly<Record<string, unknown>>, asRead?: OrderRow): Promise<OrderRow>;
  /** Pending or Held orders whose time is up, oldest first. */
  expired(now: string, limit: number): Promise<OrderRow[]>;
  /**
   * At start, what a stopped process left being placed with suppliers (nothing is placing it any more): every
   * placement still recorded in flight becomes a cancellation owed, due `now` (the supplier may have taken it),
   * and every open order being placed (Pending) or amended (named by such a placement) is due now (its expiry
   * `now`), for the expiry sweep, or its first reader, to cancel. Answers how many of each.
   */
  interruptPending(now: string): Promise<{ readonly orders: number; readonly placements: number }>;
  /** Records what an order knows (upstream links…) without touching its lines or state. */
  setDetails(iri: string, details: Readonly<Record<string, unknown>>): Promise<void>;

  /**
   * Records cancellations owed to suppliers (kept until {@link settleUpstream}); one already owed for the same
   * target (and key) is kept as it is.
   */
  oweUpstream(cancellations: readonly NewUpstreamCancellation[]): Promise<void>;
  /**
   * Records placements about to be sent to suppliers (each with the key and lines it sends): not owed while this
   * process still waits for their answers (none of them is due), and owed from the next start if it never stored
   * them ({@link interruptPending}). A cancellation then owed ({@link oweUpstream}) for the same target and key
   * takes the placement's place.
   */
  recordPlacements(placements: readonly NewUpstreamCancellation[]): Promise<void>;
  /** Forgets placements in flight whose answers were dealt with (those since owed stay owed). */
  settlePlacements(placements: readonly PlacementRef[]): Promise<void>;
  /** The owed cancellations due at `now` (an ISO instant), soonest first. */
  upstreamDue(now: string, limit: number): Promise<UpstreamCancellation[]>;
  /** Every owed cancellation, oldest first (at most `limit`). */
  upstreamOwed(limit: number): Promise<UpstreamCancellation[]>;
  /** Forgets an owed cancellation: done, refused for good, or given up. */
  settleUpstream(id: number): Promise<void>;
  /**
   * Puts an owed cancellation off after a failed attempt: its count of attempts, when to try next, why it failed,
   * and (once learnt) the supplier's order it is now about, no longer found by its placement.
   */
  postponeUpstream(id: number, change: { readonly attempts: number; readonly nextAt: string; readonly lastError: string; readonly target?: string }): Promise<void>;

  addListing(listing: NewListing): Promise<ListingRow>;
  listings(eid: string): Promise<ListingRow[]>;
  listing(id: number): Promise<ListingRow | undefined>;
  /** The listings of an item of another node (to mirror its stock when it changes). */
  listingsOf(originItem: string): Promise<ListingRow[]>;
  /**
   * The listings whose origin item, origin offer, ordered product, stock item or retail product (the last two
   * named in their details: a wholesale case's) is one of `iris`, by id: those a batch of records received from a
   * peer, or a change its feed names, may change.
   */
  listingsTouching(iris: readonly string[]): Promise<ListingRow[]>;
  /** Whether any listing exists at all: when none does, what a sync received cannot touch one (and need not be read again). */
  hasListings(): Promise<boolean>;
  /** The listing published as a local catalog item or offer, if any. */
  listingByLocal(iri: string): Promise<ListingRow | undefined>;
  /**
   * The listings that publish one of `iris` as their own product, catalog item or offer, or (a record named under
   * a listing's product, such as its planned flows) under it: what a catalogue write must leave to the listing.
   */
  listingsPublishing(iris: readonly string[]): Promise<ListingRow[]>;
  /** Those of `iris` a removed listing published: never given to another listing (or product) again. */
  retiredListingIris(iris: readonly string[]): Promise<Set<string>>;
  /**
   * The resource `iri` and, when it is an Offer, its item and that item's listing, in one read: what the usual
   * order line (one that `concerns` an Offer) draws on, read as `getResource` and {@link listingByLocal}
   * would, one round trip instead of three.
   */
  orderable(iri: string): Promise<Orderable | undefined>;
  removeListing(id: number): Promise<boolean>;
  /**
   * Sets (or, with null, removes) one key of a listing's details in one statement, the rest of them untouched (what
   * another writer set meanwhile is kept): `lastError` (why its last mirror kept the published values), `gone` (its
   * origin removed the item), `removing` (a removal under way). False when nothing changed (no such listing, or a
   * key to remove that is not set).
   */
  setListingDetail(id: number, key: ListingDetailKey, value: unknown): Promise<boolean>;
  /**
   * Sets a listing's terms in one statement: a fixed price, a markup over its origin's price, or neither (the
   * origin's price); the terms not given are cleared. Answers the listing as stored, or undefined when there is none.
   */
  setListingTerms(id: number, terms: { readonly price?: number; readonly markup?: number }): Promise<ListingRow | undefined>;
  /**
   * The open orders (Pending, or Held and not expired at `now`, an ISO instant) with a line sold from a listing:
   * those a removal of the listing would leave naming nothing, oldest first.
   */
  openOrdersOfListing(id: number, now: string): Promise<OrderRow[]>;
}

/** Raised when an order cannot change in its state (a completed order amended, a cancelled one completed). */
export class OrderStateError extends Error {
  public override readonly name = 'OrderStateError';

  public constructor(public readonly iri: string, public readonly state: OrderState) {
    super(`order ${iri} is ${state}`);
  }
}

/** Raised when an order or listing named does not exist. */
export class UnknownOrderError extends Error {
  public override readonly name = 'UnknownOrderError';

  public constructor(public readonly iri: string) {
    super(`no order ${iri}`);
  }
}
