/**
 * The dates platforms send, as ISO 8601: JavaScript's spelling (`Thu Aug 22 2024 05:40:38 UTC`, Open Food
 * Network's sale sessions) becomes ISO 8601; anything else, and a JavaScript-looking date that names no real
 * moment, is kept as written (never turned into an ISO 8601 date that does not exist).
 */
import { expect } from 'chai';
import { dateMoment, isoDate } from '../../../server/codec/values.js';

describe('isoDate', () => {
  it('writes JavaScript\'s spelling as ISO 8601, with its offset', () => {
    expect(isoDate('Thu Aug 22 2024 05:40:38 UTC')).to.equal('2024-08-22T05:40:38Z');
    expect(isoDate('Mon Dec 16 2024 02:30:56 GMT+0200 (Central European Summer Time)')).to.equal('2024-12-16T02:30:56+02:00');
    expect(isoDate('Thu Feb 29 2024 23:59:59 UTC')).to.equal('2024-02-29T23:59:59Z');
    expect(isoDate('Thu, Aug 1 2024 00:00:00 GMT')).to.equal('2024-08-01T00:00:00Z');
  });

  it('keeps ISO 8601 and other text as written', () => {
    expect(isoDate('2024-08-22T07:40:38+02:00')).to.equal('2024-08-22T07:40:38+02:00');
    expect(isoDate('tomorrow')).to.equal('tomorrow');
  });

  it('keeps as written a JavaScript-looking date that names no real day, hour or offset', () => {
    for (const impossible of [
      'Fri Aug 99 2024 05:40:38 UTC', 'Thu Aug 0 2024 05:40:38 UTC', 'Thu Feb 30 2024 05:40:38 UTC', 'Wed Feb 29 2023 05:40:38 UTC',
      'Thu Apr 31 2024 05:40:38 UTC', 'Thu Aug 22 2024 24:00:00 UTC', 'Thu Aug 22 2024 05:60:38 UTC', 'Thu Aug 22 2024 05:40:61 UTC',
      'Thu Aug 22 2024 05:40:38 GMT+2500', 'Thu Aug 22 2024 05:40:38 GMT+0260',
    ]) {
      expect(isoDate(impossible), impossible).to.equal(impossible);
    }
  });
});

describe('dateMoment', () => {
  it('reads an xsd:dateTime or xsd:date as the instant it names, its offset applied', () => {
    expect(dateMoment('2026-05-01T18:00:00+02:00')).to.equal(Date.parse('2026-05-01T16:00:00Z'));
    expect(dateMoment('2026-05-01T18:00:00.250Z')).to.equal(Date.parse('2026-05-01T18:00:00.250Z'));
    expect(dateMoment('2026-05-01T18:00:00')).to.equal(Date.parse('2026-05-01T18:00:00Z'));
    expect(dateMoment('2026-05-01')).to.equal(Date.parse('2026-05-01T00:00:00Z'));
    expect(dateMoment('2026-05-01-05:00')).to.equal(Date.parse('2026-05-01T05:00:00Z'));
    expect(dateMoment('2024-02-29Z')).to.equal(Date.parse('2024-02-29T00:00:00Z'));
  });

  it('reads nothing from a number, a word, or a date that names no real moment', () => {
    for (const none of ['12345', '2026', 'not a date', '2026-13-45', '2023-02-29', '2026-05-01T24:30:00Z', '2026-05-01T18:00:00+15:00', '12345-01-01', '2026-5-1', '']) {
      expect(dateMoment(none), none).to.equal(undefined);
    }
  });
});
