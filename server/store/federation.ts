/**
 * The federation's persistence ports. Two sides, each behind its own interface:
 *
 * - {@link ProvenanceStore}: peers and their sync state, what each peer said (its provenance graph), the
 *   validators of the pages fetched, and quarantined records: what the sync engine reads and writes;
 * - {@link FederatedIndex}: one row per catalog item and source, with what regional queries filter on: what
 *   the federated catalogue reads.
 *
 * Applying a snapshot rebuilds the peer's rows of the index in the same transaction (a reader never sees a
 * half-applied peer), so one store implements both sides over one database, and gives each as its own part
 * (`NodeStore.provenance`, `NodeStore.index`): a caller takes the side it uses.
 *
 * @packageDocumentation
 */
import type { DfcRecord } from '../../ontology/records.js';
import type { Problem } from '../errors/problem.js';
import type { FederatedEntry, SourcedEntry } from './federated-entries.js';

/** What we hold of one resource from one peer (no record body: the merge needs only its hash). */
export interface HeldResource {
  readonly iri: string;
  readonly hash: string;
  readonly sourceUrl: string;
  readonly missingSince: string | null;
  readonly withdrawnAt: string | null;
}

/**
 * Most records a peer's quarantine keeps with their problems: a peer's own mistakes are a handful, and its operator
 * reads the first ones. A hostile peer's pages of refused offers (900,000 in a probe) were all kept: 2.7 GB in memory
 * during the sync, then a 264 MB answer for the peer, which the dashboard asks for. A sync keeps the first ones and
 * counts the others; the store keeps the newest ones of a peer.
 */
export const MAX_QUARANTINED = 1000;

/** A resource to insert or update. */
export interface PlannedResource {
  readonly iri: string;
  readonly kind: string;
  readonly record: DfcRecord;
  /** The record serialised once: the text its {@link PlannedResource.hash} was computed from, and the text stored. */
  readonly json: string;
  readonly hash: string;
  readonly authoritative: boolean;
  readonly sourceUrl: string;
}

/** The writes one snapshot needs. */
export interface MergePlan {
  readonly upsert: readonly PlannedResource[];
  readonly added: number;
  readonly updated: number;
  readonly unchanged: number;
  /** Newly absent from a complete snapshot. */
  readonly missing: readonly string[];
  /** Absent for longer than the grace: flag withdrawn. */
  readonly withdrawn: readonly string[];
  /** Back after being missing or withdrawn. */
  readonly restored: readonly string[];
  /** Records refused: a blank node we cannot identify across syncs (this node's own resources are skipped, not refused). */
  readonly refused: readonly Problem[];
}

/** How a peer is read. */
export type PeerKind = 'dfc' | 'solid';

/** A peer as the operator configured it, with its sync state. */
export interface PeerRow {
  readonly id: number;
  readonly name: string;
  readonly url: string;
  readonly origin: string;
  readonly token: string | null;
  readonly tokenHeader: 'authorization' | 'x-api-token';
  readonly profile: 'dfc-v1' | 'dfc-v2';
  /** How it is read: a DFC node (`dfc`), or a Solid pod (`solid`: its containers and Turtle resources). */
  readonly kind: PeerKind;
  readonly intervalSeconds: number;
  readonly createdAt: string;
  /**
   * How its last sync ended: `new`, `ok`, `failed`, or `stopped` (its last sync was given up when the node stopped: no
   * failure counted, due again). A sync under way does not change it ({@link syncingSince}).
   */
  readonly status: string;
  /**
   * When the sync under way began, or null when none is: a process that died during a sync leaves it until the next
   * start (or the peer's next sync) counts it as a failure ({@link ProvenanceStore.settleUnfinished}).
   */
  readonly syncingSince: string | null;
  readonly lastAttemptAt: string | null;
  readonly lastSuccessAt: string | null;
  readonly nextAttemptAt: string | null;
  /** Consecutive failures (drives the backoff). */
  readonly failures: number;
  readonly lastError: string | null;
  /** The last sync's summary (counts, bytes, duration), as JSON. */
  readonly lastSummary: SyncSummary | null;
}

/** What one sync of one peer did. */
export interface SyncSummary {
  readonly added: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly withdrawn: number;
  readonly quarantined: number;
  readonly refused: number;
  readonly pages: number;
  readonly notModified: number;
  /** Bytes of the pages fetched, decoded. */
  readonly bytes: number;
  /** Bytes of the pages as received (smaller when the peer compressed them); absent in older summaries. */
  readonly wireBytes?: number;
  /**
   * The catalogues of the peer's enterprises that it listed but would not give (401, 403 or 404: an enterprise
   * whose manager lets us see it but not read its products); what each gave before was kept as it was. At most
   * {@link MAX_UNREADABLE_SHOWN} are named; absent when every one was read.
   */
  readonly unreadable?: { readonly count: number; readonly urls: readonly string[] };
  /**
   * The items the peer relays under the origin of another peer this node follows whole (its node's every catalogue)
   * that this origin does not publish: not shown (an origin speaks for its own `@id`s). At most 20 are named; absent
   * when there is none.
   */
  readonly unvouched?: { readonly count: number; readonly iris: readonly string[] };
  /**
   * Records of this node's own resources the peer held (an aggregator relays this node's catalogue back), skipped: no
   * peer changes them, and they are not quarantined. Absent when there were none.
   */
  readonly ownSkipped?: number;
  readonly ms: number;
}

/** Most unreadable catalogues a sync summary names ({@link SyncSummary.unreadable}). */
export const MAX_UNREADABLE_SHOWN = 20;

/** A new peer. */
export interface NewPeer {
  readonly name: string;
  readonly url: string;
  /** Default `dfc`. */
  readonly kind?: PeerKind;
  readonly token?: string;
  readonly tokenHeader?: 'authorization' | 'x-api-token';
  readonly profile?: 'dfc-v1' | 'dfc-v2';
  readonly intervalSeconds?: number;
}

/**
 * What may change of a peer once added (`maillon peer set`, `PATCH /api/sync/peers/{id}`): an absent field is
 * left as it is; a `token` of `null` forgets the token.
 */
export interface PeerChanges {
  readonly name?: string;
  readonly token?: string | null;
  readonly tokenHeader?: 'authorization' | 'x-api-token';
  readonly profile?: 'dfc-v1' | 'dfc-v2';
  readonly intervalSeconds?: number;
}

/** Validators of a URL fetched for a peer. */
export interface SourceValidators {
  readonly etag: string | null;
  readonly lastModified: string | null;
}

/** A quarantined record, with the codec's report. */
export interface QuarantinedRecord {
  readonly iri: string;
  readonly type: string | null;
  readonly problems: readonly Problem[];
  readonly seenAt: string;
}

/** One snapshot to apply atomically. */
export interface SnapshotWrite {
  readonly plan: MergePlan;
  /** Validators of every URL fetched (200 and 304), replacing the stored ones. */
  readonly sources: ReadonlyMap<string, SourceValidators>;
  /** Records rejected in this snapshot. */
  readonly quarantine: readonly Omit<QuarantinedRecord, 'seenAt'>[];
  /** Whether they replace the peer's quarantine (every page decoded) or are added to it (some pages were 304). */
  readonly replaceQuarantine: boolean;
  readonly now: string;
}

/**
 * A resource a snapshot run's page listed, staged until the run's end: with what to write when it is new or
 * changed, without (`write` absent) when we hold it unchanged and only its listing counts.
 */
export interface StagedResource {
  readonly iri: string;
  readonly write?: Omit<PlannedResource, 'iri' | 'record'>;
  /**
   * A catalog item's row of the federated index, computed by the page (null: the item has none), in a run whose
   * pages computed every item's (see {@link RunWrite.indexed}).
   */
  readonly entry?: SourcedEntry | null;
}

/** The end of a snapshot run, to apply atomically with what its pages staged (see {@link ProvenanceStore.applyRun}). */
export interface RunWrite {
  /** Validators of every URL fetched (200 and 304), replacing the stored ones. */
  readonly sources: ReadonlyMap<string, SourceValidators>;
  /** Whether the validators or the quarantine changed: a write is needed even when no resource changed. */
  readonly changed: boolean;
  /** Records rejected in this snapshot. */
  readonly quarantine: readonly Omit<QuarantinedRecord, 'seenAt'>[];
  /** Whether they replace the peer's quarantine (every page decoded) or are added to it (some pages were 304). */
  readonly replaceQuarantine: boolean;
  /** Pages answered 304: what they listed last time is listed still. */
  readonly notModified: readonly string[];
  /** Rows the run staged, and how many of them carry a record: checked, so that a run whose staging was cleared applies nothing. */
  readonly staged: number;
  readonly upserts: number;
  readonly now: string;
  /**
   * The withdrawal rule, as the merge states it: a resource no page listed is withdrawn when it went missing at
   * `cutoff` or before (ISO 8601 timestamps compare as text), or, going missing only now, when `immediately`.
   */
  readonly withdrawal: { readonly cutoff: string; readonly immediately: boolean };
  /**
   * Whether every catalog item the run staged carries its row of the federated index (a first snapshot, whose pages
   * computed them): when nothing was held of the peer, the index is filled from the staging, not rebuilt from the
   * records read back.
   */
  readonly indexed?: boolean;
  /**
   * Every record the run staged to write, when the run kept them (a small snapshot: a few thousand records): the
   * index is rebuilt from them instead of reading them back. Absent for a big snapshot.
   */
  readonly fresh?: readonly PlannedResource[];
  /**
   * Every row of the run, when it kept them in memory and staged none in the store (a small snapshot: see
   * `SyncParts.memoryRows`): staged by the apply, in its own transaction, where no other connection sees them and
   * the write-ahead log never holds them. The run must still exist in the store, as a run staged there must.
   */
  readonly rows?: readonly StagedResource[];
}

/** What applying a run did. */
export interface RunApplied {
  /** Whether anything was written (a snapshot that changed nothing costs no write). */
  readonly written: boolean;
  /** Resources newly flagged withdrawn. */
  readonly withdrawn: number;
  /**
   * Whether the index was filled from the rows the run's pages computed (a first snapshot still the peer's only
   * data when applied), rather than rebuilt from the records.
   */
  readonly indexedFromStaging?: boolean;
}

/** Filters of a federated query. */
export interface FederatedQuery {
  /** Product type IRIs to match (the asked type and every narrower one). */
  readonly types?: readonly string[];
  /**
   * Words that must all appear, folded (case, accents and ligatures ignored; the last word a prefix), in the
   * name, the description, the product type's labels or the enterprise's name. The rows come best match first.
   */
  readonly text?: string;
  /** Product types whose label the text names: their offers match the text too (after those found by words). */
  readonly textTypes?: readonly string[];
  /** A bounding box the enterprise must be in. */
  readonly box?: { readonly minLat: number; readonly maxLat: number; readonly minLon: number; readonly maxLon: number };
  /** A circle the enterprise must be in: great-circle distance from its centre, in km, at most `radiusKm`. */
  readonly circle?: { readonly lat: number; readonly lon: number; readonly radiusKm: number };
  readonly inStock?: boolean;
  readonly enterprise?: string;
  /** A peer id, or `local` for our own catalogue. */
  readonly source?: string;
}

/** An enterprise that has rows in the index. */
export interface FederatedEnterprise {
  readonly iri: string;
  readonly name: string | null;
}

/** A matching row, light. */
export interface FederatedMatch {
  readonly id: number;
  readonly latitude: number | null;
  readonly longitude: number | null;
}

/**
 * Where a page of the federated catalogue in its own order (folded name, those without one last, then catalog item
 * IRI) ended: the sort key of its last row. The next page starts after it, whatever came or went before it
 * meanwhile (a keyset, not an offset: rows a sync inserts or removes before it shift nothing).
 */
export interface CatalogueKey {
  /** The row's folded name (`name_key`), null for a row without a name (those come after every named one). */
  readonly name: string | null;
  readonly item: string;
  /**
   * How many rows after `name` and `item` the place is: a key too long to carry (see {@link MAX_KEY_TEXT}) is carried
   * as a prefix of it and the number of rows between the two.
   */
  readonly skip?: number;
}

/**
 * The longest name or item IRI a carried {@link CatalogueKey} holds, in UTF-16 code units: item IRIs have no bound (a
 * peer names them), nor folded names quite, and a cursor must fit in a request line.
 */
export const MAX_KEY_TEXT = 500;

/** A row of the index as its table keys it: its source and its catalog item (unique together). */
export interface RowKey {
  readonly source: string;
  readonly item: string;
}

/** What a page of the federated catalogue for people is sorted by (see {@link FederatedIndex.pageRows}). */
export interface RowOrder {
  /** `relevance` is the query's own order (best text match first, else name). */
  readonly key: 'relevance' | 'name' | 'typeLabel' | 'price' | 'stock' | 'enterpriseName' | 'city' | 'postcode' | 'sourceName';
  readonly descending: boolean;
  /** Product type IRI → the label people read, for `typeLabel` (compared folded: accents and case ignored). */
  readonly typeLabels?: ReadonlyMap<string, string>;
}

/** Counts of a slice of the supply: distinct producers (enterprises), products, offers, offers in stock. */
export interface SupplyCount {
  readonly producers: number;
  readonly products: number;
  readonly offers: number;
  readonly inStock: number;
}

/** The supply summed whole, by product type (rolled up: a type counts under every broader one), by source, by area. */
export interface SupplySummary {
  readonly totals: SupplyCount;
  /** By product type IRI, or `(untyped)`. */
  readonly byType: ReadonlyMap<string, SupplyCount>;
  /** By peer id, null for this node's own enterprises. */
  readonly bySource: ReadonlyMap<number | null, SupplyCount>;
  /** By postcode area, null without a postcode. */
  readonly byArea: ReadonlyMap<string | null, SupplyCount>;
}

/**
 * One group of matching rows, by product type, enterprise, source and postcode area: everything the regional
 * summary counts, without a row per offer (a territory's 100,000 offers are a few thousand groups).
 */
export interface SupplyGroup {
  readonly productType: string | null;
  readonly enterpriseIri: string | null;
  readonly peerId: number | null;
  /** The first two characters of the postcode, blanks left out (a French département), or null without them. */
  readonly area: string | null;
  /** Distinct products (product keys) of the group: a product is in one group only. */
  readonly products: number;
  readonly offers: number;
  /** Offers in stock now. */
  readonly inStock: number;
  /** Where the enterprise is (null when it says nothing). */
  readonly lat: number | null;
  readonly lon: number | null;
}

/** A producer on a map, from the index: one per enterprise with coordinates, with its counts. */
export interface ProducerRow {
  readonly iri: string;
  readonly name: string | null;
  readonly lat: number;
  readonly lon: number;
  readonly city: string | null;
  readonly postcode: string | null;
  readonly peerId: number | null;
  readonly offers: number;
  readonly inStock: number;
}

/** A town of the catalogue: where its producers are, on average. */
export interface PlaceRow {
  readonly city: string;
  readonly postcode: string | null;
  /** Where the town is: see {@link townCentre}. */
  readonly lat: number;
  readonly lon: number;
  readonly producers: number;
  /** Whether this node's own enterprises are there: such a town is the one its name means when others share it. */
  readonly local?: boolean;
}

/** A producer's coordinates, and whose word they are: `local` for this node's own, else its peer (`peer:3`). */
export interface SourcedPoint {
  readonly lat: number;
  readonly lon: number;
  readonly source: string;
}

/**
 * Where a town is, from its producers' coordinates, so that no one peer moves it for everyone (twenty enterprises of
 * one peer saying "Limoges 87000" at Paris's coordinates moved Limoges, and every `near=Limoges`): when this node's own
 * producers are there, their centre; otherwise each source's centre of its producers there, counted once however
 * many producers it names, and the median of those (one source: its centre, as before).
 *
 * @param points - the town's producers, at least one
 */
export function townCentre(points: readonly SourcedPoint[]): { lat: number; lon: number } {
  const local = points.filter((p) => p.source === 'local');
  if (local.length > 0) return centre(local);
  const bySource = new Map<string, SourcedPoint[]>();
  for (const p of points) {
    const of = bySource.get(p.source) ?? [];
    of.push(p);
    bySource.set(p.source, of);
  }
  const centres = [...bySource.values()].map(centre);
  return { lat: median(centres.map((c) => c.lat)), lon: median(centres.map((c) => c.lon)) };
}

function centre(points: readonly { lat: number; lon: number }[]): { lat: number; lon: number } {
  return { lat: points.reduce((s, p) => s + p.lat, 0) / points.length, lon: points.reduce((s, p) => s + p.lon, 0) / points.length };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] as number : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Where a product type is produced: one enterprise with coordinates offering it. */
export interface TypePresence {
  readonly productType: string;
  readonly enterpriseIri: string;
  readonly lat: number;
  readonly lon: number;
}

/** A row of the federated index, with where it comes from. */
export interface FederatedRow extends FederatedEntry {
  readonly source: string;
  readonly peerId: number | null;
}

/**
 * What {@link ProvenanceStore.markSyncing} did: marked the peer (`marked`), found it removed (`removed`), or found it
 * being synced by another process still alive (`held`: its owner, and since when), and left its mark as it was.
 */
export type SyncMark =
  | { readonly state: 'marked' }
  | { readonly state: 'removed' }
  | { readonly state: 'held'; readonly owner: string | null; readonly since: string };

/** Peers, their sync state and what each said: the sync engine's side of the federation. */
export interface ProvenanceStore {
  addPeer(peer: NewPeer, origin: string): Promise<PeerRow>;
  listPeers(): Promise<PeerRow[]>;
  /**
   * The peers at one origin (scheme, host and port), by id, each saying whether the node holds OpenID Connect
   * credentials for it: what a request to that origin is sent with, in one read.
   */
  peersAt(origin: string): Promise<(PeerRow & { readonly oidc: boolean })[]>;
  /** A peer by id or name. */
  getPeer(idOrName: string | number): Promise<PeerRow | undefined>;
  /**
   * Changes a peer's name, token, profile or interval, keeping everything synced from it. A change of what is
   * sent (token, header, profile) makes the peer due now: the failure it may have caused is not waited out; a new
   * token or header also forgets the peer's feed cursor, so the next sync reads whole what the new credential allows. A new
   * interval brings the next attempt to no later than the last attempt plus that interval (a shorter one applies at
   * once; a longer one from the next sync on). Returns the peer as it now is, or undefined when there is no such peer.
   */
  updatePeer(id: number, changes: PeerChanges): Promise<PeerRow | undefined>;
  /** Removes a peer with everything synced from it, its rows of the federated index included. */
  removePeer(id: number): Promise<boolean>;
  /**
   * The items of a peer not shown because they are under the origin of another peer followed whole, which does not
   * publish them: how many, and the first 20 (see {@link SyncSummary.unvouched}).
   */
  unvouched(peerId: number): Promise<{ count: number; iris: string[] }>;
  /**
   * Moves a peer's next attempt, only while its last attempt is still the one given (started at `at`, ended with
   * `error`, after `failures` failures): another process that ended that attempt meanwhile keeps what it wrote.
   * Returns whether it moved.
   */
  postponeAttempt(id: number, expected: { at: string | null; error: string; failures: number }, nextAttemptAt: string): Promise<boolean>;

  /**
   * Records an attempt's outcome (status, error, summary, next attempt). When the peer's interval was made shorter
   * than `intervalSeconds` (the one its next attempt was computed from) while the attempt ran, the next attempt is
   * no later than the attempt's start plus the new interval, as {@link updatePeer} would have set it. The sync mark
   * is cleared only when it is `owner`'s (the process that recorded the attempt): a mark another process took over
   * meanwhile (this one's deemed gone) is that process's sync, still running, and keeps reading as such. Returns
   * whether the peer is still there (false: it was removed, and nothing was recorded).
   */
  recordAttempt(id: number, state: {
    status: 'ok' | 'failed' | 'stopped'; at: string; nextAttemptAt: string; failures: number; error: string | null; summary: SyncSummary | null;
    intervalSeconds?: number;
    /** The process that made the attempt ({@link markSyncing}'s `owner`): its mark, and only its, is cleared. */
    owner: string;
  }): Promise<boolean>;
  /**
   * Marks a peer as being synced by this process (`owner`), before any work: its next attempt is set (the backoff a
   * failure would have) so that a process dying during the sync leaves it waiting, while its last outcome, error and
   * failures stay as they were until {@link recordAttempt} (which clears the mark). A mark of another process is
   * taken over only when that process is gone (`gone`, as {@link settleUnfinished} asks): while it lives, its sync
   * runs (`maillon sync` beside `serve` on one database), nothing is written, and the answer names it.
   *
   * @param gone - whether the process that wrote a mark (its owner) is gone, given when the mark was written
   */
  markSyncing(id: number, state: { at: string; owner: string; nextAttemptAt: string }, gone: (owner: string | null, since: string) => boolean): Promise<SyncMark>;
  /**
   * Counts the syncs marked by processes now gone as failed: status `failed`, one more failure, `error` as the last
   * error, the next attempt the mark set. Only `peerId`'s when given.
   *
   * @param gone - whether the process that wrote a mark (its owner) is gone, given when the mark was written
   * @returns the ids of the peers whose marks were counted
   */
  settleUnfinished(gone: (owner: string | null, since: string) => boolean, error: string, peerId?: number): Promise<number[]>;

  sources(peerId: number): Promise<Map<string, SourceValidators>>;
  held(peerId: number): Promise<Map<string, HeldResource>>;
  /** What we hold of some resources of a peer (an incremental sync needs only those it changes). */
  heldOf(peerId: number, iris: readonly string[]): Promise<Map<string, HeldResource>>;
  /** Whether we hold anything at all from a peer (a first snapshot need not look up what it holds, page by page). */
  holdsAny(peerId: number): Promise<boolean>;
  /** Applies a snapshot in one transaction, and rebuilds the peer's part of the federated index if it changed. */
  applySnapshot(peerId: number, write: SnapshotWrite): Promise<void>;
  /**
   * Starts a snapshot run of a peer, whose pages are staged as they arrive ({@link stage}) and applied at its end
   * ({@link applyRun}). What earlier runs of the peer left staged (a process that died during them) is dropped.
   * Returns the run's id.
   */
  beginRun(peerId: number, startedAt: string): Promise<number>;
  /** Which of these resources the run staged already (an earlier page listed them). */
  stagedAmong(runId: number, iris: readonly string[]): Promise<Set<string>>;
  /** Stages what one page listed, in a short transaction of its own, after what earlier pages listed. */
  stage(runId: number, rows: readonly StagedResource[]): Promise<void>;
  /**
   * Applies a run in one transaction: its staged records, what no page listed (missing, then withdrawn after the
   * grace), what is listed again, the validators and quarantine, and the peer's rows of the federated index, read
   * and written in chunks. Writes nothing when nothing changed. Throws, applying nothing, when the run was cleared
   * (by a later run of the peer, its removal, or another process): its staging is not what it staged, or, for a run
   * kept in memory, its row is gone.
   */
  applyRun(peerId: number, runId: number, write: RunWrite): Promise<RunApplied>;
  /** The records a run staged to write, after the `after`-th of them, at most `limit` (in staging order). */
  stagedRecords(runId: number, after: number, limit: number): Promise<{ readonly seq: number; readonly record: DfcRecord }[]>;
  /** Drops a run and what it staged (applied or not). */
  endRun(runId: number): Promise<void>;
  /** Drops the runs started before `before` (dead: no sync lasts that long) with what they staged; returns how many. */
  clearStaleRuns(before: string): Promise<number>;
  /** A peer's quarantined records, by IRI: at most {@link MAX_QUARANTINED}. */
  quarantine(peerId: number): Promise<QuarantinedRecord[]>;
  /** How many records each peer has in quarantine (peers with none are absent). */
  quarantineCounts(): Promise<Map<number, number>>;
  /** Counts of a peer's resources: active, missing, withdrawn. */
  peerCounts(peerId: number): Promise<{ active: number; missing: number; withdrawn: number }>;
}

/** Two products this node's operator says are one (`subject` `owl:sameAs` `target`). */
export interface IdentityLink {
  readonly subject: string;
  readonly target: string;
}

/**
 * The federated index and the records behind it: the federated catalogue's side of the federation.
 *
 * Two products are one entry (one product key, one winner) only when their identity is verified: the same
 * `@id` (its origin, then relays), or an `owl:sameAs` that each product's origin states of the other (this
 * node counting as the origin of its own), or one this node's operator confirmed ({@link confirmSameAs}:
 * `maillon import` does it for what it imports). A one-sided `owl:sameAs` is a claim: both offers are
 * listed, each under its own enterprise.
 */
export interface FederatedIndex {
  /**
   * Records identities this node's operator vouches for, and merges the products they link (an import
   * confirms each product's `owl:sameAs`). Links to products not indexed yet take effect when they are.
   */
  confirmSameAs(links: readonly IdentityLink[]): Promise<void>;
  /** Rebuilds the index rows of our own enterprises whose version changed since the last build. */
  refreshLocal(versions: ReadonlyMap<string, number>, recordsOf: (eid: string) => Promise<DfcRecord[]>): Promise<void>;
  /** Every enterprise with offers in the index, by IRI, with its name. */
  enterprises(): Promise<FederatedEnterprise[]>;
  /** Whether some listed offer has this product type (an IRI the taxonomy may not know). */
  hasProductType(type: string): Promise<boolean>;
  /**
   * The winning rows matching a query, in a stable order: best text match first when there is a text, then
   * name, then item IRI.
   */
  queryEntries(query: FederatedQuery): Promise<FederatedRow[]>;
  /**
   * The same, light: only what a radius filter and a page need (full rows come from {@link entriesByIds}). A text
   * lists its best 1,000 matches; with `all`, every match, the others after those in index order (an export).
   */
  queryMatches(query: FederatedQuery, options?: { readonly all?: boolean }): Promise<FederatedMatch[]>;
  /** How many winning rows a query matches (a text query: every match, not only the best 1,000 a page lists first). */
  countMatches(query: FederatedQuery): Promise<number>;
  /**
   * Runs reads that must agree with one another (a count and its page, run side by side on two connections): again
   * while the index changed under them, up to three times in all. Only the index's changes are watched (its
   * generation): what the reads take from elsewhere (the records of a page's rows) may still be newer than the index.
   */
  consistent<T>(read: () => Promise<T>): Promise<T>;
  /** One page of the rows a query matches, sorted in the database (missing values last, whichever the direction). */
  pageRows(query: FederatedQuery, order: RowOrder, offset: number, limit: number): Promise<FederatedRow[]>;
  /**
   * One page of the rows a query without a text matches, in the catalogue's order (see {@link CatalogueKey}): the
   * first `limit` after `after` (from the first row when undefined), none past `through` when given, with the key of
   * its last row when more follow. A page ends after every row of its last key (a few rows more than `limit`).
   */
  pageAfter(query: FederatedQuery, after: CatalogueKey | undefined, limit: number, through?: CatalogueKey): Promise<{ rows: FederatedRow[]; next?: CatalogueKey }>;
  /** The keys of the rows a query with a text lists ({@link queryMatches}' rows), in its order. */
  textMatchKeys(query: FederatedQuery): Promise<RowKey[]>;
  /**
   * The rows of some keys, in their order, that are still listed and still match the query's filters other than its
   * text (a row gone, or no longer matching, is left out).
   */
  rowsByKeys(query: FederatedQuery, keys: readonly RowKey[]): Promise<FederatedRow[]>;
  /** The catalogue's sort key of a row (see {@link CatalogueKey}), as stored: where a page that ends with it ends. */
  keyOf(row: FederatedRow): Promise<CatalogueKey>;
  /**
   * The same place as `key` in the rows a query without a text matches, with no text longer than {@link MAX_KEY_TEXT}:
   * a longer name or item IRI cut, and the rows between the cut key and `key` counted in `skip`.
   */
  carried(query: FederatedQuery, key: CatalogueKey): Promise<CatalogueKey>;
  /** The matching rows summarised by type, enterprise, source and postcode area (see {@link SupplyGroup}). */
  supplyGroups(query: FederatedQuery): Promise<SupplyGroup[]>;
  /**
   * The summary of the matching rows from the groups the index keeps, when they hold what the query needs (the
   * whole catalogue, a type, an enterprise, a source): the whole catalogue's kept in memory and moved by each
   * refresh of the groups, the others summed in the database; undefined otherwise (sum {@link supplyGroups} instead).
   *
   * @param query - the filters
   * @param rollUp - a product type and every broader one it counts under (the type itself first)
   */
  supplySummary(query: FederatedQuery, rollUp: (type: string) => readonly string[]): Promise<SupplySummary | undefined>;
  /** The enterprises with coordinates the matching rows come from, by name, at most `limit`, and how many there are. */
  producerRows(query: FederatedQuery, limit: number): Promise<{ readonly total: number; readonly producers: ProducerRow[] }>;
  /** The towns of the listed offers' enterprises, with the centre of their producers. */
  places(): Promise<PlaceRow[]>;
  /** Which enterprises (with coordinates) offer each product type, among the rows a query matches. */
  typePresence(query: FederatedQuery): Promise<TypePresence[]>;
  /** The product types of the listed offers. */
  productTypes(): Promise<string[]>;
  /** Full rows by match id, in the order given. */
  entriesByIds(ids: readonly number[]): Promise<FederatedRow[]>;
  /** Every source's (not withdrawn) rows of some product keys, not only the winners. */
  rowsOfKeys(productKeys: readonly string[]): Promise<FederatedRow[]>;
  /** Records of one source (`local:<eid>` or `peer:<id>`) by `@id`. */
  recordsIn(source: string, iris: readonly string[]): Promise<DfcRecord[]>;
  /**
   * The records of the given IRIs, from the best source of each (own node first, then authoritative peers, then
   * relays; between equals the lowest peer id, as the index's rows and names take them).
   */
  recordsOf(iris: readonly string[]): Promise<Map<string, { record: DfcRecord; source: string }>>;
}

const EARTH_RADIUS_KM = 6371;

/**
 * Great-circle distance in km (the haversine formula, on a sphere of 6,371 km): the one the federated index's SQL
 * writes too, so that SQL and JavaScript agree on who is inside a circle.
 */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}
