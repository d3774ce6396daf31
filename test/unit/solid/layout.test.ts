import { expect } from 'chai';
import { Parser } from 'n3';
import type { NodeId } from '../../../ontology/iri.js';
import type { CatalogItemRecord, EnterpriseRecord, OfferRecord, SuppliedProductRecord } from '../../../ontology/records.js';
import { DFC_B, OWL, RDF } from '../../../ontology/vocabulary.js';
import { localName, podLayout, type LayoutInput } from '../../../server/solid/layout.js';
import { containerUrl } from '../../../server/solid/publisher.js';

const NODE = 'https://node.example/api/dfc';
const id = (path: string): NodeId => `${NODE}/${path}` as NodeId;
const C = 'https://pod.example/alice/dfc/farm/';

function input(price = 4.2): LayoutInput {
  const enterprise: EnterpriseRecord = {
    kind: 'Enterprise', id: id('enterprises/farm'), name: 'Farm', address: id('addresses/farm'), mainContact: id('persons/farm'),
    supplies: [id('enterprises/farm/supplied_products/leek')], manages: [id('enterprises/farm/catalog_items/leek')], maintains: [],
    customerCategories: [], affiliates: [],
  };
  const product: SuppliedProductRecord = {
    kind: 'SuppliedProduct', id: id('enterprises/farm/supplied_products/leek'), name: 'Leek', images: [], variantOf: [], variants: [],
    catalogItems: [id('enterprises/farm/catalog_items/leek')], suppliedBy: enterprise.id,
  };
  const item: CatalogItemRecord = {
    kind: 'CatalogItem', id: id('enterprises/farm/catalog_items/leek'), product: product.id, stock: 7, offers: [id('enterprises/farm/offers/leek')],
    managedBy: enterprise.id, listedIn: [],
  };
  const offer: OfferRecord = { kind: 'Offer', id: id('enterprises/farm/offers/leek'), item: item.id, stock: 7, price: { value: price, currency: 'urn:euro' as never } };
  return {
    container: C,
    profile: [enterprise, { kind: 'Address', id: id('addresses/farm'), city: 'Limoges' }, { kind: 'Person', id: id('persons/farm'), firstName: 'Ann', affiliates: [] }],
    entries: [{ product, items: [item], offers: [offer], plans: [] }],
    groups: [],
    categories: [],
  };
}

describe('solid/layout', () => {
  it('lays a catalogue out at stable paths: an index, the enterprise, one document per product', () => {
    const docs = podLayout(input());
    expect(docs.map((d) => [d.role, d.url])).to.deep.equal([
      ['index', `${C}index.ttl`], ['enterprise', `${C}enterprise.ttl`], ['product', `${C}products/leek.ttl`],
    ]);
  });

  it('writes plain Turtle under pod IRIs, each linked by owl:sameAs to the node IRI, without the person', () => {
    const docs = podLayout(input());
    for (const doc of docs) {
      expect(doc.turtle).to.not.include('@context');
      const quads = new Parser({ format: 'text/turtle' }).parse(doc.turtle);
      for (const q of quads) if (q.subject.termType === 'NamedNode') expect(q.subject.value.startsWith(doc.url)).to.equal(true);
    }
    const product = docs[2]!;
    const quads = new Parser({ format: 'text/turtle' }).parse(product.turtle);
    const subject = `${C}products/leek.ttl#product`;
    expect(quads.some((q) => q.subject.value === subject && q.predicate.value === RDF.type && q.object.value === DFC_B.SuppliedProduct)).to.equal(true);
    expect(quads.some((q) => q.subject.value === subject && q.predicate.value === OWL.sameAs && q.object.value === id('enterprises/farm/supplied_products/leek'))).to.equal(true);
    expect(quads.some((q) => q.predicate.value === DFC_B.suppliedBy && q.object.value === `${C}enterprise.ttl#enterprise`)).to.equal(true);
    const enterprise = docs[1]!.turtle;
    expect(enterprise).to.include('Limoges').and.not.include('Ann').and.not.include('persons/farm');
  });

  it('changes the hash of the one product document whose price changed, and no other', () => {
    const before = podLayout(input(4.2));
    const after = podLayout(input(5));
    expect(after.map((d) => d.hash === before.find((b) => b.url === d.url)?.hash)).to.deep.equal([true, true, false]);
    expect(podLayout(input(4.2)).map((d) => d.hash)).to.deep.equal(before.map((d) => d.hash));
  });

  it('names documents from the last segment of an IRI, or a hash when it is not a safe name', () => {
    expect(localName('https://x.example/a/leek')).to.equal('leek');
    expect(localName('https://x.example/a/..')).to.match(/^[0-9a-f]{16}$/u);
    expect(localName('https://x.example/a/%2F..%2F')).to.match(/^[0-9a-f]{16}$/u);
    expect(localName('https://x.example/a/caf%C3%A9')).to.match(/^[0-9a-f]{16}$/u);
  });
});

describe('solid/publisher containerUrl', () => {
  it('resolves the container under the pod, dfc/EID/ by default', () => {
    expect(containerUrl('https://pod.example/alice/', 'farm')).to.equal('https://pod.example/alice/dfc/farm/');
    expect(containerUrl('https://pod.example/alice', 'farm', 'shop/catalogue')).to.equal('https://pod.example/alice/shop/catalogue/');
  });

  it('refuses a container that leaves the pod, and a pod that is no http(s) URL', () => {
    for (const bad of ['../bob/', '/bob/', 'https://evil.example/', 'a/../../b', 'a/./b', 'a?x=1', 'a#frag']) {
      expect(() => containerUrl('https://pod.example/alice/', 'farm', bad), bad).to.throw();
    }
    expect(() => containerUrl('file:///etc/', 'farm')).to.throw(/http/u);
    expect(() => containerUrl('not a url', 'farm')).to.throw(/not a URL/u);
  });
});
