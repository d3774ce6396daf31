/**
 * The SQLite implementation of {@link ProvenanceStore}: peers and their sync state, what each peer said,
 * the validators of the pages fetched, and quarantined records.
 *
 * A snapshot is applied in one transaction with multi-row statements (a 1,000-offer peer is a few dozen
 * statements, not thousands), and the peer's rows of the federated index are rebuilt in the same
 * transaction, so a reader never sees a half-applied peer.
 *
 * @packageDocumentation
 */
import { forgetPeerCursor } from './feed-store.js';
import type { Problem } from '../../errors/problem.js';
import type { DfcRecord } from '../../../ontology/records.js';
import {
  MAX_QUARANTINED,
  type HeldResource, type NewPeer, type PeerChanges, type PeerRow, type ProvenanceStore, type QuarantinedRecord, type RunApplied, type RunWrite,
  type SnapshotWrite, type SourceValidators, type StagedResource, type SyncMark, type SyncSummary,
} from '../federation.js';
import { inChunks, insertMany } from './chunks.js';
import { KeyedReads } from './keyed-reads.js';
import type { Batchable, BatchOutcome, BatchRunner, SqlConnection, SqliteDatabase, SqlValue } from './database.js';
import { freshIdSql } from './fresh-ids.js';
import {
  dropPeerRows, indexPeerSnapshot, isWholePeer, peerDependents, reindexDependents, indexStagedRun, reindexPeer, revouchOrigin, SCOPED_CHANGES, stagedEntry,
  unvouchedItems, wellFormedJson, wholePeerSql, type StagingTable,
} from './federated-index.js';

/**
 * A chunk of a page's staged rows as the parameters of {@link STAGE_SQL}: for each row, a JSON text of its columns
 * but the record (`@id`, kind, hash, authoritative (0 or 1), source URL, and a catalog item's index row and
 * `owl:sameAs` targets (see {@link stagedEntry}; null when none)), then the record's own JSON text (null when held
 * unchanged). The record is bound as it is, not written as a string inside the row's JSON: that escaped every quote
 * of every record on the main thread, and SQLite unescaped them again (the record is most of a row's bytes). The
 * row's texts are made well-formed as binding them would; a record's JSON is well-formed already.
 *
 * @param rows - the chunk's rows, in page order
 */
export function stagingParams(rows: readonly StagedResource[]): SqlValue[] {
  const params: SqlValue[] = [];
  for (const r of rows) {
    const entry = r.entry == null ? undefined : stagedEntry(r.entry);
    const w = r.write;
    params.push(wellFormedJson([r.iri, w?.kind ?? '', w?.hash ?? '', w?.authoritative === true ? 1 : 0, w?.sourceUrl ?? '', entry?.values ?? null,
      entry?.sameAs ?? null]), w?.json ?? null);
  }
  return params;
}

/**
 * The staging of the runs staged in the store, page by page: the tables of the staging database (see
 * {@link SqliteDatabase.open}'s `staging`), made when it is attached; as `sync_staging` was in the main database
 * until migration 41. Named without their database elsewhere: the main database has no table of these names.
 */
export const STAGING_DDL = `
  CREATE TABLE IF NOT EXISTS staging.sync_staging (
    seq           INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL,
    iri           TEXT NOT NULL,
    kind          TEXT NOT NULL,
    -- Checked as peer_resources checks it, once, as the page is staged: the run's end copies it unchecked (see STAGED_CHECKED).
    record        TEXT CHECK (record IS NULL OR json_valid(record)),
    hash          TEXT NOT NULL,
    authoritative INTEGER NOT NULL CHECK (authoritative IN (0, 1)),
    source_url    TEXT NOT NULL,
    entries       TEXT,
    same_as       TEXT,
    UNIQUE (run_id, iri)
  );
  CREATE INDEX IF NOT EXISTS staging.sync_staging_same_as ON sync_staging (run_id) WHERE same_as IS NOT NULL;`;

/**
 * Whether the store's staging checks what `peer_resources` checks of a row (its record is JSON, its `authoritative` 0
 * or 1): a staging made before its record was checked (a file kept from an older version, `CREATE TABLE IF NOT EXISTS`
 * leaving it as it was) does not, and its rows are checked as they enter `peer_resources`.
 */
const STAGED_CHECKED = `SELECT 1 AS x FROM staging.sqlite_master WHERE name = 'sync_staging' AND sql LIKE '%json_valid(record)%'
  AND sql LIKE '%CHECK (authoritative IN (0, 1))%'`;

/**
 * Once the main database is migrated, on the writer: a run deleted (a later run of its peer, the peer removed, a stale
 * run at start-up) takes its staged rows with it, as the trigger of migration 34 did (a trigger of the main database
 * cannot name another database's table: a temporary one of the writer can). With no run left, whatever is staged is
 * a dead run's (a crash between the commits of the two databases): dropped.
 */
export async function prepareStaging(tx: SqlConnection): Promise<void> {
  await tx.exec(`CREATE TEMP TRIGGER IF NOT EXISTS sync_runs_staging_gone AFTER DELETE ON main.sync_runs BEGIN
    DELETE FROM staging.sync_staging WHERE run_id = old.id;
  END;`);
  if ((await tx.get('SELECT 1 AS x FROM sync_runs LIMIT 1')) === undefined) await tx.run('DELETE FROM staging.sync_staging');
}

/**
 * The staging of a run that kept its rows in memory (see {@link RunWrite.rows}): a temporary table of the writer's
 * connection, with the columns and indexes of `sync_staging`. Staged in the apply's own transaction and emptied
 * before it commits, it is not in the write-ahead log: a run staged in the store wrote its rows to the log twice
 * (staged, then deleted with the run), in transactions of their own. Measured on a national sync of 300 peers, a
 * page each: 8.9 GB written to disk instead of 11.5 GB; the time is the same (staging is SQLite's CPU either way).
 */
const MEMORY_STAGING: StagingTable = 'memory_staging';

const MEMORY_STAGING_DDL = `
  CREATE TEMP TABLE IF NOT EXISTS ${MEMORY_STAGING} (
    seq INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, iri TEXT NOT NULL, kind TEXT NOT NULL, record TEXT, hash TEXT NOT NULL,
    authoritative INTEGER NOT NULL, source_url TEXT NOT NULL, entries TEXT, same_as TEXT, UNIQUE (run_id, iri));
  CREATE INDEX IF NOT EXISTS temp.${MEMORY_STAGING}_same_as ON ${MEMORY_STAGING} (run_id) WHERE same_as IS NOT NULL;`;

/**
 * Runs `write` with the connection's CHECK constraints off (`PRAGMA ignore_check_constraints`), and on again after it
 * whatever happens: for a copy of rows checked already. The writer runs one transaction at a time, and nothing else
 * in it meanwhile; SQLite prepares its statements again after each change of the setting.
 */
async function uncheckedFor(tx: SqlConnection, write: () => Promise<unknown>): Promise<void> {
  await tx.exec('PRAGMA ignore_check_constraints = ON');
  try {
    await write();
  } finally {
    await tx.exec('PRAGMA ignore_check_constraints = OFF');
  }
}

/**
 * Rows staged by one statement. A page's 3,000 rows in one statement were allocations big enough to stay in the
 * allocator of the thread that freed them: measured, 40–60 MB more at the peak of a 200,000-offer sync than this.
 */
const STAGING_CHUNK = 250;

/**
 * Stages `rows` rows, each two parameters (see {@link stagingParams}), in their order (the first page that lists a
 * resource wins: a later listing is ignored, as the merge skips it). A catalog item's index row is kept as JSONB
 * (SQLite's parsed form): the end reads its 27 values without parsing its text again (`indexStagedRun`; measured on
 * a 50,000-offer run, 0.5 s of SQLite's CPU of its 2.5 s insert into the index).
 */
function stageSql(rows: number, table: StagingTable = 'sync_staging', ifRunOf = false): string {
  const values = Array.from({ length: rows }, (_, i) => `(${i}, ?, ?)`).join(', ');
  // `ifRunOf`: only while the run's row is there, for its peer (two more parameters, the run's id and its peer's), and
  // rows of nulls left out (the padding of a statement kept for runs of several sizes: see memoryStagingStatements).
  return `INSERT INTO ${table} (run_id, iri, kind, record, hash, authoritative, source_url, entries, same_as)
    SELECT ?, v.column2 ->> 0, v.column2 ->> 1, v.column3, v.column2 ->> 2, v.column2 ->> 3, v.column2 ->> 4, jsonb_extract(v.column2, '$[5]'),
      v.column2 ->> 6
    FROM (VALUES ${values}) v${ifRunOf ? ' WHERE v.column2 IS NOT NULL AND EXISTS (SELECT 1 FROM sync_runs r WHERE r.id = ? AND r.peer_id = ?)' : ''}
    ORDER BY v.column1
    ON CONFLICT (run_id, iri) DO NOTHING`;
}

/** The statement of a whole chunk, made once. */
const STAGE_SQL = stageSql(STAGING_CHUNK);

/** Stages rows into a staging table under a run, a chunk a statement, in their order. */
async function stageRows(tx: SqlConnection, table: StagingTable, runId: number, rows: readonly StagedResource[]): Promise<void> {
  for (let i = 0; i < rows.length; i += STAGING_CHUNK) {
    const chunk = rows.slice(i, i + STAGING_CHUNK);
    await tx.run(chunk.length === STAGING_CHUNK ? STAGE_SQL : stageSql(chunk.length, table), [runId, ...stagingParams(chunk)]);
  }
}

/**
 * Rows of a run kept in memory staged by one statement: all of a run's (at most the engine's 5,000, two parameters
 * each, well under SQLite's 32,766). Each statement of the apply's transaction waits, once SQLite has run it, for a
 * turn of the main thread before the next is sent, and the main thread decodes other peers' pages meanwhile (tens of
 * milliseconds at a time): measured on a 200-peer national sync, the twelve statements of 250 rows of each peer
 * left the writer idle in its transactions 15.8 s of 89 s.
 */
const MEMORY_STAGING_CHUNK = 5000;

/**
 * The parameters of each statement that stages a run kept in memory ({@link MEMORY_STAGING_CHUNK} rows each), the
 * first checking that the run is still the peer's (see {@link stageSql}'s `ifRunOf`): computed before the transaction
 * begins, so that nothing is computed between its statements.
 */
function memoryStagingStatements(peerId: number, runId: number, rows: readonly StagedResource[]): { sql: string; params: SqlValue[] }[] {
  const statements: { sql: string; params: SqlValue[] }[] = [];
  for (let i = 0; i < rows.length; i += MEMORY_STAGING_CHUNK) {
    const chunk = rows.slice(i, i + MEMORY_STAGING_CHUNK);
    // Padded with rows of nulls (left out by the statement) to the next of a few sizes, each statement kept prepared:
    // compiled for each run, the statement of a national peer's 3,000 rows cost SQLite's time in the transaction,
    // and one more turn of the main thread before it ran.
    const size = MEMORY_STAGING_SIZES.find((n) => n >= chunk.length) ?? chunk.length;
    const padding = new Array<SqlValue>(2 * (size - chunk.length)).fill(null);
    statements.push({ sql: memoryStageSql(size), params: [runId, ...stagingParams(chunk), ...padding, runId, peerId] });
  }
  return statements;
}

/** The sizes (rows) of the statements that stage a run kept in memory: each kept prepared once used. */
const MEMORY_STAGING_SIZES = [16, 64, 256, 1024, 2048, 3072, 4096, MEMORY_STAGING_CHUNK];

/** The statements of {@link MEMORY_STAGING_SIZES}, made once. */
const MEMORY_STAGE_SQL = new Map<number, string>();

function memoryStageSql(rows: number): string {
  let sql = MEMORY_STAGE_SQL.get(rows);
  if (sql === undefined) {
    sql = stageSql(rows, MEMORY_STAGING, true);
    MEMORY_STAGE_SQL.set(rows, sql);
  }
  return sql;
}

/** The kind of commit the applies of runs share ({@link SqliteDatabase.transaction}'s `shares`). */
const APPLY_KIND = 'sync-apply';

/** A sync run to begin ({@link SqliteProvenanceStore.beginRun}). */
interface RunBegun {
  readonly peerId: number;
  readonly startedAt: string;
}

/**
 * Begins sync runs of distinct peers in one statement, each run's id its outcome. Migration 44's trigger removes each
 * peer's earlier run as its new one is inserted. A peer removed meanwhile fails the statement as a whole (its foreign
 * key): each run is then begun alone, and only that one fails.
 */
const beginRuns: BatchRunner<RunBegun> = async (tx, parts) => {
  const rows = await tx.all<{ id: number; peer_id: number }>(
    'INSERT INTO sync_runs (peer_id, started_at) SELECT value ->> 0, value ->> 1 FROM json_each(?) RETURNING id, peer_id',
    [JSON.stringify(parts.map((p) => [p.peerId, p.startedAt]))]);
  const ids = new Map(rows.map((r) => [r.peer_id, r.id]));
  return parts.map((p): BatchOutcome => {
    const id = ids.get(p.peerId);
    return id === undefined ? { error: new Error(`sync run of peer ${p.peerId} not begun`) } : { value: id };
  });
};

/**
 * Ends sync runs that staged nothing in the store, in one statement: their rows go (the writer's trigger on deleted
 * runs finds no staged row of theirs through the staging's (run_id, iri) index).
 */
const endRuns: BatchRunner<number> = async (tx, runIds) => {
  await tx.run('DELETE FROM sync_runs WHERE id IN (SELECT value FROM json_each(?))', [JSON.stringify(runIds)]);
  return runIds.map((): BatchOutcome => ({ value: undefined }));
};

/** The conditions of the merge's `planAbsence` over `peer_resources`, each with its parameters. */
interface Absence {
  readonly withdrawn: Condition;
  readonly missing: Condition;
  readonly restored: Condition;
  /** Whether any row is one of the three. */
  readonly any: Condition;
}

/** A condition on rows of `peer_resources`, with its parameters. */
interface Condition {
  readonly where: string;
  readonly params: SqlValue[];
}

/** That a row of `peer_resources` is one a run staged, in a staging table. */
function stagedIn(table: StagingTable, runId: number): Condition {
  return { where: `EXISTS (SELECT 1 FROM ${table} s WHERE s.run_id = ? AND s.iri = peer_resources.iri)`, params: [runId] };
}

/** That a row of `peer_resources` is one of these `@id`s (for a connection that cannot see the writer's staging). */
function amongIris(iris: readonly string[]): Condition {
  return { where: 'peer_resources.iri IN (SELECT value FROM json_each(?))', params: [JSON.stringify(iris)] };
}

/**
 * The rows a run's end changes besides its records, as SQL: the merge's `planAbsence` over rows it never loads. A row
 * is listed when a page answered 304 listed it last time (checked first: no lookup) or the run staged it.
 */
function absence(peerId: number, stagedIn: Condition, write: RunWrite): Absence {
  const urls = write.notModified.map(() => '?').join(',');
  const byUnchangedPage = `(missing_since IS NULL AND withdrawn_at IS NULL AND source_url IN (${urls}))`;
  const staged = stagedIn.where;
  const listed = `(${byUnchangedPage} OR ${staged})`;
  const listedParams = [...write.notModified, ...stagedIn.params];
  const { cutoff, immediately } = write.withdrawal;
  return {
    // Before `missing` is applied: a resource that goes missing now is withdrawn at once only without grace.
    withdrawn: {
      where: `peer_id = ? AND withdrawn_at IS NULL AND ((missing_since IS NULL AND ?) OR missing_since <= ?) AND NOT ${listed}`,
      params: [peerId, immediately ? 1 : 0, cutoff, ...listedParams],
    },
    missing: { where: `peer_id = ? AND missing_since IS NULL AND NOT ${listed}`, params: [peerId, ...listedParams] },
    // Listed again: by a page decoded (a page answered 304 lists only what it listed already).
    restored: { where: `peer_id = ? AND (missing_since IS NOT NULL OR withdrawn_at IS NOT NULL) AND ${staged}`, params: [peerId, ...stagedIn.params] },
    // One pass over the peer's rows, the cheapest test first (a warm sync of a big peer answered 304 throughout).
    any: {
      where: `peer_id = ? AND CASE WHEN ${byUnchangedPage} THEN 0 WHEN ${staged} THEN (missing_since IS NOT NULL OR withdrawn_at IS NOT NULL)
        ELSE (missing_since IS NULL OR (withdrawn_at IS NULL AND missing_since <= ?)) END`,
      params: [peerId, ...write.notModified, ...stagedIn.params, cutoff],
    },
  };
}

/** Writes the validators of the pages fetched. */
async function writeSources(tx: SqlConnection, peerId: number, sources: ReadonlyMap<string, SourceValidators>, now: string): Promise<void> {
  for (const [url, v] of sources) {
    await tx.run(
      `INSERT INTO peer_sources (peer_id, url, etag, last_modified, fetched_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (peer_id, url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, fetched_at = excluded.fetched_at`,
      [peerId, url, v.etag, v.lastModified, now]);
  }
}

interface PeerSql {
  id: number; name: string; url: string; origin: string; token: string | null; token_header: string; profile: string; kind: string; interval_s: number;
  created_at: string; status: string; last_attempt_at: string | null; last_success_at: string | null; next_attempt_at: string | null;
  failures: number; last_error: string | null; last_summary: string | null; sync_started_at: string | null;
}

function peerRow(row: PeerSql): PeerRow {
  return {
    id: row.id, name: row.name, url: row.url, origin: row.origin, token: row.token,
    tokenHeader: row.token_header === 'x-api-token' ? 'x-api-token' : 'authorization',
    profile: row.profile === 'dfc-v2' ? 'dfc-v2' : 'dfc-v1', kind: row.kind === 'solid' ? 'solid' : 'dfc', intervalSeconds: row.interval_s, createdAt: row.created_at,
    status: row.status, syncingSince: row.sync_started_at, lastAttemptAt: row.last_attempt_at, lastSuccessAt: row.last_success_at, nextAttemptAt: row.next_attempt_at,
    failures: row.failures, lastError: row.last_error, lastSummary: row.last_summary === null ? null : (JSON.parse(row.last_summary) as SyncSummary),
  };
}

/**
 * Adds records to a peer's quarantine (a record quarantined again replaces its entry), and keeps the newest
 * {@link MAX_QUARANTINED} of them: a peer followed through its change feed quarantines a few more with each sync.
 */
async function keepQuarantined(tx: SqlConnection, peerId: number, quarantined: readonly Omit<QuarantinedRecord, 'seenAt'>[], now: string): Promise<void> {
  if (quarantined.length === 0) return;
  await insertMany(tx, 'INSERT INTO quarantine (peer_id, iri, type, problems, seen_at)', 5,
    quarantined.slice(0, MAX_QUARANTINED).map((q) => [peerId, q.iri, q.type, JSON.stringify(q.problems), now]),
    'ON CONFLICT (peer_id, iri) DO UPDATE SET type = excluded.type, problems = excluded.problems, seen_at = excluded.seen_at');
  await tx.run(`DELETE FROM quarantine WHERE peer_id = ? AND rowid NOT IN (
    SELECT rowid FROM quarantine WHERE peer_id = ? ORDER BY seen_at DESC, rowid DESC LIMIT ${MAX_QUARANTINED})`, [peerId, peerId]);
}

/** {@link ProvenanceStore} on SQLite. */
export class SqliteProvenanceStore implements ProvenanceStore {
  /**
   * Runs of this process that staged rows in the store (see {@link stage}): their end clears them. The others staged
   * nothing there (the staging holds rows of runs of this process only: what a dead process staged went at start-up),
   * and end by the deletion of their row alone.
   */
  private readonly stagedInStore = new Set<number>();
  /** The writer's {@link MEMORY_STAGING} was made by an apply that committed (see {@link applyRun}). */
  private memoryStagingMade = false;
  /** Runs that applied a big snapshot: the planner's statistics are refreshed when they end. */
  private readonly optimizeAtEnd = new Set<number>();
  /** A big write (a run's end, a big change) left the statistics to refresh once its sync records its attempt. */
  private statisticsDue = false;
  /** The peers at an origin: read for every order a shop places upstream, those of one turn in one statement. */
  private readonly byOrigin: KeyedReads<PeerSql & { has_oidc: number }>;

  public constructor(private readonly db: SqliteDatabase) {
    this.byOrigin = new KeyedReads((origins, marks) => db.reader.all<PeerSql & { has_oidc: number }>(
      `SELECT p.*, EXISTS (SELECT 1 FROM peer_oidc o WHERE o.peer_id = p.id) AS has_oidc FROM peers p WHERE p.origin IN (${marks}) ORDER BY p.id`, origins),
    (row) => row.origin);
  }

  public async addPeer(peer: NewPeer, origin: string): Promise<PeerRow> {
    return this.db.transaction(async (tx) => {
      const result = await tx.run(
        // An id no peer had: past the highest in use and the highest removed (migration 37), so that what named a removed
        // peer (its graph's IRI, `peer:6` in exports, a `peer=6` bookmark) never names another one.
        `INSERT INTO peers (id, name, url, origin, token, token_header, profile, kind, interval_s, created_at)
           VALUES (${freshIdSql('peers', 'peer_id')}, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [peer.name, peer.url, origin, peer.token ?? null, peer.tokenHeader ?? 'authorization', peer.profile ?? 'dfc-v1', peer.kind ?? 'dfc',
          peer.intervalSeconds ?? 300, new Date().toISOString()],
      );
      return peerRow((await tx.get<PeerSql>('SELECT * FROM peers WHERE id = ?', [result.lastID])) as PeerSql);
    });
  }

  public async listPeers(): Promise<PeerRow[]> {
    return (await this.db.reader.all<PeerSql>('SELECT * FROM peers ORDER BY id')).map(peerRow);
  }

  public async peersAt(origin: string): Promise<(PeerRow & { readonly oidc: boolean })[]> {
    const rows = await this.byOrigin.all(origin);
    return rows.map((row) => ({ ...peerRow(row), oidc: row.has_oidc === 1 }));
  }

  public async getPeer(idOrName: string | number): Promise<PeerRow | undefined> {
    const row = typeof idOrName === 'number' || /^\d+$/u.test(idOrName)
      ? await this.db.reader.get<PeerSql>('SELECT * FROM peers WHERE id = ?', [Number(idOrName)])
      : await this.db.reader.get<PeerSql>('SELECT * FROM peers WHERE name = ?', [idOrName]);
    return row === undefined ? undefined : peerRow(row);
  }

  public async updatePeer(id: number, changes: PeerChanges): Promise<PeerRow | undefined> {
    const columns: readonly [string, string | number | null | undefined][] = [
      ['name', changes.name], ['token', changes.token], ['token_header', changes.tokenHeader], ['profile', changes.profile],
      ['interval_s', changes.intervalSeconds],
    ];
    const given = columns.filter(([, value]) => value !== undefined);
    const sets = given.map(([column]) => `${column} = ?`);
    const values = given.map(([, value]) => value ?? null);
    const dueNow = changes.token !== undefined || changes.tokenHeader !== undefined || changes.profile !== undefined;
    if (dueNow) sets.push('next_attempt_at = NULL');
    return this.db.transaction(async (tx) => {
      if (!dueNow && changes.intervalSeconds !== undefined) {
        const next = await tx.get<{ last_attempt_at: string | null; next_attempt_at: string | null }>(
          'SELECT last_attempt_at, next_attempt_at FROM peers WHERE id = ?', [id]);
        const sooner = next === undefined ? undefined : nextAttemptWithin(next.last_attempt_at, next.next_attempt_at, changes.intervalSeconds);
        if (sooner !== undefined) {
          sets.push('next_attempt_at = ?');
          values.push(sooner);
        }
      }
      if (changes.token !== undefined || changes.tokenHeader !== undefined) {
        // What a peer lets us read depends on the credential: records a new one allows (a private enterprise) were
        // never in the versions we read past, so the feed cursor goes, and the next sync reads the peer whole (as
        // after a lost cursor), then follows its feed again. The same credential given again keeps the cursor.
        const current = await tx.get<{ token: string | null; token_header: string }>('SELECT token, token_header FROM peers WHERE id = ?', [id]);
        if (current !== undefined && ((changes.token !== undefined && changes.token !== current.token)
          || (changes.tokenHeader !== undefined && changes.tokenHeader !== current.token_header))) {
          await forgetPeerCursor(tx, id);
        }
      }
      if (sets.length > 0) await tx.run(`UPDATE peers SET ${sets.join(', ')} WHERE id = ?`, [...values, id]);
      const row = await tx.get<PeerSql>('SELECT * FROM peers WHERE id = ?', [id]);
      return row === undefined ? undefined : peerRow(row);
    });
  }

  public async removePeer(id: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      // Other peers' rows that took this peer's word for an enterprise (a relay of it, a second peer on its origin with
      // a higher id) take their own again once it is gone, not the name it gave until their next sync.
      const dependents = await peerDependents(tx, id);
      const was = await isWholePeer(tx, id);
      await dropPeerRows(tx, id);
      const result = await tx.run('DELETE FROM peers WHERE id = ?', [id]);
      await reindexDependents(tx, dependents);
      // The relays' items it hid (its origin, followed whole, did not publish them) are shown again, as the relays say.
      if (was?.whole === true) await revouchOrigin(tx, was.origin);
      return result.changes > 0;
    }, { alone: true });
  }

  public async postponeAttempt(id: number, expected: { at: string | null; error: string; failures: number }, nextAttemptAt: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const changed = await tx.run(
        'UPDATE peers SET next_attempt_at = ? WHERE id = ? AND last_error = ? AND last_attempt_at IS ? AND failures = ?',
        [nextAttemptAt, id, expected.error, expected.at, expected.failures],
      );
      return changed.changes > 0;
    });
  }

  public async recordAttempt(id: number, state: {
    status: 'ok' | 'failed' | 'stopped'; at: string; nextAttemptAt: string; failures: number; error: string | null; summary: SyncSummary | null;
    intervalSeconds?: number; owner: string;
  }): Promise<boolean> {
    try {
      return await this.recordedAttempt(id, state);
    } finally {
      // The sync that wrote much reports done now; the refresh of the statistics follows it (see refreshStatistics).
      if (this.statisticsDue) {
        this.statisticsDue = false;
        this.refreshStatistics();
      }
    }
  }

  private async recordedAttempt(id: number, state: Parameters<SqliteProvenanceStore['recordAttempt']>[1]): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      // The interval and whether the peer is whole before the attempt is recorded, in one statement.
      const peer = await tx.get<{ interval_s: number; whole: number }>(`SELECT p.interval_s, (${wholePeerSql('p')}) AS whole FROM peers p WHERE p.id = ?`, [id]);
      if (peer === undefined) return false;
      // The interval made shorter during the attempt (a PATCH while it ran): the attempt's own, older, does not stand.
      const shorter = state.intervalSeconds !== undefined && peer.interval_s < state.intervalSeconds;
      const next = (shorter ? nextAttemptWithin(state.at, state.nextAttemptAt, peer.interval_s) : undefined) ?? state.nextAttemptAt;
      // Only this attempt's own mark is cleared: another process's (which took over a mark it deemed gone) is a sync
      // still running, and the peer keeps reading as syncing until that process records its own end.
      // Whether it is whole after, from the row as updated.
      const now = await tx.get<{ whole: number; origin: string }>(
        `UPDATE peers SET status = ?, last_attempt_at = ?, next_attempt_at = ?, failures = ?, last_error = ?,
           last_success_at = CASE WHEN ? = 'ok' THEN ? ELSE last_success_at END,
           last_summary = COALESCE(?, last_summary),
           sync_started_at = CASE WHEN sync_owner = ? THEN NULL ELSE sync_started_at END,
           sync_owner = CASE WHEN sync_owner = ? THEN NULL ELSE sync_owner END
         WHERE id = ? RETURNING (${wholePeerSql('peers')}) AS whole, origin`,
        [state.status, state.at, next, state.failures, state.error, state.status, state.at,
          state.summary === null ? null : JSON.stringify(state.summary), state.owner, state.owner, id],
      );
      // Followed whole from now on (its first sync, every catalogue read again), or no longer: the relays' items under
      // its origin that it does not publish are hidden, or shown again.
      if (now !== undefined && (now.whole === 1) !== (peer.whole === 1)) await revouchOrigin(tx, now.origin);
      return true;
    });
  }

  public async markSyncing(
    id: number, state: { at: string; owner: string; nextAttemptAt: string }, gone: (owner: string | null, since: string) => boolean,
  ): Promise<SyncMark> {
    // Read and written in one transaction (the writer's BEGIN IMMEDIATE): two processes marking the same peer at once
    // are serialized, and the second finds the first's mark.
    return this.db.transaction(async (tx): Promise<SyncMark> => {
      const mark = await tx.get<{ sync_started_at: string | null; sync_owner: string | null }>('SELECT sync_started_at, sync_owner FROM peers WHERE id = ?', [id]);
      if (mark === undefined) return { state: 'removed' };
      if (mark.sync_started_at !== null && mark.sync_owner !== state.owner && !gone(mark.sync_owner, mark.sync_started_at)) {
        return { state: 'held', owner: mark.sync_owner, since: mark.sync_started_at };
      }
      await tx.run('UPDATE peers SET sync_started_at = ?, sync_owner = ?, next_attempt_at = ? WHERE id = ?', [state.at, state.owner, state.nextAttemptAt, id]);
      return { state: 'marked' };
    });
  }

  public async settleUnfinished(gone: (owner: string | null, since: string) => boolean, error: string, peerId?: number): Promise<number[]> {
    return this.db.transaction(async (tx) => {
      const marks = await tx.all<{ id: number; sync_started_at: string; sync_owner: string | null }>(
        `SELECT id, sync_started_at, sync_owner FROM peers WHERE sync_started_at IS NOT NULL${peerId === undefined ? '' : ' AND id = ?'}`,
        peerId === undefined ? [] : [peerId]);
      const settled: number[] = [];
      for (const mark of marks) {
        if (!gone(mark.sync_owner, mark.sync_started_at)) continue;
        // The mark's own next attempt (the backoff it set) stands: the failure it counts is the one it planned for.
        const result = await tx.run(
          `UPDATE peers SET status = 'failed', last_attempt_at = sync_started_at, failures = failures + 1, last_error = ?,
             sync_started_at = NULL, sync_owner = NULL
           WHERE id = ? AND sync_started_at = ? AND sync_owner IS ?`, [error, mark.id, mark.sync_started_at, mark.sync_owner]);
        if (result.changes > 0) settled.push(mark.id);
      }
      return settled;
    });
  }

  public async unvouched(peerId: number): Promise<{ count: number; iris: string[] }> {
    return unvouchedItems(this.db.reader, peerId);
  }

  public async sources(peerId: number): Promise<Map<string, SourceValidators>> {
    const rows = await this.db.reader.all<{ url: string; etag: string | null; last_modified: string | null }>(
      'SELECT url, etag, last_modified FROM peer_sources WHERE peer_id = ?', [peerId]);
    return new Map(rows.map((r) => [r.url, { etag: r.etag, lastModified: r.last_modified }]));
  }

  public async held(peerId: number): Promise<Map<string, HeldResource>> {
    const rows = await this.db.reader.all<{ iri: string; hash: string; source_url: string; missing_since: string | null; withdrawn_at: string | null }>(
      'SELECT iri, hash, source_url, missing_since, withdrawn_at FROM peer_resources WHERE peer_id = ?', [peerId]);
    return new Map(rows.map((r) => [r.iri, { iri: r.iri, hash: r.hash, sourceUrl: r.source_url, missingSince: r.missing_since, withdrawnAt: r.withdrawn_at }]));
  }

  public async heldOf(peerId: number, iris: readonly string[]): Promise<Map<string, HeldResource>> {
    const held = new Map<string, HeldResource>();
    await inChunks(iris, async (chunk, marks) => {
      const rows = await this.db.reader.all<{ iri: string; hash: string; source_url: string; missing_since: string | null; withdrawn_at: string | null }>(
        `SELECT iri, hash, source_url, missing_since, withdrawn_at FROM peer_resources WHERE peer_id = ? AND iri IN (${marks})`, [peerId, ...chunk]);
      for (const r of rows) held.set(r.iri, { iri: r.iri, hash: r.hash, sourceUrl: r.source_url, missingSince: r.missing_since, withdrawnAt: r.withdrawn_at });
    });
    return held;
  }

  public async holdsAny(peerId: number): Promise<boolean> {
    return (await this.db.reader.get('SELECT 1 AS x FROM peer_resources WHERE peer_id = ? LIMIT 1', [peerId])) !== undefined;
  }

  public async applySnapshot(peerId: number, write: SnapshotWrite): Promise<void> {
    const { plan, now } = write;
    // Alone: a snapshot can take seconds, and the short writes grouped with it would wait for its commit.
    await this.db.transaction(async (tx) => {
      await insertMany(tx,
        'INSERT INTO peer_resources (peer_id, iri, kind, record, hash, authoritative, source_url, first_seen_at, updated_at, missing_since, withdrawn_at)',
        11,
        plan.upsert.map((r) => [peerId, r.iri, r.kind, r.json, r.hash, r.authoritative ? 1 : 0, r.sourceUrl, now, now, null, null]),
        `ON CONFLICT (peer_id, iri) DO UPDATE SET kind = excluded.kind, record = excluded.record, hash = excluded.hash,
           authoritative = excluded.authoritative, source_url = excluded.source_url, updated_at = excluded.updated_at,
           missing_since = NULL, withdrawn_at = NULL`);
      await inChunks(plan.missing, (chunk, marks) => tx.run(
        `UPDATE peer_resources SET missing_since = ? WHERE peer_id = ? AND iri IN (${marks})`, [now, peerId, ...chunk]).then(() => undefined));
      await inChunks(plan.withdrawn, (chunk, marks) => tx.run(
        `UPDATE peer_resources SET withdrawn_at = ? WHERE peer_id = ? AND iri IN (${marks})`, [now, peerId, ...chunk]).then(() => undefined));
      await inChunks(plan.restored, (chunk, marks) => tx.run(
        `UPDATE peer_resources SET missing_since = NULL, withdrawn_at = NULL WHERE peer_id = ? AND iri IN (${marks})`, [peerId, ...chunk]).then(() => undefined));
      if (write.replaceQuarantine) await tx.run('DELETE FROM quarantine WHERE peer_id = ?', [peerId]);
      // A record that is valid now leaves the quarantine.
      await inChunks(plan.upsert.map((r) => r.iri), (chunk, marks) => tx.run(
        `DELETE FROM quarantine WHERE peer_id = ? AND iri IN (${marks})`, [peerId, ...chunk]).then(() => undefined));
      await keepQuarantined(tx, peerId, write.quarantine, now);
      await writeSources(tx, peerId, write.sources, now);
      await indexPeerSnapshot(tx, peerId, plan);
    }, { alone: true });
    // A peer's first snapshot can grow the index tenfold: the planner's statistics must follow.
    if (plan.upsert.length >= 1000) this.statisticsDue = true;
  }

  public async beginRun(peerId: number, startedAt: string): Promise<number> {
    // A peer is synced once at a time: a run of it still here died with its process, and its row goes as this one is
    // inserted (migration 44's trigger). One statement, shared by the runs begun together (a cold sync begins several
    // at once), committed by itself: no `BEGIN` and `COMMIT` round trips around it.
    const part: RunBegun = { peerId, startedAt };
    const batch: Batchable<RunBegun> = { runner: beginRuns, part, keys: [`sync run of peer ${peerId}`], oneStatement: true };
    return this.db.transaction(async (tx) => {
      const [outcome] = await beginRuns(tx, [part], { defer: () => undefined, opensTransaction: false });
      if (outcome === undefined || 'error' in outcome) throw outcome?.error ?? new Error(`sync run of peer ${peerId} not begun`);
      return outcome.value as number;
    }, { batch: batch as Batchable<unknown> });
  }

  public async stagedAmong(runId: number, iris: readonly string[]): Promise<Set<string>> {
    const staged = new Set<string>();
    await inChunks(iris, async (chunk, marks) => {
      for (const r of await this.db.reader.all<{ iri: string }>(`SELECT iri FROM sync_staging WHERE run_id = ? AND iri IN (${marks})`, [runId, ...chunk])) {
        staged.add(r.iri);
      }
    });
    return staged;
  }

  public async stage(runId: number, rows: readonly StagedResource[]): Promise<void> {
    if (rows.length === 0) return;
    // Two parameters a row (its columns as one JSON text, split by SQLite on its own thread, and its record), not
    // nine bound values a row: binding them is work on the main thread, which decodes the next page meanwhile.
    await this.db.transaction(async (tx) => {
      // A run cleared under it (a later run of its peer, begun by another process, or the peer removed) stages
      // nothing more: its rows would never be applied, and would stay until the staging is next cleared whole
      // (the staging has no foreign key to its run since migration 34, which refused them).
      if ((await tx.get('SELECT 1 AS x FROM sync_runs WHERE id = ?', [runId])) === undefined) {
        throw new Error(`sync run ${runId} was cleared under it (a later run of the peer, or its removal); nothing more is staged`);
      }
      // Before its rows: a staging that fails half-way may have left some (in the staging database, committed apart).
      this.stagedInStore.add(runId);
      await stageRows(tx, 'sync_staging', runId, rows);
    });
  }

  public async applyRun(peerId: number, runId: number, write: RunWrite): Promise<RunApplied> {
    const { now } = write;
    // A run that kept its rows in memory stages them now, in the writer's own table (see MEMORY_STAGING).
    const memory = write.rows !== undefined && write.rows.length > 0 ? write.rows : undefined;
    const table: StagingTable = memory === undefined ? 'sync_staging' : MEMORY_STAGING;
    const where = absence(peerId, stagedIn(table, runId), write);
    const any = async (c: SqlConnection, condition: { where: string; params: SqlValue[] }): Promise<boolean> =>
      (await c.get(`SELECT 1 AS x FROM peer_resources WHERE ${condition.where} LIMIT 1`, condition.params)) !== undefined;
    // A snapshot that changed nothing (every page 304, or the same data again) costs no write. A reader cannot see
    // the writer's table: rows in memory are named by their `@id`s.
    const changes = write.upserts > 0 || write.changed
      || await any(this.db.reader, (memory === undefined ? where : absence(peerId, amongIris(memory.map((r) => r.iri)), write)).any);
    if (!changes) return { written: false, withdrawn: 0 };
    let withdrawn = 0;
    let indexedFromStaging = false;
    /** The rows a run kept in memory staged in the apply's transaction. */
    let stagedNow: number | undefined;
    /** The run's end, from its staging, in the transaction that staged it or applies it. */
    const applyStaged = async (tx: SqlConnection): Promise<void> => {
      // The index rows the pages computed stand for the peer's whole graph only when the run's records are all of it.
      const fromStaging = write.indexed === true
        && (await tx.get('SELECT 1 AS x FROM peer_resources WHERE peer_id = ? LIMIT 1', [peerId])) === undefined;
      // The peer holds no rows then (its first snapshot): nothing is withdrawn, missing or restored, and the statements
      // that would look for such rows (each a round trip that waits for the main thread) are not sent.
      const holdsNone = fromStaging;
      // Counted in the staging's (run_id, iri) index, not its rows (a big peer's records): a run cleared under it (by
      // another run of the peer, or at start-up) has no rows left; nothing changes a row it staged. A run kept in
      // memory counts the rows its statements staged just now, into a table that was empty.
      const staged = stagedNow ?? (await tx.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE run_id = ?`, [runId]))?.n;
      if (staged !== write.staged) {
        throw new Error(`the staging of sync run ${runId} was cleared or changed under it (${staged ?? 0} rows, ${write.staged} staged); nothing was applied`);
      }
      // What the index must rebuild: a small change's resources by name; past that, the peer's whole graph.
      const budget = SCOPED_CHANGES - write.upserts;
      const scoped = budget < 0 ? undefined : holdsNone ? [] : (await tx.all<{ iri: string }>(
        `SELECT iri FROM peer_resources WHERE ${where.withdrawn.where} UNION ALL SELECT iri FROM peer_resources WHERE ${where.restored.where}
         LIMIT ?`, [...where.withdrawn.params, ...where.restored.params, budget + 1])).map((r) => r.iri);
      let restored = 0;
      if (!holdsNone) {
        withdrawn = (await tx.run(`UPDATE peer_resources SET withdrawn_at = ? WHERE ${where.withdrawn.where}`, [now, ...where.withdrawn.params])).changes;
        await tx.run(`UPDATE peer_resources SET missing_since = ? WHERE ${where.missing.where}`, [now, ...where.missing.params]);
        restored = (await tx.run(`UPDATE peer_resources SET missing_since = NULL, withdrawn_at = NULL WHERE ${where.restored.where}`,
          where.restored.params)).changes;
      }
      // Rows staged in the store were checked as they were staged (its table's CHECKs are those of peer_resources):
      // not again, record by record, here. Parsing every record again was a fifth of this insert's instructions (a
      // 200,000-offer first snapshot: 600,000 records), at the run's end, when nothing else runs beside it.
      const checked = table === 'sync_staging' && (await tx.get(STAGED_CHECKED)) !== undefined;
      // Set-based: the records never pass through JavaScript again. In `@id` order, read from the staging's (run_id,
      // iri) index: the order of peer_resources' own two indexes by IRI, each row entering them next to the one before
      // instead of anywhere (each page lists products, items and offers apart). Measured on a 200,000-offer first
      // snapshot (cachegrind): 23 % fewer instructions than in staging order.
      const copy = (): Promise<unknown> => tx.run(
        `INSERT INTO peer_resources (peer_id, iri, kind, record, hash, authoritative, source_url, first_seen_at, updated_at, missing_since, withdrawn_at)
         SELECT ?, iri, kind, record, hash, authoritative, source_url, ?, ?, NULL, NULL FROM ${table} WHERE run_id = ? AND record IS NOT NULL
         ORDER BY iri
         ON CONFLICT (peer_id, iri) DO UPDATE SET kind = excluded.kind, record = excluded.record, hash = excluded.hash,
           authoritative = excluded.authoritative, source_url = excluded.source_url, updated_at = excluded.updated_at,
           missing_since = NULL, withdrawn_at = NULL`, [peerId, now, now, runId]);
      if (checked) await uncheckedFor(tx, copy);
      else await copy();
      // A record that is valid now leaves the quarantine (nothing is left of it when the quarantine is replaced whole).
      // Each of the peer's quarantined rows (few, or none) is looked up in the staging, not the staging's records
      // (hundreds of thousands for a big peer) gathered into a list.
      if (write.replaceQuarantine) await tx.run('DELETE FROM quarantine WHERE peer_id = ?', [peerId]);
      else {
        await tx.run(`DELETE FROM quarantine WHERE peer_id = ? AND EXISTS (
          SELECT 1 FROM ${table} s WHERE s.run_id = ? AND s.iri = quarantine.iri AND s.record IS NOT NULL)`, [peerId, runId]);
      }
      await keepQuarantined(tx, peerId, write.quarantine, now);
      await writeSources(tx, peerId, write.sources, now);
      if (write.upserts + withdrawn + restored === 0) return;
      if (scoped !== undefined && scoped.length <= budget) {
        // A small change: its records are few, read back from the staging.
        const upsert = (await tx.all<{ iri: string; kind: string; record: string; hash: string; authoritative: number; source_url: string }>(
          `SELECT iri, kind, record, hash, authoritative, source_url FROM ${table} WHERE +run_id = ? AND record IS NOT NULL ORDER BY seq`, [runId]))
          .map((r) => ({ iri: r.iri, kind: r.kind, record: JSON.parse(r.record) as DfcRecord, json: r.record, hash: r.hash,
            authoritative: r.authoritative === 1, sourceUrl: r.source_url }));
        const isWithdrawn = new Set((await withdrawnAmong(tx, scoped, peerId)).filter((r) => r.withdrawn).map((r) => r.iri));
        await indexPeerSnapshot(tx, peerId, {
          upsert, added: 0, updated: 0, unchanged: 0, missing: [], refused: [],
          withdrawn: scoped.filter((iri) => isWithdrawn.has(iri)), restored: scoped.filter((iri) => !isWithdrawn.has(iri)),
        });
      } else if (fromStaging) {
        await indexStagedRun(tx, peerId, runId, table);
        indexedFromStaging = true;
      } else {
        await reindexPeer(tx, peerId, new Map((write.fresh ?? []).map((r) => [r.iri, { record: r.record, authoritative: r.authoritative, withdrawn: false }])));
      }
    };
    const staging = memory === undefined ? [] : memoryStagingStatements(peerId, runId, memory);
    try {
      await this.db.transaction(async (tx) => {
        if (memory !== undefined) {
          // Made once per connection (a temporary table lasts as long as it): the apply that made it and failed unmade
          // it with its rollback, and the next one makes it again.
          if (!this.memoryStagingMade) await tx.exec(MEMORY_STAGING_DDL);
          let inserted = 0;
          for (const statement of staging) {
            const { changes } = await tx.run(statement.sql, statement.params, { keep: true });
            // The run's row is gone when a later run of the peer began (and cleared it), or the peer was removed: as a
            // run staged in the store, whose rows went with it, this one applies nothing. The first statement stages
            // nothing then (the table is empty at the start of every apply, and a run has a row at least).
            if (inserted === 0 && changes === 0) {
              throw new Error(`sync run ${runId} was cleared under it (a later run of the peer, or its removal); nothing was applied`);
            }
            inserted += changes;
          }
          stagedNow = inserted;
        }
        await applyStaged(tx);
        if (memory !== undefined) await tx.run(`DELETE FROM ${MEMORY_STAGING}`);
        // Not held back for company, but sharing its commit with the applies of other peers queued behind it (each in a
        // savepoint: a failure is its own): a national sync's peers insert into the same index leaves, which went to the
        // log once per peer (25–30 MB a commit for a 1,000-offer peer), and now once per group.
      }, { shares: { kind: APPLY_KIND, rows: write.staged } });
      if (memory !== undefined) this.memoryStagingMade = true;
    } catch (error: unknown) {
      this.memoryStagingMade = false;
      throw error;
    }
    // A peer's first snapshot can grow the index tenfold: the planner's statistics must follow, once the run's
    // staging is gone (it is no table to gather statistics of).
    if (write.upserts >= 1000) this.optimizeAtEnd.add(runId);
    return { written: true, withdrawn, indexedFromStaging };
  }

  public async stagedRecords(runId: number, after: number, limit: number): Promise<{ seq: number; record: DfcRecord }[]> {
    const rows = await this.db.reader.all<{ seq: number; record: string }>(
      // In rowid order from `after` (`+run_id`: not through the (run_id, iri) index, which would sort the whole run for each chunk).
      'SELECT seq, record FROM sync_staging WHERE seq > ? AND +run_id = ? AND record IS NOT NULL ORDER BY seq LIMIT ?', [after, runId, limit]);
    return rows.map((r) => ({ seq: r.seq, record: JSON.parse(r.record) as DfcRecord }));
  }

  public async endRun(runId: number): Promise<void> {
    if (!this.stagedInStore.delete(runId)) {
      // Nothing staged in the store (a run kept in memory, or one that ended before any page): its row goes, in one
      // statement shared with the runs ending beside it, committed by itself (no `BEGIN` and `COMMIT` round trips).
      const batch: Batchable<number> = { runner: endRuns, part: runId, keys: [`sync run ${runId}`], oneStatement: true };
      await this.db.transaction((tx) => endRuns(tx, [runId], { defer: () => undefined, opensTransaction: false }).then(() => undefined),
        { batch: batch as Batchable<unknown> });
      if (this.optimizeAtEnd.delete(runId)) this.statisticsDue = true;
      return;
    }
    await this.db.transaction(async (tx) => {
      // The last run staged (a big peer's sync alone, the usual case): its rows are the whole staging, cleared at once
      // (a DELETE without WHERE on a table without triggers or foreign keys frees its pages: SQLite's truncate
      // optimisation, migration 34) instead of row by row with their index entries, through the run's trigger. For
      // 600,000 staged rows, measured: 0.9 s instead of 6.9 s.
      const others = await tx.get('SELECT 1 AS x FROM sync_runs WHERE id <> ? LIMIT 1', [runId]);
      if (others === undefined) await tx.run('DELETE FROM sync_staging');
      await tx.run('DELETE FROM sync_runs WHERE id = ?', [runId]);
    });
    if (this.optimizeAtEnd.delete(runId)) this.statisticsDue = true;
  }

  /**
   * Queues the refresh of the planner's statistics after a big write, once the sync that wrote it recorded its
   * attempt ({@link recordAttempt}), without waiting for it: the peer's data is committed and readable already, and
   * the refresh (an `ANALYZE` of a table of hundreds of thousands of rows: 1.6 to 4.7 s for a 200,000-offer peer) is no
   * part of its sync, which reports done at once. Queued any earlier (at the run's end), the attempt's own write waited
   * behind it. It runs on the writer in its turn, before any write asked after it; asks while one is queued join it
   * (a thousand small peers ending together).
   */
  private refreshStatistics(): void {
    // Fails only with the database (closed under it): the next big write asks again; the data is whole either way.
    this.db.optimize().catch(() => undefined);
  }

  public async clearStaleRuns(before: string): Promise<number> {
    return this.db.transaction(async (tx) => (await tx.run('DELETE FROM sync_runs WHERE started_at < ?', [before])).changes);
  }

  public async quarantine(peerId: number): Promise<QuarantinedRecord[]> {
    const rows = await this.db.reader.all<{ iri: string; type: string | null; problems: string; seen_at: string }>(
      // Bounded as the writes are (a quarantine kept before they were may hold many more).
      `SELECT iri, type, problems, seen_at FROM quarantine WHERE peer_id = ? ORDER BY iri LIMIT ${MAX_QUARANTINED}`, [peerId]);
    return rows.map((r) => ({ iri: r.iri, type: r.type, problems: JSON.parse(r.problems) as Problem[], seenAt: r.seen_at }));
  }

  public async quarantineCounts(): Promise<Map<number, number>> {
    const rows = await this.db.reader.all<{ peer_id: number; n: number }>('SELECT peer_id, COUNT(*) AS n FROM quarantine GROUP BY peer_id');
    return new Map(rows.map((r) => [r.peer_id, r.n]));
  }

  public async peerCounts(peerId: number): Promise<{ active: number; missing: number; withdrawn: number }> {
    const row = await this.db.reader.get<{ active: number; missing: number; withdrawn: number }>(
      `SELECT SUM(withdrawn_at IS NULL AND missing_since IS NULL) AS active,
              SUM(withdrawn_at IS NULL AND missing_since IS NOT NULL) AS missing,
              SUM(withdrawn_at IS NOT NULL) AS withdrawn
       FROM peer_resources WHERE peer_id = ?`, [peerId]);
    return { active: row?.active ?? 0, missing: row?.missing ?? 0, withdrawn: row?.withdrawn ?? 0 };
  }
}

/** Whether each of some resources of a peer is withdrawn now. */
async function withdrawnAmong(tx: SqlConnection, iris: readonly string[], peerId: number): Promise<{ iri: string; withdrawn: boolean }[]> {
  const out: { iri: string; withdrawn: boolean }[] = [];
  await inChunks(iris, async (chunk, marks) => {
    for (const r of await tx.all<{ iri: string; w: number }>(
      `SELECT iri, withdrawn_at IS NOT NULL AS w FROM peer_resources WHERE peer_id = ? AND iri IN (${marks})`, [peerId, ...chunk])) {
      out.push({ iri: r.iri, withdrawn: r.w === 1 });
    }
  });
  return out;
}

/**
 * A peer's next attempt once its interval is `intervalSeconds`: no later than its last attempt plus that interval
 * (so a shorter interval takes effect at once, the backoff of a failure included, which is never longer than the
 * interval); a longer one leaves the next attempt where it is and applies from the sync after. Undefined when the
 * next attempt stays as it is (sooner already, or the peer never attempted: due now).
 *
 * @param lastAttemptAt - when the last attempt began, or null
 * @param nextAttemptAt - the next attempt planned, or null (due now)
 * @param intervalSeconds - the peer's interval
 */
export function nextAttemptWithin(lastAttemptAt: string | null, nextAttemptAt: string | null, intervalSeconds: number): string | undefined {
  if (lastAttemptAt === null || nextAttemptAt === null) return undefined;
  const bound = Date.parse(lastAttemptAt) + intervalSeconds * 1000;
  if (!Number.isFinite(bound) || bound >= Date.parse(nextAttemptAt)) return undefined;
  return new Date(bound).toISOString();
}
