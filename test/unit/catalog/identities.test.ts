import { expect } from 'chai';
import type { NodeId } from '../../../ontology/iri.js';
import type { DfcRecord, OfferRecord, SuppliedProductRecord } from '../../../ontology/records.js';
import { measureIri } from '../../../ontology/units.js';
import { OWL } from '../../../ontology/vocabulary.js';
import { remap } from '../../../server/catalog/identities.js';

const OLD = 'https://shop.example/products/1' as NodeId;
const NEW = 'https://node.example/api/dfc/enterprises/e/supplied_products/tomate' as NodeId;

describe('Identities: remap', () => {
  const product: SuppliedProductRecord = {
    kind: 'SuppliedProduct', id: OLD, name: OLD, images: [], variantOf: [OLD], variants: [], catalogItems: [],
    extra: { [OWL.sameAs]: [{ '@id': OLD }], 'https://x.example/note': [{ '@value': OLD }] },
  };

  it('rewrites ids and links, and @id of kept values, never a literal', () => {
    const [out] = remap([product], new Map([[OLD, NEW]])) as [SuppliedProductRecord];
    expect(out.id).to.equal(NEW);
    expect(out.variantOf).to.deep.equal([NEW]);
    expect(out.extra?.[OWL.sameAs]).to.deep.equal([{ '@id': NEW }]);
    expect(out.extra?.['https://x.example/note']).to.deep.equal([{ '@value': OLD }]);
    // A name is a string like any other: the JSON rewrite always rewrote it too, and so does the walk.
    expect(out.name).to.equal(NEW);
  });

  it('gives what a copy through JSON gave, without copying what has nothing to rewrite', () => {
    const offer: OfferRecord = { kind: 'Offer', id: 'https://node.example/offers/1' as NodeId, stock: null, price: { value: 2, currency: measureIri('Euro') }, item: OLD };
    const records: DfcRecord[] = [product, offer];
    const ids = new Map<string, string>([[OLD, NEW]]);
    const viaJson = records.map((r) => JSON.parse(JSON.stringify(r), (key, value: unknown) =>
      typeof value === 'string' && key !== '@value' && ids.has(value) ? ids.get(value) : value) as DfcRecord);
    const walked = remap(records, ids);
    expect(walked).to.deep.equal(viaJson);
    expect((walked[1] as OfferRecord).price).to.equal(offer.price); // shared: nothing in it to rewrite
    expect(product.id).to.equal(OLD); // the input is not changed
  });

  it('drops fields left undefined, as JSON did', () => {
    const [out] = remap([{ ...product, description: undefined } as unknown as DfcRecord], new Map([[OLD, NEW]]));
    expect(Object.keys(out as object)).to.not.include('description');
  });
});
