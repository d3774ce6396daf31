/**
 * The `maillon` command line.
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Decoder, type DecodeResult } from '../codec/decode.js';
import { mediaTypeOfFile } from '../codec/media-types.js';
import type { Problem } from '../errors/problem.js';
import { serialize, type OutputFormat } from '../codec/serialize.js';
import { FileTaxonomyStore } from '../store/taxonomy-store.js';
import { ConfigError } from '../config.js';
import {
  describeError, enterpriseCommand, exportCommand, importCommand, init, serve, tokenCommand, UsageError, withNode, type Io,
} from './node-commands.js';
import { identityCommand, peerCommand, syncCommand } from './sync-commands.js';
import { listingCommand } from './listing-commands.js';
import { readTaxonomyFile } from './taxonomy.js';
import { grantCommand, oidcCommand } from './oidc-commands.js';
import { configCommand } from './config-commands.js';

/** Exit codes: 0 done, 1 the input is invalid or the operation failed, 2 the command was used wrongly. */
const USAGE = `Usage: maillon <command> [options]

Node commands:
  init [--allow-private]                      create the database and print the admin token once
                                              (--allow-private: store the allow-private setting)
  config set KEY VALUE | config get [KEY] | config list
                                              the node settings stored in its database (allow-private true|false)
  serve [--port P] [--host H] [--db FILE] [--base-url URL] [--seed DIR]
                                              run the node (--seed: fill an empty database from DIR/*.jsonld)
  enterprise add (FILE | --id EID --name NAME) [--private]
  enterprise list
  enterprise remove EID [--yes]               remove an enterprise: its resources are withdrawn through the change
                                              feed (peers see them go), its tokens, grants and listings deleted
  import FILE --enterprise EID [--dry-run] [--update-profile] [--stock]
                                              import a DFC catalogue into an enterprise (created if absent); an
                                              existing one keeps its profile and its items' stock unless
                                              --update-profile / --stock; --dry-run prints what would change
  export --enterprise EID [--to jsonld|turtle|ntriples|nquads] [--profile dfc-v2]
  token create --enterprise EID [--scopes ReadProducts,WriteProducts,...] [--label L]
  token create --admin
  token list [--enterprise EID]
  token revoke ID
  oidc issuer add URL|les-communs|fdc [--audience A]
                                              accept OpenID Connect tokens of an issuer (verified against its JWKS)
  oidc issuer list | oidc issuer remove URL
  grant (--oidc-email E | --oidc-sub S | --oidc-client-id C) --enterprise EID --scopes A,B [--issuer URL]
                                              what an OpenID identity may do on an enterprise
  grant list [--enterprise EID] | grant revoke ID
  peer add URL [--name N] [--token T] [--token-header x-api-token] [--interval 5m] [--profile dfc-v2]
  peer list | peer remove ID | peer status [ID]
  peer subscribe ID                           ask a Maillon peer to push its changes here (signed webhooks)
  peer set ID [--token T | --no-token] [--token-header H] [--interval 5m] [--name N] [--profile dfc-v2]
                                              change a peer's token, interval, name or profile (its data stays)
  peer set ID --oidc-issuer URL --client-id C (--client-secret S | --refresh-token R) [--scope S]
                                              get OpenID Connect access tokens for a peer (client credentials,
                                              or a user's refresh token); peer set ID --no-oidc forgets them
  sync [--peer ID]                            sync peers now and print a summary table
  identity confirm SUBJECT TARGET             vouch that two products are one (the federated catalogue lists them once)
  listing add ITEM --enterprise EID [--price P | --markup 15%]
                                              sell another node's catalog item (its @id) in an enterprise's catalogue
  listing list --enterprise EID | listing remove ID --enterprise EID

Document commands:
  validate FILE [--json]                      check a DFC document; exit 1 with the problems when invalid
  convert FILE --to jsonld|turtle|ntriples|nquads [--profile dfc-v2]
                                              write a DFC document in another format to standard output
  taxonomy load FILE                          load an official SKOS taxonomy (e.g. productTypes.json)
  taxonomy list                               list the loaded taxonomies

Options:
  --allow-private  allow peers on private and loopback addresses for this command (development, tests);
                   'maillon config set allow-private true' stores it for every command and the node
  --db FILE        SQLite database (default DATA_DIR/maillon.db, or MAILLON_DB)
  --data-dir DIR   where the node keeps its data (default ./data, or MAILLON_DATA_DIR)
  -h, --help       this help
`;

function dataDir(values: { 'data-dir'?: string | undefined }): string {
  return values['data-dir'] ?? process.env['MAILLON_DATA_DIR'] ?? './data';
}

function formatProblem(p: Problem): string {
  const where = [p.id ?? '(document)', p.type, p.path].filter((x) => x !== null && x !== '').join(' ');
  return `${p.severity}: ${where}: ${p.message}`;
}

/** What `maillon validate` reports: the counts, and every problem grouped by resource. */
interface ValidationReport {
  readonly valid: boolean;
  readonly records: number;
  readonly rejected: number;
  readonly errors: number;
  readonly warnings: number;
  /** Problems of the document as a whole. */
  readonly document: readonly Problem[];
  readonly resources: readonly { readonly id: string; readonly type: string | null; readonly rejected: boolean; readonly problems: readonly Problem[] }[];
  readonly problems: readonly Problem[];
}

function validationReport(result: DecodeResult): ValidationReport {
  const rejectedIds = new Set(result.rejected.map((r) => r.id));
  const byId = new Map<string, { id: string; type: string | null; rejected: boolean; problems: Problem[] }>();
  for (const p of result.problems) {
    if (p.id === null) continue;
    const entry = byId.get(p.id) ?? { id: p.id, type: p.type, rejected: rejectedIds.has(p.id), problems: [] };
    entry.problems.push(p);
    byId.set(p.id, entry);
  }
  const document = result.problems.filter((p) => p.id === null);
  const errors = result.problems.filter((p) => p.severity === 'error').length;
  return {
    valid: result.rejected.length === 0 && !document.some((p) => p.severity === 'error'),
    records: result.records.length,
    rejected: result.rejected.length,
    errors,
    warnings: result.problems.length - errors,
    document,
    resources: [...byId.values()],
    problems: result.problems,
  };
}

function formatReport(file: string, report: ValidationReport): string {
  let out = '';
  for (const p of report.document) out += `${formatProblem(p)}\n`;
  for (const resource of report.resources) {
    const errors = resource.problems.filter((p) => p.severity === 'error').length;
    out += `${resource.id}${resource.type !== null ? ` (${resource.type})` : ''}: ${resource.rejected ? 'rejected' : 'kept'}, `
      + `${errors} error(s), ${resource.problems.length - errors} warning(s)\n`;
    for (const p of resource.problems) out += `  ${formatProblem(p)}\n`;
  }
  const counts = `${report.records} resources accepted, ${report.rejected} rejected, ${report.errors} error(s), ${report.warnings} warning(s)`;
  return `${out}${file}: ${report.valid ? 'valid' : 'invalid'}, ${counts}\n`;
}

async function decodeFile(path: string, taxonomyDir: string): Promise<DecodeResult> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error: unknown) {
    throw new UsageError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const decoder = new Decoder({ taxonomy: new FileTaxonomyStore(taxonomyDir).load() });
  return decoder.decode(text, { mediaType: mediaTypeOfFile(path) });
}

const FORMATS: readonly OutputFormat[] = ['jsonld', 'turtle', 'ntriples', 'nquads'];

/**
 * Runs one command.
 *
 * @param argv - the arguments after `maillon`
 * @param io - where to write
 * @returns the exit code
 */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      to: { type: 'string' },
      profile: { type: 'string' },
      'data-dir': { type: 'string' },
      db: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'base-url': { type: 'string' },
      seed: { type: 'string' },
      enterprise: { type: 'string' },
      name: { type: 'string' },
      id: { type: 'string' },
      scopes: { type: 'string' },
      label: { type: 'string' },
      admin: { type: 'boolean' },
      private: { type: 'boolean' },
      'allow-private': { type: 'boolean' },
      token: { type: 'string' },
      'token-header': { type: 'string' },
      interval: { type: 'string' },
      peer: { type: 'string' },
      price: { type: 'string' },
      markup: { type: 'string' },
      audience: { type: 'string' },
      issuer: { type: 'string' },
      'oidc-email': { type: 'string' },
      'oidc-sub': { type: 'string' },
      'oidc-client-id': { type: 'string' },
      'oidc-issuer': { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'refresh-token': { type: 'string' },
      scope: { type: 'string' },
      'no-oidc': { type: 'boolean' },
      'no-token': { type: 'boolean' },
      yes: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      'update-profile': { type: 'boolean' },
      stock: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help === true || command === undefined) {
    io.out(USAGE);
    return command === undefined && values.help !== true ? 2 : 0;
  }
  switch (command) {
    case 'validate': {
      const file = rest[0];
      if (file === undefined) throw new UsageError('validate needs a FILE');
      const result = await decodeFile(file, dataDir(values));
      const report = validationReport(result);
      if (values.json === true) io.out(`${JSON.stringify(report, null, 2)}\n`);
      else io.out(formatReport(file, report));
      // Warnings keep the resource: only a rejected resource (or a document that cannot be read) fails.
      return report.valid ? 0 : 1;
    }
    case 'convert': {
      const file = rest[0];
      const to = (values.to ?? 'jsonld') as OutputFormat;
      if (file === undefined) throw new UsageError('convert needs a FILE');
      if (!FORMATS.includes(to)) throw new UsageError(`--to must be one of ${FORMATS.join(', ')}`);
      if (values.profile !== undefined && values.profile !== 'dfc-v1' && values.profile !== 'dfc-v2') {
        throw new UsageError('--profile must be dfc-v1 or dfc-v2');
      }
      const result = await decodeFile(file, dataDir(values));
      const errors = result.problems.filter((p) => p.severity === 'error');
      for (const p of errors) io.err(`${formatProblem(p)}\n`);
      if (errors.length > 0) {
        io.err(`${file}: not converted: ${errors.length} error(s); run 'maillon validate ${file}' for details\n`);
        return 1;
      }
      io.out(serialize(result.records, to, values.profile === 'dfc-v2' ? { profile: 'dfc-v2' } : {}));
      io.out('\n');
      return 0;
    }
    case 'taxonomy': {
      const store = new FileTaxonomyStore(dataDir(values));
      if (rest[0] === 'list') {
        for (const t of store.list()) io.out(`${t.name}\t${t.concepts} concepts\n`);
        return 0;
      }
      if (rest[0] !== 'load' || rest[1] === undefined) throw new UsageError('usage: maillon taxonomy load FILE | taxonomy list');
      const { name, concepts } = await readTaxonomyFile(rest[1]);
      store.save(name, concepts);
      io.out(`loaded ${concepts.length} concepts from ${rest[1]} as taxonomy "${name}"\n`);
      return 0;
    }
    case 'init':
      return init(values, io);
    case 'serve':
      return serve(values, io);
    case 'enterprise':
      return enterpriseCommand(rest[0], rest[1], values, io);
    case 'import':
      return importCommand(rest[0], values, io);
    case 'export':
      return exportCommand(values, io);
    case 'token':
      return tokenCommand(rest[0], rest[1], values, io);
    case 'oidc':
      return withNode(values, (node) => oidcCommand(node, rest, values, io));
    case 'grant':
      return withNode(values, (node) => grantCommand(node, rest, values, io));
    case 'peer':
      return withNode(values, (node) => peerCommand(node, rest[0], rest[1], values, io));
    case 'config':
      return withNode(values, (node) => configCommand(node, rest, io));
    case 'sync':
      return withNode(values, (node) => syncCommand(node, values, io));
    case 'identity':
      return withNode(values, (node) => identityCommand(node, rest[0], rest.slice(1), io));
    case 'listing':
      return withNode(values, (node) => listingCommand(node, rest[0], rest[1], values, io));
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

/** Runs the command line as a program. */
export async function main(argv: readonly string[]): Promise<void> {
  const io: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };
  try {
    process.exitCode = await run(argv, io);
  } catch (error: unknown) {
    if (error instanceof UsageError || error instanceof ConfigError
      || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      io.err(`maillon: ${error.message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else {
      io.err(`maillon: ${describeError(error)}\n`);
      process.exitCode = 1;
    }
  }
}
