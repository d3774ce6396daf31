import { expect } from 'chai';
import { EU_COUNTRY_NS } from '../../../ontology/countries.js';
import { measureIri } from '../../../ontology/units.js';
import { DFC_M_NS } from '../../../ontology/vocabulary.js';
import { Decoder, type DecodeResult } from '../../../server/codec/decode.js';
import { serialize } from '../../../server/codec/serialize.js';
import { fixtureText, recordOf } from './fixtures.js';

const SHOP = 'https://shop.example';

describe('values as people write them (issue 12)', () => {
  let result: DecodeResult;

  before(async () => {
    result = await new Decoder().decode(fixtureText('shapes/as-people-write.json'));
  });

  it('rejects nothing; the only warning is the currency no DFC taxonomy holds', () => {
    expect(result.rejected).to.deep.equal([]);
    expect(result.problems.map((p) => [p.id, p.code, p.severity])).to.deep.equal([[`${SHOP}/offers/4`, 'unknown-unit', 'warning']]);
  });

  it('maps ISO 4217 codes (literal, any case, or dfc-m:CODE) to the measures taxonomy, keeping an unknown one', () => {
    expect(recordOf(result.records, 'Offer', `${SHOP}/offers/1`).price?.currency).to.equal(measureIri('PoundSterling'));
    expect(recordOf(result.records, 'Offer', `${SHOP}/offers/2`).price?.currency).to.equal(measureIri('PoundSterling'));
    expect(recordOf(result.records, 'Offer', `${SHOP}/offers/3`).price?.currency).to.equal(measureIri('Euro'));
    expect(recordOf(result.records, 'Offer', `${SHOP}/offers/4`).price?.currency).to.equal(`${DFC_M_NS}CHF`);
  });

  it('maps a country written as an ISO code or a name to the EU authority IRI, keeping one it does not know', () => {
    expect(recordOf(result.records, 'Address', `${SHOP}/addresses/1`).country).to.equal(`${EU_COUNTRY_NS}GBR`);
    expect(recordOf(result.records, 'Address', `${SHOP}/addresses/2`).country).to.equal(`${EU_COUNTRY_NS}FRA`);
    expect(recordOf(result.records, 'Address', `${SHOP}/addresses/3`).country).to.equal(`${EU_COUNTRY_NS}FRA`);
    expect(recordOf(result.records, 'Address', `${SHOP}/addresses/4`).country).to.equal('Atlantis');
  });

  it('reads a phone number given as a literal or as a PhoneNumber node', () => {
    expect(recordOf(result.records, 'Enterprise', `${SHOP}/enterprises/1`).phone).to.equal('+44 1234 567890');
    expect(recordOf(result.records, 'Enterprise', `${SHOP}/enterprises/2`).phone).to.equal('+33 4 75 00 00 00');
  });

  it('keeps ISO 8601 dates with their offsets and makes the JavaScript spelling ISO 8601', () => {
    const session = recordOf(result.records, 'SaleSession', `${SHOP}/sale_sessions/1`);
    expect(session.beginDate).to.equal('2024-08-22T05:40:38Z');
    expect(session.endDate).to.equal('2024-08-29T18:00:00+02:00');
    expect(recordOf(result.records, 'Order', `${SHOP}/orders/1`).date).to.equal('2024-08-23T09:15:00+02:00');
  });

  it('reads "4.95" as 4.95 (written back as 4.95) and a stock of 0 or "0" as zero stock, not absent', () => {
    const offer = recordOf(result.records, 'Offer', `${SHOP}/offers/1`);
    expect(offer.price?.value).to.equal(4.95);
    expect(offer.stock).to.equal(0);
    expect(recordOf(result.records, 'Offer', `${SHOP}/offers/2`).stock).to.equal(0);
    const written = serialize([offer], 'jsonld');
    expect(written).to.match(/"dfc-b:value": 4\.95\b/u);
    expect(written).to.match(/"dfc-b:stockLimitation": 0\b/u);
  });
});
