/**
 * OpenID Connect bearer tokens: JWTs from the issuers an operator configured (`maillon oidc issuer add`), verified
 * against the issuer's JWKS, and mapped to what the identity was granted (`maillon grant`).
 *
 * The JWKS is found through the issuer's discovery document, fetched through the node's one safe client (given
 * as a {@link JsonFetch}: this layer makes no request itself), and cached; a token signed by a key the cache
 * does not know makes one fresh fetch (at most one per cooldown), so a key rotation is picked up.
 *
 * @packageDocumentation
 */
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import type { Logger } from 'pino';
import { loggedFailure, type Failure } from '../errors/failure.js';
import { ServiceUnavailableHttpError } from '../errors/http-error.js';
import { confusableEmail, normalEmail, type OidcStore, type OidcSubjectKind } from '../store/oidc.js';
import type { BearerCheck, BearerVerifier } from './middleware.js';
import { isScope, type Principal, type Scope } from './tokens.js';

/** Fetches a JSON document (bounded in size and time, public addresses only unless allowed). */
export type JsonFetch = (url: string) => Promise<{ readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly failure: Failure }>;

/** Issuers known by a short name: `maillon oidc issuer add les-communs`. */
export const ISSUER_PRESETS: Readonly<Record<string, string>> = Object.freeze({
  /** Les Communs' Keycloak, the DFC identity service Open Food Network users log in with. */
  'les-communs': 'https://login.lescommuns.org/auth/realms/data-food-consortium',
  /** Food Data Collaboration's Keycloak (the realm Open Food Network trusts for LiteFarm and Market.Organic). */
  fdc: 'https://login.fooddatacollaboration.org.uk/realms/dev',
});

/** Signature algorithms accepted: asymmetric only (a JWKS publishes public keys; `none` and HMAC never). */
export const ACCEPTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

/**
 * An issuer identifier as the node stores and compares it: an absolute http(s) URL without a trailing slash.
 *
 * @returns the identifier, or undefined when it is no http(s) URL
 */
export function normalIssuer(issuer: string): string | undefined {
  const trimmed = (ISSUER_PRESETS[issuer] ?? issuer).trim().replace(/\/+$/u, '');
  try {
    const url = new URL(trimmed);
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search !== '' || url.hash !== '') return undefined;
  } catch {
    return undefined;
  }
  return trimmed;
}

/** Options of {@link OidcVerifier}. */
export interface OidcVerifierOptions {
  readonly store: OidcStore;
  readonly fetchJson: JsonFetch;
  /** How long fetched keys are used before they are fetched again (default 10 minutes). */
  readonly keysMaxAgeMs?: number;
  /** Least time between two fetches of an issuer's keys caused by an unknown key id (default 30 s). */
  readonly cooldownMs?: number;
  /** Clock skew allowed on `exp` and `nbf`, in seconds (default 30). */
  readonly clockToleranceSeconds?: number;
  readonly logger?: Logger;
}

interface CachedKeys {
  readonly keys: ReturnType<typeof createLocalJWKSet>;
  readonly fetchedAt: number;
}

/** What a token says about who it is, as grants match it (an e-mail only when `email_verified`). */
export function subjectsOf(payload: JWTPayload): { kind: OidcSubjectKind; subject: string }[] {
  const subjects: { kind: OidcSubjectKind; subject: string }[] = [];
  const email = payload['email'];
  // Keycloak names a client-credentials token's client `client_id` (older versions: `clientId`).
  const clientId = payload['client_id'] ?? payload['clientId'];
  // An e-mail address is an identity only once the issuer has verified it: on an issuer where anyone may sign up,
  // an unverified one is anybody's claim to a farmer's grant (OpenID Connect Core §5.1, `email_verified`).
  const verified = payload['email_verified'] === true || payload['email_verified'] === 'true';
  if (typeof email === 'string' && email !== '' && verified && !confusableEmail(email)) subjects.push({ kind: 'email', subject: normalEmail(email) });
  if (typeof clientId === 'string' && clientId !== '') subjects.push({ kind: 'client_id', subject: clientId });
  if (typeof payload.sub === 'string' && payload.sub !== '') subjects.push({ kind: 'sub', subject: payload.sub });
  return subjects;
}

/** Verifies OpenID Connect JWTs of configured issuers, and makes principals of them with their grants. */
export class OidcVerifier implements BearerVerifier {
  private readonly cache = new Map<string, CachedKeys>();
  private readonly inFlight = new Map<string, Promise<CachedKeys | Failure>>();
  private readonly lastForced = new Map<string, number>();
  /** An issuer whose keys could not be fetched, with none cached: asked again only after a cooldown, not per request. */
  private readonly unreachable = new Map<string, { readonly until: number; readonly failure: Failure }>();

  public constructor(private readonly options: OidcVerifierOptions) {}

  public async verify(token: string): Promise<BearerCheck | undefined> {
    // A compact JWS: three base64url parts. Anything else is no JWT, and none of this verifier's business.
    if (!/^[\w-]+\.[\w-]+\.[\w-]*$/u.test(token)) return undefined;
    let claimed: JWTPayload;
    let alg: unknown;
    try {
      claimed = decodeJwt(token);
      alg = decodeProtectedHeader(token).alg;
    } catch {
      return { ok: false, reason: 'the bearer token is not a well-formed JWT' };
    }
    if (typeof alg !== 'string' || !(ACCEPTED_ALGORITHMS as readonly string[]).includes(alg)) {
      return { ok: false, reason: 'the token is not signed with an accepted algorithm' };
    }
    const issuer = typeof claimed.iss === 'string' ? normalIssuer(claimed.iss) : undefined;
    const configured = issuer === undefined ? undefined : await this.options.store.getIssuer(issuer);
    if (configured === undefined || claimed.iss === undefined) return { ok: false, reason: 'tokens of this issuer are not accepted here' };

    let verified: JWTPayload;
    try {
      verified = await this.verifyWith(token, configured.issuer, claimed.iss, configured.audience);
    } catch (error: unknown) {
      // The issuer is down, not the token bad: a 401 would make a client such as Open Food Network drop a token that
      // may be good. A 503 says to try again. (An issuer that answers wrongly, a discovery document naming another
      // issuer or keys that are not there, stays a refusal: retrying would not help.)
      if (error instanceof KeysUnavailable && unreachable(error.failure)) {
        throw new ServiceUnavailableHttpError(`the token's issuer (${configured.issuer}) cannot be reached to check its signature: retry later`,
          { cause: error, headers: { 'Retry-After': String(Math.ceil((this.options.cooldownMs ?? 30_000) / 1000)) } });
      }
      return { ok: false, reason: refusal(error) };
    }
    const subjects = subjectsOf(verified);
    if (subjects.length === 0) return { ok: false, reason: 'the token names no subject (email, client_id or sub)' };
    const grants = new Map<string, Set<Scope>>();
    for (const grant of await this.options.store.grantsFor(configured.issuer, subjects)) {
      const scopes = grants.get(grant.eid) ?? new Set<Scope>();
      for (const scope of grant.scopes) if (isScope(scope)) scopes.add(scope);
      grants.set(grant.eid, scopes);
    }
    const principal: Principal = { tokenId: `oidc:${configured.issuer}#${subjects[0]?.subject ?? ''}`, eid: '', scopes: new Set(), grants };
    return { ok: true, principal };
  }

  /** Verifies with the issuer's cached keys; an unknown key id fetches them again, once per cooldown. */
  private async verifyWith(token: string, issuer: string, iss: string, audience: string | null): Promise<JWTPayload> {
    const verifyOptions = {
      issuer: iss, algorithms: [...ACCEPTED_ALGORITHMS], requiredClaims: ['exp'],
      clockTolerance: this.options.clockToleranceSeconds ?? 30, ...(audience !== null ? { audience } : {}),
    };
    const keys = await this.keysOf(issuer, false);
    try {
      return (await jwtVerify(token, keys.keys, verifyOptions)).payload;
    } catch (error: unknown) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      const last = this.lastForced.get(issuer);
      if (last !== undefined && Date.now() - last < (this.options.cooldownMs ?? 30_000)) throw error;
      this.lastForced.set(issuer, Date.now());
      const fresh = await this.keysOf(issuer, true);
      return (await jwtVerify(token, fresh.keys, verifyOptions)).payload;
    }
  }

  /** The issuer's keys: cached, or fetched (one fetch at a time per issuer). */
  private async keysOf(issuer: string, force: boolean): Promise<CachedKeys> {
    const cached = this.cache.get(issuer);
    if (!force && cached !== undefined && Date.now() - cached.fetchedAt < (this.options.keysMaxAgeMs ?? 600_000)) return cached;
    const down = this.unreachable.get(issuer);
    if (cached === undefined && down !== undefined && Date.now() < down.until) throw new KeysUnavailable(down.failure);
    let pending = this.inFlight.get(issuer);
    if (pending === undefined) {
      pending = this.fetchKeys(issuer).finally(() => this.inFlight.delete(issuer));
      this.inFlight.set(issuer, pending);
    }
    const outcome = await pending;
    if ('kind' in outcome) {
      this.options.logger?.warn({ issuer, failure: loggedFailure(outcome) }, 'the OpenID issuer\'s keys could not be fetched');
      // Keys fetched before still verify what they signed: better than refusing every token meanwhile. They
      // are kept for one more cooldown, so that requests do not each wait for an issuer that is down.
      if (cached !== undefined) {
        const retryIn = Math.min(this.options.cooldownMs ?? 30_000, this.options.keysMaxAgeMs ?? 600_000);
        this.cache.set(issuer, { ...cached, fetchedAt: Date.now() - (this.options.keysMaxAgeMs ?? 600_000) + retryIn });
        return cached;
      }
      // Anyone may send a JWT naming a configured issuer: without this, each such request would fetch from it again.
      this.unreachable.set(issuer, { until: Date.now() + (this.options.cooldownMs ?? 30_000), failure: outcome });
      throw new KeysUnavailable(outcome);
    }
    this.unreachable.delete(issuer);
    this.cache.set(issuer, outcome);
    return outcome;
  }

  private async fetchKeys(issuer: string): Promise<CachedKeys | Failure> {
    const discoveryUrl = `${issuer}/.well-known/openid-configuration`;
    const discovery = await this.options.fetchJson(discoveryUrl);
    if (!discovery.ok) return discovery.failure;
    const document = discovery.value;
    if (typeof document !== 'object' || document === null) return { kind: 'discovery', message: 'the discovery document is no JSON object', url: discoveryUrl };
    const record = document as Record<string, unknown>;
    // OpenID Connect Discovery §4.3: the document must name the very issuer it was fetched for.
    if (typeof record['issuer'] !== 'string' || normalIssuer(record['issuer']) !== issuer) {
      return { kind: 'discovery', message: 'the discovery document names another issuer', url: discoveryUrl };
    }
    const jwksUri = record['jwks_uri'];
    if (typeof jwksUri !== 'string' || !/^https?:\/\//u.test(jwksUri)) return { kind: 'discovery', message: 'the discovery document has no jwks_uri', url: discoveryUrl };
    const jwks = await this.options.fetchJson(jwksUri);
    if (!jwks.ok) return jwks.failure;
    try {
      return { keys: createLocalJWKSet(jwks.value as JSONWebKeySet), fetchedAt: Date.now() };
    } catch {
      return { kind: 'discovery', message: 'the issuer\'s JWKS is not a valid key set', url: jwksUri };
    }
  }
}

/** The issuer's keys could not be had. */
class KeysUnavailable extends Error {
  public constructor(public readonly failure: Failure) {
    super(failure.message);
  }
}

/** Whether a failure to fetch keys is the issuer being out of reach for now (a retry may succeed). */
function unreachable(failure: Failure): boolean {
  return failure.kind === 'timeout' || failure.kind === 'network' || (failure.kind === 'http-status' && (failure.status === undefined || failure.status >= 500 || failure.status === 429));
}

/** Why a token was refused, in words a client may read (never the token itself). */
function refusal(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `the token's ${error.claim} claim is not valid here`;
  if (error instanceof errors.JWKSNoMatchingKey) return 'the token is signed by a key its issuer does not publish';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token\'s signature does not verify';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the token is not signed with an accepted algorithm';
  if (error instanceof KeysUnavailable) return 'the token\'s issuer could not be reached to verify it';
  return 'the token could not be verified';
}
