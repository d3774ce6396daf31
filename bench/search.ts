/**
 * The text search benchmark: a federated index seeded with 100,000 offers (French names with accents and
 * ligatures, descriptions, product types, 1,000 enterprises), then `FederationService.query` with `q` as people
 * type it (folded, ranked by bm25, the last word a prefix), and the first page's rows: what
 * `GET /api/federation/catalog?q=…` does before rendering.
 *
 * The rows are written straight into the index tables (with the search text the index itself computes, see
 * `entriesOf`): seeding 100,000 offers through syncs is the federation benchmark's job, not this one's.
 *
 * @packageDocumentation
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { foldText } from '../ontology/fold.js';
import { STARTER_PRODUCT_TYPES } from '../ontology/product-types.js';
import { productTypeLabels, Taxonomy } from '../ontology/taxonomy.js';
import { DFC_PT_NS } from '../ontology/vocabulary.js';
import { FederationService } from '../server/federation/federation-service.js';
import { SqliteDatabase } from '../server/store/sqlite/database.js';
import { insertMany } from '../server/store/sqlite/chunks.js';
import { migrate } from '../server/store/sqlite/migrations.js';
import { SqliteStore } from '../server/store/sqlite/sqlite-store.js';
import { formatMs, groupLog, percentile, type BenchResult } from './harness.js';
import { random } from './territory-seed.js';

const GROUP = 'search';
const log = groupLog(GROUP);
const OFFERS = 100_000;
const ENTERPRISES = 1000;
const PAGE_SIZE = 100;
const WARMUP = 3;
const RUNS = 30;
const TARGET_P95_MS = 50;

/** What people search, as they type it: no accents, ligatures spelled out, prefixes, two words, a type label. */
const QUERIES = ['chevre', 'oeufs', 'tom', 'miel chataignier', 'legume', 'fromage de brebis', 'Ferme 42', 'pain'] as const;

const NAMES = ['Tomates anciennes', 'Crottin de chèvre', 'Œufs frais plein air', 'Pommes Reinette', 'Miel de châtaignier', 'Carottes des sables',
  'Fromage de brebis', 'Pain de campagne', 'Jus de pomme', 'Confiture de fraises', 'Poireaux', 'Courges butternut', 'Bière blonde',
  'Yaourt nature', 'Épinards', 'Échalotes', 'Lait cru', 'Beurre demi-sel', 'Cidre brut', 'Pâtes fraîches'];
const WORDS = ['bio', 'local', 'de saison', 'récolté ce matin', 'à la ferme', 'sans traitement', 'plein champ', 'fermier', 'artisanal',
  'Limousin', 'Corrèze', 'Haute-Vienne', 'cœur', 'vrac', 'panier', 'barquette', 'kilo', 'botte'];

/** Writes the index rows of {@link OFFERS} offers into a new database. */
async function seed(path: string): Promise<void> {
  const db = await SqliteDatabase.open(path);
  try {
    await migrate(db);
    const next = random(42);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
    const types = STARTER_PRODUCT_TYPES.map(([local]) => `${DFC_PT_NS}${local}`);
    const rows: (string | number | null)[][] = [];
    for (let i = 0; i < OFFERS; i++) {
      const e = i % ENTERPRISES;
      const enterprise = `http://peer-${e % 100}.example/api/dfc/enterprises/ferme-${e}`;
      const enterpriseName = `Ferme ${e}`;
      const name = `${pick(NAMES)} ${pick(WORDS)}`;
      const description = Array.from({ length: 4 + Math.floor(next() * 8) }, () => pick(WORDS)).join(' ');
      const type = pick(types);
      const search = foldText([name, description, ...productTypeLabels(type), enterpriseName].join(' '));
      const product = `${enterprise}/supplied_products/${i}`;
      rows.push([`peer:${e % 100}`, `${enterprise}/catalog_items/${i}`, product, product, `${enterprise}/offers/${i}`, enterprise, 1, 1, name,
        search, type, 5, 1, 1 + (i % 20), 'dfc-m:Euro', 45 + next(), 1 + next(), '87000', enterpriseName, 'Limoges', 1, 'dfc-m:Kilogram']);
    }
    await db.transaction(async (tx) => {
      await insertMany(tx, `INSERT INTO federated_entries (source, item_iri, product_iri, product_key, offer_iri, enterprise_iri, rank, winner,
        name, search, product_type, stock, in_stock, price, currency, latitude, longitude, postcode, enterprise_name, city, quantity, quantity_unit)`,
      22, rows);
    });
  } finally {
    await db.close();
  }
}

/** Runs the text search benchmark. */
export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'maillon-bench-search-'));
  let store: SqliteStore | undefined;
  try {
    const path = join(dir, 'node.db');
    const seeded = performance.now();
    await seed(path);
    log(`seeded ${OFFERS.toLocaleString('en-US')} offers (FTS5 index by triggers) in ${formatMs(performance.now() - seeded)}`);
    store = await SqliteStore.open({ path, baseUrl: 'http://node.test' });
    const service = new FederationService(store.index, { listEnterprises: async () => [], publishedRecords: async () => [] },
      () => Taxonomy.builtin(), async () => new Map());
    const results: BenchResult[] = [];
    const all: number[] = [];
    for (const q of QUERIES) {
      const times: number[] = [];
      let matches = 0;
      // With q, at most MAX_TEXT_MATCHES (the best) are listed.
      for (let i = 0; i < WARMUP + RUNS; i++) {
        const started = performance.now();
        const found = await service.query({ q });
        await service.rows(found.slice(0, PAGE_SIZE));
        const took = performance.now() - started;
        matches = found.length;
        if (i >= WARMUP) times.push(took);
      }
      if (matches === 0) throw new Error(`q=${q} found nothing: the seeded names should match it`);
      const sorted = [...times].sort((a, b) => a - b);
      all.push(...times);
      log(`q=${JSON.stringify(q)}: ${matches.toLocaleString('en-US')} matches, p50 ${formatMs(percentile(sorted, 50))}, p95 ${formatMs(percentile(sorted, 95))}`);
      results.push({
        group: GROUP, name: `q=${q} (query + first ${PAGE_SIZE} rows)`, ms: percentile(sorted, 50), runs: RUNS, times,
        note: `${matches.toLocaleString('en-US')} of ${OFFERS.toLocaleString('en-US')} match; p95 ${formatMs(percentile(sorted, 95))}`,
      });
    }
    const sorted = [...all].sort((a, b) => a - b);
    const p95 = percentile(sorted, 95);
    results.push({
      group: GROUP, name: `text search over ${OFFERS.toLocaleString('en-US')} offers, ${QUERIES.length} queries`, ms: percentile(sorted, 50),
      runs: all.length, times: all, note: `p95 ${formatMs(p95)} over every query`,
      targets: [{ label: `text search p95 ≤ ${TARGET_P95_MS} ms`, pass: p95 <= TARGET_P95_MS, actual: `${formatMs(p95)} (p50 ${formatMs(percentile(sorted, 50))})` }],
    });
    return results;
  } finally {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
