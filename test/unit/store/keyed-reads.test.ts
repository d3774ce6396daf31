/**
 * Point reads by key of one turn of the event loop, made as one statement: each asker gets its own row (or none),
 * a read of a later turn sees what was written since, and a failed statement fails only its own askers.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeId } from '../../../ontology/iri.js';
import type { DfcRecord } from '../../../ontology/records.js';
import { hashToken, issueToken } from '../../../server/auth/tokens.js';
import { KeyedReads } from '../../../server/store/sqlite/keyed-reads.js';
import { SqliteStore } from '../../../server/store/sqlite/sqlite-store.js';
import { listingRowOf } from '../../helpers/listing.js';

interface Row {
  readonly key: string;
  readonly value: number;
}

describe('store: keyed reads', () => {
  /** The keys of each statement, in order (as asked: padded to the statement's size with its last key again). */
  let statements: string[][];
  /** Called while a statement runs. */
  let during: (() => void) | undefined;
  let table: Map<string, number>;
  let failing: Set<string>;
  let reads: KeyedReads<Row>;

  beforeEach(() => {
    statements = [];
    table = new Map([['a', 1], ['b', 2], ['c', 3]]);
    failing = new Set();
    during = undefined;
    reads = new KeyedReads<Row>(async (keys, marks) => {
      statements.push([...keys]);
      expect(marks).to.equal(keys.map(() => '?').join(','));
      during?.();
      await new Promise((resolve) => setImmediate(resolve));
      if (keys.some((k) => failing.has(k))) throw new Error(`cannot read ${keys.join(' ')}`);
      // As `IN` reads them: each key's row once, in an order of its own (here the reverse).
      return [...new Set(keys)].reverse().flatMap((key) => (table.has(key) ? [{ key, value: table.get(key) as number }] : []));
    }, (row) => row.key);
  });

  it('reads the keys asked in one turn in one statement, each asker getting its own row or none', async () => {
    const [a, b, again, none] = await Promise.all([reads.get('a'), reads.get('b'), reads.get('a'), reads.get('zz')]);
    // Three keys, written as a statement of four.
    expect(statements).to.deep.equal([['a', 'b', 'zz', 'zz']]);
    expect([a?.value, b?.value, again?.value, none]).to.deep.equal([1, 2, 1, undefined]);
  });

  it('reads again in a later turn, and sees what was written since', async () => {
    expect((await reads.get('c'))?.value).to.equal(3);
    table.set('c', 30);
    table.delete('a');
    expect((await reads.get('c'))?.value).to.equal(30);
    expect(await reads.get('a')).to.equal(undefined);
    expect(statements).to.deep.equal([['c'], ['c'], ['a']]);
  });

  it('gives every row of a key that is not unique, in the statement\'s order', async () => {
    const many = new KeyedReads<Row>(async (keys) => [...new Set(keys)].flatMap((key) => [{ key, value: 1 }, { key: 'other', value: 9 }, { key, value: 2 }]), (row) => row.key);
    const [rows, first, other] = await Promise.all([many.all('x'), many.get('x'), many.all('y')]);
    expect(rows.map((r) => r.value)).to.deep.equal([1, 2]);
    expect(first?.value).to.equal(1);
    expect(other.map((r) => r.value)).to.deep.equal([1, 2]);
    expect(await new KeyedReads<Row>(async () => [], (row) => row.key).all('z')).to.deep.equal([]);
  });

  it('takes a read asked while a statement runs into the next one', async () => {
    let later: Promise<Row | undefined> | undefined;
    during = () => {
      during = undefined;
      later = reads.get('c');
    };
    expect((await reads.get('a'))?.value).to.equal(1);
    expect((await later)?.value).to.equal(3);
    expect(statements).to.deep.equal([['a'], ['c']]);
  });

  it('reads at most 99 keys a statement, and a failed statement fails only its own askers', async () => {
    const keys = Array.from({ length: 150 }, (_v, i) => `k${i}`);
    failing.add('k120');
    const outcomes = await Promise.allSettled(keys.map((k) => reads.get(k)));
    // 99, then 51 written as a statement of 64.
    expect(statements.map((s) => s.length)).to.deep.equal([99, 64]);
    expect(new Set(statements[1]).size).to.equal(51);
    expect(outcomes.slice(0, 99).every((o) => o.status === 'fulfilled' && o.value === undefined)).to.equal(true);
    expect(outcomes.slice(99).every((o) => o.status === 'rejected' && (o.reason as Error).message.startsWith('cannot read'))).to.equal(true);
    // The next turn's reads are not affected.
    expect((await reads.get('b'))?.value).to.equal(2);
  });
});

/** The three reads that use it, asked together on a real store: each asker gets what it would get alone. */
describe('store: reads gathered in one statement, on SQLite', () => {
  const base = 'https://a.example';
  const api = `${base}/api/dfc/enterprises/ferme`;
  let dir: string;
  let store: SqliteStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-keyed-reads-'));
    store = await SqliteStore.open({ path: join(dir, 'node.db'), baseUrl: base });
    await store.createEnterprise('ferme', api, []);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('tokens by hash: each its own, a revoked one as it now is, none for an unknown hash', async () => {
    const issued = await Promise.all(['a', 'b', 'c'].map((label) => issueToken(store, { eid: 'ferme', scopes: ['ReadOrders'], label })));
    await store.revokeToken(issued[1]?.row.id as string);
    const hashes = [...issued.map((t) => hashToken(t.token)), hashToken('unknown'), hashToken(issued[0]?.token as string)];
    const together = await Promise.all(hashes.map((h) => store.findTokenByHash(h)));
    const alone = [];
    for (const h of hashes) alone.push(await store.findTokenByHash(h));
    expect(together).to.deep.equal(alone);
    expect(together.map((t) => t?.label ?? null)).to.deep.equal(['a', 'b', 'c', null, 'a']);
    expect(together[1]?.revokedAt).to.be.a('string');
  });

  it('what order lines draw on: each resource with its item and listing, none for an unknown one', async () => {
    const id = (path: string): NodeId => `${api}/${path}` as NodeId;
    const records: DfcRecord[] = [
      { kind: 'CatalogItem', id: id('catalog_items/pain'), stock: 5, offers: [id('offers/pain')], listedIn: [] },
      { kind: 'Offer', id: id('offers/pain'), item: id('catalog_items/pain'), stock: 5 },
      { kind: 'CatalogItem', id: id('catalog_items/miel'), stock: null, offers: [id('offers/miel')], listedIn: [] },
      { kind: 'Offer', id: id('offers/miel'), item: id('catalog_items/miel'), stock: null },
    ];
    await store.apply('ferme', { upsert: records });
    const farm = 'https://farm.example/api/dfc/enterprises/farm';
    await store.orders.addListing(listingRowOf('ferme', api, 'miel', farm));
    const iris = [id('offers/miel'), id('offers/pain'), id('catalog_items/pain'), id('offers/nowhere'), id('offers/miel')];
    const together = await Promise.all(iris.map((iri) => store.orders.orderable(iri)));
    const alone = [];
    for (const iri of iris) alone.push(await store.orders.orderable(iri));
    expect(together).to.deep.equal(alone);
    expect(together.map((o) => o?.record.id ?? null)).to.deep.equal([...iris.slice(0, 3), null, iris[4]]);
    expect(together[0]?.offered?.listing?.originOrders).to.equal(`${farm}/orders`);
    expect(together[1]?.offered?.listing).to.equal(undefined);
  });

  it('resources with the offers they name: each its own offers (each once), none for an unknown resource', async () => {
    const id = (path: string): NodeId => `${api}/${path}` as NodeId;
    const records: DfcRecord[] = [
      { kind: 'CatalogItem', id: id('catalog_items/pain'), stock: 5, offers: [id('offers/pain'), id('offers/gone'), id('offers/pain')], listedIn: [] },
      { kind: 'Offer', id: id('offers/pain'), item: id('catalog_items/pain'), stock: 5 },
      { kind: 'CatalogItem', id: id('catalog_items/miel'), stock: 2, offers: [id('offers/miel'), id('offers/pain')], listedIn: [] },
      { kind: 'Offer', id: id('offers/miel'), item: id('catalog_items/miel'), stock: 2 },
    ];
    await store.apply('ferme', { upsert: records });
    const iris = [id('catalog_items/pain'), id('catalog_items/miel'), id('offers/miel'), id('catalog_items/nowhere'), id('catalog_items/pain')];
    const together = await Promise.all(iris.map((iri) => store.getResourceWithOffers(iri)));
    const alone = [];
    for (const iri of iris) alone.push(await store.getResourceWithOffers(iri));
    const ids = (read: (typeof together)[number]) => read === undefined ? null : [read.resource.record.id, ...read.offers.map((o) => o.record.id).sort()];
    expect(together.map(ids)).to.deep.equal(alone.map(ids));
    expect(together.map(ids)).to.deep.equal([
      [iris[0], id('offers/pain')], [iris[1], id('offers/miel'), id('offers/pain')], [iris[2]], null, [iris[0], id('offers/pain')],
    ]);
    expect(together[0]).to.deep.equal(alone[0]);
  });

  it('listings publishing IRIs: by their item, offer or product (or a record under it), none for others', async () => {
    const farm = 'https://farm.example/api/dfc/enterprises/farm';
    const miel = await store.orders.addListing(listingRowOf('ferme', api, 'miel', farm));
    const pain = await store.orders.addListing(listingRowOf('ferme', api, 'pain', farm));
    const asked = [
      [`${api}/catalog_items/miel`], [`${api}/offers/pain`], [`${api}/supplied_products/miel/AsPlannedProductionFlow`],
      [`${api}/catalog_items/pain`, `${api}/offers/miel`], [`${api}/catalog_items/sel`], [],
    ];
    const together = await Promise.all(asked.map((iris) => store.orders.listingsPublishing(iris)));
    const alone = [];
    for (const iris of asked) alone.push(await store.orders.listingsPublishing(iris));
    expect(together).to.deep.equal(alone);
    expect(together.map((rows) => rows.map((r) => r.id))).to.deep.equal([[miel.id], [pain.id], [miel.id], [miel.id, pain.id].sort((a, b) => a - b), [], []]);
  });

  it('listings by id: each its own, none for an unknown id, and a change seen by the next read', async () => {
    const farm = 'https://farm.example/api/dfc/enterprises/farm';
    const miel = await store.orders.addListing(listingRowOf('ferme', api, 'miel', farm));
    const pain = await store.orders.addListing(listingRowOf('ferme', api, 'pain', farm));
    const ids = [pain.id, miel.id, 999_999, pain.id];
    const together = await Promise.all(ids.map((id) => store.orders.listing(id)));
    const alone = [];
    for (const id of ids) alone.push(await store.orders.listing(id));
    expect(together).to.deep.equal(alone);
    expect(together.map((l) => l?.item ?? null)).to.deep.equal([pain.item, miel.item, null, pain.item]);
    // Read in one statement, but never from a cache: what was written is what the next read says.
    await store.orders.setListingDetail(pain.id, 'removing', true);
    expect((await store.orders.listing(pain.id))?.details?.['removing']).to.equal(true);
  });

  it('a listing number is never given twice: the last one removed is not the next one\'s', async () => {
    const farm = 'https://farm.example/api/dfc/enterprises/farm';
    const miel = await store.orders.addListing(listingRowOf('ferme', api, 'miel-n', farm));
    const pain = await store.orders.addListing(listingRowOf('ferme', api, 'pain-n', farm));
    expect(await store.orders.removeListing(pain.id)).to.equal(true);
    const sel = await store.orders.addListing(listingRowOf('ferme', api, 'sel-n', farm));
    expect(sel.id).to.be.greaterThan(pain.id);
    expect(await store.orders.removeListing(sel.id)).to.equal(true);
    expect(await store.orders.removeListing(miel.id)).to.equal(true);
    const thym = await store.orders.addListing(listingRowOf('ferme', api, 'thym-n', farm));
    expect(thym.id).to.be.greaterThan(sel.id);
  });

  it('peers by origin: each origin its own peers, in the order they were added', async () => {
    const [a, b] = ['https://a.peer.example', 'https://b.peer.example'];
    await store.provenance.addPeer({ name: 'a1', url: `${a}/one` }, a);
    await store.provenance.addPeer({ name: 'b1', url: `${b}/one`, token: 'secret' }, b);
    await store.provenance.addPeer({ name: 'a2', url: `${a}/two` }, a);
    const origins = [a, b, 'https://none.example', a];
    const together = await Promise.all(origins.map((o) => store.provenance.peersAt(o)));
    const alone = [];
    for (const o of origins) alone.push(await store.provenance.peersAt(o));
    expect(together).to.deep.equal(alone);
    expect(together.map((peers) => peers.map((p) => p.name))).to.deep.equal([['a1', 'a2'], ['b1'], [], ['a1', 'a2']]);
  });
});
