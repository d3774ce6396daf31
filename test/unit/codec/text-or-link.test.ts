/**
 * Text where the context expects a link (`hasUnit`, `hasCountry`, `hasPhoneNumber`) in a document read against a
 * base URL (a POST): text is text, a relative reference still links (issue 12).
 */
import { expect } from 'chai';
import { CONTEXT_1_16_URL } from '../../../ontology/contexts.js';
import { EU_COUNTRY_NS } from '../../../ontology/countries.js';
import { measureIri } from '../../../ontology/units.js';
import { Decoder } from '../../../server/codec/decode.js';
import { recordOf } from './fixtures.js';

const POSTED_TO = 'https://node.example/api/dfc/enterprises/ferme/supplied_products';

describe('text or link, in a document read against the URL it was posted to', () => {
  const decoder = new Decoder();

  it('reads "EUR", "gbp", "GB" and "+33 …" as text, not as IRIs relative to the URL posted to', async () => {
    const result = await decoder.decode(JSON.stringify({
      '@context': CONTEXT_1_16_URL,
      '@graph': [
        { '@id': 'https://shop.example/offers/1', '@type': 'dfc-b:Offer', 'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 2, 'dfc-b:hasUnit': 'EUR' } },
        { '@id': 'https://shop.example/offers/2', '@type': 'dfc-b:Offer', 'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 3, 'dfc-b:hasUnit': 'gbp' } },
        { '@id': 'https://shop.example/addresses/1', '@type': 'dfc-b:Address', 'dfc-b:hasCity': 'Totnes', 'dfc-b:hasCountry': 'GB' },
        { '@id': 'https://shop.example/enterprises/1', '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Ferme', 'dfc-b:hasPhoneNumber': '+33 4 75 00 00 00' },
      ],
    }), { base: POSTED_TO });
    expect(recordOf(result.records, 'Offer', 'https://shop.example/offers/1').price?.currency).to.equal(measureIri('Euro'));
    expect(recordOf(result.records, 'Offer', 'https://shop.example/offers/2').price?.currency).to.equal(measureIri('PoundSterling'));
    expect(recordOf(result.records, 'Address', 'https://shop.example/addresses/1').country).to.equal(`${EU_COUNTRY_NS}GBR`);
    expect(recordOf(result.records, 'Enterprise', 'https://shop.example/enterprises/1').phone).to.equal('+33 4 75 00 00 00');
  });

  it('still follows a relative reference ("#phone") to the node it names', async () => {
    const result = await decoder.decode(JSON.stringify({
      '@context': CONTEXT_1_16_URL,
      '@graph': [
        { '@id': 'https://shop.example/enterprises/1', '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Ferme', 'dfc-b:hasPhoneNumber': '#phone' },
        { '@id': '#phone', '@type': 'dfc-b:PhoneNumber', 'dfc-b:phoneNumber': '+33 5 55 00 00 00' },
      ],
    }), { base: POSTED_TO });
    expect(recordOf(result.records, 'Enterprise', 'https://shop.example/enterprises/1').phone).to.equal('+33 5 55 00 00 00');
  });

  describe('on the full JSON-LD path (a context the one-pass reader does not take)', () => {
    /** Our context plus an `@vocab`: jsonld.js expands the document. */
    const CONTEXT = [CONTEXT_1_16_URL, { '@vocab': 'https://shop.example/terms#' }];

    it('reads text as text, with a base or without', async () => {
      const document = JSON.stringify({
        '@context': CONTEXT,
        '@graph': [
          { '@id': 'https://shop.example/offers/1', '@type': 'dfc-b:Offer', 'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 2, 'dfc-b:hasUnit': 'EUR' } },
          { '@id': 'https://shop.example/addresses/1', '@type': 'dfc-b:Address', 'dfc-b:hasCity': 'Die', 'dfc-b:hasCountry': 'France' },
        ],
      });
      for (const options of [{}, { base: POSTED_TO }]) {
        const result = await decoder.decode(document, options);
        expect(result.via, JSON.stringify(options)).to.equal('full');
        expect(result.rejected, JSON.stringify(options)).to.deep.equal([]);
        expect(recordOf(result.records, 'Offer', 'https://shop.example/offers/1').price?.currency).to.equal(measureIri('Euro'));
        expect(recordOf(result.records, 'Address', 'https://shop.example/addresses/1').country).to.equal(`${EU_COUNTRY_NS}FRA`);
      }
    });

    it('resolves "#" ids and relative references against the base', async () => {
      const result = await decoder.decode(JSON.stringify({
        '@context': CONTEXT,
        '@graph': [
          { '@id': '#', '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Jus', 'dfc-b:referencedBy': '#item' },
          { '@id': '#item', '@type': 'dfc-b:CatalogItem', 'dfc-b:references': '#', 'dfc-b:stockLimitation': 3 },
          { '@id': 'https://shop.example/enterprises/1', '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Ferme', 'dfc-b:hasPhoneNumber': '#phone' },
          { '@id': '#phone', '@type': 'dfc-b:PhoneNumber', 'dfc-b:phoneNumber': '+33 5 55 00 00 00' },
        ],
      }), { base: POSTED_TO });
      expect(result.via).to.equal('full');
      expect(result.rejected).to.deep.equal([]);
      expect(recordOf(result.records, 'CatalogItem', `${POSTED_TO}#item`).product).to.equal(`${POSTED_TO}#`);
      expect(recordOf(result.records, 'SuppliedProduct', `${POSTED_TO}#`).catalogItems).to.deep.equal([`${POSTED_TO}#item`]);
      expect(recordOf(result.records, 'Enterprise', 'https://shop.example/enterprises/1').phone).to.equal('+33 5 55 00 00 00');
    });
  });

  it('resolves ../ references against the page on the full JSON-LD path as on the fast one (dot segments kept)', async () => {
    const page = 'https://peer.example/api/dfc/enterprises/e/catalog_items?page=2';
    const document = (context: unknown): string => JSON.stringify({
      '@context': context,
      '@graph': [{ '@id': '../offers/1', '@type': 'dfc-b:Offer', 'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 2, 'dfc-b:hasUnit': 'dfc-m:Euro' } }],
    });
    const fast = await decoder.decode(document(CONTEXT_1_16_URL), { base: page });
    // A second, inline context with @vocab is not simple: it sends the document through jsonld.js.
    const full = await decoder.decode(document([CONTEXT_1_16_URL, { '@vocab': 'https://platform.example/terms#' }]), { base: page });
    for (const result of [fast, full]) {
      expect(result.records.filter((r) => r.kind === 'Offer').map((r) => r.id)).to.deep.equal(['https://peer.example/api/dfc/enterprises/offers/1']);
    }
  });
});
