/**
 * The JSON bodies of the node's own APIs (`POST /api/sync/peers`, `POST /api/dfc/subscriptions`, a verified
 * `POST /api/sync/notifications/{peer}`): 415 for any Content-Type that is not JSON, 400 for a body that is no
 * JSON object, and nothing stored either way.
 */
import { expect } from 'chai';
import { sign } from '../../../server/feed/signature.js';
import { isJsonMediaType } from '../../../server/http/json-body.js';
import { bearer, startInProcess, type InProcessNode } from '../../helpers/in-process.js';
import { expectProblem } from '../../helpers/write-api.js';

/** Valid JSON that is no object, and text that is no JSON. */
const NOT_OBJECTS: readonly (readonly [string, string])[] = [
  ['null', 'null'], ['an array', '[]'], ['an array of objects', '[{"url": "http://127.0.0.1:9/"}]'], ['a string', '"x"'],
  ['a number', '42'], ['a boolean', 'true'], ['truncated JSON', '{"url": "http://127.0.0.1:9/'], ['form data', 'url=x'],
  ['whitespace', '  \n'], ['an empty body', ''],
];

/** Content types that are not JSON, or none. */
const NOT_JSON: readonly (string | undefined)[] = [
  'text/plain', 'application/xml', 'text/xml', 'application/x-www-form-urlencoded', 'text/turtle', 'application/jsonx',
  'application/json-patch', 'multipart/form-data; boundary=x', undefined,
];

describe('http: JSON object bodies', function () {
  let node: InProcessNode;
  let ferme: string;

  before(async () => {
    node = await startInProcess();
    await node.seed('ferme');
    ferme = await node.token('ferme', ['ReadProducts']);
  });
  after(async () => node.close());

  const post = (path: string, token: string, contentType: string | undefined, body: string) => node.request('POST', path, {
    headers: { ...bearer(token), ...(contentType !== undefined ? { 'content-type': contentType } : {}) }, body,
  });

  it('knows JSON media types: application/json and application/*+json, parameters aside', () => {
    for (const type of ['application/json', 'Application/JSON; charset=utf-8', 'application/ld+json', 'application/activity+json; profile="x"']) {
      expect(isJsonMediaType(type), type).to.equal(true);
    }
    for (const type of [...NOT_JSON, '', 'text/json', 'application/+json', 'json']) expect(isJsonMediaType(type), String(type)).to.equal(false);
  });

  const routes = (): { path: string; token: string; valid: string }[] => [
    { path: '/api/sync/peers', token: node.adminToken, valid: JSON.stringify({ url: 'http://127.0.0.1:9/catalog.json', name: 'p' }) },
    { path: '/api/dfc/subscriptions', token: ferme, valid: JSON.stringify({ enterprise: 'ferme', callback: 'http://127.0.0.1:9/hook' }) },
  ];

  it('answers 415 to a body that is not sent as JSON, naming what to send, and stores nothing', async () => {
    for (const { path, token, valid } of routes()) {
      for (const type of NOT_JSON) {
        const problem = expectProblem(await post(path, token, type, valid), 415);
        expect(problem.detail, `${path} ${type}`).to.include('application/json');
      }
    }
    expect(await node.store.provenance.listPeers()).to.deep.equal([]);
    expect(await node.store.feed.listSubscriptions()).to.deep.equal([]);
  });

  it('answers 400 to a JSON body that is no object (null, array, string, number, truncated, empty), naming what it got', async () => {
    for (const { path, token } of routes()) {
      for (const [what, body] of NOT_OBJECTS) {
        const problem = expectProblem(await post(path, token, 'application/json', body), 400);
        expect(problem.detail, `${path}: ${what}`).to.include('expected a JSON object');
      }
      expect(expectProblem(await post(path, token, 'application/json', 'null'), 400).detail).to.include('the body is null');
      expect(expectProblem(await post(path, token, 'application/json', '[]'), 400).detail).to.include('the body is an array');
      expect(expectProblem(await post(path, token, 'application/json', '42'), 400).detail).to.include('the body is a number');
    }
    expect(await node.store.provenance.listPeers()).to.deep.equal([]);
    expect(await node.store.feed.listSubscriptions()).to.deep.equal([]);
  });

  it('answers 401 to a caller without a credential before reading its body, whatever the body', async () => {
    for (const path of ['/api/sync/peers', '/api/dfc/subscriptions', '/api/admin/grants']) {
      for (const [type, body] of [['application/json', '{}'], ['application/json', '{"enterprise": "ferme"}'], ['application/json', '[1'], ['text/plain', 'x']] as const) {
        const response = await node.request('POST', path, { headers: { 'content-type': type }, body });
        expect(expectProblem(response, 401).status, `${path} ${body}`).to.equal(401);
      }
    }
  });

  it('takes application/*+json and a charset parameter', async () => {
    const peer = await post('/api/sync/peers', node.adminToken, 'application/ld+json; charset=utf-8', JSON.stringify({ url: 'http://127.0.0.1:9/a.json', name: 'a' }));
    expect(peer.status, peer.text).to.equal(201);
    const subscription = await post('/api/dfc/subscriptions', ferme, 'application/json; charset=UTF-8', JSON.stringify({ enterprise: 'ferme', callback: 'http://127.0.0.1:9/h' }));
    expect(subscription.status, subscription.text).to.equal(201);
  });

  it('answers 422 to a body nested deeper than the decoder reads, before parsing it', async () => {
    const deep = `{"url": ${'['.repeat(300)}${']'.repeat(300)}}`;
    const answer = await post('/api/sync/peers', node.adminToken, 'application/json', deep);
    expect(expectProblem(answer, 422).detail).to.equal('the body nests JSON arrays and objects more than 256 levels deep');
  });

  it('answers 422 to a name given twice (JSON keeps one: which would be a guess), and stores nothing', async () => {
    const peer = await post('/api/sync/peers', node.adminToken, 'application/json', '{"url": "http://127.0.0.1:9/b.json", "name": "b", "name": "c"}');
    expect(expectProblem(peer, 422).detail).to.equal('"name" is given twice in one object (at the top): a JSON reader keeps one of them, and which would be a guess');
    const listed = await node.request('GET', '/api/sync/peers', { headers: bearer(node.adminToken) });
    expect(listed.text).not.to.include('b.json');
  });

  it('a peer\'s fields of the wrong type are 422, never ignored; an interval that does not fit is 422', async () => {
    const add = (body: Record<string, unknown>) => post('/api/sync/peers', node.adminToken, 'application/json', JSON.stringify({ url: 'http://127.0.0.1:9/b.json', ...body }));
    expect(expectProblem(await add({ name: 42 }), 422).detail).to.equal('name must be a string');
    expect(expectProblem(await add({ token: { a: 1 } }), 422).detail).to.equal('token must be a string');
    for (const interval of [1e308, '99999999999999999999', '1e309', [], {}, null, true, -5, 0]) {
      expect(expectProblem(await add({ name: 'b', interval }), 422).detail, JSON.stringify(interval)).to.include('interval');
    }
    // 1e309 is Infinity once parsed: a body carries it as text.
    const infinite = await post('/api/sync/peers', node.adminToken, 'application/json', '{"url": "http://127.0.0.1:9/b.json", "interval": 1e309}');
    expectProblem(infinite, 422);
    expect((await node.store.provenance.listPeers()).map((p) => p.name)).to.deep.equal(['a']);
  });

  it('a verified notification whose body is no JSON object is 400 (415 when not JSON); an unverified one stays 401', async () => {
    const peer = await node.store.provenance.addPeer({ name: 'n', url: 'http://127.0.0.1:9/n.json' }, 'http://127.0.0.1:9');
    const secret = 'whsec_test-secret-of-json';
    await node.store.feed.setPeerFeed(peer.id, { secret });
    const notify = (body: string, contentType: string | undefined, signed = true) => node.request('POST', `/api/sync/notifications/${peer.id}`, {
      headers: { ...(contentType !== undefined ? { 'content-type': contentType } : {}), ...(signed ? { 'maillon-signature': sign(secret, body) } : {}) }, body,
    });
    for (const [what, body] of NOT_OBJECTS.filter(([, b]) => b.trim() !== '')) {
      expect(expectProblem(await notify(body, 'application/ld+json'), 400).detail, what).to.include('expected a JSON object');
      expectProblem(await notify(body, 'application/ld+json', false), 401);
    }
    expectProblem(await notify('{"type": "Update", "n": 1}', 'text/plain'), 415);
    expectProblem(await notify('{"type": "Update", "n": 2}', undefined), 415);
  });
});
