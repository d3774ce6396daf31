/**
 * The Solid benchmark: a catalogue of {@link PRODUCTS} products published into a pod and synced back from it.
 *
 * A Community Solid Server (in memory, loopback, started by the tests' helper in a child process) and two nodes in
 * this process (parts built by `openNode`, temporary SQLite files; B with `MAILLON_ALLOW_PRIVATE=1`):
 *  - A holds one enterprise with a generated catalogue of {@link PRODUCTS} offers;
 *  - publish: cold (every document new), incremental (one offer's price changed: one document written), and a full
 *    republish (`force`: every document written again), the count of PUTs checked on each;
 *  - sync back: B adds the pod container as a peer of kind `solid` and syncs it cold (every document fetched and
 *    decoded), then incrementally after one more product changed (conditional GETs: one document answers 200, the
 *    others 304), against a fresh node's full sync of the same pod (node C).
 *
 * Each operation runs once (publishing changes the pod: it cannot be repeated as it was); the figures are single
 * runs. The temporary folders are removed at the end.
 *
 * @packageDocumentation
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../server/config.js';
import { createLogger } from '../server/logging.js';
import { openNode, type NodeParts } from '../server/main.js';
import { containerUrl, publishToPod, type PublishSummary } from '../server/solid/publisher.js';
import type { SyncSummary } from '../server/store/federation.js';
import { startSolidServer } from '../test/helpers/solid-server.js';
import { generateCatalog } from './catalog-generator.js';
import { formatMs, groupLog, type BenchResult } from './harness.js';

const GROUP = 'solid';
const log = groupLog(GROUP);
const PRODUCTS = 1_000;
const EID = 'bench-farm';

async function node(dir: string): Promise<NodeParts> {
  return openNode(loadConfig({ 'data-dir': dir, 'base-url': 'http://bench.test' }, { MAILLON_ALLOW_PRIVATE: '1', MAILLON_SYNC_SCHEDULE: 'off' }), createLogger('silent'));
}

/** Changes the price of the n-th offer of the catalogue. */
async function changeOne(a: NodeParts, n: number): Promise<void> {
  const { entries } = await a.catalog.catalogue(EID);
  const offer = entries[n]?.offers[0];
  if (offer === undefined) throw new Error(`no offer #${n}`);
  const id = a.catalog.urls.localId(EID, 'offers', offer.id);
  if (id === undefined) throw new Error(`offer ${offer.id} has no local id`);
  await a.catalog.updateOffer(EID, id, { text: JSON.stringify({ 'dfc-b:hasPrice': (offer.price?.value ?? 1) + 1.01 }), mediaType: 'application/json' });
}

function summaryNote(s: SyncSummary): string {
  return `${s.added} added, ${s.updated} updated, ${s.unchanged} unchanged, ${s.pages} documents (${s.notModified} 304), ${Math.round(s.bytes / 1024)} KiB`;
}

/** Runs the benchmark. */
export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'maillon-bench-solid-'));
  const css = await startSolidServer();
  const a = await node(join(dir, 'a'));
  const b = await node(join(dir, 'b'));
  const c = await node(join(dir, 'c'));
  const results: BenchResult[] = [];
  try {
    const decoded = await a.decoder.decode(JSON.stringify(generateCatalog(PRODUCTS)));
    await a.catalog.createEnterprise(decoded.records, { eid: EID });
    await a.catalog.importRecords(EID, decoded.records);
    const container = containerUrl(css.url, EID);
    let puts = 0;
    const counting: typeof fetch = (input, init) => {
      if (init?.method === 'PUT') puts++;
      return fetch(input, init);
    };
    const publish = async (name: string, force: boolean, expected: number): Promise<PublishSummary> => {
      puts = 0;
      const start = performance.now();
      const summary = await publishToPod({ eid: EID, container, catalogue: a.catalog, ledger: a.store.solid, fetch: counting, force });
      const ms = performance.now() - start;
      if (summary.conflicts.length > 0) throw new Error(`${name}: conflicts ${JSON.stringify(summary.conflicts.slice(0, 2))}`);
      if (summary.written.length !== expected || puts !== expected) throw new Error(`${name}: ${summary.written.length} written, ${puts} PUTs, expected ${expected}`);
      log(`${name}: ${summary.written.length} documents written in ${formatMs(ms)}`);
      results.push({ group: GROUP, name, ms, runs: 1, offers: PRODUCTS, note: `${puts} PUTs, ${summary.unchanged} unchanged` });
      return summary;
    };
    const cold = await publish(`publish ${PRODUCTS} products, cold`, false, PRODUCTS + 2);
    await changeOne(a, 7);
    await publish('publish again, one product changed', false, 1);
    await publish('full republish (every document)', true, cold.written.length);

    const sync = async (name: string, into: NodeParts): Promise<SyncSummary> => {
      const peer = (await into.store.provenance.getPeer('pod')) ?? await into.store.provenance.addPeer({ name: 'pod', url: container, kind: 'solid' }, new URL(container).origin);
      const start = performance.now();
      const outcome = await into.engine.sync(peer);
      const ms = performance.now() - start;
      if (!outcome.ok) throw new Error(`${name}: ${JSON.stringify(outcome.failure)}`);
      log(`${name}: ${summaryNote(outcome.summary)} in ${formatMs(ms)}`);
      results.push({ group: GROUP, name, ms, runs: 1, offers: PRODUCTS, note: summaryNote(outcome.summary) });
      return outcome.summary;
    };
    const first = await sync('sync back from the pod, cold', b);
    if (first.added < PRODUCTS * 3) throw new Error(`the cold sync added ${first.added} records, expected at least ${PRODUCTS * 3}`);
    await changeOne(a, 11);
    await publish('publish one more change', false, 1);
    const incremental = await sync('sync again, one product changed (conditional)', b);
    if (incremental.updated < 1 || incremental.added !== 0) throw new Error(`the incremental sync: ${summaryNote(incremental)}`);
    const full = await sync('full sync of the same pod (a fresh node)', c);
    const incrementalMs = results.at(-2)?.ms ?? 0;
    const fullMs = results.at(-1)?.ms ?? 0;
    results[results.length - 2] = { ...(results.at(-2) as BenchResult), ratio: `${(fullMs / Math.max(incrementalMs, 1)).toFixed(1)}× faster than a full sync` };
    const republishMs = results.find((r) => r.name === 'full republish (every document)')?.ms ?? 0;
    const oneMs = results.find((r) => r.name === 'publish again, one product changed')?.ms ?? 0;
    const index = results.findIndex((r) => r.name === 'publish again, one product changed');
    results[index] = { ...(results[index] as BenchResult), ratio: `${(republishMs / Math.max(oneMs, 1)).toFixed(1)}× faster than a full republish` };
    if (full.added < PRODUCTS * 3) throw new Error(`the full sync added ${full.added} records`);
  } finally {
    await Promise.all([a.close(), b.close(), c.close(), css.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
