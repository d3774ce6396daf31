/**
 * A peer's page that gives one `@id` twice with different values where one is read: a stock or a price decides what
 * is listed and sold, so the resource is quarantined with a `conflicting-values` problem naming both values, not
 * read as whichever came first (the item was listed at the first stock, the offer kept with two prices). A name
 * given twice is not: RDF allows several, and the second is kept beside the first. The same value twice is one.
 */
import { expect } from 'chai';
import type { DfcRecord } from '../../../ontology/records.js';
import { DFC_B } from '../../../ontology/vocabulary.js';
import { startStaticPeer, type StaticPeer } from '../../helpers/fake-peer.js';
import { startInProcess, type InProcessNode } from '../../helpers/in-process.js';

const CTX = 'https://w3id.org/dfc/ontology/context/context_1.16.0.json';

/** A product, its catalog item and offer, under the peer's farm. */
function item(origin: string, slug: string, name: string, price: number, stock: number): object[] {
  const e = `${origin}/ent/farm`;
  return [
    { '@id': `${origin}/p/${slug}`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': name, 'dfc-b:hasType': 'dfc-pt:vegetable', 'dfc-b:suppliedBy': e },
    { '@id': `${origin}/ci/${slug}`, '@type': 'dfc-b:CatalogItem', 'dfc-b:references': `${origin}/p/${slug}`, 'dfc-b:stockLimitation': stock,
      'dfc-b:offeredThrough': `${origin}/o/${slug}`, 'dfc-b:managedBy': e },
    { '@id': `${origin}/o/${slug}`, '@type': 'dfc-b:Offer', 'dfc-b:offers': `${origin}/ci/${slug}`,
      'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': price, 'dfc-b:hasUnit': 'dfc-m:Euro' } },
  ];
}

describe('sync: one @id given twice with different stocks or prices', function () {
  this.timeout(30_000);
  let node: InProcessNode;
  let peer: StaticPeer;
  let peerId: number;

  before(async () => {
    node = await startInProcess();
    peer = await startStaticPeer((origin) => ({
      '/catalog.json': {
        contentType: 'application/ld+json',
        body: JSON.stringify({ '@context': CTX, '@graph': [
          { '@id': `${origin}/ent/farm`, '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Dup' },
          ...item(origin, 'd', 'dup A', 1, 1),
          { '@id': `${origin}/ci/d`, '@type': 'dfc-b:CatalogItem', 'dfc-b:stockLimitation': 99 },
          { '@id': `${origin}/o/d`, '@type': 'dfc-b:Offer', 'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 7, 'dfc-b:hasUnit': 'dfc-m:Euro' } },
          { '@id': `${origin}/p/d`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'dup B' },
          // The same values given twice: one value, nothing refused.
          ...item(origin, 'same', 'same', 2, 4),
          { '@id': `${origin}/ci/same`, '@type': 'dfc-b:CatalogItem', 'dfc-b:stockLimitation': 4 },
          { '@id': `${origin}/o/same`, '@type': 'dfc-b:Offer', 'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 2, 'dfc-b:hasUnit': 'dfc-m:Euro' } },
        ] }),
      },
    }));
    const added = await node.store.provenance.addPeer({ name: 'dup', url: `${peer.url}/catalog.json` }, peer.url);
    peerId = added.id;
    const outcome = await node.scheduler.syncOne(added);
    expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
  });
  after(async () => {
    await node.close();
    await peer.close();
  });

  it('quarantines the item and the offer with a conflicting-values problem naming both values', async () => {
    const quarantine = [...(await node.store.provenance.quarantine(peerId))].sort((a, b) => a.iri.localeCompare(b.iri));
    expect(quarantine.map((q) => [q.iri, q.problems.map((p) => `${p.code} ${p.path}: ${p.message}`)])).to.deep.equal([
      [`${peer.url}/ci/d`, ['conflicting-values dfc-b:stockLimitation: 2 different values (1, 99) where one is read']],
      [`${peer.url}/o/d`, ['conflicting-values dfc-b:hasPrice: 2 different values (1 dfc-m:Euro, 7 dfc-m:Euro) where one is read']],
    ]);
  });

  it('lists neither at a guessed stock or price; keeps the same value given twice, and a second name beside the first', async () => {
    const rows = await node.federation.rows(await node.federation.query({}));
    expect(rows.map((r) => r.itemIri)).to.deep.equal([`${peer.url}/ci/same`]);
    expect(rows[0]).to.include({ stock: 4, price: 2 });
    const held = await node.store.index.recordsOf([`${peer.url}/p/d`]);
    const product = held.get(`${peer.url}/p/d`)?.record as DfcRecord | undefined;
    if (product?.kind !== 'SuppliedProduct') return expect.fail('the product is not held');
    expect(product.name).to.equal('dup A');
    expect(product.extra?.[DFC_B.name]).to.deep.equal([{ '@value': 'dup B' }]);
  });
});
