/**
 * One entry point for writing records in any format the node speaks.
 *
 * @packageDocumentation
 */
import type { DfcRecord } from '../../ontology/records.js';
import { encodeJsonLd, type EncodeOptions } from './encode.js';
import { writeNQuadsByGraphBytes, writeRecordsRdf, writeRecordsRdfBytes, type RdfFormat } from './write-rdf.js';

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
 * What {@link serialize} writes, as the UTF-8 bytes HTTP sends. The RDF formats are written as bytes from the start
 * (a large document is never one string: see `write-rdf.ts`); JSON-LD is encoded from its text.
 *
 * @param records - what to write
 * @param format - `jsonld`, `turtle`, `ntriples` or `nquads`
 * @param options - as {@link serialize}'s
 */
export function serializeBytes(records: readonly DfcRecord[], format: OutputFormat, options: EncodeOptions = {}): Buffer {
  if (format === 'jsonld') return Buffer.from(serialize(records, format, options), 'utf8');
  return writeRecordsRdfBytes(records, format, options);
}

/**
 * N-Quads with one named graph per source (the federated catalogue's provenance), as the UTF-8 bytes HTTP sends.
 *
 * @param groups - records by graph IRI; a group without one is in the default graph (what describes the
 *   document itself, such as its paging view, is no source's word)
 * @param options - the profile (`dfc-v2`: DFC 2.0's namespaces)
 */
export function serializeNQuadsByGraphBytes(groups: readonly { graph?: string; records: readonly DfcRecord[] }[], options: Pick<EncodeOptions, 'profile'> = {}): Buffer {
  return writeNQuadsByGraphBytes(groups, options);
}
