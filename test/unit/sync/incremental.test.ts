/**
 * Incremental sync against feeds that do not go as ours do. A fragment of versions this node refuses moves the
 * cursor past them (they are quarantined), so that the versions after them are read: before, such a fragment was
 * taken for the end of the feed, and every later sync stopped there for good while the peer showed `ok`. A fragment
 * that does not take the cursor further is asked once, not two thousand times, and a snapshot is taken instead.
 */
import { expect } from 'chai';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Iri, NodeId } from '../../../ontology/iri.js';
import type { DfcRecord } from '../../../ontology/records.js';
import { MAILLON } from '../../../ontology/streams.js';
import { versionRecord } from '../../../server/codec/ldes.js';
import { serialize } from '../../../server/codec/serialize.js';
import { DEFAULT_FETCH_POLICY } from '../../../server/net/safe-fetch.js';
import { SyncEngine } from '../../../server/sync/sync-engine.js';
import { startFakePeer, type FakePeer } from '../../helpers/fake-peer.js';
import { farmRecords, startInProcess, type InProcessNode } from '../../helpers/in-process.js';

const STREAM = 'stream-1';

/** A peer's feed: its head, and the fragment answered after each sequence. */
interface Feed {
  head: number;
  fragments: Map<number, DfcRecord[]>;
}

describe('incremental sync: feeds that stall', function () {
  let node: InProcessNode;
  let peer: FakePeer;
  let feed: Feed;
  let records: DfcRecord[];

  const send = (res: ServerResponse, body: string): void => {
    res.writeHead(200, { 'content-type': 'application/ld+json' });
    res.end(body);
  };

  before(async () => {
    node = await startInProcess();
    peer = await startFakePeer((req: IncomingMessage, res: ServerResponse, self: FakePeer) => {
      const url = new URL(req.url ?? '/', self.base);
      if (url.pathname === '/catalog.json') return send(res, serialize(records, 'jsonld'));
      if (url.pathname === '/feed' && !url.searchParams.has('after')) {
        const root: DfcRecord = {
          kind: 'Resource', id: `${self.base}/feed` as Iri, types: [],
          extra: { [MAILLON.head]: [{ '@value': feed.head }], [MAILLON.stream]: [{ '@value': STREAM }] },
        };
        return send(res, serialize([root], 'jsonld'));
      }
      if (url.pathname === '/feed') return send(res, serialize(feed.fragments.get(Number(url.searchParams.get('after'))) ?? [], 'jsonld'));
      res.writeHead(404);
      res.end();
    });
    records = farmRecords('verger', { origin: peer.base });
  });
  after(async () => {
    await node?.close();
    await peer?.close();
  });

  const engine = (): SyncEngine => new SyncEngine({
    provenance: node.store.provenance, feed: node.store.feed, decoder: node.decoder, ownBase: node.base,
    policy: { ...DEFAULT_FETCH_POLICY, allowPrivate: true },
  });

  const item = (): string => `${peer.base}/api/dfc/enterprises/verger/catalog_items/tomate`;
  const offer = (): string => `${peer.base}/api/dfc/enterprises/verger/offers/tomate`;

  /** Version `seq` of the item with `stock`, as a feed publishes it. */
  const itemVersion = (seq: number, stock: number): DfcRecord => {
    const record = records.find((r) => r.id === item()) as DfcRecord;
    return versionRecord(`${peer.base}`, { seq, iri: item(), at: `2026-12-04T10:00:${String(seq).padStart(2, '0')}.000Z`, record: { ...record, stock } as DfcRecord });
  };

  /** Version `seq` of the offer with a negative price: valid JSON-LD that this node refuses. */
  const refusedOfferVersion = (seq: number): DfcRecord => {
    const record = records.find((r) => r.id === offer()) as DfcRecord & { price?: unknown };
    return versionRecord(`${peer.base}`, {
      seq, iri: offer(), at: `2026-12-04T10:00:${String(seq).padStart(2, '0')}.000Z`,
      record: { ...record, price: { value: -1, currency: 'https://github.com/datafoodconsortium/taxonomies/releases/latest/download/measures.rdf#Euro' } } as DfcRecord,
    });
  };

  /** Version `seq` of the offer at `price` (valid). */
  const offerVersion = (seq: number, price: number): DfcRecord => {
    const record = records.find((r) => r.id === offer()) as DfcRecord & { price: { value: number; currency: string } };
    return versionRecord(`${peer.base}`, {
      seq, iri: offer(), at: `2026-12-04T10:00:${String(seq).padStart(2, '0')}.000Z`, record: { ...record, price: { ...record.price, value: price } } as DfcRecord,
    });
  };
  const priceOf = async (): Promise<unknown> => {
    const [record] = await node.store.index.recordsIn(`peer:${(await peerRow()).id}`, [offer()]);
    return (record as { price?: { value?: unknown } } | undefined)?.price?.value;
  };
  const quarantined = async (): Promise<string[]> => (await node.store.provenance.quarantine((await peerRow()).id)).map((q) => q.iri);

  const storedStock = async (): Promise<unknown> => {
    const [record] = await node.store.index.recordsIn(`peer:${(await peerRow()).id}`, [item()]);
    return (record as { stock?: unknown } | undefined)?.stock;
  };
  const peerRow = async () => (await node.store.provenance.listPeers()).find((p) => p.url === `${peer.base}/catalog.json`)
    ?? expect.fail('the peer is not added');
  const feedRequests = (after: number): number => peer.hits.filter((h) => h.url === `/feed?after=${after}`).length;

  it('moves past a fragment of refused versions, quarantining them, and reads the versions after them', async () => {
    feed = { head: 10, fragments: new Map() };
    const added = await node.store.provenance.addPeer({ name: 'verger', url: `${peer.base}/catalog.json` }, peer.base);
    await node.store.feed.setPeerFeed(added.id, { feedUrl: `${peer.base}/feed` });
    const sync = engine();
    // The first sync is a snapshot, after which the cursor is the head (10).
    expect((await sync.sync(added)).ok).to.equal(true);
    expect((await node.store.feed.peerFeed(added.id)).cursor).to.equal(10);

    feed = { head: 12, fragments: new Map([[10, [refusedOfferVersion(11)]], [11, [itemVersion(12, 999)]], [12, []]]) };
    const outcome = await sync.sync(await peerRow());
    if (!outcome.ok) expect.fail(`the sync failed: ${JSON.stringify(outcome.failure)}`);
    expect(outcome.summary.quarantined, 'the refused version').to.equal(1);
    expect(outcome.summary.updated, 'the item').to.equal(1);
    expect(await storedStock()).to.equal(999);
    expect((await node.store.feed.peerFeed(added.id)).cursor).to.equal(12);
    expect(feedRequests(11), 'the fragment after the refused version is read').to.equal(1);
    expect(await quarantined(), 'under the offer it is a version of').to.deep.equal([offer()]);

    // The next sync starts after them: the refused version is not asked for again.
    const again = await sync.sync(await peerRow());
    expect(again.ok).to.equal(true);
    expect(feedRequests(10), 'asked once only').to.equal(1);
    expect(feedRequests(12)).to.equal(2);
  });

  it('skips a version at or before the cursor in a fragment that goes on: an older version never replaces a newer one', async () => {
    const price = await priceOf();
    feed = { head: 13, fragments: new Map([[12, [offerVersion(11, 9.99), itemVersion(13, 555)]], [13, []]]) };
    const outcome = await engine().sync(await peerRow());
    expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
    expect(await storedStock()).to.equal(555);
    expect(await priceOf(), 'the version read before the cursor is not applied').to.equal(price);
    expect((await node.store.feed.peerFeed((await peerRow()).id)).cursor).to.equal(13);
  });

  it('asks a fragment that does not take the cursor further once, then takes a snapshot', async () => {
    // Asked for what comes after 13, the feed answers 13 again (and an older version of the item): nothing new.
    feed = { head: 14, fragments: new Map([[13, [itemVersion(12, 7), itemVersion(13, 999)]]]) };
    const before = feedRequests(13);
    const snapshots = peer.hits.filter((h) => h.url === '/catalog.json').length;
    const outcome = await engine().sync(await peerRow());
    expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
    expect(feedRequests(13) - before, 'the stalled fragment').to.equal(1);
    expect(peer.hits.filter((h) => h.url === '/catalog.json').length - snapshots, 'a snapshot instead').to.equal(1);
    // The older version was not applied over the newer one: the snapshot's stock stands (the catalogue's own).
    expect(await storedStock()).to.equal((records.find((r) => r.id === item()) as { stock?: unknown }).stock);
    expect((await node.store.feed.peerFeed((await peerRow()).id)).cursor, 'the head read before the snapshot').to.equal(14);
  });

  it('ends at an empty fragment, and at a fragment of what is not a version', async () => {
    const product = records.find((r) => r.kind === 'SuppliedProduct') as DfcRecord;
    // A fragment holding a refused record that is no version (no sequence): the end of the feed, not a stall.
    feed = { head: 14, fragments: new Map([[14, [{ ...product, id: `${peer.base}/not-a-version` as NodeId, name: '' } as DfcRecord]]]) };
    const snapshots = peer.hits.filter((h) => h.url === '/catalog.json').length;
    const outcome = await engine().sync(await peerRow());
    expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
    expect(peer.hits.filter((h) => h.url === '/catalog.json').length - snapshots, 'no snapshot').to.equal(0);
    expect((await node.store.feed.peerFeed((await peerRow()).id)).cursor).to.equal(14);
  });

  it('does not apply a version a newer refused one replaced, and lets the resource out of the quarantine once a newer one is valid', async () => {
    const price = await priceOf();
    feed = { head: 16, fragments: new Map([[14, [offerVersion(15, 7), refusedOfferVersion(16)]], [16, []]]) };
    expect((await engine().sync(await peerRow())).ok).to.equal(true);
    expect(await priceOf(), 'the peer\'s offer is the refused version now, not 7').to.equal(price);
    expect(await quarantined()).to.include(offer());

    // Refused, then valid again in the same fragment: applied, and out of the quarantine.
    feed = { head: 18, fragments: new Map([[16, [refusedOfferVersion(17), offerVersion(18, 8)]], [18, []]]) };
    expect((await engine().sync(await peerRow())).ok).to.equal(true);
    expect(await priceOf()).to.equal(8);
    expect(await quarantined()).to.not.include(offer());
  });

  it('gives way to a snapshot once what it keeps is too much, not once it read too much, and counts the feed it read', async () => {
    // Fragments of versions of many resources (new items): kept until applied, they outgrow a response's size long
    // before the pages read reach the feed's byte budget (four responses).
    const base = records.find((r) => r.id === item()) as DfcRecord;
    let seq = 18;
    const fragments = new Map<number, DfcRecord[]>();
    for (let f = 0; f < 40; f++) {
      const from = seq;
      fragments.set(from, Array.from({ length: 10 }, () => {
        seq++;
        const iri = `${item()}-${seq}`;
        return versionRecord(`${peer.base}`, { seq, iri, at: '2026-12-04T10:00:00.000Z', record: { ...base, id: iri as NodeId, name: `Tomate ${'x'.repeat(400)}` } as DfcRecord });
      }));
    }
    fragments.set(seq, []);
    feed = { head: seq, fragments };
    const maxBytes = 64 * 1024;
    const snapshots = peer.hits.filter((h) => h.url === '/catalog.json').length;
    const feedHits = peer.hits.filter((h) => h.url.startsWith('/feed?after=')).length;
    const outcome = await new SyncEngine({
      provenance: node.store.provenance, feed: node.store.feed, decoder: node.decoder, ownBase: node.base,
      policy: { ...DEFAULT_FETCH_POLICY, allowPrivate: true, maxBytes },
    }).sync(await peerRow());
    if (!outcome.ok) expect.fail(`the sync failed: ${JSON.stringify(outcome.failure)}`);
    const read = peer.hits.filter((h) => h.url.startsWith('/feed?after=')).length - feedHits;
    expect(peer.hits.filter((h) => h.url === '/catalog.json').length - snapshots, 'a snapshot instead').to.equal(1);
    expect(read, 'the feed pages read before it gave way').to.be.within(2, 39);
    // The summary counts the feed pages read as well as the snapshot's page: not the snapshot's alone.
    expect(outcome.summary.pages).to.equal(read + 1);
    // What it kept passed a response's size (64 KB of versions) well before the pages read reached the budget of four.
    expect(outcome.summary.bytes).to.be.within(maxBytes, 3 * maxBytes);
    expect((await node.store.feed.peerFeed((await peerRow()).id)).cursor, 'the head read before the snapshot').to.equal(seq);
  });
});
