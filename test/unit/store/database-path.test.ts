/**
 * A database path the node cannot use is one line naming it and what is wrong, before SQLite is asked (which says
 * only "unable to open database file" or "disk I/O error"), and never a hang.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabasePathError, prepareDatabasePath } from '../../../server/store/sqlite/database-path.js';

describe('the database path', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-path-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('makes the missing folders of a new database, and takes an existing one', () => {
    const db = join(dir, 'a', 'b', 'maillon.db');
    prepareDatabasePath(db);
    expect(existsSync(join(dir, 'a', 'b'))).to.equal(true);
    writeFileSync(db, '');
    prepareDatabasePath(db);
    prepareDatabasePath(':memory:');
  });

  it('names the path and the reason: a folder given as the database, a file given as its folder, a folder that cannot be made', () => {
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    const cases: [string, RegExp][] = [
      [dir, /^cannot use the database .*: it is a folder, not a database file$/u],
      [join(file, 'maillon.db'), /^cannot use the database .*file\/maillon\.db: .*file is a file, not a folder$/u],
      [join(file, 'deeper', 'maillon.db'), /: .*file is a file, not a folder$/u],
      // Under /proc a recursive mkdir looped for ever.
      ['/proc/nonexistent/x.db', /^cannot use the database \/proc\/nonexistent\/x\.db: its folder \/proc\/nonexistent cannot be made/u],
    ];
    for (const [db, said] of cases) {
      expect(() => prepareDatabasePath(db), db).to.throw(DatabasePathError, said);
    }
  });
});
