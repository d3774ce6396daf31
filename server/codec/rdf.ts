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
const XSD_FLOAT = `${NS.xsd}float`;
const XSD_DECIMAL = `${NS.xsd}decimal`;
const XSD_BOOLEAN = `${NS.xsd}boolean`;
const RDF_TYPE = `${NS.rdf}type`;

/**
 * The canonical lexical form JSON-LD gives a JSON number written as `xsd:double` (JSON-LD 1.1 §8.6, as
 * jsonld.js writes it): `1.5E0`.
 */
export function doubleLexical(value: number): string {
  return value.toExponential(15).replace(/(\d)0*e\+?/u, '$1E');
}

/**
 * A finite number as an `xsd:decimal` lexical form without binary rounding: the shortest decimal that reads
 * back as the same double (`4.95`, never `4.9500000000000002`), in plain notation (`0.0000001`, not `1e-7`).
 */
export function decimalLexical(value: number): string {
  const shortest = String(value);
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/u.exec(shortest);
  let plain = shortest;
  if (m !== null) {
    const [, sign, whole, fraction = '', exponent] = m as unknown as [string, string, string, string | undefined, string];
    const digits = whole + fraction;
    const point = whole.length + Number(exponent);
    plain = point <= 0
      ? `${sign}0.${'0'.repeat(-point)}${digits}`
      : point >= digits.length ? `${sign}${digits}${'0'.repeat(point - digits.length)}` : `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
  }
  return plain.includes('.') ? plain : `${plain}.0`;
}

/**
 * The RDF literal of a number. Integers are `xsd:integer`; other numbers `xsd:decimal` in their shortest exact
 * form, so that a price of 4.95 is `"4.95"^^xsd:decimal` in Turtle and N-Triples (the JSON-LD output writes the
 * JSON number `4.95`). A datatype given with the value (a value object's `@type`) is kept: `xsd:double` in
 * its canonical form, as JSON-LD writes it.
 */
export function numberLiteral(value: number, datatype?: string): { lexical: string; datatype: string } {
  if (datatype === XSD_DOUBLE || datatype === XSD_FLOAT) return { lexical: doubleLexical(value), datatype };
  if (datatype === XSD_DECIMAL) return { lexical: decimalLexical(value), datatype };
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return { lexical: value.toFixed(0), datatype: datatype ?? XSD_INTEGER };
  return { lexical: decimalLexical(value), datatype: datatype ?? XSD_DECIMAL };
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
