/**
 * `/api/admin`: the OpenID Connect issuers the node trusts, and the grants that say what their identities may do
 * (the command line's `maillon oidc issuer` and `maillon grant`, over HTTP).
 *
 * Issuers are the admin's. A grant on an enterprise may also be made, listed and revoked by a credential with
 * `WriteEnterprise` there, which may grant only scopes it holds itself.
 *
 * @packageDocumentation
 */
import { Router, type Response } from 'express';
import { requireAdmin, requireCaller, requireScope } from '../auth/middleware.js';
import { normalIssuer } from '../auth/oidc.js';
import { allows, isAdmin, isScope, SCOPES, type Scope } from '../auth/tokens.js';
import { ForbiddenHttpError, NotFoundHttpError, UnprocessableEntityHttpError } from '../errors/http-error.js';
import { issuerlessGrantStatus, strandedGrants, type OidcGrantRow, type OidcStore, type OidcSubjectKind } from '../store/oidc.js';
import type { NodeStore } from '../store/store.js';
import { jsonObjectBody, refuseUnknownFields } from './json-body.js';

/** Options of {@link oidcRoutes}. */
export interface OidcRoutesArgs {
  readonly oidc: OidcStore;
  readonly store: Pick<NodeStore, 'getEnterprise'>;
}

function json(res: Response, status: number, body: unknown): void {
  res.status(status).type('application/json').send(JSON.stringify(body));
}

/** A grant as the API shows it. */
export function grantView(row: OidcGrantRow, issuers: number): Record<string, unknown> {
  const matches = issuerlessGrantStatus(row, issuers);
  return {
    id: row.id, issuer: row.issuer, [row.kind === 'client_id' ? 'clientId' : row.kind]: row.subject, enterprise: row.eid, scopes: row.scopes,
    createdAt: row.createdAt, ...(matches !== undefined ? { matches } : {}),
  };
}

/** The subject of a grant body: exactly one of `email`, `sub`, `clientId`. */
function subjectOf(body: Record<string, unknown>): { kind: OidcSubjectKind; subject: string } {
  const given = ([['email', 'email'], ['sub', 'sub'], ['clientId', 'client_id']] as const)
    .filter(([key]) => body[key] !== undefined)
    .map(([key, kind]) => ({ kind, value: body[key] }));
  const [first] = given;
  if (given.length !== 1 || first === undefined || typeof first.value !== 'string' || first.value.trim() === '') {
    throw new UnprocessableEntityHttpError('give exactly one of email, sub or clientId (a non-empty string)');
  }
  return { kind: first.kind, subject: first.value.trim() };
}

/**
 * Parses a scope list.
 *
 * @throws UnprocessableEntityHttpError for an unknown scope or an empty list
 */
export function scopesOf(value: unknown): Scope[] {
  const list = typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter((s) => s !== '') : value;
  if (!Array.isArray(list) || list.length === 0) throw new UnprocessableEntityHttpError(`scopes must be a non-empty list of ${SCOPES.join(', ')}`);
  for (const scope of list) if (typeof scope !== 'string' || !isScope(scope)) throw new UnprocessableEntityHttpError(`unknown scope ${JSON.stringify(scope)}; the scopes are ${SCOPES.join(', ')}`);
  return [...new Set(list as Scope[])];
}

/** Builds the router (mounted under `/api/admin`). */
export function oidcRoutes(args: OidcRoutesArgs): Router {
  const router = Router();
  const { oidc } = args;

  router.get('/oidc/issuers', async (_req, res) => {
    requireAdmin(res);
    json(res, 200, await oidc.listIssuers());
  });
  router.post('/oidc/issuers', async (req, res) => {
    requireAdmin(res);
    const body = jsonObjectBody(req, '{"issuer": "https://login.example/realms/x", "audience": "..."}');
    refuseUnknownFields(body, ['issuer', 'audience']);
    const issuer = typeof body['issuer'] === 'string' ? normalIssuer(body['issuer']) : undefined;
    if (issuer === undefined) throw new UnprocessableEntityHttpError('issuer must be an http(s) URL (or a preset: les-communs, fdc)');
    const audience = body['audience'];
    if (audience !== undefined && audience !== null && (typeof audience !== 'string' || audience === '')) throw new UnprocessableEntityHttpError('audience must be a string');
    const added = await oidc.addIssuer(issuer, typeof audience === 'string' ? audience : null);
    // Grants by `sub` or client id that name no issuer match no token once there are several: the operator is told.
    const issuers = (await oidc.listIssuers()).length;
    const stranded = strandedGrants(await oidc.listGrants(), issuers);
    json(res, 201, stranded.length === 0 ? added : {
      ...added, warning: `${stranded.length} grant(s) by sub or client id name no issuer (${stranded.map((g) => g.id).join(', ')}): with several issuers they match no token; grant them again naming their issuer`,
    });
  });
  router.delete('/oidc/issuers', async (req, res) => {
    requireAdmin(res);
    const issuer = typeof req.query['issuer'] === 'string' ? normalIssuer(req.query['issuer']) : undefined;
    if (issuer === undefined || !(await oidc.removeIssuer(issuer))) throw new NotFoundHttpError('no such issuer (give ?issuer=URL)');
    res.status(204).end();
  });

  router.get('/grants', async (req, res) => {
    const eid = typeof req.query['enterprise'] === 'string' ? req.query['enterprise'] : undefined;
    if (eid === undefined) requireAdmin(res);
    else requireScope(res, 'WriteEnterprise', eid);
    const issuers = (await oidc.listIssuers()).length;
    json(res, 200, (await oidc.listGrants(eid)).map((row) => grantView(row, issuers)));
  });
  router.post('/grants', async (req, res) => {
    // Who asks, before what: a caller without a credential learns nothing of what the body should hold.
    requireCaller(res, 'this needs the node admin token, or a token with WriteEnterprise on the enterprise');
    const body = jsonObjectBody(req, '{"email": "anne@ferme.example", "enterprise": "EID", "scopes": ["ReadProducts", "WriteOrders"], "issuer": "..."}');
    refuseUnknownFields(body, ['email', 'sub', 'clientId', 'enterprise', 'scopes', 'issuer']);
    const eid = body['enterprise'];
    if (typeof eid !== 'string' || eid === '') throw new UnprocessableEntityHttpError('enterprise (an enterprise id) is required');
    const principal = requireScope(res, 'WriteEnterprise', eid);
    const { kind, subject } = subjectOf(body);
    const scopes = scopesOf(body['scopes']);
    const beyond = scopes.filter((s) => !allows(principal, s, eid));
    if (beyond.length > 0) throw new ForbiddenHttpError(`a grant may give only scopes its grantor holds; not ${beyond.join(', ')}`);
    if ((await args.store.getEnterprise(eid)) === undefined) throw new NotFoundHttpError(`no enterprise ${eid}`);
    let issuer: string | null = null;
    if (body['issuer'] !== undefined && body['issuer'] !== null) {
      issuer = typeof body['issuer'] === 'string' ? normalIssuer(body['issuer']) ?? null : null;
      if (issuer === null) throw new UnprocessableEntityHttpError('issuer must be an http(s) URL');
    }
    const issuers = (await oidc.listIssuers()).length;
    if (issuer === null && kind !== 'email' && issuers > 1) {
      throw new UnprocessableEntityHttpError(`several OpenID issuers are configured: a ${kind} is unique within one issuer only, name the one whose tokens this grant is for (issuer)`);
    }
    json(res, 201, grantView(await oidc.grant({ issuer, kind, subject, eid, scopes }), issuers));
  });
  router.delete('/grants/:id', async (req, res) => {
    const principal = requireCaller(res, 'this needs the node admin token, or a token with WriteEnterprise on the enterprise');
    const row = /^\d+$/u.test(req.params['id'] ?? '') ? await oidc.getGrant(Number(req.params['id'])) : undefined;
    // A grant of an enterprise the caller may not manage is no grant to it: a 403 naming the enterprise would tell
    // any token, a read-only one too, the enterprises behind every grant number (private ones among them).
    if (row === undefined || (!isAdmin(principal) && !allows(principal, 'WriteEnterprise', row.eid))) throw new NotFoundHttpError('no such grant');
    await oidc.revokeGrant(row.id);
    res.status(204).end();
  });
  return router;
}
