/**
 * A body taken as UTF-8 (declared so, or with no charset) whose bytes are not UTF-8 is refused with a 400, never
 * read with U+FFFD in their place and stored so; a body in another charset it declares is read in it.
 */
import { expect } from 'chai';
import type { TestResponse } from '../../helpers/node.js';
import { bearer, readResponse, startInProcess, type InProcessNode } from '../../helpers/in-process.js';
import { expectProblem } from '../../helpers/write-api.js';

describe('http: body encodings', function () {
  let node: InProcessNode;
  let token: string;
  const ITEM = '/api/dfc/enterprises/ferme/catalog_items/tomate';

  before(async () => {
    node = await startInProcess();
    await node.seed('ferme');
    token = await node.token('ferme');
  });
  after(async () => node.close());

  const put = async (contentType: string, bytes: Buffer): Promise<TestResponse> =>
    readResponse(await fetch(`${node.url}${ITEM}`, { method: 'PUT', headers: { ...bearer(token), 'content-type': contentType }, body: bytes }));
  const sku = async (): Promise<unknown> => (await node.store.getResource(`${node.base}${ITEM}`))?.record;
  const body = (...parts: (string | number[])[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

  it('bytes that are no UTF-8 are a 400 that says so, and nothing is stored', async () => {
    const before = JSON.stringify(await sku());
    for (const contentType of ['application/json', 'application/json; charset=utf-8', 'application/ld+json; charset=UTF-8', 'text/turtle']) {
      for (const bad of [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]) {
        const response = await put(contentType, body('{"dfc-b:sku": "A', bad, '"}'));
        expect(expectProblem(response, 400).detail, `${contentType} ${JSON.stringify(bad)}`).to.equal('the body is not valid UTF-8');
      }
    }
    expect(JSON.stringify(await sku())).to.equal(before);
  });

  it('a body declared US-ASCII with a byte above 0x7F is a 400 naming it, and nothing is stored; ASCII is read', async () => {
    const before = JSON.stringify(await sku());
    for (const contentType of ['application/json; charset=us-ascii', 'application/json; charset=ASCII']) {
      const response = await put(contentType, body('{"dfc-b:sku": "FTC-AIL-250é"}'));
      expect(expectProblem(response, 400).detail, contentType).to.equal('the body is not valid US-ASCII, as its Content-Type says: byte 0xc3 at offset 26 (send UTF-8)');
    }
    expect(JSON.stringify(await sku())).to.equal(before);
    const ascii = await put('application/json; charset=us-ascii', body('{"dfc-b:sku": "FTC-AIL-250"}'));
    expect(ascii.status, ascii.text).to.equal(200);
    expect(await sku()).to.have.property('sku', 'FTC-AIL-250');
  });

  it('UTF-8 is read as written, and a body in the charset it declares is read in it', async () => {
    let response = await put('application/json', body('{"dfc-b:sku": "Crème brûlée €"}'));
    expect(response.status, response.text).to.equal(200);
    expect(await sku()).to.have.property('sku', 'Crème brûlée €');
    response = await put('application/json; charset=iso-8859-1', body('{"dfc-b:sku": "Cr', [0xe8], 'me"}'));
    expect(response.status, response.text).to.equal(200);
    expect(await sku()).to.have.property('sku', 'Crème');
  });
});
