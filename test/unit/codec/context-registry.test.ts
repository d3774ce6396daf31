import { expect } from 'chai';
import { CANONICAL_NAMESPACES } from '../../../ontology/namespaces.js';
import { CONTEXT_1_16_URL } from '../../../ontology/contexts.js';
import { EURO } from '../../../ontology/units.js';
import { checkContextDocument, ContextRegistry, MAX_CONTEXT_BYTES, type StoredContextValue } from '../../../server/codec/context-registry.js';
import { Decoder, type DecodeResult } from '../../../server/codec/decode.js';
import { readJsonLd } from '../../../server/codec/read-jsonld.js';
import { fixtureJson, fixtureText, recordOf } from './fixtures.js';

const COMPTOIR = 'https://comptoir.example/ns/catalogue.jsonld';
const comptoir = (): StoredContextValue => fixtureJson<{ '@context': StoredContextValue }>('contexts/comptoir-catalogue.json')['@context'];

/** A schema.org-like context: JSON-LD 1.1, a default vocabulary, every term protected. */
const SCHEMA_LIKE_URL = 'https://schema.example/docs/jsonldcontext.json';
const SCHEMA_LIKE: StoredContextValue = {
  '@version': 1.1,
  '@protected': true,
  '@vocab': CANONICAL_NAMESPACES['dfc-b'],
  'dfc-m': CANONICAL_NAMESPACES['dfc-m'],
  'dfc-pt': CANONICAL_NAMESPACES['dfc-pt'],
  hasUnit: { '@type': '@id' },
  hasType: { '@type': '@id' },
};

const schemaLikeDocument = (extraContext?: object): object => ({
  '@context': extraContext === undefined ? SCHEMA_LIKE_URL : [SCHEMA_LIKE_URL, extraContext],
  '@graph': [
    {
      '@id': 'https://shop.example/p/leeks', '@type': 'SuppliedProduct', name: 'Poireaux - botte', hasType: 'dfc-pt:leek',
      referencedBy: { '@id': 'https://shop.example/i/leeks' },
    },
    {
      '@id': 'https://shop.example/i/leeks', '@type': 'CatalogItem', references: { '@id': 'https://shop.example/p/leeks' },
      stockLimitation: 12, offeredThrough: { '@id': 'https://shop.example/o/leeks' },
    },
    {
      '@id': 'https://shop.example/o/leeks', '@type': 'Offer', offeredItem: { '@id': 'https://shop.example/i/leeks' },
      hasPrice: { '@type': 'Price', value: 2.2, hasUnit: 'dfc-m:Euro' },
    },
  ],
});

function errorsOf(result: DecodeResult): string[] {
  return result.problems.filter((p) => p.severity === 'error').map((p) => `${p.code}: ${p.message}`);
}

describe('stored JSON-LD contexts (issue 12)', () => {
  describe('reading documents', () => {
    it('refuses a document naming a context that is neither DFC nor stored, saying how to store it', async () => {
      const result = await new Decoder().decode(fixtureText('shapes/other-context.json'));
      expect(result.records).to.deep.equal([]);
      expect(result.problems.map((p) => p.code)).to.deep.equal(['unknown-context']);
      expect(result.problems[0]?.message).to.include(`"${COMPTOIR}" is not a known DFC context nor a stored one`);
      expect(result.problems[0]?.message).to.include(`maillon context add ${COMPTOIR}`);
    });

    it('refuses a relative or file: context without suggesting to store it: nothing was fetched, and none can be stored', async () => {
      for (const context of ['ctx.json', 'file:///etc/passwd']) {
        const result = await new Decoder().decode(JSON.stringify({ '@context': context, '@id': 'https://shop.example/x', name: 'x' }), { base: 'https://shop.example/catalog' });
        expect(result.problems.map((p) => p.code)).to.deep.equal(['unknown-context']);
        const message = result.problems[0]?.message ?? '';
        expect(message).not.to.include('maillon context add');
        expect(message).to.include('nothing was fetched').and.to.include('a DFC context URL');
      }
    });

    it('reads a document using a stored simple context on the fast path, with its names, prices and stock', async () => {
      const decoder = new Decoder({ contexts: new ContextRegistry([[COMPTOIR, comptoir()]]) });
      const result = await decoder.decode(fixtureText('shapes/other-context.json'));
      expect(result.problems, JSON.stringify(result.problems)).to.deep.equal([]);
      expect(result.via).to.equal('fast');
      expect(recordOf(result.records, 'Enterprise', 'https://comptoir.example/entreprises/ferme-des-combes').name).to.equal('Ferme des Combes');
      const squash = recordOf(result.records, 'SuppliedProduct', 'https://comptoir.example/produits/potimarron');
      expect(squash.name).to.equal('Potimarron - pièce');
      expect(squash.productType).to.equal(`${CANONICAL_NAMESPACES['dfc-pt']}pumpkin`);
      const item = recordOf(result.records, 'CatalogItem', 'https://comptoir.example/articles/potimarron');
      expect(item).to.include({ sku: 'POTI-1', stock: 15, product: 'https://comptoir.example/produits/potimarron' });
      expect(recordOf(result.records, 'Offer', 'https://comptoir.example/offres/potimarron').price).to.deep.equal({ value: 3.2, currency: EURO });
      expect(recordOf(result.records, 'CatalogItem', 'https://comptoir.example/articles/kale').stock).to.equal(0);
      expect(recordOf(result.records, 'Offer', 'https://comptoir.example/offres/kale').price).to.deep.equal({ value: 2.4, currency: EURO });
    });

    it('reads the same records through jsonld.js as on the fast path (the fast path is no second interpretation)', async () => {
      const contexts = new ContextRegistry([[COMPTOIR, comptoir()]]);
      const document = fixtureJson<Record<string, unknown>>('shapes/other-context.json');
      const fast = await readJsonLd(document, { contexts });
      // `@version` in an extra inline context sends the whole document to jsonld.js, the stored context with it.
      const full = await readJsonLd({ ...document, '@context': [COMPTOIR, { '@version': 1.1 }] }, { contexts });
      expect(fast.path).to.equal('fast');
      expect(full.path).to.equal('full');
      expect(full.problems).to.deep.equal([]);
      expect(full.graph.valueCount).to.equal(fast.graph.valueCount).and.to.be.greaterThan(20);
      expect([...full.graph.nodes.keys()].sort()).to.deep.equal([...fast.graph.nodes.keys()].sort());
    });

    it('reads a schema.org-like context (@vocab, protected terms) through jsonld.js', async () => {
      const decoder = new Decoder({ contexts: new ContextRegistry([[SCHEMA_LIKE_URL, SCHEMA_LIKE]]) });
      const result = await decoder.decode(schemaLikeDocument());
      expect(errorsOf(result)).to.deep.equal([]);
      expect(result.via).to.equal('full');
      expect(recordOf(result.records, 'SuppliedProduct', 'https://shop.example/p/leeks').name).to.equal('Poireaux - botte');
      expect(recordOf(result.records, 'CatalogItem', 'https://shop.example/i/leeks').stock).to.equal(12);
      expect(recordOf(result.records, 'Offer', 'https://shop.example/o/leeks').price).to.deep.equal({ value: 2.2, currency: EURO });
    });

    it('keeps the stored context\'s protected terms protected: a document redefining one is refused', async () => {
      const decoder = new Decoder({ contexts: new ContextRegistry([[SCHEMA_LIKE_URL, SCHEMA_LIKE]]) });
      const result = await decoder.decode(schemaLikeDocument({ hasType: 'https://evil.example/type' }));
      expect(result.records).to.deep.equal([]);
      expect(errorsOf(result).join('\n')).to.match(/^invalid-jsonld: .*tried to redefine a protected term/u);
    });

    it('refuses a stored context naming a context that is not stored, naming both (fast path)', async () => {
      const missing = 'https://comptoir.example/ns/base.jsonld';
      const decoder = new Decoder({ contexts: new ContextRegistry([[COMPTOIR, [missing, { nom: 'http://schema.org/name' }]]]) });
      const result = await decoder.decode(fixtureText('shapes/other-context.json'));
      expect(result.records).to.deep.equal([]);
      expect(result.problems.map((p) => p.code)).to.deep.equal(['unknown-context']);
      expect(result.problems[0]?.message).to.equal(
        `the stored JSON-LD context "${COMPTOIR}" names the context "${missing}", which is not a known DFC context nor a stored one; ` +
          `store it too ('maillon context add ${missing}')`,
      );
    });

    it('refuses a stored context importing a context that is not stored, naming both (jsonld.js path)', async () => {
      const missing = 'https://schema.example/docs/base.jsonld';
      const decoder = new Decoder({ contexts: new ContextRegistry([[SCHEMA_LIKE_URL, { '@import': missing, name: 'http://schema.org/name' }]]) });
      const result = await decoder.decode(schemaLikeDocument());
      expect(result.records).to.deep.equal([]);
      expect(result.problems.map((p) => p.code)).to.deep.equal(['unknown-context']);
      expect(result.problems[0]?.message).to.include(`"${SCHEMA_LIKE_URL}" names the context "${missing}"`);
    });

    it('names the remote context a term\'s scoped context names, not "invalid scoped context" (jsonld.js drops the cause)', async () => {
      const remote = 'https://contexts.example/scoped.jsonld';
      const result = await new Decoder().decode(JSON.stringify({
        '@context': ['https://w3id.org/dfc/ontology/context/context_1.16.0.json', { '@vocab': 'http://x.example/', foo: { '@id': 'http://x.example/foo', '@context': remote } }],
        '@id': 'https://farm.example/p/1', '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'F', foo: { bar: 1 },
      }), { mediaType: 'application/ld+json' });
      expect(result.records).to.deep.equal([]);
      expect(result.problems.map((p) => p.code)).to.deep.equal(['unknown-context']);
      expect(result.problems[0]?.message).to.include(`remote JSON-LD context "${remote}" is not a known DFC context nor a stored one`);
    });

    it('resolves a relative URL in a stored context against the stored context\'s URL', async () => {
      const contexts = new ContextRegistry([
        [COMPTOIR, ['./termes.jsonld']],
        ['https://comptoir.example/ns/termes.jsonld', comptoir()],
      ]);
      const result = await new Decoder({ contexts }).decode(fixtureText('shapes/other-context.json'));
      expect(errorsOf(result)).to.deep.equal([]);
      expect(result.via).to.equal('fast');
      expect(result.records).to.have.length(7);
    });

    it('refuses a cycle of stored contexts with a clear problem, without hanging', async () => {
      const other = 'https://comptoir.example/ns/autre.jsonld';
      const contexts = new ContextRegistry([[COMPTOIR, [other]], [other, [COMPTOIR]]]);
      const result = await new Decoder({ contexts }).decode(fixtureText('shapes/other-context.json'));
      expect(result.records).to.deep.equal([]);
      expect(errorsOf(result).join('\n')).to.match(/^invalid-jsonld: .*cyclical @context URLs/iu);
    });

    it('never lets a stored context replace a DFC context', async () => {
      const contexts = new ContextRegistry([[CONTEXT_1_16_URL, { 'dfc-b': 'https://evil.example/' }]]);
      expect(contexts.urls()).to.deep.equal([]);
      const result = await new Decoder({ contexts }).decode({ '@context': CONTEXT_1_16_URL, '@id': 'https://a.example/p', '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'P' });
      expect(result.records[0]?.kind).to.equal('SuppliedProduct');
    });

    it('matches a stored URL whatever its fragment or the case of its host', () => {
      const contexts = new ContextRegistry([[COMPTOIR, comptoir()]]);
      expect(contexts.resolve('https://COMPTOIR.example/ns/catalogue.jsonld#')?.kind).to.equal('stored');
      expect(contexts.resolve('http://comptoir.example/ns/catalogue.jsonld')).to.equal(undefined);
      expect(contexts.resolve(CONTEXT_1_16_URL)?.kind).to.equal('known');
    });
  });

  describe('checkContextDocument (before a context is stored)', () => {
    const text = fixtureText('contexts/comptoir-catalogue.json');

    it('accepts a context jsonld.js can process, normalising its URL', async () => {
      const checked = await checkContextDocument('https://Comptoir.example/ns/catalogue.jsonld#x', text, ContextRegistry.NONE);
      expect(checked).to.deep.equal({ ok: true, url: COMPTOIR, context: comptoir() });
    });

    const refusals: [string, string, string, RegExp][] = [
      ['a DFC context URL', CONTEXT_1_16_URL, text, /is a DFC context the node already knows; it cannot be replaced/u],
      ['a URL that is not http(s)', 'file:///etc/passwd', text, /is not an absolute http\(s\) URL/u],
      ['a relative URL', 'catalogue.jsonld', text, /is not an absolute http\(s\) URL/u],
      ['text that is not JSON', COMPTOIR, '<html>not found</html>', /^not JSON \(/u],
      ['JSON without @context', COMPTOIR, '{"nom": "dfc-b:name"}', /expected a JSON object with an "@context" object or array/u],
      ['an @context that is a string', COMPTOIR, `{"@context": "${CONTEXT_1_16_URL}"}`, /expected a JSON object with an "@context" object or array/u],
      ['a context jsonld.js refuses', COMPTOIR, '{"@context": {"@version": 2}}', /^jsonld\.js cannot process it: .*@version/u],
      ['an invalid term definition', COMPTOIR, '{"@context": {"nom": {"@id": 12}}}', /^jsonld\.js cannot process it: /u],
      ['a context naming one that is not stored', COMPTOIR, '{"@context": ["https://other.example/c.jsonld", {}]}',
        /^it names the context https:\/\/other\.example\/c\.jsonld, which is not a known DFC context nor a stored one: add that one first/u],
      ['a scoped context naming one that is not stored', COMPTOIR, '{"@context": {"offre": {"@id": "http://x.example/o", "@context": "scoped.jsonld"}}}',
        /names the context https:\/\/comptoir\.example\/ns\/scoped\.jsonld/u],
      ['a context naming itself', COMPTOIR, `{"@context": ["${COMPTOIR}"]}`, /the context names itself/u],
      ['a context over the size limit', COMPTOIR, JSON.stringify({ '@context': { nom: 'x'.repeat(MAX_CONTEXT_BYTES) } }), /more than the 1048576 allowed/u],
    ];
    for (const [what, url, body, reason] of refusals) {
      it(`refuses ${what}`, async () => {
        const checked = await checkContextDocument(url, body, ContextRegistry.NONE);
        expect(checked.ok).to.equal(false);
        if (!checked.ok) expect(checked.reason).to.match(reason);
      });
    }

    it('accepts a context naming a DFC context or a stored one', async () => {
      const stored = new ContextRegistry([['https://other.example/c.jsonld', { x: 'http://x.example/' }]]);
      const checked = await checkContextDocument(COMPTOIR, `{"@context": ["https://other.example/c.jsonld", "${CONTEXT_1_16_URL}", {"nom": "dfc-b:name"}]}`, stored);
      expect(checked.ok, JSON.stringify(checked)).to.equal(true);
    });
  });
});
