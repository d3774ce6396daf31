/**
 * A JSON-LD document loader that never touches the network.
 *
 * jsonld.js fetches remote contexts by default. Peer data is untrusted: a context URL chosen by a peer would
 * let it make us fetch anything (SSRF), stall us, or change the meaning of its own data later. So every known
 * DFC context URL resolves to our local copy, and anything else is refused.
 *
 * @packageDocumentation
 */
import { resolveKnownContext, type SimpleContext } from '../../ontology/contexts.js';

/** What jsonld.js expects a document loader to return. */
export interface RemoteDocument {
  readonly contextUrl: string | null;
  readonly documentUrl: string;
  readonly document: { '@context': SimpleContext };
}

/** The error a refused context URL raises inside jsonld.js, recognisable by its name. */
export class UnknownContextError extends Error {
  public override readonly name = 'UnknownContextError';

  public constructor(public readonly url: string) {
    super(
      `remote JSON-LD context ${JSON.stringify(url)} is not a known DFC context; ` +
        'Maillon never fetches contexts: use a DFC context URL or an inline context',
    );
  }
}

/**
 * Resolves a context URL to our local context.
 *
 * @param url - the URL jsonld.js asks for
 * @throws UnknownContextError for any URL that is not a known DFC context
 */
export async function localDocumentLoader(url: string): Promise<RemoteDocument> {
  const context = resolveKnownContext(url);
  if (context === undefined) throw new UnknownContextError(url);
  return { contextUrl: null, documentUrl: url, document: { '@context': context } };
}
