/**
 * A snapshot is merged and staged page by page, and applied at its end in one transaction: a sync that fails
 * halfway (a page answered 500, the whole-sync budget spent) applies nothing and leaves nothing staged, and what a
 * run killed with its process left staged never leaks into the next sync of the peer. Each case runs three times:
 * staged in the store page by page (as a big snapshot is), kept in memory to the end (as a small one is), and kept
 * in memory until the second page, then staged in the store with the rows kept so far. Real loopback peer, real
 * SQLite file.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decoder } from '../../server/codec/decode.js';
import { DEFAULT_FETCH_POLICY } from '../../server/net/safe-fetch.js';
import type { PeerRow } from '../../server/store/federation.js';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import { SyncEngine } from '../../server/sync/sync-engine.js';
import { cataloguePage } from '../helpers/catalogue-page.js';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.js';
import { readRows } from '../helpers/sqlite.js';

const PAGES = 4;
const PER_PAGE = 2;

/** Page `n` (1-based) of a catalogue: its items' products, items and offers, the enterprise on the first. */
function pageBody(origin: string, n: number, price: number, drop = false): string {
  const slugs = Array.from({ length: PER_PAGE }, (_, i) => `p${n}-${i}`);
  return cataloguePage(origin, drop && n === 2 ? slugs.slice(1) : slugs, { enterprise: n === 1, price });
}

/** How many rows a run keeps in memory (the first page has 7: one more than a page holds, then too many). */
const MEMORY_ROWS = { store: 0, memory: undefined, switching: 10 } as const;
const STAGING_NAME = { store: 'in the store', memory: 'in memory to the end', switching: 'in memory, then in the store from the second page' } as const;

for (const staging of ['store', 'memory', 'switching'] as const) describe(`snapshots staged page by page, ${STAGING_NAME[staging]} (issue 16)`, function () {
  this.timeout(60_000);
  let dir: string;
  let file: string;
  let store: SqliteStore;
  let peerServer: FakePeer;
  /** How the peer behaves: the price it sends, and what its third page does. */
  const behaviour = { price: 2, third: 'ok' as 'ok' | '500' | 'slow', drop: false };
  /** A page to hold until the test lets it go (its number, and what the test is told when it is asked for). */
  let held: { page: number; asked: () => void; release?: Promise<void> } | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-staging-sync-'));
    file = join(dir, 'node.db');
    store = await SqliteStore.open({ path: file, baseUrl: 'http://node.test' });
    peerServer = await startFakePeer((req, res, self) => {
      const url = new URL(req.url ?? '/', self.base);
      if (url.pathname !== '/catalog') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      const n = Number(url.searchParams.get('page') ?? '1');
      const answer = (): void => {
        const link = n < PAGES ? { link: `</catalog?page=${n + 1}>; rel="next"` } : {};
        res.writeHead(200, { 'content-type': 'application/ld+json', ...link }).end(pageBody(self.base, n, behaviour.price, behaviour.drop));
      };
      const hold = held;
      if (hold !== undefined && hold.page === n && hold.release !== undefined) {
        hold.asked();
        void hold.release.then(answer);
        return;
      }
      if (n === 3 && behaviour.third === '500') res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
      else if (n === 3 && behaviour.third === 'slow') setTimeout(answer, 1500);
      else answer();
    });
  });

  after(async () => {
    await store.close();
    await peerServer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const engine = (syncTimeoutMs = 30_000): SyncEngine => new SyncEngine({
    provenance: store.provenance, feed: store.feed, decoder: new Decoder(), ownBase: 'http://node.test', syncTimeoutMs,
    policy: { ...DEFAULT_FETCH_POLICY, allowPrivate: true }, ...(MEMORY_ROWS[staging] !== undefined ? { memoryRows: MEMORY_ROWS[staging] } : {}),
  });
  const count = async (sql: string, params: (string | number)[] = []): Promise<number> => (await readRows<{ n: number }>(file, sql, params))[0]?.n ?? -1;
  const prices = async (): Promise<number[]> => [...new Set((await store.index.queryEntries({})).map((r) => r.price ?? -1))];
  let peer: PeerRow;

  it('syncs every page into one snapshot, and leaves nothing staged', async () => {
    peer = await store.provenance.addPeer({ name: 'paged', url: `${peerServer.base}/catalog` }, peerServer.base);
    const outcome = await engine().sync(peer);
    expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
    if (outcome.ok) expect(outcome.summary).to.deep.include({ added: 1 + PAGES * PER_PAGE * 3, pages: PAGES, withdrawn: 0 });
    expect((await store.index.queryEntries({})).length).to.equal(PAGES * PER_PAGE);
    expect(await count('SELECT COUNT(*) AS n FROM sync_staging')).to.equal(0);
    expect(await count('SELECT COUNT(*) AS n FROM sync_runs')).to.equal(0);
  });

  for (const [third, kind] of [['500', 'http-status'], ['slow', 'timeout']] as const) {
    it(`a sync whose third page ${third === '500' ? 'is answered 500' : 'comes past the whole-sync budget'} applies nothing, and drops what it staged`, async () => {
      behaviour.price = 9;
      behaviour.third = third;
      const before = await readRows(file, 'SELECT iri, hash, updated_at FROM peer_resources ORDER BY iri');
      const outcome = await engine(third === 'slow' ? 1000 : 30_000).sync((await store.provenance.getPeer(peer.id)) ?? peer);
      expect(outcome.ok).to.equal(false);
      if (!outcome.ok) expect(outcome.failure.kind).to.equal(kind);
      // Pages 1 and 2 were staged with the new price: none of it reached the store or the index.
      expect(await readRows(file, 'SELECT iri, hash, updated_at FROM peer_resources ORDER BY iri')).to.deep.equal(before);
      expect(await prices()).to.deep.equal([2]);
      expect(await count('SELECT COUNT(*) AS n FROM sync_staging')).to.equal(0);
      expect(await count('SELECT COUNT(*) AS n FROM sync_runs')).to.equal(0);
      behaviour.third = 'ok';
    });
  }

  it('what a killed run left staged does not leak into the next sync of the peer', async () => {
    // The state a process killed mid-sync leaves: a run, and a page of it staged (a resource no page lists now).
    const dead = await store.provenance.beginRun(peer.id, '2026-01-01T00:00:00.000Z');
    const ghost = `${peerServer.base}/api/dfc/enterprises/farm/supplied_products/ghost`;
    const json = JSON.stringify({ kind: 'SuppliedProduct', id: ghost, name: 'Ghost', images: [], variantOf: [], variants: [], catalogItems: [] });
    await store.provenance.stage(dead, [{ iri: ghost, write: { kind: 'SuppliedProduct', json, hash: 'x', authoritative: true, sourceUrl: `${peerServer.base}/catalog` } }]);
    expect(await count('SELECT COUNT(*) AS n FROM sync_staging')).to.equal(1);
    behaviour.price = 4;
    const outcome = await engine().sync((await store.provenance.getPeer(peer.id)) ?? peer);
    expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
    if (outcome.ok) expect(outcome.summary).to.deep.include({ added: 0, updated: PAGES * PER_PAGE, withdrawn: 0 });
    expect(await count('SELECT COUNT(*) AS n FROM peer_resources WHERE iri = ?', [ghost])).to.equal(0);
    expect(await prices()).to.deep.equal([4]);
    expect(await count('SELECT COUNT(*) AS n FROM sync_staging')).to.equal(0);
    expect(await count('SELECT COUNT(*) AS n FROM sync_runs')).to.equal(0);
  });

  it('a snapshot that only leaves a product out (no validators to compare) marks it missing; listed again, it is back', async () => {
    const dropped = `${peerServer.base}/api/dfc/enterprises/farm/%/p2-0`;
    const missing = (): Promise<number> => count('SELECT COUNT(*) AS n FROM peer_resources WHERE peer_id = ? AND iri LIKE ? AND missing_since IS NOT NULL',
      [peer.id, dropped]);
    behaviour.drop = true;
    let outcome = await engine().sync((await store.provenance.getPeer(peer.id)) ?? peer);
    expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
    if (outcome.ok) expect(outcome.summary).to.deep.include({ added: 0, updated: 0 });
    expect(await missing()).to.equal(3);
    behaviour.drop = false;
    outcome = await engine().sync((await store.provenance.getPeer(peer.id)) ?? peer);
    expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
    if (outcome.ok) expect(outcome.summary).to.deep.include({ added: 0, updated: 0 });
    expect(await missing()).to.equal(0);
    expect(await count('SELECT COUNT(*) AS n FROM sync_staging')).to.equal(0);
  });

  it('a run another run of the peer took over from (begun meanwhile, by another process) applies nothing', async () => {
    behaviour.price = 6;
    let letGo = (): void => undefined;
    const asked = new Promise<void>((resolve) => {
      held = { page: PAGES, asked: resolve, release: new Promise<void>((release) => { letGo = release; }) };
    });
    let later: number | undefined;
    try {
      const syncing = engine().sync((await store.provenance.getPeer(peer.id)) ?? peer);
      await asked;
      later = await store.provenance.beginRun(peer.id, new Date().toISOString());
      letGo();
      const outcome = await syncing;
      expect(outcome.ok, JSON.stringify(outcome)).to.equal(false);
      // Its staging went with its run (the store refuses the page staged after) or, kept in memory, its run is gone.
      if (!outcome.ok) expect(outcome.failure.kind).to.equal('internal');
    } finally {
      letGo();
      held = undefined;
      if (later !== undefined) await store.provenance.endRun(later);
    }
    expect(await prices()).to.deep.equal([4]);
    behaviour.price = 4;
  });

  for (const page of [2, PAGES]) {
    it(`a peer removed during its sync (page ${page} of ${PAGES} on its way): the sync ends "removed", not internal, and nothing of the peer stays`, async () => {
      const gone = await store.provenance.addPeer({ name: `gone-${page}`, url: `${peerServer.base}/catalog?gone=${page}` }, peerServer.base);
      const others = await count('SELECT COUNT(*) AS n FROM peer_resources WHERE peer_id <> ?', [gone.id]);
      let letGo = (): void => undefined;
      const asked = new Promise<void>((resolve) => {
        held = { page, asked: resolve, release: new Promise<void>((release) => { letGo = release; }) };
      });
      try {
        const syncing = engine().sync(gone);
        await asked;
        // Pages before it are staged under a run of the peer (the last one's staging may still be on its way); the
        // removal drops them with the peer (a cascade). In memory, nothing is staged before the end.
        const staged = (): Promise<number> => count('SELECT COUNT(*) AS n FROM sync_staging s JOIN sync_runs r ON r.id = s.run_id WHERE r.peer_id = ?', [gone.id]);
        const inStore = staging === 'store' || (staging === 'switching' && page > 2);
        const expected = inStore ? (page - 1) * PER_PAGE * 3 : 0;
        for (let wait = 0; wait < 100 && await staged() < expected; wait++) await new Promise((resolve) => setTimeout(resolve, 20));
        if (inStore) expect(await staged()).to.be.at.least(expected);
        else expect(await staged()).to.equal(0);
        expect(await store.provenance.removePeer(gone.id)).to.equal(true);
        letGo();
        const outcome = await syncing;
        expect(outcome.ok).to.equal(false);
        if (!outcome.ok) expect(outcome.failure).to.deep.include({ kind: 'removed', message: 'the peer was removed during its sync: nothing of the sync was kept' });
      } finally {
        letGo();
        held = undefined;
      }
      expect(await store.provenance.getPeer(gone.id)).to.equal(undefined);
      for (const table of ['peer_resources', 'peer_sources', 'quarantine', 'sync_runs', 'federated_entries']) {
        expect(await count(`SELECT COUNT(*) AS n FROM ${table} WHERE peer_id = ?`, [gone.id]), table).to.equal(0);
      }
      expect(await count('SELECT COUNT(*) AS n FROM sync_staging')).to.equal(0);
      expect(await count('SELECT COUNT(*) AS n FROM peer_resources WHERE peer_id <> ?', [gone.id])).to.equal(others);
    });
  }
});
