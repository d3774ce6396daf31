/**
 * The OpenAPI description stays true: it validates (with @readme/openapi-parser), every route the application
 * registers is described and every described operation is registered (both read from Express's router), and
 * each described operation, called, is routed (never the catch-all 404 nor a 405), while a method it does not
 * describe is never served.
 */
import { expect } from 'chai';
import { validate } from '@readme/openapi-parser';
import { startInProcess, type InProcessNode } from '../../helpers/in-process.js';

interface Layer {
  readonly route?: { readonly path: string | string[]; readonly methods: Record<string, boolean> };
  readonly handle: { readonly stack?: Layer[] };
  readonly rawPath?: string | string[];
}

const METHODS = ['get', 'post', 'put', 'delete', 'patch'];

/** `METHOD /path/{param}` of every route an Express app registers (nested routers included). */
function registered(stack: readonly Layer[], prefix = ''): Set<string> {
  const out = new Set<string>();
  for (const layer of stack) {
    if (layer.route !== undefined) {
      const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      for (const path of paths) {
        for (const method of Object.keys(layer.route.methods).filter((m) => METHODS.includes(m))) {
          out.add(`${method.toUpperCase()} ${prefix}${path.replace(/:(\w+)/gu, '{$1}')}`);
        }
      }
    } else if (layer.handle.stack !== undefined) {
      const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      for (const entry of registered(layer.handle.stack, prefix + mount)) out.add(entry);
    }
  }
  return out;
}

type Document = { openapi: string; paths: Record<string, Record<string, unknown>> };

function described(doc: Document): Set<string> {
  const out = new Set<string>();
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const method of Object.keys(operations).filter((m) => METHODS.includes(m))) out.add(`${method.toUpperCase()} ${path}`);
  }
  return out;
}

/** A concrete URL for a described path: the seeded enterprise, and a sample value for each other parameter. */
function concrete(path: string): string {
  return path.replace(/\{(\w+)\}/gu, (_m, name: string) => (name === 'eid' ? 'ferme' : name === 'n' ? '1' : `sample-${name}`));
}

describe('the OpenAPI description (GET /api/openapi.json)', () => {
  let node: InProcessNode;
  let doc: Document;

  before(async () => {
    node = await startInProcess();
    await node.seed('ferme');
    const response = await node.request('GET', '/api/openapi.json');
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.match(/^application\/json/u);
    doc = response.json<Document>();
  });
  after(() => node.close());

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).to.equal('3.1.0');
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid, JSON.stringify(result.valid ? [] : result.errors, null, 2)).to.equal(true);
    expect(result.warnings).to.deep.equal([]);
  });

  it('describes every route the application registers, and only those', () => {
    const routes = registered((node.app as unknown as { router: { stack: Layer[] } }).router.stack);
    expect(routes.size).to.be.greaterThan(60);
    const ops = described(doc);
    const undescribed = [...routes].filter((r) => !ops.has(r));
    const unrouted = [...ops].filter((o) => !routes.has(o));
    expect(undescribed, 'routed but not described').to.deep.equal([]);
    expect(unrouted, 'described but not routed').to.deep.equal([]);
  });

  it('routes every described operation (called, it is never the catch-all 404 nor a 405)', async () => {
    for (const op of described(doc)) {
      const [method = '', path = ''] = op.split(' ');
      const response = await node.request(method, concrete(path), {
        headers: { authorization: `Bearer ${node.adminToken}`, 'content-type': 'application/json' },
        ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{}' }),
      });
      expect(response.status, `${op}: ${response.text}`).to.not.equal(405);
      if (response.status === 404) expect(response.text, op).to.not.match(/nothing at/u);
      // What it answered is described (the answers of a request that cannot succeed: a problem of the operation's).
      const answers = Object.keys((doc.paths[path]?.[method.toLowerCase()] as { responses: Record<string, unknown> }).responses);
      expect(answers, `${op} answered ${response.status}: ${response.text.slice(0, 200)}`).to.include(String(response.status));
    }
  });

  it('serves no method it does not describe on a described path: a 405 whose Allow names those it describes', async () => {
    const ops = described(doc);
    for (const path of Object.keys(doc.paths)) {
      const mine = METHODS.map((m) => m.toUpperCase()).filter((m) => ops.has(`${m} ${path}`));
      for (const method of METHODS.map((m) => m.toUpperCase()).filter((m) => !ops.has(`${m} ${path}`))) {
        const response = await node.request(method, concrete(path), {
          headers: { authorization: `Bearer ${node.adminToken}`, 'content-type': 'application/json' }, ...(method === 'GET' ? {} : { body: '{}' }),
        });
        expect(response.status, `${method} ${path}: ${response.text}`).to.equal(405);
        expect(response.headers.get('content-type'), `${method} ${path}`).to.match(/^application\/problem\+json/u);
        const allow = (response.headers.get('allow') ?? '').split(/,\s*/u);
        for (const m of mine) expect(allow, `${method} ${path}`).to.include(m);
        expect(allow, `${method} ${path}`).to.not.include(method);
      }
    }
    // As Express routes them: a trailing slash, or capitals, are the same route.
    for (const path of ['/api/dfc/feed/', '/API/DFC/FEED', '/api/federation/stats/']) {
      const response = await node.request('PUT', path, { headers: { authorization: `Bearer ${node.adminToken}` } });
      expect(response.status, path).to.equal(405);
      expect(response.headers.get('allow'), path).to.equal('GET, HEAD, OPTIONS');
    }
  });

  it('names the node as its server and is public', async () => {
    expect((doc as unknown as { servers: { url: string }[] }).servers).to.deep.equal([{ url: node.base }]);
    const anonymous = await fetch(`${node.url}/api/openapi.json`);
    expect(anonymous.status).to.equal(200);
    expect(anonymous.headers.get('access-control-allow-origin')).to.equal('*');
  });
});
