/**
 * The node's configuration, from command-line options and environment variables (options win).
 *
 * @packageDocumentation
 */

/** A validated configuration. */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** SQLite database file. */
  readonly db: string;
  /** The public base URL every `@id` is built from. */
  readonly baseUrl: string;
  /** Where loaded taxonomies are kept. */
  readonly dataDir: string;
  readonly bodyLimit: number;
  readonly pageSize: number;
  readonly logLevel: string;
  readonly name: string;
}

/** Command-line options that map to configuration. */
export interface ConfigOptions {
  readonly port?: string | undefined;
  readonly host?: string | undefined;
  readonly db?: string | undefined;
  readonly 'base-url'?: string | undefined;
  readonly 'data-dir'?: string | undefined;
}

/** Raised for a configuration value that makes no sense. */
export class ConfigError extends Error {}

function integer(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}, not ${JSON.stringify(value)}`);
  return number;
}

/**
 * Reads the configuration.
 *
 * @param options - parsed command-line options
 * @param env - the environment (default `process.env`)
 */
export function loadConfig(options: ConfigOptions = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const port = integer('--port / MAILLON_PORT', options.port ?? env['MAILLON_PORT'], 3000, 0, 65535);
  const host = options.host ?? env['MAILLON_HOST'] ?? '127.0.0.1';
  const dataDir = options['data-dir'] ?? env['MAILLON_DATA_DIR'] ?? './data';
  const baseUrl = (options['base-url'] ?? env['MAILLON_BASE_URL'] ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/u, '');
  let parsed: URL;
  try {
    parsed = new URL(baseUrl);
  } catch {
    throw new ConfigError(`--base-url / MAILLON_BASE_URL must be an absolute http(s) URL, not ${JSON.stringify(baseUrl)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ConfigError('--base-url must be an http or https URL');
  return {
    port,
    host,
    db: options.db ?? env['MAILLON_DB'] ?? `${dataDir}/maillon.db`,
    baseUrl,
    dataDir,
    bodyLimit: integer('MAILLON_BODY_LIMIT', env['MAILLON_BODY_LIMIT'], 5 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    pageSize: integer('MAILLON_PAGE_SIZE', env['MAILLON_PAGE_SIZE'], 500, 1, 10000),
    logLevel: env['MAILLON_LOG_LEVEL'] ?? 'info',
    name: env['MAILLON_NAME'] ?? 'Maillon node',
  };
}
