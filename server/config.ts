/**
 * The node's configuration, from command-line options and environment variables (options win).
 *
 * @packageDocumentation
 */
import { isIP } from 'node:net';

/**
 * The ISO 4217 codes of the currencies DFC's measures taxonomy has (`ontology/units.ts` `CURRENCY_CODES`; this
 * module imports nothing of the node, and a test checks the two agree).
 */
export const CURRENCIES = ['AUD', 'CAD', 'EUR', 'GBP', 'USD'] as const;

/** One of {@link CURRENCIES}. */
export type CurrencyCode = (typeof CURRENCIES)[number];

/** A validated configuration. */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** SQLite database file. */
  readonly db: string;
  /** The public base URL every `@id` is built from. */
  readonly baseUrl: string;
  /**
   * Whether the base URL was given (`--base-url`, `MAILLON_BASE_URL`): only then are stored `@id`s moved to
   * it; otherwise a database keeps the base URL it was created with.
   */
  readonly baseUrlGiven: boolean;
  /** Where loaded taxonomies are kept. */
  readonly dataDir: string;
  readonly bodyLimit: number;
  readonly pageSize: number;
  readonly logLevel: string;
  /** How logs are written: JSON lines, or readable lines for a person at a terminal. */
  readonly logFormat: 'json' | 'pretty';
  readonly name: string;
  /**
   * The currency of a price given as a bare number (`"dfc-b:hasPrice": 5.25`, as Open Food Network sent it before
   * its Price nodes, or a plain-JSON offer update of an offer without a price): the node's own currency, by its
   * ISO 4217 code (`main.ts` gives the decoder its `dfc-m:` IRI).
   */
  readonly currency: CurrencyCode;
  /** Whether peers on private or loopback addresses may be synced (development and tests). */
  readonly allowPrivate: boolean;
  /** Most peers synced at once. */
  readonly syncConcurrency: number;
  /** Whether `serve` syncs peers on their intervals. */
  readonly syncSchedule: boolean;
  /** How long a resource may be absent from a peer before it is flagged withdrawn, in seconds. */
  readonly withdrawGraceSeconds: number;
  /** Connect timeout and whole-response deadline of a peer request, in milliseconds. */
  readonly fetchConnectTimeoutMs: number;
  readonly fetchTimeoutMs: number;
  /** Deadline of the whole sync of one peer (discovery and every page), in milliseconds. */
  readonly syncTimeoutMs: number;
  /** Largest peer response, in bytes once decoded. */
  readonly maxResponseBytes: number;
  /** Whether peers are asked for compressed responses (`Accept-Encoding: br, gzip`), decoded under the limit. */
  readonly fetchCompressed: boolean;
  /** Whether responses are compressed for clients that ask (off when a proxy in front compresses). */
  readonly compress: boolean;
  /** Versions per fragment of the change feed. */
  readonly feedFragmentSize: number;
  /** Days older versions are kept in the feed (the latest version of each resource is always kept). */
  readonly feedRetentionDays: number;
  /** Failed deliveries in a row before a webhook subscription is given up. */
  readonly webhookMaxFailures: number;
  /** First retry delay of a failed delivery, doubled at each failure. */
  readonly webhookBackoffMs: number;
  /** How long a held order that nobody completes or changes keeps its stock, in seconds. */
  readonly orderHoldSeconds: number;
  /** Deadline of one request to a supplier's node (placing, changing or completing an order there), in milliseconds. */
  readonly orderTimeoutMs: number;
  /** How often listings of other nodes' items fetch their origin again (the pull fallback of the push), in seconds. */
  readonly listingRefreshSeconds: number;
  /** How often the change feed of each node whose items are listed here is read (listings follow their owner), in ms. */
  readonly listingFollowMs: number;
  /** How long an OpenID issuer's keys are used before they are fetched again, in seconds. */
  readonly oidcKeysMaxAgeSeconds: number;
  /** Least time between two fetches of an issuer's keys caused by a token signed with an unknown key, in ms. */
  readonly oidcKeysCooldownMs: number;
  /**
   * Which reverse proxies' `X-Forwarded-For`/`-Proto`/`-Host` are believed (Express's `trust proxy`): `false`
   * (none: the default, so a client cannot forge its address), a number of hops, or addresses, subnets and the
   * presets `loopback`, `linklocal`, `uniquelocal`.
   */
  readonly trustProxy: TrustProxy;
  /**
   * The dashboard map's tile server, an `https` URL template with `{z}`, `{x}` and `{y}` (`{s}` for subdomains
   * allowed), or undefined: no tiles, plain points on a blank background, and nothing fetched off the origin.
   */
  readonly tileUrl: string | undefined;
  /**
   * The client credentials `maillon solid publish` logs in to a pod with (the command's options win), from the
   * environment so that a secret need not be on a command line; all undefined for a public pod.
   */
  readonly solid: { readonly clientId: string | undefined; readonly clientSecret: string | undefined; readonly oidcIssuer: string | undefined };
}

/** The `trust proxy` setting: none, a number of hops in front of the node, or the proxies' addresses. */
export type TrustProxy = false | number | readonly string[];

/** Command-line options that map to configuration. */
export interface ConfigOptions {
  readonly port?: string | undefined;
  readonly host?: string | undefined;
  readonly db?: string | undefined;
  readonly 'base-url'?: string | undefined;
  readonly 'data-dir'?: string | undefined;
  readonly 'allow-private'?: boolean | undefined;
  readonly 'trust-proxy'?: string | undefined;
}

/** Raised for a configuration value that makes no sense. */
export class ConfigError extends Error {}

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];

/** pino's levels, and `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Every environment variable the node reads. A `MAILLON_…` variable outside this list is a typo or a setting of
 * another version: it is reported, because a misspelt setting silently keeps its default.
 */
export const ENVIRONMENT = [
  'MAILLON_PORT', 'MAILLON_HOST', 'MAILLON_BASE_URL', 'MAILLON_DB', 'MAILLON_DATA_DIR', 'MAILLON_BODY_LIMIT',
  'MAILLON_PAGE_SIZE', 'MAILLON_LOG_LEVEL', 'MAILLON_LOG_FORMAT', 'MAILLON_NAME', 'MAILLON_CURRENCY', 'MAILLON_ALLOW_PRIVATE',
  'MAILLON_SYNC_SCHEDULE', 'MAILLON_SYNC_CONCURRENCY', 'MAILLON_WITHDRAW_GRACE', 'MAILLON_FETCH_CONNECT_TIMEOUT',
  'MAILLON_FETCH_TIMEOUT', 'MAILLON_SYNC_TIMEOUT', 'MAILLON_MAX_RESPONSE_BYTES', 'MAILLON_FEED_PAGE_SIZE',
  'MAILLON_FEED_RETENTION_DAYS', 'MAILLON_WEBHOOK_MAX_FAILURES', 'MAILLON_WEBHOOK_BACKOFF_MS', 'MAILLON_ORDER_HOLD',
  'MAILLON_ORDER_TIMEOUT', 'MAILLON_LISTING_REFRESH_SECONDS', 'MAILLON_LISTING_FOLLOW_MS', 'MAILLON_OIDC_KEYS_MAX_AGE', 'MAILLON_OIDC_KEYS_COOLDOWN',
  'MAILLON_TRUST_PROXY', 'MAILLON_TILE_URL', 'MAILLON_SOLID_CLIENT_ID', 'MAILLON_SOLID_CLIENT_SECRET', 'MAILLON_SOLID_OIDC_ISSUER',
  'MAILLON_COMPRESS', 'MAILLON_FETCH_COMPRESSED',
] as const;

/**
 * Reads values and remembers every bad one, so that an operator sees all their mistakes at once, one line each,
 * instead of fixing them one start at a time.
 */
class Reader {
  public readonly errors: string[] = [];

  public flag(name: string, value: string | undefined, fallback: boolean): boolean {
    if (value === undefined || value === '') return fallback;
    const lower = value.toLowerCase();
    if (TRUE.includes(lower)) return true;
    if (FALSE.includes(lower)) return false;
    this.errors.push(`${name} must be true or false (or 1/0, yes/no, on/off), not ${JSON.stringify(value)}`);
    return fallback;
  }

  public integer(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
    if (value === undefined || value === '') return fallback;
    // Plain decimal digits: Number() took `0x9620`, `3.83e4` and blanks, and the node listened elsewhere than written.
    const number = /^\d{1,16}$/u.test(value) ? Number(value) : Number.NaN;
    if (!Number.isInteger(number) || number < min || number > max) {
      this.errors.push(`${name} must be an integer from ${min} to ${max}, not ${JSON.stringify(value)}`);
      return fallback;
    }
    return number;
  }

  public oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
    if (value === undefined || value === '') return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.errors.push(`${name} must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`);
    return fallback;
  }
}

/**
 * An empty variable is an unset one: `MAILLON_DB=` (a template that expanded to nothing) must not become SQLite's
 * `''`, a private temporary database per connection, nor `MAILLON_DATA_DIR=` the root folder.
 */
function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** `auto` writes readable lines to a person at a terminal and JSON lines to everything else (files, journald). */
function logFormat(asked: 'auto' | 'json' | 'pretty'): 'json' | 'pretty' {
  if (asked !== 'auto') return asked;
  return process.stderr.isTTY ? 'pretty' : 'json';
}

const PROXY_PRESETS = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An address or subnet Express's `trust proxy` takes: `10.0.0.1`, `10.0.0.0/8`, `fd00::/8`, `10.0.0.0/255.0.0.0`. */
function isProxyAddress(value: string): boolean {
  const [address = '', mask, ...extra] = value.split('/');
  const family = isIP(address);
  if (family === 0 || extra.length > 0) return false;
  if (mask === undefined) return true;
  if (/^\d{1,3}$/u.test(mask)) return Number(mask) <= (family === 4 ? 32 : 128);
  return family === 4 && isIP(mask) === 4;
}

/**
 * Reads `--trust-proxy` / `MAILLON_TRUST_PROXY`: unset, empty, `off` or `false` trust no proxy; a whole number
 * trusts that many hops; otherwise a comma-separated list of addresses, subnets and presets. Trusting every hop
 * (`true`) is refused: any client could then choose the address it is logged under.
 */
function trustProxy(read: Reader, value: string | undefined): TrustProxy {
  const name = '--trust-proxy / MAILLON_TRUST_PROXY';
  if (value === undefined || ['', 'off', 'false', 'no', '0'].includes(value.trim().toLowerCase())) return false;
  if (/^\d+$/u.test(value.trim())) return read.integer(name, value.trim(), 0, 1, 100);
  const entries = value.split(',').map((x) => x.trim()).filter((x) => x !== '');
  const bad = entries.filter((x) => !PROXY_PRESETS.has(x) && !isProxyAddress(x));
  if (bad.length > 0 || entries.length === 0) {
    read.errors.push(`${name} must be off, a number of proxy hops, or addresses, subnets and loopback/linklocal/uniquelocal `
      + `separated by commas, not ${JSON.stringify(value)}`);
    return false;
  }
  return entries;
}

/**
 * Reads `MAILLON_TILE_URL`: an http(s) URL template naming `{z}`, `{x}` and `{y}` (the browser fetches tiles
 * from it, and the dashboard's CSP allows its origin's images), or nothing.
 */
function tileUrl(read: Reader, value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const template = value.trim();
  let ok = ['{z}', '{x}', '{y}'].every((p) => template.includes(p));
  try {
    const url = new URL(template.replace(/\{[a-z]\}/gu, '0'));
    ok &&= (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === '';
  } catch {
    ok = false;
  }
  if (!ok) {
    read.errors.push(`MAILLON_TILE_URL must be an http(s) URL template with {z}, {x} and {y} (https://tile.openstreetmap.org/{z}/{x}/{y}.png), not ${JSON.stringify(value)}`);
    return undefined;
  }
  return template;
}

/**
 * Reads the configuration.
 *
 * @param options - parsed command-line options
 * @param env - the environment (default `process.env`)
 * @throws ConfigError listing every bad value, one per line
 */
export function loadConfig(options: ConfigOptions = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const read = new Reader();
  const port = read.integer('--port / MAILLON_PORT', options.port ?? env['MAILLON_PORT'], 3000, 0, 65535);
  const host = options.host ?? nonEmpty(env['MAILLON_HOST']) ?? '127.0.0.1';
  const dataDir = options['data-dir'] ?? nonEmpty(env['MAILLON_DATA_DIR']) ?? './data';
  const baseUrl = (options['base-url'] ?? nonEmpty(env['MAILLON_BASE_URL']) ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/u, '');
  let parsed: URL | undefined;
  try {
    parsed = new URL(baseUrl);
  } catch {
    read.errors.push(`--base-url / MAILLON_BASE_URL must be an absolute http(s) URL, not ${JSON.stringify(baseUrl)}`);
  }
  if (parsed !== undefined && parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    read.errors.push(`--base-url / MAILLON_BASE_URL must be an http or https URL, not ${JSON.stringify(baseUrl)}`);
  } else if (parsed !== undefined) {
    // Every @id starts with the base URL, and a given one is stored: what would make ids that are no IRIs, or publish
    // a secret in each of them, is refused at start rather than written into the database.
    const wrong = /\s/u.test(baseUrl) ? 'has a blank in it (an environment file\'s trailing space?)'
      : parsed.username !== '' || parsed.password !== '' ? 'carries a user name or password, which every @id would publish'
        : baseUrl.includes('?') || baseUrl.includes('#') ? 'has a query or a fragment, after which no path can follow'
          : undefined;
    if (wrong !== undefined) read.errors.push(`--base-url / MAILLON_BASE_URL ${wrong}: ${JSON.stringify(baseUrl)}`);
  }
  if (host === '') read.errors.push('--host / MAILLON_HOST must not be empty');
  const config: Config = {
    port,
    host,
    db: options.db ?? nonEmpty(env['MAILLON_DB']) ?? `${dataDir}/maillon.db`,
    baseUrl,
    baseUrlGiven: (options['base-url'] ?? nonEmpty(env['MAILLON_BASE_URL'])) !== undefined,
    dataDir,
    bodyLimit: read.integer('MAILLON_BODY_LIMIT', env['MAILLON_BODY_LIMIT'], 5 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    pageSize: read.integer('MAILLON_PAGE_SIZE', env['MAILLON_PAGE_SIZE'], 500, 1, 10000),
    logLevel: read.oneOf('MAILLON_LOG_LEVEL', env['MAILLON_LOG_LEVEL'], LOG_LEVELS, 'info'),
    logFormat: logFormat(read.oneOf('MAILLON_LOG_FORMAT', env['MAILLON_LOG_FORMAT'], ['auto', 'json', 'pretty'] as const, 'auto')),
    name: nonEmpty(env['MAILLON_NAME']) ?? 'Maillon node',
    currency: read.oneOf('MAILLON_CURRENCY', env['MAILLON_CURRENCY']?.trim().toUpperCase(), CURRENCIES, 'EUR'),
    allowPrivate: options['allow-private'] === true || read.flag('MAILLON_ALLOW_PRIVATE', env['MAILLON_ALLOW_PRIVATE'], false),
    syncConcurrency: read.integer('MAILLON_SYNC_CONCURRENCY', env['MAILLON_SYNC_CONCURRENCY'], 4, 1, 64),
    syncSchedule: read.flag('MAILLON_SYNC_SCHEDULE', env['MAILLON_SYNC_SCHEDULE'], true),
    withdrawGraceSeconds: read.integer('MAILLON_WITHDRAW_GRACE', env['MAILLON_WITHDRAW_GRACE'], 3600, 0, 365 * 86400),
    fetchConnectTimeoutMs: read.integer('MAILLON_FETCH_CONNECT_TIMEOUT', env['MAILLON_FETCH_CONNECT_TIMEOUT'], 5000, 100, 600_000),
    fetchTimeoutMs: read.integer('MAILLON_FETCH_TIMEOUT', env['MAILLON_FETCH_TIMEOUT'], 30_000, 100, 3_600_000),
    syncTimeoutMs: read.integer('MAILLON_SYNC_TIMEOUT', env['MAILLON_SYNC_TIMEOUT'], 120_000, 100, 86_400_000),
    maxResponseBytes: read.integer('MAILLON_MAX_RESPONSE_BYTES', env['MAILLON_MAX_RESPONSE_BYTES'], 50 * 1024 * 1024, 1024, 2 * 1024 * 1024 * 1024),
    fetchCompressed: read.flag('MAILLON_FETCH_COMPRESSED', env['MAILLON_FETCH_COMPRESSED'], true),
    compress: read.flag('MAILLON_COMPRESS', env['MAILLON_COMPRESS'], true),
    feedFragmentSize: read.integer('MAILLON_FEED_PAGE_SIZE', env['MAILLON_FEED_PAGE_SIZE'], 500, 1, 10000),
    feedRetentionDays: read.integer('MAILLON_FEED_RETENTION_DAYS', env['MAILLON_FEED_RETENTION_DAYS'], 30, 0, 36500),
    webhookMaxFailures: read.integer('MAILLON_WEBHOOK_MAX_FAILURES', env['MAILLON_WEBHOOK_MAX_FAILURES'], 10, 1, 1000),
    webhookBackoffMs: read.integer('MAILLON_WEBHOOK_BACKOFF_MS', env['MAILLON_WEBHOOK_BACKOFF_MS'], 1000, 1, 3_600_000),
    orderHoldSeconds: read.integer('MAILLON_ORDER_HOLD', env['MAILLON_ORDER_HOLD'], 1800, 1, 30 * 86400),
    orderTimeoutMs: read.integer('MAILLON_ORDER_TIMEOUT', env['MAILLON_ORDER_TIMEOUT'], 10_000, 100, 600_000),
    listingRefreshSeconds: read.integer('MAILLON_LISTING_REFRESH_SECONDS', env['MAILLON_LISTING_REFRESH_SECONDS'], 300, 1, 7 * 86400),
    listingFollowMs: read.integer('MAILLON_LISTING_FOLLOW_MS', env['MAILLON_LISTING_FOLLOW_MS'], 1000, 100, 3_600_000),
    oidcKeysMaxAgeSeconds: read.integer('MAILLON_OIDC_KEYS_MAX_AGE', env['MAILLON_OIDC_KEYS_MAX_AGE'], 600, 0, 7 * 86400),
    oidcKeysCooldownMs: read.integer('MAILLON_OIDC_KEYS_COOLDOWN', env['MAILLON_OIDC_KEYS_COOLDOWN'], 30_000, 0, 3_600_000),
    trustProxy: trustProxy(read, options['trust-proxy'] ?? env['MAILLON_TRUST_PROXY']),
    tileUrl: tileUrl(read, env['MAILLON_TILE_URL']),
    solid: {
      clientId: nonEmpty(env['MAILLON_SOLID_CLIENT_ID']), clientSecret: nonEmpty(env['MAILLON_SOLID_CLIENT_SECRET']),
      oidcIssuer: nonEmpty(env['MAILLON_SOLID_OIDC_ISSUER']),
    },
  };
  if (read.errors.length > 0) throw new ConfigError(read.errors.join('\n'));
  return config;
}
