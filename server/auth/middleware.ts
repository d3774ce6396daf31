/**
 * Express middleware for credentials: who the request acts as, and what it may do.
 *
 * A credential we cannot use (not one of our API tokens, not a token of an issuer we trust, an expired one)
 * does not stop a request by itself: Open Food Network sends its user's access token with every DFC request,
 * public catalogue reads included, so a public read with it is served as an anonymous one. What needs a
 * credential (a write, a private read, an admin route) then answers `401` with
 * `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3.1), so the client refreshes its token.
 *
 * @packageDocumentation
 */
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { ForbiddenHttpError, UnauthorizedHttpError, type HttpError } from '../errors/http-error.js';
import type { EnterpriseRow, NodeStore } from '../store/store.js';
import { actsFor, allows, authenticate, isAdmin, type Principal, type Scope } from './tokens.js';

/**
 * The credential a request carries: the last word of `Authorization` (`Bearer <token>`, and whatever scheme
 * word a client puts before it, as Open Food Network reads the header), else `X-Api-Token: <token>`.
 */
export function tokenOf(req: Request): string | undefined {
  const authorization = req.get('authorization');
  if (authorization !== undefined && authorization.trim() !== '') return authorization.trim().split(/\s+/u).at(-1);
  const apiToken = req.get('x-api-token');
  return apiToken === undefined || apiToken.trim() === '' ? undefined : apiToken.trim();
}

/** What a bearer verifier makes of a token: a principal, a refusal with its reason, or "not mine". */
export type BearerCheck = { readonly ok: true; readonly principal: Principal } | { readonly ok: false; readonly reason: string };

/** Verifies bearer tokens that are not our API tokens (OpenID Connect JWTs, say). */
export interface BearerVerifier {
  /** @returns undefined when the token is not of the kind this verifier reads */
  verify(token: string): Promise<BearerCheck | undefined>;
}

/** Options of {@link identify}. */
export interface IdentifyOptions {
  /** Tried in order on a token that is not one of our API tokens. */
  readonly verifiers?: readonly BearerVerifier[];
  /**
   * Where unusable credentials are noted (at debug level: a foreign token on a public read is normal), and the
   * access decisions of {@link requireScope}.
   */
  readonly logger?: Logger;
}

const BAD_CREDENTIAL = 'badCredential';
const DECISION_LOGGER = 'decisionLogger';

/**
 * Resolves the request's credential, if any, into `res.locals.principal`. One we cannot use leaves the request
 * anonymous, and is remembered: {@link requireScope}, {@link requireVisible}, {@link requireAdmin} and
 * {@link requireCaller} then answer `401 invalid_token` instead of asking for a credential.
 */
export function identify(store: NodeStore, options: IdentifyOptions = {}): RequestHandler {
  return async (req, res, next) => {
    if (options.logger !== undefined) res.locals[DECISION_LOGGER] = options.logger;
    const token = tokenOf(req);
    if (token !== undefined) {
      let principal = await authenticate(store, token);
      let reason = 'unknown or revoked API token';
      for (const verifier of principal === undefined ? options.verifiers ?? [] : []) {
        const check = await verifier.verify(token);
        if (check === undefined) continue;
        if (check.ok) principal = check.principal;
        else reason = check.reason;
        break;
      }
      if (principal !== undefined) {
        res.locals['principal'] = principal;
      } else {
        res.locals[BAD_CREDENTIAL] = reason;
        options.logger?.debug({ method: req.method, url: req.originalUrl, reason }, 'unusable credential: the request is anonymous');
      }
    }
    next();
  };
}

/** The principal of a request, if it carried a valid credential. */
export function principalOf(res: Response): Principal | undefined {
  return res.locals['principal'] as Principal | undefined;
}

/** Why the credential the request carried could not be used, if it carried one that could not. */
export function badCredentialOf(res: Response): string | undefined {
  return res.locals[BAD_CREDENTIAL] as string | undefined;
}

/**
 * The 401 of a request that needs a credential: `invalid_token` with the reason when it carried one we could
 * not use, else a plain challenge with `message`.
 *
 * @param res - the response (its locals say whether a bad credential came)
 * @param message - what is needed, for a request without a credential
 */
export function unauthorized(res: Response, message: string): UnauthorizedHttpError {
  const bad = badCredentialOf(res);
  return bad !== undefined
    ? new UnauthorizedHttpError(bad, { headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } })
    : new UnauthorizedHttpError(message, { headers: { 'WWW-Authenticate': 'Bearer' } });
}

/**
 * Requires a valid credential: 401 without one, `invalid_token` with one we cannot use.
 *
 * @param message - what is needed, for a request without a credential
 */
export function requireCaller(res: Response, message: string): Principal {
  const principal = principalOf(res);
  if (principal === undefined) throw unauthorized(res, message);
  return principal;
}

/**
 * Requires `scope` on enterprise `eid`: 401 without a credential (or with one we cannot use), 403 with one
 * that lacks it. The decision is logged with the subject, the enterprise and the scope.
 */
export function requireScope(res: Response, scope: Scope, eid: string): Principal {
  const principal = requireCaller(res, `this needs an API token with the ${scope} scope`);
  const allowed = allows(principal, scope, eid);
  decided(res, principal, scope, eid, allowed);
  if (!allowed) {
    throw new ForbiddenHttpError(principal.grants === undefined && principal.eid !== null && principal.eid !== eid
      ? `this token belongs to enterprise ${principal.eid}, not ${eid}`
      : principal.grants !== undefined && !principal.grants.has(eid)
        ? `${principal.tokenId} has no grant on enterprise ${eid}`
        : `this token lacks the ${scope} scope`);
  }
  return principal;
}

/** Requires the node admin token. */
export function requireAdmin(res: Response): Principal {
  const principal = requireCaller(res, 'this needs the node admin token');
  if (!isAdmin(principal)) throw new ForbiddenHttpError('this needs the node admin token, not an enterprise token');
  return principal;
}

/**
 * Whether a request may know that an enterprise exists: a public one, anyone; a private one, the node admin and
 * that enterprise's own tokens and grantees (whatever their scopes).
 */
export function maySee(res: Response, row: Pick<EnterpriseRow, 'eid' | 'private'>): boolean {
  return !row.private || actsFor(principalOf(res), row.eid);
}

/**
 * Requires `scope` to read an enterprise: nothing for a public one; for a private one, a request with a
 * credential we cannot use gets 401 `invalid_token`; whoever may not know it exists ({@link maySee}: no token,
 * another enterprise's token) gets `hidden()`, the very 404 an unknown enterprise gets (RFC 9110 §15.5.5: a
 * 401 or 403 would confirm it exists), and its own token without the scope gets 403.
 *
 * @param hidden - the error an unknown resource at this URL answers
 */
export function requireVisible(res: Response, row: Pick<EnterpriseRow, 'eid' | 'private'>, scope: Scope, hidden: () => HttpError): void {
  if (!row.private) return;
  // A 401 says nothing of the enterprise: the error funnel turns an unknown one's 404 into the same 401.
  if (principalOf(res) === undefined && badCredentialOf(res) !== undefined) throw unauthorized(res, '');
  if (!maySee(res, row)) throw hidden();
  requireScope(res, scope, row.eid);
}

/**
 * Logs an access decision (subject, enterprise, scope, allowed): at info level for identities with grants (an
 * operator audits those), at debug for API tokens.
 */
export function decided(res: Response, principal: Principal, scope: Scope, eid: string, allowed: boolean): void {
  const logger = res.locals[DECISION_LOGGER] as Logger | undefined;
  if (logger === undefined) return;
  const entry = { subject: principal.tokenId, enterprise: eid, scope, allowed };
  if (principal.grants !== undefined) logger.info(entry, 'access decision');
  else logger.debug(entry, 'access decision');
}
