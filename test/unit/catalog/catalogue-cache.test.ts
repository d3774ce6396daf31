/**
 * The catalogues kept in memory (`server/catalog/catalogue-cache.ts`), on a real SQLite store: always what a
 * whole read gives, brought up to date from the change feed (a stock write, a new product, a deleted one), read
 * whole once and again only when the feed cannot say what changed; bounded in records.
 */
import { expect } from 'chai';
import type { DfcRecord } from '../../../ontology/records.js';
import type { Catalogue } from '../../../server/catalog/catalog-service.js';
import { CatalogueCache, compareCodePoints } from '../../../server/catalog/catalogue-cache.js';
import type { NodeStore } from '../../../server/store/store.js';
import { startInProcess, type InProcessNode } from '../../helpers/in-process.js';
import { CONTEXT, nestedProduct } from '../../helpers/write-api.js';

/** What a page is made of: every entry's records, and the groups. */
function shape(catalogue: Catalogue): unknown {
  return {
    entries: catalogue.entries.map((e) => [e.product, e.items, e.offers, e.plans]),
    groups: [...catalogue.groups.entries()],
  };
}

/** The store, counting whole reads, with a feed identity the test can change. */
function counting(store: NodeStore): { store: NodeStore; wholeReads: () => number; setStream: (id: string | undefined) => void } {
  let reads = 0;
  let stream: string | undefined;
  const feed = new Proxy(store.feed, {
    get: (target, key, receiver) => (key === 'streamId' && stream !== undefined ? async () => stream : Reflect.get(target, key, receiver)),
  });
  const proxy = new Proxy(store, {
    get: (target, key) => {
      if (key === 'feed') return feed;
      const value = Reflect.get(target, key, target) as unknown;
      if (key === 'listResources') {
        return (...args: Parameters<NodeStore['listResources']>) => {
          reads++;
          return target.listResources(...args);
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: proxy, wholeReads: () => reads, setStream: (id) => { stream = id; } };
}

const stockBody = (stock: number) => ({ text: JSON.stringify({ 'dfc-b:stockLimitation': stock }), mediaType: 'application/json' });

describe('catalog: catalogues kept up to date from the change feed', function () {
  let node: InProcessNode;

  beforeEach(async () => {
    node = await startInProcess();
    await node.seed('ferme');
    await node.seed('voisin');
  });
  afterEach(async () => node.close());

  const fresh = async (eid = 'ferme'): Promise<unknown> => shape(await node.catalog.catalogue(eid));
  const row = (eid = 'ferme') => node.catalog.enterpriseRow(eid);

  it('gives what a whole read gives, with the store\'s versions, and the same snapshot while nothing changes', async () => {
    const { store, wholeReads } = counting(node.store);
    const cache = new CatalogueCache(store);
    const first = await cache.catalogue(await row());
    expect(shape(first)).to.deep.equal(await fresh());
    for (const entry of first.entries) {
      for (const record of [entry.product, ...entry.items, ...entry.offers]) {
        expect(first.versionOf(record)).to.equal((await node.store.getResource(record.id))?.version);
      }
    }
    expect(await cache.catalogue(await row())).to.equal(first);
    expect(shape(await cache.catalogue(await row('voisin')))).to.deep.equal(await fresh('voisin'));
    expect(wholeReads()).to.equal(2);
  });

  it('a stock write: only the entry holding the item is made anew, from the feed, without a whole read', async () => {
    const { store, wholeReads } = counting(node.store);
    const cache = new CatalogueCache(store);
    const before = await cache.catalogue(await row());
    await node.catalog.updateCatalogItem('ferme', 'tomate', stockBody(77));
    const after = await cache.catalogue(await row());
    expect(after).to.not.equal(before);
    expect(shape(after)).to.deep.equal(await fresh());
    const index = after.entries.findIndex((e) => e.product.id.endsWith('/tomate'));
    expect(after.entries[index]?.items[0]?.stock).to.equal(77);
    after.entries.forEach((entry, i) => {
      if (i !== index) expect(entry, 'an untouched entry is the same object').to.equal(before.entries[i]);
    });
    const item = after.entries[index]?.items[0] as DfcRecord;
    expect(after.versionOf(item)).to.equal((await node.store.getResource(item.id))?.version);
    expect(after.versionOf(item)).to.not.equal(before.versionOf(before.entries[index]?.items[0] as DfcRecord));
    expect(wholeReads()).to.equal(1);
  });

  it('a new product and a deleted one: the catalogue is assembled again, in @id order', async () => {
    const { store, wholeReads } = counting(node.store);
    const cache = new CatalogueCache(store);
    await cache.catalogue(await row());
    const api = `${node.base}/api/dfc/enterprises/ferme`;
    for (const name of ['Aubergine', 'Zucchini']) {
      const body = JSON.stringify({ '@context': CONTEXT, ...nestedProduct({ name, sku: name, stock: 1, price: 1 }) });
      const decoded = await node.catalog.decode({ text: body, mediaType: 'application/ld+json' }, `${api}/supplied_products`);
      await node.catalog.createProducts('ferme', decoded.records);
    }
    const grown = await cache.catalogue(await row());
    expect(shape(grown)).to.deep.equal(await fresh());
    expect(grown.entries).to.have.length(5);
    await node.catalog.deleteProduct('ferme', 'chevre');
    const shrunk = await cache.catalogue(await row());
    expect(shape(shrunk)).to.deep.equal(await fresh());
    expect(shrunk.entries.map((e) => e.product.id)).to.not.include(`${api}/supplied_products/chevre`);
    expect(wholeReads()).to.equal(1);
  });

  it('reads whole again when too much changed, or when the feed started over', async () => {
    const { store, wholeReads, setStream } = counting(node.store);
    const cache = new CatalogueCache(store, { maxChanges: 1 });
    await cache.catalogue(await row());
    await node.catalog.updateCatalogItem('ferme', 'tomate', stockBody(5));
    await node.catalog.updateCatalogItem('ferme', 'carottes', stockBody(6));
    expect(shape(await cache.catalogue(await row()))).to.deep.equal(await fresh());
    expect(wholeReads()).to.equal(2);
    setStream('another');
    await node.catalog.updateCatalogItem('ferme', 'tomate', stockBody(8));
    expect(shape(await cache.catalogue(await row()))).to.deep.equal(await fresh());
    expect(wholeReads()).to.equal(3);
  });

  it('concurrent requests share one update', async () => {
    const { store, wholeReads } = counting(node.store);
    const cache = new CatalogueCache(store);
    const current = await row();
    const [a, b] = await Promise.all([cache.catalogue(current), cache.catalogue(current)]);
    expect(a).to.equal(b);
    expect(wholeReads()).to.equal(1);
  });

  it('is bounded in records: a catalogue larger than the budget is read whole each time, and still right', async () => {
    const { store, wholeReads } = counting(node.store);
    const cache = new CatalogueCache(store, { maxRecords: 4 });
    expect(shape(await cache.catalogue(await row()))).to.deep.equal(await fresh());
    expect(cache.size).to.equal(0);
    await cache.catalogue(await row());
    expect(wholeReads()).to.equal(2);
    const roomy = new CatalogueCache(node.store, { maxRecords: 12 });
    await roomy.catalogue(await row());
    expect(roomy.size).to.equal(9);
    // A second enterprise does not fit beside the first: the least recently read goes.
    await roomy.catalogue(await row('voisin'));
    expect(roomy.size).to.equal(9);
  });
});

describe('catalog: compareCodePoints', () => {
  it('orders as SQLite orders UTF-8 text (code points), not as UTF-16 code units', () => {
    const words = ['b', 'a', 'ab', '', 'z\uFFFD', 'z\u{1F345}', 'zé', 'z', 'Z', 'z\uE000x'];
    const bytes = [...words].sort((x, y) => Buffer.compare(Buffer.from(x, 'utf8'), Buffer.from(y, 'utf8')));
    expect([...words].sort(compareCodePoints)).to.deep.equal(bytes);
  });
});
