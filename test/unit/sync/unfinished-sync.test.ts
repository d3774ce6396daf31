/**
 * A sync that never finished (the process died during it: a hostile page that exhausted its memory, a kill) counts
 * against its peer at the next start: the peer waits its backoff from that start, growing with each such death, and
 * is not synced again at once (which killed the node again: the death took longer than the first 30 s backoff).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../../server/config.js';
import { createLogger } from '../../../server/logging.js';
import { openNode } from '../../../server/main.js';
import { UNFINISHED_SYNC } from '../../../server/sync/sync-engine.js';

describe('a sync that never finished, at the next start', () => {
  let dir: string;
  let config: Config;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-unfinished-'));
    config = { ...loadConfig({ db: join(dir, 'maillon.db'), 'data-dir': dir, 'base-url': 'http://node.test', port: '0' }, {}), allowPrivate: true };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** What a process that died a minute into the sync of the peer, after `failures` failures, left. */
  async function died(peerId: number, failures: number, nextAttemptAt: Date): Promise<string> {
    const parts = await openNode(config, createLogger('silent'));
    try {
      const at = new Date(Date.now() - 60_000).toISOString();
      // The failures before this sync, then its mark, left by a process of this host that no longer runs.
      await parts.store.provenance.recordAttempt(peerId, {
        status: 'failed', at: new Date(Date.now() - 120_000).toISOString(), nextAttemptAt: at, failures: failures - 1, error: 'timeout: earlier', summary: null, owner: 'test',
      });
      await parts.store.provenance.markSyncing(peerId, { at, owner: `${hostname()}:2147483646:x`, nextAttemptAt: nextAttemptAt.toISOString() }, () => true);
      return at;
    } finally {
      await parts.close();
    }
  }

  it('puts the peer off by its backoff from the start, longer after each death, and leaves a finished one alone', async () => {
    let peerId: number;
    let otherId: number;
    {
      const parts = await openNode(config, createLogger('silent'));
      peerId = (await parts.store.provenance.addPeer({ name: 'hostile', url: 'http://127.0.0.1:9/cat' }, 'http://127.0.0.1:9')).id;
      otherId = (await parts.store.provenance.addPeer({ name: 'calm', url: 'http://127.0.0.1:8/cat' }, 'http://127.0.0.1:8')).id;
      await parts.close();
    }
    // Its first 30 s backoff ran out while the sync was killing the process.
    const lastAttemptAt = await died(peerId, 1, new Date(Date.now() - 30_000));
    const startedAt = Date.now();
    const parts = await openNode(config, createLogger('silent'));
    let firstWait: number;
    try {
      const peer = await parts.store.provenance.getPeer(peerId);
      const other = await parts.store.provenance.getPeer(otherId);
      firstWait = Date.parse(peer?.nextAttemptAt ?? '') - startedAt;
      // Backoff of one failure: 30 s, jittered down by half at most.
      expect(firstWait).to.be.at.least(15_000);
      expect(peer?.status).to.equal('failed');
      expect(peer?.failures).to.equal(1);
      expect(peer?.lastAttemptAt).to.equal(lastAttemptAt);
      expect(peer?.lastError).to.equal(`internal: ${UNFINISHED_SYNC.message}`);
      expect(other?.nextAttemptAt).to.equal(null);
    } finally {
      await parts.close();
    }
    // Another start (a CLI command opens the node too) leaves it as it is: a cron job would otherwise put it off for good.
    const planned = (await (async () => {
      const parts2 = await openNode(config, createLogger('silent'));
      try {
        return (await parts2.store.provenance.getPeer(peerId))?.nextAttemptAt;
      } finally {
        await parts2.close();
      }
    })());
    const checked = await openNode(config, createLogger('silent'));
    try {
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect((await checked.store.provenance.getPeer(peerId))?.nextAttemptAt).to.equal(planned);
    } finally {
      await checked.close();
    }
    // Synced after its wait, it killed the process again: its third failure waits 2 min at least (4 × 30 s, halved).
    await died(peerId, 3, new Date(Date.now() - 1000));
    const again = await openNode(config, createLogger('silent'));
    try {
      const peer = await again.store.provenance.getPeer(peerId);
      expect(Date.parse(peer?.nextAttemptAt ?? '') - Date.now()).to.be.at.least(55_000);
    } finally {
      await again.close();
    }
  });
});
