/**
 * The direct RDF writer (`server/codec/write-rdf.ts`) against the path it replaces (records → compacted JSON-LD →
 * our reader's graph → N3.js quads → N3.js's writer, kept as `test/helpers/rdf-oracle.ts`): the same graph for every
 * record kind, in DFC 1.16 and 2.0, Turtle, N-Triples and N-Quads. Graphs are compared in their RDFC-1.0 canonical
 * form (jsonld.js), after reading both outputs back with N3.js; where the old path wrote well-formed text the new
 * one is also the same text, byte for byte. Hostile values (a subject, a datatype or a language tag that would break
 * out of its term) are left out where the old path let them through.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser, Writer, type Quad } from 'n3';
import type { Iri, NodeId } from '../../../ontology/iri.js';
import { DFC_NAMESPACES, NS } from '../../../ontology/namespaces.js';
import type { DfcRecord, ResourceRecord } from '../../../ontology/records.js';
import { measureIri } from '../../../ontology/units.js';
import { DFC_B, DFC_PT_NS } from '../../../ontology/vocabulary.js';
import { generateCatalog } from '../../../bench/catalog-generator.js';
import { Decoder } from '../../../server/codec/decode.js';
import type { EncodeOptions } from '../../../server/codec/encode.js';
import { keptNodeTerms, writeNQuadsByGraph, writeNQuadsByGraphBytes, writeRecordsRdf, writeRecordsRdfBytes, type RdfFormat } from '../../../server/codec/write-rdf.js';
import { canonicalNQuads } from '../../helpers/jsonld.js';
import { oracleNQuadsByGraph, oracleSerialize } from '../../helpers/rdf-oracle.js';
import { sampleRecords } from '../../helpers/sample-records.js';

const FORMATS: readonly RdfFormat[] = ['turtle', 'ntriples', 'nquads'];
const PROFILES = ['dfc-v1', 'dfc-v2'] as const;
const MEDIA: Readonly<Record<RdfFormat, string>> = { turtle: 'text/turtle', ntriples: 'application/n-triples', nquads: 'application/n-quads' };
const X = 'https://x.example';
const B = DFC_B.namespace;
const EXAMPLES = join(import.meta.dirname, '../../../examples/network');

/** Reads RDF text strictly (N3.js throws on anything malformed) and writes it back as N-Quads. */
function asNQuads(text: string, format: RdfFormat): string {
  const quads: Quad[] = new Parser({ format: MEDIA[format] }).parse(text);
  return new Writer({ format: 'N-Quads' }).quadsToString(quads);
}

/** The canonical form of an output's graph. */
async function canonical(text: string, format: RdfFormat): Promise<string> {
  return canonicalNQuads(asNQuads(text, format));
}

const id = (path: string): NodeId => `${X}/${path}` as NodeId;

/** Records that exercise every corner of the old path: merges, blank nodes, kept values, spellings, text for links. */
function edgeRecords(): DfcRecord[] {
  return [
    {
      kind: 'Enterprise', id: id('e'), name: 'Épicerie "L\'Œuf"\nà la ligne\ttab \u0000 \u001f \u007f \uFFFE 😀 \\', description: 'desc',
      phone: '+33 1', supplies: [id('p'), id('p'), '_:local' as NodeId], manages: [], maintains: [], customerCategories: [], affiliates: [],
      extraTypes: [DFC_B.Enterprise, `${DFC_NAMESPACES.legacy['dfc-b']}Enterprise`, 'https://schema.org/Organization'],
      extra: {
        // The other spelling of a modelled property, kept by an older reader: merged, written once.
        [DFC_B.hasDescription]: [{ '@value': 'desc' }, { '@value': 'autre' }],
        'https://schema.org/alternateName': [{ '@value': 'Grocer', '@language': 'EN-GB' }, { '@value': 3, '@language': 'fr' }],
        'https://schema.org/foundingDate': [{ '@value': '2001-01-01', '@type': `${NS.xsd}date` }],
        'https://schema.org/rating': [{ '@value': 4.5, '@type': `${NS.xsd}double` }, { '@value': 7, '@type': `${NS.xsd}decimal` }],
        'https://schema.org/flag': [{ '@value': true, '@type': `${NS.xsd}boolean` }, { '@value': false }],
        'https://schema.org/text': [{ '@value': 'typed string', '@type': `${NS.xsd}string` }],
        'https://schema.org/sameAs': [{ '@id': `${DFC_NAMESPACES['2.0']['dfc-pt']}tomato` }, { '@id': '_:local' }, { '@id': 'not an iri' }],
        // A kept value written as a compact IRI of a context prefix: the JSON-LD reader expands it.
        'dfc-b:customTerm': [{ '@id': 'dfc-m:Kilogram' }],
        [DFC_B.hasCountry]: [{ '@id': 'France' }],
        'https://schema.org/node': [{ '@type': ['https://schema.org/Thing'], properties: { 'https://schema.org/name': [{ '@value': 'inner' }],
          'https://schema.org/deeper': [{ properties: { 'https://schema.org/name': [{ '@value': 'deepest' }] } }] } }, { properties: {} }],
        [DFC_B.hasAllergenCharacteristic]: [],
        [`${NS.rdf}type`]: [{ '@id': 'https://schema.org/LocalBusiness' }],
      },
    },
    // The same subject again: one node.
    { kind: 'Enterprise', id: id('e'), name: 'Second name', supplies: [id('q')], manages: [], maintains: [], customerCategories: [], affiliates: [] },
    { kind: 'Address', id: '_:local' as NodeId, street: '1 rue', postcode: '75001', city: 'Paris', country: 'France', latitude: 48.86, longitude: 2.35, languages: { city: 'fr', country: 'fr' } },
    { kind: 'Address', id: id('a2'), country: 'http://publications.europa.eu/resource/authority/country/FRA', latitude: 0, longitude: -0 },
    { kind: 'Address', id: id('a3'), country: 'https://bad country' },
    { kind: 'Person', id: id('person'), firstName: 'Anne', affiliates: [id('e')] },
    {
      kind: 'SuppliedProduct', id: id('p'), name: 'Tomates', description: 'Tomates du jardin', languages: { name: 'fr', description: 'fr-be' }, productType: `${DFC_PT_NS}tomato`,
      quantity: { value: 0.1, unit: measureIri('Kilogram'), extra: { [`${B}minValue`]: [{ '@value': 0.09 }], 'https://schema.org/note': [{ '@value': 'net', '@language': 'en' }] } },
      totalTheoreticalStock: 1e21, images: ['https://x.example/a.jpg', 'not an iri either'], variantOf: [], variants: [], catalogItems: [id('i')],
      extra: { [`${B}lifetime`]: [{ '@value': '12.5' }], [`${B}frozen`]: [{ '@value': ' TRUE ' }], [DFC_B.name]: [{ '@value': 'Tomatoes', '@language': 'en' }] },
    },
    { kind: 'CatalogItem', id: id('i'), product: id('p'), sku: 'SKU-1', stock: 0, offers: [id('o')], listedIn: [id('c')] },
    { kind: 'Offer', id: id('o'), item: id('i'), price: { value: 4.95, currency: measureIri('Euro'), vatRate: 5.5, extra: { 'https://schema.org/category': [{ '@id': 'https://x.example/tax/reduced' }] } }, stock: null, customerCategory: id('cc') },
    { kind: 'Offer', id: id('o2'), price: { value: 1e-7, currency: 'EUR' as Iri }, stock: 12 },
    { kind: 'Catalog', id: id('c'), name: 'Catalogue', maintainedBy: id('e'), items: [id('i')] },
    { kind: 'CustomerCategory', id: id('cc'), name: 'Public', definedBy: id('e') },
    { kind: 'SaleSession', id: id('s'), beginDate: '2026-01-01T00:00:00Z', endDate: '2026-01-08T00:00:00+02:00', offers: [id('o')] },
    {
      kind: 'Order', id: id('order'), orderNumber: '42', date: '2026-01-02', orderedBy: id('e'), lines: [id('line'), id('line2')],
      orderStatus: `${DFC_NAMESPACES['1.x']['dfc-v']}Held`, paymentStatus: 'paid', fulfilmentStatus: 'https://bad status',
    },
    { kind: 'OrderLine', id: id('line'), order: id('order'), offer: id('o'), quantity: 3, quantityUnit: measureIri('Piece'), price: { value: 2, currency: measureIri('Euro') } },
    { kind: 'OrderLine', id: id('line2'), order: id('order'), quantity: 2.5 },
    { kind: 'Resource', id: id('r'), types: [], extra: { 'https://schema.org/name': [{ '@value': 'no type' }] } },
    { kind: 'Resource', id: id('empty'), types: [] },
  ];
}

/**
 * Terms of one DFC generation: 2.0-only ones under their 2.0 IRI (and under the 1.x one, as records stored before they
 * were kept so hold them), `dfc-b:hasProcess` (1.16 only), an Organization.
 */
function generationRecords(): DfcRecord[] {
  const V2 = DFC_NAMESPACES['2.0']['dfc-b'];
  return [
    { kind: 'Enterprise', id: id('org'), name: 'Ferme', supplies: [id('gp')], manages: [], maintains: [], customerCategories: [], affiliates: [] },
    {
      kind: 'SuppliedProduct', id: id('gp'), name: 'Tomate', images: [], variantOf: [], variants: [], catalogItems: [], extraTypes: [`${V2}Variant`],
      extra: {
        [`${V2}hasProductOption`]: [{ '@id': id('option') }], [`${B}hasProductOption`]: [{ '@id': id('option2') }],
        [`${B}hasProcess`]: [{ '@id': id('process') }], [`${V2}isCertifiedBy`]: [{ '@id': id('cert') }],
      },
    },
    { kind: 'Resource', id: id('option'), types: [`${V2}ProductOption`], extra: { [DFC_B.name]: [{ '@value': 'Colour' }] } },
    { kind: 'Resource', id: id('option2'), types: [`${B}ProductOption`], extra: { [`${B}hasProductOptionValue`]: [{ '@type': [`${B}OptionValue`], properties: {} }] } },
  ];
}

/** Resources that describe the document, read with it and written back first. */
const ENVELOPES: readonly ResourceRecord[] = [
  { kind: 'Resource', id: id('view') as Iri, types: [`${NS.hydra}PartialCollectionView`], extra: { [`${NS.hydra}next`]: [{ '@id': id('page2') }] } },
];

interface Case { readonly name: string; readonly records: readonly DfcRecord[]; readonly options?: EncodeOptions }

describe('writing RDF straight from records', function () {
  this.timeout(120_000);
  const decoder = new Decoder();
  const cases: Case[] = [];

  before(async () => {
    cases.push({ name: 'the sample records', records: sampleRecords() });
    for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.jsonld')).sort()) {
      const result = await decoder.decode(readFileSync(join(EXAMPLES, file), 'utf8'), { mediaType: 'application/ld+json' });
      expect(result.records, file).to.not.be.empty;
      cases.push({ name: `examples/network/${file}`, records: result.records });
    }
    cases.push({ name: 'edge cases', records: edgeRecords() });
    // Without the repeated id, records are written as they come rather than merged.
    cases.push({ name: 'edge cases, each id once', records: edgeRecords().filter((_, i) => i !== 1) });
    cases.push({ name: 'edge cases with envelopes', records: edgeRecords(), options: { envelopes: ENVELOPES } });
    cases.push({ name: 'edge cases, one resource (no container)', records: edgeRecords().slice(5, 6), options: { container: false } });
    cases.push({ name: 'terms of one DFC generation', records: generationRecords() });
  });

  for (const profile of PROFILES) {
    for (const format of FORMATS) {
      it(`writes the same graph as the JSON-LD round trip (${profile}, ${format})`, async () => {
        expect(cases.length).to.be.greaterThan(5);
        for (const { name, records, options } of cases) {
          const opts: EncodeOptions = { ...options, profile, containerId: `${X}/api/dfc/catalog_items` };
          const ours = writeRecordsRdf(records, format, opts);
          const theirs = oracleSerialize(records, format, opts);
          expect(await canonical(ours, format), name).to.equal(await canonical(theirs, format));
          // The text itself is unchanged: same statements, same order, same blank node labels, same layout.
          expect(ours, name).to.equal(theirs);
        }
      });
    }
  }

  it('writes as bytes the UTF-8 of its text, for every case, profile and format, and by graph', () => {
    // N-Triples and N-Quads are written as bytes without a line of text (each piece encoded on its own, a subject
    // copied from its first line): the edge cases' escapes, IRIs beyond ASCII, blank nodes and merged records included.
    expect(cases.length).to.be.greaterThan(5);
    // Subjects (and a graph name) beyond ASCII: each is copied from its first line to the next ones.
    const wide = sampleRecords().map((r) => ({ ...r, id: r.id.startsWith('_:') ? r.id : `${r.id}/crème-🍎` }) as DfcRecord);
    for (const profile of PROFILES) {
      for (const format of FORMATS) {
        for (const { name, records, options } of [...cases, { name: 'ids beyond ASCII', records: wide }]) {
          const opts: EncodeOptions = { ...options, profile, containerId: `${X}/api/dfc/catalog_items` };
          const bytes = writeRecordsRdfBytes(records, format, opts);
          expect(bytes.toString('hex'), `${profile} ${format} ${name}`).to.equal(Buffer.from(writeRecordsRdf(records, format, opts), 'utf8').toString('hex'));
        }
      }
    }
    const groups = [
      { graph: `${X}/api/sync/peers/é`, records: edgeRecords() },
      { records: sampleRecords() },
      { graph: `${X}/api/sync/peers/🍎`, records: wide },
      { graph: `${X}/api/sync/peers/1`, records: cases.flatMap((c) => c.records).filter((r, i, all) => all.findIndex((o) => o.id === r.id) === i) },
    ];
    for (const profile of PROFILES) {
      expect(writeNQuadsByGraphBytes(groups, { profile }).toString('hex'), profile).to.equal(Buffer.from(writeNQuadsByGraph(groups, { profile }), 'utf8').toString('hex'));
    }
  });

  it('writes a generated catalogue as the old path did, byte for byte, in every format and profile', async () => {
    const { records } = await decoder.decode(JSON.stringify(generateCatalog(1000)), { mediaType: 'application/ld+json' });
    expect(records.filter((r) => r.kind === 'Offer')).to.have.length(1000);
    for (const profile of PROFILES) {
      for (const format of FORMATS) {
        const ours = writeRecordsRdf(records, format, { profile });
        expect(ours, `${profile} ${format}`).to.equal(oracleSerialize(records, format, { profile }));
        // And it reads back as RDF: the statements parse one for one.
        expect(asNQuads(ours, format).split('\n').length).to.be.greaterThan(10_000);
      }
    }
  });

  it('writes N-Quads by graph as the old path did', async () => {
    const groups = [
      { graph: `${X}/api/sync/peers/1`, records: sampleRecords() },
      { graph: `${X}/api/dfc/enterprises/e`, records: edgeRecords() },
      { graph: `${X}/api/sync/peers/2`, records: sampleRecords().slice(0, 4) },
      { records: [...ENVELOPES] },
    ];
    const ours = writeNQuadsByGraph(groups);
    const theirs = oracleNQuadsByGraph(groups);
    expect(await canonical(ours, 'nquads')).to.equal(await canonical(theirs, 'nquads'));
    const clean = groups.filter((_, i) => i !== 1);
    expect(writeNQuadsByGraph(clean)).to.equal(oracleNQuadsByGraph(clean));
    // Blank nodes of two sources never share a label.
    const labels = (graph: string) => new Set([...ours.matchAll(/(_:\S+)[^\n]*<([^>]+)> \.$/gmu)].filter((m) => m[2] === graph).map((m) => m[1]));
    const first = labels(`${X}/api/sync/peers/1`);
    expect(first.size).to.be.greaterThan(0);
    for (const label of labels(`${X}/api/sync/peers/2`)) expect(first.has(label)).to.equal(false);
  });

  it('writes each record on its own, whatever was written before it (subjects are reused record to record)', () => {
    // Rich and bare records alternating, each kind after every other: a reused subject that kept a type, a predicate
    // or an object of the record before would show here as a statement the old path does not write.
    const rich = [...sampleRecords(), ...edgeRecords().filter((_, i) => i !== 1)];
    const alternating = rich.flatMap((record, i) => [record, rich[rich.length - 1 - i] as DfcRecord]).filter((r, i, all) => all.findIndex((o) => o.id === r.id) === i);
    expect(alternating.length).to.be.greaterThan(10);
    for (const profile of PROFILES) {
      for (const format of FORMATS) {
        for (const records of [alternating, [...alternating].reverse()]) {
          expect(writeRecordsRdf(records, format, { profile }), `${profile} ${format}`).to.equal(oracleSerialize(records, format, { profile }));
        }
      }
    }
  });

  it('writes the same text whatever characters a document holds, and documents in turn, large then small, each its own', async () => {
    // Text goes into bytes, one a character, up to U+00FF; a chunk past that (a `€`, a `’`, a lone surrogate) turns the
    // document back to strings. Each case puts it past the first chunks and the first buffer (64 kB), so bytes were
    // written and grown before; the bytes are then kept for the next document, which must not show any of them.
    const { records } = await decoder.decode(JSON.stringify(generateCatalog(300)), { mediaType: 'application/ld+json' });
    const named = (at: number, name: string): DfcRecord[] => records.map((r, i) => (i === at && r.kind === 'SuppliedProduct' ? { ...r, name } : r));
    const late = records.findLastIndex((r) => r.kind === 'SuppliedProduct');
    const early = records.findIndex((r) => r.kind === 'SuppliedProduct');
    const documents: [string, DfcRecord[]][] = [
      ['ASCII', records],
      ['Latin-1 early and late', named(early, 'Crème brûlée, 1 kg').map((r, i) => (i === late && r.kind === 'SuppliedProduct' ? { ...r, name: 'Pâté ÿ\u00A0\u00FF' } : r))],
      ['a euro sign late', named(late, 'Œufs à 3 €')],
      ['a typographic apostrophe early', named(early, 'L’épicerie')],
      ['a lone surrogate late', named(late, 'a\uD800b')],
      ['an emoji late', named(late, 'pomme 🍎')],
      ['small, after the large ones', sampleRecords()],
      // Two records with one id: the document is written again, merged, and the first writing given up.
      ['merged, then', edgeRecords()],
      ['small again', sampleRecords().slice(0, 2)],
    ];
    for (const format of FORMATS) {
      for (const [name, list] of documents) expect(writeRecordsRdf(list, format), `${format}: ${name}`).to.equal(oracleSerialize(list, format, {}));
    }
    // The same documents as the bytes HTTP sends: the text's UTF-8 (a lone surrogate is U+FFFD, as encoding the text
    // makes it), written in turn with texts, so that each borrows bytes another left.
    for (const format of FORMATS) {
      for (const [name, list] of documents) {
        const bytes = writeRecordsRdfBytes(list, format);
        expect(bytes.equals(Buffer.from(oracleSerialize(list, format, {}), 'utf8')), `${format} bytes: ${name}`).to.equal(true);
        expect(writeRecordsRdf(list, format), `${format} after bytes: ${name}`).to.equal(oracleSerialize(list, format, {}));
      }
    }
    const byGraph = [{ graph: 'https://node.example/g/1', records: documents[4]?.[1] ?? [] }, { records: sampleRecords() }];
    expect(writeNQuadsByGraphBytes(byGraph).equals(Buffer.from(writeNQuadsByGraph(byGraph), 'utf8'))).to.equal(true);
  });

  it('writes numbers as the old path did, past the numbers a document keeps rendered (4,096) and with 0 and -0', async () => {
    const { records } = await decoder.decode(JSON.stringify(generateCatalog(2500)), { mediaType: 'application/ld+json' });
    let n = 0;
    // Over 5,000 distinct numbers (prices and stocks), each written twice or more, then 0 and -0 in turn.
    const numbered = records.map((record) => {
      if (record.kind !== 'Offer' || record.price === undefined) return record;
      n++;
      const value = n % 500 === 0 ? (n % 1000 === 0 ? -0 : 0) : n + 0.25;
      return { ...record, price: { ...record.price, value, vatRate: n / 8 }, stock: record.stock === null ? null : 10_000 + n };
    });
    expect(n).to.equal(2500);
    for (const format of FORMATS) {
      expect(writeRecordsRdf(numbered, format), format).to.equal(oracleSerialize(numbered, format, {}));
    }
  });

  it('merges records whose ids differ but name one subject (a compact id, a DFC 2.0 one, the container\'s), as the old path did', async () => {
    const full = `${B}shop`;
    const v2 = `${DFC_NAMESPACES['2.0']['dfc-b']}shop`;
    const shop = (recordId: string, name: string): DfcRecord => ({
      kind: 'Enterprise', id: recordId as NodeId, name, supplies: [], manages: [], maintains: [], customerCategories: [], affiliates: [],
    });
    const other = sampleRecords().slice(0, 3);
    const lists: DfcRecord[][] = [
      [shop('dfc-b:shop', 'compact'), ...other, shop(full, 'full')],
      [shop(full, 'full'), ...other, shop('dfc-b:shop', 'compact')],
      [shop(full, 'full'), shop(v2, 'in 2.0'), ...other],
      [shop(v2, 'in 2.0'), ...other, shop(full, 'full'), shop('dfc-b:shop', 'compact')],
      [...other, shop(full, 'full')],
    ];
    for (const records of lists) {
      for (const profile of PROFILES) {
        // The container named like a record, and not. Named like one, DFC 2.0 output has the same graph but not the same
        // order: the old path wrote the container's statements first, this writer writes the subject's types first.
        for (const containerId of [full, `${X}/api/dfc/catalog_items`]) {
          for (const format of FORMATS) {
            const opts: EncodeOptions = { profile, containerId };
            const ours = writeRecordsRdf(records, format, opts);
            const theirs = oracleSerialize(records, format, opts);
            if (containerId === full && profile === 'dfc-v2') expect(await canonical(ours, format)).to.equal(await canonical(theirs, format));
            else expect(ours, `${profile} ${format} ${containerId}`).to.equal(theirs);
          }
        }
      }
    }
  });

  it('writes each document as its own, whatever documents with the same ids were written before (their IRIs are rendered once)', () => {
    // A node's terms are kept from one document to the next (`NODE_TERMS`): by syntax, generation and envelope, so an id
    // that renders differently in each (a compact `dfc-b:` id, a DFC 1.x IRI that 2.0 renames, Turtle's prefixes) must
    // be rendered anew for each; and a subject written by one document is not written for the next, which must write
    // it again, or merge it when the same document names it twice.
    const shop = (recordId: string, name: string): DfcRecord => ({
      kind: 'Enterprise', id: recordId as NodeId, name, supplies: [], manages: [], maintains: [], customerCategories: [], affiliates: [],
    });
    const dfcIds = [shop('dfc-b:shopInTurn', 'compact'), shop(`${B}shopInTurn`, 'full'), shop(`${DFC_NAMESPACES['2.0']['dfc-b']}shopInTurn2`, 'in 2.0'), ...sampleRecords()];
    const documents: [string, DfcRecord[], EncodeOptions][] = [];
    for (const records of [dfcIds, edgeRecords(), sampleRecords()]) {
      for (const options of [{}, { profile: 'dfc-v2' }, { profile: 'dfc-v2', envelopes: ENVELOPES }, { envelopes: ENVELOPES }] as EncodeOptions[]) {
        documents.push([`${records.length} records, ${JSON.stringify(options).slice(0, 40)}`, records, options]);
      }
    }
    for (const order of [documents, [...documents].reverse()]) {
      for (const format of FORMATS) {
        for (const [name, records, options] of order) {
          expect(writeRecordsRdf(records, format, options), `${format}: ${name}`).to.equal(oracleSerialize(records, format, options));
        }
      }
    }
  });

  it('keeps the rendered IRIs of a document for the next one within bounds, and drops those of a larger one once written', () => {
    const people = (count: number, length: number): DfcRecord[] => Array.from({ length: count }, (_, i): DfcRecord => ({
      kind: 'Person', id: `${X}/people/${'p'.repeat(length)}/${i}` as NodeId, firstName: `P${i}`, affiliates: [],
    }));
    const before = keptNodeTerms();
    const small = people(50, 10);
    writeRecordsRdf(small, 'nquads');
    expect(keptNodeTerms() - before, 'a small document').to.be.at.least(50);
    // 5 million characters of ids, more than a table keeps: written as before, then dropped with the rest of its table.
    const large = people(1000, 5000);
    expect(writeRecordsRdf(large, 'nquads')).to.equal(oracleSerialize(large, 'nquads', {}));
    expect(keptNodeTerms(), 'after the large document').to.be.below(before + 50);
    // And the small one is written as it was, its terms rendered again.
    expect(writeRecordsRdf(small, 'nquads')).to.equal(oracleSerialize(small, 'nquads', {}));
  });

  it('merges records with one id into one subject, with no statement twice', () => {
    const records = edgeRecords();
    for (const format of ['ntriples', 'nquads'] as const) {
      const lines = writeRecordsRdf(records, format).split('\n').filter(Boolean);
      expect(new Set(lines).size, format).to.equal(lines.length);
      expect(lines.filter((l) => l.startsWith(`<${X}/e> <${B}name> `))).to.have.length(2);
    }
    const turtle = writeRecordsRdf(records, 'turtle');
    expect(turtle.match(new RegExp(`^<${X}/e> `, 'gmu'))).to.have.length(1);
  });

  describe('a hostile value adds nothing and breaks nothing', () => {
    const clean = (): DfcRecord[] => edgeRecords().filter((r) => r.kind !== 'Enterprise');
    const hostile = (): DfcRecord[] => [
      ...clean(),
      // A subject that would close its IRI and start a statement of its own, and ones with a quote or a new line.
      { kind: 'Resource', id: `${X}/a> <${X}/b> <${X}/c> .\n<${X}/d` as NodeId, types: ['https://schema.org/Thing'] },
      { kind: 'Resource', id: `${X}/q"uote` as NodeId, types: ['https://schema.org/Thing'] },
      { kind: 'Resource', id: `${X}/new\nline` as NodeId, types: ['https://schema.org/Thing'] },
      {
        kind: 'Resource', id: id('r'), types: ['https://schema.org/T>x'],
        extra: {
          'https://schema.org/lang': [{ '@value': 'x', '@language': 'en> <x' }, { '@value': 'y', '@language': '' }],
          'https://schema.org/dt': [{ '@value': 'v', '@type': `${X}/dt> "x` }, { '@value': 1, '@type': 'relative' }],
          'https://schema.org/link': [{ '@id': `${X}/l>x` }, { '@id': `${X}/l"x` }, { '@id': `${X}/l x` }],
          [`${X}/p>q`]: [{ '@value': 'bad predicate' }],
        },
      },
    ];

    for (const profile of PROFILES) {
      for (const format of FORMATS) {
        it(`${profile}, ${format}`, async () => {
          const ours = writeRecordsRdf(hostile(), format, { profile });
          // N3.js reads it strictly, and finds exactly the statements of the clean records.
          // The texts whose tags no syntax can hold are kept, without a tag (as JSON-LD writes them).
          const texts: DfcRecord = { kind: 'Resource', id: id('r'), types: [], extra: { 'https://schema.org/lang': [{ '@value': 'x' }, { '@value': 'y' }] } };
          expect(await canonical(ours, format)).to.equal(await canonical(oracleSerialize([...clean(), texts], format, { profile }), format));
          expect(ours).to.not.include(`${X}/d`);
          expect(ours).to.not.include('"x"@');
        });
      }
    }

    it('N-Quads by graph leave out a graph name that is no IRI', () => {
      const text = writeNQuadsByGraph([{ graph: `${X}/g> <${X}/evil`, records: sampleRecords() }, { graph: `${X}/g`, records: sampleRecords() }]);
      expect(text).to.not.include('evil');
      expect(text).to.equal(oracleNQuadsByGraph([{ graph: `${X}/g`, records: sampleRecords() }]));
    });

    it('keeps a lone surrogate as the old path did (it has no escape in either grammar)', () => {
      const records: DfcRecord[] = [{ kind: 'Resource', id: id('s'), types: [], extra: { 'https://schema.org/name': [{ '@value': 'a\uD800b\uDC00c' }] } }];
      for (const format of FORMATS) expect(writeRecordsRdf(records, format)).to.equal(oracleSerialize(records, format));
    });
  });
});

describe('write-rdf: a record stored with very many types', () => {
  it('is written in linear time in every format (stored before types were capped: it took 20 s for 150,000)', () => {
    const types = Array.from({ length: 100_000 }, (_, i) => `https://hostile.example/T${i}`);
    const record: DfcRecord = { kind: 'Resource', id: 'https://hostile.example/r' as NodeId, types };
    for (const format of ['turtle', 'ntriples', 'nquads'] as RdfFormat[]) {
      const start = performance.now();
      const text = writeRecordsRdf([record], format);
      expect(performance.now() - start, format).to.be.below(2000);
      expect(text.split('https://hostile.example/T').length - 1, format).to.equal(types.length);
    }
  });
});

describe('the ldp:Container of a DFC 2.0 collection', () => {
  const base = 'https://node.example/api/dfc/enterprises/ferme';
  const id = (path: string): NodeId => `${base}/${path}` as NodeId;
  const LDP_CONTAINS = 'http://www.w3.org/ns/ldp#contains';
  const orders: DfcRecord[] = [
    { kind: 'Order', id: id('orders/1'), lines: [id('orders/1/lines/1')], orderStatus: `${DFC_NAMESPACES['2.0']['dfc-v']}Held`, saleSession: id('sessions/1') },
    { kind: 'OrderLine', id: id('orders/1/lines/1'), order: id('orders/1'), offer: id('offers/tomate'), quantity: 2 },
    { kind: 'Order', id: id('orders/2'), lines: [] },
    { kind: 'SaleSession', id: id('sessions/1') } as DfcRecord,
  ];
  const view: ResourceRecord = {
    kind: 'Resource', id: `${base}/orders?page=1` as NodeId, types: [`${NS.hydra}PartialCollectionView` as Iri],
    extra: { [`${NS.hydra}next`]: [{ '@id': `${base}/orders?page=2` }] },
  };

  /** The members the container lists, in each format (JSON-LD expanded by jsonld.js; Turtle and N-Quads parsed by N3). */
  async function members(records: readonly DfcRecord[], options: EncodeOptions): Promise<Record<string, string[]>> {
    const { encodeJsonLd } = await import('../../../server/codec/encode.js');
    const { jsonld, offline } = await import('../../helpers/jsonld.js');
    const expanded = await jsonld.toRDF(encodeJsonLd(records, options) as object, { format: 'application/n-quads', ...offline }) as unknown as string;
    const of = (quads: Quad[]): string[] => quads.filter((q) => q.predicate.value === LDP_CONTAINS).map((q) => q.object.value).sort();
    return {
      jsonld: of(new Parser({ format: 'N-Quads' }).parse(expanded)),
      turtle: of(new Parser({ format: 'Turtle' }).parse(writeRecordsRdf(records, 'turtle', options))),
      nquads: of(new Parser({ format: 'N-Quads' }).parse(writeRecordsRdf(records, 'nquads', options))),
    };
  }

  it('lists the orders of a list of orders, not their lines, offers or sessions, nor the page itself, the same in every format', async () => {
    const listed = await members(orders, { profile: 'dfc-v2', containerId: `${base}/orders`, envelopes: [view] });
    for (const format of ['jsonld', 'turtle', 'nquads']) expect(listed[format], format).to.deep.equal([id('orders/1'), id('orders/2')]);
  });

  it('lists the enterprises of a list of enterprises, not their addresses or people', async () => {
    const records: DfcRecord[] = [
      { kind: 'Enterprise', id: id(''), name: 'Ferme', address: id('address'), mainContact: id('person'), supplies: [], manages: [], maintains: [],
        customerCategories: [], affiliates: [] },
      { kind: 'Address', id: id('address'), city: 'Limoges' },
      { kind: 'Person', id: id('person'), firstName: 'Anne', affiliates: [] },
    ];
    const listed = await members(records, { profile: 'dfc-v2', containerId: 'https://node.example/api/dfc/enterprises' });
    for (const format of ['jsonld', 'turtle', 'nquads']) expect(listed[format], format).to.deep.equal([id('')]);
  });
});
