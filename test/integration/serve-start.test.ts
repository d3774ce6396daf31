/**
 * Starting a node: a port already taken is one clear line and creates nothing; the base URL of a new database
 * is where the node really listened (or `--base-url`), and a node that listens elsewhere says so.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/logging.js';
import { ListenError, startNode } from '../../server/main.js';
import { readRows } from '../helpers/sqlite.js';
import { runMaillon, spawnMaillon } from '../helpers/maillon-process.js';
import { DatabaseServedError } from '../../server/store/sqlite/serve-lock.js';


function occupy(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

describe('starting a node', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-start-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('maillon serve on a port in use says so in one line, exits 1 and creates no database', async () => {
    const { server, port } = await occupy();
    try {
      const { code, out, err } = await runMaillon(['serve', '--port', String(port), '--data-dir', dir]);
      expect(code).to.equal(1);
      expect(out).to.equal('');
      expect(err).to.equal(`maillon: port ${port} is already in use (another maillon node?)\n`);
      expect(existsSync(join(dir, 'maillon.db'))).to.equal(false);
    } finally {
      server.close();
    }
  });

  it('maillon serve --seed with no such folder says so in one line, exits 2 and creates no database', async () => {
    const missing = join(dir, 'nope');
    const { code, out, err } = await runMaillon(['serve', '--port', '0', '--data-dir', dir, '--seed', missing]);
    expect(code).to.equal(2);
    expect(out).to.equal('');
    expect(err).to.equal(`maillon: --seed ${JSON.stringify(missing)} is no folder of catalogues (*.jsonld)\n`);
    expect(existsSync(join(dir, 'maillon.db'))).to.equal(false);
  });

  it('an empty MAILLON_DATA_DIR is no data folder to every command, as to serve (taxonomy list named "" as its folder)', async () => {
    const { code, out } = await runMaillon(['taxonomy', 'list'], { MAILLON_DATA_DIR: '' });
    expect(code).to.equal(0);
    expect(out).to.match(/^no taxonomy loaded in \.\/data;|^[^\n]/u).and.not.match(/loaded in ;/u);
  });

  it('startNode on a port in use rejects with a ListenError and leaves an existing database as it was', async () => {
    const config = loadConfig({ port: '0', host: '127.0.0.1', 'data-dir': dir }, { MAILLON_LOG_LEVEL: 'silent' });
    const first = await startNode(config, createLogger('silent'));
    const stored = first.store.baseUrl;
    const { server, port } = await occupy();
    await first.close();
    try {
      const error = await startNode({ ...config, port }, createLogger('silent')).then(() => undefined, (e: unknown) => e);
      expect(error).to.be.instanceOf(ListenError);
      expect((error as Error).message).to.equal(`port ${port} is already in use (another maillon node?)`);
      const rows = await readRows<{ value: string }>(config.db, "SELECT value FROM meta WHERE key = 'base_url'");
      expect(rows.map((r) => r.value)).to.deep.equal([stored]);
    } finally {
      server.close();
    }
  });

  it('a new database stores the address the node really listens on, not the port it was asked for', async () => {
    const node = await startNode(loadConfig({ port: '0', host: '127.0.0.1', 'data-dir': dir }, {}), createLogger('silent'));
    try {
      expect(node.store.baseUrl).to.equal(node.url);
      expect(node.store.baseUrl).to.match(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/u);
      expect(node.baseUrlNotice).to.equal(undefined);
    } finally {
      await node.close();
    }
  });

  it('a base URL no one can reach (the wildcard host, port 0) is said at start, given or stored', async () => {
    for (const base of ['http://0.0.0.0:3000', 'http://[::]:8080', 'http://127.0.0.1:0']) {
      const node = await startNode(loadConfig({ port: '0', host: '127.0.0.1', 'data-dir': dir, 'base-url': base }, {}), createLogger('silent'));
      try {
        expect(node.baseUrlNotice, base).to.equal(`the base URL ${base} is no address a peer or a browser can reach, and every @id is published under it: `
          + 'give the public one (maillon serve --base-url https://…), which moves the stored ids');
      } finally {
        await node.close();
      }
    }
  });

  it('a node listening elsewhere than its stored base URL says so with the command that moves the ids, and --base-url moves them', async () => {
    const config = loadConfig({ port: '0', host: '127.0.0.1', 'data-dir': dir }, {});
    const first = await startNode(config, createLogger('silent'));
    const stored = first.store.baseUrl;
    await first.close();
    const second = await startNode(config, createLogger('silent'));
    const now = second.url;
    try {
      expect(now).not.to.equal(stored);
      expect(second.store.baseUrl).to.equal(stored);
      expect(second.baseUrlNotice).to.equal(`the stored base URL is ${stored} but this node listens on ${now}; every @id is published under the stored one. `
        + `To move them: maillon serve --db ${config.db} --port ${new URL(now).port} --base-url ${now}`);
    } finally {
      await second.close();
    }
    const port = new URL(now).port;
    const moved = await startNode(loadConfig({ port, host: '127.0.0.1', 'data-dir': dir, 'base-url': now }, {}), createLogger('silent'));
    try {
      expect(moved.store.baseUrl).to.equal(now);
      expect(moved.baseUrlNotice).to.equal(undefined);
    } finally {
      await moved.close();
    }
    // A base URL the operator chose (a proxy's) is never second-guessed.
    const behindProxy = await startNode(loadConfig({ port: '0', host: '127.0.0.1', 'data-dir': dir, 'base-url': 'https://maillon.example.org' }, {}), createLogger('silent'));
    await behindProxy.close();
    const again = await startNode(config, createLogger('silent'));
    try {
      expect(again.store.baseUrl).to.equal('https://maillon.example.org');
      expect(again.baseUrlNotice).to.equal(undefined);
    } finally {
      await again.close();
    }
  });
  it('a second node on a database another node serves is refused in one line, exits 1 and changes nothing; a node killed with SIGKILL leaves no lock', async function () {
    // Four processes started one after the other (each loads the whole node): on a loaded machine, 10 s or more each.
    this.timeout(120_000);
    const first = spawnMaillon(['serve', '--port', '0', '--data-dir', dir]);
    try {
      await first.listening();
      const before = await readRows(join(dir, 'maillon.db'), 'SELECT count(*) AS n FROM tokens');
      const second = spawnMaillon(['serve', '--port', '0', '--data-dir', dir]);
      // A second node that did start would serve until stopped: it is stopped as soon as it says it listens.
      const served = await Promise.race([second.listening().then(() => true, () => false), second.exited.then(() => false)]);
      if (served) second.child.kill('SIGKILL');
      const { code } = await second.exited;
      const [out, err] = [second.out(), second.err()];
      expect(served, 'the second node served').to.equal(false);
      expect(code).to.equal(1);
      expect(out).to.equal('');
      expect(err).to.equal(`maillon: ${join(dir, 'maillon.db')} is served by another node already (its lock ${join(dir, 'maillon.db')}.serve-lock is held): `
        + 'stop that node first, or give this one a database of its own (--data-dir or --db)\n');
      // Nothing was opened: no second admin token, no migration run.
      expect(await readRows(join(dir, 'maillon.db'), 'SELECT count(*) AS n FROM tokens')).to.deep.equal(before);
      // The commands that use a served database still can.
      const listed = await runMaillon(['peer', 'list', '--data-dir', dir]);
      expect(listed.code, listed.err).to.equal(0);
    } finally {
      first.child.kill('SIGKILL');
      await first.exited;
    }
    // The lock went with the process: no stale lock to remove by hand.
    const next = spawnMaillon(['serve', '--port', '0', '--data-dir', dir]);
    try {
      await next.listening();
    } finally {
      next.child.kill('SIGTERM');
      expect((await next.exited).code).to.equal(0);
    }
  });

  it('startNode twice on one database in one process: the second rejects with a DatabaseServedError; after close, it starts', async () => {
    const config = loadConfig({ port: '0', host: '127.0.0.1', 'data-dir': dir }, {});
    const first = await startNode(config, createLogger('silent'));
    try {
      let failed: unknown;
      await startNode(config, createLogger('silent')).then(async (second) => second.close(), (error: unknown) => (failed = error));
      expect(failed).to.be.instanceOf(DatabaseServedError);
    } finally {
      await first.close();
    }
    const again = await startNode(config, createLogger('silent'));
    await again.shutdown(1_000);
    // An in-memory database has no lock to take: two nodes each have their own.
    const memory = loadConfig({ port: '0', host: '127.0.0.1', 'data-dir': dir, db: ':memory:' }, {});
    const [a, b] = [await startNode(memory, createLogger('silent')), await startNode(memory, createLogger('silent'))];
    await a.close();
    await b.close();
  });
});
