/**
 * One shared stock between two shops: the village grocery on node C sells the farm's tomatoes, whose stock the farm
 * keeps on node A. Through the HTTP API only:
 *
 *  1. node A gives the grocery a token to order with (`WriteOrders`, `ReadProducts` on the farm);
 *  2. node C follows node A as a peer, with that token, and syncs it;
 *  3. the grocery lists the farm's item with a 15 % markup (`POST …/epicerie-du-village/listings`);
 *  4. a customer orders 3 of them at the grocery (`POST …/epicerie-du-village/orders`): node C places its own order
 *     at node A first, and accepts its customer's order once A has reserved the units;
 *  5. the farm's ledger shows them reserved, and its published stock (on A, and on the listing at C) what is left.
 *
 * Run with `npx tsx examples/shared-stock.ts` (it starts the three nodes of `three-nodes.ts` on ports 3001–3003,
 * with their databases under `./data/shared-stock/`, and stops them at the end).
 */
import { issueToken, SCOPES } from '../server/auth/tokens.js';
import { startThreeNodes, type ExampleNode } from './three-nodes.js';

/** What the walk-through saw. */
export interface SharedStockRun {
  /** The farm's item, and its stock before and after. */
  readonly item: string;
  readonly before: number;
  /** The farm's ledger after the customer's order. */
  readonly ledger: { readonly available: number; readonly reserved: number; readonly sold: number };
  /** The listing's stock, at the grocery, after it mirrored the farm. */
  readonly listed: number | null;
  /** The customer's order at the grocery (its `@id`), and the grocery's order at the farm. */
  readonly customerOrder: string;
  readonly upstreamOrder: string;
}

const FARM = 'ferme-des-trois-chenes';
const GROCERY = 'epicerie-du-village';

async function call(url: string, init: RequestInit = {}): Promise<{ status: number; text: string }> {
  const response = await fetch(url, init);
  return { status: response.status, text: await response.text() };
}

/** Runs the walk-through on the three nodes of `three-nodes.ts` (node A the farm's, node C the grocery's). */
export async function shareStock(nodes: readonly ExampleNode[], log: (line: string) => void = () => undefined): Promise<SharedStockRun> {
  const a = nodes.find((n) => n.name === 'a')?.node;
  const c = nodes.find((n) => n.name === 'c')?.node;
  if (a === undefined || c === undefined) throw new Error('nodes A and C are needed');
  const farmApi = `${a.store.baseUrl}/api/dfc/enterprises/${FARM}`;
  const item = `${farmApi}/catalog_items/tomates-anciennes-1kg`;

  // 1. The farm's operator gives the grocery a token (printed once, as `maillon token create` does).
  const { token: orderToken } = await issueToken(a.store, { eid: FARM, scopes: ['ReadProducts', 'WriteOrders'], label: 'épicerie du village' });
  const admin = (await issueToken(c.store, { eid: null, scopes: SCOPES, label: 'example' })).token;
  const json = (token: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${token}` });

  // 2. Node C follows node A (the farm's catalogue), with the token, and syncs it once.
  const added = await call(`${c.url}/api/sync/peers`, {
    method: 'POST', headers: json(admin), body: JSON.stringify({ name: 'node-a', url: `${a.url}/api/dfc/enterprises/${FARM}/catalog_items`, token: orderToken }),
  });
  if (added.status !== 201) throw new Error(`adding node A as a peer: ${added.status} ${added.text}`);
  const peer = JSON.parse(added.text) as { id: number };
  const synced = await call(`${c.url}/api/sync/peers/${peer.id}/sync`, { method: 'POST', headers: json(admin) });
  log(`node C synced node A: ${synced.status}`);
  const before = (await a.store.orders.stock(item))?.available ?? 0;

  // 3. The grocery lists the farm's tomatoes at 15 % over the farm's price.
  const listed = await call(`${c.url}/api/dfc/enterprises/${GROCERY}/listings`, {
    method: 'POST', headers: json(admin), body: JSON.stringify({ item, markup: '15%' }),
  });
  if (listed.status !== 201) throw new Error(`listing the farm's item: ${listed.status} ${listed.text}`);
  const listing = JSON.parse(listed.text) as { offer: string; product: string };
  log(`the grocery lists ${item} as ${listing.offer}`);

  // 4. A customer of the grocery orders 3 (a DFC order, as any DFC platform sends one).
  const customer = (await issueToken(c.store, { eid: GROCERY, scopes: ['WriteOrders'], label: 'a customer' })).token;
  const ordersUrl = `${c.store.baseUrl}/api/dfc/enterprises/${GROCERY}/orders`;
  const order = {
    '@context': 'https://www.datafoodconsortium.org',
    '@graph': [
      { '@id': ordersUrl, '@type': 'dfc-b:Order', 'dfc-b:hasOrderStatus': 'dfc-v:Held', 'dfc-b:hasPart': `${ordersUrl}/OrderLines/1` },
      { '@id': `${ordersUrl}/OrderLines/1`, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': 3, 'dfc-b:concerns': listing.offer },
    ],
  };
  const placed = await call(`${c.url}/api/dfc/enterprises/${GROCERY}/orders`, { method: 'POST', headers: json(customer), body: JSON.stringify(order) });
  if (placed.status !== 201) throw new Error(`the customer's order: ${placed.status} ${placed.text}`);
  const customerOrder = (JSON.parse(placed.text) as { '@graph': { '@id': string; '@type': string }[] })['@graph'].find((n) => n['@type'] === 'dfc-b:Order')?.['@id'] ?? '';
  const stored = await c.store.orders.get(customerOrder);
  const upstreamOrder = ((stored?.details['upstream'] as { order: string }[] | undefined) ?? [])[0]?.order ?? '';
  log(`customer order ${customerOrder} is held; the grocery's order at the farm is ${upstreamOrder}`);

  // 5. The farm's ledger, and the listing once it mirrored it (push comes with the next sync; pull here).
  const ledger = await a.store.orders.stock(item);
  const row = (await c.store.orders.listings(GROCERY))[0];
  if (row !== undefined) await c.listings.refresh(row);
  const mirrored = await c.store.getResource((await c.store.orders.listings(GROCERY))[0]?.item ?? '');
  const listedStock = mirrored?.record.kind === 'CatalogItem' ? mirrored.record.stock : null;
  log(`farm's ledger: available ${ledger?.available}, reserved ${ledger?.reserved}; the listing shows ${listedStock}`);
  return {
    item, before, ledger: { available: ledger?.available ?? 0, reserved: ledger?.reserved ?? 0, sold: ledger?.sold ?? 0 }, listed: listedStock,
    customerOrder, upstreamOrder,
  };
}

async function main(): Promise<void> {
  const first = Number(process.env['MAILLON_FIRST_PORT'] ?? 3001);
  const nodes = await startThreeNodes({ dataDir: './data/shared-stock', firstPort: first, allowPrivate: true });
  try {
    await shareStock(nodes, (line) => console.log(line));
  } finally {
    await Promise.all(nodes.map((n) => n.node.close()));
  }
}

if (process.argv[1] !== undefined && import.meta.filename === process.argv[1]) await main();
