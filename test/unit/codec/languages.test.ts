/**
 * Text in a language (`"Pommes"@fr`) keeps its language: the record says which of its text fields has one, and every
 * writer (JSON-LD, Turtle, N-Triples, N-Quads) writes the value back with it. A second value in another language is kept
 * beside it, with its own. A tag no RDF syntax can write is dropped (the text is kept).
 */
import { expect } from 'chai';
import { Parser, type Quad } from 'n3';
import { Decoder } from '../../../server/codec/decode.js';
import { serialize } from '../../../server/codec/serialize.js';
import type { DfcRecord } from '../../../ontology/records.js';
import { RecordValidator } from '../../../server/codec/validate.js';
import { Taxonomy } from '../../../ontology/taxonomy.js';

const CONTEXT = 'https://w3id.org/dfc/ontology/context/context_1.16.0.json';
const P = 'https://peer.example/api/dfc/enterprises/ferme';
const validator = new RecordValidator(Taxonomy.builtin());
const DFC_B = 'https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#';

function product(extra: Record<string, unknown>): string {
  return JSON.stringify({
    '@context': CONTEXT,
    '@graph': [{ '@id': `${P}/supplied_products/1`, '@type': 'dfc-b:SuppliedProduct', ...extra }],
  });
}

/** The literals of one predicate of the product, as an RDF reader reads them from Turtle. */
function literalsIn(turtle: string, predicate: string): { value: string; language: string }[] {
  const quads: Quad[] = new Parser().parse(turtle);
  return quads.filter((q) => q.subject.value === `${P}/supplied_products/1` && q.predicate.value === predicate)
    .map((q) => ({ value: q.object.value, language: (q.object as { language?: string }).language ?? '' }))
    .sort((a, b) => a.language.localeCompare(b.language));
}

/** The product's node in a JSON-LD document. */
function nodeIn(jsonld: string): Record<string, unknown> {
  const graph = (JSON.parse(jsonld) as { '@graph': Record<string, unknown>[] })['@graph'];
  return graph.find((n) => n['@id'] === `${P}/supplied_products/1`) ?? expect.fail('no product node');
}

describe('text in a language', () => {
  const decoder = new Decoder();
  const decoded = async (text: string, mediaType?: string): Promise<DfcRecord & { kind: 'SuppliedProduct' }> => {
    const result = await decoder.decode(text, mediaType === undefined ? {} : { mediaType });
    expect(result.rejected).to.deep.equal([]);
    const record = result.records.find((r) => r.id === `${P}/supplied_products/1`);
    if (record?.kind !== 'SuppliedProduct') return expect.fail('no product');
    return record;
  };

  it('reads the language of a name and a description and writes them back with it, in every format', async () => {
    const record = await decoded(product({
      'dfc-b:name': { '@value': 'Pommes', '@language': 'fr' },
      'dfc-b:description': { '@value': 'Pommes du verger', '@language': 'FR-be' },
    }));
    expect(record.name).to.equal('Pommes');
    expect(record.description).to.equal('Pommes du verger');
    expect(record.languages).to.deep.equal({ name: 'fr', description: 'fr-be' });
    expect(validator.validate(record).filter((p) => p.severity !== 'warning')).to.deep.equal([]);

    const jsonld = serialize([record], 'jsonld');
    expect(nodeIn(jsonld)['dfc-b:name']).to.deep.equal({ '@value': 'Pommes', '@language': 'fr' });
    const again = await decoded(jsonld);
    expect(again.name).to.equal('Pommes');
    expect(again.languages).to.deep.equal(record.languages);

    const turtle = serialize([record], 'turtle');
    expect(literalsIn(turtle, `${DFC_B}name`)).to.deep.equal([{ value: 'Pommes', language: 'fr' }]);
    for (const format of ['ntriples', 'nquads'] as const) expect(serialize([record], format), format).to.include('"Pommes"@fr');
    const fromTurtle = await decoded(turtle, 'text/turtle');
    expect(fromTurtle.languages).to.deep.equal(record.languages);
  });

  it('keeps a name in a second language beside the first, each with its own', async () => {
    const record = await decoded(product({
      'dfc-b:name': [{ '@value': 'Pommes', '@language': 'fr' }, { '@value': 'Apples', '@language': 'en' }],
    }));
    expect(record.name).to.equal('Pommes');
    expect(record.languages).to.deep.equal({ name: 'fr' });
    const turtle = serialize([record], 'turtle');
    expect(literalsIn(turtle, `${DFC_B}name`)).to.deep.equal([{ value: 'Apples', language: 'en' }, { value: 'Pommes', language: 'fr' }]);
    const again = await decoded(serialize([record], 'jsonld'));
    expect(again).to.deep.equal(record);
  });

  it('says nothing of text without a language, and writes it as before', async () => {
    const record = await decoded(product({ 'dfc-b:name': 'Pommes' }));
    expect(record).to.not.have.property('languages');
    expect(nodeIn(serialize([record], 'jsonld'))['dfc-b:name']).to.equal('Pommes');
  });

  it('drops a tag no RDF syntax can write, keeping the text', async () => {
    const record = await decoded(product({ 'dfc-b:name': { '@value': 'Pommes', '@language': 'fr fr' } }));
    expect(record.name).to.equal('Pommes');
    expect(record).to.not.have.property('languages');
    expect(serialize([record], 'turtle')).to.match(/"Pommes"/u);
  });

  it('drops such a tag on a property the node keeps as given too, with a warning, and no writer drops the text', async () => {
    const text = product({ 'dfc-b:name': 'Pommes', 'https://ex.example/note': { '@value': 'x', '@language': 'not a tag' } });
    const result = await decoder.decode(text);
    expect(result.problems.map((p) => [p.code, p.severity])).to.deep.include(['invalid-language-tag', 'warning']);
    const record = result.records.find((r) => r.id === `${P}/supplied_products/1`) as DfcRecord;
    expect(record.extra?.['https://ex.example/note']).to.deep.equal([{ '@value': 'x' }]);
    // A record kept before tags were checked: every writer writes its text, none a tag no syntax can hold.
    const kept = { ...record, extra: { 'https://ex.example/note': [{ '@value': 'x', '@language': 'not a tag' }] } } as DfcRecord;
    const jsonld = JSON.stringify(nodeIn(serialize([kept], 'jsonld')));
    expect(jsonld).to.not.include('not a tag');
    expect(jsonld).to.include('"x"');
    for (const format of ['turtle', 'ntriples', 'nquads'] as const) {
      const written = serialize([kept], format);
      expect(written, format).to.match(/<https:\/\/ex\.example\/note> "x"/u);
      expect(written, format).to.not.include('not a tag');
    }
  });

  it('refuses a record whose languages are no tags (a record is checked before it is stored)', () => {
    const record = { kind: 'SuppliedProduct', id: `${P}/supplied_products/1`, name: 'Pommes', images: [], variantOf: [], variants: [],
      catalogItems: [], languages: { name: 'fr fr' } } as unknown as DfcRecord;
    expect(validator.validate(record).map((p) => p.path)).to.include('languages/name');
  });
});
