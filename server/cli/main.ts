/**
 * The `maillon` command line.
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Decoder, type DecodeResult } from '../codec/decode.js';
import { mediaTypeOfFile } from '../codec/media-types.js';
import type { Problem } from '../errors/problem.js';
import { serialize, type OutputFormat } from '../codec/serialize.js';
import { FileTaxonomyStore } from '../store/taxonomy-store.js';
import { ConfigError, loadConfig } from '../config.js';
import { currencyOfCode, EURO } from '../../ontology/units.js';
import {
  describeError, enterpriseCommand, exportCommand, importCommand, init, serve, tokenCommand, UsageError, withNode, type Io,
} from './node-commands.js';
import { identityCommand, peerCommand, syncCommand } from './sync-commands.js';
import { listingCommand } from './listing-commands.js';
import { solidCommand } from './solid-commands.js';
import { readTaxonomyFile } from './taxonomy.js';
import { grantCommand, oidcCommand } from './oidc-commands.js';
import { count } from './words.js';
import { COMMANDS, commandHelp, globalHelp, nearest, optionsOf, OPTIONS, unknownEnvironment } from './help.js';
import { contextCommand } from './context-commands.js';
import { storedContexts } from '../main.js';
import { backupCommand, restoreCommand } from './backup-commands.js';
import { configCommand } from './config-commands.js';

/** Where the DFC publishes its taxonomies (SKOS, JSON-LD and RDF/XML). */
const TAXONOMY_RELEASES = 'https://github.com/datafoodconsortium/taxonomies/releases';

function dataDir(values: { 'data-dir'?: string | undefined }): string {
  // An empty MAILLON_DATA_DIR (a template expanded to nothing) is none, as `serve` reads it (config.ts).
  const env = process.env['MAILLON_DATA_DIR'];
  return values['data-dir'] ?? (env === undefined || env === '' ? undefined : env) ?? './data';
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
      + `${count(errors, 'error')}, ${count(resource.problems.length - errors, 'warning')}\n`;
    for (const p of resource.problems) out += `  ${formatProblem(p)}\n`;
  }
  const counts = `${count(report.records, 'resource')} accepted, ${report.rejected} rejected, ${count(report.errors, 'error')}, ${count(report.warnings, 'warning')}`;
  return `${out}${file}: ${report.valid ? 'valid' : 'invalid'}, ${counts}\n`;
}

/** Says on standard error that a stored context is left out (documents naming it are then refused). */
function warnUnreadable(io: Io): (unreadable: { file: string; reason: string }) => void {
  return ({ file, reason }) => io.err(`warning: stored context ${file} is left out: ${reason}\n`);
}

async function decodeFile(path: string, dataDir: string, io: Io, options: { readonly asWritten?: boolean } = {}): Promise<DecodeResult> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error: unknown) {
    throw new UsageError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const decoder = new Decoder({ taxonomy: new FileTaxonomyStore(dataDir).load(), contexts: storedContexts(dataDir, warnUnreadable(io)), defaultCurrency: nodeCurrency() });
  return decoder.decode(text, { mediaType: mediaTypeOfFile(path, text), ...options });
}

/**
 * The node's currency (`MAILLON_CURRENCY`, read and checked as `serve` reads it): a bare-number price in a file read is
 * in it, not in euros. Only that variable is read: a file is converted whatever else the environment says.
 */
function nodeCurrency(): string {
  return currencyOfCode(loadConfig({}, { MAILLON_CURRENCY: process.env['MAILLON_CURRENCY'] }).currency) ?? EURO;
}

const FORMATS: readonly OutputFormat[] = ['jsonld', 'turtle', 'ntriples', 'nquads'];

/**
 * Runs one command.
 *
 * @param argv - the arguments after `maillon`
 * @param io - where to write
 * @returns the exit code
 */
export async function run(given: readonly string[], io: Io): Promise<number> {
  const argv = joinNegativeValues(given);
  const command = checkUsage(argv);
  const { values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, options: OPTIONS });
  const rest = positionals.slice(1);
  if (values.version === true && command === undefined) {
    io.out(`maillon ${version()}\n`);
    return 0;
  }
  if (command === undefined) {
    if (values.help === true) {
      io.out(globalHelp());
      return 0;
    }
    io.err(globalHelp());
    return 2;
  }
  if (command === 'help') {
    const about = rest[0];
    if (about !== undefined && COMMANDS[about] === undefined) throw new UsageError(unknownCommand(about));
    io.out(about === undefined ? globalHelp() : commandHelp(about));
    return 0;
  }
  if (values.help === true) {
    io.out(commandHelp(command));
    return 0;
  }
  const subcommands = subcommandsOf(command);
  if (subcommands.length > 0 && rest[0] !== undefined && !subcommands.includes(rest[0])) throw new UsageError(unknownSubcommand(command, rest[0], subcommands));
  const most = mostPositionals(command);
  if (rest.length > most) {
    throw new UsageError(`${command} takes ${most === 0 ? 'no argument' : `at most ${most} argument(s)`}; ${JSON.stringify(rest[most])} is one too many (see 'maillon help ${command}')`);
  }
  switch (command) {
    case 'validate': {
      const file = rest[0];
      if (file === undefined) throw new UsageError('validate needs a FILE');
      const result = await decodeFile(file, dataDir(values), io);
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
      // A conversion gives back the document's graph: nothing added to it.
      const result = await decodeFile(file, dataDir(values), io, { asWritten: true });
      const errors = result.problems.filter((p) => p.severity === 'error');
      for (const p of errors) io.err(`${formatProblem(p)}\n`);
      if (errors.length > 0) {
        io.err(`${file}: not converted: ${count(errors.length, 'error')}; run 'maillon validate ${file}' for details\n`);
        return 1;
      }
      // What the document as a whole lost in the reading (N-Quads' graph names) is said.
      for (const p of result.problems) if (p.id === null && p.severity === 'warning') io.err(`${file}: ${formatProblem(p)}\n`);
      // Faithful: the document's own container (its @id, what it contains) and paging views are written back.
      // A stock the document did not state is not written either: not as on demand, which an offer's would mean.
      io.out(serialize(result.records, to, {
        ...(values.profile === 'dfc-v2' ? { profile: 'dfc-v2' } : {}), envelopes: result.envelopes,
        ...(result.unstatedStock !== undefined ? { unstatedStock: result.unstatedStock } : {}),
      }));
      io.out('\n');
      return 0;
    }
    case 'taxonomy': {
      const store = new FileTaxonomyStore(dataDir(values));
      if (rest[0] === 'list') {
        const loaded = store.list();
        if (loaded.length === 0) io.out(`no taxonomy loaded in ${dataDir(values)}; the node uses the product types, units and currencies it ships (load one with maillon taxonomy load FILE)\n`);
        for (const t of loaded) io.out(`${t.name}\t${count(t.concepts, 'concept')}\n`);
        return 0;
      }
      if (rest[0] === 'load' && rest[1] === undefined) {
        throw new UsageError('taxonomy load needs a FILE: an official DFC SKOS taxonomy, such as productTypes.json or measures.json, '
          + `published at ${TAXONOMY_RELEASES}; the node works without it, with the product types, units and currencies it ships`);
      }
      if (rest[0] !== 'load' || rest[1] === undefined) throw new UsageError('taxonomy takes load FILE or list');
      const { name, concepts } = await readTaxonomyFile(rest[1], storedContexts(dataDir(values), warnUnreadable(io)));
      store.save(name, concepts);
      io.out(`loaded ${count(concepts.length, 'concept')} from ${rest[1]} as taxonomy "${name}"\n`);
      return 0;
    }
    case 'context':
      return contextCommand(rest, values, io);
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
    case 'solid':
      return withNode(values, (node) => solidCommand(node, rest[0], values, io));
    case 'backup':
      return backupCommand(rest[0], values, io);
    case 'restore':
      return restoreCommand(rest[0], values, io);
    default:
      throw new UsageError(unknownCommand(command));
  }
}

/**
 * The subcommands of a command: the second word of each line of its usage (`token create …`, `token list`), or none
 * when a line has an argument there (`import FILE`, `sync [--peer ID]`).
 */
function subcommandsOf(command: string): string[] {
  const words = (COMMANDS[command]?.usage ?? []).map((line) => line.trim().split(/\s+/u)[1] ?? '');
  return words.length > 0 && words.every((word) => /^[a-z][a-z-]*$/u.test(word)) ? [...new Set(words)] : [];
}

/**
 * The most words a command takes after its name (its subcommand, files, ids), from its usage lines: a word that is
 * no option nor an option's value, bracketed (optional) or not. More is a mistake to refuse, not to ignore
 * (`maillon restore backup.db /srv/other.db` restored into the default database, `serve extra` served).
 */
function mostPositionals(command: string): number {
  const counts = (COMMANDS[command]?.usage ?? []).map((line) => {
    const words = line.trim().split(/\s+/u).slice(1).map((w) => w.replace(/[[\]()]/gu, ''));
    return words.filter((word, i) => word !== '' && word !== '|' && !word.startsWith('-') && !(words[i - 1] ?? '').startsWith('--')).length;
  });
  return Math.max(0, ...counts);
}

/** The message for a subcommand that does not exist, in one line, with the nearest one when the user probably slipped. */
function unknownSubcommand(command: string, typed: string, subcommands: readonly string[]): string {
  const near = nearest(typed, subcommands);
  return `unknown ${command} subcommand ${JSON.stringify(typed)}; ${near !== undefined ? `did you mean '${command} ${near}'?` : `${command} takes ${subcommands.join(', ')}`}`;
}

/** The message for a command that does not exist, with the nearest one when the user probably slipped. */
function unknownCommand(typed: string): string {
  const near = nearest(typed, Object.keys(COMMANDS));
  return `unknown command ${JSON.stringify(typed)}${near !== undefined ? `; did you mean '${near}'?` : ''}`;
}

/**
 * Finds the command and refuses what it does not take, before the real parse: an option another command takes
 * would otherwise be accepted and ignored, and a mistyped one would get Node's message about positionals.
 *
 * @returns the command, or undefined when none is given
 * @throws UsageError naming the unknown command or option, with the nearest one
 */
function checkUsage(argv: readonly string[]): string | undefined {
  const { positionals, tokens } = parseArgs({ args: [...argv], allowPositionals: true, strict: false, tokens: true, options: OPTIONS });
  const command = positionals[0];
  if (command !== undefined && COMMANDS[command] === undefined) throw new UsageError(unknownCommand(command));
  const accepted = command === undefined ? ['help', 'version'] : optionsOf(command);
  for (const token of tokens) {
    if (token.kind !== 'option' || accepted.includes(token.name)) continue;
    const near = nearest(token.name, accepted);
    const where = command === undefined ? 'maillon' : command;
    throw new UsageError(`${where} has no option ${token.rawName}${near !== undefined ? `; did you mean --${near}?` : ''}`);
  }
  return command;
}

/**
 * `--markup -10%`, `--price -1`: Node's parser takes a value that starts with a dash for an option whose value was
 * forgotten, and refuses it as ambiguous. A negative number names no option (none starts with a digit), so such a
 * value after a long option that takes one is joined to it (`--markup=-10%`), as the user typing it meant; the
 * command then reads it as any other value (and refuses it with its own message when it makes no sense).
 */
function joinNegativeValues(argv: readonly string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      joined.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    const spec = arg.startsWith('--') ? (OPTIONS as Readonly<Record<string, { type: string }>>)[arg.slice(2)] : undefined;
    if (spec?.type === 'string' && next !== undefined && /^-\.?\d/u.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/** The version in our package.json, found from this file (it runs from `server/` under tsx and `dist/server/` built). */
function version(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'maillon' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not here: look in the parent folder
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

/** The command named in argv, when there is a known one: where a usage error points for help. */
function commandOf(argv: readonly string[]): string | undefined {
  try {
    const first = parseArgs({ args: [...argv], allowPositionals: true, strict: false, options: OPTIONS }).positionals[0];
    return first !== undefined && COMMANDS[first] !== undefined ? first : undefined;
  } catch {
    return undefined;
  }
}

let pipeWatched = false;

/** `maillon export … | head` closes the pipe early: that is the reader's choice, not an error to report. */
function quietOnClosedPipe(): void {
  if (pipeWatched) return;
  pipeWatched = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw error;
  });
}

/** Runs the command line as a program. */
export async function main(argv: readonly string[]): Promise<void> {
  quietOnClosedPipe();
  for (const warning of unknownEnvironment()) process.stderr.write(`maillon: warning: ${warning}\n`);
  const io: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };
  try {
    process.exitCode = await run(argv, io);
  } catch (error: unknown) {
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      const command = commandOf(argv);
      const pointer = command === undefined || command === 'help' ? 'maillon --help' : `maillon ${command} --help`;
      io.err(`maillon: ${error.message}\nRun '${pointer}' for usage.\n`);
      process.exitCode = 2;
    } else if (error instanceof ConfigError) {
      // One line per bad value, each marked as ours.
      io.err(error.message.split('\n').map((line) => `maillon: ${line}\n`).join(''));
      process.exitCode = 2;
    } else {
      io.err(`maillon: ${describeError(error)}\n`);
      process.exitCode = 1;
    }
  }
}
