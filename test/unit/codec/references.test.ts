import { expect } from 'chai';
import { Decoder, type DecodeResult } from '../../../server/codec/decode.js';
import { fixtureText, idsOf, recordOf } from './fixtures.js';

const HUB = 'https://hub.example/enterprises';

describe('bare references (issue 12)', () => {
  let result: DecodeResult;

  before(async () => {
    result = await new Decoder().decode(fixtureText('shapes/bare-references.json'));
  });

  it('reads a node with only @id and @type as a reference: no problem, no record, not rejected', () => {
    expect(result.problems, JSON.stringify(result.problems, null, 2)).to.deep.equal([]);
    expect(result.rejected).to.deep.equal([]);
    expect(result.references).to.have.members([
      `${HUB}/2`, `${HUB}/3/supplied_products/31`, 'https://other.example/catalog_items/33', `${HUB}/3/offers/31`,
      `${HUB}/3/supplied_products/34`,
    ]);
    for (const id of result.references) expect(result.records.map((r) => r.id)).to.not.include(id);
  });

  it('keeps the links to the references on the resources that make them', () => {
    const enterprise = recordOf(result.records, 'Enterprise', `${HUB}/3`);
    expect(enterprise.supplies).to.deep.equal([`${HUB}/3/supplied_products/31`, `${HUB}/3/supplied_products/32`]);
    const product = recordOf(result.records, 'SuppliedProduct', `${HUB}/3/supplied_products/33`);
    expect(product.name).to.equal('Miel de châtaignier');
    expect(product.catalogItems).to.deep.equal(['https://other.example/catalog_items/33']);
    const line = recordOf(result.records, 'OrderLine', `${HUB}/3/orders/7/lines/1`);
    expect(line.offer).to.equal(`${HUB}/3/offers/31`);
    expect(line.quantity).to.equal(2);
    expect(idsOf(result.records, 'Order')).to.deep.equal([`${HUB}/3/orders/7`]);
  });

  it('still reports a blank node of a known class that says nothing', async () => {
    const blank = await new Decoder().decode({
      '@context': 'https://w3id.org/dfc/ontology/context/context_1.16.0.json',
      '@graph': [{ '@type': 'dfc-b:Offer', 'dfc-b:stockLimitation': 1 }],
    });
    expect(blank.rejected).to.have.length(1);
    expect(blank.problems.map((p) => p.message).join()).to.match(/needs a price/u);
  });
});
