/**
 * Reading a node's SQLite file from a test, to check what is stored: through a read-only connection of its
 * own, opened and closed for each query, so the test can never write and never holds a lock.
 */
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
      db.all(sql, params as SqlParam[], (queryError: Error | null, rows: T[]) => {
        db.close(() => (queryError !== null ? reject(queryError) : resolve(rows)));
      });
    });
  });
}

/** Every row of a table. */
export function readTable(file: string, table: string): Promise<Record<string, unknown>[]> {
  return readRows<Record<string, unknown>>(file, `SELECT * FROM ${table}`);
}
