/**
 * OpenID Connect on SQLite: issuers, grants matched by subject and issuer, peers' credentials; migration 11
 * keeps the subscriptions made before it, and still drops those of a deleted token.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDatabase } from '../../../server/store/sqlite/database.js';
import { migrate, MIGRATIONS } from '../../../server/store/sqlite/migrations.js';
import { SqliteStore } from '../../../server/store/sqlite/sqlite-store.js';
import { readRows } from '../../helpers/sqlite.js';

const ISSUER = 'https://login.example/realms/x';

describe('store: OpenID Connect', () => {
  let dir: string;
  let store: SqliteStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-oidc-'));
    store = await SqliteStore.open({ path: join(dir, 'node.db'), baseUrl: 'https://a.example' });
    await store.createEnterprise('ferme', 'https://a.example/api/dfc/enterprises/ferme', []);
    await store.createEnterprise('voisin', 'https://a.example/api/dfc/enterprises/voisin', []);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds, changes, lists and removes issuers', async () => {
    await store.oidc.addIssuer(ISSUER, null);
    expect((await store.oidc.addIssuer(ISSUER, 'maillon')).audience).to.equal('maillon');
    expect(await store.oidc.listIssuers()).to.have.length(1);
    expect((await store.oidc.getIssuer(ISSUER))?.audience).to.equal('maillon');
    expect(await store.oidc.removeIssuer(ISSUER)).to.equal(true);
    expect(await store.oidc.removeIssuer(ISSUER)).to.equal(false);
  });

  it('matches grants by any subject of the token, of its issuer or of any, e-mail whatever its case', async () => {
    await store.oidc.grant({ kind: 'email', subject: 'Anne@Ferme.example', eid: 'ferme', scopes: ['ReadProducts'] });
    await store.oidc.grant({ kind: 'email', subject: 'anne@ferme.example', eid: 'ferme', scopes: ['ReadProducts', 'WriteOrders'] });
    await store.oidc.grant({ issuer: ISSUER, kind: 'sub', subject: 'u-1', eid: 'voisin', scopes: ['ReadOrders'] });
    await store.oidc.grant({ issuer: 'https://elsewhere.example', kind: 'sub', subject: 'u-1', eid: 'voisin', scopes: ['WriteOrders'] });
    const found = await store.oidc.grantsFor(ISSUER, [{ kind: 'email', subject: 'ANNE@ferme.example' }, { kind: 'sub', subject: 'u-1' }]);
    expect(found.map((g) => [g.eid, g.scopes.join(',')])).to.deep.equal([['ferme', 'ReadProducts,WriteOrders'], ['voisin', 'ReadOrders']]);
    expect(await store.oidc.grantsFor(ISSUER, [])).to.deep.equal([]);
    expect(await store.oidc.listGrants('voisin')).to.have.length(2);
  });

  it('matches a grant by sub that names no issuer for the only issuer configured, none with several; an e-mail one for any', async () => {
    await store.oidc.grant({ kind: 'sub', subject: 'u-9', eid: 'ferme', scopes: ['ReadProducts'] });
    await store.oidc.grant({ kind: 'email', subject: 'bea@ferme.example', eid: 'ferme', scopes: ['ReadOrders'] });
    const matched = async (issuer: string): Promise<string[]> =>
      (await store.oidc.grantsFor(issuer, [{ kind: 'sub', subject: 'u-9' }, { kind: 'email', subject: 'bea@ferme.example' }])).map((g) => g.kind);
    await store.oidc.addIssuer(ISSUER, null);
    expect(await matched(ISSUER)).to.deep.equal(['sub', 'email']);
    await store.oidc.addIssuer('https://elsewhere.example', null);
    expect(await matched(ISSUER)).to.deep.equal(['email']);
    expect(await matched('https://elsewhere.example')).to.deep.equal(['email']);
  });

  it('keeps a peer\'s credentials and the tokens it got, and forgets the token when the credentials change', async () => {
    const peer = await store.provenance.addPeer({ name: 'p', url: 'https://p.example/api/dfc' }, 'https://p.example');
    await store.oidc.setPeerCredentials({ peerId: peer.id, issuer: ISSUER, clientId: 'c', clientSecret: 's', refreshToken: null, scope: null });
    await store.oidc.savePeerToken(peer.id, { accessToken: 'at', expiresAt: '2030-01-01T00:00:00.000Z', refreshToken: 'rt' });
    expect(await store.oidc.peerCredentials(peer.id)).to.include({ accessToken: 'at', refreshToken: 'rt', clientSecret: 's' });
    await store.oidc.setPeerCredentials({ peerId: peer.id, issuer: ISSUER, clientId: 'c', clientSecret: 't', refreshToken: null, scope: null });
    expect(await store.oidc.peerCredentials(peer.id)).to.include({ accessToken: null, clientSecret: 't' });
    await store.provenance.removePeer(peer.id);
    expect(await store.oidc.peerCredentials(peer.id)).to.equal(undefined);
  });

  it('lists the peers at one origin, each saying whether the node holds OpenID Connect credentials for it', async () => {
    const a = await store.provenance.addPeer({ name: 'a', url: 'https://p.example/api/dfc/enterprises/a' }, 'https://p.example');
    const b = await store.provenance.addPeer({ name: 'b', url: 'https://p.example/api/dfc/enterprises/b', token: 'tb' }, 'https://p.example');
    await store.provenance.addPeer({ name: 'c', url: 'https://q.example/api/dfc' }, 'https://q.example');
    await store.oidc.setPeerCredentials({ peerId: a.id, issuer: ISSUER, clientId: 'c', clientSecret: 's', refreshToken: null, scope: null });
    const at = await store.provenance.peersAt('https://p.example');
    expect(at.map((p) => [p.name, p.oidc, p.token])).to.deep.equal([['a', true, null], ['b', false, 'tb']]);
    // Each as the full list has it.
    const listed = await store.provenance.listPeers();
    expect(at.map(({ oidc: _oidc, ...peer }) => peer)).to.deep.equal(listed.filter((p) => p.origin === 'https://p.example'));
    expect(await store.provenance.peersAt('https://p.example:8443')).to.deep.equal([]);
    await store.oidc.clearPeerCredentials(a.id);
    expect((await store.provenance.peersAt('https://p.example')).map((p) => p.oidc)).to.deep.equal([false, false]);
    expect(b.id).to.be.greaterThan(a.id);
  });

  it('migration 11 keeps the subscriptions made before it, and a deleted token still takes its own', async () => {
    const file = join(dir, 'old.db');
    const db = await SqliteDatabase.open(file);
    try {
      await db.transaction(async (tx) => {
        await tx.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
        for (const m of MIGRATIONS.filter((x) => x.version < 11)) {
          await tx.exec(m.sql);
          await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, 'then']);
        }
        await tx.run("INSERT INTO tokens (id, hash, eid, scopes, created_at) VALUES ('t1', 'h1', NULL, '', 'then'), ('t2', 'h2', NULL, '', 'then')");
        await tx.run(`INSERT INTO subscriptions (id, token_id, eid, callback, secret, created_at, delivered_seq)
                      VALUES ('s1', 't1', NULL, 'https://c.example', 'x', 'then', 3), ('s2', 't2', NULL, 'https://c.example', 'y', 'then', 4)`);
      });
      expect(await migrate(db)).to.include(11);
      await db.transaction((tx) => tx.run("DELETE FROM tokens WHERE id = 't1'"));
    } finally {
      await db.close();
    }
    expect(await readRows(file, 'SELECT id, token_id, delivered_seq FROM subscriptions ORDER BY id')).to.deep.equal([
      { id: 's2', token_id: 't2', delivered_seq: 4 },
    ]);
  });
});
