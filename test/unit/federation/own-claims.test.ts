/**
 * A peer's claim on this node's own resources is not republished: a peer's item "managed by" this node's farm, its
 * product "supplied by" it, its enterprise "supplying" one of the farm's products, are served by the federated
 * catalogue (JSON-LD, Turtle, N-Quads) without those links, the rest of the peer's records as it said them. A DFC
 * reader must never see the farm selling what it does not sell.
 */
import { expect } from 'chai';
import { Parser, type Quad } from 'n3';
import { startStaticPeer, type StaticPeer } from '../../helpers/fake-peer.js';
import { startInProcess, type InProcessNode } from '../../helpers/in-process.js';
import { jsonld, offline } from '../../helpers/jsonld.js';

const CTX = 'https://w3id.org/dfc/ontology/context/context_1.16.0.json';

describe('federation: a peer\'s claim on this node\'s own enterprise is not republished', function () {
  this.timeout(30_000);
  let node: InProcessNode;
  let peer: StaticPeer;
  let ferme: string;
  let ownProduct: string;

  before(async () => {
    node = await startInProcess();
    await node.seed('ferme');
    ferme = `${node.base}/api/dfc/enterprises/ferme`;
    ownProduct = `${ferme}/supplied_products/tomate`;
    peer = await startStaticPeer((origin) => ({
      '/catalog.json': {
        contentType: 'application/ld+json',
        body: JSON.stringify({ '@context': CTX, '@graph': [
          { '@id': `${origin}/ent/shop`, '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Shop', 'dfc-b:supplies': [`${origin}/p/own`, ownProduct] },
          { '@id': `${origin}/p/fake`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Fake farm product', 'dfc-b:suppliedBy': ferme },
          { '@id': `${origin}/ci/fake`, '@type': 'dfc-b:CatalogItem', 'dfc-b:references': `${origin}/p/fake`, 'dfc-b:stockLimitation': 5,
            'dfc-b:offeredThrough': `${origin}/o/fake`, 'dfc-b:managedBy': ferme },
          { '@id': `${origin}/o/fake`, '@type': 'dfc-b:Offer', 'dfc-b:offers': `${origin}/ci/fake`,
            'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 0.02, 'dfc-b:hasUnit': 'dfc-m:Euro' } },
          // Its own product, sold by its own shop, with the farm as a second manager (kept beside the first).
          { '@id': `${origin}/p/own`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Shop product', 'dfc-b:suppliedBy': `${origin}/ent/shop` },
          { '@id': `${origin}/ci/own`, '@type': 'dfc-b:CatalogItem', 'dfc-b:references': `${origin}/p/own`, 'dfc-b:stockLimitation': 3,
            'dfc-b:offeredThrough': `${origin}/o/own`, 'dfc-b:managedBy': [`${origin}/ent/shop`, ferme] },
          { '@id': `${origin}/o/own`, '@type': 'dfc-b:Offer', 'dfc-b:offers': `${origin}/ci/own`,
            'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 4, 'dfc-b:hasUnit': 'dfc-m:Euro' } },
        ] }),
      },
    }));
    const added = await node.store.provenance.addPeer({ name: 'claims', url: `${peer.url}/catalog.json` }, peer.url);
    const outcome = await node.scheduler.syncOne(added);
    expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
  });
  after(async () => {
    await node.close();
    await peer.close();
  });

  /** The federated catalogue's triples, in one format. */
  async function quads(accept: string): Promise<Quad[]> {
    const response = await node.request('GET', '/api/federation/catalog?page_size=1000', { headers: { accept } });
    expect(response.status, response.text).to.equal(200);
    if (accept === 'application/ld+json') {
      const nquads = await jsonld.toRDF(JSON.parse(response.text), { format: 'application/n-quads', ...offline });
      return new Parser({ format: 'application/n-quads' }).parse(nquads);
    }
    return new Parser({ format: accept }).parse(response.text);
  }

  for (const accept of ['application/ld+json', 'text/turtle', 'application/n-quads']) {
    it(`serves the peer's records without links to this node's resources, the rest kept (${accept})`, async () => {
      const all = await quads(accept);
      const fromPeer = all.filter((q) => q.subject.value.startsWith(peer.url));
      // No triple of the peer's links one of its resources to one of this node's, in either direction.
      const crossing = all.filter((q) => (q.subject.value.startsWith(peer.url) && q.object.value.startsWith(node.base))
        || (q.subject.value.startsWith(node.base) && q.object.value.startsWith(peer.url)));
      expect(crossing.map((q) => `${q.subject.value} ${q.predicate.value} ${q.object.value}`)).to.deep.equal([]);
      // The rest of the peer's records is there: its items, products, offers, and its shop as its own item's manager.
      const subjects = new Set(fromPeer.map((q) => q.subject.value));
      for (const iri of ['p/fake', 'ci/fake', 'o/fake', 'p/own', 'ci/own', 'o/own']) expect(subjects, iri).to.include(`${peer.url}/${iri}`);
      expect(fromPeer.some((q) => q.subject.value === `${peer.url}/ci/own` && q.predicate.value.endsWith('#managedBy')
        && q.object.value === `${peer.url}/ent/shop`)).to.equal(true);
      expect(fromPeer.some((q) => q.subject.value === `${peer.url}/p/fake` && q.object.value === 'Fake farm product')).to.equal(true);
    });
  }

  it('still serves this node\'s own records with their own enterprise', async () => {
    const all = await quads('text/turtle');
    expect(all.some((q) => q.subject.value === ownProduct && q.predicate.value.endsWith('#suppliedBy') && q.object.value === ferme)).to.equal(true);
  });
});
