/**
 * Terms of one DFC generation only keep the IRI of the ontology that defines them, whatever generation a document
 * is read in and written in: a term only DFC 2.0 defines (`dfc-b:ProductOption`, `dfc-b:hasProductOption`…) is
 * written under its 2.0 IRI in 1.16 output, and `dfc-b:hasProcess` (1.16 only) under its 1.x IRI in 2.0 output.
 * Every output is checked as a linked-data consumer reads it: JSON-LD expanded by jsonld.js, Turtle and N-Quads by n3.
 */
import { expect } from 'chai';
import { Parser, type Quad } from 'n3';
import type { NodeId } from '../../../ontology/iri.js';
import { DFC_NAMESPACES, NS } from '../../../ontology/namespaces.js';
import type { DfcRecord } from '../../../ontology/records.js';
import { DFC_B_CLASSES_ADDED_2_0, DFC_B_OBJECT_PROPERTIES_ADDED_2_0, DFC_B_OBJECT_PROPERTIES_REMOVED_2_0 } from '../../../ontology/terms.js';
import { DFC_B, DFC_B_2_0 } from '../../../ontology/vocabulary.js';
import { shortName } from '../../../server/codec/compact.js';
import { Decoder, type DecodeResult } from '../../../server/codec/decode.js';
import { encodeJsonLd, type DfcProfile } from '../../../server/codec/encode.js';
import { Graph } from '../../../server/codec/graph.js';
import { serialize } from '../../../server/codec/serialize.js';
import { jsonld, offline } from '../../helpers/jsonld.js';
import { recordOf } from './fixtures.js';

const V1 = DFC_NAMESPACES['1.x']['dfc-b'];
const V2 = DFC_NAMESPACES['2.0']['dfc-b'];
const RDF_TYPE = `${NS.rdf}type`;
const ONLY_2_0 = new Set<string>([...DFC_B_CLASSES_ADDED_2_0, ...DFC_B_OBJECT_PROPERTIES_ADDED_2_0]);
const ONLY_1_X = new Set<string>(DFC_B_OBJECT_PROPERTIES_REMOVED_2_0);

const CONTEXT_1_16 = 'https://w3id.org/dfc/ontology/context/context_1.16.0.json';
const CONTEXT_2_0 = 'https://w3id.org/dfc/ontology/context/context_2.0.0.json';
const P = 'https://peer.example/api/dfc';

/** A DFC 2.0 catalogue using terms only 2.0 defines, and an Organization. */
const DOCUMENT_2_0 = {
  '@context': CONTEXT_2_0,
  '@graph': [
    { '@id': `${P}/organizations/1`, '@type': 'dfc-b:Organization', 'dfc-b:name': 'Ferme', 'dfc-b:supplies': `${P}/products/tomato` },
    {
      '@id': `${P}/products/tomato`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Tomato',
      'dfc-b:hasProductOption': `${P}/options/colour`, 'dfc-b:isCertifiedBy': `${P}/certificates/organic`,
    },
    { '@id': `${P}/options/colour`, '@type': 'dfc-b:ProductOption', 'dfc-b:name': 'Colour' },
    { '@id': `${P}/variants/red`, '@type': 'dfc-b:Variant', 'dfc-b:name': 'Red' },
  ],
};

/** The IRIs the 2.0 terms of {@link DOCUMENT_2_0} must keep in every output. */
const TERMS_2_0 = [DFC_B_2_0.ProductOption, DFC_B_2_0.hasProductOption, DFC_B_2_0.Variant, DFC_B_2_0.isCertifiedBy];

/** The triples of a JSON-LD document, as jsonld.js expands it. */
async function jsonLdQuads(document: unknown): Promise<Quad[]> {
  return new Parser({ format: 'application/n-quads' }).parse(await jsonld.toRDF(document, { format: 'application/n-quads', ...offline }));
}

/** The triples of one output format of `records`, as a consumer reads them. */
async function quadsOf(records: readonly DfcRecord[], format: 'jsonld' | 'turtle' | 'nquads', profile: DfcProfile): Promise<Quad[]> {
  if (format === 'jsonld') return jsonLdQuads(encodeJsonLd(records, { profile, container: false }));
  const text = serialize(records, format, { profile, container: false });
  return new Parser({ format: format === 'turtle' ? 'text/turtle' : 'application/n-quads' }).parse(text);
}

/** The class and property IRIs of some triples. */
function termsOf(quads: readonly Quad[]): Set<string> {
  const terms = new Set<string>();
  for (const q of quads) {
    if (q.predicate.value === RDF_TYPE) terms.add(q.object.value);
    else terms.add(q.predicate.value);
  }
  return terms;
}

/** The DFC business IRIs of `terms` in a namespace whose ontology does not define them. */
function undefinedTerms(terms: Iterable<string>): string[] {
  const wrong: string[] = [];
  for (const term of terms) {
    if (term.startsWith(V1) && ONLY_2_0.has(term.slice(V1.length))) wrong.push(term);
    if (term.startsWith(V2) && ONLY_1_X.has(term.slice(V2.length))) wrong.push(term);
  }
  return wrong;
}

describe('codec: terms of one DFC generation keep their own IRI', () => {
  const decoder = new Decoder();
  let read: DecodeResult;

  before(async () => {
    read = await decoder.decode(JSON.stringify(DOCUMENT_2_0));
    expect(read.problems.filter((p) => p.severity === 'error')).to.deep.equal([]);
  });

  it('reads a 2.0-only term under its 2.0 IRI', () => {
    const product = recordOf(read.records, 'SuppliedProduct', `${P}/products/tomato`);
    expect(Object.keys(product.extra ?? {})).to.have.members([DFC_B_2_0.hasProductOption, DFC_B_2_0.isCertifiedBy]);
    expect(recordOf(read.records, 'Resource', `${P}/options/colour`).types).to.deep.equal([DFC_B_2_0.ProductOption]);
    expect(recordOf(read.records, 'Resource', `${P}/variants/red`).types).to.deep.equal([DFC_B_2_0.Variant]);
    // The 1.16 terms beside them stay canonical (1.x).
    expect(recordOf(read.records, 'Resource', `${P}/options/colour`).extra).to.have.keys([DFC_B.name]);
  });

  for (const format of ['jsonld', 'turtle', 'nquads'] as const) {
    it(`writes 2.0-only terms under their 2.0 IRI in 1.16 ${format}`, async () => {
      const terms = termsOf(await quadsOf(read.records, format, 'dfc-v1'));
      for (const term of TERMS_2_0) expect(terms.has(term), term).to.equal(true);
      expect(undefinedTerms(terms)).to.deep.equal([]);
      // The rest is 1.16, the enterprise among it.
      expect(terms.has(DFC_B.Enterprise)).to.equal(true);
      expect(terms.has(DFC_B.name)).to.equal(true);
      expect(terms.has(DFC_B.Organization)).to.equal(false);
    });

    it(`reads its 1.16 ${format} back into the same terms, written with their 2.0 names in 2.0 JSON-LD`, async () => {
      const mediaType = { jsonld: 'application/ld+json', turtle: 'text/turtle', nquads: 'application/n-quads' }[format];
      const again = await decoder.decode(serialize(read.records, format, { container: false }), { mediaType });
      expect(again.problems.filter((p) => p.severity === 'error')).to.deep.equal([]);
      const document = encodeJsonLd(again.records, { profile: 'dfc-v2', container: false });
      expect(document['@context']).to.equal(CONTEXT_2_0);
      const node = (id: string): Record<string, unknown> => document['@graph'].find((n) => n['@id'] === `${P}/${id}`) ?? {};
      expect(node('organizations/1')['@type']).to.equal('dfc-b:Organization');
      // The context types both properties `@id`: their links are bare strings.
      expect(node('products/tomato')['dfc-b:hasProductOption']).to.equal(`${P}/options/colour`);
      expect(node('products/tomato')['dfc-b:isCertifiedBy']).to.equal(`${P}/certificates/organic`);
      expect(node('options/colour')['@type']).to.equal('dfc-b:ProductOption');
      expect(node('variants/red')['@type']).to.equal('dfc-b:Variant');
      const terms = termsOf(await jsonLdQuads(document));
      for (const term of TERMS_2_0) expect(terms.has(term), term).to.equal(true);
      expect(undefinedTerms(terms)).to.deep.equal([]);
    });
  }

  it('writes a 2.0-only term as a full IRI in 1.16 JSON-LD (the 1.16 context leaves it as it is)', () => {
    const document = encodeJsonLd(read.records, { container: false });
    expect(document['@context']).to.equal(CONTEXT_1_16);
    const product = document['@graph'].find((n) => n['@id'] === `${P}/products/tomato`) ?? {};
    expect(product[DFC_B_2_0.hasProductOption]).to.deep.equal({ '@id': `${P}/options/colour` });
    expect(document['@graph'].find((n) => n['@id'] === `${P}/options/colour`)?.['@type']).to.equal(DFC_B_2_0.ProductOption);
    expect(JSON.stringify(document)).to.not.include(`${V1}ProductOption`);
  });

  it('reads a 2.0-only term written under a 1.x namespace as the 2.0 term', async () => {
    const document = {
      '@context': CONTEXT_1_16,
      '@graph': [
        { '@id': `${P}/products/tomato`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Tomato', 'dfc-b:hasProductOption': { '@id': `${P}/options/colour` } },
        { '@id': `${P}/options/colour`, '@type': 'dfc-b:ProductOption', 'dfc-b:name': 'Colour' },
        // The pre-1.8 namespace too.
        { '@id': `${P}/variants/red`, '@type': 'http://static.datafoodconsortium.org/ontologies/DFC_BusinessOntology.owl#Variant', 'dfc-b:name': 'Red' },
      ],
    };
    const result = await decoder.decode(JSON.stringify(document));
    expect(Object.keys(recordOf(result.records, 'SuppliedProduct', `${P}/products/tomato`).extra ?? {})).to.deep.equal([DFC_B_2_0.hasProductOption]);
    expect(recordOf(result.records, 'Resource', `${P}/options/colour`).types).to.deep.equal([DFC_B_2_0.ProductOption]);
    expect(recordOf(result.records, 'Resource', `${P}/variants/red`).types).to.deep.equal([DFC_B_2_0.Variant]);
    for (const format of ['jsonld', 'turtle', 'nquads'] as const) {
      const terms = termsOf(await quadsOf(result.records, format, 'dfc-v1'));
      expect(terms.has(DFC_B_2_0.ProductOption), format).to.equal(true);
      expect(undefinedTerms(terms), format).to.deep.equal([]);
    }
    const v2 = encodeJsonLd(result.records, { profile: 'dfc-v2', container: false });
    expect(v2['@graph'].find((n) => n['@id'] === `${P}/options/colour`)?.['@type']).to.equal('dfc-b:ProductOption');
    expect(v2['@graph'].find((n) => n['@id'] === `${P}/products/tomato`)?.['dfc-b:hasProductOption']).to.equal(`${P}/options/colour`);
  });

  it('keeps the 1.x IRI of dfc-b:hasProcess (1.16 only) in 2.0 output', async () => {
    const document = {
      '@context': CONTEXT_1_16,
      '@graph': [{ '@id': `${P}/products/jam`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Jam', 'dfc-b:hasProcess': `${P}/processes/cooking` }],
    };
    const result = await decoder.decode(JSON.stringify(document));
    expect(Object.keys(recordOf(result.records, 'SuppliedProduct', `${P}/products/jam`).extra ?? {})).to.deep.equal([`${V1}hasProcess`]);
    const v2 = encodeJsonLd(result.records, { profile: 'dfc-v2', container: false });
    expect(v2['@graph'][0]?.[`${V1}hasProcess`]).to.deep.equal({ '@id': `${P}/processes/cooking` });
    expect(v2['@graph'][0]?.['dfc-b:hasProcess']).to.equal(undefined);
    for (const format of ['jsonld', 'turtle', 'nquads'] as const) {
      const terms = termsOf(await quadsOf(result.records, format, 'dfc-v2'));
      expect(terms.has(`${V1}hasProcess`), format).to.equal(true);
      expect(terms.has(`${V2}SuppliedProduct`), format).to.equal(true);
      expect(undefinedTerms(terms), format).to.deep.equal([]);
    }
    // Round trip: read back from 2.0, still the 1.16 term, and 1.16 output compacts it again.
    const again = await decoder.decode(JSON.stringify(v2));
    expect(Object.keys(recordOf(again.records, 'SuppliedProduct', `${P}/products/jam`).extra ?? {})).to.deep.equal([`${V1}hasProcess`]);
    expect(encodeJsonLd(again.records, { container: false })['@graph'][0]?.['dfc-b:hasProcess']).to.equal(`${P}/processes/cooking`);
  });

  it('reads dfc-b:hasProcess written under the 2.0 namespace as the 1.16 term', async () => {
    const document = {
      '@context': CONTEXT_2_0,
      '@graph': [{ '@id': `${P}/products/jam`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Jam', 'dfc-b:hasProcess': { '@id': `${P}/processes/cooking` } }],
    };
    const result = await decoder.decode(JSON.stringify(document));
    expect(Object.keys(recordOf(result.records, 'SuppliedProduct', `${P}/products/jam`).extra ?? {})).to.deep.equal([`${V1}hasProcess`]);
  });

  describe('an Organization is an Enterprise, in either namespace', () => {
    const organization = (context: string, type: string): string => JSON.stringify({
      '@context': context, '@graph': [{ '@id': `${P}/organizations/1`, '@type': type, 'dfc-b:name': 'Ferme' }],
    });
    const cases: [string, () => Promise<DecodeResult>][] = [
      ['a 2.0 document', () => decoder.decode(organization(CONTEXT_2_0, 'dfc-b:Organization'))],
      ['a 1.16 document', () => decoder.decode(organization(CONTEXT_1_16, 'dfc-b:Organization'))],
      ['the https 2.0 namespace', () => decoder.decode(organization(CONTEXT_1_16, `https${V2.slice(4)}Organization`))],
      ['1.16 Turtle', () => decoder.decode(`<${P}/organizations/1> a <${V1}Organization>; <${V1}name> "Ferme".`, { mediaType: 'text/turtle' })],
      ['2.0 N-Triples', () => decoder.decode(`<${P}/organizations/1> <${RDF_TYPE}> <${V2}Organization> .\n<${P}/organizations/1> <${V2}name> "Ferme" .\n`, { mediaType: 'application/n-triples' })],
    ];
    for (const [name, decode] of cases) {
      it(`reads it from ${name}`, async () => {
        const result = await decode();
        expect(result.problems.filter((p) => p.severity === 'error')).to.deep.equal([]);
        const enterprise = recordOf(result.records, 'Enterprise', `${P}/organizations/1`);
        expect(enterprise.name).to.equal('Ferme');
        expect(enterprise.extraTypes).to.equal(undefined);
        expect(encodeJsonLd(result.records, { profile: 'dfc-v2', container: false })['@graph'][0]?.['@type']).to.equal('dfc-b:Organization');
        expect(encodeJsonLd(result.records)['@graph'][0]?.['@type']).to.equal('dfc-b:Enterprise');
      });
    }

    it('is the 2.0 class (DFC_B.Organization), written so in 2.0 RDF', async () => {
      expect(DFC_B.Organization).to.equal(`${V2}Organization`);
      const result = await decoder.decode(organization(CONTEXT_1_16, 'dfc-b:Organization'));
      for (const format of ['turtle', 'nquads'] as const) {
        const terms = termsOf(await quadsOf(result.records, format, 'dfc-v2'));
        expect(terms.has(`${V2}Organization`), format).to.equal(true);
        expect(termsOf(await quadsOf(result.records, format, 'dfc-v1')).has(DFC_B.Enterprise), format).to.equal(true);
      }
    });
  });

  it('writes a record stored with a 2.0-only term under the 1.x namespace (before this was fixed) under its 2.0 IRI', async () => {
    // What a record read before the fix holds in `resources.record`: no migration rewrites it, the writers do.
    const stored: DfcRecord[] = [
      {
        kind: 'SuppliedProduct', id: `${P}/products/tomato` as NodeId, name: 'Tomato', images: [], variantOf: [], variants: [], catalogItems: [],
        extra: { [`${V1}hasProductOption`]: [{ '@id': `${P}/options/colour` }] },
      },
      { kind: 'Resource', id: `${P}/options/colour` as NodeId, types: [`${V1}ProductOption`], extra: { [DFC_B.name]: [{ '@value': 'Colour' }] } },
    ];
    for (const format of ['jsonld', 'turtle', 'nquads'] as const) {
      for (const profile of ['dfc-v1', 'dfc-v2'] as const) {
        const terms = termsOf(await quadsOf(stored, format, profile));
        expect(terms.has(DFC_B_2_0.ProductOption), `${format} ${profile}`).to.equal(true);
        expect(terms.has(DFC_B_2_0.hasProductOption), `${format} ${profile}`).to.equal(true);
        expect(undefinedTerms(terms), `${format} ${profile}`).to.deep.equal([]);
      }
    }
  });

  it('makes IRIs canonical in the graph as canonicalDfcIri does, on the fast exit too', () => {
    const graph = new Graph();
    const https2 = `https${V2.slice(4)}`;
    const cases: [string, string][] = [
      [`${V1}name`, `${V1}name`],
      [`${V2}name`, `${V1}name`],
      [`${https2}name`, `${V1}name`],
      [`${V1}ProductOption`, `${V2}ProductOption`],
      [`${V1}hasProductOption`, `${V2}hasProductOption`],
      [`${https2}ProductOption`, `${V2}ProductOption`],
      [`${V2}ProductOption`, `${V2}ProductOption`],
      [`${V2}hasProcess`, `${V1}hasProcess`],
      [`${DFC_NAMESPACES.legacy['dfc-b']}Organization`, `${V2}Organization`],
      [`${DFC_NAMESPACES['1.x']['dfc-m']}Option`, `${DFC_NAMESPACES['1.x']['dfc-m']}Option`],
      ['https://github.com/someone/ProductOption', 'https://github.com/someone/ProductOption'],
      [`${P}/options/colour`, `${P}/options/colour`],
    ];
    for (const [given, canonical] of cases) expect(graph.iri(given), given).to.equal(canonical);
  });

  it('names a 2.0-only term dfc-b: in problem messages', () => {
    expect(shortName(DFC_B_2_0.hasProductOption)).to.equal('dfc-b:hasProductOption');
    expect(shortName(DFC_B.name)).to.equal('dfc-b:name');
  });
});
