/**
 * An order left being placed with its suppliers (Pending) by a process that stopped: nothing places it any more,
 * so the next start makes it expire at the sweep's first look (its stock back), not after a whole hold.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DfcRecord } from '../../ontology/records.js';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/logging.js';
import { startNode } from '../../server/main.js';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import { readRows } from '../helpers/sqlite.js';

const BASE = 'http://node.test';
const id = (path: string) => `${BASE}/api/dfc/enterprises/ferme/${path}` as DfcRecord['id'];

describe('an order a stopped process left being placed', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-pending-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('expires soon after the next start, its stock back, while a held order keeps its hold', async () => {
    const db = join(dir, 'maillon.db');
    const store = await SqliteStore.open({ path: db, baseUrl: BASE });
    await store.createEnterprise('ferme', `${BASE}/api/dfc/enterprises/ferme`, []);
    await store.apply('ferme', { upsert: [
      { kind: 'CatalogItem', id: id('catalog_items/miel'), product: id('supplied_products/miel'), stock: 5, offers: [id('offers/miel')], listedIn: [] },
      { kind: 'Offer', id: id('offers/miel'), item: id('catalog_items/miel'), stock: 5, price: { value: 2, currency: 'x' as never } },
    ] });
    const line = { offer: id('offers/miel'), item: id('catalog_items/miel'), quantity: 2 };
    const later = new Date(Date.now() + 3_600_000).toISOString();
    // As a process that died while asking its suppliers leaves it (its expiry a hold away), and a held order beside it.
    const pending = await store.orders.create({ eid: 'ferme', collection: id('orders'), state: 'Pending', lines: [line], expiresAt: later });
    const held = await store.orders.create({ eid: 'ferme', collection: id('orders'), state: 'Held', lines: [line], expiresAt: later });
    if (!pending.ok || !held.ok) expect.fail('orders not created');
    expect((await store.orders.stock(id('catalog_items/miel')))?.available).to.equal(1);
    await store.close();

    // A hold of 4 s: the sweep looks every second.
    const config = loadConfig({ port: '0', host: '127.0.0.1', 'data-dir': dir, db, 'base-url': BASE }, { MAILLON_LOG_LEVEL: 'silent', MAILLON_ORDER_HOLD: '4' });
    const node = await startNode(config, createLogger('silent'));
    try {
      const state = async (iri: string) => (await readRows<{ status: string }>(db, 'SELECT status FROM orders WHERE iri = ?', [iri]))[0]?.status;
      const deadline = Date.now() + 10_000;
      while ((await state(pending.order.iri)) === 'Pending' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await state(pending.order.iri)).to.equal('Cancelled');
      expect(await state(held.order.iri)).to.equal('Held');
      const [stock] = await readRows<{ available: number; reserved: number }>(db, 'SELECT available, reserved FROM stock WHERE item_iri = ?', [id('catalog_items/miel')]);
      expect(stock).to.deep.equal({ available: 3, reserved: 2 });
    } finally {
      await node.close();
    }
  });
});
