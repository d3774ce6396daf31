/**
 * The one-pass JSON-LD reader (the fast path, with its memos of keys, types and IRIs) against the reference path:
 * the same document expanded by jsonld.js first, then walked. Both must give the same records, and refuse the
 * same resources, on every shape peers send: `@graph` or a top-level array, context URLs of DFC 1.16 and 2.0, an
 * inline context, expanded IRIs, prefixed names, language-tagged and typed values, unknown terms, `@type` arrays,
 * bare references, blank nodes, a base IRI.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { CONTEXT_1_16, CONTEXT_1_16_URL, CONTEXT_2_0_URL } from '../../../ontology/contexts.js';
import type { DfcRecord } from '../../../ontology/records.js';
import { EURO } from '../../../ontology/units.js';
import { Taxonomy } from '../../../ontology/taxonomy.js';
import { generateCatalog } from '../../../bench/catalog-generator.js';
import { extractRecords } from '../../../server/codec/extract.js';
import { readJsonLd } from '../../../server/codec/read-jsonld.js';
import { RecordValidator } from '../../../server/codec/validate.js';
import { FIXTURES, fixtureText } from './fixtures.js';

const validator = new RecordValidator(Taxonomy.builtin());

interface Outcome {
  readonly path: 'fast' | 'full';
  /** Records by id (blank node labels erased: each path numbers its own), each with its error codes. */
  readonly records: Record<string, unknown>;
  readonly documentErrors: string[];
}

/** Blank node labels are each reader's own numbering: compared as `_:`. */
function withoutBlankLabels(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' && v.startsWith('_:') ? '_:' : v))) as unknown;
}

async function read(document: unknown, path: 'auto' | 'full', base?: string): Promise<Outcome> {
  const result = await readJsonLd(document, { path, ...(base !== undefined ? { base } : {}) });
  const documentErrors = result.problems.filter((p) => p.id === null && p.severity === 'error').map((p) => p.code);
  const extraction = extractRecords(result.graph, { defaultCurrency: EURO });
  const problems = [...result.problems, ...extraction.problems];
  for (const record of extraction.records) problems.push(...validator.validate(record, extraction.invalidFields.get(record.id)));
  const records: Record<string, unknown> = {};
  const sorted = [...extraction.records].sort((a: DfcRecord, b: DfcRecord) => a.id.localeCompare(b.id));
  for (const record of sorted) {
    const errors = problems.filter((p) => p.id === record.id && p.severity === 'error').map((p) => p.code).sort();
    const key = record.id.startsWith('_:') ? `_: ${record.kind} ${Object.keys(records).length}` : record.id;
    records[key] = withoutBlankLabels({ record, errors });
  }
  return { path: result.path, records, documentErrors };
}

async function expectSame(document: unknown, base?: string): Promise<void> {
  const fast = await read(document, 'auto', base);
  const full = await read(document, 'full', base);
  expect(fast.path, 'the document is read on the fast path').to.equal('fast');
  expect(full.path).to.equal('full');
  expect(fast.documentErrors).to.deep.equal(full.documentErrors);
  expect(fast.records).to.deep.equal(full.records);
}

const P = 'https://peer.example/api/dfc';
const B = 'https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#';

/** Hand-written documents in the shapes the one-pass reader takes. */
const ODD: Record<string, unknown> = {
  'a top-level array, a context per node': generateCatalog(4)['@graph'].map((node) => ({ '@context': CONTEXT_1_16_URL, ...node })),
  'the DFC 2.0 context URL': generateCatalog(4, { contextUrl: CONTEXT_2_0_URL }),
  'an inline context object': { ...generateCatalog(4), '@context': CONTEXT_1_16 },
  'expanded IRIs and prefixed names side by side': {
    '@context': CONTEXT_1_16_URL,
    '@graph': [
      {
        '@id': `${P}/products/1`,
        '@type': `${B}SuppliedProduct`,
        [`${B}name`]: 'Expanded name',
        'dfc-b:description': 'Prefixed description',
        [`${B}hasQuantity`]: { '@type': 'dfc-b:QuantitativeValue', [`${B}hasUnit`]: { '@id': 'dfc-m:Kilogram' }, 'dfc-b:value': '2.5' },
        'dfc-b:hasType': { '@id': `https://github.com/datafoodconsortium/taxonomies/releases/latest/download/productTypes.rdf#carrot` },
      },
    ],
  },
  'language-tagged and typed values, unknown terms, @type arrays': {
    '@context': [CONTEXT_1_16_URL, { ex: 'https://ex.example/ns#', 'ex:link': { '@type': '@id' } }],
    '@graph': [
      {
        '@id': `${P}/offers/1`,
        '@type': ['dfc-b:Offer', 'ex:SpecialOffer'],
        'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': { '@value': '3.5', '@type': 'xsd:decimal' }, 'dfc-b:hasUnit': 'dfc-m:Euro' },
        'dfc-b:stockLimitation': '12',
        'dfc-b:offeredItem': `${P}/items/1`,
        'ex:note': [{ '@value': 'Fraîches', '@language': 'FR' }, { '@value': 'Fresh', '@language': 'en' }],
        'ex:link': 'ex:elsewhere',
        unknownTerm: 'dropped by both',
      },
      { '@id': `${P}/items/1`, '@type': 'dfc-b:CatalogItem', 'dfc-b:stockLimitation': -1, 'dfc-b:sku': ['A', 'B'] },
      { '@id': `${P}/enterprise`, '@type': 'dfc-b:Enterprise' },
    ],
  },
  'blank nodes, an address as people write it, bad values': {
    '@context': CONTEXT_1_16_URL,
    '@graph': [
      {
        '@id': `${P}/enterprise`,
        '@type': 'dfc-b:Enterprise',
        'dfc-b:name': 'Ferme',
        'dfc-b:hasAddress': { '@id': '_:address' },
        'dfc-b:hasPhoneNumber': '+33 1 23 45 67 89',
        'dfc-b:manages': [`${P}/items/1`, `${P}/items/2`, `${P}/items/1`],
      },
      { '@id': '_:address', '@type': 'dfc-b:Address', 'dfc-b:hasStreet': '1 rue', 'dfc-b:hasCountry': 'FR', 'dfc-b:latitude': '95' },
      { '@id': `${P}/items/1`, '@type': 'dfc-b:CatalogItem', 'dfc-b:stockLimitation': 'many', 'dfc-b:managedBy': `${P}/enterprise` },
      { '@id': `${P}/offers/2`, '@type': 'dfc-b:Offer', 'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': -2, 'dfc-b:hasUnit': 'GBP' } },
      { '@id': `${P}/thing`, '@type': 'https://other.example/Thing', 'https://other.example/p': { 'https://other.example/q': [1, true, 'x'] } },
    ],
  },
};

describe('the one-pass JSON-LD reader against jsonld.js expansion', () => {
  const files = readdirSync(FIXTURES, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json') && !f.startsWith('invalid') && !f.startsWith(join('contexts', '')))
    .sort();

  for (const file of files) {
    it(`reads ${file} alike`, async function () {
      const document: unknown = JSON.parse(fixtureText(file));
      const fast = await readJsonLd(document);
      // Documents with an unknown context, or that need jsonld.js anyway, have nothing to compare.
      if (fast.path !== 'fast' || fast.problems.some((p) => p.id === null && p.severity === 'error')) this.skip();
      await expectSame(document);
    });
  }

  it('reads the generated catalogue alike', async () => {
    await expectSame(generateCatalog(30));
  });

  for (const [name, document] of Object.entries(ODD)) {
    it(`reads ${name} alike`, async () => {
      await expectSame(document);
    });
  }

  it('resolves relative references against the base alike', async () => {
    await expectSame({
      '@context': CONTEXT_1_16_URL,
      '@graph': [
        { '@id': 'products/1', '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Relative', 'dfc-b:referencedBy': '../items/1' },
        { '@id': 'addresses/1', '@type': 'dfc-b:Address', 'dfc-b:hasCountry': 'GB' },
      ],
    }, 'https://node.example/api/dfc/enterprises/1/');
  });
});
