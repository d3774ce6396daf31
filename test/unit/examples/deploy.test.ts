/**
 * The deployment examples (`examples/deploy/`) stay true to the code: every variable of the environment file
 * is one the node reads (and the README documents), the file loads as a valid configuration, the systemd units
 * run the executable `npm ci` builds with real commands, and the reverse proxies forward to where the node
 * listens, for the host of its base URL.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../../server/config.js';

const ROOT = join(import.meta.dirname, '../../..');
const DEPLOY = join(ROOT, 'examples/deploy');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

/** `KEY=VALUE` lines of an environment file; `commented` also takes `# KEY=VALUE` lines (documented defaults). */
function envFile(text: string, commented: boolean): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = (commented ? /^#?\s*([A-Z][A-Z0-9_]*)=(.*)$/u : /^([A-Z][A-Z0-9_]*)=(.*)$/u).exec(line.trim());
    if (match?.[1] !== undefined) env[match[1]] = match[2] ?? '';
  }
  return env;
}

/** `Key=value` settings of a systemd unit (the last one of each key). */
function unit(text: string): Map<string, string> {
  const settings = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/u.exec(line.trim());
    if (match?.[1] !== undefined) settings.set(match[1], match[2] ?? '');
  }
  return settings;
}

describe('examples/deploy', () => {
  const envText = readFileSync(join(DEPLOY, 'maillon.env'), 'utf8');
  const env = envFile(envText, false);
  const service = unit(readFileSync(join(DEPLOY, 'maillon.service'), 'utf8'));
  const pkg = JSON.parse(read('package.json')) as { bin: Record<string, string> };
  const bin = pkg.bin['maillon'] ?? '';

  it('names only variables the node reads, each in the README\'s configuration table', () => {
    const known = configVariables();
    const readme = configurationSection();
    const all = Object.keys(envFile(envText, true));
    expect(all.length).to.be.greaterThan(10);
    for (const name of all) {
      expect(known.has(name), `${name} is read by server/config.ts`).to.equal(true);
      expect(readme, `${name} in the README's configuration table`).to.match(new RegExp(`^\\|[^\\n]*\`${name}\`[^\\n]*\\|`, 'mu'));
    }
  });

  it('is a valid configuration: HTTPS base URL, loopback listener, the proxy trusted, the state folder', () => {
    const config = loadConfig({}, env);
    expect(new URL(config.baseUrl).protocol).to.equal('https:');
    expect(config.host).to.equal('127.0.0.1');
    expect(config.trustProxy).to.deep.equal(['loopback']);
    expect(config.dataDir).to.equal(`/var/lib/${service.get('StateDirectory') ?? ''}`);
    expect(config.db).to.equal('/var/lib/maillon/maillon.db');
  });

  it('documents true defaults: the commented settings change nothing', () => {
    const withDefaults = envFile(envText, true);
    expect(Object.keys(withDefaults).length).to.be.greaterThan(Object.keys(env).length);
    expect(loadConfig({}, withDefaults)).to.deep.equal(loadConfig({}, env));
  });

  it('runs node on the built executable, as a dedicated user, with the environment file, restarted on failure', () => {
    expect(bin).to.match(/^dist\/.*\.js$/u);
    // The executable is what `npm ci` (tsc -p tsconfig.build.json, outDir dist) builds from server/cli/bin.ts.
    expect(existsSync(join(ROOT, bin.replace(/^dist\//u, '').replace(/\.js$/u, '.ts')))).to.equal(true);
    expect(service.get('ExecStart')).to.equal(`/usr/bin/node /opt/maillon/${bin} serve`);
    expect(read('server/cli/main.ts')).to.include("case 'serve':");
    expect(service.get('User')).to.equal('maillon');
    expect(service.get('EnvironmentFile')).to.equal('/etc/maillon/maillon.env');
    expect(service.get('Restart')).to.equal('on-failure');
    expect(service.get('NoNewPrivileges')).to.equal('yes');
    expect(service.get('ProtectSystem')).to.equal('strict');
    // V8's JIT needs writable executable memory.
    expect(service.has('MemoryDenyWriteExecute')).to.equal(false);
  });

  it('backs up with the real backup command, into the state folder', () => {
    const backup = unit(readFileSync(join(DEPLOY, 'maillon-backup.service'), 'utf8'));
    expect(backup.get('ExecStart')).to.include(`/usr/bin/node /opt/maillon/${bin} backup "/var/lib/maillon/backups/`);
    expect(read('server/cli/main.ts')).to.include("case 'backup':");
    expect(backup.get('EnvironmentFile')).to.equal(service.get('EnvironmentFile'));
    expect(readFileSync(join(DEPLOY, 'maillon-backup.timer'), 'utf8')).to.match(/^OnCalendar=/mu);
  });

  it('proxies the base URL\'s host to where the node listens (Caddy, nginx)', () => {
    const host = new URL(env['MAILLON_BASE_URL'] ?? '').host;
    const upstream = `${env['MAILLON_HOST'] ?? ''}:${env['MAILLON_PORT'] ?? ''}`;
    const caddy = readFileSync(join(DEPLOY, 'Caddyfile'), 'utf8');
    expect(caddy).to.match(new RegExp(`^${host.replace(/\./gu, '\\.')} \\{$`, 'mu'));
    expect(caddy).to.match(new RegExp(`^\\s+reverse_proxy ${upstream}$`, 'mu'));
    const nginx = readFileSync(join(DEPLOY, 'nginx.conf'), 'utf8');
    expect([...nginx.matchAll(/server_name (\S+);/gu)].map((m) => m[1])).to.deep.equal([host, host]);
    expect(nginx).to.include(`proxy_pass http://${upstream};`);
    for (const header of ['X-Forwarded-For', 'X-Forwarded-Proto', 'X-Forwarded-Host']) expect(nginx).to.include(`proxy_set_header ${header} `);
    // nginx's body limit lets through what the node accepts, so that the node answers 413 itself.
    const limit = /client_max_body_size (\d+)m;/u.exec(nginx)?.[1];
    expect(Number(limit) * 1024 * 1024).to.be.greaterThan(loadConfig({}, env).bodyLimit);
  });
});

/** The environment variables server/config.ts reads. */
function configVariables(): Set<string> {
  return new Set([...read('server/config.ts').matchAll(/env\['(MAILLON_[A-Z0-9_]+)'\]/gu)].map((m) => m[1] as string));
}

/** The README's configuration section. */
function configurationSection(): string {
  const readme = read('README.md');
  const start = readme.indexOf('## Configuration');
  return readme.slice(start, readme.indexOf('\n## ', start + 1));
}
