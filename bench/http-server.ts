/**
 * The node under test of the HTTP benchmark, alone in its own process (spawned by `bench/http.ts`).
 *
 * Usage: `node --import tsx bench/http-server.ts DATA_DIR OFFERS`. Starts a real node on 127.0.0.1 with an
 * ephemeral port, its SQLite file in DATA_DIR, log level silent; creates one enterprise, imports a generated
 * catalogue of OFFERS offers (one catalog item each), checks that OFFERS catalog items are stored, issues an
 * admin token, and prints one JSON line ({@link ServerReady}). It then serves until its standard input
 * closes (the parent ends it, or dies), closes the node and exits normally, so that `--cpu-prof` (see
 * `BENCH_HTTP_PROFILE` in `bench/http.ts`) can write its profile. With `BENCH_SQL_PROFILE=FILE`, every statement SQLite
 * runs once the catalogue is seeded (its connection, when it ended and how long it ran, its SQL shortened) is written
 * to FILE as JSON lines when it exits, as `bench/federation-node.ts` does for a cold sync.
 *
 * @packageDocumentation
 */
import { issueToken, SCOPES } from '../server/auth/tokens.js';
import { hasErrors } from '../server/errors/problem.js';
import { loadConfig } from '../server/config.js';
import { createLogger } from '../server/logging.js';
import { startNode, type RunningNode } from '../server/main.js';
import { generateCatalog } from './catalog-generator.js';
import { installSqlProfile } from './sql-profile.js';

/** What this script prints once the node is seeded and listening. */
export interface ServerReady {
  readonly url: string;
  readonly eid: string;
  /** An admin token, for `Authorization: Bearer`. */
  readonly token: string;
  /** Local ids of every stored catalog item (`/catalog_items/{id}`). */
  readonly items: readonly string[];
  /** Time to generate, decode and import the catalogue. */
  readonly seedMs: number;
  readonly pid: number;
}

const EID = 'bench';
/** The `@id`s the node mints start with this; a realistic public base makes the body size realistic. */
const BASE_URL = 'https://maillon.example.org';

/** Generates, decodes and imports the catalogue (in a function, so none of it stays reachable afterwards). */
async function seed(node: RunningNode, offers: number): Promise<string[]> {
  const decoded = await node.decoder.decode(JSON.stringify(generateCatalog(offers)));
  if (hasErrors(decoded.problems) || decoded.rejected.length > 0) {
    throw new Error(`the generated catalogue does not decode: ${JSON.stringify(decoded.problems.slice(0, 3))}`);
  }
  await node.catalog.createEnterprise(decoded.records, { eid: EID });
  const imported = await node.catalog.importRecords(EID, decoded.records);
  if (imported.items !== offers) throw new Error(`imported ${imported.items} catalog items, expected ${offers}`);
  const stored = await node.store.listResources(EID, ['CatalogItem']);
  if (stored.length !== offers) throw new Error(`${stored.length} catalog items stored, expected ${offers}`);
  return stored.map(({ record }) => {
    const id = node.catalog.urls.localId(EID, 'catalog_items', record.id);
    if (id === undefined) throw new Error(`catalog item ${record.id} is not under enterprise ${EID}`);
    return id;
  });
}

const [dir, offersArg] = process.argv.slice(2);
if (dir === undefined || offersArg === undefined) throw new Error('usage: http-server.ts DATA_DIR OFFERS');
const offers = Number(offersArg);

// `BENCH_SQL_PROFILE=FILE`: the statements SQLite runs after the seeding, written when the node exits.
const sqlProfile = installSqlProfile((sql) => sql.replace(/(\?, ?)+\?/gu, '?…'));

const config = loadConfig({ port: '0', host: '127.0.0.1', 'data-dir': dir, 'base-url': BASE_URL }, { MAILLON_LOG_LEVEL: 'silent' });
const node = await startNode(config, createLogger('silent'));
const started = performance.now();
const items = await seed(node, offers);
const seedMs = performance.now() - started;
const { token } = await issueToken(node.store, { eid: null, scopes: SCOPES, label: 'bench admin' });
sqlProfile.start();

let closing = false;
const shutdown = (): void => {
  if (closing) return;
  closing = true;
  sqlProfile.finish();
  node.close().then(() => process.exit(0), (error: unknown) => {
    console.error('closing the node failed:', error);
    process.exit(1);
  });
};
process.stdin.on('end', shutdown);
process.stdin.on('error', shutdown);
process.stdin.resume();
process.on('SIGTERM', shutdown);

const ready: ServerReady = { url: node.url, eid: EID, token, items, seedMs, pid: process.pid };
console.log(JSON.stringify(ready));
