/**
 * A peer that serves its whole catalogue as one page, with more nodes than a JavaScript call takes arguments
 * (about 125,000 on Node 20's default stack): the sync reads it like any other, first and then again, instead of
 * failing with "Maximum call stack size exceeded". Real loopback peer, real SQLite file.
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

/** 45,000 items: 135,001 nodes in one `@graph`. */
const ITEMS = 45_000;

function catalogue(origin: string, stock: number): string {
  return cataloguePage(origin, Array.from({ length: ITEMS }, (_, i) => String(i)), { enterprise: true, stock });
}

describe('a single-page catalogue of more than 125,000 nodes (issue 16)', function () {
  this.timeout(180_000);
  let dir: string;
  let store: SqliteStore;
  let peer: FakePeer;
  let stock = 5;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-big-page-'));
    store = await SqliteStore.open({ path: join(dir, 'node.db'), baseUrl: 'http://node.test' });
    peer = await startFakePeer((_req, res, self) => {
      res.writeHead(200, { 'content-type': 'application/ld+json' }).end(catalogue(self.base, stock));
    });
  });

  after(async () => {
    await store.close();
    await peer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('syncs it whole, and again after a change', async () => {
    const engine = new SyncEngine({
      provenance: store.provenance, feed: store.feed, decoder: new Decoder(), ownBase: 'http://node.test',
      // A machine busy with other tests (and coverage) may take more than the default budget for 20 MB twice.
      policy: { ...DEFAULT_FETCH_POLICY, allowPrivate: true, totalTimeoutMs: 120_000 }, syncTimeoutMs: 150_000,
    });
    const row = await store.provenance.addPeer({ name: 'big', url: `${peer.base}/catalog` }, peer.base);
    const first = await engine.sync(row);
    expect(first.ok, JSON.stringify(first.ok ? first.summary : first.failure)).to.equal(true);
    if (first.ok) expect(first.summary).to.deep.include({ added: 1 + ITEMS * 3, pages: 1 });
    stock = 6;
    const second = await engine.sync((await store.provenance.getPeer(row.id)) ?? row);
    expect(second.ok, JSON.stringify(second.ok ? second.summary : second.failure)).to.equal(true);
    // Each item and its offer: the offers say no stock and take their item's, so a new stock changes both.
    if (second.ok) expect(second.summary).to.deep.include({ updated: ITEMS * 2, pages: 1 });
    const entries = await store.index.queryEntries({});
    expect(entries).to.have.length(ITEMS);
    expect(new Set(entries.map((e) => e.stock))).to.deep.equal(new Set([6]));
  });
});
