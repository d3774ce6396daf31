import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS, OPTIONS, nearest, optionsOf } from '../../../server/cli/help.js';
import { main, run } from '../../../server/cli/main.js';
import { UsageError } from '../../../server/cli/node-commands.js';
import { count } from '../../../server/cli/words.js';
import { encodeJsonLd } from '../../../server/codec/encode.js';
import { sampleRecords } from '../../helpers/sample-records.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

/** Runs `main` as the program does, capturing standard error and the exit code. */
async function program(...argv: string[]): Promise<{ code: number | string | undefined; err: string }> {
  const write = process.stderr.write.bind(process.stderr);
  const exitCode = process.exitCode;
  let err = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    await main(argv);
    return { code: process.exitCode, err };
  } finally {
    process.stderr.write = write;
    process.exitCode = exitCode;
  }
}

const ROOT = join(import.meta.dirname, '..', '..', '..');

describe('a command line that helps (issue 13)', () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-help-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('maillon --version prints the version of package.json', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const { code, out } = await cli('--version');
    expect(code).to.equal(0);
    expect(out).to.equal(`maillon ${pkg.version}\n`);
  });

  it('maillon help lists every command; help COMMAND and COMMAND --help show its forms and only its options', async () => {
    const all = await cli('help');
    expect(all.code).to.equal(0);
    for (const name of Object.keys(COMMANDS)) expect(all.out).to.match(new RegExp(`^  ${name} `, 'mu'));
    for (const name of Object.keys(COMMANDS).filter((c) => c !== 'help')) {
      const viaHelp = await cli('help', name);
      const viaFlag = await cli(name, '--help');
      expect(viaFlag.code, name).to.equal(0);
      expect(viaFlag.out, name).to.equal(viaHelp.out);
      for (const form of COMMANDS[name]!.usage) expect(viaFlag.out).to.contain(`maillon ${form}`);
      const shown = [...viaFlag.out.matchAll(/^ {2}(?:-\w, )?--([\w-]+)/gmu)].map((m) => m[1]);
      expect(shown, name).to.have.members([...optionsOf(name)]);
    }
    // The export command does not listen: its help does not offer --port.
    expect((await cli('export', '--help')).out).not.to.contain('--port');
  });

  it('every declared option is taken by some command (the table has no dead entries)', () => {
    const used = new Set(Object.keys(COMMANDS).flatMap((c) => optionsOf(c)));
    for (const name of Object.keys(OPTIONS).filter((o) => o !== 'version')) expect(used.has(name), name).to.equal(true);
  });

  it('suggests the nearest command or option for a slip, and nothing for noise', () => {
    expect(nearest('serv', Object.keys(COMMANDS))).to.equal('serve');
    expect(nearest('imprt', Object.keys(COMMANDS))).to.equal('import');
    expect(nearest('exprot', Object.keys(COMMANDS))).to.equal('export');
    expect(nearest('prot', optionsOf('serve'))).to.equal('port');
    expect(nearest('entreprise', optionsOf('import'))).to.equal('enterprise');
    expect(nearest('xyzzy', Object.keys(COMMANDS))).to.equal(undefined);
  });

  it('refuses an unknown command, a mistyped option and another command\'s option before doing anything', async () => {
    const db = join(dir, 'never.db');
    await expectUsage(cli('serv'), /unknown command "serv"; did you mean 'serve'\?/u);
    await expectUsage(cli('serve', '--prot', '3002', '--db', db), /serve has no option --prot; did you mean --port\?/u);
    await expectUsage(cli('export', '--enterprise', 'x', '--port', '3000', '--db', db), /export has no option --port$/u);
    // A mistyped subcommand, in one line naming the nearest (it printed the whole usage block).
    await expectUsage(cli('token', 'lst', '--db', db), /unknown token subcommand "lst"; did you mean 'token list'\?/u);
    await expectUsage(cli('peer', 'ad', 'http://x.example/', '--db', db), /unknown peer subcommand "ad"; did you mean 'peer add'\?/u);
    await expectUsage(cli('enterprise', 'frobnicate', '--db', db), /unknown enterprise subcommand "frobnicate"; enterprise takes add, list, remove/u);
    // Refused before the database is opened: nothing was created.
    expect(existsSync(db)).to.equal(false);
  });

  it('a usage error is one line with the reason and a pointer to the command\'s help, exit 2', async () => {
    const { code, err } = await program('import', '--db', join(dir, 'x.db'));
    expect(code).to.equal(2);
    const lines = err.trimEnd().split('\n');
    expect(lines).to.have.length(2);
    expect(lines[0]).to.match(/^maillon: /u);
    expect(lines[1]).to.equal("Run 'maillon import --help' for usage.");
    const unknown = await program('frobnicate');
    expect(unknown.code).to.equal(2);
    expect(unknown.err).to.contain("Run 'maillon --help' for usage.");
  });

  it('counts in words: one offer, two offers, no categories', () => {
    expect(count(1, 'offer')).to.equal('1 offer');
    expect(count(2, 'offer')).to.equal('2 offers');
    expect(count(0, 'customer category')).to.equal('0 customer categories');
    expect(count(1, 'resource')).to.equal('1 resource');
  });

  it('validate and convert read a file whose extension says nothing (.turtle, .txt) by its content', async () => {
    const jsonld = join(dir, 'catalogue.json');
    writeFileSync(jsonld, JSON.stringify(encodeJsonLd(sampleRecords())));
    const turtle = await cli('convert', jsonld, '--to', 'turtle', '--data-dir', dir);
    const ntriples = await cli('convert', jsonld, '--to', 'ntriples', '--data-dir', dir);
    // N-Quads with a graph on every line (as the federated catalogue is served): Turtle would refuse them.
    const nquads = { out: ntriples.out.split('\n').map((l) => l.replace(/ \.$/u, ' <https://node.example/graphs/a> .')).join('\n') };
    for (const [name, text] of [['catalogue.turtle', turtle.out], ['catalogue.txt', ntriples.out], ['quads.txt', nquads.out], ['catalogue', JSON.stringify(encodeJsonLd(sampleRecords()))]] as const) {
      writeFileSync(join(dir, name), text);
      const checked = await cli('validate', join(dir, name), '--data-dir', dir);
      expect(checked.code, `${name}: ${checked.out}`).to.equal(0);
      expect(checked.out).to.match(/valid, 15 resources accepted/u);
    }
  });

  it('taxonomy load without a FILE says where the official files are and that the node works without them', async () => {
    const error = await cli('taxonomy', 'load', '--data-dir', dir).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(UsageError);
    expect(String((error as Error).message)).to.match(/github\.com\/datafoodconsortium\/taxonomies.*works without it/u);
    const list = await cli('taxonomy', 'list', '--data-dir', join(dir, 'empty'));
    expect(list.code).to.equal(0);
    expect(list.out).to.match(/^no taxonomy loaded/u);
  });

  it('a reader that closes the pipe early (| head) ends the command quietly, exit 0', async function () {
    this.timeout(30_000);
    const file = join(dir, 'pipe.json');
    writeFileSync(file, JSON.stringify(encodeJsonLd(sampleRecords())));
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'server/cli/bin.ts'), 'convert', file, '--to', 'ntriples'], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The reader goes away before the command writes: its write meets a closed pipe (EPIPE).
    child.stdout.destroy();
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(err).to.equal('');
    expect(code).to.equal(0);
  });
});

async function expectUsage(promise: Promise<unknown>, message: RegExp): Promise<void> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).to.be.instanceOf(UsageError);
  expect((error as Error).message).to.match(message);
}
