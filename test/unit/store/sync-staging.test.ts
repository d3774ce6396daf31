/**
 * The staging of snapshot runs on the SQLite store: what a run's pages list is staged in short transactions, the
 * run's end applies it in one transaction (records, absence, the federated index, read in chunks), and a run that
 * is dropped, or cleared by another process, applies nothing.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import type { CatalogItemRecord, DfcRecord, EnterpriseRecord, OfferRecord, SuppliedProductRecord } from '../../../ontology/records.js';
import type { Iri } from '../../../ontology/iri.js';
import { measureIri } from '../../../ontology/units.js';
import type { RunWrite, StagedResource } from '../../../server/store/federation.js';
import type { SqliteDatabase } from '../../../server/store/sqlite/database.js';
import { STAGING_DDL } from '../../../server/store/sqlite/provenance-store.js';
import { SqliteStore } from '../../../server/store/sqlite/sqlite-store.js';
import { withdrawalCutoff } from '../../../server/sync/merge.js';
import { resourceIds as ids } from '../../helpers/sample-records.js';
import { readRows } from '../../helpers/sqlite.js';

const BASE = 'http://node.test';
const PEER = 'https://peer.example';
const PAGE = `${PEER}/catalog`;
const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-02T00:00:00.000Z';

function offer(slug: string, price: number): [SuppliedProductRecord, CatalogItemRecord, OfferRecord] {
  const id = ids(PEER, 'farm', slug);
  return [
    { kind: 'SuppliedProduct', id: id.product, name: slug, images: [], variantOf: [], variants: [], catalogItems: [], suppliedBy: id.enterprise },
    { kind: 'CatalogItem', id: id.item, product: id.product, stock: 5, offers: [id.offer], managedBy: id.enterprise, listedIn: [] },
    { kind: 'Offer', id: id.offer, item: id.item, price: { value: price, currency: measureIri('Euro') }, stock: 5 },
  ];
}

function farm(): EnterpriseRecord {
  return { kind: 'Enterprise', id: ids(PEER, 'farm').enterprise, name: 'Farm', supplies: [], manages: [], maintains: [], customerCategories: [], affiliates: [] };
}

function staged(record: DfcRecord): StagedResource {
  const json = JSON.stringify(record);
  return { iri: record.id, write: { kind: record.kind, json, hash: createHash('sha1').update(json).digest('base64url'), authoritative: true, sourceUrl: PAGE } };
}

describe('store: snapshot runs staged page by page', () => {
  let dir: string;
  let file: string;
  let store: SqliteStore;
  let peerId: number;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-staging-'));
    file = join(dir, 'node.db');
    store = await SqliteStore.open({ path: file, baseUrl: BASE });
    peerId = (await store.provenance.addPeer({ name: 'peer', url: PAGE }, PEER)).id;
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const end = (write: Partial<RunWrite> & Pick<RunWrite, 'staged' | 'upserts'>, now = T0): RunWrite => ({
    sources: new Map([[PAGE, { etag: '"1"', lastModified: null }]]), changed: true, quarantine: [], replaceQuarantine: true, notModified: [], now,
    withdrawal: withdrawalCutoff(now, 3_600_000), ...write,
  });
  const count = async (table: string): Promise<number> => (await readRows<{ n: number }>(file, `SELECT COUNT(*) AS n FROM ${table}`))[0]?.n ?? -1;

  it('stages each page in its own transaction, the first listing winning, and applies everything at the end in one', async () => {
    const run = await store.provenance.beginRun(peerId, T0);
    const apple = offer('apple', 2);
    const pear = offer('pear', 3);
    await store.provenance.stage(run, [staged(farm()), ...apple.map(staged)]);
    // A later page listing the apple again: ignored.
    await store.provenance.stage(run, [staged({ ...apple[0], name: 'apple, again' }), ...pear.map(staged)]);
    expect(await count('sync_staging')).to.equal(7);
    expect([...await store.provenance.stagedAmong(run, [apple[0].id, 'https://peer.example/nothing'])]).to.deep.equal([apple[0].id]);
    // Nothing is applied before the end.
    expect(await count('peer_resources')).to.equal(0);
    const applied = await store.provenance.applyRun(peerId, run, end({ staged: 7, upserts: 7 }));
    expect(applied).to.deep.equal({ written: true, withdrawn: 0, indexedFromStaging: false });
    expect(await count('peer_resources')).to.equal(7);
    const names = await readRows<{ record: string }>(file, 'SELECT record FROM peer_resources WHERE iri = ?', [apple[0].id]);
    expect((JSON.parse(names[0]?.record ?? '{}') as { name: string }).name).to.equal('apple');
    expect((await store.index.queryEntries({})).map((r) => [r.itemIri, r.price])).to.deep.equal([[apple[1].id, 2], [pear[1].id, 3]]);
    // Told back in staging order, in chunks.
    const first = await store.provenance.stagedRecords(run, 0, 2);
    expect(first.map((r) => r.record.id)).to.deep.equal([farm().id, apple[0].id]);
    const rest = await store.provenance.stagedRecords(run, first[1]?.seq ?? 0, 100);
    expect(rest.map((r) => r.record.id)).to.deep.equal([apple[1].id, apple[2].id, pear[0].id, pear[1].id, pear[2].id]);
    await store.provenance.endRun(run);
    expect(await count('sync_staging')).to.equal(0);
    expect(await count('sync_runs')).to.equal(0);
  });

  it('ends a big run and records its attempt without waiting for the planner\'s statistics, refreshed after them', async () => {
    const db = (store as unknown as { db: SqliteDatabase }).db;
    const run = await store.provenance.beginRun(peerId, T0);
    const rows = Array.from({ length: 400 }, (_, i) => offer(`fruit-${i}`, 1 + i)).flat().map(staged);
    await store.provenance.stage(run, [staged(farm()), ...rows]);
    await store.provenance.applyRun(peerId, run, end({ staged: rows.length + 1, upserts: rows.length + 1 }));
    // The refresh held until released: neither the run's end nor its attempt's record may wait for it.
    const refresh = db.optimize.bind(db);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => { release = resolve; });
    let asked = 0;
    let refreshed: Promise<void> = Promise.resolve();
    db.optimize = () => {
      asked += 1;
      refreshed = held.then(refresh);
      return refreshed;
    };
    const within = async (work: Promise<unknown>): Promise<string> => Promise.race([
      work.then(() => 'done'),
      new Promise<string>((resolve) => { setTimeout(() => resolve('waited for the statistics'), 3000); }),
    ]);
    expect(await within(store.provenance.endRun(run))).to.equal('done');
    // Asked once the sync reports done, not before: the attempt's write would wait behind it in the writer's queue.
    expect(asked).to.equal(0);
    expect(await within(store.provenance.recordAttempt(peerId, {
      status: 'ok', at: T0, nextAttemptAt: T1, failures: 0, error: null, summary: null, owner: 'test',
    }))).to.equal('done');
    expect(asked).to.equal(1);
    expect(await count('sync_runs')).to.equal(0);
    release();
    await refreshed;
    expect((await readRows<{ n: number }>(file, "SELECT COUNT(*) AS n FROM sqlite_stat1 WHERE tbl = 'federated_entries'"))[0]?.n).to.be.above(0);
    // Once: the next attempt recorded asks nothing more.
    await store.provenance.recordAttempt(peerId, { status: 'ok', at: T1, nextAttemptAt: T1, failures: 0, error: null, summary: null, owner: 'test' });
    expect(asked).to.equal(1);
  });

  it('optimize asked while one is queued joins it', async () => {
    const db = (store as unknown as { db: SqliteDatabase }).db;
    const first = db.optimize();
    expect(db.optimize()).to.equal(first);
    await first;
    // Begun and done: the next ask queues its own.
    expect(db.optimize()).to.not.equal(first);
  });

  it('stages in a database of its own beside the file, not through the main database\'s log; a dead run\'s rows go at the next start', async () => {
    const run = await store.provenance.beginRun(peerId, T0);
    // Frames in the main database's log, as a passive checkpoint of a connection of the test's own tells them (-1 while
    // the store's own checkpoint runs: asked again).
    const frames = async (): Promise<number> => {
      for (let tries = 0; tries < 100; tries++) {
        const log = await new Promise<number>((resolve, reject) => {
          const db = new sqlite3.Database(file, (error) => {
            if (error !== null) reject(error);
            else db.get('PRAGMA wal_checkpoint(PASSIVE)', (e: Error | null, row?: { log: number }) => db.close(() => (e !== null ? reject(e) : resolve(row?.log ?? -1))));
          });
        });
        if (log >= 0) return log;
        await new Promise((resolve) => setImmediate(resolve));
      }
      throw new Error('the log was never free to look at');
    };
    const before = await frames();
    const rows = Array.from({ length: 300 }, (_, i) => offer(`item-${i}`, i)).flat().map(staged);
    await store.provenance.stage(run, rows);
    // The main database's log took the run's check only, not its 900 records (dozens of pages).
    const after = await frames();
    // Counted from the start of the log when a checkpoint let the writer start it again.
    expect(after >= before ? after - before : after).to.be.below(5);
    expect(await readRows<{ name: string }>(`${file}-staging`, "SELECT name FROM sqlite_master WHERE name = 'sync_staging'")).to.have.length(1);
    expect(await readRows<{ name: string }>(file, "SELECT name FROM main.sqlite_master WHERE name = 'sync_staging'")).to.have.length(0);
    expect(await count('sync_staging')).to.equal(rows.length);
    // The process dies: at the next start its run is stale, and its rows go with it.
    await store.close();
    store = await SqliteStore.open({ path: file, baseUrl: BASE });
    expect(await count('sync_staging')).to.equal(rows.length);
    expect(await store.provenance.clearStaleRuns(T1)).to.equal(1);
    expect(await count('sync_staging')).to.equal(0);
    // Left with no run (the two databases commit apart): dropped at the start.
    await store.close();
    await new Promise<void>((resolve, reject) => {
      const db = new sqlite3.Database(`${file}-staging`, (error) => {
        if (error !== null) reject(error);
        else db.run("INSERT INTO sync_staging (run_id, iri, kind, hash, authoritative, source_url) VALUES (99, 'x', 'Offer', 'h', 1, 'u')",
          (e: Error | null) => db.close(() => (e !== null ? reject(e) : resolve())));
      });
    });
    expect(await count('sync_staging')).to.equal(1);
    store = await SqliteStore.open({ path: file, baseUrl: BASE });
    expect(await count('sync_staging')).to.equal(0);
    // A damaged staging file (an OS crash without fsyncs) is made again, empty.
    await store.close();
    writeFileSync(`${file}-staging`, 'not a database, not at all, and longer than a header is: '.repeat(100));
    store = await SqliteStore.open({ path: file, baseUrl: BASE });
    const again = await store.provenance.beginRun(peerId, T1);
    await store.provenance.stage(again, offer('apple', 2).map(staged));
    expect(await count('sync_staging')).to.equal(3);
  });

  it('checks a record once, as it is staged; the end copies it unchecked, in @id order, and leaves the checks on; an older staging is checked at the end', async () => {
    const db = (store as unknown as { db: SqliteDatabase }).db;
    const run = await store.provenance.beginRun(peerId, T0);
    const apple = offer('apple', 2).map(staged);
    const broken = (r: StagedResource): StagedResource => ({ iri: r.iri, write: { ...(r.write as NonNullable<StagedResource['write']>), json: '{"id": "broken' } });
    // A record that is not JSON is refused as its page is staged (peer_resources would refuse it), and nothing of the page is.
    let refused: unknown;
    await store.provenance.stage(run, [apple[0] as StagedResource, broken(apple[1] as StagedResource)]).catch((error: unknown) => (refused = error));
    expect(String(refused)).to.match(/CHECK constraint failed/u);
    expect(await count('sync_staging')).to.equal(0);
    await store.provenance.stage(run, [staged(farm()), ...apple]);
    await store.provenance.applyRun(peerId, run, end({ staged: 4, upserts: 4 }));
    expect(await readRows(file, 'SELECT iri, record FROM peer_resources ORDER BY iri')).to.deep.equal(
      [staged(farm()), ...apple].map((r) => ({ iri: r.iri, record: r.write?.json })).sort((a, b) => (a.iri < b.iri ? -1 : 1)));
    // Written in `@id` order (the order of peer_resources' indexes by IRI), not in the order they were staged.
    const written = (await readRows<{ iri: string }>(file, 'SELECT iri FROM peer_resources ORDER BY rowid')).map((r) => r.iri);
    expect(written).to.deep.equal([...written].sort()).and.to.not.deep.equal([staged(farm()), ...apple].map((r) => r.iri));
    await store.provenance.endRun(run);
    // The writer checks again what it writes next.
    let unchecked: unknown;
    await db.transaction((tx) => tx.run("UPDATE peer_resources SET record = 'not JSON' WHERE iri = ?", [apple[0]?.iri ?? ''])).catch((error: unknown) => (unchecked = error));
    expect(String(unchecked)).to.match(/CHECK constraint failed/u);
    // A staging made before it checked records (a file kept from an older version): its rows are checked at the end,
    // and a record that is not JSON fails the run's end, which applies nothing.
    await db.transaction((tx) => tx.exec(`DROP TABLE staging.sync_staging; ${STAGING_DDL.replace(/CHECK \(record IS NULL OR json_valid\(record\)\)/u, '')}`));
    expect((await readRows<{ sql: string }>(`${file}-staging`, "SELECT sql FROM sqlite_master WHERE name = 'sync_staging'"))[0]?.sql).to.not.include('json_valid');
    const later = await store.provenance.beginRun(peerId, T1);
    const pear = offer('pear', 3).map(staged);
    await store.provenance.stage(later, [pear[0] as StagedResource, broken(pear[1] as StagedResource), pear[2] as StagedResource]);
    let failed: unknown;
    await store.provenance.applyRun(peerId, later, end({ staged: 3, upserts: 3 }, T1)).catch((error: unknown) => (failed = error));
    expect(String(failed)).to.match(/CHECK constraint failed/u);
    expect(await count('peer_resources')).to.equal(4);
  });

  it('marks what no page listed missing and withdraws it after the grace, in SQL, as planAbsence does', async () => {
    const apple = offer('apple', 2);
    const pear = offer('pear', 3);
    const first = await store.provenance.beginRun(peerId, T0);
    await store.provenance.stage(first, [farm(), ...apple, ...pear].map(staged));
    await store.provenance.applyRun(peerId, first, end({ staged: 7, upserts: 7 }));
    await store.provenance.endRun(first);
    // The pear is gone from the next snapshot, a day later: missing now, and withdrawn at once (the grace is an hour,
    // but it went missing only now).
    const second = await store.provenance.beginRun(peerId, T1);
    await store.provenance.stage(second, [farm(), ...apple].map((r) => ({ iri: r.id })));
    const applied = await store.provenance.applyRun(peerId, second, end({ staged: 4, upserts: 0, changed: false }, T1));
    expect(applied).to.deep.equal({ written: true, withdrawn: 0, indexedFromStaging: false });
    expect(await store.provenance.peerCounts(peerId)).to.deep.equal({ active: 4, missing: 3, withdrawn: 0 });
    await store.provenance.endRun(second);
    // A third snapshot, past the grace: the pear is withdrawn, and leaves the catalogue.
    const third = await store.provenance.beginRun(peerId, '2026-01-03T00:00:00.000Z');
    await store.provenance.stage(third, [farm(), ...apple].map((r) => ({ iri: r.id })));
    const later = await store.provenance.applyRun(peerId, third, end({ staged: 4, upserts: 0, changed: false }, '2026-01-03T00:00:00.000Z'));
    expect(later).to.deep.equal({ written: true, withdrawn: 3, indexedFromStaging: false });
    expect(await store.provenance.peerCounts(peerId)).to.deep.equal({ active: 4, missing: 0, withdrawn: 3 });
    expect((await store.index.queryEntries({})).map((r) => r.itemIri)).to.deep.equal([apple[1].id]);
    await store.provenance.endRun(third);
    // The same listing again, by a page answered 304: nothing changes, and nothing is written.
    const fourth = await store.provenance.beginRun(peerId, '2026-01-04T00:00:00.000Z');
    const unchanged = await store.provenance.applyRun(peerId, fourth, end({ staged: 0, upserts: 0, changed: false, notModified: [PAGE] }, '2026-01-04T00:00:00.000Z'));
    expect(unchanged).to.deep.equal({ written: false, withdrawn: 0 });
  });

  it('applies nothing when its staging was cleared under it (another run of the peer, or start-up)', async () => {
    const run = await store.provenance.beginRun(peerId, T0);
    await store.provenance.stage(run, offer('apple', 2).map(staged));
    // The next sync of the peer clears a run it finds (a process that died during it).
    const next = await store.provenance.beginRun(peerId, T1);
    expect(await count('sync_staging')).to.equal(0);
    let refused: unknown;
    try {
      await store.provenance.applyRun(peerId, run, end({ staged: 3, upserts: 3 }));
    } catch (error: unknown) {
      refused = error;
    }
    expect(String(refused)).to.match(/was cleared or changed under it/u);
    expect(await count('peer_resources')).to.equal(0);
    expect(await count('federated_entries')).to.equal(0);
    // Nor does it stage anything more: its rows would never be applied.
    let staging: unknown;
    await store.provenance.stage(run, offer('pear', 3).map(staged)).catch((error: unknown) => (staging = error));
    expect(String(staging)).to.match(/was cleared under it/u);
    expect(await count('sync_staging')).to.equal(0);
    // Start-up drops the runs older than a sync may last.
    await store.provenance.stage(next, offer('pear', 3).map(staged));
    expect(await store.provenance.clearStaleRuns(T0)).to.equal(0);
    expect(await store.provenance.clearStaleRuns('2026-01-03T00:00:00.000Z')).to.equal(1);
    expect(await count('sync_staging')).to.equal(0);
  });

  it('ends a run leaving the staging of another run as it was, and a removed peer takes its run\'s staging with it', async () => {
    const otherId = (await store.provenance.addPeer({ name: 'other', url: 'https://other.example/api/dfc/enterprises' }, 'https://other.example')).id;
    const run = await store.provenance.beginRun(peerId, T0);
    const other = await store.provenance.beginRun(otherId, T0);
    await store.provenance.stage(run, offer('apple', 2).map(staged));
    await store.provenance.stage(other, offer('pear', 3).map(staged));
    await store.provenance.endRun(run);
    expect(await readRows(file, 'SELECT run_id, COUNT(*) AS n FROM sync_staging GROUP BY run_id')).to.deep.equal([{ run_id: other, n: 3 }]);
    // The last run: cleared whole.
    await store.provenance.endRun(other);
    expect(await count('sync_staging')).to.equal(0);
    const again = await store.provenance.beginRun(otherId, T1);
    const mine = await store.provenance.beginRun(peerId, T1);
    await store.provenance.stage(again, offer('pear', 3).map(staged));
    await store.provenance.stage(mine, offer('apple', 2).map(staged));
    expect(await store.provenance.removePeer(otherId)).to.equal(true);
    expect(await readRows(file, 'SELECT run_id, COUNT(*) AS n FROM sync_staging GROUP BY run_id')).to.deep.equal([{ run_id: mine, n: 3 }]);
    expect(await count('sync_runs')).to.equal(1);
  });

  it('stages a page of many rows in page order, each text as it was bound before (a lone surrogate as U+FFFD), the first listing winning', async () => {
    const run = await store.provenance.beginRun(peerId, T0);
    // More rows than one statement stages (a page of 1,000 offers is 3,000 rows), a repeated one among them.
    const records = Array.from({ length: 700 }, (_, i) => offer(`item-${String(i).padStart(4, '0')}`, i)).flat();
    const odd: DfcRecord = { ...farm(), id: `${PEER}/farms/odd\ud800` as Iri, name: 'Ferme « lone \udc00 » 😀 \\ud800 \u0000 end' };
    const rows = [staged(farm()), ...records.map(staged), staged(odd), staged({ ...farm(), name: 'listed again' })];
    await store.provenance.stage(run, rows);
    expect(await count('sync_staging')).to.equal(rows.length - 1);
    const back = await readRows<{ iri: string; kind: string; record: string; hash: string; authoritative: number; source_url: string }>(
      file, 'SELECT iri, kind, record, hash, authoritative, source_url FROM sync_staging WHERE run_id = ? ORDER BY seq', [run]);
    const expected = rows.slice(0, -1);
    expect(back.map((r) => r.iri)).to.deep.equal(expected.map((r) => r.iri.replace(/\ud800$/u, '\ufffd')));
    back.forEach((r, i) => {
      const w = expected[i]?.write;
      expect([r.kind, r.record, r.hash, r.authoritative, r.source_url]).to.deep.equal([w?.kind, w?.json, w?.hash, 1, PAGE]);
    });
    // The record's text holds its lone surrogates escaped, as JSON.stringify wrote them: it reads back as it was.
    expect(JSON.parse(back[back.length - 1]?.record ?? '{}')).to.deep.equal(odd);
  });

  /** The statements the writer runs during `work` (those of triggers left out), as SQLite traces them. */
  const writerStatements = async (work: () => Promise<unknown>): Promise<string[]> => {
    const writer = (store as unknown as { db: { writerDb: sqlite3.Database } }).db.writerDb;
    const statements: string[] = [];
    const listener = (sql: string): void => {
      if (!sql.startsWith('--')) statements.push(sql.replace(/\s+/gu, ' ').trim());
    };
    writer.on('trace', listener);
    try {
      await work();
      // Traces come on turns of the event loop of their own (sqlite3 posts them from its thread).
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    } finally {
      writer.removeListener('trace', listener);
    }
    return statements;
  };

  it('begins the runs of peers begun together in one statement, outside any transaction, each replacing its peer\'s earlier run (issue 16)', async () => {
    const others = await Promise.all(['b', 'c'].map(async (name) => (await store.provenance.addPeer({ name, url: `https://${name}.example/` }, `https://${name}.example`)).id));
    const dead = await store.provenance.beginRun(peerId, T0);
    await store.provenance.stage(dead, offer('apple', 2).map(staged));
    let runs: number[] = [];
    const statements = await writerStatements(async () => {
      runs = await Promise.all([peerId, ...others].map((id) => store.provenance.beginRun(id, T1)));
    });
    expect(statements.filter((sql) => !sql.startsWith('PRAGMA'))).to.have.length(1);
    expect(statements.join('\n')).to.match(/^INSERT INTO sync_runs .* json_each/u);
    expect(new Set(runs).size).to.equal(3);
    expect(runs).to.not.include(dead);
    // One run a peer: the dead one went, with what it staged.
    expect(await readRows(file, 'SELECT id, peer_id FROM sync_runs ORDER BY peer_id')).to.deep.equal(
      [peerId, ...others].map((id, i) => ({ id: runs[i], peer_id: id })));
    expect(await count('sync_staging')).to.equal(0);
    // A removed peer's run is refused, and refuses only its own.
    expect(await store.provenance.removePeer(others[1] as number)).to.equal(true);
    const outcomes = await Promise.allSettled([peerId, others[1] as number].map((id) => store.provenance.beginRun(id, '2026-01-03T00:00:00.000Z')));
    expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected']);
    expect(await readRows(file, 'SELECT peer_id FROM sync_runs ORDER BY peer_id')).to.deep.equal([{ peer_id: peerId }, { peer_id: others[0] }]);
  });

  it('applies a first snapshot kept in memory with its rows staged by one statement, and none of the look-ups for rows it cannot hold yet (issue 16)', async () => {
    const run = await store.provenance.beginRun(peerId, T0);
    // More rows than a page stages in one statement (250), the farm listed again last (ignored: the first listing wins).
    const records = [farm(), ...Array.from({ length: 300 }, (_, i) => offer(`item-${String(i).padStart(4, '0')}`, i)).flat()];
    const rows = [...records.map(staged), staged({ ...farm(), name: 'listed again' })].map((r) => ({ ...r, entry: null }));
    const write = end({ staged: records.length, upserts: records.length, indexed: true, rows });
    let applied: unknown;
    const statements = await writerStatements(async () => {
      applied = await store.provenance.applyRun(peerId, run, write);
    });
    expect(applied).to.deep.equal({ written: true, withdrawn: 0, indexedFromStaging: true });
    expect(statements.filter((sql) => sql.startsWith('INSERT INTO memory_staging'))).to.have.length(1);
    expect(statements.filter((sql) => sql.startsWith('UPDATE peer_resources') || sql.startsWith('SELECT COUNT(*)'))).to.deep.equal([]);
    expect(await count('peer_resources')).to.equal(records.length);
    const kept = await readRows<{ record: string }>(file, 'SELECT record FROM peer_resources WHERE iri = ?', [farm().id]);
    expect((JSON.parse(kept[0]?.record ?? '{}') as { name: string }).name).to.equal('Farm');
    const end1 = await writerStatements(() => store.provenance.endRun(run));
    expect(end1).to.have.length(1);
    expect(await count('sync_runs')).to.equal(0);
    // The next snapshot (the peer holds rows now) leaves out the pear: missing, as planAbsence says, staged in memory too.
    const next = await store.provenance.beginRun(peerId, T1);
    const listed = records.filter((r) => !r.id.includes('item-0001')).map((r) => ({ iri: r.id }));
    const later = await store.provenance.applyRun(peerId, next, end({ staged: listed.length, upserts: 0, changed: false, rows: listed }, T1));
    expect(later).to.deep.equal({ written: true, withdrawn: 0, indexedFromStaging: false });
    expect(await store.provenance.peerCounts(peerId)).to.deep.equal({ active: records.length - 3, missing: 3, withdrawn: 0 });
    await store.provenance.endRun(next);
    // A run cleared under it (a later run of the peer) stages and applies nothing.
    const cleared = await store.provenance.beginRun(peerId, '2026-01-03T00:00:00.000Z');
    await store.provenance.beginRun(peerId, '2026-01-03T00:00:01.000Z');
    let refused: unknown;
    await store.provenance.applyRun(peerId, cleared, end({ staged: 1, upserts: 1, rows: [staged({ ...farm(), name: 'Renamed' })] }, '2026-01-03T00:00:00.000Z'))
      .catch((error: unknown) => (refused = error));
    expect(String(refused)).to.match(/was cleared under it/u);
    const farmNow = await readRows<{ record: string }>(file, 'SELECT record FROM peer_resources WHERE iri = ?', [farm().id]);
    expect((JSON.parse(farmNow[0]?.record ?? '{}') as { name: string }).name).to.equal('Farm');
  });

  it('applies the snapshots of peers queued together in one commit, each in its own savepoint: one that fails leaves the others applied (issue 16)', async () => {
    /** A peer at `origin` and its first snapshot (a farm and two offers), kept in memory. */
    const peerAt = async (name: string, origin: string) => {
      const id = name === 'peer' ? peerId : (await store.provenance.addPeer({ name, url: `${origin}/catalog` }, origin)).id;
      const e = ids(origin, 'farm').enterprise;
      const records: DfcRecord[] = [{ ...farm(), id: e }, ...['apple', 'pear'].flatMap((slug) => offer(slug, 2).map((r) => {
        const o = ids(origin, 'farm', slug);
        const same = { ...r, id: r.kind === 'SuppliedProduct' ? o.product : r.kind === 'CatalogItem' ? o.item : o.offer } as DfcRecord;
        if (same.kind === 'SuppliedProduct') return { ...same, suppliedBy: e };
        if (same.kind === 'CatalogItem') return { ...same, product: o.product, offers: [o.offer], managedBy: e };
        return { ...same, item: o.item } as DfcRecord;
      }))];
      return { id, rows: records.map(staged).map((r) => ({ ...r, entry: null })) };
    };
    const peers = [await peerAt('peer', PEER), await peerAt('second', 'https://second.example'), await peerAt('third', 'https://third.example')];
    const runs = await Promise.all(peers.map((p) => store.provenance.beginRun(p.id, T0)));
    // The second's run is cleared under it (a later run of the peer): its apply fails, alone.
    await store.provenance.beginRun(peers[1]?.id ?? 0, T1);
    const applies = peers.map((p, i) => store.provenance.applyRun(p.id, runs[i] ?? 0, end({ staged: p.rows.length, upserts: p.rows.length, indexed: true, rows: p.rows })));
    let outcomes: PromiseSettledResult<unknown>[] = [];
    const statements = await writerStatements(async () => {
      outcomes = await Promise.allSettled(applies);
    });
    expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).to.match(/was cleared under it/u);
    // One commit for the three (the first queued alone, the others in savepoints), the failed one rolled back to its own.
    expect(statements.filter((sql) => /^(BEGIN|COMMIT|SAVEPOINT|ROLLBACK)/u.test(sql))).to.deep.equal(
      ['BEGIN IMMEDIATE', 'SAVEPOINT unit', 'ROLLBACK TO unit', 'SAVEPOINT unit', 'COMMIT']);
    const held = await readRows<{ peer_id: number; n: number }>(file, 'SELECT peer_id, COUNT(*) AS n FROM peer_resources GROUP BY peer_id ORDER BY peer_id');
    expect(held).to.deep.equal([{ peer_id: peers[0]?.id, n: 7 }, { peer_id: peers[2]?.id, n: 7 }]);
    const indexed = await readRows<{ peer_id: number; n: number }>(file, 'SELECT peer_id, COUNT(*) AS n FROM federated_entries GROUP BY peer_id ORDER BY peer_id');
    expect(indexed).to.deep.equal([{ peer_id: peers[0]?.id, n: 2 }, { peer_id: peers[2]?.id, n: 2 }]);
  });

  it('records an attempt in two statements, and sets the relays of an origin again when its peer becomes whole (issue 16)', async () => {
    const whole = (await store.provenance.addPeer({ name: 'whole', url: 'https://whole.example/' }, 'https://whole.example')).id;
    const at = T1;
    const statements = await writerStatements(() => store.provenance.recordAttempt(whole, {
      status: 'ok', at, nextAttemptAt: '2026-01-02T01:00:00.000Z', failures: 0, error: null, summary: null, owner: 'me',
    }));
    // Its first success makes it whole: the relays of its origin are looked for (none here).
    expect(statements.filter((sql) => !/^(BEGIN|COMMIT|PRAGMA)/u.test(sql)).slice(0, 2).map((sql) => sql.slice(0, 15))).to.deep.equal(['SELECT p.interv', 'UPDATE peers SE']);
    expect(statements.some((sql) => sql.includes("FROM peers WHERE origin <> 'https://whole.example'"))).to.equal(true);
    // Whole already: two statements, nothing to set again.
    const again = await writerStatements(() => store.provenance.recordAttempt(whole, {
      status: 'ok', at: '2026-01-02T02:00:00.000Z', nextAttemptAt: '2026-01-02T03:00:00.000Z', failures: 0, error: null, summary: null, owner: 'me',
    }));
    expect(again.filter((sql) => !/^(BEGIN|COMMIT|PRAGMA)/u.test(sql))).to.have.length(2);
    expect((await store.provenance.getPeer(whole))?.lastSuccessAt).to.equal('2026-01-02T02:00:00.000Z');
  });

  it('notes the feed states of peers synced together in one statement, outside any transaction, as each alone would (issue 16)', async () => {
    const others = await Promise.all(['b', 'c'].map(async (name) => (await store.provenance.addPeer({ name, url: `https://${name}.example/` }, `https://${name}.example`)).id));
    await store.feed.setPeerFeed(peerId, { feedUrl: `${PEER}/feed`, cursor: 3 });
    const statements = await writerStatements(() => Promise.all([
      store.feed.setPeerFeed(peerId, { cursor: 42, stream: 'odd \ud800 stream' }),
      store.feed.setPeerFeed(others[0] as number, { feedUrl: '' }),
      store.feed.setPeerFeed(others[1] as number, { feedUrl: 'https://c.example/feed', cursor: 7 }),
    ]));
    // Each state is read first (on a reader): those whose reads end in the same turn share one statement (how many do
    // depends on the readers' timing: three under a loaded CI run), and none is written in a transaction of its own.
    const writes = statements.filter((sql) => !sql.startsWith('PRAGMA'));
    expect(writes.length).to.be.within(1, 3);
    for (const sql of writes) expect(sql).to.match(/^INSERT INTO peer_feeds .* json_each/u);
    expect(await store.feed.peerFeed(peerId)).to.deep.equal({ feedUrl: `${PEER}/feed`, cursor: 42, stream: 'odd \ufffd stream', secret: null, subscriptionUrl: null });
    expect(await store.feed.peerFeed(others[0] as number)).to.deep.equal({ feedUrl: '', cursor: null, stream: null, secret: null, subscriptionUrl: null });
    expect(await store.feed.peerFeed(others[1] as number)).to.deep.equal({ feedUrl: 'https://c.example/feed', cursor: 7, stream: null, secret: null, subscriptionUrl: null });
    expect(await readRows(file, 'SELECT typeof(cursor) AS t FROM peer_feeds WHERE peer_id = ?', [peerId])).to.deep.equal([{ t: 'integer' }]);
  });
});
