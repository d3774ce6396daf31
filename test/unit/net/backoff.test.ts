import { expect } from 'chai';
import { backoffDelay } from '../../../server/net/backoff.js';

describe('backoffDelay()', () => {
  const policy = { baseMs: 1_000, maxMs: 60_000 };

  it('doubles with each failure in a row, from the base', () => {
    // With random() = 0 the delay is the lower bound of the jitter: half the delay.
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, policy, () => 0))).to.deep.equal([500, 1_000, 2_000, 4_000]);
  });

  it('counts no failure as one', () => {
    expect(backoffDelay(0, policy, () => 0)).to.equal(backoffDelay(1, policy, () => 0));
  });

  it('jitters between half the delay and the delay', () => {
    expect(backoffDelay(3, policy, () => 0)).to.equal(2_000);
    expect(backoffDelay(3, policy, () => 0.5)).to.equal(3_000);
    expect(backoffDelay(3, policy, () => 0.999_999)).to.be.at.most(4_000);
    for (let i = 0; i < 100; i++) expect(backoffDelay(3, policy)).to.be.within(2_000, 4_000);
  });

  it('never grows past the cap', () => {
    expect(backoffDelay(7, policy, () => 0.999_999)).to.be.at.most(60_000);
    expect(backoffDelay(1_000, policy, () => 0)).to.equal(30_000);
  });

  it('rounds to whole milliseconds', () => {
    expect(Number.isInteger(backoffDelay(1, { baseMs: 3, maxMs: 10 }, () => 0.3))).to.equal(true);
  });
});
