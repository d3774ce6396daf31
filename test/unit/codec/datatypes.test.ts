/**
 * Values where the ontology has a datatype (issue 12), in every format in and out: `"true"`/`"false"` on a boolean
 * property are booleans, `"4.95"` is the decimal 4.95 without binary rounding, and a stock of 0 is zero stock,
 * never "absent". Outputs are read back with n3 and jsonld.js, not matched as text only.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { Parser, type Quad } from 'n3';
import { NS } from '../../../ontology/namespaces.js';
import type { OfferRecord } from '../../../ontology/records.js';
import { DFC_B_BOOLEAN_PROPERTIES_1_16 } from '../../../ontology/terms.js';
import { DFC_B, DFC_M_NS } from '../../../ontology/vocabulary.js';
import { measureIri } from '../../../ontology/units.js';
import type { NodeId } from '../../../ontology/iri.js';
import { Decoder } from '../../../server/codec/decode.js';
import { serialize, type OutputFormat } from '../../../server/codec/serialize.js';
import { jsonld, offline } from '../../helpers/jsonld.js';
import { requireShared } from '../../helpers/shared-dfc.js';

const XSD = NS.xsd;
const X = 'https://x.example';
const CONTEXT = 'https://w3id.org/dfc/ontology/context/context_1.16.0.json';
const B = DFC_B.namespace;

/** The same offer and product, with the values written each way people write them. */
const INPUTS: Readonly<Record<string, { mediaType: string; text: string }>> = {
  'JSON-LD, numbers and booleans as strings': {
    mediaType: 'application/ld+json',
    text: JSON.stringify({
      '@context': CONTEXT,
      '@graph': [
        { '@id': `${X}/o`, '@type': 'dfc-b:Offer', 'dfc-b:stockLimitation': '0',
          'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': '4.95', 'dfc-b:hasUnit': 'dfc-m:Euro', 'dfc-b:VATrate': '5.5' } },
        { '@id': `${X}/p`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'true', 'dfc-b:frozen': 'true', 'dfc-b:refrigerated': 'False',
          'dfc-b:VATstatus': ' true ', 'dfc-b:lifetime': '12.5' },
      ],
    }),
  },
  'JSON-LD, native numbers and booleans': {
    mediaType: 'application/ld+json',
    text: JSON.stringify({
      '@context': CONTEXT,
      '@graph': [
        { '@id': `${X}/o`, '@type': 'dfc-b:Offer', 'dfc-b:stockLimitation': 0,
          'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 4.95, 'dfc-b:hasUnit': 'dfc-m:Euro', 'dfc-b:VATrate': 5.5 } },
        { '@id': `${X}/p`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'true', 'dfc-b:frozen': true, 'dfc-b:refrigerated': false,
          'dfc-b:VATstatus': true, 'dfc-b:lifetime': 12.5 },
      ],
    }),
  },
  'Turtle, decimal and boolean literals': {
    mediaType: 'text/turtle',
    text: `@prefix dfc-b: <${B}> . @prefix dfc-m: <${DFC_M_NS}> .
      <${X}/o> a dfc-b:Offer ; dfc-b:stockLimitation 0 ; dfc-b:hasPrice [ a dfc-b:Price ; dfc-b:value 4.95 ; dfc-b:hasUnit dfc-m:Euro ; dfc-b:VATrate 5.5 ] .
      <${X}/p> a dfc-b:SuppliedProduct ; dfc-b:name "true" ; dfc-b:frozen true ; dfc-b:refrigerated false ; dfc-b:VATstatus true ; dfc-b:lifetime 12.5 .`,
  },
  'N-Triples, typed literals (xsd:decimal, xsd:double, xsd:boolean 1/0)': {
    mediaType: 'application/n-triples',
    text: [
      `<${X}/o> <${NS.rdf}type> <${B}Offer> .`,
      `<${X}/o> <${B}stockLimitation> "0.0"^^<${XSD}decimal> .`,
      `<${X}/o> <${B}hasPrice> _:price .`,
      `_:price <${NS.rdf}type> <${B}Price> .`,
      `_:price <${B}value> "4.95"^^<${XSD}decimal> .`,
      `_:price <${B}hasUnit> <${measureIri('Euro')}> .`,
      `_:price <${B}VATrate> "5.5E0"^^<${XSD}double> .`,
      `<${X}/p> <${NS.rdf}type> <${B}SuppliedProduct> .`,
      `<${X}/p> <${B}name> "true" .`,
      `<${X}/p> <${B}frozen> "1"^^<${XSD}boolean> .`,
      `<${X}/p> <${B}refrigerated> "0"^^<${XSD}boolean> .`,
      `<${X}/p> <${B}VATstatus> "true"^^<${XSD}boolean> .`,
      `<${X}/p> <${B}lifetime> "12.5"^^<${XSD}decimal> .`,
      '',
    ].join('\n'),
  },
};

/** The triples of an output: JSON-LD through jsonld.js, the RDF formats through n3. */
async function triples(text: string, format: OutputFormat): Promise<Quad[]> {
  if (format === 'jsonld') {
    return new Parser({ format: 'application/n-quads' }).parse(await jsonld.toRDF(JSON.parse(text), { format: 'application/n-quads', ...offline }));
  }
  return new Parser({ format: { turtle: 'text/turtle', ntriples: 'application/n-triples', nquads: 'application/n-quads' }[format] }).parse(text);
}

function objectOf(quads: readonly Quad[], predicate: string, subject?: string): Quad['object'] {
  const found = quads.filter((q) => q.predicate.value.endsWith(`#${predicate}`) && (subject === undefined || q.subject.value === subject));
  expect(found, predicate).to.have.length(1);
  return (found[0] as Quad).object;
}

/** A literal's value and datatype, numbers by value (JSON-LD's 4.95 is the double `4.95E0`). */
function literal(term: Quad['object']): { value: string | number; datatype: string } {
  expect(term.termType).to.equal('Literal');
  const datatype = (term as { datatype: { value: string } }).datatype.value.slice(XSD.length);
  return { value: ['decimal', 'double', 'integer'].includes(datatype) ? Number(term.value) : term.value, datatype };
}

describe('values where the ontology has a datatype (issue 12)', () => {
  for (const [name, input] of Object.entries(INPUTS)) {
    describe(`read from ${name}`, () => {
      for (const format of ['jsonld', 'turtle', 'ntriples', 'nquads'] as const) {
        for (const profile of ['dfc-v1', 'dfc-v2'] as const) {
          it(`writes ${format} (${profile}): booleans, decimals without rounding, zero stock`, async () => {
            const result = await new Decoder().decode(input.text, { mediaType: input.mediaType });
            expect(result.problems).to.deep.equal([]);
            const offer = result.records.find((r): r is OfferRecord => r.kind === 'Offer');
            expect(offer?.stock).to.equal(0);
            expect(offer?.price?.value).to.equal(4.95);
            const out = serialize(result.records, format, { profile });
            expect(out).to.not.match(/4\.9500000|4\.94999|12\.500000|5\.500000/u);
            const quads = await triples(out, format);
            // Booleans are booleans, text stays text (a name that reads "true" is a name).
            expect(literal(objectOf(quads, 'frozen'))).to.deep.equal({ value: 'true', datatype: 'boolean' });
            expect(literal(objectOf(quads, 'refrigerated'))).to.deep.equal({ value: 'false', datatype: 'boolean' });
            expect(literal(objectOf(quads, 'VATstatus'))).to.deep.equal({ value: 'true', datatype: 'boolean' });
            expect(literal(objectOf(quads, 'name'))).to.deep.equal({ value: 'true', datatype: 'string' });
            // Numbers: decimals in RDF (`"4.95"^^xsd:decimal`), JSON numbers in JSON-LD (jsonld.js reads a double).
            const decimal = format === 'jsonld' ? 'double' : 'decimal';
            expect(literal(objectOf(quads, 'value'))).to.deep.equal({ value: 4.95, datatype: decimal });
            expect(literal(objectOf(quads, 'VATrate'))).to.deep.equal({ value: 5.5, datatype: decimal });
            expect(literal(objectOf(quads, 'lifetime'))).to.deep.equal({ value: 12.5, datatype: decimal });
            // Zero stock is written, as the integer 0.
            expect(literal(objectOf(quads, 'stockLimitation', `${X}/o`))).to.deep.equal({ value: 0, datatype: 'integer' });
            if (format === 'ntriples') expect(out).to.include(`"4.95"^^<${XSD}decimal>`);
            if (format === 'jsonld') expect(out).to.match(/"dfc-b:value": 4\.95,/u).and.match(/"dfc-b:frozen": true/u).and.match(/"dfc-b:stockLimitation": 0/u);
          });
        }
      }
    });
  }

  it('keeps text it cannot read as the datatype, and a value with a datatype of its own, as given', async () => {
    const text = JSON.stringify({
      '@context': CONTEXT,
      '@graph': [{ '@id': `${X}/p`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'P', 'dfc-b:frozen': 'yes',
        'dfc-b:refrigerated': { '@value': 'true', '@type': 'http://www.w3.org/2001/XMLSchema#string' }, 'dfc-b:lifetime': 'a year' }],
    });
    const result = await new Decoder().decode(text);
    const quads = await triples(serialize(result.records, 'ntriples'), 'ntriples');
    expect(literal(objectOf(quads, 'frozen'))).to.deep.equal({ value: 'yes', datatype: 'string' });
    expect(literal(objectOf(quads, 'refrigerated'))).to.deep.equal({ value: 'true', datatype: 'string' });
    expect(literal(objectOf(quads, 'lifetime'))).to.deep.equal({ value: 'a year', datatype: 'string' });
  });

  it('writes numbers in RDF as the shortest exact decimal, never in exponent notation', async () => {
    const values = [0.1 + 0.2, 1e-7, 123456.789, 1 / 3, 2.675];
    const records: OfferRecord[] = values.map((value, i) => ({
      kind: 'Offer', id: `${X}/o${i}` as NodeId, stock: null, price: { value, currency: measureIri('Euro') },
    }));
    const out = serialize(records, 'ntriples');
    for (const lexical of ['0.30000000000000004', '0.0000001', '123456.789', '0.3333333333333333', '2.675']) {
      expect(out).to.include(`"${lexical}"^^<${XSD}decimal>`);
    }
    expect(out).to.not.match(/"[^"]*[eE][^"]*"\^\^<http:\/\/www\.w3\.org\/2001\/XMLSchema#decimal>/u);
    // And reads them back as the same numbers.
    const back = await new Decoder().decode(out, { mediaType: 'application/n-triples' });
    expect(back.records.map((r) => (r as OfferRecord).price?.value)).to.deep.equal(values);
  });

  it('knows the boolean properties of the official DFC 1.16 ontology', function () {
    const ontology = readFileSync(requireShared(this, 'ontology', 'DFC_BusinessOntology_1.16.0.ttl'), 'utf8');
    const quads = new Parser().parse(ontology);
    const booleans = quads.filter((q) => q.predicate.value === `${NS.rdfs}range` && q.object.value === `${XSD}boolean`)
      .map((q) => q.subject.value.slice(B.length)).sort();
    expect(booleans).to.deep.equal([...DFC_B_BOOLEAN_PROPERTIES_1_16].sort());
  });
});

describe('reader spellings kept by an older reader (issue 12)', () => {
  it('are written once, not twice beside the value the record writes', () => {
    const address = {
      kind: 'Address' as const, id: `${X}/a` as NodeId, street: '1 rue', city: 'Lyon',
      extra: { [DFC_B.hasStreet]: [{ '@value': '1 rue' }], [DFC_B.hasCity]: [{ '@value': 'Villeurbanne' }] },
    };
    const node = JSON.parse(serialize([address], 'jsonld')) as { '@graph': Record<string, unknown>[] };
    expect(node['@graph'][0]?.['dfc-b:hasStreet']).to.equal('1 rue');
    // A different value is another statement, and kept.
    expect(node['@graph'][0]?.['dfc-b:hasCity']).to.deep.equal(['Lyon', 'Villeurbanne']);
  });
});
