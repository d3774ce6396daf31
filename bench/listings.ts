/**
 * A shop that lists many items of other nodes: its own stock writes, and the look-ups of its listings, with
 * 10,000 listings beside the same with none (the baseline, in the same run).
 *
 * The store alone, in this process (no HTTP: the `http` bench times that path): one enterprise of 1,000 items, each
 * written by 10 writers at once as the catalogue writes stock (the conditional change set that refuses records a
 * listing publishes), then the four look-ups an order or an owner's change makes (`listingByLocal`,
 * `listingsPublishing`, `listingsTouching`, `orderable`). Each stock write asks whether a listing publishes what it
 * writes: answered by reading every listing, 10,000 listings made writes 35× slower (5,500/s → 160/s, measured).
 *
 * @packageDocumentation
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeId } from '../ontology/iri.js';
import type { DfcRecord } from '../ontology/records.js';
import { SqliteStore } from '../server/store/sqlite/sqlite-store.js';
import { formatRate, groupLog, median, type BenchResult } from './harness.js';

const GROUP = 'listings';
const log = groupLog(GROUP);
const ITEMS = 1000;
const LISTINGS = 10_000;
const WRITERS = 10;
const WRITES = 3000;
const RUNS = 3;
const LOOKUPS = 500;
/** Stock writes with 10,000 listings, against the same with none: this node's own target. */
const MIN_RATIO = 0.7;

const base = 'http://node.test';
const api = `${base}/api/dfc/enterprises/shop`;
const origin = 'https://farm.example/api/dfc/enterprises/farm';
const id = (path: string): NodeId => `${api}/${path}` as NodeId;
const item = (key: string, stock: number): DfcRecord => ({ kind: 'CatalogItem', id: id(`catalog_items/${key}`), stock, offers: [id(`offers/${key}`)], listedIn: [] });
const offer = (key: string, stock: number): DfcRecord => ({ kind: 'Offer', id: id(`offers/${key}`), item: id(`catalog_items/${key}`), stock });

interface Measured {
  readonly rates: number[];
  readonly lookups: Map<string, number>;
}

/** One store with `listings` listings: stock writes per second over {@link RUNS} runs, and each look-up's mean µs. */
async function measureWith(listings: number): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), `maillon-bench-${GROUP}-`));
  const store = await SqliteStore.open({ path: join(dir, 'node.db'), baseUrl: base });
  try {
    await store.createEnterprise('shop', api, [{
      kind: 'Enterprise', id: api as NodeId, name: 'Shop', supplies: [], manages: [], maintains: [], customerCategories: [], affiliates: [],
    }]);
    const records: DfcRecord[] = [];
    for (let i = 0; i < ITEMS; i++) records.push(item(`i${i}`, 0), offer(`i${i}`, 0));
    await store.apply('shop', { upsert: records });
    for (let i = 0; i < listings; i++) {
      const key = `l${i}`;
      await store.orders.addListing({
        eid: 'shop', item: id(`catalog_items/${key}`), offer: id(`offers/${key}`), product: id(`supplied_products/${key}`),
        originItem: `${origin}/catalog_items/${key}`, originOffer: `${origin}/offers/${key}`, originProduct: `${origin}/supplied_products/${key}`,
        originOrders: `${origin}/orders`, factor: 1,
      });
    }
    const stock = new Array<number>(ITEMS).fill(0);
    const write = async (n: number): Promise<void> => {
      const i = n % ITEMS;
      const key = `i${i}`;
      const before = stock[i] as number;
      stock[i] = before + 1;
      await store.apply('shop', {
        upsert: [offer(key, before + 1), item(key, before + 1)],
        expect: new Map([[id(`offers/${key}`), offer(key, before)], [id(`catalog_items/${key}`), item(key, before)]]), refuseListed: true,
      });
    };
    const rates: number[] = [];
    let written = 0;
    // A first run warms up, untimed.
    for (let run = 0; run <= RUNS; run++) {
      let next = 0;
      const started = performance.now();
      await Promise.all(Array.from({ length: WRITERS }, async () => {
        for (let n = next++; n < WRITES; n = next++) await write(written + n);
      }));
      const ms = performance.now() - started;
      written += WRITES;
      if (run > 0) rates.push((WRITES * 1000) / ms);
    }
    // Every write landed: the stock stored is the count of writes.
    const stored = (await store.getResource(id('catalog_items/i7')))?.record;
    if (stored?.kind !== 'CatalogItem' || stored.stock !== stock[7]) throw new Error(`stock of i7 is ${JSON.stringify(stored)}, not ${stock[7]}`);
    const lookups = new Map<string, number>();
    const time = async (name: string, call: (n: number) => Promise<unknown>): Promise<void> => {
      const started = performance.now();
      for (let n = 0; n < LOOKUPS; n++) await call(n);
      lookups.set(name, ((performance.now() - started) * 1000) / LOOKUPS);
    };
    const some = (n: number): number => (n * 7919) % Math.max(1, listings);
    await time('listingByLocal', (n) => store.orders.listingByLocal(id(`offers/l${some(n)}`)));
    await time('listingsPublishing', (n) => store.orders.listingsPublishing([id(`supplied_products/l${some(n)}/AsPlannedTransformation`)]));
    await time('listingsTouching', (n) => store.orders.listingsTouching([`${origin}/offers/l${some(n)}`]));
    await time('orderable', (n) => store.orders.orderable(id(`offers/i${n % ITEMS}`)));
    return { rates, lookups };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the listings benchmark. */
export async function run(): Promise<BenchResult[]> {
  const none = await measureWith(0);
  const many = await measureWith(LISTINGS);
  const rate = (m: Measured): number => median(m.rates);
  const ratio = rate(many) / rate(none);
  for (const [label, m] of [['no listings', none], [`${LISTINGS.toLocaleString('en-US')} listings`, many]] as const) {
    log(`${label}: stock writes ${m.rates.map(formatRate).join(' / ')} per s; ${[...m.lookups].map(([name, us]) => `${name} ${us.toFixed(0)} µs`).join(', ')}`);
  }
  const results: BenchResult[] = [
    {
      group: GROUP, name: 'stock writes, no listings (baseline)', ms: 1000 / rate(none), runs: RUNS,
      note: `${formatRate(rate(none))}/s, ${WRITERS} writers, ${ITEMS.toLocaleString('en-US')} items round-robin`,
    },
    {
      group: GROUP, name: `stock writes, ${LISTINGS.toLocaleString('en-US')} listings`, ms: 1000 / rate(many), runs: RUNS,
      ratio: `${ratio.toFixed(2)}× the baseline's rate`,
      note: `${formatRate(rate(many))}/s, ${WRITERS} writers`,
      targets: [{ label: `stock writes with ${LISTINGS.toLocaleString('en-US')} listings ≥ ${MIN_RATIO}× the rate with none`, pass: ratio >= MIN_RATIO,
        actual: `${ratio.toFixed(2)}× (${formatRate(rate(many))} vs ${formatRate(rate(none))}/s)` }],
    },
  ];
  for (const [name, us] of many.lookups) {
    results.push({ group: GROUP, name: `${name}, ${LISTINGS.toLocaleString('en-US')} listings`, ms: us / 1000, runs: LOOKUPS,
      note: `mean ${us.toFixed(0)} µs; with no listings ${none.lookups.get(name)?.toFixed(0) ?? '?'} µs` });
  }
  return results;
}
