/**
 * Orders placed with a selling enterprise: the DFC Orders API behind the HTTP routes, and the one place that
 * decides what an order reserves, sells and releases.
 *
 * An order's lines concern offers. A line on one of the enterprise's own items draws on that item's ledger (the
 * store reserves all lines at once, or none). A line on a listing (another node's item this shop sells) is
 * ordered from the item's owner first, through {@link UpstreamOrders}: the customer's order is accepted only once
 * every owner has accepted, and when one refuses or cannot be reached, everything is rolled back.
 *
 * Bodies are read as Open Food Network sends its backorders: JSON-LD under `application/json`, the order's `@id`
 * being the collection URL when new, `quantity` a number or a string, lines that `concerns` an Offer whose
 * `offeredItem` is a SuppliedProduct, and bare references (an Offer without price) that are not incomplete.
 *
 * @packageDocumentation
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Iri, NodeId } from '../../ontology/iri.js';
import type { CatalogItemRecord, DfcRecord, OfferRecord, OrderLineRecord, OrderRecord, Price, SaleSessionRecord } from '../../ontology/records.js';
import { measureIri } from '../../ontology/units.js';
import { DFC_NAMESPACES } from '../../ontology/namespaces.js';
import { DFC_V_NS } from '../../ontology/vocabulary.js';
import { shortName } from '../codec/compact.js';
import type { DecodeResult, Decoder, RejectedResource } from '../codec/decode.js';
import { dateMoment, inThousandths, QUANTITY_STEP } from '../codec/values.js';
import {
  BadRequestHttpError, ConflictHttpError, ForbiddenHttpError, NotFoundHttpError, ServiceUnavailableHttpError, UnprocessableEntityHttpError,
} from '../errors/http-error.js';
import { problem, SYNTAX_ERRORS, type Problem, type ProblemCode } from '../errors/problem.js';
import {
  OrderStateError, type ListingRow, type NewOrderLine, type OrderLineRow, type OrderRow, type PlacementRef, type ShortLine,
} from '../store/orders.js';
import { MAX_QUANTITY, type NodeStore } from '../store/store.js';
import { notOnSale } from './listings.js';
import { UpstreamCancellations, type OwedCancellation, type UpstreamCancellationEvent } from './upstream-cancellations.js';
import type { NodeUrls } from '../urls/node-urls.js';

/** A request body, with its media type. */
export interface OrderBody {
  readonly text: string;
  readonly mediaType: string;
}

/** Who places or reads an order: a token of the selling enterprise (its own, or a customer's), or the admin. */
export interface OrderCaller {
  /** The token's id (a buyer sees the orders it placed). */
  readonly id: string;
  /** Whether it may read every order of the enterprise (`ReadOrders`), not only its own. */
  readonly readsAll: boolean;
  /**
   * The nodes the order came through before this one ({@link ORDER_VIA_HEADER}), the buyer's node last: none
   * for an order placed by a customer, Open Food Network or any other buyer that sends no such header.
   */
  readonly via?: readonly string[];
}

/**
 * The header by which a node placing an order at a supplier for its listings names the nodes the order came
 * through, itself last (`Maillon-Order-Via: https://shop-b.example, https://shop-c.example`): the path of one
 * customer's order through the shops that list one another's items. A node never takes an order that has come
 * back to it (a listing of a listing that leads back: the order would go round for ever), nor one that has
 * come through more than {@link MAX_ORDER_HOPS} nodes. A buyer that sends none starts a path.
 */
export const ORDER_VIA_HEADER = 'Maillon-Order-Via';

/** The most nodes an order may come through before the one that takes it (each a shop ordering from the next). */
export const MAX_ORDER_HOPS = 4;

/** A node's base URL as an order's path names it: scheme, host and path, no trailing slash (case of the host ignored). */
export function nodeOfPath(base: string): string | undefined {
  try {
    const url = new URL(base);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return `${url.origin}${url.pathname.replace(/\/+$/u, '')}`;
  } catch {
    return undefined;
  }
}

/** One line asked of a supplier: whole units of what it sells (cases, for a wholesale pack). */
export interface UpstreamLine {
  /** The supplier's offer, when known. */
  readonly offer?: string;
  /** The supplier's product (what OFN matches lines by). */
  readonly product: string;
  readonly quantity: number;
}

/** A line a supplier said it is short of: what it was asked and what it has, in what it sells (cases, for a wholesale pack). */
export interface UpstreamShortLine {
  /** Index of the line among the lines sent to it (0-based). */
  readonly index: number;
  readonly requested: number;
  readonly available: number;
}

/** What a supplier answered. */
export type UpstreamOutcome =
  | { readonly ok: true; readonly order: string }
  | {
    readonly ok: false; readonly status: 409 | 503; readonly reason: string;
    /** The lines sent that the supplier said it is short of, when it said (a Maillon node does, in `shortLines`). */
    readonly short?: readonly UpstreamShortLine[];
    /** The supplier's own HTTP status, when it answered one (a 409 may stand for its 400, 401, 403, 404 or 422). */
    readonly httpStatus?: number;
  };

/**
 * A short line as a 409 names it (the `shortLines` member of the problem, one entry per short line): always in the
 * customer's order, its lines, offers and units, whether the line draws on our stock or on a supplier's (a listing).
 */
export interface ShortLineReport {
  /** The line's position among the order's lines (1-based). */
  readonly line: number;
  /** The line's `@id` as the buyer sent it. */
  readonly id?: string;
  /** Our offer the line concerns. */
  readonly offer?: string;
  /** Our catalog item the line draws on (or sells from its supplier). */
  readonly item: string;
  /** The line's own quantity (in an amendment, its new quantity). */
  readonly requested: number;
  /**
   * The most the order could have of what the line draws on: the available stock, with what the order already
   * holds of it (an amendment). For a listed line, what its supplier has, in retail units (its packs × `factor`).
   * Lines of the order on the same stock share it (see `sharedWith`).
   */
  readonly available: number;
  /** When other lines of the order draw on the same stock: what all of them ask together, this one included. */
  readonly requestedTogether?: number;
  /** When other lines of the order draw on the same stock: their positions. */
  readonly sharedWith?: readonly number[];
  /**
   * A listed line: what was asked of the item's owner and what it has, in what it sells (packs of `factor` of our
   * units); `requested` there is for every line of the order ordered as the same product.
   */
  readonly supplier?: { readonly requested: number; readonly available: number; readonly factor: number };
}

/**
 * Orders placed at another node for the listings a shop sells: the port the order service asks, implemented with
 * the node's safe HTTP client (bounded time and size).
 */
export interface UpstreamOrders {
  /** Places an order (Held) at `ordersUrl`, or replaces the lines of the order `existing` placed before. */
  place(request: {
    readonly ordersUrl: string; readonly existing?: string; readonly orderedBy: string; readonly lines: readonly UpstreamLine[]; readonly key: string;
    /** The nodes the order came through, this one last ({@link ORDER_VIA_HEADER}). */
    readonly via?: readonly string[];
    /**
     * Until when the supplier is asked to hold its order, sent as the end of the order's sale session: our order's
     * expiry (so that the supplier's hold, counted from it, never runs out before ours).
     */
    readonly sessionEnd?: string;
  }): Promise<UpstreamOutcome>;
  /** Completes an order placed before. */
  complete(order: string, lines: readonly UpstreamLine[], orderedBy: string): Promise<UpstreamOutcome>;
  /** Cancels an order placed before (best effort: the supplier's hold expires anyway). */
  cancel(order: string, orderedBy: string): Promise<UpstreamOutcome>;
  /**
   * The status of an order placed before, as the supplier says it now; undefined when it does not say. Asked when
   * the supplier refuses a change of its order: one it closed (expired, or cancelled there) closes ours.
   */
  state?(order: string): Promise<OrderStatusName | undefined>;
}

/** What the service needs. */
export interface OrderServiceDeps {
  readonly store: NodeStore;
  readonly decoder: Decoder;
  readonly urls: NodeUrls;
  /** How long an untouched order holds its stock (default 30 minutes), after the end of its sale session if it has one. */
  readonly holdMs?: number;
  /** Orders to suppliers, for listed items (none: a listing's line is refused). */
  readonly upstream?: UpstreamOrders;
  /** The clock (tests move it). */
  readonly now?: () => number;
  /** Called after stock moved (wakes the webhook deliveries). */
  readonly onChange?: () => void;
  /** Told of an order the expiry sweep could not close (it goes on with the others). */
  readonly onExpiryError?: (order: string, error: unknown) => void;
  /** Told what becomes of the cancellations owed to suppliers (for the operator's log). */
  readonly onUpstreamCancellation?: (event: UpstreamCancellationEvent) => void;
  /** The delay before an owed cancellation is first retried (default 1 s; doubled each time, up to 10 minutes). */
  readonly upstreamRetryMs?: number;
  /** Whether a supplier takes an `Idempotency-Key` (see `UpstreamCancellationsDeps.honoursKeys`; none: no supplier does). */
  readonly honoursIdempotencyKeys?: (ordersUrl: string) => Promise<boolean | undefined>;
}

/** The DFC order statuses, by local name. */
export type OrderStatusName = 'Draft' | 'Held' | 'Complete' | 'Cancelled';

/** An order as the API shows it: the records of its graph. */
export interface OrderView {
  readonly order: OrderRow;
  readonly records: readonly DfcRecord[];
}

/** A line of a request, resolved to what it draws on. */
interface ResolvedLine extends NewOrderLine {
  /** The line's `@id` as the buyer sent it. */
  readonly sentId: string;
  /** The Offer as the buyer sent it (echoed: OFN matches its lines by `offeredItem`). */
  readonly sentOffer?: OfferRecord;
  /** The listing the line is sold from, as read when the line was resolved. */
  readonly listingRow?: ListingRow;
}

/** A parsed order request. */
interface OrderRequest {
  readonly order: OrderRecord;
  /**
   * Whether the body says what the lines are: it holds OrderLine nodes, or its Order names none. An Order that
   * names lines the body does not hold refers to them (a status change), and changes none.
   */
  readonly linesGiven: boolean;
  readonly status: OrderStatusName | undefined;
  readonly lines: readonly ResolvedLine[];
  readonly saleSession?: SaleSessionRecord;
}

const DEFAULT_HOLD_MS = 30 * 60_000;
/**
 * The furthest a sale session's end holds an order open (from now): a season of order cycles. A buyer naming a
 * session that ends in years does not hold stock for years.
 */
const MAX_SESSION_HOLD_MS = 90 * 86_400_000;
/** One of what is sold: the unit an order line's quantity counts in. */
const PIECE: string = measureIri('Piece');
/**
 * The most lines of one order: far above any real order (Open Food Network's backorders have a few dozen), far
 * below what would hold the event loop for seconds (each line is looked up) or make a page of orders huge.
 */
const MAX_LINES = 1000;


/**
 * A quantity taken ({@link inThousandths}) as the decimal it is, in whole thousandths: the line reserves and later
 * gives back exactly that (`999999999.9990001`, one unit in the last place from `999999999.999` at that size, was
 * reserved rounded by the ledger but kept as written by its line, which then could never give it back: a 500).
 */
function inWholeThousandths(quantity: number): number {
  return Math.round(quantity * QUANTITY_STEP) / QUANTITY_STEP;
}

/** The most open orders {@link OrderService.openOrderRecords} gives (a buyer holds one per order cycle, or a few). */
const OPEN_ORDERS_SHOWN = 100;

/** The DFC order statuses, as the vocabulary names them. */
const ORDER_STATUSES: readonly OrderStatusName[] = ['Draft', 'Held', 'Complete', 'Cancelled'];

/** The vocabulary namespace of every DFC generation: a status is one of its terms (`dfc-v:Held`). */
const VOCABULARY_NAMESPACES: readonly string[] = [...new Set(Object.values(DFC_NAMESPACES).map((ns) => ns['dfc-v']))];

/**
 * The DFC order status a value names: a term of the DFC vocabulary (its IRI in any generation's namespace, or
 * `dfc-v:Held` left unexpanded), or the bare name. Undefined for anything else: `http://evil.example/Held`, a
 * status of another vocabulary, a name in other case (the vocabulary's terms are case-sensitive IRIs).
 */
export function statusName(value: string | undefined): OrderStatusName | undefined {
  if (value === undefined) return undefined;
  const namespace = VOCABULARY_NAMESPACES.find((ns) => value.startsWith(ns)) ?? (value.startsWith('dfc-v:') ? 'dfc-v:' : '');
  const name = value.slice(namespace.length);
  return ORDER_STATUSES.find((k) => k === name);
}

function statusOf(order: OrderRow): OrderStatusName {
  return order.state === 'Pending' ? 'Draft' : order.state;
}

/** The orders of the node's enterprises. */
export class OrderService {
  private readonly holdMs: number;
  private readonly now: () => number;
  /**
   * The change of each order in progress: changes of one order run one after another (an amendment's upstream
   * placement, a completion and the expiry sweep would otherwise undo one another's snapshot of the lines).
   */
  private readonly inProgress = new Map<string, Promise<unknown>>();
  /** Bodies decoded for the request that holds them (gone with it). */
  private readonly decodedBodies = new WeakMap<OrderBody, Map<string, Promise<DecodeResult>>>();
  /** The cancellations owed to suppliers that could not be reached (or whose answer was lost). */
  private readonly owed: UpstreamCancellations;

  public constructor(private readonly deps: OrderServiceDeps) {
    this.holdMs = deps.holdMs ?? DEFAULT_HOLD_MS;
    this.now = deps.now ?? Date.now;
    this.owed = new UpstreamCancellations({
      store: deps.store.orders, upstream: deps.upstream, orderedBy: (eid) => this.orderedByOf({ eid }), now: this.now, holdMs: this.holdMs,
      ...(deps.onUpstreamCancellation !== undefined ? { onEvent: deps.onUpstreamCancellation } : {}),
      ...(deps.upstreamRetryMs !== undefined ? { firstDelayMs: deps.upstreamRetryMs } : {}),
      ...(deps.honoursIdempotencyKeys !== undefined ? { honoursKeys: deps.honoursIdempotencyKeys } : {}),
    });
  }

  /**
   * Tries again the cancellations owed to suppliers that are due (the node's timers call it every second or so):
   * each until the supplier confirms it, refuses it for good, or its hold there has surely run out.
   */
  public async retryUpstreamCancellations(): Promise<{ settled: number; postponed: number }> {
    return this.owed.retryDue();
  }

  /** Runs `change` once no other change of the same order is in progress. */
  private async serialised<T>(iri: string, change: () => Promise<T>): Promise<T> {
    const before = this.inProgress.get(iri) ?? Promise.resolve();
    const run = before.catch(() => undefined).then(change);
    const settled = run.catch(() => undefined);
    this.inProgress.set(iri, settled);
    try {
      return await run;
    } finally {
      if (this.inProgress.get(iri) === settled) this.inProgress.delete(iri);
    }
  }

  /** The `@id` of order `number` in the collection at `collection` (the rule the order store follows when it creates one). */
  public static orderIri(collection: string, number: number): string {
    return `${collection.replace(/\/+$/u, '')}/${number}`;
  }

  /**
   * Creates an order, reserving the stock of all its lines or none.
   *
   * @param collection - the orders collection the request was sent to (the order's `@id` is made under it)
   * @param key - the `Idempotency-Key` header: a retried request with the same key and body answers the same order
   * @throws ConflictHttpError (409) naming each short line; ServiceUnavailableHttpError (503) when a supplier cannot be reached
   */
  public async create(eid: string, collection: string, body: OrderBody, caller: OrderCaller, key?: string): Promise<OrderView & { replayed: boolean }> {
    const via = this.pathOf(caller);
    const request = await this.read(eid, body, collection);
    if (request.status === 'Cancelled') throw new UnprocessableEntityHttpError('a new order cannot be Cancelled');
    if (request.lines.length === 0) throw new UnprocessableEntityHttpError('an order needs at least one line with a quantity above 0');
    // A line of a listing no longer on sale is refused at once; with a key, the refusal is recorded (a Cancelled
    // order reserving nothing), so that a retry gets the same answer, or the first attempt's order if it had one.
    const stopped = notOnSaleOf(request.lines);
    if (stopped !== undefined && key === undefined) throw notOnSaleError(stopped);
    const upstreamLines = request.lines.filter((l) => l.listing !== undefined);
    if (key === undefined && upstreamLines.length === request.lines.length) {
      return { ...(await this.view(await this.createPlacedFirst(eid, collection, request, caller, via))), replayed: false };
    }
    const stored = (replaces?: string) => this.deps.store.orders.create({
      ...newOrderOf(eid, collection, request, caller),
      ...(stopped !== undefined
        ? { state: 'Cancelled' as const, closedReason: `not on sale: ${stopped.notes.join('; ')}`, details: { ...this.detailsOf(request), notOnSale: stopped } }
        // Pending: the sweep that expires it is what recovers an order a crash left being placed, after the hold alone
        // (its sale session's end is its expiry once its suppliers answered and it is Held).
        : upstreamLines.length > 0
          ? { state: 'Pending' as const, details: this.detailsOf(request), expiresAt: this.expiry() }
          : { state: 'Held' as const, details: this.detailsOf(request), expiresAt: this.expiry(request.saleSession) }),
      ...(key !== undefined ? {
        idempotency: { caller: caller.id, key, requestHash: createHash('sha256').update(body.text).digest('base64url'), ...(replaces !== undefined ? { replaces } : {}) },
      } : {}),
    });
    let outcome = await stored();
    // A retry of a request whose supplier could not be reached (a 503: nothing was placed) is not answered that 503
    // again and again: it is placed again, as a new order that the key answers from now on (one retry at a time:
    // a concurrent one finds the new order, being placed, as any retry does).
    if (outcome.ok && outcome.replayed && outcome.order.state === 'Cancelled' && temporary(refusedUpstreamOf(outcome.order))) {
      outcome = await stored(outcome.order.iri);
    }
    if (!outcome.ok) {
      if ('keyReused' in outcome) throw new UnprocessableEntityHttpError(`the Idempotency-Key ${JSON.stringify(key)} was used for another request`);
      throw this.shortAnswer(outcome.short, { eid, lines: request.lines.map(stripSent) });
    }
    let order = outcome.order;
    // A retry while the first attempt is still being placed with its suppliers: its answer is not known yet, and a
    // 201 would tell the buyer an order is placed that they may still refuse (draft-ietf-httpapi-idempotency-key-header: 409).
    if (outcome.replayed && order.state === 'Pending') {
      throw new ConflictHttpError(`the request with Idempotency-Key ${JSON.stringify(key)} is still being placed with its suppliers; retry in a moment for its answer`, {
        headers: { 'Retry-After': '1' },
      });
    }
    const notOnSale = order.state === 'Cancelled' ? notOnSaleRecorded(order) : undefined;
    if (notOnSale !== undefined) throw notOnSaleError(notOnSale);
    // A retry of a request its suppliers refused answers the same refusal, not a 200 with a Cancelled order.
    const refused = refusedUpstreamOf(order);
    if (outcome.replayed && order.state === 'Cancelled' && refused !== undefined) throw refusedError(refused);
    // Only stock of ours that moved changes what is published (a listing's line reserves at its supplier).
    if (!outcome.replayed && movesLocalStock(order.lines)) this.deps.onChange?.();
    if (!outcome.replayed && order.state === 'Pending') {
      order = await this.placeUpstream(order, undefined, listingsRead(request.lines), via);
      await this.refuseIfListingRemoved(order);
    }
    if (request.status === 'Complete' && (!outcome.replayed || order.state === 'Held')) {
      order = await this.completeAsAsked(order);
    }
    return { ...(await this.view(order)), replayed: outcome.replayed };
  }

  /**
   * Completes the new order of a request that asks for it (`dfc-v:Complete`). The order is stored, then completed in
   * a transaction of its own: an attempt may die between the two, or its retry (the same key) come while it
   * completes. Each attempt, the first or a retry, completes it if it is still held, and answers the order completed
   * by whichever got there first.
   */
  private async completeAsAsked(order: OrderRow): Promise<OrderRow> {
    // In the order's turn, as every change of it (a cancellation, the expiry sweep, another attempt), and on the order
    // as it is then: completed meanwhile by the attempt it retries, that is the answer; closed otherwise, a 409.
    return this.serialised(order.iri, () => stateConflicts(async () => {
      const now = await this.deps.store.orders.get(order.iri) ?? order;
      if (now.state === 'Complete') return now;
      // Past its hold (the sweep not there yet): it expires, as a completion of it would by PUT.
      if (this.overdue(now)) {
        await this.cancelOrder(now, 'expired');
        throw new ConflictHttpError(`order ${now.iri} expired before it was completed: its stock was given back`);
      }
      return this.completeOrder(now);
    }));
  }

  /**
   * Creates an order whose lines are all listed: asks the suppliers first, then stores the order once, as they
   * answered (Held with the orders they took, or Cancelled with their reason), instead of storing it Pending and
   * then again. Nothing of ours is reserved for such lines, so there is nothing to take back when they refuse.
   *
   * Not for a request with an Idempotency-Key: its retry must find the order (and the suppliers' orders) the first
   * attempt placed, so that order is stored before a supplier is asked. What is sent to each supplier is recorded
   * before it is sent, and forgotten in the transaction that stores the order: a crash before that leaves it
   * recorded, and the next start owes the supplier its cancellation (the customer, never answered, has no order here).
   */
  private async createPlacedFirst(eid: string, collection: string, request: OrderRequest, caller: OrderCaller, via: readonly string[]): Promise<OrderRow> {
    const base = newOrderOf(eid, collection, request, caller);
    const { lines } = base;
    // A key per supplier and attempt, short enough to be sent as it is (nothing retries this attempt but itself).
    const attempt = randomUUID();
    let suppliers = 0;
    const placed: UpstreamLink[] = [];
    const sent: PlacementRef[] = [];
    // The suppliers are asked to hold their orders until ours expires (as the end of a sale session).
    const expiresAt = this.expiry(request.saleSession);
    const failure = await failureOf(
      () => this.placeWithSuppliers({ eid, lines, sessionEnd: expiresAt }, [], placed, () => `${attempt}.${++suppliers}`, listingsRead(request.lines), via, sent), lines);
    if (failure !== undefined) {
      try {
        await this.deps.store.orders.create({
          ...base, state: 'Cancelled', closedReason: `refused upstream: ${failure.reason}`,
          details: { ...this.detailsOf(request), ...(failure.refusal !== undefined ? { refusedUpstream: failure.refusal } : {}) },
        });
      } catch (error: unknown) {
        // The enterprise removed meanwhile (nothing held it: no order of it was stored yet): the refusal is still the answer.
        if (await this.exists(eid)) throw error;
      } finally {
        // The suppliers' orders were cancelled, or their cancellations owed (placeWithSuppliers).
        await this.owed.settle(sent);
      }
      throw failure.error;
    }
    let outcome: Awaited<ReturnType<NodeStore['orders']['create']>>;
    try {
      outcome = await this.deps.store.orders.create({ ...base, state: 'Held', details: { ...this.detailsOf(request), upstream: placed }, expiresAt, settles: sent });
    } catch (error: unknown) {
      await this.cancelUpstream({ eid, expiresAt }, placed);
      await this.owed.settle(sent);
      if (await this.exists(eid)) throw error;
      throw new NotFoundHttpError(`enterprise ${eid} was removed while its order was placed; the suppliers were asked to cancel theirs`);
    }
    if (!outcome.ok) {
      // Listed lines reserve nothing here: a short line would be a bug, and the suppliers' orders must not stay.
      await this.cancelUpstream({ eid, expiresAt }, placed);
      await this.owed.settle(sent);
      throw 'short' in outcome ? shortConflict(outcome.short.map((s) => reportOf(s, lines))) : new Error('an order without a key answered another order');
    }
    await this.refuseIfListingRemoved(outcome.order);
    return request.status === 'Complete' ? this.completeOrder(outcome.order) : outcome.order;
  }

  /**
   * A new order of listed lines, once stored: when one of its listings was removed (or began to be) while the
   * order was placed at its supplier, the removal did not see it, and it would be left naming nothing. It is then
   * cancelled (at the supplier too) and refused with a 409.
   */
  private async refuseIfListingRemoved(order: OrderRow): Promise<void> {
    const ids = [...new Set(order.lines.flatMap((l) => (l.listing !== undefined ? [l.listing] : [])))];
    for (const id of ids) {
      const listing = await this.deps.store.orders.listing(id);
      if (listing !== undefined && listing.details?.['removing'] !== true) continue;
      const item = order.lines.find((l) => l.listing === id)?.item ?? String(id);
      await this.cancelOrder(order, `the listing of ${item} was removed while the order was placed`);
      throw new ConflictHttpError(`the listing of ${item} was removed while the order was placed; the order was cancelled, at its supplier too`);
    }
  }

  /** Whether the enterprise is still held (a write of its order may have failed because it was just removed). */
  private async exists(eid: string): Promise<boolean> {
    return (await this.deps.store.getEnterprise(eid)) !== undefined;
  }

  /** One order, for its seller (`ReadOrders`) or the caller that placed it. */
  /**
   * The stored `@id` of the order a URL names: the URL itself, or the same order under the other spelling of the
   * collection. `…/orders/{n}` and `…/Orders/{n}` are one collection (their numbers are one sequence): an order's
   * `@id` keeps the spelling it was posted under, and either URL reaches it.
   */
  public async orderIri(requested: string): Promise<string> {
    const other = otherSpelling(requested);
    if (other === undefined || (await this.deps.store.orders.get(requested)) !== undefined) return requested;
    return (await this.deps.store.orders.get(other)) !== undefined ? other : requested;
  }

  public async get(eid: string, iri: string, caller: OrderCaller): Promise<OrderView> {
    const order = await this.visible(eid, iri, caller);
    if (!this.overdue(order)) return this.view(order);
    // Past its time, a held order is expired when read, as when changed: the sweep comes by only now and then,
    // and a reader must not see as Held (nor its stock as reserved) what no longer is.
    return this.serialised(iri, async () => {
      const now = await this.visible(eid, iri, caller);
      return this.view(this.overdue(now) ? await this.cancelOrder(now, 'expired') : now);
    });
  }

  /** An order read past its time, expired in its turn (unless changed meanwhile): what a reader must see. */
  private async expiredWhenRead(order: OrderRow): Promise<OrderRow> {
    return this.serialised(order.iri, async () => {
      const now = await this.deps.store.orders.get(order.iri);
      if (now === undefined) return order;
      return this.overdue(now) ? this.cancelOrder(now, 'expired') : now;
    });
  }

  /**
   * Whether an open order is past its time: a held one nobody touched, or one being placed with its suppliers
   * (Pending) that a stopped process left (the start makes it due at once) or whose suppliers never answered
   * within its hold. Either is expired at the first look, as the sweep would expire it.
   */
  private overdue(order: OrderRow): boolean {
    return (order.state === 'Held' || order.state === 'Pending') && order.expiresAt !== null && order.expiresAt <= new Date(this.now()).toISOString();
  }

  /**
   * An enterprise's orders, newest first: all of them for the seller, a buyer's own for a buyer. A page from an offset,
   * or after (older than) the order numbered `before`; `next` is the number of the page's last order when older ones
   * follow: where the next page starts, which new orders do not move.
   */
  public async list(eid: string, caller: OrderCaller, page: { offset: number; limit: number; before?: number }):
  Promise<{ views: OrderView[]; total: number; next?: number }> {
    // One more than the page: whether one follows, whatever the count says (orders placed meanwhile).
    const { orders: found, total } = await this.deps.store.orders.list(eid, { ...(caller.readsAll ? {} : { placedBy: caller.id }), ...page, limit: page.limit + 1 });
    const orders = found.slice(0, page.limit);
    const views: OrderView[] = [];
    // As for one order: a held order past its time is expired when read, or a buyer looking for its open order
    // (Open Food Network) would find one Held that answers 409 once it is amended.
    for (const order of orders) views.push(await this.view(this.overdue(order) ? await this.expiredWhenRead(order) : order));
    const last = orders[orders.length - 1];
    return { views, total, ...(found.length > page.limit && last !== undefined ? { next: last.number } : {}) };
  }

  /**
   * The records of the orders a buyer holds open at an enterprise (Held, not expired), newest first, at most
   * {@link OPEN_ORDERS_SHOWN}: what Open Food Network looks for before it amends its backorder.
   */
  public async openOrderRecords(eid: string, caller: OrderCaller): Promise<DfcRecord[]> {
    const { orders } = await this.deps.store.orders.list(eid, {
      ...(caller.readsAll ? {} : { placedBy: caller.id }), heldAt: new Date(this.now()).toISOString(), offset: 0, limit: OPEN_ORDERS_SHOWN, count: false,
    });
    const records: DfcRecord[] = [];
    for (const order of orders) records.push(...(await this.view(order)).records);
    return records;
  }

  /**
   * Updates an order from a DFC document: its lines (reservations follow the new quantities, all or nothing),
   * then its status: `Complete` sells what it holds, `Cancelled` gives it back.
   */
  public async update(eid: string, iri: string, body: OrderBody, caller: OrderCaller): Promise<OrderView> {
    const stored = await this.visible(eid, iri, caller);
    this.pathOf(caller);
    const request = await this.read(eid, body, iri);
    if (!request.order.id.startsWith('_:') && request.order.id !== iri && otherSpelling(request.order.id) !== iri) {
      throw new UnprocessableEntityHttpError(`the body is about order ${request.order.id}, not ${iri}`);
    }
    // The buyer an order was placed for is part of what was agreed: a body naming another is refused, not
    // answered 200 with the first buyer kept (the caller would believe the order now bills the other).
    const buyer = request.order.orderedBy;
    if (buyer !== undefined && stored.orderedBy !== null && buyer !== stored.orderedBy) {
      const why = `order ${iri} was placed for ${stored.orderedBy}; its buyer (dfc-b:orderedBy) cannot become ${buyer}`;
      throw new UnprocessableEntityHttpError(why, { problems: [problem('invalid-value', iri, 'dfc-b:Order', 'dfc-b:orderedBy', why)] });
    }
    return this.serialised(iri, async () => stateConflicts(async () => this.updateNow(eid, iri, request, caller)));
  }

  private async updateNow(eid: string, iri: string, request: OrderRequest, caller: OrderCaller): Promise<OrderView> {
    let order = await this.visible(eid, iri, caller);
    // An order past its time is expired now, whether or not the sweep came by: its stock is no longer held. So is
    // one a stopped process left being placed: it is no longer "being placed", and a retry would wait for nothing.
    if (this.overdue(order)) order = await this.cancelOrder(order, 'expired');
    pendingRefused(order);
    if (order.state === 'Complete' || order.state === 'Cancelled') {
      // The same status again is a retry whose answer was lost: answered as the first was. A completion that
      // sends other lines than were sold asks for a change that cannot be made, and is refused like any other.
      const sameAgain = request.status === statusOf(order) && (order.state === 'Cancelled' || !request.linesGiven || sameQuantities(order.lines, request.lines));
      if (sameAgain) return this.view(order);
      const why = order.closedReason !== null ? ` (${order.closedReason})` : '';
      throw new ConflictHttpError(`order ${iri} is ${order.state}${why}: it can no longer change`);
    }
    if (request.status === 'Cancelled') return this.view(await this.cancelOrder(order, 'cancelled'));
    // Refused before anything changes: a completion that leaves the order without lines would sell nothing.
    if (request.status === 'Complete' && (request.linesGiven ? request.lines : order.lines).length === 0) throw emptyCompletion(iri);
    // A document that only refers to its lines changes only the status (a bare completion).
    if (request.linesGiven) order = await this.amendOrder(order, request, this.pathOf(caller));
    if (request.status === 'Complete') order = await this.completeOrder(order);
    return this.view(order);
  }

  /** Cancels an order (the `DELETE` of the API). */
  public async cancel(eid: string, iri: string, caller: OrderCaller): Promise<OrderView> {
    await this.visible(eid, iri, caller);
    return this.serialised(iri, async () => stateConflicts(async () => {
      const order = await this.visible(eid, iri, caller);
      if (order.state === 'Cancelled') return this.view(order);
      if (order.state === 'Complete') throw new ConflictHttpError(`order ${iri} is Complete: it can no longer be cancelled`);
      // One a stopped process left being placed expires (nothing is placing it); one being placed now is waited for.
      if (order.state === 'Pending' && this.overdue(order)) return this.view(await this.cancelOrder(order, 'expired'));
      pendingRefused(order);
      return this.view(await this.cancelOrder(order, 'cancelled'));
    }));
  }

  /**
   * Cancels an open order as its seller (a listing it sells from is being removed): what it holds comes back, and
   * the orders it placed at suppliers are cancelled. A closed order stays as it is.
   *
   * @throws ConflictHttpError (409) for an order being placed at its supplier (Pending): it is cancelled once answered
   */
  public async cancelAsSeller(iri: string, reason: string): Promise<void> {
    await this.serialised(iri, async () => stateConflicts(async () => {
      const order = await this.deps.store.orders.get(iri);
      if (order === undefined || order.state === 'Cancelled' || order.state === 'Complete') return;
      if (!this.overdue(order)) pendingRefused(order);
      await this.cancelOrder(order, reason);
    }));
  }

  /** Gives back the stock of held orders nobody touched in time. Answers how many expired. */
  public async expireDue(limit = 100): Promise<number> {
    const due = await this.deps.store.orders.expired(new Date(this.now()).toISOString(), limit);
    let expired = 0;
    for (const order of due) {
      try {
        const done = await this.serialised(order.iri, async () => {
          // Looked at again under the order's turn: completed, cancelled or touched meanwhile, it stays as it is.
          const now = await this.deps.store.orders.get(order.iri);
          if (now === undefined || (now.state !== 'Held' && now.state !== 'Pending') || now.expiresAt === null) return false;
          if (now.expiresAt > new Date(this.now()).toISOString()) return false;
          await this.cancelOrder(now, 'expired');
          return true;
        });
        if (done) expired += 1;
      } catch (error: unknown) {
        // One order that cannot be closed must not keep every other order of the node from expiring.
        if (!(error instanceof OrderStateError)) this.deps.onExpiryError?.(order.iri, error);
      }
    }
    return expired;
  }

  /**
   * Whether a body is an order (a `dfc-b:Order` in it): Open Food Network's URL rule, applied to our product ids,
   * posts its orders to the products collection.
   */
  public async holdsOrder(body: OrderBody, base: string): Promise<boolean> {
    // Every spelling of the class (`dfc-b:Order`, its IRI, Turtle) holds the word: a product body is not decoded here.
    if (!body.text.includes('Order')) return false;
    const result = await this.decoded(body, base);
    return result.records.some((r) => r.kind === 'Order') || result.rejected.some((r) => r.type !== null && /(^|:)Order$/u.test(r.type));
  }

  // ------------------------------------------------------------------ reading requests

  /** A body decoded once per request, whoever asks first ({@link holdsOrder}, then the order it creates). */
  private decoded(body: OrderBody, base: string): Promise<DecodeResult> {
    let byBase = this.decodedBodies.get(body);
    if (byBase === undefined) this.decodedBodies.set(body, (byBase = new Map()));
    let result = byBase.get(base);
    // Never a catalogue: the direct reader would look at it for nothing. Read as an order request: where the body
    // says two things the order is read by (two quantities of a line, a second Order), it is refused, not guessed.
    if (result === undefined) {
      byBase.set(base, (result = this.deps.decoder.decode(body.text, { mediaType: body.mediaType, base, direct: false, orderRequest: true })));
    }
    return result;
  }

  private async decode(body: OrderBody, base: string): Promise<DecodeResult> {
    const result = await this.decoded(body, base);
    const documentErrors = result.problems.filter((p) => p.id === null && p.severity === 'error');
    if (documentErrors.length > 0) {
      const Error = documentErrors.some((p) => SYNTAX_ERRORS.has(p.code)) ? BadRequestHttpError : UnprocessableEntityHttpError;
      throw new Error(documentErrors.map((p) => p.message).join('; '), { problems: result.problems });
    }
    // Only what the order needs must be valid: a reference the buyer echoes (a SuppliedProduct without its
    // name) is not an incomplete resource. But a resource that says two things at once (two items of an Offer,
    // an Offer that is also an OrderLine) is refused wherever it is: which one the buyer meant would be a guess.
    const needed = result.rejected.filter((r) => r.type === null || /Order|OrderLine/u.test(r.type) || r.problems.some((p) => AMBIGUOUS.has(p.code)));
    if (needed.length > 0) {
      throw new UnprocessableEntityHttpError(`${needed.length} resource(s) of the order are not valid DFC: ${describeRejected(needed)}`, { problems: result.problems });
    }
    return result;
  }

  private async read(eid: string, body: OrderBody, base: string): Promise<OrderRequest> {
    const { records } = await this.decode(body, base);
    const orders = records.filter((r): r is OrderRecord => r.kind === 'Order');
    if (orders.length === 0) {
      // An Order with an @id and a type alone is a reference to one described elsewhere (README "Reading and writing DFC").
      throw new UnprocessableEntityHttpError('expected a dfc-b:Order in the body that says what it orders (its lines, dfc-b:hasPart) or its status '
        + '(an Order with an @id and a type alone is only a reference to one described elsewhere)');
    }
    if (orders.length > 1) {
      throw new UnprocessableEntityHttpError(`expected one dfc-b:Order in the body, found ${orders.length}: ${orders.map((o) => `<${o.id}>`).join(', ')}`);
    }
    const order = orders[0] as OrderRecord;
    const byId = new Map(records.map((r) => [r.id as string, r]));
    const named = order.lines.map((id) => byId.get(id)).filter((r): r is OrderLineRecord => r?.kind === 'OrderLine');
    const lines = named.length > 0 ? named : records.filter((r): r is OrderLineRecord => r.kind === 'OrderLine' && (r.order === undefined || r.order === order.id));
    if (lines.length > MAX_LINES) throw new UnprocessableEntityHttpError(`the order has ${lines.length} lines; an order has at most ${MAX_LINES}`);
    strayLinesRefused(order, lines, records);
    const status = statusName(order.orderStatus);
    if (order.orderStatus !== undefined && status === undefined) {
      throw new UnprocessableEntityHttpError(`unknown order status ${JSON.stringify(order.orderStatus)}; expected dfc-v:Held, dfc-v:Complete or dfc-v:Cancelled (dfc-v:Draft is read as dfc-v:Held)`);
    }
    const session = order.saleSession === undefined ? undefined : byId.get(order.saleSession);
    if (session?.kind === 'SaleSession') endDateRefused(session);
    const resolved: ResolvedLine[] = [];
    const problems: Problem[] = [];
    // The lines at once (reads only): their reads share statements (`KeyedReads`), not a turn of the event loop each.
    for (const result of await Promise.all(lines.map((line, index) => this.resolve(eid, line, byId, index)))) {
      if ('problem' in result) problems.push(result.problem);
      else if (result.line.quantity > 0) resolved.push(result.line);
    }
    if (problems.length > 0) throw new UnprocessableEntityHttpError(problems.map((p) => p.message).join('; '), { problems });
    // An Order without lines is a change of status; one that names lines the body does not hold is ambiguous.
    const linesGiven = lines.length > 0;
    const held = new Set(lines.map((l) => l.id as string));
    const absent = order.lines.filter((id) => !held.has(id));
    if (linesGiven && absent.length > 0) {
      throw new UnprocessableEntityHttpError(`the Order names line(s) the body does not hold: ${absent.join(', ')}; send every line (quantity 0 removes one)`);
    }
    return { order, linesGiven, status, lines: resolved, ...(session?.kind === 'SaleSession' ? { saleSession: session } : {}) };
  }

  /** What a line draws on: one of the enterprise's offers (or a listing's), found by the offer or its item. */
  private async resolve(eid: string, line: OrderLineRecord, byId: ReadonlyMap<string, DfcRecord>, index: number): Promise<{ line: ResolvedLine } | { problem: Problem }> {
    const where = `line ${index + 1}${line.id.startsWith('_:') ? '' : ` (${line.id})`}`;
    const fail = (code: 'unknown-offer' | 'missing-property' | 'out-of-range', message: string) =>
      ({ problem: problem(code, line.id.startsWith('_:') ? null : line.id, 'dfc-b:OrderLine', code === 'out-of-range' ? 'dfc-b:quantity' : 'dfc-b:concerns', `${where}: ${message}`) });
    if (line.quantity === undefined) return fail('missing-property', 'no dfc-b:quantity');
    if (!Number.isFinite(line.quantity) || line.quantity < 0 || line.quantity > MAX_QUANTITY) {
      return fail('out-of-range', `quantity ${line.quantity} is not a quantity one can order (0 to ${MAX_QUANTITY})`);
    }
    if (!inThousandths(line.quantity)) {
      return fail('out-of-range', `quantity ${line.quantity} is finer than a thousandth of a unit: order whole thousandths (0.001, 1.5, 2.125)`);
    }
    if (line.offer === undefined) return fail('missing-property', 'no dfc-b:concerns (the Offer ordered)');
    const sent = byId.get(line.offer);
    const sentOffer = sent?.kind === 'Offer' ? sent : undefined;
    const store = this.deps.store;
    // The offer itself, then what the buyer says it offers (OFN: the SuppliedProduct; some: the CatalogItem).
    const candidates = [line.offer, ...(sentOffer?.item !== undefined ? [sentOffer.item] : [])].map((iri) => this.deps.urls.canonical(iri));
    for (const iri of candidates) {
      // The usual line names one of our Offers: one read gives it, its item and the item's listing.
      const stored = await store.orders.orderable(iri);
      if (stored === undefined || stored.eid !== eid) continue;
      const record = stored.record;
      let offer: OfferRecord | undefined;
      if (record.kind === 'Offer') offer = record;
      else if (record.kind === 'CatalogItem') offer = await this.offerOf(record.offers, eid);
      else if (record.kind === 'SuppliedProduct') {
        for (const itemIri of record.catalogItems) {
          const item = await store.getResource(itemIri);
          if (item?.eid === eid && item.record.kind === 'CatalogItem') {
            offer = await this.offerOf(item.record.offers, eid);
            if (offer !== undefined) break;
          }
        }
      }
      if (offer?.item === undefined) continue;
      const offered = record.kind === 'Offer' && stored.offered?.itemIri === offer.item ? stored.offered : undefined;
      // Read with the offer, or else both at once (two reader connections): each read is a round trip every order waits for.
      const [item, listed] = offered !== undefined ? [offered.item, offered.listing]
        : await Promise.all([store.getResource(offer.item), store.orders.listingByLocal(offer.item)]);
      if (item?.eid !== eid || item.record.kind !== 'CatalogItem') continue;
      const unitProblem = await this.lineUnitProblem(line, item.record);
      if (unitProblem !== undefined) return fail('out-of-range', unitProblem);
      const listing = item.record.id === offer.item ? listed : await store.orders.listingByLocal(item.record.id);
      return {
        line: {
          sentId: line.id, offer: offer.id, item: item.record.id, ...(item.record.product !== undefined ? { product: item.record.product } : {}),
          quantity: inWholeThousandths(line.quantity), ...(offer.price !== undefined ? { price: { value: offer.price.value, currency: offer.price.currency } } : {}),
          ...(listing !== undefined ? { listing: listing.id, listingRow: listing } : {}),
          details: {
            sentId: line.id, ...(sentOffer !== undefined ? { sentOffer: sentOffer.id, sentItem: sentOffer.item ?? null } : {}),
            // What the answer says again of the line: its price's VAT rate, and the unit its quantity was given in.
            ...(offer.price?.vatRate !== undefined ? { vatRate: offer.price.vatRate } : {}),
            ...(line.quantityUnit !== undefined ? { quantityUnit: line.quantityUnit } : {}),
          },
          ...(sentOffer !== undefined ? { sentOffer } : {}),
        },
      };
    }
    return fail('unknown-offer', `${line.offer} is not an offer of enterprise ${eid}`);
  }

  /**
   * Why a line's quantity cannot be read in the units the ledger counts (what the item sells, one at a time), or
   * undefined when it can: no unit, `dfc-m:Piece`, or the unit of a pack of one (2 `dfc-m:Kilogram` of a product sold
   * by the kilogram). In another unit (3 `dfc-m:Gram` of that product), it was reserved as 3 units and answered as
   * 3 grams at the unit's price.
   */
  private async lineUnitProblem(line: OrderLineRecord, item: CatalogItemRecord): Promise<string | undefined> {
    const unit = line.quantityUnit;
    if (unit === undefined || unit === PIECE) return undefined;
    const product = item.product === undefined ? undefined : await this.deps.store.getResource(item.product);
    const pack = product?.record.kind === 'SuppliedProduct' ? product.record.quantity : undefined;
    if (pack !== undefined && pack.unit === unit && pack.value === 1) return undefined;
    const sold = pack === undefined ? 'one at a time' : `by the pack of ${pack.value} ${shortName(pack.unit)}`;
    return `quantity in ${shortName(unit)}: this item is sold ${sold}, and a line counts what it sells (send dfc-b:quantity as a number, or in dfc-m:Piece)`;
  }

  private async offerOf(offers: readonly string[], eid: string): Promise<OfferRecord | undefined> {
    for (const iri of offers) {
      const stored = await this.deps.store.getResource(iri);
      if (stored?.eid === eid && stored.record.kind === 'Offer') return stored.record;
    }
    return undefined;
  }

  private detailsOf(request: OrderRequest): Record<string, unknown> {
    return {
      sentId: request.order.id,
      ...(request.saleSession !== undefined ? { saleSession: request.saleSession } : request.order.saleSession !== undefined ? { saleSessionId: request.order.saleSession } : {}),
    };
  }

  /**
   * When a held order expires: {@link holdMs} after now, or after the end of the sale session it belongs to when that
   * is later (at most {@link MAX_SESSION_HOLD_MS} ahead). Open Food Network holds its backorder open for the whole
   * order cycle and completes it once the cycle has closed: expired after half an hour, the order and what it held were
   * gone when OFN came to complete it (a 409), and OFN, finding no Held order, began a new one without the lines.
   */
  private expiry(session?: SaleSessionRecord): string {
    const now = this.now();
    // Read as the request was checked ({@link endDateRefused}): `Date.parse` read 12345 as the year 12345.
    const end = session?.endDate === undefined ? undefined : dateMoment(session.endDate);
    const until = end !== undefined && end > now ? Math.min(end, now + MAX_SESSION_HOLD_MS) : now;
    return new Date(until + this.holdMs).toISOString();
  }

  private async visible(eid: string, iri: string, caller: OrderCaller): Promise<OrderRow> {
    const order = await this.deps.store.orders.get(iri);
    // Another caller's order is as unknown as a missing one: its existence is not the caller's to learn.
    if (order?.eid !== eid || (!caller.readsAll && order.placedBy !== caller.id)) throw new NotFoundHttpError(`no order ${iri}`);
    return order;
  }

  // ------------------------------------------------------------------ changing orders

  private async amendOrder(order: OrderRow, request: OrderRequest, via: readonly string[]): Promise<OrderRow> {
    const before = order.lines;
    refuseNotOnSale(request.lines, before);
    const amended = await this.deps.store.orders.amend(order.iri, {
      lines: request.lines.map(stripSent), expiresAt: this.expiry(request.saleSession ?? sessionOf(order)), details: { ...order.details, ...this.detailsOf(request), sentId: order.details['sentId'] },
    });
    if (!amended.ok) throw this.shortAnswer(amended.short, { eid: order.eid, lines: request.lines.map(stripSent) });
    this.deps.onChange?.();
    const upstream = upstreamOf(amended.value);
    if (upstream.length === 0 && !amended.value.lines.some((l) => l.listing !== undefined)) return amended.value;
    // The suppliers must follow, or the amendment is undone.
    try {
      return await this.placeUpstream(amended.value, order, undefined, via);
    } catch (error: unknown) {
      // A supplier whose order is closed (expired, or cancelled there) will take no change of it: ours closes too.
      if (error instanceof SupplierOrderClosed) {
        await this.cancelOrder(amended.value, error.closedReason, error.order);
        throw error;
      }
      const restored = await this.deps.store.orders.amend(order.iri, { lines: before, expiresAt: this.expiry(sessionOf(order)), details: order.details });
      // Through cancelOrder: the orders held at the suppliers are released too.
      if (!restored.ok) await this.cancelOrder(order, 'could not restore after a refused amendment');
      throw error;
    }
  }

  private async completeOrder(order: OrderRow): Promise<OrderRow> {
    if (order.state !== 'Held') throw new ConflictHttpError(`order ${order.iri} is ${statusOf(order)}: only a held order can be completed`);
    if (order.lines.length === 0) throw emptyCompletion(order.iri);
    const completed: string[] = [];
    for (const link of upstreamOf(order)) {
      const lines = await this.upstreamLines(order, link.ordersUrl);
      const outcome = await this.requireUpstream().complete(link.order, lines, this.orderedByOf(order));
      if (!outcome.ok) {
        // A supplier whose order is closed (expired, or cancelled there) will never complete it: ours closes too,
        // unless a supplier before it completed its own already (that one delivers and bills: cancelling ours would
        // tell the buyer nothing is owed). Then ours stays held, and the answer names both for the operator.
        const closed = outcome.status === 409 ? await this.closedAtSupplier(link.order, outcome.reason) : undefined;
        if (closed !== undefined && completed.length === 0) {
          await this.cancelOrder(order, closed.closedReason, link.order);
          throw closed;
        }
        if (closed !== undefined) {
          throw new ConflictHttpError(`the supplier's order ${link.order} is closed there (${outcome.reason}), while ${completed.join(', ')} completed already: `
            + 'this order stays held, for its operator to settle with the suppliers', { extensions: { closedAtSupplier: link.order, completedAtSuppliers: completed } });
        }
        throw upstreamError(outcome.status, outcome.reason);
      }
      completed.push(link.order);
    }
    const done = await this.deps.store.orders.complete(order.iri);
    this.deps.onChange?.();
    return done;
  }

  /**
   * Cancels an order: what it holds of our stock comes back, and its orders at suppliers are cancelled (but
   * `closedThere`, a supplier's order already closed).
   */
  private async cancelOrder(order: OrderRow, reason: string, closedThere?: string): Promise<OrderRow> {
    // The order as read: when nothing changed it since, it is not read again.
    const cancelled = await this.deps.store.orders.cancel(order.iri, reason, undefined, order);
    if (movesLocalStock(cancelled.lines)) this.deps.onChange?.();
    await this.cancelUpstream(order, upstreamOf(order).filter((link) => link.order !== closedThere));
    return cancelled;
  }

  /**
   * When a supplier refused a change of its order `order` (a 409 saying `reason`): whether that order is closed
   * there (the supplier says it is Cancelled: it expired, or was cancelled there), as the error to answer; undefined
   * when it is not, or the supplier does not say.
   */
  private async closedAtSupplier(order: string, reason: string): Promise<SupplierOrderClosed | undefined> {
    const state = await this.deps.upstream?.state?.(order).catch(() => undefined);
    return state === 'Cancelled' ? new SupplierOrderClosed(order, reason) : undefined;
  }

  /**
   * Orders the listed lines from their suppliers, one order per supplier's collection (amending the one placed
   * before). When one refuses or cannot be reached, the ones placed are cancelled and so is this order (a new one)
   * or the error goes to the caller (an amendment of `previous`, which undoes itself: the suppliers that took the
   * amendment are given the lines of `previous` back).
   */
  private async placeUpstream(order: OrderRow, previous?: OrderRow, read?: ReadonlyMap<number, ListingRow>, via: readonly string[] = this.pathOf()): Promise<OrderRow> {
    const links = upstreamOf(order);
    const placed: UpstreamLink[] = [];
    const sent: PlacementRef[] = [];
    // The suppliers are asked to hold their orders until ours expires (as the end of a sale session): a supplier
    // whose hold ran out first left ours Held on an order it no longer had.
    const expiresAt = this.expiry(sessionOf(order));
    const failure = await failureOf(
      () => this.placeWithSuppliers({ ...order, sessionEnd: expiresAt }, links, placed, (ordersUrl) => `${order.iri}|${ordersUrl}|${order.updatedAt}`, read, via, sent),
      order.lines);
    if (failure !== undefined) {
      try {
        // An amendment refused by a supplier whose order is closed is not reverted: the order is cancelled (amendOrder).
        if (previous !== undefined && !(failure.error instanceof SupplierOrderClosed)) {
          await this.revertUpstream(previous, placed.filter((p) => links.some((l) => l.order === p.order)));
        } else if (previous === undefined) {
          const details = { ...order.details, ...(failure.refusal !== undefined ? { refusedUpstream: failure.refusal } : {}) };
          const cancelled = await this.deps.store.orders.cancel(order.iri, `refused upstream: ${failure.reason}`, details, order);
          if (movesLocalStock(cancelled.lines)) this.deps.onChange?.();
        }
      } finally {
        // The orders placed just now were cancelled, or their cancellations owed (placeWithSuppliers).
        await this.owed.settle(sent);
      }
      throw failure.error;
    }
    const details = { ...order.details, upstream: placed };
    try {
      // One statement when the order is as this change left it (as it should be: a Pending order cannot be
      // amended, and an amendment runs in the order's turn); otherwise through a full amendment, which reads it.
      // Either forgets what was sent in the same transaction: from then on the order's links say it.
      const held = await this.deps.store.orders.hold(order, { details, expiresAt, settles: sent });
      if (held !== undefined) return held;
      const amended = await this.deps.store.orders.amend(order.iri, { lines: order.lines, details, expiresAt, state: 'Held', settles: sent });
      if (!amended.ok) throw new Error(`order ${order.iri} lost its own reservation while its suppliers accepted`);
      return amended.value;
    } catch (error: unknown) {
      // The order closed meanwhile (it expired, say): it links none of the orders placed just now, which nothing
      // else would ever release.
      await this.cancelUpstream({ ...order }, placed.filter((p) => !links.some((l) => l.order === p.order)));
      await this.owed.settle(sent);
      throw error;
    }
  }

  /**
   * Orders the listed lines of `order` from their suppliers, one order per supplier's collection (amending the
   * one of `links` placed before), adding each to `placed` as it is accepted. When one refuses or cannot be
   * reached, the orders placed just now are cancelled and the refusal answered (a value: an expected outcome of a
   * peer, not an exception), with the lines the suppliers said they are short of, in the order's lines and units;
   * anything else is thrown, after the same cancellations.
   *
   * The first refusal ends it: the answer names the short lines of that supplier, not those the next ones might
   * have been short of (asking them would hold their stock for an order refused anyway).
   */
  private async placeWithSuppliers(
    order: OrderLines, links: readonly UpstreamLink[], placed: UpstreamLink[], keyOf: (ordersUrl: string) => string, read: ReadonlyMap<number, ListingRow> | undefined,
    via: readonly string[], sent: PlacementRef[],
  ): Promise<SupplierRefusal | undefined> {
    const collections = new Set<string>(links.map((l) => l.ordersUrl));
    const listings = await this.listingsOf(order, read);
    for (const listing of listings.values()) collections.add(listing.originOrders);
    const refusals: SupplierAnswer[] = [];
    try {
      for (const ordersUrl of collections) {
        const existing = links.find((l) => l.ordersUrl === ordersUrl)?.order;
        const groups = await this.upstreamGroups(order, ordersUrl, listings);
        const { sessionEnd } = order;
        const key = keyOf(ordersUrl);
        const lines = groups.map((g) => g.line);
        const upstream = this.requireUpstream();
        // Recorded before it is sent (the key and the body's lines, or the order amended): a process that stops
        // before it stores the answer leaves the supplier an order nobody here knows of, which the next start then
        // owes a cancellation (the same POST sent again finds it: nothing is reserved twice).
        const target = existing ?? ordersUrl;
        await this.owed.placing([{
          eid: order.eid, ...(order.iri !== undefined ? { order: order.iri } : {}), target,
          ...(existing === undefined ? { placement: { key, lines, via, ...(sessionEnd !== undefined ? { sessionEnd } : {}) } } : { key }),
          reason: 'the order was being placed at the supplier', heldUntil: sessionEnd ?? null,
        }]);
        sent.push({ target, key });
        const outcome = await upstream.place({
          ordersUrl, ...(existing !== undefined ? { existing } : {}), orderedBy: this.orderedByOf(order), lines, key, via,
          ...(sessionEnd !== undefined ? { sessionEnd } : {}),
        });
        if (!outcome.ok && outcome.status === 503 && existing === undefined) {
          // No answer is not no order: the supplier may have taken it (it answered after our deadline, or the
          // connection dropped after the request went). This attempt is reported as not placed, so whatever the
          // supplier made for it is owed a cancellation, found by the same POST (same key and body) sent again.
          await this.owed.owe([{
            eid: order.eid, ...(order.iri !== undefined ? { order: order.iri } : {}), target: ordersUrl,
            placement: { key, lines, via, ...(sessionEnd !== undefined ? { sessionEnd } : {}) },
            reason: `the order was not placed (${outcome.reason}), and the supplier may have taken it`, heldUntil: sessionEnd ?? null,
          }]);
        }
        if (!outcome.ok && outcome.status === 409 && existing !== undefined) {
          const closed = await this.closedAtSupplier(existing, outcome.reason);
          if (closed !== undefined) throw closed;
        }
        if (!outcome.ok) {
          // The first refusal is the answer: asking the next suppliers would hold their stock, for an order
          // refused anyway, only to name more lines (and the first outage may cost the whole order deadline).
          refusals.push({ outcome, groups });
          break;
        }
        placed.push({ ordersUrl, order: outcome.order });
      }
    } catch (error: unknown) {
      // Orders placed just now at other suppliers are cancelled whether this order closes or (an amendment)
      // goes back to what it was: it keeps no link to them, so nothing else would ever release them.
      await this.cancelUpstream({ ...order, expiresAt: order.sessionEnd ?? null }, placed.filter((p) => !links.some((l) => l.order === p.order)));
      throw error;
    }
    if (refusals.length === 0) return undefined;
    await this.cancelUpstream({ ...order, expiresAt: order.sessionEnd ?? null }, placed.filter((p) => !links.some((l) => l.order === p.order)));
    return refusalOf(order.lines, refusals);
  }

  /**
   * The 409 of an order refused for lines short of our own stock: those lines. Its listed lines are not asked of
   * their suppliers: that would place an order at each (holding their stock, and moving it in every shop that lists
   * it) only to cancel it at once, for an order refused anyway.
   */
  private shortAnswer(short: readonly ShortLine[], order: OrderLines): ConflictHttpError {
    return shortConflict(short.map((s) => reportOf(s, order.lines)));
  }

  /**
   * Cancels orders placed at suppliers. One that cannot be reached now is owed the cancellation (recorded before
   * this answers, retried in the background): the supplier must not keep holding an order this node closed.
   */
  private async cancelUpstream(order: { readonly eid: string; readonly iri?: string; readonly expiresAt?: string | null }, links: readonly UpstreamLink[]): Promise<void> {
    const upstream = this.deps.upstream;
    if (upstream === undefined || links.length === 0) return;
    const owed: OwedCancellation[] = [];
    for (const link of links) {
      let failure: string | undefined;
      try {
        const outcome = await upstream.cancel(link.order, this.orderedByOf(order));
        // A refusal is final (the supplier's order is complete, or unknown there): told to the operator, not retried.
        if (!outcome.ok && outcome.status === 409) {
          this.deps.onUpstreamCancellation?.({ kind: 'refused', cancellation: this.owedOf(order, link, 'the order was cancelled here'), reason: outcome.reason });
        } else if (!outcome.ok) failure = outcome.reason;
      } catch (error: unknown) {
        failure = error instanceof Error ? error.message : String(error);
      }
      if (failure !== undefined) owed.push(this.owedOf(order, link, `the order was cancelled here, and the supplier could not be told (${failure})`));
    }
    await this.owed.owe(owed);
  }

  /** The cancellation owed for the order `link` placed at a supplier for `order`. */
  private owedOf(order: { readonly eid: string; readonly iri?: string; readonly expiresAt?: string | null }, link: UpstreamLink, reason: string): OwedCancellation {
    return { eid: order.eid, ...(order.iri !== undefined ? { order: order.iri } : {}), target: link.order, reason, heldUntil: order.expiresAt ?? null };
  }

  /** Gives suppliers that took an amendment undone since the lines of the order as it was (best effort, like a cancellation). */
  private async revertUpstream(previous: OrderRow, amended: readonly UpstreamLink[]): Promise<void> {
    for (const link of amended) {
      try {
        const lines = await this.upstreamLines(previous, link.ordersUrl);
        await this.deps.upstream?.place({ ordersUrl: link.ordersUrl, existing: link.order, orderedBy: this.orderedByOf(previous), lines, key: `${previous.iri}|${link.ordersUrl}|${previous.updatedAt}|revert` });
      } catch {
        // A listing removed meanwhile, say: the supplier's hold expires anyway.
      }
    }
  }

  /** The listings of an order's lines; those in `read` (read by this request already) are not read again. */
  private async listingsOf(order: OrderLines, read?: ReadonlyMap<number, ListingRow>): Promise<Map<number, ListingRow>> {
    const listings = new Map<number, ListingRow>();
    for (const line of order.lines) {
      if (line.listing === undefined || listings.has(line.listing)) continue;
      const listing = read?.get(line.listing) ?? await this.deps.store.orders.listing(line.listing);
      if (listing === undefined) throw new ConflictHttpError(`the listing of ${line.item} was removed`);
      const offSite = offSiteOf(listing);
      if (offSite !== undefined) {
        throw new ConflictHttpError(`the listing of ${line.item} would order ${offSite}, on another site than its origin item ${listing.originItem}: `
          + 'it is not ordered; remove the listing and list the item again');
      }
      listings.set(line.listing, listing);
    }
    return listings;
  }

  /** The lines to ask of one supplier: whole units of what it sells (a case holds `factor` retail units). */
  private async upstreamLines(order: OrderLines, ordersUrl: string, known?: Map<number, ListingRow>): Promise<UpstreamLine[]> {
    return (await this.upstreamGroups(order, ordersUrl, known)).map((group) => group.line);
  }

  /** The lines to ask of one supplier, each with the lines of the order it is for (one per product ordered). */
  private async upstreamGroups(order: OrderLines, ordersUrl: string, known?: Map<number, ListingRow>): Promise<UpstreamGroup[]> {
    const listings = known ?? (await this.listingsOf(order));
    const byProduct = new Map<string, { offer?: string; product: string; quantity: number; factor: number; from: number[] }>();
    for (const [index, line] of order.lines.entries()) {
      const listing = line.listing === undefined ? undefined : listings.get(line.listing);
      if (listing?.originOrders !== ordersUrl) continue;
      // An item kept in a pod is ordered from the node that published it: its product and offer (see ListingService).
      const at = orderAtOf(listing);
      const product = at?.product ?? listing.originProduct;
      const offer = at?.offer ?? listing.originOffer;
      const entry = byProduct.get(product) ?? { ...(offer !== undefined ? { offer } : {}), product, quantity: 0, factor: listing.factor, from: [] };
      entry.quantity += line.quantity;
      entry.from.push(index);
      byProduct.set(product, entry);
    }
    return [...byProduct.values()].map(({ factor, quantity, from, ...rest }) => ({ line: { ...rest, quantity: Math.ceil(quantity / factor - 1e-9) }, from, factor }));
  }

  /**
   * The path an order placed at a supplier names ({@link ORDER_VIA_HEADER}): the nodes the caller's order came
   * through, and this one. Refuses (409) an order that has come back to this node, or through too many nodes:
   * taken, it would go round between shops that list one another's listings, each ordering from the next.
   *
   * @param caller - who placed or changes the order (none: an order of this node's own, a path of its own)
   */
  private pathOf(caller?: OrderCaller): string[] {
    const self = nodeOfPath(this.deps.urls.base) ?? this.deps.urls.base;
    const came = caller?.via ?? [];
    // A URL of this node's API names this node as well (an enterprise's): the order came back. Another path under
    // its base need not be (a node at `https://coop.example/limousin` beside one at `https://coop.example`).
    const loop = came.some((node) => {
      const named = nodeOfPath(node);
      return named !== undefined && (named === self || named.startsWith(`${self}/api/`));
    });
    if (loop || came.length > MAX_ORDER_HOPS) {
      const why = loop
        ? `this order has come back to ${self}, which it came through already (${came.join(' → ')} → ${self}): a listing of a listing leads back here, `
          + 'and the order would go round between the nodes'
        : `this order has come through ${came.length} nodes already (${came.join(' → ')}), more than ${MAX_ORDER_HOPS}: a chain of listings that long is refused`;
      throw new ConflictHttpError(why, { problems: [problem('order-loop', null, 'dfc-b:Order', '', why)], extensions: { via: came } });
    }
    return [...came, self];
  }

  private orderedByOf(order: { readonly eid: string }): string {
    return this.deps.urls.enterprise(order.eid);
  }

  private requireUpstream(): UpstreamOrders {
    if (this.deps.upstream === undefined) throw new ForbiddenHttpError('this node does not order from other nodes');
    return this.deps.upstream;
  }

  // ------------------------------------------------------------------ answering

  /**
   * The order's graph: the Order, its lines, their Offers (echoing `offeredItem` as the buyer sent it, else our
   * product: OFN matches its lines by it) and the sale session.
   */
  public async view(order: OrderRow): Promise<OrderView> {
    const records: DfcRecord[] = [];
    const lineIds = order.lines.map((l) => `${order.iri}/OrderLines/${l.position}` as NodeId);
    const session = order.details['saleSession'] as SaleSessionRecord | undefined;
    const sessionId = session?.id ?? (order.details['saleSessionId'] as NodeId | undefined);
    records.push({
      kind: 'Order', id: order.iri as NodeId, lines: lineIds, orderStatus: `${DFC_V_NS}${statusOf(order)}`, orderNumber: String(order.number),
      date: order.createdAt, soldBy: this.deps.urls.enterprise(order.eid) as NodeId,
      ...(order.orderedBy !== null ? { orderedBy: order.orderedBy as NodeId } : {}), ...(sessionId !== undefined ? { saleSession: sessionId } : {}),
    });
    const offers = new Map<string, OfferRecord>();
    for (const [i, line] of order.lines.entries()) {
      const vatRate = line.details?.['vatRate'];
      const quantityUnit = line.details?.['quantityUnit'];
      const price: Price | undefined = line.price === undefined ? undefined
        : { value: line.price.value, currency: line.price.currency as Iri, ...(typeof vatRate === 'number' ? { vatRate } : {}) };
      records.push({
        kind: 'OrderLine', id: lineIds[i] as NodeId, order: order.iri as NodeId, offer: line.offer as NodeId, quantity: line.quantity,
        ...(typeof quantityUnit === 'string' ? { quantityUnit: quantityUnit as Iri } : {}), ...(price !== undefined ? { price } : {}),
      });
      if (!offers.has(line.offer)) {
        // What the buyer named its offer's item (Open Food Network: the product, by which it matches its lines), as
        // dfc-b:offeredItem; dfc-b:offers names the catalog item sold (it said the product, which is no catalog item).
        const echoed = (line.details?.['sentItem'] as string | null | undefined) ?? line.product ?? line.item;
        offers.set(line.offer, {
          kind: 'Offer', id: line.offer as NodeId, item: line.item as NodeId, offeredItem: echoed as NodeId, stock: null,
          ...(price !== undefined ? { price } : {}),
        });
      }
    }
    records.push(...offers.values());
    if (session !== undefined) records.push(session);
    return { order, records };
  }
}

/** What a new order of `request` stores whatever its state: where, who orders, who placed it, its lines. */
function newOrderOf(eid: string, collection: string, request: OrderRequest, caller: OrderCaller) {
  return {
    eid, collection, ...(request.order.orderedBy !== undefined ? { orderedBy: request.order.orderedBy } : {}), placedBy: caller.id,
    lines: request.lines.map(stripSent),
  };
}

/** Whether two sets of lines order the same quantity of each offer (however they are split into lines). */
function sameQuantities(a: readonly NewOrderLine[], b: readonly NewOrderLine[]): boolean {
  const totals = new Map<string, number>();
  for (const line of a) totals.set(line.offer, (totals.get(line.offer) ?? 0) + line.quantity);
  for (const line of b) totals.set(line.offer, (totals.get(line.offer) ?? 0) - line.quantity);
  // Sums of fractional quantities in another order differ by a rounding error, not by a unit.
  return [...totals.values()].every((difference) => Math.abs(difference) < 1e-9);
}

/** The listings the request's lines were resolved to, by id (read a moment ago, in the same request). */
function listingsRead(lines: readonly ResolvedLine[]): Map<number, ListingRow> {
  const read = new Map<number, ListingRow>();
  for (const line of lines) if (line.listingRow !== undefined) read.set(line.listingRow.id, line.listingRow);
  return read;
}

/**
 * Whether an order with these lines holds (or held) stock of our own ledgers: a line that is not a listing's. The
 * lines of a listing reserve at their supplier only; creating or closing an order of them alone publishes nothing
 * here, so the webhook deliveries have nothing new to look for.
 */
function movesLocalStock(lines: readonly { readonly listing?: number }[]): boolean {
  return lines.some((line) => line.listing === undefined);
}

/** An order's lines, as stored or about to be. */
interface OrderLines {
  readonly eid: string;
  /** The order's `@id`, once stored. */
  readonly iri?: string;
  readonly lines: readonly NewOrderLine[];
  /** Until when the suppliers are asked to hold their orders: our order's expiry (see {@link UpstreamOrders.place}). */
  readonly sessionEnd?: string;
}

/** An order placed at a supplier for this order's listed lines. */
interface UpstreamLink {
  readonly ordersUrl: string;
  readonly order: string;
}

function upstreamOf(order: OrderRow): UpstreamLink[] {
  const links = order.details['upstream'];
  return Array.isArray(links) ? (links as UpstreamLink[]) : [];
}

function stripSent(line: ResolvedLine | OrderLineRow): NewOrderLine {
  return {
    offer: line.offer, item: line.item, quantity: line.quantity, ...(line.product !== undefined ? { product: line.product } : {}),
    ...(line.price !== undefined ? { price: line.price } : {}), ...(line.listing !== undefined ? { listing: line.listing } : {}),
    ...(line.details !== undefined ? { details: line.details } : {}),
  };
}

/**
 * Refuses the lines of a body that the order would leave out or take from another order: a line that says it is
 * part of another order, and (when the Order names its lines) a line it does not name. Either way, which order
 * the buyer meant the line for would be a guess, and a line left out reserves nothing without a word.
 */
function strayLinesRefused(order: OrderRecord, lines: readonly OrderLineRecord[], records: readonly DfcRecord[]): void {
  const problems: Problem[] = [];
  for (const record of records) {
    if (record.kind !== 'OrderLine') continue;
    const shown = record.id.startsWith('_:') ? 'a dfc-b:OrderLine' : `dfc-b:OrderLine <${record.id}>`;
    const id = record.id.startsWith('_:') ? null : record.id;
    if (record.order !== undefined && record.order !== order.id) {
      problems.push(problem('conflicting-values', id, 'dfc-b:OrderLine', 'dfc-b:partOf',
        `${shown} dfc-b:partOf: it is a line of order <${record.order}>, not of <${order.id}>; a request changes one order`));
    } else if (!lines.includes(record)) {
      problems.push(problem('conflicting-values', id, 'dfc-b:OrderLine', 'dfc-b:partOf',
        `${shown} dfc-b:partOf: the Order does not name it in dfc-b:hasPart, which names its other lines; name every line`));
    }
  }
  if (problems.length > 0) {
    const more = problems.length > DETAIL_ERRORS ? `; and ${problems.length - DETAIL_ERRORS} more (see problems)` : '';
    throw new UnprocessableEntityHttpError(`${problems.slice(0, DETAIL_ERRORS).map((p) => p.message).join('; ')}${more}`, { problems });
  }
}

/** Problems that make any resource of an order request fatal to it: it says two things, and either would be a guess. */
const AMBIGUOUS: ReadonlySet<ProblemCode> = new Set<ProblemCode>(['conflicting-values', 'conflicting-types']);

/** How many of the rejected resources' errors a 422's detail names (the problems member holds them all). */
const DETAIL_ERRORS = 10;

/** The errors of rejected resources in words, each naming its node and property (`dfc-b:OrderLine <…> dfc-b:quantity: …`). */
function describeRejected(rejected: readonly RejectedResource[]): string {
  const errors = rejected.flatMap((r) => r.problems.filter((p) => p.severity === 'error'));
  const named = errors.slice(0, DETAIL_ERRORS).map((p) => {
    const node = p.id === null || p.id.startsWith('_:') ? `a ${p.type ?? 'resource'}` : `${p.type ?? 'resource'} <${p.id}>`;
    return `${node}${p.path !== '' ? ` ${p.path}` : ''}: ${p.message}`;
  });
  return `${named.join('; ')}${errors.length > DETAIL_ERRORS ? `; and ${errors.length - DETAIL_ERRORS} more (see problems)` : ''}`;
}

/** A short line of the order, ours or (with what its supplier said) a listed one. */
type AnyShortLine = ShortLine & { readonly supplier?: ShortLineReport['supplier'] };

/** A short line as the 409 names it: its position, `@id` and offer in the order, and the quantities. */
function reportOf(s: AnyShortLine, lines: readonly NewOrderLine[]): ShortLineReport {
  const line = lines[s.index];
  const sentId = line?.details?.['sentId'];
  return {
    line: s.index + 1, ...(typeof sentId === 'string' ? { id: sentId } : {}), ...(line !== undefined ? { offer: line.offer } : {}), item: s.item,
    requested: s.requested, available: s.available,
    ...(s.requestedTogether !== undefined && s.sharedWith !== undefined ? { requestedTogether: s.requestedTogether, sharedWith: s.sharedWith.map((i) => i + 1) } : {}),
    ...(s.supplier !== undefined ? { supplier: s.supplier } : {}),
  };
}

/** What a 409 says of one short line. */
function describeShort(d: ShortLineReport): string {
  const shared = d.sharedWith !== undefined && d.requestedTogether !== undefined
    ? ` for it and line${d.sharedWith.length > 1 ? 's' : ''} ${d.sharedWith.join(', ')} together, which request ${d.requestedTogether}` : '';
  const supplier = d.supplier === undefined ? ''
    : ` (at the supplier${d.supplier.factor !== 1 ? `, in packs of ${d.supplier.factor}` : ''}: ${d.supplier.requested} requested, ${d.supplier.available} available)`;
  return `line ${d.line} (${d.offer ?? d.item}): ${d.requested} requested, ${d.available} available${shared}${supplier}`;
}

/**
 * The 409 of an order some lines of which are short: a problem per short line, the lines as the `shortLines`
 * member, and `notes` (what suppliers said that names no line) as problems of the order.
 */
function shortConflict(reports: readonly ShortLineReport[], notes: readonly { readonly code: ProblemCode; readonly message: string }[] = []): ConflictHttpError {
  const problems = [
    ...reports.map((d) => problem('insufficient-stock', d.id ?? null, 'dfc-b:OrderLine', 'dfc-b:quantity', describeShort(d))),
    ...notes.map((note) => problem(note.code, null, 'dfc-b:Order', '', note.message)),
  ];
  return new ConflictHttpError(`not enough stock: ${problems.map((p) => p.message).join('; ')}`, { problems, extensions: { shortLines: reports } });
}

/**
 * Refuses at once (409) an order, or an amendment, that asks more of a listing no longer on sale (its owner
 * removed the item, or the listing is being removed) than the order held of it: the owner would refuse it, or
 * the order would name a listing that is gone. An amendment may keep or lower such a line (and cancelling is
 * always possible).
 */
function refuseNotOnSale(lines: readonly ResolvedLine[], before: readonly OrderLineRow[] = []): void {
  const stopped = notOnSaleOf(lines, before);
  if (stopped !== undefined) throw notOnSaleError(stopped);
}

/** The lines of an order asking more of a listing no longer on sale than the order held, and why (see {@link refuseNotOnSale}). */
interface NotOnSale {
  readonly shortLines: readonly ShortLineReport[];
  readonly notes: readonly string[];
}

function notOnSaleOf(lines: readonly ResolvedLine[], before: readonly OrderLineRow[] = []): NotOnSale | undefined {
  const reports: ShortLineReport[] = [];
  const notes: string[] = [];
  for (const [index, line] of lines.entries()) {
    const why = line.listingRow === undefined ? undefined : notOnSale(line.listingRow);
    if (why === undefined) continue;
    const held = before.filter((b) => b.listing === line.listing && b.offer === line.offer).reduce((sum, b) => sum + b.quantity, 0);
    if (line.quantity <= held) continue;
    reports.push({ line: index + 1, id: line.sentId, offer: line.offer, item: line.item, requested: line.quantity, available: 0 });
    notes.push(`line ${index + 1} (${line.offer}) is not on sale: ${why}`);
  }
  return reports.length > 0 ? { shortLines: reports, notes } : undefined;
}

/** The 409 of lines not on sale: each line in `shortLines` (0 available), and why (a `not-on-sale` problem each). */
function notOnSaleError(stopped: NotOnSale): ConflictHttpError {
  const problems = [
    ...stopped.shortLines.map((d) => problem('insufficient-stock', d.id ?? null, 'dfc-b:OrderLine', 'dfc-b:quantity', describeShort(d))),
    ...stopped.notes.map((note) => problem('not-on-sale', null, 'dfc-b:Order', '', note)),
  ];
  return new ConflictHttpError(stopped.notes.join('; '), { problems, extensions: { shortLines: stopped.shortLines } });
}

/** The refusal a Cancelled order records of lines not on sale (written by this service: read as written). */
function notOnSaleRecorded(order: OrderRow): NotOnSale | undefined {
  const recorded = order.details['notOnSale'] as Partial<NotOnSale> | undefined;
  if (recorded === undefined || !Array.isArray(recorded.shortLines) || !Array.isArray(recorded.notes)) return undefined;
  return { shortLines: recorded.shortLines, notes: recorded.notes };
}

/** A supplier's refusal (409) or outage (503). */
type UpstreamRefused = Extract<UpstreamOutcome, { ok: false }>;

/** What one supplier answered when it did not take its lines, and the lines it was sent (with the order's lines behind them). */
interface SupplierAnswer {
  readonly outcome: UpstreamRefused;
  readonly groups: readonly UpstreamGroup[];
}

/** A line asked of a supplier, and the lines of the order it is for (indexes, 0-based), each of `factor` retail units per unit ordered. */
interface UpstreamGroup {
  readonly line: UpstreamLine;
  readonly from: readonly number[];
  readonly factor: number;
}

/** A listed line short at its supplier, in the order's lines and units, with what the supplier said in its own. */
interface ListedShortLine extends ShortLine {
  readonly supplier: { readonly requested: number; readonly available: number; readonly factor: number };
}

/** Why the suppliers did not take the listed lines of an order. */
interface SupplierRefusal {
  /** 409 when a supplier refused (the order cannot be taken as it is), else 503 (one could not be reached). */
  readonly status: 409 | 503;
  /** The suppliers' reasons, as they said them. */
  readonly reason: string;
  /** The lines of the order the suppliers said they are short of. */
  readonly short: readonly ListedShortLine[];
  /** The answers that name no line of the order (a refusal without short lines, an outage). */
  readonly unexplained: readonly { readonly status: 409 | 503; readonly reason: string }[];
}

/**
 * The suppliers' refusals, in the order's terms: each line a supplier is short of becomes the lines of the order
 * ordered as it, each with its own quantity, and what the supplier has in our units (its packs × the listing's
 * factor); lines ordered as one product share that stock.
 */
function refusalOf(lines: readonly NewOrderLine[], answers: readonly SupplierAnswer[]): SupplierRefusal {
  const short: ListedShortLine[] = [];
  const unexplained: { status: 409 | 503; reason: string }[] = [];
  for (const { outcome, groups } of answers) {
    const named = (outcome.short ?? []).flatMap((said) => {
      const group = groups[said.index];
      if (group === undefined) return [];
      const requestedTogether = group.from.reduce((sum, i) => sum + (lines[i]?.quantity ?? 0), 0);
      return group.from.map((index): ListedShortLine => ({
        index, item: (lines[index] as NewOrderLine).item, requested: (lines[index] as NewOrderLine).quantity, available: said.available * group.factor,
        ...(group.from.length > 1 ? { requestedTogether, sharedWith: group.from.filter((i) => i !== index) } : {}),
        supplier: { requested: said.requested, available: said.available, factor: group.factor },
      }));
    });
    if (named.length === 0) unexplained.push({ status: outcome.status, reason: outcome.reason });
    short.push(...named);
  }
  return {
    status: answers.some((a) => a.outcome.status === 409) ? 409 : 503, reason: answers.map((a) => a.outcome.reason).join('; '),
    short: short.sort((a, b) => a.index - b.index), unexplained,
  };
}

/**
 * A refusal as an order records it (`refusedUpstream` in its details), for a retry of the same request to get
 * the same answer: the status and reasons, and the short lines as the 409 named them.
 */
interface RecordedRefusal {
  readonly ok: false;
  readonly status: 409 | 503;
  readonly reason: string;
  readonly shortLines?: readonly ShortLineReport[];
  /** With `shortLines`: what the suppliers said that names no line. */
  readonly unexplained?: readonly { readonly status: 409 | 503; readonly reason: string }[];
}

/** Why placing an order with its suppliers failed: their refusal, or an error of ours; and what to answer. */
interface PlacementFailure {
  readonly refusal?: RecordedRefusal;
  /** The reason recorded with the order. */
  readonly reason: string;
  /** What the caller is answered. */
  readonly error: unknown;
}

/** Runs a placement of the order's `lines`: undefined when every supplier accepted, else why not. */
async function failureOf(placement: () => Promise<SupplierRefusal | undefined>, lines: readonly NewOrderLine[]): Promise<PlacementFailure | undefined> {
  try {
    const refused = await placement();
    if (refused === undefined) return undefined;
    const shortLines = refused.status === 409 ? refused.short.map((s) => reportOf(s, lines)) : [];
    const refusal: RecordedRefusal = {
      ok: false, status: refused.status, reason: refused.reason,
      ...(shortLines.length > 0 ? { shortLines, ...(refused.unexplained.length > 0 ? { unexplained: refused.unexplained } : {}) } : {}),
    };
    return { refusal, reason: refused.reason, error: refusedError(refusal) };
  } catch (error: unknown) {
    return { reason: error instanceof Error ? error.message : String(error), error };
  }
}

/** What the suppliers answered when they refused this order (recorded when the order was cancelled for it). */
function refusedUpstreamOf(order: OrderRow): RecordedRefusal | undefined {
  const refused = order.details['refusedUpstream'] as Partial<Record<keyof RecordedRefusal, unknown>> | undefined;
  if (refused === undefined || (refused.status !== 409 && refused.status !== 503) || typeof refused.reason !== 'string') return undefined;
  // Written by this service: read as written.
  const shortLines = Array.isArray(refused.shortLines) ? refused.shortLines as ShortLineReport[] : [];
  const unexplained = Array.isArray(refused.unexplained) ? refused.unexplained as RecordedRefusal['unexplained'] : undefined;
  return { ok: false, status: refused.status, reason: refused.reason, ...(shortLines.length > 0 ? { shortLines, ...(unexplained !== undefined ? { unexplained } : {}) } : {}) };
}

/** Whether a recorded refusal was an outage that placed nothing (a 503 naming no line): a retry may well succeed. */
function temporary(refusal: RecordedRefusal | undefined): boolean {
  return refusal?.status === 503 && (refusal.shortLines === undefined || refusal.shortLines.length === 0);
}

/** The answer to a refusal: the short lines when the suppliers named them, else their reason (409) or outage (503). */
function refusedError(refusal: RecordedRefusal): Error {
  if (refusal.status === 409 && refusal.shortLines !== undefined && refusal.shortLines.length > 0) {
    return shortConflict(refusal.shortLines, (refusal.unexplained ?? []).map((u) => (u.status === 503
      ? { code: 'upstream-unreachable' as const, message: `the supplier cannot be reached: ${u.reason}` }
      : { code: 'refused-upstream' as const, message: `the supplier refused the order: ${u.reason}` })));
  }
  return upstreamError(refusal.status, refusal.reason);
}

/**
 * The answer to a supplier's refusal (409, `refused-upstream`) or outage (503, `upstream-unreachable`, with
 * `Retry-After`): an outage is no refusal, and is never said to be one.
 */
function upstreamError(status: 409 | 503, reason: string): Error {
  if (status === 409) {
    const message = `the supplier refused the order: ${reason}`;
    return new ConflictHttpError(message, { problems: [problem('refused-upstream', null, 'dfc-b:Order', '', message)] });
  }
  const message = `the supplier cannot be reached: ${reason}`;
  return new ServiceUnavailableHttpError(message, { problems: [problem('upstream-unreachable', null, 'dfc-b:Order', '', message)], headers: { 'Retry-After': '30' } });
}

/**
 * The 409 of a change (a completion, an amendment) refused by a supplier whose order is closed there: it expired,
 * or the supplier cancelled it. Our order is then cancelled too (what it held given back), and the client told so.
 */
class SupplierOrderClosed extends ConflictHttpError {
  /** Why our order was closed, as it records it. */
  public readonly closedReason: string;

  public constructor(public readonly order: string, reason: string) {
    const message = `the supplier's order ${order} is cancelled there (it expired, or the supplier cancelled it): this order is now cancelled too, `
      + `and what it held was given back (the supplier said: ${reason})`;
    super(message, { problems: [problem('refused-upstream', null, 'dfc-b:Order', '', message)] });
    this.closedReason = `the supplier's order was cancelled there: ${reason}`;
  }
}

/**
 * Refuses (422, naming the node and property) a sale session whose `dfc-b:endDate` is no `xsd:dateTime` or
 * `xsd:date` (a number, `not a date`, `2026-13-45`): the end of the session is how long the order holds its stock,
 * and a value read as a guess held it for the 90 days of the cap, or for no longer than the hold, without a word.
 */
function endDateRefused(session: SaleSessionRecord): void {
  if (session.endDate === undefined || dateMoment(session.endDate) !== undefined) return;
  const node = session.id.startsWith('_:') ? 'a dfc-b:SaleSession' : `dfc-b:SaleSession <${session.id}>`;
  const why = `${node} dfc-b:endDate: ${JSON.stringify(session.endDate.slice(0, 100))} is no date and time (xsd:dateTime, 2026-05-01T18:00:00+02:00) `
    + 'or date (xsd:date, 2026-05-01): the end of the sale session is how long the order holds its stock';
  throw new UnprocessableEntityHttpError(why, { problems: [problem('invalid-value', session.id.startsWith('_:') ? null : session.id, 'dfc-b:SaleSession', 'dfc-b:endDate', why)] });
}

/** The sale session an order was placed for, as its request described it (see `detailsOf`). */
function sessionOf(order: OrderRow): SaleSessionRecord | undefined {
  const session = order.details['saleSession'] as SaleSessionRecord | undefined;
  return session?.kind === 'SaleSession' ? session : undefined;
}

/** The 409 of a completion that would sell nothing: an order whose lines were all set to 0 (or removed) is cancelled, not completed. */
function emptyCompletion(iri: string): ConflictHttpError {
  return new ConflictHttpError(`order ${iri} has no line with a quantity above 0: there is nothing to complete (cancel it instead)`);
}

/** A Pending order is being placed with its suppliers: it cannot change until they have answered. */
function pendingRefused(order: OrderRow): void {
  if (order.state === 'Pending') {
    throw new ConflictHttpError(`order ${order.iri} is still being placed with its supplier; try again in a moment`, { headers: { 'Retry-After': '5' } });
  }
}

/** Runs a change; an order that closed meanwhile is the client's conflict (409), never our 500. */
async function stateConflicts<T>(change: () => Promise<T>): Promise<T> {
  try {
    return await change();
  } catch (error: unknown) {
    if (error instanceof OrderStateError) throw new ConflictHttpError(`order ${error.iri} is ${error.state}: it can no longer change`);
    throw error;
  }
}

/**
 * What a listing would order on another site than its origin's (its orders collection, product or offer), if
 * anything: a listing made before its origin's records were checked may have taken a hostile origin's word about
 * another site, and an order placed there would be sent to that site in the shop's name. An item kept in a pod is
 * ordered from the node that confirmed it publishes it (`orderAt`): that node's site is the one.
 */
function offSiteOf(listing: ListingRow): string | undefined {
  const at = orderAtOf(listing);
  const site = siteOf(at?.product ?? listing.originItem);
  const ordered = at !== undefined ? [listing.originOrders, at.product, at.offer] : [listing.originOrders, listing.originProduct, ...(listing.originOffer !== undefined ? [listing.originOffer] : [])];
  return ordered.find((iri) => siteOf(iri) !== site);
}

function siteOf(iri: string): string | undefined {
  try {
    return new URL(iri).origin;
  } catch {
    return undefined;
  }
}

/** Where a listing's orders go instead of its origin (an item kept in a pod: the node that published it). */
function orderAtOf(listing: ListingRow): { product: string; offer: string } | undefined {
  const at = listing.details?.['orderAt'];
  if (typeof at !== 'object' || at === null) return undefined;
  const { product, offer } = at as { product?: unknown; offer?: unknown };
  return typeof product === 'string' && typeof offer === 'string' ? { product, offer } : undefined;
}

/** An order's `@id` under the other spelling of its collection (`orders` ↔ `Orders`); undefined for any other IRI. */
export function otherSpelling(iri: string): string | undefined {
  const found = /^(.*\/enterprises\/[^/]+\/)(orders|Orders)(\/[^/?#]+)$/u.exec(iri);
  if (found === null) return undefined;
  return `${found[1] ?? ''}${found[2] === 'orders' ? 'Orders' : 'orders'}${found[3] ?? ''}`;
}
