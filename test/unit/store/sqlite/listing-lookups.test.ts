/**
 * Listings are found through indexes, never by reading them all: every statement the store runs while a shop
 * writes stock, resolves an order line, or follows an owner's change is traced, and SQLite's plan of each one that
 * reads `listings` must seek it. A shop lists thousands of items; a read of all of them per stock write made those
 * writes 35× slower at 10,000 listings.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeId } from '../../../../ontology/iri.js';
import type { DfcRecord } from '../../../../ontology/records.js';
import { ListedRecordError } from '../../../../server/store/store.js';
import { SqliteStore } from '../../../../server/store/sqlite/sqlite-store.js';
import { tableScans, tracedSettled, tracingStatements } from '../../../helpers/sqlite.js';

const base = 'http://node.test';
const api = `${base}/api/dfc/enterprises/ferme`;
const origin = 'https://farm.example/api/dfc/enterprises/farm';
const id = (path: string): NodeId => `${api}/${path}` as NodeId;
const item = (key: string, stock: number): DfcRecord => ({ kind: 'CatalogItem', id: id(`catalog_items/${key}`), stock, offers: [id(`offers/${key}`)], listedIn: [] });
const offer = (key: string, stock: number): DfcRecord => ({ kind: 'Offer', id: id(`offers/${key}`), item: id(`catalog_items/${key}`), stock });

describe('store: listings are looked up by index', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-listing-lookups-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('never reads every listing to write stock, find a listing or resolve an order line', async () => {
    const file = join(dir, 'node.db');
    const traced = new Set<string>();
    const store = await tracingStatements(traced, () => SqliteStore.open({ path: file, baseUrl: base }));
    try {
      await store.createEnterprise('ferme', api, [{ kind: 'Enterprise', id: api as NodeId, name: 'Ferme', supplies: [], manages: [], maintains: [], customerCategories: [], affiliates: [] }]);
      await store.apply('ferme', { upsert: [item('miel', 1), offer('miel', 1), item('pain', 1), offer('pain', 1)] });
      // Enough listings that reading them all would be a choice, not a shortcut.
      for (let i = 0; i < 200; i++) {
        const key = i === 0 ? 'miel' : `l${i}`;
        await store.orders.addListing({
          eid: 'ferme', item: id(`catalog_items/${key}`), offer: id(`offers/${key}`), product: id(`supplied_products/${key}`),
          originItem: `${origin}/catalog_items/${key}`, originOffer: `${origin}/offers/${key}`, originProduct: `${origin}/supplied_products/${key}`,
          originOrders: `${origin}/orders`, factor: 1,
        });
      }
      traced.clear();
      // A stock write as the catalogue makes it (the shared conditional statement), listed and not.
      const restock = (key: string, stock: number) => ({
        upsert: [offer(key, stock), item(key, stock)], expect: new Map([[id(`offers/${key}`), offer(key, 1)], [id(`catalog_items/${key}`), item(key, 1)]]),
        refuseListed: true,
      });
      const outcomes = await Promise.allSettled([store.apply('ferme', restock('miel', 7)), store.apply('ferme', restock('pain', 7))]);
      expect((outcomes[0] as PromiseRejectedResult).reason).to.be.instanceOf(ListedRecordError);
      expect(outcomes[1]?.status).to.equal('fulfilled');
      // Any other change set refusing listed records.
      let refused: unknown;
      await store.apply('ferme', { upsert: [offer('miel', 3)], refuseListed: true }).catch((error: unknown) => (refused = error));
      expect(refused).to.be.instanceOf(ListedRecordError);
      expect((await store.orders.listingByLocal(id('offers/l7')))?.item).to.equal(id('catalog_items/l7'));
      expect((await store.orders.listingsPublishing([id('supplied_products/l9/AsPlannedTransformation')])).map((l) => l.item)).to.deep.equal([id('catalog_items/l9')]);
      expect((await store.orders.listingsTouching([`${origin}/offers/l11`, `${origin}/supplied_products/l12`])).map((l) => l.item))
        .to.deep.equal([id('catalog_items/l11'), id('catalog_items/l12')]);
      expect((await store.orders.orderable(id('offers/miel')))?.offered?.listing?.item).to.equal(id('catalog_items/miel'));

      const reading = await tracedSettled(traced, (sql) => /\blistings\b/u.test(sql) && !/^\s*(-- TRIGGER|INSERT INTO listings|DELETE FROM listings WHERE id)/u.test(sql), 5);
      expect(reading.length, 'statements reading listings were traced').to.be.at.least(5);
      for (const sql of reading) expect(await tableScans(file, sql, ['listings', 'l']), sql).to.deep.equal([]);
    } finally {
      await store.close();
    }
  });
});
