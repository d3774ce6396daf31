/**
 * Upgrades, as an operator meets them: `maillon serve` on a database written by a newer Maillon exits 1 with one
 * clear line, and writes nothing to it; on a database of an older version it applies the missing migrations and
 * serves.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDatabase } from '../../server/store/sqlite/database.js';
import { migrate, MIGRATIONS, SCHEMA_VERSION } from '../../server/store/sqlite/migrations.js';
import { readRows } from '../helpers/sqlite.js';

const ROOT = join(import.meta.dirname, '../..');

/** `maillon serve` until it prints that it listens (then stopped with SIGTERM), or until it exits. */
function serve(db: string, dir: string): Promise<{ code: number | null; out: string; err: string; listened: boolean }> {
  const child = spawn(process.execPath, [
    '--import', 'tsx', 'server/cli/bin.ts', 'serve', '--port', '0', '--host', '127.0.0.1', '--db', db, '--data-dir', dir,
  ], { cwd: ROOT, env: { ...process.env, MAILLON_LOG_LEVEL: 'silent', MAILLON_SYNC_SCHEDULE: 'off' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let listened = false;
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    if (!listened && out.includes('listening on')) {
      listened = true;
      child.kill('SIGTERM');
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, out, err: signal === null ? err : `${err}(ended by ${signal})`, listened })));
}

describe('upgrades: maillon serve and the schema version of its database', function () {
  this.timeout(60_000);
  let dir: string;
  let db: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-upgrade-'));
    db = join(dir, 'maillon.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a database written by a newer Maillon: exit 1, one clear line, not a byte written', async () => {
    const made = await SqliteDatabase.open(db);
    await migrate(made);
    await made.transaction((tx) => tx.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from a newer Maillon', 'later')", [SCHEMA_VERSION + 2]));
    await made.close();
    const before = createHash('sha256').update(readFileSync(db)).digest('hex');
    const run = await serve(db, dir);
    expect(run.listened).to.equal(false);
    expect(run.code).to.equal(1);
    expect(run.err).to.equal(`maillon: ${db}: this database was written by a newer Maillon (schema ${SCHEMA_VERSION + 2}, this version knows up to `
      + `${SCHEMA_VERSION}); upgrade Maillon or restore a backup\n`);
    expect(createHash('sha256').update(readFileSync(db)).digest('hex')).to.equal(before);
    expect(existsSync(`${db}-wal`) ? readFileSync(`${db}-wal`).length : 0).to.equal(0);
  });

  it('brings a database of an older version up to date at start, then serves', async () => {
    const made = await SqliteDatabase.open(db);
    await migrate(made, MIGRATIONS.slice(0, 9));
    await made.close();
    const run = await serve(db, dir);
    expect(run.listened, run.err).to.equal(true);
    expect(run.code, run.err).to.equal(0);
    const applied = await readRows<{ version: number }>(db, 'SELECT version FROM schema_migrations ORDER BY version');
    expect(applied.map((r) => r.version)).to.deep.equal(MIGRATIONS.map((m) => m.version));
  });
});
