/**
 * What an owner holds is found through indexes when the store asks for it: a peer's federated rows when the peer is
 * removed (a national aggregator holds a million of them, and reading them all held the writer's lock for seconds),
 * and a listing's open orders when its owner changes it (every order line of the shop, read whole, each time).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeId } from '../../../../ontology/iri.js';
import { SqliteStore } from '../../../../server/store/sqlite/sqlite-store.js';
import { tableScans, tracedSettled, tracingStatements } from '../../../helpers/sqlite.js';

const base = 'http://node.test';
const api = `${base}/api/dfc/enterprises/ferme`;
const origin = 'https://farm.example/api/dfc/enterprises/farm';

describe('store: rows found by their owner', () => {
  let dir: string;
  let file: string;
  let store: SqliteStore;
  const traced = new Set<string>();

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-owned-rows-'));
    file = join(dir, 'node.db');
    store = await tracingStatements(traced, () => SqliteStore.open({ path: file, baseUrl: base }));
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    traced.clear();
  });

  it("removing a peer seeks its federated rows, never reads everyone's", async () => {
    const peer = await store.provenance.addPeer({ name: 'farm', url: 'https://farm.example/catalog' }, 'https://farm.example');
    traced.clear();
    expect(await store.provenance.removePeer(peer.id)).to.equal(true);
    const reading = await tracedSettled(traced, (sql) => /\bfederated_entries\b/u.test(sql) && !sql.startsWith('-- TRIGGER'), 3);
    expect(reading.length, 'statements reading federated_entries were traced').to.be.at.least(3);
    for (const sql of reading) expect(await tableScans(file, sql, ['federated_entries', 'f', 'o']), sql).to.deep.equal([]);
  });

  it("a listing's open orders are found without reading every order line", async () => {
    await store.createEnterprise('ferme', api, [{ kind: 'Enterprise', id: api as NodeId, name: 'Ferme', supplies: [], manages: [], maintains: [], customerCategories: [], affiliates: [] }]);
    const listing = await store.orders.addListing({
      eid: 'ferme', item: `${api}/catalog_items/miel` as NodeId, offer: `${api}/offers/miel` as NodeId, product: `${api}/supplied_products/miel` as NodeId,
      originItem: `${origin}/catalog_items/miel`, originOffer: `${origin}/offers/miel`, originProduct: `${origin}/supplied_products/miel`,
      originOrders: `${origin}/orders`, factor: 1,
    });
    traced.clear();
    expect(await store.orders.openOrdersOfListing(listing.id, new Date().toISOString())).to.deep.equal([]);
    const reading = await tracedSettled(traced, (sql) => /\border_lines\b/u.test(sql), 1);
    expect(reading.length, 'statements reading order_lines were traced').to.be.at.least(1);
    for (const sql of reading) expect(await tableScans(file, sql, ['order_lines', 'orders']), sql).to.deep.equal([]);
  });
});
