/**
 * A node of the orders benchmark, alone in its own process (spawned by `bench/orders.ts`), so that the load
 * generator does not share its event loop.
 *
 * Usage: `node --import tsx bench/orders-node.ts producer DATA_DIR STOCK_JSON SHOPS` or
 * `… shop DATA_DIR EID PRODUCER_FILE KEYS`. The node listens on a free port of 127.0.0.1 with its real URL as
 * its base URL (so that another node reaches its `@id`s where they say), its SQLite file in DATA_DIR, private
 * addresses allowed (loopback peers), no scheduled syncs, log level silent.
 *
 * - producer: enterprise `ferme` with one catalog item per entry of STOCK_JSON (`{"big": 1000000, "race": 300}`),
 *   each with its offer; a buyer token (`WriteOrders`) and one token per shop of SHOPS (comma-separated) (`WriteOrders`, `ReadOrders`,
 *   `ReadProducts`), printed in {@link ProducerReady}.
 * - shop: enterprise EID; the producer (its ready line in PRODUCER_FILE) as a peer holding the token the producer
 *   issued for it; a listing of each of the producer's items named in KEYS (comma-separated): the shop's own
 *   product, catalog item and offer, and the listing row, as the listing service writes them; a buyer token.
 *   Prints {@link ShopReady}.
 *
 * It then serves until its standard input closes, closes the node (so the SQLite file is complete and
 * `--cpu-prof` can write its profile) and exits normally. The parent reads the ledgers from the file afterwards.
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import type { NodeId } from '../ontology/iri.js';
import type { DfcRecord, EnterpriseRecord } from '../ontology/records.js';
import { measureIri } from '../ontology/units.js';
import { issueToken } from '../server/auth/tokens.js';
import { loadConfig } from '../server/config.js';
import { createLogger } from '../server/logging.js';
import { startNode, type RunningNode } from '../server/main.js';

/** The ids of one item of the producer. */
export interface ItemIds {
  readonly product: string;
  readonly item: string;
  readonly offer: string;
}

/** What the producer prints once it is ready. */
export interface ProducerReady {
  readonly role: 'producer';
  readonly url: string;
  readonly pid: number;
  readonly eid: string;
  /** A customer's token (`WriteOrders`), for direct orders. */
  readonly buyer: string;
  /** Tokens for the shops (`WriteOrders`, `ReadOrders`, `ReadProducts`), by shop. */
  readonly shopTokens: Readonly<Record<string, string>>;
  readonly items: Readonly<Record<string, ItemIds>>;
}

/** What a shop prints once it is ready. */
export interface ShopReady {
  readonly role: 'shop';
  readonly url: string;
  readonly pid: number;
  readonly eid: string;
  readonly buyer: string;
  /** The shop's listings, by the producer's item key. */
  readonly listed: Readonly<Record<string, ItemIds>>;
}


function enterpriseRecords(base: string, eid: string, stock: Readonly<Record<string, number>>): DfcRecord[] {
  const api = `${base}/api/dfc/enterprises/${eid}`;
  const id = (path: string): NodeId => `${api}${path}` as NodeId;
  const keys = Object.keys(stock);
  const records: DfcRecord[] = [
    {
      kind: 'Enterprise', id: id(''), name: `Bench ${eid}`, description: 'Orders benchmark', address: id('/addresses/main'), mainContact: id('/persons/main'),
      supplies: keys.map((k) => id(`/supplied_products/${k}`)), manages: keys.map((k) => id(`/catalog_items/${k}`)),
      maintains: [], customerCategories: [], affiliates: [],
    },
    {
      kind: 'Address', id: id('/addresses/main'), street: '1 route des Chênes', postcode: '87000', city: 'Limoges',
      country: 'http://publications.europa.eu/resource/authority/country/FRA', latitude: 45.83, longitude: 1.26,
    },
    { kind: 'Person', id: id('/persons/main'), firstName: 'Anne', familyName: 'Martin', affiliates: [] },
  ];
  for (const [key, units] of Object.entries(stock)) {
    const product = id(`/supplied_products/${key}`);
    const item = id(`/catalog_items/${key}`);
    const offer = id(`/offers/${key}`);
    records.push(
      {
        kind: 'SuppliedProduct', id: product, name: `Produit ${key}`, quantity: { value: 1, unit: measureIri('Kilogram') },
        images: [], variantOf: [], variants: [], catalogItems: [item], suppliedBy: id(''),
      },
      { kind: 'CatalogItem', id: item, product, stock: units, offers: [offer], managedBy: id(''), listedIn: [] },
      { kind: 'Offer', id: offer, item, price: { value: 2.5, currency: measureIri('Euro') }, stock: units },
    );
  }
  return records;
}

function idsOf(base: string, eid: string, key: string): ItemIds {
  const api = `${base}/api/dfc/enterprises/${eid}`;
  return { product: `${api}/supplied_products/${key}`, item: `${api}/catalog_items/${key}`, offer: `${api}/offers/${key}` };
}

async function seed(node: RunningNode, eid: string, stock: Readonly<Record<string, number>>): Promise<void> {
  const records = enterpriseRecords(node.store.baseUrl, eid, stock);
  await node.catalog.createEnterprise(records, { eid });
  await node.catalog.importRecords(eid, records);
}

async function producer(node: RunningNode, stock: Readonly<Record<string, number>>, shops: readonly string[]): Promise<ProducerReady> {
  const eid = 'ferme';
  await seed(node, eid, stock);
  const base = node.store.baseUrl;
  const items: Record<string, ItemIds> = {};
  for (const key of Object.keys(stock)) {
    const ids = idsOf(base, eid, key);
    const ledger = await node.store.orders.stock(ids.item);
    if (ledger?.available !== stock[key]) throw new Error(`item ${key}: ledger ${JSON.stringify(ledger)}, expected ${String(stock[key])} available`);
    items[key] = ids;
  }
  const buyer = (await issueToken(node.store, { eid, scopes: ['WriteOrders'], label: 'bench buyer' })).token;
  const shopTokens: Record<string, string> = {};
  for (const shop of shops) {
    shopTokens[shop] = (await issueToken(node.store, { eid, scopes: ['WriteOrders', 'ReadOrders', 'ReadProducts'], label: `shop ${shop}` })).token;
  }
  return { role: 'producer', url: node.url, pid: process.pid, eid, buyer, shopTokens, items };
}

/** The shop's own records of the producer's items, and the listing rows (what the listing service writes). */
async function shop(node: RunningNode, eid: string, origin: ProducerReady, keys: readonly string[]): Promise<ShopReady> {
  await seed(node, eid, { pain: 50 });
  const token = origin.shopTokens[eid];
  if (token === undefined) throw new Error(`the producer issued no token for ${eid}`);
  await node.store.provenance.addPeer({ name: 'ferme', url: `${origin.url}/api/dfc/enterprises/${origin.eid}/catalog_items`, token }, origin.url);
  const api = `${node.store.baseUrl}/api/dfc/enterprises/${eid}` as NodeId;
  const listed: Record<string, ItemIds> = {};
  for (const key of keys) {
    const remote = origin.items[key];
    if (remote === undefined) throw new Error(`the producer has no item ${key}`);
    const ids = idsOf(node.store.baseUrl, eid, `ferme-${key}`);
    const enterprise = (await node.store.getResource(api))?.record;
    if (enterprise?.kind !== 'Enterprise') throw new Error(`no enterprise ${eid}`);
    const updated: EnterpriseRecord = { ...enterprise, supplies: [...enterprise.supplies, ids.product as NodeId], manages: [...enterprise.manages, ids.item as NodeId] };
    await node.store.apply(eid, {
      upsert: [
        updated,
        {
          kind: 'SuppliedProduct', id: ids.product as NodeId, name: `Produit ${key} de la ferme`, images: [], variantOf: [], variants: [],
          catalogItems: [ids.item as NodeId], suppliedBy: api,
        },
        // On demand here: the producer's ledger decides.
        { kind: 'CatalogItem', id: ids.item as NodeId, product: ids.product as NodeId, stock: null, offers: [ids.offer as NodeId], managedBy: api, listedIn: [] },
        { kind: 'Offer', id: ids.offer as NodeId, item: ids.item as NodeId, price: { value: 2.9, currency: measureIri('Euro') }, stock: null },
      ],
    });
    await node.store.orders.addListing({
      eid, item: ids.item, offer: ids.offer, product: ids.product, originItem: remote.item, originOffer: remote.offer,
      originProduct: remote.product, originOrders: `${origin.url}/api/dfc/enterprises/${origin.eid}/orders`, factor: 1,
    });
    listed[key] = ids;
  }
  const buyer = (await issueToken(node.store, { eid, scopes: ['WriteOrders'], label: 'bench customer' })).token;
  return { role: 'shop', url: node.url, pid: process.pid, eid, buyer, listed };
}

async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const [role, dir, ...rest] = process.argv.slice(2);
if ((role !== 'producer' && role !== 'shop') || dir === undefined) {
  throw new Error('usage: orders-node.ts producer DATA_DIR STOCK_JSON SHOPS | shop DATA_DIR EID PRODUCER_FILE KEYS');
}
const env: NodeJS.ProcessEnv = {
  MAILLON_ALLOW_PRIVATE: '1', MAILLON_SYNC_SCHEDULE: 'off', MAILLON_LOG_LEVEL: 'silent',
  ...(process.env['MAILLON_ORDER_TIMEOUT'] !== undefined ? { MAILLON_ORDER_TIMEOUT: process.env['MAILLON_ORDER_TIMEOUT'] } : {}),
};
let started: RunningNode | undefined;
// Another process may take the port between the probe and the bind: try a few.
for (let attempt = 0; started === undefined; attempt++) {
  const port = await freePort();
  const config = loadConfig({ port: String(port), host: '127.0.0.1', 'data-dir': dir, 'base-url': `http://127.0.0.1:${port}` }, env);
  try {
    started = await startNode(config, createLogger('silent'));
  } catch (error: unknown) {
    if (attempt >= 4 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
  }
}
const node = started;

let closing = false;
const shutdown = (): void => {
  if (closing) return;
  closing = true;
  node.close().then(() => process.exit(0), (error: unknown) => {
    console.error('closing the node failed:', error);
    process.exit(1);
  });
};
process.stdin.on('end', shutdown);
process.stdin.on('error', shutdown);
process.stdin.resume();
process.on('SIGTERM', shutdown);

const ready = role === 'producer'
  ? await producer(node, JSON.parse(rest[0] ?? '{}') as Record<string, number>, (rest[1] ?? '').split(',').filter((k) => k !== ''))
  : await shop(node, rest[0] ?? 'boutique-b', JSON.parse(readFileSync(rest[1] ?? '', 'utf8')) as ProducerReady, (rest[2] ?? '').split(',').filter((k) => k !== ''));
console.log(JSON.stringify(ready));
