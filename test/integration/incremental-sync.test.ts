/**
 * Incremental sync from a peer's change feed, between two real nodes on loopback:
 *
 *   A: one enterprise with a 10,000-offer catalogue (`bench/catalog-generator.ts`)
 *   B: follows A (its base URL)
 *
 * The first sync is a full snapshot and leaves a cursor at A's head; ten changes at A (stock, price, a new
 * product, a deletion) then cost B one small incremental sync whose counts match the changes exactly. A lost
 * or reset cursor (beyond A's head, or none) leads to a full snapshot again, after which nothing is missing.
 *
 * The expectations come from A's store before and after the changes, and from B's federated catalogue as CSV.
 */
import { expect } from 'chai';
import { generateCatalog } from '../../bench/catalog-generator.js';
import { RECORD_KINDS, type DfcRecord } from '../../ontology/records.js';
import { issueToken } from '../../server/auth/tokens.js';
import type { PeerRow, SyncSummary } from '../../server/store/federation.js';
import { startFederationNode, type FederationNode } from '../helpers/federation.js';
import { nestedProduct } from '../helpers/write-api.js';
import { parseCsv } from '../helpers/csv.js';

const EID = '10000';
const OFFERS = 10_000;


/** One offer of a federated catalogue, as its CSV row says it. */
interface CsvOffer {
  readonly item: string;
  readonly offer: string;
  readonly product: string;
  readonly stock: string;
  readonly price: string;
}

/** B's federated catalogue, as CSV, by catalog item IRI. */
async function federatedCsv(node: FederationNode): Promise<Map<string, CsvOffer>> {
  const response = await node.request('GET', '/api/federation/catalog.csv');
  expect(response.status, response.text.slice(0, 300)).to.equal(200);
  const [header, ...rows] = parseCsv(response.text).filter((r) => r.length > 1);
  const column = (name: string): number => {
    const index = header?.indexOf(name) ?? -1;
    expect(index, `CSV column ${name}`).to.be.at.least(0);
    return index;
  };
  const [item, offer, product, stock, price] = ['catalog_item_iri', 'offer_iri', 'product_iri', 'stock', 'price'].map(column) as [number, number, number, number, number];
  const byItem = new Map<string, CsvOffer>();
  for (const row of rows) {
    const iri = row[item] as string;
    expect(byItem.has(iri), `${iri} once`).to.equal(false);
    byItem.set(iri, { item: iri, offer: row[offer] as string, product: row[product] as string, stock: row[stock] as string, price: row[price] as string });
  }
  return byItem;
}

/** Every resource A holds for the enterprise: `@id` → the record as JSON. */
async function held(node: FederationNode): Promise<Map<string, string>> {
  return new Map((await node.node.store.listResources(EID, RECORD_KINDS)).map((r) => [r.record.id, JSON.stringify(r.record)]));
}

/** The offers A's store holds, as B's CSV should show them. */
async function expectedOffers(node: FederationNode): Promise<Map<string, { offer: string; stock: string; price: string }>> {
  const resources = await node.node.store.listResources(EID, ['CatalogItem', 'Offer']);
  const offers = new Map<string, DfcRecord>(resources.filter((r) => r.record.kind === 'Offer').map((r) => [r.record.id, r.record]));
  const expected = new Map<string, { offer: string; stock: string; price: string }>();
  for (const { record } of resources) {
    if (record.kind !== 'CatalogItem') continue;
    const offerId = record.offers[0] as string;
    const offer = offers.get(offerId);
    expected.set(record.id, {
      offer: offerId,
      stock: record.stock === null || record.stock === undefined ? '' : String(record.stock),
      price: offer?.kind === 'Offer' && offer.price !== undefined ? String(offer.price.value) : '',
    });
  }
  return expected;
}

/** Checks that B's federated catalogue holds exactly A's offers, at A's stock and price. */
async function expectSameCatalogue(a: FederationNode, b: FederationNode): Promise<void> {
  const expected = await expectedOffers(a);
  const actual = await federatedCsv(b);
  expect([...actual.keys()].sort(), 'the same catalog items').to.deep.equal([...expected.keys()].sort());
  const wrong: string[] = [];
  for (const [iri, want] of expected) {
    const got = actual.get(iri);
    if (got?.offer !== want.offer || got.stock !== want.stock || Number(got.price) !== Number(want.price)) {
      wrong.push(`${iri}: want ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
    }
  }
  expect(wrong.slice(0, 5), `${wrong.length} offers differ`).to.deep.equal([]);
}

describe('incremental sync from a peer\'s change feed (10,000 offers)', function () {
  this.timeout(60_000);

  let a: FederationNode;
  let b: FederationNode;
  let peer: PeerRow;
  let first: SyncSummary;
  let writer = '';
  /** The product created at A by the ten changes. */
  let newProduct = '';

  before(async () => {
    [a, b] = await Promise.all([startFederationNode({ name: 'A' }), startFederationNode({ name: 'B' })]);
    const catalogue = generateCatalog(OFFERS, { baseUrl: `${a.base}/api/dfc`, enterpriseId: Number(EID) });
    const decoded = await a.node.decoder.decode(JSON.stringify(catalogue), { mediaType: 'application/ld+json' });
    expect(decoded.rejected).to.deep.equal([]);
    await a.node.catalog.createEnterprise(decoded.records, { eid: EID });
    const imported = await a.node.catalog.importRecords(EID, decoded.records);
    expect(imported).to.include({ products: OFFERS, items: OFFERS, offers: OFFERS });
    writer = (await issueToken(a.node.store, { eid: EID, scopes: ['ReadProducts', 'WriteProducts'] })).token;
  });

  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  const cursorOf = async (): Promise<number | null> => (await b.node.store.feed.peerFeed(peer.id)).cursor;
  const headOfA = (): Promise<number> => a.node.store.feed.latestSeq();

  it('the first sync is a full snapshot and leaves the cursor at A\'s head', async () => {
    peer = await b.addPeer(a.base, 'A');
    const resources = (await held(a)).size;
    first = await b.sync(peer.id);
    expect(first.added, 'everything A publishes').to.equal(resources);
    expect(first.updated + first.withdrawn + first.quarantined + first.refused).to.equal(0);
    expect(first.pages, 'every catalogue page').to.be.above(3);
    expect(first.bytes).to.be.above(1_000_000);
    expect(await cursorOf()).to.equal(await headOfA());
    expect((await b.node.store.feed.peerFeed(peer.id)).feedUrl).to.equal(`${a.base}/api/dfc/feed`);
    await expectSameCatalogue(a, b);
  });

  it('after ten changes at A, the next sync reads only them: exact counts, ≤ 3 pages, < 1% of the bytes', async () => {
    const before = await held(a);
    const path = (kind: string, n: number): string => `/api/dfc/enterprises/${EID}/${kind}/${n}`;
    const headers = { authorization: `Bearer ${writer}`, 'content-type': 'application/json' };
    const put = async (p: string, body: unknown): Promise<void> => {
      const response = await a.request('PUT', p, { headers, body: JSON.stringify(body) });
      expect(response.status, `PUT ${p}: ${response.text.slice(0, 300)}`).to.equal(200);
    };
    // 1–4: stock of four catalog items (none on demand: the generator makes every 7th one so, from the 7th).
    for (const [n, stock] of [[10001, 1001], [10002, 0], [10003, 1003], [10004, 1004]] as const) await put(path('catalog_items', n), { 'dfc-b:stockLimitation': stock });
    // 5–8: price of four offers.
    for (const [n, price] of [[10011, 3.1], [10012, 0.99], [10013, 12.5], [10014, 42]] as const) await put(path('offers', n), { 'dfc-b:hasPrice': price });
    // 9: a new product with its item and offer.
    const created = await a.request('POST', `/api/dfc/enterprises/${EID}/supplied_products`, {
      headers: { ...headers, 'content-type': 'application/ld+json' }, body: JSON.stringify(nestedProduct({ name: 'Confiture de coings', stock: 17, price: 6.4 })),
    });
    expect(created.status, created.text.slice(0, 300)).to.equal(201);
    // 10: a product deleted, with its item and offer.
    const deleted = await a.request('DELETE', path('supplied_products', 10021), { headers: { authorization: `Bearer ${writer}` } });
    expect(deleted.status, deleted.text).to.equal(204);

    const afterChanges = await held(a);
    const added = [...afterChanges.keys()].filter((iri) => !before.has(iri));
    const withdrawn = [...before.keys()].filter((iri) => !afterChanges.has(iri));
    const updated = [...afterChanges.keys()].filter((iri) => before.has(iri) && before.get(iri) !== afterChanges.get(iri));
    expect(added, 'a product, its item and its offer').to.have.length(3);
    newProduct = added.find((iri) => iri.includes('/supplied_products/')) ?? '';
    expect(withdrawn.sort()).to.deep.equal([path('catalog_items', 10021), path('offers', 10021), path('supplied_products', 10021)].map((p) => `${a.base}${p}`).sort());
    expect(updated.length, 'four items (and the offers mirroring their stock) and four offers').to.be.at.least(8);

    const summary = await b.sync(peer.id);
    expect({ added: summary.added, updated: summary.updated, withdrawn: summary.withdrawn, quarantined: summary.quarantined, refused: summary.refused },
      JSON.stringify(summary)).to.deep.equal({ added: added.length, updated: updated.length, withdrawn: withdrawn.length, quarantined: 0, refused: 0 });
    expect(summary.pages, 'incremental: the feed after the cursor, not the catalogue').to.be.at.most(3);
    expect(await cursorOf()).to.equal(await headOfA());

    // B's federated catalogue shows the new values, the new offer, and no longer the deleted one.
    const csv = await federatedCsv(b);
    const item = (n: number): string => `${a.base}${path('catalog_items', n)}`;
    expect(csv.get(item(10001))?.stock).to.equal('1001');
    expect(csv.get(item(10002))?.stock).to.equal('0');
    expect(csv.get(item(10004))?.stock).to.equal('1004');
    expect(Number(csv.get(item(10011))?.price)).to.equal(3.1);
    expect(Number(csv.get(item(10014))?.price)).to.equal(42);
    expect(csv.has(item(10021)), 'the deleted product\'s offer').to.equal(false);
    const newItem = added.find((iri) => iri.includes('/catalog_items/')) as string;
    expect(csv.get(newItem)?.stock).to.equal('17');
    expect(Number(csv.get(newItem)?.price)).to.equal(6.4);
    expect(csv.size).to.equal(OFFERS);
    await expectSameCatalogue(a, b);
    // Last, so that everything above is checked whatever the size.
    expect(summary.bytes, `${summary.bytes} bytes against ${first.bytes} for the snapshot`).to.be.below(first.bytes / 100);
  });

  it('after the incremental sync, B\'s copy of A\'s enterprise holds no stale dfc-b:supplies / dfc-b:manages, and B lists A\'s current catalogue', async () => {
    const enterprise = `${a.base}/api/dfc/enterprises/${EID}`;
    const served = await a.request('GET', `/api/dfc/enterprises/${EID}`, { headers: { accept: 'application/ld+json' } });
    expect(served.status).to.equal(200);
    const own = (await a.node.decoder.decode(served.text, { mediaType: 'application/ld+json' })).records.find((r) => r.id === enterprise);
    const [copy] = await b.node.store.index.recordsIn(`peer:${peer.id}`, [enterprise]);
    expect(own?.kind).to.equal('Enterprise');
    expect(copy?.kind).to.equal('Enterprise');
    if (own?.kind !== 'Enterprise' || copy?.kind !== 'Enterprise') return;
    const deleted = `${a.base}/api/dfc/enterprises/${EID}/supplied_products/10021`;
    expect(own.supplies, 'A no longer supplies the deleted product').to.not.include(deleted);
    expect(own.supplies).to.include(newProduct);
    // A peer's supplies/manages lists are the inverse of its products' suppliedBy and items' managedBy, which B
    // keeps; B does not keep the lists themselves, which would go stale with every incremental change.
    expect(copy.supplies).to.deep.equal([]);
    expect(copy.manages).to.deep.equal([]);
    const listed = await b.request('GET', `/api/federation/catalog.csv?enterprise=${encodeURIComponent(enterprise)}`);
    const products = new Set(listed.text.split('\r\n').slice(1).filter(Boolean).map((line) => line.split(',').at(-3)));
    expect(products.has(deleted), 'B still lists the deleted product').to.equal(false);
    expect(products.has(newProduct), 'B lists the new product').to.equal(true);
    expect(products.size).to.equal(new Set(own.manages).size);
  });

  it('a cursor beyond A\'s head (A reset its feed) leads to one full snapshot, after which nothing is missing', async () => {
    const head = await headOfA();
    await b.node.store.feed.setPeerFeed(peer.id, { cursor: head + 1000 });
    const summary = await b.sync(peer.id);
    expect(summary.pages, JSON.stringify(summary)).to.be.above(3);
    expect(summary.added + summary.withdrawn, 'nothing new, nothing gone').to.equal(0);
    expect(await cursorOf()).to.equal(head);
    await expectSameCatalogue(a, b);
    // The next sync is incremental again, and finds nothing.
    const quiet = await b.sync(peer.id);
    expect(quiet.pages).to.be.at.most(3);
    expect(quiet.added + quiet.updated + quiet.withdrawn).to.equal(0);
  });

  it('no cursor at all (null) leads to a full snapshot too', async () => {
    await b.node.store.feed.setPeerFeed(peer.id, { cursor: null });
    const summary = await b.sync(peer.id);
    expect(summary.pages, JSON.stringify(summary)).to.be.above(3);
    expect(summary.added + summary.withdrawn).to.equal(0);
    expect(await cursorOf()).to.equal(await headOfA());
    await expectSameCatalogue(a, b);
  });

  it('another feed identity (A\'s database was made anew) leads to a full snapshot, even with a cursor below the head', async () => {
    const state = await b.node.store.feed.peerFeed(peer.id);
    expect(state.stream, 'the identity of A\'s feed is recorded with the cursor').to.be.a('string');
    await b.node.store.feed.setPeerFeed(peer.id, { stream: 'a-feed-that-started-over', cursor: 1 });
    const summary = await b.sync(peer.id);
    expect(summary.pages, JSON.stringify(summary)).to.be.above(3);
    expect((await b.node.store.feed.peerFeed(peer.id)).stream).to.equal(state.stream);
    expect(await cursorOf()).to.equal(await headOfA());
    await expectSameCatalogue(a, b);
  });
});
