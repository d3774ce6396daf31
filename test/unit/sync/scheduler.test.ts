/**
 * Which peers the sync schedule takes at a tick, and which `maillon sync` leaves alone: a peer waiting out the
 * backoff of a failure (a sync that killed the process counts as one) is not synced again before its time.
 */
import { expect } from 'chai';
import type { PeerRow } from '../../../server/store/federation.js';
import { duePeers, inBackoff, MAX_INTERVAL_SECONDS, parseInterval } from '../../../server/sync/scheduler.js';

describe('which peers a sync schedule takes', () => {
  const now = new Date('2026-03-01T12:00:00.000Z');
  const at = (offsetMs: number): string => new Date(now.getTime() + offsetMs).toISOString();
  const peer = (id: number, status: string, nextAttemptAt: string | null): PeerRow => ({
    id, name: `p${id}`, url: `https://p${id}.example/`, origin: `https://p${id}.example`, token: null, tokenHeader: 'authorization',
    profile: 'dfc-v1', kind: 'dfc', intervalSeconds: 300, createdAt: at(-86_400_000), status, lastAttemptAt: null, lastSuccessAt: null, nextAttemptAt,
    failures: status === 'failed' ? 1 : 0, lastError: null, lastSummary: null,
  });

  it('takes new peers and those due, the longest due first, skipping those in backoff and those running', () => {
    const peers = [
      peer(1, 'new', null), peer(2, 'ok', at(-1_000)), peer(3, 'failed', at(60_000)), peer(4, 'failed', at(-60_000)),
      peer(5, 'ok', at(1_000)), peer(6, 'ok', at(-5_000)),
    ];
    expect(duePeers(peers, now, new Set(), 10).map((p) => p.id)).to.deep.equal([1, 4, 6, 2]);
    expect(duePeers(peers, now, new Set([4]), 10).map((p) => p.id)).to.deep.equal([1, 6, 2]);
    expect(duePeers(peers, now, new Set(), 2).map((p) => p.id)).to.deep.equal([1, 4]);
    expect(duePeers(peers, now, new Set(), 0)).to.deep.equal([]);
  });

  it('says a failed peer whose next attempt is to come is in backoff, and no other', () => {
    expect(inBackoff(peer(1, 'failed', at(1)), now)).to.equal(true);
    expect(inBackoff(peer(1, 'failed', at(0)), now)).to.equal(false);
    expect(inBackoff(peer(1, 'failed', null), now)).to.equal(false);
    expect(inBackoff(peer(1, 'ok', at(60_000)), now)).to.equal(false);
    expect(inBackoff(peer(1, 'new', null), now)).to.equal(false);
  });
});

describe('parseInterval', () => {
  it('reads 90, 90s, 5m, 2h and 1d, up to a year, and nothing else', () => {
    expect(['90', '90s', '5m', '2h', '1d', '366d'].map(parseInterval)).to.deep.equal([90, 90, 300, 7200, 86_400, MAX_INTERVAL_SECONDS]);
    // Past a year the next sync would be a date JavaScript cannot write (a RangeError after every sync).
    for (const bad of ['367d', '99999999999d', '0', '-5m', '5 weeks', '', '1e3']) expect(parseInterval(bad), bad).to.equal(undefined);
  });
});
