/**
 * A sync killed in the middle of its transaction (SIGKILL, sent from outside) leaves the database intact with
 * the previous snapshot, and the peer failed with backoff (the attempt was recorded as a failure before the
 * sync began): neither `serve` nor `maillon sync` syncs it again until its backoff is over, so a document that
 * kills the process cannot make a crash loop; `maillon sync --peer` still forces it, and completes.
 *
 * No hook in the product: `maillon sync` runs in a child process against a fake peer; once the peer has served
 * the last page, the test probes the database's write lock (a `BEGIN IMMEDIATE` of its own that fails with
 * SQLITE_BUSY) and kills the child while it holds it. After the last page the child writes twice: the snapshot
 * (one transaction, made long by a big catalogue) and then the peer's state. Finding the previous snapshot
 * intact after the kill therefore proves the kill landed inside the snapshot's transaction: had it landed in
 * the second one, the new snapshot would have been committed already.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../server/cli/main.js';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/logging.js';
import { openNode } from '../../server/main.js';
import { duePeers, SyncScheduler } from '../../server/sync/scheduler.js';
import { UNFINISHED_SYNC } from '../../server/sync/sync-engine.js';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.js';
import { openProbe, readRows, writeLocked } from '../helpers/sqlite.js';

const ROOT = join(import.meta.dirname, '../..');
const CONTEXT = 'https://w3id.org/dfc/ontology/context/context_1.16.0.json';

interface Item {
  readonly slug: string;
  readonly name: string;
  readonly price: number;
}

/** A DFC 1.16 catalogue of one enterprise under `origin`. */
function catalogue(origin: string, items: readonly Item[]): string {
  const e = `${origin}/api/dfc/enterprises/ferme`;
  return JSON.stringify({
    '@context': CONTEXT,
    '@graph': [
      { '@id': e, '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Ferme', 'dfc-b:supplies': items.map((i) => `${e}/supplied_products/${i.slug}`) },
      ...items.flatMap((i) => [
        { '@id': `${e}/supplied_products/${i.slug}`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': i.name, 'dfc-b:suppliedBy': e },
        {
          '@id': `${e}/catalog_items/${i.slug}`, '@type': 'dfc-b:CatalogItem', 'dfc-b:references': `${e}/supplied_products/${i.slug}`,
          'dfc-b:stockLimitation': 10, 'dfc-b:offeredThrough': `${e}/offers/${i.slug}`, 'dfc-b:managedBy': e,
        },
        {
          '@id': `${e}/offers/${i.slug}`, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': `${e}/catalog_items/${i.slug}`,
          'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': i.price, 'dfc-b:hasUnit': 'dfc-m:Euro' },
        },
      ]),
    ],
  });
}

const V1: Item[] = [{ slug: 'pommes', name: 'Pommes', price: 2.4 }, { slug: 'poires', name: 'Poires', price: 3.1 }];
const V2: Item[] = [
  { slug: 'pommes', name: 'Pommes Reinette', price: 2.9 }, { slug: 'poires', name: 'Poires', price: 3.5 },
  { slug: 'coings', name: 'Coings', price: 4.2 },
];

/** V2 and enough more items that applying it takes a while: the transaction the test kills. */
const V2_BIG: Item[] = [...V2, ...Array.from({ length: 3000 }, (_, i) => ({ slug: `extra-${i}`, name: `Extra ${i}`, price: 1 + (i % 50) / 10 }))];

const query = <T>(file: string, sql: string): Promise<T[]> => readRows<T>(file, sql);

interface Row {
  iri: string; record: string; hash: string; updated_at: string; missing_since: string | null; withdrawn_at: string | null;
}

interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly out: string;
  readonly err: string;
}

/** `maillon sync` in a child process, as an operator (or cron) runs it. */
function syncInChild(db: string, dir: string, env: NodeJS.ProcessEnv, ...options: string[]): { child: ChildProcess; done: Promise<ChildResult> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/bin.ts', 'sync', ...options, '--db', db, '--data-dir', dir, '--allow-private'], {
    cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const done = new Promise<ChildResult>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, out, err }));
  });
  return { child, done };
}

describe('a sync killed in the middle of its transaction', function () {
  this.timeout(20_000);

  let peer: FakePeer;
  let base: string;
  let doc = { body: '', etag: '"v1"' };
  let dir: string;
  let db: string;
  /** Called when the peer has sent a whole answer to the catalogue. */
  let served: (() => void) | undefined;
  /** The `If-None-Match` of every request, '' for none. */
  const hits = (): string[] => peer.hits.map((h) => String(h.headers['if-none-match'] ?? ''));

  const cli = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = '';
    let err = '';
    const code = await run([...argv, '--db', db, '--data-dir', dir], { out: (t) => void (out += t), err: (t) => void (err += t) });
    return { code, out, err };
  };
  const resources = (): Promise<Row[]> => query<Row>(db, 'SELECT iri, record, hash, updated_at, missing_since, withdrawn_at FROM peer_resources ORDER BY iri');
  const expectedIris = (items: readonly Item[]): string[] => {
    const e = `${base}/api/dfc/enterprises/ferme`;
    return [e, ...items.flatMap((i) => [`${e}/catalog_items/${i.slug}`, `${e}/offers/${i.slug}`, `${e}/supplied_products/${i.slug}`])].sort();
  };
  const pricesOf = (rows: readonly Row[]): Record<string, number> => Object.fromEntries(rows
    .map((r) => JSON.parse(r.record) as { kind: string; id: string; price?: { value: number } })
    .filter((r) => r.kind === 'Offer')
    .map((r) => [r.id.slice(r.id.lastIndexOf('/') + 1), r.price?.value ?? NaN]));

  before(async () => {
    peer = await startFakePeer((req, res) => {
      if (req.headers['if-none-match'] === doc.etag) {
        res.writeHead(304, { etag: doc.etag }).end();
        return;
      }
      if (req.url === '/catalog') res.once('finish', () => served?.());
      res.writeHead(200, { 'content-type': 'application/ld+json', 'content-length': Buffer.byteLength(doc.body), etag: doc.etag });
      res.end(doc.body);
    });
    base = peer.base;
    doc = { body: catalogue(base, V1), etag: '"v1"' };
    dir = mkdtempSync(join(tmpdir(), 'maillon-crash-'));
    db = join(dir, 'node.db');
  });

  after(async () => {
    await peer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  let v1: Row[];

  it('holds v1 after a normal sync', async () => {
    expect((await cli('peer', 'add', `${base}/catalog`, '--name', 'ferme', '--allow-private')).code).to.equal(0);
    const synced = await cli('sync', '--allow-private');
    expect(synced.code, synced.out + synced.err).to.equal(0);
    v1 = await resources();
    expect(v1.map((r) => r.iri)).to.deep.equal(expectedIris(V1));
    expect(pricesOf(v1)).to.deep.equal({ pommes: 2.4, poires: 3.1 });
  });

  it('dies by SIGKILL inside the snapshot transaction, leaving the database intact with v1', async () => {
    doc = { body: catalogue(base, V2_BIG), etag: '"v2-big"' };
    const before = hits().length;
    const lastPage = new Promise<void>((resolve) => (served = resolve));
    const { child, done } = syncInChild(db, dir, { ...process.env, MAILLON_LOG_LEVEL: 'silent' });
    let exited = false;
    void done.then(() => (exited = true), () => (exited = true));
    await Promise.race([lastPage, done]);
    served = undefined;
    // Every page is served: the next write lock the child takes is the snapshot's transaction. Kill it there.
    const probe = await openProbe(db);
    try {
      while (!exited && !(await writeLocked(probe))) await new Promise((resolve) => setTimeout(resolve, 1));
      child.kill('SIGKILL');
    } finally {
      await new Promise<void>((resolve) => probe.close(() => resolve()));
    }
    const killed = await done;
    expect(killed.signal, `exit code ${killed.code}, stderr: ${killed.err}`).to.equal('SIGKILL');
    expect(killed.out).not.to.match(/added/u); // it never got to print its summary
    // It did fetch v2 (conditionally, with v1's ETag) before dying.
    expect(hits().slice(before)).to.deep.equal(['"v1"']);

    const integrity = await query<{ integrity_check: string }>(db, 'PRAGMA integrity_check');
    expect(integrity).to.deep.equal([{ integrity_check: 'ok' }]);
    // The previous snapshot, row for row (updated_at included): the half-done transaction left no trace.
    expect(await resources()).to.deep.equal(v1);
    const sources = await query<{ etag: string }>(db, 'SELECT etag FROM peer_sources');
    expect(sources).to.deep.equal([{ etag: '"v1"' }]);
    // The peer was marked as syncing, with a failure's backoff, before the sync began: the kill left it so (its last
    // outcome kept, until the next start counts the mark as a failure).
    const peers = await query<{ status: string; failures: number; last_error: string | null; next_attempt_at: string; last_success_at: string | null; sync_started_at: string | null }>(
      db, 'SELECT status, failures, last_error, next_attempt_at, last_success_at, sync_started_at FROM peers');
    expect(peers).to.have.length(1);
    expect(peers[0]).to.deep.include({ status: 'ok', failures: 0, last_error: null });
    expect(peers[0]?.sync_started_at).to.be.a('string');
    expect(Date.parse(peers[0]?.next_attempt_at ?? '')).to.be.above(Date.now());
    expect(peers[0]?.last_success_at).not.to.equal(null); // v1's success is still on record
    const entries = await query<{ price: number }>(db, 'SELECT price FROM federated_entries ORDER BY price');
    expect(entries.map((e) => e.price)).to.deep.equal([2.4, 3.1]);
  });

  it('is not synced again by a serve started right after, before its backoff is over', async () => {
    const before = peer.hits.length;
    const node = await openNode(loadConfig({ db, 'data-dir': dir, 'allow-private': true }, {}), createLogger('silent'));
    try {
      const peers = await node.store.provenance.listPeers();
      // The start counted the sync the killed process left as a failure.
      expect(peers[0]).to.deep.include({ status: 'failed', failures: 1, lastError: `internal: ${UNFINISHED_SYNC.message}`, syncingSince: null });
      expect(duePeers(peers, new Date(), new Set(), 4), 'due now').to.deep.equal([]);
      const nextAttempt = new Date(Date.parse(peers[0]?.nextAttemptAt ?? ''));
      expect(duePeers(peers, nextAttempt, new Set(), 4).map((p) => p.name), 'due at its next attempt').to.deep.equal(['ferme']);
      // serve's schedule, ticking fast: many ticks, and not one sync of the peer.
      const scheduler = new SyncScheduler({ engine: node.engine, provenance: node.store.provenance, timers: node.timers, tickMs: 20 });
      scheduler.start();
      await new Promise((resolve) => setTimeout(resolve, 400));
      await scheduler.stop();
    } finally {
      await node.close();
    }
    expect(peer.hits.length).to.equal(before);
  });

  it('is not synced by maillon sync (as cron runs it) before its backoff is over, which says so', async () => {
    const before = peer.hits.length;
    const { code, out } = await cli('sync', '--allow-private');
    expect(code).to.equal(1);
    expect(out).to.match(/^ferme\s+-\s+-\s+-\s+-\s+-\s+-\s+-\s+not synced: in backoff until \d{4}-\d\d-\d\dT\S+ \(--peer ferme forces it\)$/mu);
    expect(peer.hits.length).to.equal(before);
    const peers = await query<{ status: string; failures: number }>(db, 'SELECT status, failures FROM peers');
    expect(peers).to.deep.equal([{ status: 'failed', failures: 1 }]);
  });

  it('completes the next sync, forced by maillon sync --peer, and then holds v2', async () => {
    doc = { body: catalogue(base, V2), etag: '"v2"' };
    const env: NodeJS.ProcessEnv = { ...process.env, MAILLON_LOG_LEVEL: 'silent' };
    const child = await syncInChild(db, dir, env, '--peer', 'ferme').done;
    expect(child.code, child.err).to.equal(0);
    expect(child.signal).to.equal(null);
    // added: coings (product, item, offer); updated: pommes' product and offer, poires' offer (the enterprise's
    // supplies/manages are not kept from peers, so it is unchanged); unchanged: the enterprise, both items and
    // poires' product.
    expect(child.out).to.match(/^ferme\s+3\s+3\s+0\s+0\s+4\s.*ok$/mu);
    const v2 = await resources();
    expect(v2.map((r) => r.iri)).to.deep.equal(expectedIris(V2));
    expect(pricesOf(v2)).to.deep.equal({ pommes: 2.9, poires: 3.5, coings: 4.2 });
    expect(v2.every((r) => r.missing_since === null && r.withdrawn_at === null)).to.equal(true);
    expect(await query(db, 'PRAGMA integrity_check')).to.deep.equal([{ integrity_check: 'ok' }]);
    expect(await query(db, 'SELECT etag FROM peer_sources')).to.deep.equal([{ etag: '"v2"' }]);
    expect(await query(db, 'SELECT status, failures, last_error FROM peers')).to.deep.equal([{ status: 'ok', failures: 0, last_error: null }]);
  });
});
