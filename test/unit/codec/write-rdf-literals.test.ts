/**
 * What the direct RDF writer (`server/codec/write-rdf.ts`) writes reads back, term for term, as what the records
 * hold: every hostile character of a literal (quotes, backslashes, control characters, lone surrogates, characters
 * beyond the BMP), language tags and datatypes, numbers at the edges of a double, and IRIs, where one that no RDF
 * syntax can hold (a space, `<>"{}|^` and the backtick, a backslash) is left out rather than written broken. Each
 * output is read by N3.js, which refuses anything malformed, and the three formats must give one graph.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser, Writer, type Quad } from 'n3';
import type { Iri, NodeId } from '../../../ontology/iri.js';
import { NS } from '../../../ontology/namespaces.js';
import type { DfcRecord, ExtraValue } from '../../../ontology/records.js';
import { DFC_B } from '../../../ontology/vocabulary.js';
import { Decoder } from '../../../server/codec/decode.js';
import { writeNQuadsByGraph, writeRecordsRdf, type RdfFormat } from '../../../server/codec/write-rdf.js';
import { canonicalNQuads } from '../../helpers/jsonld.js';
import { oracleSerialize } from '../../helpers/rdf-oracle.js';

const FORMATS: readonly RdfFormat[] = ['turtle', 'ntriples', 'nquads'];
const MEDIA: Readonly<Record<RdfFormat, string>> = { turtle: 'text/turtle', ntriples: 'application/n-triples', nquads: 'application/n-quads' };
const X = 'https://x.example';
const S = 'https://schema.org/';
const EXAMPLES = join(import.meta.dirname, '../../../examples/network');

/** Every C0 control character, the characters a literal or an IRI must escape, and the ones that need care. */
const CONTROLS = Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)).join('');
const HOSTILE_TEXT = [
  CONTROLS, '"', '\\', '\\"', '""""', "'", '\n\r\t', '\\u0041', '\\U00000041', '<>{}|^`', '\u007f', '\u0080', 'é', '中文',
  '😀', 'a\uD800b', 'a\uDC00b', '\uDC00\uD800', '\uD800', '\uFFFE\uFFFF', '\u2028\u2029', '', ' ', '"""', 'end\\',
  `all ${CONTROLS}"\\😀\uD800é`,
];
/** Characters that cannot be in an IRI in any of the three syntaxes. */
const IRI_BREAKERS = [' ', '<', '>', '"', '{', '}', '|', '^', '`', '\\', '\n', '\t'];

function read(text: string, format: RdfFormat): Quad[] {
  return new Parser({ format: MEDIA[format] }).parse(text);
}

async function canonical(quads: Quad[]): Promise<string> {
  return canonicalNQuads(new Writer({ format: 'N-Quads' }).quadsToString(quads));
}

const id = (path: string): NodeId => `${X}/${path}` as NodeId;

function resource(path: string, extra: Record<string, ExtraValue[]>, types: string[] = []): DfcRecord {
  return { kind: 'Resource', id: id(path), types, extra };
}

/** The objects of one subject and predicate, read back. */
function objects(quads: readonly Quad[], subject: string, predicate: string): Quad['object'][] {
  return quads.filter((q) => q.subject.value === subject && q.predicate.value === predicate).map((q) => q.object);
}

describe('RDF written straight from records reads back as written', function () {
  this.timeout(60_000);

  for (const format of FORMATS) {
    describe(format, () => {
      it('keeps every character of a plain, a language-tagged and a typed literal', () => {
        const records = [resource('text', {
          [`${S}plain`]: HOSTILE_TEXT.map((v) => ({ '@value': v })),
          [`${S}tagged`]: HOSTILE_TEXT.map((v) => ({ '@value': v, '@language': 'fr-BE' })),
          [`${S}typed`]: HOSTILE_TEXT.map((v) => ({ '@value': v, '@type': `${X}/datatype` })),
        })];
        const quads = read(writeRecordsRdf(records, format), format);
        const plain = objects(quads, id('text'), `${S}plain`);
        expect(plain.map((o) => o.value).sort()).to.deep.equal([...new Set(HOSTILE_TEXT)].sort());
        for (const o of plain) expect(o.termType === 'Literal' && o.datatype.value).to.equal(`${NS.xsd}string`);
        const tagged = objects(quads, id('text'), `${S}tagged`);
        expect(tagged.map((o) => o.value).sort()).to.deep.equal([...new Set(HOSTILE_TEXT)].sort());
        for (const o of tagged) expect(o.termType === 'Literal' && o.language).to.equal('fr-be');
        const typed = objects(quads, id('text'), `${S}typed`);
        expect(typed.map((o) => o.value).sort()).to.deep.equal([...new Set(HOSTILE_TEXT)].sort());
        for (const o of typed) expect(o.termType === 'Literal' && o.datatype.value).to.equal(`${X}/datatype`);
      });

      it('keeps modelled text as it is (a name, an e-mail address, a phone number)', () => {
        const name = `Épicerie "L'Œuf" ${CONTROLS} \\ 😀 \uD800`;
        const records: DfcRecord[] = [{
          kind: 'Enterprise', id: id('e'), name, email: 'a"b\\c@x.example', phone: '+33 "1"\n', supplies: [], manages: [], maintains: [],
          customerCategories: [], affiliates: [],
        }];
        const quads = read(writeRecordsRdf(records, format), format);
        expect(objects(quads, id('e'), DFC_B.name).map((o) => o.value)).to.deep.equal([name]);
        expect(objects(quads, id('e'), DFC_B.email).map((o) => o.value)).to.deep.equal(['a"b\\c@x.example']);
        const phone = objects(quads, id('e'), DFC_B.hasPhoneNumber)[0];
        expect(phone?.termType).to.equal('BlankNode');
        expect(quads.filter((q) => q.subject.value === phone?.value && q.predicate.value === DFC_B.phoneNumber).map((q) => q.object.value))
          .to.deep.equal(['+33 "1"\n']);
      });

      it('keeps language tags the syntax can hold (lower case), and the text alone for the others', () => {
        const tags = ['en', 'EN-gb', 'zh-Hant-TW', 'x-private-1', 'en-', '-en', 'e n', 'en"', 'é', '1en', ''];
        const records = [resource('lang', { [`${S}name`]: tags.map((tag, i) => ({ '@value': `v${i}`, '@language': tag })) })];
        const quads = read(writeRecordsRdf(records, format), format);
        const written = objects(quads, id('lang'), `${S}name`).map((o) => `${o.value}@${o.termType === 'Literal' ? o.language : ''}`);
        // A tag no syntax can hold is no language; the text is still what the record says (as in JSON-LD).
        expect(written.sort()).to.deep.equal(['v0@en', 'v1@en-gb', 'v2@zh-hant-tw', 'v3@x-private-1', ...tags.slice(4).map((_, i) => `v${i + 4}@`)].sort());
      });

      it('keeps datatypes, writes the XSD ones in their short form where it reads back the same, and leaves out a datatype that is no IRI', () => {
        const xsd = (local: string) => `${NS.xsd}${local}`;
        const values: ExtraValue[] = [
          { '@value': '5', '@type': xsd('integer') }, { '@value': '-05', '@type': xsd('integer') }, { '@value': '5.', '@type': xsd('decimal') },
          { '@value': '.5', '@type': xsd('decimal') }, { '@value': '1e400', '@type': xsd('double') }, { '@value': 'INF', '@type': xsd('double') },
          { '@value': 'NaN', '@type': xsd('double') }, { '@value': 'true', '@type': xsd('boolean') }, { '@value': 'TRUE', '@type': xsd('boolean') },
          { '@value': '2026-01-01', '@type': xsd('date') }, { '@value': 'x"y', '@type': xsd('string') },
          { '@value': 'bad', '@type': `${X}/d t` }, { '@value': 'bad', '@type': `${X}/d>t` }, { '@value': 'bad', '@type': 'relative' },
        ];
        const records = [resource('typed', { [`${S}v`]: values })];
        const quads = read(writeRecordsRdf(records, format), format);
        const written = objects(quads, id('typed'), `${S}v`).map((o) => `${o.value}^^${o.termType === 'Literal' ? o.datatype.value : ''}`);
        const expected = values.slice(0, 11).map((v) => `${String(v['@value' as keyof ExtraValue])}^^${String(v['@type' as keyof ExtraValue])}`);
        expect(written.sort()).to.deep.equal(expected.sort());
      });

      it('writes numbers at the edges of a double as the literals they are, and the same in every format', async () => {
        const numbers = [0, -0, 1, -1, 2 ** 53 + 2, 1e21, -1e21, 1e-7, 5e-324, 0.1 + 0.2, 4.95, 1.7976931348623157e308];
        const records: DfcRecord[] = [
          resource('n', { [`${S}n`]: numbers.map((v) => ({ '@value': v })), [`${S}d`]: [{ '@value': 4.95, '@type': `${NS.xsd}double` }] }),
          { kind: 'Offer', id: id('o'), price: { value: 0.1 + 0.2, currency: `${X}/eur` as Iri }, stock: -0 },
        ];
        const quads = read(writeRecordsRdf(records, format), format);
        const written = objects(quads, id('n'), `${S}n`).map((o) => o.termType === 'Literal' ? [o.value, o.datatype.value.slice(NS.xsd.length)] : []);
        expect(written).to.deep.include.members([
          ['0', 'integer'], ['1', 'integer'], ['-1', 'integer'], ['9007199254740994', 'integer'], ['1000000000000000000000.0', 'decimal'],
          ['-1000000000000000000000.0', 'decimal'], ['0.0000001', 'decimal'], ['0.30000000000000004', 'decimal'], ['4.95', 'decimal'],
        ]);
        // -0 and 0 are one literal; every number is one statement otherwise.
        expect(written).to.have.length(numbers.length - 1);
        for (const [lexical, type] of written) {
          // Each lexical form reads back as the double it was written from.
          expect(Number(lexical), `${lexical}^^${type}`).to.satisfy((n: number) => numbers.includes(n));
        }
        expect(objects(quads, id('n'), `${S}d`).map((o) => o.value)).to.deep.equal(['4.95E0']);
        expect(objects(quads, id('o'), DFC_B.stockLimitation).map((o) => o.value)).to.deep.equal(['0']);
      });

      it('leaves out a subject, a link, a type or a predicate whose IRI no syntax can hold, and keeps IRIs beyond ASCII', () => {
        const records: DfcRecord[] = [
          ...IRI_BREAKERS.map((c) => resource(`s${c}t`, { [`${S}name`]: [{ '@value': 'bad subject' }] }, [`${S}Thing`])),
          resource('iris', {
            [`${S}link`]: [...IRI_BREAKERS.map((c) => ({ '@id': `${X}/o${c}` })), { '@id': `${X}/é/中/😀` }, { '@id': `${X}/%20ok` }],
            ...Object.fromEntries(IRI_BREAKERS.map((c) => [`${S}p${c}q`, [{ '@value': 'bad predicate' }]])),
          }, [`${S}Thing`, `${S}T${IRI_BREAKERS.join('')}`, `${S}Tëst`]),
        ];
        const text = writeRecordsRdf(records, format);
        const quads = read(text, format);
        expect(text).to.not.include('bad');
        expect(quads.map((q) => q.subject.value).every((s) => s === id('iris'))).to.equal(true);
        expect(objects(quads, id('iris'), `${S}link`).map((o) => o.value).sort()).to.deep.equal([`${X}/%20ok`, `${X}/é/中/😀`]);
        expect(objects(quads, id('iris'), `${NS.rdf}type`).map((o) => o.value).sort()).to.deep.equal([`${S}Thing`, `${S}Tëst`]);
      });

      it('labels blank nodes so that no two nodes share one and a record\'s label is kept apart from fresh ones', () => {
        const records = [
          resource('a', { [`${S}knows`]: [{ '@id': '_:b0' }, { '@id': '_:b1' }, { '@id': '_:x y' }], [`${S}node`]: [{ properties: { [`${S}name`]: [{ '@value': 'inner' }] } }] }),
          { kind: 'Resource', id: '_:b1' as NodeId, types: [`${S}Thing`] } satisfies DfcRecord,
        ];
        const quads = read(writeRecordsRdf(records, format), format);
        const knows = objects(quads, id('a'), `${S}knows`);
        const node = objects(quads, id('a'), `${S}node`);
        expect(knows.every((o) => o.termType === 'BlankNode')).to.equal(true);
        expect(new Set([...knows, ...node].map((o) => o.value)).size).to.equal(4);
        // The record `_:b1` is the node linked as `_:b1`, and no other.
        const typed = quads.filter((q) => q.predicate.value === `${NS.rdf}type`).map((q) => q.subject.value);
        expect(typed).to.have.length(1);
        expect(knows.map((o) => o.value)).to.include(typed[0]);
      });
    });
  }

  it('writes one graph in Turtle, N-Triples and N-Quads, for the examples and for hostile records', async () => {
    const decoder = new Decoder();
    const cases: { name: string; records: readonly DfcRecord[] }[] = [];
    for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.jsonld')).sort()) {
      const result = await decoder.decode(readFileSync(join(EXAMPLES, file), 'utf8'), { mediaType: 'application/ld+json' });
      cases.push({ name: file, records: result.records });
    }
    cases.push({
      name: 'hostile',
      records: [
        resource('h', {
          [`${S}s`]: HOSTILE_TEXT.map((v) => ({ '@value': v })),
          [`${S}n`]: [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, -0, 5e-324, JSON.parse('1e400') as number].map((v) => ({ '@value': v })),
          [`${S}l`]: [{ '@id': `${X}/é 😀` }, { '@id': `${X}/ok😀` }],
        }),
        { kind: 'Offer', id: id('o'), price: { value: Number.POSITIVE_INFINITY, currency: `${X}/e u r` as Iri }, stock: Number.NaN },
      ],
    });
    expect(cases.length).to.be.greaterThan(3);
    for (const { name, records } of cases) {
      for (const profile of ['dfc-v1', 'dfc-v2'] as const) {
        const graphs = await Promise.all(FORMATS.map(async (format) => canonical(read(writeRecordsRdf(records, format, { profile }), format))));
        expect(graphs[0], `${name} ${profile}`).to.not.equal('');
        expect(graphs[1], `${name} ${profile} N-Triples`).to.equal(graphs[0]);
        expect(graphs[2], `${name} ${profile} N-Quads`).to.equal(graphs[0]);
      }
    }
  });

  it('reads back the examples as the JSON-LD round trip reads them', async () => {
    const decoder = new Decoder();
    for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.jsonld')).sort()) {
      const { records } = await decoder.decode(readFileSync(join(EXAMPLES, file), 'utf8'), { mediaType: 'application/ld+json' });
      for (const format of FORMATS) {
        const ours = await canonical(read(writeRecordsRdf(records, format), format));
        expect(ours, `${file} ${format}`).to.equal(await canonical(read(oracleSerialize(records, format), format)));
      }
    }
  });

  it('keeps hostile literals in N-Quads by graph, and leaves out a graph name that is no IRI', () => {
    const records = [resource('g', { [`${S}s`]: HOSTILE_TEXT.map((v) => ({ '@value': v })) })];
    const text = writeNQuadsByGraph([{ graph: `${X}/g1`, records }, { graph: `${X}/g 2`, records }, { graph: `${X}/g3"`, records }]);
    const quads = read(text, 'nquads');
    expect(new Set(quads.map((q) => q.graph.value))).to.deep.equal(new Set([`${X}/g1`]));
    expect(quads.map((q) => q.object.value).sort()).to.deep.equal([...new Set(HOSTILE_TEXT)].sort());
  });
});
