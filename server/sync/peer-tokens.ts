/**
 * Access tokens for peers that demand OpenID Connect ones (Open Food Network, a platform behind Keycloak): the
 * node gets them itself, with the peer's client credentials (`client_credentials`) or a user's refresh token
 * (`refresh_token`, user-delegated, `offline_access`), from the token endpoint of the issuer's discovery
 * document; keeps them in the database; renews them shortly before they expire, and once more when the peer
 * answers 401 (then the request is retried once, as Open Food Network does).
 *
 * Secrets (client secret, refresh and access tokens) live in the database only: no failure or log line
 * carries one.
 *
 * @packageDocumentation
 */
import { failure, type Failure } from '../errors/failure.js';
import { fetchJson } from '../net/json-fetch.js';
import type { FetchPolicy, SafeFetch } from '../net/safe-fetch.js';
import type { PeerRow } from '../store/federation.js';
import type { OidcStore, PeerOidcRow } from '../store/oidc.js';

/** A token for a peer: none needed (use its static token, if any), one, or why none could be had. */
export type PeerTokenOutcome = { readonly ok: true; readonly token: string } | { readonly ok: false; readonly failure: Failure } | undefined;

/** Where a sync gets a peer's access token (the port {@link PeerTokens} implements). */
export interface PeerTokenSource {
  /**
   * The access token to send to a peer that has OpenID Connect credentials; undefined for a peer without.
   *
   * @param renew - get a new one even if the one held has not expired (the peer refused it)
   */
  tokenFor(peer: Pick<PeerRow, 'id'>, renew?: boolean): Promise<PeerTokenOutcome>;
}

/** Options of {@link PeerTokens}. */
export interface PeerTokensArgs {
  readonly oidc: OidcStore;
  readonly fetch: SafeFetch;
  readonly policy: FetchPolicy;
  /** A token this close to its expiry is renewed before use, in ms (default 30 s). */
  readonly marginMs?: number;
}

/** Gets and renews peers' OpenID Connect access tokens. */
export class PeerTokens implements PeerTokenSource {
  private readonly endpoints = new Map<string, string>();
  /** One renewal at a time per peer: a rotated refresh token is used once. */
  private readonly renewing = new Map<number, Promise<PeerTokenOutcome>>();

  public constructor(private readonly args: PeerTokensArgs) {}

  public async tokenFor(peer: Pick<PeerRow, 'id'>, renew = false): Promise<PeerTokenOutcome> {
    const row = await this.args.oidc.peerCredentials(peer.id);
    if (row === undefined) return undefined;
    const fresh = row.accessToken !== null && (row.expiresAt === null || Date.parse(row.expiresAt) - Date.now() > (this.args.marginMs ?? 30_000));
    if (fresh && !renew && row.accessToken !== null) return { ok: true, token: row.accessToken };
    let pending = this.renewing.get(peer.id);
    if (pending === undefined) {
      pending = this.renew(row).finally(() => this.renewing.delete(peer.id));
      this.renewing.set(peer.id, pending);
    }
    return pending;
  }

  private async renew(row: PeerOidcRow): Promise<PeerTokenOutcome> {
    const endpoint = await this.tokenEndpoint(row.issuer);
    if (typeof endpoint !== 'string') return { ok: false, failure: endpoint };
    const form = new URLSearchParams();
    if (row.refreshToken !== null) {
      form.set('grant_type', 'refresh_token');
      form.set('refresh_token', row.refreshToken);
    } else if (row.clientSecret !== null) {
      form.set('grant_type', 'client_credentials');
    } else {
      return { ok: false, failure: failure('internal', 'the peer\'s OpenID credentials have neither a client secret nor a refresh token') };
    }
    if (row.scope !== null) form.set('scope', row.scope);
    form.set('client_id', row.clientId);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    // RFC 6749 §2.3.1: client credentials in HTTP Basic, each part form-encoded.
    if (row.clientSecret !== null) {
      headers['authorization'] = `Basic ${Buffer.from(`${encodeURIComponent(row.clientId)}:${encodeURIComponent(row.clientSecret)}`).toString('base64')}`;
    }
    const answer = await fetchJson(this.args.fetch, this.args.policy, { url: endpoint, method: 'POST', headers, body: form.toString(), redirect: 'error' });
    if (!answer.ok) return { ok: false, failure: { ...answer.failure, message: `the issuer refused a token: ${answer.failure.message}` } };
    const value = answer.value as Record<string, unknown> | null;
    const accessToken = value?.['access_token'];
    if (typeof accessToken !== 'string' || accessToken === '') return { ok: false, failure: failure('decode', 'the token endpoint answered no access_token', endpoint) };
    const expiresIn = value?.['expires_in'];
    const expiresAt = typeof expiresIn === 'number' && expiresIn > 0 ? new Date(Date.now() + expiresIn * 1000).toISOString() : null;
    const refreshToken = value?.['refresh_token'];
    await this.args.oidc.savePeerToken(row.peerId, {
      accessToken, expiresAt, ...(typeof refreshToken === 'string' && refreshToken !== '' && row.refreshToken !== null ? { refreshToken } : {}),
    });
    return { ok: true, token: accessToken };
  }

  /** The issuer's token endpoint, from its discovery document (remembered). */
  private async tokenEndpoint(issuer: string): Promise<string | Failure> {
    const known = this.endpoints.get(issuer);
    if (known !== undefined) return known;
    const url = `${issuer}/.well-known/openid-configuration`;
    const discovery = await fetchJson(this.args.fetch, this.args.policy, url);
    if (!discovery.ok) return discovery.failure;
    const endpoint = (discovery.value as Record<string, unknown> | null)?.['token_endpoint'];
    if (typeof endpoint !== 'string' || !/^https?:\/\//u.test(endpoint)) return failure('discovery', 'the issuer\'s discovery document has no token_endpoint', url);
    this.endpoints.set(issuer, endpoint);
    return endpoint;
  }
}
