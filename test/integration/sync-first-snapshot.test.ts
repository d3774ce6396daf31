/**
 * A peer's first snapshot computes its index rows page by page and fills the federated index from the staging at
 * its end (issue 16): the rows must be those a rebuild from the records gives; a first snapshot that fails halfway
 * (a page answered 500, a page over the size limit) leaves nothing of the peer; the next snapshot updates and
 * withdraws as any; two peers listing the same IRIs keep apart. Real loopback peers, real SQLite file.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decoder } from '../../server/codec/decode.js';
import { DEFAULT_FETCH_POLICY } from '../../server/net/safe-fetch.js';
import type { PeerRow, ProvenanceStore, RunApplied } from '../../server/store/federation.js';
import { SqliteDatabase } from '../../server/store/sqlite/database.js';
import { reindexPeer } from '../../server/store/sqlite/federated-index.js';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import { SyncEngine } from '../../server/sync/sync-engine.js';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.js';
import { readRows } from '../helpers/sqlite.js';

const CONTEXT = 'https://w3id.org/dfc/ontology/context/context_1.16.0.json';
const PAGES = 3;
/** Enough items that a snapshot is past the scoped re-index (500 resources): the whole index path runs. */
const PER_PAGE = 200;

/** How a peer behaves. */
interface Behaviour {
  /** The `@id`s' origin (a relay serves another origin's IRIs). */
  idOrigin?: string;
  price: number;
  /** Items left out (`p{page}-{i}`). */
  dropped: Set<string>;
  /** Where the enterprise and its address are: on the first page, or only on the last (the index is rebuilt at the end). */
  enterprise: 'first' | 'last';
  third: 'ok' | '500' | 'huge';
  /** Done before page `n` is answered. */
  beforePage?: (n: number) => Promise<void>;
}

/** Page `n` (1-based) of a catalogue: products, items and offers; the enterprise and its address on the first (or last) page. */
function pageBody(origin: string, n: number, b: Behaviour): string {
  const e = `${b.idOrigin ?? origin}/api/dfc/enterprises/farm`;
  const withEnterprise = (b.enterprise === 'first' && n === 1) || (b.enterprise === 'last' && n === PAGES);
  const nodes: Record<string, unknown>[] = withEnterprise ? [
    { '@id': e, '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Ferme des Près', 'dfc-b:hasAddress': `${e}/address` },
    { '@id': `${e}/address`, '@type': 'dfc-b:Address', 'dfc-b:hasCity': 'Limoges', 'dfc-b:hasPostalCode': '87000', 'dfc-b:latitude': 45.83, 'dfc-b:longitude': 1.26 },
  ] : [];
  for (let i = 0; i < PER_PAGE; i++) {
    const slug = `p${n}-${i}`;
    if (b.dropped.has(slug)) continue;
    nodes.push(
      {
        '@id': `${e}/supplied_products/${slug}`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': `Légume ${slug}`, 'dfc-b:suppliedBy': e,
        'dfc-b:hasType': 'dfc-pt:tomato', ...(i === 0 ? { 'http://www.w3.org/2002/07/owl#sameAs': { '@id': `https://elsewhere.example/products/${slug}` } } : {}),
      },
      {
        '@id': `${e}/catalog_items/${slug}`, '@type': 'dfc-b:CatalogItem', 'dfc-b:references': `${e}/supplied_products/${slug}`,
        'dfc-b:stockLimitation': i % 3, 'dfc-b:offeredThrough': `${e}/offers/${slug}`, ...(i % 2 === 0 ? { 'dfc-b:managedBy': e } : {}),
      },
      {
        '@id': `${e}/offers/${slug}`, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': `${e}/catalog_items/${slug}`,
        'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': b.price + i / 1000, 'dfc-b:hasUnit': 'dfc-m:Euro' },
      },
    );
  }
  if (n === 3 && b.third === 'huge') nodes.push({ '@id': `${e}/padding`, '@type': 'dfc-b:Enterprise', 'dfc-b:description': 'x'.repeat(400_000) });
  return JSON.stringify({ '@context': CONTEXT, '@graph': nodes });
}

// Each case twice: the run's rows kept in memory to its end (a snapshot this small, by default), and staged in the
// store page by page (as a snapshot past 5,000 rows is).
for (const staging of ['memory', 'store'] as const) describe(`a peer's first snapshot, indexed page by page, staged ${staging === 'memory' ? 'in memory' : 'in the store'} (issue 16)`, function () {
  this.timeout(120_000);
  let dir: string;
  let file: string;
  let store: SqliteStore;
  const peers: FakePeer[] = [];
  const behaviours: Behaviour[] = [];

  /** A peer serving a paged catalogue as `b` says. */
  const startPeer = async (b: Behaviour): Promise<FakePeer> => {
    const peer = await startFakePeer((req, res, self) => {
      const url = new URL(req.url ?? '/', self.base);
      const n = Number(url.searchParams.get('page') ?? '1');
      if (url.pathname !== '/catalog' || !(n >= 1 && n <= PAGES)) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      if (n === 3 && b.third === '500') {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
        return;
      }
      const link = n < PAGES ? { link: `</catalog?page=${n + 1}>; rel="next"` } : {};
      void Promise.resolve(b.beforePage?.(n)).then(() => {
        res.writeHead(200, { 'content-type': 'application/ld+json', ...link }).end(pageBody(self.base, n, b));
      });
    });
    peers.push(peer);
    behaviours.push(b);
    return peer;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-first-snapshot-'));
  });
  /** What each snapshot's end said it did (whether the index was filled from the pages' rows). */
  let applied: RunApplied[] = [];
  beforeEach(async () => {
    file = join(dir, `node-${Date.now()}-${Math.random()}.db`);
    store = await SqliteStore.open({ path: file, baseUrl: 'http://node.test' });
    applied = [];
    const provenance = store.provenance;
    const applyRun = provenance.applyRun.bind(provenance);
    (provenance as { applyRun: ProvenanceStore['applyRun'] }).applyRun = async (...args) => {
      const result = await applyRun(...args);
      applied.push(result);
      return result;
    };
  });
  afterEach(async () => {
    await store.close();
    await Promise.all(peers.splice(0).map((p) => p.close()));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const engine = (graceMs = 3_600_000): SyncEngine => new SyncEngine({
    provenance: store.provenance, feed: store.feed, decoder: new Decoder(), ownBase: 'http://node.test', syncTimeoutMs: 60_000, graceMs,
    policy: { ...DEFAULT_FETCH_POLICY, allowPrivate: true, maxBytes: 300_000 }, ...(staging === 'store' ? { memoryRows: 0 } : {}),
  });
  const sync = async (peer: PeerRow, graceMs?: number) => engine(graceMs).sync((await store.provenance.getPeer(peer.id)) ?? peer);
  const count = async (sql: string, params: (string | number)[] = []): Promise<number> => (await readRows<{ n: number }>(file, sql, params))[0]?.n ?? -1;
  const ENTRY_ROWS = `SELECT source, item_iri, product_iri, product_key, offer_iri, enterprise_iri, peer_id, rank, winner, name, search,
    product_type, stock, in_stock, price, currency, latitude, longitude, postcode, enterprise_name, city, quantity, quantity_unit, name_key,
    enterprise_key, city_key, withdrawn FROM federated_entries ORDER BY source, item_iri`;
  const SAME_AS = 'SELECT source, item_iri, target FROM entry_same_as ORDER BY source, item_iri, target';
  // What a search finds, ranked, through the full-text index (its rowids are the rows': a rebuild gives others), and
  // the settings of that index (a first snapshot's big run changes one while it writes, and sets it back).
  const SEARCHED = `SELECT w.word, f.source, f.item_iri, round(s.rank, 9) AS rank FROM (SELECT 'legume' AS word UNION ALL SELECT 'ferme'
    UNION ALL SELECT 'p2') w JOIN federated_search s ON federated_search MATCH w.word
    JOIN federated_entries f ON f.rowid = s.rowid ORDER BY w.word, s.rank, f.source, f.item_iri`;
  const FTS_CONFIG = 'SELECT k, v FROM federated_search_config ORDER BY k';
  const behaviour = (over: Partial<Behaviour> = {}): Behaviour => ({ price: 2, dropped: new Set(), enterprise: 'first', third: 'ok', ...over });
  const addPeer = async (name: string, peer: FakePeer): Promise<PeerRow> => store.provenance.addPeer({ name, url: `${peer.base}/catalog` }, peer.base);

  /** The rows of the index, then those a rebuild of every peer's from its records gives (the store closed, then opened again). */
  const rowsAndRebuilt = async (peerIds: readonly number[]): Promise<[unknown[], unknown[]]> => {
    const indexed = async (): Promise<unknown[]> => [...await readRows(file, ENTRY_ROWS), ...await readRows(file, SAME_AS),
      ...await readRows(file, SEARCHED), ...await readRows(file, FTS_CONFIG)];
    const rows = await indexed();
    await store.close();
    const db = await SqliteDatabase.open(file);
    try {
      // The full-text index holds the words of every row's text, and nothing else (FTS5 checks it against the table).
      await db.transaction((tx) => tx.run("INSERT INTO federated_search (federated_search, rank) VALUES ('integrity-check', 1)"));
      for (const id of peerIds) await db.transaction((tx) => reindexPeer(tx, id), { alone: true });
    } finally {
      await db.close();
    }
    const rebuilt = await indexed();
    store = await SqliteStore.open({ path: file, baseUrl: 'http://node.test' });
    return [rows, rebuilt];
  };

  it('fills the index with the rows a rebuild from the records gives (enterprise on the first page)', async () => {
    const peer = await addPeer('first', await startPeer(behaviour()));
    const outcome = await sync(peer);
    expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
    if (outcome.ok) expect(outcome.summary).to.deep.include({ added: 2 + PAGES * PER_PAGE * 3, pages: PAGES });
    const [rows, rebuilt] = await rowsAndRebuilt([peer.id]);
    // The index's rows and same-as links, what three words find (every row, the enterprise's name; 200 of them, the
    // second page's), and the full-text index's settings: its version alone.
    expect(rows.length).to.equal(PAGES * PER_PAGE + PAGES + 2 * PAGES * PER_PAGE + PER_PAGE + 1);
    expect(rows[rows.length - 1]).to.deep.equal({ k: 'version', v: 4 });
    expect(rows).to.deep.equal(rebuilt);
    // Filled from the rows the pages computed (the comparison above holds for a rebuild too).
    expect(applied.map((a) => a.indexedFromStaging)).to.deep.equal([true]);
    const row = (await store.index.queryEntries({})).find((r) => r.itemIri.endsWith('/catalog_items/p2-4'));
    expect(row).to.deep.include({ city: 'Limoges', postcode: '87000', enterpriseName: 'Ferme des Près', price: 2.004, inStock: true });
    expect(await count('SELECT COUNT(*) AS n FROM sync_staging')).to.equal(0);
  });

  it('with the enterprise only on the last page, rebuilds the index from the records: the same rows', async () => {
    const peer = await addPeer('last', await startPeer(behaviour({ enterprise: 'last' })));
    expect((await sync(peer)).ok).to.equal(true);
    expect(applied.map((a) => a.indexedFromStaging)).to.deep.equal([false]);
    const [rows, rebuilt] = await rowsAndRebuilt([peer.id]);
    expect(rows).to.deep.equal(rebuilt);
    expect((await store.index.queryEntries({})).filter((r) => r.city === 'Limoges')).to.have.length(PAGES * PER_PAGE);
  });

  for (const third of ['500', 'huge'] as const) {
    it(`a first snapshot whose third page is ${third === '500' ? 'answered 500' : 'over the size limit'} leaves nothing of the peer`, async () => {
      const b = behaviour({ third });
      const peer = await addPeer(`broken-${third}`, await startPeer(b));
      const outcome = await sync(peer);
      expect(outcome.ok).to.equal(false);
      if (!outcome.ok) expect(outcome.failure.kind).to.equal(third === '500' ? 'http-status' : 'too-large');
      for (const table of ['peer_resources', 'federated_entries', 'peer_sources', 'sync_staging', 'sync_runs']) {
        expect(await count(`SELECT COUNT(*) AS n FROM ${table}`), table).to.equal(0);
      }
      expect(await count("SELECT COUNT(*) AS n FROM entry_same_as WHERE source = ?", [`peer:${peer.id}`])).to.equal(0);
      // Mended, the peer's next sync is a first snapshot again, and complete.
      b.third = 'ok';
      expect((await sync(peer)).ok).to.equal(true);
      expect(await count('SELECT COUNT(*) AS n FROM federated_entries WHERE peer_id = ?', [peer.id])).to.equal(PAGES * PER_PAGE);
    });
  }

  it('a first snapshot whose peer came to hold a record while it ran is indexed from the records, not from its pages', async () => {
    const other = await addPeer('other', await startPeer(behaviour()));
    expect((await sync(other)).ok).to.equal(true);
    const peerBehaviour = behaviour();
    const peer = await addPeer('late', await startPeer(peerBehaviour));
    // Another writer gives the peer a record between its first and second pages (a copy of one of the other's
    // items, relayed): its pages' rows no longer stand for all the peer holds.
    peerBehaviour.beforePage = async (n) => {
      if (n !== 2) return;
      const db = await SqliteDatabase.open(file);
      try {
        await db.transaction((tx) => tx.run(`INSERT INTO peer_resources (peer_id, iri, kind, record, hash, authoritative, source_url, first_seen_at, updated_at)
          SELECT ?, iri, kind, record, hash, 0, source_url, first_seen_at, updated_at FROM peer_resources WHERE peer_id = ? AND kind = 'CatalogItem'
          ORDER BY iri LIMIT 1`, [peer.id, other.id]));
      } finally {
        await db.close();
      }
    };
    expect((await sync(peer)).ok).to.equal(true);
    expect(applied.map((a) => a.indexedFromStaging)).to.deep.equal([true, false]);
    expect(await count('SELECT COUNT(*) AS n FROM peer_resources WHERE peer_id = ?', [peer.id])).to.equal(2 + PAGES * PER_PAGE * 3 + 1);
    const [rows, rebuilt] = await rowsAndRebuilt([other.id, peer.id]);
    expect(rows).to.deep.equal(rebuilt);
  });

  it('a second snapshot updates and withdraws: the index follows, as a rebuild gives it', async () => {
    const b = behaviour();
    const peer = await addPeer('twice', await startPeer(b));
    expect((await sync(peer)).ok).to.equal(true);
    b.price = 7;
    b.dropped = new Set(['p1-3', 'p3-10']);
    const second = await sync(peer, 0);
    expect(second.ok, JSON.stringify(second)).to.equal(true);
    if (second.ok) expect(second.summary).to.deep.include({ added: 0, updated: PAGES * PER_PAGE - 2, withdrawn: 6 });
    const rows = await store.index.queryEntries({});
    expect(rows).to.have.length(PAGES * PER_PAGE - 2);
    expect(new Set(rows.map((r) => Math.floor(r.price ?? -1)))).to.deep.equal(new Set([7]));
    expect(rows.some((r) => r.itemIri.endsWith('/p1-3'))).to.equal(false);
    const [all, rebuilt] = await rowsAndRebuilt([peer.id]);
    expect(all).to.deep.equal(rebuilt);
    expect(await count('SELECT COUNT(*) AS n FROM federated_entries WHERE withdrawn = 1')).to.equal(2);
  });

  it('two peers listing the same IRIs keep apart: the origin wins, and a relay failing or going leaves the origin whole', async () => {
    const origin = await startPeer(behaviour());
    const relayBehaviour = behaviour({ idOrigin: origin.base, price: 5 });
    const relay = await startPeer(relayBehaviour);
    const o = await addPeer('origin', origin);
    const r = await addPeer('relay', relay);
    // Both first snapshots, at once.
    const [a, b] = await Promise.all([sync(o), sync(r)]);
    expect([a.ok, b.ok]).to.deep.equal([true, true]);
    expect(await count('SELECT COUNT(*) AS n FROM peer_resources WHERE peer_id = ?', [o.id])).to.equal(2 + PAGES * PER_PAGE * 3);
    expect(await count('SELECT COUNT(*) AS n FROM peer_resources WHERE peer_id = ?', [r.id])).to.equal(2 + PAGES * PER_PAGE * 3);
    // One listed row per item: the origin's (authoritative), at its price.
    const listed = await store.index.queryEntries({});
    expect(listed).to.have.length(PAGES * PER_PAGE);
    expect(new Set(listed.map((row) => row.peerId))).to.deep.equal(new Set([o.id]));
    const [rows, rebuilt] = await rowsAndRebuilt([o.id, r.id]);
    expect(rows).to.deep.equal(rebuilt);
    // The relay's next snapshot fails halfway: nothing of either peer changes.
    const before = await readRows(file, ENTRY_ROWS);
    relayBehaviour.price = 9;
    relayBehaviour.third = '500';
    expect((await sync(r)).ok).to.equal(false);
    expect(await readRows(file, ENTRY_ROWS)).to.deep.equal(before);
    // The relay removed: the origin's rows stay, winners all.
    expect(await store.provenance.removePeer(r.id)).to.equal(true);
    expect(await count('SELECT COUNT(*) AS n FROM federated_entries WHERE peer_id = ? AND winner = 1', [o.id])).to.equal(PAGES * PER_PAGE);
    expect(await count('SELECT COUNT(*) AS n FROM federated_entries WHERE peer_id <> ?', [o.id])).to.equal(0);
  });
});
