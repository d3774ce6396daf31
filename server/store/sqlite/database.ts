/**
 * A small promise wrapper around `sqlite3` with serialised write transactions.
 *
 * sqlite3 gives one connection per `Database`. Statements of two concurrent requests would interleave inside
 * one `BEGIN … COMMIT`, so every write goes through {@link SqliteDatabase.transaction}, which holds a lock for
 * the whole transaction. Reads use a second connection: in WAL mode it sees only committed data, so a write
 * that is later rolled back is never visible to a reader.
 *
 * @packageDocumentation
 */
import sqlite3 from 'sqlite3';

/** Values SQLite binds. */
export type SqlValue = string | number | bigint | Buffer | null;

/** One connection's promise API. */
export interface SqlConnection {
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number; lastID: number }>;
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  exec(sql: string): Promise<void>;
}

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

function openConnection(path: string, mode: number): Promise<sqlite3.Database> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, mode, (error: Error | null) => (error !== null ? reject(error) : resolve(db)));
  });
}

function closeConnection(db: sqlite3.Database): Promise<void> {
  return new Promise((resolve, reject) => db.close((error: Error | null) => (error !== null ? reject(error) : resolve())));
}

/**
 * Runs `work` on a read-only connection of its own to a database file, and closes it: a look at a file that must
 * not be written (its schema version before opening it, a backup to check).
 *
 * @param path - an existing database file
 */
export async function withReadOnly<T>(path: string, work: (connection: SqlConnection) => Promise<T>): Promise<T> {
  const db = await openConnection(path, sqlite3.OPEN_READONLY);
  try {
    const connection = wrap(db);
    await connection.exec('PRAGMA busy_timeout = 5000;');
    return await work(connection);
  } finally {
    await closeConnection(db);
  }
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
    run: (sql, params) => on((c) => c.run(sql, params)),
    get: (sql, params) => on((c) => c.get(sql, params)),
    all: (sql, params) => on((c) => c.all(sql, params)),
    exec: (sql) => Promise.all(connections.map((c) => c.exec(sql))).then(() => undefined),
  };
}

/** How many read-only connections a database opens (the machines this runs on have two cores or more). */
const READERS = 2;

/** The writer's page cache, in KiB (64 MiB): see {@link SqliteDatabase.open}. */
const WRITER_CACHE_KIB = 65_536;

/** Each reader's page cache, in KiB (16 MiB): a national query reads index pages that a 2 MiB cache would drop. */
const READER_CACHE_KIB = 16_384;

/** An SQLite database: a writer connection behind a lock and a pool of reader connections. */
export class SqliteDatabase {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly writerDb: sqlite3.Database,
    private readonly readerDbs: readonly sqlite3.Database[],
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
   */
  public static async open(path: string): Promise<SqliteDatabase> {
    const writerDb = await openConnection(path, sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE | sqlite3.OPEN_FULLMUTEX);
    const writer = wrap(writerDb);
    // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the last commits.
    await writer.exec('PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;');
    // A page cache of WRITER_CACHE_KIB (SQLite's default is 2 MiB): a sync writes a thousand rows into a dozen indexes
    // keyed by IRIs, all over a national index's gigabytes; with 2 MiB nearly every insert reads its pages again.
    await writer.exec(`PRAGMA cache_size = -${WRITER_CACHE_KIB}; PRAGMA temp_store = MEMORY;`);
    if (path === ':memory:') return new SqliteDatabase(writerDb, [], writer, writer, path);
    const readerDbs: sqlite3.Database[] = [];
    for (let i = 0; i < READERS; i++) readerDbs.push(await openConnection(path, sqlite3.OPEN_READONLY | sqlite3.OPEN_FULLMUTEX));
    const reader = pool(readerDbs.map(wrap));
    await reader.exec(`PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA cache_size = -${READER_CACHE_KIB};`);
    return new SqliteDatabase(writerDb, readerDbs, writer, reader, path);
  }

  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws. Transactions
   * run one at a time.
   *
   * @param work - the statements, on the writer connection
   */
  public transaction<T>(work: (tx: SqlConnection) => Promise<T>): Promise<T> {
    const result = this.queue.then(async () => {
      await this.writer.exec('BEGIN IMMEDIATE');
      try {
        const value = await work(this.writer);
        await this.writer.exec('COMMIT');
        return value;
      } catch (error: unknown) {
        await this.writer.exec('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
    // The queue must survive a failed transaction.
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Refreshes the query planner's statistics where the tables changed much since they were gathered (`PRAGMA
   * optimize`: a table is analysed again only when its size changed much). Without them the planner reads a
   * territory's rows through the wrong index, one lookup each: seconds instead of tens of milliseconds. The whole
   * index is read (no `analysis_limit`): a sample of its first entries says nothing of a column like `winner`,
   * the same on every row. Run after opening and after big writes (a peer's snapshot); queued like a transaction.
   */
  public optimize(): Promise<void> {
    const result = this.queue.then(() => this.writer.exec('PRAGMA analysis_limit = 0; PRAGMA optimize = 0x10002;'));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Closes both connections, after the pending transactions. */
  public async close(): Promise<void> {
    await this.queue;
    for (const readerDb of this.readerDbs) await closeConnection(readerDb);
    await closeConnection(this.writerDb);
  }
}
