import { expect } from 'chai';
import { DFC_B } from '../../../ontology/vocabulary.js';
import { Decoder, decodeFailed, type DecodeResult } from '../../../server/codec/decode.js';
import { errorsOf, fixtureJson, fixtureText, recordOf } from './fixtures.js';

/** One entry of `test/fixtures/invalid/manifest.json`. */
interface InvalidCase {
  readonly file: string;
  /** The id the error must name; null for a document-level error. */
  readonly id: string | null;
  /** A regular expression the error message must match. */
  readonly message: string;
  /** Resources of the same file that must still be decoded. */
  readonly valid: readonly string[];
}

const manifest = fixtureJson<{ cases: InvalidCase[] }>('invalid/manifest.json');
const CONTEXT_1_16 = 'https://w3id.org/dfc/ontology/context/context_1.16.0.json';
const EVIL = 'https://evil.example/ctx.json';

describe('Decoder validation', () => {
  const decoder = new Decoder();

  describe('rejections (test/fixtures/invalid/manifest.json)', () => {
    it('lists every rejection fixture', () => {
      expect(manifest.cases.map((c) => c.file)).to.include.members([
        'missing-context.json', 'unknown-remote-context.json', 'malformed-iri.json', 'price-not-a-number.json',
        'negative-price.json', 'stock-not-a-number.json', 'offer-without-price.json', 'malformed-json.json',
      ]);
    });

    for (const entry of manifest.cases) {
      it(`${entry.file}: ${entry.id === null ? 'document-level error' : 'rejects the faulty resource only'}`, async () => {
        const result = await decoder.decode(fixtureText(`invalid/${entry.file}`));
        const pattern = new RegExp(entry.message, 'u');
        const matching = errorsOf(result).filter((p) => p.id === entry.id && pattern.test(p.message));
        expect(matching, JSON.stringify(result.problems, null, 2)).to.not.be.empty;
        expect(decodeFailed(result)).to.equal(true);
        const recordIds = result.records.map((r) => r.id);
        const rejectedIds = result.rejected.map((r) => r.id);
        if (entry.id === null) {
          // A document that cannot be read yields nothing.
          expect(recordIds).to.deep.equal([]);
          expect(matching[0]?.path).to.be.a('string');
        } else {
          expect(rejectedIds).to.include(entry.id);
          expect(recordIds).to.not.include(entry.id);
          const rejected = result.rejected.find((r) => r.id === entry.id);
          expect(rejected?.problems.some((p) => pattern.test(p.message))).to.equal(true);
          // Every error names a resource that is rejected, and only the faulty one is.
          expect([...new Set(rejectedIds)]).to.deep.equal([entry.id]);
        }
        for (const id of entry.valid) {
          expect(recordIds, `valid neighbour ${id}`).to.include(id);
          expect(rejectedIds).to.not.include(id);
        }
      });
    }
  });

  it('reports the rejected resource type and the property path', async () => {
    const result = await decoder.decode(fixtureText('invalid/price-not-a-number.json'));
    const [rejected] = result.rejected;
    expect(rejected?.type).to.equal('dfc-b:Offer');
    expect(rejected?.problems[0]?.path).to.equal('dfc-b:hasPrice/dfc-b:value');
    expect(rejected?.problems[0]?.severity).to.equal('error');
  });

  it('names a malformed IRI written as a CURIE once, by the id of the rejected resource', async () => {
    const result = await decoder.decode({
      '@context': [CONTEXT_1_16, { ofn: 'https://ofn.example/api/dfc/' }],
      '@graph': [
        { '@id': 'ofn:supplied_products/bad id', '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Navets' },
        { '@id': 'ofn:supplied_products/953', '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Panais' },
      ],
    });
    expect(result.records.map((r) => r.id)).to.deep.equal(['https://ofn.example/api/dfc/supplied_products/953']);
    // One faulty resource: one rejected entry, and every error names it by the same id.
    expect(result.rejected).to.have.length(1);
    const rejectedId = result.rejected[0]?.id;
    for (const p of errorsOf(result)) expect(p.id).to.equal(rejectedId);
  });

  describe('warnings', () => {
    it('do not reject a resource', async () => {
      const result = await decoder.decode({
        '@context': CONTEXT_1_16,
        '@graph': [
          {
            '@id': 'https://coop.example/warn/products/betteraves',
            '@type': 'dfc-b:SuppliedProduct',
            'dfc-b:name': 'Betteraves crues - 1 kg',
            couleur: 'rouge',
          },
        ],
      });
      expect(result.problems).to.have.length(1);
      expect(result.problems[0]).to.include({ id: 'https://coop.example/warn/products/betteraves', severity: 'warning' });
      expect(result.problems[0]?.message).to.match(/couleur/u);
      expect(result.rejected).to.deep.equal([]);
      expect(decodeFailed(result)).to.equal(false);
      expect(recordOf(result.records, 'SuppliedProduct', 'https://coop.example/warn/products/betteraves').name)
        .to.equal('Betteraves crues - 1 kg');
    });

    it('do not reject a resource read through full JSON-LD processing', async () => {
      const result = await decoder.decode({
        '@context': [CONTEXT_1_16, { '@vocab': DFC_B.namespace }],
        '@id': 'https://coop.example/warn/products/pommes',
        '@type': 'SuppliedProduct',
        name: 'Pommes Reinette - 1 kg',
        image: { '@list': ['https://coop.example/img/pommes-1.jpg', 'https://coop.example/img/pommes-2.jpg'] },
      });
      expect(result.via).to.equal('full');
      expect(result.problems.length).to.be.greaterThan(0);
      expect(result.problems.every((p) => p.severity === 'warning')).to.equal(true);
      expect(result.rejected).to.deep.equal([]);
      const product = recordOf(result.records, 'SuppliedProduct', 'https://coop.example/warn/products/pommes');
      expect(product.images).to.have.members(['https://coop.example/img/pommes-1.jpg', 'https://coop.example/img/pommes-2.jpg']);
    });
  });

  describe('remote contexts', () => {
    let original: typeof globalThis.fetch;
    let calls: unknown[][];

    beforeEach(() => {
      original = globalThis.fetch;
      calls = [];
      globalThis.fetch = (async (...args: unknown[]) => {
        calls.push(args);
        throw new Error('network access during a decode test');
      }) as typeof globalThis.fetch;
    });

    afterEach(() => {
      globalThis.fetch = original;
    });

    const expectRefused = (result: DecodeResult, url: string): void => {
      const documentErrors = errorsOf(result).filter((p) => p.id === null);
      expect(documentErrors, JSON.stringify(result.problems)).to.have.length(1);
      expect(documentErrors[0]?.message).to.include(url);
      expect(result.records).to.deep.equal([]);
    };

    it('are never fetched on the fast path', async () => {
      const result = await decoder.decode(fixtureText('invalid/unknown-remote-context.json'));
      expectRefused(result, EVIL);
      expect(calls).to.deep.equal([]);
    });

    it('are never fetched on the full jsonld.js path', async () => {
      // The inline @vocab sends the document to jsonld.js before the unknown URL is seen.
      const result = await decoder.decode({
        '@context': [{ '@vocab': DFC_B.namespace }, EVIL],
        '@id': 'https://coop.example/remote/products/1',
        '@type': 'SuppliedProduct',
        name: 'Échalotes',
      });
      expectRefused(result, EVIL);
      expect(calls).to.deep.equal([]);
    });

    it('are never fetched when named in a nested context on the full path', async () => {
      const result = await decoder.decode({
        '@context': [CONTEXT_1_16, { '@vocab': DFC_B.namespace }],
        '@graph': [
          { '@id': 'https://coop.example/remote/products/2', '@type': 'SuppliedProduct', name: 'Ail' },
          { '@context': 'https://evil.example/nested.json', '@id': 'https://coop.example/remote/products/3', name: 'Oignons' },
        ],
      });
      expectRefused(result, 'https://evil.example/nested.json');
      expect(calls).to.deep.equal([]);
    });

    it('resolves known DFC contexts locally on the full path', async () => {
      const result = await decoder.decode({
        '@context': [CONTEXT_1_16, { '@vocab': DFC_B.namespace }],
        '@id': 'https://coop.example/remote/products/4',
        '@type': 'SuppliedProduct',
        name: 'Céleri-rave',
      });
      expect(result.via).to.equal('full');
      expect(errorsOf(result)).to.deep.equal([]);
      expect(recordOf(result.records, 'SuppliedProduct', 'https://coop.example/remote/products/4').name).to.equal('Céleri-rave');
      expect(calls).to.deep.equal([]);
    });
  });
});

describe('Decoder and a malformed entry of a derived link list', () => {
  const decoder = new Decoder();
  const base = 'https://farm.example/api/dfc/enterprises/7';

  it('drops the entry of `manages` or `supplies` that is no IRI with a warning, and keeps the enterprise', async () => {
    const text = JSON.stringify({
      '@context': 'https://www.datafoodconsortium.org',
      '@graph': [{
        '@id': base, '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Ferme Sept',
        'dfc-b:manages': [`${base}/catalog_items/1`, `${base}/catalog_items/new item`],
        'dfc-b:supplies': [`${base}/supplied_products/1`, `${base}/supplied_products/a"b`],
      }],
    });
    const result = await decoder.decode(text, { mediaType: 'application/ld+json' });
    expect(result.rejected, JSON.stringify(result.rejected)).to.deep.equal([]);
    const enterprise = result.records.find((r) => r.id === base);
    if (enterprise?.kind !== 'Enterprise') expect.fail(`no enterprise: ${JSON.stringify(result.records)}`);
    expect(enterprise.name).to.equal('Ferme Sept');
    expect(enterprise.manages).to.deep.equal([`${base}/catalog_items/1`]);
    expect(enterprise.supplies).to.deep.equal([`${base}/supplied_products/1`]);
    const warnings = result.problems.filter((p) => p.id === base && p.severity === 'warning');
    expect(warnings.map((p) => p.path).sort()).to.deep.equal(['dfc-b:manages', 'dfc-b:supplies']);
    for (const warning of warnings) expect(warning.message).to.match(/left out/u);
  });

  it('drops an entry the reader takes but the record schema refuses (a no-break space), with a warning', async () => {
    const text = JSON.stringify({
      '@context': 'https://www.datafoodconsortium.org',
      '@graph': [{ '@id': base, '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Ferme Sept', 'dfc-b:manages': [`${base}/catalog_items/1`, `${base}/catalog_items/new\u00a0item`] }],
    });
    const result = await decoder.decode(text, { mediaType: 'application/ld+json' });
    expect(result.rejected, JSON.stringify(result.rejected)).to.deep.equal([]);
    const enterprise = result.records.find((r) => r.id === base);
    if (enterprise?.kind !== 'Enterprise') expect.fail(`no enterprise: ${JSON.stringify(result.records)}`);
    expect(enterprise.manages).to.deep.equal([`${base}/catalog_items/1`]);
    const warning = result.problems.find((p) => p.id === base && p.severity === 'warning');
    expect(warning?.path).to.equal('dfc-b:manages');
    expect(warning?.message).to.match(/left out/u);
  });

  for (const [how, key, context] of [
    ['a full IRI', 'https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#manages', 'https://www.datafoodconsortium.org'],
    ['a prefix of its own', 'dfc:manages', { dfc: 'https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#' }],
  ] as const) {
    it(`drops such an entry whatever the key's spelling (${how}), with a warning`, async () => {
      const text = JSON.stringify({
        '@context': context,
        '@graph': [{
          '@id': base, '@type': 'https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#Enterprise',
          'https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#name': 'Ferme Sept',
          [key]: [{ '@id': `${base}/catalog_items/1` }, { '@id': `${base}/catalog_items/new item` }],
        }],
      });
      const result = await decoder.decode(text, { mediaType: 'application/ld+json' });
      expect(result.rejected, JSON.stringify(result.rejected)).to.deep.equal([]);
      const enterprise = result.records.find((r) => r.id === base);
      if (enterprise?.kind !== 'Enterprise') expect.fail(`no enterprise: ${JSON.stringify(result.records)}`);
      expect(enterprise.manages).to.deep.equal([`${base}/catalog_items/1`]);
    });
  }

  it('still refuses an enterprise whose own link (its address) is no IRI', async () => {
    const text = JSON.stringify({
      '@context': 'https://www.datafoodconsortium.org',
      '@graph': [{ '@id': base, '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Ferme Sept', 'dfc-b:hasAddress': `${base}/address/new place` }],
    });
    const result = await decoder.decode(text, { mediaType: 'application/ld+json' });
    expect(result.rejected.map((r) => r.id)).to.deep.equal([base]);
  });
});
