/**
 * A property the node reads as one value (an enterprise's address, main contact and phone number, a product's type)
 * given several: the first is read, the others kept and written out again, never dropped without a word. A blank
 * address stays linked (it was left as a node nothing linked to).
 */
import { expect } from 'chai';
import { Decoder } from '../../../server/codec/decode.js';
import { serialize } from '../../../server/codec/serialize.js';
import type { DfcRecord } from '../../../ontology/records.js';

const CONTEXT = 'https://w3id.org/dfc/ontology/context/context_1.16.0.json';
const E = 'https://peer.example/api/dfc/enterprises/3';
const DFC_B = 'https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#';

const document = JSON.stringify({
  '@context': CONTEXT,
  '@graph': [{
    '@id': E, '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Ferme',
    'dfc-b:hasPhoneNumber': ['+44 1', '+44 2'],
    'dfc-b:hasAddress': [{ '@id': `${E}/address`, '@type': 'dfc-b:Address', 'dfc-b:hasCity': 'York' },
      { '@type': 'dfc-b:Address', 'dfc-b:hasCity': 'Leeds' }],
  }],
});

describe('a property read as one, given several values', () => {
  const decoder = new Decoder();
  const enterpriseOf = (records: readonly DfcRecord[]) => {
    const found = records.find((r) => r.id === E);
    if (found?.kind !== 'Enterprise') return expect.fail('no enterprise');
    return found;
  };

  it('reads the first, keeps the others, and writes them all out again, the blank address linked', async () => {
    const result = await decoder.decode(document);
    expect(result.rejected).to.deep.equal([]);
    const enterprise = enterpriseOf(result.records);
    expect(enterprise.phone).to.equal('+44 1');
    expect(enterprise.address).to.equal(`${E}/address`);
    expect(enterprise.extra?.[`${DFC_B}hasPhoneNumber`]).to.deep.equal([{ '@value': '+44 2' }]);
    // The blank second address is kept whole in the enterprise (a blank node is nobody else's: no label shared
    // between resources, nothing left to link to), and is no record of its own.
    const kept = enterprise.extra?.[`${DFC_B}hasAddress`] ?? [];
    expect(kept).to.deep.equal([{ '@type': [`${DFC_B}Address`], properties: { [`${DFC_B}hasCity`]: [{ '@value': 'Leeds' }] } }]);
    expect(result.records.filter((r) => r.kind === 'Address').map((r) => r.kind === 'Address' && r.city)).to.deep.equal(['York']);
    // Written out and read again: the same two of each, Leeds still the enterprise's.
    for (const format of ['jsonld', 'turtle'] as const) {
      const again = await decoder.decode(serialize(result.records, format), format === 'turtle' ? { mediaType: 'text/turtle' } : {});
      const copy = enterpriseOf(again.records);
      expect(copy.phone, format).to.equal('+44 1');
      expect(copy.extra?.[`${DFC_B}hasPhoneNumber`], format).to.deep.equal([{ '@value': '+44 2' }]);
      expect(copy.extra?.[`${DFC_B}hasAddress`], format).to.deep.equal(kept);
    }
  });

  it('keeps a second link to a blank node whole in each resource: two resources never share a label', async () => {
    const O = 'https://peer.example/api/dfc/enterprises/3/offers';
    const result = await decoder.decode(JSON.stringify({
      '@context': CONTEXT,
      '@graph': [1, 2].map((n) => ({ '@id': `${O}/${n}`, '@type': 'dfc-b:Offer',
        'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': n, 'dfc-b:hasUnit': 'dfc-m:Euro' },
        'dfc-b:offeredTo': [{ '@id': 'https://peer.example/retail' }, { '@type': 'dfc-b:CustomerCategory', 'dfc-b:name': `Group ${n}` }] })),
    }));
    expect(result.rejected).to.deep.equal([]);
    for (const n of [1, 2]) {
      const offer = result.records.find((r) => r.id === `${O}/${n}`);
      if (offer?.kind !== 'Offer') return expect.fail('no offer');
      expect(offer.customerCategory).to.equal('https://peer.example/retail');
      expect(JSON.stringify(offer.extra)).to.include(`Group ${n}`).and.not.include('_:');
    }
    expect(result.records.filter((r) => r.id.startsWith('_:'))).to.deep.equal([]);
  });

  it('keeps a second pack size and a second price of a peer, and says what a unit written as text is', async () => {
    const P = 'https://peer.example/api/dfc/enterprises/3';
    const result = await decoder.decode(JSON.stringify({
      '@context': CONTEXT,
      '@graph': [
        { '@id': `${P}/supplied_products/1`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Lentilles',
          'dfc-b:hasQuantity': [{ '@type': 'dfc-b:QuantitativeValue', 'dfc-b:hasUnit': 'dfc-m:Kilogram', 'dfc-b:value': 1 },
            { '@type': 'dfc-b:QuantitativeValue', 'dfc-b:hasUnit': 'dfc-m:Kilogram', 'dfc-b:value': 5 }] },
        { '@id': `${P}/offers/1`, '@type': 'dfc-b:Offer',
          'dfc-b:hasPrice': [{ '@type': 'dfc-b:Price', 'dfc-b:value': 2, 'dfc-b:hasUnit': 'dfc-m:Euro' }, { '@type': 'dfc-b:Price', 'dfc-b:value': 9, 'dfc-b:hasUnit': 'dfc-m:Euro' }] },
        { '@id': `${P}/supplied_products/2`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Pois',
          'dfc-b:hasQuantity': { '@type': 'dfc-b:QuantitativeValue', 'dfc-b:hasUnit': 'kg', 'dfc-b:value': 1 } },
      ],
    }));
    const product = result.records.find((r) => r.id === `${P}/supplied_products/1`);
    const offer = result.records.find((r) => r.id === `${P}/offers/1`);
    if (product?.kind !== 'SuppliedProduct' || offer?.kind !== 'Offer') return expect.fail('records missing');
    expect(product.quantity?.value).to.equal(1);
    expect(offer.price?.value).to.equal(2);
    const turtle = serialize(result.records, 'turtle');
    expect(turtle).to.match(/value" ?5|value 5|dfc-b:value 5/u);
    expect(turtle).to.match(/dfc-b:value 9/u);
    const unit = result.problems.find((p) => p.id === `${P}/supplied_products/2` && p.path.endsWith('hasUnit'));
    expect(unit?.message).to.include('text').and.include('"kg"');
  });

  it('keeps what a price\'s or a pack size\'s node says beyond value, unit and VAT rate, and writes it back', async () => {
    const P = 'https://peer.example/api/dfc/enterprises/3';
    const TAX = 'https://ofn.example/ns#tax_category';
    const result = await decoder.decode(JSON.stringify({
      '@context': CONTEXT,
      '@graph': [
        { '@id': `${P}/supplied_products/1`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Lentilles',
          'dfc-b:hasQuantity': { '@type': 'dfc-b:QuantitativeValue', 'dfc-b:hasUnit': 'dfc-m:Kilogram', 'dfc-b:value': 1, 'dfc-b:minValue': 0.9,
            'http://www.w3.org/2000/01/rdf-schema#comment': 'net weight' } },
        { '@id': `${P}/offers/1`, '@type': 'dfc-b:Offer',
          'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 2, 'dfc-b:hasUnit': 'dfc-m:Euro', 'dfc-b:VATrate': 5.5, [TAX]: 'reduced' } },
      ],
    }));
    expect(result.rejected).to.deep.equal([]);
    const product = result.records.find((r) => r.id === `${P}/supplied_products/1`);
    const offer = result.records.find((r) => r.id === `${P}/offers/1`);
    if (product?.kind !== 'SuppliedProduct' || offer?.kind !== 'Offer') return expect.fail('records missing');
    expect(product.quantity).to.deep.include({ value: 1 });
    expect(product.quantity?.extra?.[`${DFC_B}minValue`]).to.deep.equal([{ '@value': 0.9 }]);
    expect(offer.price).to.deep.include({ value: 2, vatRate: 5.5 });
    expect(offer.price?.extra?.[TAX]).to.deep.equal([{ '@value': 'reduced' }]);
    for (const format of ['jsonld', 'turtle'] as const) {
      const again = await decoder.decode(serialize(result.records, format), format === 'turtle' ? { mediaType: 'text/turtle' } : {});
      const copy = again.records.find((r) => r.id === `${P}/supplied_products/1`);
      const copiedOffer = again.records.find((r) => r.id === `${P}/offers/1`);
      if (copy?.kind !== 'SuppliedProduct' || copiedOffer?.kind !== 'Offer') return expect.fail(`${format}: records missing`);
      expect(copy.quantity, format).to.deep.equal(product.quantity);
      expect(copiedOffer.price, format).to.deep.equal(offer.price);
    }
  });

  it('keeps a blank second value that another resource names too as a record, linked from both', async () => {
    const O = 'https://peer.example/api/dfc/enterprises/3/offers';
    const price = { '@type': 'dfc-b:Price', 'dfc-b:value': 1, 'dfc-b:hasUnit': 'dfc-m:Euro' };
    const result = await decoder.decode(JSON.stringify({
      '@context': CONTEXT,
      '@graph': [
        { '@id': `${O}/1`, '@type': 'dfc-b:Offer', 'dfc-b:hasPrice': price, 'dfc-b:offeredTo': [{ '@id': 'https://peer.example/retail' }, { '@id': '_:cc' }] },
        { '@id': `${O}/2`, '@type': 'dfc-b:Offer', 'dfc-b:hasPrice': price, 'dfc-b:offeredTo': { '@id': '_:cc' } },
        { '@id': '_:cc', '@type': 'dfc-b:CustomerCategory', 'dfc-b:name': 'Members' },
      ],
    }));
    expect(result.rejected).to.deep.equal([]);
    const category = result.records.find((r) => r.kind === 'CustomerCategory');
    expect(category?.kind === 'CustomerCategory' && category.name).to.equal('Members');
    const [one, two] = [1, 2].map((n) => result.records.find((r) => r.id === `${O}/${n}`));
    if (one?.kind !== 'Offer' || two?.kind !== 'Offer') return expect.fail('offers missing');
    expect(two.customerCategory).to.equal(category?.id);
    expect(one.extra?.[`${DFC_B}offersTo`] ?? one.extra?.[`${DFC_B}offeredTo`]).to.deep.equal([{ '@id': category?.id }]);
    const turtle = serialize(result.records, 'turtle');
    expect(turtle.match(/Members/gu)).to.have.length(1);
  });

  it('keeps a second link written as text (the connector\'s spelling) as written', async () => {
    const O = 'https://peer.example/api/dfc/enterprises/3/offers';
    const result = await decoder.decode(JSON.stringify({
      '@context': CONTEXT,
      '@graph': [{ '@id': `${O}/1`, '@type': 'dfc-b:Offer', 'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 1, 'dfc-b:hasUnit': 'dfc-m:Euro' },
        'dfc-b:offeredTo': ['https://peer.example/retail', 'https://peer.example/pro'] }],
    }));
    const offer = result.records.find((r) => r.id === `${O}/1`);
    if (offer?.kind !== 'Offer') return expect.fail('no offer');
    expect(offer.customerCategory).to.equal('https://peer.example/retail');
    expect(JSON.stringify(offer.extra)).to.include('https://peer.example/pro');
    expect(serialize(result.records, 'turtle')).to.include('https://peer.example/pro');
  });
});
