/**
 * A database file removed or replaced under an open database: the writes that would go to a file no one opens
 * again are refused (and said why), reads go on, and the file put back takes writes again.
 */
import { expect } from 'chai';
import { copyFileSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseFileGoneError, SqliteDatabase } from '../../../server/store/sqlite/database.js';
import { SqliteStore } from '../../../server/store/sqlite/sqlite-store.js';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => expect.fail('expected a rejection'), (error: unknown) => error);
}

describe('SqliteDatabase: its file removed or replaced under it', () => {
  let dir: string;
  let path: string;
  let db: SqliteDatabase;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-database-file-'));
    path = join(dir, 'test.db');
    db = await SqliteDatabase.open(path);
    await db.transaction((tx) => tx.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('a');"));
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses writes once the file is removed, saying so; reads go on; the file put back takes writes again', async () => {
    expect(db.fileProblem()).to.equal(undefined);
    renameSync(path, join(dir, 'moved.db'));
    expect(db.fileProblem()).to.match(/removed while the node ran/u);
    const refused = await rejection(db.transaction((tx) => tx.run("INSERT INTO t VALUES ('b')")));
    expect(refused).to.be.instanceOf(DatabaseFileGoneError);
    expect((refused as DatabaseFileGoneError).code).to.equal('MAILLON_DATABASE_GONE');
    expect(String((refused as Error).message)).to.not.include(dir);
    expect(await db.reader.all('SELECT v FROM t')).to.deep.equal([{ v: 'a' }]);
    renameSync(join(dir, 'moved.db'), path);
    expect(db.fileProblem()).to.equal(undefined);
    await db.transaction((tx) => tx.run("INSERT INTO t VALUES ('c')"));
    expect(await db.reader.all('SELECT v FROM t ORDER BY v')).to.deep.equal([{ v: 'a' }, { v: 'c' }]);
  });

  it('refuses writes once another file is put at its path (a copy, a restore by hand)', async () => {
    copyFileSync(path, join(dir, 'copy.db'));
    renameSync(join(dir, 'copy.db'), path);
    expect(db.fileProblem()).to.match(/replaced by another/u);
    expect(await rejection(db.transaction((tx) => tx.run("INSERT INTO t VALUES ('b')")))).to.be.instanceOf(DatabaseFileGoneError);
  });

  it('refuses the writes queued before the file was removed that had not run yet', async () => {
    let removed: () => void = () => undefined;
    const removing = new Promise<void>((resolve) => {
      removed = resolve;
    });
    // Holds the writer until the file is gone: the write queued behind it runs after that.
    const holding = db.transaction(async (tx) => {
      await tx.run("INSERT INTO t VALUES ('held')");
      await removing;
    }, { alone: true });
    const queued = rejection(db.transaction((tx) => tx.run("INSERT INTO t VALUES ('queued')")));
    renameSync(path, join(dir, 'moved.db'));
    removed();
    await holding;
    expect(await queued).to.be.instanceOf(DatabaseFileGoneError);
  });

  it('never finds a problem with a database in memory', async () => {
    const memory = await SqliteDatabase.open(':memory:');
    try {
      expect(memory.fileProblem()).to.equal(undefined);
    } finally {
      await memory.close();
    }
  });
});

describe('SqliteStore.health', () => {
  it('is ok while the file is the one opened, and says why not once it was removed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'maillon-store-health-'));
    const store = await SqliteStore.open({ path: join(dir, 'maillon.db'), baseUrl: 'http://node.test' });
    try {
      expect(await store.health()).to.deep.equal({ ok: true });
      rmSync(join(dir, 'maillon.db'));
      const found = await store.health();
      expect(found.ok).to.equal(false);
      expect(found.ok ? '' : found.reason).to.match(/removed while the node ran/u);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
