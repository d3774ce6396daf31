/**
 * What an import does to what exists: it never renames an existing enterprise unless asked
 * (`--update-profile`), never resets a stock set through the API unless asked (`--stock`), and `--dry-run`
 * says what it would change and writes nothing.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueToken } from '../../server/auth/tokens.js';
import { run } from '../../server/cli/main.js';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/logging.js';
import { startNode } from '../../server/main.js';
import { readRows } from '../helpers/sqlite.js';

const FILE = join(import.meta.dirname, '../../examples/network/ferme-des-trois-chenes.jsonld');
const ITEM = 'http://node.test/api/dfc/enterprises/ma-coop/catalog_items/ail-violet';

describe('maillon import into an existing enterprise', function () {
  this.timeout(30_000);
  let dir: string;
  let db: string;

  async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await run([...argv, '--db', db, '--data-dir', dir, '--base-url', 'http://node.test'], { out: (t) => void (out += t), err: (t) => void (err += t) });
    return { code, out, err };
  }

  const stockOf = async (iri: string): Promise<unknown> =>
    (await readRows<{ stock: unknown }>(db, "SELECT json_extract(record, '$.stock') AS stock FROM resources WHERE iri = ?", [iri]))[0]?.stock;
  const state = async (): Promise<unknown> => ({
    enterprise: await readRows(db, "SELECT name, version FROM enterprises WHERE eid = 'ma-coop'"),
    feed: await readRows(db, 'SELECT max(seq) AS seq FROM feed_events'),
  });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-import-rules-'));
    db = join(dir, 'node.db');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('into an enterprise made by hand: the catalogue goes in, the name stays, and the file\'s name is told', async () => {
    expect((await cli('enterprise', 'add', '--id', 'ma-coop', '--name', 'Ma Coop')).code).to.equal(0);
    const dry = await cli('import', FILE, '--enterprise', 'ma-coop', '--dry-run');
    expect(dry.code, dry.err).to.equal(0);
    expect(dry.out).to.match(/→ ma-coop \(dry run, nothing written\): (\d+) products/u);
    expect(dry.out).to.include('  enterprise: profile kept (the file names it "Ferme des Trois Chênes"); --update-profile replaces it\n');
    expect(dry.out).to.match(/^ {2}products: [1-9]\d* to add, 0 to update, 0 unchanged\n/mu);
    expect((await readRows(db, "SELECT count(*) AS n FROM resources WHERE eid = 'ma-coop' AND kind = 'SuppliedProduct'"))[0]).to.deep.equal({ n: 0 });

    const imported = await cli('import', FILE, '--enterprise', 'ma-coop');
    expect(imported.code, imported.err).to.equal(0);
    expect(imported.out).to.match(/^ {2}products: [1-9]\d* added, 0 updated, 0 unchanged\n/mu);
    expect((await readRows<{ name: string }>(db, "SELECT name FROM enterprises WHERE eid = 'ma-coop'"))[0]?.name).to.equal('Ma Coop');
    expect(await stockOf(ITEM)).to.equal(18);
  });

  it('a stock set through the API survives a re-import, which the dry run says first, writing nothing', async () => {
    const node = await startNode(loadConfig({ port: '0', host: '127.0.0.1', db, 'data-dir': dir, 'base-url': 'http://node.test' }, { MAILLON_SYNC_SCHEDULE: 'off' }), createLogger('silent'));
    try {
      const { token } = await issueToken(node.store, { eid: 'ma-coop', scopes: ['WriteProducts'] });
      const put = await fetch(`${node.url}/api/dfc/enterprises/ma-coop/catalog_items/ail-violet`, {
        method: 'PUT', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: '{"dfc-b:stockLimitation": 99}',
      });
      expect(put.status, await put.text()).to.equal(200);
    } finally {
      await node.close();
    }
    expect(await stockOf(ITEM)).to.equal(99);
    const before = await state();
    const dry = await cli('import', FILE, '--enterprise', 'ma-coop', '--dry-run');
    expect(dry.code, dry.err).to.equal(0);
    expect(dry.out).to.match(/^ {2}products: 0 to add, 0 to update, [1-9]\d* unchanged\n/mu);
    expect(dry.out).to.match(/^ {2}stock: [1-9]\d* kept as stored where the file gives another; --stock takes the file's\n/mu);
    expect(await state()).to.deep.equal(before);

    const again = await cli('import', FILE, '--enterprise', 'ma-coop');
    expect(again.code, again.err).to.equal(0);
    expect(again.out).to.match(/^ {2}catalog items: 0 added, 0 updated, [1-9]\d* unchanged\n/mu);
    expect(await stockOf(ITEM)).to.equal(99);
    expect((await readRows<{ name: string }>(db, "SELECT name FROM enterprises WHERE eid = 'ma-coop'"))[0]?.name).to.equal('Ma Coop');
  });

  it('--stock takes the file\'s stock, --update-profile the file\'s profile and name', async () => {
    const stock = await cli('import', FILE, '--enterprise', 'ma-coop', '--stock');
    expect(stock.code, stock.err).to.equal(0);
    expect(stock.out).to.match(/^ {2}catalog items: 0 added, 1 updated, \d+ unchanged\n/mu);
    expect(stock.out).not.to.include('stock:');
    expect(await stockOf(ITEM)).to.equal(18);
    const profile = await cli('import', FILE, '--enterprise', 'ma-coop', '--update-profile');
    expect(profile.out).to.include('  enterprise: profile replaced from the file\n');
    expect((await readRows<{ name: string }>(db, "SELECT name FROM enterprises WHERE eid = 'ma-coop'"))[0]?.name).to.equal('Ferme des Trois Chênes');
  });

  it('into a new enterprise: created from the file', async () => {
    const created = await cli('import', FILE, '--enterprise', 'nouvelle', '--dry-run');
    expect(created.out).to.include('  enterprise: to create\n');
    expect((await cli('enterprise', 'list')).out).not.to.match(/^nouvelle\t/mu);
    const done = await cli('import', FILE, '--enterprise', 'nouvelle');
    expect(done.out).to.include('  enterprise: created\n');
    expect((await cli('enterprise', 'list')).out).to.match(/^nouvelle\tFerme des Trois Chênes\t/mu);
  });

  it('a dry run changes nothing even in opening: a --base-url does not move the ids, and no database is created', async () => {
    const io = { out: () => undefined, err: () => undefined };
    const before = await readRows(db, "SELECT value FROM meta WHERE key = 'base_url'");
    expect(await run(['import', FILE, '--enterprise', 'ma-coop', '--dry-run', '--db', db, '--data-dir', dir, '--base-url', 'http://elsewhere.test'], io)).to.equal(0);
    expect(await readRows(db, "SELECT value FROM meta WHERE key = 'base_url'")).to.deep.equal(before);
    const missing = join(dir, 'none.db');
    let err = '';
    expect(await run(['import', FILE, '--enterprise', 'x', '--dry-run', '--db', missing, '--data-dir', dir], { out: () => undefined, err: (t) => void (err += t) })).to.equal(1);
    expect(err).to.match(/nothing to compare: there is no database at .*none\.db yet/u);
    expect(existsSync(missing)).to.equal(false);
  });
});
