/**
 * Enterprises' catalogues kept in memory and brought up to date from the change feed, so that a page of a large
 * catalogue does not read the whole catalogue again after every change.
 *
 * Reading a 10,000-offer catalogue (30,000 records parsed from SQLite) takes 0.5–1 s on the bench machine, and
 * every page of it used to do so whenever the enterprise's version had moved: a full pull right after one stock
 * change cost 20 whole reads. Here the catalogue is read whole once; afterwards a request that finds the
 * enterprise at a newer version reads only the change feed after the last event applied (an indexed read of
 * the changes, usually one or two rows) and the records it names, and assembles the catalogue again in memory.
 *
 * Why the feed is enough: triggers append an event for every insert, update (that changes the record) and
 * delete of a resource, in the transaction that makes it, numbered in commit order (one writer). Compaction
 * removes an event only when a later one of the same `@id` stays, so the events after a cursor always name every
 * `@id` changed since. The records are read again from the store (their current state, with the store's
 * version), so applying an event twice, or one already reflected by the whole read, changes nothing. When the
 * feed's identity (its stream id) changes, as when a private enterprise is removed with its events, or when
 * too much changed, the catalogue is read whole again.
 *
 * Bounded: at most {@link CatalogueCacheOptions.maxRecords} records are kept, over all enterprises, the least
 * recently read enterprise going first; a catalogue larger than the whole budget is read whole per request, as
 * before.
 *
 * @packageDocumentation
 */
import { LRUCache } from 'lru-cache';
import type { DfcRecord, SuppliedProductRecord } from '../../ontology/records.js';
import type { EnterpriseRow, NodeStore } from '../store/store.js';
import { assembleCatalogue, CATALOGUE_KINDS_AND_PLANS, type Catalogue, type CatalogueEntry } from './catalog-reads.js';

/** A catalogue as kept: immutable once made; a change makes a new one. */
export interface CatalogueSnapshot extends Catalogue {
  /** The version of a record of the catalogue (see `StoredResource.version`); undefined for another record. */
  versionOf(record: DfcRecord): string | undefined;
  /**
   * Values derived from this snapshot (a page's version, say), kept with it so that they are computed once per
   * snapshot: a new snapshot starts empty. Keys are the caller's.
   */
  readonly memo: Map<string, unknown>;
}

/** Options of {@link CatalogueCache}. */
export interface CatalogueCacheOptions {
  /** The most records kept in memory, over every enterprise (default {@link DEFAULT_CATALOGUE_CACHE_RECORDS}). */
  readonly maxRecords?: number;
  /** More distinct resources changed than this since the last update, and the catalogue is read whole again. */
  readonly maxChanges?: number;
}

/**
 * The default of {@link CatalogueCacheOptions.maxRecords}: three 10,000-offer catalogues (three records an offer).
 * A record kept takes about 1.2 kB of heap (measured on the bench's generated catalogue: 37 MB for 30,000), so
 * this is about 120 MB at most.
 */
export const DEFAULT_CATALOGUE_CACHE_RECORDS = 100_000;
const DEFAULT_MAX_CHANGES = 2000;

/** The state kept for one enterprise. Changed in place only by its one running update. */
interface Kept {
  /** The change feed's identity when the catalogue was read. */
  readonly stream: string;
  /** The last feed event applied (every change up to it is reflected; some later ones may be). */
  seq: number;
  /** The records, by `@id`, in `@id` order unless {@link unsorted}. */
  readonly records: Map<string, DfcRecord>;
  /** Whether `@id`s were added since the records were last put in order. */
  unsorted: boolean;
  /** The positions, in the snapshot's entries, of the entries each record is part of (by the record's `@id`). */
  containers: Map<string, number[]>;
  snapshot: CatalogueSnapshot;
}

const CATALOGUE_KINDS = new Set<string>(CATALOGUE_KINDS_AND_PLANS);

/**
 * Compares two strings in the order SQLite's `ORDER BY` gives them (BINARY collation of UTF-8: code point
 * order), which `<` on JavaScript strings (UTF-16 code units) breaks only around surrogate pairs.
 */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (0xD800–0xDFFF) stands for a code point above 0xFFFF: it sorts after every other unit.
    const surrogateX = x >= 0xd800 && x <= 0xdfff;
    const surrogateY = y >= 0xd800 && y <= 0xdfff;
    if (surrogateX !== surrogateY) return surrogateX ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Whether a record changed only in what a catalogue shows, not in how it is assembled (which products are
 * entries and groups, which items and offers each entry holds): the new one can then take the old one's place.
 */
function sameShape(before: DfcRecord, after: DfcRecord): boolean {
  if (before.kind !== after.kind) return false;
  if (before.kind === 'SuppliedProduct' && after.kind === 'SuppliedProduct') {
    return (before.variants.length > 0) === (after.variants.length > 0) && sameList(before.catalogItems, after.catalogItems)
      && sameList(before.variantOf, after.variantOf);
  }
  if (before.kind === 'CatalogItem' && after.kind === 'CatalogItem') return sameList(before.offers, after.offers);
  // An offer is found from its item's list, a plan from its own `@id`: neither shapes the catalogue.
  return true;
}

/** Keeps enterprises' catalogues in memory, up to date with the store through the change feed. */
export class CatalogueCache {
  private readonly kept: LRUCache<string, Kept>;
  /** The update running for an enterprise: concurrent requests share it. */
  private readonly running = new Map<string, Promise<CatalogueSnapshot>>();
  /**
   * The version of each record kept, by the record itself: records are never changed (a change is a new record),
   * so no snapshot ever sees another's version, and nothing is copied when one record changes.
   */
  private readonly versions = new WeakMap<DfcRecord, string>();
  private readonly maxRecords: number;
  private readonly maxChanges: number;

  public constructor(private readonly store: NodeStore, options: CatalogueCacheOptions = {}) {
    this.maxRecords = options.maxRecords ?? DEFAULT_CATALOGUE_CACHE_RECORDS;
    this.maxChanges = options.maxChanges ?? DEFAULT_MAX_CHANGES;
    this.kept = new LRUCache<string, Kept>({ maxSize: this.maxRecords, sizeCalculation: (k) => Math.max(1, k.records.size) });
  }

  /**
   * The catalogue of an enterprise, at least as recent as the row given (read by the caller for this request):
   * kept if the row's version is the one kept, else brought up to date.
   *
   * @param row - the enterprise's row, as this request read it
   */
  public async catalogue(row: EnterpriseRow): Promise<CatalogueSnapshot> {
    for (;;) {
      const kept = this.kept.get(row.eid);
      if (kept !== undefined && kept.snapshot.enterprise.version >= row.version && kept.snapshot.enterprise.iri === row.iri) return kept.snapshot;
      const running = this.running.get(row.eid);
      if (running === undefined) break;
      // An update started for an older version may not reflect this row: wait for it, then look again.
      const snapshot = await running;
      if (snapshot.enterprise.version >= row.version && snapshot.enterprise.iri === row.iri) return snapshot;
    }
    const update = this.update(row).finally(() => this.running.delete(row.eid));
    this.running.set(row.eid, update);
    return update;
  }

  /** Forgets every kept catalogue (the store was changed under it: a restore, say). */
  public clear(): void {
    this.kept.clear();
  }

  /** The number of records kept. */
  public get size(): number {
    return this.kept.calculatedSize;
  }

  private async update(row: EnterpriseRow): Promise<CatalogueSnapshot> {
    const kept = this.kept.get(row.eid);
    if (kept !== undefined && kept.snapshot.enterprise.iri === row.iri) {
      const stream = await this.store.feed.streamId();
      if (stream === kept.stream) {
        const changed = await this.changedSince(row.eid, kept.seq);
        if (changed !== undefined) return this.apply(kept, row, changed.iris, changed.seq);
      }
    }
    return this.readWhole(row);
  }

  /** The `@id`s changed after a feed position, and the last position read; undefined when too many changed. */
  private async changedSince(eid: string, seq: number): Promise<{ iris: Set<string>; seq: number } | undefined> {
    const iris = new Set<string>();
    let after = seq;
    for (;;) {
      const events = await this.store.feed.events(after, this.maxChanges, eid);
      for (const event of events) iris.add(event.iri);
      after = events.at(-1)?.seq ?? after;
      if (iris.size > this.maxChanges) return undefined;
      if (events.length < this.maxChanges) return { iris, seq: after };
    }
  }

  /**
   * Applies changed `@id`s: their current records are read; records that keep their shape take their old ones'
   * places in the entries that hold them, anything else assembles the catalogue again.
   */
  private async apply(kept: Kept, row: EnterpriseRow, iris: ReadonlySet<string>, seq: number): Promise<CatalogueSnapshot> {
    const stored = iris.size === 0 ? [] : await this.store.getResources([...iris]);
    // From here on, synchronous: the kept state is changed in place, and no request sees it half changed.
    const now = new Map<string, DfcRecord>();
    for (const { eid, record, version } of stored) {
      if (eid !== row.eid || !CATALOGUE_KINDS.has(record.kind)) continue;
      this.versions.set(record, version);
      now.set(record.id, record);
    }
    const replaced = new Map<string, DfcRecord>();
    let reshaped = false;
    for (const iri of iris) {
      const before = kept.records.get(iri);
      const after = now.get(iri);
      if (before === after) continue;
      if (before === undefined || after === undefined || !sameShape(before, after)) reshaped = true;
      else if (before !== after) replaced.set(iri, after);
      if (after === undefined) kept.records.delete(iri);
      else {
        if (before === undefined) kept.unsorted = true;
        kept.records.set(iri, after);
      }
    }
    kept.seq = Math.max(seq, kept.seq);
    kept.snapshot = reshaped ? this.assemble(row, kept) : this.patched(row, kept, replaced);
    this.keep(row.eid, kept);
    return kept.snapshot;
  }

  /** The kept snapshot with records replaced by new ones of the same shape: only the entries holding them are made anew. */
  private patched(row: EnterpriseRow, kept: Kept, replaced: ReadonlyMap<string, DfcRecord>): CatalogueSnapshot {
    const before = kept.snapshot;
    const entries = before.entries.slice();
    let groups = before.groups;
    const swap = <T extends DfcRecord>(record: T): T => (replaced.get(record.id) as T | undefined) ?? record;
    const touched = new Set<number>();
    for (const iri of replaced.keys()) {
      for (const index of kept.containers.get(iri) ?? []) touched.add(index);
      if (groups.has(iri)) {
        if (groups === before.groups) groups = new Map(groups);
        (groups as Map<string, SuppliedProductRecord>).set(iri, replaced.get(iri) as SuppliedProductRecord);
      }
    }
    for (const index of touched) {
      const entry = entries[index] as CatalogueEntry;
      entries[index] = { product: swap(entry.product), items: entry.items.map(swap), offers: entry.offers.map(swap), plans: entry.plans.map(swap) };
    }
    return this.snapshotOf({ enterprise: row, entries, groups });
  }

  /** Reads the whole catalogue; the feed position is read first, so that no change after the read is missed. */
  private async readWhole(row: EnterpriseRow): Promise<CatalogueSnapshot> {
    const stream = await this.store.feed.streamId();
    const seq = await this.store.feed.latestSeq(row.eid);
    const resources = await this.store.listResources(row.eid, CATALOGUE_KINDS_AND_PLANS);
    const records = new Map<string, DfcRecord>();
    for (const { record, version } of resources) {
      records.set(record.id, record);
      this.versions.set(record, version);
    }
    const kept: Kept = { stream, seq, records, unsorted: false, containers: new Map(), snapshot: undefined as unknown as CatalogueSnapshot };
    kept.snapshot = this.assemble(row, kept);
    this.keep(row.eid, kept);
    return kept.snapshot;
  }

  private keep(eid: string, kept: Kept): void {
    // A catalogue larger than the whole budget is not kept (the cache would drop it at once anyway).
    if (kept.records.size <= this.maxRecords) this.kept.set(eid, kept);
    else this.kept.delete(eid);
  }

  /** Assembles the catalogue from every record kept (in `@id` order), and which entries hold each record. */
  private assemble(row: EnterpriseRow, kept: Kept): CatalogueSnapshot {
    if (kept.unsorted) {
      const sorted = [...kept.records.entries()].sort(([a], [b]) => compareCodePoints(a, b));
      kept.records.clear();
      for (const [iri, record] of sorted) kept.records.set(iri, record);
      kept.unsorted = false;
    }
    const catalogue = assembleCatalogue(row, kept.records.values());
    const containers = new Map<string, number[]>();
    const hold = (id: string, index: number): void => {
      const list = containers.get(id);
      if (list === undefined) containers.set(id, [index]);
      else if (list.at(-1) !== index) list.push(index);
    };
    catalogue.entries.forEach((entry, index) => {
      hold(entry.product.id, index);
      for (const record of [...entry.items, ...entry.offers, ...entry.plans]) hold(record.id, index);
    });
    kept.containers = containers;
    return this.snapshotOf(catalogue);
  }

  private snapshotOf(catalogue: Catalogue): CatalogueSnapshot {
    const versions = this.versions;
    return { ...catalogue, versionOf: (record) => versions.get(record), memo: new Map() };
  }
}
