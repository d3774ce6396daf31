/**
 * The OpenID Connect persistence port: the issuers whose tokens the node verifies, what their identities may do
 * (grants, per enterprise and DFC scope), and the credentials the node uses to get access tokens from a peer's
 * issuer.
 *
 * @packageDocumentation
 */

/** An issuer whose tokens are verified. */
export interface OidcIssuerRow {
  /** The issuer identifier, exactly as its tokens' `iss` claim says it (no trailing slash). */
  readonly issuer: string;
  /** The audience its tokens must carry (`aud`), or null to accept any. */
  readonly audience: string | null;
  readonly createdAt: string;
}

/** Which claim of a token a grant matches: a user's `email` or `sub`, a platform's `client_id`. */
export type OidcSubjectKind = 'email' | 'sub' | 'client_id';

/** An e-mail address as grants hold and match it: in lower case (identity providers such as Keycloak lower-case it too). */
export function normalEmail(address: string): string {
  return address.toLowerCase();
}

/**
 * Whether an address holds a letter outside ASCII that lower-cases into ASCII (the Kelvin sign `\u212A` into `k`):
 * in lower case, `\u212Aate@…` would be `kate@…`, and take the grant of another address. Such an address is no identity.
 */
export function confusableEmail(address: string): boolean {
  for (const letter of address) {
    if (letter.charCodeAt(0) > 0x7f && [...letter.toLowerCase()].every((c) => c.charCodeAt(0) <= 0x7f)) return true;
  }
  return false;
}

/**
 * What a grant that names no issuer matches, with `issuers` configured: an e-mail grant, a verified address of any of
 * them; a grant by `sub` or client id, the only one's identity, and none once there are several (those are unique
 * within one issuer only). Undefined for a grant that names its issuer.
 */
export function issuerlessGrantStatus(grant: Pick<OidcGrantRow, 'issuer' | 'kind'>, issuers: number): 'any configured issuer' | 'the only configured issuer' | 'none: several issuers are configured, grant it again naming one' | undefined {
  if (grant.issuer !== null) return undefined;
  if (grant.kind === 'email') return 'any configured issuer';
  return issuers <= 1 ? 'the only configured issuer' : 'none: several issuers are configured, grant it again naming one';
}

/** The grants that name no issuer and match no token with `issuers` configured (see {@link issuerlessGrantStatus}). */
export function strandedGrants<G extends Pick<OidcGrantRow, 'issuer' | 'kind'>>(grants: readonly G[], issuers: number): G[] {
  return grants.filter((g) => issuerlessGrantStatus(g, issuers)?.startsWith('none') === true);
}

/** The kinds of subject, in the order an identity is named by. */
export const OIDC_SUBJECT_KINDS: readonly OidcSubjectKind[] = ['email', 'client_id', 'sub'];

/** What an identity may do on one enterprise. */
export interface OidcGrantRow {
  readonly id: number;
  /** The issuer of the identity, or null: any configured issuer for an e-mail grant, else the only one (see {@link issuerlessGrantStatus}). */
  readonly issuer: string | null;
  readonly kind: OidcSubjectKind;
  /** The claim's value (an e-mail address is kept in lower case). */
  readonly subject: string;
  readonly eid: string;
  readonly scopes: readonly string[];
  readonly createdAt: string;
}

/** A grant to create (or whose scopes to replace, for the same issuer, subject and enterprise). */
export interface NewOidcGrant {
  readonly issuer?: string | null;
  readonly kind: OidcSubjectKind;
  readonly subject: string;
  readonly eid: string;
  readonly scopes: readonly string[];
}

/** How the node gets access tokens for a peer: client credentials, or a user's refresh token. */
export interface PeerOidcRow {
  readonly peerId: number;
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string | null;
  readonly refreshToken: string | null;
  /** The `scope` asked for, if any. */
  readonly scope: string | null;
  /** The current access token and when it expires (ISO), if one was obtained. */
  readonly accessToken: string | null;
  readonly expiresAt: string | null;
}

/** The port. */
export interface OidcStore {
  /** Adds an issuer, or changes its audience. */
  addIssuer(issuer: string, audience: string | null): Promise<OidcIssuerRow>;
  getIssuer(issuer: string): Promise<OidcIssuerRow | undefined>;
  listIssuers(): Promise<OidcIssuerRow[]>;
  removeIssuer(issuer: string): Promise<boolean>;

  /** Grants scopes on an enterprise to an identity (replacing the scopes of the same grant). */
  grant(grant: NewOidcGrant): Promise<OidcGrantRow>;
  listGrants(eid?: string): Promise<OidcGrantRow[]>;
  getGrant(id: number): Promise<OidcGrantRow | undefined>;
  /** Revokes a grant; the webhook subscriptions its identity made on that enterprise go with it. */
  revokeGrant(id: number): Promise<boolean>;
  /** The grants of an identity of `issuer`, matched by any of its subjects. */
  grantsFor(issuer: string, subjects: readonly { readonly kind: OidcSubjectKind; readonly subject: string }[]): Promise<OidcGrantRow[]>;

  /**
   * Sets how the node gets access tokens for a peer (forgetting any token obtained before); other credentials than
   * the peer's present ones also forget its feed cursor, so the next sync reads whole what they allow.
   */
  setPeerCredentials(row: Omit<PeerOidcRow, 'accessToken' | 'expiresAt'>): Promise<void>;
  peerCredentials(peerId: number): Promise<PeerOidcRow | undefined>;
  /** Forgets a peer's OpenID Connect credentials, and its feed cursor with them (whether they were removed). */
  clearPeerCredentials(peerId: number): Promise<boolean>;
  /** Keeps the access token obtained for a peer (and the refresh token, when the issuer rotated it). */
  savePeerToken(peerId: number, token: { accessToken: string; expiresAt: string | null; refreshToken?: string }): Promise<void>;
}
