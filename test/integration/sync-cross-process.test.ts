/**
 * `maillon sync` beside a running node, on the same database, both asked to sync the same peer: the second never
 * runs a sync of it at once, says it is being synced elsewhere, and the status goes on telling the first's sync as
 * it is (syncing since it began), until that one's own end. Real processes: the CLI in a child process.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.js';
import { bearer, startInProcess, type InProcessNode } from '../helpers/in-process.js';

const ROOT = join(import.meta.dirname, '../..');

interface PeerStatus {
  readonly id: number; readonly status: string; readonly lastStatus: string; readonly syncingSince: string | null; readonly failures: number;
}

interface ChildResult {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

describe('a peer synced by maillon sync and by the node at once', function () {
  this.timeout(60_000);
  let node: InProcessNode;
  let peer: FakePeer;
  let id: number;
  /** The first request for the catalogue is held until released; every other one answers 500 at once. */
  let held: (() => void) | undefined;
  let hold = false;
  let onHeld: () => void = () => undefined;

  before(async () => {
    peer = await startFakePeer((req, res) => {
      const send = (): void => void res.writeHead(500, { 'content-type': 'text/plain' }).end('down');
      if (!hold || !(req.url ?? '').startsWith('/catalog')) return send();
      hold = false;
      held = send;
      onHeld();
    });
    node = await startInProcess();
    const added = await node.request('POST', '/api/sync/peers', {
      headers: { ...bearer(node.adminToken), 'content-type': 'application/json' }, body: JSON.stringify({ url: `${peer.base}/catalog`, name: 'down' }),
    });
    expect(added.status).to.equal(201);
    id = added.json<{ id: number }>().id;
  });
  after(async () => {
    held?.();
    await node.close();
    await peer.close();
  });

  const status = async (): Promise<PeerStatus> => {
    const all = (await node.request('GET', '/api/sync/status', { headers: bearer(node.adminToken) })).json<{ peers: PeerStatus[] }>();
    const shown = all.peers.find((p) => p.id === id);
    if (shown === undefined) expect.fail('the peer is not listed');
    return shown;
  };
  /** The next catalogue request, held: resolves once it arrived. */
  const holdNext = (): Promise<void> => {
    hold = true;
    return new Promise<void>((resolve) => (onHeld = resolve));
  };
  const release = (): void => {
    const send = held;
    held = undefined;
    send?.();
  };
  /** `maillon sync` in a child process, as an operator (or cron) runs it beside the node. */
  const cliSync = (...options: string[]): { pid: number; done: Promise<ChildResult> } => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/bin.ts', 'sync', ...options, '--db', node.db, '--data-dir', node.dir, '--allow-private'], {
      cwd: ROOT, env: { ...process.env, MAILLON_LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const done = new Promise<ChildResult>((resolve, reject) => {
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, out, err }));
    });
    return { pid: child.pid ?? -1, done };
  };

  it('the node does not sync a peer maillon sync is syncing: busy, and the status tells the CLI\'s sync until it ends', async () => {
    const heldNow = holdNext();
    const cli = cliSync('--peer', 'down');
    await heldNow;
    const during = await status();
    expect(during.status).to.equal('syncing');
    const failures = during.failures;

    const asked = await node.request('POST', `/api/sync/peers/${id}/sync`, { headers: bearer(node.adminToken) });
    expect(asked.status).to.equal(200);
    const answer = asked.json<{ ok: boolean; failure: { kind: string; message: string } }>();
    expect(answer.ok).to.equal(false);
    expect(answer.failure.kind).to.equal('busy');
    expect(answer.failure.message).to.contain(`pid ${cli.pid} on ${hostname()}`);
    // Still the CLI's sync, as it began: not hidden by an end of the node's, no failure counted for the refusal.
    expect(await status()).to.deep.include({ status: 'syncing', syncingSince: during.syncingSince, failures });

    release();
    const ended = await cli.done;
    expect(ended.code, ended.err).to.equal(1);
    expect(await status()).to.deep.include({ status: 'failed', syncingSince: null, failures: failures + 1 });
  });

  it('maillon sync does not sync a peer the node is syncing: its row says so, exit 1, and the node\'s mark stays', async () => {
    const heldNow = holdNext();
    const running = node.engine.sync((await node.store.provenance.getPeer(id))!);
    await heldNow;
    const during = await status();
    expect(during.status).to.equal('syncing');

    // Named: synced whatever its backoff, so it meets the node's mark.
    const named = await cliSync('--peer', 'down').done;
    expect(named.code, named.err).to.equal(1);
    expect(named.out).to.match(new RegExp(`^down\\s.*busy: already being synced by another process \\(pid ${process.pid} on `, 'mu'));
    // All peers (as cron runs it): the peer is left to the node, and the row says why.
    const all = await cliSync().done;
    expect(all.code, all.err).to.equal(1);
    expect(all.out).to.match(/^down\s.*not synced: already being synced by another process since /mu);
    expect(await status()).to.deep.include({ status: 'syncing', syncingSince: during.syncingSince, failures: during.failures });

    release();
    expect((await running).ok).to.equal(false);
    expect(await status()).to.deep.include({ status: 'failed', syncingSince: null, failures: during.failures + 1 });
  });
});
