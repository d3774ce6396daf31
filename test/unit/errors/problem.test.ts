import { expect } from 'chai';
import { Decoder } from '../../../server/codec/decode.js';
import { problem, SYNTAX_ERRORS, type ProblemCode } from '../../../server/errors/problem.js';

const CONTEXT = 'https://www.datafoodconsortium.org';
const BASE = 'https://node.example/api/dfc/enterprises/e/offers/';

async function codes(text: string, mediaType = 'application/ld+json'): Promise<ProblemCode[]> {
  return (await new Decoder().decode(text, { mediaType, base: BASE })).problems.map((p) => p.code);
}

describe('Problem codes', () => {
  it('problem() keeps the code beside the other fields', () => {
    expect(problem('not-a-number', 'x', 'dfc-b:Offer', 'dfc-b:stockLimitation', 'stock is not a number'))
      .to.deep.equal({ id: 'x', type: 'dfc-b:Offer', path: 'dfc-b:stockLimitation', message: 'stock is not a number', severity: 'error', code: 'not-a-number' });
  });

  it('a syntax error of the document is invalid-json or invalid-rdf, SYNTAX_ERRORS (with a plain update that is no object)', async () => {
    expect(await codes('{ not json')).to.deep.equal(['invalid-json']);
    expect(await codes('<a> <b> .', 'text/turtle')).to.deep.equal(['invalid-rdf']);
    expect(await codes('<a> <b> .', 'application/n-triples')).to.deep.equal(['invalid-rdf']);
    expect([...SYNTAX_ERRORS].sort()).to.deep.equal(['invalid-json', 'invalid-rdf', 'not-an-object']);
  });

  it('content errors of the document have codes of their own', async () => {
    expect(await codes('{"@context": "https://unknown.example/context.json", "@id": "x"}')).to.deep.equal(['unknown-context']);
    expect(await codes('{"@id": "https://a.example/x", "@type": "dfc-b:Offer"}')).to.include('missing-context');
    expect(await codes('[1]')).to.deep.equal(['not-a-node-object']);
    expect(await codes('x', 'text/plain')).to.deep.equal(['unsupported-media-type']);
  });

  it('value errors: not-a-number, missing-property, unknown-unit, out-of-range', async () => {
    const offer = (price: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({
      '@context': CONTEXT, '@id': `${BASE}1`, '@type': 'dfc-b:Offer', 'dfc-b:hasPrice': price, ...extra,
    });
    expect(await codes(offer({ '@type': 'dfc-b:Price', 'dfc-b:value': 'cheap', 'dfc-b:hasUnit': 'dfc-m:Euro' }))).to.include('not-a-number');
    expect(await codes(offer(`${BASE}price-elsewhere`))).to.include('dangling-link');
    expect(await codes(offer({ '@type': 'dfc-b:Price', 'dfc-b:value': 2 }))).to.include('missing-property');
    expect(await codes(offer({ '@type': 'dfc-b:Price', 'dfc-b:value': 2, 'dfc-b:hasUnit': 'dfc-m:Kilogram' }))).to.include('unknown-unit');
    expect(await codes(offer({ '@type': 'dfc-b:Price', 'dfc-b:value': -2, 'dfc-b:hasUnit': 'dfc-m:Euro' }))).to.include('out-of-range');
    expect(await codes(offer(2, { 'dfc-b:stockLimitation': 'lots' }))).to.deep.equal(['not-a-number']);
  });
});
