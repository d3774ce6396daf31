/**
 * The token middleware through HTTP, in-process: which headers are read, and what a missing, malformed,
 * unknown or revoked token gets on a public read (served, as anonymous) and on a write (401 invalid_token);
 * scopes and the admin.
 */
import { expect } from 'chai';
import { issueToken } from '../../../server/auth/tokens.js';
import { startInProcess, type InProcessNode } from '../../helpers/in-process.js';
import { expectProblem } from '../../helpers/write-api.js';

const READ = '/api/dfc/enterprises/ferme/catalog_items';
const WRITE = '/api/dfc/enterprises/ferme/catalog_items/tomate';
const STOCK = JSON.stringify({ 'dfc-b:stockLimitation': 7 });
const JSON_TYPE = { 'content-type': 'application/json' };

describe('auth: the token middleware', function () {
  let node: InProcessNode;
  let token: string;

  before(async () => {
    node = await startInProcess();
    await node.seed('ferme');
    token = await node.token('ferme', ['ReadProducts', 'WriteProducts']);
  });
  after(async () => node.close());

  const invalidToken = (response: Awaited<ReturnType<InProcessNode['request']>>): string => {
    const detail = expectProblem(response, 401).detail;
    expect(response.headers.get('www-authenticate')).to.equal('Bearer error="invalid_token"');
    return detail;
  };
  const write = (headers: Record<string, string>) => node.request('PUT', WRITE, { headers: { ...JSON_TYPE, ...headers }, body: STOCK });

  it('a public read needs no token; a write without one is 401 with WWW-Authenticate', async () => {
    expect((await node.request('GET', READ)).status).to.equal(200);
    const response = await write({});
    expect(expectProblem(response, 401).detail).to.include('WriteProducts');
    expect(response.headers.get('www-authenticate')).to.equal('Bearer');
  });

  it('reads Authorization: Bearer (any case), and X-Api-Token', async () => {
    expect((await write({ authorization: `Bearer ${token}` })).status).to.equal(200);
    expect((await write({ authorization: `bearer   ${token}  ` })).status).to.equal(200);
    expect((await write({ 'x-api-token': token })).status).to.equal(200);
  });

  it('Authorization wins over X-Api-Token', async () => {
    expect((await write({ authorization: `Bearer ${token}`, 'x-api-token': 'mln_garbage' })).status).to.equal(200);
    expectProblem(await write({ authorization: 'Bearer mln_garbage', 'x-api-token': token }), 401);
  });

  it('reads the last word of Authorization, whatever comes before it, as Open Food Network does', async () => {
    for (const value of [`JWT ${token}`, token, `Bearer x ${token}`]) {
      expect((await write({ authorization: value })).status, value).to.equal(200);
    }
    for (const value of ['Basic dXNlcjpwdw==', 'Bearer', `Bearer ${token} x`]) {
      const response = await write({ authorization: value });
      expect(expectProblem(response, 401).detail, value).to.equal('unknown or revoked API token');
      expect(response.headers.get('www-authenticate')).to.equal('Bearer error="invalid_token"');
    }
  });

  it('a public read ignores a credential it cannot use: served as anonymous', async () => {
    const tries: Record<string, string>[] = [
      { authorization: 'Bearer mln_nope' }, { 'x-api-token': 'mln_nope' }, { authorization: 'Basic dXNlcjpwdw==' },
      { authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2Vsc2V3aGVyZS5leGFtcGxlIn0.c2ln' },
    ];
    for (const headers of tries) expect((await node.request('GET', READ, { headers })).status).to.equal(200);
  });

  it('a write or a private read with an unknown token is 401 invalid_token, so a client learns its token is bad', async () => {
    await node.seed('cache', { private: true });
    const tries: Record<string, string>[] = [{ authorization: 'Bearer mln_nope' }, { 'x-api-token': 'mln_nope' }];
    for (const headers of tries) {
      for (const response of [await write(headers), await node.request('GET', '/api/dfc/enterprises/cache/catalog_items', { headers })]) {
        expect(expectProblem(response, 401).detail).to.equal('unknown or revoked API token');
        expect(response.headers.get('www-authenticate')).to.equal('Bearer error="invalid_token"');
      }
    }
    // With one, an unknown enterprise answers the same 401: the 401 tells nothing of which exists.
    for (const headers of tries) {
      expect(invalidToken(await node.request('GET', '/api/dfc/enterprises/personne/catalog_items', { headers }))).to.equal('unknown or revoked API token');
      invalidToken(await node.request('GET', '/nowhere', { headers }));
    }
    // Without a credential, the private enterprise is as unknown as one that does not exist.
    expectProblem(await node.request('GET', '/api/dfc/enterprises/cache/catalog_items'), 404);
    expect(expectProblem(await node.request('GET', '/api/sync/peers', { headers: tries[0] }), 401).detail).to.equal('unknown or revoked API token');
  });

  it('a revoked token is refused like an unknown one', async () => {
    const { token: revoked, row } = await issueToken(node.store, { eid: 'ferme', scopes: ['ReadProducts', 'WriteProducts'] });
    expect((await write({ 'x-api-token': revoked })).status).to.equal(200);
    expect(await node.store.revokeToken(row.id)).to.equal(true);
    expect((await node.request('GET', READ, { headers: { 'x-api-token': revoked } })).status).to.equal(200);
    expectProblem(await write({ 'x-api-token': revoked }), 401);
  });

  it('a token without the scope, or of another enterprise, is 403', async () => {
    const readOnly = await node.token('ferme', ['ReadProducts']);
    expect(expectProblem(await write({ 'x-api-token': readOnly }), 403).detail).to.equal('this token lacks the WriteProducts scope');
    await node.seed('voisin');
    const neighbour = await node.token('voisin');
    expect(expectProblem(await write({ 'x-api-token': neighbour }), 403).detail).to.equal('this token belongs to enterprise voisin, not ferme');
  });

  it('admin routes refuse an enterprise token with 403 and take the admin token', async () => {
    expect(expectProblem(await node.request('GET', '/api/sync/peers', { headers: { 'x-api-token': token } }), 403).detail)
      .to.include('not an enterprise token');
    expect((await node.request('GET', '/api/sync/peers', { headers: { 'x-api-token': node.adminToken } })).status).to.equal(200);
    expect((await write({ 'x-api-token': node.adminToken })).status).to.equal(200);
  });
});
