/**
 * `maillon backup` and `maillon restore` as commands (in-process): what they print, --force, the note about the
 * taxonomy files that are not in the database, and a restore that gives back what the backup held.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../server/cli/main.js';
import { FileTaxonomyStore } from '../../../server/store/taxonomy-store.js';
import { readRows } from '../../helpers/sqlite.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

describe('maillon backup / restore (commands)', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-backup-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('backs up, refuses to replace a backup without --force, and restores what it held', async () => {
    expect((await cli('enterprise', 'add', '--id', 'ferme', '--name', 'Ferme', '--data-dir', dir)).code).to.equal(0);
    new FileTaxonomyStore(dir).save('productTypes', []);
    const file = join(dir, 'saved', 'copy.db');

    const first = await cli('backup', file, '--data-dir', dir);
    expect(first.code, first.err).to.equal(0);
    expect(first.out).to.match(/^backed up .*maillon\.db to .*copy\.db in \d+ ms: schema \d+, 1 enterprise, \d+ resources?, 0 orders, 0 peers; integrity checked\n$/u);
    expect(first.err).to.equal(`note: the 1 loaded taxonomy file in ${join(dir, 'taxonomies')} are not in the database: copy them too\n`);

    const again = await cli('backup', file, '--data-dir', dir);
    expect(again.code).to.equal(1);
    expect(again.err).to.equal(`maillon: ${file} exists; give --force to replace it\n`);

    expect((await cli('enterprise', 'add', '--id', 'later', '--name', 'Later', '--data-dir', dir)).code).to.equal(0);
    const forced = await cli('backup', file, '--force', '--data-dir', dir);
    expect(forced.code).to.equal(0);
    expect(forced.out).to.match(/2 enterprises/u);
    expect(readdirSync(join(dir, 'saved'))).to.deep.equal(['copy.db']);

    expect((await cli('enterprise', 'add', '--id', 'lost', '--name', 'Lost', '--data-dir', dir)).code).to.equal(0);
    const restored = await cli('restore', file, '--data-dir', dir);
    expect(restored.code, restored.err).to.equal(0);
    expect(restored.out).to.match(/^restored .*copy\.db into .*maillon\.db: schema \d+, 2 enterprises/u);
    expect(restored.out).to.match(/the database it replaced is kept as .*maillon\.db\.before-restore-/u);
    const listed = await cli('enterprise', 'list', '--data-dir', dir);
    expect(listed.out.split('\n').filter(Boolean).map((l) => l.split('\t')[0])).to.deep.equal(['ferme', 'later']);
    const kept = readdirSync(dir).find((f) => f.startsWith('maillon.db.before-restore-')) as string;
    expect((await readRows<{ eid: string }>(join(dir, kept), 'SELECT eid FROM enterprises ORDER BY eid')).map((r) => r.eid))
      .to.deep.equal(['ferme', 'later', 'lost']);
  });

  it('restores into a node that has no database yet', async () => {
    expect((await cli('enterprise', 'add', '--id', 'ferme', '--name', 'Ferme', '--data-dir', dir)).code).to.equal(0);
    const file = join(dir, 'copy.db');
    expect((await cli('backup', file, '--data-dir', dir)).code).to.equal(0);
    const fresh = join(dir, 'fresh');
    const restored = await cli('restore', file, '--data-dir', fresh);
    expect(restored.code, restored.err).to.equal(0);
    expect(restored.out).to.not.match(/kept as/u);
    expect(existsSync(join(fresh, 'maillon.db'))).to.equal(true);
    expect((await cli('enterprise', 'list', '--data-dir', fresh)).out).to.match(/^ferme\tFerme/u);
  });
});
