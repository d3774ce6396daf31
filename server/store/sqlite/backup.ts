/**
 * Backups and restores of a node's SQLite database, while it serves (backup) or once it is stopped (restore).
 *
 * A backup goes through SQLite's online backup API on a read-only connection of its own: in WAL mode the node
 * keeps writing meanwhile, and the copy is one consistent state of the database (SQLite starts a copy again when
 * another connection wrote to the pages it had copied). It is written beside the target, checked (integrity,
 * schema, counts), and renamed into place: a target file is never half written. The copy is one self-contained
 * file (rollback journal mode; the node turns WAL on again when it opens it).
 *
 * A restore refuses while any connection has the database open: leaving WAL mode needs the only connection to
 * the file, so a probe that asks for it and is told "busy" has found a node (or another command) using it.
 *
 * @packageDocumentation
 */
import { chmodSync, chownSync, closeSync, copyFileSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
// A retry of one command's own step, not background work: it stays with the command (as net/ keeps a request's deadlines).
import { setTimeout as sleep } from 'node:timers/promises';
import sqlite3 from 'sqlite3';
import { withReadOnly, withWritable, type SqlConnection } from './database.js';
import { acquireServeLock, DatabaseServedError } from './serve-lock.js';
import { recordedSchemaVersion, SCHEMA_VERSION, SchemaTooNewError } from './migrations.js';

/** The `sqlite3.Backup` object (`Database#backup`), which the package's typings leave out. */
interface SqliteBackup {
  step(pages: number, callback: (error?: (Error & { code?: string }) | null, done?: boolean) => void): void;
  finish(callback: (error?: Error | null) => void): void;
  readonly remaining: number;
  readonly pageCount: number;
  readonly completed: boolean;
  readonly failed: boolean;
}

/** What a database holds, counted after a backup or before a restore. */
export interface DatabaseSummary {
  /** Its schema version (the last migration recorded). */
  readonly schema: number;
  readonly enterprises: number;
  readonly resources: number;
  readonly orders: number;
  readonly peers: number;
}

/** A database file that is not a Maillon database a restore can use (not SQLite, damaged, no Maillon schema). */
export class NotAMaillonDatabaseError extends Error {}

/** A database that a node (or another command) has open: it cannot be restored over. */
export class DatabaseInUseError extends Error {}

/** A backup or restore that would write a database over itself. */
export class SameFileError extends Error {}

/** Whether two paths name one file (one inode: links and relative paths included). */
function sameFile(a: string, b: string): boolean {
  if (!existsSync(a) || !existsSync(b)) return false;
  const [x, y] = [statSync(a), statSync(b)];
  return x.dev === y.dev && x.ino === y.ino;
}

/** Whether `b` is `a` or one of the files SQLite keeps beside it (its log, its index): writing there corrupts `a`. */
function partOf(a: string, b: string): boolean {
  return ['', '-wal', '-shm', '-journal', '-staging', '-staging-journal'].some((suffix) => sameFile(`${a}${suffix}`, b) || `${a}${suffix}` === b);
}

/**
 * A database holds token hashes, peer tokens and OpenID secrets: its copies are readable by their owner only,
 * whatever the umask of whoever runs the command.
 */
const PRIVATE_FILE = 0o600;

/** Options of {@link backupDatabase}. */
export interface BackupOptions {
  /** Pages copied per step (default 256: 1 MB with 4 KB pages). */
  readonly pagesPerStep?: number;
  /**
   * Copies started again because the node wrote meanwhile, before the rest is copied in one step (default 3): one
   * step holds one read snapshot, which in WAL mode never blocks the node's writes.
   */
  readonly maxRestarts?: number;
  /** Called after each step, with the pages left and the pages in all. */
  readonly onProgress?: (remaining: number, pageCount: number) => void;
}

/** What {@link backupDatabase} did. */
export interface BackupOutcome extends DatabaseSummary {
  readonly pages: number;
  /** How many times the copy started again because the node wrote meanwhile. */
  readonly restarts: number;
}

const RETRY_MS = 50;
const MAX_RETRIES = 200;

function open(path: string, mode: number): Promise<sqlite3.Database> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, mode, (error: Error | null) => (error !== null ? reject(error) : resolve(db)));
  });
}

function close(db: sqlite3.Database): Promise<void> {
  return new Promise((resolve, reject) => db.close((error: Error | null) => (error !== null ? reject(error) : resolve())));
}

function all<T>(db: sqlite3.Database, sql: string): Promise<T[]> {
  return new Promise((resolve, reject) => db.all(sql, (error: Error | null, rows: T[]) => (error !== null ? reject(error) : resolve(rows))));
}

function step(backup: SqliteBackup, pages: number): Promise<boolean> {
  // The callbacks are called with no error argument at all on success.
  return new Promise((resolve, reject) => backup.step(pages, (error, done) => (error instanceof Error ? reject(error) : resolve(done === true))));
}

function finish(backup: SqliteBackup): Promise<void> {
  return new Promise((resolve, reject) => backup.finish((error) => (error instanceof Error ? reject(error) : resolve())));
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

/** Writes a file's data to the disk before it is renamed into place. */
function syncFile(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

async function count(connection: SqlConnection, table: string): Promise<number> {
  return (await connection.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))?.n ?? 0;
}

/**
 * Checks that a file is a whole Maillon database and counts what it holds.
 *
 * @throws NotAMaillonDatabaseError when it is not SQLite, fails its integrity check, or has no Maillon schema
 */
export async function inspectDatabase(path: string): Promise<DatabaseSummary> {
  if (!existsSync(path)) throw new NotAMaillonDatabaseError(`${path}: no such file`);
  try {
    return await withReadOnly(path, async (connection) => {
      const integrity = await connection.all<{ integrity_check: string }>('PRAGMA integrity_check');
      if (integrity.length !== 1 || integrity[0]?.integrity_check !== 'ok') {
        throw new NotAMaillonDatabaseError(`${path}: the database is damaged (${integrity.slice(0, 3).map((r) => r.integrity_check).join('; ')})`);
      }
      const schema = await recordedSchemaVersion(connection);
      const meta = await connection.get<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'");
      if (schema === 0 || meta === undefined) throw new NotAMaillonDatabaseError(`${path}: not a Maillon database (no Maillon schema in it)`);
      const foreign = await connection.all('PRAGMA foreign_key_check');
      if (foreign.length > 0) throw new NotAMaillonDatabaseError(`${path}: the database is inconsistent (${foreign.length} broken foreign key(s))`);
      return {
        schema,
        enterprises: await count(connection, 'enterprises'),
        resources: await count(connection, 'resources'),
        orders: schema >= 10 ? await count(connection, 'orders') : 0,
        peers: schema >= 2 ? await count(connection, 'peers') : 0,
      };
    });
  } catch (error: unknown) {
    if (error instanceof NotAMaillonDatabaseError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new NotAMaillonDatabaseError(`${path}: not a Maillon database (${reason})`, { cause: error });
  }
}

/** Whether a process of this id runs (one of another user's too). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error: unknown) {
    return (error as { code?: unknown }).code === 'EPERM';
  }
}

/**
 * Removes the work files (`TARGET.partial-PID`, `TARGET.restoring-PID` and their journals) that a backup or restore
 * of `target` killed before its end left behind: each is as large as the database, and a daily backup interrupted
 * now and then would fill the disk with them. Those of a process still running are its own, and kept.
 */
export function removeLeftovers(target: string, kind: 'partial' | 'restoring'): string[] {
  const folder = dirname(target);
  const prefix = `${basename(target)}.${kind}-`;
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = /^(\d+)(?:-journal)?$/u.exec(name.startsWith(prefix) ? name.slice(prefix.length) : '')?.[1];
    if (pid === undefined || Number(pid) === process.pid || running(Number(pid))) continue;
    rmSync(join(folder, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * Copies a database, consistently, while other connections (a serving node) write to it. The copy is written
 * beside `target`, checked, then renamed over it.
 *
 * @param source - the database file
 * @param target - the backup file (replaced when it exists: the caller decides whether it may)
 */
export async function backupDatabase(source: string, target: string, options: BackupOptions = {}): Promise<BackupOutcome> {
  if (!existsSync(source)) throw new NotAMaillonDatabaseError(`${source}: no such database`);
  if (partOf(source, target)) throw new SameFileError(`${target} is the database itself or one of its files: back it up to another file`);
  const partial = `${target}.partial-${process.pid}`;
  removeLeftovers(target, 'partial');
  rmSync(partial, { force: true });
  // Made empty and private first: SQLite writes into it and keeps its mode.
  closeSync(openSync(partial, 'wx', PRIVATE_FILE));
  // Read-only: a backup never writes to the database it copies.
  const db = await open(source, sqlite3.OPEN_READONLY);
  let pages = 0;
  let restarts = 0;
  try {
    // Any Maillon database, of a newer version too: a copy is safe, and is what an operator should take first.
    await withSchema(db, source);
    const backup = (db as unknown as { backup(file: string): SqliteBackup }).backup(partial);
    let copied = 0;
    let retries = 0;
    let done = false;
    while (!done) {
      const whole = restarts >= (options.maxRestarts ?? 3);
      try {
        done = await step(backup, whole ? -1 : (options.pagesPerStep ?? 256));
      } catch (error: unknown) {
        if (!isBusy(error) || backup.failed || retries >= MAX_RETRIES) {
          await finish(backup).catch(() => undefined);
          throw error;
        }
        retries += 1;
        await sleep(RETRY_MS);
        continue;
      }
      retries = 0;
      const now = backup.pageCount - backup.remaining;
      if (!done && now <= copied) restarts += 1;
      copied = now;
      pages = backup.pageCount;
      options.onProgress?.(backup.remaining, backup.pageCount);
    }
    await finish(backup);
  } catch (error: unknown) {
    rmSync(partial, { force: true });
    throw error;
  } finally {
    await close(db);
  }
  try {
    // One self-contained file: no -wal beside it to forget when it is copied elsewhere.
    const copy = await open(partial, sqlite3.OPEN_READWRITE);
    try {
      await all(copy, 'PRAGMA journal_mode = DELETE');
    } finally {
      await close(copy);
    }
    const summary = await inspectDatabase(partial);
    chmodSync(partial, PRIVATE_FILE);
    syncFile(partial);
    renameSync(partial, target);
    return { ...summary, pages, restarts };
  } catch (error: unknown) {
    rmSync(partial, { force: true });
    rmSync(`${partial}-journal`, { force: true });
    throw error;
  }
}

async function withSchema(db: sqlite3.Database, path: string): Promise<number> {
  const rows = await all<{ name: string }>(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").catch((error: unknown) => {
    throw new NotAMaillonDatabaseError(`${path}: not a Maillon database (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  });
  if (rows.length === 0) throw new NotAMaillonDatabaseError(`${path}: not a Maillon database (no Maillon schema in it)`);
  const version = await all<{ v: number | null }>(db, 'SELECT max(version) AS v FROM schema_migrations');
  return version[0]?.v ?? 0;
}

/**
 * Fails unless no connection has the database open. Asking SQLite to leave WAL mode succeeds only for the one
 * connection to the file (an idle node's connections keep a shared lock on it), so a "busy" answer means a node
 * or another command is using it; when it succeeds, the database's log is folded into the file, which is then
 * whole on its own.
 */
async function claimStopped(path: string): Promise<void> {
  const db = await open(path, sqlite3.OPEN_READWRITE);
  try {
    db.configure('busyTimeout', 0);
    let mode: string | undefined;
    try {
      mode = (await all<{ journal_mode: string }>(db, 'PRAGMA journal_mode = DELETE'))[0]?.journal_mode;
    } catch (error: unknown) {
      if (!isBusy(error)) throw error;
    }
    if (mode !== 'delete') {
      throw new DatabaseInUseError(`${path} is in use: a node (or another maillon command) has it open; stop it, then restore`);
    }
  } finally {
    await close(db);
  }
}

/** What {@link restoreDatabase} did. */
export interface RestoreOutcome extends DatabaseSummary {
  /** Where the database that was replaced is kept (none when there was none). */
  readonly previous: string | undefined;
}

/**
 * The highest sequence a database's change feed has given, its dropped versions' included (SQLite's
 * AUTOINCREMENT counter); 0 for a database without a feed. A database whose feed cannot be read (a damaged one,
 * which is a reason to restore) counts as 0: the restore goes on, and its new stream still makes followers resync.
 */
async function issuedFeedSeq(path: string): Promise<number> {
  try {
    return await withReadOnly(path, async (connection) => {
      const tables = new Set((await connection.all<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('feed_events', 'sqlite_sequence')")).map((r) => r.name));
      const counter = tables.has('sqlite_sequence')
        ? (await connection.get<{ seq: number | null }>("SELECT max(seq) AS seq FROM sqlite_sequence WHERE name = 'feed_events'"))?.seq ?? 0 : 0;
      const newest = tables.has('feed_events') ? (await connection.get<{ seq: number | null }>('SELECT max(seq) AS seq FROM feed_events'))?.seq ?? 0 : 0;
      return Math.max(counter, newest);
    });
  } catch {
    return 0;
  }
}

/**
 * Gives a restored database's change feed a new stream id, and its next sequence numbers past `issued` (the
 * highest the replaced database had given). The feed's sequences would otherwise go back to the backup's, and the
 * restored node would write its next changes under numbers it had given other changes before: a version IRI
 * (`/feed/versions/{seq}`, an LDES member, a notification's `maillon:version`) would name two different changes,
 * and a follower whose cursor is past them would read on from its cursor and never see them. A new stream is a
 * reset cursor to every follower, which resyncs once (as after a private enterprise's removal). A database older
 * than the stream id (migration 6) gets one, random, when the node migrates it; one older than the feed
 * (migration 3) has no counter to move, and starts its feed at 1.
 */
async function newFeedStream(path: string, issued: number): Promise<void> {
  await withWritable(path, async (connection) => {
    // A backup from before the stream id (meta) may still have a feed: its numbers continue past the replaced ones too.
    if ((await connection.get("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'meta'")) !== undefined) {
      await connection.run("UPDATE meta SET value = lower(hex(randomblob(16))) WHERE key = 'stream_id'");
    }
    if (issued <= 0 || (await connection.get("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'feed_events'")) === undefined) return;
    // SQLite gives an AUTOINCREMENT key one more than the largest of its counter and the table's keys.
    const moved = await connection.run("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'feed_events'", [issued]);
    if (moved.changes === 0) await connection.run("INSERT INTO sqlite_sequence (name, seq) VALUES ('feed_events', ?)", [issued]);
  });
}

/**
 * Replaces a stopped node's database by a backup. The backup is checked first (a whole Maillon database of a
 * schema this version opens); the database it replaces is kept beside it as `<db>.before-restore-<time>`; the
 * new file is copied beside the database and renamed over it, so the database path always holds a whole file. The
 * restored feed is a new stream whose sequences continue past the replaced database's: no version IRI names two changes.
 *
 * @param backup - the backup file
 * @param target - the node's database file
 * @param now - the time in the name of the kept database
 */
export async function restoreDatabase(backup: string, target: string, now: Date = new Date()): Promise<RestoreOutcome> {
  if (partOf(target, backup)) throw new SameFileError(`${backup} is the database itself or one of its files: restore another file`);
  // Committed transactions may still be in a log beside the file: reading them through SQLite (the check below)
  // and then copying the main file alone would restore less than the counts say.
  for (const log of ['-wal', '-journal']) {
    if (existsSync(`${backup}${log}`) && statSync(`${backup}${log}`).size > 0) {
      throw new NotAMaillonDatabaseError(`${backup} has a ${backup}${log} beside it: it is a live copy, not a backup; `
        + 'take one with maillon backup (or open it once with sqlite3 to checkpoint it)');
    }
  }
  const summary = await inspectDatabase(backup);
  if (summary.schema > SCHEMA_VERSION) throw new SchemaTooNewError(summary.schema, SCHEMA_VERSION, backup);
  mkdirSync(dirname(target), { recursive: true });
  // Held to the end: a node started meanwhile would open the file being replaced (one serving now holds it already).
  const lock = await acquireServeLock(target).catch((error: unknown) => {
    if (error instanceof DatabaseServedError) throw new DatabaseInUseError(`${target} is in use: a node serves it; stop it, then restore`, { cause: error });
    throw error;
  });
  try {
    return await replaceWith(backup, target, now, summary);
  } finally {
    await lock?.release();
  }
}

/** {@link restoreDatabase} once the backup is checked and the database is held. */
async function replaceWith(backup: string, target: string, now: Date, summary: DatabaseSummary): Promise<RestoreOutcome> {
  let previous: string | undefined;
  let issued = 0;
  // Whose the replaced database was: a restore run as root gives the new one to the node's own user, not to root
  // (the service user could neither read nor write it, and the node refused to start).
  const owner = existsSync(target) ? statSync(target) : undefined;
  if (existsSync(target)) {
    await claimStopped(target);
    // Read once no node has it open: every sequence it gave is counted.
    issued = await issuedFeedSeq(target);
    previous = `${target}.before-restore-${now.toISOString().replace(/[:.]/gu, '-')}`;
    // A second name for the same file: the database path is never empty, and nothing is copied.
    try {
      linkSync(target, previous);
    } catch {
      copyFileSync(target, previous);
    }
  }
  const incoming = `${target}.restoring-${process.pid}`;
  removeLeftovers(target, 'restoring');
  try {
    copyFileSync(backup, incoming);
    chmodSync(incoming, PRIVATE_FILE);
    if (owner !== undefined && process.getuid?.() === 0) chownSync(incoming, owner.uid, owner.gid);
    await newFeedStream(incoming, issued);
    syncFile(incoming);
    // The log files of the replaced database would be read as the new one's: gone (the probe emptied them).
    rmSync(`${target}-wal`, { force: true });
    rmSync(`${target}-shm`, { force: true });
    rmSync(`${target}-journal`, { force: true });
    // The runs the replaced database was staging are not the restored one's (made again, empty, at the next start).
    rmSync(`${target}-staging`, { force: true });
    rmSync(`${target}-staging-journal`, { force: true });
    renameSync(incoming, target);
  } catch (error: unknown) {
    rmSync(incoming, { force: true });
    throw error;
  }
  return { ...summary, previous };
}
