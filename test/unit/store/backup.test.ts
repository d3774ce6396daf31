/**
 * The backup of a database that is being written: the copy is one consistent state (every enterprise written
 * before the backup began, and a prefix of the writes, never a gap), even when SQLite has to start the copy
 * again because the writer changed pages it had copied. And what a restore refuses.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chownSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeId } from '../../../ontology/iri.js';
import type { DfcRecord } from '../../../ontology/records.js';
import {
  backupDatabase, DatabaseInUseError, inspectDatabase, NotAMaillonDatabaseError, restoreDatabase, SameFileError,
} from '../../../server/store/sqlite/backup.js';
import { acquireServeLock } from '../../../server/store/sqlite/serve-lock.js';
import { SchemaTooNewError, SCHEMA_VERSION } from '../../../server/store/sqlite/migrations.js';
import { SqliteStore } from '../../../server/store/sqlite/sqlite-store.js';
import { readRows } from '../../helpers/sqlite.js';

const BASE = 'http://node.test';

function enterprise(eid: string): DfcRecord[] {
  return [{
    kind: 'Enterprise', id: `${BASE}/api/dfc/enterprises/${eid}` as NodeId, name: `Ferme ${eid}`, description: 'x'.repeat(2000),
    supplies: [], manages: [], maintains: [], customerCategories: [], affiliates: [],
  } as DfcRecord];
}

describe('database backup and restore', () => {
  let folder: string;
  let db: string;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'maillon-backup-'));
    db = join(folder, 'node.db');
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('copies a database being written to: one consistent state holding every write made before it began', async () => {
    const store = await SqliteStore.open({ path: db, baseUrl: BASE });
    let written = 0;
    let stop = false;
    const writer = (async () => {
      while (!stop) {
        const eid = `e${String(written).padStart(5, '0')}`;
        await store.createEnterprise(eid, `${BASE}/api/dfc/enterprises/${eid}`, enterprise(eid));
        written += 1;
      }
    })();
    try {
      while (written < 300) await new Promise((resolve) => setImmediate(resolve));
      const before = written;
      const copy = join(folder, 'copy.db');
      // A few pages per step: the writer changes pages between two steps, and the copy starts again.
      const outcome = await backupDatabase(db, copy, { pagesPerStep: 4, maxRestarts: 2 });
      const after = written;
      stop = true;
      await writer;
      expect(after, 'writes went on during the backup').to.be.greaterThan(before);
      expect(outcome.restarts, 'the copy started again after writes').to.be.greaterThan(0);
      const rows = await readRows<{ eid: string }>(copy, 'SELECT eid FROM enterprises ORDER BY eid');
      expect(rows.length).to.be.at.least(before);
      expect(rows.map((r) => r.eid), 'a prefix of the writes, no gap').to.deep.equal(
        Array.from({ length: rows.length }, (_, i) => `e${String(i).padStart(5, '0')}`));
      expect(outcome.enterprises).to.equal(rows.length);
      expect(await readRows(copy, 'PRAGMA integrity_check')).to.deep.equal([{ integrity_check: 'ok' }]);
      // One file: no log beside it, and the journal mode a plain copy can be moved in.
      expect(await readRows(copy, 'PRAGMA journal_mode')).to.deep.equal([{ journal_mode: 'delete' }]);
      expect(existsSync(`${copy}-wal`)).to.equal(false);
      expect(existsSync(`${copy}.partial-${process.pid}`)).to.equal(false);
    } finally {
      stop = true;
      await writer;
      await store.close();
    }
  });

  it('refuses to copy a file that is not a Maillon database, and leaves nothing behind', async () => {
    const junk = join(folder, 'junk.db');
    writeFileSync(junk, 'not a database at all, just text that is long enough to be read as a header........');
    let refused: unknown;
    await backupDatabase(junk, join(folder, 'out.db')).catch((error: unknown) => {
      refused = error;
    });
    expect(refused).to.be.instanceOf(NotAMaillonDatabaseError);
    expect(String(refused)).to.match(/junk\.db: not a Maillon database/u);
    expect(existsSync(join(folder, 'out.db'))).to.equal(false);
    expect(existsSync(join(folder, `out.db.partial-${process.pid}`))).to.equal(false);
  });

  it('restores only a whole Maillon database of a schema it knows, and never over a database in use', async () => {
    const store = await SqliteStore.open({ path: db, baseUrl: BASE });
    await store.createEnterprise('ferme', `${BASE}/api/dfc/enterprises/ferme`, enterprise('ferme'));
    const copy = join(folder, 'copy.db');
    await backupDatabase(db, copy);
    await store.createEnterprise('later', `${BASE}/api/dfc/enterprises/later`, enterprise('later'));
    // The node has the database open: refused, and nothing moved.
    let refused: unknown;
    await restoreDatabase(copy, db).catch((error: unknown) => {
      refused = error;
    });
    expect(refused).to.be.instanceOf(DatabaseInUseError);
    expect(String(refused)).to.match(/node\.db is in use: a node \(or another maillon command\) has it open; stop it, then restore/u);
    expect((await store.listEnterprises()).map((e) => e.eid)).to.deep.equal(['ferme', 'later']);
    await store.close();

    const junk = join(folder, 'junk.db');
    writeFileSync(junk, 'SQLite format 3\0 but not really');
    await restoreDatabase(junk, db).then(() => expect.fail('restored junk'), (error: unknown) => {
      expect(error).to.be.instanceOf(NotAMaillonDatabaseError);
    });
    expect((await inspectDatabase(db)).enterprises, 'junk changed nothing').to.equal(2);

    // A node that started to serve (its lock held) but has not opened the database yet: refused too, and while a
    // restore runs, it holds that lock, so no node starts on the file being replaced.
    const serving = await acquireServeLock(db);
    await restoreDatabase(copy, db).then(() => expect.fail('restored under a serving node'), (error: unknown) => {
      expect(error).to.be.instanceOf(DatabaseInUseError);
      expect(String(error)).to.match(/node\.db is in use: a node serves it; stop it, then restore/u);
    });
    await serving?.release();
    expect((await inspectDatabase(db)).enterprises, 'a refused restore changed nothing').to.equal(2);

    const stream = async (path: string): Promise<string | undefined> =>
      (await readRows<{ value: string }>(path, "SELECT value FROM meta WHERE key = 'stream_id'"))[0]?.value;
    const before = await stream(copy);
    expect(before).to.match(/^[0-9a-f]{32}$/u);
    const outcome = await restoreDatabase(copy, db, new Date('2026-12-02T13:30:00.000Z'));
    expect(outcome.enterprises).to.equal(1);
    // A new feed stream: the restored node's next sequence numbers were given to other changes before, and every
    // follower must resync once instead of reading on from its cursor. The backup itself is left as it was.
    const after = await stream(db);
    expect(after).to.match(/^[0-9a-f]{32}$/u);
    expect(after).to.not.equal(before);
    expect(await stream(copy)).to.equal(before);
    expect(existsSync(`${db}-journal`)).to.equal(false);
    expect(outcome.previous).to.equal(`${db}.before-restore-2026-12-02T13-30-00-000Z`);
    expect((await readRows<{ eid: string }>(db, 'SELECT eid FROM enterprises')).map((r) => r.eid)).to.deep.equal(['ferme']);
    expect((await readRows<{ eid: string }>(outcome.previous as string, 'SELECT eid FROM enterprises ORDER BY eid')).map((r) => r.eid))
      .to.deep.equal(['ferme', 'later']);
    const reopened = await SqliteStore.open({ path: db, baseUrl: BASE });
    expect((await reopened.listEnterprises()).map((e) => e.eid)).to.deep.equal(['ferme']);
    await reopened.close();
  });

  it('a restored feed gives no sequence number the replaced database had given: no version IRI names two changes', async () => {
    const store = await SqliteStore.open({ path: db, baseUrl: BASE });
    await store.createEnterprise('ferme', `${BASE}/api/dfc/enterprises/ferme`, enterprise('ferme'));
    const copy = join(folder, 'copy.db');
    await backupDatabase(db, copy);
    const atBackup = await store.feed.latestSeq();
    for (const eid of ['later', 'later2']) await store.createEnterprise(eid, `${BASE}/api/dfc/enterprises/${eid}`, enterprise(eid));
    // The newest versions can be gone (compaction, a private enterprise's removal): what counts is what was given.
    const given = await store.feed.latestSeq();
    await store.removeEnterprise('later2');
    await store.close();
    const issued = (await readRows<{ seq: number }>(db, "SELECT seq FROM sqlite_sequence WHERE name = 'feed_events'"))[0]?.seq ?? 0;
    expect(issued).to.be.greaterThan(given);
    expect(given).to.be.greaterThan(atBackup);
    await restoreDatabase(copy, db);
    const restored = await SqliteStore.open({ path: db, baseUrl: BASE });
    try {
      expect(await restored.feed.latestSeq(), 'the backup\'s versions are kept as they were').to.equal(atBackup);
      await restored.createEnterprise('new', `${BASE}/api/dfc/enterprises/new`, enterprise('new'));
      const fresh = await restored.feed.events(atBackup, 100);
      expect(fresh).to.have.length.greaterThan(0);
      expect(fresh[0]?.seq).to.equal(issued + 1);
    } finally {
      await restored.close();
    }
    // Restoring the same backup again, over the restored database, continues past that one too.
    await restoreDatabase(copy, db, new Date('2026-12-02T14:00:00.000Z'));
    const again = await SqliteStore.open({ path: db, baseUrl: BASE });
    try {
      await again.createEnterprise('new', `${BASE}/api/dfc/enterprises/new`, enterprise('new'));
      expect((await again.feed.events(atBackup, 100))[0]?.seq).to.be.greaterThan(issued + 1);
    } finally {
      await again.close();
    }
  });

  it('removes the work files a killed backup or restore of the same file left (not those of one still running)', async () => {
    const store = await SqliteStore.open({ path: db, baseUrl: BASE });
    await store.createEnterprise('ferme', `${BASE}/api/dfc/enterprises/ferme`, enterprise('ferme'));
    await store.close();
    // A process that has ended: its id is free, and its files are nobody's.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const alive = process.ppid;
    const copy = join(folder, 'copy.db');
    const files = (kind: string) => [`copy.db.${kind}-${dead}`, `copy.db.${kind}-${dead}-journal`, `copy.db.${kind}-${alive}`, `copy.db.${kind}-notes`];
    for (const name of files('partial')) writeFileSync(join(folder, name), 'x'.repeat(1000));
    await backupDatabase(db, copy);
    expect(readdirSync(folder).filter((n) => n.includes('.partial-')).sort()).to.deep.equal([`copy.db.partial-${alive}`, 'copy.db.partial-notes']);
    const restored = join(folder, 'restored.db');
    for (const name of files('restoring')) writeFileSync(join(folder, name.replace('copy.db', 'restored.db')), 'x');
    await restoreDatabase(copy, restored);
    expect(readdirSync(folder).filter((n) => n.startsWith('restored.db.restoring-')).sort()).to.deep.equal([`restored.db.restoring-${alive}`, 'restored.db.restoring-notes']);
    expect((await inspectDatabase(restored)).enterprises).to.equal(1);
  });

  it('never writes a database over itself', async () => {
    const store = await SqliteStore.open({ path: db, baseUrl: BASE });
    await store.createEnterprise('ferme', `${BASE}/api/dfc/enterprises/ferme`, enterprise('ferme'));
    await store.close();
    const alias = join(folder, '.', 'node.db');
    await backupDatabase(db, alias).then(() => expect.fail('backed up over itself'), (error: unknown) => {
      expect(error).to.be.instanceOf(SameFileError);
      expect(String(error)).to.match(/is the database itself or one of its files: back it up to another file/u);
    });
    await restoreDatabase(alias, db).then(() => expect.fail('restored over itself'), (error: unknown) => {
      expect(error).to.be.instanceOf(SameFileError);
    });
    // Its log is part of it too: a backup written there (a tab-completion slip) would corrupt the live database.
    await backupDatabase(db, `${db}-wal`).then(() => expect.fail('backed up over the WAL'), (error: unknown) => {
      expect(error).to.be.instanceOf(SameFileError);
    });
    expect((await inspectDatabase(db)).enterprises).to.equal(1);
  });

  it('writes backups and restored databases readable by their owner only, whatever the umask', async () => {
    const store = await SqliteStore.open({ path: db, baseUrl: BASE });
    await store.createEnterprise('ferme', `${BASE}/api/dfc/enterprises/ferme`, enterprise('ferme'));
    await store.close();
    const copy = join(folder, 'copy.db');
    const umask = process.umask(0o022);
    try {
      await backupDatabase(db, copy);
      expect(statSync(copy).mode & 0o777).to.equal(0o600);
      const target = join(folder, 'restored', 'node.db');
      await restoreDatabase(copy, target);
      expect(statSync(target).mode & 0o777).to.equal(0o600);
    } finally {
      process.umask(umask);
    }
  });

  it('gives the restored database to the replaced one\'s owner when run as root (the service user could not open it)', async function () {
    if (process.getuid?.() !== 0) {
      this.skip(); // Only root can give a file to another user; as another user, the new file is that user's, as the old one was.
    }
    const store = await SqliteStore.open({ path: db, baseUrl: BASE });
    await store.createEnterprise('ferme', `${BASE}/api/dfc/enterprises/ferme`, enterprise('ferme'));
    await store.close();
    const copy = join(folder, 'copy.db');
    await backupDatabase(db, copy);
    chownSync(db, 65534, 65534);
    await restoreDatabase(copy, db);
    expect([statSync(db).uid, statSync(db).gid]).to.deep.equal([65534, 65534]);
  });

  it('refuses to restore a live copy whose committed transactions are still in a -wal beside it', async () => {
    const live = await SqliteStore.open({ path: db, baseUrl: BASE });
    await live.createEnterprise('ferme', `${BASE}/api/dfc/enterprises/ferme`, enterprise('ferme'));
    // A file copy taken while the node runs: the main file and its non-empty WAL.
    const copied = join(folder, 'live-copy.db');
    copyFileSync(db, copied);
    copyFileSync(`${db}-wal`, `${copied}-wal`);
    await live.close();
    await restoreDatabase(copied, join(folder, 'other.db')).then(() => expect.fail('restored a live copy'), (error: unknown) => {
      expect(String(error)).to.match(/has a .*-wal beside it: it is a live copy, not a backup/u);
    });
  });

  it('refuses to restore a backup written by a newer Maillon', async () => {
    const store = await SqliteStore.open({ path: db, baseUrl: BASE });
    await store.close();
    const newer = join(folder, 'newer.db');
    writeFileSync(newer, readFileSync(db));
    const { default: sqlite3 } = await import('sqlite3');
    await new Promise<void>((resolve, reject) => {
      const c = new sqlite3.Database(newer, (e: Error | null) => {
        if (e !== null) reject(e);
        else c.exec(`INSERT INTO schema_migrations VALUES (${SCHEMA_VERSION + 1}, 'future', 'later')`, (x: Error | null) => c.close(() => (x !== null ? reject(x) : resolve())));
      });
    });
    const target = join(folder, 'target.db');
    await restoreDatabase(newer, target).then(() => expect.fail('restored a newer database'), (error: unknown) => {
      expect(error).to.be.instanceOf(SchemaTooNewError);
      expect(String(error)).to.match(/written by a newer Maillon/u);
    });
    expect(existsSync(target)).to.equal(false);
  });
});
