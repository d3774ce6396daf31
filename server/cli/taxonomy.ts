/**
 * Loading official SKOS taxonomies given by the operator.
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import jsonld from 'jsonld';
import { parseSkosTaxonomy, type Concept } from '../../ontology/taxonomy.js';
import { ContextRegistry, describeJsonLdFailure } from '../codec/context-registry.js';

/**
 * Reads a SKOS taxonomy file (expanded JSON-LD as the DFC publishes it, or compacted JSON-LD with a known or
 * inline context) into concepts.
 *
 * @param path - the file
 * @param contexts - the contexts it may name (default: the DFC ones only)
 * @returns the taxonomy's name (from the file name) and its concepts
 * @throws Error with a message for the operator when the file is not a SKOS taxonomy
 */
export async function readTaxonomyFile(path: string, contexts: ContextRegistry = ContextRegistry.NONE): Promise<{ name: string; concepts: Concept[] }> {
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error: unknown) {
    throw new Error(`${path}: not JSON (${error instanceof Error ? error.message : String(error)}); give the .json file of the taxonomy`, { cause: error });
  }
  const name = basename(path, extname(path)).replace(/[^A-Za-z0-9_-]/gu, '-').slice(0, 64);
  if (!hasContext(document)) return { name, concepts: parseSkosTaxonomy(document) };
  // A compacted taxonomy: expand it offline first (contexts neither known nor stored are refused, never fetched).
  let expanded: unknown;
  try {
    expanded = await jsonld.expand(document as jsonld.JsonLdDocument, { documentLoader: contexts.jsonLdLoader });
  } catch (error: unknown) {
    throw new Error(`${path}: not readable JSON-LD: ${describeJsonLdFailure(error)}`, { cause: error });
  }
  return { name, concepts: parseSkosTaxonomy(expanded) };
}

function hasContext(document: unknown): boolean {
  const first = Array.isArray(document) ? (document[0] as unknown) : document;
  return typeof first === 'object' && first !== null && '@context' in first;
}
