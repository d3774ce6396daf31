/**
 * Records to RDF: quads, Turtle, N-Triples and N-Quads through N3.js.
 *
 * The quads are made from our own JSON-LD output read back by our reader, so the RDF and JSON-LD forms
 * cannot drift apart; the tests check both against jsonld.js.
 *
 * @packageDocumentation
 */
import { DataFactory, Writer, type Quad } from 'n3';
import { dfcIriIn, NS, type DfcGeneration } from '../../ontology/namespaces.js';
import type { Graph, Term } from './graph.js';
import { dfcPrefixes } from './compact.js';

const { namedNode, blankNode, literal, quad } = DataFactory;
const XSD_INTEGER = `${NS.xsd}integer`;
const XSD_DOUBLE = `${NS.xsd}double`;
const XSD_BOOLEAN = `${NS.xsd}boolean`;
const RDF_TYPE = `${NS.rdf}type`;

/**
 * The canonical lexical form JSON-LD gives a JSON number (JSON-LD 1.1 §8.6, as jsonld.js writes it):
 * integers as `xsd:integer`, everything else as `xsd:double` in `1.5E0` notation.
 */
export function numberLiteral(value: number, datatype?: string): { lexical: string; datatype: string } {
  const isDouble = !Number.isInteger(value) || Math.abs(value) >= 1e21 || datatype === XSD_DOUBLE;
  if (isDouble) return { lexical: value.toExponential(15).replace(/(\d)0*e\+?/u, '$1E'), datatype: datatype ?? XSD_DOUBLE };
  return { lexical: value.toFixed(0), datatype: datatype ?? XSD_INTEGER };
}

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

/**
 * The quads of a graph, in node order.
 *
 * @param graph - a graph with canonical IRIs
 * @param generation - the DFC namespaces to write (`1.x` by default)
 */
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

/** RDF formats the writer produces. */
export type RdfFormat = 'turtle' | 'ntriples' | 'nquads';

const N3_FORMATS: Readonly<Record<RdfFormat, string>> = {
  turtle: 'Turtle',
  ntriples: 'N-Triples',
  nquads: 'N-Quads',
};

/**
 * Serialises quads.
 *
 * @param quads - the quads
 * @param format - turtle (with the DFC prefixes), ntriples or nquads
 * @param generation - which DFC namespaces the prefixes name
 */
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
