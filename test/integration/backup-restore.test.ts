/**
 * Backups of a serving node, and restores into a stopped one, through the real command line.
 *
 * `maillon serve` runs in a child process while a loop writes to it through HTTP (new enterprises, stock of an
 * item going up); `maillon backup` runs in another process meanwhile. The copy opens, passes its integrity
 * check, and holds every write acknowledged before the backup began, in one consistent state. `maillon restore`
 * is refused while the node runs; once it is stopped, the restore puts the copy back (the replaced database
 * kept), and the restarted node serves what the copy held over HTTP, and not what was written after it.
 */
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enterpriseBody } from '../helpers/write-api.js';
import { readRows } from '../helpers/sqlite.js';
import { runMaillon, spawnMaillon } from '../helpers/maillon-process.js';

const BASE = 'http://a.test';
const ITEM = '/api/dfc/enterprises/ferme-des-trois-chenes/catalog_items/tomates-cerises-250g';

interface Served {
  readonly child: ChildProcess;
  readonly url: string;
  readonly out: string;
  readonly exited: Promise<number | null>;
}

/** `maillon serve` in a child process, once it listens. */
async function serve(db: string, dir: string, seed: boolean): Promise<Served> {
  const running = spawnMaillon([
    'serve', '--port', '0', '--host', '127.0.0.1', '--db', db, '--data-dir', dir, '--base-url', BASE, ...(seed ? ['--seed', 'examples/network'] : []),
  ], { MAILLON_SYNC_SCHEDULE: 'off' });
  const url = await running.listening();
  return { child: running.child, url, out: running.out(), exited: running.exited.then((e) => e.code) };
}

/** Stops a node as systemd does (SIGTERM) and waits for it to exit. */
async function stop(node: Served): Promise<void> {
  node.child.kill('SIGTERM');
  expect(await node.exited).to.equal(0);
}

describe('backup and restore of a serving node (maillon backup, maillon restore)', function () {
  this.timeout(120_000);
  let dir: string;
  let db: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-backup-it-'));
    db = join(dir, 'maillon.db');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('backs up while writes go on, refuses to restore into the running node, restores into the stopped one', async () => {
    let node = await serve(db, dir, true);
    const token = /Admin token[^\n]*\n\s+(\S+)/u.exec(node.out)?.[1] ?? '';
    expect(token).to.not.equal('');
    const auth = { authorization: `Bearer ${token}` };

    /** Acknowledged writes, in order: enterprises created (their @id) and stock values set. */
    const enterprises: string[] = [];
    const stocks: number[] = [];
    let writing = true;
    let n = 0;
    const writer = (async () => {
      while (writing) {
        n += 1;
        const created = await fetch(`${node.url}/api/dfc/enterprises`, {
          method: 'POST', headers: { ...auth, 'content-type': 'application/ld+json' }, body: JSON.stringify(enterpriseBody({ name: `Ferme ${n}` })),
        });
        expect(created.status, await created.clone().text()).to.equal(201);
        await created.arrayBuffer();
        enterprises.push(created.headers.get('location') ?? '');
        const stock = await fetch(`${node.url}${ITEM}`, {
          method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ 'dfc-b:stockLimitation': 100 + n }),
        });
        expect(stock.status, await stock.clone().text()).to.be.oneOf([200, 204]);
        await stock.arrayBuffer();
        stocks.push(100 + n);
      }
    })();
    try {
      while (enterprises.length < 5) await new Promise((resolve) => setImmediate(resolve));
      const copy = join(dir, 'backups', 'maillon-copy.db');
      const ackedEnterprises = [...enterprises];
      const ackedStock = stocks.at(-1) ?? 0;
      const backup = await runMaillon(['backup', copy, '--db', db, '--data-dir', dir]);
      const duringBackup = enterprises.length - ackedEnterprises.length;
      expect(backup.code, backup.err).to.equal(0);
      expect(backup.out).to.match(/^backed up .*maillon\.db to .*maillon-copy\.db in \d+ ms: schema \d+, \d+ enterprises?, \d+ resources?, 0 orders, 0 peers; integrity checked\n$/u);
      expect(duringBackup, 'the node was written to while the backup ran').to.be.greaterThan(0);

      // The copy: whole, consistent, with every write acknowledged before the backup began.
      expect(await readRows(copy, 'PRAGMA integrity_check')).to.deep.equal([{ integrity_check: 'ok' }]);
      expect(await readRows(copy, 'PRAGMA foreign_key_check')).to.deep.equal([]);
      const copied = new Set((await readRows<{ iri: string }>(copy, 'SELECT iri FROM enterprises')).map((r) => r.iri));
      for (const iri of ackedEnterprises) expect(copied.has(iri), iri).to.equal(true);
      // A prefix of the writes: whatever came after the snapshot is wholly absent.
      const kept = enterprises.filter((iri) => copied.has(iri));
      expect(enterprises.slice(0, kept.length)).to.deep.equal(kept);
      const [stock] = await readRows<{ available: number }>(copy, 'SELECT available FROM stock WHERE item_iri = ?', [`${BASE}${ITEM}`]);
      expect(stock?.available).to.be.at.least(ackedStock);
      // The published record and the ledger of the item say the same (one state, not two).
      const [published] = await readRows<{ stock: number }>(copy, 'SELECT stock FROM resources WHERE iri = ?', [`${BASE}${ITEM}`]);
      expect(published?.stock).to.equal(stock?.available);

      // A second backup onto the same file needs --force.
      const again = await runMaillon(['backup', copy, '--db', db]);
      expect(again.code).to.equal(1);
      expect(again.err).to.equal(`maillon: ${copy} exists; give --force to replace it\n`);

      writing = false;
      await writer;
      const restoredStock = stock?.available;
      const copiedCount = copied.size;

      // Restore while the node runs: refused, and the node's database is left as it is.
      const refused = await runMaillon(['restore', copy, '--db', db]);
      expect(refused.code).to.equal(1);
      expect(refused.err).to.equal(`maillon: ${db} is in use: a node serves it; stop it, then restore\n`);
      expect((await readRows<{ n: number }>(db, 'SELECT count(*) AS n FROM enterprises'))[0]?.n).to.equal(enterprises.length + 6);

      await stop(node);
      const restored = await runMaillon(['restore', copy, '--db', db]);
      expect(restored.code, restored.err).to.equal(0);
      expect(restored.out).to.match(new RegExp(`^restored .*maillon-copy\\.db into .*maillon\\.db: schema \\d+, ${copiedCount} enterprises?`, 'u'));
      expect(restored.out).to.match(/the database it replaced is kept as .*maillon\.db\.before-restore-\d{4}-/u);
      const kept2 = readdirSync(dir).filter((f) => f.startsWith('maillon.db.before-restore-'));
      expect(kept2).to.have.length(1);
      expect((await readRows<{ n: number }>(join(dir, kept2[0] as string), 'SELECT count(*) AS n FROM enterprises'))[0]?.n).to.equal(enterprises.length + 6);

      // The restarted node serves what the copy held, and not what was written after it.
      node = await serve(db, dir, false);
      const listing = await (await fetch(`${node.url}/api/dfc/enterprises`)).text();
      for (const iri of ackedEnterprises) expect(listing).to.include(iri);
      const lost = enterprises.filter((iri) => !copied.has(iri));
      expect(lost.length, 'enterprises created after the backup').to.be.greaterThan(0);
      for (const iri of lost) expect(listing).to.not.include(iri);
      const item = await (await fetch(`${node.url}${ITEM}`, { headers: { accept: 'application/json' } })).text();
      expect(item).to.match(new RegExp(`"dfc-b:stockLimitation":\\s*"?${String(restoredStock)}"?`, 'u'));
    } finally {
      writing = false;
      await writer.catch(() => undefined);
      if (node.child.exitCode === null) await stop(node);
    }
  });

  it('says clearly what it refuses: no FILE, a FILE that is no Maillon database', async () => {
    const none = await runMaillon(['backup']);
    expect(none.code).to.equal(2);
    expect(none.err).to.match(/^maillon: usage: maillon backup FILE/u);
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'hello');
    const refused = await runMaillon(['restore', junk, '--db', join(dir, 'other', 'maillon.db')]);
    expect(refused.code).to.equal(1);
    expect(refused.err).to.match(/^maillon: .*junk\.db: not a Maillon database \(.*\)\n$/u);
    expect(existsSync(join(dir, 'other')), 'nothing made for a refused restore').to.equal(false);
    const missing = await runMaillon(['backup', join(dir, 'x.db'), '--db', join(dir, 'nowhere.db')]);
    expect(missing.code).to.equal(1);
    expect(missing.err).to.match(/^maillon: no database at .*nowhere\.db \(give --db or --data-dir\)\n$/u);
    // A path whose folder's folder is missing too (a typo) is refused, and nothing of it made.
    const astray = await runMaillon(['backup', join(dir, 'no', 'such', 'x.db'), '--db', join(dir, 'nowhere.db')]);
    expect(astray.code).to.equal(1);
    expect(astray.err).to.match(/^maillon: no folder .*no to make .*such in for the backup: create it first\n$/u);
    expect(existsSync(join(dir, 'no'))).to.equal(false);
  });
});
