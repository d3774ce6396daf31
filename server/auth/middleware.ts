/**
 * Express middleware for API tokens: who the request acts as, and what it may do.
 *
 * @packageDocumentation
 */
import type { Request, RequestHandler, Response } from 'express';
import { ForbiddenHttpError, UnauthorizedHttpError, type HttpError } from '../errors/http-error.js';
import type { EnterpriseRow, NodeStore } from '../store/store.js';
import { allows, authenticate, type Principal, type Scope } from './tokens.js';

/** The token a request carries: `Authorization: Bearer <token>` or `X-Api-Token: <token>`. */
export function tokenOf(req: Request): string | undefined {
  const authorization = req.get('authorization');
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/iu.exec(authorization);
    if (match === null) throw new UnauthorizedHttpError('the Authorization header must be "Bearer <token>"', { headers: { 'WWW-Authenticate': 'Bearer' } });
    return match[1];
  }
  return req.get('x-api-token') ?? undefined;
}

/**
 * Resolves the request's token, if any, into `res.locals.principal`. A token that is present but unknown or
 * revoked is refused at once (401), even where no token is needed, so a client learns its token is bad.
 */
export function identify(store: NodeStore): RequestHandler {
  return async (req, res, next) => {
    const token = tokenOf(req);
    if (token !== undefined) {
      const principal = await authenticate(store, token);
      if (principal === undefined) throw new UnauthorizedHttpError('unknown or revoked API token', { headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });
      res.locals['principal'] = principal;
    }
    next();
  };
}

/** The principal of a request, if it carried a valid token. */
export function principalOf(res: Response): Principal | undefined {
  return res.locals['principal'] as Principal | undefined;
}

/**
 * Requires `scope` on enterprise `eid`: 401 without a token, 403 with a token that lacks it.
 */
export function requireScope(res: Response, scope: Scope, eid: string): Principal {
  const principal = principalOf(res);
  if (principal === undefined) {
    throw new UnauthorizedHttpError(`this needs an API token with the ${scope} scope`, { headers: { 'WWW-Authenticate': 'Bearer' } });
  }
  if (!allows(principal, scope, eid)) {
    throw new ForbiddenHttpError(principal.eid !== null && principal.eid !== eid
      ? `this token belongs to enterprise ${principal.eid}, not ${eid}`
      : `this token lacks the ${scope} scope`);
  }
  return principal;
}

/** Requires the node admin token. */
export function requireAdmin(res: Response): Principal {
  const principal = principalOf(res);
  if (principal === undefined) throw new UnauthorizedHttpError('this needs the node admin token', { headers: { 'WWW-Authenticate': 'Bearer' } });
  if (principal.eid !== null) throw new ForbiddenHttpError('this needs the node admin token, not an enterprise token');
  return principal;
}

/**
 * Whether a request may know that an enterprise exists: a public one, anyone; a private one, the node admin and
 * that enterprise's own tokens (whatever their scopes).
 */
export function maySee(res: Response, row: Pick<EnterpriseRow, 'eid' | 'private'>): boolean {
  if (!row.private) return true;
  const principal = principalOf(res);
  return principal !== undefined && (principal.eid === null || principal.eid === row.eid);
}

/**
 * Requires `scope` to read an enterprise: nothing for a public one; for a private one, whoever may not know it
 * exists ({@link maySee}: no token, another enterprise's token) gets `hidden()`, the very 404 an unknown
 * enterprise gets (RFC 9110 §15.5.5: a 401 or 403 would confirm it exists), and its own token without the
 * scope gets 403.
 *
 * @param hidden - the error an unknown resource at this URL answers
 */
export function requireVisible(res: Response, row: Pick<EnterpriseRow, 'eid' | 'private'>, scope: Scope, hidden: () => HttpError): void {
  if (!row.private) return;
  if (!maySee(res, row)) throw hidden();
  requireScope(res, scope, row.eid);
}
