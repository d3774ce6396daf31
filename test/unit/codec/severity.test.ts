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

describe('a pack size written as a bare number', () => {
  const decoder = new Decoder();
  const id = 'https://shop.example/e/u/sp/1';
  const jsonld = (quantity: unknown): string => JSON.stringify({
    '@context': 'https://w3id.org/dfc/ontology/context/context_1.16.0.json',
    '@graph': [{ '@id': id, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'P', 'dfc-b:hasQuantity': quantity }],
  });
  const turtle = `@prefix b: <https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#> .
<${id}> a b:SuppliedProduct ; b:name "P" ; b:hasQuantity 2 .`;

  for (const [label, body, mediaType] of [
    ['a JSON number', jsonld(2), 'application/ld+json'],
    ['a JSON-LD value object', jsonld({ '@value': 1.5 }), 'application/ld+json'],
    ['a Turtle number', turtle, 'text/turtle'],
  ] as const) {
    it(`keeps the product, warns naming the path, and keeps the value as written (${label})`, async () => {
      const result = await decoder.decode(body, { mediaType });
      const product = recordOf(result.records, 'SuppliedProduct', id);
      expect(product.quantity).to.equal(undefined);
      expect(result.rejected).to.deep.equal([]);
      const warnings = problemsOf(result, id);
      expect(warnings.map((p) => [p.code, p.severity, p.path])).to.deep.equal([['invalid-value', 'warning', 'dfc-b:hasQuantity']]);
      expect(warnings[0]?.message).to.match(/number with no unit .*pack size/u);
      expect(Object.values(product.extra ?? {}).flat()).to.have.length(1);
    });
  }
});
