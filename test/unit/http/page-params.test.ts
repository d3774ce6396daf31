import { expect } from 'chai';
import type { Request } from 'express';
import { BadRequestHttpError } from '../../../server/errors/http-error.js';
import { cataloguePageParams, MAX_PAGE, pageParams, preferredMembers } from '../../../server/http/page-params.js';

const request = (query: Record<string, unknown>, headers: Record<string, string | string[]> = {}): Request => ({ query, headers }) as unknown as Request;

describe('http: page parameters', () => {
  it('takes decimal integers, and the defaults when absent', () => {
    expect(pageParams(request({}), 50, 200)).to.deep.equal({ page: 1, size: 50 });
    expect(pageParams(request({ page: '3', page_size: '200' }), 50, 200)).to.deep.equal({ page: 3, size: 200 });
    expect(pageParams(request({ page: String(MAX_PAGE) }), 50, 200).page).to.equal(MAX_PAGE);
  });

  it('refuses with a 400 what Number() would have taken: exponents, hex, fractions, blanks, arrays, huge pages', () => {
    for (const page of ['1e18', '1e3', '0x10', '1.0', ' 2', '', '0', '-1', String(MAX_PAGE + 1), '99999999999999999999', ['1'], { a: '1' }]) {
      expect(() => pageParams(request({ page }), 50, 200), JSON.stringify(page)).to.throw(BadRequestHttpError, /^page must be an integer from 1 to/u);
    }
    for (const size of ['0', '201', '1e2', '2.5', ['10']]) {
      expect(() => pageParams(request({ page_size: size }), 50, 200), JSON.stringify(size)).to.throw(BadRequestHttpError, /^page_size must be an integer from 1 to 200/u);
    }
  });

  it('reads LDP Paging\'s max-member-count from Prefer, quoted or not, among other preferences', () => {
    const prefer = (value: string | string[]) => preferredMembers(request({}, { prefer: value }));
    expect(prefer('return=representation; max-member-count="500"')).to.equal(500);
    expect(prefer('respond-async, return=representation;max-member-count=20')).to.equal(20);
    expect(prefer(['wait=5', 'return=representation; MAX-MEMBER-COUNT="7"'])).to.equal(7);
    for (const none of ['return=representation', 'max-member-count="0"', 'max-member-count="1.5"', 'max-member-count=abc', 'x-max-member-count=5', 'max-member-count="5"x']) {
      expect(prefer(none), none).to.equal(undefined);
    }
    expect(preferredMembers(request({}))).to.equal(undefined);
  });

  it('gives a catalogue whole unless pages are asked for, by parameter or by preference', () => {
    expect(cataloguePageParams(request({}), 50, 200)).to.deep.equal({ page: 1, size: 200 });
    expect(cataloguePageParams(request({ page: '2' }), 50, 200)).to.deep.equal({ page: 2, size: 50 });
    expect(cataloguePageParams(request({ page_size: '10' }), 50, 200)).to.deep.equal({ page: 1, size: 10 });
    expect(cataloguePageParams(request({}, { prefer: 'max-member-count=20' }), 50, 200)).to.deep.equal({ page: 1, size: 20 });
    expect(cataloguePageParams(request({}, { prefer: 'max-member-count=5000' }), 50, 200)).to.deep.equal({ page: 1, size: 50 });
    expect(() => cataloguePageParams(request({ page: '0' }), 50, 200)).to.throw(BadRequestHttpError);
  });
});
