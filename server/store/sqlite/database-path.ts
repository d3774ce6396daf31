/**
 * The database file's place on disk, checked before SQLite opens it. SQLite says only `SQLITE_CANTOPEN: unable to
 * open database file` or `SQLITE_IOERR: disk I/O error` for a path it cannot use, and Node's recursive `mkdir` loops
 * for ever on a path under `/proc`: an operator gets one line naming the path and what is wrong with it instead.
 *
 * @packageDocumentation
 */
import { accessSync, constants, mkdirSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';

/** A database path that cannot be used, with the reason. */
export class DatabasePathError extends Error {}

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function reason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'a read-only file system';
  if (code === 'ENOSPC') return 'no space left on the device';
  return error instanceof Error ? error.message : String(error);
}

/** Makes a folder and the folders above it, one at a time (see the module comment), failing with a reason. */
function makeFolder(folder: string, db: string): void {
  const found = statOf(folder);
  if (found !== undefined) {
    if (!found.isDirectory()) throw new DatabasePathError(`cannot use the database ${db}: ${folder} is a file, not a folder`);
    return;
  }
  const parent = dirname(folder);
  if (parent !== folder) makeFolder(parent, db);
  try {
    mkdirSync(folder);
  } catch (error: unknown) {
    if (statOf(folder)?.isDirectory() === true) return;
    throw new DatabasePathError(`cannot use the database ${db}: its folder ${folder} cannot be made (${reason(error)})`, { cause: error });
  }
}

/**
 * Makes the database's folder when missing, and checks that the database (or the folder it will be made in) can be
 * read and written by this process.
 *
 * @throws DatabasePathError naming the path and what is wrong with it
 */
export function prepareDatabasePath(db: string): void {
  if (db === ':memory:' || db === '') return;
  const folder = dirname(db);
  makeFolder(folder, db);
  const found = statOf(db);
  if (found?.isDirectory() === true) throw new DatabasePathError(`cannot use the database ${db}: it is a folder, not a database file`);
  try {
    accessSync(found === undefined ? folder : db, constants.R_OK | constants.W_OK);
    // SQLite writes its log and shared memory files beside the database.
    if (found !== undefined) accessSync(folder, constants.W_OK);
  } catch (error: unknown) {
    const what = found === undefined ? `its folder ${folder} cannot be written` : `it cannot be read and written by this process (user ${process.getuid?.() ?? '?'})`;
    throw new DatabasePathError(`cannot use the database ${db}: ${what} (${reason(error)})`, { cause: error });
  }
}
