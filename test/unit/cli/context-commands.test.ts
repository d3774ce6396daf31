import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTEXT_1_16_URL } from '../../../ontology/contexts.js';
import { contextCommand } from '../../../server/cli/context-commands.js';
import { run } from '../../../server/cli/main.js';
import { UsageError } from '../../../server/cli/node-commands.js';
import { FileContextStore } from '../../../server/store/context-store.js';
import { FIXTURES, fixtureText } from '../codec/fixtures.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

const COMPTOIR = 'https://comptoir.example/ns/catalogue.jsonld';
const CONTEXT_FILE = join(FIXTURES, 'contexts', 'comptoir-catalogue.json');
const DOCUMENT = join(FIXTURES, 'shapes', 'other-context.json');

describe('maillon context add|list|remove (issue 12)', () => {
  let dir: string;
  let server: Server;
  let origin: string;
  /** Requests the static server answered, by path. */
  const served: string[] = [];

  before(async () => {
    server = createServer((req, res) => {
      served.push(req.url ?? '');
      if (req.url === '/catalogue.jsonld') {
        res.writeHead(200, { 'content-type': 'application/ld+json' }).end(fixtureText('contexts/comptoir-catalogue.json'));
      } else if (req.url === '/big.jsonld') {
        res.writeHead(200, { 'content-type': 'application/ld+json' });
        res.end(JSON.stringify({ '@context': { nom: 'x'.repeat(2 * 1024 * 1024) } }));
      } else if (req.url === '/slow.jsonld') {
        // Headers, a first byte, then nothing: only the deadline ends this.
        res.writeHead(200, { 'content-type': 'application/ld+json' });
        res.write('{');
      } else {
        res.writeHead(404).end('not here');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-ctx-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stores a context from a FILE; documents using it are then valid, and refused again once it is removed', async () => {
    const before = await cli('validate', DOCUMENT, '--data-dir', dir);
    expect(before.code).to.equal(1);
    expect(before.out).to.include(`remote JSON-LD context "${COMPTOIR}" is not a known DFC context nor a stored one`);

    const added = await cli('context', 'add', COMPTOIR, CONTEXT_FILE, '--data-dir', dir);
    expect(added, added.err).to.include({ code: 0, err: '' });
    expect(added.out).to.match(new RegExp(`^stored context ${COMPTOIR} \\(\\d+ bytes\\) in ${join(dir, 'contexts')}`, 'u'));
    expect(readdirSync(join(dir, 'contexts'))).to.have.length(1);

    const valid = await cli('validate', DOCUMENT, '--data-dir', dir);
    expect(valid.code, valid.out).to.equal(0);
    expect(valid.out).to.match(/valid, 7 resources accepted, 0 rejected, 0 errors, 0 warnings/u);
    const converted = await cli('convert', DOCUMENT, '--to', 'turtle', '--data-dir', dir);
    expect(converted.code).to.equal(0);
    expect(converted.out).to.include('"Potimarron - pièce"');

    const listed = await cli('context', 'list', '--data-dir', dir);
    expect(listed.code).to.equal(0);
    expect(listed.out).to.match(new RegExp(`^${COMPTOIR}\\t\\d+ bytes\\tadded \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\n$`, 'u'));

    const removed = await cli('context', 'remove', COMPTOIR, '--data-dir', dir);
    expect(removed).to.deep.equal({ code: 0, out: `removed context ${COMPTOIR}\n`, err: '' });
    expect((await cli('context', 'list', '--data-dir', dir)).out).to.equal('');
    expect((await cli('validate', DOCUMENT, '--data-dir', dir)).code).to.equal(1);

    const again = await cli('context', 'remove', COMPTOIR, '--data-dir', dir);
    expect(again.code).to.equal(1);
    expect(again.err).to.equal(`maillon: no stored context ${COMPTOIR} ('maillon context list' lists them)\n`);
  });

  it('replaces a context added again', async () => {
    await cli('context', 'add', COMPTOIR, CONTEXT_FILE, '--data-dir', dir);
    const again = await cli('context', 'add', COMPTOIR, CONTEXT_FILE, '--data-dir', dir);
    expect(again.code).to.equal(0);
    expect(again.out).to.match(/^replaced context /u);
    expect(readdirSync(join(dir, 'contexts'))).to.have.length(1);
  });

  it('fetches a context once from its URL through the safe client, and reads documents using it offline', async () => {
    const url = `${origin}/catalogue.jsonld`;
    const added = await cli('context', 'add', url, '--data-dir', dir, '--allow-private');
    expect(added.code, added.err).to.equal(0);
    expect(served.filter((p) => p === '/catalogue.jsonld')).to.have.length(1);
    const document = join(dir, 'doc.json');
    writeFileSync(document, fixtureText('shapes/other-context.json').replace(COMPTOIR, url));
    const valid = await cli('validate', document, '--data-dir', dir);
    expect(valid.code, valid.out).to.equal(0);
    // Read from the stored copy: the server was not asked again.
    expect(served.filter((p) => p === '/catalogue.jsonld')).to.have.length(1);
  });

  it('refuses a loopback URL without --allow-private (the sync rules)', async () => {
    const refused = await cli('context', 'add', `${origin}/catalogue.jsonld`, '--data-dir', dir);
    expect(refused.code).to.equal(1);
    expect(refused.err).to.match(/^maillon: cannot fetch context http:\/\/127\.0\.0\.1:\d+\/catalogue\.jsonld: private-address: /u);
    expect(existsSync(join(dir, 'contexts'))).to.equal(false);
  });

  it('takes the node\'s stored allow-private setting, as every command that fetches does', async () => {
    expect((await cli('config', 'set', 'allow-private', 'true', '--data-dir', dir)).code).to.equal(0);
    const added = await cli('context', 'add', `${origin}/catalogue.jsonld`, '--data-dir', dir);
    expect(added.code, added.err).to.equal(0);
    expect(readdirSync(join(dir, 'contexts'))).to.have.length(1);
  });

  it('refuses a context over the size limit while downloading it', async () => {
    const refused = await cli('context', 'add', `${origin}/big.jsonld`, '--data-dir', dir, '--allow-private');
    expect(refused.code).to.equal(1);
    expect(refused.err).to.match(/^maillon: cannot fetch context .*\/big\.jsonld: too-large: /u);
    expect(refused.err.split('\n')).to.have.length(2);
  });

  it('gives up on a context that does not arrive in time', async () => {
    let err = '';
    const started = Date.now();
    const code = await contextCommand(['add', `${origin}/slow.jsonld`], { 'data-dir': dir, 'allow-private': true },
      { out: () => undefined, err: (t) => void (err += t) }, { env: { MAILLON_FETCH_TIMEOUT: '300' } });
    expect(code).to.equal(1);
    expect(err).to.match(/^maillon: cannot fetch context .*\/slow\.jsonld: timeout: /u);
    expect(Date.now() - started).to.be.lessThan(5_000);
  });

  it('refuses an answer that is not 2xx', async () => {
    const refused = await cli('context', 'add', `${origin}/nothing.jsonld`, '--data-dir', dir, '--allow-private');
    expect(refused.code).to.equal(1);
    expect(refused.err).to.match(/http-status: /u);
  });

  it('refuses a DFC context URL, an invalid file and a context naming one not stored, with one line and exit 1', async () => {
    const dfc = await cli('context', 'add', CONTEXT_1_16_URL, CONTEXT_FILE, '--data-dir', dir);
    expect(dfc).to.deep.equal({ code: 1, out: '', err: `maillon: ${CONTEXT_1_16_URL} is a DFC context the node already knows; it cannot be replaced\n` });

    const notJson = join(dir, 'not.json');
    writeFileSync(notJson, '<html>');
    const invalid = await cli('context', 'add', COMPTOIR, notJson, '--data-dir', dir);
    expect(invalid.code).to.equal(1);
    expect(invalid.err).to.match(new RegExp(`^maillon: context ${COMPTOIR} not stored: not JSON \\(.*\\)\\n$`, 'u'));

    const nested = join(dir, 'nested.json');
    writeFileSync(nested, JSON.stringify({ '@context': ['https://comptoir.example/ns/base.jsonld', { nom: 'dfc-b:name' }] }));
    const missing = await cli('context', 'add', COMPTOIR, nested, '--data-dir', dir);
    expect(missing.code).to.equal(1);
    expect(missing.err).to.include('it names the context https://comptoir.example/ns/base.jsonld, which is not a known DFC context nor a stored one');
    expect(existsSync(join(dir, 'contexts'))).to.equal(false);
  });

  it('warns when a removed context is named by another stored one', async () => {
    const base = join(dir, 'base.json');
    writeFileSync(base, JSON.stringify({ '@context': { ex: 'http://ex.example/' } }));
    expect((await cli('context', 'add', 'https://comptoir.example/ns/base.jsonld', base, '--data-dir', dir)).code).to.equal(0);
    const nested = join(dir, 'nested.json');
    writeFileSync(nested, JSON.stringify({ '@context': ['https://comptoir.example/ns/base.jsonld', { nom: 'ex:name' }] }));
    expect((await cli('context', 'add', COMPTOIR, nested, '--data-dir', dir)).code).to.equal(0);
    const removed = await cli('context', 'remove', 'https://comptoir.example/ns/base.jsonld', '--data-dir', dir);
    expect(removed.code).to.equal(0);
    expect(removed.err).to.equal(`warning: documents using ${COMPTOIR} are refused until https://comptoir.example/ns/base.jsonld is stored again\n`);
  });

  it('leaves out, with a warning, a stored file edited by hand into something the readers cannot take', async () => {
    expect((await cli('context', 'add', COMPTOIR, CONTEXT_FILE, '--data-dir', dir)).code).to.equal(0);
    const deep = `${'['.repeat(5_000)}{"nom": "http://schema.org/name"}${']'.repeat(5_000)}`;
    const file = new FileContextStore(dir).fileOf(COMPTOIR);
    writeFileSync(file, `{"url": ${JSON.stringify(COMPTOIR)}, "bytes": 1, "addedAt": "now", "document": {"@context": ${deep}}}`);
    const validated = await cli('validate', DOCUMENT, '--data-dir', dir);
    expect(validated.code).to.equal(1);
    expect(validated.err).to.equal(`warning: stored context ${file} is left out: its "@context" nests JSON more than 256 levels deep\n`);
    expect(validated.out).to.include(`"${COMPTOIR}" is not a known DFC context nor a stored one`);
  });

  it('taxonomy load reads a compacted taxonomy naming a stored context', async () => {
    const skos = 'https://vocab.example/skos-context.jsonld';
    const contextFile = join(dir, 'skos.json');
    writeFileSync(contextFile, JSON.stringify({ '@context': {
      skos: 'http://www.w3.org/2004/02/skos/core#', Concept: 'skos:Concept', label: { '@id': 'skos:prefLabel', '@language': 'fr' },
      broader: { '@id': 'skos:broader', '@type': '@id' },
    } }));
    const taxonomy = join(dir, 'legumes-anciens.json');
    writeFileSync(taxonomy, JSON.stringify({ '@context': skos, '@graph': [
      { '@id': 'https://vocab.example/pt/crosne', '@type': 'Concept', label: 'Crosne', broader: 'https://vocab.example/pt/legume' },
      { '@id': 'https://vocab.example/pt/legume', '@type': 'Concept', label: 'Légume' },
    ] }));
    const refused = await cli('taxonomy', 'load', taxonomy, '--data-dir', dir).then(() => 'loaded', (error: Error) => error.message);
    expect(refused).to.include(`"${skos}" is not a known DFC context nor a stored one`);
    expect((await cli('context', 'add', skos, contextFile, '--data-dir', dir)).code).to.equal(0);
    const loaded = await cli('taxonomy', 'load', taxonomy, '--data-dir', dir);
    expect(loaded.code, loaded.err).to.equal(0);
    expect(loaded.out).to.match(/^loaded 2 concepts from .* as taxonomy "legumes-anciens"/u);
  });

  it('answers usage errors (exit 2)', async () => {
    for (const argv of [['context'], ['context', 'add'], ['context', 'add', 'not a url', CONTEXT_FILE], ['context', 'remove'], ['context', 'list', 'x'],
      ['context', 'add', COMPTOIR, join(dir, 'absent.json')]]) {
      await cli(...argv, '--data-dir', dir).then(
        () => expect.fail(`${argv.join(' ')} should be a usage error`),
        (error: unknown) => expect(error, argv.join(' ')).to.be.instanceOf(UsageError),
      );
    }
  });
});
