/**
 * One entry point for writing records in any format the node speaks.
 *
 * @packageDocumentation
 */
import type { DfcRecord } from '../../ontology/records.js';
import { encodeJsonLd, type EncodeOptions } from './encode.js';
import { DataFactory, type Quad } from 'n3';
import { graphToQuads, writeRdf, type RdfFormat } from './rdf.js';
import { readSimpleJsonLd } from './read-jsonld.js';

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
  const document = encodeJsonLd(records, options);
  if (format === 'jsonld') return JSON.stringify(document, null, 2);
  const { graph } = readSimpleJsonLd(document);
  return writeRdf(graphToQuads(graph, options.profile === 'dfc-v2' ? '2.0' : '1.x'), format, options.profile === 'dfc-v2' ? '2.0' : '1.x');
}

/**
 * N-Quads with one named graph per source: the federated catalogue's provenance.
 *
 * @param groups - records by graph IRI; a group without one is in the default graph (what describes the
 *   document itself, such as its paging view, is no source's word)
 */
export function serializeNQuadsByGraph(groups: readonly { graph?: string; records: readonly DfcRecord[] }[]): string {
  const quads: Quad[] = [];
  for (const { graph, records } of groups) {
    const { graph: nodes } = readSimpleJsonLd(encodeJsonLd(records));
    const name = graph === undefined ? DataFactory.defaultGraph() : DataFactory.namedNode(graph);
    // Blank node labels restart per document: prefix them per graph so two sources never share one.
    const prefix = `g${quads.length}_`;
    for (const q of graphToQuads(nodes)) {
      const subject = q.subject.termType === 'BlankNode' ? DataFactory.blankNode(prefix + q.subject.value) : q.subject;
      const object = q.object.termType === 'BlankNode' ? DataFactory.blankNode(prefix + q.object.value) : q.object;
      quads.push(DataFactory.quad(subject, q.predicate, object, name));
    }
  }
  return writeRdf(quads, 'nquads');
}
