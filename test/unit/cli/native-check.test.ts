import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkNativeModule } from '../../../server/cli/native-check.js';

describe('the sqlite3 native module check', () => {
  it('passes when the module loads (it does here)', async () => {
    expect(await checkNativeModule()).to.equal(undefined);
  });

  it('explains, in one line, why it did not load and how to build it', async () => {
    const message = await checkNativeModule(() => Promise.reject(new Error('Cannot find module \'../build/Release/node_sqlite3.node\'\nRequire stack: …')));
    expect(message).to.equal('the sqlite3 native module did not load (Cannot find module \'../build/Release/node_sqlite3.node\'); it is compiled by '
      + '`npm ci`, which needs python3, make and g++: `apt-get install -y python3 make g++`, then `npm rebuild sqlite3`');
    expect(message).to.not.include('\n');
  });
});

describe('maillon, when the sqlite3 native module does not load', function () {
  this.timeout(30_000);

  it('exits 1 with one line saying why and how to build it, before anything else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'maillon-native-'));
    try {
      // A module resolution hook that fails for sqlite3 as a missing build does.
      writeFileSync(join(dir, 'hooks.mjs'), `export async function resolve(specifier, context, next) {
  if (specifier === 'sqlite3') throw new Error("Cannot find module '../build/Release/node_sqlite3.node'");
  return next(specifier, context);
}\n`);
      writeFileSync(join(dir, 'register.mjs'), "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n");
      const child = spawn(process.execPath, ['--import', 'tsx', '--import', join(dir, 'register.mjs'), 'server/cli/bin.ts', 'enterprise', 'list', '--data-dir', dir], {
        cwd: join(import.meta.dirname, '../../..'), stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
      const code = await new Promise((resolve) => child.once('exit', resolve));
      expect(code).to.equal(1);
      expect(out).to.equal('');
      expect(err).to.equal('maillon: the sqlite3 native module did not load (Cannot find module \'../build/Release/node_sqlite3.node\'); it is compiled '
        + 'by `npm ci`, which needs python3, make and g++: `apt-get install -y python3 make g++`, then `npm rebuild sqlite3`\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
