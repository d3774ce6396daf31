/**
 * A node as an OpenID Connect client (issue 11): a peer that demands access tokens from its issuer is synced
 * with tokens this node gets itself, with client credentials or a user's refresh token; a token the peer
 * refuses is renewed once and the request retried once; a token about to expire is renewed before use; no
 * secret reaches `peer status` or the stored error; a webhook subscription at such a peer is registered with a token.
 */
import { expect } from 'chai';
import { run } from '../../server/cli/main.js';
import type { PeerRow } from '../../server/store/federation.js';
import { startFederationNode, type FederationNode } from '../helpers/federation.js';
import { startInProcess, type InProcessNode } from '../helpers/in-process.js';
import { startOidcProvider, type OidcProvider } from '../helpers/oidc-provider.js';

describe('a peer that demands OpenID Connect tokens', function () {
  this.timeout(60_000);
  let provider: OidcProvider;
  let a: InProcessNode;
  let b: InProcessNode;
  let peer: PeerRow;

  const cli = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = '';
    let err = '';
    const code = await run([...argv, '--db', a.db, '--data-dir', a.dir, '--allow-private'], { out: (t) => void (out += t), err: (t) => void (err += t) });
    return { code, out, err };
  };
  /** The Authorization headers node B received. */
  const seen: string[] = [];

  before(async () => {
    provider = await startOidcProvider();
    provider.clients.set('maillon-a', { secret: 'very-secret-1', claims: { client_id: 'maillon-a', sub: 'service-account-maillon-a' } });
    b = await startInProcess({ base: 'http://b.test' });
    await b.seed('cache', { private: true });
    await b.store.oidc.addIssuer(provider.issuer, null);
    await b.store.oidc.grant({ kind: 'client_id', subject: 'maillon-a', eid: 'cache', scopes: ['ReadEnterprise', 'ReadProducts'] });
    b.server.prependListener('request', (req: { headers: Record<string, string | undefined> }) => {
      const auth = req.headers['authorization'];
      if (auth !== undefined) seen.push(auth);
    });
    a = await startInProcess({ base: 'http://a.test' });
    peer = await a.store.provenance.addPeer({ name: 'cache', url: `${b.url}/api/dfc/enterprises/cache/catalog_items` }, b.url);
  });
  after(async () => {
    await a.close();
    await b.close();
    await provider.close();
  });

  it('without credentials the private catalogue is out of reach', async () => {
    const outcome = await a.engine.sync(peer);
    expect(outcome.ok).to.equal(false);
  });

  it('with client credentials (peer set), the node gets a token, syncs, and keeps using the token while it is valid', async () => {
    const set = await cli('peer', 'set', String(peer.id), '--oidc-issuer', provider.issuer, '--client-id', 'maillon-a', '--client-secret', 'very-secret-1');
    expect(set.code, set.err).to.equal(0);
    expect(set.out).to.not.contain('very-secret-1');
    const outcome = await a.engine.sync((await a.store.provenance.getPeer(peer.id)) as PeerRow);
    expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
    expect(outcome.ok && outcome.summary.added).to.be.greaterThan(0);
    expect(provider.issued).to.have.length(1);
    expect(seen).to.include(`Bearer ${provider.issued[0] ?? ''}`);
    expect((await a.engine.sync(peer)).ok).to.equal(true);
    expect(provider.issued).to.have.length(1);
    const status = await cli('peer', 'status', String(peer.id));
    expect(status.out).to.contain('OpenID Connect: client credentials of client maillon-a');
    expect(status.out).to.not.contain('very-secret-1').and.not.contain(provider.issued[0] ?? 'x');
  });

  it('a token the peer refuses (401) is renewed once and the request retried once', async () => {
    await a.store.oidc.savePeerToken(peer.id, { accessToken: 'revoked-token', expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    const outcome = await a.engine.sync(peer);
    expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
    expect(provider.issued).to.have.length(2);
    expect(seen).to.include('Bearer revoked-token');
    expect((await a.store.oidc.peerCredentials(peer.id))?.accessToken).to.equal(provider.issued[1]);
  });

  it('a token about to expire is renewed before it is used', async () => {
    await a.store.oidc.savePeerToken(peer.id, { accessToken: provider.issued[1] ?? '', expiresAt: new Date(Date.now() + 5_000).toISOString() });
    expect((await a.engine.sync(peer)).ok).to.equal(true);
    expect(provider.issued).to.have.length(3);
  });

  it('with a user\'s refresh token: the node refreshes, keeps the rotated refresh token, and syncs', async () => {
    provider.refreshTokens.set('rt-1', { client_id: 'maillon-a' });
    expect((await cli('peer', 'set', String(peer.id), '--oidc-issuer', provider.issuer, '--client-id', 'maillon-a', '--refresh-token', 'rt-1')).code).to.equal(0);
    expect((await a.engine.sync(peer)).ok).to.equal(true);
    const stored = await a.store.oidc.peerCredentials(peer.id);
    expect(stored?.refreshToken).to.match(/^rt-/u).and.not.equal('rt-1');
    expect(provider.refreshTokens.has(stored?.refreshToken ?? '')).to.equal(true);
    expect((await cli('peer', 'status', String(peer.id))).out).to.contain('a refresh token').and.not.contain(stored?.refreshToken ?? 'x');
  });

  it('a refused client secret fails the sync, and the stored error holds no secret', async () => {
    expect((await cli('peer', 'set', String(peer.id), '--oidc-issuer', provider.issuer, '--client-id', 'maillon-a', '--client-secret', 'wrong-secret-2')).code).to.equal(0);
    const outcome = await a.engine.sync(peer);
    expect(outcome.ok).to.equal(false);
    const stored = await a.store.provenance.getPeer(peer.id);
    expect(stored?.lastError).to.contain('the issuer refused a token');
    expect(stored?.lastError).to.not.contain('wrong-secret-2');
    expect((await cli('peer', 'set', String(peer.id), '--no-oidc')).code).to.equal(0);
    expect(await a.store.oidc.peerCredentials(peer.id)).to.equal(undefined);
  });
});

describe('a subscription at a peer that demands OpenID Connect tokens', function () {
  this.timeout(60_000);
  let provider: OidcProvider;
  let a: InProcessNode;
  let b: FederationNode;

  before(async () => {
    provider = await startOidcProvider();
    provider.clients.set('maillon-a', { secret: 'very-secret-3' });
    b = await startFederationNode();
    await b.seed('ferme-des-trois-chenes', 'ferme');
    await b.node.store.oidc.addIssuer(provider.issuer, null);
    await b.node.store.oidc.grant({ kind: 'client_id', subject: 'maillon-a', eid: 'ferme', scopes: ['ReadProducts'] });
    a = await startInProcess({ base: 'http://a.test' });
  });
  after(async () => {
    await a.close();
    await b.close();
    await provider.close();
  });

  it('registers the webhook with an access token of its own: the peer\'s subscription is owned by our client id', async () => {
    const peer = await a.store.provenance.addPeer({ name: 'b', url: `${b.url}/api/dfc/enterprises/ferme` }, b.url);
    const refused = await a.request('POST', `/api/sync/peers/${peer.id}/subscribe`, { headers: { authorization: `Bearer ${a.adminToken}` } });
    expect(refused.status, 'without a token, ReadProducts is missing').to.not.equal(200);
    // The network view says why: one failed attempt, its reason.
    const failed = await a.store.feed.peerPush(peer.id);
    expect(failed).to.include({ failures: 1, subscribedAt: null });
    expect(failed.lastError).to.include('refused');
    await a.store.oidc.setPeerCredentials({ peerId: peer.id, issuer: provider.issuer, clientId: 'maillon-a', clientSecret: 'very-secret-3', refreshToken: null, scope: null });
    const subscribed = await a.request('POST', `/api/sync/peers/${peer.id}/subscribe`, { headers: { authorization: `Bearer ${a.adminToken}` } });
    expect(subscribed.status, subscribed.text).to.equal(200);
    expect(await a.store.feed.peerPush(peer.id)).to.include({ failures: 0, lastError: null });
    expect((await b.node.store.feed.listSubscriptions()).map((row) => [row.tokenId, row.eid])).to.deep.equal([[`oidc:${provider.issuer}#maillon-a`, 'ferme']]);
  });
});
