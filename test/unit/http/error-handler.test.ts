/**
 * The one error funnel, the 404 fallback and discovery, in-process: every HttpError becomes
 * `application/problem+json` with its status, title, detail (and headers, and the codec's problems); an
 * unexpected error becomes a 500 that shows nothing of it, and is logged.
 */
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { Parser } from 'n3';
import { pino } from 'pino';
import {
  BadRequestHttpError, ConflictHttpError, ForbiddenHttpError, HttpError, InternalServerError, MethodNotAllowedHttpError, NotAcceptableHttpError,
  NotFoundHttpError, PayloadTooLargeHttpError, PreconditionFailedHttpError, UnauthorizedHttpError, UnprocessableEntityHttpError,
  UnsupportedMediaTypeHttpError,
} from '../../../server/errors/http-error.js';
import { problem } from '../../../server/errors/problem.js';
import { bearer, startInProcess, type InProcessNode } from '../../helpers/in-process.js';
import { expectProblem } from '../../helpers/write-api.js';
import { jsonld, offline } from '../../helpers/jsonld.js';

const CLASSES: readonly [new (message?: string, options?: ConstructorParameters<typeof BadRequestHttpError>[1]) => HttpError, number, string][] = [
  [BadRequestHttpError, 400, 'Bad Request'],
  [UnauthorizedHttpError, 401, 'Unauthorized'],
  [ForbiddenHttpError, 403, 'Forbidden'],
  [NotFoundHttpError, 404, 'Not Found'],
  [MethodNotAllowedHttpError, 405, 'Method Not Allowed'],
  [NotAcceptableHttpError, 406, 'Not Acceptable'],
  [ConflictHttpError, 409, 'Conflict'],
  [PreconditionFailedHttpError, 412, 'Precondition Failed'],
  [PayloadTooLargeHttpError, 413, 'Content Too Large'],
  [UnsupportedMediaTypeHttpError, 415, 'Unsupported Media Type'],
  [UnprocessableEntityHttpError, 422, 'Unprocessable Content'],
  [InternalServerError, 500, 'Internal Server Error'],
];

describe('http: the error funnel', function () {
  let node: InProcessNode;
  /** What the next GET /api/federation/stats throws. */
  let thrown: unknown;
  const logged: Record<string, unknown>[] = [];

  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') logged.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    node = await startInProcess({
      logger: pino({ level: 'error' }, sink),
      deps: (deps) => ({
        ...deps,
        federation: new Proxy(deps.federation, {
          get: (target, property, receiver) => (property === 'stats'
            ? () => Promise.reject(thrown)
            : Reflect.get(target, property, receiver) as unknown),
        }),
      }),
    });
  });
  after(async () => node.close());
  beforeEach(() => {
    logged.length = 0;
  });

  for (const [ErrorClass, status, title] of CLASSES) {
    it(`${ErrorClass.name} → ${status} ${title}, with its detail`, async () => {
      thrown = new ErrorClass(`detail of the ${status}`);
      const response = await node.request('GET', '/api/federation/stats?x=1');
      const body = expectProblem(response, status);
      expect(body).to.deep.include({ type: 'about:blank', title, status, detail: `detail of the ${status}`, instance: '/api/federation/stats?x=1' });
      expect(body).to.not.have.property('problems');
      expect(logged.length > 0, 'logged only when 5xx').to.equal(status >= 500);
    });
  }

  it('an error without a message says its title', async () => {
    thrown = new ConflictHttpError();
    expect(expectProblem(await node.request('GET', '/api/federation/stats'), 409).detail).to.equal('Conflict');
  });

  it('sends the headers an error carries, and the codec problems it has', async () => {
    thrown = new MethodNotAllowedHttpError('no', { headers: { Allow: 'GET' }, problems: [problem('missing-property', '_:x', 'dfc-b:Offer', 'dfc-b:hasPrice', 'price missing')] });
    const response = await node.request('GET', '/api/federation/stats');
    const body = expectProblem(response, 405);
    expect(response.headers.get('allow')).to.equal('GET');
    expect(body.problems).to.deep.equal([{ code: 'missing-property', id: '_:x', type: 'dfc-b:Offer', path: 'dfc-b:hasPrice', message: 'price missing', severity: 'error' }]);
  });

  it('an unexpected error is a 500 that shows nothing of it, and is logged with its stack', async () => {
    thrown = new Error('SQLITE_CORRUPT: database disk image is malformed at /var/secret/maillon.db');
    const response = await node.request('GET', '/api/federation/stats');
    const body = expectProblem(response, 500);
    expect(body.title).to.equal('Internal Server Error');
    expect(response.text).to.not.include('SQLITE').and.not.include('/var/secret').and.not.include('at ');
    expect(body.detail).to.equal('an unexpected error occurred; it has been logged');
    const entry = logged.find((l) => l['msg'] === 'request failed');
    expect(entry, JSON.stringify(logged)).to.not.equal(undefined);
    expect(JSON.stringify(entry?.['err'])).to.include('SQLITE_CORRUPT').and.include('stack');
  });

  it('a write the disk has no room for is a 507 saying nothing was written (or a 503 for a read-only database), logged', async () => {
    const full = Object.assign(new Error('SQLITE_FULL: database or disk is full'), { errno: 13, code: 'SQLITE_FULL' });
    for (const error of [full, new Error('the transaction was rolled back by SQLite', { cause: full })]) {
      thrown = error;
      logged.length = 0;
      const response = await node.request('GET', '/api/federation/stats');
      const body = expectProblem(response, 507);
      expect(body.title).to.equal('Insufficient Storage');
      expect(body.detail).to.match(/disk is full: the write this request needed was not made/u);
      expect(response.headers.get('retry-after')).to.equal('60');
      expect(JSON.stringify(logged)).to.include('SQLITE_FULL');
    }
    thrown = Object.assign(new Error('SQLITE_READONLY: attempt to write a readonly database'), { errno: 8, code: 'SQLITE_READONLY' });
    const readOnly = expectProblem(await node.request('GET', '/api/federation/stats'), 503);
    expect(readOnly.detail).to.match(/read-only/u);
    // Held by another process past the wait (a command beside the node), or a disk error: a 503 to retry, logged.
    for (const [code, retry, said] of [['SQLITE_BUSY', '5', /busy with another process/u], ['SQLITE_IOERR', '60', /disk or file system error/u]] as const) {
      thrown = new Error('the transaction was rolled back', { cause: Object.assign(new Error(`${code}: failed`), { code }) });
      logged.length = 0;
      const response = await node.request('GET', '/api/federation/stats');
      expect(expectProblem(response, 503).detail, code).to.match(said);
      expect(response.headers.get('retry-after'), code).to.equal(retry);
      expect(JSON.stringify(logged), code).to.include(code);
    }
  });

  it('a thrown value that is not an Error is a 500 too', async () => {
    thrown = 'a string';
    expectProblem(await node.request('GET', '/api/federation/stats'), 500);
  });

  it('library errors with a 400 status or an aborted request are 400 with their message', async () => {
    thrown = Object.assign(new Error('unexpected token in JSON'), { status: 400 });
    expect(expectProblem(await node.request('GET', '/api/federation/stats'), 400).detail).to.equal('unexpected token in JSON');
    thrown = Object.assign(new Error('request aborted'), { type: 'request.aborted' });
    expectProblem(await node.request('GET', '/api/federation/stats'), 400);
  });

  it('an unsupported Content-Encoding is 415 naming those it takes (RFC 9110 §12.5.3), a body that does not decompress 400 saying so, a body over the limit 413', async () => {
    for (const coding of ['compress-me', 'compress', 'gzip, br']) {
      const response = await node.request('PUT', '/api/dfc/enterprises/x/catalog_items/y', {
        headers: { 'content-type': 'application/json', 'content-encoding': coding, ...bearer(node.adminToken) }, body: '{}',
      });
      expect(expectProblem(response, 415).detail, coding).to.include(coding);
      expect(response.headers.get('accept-encoding')).to.equal('gzip, deflate, br');
    }
    const corrupt = await node.request('PUT', '/api/dfc/enterprises/x/catalog_items/y', {
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', ...bearer(node.adminToken) }, body: '{"not": "gzip"}',
    });
    expect(expectProblem(corrupt, 400).detail).to.match(/^the body is not valid gzip data, as its Content-Encoding says/u);
    const brotli = await node.request('PUT', '/api/dfc/enterprises/x/catalog_items/y', {
      headers: { 'content-type': 'application/json', 'content-encoding': 'br', ...bearer(node.adminToken) }, body: '{"not": "brotli"}',
    });
    expect(expectProblem(brotli, 400).detail).to.match(/^the body is not valid br data, as its Content-Encoding says/u);
    thrown = { type: 'entity.too.large', limit: 10 };
    expect(expectProblem(await node.request('GET', '/api/federation/stats'), 413).detail).to.include('10 bytes');
  });

  it('reads no body no route takes: a DELETE, an anonymous write (refused 401) and an unknown route answer without unpacking it', async () => {
    // A body that would be a 400 once read: answered otherwise, it was never unpacked.
    const corrupt = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
    // A DELETE takes no body, even from a caller.
    const removed = await node.request('DELETE', '/api/dfc/enterprises/x/supplied_products/none', { headers: { ...corrupt, ...bearer(node.adminToken) }, body: '{"not": "gzip"}' });
    expectProblem(removed, 404);
    const anonymous = await node.request('PUT', '/api/dfc/enterprises/x/catalog_items/y', { headers: corrupt, body: '{"not": "gzip"}' });
    expect(expectProblem(anonymous, 401).detail).not.to.include('gzip');
    const badToken = await node.request('POST', '/api/dfc/enterprises', { headers: { ...corrupt, ...bearer('mln_not-a-token') }, body: '{"not": "gzip"}' });
    expect(expectProblem(badToken, 401).detail).not.to.include('gzip');
    expectProblem(await node.request('POST', '/nothing/here', { headers: corrupt, body: '{"not": "gzip"}' }), 404);
    // A peer's notification is signed over its body: read without a credential when it carries a signature (and this
    // one is no gzip), at most 64 KiB unpacked; without a signature, not read.
    const signed = { ...corrupt, 'maillon-signature': 't=1,v1=00' };
    const notification = await node.request('POST', '/api/sync/notifications/1', { headers: signed, body: '{"not": "gzip"}' });
    expect(expectProblem(notification, 400).detail).to.match(/^the body is not valid gzip data/u);
    expect(expectProblem(await node.request('POST', '/api/sync/notifications/1', { headers: corrupt, body: '{"not": "gzip"}' }), 401).detail).not.to.include('gzip');
    const bomb = gzipSync(Buffer.alloc(200 * 1024, 0x20));
    const large = await node.request('POST', '/api/sync/notifications/1', { headers: { ...signed }, body: bomb });
    expect(expectProblem(large, 413).detail).to.include('65536');
    // With a credential, the body of a write is read as before.
    const written = await node.request('PUT', '/api/dfc/enterprises/x/catalog_items/y', { headers: { ...corrupt, ...bearer(node.adminToken) }, body: '{"not": "gzip"}' });
    expectProblem(written, 400);
  });

  it("keeps the status of any other client error a library marks as exposed, and not of one it does not", async () => {
    thrown = { status: 416, expose: true, message: 'range not satisfiable' };
    const exposed = expectProblem(await node.request('GET', '/api/federation/stats'), 416);
    expect(exposed.detail).to.equal('range not satisfiable');
    thrown = { status: 416, message: 'internal detail' };
    const hidden = expectProblem(await node.request('GET', '/api/federation/stats'), 500);
    expect(hidden.detail).not.to.include('internal detail');
  });

  // express.text() refuses a charset it does not know with its own 415 error (type 'charset.unsupported'): it
  // was answered as a 500 "unexpected error" before the funnel mapped it.
  it('a body in an unknown charset is 415 naming the charset, not 500', async () => {
    const response = await node.request('PUT', '/api/dfc/enterprises/x/catalog_items/y', {
      headers: { 'content-type': 'application/json; charset=klingon', ...bearer(node.adminToken) }, body: '{}',
    });
    const body = expectProblem(response, 415);
    expect(body.detail).to.include('"klingon"');
  });

  it('a path that matches nothing is a 404 problem naming the path without its query', async () => {
    const response = await node.request('GET', '/nothing/here?secret=1');
    const body = expectProblem(response, 404);
    expect(body.detail).to.equal('nothing at /nothing/here');
    expect(response.headers.get('access-control-allow-origin')).to.equal('*');
    expectProblem(await node.request('POST', '/api/unknown'), 404);
  });

  it('every answer echoes a sane request id, and gives a new one for anything else', async () => {
    const response = await node.request('GET', '/nothing', { headers: { 'x-request-id': 'abc-123' } });
    expect(response.headers.get('x-request-id')).to.equal('abc-123');
    const odd = await node.request('GET', '/nothing', { headers: { 'x-request-id': 'a b<c>' } });
    expect(odd.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/u);
  });
});

describe('http: discovery', function () {
  let node: InProcessNode;
  before(async () => {
    node = await startInProcess({ base: 'https://maillon.example', name: 'Nœud de test' });
  });
  after(async () => node.close());

  it('/.well-known/dfc/ maps the DFC scopes to this node’s endpoints, with and without the slash', async () => {
    for (const path of ['/.well-known/dfc/', '/.well-known/dfc']) {
      const response = await node.request('GET', path);
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.match(/^application\/ld\+json/u);
      expect(response.headers.get('cache-control')).to.equal('public, max-age=300');
      const document = response.json<Record<string, unknown> & { scopes: { scope: string; endpoint: string; iri: string }[] }>();
      expect(document['@id']).to.equal('https://maillon.example/.well-known/dfc/');
      expect(document['name']).to.equal('Nœud de test');
      expect(document['enterprises']).to.equal('https://maillon.example/api/dfc/enterprises');
      expect(document['subscriptions']).to.equal('https://maillon.example/api/dfc/subscriptions');
      expect(document['feed']).to.equal('https://maillon.example/api/dfc/feed');
      expect(document['ontologyVersions']).to.deep.equal(['1.16.0', '2.0.0']);
      expect(document.scopes.map((s) => s.scope)).to.deep.equal(['ReadEnterprise', 'WriteEnterprise', 'ReadProducts', 'WriteProducts']);
      expect(document.scopes.find((s) => s.scope === 'ReadProducts')?.endpoint).to.equal('https://maillon.example/api/dfc/enterprises/{eid}/catalog_items');
      expect(document.scopes[0]?.iri).to.equal('http://w3id.org/dfc/taxonomies/scopes.rdf#ReadEnterprise');
    }
  });

  it('/api/dfc/webid describes the platform', async () => {
    const response = await node.request('GET', '/api/dfc/webid');
    expect(response.status).to.equal(200);
    const webid = response.json<Record<string, unknown>>();
    expect(webid['@id']).to.equal('https://maillon.example/api/dfc/webid');
    expect(webid['schema:name']).to.equal('Nœud de test');
    expect(webid['maillon:ontologyVersion']).to.deep.equal(['1.16.0', '2.0.0']);
    expect(webid['maillon:discovery']).to.deep.equal({ '@id': 'https://maillon.example/.well-known/dfc/' });
    // As Open Food Network's platform WebID: a dfc-t:Platform and a foaf:Agent, with the ontology versions it speaks.
    expect(webid['@type']).to.include.members(['dfc-t:Platform', 'foaf:Agent']);
    expect(webid['dfc-t:supportedOntologyVersion']).to.deep.equal(['1.16.0', '2.0.0']);
  });

  it('/api/dfc/webid answers Turtle and N-Triples when asked, the same graph, and 406 for what it cannot produce', async () => {
    const DFC_T = 'https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_TechnicalOntology.owl#';
    const graphs: string[][] = [];
    for (const [accept, format] of [['text/turtle', 'text/turtle'], ['application/n-triples', 'application/n-triples'], ['application/ld+json', 'application/ld+json']]) {
      const response = await node.request('GET', '/api/dfc/webid', { headers: { accept: accept as string } });
      expect(response.status, accept).to.equal(200);
      expect(response.headers.get('content-type'), accept).to.match(new RegExp(`^${(format as string).replace('+', '\\+')}`, 'u'));
      expect(response.headers.get('vary')).to.include('Accept');
      const quads = format === 'application/ld+json'
        ? new Parser().parse(await jsonld.toRDF(JSON.parse(response.text), { ...offline, format: 'application/n-quads' }))
        : new Parser({ format: format as string }).parse(response.text);
      graphs.push(quads.map((q) => `${q.subject.value} ${q.predicate.value} ${q.object.value}`).sort());
    }
    expect(graphs[0]).to.include(`https://maillon.example/api/dfc/webid http://www.w3.org/1999/02/22-rdf-syntax-ns#type ${DFC_T}Platform`);
    expect(graphs[1]).to.deep.equal(graphs[0]);
    expect(graphs[2]).to.deep.equal(graphs[0]);
    expectProblem(await node.request('GET', '/api/dfc/webid', { headers: { accept: 'text/html' } }), 406);
  });
});
