/**
 * The SQLite implementation of {@link FederatedIndex}, and the index's part of a snapshot: the provenance
 * store calls {@link indexPeerSnapshot} and {@link dropPeerRows} inside its own transaction, so the peer's
 * rows of the index change with its records, and a reader never sees a half-applied peer.
 *
 * @packageDocumentation
 */
import { foldedWords, foldText, queryWords } from '../../../ontology/fold.js';
import { DFC_PT_NS } from '../../../ontology/vocabulary.js';
import type { DfcRecord } from '../../../ontology/records.js';
import { ENTERPRISE_RANK, enterpriseRankOf, entriesOf, walkLinks, type FederatedEntry, type SourcedEntry } from '../federated-entries.js';
import {
  haversineKm, MAX_KEY_TEXT, type CatalogueKey, type FederatedEnterprise, type RowKey, type FederatedIndex, type FederatedMatch, type FederatedQuery, type FederatedRow, type IdentityLink,
  type MergePlan, type PlaceRow, type ProducerRow, type RowOrder, type SourcedPoint, townCentre,
  type SupplyCount, type SupplyGroup, type SupplySummary, type TypePresence,
} from '../federation.js';
import { inChunks, insertMany } from './chunks.js';
import type { SqlConnection, SqliteDatabase, SqlValue } from './database.js';
import { type KeptGroup, SupplyTallies, UNTYPED } from './supply-tallies.js';

interface EntrySql {
  source: string; item_iri: string; product_iri: string; product_key: string; offer_iri: string | null; enterprise_iri: string | null;
  peer_id: number | null; name: string | null; search: string; product_type: string | null; stock: number | null; in_stock: number;
  price: number | null; currency: string | null; latitude: number | null; longitude: number | null; postcode: string | null;
  enterprise_name: string | null; city: string | null; quantity: number | null; quantity_unit: string | null;
}

function entryRow(row: EntrySql): FederatedRow {
  return {
    source: row.source, peerId: row.peer_id, itemIri: row.item_iri, productIri: row.product_iri, productKey: row.product_key,
    offerIri: row.offer_iri, enterpriseIri: row.enterprise_iri, name: row.name, search: row.search, productType: row.product_type, sameAs: [],
    stock: row.stock, inStock: row.in_stock === 1, price: row.price, currency: row.currency, latitude: row.latitude,
    longitude: row.longitude, postcode: row.postcode, enterpriseName: row.enterprise_name, city: row.city, quantity: row.quantity,
    quantityUnit: row.quantity_unit,
  };
}

const ENTRY_COLUMNS = 27;

/** A text as people sort it: folded (`Échalotes` beside `echalotes`, `Œufs` as `oeufs`), null when missing. */
export function sortKey(text: string | null): string | null {
  return text === null ? null : foldText(text).trim();
}

function entryValues(source: string, peerId: number | null, rank: number, e: FederatedEntry, winner: number, enterpriseRank: number): SqlValue[] {
  return [
    source, e.itemIri, e.productIri, e.productKey, e.offerIri, e.enterpriseIri, peerId, rank, winner, e.name, e.search, e.productType,
    e.stock, e.inStock ? 1 : 0, e.price, e.currency, e.latitude, e.longitude, e.postcode, e.enterpriseName, e.city, e.quantity, e.quantityUnit,
    sortKey(e.name), sortKey(e.enterpriseName), sortKey(e.city), enterpriseRank,
  ];
}

const INSERT_ENTRIES = `INSERT INTO federated_entries (source, item_iri, product_iri, product_key, offer_iri, enterprise_iri, peer_id, rank,
  winner, name, search, product_type, stock, in_stock, price, currency, latitude, longitude, postcode, enterprise_name, city, quantity,
  quantity_unit, name_key, enterprise_key, city_key, enterprise_rank)`;

/**
 * Rank of a source: lower wins. Between equal ranks, the source whose product is the key itself (the
 * smallest IRI of products verified to be one) wins, and then the first source by name.
 */
const RANK = { local: 0, authoritative: 1, relayed: 2 } as const;


/**
 * Whether a row is its key's winner: one source's product (all its items) per key. A peer vouching for two of its
 * own products that are one (see rekey) has both under one key, and only one of them is listed. Between equal
 * ranks, a product naming another of its key in owl:sameAs (a copy naming its original) gives way to the one it
 * names: a claim can hide the claimant's own offer, never the original's.
 */
const WINNER = `((source, product_iri) = (
         SELECT f2.source, f2.product_iri FROM federated_entries f2 WHERE f2.product_key = federated_entries.product_key
         ORDER BY f2.rank, EXISTS (SELECT 1 FROM entry_same_as s JOIN federated_entries t ON t.product_iri = s.target
             AND t.product_key = f2.product_key WHERE s.source = f2.source AND s.item_iri = f2.item_iri),
           (f2.product_iri = f2.product_key) DESC, f2.source, f2.product_iri LIMIT 1))`;

/**
 * Recomputes which source's product wins each product key: our node, then authoritative peers, then relays;
 * between equals, a product that names no other of its key in `owl:sameAs` (an original over its copies), then
 * the product that is the key.
 */
async function electWinners(tx: SqlConnection, keys: readonly string[]): Promise<void> {
  await inChunks(keys, async (chunk, marks) => {
    await tx.run(`UPDATE federated_entries SET winner = ${WINNER} WHERE product_key IN (${marks})`, chunk);
  });
}

/**
 * Whether `s.target` is under the origin of peer `p` (what the sync calls authoritative: the same origin, so
 * any peer of that node, whichever of its URLs it is synced from).
 */
const UNDER_ORIGIN = `substr(s.target, 1, length(p.origin)) = p.origin AND substr(s.target, length(p.origin) + 1, 1) IN ('/', '?', '#', '')`;

/** Whether a row is merged with another product: keyed with another, or another keyed with it. */
const MERGED = `(f.product_key <> f.product_iri OR EXISTS (
  SELECT 1 FROM federated_entries o WHERE o.product_key = f.product_key AND o.product_iri <> f.product_iri))`;

/**
 * Gives the products around some IRIs their keys again, from verified identities only, and returns the keys
 * given and taken away (their winners must be elected again).
 *
 * Two product IRIs are one product when this node's operator confirmed it (`confirmed_identities`), or when
 * each one's origin names the other in `owl:sameAs`: a row of rank `authoritative` or better (this node, or the
 * peer under whose origin the IRI is) for each side, or when a peer names in `owl:sameAs` two resources that are
 * both under its own origin (its row is authoritative, and the target is under the origin of the peer it came
 * from) (what its operator's import confirmed there: the peer vouches for its own
 * resources, as this node's operator does for ours). Any other one-sided `owl:sameAs` links nothing, so no party
 * can take another's place in the catalogue by claiming to be it. Rows of one IRI (the origin and its relays)
 * always share its key.
 *
 * Every product reachable from the seeds through such a link, or through a key shared now (a merge that may
 * have to be undone), is keyed again: each group takes its smallest IRI, the same whatever order the
 * sources were indexed in.
 */
async function rekey(tx: SqlConnection, seeds: Iterable<string>): Promise<Set<string>> {
  const parent = new Map<string, string>();
  const find = (iri: string): string => {
    let root = iri;
    for (let up = parent.get(root); up !== undefined && up !== root; up = parent.get(root)) root = up;
    parent.set(iri, root);
    return root;
  };
  const union = (a: string, b: string): void => {
    const [x, y] = [find(a), find(b)];
    if (x !== y) parent.set(x < y ? y : x, x < y ? x : y);
  };
  const visited = new Set<string>();
  let frontier = [...new Set(seeds)];
  while (frontier.length > 0) {
    frontier.forEach((iri) => visited.add(iri));
    const next = new Set<string>();
    const reach = (iri: string): void => {
      if (!visited.has(iri)) next.add(iri);
    };
    await inChunks(frontier, async (chunk, marks) => {
      for (const link of await tx.all<{ subject: string; target: string }>(
        `SELECT subject, target FROM confirmed_identities WHERE subject IN (${marks}) OR target IN (${marks})`, [...chunk, ...chunk])) {
        union(link.subject, link.target);
        reach(link.subject);
        reach(link.target);
      }
      for (const link of await tx.all<{ a: string; b: string }>(
        `SELECT DISTINCT f.product_iri AS a, n.product_iri AS b FROM federated_entries f
           JOIN entry_same_as s ON s.source = f.source AND s.item_iri = f.item_iri
           JOIN federated_entries n ON n.product_iri = s.target AND n.rank <= ${RANK.authoritative}
           JOIN entry_same_as m ON m.source = n.source AND m.item_iri = n.item_iri AND m.target = f.product_iri
         WHERE f.product_iri IN (${marks}) AND f.rank <= ${RANK.authoritative} AND n.product_iri <> f.product_iri`, chunk)) {
        union(link.a, link.b);
        reach(link.b);
      }
      // A peer's owl:sameAs between two resources under its own origin: the peer vouches for its own, as an
      // import on it confirmed them there. Looked up from either side.
      for (const link of await tx.all<{ a: string; b: string }>(
        `SELECT DISTINCT f.product_iri AS a, s.target AS b FROM federated_entries f
           JOIN entry_same_as s ON s.source = f.source AND s.item_iri = f.item_iri
           JOIN peers p ON p.id = f.peer_id AND ${UNDER_ORIGIN}
         WHERE f.rank = ${RANK.authoritative} AND f.peer_id IS NOT NULL AND s.target <> f.product_iri
           AND (f.product_iri IN (${marks}) OR s.target IN (${marks}))`, [...chunk, ...chunk])) {
        union(link.a, link.b);
        reach(link.a);
        reach(link.b);
      }
      for (const row of await tx.all<{ product_iri: string; product_key: string }>(
        `SELECT DISTINCT product_iri, product_key FROM federated_entries WHERE product_key IN (${marks}) OR product_iri IN (${marks})`,
        [...chunk, ...chunk])) {
        reach(row.product_iri);
        reach(row.product_key);
      }
    });
    frontier = [...next];
  }
  const groups = new Map<string, string[]>();
  for (const iri of visited) {
    const root = find(iri);
    groups.set(root, [...(groups.get(root) ?? []), iri]);
  }
  // A product alone is its own key: one statement for all of them, one per group of several.
  const alone: string[] = [];
  for (const [key, members] of groups) {
    if (members.length === 1) {
      alone.push(key);
      continue;
    }
    await inChunks(members, async (chunk, marks) => {
      await tx.run(`UPDATE federated_entries SET product_key = ? WHERE product_iri IN (${marks}) AND product_key <> ?`, [key, ...chunk, key]);
    });
  }
  await inChunks(alone, async (chunk, marks) => {
    await tx.run(`UPDATE federated_entries SET product_key = product_iri WHERE product_iri IN (${marks}) AND product_key <> product_iri`, chunk);
  });
  // The old keys were reached too (a key is a product IRI): every key given or taken away is in `visited`.
  return visited;
}

/**
 * Marks, in the transaction that changes the index, that its answers changed: the answer cache compares this
 * counter (stored, so a write by another process, such as `maillon sync` beside `serve`, counts too) with the one
 * its answer was computed at. Writes that do not touch the index (stock records, feed events, sync attempts) leave
 * the cached answers alone.
 */
async function indexChanged(tx: SqlConnection): Promise<void> {
  await tx.run(`INSERT INTO meta (key, value) VALUES ('index_generation', '1')
    ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`);
}

/** One row to index: an entry with its rank and whether its source withdrew it. */
interface IndexRow {
  readonly entry: FederatedEntry;
  readonly rank: number;
  /** See {@link ENTERPRISE_RANK}. */
  readonly enterpriseRank: number;
  readonly withdrawn: boolean;
}

/**
 * Replaces a source's rows of the index, keys again the products its rows are (or were) linked to by a
 * verified identity (see {@link rekey}), and re-elects the winner of every key touched.
 */
async function indexSource(
  tx: SqlConnection, source: string, peerId: number | null, rows: readonly IndexRow[], scope?: readonly string[],
): Promise<void> {
  // With a scope, only those items' rows are replaced (a small change to a big peer); without, all of them.
  const inScope = (column: string): string => (scope === undefined ? '' : ` AND ${column} IN (${scope.map(() => '?').join(',')})`);
  const scoped = (params: SqlValue[]): SqlValue[] => (scope === undefined ? params : [...params, ...scope]);
  await indexChanged(tx);
  const touched = new Set((await tx.all<{ product_key: string }>(
    `SELECT DISTINCT product_key FROM federated_entries WHERE source = ?${inScope('item_iri')}`, scoped([source]))).map((r) => r.product_key));
  // The merges these rows were part of: undone or kept by the new rows.
  const seeds = new Set<string>();
  for (const row of await tx.all<{ product_key: string; product_iri: string }>(
    `SELECT DISTINCT f.product_key, f.product_iri FROM federated_entries f WHERE f.source = ?${inScope('f.item_iri')} AND ${MERGED}`,
    scoped([source]))) {
    seeds.add(row.product_key);
    seeds.add(row.product_iri);
  }
  await tx.run(`DELETE FROM federated_entries WHERE source = ?${inScope('item_iri')}`, scoped([source]));
  await tx.run(`DELETE FROM entry_same_as WHERE source = ?${inScope('item_iri')}`, scoped([source]));
  await insertMany(tx, INSERT_ENTRIES_WITHDRAWN, ENTRY_COLUMNS + 1,
    rows.map((r) => [...entryValues(source, peerId, r.rank, r.entry, 0, r.enterpriseRank), r.withdrawn ? 1 : 0]), 'ON CONFLICT (source, item_iri) DO NOTHING');
  const sameAs = rows.flatMap((r) => r.entry.sameAs.map((target) => [source, r.entry.itemIri, target] as SqlValue[]));
  if (sameAs.length > 0) await insertMany(tx, 'INSERT INTO entry_same_as (source, item_iri, target)', 3, sameAs, 'ON CONFLICT DO NOTHING');
  for (const iri of await linkedProducts(tx, source, scope)) seeds.add(iri);
  if (seeds.size > 0) (await rekey(tx, seeds)).forEach((key) => touched.add(key));
  const now = await tx.all<{ product_key: string }>(
    `SELECT DISTINCT product_key FROM federated_entries WHERE source = ?${inScope('item_iri')}`, scoped([source]));
  now.forEach((r) => touched.add(r.product_key));
  await electWinners(tx, [...touched]);
  if (peerId !== null) await hideUnvouched(tx, peerId, scope);
}

/**
 * The products of a source's rows (those of `scope`'s items, or all) whose key may not be their own: verified links
 * (named back, or confirmed), and merges their IRIs already are in elsewhere (a relay's row joins its origin's
 * key). A one-sided claim links nothing: no need to look.
 */
async function linkedProducts(tx: SqlConnection, source: string, scope?: readonly string[]): Promise<string[]> {
  const inScope = (column: string): string => (scope === undefined ? '' : ` AND ${column} IN (${scope.map(() => '?').join(',')})`);
  const scoped = (params: SqlValue[]): SqlValue[] => (scope === undefined ? params : [...params, ...scope]);
  const linked = await tx.all<{ iri: string }>(
    `SELECT f.product_iri AS iri FROM federated_entries f JOIN entry_same_as s ON s.source = f.source AND s.item_iri = f.item_iri
       JOIN federated_entries n ON n.product_iri = s.target
       JOIN entry_same_as m ON m.source = n.source AND m.item_iri = n.item_iri AND m.target = f.product_iri
       WHERE f.source = ?${inScope('f.item_iri')}
     UNION SELECT f.product_iri AS iri FROM federated_entries f WHERE f.source = ?${inScope('f.item_iri')} AND (
       EXISTS (SELECT 1 FROM confirmed_identities c WHERE c.subject = f.product_iri)
       OR EXISTS (SELECT 1 FROM confirmed_identities c WHERE c.target = f.product_iri)
       OR EXISTS (SELECT 1 FROM federated_entries o WHERE o.product_iri = f.product_iri AND o.product_key <> o.product_iri))
     UNION SELECT f.product_iri AS iri FROM federated_entries f JOIN entry_same_as s ON s.source = f.source AND s.item_iri = f.item_iri
       JOIN peers p ON p.id = f.peer_id AND ${UNDER_ORIGIN}
       WHERE f.source = ?${inScope('f.item_iri')} AND f.rank = ${RANK.authoritative}
     UNION SELECT f.product_iri AS iri FROM federated_entries f JOIN entry_same_as s ON s.target = f.product_iri
       JOIN federated_entries g ON g.source = s.source AND g.item_iri = s.item_iri AND g.rank = ${RANK.authoritative}
       JOIN peers p ON p.id = g.peer_id AND ${UNDER_ORIGIN}
       WHERE f.source = ?${inScope('f.item_iri')}`,
    [...scoped([source]), ...scoped([source]), ...scoped([source]), ...scoped([source])]);
  return linked.map((r) => r.iri);
}

/**
 * Replaces all of a source's rows of the index with the rows `produce` emits, a chunk at a time (a peer of
 * 200,000 offers is never in memory at once), then keys again the products linked by a verified identity and
 * re-elects the winner of every key touched: the keys live in a temporary table, not in JavaScript.
 */
async function replaceSource(
  tx: SqlConnection, source: string, peerId: number | null, produce: (emit: (rows: readonly IndexRow[]) => Promise<void>) => Promise<void>,
): Promise<void> {
  await indexChanged(tx);
  await tx.exec('CREATE TEMP TABLE IF NOT EXISTS touched_keys (key TEXT PRIMARY KEY) WITHOUT ROWID');
  await tx.run('DELETE FROM temp.touched_keys');
  await tx.run('INSERT OR IGNORE INTO temp.touched_keys (key) SELECT DISTINCT product_key FROM federated_entries WHERE source = ?', [source]);
  // The merges these rows were part of: undone or kept by the new rows.
  const seeds = new Set<string>();
  for (const row of await tx.all<{ product_key: string; product_iri: string }>(
    `SELECT DISTINCT f.product_key, f.product_iri FROM federated_entries f WHERE f.source = ? AND ${MERGED}`, [source])) {
    seeds.add(row.product_key);
    seeds.add(row.product_iri);
  }
  await tx.run('DELETE FROM federated_entries WHERE source = ?', [source]);
  await tx.run('DELETE FROM entry_same_as WHERE source = ?', [source]);
  await produce(async (rows) => {
    // Written as winners: a key no other row shares (nearly all of a big peer's) is won by its row, and a row that
    // enters the listed indexes as it is written is not moved into them again by the election.
    await insertMany(tx, INSERT_ENTRIES_WITHDRAWN, ENTRY_COLUMNS + 1,
      rows.map((r) => [...entryValues(source, peerId, r.rank, r.entry, 1, r.enterpriseRank), r.withdrawn ? 1 : 0]), 'ON CONFLICT (source, item_iri) DO NOTHING');
    const sameAs = rows.flatMap((r) => r.entry.sameAs.map((target) => [source, r.entry.itemIri, target] as SqlValue[]));
    if (sameAs.length > 0) await insertMany(tx, 'INSERT INTO entry_same_as (source, item_iri, target)', 3, sameAs, 'ON CONFLICT DO NOTHING');
  });
  for (const iri of await linkedProducts(tx, source)) seeds.add(iri);
  if (seeds.size > 0) {
    const keys = [...await rekey(tx, seeds)];
    await insertMany(tx, 'INSERT INTO temp.touched_keys (key)', 1, keys.map((k) => [k]), 'ON CONFLICT DO NOTHING');
  }
  // The source's new keys that another row shares: a key of its row alone is won by that row as written (winner 1, as
  // the election would make it), and a big peer's 200,000 keys of their own were gathered only to be passed over.
  await tx.run(`INSERT OR IGNORE INTO temp.touched_keys (key) SELECT DISTINCT f.product_key FROM federated_entries f WHERE f.source = ?
    AND EXISTS (SELECT 1 FROM federated_entries o WHERE o.product_key = f.product_key AND o.rowid <> f.rowid)`, [source]);
  // A key of one row is won by it (a row left alone by a source that went is made the winner), without the
  // election's ordered subquery; only the keys several rows share are elected.
  const shared = `EXISTS (SELECT 1 FROM federated_entries o WHERE o.product_key = federated_entries.product_key
    AND o.rowid <> federated_entries.rowid)`;
  await tx.run(`UPDATE federated_entries SET winner = 1 WHERE winner = 0 AND product_key IN (SELECT key FROM temp.touched_keys) AND NOT ${shared}`);
  await tx.run(`UPDATE federated_entries SET winner = ${WINNER} WHERE product_key IN (SELECT key FROM temp.touched_keys) AND ${shared}`);
  await tx.run('DELETE FROM temp.touched_keys');
  if (peerId !== null) await hideUnvouched(tx, peerId);
}

/** The enterprises list a node's base URL falls back to when it has no discovery document (Open Food Network's; the sync's `startUrl`). */
const OFN_ENTERPRISES_PATH = '/api/dfc/enterprises';

/**
 * That peer `p` holds the whole of what its origin publishes to this node: followed from its node's base URL, or from
 * the enterprises list a base URL falls back to (every enterprise's catalogue, not one enterprise's or one catalogue),
 * synced at least once, read without a token (a token's view is its holder's: an Open Food Network list is the token
 * user's enterprises), and its last sync read every catalogue it listed (none refused and kept as it was). What it does
 * not hold, its origin does not publish.
 */
const WHOLE_PEER = `p.kind = 'dfc' AND p.last_success_at IS NOT NULL AND p.token IS NULL
  AND p.url IN (p.origin, p.origin || '/', p.origin || '${OFN_ENTERPRISES_PATH}', p.origin || '${OFN_ENTERPRISES_PATH}/')
  AND json_extract(p.last_summary, '$.unreadable') IS NULL`;

/** A peer whose graph is the whole of its origin's word (see {@link WHOLE_PEER}). */
interface WholePeer {
  readonly id: number;
  readonly origin: string;
}

/** The whole peers (see {@link WHOLE_PEER}), but those on `except`'s origin (it speaks for its own origin). */
async function wholePeers(tx: SqlConnection, except?: number): Promise<WholePeer[]> {
  return tx.all<WholePeer>(`SELECT p.id, p.origin FROM peers p WHERE ${WHOLE_PEER}
    AND p.origin IS NOT (SELECT origin FROM peers WHERE id = ?)`, [except ?? null]);
}

/**
 * A relay's rows (source `?`) of items under an origin (`?` three times): a range of the index's primary key, then the
 * exact test (`…/a` is not under `…/ab`). Every character that may follow an origin in an IRI sorts before `@`.
 */
const UNDER_ORIGIN_ROWS = `source = ? AND item_iri >= ? AND item_iri < ? || '@' AND substr(item_iri, 1, length(?)) = origin_of
  AND substr(item_iri, length(origin_of) + 1, 1) IN ('/', '?', '#', '') AND rank = ${RANK.relayed}`;

/** {@link UNDER_ORIGIN_ROWS} for an origin, with its parameters (the origin bound as `origin_of` too). */
function underOrigin(source: string, origin: string): { where: string; params: SqlValue[] } {
  return { where: UNDER_ORIGIN_ROWS.replaceAll('origin_of', '?'), params: [source, origin, origin, origin, origin, origin] };
}

/** That the whole peer `?` holds no record (withdrawn or not) of a row's item: its origin never published it to us. */
const NOT_HELD = 'NOT EXISTS (SELECT 1 FROM peer_resources h WHERE h.peer_id = ? AND h.iri = federated_entries.item_iri)';

/**
 * Hides (flags as withdrawn: not listed) a peer's rows of items it relays from the origin of a whole peer (see
 * {@link WHOLE_PEER}) that holds no record of them: that origin publishes its whole catalogue to this node, and the
 * item is not in it, so the relay's record is its own invention under another's name (a caviar no farm sells, listed
 * under a farm this node follows). An origin speaks for its own `@id`s: what it publishes wins over a relay's copy,
 * what it withdrew stays withdrawn, and what it never published is not shown. An item of an origin this node does not
 * follow whole is shown as the relay says it (its copy is all there is). The peer's sync summary counts them
 * (`unvouched`); they come back when that origin publishes them, or stops being followed whole.
 *
 * @param scope - only these items' rows (a scoped re-index), or all of the peer's
 */
async function hideUnvouched(tx: SqlConnection, peerId: number, scope?: readonly string[]): Promise<void> {
  if (scope !== undefined && scope.length === 0) return;
  const source = `peer:${peerId}`;
  for (const whole of await wholePeers(tx, peerId)) {
    const range = underOrigin(source, whole.origin);
    if (scope === undefined) {
      await tx.run(`UPDATE federated_entries SET withdrawn = 1 WHERE ${range.where} AND withdrawn = 0 AND ${NOT_HELD}`, [...range.params, whole.id]);
      continue;
    }
    await inChunks(scope, async (chunk, marks) => {
      await tx.run(`UPDATE federated_entries SET withdrawn = 1 WHERE ${range.where} AND item_iri IN (${marks}) AND withdrawn = 0 AND ${NOT_HELD}`,
        [...range.params, ...chunk, whole.id]);
    });
  }
}

/**
 * Sets again which relayed rows of items under `origin` are hidden (see {@link hideUnvouched}), after a peer on that
 * origin was removed, or became whole or stopped being so: each row is withdrawn as its relay says, and hidden again by
 * any whole peer left on the origin.
 */
export async function revouchOrigin(tx: SqlConnection, origin: string): Promise<void> {
  await indexChanged(tx);
  const whole = (await wholePeers(tx)).filter((p) => p.origin === origin);
  for (const relay of await tx.all<{ id: number }>('SELECT id FROM peers WHERE origin <> ?', [origin])) {
    const range = underOrigin(`peer:${relay.id}`, origin);
    await tx.run(`UPDATE federated_entries SET withdrawn = coalesce((SELECT r.withdrawn_at IS NOT NULL FROM peer_resources r
        WHERE r.peer_id = ? AND r.iri = federated_entries.item_iri), 0) WHERE ${range.where}`, [relay.id, ...range.params]);
    for (const p of whole) {
      await tx.run(`UPDATE federated_entries SET withdrawn = 1 WHERE ${range.where} AND withdrawn = 0 AND ${NOT_HELD}`, [...range.params, p.id]);
    }
  }
}

/**
 * Whether a peer is whole (see {@link WHOLE_PEER}) now: read before and after a change of its sync state, so that the
 * relays of its origin are set again (see {@link revouchOrigin}) when it changed.
 */
export async function isWholePeer(tx: SqlConnection, peerId: number): Promise<{ whole: boolean; origin: string } | undefined> {
  const row = await tx.get<{ whole: number; origin: string }>(`SELECT (${WHOLE_PEER}) AS whole, p.origin FROM peers p WHERE p.id = ?`, [peerId]);
  return row === undefined ? undefined : { whole: row.whole === 1, origin: row.origin };
}

/**
 * Whether the row of `peers` named `table` (an alias, or the table itself in an `UPDATE … RETURNING`, which names no
 * alias) is a whole peer (see {@link WHOLE_PEER}), as SQL: read with another column of the peer in the statement that
 * needs it, not by a statement of its own (each waits for a turn of the main thread).
 */
export function wholePeerSql(table: string): string {
  return WHOLE_PEER.replace(/\bp\./gu, `${table}.`);
}

/** The most items a sync summary names of those {@link hideUnvouched} hides. */
export const MAX_UNVOUCHED_SHOWN = 20;

/**
 * The items of a peer that are hidden because the origin they are under, followed whole, does not publish them (see
 * {@link hideUnvouched}): how many, and the first {@link MAX_UNVOUCHED_SHOWN}. Those the relay withdrew itself are not counted.
 */
export async function unvouchedItems(reader: SqlConnection, peerId: number): Promise<{ count: number; iris: string[] }> {
  let count = 0;
  const iris: string[] = [];
  const source = `peer:${peerId}`;
  for (const whole of await wholePeers(reader, peerId)) {
    const range = underOrigin(source, whole.origin);
    const rows = await reader.all<{ item_iri: string }>(`SELECT item_iri FROM federated_entries WHERE ${range.where} AND withdrawn = 1 AND ${NOT_HELD}
      AND NOT EXISTS (SELECT 1 FROM peer_resources r WHERE r.peer_id = ? AND r.iri = federated_entries.item_iri AND r.withdrawn_at IS NOT NULL)
      ORDER BY item_iri`, [...range.params, whole.id, peerId]);
    count += rows.length;
    for (const row of rows) if (iris.length < MAX_UNVOUCHED_SHOWN) iris.push(row.item_iri);
  }
  return { count, iris };
}

/** The most resources a change may touch and still re-index only the items it touches (past it, the peer's whole graph). */
export const SCOPED_CHANGES = 500;

/** The catalog items of a peer whose index rows a change touches, or undefined when it touches too much. */
async function affectedItems(tx: SqlConnection, peerId: number, changed: readonly string[], upsert: readonly DfcRecord[]): Promise<string[] | undefined> {
  if (changed.length > SCOPED_CHANGES) return undefined;
  const source = `peer:${peerId}`;
  const kinds = new Map<string, DfcRecord>();
  for (const record of upsert) kinds.set(record.id, record);
  const missing = changed.filter((iri) => !kinds.has(iri));
  if (missing.length > 0) {
    const rows = await tx.all<{ record: string }>(
      `SELECT record FROM peer_resources WHERE peer_id = ? AND iri IN (${missing.map(() => '?').join(',')})`, [peerId, ...missing]);
    for (const row of rows) {
      const record = JSON.parse(row.record) as DfcRecord;
      kinds.set(record.id, record);
    }
  }
  const items = new Set<string>();
  const products: string[] = [];
  const offers: string[] = [];
  for (const iri of changed) {
    const record = kinds.get(iri);
    if (record === undefined) continue;
    if (record.kind === 'CatalogItem') items.add(iri);
    else if (record.kind === 'Offer') {
      offers.push(iri);
      if (record.item !== undefined) items.add(record.item);
    } else if (record.kind === 'SuppliedProduct') products.push(iri);
    else return undefined; // an enterprise, an address…: its rows are everywhere, rebuild them all
  }
  for (const record of upsert) if (record.kind === 'CatalogItem' && record.product !== undefined && products.includes(record.product)) items.add(record.id);
  if (products.length > 0) {
    for (const row of await tx.all<{ item_iri: string }>(
      `SELECT item_iri FROM federated_entries WHERE source = ? AND product_iri IN (${products.map(() => '?').join(',')})`, [source, ...products])) {
      items.add(row.item_iri);
    }
  }
  if (offers.length > 0) {
    for (const row of await tx.all<{ item_iri: string }>(
      `SELECT item_iri FROM federated_entries WHERE source = ? AND offer_iri IN (${offers.map(() => '?').join(',')})`, [source, ...offers])) {
      items.add(row.item_iri);
    }
  }
  return items.size > SCOPED_CHANGES ? undefined : [...items];
}


/** A record of a peer's provenance graph, with its authority and withdrawal flags. */
export interface PeerRecord {
  readonly record: DfcRecord;
  readonly authoritative: boolean;
  readonly withdrawn: boolean;
}

/** The order SQLite's primary key reads them in (and so the order the index was built in before). */
function byIri(a: PeerRecord, b: PeerRecord): number {
  return a.record.id < b.record.id ? -1 : a.record.id > b.record.id ? 1 : 0;
}

/**
 * Peer records by `@id` (withdrawn ones included). Those the snapshot writes come from `fresh`, the plan's
 * records in memory: only the others are read back (and parsed) from the database.
 */
async function peerRecords(tx: SqlConnection, peerId: number, iris: Iterable<string>, fresh: ReadonlyMap<string, PeerRecord>): Promise<PeerRecord[]> {
  const out: PeerRecord[] = [];
  const stored: string[] = [];
  for (const iri of new Set(iris)) {
    const known = fresh.get(iri);
    if (known !== undefined) out.push(known);
    else stored.push(iri);
  }
  await inChunks(stored, async (chunk, marks) => {
    const rows = await tx.all<{ record: string; authoritative: number; withdrawn: number }>(
      `SELECT record, authoritative, withdrawn_at IS NOT NULL AS withdrawn FROM peer_resources WHERE peer_id = ? AND iri IN (${marks})`,
      [peerId, ...chunk]);
    for (const row of rows) out.push({ record: JSON.parse(row.record) as DfcRecord, authoritative: row.authoritative === 1, withdrawn: row.withdrawn === 1 });
  });
  return out.sort(byIri);
}


const INSERT_ENTRIES_WITHDRAWN = `${INSERT_ENTRIES.replace(/enterprise_rank\)$/u, 'enterprise_rank, withdrawn)')}`;

/** The rank of a peer's entry: the origin speaking of its own resource, or a relay of another origin's. */
function rankOf(authoritative: boolean): number {
  return authoritative ? RANK.authoritative : RANK.relayed;
}

/**
 * The great-circle distance in km from a point (`?` latitude, latitude again, `?` longitude) to a row's
 * enterprise: the haversine formula, written as `haversineKm` in the federation service computes it, so that SQL
 * and JavaScript agree on who is inside a circle.
 */
const HAVERSINE_KM = `(2 * 6371 * asin(min(1, sqrt(pow(sin(radians(latitude - ?) / 2), 2)
  + cos(radians(?)) * cos(radians(latitude)) * pow(sin(radians(longitude - ?) / 2), 2)))))`;

/**
 * The bounding box of a circle (latitude and longitude in degrees, radius in km) on the sphere of
 * {@link HAVERSINE_KM} (radius 6,371 km): it must hold every point the haversine keeps, or the box would drop
 * points the circle holds. Its half-height is the radius as an angle; its half-width the widest longitude of the
 * circle, asin(sin(angle) / cos(latitude)) (wider than the angle over the cosine). A circle that reaches a pole
 * or crosses the antimeridian takes every longitude: the haversine is the real filter.
 */
export function boxAround(lat: number, lon: number, radiusKm: number): { minLat: number; maxLat: number; minLon: number; maxLon: number } {
  const degrees = 180 / Math.PI;
  const angle = radiusKm / 6371;
  // A hair wider (about 1 cm) than exact: SQL's and JavaScript's trigonometry may round differently.
  const slack = 1e-7;
  const dLat = angle * degrees + slack;
  const ratio = Math.sin(Math.min(angle, Math.PI / 2)) / Math.cos((lat * Math.PI) / 180);
  const dLon = angle >= Math.PI / 2 || !(ratio < 1) ? 180 : Math.asin(ratio) * degrees + slack;
  const everyLongitude = lon - dLon < -180 || lon + dLon > 180;
  return {
    minLat: lat - dLat, maxLat: lat + dLat, minLon: everyLongitude ? -180 : lon - dLon, maxLon: everyLongitude ? 180 : lon + dLon,
  };
}

/**
 * Cells of the grid per degree (migration 17 computes a row's `cell` with the same figures): 0.2° cells, about
 * 22 km of latitude.
 */
export const GRID_CELLS_PER_DEGREE = 5;

/**
 * The product types of the canonical DFC taxonomy, whose IRIs migration 22 shortens (see {@link typeKey}); the
 * migration spells the same namespace.
 */
export const TYPE_KEY_NAMESPACE = DFC_PT_NS;

/**
 * A product type as `federated_listed_by_cell` holds it (migration 22's generated column `type_key`): a type of the
 * DFC taxonomy as its fragment (`#vegetable`), any other IRI after a space. Every entry of that index names a type,
 * and at a national scale it is read by the tens of thousands per query: with the 91 characters of the taxonomy's
 * namespace in each entry (the same in all of them), the index was two and a half times bigger, and its reads twice
 * as long. One-to-one: a fragment starts with `#`, any other key with a space, and each keeps the rest of its IRI.
 * SQL's `substr` counts characters and this counts UTF-16 units: the namespace is ASCII, so both cut at the same place.
 */
export function typeKey(type: string): string {
  return type.startsWith(TYPE_KEY_NAMESPACE) ? type.slice(TYPE_KEY_NAMESPACE.length - 1) : ` ${type}`;
}

/** The most cells a box is looked up by; a wider box (a circle of several hundred km) reads a range of cells. */
const MAX_GRID_CELLS = 600;

/** The row (of latitude) and the column (of longitude) of the grid a box's corners are in, south-west then north-east. */
function gridCorners(box: { minLat: number; maxLat: number; minLon: number; maxLon: number }): [number, number, number, number] {
  const row = (lat: number): number => Math.floor((Math.max(-90, Math.min(90, lat)) + 90) * GRID_CELLS_PER_DEGREE);
  const column = (lon: number): number => Math.floor((Math.max(-180, Math.min(180, lon)) + 180) * GRID_CELLS_PER_DEGREE);
  return [row(box.minLat), row(box.maxLat), column(box.minLon), column(box.maxLon)];
}

/**
 * The cells of the grid a box covers, as migration 17 numbers them (`floor((lat + 90) × 5) × 2000 +
 * floor((lon + 180) × 5)`), or undefined when there would be more than {@link MAX_GRID_CELLS}. A row in the box is
 * in one of them: the same arithmetic on the same doubles, and a floor never decreases.
 */
export function gridCells(box: { minLat: number; maxLat: number; minLon: number; maxLon: number }): number[] | undefined {
  const [r0, r1, c0, c1] = gridCorners(box);
  if (!(r1 >= r0 && c1 >= c0) || (r1 - r0 + 1) * (c1 - c0 + 1) > MAX_GRID_CELLS) return undefined;
  const cells: number[] = [];
  for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) cells.push(r * 2000 + c);
  return cells;
}

/**
 * The range of cells from a box's south-west corner's to its north-east corner's: every cell of the rows of the grid
 * between (numbered row after row), so every cell the box covers, and one range of the cell index however wide the
 * box (undefined for a box whose corners are not in that order). What a box too wide for {@link gridCells} is read
 * as: a band of latitude, each entry holding the coordinates the bounds then filter.
 */
export function gridRange(box: { minLat: number; maxLat: number; minLon: number; maxLon: number }): [number, number] | undefined {
  const [r0, r1, c0, c1] = gridCorners(box);
  return r1 >= r0 && c1 >= c0 ? [r0 * 2000 + c0, r1 * 2000 + c1] : undefined;
}

/** A band of latitude inside a circle: every point with a latitude and a longitude within its bounds is inside. */
export interface InsideBand {
  readonly minLat: number;
  readonly maxLat: number;
  readonly minLon: number;
  readonly maxLon: number;
}

/**
 * Where the bands of {@link insideBands} cut a circle's height, as fractions of its radius: eight bands that hold
 * nearly nine tenths of its area (a staircase inside it).
 */
const BAND_EDGES = [-0.9, -0.75, -0.55, -0.3, 0, 0.3, 0.55, 0.75, 0.9];

/**
 * Bands of latitude, each as wide in longitude as a circle allows, that hold most of the circle: a row inside one of
 * them is inside the circle without its distance computed (a dozen SQL functions a row, three quarters of a circle's
 * cost at a national scale). Exact, not approximate: on a sphere the farthest point of a band of latitude and
 * longitude from a point less than a quarter of the globe away is one of its corners (the distance grows with the
 * difference of longitude and has no maximum inside a span of latitude this short), and each band's corners are
 * within the radius by the very distance SQL computes, less a centimetre (SQL's trigonometry may round otherwise
 * than JavaScript's). Empty when the circle crosses the antimeridian or a pole, or spans more than 2,000 km.
 *
 * @param lat - the circle's centre, degrees
 * @param lon - the circle's centre, degrees
 * @param radiusKm - its radius in km
 */
export function insideBands(lat: number, lon: number, radiusKm: number): InsideBand[] {
  if (!(radiusKm > 0 && radiusKm <= 1000)) return [];
  const box = boxAround(lat, lon, radiusKm);
  if (box.minLat <= -89 || box.maxLat >= 89 || box.minLon <= -180 || box.maxLon >= 180) return [];
  const limit = radiusKm - 1e-5;
  const dLat = lat - box.minLat;
  const within = (a: number, halfWidth: number): boolean => haversineKm(lat, lon, a, lon + halfWidth) <= limit;
  const bands: InsideBand[] = [];
  for (let i = 1; i < BAND_EDGES.length; i++) {
    const minLat = lat + dLat * (BAND_EDGES[i - 1] as number);
    const maxLat = lat + dLat * (BAND_EDGES[i] as number);
    // The widest half-width both corners allow, by bisection (the distance grows with it).
    let [low, high] = [0, box.maxLon - lon];
    // The bands must follow one another (one CASE finds a row's band by its latitude alone): none, or all.
    if (!(within(minLat, 0) && within(maxLat, 0))) return [];
    for (let step = 0; step < 40; step++) {
      const mid = (low + high) / 2;
      if (within(minLat, mid) && within(maxLat, mid)) low = mid;
      else high = mid;
    }
    bands.push({ minLat, maxLat, minLon: lon - low, maxLon: lon + low });
  }
  return bands;
}

/**
 * The WHERE clause of a federated query (without its text), or undefined when it matches nothing. A circle or a box
 * is looked up by the cells of the grid unless `grid` is false (a walk of another index filters on coordinates).
 */
function whereOf(query: FederatedQuery, grid = true): { where: string; params: SqlValue[]; table: string } | undefined {
  const where: string[] = [LISTED];
  const params: SqlValue[] = [];
  if (query.types?.length === 0) return undefined;
  // A box (or a circle's) is looked up by the cells of the grid it covers (one seek each in
  // federated_listed_by_cell); the bounds and the distance are the real filter.
  const circleBox = query.circle === undefined ? undefined : boxAround(query.circle.lat, query.circle.lon, query.circle.radiusKm);
  const area = query.box ?? circleBox;
  const cells = grid && area !== undefined ? gridCells(area) : undefined;
  // Too many cells to list: the range from the first to the last (the rows of latitude between, whole).
  const range = grid && area !== undefined && cells === undefined ? gridRange(area) : undefined;
  const gridded = cells !== undefined || range !== undefined;
  // Bounds out of order (or not numbers): no row is between them.
  if (grid && area !== undefined && !gridded) return undefined;
  if (query.types !== undefined) {
    // Looked up by cell, the types are their short keys: the ones federated_listed_by_cell holds (see typeKey).
    where.push(`${gridded ? 'type_key' : 'product_type'} IN (${query.types.map(() => '?').join(',')})`);
    params.push(...(gridded ? query.types.map(typeKey) : query.types));
  }
  if (cells !== undefined) {
    where.push(`cell IN (${cells.map(() => '?').join(',')})`);
    params.push(...cells);
  } else if (range !== undefined) {
    where.push('cell BETWEEN ? AND ?');
    params.push(...range);
  }
  if (query.box !== undefined) {
    where.push('latitude BETWEEN ? AND ? AND longitude BETWEEN ? AND ?');
    params.push(query.box.minLat, query.box.maxLat, query.box.minLon, query.box.maxLon);
  }
  if (query.circle !== undefined && circleBox !== undefined) {
    const { lat, lon, radiusKm } = query.circle;
    const box = circleBox;
    // The box first: its latitudes are a range of the cell index's entries, not a test of each one.
    where.push('latitude BETWEEN ? AND ? AND longitude BETWEEN ? AND ?');
    params.push(box.minLat, box.maxLat, box.minLon, box.maxLon);
    // Most rows are inside a band wholly inside the circle (a few comparisons): the distance is computed only for
    // the others. The bands follow one another up the latitudes, so one CASE finds a row's band.
    const bands = insideBands(lat, lon, radiusKm);
    if (bands.length === 0) where.push(`${HAVERSINE_KM} <= ?`);
    else {
      where.push(`(CASE WHEN latitude < ? THEN 0 ${bands.map(() => 'WHEN latitude <= ? THEN longitude BETWEEN ? AND ?').join(' ')} ELSE 0 END
        OR ${HAVERSINE_KM} <= ?)`);
      params.push((bands[0] as InsideBand).minLat, ...bands.flatMap((b) => [b.maxLat, b.minLon, b.maxLon]));
    }
    params.push(lat, lat, lon, radiusKm);
  }
  if (query.inStock !== undefined) where.push(query.inStock ? 'in_stock = 1' : 'in_stock = 0');
  if (query.enterprise !== undefined) {
    where.push('enterprise_iri = ?');
    params.push(query.enterprise);
  }
  if (query.source !== undefined) {
    if (query.source === 'local') where.push("source LIKE 'local:%'");
    else {
      where.push('peer_id = ?');
      params.push(Number(query.source));
    }
  }
  // A circle is looked up by its cells whatever the planner's statistics say (gathered when the index was a
  // hundredth of its size, they can send it down the index of every vegetable of the country).
  return { where: where.join(' AND '), params, table: gridded ? 'federated_entries f INDEXED BY federated_listed_by_cell' : 'federated_entries f' };
}

/**
 * The most matches a text search lists: the best ones by relevance. A word as broad as a whole branch of the
 * taxonomy (`legume`) matches a third of a region's offers; nobody reads past the first thousand, and moving
 * them all from SQLite to JavaScript would cost more than the search.
 */
export const MAX_TEXT_MATCHES = 1000;

/**
 * The most product types a text's type labels find whose rows are walked type by type (see `selectOf`); more
 * (a label as broad as a branch of the taxonomy) are read as one list (SQLite allows 500 terms in a compound
 * query, and parameters run out).
 */
const MAX_TYPE_WALKS = 60;

/**
 * The most parameters a statement of type walks may have: each walk repeats the filter's, and SQLite refuses a
 * statement with more than 32,766 (its default `SQLITE_MAX_VARIABLE_NUMBER`); kept well below.
 */
const MAX_WALK_PARAMS = 30_000;

/**
 * The most offers a text, and each of its words, may match (the words alone, before other filters) and still be
 * ranked by relevance (bm25); a broader text lists its matches in index order. Ranking weighs each word by reading
 * all its hits, and a word that a hundred thousand offers hold ranks nothing anyway.
 */
export const MAX_RANKED_HITS = 5000;

/** A federated query with how the index will run its text (see {@link SqliteFederatedIndex.planned}). */
type PlannedQuery = FederatedQuery & {
  /** The text matches more than {@link MAX_RANKED_HITS} offers: its hits in index order, not ranked. */
  readonly unranked?: boolean;
  /**
   * Its last word is taken whole, not as a prefix: as typed, more than {@link MAX_RANKED_HITS} offers hold it (the
   * completions of so common a word would cost a read of every hit of every one of them, for a list cut at 1,000).
   */
  readonly wholeWords?: boolean;
};

/**
 * A postcode's area in SQL: its first two characters once blanks (space, tab, line breaks, no-break spaces, the
 * thin spaces French typography puts in numbers) are left out, as {@link areaOf} says it in JavaScript.
 */
const AREA_SQL = `substr(${[9, 10, 11, 12, 13, 160, 8201, 8239].reduce((sql, code) => `replace(${sql}, char(${code}), '')`, "replace(postcode, ' ', '')")}, 1, 2)`;

/**
 * A postcode's area (a French département: `87` of `87 000`), or null without a postcode.
 *
 * @param postcode - the postcode as the row holds it
 */
export function areaOf(postcode: string | null): string | null {
  const area = postcode === null ? '' : postcode.replace(/[ \t\n\v\f\r\u00a0\u2009\u202f]+/gu, '').slice(0, 2);
  return area === '' ? null : area;
}

/** The key in `meta` of the kept groups' version: one more at each refresh that replaced groups. */
const SUPPLY_VERSION = 'supply_version';

/** The kept groups' columns the tallies read, as {@link KeptGroup}s. */
const KEPT_GROUP_COLUMNS = `SELECT peer_key AS peerKey, product_type AS productType, enterprise_iri AS enterpriseIri, area, products, offers,
  in_stock AS inStock FROM federated_supply_groups`;

/**
 * The kept supply groups (`federated_supply_groups`) a query selects, when all its filters are columns of theirs (type,
 * enterprise, source, stock: the whole catalogue's summary is one): `where` filters them, and `groups` is them as a
 * table whose counts are of the rows the query keeps (in stock or not). Undefined for any other query (a circle, a
 * box, a text: those group the rows themselves).
 */
function keptWhere(query: FederatedQuery): { where: string; params: SqlValue[]; groups: string } | undefined {
  if (query.text !== undefined || query.textTypes !== undefined || query.box !== undefined || query.circle !== undefined) return undefined;
  const where: string[] = ['1'];
  const params: SqlValue[] = [];
  if (query.types !== undefined) {
    where.push(query.types.length === 0 ? '0' : `product_type IN (${query.types.map(() => '?').join(',')})`);
    params.push(...query.types);
  }
  if (query.enterprise !== undefined) {
    where.push('enterprise_iri = ?');
    params.push(query.enterprise);
  }
  if (query.source !== undefined) {
    where.push('peer_key = ?');
    params.push(query.source === 'local' ? -1 : Number(query.source));
  }
  // Of the rows in stock, or of the others: a group holds some when it holds a product of theirs.
  const [products, offers, inStock, lat, lon] = query.inStock === undefined ? ['products', 'offers', 'in_stock', 'lat', 'lon']
    : query.inStock ? ['stocked_products', 'stocked_offers', 'in_stock', 'stocked_lat', 'stocked_lon']
      : ['unstocked_products', 'offers - stocked_offers', '0', 'unstocked_lat', 'unstocked_lon'];
  if (query.inStock !== undefined) where.push(`${products} > 0`);
  const sql = where.join(' AND ');
  return {
    where: sql, params,
    groups: `(SELECT peer_key, product_type, enterprise_iri, postcode, area, ${lat} AS lat, ${lon} AS lon, ${products} AS products, ${offers} AS offers,
      ${inStock} AS in_stock FROM federated_supply_groups WHERE ${sql})`,
  };
}

/** The filter every federated query starts with: the listed rows (winners, not withdrawn). */
const LISTED = 'winner = 1 AND withdrawn = 0';

/**
 * The FTS5 query of a text: its folded words (French elisions left out: `l'épicerie` is `epicerie`), each quoted
 * (so that no word is read as FTS5 syntax: `NEAR`, `OR`, `-`, `*`, quotes and brackets never reach it), all
 * required. The last one as a prefix (people type `chev` on their way to `chèvre`), and singular (`legumes*` would
 * miss `légume`); each other one whole, in the singular or the plural (`miels chataignier` finds "Miel de
 * châtaignier", `biere blonde` "Bières blondes"). Undefined when the text has no word.
 *
 * @param prefix - false: every word whole and as typed (a text too broad to rank or complete, see `planned`)
 */
export function ftsQuery(text: string, prefix = true): string | undefined {
  const words = queryWords(text);
  if (words.length === 0) return undefined;
  if (!prefix) return words.map((w) => `"${w}"`).join(' ');
  const singular = (w: string): string => (w.length > 3 ? w.replace(/[sx]$/u, '') : w);
  const inflected = (w: string): string => {
    const stem = singular(w);
    // `s` and `x` plurals, as the last word's prefix finds them (`chou`: `choux`; `vin`: `vins`).
    const forms = [...new Set([w, stem, ...(stem.length >= 3 && !/[sx]$/u.test(stem) ? [`${stem}s`, `${stem}x`] : [])])];
    return forms.length === 1 ? `"${w}"` : `(${forms.map((f) => `"${f}"`).join(' OR ')})`;
  };
  // `AND` written out: FTS5 takes no implicit AND beside a bracketed group.
  return words.map((w, i) => (i === words.length - 1 ? `"${singular(w)}"*` : inflected(w))).join(' AND ');
}

/**
 * A federated query as SQL selecting `columns` of the index (`f`): filtered, and ordered by relevance when there
 * is a text (bm25 over the folded search text, ties in index order; offers found only through `textTypes` after
 * those, in index order), else by folded name (`name_key`, as a page is) and catalog item IRI. A text lists at most {@link MAX_TEXT_MATCHES}.
 * Undefined when it matches nothing.
 */
function selectOf(query: PlannedQuery, columns: string): { sql: string; params: SqlValue[] } | undefined {
  const filter = whereOf(query);
  if (filter === undefined) return undefined;
  if (query.text === undefined) {
    // The order of a page (`pageRows` by relevance): folded names, those without one last.
    return { sql: `SELECT ${columns} FROM ${filter.table} WHERE ${filter.where} ORDER BY f.name_key IS NULL, f.name_key, f.item_iri`, params: filter.params };
  }
  const text = ftsQuery(query.text, query.wholeWords !== true);
  const types = query.textTypes ?? [];
  if (text === undefined && types.length === 0) return undefined;
  // The full-text hits drive the query in bm25 order (`rank`), each joined to its row by rowid (CROSS JOIN
  // keeps that order: the planner would otherwise scan every winning row), so that only the rows of the first
  // page of hits are read. Ties keep the FTS index's order: no sort over every hit by name.
  const params: SqlValue[] = [];
  const hits: string[] = [];
  if (text !== undefined) {
    // bm25 reads every hit of each word to weigh it: a text that a nation's offers hold by the hundred thousand
    // (`bio`, a cooperative's name) lists its hits in index order instead, streamed and cut at the limit.
    hits.push(query.unranked === true
      ? `SELECT rid, score FROM (SELECT f.rowid AS rid, -1 AS score FROM federated_search s CROSS JOIN federated_entries f
        ON f.rowid = s.rowid WHERE federated_search MATCH ? AND ${filter.where} ORDER BY s.rowid LIMIT ${MAX_TEXT_MATCHES})`
      : `SELECT rid, score FROM (SELECT f.rowid AS rid, s.rank AS score FROM federated_search s CROSS JOIN federated_entries f
        ON f.rowid = s.rowid WHERE federated_search MATCH ? AND ${filter.where} ORDER BY s.rank LIMIT ${MAX_TEXT_MATCHES})`);
    params.push(text, ...filter.params);
  }
  if (types.length > 0) {
    // Offers found only through a type's label come after the word matches, unranked: the first ones the index
    // holds. A broad label (`legume`) would otherwise have tens of thousands of rows read and sorted for a page.
    // Those the words found too are dropped below (their word score is the better one), not looked for in every
    // word hit: twice the rows are taken, so that as many are left when the words found a whole page of them.
    // Each walk repeats the filter's parameters (a circle's grid cells are hundreds): past SQLite's limit on a
    // statement's parameters, the types are read as one list.
    if (types.length === 1 || types.length > MAX_TYPE_WALKS || (types.length + 1) * (filter.params.length + 1) > MAX_WALK_PARAMS) {
      hits.push(`SELECT rid, score FROM (SELECT rowid AS rid, 1 AS score FROM federated_entries WHERE ${filter.where}
        AND product_type IN (${types.map(() => '?').join(',')}) ORDER BY rowid LIMIT ${2 * MAX_TEXT_MATCHES})`);
      params.push(...filter.params, ...types);
    } else {
      // The first rows of each type, each walked in rowid order (federated_listed_by_type), then the first of them all: the
      // rows of several types in rowid order would otherwise be every row of those types, read and sorted.
      const walks = types.map(() => `SELECT * FROM (SELECT rowid AS rid FROM federated_entries WHERE ${filter.where} AND product_type = ?
        ORDER BY rowid LIMIT ${2 * MAX_TEXT_MATCHES})`);
      hits.push(`SELECT rid, score FROM (SELECT rid, 1 AS score FROM (${walks.join(' UNION ALL ')}) ORDER BY rid LIMIT ${2 * MAX_TEXT_MATCHES})`);
      for (const type of types) params.push(...filter.params, type);
    }
  }
  return {
    sql: `SELECT ${columns} FROM (SELECT rid, min(score) AS score FROM (${hits.join(' UNION ALL ')}) GROUP BY rid) h
      CROSS JOIN federated_entries f ON f.rowid = h.rid ORDER BY h.score, h.rid LIMIT ${MAX_TEXT_MATCHES}`,
    params,
  };
}

/**
 * Every row a text query matches (its words, or a product type's label), unordered: the rowids as `mid`. Undefined
 * when it matches nothing.
 */
function allTextMatches(query: PlannedQuery): { sql: string; params: SqlValue[] } | undefined {
  const filter = whereOf(query);
  if (filter === undefined || query.text === undefined) return undefined;
  const text = ftsQuery(query.text, query.wholeWords !== true);
  const types = query.textTypes ?? [];
  const parts: string[] = [];
  const params: SqlValue[] = [];
  if (text !== undefined) {
    parts.push(`SELECT f.rowid AS mid FROM federated_search s CROSS JOIN federated_entries f ON f.rowid = s.rowid
      WHERE federated_search MATCH ? AND ${filter.where}`);
    params.push(text, ...filter.params);
  }
  if (types.length > 0) {
    parts.push(`SELECT f.rowid AS mid FROM federated_entries f WHERE ${filter.where} AND f.product_type IN (SELECT value FROM json_each(?))`);
    params.push(...filter.params, JSON.stringify(types));
  }
  return parts.length === 0 ? undefined : { sql: parts.join(' UNION '), params };
}

/**
 * The rows a federated query matches, as tables and a condition over `f` (the index): with a text, every match
 * (not only the best {@link MAX_TEXT_MATCHES} a page by relevance lists first: a count, a summary or a sort by
 * price of a text's offers is of all of them), as a subquery joined back by rowid; else the filtered winning rows.
 * Undefined when it matches nothing. Aggregates and sorted pages are written on top of it, in the database.
 */
function matchedFrom(query: PlannedQuery): { tables: string; where: string; params: SqlValue[] } | undefined {
  if (query.text === undefined) {
    const filter = whereOf(query);
    return filter === undefined ? undefined : { tables: filter.table, where: filter.where, params: filter.params };
  }
  const all = allTextMatches(query);
  return all === undefined ? undefined : { tables: `(${all.sql}) m CROSS JOIN federated_entries f ON f.rowid = m.mid`, where: '1', params: all.params };
}

/**
 * The most listed rows a page in name order walks (see {@link SqliteFederatedIndex.walkByName}) before it sorts
 * the matches instead: a few milliseconds of index entries.
 */
const WALK_BUDGET = 20_000;

/** How long (ms) a filter whose walk in name order failed is sorted without walking (see `futileWalks`): the data may change. */
const FUTILE_WALK_MS = 10 * 60_000;

/** The most product types a sort by label ranks in SQL (two parameters each, within SQLite's 32,766). */
const MAX_RANKED = 4000;

/**
 * The row of an enterprise whose word about it is best: the lowest {@link ENTERPRISE_RANK}, then the lowest peer id
 * (this node's rows have none, and rank 0 alone). One number, so that one min() picks the whole row.
 */
const BEST_WORD = 'min(enterprise_rank * 4294967296 + coalesce(peer_id, 0))';

/**
 * Every listed enterprise once, with its best word's row (see {@link BEST_WORD}), from the covering index
 * federated_by_enterprise alone (its entries say whether their row is listed), in its order: named, so that the
 * planner never walks another index and sorts (it would, from statistics gathered when the index was small).
 */
export const DIRECTORY_SQL = `SELECT enterprise_iri AS iri, ${BEST_WORD} AS rank, enterprise_name AS name, city, postcode, latitude AS lat,
  longitude AS lon FROM federated_entries INDEXED BY federated_by_enterprise
  WHERE winner = 1 AND withdrawn = 0 AND enterprise_iri IS NOT NULL GROUP BY enterprise_iri`;

/** An enterprise as the index knows it, for maps and popups. */
interface DirectoryEntry {
  readonly iri: string;
  /** Whose word it is: `local` for this node's own, else `peer:<id>` (see {@link BEST_WORD}). */
  readonly source: string;
  readonly name: string | null;
  readonly city: string | null;
  readonly postcode: string | null;
  readonly lat: number | null;
  readonly lon: number | null;
}

/** The SQL sort expression of a column people sort by (folded texts; numbers as numbers). */
const SORT_COLUMNS: Readonly<Record<Exclude<RowOrder['key'], 'relevance' | 'typeLabel' | 'sourceName'>, string>> = {
  name: 'f.name_key', price: 'f.price', stock: 'f.stock', enterpriseName: 'f.enterprise_key', city: 'f.city_key', postcode: 'f.postcode',
};

/**
 * Rebuilds a peer's rows of the index after its snapshot was written, in the snapshot's transaction: only
 * the items a small change touches, or else the peer's whole graph. The records the plan wrote are taken
 * from the plan, not read back.
 */
export async function indexPeerSnapshot(tx: SqlConnection, peerId: number, plan: MergePlan): Promise<void> {
  const changed = plan.upsert.length + plan.withdrawn.length + plan.restored.length > 0;
  if (!changed) return;
  const withdrawnNow = new Set(plan.withdrawn);
  const fresh = new Map<string, PeerRecord>(plan.upsert.map((r) => [r.iri, { record: r.record, authoritative: r.authoritative, withdrawn: withdrawnNow.has(r.iri) }]));
  const source = `peer:${peerId}`;
  // A small change (a few stock updates from a feed) re-indexes only the items it touches.
  const scope = await affectedItems(tx, peerId, [...plan.upsert.map((r) => r.iri), ...plan.withdrawn, ...plan.restored],
    plan.upsert.map((r) => r.record));
  if (scope !== undefined) {
    const items = await peerRecords(tx, peerId, scope, fresh);
    const all = await walkLinks(items, (iris) => peerRecords(tx, peerId, iris, fresh));
    const inScope = new Set(scope);
    if (scope.length > 0) await indexSource(tx, source, peerId, await peerRowsAsSaid(tx, peerId, all.sort(byIri), (entry) => inScope.has(entry.itemIri)), scope);
    return;
  }
  await reindexPeer(tx, peerId, fresh);
}

/**
 * The peers with a lower id than `peerId` on its origin (two paths of one host): they speak first for what is under
 * it (see {@link peerRowsAsSaid}). Nearly always none, read from the small peers table.
 */
async function lowerPeersOnOrigin(tx: SqlConnection, peerId: number): Promise<number[]> {
  return (await tx.all<{ id: number }>('SELECT id FROM peers WHERE origin = (SELECT origin FROM peers WHERE id = ?) AND id < ?', [peerId, peerId]))
    .map((r) => r.id);
}

/**
 * A peer's rows of the index, each relayed enterprise (one whose copy the peer is not authoritative for, or holds
 * no copy of) named and placed as its origin says it, when this node follows that origin (a peer authoritative for
 * it; the lowest peer id among several): a relay's copy never renames or moves another origin's enterprise, even
 * beside items only the relay lists. Two peers on one origin are both its word: the lower peer id's copy (while it
 * lists it) names and places an enterprise of that origin in the higher one's rows too, so that one IRI has one name
 * in every view. Rows that take another peer's word count as a relay's (the directory takes that peer's own rows
 * first, and its next change re-indexes them); the others keep their enterprise rank. Only rows that relay an
 * enterprise, or a peer sharing its origin with a lower one, cost a look-up; a peer that publishes its own
 * enterprises alone on its origin costs one read of the peers table.
 */
async function peerRowsAsSaid(tx: SqlConnection, peerId: number, given: readonly PeerRecord[], keep: (entry: FederatedEntry) => boolean): Promise<IndexRow[]> {
  let records = given;
  let rows = peerRows(records, keep);
  const relayed = new Set(rows.flatMap((r) => (r.enterpriseRank >= ENTERPRISE_RANK.relayed && r.entry.enterpriseIri !== null ? [r.entry.enterpriseIri] : [])));
  // The peer's own enterprises, when a lower peer id shares its origin: that peer's copy speaks first.
  const shared = (await lowerPeersOnOrigin(tx, peerId)).length === 0 ? new Set<string>()
    : new Set(rows.flatMap((r) => (r.enterpriseRank === ENTERPRISE_RANK.authoritative && r.entry.enterpriseIri !== null ? [r.entry.enterpriseIri] : [])));
  if (relayed.size === 0 && shared.size === 0) return rows;
  const said = new Map<string, { record: DfcRecord; peerId: number }>();
  // Enterprises an origin this node follows withdrew (no peer authoritative for them lists them any more).
  const withdrawnByOrigin = new Set<string>();
  await inChunks([...relayed, ...shared], async (chunk, marks) => {
    for (const row of await tx.all<{ iri: string; record: string; peer_id: number; gone: number }>(
      `SELECT iri, record, peer_id, withdrawn_at IS NOT NULL AS gone FROM peer_resources WHERE iri IN (${marks}) AND authoritative = 1 AND peer_id <> ?
       ORDER BY peer_id DESC`, [...chunk, peerId])) {
      if (shared.has(row.iri)) {
        // A peer's own enterprise: only a lower peer id's listed copy speaks instead.
        if (row.gone === 0 && row.peer_id < peerId) said.set(row.iri, { record: JSON.parse(row.record) as DfcRecord, peerId: row.peer_id });
        continue;
      }
      if (row.gone === 1) {
        if (!said.has(row.iri)) withdrawnByOrigin.add(row.iri);
        continue;
      }
      said.set(row.iri, { record: JSON.parse(row.record) as DfcRecord, peerId: row.peer_id });
      withdrawnByOrigin.delete(row.iri);
    }
  });
  if (withdrawnByOrigin.size > 0) {
    // The origin withdrew it: a relay's copy does not name and place it instead (its items are listed under it,
    // unnamed, as beside an enterprise no one describes).
    records = records.filter((r) => r.authoritative || !withdrawnByOrigin.has(r.record.id));
    rows = peerRows(records, keep);
  }
  if (said.size === 0) return rows;
  const overlay: PeerRecord[] = [];
  for (const { record, peerId: origin } of said.values()) {
    if (record.kind !== 'Enterprise') continue;
    overlay.push({ record, authoritative: false, withdrawn: false });
    if (record.address === undefined) continue;
    const address = await tx.get<{ record: string }>('SELECT record FROM peer_resources WHERE peer_id = ? AND iri = ? AND withdrawn_at IS NULL',
      [origin, record.address]);
    if (address !== undefined) overlay.push({ record: JSON.parse(address.record) as DfcRecord, authoritative: false, withdrawn: false });
  }
  // Last, so that they replace the peer's copies (the entries take the last record of an @id).
  const ranks = new Map(rows.map((r) => [r.entry.itemIri, r.enterpriseRank]));
  return peerRows([...records, ...overlay], keep).map((r) => {
    const rank = ranks.get(r.entry.itemIri) ?? r.enterpriseRank;
    return { ...r, enterpriseRank: r.entry.enterpriseIri !== null && said.has(r.entry.enterpriseIri) ? Math.max(rank, ENTERPRISE_RANK.relayed) : rank };
  });
}

/**
 * Re-indexes some catalog items of a peer (a few hundred at a time, as a small change does), so that their rows take
 * what the index now knows (see {@link peerRowsAsSaid}).
 */
async function reindexItems(tx: SqlConnection, peerId: number, items: readonly string[]): Promise<void> {
  for (let i = 0; i < items.length; i += SCOPED_CHANGES) {
    const scope = items.slice(i, i + SCOPED_CHANGES);
    const records = await peerRecords(tx, peerId, scope, new Map());
    const all = await walkLinks(records, (iris) => peerRecords(tx, peerId, iris, new Map()));
    const inScope = new Set(scope);
    await indexSource(tx, `peer:${peerId}`, peerId, await peerRowsAsSaid(tx, peerId, all.sort(byIri), (entry) => inScope.has(entry.itemIri)), scope);
  }
}

/**
 * After a peer's rows were rebuilt: the rows of other peers (listed or not) that relay an enterprise this peer speaks
 * for (their own copy of it, or none), or that speak for it too with a higher peer id (a second peer on its origin), take
 * its word again (it may have renamed, moved or withdrawn it, or be followed only now); those that say it already are
 * left as they are. Found by enterprise: nothing to read when nobody relays them.
 */
async function refreshRelaysOf(tx: SqlConnection, peerId: number): Promise<void> {
  await reindexDependents(tx, await peerDependents(tx, peerId, { agreeing: 'skipped' }));
}

/**
 * The catalog items of other peers that take a peer's word for an enterprise (see {@link refreshRelaysOf}), by peer:
 * what must be re-indexed when that word changes, or goes with the peer. Every such row, listed or not: a row hidden
 * behind another source's (the origin's own, a relay's of a lower peer id), or withdrawn, is listed again when that
 * source goes or its relay restores it, with the enterprise's name and place it holds; it must not hold a word the peer
 * no longer says. The enterprises are those the peer holds a record of under its origin (withdrawn ones too: their
 * relays drop the name), whether or not an item of its own names them.
 *
 * @param options - `agreeing: 'skipped'` leaves out the rows that already say what the peer's own rows say of a listed
 * enterprise (name, town, postcode, place): re-indexed, they would not change. An aggregator relays most of an origin's
 * items, hidden behind the origin's own, and a rebuild of the origin would otherwise rebuild all of their copies too.
 * Not for a peer that goes: every row that took its word takes another.
 */
export async function peerDependents(tx: SqlConnection, peerId: number, options: { agreeing?: 'skipped' } = {}): Promise<Map<number, string[]>> {
  const skipAgreeing = options.agreeing === 'skipped';
  // The peer's word of each enterprise, from its own rows (read by the peer's index: its rows only).
  const said = skipAgreeing ? `, said AS (SELECT enterprise_iri, enterprise_name, city, postcode, latitude, longitude
      FROM federated_entries INDEXED BY federated_by_peer
      WHERE peer_id = ? AND enterprise_rank = ${ENTERPRISE_RANK.authoritative} AND enterprise_iri IS NOT NULL GROUP BY enterprise_iri)` : '';
  const relays = await tx.all<{ peer_id: number; item_iri: string }>(
    // The peer's enterprises from their partial index (migration 39), whatever the statistics say (none yet at a first
    // snapshot): its primary key would read every record of the peer. Its rows are left out by federated_by_enterprise
    // alone, which holds their source and rank, and what they say of the enterprise: none of them is read from the table.
    `WITH e AS (SELECT iri, withdrawn_at IS NOT NULL AS gone FROM peer_resources INDEXED BY peer_resources_enterprises
       WHERE peer_id = ? AND kind = 'Enterprise' AND authoritative = 1)${said}
     SELECT DISTINCT f.peer_id, f.item_iri FROM e
     CROSS JOIN federated_entries f INDEXED BY federated_by_enterprise ON f.enterprise_iri = e.iri
     ${skipAgreeing ? 'LEFT JOIN said s ON s.enterprise_iri = e.iri' : ''}
     WHERE (f.enterprise_rank >= ${ENTERPRISE_RANK.relayed} OR (f.enterprise_rank = ${ENTERPRISE_RANK.authoritative} AND f.peer_id > ?))
       AND f.peer_id IS NOT NULL AND f.peer_id <> ?${skipAgreeing ? `
       AND NOT (e.gone = 0 AND s.enterprise_iri IS NOT NULL AND f.enterprise_name IS s.enterprise_name AND f.city IS s.city
         AND f.postcode IS s.postcode AND f.latitude IS s.latitude AND f.longitude IS s.longitude)` : ''}`,
    skipAgreeing ? [peerId, peerId, peerId, peerId] : [peerId, peerId, peerId]);
  const byPeer = new Map<number, string[]>();
  for (const r of relays) {
    const items = byPeer.get(r.peer_id);
    if (items === undefined) byPeer.set(r.peer_id, [r.item_iri]);
    else items.push(r.item_iri);
  }
  return byPeer;
}

/** Re-indexes {@link peerDependents}' items (a peer removed meanwhile has none left to re-index). */
export async function reindexDependents(tx: SqlConnection, dependents: ReadonlyMap<number, readonly string[]>): Promise<void> {
  for (const [relay, items] of dependents) await reindexItems(tx, relay, items);
}

/** Catalog items re-indexed at once: their records and those they link to are in memory, never the peer's whole graph. */
const REINDEX_CHUNK = 1000;

/**
 * Rebuilds all of a peer's rows of the index from its graph (an item's product may be unchanged while its offer
 * changed), withdrawn resources included: the origin's "withdrawn" must outrank a relay's copy. The graph is read a
 * chunk of catalog items at a time (in `@id` order, the order the index was always built in), each with the
 * records it links to: memory stays that of a chunk, whatever the peer's size. Records the caller holds already
 * (`fresh`) are not read back.
 */
export async function reindexPeer(tx: SqlConnection, peerId: number, fresh: ReadonlyMap<string, PeerRecord> = new Map()): Promise<void> {
  await replaceSource(tx, `peer:${peerId}`, peerId, async (emit) => {
    for (let after = ''; ;) {
      const rows = await tx.all<{ iri: string; record: string; authoritative: number; withdrawn: number }>(
        `SELECT iri, record, authoritative, withdrawn_at IS NOT NULL AS withdrawn FROM peer_resources
         WHERE peer_id = ? AND iri > ? AND kind = 'CatalogItem' ORDER BY iri LIMIT ${REINDEX_CHUNK}`, [peerId, after]);
      const last = rows[rows.length - 1];
      if (last === undefined) break;
      after = last.iri;
      const items = rows.map((row) => fresh.get(row.iri)
        ?? { record: JSON.parse(row.record) as DfcRecord, authoritative: row.authoritative === 1, withdrawn: row.withdrawn === 1 });
      const all = await walkLinks(items, (iris) => peerRecords(tx, peerId, iris, fresh));
      const chunk = new Set<string>(items.map((i) => i.record.id));
      await emit(await peerRowsAsSaid(tx, peerId, all.sort(byIri), (entry) => chunk.has(entry.itemIri)));
    }
  });
  await refreshRelaysOf(tx, peerId);
}

/** The index rows of a peer's records (those `keep` keeps), ranked and flagged. */
function peerRows(records: readonly PeerRecord[], keep: (entry: FederatedEntry) => boolean): IndexRow[] {
  const authoritative = new Set<string>(records.filter((r) => r.authoritative).map((r) => r.record.id));
  const withdrawn = new Set<string>(records.filter((r) => r.withdrawn).map((r) => r.record.id));
  return entriesOf(records.map((r) => r.record)).filter(keep).map((entry) => ({
    // An item of the peer's own pointing at a product of another origin is still a relay of that product.
    entry, rank: rankOf(authoritative.has(entry.itemIri) && authoritative.has(entry.productIri)), withdrawn: withdrawn.has(entry.itemIri),
    enterpriseRank: enterpriseRankOf(entry, (iri) => authoritative.has(iri)),
  }));
}

/** Lone UTF-16 surrogates (a peer's text may hold them): SQLite's JSON would keep them as bytes that are no UTF-8. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/gu;

/**
 * Values of a staged index row in a group (see {@link stagedEntry}). SQLite finds the n-th value of a JSON array by
 * stepping over every value before it: the 27 values read from one flat array were 365 steps a row, 21 % of the
 * instructions of the insert that fills the index from the staging (cachegrind, 40,000 rows). In groups of 6, a value
 * is found in 6 steps at most (its group's, then its own): 6.3 % fewer instructions of that insert.
 */
const STAGED_GROUP = 6;

/**
 * A catalog item's index row as staged with its record (see {@link indexStagedRun}): the values {@link entryValues}
 * binds (its source and peer left out: the run's), in that order, in groups of {@link STAGED_GROUP}; and apart its
 * product's `owl:sameAs` targets (null when none). Staged as JSON (see `stagingParams` of the provenance store; kept
 * as JSONB).
 */
export function stagedEntry({ entry, authoritative, enterpriseRank }: SourcedEntry): { values: SqlValue[][]; sameAs: readonly string[] | null } {
  const values = entryValues('', null, rankOf(authoritative), entry, 1, enterpriseRank);
  const groups: SqlValue[][] = [];
  for (let i = 0; i < values.length; i += STAGED_GROUP) groups.push(values.slice(i, i + STAGED_GROUP));
  return { values: groups, sameAs: entry.sameAs.length === 0 ? null : entry.sameAs };
}

/**
 * JSON of values (nested arrays of texts, numbers and nulls), its texts well-formed as binding them would make them
 * (a lone surrogate becomes U+FFFD; SQLite's JSON would keep it as bytes that are no UTF-8). A text that holds JSON
 * (a record) is well-formed already: `JSON.stringify` wrote its lone surrogates as escapes.
 */
export function wellFormedJson(values: readonly unknown[]): string {
  const json = JSON.stringify(values);
  // JSON.stringify writes a lone surrogate as an escape, and nothing else as `\ud8…`–`\udf…` (a pair is written as
  // it is); a record's own escape, inside its text, is written `\\ud8…` and caught too (the slow path then changes
  // nothing of it).
  // Looked for as text first (JSON.stringify writes its escapes in lower case): nearly every row has no `\ud` at all.
  if (!json.includes('\\ud') || !/\\ud[89a-f]/iu.test(json)) return json;
  const wellFormed = (v: unknown): unknown => (typeof v === 'string' ? v.replace(LONE_SURROGATE, '\ufffd') : Array.isArray(v) ? v.map(wellFormed) : v);
  return JSON.stringify(values.map(wellFormed));
}

/** The place of a {@link stagedEntry} value in its JSON: its group, then its place in the group. */
function stagedPath(i: number): string {
  return `'$[${Math.floor(i / STAGED_GROUP)}][${i % STAGED_GROUP}]'`;
}

/** The columns of `federated_entries` a staged row fills, each from its place in the {@link stagedEntry} groups (the source and peer apart). */
const STAGED_COLUMNS = Array.from({ length: ENTRY_COLUMNS }, (_, i) => (i === 0 ? '?' : i === 6 ? '?' : i === ENTRY_COLUMNS - 1
  // The enterprise's rank, last: a row staged before it was counts as a relay's word.
  ? `coalesce(s.entries ->> ${stagedPath(i)}, ${ENTERPRISE_RANK.relayed})` : `s.entries ->> ${stagedPath(i)}`)).join(', ');

/**
 * Where a sync run's rows are staged: the store's `sync_staging`, or the writer's own temporary table for a run kept
 * in memory (see the provenance store).
 */
export type StagingTable = 'sync_staging' | 'memory_staging';

/**
 * The full-text index's `hashsize` while a big run's rows enter it (bytes; FTS5's default is 1 MiB). FTS5 gathers the
 * words of the rows written in memory and writes them out as a new segment of its index each time they pass that size,
 * merging segments as they pile up: a 200,000-offer first snapshot wrote dozens of segments and merged them again and
 * again inside its insert. Measured on that insert (cachegrind, SQLite's instructions; peak memory of the process): 4 MiB,
 * 7.5 % fewer instructions for 3.7 MB more memory; 16 MiB, 12.5 % for 26 MB more (64 MiB: no fewer than 16, 44 MB
 * more). 4 MiB: the apply runs while the sync's memory is near its bound (400 MB for that peer, issue 16). The words
 * and what a search finds are the same: only how the index is cut in segments differs.
 */
const STAGED_FTS_HASH_BYTES = 4 * 1024 * 1024;

/** FTS5's own default `hashsize`, used when the index has no setting of its own. */
const FTS_DEFAULT_HASH_BYTES = 1024 * 1024;

/** The `hashsize` the full-text index is set to (undefined: none, FTS5's default). */
async function ftsHashSize(tx: SqlConnection): Promise<number | undefined> {
  return (await tx.get<{ v: number }>("SELECT v FROM federated_search_config WHERE k = 'hashsize'"))?.v;
}

/** Sets the full-text index's `hashsize` (a setting FTS5 stores in its config table, in the transaction). */
async function setFtsHashSize(tx: SqlConnection, bytes: number): Promise<void> {
  await tx.run("INSERT INTO federated_search (federated_search, rank) VALUES ('hashsize', ?)", [bytes]);
}

/** Gives the full-text index its `hashsize` back: `before`, or none at all (its row removed) when it had none. */
async function restoreFtsHashSize(tx: SqlConnection, before: number | undefined): Promise<void> {
  // Set first (FTS5 takes a setting in memory only when it is written through the table), then, when the index had
  // no setting, its row removed: the config table is as it was, and the value in force FTS5's default either way.
  await setFtsHashSize(tx, before ?? FTS_DEFAULT_HASH_BYTES);
  if (before === undefined) await tx.run("DELETE FROM federated_search_config WHERE k = 'hashsize'");
}

/**
 * Fills a peer's rows of the index from what its first snapshot staged (every catalog item with its row, computed by
 * its page), in the run's transaction, in `@id` order as a rebuild writes them; then keys and winners as
 * {@link reindexPeer} does. Nothing is read back into JavaScript.
 *
 * @param table - where the run is staged: the store's staging, or the writer's own for a run kept in memory
 */
export async function indexStagedRun(tx: SqlConnection, peerId: number, runId: number, table: StagingTable = 'sync_staging'): Promise<void> {
  const source = `peer:${peerId}`;
  await replaceSource(tx, source, peerId, async () => {
    // A run staged in the store is a big one (past the rows a run keeps in memory): see STAGED_FTS_HASH_BYTES.
    const bigRun = table === 'sync_staging';
    const hashSize = bigRun ? await ftsHashSize(tx) : undefined;
    if (bigRun) await setFtsHashSize(tx, STAGED_FTS_HASH_BYTES);
    await tx.run(`${INSERT_ENTRIES_WITHDRAWN} SELECT ${STAGED_COLUMNS}, 0 FROM ${table} s
      WHERE s.run_id = ? AND s.entries IS NOT NULL ORDER BY s.iri ON CONFLICT (source, item_iri) DO NOTHING`, [source, peerId, runId]);
    // Set back as it was, in the same transaction (a failure rolls the setting back with the rows).
    if (bigRun) await restoreFtsHashSize(tx, hashSize);
    // Through `sync_staging_same_as`: the run's rows with targets only.
    await tx.run(`INSERT INTO entry_same_as (source, item_iri, target) SELECT ?, s.iri, t.value FROM ${table} s, json_each(s.same_as) t
      WHERE s.run_id = ? AND s.same_as IS NOT NULL AND t.type = 'text' ON CONFLICT DO NOTHING`, [source, runId]);
  });
  // The pages named relayed enterprises from the peer's copies: those an origin this node follows speaks for take its
  // word (a peer of its own enterprises has no such row, and nothing is read but its rows' ranks).
  const relayed = await tx.all<{ item_iri: string }>(
    `SELECT f.item_iri FROM federated_entries f WHERE f.source = ? AND f.enterprise_rank >= ${ENTERPRISE_RANK.relayed} AND f.enterprise_iri IS NOT NULL
       AND EXISTS (SELECT 1 FROM peer_resources r WHERE r.iri = f.enterprise_iri AND r.authoritative = 1 AND r.peer_id <> ?)`,
    [source, peerId]);
  // A lower peer id on its origin speaks first for its own enterprises too (nearly always none: nothing more is read).
  if ((await lowerPeersOnOrigin(tx, peerId)).length > 0) {
    relayed.push(...await tx.all<{ item_iri: string }>(
      `SELECT f.item_iri FROM federated_entries f WHERE f.source = ? AND f.enterprise_rank = ${ENTERPRISE_RANK.authoritative} AND f.enterprise_iri IS NOT NULL
         AND EXISTS (SELECT 1 FROM peer_resources r WHERE r.iri = f.enterprise_iri AND r.authoritative = 1 AND r.peer_id < ? AND r.withdrawn_at IS NULL)`,
      [source, peerId]));
  }
  if (relayed.length > 0) await reindexItems(tx, peerId, relayed.map((r) => r.item_iri));
  await refreshRelaysOf(tx, peerId);
}

/** Removes a peer's rows of the index, in the transaction that removes the peer, and re-elects their keys' winners. */
export async function dropPeerRows(tx: SqlConnection, peerId: number): Promise<void> {
  await indexChanged(tx);
  const keys = new Set((await tx.all<{ product_key: string }>(
    'SELECT DISTINCT product_key FROM federated_entries WHERE peer_id = ?', [peerId])).map((k) => k.product_key));
  // The merges its rows made (a link it named both ways) are undone with them.
  const seeds = (await tx.all<{ product_key: string; product_iri: string }>(
    `SELECT DISTINCT f.product_key, f.product_iri FROM federated_entries f WHERE f.peer_id = ? AND ${MERGED}`, [peerId]))
    .flatMap((r) => [r.product_key, r.product_iri]);
  await tx.run('DELETE FROM federated_entries WHERE peer_id = ?', [peerId]);
  await tx.run('DELETE FROM entry_same_as WHERE source = ?', [`peer:${peerId}`]);
  if (seeds.length > 0) (await rekey(tx, seeds)).forEach((key) => keys.add(key));
  await electWinners(tx, [...keys]);
}

/** {@link FederatedIndex} on SQLite. */
export class SqliteFederatedIndex implements FederatedIndex {
  /** Whether rows without a search text (left by the migration that introduced folding) were looked for. */
  private searchChecked = false;
  /** The back-fill of sort keys for rows written before migration 14, once started. */
  private sortKeys: Promise<void> | undefined;
  /**
   * Answers of the summary queries, by query, valid while the index does not change: a dashboard asks the same
   * summary several times (its filters' choices, its charts), and a map's town list changes only with a sync;
   * the counts of the catalogue's pages (see {@link countMatches}).
   */
  private readonly answers = new Map<string, { generation: string; value: Promise<unknown> }>();
  /** How a text is run (ranked, unranked, its words whole: see {@link planned}), by FTS5 query, valid while the index does not change. */
  private readonly broadTexts = new Map<string, { generation: string; value: 'ranked' | 'unranked' | 'whole' }>();
  /**
   * Filters whose walk in name order did not hold their page ({@link walkByName}), each with the first page end
   * (offset + limit) it failed at and when: such a page is sorted at once for a while. Names cluster by product
   * (every "carrots" together), so a filter on types finds its rows only where their names are, and a walk from
   * the first names may never reach them; trying again each time would cost every page the walk before its sort.
   */
  private readonly futileWalks = new Map<string, { end: number; at: number }>();
  /** The run computing the kept supply groups again, while one runs (see {@link refreshSupplyGroups}). */
  private supplyRefresh: Promise<void> | undefined;
  /**
   * The whole catalogue's summary, kept from the kept groups and brought up to date by each refresh with the groups
   * it replaced; undefined until a summary asks for it, and whenever it may no longer match the table.
   */
  private tallies: SupplyTallies | undefined;

  public constructor(private readonly db: SqliteDatabase) {}

  /** `compute`'s answer for `key`, from the cache while the index has not changed since it was computed. */
  private async cached<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const generation = await this.generation();
    const hit = this.answers.get(key);
    if (hit !== undefined && hit.generation === generation) return hit.value as Promise<T>;
    const value = compute();
    const entry = { generation, value };
    this.answers.delete(key);
    this.answers.set(key, entry);
    // A failed answer is forgotten (only itself: a newer one may have taken its place).
    value.catch(() => {
      if (this.answers.get(key) === entry) this.answers.delete(key);
    });
    // A few dozen answers: the last filters people tried.
    if (this.answers.size > 64) this.answers.delete(this.answers.keys().next().value as string);
    return value;
  }

  /** How many times the index changed (see `indexChanged`), read before a query whose answer is kept. */
  private async generation(): Promise<string> {
    return (await this.db.reader.get<{ value: string }>("SELECT value FROM meta WHERE key = 'index_generation'"))?.value ?? '0';
  }

  /**
   * Rebuilds, once per process, the peers' rows that have no search text yet (a database from before folded
   * search): our own enterprises' rows are rebuilt by {@link refreshLocal}, which the migration made stale.
   */
  private async ensureSearch(): Promise<void> {
    if (this.searchChecked) return;
    const peers = await this.db.reader.all<{ peer_id: number }>(
      'SELECT DISTINCT peer_id FROM federated_entries WHERE search IS NULL AND peer_id IS NOT NULL');
    for (const { peer_id: peerId } of peers) await this.db.transaction((tx) => reindexPeer(tx, peerId), { alone: true });
    this.searchChecked = true;
  }

  /**
   * Fills the sort keys of rows written before they existed (a database migrated to 14 with rows: it leaves the
   * mark `sort_keys_pending`): folded in JavaScript, which SQL cannot do, a chunk at a time, once.
   */
  private ensureSortKeys(): Promise<void> {
    // One back-fill for every caller (a page and its count ask at once), and none once done.
    this.sortKeys ??= this.fillSortKeys().catch((error: unknown) => {
      this.sortKeys = undefined;
      throw error;
    });
    return this.sortKeys;
  }

  private async fillSortKeys(): Promise<void> {
    // Only a database migrated with rows has rows without keys: no scan of a territory at every start.
    if ((await this.db.reader.get("SELECT 1 AS pending FROM meta WHERE key = 'sort_keys_pending'")) === undefined) return;
    // Forward by rowid: each chunk starts where the last one ended, never again from the first row.
    for (let after = 0; ;) {
      const rows = await this.db.reader.all<{ id: number; name: string | null; enterprise_name: string | null; city: string | null }>(
        `SELECT rowid AS id, name, enterprise_name, city FROM federated_entries
         WHERE rowid > ? AND ((name_key IS NULL AND name IS NOT NULL) OR (enterprise_key IS NULL AND enterprise_name IS NOT NULL)
           OR (city_key IS NULL AND city IS NOT NULL)) ORDER BY rowid LIMIT 5000`, [after]);
      if (rows.length === 0) break;
      after = (rows[rows.length - 1] as { id: number }).id;
      await this.db.transaction(async (tx) => {
        // One statement per 500 rows (an UPDATE … FROM a table of values), not one per row.
        for (let i = 0; i < rows.length; i += 500) {
          const chunk = rows.slice(i, i + 500);
          await tx.run(`WITH k (id, name_key, enterprise_key, city_key) AS (VALUES ${chunk.map(() => '(?, ?, ?, ?)').join(', ')})
            UPDATE federated_entries SET name_key = k.name_key, enterprise_key = k.enterprise_key, city_key = k.city_key
            FROM k WHERE federated_entries.rowid = k.id`,
          chunk.flatMap((r) => [r.id, sortKey(r.name), sortKey(r.enterprise_name), sortKey(r.city)]));
        }
      }, { alone: true });
    }
    await this.db.transaction((tx) => tx.run("DELETE FROM meta WHERE key = 'sort_keys_pending'"));
  }

  public async confirmSameAs(links: readonly IdentityLink[]): Promise<void> {
    const fresh = links.filter((l) => l.subject !== l.target);
    if (fresh.length === 0) return;
    const at = new Date().toISOString();
    await this.db.transaction(async (tx) => {
      await indexChanged(tx);
      await insertMany(tx, 'INSERT INTO confirmed_identities (subject, target, confirmed_at)', 3,
        fresh.map((l) => [l.subject, l.target, at]), 'ON CONFLICT DO NOTHING');
      await electWinners(tx, [...(await rekey(tx, fresh.flatMap((l) => [l.subject, l.target])))]);
    });
  }

  public async refreshLocal(versions: ReadonlyMap<string, number>, recordsOf: (eid: string) => Promise<DfcRecord[]>): Promise<void> {
    await this.ensureSearch();
    const built = new Map((await this.db.reader.all<{ source: string; version: number }>(
      "SELECT source, version FROM federated_sources WHERE source LIKE 'local:%'")).map((r) => [r.source, r.version]));
    const stale = [...versions].filter(([eid, version]) => built.get(`local:${eid}`) !== version);
    const gone = [...built.keys()].filter((source) => !versions.has(source.slice('local:'.length)));
    if (stale.length === 0 && gone.length === 0) return;
    const rebuilt = await Promise.all(stale.map(async ([eid, version]) => ({ eid, version, entries: entriesOf(await recordsOf(eid)) })));
    await this.db.transaction(async (tx) => {
      for (const { eid, version, entries } of rebuilt) {
        await indexSource(tx, `local:${eid}`, null, entries.map((entry) => ({ entry, rank: RANK.local, enterpriseRank: ENTERPRISE_RANK.local, withdrawn: false })));
        await tx.run('INSERT INTO federated_sources (source, version) VALUES (?, ?) ON CONFLICT (source) DO UPDATE SET version = excluded.version',
          [`local:${eid}`, version]);
      }
      for (const source of gone) {
        await indexSource(tx, source, null, []);
        await tx.run('DELETE FROM federated_sources WHERE source = ?', [source]);
      }
    }, { alone: true });
  }

  /**
   * The query as the index runs it: whether its text is too broad to rank (it, or one of its words, matches more than
   * {@link MAX_RANKED_HITS} offers: counted in the full-text index, up to that, and kept until the index changes).
   */
  private async planned(query: FederatedQuery): Promise<PlannedQuery> {
    const text = query.text === undefined ? undefined : ftsQuery(query.text);
    if (text === undefined || query.text === undefined) return query;
    // Kept apart from the summaries' answers: searches people type would push those out of that small cache.
    const generation = await this.generation();
    // Keyed by both forms: `legume` and `legumes` share their prefix form (`"legume"*`), not their whole words.
    const whole = ftsQuery(query.text, false) as string;
    const key = `${text}\u0000${whole}`;
    let plan = this.broadTexts.get(key);
    if (plan?.generation !== generation) {
      const broad = async (fts: string): Promise<boolean> => ((await this.db.reader.get<{ n: number }>(
        'SELECT count(*) AS n FROM (SELECT 1 FROM federated_search WHERE federated_search MATCH ? LIMIT ?)', [fts, MAX_RANKED_HITS + 1]))?.n ?? 0) > MAX_RANKED_HITS;
      // The words as typed first: a word that common is taken whole (its hits are read one by one and cut at the
      // limit; a prefix's are all gathered first). Else, as a prefix, it may still be too broad to rank. And a text
      // whose words together are few is still too broad when one of them is not: bm25 weighs each word by reading
      // every hit of it (`heritage kale`: 2,211 offers say both, 128,535 say `heritage`, and ranking them cost a
      // national index 15–20 ms where listing them in index order costs 2), as a text of that word alone would.
      // Each word as the query has it: a bracketed group of a word's forms is one (its counts are of the group).
      const phrases = text.match(/\([^()]*\)|"[^"]*"\*?/gu) ?? [];
      const someWordBroad = async (): Promise<boolean> => {
        if (phrases.length < 2) return false;
        for (const phrase of phrases) if (await broad(phrase)) return true;
        return false;
      };
      const value = (await broad(whole)) ? 'whole' : (await broad(text)) || (await someWordBroad()) ? 'unranked' : 'ranked';
      plan = { generation, value };
      this.broadTexts.delete(key);
      this.broadTexts.set(key, plan);
      if (this.broadTexts.size > 256) this.broadTexts.delete(this.broadTexts.keys().next().value as string);
    }
    return plan.value === 'ranked' ? query : { ...query, unranked: true, ...(plan.value === 'whole' ? { wholeWords: true } : {}) };
  }

  public async queryMatches(given: FederatedQuery, options: { readonly all?: boolean } = {}): Promise<FederatedMatch[]> {
    // Without a text the matches are in folded name order: the sort keys must be there.
    await this.ensureSortKeys();
    const query = await this.planned(given);
    // Three small columns per row: a query over 100,000 offers moves kilobytes, not megabytes, to JavaScript.
    const select = selectOf(query, 'f.rowid AS id, f.latitude, f.longitude');
    const best = select === undefined ? [] : await this.db.reader.all<FederatedMatch>(select.sql, select.params);
    if (options.all !== true || query.text === undefined || best.length < MAX_TEXT_MATCHES) return best;
    return [...best, ...await this.otherTextMatches<FederatedMatch>(query, best.map((m) => m.id), 'f.rowid AS id, f.latitude, f.longitude', 0, -1)];
  }

  /**
   * A text's matches past its best {@link MAX_TEXT_MATCHES} (`best`, listed first by relevance), in index order:
   * `limit` of them (-1: all) from `offset`.
   */
  private async otherTextMatches<T>(query: PlannedQuery, best: readonly number[], columns: string, offset: number, limit: number): Promise<T[]> {
    const from = matchedFrom(query);
    if (from === undefined) return [];
    return this.db.reader.all<T>(`SELECT ${columns} FROM ${from.tables} WHERE ${from.where}
      AND f.rowid NOT IN (SELECT value FROM json_each(?)) ORDER BY f.rowid LIMIT ? OFFSET ?`, [...from.params, JSON.stringify(best), limit, offset]);
  }

  public async consistent<T>(read: () => Promise<T>): Promise<T> {
    // Every change of the index moves the generation in its own transaction: unmoved across the reads, no commit
    // came between them (each statement sees the last commit at its start).
    for (let attempt = 1; ; attempt++) {
      const before = await this.generation();
      const value = await read();
      if (attempt === 3 || (await this.generation()) === before) return value;
    }
  }

  public async countMatches(given: FederatedQuery): Promise<number> {
    await this.ensureSortKeys();
    // Kept until the index changes: a count steps through every match (tens of thousands of index entries for a
    // region's query at a national scale, about 25 ms), and each page of a walk and each reload of a map asks for
    // the same count again while the page itself takes a few ms.
    return this.cached(`count ${JSON.stringify(given)}`, async () => {
      const from = matchedFrom(await this.planned(given));
      if (from === undefined) return 0;
      return (await this.db.reader.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${from.tables} WHERE ${from.where}`, from.params))?.n ?? 0;
    });
  }

  public async pageRows(given: FederatedQuery, order: RowOrder, offset: number, limit: number): Promise<FederatedRow[]> {
    await this.ensureSortKeys();
    const query = await this.planned(given);
    if (order.key === 'relevance' && query.text !== undefined) {
      // The best text matches in bm25 order: at most a thousand ids, cut to the page; past them, the other matches
      // in index order (the page's count is of every match).
      const best = (await this.queryMatches(query)).map((m) => m.id);
      const ids = best.slice(offset, offset + limit);
      if (ids.length < limit && best.length === MAX_TEXT_MATCHES) {
        const rest = await this.otherTextMatches<{ id: number }>(query, best, 'f.rowid AS id', Math.max(0, offset - best.length), limit - ids.length);
        for (const r of rest) ids.push(r.id);
      }
      return this.entriesByIds(ids);
    }
    const from = matchedFrom(query);
    if (from === undefined) return [];
    const direction = order.descending ? 'DESC' : 'ASC';
    const orderParams: SqlValue[] = [];
    let key: string;
    // Without a text, relevance is the name, as people read it (the index walks it: no sort of a territory).
    if (order.key === 'relevance') key = 'f.name_key';
    else if (order.key === 'typeLabel') {
      // The labels come from the taxonomy, not the database: the types in label order, as a CASE giving each its
      // rank (a join with a table of labels costs ten times more on a territory).
      const ranked = [...(order.typeLabels ?? new Map<string, string>())]
        .map(([type, label]) => ({ type, label: sortKey(label) ?? '' }))
        .sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : a.type < b.type ? -1 : 1));
      // Past a few thousand types (peers may send any IRIs), the CASE would outgrow SQLite's parameters: by IRI then.
      if (ranked.length > 0 && ranked.length <= MAX_RANKED) {
        // A row without a type has no label: NULL, so that it goes last whichever the direction (not the ELSE rank).
        key = `CASE WHEN f.product_type IS NULL THEN NULL ELSE CASE f.product_type ${ranked.map((_, i) => `WHEN ? THEN ${i}`).join(' ')} ELSE ${ranked.length} END END`;
        orderParams.push(...ranked.map((r) => r.type));
      } else key = 'f.product_type';
    } else if (order.key === 'sourceName') {
      // This node's own rows first (its name is not a peer's), then by the peer's name as people read it (folded,
      // as the other texts: `Épicerie` beside `epicerie`, not after `z`): the peers in that order, as a CASE.
      const peers = (await this.db.reader.all<{ id: number; name: string }>('SELECT id, name FROM peers'))
        .map((p) => ({ id: p.id, name: sortKey(p.name) ?? '' }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id - b.id));
      key = peers.length === 0 ? '(f.peer_id IS NOT NULL)'
        : `CASE WHEN f.peer_id IS NULL THEN -1 ELSE CASE f.peer_id ${peers.map((_, i) => `WHEN ? THEN ${i}`).join(' ')} ELSE ${peers.length} END END`;
      orderParams.push(...peers.map((p) => p.id));
    } else key = SORT_COLUMNS[order.key];
    // Rows with a value first, in order, then those without (missing values last, whichever the direction): two
    // queries, so that each can walk an index in its order (a sort by name walks federated_listed_by_name and
    // stops at the page) instead of sorting every row for `ORDER BY key IS NULL`.
    const byName = key === 'f.name_key';
    const tie = byName ? `f.item_iri ${direction}` : 'f.name_key IS NULL, f.name_key, f.item_iri';
    // A circle's page in name order: walked in name order when the first entries hold it (a sort would read every
    // row of the circle: tens of thousands at a national scale).
    if (byName && query.text === undefined && query.enterprise === undefined && query.source === undefined && from.tables.includes('federated_listed_by_cell')) {
      const walked = await this.walkByName(query, direction, offset, limit);
      if (walked !== undefined) return this.entriesByIds(walked);
    }
    // The page's rowids first (sorted from an index when one covers the filter and the order: a circle's cells),
    // then its rows: a sort that carried every column would read every matching row.
    const part = async (valued: boolean, skip: number, take: number): Promise<FederatedRow[]> => this.entriesByIds((await this.db.reader.all<{ id: number }>(
      `SELECT f.rowid AS id FROM ${from.tables} WHERE ${from.where} AND (${key}) IS ${valued ? 'NOT NULL' : 'NULL'}
       ORDER BY ${valued ? `${key} ${direction}, ` : ''}${tie} LIMIT ? OFFSET ?`,
      [...from.params, ...orderParams, ...(valued ? orderParams : []), take, skip])).map((r) => r.id));
    const valued = await part(true, offset, limit);
    if (valued.length === limit) return valued;
    // Past the rows with a value: how many there are, to know where those without start.
    const before = valued.length > 0 ? offset + valued.length : ((await this.db.reader.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM ${from.tables} WHERE ${from.where} AND (${key}) IS NOT NULL`, [...from.params, ...orderParams]))?.n ?? 0);
    return [...valued, ...(await part(false, Math.max(0, offset - before), limit - valued.length))];
  }

  public async pageAfter(given: FederatedQuery, after: CatalogueKey | undefined, limit: number, through?: CatalogueKey): Promise<{ rows: FederatedRow[]; next?: CatalogueKey }> {
    await this.ensureSortKeys();
    const query = await this.planned(given);
    // A text's order is its relevance over the whole index: no key of a row holds its place (see the service).
    if (query.text !== undefined) throw new Error('pageAfter takes a query without a text');
    const from = matchedFrom(query);
    if (from === undefined) return { rows: [] };
    // One row more than the page: whether another page follows, known now rather than from a count that rows
    // inserted or removed meanwhile make wrong. After a carried key's prefix, the rows up to the key too.
    const skip = after?.skip ?? 0;
    const take = limit + 1 + skip;
    type Keyed = { id: number; k: string | null; i: string };
    let found: Keyed[] | undefined;
    if (after?.name !== null && query.enterprise === undefined && query.source === undefined && from.tables.includes('federated_listed_by_cell')) {
      // A circle's page: walked in name order from the key when the next entries hold it, as pageRows walks it.
      found = await this.walkAfter(query, after, take, through);
    }
    if (found === undefined) {
      // The named rows after the key (none when it is past them: among the rows without a name), then those without
      // a name (after the key's catalog item when it is among them). Each part walks an index in its order, as
      // pageRows' parts do: `(name_key, item_iri) > (?, ?)` is a range of federated_listed_by_name, not a filter.
      const part = async (named: boolean, cut: string, params: SqlValue[], n: number): Promise<Keyed[]> => this.db.reader.all<Keyed>(
        `SELECT f.rowid AS id, f.name_key AS k, f.item_iri AS i FROM ${from.tables} WHERE ${from.where} AND (f.name_key) IS ${named ? 'NOT NULL' : 'NULL'}${cut}
         ORDER BY ${named ? 'f.name_key ASC, ' : ''}f.item_iri ASC LIMIT ?`, [...from.params, ...params, n]);
      // Up to `through` (a numbered page's end): a range of the same index, its upper bound.
      const [upTo, upToParams] = through === undefined ? ['', []] : through.name === null ? ['', []] : [' AND (f.name_key, f.item_iri) <= (?, ?)', [through.name, through.item]];
      found = after?.name === null ? [] : await part(true, `${after === undefined ? '' : ' AND (f.name_key, f.item_iri) > (?, ?)'}${upTo}`,
        [...(after === undefined ? [] : [after.name, after.item]), ...upToParams], take);
      // Past a named `through`, none: the rows without a name come after every named one.
      if (found.length < take && (through === undefined || through.name === null)) {
        const cuts = [...(after?.name === null ? [' AND f.item_iri > ?'] : []), ...(through?.name === null ? [' AND f.item_iri <= ?'] : [])];
        found.push(...await part(false, cuts.join(''), [...(after?.name === null ? [after.item] : []), ...(through?.name === null ? [through.item] : [])], take - found.length));
      }
    }
    found = found.slice(skip);
    const page = found.slice(0, limit);
    const last = page[page.length - 1];
    const after1 = found[limit];
    if (last !== undefined && after1 !== undefined && after1.k === last.k && after1.i === last.i) {
      // Two listed rows of one key (two sources linking one catalog item to different products): the next page starts
      // after the key, so the page ends after all of them (a few rows more than asked), none skipped.
      const tied = await this.db.reader.all<{ id: number }>(`SELECT f.rowid AS id FROM ${from.tables} WHERE ${from.where} AND f.name_key IS ? AND f.item_iri = ?`,
        [...from.params, last.k, last.i]);
      const shown = new Set(page.map((r) => r.id));
      for (const { id } of tied) if (!shown.has(id)) page.push({ id, k: last.k, i: last.i });
    }
    // Another page follows when a row came after this one's (after a tie, it may be empty: the walk ends there).
    return { rows: await this.entriesByIds(page.map((r) => r.id)), ...(found.length > limit && last !== undefined ? { next: { name: last.k, item: last.i } } : {}) };
  }

  public async carried(given: FederatedQuery, key: CatalogueKey): Promise<CatalogueKey> {
    const cut = (text: string): string => {
      const prefix = text.slice(0, MAX_KEY_TEXT);
      // No half of a character (a lone surrogate would be stored as another character, after the key).
      return /[\ud800-\udbff]$/u.test(prefix) ? prefix.slice(0, -1) : prefix;
    };
    if ((key.name === null || key.name.length <= MAX_KEY_TEXT) && key.item.length <= MAX_KEY_TEXT) return key;
    // A prefix sorts first: a cut name before every item of that name (''), else a cut item under the same name.
    const short = key.name !== null && key.name.length > MAX_KEY_TEXT ? { name: cut(key.name), item: '' } : { name: key.name, item: cut(key.item) };
    const from = matchedFrom(await this.planned(given));
    if (from === undefined) return short;
    // The rows the query matches between the two keys (those sharing the name and hundreds of characters of IRI).
    const between = short.name === null || key.name === null
      ? { sql: 'f.name_key IS NULL AND f.item_iri > ? AND f.item_iri <= ?', params: [short.item, key.item] }
      : { sql: 'f.name_key IS NOT NULL AND (f.name_key, f.item_iri) > (?, ?) AND (f.name_key, f.item_iri) <= (?, ?)', params: [short.name, short.item, key.name, key.item] };
    const n = (await this.db.reader.get<{ n: number }>(`SELECT count(*) AS n FROM ${from.tables} WHERE ${from.where} AND ${between.sql}`,
      [...from.params, ...between.params]))?.n ?? 0;
    return n === 0 ? short : { ...short, skip: n };
  }

  public async textMatchKeys(given: FederatedQuery): Promise<RowKey[]> {
    await this.ensureSortKeys();
    const query = await this.planned(given);
    if (query.text === undefined) throw new Error('textMatchKeys takes a query with a text');
    // The rows queryMatches lists (at most MAX_TEXT_MATCHES, ranked or not), their keys rather than their rowids:
    // a sync that writes a row again gives it another rowid.
    const select = selectOf(query, 'f.source AS source, f.item_iri AS item');
    return select === undefined ? [] : this.db.reader.all<RowKey>(select.sql, select.params);
  }

  public async rowsByKeys(given: FederatedQuery, keys: readonly RowKey[]): Promise<FederatedRow[]> {
    // The filters but the text (the listed rows of the types, the place, the stock asked): a page's few rows, each
    // found by the table's primary key.
    const filter = whereOf(given, false);
    if (filter === undefined || keys.length === 0) return [];
    const byKey = new Map<string, FederatedRow>();
    for (let i = 0; i < keys.length; i += 500) {
      const chunk = keys.slice(i, i + 500);
      const rows = await this.db.reader.all<EntrySql>(
        `SELECT f.* FROM json_each(?) j CROSS JOIN federated_entries f ON f.source = j.value ->> 0 AND f.item_iri = j.value ->> 1 WHERE ${filter.where}`,
        [JSON.stringify(chunk.map((k) => [k.source, k.item])), ...filter.params]);
      for (const row of rows) byKey.set(JSON.stringify([row.source, row.item_iri]), entryRow(row));
    }
    return keys.map((k) => byKey.get(JSON.stringify([k.source, k.item]))).filter((r): r is FederatedRow => r !== undefined);
  }

  public async keyOf(row: FederatedRow): Promise<CatalogueKey> {
    const stored = await this.db.reader.get<{ name: string | null }>('SELECT name_key AS name FROM federated_entries WHERE source = ? AND item_iri = ?',
      [row.source, row.itemIri]);
    // A row gone since it was read: its key as it would be stored.
    return { name: stored === undefined ? sortKey(row.name) : stored.name, item: row.itemIri };
  }

  /**
   * The named rows of a circle's query after a key (from the first when undefined), in name order, walking the listed
   * rows from that key for at most {@link WALK_BUDGET} entries, as {@link walkByName} does from an offset; undefined when
   * those entries do not hold `limit` of them (the rest is sorted instead).
   */
  private async walkAfter(query: PlannedQuery, after: CatalogueKey | undefined, limit: number, through?: CatalogueKey): Promise<{ id: number; k: string | null; i: string }[] | undefined> {
    const filter = whereOf(query, false);
    if (filter === undefined) return [];
    // A first page whose walk failed is sorted without a walk for a while, as walkByName remembers it (same key).
    const remember = `ASC\u0000${filter.where}\u0000${JSON.stringify(filter.params)}`;
    const remembered = this.futileWalks.get(remember);
    if (after === undefined && remembered !== undefined && performance.now() - remembered.at < FUTILE_WALK_MS && limit >= remembered.end) return undefined;
    const listed = `federated_entries f INDEXED BY federated_listed_by_name WHERE ${LISTED} AND f.name_key IS NOT NULL`;
    const cut = after === undefined ? '' : ' AND (f.name_key, f.item_iri) > (?, ?)';
    const cutParams: SqlValue[] = after === undefined ? [] : [after.name, after.item];
    const bound = await this.db.reader.get<{ key: string }>(`SELECT f.name_key AS key FROM ${listed}${cut} ORDER BY f.name_key, f.item_iri LIMIT 1 OFFSET ?`,
      [...cutParams, WALK_BUDGET]);
    // Up to a named `through`: those rows and no further (a `through` without a name is past every named row).
    const upTo = through?.name === undefined || through.name === null ? undefined : [through.name, through.item];
    const rows = await this.db.reader.all<{ id: number; k: string | null; i: string }>(
      `SELECT f.rowid AS id, f.name_key AS k, f.item_iri AS i FROM ${listed}${cut} AND ${filter.where}${bound === undefined ? '' : ' AND f.name_key <= ?'}
       ${upTo === undefined ? '' : ' AND (f.name_key, f.item_iri) <= (?, ?)'} ORDER BY f.name_key, f.item_iri LIMIT ?`,
      [...cutParams, ...filter.params, ...(bound === undefined ? [] : [bound.key]), ...(upTo ?? []), limit]);
    // Short: the bound came first, or the rows without a name follow (after every named one): sorted then. Short
    // up to `through`: whole when its last row is `through`'s (every row of that key is in: fewer than `limit`).
    const last = rows[rows.length - 1];
    if (rows.length === limit || (upTo !== undefined && last !== undefined && last.k === upTo[0] && last.i === upTo[1])) return rows;
    if (after === undefined) {
      this.futileWalks.delete(remember);
      this.futileWalks.set(remember, { end: limit, at: performance.now() });
      if (this.futileWalks.size > 256) this.futileWalks.delete(this.futileWalks.keys().next().value as string);
    }
    return undefined;
  }

  /**
   * The rowids of a page in name order (then catalog item IRI) of a query filtering on types, stock and a circle or
   * a box only, walking the listed rows in name order (`federated_listed_by_name` holds every column it filters on)
   * for at most {@link WALK_BUDGET} entries; undefined when those entries do not hold the whole page (a small
   * circle's few matches are sorted instead, a walk through the whole country would not pay), and for a short page
   * (the last one, or one that reaches the rows without a name, which come after every named one).
   */
  private async walkByName(query: PlannedQuery, direction: 'ASC' | 'DESC', offset: number, limit: number): Promise<number[] | undefined> {
    const filter = whereOf(query, false);
    if (filter === undefined) return [];
    // A page no nearer the start than one the walk already failed to hold would fail too (the same rows are walked).
    const key = `${direction}\u0000${filter.where}\u0000${JSON.stringify(filter.params)}`;
    const remembered = this.futileWalks.get(key);
    const futile = remembered !== undefined && performance.now() - remembered.at < FUTILE_WALK_MS ? remembered : undefined;
    if (futile !== undefined && offset + limit >= futile.end) return undefined;
    const listed = `federated_entries f INDEXED BY federated_listed_by_name WHERE ${LISTED} AND f.name_key IS NOT NULL`;
    // The name the budget ends at: the walk goes no further (a few ms even then).
    const bound = await this.db.reader.get<{ key: string }>(`SELECT f.name_key AS key FROM ${listed} ORDER BY f.name_key ${direction} LIMIT 1 OFFSET ?`,
      [WALK_BUDGET]);
    const ids = (await this.db.reader.all<{ id: number }>(
      `SELECT f.rowid AS id FROM ${listed} AND ${filter.where}${bound === undefined ? '' : ` AND f.name_key ${direction === 'ASC' ? '<=' : '>='} ?`}
       ORDER BY f.name_key ${direction}, f.item_iri ${direction} LIMIT ? OFFSET ?`,
      [...filter.params, ...(bound === undefined ? [] : [bound.key]), limit, offset])).map((r) => r.id);
    // A short page may only mean that the bound came first, or that the page goes on with rows without a name.
    if (ids.length === limit) return ids;
    // Remembered whatever the index's changes: it only chooses between two plans that give the same page.
    this.futileWalks.delete(key);
    this.futileWalks.set(key, { end: Math.min(offset + limit, futile?.end ?? Infinity), at: performance.now() });
    if (this.futileWalks.size > 256) this.futileWalks.delete(this.futileWalks.keys().next().value as string);
    return undefined;
  }

  public supplyGroups(query: FederatedQuery): Promise<SupplyGroup[]> {
    return this.cached(`supply ${JSON.stringify(query)}`, () => this.computeSupplyGroups(query));
  }

  private async computeSupplyGroups(query: FederatedQuery): Promise<SupplyGroup[]> {
    const kept = await this.keptSupplyGroups(query);
    if (kept !== undefined) return kept;
    const from = matchedFrom(await this.planned(query));
    if (from === undefined) return [];
    // A circle's or a box's rows (found in the cell index), or a text's matches (a subquery of rowids): each match is
    // read and grouped, linear in the matches. Every other query's groups are kept (keptWhere).
    const groups = await this.db.reader.all<Omit<SupplyGroup, 'area'> & { postcode: string | null }>(
      `SELECT f.product_type AS productType, f.enterprise_iri AS enterpriseIri, f.peer_id AS peerId, f.postcode AS postcode,
         COUNT(DISTINCT f.product_key) AS products, COUNT(f.offer_iri) AS offers, SUM(f.in_stock) AS inStock,
         max(f.latitude) AS lat, max(f.longitude) AS lon
       FROM ${from.tables} WHERE ${from.where}
       GROUP BY f.product_type, f.enterprise_iri, f.peer_id, f.postcode`, from.params);
    return groups.map(({ postcode, ...group }) => ({ ...group, area: areaOf(postcode) }));
  }

  public async supplySummary(query: FederatedQuery, rollUp: (type: string) => readonly string[]): Promise<SupplySummary | undefined> {
    const kept = keptWhere(query);
    if (kept === undefined) return undefined;
    // The whole catalogue's: kept in memory, changed by the groups each refresh replaces (a national index changes
    // all the time, and summing its tens of thousands of groups again after each change costs hundreds of ms).
    if (kept.where === '1') return (await this.refreshSupplyGroups(rollUp) as SupplyTallies).summary();
    // Kept until the index changes, for the same roll-up (a taxonomy loaded since rolls types up otherwise).
    const answer = await this.cached(`summary ${JSON.stringify(query)}`, async () => ({ rollUp, summary: await this.computeSummary(kept, rollUp) }));
    return answer.rollUp === rollUp ? answer.summary : this.computeSummary(kept, rollUp);
  }

  /** {@link supplySummary}'s sums, from the kept groups brought up to date. */
  private async computeSummary(kept: { groups: string; params: SqlValue[] }, rollUp: (type: string) => readonly string[]): Promise<SupplySummary | undefined> {
    await this.refreshSupplyGroups();
    const from = `${kept.groups} AS kept`;
    const counts = 'COUNT(DISTINCT enterprise_iri) AS producers, coalesce(SUM(products), 0) AS products, coalesce(SUM(offers), 0) AS offers, '
      + 'coalesce(SUM(in_stock), 0) AS inStock';
    const types = await this.db.reader.all<{ type: string | null }>(`SELECT DISTINCT product_type AS type FROM ${from}`, kept.params);
    // Each type with every type it counts under: a small table of pairs the groups are joined to, so that a producer
    // of tomatoes and of leeks counts once under vegetables.
    const pairs: string[] = [];
    for (const { type } of types) {
      if (type === null) pairs.push(UNTYPED, UNTYPED);
      else for (const ancestor of rollUp(type)) pairs.push(type, ancestor);
    }
    // Peers may send any IRIs: past a few thousand types the pairs would outgrow SQLite's parameters.
    if (pairs.length > 20_000) return undefined;
    const [totals, bySource, byArea, byType] = await Promise.all([
      this.db.reader.get<SupplyCount>(`SELECT ${counts} FROM ${from}`, kept.params),
      this.db.reader.all<SupplyCount & { key: number }>(`SELECT peer_key AS key, ${counts} FROM ${from} GROUP BY peer_key`, kept.params),
      this.db.reader.all<SupplyCount & { key: string | null }>(`SELECT area AS key, ${counts} FROM ${from} GROUP BY area`, kept.params),
      pairs.length === 0 ? Promise.resolve([]) : this.db.reader.all<SupplyCount & { key: string }>(
        `WITH pairs (type, ancestor) AS (VALUES ${Array.from({ length: pairs.length / 2 }, () => '(?, ?)').join(', ')})
         SELECT p.ancestor AS key, ${counts} FROM (SELECT * FROM ${from}) g JOIN pairs p ON p.type = coalesce(g.product_type, '${UNTYPED}')
         GROUP BY p.ancestor`, [...pairs, ...kept.params]),
    ]);
    const count = ({ producers, products, offers, inStock }: SupplyCount): SupplyCount => ({ producers, products, offers, inStock });
    return {
      totals: count(totals ?? { producers: 0, products: 0, offers: 0, inStock: 0 }),
      bySource: new Map(bySource.map((r) => [r.key === -1 ? null : r.key, count(r)])),
      byArea: new Map(byArea.map((r) => [r.key, count(r)])),
      byType: new Map(byType.map((r) => [r.key, count(r)])),
    };
  }

  /**
   * The groups of a query whose filters are all columns of the kept groups (type, enterprise, source, stock: the whole
   * catalogue's summary is one), read from `federated_supply_groups` once the sources changed since are computed
   * again; undefined for any other query (a circle, a box, a text: those group the rows themselves).
   */
  private async keptSupplyGroups(query: FederatedQuery): Promise<SupplyGroup[] | undefined> {
    const kept = keptWhere(query);
    if (kept === undefined) return undefined;
    await this.refreshSupplyGroups();
    // The rows come as the groups are (their area computed when kept): tens of thousands, not one touched here.
    return this.db.reader.all<SupplyGroup>(
      `SELECT product_type AS productType, enterprise_iri AS enterpriseIri, CASE WHEN peer_key = -1 THEN NULL ELSE peer_key END AS peerId,
         area, products, offers, in_stock AS inStock, lat, lon
       FROM ${kept.groups}`, kept.params);
  }

  /**
   * Computes again the kept groups of every source marked changed (see migration 17's triggers), a few sources per
   * transaction so that no sync waits long behind it; one run at a time, which every caller waits for. Given a
   * roll-up, also answers the whole catalogue's tallies for it, up to date with the groups.
   */
  private async refreshSupplyGroups(rollUp?: (type: string) => readonly string[]): Promise<SupplyTallies | undefined> {
    // A run already going may have made its last check before what this caller must see was committed: wait for it
    // to end, then check (and compute) again.
    while (this.supplyRefresh !== undefined) await this.supplyRefresh.catch(() => undefined);
    const run = (async () => {
      try {
        // Read first on a reader: the common case (nothing changed since) costs no write transaction.
        // Until the writer finds nothing left: a reader whose snapshot is older than the last refresh's commit would
        // see changed sources that are not changed any more, and asking it again would loop for ever.
        while ((await this.db.reader.get('SELECT 1 AS dirty FROM federated_supply_dirty LIMIT 1')) !== undefined) {
          if ((await this.refreshSome()) === 0) break;
        }
        if (rollUp !== undefined) await this.ensureTallies(rollUp);
      } catch (error) {
        // Whatever was committed or not, the tallies are read again from the table next time.
        this.tallies = undefined;
        throw error;
      } finally {
        this.supplyRefresh = undefined;
      }
    })();
    this.supplyRefresh = run;
    await run;
    return rollUp === undefined ? undefined : this.tallies;
  }

  /**
   * Computes again the kept groups of up to 50 changed sources in one transaction, and moves the kept tallies
   * by the groups replaced, once committed (when they were up to date with the table before it).
   *
   * @returns how many changed sources the transaction found (none: nothing is left to refresh)
   */
  private async refreshSome(): Promise<number> {
    const tallies = this.tallies;
    let replaced: { old: KeptGroup[]; now: KeptGroup[]; version: string } | undefined;
    let refreshed = 0;
    await this.db.transaction(async (tx) => {
      replaced = undefined;
      const keys = (await tx.all<{ peer_key: number }>('SELECT peer_key FROM federated_supply_dirty LIMIT 50')).map((k) => k.peer_key);
      refreshed = keys.length;
      if (keys.length === 0) return;
      const before = (await tx.get<{ value: string }>(`SELECT value FROM meta WHERE key = '${SUPPLY_VERSION}'`))?.value ?? '0';
      // Another process (a command run beside the server) may have replaced groups: the tallies are then stale.
      const follow = tallies !== undefined && tallies.version === before;
      const old: KeptGroup[] = [];
      const now: KeptGroup[] = [];
      for (const key of keys) {
        if (follow) for (const group of await tx.all<KeptGroup>(`${KEPT_GROUP_COLUMNS} WHERE peer_key = ?`, [key])) old.push(group);
        await tx.run('DELETE FROM federated_supply_groups WHERE peer_key = ?', [key]);
        // The rows of a source are found by the primary key (source, item_iri): a peer's, or this node's enterprises'.
        const [sourceWhere, sourceParams]: [string, SqlValue[]] = key === -1 ? ["source >= 'local:' AND source < 'local;'", []] : ['source = ?', [`peer:${key}`]];
        await tx.run(`INSERT INTO federated_supply_groups (peer_key, product_type, enterprise_iri, postcode, area, products, offers, in_stock,
            lat, lon, stocked_products, unstocked_products, stocked_offers, stocked_lat, stocked_lon, unstocked_lat, unstocked_lon)
          SELECT ?, product_type, enterprise_iri, postcode, nullif(${AREA_SQL}, ''), COUNT(DISTINCT product_key), COUNT(offer_iri), coalesce(SUM(in_stock), 0),
            max(latitude), max(longitude), COUNT(DISTINCT CASE WHEN in_stock = 1 THEN product_key END),
            COUNT(DISTINCT CASE WHEN in_stock = 0 THEN product_key END), COUNT(CASE WHEN in_stock = 1 THEN offer_iri END),
            max(CASE WHEN in_stock = 1 THEN latitude END), max(CASE WHEN in_stock = 1 THEN longitude END),
            max(CASE WHEN in_stock = 0 THEN latitude END), max(CASE WHEN in_stock = 0 THEN longitude END)
          FROM federated_entries WHERE ${sourceWhere} AND winner = 1 AND withdrawn = 0
          GROUP BY product_type, enterprise_iri, postcode`, [key, ...sourceParams]);
        if (follow) for (const group of await tx.all<KeptGroup>(`${KEPT_GROUP_COLUMNS} WHERE peer_key = ?`, [key])) now.push(group);
      }
      await tx.run(`DELETE FROM federated_supply_dirty WHERE peer_key IN (${keys.map(() => '?').join(',')})`, keys);
      const version = String(Number(before) + 1);
      await tx.run(`INSERT INTO meta (key, value) VALUES ('${SUPPLY_VERSION}', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [version]);
      replaced = follow ? { old, now, version } : { old: [], now: [], version: '' };
    });
    // Committed. Nothing replaced: the tallies stand as they are.
    const done = replaced as { old: KeptGroup[]; now: KeptGroup[]; version: string } | undefined;
    if (done === undefined || tallies === undefined) return refreshed;
    if (done.version === '' || this.tallies !== tallies) {
      this.tallies = undefined;
      return refreshed;
    }
    for (const group of done.old) tallies.apply(group, -1);
    for (const group of done.now) tallies.apply(group, 1);
    tallies.version = done.version;
    return refreshed;
  }

  /**
   * Makes {@link tallies} the whole catalogue's for `rollUp` and the kept groups as they are: read again from the
   * table when there are none, when they were summed with another roll-up, or when the groups changed otherwise
   * (another process). Only called inside a refresh run, so no refresh of this process moves the groups meanwhile.
   */
  private async ensureTallies(rollUp: (type: string) => readonly string[]): Promise<void> {
    const version = (await this.db.reader.get<{ value: string }>(`SELECT value FROM meta WHERE key = '${SUPPLY_VERSION}'`))?.value ?? '0';
    if (this.tallies !== undefined && this.tallies.rollUp === rollUp && this.tallies.version === version) return;
    this.tallies = undefined;
    // The groups and their version in one statement, so in one snapshot: another process's refresh can come
    // between two statements, never inside one. A one-row table left-joined answers the version without groups.
    const rows = await this.db.reader.all<Omit<KeptGroup, 'peerKey'> & { peerKey: number | null; version: string }>(
      `SELECT v.version, g.* FROM (SELECT coalesce((SELECT value FROM meta WHERE key = '${SUPPLY_VERSION}'), '0') AS version) v
       LEFT JOIN (${KEPT_GROUP_COLUMNS}) g`);
    const tallies = new SupplyTallies(rollUp, rows[0]?.version ?? '0');
    for (const row of rows) if (row.peerKey !== null) tallies.apply(row as KeptGroup, 1);
    this.tallies = tallies;
  }

  /**
   * Every enterprise of the index, once, with what a map and a popup show of it: read from the covering index
   * federated_by_enterprise alone, in its order (no sort, no row read). Kept until the next commit.
   */
  private directory(): Promise<Map<string, DirectoryEntry>> {
    return this.cached('directory', async () => {
      // The listed rows only (a relay's losing copy or a withdrawn row never names or places an enterprise), and of
      // each enterprise one whole row, the one whose source is most to be believed about it (SQLite takes the bare
      // columns from the row of the min()): never a name from one row and coordinates from another, never a relay's
      // copy beside its origin's, and between equals the lowest peer id, not whichever row SQLite meets first. From
      // the covering index federated_by_enterprise alone, in its order.
      const rows = await this.db.reader.all<Omit<DirectoryEntry, 'source'> & { rank: number }>(DIRECTORY_SQL);
      // This node's rows alone have rank 0 (enterprise rank local, no peer id).
      return new Map(rows.map(({ rank, ...r }) => [r.iri, { ...r, source: rank === 0 ? 'local' : `peer:${rank % 4294967296}` }]));
    });
  }

  public async producerRows(query: FederatedQuery, limit: number): Promise<{ total: number; producers: ProducerRow[] }> {
    // From the summary's groups (the same answer the statistics of this query use) and the directory of names.
    const [groups, directory] = await Promise.all([this.supplyGroups(query), this.directory()]);
    const byIri = new Map<string, { -readonly [K in keyof ProducerRow]: ProducerRow[K] }>();
    for (const g of groups) {
      if (g.enterpriseIri === null || g.lat === null || g.lon === null) continue;
      const known = byIri.get(g.enterpriseIri);
      if (known !== undefined) {
        known.offers += g.offers;
        known.inStock += g.inStock;
        if (g.peerId !== null && (known.peerId === null || g.peerId < known.peerId)) known.peerId = g.peerId;
        continue;
      }
      const d = directory.get(g.enterpriseIri);
      byIri.set(g.enterpriseIri, {
        iri: g.enterpriseIri, name: d?.name ?? null, lat: d?.lat ?? g.lat, lon: d?.lon ?? g.lon, city: d?.city ?? null,
        postcode: d?.postcode ?? null, peerId: g.peerId, offers: g.offers, inStock: g.inStock,
      });
    }
    const key = (p: ProducerRow): string => p.name ?? p.iri;
    const rows = [...byIri.values()].sort((a, b) => key(a).localeCompare(key(b)));
    return { total: rows.length, producers: rows.slice(0, limit) };
  }

  public places(): Promise<PlaceRow[]> {
    return this.cached('places', async () => {
      // The towns of the enterprises with listed offers, each producer counted once, each spelling of a town listed. A
      // town (its folded name and postcode, however spelt) is where its producers are as no one peer decides it (see
      // townCentre): this node's own there, else each source once.
      const directory = await this.directory();
      const towns = new Map<string, { city: string; postcode: string | null; producers: number; place: string }>();
      const points = new Map<string, SourcedPoint[]>();
      for (const d of directory.values()) {
        if (d.city === null || d.lat === null || d.lon === null) continue;
        const key = `${d.city}\u0000${d.postcode ?? ''}`;
        const place = `${foldedWords(d.city).join(' ')}\u0000${d.postcode?.replace(/\s+/gu, '') ?? ''}`;
        const town = towns.get(key) ?? { city: d.city, postcode: d.postcode, producers: 0, place };
        town.producers++;
        towns.set(key, town);
        const at = points.get(place) ?? [];
        at.push({ lat: d.lat, lon: d.lon, source: d.source });
        points.set(place, at);
      }
      const keyed = [...towns.values()].map(({ place, ...t }) => {
        const at = points.get(place) ?? [];
        // As people read town names (`Égletons` among the e's, not after `Ussel` as bytes would have it).
        return { t: { ...t, ...townCentre(at), local: at.some((p) => p.source === 'local') }, k: sortKey(t.city) ?? '', c: t.postcode ?? '' };
      });
      keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.c < b.c ? -1 : a.c > b.c ? 1 : a.t.city < b.t.city ? -1 : a.t.city > b.t.city ? 1 : 0));
      return keyed.map((x) => x.t);
    });
  }

  public async typePresence(query: FederatedQuery): Promise<TypePresence[]> {
    const presence: TypePresence[] = [];
    for (const g of await this.supplyGroups(query)) {
      if (g.productType === null || g.enterpriseIri === null || g.lat === null || g.lon === null) continue;
      presence.push({ productType: g.productType, enterpriseIri: g.enterpriseIri, lat: g.lat, lon: g.lon });
    }
    return presence;
  }

  /** The product types of the listed offers (for labels to sort by). */
  public async productTypes(): Promise<string[]> {
    return (await this.db.reader.all<{ t: string }>(
      'SELECT DISTINCT product_type AS t FROM federated_entries WHERE winner = 1 AND withdrawn = 0 AND product_type IS NOT NULL')).map((r) => r.t);
  }

  public async entriesByIds(ids: readonly number[]): Promise<FederatedRow[]> {
    const byId = new Map<number, FederatedRow>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = await this.db.reader.all<EntrySql & { id: number }>(
        `SELECT rowid AS id, * FROM federated_entries WHERE rowid IN (${chunk.map(() => '?').join(',')})`, chunk);
      for (const row of rows) byId.set(row.id, entryRow(row));
    }
    return ids.map((id) => byId.get(id)).filter((r): r is FederatedRow => r !== undefined);
  }

  public async queryEntries(query: FederatedQuery): Promise<FederatedRow[]> {
    await this.ensureSortKeys();
    const select = selectOf(await this.planned(query), 'f.*');
    return select === undefined ? [] : (await this.db.reader.all<EntrySql>(select.sql, select.params)).map(entryRow);
  }

  public async enterprises(): Promise<FederatedEnterprise[]> {
    // The names the directory shows (the best word about each enterprise, never a relay's copy beside its origin's),
    // then those of enterprises with no listed offer, from the covering index federated_by_enterprise in its order: the
    // first of their names (none when a row names none), as their names in order would give it.
    const [listed, all] = await Promise.all([this.directory(), this.db.reader.all<{ iri: string; name: string | null }>(
      `SELECT enterprise_iri AS iri, CASE WHEN count(enterprise_name) < count(*) THEN NULL ELSE min(enterprise_name) END AS name
         FROM federated_entries INDEXED BY federated_by_enterprise WHERE enterprise_iri IS NOT NULL GROUP BY enterprise_iri ORDER BY enterprise_iri`)]);
    return all.map((e) => ({ iri: e.iri, name: listed.get(e.iri)?.name ?? e.name }));
  }

  public async hasProductType(type: string): Promise<boolean> {
    return (await this.db.reader.all(`SELECT 1 FROM federated_entries WHERE ${LISTED} AND product_type = ? LIMIT 1`, [type])).length > 0;
  }

  public async rowsOfKeys(productKeys: readonly string[]): Promise<FederatedRow[]> {
    const rows: FederatedRow[] = [];
    await inChunks(productKeys, async (chunk, marks) => {
      rows.push(...(await this.db.reader.all<EntrySql>(
        `SELECT * FROM federated_entries WHERE product_key IN (${marks}) AND withdrawn = 0 ORDER BY rank, source`, chunk)).map(entryRow));
    });
    return rows;
  }

  public async recordsIn(source: string, iris: readonly string[]): Promise<DfcRecord[]> {
    const records: DfcRecord[] = [];
    await inChunks(iris, async (chunk, marks) => {
      const rows = source.startsWith('peer:')
        ? await this.db.reader.all<{ record: string }>(
          `SELECT record FROM peer_resources WHERE peer_id = ? AND iri IN (${marks}) AND withdrawn_at IS NULL`, [Number(source.slice(5)), ...chunk])
        : await this.db.reader.all<{ record: string }>(
          `SELECT record FROM resources WHERE eid = ? AND iri IN (${marks})
             AND eid NOT IN (SELECT eid FROM enterprises WHERE private = 1)`, [source.slice('local:'.length), ...chunk]);
      records.push(...rows.map((r) => JSON.parse(r.record) as DfcRecord));
    });
    return records;
  }

  public async recordsOf(iris: readonly string[]): Promise<Map<string, { record: DfcRecord; source: string }>> {
    const result = new Map<string, { record: DfcRecord; source: string }>();
    await inChunks(iris, async (chunk, marks) => {
      const local = await this.db.reader.all<{ iri: string; eid: string; record: string }>(
        `SELECT iri, eid, record FROM resources WHERE iri IN (${marks})
           AND eid NOT IN (SELECT eid FROM enterprises WHERE private = 1)`, chunk);
      for (const r of local) result.set(r.iri, { record: JSON.parse(r.record) as DfcRecord, source: `local:${r.eid}` });
      const peers = await this.db.reader.all<{ iri: string; peer_id: number; record: string }>(
        `SELECT iri, peer_id, record FROM peer_resources WHERE iri IN (${marks}) AND withdrawn_at IS NULL
         ORDER BY authoritative DESC, peer_id`, chunk);
      for (const r of peers) if (!result.has(r.iri)) result.set(r.iri, { record: JSON.parse(r.record) as DfcRecord, source: `peer:${r.peer_id}` });
    });
    return result;
  }
}
