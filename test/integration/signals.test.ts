import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../server/cli/main.js';
import { spawnMaillon } from '../helpers/maillon-process.js';


async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A peer that accepts the connection and never answers, added to the database `db` as peer `slow`; `asked` says
 * whether a request reached it since the peer was added (`peer add` looks at the URL first: that one is not counted).
 */
async function hangingPeer(db: string, dir: string): Promise<{ readonly asked: () => boolean; close(): Promise<void> }> {
  let asked = false;
  const hanging: Server = createServer(() => {
    asked = true;
  });
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  const port = (hanging.address() as AddressInfo).port;
  const io = { out: () => undefined, err: () => undefined };
  expect(await run(['peer', 'add', `http://127.0.0.1:${port}/api/dfc/enterprises`, '--name', 'slow', '--allow-private', '--db', db, '--data-dir', dir], io)).to.equal(0);
  asked = false;
  return {
    asked: () => asked,
    close: async () => {
      hanging.closeAllConnections();
      await new Promise<void>((resolve) => hanging.close(() => resolve()));
    },
  };
}

describe('stopping a node or a sync with a signal (issue 13)', function () {
  this.timeout(60_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-signals-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`serve stops on ${signal} the same way: logs the signal, closes the database, exits 0`, async () => {
      const db = join(dir, `${signal}.db`);
      const node = spawnMaillon(['serve', '--port', '0', '--db', db, '--data-dir', dir], { MAILLON_LOG_LEVEL: 'info', MAILLON_LOG_FORMAT: 'json', MAILLON_SYNC_SCHEDULE: 'off' });
      const url = await node.listening();
      expect((await fetch(`${url}/api/dfc/enterprises`)).status).to.equal(200);
      node.child.kill(signal);
      expect((await node.exited).code, node.err()).to.equal(0);
      const logs = node.err().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(logs.find((l) => l['msg'] === 'listening')).to.not.equal(undefined);
      expect(logs.filter((l) => l['signal'] === signal).map((l) => l['msg'])).to.deep.equal(['stopping: finishing the requests in flight', 'stopped']);
      // The database was closed cleanly: another command opens it at once.
      let out = '';
      expect(await run(['enterprise', 'list', '--db', db, '--data-dir', dir], { out: (t) => void (out += t), err: () => undefined })).to.equal(0);
    });
  }

  it('serve stops at once on SIGTERM while a scheduled sync waits on a peer that never answers; the attempt is not held against the peer', async () => {
    const db = join(dir, 'scheduled.db');
    const peer = await hangingPeer(db, dir);
    try {
      const node = spawnMaillon(['serve', '--port', '0', '--db', db, '--data-dir', dir], { MAILLON_LOG_LEVEL: 'info', MAILLON_LOG_FORMAT: 'json', MAILLON_ALLOW_PRIVATE: 'true' });
      await node.listening();
      await until(peer.asked, 30_000, 'the scheduled sync to ask the peer');
      const stopping = Date.now();
      node.child.kill('SIGTERM');
      expect((await node.exited).code, node.err()).to.equal(0);
      // The peer's answer would be waited for 30 s (the fetch deadline), and the whole sync 120 s.
      expect(Date.now() - stopping, 'time to stop').to.be.below(10_000);
      let out = '';
      expect(await run(['peer', 'status', '--db', db, '--data-dir', dir], { out: (t) => void (out += t), err: () => undefined })).to.equal(0);
      expect(out).to.match(/stopped/u);
      // Not counted as the peer's failure, and due again at once after the next start.
      expect(out).to.match(/\b0 failures in a row/u);
    } finally {
      await peer.close();
    }
  });

  it('serve stops at once on SIGTERM while a request waits for a sync of a peer that never answers; the request gets the stopped outcome', async () => {
    const db = join(dir, 'requested.db');
    const peer = await hangingPeer(db, dir);
    try {
      let token = '';
      expect(await run(['token', 'create', '--admin', '--db', db, '--data-dir', dir], { out: (t) => void (token += t), err: () => undefined })).to.equal(0);
      const admin = /\S{20,}/u.exec(token)?.[0] ?? '';
      // No schedule: the only sync is the one the request asks for.
      const node = spawnMaillon(['serve', '--port', '0', '--db', db, '--data-dir', dir],
        { MAILLON_LOG_LEVEL: 'info', MAILLON_LOG_FORMAT: 'json', MAILLON_ALLOW_PRIVATE: 'true', MAILLON_SYNC_SCHEDULE: 'off' });
      const url = await node.listening();
      const peers = await (await fetch(`${url}/api/sync/peers`, { headers: { authorization: `Bearer ${admin}` } })).json() as { id: number }[];
      const answer = fetch(`${url}/api/sync/peers/${peers[0]?.id ?? 0}/sync`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } })
        .then(async (r) => ({ status: r.status, body: await r.json() as { ok?: boolean; failure?: { kind?: string } } }), (error: unknown) => error);
      await until(peer.asked, 30_000, 'the requested sync to ask the peer');
      const stopping = Date.now();
      node.child.kill('SIGTERM');
      expect((await node.exited).code, node.err()).to.equal(0);
      // The grace for the requests in flight is 10 s; the peer's answer would be waited for 30 s.
      expect(Date.now() - stopping, 'time to stop').to.be.below(5_000);
      const answered = await answer;
      expect(answered, 'the request is answered').to.not.be.instanceOf(Error);
      expect(JSON.stringify(answered)).to.match(/"kind":"stopped"/u);
      let out = '';
      expect(await run(['peer', 'status', '--db', db, '--data-dir', dir], { out: (t) => void (out += t), err: () => undefined })).to.equal(0);
      expect(out).to.match(/status stopped, 0 failures in a row/u);
    } finally {
      await peer.close();
    }
  });

  for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${signal === 'SIGINT' ? 'Ctrl-C' : signal} during sync gives the sync up as a stop does: says what was done and what was not, exit ${status}, no mark left, no failure counted`, async () => {
      const db = join(dir, `sync-${signal}.db`);
      // The sync is still running when the signal comes.
      const peer = await hangingPeer(db, dir);
      try {
        const sync = spawnMaillon(['sync', '--allow-private', '--db', db, '--data-dir', dir]);
        await until(peer.asked, 30_000, 'the sync to ask the peer');
        const stopping = Date.now();
        sync.child.kill(signal);
        expect((await sync.exited).code, sync.err()).to.equal(status);
        // The peer's answer would be waited for 30 s (the fetch deadline).
        expect(Date.now() - stopping, 'time to stop').to.be.below(10_000);
        expect(sync.err()).to.match(/interrupted: 0 of 1 peer finished; not synced, their previous data kept: slow/u);
        // Killed with its mark on the peer, the sync would read as still running, and the next start would count it as
        // the peer's failure and put the peer in backoff.
        let out = '';
        expect(await run(['peer', 'status', '--db', db, '--data-dir', dir], { out: (t) => void (out += t), err: () => undefined })).to.equal(0);
        expect(out).to.match(/status stopped, 0 failures in a row/u);
        expect(out).to.not.match(/syncing since/u);
      } finally {
        await peer.close();
      }
    });
  }
});
