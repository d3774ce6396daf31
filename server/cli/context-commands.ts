/**
 * `maillon context add|list|remove`: the JSON-LD contexts the operator lets the node read besides the DFC ones.
 *
 * A context is fetched here, once, when the operator asks (through the safe client, with a size and a time
 * limit), or read from a file they give; it is checked and stored in the data folder. Reading a document
 * never fetches anything: the node resolves the contexts it ships and the stored ones, and refuses the rest.
 *
 * @packageDocumentation
 */
import { readFileSync, statSync } from 'node:fs';
import { resolveKnownContext } from '../../ontology/contexts.js';
import { checkContextDocument, MAX_CONTEXT_BYTES, normalizeContextUrl } from '../codec/context-registry.js';
import { loadConfig, type ConfigOptions } from '../config.js';
import { failureText } from '../errors/failure.js';
import { storedContexts } from '../main.js';
import { bodyText, clip, safeFetch, type FetchPolicy, type SafeFetch } from '../net/safe-fetch.js';
import { FileContextStore } from '../store/context-store.js';
import { storedSettings } from '../store/sqlite/sqlite-store.js';
import { UsageError, type Io } from './node-commands.js';

/** Longest a context fetch may take, whatever the node allows a peer's catalogue. */
export const CONTEXT_FETCH_TIMEOUT_MS = 10_000;

const USAGE = 'usage: maillon context add URL [FILE] | context list | context remove URL';

/** What the context commands may be given besides the configuration: the environment and the client (tests). */
export interface ContextCommandDeps {
  readonly env?: NodeJS.ProcessEnv;
  readonly fetch?: SafeFetch;
}

/**
 * Runs `maillon context add|list|remove`.
 *
 * @param args - the words after `context`
 * @param options - the command line's options (data folder, `--allow-private`)
 * @param io - where to write
 * @param deps - environment and HTTP client (default: the process's and {@link safeFetch})
 * @returns the exit code: 0 done, 1 refused or failed
 * @throws UsageError when the command is used wrongly
 */
export async function contextCommand(args: readonly string[], options: ConfigOptions, io: Io, deps: ContextCommandDeps = {}): Promise<number> {
  const [sub, url, file, ...extra] = args;
  const config = loadConfig(options, deps.env ?? process.env);
  const store = new FileContextStore(config.dataDir);
  switch (sub) {
    case 'list': {
      if (url !== undefined) throw new UsageError(USAGE);
      const { contexts, unreadable } = store.load();
      for (const c of contexts) io.out(`${c.url}\t${c.bytes} bytes\tadded ${c.addedAt}\n`);
      for (const u of unreadable) io.err(`warning: ${u.file} is left out: ${u.reason}\n`);
      return 0;
    }
    case 'remove': {
      if (url === undefined || file !== undefined) throw new UsageError(USAGE);
      const key = normalizeContextUrl(url) ?? url;
      if (!store.remove(key)) {
        io.err(`maillon: no stored context ${url} ('maillon context list' lists them)\n`);
        return 1;
      }
      io.out(`removed context ${key}\n`);
      const namers = storedContexts(config.dataDir).namedBy(key);
      if (namers.length > 0) io.err(`warning: documents using ${namers.join(', ')} are refused until ${key} is stored again\n`);
      return 0;
    }
    case 'add': {
      if (url === undefined || extra.length > 0) throw new UsageError(USAGE);
      const key = normalizeContextUrl(url);
      if (key === undefined) throw new UsageError(`context URL ${JSON.stringify(url)} is not an absolute http(s) URL`);
      // Checked before any fetch: there is nothing to download for a context the node ships.
      if (resolveKnownContext(key) !== undefined || resolveKnownContext(url) !== undefined) {
        io.err(`maillon: ${url} is a DFC context the node already knows; it cannot be replaced\n`);
        return 1;
      }
      const policy: FetchPolicy = {
        connectTimeoutMs: config.fetchConnectTimeoutMs, totalTimeoutMs: Math.min(config.fetchTimeoutMs, CONTEXT_FETCH_TIMEOUT_MS),
        // The flag, the environment, or the node's stored setting, as for every other command that fetches.
        maxBytes: MAX_CONTEXT_BYTES, maxRedirects: 3, allowPrivate: config.allowPrivate || (await storedSettings(config.db)).get('allow-private') === 'true',
      };
      const text = file === undefined ? await fetchContext(key, policy, deps.fetch ?? safeFetch, io) : readContextFile(file);
      if (text === undefined) return 1;
      const registry = storedContexts(config.dataDir);
      const checked = await checkContextDocument(key, text, registry);
      if (!checked.ok) {
        io.err(`maillon: context ${key} not stored: ${clip(checked.reason, 400)}\n`);
        return 1;
      }
      const bytes = Buffer.byteLength(text, 'utf8');
      store.save({ url: checked.url, bytes, addedAt: new Date().toISOString(), context: checked.context });
      io.out(`${registry.isStored(checked.url) ? 'replaced' : 'stored'} context ${checked.url} (${bytes} bytes) in ${store.dir}; `
        + 'a running node reads it once restarted\n');
      return 0;
    }
    default:
      throw new UsageError(USAGE);
  }
}

/** The text of a context file, or a usage error the operator can act on. */
function readContextFile(file: string): string {
  try {
    // The size first: a huge file given by mistake is refused without being read.
    const { size } = statSync(file);
    if (size > MAX_CONTEXT_BYTES) throw new UsageError(`${file} is ${size} bytes, more than the ${MAX_CONTEXT_BYTES} a context may be`);
    return readFileSync(file, 'utf8');
  } catch (error: unknown) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Fetches a context once, or says why not (and returns undefined). */
async function fetchContext(url: string, policy: FetchPolicy, fetch: SafeFetch, io: Io): Promise<string | undefined> {
  const fetched = await fetch({ url, headers: { accept: 'application/ld+json, application/json;q=0.9, */*;q=0.1' } }, policy);
  if (!fetched.ok) {
    io.err(`maillon: cannot fetch context ${url}: ${failureText(fetched.failure)}\n`);
    return undefined;
  }
  return bodyText(fetched.response);
}
