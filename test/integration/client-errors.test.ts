/**
 * A request Node's HTTP parser refuses before any route (a URL or headers beyond its size limit, a request that is
 * not HTTP) is answered with its status as `application/problem+json`, as every other error, not a bare status line.
 */
import { expect } from 'chai';
import { connect } from 'node:net';
import { startTestNode, type TestNode } from '../helpers/node.js';

/**
 * Sends raw bytes on a new connection and reads the answer until the node closes it. With `halfClose` false our side
 * stays open (a request with a body is answered once read, and a half-closed connection is not waited on: the
 * request then says `Connection: close`).
 */
function raw(url: string, bytes: string, halfClose = true): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    if (halfClose) socket.end(bytes);
    else socket.write(bytes);
  });
}

/** The status, content type and JSON body of a raw HTTP answer. */
function parsed(answer: string): { status: number; contentType: string | undefined; body: Record<string, unknown> } {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  const [statusLine = '', ...headers] = head.split('\r\n');
  const contentType = headers.find((h) => h.toLowerCase().startsWith('content-type:'))?.slice('content-type:'.length).trim();
  return { status: Number(statusLine.split(' ')[1]), contentType, body: JSON.parse(body) as Record<string, unknown> };
}

describe('http: requests the parser refuses', function () {
  this.timeout(30_000);
  let node: TestNode;

  before(async () => {
    node = await startTestNode();
    await node.seed('ferme-des-trois-chenes');
  });
  after(async () => node.close());

  it('a 70 kB URL is a 431 problem+json, and the node goes on answering', async () => {
    const answer = parsed(await raw(node.url, `GET /api/dfc/enterprises?x=${'a'.repeat(70_000)} HTTP/1.1\r\nHost: node.test\r\n\r\n`));
    expect(answer.status).to.equal(431);
    expect(answer.contentType).to.equal('application/problem+json');
    expect(answer.body).to.deep.include({ status: 431, title: 'Request Header Fields Too Large' });
    expect((await fetch(`${node.url}/api/dfc/enterprises`)).status).to.equal(200);
  });

  it('a request that is not HTTP is a 400 problem+json', async () => {
    const answer = parsed(await raw(node.url, 'HELLO THERE\r\n\r\n'));
    expect(answer.status).to.equal(400);
    expect(answer.contentType).to.equal('application/problem+json');
    expect(answer.body).to.deep.include({ status: 400 });
  });

  describe('a body framed otherwise than a proxy in front of the node would read it (request smuggling)', () => {
    const ITEM = '/api/dfc/enterprises/ferme-des-trois-chenes/catalog_items/tomates-anciennes-1kg';
    const stock = async (): Promise<unknown> => {
      const document = (await (await fetch(`${node.url}${ITEM}`, { headers: { accept: 'application/ld+json' } })).json()) as Record<string, unknown> & { '@graph'?: Record<string, unknown>[] };
      return (document['@graph'] ?? [document]).find((n) => String(n['@id']).endsWith(ITEM))?.['dfc-b:stockLimitation'];
    };
    const put = (headers: string, body: string): Promise<string> => raw(node.url,
      `PUT ${ITEM} HTTP/1.1\r\nHost: node.test\r\nAuthorization: Bearer ${node.adminToken}\r\nConnection: close\r\n${headers}\r\n${body}`, false);
    const chunked = (text: string): string => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n0\r\n\r\n`;

    it('a transfer coding other than chunked is a 501 (RFC 9112 §6.1), and the body is not applied', async () => {
      const before = await stock();
      for (const coding of ['gzip, chunked', 'deflate,chunked', 'x-custom, chunked']) {
        const answer = parsed(await put(`Content-Type: application/json\r\nTransfer-Encoding: ${coding}\r\n`, chunked('{"dfc-b:stockLimitation": 3}')));
        expect(answer.status, coding).to.equal(501);
        expect(answer.contentType).to.match(/^application\/problem\+json/u);
        expect(String(answer.body['detail'])).to.contain('only chunked');
      }
      expect(await stock()).to.equal(before);
      const plain = parsed(await put('Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n', chunked('{"dfc-b:stockLimitation": 3}')));
      expect(plain.status, JSON.stringify(plain.body)).to.equal(200);
      expect(await stock()).to.equal(3);
    });

    it('two Content-Type headers are a 400, not the first one\'s reading', async () => {
      const body = '{"dfc-b:stockLimitation": 4}';
      const answer = parsed(await put(`Content-Type: application/json\r\nContent-Type: text/turtle\r\nContent-Length: ${body.length}\r\n`, body));
      expect(answer.status).to.equal(400);
      expect(String(answer.body['detail'])).to.contain('2 Content-Type headers');
      expect(await stock()).to.not.equal(4);
    });
  });
});
