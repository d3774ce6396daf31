/**
 * The mark of a peer being synced is its process's own: two processes on one database (`maillon sync` beside
 * `serve`) never sync the same peer at once, the second says the peer is being synced elsewhere, and the first's
 * end clears only its own mark. A mark of a process that is gone is still taken over.
 *
 * Two stores on one SQLite file stand for the two processes; the other live process is this one's parent (alive,
 * on this host, not this pid), as its owner id names it.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decoder } from '../../../server/codec/decode.js';
import { SqliteStore } from '../../../server/store/sqlite/sqlite-store.js';
import { SYNC_OWNER, syncOwnerGone, SyncEngine } from '../../../server/sync/sync-engine.js';

describe('the sync mark of a peer, between two processes on one database', () => {
  let dir: string;
  let here: SqliteStore;
  let there: SqliteStore;
  let peerId: number;
  /** A process that is alive (this one's parent) on this host: its marks are not gone. */
  const LIVE = `${hostname()}:${process.ppid}:other-process`;
  /** A process of this host that no longer runs (a pid that runs nothing). */
  const DEAD = `${hostname()}:2147483646:dead-process`;
  const gone = (owner: string | null, since: string): boolean => syncOwnerGone(owner, since, new Date(), 120_000);
  const attempt = { status: 'ok' as const, at: '2026-01-01T00:00:00.000Z', nextAttemptAt: '2026-01-01T01:00:00.000Z', failures: 0, error: null, summary: null };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-marks-'));
    here = await SqliteStore.open({ path: join(dir, 'node.db'), baseUrl: 'https://node.test' });
    there = await SqliteStore.open({ path: join(dir, 'node.db'), baseUrl: 'https://node.test' });
    peerId = (await here.provenance.addPeer({ name: 'ferme', url: 'https://peer.example/catalog' }, 'https://peer.example')).id;
  });
  afterEach(async () => {
    await here.close();
    await there.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The other process marks the peer, as its sync begins. */
  async function markedThere(owner: string): Promise<string> {
    const at = new Date().toISOString();
    expect(await there.provenance.markSyncing(peerId, { at, owner, nextAttemptAt: new Date(Date.now() + 30_000).toISOString() }, gone)).to.deep.equal({ state: 'marked' });
    return at;
  }

  it('does not take over the mark of another live process: it is left as it was, and the answer names its holder', async () => {
    const since = await markedThere(LIVE);
    const held = await here.provenance.markSyncing(peerId, { at: new Date().toISOString(), owner: SYNC_OWNER, nextAttemptAt: '2030-01-01T00:00:00.000Z' }, gone);
    expect(held).to.deep.equal({ state: 'held', owner: LIVE, since });
    const peer = await here.provenance.getPeer(peerId);
    expect(peer?.syncingSince).to.equal(since);
    expect(peer?.nextAttemptAt).to.not.equal('2030-01-01T00:00:00.000Z');
    // Its own mark again (a later sync of the same process) is taken, and so is the peer no longer marked.
    expect((await there.provenance.markSyncing(peerId, { at: new Date().toISOString(), owner: LIVE, nextAttemptAt: attempt.nextAttemptAt }, gone)).state).to.equal('marked');
  });

  it('takes over the mark of a process that is gone', async () => {
    await markedThere(DEAD);
    const at = new Date().toISOString();
    expect(await here.provenance.markSyncing(peerId, { at, owner: SYNC_OWNER, nextAttemptAt: attempt.nextAttemptAt }, gone)).to.deep.equal({ state: 'marked' });
    expect((await there.provenance.getPeer(peerId))?.syncingSince).to.equal(at);
  });

  it('clears only its own mark when it records an attempt', async () => {
    const since = await markedThere(LIVE);
    // An attempt of this process that ended (its mark taken over meanwhile): the other's sync still runs.
    expect(await here.provenance.recordAttempt(peerId, { ...attempt, owner: SYNC_OWNER })).to.equal(true);
    expect((await here.provenance.getPeer(peerId))?.syncingSince).to.equal(since);
    expect((await here.provenance.getPeer(peerId))?.status).to.equal('ok');
    // The holder's own end clears it.
    await there.provenance.recordAttempt(peerId, { ...attempt, owner: LIVE });
    expect((await here.provenance.getPeer(peerId))?.syncingSince).to.equal(null);
  });

  it('an engine does not sync a peer another live process is syncing: busy, nothing fetched, nothing recorded', async () => {
    const since = await markedThere(LIVE);
    const before = await here.provenance.getPeer(peerId);
    const engine = new SyncEngine({
      provenance: here.provenance, feed: here.feed, decoder: new Decoder(), ownBase: 'https://node.test',
      fetch: async () => expect.fail('nothing is fetched'),
    });
    const outcome = await engine.sync(before!);
    if (outcome.ok) expect.fail('the sync ran');
    expect(outcome.failure.kind).to.equal('busy');
    expect(outcome.failure.message).to.equal(`already being synced by another process (pid ${process.ppid} on ${hostname()}) since ${since}; not synced again here`);
    // The status tells the other's sync as it is: syncing since it began, its last outcome and failures untouched.
    expect(await there.provenance.getPeer(peerId)).to.deep.equal(before);
  });

  it('an engine syncs a peer whose mark a dead process left, and its end clears the mark', async () => {
    await markedThere(DEAD);
    let fetched = 0;
    const engine = new SyncEngine({
      provenance: here.provenance, feed: here.feed, decoder: new Decoder(), ownBase: 'https://node.test', random: () => 0,
      fetch: async () => {
        fetched++;
        throw new Error('refused');
      },
    });
    const outcome = await engine.sync((await here.provenance.getPeer(peerId))!);
    if (outcome.ok) expect.fail('the sync succeeded');
    expect(outcome.failure.kind).to.not.equal('busy');
    expect(fetched).to.be.above(0);
    expect((await there.provenance.getPeer(peerId))?.syncingSince).to.equal(null);
  });
});
