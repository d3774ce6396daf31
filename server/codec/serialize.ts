/**
 * One entry point for writing records in any format the node speaks.
 *
 * @packageDocumentation
 */
import type { DfcRecord } from '../../ontology/records.js';
import { encodeJsonLd, type EncodeOptions } from './encode.js';
import { writeNQuadsByGraph, writeRecordsRdf, type RdfFormat } from './write-rdf.js';

/** Output formats. */
export type OutputFormat = 'jsonld' | RdfFormat;

/** Output formats by media type. */
export const OUTPUT_MEDIA_TYPES: Readonly<Record<string, OutputFormat>> = {
  'application/ld+json': 'jsonld',
  'application/json': 'jsonld',
  'text/turtle': 'turtle',
  'application/n-triples': 'ntriples',
  'application/n-quads': 'nquads',
};

/**
 * Serialises records.
 *
 * @param records - what to write
 * @param format - `jsonld` (compacted DFC), `turtle`, `ntriples` or `nquads`
 * @param options - profile (`dfc-v1` default, `dfc-v2`), context URL, container id
 */
export function serialize(records: readonly DfcRecord[], format: OutputFormat, options: EncodeOptions = {}): string {
  if (format === 'jsonld') return JSON.stringify(encodeJsonLd(records, options), null, 2);
  // Straight from the records: the same graph as the JSON-LD above, without building it (write-rdf.ts).
  return writeRecordsRdf(records, format, options);
}

/**
 * N-Quads with one named graph per source: the federated catalogue's provenance.
 *
 * @param groups - records by graph IRI; a group without one is in the default graph (what describes the
 *   document itself, such as its paging view, is no source's word)
 */
export function serializeNQuadsByGraph(groups: readonly { graph?: string; records: readonly DfcRecord[] }[]): string {
  return writeNQuadsByGraph(groups);
}
