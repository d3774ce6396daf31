/**
 * jsonld.js with the signatures we call (its community typings predate jsonld 8), and our offline loader.
 */
import jsonldModule from 'jsonld';
import { localDocumentLoader } from '../../server/codec/document-loader.js';

interface JsonLdApi {
  toRDF(input: unknown, options: Record<string, unknown>): Promise<string>;
  canonize(input: unknown, options: Record<string, unknown>): Promise<string>;
  expand(input: unknown, options: Record<string, unknown>): Promise<unknown>;
  compact(input: unknown, context: unknown, options: Record<string, unknown>): Promise<unknown>;
}

/** jsonld.js. */
export const jsonld = jsonldModule as unknown as JsonLdApi;

/** Options that keep jsonld.js offline. */
export const offline = { documentLoader: localDocumentLoader };

/** The RDFC-1.0 canonical form of an N-Quads document, for graph isomorphism checks. */
export async function canonicalNQuads(nquads: string): Promise<string> {
  return jsonld.canonize(nquads, { algorithm: 'RDFC-1.0', inputFormat: 'application/n-quads', format: 'application/n-quads' });
}
