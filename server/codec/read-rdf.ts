/**
 * Reads Turtle, N-Triples and N-Quads into a {@link Graph} with N3.js.
 *
 * @packageDocumentation
 */
import { DataFactory, Parser, type Quad } from 'n3';
import { NS } from '../../ontology/namespaces.js';
import { Graph, type LiteralTerm } from './graph.js';
import { decimalLexical, doubleLexical } from './rdf.js';
import { problem, type Problem } from '../errors/problem.js';
import { Deadline, MAX_RDF_STATEMENTS, ProblemCollector, rdfTextExcess } from './limits.js';

const RDF_TYPE = `${NS.rdf}type`;
const RDF_FIRST = `${NS.rdf}first`;
const RDF_REST = `${NS.rdf}rest`;
const RDF_NIL = `${NS.rdf}nil`;
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
 * How much text the parser reads at once: each piece is one synchronous step, between which the event loop runs
 * (other requests, other syncs) and the deadline and the statements read are checked.
 */
const PARSE_CHUNK = 256 * 1024;

/** Thrown from the parser's callbacks to stop it: the document holds more statements than a document may. */
class TooManyStatements extends Error {
  public constructor() {
    super(`the document holds more than ${MAX_RDF_STATEMENTS.toLocaleString('en-US')} statements (or nodes opened), more than a document may: nothing of it was read`);
  }
}

/**
 * Parses RDF text into quads a piece at a time ({@link PARSE_CHUNK}), yielding to the event loop between pieces,
 * checking the deadline at every token and stopping past {@link MAX_RDF_STATEMENTS} statements and nodes opened: N3.js's parse of a
 * whole text at once held the event loop for 32 s on 3.5 million `[] x:p [] .` before any check could run.
 *
 * @throws DecodeTimeoutError when the deadline passes, TooManyStatements past the limit
 */
async function parseQuads(text: string, format: string, base: string | undefined, deadline: Deadline): Promise<Quad[]> {
  const quads: Quad[] = [];
  // Statements read, and `[`, `(`, `<<` opened: the parser holds a context for each open one until it closes.
  let counted = 0;
  let failed: Error | undefined;
  let ended = false;
  const handlers = new Map<string, (value?: unknown) => void>();
  // The parser reads a stream as a source of `data` events (N3Lexer.tokenize): this one is fed by the loop below.
  const source = { on: (event: string, handler: (value?: unknown) => void) => { handlers.set(event, handler); return source; } };
  new Parser({ format, ...(base !== undefined ? { baseIRI: base } : {}) }).parse(source as unknown as NodeJS.ReadableStream, {
    onQuad: (error: Error | null, quad: Quad | null) => {
      if (error !== null) failed ??= error;
      else if (quad === null) ended = true;
      else {
        quads.push(quad);
        if (++counted > MAX_RDF_STATEMENTS) throw new TooManyStatements();
      }
    },
    // Every token, whether it makes a statement or not (directives, `(` of a list): no work goes unchecked.
    onToken: (token: { type?: string }) => {
      deadline.check();
      if (OPENING_TOKENS.has(token.type ?? '') && ++counted > MAX_RDF_STATEMENTS) throw new TooManyStatements();
    },
  } as unknown as Parameters<Parser['parse']>[1]);
  let at = 0;
  while (at < text.length && failed === undefined) {
    // A piece never ends between the two halves of a surrogate pair (the lexer would read half a character).
    let end = Math.min(text.length, at + PARSE_CHUNK);
    if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end++;
    handlers.get('data')?.(text.slice(at, end));
    at = end;
    if (at < text.length) await nextTurn();
  }
  if (failed === undefined) handlers.get('end')?.();
  if (failed !== undefined) throw new InvalidRdf(failed.message);
  if (!ended) throw new InvalidRdf('the document ends before its last statement does');
  return quads;
}

/** The tokens with which the parser opens a context it holds until they close (a blank node, a list, a triple term). */
const OPENING_TOKENS = new Set(['[', '(', '{', '{|', '<<', '<<(']);

/** How many statements go into the graph between two turns of the event loop. */
const YIELD_EVERY = 20_000;

/** Lets the event loop run (requests, other syncs) before the work goes on. */
function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/** Whether a UTF-16 code unit is the first half of a surrogate pair. */
function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** The parser's refusal of the text (its syntax). */
class InvalidRdf extends Error {}

/**
 * Parses an RDF document. Named graphs are merged: a DFC document describes one catalogue.
 *
 * Its statements are counted in its text first, and again as they are parsed: a document of more than
 * {@link MAX_RDF_STATEMENTS} is refused, a `too-large` problem of the document.
 *
 * @param text - the document
 * @param mediaType - one of {@link RDF_FORMATS}
 * @param base - base IRI for relative IRIs
 * @param deadline - when the decode must be over
 * @throws DecodeTimeoutError when the deadline passes
 */
export async function readRdf(text: string, mediaType: string, base?: string, deadline = Deadline.none()): Promise<{ graph: Graph; problems: Problem[] }> {
  const graph = new Graph();
  const excess = rdfTextExcess(text);
  if (excess !== undefined) return { graph, problems: [problem('too-large', null, null, '', excess)] };
  let quads: Quad[];
  try {
    quads = await parseQuads(text, RDF_FORMATS[mediaType] ?? 'text/turtle', base, deadline);
  } catch (error: unknown) {
    if (error instanceof TooManyStatements) return { graph, problems: [problem('too-large', null, null, '', error.message)] };
    if (!(error instanceof InvalidRdf)) throw error;
    return { graph, problems: [problem('invalid-rdf', null, null, '', `invalid ${mediaType}: ${error.message}`)] };
  }
  const id = (term: Quad['subject'] | Quad['object']): string =>
    term.termType === 'BlankNode' ? graph.blank(`_:${term.value}`) : term.value;
  const lists = readLists(quads, deadline);
  const listProblems = new ProblemCollector();
  if (lists !== undefined) {
    quads = quads.flatMap((quad) => {
      deadline.check();
      if (lists.consumed.has(quad)) return [];
      const items = lists.items.get(quad);
      if (items === undefined) return [quad];
      // As the JSON-LD reader reads `@list`: the list's values, each one of the property's, with a warning.
      listProblems.push(problem('list-as-set', id(quad.subject), null, quad.predicate.value, 'an RDF list was read as a set of values; order is not kept', 'warning'));
      return items.map((item) => DataFactory.quad(quad.subject, quad.predicate, item, quad.graph));
    });
  }
  // N3.js parses nested `[ … ]` and `( … )` with a stack of its own, not by recursion, so any depth reads here
  // into a chain of blank nodes; what is kept of such a chain is bounded by the extractor.
  for (let index = 0; index < quads.length; index++) {
    deadline.check();
    // Building the graph of a million statements takes seconds: the event loop runs between pieces of it too.
    if (index % YIELD_EVERY === YIELD_EVERY - 1) await nextTurn();
    const quad = quads[index] as Quad;
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
  }
  // Records hold no graph name: N-Quads' named graphs are read as one graph, and said so (a conversion back to N-Quads
  // writes the default graph, where it looked faithful).
  const named = new Set<string>();
  for (const quad of quads) if (quad.graph.termType !== 'DefaultGraph') named.add(quad.graph.value);
  if (named.size === 0) return { graph, problems: listProblems.list() };
  const shown = [...named].slice(0, 3).map((g) => `<${g}>`).join(', ');
  return { graph, problems: [...listProblems.list(), problem('dropped-property', null, null, '', `${named.size} named graph(s) (${shown}${named.size > 3 ? ', …' : ''}) read as one graph: `
    + 'their statements are kept, their graph names are not', 'warning')] };
}

/** The RDF lists of a document: the statements whose object is one, with its items, and the statements of its nodes. */
interface RdfLists {
  readonly items: ReadonlyMap<Quad, readonly Quad['object'][]>;
  readonly consumed: ReadonlySet<Quad>;
}

/** A blank node as a list node may be: its `rdf:first` and `rdf:rest`, how many other statements it has, how many name it. */
interface ListNode {
  readonly first: Quad[];
  readonly rest: Quad[];
  other: number;
  named: number;
}

/**
 * The well-formed RDF lists of a document (Turtle's `( … )`): a chain of blank nodes, each with one `rdf:first` and
 * one `rdf:rest` and nothing else, named by nothing but the statement before it, ending in `rdf:nil`; `()` alone is
 * `rdf:nil`, an empty list. Undefined when the document has none (the common case costs one look at each
 * predicate). A chain that is not such a list is left as the statements it is.
 */
function readLists(quads: readonly Quad[], deadline: Deadline): RdfLists | undefined {
  if (!quads.some((q) => q.predicate.value === RDF_FIRST || (q.object.termType === 'NamedNode' && q.object.value === RDF_NIL))) return undefined;
  /** Per blank node: its statements, and how many statements name it. */
  const about = new Map<string, ListNode>();
  const entry = (label: string): ListNode => {
    let e = about.get(label);
    if (e === undefined) about.set(label, (e = { first: [], rest: [], other: 0, named: 0 }));
    return e;
  };
  for (const quad of quads) {
    deadline.check();
    if (quad.subject.termType === 'BlankNode') {
      const e = entry(quad.subject.value);
      if (quad.predicate.value === RDF_FIRST) e.first.push(quad);
      else if (quad.predicate.value === RDF_REST) e.rest.push(quad);
      else e.other++;
    }
    if (quad.object.termType === 'BlankNode') entry(quad.object.value).named++;
  }
  const items = new Map<Quad, Quad['object'][]>();
  const consumed = new Set<Quad>();
  for (const quad of quads) {
    deadline.check();
    const predicate = quad.predicate.value;
    if (predicate === RDF_FIRST || predicate === RDF_REST || predicate === RDF_TYPE) continue;
    const { object } = quad;
    if (object.termType !== 'BlankNode' && !(object.termType === 'NamedNode' && object.value === RDF_NIL)) continue;
    const values: Quad['object'][] = [];
    const nodes: Quad[] = [];
    let node: Quad['object'] = object;
    let ok = true;
    const walked = new Set<string>();
    while (!(node.termType === 'NamedNode' && node.value === RDF_NIL)) {
      deadline.check();
      const e: ListNode | undefined = node.termType === 'BlankNode' ? about.get(node.value) : undefined;
      if (e === undefined || walked.has(node.value) || e.first.length !== 1 || e.rest.length !== 1 || e.other !== 0 || e.named !== 1) {
        ok = false;
        break;
      }
      walked.add(node.value);
      const first = e.first[0] as Quad;
      const rest = e.rest[0] as Quad;
      values.push(first.object);
      nodes.push(first, rest);
      node = rest.object;
    }
    if (!ok) continue;
    items.set(quad, values);
    for (const n of nodes) consumed.add(n);
  }
  return items.size === 0 ? undefined : { items, consumed };
}
