/**
 * Reads Turtle, N-Triples and N-Quads into a {@link Graph} with N3.js.
 *
 * @packageDocumentation
 */
import { Parser, type Quad } from 'n3';
import { NS } from '../../ontology/namespaces.js';
import { Graph, type LiteralTerm } from './graph.js';
import { decimalLexical, doubleLexical } from './rdf.js';
import { problem, type Problem } from '../errors/problem.js';
import { Deadline } from './limits.js';

const RDF_TYPE = `${NS.rdf}type`;
const XSD_STRING = `${NS.xsd}string`;
const RDF_LANG_STRING = `${NS.rdf}langString`;

/** RDF media types this reader accepts, mapped to N3.js format names. */
export const RDF_FORMATS: Readonly<Record<string, string>> = {
  'text/turtle': 'text/turtle',
  'application/n-triples': 'application/n-triples',
  'application/n-quads': 'application/n-quads',
  'application/trig': 'application/trig',
};

const XSD_INTEGER = `${NS.xsd}integer`;
const XSD_DECIMAL = `${NS.xsd}decimal`;
const XSD_DOUBLE = `${NS.xsd}double`;
const XSD_BOOLEAN = `${NS.xsd}boolean`;

/** Whether a lexical form is the one the node writes for the number it means (so reading it loses nothing). */
function canonicalNumber(lexical: string, datatype: string): number | undefined {
  const value = Number(lexical);
  if (!Number.isFinite(value)) return undefined;
  if (datatype === XSD_INTEGER) return Number.isSafeInteger(value) && value.toFixed(0) === lexical ? value : undefined;
  // `12` and `12.0` are both the decimal twelve; the node writes the second only when asked for a decimal.
  if (datatype === XSD_DECIMAL) return /^-?\d+(\.\d+)?$/u.test(lexical) && (decimalLexical(value) === lexical || String(value) === lexical) ? value : undefined;
  return doubleLexical(value) === lexical ? value : undefined;
}

/**
 * A typed literal. Integers, decimals and doubles in canonical form become JSON numbers, as JSON-LD's own
 * RDF conversion does for integers and doubles, so a catalogue read from Turtle gives the same records as
 * from JSON-LD and `"4.95"^^xsd:decimal` is the number 4.95; booleans (`true`, `false`, `1`, `0`) become
 * booleans. Any other spelling is kept as written, with its datatype.
 */
function typedLiteral(lexical: string, datatype: string): LiteralTerm {
  if (datatype === XSD_INTEGER || datatype === XSD_DECIMAL || datatype === XSD_DOUBLE) {
    const value = canonicalNumber(lexical, datatype);
    if (value !== undefined) return { kind: 'literal', value };
  }
  if (datatype === XSD_BOOLEAN && ['true', 'false', '1', '0'].includes(lexical)) {
    return { kind: 'literal', value: lexical === 'true' || lexical === '1' };
  }
  return { kind: 'literal', value: lexical, datatype };
}

/**
 * Parses an RDF document. Named graphs are merged: a DFC document describes one catalogue.
 *
 * @param text - the document
 * @param mediaType - one of {@link RDF_FORMATS}
 * @param base - base IRI for relative IRIs
 * @param deadline - when the decode must be over
 * @throws DecodeTimeoutError when the deadline passes
 */
export function readRdf(text: string, mediaType: string, base?: string, deadline = Deadline.none()): { graph: Graph; problems: Problem[] } {
  const graph = new Graph();
  let quads: Quad[];
  try {
    quads = new Parser({ format: RDF_FORMATS[mediaType] ?? 'text/turtle', ...(base !== undefined ? { baseIRI: base } : {}) }).parse(text);
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    return { graph, problems: [problem('invalid-rdf', null, null, '', `invalid ${mediaType}: ${message}`)] };
  }
  const id = (term: Quad['subject'] | Quad['object']): string =>
    term.termType === 'BlankNode' ? graph.blank(`_:${term.value}`) : term.value;
  // N3.js parses nested `[ … ]` and `( … )` with a stack of its own, not by recursion, so any depth reads here
  // into a chain of blank nodes; what is kept of such a chain is bounded by the extractor.
  quads.forEach((quad, index) => {
    deadline.check();
    const node = graph.node(id(quad.subject), `triple ${index + 1}`);
    const predicate = quad.predicate.value;
    const object = quad.object;
    if (predicate === RDF_TYPE && object.termType === 'NamedNode') {
      graph.addType(node, object.value);
    } else if (object.termType === 'Literal') {
      const datatype = object.datatype.value;
      if (object.language !== '') graph.add(node, predicate, { kind: 'literal', value: object.value, language: object.language });
      else if (datatype === XSD_STRING || datatype === RDF_LANG_STRING) graph.add(node, predicate, { kind: 'literal', value: object.value });
      else graph.add(node, predicate, typedLiteral(object.value, datatype));
    } else {
      graph.add(node, predicate, { kind: 'ref', id: id(object) });
    }
  });
  // Records hold no graph name: N-Quads' named graphs are read as one graph, and said so (a conversion back to N-Quads
  // writes the default graph, where it looked faithful).
  const named = new Set<string>();
  for (const quad of quads) if (quad.graph.termType !== 'DefaultGraph') named.add(quad.graph.value);
  if (named.size === 0) return { graph, problems: [] };
  const shown = [...named].slice(0, 3).map((g) => `<${g}>`).join(', ');
  return { graph, problems: [problem('dropped-property', null, null, '', `${named.size} named graph(s) (${shown}${named.size > 3 ? ', …' : ''}) read as one graph: `
    + 'their statements are kept, their graph names are not', 'warning')] };
}
