/**
 * A JSON-LD document loader that never touches the network.
 *
 * jsonld.js fetches remote contexts by default. Peer data is untrusted: a context URL chosen by a peer would
 * let it make us fetch anything (SSRF), stall us, or change the meaning of its own data later. So every known
 * DFC context URL resolves to our local copy, a context the operator stored (`maillon context add`) to the
 * stored copy (see {@link ./context-registry.ts}), and anything else is refused.
 *
 * @packageDocumentation
 */
import { resolveKnownContext } from '../../ontology/contexts.js';

/** What jsonld.js expects a document loader to return. */
export interface RemoteDocument {
  readonly contextUrl: string | null;
  readonly documentUrl: string;
  /** A context document: our DFC context, or a stored one (an object or an array of contexts). */
  readonly document: { readonly '@context': unknown };
}

/** The error a refused context URL raises inside jsonld.js, recognisable by its name. */
export class UnknownContextError extends Error {
  public override readonly name = 'UnknownContextError';

  /**
   * @param url - the context URL that is neither a DFC context nor stored
   * @param namedBy - the stored context that names it, when it was named by one rather than by the document
   */
  public constructor(public readonly url: string, public readonly namedBy?: string) {
    super(
      !isWebUrl(url)
        // A relative or non-web reference (`ctx.json`, `file:///etc/passwd`): nothing was read, and no operator may store
        // it either (a stored context is an absolute http(s) URL), so no command is suggested.
        ? `the JSON-LD context ${JSON.stringify(url)}${namedBy === undefined ? '' : ` named by the stored context ${JSON.stringify(namedBy)}`} ` +
            'is not an absolute http(s) URL: such a context is never read (nothing was fetched); ' +
            'the document must use a DFC context URL or an inline context'
        : namedBy === undefined
          ? `remote JSON-LD context ${JSON.stringify(url)} is not a known DFC context nor a stored one; ` +
              'Maillon never fetches contexts while reading: use a DFC context URL or an inline context, ' +
              `or have the operator store this one ('maillon context add ${url}')`
          : `the stored JSON-LD context ${JSON.stringify(namedBy)} names the context ${JSON.stringify(url)}, ` +
              `which is not a known DFC context nor a stored one; store it too ('maillon context add ${url}')`,
    );
  }
}

/**
 * Whether a context reference is an absolute http(s) URL: the only kind a known DFC context has, and the only kind an
 * operator can store (`maillon context add`).
 *
 * @param url - the reference as the document gives it
 */
export function isWebUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * Resolves a context URL to our local context, for callers without stored contexts (our own output, tests,
 * benchmarks); the decoder uses a {@link ./context-registry.ts ContextRegistry}'s loader instead.
 *
 * @param url - the URL jsonld.js asks for
 * @throws UnknownContextError for any URL that is not a known DFC context
 */
export async function localDocumentLoader(url: string): Promise<RemoteDocument> {
  const context = resolveKnownContext(url);
  if (context === undefined) throw new UnknownContextError(url);
  return { contextUrl: null, documentUrl: url, document: { '@context': context } };
}
