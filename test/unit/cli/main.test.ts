import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../server/cli/main.js';
import { encodeJsonLd } from '../../../server/codec/encode.js';
import { Decoder } from '../../../server/codec/decode.js';
import { requireShared } from '../../helpers/shared-dfc.js';
import { sampleRecords } from '../../helpers/sample-records.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

describe('maillon command line', () => {
  let dir: string;
  let valid: string;
  let invalid: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-cli-'));
    valid = join(dir, 'catalog.json');
    writeFileSync(valid, JSON.stringify(encodeJsonLd(sampleRecords())));
    invalid = join(dir, 'invalid.json');
    const broken = encodeJsonLd(sampleRecords()) as unknown as { '@graph': Record<string, unknown>[] };
    const offer = broken['@graph'].find((n) => n['@type'] === 'dfc-b:Offer') as Record<string, unknown>;
    offer['dfc-b:hasPrice'] = { '@type': 'dfc-b:Price', 'dfc-b:value': 'cheap', 'dfc-b:hasUnit': 'dfc-m:Euro' };
    writeFileSync(invalid, JSON.stringify(broken));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('validate exits 0 on a valid document', async () => {
    const { code, out } = await cli('validate', valid, '--data-dir', dir);
    expect(code).to.equal(0);
    expect(out).to.match(/valid, 15 resources/u);
  });

  it('validate exits 1 and lists the problems of an invalid document', async () => {
    const { code, out } = await cli('validate', invalid, '--data-dir', dir);
    expect(code).to.equal(1);
    expect(out).to.match(/error: https:\/\/node\.example\/api\/dfc\/enterprises\/ferme\/offers\/tomate-1kg dfc-b:Offer dfc-b:hasPrice\/dfc-b:value: price is not a number: "cheap"/u);
  });

  it('validate lists the problems per resource, with the counts', async () => {
    const { out } = await cli('validate', invalid, '--data-dir', dir);
    expect(out).to.match(/^https:\/\/node\.example\/api\/dfc\/enterprises\/ferme\/offers\/tomate-1kg \(dfc-b:Offer\): rejected, 1 error, 0 warnings$/mu);
    expect(out).to.match(/invalid, 14 resources accepted, 1 rejected, 1 error, 0 warnings/u);
  });

  it('validate --json prints a machine-readable report', async () => {
    const { code, out } = await cli('validate', invalid, '--json', '--data-dir', dir);
    const report = JSON.parse(out) as { valid: boolean; problems: { id: string; message: string }[] };
    expect(code).to.equal(1);
    expect(report.valid).to.equal(false);
    expect(report.problems[0]?.id).to.equal('https://node.example/api/dfc/enterprises/ferme/offers/tomate-1kg');
    const counts = JSON.parse(out) as { rejected: number; errors: number; resources: { id: string; rejected: boolean }[] };
    expect(counts.rejected).to.equal(1);
    expect(counts.errors).to.equal(1);
    expect(counts.resources).to.deep.include({ ...counts.resources[0], id: 'https://node.example/api/dfc/enterprises/ferme/offers/tomate-1kg', rejected: true });
  });

  for (const [to, mediaType] of [['turtle', 'text/turtle'], ['nquads', 'application/n-quads'], ['jsonld', 'application/ld+json']] as const) {
    it(`convert --to ${to} writes a document that decodes to the same records`, async () => {
      const { code, out } = await cli('convert', valid, '--to', to, '--data-dir', dir);
      expect(code).to.equal(0);
      const result = await new Decoder().decode(out, { mediaType });
      expect(result.problems).to.deep.equal([]);
      expect(result.records).to.have.length(15);
    });
  }

  it('convert --profile dfc-v2 writes DFC 2.0', async () => {
    const { out } = await cli('convert', valid, '--to', 'jsonld', '--profile', 'dfc-v2', '--data-dir', dir);
    expect(out).to.include('https://w3id.org/dfc/ontology/context/context_2.0.0.json');
    expect(out).to.include('dfc-b:Organization');
  });

  it('convert refuses an invalid document instead of dropping resources silently', async () => {
    const { code, err, out } = await cli('convert', invalid, '--to', 'turtle', '--data-dir', dir);
    expect(code).to.equal(1);
    expect(out).to.equal('');
    expect(err).to.match(/not converted/u);
  });

  it('answers usage errors with exit code 2', async () => {
    expect((await cli()).code).to.equal(2);
    await cli('convert', valid, '--to', 'rdfxml').then(
      () => expect.fail('should throw a usage error'),
      (error: Error) => expect(error.message).to.match(/--to must be one of/u),
    );
  });

  it('refuses a word too many before anything runs, instead of ignoring it (restore into another database than named)', async () => {
    for (const argv of [['serve', 'extra'], ['backup', 'a.db', 'b.db'], ['restore', 'backup.db', '/srv/other.db'], ['validate', valid, valid],
      ['token', 'revoke', '1', '2'], ['config', 'set', 'k', 'v', 'w']]) {
      await cli(...argv, '--data-dir', dir).then(
        () => expect.fail(`${argv.join(' ')} should be a usage error`),
        (error: Error) => expect(error.message, argv.join(' ')).to.contain('is one too many'),
      );
    }
    // As many as the usage says are taken.
    expect((await cli('validate', valid, '--data-dir', dir)).code).to.equal(0);
  });

  it('taxonomy load stores an official taxonomy that later commands use', async function () {
    const file = requireShared(this, 'taxonomies', 'productTypes.json');
    const loaded = await cli('taxonomy', 'load', file, '--data-dir', dir);
    expect(loaded.code).to.equal(0);
    expect(loaded.out).to.match(/loaded \d{3} concepts/u);
    const listed = await cli('taxonomy', 'list', '--data-dir', dir);
    expect(listed.out).to.match(/^productTypes\t\d{3} concepts$/mu);
  });
});

describe('maillon commands beside a serving node leave its base URL alone', () => {
  it('a command given another base URL keeps an existing database\'s ids (only serve moves them), and says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'maillon-cli-base-'));
    try {
      const db = join(dir, 'node.db');
      expect((await cli('init', '--db', db, '--data-dir', dir, '--base-url', 'http://node.test')).code).to.equal(0);
      expect((await cli('enterprise', 'add', '--id', 'ferme', '--name', 'Ferme', '--db', db, '--data-dir', dir)).code).to.equal(0);
      const written: string[] = [];
      const write = process.stderr.write.bind(process.stderr);
      process.stderr.write = ((chunk: string | Uint8Array) => written.push(String(chunk)) > 0) as typeof process.stderr.write;
      let listed: { code: number; out: string; err: string };
      let again: { code: number; out: string; err: string };
      try {
        listed = await cli('enterprise', 'list', '--db', db, '--data-dir', dir, '--base-url', 'http://elsewhere.test');
        again = await cli('init', '--db', db, '--data-dir', dir, '--base-url', 'http://other.test');
      } finally {
        process.stderr.write = write;
      }
      expect(listed.code, listed.err).to.equal(0);
      expect(again.code).to.equal(1);
      expect(written.join('')).to.contain(`${db} keeps its base URL http://node.test: --base-url / MAILLON_BASE_URL (http://elsewhere.test) is applied by 'maillon serve' only`);
      const exported = await cli('export', '--enterprise', 'ferme', '--db', db, '--data-dir', dir);
      expect(exported.code, exported.err).to.equal(0);
      expect(exported.out).to.contain('http://node.test/api/dfc/enterprises/ferme').and.not.contain('elsewhere.test').and.not.contain('other.test');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a command other than init that finds no database says it makes one (the node\'s data is elsewhere)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'maillon-cli-nodb-'));
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => written.push(String(chunk)) > 0) as typeof process.stderr.write;
    try {
      expect((await cli('token', 'list', '--data-dir', dir)).code).to.equal(0);
      expect((await cli('token', 'list', '--data-dir', dir)).code).to.equal(0);
      expect((await cli('init', '--data-dir', join(dir, 'other'))).code).to.equal(0);
    } finally {
      process.stderr.write = write;
      rmSync(dir, { recursive: true, force: true });
    }
    expect(written.filter((w) => w.includes('no database at'))).to.deep.equal([
      `warning: no database at ${join(dir, 'maillon.db')}: a new one is made; to act on a node's, give its --data-dir or --db (MAILLON_DATA_DIR, MAILLON_DB)\n`,
    ]);
  });
});

