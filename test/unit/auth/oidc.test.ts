/**
 * The OpenID Connect verifier alone, with a stub JSON fetch: what it asks of the issuer (discovery, then keys),
 * its cache and cooldown, an issuer that cannot be reached or answers nonsense, issuer presets; and the bounded
 * JSON fetch it is given in production.
 */
import { ServiceUnavailableHttpError } from '../../../server/errors/http-error.js';
import { expect } from 'chai';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { normalIssuer, OidcVerifier, subjectsOf, type JsonFetch } from '../../../server/auth/oidc.js';
import { failure } from '../../../server/errors/failure.js';
import { fetchJson, SMALL_JSON_BYTES } from '../../../server/net/json-fetch.js';
import { DEFAULT_FETCH_POLICY, safeFetch } from '../../../server/net/safe-fetch.js';
import type { OidcGrantRow, OidcIssuerRow, OidcStore } from '../../../server/store/oidc.js';
import { startFakePeer } from '../../helpers/fake-peer.js';

const ISSUER = 'https://login.example/realms/x';

function stubStore(grants: OidcGrantRow[] = []): OidcStore {
  const issuers: OidcIssuerRow[] = [{ issuer: ISSUER, audience: null, createdAt: 'now' }];
  const unused = (): never => {
    throw new Error('not used');
  };
  return {
    addIssuer: unused, listIssuers: unused, removeIssuer: unused, grant: unused, listGrants: unused, getGrant: unused, revokeGrant: unused,
    setPeerCredentials: unused, peerCredentials: unused, clearPeerCredentials: unused, savePeerToken: unused,
    getIssuer: async (issuer) => issuers.find((i) => i.issuer === issuer),
    grantsFor: async () => grants,
  };
}

interface Key { kid: string; privateKey: CryptoKey; jwk: JWK }
async function key(kid: string): Promise<Key> {
  const pair = await generateKeyPair('ES256', { extractable: true });
  return { kid, privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256' } };
}
/** Signs claims as the issuer would; an e-mail is a verified one unless `email_verified` is given. */
const sign = (k: Key, claims: Record<string, unknown> = { email: 'a@b.example' }) =>
  new SignJWT(typeof claims['email'] === 'string' && !('email_verified' in claims) ? { ...claims, email_verified: true } : claims).setProtectedHeader({ alg: 'ES256', kid: k.kid }).setIssuer(ISSUER).setIssuedAt().setExpirationTime('5m').sign(k.privateKey);

describe('auth: the OpenID Connect verifier', () => {
  let k1: Key;
  let k2: Key;
  let published: JWK[];
  let asked: string[];
  let discovery: unknown;
  const fetchJsonStub: JsonFetch = async (url) => {
    asked.push(url);
    if (url === `${ISSUER}/.well-known/openid-configuration`) return { ok: true, value: discovery };
    if (url === `${ISSUER}/certs`) return { ok: true, value: { keys: published } };
    return { ok: false, failure: failure('http-status', 'not found', url, 404) };
  };

  before(async () => {
    k1 = await key('k1');
    k2 = await key('k2');
  });
  beforeEach(() => {
    published = [k1.jwk];
    asked = [];
    discovery = { issuer: ISSUER, jwks_uri: `${ISSUER}/certs` };
  });

  it('fetches the discovery document, then the keys, once; maps grants into scopes per enterprise', async () => {
    const grants: OidcGrantRow[] = [
      { id: 1, issuer: null, kind: 'email', subject: 'a@b.example', eid: 'ferme', scopes: ['ReadProducts', 'NotAScope'], createdAt: 'now' },
      { id: 2, issuer: ISSUER, kind: 'sub', subject: 'u', eid: 'ferme', scopes: ['WriteOrders'], createdAt: 'now' },
    ];
    const verifier = new OidcVerifier({ store: stubStore(grants), fetchJson: fetchJsonStub });
    const check = await verifier.verify(await sign(k1, { email: 'A@B.example', sub: 'u' }));
    expect(check?.ok).to.equal(true);
    if (check?.ok !== true) return;
    expect(check.principal.tokenId).to.equal(`oidc:${ISSUER}#a@b.example`);
    expect([...(check.principal.grants?.get('ferme') ?? [])]).to.deep.equal(['ReadProducts', 'WriteOrders']);
    await verifier.verify(await sign(k1));
    expect(asked).to.deep.equal([`${ISSUER}/.well-known/openid-configuration`, `${ISSUER}/certs`]);
  });

  it('an unknown key id fetches the keys again, at most once per cooldown', async () => {
    const verifier = new OidcVerifier({ store: stubStore(), fetchJson: fetchJsonStub, cooldownMs: 60_000 });
    expect((await verifier.verify(await sign(k1)))?.ok).to.equal(true);
    published = [k2.jwk];
    expect((await verifier.verify(await sign(k2)))?.ok).to.equal(true);
    expect(asked.filter((u) => u.endsWith('/certs'))).to.have.length(2);
    const k3 = await key('k3');
    const refused = await verifier.verify(await sign(k3));
    expect(refused).to.deep.equal({ ok: false, reason: 'the token is signed by a key its issuer does not publish' });
    expect(asked.filter((u) => u.endsWith('/certs'))).to.have.length(2);
  });

  it('an issuer that cannot be reached, or whose discovery document lies, refuses its tokens with a reason', async () => {
    let fetched = 0;
    const down = new OidcVerifier({ store: stubStore(), fetchJson: async (url) => {
      fetched += 1;
      return { ok: false, failure: failure('network', 'refused', url) };
    } });
    // Down, not the token bad: a 503 to retry (a 401 would make a client drop a good token), and the issuer is asked
    // again only after a cooldown, not for each request that names it.
    for (let i = 0; i < 5; i++) {
      const error = await down.verify(await sign(k1)).then(() => undefined, (thrown: unknown) => thrown);
      expect(error).to.be.instanceOf(ServiceUnavailableHttpError);
      expect((error as ServiceUnavailableHttpError).message).to.equal(`the token's issuer (${ISSUER}) cannot be reached to check its signature: retry later`);
    }
    expect(fetched).to.equal(1);
    for (const document of [{ issuer: 'https://evil.example', jwks_uri: `${ISSUER}/certs` }, { issuer: ISSUER }, 'text', { issuer: ISSUER, jwks_uri: `${ISSUER}/nothing` }]) {
      discovery = document;
      const verifier = new OidcVerifier({ store: stubStore(), fetchJson: fetchJsonStub });
      expect((await verifier.verify(await sign(k1)))?.ok, JSON.stringify(document)).to.equal(false);
    }
  });

  it('keys fetched before still verify while the issuer is down', async () => {
    let up = true;
    const verifier = new OidcVerifier({
      store: stubStore(), keysMaxAgeMs: 0,
      fetchJson: async (url) => (up ? fetchJsonStub(url) : { ok: false, failure: failure('network', 'down', url) }),
    });
    expect((await verifier.verify(await sign(k1)))?.ok).to.equal(true);
    up = false;
    expect((await verifier.verify(await sign(k1)))?.ok).to.equal(true);
  });

  it('leaves what is no JWT to others, and refuses a JWT without a subject', async () => {
    const verifier = new OidcVerifier({ store: stubStore(), fetchJson: fetchJsonStub });
    expect(await verifier.verify('mln_abcdef')).to.equal(undefined);
    expect((await verifier.verify('e30.e30.'))?.ok).to.equal(false);
    expect(await verifier.verify(await sign(k1, {}))).to.deep.equal({ ok: false, reason: 'the token names no subject (email, client_id or sub)' });
  });

  it('names subjects by email, client_id (or Keycloak\'s clientId), then sub; issuers by preset or URL', () => {
    expect(subjectsOf({ clientId: 'ofn', sub: 's' })).to.deep.equal([{ kind: 'client_id', subject: 'ofn' }, { kind: 'sub', subject: 's' }]);
    expect(normalIssuer('les-communs')).to.equal('https://login.lescommuns.org/auth/realms/data-food-consortium');
    expect(normalIssuer('https://login.example/realms/x/')).to.equal(ISSUER);
    expect(normalIssuer('ftp://x')).to.equal(undefined);
    expect(normalIssuer('https://x.example/?a=1')).to.equal(undefined);
    expect(normalIssuer('not a url')).to.equal(undefined);
  });
});

describe('net: small JSON documents', () => {
  it('are bounded in size, and must be JSON', async () => {
    const peer = await startFakePeer((req, res) => {
      if (req.url === '/big') res.writeHead(200, { 'content-type': 'application/json' }).end(`"${'x'.repeat(SMALL_JSON_BYTES + 10)}"`);
      else if (req.url === '/html') res.writeHead(200, { 'content-type': 'text/html' }).end('<html>');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": []}');
    });
    try {
      const policy = { ...DEFAULT_FETCH_POLICY, allowPrivate: true };
      expect(await fetchJson(safeFetch, policy, `${peer.base}/ok`)).to.deep.equal({ ok: true, value: { keys: [] } });
      const big = await fetchJson(safeFetch, policy, `${peer.base}/big`);
      expect(big.ok === false && big.failure.kind).to.equal('too-large');
      const html = await fetchJson(safeFetch, policy, `${peer.base}/html`);
      expect(html.ok === false && html.failure.kind).to.equal('decode');
      const refused = await fetchJson(safeFetch, DEFAULT_FETCH_POLICY, `${peer.base}/ok`);
      expect(refused.ok === false && refused.failure.kind).to.equal('private-address');
    } finally {
      await peer.close();
    }
  });
});
