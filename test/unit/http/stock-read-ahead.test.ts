/**
 * A stock write (`PUT …/catalog_items/{id}` with a credential, no precondition) reads its item beside the look-up of
 * its credential, not after it: one wait for the store less. What it answers does not change: the credential still
 * comes first (401, 403 before a 404), a read ahead made stale by another write meanwhile is read again (last writer
 * wins, the offers mirroring the item follow), and a read ahead of another item is never taken for this one.
 */
import { expect } from 'chai';
import type { WriteBody } from '../../../server/catalog/catalog-service.js';
import type { NodeStore } from '../../../server/store/store.js';
import { bearer, startInProcess, type InProcessNode } from '../../helpers/in-process.js';
import { expectProblem } from '../../helpers/write-api.js';

const ITEMS = '/api/dfc/enterprises/ferme/catalog_items';
const json = (value: unknown): WriteBody => ({ text: JSON.stringify(value), mediaType: 'application/json' });

describe('http: a stock write reads its item ahead, beside its credential', function () {
  let node: InProcessNode;
  let token: string;
  /** The store's methods as they were, put back after each test that wraps them. */
  let restore: (() => void) | undefined;

  before(async () => {
    node = await startInProcess();
    await node.seed('ferme');
    await node.seed('voisin');
    token = await node.token('ferme');
  });
  afterEach(() => {
    restore?.();
    restore = undefined;
  });
  after(async () => node.close());

  /** Wraps two of the store's reads (on this instance only), for the test's duration. */
  function wrap(
    findTokenByHash: (original: NodeStore['findTokenByHash'], hash: string) => ReturnType<NodeStore['findTokenByHash']>,
    getResourceWithOffers: (original: NodeStore['getResourceWithOffers'], iri: string) => ReturnType<NodeStore['getResourceWithOffers']>,
  ): void {
    const store = node.store as NodeStore;
    const tokens = store.findTokenByHash.bind(store);
    const reads = store.getResourceWithOffers.bind(store);
    store.findTokenByHash = (hash) => findTokenByHash(tokens, hash);
    store.getResourceWithOffers = (iri) => getResourceWithOffers(reads, iri);
    restore = () => {
      store.findTokenByHash = Object.getPrototypeOf(store).findTokenByHash;
      store.getResourceWithOffers = Object.getPrototypeOf(store).getResourceWithOffers;
    };
  }

  const putStock = (id: string, stock: number, credential?: string) => node.request('PUT', `${ITEMS}/${id}`, {
    headers: { ...(credential === undefined ? {} : bearer(credential)), 'content-type': 'application/json', accept: 'application/ld+json' },
    body: JSON.stringify({ 'dfc-b:stockLimitation': stock }),
  });

  it('the item is read before the credential is found, and the write applies as before', async () => {
    const events: string[] = [];
    wrap(async (original, hash) => {
      events.push('token asked');
      const row = await original(hash);
      events.push('token found');
      return row;
    }, async (original, iri) => {
      events.push(`item asked ${iri.split('/').at(-1) ?? ''}`);
      return original(iri);
    });
    const response = await putStock('tomate', 31, token);
    expect(response.status).to.equal(200);
    expect(response.text).to.contain('31');
    expect(events.indexOf('item asked tomate')).to.be.within(0, events.indexOf('token found'));
    expect(events.filter((e) => e.startsWith('item asked'))).to.have.length(1);
    expect((await node.catalog.resource('ferme', 'catalog_items', 'tomate')).record).to.include({ stock: 31 });
  });

  it('the credential still comes first: 401 without a usable one, 403 for another enterprise, then 404', async () => {
    const other = await node.token('voisin');
    for (const id of ['tomate', 'nope']) {
      expectProblem(await putStock(id, 5), 401);
      expectProblem(await putStock(id, 5, 'mln_unknown'), 401);
      expectProblem(await putStock(id, 5, other), 403);
    }
    expectProblem(await putStock('nope', 5, token), 404);
    expect((await node.catalog.resource('ferme', 'catalog_items', 'tomate')).record).to.not.include({ stock: 5 });
  });

  it('a read ahead made stale by a write meanwhile is read again: the last write wins, its offer mirrors it', async () => {
    await putStock('tomate', 40, token);
    let interleaved = false;
    // Between the read ahead and the write, another write changes the item: the stock write must not go back to what
    // it read (the conditional write refuses it, and it is done again from what is stored).
    wrap(async (original, hash) => {
      const row = await original(hash);
      if (!interleaved) {
        interleaved = true;
        await node.catalog.updateCatalogItem('ferme', 'tomate', json({ 'dfc-b:sku': 'TOM-9' }));
      }
      return row;
    }, (original, iri) => original(iri));
    const response = await putStock('tomate', 41, token);
    expect(response.status).to.equal(200);
    expect(interleaved).to.equal(true);
    const item = (await node.catalog.resource('ferme', 'catalog_items', 'tomate')).record;
    expect(item).to.include({ stock: 41, sku: 'TOM-9' });
    expect((await node.catalog.resource('ferme', 'offers', 'tomate')).record).to.include({ stock: 41 });
  });

  it('a read ahead of another item (or enterprise) is not taken for the one written', async () => {
    const before = (await node.catalog.resource('ferme', 'catalog_items', 'chevre')).record;
    const updated = await node.catalog.updateCatalogItem('ferme', 'tomate', json({ 'dfc-b:stockLimitation': 50 }), undefined,
      node.catalog.readAheadCatalogItem('ferme', 'chevre'));
    expect(updated.id).to.match(/\/catalog_items\/tomate$/u);
    expect(updated.stock).to.equal(50);
    const elsewhere = await node.catalog.updateCatalogItem('ferme', 'tomate', json({ 'dfc-b:stockLimitation': 51 }), undefined,
      node.catalog.readAheadCatalogItem('voisin', 'tomate'));
    expect(elsewhere.id).to.not.contain('voisin');
    expect((await node.catalog.resource('ferme', 'catalog_items', 'chevre')).record).to.deep.equal(before);
    expect((await node.catalog.resource('voisin', 'catalog_items', 'tomate')).record).to.not.include({ stock: 51 });
  });
});
