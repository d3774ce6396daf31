/**
 * `maillon sync` interrupted (Ctrl-C, SIGTERM): what it says of the peers, whether they all finished during the stop or not.
 * The command's own signal handler is called directly (a signal would reach the test runner's too).
 */
import { expect } from 'chai';
import { syncCommand } from '../../../server/cli/sync-commands.js';
import type { NodeParts } from '../../../server/main.js';
import type { PeerRow } from '../../../server/store/federation.js';
import type { PeerSyncOutcome } from '../../../server/sync/sync-engine.js';

function peer(id: number, name: string): PeerRow {
  return { id, name, url: `https://${name}.example/`, status: null, nextAttemptAt: null, syncingSince: null, failures: 0 } as unknown as PeerRow;
}

/**
 * Runs the command over fake peers, a signal (Ctrl-C's SIGINT unless told) coming during the syncs; `finishes` says
 * which peers end well.
 */
async function interrupted(finishes: (p: PeerRow) => boolean, signal: 'SIGINT' | 'SIGTERM' = 'SIGINT'): Promise<{ status: number; err: string }> {
  const peers = [peer(1, 'a'), peer(2, 'b')];
  let stopped = false;
  const node = {
    store: { provenance: { listPeers: () => Promise.resolve(peers) } },
    scheduler: {
      stop: () => {
        stopped = true;
        return Promise.resolve();
      },
      runNow: (list: readonly PeerRow[], onProgress: (p: PeerRow, progress: 'done', outcome: PeerSyncOutcome) => void): Promise<PeerSyncOutcome[]> => {
        const handlers = process.listeners(signal);
        (handlers[handlers.length - 1] as (s: NodeJS.Signals) => void)(signal);
        expect(stopped, `stopped by the first ${signal}`).to.equal(true);
        const outcomes = list.map((p) => (finishes(p) ? { ok: true, peer: p, summary: {} } : { ok: false, peer: p, failure: { kind: 'stopped', message: 'stopped' } }) as unknown as PeerSyncOutcome);
        for (const o of outcomes) onProgress(o.peer, 'done', o);
        return Promise.resolve(outcomes);
      },
    },
  } as unknown as NodeParts;
  let err = '';
  const status = await syncCommand(node, {}, { out: () => undefined, err: (t) => void (err += t) });
  return { status, err };
}

describe('maillon sync interrupted', () => {
  it('names the peers not synced', async () => {
    const { status, err } = await interrupted((p) => p.name === 'a');
    expect(status).to.equal(130);
    expect(err).to.match(/interrupted: 1 of 2 peers finished \(a\); not synced, their previous data kept: b\n/u);
  });

  it('says every peer finished when they all did during the stop, naming no peer as not synced', async () => {
    const { status, err } = await interrupted(() => true);
    expect(status).to.equal(130);
    expect(err).to.match(/interrupted: 2 of 2 peers finished \(a, b\)\n/u);
    expect(err).to.not.match(/not synced/u);
  });

  it('gives the syncs up on SIGTERM as on Ctrl-C (a service manager or cron stopping it), with exit status 143', async () => {
    const before = process.listenerCount('SIGTERM');
    const { status, err } = await interrupted((p) => p.name === 'b', 'SIGTERM');
    expect(status).to.equal(143);
    expect(err).to.match(/stopping \(SIGTERM\): giving up the syncs under way \(a second SIGTERM quits at once\)\n/u);
    expect(err).to.match(/interrupted: 1 of 2 peers finished \(b\); not synced, their previous data kept: a\n/u);
    expect(process.listenerCount('SIGTERM'), 'its handler removed').to.equal(before);
  });
});
