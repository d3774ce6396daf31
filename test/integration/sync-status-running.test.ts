/**
 * A peer whose sync is under way reads as syncing, not failed: its failures and last error stay as its last sync
 * left them (a failing peer's real error stays visible while it retries), and the mark becomes a failure only when
 * the process that wrote it is gone (the next start).
 */
import { expect } from 'chai';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/logging.js';
import { openNode } from '../../server/main.js';
import { UNFINISHED_SYNC } from '../../server/sync/sync-engine.js';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.js';
import { bearer, startInProcess, type InProcessNode } from '../helpers/in-process.js';

interface PeerStatus {
  readonly id: number; readonly status: string; readonly lastStatus: string; readonly syncingSince: string | null;
  readonly failures: number; readonly lastError: string | null;
}

describe('the status of a peer being synced', function () {
  this.timeout(30_000);
  let node: InProcessNode;
  let peer: FakePeer;
  /** Answers of the peer held until released (each request waits for `release`). */
  let release: () => void = () => undefined;
  let answer: 'hold-then-500' | '500' = '500';
  /** Told when a request is held. */
  let onHeld: () => void = () => undefined;

  before(async () => {
    peer = await startFakePeer((req, res) => {
      const send = (): void => {
        release = () => undefined;
        res.writeHead(500, { 'content-type': 'text/plain' }).end('down');
      };
      if (answer === '500' || !(req.url ?? '').startsWith('/catalog')) return send();
      release = send;
      onHeld();
    });
    node = await startInProcess();
  });
  after(async () => {
    release();
    await node.close();
    await peer.close();
  });

  const status = async (id: number): Promise<PeerStatus> => {
    const all = (await node.request('GET', '/api/sync/status', { headers: bearer(node.adminToken) })).json<{ peers: PeerStatus[] }>();
    const shown = all.peers.find((p) => p.id === id);
    if (shown === undefined) expect.fail('the peer is not listed');
    return shown;
  };

  it('reads as syncing while its sync runs, its last failure and count kept, then as its outcome', async () => {
    const added = await node.request('POST', '/api/sync/peers', {
      headers: { ...bearer(node.adminToken), 'content-type': 'application/json' }, body: JSON.stringify({ url: `${peer.base}/catalog`, name: 'down' }),
    });
    expect(added.status).to.equal(201);
    const id = added.json<{ id: number }>().id;
    const first = await node.engine.sync((await node.store.provenance.getPeer(id))!);
    expect(first.ok).to.equal(false);
    const failed = await status(id);
    expect(failed).to.deep.include({ status: 'failed', lastStatus: 'failed', syncingSince: null, failures: 1 });
    expect(failed.lastError).to.match(/^http-status: /u);

    answer = 'hold-then-500';
    const held = new Promise<void>((resolve) => (onHeld = resolve));
    const running = node.engine.sync((await node.store.provenance.getPeer(id))!);
    await held;
    const during = await status(id);
    // Not a failure counted, nor the "did not finish" text over the peer's real last error.
    expect(during).to.deep.include({ status: 'syncing', lastStatus: 'failed', failures: 1, lastError: failed.lastError });
    expect(during.syncingSince).to.be.a('string');
    const detail = (await node.request('GET', `/api/sync/peers/${id}`, { headers: bearer(node.adminToken) })).json<PeerStatus>();
    expect(detail).to.deep.include({ status: 'syncing', lastStatus: 'failed', failures: 1, lastError: failed.lastError });
    answer = '500';
    release();
    expect((await running).ok).to.equal(false);
    expect(await status(id)).to.deep.include({ status: 'failed', lastStatus: 'failed', syncingSince: null, failures: 2 });
  });

  it('counts a sync a dead process left as a failure at the next start, not one another live process runs', async () => {
    const id = (await node.store.provenance.listPeers())[0]!.id;
    const before = (await node.store.provenance.getPeer(id))!;
    const next = new Date(Date.now() + 60_000).toISOString();
    // This process's own mark (a sync of it under way): left alone by a start.
    await node.store.provenance.markSyncing(id, { at: new Date().toISOString(), owner: 'elsewhere.example:1:x', nextAttemptAt: next }, () => true);
    // A process on another host, its mark younger than any sync's deadline: it may still run.
    const other = await openNode(loadConfig({ db: node.db, 'data-dir': node.dir }, {}), createLogger('silent'));
    try {
      expect(await other.store.provenance.getPeer(id)).to.deep.include({ status: before.status, failures: before.failures });
    } finally {
      await other.close();
    }
    // A process of this host that is gone (a pid that runs nothing): counted at the next start.
    await node.store.provenance.markSyncing(id, { at: new Date().toISOString(), owner: `${(await import('node:os')).hostname()}:2147483646:x`, nextAttemptAt: next }, () => true);
    const restarted = await openNode(loadConfig({ db: node.db, 'data-dir': node.dir }, {}), createLogger('silent'));
    try {
      expect(await restarted.store.provenance.getPeer(id)).to.deep.include({
        status: 'failed', syncingSince: null, failures: before.failures + 1, lastError: `internal: ${UNFINISHED_SYNC.message}`,
      });
      // Its backoff counted from the restart (never sooner than the mark planned): synced at once, it could kill this one too.
      expect((await restarted.store.provenance.getPeer(id))!.nextAttemptAt! >= next).to.equal(true);
    } finally {
      await restarted.close();
    }
  });
});
