/**
 * The cancellations a shop owes its suppliers: what makes the supplier end with what the shop told its customer.
 *
 * A shop orders a listing's lines from the item's owner before it answers its customer. When the owner took the
 * order but its answer never came back (it answered after the order deadline, or the connection dropped), the
 * shop answers 503 and records its own order as not placed, while the owner holds the order and its stock; when
 * the shop cancels an order (its customer's DELETE, its expiry) while the owner cannot be reached, the owner's
 * order stays held. Either way the owner would hold stock nobody will buy until its own hold runs out (up to 90
 * days for a sale session).
 *
 * Each such cancellation is recorded in the database ({@link OrderStore.oweUpstream}) before the customer is
 * answered, and retried in the background with a growing delay until the supplier confirms it, refuses it for good
 * (its order is complete, or unknown), or its hold there has surely run out. A supplier's order whose `@id` the
 * shop never learnt is found by the POST sent again with the same Idempotency-Key and body: the supplier answers
 * it with the order it made for that key (or makes it, when the first POST never arrived), which is then cancelled.
 * Only the order made for that one attempt is ever cancelled, and only attempts the shop reported as not placed
 * (or orders it cancelled) are owed: no order the shop reports as placed is cancelled at its supplier.
 *
 * A shop that stops (a crash) while it waits for a supplier's answer reports nothing: every placement is therefore
 * recorded before it is sent ({@link UpstreamCancellations.placing}), and forgotten in the transaction that stores
 * what the supplier answered. One the next start still finds was cut off: it is owed like any other.
 *
 * @packageDocumentation
 */
import type { NewUpstreamCancellation, OrderStore, PlacementRef, UpstreamCancellation, UpstreamPlacement } from '../store/orders.js';

/** What a supplier answered (the order service's `UpstreamOutcome`, as much of it as is read here). */
type SupplierAnswer = { readonly ok: true; readonly order: string } | { readonly ok: false; readonly status: number; readonly reason: string; readonly httpStatus?: number };

/** The orders at suppliers' nodes, as much of the order service's `UpstreamOrders` port as is used here. */
export interface SupplierOrders {
  place(request: {
    readonly ordersUrl: string; readonly orderedBy: string; readonly lines: UpstreamPlacement['lines']; readonly key: string;
    readonly via?: readonly string[]; readonly sessionEnd?: string;
  }): Promise<SupplierAnswer>;
  cancel(order: string, orderedBy: string): Promise<SupplierAnswer>;
}

/** What happened to an owed cancellation, for the operator's log. */
export type UpstreamCancellationEvent =
  /** Recorded: the supplier could not be reached, or its answer to the order was lost. */
  | { readonly kind: 'owed'; readonly cancellation: NewUpstreamCancellation }
  /** The supplier confirmed it (or holds no order for it). */
  | { readonly kind: 'done'; readonly cancellation: UpstreamCancellation; readonly note?: string }
  /** The supplier refused it for good (its order is complete, or it knows none): nothing more to try. */
  | { readonly kind: 'refused'; readonly cancellation: OwedCancellation; readonly reason: string }
  /** An attempt failed; tried again at `nextAt`. */
  | { readonly kind: 'retry'; readonly cancellation: UpstreamCancellation; readonly error: string; readonly nextAt: string }
  /** No longer tried: the supplier's hold has run out by now. */
  | { readonly kind: 'given-up'; readonly cancellation: UpstreamCancellation; readonly error: string };

/** What {@link UpstreamCancellations} needs. */
export interface UpstreamCancellationsDeps {
  readonly store: OrderStore;
  readonly upstream: SupplierOrders | undefined;
  /** The buyer the supplier knows for an enterprise of ours (`dfc-b:orderedBy`). */
  readonly orderedBy: (eid: string) => string;
  readonly now: () => number;
  /** This node's hold: how long after what it sent a supplier may still hold an order (at least a day is assumed). */
  readonly holdMs: number;
  readonly onEvent?: (event: UpstreamCancellationEvent) => void;
  /**
   * Whether the supplier of an orders collection answers a POST sent again with its `Idempotency-Key` with the order
   * the first made (a Maillon node does; Open Food Network's and FDC's servers make another order); undefined when it
   * cannot be told now. None: no supplier is assumed to, and an order whose `@id` was never learnt is not looked for.
   */
  readonly honoursKeys?: (ordersUrl: string) => Promise<boolean | undefined>;
  /** The delay before the first retry (then doubled each time, up to {@link maxDelayMs}). */
  readonly firstDelayMs?: number;
  readonly maxDelayMs?: number;
}

/** A cancellation to owe, before its schedule is set. */
export interface OwedCancellation {
  readonly eid: string;
  readonly order?: string;
  /** The supplier's order, or its orders collection with {@link placement}. */
  readonly target: string;
  readonly placement?: UpstreamPlacement;
  /** The key of a placement in flight that amends {@link target} (which it then names: no {@link placement}). */
  readonly key?: string;
  readonly reason: string;
  /** Until when the supplier was asked to hold the order (the expiry sent, or the shop's order's), if known. */
  readonly heldUntil?: string | null;
}

const DEFAULT_FIRST_DELAY_MS = 1000;
const DEFAULT_MAX_DELAY_MS = 10 * 60_000;
/** The least time an owed cancellation is tried for: a supplier's hold is its own, and may be longer than ours. */
const LEAST_TRIED_MS = 86_400_000;
/** Owed cancellations tried per run: a supplier that came back gets a burst of them, one run after another. */
const PER_RUN = 50;

/** The owed cancellations: recorded, then retried on the node's timers ({@link retryDue}). */
export class UpstreamCancellations {
  private readonly firstDelayMs: number;
  private readonly maxDelayMs: number;

  public constructor(private readonly deps: UpstreamCancellationsDeps) {
    this.firstDelayMs = deps.firstDelayMs ?? DEFAULT_FIRST_DELAY_MS;
    this.maxDelayMs = deps.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  }

  /** Records cancellations owed to suppliers (in one transaction), the first attempt {@link firstDelayMs} from now. */
  public async owe(owed: readonly OwedCancellation[]): Promise<void> {
    if (owed.length === 0) return;
    const records = this.scheduled(owed);
    await this.deps.store.oweUpstream(records);
    for (const cancellation of records) this.deps.onEvent?.({ kind: 'owed', cancellation });
  }

  /**
   * Records placements about to be sent (before they are): each becomes a cancellation owed if this process
   * stops before {@link settle} (or an order stored with `settles`) forgets it, or if {@link owe} owes it.
   */
  public async placing(placements: readonly OwedCancellation[]): Promise<void> {
    await this.deps.store.recordPlacements(this.scheduled(placements));
  }

  /** Forgets placements whose answers were dealt with (an order, or its cancellations, stored or owed). */
  public async settle(placements: readonly PlacementRef[]): Promise<void> {
    await this.deps.store.settlePlacements(placements);
  }

  /** Cancellations as stored: tried first {@link firstDelayMs} from now, given up once the supplier's hold has surely run out. */
  private scheduled(owed: readonly OwedCancellation[]): NewUpstreamCancellation[] {
    const now = this.deps.now();
    return owed.map(({ heldUntil, ...c }): NewUpstreamCancellation => {
      const until = heldUntil === undefined || heldUntil === null ? Number.NaN : Date.parse(heldUntil);
      const from = Number.isFinite(until) && until > now ? until : now;
      return {
        ...c, nextAt: new Date(now + this.firstDelayMs).toISOString(), giveUpAt: new Date(from + Math.max(this.deps.holdMs, LEAST_TRIED_MS)).toISOString(),
      };
    });
  }

  /**
   * Tries the owed cancellations that are due (at most {@link PER_RUN}); answers how many are settled (done,
   * refused for good or given up) and how many are put off.
   */
  public async retryDue(): Promise<{ settled: number; postponed: number }> {
    const now = this.deps.now();
    const due = await this.deps.store.upstreamDue(new Date(now).toISOString(), PER_RUN);
    let settled = 0;
    let postponed = 0;
    for (const cancellation of due) {
      const outcome = await this.attempt(cancellation);
      if (outcome.kind === 'done' || outcome.kind === 'refused') {
        await this.deps.store.settleUpstream(cancellation.id);
        this.deps.onEvent?.(outcome.kind === 'done'
          ? { kind: 'done', cancellation, ...(outcome.note !== undefined ? { note: outcome.note } : {}) }
          : { kind: 'refused', cancellation, reason: outcome.reason });
        settled += 1;
        continue;
      }
      const at = this.deps.now();
      if (at >= Date.parse(cancellation.giveUpAt)) {
        await this.deps.store.settleUpstream(cancellation.id);
        this.deps.onEvent?.({ kind: 'given-up', cancellation, error: outcome.error });
        settled += 1;
        continue;
      }
      const attempts = cancellation.attempts + 1;
      const nextAt = new Date(at + Math.min(this.maxDelayMs, this.firstDelayMs * 2 ** Math.min(attempts, 30))).toISOString();
      await this.deps.store.postponeUpstream(cancellation.id, {
        attempts, nextAt, lastError: outcome.error, ...(outcome.target !== undefined ? { target: outcome.target } : {}),
      });
      this.deps.onEvent?.({ kind: 'retry', cancellation, error: outcome.error, nextAt });
      postponed += 1;
    }
    return { settled, postponed };
  }

  /** One attempt: the supplier's order found (by its placement) if need be, then cancelled. */
  private async attempt(c: UpstreamCancellation): Promise<
    { kind: 'done'; note?: string } | { kind: 'refused'; reason: string } | { kind: 'retry'; error: string; target?: string }
  > {
    const upstream = this.deps.upstream;
    if (upstream === undefined) return { kind: 'refused', reason: 'this node no longer orders from other nodes' };
    const orderedBy = this.deps.orderedBy(c.eid);
    try {
      let target = c.target;
      if (c.placement !== undefined) {
        // Sent again to a supplier that does not take the key, the POST would make one more order, and the one it
        // took first would stay held: such a cancellation cannot be done from here, and its operator is told.
        const honours = this.deps.honoursKeys === undefined ? false : await this.deps.honoursKeys(c.target);
        if (honours === undefined) return { kind: 'retry', error: 'whether the supplier takes an Idempotency-Key cannot be told now (its discovery document did not answer)' };
        if (!honours) {
          return {
            kind: 'refused', reason: 'the supplier is no node that answers a POST sent again with its Idempotency-Key with the order it made (no Maillon node): '
              + 'the order it may have taken cannot be found from here; its operator must be asked to cancel it',
          };
        }
        const { key, lines, via, sessionEnd } = c.placement;
        const placed = await upstream.place({
          ordersUrl: c.target, orderedBy, lines, key, ...(via !== undefined ? { via } : {}), ...(sessionEnd !== undefined ? { sessionEnd } : {}),
        });
        if (!placed.ok) {
          // Refused: the supplier holds no order for this key (it refused it, or the order it made is closed already).
          // Not a refusal of the order but of this node (a credential it no longer takes, 401/403) or of the address
          // (404 from a proxy in front of it, 400): nothing is known of the order, and it is asked again later.
          const refusedOrder = placed.httpStatus === undefined || placed.httpStatus === 409 || placed.httpStatus === 422;
          if (placed.status === 409 && refusedOrder) return { kind: 'done', note: `the supplier holds no order for it: ${placed.reason}` };
          return { kind: 'retry', error: placed.reason };
        }
        target = placed.order;
      }
      const cancelled = await upstream.cancel(target, orderedBy);
      if (cancelled.ok) return { kind: 'done' };
      if (cancelled.status === 409) return { kind: 'refused', reason: cancelled.reason };
      return { kind: 'retry', error: cancelled.reason, ...(target !== c.target ? { target } : {}) };
    } catch (error: unknown) {
      return { kind: 'retry', error: error instanceof Error ? error.message : String(error) };
    }
  }
}
