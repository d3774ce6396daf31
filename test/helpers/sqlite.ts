/**
 * Reading a node's SQLite file from a test, to check what is stored: through a read-only connection of its
 * own, opened and closed for each query, so the test can never write and never holds a lock; and a probe of
 * the write lock that another process holds.
 */
import { existsSync } from 'node:fs';
import sqlite3 from 'sqlite3';

/** Values a query binds. */
export type SqlParam = string | number | null;

/**
 * The rows of one query on a database file, read through a read-only connection.
 *
 * @param file - the database file
 * @param sql - one statement (a SELECT or a read-only PRAGMA)
 * @param params - its bound parameters
 */
export function readRows<T>(file: string, sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
  return new Promise<T[]>((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (error: Error | null) => {
      if (error !== null) {
        reject(error);
        return;
      }
      const query = (): void => {
        db.all(sql, params as SqlParam[], (queryError: Error | null, rows: T[]) => {
          db.close(() => (queryError !== null ? reject(queryError) : resolve(rows)));
        });
      };
      // A node's sync runs are staged in a database beside it (`sync_staging`): read as if it were in the file.
      if (existsSync(`${file}-staging`)) db.run('ATTACH DATABASE ? AS staging', [`${file}-staging`], () => query());
      else query();
    });
  });
}

/** Every row of a table. */
export function readTable(file: string, table: string): Promise<Record<string, unknown>[]> {
  return readRows<Record<string, unknown>>(file, `SELECT * FROM ${table}`);
}

/**
 * A read-write connection of the test's own, to probe the write lock of a database another process writes:
 * sqlite3 waits 1 s for a lock by default, and the probe must not wait at all.
 */
export function openProbe(file: string): Promise<sqlite3.Database> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READWRITE, (error: Error | null) => {
      if (error !== null) {
        reject(error);
        return;
      }
      db.configure('busyTimeout', 0);
      resolve(db);
    });
  });
}

/**
 * Whether another process holds the database's write lock now. Without a busy timeout, `BEGIN IMMEDIATE`
 * fails at once with SQLITE_BUSY while a write transaction is open; when it succeeds, the probe lets go at once.
 */
export function writeLocked(probe: sqlite3.Database): Promise<boolean> {
  return new Promise((resolve, reject) => {
    probe.exec('BEGIN IMMEDIATE', (error: Error | null) => {
      if (error === null) probe.exec('ROLLBACK', (rollback: Error | null) => (rollback !== null ? reject(rollback) : resolve(false)));
      else if ((error as Error & { code?: string }).code === 'SQLITE_BUSY') resolve(true);
      else reject(error);
    });
  });
}

/**
 * Opens something (a store) whose SQLite connections, made while it opens, report each statement they run (its SQL,
 * parameters written in) into `traced`.
 *
 * @param traced - where the statements go
 * @param open - opens the connections
 */
export async function tracingStatements<T>(traced: Set<string>, open: () => Promise<T>): Promise<T> {
  const Original = sqlite3.Database;
  class Traced extends Original {
    public constructor(filename: string, mode?: number, callback?: (error: Error | null) => void) {
      super(filename, mode, callback);
      this.on('trace', (sql: string) => traced.add(sql));
    }
  }
  (sqlite3 as { Database: unknown }).Database = Traced;
  try {
    return await open();
  } finally {
    (sqlite3 as { Database: typeof Original }).Database = Original;
  }
}

/**
 * The traced statements that `matches` picks, once at least `atLeast` of them arrived and no statement came for a
 * while: sqlite3 reports a statement's trace apart from its result, so a trace can arrive after the statement's
 * promise settled. Gives what arrived by `timeoutMs`.
 *
 * @param traced - the statements traced so far (see {@link tracingStatements})
 * @param matches - which statements are wanted
 * @param atLeast - how many are expected at least
 * @param timeoutMs - how long to wait at most
 */
export async function tracedSettled(traced: ReadonlySet<string>, matches: (sql: string) => boolean, atLeast: number, timeoutMs = 2000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let seen = -1;
  for (;;) {
    const size = traced.size;
    const found = [...traced].filter(matches);
    if ((found.length >= atLeast && size === seen) || Date.now() >= deadline) return found;
    seen = size;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The steps of SQLite's plan for a statement that read a whole table (`SCAN t`, not a seek), for the tables (or
 * aliases) named.
 *
 * @param file - the database file
 * @param sql - the statement, its parameters written in
 * @param tables - the tables and aliases that must not be read whole
 */
export async function tableScans(file: string, sql: string, tables: readonly string[]): Promise<string[]> {
  const plan = await readRows<{ detail: string }>(file, `EXPLAIN QUERY PLAN ${sql}`);
  return plan.map((row) => row.detail).filter((detail) => tables.some((table) => new RegExp(`^SCAN ${table}\\b`, 'u').test(detail)));
}
