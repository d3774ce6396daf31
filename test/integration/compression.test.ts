/**
 * Compressed transfers between real nodes on loopback: a node syncing another asks for br/gzip and decodes, and
 * gets the same data as a node that asks for identity, in far fewer bytes; its second sync is all 304 (the tag of
 * the coded variant it holds); a source with compression off is synced as it is.
 *
 *   A: ferme-des-trois-chenes, compression on (the default)     D: chevrerie-du-puy, MAILLON_COMPRESS=off
 *   B: syncs A and D, asking for compressed answers (the default)
 *   C: syncs A, MAILLON_FETCH_COMPRESSED=off
 */
import { expect } from 'chai';
import type { SyncSummary } from '../../server/store/federation.js';
import { DEFAULT_FETCH_POLICY } from '../../server/net/safe-fetch.js';
import { fetchPage } from '../../server/sync/peer-fetch.js';
import { startFederationNode, type FederationNode } from '../helpers/federation.js';

describe('integration: compressed transfers between nodes', function () {
  this.timeout(60_000);
  let a: FederationNode;
  let b: FederationNode;
  let c: FederationNode;
  let d: FederationNode;

  before(async () => {
    a = await startFederationNode({ name: 'A' });
    d = await startFederationNode({ name: 'D', env: { MAILLON_COMPRESS: 'off' } });
    b = await startFederationNode({ name: 'B' });
    c = await startFederationNode({ name: 'C', env: { MAILLON_FETCH_COMPRESSED: 'off' } });
    await a.seed('ferme-des-trois-chenes');
    await d.seed('chevrerie-du-puy');
  });
  after(async () => {
    for (const node of [a, b, c, d]) await node?.close();
  });

  const federatedIds = async (node: FederationNode): Promise<string[]> => {
    const response = await node.request('GET', '/api/federation/catalog?page_size=10000', { headers: { accept: 'application/ld+json' } });
    expect(response.status).to.equal(200);
    const graph = (JSON.parse(response.text) as { '@graph': { '@id': string }[] })['@graph'];
    return graph.map((n) => n['@id']).sort();
  };

  it('syncs a compressing node in fewer bytes than identity, to the same data, then all 304', async () => {
    const ofA = await b.addPeer(a.url, 'A');
    const plainOfA = await c.addPeer(a.url, 'A');
    const compressed: SyncSummary = await b.sync(ofA.id);
    const plain: SyncSummary = await c.sync(plainOfA.id);
    expect(compressed.added).to.be.greaterThan(10);
    expect(compressed.added).to.equal(plain.added);
    // The decoded bytes are the same documents; on the wire they are several times fewer.
    expect(compressed.bytes).to.equal(plain.bytes);
    expect(plain.wireBytes).to.equal(plain.bytes);
    expect(compressed.wireBytes).to.be.a('number').and.lessThan(compressed.bytes / 3);
    expect(await federatedIds(b)).to.deep.equal(await federatedIds(c));
    const again = await b.sync(ofA.id);
    // Node to node, the second sync reads the change feed since the first: nothing new, a small page.
    expect(again).to.include({ added: 0, updated: 0 });
    expect(again.bytes).to.be.lessThan(compressed.bytes / 10);
  });

  it('answers the peer client\'s conditional GET of a coded page with 304 (the coded variant\'s tag)', async () => {
    const url = `${a.url}/api/dfc/enterprises/ferme-des-trois-chenes/catalog_items`;
    const policy = { ...DEFAULT_FETCH_POLICY, allowPrivate: true };
    const first = await fetchPage({ url }, policy);
    if (!first.ok) expect.fail(JSON.stringify(first.failure));
    expect(first.page.etag).to.match(/-br"$/u);
    expect(first.page.wireBytes).to.be.lessThan(first.page.bytes / 3);
    const second = await fetchPage({ url, ...(first.page.etag !== undefined ? { etag: first.page.etag } : {}) }, policy);
    if (!second.ok) expect.fail(JSON.stringify(second.failure));
    expect(second.page.status).to.equal(304);
  });

  it('syncs a node that does not compress as it is', async () => {
    const ofD = await b.addPeer(d.url, 'D');
    const summary = await b.sync(ofD.id);
    expect(summary.added).to.be.greaterThan(5);
    expect(summary.wireBytes).to.equal(summary.bytes);
  });
});
