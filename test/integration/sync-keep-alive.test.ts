/**
 * The pages of a snapshot share one connection to their peer: a big peer's hundreds of pages opened and closed one
 * each. The connection is the run's own, closed when the run ends (applied or failed); a page on another origin
 * opens its own. Real loopback peers, real SQLite file.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decoder } from '../../server/codec/decode.js';
import { DEFAULT_FETCH_POLICY } from '../../server/net/safe-fetch.js';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import { SyncEngine } from '../../server/sync/sync-engine.js';
import { cataloguePage } from '../helpers/catalogue-page.js';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.js';

const PAGES = 4;

describe('a snapshot\'s pages over one connection (issue 16)', function () {
  this.timeout(60_000);
  let dir: string;
  let store: SqliteStore;
  let peer: FakePeer;
  /** Whether the last page answers 500 (the run fails). */
  let failLast = false;
  /** Whether the last page never answers (the run is stopped, or runs out of time). */
  let hangLast = false;
  /** Called when the last page is asked for and hangs. */
  let hung: () => void = () => undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-keep-alive-'));
    store = await SqliteStore.open({ path: join(dir, 'node.db'), baseUrl: 'http://node.test' });
    peer = await startFakePeer((req, res, self) => {
      const n = Number(new URL(req.url ?? '/', self.base).searchParams.get('page') ?? '1');
      if (hangLast && n === PAGES) {
        hung();
        return;
      }
      if (failLast && n === PAGES) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('down');
        return;
      }
      const next = n < PAGES ? { link: `</catalog?page=${n + 1}>; rel="next"` } : {};
      res.writeHead(200, { 'content-type': 'application/ld+json', ...next }).end(cataloguePage(self.base, [`p${n}`], { enterprise: n === 1 }));
    });
  });

  after(async () => {
    await store.close();
    await peer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const engine = (syncTimeoutMs?: number): SyncEngine => new SyncEngine({
    provenance: store.provenance, feed: store.feed, decoder: new Decoder(), ownBase: 'http://node.test',
    policy: { ...DEFAULT_FETCH_POLICY, allowPrivate: true }, ...(syncTimeoutMs !== undefined ? { syncTimeoutMs } : {}),
  });

  /** Waits for the peer to see its connections closed (a close reaches the server a moment after the client's). */
  async function closed(): Promise<number> {
    for (let i = 0; i < 100 && peer.sockets.size > 0; i++) await new Promise((resolve) => setImmediate(resolve));
    return peer.sockets.size;
  }

  it('reads every page of a snapshot over one connection, closed when the run ends', async () => {
    const added = await store.provenance.addPeer({ name: 'paged', url: `${peer.base}/catalog` }, peer.base);
    const before = peer.connections;
    const outcome = await engine().sync(added);
    expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
    if (outcome.ok) expect(outcome.summary.pages).to.equal(PAGES);
    expect(peer.hits.filter((h) => h.url.startsWith('/catalog'))).to.have.length(PAGES);
    expect(peer.connections - before).to.equal(1);
    expect(await closed()).to.equal(0);
  });

  it('closes the connection of a run that fails too', async () => {
    failLast = true;
    try {
      const added = await store.provenance.addPeer({ name: 'failing', url: `${peer.base}/catalog?run=2` }, peer.base);
      const before = peer.connections;
      const outcome = await engine().sync(added);
      expect(outcome.ok).to.equal(false);
      // The 500 is read as far as its snippet; its connection is not put back, and the next run opens a new one.
      expect(peer.connections - before).to.be.at.most(2);
      expect(await closed()).to.equal(0);
    } finally {
      failLast = false;
    }
  });

  it('closes the connection of a run stopped, or out of time, while a page is in flight', async () => {
    hangLast = true;
    try {
      // Stopped while the last page hangs: the request in flight is given up, and the run's connection closed.
      const stopped = engine();
      hung = () => stopped.stop();
      const added = await store.provenance.addPeer({ name: 'stopped', url: `${peer.base}/catalog?run=3` }, peer.base);
      const outcome = await stopped.sync(added);
      expect(outcome.ok).to.equal(false);
      if (!outcome.ok) expect(outcome.failure.kind).to.equal('stopped');
      expect(await closed()).to.equal(0);
      // The whole sync's deadline passes while the last page hangs.
      hung = () => undefined;
      const late = await store.provenance.addPeer({ name: 'late', url: `${peer.base}/catalog?run=4` }, peer.base);
      const timedOut = await engine(1500).sync(late);
      expect(timedOut.ok).to.equal(false);
      if (!timedOut.ok) expect(timedOut.failure.kind).to.equal('timeout');
      expect(await closed()).to.equal(0);
    } finally {
      hangLast = false;
      hung = () => undefined;
    }
  });
});
