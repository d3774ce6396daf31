/**
 * A snapshot merged page by page as its pages arrive: each page is planned on its own ({@link planPage}, with what
 * we hold of that page's resources only) and what it lists is staged in the store in a short transaction (or, while
 * the run's rows are a few thousand, kept in memory); the end applies everything staged in one transaction
 * ({@link ProvenanceStore.applyRun}). Memory is that of a page (or of a small snapshot), not of a big snapshot; no
 * write transaction is held across a network fetch; a run that fails or is over its budget applies nothing, and
 * drops what it staged.
 *
 * @packageDocumentation
 */
import type { DfcRecord } from '../../ontology/records.js';
import type { Failure } from '../errors/failure.js';
import type { Problem } from '../errors/problem.js';
import { linkedEntries, type SourcedEntry, type SourcedRecord } from '../store/federated-entries.js';
import { MAX_QUARANTINED, MAX_UNREADABLE_SHOWN, type HeldResource, type PlannedResource, type SourceValidators, type StagedResource } from '../store/federation.js';
import { misattributions } from './attribution.js';
import { IriFilter } from './iri-filter.js';
import { isListed, planPage, withdrawalCutoff, type Serialised } from './merge.js';
import { overBudget, pastDeadline, type PeerSyncOutcome, type SyncParts, type SyncRun } from './sync-context.js';

/** Records told to the `onApplied` hook at once, read back from the staging. */
const TELL_CHUNK = 1000;

/**
 * Most records a run keeps in memory to write (a few megabytes): a small snapshot's end rebuilds the index and tells
 * the hook from them, not from the staging read back; past this, they are dropped and memory is a page's.
 */
export const FRESH_LIMIT = 5000;

/**
 * A snapshot of this many rows or fewer (resources listed, a national peer's 1,000 offers are about 3,000) is kept
 * in memory to its end and staged then, in the transaction that applies it: staging it in the store page by page
 * wrote every row to the log twice (staged, then dropped with the run) in three more transactions. Past it, the rows
 * kept so far are staged in the store and the run goes on as any big one. At most {@link FRESH_LIMIT}: a run kept
 * in memory tells the `onApplied` hook from the records it keeps.
 */
const MEMORY_ROWS = FRESH_LIMIT;

/**
 * Most enterprises and addresses a first snapshot keeps in memory for the index rows of its later pages (a peer's
 * farms: a few, or a few thousand for a platform); past it, the index is rebuilt at the end as for any snapshot.
 */
const PROFILE_LIMIT = 10_000;

/** A record rejected while decoding (or refused by the merge), for the peer's quarantine. */
export interface Quarantined {
  readonly iri: string;
  readonly type: string | null;
  readonly problems: Problem[];
}

/** Records past the kept ones whose `@id`s a {@link Quarantine} remembers, to count each once (about ten megabytes). */
export const COUNTED_APART = 100_000;

/**
 * The records a sync quarantines, by `@id`: the first {@link MAX_QUARANTINED} with their problems, the others counted
 * in {@link Quarantine.size} only (a record quarantined again replaces its entry).
 */
export class Quarantine {
  private readonly kept = new Map<string, Quarantined>();
  /** The `@id`s of the records past {@link MAX_QUARANTINED}, without their problems: each counted once. */
  private readonly beyond = new Set<string>();
  /** Records past {@link COUNTED_APART} more: counted without telling a repeat apart, in a number, not a set. */
  private uncounted = 0;

  /** Quarantines a record (kept while there is room, counted always). */
  public set(iri: string, entry: Quarantined): this {
    if (this.kept.has(iri) || this.kept.size < MAX_QUARANTINED) this.kept.set(iri, entry);
    else if (this.beyond.size < COUNTED_APART) this.beyond.add(iri);
    else if (!this.beyond.has(iri)) this.uncounted += 1;
    return this;
  }

  /** How many records were quarantined, kept or only counted. */
  public get size(): number {
    return this.kept.size + this.beyond.size + this.uncounted;
  }

  /** The records kept, with their problems. */
  public values(): IterableIterator<Quarantined> {
    return this.kept.values();
  }
}

/** What the fetch of a snapshot gathered besides its records, for {@link StagedSnapshot.finish}. */
export interface SnapshotEnd {
  /** The validators of the pages of the last snapshot. */
  readonly known: ReadonlyMap<string, SourceValidators>;
  readonly sources: ReadonlyMap<string, SourceValidators>;
  readonly quarantine: Quarantine;
  readonly pages: number;
  readonly notModified: number;
  /** Decoded bytes of the pages. */
  readonly bytes: number;
  /** Bytes received (compressed, when the peer compressed); the decoded ones when not counted apart. */
  readonly wireBytes?: number;
  /** The enterprise catalogues the peer would not give, kept as they were ({@link StagedSnapshot.unreadablePage}). */
  readonly unreadable?: readonly string[];
}

/** One snapshot run of one peer, staged in the store. Call {@link StagedSnapshot.end} whatever happens. */
export class StagedSnapshot {
  private staged = 0;
  private upserts = 0;
  private added = 0;
  private updated = 0;
  private unchanged = 0;
  private refused = 0;
  /** Records of this node's own resources the pages held, skipped (the merge's `ownSkipped`). */
  private ownSkipped = 0;
  /**
   * Records the merge refused (a resource left without an IRI): quarantined at the end,
   * so that the operator sees each with its reason.
   */
  private readonly refusedProblems: Problem[] = [];
  /** The pages answered 304 so far: what they listed last time is listed still. */
  private readonly notModified = new Set<string>();
  /**
   * The last page's staging, written while the next page is fetched and decoded (SQLite works on another thread):
   * awaited before the next page is planned, which must see what it staged.
   */
  private pending: Promise<void> = Promise.resolve();
  /**
   * The resources staged so far, as a filter: a page asks the store which of its resources an earlier page listed
   * only of those the filter may hold (nearly always none).
   */
  private readonly stagedIris = new IriFilter();
  /** Whether we held nothing of the peer when the run started (a first snapshot): no page looks up what we hold. */
  private holdsNothing: Promise<boolean> | undefined;
  /**
   * The enterprises and addresses a first snapshot staged so far, for the index rows of its later pages' items
   * (a page names its farm, which an earlier page held); undefined once the run does not compute index rows.
   */
  private profiles: Map<string, SourcedRecord> | undefined = new Map();
  /** The records staged to write, while they are few (see {@link FRESH_LIMIT}); undefined past it. */
  private fresh: PlannedResource[] | undefined = [];
  /** The rows of the run, while it keeps them in memory (see {@link MEMORY_ROWS}); undefined once it stages in the store. */
  private memory: StagedResource[] | undefined = [];
  /** The `@id`s of {@link memory}. */
  private readonly memoryIris = new Set<string>();
  /** Most rows {@link memory} holds: the engine's bound, never past {@link MEMORY_ROWS}. */
  private readonly memoryRows: number;

  /**
   * The store's id of the run, once a page was staged: a snapshot whose every page is answered 304 stages nothing,
   * and writes nothing.
   */
  private runId: number | undefined;

  /**
   * Prepares a run of a peer's snapshot.
   *
   * @param parts - the sync's parts
   * @param run - the peer and the run
   */
  public constructor(
    private readonly parts: SyncParts,
    private readonly run: SyncRun,
  ) {
    this.memoryRows = Math.min(parts.memoryRows ?? MEMORY_ROWS, MEMORY_ROWS);
  }

  /** The run's id in the store, starting it (and dropping what a dead run of the peer left staged) on first use. */
  private async started(): Promise<number> {
    this.runId ??= await this.parts.provenance.beginRun(this.run.peer.id, this.run.startedAt.toISOString());
    return this.runId;
  }

  /**
   * A page answered 304: what it listed last time is listed still (and wins over a later page listing it too).
   *
   * @param url - the page
   */
  public unchangedPage(url: string): void {
    this.notModified.add(url);
  }

  /**
   * Notes a page the peer would not give this time (an enterprise's catalogue answered 401, 403 or 404): what it
   * listed before stays as it was, neither updated nor missing, as for a page answered 304.
   */
  public unreadablePage(url: string): void {
    this.notModified.add(url);
  }

  /**
   * Merges one decoded page and starts staging what it lists: the staging goes on while the caller fetches the next
   * page (at most one page is being staged; its failure fails the next call, or {@link finish}).
   *
   * @param url - the page
   * @param records - its records, as kept
   * @param serialised - their JSON and hashes, when a worker thread made them (`PageReading.serialised`)
   */
  public async page(url: string, records: readonly DfcRecord[], serialised?: Serialised): Promise<void> {
    const { provenance } = this.parts;
    await this.pending;
    // Begun in the store even when kept in memory: the run's row is what tells its end that no later run of the peer
    // (nor its removal) took over meanwhile.
    const runId = await this.started();
    const ids = [...new Set(records.map((r) => r.id).filter((id) => !id.startsWith('_:')))];
    // Asked once, before anything is staged: a write of the peer's records by another path meanwhile (its feed) is
    // upserted over by this run, as any record held.
    this.holdsNothing ??= provenance.holdsAny(this.run.peer.id).then((any) => !any);
    const maybeStaged = ids.filter((id) => this.stagedIris.mayHave(id));
    // What we hold of this page's resources only, and which of them an earlier page listed.
    const [held, staged] = await Promise.all([
      (await this.holdsNothing) ? new Map<string, HeldResource>() : provenance.heldOf(this.run.peer.id, ids),
      maybeStaged.length === 0 ? new Set<string>() : this.stagedAmong(runId, maybeStaged),
    ]);
    const listedUnchanged = (h: HeldResource | undefined): boolean => h !== undefined && isListed(h) && this.notModified.has(h.sourceUrl);
    const plan = planPage({
      peerOrigin: this.run.peer.origin, ownBase: this.parts.ownBase, held, seen: (iri) => staged.has(iri) || listedUnchanged(held.get(iri)),
    }, { url, records, ...(serialised !== undefined ? { serialised } : {}) });
    if (!(await this.holdsNothing)) this.profiles = undefined;
    const entries = this.entriesOf(plan.upsert);
    // The upserts are some of the resources seen, in the same order: each is found by walking both, without a map of
    // them. Its row holds a copy of its fields, not the upsert: the record is dropped with the page, not kept while
    // the row is staged (during the next page's decoding, where it would be copied by every scavenge).
    let next = 0;
    const rows: StagedResource[] = plan.seen.map((iri) => {
      const upsert = plan.upsert[next];
      if (upsert?.iri !== iri) return { iri };
      next++;
      const write = { kind: upsert.kind, json: upsert.json, hash: upsert.hash, authoritative: upsert.authoritative, sourceUrl: upsert.sourceUrl };
      return entries !== undefined && upsert.kind === 'CatalogItem' ? { iri, write, entry: entries.get(iri) ?? null } : { iri, write };
    });
    for (const row of rows) this.stagedIris.add(row.iri);
    this.pending = this.stage(runId, rows);
    this.staged += rows.length;
    this.upserts += plan.upsert.length;
    this.fresh = this.upserts > FRESH_LIMIT ? undefined : this.fresh?.concat(plan.upsert);
    this.added += plan.added;
    this.updated += plan.updated;
    this.unchanged += plan.unchanged;
    this.ownSkipped += plan.ownSkipped;
    // Items naming another origin's enterprise as their seller are kept (listed under no enterprise), and counted.
    this.refused += plan.refused.length + misattributions(records).length;
    // Counted in `refused` all the same; the quarantine keeps no more than its first ones.
    for (const problem of plan.refused) if (this.refusedProblems.length < MAX_QUARANTINED) this.refusedProblems.push(problem);
  }

  /** Which of these `@id`s an earlier page staged. */
  private async stagedAmong(runId: number, iris: readonly string[]): Promise<Set<string>> {
    if (this.memory !== undefined) return new Set(iris.filter((iri) => this.memoryIris.has(iri)));
    return this.parts.provenance.stagedAmong(runId, iris);
  }

  /**
   * Keeps a page's rows in memory while the run's rows are few enough; past that, stages them in the store with
   * those kept so far (the write goes on while the next page is fetched: its failure fails the next call).
   */
  private stage(runId: number, rows: readonly StagedResource[]): Promise<void> {
    const kept = this.memory;
    if (kept !== undefined && kept.length + rows.length <= this.memoryRows) {
      for (const row of rows) {
        kept.push(row);
        this.memoryIris.add(row.iri);
      }
      return Promise.resolve();
    }
    this.memory = undefined;
    this.memoryIris.clear();
    const staging = this.parts.provenance.stage(runId, kept === undefined ? rows : [...kept, ...rows]);
    // Handled when awaited; never an unhandled rejection meanwhile.
    staging.catch(() => undefined);
    return staging;
  }

  /**
   * The index rows of a first snapshot's page, computed while its records are in memory (from them and the
   * enterprises and addresses of earlier pages); undefined, and none for the rest of the run, once an item links to a
   * record they do not hold (the end rebuilds the index from the records, as for any snapshot).
   */
  private entriesOf(upsert: readonly PlannedResource[]): Map<string, SourcedEntry | null> | undefined {
    const profiles = this.profiles;
    if (profiles === undefined) return undefined;
    const page = new Map<string, SourcedRecord>(upsert.map((r) => [r.iri, { record: r.record, authoritative: r.authoritative }]));
    const entries = linkedEntries([...page.values()], (iri) => page.get(iri) ?? profiles.get(iri));
    for (const r of upsert) if (r.kind === 'Enterprise' || r.kind === 'Address') profiles.set(r.iri, { record: r.record, authoritative: r.authoritative });
    if (entries === undefined || profiles.size > PROFILE_LIMIT) {
      this.profiles = undefined;
      return undefined;
    }
    return entries;
  }

  /**
   * Applies the run in one transaction (or writes nothing when nothing changed), then tells the `onApplied` hook
   * of the records written, a chunk at a time.
   *
   * @param end - the validators, quarantine and counts of the fetch
   */
  public async finish(end: SnapshotEnd): Promise<PeerSyncOutcome> {
    const { provenance } = this.parts;
    const { peer, started, startedAt } = this.run;
    const { known, sources, quarantine, notModified, bytes } = end;
    await this.pending;
    const wireBytes = end.wireBytes ?? bytes;
    const failed = (f: Failure): PeerSyncOutcome => ({ ok: false, peer, failure: f });
    // The last page may have been decoded past the deadline: a sync over its budget applies nothing.
    if (pastDeadline(this.run)) return failed(overBudget(this.run, peer.url));
    for (const refused of this.refusedProblems) {
      quarantine.set(refused.id ?? '', { iri: refused.id ?? '', type: refused.type, problems: [refused] });
    }
    const sourcesChanged = [...sources].some(([url, v]) => known.get(url)?.etag !== v.etag || known.get(url)?.lastModified !== v.lastModified)
      || known.size !== sources.size;
    // Pages answered 304 (or not given) were not decoded again: their quarantined records stay quarantined.
    const unreadable = end.unreadable ?? [];
    const replaceQuarantine = notModified === 0 && unreadable.length === 0;
    const quarantineChanged = replaceQuarantine ? quarantine.size > 0 || (await provenance.quarantine(peer.id)).length > 0 : quarantine.size > 0;
    const now = startedAt.toISOString();
    // No run without a page staged: its id is none that exists (nothing staged under it).
    const applied = await provenance.applyRun(peer.id, this.runId ?? 0, {
      sources, changed: sourcesChanged || quarantineChanged, quarantine: [...quarantine.values()], replaceQuarantine,
      notModified: [...this.notModified], staged: this.staged, upserts: this.upserts, now, withdrawal: withdrawalCutoff(now, this.parts.graceMs),
      // Every page computed its items' index rows: only a first snapshot's pages do (the store checks it is one still).
      indexed: this.profiles !== undefined && this.holdsNothing !== undefined && await this.holdsNothing,
      ...(this.fresh !== undefined ? { fresh: this.fresh } : {}),
      ...(this.memory !== undefined ? { rows: this.memory } : {}),
    });
    if (applied.written) await this.tellApplied();
    return {
      ok: true,
      peer,
      summary: {
        added: this.added, updated: this.updated, unchanged: this.unchanged, withdrawn: applied.withdrawn,
        quarantined: quarantine.size, refused: this.refused, pages: end.pages, notModified, bytes, wireBytes,
        ...(unreadable.length > 0 ? { unreadable: { count: unreadable.length, urls: unreadable.slice(0, MAX_UNREADABLE_SHOWN) } } : {}),
        ...(this.ownSkipped > 0 ? { ownSkipped: this.ownSkipped } : {}),
        ms: Date.now() - started,
      },
    };
  }

  /** Whether the `onApplied` hook wants the records (true when it cannot tell, or fails to). */
  private async wanted(): Promise<boolean> {
    try {
      return await (this.parts.appliedWanted?.() ?? true);
    } catch {
      return true;
    }
  }

  /** Tells the hook of the records the run wrote, read back from the staging a chunk at a time. */
  private async tellApplied(): Promise<void> {
    const { onApplied, provenance } = this.parts;
    const { runId } = this;
    if (onApplied === undefined || this.upserts === 0 || runId === undefined) return;
    // Nothing for the hook to do (no listing at all): the records are not read back. A listing made after this
    // answer fetches its origin itself.
    if (await this.wanted() === false) return;
    const tell = async (records: readonly DfcRecord[]): Promise<void> => {
      try {
        await onApplied(this.run.peer.id, records);
      } catch {
        // The hook reports its own failures; the peer's data is applied whatever it does.
      }
    };
    if (this.fresh !== undefined) {
      for (let i = 0; i < this.fresh.length; i += TELL_CHUNK) await tell(this.fresh.slice(i, i + TELL_CHUNK).map((r) => r.record));
      return;
    }
    for (let after = 0; ;) {
      const chunk = await provenance.stagedRecords(runId, after, TELL_CHUNK);
      const last = chunk[chunk.length - 1];
      if (last === undefined) return;
      after = last.seq;
      await tell(chunk.map((r) => r.record));
    }
  }

  /** Drops the run and what it staged, applied or not: a failure here leaves it to the next run of the peer. */
  public async end(): Promise<void> {
    try {
      await this.pending.catch(() => undefined);
      if (this.runId !== undefined) await this.parts.provenance.endRun(this.runId);
    } catch {
      // Cleared at the peer's next sync, or at start-up.
    }
  }
}
