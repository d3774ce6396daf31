/**
 * The codec's internal graph: every node of one document by id, with canonical IRIs.
 *
 * All readers (compacted or expanded JSON-LD, Turtle, N-Quads) produce this same shape, and the record
 * extractor only ever reads it, so the wire quirks stay in the readers.
 *
 * @packageDocumentation
 */
import { canonicalDfcIri, isDfc2OnlyTermIn1x } from '../../ontology/namespaces.js';
import { MAX_TYPES_PER_NODE, MAX_VALUES_PER_PROPERTY, TYPES_KEY } from './limits.js';

/** A link to a node (IRI or blank node label). */
export interface RefTerm {
  readonly kind: 'ref';
  readonly id: string;
}

/** A literal; JSON numbers and booleans keep their JavaScript type. */
export interface LiteralTerm {
  readonly kind: 'literal';
  readonly value: string | number | boolean;
  readonly language?: string;
  /** Absolute datatype IRI; absent for plain strings and native JSON values. */
  readonly datatype?: string;
}

/** One value of a property. */
export type Term = RefTerm | LiteralTerm;

/** One node and its outgoing properties. */
export interface GraphNode {
  readonly id: string;
  readonly types: string[];
  /** Predicate IRI → values, in document order. */
  readonly properties: Map<string, Term[]>;
  /** Where the node was first seen, for problem reports (`@graph[3]`). */
  readonly origin: string;
}

/** All nodes of a document, plus where each blank node is referenced from. */
export class Graph {
  public readonly nodes = new Map<string, GraphNode>();
  private blankCounter = 0;
  private readonly blankLabels = new Map<string, string>();
  private readonly canonical = new Map<string, string>();
  /**
   * Nodes with a property that reached {@link MAX_VALUES_PER_PROPERTY} (node id → predicate IRI): further values
   * were dropped, and the extractor refuses the resource.
   */
  public readonly overfull = new Map<string, string>();
  /** How many values the document gave, over all nodes (what the extractor's budget is measured against). */
  public valueCount = 0;

  /** A fresh blank node label that cannot collide with a label from the input. */
  public freshBlank(): string {
    return `_:b${this.blankCounter++}`;
  }

  /**
   * Maps a blank node label of the input to ours, so that labels of different documents (and the
   * connector's `_:_:b1`) never collide with generated ones.
   */
  public blank(label: string): string {
    let mapped = this.blankLabels.get(label);
    if (mapped === undefined) {
      mapped = this.freshBlank();
      this.blankLabels.set(label, mapped);
    }
    return mapped;
  }

  /**
   * The canonical form of an IRI (DFC 1.x namespaces, 2.0 for the terms only DFC 2.0 defines: `canonicalDfcIri`),
   * memoised because the same IRIs repeat.
   */
  public iri(value: string): string {
    // Most IRIs (every resource id, every 1.x term but a few) need no rewriting: answered without a memo look-up.
    if (!needsCanonicalForm(value)) return value;
    let result = this.canonical.get(value);
    if (result === undefined) {
      result = canonicalDfcIri(value);
      this.canonical.set(value, result);
    }
    return result;
  }

  /** The node with `id`, created if absent. */
  public node(id: string, origin: string): GraphNode {
    let node = this.nodes.get(id);
    if (node === undefined) {
      node = { id, types: [], properties: new Map(), origin };
      this.nodes.set(id, node);
    }
    return node;
  }

  /** Adds a type to a node (once). */
  public addType(node: GraphNode, type: string): void {
    const canonical = this.iri(type);
    // The first type replaces the empty list with a one-element one: a push onto `[]` reserves room for seventeen,
    // on every node of the document.
    if (node.types.length === 0) (node as { types: string[] }).types = [canonical];
    else if (!node.types.includes(canonical)) {
      if (node.types.length >= MAX_TYPES_PER_NODE) {
        if (!this.overfull.has(node.id)) this.overfull.set(node.id, TYPES_KEY);
        return;
      }
      node.types.push(canonical);
    }
  }

  /** Adds a value to a node's property; a value already there is not added twice (RDF is a set). */
  public add(node: GraphNode, predicate: string, term: Term): void {
    const value: Term = term.kind === 'ref' && !term.id.startsWith('_:') ? { kind: 'ref', id: this.iri(term.id) } : term;
    this.addCanonical(node, this.iri(predicate), value);
  }

  /**
   * {@link add} for a reader that already has the canonical predicate and a term whose IRI is canonical (a
   * reader's term cache does the canonical look-up once per distinct term, not once per value).
   *
   * @param node - the subject
   * @param key - the canonical predicate IRI (`this.iri(predicate)`)
   * @param value - the value, a `ref` already in canonical form
   */
  public addCanonical(node: GraphNode, key: string, value: Term): void {
    const values = node.properties.get(key);
    if (values === undefined) {
      node.properties.set(key, [value]);
      this.valueCount++;
      return;
    }
    // Short lists are scanned; long ones (an enterprise managing thousands of items) get a key set so that
    // building a big catalogue stays linear.
    if (values.length < 16) {
      for (const v of values) if (sameTerm(v, value)) return;
      values.push(value);
      this.valueCount++;
      return;
    }
    let keys = this.valueKeys.get(values);
    if (keys === undefined) {
      keys = new Set(values.map(termKey));
      this.valueKeys.set(values, keys);
    }
    const k = termKey(value);
    if (keys.has(k)) return;
    if (values.length >= MAX_VALUES_PER_PROPERTY) {
      if (!this.overfull.has(node.id)) this.overfull.set(node.id, key);
      return;
    }
    keys.add(k);
    values.push(value);
    this.valueCount++;
  }

  private readonly valueKeys = new WeakMap<Term[], Set<string>>();
}

const W3ID_HTTP = 'http://w3id.org/dfc/';
const W3ID_HTTPS = 'https://w3id.org/dfc/';
const STATIC_HTTP = 'http://static.datafoodconsortium.org/';

/**
 * Whether `canonicalDfcIri` could rewrite `value`: every namespace it rewrites (DFC 2.0 on http and https, pre-1.8)
 * starts with one of three bases, and in the canonical business namespace it only rewrites a 2.0-only term. A few
 * `startsWith` instead of scanning the whole IRI twice with `includes`.
 */
function needsCanonicalForm(value: string): boolean {
  // `http://w…` and `http://s…` have a letter at 7, `https://w…` and `https://g…` one at 8: any other IRI is
  // answered on one or two characters (a resource id on a peer's host).
  const c7 = value.charCodeAt(7);
  if (c7 === 0x77 /* w */) return value.startsWith(W3ID_HTTP);
  if (c7 === 0x73 /* s */) return value.startsWith(STATIC_HTTP);
  if (c7 !== 0x2f /* / */) return false;
  const c8 = value.charCodeAt(8);
  if (c8 === 0x77 /* w */) return value.startsWith(W3ID_HTTPS);
  // A 1.x IRI (`https://github.com/…`) that names a 2.0-only term: ruled out on its length for nearly every IRI.
  return c8 === 0x67 /* g */ && isDfc2OnlyTermIn1x(value);
}

function termKey(term: Term): string {
  return term.kind === 'ref'
    ? `<${term.id}`
    : `${typeof term.value}|${String(term.value)}|${term.language ?? ''}|${term.datatype ?? ''}`;
}

/** Whether two terms are the same RDF term. */
export function sameTerm(a: Term, b: Term): boolean {
  if (a.kind === 'ref' || b.kind === 'ref') return a.kind === b.kind && (a as RefTerm).id === (b as RefTerm).id;
  return a.value === b.value && a.language === b.language && a.datatype === b.datatype;
}
