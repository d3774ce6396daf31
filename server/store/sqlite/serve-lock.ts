/**
 * One serving node per database. Two `maillon serve` on one file would each run the syncs, the order sweep and
 * the webhooks, and each serve from caches the other's writes never reach (the rendered pages, the federated
 * summary, the change feed's wake-ups): SQLite keeps the file whole, but what the nodes say would be wrong.
 *
 * The lock is an exclusive SQLite lock on a small file beside the database, held by one connection for as long
 * as the node serves. The operating system drops it with the process, so a node killed with `kill -9` leaves no
 * stale lock behind (a file holding a process id would, and a container restarted with the same pid would meet
 * its own). Commands that use the database while a node serves (a backup, adding a peer) do not take it.
 *
 * @packageDocumentation
 */
import { realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import sqlite3 from 'sqlite3';

/** Another node serves this database. */
export class DatabaseServedError extends Error {}

/** A held lock: {@link ServeLock.release} lets another node serve the database. */
export interface ServeLock {
  /** The lock file. */
  readonly path: string;
  release(): Promise<void>;
}

/**
 * The lock file of a database: beside the file the path leads to, so that a symbolic link to the database (or to a
 * folder on its path) takes the same lock. (A second hard link to the file is another path; it is not seen.)
 */
export function serveLockPath(db: string): string {
  let real: string;
  try {
    real = realpathSync(db);
  } catch {
    // Not there yet: its folder is, and may be a link.
    try {
      real = join(realpathSync(dirname(db)), basename(db));
    } catch {
      real = db;
    }
  }
  return `${real}.serve-lock`;
}

/**
 * Takes the serve lock of a database, failing at once with a {@link DatabaseServedError} when another node (in
 * this process or another) holds it. An in-memory database needs none.
 */
export async function acquireServeLock(db: string): Promise<ServeLock | undefined> {
  if (db === ':memory:' || db === '') return undefined;
  const path = serveLockPath(db);
  const connection = await new Promise<sqlite3.Database>((resolve, reject) => {
    const opened = new sqlite3.Database(path, sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE, (error: Error | null) => (error !== null ? reject(error) : resolve(opened)));
  });
  const exec = (sql: string): Promise<void> => new Promise((resolve, reject) => connection.exec(sql, (error: Error | null) => (error !== null ? reject(error) : resolve())));
  const close = (): Promise<void> => new Promise((resolve, reject) => connection.close((error: Error | null) => (error !== null ? reject(error) : resolve())));
  try {
    connection.configure('busyTimeout', 0);
    // In exclusive locking mode a connection keeps the locks it took until it closes; the journal in memory
    // leaves no other file beside the database.
    await exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = MEMORY; BEGIN EXCLUSIVE; COMMIT');
  } catch (error: unknown) {
    await close().catch(() => undefined);
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw new DatabaseServedError(`${db} is served by another node already (its lock ${path} is held): stop that node first, or give this one a database of its own (--data-dir or --db)`, { cause: error });
    }
    throw error;
  }
  let released = false;
  return {
    path,
    release: async () => {
      if (released) return;
      released = true;
      await close();
    },
  };
}
