/**
 * The dates platforms send, as ISO 8601: JavaScript's spelling (`Thu Aug 22 2024 05:40:38 UTC`, Open Food
 * Network's sale sessions) becomes ISO 8601; anything else, and a JavaScript-looking date that names no real
 * moment, is kept as written (never turned into an ISO 8601 date that does not exist).
 */
import { expect } from 'chai';
import { isoDate } from '../../../server/codec/values.js';

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
