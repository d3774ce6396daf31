/**
 * The node's former way to write Turtle, N-Triples and N-Quads, kept only as the oracle of the direct writer
 * (`server/codec/write-rdf.ts`): records → compacted JSON-LD (`encodeJsonLd`) → our JSON-LD reader's graph → N3.js
 * quads → N3.js's writer. The direct writer must write the same graph.
 */
import { DataFactory, Writer, type Quad } from 'n3';
import { dfcIriIn, NS, type DfcGeneration } from '../../ontology/namespaces.js';
import type { DfcRecord } from '../../ontology/records.js';
import { dfcPrefixes } from '../../server/codec/compact.js';
import { encodeJsonLd, type EncodeOptions } from '../../server/codec/encode.js';
import type { Graph, Term } from '../../server/codec/graph.js';
import { numberLiteral } from '../../server/codec/rdf.js';
import { readSimpleJsonLd } from '../../server/codec/read-jsonld.js';
import type { RdfFormat } from '../../server/codec/write-rdf.js';

const { namedNode, blankNode, literal, quad } = DataFactory;
const XSD_BOOLEAN = `${NS.xsd}boolean`;
const RDF_TYPE = `${NS.rdf}type`;

function subjectTerm(id: string, generation: DfcGeneration) {
  return id.startsWith('_:') ? blankNode(id.slice(2)) : namedNode(dfcIriIn(id, generation));
}

function objectTerm(term: Term, generation: DfcGeneration) {
  if (term.kind === 'ref') return subjectTerm(term.id, generation);
  if (term.language !== undefined) return literal(String(term.value), term.language);
  if (typeof term.value === 'number') {
    const { lexical, datatype } = numberLiteral(term.value, term.datatype);
    return literal(lexical, namedNode(datatype));
  }
  if (typeof term.value === 'boolean') return literal(String(term.value), namedNode(term.datatype ?? XSD_BOOLEAN));
  return term.datatype !== undefined ? literal(term.value, namedNode(term.datatype)) : literal(term.value);
}

/** The quads of a graph, in node order (the former `graphToQuads` of `server/codec/rdf.ts`). */
export function graphToQuads(graph: Graph, generation: DfcGeneration = '1.x'): Quad[] {
  const quads: Quad[] = [];
  const rdfType = namedNode(RDF_TYPE);
  for (const node of graph.nodes.values()) {
    const subject = subjectTerm(node.id, generation);
    for (const type of node.types) quads.push(quad(subject, rdfType, namedNode(dfcIriIn(type, generation))));
    for (const [predicate, values] of node.properties) {
      const p = namedNode(dfcIriIn(predicate, generation));
      for (const value of values) quads.push(quad(subject, p, objectTerm(value, generation)));
    }
  }
  return quads;
}

const N3_FORMATS: Readonly<Record<RdfFormat, string>> = { turtle: 'Turtle', ntriples: 'N-Triples', nquads: 'N-Quads' };

/** Quads through N3.js's writer (the former `writeRdf`). */
export function writeRdf(quads: readonly Quad[], format: RdfFormat, generation: DfcGeneration = '1.x'): string {
  const prefixes = format === 'turtle'
    ? Object.fromEntries([...dfcPrefixes(generation), ['xsd', NS.xsd] as const].map(([p, ns]) => [p, ns]))
    : undefined;
  const writer = new Writer({ format: N3_FORMATS[format], ...(prefixes !== undefined ? { prefixes } : {}) });
  writer.addQuads(quads as Quad[]);
  let output = '';
  writer.end((error, result: string) => {
    if (error !== null && error !== undefined) throw error;
    output = result;
  });
  return output;
}

/** The former `serialize` for RDF formats. */
export function oracleSerialize(records: readonly DfcRecord[], format: RdfFormat, options: EncodeOptions = {}): string {
  const generation: DfcGeneration = options.profile === 'dfc-v2' ? '2.0' : '1.x';
  const { graph } = readSimpleJsonLd(encodeJsonLd(records, options));
  return writeRdf(graphToQuads(graph, generation), format, generation);
}

/** The former `serializeNQuadsByGraph`. */
export function oracleNQuadsByGraph(groups: readonly { graph?: string; records: readonly DfcRecord[] }[]): string {
  const quads: Quad[] = [];
  for (const { graph, records } of groups) {
    const { graph: nodes } = readSimpleJsonLd(encodeJsonLd(records));
    const name = graph === undefined ? DataFactory.defaultGraph() : DataFactory.namedNode(graph);
    const prefix = `g${quads.length}_`;
    for (const q of graphToQuads(nodes)) {
      const subject = q.subject.termType === 'BlankNode' ? DataFactory.blankNode(prefix + q.subject.value) : q.subject;
      const object = q.object.termType === 'BlankNode' ? DataFactory.blankNode(prefix + q.object.value) : q.object;
      quads.push(DataFactory.quad(subject, q.predicate, object, name));
    }
  }
  return writeRdf(quads, 'nquads');
}
