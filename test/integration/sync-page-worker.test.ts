/**
 * A node reads its snapshots' pages in a worker thread when several run at once (issue 16): paged catalogues sync through it with what the
 * event loop's reading gave, and a node stopped while the worker reads a page gives the sync up at once (nothing
 * applied) and ends the worker, leaving nothing running. Real node, real loopback peer, real SQLite file.
 */
import { expect } from 'chai';
import { cataloguePage } from '../helpers/catalogue-page.js';
import { startFakePeer, type FakePeer, type FakePeerHandler } from '../helpers/fake-peer.js';
import { startTestNode } from '../helpers/node.js';

const PAGE = 2000;

describe('snapshot pages read in the node\'s worker thread (issue 16)', function () {
  this.timeout(120_000);
  let peer: FakePeer;
  /** Another, for the syncs that run beside the first's: a node's pages go to the worker when several run at once. */
  let other: FakePeer;
  /** Items on the big page a stopped sync reads. */
  let big = 0;
  /**
   * While set, a first page is answered only once both peers were asked for theirs (5 s at most): the two syncs then
   * run at once when their pages are read, however loaded the machine, and the pages go to the worker.
   */
  let together = false;
  let firstAsked = 0;

  before(async () => {
    const handler: FakePeerHandler = async (req, res, self) => {
      const url = new URL(req.url ?? '/', self.base);
      if (url.pathname === '/big') {
        res.writeHead(200, { 'content-type': 'application/ld+json' }).end(cataloguePage(self.base, Array.from({ length: big }, (_, i) => `b${i}`), { enterprise: true }));
        return;
      }
      const second = url.searchParams.get('page') === '2';
      if (!second && together) {
        firstAsked++;
        for (let waited = 0; waited < 5000 && firstAsked < 2; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const slugs = Array.from({ length: PAGE }, (_, i) => `${second ? 'q' : 'p'}${i}`);
      // The first page names the next in its body (read by the worker), the second is the last.
      const body = JSON.parse(cataloguePage(self.base, slugs, { enterprise: !second })) as Record<string, unknown>;
      if (!second) body['hydra:view'] = { '@id': `${self.base}/catalog`, 'hydra:next': `${self.base}/catalog?page=2` };
      res.writeHead(200, { 'content-type': 'application/ld+json' }).end(JSON.stringify(body));
    };
    peer = await startFakePeer(handler);
    other = await startFakePeer(handler);
  });

  after(async () => {
    await peer.close();
    await other.close();
  });

  it('syncs paged catalogues through the worker, two at once', async () => {
    const node = await startTestNode({ env: { MAILLON_ALLOW_PRIVATE: 'true' } });
    try {
      const rows = [
        await node.node.store.provenance.addPeer({ name: 'paged', url: `${peer.base}/catalog` }, peer.base),
        await node.node.store.provenance.addPeer({ name: 'other', url: `${other.base}/catalog` }, other.base),
      ];
      together = true;
      const outcomes = await Promise.all(rows.map(async (row) => node.node.engine.sync(row))).finally(() => {
        together = false;
      });
      for (const outcome of outcomes) {
        expect(outcome.ok, JSON.stringify(outcome.ok ? outcome.summary : outcome.failure)).to.equal(true);
        if (outcome.ok) expect(outcome.summary).to.deep.include({ pages: 2 });
        if (outcome.ok) expect(outcome.summary.added).to.be.at.least(1 + 2 * PAGE * 3);
      }
      expect(node.node.pages.started).to.equal(1);
      const entries = await node.node.store.index.queryEntries({});
      expect(entries).to.have.length(2 * 2 * PAGE);
    } finally {
      await node.close();
    }
  });

  it('asks for a catalogue\'s next page while the page naming it is merged and staged', async () => {
    const node = await startTestNode({ env: { MAILLON_ALLOW_PRIVATE: 'true' } });
    try {
      const { provenance } = node.node.store;
      const row = await provenance.addPeer({ name: 'ahead', url: `${peer.base}/catalog` }, peer.base);
      const secondAsked = (): boolean => peer.hits.some((hit) => hit.url.includes('page=2'));
      let askedWhileStaging = false;
      // The first page's merge waits (3 s at most) for the second page to be asked for: it is, when it is read ahead.
      const holdsAny = provenance.holdsAny.bind(provenance);
      provenance.holdsAny = async (peerId) => {
        for (let waited = 0; waited < 3000 && !secondAsked(); waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
        askedWhileStaging = secondAsked();
        return holdsAny(peerId);
      };
      const outcome = await node.node.engine.sync(row);
      expect(outcome.ok, JSON.stringify(outcome.ok ? outcome.summary : outcome.failure)).to.equal(true);
      expect(askedWhileStaging).to.equal(true);
    } finally {
      await node.close();
    }
  });

  it('gives up the page the worker reads when the node stops, applies nothing, and ends the worker', async () => {
    big = 30_000;
    const node = await startTestNode({ env: { MAILLON_ALLOW_PRIVATE: 'true' } });
    let closed = false;
    try {
      const rows = [
        await node.node.store.provenance.addPeer({ name: 'big', url: `${peer.base}/big` }, peer.base),
        await node.node.store.provenance.addPeer({ name: 'other', url: `${other.base}/big` }, other.base),
      ];
      const outcomes = Promise.all(rows.map(async (row) => node.node.engine.sync(row)));
      // A page is in the worker: the node stops.
      while (node.node.pages.reading === 0) await new Promise((resolve) => setImmediate(resolve));
      node.node.engine.stop();
      const ended = await outcomes;
      for (const outcome of ended) expect(outcome.ok).to.equal(false);
      // The page the worker read is given up at once.
      const failures = ended.map((outcome) => (outcome.ok ? undefined : outcome.failure));
      expect(failures).to.deep.include({ kind: 'stopped', message: 'given up: the node is stopping', url: `${peer.base}/big` });
      expect(node.node.pages.reading).to.equal(0);
      expect(await node.node.store.index.queryEntries({})).to.have.length(0);
      await node.close();
      closed = true;
      // The worker is ended: no page is read any more.
      const after = await node.node.pages.read({ url: `${peer.base}/x`, status: 200, body: 'x'.repeat(100_000), bytes: 100_000 }, { url: `${peer.base}/x`, origin: peer.base });
      expect(after).to.deep.include({ ok: false });
    } finally {
      big = 0;
      if (!closed) await node.close();
    }
  });
});
