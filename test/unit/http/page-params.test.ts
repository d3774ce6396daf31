import { expect } from 'chai';
import type { Request } from 'express';
import { BadRequestHttpError } from '../../../server/errors/http-error.js';
import { MAX_PAGE, pageParams } from '../../../server/http/page-params.js';

const request = (query: Record<string, unknown>): Request => ({ query }) as unknown as Request;

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
});
