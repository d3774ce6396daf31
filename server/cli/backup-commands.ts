/**
 * `maillon backup FILE` and `maillon restore FILE`: a consistent copy of a node's database while it serves, and
 * that copy put back into a stopped node.
 *
 * @packageDocumentation
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadConfig, type ConfigOptions } from '../config.js';
import { backupDatabase, restoreDatabase, type DatabaseSummary } from '../store/sqlite/backup.js';
import { UsageError, type Io } from './node-commands.js';
import { count } from './words.js';

/** Options of the backup commands. */
export interface BackupCommandOptions extends ConfigOptions {
  /** Replace an existing backup file. */
  readonly force?: boolean | undefined;
}

function counts(summary: DatabaseSummary): string {
  return `schema ${summary.schema}, ${count(summary.enterprises, 'enterprise')}, ${count(summary.resources, 'resource')}, `
    + `${count(summary.orders, 'order')}, ${count(summary.peers, 'peer')}`;
}

/** The loaded taxonomies and stored JSON-LD contexts, which are files beside the database, not in it. */
function taxonomyNote(dataDir: string): string {
  const files = (folder: string): number => {
    const dir = join(dataDir, folder);
    return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).length : 0;
  };
  const parts = [
    ...(files('taxonomies') > 0 ? [`${count(files('taxonomies'), 'loaded taxonomy file')} in ${join(dataDir, 'taxonomies')}`] : []),
    ...(files('contexts') > 0 ? [`${count(files('contexts'), 'stored JSON-LD context')} in ${join(dataDir, 'contexts')}`] : []),
  ];
  return parts.length === 0 ? '' : `note: the ${parts.join(' and the ')} are not in the database: copy them too\n`;
}

/** `maillon backup FILE [--force]`: copies the database (while the node serves) to FILE. */
export async function backupCommand(file: string | undefined, options: BackupCommandOptions, io: Io): Promise<number> {
  if (file === undefined) throw new UsageError('usage: maillon backup FILE [--force] [--db DB]');
  const config = loadConfig(options);
  if (existsSync(file) && options.force !== true) {
    io.err(`maillon: ${file} exists; give --force to replace it\n`);
    return 1;
  }
  // The backups' own folder is made when missing (a first daily backup), not a whole path: a mistyped path
  // (`/nonexistent/dir/x.db`) is refused, not created.
  const dir = dirname(file);
  const makeDir = !existsSync(dir);
  if (makeDir && !existsSync(dirname(dir))) {
    io.err(`maillon: no folder ${dirname(dir)} to make ${dir} in for the backup: create it first\n`);
    return 1;
  }
  if (!existsSync(config.db)) {
    io.err(`maillon: no database at ${config.db} (give --db or --data-dir)\n`);
    return 1;
  }
  // Its parent is there: one level made, whoever makes it first (two backups at once).
  if (makeDir) mkdirSync(dir, { recursive: true });
  const started = Date.now();
  const outcome = await backupDatabase(config.db, file);
  io.out(`backed up ${config.db} to ${file} in ${Date.now() - started} ms: ${counts(outcome)}; integrity checked\n`);
  io.err(taxonomyNote(config.dataDir));
  return 0;
}

/** `maillon restore FILE`: replaces a stopped node's database by a backup. */
export async function restoreCommand(file: string | undefined, options: BackupCommandOptions, io: Io): Promise<number> {
  if (file === undefined) throw new UsageError('usage: maillon restore FILE [--db DB]');
  const config = loadConfig(options);
  const outcome = await restoreDatabase(file, config.db);
  io.out(`restored ${file} into ${config.db}: ${counts(outcome)}\n`);
  if (outcome.previous !== undefined) io.out(`the database it replaced is kept as ${outcome.previous}\n`);
  return 0;
}
