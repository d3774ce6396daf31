/**
 * Records straight to Turtle, N-Triples and N-Quads, without the JSON-LD document, graph and quad objects in
 * between.
 *
 * The node used to encode records as compacted JSON-LD ({@link ./encode.ts}), read that back into a graph and
 * hand N3.js one quad object per statement: about 0.4 s for a 5,000-offer catalogue, most of it building and
 * dropping objects. This writer walks the records once and renders every term to text as it goes. It writes the
 * same RDF graph as that path did, statement for statement and in the same order, because a reader of our
 * Turtle and a reader of our JSON-LD must see the same data: every quirk of the round trip that changes the
 * graph (a link peers send as text, a DFC 2.0 namespace, a compact IRI in a kept value, a blank node label) is
 * reproduced here on purpose, and `test/unit/codec/write-rdf.test.ts` compares both paths, graph for graph.
 *
 * Where the old path let a malformed IRI or language tag through to the text (a subject, a datatype or a
 * language tag from a peer, which N3.js writes as given), the statement is left out instead, as the old path
 * already did for links, types and predicates: no value can break out of its term.
 *
 * @packageDocumentation
 */
import { CONTAINER_CONTEXT, CONTEXT_1_16, CONTEXT_2_0, type SimpleContext } from '../../ontology/contexts.js';
import { isAbsoluteIri } from '../../ontology/iri.js';
import { canonicalDfcIri, dfcIriIn, NS, type DfcGeneration } from '../../ontology/namespaces.js';
import { LANGUAGE_TAG, type DfcRecord, type Extra, type ExtraValue, type Price, type Quantity, type RecordKind, type ResourceRecord } from '../../ontology/records.js';
import { wireSpelling } from '../../ontology/spellings.js';
import { DFC_B, LDP } from '../../ontology/vocabulary.js';
import { compactIri, dfcPrefixes, type PrefixTable } from './compact.js';
import { typedExtraValue, type EncodeOptions } from './encode.js';
import { numberLiteral } from './rdf.js';
import { containerMembers, writtenStock } from './values.js';

/** RDF formats the writer produces. */
export type RdfFormat = 'turtle' | 'ntriples' | 'nquads';

const RDF_TYPE = `${NS.rdf}type`;
const XSD_STRING = `${NS.xsd}string`;
const XSD_BOOLEAN = `${NS.xsd}boolean`;
const XSD_INTEGER = `${NS.xsd}integer`;
const XSD_DECIMAL = `${NS.xsd}decimal`;
const XSD_DOUBLE = `${NS.xsd}double`;

/** What `encode.ts` writes as a link when it looks like an IRI (an order status, a country). */
const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:/u;
const CONTAINER_TYPES = new Set<string>([LDP.Container, LDP.BasicContainer]);
/** Properties whose values peers send as text or as a link: the JSON-LD reader reads a non-IRI there as text. */
const TEXT_OR_IRI = new Set<string>([DFC_B.hasCountry, DFC_B.country, DFC_B.hasPhoneNumber, DFC_B.hasUnit]);
/** The language tags Turtle and N-Triples can write (`LANGTAG`), lower case as the reader leaves them. */

// An IRI that passed `isAbsoluteIri` and needs no escape: checked in one test, the common case. The slow path
// below escapes what N3.js escaped (DEL and U+FFFE/U+FFFF in N-Triples, characters beyond the BMP in Turtle).
// Code units, not code points (no `u` flag), as N3.js tests them: a surrogate pair is two characters here.
const PLAIN_IRI_LINE = /^[A-Za-z][A-Za-z0-9+.-]*:[!#-;=?-Z[\]_a-z~\u0080-\uFFFD]*$/;
const PLAIN_IRI_TURTLE = /^[A-Za-z][A-Za-z0-9+.-]*:[!#-;=?-Z[\]_a-z~\u007F-\uD7FF\uDC00-\uFFFF]*$/;
// String escapes, as N3.js writes them: canonical N-Triples (RDF 1.1 §canonical-ntriples) in line formats, and in
// Turtle the short escapes plus `\U` for characters beyond the BMP. A lone surrogate is written as it is in both,
// as before (it cannot be escaped in either grammar; UTF-8 output turns it into U+FFFD).
const LINE_ESCAPE = /[^ !#-[\]-~\u0080-\uFFFD]/;
const LINE_ESCAPE_ALL = /[^ !#-[\]-~\u0080-\uFFFD]/g;
// eslint-disable-next-line no-control-regex -- control characters are what is escaped
const TURTLE_ESCAPE = /["\\\t\n\r\b\f\u0000-\u0019\uD800-\uDBFF]/;
// eslint-disable-next-line no-control-regex -- control characters are what is escaped
const TURTLE_ESCAPE_ALL = /["\\\t\n\r\b\f\u0000-\u0019]|[\uD800-\uDBFF][\uDC00-\uDFFF]/g;
const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\', '"': '\\"', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\b': '\\b', '\f': '\\f',
};
/** Turtle's local names as N3.js abbreviates them: anything else is written as a full IRI. */
const LOCAL_NAME = /^[_a-zA-Z0-9](?:\.?[-_a-zA-Z0-9])*$/u;
const TURTLE_INTEGER = /^[+-]?\d+$/u;
const TURTLE_DECIMAL = /^[+-]?\d*\.\d+$/u;
const TURTLE_DOUBLE = /^[+-]?(?:\d+\.\d*|\.?\d+)[eE][+-]?\d+$/u;

function lineReplacer(character: string): string {
  return SHORT_ESCAPES[character] ?? `\\u${character.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

function turtleReplacer(character: string): string {
  const short = SHORT_ESCAPES[character];
  if (short !== undefined) return short;
  if (character.length === 1) return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
  const code = (character.charCodeAt(0) - 0xd800) * 0x400 + character.charCodeAt(1) + 0x2400;
  return `\\U${code.toString(16).padStart(8, '0')}`;
}

/**
 * `<iri>`, as one flat string. Concatenation would make a rope (`<` + IRI + `>`) that every line written with this
 * IRI walks again when the output is joined; an IRI is rendered once and written several times.
 */
function bracketed(iri: string): string {
  return ['<', iri, '>'].join('');
}

/**
 * Empties a list and keeps its storage: `length = 0` gives the storage back, and the next record's pushes allocate it
 * again (measured: a third of what reusing subjects saves).
 */
function clear(list: unknown[]): void {
  while (list.length > 0) list.pop();
}

/**
 * A flat copy of a string that may be a rope. `[s].join('')` would answer `s` itself, rope and all: the copy is
 * joined from two pieces.
 */
function flatCopy(value: string): string {
  return value.length < 2 ? value : [value.slice(0, 1), value.slice(1)].join('');
}

/** Pieces joined into one flat string (not a rope), for text written again and again (see {@link bracketed}). */
function flat(...pieces: string[]): string {
  return pieces.join('');
}

/** How many distinct numbers one document's writer keeps rendered: past them, a number is rendered each time. */
const MAX_NUMBERS = 4096;

/** Renders RDF terms as text in one syntax: every term is a string from here on. */
class Terms {
  private readonly line: boolean;
  private readonly prefixes: PrefixTable;
  private readonly iris = new Map<string, string | undefined>();
  /** Numbers written without a datatype, rendered (see {@link number}); at most {@link MAX_NUMBERS}. */
  private readonly numbers = new Map<number, string | undefined>();

  /** `^^<xsd:integer>` as the line formats write it. */
  private readonly integerSuffix: string;

  public constructor(public readonly format: RdfFormat, generation: DfcGeneration) {
    this.line = format !== 'turtle';
    this.prefixes = this.line ? [] : turtlePrefixes(generation);
    this.integerSuffix = `^^<${XSD_INTEGER}>`;
  }

  /** An IRI, or undefined when it is no absolute IRI that the syntax can hold. */
  public iri(value: string): string | undefined {
    if ((this.line ? PLAIN_IRI_LINE : PLAIN_IRI_TURTLE).test(value)) return this.line ? bracketed(value) : this.turtleIri(value);
    if (!isAbsoluteIri(value)) return undefined;
    return this.line ? bracketed(value.replace(LINE_ESCAPE_ALL, lineReplacer)) : this.turtleIri(value.replace(TURTLE_ESCAPE_ALL, turtleReplacer));
  }

  /** An IRI asked for again and again (predicates, types, units): rendered once. */
  public knownIri(value: string): string | undefined {
    if (this.iris.has(value)) return this.iris.get(value);
    const rendered = this.iri(value);
    this.iris.set(value, rendered);
    return rendered;
  }

  private turtleIri(escaped: string): string {
    for (const [prefix, namespace] of this.prefixes) {
      if (escaped.startsWith(namespace) && LOCAL_NAME.test(escaped.slice(namespace.length))) return [prefix, ':', escaped.slice(namespace.length)].join('');
    }
    return bracketed(escaped);
  }

  public string(value: string): string {
    return `"${this.escape(value)}"`;
  }

  /** A language-tagged string; for a tag the syntax cannot hold, the text alone (the tag is no language). */
  public language(value: string, tag: string): string {
    return LANGUAGE_TAG.test(tag) ? `"${this.escape(value)}"@${tag}` : this.string(value);
  }

  /** A typed literal; undefined when the datatype is no IRI. */
  public typed(lexical: string, datatype: string): string | undefined {
    if (datatype === XSD_STRING) return this.string(lexical);
    if (!this.line) {
      if (datatype === XSD_BOOLEAN ? lexical === 'true' || lexical === 'false'
        : datatype === XSD_INTEGER ? TURTLE_INTEGER.test(lexical)
          : datatype === XSD_DECIMAL ? TURTLE_DECIMAL.test(lexical)
            : datatype === XSD_DOUBLE && TURTLE_DOUBLE.test(lexical)) return lexical;
    }
    const type = this.knownIri(datatype);
    return type === undefined ? undefined : `"${this.escape(lexical)}"^^${type}`;
  }

  public number(value: number, datatype?: string): string | undefined {
    if (datatype !== undefined) return this.numberTerm(value, datatype);
    // A catalogue writes few distinct numbers (stocks, prices, pack sizes) many times each: each is rendered once per
    // document, as one flat string (a line holding it joins one piece for it, not four). `Map` keys 0 and -0 as one,
    // and both are written `0`.
    let term = this.numbers.get(value);
    if (term === undefined && !this.numbers.has(value)) {
      const rendered = this.numberTerm(value, undefined);
      term = rendered === undefined ? undefined : flatCopy(rendered);
      if (this.numbers.size < MAX_NUMBERS) this.numbers.set(value, term);
    }
    return term;
  }

  private numberTerm(value: number, datatype: string | undefined): string | undefined {
    // The common case, an integer with no datatype given (a stock, a quantity): digits, nothing to escape or check.
    if (datatype === undefined && Number.isInteger(value) && Math.abs(value) < 1e21) {
      const digits = value.toFixed(0);
      return this.line ? `"${digits}"${this.integerSuffix}` : digits;
    }
    const { lexical, datatype: type } = numberLiteral(value, datatype);
    return this.typed(lexical, type);
  }

  private escape(value: string): string {
    if (this.line) return LINE_ESCAPE.test(value) ? value.replace(LINE_ESCAPE_ALL, lineReplacer) : value;
    return TURTLE_ESCAPE.test(value) ? value.replace(TURTLE_ESCAPE_ALL, turtleReplacer) : value;
  }
}

/** The prefixes Turtle output declares, in the order it declares them. */
function turtlePrefixes(generation: DfcGeneration): PrefixTable {
  return [...dfcPrefixes(generation), ['xsd', NS.xsd]];
}

/** One subject and its statements, grouped by predicate in the order they were first written. */
interface Subject {
  /** Mutable only so that a streaming writer can reuse the object for the next record's subject. */
  term: string;
  readonly types: string[];
  readonly predicates: string[];
  /** The objects of each predicate: one, or a list of several (most predicates have one: no list for them). */
  readonly objects: (string | string[])[];
}

/** A predicate as the JSON-LD round trip reads it back, and how its compacted key is typed in the context. */
interface Predicate {
  /** The rendered predicate; undefined when the round trip drops it. */
  readonly term: string | undefined;
  /** The canonical predicate IRI (what `TEXT_OR_IRI` and the spelling table know). */
  readonly canonical: string;
  /** Whether the context types its key `@id`: a bare string there is read as a link. */
  readonly idTyped: boolean;
  /** Whether the property is one of {@link TEXT_OR_IRI}, asked for every link. */
  readonly textOrIri: boolean;
}

/** A node's IRI rendered as a subject and as the object of a link; undefined where the reader drops it. */
interface NodeTerms {
  /** The subject's IRI before it is rendered: two ids are one subject when they have one key. */
  readonly key: string;
  readonly subject: string | undefined;
  readonly link: string | undefined;
  /**
   * The writer ({@link StatementWriter.serial}) that wrote a record with this very id as its key, when records are
   * written as they come: kept here rather than in a set, the record's id being looked up here anyway (see
   * {@link StatementWriter.claim}). A serial rather than a flag: the terms outlive the document (see {@link NODE_TERMS}).
   */
  writtenBy: number;
}

/**
 * Node terms already rendered, by syntax (Turtle or the line formats), generation and prefix table, then by the id
 * records give: shared by the documents written, as a node's IRI renders the same in each of them.
 *
 * Rendered per document, the 15,000 IRIs of a 5,000-offer catalogue were made again for every GET: their map, their
 * terms and their strings lived as long as the document, so every young-generation collection during the write copied
 * them and then promoted them, to be freed only by a full collection (profile of the bench: a third of the N-Quads
 * writer's time was that map, its growth into fresh pages, and the collector). Kept, they are made once and sit in the
 * old generation. What is kept is bounded: a table past {@link MAX_NODE_TERMS} ids or {@link MAX_NODE_TERM_CHARACTERS}
 * characters is dropped once its document is written (a larger document renders its IRIs for itself, as before); the
 * ids kept are flat copies, never a slice that would keep a request's text alive.
 */
const NODE_TERMS = new Map<string, NodeTermsTable>();
/** The most ids one table of {@link NODE_TERMS} keeps between documents (a 5,000-offer catalogue has 15,000). */
const MAX_NODE_TERMS = 65_536;
/** The most characters (ids and terms) one table of {@link NODE_TERMS} keeps between documents (that catalogue: 2 million). */
const MAX_NODE_TERM_CHARACTERS = 4 * 1024 * 1024;
/** The last {@link StatementWriter.serial} given. */
let lastWriter = 0;

/** One table of {@link NODE_TERMS}, and the characters it holds. */
interface NodeTermsTable {
  readonly terms: Map<string, NodeTerms>;
  characters: number;
}

/** The table of node terms for one rendering of IRIs. */
function nodeTermsTable(rendering: string): NodeTermsTable {
  let table = NODE_TERMS.get(rendering);
  if (table === undefined) {
    table = { terms: new Map(), characters: 0 };
    NODE_TERMS.set(rendering, table);
  }
  return table;
}

/** Drops the tables of {@link NODE_TERMS} grown past their bounds: called once a document is written. */
function boundNodeTerms(): void {
  for (const [rendering, table] of NODE_TERMS) {
    if (table.terms.size > MAX_NODE_TERMS || table.characters > MAX_NODE_TERM_CHARACTERS) NODE_TERMS.delete(rendering);
  }
}

/**
 * How many ids have their terms kept between documents, in every table: for tests of the bounds.
 *
 * @internal
 */
export function keptNodeTerms(): number {
  let kept = 0;
  for (const table of NODE_TERMS.values()) kept += table.terms.size;
  return kept;
}

/** The type each record kind is written with, per generation (an Enterprise is an Organization in 2.0). */
const MAIN_TYPE: Readonly<Record<Exclude<RecordKind, 'Resource'>, Readonly<Record<'1.x' | '2.0', string>>>> = (() => {
  const same = (type: string) => ({ '1.x': type, '2.0': type });
  return {
    Enterprise: { '1.x': DFC_B.Enterprise, '2.0': DFC_B.Organization }, Address: same(DFC_B.Address), Person: same(DFC_B.Person),
    SuppliedProduct: same(DFC_B.SuppliedProduct), CatalogItem: same(DFC_B.CatalogItem), Offer: same(DFC_B.Offer),
    Catalog: same(DFC_B.Catalog), CustomerCategory: same(DFC_B.CustomerCategory), SaleSession: same(DFC_B.SaleSession),
    Order: same(DFC_B.Order), OrderLine: same(DFC_B.OrderLine),
  };
})();

const GENERATION_CONTEXTS: Readonly<Record<'1.x' | '2.0', SimpleContext>> = { '1.x': CONTEXT_1_16, '2.0': CONTEXT_2_0 };

/**
 * Walks records in the order and the shape `encodeJsonLd` writes them, and gathers the statements the JSON-LD
 * reader would read back from that document.
 */
class StatementWriter {
  private subjects: Subject[] = [];
  /** How many of {@link subjects} the current record uses, when records are not merged (the rest are spare). */
  private live = 0;
  /** Every subject by its term, when subjects may repeat and must be merged. */
  private readonly bySubject = new Map<string, Subject>();
  /**
   * The subjects written, when records are written as they come (`merging` false), by their IRI before it is
   * rendered (or their blank node label), one to one with the rendered term: those of the container, of blank nodes
   * and of records whose id is not their key. The others, nearly all, are flagged on their {@link NodeTerms}.
   */
  private readonly written = new Set<string>();
  private readonly blankLabels = new Map<string, string>();
  private blankCounter = 0;
  private readonly context: SimpleContext;
  /** The prefixes the JSON-LD output declares: a compact IRI in a record is read back expanded with them. */
  private readonly prefixTable: PrefixTable;
  private readonly prefixOf: ReadonlyMap<string, string>;
  private readonly predicates = new Map<string, Predicate>();
  private readonly types = new Map<string, string | undefined>();
  /** Rendered node IRIs by the id records give (see {@link nodeTerms}), shared with the other documents ({@link NODE_TERMS}). */
  private readonly nodeIris: Map<string, NodeTerms>;
  /** The table {@link nodeIris} is part of, which counts its characters. */
  private readonly nodeTable: NodeTermsTable;
  /** This writer's number, unique in the process: what {@link NodeTerms.writtenBy} says when it wrote a subject. */
  private readonly serial = ++lastWriter;
  private kind: RecordKind | undefined;
  /** How many statements the subjects hold. */
  public count = 0;
  /** See {@link EncodeOptions.unstatedStock}. */
  public unstatedStock: ReadonlySet<string> | undefined;

  public constructor(
    private readonly terms: Terms,
    private readonly generation: '1.x' | '2.0',
    enveloped: boolean,
    private readonly blankPrefix = '',
    private readonly merging = true,
  ) {
    const dfc = GENERATION_CONTEXTS[generation];
    this.context = enveloped ? { ...dfc, ...CONTAINER_CONTEXT } : dfc;
    const table = [...dfcPrefixes(generation), ...(enveloped ? [['ldp', NS.ldp] as const, ['hydra', NS.hydra] as const] : [])];
    this.prefixTable = table.sort((a, b) => b[1].length - a[1].length);
    this.prefixOf = new Map(table.map(([p, ns]) => [p, ns]));
    // What a node's terms depend on: the syntax (Turtle abbreviates with its prefixes), the generation (its namespaces
    // and prefixes) and whether the envelope's prefixes expand compact IRIs.
    this.nodeTable = nodeTermsTable(`${terms.format === 'turtle' ? 'turtle' : 'line'} ${generation} ${enveloped ? 'enveloped' : 'bare'}`);
    this.nodeIris = this.nodeTable.terms;
  }

  // ── IRIs as the round trip reads them ────────────────────────────────────────────────────────────────

  /** A compact IRI the JSON-LD reader would expand (`dfc-b:x` in a record): expanded, as that reader does. */
  private expand(value: string): string {
    const colon = value.indexOf(':');
    if (colon <= 0 || value.startsWith('http')) return value;
    const namespace = this.prefixOf.get(value.slice(0, colon));
    const suffix = value.slice(colon + 1);
    return namespace !== undefined && !suffix.startsWith('//') ? namespace + suffix : value;
  }

  /** The label of a blank node of the document, fresh or mapped from the record's own label. */
  private blank(label?: string): string {
    if (label === undefined) return `_:${this.blankPrefix}b${this.blankCounter++}`;
    let mapped = this.blankLabels.get(label);
    if (mapped === undefined) {
      mapped = `_:${this.blankPrefix}b${this.blankCounter++}`;
      this.blankLabels.set(label, mapped);
    }
    return mapped;
  }

  /**
   * A record's IRI as a subject and as a link, rendered once (see {@link NODE_TERMS}): an IRI is written as the
   * subject of its record and again wherever another record links to it (an item's product, every record's enterprise).
   */
  private nodeTerms(given: string): NodeTerms {
    let terms = this.nodeIris.get(given);
    if (terms === undefined) {
      // Kept beyond this document: a copy of the id, which may be a slice of a request's text (see NODE_TERMS).
      const id = flatCopy(given);
      const expanded = this.expand(dfcIriIn(id, this.generation));
      const key = dfcIriIn(expanded, this.generation);
      const subject = this.terms.iri(key);
      const canonical = canonicalDfcIri(expanded);
      // Canonicalising keeps an IRI valid or invalid: `Terms.iri` checks the result once.
      terms = {
        key, subject, link: canonical === expanded ? subject : this.terms.iri(dfcIriIn(canonical, this.generation)), writtenBy: 0,
      };
      this.nodeIris.set(id, terms);
      this.nodeTable.characters += id.length + (key === id ? 0 : key.length) + (subject?.length ?? 0) + (terms.link === subject ? 0 : terms.link?.length ?? 0);
    }
    return terms;
  }

  /** A link as read back: canonical, then in this generation's namespaces. Undefined for what the reader drops. */
  private refIri(id: string): string | undefined {
    return this.nodeTerms(id).link;
  }

  private predicate(iri: string): Predicate {
    let predicate = this.predicates.get(iri);
    if (predicate === undefined) {
      const key = compactIri(dfcIriIn(iri, this.generation), this.prefixTable);
      const expanded = this.expand(key);
      const canonical = canonicalDfcIri(expanded);
      const output = dfcIriIn(canonical, this.generation);
      // Turtle writes rdf:type as `a` wherever it is the predicate, as N3.js did.
      const term = !isAbsoluteIri(expanded) ? undefined : output === RDF_TYPE && this.terms.format === 'turtle' ? 'a' : this.terms.knownIri(output);
      predicate = { term, canonical, idTyped: typeof this.context[key] === 'object', textOrIri: TEXT_OR_IRI.has(canonical) };
      this.predicates.set(iri, predicate);
    }
    return predicate;
  }

  private typeIri(type: string): string | undefined {
    if (this.types.has(type)) return this.types.get(type);
    const expanded = this.expand(dfcIriIn(type, this.generation));
    const term = isAbsoluteIri(expanded) ? this.terms.knownIri(dfcIriIn(canonicalDfcIri(expanded), this.generation)) : undefined;
    this.types.set(type, term);
    return term;
  }

  private datatype(type: string): string {
    return this.expand(dfcIriIn(type, this.generation));
  }

  // ── statements ───────────────────────────────────────────────────────────────────────────────────────

  /** The subject with this term, created (or found again: two records with one id are one node). */
  private subject(term: string): Subject {
    if (!this.merging) {
      // Written as soon as the record is walked and dropped: the subjects of the last record are reused (a catalogue
      // has tens of thousands of subjects, and their objects and lists were most of the walk's garbage).
      let subject = this.subjects[this.live];
      if (subject === undefined) {
        subject = { term, types: [], predicates: [], objects: [] };
        this.subjects.push(subject);
      } else {
        subject.term = term;
        clear(subject.types);
        clear(subject.predicates);
        clear(subject.objects);
      }
      this.live++;
      return subject;
    }
    let subject = this.bySubject.get(term);
    if (subject === undefined) {
      subject = { term, types: [], predicates: [], objects: [] };
      this.bySubject.set(term, subject);
      this.subjects.push(subject);
    }
    return subject;
  }

  private addType(subject: Subject, type: string): void {
    const term = this.typeIri(type);
    // Types repeated are looked for among a few only: a record stored with thousands (read before types were
    // capped, `MAX_TYPES_PER_NODE`) is written in linear time, a repeat beyond them written twice (RDF is a set).
    if (term === undefined || (subject.types.length < TYPES_SCANNED && subject.types.includes(term))) return;
    subject.types.push(term);
    this.count++;
  }

  /** Adds a statement; one already there is not added twice (RDF is a set). */
  private add(subject: Subject, predicate: string, object: string | undefined): void {
    if (object === undefined) return;
    const { predicates, objects } = subject;
    // Nearly always the predicate written last, or a new one.
    let i = predicates.length - 1;
    if (i < 0 || predicates[i] !== predicate) i = predicates.lastIndexOf(predicate);
    if (i < 0) {
      predicates.push(predicate);
      objects.push(object);
      this.count++;
      return;
    }
    const values = objects[i] as string | string[];
    if (typeof values === 'string') {
      if (values === object) return;
      objects[i] = [values, object];
      this.count++;
      return;
    }
    if (values.length < 16 ? values.includes(object) : this.has(values, object)) return;
    values.push(object);
    this.count++;
  }

  private readonly valueSets = new WeakMap<string[], Set<string>>();

  /** Whether a long list of values holds `object`; the list's set is kept and grown as values are added. */
  private has(values: string[], object: string): boolean {
    let set = this.valueSets.get(values);
    if (set === undefined) {
      set = new Set(values);
      this.valueSets.set(values, set);
    } else if (set.size < values.length) {
      for (let i = set.size; i < values.length; i++) set.add(values[i] as string);
    }
    if (set.has(object)) return true;
    set.add(object);
    return false;
  }

  /** The keys (predicates) a property is written under: its term and, for the record's kind, its wire spelling. */
  private keys(iri: string): readonly Predicate[] {
    const byIri = this.kindKeys;
    let keys = byIri.get(iri);
    if (keys === undefined) {
      const wire = this.kind === undefined ? undefined : wireSpelling(this.kind, iri);
      keys = wire === undefined ? [this.predicate(iri)] : [this.predicate(iri), this.predicate(wire)];
      byIri.set(iri, keys);
    }
    return keys;
  }

  /** {@link keys} by record kind and property: asked for every property of every record. */
  private readonly keysByKind = new Map<RecordKind | undefined, Map<string, readonly Predicate[]>>([[undefined, new Map()]]);
  /** {@link keysByKind} of the kind being written ({@link kind}), found once a record rather than once a property. */
  private kindKeys = this.keysByKind.get(undefined) as Map<string, readonly Predicate[]>;

  /** A literal as `NodeWriter.literal` writes it (text in a language with its tag). */
  private literal(subject: Subject, iri: string, value: string | number | boolean | undefined, language?: string): void {
    if (value === undefined) return;
    const object = language !== undefined && typeof value === 'string' ? this.terms.language(value, language) : this.jsonValue(value);
    for (const key of this.keys(iri)) if (key.term !== undefined) this.add(subject, key.term, object);
  }

  /** A JSON string, number or boolean read as a literal. */
  private jsonValue(value: string | number | boolean): string | undefined {
    if (typeof value === 'string') return this.terms.string(value);
    if (typeof value === 'number') return this.terms.number(value);
    return this.terms.typed(String(value), XSD_BOOLEAN);
  }

  /**
   * Links as `NodeWriter.link` writes them: a bare string under an `@id`-typed key, `{"@id"}` elsewhere; `wire` under
   * the reader spelling instead, when given (see `NodeWriter.link`).
   */
  private link(subject: Subject, iri: string, given: string | readonly string[] | undefined, wire?: string): void {
    if (given === undefined && wire === undefined) return;
    const keys = this.keys(iri);
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k] as Predicate;
      const ids = k === 1 && wire !== undefined ? wire : given;
      if (ids === undefined || (typeof ids !== 'string' && ids.length === 0)) continue;
      if (key.term === undefined) continue;
      if (typeof ids === 'string') this.add(subject, key.term, this.linkObject(key, ids, key.idTyped));
      else for (const id of ids) this.add(subject, key.term, this.linkObject(key, id, key.idTyped));
    }
  }

  /**
   * The object of a link. Under an `@id`-typed key of a text-or-link property (a country, a unit), what is no
   * IRI is read back as the text written (`"EUR"`), as peers mean it; elsewhere it is dropped.
   */
  private linkObject(key: Predicate, id: string, bare: boolean): string | undefined {
    if (bare && key.textOrIri) {
      if (id.startsWith('_:')) {
        // The reader maps the label (a number is spent) and then reads the text: kept as the old path did.
        this.blank(id);
        return this.terms.string(id);
      }
      const ref = this.refIri(id);
      return ref ?? this.terms.string(compactIri(dfcIriIn(id, this.generation), this.prefixTable));
    }
    return id.startsWith('_:') ? this.blank(id) : this.refIri(id);
  }

  /** A bare string under a key: a link where the context types the key `@id`, text elsewhere. */
  private bare(subject: Subject, key: Predicate, value: string): void {
    if (key.term === undefined) return;
    this.add(subject, key.term, key.idTyped ? this.linkObject(key, value, true) : this.terms.string(value));
  }

  private iriOrText(subject: Subject, iri: string, value: string | undefined): void {
    if (value === undefined) return;
    if (ABSOLUTE.test(value)) this.link(subject, iri, value);
    else this.literal(subject, iri, value);
  }

  /**
   * A node written inline (a price, a pack size): a fresh blank node, whose statements come after its parent's
   * (`close` links them once it is filled, as the reader links a node object after reading it).
   */
  private open(type: string): Subject {
    const node = this.subject(this.blank());
    this.addType(node, type);
    return node;
  }

  private close(subject: Subject, iri: string, node: Subject): void {
    const key = this.predicate(iri);
    if (key.term !== undefined) this.add(subject, key.term, node.term);
  }

  /**
   * A link `encode.ts` writes as a bare string, its compact form, whatever the context says of the key (a unit).
   * Compacting and expanding again is no change but for text: only that case compacts.
   */
  private unit(subject: Subject, key: Predicate, iri: string): void {
    if (key.term === undefined) return;
    this.add(subject, key.term, key.idTyped ? this.linkObject(key, iri, true)
      : this.terms.string(iri.startsWith('_:') ? iri : compactIri(dfcIriIn(iri, this.generation), this.prefixTable)));
  }

  private price(subject: Subject, price: Price): void {
    const node = this.open(DFC_B.Price);
    const value = this.predicate(DFC_B.value);
    if (value.term !== undefined) this.add(node, value.term, this.terms.number(price.value));
    this.unit(node, this.predicate(DFC_B.hasUnit), price.currency);
    const vat = this.predicate(DFC_B.VATrate);
    if (price.vatRate !== undefined && vat.term !== undefined) this.add(node, vat.term, this.terms.number(price.vatRate));
    this.extra(node, price.extra);
    this.close(subject, DFC_B.hasPrice, node);
  }

  private quantity(subject: Subject, quantity: Quantity): void {
    const node = this.open(DFC_B.QuantitativeValue);
    this.unit(node, this.predicate(DFC_B.hasUnit), quantity.unit);
    const value = this.predicate(DFC_B.value);
    if (value.term !== undefined) this.add(node, value.term, this.terms.number(quantity.value));
    this.extra(node, quantity.extra);
    this.close(subject, DFC_B.hasQuantity, node);
  }

  // ── records ──────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Writes the subjects made since the last call into `sink`, in the order the reader would have made them. When
   * records are not merged, those subjects are reused by the next record: nothing may keep them.
   */
  public drain(sink: Sink): void {
    if (this.merging) {
      sink.write(this.subjects, this.subjects.length);
      this.subjects = [];
      return;
    }
    sink.write(this.subjects, this.live);
    this.live = 0;
  }

  /**
   * Writes one record, as `encode.ts` `writeRecord` does.
   *
   * @returns false, having written nothing, when records are not merged and this record's subject was written
   *   already: the caller starts again, merging
   */
  public record(record: DfcRecord): boolean {
    let term: string | undefined;
    let key: string;
    let owner: NodeTerms | undefined;
    if (record.id.startsWith('_:')) {
      term = key = this.blank(record.id);
    } else {
      const node = this.nodeTerms(record.id);
      term = node.subject;
      key = node.key;
      if (key === record.id) owner = node;
    }
    // A subject that is no IRI cannot be written without breaking the document: its statements are left out.
    if (term === undefined) return true;
    if (!this.merging && !this.claim(key, owner)) return false;
    const s = this.subject(term);
    if (this.kind !== record.kind) {
      this.kind = record.kind;
      let byIri = this.keysByKind.get(record.kind);
      if (byIri === undefined) {
        byIri = new Map();
        this.keysByKind.set(record.kind, byIri);
      }
      this.kindKeys = byIri;
    }
    if (record.kind !== 'Resource') {
      this.addType(s, MAIN_TYPE[record.kind][this.generation]);
      if (record.extraTypes !== undefined) for (const t of record.extraTypes) this.addType(s, t);
    }
    switch (record.kind) {
      case 'Enterprise':
        this.literal(s, DFC_B.name, record.name, record.languages?.['name']);
        this.literal(s, DFC_B.description, record.description, record.languages?.['description']);
        this.literal(s, DFC_B.VATnumber, record.vatNumber, record.languages?.['vatNumber']);
        this.literal(s, DFC_B.email, record.email, record.languages?.['email']);
        if (record.phone !== undefined) {
          const phone = this.open(DFC_B.PhoneNumber);
          this.bare(phone, this.predicate(DFC_B.phoneNumber), record.phone);
          this.close(s, DFC_B.hasPhoneNumber, phone);
        }
        this.literal(s, DFC_B.websitePage, record.website, record.languages?.['website']);
        this.literal(s, DFC_B.logo, record.logo, record.languages?.['logo']);
        this.link(s, DFC_B.hasAddress, record.address);
        this.link(s, DFC_B.hasMainContact, record.mainContact);
        this.link(s, DFC_B.supplies, record.supplies);
        this.link(s, DFC_B.manages, record.manages);
        this.link(s, DFC_B.maintains, record.maintains);
        this.link(s, DFC_B.defines, record.customerCategories);
        this.link(s, DFC_B.affiliates, record.affiliates);
        break;
      case 'Address':
        this.literal(s, DFC_B.street, record.street, record.languages?.['street']);
        this.literal(s, DFC_B.postcode, record.postcode, record.languages?.['postcode']);
        this.literal(s, DFC_B.city, record.city, record.languages?.['city']);
        this.literal(s, DFC_B.region, record.region, record.languages?.['region']);
        if (record.country !== undefined && ABSOLUTE.test(record.country)) this.link(s, DFC_B.hasCountry, record.country);
        else this.literal(s, DFC_B.country, record.country, record.languages?.['country']);
        this.literal(s, DFC_B.latitude, record.latitude);
        this.literal(s, DFC_B.longitude, record.longitude);
        break;
      case 'Person':
        this.literal(s, DFC_B.firstName, record.firstName, record.languages?.['firstName']);
        this.literal(s, DFC_B.familyName, record.familyName, record.languages?.['familyName']);
        this.link(s, DFC_B.hasAddress, record.address);
        this.link(s, DFC_B.affiliates, record.affiliates);
        break;
      case 'SuppliedProduct':
        this.literal(s, DFC_B.name, record.name, record.languages?.['name']);
        this.literal(s, DFC_B.description, record.description, record.languages?.['description']);
        this.link(s, DFC_B.hasType, record.productType);
        if (record.quantity !== undefined) this.quantity(s, record.quantity);
        this.literal(s, DFC_B.totalTheoriticalStock, record.totalTheoreticalStock);
        if (record.images.length > 0) for (const key of this.keys(DFC_B.Image)) for (const image of record.images) this.bare(s, key, image);
        this.link(s, DFC_B.suppliedBy, record.suppliedBy);
        this.link(s, DFC_B.hasVariant, record.variants);
        this.link(s, DFC_B.isVariantOf, record.variantOf);
        this.link(s, DFC_B.referencedBy, record.catalogItems);
        break;
      case 'CatalogItem':
        this.link(s, DFC_B.references, record.product);
        this.literal(s, DFC_B.sku, record.sku, record.languages?.['sku']);
        if (this.unstatedStock?.has(record.id) !== true) this.literal(s, DFC_B.stockLimitation, writtenStock(record));
        this.link(s, DFC_B.offeredThrough, record.offers);
        this.link(s, DFC_B.managedBy, record.managedBy);
        this.link(s, DFC_B.listedIn, record.listedIn);
        break;
      case 'Offer':
        if (record.price !== undefined) this.price(s, record.price);
        if (this.unstatedStock?.has(record.id) !== true) this.literal(s, DFC_B.stockLimitation, writtenStock(record));
        this.link(s, DFC_B.offers, record.item, record.offeredItem);
        this.link(s, DFC_B.offersTo, record.customerCategory);
        break;
      case 'Catalog':
        this.literal(s, DFC_B.name, record.name, record.languages?.['name']);
        this.link(s, DFC_B.maintainedBy, record.maintainedBy);
        this.link(s, DFC_B.lists, record.items);
        break;
      case 'CustomerCategory':
        this.literal(s, DFC_B.name, record.name, record.languages?.['name']);
        this.literal(s, DFC_B.description, record.description, record.languages?.['description']);
        this.link(s, DFC_B.definedBy, record.definedBy);
        break;
      case 'SaleSession':
        this.literal(s, DFC_B.startDate, record.beginDate);
        this.literal(s, DFC_B.endDate, record.endDate);
        this.link(s, DFC_B.lists, record.offers);
        break;
      case 'Order':
        this.literal(s, DFC_B.orderNumber, record.orderNumber, record.languages?.['orderNumber']);
        this.literal(s, DFC_B.date, record.date);
        this.link(s, DFC_B.orderedBy, record.orderedBy);
        this.link(s, DFC_B.soldBy, record.soldBy);
        this.link(s, DFC_B.belongsTo, record.saleSession);
        this.link(s, DFC_B.hasPart, record.lines);
        this.iriOrText(s, DFC_B.hasOrderStatus, record.orderStatus);
        this.iriOrText(s, DFC_B.hasPaymentStatus, record.paymentStatus);
        this.iriOrText(s, DFC_B.hasFulfilmentStatus, record.fulfilmentStatus);
        break;
      case 'OrderLine':
        this.link(s, DFC_B.partOf, record.order);
        this.link(s, DFC_B.concerns, record.offer);
        if (record.quantity !== undefined) {
          if (record.quantityUnit !== undefined) this.quantity(s, { value: record.quantity, unit: record.quantityUnit });
          else this.literal(s, DFC_B.quantity, record.quantity);
        }
        if (record.price !== undefined) this.price(s, record.price);
        break;
      case 'Resource':
        for (const t of record.types) this.addType(s, t);
        break;
    }
    this.extra(s, record.extra);
    return true;
  }

  /** The properties the record does not model, after (and merged with) the ones it does. */
  private extra(subject: Subject, extra: Extra | undefined): void {
    if (extra === undefined) return;
    for (const iri of Object.keys(extra)) {
      const key = this.predicate(iri);
      // The reader drops a key that expands to no IRI, without reading its values.
      if (key.term === undefined) continue;
      for (const value of extra[iri] as readonly ExtraValue[]) this.extraValue(subject, key, typedExtraValue(iri, value));
    }
  }

  private extraValue(subject: Subject, key: Predicate, value: ExtraValue): void {
    const predicate = key.term as string;
    if ('@id' in value) {
      this.add(subject, predicate, this.linkObject(key, value['@id'], key.idTyped));
      return;
    }
    if ('@value' in value) {
      const v = value['@value'];
      const language = value['@language'];
      const type = value['@type'];
      if (language !== undefined) {
        this.add(subject, predicate, typeof v === 'string' ? this.terms.language(v, language.toLowerCase()) : this.jsonValue(v));
      } else if (type !== undefined) {
        const datatype = this.datatype(type);
        // The reader keeps a JSON number's type: a number under a datatype is written in that datatype's form.
        this.add(subject, predicate, typeof v === 'number' ? this.terms.number(v, datatype) : this.terms.typed(String(v), datatype));
      } else {
        this.add(subject, predicate, this.jsonValue(v));
      }
      return;
    }
    // A named node is written under its IRI (one no syntax can write, under a label of its own).
    const label = (value.id !== undefined ? this.linkObject(key, value.id, false) : undefined) ?? this.blank();
    const types = value['@type'] ?? [];
    const properties = Object.keys(value.properties);
    // A node object with no key is no node for the reader: only the link to its label is left.
    if (types.length > 0 || properties.length > 0) {
      const node = this.subject(label);
      for (const t of types) this.addType(node, t);
      this.extra(node, value.properties);
    }
    this.add(subject, predicate, label);
  }

  /**
   * Marks the subject `key` written, when records are written as they come; false when it was already. A key is
   * written when the {@link NodeTerms} of the id equal to it says so, or when {@link written} holds it.
   *
   * @param owner - the {@link NodeTerms} of the id equal to `key`, when the caller has it (a record whose id is its key)
   */
  private claim(key: string, owner: NodeTerms | undefined): boolean {
    if (owner !== undefined) {
      if (owner.writtenBy === this.serial || (this.written.size > 0 && this.written.has(key))) return false;
      owner.writtenBy = this.serial;
      return true;
    }
    if (this.written.has(key)) return false;
    const other = this.nodeIris.get(key);
    if (other !== undefined && other.key === key && other.writtenBy === this.serial) return false;
    this.written.add(key);
    return true;
  }

  /** Writes the `ldp:Container` that DFC 2.0 output wraps records in (false: see {@link record}). */
  public container(id: string | undefined, records: readonly DfcRecord[]): boolean {
    const key = id === undefined ? this.blank() : id.startsWith('_:') ? this.blank(id) : dfcIriIn(this.expand(id), this.generation);
    const term = key.startsWith('_:') ? key : this.terms.iri(key);
    if (term === undefined) return true;
    if (!this.merging) this.claim(key, undefined);
    const s = this.subject(term);
    this.addType(s, LDP.Container);
    const contains = this.predicate(LDP.contains);
    if (contains.term === undefined) return true;
    for (const r of containerMembers(records)) this.add(s, contains.term, this.linkObject(contains, r.id, true));
    return true;
  }

}

/** Where subjects are written as text. */
interface Sink {
  /** Writes the first `count` subjects. */
  write(subjects: readonly Subject[], count: number): void;
  text(): string;
  bytes(): Buffer;
  /** Gives up the text written (the document is written again into another sink). */
  abandon(): void;
}

/** A character a Latin-1 byte cannot hold: a chunk with one is kept as a string (see {@link Pieces}). */
// eslint-disable-next-line no-control-regex -- the range of Latin-1 starts at U+0000
const BEYOND_LATIN1 = /[^\u0000-\u00FF]/;

/** What a sink makes of a document: its text, or the UTF-8 bytes HTTP sends. */
type SinkOutput = 'text' | 'bytes';

/**
 * Text written in pieces, joined in chunks, and the chunks copied into one buffer of bytes that becomes the document.
 *
 * Joining each record's pieces at once, or concatenating line by line, leaves thousands of small strings (and ropes)
 * that live until the end: every young-generation collection copies them. Pieces are joined every few kilobytes
 * instead, so they die young; and each chunk is copied at once into {@link buffer}, outside the heap, so it dies young
 * too. Kept as strings, the chunks of a 29 MB document were copied by the collector into the old generation, then
 * all again by the final join (profile of the 5,000-offer catalogue: a quarter of the time in the collector).
 *
 * A sink for bytes ({@link Pieces.bytes}, what HTTP sends) writes each chunk as UTF-8 and is done: the document is
 * never one string. Made into one string of 29 MB, it cost as much again as writing it (a new string is a fresh
 * mapping of V8's large-object space, whose 7,000 pages fault in one by one: 30–90 ms on this machine), and the HTTP
 * layer then encoded that string back into bytes. A lone surrogate, which UTF-8 cannot hold, becomes U+FFFD there,
 * as it did when the string was encoded.
 *
 * A sink for text writes a chunk one byte a character (Latin-1), which is exact for every character up to U+00FF:
 * ASCII and the accented letters of most European names. The first chunk with a character beyond (a `€`, a `’`, a
 * lone surrogate) turns it back to chunks kept as strings, so the text is the same string whatever it holds.
 */
class Pieces {
  protected readonly pending: string[] = [];
  /** The characters pending. */
  protected size = 0;
  /** The document written so far, in borrowed bytes; undefined once given up, or once a text's chunks are kept as strings. */
  private buffer: Buffer | undefined = borrowBytes();
  /** How many of {@link buffer} are written. */
  private written = 0;
  /** A text's chunks, once a chunk held a character beyond U+00FF; the first is the text of {@link buffer} before it. */
  private readonly chunks: string[] = [];

  public constructor(private readonly output: SinkOutput) {}

  /** Joins the pending pieces into a chunk once there are enough of them. */
  protected flushSome(): void {
    if (this.size >= CHUNK_CHARACTERS) this.flush();
  }

  /** Joins the pending pieces, `size` characters, into a chunk; answers the characters pending now (none). */
  protected flushAt(size: number): number {
    this.size = size;
    this.flush();
    return 0;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const chunk = this.pending.join('');
    // The same list for the next chunk, its storage kept (a fresh one grew again to a hundred pieces a chunk).
    clear(this.pending);
    this.size = 0;
    let buffer = this.buffer;
    const text = this.output === 'text';
    if (text && buffer !== undefined && BEYOND_LATIN1.test(chunk)) {
      this.chunks.push(buffer.toString('latin1', 0, this.written));
      this.release();
      buffer = undefined;
    }
    if (buffer === undefined) {
      this.chunks.push(chunk);
      return;
    }
    // A UTF-16 code unit is one byte of Latin-1, at most three of UTF-8 (a pair of them, four): room for the most.
    const needed = this.written + (text ? 1 : 3) * chunk.length;
    if (needed > buffer.length) {
      let length = buffer.length * 2;
      while (length < needed) length *= 2;
      const grown = Buffer.allocUnsafe(length);
      buffer.copy(grown, 0, 0, this.written);
      returnBytes(buffer);
      this.buffer = buffer = grown;
    }
    this.written += buffer.write(chunk, this.written, text ? 'latin1' : 'utf8');
  }

  /** The document's UTF-8 bytes, its own (the sink's are kept for the next document), for a sink made for bytes. */
  public bytes(): Buffer {
    if (this.output !== 'bytes') throw new Error('a sink made for text was asked for bytes');
    this.finish();
    const copy = Buffer.allocUnsafe(this.written);
    this.buffer?.copy(copy, 0, 0, this.written);
    this.release();
    return copy;
  }

  /** The document's text, for a sink made for text. */
  public text(): string {
    if (this.output !== 'text') throw new Error('a sink made for bytes was asked for text');
    this.finish();
    const { buffer } = this;
    if (buffer === undefined) return this.chunks.length === 1 ? this.chunks[0] as string : this.chunks.join('');
    // The one copy the document must have of its own: the bytes are kept for the next document.
    const text = buffer.toString('latin1', 0, this.written);
    this.release();
    return text;
  }

  /** Writes what the document still lacks at its end. */
  protected finish(): void {
    this.flush();
  }

  public abandon(): void {
    this.release();
  }

  private release(): void {
    if (this.buffer !== undefined) returnBytes(this.buffer);
    this.buffer = undefined;
  }
}

/** The bytes a sink starts with when none are spare. */
const INITIAL_BYTES = 64 * 1024;
/** The most bytes kept spare between documents (a 5,000-offer catalogue is 29 MB of N-Quads). */
const MAX_SPARE_BYTES = 32 * 1024 * 1024;

/**
 * Bytes a sink may borrow, kept from the last document. Writing 29 MB into fresh memory faults in a page every 4 kB,
 * and that cost as much as the rest of the copying (measured: without the spare bytes the writer was slower than the
 * chunks kept as strings, whose heap pages V8 reuses). Writing is synchronous, so one document at a time borrows
 * them; one written while another is being written (none is today) would allocate its own.
 */
let spareBytes: Buffer | undefined;

function borrowBytes(): Buffer {
  const bytes = spareBytes ?? Buffer.allocUnsafe(INITIAL_BYTES);
  spareBytes = undefined;
  return bytes;
}

/** Keeps bytes for the next document, the larger if some are kept already, unless they are too many to keep. */
function returnBytes(bytes: Buffer): void {
  if (bytes.length <= MAX_SPARE_BYTES && (spareBytes === undefined || spareBytes.length < bytes.length)) spareBytes = bytes;
}

/**
 * A chunk's size, in characters. Small enough for the young generation: a string above 128 kB is allocated in
 * V8's large-object space, a fresh mapping of its own whose pages fault in as the join writes them, and chunks of
 * 256 kB cost 5–12 % more in all than chunks of 16 kB (5,000 offers, N-Quads and Turtle, CPU time, same run).
 * Counting characters rather than pieces keeps chunks this size whatever the pieces' sizes.
 */
const CHUNK_CHARACTERS = 16 * 1024;

/** How many of a subject's types {@link StatementWriter} compares a new one with (a node may have 64 when read). */
const TYPES_SCANNED = 64;

/** N-Triples, or N-Quads in `graph`: one statement per line, as text (as bytes: {@link LineBytesSink}). */
class LineSink extends Pieces implements Sink {
  /** ` .\n`, or ` <graph> .\n`: flat, as every piece repeated on each line (see {@link middle}). */
  private readonly end: string;
  private readonly typeHead = flat(' ', bracketed(RDF_TYPE), ' ');
  private readonly middles = new Map<string, string>();

  public constructor(output: SinkOutput, graph?: string) {
    super(output);
    this.end = graph === undefined ? ' .\n' : flat(' ', graph, ' .\n');
  }

  /**
   * ` <predicate> `, one flat string per predicate. A line is a rope of its pieces until its chunk is joined, and
   * the join walks every piece: `${term} ${predicate} ` made a rope of five pieces (and three nodes to allocate) for
   * each predicate of each subject, where the subject's term and this string make two.
   */
  private middle(predicate: string): string {
    let middle = this.middles.get(predicate);
    if (middle === undefined) {
      middle = flat(' ', predicate, ' ');
      this.middles.set(predicate, middle);
    }
    return middle;
  }

  public write(subjects: readonly Subject[], count: number): void {
    const { end } = this;
    const parts = this.pending;
    let size = this.size;
    // One string a line: joining costs about as much a piece as a line, and a line is three pieces.
    for (let n = 0; n < count; n++) {
      const { term, types, predicates, objects } = subjects[n] as Subject;
      if (types.length > 0) {
        const head = term + this.typeHead;
        for (const type of types) {
          const line = head + type + end;
          parts.push(line);
          size += line.length;
        }
      }
      for (let i = 0; i < predicates.length; i++) {
        const head = term + this.middle(predicates[i] as string);
        const values = objects[i] as string | string[];
        if (typeof values === 'string') {
          const line = head + values + end;
          parts.push(line);
          size += line.length;
        } else {
          for (const object of values) {
            const line = head + object + end;
            parts.push(line);
            size += line.length;
            if (size >= CHUNK_CHARACTERS) size = this.flushAt(size);
          }
        }
      }
      if (size >= CHUNK_CHARACTERS) size = this.flushAt(size);
    }
    this.size = size;
  }

}

/**
 * N-Triples, or N-Quads in `graph`, written straight into UTF-8 bytes: what HTTP sends, without a string per line.
 *
 * {@link LineSink} built each line as a string and joined them in chunks: 29 MB of strings for 5,000 offers, a young
 * generation filled a dozen times a document. Each collection promoted what was alive, the caller's last document
 * among them, and old documents are freed only by a full collection: the process kept four or five documents of
 * bytes at once before reusing one, and each document beyond the first faulted in 7,000 fresh pages (profile of the
 * codec bench: half of the time on those pages, the other half writing). Here the pieces of a line are copied as
 * bytes: the predicate and the line's end from bytes encoded once, the subject from where its first line wrote it,
 * and only the object is encoded, once a line. The writer then leaves a few megabytes of garbage a document.
 *
 * Each piece is encoded on its own, which is the text's encoding: every piece starts or ends with an ASCII character
 * (`<`, `>`, `"`, `_`, a space), so no surrogate pair is split between two pieces.
 */
class LineBytesSink implements Sink {
  /** The document written so far, in borrowed bytes (see {@link borrowBytes}); undefined once released. */
  private buffer: Buffer | undefined = borrowBytes();
  private written = 0;
  /** ` .\n`, or ` <graph> .\n`. */
  private readonly end: Buffer;
  private readonly typeHead = Buffer.from(flat(' ', bracketed(RDF_TYPE), ' '), 'utf8');
  /** ` <predicate> ` as bytes, by predicate term. */
  private readonly middles = new Map<string, Buffer>();
  /** The subject being written, and where its first line wrote it (-1 before), copied from there by the next ones. */
  private term = '';
  private subjectAt = -1;
  private subjectEnd = -1;

  public constructor(graph?: string) {
    this.end = Buffer.from(graph === undefined ? ' .\n' : flat(' ', graph, ' .\n'), 'utf8');
  }

  private middle(predicate: string): Buffer {
    let middle = this.middles.get(predicate);
    if (middle === undefined) {
      middle = Buffer.from(flat(' ', predicate, ' '), 'utf8');
      this.middles.set(predicate, middle);
    }
    return middle;
  }

  /** The buffer, with room for `needed` more bytes. */
  private room(needed: number): Buffer {
    let buffer = this.buffer as Buffer;
    const total = this.written + needed;
    if (total > buffer.length) {
      let length = buffer.length * 2;
      while (length < total) length *= 2;
      const grown = Buffer.allocUnsafe(length);
      buffer.copy(grown, 0, 0, this.written);
      returnBytes(buffer);
      this.buffer = buffer = grown;
    }
    return buffer;
  }

  public write(subjects: readonly Subject[], count: number): void {
    for (let n = 0; n < count; n++) {
      const { term, types, predicates, objects } = subjects[n] as Subject;
      this.term = term;
      this.subjectAt = -1;
      for (const type of types) this.line(this.typeHead, type);
      for (let i = 0; i < predicates.length; i++) {
        const head = this.middle(predicates[i] as string);
        const values = objects[i] as string | string[];
        if (typeof values === 'string') this.line(head, values);
        else for (const object of values) this.line(head, object);
      }
    }
  }

  /** One statement of the subject {@link term}: its predicate (or `rdf:type`) as `head`, then `object`. */
  private line(head: Buffer, object: string): void {
    const { end, term } = this;
    // A UTF-16 code unit is at most three bytes of UTF-8 (a pair of them, four): room for the most.
    const buffer = this.room(3 * term.length + head.length + 3 * object.length + end.length);
    let at = this.written;
    if (this.subjectAt < 0) {
      this.subjectAt = at;
      at += buffer.write(term, at);
      this.subjectEnd = at;
    } else {
      buffer.copyWithin(at, this.subjectAt, this.subjectEnd);
      at += this.subjectEnd - this.subjectAt;
    }
    buffer.set(head, at);
    at += head.length;
    at += buffer.write(object, at);
    buffer.set(end, at);
    this.written = at + end.length;
  }

  /** The document's UTF-8 bytes, its own (the sink's are kept for the next document). */
  public bytes(): Buffer {
    const copy = Buffer.allocUnsafe(this.written);
    this.buffer?.copy(copy, 0, 0, this.written);
    this.abandon();
    return copy;
  }

  public text(): string {
    throw new Error('a sink made for bytes was asked for text');
  }

  public abandon(): void {
    if (this.buffer !== undefined) returnBytes(this.buffer);
    this.buffer = undefined;
  }
}

/** The sink of the line formats for `output`. */
function lineSink(output: SinkOutput, graph?: string): Sink {
  return output === 'bytes' ? new LineBytesSink(graph) : new LineSink(output, graph);
}

/** Turtle with the DFC prefixes, one block per subject, laid out as N3.js laid it out. */
class TurtleSink extends Pieces implements Sink {
  private open = false;

  public constructor(output: SinkOutput, generation: DfcGeneration) {
    super(output);
    let header = '';
    for (const [prefix, namespace] of turtlePrefixes(generation)) header += `@prefix ${prefix}: <${namespace}>.\n`;
    this.pending.push(`${header}\n`);
  }

  public write(subjects: readonly Subject[], count: number): void {
    const parts = this.pending;
    let size = this.size;
    for (let n = 0; n < count; n++) {
      const { term, types, predicates, objects } = subjects[n] as Subject;
      if (types.length === 0 && predicates.length === 0) continue;
      // One string a subject's block, as one string a line in N-Triples.
      let block = this.open ? `.\n${term} ` : `${term} `;
      this.open = true;
      let separator = '';
      if (types.length > 0) {
        block += `a ${types.length === 1 ? types[0] as string : types.join(', ')}`;
        separator = ';\n    ';
      }
      for (let i = 0; i < predicates.length; i++) {
        const values = objects[i] as string | string[];
        block += `${separator}${predicates[i] as string} ${typeof values === 'string' ? values : values.join(', ')}`;
        separator = ';\n    ';
      }
      parts.push(block);
      size += block.length;
    }
    this.size = size;
    this.flushSome();
  }

  protected override finish(): void {
    if (this.open) this.pending.push('.\n');
    this.open = false;
    super.finish();
  }
}

function profileOf(options: EncodeOptions): { generation: '1.x' | '2.0'; enveloped: boolean; wrapped: boolean } {
  const v2 = options.profile === 'dfc-v2';
  const wrapped = v2 && options.container !== false;
  return { generation: v2 ? '2.0' : '1.x', wrapped, enveloped: wrapped || (options.envelopes ?? []).length > 0 };
}

/**
 * Writes one document's records into a sink. Records are written as they come, each as soon as it is walked
 * (nothing of it is kept), unless two of them turn out to be one subject: then the document is walked again,
 * merging them into one node as the JSON-LD reader does.
 */
function writeDocument(
  makeSink: () => Sink, makeWriter: (merging: boolean) => StatementWriter,
  container: { id: string | undefined } | undefined, documentRecords: readonly DfcRecord[], containedRecords: readonly DfcRecord[],
): { sink: Sink; count: number } {
  const streamed = makeSink();
  const streaming = makeWriter(false);
  let ok = container === undefined || streaming.container(container.id, containedRecords);
  if (ok) streaming.drain(streamed);
  for (let i = 0; ok && i < documentRecords.length; i++) {
    ok = streaming.record(documentRecords[i] as DfcRecord);
    streaming.drain(streamed);
  }
  if (ok) {
    boundNodeTerms();
    return { sink: streamed, count: streaming.count };
  }
  streamed.abandon();
  const merged = makeSink();
  const merging = makeWriter(true);
  if (container !== undefined) merging.container(container.id, containedRecords);
  for (const record of documentRecords) merging.record(record);
  merging.drain(merged);
  boundNodeTerms();
  return { sink: merged, count: merging.count };
}

/**
 * Writes records as Turtle (with the DFC prefixes, one block per subject), N-Triples or N-Quads (one statement
 * per line, in the default graph): the RDF graph of the compacted JSON-LD that `encodeJsonLd` writes for the
 * same records and options.
 *
 * @param records - what to write, in this order
 * @param format - `turtle`, `ntriples` or `nquads`
 * @param options - profile (`dfc-v1` default, `dfc-v2` with its `ldp:Container`), container id, envelopes
 */
export function writeRecordsRdf(records: readonly DfcRecord[], format: RdfFormat, options: EncodeOptions = {}): string {
  return writeRecordsSink(records, format, options, 'text').text();
}

/**
 * {@link writeRecordsRdf}'s document as the UTF-8 bytes HTTP sends (what the text would be encoded to), without
 * the text: the way to write a large document.
 */
export function writeRecordsRdfBytes(records: readonly DfcRecord[], format: RdfFormat, options: EncodeOptions = {}): Buffer {
  return writeRecordsSink(records, format, options, 'bytes').bytes();
}

function writeRecordsSink(records: readonly DfcRecord[], format: RdfFormat, options: EncodeOptions, output: SinkOutput): Sink {
  const { generation, enveloped, wrapped } = profileOf(options);
  const terms = new Terms(format, generation);
  const envelopes: readonly ResourceRecord[] = options.envelopes ?? [];
  const container = wrapped && !envelopes.some((e) => e.types.some((t) => CONTAINER_TYPES.has(t))) ? { id: options.containerId } : undefined;
  const { sink } = writeDocument(
    () => (format === 'turtle' ? new TurtleSink(output, generation) : lineSink(output)),
    (merging) => {
      const writer = new StatementWriter(terms, generation, enveloped, '', merging);
      writer.unstatedStock = options.unstatedStock;
      return writer;
    },
    container, envelopes.length > 0 ? [...envelopes, ...records] : records, records,
  );
  return sink;
}

/**
 * Writes groups of records as N-Quads, each group in its own named graph (DFC 1.16, or 2.0 on its profile).
 *
 * @param groups - records by graph IRI; a group without one is in the default graph. A graph name that is no IRI
 *   cannot be written: its group is left out rather than break the document.
 * @param options - the profile (`dfc-v2`: DFC 2.0's namespaces and Organization; no container)
 */
export function writeNQuadsByGraph(groups: readonly { graph?: string; records: readonly DfcRecord[] }[], options: Pick<EncodeOptions, 'profile'> = {}): string {
  return writeGraphs(groups, options, 'text', (sink) => sink.text()).join('');
}

/** {@link writeNQuadsByGraph}'s document as the UTF-8 bytes HTTP sends. */
export function writeNQuadsByGraphBytes(groups: readonly { graph?: string; records: readonly DfcRecord[] }[], options: Pick<EncodeOptions, 'profile'> = {}): Buffer {
  return Buffer.concat(writeGraphs(groups, options, 'bytes', (sink) => sink.bytes()));
}

/** What `take` makes of each graph's sink once written, in order (each taken before the next borrows the bytes). */
function writeGraphs<T>(
  groups: readonly { graph?: string; records: readonly DfcRecord[] }[], options: Pick<EncodeOptions, 'profile'>, output: SinkOutput, take: (sink: Sink) => T,
): T[] {
  // The DFC generation of the profile asked for (2.0: its namespaces and Organization), without a container: each
  // graph is one source's word, not a collection.
  const generation = options.profile === 'dfc-v2' ? '2.0' : '1.x';
  const terms = new Terms('nquads', generation);
  const out: T[] = [];
  let count = 0;
  for (const { graph, records } of groups) {
    const name = graph === undefined ? undefined : terms.iri(graph);
    if (graph !== undefined && name === undefined) continue;
    // Blank node labels restart per document: prefixed per graph so that two sources never share one.
    const prefix = `g${count}_`;
    const written = writeDocument(() => lineSink(output, name), (merging) => new StatementWriter(terms, generation, false, prefix, merging), undefined, records, records);
    out.push(take(written.sink));
    count += written.count;
  }
  return out;
}
