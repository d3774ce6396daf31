/**
 * The serve lock of a database: one holder at a time, whatever path leads to the database (a symbolic link to it or
 * to a folder on its way), and gone when its holder releases it.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireServeLock, DatabaseServedError, serveLockPath } from '../../../server/store/sqlite/serve-lock.js';

describe('the serve lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is one for a database and every symbolic link to it or to its folder; released, it may be taken again', async () => {
    mkdirSync(join(dir, 'data'));
    const db = join(dir, 'data', 'maillon.db');
    writeFileSync(db, '');
    symlinkSync(db, join(dir, 'alias.db'));
    symlinkSync(join(dir, 'data'), join(dir, 'folder'));
    const held = await acquireServeLock(db);
    try {
      for (const other of [join(dir, 'alias.db'), join(dir, 'folder', 'maillon.db'), join(dir, 'data', '.', 'maillon.db')]) {
        expect(serveLockPath(other), other).to.equal(serveLockPath(db));
        const refused = await acquireServeLock(other).then(async (lock) => {
          await lock?.release();
          return undefined;
        }, (error: unknown) => error);
        expect(refused, other).to.be.instanceOf(DatabaseServedError);
      }
    } finally {
      await held?.release();
    }
    const again = await acquireServeLock(join(dir, 'alias.db'));
    expect(again).to.not.equal(undefined);
    await again?.release();
    // A database not made yet: its lock beside where it will be.
    expect(serveLockPath(join(dir, 'folder', 'new.db'))).to.equal(`${serveLockPath(db).replace(/maillon\.db\.serve-lock$/u, '')}new.db.serve-lock`);
  });
});
