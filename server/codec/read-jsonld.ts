/**
 * Reads JSON-LD into a {@link Graph}, on a fast path when it can and through jsonld.js when it must.
 *
 * Nearly every DFC document on the wire is compacted against a DFC context whose terms are plain prefixes
 * and `{"@type": "@id"}` coercions. For those, expansion is a table look-up per key, and we do it here in
 * one pass: measured on a 5,000-offer catalogue it is an order of magnitude faster than `jsonld.expand`
 * followed by a walk. Anything this reader does not fully understand (`@vocab`, `@base`, scoped contexts,
 * `@reverse`, lists…) makes it give up and the whole document goes through `jsonld.expand` with our offline
 * document loader instead, then through the same walk with an empty context: the fast path is an
 * optimisation, never a second interpretation.
 *
 * @packageDocumentation
 */
import jsonld from 'jsonld';
import type { SimpleContext } from '../../ontology/contexts.js';
import { isAbsoluteIri } from '../../ontology/iri.js';
import { UnknownContextError } from './document-loader.js';
import { ContextRegistry, MAX_CONTEXT_NESTING } from './context-registry.js';
import { Graph, type GraphNode, type RefTerm } from './graph.js';
import { DFC_B } from '../../ontology/vocabulary.js';
import { problem, type Problem, type ProblemCode } from '../errors/problem.js';
import { Deadline, jsonDepth, MAX_JSON_DEPTH, MAX_NODE_DEPTH, MAX_VALUES_PER_PROPERTY, ProblemCollector } from './limits.js';
import { isLanguageTag } from './values.js';

/** A term of a context: the IRI it expands to, and whether its string values are links. */
export interface TermDefinition {
  readonly iri: string;
  readonly typeId: boolean;
}

/** A key of a node object as the walk reads it: its definition, plus what every value under it needs. */
interface KeyDefinition extends TermDefinition {
  /** The predicate in canonical form (`Graph.iri(iri)`). */
  readonly canonical: string;
  /** Whether text under this key may be text rather than a link ({@link TEXT_OR_IRI}). */
  readonly textOrIri: boolean;
}

/** A `@type` value as the walk reads it. */
interface TypeDefinition {
  /** The expanded IRI; not absolute when the type is unknown. */
  readonly iri: string;
  readonly absolute: boolean;
}

/**
 * The terms in scope, and memos of how this walk expanded keys and types against them. A document uses a few
 * dozen distinct keys over thousands of nodes: each is expanded (and checked, and made canonical) once. The memos
 * belong to one walk (one {@link Walker}, one base IRI, one blank node numbering), never shared between documents.
 */
interface ActiveContext {
  readonly terms: ReadonlyMap<string, TermDefinition>;
  readonly keys: Map<string, KeyDefinition | null>;
  readonly types: Map<string, TypeDefinition>;
  /**
   * Links written as compact IRIs (`dfc-m:Euro`, `dfc-pt:carrot`), expanded through a prefix of this context:
   * one term shared by every value that writes the same (terms are never changed). Only compact IRIs: their
   * expansion does not depend on the base, and there are as many as the vocabulary a document uses.
   */
  readonly links: Map<string, RefTerm>;
}

/** The terms of each built-in context, defined on an empty context (see {@link Walker.context}). */
const KNOWN_CONTEXT_TERMS = new WeakMap<SimpleContext, ReadonlyMap<string, TermDefinition>>();

/**
 * The terms of a built-in context (prefixes, and `{"@type": "@id"}` coercions), worked out once and shared:
 * what this reader expands keys against, given to the direct reader (`direct.ts`) so that both read a key alike.
 *
 * @param context - a built-in DFC context
 */
export function builtInContextTerms(context: SimpleContext): ReadonlyMap<string, TermDefinition> {
  let known = KNOWN_CONTEXT_TERMS.get(context);
  if (known === undefined) {
    const defined = new Map<string, TermDefinition>();
    defineAll(defined, context);
    KNOWN_CONTEXT_TERMS.set(context, (known = defined));
  }
  return known;
}

function activeContext(terms: ReadonlyMap<string, TermDefinition>): ActiveContext {
  return { terms, keys: new Map(), types: new Map(), links: new Map() };
}
const SLASH = 0x2f;
const DFC_PREFIXES = new Set(['dfc', 'dfc-b', 'dfc-t', 'dfc-m', 'dfc-pt', 'dfc-f', 'dfc-v']);


/** Properties whose values peers send as text or as a link: text there is read as text. */
const TEXT_OR_IRI = new Set<string>([DFC_B.hasCountry, DFC_B.country, DFC_B.hasPhoneNumber, DFC_B.hasUnit]);

/** Deepest nesting of node objects a document may have. */
const MAX_DEPTH = MAX_NODE_DEPTH;

/** Thrown when a document nests deeper than {@link MAX_DEPTH}. */
class TooDeepError extends Error {
  public constructor() {
    super(`the document nests node objects and arrays more than ${MAX_DEPTH} levels deep`);
  }
}

/** Thrown inside the fast path when a construct needs the full JSON-LD algorithms. */
class NeedsFullProcessing extends Error {
  public constructor(reason: string) {
    super(reason);
  }
}

/** How a JSON-LD document was read. */
export interface JsonLdReadResult {
  readonly graph: Graph;
  readonly problems: Problem[];
  /** `fast` for the one-pass reader, `full` when jsonld.js expanded the document first. */
  readonly path: 'fast' | 'full';
  /** Context URLs the document named. */
  readonly contextUrls: string[];
}

/** Options of {@link readJsonLd}. */
export interface JsonLdReadOptions {
  /** Base IRI for relative IRIs (the URL the document came from); without it relative IRIs are errors. */
  readonly base?: string;
  /** When the decode must be over (default: never). */
  readonly deadline?: Deadline;
  /** The contexts resolved without the network (default: the DFC contexts only). */
  readonly contexts?: ContextRegistry;
  /**
   * `full` reads through jsonld.js even when the one-pass reader could: the reference the one-pass reader is
   * tested against (`test/unit/codec/fast-path.test.ts`). Default `auto`.
   */
  readonly path?: 'auto' | 'full';
}

class Walker {
  public readonly graph = new Graph();
  /** Bounded: a document of millions of values that are each a problem must not cost a problem each. */
  private readonly found = new ProblemCollector();
  public readonly contextUrls: string[] = [];
  private undefinedDfcPrefix: string | undefined;
  /** How deep the walk is in node objects and arrays. */
  private depth = 0;

  public constructor(
    private readonly base: string | undefined,
    private readonly listsAsSets: boolean,
    private readonly deadline: Deadline = Deadline.none(),
    private readonly contexts: ContextRegistry = ContextRegistry.NONE,
  ) {}

  /** The problems found: at most `MAX_PROBLEMS` of them, and the first error of each resource. */
  public get problems(): Problem[] {
    return this.found.list();
  }

  public finish(): void {
    if (this.undefinedDfcPrefix !== undefined) {
      this.found.unshift(
        problem('missing-context', null, null, '@context', `missing @context: "${this.undefinedDfcPrefix}" uses a DFC prefix that no context defines`),
      );
    }
  }

  public top(value: unknown, context: ActiveContext, path: string): void {
    if (Array.isArray(value)) {
      // Arrays count against the depth as node objects do.
      if (this.depth >= MAX_DEPTH) throw new TooDeepError();
      this.depth++;
      try {
        for (let i = 0; i < value.length; i++) {
          // Every loop over the document checks the deadline, not only the walk of a node: a million scalars are no node.
          this.deadline.check();
          this.top(value[i], context, `${path}[${i}]`);
        }
      } finally {
        this.depth--;
      }
      return;
    }
    if (!isObject(value)) {
      this.found.push(problem('not-a-node-object', null, null, path, 'expected a JSON-LD node object'));
      return;
    }
    const active = '@context' in value ? this.context(context, value['@context']) : context;
    let described = false;
    for (const key in value) {
      if (key !== '@context' && key !== '@graph') {
        described = true;
        break;
      }
    }
    if (described) this.node(value, active, path || '@root');
    else if ('@graph' in value) this.graphItems(value['@graph'], active, path ? `${path}/@graph` : '@graph');
  }

  private graphItems(items: unknown, context: ActiveContext, path: string): void {
    const list = Array.isArray(items) ? items : [items];
    for (let i = 0; i < list.length; i++) {
      this.deadline.check();
      const item: unknown = list[i];
      if (isObject(item)) this.node(item, context, `${path}[${i}]`);
      else if (item !== null) this.found.push(problem('not-a-node-object', null, null, `${path}[${i}]`, 'expected a node object in @graph'));
    }
  }

  /** Merges a `@context` value into the active context. */
  public context(active: ActiveContext, value: unknown): ActiveContext {
    // The common case, every DFC document: one built-in context named by URL at the top. Its terms are worked out
    // once (they are never changed), not for every document (hundreds of terms: most of a small body's decoding).
    if (typeof value === 'string' && active.terms.size === 0) {
      const resolved = this.contexts.resolve(value);
      if (resolved?.kind === 'known') {
        this.contextUrls.push(value);
        return activeContext(builtInContextTerms(resolved.context));
      }
    }
    const terms = new Map(active.terms);
    // `chain`: the stored contexts being applied, innermost last (their URL is the base of the URLs they name).
    const apply = (entry: unknown, chain: readonly string[]): void => {
      if (entry === null) throw new NeedsFullProcessing('context reset (null)');
      if (typeof entry === 'string') {
        const namedBy = chain.at(-1);
        const resolved = this.contexts.resolve(entry, namedBy);
        if (resolved === undefined) throw this.contexts.unknown(entry, namedBy);
        if (namedBy === undefined) this.contextUrls.push(entry);
        if (resolved.kind === 'known') {
          defineAll(terms, resolved.context, this.deadline);
          return;
        }
        // jsonld.js reports a cycle (or too deep a chain) with its own message.
        if (chain.includes(resolved.url) || chain.length >= MAX_CONTEXT_NESTING) throw new NeedsFullProcessing('recursive context');
        apply(resolved.context, [...chain, resolved.url]);
        return;
      }
      if (Array.isArray(entry)) {
        for (const item of entry) {
          this.deadline.check();
          apply(item, chain);
        }
        return;
      }
      if (!isObject(entry)) throw new NeedsFullProcessing('unexpected @context value');
      defineAll(terms, entry, this.deadline);
    };
    apply(value, []);
    return activeContext(terms);
  }

  /** Walks a node object and returns its id. */
  public node(value: Record<string, unknown>, context: ActiveContext, path: string): string {
    // Deeply nested input would overflow the stack: no real document nests more than a few levels.
    if (this.depth >= MAX_DEPTH) throw new TooDeepError();
    this.deadline.check();
    this.depth++;
    try {
      return this.nodeBody(value, context, path);
    } finally {
      this.depth--;
    }
  }

  private nodeBody(value: Record<string, unknown>, context: ActiveContext, path: string): string {
    const active = '@context' in value ? this.context(context, value['@context']) : context;
    const rawId = value['@id'];
    let id: string;
    if (rawId === undefined) {
      id = this.graph.freshBlank();
    } else if (typeof rawId !== 'string') {
      this.found.push(problem('invalid-id-value', null, null, `${path}/@id`, '@id must be a string'));
      id = this.graph.freshBlank();
    } else {
      id = this.expandIri(rawId, active, false);
      if (!id.startsWith('_:') && !isAbsoluteIri(id)) {
        this.found.push(problem('invalid-iri', id, null, '@id', `malformed IRI ${JSON.stringify(rawId)}: not an absolute IRI`));
      }
    }
    // The node is made on its first type or property, so that a bare `{"@id"}` met first stays no node.
    let node: GraphNode | undefined;
    for (const key in value) {
      this.deadline.check();
      const item = value[key];
      switch (key) {
        case '@id':
        case '@context':
        case '@index':
          continue;
        case '@type': {
          node ??= this.graph.node(id, path);
          if (Array.isArray(item)) {
            for (const t of item) {
              this.deadline.check();
              this.type(node, t, active);
            }
          }
          else this.type(node, item, active);
          continue;
        }
        case '@graph':
          node ??= this.graph.node(id, path);
          this.graphItems(item, active, `${path}/@graph`);
          continue;
        case '@included':
          this.graphItems(item, active, `${path}/@included`);
          continue;
        case '@reverse':
          this.reverse(id, item, active, `${path}/@reverse`);
          continue;
        default:
          break;
      }
      if (key.startsWith('@')) throw new NeedsFullProcessing(`keyword ${key}`);
      const definition = this.expandKey(key, active);
      if (definition === undefined) {
        this.found.push(
          problem('dropped-property', id, null, key, `property ${JSON.stringify(key)} is not defined by the context and was dropped`, 'warning'),
        );
        continue;
      }
      node ??= this.graph.node(id, path);
      this.values(node, definition, item, active, key);
    }
    return id;
  }

  /** One value of `@type`. */
  private type(node: GraphNode, t: unknown, context: ActiveContext): void {
    if (typeof t !== 'string') {
      this.found.push(problem('invalid-type-value', node.id, null, '@type', '@type must be a string or an array of strings'));
      return;
    }
    let definition = context.types.get(t);
    if (definition === undefined) {
      const iri = this.expandIri(t, context, true);
      definition = { iri, absolute: isAbsoluteIri(iri) };
      context.types.set(t, definition);
    }
    if (!definition.absolute) this.found.push(problem('unknown-type', node.id, t, '@type', `unknown type ${JSON.stringify(t)}: not a term or an IRI`));
    else this.graph.addType(node, definition.iri);
  }

  /** `@reverse`: each value is the subject, and this node the object, of the property. */
  private reverse(id: string, value: unknown, context: ActiveContext, path: string): void {
    if (!isObject(value)) {
      this.found.push(problem('invalid-reverse-value', id, null, path, '@reverse must be an object'));
      return;
    }
    for (const [key, targets] of Object.entries(value)) {
      this.deadline.check();
      const definition = this.expandKey(key, context);
      if (definition === undefined) continue;
      for (const target of Array.isArray(targets) ? targets : [targets]) {
        this.deadline.check();
        let subject: string | undefined;
        if (typeof target === 'string') subject = this.expandIri(target, context, false);
        else if (isObject(target)) subject = this.node(target, context, path);
        if (subject === undefined) continue;
        this.graph.add(this.graph.node(subject, path), definition.iri, { kind: 'ref', id });
      }
    }
  }

  private values(node: GraphNode, definition: KeyDefinition, value: unknown, context: ActiveContext, path: string): void {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      if (this.depth >= MAX_DEPTH) throw new TooDeepError();
      // An array over the cap refuses the resource (the extractor reports it): reading past it is wasted work.
      let items: unknown[] = value;
      if (value.length > MAX_VALUES_PER_PROPERTY) {
        if (!this.graph.overfull.has(node.id)) this.graph.overfull.set(node.id, definition.iri);
        items = value.slice(0, MAX_VALUES_PER_PROPERTY);
      }
      this.depth++;
      try {
        for (const item of items) {
          this.deadline.check();
          this.values(node, definition, item, context, path);
        }
      } finally {
        this.depth--;
      }
      return;
    }
    if (typeof value === 'string') {
      // A compact IRI already read as a link expanded to an absolute IRI: no text.
      if (definition.textOrIri && !context.links.has(value)
        && isTextWhereLinkExpected(value, this.expandIri(value, context, false, false), this.base !== undefined)) {
        // People write a country, a phone number or a currency as text (`"GB"`, `"+44 …"`, `"GBP"`) where the
        // context expects a link: that is text, not a malformed IRI, nor one relative to the URL posted to.
        this.graph.addCanonical(node, definition.canonical, { kind: 'literal', value });
      } else if (definition.typeId) this.ref(node, definition, value, context, path);
      else this.graph.addCanonical(node, definition.canonical, { kind: 'literal', value });
      return;
    }
    if (typeof value === 'number' || typeof value === 'boolean') {
      this.graph.addCanonical(node, definition.canonical, { kind: 'literal', value });
      return;
    }
    if (!isObject(value)) return;
    if ('@value' in value) {
      this.literal(node, definition.iri, value, context, path);
      return;
    }
    if ('@list' in value) {
      if (!this.listsAsSets) throw new NeedsFullProcessing('@list');
      this.values(node, definition, value['@list'], context, path);
      this.found.push(problem('list-as-set', node.id, null, path, 'an RDF list was read as a set of values; order is not kept', 'warning'));
      return;
    }
    if ('@set' in value) {
      this.values(node, definition, value['@set'], context, path);
      return;
    }
    const keys = Object.keys(value);
    if (keys.length === 1 && typeof value['@id'] === 'string') {
      const raw = value['@id'];
      // In jsonld.js's expanded output a coerced string is an `{"@id"}` too: the same text rule as above.
      if (this.listsAsSets && TEXT_OR_IRI.has(definition.canonical)
        && isTextWhereLinkExpected(raw, this.expandIri(raw, context, false, false), this.base !== undefined)) {
        this.graph.addCanonical(node, definition.canonical, { kind: 'literal', value: raw });
      } else this.ref(node, definition, raw, context, path);
      return;
    }
    const child = this.node(value, context, `${node.origin}/${path}`);
    this.graph.add(node, definition.canonical, { kind: 'ref', id: child });
  }

  private ref(node: GraphNode, definition: KeyDefinition, raw: string, context: ActiveContext, path: string): void {
    const known = context.links.get(raw);
    if (known !== undefined) {
      this.graph.addCanonical(node, definition.canonical, known);
      return;
    }
    const id = this.expandIri(raw, context, false);
    if (id.startsWith('_:')) {
      this.graph.addCanonical(node, definition.canonical, { kind: 'ref', id });
      return;
    }
    if (!isAbsoluteIri(id)) {
      this.found.push(problem('invalid-iri', node.id, null, path, `malformed IRI ${JSON.stringify(raw)}: not an absolute IRI`));
      return;
    }
    const term: RefTerm = { kind: 'ref', id: this.graph.iri(id) };
    // Expanded through a prefix (a colon, and a different result): the same whatever the base.
    if (id !== raw && raw.indexOf(':') > 0) context.links.set(raw, term);
    this.graph.addCanonical(node, definition.canonical, term);
  }

  private literal(node: GraphNode, predicate: string, value: Record<string, unknown>, context: ActiveContext, path: string): void {
    for (const key of Object.keys(value)) {
      this.deadline.check();
      if (key !== '@value' && key !== '@type' && key !== '@language' && key !== '@index') {
        throw new NeedsFullProcessing(`value object key ${key}`);
      }
    }
    const v = value['@value'];
    if (v === null) return;
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      this.found.push(problem('invalid-value-object', node.id, null, path, '@value must be a string, number or boolean'));
      return;
    }
    const type = value['@type'];
    const language = value['@language'];
    if (typeof type === 'string') {
      if (type === '@json') throw new NeedsFullProcessing('@json literal');
      const datatype = this.expandIri(type, context, true);
      this.graph.add(node, predicate, { kind: 'literal', value: v, datatype });
    } else if (typeof language === 'string' && typeof v === 'string' && isLanguageTag(language)) {
      this.graph.add(node, predicate, { kind: 'literal', value: v, language: language.toLowerCase() });
    } else {
      if (language !== undefined) {
        this.found.push(problem('invalid-language-tag', node.id, null, path,
          `@language ${JSON.stringify(language)} is no language tag (letters, then "-" and letters or digits: "fr", "en-GB"): the text is kept without it`, 'warning'));
      }
      this.graph.add(node, predicate, { kind: 'literal', value: v });
    }
  }

  private expandKey(key: string, context: ActiveContext): KeyDefinition | undefined {
    const known = context.keys.get(key);
    if (known !== undefined) return known ?? undefined;
    let definition: TermDefinition | undefined = context.terms.get(key);
    if (definition === undefined) {
      const iri = this.expandIri(key, context, true);
      if (isAbsoluteIri(iri) && !iri.startsWith('_:')) definition = { iri, typeId: false };
    }
    const keyDefinition: KeyDefinition | null = definition === undefined ? null : {
      iri: definition.iri,
      typeId: definition.typeId,
      canonical: this.graph.iri(definition.iri),
      textOrIri: definition.typeId && TEXT_OR_IRI.has(this.graph.iri(definition.iri)),
    };
    context.keys.set(key, keyDefinition);
    return keyDefinition ?? undefined;
  }

  /**
   * Expands a compact IRI, a term (with `vocab`) or, against the base (unless `relative` is false), a relative one.
   */
  private expandIri(value: string, context: ActiveContext, vocab: boolean, relative = true): string {
    if (value.startsWith('_:')) return this.graph.blank(value);
    if (vocab) {
      const term = context.terms.get(value);
      if (term !== undefined) return term.iri;
    }
    const colon = value.indexOf(':');
    if (colon > 0) {
      // `scheme://…` is an absolute IRI whatever the prefixes: answered without cutting the string.
      if (value.charCodeAt(colon + 1) === SLASH && value.charCodeAt(colon + 2) === SLASH) return value;
      const prefix = value.slice(0, colon);
      const definition = context.terms.get(prefix);
      if (definition !== undefined) return definition.iri + value.slice(colon + 1);
      if (DFC_PREFIXES.has(prefix)) this.undefinedDfcPrefix ??= value;
      return value;
    }
    if (relative && this.base !== undefined) {
      try {
        return new URL(value, this.base).href;
      } catch {
        return value;
      }
    }
    return value;
  }
}

/**
 * Whether a string where the context expects a link (a country, a phone number, a unit) is text: it is no
 * absolute or compact IRI, and, when there is a base to resolve against, it does not look like a relative reference
 * (`#phone`, `/countries/fr`, `./x`), which a posted document may use for a node it describes. `"EUR"` posted to a
 * collection is a currency, not `<collection>/EUR`.
 *
 * @param value - the string as written
 * @param expanded - the string expanded without the base
 * @param hasBase - whether relative references resolve in this document
 */
function isTextWhereLinkExpected(value: string, expanded: string, hasBase: boolean): boolean {
  return !isAbsoluteIri(expanded) && !(hasBase && /^(?:#|\/|\.\.?\/|\?)/u.test(value));
}

/**
 * Adds a simple context's definitions to a term map, or signals that full processing is needed.
 * Prefixes go first so that a CURIE-named term can be expanded whatever the key order.
 */
function defineAll(terms: Map<string, TermDefinition>, context: SimpleContext | Record<string, unknown>, deadline = Deadline.none()): void {
  const entries = Object.entries(context);
  for (const [key, value] of entries) {
    deadline.check();
    if (key.startsWith('@')) throw new NeedsFullProcessing(`context keyword ${key}`);
    if (typeof value === 'string') {
      if (value.startsWith('@')) throw new NeedsFullProcessing(`keyword alias ${key}`);
      terms.set(key, { iri: expandWith(terms, value), typeId: false });
    }
  }
  // A term written as a compact or absolute IRI must expand to what it defines (JSON-LD 1.1 §4.2.2, "invalid IRI
  // mapping"): `"dfc-b:stockLimitation": {"@id": "…/other"}` would read every stock as something else. jsonld.js
  // refuses such a context, and the document with it.
  for (const [key, value] of entries) {
    deadline.check();
    const colon = key.indexOf(':');
    if (colon <= 0 || colon === key.length - 1) continue;
    const id = typeof value === 'string' ? value : isObject(value) && typeof value['@id'] === 'string' ? value['@id'] : undefined;
    if (id === undefined) continue;
    const written = expandWith(terms, key);
    if (written !== key || key.slice(colon + 1, colon + 3) === '//') {
      if (expandWith(terms, id) !== written) throw new NeedsFullProcessing(`term ${key} mapped to another IRI`);
    }
  }
  for (const [key, value] of entries) {
    deadline.check();
    if (typeof value === 'string') continue;
    if (!isObject(value)) throw new NeedsFullProcessing(`term definition ${key}`);
    const keys = Object.keys(value);
    if (keys.some((k) => k !== '@id' && k !== '@type') || (value['@type'] !== undefined && value['@type'] !== '@id')) {
      throw new NeedsFullProcessing(`term definition ${key}`);
    }
    const id = value['@id'];
    if (id !== undefined && typeof id !== 'string') throw new NeedsFullProcessing(`term definition ${key}`);
    terms.set(key, { iri: expandWith(terms, id ?? key), typeId: value['@type'] === '@id' });
  }
}

function expandWith(terms: ReadonlyMap<string, TermDefinition>, value: string): string {
  const colon = value.indexOf(':');
  if (colon <= 0) return terms.get(value)?.iri ?? value;
  const prefixDefinition = terms.get(value.slice(0, colon));
  const suffix = value.slice(colon + 1);
  return prefixDefinition !== undefined && !suffix.startsWith('//') ? prefixDefinition.iri + suffix : value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads a parsed JSON-LD document into a graph of canonical IRIs.
 *
 * @param document - the parsed JSON
 * @param options - base IRI, deadline
 * @returns the graph and the problems found; a document that cannot be read at all has an empty graph and a
 *   document-level problem (`id: null`)
 * @throws DecodeTimeoutError when the deadline passes
 */
export async function readJsonLd(document: unknown, options: JsonLdReadOptions = {}): Promise<JsonLdReadResult> {
  const deadline = options.deadline ?? Deadline.none();
  // Both walks below (ours, and jsonld.js's expansion) recurse into arrays, objects and nested contexts: the
  // depth is checked first, without recursion, so that no input can overflow the stack.
  if (jsonDepth(document, MAX_JSON_DEPTH, deadline) > MAX_JSON_DEPTH) {
    return documentFailure('too-deep', `the document nests JSON arrays and objects more than ${MAX_JSON_DEPTH} levels deep`, [], 'fast', '');
  }
  const contexts = options.contexts ?? ContextRegistry.NONE;
  const fast = new Walker(options.base, false, deadline, contexts);
  if (options.path !== 'full') {
    try {
      fast.top(document, activeContext(new Map()), '');
      fast.finish();
      return { graph: fast.graph, problems: fast.problems, path: 'fast', contextUrls: fast.contextUrls };
    } catch (error: unknown) {
      if (error instanceof UnknownContextError) return documentFailure('unknown-context', error.message, fast.contextUrls);
      if (error instanceof TooDeepError) return documentFailure('too-deep', error.message, fast.contextUrls);
      if (!(error instanceof NeedsFullProcessing)) throw error;
    }
  }
  const full = new Walker(options.base, true, deadline);
  // jsonld.js tells of a dropped term for every node that has it: bounded as the walk's own problems are.
  const warnings = new ProblemCollector();
  let expanded: unknown;
  // The context the loader refused, kept here: jsonld.js drops the cause of a scoped context's failure (`invalid
  // scoped context`), and the document's author is then told which URL the node does not fetch, not a syntax error.
  let refused: UnknownContextError | undefined;
  const loader = async (url: string): Promise<unknown> => {
    try {
      return await contexts.documentLoader(url);
    } catch (error: unknown) {
      if (error instanceof UnknownContextError) refused ??= error;
      throw error;
    }
  };
  try {
    // No base for jsonld.js: relative references stay relative in its output, and the walk resolves them against the
    // base itself, after telling text where a link is expected (`"EUR"`) from a reference (`"#phone"`). `null`, not
    // absent: jsonld.js's default base `''` would already resolve `../x` to `x`, losing the dot segments.
    expanded = await jsonld.expand(document as jsonld.JsonLdDocument, {
      base: null,
      documentLoader: loader,
      // jsonld.js reports terms it drops through events; we turn them into warnings instead of losing them silently.
      eventHandler: ({ event }: { event: { code: string; message: string; details?: { property?: string } } }) => {
        warnings.push(problem('jsonld-warning', null, null, event.details?.property ?? '', `${event.code}: ${event.message}`, 'warning'));
      },
    } as unknown as jsonld.Options.Expand);
  } catch (error: unknown) {
    if (refused !== undefined) return documentFailure('unknown-context', refused.message, full.contextUrls, 'full');
    return documentFailure(...describeJsonLdError(error), full.contextUrls, 'full');
  }
  // jsonld.js cannot be stopped midway; its work is bounded by the body limit and the depth checked above.
  deadline.check();
  try {
    full.top(expanded, activeContext(new Map()), '');
  } catch (error: unknown) {
    // A construct that even the walk of expanded output does not take: refuse the document clearly.
    if (error instanceof NeedsFullProcessing) return documentFailure('unsupported-jsonld', `unsupported JSON-LD construct: ${error.message}`, fast.contextUrls, 'full');
    if (error instanceof TooDeepError) return documentFailure('too-deep', error.message, fast.contextUrls, 'full');
    throw error;
  }
  full.finish();
  const problems = new ProblemCollector();
  problems.pushAll(full.problems);
  problems.pushAll(warnings.list());
  return { graph: full.graph, problems: problems.list(), path: 'full', contextUrls: fast.contextUrls };
}

/**
 * Reads a document that only uses simple contexts (our own output, for instance) without jsonld.js.
 *
 * @param document - the parsed JSON
 * @throws Error when the document needs full JSON-LD processing or names an unknown context
 */
export function readSimpleJsonLd(document: unknown): JsonLdReadResult {
  const walker = new Walker(undefined, false);
  walker.top(document, activeContext(new Map()), '');
  walker.finish();
  return { graph: walker.graph, problems: walker.problems, path: 'fast', contextUrls: walker.contextUrls };
}

function documentFailure(
  code: ProblemCode, message: string, contextUrls: string[], path: 'fast' | 'full' = 'fast', where = '@context',
): JsonLdReadResult {
  return { graph: new Graph(), problems: [problem(code, null, null, where, message)], path, contextUrls };
}

function describeJsonLdError(error: unknown): [ProblemCode, string] {
  // jsonld.js wraps loader failures: dig out our own message so the operator sees the real reason.
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    if (current instanceof UnknownContextError) return ['unknown-context', current.message];
    const details = (current as { details?: { cause?: unknown } }).details;
    current = details?.cause ?? (current as { cause?: unknown }).cause;
  }
  const message = error instanceof Error ? error.message : String(error);
  return ['invalid-jsonld', `invalid JSON-LD: ${message}`];
}
