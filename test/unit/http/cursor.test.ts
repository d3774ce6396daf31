import { expect } from 'chai';
import type { Request } from 'express';
import { BadRequestHttpError } from '../../../server/errors/http-error.js';
import { MAX_KEY_TEXT } from '../../../server/store/federation.js';
import { MAX_CURSOR_LENGTH, catalogueCursor, catalogueCursorOf, decodeCursor, encodeCursor, orderCursor, orderCursorOf } from '../../../server/http/cursor.js';

const request = (query: Record<string, unknown>): Request => ({ query, headers: {} }) as unknown as Request;
const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

describe('http: paging cursors (after=)', () => {
  it('gives back the place it was written for: a key of the catalogue (a name, or none), a text walk\'s place, an order', () => {
    for (const place of [{ key: { name: 'pommes reinette', item: 'https://a.example/catalog_items/1?x=é&y=<>' } }, { key: { name: null, item: 'urn:x' } },
      { walk: 'AbCdEfGhIjKlMnOpQrSt_-', offset: 500 }] as const) {
      const after = catalogueCursor(place, 3);
      expect(after).to.match(/^[A-Za-z0-9_-]+$/u);
      expect(catalogueCursorOf(request({ after }))).to.deep.equal({ place, page: 3 });
    }
    expect(orderCursorOf(request({ after: orderCursor(41, 2) }))).to.deep.equal({ before: 41, page: 2 });
    expect(decodeCursor(request({ after: encodeCursor(['n', 2, 'a', 'b']) }))).to.deep.equal(['n', 2, 'a', 'b']);
    expect(catalogueCursorOf(request({}))).to.equal(undefined);
    expect(orderCursorOf(request({}))).to.equal(undefined);
  });

  it('refuses with a 400 saying why what it did not write: not base64url, not its JSON, another list\'s, tampered, beside page', () => {
    const refused = (query: Record<string, unknown>, read: (req: Request) => unknown, why: RegExp): void => {
      expect(() => read(request(query)), JSON.stringify(query)).to.throw(BadRequestHttpError, why);
    };
    const catalogue = (req: Request): unknown => catalogueCursorOf(req);
    const orders = (req: Request): unknown => orderCursorOf(req);
    refused({ after: '' }, catalogue, /empty/u);
    refused({ after: 'a'.repeat(9000) }, catalogue, /longer than/u);
    refused({ after: 'abc=' }, catalogue, /not base64url/u);
    refused({ after: 'ab+/' }, catalogue, /not base64url/u);
    // A character too many: its bits are not written back the same.
    refused({ after: `${catalogueCursor({ key: { name: 'a', item: 'b' } }, 2)}B` }, catalogue, /not base64url|not what this node writes/u);
    refused({ after: b64('not json') }, catalogue, /not what this node writes/u);
    refused({ after: Buffer.from([0xff, 0xfe, 0x5b]).toString('base64url') }, catalogue, /not what this node writes/u);
    refused({ after: b64('{"n":1}') }, catalogue, /not what this node writes/u);
    refused({ after: b64('["n",1,"a","b"]') }, catalogue, /not what this node writes/u);
    refused({ after: b64('["n",2.5,"a","b"]') }, catalogue, /not what this node writes/u);
    refused({ after: b64('["n",2,{"a":1},"b"]') }, catalogue, /not what this node writes/u);
    refused({ after: b64('["n",2,null,""]') }, catalogue, /federated catalogue/u);
    refused({ after: b64('["n",2,"a"]') }, catalogue, /federated catalogue/u);
    refused({ after: b64('["q",2,"abc",10]') }, catalogue, /federated catalogue/u);
    refused({ after: b64('["q",2,"7",-1]') }, catalogue, /federated catalogue/u);
    refused({ after: orderCursor(5, 2) }, catalogue, /federated catalogue/u);
    refused({ after: catalogueCursor({ key: { name: 'a', item: 'b' } }, 2) }, orders, /order list/u);
    refused({ after: b64('["o",2,0]') }, orders, /order list/u);
    refused({ after: b64('["o",2,"5"]') }, orders, /order list/u);
    refused({ after: [orderCursor(5, 2), orderCursor(5, 2)] }, orders, /more than once/u);
    refused({ after: orderCursor(5, 2), page: '2' }, orders, /page or after, not both/u);
  });

  it('takes back every cursor it writes: keys of the longest texts carried, whatever their characters, with a skip', () => {
    // Control characters take six bytes of JSON each; an emoji two code units of four bytes.
    for (const unit of ['\u0001', 'é', '😀', '"', 'x']) {
      const text = unit.repeat(Math.floor(MAX_KEY_TEXT / unit.length));
      const place = { key: { name: text, item: text, skip: 10_000 } };
      const after = catalogueCursor(place, 1_000_000_000);
      expect(after.length).to.be.at.most(MAX_CURSOR_LENGTH);
      expect(catalogueCursorOf(request({ after }))).to.deep.equal({ place, page: 1_000_000_000 });
    }
    // Longer is no key this node writes.
    expect(() => catalogueCursorOf(request({ after: encodeCursor(['n', 2, 'a', 'x'.repeat(MAX_KEY_TEXT + 1)]) }))).to.throw(BadRequestHttpError, /not what this node writes/u);
    expect(() => catalogueCursorOf(request({ after: encodeCursor(['n', 2, 'a', 'b', 0]) }))).to.throw(BadRequestHttpError, /federated catalogue/u);
    // A skip is a few rows sharing a cut key: a cursor saying millions (unsigned, made by hand) would have one page read them.
    expect(() => catalogueCursorOf(request({ after: encodeCursor(['n', 2, 'a', 'b', 10_001]) }))).to.throw(BadRequestHttpError, /federated catalogue/u);
    expect(() => catalogueCursorOf(request({ after: encodeCursor(['n', 2, 'a', 'b', Number.MAX_SAFE_INTEGER]) }))).to.throw(BadRequestHttpError, /federated catalogue/u);
  });
});
