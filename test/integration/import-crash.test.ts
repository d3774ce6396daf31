/**
 * An import killed part way (SIGKILL, sent from outside) leaves either nothing or the enterprise with its
 * whole catalogue: never the enterprise with its address and no catalogue. The import creates the enterprise
 * and writes its profile and catalogue in one transaction.
 *
 * No hook in the product: `maillon import` runs in a child process on a catalogue big enough that decoding and
 * writing it take a while; it is killed at several points of its run: once it has held the database's write lock
 * for a while (probed as `sync-crash.test.ts` does: the import's own transaction, the database being migrated
 * beforehand), then some time after that, and at fractions of a run to completion. After every kill the database
 * opens cleanly, passes its integrity check, and holds all of the import or none of it. (Before the fix, the
 * enterprise was committed in a transaction of its own before the catalogue: most of these kills left it alone.)
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import { openProbe, readRows, writeLocked } from '../helpers/sqlite.js';

const ROOT = join(import.meta.dirname, '../..');
const CONTEXT = 'https://w3id.org/dfc/ontology/context/context_1.16.0.json';
const EID = 'grosse-ferme';
const PRODUCTS = 1000;
const BASE = 'http://localhost:3000';

/** An Open Food Network-style catalogue of `count` products, with the enterprise and its address. */
function catalogue(count: number): string {
  const origin = 'https://ofn.example';
  const e = `${origin}/api/dfc/enterprises/1`;
  const slugs = Array.from({ length: count }, (_, i) => `p${i}`);
  return JSON.stringify({
    '@context': CONTEXT,
    '@graph': [
      {
        '@id': e, '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Grosse Ferme', 'dfc-b:hasAddress': `${origin}/api/dfc/addresses/1`,
        'dfc-b:supplies': slugs.map((s) => `${e}/supplied_products/${s}`),
      },
      { '@id': `${origin}/api/dfc/addresses/1`, '@type': 'dfc-b:Address', 'dfc-b:hasStreet': '1 route des Chênes', 'dfc-b:hasCity': 'Limoges', 'dfc-b:hasPostalCode': '87000' },
      ...slugs.flatMap((s, i) => [
        { '@id': `${e}/supplied_products/${s}`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': `Produit ${i}`, 'dfc-b:suppliedBy': e },
        {
          '@id': `${e}/catalog_items/${s}`, '@type': 'dfc-b:CatalogItem', 'dfc-b:references': `${e}/supplied_products/${s}`,
          'dfc-b:stockLimitation': 10, 'dfc-b:offeredThrough': `${e}/offers/${s}`, 'dfc-b:managedBy': e,
        },
        {
          '@id': `${e}/offers/${s}`, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': `${e}/catalog_items/${s}`,
          'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 1 + (i % 50) / 10, 'dfc-b:hasUnit': 'dfc-m:Euro' },
        },
      ]),
    ],
  });
}

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly err: string;
  readonly ms: number;
}

/**
 * `maillon import` in a child process; `kill` is given a function that kills it (SIGKILL) and whether it has
 * exited, and may call it whenever it likes.
 */
async function importInChild(file: string, dir: string, kill?: (killNow: () => void, exited: () => boolean) => Promise<void>): Promise<Run> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/bin.ts', 'import', file, '--enterprise', EID, '--db', join(dir, 'node.db'),
    '--data-dir', dir, '--base-url', BASE], { cwd: ROOT, env: { ...process.env, MAILLON_LOG_LEVEL: 'silent' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let exited = false;
  const done = new Promise<Run>((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      exited = true;
      resolve({ code, signal, err, ms: Date.now() - started });
    });
  });
  if (kill !== undefined) await kill(() => child.kill('SIGKILL'), () => exited);
  return done;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What the database holds of the import, once it has been opened (and recovered) by the store itself. */
async function imported(dir: string): Promise<{ enterprise: boolean; address: number; catalogue: number; integrity: string }> {
  const file = join(dir, 'node.db');
  // The database opens cleanly after the kill: the store's own open (migrations, the base URL's transaction).
  const store = await SqliteStore.open({ path: file, baseUrl: BASE });
  await store.close();
  const [integrity] = await readRows<{ integrity_check: string }>(file, 'PRAGMA integrity_check');
  const enterprises = await readRows<{ eid: string }>(file, 'SELECT eid FROM enterprises WHERE eid = ?', [EID]);
  const counts = await readRows<{ kind: string; n: number }>(file, 'SELECT kind, COUNT(*) AS n FROM resources WHERE eid = ? GROUP BY kind', [EID]);
  const count = (kinds: readonly string[]): number => counts.filter((c) => kinds.includes(c.kind)).reduce((sum, c) => sum + c.n, 0);
  return {
    enterprise: enterprises.length === 1, address: count(['Address']), catalogue: count(['SuppliedProduct', 'CatalogItem', 'Offer']),
    integrity: integrity?.integrity_check ?? '',
  };
}

describe('an import killed part way', function () {
  this.timeout(240_000);

  let dir: string;
  let file: string;
  let full: number;
  let runs = 0;
  const outcomes: string[] = [];

  /** A fresh data folder for one run, with its database made (migrated) already. */
  const fresh = async (): Promise<string> => {
    const runDir = mkdtempSync(join(dir, `run-${runs++}-`));
    await (await SqliteStore.open({ path: join(runDir, 'node.db'), baseUrl: BASE })).close();
    return runDir;
  };

  /** Checks a database after a run: all of the import or none of it. */
  const expectAllOrNothing = async (runDir: string, what: string): Promise<void> => {
    const state = await imported(runDir);
    expect(state.integrity, what).to.equal('ok');
    if (state.enterprise) {
      expect({ address: state.address, catalogue: state.catalogue }, `${what}: the enterprise without its whole catalogue`)
        .to.deep.equal({ address: 1, catalogue: 3 * PRODUCTS });
      outcomes.push('all');
    } else {
      expect({ address: state.address, catalogue: state.catalogue }, `${what}: a part of the import without the enterprise`)
        .to.deep.equal({ address: 0, catalogue: 0 });
      outcomes.push('nothing');
    }
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-import-crash-'));
    file = join(dir, 'ofn-v1.json');
    writeFileSync(file, catalogue(PRODUCTS));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('imports the whole catalogue when left alone', async () => {
    const runDir = await fresh();
    const run = await importInChild(file, runDir);
    expect(run.code, run.err).to.equal(0);
    full = run.ms;
    await expectAllOrNothing(runDir, 'a run to completion');
    expect(outcomes).to.deep.equal(['all']);
  });

  for (const fraction of [0.6, 0.95]) {
    it(`leaves all or nothing when killed at ${Math.round(fraction * 100)} % of a run`, async () => {
      const runDir = await fresh();
      const run = await importInChild(file, runDir, async (killNow, exited) => {
        await sleep(fraction * full);
        if (!exited()) killNow();
      });
      await expectAllOrNothing(runDir, `killed after ${Math.round(fraction * full)} ms (exit ${run.code}, ${run.signal})`);
    });
  }

  for (const delay of [0, 100, 300]) {
    it(`leaves all or nothing when killed ${delay} ms after it has held the write lock for a while`, async () => {
      const runDir = await fresh();
      let killedLocked = false;
      const run = await importInChild(file, runDir, async (killNow, exited) => {
        const probe = await openProbe(join(runDir, 'node.db'));
        try {
          // Opening takes the lock for a moment (the base URL's transaction): wait for one that lasts.
          let lockedFor = 0;
          while (!exited() && lockedFor < 10) {
            lockedFor = (await writeLocked(probe)) ? lockedFor + 1 : 0;
            await sleep(2);
          }
        } finally {
          await new Promise<void>((resolve) => probe.close(() => resolve()));
        }
        await sleep(delay);
        if (!exited()) {
          killNow();
          killedLocked = true;
        }
      });
      await expectAllOrNothing(runDir, `killed holding the lock (exit ${run.code}, ${run.signal})`);
      // Killed as soon as the import's transaction is seen: nothing of it is committed yet.
      if (killedLocked && delay === 0) {
        expect(run.signal).to.equal('SIGKILL');
        expect(outcomes.at(-1), 'killed inside the import\'s transaction').to.equal('nothing');
      }
    });
  }
});
