/**
 * A sync keeps the first MAX_QUARANTINED refused records of a peer with their problems and counts the others: a
 * hostile peer's pages of 900,000 refused offers were all kept (2.7 GB during the sync, then a 264 MB answer for
 * the peer). The summary still says how many were refused.
 */
import { expect } from 'chai';
import type { ServerResponse } from 'node:http';
import { DEFAULT_FETCH_POLICY } from '../../../server/net/safe-fetch.js';
import { MAX_QUARANTINED } from '../../../server/store/federation.js';
import { COUNTED_APART, Quarantine } from '../../../server/sync/staged-snapshot.js';
import { SyncEngine } from '../../../server/sync/sync-engine.js';
import { startFakePeer, type FakePeer } from '../../helpers/fake-peer.js';
import { startInProcess, type InProcessNode } from '../../helpers/in-process.js';

const REFUSED = MAX_QUARANTINED + 500;

/** An enterprise and `count` offers with a negative price (valid JSON-LD, refused by the codec), in one page. */
function refusedOffers(origin: string, count: number): string {
  const e = `${origin}/api/dfc/enterprises/ferme`;
  return JSON.stringify({
    '@context': 'https://w3id.org/dfc/ontology/context/context_1.16.0.json',
    '@graph': [
      { '@id': e, '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Ferme' },
      ...Array.from({ length: count }, (_, i) => ({
        '@id': `${e}/offers/${i}`, '@type': 'dfc-b:Offer',
        'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': -1, 'dfc-b:hasUnit': 'dfc-m:Euro' },
      })),
    ],
  });
}

describe('the quarantine of a sync', function () {
  it('keeps the first records with their problems, counts them all, and replaces a record quarantined again', () => {
    const quarantine = new Quarantine();
    const entry = (n: number) => ({ iri: `https://peer.example/${n}`, type: 'dfc-b:Offer', problems: [] });
    for (let n = 0; n < REFUSED; n++) quarantine.set(entry(n).iri, entry(n));
    quarantine.set(entry(0).iri, { ...entry(0), type: 'dfc-b:CatalogItem' });
    // Counted once, however often it is refused (a record on two pages).
    quarantine.set(entry(REFUSED - 1).iri, entry(REFUSED - 1));
    expect(quarantine.size).to.equal(REFUSED);
    const kept = [...quarantine.values()];
    expect(kept).to.have.length(MAX_QUARANTINED);
    expect(kept[0]).to.deep.include({ iri: entry(0).iri, type: 'dfc-b:CatalogItem' });
    expect(kept.at(-1)?.iri).to.equal(entry(MAX_QUARANTINED - 1).iri);
  });

  it('counts the records past the kept ones each once, up to COUNTED_APART of them, then in a number', () => {
    const quarantine = new Quarantine();
    const entry = (n: number) => ({ iri: `https://peer.example/${n}`, type: 'dfc-b:Offer', problems: [] });
    const total = MAX_QUARANTINED + COUNTED_APART + 10;
    for (let n = 0; n < total; n++) quarantine.set(entry(n).iri, entry(n));
    // Repeats of records counted apart are not counted again.
    for (let n = MAX_QUARANTINED; n < MAX_QUARANTINED + 100; n++) quarantine.set(entry(n).iri, entry(n));
    expect(quarantine.size).to.equal(total);
    expect([...quarantine.values()]).to.have.length(MAX_QUARANTINED);
  });

  describe('against a peer', () => {
    let node: InProcessNode;
    let peer: FakePeer;
    before(async () => {
      node = await startInProcess();
      // Every URL answers the page: the enterprise's catalogue, which the sync reads too, holds the same records.
      peer = await startFakePeer((_req, res: ServerResponse, self: FakePeer) => {
        res.writeHead(200, { 'content-type': 'application/ld+json' });
        res.end(refusedOffers(self.base, REFUSED));
      });
    });
    after(async () => {
      await node?.close();
      await peer?.close();
    });

    it('a snapshot of more refused records than it keeps: the first ones kept, all counted, the peer\'s answer bounded', async () => {
      const added = await node.store.provenance.addPeer({ name: 'ferme', url: `${peer.base}/catalog.json` }, peer.base);
      await node.store.feed.setPeerFeed(added.id, { feedUrl: '' });
      const engine = new SyncEngine({
        provenance: node.store.provenance, feed: node.store.feed, decoder: node.decoder, ownBase: node.base,
        policy: { ...DEFAULT_FETCH_POLICY, allowPrivate: true },
      });
      const outcome = await engine.sync(added);
      if (!outcome.ok) expect.fail(`the sync failed: ${JSON.stringify(outcome.failure)}`);
      expect(outcome.summary.quarantined).to.equal(REFUSED);
      const quarantined = await node.store.provenance.quarantine(added.id);
      expect(quarantined).to.have.length(MAX_QUARANTINED);
      expect(quarantined.every((q) => q.problems.length > 0 && q.type === 'dfc-b:Offer')).to.equal(true);
      const answer = await node.request('GET', `/api/sync/peers/${added.id}`, { headers: { authorization: `Bearer ${node.adminToken}` } });
      expect(answer.status, answer.text).to.equal(200);
      expect(answer.json<{ quarantine: unknown[] }>().quarantine).to.have.length(MAX_QUARANTINED);
      // Synced again, the same: the quarantine is replaced, not grown.
      expect((await engine.sync((await node.store.provenance.getPeer(added.id)) ?? added)).ok).to.equal(true);
      expect(await node.store.provenance.quarantine(added.id)).to.have.length(MAX_QUARANTINED);
    });
  });
});
