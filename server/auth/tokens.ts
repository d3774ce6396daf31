/**
 * API tokens: random, shown once, stored as a SHA-256 hash, bound to an enterprise (or the node admin) and to
 * DFC scopes.
 *
 * A token is 32 random bytes, so a plain (unsalted) SHA-256 is enough to make the stored hash useless to a
 * thief, and it lets us find a token by its hash in one indexed look-up.
 *
 * @packageDocumentation
 */
import { hash, randomBytes } from 'node:crypto';
import type { NodeStore, TokenRow } from '../store/store.js';

/** The DFC scopes (`http://w3id.org/dfc/taxonomies/scopes.rdf#…`) a token can hold. */
export const SCOPES = ['ReadEnterprise', 'WriteEnterprise', 'ReadProducts', 'WriteProducts', 'ReadOrders', 'WriteOrders'] as const;

/** A DFC scope. */
export type Scope = (typeof SCOPES)[number];

/** The IRI of a scope in the DFC scopes taxonomy. */
export function scopeIri(scope: Scope): string {
  return `http://w3id.org/dfc/taxonomies/scopes.rdf#${scope}`;
}

/** Whether a string names a scope. */
export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** Who a request acts as. */
export interface Principal {
  /**
   * The caller's stable id: an API token's id, or `oidc:<issuer>#<email, client_id or sub>` for an OpenID
   * Connect identity. The orders API keys the buyer on it (a buyer sees the orders it placed).
   */
  readonly tokenId: string;
  /**
   * The enterprise of an API token; null for the node admin, who may act on every enterprise. A principal
   * with {@link Principal.grants} has `''` here: its rights are per enterprise.
   */
  readonly eid: string | null;
  /** The scopes of an API token on its enterprise (unused when {@link Principal.grants} is set). */
  readonly scopes: ReadonlySet<Scope>;
  /**
   * Scopes per enterprise, for a principal that may act for several (an OpenID Connect identity with grants):
   * when set, {@link allows} consults it alone.
   */
  readonly grants?: ReadonlyMap<string, ReadonlySet<Scope>>;
}

/** The hash under which a token is stored. */
export function hashToken(token: string): string {
  // One-shot `hash` (UTF-8, as `update` read the text): done for every request with a credential.
  return hash('sha256', token, 'hex');
}

/**
 * Creates a token and stores its hash.
 *
 * @returns the token itself (shown once, never stored) and its row
 */
export async function issueToken(
  store: NodeStore,
  options: { eid: string | null; scopes: readonly Scope[]; label?: string },
): Promise<{ token: string; row: TokenRow }> {
  // A recognisable prefix helps secret scanners; the id (public) is the first bytes of the hash.
  const token = `mln_${randomBytes(32).toString('base64url')}`;
  const hash = hashToken(token);
  const row = await store.createToken({ id: hash.slice(0, 16), hash, eid: options.eid, scopes: options.scopes, ...(options.label !== undefined ? { label: options.label } : {}) });
  return { token, row };
}

/**
 * Finds who a token belongs to.
 *
 * @returns the principal, or undefined for an unknown or revoked token
 */
export async function authenticate(store: NodeStore, token: string): Promise<Principal | undefined> {
  const row = await store.findTokenByHash(hashToken(token));
  if (row === undefined || row.revokedAt !== null) return undefined;
  return { tokenId: row.id, eid: row.eid, scopes: new Set(row.scopes.filter(isScope)) };
}

/** Whether a principal may use `scope` on enterprise `eid`. The admin may do everything. */
export function allows(principal: Principal | undefined, scope: Scope, eid: string): boolean {
  if (principal === undefined) return false;
  if (principal.grants !== undefined) return principal.grants.get(eid)?.has(scope) ?? false;
  if (principal.eid === null) return true;
  return principal.eid === eid && principal.scopes.has(scope);
}

/** Whether a principal is the node admin. */
export function isAdmin(principal: Principal | undefined): boolean {
  return principal !== undefined && principal.grants === undefined && principal.eid === null;
}

/**
 * Whether a principal acts for enterprise `eid` at all (whatever its scopes there): the admin, a token of
 * that enterprise, an identity granted something on it.
 */
export function actsFor(principal: Principal | undefined, eid: string): boolean {
  if (principal === undefined) return false;
  if (principal.grants !== undefined) return principal.grants.has(eid);
  return principal.eid === null || principal.eid === eid;
}
