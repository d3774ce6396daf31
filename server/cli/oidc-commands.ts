/**
 * Commands for OpenID Connect: the issuers whose tokens the node accepts (`maillon oidc issuer …`), and what their
 * identities may do (`maillon grant …`).
 *
 * @packageDocumentation
 */
import { ISSUER_PRESETS, normalIssuer } from '../auth/oidc.js';
import { isScope, SCOPES, type Scope } from '../auth/tokens.js';
import type { NodeParts } from '../main.js';
import { issuerlessGrantStatus, strandedGrants, type OidcSubjectKind } from '../store/oidc.js';
import { UsageError, type Io } from './node-commands.js';

/** Options the OpenID Connect commands read. */
export interface OidcCommandOptions {
  readonly audience?: string | undefined;
  readonly issuer?: string | undefined;
  readonly enterprise?: string | undefined;
  readonly scopes?: string | undefined;
  readonly 'oidc-email'?: string | undefined;
  readonly 'oidc-sub'?: string | undefined;
  readonly 'oidc-client-id'?: string | undefined;
}

function issuerArgument(value: string | undefined, usage: string): string {
  if (value === undefined) throw new UsageError(usage);
  const issuer = normalIssuer(value);
  if (issuer === undefined) throw new UsageError(`${value} is no http(s) URL nor a preset (${Object.keys(ISSUER_PRESETS).join(', ')})`);
  return issuer;
}

/** `maillon oidc issuer add URL|PRESET [--audience A]`, `oidc issuer list`, `oidc issuer remove URL`. */
export async function oidcCommand(node: NodeParts, args: readonly string[], options: OidcCommandOptions, io: Io): Promise<number> {
  const [what, action, value] = args;
  const usage = 'usage: maillon oidc issuer add URL|les-communs|fdc [--audience A] | oidc issuer list | oidc issuer remove URL';
  if (what !== 'issuer') throw new UsageError(usage);
  const oidc = node.store.oidc;
  switch (action) {
    case 'add': {
      const issuer = issuerArgument(value, usage);
      const row = await oidc.addIssuer(issuer, options.audience ?? null);
      io.out(`tokens of ${row.issuer} are accepted${row.audience !== null ? ` (audience ${row.audience})` : ''}; grant their identities rights with 'maillon grant'\n`);
      const issuers = (await oidc.listIssuers()).length;
      const stranded = strandedGrants(await oidc.listGrants(), issuers);
      if (stranded.length > 0) {
        io.err(`warning: ${stranded.length} grant(s) by sub or client id name no issuer (${stranded.map((g) => g.id).join(', ')}): with several issuers `
          + `they match no token; grant them again with --issuer\n`);
      }
      return 0;
    }
    case 'list': {
      const rows = await oidc.listIssuers();
      if (rows.length === 0) io.out(`no issuer; presets: ${Object.entries(ISSUER_PRESETS).map(([k, v]) => `${k} (${v})`).join(', ')}\n`);
      for (const row of rows) io.out(`${row.issuer}\t${row.audience ?? '(any audience)'}\t${row.createdAt}\n`);
      return 0;
    }
    case 'remove': {
      const issuer = issuerArgument(value, usage);
      if (!(await oidc.removeIssuer(issuer))) {
        io.err(`no issuer ${issuer}\n`);
        return 1;
      }
      io.out(`tokens of ${issuer} are no longer accepted\n`);
      return 0;
    }
    default:
      throw new UsageError(usage);
  }
}

function scopeList(value: string | undefined): Scope[] {
  if (value === undefined) throw new UsageError(`--scopes is required (${SCOPES.join(',')})`);
  const scopes = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const scope of scopes) if (!isScope(scope)) throw new UsageError(`unknown scope ${scope}; the scopes are ${SCOPES.join(', ')}`);
  if (scopes.length === 0) throw new UsageError('--scopes must name at least one scope');
  return scopes as Scope[];
}

/**
 * `maillon grant (--oidc-email E | --oidc-sub S | --oidc-client-id C) --enterprise EID --scopes A,B [--issuer URL]`,
 * `grant list [--enterprise EID]`, `grant revoke ID`.
 */
export async function grantCommand(node: NodeParts, args: readonly string[], options: OidcCommandOptions, io: Io): Promise<number> {
  const [action, value] = args;
  const oidc = node.store.oidc;
  if (action === 'list') {
    const issuers = (await oidc.listIssuers()).length;
    for (const row of await oidc.listGrants(options.enterprise)) {
      io.out(`${row.id}\t${row.kind}=${row.subject}\t${row.eid}\t${row.scopes.join(',')}\t${row.issuer ?? `(${issuerlessGrantStatus(row, issuers) ?? ''})`}\n`);
    }
    return 0;
  }
  if (action === 'revoke') {
    if (value === undefined || !/^\d+$/u.test(value)) throw new UsageError('usage: maillon grant revoke ID');
    if (!(await oidc.revokeGrant(Number(value)))) {
      io.err(`no grant ${value}\n`);
      return 1;
    }
    io.out(`grant ${value} revoked\n`);
    return 0;
  }
  if (action !== undefined && action !== 'add') throw new UsageError('usage: maillon grant --oidc-email E --enterprise EID --scopes A,B | grant list | grant revoke ID');
  const given = ([['email', options['oidc-email']], ['sub', options['oidc-sub']], ['client_id', options['oidc-client-id']]] as const)
    .filter((entry): entry is readonly [OidcSubjectKind, string] => entry[1] !== undefined && entry[1] !== '');
  const [first] = given;
  if (given.length !== 1 || first === undefined) throw new UsageError('give exactly one of --oidc-email, --oidc-sub, --oidc-client-id');
  if (options.enterprise === undefined) throw new UsageError('--enterprise is required');
  const scopes = scopeList(options.scopes);
  if ((await node.store.getEnterprise(options.enterprise)) === undefined) {
    io.err(`no enterprise ${options.enterprise}\n`);
    return 1;
  }
  const issuer = options.issuer === undefined ? null : issuerArgument(options.issuer, '--issuer must be an http(s) URL');
  if (issuer === null && first[0] !== 'email' && (await oidc.listIssuers()).length > 1) {
    throw new UsageError(`several OpenID issuers are configured: a ${first[0]} is unique within one issuer only, name the one whose tokens this grant is for (--issuer URL)`);
  }
  if (issuer !== null && (await oidc.getIssuer(issuer)) === undefined) io.err(`warning: ${issuer} is not a configured issuer yet ('maillon oidc issuer add ${issuer}')\n`);
  const row = await oidc.grant({ issuer, kind: first[0], subject: first[1], eid: options.enterprise, scopes });
  io.out(`grant ${row.id}: ${row.kind} ${row.subject} may ${row.scopes.join(', ')} on ${row.eid}${row.issuer !== null ? ` (tokens of ${row.issuer})` : ''}\n`);
  return 0;
}
