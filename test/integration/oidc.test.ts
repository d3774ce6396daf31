/**
 * OpenID Connect bearer tokens (issue 11), against a local OpenID provider on loopback: a foreign token on a
 * public read is ignored, on a private read or a write refused (401 invalid_token); a token of a configured
 * issuer reads and writes within its grants, and is refused outside them (403); expired, foreign-key, `alg:
 * none`, wrong-issuer and wrong-audience tokens are refused; a rotated key is picked up; grants through the admin
 * API and the command line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { pino } from 'pino';
import { run } from '../../server/cli/main.js';
import { bearer, startInProcess, type InProcessNode } from '../helpers/in-process.js';
import { startOidcProvider, type OidcProvider } from '../helpers/oidc-provider.js';
import { expectProblem } from '../helpers/write-api.js';

const JSON_TYPE = { 'content-type': 'application/json' };
const CATALOGUE = '/api/dfc/enterprises/ferme/catalog_items';
const ITEM = '/api/dfc/enterprises/ferme/catalog_items/tomate';
const PRIVATE = '/api/dfc/enterprises/cache/catalog_items';
const ANNE = { email: 'Anne@Ferme.example', sub: 'u-anne' };

describe('OpenID Connect tokens', function () {
  this.timeout(60_000);
  let node: InProcessNode;
  let provider: OidcProvider;
  let other: OidcProvider;
  const logged: Record<string, unknown>[] = [];

  const stock = (headers: Record<string, string>, n: number, path = ITEM) =>
    node.request('PUT', path, { headers: { ...JSON_TYPE, ...headers }, body: JSON.stringify({ 'dfc-b:stockLimitation': n }) });
  const admin = (method: string, path: string, body?: unknown) => node.request(method, path, {
    headers: { ...bearer(node.adminToken), ...(body !== undefined ? JSON_TYPE : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const invalidToken = (response: Awaited<ReturnType<InProcessNode['request']>>): string => {
    const detail = expectProblem(response, 401).detail;
    expect(response.headers.get('www-authenticate')).to.equal('Bearer error="invalid_token"');
    return detail;
  };

  before(async () => {
    provider = await startOidcProvider();
    other = await startOidcProvider();
    const logger = pino({ level: 'debug' }, { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) });
    node = await startInProcess({ logger });
    await node.seed('ferme');
    await node.seed('voisin');
    await node.seed('cache', { private: true });
  });
  after(async () => {
    await node.close();
    await provider.close();
    await other.close();
  });

  describe('a token of an issuer we do not know (as Open Food Network sends with every request)', () => {
    it('a public GET is served as an anonymous one (200), and noted at debug level', async () => {
      const token = await provider.sign(ANNE);
      const response = await node.request('GET', CATALOGUE, { headers: bearer(token) });
      expect(response.status).to.equal(200);
      expect(response.text).to.equal((await node.request('GET', CATALOGUE)).text);
      expect(logged.some((l) => l['msg'] === 'unusable credential: the request is anonymous' && l['level'] === 20)).to.equal(true);
      expect(JSON.stringify(logged)).to.not.contain(token);
    });

    it('a private GET or a write is 401 invalid_token', async () => {
      const token = await provider.sign(ANNE);
      expect(invalidToken(await node.request('GET', PRIVATE, { headers: bearer(token) }))).to.equal('tokens of this issuer are not accepted here');
      invalidToken(await stock(bearer(token), 3));
      invalidToken(await node.request('POST', '/api/dfc/enterprises/ferme/orders', { headers: { ...JSON_TYPE, ...bearer(token) }, body: '{}' }));
      invalidToken(await node.request('GET', '/api/dfc/subscriptions', { headers: bearer(token) }));
      const subscribe = { callback: 'http://127.0.0.1:9/hook', enterprise: 'cache' };
      invalidToken(await node.request('POST', '/api/dfc/subscriptions', { headers: { ...JSON_TYPE, ...bearer(token) }, body: JSON.stringify(subscribe) }));
      // Without any credential, a subscription is refused before anything: the private enterprise stays as unknown as
      // one that does not exist, and as one that is public.
      for (const enterprise of ['cache', 'nowhere', 'ferme']) {
        const anonymous = await node.request('POST', '/api/dfc/subscriptions', { headers: JSON_TYPE, body: JSON.stringify({ ...subscribe, enterprise }) });
        expect(expectProblem(anonymous, 401).detail, enterprise).to.equal('this needs an API token');
      }
    });
  });

  describe('a configured issuer', () => {
    before(async () => {
      // A misspelt field is refused (an issuer with its audience misspelt accepted tokens for any audience).
      expect((await admin('POST', '/api/admin/oidc/issuers', { issuer: provider.issuer, audiance: 'x' })).status).to.equal(422);
      expect((await admin('POST', '/api/admin/grants', { email: 'anne@ferme.example', enterprise: 'ferme', scopes: ['ReadProducts'], isuer: 'https://x' })).status).to.equal(422);
      expect((await admin('POST', '/api/admin/oidc/issuers', { issuer: `${provider.issuer}/` })).status).to.equal(201);
      const issuers = (await admin('GET', '/api/admin/oidc/issuers')).json<{ issuer: string }[]>();
      expect(issuers.map((i) => i.issuer)).to.deep.equal([provider.issuer]);
      for (const [eid, scopes] of [['ferme', ['ReadProducts', 'WriteProducts', 'WriteOrders']], ['cache', ['ReadProducts']]] as const) {
        const created = await admin('POST', '/api/admin/grants', { email: 'anne@ferme.example', enterprise: eid, scopes });
        expect(created.status, created.text).to.equal(201);
      }
    });

    it('a token with a grant reads a private catalogue and writes within its scopes', async () => {
      const token = await provider.sign(ANNE);
      expect((await node.request('GET', PRIVATE, { headers: bearer(token) })).status).to.equal(200);
      expect((await node.request('GET', '/api/dfc/enterprises/cache/feed', { headers: bearer(token) })).status).to.equal(200);
      expect((await node.request('GET', '/api/dfc/enterprises/cache', { headers: bearer(token) })).status, 'ReadEnterprise was not granted').to.equal(403);
      expect((await stock(bearer(token), 11)).status).to.equal(200);
      // As OFN sends it: any word before the token.
      expect((await stock({ authorization: `JWT ${token}` }, 12)).status).to.equal(200);
      expect(logged.some((l) => l['msg'] === 'access decision' && l['subject'] === `oidc:${provider.issuer}#anne@ferme.example`
        && l['enterprise'] === 'ferme' && l['scope'] === 'WriteProducts' && l['allowed'] === true)).to.equal(true);
    });

    it('is refused outside its grants (403): another scope, another enterprise', async () => {
      const token = await provider.sign(ANNE);
      expectProblem(await stock(bearer(token), 1, '/api/dfc/enterprises/cache/catalog_items/tomate'), 403);
      expect(expectProblem(await stock(bearer(token), 1, '/api/dfc/enterprises/voisin/catalog_items/tomate'), 403).detail)
        .to.contain('no grant on enterprise voisin');
      expectProblem(await node.request('GET', '/api/sync/peers', { headers: bearer(token) }), 403);
      const unknown = await provider.sign({ email: 'bob@ailleurs.example', sub: 'u-bob' });
      expectProblem(await stock(bearer(unknown), 1), 403);
      // Without a grant on the private enterprise, it is as unknown as to anyone else.
      expectProblem(await node.request('GET', PRIVATE, { headers: bearer(unknown) }), 404);
    });

    it("a grant of another enterprise is no grant to a token: a 404 as for none, never the enterprise's name", async () => {
      const grant = await admin('POST', '/api/admin/grants', { email: 'dora@cache.example', enterprise: 'cache', scopes: ['WriteProducts'], issuer: provider.issuer });
      expect(grant.status, grant.text).to.equal(201);
      const id = grant.json<{ id: number }>().id;
      for (const token of [await node.token('ferme', ['ReadProducts']), await node.token('ferme')]) {
        const answer = expectProblem(await node.request('DELETE', `/api/admin/grants/${id}`, { headers: bearer(token) }), 404);
        expect(answer.detail).to.equal('no such grant');
        expect(expectProblem(await node.request('DELETE', '/api/admin/grants/999999', { headers: bearer(token) }), 404).detail).to.equal(answer.detail);
      }
      // Its own enterprise's token may revoke it.
      expect((await node.request('DELETE', `/api/admin/grants/${id}`, { headers: bearer(await node.token('cache')) })).status).to.equal(204);
    });

    it('a grant by sub works as one by email', async () => {
      const token = await provider.sign({ sub: 'u-carl' });
      expectProblem(await stock(bearer(token), 2, '/api/dfc/enterprises/voisin/catalog_items/tomate'), 403);
      const grant = await admin('POST', '/api/admin/grants', { sub: 'u-carl', enterprise: 'voisin', scopes: 'WriteProducts', issuer: provider.issuer });
      expect(grant.status, grant.text).to.equal(201);
      expect((await stock(bearer(token), 2, '/api/dfc/enterprises/voisin/catalog_items/tomate')).status).to.equal(200);
      expect((await admin('DELETE', `/api/admin/grants/${grant.json<{ id: number }>().id}`)).status).to.equal(204);
      expectProblem(await stock(bearer(token), 2, '/api/dfc/enterprises/voisin/catalog_items/tomate'), 403);
    });

    it('an e-mail the issuer has not verified, or equal to a granted one only under Unicode case mapping, is granted nothing', async () => {
      const grant = await admin('POST', '/api/admin/grants', { email: 'kate@ferme.example', enterprise: 'ferme', scopes: ['WriteProducts'] });
      expect(grant.status, grant.text).to.equal(201);
      try {
        expect((await stock(bearer(await provider.sign({ email: 'KATE@ferme.example', sub: 'u-kate' })), 5)).status).to.equal(200);
        // Anyone may sign up with an address they do not own where the issuer lets them: unverified, it is nobody's.
        expectProblem(await stock(bearer(await provider.sign({ email: 'kate@ferme.example', email_verified: false, sub: 'u-mallory' })), 5), 403);
        expectProblem(await stock(bearer(await provider.sign({ email: 'kate@ferme.example', sub: 'u-mallory', email_verified: 'false' })), 5), 403);
        // The Kelvin sign lower-cases to k in Unicode: another address, not Kate's.
        expectProblem(await stock(bearer(await provider.sign({ email: '\u212Aate@ferme.example', sub: 'u-kelvin' })), 5), 403);
        // A capital outside ASCII is the same address in lower case, as identity providers lower-case addresses.
        const elodie = await admin('POST', '/api/admin/grants', { email: 'Élodie@ferme.example', enterprise: 'ferme', scopes: ['WriteProducts'] });
        expect((await stock(bearer(await provider.sign({ email: 'élodie@ferme.example', sub: 'u-elodie' })), 5)).status).to.equal(200);
        await admin('DELETE', `/api/admin/grants/${elodie.json<{ id: number }>().id}`);
      } finally {
        await admin('DELETE', `/api/admin/grants/${grant.json<{ id: number }>().id}`);
      }
    });

    it('a grant by sub that names no issuer is one for the only issuer configured: with two it matches neither, and one must be named', async () => {
      const grant = await admin('POST', '/api/admin/grants', { sub: 'user-123', enterprise: 'voisin', scopes: ['WriteProducts'] });
      expect(grant.status, grant.text).to.equal(201);
      const email = await admin('POST', '/api/admin/grants', { email: 'eve@voisin.example', enterprise: 'voisin', scopes: ['WriteProducts'] });
      expect(email.status, email.text).to.equal(201);
      const path = '/api/dfc/enterprises/voisin/catalog_items/tomate';
      expect((await stock(bearer(await provider.sign({ sub: 'user-123' })), 3, path)).status).to.equal(200);
      const added = await admin('POST', '/api/admin/oidc/issuers', { issuer: other.issuer });
      expect(added.status).to.equal(201);
      // The operator is told which grants the second issuer leaves matching nothing, and the list says so.
      expect(added.json<{ warning?: string }>().warning).to.contain(`name no issuer (${grant.json<{ id: number }>().id})`);
      const listed = (await admin('GET', '/api/admin/grants?enterprise=voisin')).json<{ id: number; matches?: string }[]>();
      expect(listed.find((g) => g.id === grant.json<{ id: number }>().id)?.matches).to.match(/^none: several issuers/u);
      expect(listed.find((g) => g.id === email.json<{ id: number }>().id)?.matches).to.equal('any configured issuer');
      try {
        // A verified address is one person's for every issuer the node trusts: an e-mail grant holds for both.
        expect((await stock(bearer(await other.sign({ email: 'eve@voisin.example', sub: 'x-1' })), 3, path)).status).to.equal(200);
        expect((await stock(bearer(await provider.sign({ email: 'eve@voisin.example', sub: 'x-2' })), 3, path)).status).to.equal(200);
        expect((await admin('POST', '/api/admin/grants', { email: 'fay@voisin.example', enterprise: 'voisin', scopes: ['ReadProducts'] })).status).to.equal(201);
        // A `sub` is unique within one issuer only: the other issuer's user-123 is someone else, and so may the first's be.
        expectProblem(await stock(bearer(await other.sign({ sub: 'user-123' })), 3, path), 403);
        expectProblem(await stock(bearer(await provider.sign({ sub: 'user-123' })), 3, path), 403);
        const unnamed = expectProblem(await admin('POST', '/api/admin/grants', { sub: 'user-456', enterprise: 'voisin', scopes: ['ReadProducts'] }), 422);
        expect(unnamed.detail).to.contain('several OpenID issuers are configured');
        const named = await admin('POST', '/api/admin/grants', { sub: 'user-123', enterprise: 'voisin', scopes: ['WriteProducts'], issuer: other.issuer });
        expect(named.status, named.text).to.equal(201);
        expect((await stock(bearer(await other.sign({ sub: 'user-123' })), 3, path)).status).to.equal(200);
        expectProblem(await stock(bearer(await provider.sign({ sub: 'user-123' })), 3, path), 403);
        await admin('DELETE', `/api/admin/grants/${named.json<{ id: number }>().id}`);
      } finally {
        await admin('DELETE', `/api/admin/oidc/issuers?issuer=${encodeURIComponent(other.issuer)}`);
        await admin('DELETE', `/api/admin/grants/${grant.json<{ id: number }>().id}`);
        await admin('DELETE', `/api/admin/grants/${email.json<{ id: number }>().id}`);
      }
    });

    it('a platform\'s client-credentials token is mapped by its client_id', async () => {
      const token = await provider.sign({ client_id: 'plateforme', sub: 'service-account-plateforme' });
      expectProblem(await stock(bearer(token), 4), 403);
      expect((await admin('POST', '/api/admin/grants', { clientId: 'plateforme', enterprise: 'ferme', scopes: ['WriteProducts'] })).status).to.equal(201);
      expect((await stock(bearer(token), 4)).status).to.equal(200);
    });

    it('an expired token is 401 invalid_token (so that OFN refreshes and retries); a public read ignores it', async () => {
      const token = await provider.sign(ANNE, { expiresIn: -120 });
      expect(invalidToken(await stock(bearer(token), 5))).to.equal('the token has expired');
      expect(invalidToken(await node.request('GET', PRIVATE, { headers: bearer(token) }))).to.equal('the token has expired');
      expect((await node.request('GET', CATALOGUE, { headers: bearer(token) })).status).to.equal(200);
    });

    it('a token signed by a key the issuer does not publish, unsigned (alg none), or naming another issuer is refused', async () => {
      expect(invalidToken(await stock(bearer(await provider.sign(ANNE, { foreignKey: true })), 6))).to.contain('key');
      expect(invalidToken(await stock(bearer(provider.unsigned(ANNE)), 6))).to.equal('the token is not signed with an accepted algorithm');
      // Signed by our provider's key, but claiming another issuer: that issuer is not configured.
      expect(invalidToken(await stock(bearer(await provider.sign(ANNE, { issuer: other.issuer })), 6))).to.equal('tokens of this issuer are not accepted here');
      // Signed by another provider's key, claiming our issuer: its key is not in our issuer's JWKS.
      const forged = await other.sign(ANNE, { issuer: provider.issuer });
      invalidToken(await stock(bearer(forged), 6));
      // A token that is no JWT at all.
      invalidToken(await stock(bearer('a.b.c'), 6));
    });

    it('picks up a rotated key', async () => {
      expect((await stock(bearer(await provider.sign(ANNE)), 7)).status).to.equal(200);
      await provider.rotate();
      expect((await stock(bearer(await provider.sign(ANNE)), 8)).status).to.equal(200);
    });

    it('checks the audience when one is configured', async () => {
      expect((await admin('POST', '/api/admin/oidc/issuers', { issuer: provider.issuer, audience: 'maillon' })).status).to.equal(201);
      try {
        expect(invalidToken(await stock(bearer(await provider.sign(ANNE)), 9))).to.equal('the token\'s aud claim is not valid here');
        expect(invalidToken(await stock(bearer(await provider.sign(ANNE, { audience: 'ailleurs' })), 9))).to.equal('the token\'s aud claim is not valid here');
        expect((await stock(bearer(await provider.sign(ANNE, { audience: 'maillon' })), 9)).status).to.equal(200);
      } finally {
        await admin('POST', '/api/admin/oidc/issuers', { issuer: provider.issuer, audience: null });
      }
    });

    it('a token with not-before in the future is refused', async () => {
      const token = await provider.sign({ ...ANNE, nbf: Math.floor(Date.now() / 1000) + 600 });
      expect(invalidToken(await stock(bearer(token), 10))).to.equal('the token\'s nbf claim is not valid here');
    });

    it('a grantee subscribes to its enterprise\'s changes; revoking the grant removes the subscription', async () => {
      const token = await provider.sign(ANNE);
      const hook = 'http://127.0.0.1:9/hook';
      const created = await node.request('POST', '/api/dfc/subscriptions', {
        headers: { ...JSON_TYPE, ...bearer(token) }, body: JSON.stringify({ callback: hook, enterprise: 'ferme' }),
      });
      expect(created.status, created.text).to.equal(201);
      const mine = (await node.request('GET', '/api/dfc/subscriptions', { headers: bearer(token) })).json<{ id: string }[]>();
      expect(mine).to.have.length(1);
      expect((await node.store.feed.deliverableSubscriptions()).map((s) => s.id)).to.include(mine[0]?.id);
      const grant = (await node.store.oidc.listGrants('ferme')).find((g) => g.kind === 'email');
      expect(await node.store.oidc.revokeGrant(grant?.id ?? 0)).to.equal(true);
      expect(await node.store.feed.getSubscription(mine[0]?.id ?? '')).to.equal(undefined);
      await node.store.oidc.grant({ kind: 'email', subject: 'anne@ferme.example', eid: 'ferme', scopes: ['ReadProducts', 'WriteProducts', 'WriteOrders'] });
    });

    it('the admin API refuses what is not the admin\'s, and lets an enterprise grant the scopes it holds', async () => {
      const anne = await provider.sign(ANNE);
      expectProblem(await node.request('GET', '/api/admin/oidc/issuers', { headers: bearer(anne) }), 403);
      expectProblem(await node.request('GET', '/api/admin/oidc/issuers'), 401);
      const owner = await node.token('voisin', ['WriteEnterprise', 'ReadProducts']);
      const post = (body: unknown) => node.request('POST', '/api/admin/grants', { headers: { ...JSON_TYPE, ...bearer(owner) }, body: JSON.stringify(body) });
      expect((await post({ email: 'dora@voisin.example', enterprise: 'voisin', scopes: ['ReadProducts'] })).status).to.equal(201);
      expect(expectProblem(await post({ email: 'dora@voisin.example', enterprise: 'voisin', scopes: ['WriteOrders'] }), 403).detail).to.contain('WriteOrders');
      expectProblem(await post({ email: 'dora@voisin.example', enterprise: 'ferme', scopes: ['ReadProducts'] }), 403);
      expectProblem(await post({ enterprise: 'voisin', scopes: ['ReadProducts'] }), 422);
      expectProblem(await post({ email: 'dora@voisin.example', enterprise: 'voisin', scopes: ['Everything'] }), 422);
      const listed = (await node.request('GET', '/api/admin/grants?enterprise=voisin', { headers: bearer(owner) })).json<{ email?: string }[]>();
      expect(listed.map((g) => g.email)).to.include('dora@voisin.example');
    });
  });
});

describe('OpenID Connect: the command line', function () {
  this.timeout(60_000);
  let dir: string;
  let common: string[];
  const cli = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = '';
    let err = '';
    const code = await run([...argv, ...common], { out: (text) => void (out += text), err: (text) => void (err += text) });
    return { code, out, err };
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-cli-oidc-'));
    common = ['--db', join(dir, 'node.db'), '--data-dir', dir, '--base-url', 'http://node.test'];
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('oidc issuer add (a preset or a URL, with an audience), list, remove', async () => {
    expect((await cli('oidc', 'issuer', 'add', 'les-communs')).code).to.equal(0);
    expect((await cli('oidc', 'issuer', 'add', 'https://login.example/realms/x/', '--audience', 'maillon')).code).to.equal(0);
    const listed = await cli('oidc', 'issuer', 'list');
    expect(listed.out).to.contain('https://login.lescommuns.org/auth/realms/data-food-consortium');
    expect(listed.out).to.contain('https://login.example/realms/x\tmaillon');
    expect((await cli('oidc', 'issuer', 'remove', 'https://login.example/realms/x')).code).to.equal(0);
    expect((await cli('oidc', 'issuer', 'list')).out).to.not.contain('login.example');
    expect((await cli('oidc', 'issuer', 'remove', 'https://login.example/realms/x')).code).to.equal(1);
    expect(await cli('oidc', 'issuer', 'add', 'ftp://nope').catch((e: unknown) => String(e))).to.contain('no http(s) URL');
  });

  it('grant, grant list, grant revoke', async () => {
    expect((await cli('enterprise', 'add', '--id', 'ferme', '--name', 'Ferme')).code).to.equal(0);
    const granted = await cli('grant', '--oidc-email', 'anne@ferme.example', '--enterprise', 'ferme', '--scopes', 'ReadProducts,WriteOrders');
    expect(granted.code, granted.err).to.equal(0);
    const id = /grant (\d+)/u.exec(granted.out)?.[1] ?? '';
    expect((await cli('grant', '--oidc-client-id', 'ofn', '--enterprise', 'ferme', '--scopes', 'ReadProducts')).code).to.equal(0);
    const listed = await cli('grant', 'list');
    expect(listed.out).to.contain('email=anne@ferme.example\tferme\tReadProducts,WriteOrders');
    expect(listed.out).to.contain('client_id=ofn');
    expect((await cli('grant', 'revoke', id)).code).to.equal(0);
    expect((await cli('grant', 'list', '--enterprise', 'ferme')).out).to.not.contain('anne');
    expect((await cli('grant', '--oidc-email', 'x@y', '--enterprise', 'nowhere', '--scopes', 'ReadProducts')).code).to.equal(1);
    expect(await cli('grant', '--oidc-email', 'x@y', '--enterprise', 'ferme', '--scopes', 'Nope').catch((e: unknown) => String(e))).to.contain('unknown scope');
    // With two issuers, a grant names the one its identity is of.
    expect((await cli('oidc', 'issuer', 'add', 'https://login.one.example/realms/a')).code).to.equal(0);
    const second = await cli('oidc', 'issuer', 'add', 'https://login.two.example/realms/b');
    expect(second.code).to.equal(0);
    // The client id grant made without an issuer matches nothing now: said at once, and in the list.
    expect(second.err).to.contain('they match no token');
    expect((await cli('grant', 'list')).out).to.match(/client_id=ofn\tferme\tReadProducts\t\(none: several issuers are configured/u);
    expect(await cli('grant', '--oidc-sub', 'u-1', '--enterprise', 'ferme', '--scopes', 'ReadProducts').catch((e: unknown) => String(e)))
      .to.contain('several OpenID issuers are configured');
    expect((await cli('grant', '--oidc-email', 'gil@ferme.example', '--enterprise', 'ferme', '--scopes', 'ReadProducts')).code).to.equal(0);
    const named = await cli('grant', '--oidc-sub', 'u-1', '--enterprise', 'ferme', '--scopes', 'ReadProducts', '--issuer', 'https://login.two.example/realms/b');
    expect(named.code, named.err).to.equal(0);
  });
});
