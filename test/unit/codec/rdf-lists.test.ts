import { expect } from 'chai';
import { DFC_B } from '../../../ontology/vocabulary.js';
import { Decoder, type DecodeResult } from '../../../server/codec/decode.js';
import { recordOf } from './fixtures.js';

const B = 'https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#';
const ID = 'https://shop.example/sp/1';
const CERTS = [{ '@id': 'http://x.example/cert/a' }, { '@id': 'http://x.example/cert/b' }];

function turtle(certification: string): string {
  return `@prefix b: <${B}> .
<${ID}> a b:SuppliedProduct ; b:name "Fraises" ; b:hasCertification ${certification} .`;
}

/** What a decode says of the product: its certifications, and its problems as code and path. */
function certifications(result: DecodeResult): { values: unknown; problems: string[][] } {
  const product = recordOf(result.records, 'SuppliedProduct', ID);
  return { values: product.extra?.[DFC_B.hasCertification], problems: result.problems.map((p) => [p.code, p.severity, p.path]) };
}

describe('RDF lists in Turtle and N-Triples read as in JSON-LD', () => {
  const decoder = new Decoder();
  const warned = [['list-as-set', 'warning', DFC_B.hasCertification]];

  it('reads a JSON-LD @list as the set of its values, with a warning', async () => {
    const result = await decoder.decode(JSON.stringify({
      '@context': 'https://w3id.org/dfc/ontology/context/context_1.16.0.json',
      '@graph': [{ '@id': ID, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Fraises', 'dfc-b:hasCertification': { '@list': CERTS.map((c) => c['@id']) } }],
    }));
    expect(certifications(result)).to.deep.equal({ values: CERTS, problems: warned });
  });

  it('reads a Turtle ( … ) list the same way, without its rdf:first/rdf:rest nodes', async () => {
    const result = await decoder.decode(turtle('( <http://x.example/cert/a> <http://x.example/cert/b> )'), { mediaType: 'text/turtle' });
    expect(certifications(result)).to.deep.equal({ values: CERTS, problems: warned });
  });

  it('reads the same list written out in N-Triples, and a list of text', async () => {
    const RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';
    const ntriples = [
      `<${ID}> <${RDF}type> <${B}SuppliedProduct> .`,
      `<${ID}> <${B}name> "Fraises" .`,
      `<${ID}> <${B}hasCertification> _:l1 .`,
      `_:l1 <${RDF}first> <http://x.example/cert/a> .`,
      `_:l1 <${RDF}rest> _:l2 .`,
      `_:l2 <${RDF}first> <http://x.example/cert/b> .`,
      `_:l2 <${RDF}rest> <${RDF}nil> .`,
    ].join('\n');
    const result = await decoder.decode(ntriples, { mediaType: 'application/n-triples' });
    expect(certifications(result)).to.deep.equal({ values: CERTS, problems: warned });
    const text = await decoder.decode(turtle('( "AB" "Demeter" )'), { mediaType: 'text/turtle' });
    expect(certifications(text).values).to.deep.equal([{ '@value': 'AB' }, { '@value': 'Demeter' }]);
  });

  it('leaves blank nodes that are no well-formed list as they are', async () => {
    // A node with an rdf:first but no rdf:rest is no list: kept as written, without a warning.
    const result = await decoder.decode(turtle(`[ <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> <http://x.example/cert/a> ]`), { mediaType: 'text/turtle' });
    const { values, problems } = certifications(result);
    expect(problems).to.deep.equal([]);
    expect(values).to.have.length(1);
    expect(JSON.stringify(values)).to.include('22-rdf-syntax-ns#first');
  });
});
