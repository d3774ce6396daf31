/**
 * The JSON-LD contexts the node resolves without the network: the DFC contexts it ships, and the contexts its
 * operator stored (`maillon context add`, kept in the data folder by {@link ../store/context-store.ts}).
 *
 * A stored context is resolved exactly like a known DFC one, by the fast reader when it is simple and by
 * jsonld.js's document loader otherwise, and is never fetched while a document is read: a peer cannot make
 * the node fetch anything, nor change the meaning of its data after the operator looked at the context. The
 * registry is given to the decoder (and to whatever else expands JSON-LD) rather than kept in a global, so a
 * test, a command or a node reads exactly the contexts it was given.
 *
 * @packageDocumentation
 */
import jsonld from 'jsonld';
import { resolveKnownContext, type SimpleContext } from '../../ontology/contexts.js';
import { isWebUrl, UnknownContextError, type RemoteDocument } from './document-loader.js';
import { jsonDepth, MAX_JSON_DEPTH } from './limits.js';

/** The `@context` value of a stored context document: one context object, or an array of contexts and URLs. */
export type StoredContextValue = Readonly<Record<string, unknown>> | readonly unknown[];

/** What a context URL stands for. */
export type ResolvedContext =
  | { readonly kind: 'known'; readonly url: string; readonly context: SimpleContext }
  | { readonly kind: 'stored'; readonly url: string; readonly context: StoredContextValue };

/** Largest stored context document, in bytes: real contexts (schema.org's is about 130 kB) are far smaller. */
export const MAX_CONTEXT_BYTES = 1024 * 1024;

/** How many context URLs deep a context may name others (jsonld.js allows about as many). */
export const MAX_CONTEXT_NESTING = 10;

/** A jsonld.js document loader, typed as jsonld.js wants it. */
type JsonLdLoader = jsonld.Options.DocLoader['documentLoader'];

/**
 * The key a stored context is kept under: the absolute http(s) URL without its fragment, as `URL` spells it
 * (`https://Example.org` and `https://example.org/` are one context).
 *
 * @param url - a context URL as written
 * @returns the key, or undefined when the URL is not an absolute http(s) URL
 */
export function normalizeContextUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  parsed.hash = '';
  return parsed.href;
}

function resolveAgainst(url: string, base: string | undefined): string {
  if (base === undefined) return url;
  try {
    return new URL(url, base).href;
  } catch {
    return url;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The context URLs a context names: strings in it (or in an array of it), `@import`, and the scoped contexts of
 * its term definitions, resolved against the context's own URL as jsonld.js resolves them.
 *
 * @param context - a stored context's `@context` value
 * @param base - the URL it is stored under
 */
export function contextReferences(context: unknown, base: string): string[] {
  const found = new Set<string>();
  const visit = (entry: unknown, depth: number): void => {
    // Checked before storing: a context nests no deeper than the JSON depth limit, this only stops a cycle of objects.
    if (depth > MAX_JSON_DEPTH) return;
    if (typeof entry === 'string') {
      found.add(resolveAgainst(entry, base));
    } else if (Array.isArray(entry)) {
      for (const item of entry) visit(item, depth + 1);
    } else if (isObject(entry)) {
      if (typeof entry['@import'] === 'string') found.add(resolveAgainst(entry['@import'], base));
      for (const [key, definition] of Object.entries(entry)) {
        if (!key.startsWith('@') && isObject(definition) && definition['@context'] !== undefined) visit(definition['@context'], depth + 1);
      }
    }
  };
  visit(context, 0);
  return [...found];
}

/**
 * Why a stored `@context` value read back from disk cannot be used, or undefined when it can: the file may have
 * been edited by hand since {@link checkContextDocument} passed it, and the readers recurse into it.
 *
 * @param context - the value read back
 */
export function storedContextProblem(context: unknown): string | undefined {
  if (typeof context !== 'object' || context === null) return 'its "@context" is not an object or an array';
  if (jsonDepth(context, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) return `its "@context" nests JSON more than ${MAX_JSON_DEPTH} levels deep`;
  return undefined;
}

/** Known DFC contexts and the operator's stored ones, by URL. */
export class ContextRegistry {
  /** No stored context: the DFC contexts only. */
  public static readonly NONE = new ContextRegistry([]);

  private readonly stored = new Map<string, StoredContextValue>();
  /** For each URL the stored contexts name, the stored contexts naming it (for refusals and warnings). */
  private readonly named = new Map<string, string[]>();

  /**
   * @param entries - stored contexts: URL and `@context` value (a known DFC URL among them is ignored: ours wins)
   */
  public constructor(entries: Iterable<readonly [string, StoredContextValue]>) {
    for (const [url, context] of entries) {
      const key = normalizeContextUrl(url);
      if (key === undefined || resolveKnownContext(key) !== undefined) continue;
      this.stored.set(key, context);
      for (const reference of contextReferences(context, key)) {
        const list = this.named.get(reference) ?? [];
        list.push(key);
        this.named.set(reference, list);
      }
    }
  }

  /** The stored contexts, URL and `@context` value: what makes the same registry again (a worker thread's decoder's). */
  public entries(): [string, StoredContextValue][] {
    return [...this.stored];
  }

  /** The stored context URLs, sorted. */
  public urls(): string[] {
    return [...this.stored.keys()].sort();
  }

  /** Whether a URL is a stored context (not a known DFC one). */
  public isStored(url: string): boolean {
    const key = normalizeContextUrl(url);
    return key !== undefined && this.stored.has(key);
  }

  /**
   * The stored contexts that name a URL (through an array, `@import` or a scoped context).
   *
   * @param url - a context URL
   */
  public namedBy(url: string): string[] {
    const key = normalizeContextUrl(url) ?? url;
    return [...(this.named.get(key) ?? this.named.get(url) ?? [])];
  }

  /**
   * This registry with one more stored context (or one replaced).
   *
   * @param url - the context URL
   * @param context - its `@context` value
   */
  public with(url: string, context: StoredContextValue): ContextRegistry {
    const key = normalizeContextUrl(url);
    return new ContextRegistry([...[...this.stored].filter(([u]) => u !== key), [url, context]]);
  }

  /**
   * Looks a context URL up: a known DFC context first (they cannot be overridden), then the stored ones.
   *
   * @param url - the URL as written in a document or a context
   * @param base - the URL of the context naming it, against which a relative URL is resolved
   */
  public resolve(url: string, base?: string): ResolvedContext | undefined {
    const absolute = resolveAgainst(url, base);
    const known = resolveKnownContext(absolute);
    if (known !== undefined) return { kind: 'known', url: absolute, context: known };
    const key = normalizeContextUrl(absolute);
    const stored = key === undefined ? undefined : this.stored.get(key);
    return key === undefined || stored === undefined ? undefined : { kind: 'stored', url: key, context: stored };
  }

  /**
   * The refusal of a context URL that resolves to nothing.
   *
   * @param url - the URL as written
   * @param namedBy - the stored context naming it (a relative URL is resolved against it), when known
   */
  public unknown(url: string, namedBy?: string): UnknownContextError {
    const absolute = resolveAgainst(url, namedBy);
    return new UnknownContextError(absolute, namedBy ?? this.namedBy(absolute)[0]);
  }

  /**
   * The jsonld.js document loader over this registry: it never fetches.
   *
   * @throws UnknownContextError for any URL that is neither a DFC context nor stored
   */
  public readonly documentLoader = async (url: string): Promise<RemoteDocument> => {
    const resolved = this.resolve(url);
    if (resolved === undefined) throw this.unknown(url);
    // The stored URL is the document's URL, so jsonld.js resolves relative URLs in it as the operator's copy says.
    return { contextUrl: null, documentUrl: resolved.url, document: { '@context': resolved.context } };
  };

  /** {@link documentLoader}, typed for jsonld.js's options. */
  public get jsonLdLoader(): JsonLdLoader {
    return this.documentLoader as unknown as JsonLdLoader;
  }
}

/** The outcome of {@link checkContextDocument}. */
export type ContextCheck =
  | { readonly ok: true; readonly url: string; readonly context: StoredContextValue }
  | { readonly ok: false; readonly reason: string };

/**
 * Checks a context document before it is stored: an absolute http(s) URL that is no DFC context, at most
 * {@link MAX_CONTEXT_BYTES}, JSON with an `@context` object or array, every context it names already known or
 * stored, and jsonld.js able to process it (a tiny document using it is expanded).
 *
 * @param url - the URL documents will name it by
 * @param text - the context document
 * @param registry - the contexts stored so far (the ones it may name)
 * @returns the key and the `@context` value to store, or a one-line reason for the operator
 */
export async function checkContextDocument(url: string, text: string, registry: ContextRegistry): Promise<ContextCheck> {
  const key = normalizeContextUrl(url);
  if (key === undefined) return { ok: false, reason: `${JSON.stringify(url)} is not an absolute http(s) URL` };
  if (resolveKnownContext(key) !== undefined || resolveKnownContext(url) !== undefined) {
    return { ok: false, reason: `${url} is a DFC context the node already knows; it cannot be replaced` };
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_CONTEXT_BYTES) return { ok: false, reason: `the context is ${bytes} bytes, more than the ${MAX_CONTEXT_BYTES} allowed` };
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error: unknown) {
    return { ok: false, reason: `not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  if (jsonDepth(document, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) return { ok: false, reason: `nests JSON more than ${MAX_JSON_DEPTH} levels deep` };
  const context = isObject(document) ? document['@context'] : undefined;
  if (typeof context !== 'object' || context === null) {
    return { ok: false, reason: 'not a JSON-LD context document: expected a JSON object with an "@context" object or array' };
  }
  for (const reference of contextReferences(context, key)) {
    if (normalizeContextUrl(reference) === key) return { ok: false, reason: 'the context names itself' };
    if (!isWebUrl(reference)) {
      return { ok: false, reason: `it names the context ${JSON.stringify(reference)}, which is not an absolute http(s) URL: no such context is ever read (nor stored)` };
    }
    if (registry.resolve(reference) === undefined) {
      return { ok: false, reason: `it names the context ${reference}, which is not a known DFC context nor a stored one: add that one first ('maillon context add ${reference}')` };
    }
  }
  const value = context as StoredContextValue;
  try {
    await jsonld.expand({ '@context': key, '@id': 'urn:maillon:context-check' }, { documentLoader: registry.with(key, value).jsonLdLoader });
  } catch (error: unknown) {
    return { ok: false, reason: `jsonld.js cannot process it: ${describeJsonLdFailure(error)}` };
  }
  return { ok: true, url: key, context: value };
}

/**
 * A jsonld.js error on one line for an operator. jsonld.js wraps the real reason in `details.cause`: a refused
 * context URL is told by its own message alone, anything else by the chain of messages.
 *
 * @param error - what jsonld.js threw
 */
export function describeJsonLdFailure(error: unknown): string {
  const messages: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    if (current instanceof UnknownContextError) return current.message;
    const { message, details } = current as { message?: unknown; details?: { code?: unknown; cause?: unknown } };
    if (typeof message === 'string') messages.push(typeof details?.code === 'string' ? `${message} (${details.code})` : message);
    current = details?.cause ?? (current as { cause?: unknown }).cause;
  }
  return (messages.join(': ') || String(error)).replace(/\s+/gu, ' ');
}
