/**
 * `maillon listing add|list|set|remove` against a static FDC-shaped supplier on loopback.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../server/cli/main.js';
import { UsageError } from '../../server/cli/node-commands.js';
import { startStaticPeer, type StaticPeer } from '../helpers/fake-peer.js';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURE = readFileSync(join(here, '../fixtures/fdc-wholesale.json'), 'utf8');
const CATALOGUE = '/api/dfc/Enterprises/moulin/SuppliedProducts';

describe('maillon listing commands', function () {
  this.timeout(15_000);
  let supplier: StaticPeer;
  let dir: string;
  let db: string;

  async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await run([...argv, '--db', db, '--data-dir', dir, '--allow-private'], { out: (t) => void (out += t), err: (t) => void (err += t) });
    return { code, out, err };
  }

  before(async () => {
    supplier = await startStaticPeer((origin) => ({ [CATALOGUE]: { body: FIXTURE.replaceAll('https://fdc.example', origin), contentType: 'application/ld+json' } }));
    dir = mkdtempSync(join(tmpdir(), 'maillon-listing-cli-'));
    db = join(dir, 'node.db');
    expect((await cli('init')).code).to.equal(0);
    expect((await cli('enterprise', 'add', '--id', 'boutique', '--name', 'Boutique')).code).to.equal(0);
  });
  after(async () => {
    await supplier?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds, lists and removes a listing', async () => {
    const added = await cli('listing', 'add', `${supplier.url}${CATALOGUE}/101/CatalogItem`, '--enterprise', 'boutique', '--markup', '10%');
    expect(added.code, added.err).to.equal(0);
    expect(added.out).to.match(/^listed as 1: /u);
    expect(added.out).to.include('3.3 Euro, 24 in stock, markup 10%, ordered in cases of 6');
    const listed = await cli('listing', 'list', '--enterprise', 'boutique');
    expect(listed.out).to.include(`from ${supplier.url}${CATALOGUE}/101/CatalogItem`);
    expect((await cli('listing', 'remove', '1', '--enterprise', 'boutique')).out).to.include('removed listing 1');
    expect((await cli('listing', 'list', '--enterprise', 'boutique')).out).to.include('lists no item');
  });

  it('takes a negative markup after a space or an equals sign, and a price likewise', async () => {
    const item = `${supplier.url}${CATALOGUE}/101/CatalogItem`;
    for (const argv of [['--markup', '-10%'], ['--markup=-10%'], ['--price', '2.5'], ['--price=2.50']]) {
      const added = await cli('listing', 'add', item, '--enterprise', 'boutique', ...argv);
      expect(added.code, `${argv.join(' ')}: ${added.err}`).to.equal(0);
      expect(added.out, argv.join(' ')).to.include(argv[0]?.startsWith('--markup') === true ? '2.7 Euro, 24 in stock, markup -10%' : '2.5 Euro, 24 in stock, fixed price 2.5');
      const id = /^listed as (\d+):/u.exec(added.out)?.[1] as string;
      expect((await cli('listing', 'remove', id, '--enterprise', 'boutique')).code).to.equal(0);
    }
    // Before the item is read: a value that is no price or markup is a usage error that says what is expected.
    for (const [argv, message] of [[['--price', '-1'], /--price must be an amount above 0/u], [['--price=0'], /--price must be/u], [['--price', '1e3'], /--price must be/u],
      [['--price', '0x10'], /--price must be/u], [['--price', '12.345'], /at most 2 decimals/u], [['--markup', '-100%'], /--markup must be a percentage above -100/u],
      [['--markup=-10 %'], /--markup must be/u]] as const) {
      let thrown: unknown;
      try {
        await cli('listing', 'add', item, '--enterprise', 'boutique', ...argv);
      } catch (error: unknown) {
        thrown = error;
      }
      expect(thrown, argv.join(' ')).to.be.instanceOf(UsageError);
      expect(String(thrown), argv.join(' ')).to.match(message);
    }
  });

  it('changes the price a listing sells at (set), at once, and refuses a set without one term', async () => {
    const added = await cli('listing', 'add', `${supplier.url}${CATALOGUE}/101/CatalogItem`, '--enterprise', 'boutique', '--markup', '10%');
    expect(added.code, added.err).to.equal(0);
    const id = /^listed as (\d+):/u.exec(added.out)?.[1] as string;
    const fixed = await cli('listing', 'set', id, '--enterprise', 'boutique', '--price', '2.9');
    expect(fixed.code, fixed.err).to.equal(0);
    expect(fixed.out).to.include('2.9 Euro, 24 in stock, fixed price 2.9');
    expect((await cli('listing', 'set', id, '--enterprise', 'boutique', '--markup=-10%')).out).to.include('2.7 Euro, 24 in stock, markup -10%');
    expect((await cli('listing', 'set', id, '--enterprise', 'boutique', '--origin-price')).out).to.include('3 Euro, 24 in stock, origin price');
    expect((await cli('listing', 'list', '--enterprise', 'boutique')).out).to.include('3 Euro, 24 in stock, origin price');
    // The shop's export imported again leaves the listing's records to it (not refused whole).
    const exported = await cli('export', '--enterprise', 'boutique');
    expect(exported.code, exported.err).to.equal(0);
    const file = join(dir, 'boutique.jsonld');
    writeFileSync(file, exported.out);
    const imported = await cli('import', file, '--enterprise', 'boutique');
    expect(imported.code, imported.err).to.equal(0);
    expect(imported.err).to.match(/3 resources left as they are: listings of other nodes' items publish them/u);
    expect((await cli('listing', 'list', '--enterprise', 'boutique')).out).to.include('3 Euro, 24 in stock, origin price');
    for (const argv of [[], ['--origin-price', '--price', '2'], ['--price', '1', '--markup', '2'], ['--price', '0']]) {
      let thrown: unknown;
      try {
        await cli('listing', 'set', id, '--enterprise', 'boutique', ...argv);
      } catch (error: unknown) {
        thrown = error;
      }
      expect(thrown, argv.join(' ')).to.be.instanceOf(UsageError);
    }
    expect((await cli('listing', 'remove', id, '--enterprise', 'boutique')).code).to.equal(0);
  });

  it('refuses bad usage (exit 2) and an item that cannot be listed (a thrown HTTP error: exit 1 with the reason)', async () => {
    for (const argv of [['listing', 'add', 'x'], ['listing', 'add', 'http://x.example/i', '--enterprise', 'boutique', '--markup', 'lots'],
      ['listing', 'add', 'http://x.example/i', '--enterprise', 'boutique', '--price', '1', '--markup', '2'], ['listing', 'remove', 'one', '--enterprise', 'boutique'],
      ['listing', 'frob', '--enterprise', 'boutique']]) {
      let thrown: unknown;
      try {
        await cli(...argv);
      } catch (error: unknown) {
        thrown = error;
      }
      expect(thrown, argv.join(' ')).to.be.instanceOf(UsageError);
    }
    let refused: unknown;
    try {
      await cli('listing', 'add', `${supplier.url}${CATALOGUE}/999/CatalogItem`, '--enterprise', 'boutique');
    } catch (error: unknown) {
      refused = error;
    }
    expect(String(refused)).to.match(/no dfc-b:CatalogItem/u);
  });
});
