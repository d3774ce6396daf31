import { expect } from 'chai';
import { createHash } from 'node:crypto';
import type { DfcRecord } from '../../../ontology/records.js';
import { MAILLON } from '../../../ontology/streams.js';
import { Decoder } from '../../../server/codec/decode.js';
import { serialize } from '../../../server/codec/serialize.js';
import { DEFAULT_FETCH_POLICY } from '../../../server/net/safe-fetch.js';
import type { PeerRow, ProvenanceStore } from '../../../server/store/federation.js';
import type { FeedStore, PeerFeedState } from '../../../server/store/feed.js';
import { SYNC_OWNER, SyncEngine } from '../../../server/sync/sync-engine.js';
import { startFakePeer, startStaticPeer, type FakePeer, type StaticFile, type StaticPeer } from '../../helpers/fake-peer.js';
import { farmRecords, startInProcess, type InProcessNode } from '../../helpers/in-process.js';

/** An engine on a node's store, allowed to reach peers on loopback (`graceMs` 0: what goes missing is withdrawn at once). */
function loopbackEngine(node: InProcessNode, graceMs?: number): SyncEngine {
  return new SyncEngine({
    provenance: node.store.provenance, feed: node.store.feed, decoder: node.decoder, ownBase: node.base, policy: { ...DEFAULT_FETCH_POLICY, allowPrivate: true },
    ...(graceMs !== undefined ? { graceMs } : {}),
  });
}

const PEER: PeerRow = {
  id: 7, name: 'ferme', url: 'https://peer.example/api/dfc/enterprises/ferme/catalog_items', origin: 'https://peer.example', token: null,
  tokenHeader: 'authorization', profile: 'dfc-v1', kind: 'dfc', intervalSeconds: 3600, createdAt: '2026-01-01T00:00:00.000Z', status: 'ok',
  lastAttemptAt: null, lastSuccessAt: null, nextAttemptAt: null, failures: 2, lastError: null, lastSummary: null, syncingSince: null,
};

describe('SyncEngine', () => {
  it('reports our own fault (a store error) as an internal failure, recorded with backoff', async () => {
    const attempts: Parameters<ProvenanceStore['recordAttempt']>[1][] = [];
    const marks: Parameters<ProvenanceStore['markSyncing']>[1][] = [];
    const provenance = {
      sources: async () => { throw new Error('SQLITE_IOERR: disk I/O error'); },
      getPeer: async () => PEER,
      markSyncing: async (_id: number, state: Parameters<ProvenanceStore['markSyncing']>[1]) => {
        marks.push(state);
        return { state: 'marked' };
      },
      recordAttempt: async (_id: number, state: Parameters<ProvenanceStore['recordAttempt']>[1]) => {
        attempts.push(state);
        return true;
      },
    } as unknown as ProvenanceStore;
    // The feed URL is known to be none: no request is made before the store fails.
    const state: PeerFeedState = { feedUrl: '', cursor: null, stream: null, secret: null, subscriptionUrl: null };
    const feed = { peerFeed: async () => state, setPeerFeed: async () => true, peerCredentials: async () => '0' } as unknown as FeedStore;
    const now = new Date('2026-03-01T12:00:00.000Z');
    const engine = new SyncEngine({
      provenance, feed, decoder: new Decoder(), ownBase: 'https://node.test', baseBackoffMs: 1_000, now: () => now, random: () => 0,
      fetch: async () => expect.fail('nothing is fetched'),
    });
    const outcome = await engine.sync(PEER);
    if (outcome.ok) expect.fail('the sync succeeded');
    expect(outcome.failure).to.deep.equal({ kind: 'internal', message: 'SQLITE_IOERR: disk I/O error', url: PEER.url });
    // Third failure in a row: 1 s * 2^2, jittered down to half with random() = 0.
    const nextAttemptAt = new Date(now.getTime() + 2_000).toISOString();
    // Before the work: marked as syncing by this process, with a failure's backoff (a process dying here leaves this).
    expect(marks).to.deep.equal([{ at: now.toISOString(), owner: SYNC_OWNER, nextAttemptAt }]);
    expect(attempts).to.deep.equal([
      { owner: SYNC_OWNER, status: 'failed', at: now.toISOString(), failures: 3, error: 'internal: SQLITE_IOERR: disk I/O error', summary: null, nextAttemptAt, intervalSeconds: 3600 },
    ]);
  });
});

describe('SyncEngine and a removed peer', () => {
  it('does not sync a peer that is gone when its sync begins: the outcome says so, and nothing is fetched', async () => {
    const provenance = { markSyncing: async () => ({ state: 'removed' }), recordAttempt: async () => false } as unknown as ProvenanceStore;
    const feed = { peerFeed: async () => expect.fail('nothing is read') } as unknown as FeedStore;
    const engine = new SyncEngine({ provenance, feed, decoder: new Decoder(), ownBase: 'https://node.test', fetch: async () => expect.fail('nothing is fetched') });
    const outcome = await engine.sync(PEER);
    if (outcome.ok) expect.fail('the sync succeeded');
    expect(outcome.failure).to.deep.equal({ kind: 'removed', message: 'the peer was removed during its sync: nothing of the sync was kept', url: PEER.url });
  });
});

describe('SyncEngine onApplied (the push path of listings)', () => {
  let node: InProcessNode;
  let peerServer: StaticPeer;
  before(async () => {
    node = await startInProcess();
    peerServer = await startStaticPeer((origin) => ({
      '/catalog.json': { body: serialize(farmRecords('verger', { origin }), 'jsonld'), contentType: 'application/ld+json' },
    }));
  });
  after(async () => {
    await node?.close();
    await peerServer?.close();
  });

  const engine = (onApplied: (peerId: number, records: readonly DfcRecord[]) => unknown, appliedWanted?: () => Promise<boolean>): SyncEngine =>
    new SyncEngine({
      provenance: node.store.provenance, feed: node.store.feed, decoder: node.decoder, ownBase: node.base, onApplied,
      policy: { ...DEFAULT_FETCH_POLICY, allowPrivate: true }, ...(appliedWanted !== undefined ? { appliedWanted } : {}),
    });

  it('is told of the records a snapshot applied, and of nothing when nothing changed', async () => {
    const peer = await node.store.provenance.addPeer({ name: 'told', url: `${peerServer.url}/catalog.json` }, peerServer.url);
    const told: { peerId: number; ids: string[] }[] = [];
    const sync = engine((peerId, records) => told.push({ peerId, ids: records.map((r) => r.id) }));
    expect((await sync.sync(peer)).ok).to.equal(true);
    expect(told).to.have.length(1);
    expect(told[0]?.peerId).to.equal(peer.id);
    expect(told[0]?.ids).to.include(`${peerServer.url}/api/dfc/enterprises/verger/catalog_items/tomate`);
    expect((await sync.sync((await node.store.provenance.getPeer(peer.id)) ?? peer)).ok).to.equal(true);
    expect(told).to.have.length(1);
  });

  it('is not told when it wants nothing (no listing), and is when it wants the records or cannot tell', async () => {
    const told: string[] = [];
    const hook = (_peerId: number, records: readonly DfcRecord[]): void => { told.push(...records.map((r) => r.id)); };
    const item = `${peerServer.url}/api/dfc/enterprises/verger/catalog_items/tomate`;
    const unwanted = await node.store.provenance.addPeer({ name: 'unwanted', url: `${peerServer.url}/catalog.json?unwanted` }, peerServer.url);
    expect((await engine(hook, async () => false).sync(unwanted)).ok).to.equal(true);
    expect(told).to.deep.equal([]);
    // The records were applied all the same.
    expect((await node.store.provenance.peerCounts(unwanted.id)).active).to.be.greaterThan(0);
    const wanted = await node.store.provenance.addPeer({ name: 'wanted', url: `${peerServer.url}/catalog.json?wanted` }, peerServer.url);
    expect((await engine(hook, async () => true).sync(wanted)).ok).to.equal(true);
    expect(told).to.include(item);
    told.length = 0;
    const unsure = await node.store.provenance.addPeer({ name: 'unsure', url: `${peerServer.url}/catalog.json?unsure` }, peerServer.url);
    expect((await engine(hook, async () => { throw new Error('store down'); }).sync(unsure)).ok).to.equal(true);
    expect(told).to.include(item);
  });

  it('a hook that fails costs the sync nothing', async () => {
    const peer = await node.store.provenance.addPeer({ name: 'failing', url: `${peerServer.url}/catalog.json?again` }, peerServer.url);
    const outcome = await engine(async () => { throw new Error('listing store down'); }).sync(peer);
    expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
  });
});

describe('SyncEngine and Open Food Network in DFC 2.0', () => {
  let node: InProcessNode;
  let peerServer: StaticPeer;
  before(async () => {
    node = await startInProcess();
    // As Open Food Network answers in DFC 2.0: its enterprises are Organizations under /organizations/{id}, and their
    // catalogues stay under /enterprises/{id}/catalog_items (it has no /organizations/{id}/catalog_items).
    peerServer = await startStaticPeer((origin) => ({
      '/api/dfc/organizations': {
        body: JSON.stringify({
          '@context': 'https://w3id.org/dfc/ontology/context/context_2.0.0.json',
          '@graph': [
            { '@id': `${origin}/api/dfc/organizations`, '@type': 'ldp:Container', 'ldp:contains': [`${origin}/api/dfc/organizations/7`] },
            {
              '@id': `${origin}/api/dfc/organizations/7`, '@type': 'dfc-b:Organization', 'dfc-b:name': 'Ferme 7',
              'dfc-b:hasAddress': { '@id': `${origin}/api/dfc/addresses/7`, '@type': 'dfc-b:Address', 'dfc-b:hasCity': 'Lyon', 'dfc-b:hasPostalCode': '69001',
                'dfc-b:latitude': 45.76, 'dfc-b:longitude': 4.83 },
            },
          ],
        }),
        contentType: 'application/ld+json',
      },
      // As its DFC 2.0 catalogue says it: no manager of an item, no supplier of a product, no enterprise beside them.
      '/api/dfc/enterprises/7/catalog_items': {
        body: serialize(farmRecords('7', { origin }).flatMap((r): DfcRecord[] => {
          if (r.kind === 'Enterprise' || r.kind === 'Address' || r.kind === 'Person') return [];
          if (r.kind === 'CatalogItem') return [{ ...r, managedBy: undefined } as unknown as DfcRecord];
          if (r.kind === 'SuppliedProduct') return [{ ...r, suppliedBy: undefined } as unknown as DfcRecord];
          return [r];
        }), 'jsonld', { profile: 'dfc-v2' }),
        contentType: 'application/ld+json',
      },
    }));
  });
  after(async () => {
    await node?.close();
    await peerServer?.close();
  });

  it('reads the catalogue of an Organization where Open Food Network serves it', async () => {
    const peer = await node.store.provenance.addPeer({ name: 'ofn-v2', url: `${peerServer.url}/api/dfc/organizations`, profile: 'dfc-v2' }, peerServer.url);
    const engine = loopbackEngine(node);
    const outcome = await engine.sync(peer);
    expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
    expect(peerServer.log.map((l) => `${l.path} ${l.status}`)).to.include('/api/dfc/enterprises/7/catalog_items 200');
    expect(peerServer.log.some((l) => l.path.startsWith('/api/dfc/organizations/7'))).to.equal(false);
    const held = await node.store.provenance.heldOf(peer.id, [`${peerServer.url}/api/dfc/enterprises/7/catalog_items/tomate`]);
    expect(held.size).to.equal(1);
    // Its offers are the organization's, whose catalogue they are: its name, its town, its place.
    const rows = await node.federation.rows(await node.federation.query({ peer: String(peer.id) }));
    expect(rows).to.not.be.empty;
    for (const row of rows) expect(row).to.deep.include({ enterpriseIri: `${peerServer.url}/api/dfc/organizations/7`, enterpriseName: 'Ferme 7', city: 'Lyon' });
    const near = await node.federation.query({ near: '45.76,4.83', radiusKm: '5' });
    expect(near.length).to.equal(rows.length);
  });
});

describe('SyncEngine and an enterprise whose catalogue the peer would not give', () => {
  let node: InProcessNode;
  let peerServer: StaticPeer;
  before(async () => {
    node = await startInProcess();
    peerServer = await startStaticPeer((origin) => ({
      // As Open Food Network lists the enterprises a platform may see, each catalogue under its enterprise.
      '/api/dfc/enterprises': {
        body: serialize(['7', '8'].map((eid) => farmRecords(eid, { origin })[0] as DfcRecord), 'jsonld'), contentType: 'application/ld+json',
      },
      '/api/dfc/enterprises/7/catalog_items': { body: serialize(farmRecords('7', { origin }), 'jsonld'), contentType: 'application/ld+json' },
      '/api/dfc/enterprises/8/catalog_items': { body: serialize(farmRecords('8', { origin }), 'jsonld'), contentType: 'application/ld+json' },
    }));
  });
  after(async () => {
    await node?.close();
    await peerServer?.close();
  });

  it('reads the others, keeps what it gave before as it was, and says so; fails when not one is given', async () => {
    let peer = await node.store.provenance.addPeer({ name: 'ofn', url: `${peerServer.url}/api/dfc/enterprises` }, peerServer.url);
    const engine = loopbackEngine(node, 0);
    const first = await engine.sync(peer);
    if (!first.ok) expect.fail(JSON.stringify(first.failure));
    const counts = await node.store.provenance.peerCounts(peer.id);
    expect(counts.missing).to.equal(0);
    // Enterprise 8's catalogue is refused now (a 404 here; Open Food Network answers 401), and 7's changed.
    const eight = `${peerServer.url}/api/dfc/enterprises/8/catalog_items`;
    peerServer.files.delete('/api/dfc/enterprises/8/catalog_items');
    const seven = peerServer.files.get('/api/dfc/enterprises/7/catalog_items');
    peerServer.files.set('/api/dfc/enterprises/7/catalog_items', { body: (seven?.body ?? '').replace(/"Tomate/gu, '"Tomate cerise'), contentType: 'application/ld+json' });
    peer = (await node.store.provenance.getPeer(peer.id)) ?? peer;
    const second = await engine.sync(peer);
    if (!second.ok) expect.fail(JSON.stringify(second.failure));
    expect(second.summary.unreadable).to.deep.equal({ count: 1, urls: [eight] });
    expect(second.summary.updated).to.be.greaterThan(0);
    // Nothing of 8 went missing or was withdrawn (the grace is 0 here: a missing resource would be withdrawn at once).
    expect(await node.store.provenance.peerCounts(peer.id)).to.deep.equal(counts);
    const held = await node.store.provenance.heldOf(peer.id, [`${eight}/tomate`]);
    expect(held.size).to.equal(1);
    // Not one catalogue given: the sync fails, as when the list itself is refused, and nothing changes.
    peerServer.files.delete('/api/dfc/enterprises/7/catalog_items');
    peer = (await node.store.provenance.getPeer(peer.id)) ?? peer;
    const third = await engine.sync(peer);
    if (third.ok) expect.fail('the sync succeeded');
    expect(third.failure.kind).to.equal('http-status');
    expect(await node.store.provenance.peerCounts(peer.id)).to.deep.equal(counts);
  });
});

describe('SyncEngine and an unreadable catalogue of several pages, or unreadable from the first sync', () => {
  let node: InProcessNode;
  let peerServer: FakePeer;
  /** Path and query → body; absent: 401, as Open Food Network answers a catalogue the platform may not read. */
  const served = new Map<string, string>();
  before(async () => {
    node = await startInProcess();
    peerServer = await startFakePeer((req, res, self) => {
      const body = served.get(req.url ?? '/');
      if (body === undefined) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
        return;
      }
      // Strong ETags and 304s, as Open Food Network's list answers: a list unchanged hides its links.
      const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/ld+json', etag }).end(body.replaceAll('ORIGIN', self.base));
    });
  });
  after(async () => {
    await node?.close();
    await peerServer?.close();
  });

  it('keeps every page of a catalogue refused after it was read, its next pages too, whatever else answers 304', async () => {
    const origin = 'ORIGIN';
    const list = (eids: string[]) => serialize(eids.map((eid) => farmRecords(eid, { origin })[0] as DfcRecord), 'jsonld');
    const records8 = farmRecords('8', { origin });
    // Enterprise 8's catalogue in two pages: the enterprise and its first products, then the rest (a `next` key).
    const cut = Math.ceil(records8.length / 2);
    const page1 = JSON.stringify({ ...JSON.parse(serialize(records8.slice(0, cut), 'jsonld')) as object, next: 'ORIGIN/api/dfc/enterprises/8/catalog_items?page=2' });
    served.set('/api/dfc/enterprises', list(['7', '8']));
    served.set('/api/dfc/enterprises/7/catalog_items', serialize(farmRecords('7', { origin }), 'jsonld'));
    served.set('/api/dfc/enterprises/8/catalog_items', page1);
    served.set('/api/dfc/enterprises/8/catalog_items?page=2', serialize(records8.slice(cut), 'jsonld'));
    let peer = await node.store.provenance.addPeer({ name: 'paged', url: `${peerServer.base}/api/dfc/enterprises` }, peerServer.base);
    const engine = loopbackEngine(node, 0);
    const sync = async () => {
      peer = (await node.store.provenance.getPeer(peer.id)) ?? peer;
      return engine.sync(peer);
    };
    const first = await sync();
    if (!first.ok) expect.fail(JSON.stringify(first.failure));
    const counts = await node.store.provenance.peerCounts(peer.id);
    expect(counts.missing + counts.withdrawn).to.equal(0);
    // 8 refused now, its second page unreachable: both pages' resources stay (the grace is 0: they would go at once).
    // No page answers 304 this time (a 304 makes every known page asked for again, page 2 with them).
    served.delete('/api/dfc/enterprises/8/catalog_items');
    served.set('/api/dfc/enterprises', list(['8', '7']));
    served.set('/api/dfc/enterprises/7/catalog_items', serialize(farmRecords('7', { origin, name: 'Ferme 7 renommée' }), 'jsonld'));
    const second = await sync();
    if (!second.ok) expect.fail(JSON.stringify(second.failure));
    expect(second.summary.unreadable?.count).to.equal(1);
    expect(second.summary.withdrawn).to.equal(0);
    expect(await node.store.provenance.peerCounts(peer.id)).to.deep.equal(counts);
    const last = records8[records8.length - 1] as DfcRecord;
    expect((await node.store.provenance.heldOf(peer.id, [last.id.replace('ORIGIN', peerServer.base)])).size).to.equal(1);
  });

  it('asks again for a catalogue refused on the first sync, and reads it once given', async () => {
    const origin = 'ORIGIN';
    served.clear();
    served.set('/api/dfc/enterprises?later', serialize(['17', '18'].map((eid) => farmRecords(eid, { origin })[0] as DfcRecord), 'jsonld'));
    served.set('/api/dfc/enterprises/17/catalog_items', serialize(farmRecords('17', { origin }), 'jsonld'));
    let peer = await node.store.provenance.addPeer({ name: 'later', url: `${peerServer.base}/api/dfc/enterprises?later` }, peerServer.base);
    const engine = loopbackEngine(node);
    const first = await engine.sync(peer);
    if (!first.ok) expect.fail(JSON.stringify(first.failure));
    expect(first.summary.unreadable?.urls).to.deep.equal([`${peerServer.base}/api/dfc/enterprises/18/catalog_items`]);
    served.set('/api/dfc/enterprises/18/catalog_items', serialize(farmRecords('18', { origin }), 'jsonld'));
    peer = (await node.store.provenance.getPeer(peer.id)) ?? peer;
    const second = await engine.sync(peer);
    if (!second.ok) expect.fail(JSON.stringify(second.failure));
    expect(second.summary.unreadable).to.equal(undefined);
    expect((await node.store.provenance.heldOf(peer.id, [`${peerServer.base}/api/dfc/enterprises/18/catalog_items/tomate`])).size).to.equal(1);
  });

  it('takes no feed position from a snapshot that could not read a catalogue: the next sync is a snapshot, which asks it again', async () => {
    const origin = 'ORIGIN';
    served.clear();
    served.set('/api/dfc/enterprises?fed', serialize(['27', '28'].map((eid) => farmRecords(eid, { origin })[0] as DfcRecord), 'jsonld'));
    served.set('/api/dfc/enterprises/27/catalog_items', serialize(farmRecords('27', { origin }), 'jsonld'));
    const root: DfcRecord = {
      kind: 'Resource', id: 'ORIGIN/feed' as DfcRecord['id'], types: [],
      extra: { [MAILLON.head]: [{ '@value': 42 }], [MAILLON.stream]: [{ '@value': 'stream-1' }] },
    };
    served.set('/feed', serialize([root], 'jsonld'));
    let peer = await node.store.provenance.addPeer({ name: 'fed', url: `${peerServer.base}/api/dfc/enterprises?fed` }, peerServer.base);
    await node.store.feed.setPeerFeed(peer.id, { feedUrl: `${peerServer.base}/feed` });
    const engine = loopbackEngine(node);
    const first = await engine.sync(peer);
    if (!first.ok) expect.fail(JSON.stringify(first.failure));
    expect(first.summary.unreadable?.count).to.equal(1);
    expect((await node.store.feed.peerFeed(peer.id)).cursor, 'no position: the feed would never ask the catalogue again').to.equal(null);
    served.set('/api/dfc/enterprises/28/catalog_items', serialize(farmRecords('28', { origin }), 'jsonld'));
    peer = (await node.store.provenance.getPeer(peer.id)) ?? peer;
    const second = await engine.sync(peer);
    if (!second.ok) expect.fail(JSON.stringify(second.failure));
    expect(second.summary.unreadable).to.equal(undefined);
    expect((await node.store.provenance.heldOf(peer.id, [`${peerServer.base}/api/dfc/enterprises/28/catalog_items/tomate`])).size).to.equal(1);
    expect((await node.store.feed.peerFeed(peer.id)).cursor, 'every catalogue read: the feed from the head read before').to.equal(42);
  });
});

describe('SyncEngine and next links that loop, or a last page that is gone', () => {
  let node: InProcessNode;
  let peerServer: FakePeer;
  /** Path and query → body and the next page it names (a `Link` header); absent: 404. */
  const served = new Map<string, { body: string; next?: string }>();
  /** Path and query → where it is redirected (301), before `served`. */
  const moved = new Map<string, string>();
  /** Path and query → how many times it was asked for. */
  const asked = new Map<string, number>();
  before(async () => {
    node = await startInProcess();
    peerServer = await startFakePeer((req, res, self) => {
      asked.set(req.url ?? '/', (asked.get(req.url ?? '/') ?? 0) + 1);
      const to = moved.get(req.url ?? '/');
      if (to !== undefined) {
        res.writeHead(301, { location: `${self.base}${to}` }).end();
        return;
      }
      const page = served.get(req.url ?? '/');
      if (page === undefined) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no such page');
        return;
      }
      const etag = `"${createHash('sha256').update(page.body + (page.next ?? '')).digest('hex').slice(0, 16)}"`;
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag }).end();
        return;
      }
      res.writeHead(200, {
        'content-type': 'application/ld+json', etag, ...(page.next !== undefined ? { link: `<${self.base}${page.next}>; rel="next"` } : {}),
      }).end(page.body.replaceAll('ORIGIN', self.base));
    });
  });
  after(async () => {
    await node?.close();
    await peerServer?.close();
  });

  /**
   * A farm's records in three pages: the enterprise, its profile and its first product (a page with a catalog item:
   * no enterprise catalogue to follow), then the other products split in two.
   */
  function threePages(eid: string): DfcRecord[][] {
    const records = farmRecords(eid, { origin: 'ORIGIN' });
    const firstItem = records.findIndex((r) => r.kind === 'CatalogItem');
    const second = records.findIndex((r, i) => i > firstItem && r.kind === 'SuppliedProduct');
    const third = Math.ceil((records.length - second) / 2) + second;
    return [records.slice(0, second), records.slice(second, third), records.slice(third)];
  }

  /** The same records, their products renamed (a page that changed). */
  const renamed = (records: readonly DfcRecord[] | undefined): string =>
    serialize((records ?? []).map((r) => (r.kind === 'SuppliedProduct' || r.kind === 'Enterprise' ? { ...r, name: `${r.name ?? ''} (changé)` } : r)), 'jsonld');

  async function followed(name: string, path: string): Promise<{ peer: PeerRow; engine: SyncEngine; sync: () => ReturnType<SyncEngine['sync']> }> {
    let peer = await node.store.provenance.addPeer({ name, url: `${peerServer.base}${path}` }, peerServer.base);
    const engine = loopbackEngine(node, 0);
    return {
      peer, engine,
      sync: async () => {
        peer = (await node.store.provenance.getPeer(peer.id)) ?? peer;
        return engine.sync(peer);
      },
    };
  }

  for (const [loop, back] of [['to an earlier page', (path: string) => path], ['to the page before it', (path: string) => `${path}?page=2`]] as const) {
    it(`fails a snapshot whose next link loops ${loop}, and withdraws nothing of the pages it did not reach`, async () => {
      const path = `/loop-${loop.replaceAll(' ', '-')}`;
      const pages = threePages(String(20 + loop.length));
      served.set(path, { body: serialize(pages[0] ?? [], 'jsonld'), next: `${path}?page=2` });
      served.set(`${path}?page=2`, { body: serialize(pages[1] ?? [], 'jsonld'), next: `${path}?page=3` });
      served.set(`${path}?page=3`, { body: serialize(pages[2] ?? [], 'jsonld') });
      const { peer, sync } = await followed(`loop ${loop}`, path);
      const first = await sync();
      if (!first.ok) expect.fail(JSON.stringify(first.failure));
      const counts = await node.store.provenance.peerCounts(peer.id);
      expect(counts).to.deep.include({ missing: 0, withdrawn: 0 });
      // Every page changed (none answers 304, which would ask for every page again), and page 2 names a page read
      // already as its next one: page 3 is never reached.
      served.set(path, { body: renamed(pages[0]), next: `${path}?page=2` });
      served.set(`${path}?page=2`, { body: renamed(pages[1]), next: `${path}?page=3` });
      served.set(`${path}?page=3`, { body: renamed(pages[2]), next: back(path) });
      const second = await sync();
      if (second.ok) expect.fail(`the sync succeeded: ${JSON.stringify(second.summary)}`);
      expect(second.failure.kind).to.equal('truncated');
      expect(second.failure.message).to.match(/loop/u);
      expect(await node.store.provenance.peerCounts(peer.id)).to.deep.equal(counts);
    });
  }

  it('does not read ahead a next page that closes a loop through the page a redirect answered (the sequential loop fails before it)', async () => {
    // Page 1 is asked for at /old and answered at /new (a redirect); page 2 names /new as its next page: a loop, which
    // fails the sync before /new is asked for again.
    const pages = threePages('34');
    moved.set('/old', '/new');
    served.set('/new', { body: serialize(pages[0] ?? [], 'jsonld'), next: '/new?page=2' });
    served.set('/new?page=2', { body: serialize([...pages[1] ?? [], ...pages[2] ?? []], 'jsonld'), next: '/new' });
    const { sync } = await followed('moved loop', '/old');
    const outcome = await sync();
    if (outcome.ok) expect.fail(`the sync succeeded: ${JSON.stringify(outcome.summary)}`);
    expect(outcome.failure.kind).to.equal('truncated');
    // A read ahead in flight would reach the peer after the run ended.
    await new Promise((resolve) => { setImmediate(resolve); });
    await node.store.provenance.listPeers();
    expect(asked.get('/new'), 'the page 1 a redirect answered, once').to.equal(1);
  });

  it('takes a page that names itself as its next one for the last page, as some paginators write it', async () => {
    const path = '/itself';
    const pages = threePages('33');
    served.set(path, { body: serialize(pages[0] ?? [], 'jsonld'), next: `${path}?page=2` });
    served.set(`${path}?page=2`, { body: serialize([...pages[1] ?? [], ...pages[2] ?? []], 'jsonld'), next: `${path}?page=2` });
    const { peer, sync } = await followed('itself', path);
    const first = await sync();
    if (!first.ok) expect.fail(JSON.stringify(first.failure));
    expect(first.summary.pages).to.equal(2);
    expect(await node.store.provenance.peerCounts(peer.id)).to.deep.include({ missing: 0, withdrawn: 0 });
  });

  it('keeps a last page that answers 404 after the first page answered 304 as it was (a 304 hides whether a page still leads to it)', async () => {
    const path = '/shorter';
    const pages = threePages('31');
    served.set(path, { body: serialize(pages[0] ?? [], 'jsonld'), next: `${path}?page=2` });
    served.set(`${path}?page=2`, { body: serialize(pages[1] ?? [], 'jsonld'), next: `${path}?page=3` });
    served.set(`${path}?page=3`, { body: serialize(pages[2] ?? [], 'jsonld') });
    const { peer, sync } = await followed('shorter', path);
    const first = await sync();
    if (!first.ok) expect.fail(JSON.stringify(first.failure));
    const before = await node.store.provenance.peerCounts(peer.id);
    // The catalogue ends at page 2 now: page 1 is the same (a 304), page 2 names no next page, page 3 is a 404.
    served.set(`${path}?page=2`, { body: serialize(pages[1] ?? [], 'jsonld') });
    served.delete(`${path}?page=3`);
    const second = await sync();
    if (!second.ok) expect.fail(JSON.stringify(second.failure));
    expect(second.summary.notModified).to.equal(1);
    expect(second.summary.unreadable).to.deep.equal({ count: 1, urls: [`${peerServer.base}${path}?page=3`] });
    // The grace is 0 here: anything gone missing would be withdrawn at once.
    expect(second.summary.withdrawn).to.equal(0);
    expect(await node.store.provenance.peerCounts(peer.id)).to.deep.equal(before);
  });

  it('fails a snapshot whose page still leads to a last page that is gone (the catalogue is cut short)', async () => {
    const path = '/cut';
    const pages = threePages('32');
    served.set(path, { body: serialize(pages[0] ?? [], 'jsonld'), next: `${path}?page=2` });
    served.set(`${path}?page=2`, { body: serialize(pages[1] ?? [], 'jsonld'), next: `${path}?page=3` });
    served.set(`${path}?page=3`, { body: serialize(pages[2] ?? [], 'jsonld') });
    const { peer, sync } = await followed('cut', path);
    const first = await sync();
    if (!first.ok) expect.fail(JSON.stringify(first.failure));
    const counts = await node.store.provenance.peerCounts(peer.id);
    served.set(`${path}?page=2`, { body: renamed(pages[1]), next: `${path}?page=3` });
    served.delete(`${path}?page=3`);
    const second = await sync();
    if (second.ok) expect.fail(`the sync succeeded: ${JSON.stringify(second.summary)}`);
    expect(second.failure.status).to.equal(404);
    expect(await node.store.provenance.peerCounts(peer.id)).to.deep.equal(counts);
  });
});

describe('SyncEngine and blank nodes (resources without an @id)', () => {
  let node: InProcessNode;
  let peerServer: StaticPeer;
  const context = 'https://w3id.org/dfc/ontology/context/context_1.16.0.json';
  const price = { '@type': 'dfc-b:Price', 'dfc-b:value': 2, 'dfc-b:hasUnit': 'dfc-m:Euro' };
  const kilo = { '@type': 'dfc-b:QuantitativeValue', 'dfc-b:hasUnit': 'dfc-m:Kilogram', 'dfc-b:value': 1 };
  before(async () => {
    node = await startInProcess();
    peerServer = await startStaticPeer((origin) => ({
      // A catalog item and its offer written as blank nodes.
      '/items.json': {
        body: JSON.stringify({
          '@context': context,
          '@graph': [
            { '@id': `${origin}/ent`, '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'BN farm', 'dfc-b:supplies': `${origin}/sp/1`, 'dfc-b:manages': '_:x9' },
            { '@id': `${origin}/sp/1`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Carottes', 'dfc-b:hasQuantity': kilo, 'dfc-b:referencedBy': '_:x9' },
            { '@id': '_:x9', '@type': 'dfc-b:CatalogItem', 'dfc-b:references': `${origin}/sp/1`, 'dfc-b:stockLimitation': 4, 'dfc-b:offeredThrough': '_:y9' },
            { '@id': '_:y9', '@type': 'dfc-b:Offer', 'dfc-b:stockLimitation': 4, 'dfc-b:hasPrice': price },
          ],
        }),
        contentType: 'application/ld+json',
      },
      // An enterprise with its address inline, without an @id.
      '/address.json': {
        body: JSON.stringify({
          '@context': context,
          '@graph': [
            {
              '@id': `${origin}/ent2`, '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Adresse vide', 'dfc-b:supplies': `${origin}/sp2/1`, 'dfc-b:manages': `${origin}/ci2/1`,
              'dfc-b:hasAddress': {
                '@type': 'dfc-b:Address', 'dfc-b:hasStreet': '3 place', 'dfc-b:hasPostalCode': '23000', 'dfc-b:hasCity': 'Guéret', 'dfc-b:hasCountry': 'France',
                'dfc-b:latitude': 46.17, 'dfc-b:longitude': 1.87,
              },
            },
            { '@id': `${origin}/sp2/1`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Navets', 'dfc-b:hasQuantity': kilo, 'dfc-b:referencedBy': `${origin}/ci2/1` },
            { '@id': `${origin}/ci2/1`, '@type': 'dfc-b:CatalogItem', 'dfc-b:references': `${origin}/sp2/1`, 'dfc-b:stockLimitation': 5, 'dfc-b:offeredThrough': `${origin}/of2/1` },
            { '@id': `${origin}/of2/1`, '@type': 'dfc-b:Offer', 'dfc-b:stockLimitation': 5, 'dfc-b:hasPrice': price },
          ],
        }),
        contentType: 'application/ld+json',
      },
    }));
  });
  after(async () => {
    await node?.close();
    await peerServer?.close();
  });

  it('keeps a blank catalog item and offer under IRIs of their own, the same at every sync', async () => {
    const peer = await node.store.provenance.addPeer({ name: 'blank-items', url: `${peerServer.url}/items.json` }, peerServer.url);
    const engine = loopbackEngine(node);
    const first = await engine.sync(peer);
    if (!first.ok) expect.fail(JSON.stringify(first));
    expect(first.summary).to.deep.include({ refused: 0, quarantined: 0, added: 4 });
    const rows = await node.federation.rows(await node.federation.query({ peer: String(peer.id) }));
    expect(rows.map((r) => [r.name, r.price, r.stock, r.enterpriseName])).to.deep.equal([['Carottes', 2, 4, 'BN farm']]);
    // A page read again, whatever labels it gives its blank nodes, names them the same: nothing churns.
    const file = peerServer.files.get('/items.json') as StaticFile;
    peerServer.files.set('/items.json', { ...file, body: file.body.replaceAll('_:x9', '_:item').replaceAll('_:y9', '_:a') });
    const second = await engine.sync((await node.store.provenance.getPeer(peer.id)) ?? peer);
    if (!second.ok) expect.fail(JSON.stringify(second));
    expect(second.summary).to.deep.include({ refused: 0, added: 0, updated: 0, withdrawn: 0, unchanged: 4 });
  });

  it('keeps an inline address with its enterprise: its town and place are the producer\'s', async () => {
    const peer = await node.store.provenance.addPeer({ name: 'blank-address', url: `${peerServer.url}/address.json` }, peerServer.url);
    const outcome = await loopbackEngine(node).sync(peer);
    if (!outcome.ok) expect.fail(JSON.stringify(outcome));
    expect(outcome.summary).to.deep.include({ refused: 0, quarantined: 0 });
    const rows = await node.federation.rows(await node.federation.query({ peer: String(peer.id) }));
    expect(rows.map((r) => [r.name, r.city, r.postcode])).to.deep.equal([['Navets', 'Guéret', '23000']]);
    expect(await node.federation.query({ near: '46.17,1.87', radiusKm: '5' })).to.have.length(1);
    // The federated catalogue links the enterprise to its address by an IRI, never to a blank node of the peer's page.
    const catalogue = await node.request('GET', `/api/federation/catalog?peer=${peer.id}`, { headers: { accept: 'application/ld+json' } });
    expect(catalogue.status).to.equal(200);
    expect(catalogue.text).to.include(`${peerServer.url}/.well-known/genid/`);
    expect(catalogue.text).to.not.match(/"_:b\d+"/u);
    const address = (catalogue.json<{ '@graph': Record<string, unknown>[] }>()['@graph']).find((n) => n['@type'] === 'dfc-b:Address');
    expect(address).to.deep.include({ 'dfc-b:hasCity': 'Guéret', 'dfc-b:hasPostalCode': '23000' });
    expect(String(address?.['@id'])).to.match(/\/\.well-known\/genid\//u);
  });
});

describe('SyncEngine and a relay listing an item the origin, followed whole, does not publish', () => {
  let node: InProcessNode;
  let originServer: StaticPeer;
  let relayServer: StaticPeer;
  before(async () => {
    node = await startInProcess();
    originServer = await startStaticPeer((origin) => ({
      '/api/dfc/enterprises': { body: serialize([farmRecords('verger', { origin })[0] as DfcRecord], 'jsonld'), contentType: 'application/ld+json' },
      '/api/dfc/enterprises/verger/catalog_items': { body: serialize(farmRecords('verger', { origin }), 'jsonld'), contentType: 'application/ld+json' },
    }));
    // A relay's catalogue: the origin's farm with a caviar it never sold, under the origin's @ids.
    const invented = farmRecords('verger', { origin: originServer.url, products: [{ id: 'caviar', name: 'Caviar', stock: 3, price: 90, sku: 'CAV-1' }] });
    relayServer = await startStaticPeer(() => ({ '/catalog.json': { body: serialize(invented, 'jsonld'), contentType: 'application/ld+json' } }));
  });
  after(async () => {
    await node?.close();
    await originServer?.close();
    await relayServer?.close();
  });

  it('does not list it, and says so in the relay\'s summary', async () => {
    const engine = loopbackEngine(node);
    const origin = await node.store.provenance.addPeer({ name: 'origin', url: `${originServer.url}/` }, originServer.url);
    const relay = await node.store.provenance.addPeer({ name: 'relay', url: `${relayServer.url}/catalog.json` }, relayServer.url);
    expect((await engine.sync(origin)).ok).to.equal(true);
    const outcome = await engine.sync(relay);
    if (!outcome.ok) expect.fail(JSON.stringify(outcome.failure));
    const caviar = `${originServer.url}/api/dfc/enterprises/verger/catalog_items/caviar`;
    expect(outcome.summary.unvouched).to.deep.equal({ count: 1, iris: [caviar] });
    expect(outcome.summary.quarantined).to.equal(0);
    expect((await node.store.provenance.getPeer(relay.id))?.lastSummary?.unvouched?.count).to.equal(1);
    expect(await node.federation.query({ q: 'caviar' })).to.deep.equal([]);
    expect((await node.federation.query({ q: 'tomates' })).length).to.equal(1);
  });
});

describe('SyncEngine and an aggregator relaying this node\'s own items back', () => {
  let node: InProcessNode;
  let aggregator: StaticPeer;
  before(async () => {
    node = await startInProcess();
    aggregator = await startStaticPeer((origin) => ({
      '/catalog.json': {
        body: serialize([...farmRecords('verger', { origin }), ...farmRecords('ours', { origin: node.base.replace(/\/+$/u, '') })], 'jsonld'),
        contentType: 'application/ld+json',
      },
    }));
  });
  after(async () => {
    await node?.close();
    await aggregator?.close();
  });

  it('skips them, counted apart: no quarantine, no refusal', async () => {
    const peer = await node.store.provenance.addPeer({ name: 'aggregator', url: `${aggregator.url}/catalog.json` }, aggregator.url);
    const outcome = await loopbackEngine(node).sync(peer);
    if (!outcome.ok) expect.fail(JSON.stringify(outcome.failure));
    const ours = farmRecords('ours', { origin: node.base.replace(/\/+$/u, '') }).length;
    expect(outcome.summary).to.deep.include({ ownSkipped: ours, quarantined: 0, refused: 0 });
    expect(await node.store.provenance.quarantine(peer.id)).to.deep.equal([]);
    expect((await node.store.provenance.peerCounts(peer.id)).active).to.equal(farmRecords('verger', { origin: aggregator.url }).length);
  });
});
