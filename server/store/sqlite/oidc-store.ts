/**
 * The SQLite implementation of {@link OidcStore}.
 *
 * @packageDocumentation
 */
import { forgetPeerCursor } from './feed-store.js';
import { normalEmail, type NewOidcGrant, type OidcGrantRow, type OidcIssuerRow, type OidcStore, type OidcSubjectKind, type PeerOidcRow } from '../oidc.js';
import type { SqliteDatabase } from './database.js';

interface GrantSql { id: number; issuer: string; kind: string; subject: string; eid: string; scopes: string; created_at: string }
interface PeerOidcSql {
  peer_id: number; issuer: string; client_id: string; client_secret: string | null; refresh_token: string | null; scope: string | null;
  access_token: string | null; expires_at: string | null;
}

function grantRow(row: GrantSql): OidcGrantRow {
  return {
    id: row.id, issuer: row.issuer === '' ? null : row.issuer, kind: row.kind as OidcSubjectKind, subject: row.subject, eid: row.eid,
    scopes: row.scopes.split(' ').filter((s) => s !== ''), createdAt: row.created_at,
  };
}

/** An e-mail address is matched whatever its case. */
function normalSubject(kind: OidcSubjectKind, subject: string): string {
  return kind === 'email' ? normalEmail(subject) : subject;
}

/** {@link OidcStore} on SQLite. */
export class SqliteOidcStore implements OidcStore {
  public constructor(private readonly db: SqliteDatabase) {}

  public async addIssuer(issuer: string, audience: string | null): Promise<OidcIssuerRow> {
    return this.db.transaction(async (tx) => {
      await tx.run(`INSERT INTO oidc_issuers (issuer, audience, created_at) VALUES (?, ?, ?)
                    ON CONFLICT (issuer) DO UPDATE SET audience = excluded.audience`, [issuer, audience, new Date().toISOString()]);
      const row = await tx.get<{ issuer: string; audience: string | null; created_at: string }>('SELECT * FROM oidc_issuers WHERE issuer = ?', [issuer]);
      return { issuer, audience: row?.audience ?? null, createdAt: row?.created_at ?? '' };
    });
  }

  public async getIssuer(issuer: string): Promise<OidcIssuerRow | undefined> {
    const row = await this.db.reader.get<{ issuer: string; audience: string | null; created_at: string }>('SELECT * FROM oidc_issuers WHERE issuer = ?', [issuer]);
    return row === undefined ? undefined : { issuer: row.issuer, audience: row.audience, createdAt: row.created_at };
  }

  public async listIssuers(): Promise<OidcIssuerRow[]> {
    const rows = await this.db.reader.all<{ issuer: string; audience: string | null; created_at: string }>('SELECT * FROM oidc_issuers ORDER BY issuer');
    return rows.map((r) => ({ issuer: r.issuer, audience: r.audience, createdAt: r.created_at }));
  }

  public async removeIssuer(issuer: string): Promise<boolean> {
    return this.db.transaction(async (tx) => (await tx.run('DELETE FROM oidc_issuers WHERE issuer = ?', [issuer])).changes > 0);
  }

  public async grant(grant: NewOidcGrant): Promise<OidcGrantRow> {
    const subject = normalSubject(grant.kind, grant.subject);
    const issuer = grant.issuer ?? '';
    return this.db.transaction(async (tx) => {
      await tx.run(`INSERT INTO oidc_grants (issuer, kind, subject, eid, scopes, created_at) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (issuer, kind, subject, eid) DO UPDATE SET scopes = excluded.scopes`,
      [issuer, grant.kind, subject, grant.eid, grant.scopes.join(' '), new Date().toISOString()]);
      return grantRow((await tx.get<GrantSql>('SELECT * FROM oidc_grants WHERE issuer = ? AND kind = ? AND subject = ? AND eid = ?',
        [issuer, grant.kind, subject, grant.eid])) as GrantSql);
    });
  }

  public async listGrants(eid?: string): Promise<OidcGrantRow[]> {
    const rows = eid === undefined
      ? await this.db.reader.all<GrantSql>('SELECT * FROM oidc_grants ORDER BY id')
      : await this.db.reader.all<GrantSql>('SELECT * FROM oidc_grants WHERE eid = ? ORDER BY id', [eid]);
    return rows.map(grantRow);
  }

  public async getGrant(id: number): Promise<OidcGrantRow | undefined> {
    const row = await this.db.reader.get<GrantSql>('SELECT * FROM oidc_grants WHERE id = ?', [id]);
    return row === undefined ? undefined : grantRow(row);
  }

  public async revokeGrant(id: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const row = await tx.get<GrantSql>('SELECT * FROM oidc_grants WHERE id = ?', [id]);
      if (row === undefined) return false;
      await tx.run('DELETE FROM oidc_grants WHERE id = ?', [id]);
      // The identity's subscriptions on that enterprise: 'oidc:<issuer>#<subject>', of that issuer or of any.
      await tx.run(
        `DELETE FROM subscriptions WHERE eid = ? AND token_id LIKE 'oidc:%' AND (token_id = 'oidc:' || ? || '#' || ?
           OR (? = '' AND length(token_id) > length(?) AND substr(token_id, -length(?) - 1) = '#' || ?))`,
        [row.eid, row.issuer, row.subject, row.issuer, row.subject, row.subject, row.subject]);
      return true;
    });
  }

  public async grantsFor(issuer: string, subjects: readonly { readonly kind: OidcSubjectKind; readonly subject: string }[]): Promise<OidcGrantRow[]> {
    if (subjects.length === 0) return [];
    const where = subjects.map(() => '(kind = ? AND subject = ?)').join(' OR ');
    // A grant that names no issuer: by a verified e-mail address, of any issuer configured (each one trusted to
    // verify addresses); by `sub` or client id, of the only issuer configured (unique within one issuer only: with
    // two, an identity of the one would take the rights granted to the other's).
    const rows = await this.db.reader.all<GrantSql>(`SELECT * FROM oidc_grants
      WHERE (issuer = ? OR (issuer = '' AND (kind = 'email' OR (SELECT COUNT(*) FROM oidc_issuers) = 1))) AND (${where}) ORDER BY id`,
      [issuer, ...subjects.flatMap((s) => [s.kind, normalSubject(s.kind, s.subject)])]);
    return rows.map(grantRow);
  }

  public async setPeerCredentials(row: Omit<PeerOidcRow, 'accessToken' | 'expiresAt'>): Promise<void> {
    await this.db.transaction(async (tx) => {
      // Other credentials may let us read more of the peer: its feed cursor goes, and the next sync reads it whole
      // (as a new token does). The same credentials given again keep it.
      const same = await tx.get<{ x: number }>(
        'SELECT 1 AS x FROM peer_oidc WHERE peer_id = ? AND issuer = ? AND client_id = ? AND client_secret IS ? AND refresh_token IS ? AND scope IS ?',
        [row.peerId, row.issuer, row.clientId, row.clientSecret, row.refreshToken, row.scope]);
      if (same === undefined) await forgetPeerCursor(tx, row.peerId);
      await tx.run(
        `INSERT INTO peer_oidc (peer_id, issuer, client_id, client_secret, refresh_token, scope) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (peer_id) DO UPDATE SET issuer = excluded.issuer, client_id = excluded.client_id, client_secret = excluded.client_secret,
           refresh_token = excluded.refresh_token, scope = excluded.scope, access_token = NULL, expires_at = NULL`,
        [row.peerId, row.issuer, row.clientId, row.clientSecret, row.refreshToken, row.scope]);
    });
  }

  public async peerCredentials(peerId: number): Promise<PeerOidcRow | undefined> {
    const row = await this.db.reader.get<PeerOidcSql>('SELECT * FROM peer_oidc WHERE peer_id = ?', [peerId]);
    return row === undefined ? undefined : {
      peerId: row.peer_id, issuer: row.issuer, clientId: row.client_id, clientSecret: row.client_secret, refreshToken: row.refresh_token,
      scope: row.scope, accessToken: row.access_token, expiresAt: row.expires_at,
    };
  }

  public async clearPeerCredentials(peerId: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const removed = (await tx.run('DELETE FROM peer_oidc WHERE peer_id = ?', [peerId])).changes > 0;
      // The peer is read with its plain token now, which may allow other records: read whole once, as after a new token.
      if (removed) await forgetPeerCursor(tx, peerId);
      return removed;
    });
  }

  public async savePeerToken(peerId: number, token: { accessToken: string; expiresAt: string | null; refreshToken?: string }): Promise<void> {
    await this.db.transaction((tx) => tx.run(
      'UPDATE peer_oidc SET access_token = ?, expires_at = ?, refresh_token = COALESCE(?, refresh_token) WHERE peer_id = ?',
      [token.accessToken, token.expiresAt, token.refreshToken ?? null, peerId]));
  }
}
