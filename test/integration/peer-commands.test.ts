import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../server/cli/main.js';
import { UsageError } from '../../server/cli/node-commands.js';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.js';

const CONTEXT = 'https://w3id.org/dfc/ontology/context/context_1.16.0.json';

/** A catalogue of two offers under `origin`, the second with a negative price (quarantined by the codec). */
function catalogue(origin: string): string {
  const e = `${origin}/api/dfc/enterprises/rucher`;
  const nodes = (slug: string, name: string, price: number): Record<string, unknown>[] => [
    { '@id': `${e}/supplied_products/${slug}`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': name, 'dfc-b:suppliedBy': e },
    {
      '@id': `${e}/catalog_items/${slug}`, '@type': 'dfc-b:CatalogItem', 'dfc-b:references': `${e}/supplied_products/${slug}`,
      'dfc-b:stockLimitation': 5, 'dfc-b:offeredThrough': `${e}/offers/${slug}`, 'dfc-b:managedBy': e,
    },
    {
      '@id': `${e}/offers/${slug}`, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': `${e}/catalog_items/${slug}`,
      'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': price, 'dfc-b:hasUnit': 'dfc-m:Euro' },
    },
  ];
  return JSON.stringify({
    '@context': CONTEXT,
    '@graph': [{ '@id': e, '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Rucher' }, ...nodes('miel', 'Miel', 9), ...nodes('gelee', 'Gelée royale', -4)],
  });
}

describe('maillon peer and sync commands', function () {
  this.timeout(10_000);

  let server: FakePeer;
  let base: string;
  let dir: string;
  let db: string;

  async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await run([...argv, '--db', db, '--data-dir', dir], { out: (t) => void (out += t), err: (t) => void (err += t) });
    return { code, out, err };
  }

  before(async () => {
    server = await startFakePeer((req, res) => {
      if (req.url === '/catalog') {
        const body = catalogue(base);
        res.writeHead(200, { 'content-type': 'application/ld+json', 'content-length': Buffer.byteLength(body) }).end(body);
      } else {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
      }
    });
    base = server.base;
    dir = mkdtempSync(join(tmpdir(), 'maillon-peer-cli-'));
    db = join(dir, 'node.db');
  });

  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sync with no peers says how to add one', async () => {
    const { code, out } = await cli('sync');
    expect(code).to.equal(0);
    expect(out).to.match(/no peers; add one with maillon peer add URL/u);
  });

  it('peer add of a loopback URL without --allow-private exits 1 about private addresses', async () => {
    const { code, out, err } = await cli('peer', 'add', `${base}/catalog`, '--name', 'x');
    expect(code).to.equal(1);
    expect(out).to.equal('');
    expect(err).to.match(/127\.0\.0\.1 is a private or loopback address/u);
    expect(err).to.match(/--allow-private/u);
    expect((await cli('peer', 'list')).out).not.to.include(base);
  });

  it('peer add with --allow-private adds the peer with its interval', async () => {
    const { code, out, err } = await cli('peer', 'add', `${base}/catalog`, '--name', 'x', '--interval', '5m', '--allow-private');
    expect(code, err).to.equal(0);
    expect(out).to.equal(`added peer 1 x: ${base}/catalog (every 300 s)\n`);
  });

  it('peer add refuses a duplicate name or URL, a bad interval and a non-http URL', async () => {
    const duplicate = await cli('peer', 'add', `${base}/other`, '--name', 'x', '--allow-private');
    expect(duplicate.code).to.equal(1);
    expect(duplicate.err).to.match(/exists already/u);
    expect((await cli('peer', 'add', `${base}/catalog`, '--name', 'y', '--allow-private')).code).to.equal(1);
    let error: unknown;
    try {
      await cli('peer', 'add', `${base}/other`, '--name', 'z', '--interval', 'often', '--allow-private');
    } catch (e: unknown) {
      error = e;
    }
    expect(error).to.be.instanceOf(UsageError);
    const ftp = await cli('peer', 'add', 'ftp://127.0.0.1/catalog', '--name', 'ftp', '--allow-private');
    expect(ftp.code).to.equal(1);
    expect(ftp.err).to.match(/http or https/u);
  });

  it('peer list prints a table of the peers', async () => {
    expect((await cli('peer', 'add', `${base}/broken`, '--name', 'broken', '--allow-private')).code).to.equal(0);
    const { code, out } = await cli('peer', 'list');
    expect(code).to.equal(0);
    const lines = out.trimEnd().split('\n');
    expect(lines).to.have.length(3);
    expect(lines[0]).to.match(/^id\s+name\s+url\s+interval\s+status\s+last success$/u);
    expect(lines[1]).to.match(new RegExp(`^1\\s+x\\s+${base}/catalog\\s+300s\\s+new\\s+-$`, 'u'));
    expect(lines[2]).to.match(new RegExp(`^2\\s+broken\\s+${base}/broken\\s+300s\\s+new\\s+-$`, 'u'));
  });

  it('sync prints the summary table, one row per peer, and exits 1 when a peer failed', async () => {
    const { code, out } = await cli('sync', '--allow-private');
    const lines = out.trimEnd().split('\n');
    expect(lines[0]?.split(/\s+/u)).to.deep.equal(['peer', 'added', 'updated', 'withdrawn', 'quarantined', 'unchanged', 'bytes', 'duration', 'result']);
    // Enterprise, then miel's product, item and offer, and gelee's product and item: 6 added; gelee's offer quarantined.
    expect(lines[1]).to.match(/^x\s+6\s+0\s+0\s+1\s+0\s+\d+ KiB\s+\d+ ms\s+ok$/u);
    expect(lines[2]).to.match(/^broken\s+-\s+-\s+-\s+-\s+-\s+-\s+-\s+http-status: HTTP 500/u);
    expect(code).to.equal(1);
  });

  it('sync --peer syncs only that peer', async () => {
    const { code, out } = await cli('sync', '--peer', 'x', '--allow-private');
    expect(code).to.equal(0);
    const lines = out.trimEnd().split('\n');
    expect(lines).to.have.length(2);
    expect(lines[1]).to.match(/^x\s+0\s+0\s+0\s+1\s+6\s+\d+ KiB\s+\d+ ms\s+ok$/u);
  });

  it('peer status shows the state, the counts and the quarantine lines', async () => {
    const { code, out } = await cli('peer', 'status', 'x');
    expect(code).to.equal(0);
    expect(out).to.include(`1 x ${base}/catalog\n`);
    expect(out).to.match(/ {2}status ok, 0 failures in a row, last success \d{4}-\d\d-\d\dT/u);
    expect(out).to.include('  resources: 6 active, 0 missing, 0 withdrawn\n');
    expect(out).to.include(
      `  quarantined ${base}/api/dfc/enterprises/rucher/offers/gelee (dfc-b:Offer): dfc-b:hasPrice/dfc-b:value price must not be negative\n`,
    );
  });

  it('peer status of a failing peer shows its last error', async () => {
    const { out } = await cli('peer', 'status', 'broken');
    expect(out).to.match(/ {2}status failed, 1 failure in a row, last success never/u);
    expect(out).to.match(/ {2}last error: http-status: HTTP 500/u);
  });

  it('peer set changes the token, header, interval, name and profile, and keeps what was synced', async () => {
    const set = await cli('peer', 'set', 'x', '--token', 'secret-1', '--token-header', 'x-api-token', '--interval', '1h');
    expect(set.code, set.err).to.equal(0);
    expect(set.out).to.equal('peer 1 x: token set (x-api-token), every 3600 s\n');
    const status = await cli('peer', 'status', 'x');
    expect(status.out).to.include('  token: set (x-api-token)\n');
    expect(status.out).to.include('  resources: 6 active, 0 missing, 0 withdrawn\n');
    expect(status.out).not.to.include('secret-1');
    const renamed = await cli('peer', 'set', '1', '--name', 'rucher', '--profile', 'dfc-v2', '--no-token');
    expect(renamed.out).to.equal('peer 1 rucher: name rucher, no token, profile dfc-v2\n');
    expect((await cli('peer', 'list')).out).to.match(/^1\s+rucher\s+\S+\s+3600s\s+ok\s/mu);
    expect((await cli('peer', 'status', 'rucher')).out).to.include('  resources: 6 active, 0 missing, 0 withdrawn\n');
    const taken = await cli('peer', 'set', 'rucher', '--name', 'broken');
    expect(taken.code).to.equal(1);
    expect(taken.err).to.equal('another peer is named broken\n');
    expect((await cli('peer', 'set', 'rucher', '--name', 'x')).code).to.equal(0);
  });

  it('peer set refuses a bad interval, --token with --no-token, and nothing to set', async () => {
    for (const argv of [['--interval', 'often'], ['--token', 't', '--no-token'], [], ['--token-header', 'cookie'], ['--token', 'a\r\nX-Injected: 1'], ['--token', 'é']]) {
      const error = await cli('peer', 'set', 'x', ...argv).then(() => undefined, (e: unknown) => e);
      expect(error, argv.join(' ')).to.be.instanceOf(UsageError);
    }
  });

  it('peer remove removes the peer and what was synced from it', async () => {
    const { code, out } = await cli('peer', 'remove', 'x');
    expect(code).to.equal(0);
    expect(out).to.equal('removed peer 1 x and everything synced from it\n');
    const list = await cli('peer', 'list');
    expect(list.out).not.to.match(/^1\s+x\s/mu);
    expect(list.out).to.match(/^2\s+broken\s/mu);
    let error: unknown;
    try {
      await cli('peer', 'status', 'x');
    } catch (e: unknown) {
      error = e;
    }
    expect(error).to.be.instanceOf(UsageError);
    expect((error as Error).message).to.match(/no peer "x"/u);
  });
});
