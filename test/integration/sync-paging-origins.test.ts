/**
 * The pages of a snapshot and their origins. A peer that moved (its catalogue URL redirects to another host) is
 * read whole there, its next links followed on its new origin, without its token; a next link to yet another
 * origin is not followed, and the sync fails rather than take the pages it read for the whole catalogue (which
 * would withdraw the rest). Real loopback peers, real SQLite file.
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


/** Page `n` of a catalogue of two items per page, the enterprise on the first. */
function pageBody(origin: string, n: number): string {
  return cataloguePage(origin, [`p${n}-0`, `p${n}-1`], { enterprise: n === 1 });
}

describe('the origins of a snapshot\'s pages (issue 16)', function () {
  this.timeout(60_000);
  let dir: string;
  let store: SqliteStore;
  /** The peer's old host: redirects its catalogue to the new one. */
  let old: FakePeer;
  /** The new host: three pages; the third's next link goes where `elsewhere` says. */
  let moved: FakePeer;
  /** Another origin, which a page links to. */
  let other: FakePeer;
  let elsewhere: string | undefined;
  let peer: PeerRow;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-paging-origins-'));
    store = await SqliteStore.open({ path: join(dir, 'node.db'), baseUrl: 'http://node.test' });
    other = await startFakePeer((_req, res, self) => {
      res.writeHead(200, { 'content-type': 'application/ld+json' }).end(pageBody(self.base, 9));
    });
    moved = await startFakePeer((req, res, self) => {
      const url = new URL(req.url ?? '/', self.base);
      const n = Number(url.searchParams.get('page') ?? '1');
      // Relative links: they resolve against the page's own (new) URL.
      const next = n < 3 ? `</catalog?page=${n + 1}>` : elsewhere !== undefined ? `<${elsewhere}>` : undefined;
      res.writeHead(200, { 'content-type': 'application/ld+json', ...(next !== undefined ? { link: `${next}; rel="next"` } : {}) })
        .end(pageBody(self.base, n));
    });
    old = await startFakePeer((req, res) => {
      res.writeHead(301, { location: `${moved.base}${req.url ?? '/'}` }).end();
    });
    peer = await store.provenance.addPeer({ name: 'moved', url: `${old.base}/catalog`, token: 's3cret' }, old.base);
  });

  after(async () => {
    await store.close();
    for (const server of [old, moved, other]) await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const engine = (): SyncEngine => new SyncEngine({
    provenance: store.provenance, feed: store.feed, decoder: new Decoder(), ownBase: 'http://node.test',
    policy: { ...DEFAULT_FETCH_POLICY, allowPrivate: true },
  });

  it('follows the next links of a peer that moved, on its new origin, and sends its token only to its own', async () => {
    const outcome = await engine().sync(peer);
    expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
    if (outcome.ok) expect(outcome.summary).to.deep.include({ added: 1 + 3 * 2 * 3, pages: 3 });
    expect((await store.index.queryEntries({})).length).to.equal(6);
    expect(old.hits.find((h) => h.url === '/catalog')?.headers.authorization).to.equal('Bearer s3cret');
    const pages = moved.hits.filter((h) => h.url.startsWith('/catalog'));
    expect(pages.map((h) => h.url)).to.deep.equal(['/catalog', '/catalog?page=2', '/catalog?page=3']);
    for (const hit of moved.hits) expect(hit.headers.authorization, hit.url).to.equal(undefined);
  });

  it('fails, applying and withdrawing nothing, when a next link leads to another origin', async () => {
    elsewhere = `${other.base}/catalog?page=4`;
    const outcome = await engine().sync((await store.provenance.getPeer(peer.id)) ?? peer);
    expect(outcome.ok).to.equal(false);
    if (!outcome.ok) {
      expect(outcome.failure.kind).to.equal('bad-url');
      expect(outcome.failure.message).to.include(elsewhere).and.to.match(/another origin/u);
    }
    expect(other.hits).to.deep.equal([]);
    expect((await store.index.queryEntries({})).length).to.equal(6);
    const held = [...(await store.provenance.held(peer.id)).values()];
    expect(held.length).to.equal(1 + 3 * 2 * 3);
    expect(held.filter((r) => r.withdrawnAt !== null || r.missingSince !== null)).to.deep.equal([]);
  });
});
