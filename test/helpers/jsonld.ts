/**
 * jsonld.js with the signatures we call (its community typings predate jsonld 8), and our offline loader.
 */
import jsonldModule from 'jsonld';
import { localDocumentLoader } from '../../server/codec/document-loader.js';
import { numberLiteral } from '../../server/codec/rdf.js';

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

const JSON_LD_DOUBLE = /"([^"\\]*)"\^\^<http:\/\/www\.w3\.org\/2001\/XMLSchema#double>/gu;

/**
 * jsonld.js's N-Quads with its doubles as the node writes numbers in RDF. JSON-LD makes the JSON number 4.95 the
 * literal `"4.95E0"^^xsd:double`; our Turtle and N-Triples write the same value `"4.95"^^xsd:decimal` (issue 12),
 * so a JSON-LD answer and an RDF answer are compared after this.
 */
export function doublesAsDecimals(nquads: string): string {
  return nquads.replace(JSON_LD_DOUBLE, (whole, lexical: string) => {
    const value = Number(lexical);
    if (!Number.isFinite(value)) return whole;
    const { lexical: ours, datatype } = numberLiteral(value);
    return `"${ours}"^^<${datatype}>`;
  });
}
