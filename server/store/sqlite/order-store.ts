/**
 * The SQLite implementation of {@link OrderStore}.
 *
 * Every change of stock is one conditional `UPDATE` of the item's ledger (`… WHERE available >= ?`) inside the
 * order's transaction: a line that finds too little changes no row, and the whole transaction is rolled back.
 * The new available stock is then copied into the published catalog item and its offers (which moves the
 * enterprise's version and appends to the change feed, by trigger) in the same database transaction: once per
 * group commit and item, before the commit ({@link publishLater}).
 *
 * An offer with a stock of its own (migration 38: written with another number than its item's) has a ledger of its
 * own beside the item's, moved in the same transaction by the same kind of statements ({@link moveOffers}): a line
 * through it needs both, records what it holds of the offer's (`offer_reserved`), and the offer publishes its own.
 *
 * @packageDocumentation
 */
import {
  type ListingDetailKey, OrderStateError, UnknownOrderError, type CreateOutcome, type ListingRow, type NewListing, type NewOrder, type NewOrderLine, type Orderable,
  type OrderLineRow, type OrderRow, type OrderState, type OrderStore, type Reservation, type ShortLine, type StockLevel, type NewUpstreamCancellation,
  type PlacementRef, type UpstreamCancellation, type UpstreamPlacement,
} from '../orders.js';
import type { DfcRecord } from '../../../ontology/records.js';
import { inChunks, valueChunks } from './chunks.js';
import { KeyedReads, numbered } from './keyed-reads.js';
import type { Batchable, BatchContext, BatchOutcome, BatchRunner, SqlConnection, SqliteDatabase, SqlValue, TransactionContext, TransactionOptions } from './database.js';
import { freshIdSql } from './fresh-ids.js';

interface StockSql { item_iri: string; eid: string; on_demand: number; initial: number; restocked: number; available: number; reserved: number; sold: number }
interface OrderSql {
  iri: string; eid: string; number: number; status: string; ordered_by: string | null; placed_by: string | null; details: string; created_at: string;
  updated_at: string; expires_at: string | null; closed_reason: string | null;
}
interface LineSql {
  order_iri: string; position: number; offer_iri: string; item_iri: string; product_iri: string | null; quantity: number; price: number | null;
  currency: string | null; reserved: number; listing_id: number | null; details: string; offer_reserved: number;
}
interface ListingSql {
  id: number; eid: string; item_iri: string; offer_iri: string; product_iri: string; origin_item: string; origin_offer: string | null; origin_product: string;
  origin_orders: string; factor: number; price: number | null; markup: number | null; details: string; created_at: string;
}

interface UpstreamCancellationSql {
  id: number; eid: string; order_iri: string | null; target: string; key: string; placement: string | null; reason: string; attempts: number;
  next_at: string; give_up_at: string; last_error: string | null; created_at: string;
}

function upstreamCancellation(r: UpstreamCancellationSql): UpstreamCancellation {
  return {
    id: r.id, eid: r.eid, ...(r.order_iri !== null ? { order: r.order_iri } : {}), target: r.target,
    ...(r.placement !== null ? { placement: JSON.parse(r.placement) as UpstreamPlacement } : {}), reason: r.reason, attempts: r.attempts,
    nextAt: r.next_at, giveUpAt: r.give_up_at, lastError: r.last_error, createdAt: r.created_at,
  };
}

/** The key an owed cancellation or a placement in flight is told apart by, beside its target ('' for a plain cancellation). */
function keyOf(c: NewUpstreamCancellation): string {
  return c.placement?.key ?? c.key ?? '';
}

function stockLevel(r: StockSql): StockLevel {
  return {
    item: r.item_iri, eid: r.eid, onDemand: r.on_demand === 1, initial: r.initial, restocked: r.restocked, available: r.available, reserved: r.reserved,
    sold: r.sold,
  };
}

function lineRow(r: LineSql): OrderLineRow {
  return {
    position: r.position, offer: r.offer_iri, item: r.item_iri, ...(r.product_iri !== null ? { product: r.product_iri } : {}), quantity: r.quantity,
    ...(r.price !== null && r.currency !== null ? { price: { value: r.price, currency: r.currency } } : {}), reserved: r.reserved,
    ...(r.listing_id !== null ? { listing: r.listing_id } : {}), details: JSON.parse(r.details) as Record<string, unknown>,
    ...(r.offer_reserved > 0 ? { offerReserved: r.offer_reserved } : {}),
  };
}

function listingRow(r: ListingSql): ListingRow {
  return {
    id: r.id, eid: r.eid, item: r.item_iri, offer: r.offer_iri, product: r.product_iri, originItem: r.origin_item,
    ...(r.origin_offer !== null ? { originOffer: r.origin_offer } : {}), originProduct: r.origin_product, originOrders: r.origin_orders, factor: r.factor,
    ...(r.price !== null ? { price: r.price } : {}), ...(r.markup !== null ? { markup: r.markup } : {}),
    details: JSON.parse(r.details) as Record<string, unknown>, createdAt: r.created_at,
  };
}

/** Raised inside a transaction to roll it back and answer the short lines. */
class Short extends Error {
  public constructor(public readonly short: readonly ShortLine[]) {
    super('short');
  }
}

/** Whether a new order reserves its lines of the local ledgers: all but one recorded refused (created Cancelled). */
function reserves(order: NewOrder): boolean {
  return order.state !== 'Cancelled';
}

/**
 * The SQL of `a + b` for the ledger's counters, exact in millionths of a unit: both in whole millionths, added as
 * integers (exact up to 2^53, that is 9·10^9 units), then divided once (IEEE division rounds correctly). Added as
 * floating point, fractional quantities (kilograms) left binary rounding in the counters, each movement its own:
 * an order of 10 × 0.1 cancelled gave back 1.0000000000000142 (stock out of nothing); at 10^9 units a hundred
 * lines of 0.001 drifted past the invariant's CHECK, so that the order could be neither cancelled nor completed
 * (500); and a published stock such as 0.9410000000000001 was written by SQLite with 17 digits, which no writer's
 * JSON of the record it read ever equals again (every later write of the item a 409). A counter on the grid is
 * the double nearest a decimal of at most 15 digits, which SQLite and JavaScript write alike.
 */
function plus(a: string, b: string): string {
  return `(round((${a}) * 1e6) + round((${b}) * 1e6)) / 1e6`;
}

/** {@link plus} in JavaScript, for the sums of lines and the counters {@link createTogether} moves: the same value as the SQL. */
function ledgerPlus(a: number, b: number): number {
  return (roundAsSql(a * 1e6) + roundAsSql(b * 1e6)) / 1e6;
}

/** SQLite's `round(x)`: halves away from zero (`Math.round` takes -2.5 to -2; SQLite to -3, as here). */
function roundAsSql(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** What an order asks of one item's ledger. */
interface Demand {
  /** What the ledger must give (positive) or get back (negative): the lines' quantities less what the order holds. */
  quantity: number;
  /** What the order's lines on the item ask together. */
  requested: number;
  /** What the order already holds of the item (an amendment; 0 for a new order). */
  held: number;
  /** The lines on the item (0-based). */
  indexes: number[];
  /**
   * Of an offer's own ledger: what the order has through the offer without holding any of that ledger (its lines
   * were reserved while the offer mirrored its item, whose stock did not count them), which it is not asked again.
   */
  unheld?: number;
}

/** What the lines through each offer hold of its own ledger, the amount of each offer given to its lines in turn. */
function offerHolds(lines: readonly NewOrderLine[], holds: ReadonlyMap<string, number>): number[] {
  const left = new Map(holds);
  return lines.map((line) => {
    const remaining = line.listing === undefined ? left.get(line.offer) : undefined;
    if (remaining === undefined) return 0;
    const held = Math.min(line.quantity, remaining);
    left.set(line.offer, ledgerPlus(remaining, -held));
    return held;
  });
}

/**
 * Quantities by ledger, of the lines that draw on the local ledgers (none when not `reserving`): by catalog item
 * (`item`), or by offer (`offer`: what they ask of their offers' own ledgers, when the offers have one, which only
 * the order's transaction knows).
 */
function demandBy(by: 'item' | 'offer', lines: readonly NewOrderLine[], reserving = true): Map<string, Demand> {
  const byLedger = new Map<string, Demand>();
  if (!reserving) return byLedger;
  lines.forEach((line, index) => {
    if (line.listing !== undefined) return;
    const key = line[by];
    const entry = byLedger.get(key) ?? { quantity: 0, requested: 0, held: 0, indexes: [] };
    // Summed as the ledger moves (exact in millionths): a hundred lines of 0.001 beside one of 999,999,000 added
    // as floating point were 999999000.0999953.
    entry.quantity = ledgerPlus(entry.quantity, line.quantity);
    entry.requested = ledgerPlus(entry.requested, line.quantity);
    entry.indexes.push(index);
    byLedger.set(key, entry);
  });
  return byLedger;
}

/** Quantities by item ({@link demandBy}). */
const demand = (lines: readonly NewOrderLine[], reserving = true): Map<string, Demand> => demandBy('item', lines, reserving);
/** Quantities by offer ({@link demandBy}). */
const offerDemand = (lines: readonly NewOrderLine[], reserving = true): Map<string, Demand> => demandBy('offer', lines, reserving);

/**
 * The short lines of an item the order could not have: each line with its own quantity, and what the order could
 * have of the item (the ledger's `available`, plus what the order holds of it already); lines sharing the item
 * also say what they ask together, and which they are. With `offer`, the lines through an offer short of its own
 * stock, named the same way (what the order could have through the offer).
 */
function shortLinesOf(item: string | undefined, wanted: Demand, available: number, lines: readonly NewOrderLine[], offer?: string): ShortLine[] {
  return wanted.indexes.map((index) => ({
    index, item: item ?? (lines[index] as NewOrderLine).item, ...(offer !== undefined ? { offer } : {}), requested: (lines[index] as NewOrderLine).quantity,
    available: available + wanted.held,
    ...(wanted.indexes.length > 1 ? { requestedTogether: wanted.requested, sharedWith: wanted.indexes.filter((i) => i !== index) } : {}),
  }));
}

/** One entry per short line: a line short of both its item and its offer is named by the one that has less. */
function shortest(short: readonly ShortLine[]): ShortLine[] {
  const byIndex = new Map<number, ShortLine>();
  for (const line of short) {
    const known = byIndex.get(line.index);
    if (known === undefined || line.available < known.available) byIndex.set(line.index, line);
  }
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}

// What a line gives back is compared in whole millionths too: a ledger or a line written before the counters were
// exact may differ by a hair of rounding from what the other holds (the line then takes the reservation to zero).
const HOLDS_LINE = 'round(reserved * 1e6) >= round(?1 * 1e6)';
// Units reserved while the item was on demand (`held_on_demand`) never came out of its available stock: released,
// they go back to no stock, even once the item counts its stock again (given back to `available`, they were stock
// out of nothing, which orders then sold: an attack probe's oversell). Which units a release gives back is not
// recorded per line, so those reserved on demand go first: the ledger may give back less than it could (the seller's
// next stock write sets it), never more.
const RELEASE = `UPDATE stock SET
    available = CASE WHEN on_demand = 1 THEN available ELSE ${plus(plus('available', '?1'), '-min(?1, held_on_demand)')} END,
    restocked = CASE WHEN on_demand = 1 THEN ${plus('restocked', '-?1')} ELSE ${plus('restocked', '-min(?1, held_on_demand)')} END,
    reserved = CASE WHEN round(reserved * 1e6) <= round(?1 * 1e6) THEN 0 ELSE ${plus('reserved', '-?1')} END,
    held_on_demand = CASE
      WHEN round(reserved * 1e6) <= round(?1 * 1e6) THEN 0
      -- On demand, nothing comes back whichever units these are: counted ones go first, so that what is still held
      -- on demand stays counted so (as much of what stays reserved as it can be, as a sale leaves it).
      WHEN on_demand = 1 THEN min(held_on_demand, ${plus('reserved', '-?1')})
      WHEN round(held_on_demand * 1e6) <= round(?1 * 1e6) THEN 0 ELSE ${plus('held_on_demand', '-?1')} END
  WHERE item_iri = ?2 AND eid = ?3 AND ${HOLDS_LINE}`;
// What is sold leaves the reservation; as much of what stays as can be is still counted as reserved on demand.
const SELL = `UPDATE stock SET reserved = CASE WHEN round(reserved * 1e6) <= round(?1 * 1e6) THEN 0 ELSE ${plus('reserved', '-?1')} END,
    held_on_demand = CASE WHEN round(reserved * 1e6) <= round(?1 * 1e6) THEN 0 ELSE min(held_on_demand, ${plus('reserved', '-?1')}) END,
    sold = ${plus('sold', '?1')}
  WHERE item_iri = ?2 AND eid = ?3 AND ${HOLDS_LINE}`;

/**
 * The SQL of a counter as JSON text the way JavaScript writes the number: SQLite writes some doubles with 17 digits
 * (`0.94100000000000006` for JavaScript's `0.9410000000000001`), and a record whose text no writer's JSON of it ever
 * equals again makes every conditional write of it a 409 for good. Fifteen significant digits are the shortest
 * decimal of a counter on the ledger's grid (a whole millionth below 10^9), which is what JavaScript writes too;
 * below 10^-4, where `%g` would write an exponent, the plain decimal.
 */
function jsonNumber(x: string): string {
  return `json(CASE WHEN ${x} <> 0 AND abs(${x}) < 1e-4 THEN rtrim(rtrim(printf('%.6f', ${x}), '0'), '.') ELSE printf('%.15g', ${x}) END)`;
}

// The published copy follows the ledger, in the order's transaction: the offers that mirrored the item's stock,
// then the item (writing a record moves the enterprise's version and appends to the feed, by trigger).
// An offer with a stock of its own publishes its own ledger's, no more than the item's ({@link PUBLISH_OWN_OFFERS}).
const PUBLISH_OFFERS = `UPDATE resources SET record = json_set(record, '$.stock', ${jsonNumber('s.available')}), stock = s.available, version = NULL,
    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
  FROM stock s
  WHERE s.item_iri = ?1 AND s.on_demand = 0 AND resources.eid = ?2 AND resources.kind = 'Offer'
    AND resources.iri IN (SELECT value FROM json_each((SELECT record FROM resources WHERE iri = ?1), '$.offers'))
    AND json_extract(resources.record, '$.stock') IS (SELECT json_extract(record, '$.stock') FROM resources WHERE iri = ?1)
    AND json_extract(resources.record, '$.stock') IS NOT s.available
    AND NOT EXISTS (SELECT 1 FROM offer_stock o WHERE o.offer_iri = resources.iri AND o.own = 1)`;
/**
 * The stock an offer with a ledger of its own publishes, from its ledger `o` and its item's `s` (LEFT JOINed): what
 * can be ordered through it, the smaller of what the two have left. Its own alone would say 3 while its item has 1,
 * and a shop showing 3 gets a 409 for an order of 3. An item on demand, or with no ledger, limits nothing. The
 * ledgers stay as they are: this is their publication only (migration 42 has the offer's trigger know it as such).
 */
export const OWN_OFFER_PUBLISHED = 'CASE WHEN s.on_demand = 0 AND s.available < o.available THEN s.available ELSE o.available END';

// The offers with a ledger of their own among the offers, or of the items, of a JSON array of IRIs: their published
// stock, where it is not what they say (a write of the offer that its trigger knows for the ledgers' publication).
const PUBLISH_OWN_OFFERS = `UPDATE resources SET record = json_set(record, '$.stock', ${jsonNumber('p.stock')}), stock = p.stock, version = NULL,
    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
  FROM (SELECT o.offer_iri AS iri, o.eid AS eid, ${OWN_OFFER_PUBLISHED} AS stock FROM offer_stock o LEFT JOIN stock s ON s.item_iri = o.item_iri
      WHERE o.own = 1 AND o.offer_iri IN (SELECT value FROM json_each(?1))
    UNION
    SELECT o.offer_iri, o.eid, ${OWN_OFFER_PUBLISHED} FROM offer_stock o LEFT JOIN stock s ON s.item_iri = o.item_iri
      WHERE o.own = 1 AND o.item_iri IN (SELECT value FROM json_each(?1))) AS p
  WHERE resources.iri = p.iri AND resources.eid = p.eid AND resources.kind = 'Offer' AND json_extract(resources.record, '$.stock') IS NOT p.stock`;

/**
 * Publishes on each offer with a stock of its own, among `iris` or of the items among them, what can be ordered
 * through it ({@link OWN_OFFER_PUBLISHED}): after the orders moved its ledger or its item's, and after a write of the
 * offer or of its item (whose triggers moved the ledgers), in the same transaction. Nothing for IRIs of neither.
 *
 * @param iris - offers and catalog items (others are no offer's and no item's: they change nothing)
 */
export async function publishOwnOffers(tx: SqlConnection, iris: readonly string[]): Promise<void> {
  if (iris.length > 0) await tx.run(PUBLISH_OWN_OFFERS, [JSON.stringify(iris)]);
}

const PUBLISH_ITEM = `UPDATE resources SET record = json_set(record, '$.stock', ${jsonNumber('s.available')}), stock = s.available, version = NULL,
    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
  FROM stock s
  WHERE s.item_iri = ?1 AND s.on_demand = 0 AND resources.iri = ?1 AND resources.eid = ?2
    AND json_extract(resources.record, '$.stock') IS NOT s.available`;

/**
 * Publishes an item's available stock on the item and the offers that mirrored it, and on its offers with a stock of
 * their own the new smaller of theirs and the item's.
 */
async function publish(tx: SqlConnection, item: string, eid: string): Promise<void> {
  await tx.run(PUBLISH_OFFERS, [item, eid]);
  await tx.run(PUBLISH_ITEM, [item, eid]);
  await publishOwnOffers(tx, [item]);
}

/**
 * Publishes an item's available stock once its group of transactions has moved it (before the group commits):
 * the orders of one group commit write the published copy once, not once each (two statements, each firing the
 * feed's and the versions' triggers, on the writer that every order waits for). No reader sees the difference:
 * readers see committed states only, and every committed state has the published copy follow its ledger.
 */
function publishLater(context: TransactionContext, item: string, eid: string): void {
  context.defer(`publish stock ${eid} ${item}`, (tx) => publish(tx, item, eid));
}

/** {@link publishLater} of an offer's own ledger, on the offer. */
function publishOfferLater(context: TransactionContext, offer: string, eid: string): void {
  context.defer(`publish offer stock ${eid} ${offer}`, (tx) => publishOwnOffers(tx, [offer]));
}

// An offer's own ledger, moved as the item's is (exact in millionths), but per line: each line records what it holds
// of its offer's ledger (`offer_reserved`), which a release gives back, or a sale moves to sold. A ledger no longer
// the offer's own (its stock written as its item's since) still gets its units back, and publishes nothing.
const RELEASE_OFFER = `UPDATE offer_stock SET available = ${plus('available', '?1')}, reserved = ${plus('reserved', '-?1')}
  WHERE offer_iri = ?2 AND eid = ?3 AND round(reserved * 1e6) >= round(?1 * 1e6)`;
const SELL_OFFER = `UPDATE offer_stock SET reserved = ${plus('reserved', '-?1')}, sold = ${plus('sold', '?1')}
  WHERE offer_iri = ?2 AND eid = ?3 AND round(reserved * 1e6) >= round(?1 * 1e6)`;

/**
 * The transactions of orders read the ledgers, never the published copy of their stock: they may run while the
 * copy written for the orders before them in their group is still to be written ({@link publishLater}).
 */
const ORDER_TRANSACTION: TransactionOptions = { overlooksDeferred: true };

/** Items reserved by one statement at most (two parameters each, below the bulk threshold of the statement cache). */
const RESERVED_TOGETHER = 40;

/**
 * Reserves every item of `wanted` that has enough, in one statement per {@link RESERVED_TOGETHER} items (each row
 * only while it has enough, or whatever it has when it is on demand): one round trip on the writer, whatever the lines.
 *
 * @returns the items reserved
 */
async function take(tx: SqlConnection, eid: string, wanted: readonly (readonly [string, number])[]): Promise<Set<string>> {
  const taken = new Set<string>();
  for (let i = 0; i < wanted.length; i += RESERVED_TOGETHER) {
    const chunk = wanted.slice(i, i + RESERVED_TOGETHER);
    const rows = await tx.all<{ item_iri: string }>(
      `UPDATE stock SET
         available = CASE WHEN stock.on_demand = 1 THEN stock.available ELSE ${plus('stock.available', '-d.q')} END,
         restocked = CASE WHEN stock.on_demand = 1 THEN ${plus('stock.restocked', 'd.q')} ELSE stock.restocked END,
         reserved = ${plus('stock.reserved', 'd.q')},
         held_on_demand = CASE WHEN stock.on_demand = 1 THEN ${plus('stock.held_on_demand', 'd.q')} ELSE stock.held_on_demand END
       FROM (SELECT column1 AS item, column2 AS q FROM (VALUES ${chunk.map(() => '(?, ?)').join(', ')})) AS d
       WHERE stock.item_iri = d.item AND stock.eid = ? AND (stock.on_demand = 1 OR stock.available >= d.q)
       RETURNING stock.item_iri`,
      [...chunk.flat(), eid],
    );
    for (const row of rows) taken.add(row.item_iri);
  }
  return taken;
}

/** Offers moved by one statement at most (three parameters each, below the bulk threshold of the statement cache). */
const OFFERS_TOGETHER = 30;

/** Whether a statement failed on a CHECK constraint (SQLite then undid that statement alone). */
function isCheckFailure(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'SQLITE_CONSTRAINT' && /\bCHECK constraint failed\b/u.test(String((error as Error).message));
}

/**
 * Moves the own ledgers of the offers an order's lines go through, in one statement per {@link OFFERS_TOGETHER}
 * offers: each gives back what the order held of it (`held`, in an amendment) and, when the stock is the offer's
 * own, takes what the lines now ask (`requested`). An offer without a ledger of its own (it mirrors its item's
 * stock) takes nothing. A ledger left with less than nothing fails its CHECK (`available >= 0`, the database's own
 * guard, as no two orders then take the same unit): the statement changes nothing, and the short lines are read.
 *
 * @returns what the lines hold of each offer's own ledger (by offer: see {@link offerHolds}), and the lines short
 *   of them (the caller's transaction is then to be rolled back)
 */
async function moveOffers(
  tx: SqlConnection, context: TransactionContext, eid: string, wanted: ReadonlyMap<string, Demand>, lines: readonly NewOrderLine[],
): Promise<{ holds: Map<string, number>; short: ShortLine[] }> {
  // What each ledger is to hold: what the lines ask, less what the order has through the offer without holding it.
  const target = (d: Demand): number => Math.max(0, ledgerPlus(d.requested, -(d.unheld ?? 0)));
  const moves = [...wanted].filter(([, d]) => d.held > 0 || target(d) > 0);
  const holds = new Map<string, number>();
  for (let i = 0; i < moves.length; i += OFFERS_TOGETHER) {
    const chunk = moves.slice(i, i + OFFERS_TOGETHER);
    let rows: { offer: string; own: number }[];
    try {
      rows = await tx.all<{ offer: string; own: number }>(
        `UPDATE offer_stock SET
           available = CASE WHEN offer_stock.own = 1 THEN ${plus(plus('offer_stock.available', 'd.h'), '-d.q')} ELSE ${plus('offer_stock.available', 'd.h')} END,
           reserved = CASE WHEN offer_stock.own = 1 THEN ${plus(plus('offer_stock.reserved', '-d.h'), 'd.q')} ELSE ${plus('offer_stock.reserved', '-d.h')} END
         FROM (SELECT column1 AS offer, column2 AS h, column3 AS q FROM (VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')})) AS d
         WHERE offer_stock.offer_iri = d.offer AND offer_stock.eid = ? AND (offer_stock.own = 1 OR d.h > 0)
         RETURNING offer_stock.offer_iri AS offer, offer_stock.own AS own`,
        [...chunk.flatMap(([offer, d]) => [offer, d.held, target(d)]), eid],
      );
    } catch (error: unknown) {
      if (!isCheckFailure(error)) throw error;
      // What each own ledger of the chunk had (the failed statement moved none of them).
      const available = new Map<string, number>();
      await inChunks(chunk.map(([offer]) => offer), async (iris, marks) => {
        const found = await tx.all<{ offer_iri: string; available: number }>(
          `SELECT offer_iri, available FROM offer_stock WHERE eid = ? AND own = 1 AND offer_iri IN (${marks})`, [eid, ...iris]);
        for (const row of found) available.set(row.offer_iri, row.available);
      });
      const short = chunk.flatMap(([offer, d]) => {
        const has = available.get(offer);
        return has !== undefined && ledgerPlus(has, d.held) < target(d) ? shortLinesOf(undefined, d, ledgerPlus(has, d.unheld ?? 0), lines, offer) : [];
      });
      // None short: the ledger is not as its lines say (a fault, not a refusal).
      if (short.length === 0) throw error;
      return { holds, short };
    }
    const moved = new Map(chunk);
    for (const row of rows) {
      if (row.own !== 1) continue;
      holds.set(row.offer, target(moved.get(row.offer) as Demand));
      publishOfferLater(context, row.offer, eid);
    }
  }
  return { holds, short: [] };
}

/**
 * Moves stock by item: positive amounts are reserved (each under its condition, all in one statement), negative
 * ones released. Releases go first, so an amendment that moves units from one line to another of the same item
 * never fails. Then the offers' own ledgers ({@link moveOffers}): a line through an offer with a stock of its own
 * needs both.
 *
 * @returns what the lines hold of each offer's own ledger, by offer
 * @throws Short - when any reservation finds too little (the caller's transaction is then rolled back, with the
 *   reservations of the items that had enough)
 */
async function reserve(
  tx: SqlConnection, context: TransactionContext, eid: string, deltas: ReadonlyMap<string, Demand>, offers: ReadonlyMap<string, Demand>,
  lines: readonly NewOrderLine[],
): Promise<Map<string, number>> {
  const releases = [...deltas].filter(([, d]) => d.quantity < 0).sort(([, a], [, b]) => a.quantity - b.quantity);
  for (const [item, { quantity }] of releases) {
    const released = await tx.run(RELEASE, [-quantity, item, eid]);
    if (released.changes > 0) publishLater(context, item, eid);
    // An item deleted since the order was held has no ledger left to give back to.
    if (released.changes === 0 && (await tx.get('SELECT 1 FROM stock WHERE item_iri = ?', [item])) !== undefined) {
      throw new Error(`the ledger of ${item} holds less than the order reserved`);
    }
  }
  const wanted = [...deltas].filter(([, d]) => d.quantity > 0);
  const short: ShortLine[] = [];
  const taken = wanted.length === 0 ? new Set<string>() : await take(tx, eid, wanted.map(([item, d]) => [item, d.quantity] as const));
  for (const item of taken) publishLater(context, item, eid);
  const missing = wanted.filter(([item]) => !taken.has(item));
  if (missing.length > 0) {
    // What is left of each short item: not moved by this transaction (its reservation changed no row).
    const available = new Map<string, number>();
    await inChunks(missing.map(([item]) => item), async (chunk, marks) => {
      const rows = await tx.all<{ item_iri: string; available: number }>(`SELECT item_iri, available FROM stock WHERE eid = ? AND item_iri IN (${marks})`, [eid, ...chunk]);
      for (const row of rows) available.set(row.item_iri, row.available);
    });
    short.push(...missing.flatMap(([item, wanted]) => shortLinesOf(item, wanted, available.get(item) ?? 0, lines)));
  }
  // Moved even when an item is short: the answer then names the lines short of their offers too.
  const moved = await moveOffers(tx, context, eid, offers, lines);
  short.push(...moved.short);
  if (short.length > 0) throw new Short(shortest(short));
  return moved.holds;
}

/** The key of an order's idempotency record: two orders with the same one are never created in one statement. */
function requestKeys(order: NewOrder): string[] {
  const { idempotency } = order;
  return idempotency === undefined ? [] : [`order request\n${order.eid}\n${idempotency.caller}\n${idempotency.key}`];
}

/**
 * What the orders of one shared statement draw on, in one read: the ledgers of their items (`s`), the last
 * number of each enterprise's orders (`n`, one index lookup each), the answers already given to their
 * idempotency keys (`r`, with the key's index in the third parameter) and the own ledgers of their offers (`o`). Only strings pass through JSON here: the
 * numbers come back from the columns as stored.
 */
const CREATE_READS = `
  SELECT 's' AS t, item_iri AS a, eid AS b, on_demand AS c, available AS d, reserved AS e, restocked AS f, held_on_demand AS g FROM stock
    WHERE item_iri IN (SELECT value FROM json_each(?1))
  UNION ALL
  SELECT 'n', j.value, NULL, NULL, (SELECT MAX(number) FROM orders WHERE eid = j.value), NULL, NULL, NULL FROM json_each(?2) AS j
  UNION ALL
  SELECT 'r', r.order_iri, r.request_hash, NULL, j.key, NULL, NULL, NULL FROM json_each(?3) AS j
    JOIN order_requests r ON r.eid = j.value ->> 0 AND r.caller = j.value ->> 1 AND r.key = j.value ->> 2
  UNION ALL
  SELECT 'o', offer_iri, eid, NULL, available, reserved, NULL, NULL FROM offer_stock WHERE own = 1 AND offer_iri IN (SELECT value FROM json_each(?4))`;

/**
 * Most values bound to one statement of the shared ones below: under the statement cache's bulk threshold, so
 * that each chunk size is compiled once and kept.
 */
const VALUES_PER_STATEMENT = 99;

/** Runs `statement` (given the `(?, …), …` of its rows) on chunks of `rows` of `columns` values; answers the rows changed. */
async function inRows(tx: SqlConnection, columns: number, rows: readonly SqlValue[][], statement: (values: string) => string): Promise<number> {
  let changes = 0;
  for (const { values, params } of valueChunks(rows, columns, VALUES_PER_STATEMENT)) changes += (await tx.run(statement(values), params)).changes;
  return changes;
}

/** Runs `work` in a savepoint: when it throws, nothing it wrote stays (and the error goes on). */
async function atomically<T>(tx: SqlConnection, name: string, work: () => Promise<T>): Promise<T> {
  await tx.run(`SAVEPOINT ${name}`);
  try {
    const value = await work();
    await tx.run(`RELEASE ${name}`);
    return value;
  } catch (error: unknown) {
    // When SQLite rolled back more (an I/O error), the savepoint is gone: the database finds that out itself.
    await tx.run(`ROLLBACK TO ${name}`).then(() => tx.run(`RELEASE ${name}`)).catch(() => undefined);
    throw error;
  }
}

/** Forgets the placements in flight whose answers a write records (those since owed stay owed). */
async function forgetPlacements(tx: SqlConnection, placements: readonly PlacementRef[] | undefined): Promise<void> {
  if (placements === undefined || placements.length === 0) return;
  await inRows(tx, 2, placements.map((p) => [p.target, p.key]), FORGET_PLACEMENTS);
}

const FORGET_PLACEMENTS = (values: string) => `DELETE FROM upstream_cancellations WHERE sending = 1 AND (target, key) IN (VALUES ${values})`;

// The ledgers as the runner left them, value for value: each order's reservation computed in turn, as one
// order's own statement would have (a sum of fractional quantities subtracted at once could differ in its last bit).
const SET_LEDGERS = (values: string) => `UPDATE stock SET available = d.column3, reserved = d.column4, restocked = d.column5, held_on_demand = d.column6
  FROM (VALUES ${values}) AS d WHERE stock.item_iri = d.column1 AND stock.eid = d.column2`;
const SET_OFFER_LEDGERS = (values: string) => `UPDATE offer_stock SET available = d.column3, reserved = d.column4
  FROM (VALUES ${values}) AS d WHERE offer_stock.offer_iri = d.column1 AND offer_stock.eid = d.column2 AND offer_stock.own = 1`;
const INSERT_ORDERS = (values: string) =>
  `INSERT INTO orders (iri, eid, number, status, ordered_by, placed_by, details, created_at, updated_at, expires_at, closed_reason) VALUES ${values}`;
const LINE_COLUMNS = 12;
const INSERT_LINES = (values: string) =>
  `INSERT INTO order_lines (order_iri, position, offer_iri, item_iri, product_iri, quantity, price, currency, reserved, listing_id, details, offer_reserved) VALUES ${values}`;
const INSERT_REQUESTS = (values: string) => `INSERT INTO order_requests (eid, caller, key, request_hash, order_iri, created_at) VALUES ${values}`;

/** A ledger as {@link createTogether} reads it and moves it. */
interface Ledger { readonly eid: string; readonly onDemand: boolean; available: number; reserved: number; restocked: number; heldOnDemand: number; moved: boolean }
/** An offer's own ledger as {@link createTogether} reads it and moves it. */
interface OfferLedger { readonly eid: string; available: number; reserved: number; moved: boolean }

/**
 * Creates several orders queued together ({@link BatchRunner}) in a handful of statements, not three or four
 * each: one read of what they draw on, then the ledgers, orders, lines and keys written in a savepoint (one
 * fails, none stays; a runner that opens the transaction needs none: a failure then rolls all of it back).
 *
 * Each order is decided as it would be alone, in the order asked, on the ledgers as the orders before it left
 * them: the runner reads them under the write lock, so no other write moves them between its read and its
 * writes. An order with a short line (or a replayed idempotency key) writes nothing and gets what
 * {@link SqliteOrderStore.create}'s own work would give it.
 */
const createTogether: BatchRunner<NewOrder> = async (tx, orders, context) => {
  // What each order reserves: as `reserve` takes it, only positive quantities.
  const wants = orders.map((order) => [...demand(order.lines, reserves(order))].filter(([, d]) => d.quantity > 0));
  const offerWants = orders.map((order) => [...offerDemand(order.lines, reserves(order))].filter(([, d]) => d.quantity > 0));
  const keyed = orders.flatMap((order, index) => (order.idempotency === undefined ? [] : [index]));
  const rows = await tx.all<{ t: 's' | 'n' | 'r' | 'o'; a: string; b: string | null; c: number | null; d: number | null; e: number | null; f: number | null; g: number | null }>(CREATE_READS, [
    JSON.stringify([...new Set(wants.flatMap((want) => want.map(([item]) => item)))]),
    JSON.stringify([...new Set(orders.map((order) => order.eid))]),
    JSON.stringify(keyed.map((index) => {
      const order = orders[index] as NewOrder;
      return [order.eid, order.idempotency?.caller, order.idempotency?.key];
    })),
    JSON.stringify([...new Set(offerWants.flatMap((want) => want.map(([offer]) => offer)))]),
  ]);
  const ledgers = new Map<string, Ledger>();
  const offerLedgers = new Map<string, OfferLedger>();
  const numbers = new Map<string, number>();
  const known = new Map<number, { iri: string; hash: string }>();
  for (const row of rows) {
    if (row.t === 's') {
      ledgers.set(row.a, {
        eid: row.b as string, onDemand: row.c === 1, available: row.d as number, reserved: row.e as number, restocked: row.f as number, heldOnDemand: row.g as number,
        moved: false,
      });
    } else if (row.t === 'o') offerLedgers.set(row.a, { eid: row.b as string, available: row.d as number, reserved: row.e as number, moved: false });
    else if (row.t === 'n') numbers.set(row.a, row.d ?? 0);
    else known.set(keyed[row.d as number] as number, { iri: row.a, hash: row.b as string });
  }
  const outcomes: BatchOutcome[] = [];
  const orderRows: SqlValue[][] = [];
  const lineRows: SqlValue[][] = [];
  const requestRows: SqlValue[][] = [];
  const settled: PlacementRef[] = [];
  const now = new Date().toISOString();
  for (const [index, order] of orders.entries()) {
    const replay = known.get(index);
    if (replay !== undefined) {
      const existing = await readOrder(tx, replay.iri);
      outcomes.push(existing === undefined ? { error: new UnknownOrderError(replay.iri) } : {
        value: replay.hash === order.idempotency?.requestHash
          ? { ok: true as const, order: existing, replayed: true } : { ok: false as const, keyReused: true as const, order: existing },
      });
      continue;
    }
    const want = wants[index] as [string, Demand][];
    const short: ShortLine[] = [];
    for (const [item, wanted] of want) {
      const ledger = ledgers.get(item);
      const own = ledger !== undefined && ledger.eid === order.eid ? ledger : undefined;
      if (own !== undefined && (own.onDemand || own.available >= wanted.quantity)) continue;
      short.push(...shortLinesOf(item, wanted, own?.available ?? 0, order.lines));
    }
    // The offers with a stock of their own: a line through one needs it too (as `moveOffers` takes it).
    const ownOffers = new Map<string, number>();
    for (const [offer, wanted] of offerWants[index] as [string, Demand][]) {
      const ledger = offerLedgers.get(offer);
      if (ledger === undefined || ledger.eid !== order.eid) continue;
      ownOffers.set(offer, wanted.quantity);
      if (ledger.available < wanted.quantity) short.push(...shortLinesOf(undefined, wanted, ledger.available, order.lines, offer));
    }
    if (short.length > 0) {
      outcomes.push({ error: new Short(shortest(short)) });
      continue;
    }
    for (const [offer, quantity] of ownOffers) {
      const ledger = offerLedgers.get(offer) as OfferLedger;
      ledger.available = ledgerPlus(ledger.available, -quantity);
      ledger.reserved = ledgerPlus(ledger.reserved, quantity);
      ledger.moved = true;
    }
    for (const [item, { quantity }] of want) {
      // The arithmetic of `take`, on the same doubles.
      const ledger = ledgers.get(item) as Ledger;
      if (ledger.onDemand) {
        ledger.restocked = ledgerPlus(ledger.restocked, quantity);
        ledger.heldOnDemand = ledgerPlus(ledger.heldOnDemand, quantity);
      } else ledger.available = ledgerPlus(ledger.available, -quantity);
      ledger.reserved = ledgerPlus(ledger.reserved, quantity);
      ledger.moved = true;
    }
    const number = (numbers.get(order.eid) ?? 0) + 1;
    numbers.set(order.eid, number);
    const iri = `${order.collection.replace(/\/+$/u, '')}/${number}`;
    const stored: OrderSql = {
      iri, eid: order.eid, number, status: order.state, ordered_by: order.orderedBy ?? null, placed_by: order.placedBy ?? null,
      details: JSON.stringify(order.details ?? {}), created_at: now, updated_at: now, ...closing(order),
    };
    orderRows.push([iri, order.eid, number, stored.status, stored.ordered_by, stored.placed_by, stored.details, now, now, stored.expires_at, stored.closed_reason]);
    const lines = lineRowsOf(iri, order.lines, reserves(order), ownOffers);
    for (const r of lines) lineRows.push(lineValues(r));
    const { idempotency } = order;
    if (idempotency !== undefined) requestRows.push([order.eid, idempotency.caller, idempotency.key, idempotency.requestHash, iri, now]);
    settled.push(...(order.settles ?? []));
    outcomes.push({ value: { ok: true as const, order: orderRow(stored, lines), replayed: false } });
  }
  if (orderRows.length === 0) return outcomes;
  const moved = [...ledgers].filter(([, ledger]) => ledger.moved);
  const movedOffers = [...offerLedgers].filter(([, ledger]) => ledger.moved);
  const write = async (): Promise<void> => {
    const set = await inRows(tx, 6, moved.map(([item, l]) => [item, l.eid, l.available, l.reserved, l.restocked, l.heldOnDemand]), SET_LEDGERS);
    if (set !== moved.length) throw new Error(`${moved.length} ledgers to move, ${set} moved`);
    const setOffers = await inRows(tx, 4, movedOffers.map(([offer, l]) => [offer, l.eid, l.available, l.reserved]), SET_OFFER_LEDGERS);
    if (setOffers !== movedOffers.length) throw new Error(`${movedOffers.length} offer ledgers to move, ${setOffers} moved`);
    await inRows(tx, 11, orderRows, INSERT_ORDERS);
    await inRows(tx, LINE_COLUMNS, lineRows, INSERT_LINES);
    await inRows(tx, 6, requestRows, INSERT_REQUESTS);
    await forgetPlacements(tx, settled);
  };
  // First in the transaction, a failure rolls all of it back: no savepoint (two round trips) needed.
  await (context.opensTransaction ? write() : atomically(tx, 'orders_together', write));
  for (const [item, ledger] of moved) publishLater(context, item, ledger.eid);
  for (const [offer, ledger] of movedOffers) publishOfferLater(context, offer, ledger.eid);
  return outcomes;
};

/** An open order's new state, written only if it is still as read (open, and not written since `readAt`). */
interface OpenOrderMove {
  readonly iri: string;
  readonly readAt: string;
  readonly state: 'Held' | 'Cancelled';
  /** Why it closed (null to hold it). */
  readonly reason: string | null;
  /** JSON. */
  readonly details: string;
  readonly now: string;
  readonly expiresAt: string | null;
  /** The placements in flight whose answers the move records: forgotten with it (only when it is made). */
  readonly settles?: readonly PlacementRef[];
}

// Every value bound (see `inRows`): a reason may hold any text a supplier sent.
const MOVE_OPEN_ORDERS = (values: string) => `UPDATE orders SET status = v.column3,
    closed_reason = CASE WHEN v.column3 = 'Held' THEN orders.closed_reason ELSE v.column4 END, details = v.column5, updated_at = v.column6,
    expires_at = v.column7
  FROM (VALUES ${values}) AS v
  WHERE orders.iri = v.column1 AND orders.status IN ('Pending', 'Held') AND orders.updated_at = v.column2
  RETURNING orders.iri AS iri`;

/** The error of a move whose order changed since it was read (it then wrote nothing). */
class ChangedSinceRead extends Error {}

/**
 * Moves open orders as read ({@link BatchRunner}), one statement for all: each order that is still as read
 * (open, not written since) gets its new state, details and expiry; the others are left as they are, with a
 * {@link ChangedSinceRead} error. Orders that share no IRI (the database batches only those).
 */
async function moveOpenOrders(tx: SqlConnection, moves: readonly OpenOrderMove[], context?: BatchContext): Promise<BatchOutcome[]> {
  const moved = new Set<string>();
  const chunks = [...valueChunks(moves.map((m) => [m.iri, m.readAt, m.state, m.reason, m.details, m.now, m.expiresAt]), 7, VALUES_PER_STATEMENT)];
  const run = async (): Promise<void> => {
    for (const { values, params } of chunks) for (const row of await tx.all<{ iri: string }>(MOVE_OPEN_ORDERS(values), params)) moved.add(row.iri);
    await forgetPlacements(tx, moves.flatMap((m) => (moved.has(m.iri) ? m.settles ?? [] : [])));
  };
  // More than one statement: in a savepoint, so that a failure leaves nothing of any (unless the transaction is
  // theirs alone: it is then rolled back whole).
  const statements = chunks.length + (moves.some((m) => (m.settles?.length ?? 0) > 0) ? 1 : 0);
  await (statements > 1 && context?.opensTransaction !== true ? atomically(tx, 'moves_together', run) : run());
  return moves.map((m) => (moved.has(m.iri) ? { value: m.iri } : { error: new ChangedSinceRead(`order ${m.iri} changed since it was read`) }));
}

/** Moves one open order as read, by itself or shared with the moves queued beside it: false when it changed since. */
async function moveOpenOrder(db: SqliteDatabase, move: OpenOrderMove): Promise<boolean> {
  try {
    await db.transaction(async (tx) => {
      const [outcome] = await moveOpenOrders(tx, [move]);
      if (outcome !== undefined && 'error' in outcome) throw outcome.error;
    }, { ...ORDER_TRANSACTION, batch: { runner: moveOpenOrders, part: move, keys: [move.iri] } as Batchable<unknown> });
    return true;
  } catch (error: unknown) {
    if (error instanceof ChangedSinceRead) return false;
    throw error;
  }
}

/** {@link OrderStore} on SQLite. */
export class SqliteOrderStore implements OrderStore {
  /** What each order line draws on: read for every line of every order, those of one turn in one statement. */
  private readonly orderables: KeyedReads<OrderableSql>;
  /**
   * Listings by id: read again by every order of a listed item once it is placed at its supplier (was the listing
   * removed meanwhile?), those of one turn in one statement. One statement each took the orders that a commit
   * answered together apart again: their next requests, and the node's own at the supplier, then came one at a
   * time, and every read and write batched per turn after them was made once per order (measured in the orders
   * benchmark: shop B made 2,438 statements instead of 1,034, and the p95 through the shops was 254–276 ms, not 181–187).
   */
  private readonly listingsById: KeyedReads<ListingSql>;
  /**
   * The listings that publish an IRI (as their item, offer or product): read for every catalogue write (to refuse
   * writing a listing's records), those of one turn in one statement.
   */
  private readonly publishing: KeyedReads<ListingSql & { key: string }>;

  public constructor(private readonly db: SqliteDatabase) {
    this.orderables = new KeyedReads((iris, marks) => db.reader.all<OrderableSql>(ORDERABLE(marks), iris), (row) => row.key);
    this.listingsById = new KeyedReads((ids, marks) => db.reader.all<ListingSql>(`SELECT * FROM listings WHERE id IN (${marks})`, ids.map(Number)), (row) => String(row.id));
    this.publishing = new KeyedReads((iris) => db.reader.all<ListingSql & { key: string }>(PUBLISHING(numbered(iris.length)), iris), (row) => row.key);
  }

  public async stock(item: string): Promise<StockLevel | undefined> {
    const row = await this.db.reader.get<StockSql>('SELECT * FROM stock WHERE item_iri = ?', [item]);
    return row === undefined ? undefined : stockLevel(row);
  }

  public async stockOf(eid: string): Promise<StockLevel[]> {
    return (await this.db.reader.all<StockSql>('SELECT * FROM stock WHERE eid = ? ORDER BY item_iri', [eid])).map(stockLevel);
  }

  public async create(order: NewOrder): Promise<CreateOutcome> {
    try {
      return await this.db.transaction(async (tx, context) => {
        const { idempotency } = order;
        let retaken = false;
        if (idempotency !== undefined) {
          const known = await tx.get<{ request_hash: string; order_iri: string }>(
            'SELECT request_hash, order_iri FROM order_requests WHERE eid = ? AND caller = ? AND key = ?', [order.eid, idempotency.caller, idempotency.key]);
          // The key still answers the order this one replaces (the same request, which placed nothing): it moves to this one.
          retaken = known !== undefined && idempotency.replaces !== undefined && known.order_iri === idempotency.replaces
            && known.request_hash === idempotency.requestHash;
          if (known !== undefined && !retaken) {
            const existing = await readOrder(tx, known.order_iri);
            if (existing === undefined) throw new UnknownOrderError(known.order_iri);
            return known.request_hash === idempotency.requestHash
              ? { ok: true as const, order: existing, replayed: true }
              : { ok: false as const, keyReused: true as const, order: existing };
          }
        }
        const holds = await reserve(tx, context, order.eid, demand(order.lines, reserves(order)), offerDemand(order.lines, reserves(order)), order.lines);
        const now = new Date().toISOString();
        const details = JSON.stringify(order.details ?? {});
        // The next number is taken in the INSERT itself (the writer runs one transaction at a time, so no other
        // order can take it between): one round trip on the writer, which every order waits for, instead of two.
        const inserted = await tx.get<{ iri: string; number: number }>(
          `INSERT INTO orders (iri, eid, number, status, ordered_by, placed_by, details, created_at, updated_at, expires_at, closed_reason)
           SELECT ?1 || '/' || n, ?2, n, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9 FROM (SELECT COALESCE(MAX(number), 0) + 1 AS n FROM orders WHERE eid = ?2)
           RETURNING iri, number`,
          [order.collection.replace(/\/+$/u, ''), order.eid, order.state, order.orderedBy ?? null, order.placedBy ?? null, details, now, closing(order).expires_at, closing(order).closed_reason],
        );
        if (inserted === undefined) throw new Error(`order of ${order.eid} not inserted`);
        const { iri, number } = inserted;
        const stored: OrderSql = {
          iri, eid: order.eid, number, status: order.state, ordered_by: order.orderedBy ?? null, placed_by: order.placedBy ?? null,
          details, created_at: now, updated_at: now, ...closing(order),
        };
        const lines = await insertLines(tx, iri, order.lines, reserves(order), holds);
        await forgetPlacements(tx, order.settles);
        if (idempotency !== undefined && retaken) {
          await tx.run('UPDATE order_requests SET order_iri = ?, created_at = ? WHERE eid = ? AND caller = ? AND key = ?', [
            iri, now, order.eid, idempotency.caller, idempotency.key,
          ]);
        } else if (idempotency !== undefined) {
          await tx.run('INSERT INTO order_requests (eid, caller, key, request_hash, order_iri, created_at) VALUES (?, ?, ?, ?, ?, ?)', [
            order.eid, idempotency.caller, idempotency.key, idempotency.requestHash, iri, now,
          ]);
        }
        // The order as just written, not read back: the rows hold exactly these values (two round trips fewer on
        // the writer, which every order waits for).
        return { ok: true as const, order: orderRow(stored, lines), replayed: false };
      // An order that retakes a key is created alone: the shared statements insert keys, never move one.
      }, order.idempotency?.replaces !== undefined ? ORDER_TRANSACTION
        : { ...ORDER_TRANSACTION, batch: { runner: createTogether, part: order, keys: requestKeys(order), fewest: 2 } as Batchable<unknown> });
    } catch (error: unknown) {
      if (error instanceof Short) return { ok: false, short: error.short };
      throw error;
    }
  }

  public async get(iri: string): Promise<OrderRow | undefined> {
    return readOrder(this.db.reader, iri);
  }

  public async list(
    eid: string, options: { placedBy?: string; heldAt?: string; before?: number; offset: number; limit: number; count?: boolean },
  ): Promise<{ orders: OrderRow[]; total: number }> {
    let filter = options.placedBy === undefined ? '' : 'AND placed_by = ?';
    const params: SqlValue[] = options.placedBy === undefined ? [eid] : [eid, options.placedBy];
    if (options.heldAt !== undefined) {
      filter += " AND status = 'Held' AND (expires_at IS NULL OR expires_at > ?)";
      params.push(options.heldAt);
    }
    const total = options.count === false ? undefined : (await this.db.reader.get<{ n: number }>(`SELECT COUNT(*) AS n FROM orders WHERE eid = ? ${filter}`, params))?.n ?? 0;
    // After a page's last order by its number (a range of orders_by_enterprise or orders_by_buyer), not by an offset
    // that each new order moves; the total stays that of every order.
    const rows = await this.db.reader.all<OrderSql>(`SELECT * FROM orders WHERE eid = ? ${filter}${options.before === undefined ? '' : ' AND number < ?'}
      ORDER BY number DESC LIMIT ? OFFSET ?`, [...params, ...(options.before === undefined ? [] : [options.before]), options.limit, options.offset]);
    const orders: OrderRow[] = [];
    for (const row of rows) orders.push(await withLines(this.db.reader, row));
    return { orders, total: total ?? orders.length };
  }

  public async amend(
    iri: string, change: {
      lines: readonly NewOrderLine[]; details?: Readonly<Record<string, unknown>>; expiresAt: string | null; state?: 'Pending' | 'Held'; settles?: readonly PlacementRef[];
    },
  ): Promise<Reservation<OrderRow>> {
    try {
      return await this.db.transaction(async (tx, context) => {
        const order = await openOrder(tx, iri);
        // What each item's ledger must give (positive) or get back (negative) to go from the old lines to the new.
        const deltas = demand(change.lines);
        for (const line of order.lines) {
          if (line.reserved === 0) continue;
          const entry = deltas.get(line.item) ?? { quantity: 0, requested: 0, held: 0, indexes: [] };
          entry.quantity = ledgerPlus(entry.quantity, -line.reserved);
          entry.held = ledgerPlus(entry.held, line.reserved);
          deltas.set(line.item, entry);
        }
        // And each offer's own ledger, from what the old lines hold of it to what the new ones ask; what the order
        // had through an offer without holding its ledger (reserved while it mirrored its item) is not asked again.
        const offers = offerDemand(change.lines);
        for (const line of order.lines) {
          if (line.listing !== undefined || line.reserved === 0) continue;
          const held = line.offerReserved ?? 0;
          const entry = offers.get(line.offer) ?? { quantity: 0, requested: 0, held: 0, indexes: [] };
          entry.quantity = ledgerPlus(entry.quantity, -held);
          entry.held = ledgerPlus(entry.held, held);
          entry.unheld = ledgerPlus(entry.unheld ?? 0, ledgerPlus(line.quantity, -held));
          offers.set(line.offer, entry);
        }
        const holds = await reserve(tx, context, order.eid, deltas, offers, change.lines);
        // Lines written again only when they change: a shop's order its supplier accepted keeps its lines and
        // only becomes Held (two statements fewer on the writer for every order through a shop).
        let lines = order.lines;
        if (!sameLines(order.lines, change.lines, holds)) {
          await tx.run('DELETE FROM order_lines WHERE order_iri = ?', [iri]);
          lines = (await insertLines(tx, iri, change.lines, true, holds)).map(lineRow);
        }
        const now = new Date().toISOString();
        const details = JSON.stringify(change.details ?? order.details);
        const state = change.state ?? order.state;
        await tx.run('UPDATE orders SET updated_at = ?, expires_at = ?, details = ?, status = ? WHERE iri = ?', [now, change.expiresAt, details, state, iri]);
        await forgetPlacements(tx, change.settles);
        // As just written, not read back (two round trips fewer).
        const value: OrderRow = { ...order, state, updatedAt: now, expiresAt: change.expiresAt, details: JSON.parse(details) as Record<string, unknown>, lines };
        return { ok: true as const, value };
      }, ORDER_TRANSACTION);
    } catch (error: unknown) {
      if (error instanceof Short) return { ok: false, short: error.short };
      throw error;
    }
  }

  public async hold(
    order: OrderRow, change: { details: Readonly<Record<string, unknown>>; expiresAt: string | null; settles?: readonly PlacementRef[] },
  ): Promise<OrderRow | undefined> {
    const move: OpenOrderMove = {
      iri: order.iri, readAt: order.updatedAt, state: 'Held', reason: null, details: JSON.stringify(change.details), now: new Date().toISOString(),
      expiresAt: change.expiresAt, ...(change.settles !== undefined ? { settles: change.settles } : {}),
    };
    // The lines are not read again: written by the change that set `updated_at` as read, they are as the order holds them.
    if (!(await moveOpenOrder(this.db, move))) return undefined;
    return { ...order, state: 'Held', details: JSON.parse(move.details) as Record<string, unknown>, updatedAt: move.now, expiresAt: change.expiresAt };
  }

  public async complete(iri: string, details?: Readonly<Record<string, unknown>>): Promise<OrderRow> {
    return this.close(iri, 'Complete', null, SELL, details);
  }

  public async cancel(iri: string, reason: string, details?: Readonly<Record<string, unknown>>, asRead?: OrderRow): Promise<OrderRow> {
    // An order as read that holds nothing of a ledger (a shop's order of listed items, refused upstream) is
    // cancelled by one statement, shared with the others queued beside it; changed since, it is closed as it now is.
    if (asRead?.iri === iri && asRead.lines.every((line) => line.reserved === 0 && (line.offerReserved ?? 0) === 0)) {
      const move: OpenOrderMove = {
        iri, readAt: asRead.updatedAt, state: 'Cancelled', reason, details: JSON.stringify(details ?? asRead.details), now: new Date().toISOString(), expiresAt: null,
      };
      if (await moveOpenOrder(this.db, move)) {
        return { ...asRead, state: 'Cancelled', closedReason: reason, updatedAt: move.now, expiresAt: null, details: JSON.parse(move.details) as Record<string, unknown> };
      }
    }
    return this.close(iri, 'Cancelled', reason, RELEASE, details, asRead);
  }

  private async close(
    iri: string, state: OrderState, reason: string | null, statement: string, details?: Readonly<Record<string, unknown>>, asRead?: OrderRow,
  ): Promise<OrderRow> {
    return this.db.transaction(async (tx, context) => {
      const now = new Date().toISOString();
      const write = (order: OrderRow, guard: string | null) => tx.run(
        `UPDATE orders SET status = ?, closed_reason = ?, updated_at = ?, expires_at = NULL, details = ? WHERE iri = ?${guard !== null ? ` AND status IN ('Pending', 'Held') AND updated_at = ?` : ''}`,
        [state, reason, now, JSON.stringify(details ?? order.details), iri, ...(guard !== null ? [guard] : [])],
      );
      // The order as the caller read it, when it still is (open, not written since): closed by the statement that
      // checks it, not read again. Otherwise (or not given) read here.
      let order = asRead?.iri === iri && (await write(asRead, asRead.updatedAt)).changes > 0 ? asRead : undefined;
      const written = order !== undefined;
      order ??= await openOrder(tx, iri);
      for (const line of order.lines) {
        if (line.reserved !== 0) {
          const moved = await tx.run(statement, [line.reserved, line.item, order.eid]);
          if (moved.changes > 0 && statement === RELEASE) publishLater(context, line.item, order.eid);
          if (moved.changes === 0 && (await tx.get('SELECT 1 FROM stock WHERE item_iri = ?', [line.item])) !== undefined) {
            throw new Error(`the ledger of ${line.item} holds less than order ${iri} reserved`);
          }
        }
        // What the line holds of its offer's own ledger goes back to it, or is sold, as the item's.
        const held = line.offerReserved ?? 0;
        if (held === 0) continue;
        const moved = await tx.run(statement === RELEASE ? RELEASE_OFFER : SELL_OFFER, [held, line.offer, order.eid]);
        if (moved.changes > 0 && statement === RELEASE) publishOfferLater(context, line.offer, order.eid);
        if (moved.changes === 0 && (await tx.get('SELECT 1 FROM offer_stock WHERE offer_iri = ?', [line.offer])) !== undefined) {
          throw new Error(`the ledger of offer ${line.offer} holds less than order ${iri} reserved`);
        }
      }
      if (order.lines.some((line) => line.reserved !== 0 || (line.offerReserved ?? 0) !== 0)) {
        await tx.run('UPDATE order_lines SET reserved = 0, offer_reserved = 0 WHERE order_iri = ?', [iri]);
      }
      if (!written) await write(order, null);
      // As just written, not read back (two round trips fewer on the writer).
      return {
        ...order, state, closedReason: reason, updatedAt: now, expiresAt: null, details: JSON.parse(JSON.stringify(details ?? order.details)) as Record<string, unknown>,
        lines: order.lines.map(({ offerReserved: _released, ...line }) => (line.reserved === 0 && _released === undefined ? line : { ...line, reserved: 0 })),
      };
    }, ORDER_TRANSACTION);
  }

  public async interruptPending(now: string): Promise<{ orders: number; placements: number }> {
    return this.db.transaction(async (tx) => {
      // An order being amended at a supplier when the process stopped (Held, named by a placement in flight) is as
      // uncertain as one being placed: its lines are ours, the supplier's may not be.
      const orders = (await tx.run(
        `UPDATE orders SET expires_at = ?1 WHERE status IN ('Pending', 'Held') AND (expires_at IS NULL OR expires_at > ?1)
           AND (status = 'Pending' OR iri IN (SELECT order_iri FROM upstream_cancellations WHERE sending = 1 AND order_iri IS NOT NULL))`, [now])).changes;
      const placements = (await tx.run(
        `UPDATE upstream_cancellations SET sending = 0, next_at = ?, reason = ? WHERE sending = 1`,
        [now, 'the node stopped while it placed the order at the supplier, which may have taken it'])).changes;
      return { orders, placements };
    });
  }

  public async expired(now: string, limit: number): Promise<OrderRow[]> {
    const rows = await this.db.reader.all<OrderSql>(
      "SELECT * FROM orders WHERE status IN ('Pending', 'Held') AND expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at LIMIT ?", [now, limit]);
    const orders: OrderRow[] = [];
    for (const row of rows) orders.push(await withLines(this.db.reader, row));
    return orders;
  }

  public async setDetails(iri: string, details: Readonly<Record<string, unknown>>): Promise<void> {
    await this.db.transaction(async (tx) => {
      const changed = await tx.run('UPDATE orders SET details = ? WHERE iri = ?', [JSON.stringify(details), iri]);
      if (changed.changes === 0) throw new UnknownOrderError(iri);
    });
  }

  public async oweUpstream(cancellations: readonly NewUpstreamCancellation[]): Promise<void> {
    if (cancellations.length === 0) return;
    const now = new Date().toISOString();
    await this.db.transaction(async (tx) => {
      for (const c of cancellations) {
        await tx.run(
          // A placement in flight for the same target and key is owed from now on (its answer was lost).
          `INSERT INTO upstream_cancellations (eid, order_iri, target, key, placement, reason, next_at, give_up_at, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (target, key) DO UPDATE SET sending = 0, reason = excluded.reason, next_at = excluded.next_at,
             give_up_at = excluded.give_up_at WHERE upstream_cancellations.sending = 1`,
          [c.eid, c.order ?? null, c.target, keyOf(c), c.placement === undefined ? null : JSON.stringify(c.placement), c.reason, c.nextAt, c.giveUpAt, now],
        );
      }
    });
  }

  public async recordPlacements(placements: readonly NewUpstreamCancellation[]): Promise<void> {
    if (placements.length === 0) return;
    const now = new Date().toISOString();
    await this.db.transaction(async (tx) => {
      for (const c of placements) {
        await tx.run(
          `INSERT INTO upstream_cancellations (eid, order_iri, target, key, placement, reason, next_at, give_up_at, created_at, sending)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT (target, key) DO NOTHING`,
          [c.eid, c.order ?? null, c.target, keyOf(c), c.placement === undefined ? null : JSON.stringify(c.placement), c.reason, c.nextAt, c.giveUpAt, now],
        );
      }
    });
  }

  public async settlePlacements(placements: readonly PlacementRef[]): Promise<void> {
    if (placements.length === 0) return;
    await this.db.transaction((tx) => forgetPlacements(tx, placements));
  }

  public async upstreamDue(now: string, limit: number): Promise<UpstreamCancellation[]> {
    const rows = await this.db.reader.all<UpstreamCancellationSql>('SELECT * FROM upstream_cancellations WHERE sending = 0 AND next_at <= ? ORDER BY next_at, id LIMIT ?', [now, limit]);
    return rows.map(upstreamCancellation);
  }

  public async upstreamOwed(limit: number): Promise<UpstreamCancellation[]> {
    return (await this.db.reader.all<UpstreamCancellationSql>('SELECT * FROM upstream_cancellations WHERE sending = 0 ORDER BY id LIMIT ?', [limit])).map(upstreamCancellation);
  }

  public async settleUpstream(id: number): Promise<void> {
    await this.db.transaction((tx) => tx.run('DELETE FROM upstream_cancellations WHERE id = ?', [id]));
  }

  public async postponeUpstream(id: number, change: { readonly attempts: number; readonly nextAt: string; readonly lastError: string; readonly target?: string }): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (change.target === undefined) {
        await tx.run('UPDATE upstream_cancellations SET attempts = ?, next_at = ?, last_error = ? WHERE id = ?', [change.attempts, change.nextAt, change.lastError, id]);
        return;
      }
      // The supplier's order is known now: cancelled by its @id from here on (one already owed for it stands for both).
      const owed = await tx.get('SELECT 1 FROM upstream_cancellations WHERE target = ? AND key = \'\' AND id <> ?', [change.target, id]);
      if (owed !== undefined) {
        await tx.run('DELETE FROM upstream_cancellations WHERE id = ?', [id]);
        return;
      }
      await tx.run("UPDATE upstream_cancellations SET attempts = ?, next_at = ?, last_error = ?, target = ?, key = '', placement = NULL WHERE id = ?", [
        change.attempts, change.nextAt, change.lastError, change.target, id,
      ]);
    });
  }

  public async addListing(listing: NewListing): Promise<ListingRow> {
    return this.db.transaction(async (tx) => {
      const inserted = await tx.run(
        // A number no listing had: past the highest in use and the highest removed (migration 33), so that a client
        // still holding a removed listing's Location never reaches another one through it.
        `INSERT INTO listings (id, eid, item_iri, offer_iri, product_iri, origin_item, origin_offer, origin_product, origin_orders, factor, price, markup,
           details, created_at) VALUES (${freshIdSql('listings', 'listing_number')}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [listing.eid, listing.item, listing.offer, listing.product, listing.originItem, listing.originOffer ?? null, listing.originProduct, listing.originOrders,
          listing.factor, listing.price ?? null, listing.markup ?? null, JSON.stringify(listing.details ?? {}), new Date().toISOString()],
      );
      return listingRow((await tx.get<ListingSql>('SELECT * FROM listings WHERE id = ?', [inserted.lastID])) as ListingSql);
    });
  }

  public async listings(eid: string): Promise<ListingRow[]> {
    return (await this.db.reader.all<ListingSql>('SELECT * FROM listings WHERE eid = ? ORDER BY id', [eid])).map(listingRow);
  }

  public async listing(id: number): Promise<ListingRow | undefined> {
    const row = await this.listingsById.get(String(id));
    return row === undefined ? undefined : listingRow(row);
  }

  public async listingsOf(originItem: string): Promise<ListingRow[]> {
    return (await this.db.reader.all<ListingSql>('SELECT * FROM listings WHERE origin_item = ? ORDER BY id', [originItem])).map(listingRow);
  }

  public async listingsTouching(iris: readonly string[]): Promise<ListingRow[]> {
    const found = new Map<number, ListingRow>();
    await inChunks(iris, async (chunk, marks) => {
      const rows = await this.db.reader.all<ListingSql>(
        `SELECT * FROM listings WHERE origin_item IN (${marks}) OR origin_offer IN (${marks}) OR origin_product IN (${marks})
           OR details ->> '$.stockItem' IN (${marks}) OR details ->> '$.retailProduct' IN (${marks})`, [...chunk, ...chunk, ...chunk, ...chunk, ...chunk]);
      for (const row of rows) found.set(row.id, listingRow(row));
    });
    return [...found.values()].sort((a, b) => a.id - b.id);
  }

  public async hasListings(): Promise<boolean> {
    return (await this.db.reader.get('SELECT 1 AS x FROM listings LIMIT 1')) !== undefined;
  }

  public async listingByLocal(iri: string): Promise<ListingRow | undefined> {
    const row = await this.db.reader.get<ListingSql>('SELECT * FROM listings WHERE item_iri = ? OR offer_iri = ? LIMIT 1', [iri, iri]);
    return row === undefined ? undefined : listingRow(row);
  }

  public async listingsPublishing(iris: readonly string[]): Promise<ListingRow[]> {
    // A record under a listing's product (`<product>/AsPlannedProductionFlow`) is the listing's too.
    const candidates = [...new Set(iris.flatMap((iri) => [iri, iri.replace(/\/[^/]*$/u, '')]))];
    const found = new Map<number, ListingRow>();
    for (const rows of await Promise.all(candidates.map((iri) => this.publishing.all(iri)))) {
      for (const { key: _key, ...row } of rows) found.set(row.id, listingRow(row));
    }
    return [...found.values()].sort((a, b) => a.id - b.id);
  }

  public async retiredListingIris(iris: readonly string[]): Promise<Set<string>> {
    const retired = new Set<string>();
    await inChunks(iris, async (chunk, marks) => {
      for (const row of await this.db.reader.all<{ iri: string }>(`SELECT iri FROM retired_listing_iris WHERE iri IN (${marks})`, [...chunk])) retired.add(row.iri);
    });
    return retired;
  }

  public async orderable(iri: string): Promise<Orderable | undefined> {
    const row = await this.orderables.get(iri);
    if (row === undefined) return undefined;
    const listing: ListingSql | undefined = row.l_id === null ? undefined : {
      id: row.l_id, eid: row.l_eid as string, item_iri: row.l_item_iri as string, offer_iri: row.l_offer_iri as string, product_iri: row.l_product_iri as string,
      origin_item: row.l_origin_item as string, origin_offer: row.l_origin_offer, origin_product: row.l_origin_product as string,
      origin_orders: row.l_origin_orders as string, factor: row.l_factor as number, price: row.l_price, markup: row.l_markup, details: row.l_details as string,
      created_at: row.l_created_at as string,
    };
    return {
      eid: row.eid, record: JSON.parse(row.record) as DfcRecord,
      ...(row.item_iri !== null ? {
        offered: {
          itemIri: row.item_iri,
          ...(row.item_eid !== null && row.item_record !== null ? { item: { eid: row.item_eid, record: JSON.parse(row.item_record) as DfcRecord } } : {}),
          ...(listing !== undefined ? { listing: listingRow(listing) } : {}),
        },
      } : {}),
    };
  }

  public async removeListing(id: number): Promise<boolean> {
    return this.db.transaction(async (tx) => (await tx.run('DELETE FROM listings WHERE id = ?', [id])).changes > 0);
  }

  public async setListingTerms(id: number, terms: { readonly price?: number; readonly markup?: number }): Promise<ListingRow | undefined> {
    return this.db.transaction(async (tx) => {
      await tx.run('UPDATE listings SET price = ?, markup = ? WHERE id = ?', [terms.price ?? null, terms.markup ?? null, id]);
      const row = await tx.get<ListingSql>('SELECT * FROM listings WHERE id = ?', [id]);
      return row === undefined ? undefined : listingRow(row);
    });
  }

  public async setListingDetail(id: number, key: ListingDetailKey, value: unknown): Promise<boolean> {
    // The key is one of a closed set, written into the path; the value is bound.
    const path = `$.${key}`;
    return this.db.transaction(async (tx) => (value === null || value === undefined
      ? await tx.run(`UPDATE listings SET details = json_remove(details, '${path}') WHERE id = ? AND json_type(details, '${path}') IS NOT NULL`, [id])
      : await tx.run(`UPDATE listings SET details = json_set(details, '${path}', json(?)) WHERE id = ?`, [JSON.stringify(value), id])).changes > 0);
  }

  public async openOrdersOfListing(id: number, now: string): Promise<OrderRow[]> {
    const rows = await this.db.reader.all<OrderSql>(
      `SELECT * FROM orders WHERE iri IN (SELECT order_iri FROM order_lines WHERE listing_id = ?)
         AND (status = 'Pending' OR (status = 'Held' AND (expires_at IS NULL OR expires_at > ?))) ORDER BY created_at, number`, [id, now]);
    const orders: OrderRow[] = [];
    for (const row of rows) orders.push(await withLines(this.db.reader, row));
    return orders;
  }
}

/** A resource, its item when it is an Offer, and that item's listing (columns prefixed `l_`, null when none). */
type OrderableSql = { key: string; eid: string; record: string; item_iri: string | null; item_eid: string | null; item_record: string | null }
  & { [K in keyof ListingSql as `l_${K}`]: ListingSql[K] | null };

// The listing is found as listingByLocal finds it (by its local item, or an offer of that id); an Offer's item is
// its `item` as the record holds it (a string: the JSON of an OfferRecord).
// Of several resources at once (`marks`: their `?, ?…`), each row keyed by the resource's IRI.
/**
 * The listings that publish some IRIs, each row under the IRI it was found by (`key`: its item, offer or product),
 * a listing once per IRI of its that was asked. The parameters are the IRIs, once (`marks` numbered).
 */
const PUBLISHING = (marks: string): string => `
  SELECT item_iri AS key, * FROM listings WHERE item_iri IN (${marks})
  UNION ALL SELECT offer_iri AS key, * FROM listings WHERE offer_iri IN (${marks})
  UNION ALL SELECT product_iri AS key, * FROM listings WHERE product_iri IN (${marks})`;

const ORDERABLE = (marks: string) => `WITH o AS (
    SELECT iri, eid, record, CASE WHEN kind = 'Offer' THEN json_extract(record, '$.item') END AS item_iri FROM resources WHERE iri IN (${marks})
  )
  SELECT o.iri AS key, o.eid, o.record, o.item_iri, i.eid AS item_eid, i.record AS item_record,
    l.id AS l_id, l.eid AS l_eid, l.item_iri AS l_item_iri, l.offer_iri AS l_offer_iri, l.product_iri AS l_product_iri,
    l.origin_item AS l_origin_item, l.origin_offer AS l_origin_offer, l.origin_product AS l_origin_product, l.origin_orders AS l_origin_orders,
    l.factor AS l_factor, l.price AS l_price, l.markup AS l_markup, l.details AS l_details, l.created_at AS l_created_at
  FROM o
  LEFT JOIN resources i ON i.iri = o.item_iri
  LEFT JOIN listings l ON l.id = (SELECT id FROM listings WHERE item_iri = o.item_iri OR offer_iri = o.item_iri LIMIT 1)`;

/** The expiry and reason a new order is stored with: an order created Cancelled is closed, and never expires. */
function closing(order: NewOrder): { expires_at: string | null; closed_reason: string | null } {
  return order.state === 'Cancelled' ? { expires_at: null, closed_reason: order.closedReason } : { expires_at: order.expiresAt, closed_reason: null };
}

/**
 * An order's lines as rows; `reserving` false for an order created Cancelled (its lines hold nothing). The lines
 * through an offer of `holds` (with a stock of its own) hold that much of its ledger ({@link offerHolds}).
 */
function lineRowsOf(iri: string, lines: readonly NewOrderLine[], reserving = true, holds: ReadonlyMap<string, number> = new Map()): LineSql[] {
  const held = reserving ? offerHolds(lines, holds) : [];
  return lines.map((line, i): LineSql => ({
    order_iri: iri, position: i + 1, offer_iri: line.offer, item_iri: line.item, product_iri: line.product ?? null, quantity: line.quantity,
    price: line.price?.value ?? null, currency: line.price?.currency ?? null, reserved: reserving && line.listing === undefined ? line.quantity : 0,
    listing_id: line.listing ?? null, details: JSON.stringify(line.details ?? {}),
    offer_reserved: held[i] ?? 0,
  }));
}

/** A line's values, in the columns of {@link INSERT_LINES}. */
function lineValues(r: LineSql): SqlValue[] {
  return [r.order_iri, r.position, r.offer_iri, r.item_iri, r.product_iri, r.quantity, r.price, r.currency, r.reserved, r.listing_id, r.details, r.offer_reserved];
}

/** Inserts an order's lines; answers the rows as written. */
async function insertLines(
  tx: SqlConnection, iri: string, lines: readonly NewOrderLine[], reserving = true, holds?: ReadonlyMap<string, number>,
): Promise<LineSql[]> {
  const rows = lineRowsOf(iri, lines, reserving, holds);
  await inRows(tx, LINE_COLUMNS, rows.map(lineValues), INSERT_LINES);
  return rows;
}

/** Whether `lines` would be stored as the rows `rows` hold (same values and reservations, same positions; `holds` as for {@link lineRowsOf}). */
function sameLines(rows: readonly OrderLineRow[], lines: readonly NewOrderLine[], holds: ReadonlyMap<string, number>): boolean {
  if (rows.length !== lines.length) return false;
  const held = offerHolds(lines, holds);
  return lines.every((line, i) => {
    const row = rows[i] as OrderLineRow;
    return row.position === i + 1 && row.offer === line.offer && row.item === line.item && row.product === line.product && row.quantity === line.quantity &&
      row.price?.value === line.price?.value && row.price?.currency === line.price?.currency && row.listing === line.listing &&
      row.reserved === (line.listing === undefined ? line.quantity : 0) && JSON.stringify(row.details ?? {}) === JSON.stringify(line.details ?? {})
      && (row.offerReserved ?? 0) === held[i];
  });
}

function orderRow(row: OrderSql, lines: readonly LineSql[]): OrderRow {
  return {
    iri: row.iri, eid: row.eid, number: row.number, state: row.status as OrderState, orderedBy: row.ordered_by, placedBy: row.placed_by,
    details: JSON.parse(row.details) as Record<string, unknown>, lines: lines.map(lineRow), createdAt: row.created_at, updatedAt: row.updated_at,
    expiresAt: row.expires_at, closedReason: row.closed_reason,
  };
}

async function withLines(connection: SqlConnection, row: OrderSql): Promise<OrderRow> {
  return orderRow(row, await connection.all<LineSql>('SELECT * FROM order_lines WHERE order_iri = ? ORDER BY position', [row.iri]));
}

/** An order row joined with one of its lines (the line's columns prefixed `l_`, null for an order without lines). */
type OrderLineJoinSql = OrderSql & { [K in keyof Omit<LineSql, 'order_iri'> as `l_${K}`]: LineSql[K] | null };

// One statement for the order and its lines (every amendment, completion and cancellation reads them in its
// transaction first: one round trip fewer on the writer, which every order waits for).
const ORDER_WITH_LINES = `SELECT o.iri, o.eid, o.number, o.status, o.ordered_by, o.placed_by, o.details, o.created_at, o.updated_at,
    o.expires_at, o.closed_reason, l.position AS l_position, l.offer_iri AS l_offer_iri, l.item_iri AS l_item_iri,
    l.product_iri AS l_product_iri, l.quantity AS l_quantity, l.price AS l_price, l.currency AS l_currency, l.reserved AS l_reserved,
    l.listing_id AS l_listing_id, l.details AS l_details, l.offer_reserved AS l_offer_reserved
  FROM orders o LEFT JOIN order_lines l ON l.order_iri = o.iri WHERE o.iri = ? ORDER BY l.position`;

async function readOrder(connection: SqlConnection, iri: string): Promise<OrderRow | undefined> {
  const rows = await connection.all<OrderLineJoinSql>(ORDER_WITH_LINES, [iri]);
  const first = rows[0];
  if (first === undefined) return undefined;
  const lines: LineSql[] = [];
  for (const r of rows) {
    if (r.l_position === null) continue;
    lines.push({
      order_iri: r.iri, position: r.l_position, offer_iri: r.l_offer_iri as string, item_iri: r.l_item_iri as string, product_iri: r.l_product_iri,
      quantity: r.l_quantity as number, price: r.l_price, currency: r.l_currency, reserved: r.l_reserved as number, listing_id: r.l_listing_id,
      details: r.l_details as string, offer_reserved: r.l_offer_reserved as number,
    });
  }
  const order: OrderSql = {
    iri: first.iri, eid: first.eid, number: first.number, status: first.status, ordered_by: first.ordered_by, placed_by: first.placed_by,
    details: first.details, created_at: first.created_at, updated_at: first.updated_at, expires_at: first.expires_at, closed_reason: first.closed_reason,
  };
  return orderRow(order, lines);
}

/** The order, which must still be open (Pending or Held). */
async function openOrder(tx: SqlConnection, iri: string): Promise<OrderRow> {
  const order = await readOrder(tx, iri);
  if (order === undefined) throw new UnknownOrderError(iri);
  if (order.state !== 'Pending' && order.state !== 'Held') throw new OrderStateError(iri, order.state);
  return order;
}
