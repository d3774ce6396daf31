/**
 * `maillon serve --trust-proxy loopback`, as a reverse proxy on the same machine runs it: the request log carries
 * the client address and protocol the proxy forwarded. Without the option, the same headers are ignored.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');

/** Serves, sends one request with X-Forwarded-* headers, and returns its request log line. */
async function loggedRequest(dir: string, extra: readonly string[]): Promise<{ ip: string; protocol: string }> {
  const child = spawn(process.execPath, [
    '--import', 'tsx', 'server/cli/bin.ts', 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dir, ...extra,
  ], { cwd: ROOT, env: { ...process.env, MAILLON_LOG_LEVEL: 'info', MAILLON_SYNC_SCHEDULE: 'off' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        const found = /listening on (http:\/\/127\.0\.0\.1:\d+)/u.exec(out)?.[1];
        if (found !== undefined) resolve(found);
      });
      void exited.then(() => reject(new Error(`serve exited: ${out}${err}`)));
    });
    const response = await fetch(`${url}/api/dfc/enterprises?probe=1`, {
      headers: { 'X-Forwarded-For': '198.51.100.23', 'X-Forwarded-Proto': 'https' },
    });
    expect(response.status).to.equal(200);
    await response.arrayBuffer();
    for (let i = 0; i < 100 && !err.includes('probe=1'); i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    const line = err.split('\n').find((l) => l.includes('"url":"/api/dfc/enterprises?probe=1"'));
    expect(line, err).to.not.equal(undefined);
    return JSON.parse(line as string) as { ip: string; protocol: string };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

describe('maillon serve --trust-proxy', function () {
  this.timeout(60_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-proxy-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('logs the forwarded client with --trust-proxy loopback, and the proxy itself without it', async () => {
    expect(await loggedRequest(dir, ['--trust-proxy', 'loopback'])).to.include({ ip: '198.51.100.23', protocol: 'https' });
    const untrusted = await loggedRequest(dir, []);
    expect(untrusted.ip).to.match(/^(::ffff:)?127\.0\.0\.1$/u);
    expect(untrusted.protocol).to.equal('http');
  });

  it('refuses a value that is no proxy, in one line, exit 2', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/bin.ts', 'serve', '--trust-proxy', 'true', '--data-dir', dir], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).to.equal(2);
    expect(err.split('\n')[0]).to.equal('maillon: --trust-proxy / MAILLON_TRUST_PROXY must be off, a number of proxy hops, or addresses, subnets '
      + 'and loopback/linklocal/uniquelocal separated by commas, not "true"');
  });
});
