/**
 * Commands that work on a node's database: init, serve, enterprise, import, export, token.
 *
 * @packageDocumentation
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeId } from '../../ontology/iri.js';
import { RECORD_KINDS, type DfcRecord, type EnterpriseRecord } from '../../ontology/records.js';
import { isScope, issueToken, SCOPES, type Scope } from '../auth/tokens.js';
import { isValidLocalId } from '../urls/node-urls.js';
import { mediaTypeOfFile } from '../codec/media-types.js';
import { acceptedRecords } from '../codec/partial.js';
import type { ImportChanges, ImportCounts } from '../catalog/catalog-service.js';
import { serialize, type OutputFormat } from '../codec/serialize.js';
import { loadConfig, type Config, type ConfigOptions } from '../config.js';
import { HttpError } from '../errors/http-error.js';
import { openNode, startNode, type NodeParts } from '../main.js';
import { progressBar } from './progress.js';
import { count } from './words.js';

/** Output of a command. */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** A usage error: exit code 2. */
export class UsageError extends Error {}

/** Options the node commands read. */
export interface NodeCommandOptions extends ConfigOptions {
  readonly enterprise?: string | undefined;
  readonly name?: string | undefined;
  readonly id?: string | undefined;
  readonly scopes?: string | undefined;
  readonly label?: string | undefined;
  readonly admin?: boolean | undefined;
  readonly private?: boolean | undefined;
  readonly to?: string | undefined;
  readonly profile?: string | undefined;
  readonly seed?: string | undefined;
  readonly yes?: boolean | undefined;
  readonly 'dry-run'?: boolean | undefined;
  readonly 'update-profile'?: boolean | undefined;
  readonly stock?: boolean | undefined;
}

/** Opens the node's database for one command, and closes it after. */
export async function withNode<T>(
  options: NodeCommandOptions, work: (node: NodeParts) => Promise<T>, adjust: (config: Config) => Config = (c) => c, creates = false,
): Promise<T> {
  const config = adjust(loadConfig(options, { ...process.env, MAILLON_LOG_LEVEL: process.env['MAILLON_LOG_LEVEL'] ?? 'warn' }));
  // Only `serve` moves an existing database to another base URL: a command run beside a serving node (with the
  // deployment's environment, which an operator may just have edited) rewrote every stored id under it, and the node
  // then answered 404 for its own items. A new database takes the base URL given, as before.
  const existing = config.db !== ':memory:' && existsSync(config.db);
  // A command run where the node's data is not (another working directory than the service's, the environment file not
  // loaded) made a database of its own, and its token or peer went there, unseen by the node: said, not silent.
  if (!existing && !creates && config.db !== ':memory:') {
    process.stderr.write(`warning: no database at ${config.db}: a new one is made; to act on a node's, give its --data-dir or --db `
      + '(MAILLON_DATA_DIR, MAILLON_DB)\n');
  }
  const node = await openNode(existing ? { ...config, baseUrlGiven: false } : config);
  const asked = config.baseUrl.replace(/\/+$/u, '');
  if (existing && config.baseUrlGiven && node.store.baseUrl !== asked) {
    process.stderr.write(`warning: ${config.db} keeps its base URL ${node.store.baseUrl}: --base-url / MAILLON_BASE_URL (${asked}) `
      + `is applied by 'maillon serve' only, which moves the stored ids (stop the node, then serve with it)\n`);
  }
  try {
    return await work(node);
  } finally {
    await node.close();
  }
}

async function adminTokenExists(node: NodeParts): Promise<boolean> {
  return (await node.store.listTokens()).some((t) => t.eid === null && t.revokedAt === null);
}

async function printNewAdminToken(node: NodeParts, io: Io): Promise<void> {
  const { token } = await issueToken(node.store, { eid: null, scopes: SCOPES, label: 'admin' });
  io.out(`Admin token (shown once; keep it safe, it can do everything on this node):\n  ${token}\n`);
}

/** `maillon init`: creates the database and prints the admin token once. */
export async function init(options: NodeCommandOptions, io: Io): Promise<number> {
  return withNode(options, async (node) => {
    if (await adminTokenExists(node)) {
      io.err(`${node.config.db} is already initialised (it has an admin token); use 'maillon token create --admin' for another\n`);
      return 1;
    }
    // At init, --allow-private is the node's decision, not one command's: it is stored.
    if (options['allow-private'] === true) await node.store.setSetting('allow-private', 'true');
    await printNewAdminToken(node, io);
    io.out(`Database ready: ${node.config.db} (base URL ${node.store.baseUrl}${options['allow-private'] === true ? '; allow-private = true' : ''})\n`);
    return 0;
  }, (c) => c, true);
}

/** Decodes a DFC file, or explains why not. */
/** A file decoded for a write: the records to write, and how many resources were rejected (and reported). */
interface DecodedFile {
  readonly records: DfcRecord[];
  readonly rejected: number;
}

/**
 * Decodes a file for a write. A document-level error (not JSON, no context) refuses the whole file; otherwise,
 * with `partial`, each rejected resource (and what depends on it) is reported and left out, and the rest goes
 * in. Without `partial`, any error refuses the file.
 */
async function decodeFile(node: NodeParts, path: string, io: Io, partial = false): Promise<DecodedFile | undefined> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error: unknown) {
    throw new UsageError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  // The node's own catalogue, as a write through the API: a stock or price given two values is refused, not guessed.
  const result = await node.decoder.decode(text, { mediaType: mediaTypeOfFile(path, text), catalogueWrite: true });
  const errors = result.problems.filter((p) => p.severity === 'error');
  const documentErrors = errors.filter((p) => p.id === null);
  if (errors.length > 0 && (!partial || documentErrors.length > 0)) {
    for (const p of errors) io.err(`error: ${p.id ?? '(document)'} ${p.path}: ${p.message}\n`);
    io.err(`${path}: nothing imported: ${count(errors.length, 'error')}\n`);
    return undefined;
  }
  const accepted = acceptedRecords(result.records, result.rejected);
  for (const rejected of result.rejected) {
    for (const p of rejected.problems) io.err(`rejected: ${rejected.id} ${p.path}: ${p.message}\n`);
  }
  for (const dependent of accepted.dependents) io.err(`rejected: ${dependent.id}: depends on rejected ${dependent.because}\n`);
  return { records: accepted.records, rejected: result.rejected.length + accepted.dependents.length };
}

/** How `maillon import` treats what exists: see {@link importInto}. */
interface ImportRules {
  /** Write nothing; say what would change. */
  readonly dryRun?: boolean;
  /** Replace an existing enterprise's profile (its name included) with the file's. */
  readonly updateProfile?: boolean;
  /** Give existing catalog items and offers the file's stock. */
  readonly stock?: boolean;
}

function countsLine(label: string, c: ImportCounts, dryRun: boolean): string {
  const verb = (done: string, would: string): string => (dryRun ? would : done);
  return `  ${label}: ${c.added} ${verb('added', 'to add')}, ${c.updated} ${verb('updated', 'to update')}, ${c.unchanged} unchanged`
    + `${c.notInFile > 0 ? `, ${c.notInFile} not in the file (kept)` : ''}\n`;
}

/** What an import changed (or would change), one line per kind. */
function changesText(changes: ImportChanges): string {
  const dryRun = !changes.written;
  const enterprise = {
    created: dryRun ? 'to create' : 'created',
    replaced: `profile ${dryRun ? 'to replace' : 'replaced'} from the file`,
    kept: `profile kept${changes.nameInFile !== undefined ? ` (the file names it ${JSON.stringify(changes.nameInFile)})` : ''}; --update-profile replaces it`,
    unchanged: 'unchanged (the file has no enterprise)',
  }[changes.enterprise];
  return `  enterprise: ${enterprise}\n${countsLine('products', changes.products, dryRun)}${countsLine('catalog items', changes.items, dryRun)}`
    + `${countsLine('offers', changes.offers, dryRun)}`
    + `${changes.stockKept > 0 ? `  stock: ${changes.stockKept} kept as stored where the file gives another; --stock takes the file's\n` : ''}`;
}

/**
 * Imports one file into an enterprise, creating the enterprise from the file when it does not exist: all in
 * one transaction, so that a failed or killed import leaves nothing (never an enterprise without its catalogue).
 * A rejected resource is reported and left out; the others go in (the import then exits 1).
 *
 * Into an enterprise that exists, the file's products, items and offers are added or replaced, and the rest of
 * the catalogue stays; its profile (name, address, contact) and the stock of its existing items and offers
 * (set through the API, moved by orders) are kept unless `updateProfile` and `stock` say otherwise.
 */
async function importInto(node: NodeParts, path: string, eid: string, io: Io, rules: ImportRules = {}): Promise<boolean> {
  const decoded = await decodeFile(node, path, io, true);
  if (decoded === undefined) return false;
  if (decoded.records.length === 0) {
    io.err(`${path}: nothing imported: ${count(decoded.rejected, 'resource')} rejected, none valid\n`);
    return false;
  }
  const bar = rules.dryRun === true ? undefined : progressBar(`importing ${path}`);
  const { summary: counts, changes } = await node.catalog.importCatalogue(eid, decoded.records, {
    create: true, keepProfile: rules.updateProfile !== true, keepStock: rules.stock !== true, dryRun: rules.dryRun === true,
    ...(bar !== undefined ? { onProgress: bar } : {}),
  });
  io.out(`${path} → ${eid}${rules.dryRun === true ? ' (dry run, nothing written)' : ''}: ${count(counts.products, 'product')}, ${count(counts.items, 'catalog item')}, ${count(counts.offers, 'offer')}`
    + `${counts.others > 0 ? `, ${count(counts.others, 'other resource')} (sale sessions, customer categories, catalogues)` : ''}\n`);
  io.out(changesText(changes));
  if (counts.skipped.length > 0) {
    const kinds = [...new Set(counts.skipped)].join(', ');
    io.err(`${path}: ${count(counts.skipped.length, 'resource')} not imported, not part of a catalogue (${kinds})\n`);
  }
  if (counts.listed > 0) {
    io.err(`${path}: ${count(counts.listed, 'resource')} left as they are: listings of other nodes' items publish them, managed by their origin (maillon listing set changes a listing's price)\n`);
  }
  if (decoded.rejected > 0) io.err(`${path}: ${count(decoded.rejected, 'resource')} rejected, the others ${rules.dryRun === true ? 'would be ' : ''}imported\n`);
  return decoded.rejected === 0;
}

/** `maillon import FILE --enterprise EID [--dry-run] [--update-profile] [--stock]`. */
export async function importCommand(file: string | undefined, options: NodeCommandOptions, io: Io): Promise<number> {
  if (file === undefined || options.enterprise === undefined) throw new UsageError('usage: maillon import FILE --enterprise EID [--dry-run] [--update-profile] [--stock]');
  if (!isValidLocalId(options.enterprise)) throw new UsageError(`invalid enterprise id ${JSON.stringify(options.enterprise)}`);
  const eid = options.enterprise;
  const rules: ImportRules = { dryRun: options['dry-run'] === true, updateProfile: options['update-profile'] === true, stock: options.stock === true };
  if (rules.dryRun) {
    // A dry run changes nothing, opening included: no database is created, and a --base-url does not move the ids.
    const { db } = loadConfig(options);
    if (db !== ':memory:' && !existsSync(db)) {
      io.err(`${file}: nothing to compare: there is no database at ${db} yet (an import without --dry-run creates it)\n`);
      return 1;
    }
    return withNode(options, async (node) => ((await importInto(node, file, eid, io, rules)) ? 0 : 1), (c) => ({ ...c, baseUrlGiven: false }));
  }
  return withNode(options, async (node) => ((await importInto(node, file, eid, io, rules)) ? 0 : 1));
}

/** `maillon export --enterprise EID [--to FORMAT] [--profile dfc-v2]`. */
export async function exportCommand(options: NodeCommandOptions, io: Io): Promise<number> {
  if (options.enterprise === undefined) throw new UsageError('usage: maillon export --enterprise EID [--to jsonld|turtle|ntriples|nquads]');
  const format = (options.to ?? 'jsonld') as OutputFormat;
  if (!['jsonld', 'turtle', 'ntriples', 'nquads'].includes(format)) throw new UsageError('--to must be jsonld, turtle, ntriples or nquads');
  const eid = options.enterprise;
  return withNode(options, async (node) => {
    const { records: profile } = await node.catalog.enterpriseGraph(eid);
    const catalogue = await node.catalog.catalogue(eid);
    const records: DfcRecord[] = [...profile, ...(await node.catalog.otherResources(eid)), ...catalogue.groups.values()];
    for (const entry of catalogue.entries) records.push(entry.product, ...entry.items, ...entry.offers);
    io.out(serialize(records, format, options.profile === 'dfc-v2' ? { profile: 'dfc-v2' } : {}));
    io.out('\n');
    return 0;
  });
}

/** `maillon enterprise add|list`. */
export async function enterpriseCommand(sub: string | undefined, file: string | undefined, options: NodeCommandOptions, io: Io): Promise<number> {
  return withNode(options, async (node) => {
    if (sub === 'list') {
      for (const row of await node.store.listEnterprises()) {
        io.out(`${row.eid}\t${row.name}${row.private ? '\t(private)' : ''}\t${row.iri}\n`);
      }
      return 0;
    }
    if (sub === 'remove') return removeEnterprise(node, file, options, io);
    if (sub !== 'add') throw new UsageError('usage: maillon enterprise add (FILE | --id EID --name NAME) [--private] | enterprise list | enterprise remove EID [--yes]');
    let records: DfcRecord[];
    if (file !== undefined) {
      const decoded = await decodeFile(node, file, io);
      if (decoded === undefined) return 1;
      records = decoded.records;
    } else {
      if (options.name === undefined) throw new UsageError('enterprise add needs a FILE or --name');
      const enterprise: EnterpriseRecord = {
        kind: 'Enterprise', id: '_:enterprise' as NodeId, name: options.name, supplies: [], manages: [], maintains: [], customerCategories: [], affiliates: [],
      };
      records = [enterprise];
    }
    if (options.id !== undefined && !isValidLocalId(options.id)) throw new UsageError(`invalid enterprise id ${JSON.stringify(options.id)}`);
    const row = await node.catalog.createEnterprise(records, { ...(options.id !== undefined ? { eid: options.id } : {}), private: options.private === true });
    io.out(`created enterprise ${row.eid}: ${row.iri}\n`);
    return 0;
  });
}

/**
 * `maillon enterprise remove EID [--yes]`: without `--yes`, says what would go and changes nothing; with it,
 * removes the enterprise, its resources withdrawn through the change feed so that peers see them go.
 */
async function removeEnterprise(node: NodeParts, eid: string | undefined, options: NodeCommandOptions, io: Io): Promise<number> {
  if (eid === undefined) throw new UsageError('usage: maillon enterprise remove EID [--yes]');
  const row = await node.store.getEnterprise(eid);
  if (row === undefined) {
    io.err(`no enterprise ${eid}\n`);
    return 1;
  }
  if (options.yes !== true) {
    // What the removal withdraws: every resource of the enterprise (product groups, sale sessions… as well).
    const resources = (await node.store.listResources(eid, RECORD_KINDS)).length;
    const tokens = (await node.store.listTokens(eid)).length;
    io.err(`enterprise ${eid} (${row.name}) has ${resources} published resource(s) and ${tokens} token(s); removing it withdraws them from every peer. `
      + `Nothing removed: run 'maillon enterprise remove ${eid} --yes'\n`);
    return 1;
  }
  const removed = await node.catalog.removeEnterprise(eid);
  io.out(`removed enterprise ${eid}: ${removed.resources} resource(s) withdrawn through the change feed, ${removed.tokens} token(s)`
    + `${removed.listings > 0 ? `, ${removed.listings} listing(s)` : ''} deleted\n`);
  return 0;
}

/** `maillon token create|list|revoke`. */
export async function tokenCommand(sub: string | undefined, id: string | undefined, options: NodeCommandOptions, io: Io): Promise<number> {
  if (sub === 'create' && options.admin === true) {
    // An admin token acts on every enterprise: asked with an enterprise or scopes too, which did the user mean?
    const meant = [options.enterprise !== undefined ? '--enterprise' : undefined, options.scopes !== undefined ? '--scopes' : undefined].filter(Boolean);
    if (meant.length > 0) throw new UsageError(`token create --admin makes a token for every enterprise and scope: it takes no ${meant.join(' or ')}`);
  }
  return withNode(options, async (node) => {
    switch (sub) {
      case 'create': {
        if (options.admin === true) {
          await printNewAdminToken(node, io);
          return 0;
        }
        if (options.enterprise === undefined) throw new UsageError('token create needs --enterprise EID (or --admin)');
        if ((await node.store.getEnterprise(options.enterprise)) === undefined) throw new UsageError(`no enterprise ${options.enterprise}`);
        const scopes = (options.scopes ?? 'ReadEnterprise,ReadProducts,WriteProducts').split(',').map((s) => s.trim()).filter(Boolean);
        const invalid = scopes.filter((s) => !isScope(s));
        if (invalid.length > 0) throw new UsageError(`unknown scope(s) ${invalid.join(', ')}; scopes: ${SCOPES.join(', ')}`);
        // `--scopes ''` (a variable expanded to nothing) made a token that can do nothing, shown as if it were one.
        if (scopes.length === 0) throw new UsageError(`--scopes must name at least one scope (${SCOPES.join(', ')})`);
        const { token, row } = await issueToken(node.store, {
          eid: options.enterprise, scopes: scopes as Scope[], ...(options.label !== undefined ? { label: options.label } : {}),
        });
        io.out(`Token ${row.id} for ${options.enterprise} (${row.scopes.join(' ')}), shown once:\n  ${token}\n`);
        return 0;
      }
      case 'list':
        for (const t of await node.store.listTokens(options.enterprise)) {
          io.out(`${t.id}\t${t.eid ?? '(admin)'}\t${t.scopes.join(',')}\t${t.label ?? ''}\t${t.revokedAt === null ? 'active' : `revoked ${t.revokedAt}`}\n`);
        }
        return 0;
      case 'revoke':
        if (id === undefined) throw new UsageError('usage: maillon token revoke ID');
        if (!(await node.store.revokeToken(id))) {
          io.err(`no active token ${id}\n`);
          return 1;
        }
        io.out(`revoked ${id}\n`);
        return 0;
      default:
        throw new UsageError('usage: maillon token create --enterprise EID [--scopes A,B] [--label L] | token create --admin | token list | token revoke ID');
    }
  });
}

/** How long requests in flight get to finish when the node is told to stop. */
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * `maillon serve`: runs the node until SIGINT/SIGTERM. With `--seed DIR`, an empty database is first filled
 * with every `*.jsonld` catalogue of DIR (one enterprise per file, named after the file), and a new database
 * gets an admin token, printed once.
 */
export async function serve(options: NodeCommandOptions, io: Io): Promise<number> {
  const config = loadConfig(options);
  // Checked before anything is opened or created: a start that fails creates and changes nothing.
  if (options.seed !== undefined && !isDirectory(options.seed)) {
    io.err(`maillon: --seed ${JSON.stringify(options.seed)} is no folder of catalogues (*.jsonld)\n`);
    return 2;
  }
  const node = await startNode(config);
  if (node.baseUrlNotice !== undefined) io.err(`maillon: ${node.baseUrlNotice}\n`);
  try {
    if (!(await adminTokenExists(node))) await printNewAdminToken(node, io);
    if (options.seed !== undefined && (await node.store.listEnterprises()).length === 0) {
      const files = readdirSync(options.seed).filter((f) => f.endsWith('.jsonld')).sort();
      for (const file of files) await importInto(node, join(options.seed, file), file.replace(/\.jsonld$/u, ''), io);
    }
  } catch (error: unknown) {
    await node.close();
    throw error;
  }
  if (config.syncSchedule) node.scheduler.start();
  // SIGINT (Ctrl-C) and SIGTERM (systemd, docker, kill) stop the node the same way. The handlers are in place
  // before the line that says the node serves: whoever waits for that line may signal at once.
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    const stop = (received: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(received);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  io.out(`Maillon serving ${node.store.baseUrl}/api/dfc/enterprises (listening on ${node.url}, database ${config.db})\n`);
  const signal = await stopped;
  node.logger.info({ signal }, 'stopping: finishing the requests in flight');
  await node.shutdown(SHUTDOWN_GRACE_MS);
  node.logger.info({ signal }, 'stopped');
  return 0;
}

/** Turns service errors into a message for the operator. */
export function describeError(error: unknown): string {
  if (error instanceof HttpError) {
    const details = (error.problems ?? []).filter((p) => p.severity === 'error').slice(0, 10).map((p) => `\n  ${p.id ?? ''} ${p.path}: ${p.message}`);
    return `${error.message}${details.join('')}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Whether `path` is a folder this process can read. */
function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
