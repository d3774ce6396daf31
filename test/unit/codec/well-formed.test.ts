/**
 * A lone surrogate is no Unicode character: text read from any syntax holds U+FFFD in its place, with a warning, so
 * that every format writes the same text (JSON-LD wrote it back as `\ud800`, Turtle as U+FFFD).
 */
import { expect } from 'chai';
import { Decoder } from '../../../server/codec/decode.js';
import { serialize } from '../../../server/codec/serialize.js';

const CONTEXT = 'https://w3id.org/dfc/ontology/context/context_1.16.0.json';
const DFC_B = 'https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#';
const ID = 'https://peer.example/api/dfc/enterprises/ferme/supplied_products/p';

const jsonLd = JSON.stringify({ '@context': CONTEXT, '@id': ID, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Pro\ud800duit' });
const turtle = `<${ID}> a <${DFC_B}SuppliedProduct>; <${DFC_B}name> "Pro\\uD800duit" .`;

describe('text holding a lone surrogate', () => {
  const decoder = new Decoder();
  const nameOf = (records: readonly unknown[]): unknown => (records.find((r) => (r as { id: string }).id === ID) as { name?: unknown } | undefined)?.name;

  for (const [syntax, input, mediaType] of [
    ['JSON-LD text (escaped)', jsonLd, 'application/ld+json'],
    ['parsed JSON-LD', JSON.parse(jsonLd) as object, 'application/ld+json'],
  ] as const) {
    it(`is read from ${syntax} with U+FFFD in its place, and a warning`, async () => {
      const result = await decoder.decode(input, { mediaType });
      expect(nameOf(result.records)).to.equal('Pro\ufffdduit');
      expect(result.problems.filter((p) => p.code === 'ill-formed-text').map((p) => [p.id, p.severity])).to.deep.equal([[ID, 'warning']]);
    });
  }

  it('is refused in Turtle, as an escape no Turtle parser takes (and UTF-8 bytes cannot hold it)', async () => {
    const result = await decoder.decode(turtle, { mediaType: 'text/turtle' });
    expect(result.records).to.deep.equal([]);
    expect(result.problems.map((p) => p.code)).to.deep.equal(['invalid-rdf']);
  });

  it('is written the same by every format once read', async () => {
    const { records } = await decoder.decode(jsonLd, { mediaType: 'application/ld+json' });
    const asJsonLd = serialize(records, 'jsonld');
    expect(asJsonLd).not.to.match(/\\ud800/iu);
    const back = await Promise.all([
      decoder.decode(asJsonLd, { mediaType: 'application/ld+json' }),
      decoder.decode(serialize(records, 'turtle'), { mediaType: 'text/turtle' }),
    ]);
    expect(back.map((r) => nameOf(r.records))).to.deep.equal(['Pro\ufffdduit', 'Pro\ufffdduit']);
  });

  it('leaves a well-formed pair (an emoji, escaped or not) as it is, without a warning', async () => {
    for (const name of ['Pomme \ud83c\udf4e', 'Pomme 🍎']) {
      const text = JSON.stringify({ '@context': CONTEXT, '@id': ID, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': name }).replace('🍎', '\\ud83c\\udf4e');
      const result = await decoder.decode(text, { mediaType: 'application/ld+json' });
      expect(nameOf(result.records)).to.equal('Pomme 🍎');
      expect(result.problems.filter((p) => p.code === 'ill-formed-text')).to.deep.equal([]);
    }
  });
});
