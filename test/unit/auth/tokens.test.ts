/**
 * API tokens on a real SQLite store: random, stored as a SHA-256 hash only, bound to an enterprise or the node
 * admin and to DFC scopes; revocation; what a principal is allowed.
 */
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import {
  actsFor, allows, authenticate, isAdmin, hashToken, isScope, issueToken, scopeIri, SCOPES, type Principal, type Scope,
} from '../../../server/auth/tokens.js';
import { startInProcess, type InProcessNode } from '../../helpers/in-process.js';

describe('auth: tokens', function () {
  let node: InProcessNode;
  before(async () => {
    node = await startInProcess();
    await node.seed('ferme');
  });
  after(async () => node.close());

  it('hashes with SHA-256, as hex', () => {
    expect(hashToken('mln_abc')).to.equal(createHash('sha256').update('mln_abc').digest('hex'));
    expect(hashToken('mln_abc')).to.match(/^[0-9a-f]{64}$/u).and.not.equal(hashToken('mln_abd'));
  });

  it('issues random prefixed tokens and stores only their hash', async () => {
    const a = await issueToken(node.store, { eid: 'ferme', scopes: ['ReadProducts'], label: 'boutique' });
    const b = await issueToken(node.store, { eid: 'ferme', scopes: ['ReadProducts'] });
    expect(a.token).to.match(/^mln_[A-Za-z0-9_-]{43}$/u);
    expect(a.token).to.not.equal(b.token);
    expect(a.row).to.include({ id: hashToken(a.token).slice(0, 16), eid: 'ferme', label: 'boutique', revokedAt: null });
    expect(a.row.scopes).to.deep.equal(['ReadProducts']);
    expect(await node.store.findTokenByHash(hashToken(a.token))).to.deep.include({ id: a.row.id });
    expect(await node.store.findTokenByHash(a.token)).to.equal(undefined);
    const listed = JSON.stringify(await node.store.listTokens('ferme'));
    expect(listed).to.include(a.row.id).and.not.include(a.token).and.not.include(hashToken(a.token));
  });

  it('authenticates a token into its principal; an unknown one into nothing', async () => {
    const { token, row } = await issueToken(node.store, { eid: 'ferme', scopes: ['ReadProducts', 'WriteProducts'] });
    const principal = await authenticate(node.store, token);
    expect(principal?.tokenId).to.equal(row.id);
    expect(principal?.eid).to.equal('ferme');
    expect([...(principal?.scopes ?? [])].sort()).to.deep.equal(['ReadProducts', 'WriteProducts']);
    expect(await authenticate(node.store, `${token}x`)).to.equal(undefined);
    expect(await authenticate(node.store, '')).to.equal(undefined);
  });

  it('a revoked token authenticates no more; revoking an unknown id says so', async () => {
    const { token, row } = await issueToken(node.store, { eid: 'ferme', scopes: ['ReadProducts'] });
    expect(await node.store.revokeToken(row.id)).to.equal(true);
    expect(await authenticate(node.store, token)).to.equal(undefined);
    expect((await node.store.findTokenByHash(hashToken(token)))?.revokedAt).to.be.a('string');
    expect(await node.store.revokeToken('0000000000000000')).to.equal(false);
  });

  it('drops stored scopes that are not DFC scopes', async () => {
    const token = 'mln_handmade';
    await node.store.createToken({ id: 'handmade00000000', hash: hashToken(token), eid: 'ferme', scopes: ['ReadProducts', 'DropTables'] });
    expect([...((await authenticate(node.store, token))?.scopes ?? [])]).to.deep.equal(['ReadProducts']);
  });

  it('an admin token is bound to no enterprise', async () => {
    const { token } = await issueToken(node.store, { eid: null, scopes: [] });
    const admin = await authenticate(node.store, token);
    expect(admin?.eid).to.equal(null);
    expect(allows(admin, 'WriteOrders', 'anything')).to.equal(true);
  });

  it('allows a scope on its own enterprise only; nothing without a principal', () => {
    const principal: Principal = { tokenId: 't', eid: 'ferme', scopes: new Set(['ReadProducts']) };
    expect(allows(principal, 'ReadProducts', 'ferme')).to.equal(true);
    expect(allows(principal, 'WriteProducts', 'ferme')).to.equal(false);
    expect(allows(principal, 'ReadProducts', 'voisin')).to.equal(false);
    expect(allows(undefined, 'ReadProducts', 'ferme')).to.equal(false);
  });

  it('a principal with grants holds scopes per enterprise, and is no admin', () => {
    const principal: Principal = {
      tokenId: 'oidc:https://login.example#anne@ferme.example', eid: '', scopes: new Set(),
      grants: new Map<string, ReadonlySet<Scope>>([['ferme', new Set<Scope>(['ReadProducts', 'WriteOrders'])], ['voisin', new Set<Scope>(['ReadOrders'])]]),
    };
    expect(allows(principal, 'ReadProducts', 'ferme')).to.equal(true);
    expect(allows(principal, 'WriteOrders', 'ferme')).to.equal(true);
    expect(allows(principal, 'ReadOrders', 'ferme')).to.equal(false);
    expect(allows(principal, 'ReadOrders', 'voisin')).to.equal(true);
    expect(allows(principal, 'ReadProducts', 'autre')).to.equal(false);
    expect(actsFor(principal, 'voisin')).to.equal(true);
    expect(actsFor(principal, 'autre')).to.equal(false);
    expect(isAdmin(principal)).to.equal(false);
    expect(isAdmin({ tokenId: 'a', eid: null, scopes: new Set() })).to.equal(true);
    expect(actsFor({ tokenId: 'a', eid: null, scopes: new Set() }, 'autre')).to.equal(true);
  });

  it('names the six DFC scopes with their taxonomy IRIs', () => {
    expect(SCOPES).to.deep.equal(['ReadEnterprise', 'WriteEnterprise', 'ReadProducts', 'WriteProducts', 'ReadOrders', 'WriteOrders']);
    expect(scopeIri('WriteProducts')).to.equal('http://w3id.org/dfc/taxonomies/scopes.rdf#WriteProducts');
    expect(isScope('ReadOrders')).to.equal(true);
    expect(isScope('readorders')).to.equal(false);
  });
});
