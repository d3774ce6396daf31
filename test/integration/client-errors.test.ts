/**
 * A request Node's HTTP parser refuses before any route (a URL or headers beyond its size limit, a request that is
 * not HTTP) is answered with its status as `application/problem+json`, as every other error, not a bare status line.
 */
import { expect } from 'chai';
import { connect } from 'node:net';
import { startTestNode, type TestNode } from '../helpers/node.js';

/** Sends raw bytes on a new connection and reads the answer until the node closes it. */
function raw(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.end(bytes);
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
});
