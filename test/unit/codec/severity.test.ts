import { expect } from 'chai';
import { DFC_PT_NS, DFC_M_NS } from '../../../ontology/vocabulary.js';
import { Decoder, type DecodeResult } from '../../../server/codec/decode.js';
import type { Problem } from '../../../server/errors/problem.js';
import { fixtureText, recordOf } from './fixtures.js';

const FARM = 'https://farmtool.example';
const OFN = 'https://ofn.example/api/dfc/enterprises/3102';

function problemsOf(result: DecodeResult, id: string): Problem[] {
  return result.problems.filter((p) => p.id === id);
}

describe('severity follows harm (issue 12)', () => {
  const decoder = new Decoder();
  let result: DecodeResult;

  before(async () => {
    result = await decoder.decode(fixtureText('shapes/severity.json'));
  });

  it('keeps a SuppliedProduct without a name, with a warning that shows it by its product type', () => {
    const product = recordOf(result.records, 'SuppliedProduct', `${FARM}/products/1`);
    expect(product.name).to.equal(undefined);
    expect(product.productType).to.equal(`${DFC_PT_NS}round-tomato`);
    const warning = problemsOf(result, product.id).find((p) => p.path === 'dfc-b:name');
    expect(warning).to.include({ code: 'missing-property', severity: 'warning' });
    expect(warning?.message).to.match(/"round tomato"/u);
  });

  it('keeps a quantity in a unit we do not know, with its IRI and a warning', () => {
    const product = recordOf(result.records, 'SuppliedProduct', `${FARM}/products/1`);
    expect(product.quantity).to.deep.equal({ value: 6, unit: `${DFC_M_NS}pack` });
    expect(problemsOf(result, product.id).find((p) => p.code === 'unknown-unit')?.severity).to.equal('warning');
  });

  it('keeps a price in an unknown currency, with a warning', () => {
    const offer = recordOf(result.records, 'Offer', `${FARM}/offers/5`);
    expect(offer.price).to.deep.equal({ value: 4, currency: `${DFC_M_NS}Groat` });
    expect(problemsOf(result, offer.id).map((p) => [p.code, p.severity])).to.deep.equal([['unknown-unit', 'warning']]);
  });

  it('keeps an unknown product type as its IRI, with a warning', () => {
    const product = recordOf(result.records, 'SuppliedProduct', `${FARM}/products/2`);
    expect(product.productType).to.equal(`${DFC_PT_NS}kohlrabi`);
    expect(problemsOf(result, product.id).map((p) => [p.code, p.severity, p.path])).to.deep.equal([['unknown-product-type', 'warning', 'dfc-b:hasType']]);
  });

  it('rejects a negative quantity and types that contradict each other', () => {
    const negative = result.rejected.find((r) => r.id === `${FARM}/products/3`);
    expect(negative?.problems.map((p) => p.code)).to.deep.equal(['out-of-range']);
    const contradictory = result.rejected.find((r) => r.id === `${FARM}/products/4`);
    expect(contradictory?.problems.map((p) => [p.code, p.path])).to.deep.include(['conflicting-types', '@type']);
    expect(result.rejected.map((r) => r.id)).to.have.members([`${FARM}/products/3`, `${FARM}/products/4`]);
  });

  it('reads the former rejection fixtures as warnings: the resources are kept', async () => {
    for (const [file, id, code] of [
      ['product-without-name.json', `${OFN}/supplied_products/980`, 'missing-property'],
      ['unknown-unit.json', `${OFN}/supplied_products/990`, 'unknown-unit'],
      ['unknown-currency.json', `${OFN}/offers/964`, 'unknown-unit'],
    ] as const) {
      const decoded = await decoder.decode(fixtureText(`shapes/${file}`));
      expect(decoded.rejected, file).to.deep.equal([]);
      expect(decoded.records.map((r) => r.id), file).to.include(id);
      expect(problemsOf(decoded, id).map((p) => [p.code, p.severity]), file).to.deep.equal([[code, 'warning']]);
    }
  });
});
