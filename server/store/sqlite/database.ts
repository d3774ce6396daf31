/**
 * A small promise wrapper around `sqlite3` with serialised write transactions, committed in groups, and
 * prepared statements kept for reuse.
 *
 * sqlite3 gives one connection per `Database`. Statements of two concurrent requests would interleave inside
 * one `BEGIN … COMMIT`, so every write goes through {@link SqliteDatabase.transaction}, which runs them one at a
 * time. Reads use other connections: in WAL mode they see only committed data, so a write that is later rolled
 * back (or not committed yet) is never visible to a reader.
 *
 * @packageDocumentation
 */
import { rmSync, statSync } from 'node:fs';
import sqlite3 from 'sqlite3';

/** Values SQLite binds. */
export type SqlValue = string | number | bigint | Buffer | null;

/** One connection's promise API. */
export interface SqlConnection {
  /**
   * Runs a statement. `keep`: kept prepared for the next call however many parameters it has (a bulk statement of a
   * few fixed sizes, run again and again): compiling it again would cost SQLite's time and one more turn of the main
   * thread before it runs (sqlite3 sends a statement it compiled to run only once the main thread saw it compiled).
   */
  run(sql: string, params?: readonly SqlValue[], options?: { readonly keep?: boolean }): Promise<{ changes: number; lastID: number }>;
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  exec(sql: string): Promise<void>;
}

/** One connection's promise API, each statement compiled for the call and finalized after it (sqlite3's own way). */
function wrap(db: sqlite3.Database): SqlConnection {
  return {
    run: (sql, params = []) =>
      new Promise((resolve, reject) => {
        db.run(sql, params as SqlValue[], function (this: sqlite3.RunResult, error: Error | null) {
          if (error !== null) reject(error);
          else resolve({ changes: this.changes, lastID: this.lastID });
        });
      }),
    get: <T>(sql: string, params: readonly SqlValue[] = []) =>
      new Promise<T | undefined>((resolve, reject) => {
        db.get(sql, params as SqlValue[], (error: Error | null, row: T | undefined) => (error !== null ? reject(error) : resolve(row)));
      }),
    all: <T>(sql: string, params: readonly SqlValue[] = []) =>
      new Promise<T[]>((resolve, reject) => {
        db.all(sql, params as SqlValue[], (error: Error | null, rows: T[]) => (error !== null ? reject(error) : resolve(rows)));
      }),
    exec: (sql) =>
      new Promise((resolve, reject) => {
        db.exec(sql, (error: Error | null) => (error !== null ? reject(error) : resolve()));
      }),
  };
}

/** One connection's promise API on its prepared statements, kept in `cache` (once it is cleared, as {@link wrap}). */
function wrapCached(db: sqlite3.Database, cache: StatementCache): SqlConnection {
  const plain = wrap(db);
  // A statement with many parameters is a bulk one (chunks of a snapshot, of an index rebuild): its compilation is
  // little beside its work, its SQL varies with the chunk's size, and kept it would hold memory for nothing.
  const once = (params: readonly SqlValue[], keep = false): boolean => cache.closed || (params.length > BULK_PARAMETERS && !keep);
  return {
    run: (sql, params = [], options = {}) => once(params, options.keep) ? plain.run(sql, params) :
      cache.use(sql, (statement) => new Promise((resolve, reject) => {
        statement.run(params as SqlValue[], function (this: sqlite3.RunResult, error: Error | null) {
          if (error !== null) reject(error);
          else resolve({ changes: this.changes, lastID: this.lastID });
        });
      })),
    // `all`, not the statement's `get`: a kept statement stepped once stays open (and holds its connection's read
    // snapshot) until it is reset; stepped to its end it is done. Every `get` asks for one row (a key, an
    // aggregate, LIMIT 1, a RETURNING of one row), so reading to the end costs nothing more.
    get: <T>(sql: string, params: readonly SqlValue[] = []) => once(params) ? plain.get<T>(sql, params) :
      cache.use(sql, (statement) => new Promise<T | undefined>((resolve, reject) => {
        statement.all(params as SqlValue[], (error: Error | null, rows: T[]) => (error !== null ? reject(error) : resolve(rows[0])));
      })),
    all: <T>(sql: string, params: readonly SqlValue[] = []) => once(params) ? plain.all<T>(sql, params) :
      cache.use(sql, (statement) => new Promise<T[]>((resolve, reject) => {
        statement.all(params as SqlValue[], (error: Error | null, rows: T[]) => (error !== null ? reject(error) : resolve(rows)));
      })),
    // Several statements, or one run once (a migration, a PRAGMA): not worth keeping.
    exec: plain.exec,
  };
}

/** `sqlite3.Statement`'s constructor, which its typings leave out: the callback is called once compiled, or with the error. */
const PreparedStatement = sqlite3.Statement as unknown as new (db: sqlite3.Database, sql: string, callback: (error: Error | null) => void) => sqlite3.Statement;

/** A prepared statement of a {@link StatementCache}, and who is using it. */
interface CachedStatement {
  readonly statement: sqlite3.Statement;
  /** Settles when SQLite has compiled it (rejects with the compile error). */
  readonly prepared: Promise<void>;
  /** Calls in flight on it: an evicted statement is finalized only when the last one ends. */
  users: number;
  evicted: boolean;
}

/** How many prepared statements a connection keeps. The static ones number about two hundred. */
const CACHED_STATEMENTS = 512;

/** Statements with more parameters than this are compiled for each call, not kept (see {@link wrapCached}). */
const BULK_PARAMETERS = 100;

/**
 * The prepared statements of one connection, kept and used again, least recently used evicted.
 *
 * `sqlite3`'s `Database#run` compiles its SQL anew for every call and finalizes it afterwards. A write to
 * `resources` compiles the triggers it fires too (feed, versions, stock ledger): measured, compiling and
 * finalizing were about half of a stock write's cost. A statement prepared once runs again after a reset (each
 * call binds all its parameters anew); SQLite recompiles it by itself after a schema change.
 */
class StatementCache {
  private readonly entries = new Map<string, CachedStatement>();
  /** Finalizations under way (of evicted statements): the connection closes after them. */
  private readonly finalizing = new Set<Promise<void>>();
  /** Cleared: the connection is closing, statements are no longer kept. */
  public closed = false;

  public constructor(private readonly capacity = CACHED_STATEMENTS, private readonly db: sqlite3.Database) {}

  /** Runs `call` on the statement of `sql`, prepared once. Calls on one statement run one after the other. */
  public use<T>(sql: string, call: (statement: sqlite3.Statement) => Promise<T>): Promise<T> {
    let entry = this.entries.get(sql);
    if (entry === undefined) {
      entry = this.prepare(sql);
      this.entries.set(sql, entry);
      this.evict();
    } else {
      // Most recently used last: a Map iterates in insertion order.
      this.entries.delete(sql);
      this.entries.set(sql, entry);
    }
    const used = entry;
    used.users += 1;
    return used.prepared.then(() => call(used.statement)).finally(() => {
      used.users -= 1;
      if (used.evicted && used.users === 0) this.finalize(used);
    });
  }

  /** Finalizes every statement (before the connection closes: SQLite refuses to close with statements left). */
  public async clear(): Promise<void> {
    this.closed = true;
    const entries = [...this.entries.values()];
    this.entries.clear();
    // A statement in use is finalized after its calls (sqlite3 queues the finalization behind them).
    for (const entry of entries) this.finalize(entry);
    await Promise.all(this.finalizing);
  }

  private prepare(sql: string): CachedStatement {
    let settle: (error: Error | null) => void = () => undefined;
    const prepared = new Promise<void>((resolve, reject) => {
      settle = (error) => (error === null ? resolve() : reject(error));
    });
    // The constructor, not `Database#prepare`, whose callback is called on an error only. A statement that does
    // not compile is finalized by sqlite3 itself: it must not stay in the cache.
    const statement = new PreparedStatement(this.db, sql, (error: Error | null) => {
      if (error !== null && this.entries.get(sql) === entry) this.entries.delete(sql);
      settle(error);
    });
    const entry: CachedStatement = { statement, prepared, users: 0, evicted: false };
    return entry;
  }

  private evict(): void {
    for (const [sql, entry] of this.entries) {
      if (this.entries.size <= this.capacity) return;
      this.entries.delete(sql);
      entry.evicted = true;
      // In use: finalized by its last user.
      if (entry.users === 0) this.finalize(entry);
    }
  }

  /** Finalizes a statement once compiled (one that failed to compile was finalized by sqlite3). */
  private finalize(entry: CachedStatement): void {
    const done: Promise<void> = entry.prepared.then(
      () => new Promise<void>((resolve) => entry.statement.finalize(() => resolve())),
      () => undefined,
    ).finally(() => this.finalizing.delete(done));
    this.finalizing.add(done);
  }
}

function openConnection(path: string, mode: number): Promise<sqlite3.Database> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, mode, (error: Error | null) => (error !== null ? reject(error) : resolve(db)));
  });
}

function closeConnection(db: sqlite3.Database): Promise<void> {
  return new Promise((resolve, reject) => db.close((error: Error | null) => (error !== null ? reject(error) : resolve())));
}

/** Runs `work` on a connection of its own to a database file, opened in `mode`, and closes it. */
async function withConnection<T>(path: string, mode: number, work: (connection: SqlConnection) => Promise<T>): Promise<T> {
  const db = await openConnection(path, mode);
  try {
    const connection = wrap(db);
    await connection.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS};`);
    return await work(connection);
  } finally {
    await closeConnection(db);
  }
}

/**
 * Runs `work` on a read-only connection of its own to a database file, and closes it: a look at a file that must
 * not be written (its schema version before opening it, a backup to check).
 *
 * @param path - an existing database file
 */
export function withReadOnly<T>(path: string, work: (connection: SqlConnection) => Promise<T>): Promise<T> {
  return withConnection(path, sqlite3.OPEN_READONLY, work);
}

/**
 * Runs `work` on a read-write connection of its own to a database file no node has open (a restored copy before it
 * is moved into place), and closes it.
 *
 * @param path - an existing database file
 */
export function withWritable<T>(path: string, work: (connection: SqlConnection) => Promise<T>): Promise<T> {
  return withConnection(path, sqlite3.OPEN_READWRITE, work);
}

/**
 * Several connections as one, for reads: each statement goes to the connection with the fewest statements in
 * flight. A connection runs one statement at a time; two let two requests' queries (a page and a summary) run
 * on two cores at once. Only for statements that stand alone (no transaction spans two calls).
 */
function pool(connections: readonly SqlConnection[]): SqlConnection {
  const busy = connections.map(() => 0);
  const on = <T>(call: (c: SqlConnection) => Promise<T>): Promise<T> => {
    let chosen = 0;
    for (let i = 1; i < connections.length; i++) if ((busy[i] as number) < (busy[chosen] as number)) chosen = i;
    busy[chosen] = (busy[chosen] as number) + 1;
    return call(connections[chosen] as SqlConnection).finally(() => {
      busy[chosen] = (busy[chosen] as number) - 1;
    });
  };
  return {
    run: (sql, params, options) => on((c) => c.run(sql, params, options)),
    get: (sql, params) => on((c) => c.get(sql, params)),
    all: (sql, params) => on((c) => c.all(sql, params)),
    exec: (sql) => Promise.all(connections.map((c) => c.exec(sql))).then(() => undefined),
  };
}

/** The name under which the staging database is attached ({@link SqliteDatabase.open}'s `staging`). */
export const STAGING_SCHEMA = 'staging';

/**
 * The file of a database's staging ({@link SqliteDatabase.open}'s `staging`): beside it, its name and `-staging`.
 *
 * @param path - the database's file
 */
export function stagingPath(path: string): string {
  return `${path}-staging`;
}

/**
 * Attaches the staging database to the writer and makes its tables (`schema`). What it holds is a sync run in
 * progress, thrown away whatever happens to the run (a crash included): it needs none of the main database's
 * durability, and kept out of the main database's write-ahead log its rows are written once (not to the log, then
 * copied into the file by a checkpoint, then both again when they are deleted). A rollback journal (kept on disk:
 * a process killed in a commit leaves a journal the next connection rolls back) without `fsync`s; only an OS crash
 * may leave the file damaged, and a damaged file is then made again, empty.
 */
async function attachStaging(db: sqlite3.Database, file: string, schema: string): Promise<void> {
  const connection = wrap(db);
  const attach = async (): Promise<void> => {
    await connection.run(`ATTACH DATABASE ? AS ${STAGING_SCHEMA}`, [file]);
    // Pages of 16 KiB (for a file made now): a run's rows are big (a record each) and read in order; measured on 600,000
    // rows of 1.3 KB, staging took 7.5 s instead of 17–22 s with 4 KiB pages (a quarter of the pages to go through,
    // for the (run_id, iri) index's random inserts too) and dropping them 0.3 s instead of 0.6–0.8 s. 16 MiB of cache:
    // a page's rows and the index's pages they touch stay in it between pages.
    await connection.exec(`PRAGMA ${STAGING_SCHEMA}.page_size = 16384; PRAGMA ${STAGING_SCHEMA}.journal_mode = TRUNCATE; PRAGMA ${STAGING_SCHEMA}.synchronous = OFF;
      PRAGMA ${STAGING_SCHEMA}.cache_size = -${READER_CACHE_KIB}; ${schema}`);
  };
  try {
    await attach();
  } catch (error: unknown) {
    if (file === ':memory:' || !/SQLITE_(CORRUPT|NOTADB)/u.test(String((error as { code?: unknown }).code ?? error))) throw error;
    await connection.run(`DETACH DATABASE ${STAGING_SCHEMA}`).catch(() => undefined);
    for (const f of [file, `${file}-journal`]) rmSync(f, { force: true });
    await attach();
  }
}

/** How many read-only connections a database opens (the machines this runs on have two cores or more). */
const READERS = 2;

/** The writer's page cache, in KiB (64 MiB): see {@link SqliteDatabase.open}. */
const WRITER_CACHE_KIB = 65_536;

/** Each reader's page cache, in KiB (16 MiB): a national query reads index pages that a 2 MiB cache would drop. */
const READER_CACHE_KIB = 16_384;

/**
 * Frames of the write-ahead log (a 4 KiB page and a 24-byte header each) past which the writer starts the log again
 * from its beginning (a little over 256 MiB): the log is otherwise started again only when a checkpoint has copied
 * all of it before the next write begins, which a writer busy for minutes (a national sync) never leaves time for.
 */
const RESTART_FRAMES = 65_536;

/**
 * Copies the write-ahead log into the database file on a connection of its own, beside the writer. SQLite's own
 * checkpoint runs in the connection that commits, when the log passes a thousand pages: inside that `COMMIT`, so every
 * write waits for the copy and its two `fsync`s. A national sync spent 40 % of its time there (139 s of 342 s, 6,685
 * commits; issue 16), and a big peer's snapshot 6 s in its last `COMMIT`. Here the writer only appends to the log; a
 * passive checkpoint (which never waits for, nor blocks, readers or the writer) copies what was committed, right after
 * a commit, while the writer goes on; the commits made during a copy are copied by one more, after it.
 *
 * A passive checkpoint cannot start the log again: the writer does, at its next transaction, when every frame was
 * copied before it began. A busy writer may never leave that gap, so once the log holds {@link RESTART_FRAMES} frames,
 * all but the last few copied, a `RESTART` checkpoint runs on the writer before its next transaction (it copies what
 * is left and waits, briefly, for readers off the log) and the writer's next write starts the log again (cut back to
 * {@link WAL_SIZE_LIMIT_BYTES} on disk). No passive copy runs meanwhile: SQLite runs one checkpoint at a time, and
 * the restart would give up at once. A restart that gives up (a reader stayed) is tried again after a later commit;
 * a reader that holds an old state of the log for long holds back the copies too, and the log grows until it goes,
 * as with SQLite's own checkpoints.
 */
class Checkpointer {
  private running: Promise<void> | undefined;
  /** A commit came while a checkpoint ran (or a restart was due): another copy follows. */
  private again = false;
  /**
   * A restart is queued or running on the writer: no passive copy starts meanwhile. SQLite lets one checkpoint run
   * at a time, and a restart that found a copy running would give up at once (busy), leaving the log to grow.
   */
  private restarting = false;
  private closed = false;
  /** Copies that failed in a row; past {@link CHECKPOINT_FAILURES}, the writer checkpoints again by itself. */
  private failures = 0;

  public constructor(
    private readonly connection: SqlConnection,
    private readonly db: sqlite3.Database,
    /** Runs a `RESTART` checkpoint on the writer, before the writes queued. */
    private readonly restart: () => Promise<void>,
    /** Gives the checkpoints back to the writer (its own automatic ones), when this connection keeps failing. */
    private readonly giveUp: () => Promise<void>,
    /** Frames of the log past which it starts again ({@link RESTART_FRAMES}; tests lower it). */
    private readonly restartFrames: number,
    /** How far apart copies begin (none: one right after each commit, or after the copy running then). */
    private readonly spacing?: CheckpointSpacing,
  ) {}

  /** When the last copy began (`performance.now()`), with a {@link spacing}. */
  private lastStart = Number.NEGATIVE_INFINITY;
  /** Cancels the copy a {@link spacing} put off, while it waits. */
  private waiting: (() => void) | undefined;
  /** When the copy put off is due (`performance.now()`). */
  private waitingUntil = 0;

  /**
   * Something was committed: its frames are copied soon: at once, or, with a {@link CheckpointSpacing}, once its
   * interval since the last copy began has passed (a copy then holds every commit made meanwhile).
   */
  public committed(): void {
    this.copy(false);
  }

  /** Starts a copy, or notes that another is due; `due`: the interval of a {@link spacing} has passed. */
  private copy(due: boolean): void {
    if (this.closed) return;
    if (this.running !== undefined || this.restarting) {
      this.again = true;
      return;
    }
    const spacing = this.spacing;
    if (spacing !== undefined) {
      if (this.waiting !== undefined && !due) {
        // Waiting, unless its time is long past: the timer was cancelled from outside (a node stopping cancels all
        // its timers), and the commits of the stop's grace must still be copied.
        if (performance.now() < this.waitingUntil + spacing.ms) return;
        this.waiting();
        this.waiting = undefined;
      }
      const wait = this.lastStart + spacing.ms - performance.now();
      if (wait > 0 && !due) {
        this.waitingUntil = performance.now() + wait;
        this.waiting = spacing.later(wait, () => {
          this.waiting = undefined;
          this.copy(true);
        });
        return;
      }
      this.lastStart = performance.now();
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
      // Spaced: the commits made during the copy are copied by the next one, in its turn (see `loop`).
      if (this.spacing !== undefined && this.again) {
        this.again = false;
        this.committed();
      }
    });
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      let row: { busy: number; log: number; checkpointed: number } | undefined;
      try {
        row = await this.connection.get<{ busy: number; log: number; checkpointed: number }>('PRAGMA wal_checkpoint(PASSIVE)');
        this.failures = 0;
      } catch {
        // Failing (an I/O error…): the next commit tries again; failing on, the writer takes the copies back, so that
        // the log never grows without end. Closing the last connection copies what is left.
        if (++this.failures >= CHECKPOINT_FAILURES && !this.closed) {
          this.closed = true;
          await this.giveUp().catch(() => undefined);
        }
        return;
      }
      // Past the limit, and all but a little copied (readers that began before the last commits hold back their frames
      // for a moment; one that holds an old state for long holds back ever more, and the restart waits for it to go):
      // the restart copies the rest, waits briefly for such readers, and starts the log again.
      if (row !== undefined && row.log >= this.restartFrames && row.log - row.checkpointed <= this.restartFrames / 8 && !this.closed) {
        this.restarting = true;
        void this.restart().catch(() => undefined).finally(() => {
          this.restarting = false;
          // The commits made meanwhile were not copied: a copy now (a restart that gave up is tried again by it).
          if (this.again) this.committed();
        });
        return;
      }
    } while (this.again && !this.closed && this.spacing === undefined);
  }

  /** Stops copying and closes the connection (what is left is copied by the last connection to close). */
  public async close(): Promise<void> {
    this.closed = true;
    this.waiting?.();
    this.waiting = undefined;
    await this.running;
    // A connection that kept failing may fail to close as well: it was given up already.
    const closing = closeConnection(this.db);
    await (this.failures >= CHECKPOINT_FAILURES ? closing.catch(() => undefined) : closing);
  }
}

/**
 * How far apart the copies of the log into the database file begin ({@link SqliteDatabase.open}). Each copy costs
 * two `fsync`s and copies every page the commits since the last one wrote, a page written by several commits once:
 * one after every commit of a busy writer (a stock write's group commit, hundreds a second) spent as much of the
 * machine as the writes' own statements. Spaced, a copy holds the commits of its interval, and the last ones still
 * reach the file within it.
 */
export interface CheckpointSpacing {
  /** The least time (ms) from the beginning of one copy to the beginning of the next. */
  readonly ms: number;
  /** Runs `task` once, after `ms` milliseconds; answers what cancels it (the node's background timers). */
  readonly later: (ms: number, task: () => void) => () => void;
}

/** Copies that fail in a row before the writer takes its checkpoints back ({@link Checkpointer}). */
const CHECKPOINT_FAILURES = 3;

/** How long (ms) a connection waits for a lock another holds (SQLite's `busy_timeout`). */
const BUSY_TIMEOUT_MS = 5000;

/**
 * How long (ms) a `RESTART` checkpoint waits for readers still on the log. It waits on the writer's turn, so every
 * write waits with it: a reader that takes longer (a big export) only puts the restart off (it is tried again after a
 * later commit), instead of holding writes for the connection's usual {@link BUSY_TIMEOUT_MS}.
 */
const RESTART_WAIT_MS = 100;

/**
 * Starts the log again on the writer (see {@link Checkpointer}), waiting at most {@link RESTART_WAIT_MS} for readers;
 * one that gives up (busy) is tried again after a later commit.
 */
async function restartLog(writer: SqlConnection): Promise<void> {
  await writer.exec(`PRAGMA busy_timeout = ${RESTART_WAIT_MS};`);
  try {
    await writer.exec('PRAGMA wal_checkpoint(RESTART);');
  } finally {
    await writer.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS};`);
  }
}

/**
 * The write-ahead log's size on disk once it starts again (512 MiB, twice what starts it again): a big snapshot's
 * gigabyte of log is not kept, and a log of the usual size is written over in place, not shrunk and grown again
 * (growing a file costs the system fresh pages; a 300-peer national trial synced in 71.4 s with the log cut to 64 MiB
 * at each restart, 66.6–68.6 s without).
 */
const WAL_SIZE_LIMIT_BYTES = 2 * RESTART_FRAMES * 4096;

/** Options of {@link SqliteDatabase.transaction}. */
export interface TransactionOptions {
  /**
   * Run in a transaction of its own, never grouped with others: for a long transaction (a peer's snapshot, an
   * import), which would otherwise hold back the answers of short ones grouped with it until it commits.
   */
  readonly alone?: boolean;
  /**
   * A long transaction (as `alone`) that may share its commit with the long ones of the same `kind` queued behind
   * it, while their `rows` together stay within the group's bound ({@link GroupCommit.sharedRows}): each runs in a
   * savepoint of its own (its failure rolls back only its own writes), and they commit once. Every page they both
   * write (the leaves of the indexes they insert into) then goes to the log once, not once per transaction. The
   * short transactions queued between them join the group (in their order: none is run before one asked earlier);
   * none is waited for: a group takes only what is queued when the one before ends. Implies `alone` towards any
   * other long transaction.
   */
  readonly shares?: SharedCommit;
  /**
   * The transaction reads nothing that work deferred by the transactions before it ({@link TransactionContext.defer})
   * writes: it may run while that work is still to run. Without it, the deferred work runs first, so that every
   * transaction sees what the ones before it did, as if nothing had been deferred.
   */
  readonly overlooksDeferred?: boolean;
  /**
   * The transaction's work as one part of a statement that transactions of the same kind share: queued one after
   * the other, they then run together in one statement, not one round trip (or two, with its savepoint) each.
   * `work` still runs the transaction by itself when the shared statement fails as a whole (so that its failure
   * is only that of the transaction that caused it). Ignored with `alone`.
   */
  readonly batch?: Batchable<unknown>;
}

/** A long transaction's part in a commit it may share ({@link TransactionOptions.shares}). */
export interface SharedCommit {
  /** Long transactions share a commit only with those of the same kind. */
  readonly kind: string;
  /** Its weight towards the group's bound: the rows it writes. */
  readonly rows: number;
}

/**
 * What one transaction of a shared statement gave ({@link BatchRunner}): its value, or its error. A transaction
 * that fails must have written nothing: the others' writes stay, in the same statement.
 */
export type BatchOutcome = { readonly value: unknown } | { readonly error: unknown };

/**
 * Runs the parts of several transactions as one statement (or a few), in the writer's transaction, and gives one
 * outcome per part, in their order. It throws only when the statement failed as a whole, leaving nothing of any
 * part (SQLite undoes a failed statement; a runner of several statements undoes its own, in a savepoint, unless
 * it {@link BatchContext.opensTransaction opens the transaction}): each transaction is then run alone, by its own
 * work. Work it defers joins the group's only when it does not throw.
 */
export type BatchRunner<P> = (tx: SqlConnection, parts: readonly P[], context: BatchContext) => Promise<readonly BatchOutcome[]>;

/** What a {@link BatchRunner} may ask of its group. */
export interface BatchContext extends TransactionContext {
  /**
   * Whether the runner's statements are the first of the writer's transaction. When it then throws, the whole
   * transaction is rolled back (there is nothing else in it): a runner of several statements needs no savepoint of
   * its own, two round trips on the writer that every write waits for.
   */
  readonly opensTransaction: boolean;
}

/** A transaction's part in a shared statement ({@link TransactionOptions.batch}). */
export interface Batchable<P> {
  /** Runs the parts: transactions batch together only when they name the same runner. */
  readonly runner: BatchRunner<P>;
  readonly part: P;
  /**
   * What the part reads and writes (the IRIs of its rows): two parts that share a key never run in one
   * statement, where the second would not see the first's write; the second runs after it.
   */
  readonly keys: readonly string[];
  /**
   * The fewest transactions worth one shared statement (default 1): a transaction with fewer beside it runs by its
   * own work (for a runner whose shared statements cost more than one transaction's own).
   */
  readonly fewest?: number;
  /**
   * The runner writes with one statement (it may read before and after it) and defers nothing: when its transactions
   * begin a group, that statement runs in the transaction SQLite makes for it alone, committed when it ends, and the
   * group ends with it. The writer then makes one round trip for them, not three (`BEGIN`, the statement, `COMMIT`),
   * each of which every write of the group waits for; the commit is the same (as durable, in the writer's order), and
   * a statement that fails leaves nothing, as in a transaction.
   */
  readonly oneStatement?: boolean;
}

/** What a transaction's work may ask of its group, beside its statements. */
export interface TransactionContext {
  /**
   * Leaves `work` to run later in the same database transaction: once per `key` however many transactions of the
   * group leave it, before the group commits (so it commits, or is lost, with them) and before any transaction of
   * the group that does not overlook deferred work. Work left by a transaction that then fails is dropped with it.
   * A failure of deferred work rolls the whole group back: every transaction of it fails.
   *
   * For work whose result depends only on the state it finds, not on who asked (the published copy of a stock
   * ledger, written once per group instead of once per order).
   */
  defer(key: string, work: (tx: SqlConnection) => Promise<unknown>): void;
}

/** The work of a transaction: its statements on the writer connection. */
export type TransactionWork<T> = (tx: SqlConnection, context: TransactionContext) => Promise<T>;

/** A write transaction waiting for its turn. */
interface Unit {
  readonly work: TransactionWork<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly alone: boolean;
  /** The commit it may share with long transactions of its kind ({@link TransactionOptions.shares}). */
  readonly shares?: SharedCommit | undefined;
  readonly overlooksDeferred: boolean;
  /** Not a transaction: a statement that runs alone outside any (`PRAGMA optimize`). */
  readonly bare?: boolean;
  /** A refresh of the statistics ({@link SqliteDatabase.optimize}), which a shared commit may go past. */
  readonly refresh?: boolean;
  /** Its part in a shared statement; removed when that statement failed, so that it then runs alone. */
  batch?: Batchable<unknown> | undefined;
}

/** The context of work that runs outside any transaction: nothing can be deferred there. */
const NO_DEFERRAL: TransactionContext = {
  defer: () => {
    throw new Error('work outside a transaction cannot defer work');
  },
};

/** Deferred work, by key. */
type Deferred = Map<string, (tx: SqlConnection) => Promise<unknown>>;

/** How transactions are grouped into one commit ({@link SqliteDatabase.open}). */
export interface GroupCommit {
  /** Most transactions one commit holds (default 64). */
  readonly units?: number;
  /**
   * How long (ms) a group goes on taking queued transactions after its first began (default 20): the first
   * caller's answer waits for the whole group's commit.
   */
  readonly ms?: number;
  /**
   * Most rows the long transactions that share a commit write together ({@link TransactionOptions.shares}; default
   * {@link SHARED_ROWS}): what a short write queued behind them waits for. The first is taken whatever its rows.
   */
  readonly sharedRows?: number;
}

/**
 * Rows long transactions sharing a commit write together by default: four national peers' snapshots (3,000 rows each,
 * about 150 ms of the writer each), so that a short write (a stock change) queued behind them waits well under a second.
 */
export const SHARED_ROWS = 12_000;

/** The transaction of a group was rolled back as a whole (by SQLite, after an I/O error, a full disk…): nothing of it stays. */
export class TransactionLostError extends Error {}

/**
 * The database's file was removed or replaced at its path while the node had it open: the node's connections
 * still write to the old file, which nothing will open again, so a write is refused rather than acknowledged and
 * lost at the next start.
 */
export class DatabaseFileGoneError extends Error {
  public override readonly name = 'DatabaseFileGoneError';
  /** As SQLite's errors carry theirs, for the HTTP layer's storage errors. */
  public readonly code = 'MAILLON_DATABASE_GONE';
}

/** A file as the file system knows it: another file at the same path has another device or inode. */
interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

/** The identity of the file at `path`, or undefined when there is none. */
function fileIdentity(path: string): FileIdentity | undefined {
  const found = statSync(path, { throwIfNoEntry: false });
  return found === undefined ? undefined : { dev: found.dev, ino: found.ino };
}

/**
 * An SQLite database: a writer connection behind a queue and a pool of reader connections.
 *
 * Write transactions run one at a time, in the order asked, on the writer connection. When several are queued,
 * they are committed together (group commit): one `BEGIN IMMEDIATE … COMMIT` holds them all, each but the first
 * inside a `SAVEPOINT` of its own. A transaction that throws is rolled back to its savepoint (or the whole
 * transaction, for the first), so it leaves nothing and the others are not touched. Every caller is answered
 * once the group ends: after the COMMIT that made its writes durable (an answer never announces a write that
 * could still be lost), and a failed one too (its failure may come from a write of the group that readers do not
 * see before the COMMIT).
 * The grouped transactions are serialised as before (each sees the ones before it, none runs beside another):
 * only the cost of beginning and committing (and of writing the pages they share to the log) is shared.
 * A long transaction runs in a commit of its own ({@link TransactionOptions.alone}), unless it may share it with long
 * ones of its kind queued behind it ({@link TransactionOptions.shares}: peers' snapshots), within a bound of rows.
 * Transactions queued next to each other that can share one statement ({@link TransactionOptions.batch}: stock
 * writes, new orders, orders held or cancelled as read) run as that one statement, without savepoints: each statement on the writer is a round trip whose
 * answer waits for the main thread, and two per transaction were most of a stock write's time under the lock.
 */
export class SqliteDatabase {
  private readonly pending: Unit[] = [];
  /** A `ROLLBACK` failed: the writer's connection may still be inside that transaction. */
  private leftover = false;
  /** The writer's loop, while it runs. */
  private draining: Promise<void> | undefined;
  /** Copies the log into the database file beside the writer (a file's database; none in memory). */
  private checkpointer: Checkpointer | undefined;
  /**
   * Work to run on the writer, outside any transaction, before the next transaction queued (a restart of the log):
   * kept apart from {@link pending}, which a group takes from by position while it awaits.
   */
  private readonly urgent: Unit[] = [];
  /** The refresh of the planner's statistics queued and not begun yet, which a later ask joins ({@link optimize}). */
  private queuedOptimize: Promise<void> | undefined;
  /** The file opened (none in memory): {@link fileProblem} compares the file at the path with it. */
  private opened: FileIdentity | undefined;

  private constructor(
    private readonly writerDb: sqlite3.Database,
    private readonly readerDbs: readonly sqlite3.Database[],
    private readonly caches: readonly StatementCache[],
    private readonly grouping: Required<GroupCommit>,
    /** The writer connection; use it only inside {@link transaction}. */
    private readonly writer: SqlConnection,
    /** Connection for reads outside transactions. */
    public readonly reader: SqlConnection,
    public readonly path: string,
  ) {}

  /**
   * Opens (creating if needed) a database file in WAL mode with foreign keys on.
   *
   * @param path - a file path, or `:memory:` (one connection then, for throwaway use)
   * @param options - how write transactions are grouped into one commit, and past how many frames of the log it
   *   starts again ({@link RESTART_FRAMES}): tests change them; how far apart its copies into the file begin
   *   ({@link CheckpointSpacing}; none: one after each commit); `staging`: the tables of a database beside it
   *   (`<path>-staging`, in memory for `:memory:`), attached to every connection as `staging` and made on the writer
   *   (see `attachStaging`); none without it
   */
  public static async open(
    path: string,
    options: {
      readonly group?: GroupCommit; readonly walRestartFrames?: number; readonly checkpointSpacing?: CheckpointSpacing; readonly staging?: string;
    } = {},
  ): Promise<SqliteDatabase> {
    const grouping = { units: options.group?.units ?? 64, ms: options.group?.ms ?? 20, sharedRows: options.group?.sharedRows ?? SHARED_ROWS };
    const writerDb = await openConnection(path, sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE | sqlite3.OPEN_FULLMUTEX);
    const writerCache = new StatementCache(CACHED_STATEMENTS, writerDb);
    const writer = wrapCached(writerDb, writerCache);
    // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the last commits.
    await writer.exec(`PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}; PRAGMA synchronous = NORMAL;`);
    // A page cache of WRITER_CACHE_KIB (SQLite's default is 2 MiB): a sync writes a thousand rows into a dozen indexes
    // keyed by IRIs, all over a national index's gigabytes; with 2 MiB nearly every insert reads its pages again.
    await writer.exec(`PRAGMA cache_size = -${WRITER_CACHE_KIB};`);
    const stagingFile = path === ':memory:' ? ':memory:' : stagingPath(path);
    if (options.staging !== undefined) {
      try {
        await attachStaging(writerDb, stagingFile, options.staging);
      } catch (error: unknown) {
        await closeConnection(writerDb).catch(() => undefined);
        throw error;
      }
    }
    if (path === ':memory:') return new SqliteDatabase(writerDb, [], [writerCache], grouping, writer, writer, path);
    // The log is copied into the file by the checkpointer below, not inside the writer's commits.
    await writer.exec(`PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT_BYTES};`);
    const readerDbs: sqlite3.Database[] = [];
    for (let i = 0; i < READERS; i++) readerDbs.push(await openConnection(path, sqlite3.OPEN_READONLY | sqlite3.OPEN_FULLMUTEX));
    const readerCaches = readerDbs.map((db) => new StatementCache(CACHED_STATEMENTS, db));
    const reader = pool(readerDbs.map((db, i) => wrapCached(db, readerCaches[i] as StatementCache)));
    await reader.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}; PRAGMA foreign_keys = ON; PRAGMA cache_size = -${READER_CACHE_KIB};`);
    // Read-only, as the connection (a run's staged rows are read by readers: `stagedAmong`, `stagedRecords`).
    if (options.staging !== undefined) for (const readerDb of readerDbs) await wrap(readerDb).run(`ATTACH DATABASE ? AS ${STAGING_SCHEMA}`, [stagingFile]);
    const database = new SqliteDatabase(writerDb, readerDbs, [writerCache, ...readerCaches], grouping, writer, reader, path);
    database.opened = fileIdentity(path);
    let checkpointDb: sqlite3.Database;
    try {
      checkpointDb = await openConnection(path, sqlite3.OPEN_READWRITE | sqlite3.OPEN_FULLMUTEX);
    } catch (error: unknown) {
      await database.close();
      throw error;
    }
    database.checkpointer = new Checkpointer(wrap(checkpointDb), checkpointDb,
      // Before the writes queued: behind them, a busy writer's log would grow on until they are all done.
      () => database.bare(restartLog, true),
      () => database.bare((tx) => tx.exec('PRAGMA wal_autocheckpoint = 1000;'), true).then(() => undefined),
      options.walRestartFrames ?? RESTART_FRAMES, options.checkpointSpacing);
    // What an earlier process left in the log is copied now, not after the first commit.
    database.checkpointer.committed();
    return database;
  }

  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws. Transactions run one
   * at a time, in the order asked; queued ones are committed together (see {@link SqliteDatabase}). The promise
   * settles after the commit (or the rollback).
   *
   * @param work - the statements, on the writer connection; it must not begin, commit or roll back itself
   */
  public transaction<T>(work: TransactionWork<T>, options: TransactionOptions = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const alone = options.alone === true || options.shares !== undefined;
      this.pending.push({
        work, resolve: resolve as (value: unknown) => void, reject, alone, shares: options.shares, overlooksDeferred: options.overlooksDeferred === true,
        batch: alone ? undefined : options.batch,
      });
      this.drain();
    });
  }

  /**
   * Why the database's file is no longer the one this connection writes to (removed, or another file put at its
   * path: a copy, a restore made by hand), or undefined while it is. Always undefined in memory.
   */
  public fileProblem(): string | undefined {
    if (this.opened === undefined) return undefined;
    let now: FileIdentity | undefined;
    try {
      now = fileIdentity(this.path);
    } catch (error: unknown) {
      // The code alone: the message names the file's path, and this text reaches the public health check.
      return `the database file cannot be looked at (${(error as { code?: unknown }).code === undefined ? 'error' : String((error as { code?: unknown }).code)})`;
    }
    if (now === undefined) return 'the database file was removed while the node ran: writes are refused, as they would be lost; put the file back before the node stops (the open file can still be copied from /proc/PID/fd of the node\'s process): a start without it makes an empty database';
    if (now.dev !== this.opened.dev || now.ino !== this.opened.ino) {
      return 'the database file was replaced by another while the node ran: writes are refused, as they would go to the old one; restart the node to open the new one';
    }
    return undefined;
  }

  /**
   * Refreshes the query planner's statistics where the tables changed much since they were gathered (`PRAGMA
   * optimize`: a table is analysed again only when its size changed much). Without them the planner reads a
   * territory's rows through the wrong index, one lookup each: seconds instead of tens of milliseconds. The whole
   * index is read (no `analysis_limit`): a sample of its first entries says nothing of a column like `winner`,
   * the same on every row. Run after opening and after big writes (a peer's snapshot); queued like a transaction.
   *
   * An ask while a refresh is queued and not begun yet joins it rather than queueing another: that one runs after
   * every write committed so far (the queue keeps its order), and a thousand peers' syncs ending together ask once.
   * A commit shared by long transactions ({@link TransactionOptions.shares}) goes past a refresh queued between them:
   * it runs right after that commit, of its rows too.
   */
  public optimize(): Promise<void> {
    if (this.queuedOptimize !== undefined) return this.queuedOptimize;
    let begun = false;
    const queued = this.bare((tx) => {
      // Begun: a later ask (after writes this one may not see) queues its own.
      begun = true;
      this.queuedOptimize = undefined;
      // The main database's only: a staging database holding a run's rows (hundreds of thousands) would be analysed
      // too, and the statistics of that moment could mislead the planner on every later run's apply.
      return tx.exec('PRAGMA analysis_limit = 0; PRAGMA main.optimize = 0x10002;');
    }, false, true);
    if (!begun) this.queuedOptimize = queued;
    return queued;
  }

  /**
   * Runs `work` on the writer outside any transaction, in its turn, or `next`, before every transaction queued.
   */
  private bare<T>(work: (tx: SqlConnection) => Promise<T>, next = false, refresh = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const unit: Unit = { work, resolve: resolve as (value: unknown) => void, reject, alone: true, overlooksDeferred: false, bare: true, refresh };
      if (next) this.urgent.push(unit);
      else this.pending.push(unit);
      this.drain();
    });
  }

  /** Closes every connection, after the pending transactions. */
  public async close(): Promise<void> {
    // First, so that it queues no more work for the writer; closing the others whatever it answers.
    const checkpointerError: unknown = await this.checkpointer?.close().then(() => undefined, (error: unknown) => error);
    while (this.draining !== undefined) await this.draining;
    for (const cache of this.caches) await cache.clear();
    for (const readerDb of this.readerDbs) await closeConnection(readerDb);
    await closeConnection(this.writerDb);
    if (checkpointerError !== undefined) throw checkpointerError;
  }

  /** Starts the writer's loop unless it runs: it takes the queued transactions until none is left. */
  private drain(): void {
    if (this.draining !== undefined) return;
    let finished = false;
    const loop = (async () => {
      // An idle writer given a transaction that can share a statement starts at the end of this turn of the event loop:
      // the requests answered by the same read (a keyed read answers all its askers at once) decide their writes in the
      // same turn, and then share one statement instead of the first taking one alone and the others the next.
      if (this.urgent.length === 0 && this.pending[0]?.batch !== undefined) await new Promise<void>((resolve) => setImmediate(resolve));
      for (let next = this.urgent[0] ?? this.pending[0]; next !== undefined; next = this.urgent[0] ?? this.pending[0]) {
        if (next.bare === true) {
          // Taken out by identity: the first of either queue.
          if (this.urgent[0] === next) this.urgent.shift();
          else this.pending.shift();
          await this.clearLeftover();
          await Promise.resolve(this.writer).then((tx) => next.work(tx, NO_DEFERRAL)).then(next.resolve, next.reject);
        } else {
          await this.group();
        }
        this.checkpointer?.committed();
      }
      // Synchronously with the last look at the queue: a transaction queued after it starts a new loop.
      finished = true;
      this.draining = undefined;
    })();
    if (!finished) this.draining = loop;
  }

  /**
   * The queued transactions, from the first, that can share its statement ({@link TransactionOptions.batch}):
   * next to each other in the queue (the order asked is kept), with the same runner and no key in common.
   */
  private batchAhead(most: number): Unit[] {
    const runner = this.pending[0]?.batch?.runner;
    const keys = new Set<string>();
    const units: Unit[] = [];
    for (const unit of this.pending) {
      const batch = unit.batch;
      if (units.length >= most || batch === undefined || batch.runner !== runner || batch.keys.some((key) => keys.has(key))) break;
      for (const key of batch.keys) keys.add(key);
      units.push(unit);
    }
    return units;
  }

  /**
   * The first long transaction of `kind` queued ({@link TransactionOptions.shares}) that a shared commit may take
   * next: within `rows` and the `units` left, with only short transactions (neither alone nor bare) and refreshes of
   * the statistics before it.
   */
  private sharedAhead(kind: string, rows: number, units: number): Unit | undefined {
    for (const [i, unit] of this.pending.entries()) {
      if (i >= units) return undefined;
      // A refresh of the statistics is gone past (see group); any other work outside a transaction is not.
      if (unit.bare === true) {
        if (unit.refresh === true) continue;
        return undefined;
      }
      if (unit.shares !== undefined) return unit.shares.kind === kind && unit.shares.rows <= rows ? unit : undefined;
      if (unit.alone) return undefined;
    }
    return undefined;
  }

  /**
   * Rolls the writer's transaction back. A `ROLLBACK` that fails (an I/O error…) may leave the connection inside the
   * transaction, holding the write lock and writes that failed: that is remembered, and {@link clearLeftover} tries
   * again before the writer does anything else.
   */
  private async rollback(): Promise<void> {
    try {
      await this.writer.run('ROLLBACK');
    } catch {
      this.leftover = true;
    }
  }

  /**
   * Rolls back what a failed `ROLLBACK` left open, before the writer's next work (a group, a bare statement such as
   * `PRAGMA optimize`, whose effect would otherwise be rolled back with it) and at the end of the group where it
   * failed (so that the write lock is not held until the next write). Its transactions' callers are answered with
   * their failure, never with a success.
   */
  private async clearLeftover(): Promise<void> {
    if (!this.leftover) return;
    try {
      await this.writer.run('ROLLBACK');
      this.leftover = false;
    } catch (error: unknown) {
      if (/no transaction is active/u.test(error instanceof Error ? error.message : String(error))) this.leftover = false;
    }
  }

  /**
   * Opens a group's transaction, after rolling back what a failed `ROLLBACK` left open (a transaction that failed
   * earlier in the same group): left open, it would make this `BEGIN` and every later one fail, and the node would
   * write nothing more until restarted.
   */
  private async begin(): Promise<void> {
    await this.clearLeftover();
    await this.writer.run('BEGIN IMMEDIATE');
  }

  /**
   * Whether SQLite rolled back the open transaction by itself after a failed statement (it may, after an I/O
   * error, a full disk, no memory…): a BEGIN then succeeds (and the transaction it opens is left to roll back);
   * it fails while the transaction is still open.
   */
  private async transactionLost(): Promise<boolean> {
    try {
      await this.writer.run('BEGIN IMMEDIATE');
    } catch (error: unknown) {
      return !/within a transaction/u.test(error instanceof Error ? error.message : String(error));
    }
    return true;
  }

  /**
   * One group commit: takes queued transactions while they are short enough to wait for each other, runs each
   * (the first plainly, the next ones each in a savepoint), runs the work they deferred, commits, then answers
   * every caller.
   */
  private async group(): Promise<void> {
    // A stat per group (microseconds), just before its statements, not one per transaction: a write acknowledged into
    // a file no one will open again is lost. The transactions queued then are all refused: none would reach the file.
    const gone = this.fileProblem();
    if (gone !== undefined) {
      const error = new DatabaseFileGoneError(gone);
      for (let unit = this.pending[0]; unit !== undefined && unit.bare !== true; unit = this.pending[0]) {
        this.pending.shift();
        unit.reject(error);
      }
      return;
    }
    const started = performance.now();
    /** The transactions done in the open transaction, waiting for its commit. */
    let done: { unit: Unit; value: unknown }[] = [];
    /**
     * The transactions that failed, answered with the others once the group ends: answered at once, a caller would
     * act on what it saw in the group (a conflict with a write not committed yet) while readers do not see it yet,
     * and a retry would read the state from before that write and fail on it again.
     */
    const failed: { unit: Unit; error: unknown }[] = [];
    /** Work deferred by the transactions done, still to run in the open transaction. */
    let deferred: Deferred = new Map();
    let open = false;
    let closed = false;
    /** The whole transaction is lost (rolled back): every transaction done fails with `error`. */
    const lose = (error: unknown): void => {
      for (const d of done) failed.push({ unit: d.unit, error });
      done = [];
      deferred = new Map();
      open = false;
    };
    /** Runs the deferred work; false when it failed (the transaction is then rolled back, and lost). */
    const runDeferred = async (): Promise<boolean> => {
      try {
        const batch = deferred;
        deferred = new Map();
        for (const work of batch.values()) await work(this.writer);
        return true;
      } catch (error: unknown) {
        await this.rollback();
        lose(error);
        return false;
      }
    };
    /** Runs one transaction's work; its deferred work joins the group's only when it succeeds. */
    const run = async (unit: Unit): Promise<unknown> => {
      const own: Deferred = new Map();
      const value = await unit.work(this.writer, { defer: (key, work) => void own.set(key, work) });
      for (const [key, work] of own) deferred.set(key, work);
      return value;
    };
    /**
     * Runs transactions queued together as one shared statement ({@link TransactionOptions.batch}), without a
     * savepoint: the statement is atomic, and each transaction that fails in it wrote nothing. False when the
     * statement failed as a whole: nothing of it stays, and the transactions are to be run each alone.
     */
    const runBatch = async (units: readonly Unit[]): Promise<boolean> => {
      const first = !open;
      if (first) {
        try {
          await this.begin();
        } catch (error: unknown) {
          for (const unit of units) failed.push({ unit, error });
          return true;
        }
        open = true;
      }
      let outcomes: readonly BatchOutcome[];
      // The work the statement deferred joins the group's only when the statement stands.
      const own: Deferred = new Map();
      try {
        outcomes = await (units[0]?.batch as Batchable<unknown>).runner(
          this.writer, units.map((unit) => (unit.batch as Batchable<unknown>).part), { defer: (key, work) => void own.set(key, work), opensTransaction: first });
      } catch (error: unknown) {
        if (first) {
          await this.rollback();
          open = false;
        } else if (await this.transactionLost()) {
          // SQLite rolled the whole transaction back (an I/O error, a full disk…): nothing of the group stays.
          await this.rollback();
          lose(new TransactionLostError('the transaction was rolled back by SQLite', { cause: error }));
        }
        return false;
      }
      if (outcomes.length !== units.length) {
        // A runner's bug: what it wrote cannot be told apart, so none of it stays.
        const error = new Error(`a shared statement of ${units.length} transactions gave ${outcomes.length} outcomes`);
        await this.rollback();
        lose(error);
        for (const unit of units) failed.push({ unit, error });
        return true;
      }
      for (const [key, work] of own) deferred.set(key, work);
      units.forEach((unit, i) => {
        const outcome = outcomes[i] as BatchOutcome;
        if ('error' in outcome) failed.push({ unit, error: outcome.error });
        else done.push({ unit, value: outcome.value });
      });
      return true;
    };
    /**
     * Runs transactions queued together as one statement of a {@link Batchable.oneStatement} runner, outside any
     * transaction: SQLite commits the statement when it ends, or leaves nothing of it when it fails. False when it
     * failed as a whole: the transactions are to be run each alone.
     */
    const runCommitted = async (units: readonly Unit[]): Promise<boolean> => {
      let outcomes: readonly BatchOutcome[];
      try {
        outcomes = await (units[0]?.batch as Batchable<unknown>).runner(
          this.writer, units.map((unit) => (unit.batch as Batchable<unknown>).part), { ...NO_DEFERRAL, opensTransaction: false });
      } catch {
        return false;
      }
      if (outcomes.length !== units.length) {
        // A runner's bug: its statement is committed, and what it gave cannot be told apart.
        const error = new Error(`a shared statement of ${units.length} transactions gave ${outcomes.length} outcomes`);
        for (const unit of units) failed.push({ unit, error });
        return true;
      }
      units.forEach((unit, i) => {
        const outcome = outcomes[i] as BatchOutcome;
        if ('error' in outcome) failed.push({ unit, error: outcome.error });
        else done.push({ unit, value: outcome.value });
      });
      return true;
    };
    /** The kind of the long transactions sharing this commit ({@link TransactionOptions.shares}), when they do. */
    let shared: string | undefined;
    /** Their rows so far. */
    let sharedRows = 0;
    /** Refreshes of the statistics a shared commit went past: run after it, first of the queue again. */
    const parked: Unit[] = [];
    for (let taken = 0; !closed; taken++) {
      const unit = this.pending[0];
      if (unit === undefined || taken >= this.grouping.units) break;
      if (unit.bare === true) {
        // Each peer's sync asks for one after its attempt is recorded (`PRAGMA optimize`), between the applies of the
        // next ones: it would end every shared commit. It waits for this one (its statistics are of more rows then).
        if (shared === undefined || this.sharedAhead(shared, this.grouping.sharedRows - sharedRows, this.grouping.units - taken) === undefined) break;
        parked.push(unit);
        this.pending.shift();
        taken--;
        continue;
      }
      if (taken > 0 && this.urgent.length > 0) break;
      if (shared !== undefined) {
        // A commit shared by long transactions goes on while another of its kind is queued within its bound, taking the
        // short ones before it (in their order); with none, it ends here, and they go on as usual.
        if (this.sharedAhead(shared, this.grouping.sharedRows - sharedRows, this.grouping.units - taken) === undefined) break;
      } else if (taken > 0 && (unit.alone || performance.now() - started > this.grouping.ms)) {
        // A transaction alone is its own group: it ends the one before it, and takes none after it.
        break;
      }
      if (unit.shares !== undefined && (taken === 0 || shared !== undefined)) {
        shared = unit.shares.kind;
        sharedRows += unit.shares.rows;
      }
      // Too few to share a statement (`fewest`): the first runs by its own work, as any other.
      const units = unit.batch !== undefined ? this.batchAhead(this.grouping.units - taken) : [];
      if (units.length > 0 && units.length >= (unit.batch?.fewest ?? 1) && !open && unit.batch?.oneStatement === true) {
        // The group is this statement alone (a `ROLLBACK` that failed may have left a transaction open: it is
        // cleared first, and while it stays the group opens one of its own, below).
        await this.clearLeftover();
        if (!this.leftover) {
          this.pending.splice(0, units.length);
          closed = true;
          if (!(await runCommitted(units))) {
            // Each runs alone now (in the next groups), so that a failure is only its own.
            for (const u of units) u.batch = undefined;
            this.pending.unshift(...units);
          }
          continue;
        }
      }
      if (units.length > 0 && units.length >= (unit.batch?.fewest ?? 1)) {
        if (open && deferred.size > 0 && units.some((u) => !u.overlooksDeferred) && !(await runDeferred())) break;
        this.pending.splice(0, units.length);
        taken += units.length - 1;
        if (!(await runBatch(units))) {
          // Each runs alone now (in the next turns of this loop), so that a failure is only its own.
          for (const u of units) u.batch = undefined;
          this.pending.unshift(...units);
          taken -= units.length;
        }
        continue;
      }
      // A transaction that would read what deferred work writes sees it done first. Should that work fail, the group
      // ends lost, and this transaction runs in the next one.
      if (open && deferred.size > 0 && !unit.overlooksDeferred && !(await runDeferred())) break;
      closed = unit.alone && shared === undefined;
      this.pending.shift();
      if (!open) {
        try {
          await this.begin();
        } catch (error: unknown) {
          failed.push({ unit, error });
          continue;
        }
        open = true;
        try {
          done.push({ unit, value: await run(unit) });
        } catch (error: unknown) {
          // The first of the transaction: rolling all of it back leaves nothing of it and touches no other.
          await this.rollback();
          open = false;
          failed.push({ unit, error });
        }
        continue;
      }
      // Not released: `ROLLBACK TO` names the latest savepoint of that name, and COMMIT releases them all.
      try {
        await this.writer.run('SAVEPOINT unit');
      } catch (error: unknown) {
        failed.push({ unit, error });
        continue;
      }
      try {
        done.push({ unit, value: await run(unit) });
      } catch (error: unknown) {
        try {
          await this.writer.run('ROLLBACK TO unit');
        } catch (lost: unknown) {
          // No savepoint to go back to: SQLite rolled the whole transaction back (the work swallowed an I/O
          // error, a full disk…). Nothing of the group stays: its transactions fail with it.
          await this.rollback();
          // The cause is the work's error (a full disk: SQLITE_FULL), not the missing savepoint's: what the caller
          // is told (a 507, not a 500) depends on it.
          lose(new TransactionLostError('the transaction was rolled back by SQLite', { cause: error instanceof Error ? error : lost }));
        }
        failed.push({ unit, error });
      }
    }
    this.pending.unshift(...parked);
    if (open && (await runDeferred())) {
      try {
        await this.writer.run('COMMIT');
      } catch (error: unknown) {
        await this.rollback();
        lose(error);
      }
    }
    await this.clearLeftover();
    for (const d of done) d.unit.resolve(d.value);
    for (const f of failed) f.unit.reject(f.error);
  }
}
