/**
 * What each command takes, and the help built from it: `maillon help [COMMAND]`, `maillon COMMAND --help`, and
 * the suggestions a mistyped command or option gets.
 *
 * One table is the truth for the three: the help cannot describe an option the parser refuses, and the parser
 * cannot accept an option a command's help does not show.
 *
 * @packageDocumentation
 */

import { ENVIRONMENT } from '../config.js';

/** A command of the command line. */
export interface CommandSpec {
  /** One line: what it is for. */
  readonly summary: string;
  /** Its forms, one per line, without the leading `maillon `. */
  readonly usage: readonly string[];
  /** The long options it takes (without `--`), beyond the common ones. */
  readonly options: readonly string[];
  /** A node command opens the database (and so takes `--db` and `--data-dir`). */
  readonly node: boolean;
}

/** Every option, as the parser declares it, with the line its help shows. */
export const OPTIONS = {
  json: { type: 'boolean', help: 'machine-readable output (JSON)' },
  to: { type: 'string', help: 'output format: jsonld, turtle, ntriples or nquads' },
  profile: { type: 'string', help: 'DFC context: dfc-v1 (1.16, the default) or dfc-v2 (2.0)' },
  'data-dir': { type: 'string', help: 'where the node keeps its data (default ./data, or MAILLON_DATA_DIR)' },
  db: { type: 'string', help: 'SQLite database (default DATA_DIR/maillon.db, or MAILLON_DB)' },
  port: { type: 'string', help: 'port to listen on (default 3000, or MAILLON_PORT)' },
  host: { type: 'string', help: 'address to listen on (default 127.0.0.1, or MAILLON_HOST)' },
  'base-url': { type: 'string', help: 'public base URL every @id is built from (or MAILLON_BASE_URL)' },
  seed: { type: 'string', help: 'fill an empty database with every DIR/*.jsonld catalogue' },
  enterprise: { type: 'string', help: 'the enterprise (its id, e.g. ferme-des-trois-chenes)' },
  name: { type: 'string', help: 'a name (of the enterprise, or of the peer)' },
  id: { type: 'string', help: 'the enterprise id to create' },
  scopes: { type: 'string', help: 'comma-separated scopes (ReadProducts, WriteProducts, ReadOrders, WriteOrders, …)' },
  label: { type: 'string', help: 'a label to recognise the token by' },
  admin: { type: 'boolean', help: 'an admin token (every enterprise, node administration)' },
  private: { type: 'boolean', help: 'the enterprise is not listed publicly' },
  'allow-private': { type: 'boolean', help: 'allow peers on private and loopback addresses (development, tests)' },
  token: { type: 'string', help: "the peer's API token" },
  'token-header': { type: 'string', help: 'the header the token goes in (default Authorization: Bearer; OFN: x-api-token)' },
  interval: { type: 'string', help: 'how often to sync the peer (e.g. 30s, 5m, 1h)' },
  peer: { type: 'string', help: 'only this peer (its id or name)' },
  price: { type: 'string', help: 'a fixed price (3.5: above 0, at most 2 decimals)' },
  markup: { type: 'string', help: "a markup on the origin's price (e.g. 15%, or -10% for a discount)" },
  audience: { type: 'string', help: 'the audience tokens of the issuer must name' },
  issuer: { type: 'string', help: 'the OpenID issuer (URL) of the identity' },
  'oidc-email': { type: 'string', help: 'an OpenID user, by e-mail' },
  'oidc-sub': { type: 'string', help: 'an OpenID user, by subject' },
  'oidc-client-id': { type: 'string', help: 'an OpenID client (a platform), by client id' },
  'oidc-issuer': { type: 'string', help: "the peer's OpenID issuer (URL)" },
  'client-id': { type: 'string', help: 'OpenID client id' },
  'client-secret': { type: 'string', help: 'OpenID client secret' },
  'refresh-token': { type: 'string', help: "a user's OpenID refresh token (offline_access)" },
  scope: { type: 'string', help: 'OpenID scope to ask for' },
  'no-oidc': { type: 'boolean', help: 'forget the OpenID credentials of the peer' },
  'trust-proxy': { type: 'string', help: 'believe X-Forwarded-* from these reverse proxies: loopback, a number of hops, or addresses (or MAILLON_TRUST_PROXY)' },
  'origin-price': { type: 'boolean', help: "listing set: sell at the owner's price (no fixed price, no markup)" },
  force: { type: 'boolean', help: 'overwrite FILE if it exists; solid publish: replace pod documents changed behind our back; listing remove: cancel the open orders that sell from it' },
  pod: { type: 'string', help: 'the Solid pod (its URL) to publish into' },
  container: { type: 'string', help: 'the container inside the pod (a relative path; default dfc/EID/)' },
  follow: { type: 'boolean', help: 'keep publishing each change of the catalogue (until Ctrl-C)' },
  kind: { type: 'string', help: 'what the peer is: dfc (a DFC node, the default) or solid (a Solid pod or WebID); found by itself when not given' },
  'no-token': { type: 'boolean', help: "forget the peer's API token" },
  yes: { type: 'boolean', help: 'do it (without it, the command only says what it would do)' },
  'dry-run': { type: 'boolean', help: 'print what would change, and write nothing' },
  'update-profile': { type: 'boolean', help: "replace an existing enterprise's profile (its name…) with the file's" },
  stock: { type: 'boolean', help: "set existing items' stock from the file (by default the stock they have is kept)" },
  help: { type: 'boolean', short: 'h', help: "this command's help" },
  version: { type: 'boolean', short: 'V', help: 'the version of maillon' },
} as const satisfies Record<string, { type: 'string' | 'boolean'; short?: string; help: string }>;

/** An option's name. */
export type OptionName = keyof typeof OPTIONS;

// Every node command opens the node with its configuration, so they all take what configures it.
const NODE = ['db', 'data-dir', 'base-url', 'allow-private'] as const;

/** The commands, in the order the help lists them. */
export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  init: {
    summary: 'create the database and print the admin token once',
    usage: ['init [--base-url URL | --host H --port P] [--allow-private]'],
    options: ['port', 'host', 'allow-private'],
    node: true,
  },
  config: {
    summary: 'the node settings stored in its database (allow-private true|false), read by every command and the node',
    usage: ['config set KEY VALUE', 'config get [KEY]', 'config list'],
    options: [],
    node: true,
  },
  serve: {
    summary: 'run the node',
    usage: ['serve [--port P] [--host H] [--base-url URL] [--seed DIR] [--allow-private] [--trust-proxy loopback|N|ADDR,...]'],
    options: ['port', 'host', 'seed', 'allow-private', 'trust-proxy'],
    node: true,
  },
  enterprise: {
    summary: 'manage enterprises',
    usage: ['enterprise add (FILE | --id EID --name NAME) [--private]', 'enterprise list', 'enterprise remove EID [--yes]'],
    options: ['id', 'name', 'private', 'yes'],
    node: true,
  },
  import: {
    summary: 'import a DFC catalogue into an enterprise (created if absent)',
    usage: ['import FILE --enterprise EID [--dry-run] [--update-profile] [--stock]'],
    options: ['enterprise', 'dry-run', 'update-profile', 'stock'],
    node: true,
  },
  export: {
    summary: "write an enterprise's profile and catalogue",
    usage: ['export --enterprise EID [--to jsonld|turtle|ntriples|nquads] [--profile dfc-v2]'],
    options: ['enterprise', 'to', 'profile'],
    node: true,
  },
  token: {
    summary: 'manage API tokens',
    usage: [
      'token create --enterprise EID [--scopes ReadProducts,WriteProducts,...] [--label L]',
      'token create --admin [--label L]',
      'token list [--enterprise EID]',
      'token revoke ID',
    ],
    options: ['enterprise', 'scopes', 'label', 'admin'],
    node: true,
  },
  oidc: {
    summary: 'the OpenID Connect issuers whose tokens are accepted',
    usage: ['oidc issuer add URL|les-communs|fdc [--audience A]', 'oidc issuer list', 'oidc issuer remove URL'],
    options: ['audience'],
    node: true,
  },
  grant: {
    summary: 'what an OpenID identity may do on an enterprise',
    usage: [
      'grant (--oidc-email E | --oidc-sub S | --oidc-client-id C) --enterprise EID --scopes A,B [--issuer URL]',
      'grant list [--enterprise EID]',
      'grant revoke ID',
    ],
    options: ['oidc-email', 'oidc-sub', 'oidc-client-id', 'enterprise', 'scopes', 'issuer'],
    node: true,
  },
  peer: {
    summary: 'the peers this node federates',
    usage: [
      'peer add URL [--name N] [--token T] [--token-header x-api-token] [--interval 5m] [--profile dfc-v2] [--kind solid] [--allow-private]',
      'peer list',
      'peer remove ID',
      'peer status [ID]',
      'peer subscribe ID [--allow-private]',
      'peer set ID [--token T | --no-token] [--token-header H] [--interval 5m] [--name N] [--profile dfc-v2]',
      'peer set ID --oidc-issuer URL --client-id C (--client-secret S | --refresh-token R) [--scope S]',
      'peer set ID --no-oidc',
    ],
    options: [
      'name', 'token', 'token-header', 'interval', 'profile', 'kind', 'allow-private', 'oidc-issuer', 'client-id', 'client-secret',
      'refresh-token', 'scope', 'no-oidc', 'no-token',
    ],
    node: true,
  },
  solid: {
    summary: "publish an enterprise's catalogue into a Solid pod (Turtle documents; only what changed is written)",
    usage: [
      'solid publish --pod URL --enterprise EID [--container PATH] [--follow] [--force]',
      'solid publish --pod URL --enterprise EID --client-id ID --client-secret S [--oidc-issuer URL]',
    ],
    options: ['pod', 'container', 'enterprise', 'client-id', 'client-secret', 'oidc-issuer', 'follow', 'force'],
    node: true,
  },
  sync: {
    summary: 'sync peers now and print a summary table',
    usage: ['sync [--peer ID] [--allow-private]'],
    options: ['peer', 'allow-private'],
    node: true,
  },
  identity: {
    summary: 'vouch that two products are one (the federated catalogue lists them once)',
    usage: ['identity confirm SUBJECT TARGET'],
    options: [],
    node: true,
  },
  listing: {
    summary: "sell another node's catalog item in an enterprise's catalogue",
    usage: ['listing add ITEM --enterprise EID [--price P | --markup 15%] [--allow-private]', 'listing list --enterprise EID', 'listing set ID --enterprise EID (--price P | --markup 15% | --origin-price)', 'listing remove ID --enterprise EID [--force]'],
    options: ['enterprise', 'price', 'markup', 'origin-price', 'allow-private', 'force'],
    node: true,
  },
  backup: {
    summary: 'copy the database to FILE, consistently, while the node serves',
    usage: ['backup FILE [--force]'],
    options: ['force'],
    node: true,
  },
  restore: {
    summary: 'put a backup back into a stopped node (the replaced database is kept)',
    usage: ['restore FILE'],
    options: [],
    node: true,
  },
  validate: {
    summary: 'check a DFC document; exit 1 when a resource is rejected',
    usage: ['validate FILE [--json]'],
    options: ['json', 'data-dir'],
    node: false,
  },
  convert: {
    summary: 'write a DFC document in another format to standard output',
    usage: ['convert FILE --to jsonld|turtle|ntriples|nquads [--profile dfc-v2]'],
    options: ['to', 'profile', 'data-dir'],
    node: false,
  },
  taxonomy: {
    summary: 'load an official SKOS taxonomy (e.g. the DFC productTypes.json), or list the loaded ones',
    usage: ['taxonomy load FILE', 'taxonomy list'],
    options: ['data-dir'],
    node: false,
  },
  context: {
    summary: 'store a JSON-LD context the node does not ship, so that documents naming it are read (offline)',
    usage: ['context add URL [FILE] [--allow-private]', 'context list', 'context remove URL'],
    options: ['allow-private'],
    node: true,
  },
  help: { summary: 'this help, or the help of one command', usage: ['help [COMMAND]'], options: [], node: false },
};

/** The options a command accepts. */
export function optionsOf(command: string): readonly string[] {
  const spec = COMMANDS[command];
  if (spec === undefined) return [];
  return [...new Set([...spec.options, ...(spec.node ? NODE : []), 'help'])];
}

function optionLine(name: string): string {
  const spec = OPTIONS[name as OptionName];
  const flag = `${'short' in spec ? `-${spec.short}, ` : ''}--${name}`;
  return `  ${flag.padEnd(20)} ${spec.help}`;
}

/** The whole help: every command in one line, and how to get more. */
export function globalHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length)) + 2;
  const lines = Object.entries(COMMANDS).map(([name, spec]) => `  ${name.padEnd(width)}${spec.summary}`);
  return `Usage: maillon <command> [options]

Commands:
${lines.join('\n')}

Run 'maillon help COMMAND' or 'maillon COMMAND --help' for a command's forms and options.
Options of every command: -h, --help (its help); maillon --version prints the version.
Exit codes: 0 done, 1 the input is invalid or the operation failed, 2 the command was used wrongly.
`;
}

/** The help of one command: its forms and every option it takes. */
export function commandHelp(command: string): string {
  const spec = COMMANDS[command];
  if (spec === undefined) return globalHelp();
  return `maillon ${command}: ${spec.summary}

Usage:
${spec.usage.map((u) => `  maillon ${u}`).join('\n')}

Options:
${optionsOf(command).map(optionLine).join('\n')}
`;
}

/** Edit distance (insertions, deletions, substitutions, transpositions of neighbours). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate nearest to what was typed, when one is near enough to be a likely slip.
 *
 * @param typed - what the user typed
 * @param candidates - what exists
 */
export function nearest(typed: string, candidates: readonly string[]): string | undefined {
  const lower = typed.toLowerCase();
  let best: { name: string; d: number } | undefined;
  for (const name of candidates) {
    const candidate = name.toLowerCase();
    const d = candidate.startsWith(lower) && lower.length >= 3 ? 0.5 : distance(lower, candidate);
    if (best === undefined || d < best.d) best = { name, d };
  }
  if (best === undefined) return undefined;
  // Two edits on a long word, one on a short one: beyond that the "suggestion" is noise.
  return best.d <= Math.max(1, Math.min(2, Math.floor(typed.length / 3))) ? best.name : undefined;
}

/**
 * The `MAILLON_…` variables of an environment that the node does not know, each with the one probably meant: a
 * misspelt setting would otherwise silently keep its default.
 *
 * @param env - the environment (default `process.env`)
 * @returns one line per unknown variable
 */
export function unknownEnvironment(env: NodeJS.ProcessEnv = process.env): string[] {
  const known: readonly string[] = ENVIRONMENT;
  const prefix = 'MAILLON_';
  return Object.keys(env).filter((name) => name.startsWith(prefix) && !known.includes(name)).sort().map((name) => {
    const near = nearest(name.slice(prefix.length), known.map((k) => k.slice(prefix.length)));
    return `${name} is not a Maillon setting, it is ignored${near !== undefined ? `; did you mean ${prefix}${near}?` : ''}`;
  });
}
