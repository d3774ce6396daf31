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
});
