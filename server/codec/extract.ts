/**
 * Turns a {@link Graph} into normalised records.
 *
 * This is where the spellings of the wire meet the model: both names of a property are read
 * (`hasStreet`/`street`, `offeredItem`/`offers`…), numbers sent as strings become numbers, stock follows
 * Open Food Network's rule (absent or negative is on demand), links are completed in both directions, and
 * whatever the model does not cover is kept in `extra`.
 *
 * @packageDocumentation
 */
import { isAbsoluteIri, type Iri, type NodeId } from '../../ontology/iri.js';
import { NS } from '../../ontology/namespaces.js';
import {
  LANGUAGE_TAG, type AddressRecord, type CatalogItemRecord, type CatalogRecord, type CustomerCategoryRecord, type DfcRecord,
  type EnterpriseRecord, type Extra, type ExtraValue, type OfferRecord, type OrderLineRecord, type OrderRecord, type PersonRecord,
  type Price, type Quantity, type RecordKind, type ResourceRecord, type SaleSessionRecord, type SuppliedProductRecord,
} from '../../ontology/records.js';
import { LINK_ENDS, type LinkEnd } from '../../ontology/inverses.js';
import { DFC_B, DFC_M_NS, LDP } from '../../ontology/vocabulary.js';
import { countryIri } from '../../ontology/countries.js';
import { currencyOfCode } from '../../ontology/units.js';
import { shortName } from './compact.js';
import { barePrice, inThousandths, isoDate, STOCK_LABEL, STOCK_STEP_MESSAGE, stockOf, toNumber } from './values.js';
import { sameTerm, type Graph, type GraphNode, type LiteralTerm, type Term } from './graph.js';
import { problem, type Problem, type ProblemCode } from '../errors/problem.js';
import {
  Deadline, KEPT_VALUES_FACTOR, KEPT_VALUES_SLACK, MAX_EXTRA_DEPTH, valueLimitOf,
} from './limits.js';

/** Which record kind each (canonical) class stands for. */
export const KIND_OF_TYPE: ReadonlyMap<string, Exclude<RecordKind, 'Resource'>> = new Map<string, Exclude<RecordKind, 'Resource'>>([
  [DFC_B.Enterprise, 'Enterprise'],
  [DFC_B.Organization, 'Enterprise'],
  [DFC_B.Address, 'Address'],
  [DFC_B.Person, 'Person'],
  [DFC_B.SuppliedProduct, 'SuppliedProduct'],
  [DFC_B.CatalogItem, 'CatalogItem'],
  [DFC_B.Offer, 'Offer'],
  [DFC_B.Catalog, 'Catalog'],
  [DFC_B.CustomerCategory, 'CustomerCategory'],
  [DFC_B.SaleSession, 'SaleSession'],
  [DFC_B.Order, 'Order'],
  [DFC_B.OrderLine, 'OrderLine'],
]);

/** The type name of each kind in problem reports. */
const TYPE_NAME_OF: Readonly<Record<Exclude<RecordKind, 'Resource'>, string>> = Object.fromEntries(
  [...new Set(KIND_OF_TYPE.values())].map((kind) => [kind, `dfc-b:${kind}`]),
) as Record<Exclude<RecordKind, 'Resource'>, string>;

/** The classes that stand for each kind (an Enterprise is a `dfc-b:Enterprise` or a `dfc-b:Organization`). */
const TYPES_OF_KIND: ReadonlyMap<RecordKind, readonly string[]> = (() => {
  const byKind = new Map<RecordKind, string[]>();
  for (const [type, kind] of KIND_OF_TYPE) byKind.set(kind, [...(byKind.get(kind) ?? []), type]);
  return byKind;
})();

const NO_TYPES: readonly string[] = Object.freeze([]);

/** Classes whose nodes are read inline as part of their parent (a price, a pack size, a phone number). */
const INLINE_TYPES = new Set<string>([DFC_B.Price, DFC_B.QuantitativeValue, DFC_B.PhoneNumber]);

/** Classes of response envelopes (LDP containers, Hydra paging views), which are not kept as records. */
const ENVELOPE_TYPES = new Set<string>([LDP.Container, LDP.BasicContainer, `${NS.hydra}PartialCollectionView`, `${NS.hydra}Collection`]);

const RDF_TYPE = `${NS.rdf}type`;

/** Text read as a link when a link is expected: an http(s) IRI (`dfc-m:Euro` or `retail` are not). */
const HTTP_IRI = /^https?:\/\//iu;

/** Options of {@link extractRecords}. */
export interface ExtractOptions {
  /** Currency assumed for a bare-number price (Open Food Network before 2025 sent no currency). */
  readonly defaultCurrency: Iri;
  /** When the decode must be over (default: never). */
  readonly deadline?: Deadline;
  /**
   * Whether the document is one order request (the body of the Orders API), read strictly where a second value
   * would be a guess: a second Order, and several different values of what the order is read by (an order's
   * status, buyer and sale session; an order line's quantity, offer and order; an Offer's item; a sale session's
   * dates), are reported as
   * `conflicting-values` errors instead of the first being read. The same value repeated (the same IRI twice, `2`
   * and `"2"` as a quantity) is one value. Off (the default) for every other document: a catalogue's single-valued
   * fields read the first value, as they always have.
   */
  readonly orderRequest?: boolean;
  /**
   * Whether the document writes this node's own catalogue (a POST or PUT of its API): a stock
   * (`dfc-b:stockLimitation`) given several different values is a `conflicting-values` error of that resource, not
   * the first one read. The stock ledger and every order of the item would rest on a guess. Off for every other
   * document: a peer's catalogue reads the first value, as it always has (it is the peer's to keep, not ours), unless
   * {@link strictSale} says otherwise.
   */
  readonly catalogueWrite?: boolean;
  /**
   * Whether a stock or a price (its value, currency or VAT rate) given several different values is a
   * `conflicting-values` error of that resource, as in a {@link catalogueWrite}, without that write's other rules: a
   * peer's catalogue synced here (one `@id` given twice with two stocks, or two prices), whose stock and price decide
   * what this node lists and sells. Other fields still read the first value and keep the others. Default false.
   */
  readonly strictSale?: boolean;
}

/** What {@link extractRecords} returns. */
export interface Extraction {
  readonly records: DfcRecord[];
  readonly problems: Problem[];
  /** Per record id, the fields that had a wire problem (so validation does not report them twice). */
  readonly invalidFields: ReadonlyMap<string, ReadonlySet<string>>;
  /**
   * Ids of the nodes that are references, not resources: a named node with a type and nothing else (the
   * SuppliedProduct an order line points at, a catalogue item described in another document).
   */
  readonly references: string[];
  /**
   * The envelopes of a response (an `ldp:Container`, a Hydra paging view), read whole: not records, but a
   * conversion writes them back (`maillon convert` keeps a container's `@id` and what it contains).
   */
  readonly envelopes: ResourceRecord[];
  /**
   * The catalog items and offers whose node says no `dfc-b:stockLimitation`, whose stock `null` means "not said"
   * (a write of our own catalogue leaves it as it was; an offer takes its item's) rather than a negative stock (on
   * demand).
   */
  readonly unstatedStock?: ReadonlySet<string>;
  /**
   * The offers whose `dfc-b:hasPrice` is a bare number, read in the decoder's default currency: a write of an offer
   * that has a price already reads it in that price's currency, with its VAT rate (Open Food Network's rule: the same
   * currency).
   */
  readonly barePrices?: ReadonlySet<string>;
}

/**
 * Whether a node only names a resource described elsewhere: an IRI (not a blank node, which has no other
 * description) with at most its types. Reading it as a resource would report it incomplete ("needs a name")
 * and, stored, would blank out the resource it points at.
 */
export function isReference(node: GraphNode): boolean {
  if (node.id.startsWith('_:')) return false;
  for (const predicate of node.properties.keys()) if (predicate !== RDF_TYPE) return false;
  return true;
}

const NO_TERMS: readonly Term[] = Object.freeze([]);

/** A record under construction: its lists are mutable. */
export type Draft<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer U)[] ? U[] : T[K] };

/** Reads one node's properties, remembering which were consumed so the rest can be kept as extra. */
class NodeReader {
  /**
   * The value lists of the node's properties that were read (compared by identity: a predicate the node does not
   * have needs no remembering). A few per node: a list, not a set, and made on the first one.
   */
  private consumed: (readonly Term[])[] | undefined;
  /** The fields with a wire problem; made on the first one (most nodes have none). */
  public invalid: Set<string> | undefined;
  /** The languages of the text fields read with one ({@link RecordBase.languages}); made on the first one. */
  public languages: Record<string, string> | undefined;

  public constructor(
    private readonly graph: Graph,
    public readonly node: GraphNode,
    private readonly problems: Problem[],
    private readonly typeName: string,
    private readonly keeper: Keeper,
  ) {}

  private get inlined(): Set<string> {
    return this.keeper.inlined;
  }

  /** The values of the predicates, in order; the caller must not change the list (it may be the node's own). */
  private take(predicates: readonly string[]): readonly Term[] {
    let values: readonly Term[] = NO_TERMS;
    let copied = false;
    for (const predicate of predicates) {
      const found = this.node.properties.get(predicate);
      if (found === undefined) continue;
      if (this.consumed === undefined) this.consumed = [found];
      else if (!this.consumed.includes(found)) this.consumed.push(found);
      // Nearly always one predicate has values: its own list is answered, without a copy.
      if (values.length === 0) {
        values = found;
        continue;
      }
      const merged: Term[] = copied ? (values as Term[]) : [...values];
      copied = true;
      // A loop, not `push(...found)`: spreading a list of a hundred thousand values overflows the stack.
      for (const value of found) merged.push(value);
      values = merged;
    }
    return values;
  }

  private report(field: string, predicates: readonly string[], code: ProblemCode, message: string): void {
    (this.invalid ??= new Set()).add(field);
    this.problems.push(problem(code, this.node.id, this.typeName, predicates.map(shortName)[0] ?? '', message));
  }

  /** Reports a problem at an explicit path (inside an inline node). */
  public reportPath(field: string, path: string, code: ProblemCode, message: string): void {
    (this.invalid ??= new Set()).add(field);
    this.problems.push(problem(code, this.node.id, this.typeName, path, message));
  }

  /** The first literal of the first predicate that has one, as a string. */
  public string(field: string, predicates: readonly string[]): string | undefined {
    const values = this.take(predicates);
    const first = values[0];
    if (first === undefined) return undefined;
    if (first.kind === 'ref') return first.id; // an IRI where text was expected (a logo URL, a country)
    this.keepRest(predicates, first);
    // `"Pommes"@fr` is read as `Pommes` in French, and written back so: the language is part of the statement.
    if (first.language !== undefined && typeof first.value === 'string' && LANGUAGE_TAG.test(first.language)) {
      (this.languages ??= {})[field] = first.language;
    }
    return String(first.value);
  }

  /** All values as strings (images), without repeats: both spellings of a property usually carry the same. */
  public strings(predicates: readonly string[]): string[] {
    const values = this.take(predicates);
    if (values.length === 0) return [];
    return [...new Set(values.map((t) => (t.kind === 'ref' ? t.id : String(t.value))))];
  }

  /** A number; a value that is not one is reported. */
  public number(field: string, predicates: readonly string[], what: string): number | undefined {
    const first = this.take(predicates)[0];
    if (first === undefined) return undefined;
    const value = toNumber(first);
    if (value === undefined) {
      this.report(field, predicates, 'not-a-number', `${what} is not a number: ${describe(first)}`);
    }
    return value;
  }

  /** The first link. */
  public ref(predicates: readonly string[]): NodeId | undefined {
    const ids = this.refs(predicates);
    // One link is read; the others are kept as links, and written out again (a second address or main contact was
    // dropped without a word, and a blank one left as a node nothing links to).
    if (ids.length > 1) {
      for (const predicate of predicates) {
        const kept: Term[] = [];
        for (const value of this.node.properties.get(predicate) ?? []) {
          if (value.kind === 'ref') {
            if (value.id === ids[0]) continue;
            // A blank node only this link names is kept whole here (and is no record of its own: see
            // extractRecords); one that others name too stays a record, linked (its label is renamed when written).
            if (value.id.startsWith('_:') && this.keeper.references(this.graph, value.id) > 1) {
              (this.sharedLinks ??= []).push([predicate, value.id]);
              continue;
            }
            if (value.id.startsWith('_:')) this.keeper.seconds.add(value.id);
            kept.push(value);
          } else {
            // An IRI written as text (read as a link) is kept as written; other text was kept by `refs`.
            const link = this.textLink(value);
            if (link !== undefined && link !== ids[0]) kept.push(value);
          }
        }
        if (kept.length > 0) (this.leftovers ??= new Map()).set(predicate, [...(this.leftovers.get(predicate) ?? []), ...kept]);
      }
    }
    return ids[0];
  }

  /** Blank nodes given as a second value of a link read as one that other resources name too: kept as links. */
  private sharedLinks: [predicate: string, id: string][] | undefined;

  /** All links, in document order, without repeats. */
  public refs(predicates: readonly string[]): NodeId[] {
    const terms = this.take(predicates);
    // A fresh list every time: link completion adds to it. One link (the usual case) is a one-element literal, not a
    // push onto `[]`, which reserves room for seventeen.
    if (terms.length === 1) {
      const term = terms[0] as Term;
      if (term.kind === 'ref') return [term.id as NodeId];
      const link = this.textLink(term);
      if (link !== undefined) return [link];
      this.keepText(predicates);
      return [];
    }
    const ids: NodeId[] = [];
    const seen = new Set<string>();
    let text = false;
    for (const term of terms) {
      const id = term.kind === 'ref' ? term.id : this.textLink(term);
      if (id === undefined) text = true;
      else if (!seen.has(id)) {
        seen.add(id);
        ids.push(id as NodeId);
      }
    }
    if (text) this.keepText(predicates);
    return ids;
  }

  /**
   * The link an http(s) IRI written as text means: `"dfc-b:offeredTo": "https://…/retail"` under a context that makes
   * no link of it (the connector's `offeredTo` and `offeredItem` are in no DFC context) is a string in JSON-LD, but
   * what its writer means is the link, as an order's lines are read (it was dropped: the one thing telling a retail
   * offer from a professional one went without a word).
   */
  private textLink(term: LiteralTerm): NodeId | undefined {
    const { value } = term;
    if (typeof value !== 'string' || term.language !== undefined || !HTTP_IRI.test(value) || !isAbsoluteIri(value)) return undefined;
    return this.graph.iri(value) as NodeId;
  }

  /** Keeps text of a link property that is no IRI as it was written, with a warning (it is read as no link). */
  private keepText(predicates: readonly string[]): void {
    for (const predicate of predicates) {
      const values = this.node.properties.get(predicate);
      const text = values?.filter((v) => v.kind !== 'ref' && this.textLink(v) === undefined) ?? [];
      if (text.length === 0) continue;
      (this.leftovers ??= new Map()).set(predicate, text);
      this.problems.push(problem('invalid-value', this.node.id, this.typeName, shortName(predicate),
        `${shortName(predicate)} is text (${describe(text[0] as Term)}), not a link: kept as written, not read as one (write {"@id": …})`, 'warning'));
    }
  }

  /**
   * Keeps a value that could not be read as its field as it was written (it is written out again), with a warning
   * naming its path: the resource is kept, without that field.
   */
  public keepUnread(predicate: string, term: Term, code: ProblemCode, message: string): void {
    (this.leftovers ??= new Map()).set(predicate, [term, ...(this.leftovers.get(predicate) ?? [])]);
    this.problems.push(problem(code, this.node.id, this.typeName, shortName(predicate), message, 'warning'));
  }

  /** The raw values of one property, for fields with a shape of their own (price, quantity). */
  public terms(predicates: readonly string[]): readonly Term[] {
    return this.take(predicates);
  }

  /** Whether the document is an order request, read strictly (see {@link ExtractOptions.orderRequest}). */
  public get orderRequest(): boolean {
    return this.keeper.orderRequest;
  }

  /** Whether the document writes this node's own catalogue (see {@link ExtractOptions.catalogueWrite}). */
  public get catalogueWrite(): boolean {
    return this.keeper.catalogueWrite;
  }

  /** Whether a stock or price is read strictly (a catalogue write, or {@link ExtractOptions.strictSale}). */
  public get strictSale(): boolean {
    return this.keeper.strictSale;
  }

  /** Notes that this node says no stock (see {@link Extraction.unstatedStock}). */
  public stockUnstated(): void {
    this.keeper.unstatedStock.add(this.node.id);
  }

  /** Notes that this node's price is a bare number (see {@link Extraction.barePrices}). */
  public priceBare(): void {
    this.keeper.barePrices.add(this.node.id);
  }

  /**
   * Whether `values`, read as one value of `field`, are several different ones in an order request: reported then
   * as `conflicting-values` (the field is not read: taking the first would be a guess). Outside an order request
   * (unless `strict` says otherwise) the first value is read, as before, and nothing is reported.
   *
   * @param values - the values given (the graph holds a set: the same term twice is there once)
   * @param meaning - what a value means, to tell values apart: `2` and `"2"` are one quantity
   * @param strict - whether this document reads the field strictly (default: when it is an order request)
   */
  public conflicting(field: string, predicates: readonly string[], values: readonly Term[], meaning: (term: Term) => string | number = describe,
    strict = this.keeper.orderRequest): boolean {
    return this.conflictingAt(field, predicates.map(shortName)[0] ?? '', values, meaning, strict);
  }

  /** {@link conflicting} at an explicit path (the value of an inline node: `dfc-b:hasPrice/dfc-b:value`). */
  public conflictingAt(field: string, path: string, values: readonly Term[], meaning: (term: Term) => string | number, strict: boolean,
    shownAs: (term: Term) => string = describe): boolean {
    if (!strict || values.length < 2) return false;
    const distinct = new Map<string | number, Term>();
    for (const value of values) {
      const key = meaning(value);
      if (!distinct.has(key)) distinct.set(key, value);
    }
    if (distinct.size < 2) return false;
    const shown = [...distinct.values()].slice(0, SHOWN_VALUES).map(shownAs).join(', ');
    this.reportPath(field, path, 'conflicting-values',
      `${distinct.size} different values (${shown}${distinct.size > SHOWN_VALUES ? ', …' : ''}) where one is read`);
    return true;
  }

  /**
   * {@link ref} of a link read as one: in an order request, several different links are {@link conflicting}. An IRI
   * written as text where the context makes no link of it (`dfc-b:offers`) is the same value as the link.
   */
  public oneRef(field: string, predicates: readonly string[]): NodeId | undefined {
    if (this.conflicting(field, predicates, this.take(predicates), textOf)) return undefined;
    return this.ref(predicates);
  }

  /** {@link string} of a value read as one: in an order request, several different ones are {@link conflicting}. */
  public oneString(field: string, predicates: readonly string[]): string | undefined {
    if (this.conflicting(field, predicates, this.take(predicates), textOf)) return undefined;
    return this.string(field, predicates);
  }

  /** Reads a linked node inline (a blank Price or QuantitativeValue), marking it consumed. */
  public inline(term: Term | undefined): GraphNode | undefined {
    if (term?.kind !== 'ref') return undefined;
    const target = this.graph.nodes.get(term.id);
    if (target !== undefined) this.inlined.add(target.id);
    return target;
  }

  /** Values of an already-modelled property beyond the first one go to extra, so none is lost. */
  private leftovers: Map<string, Term[]> | undefined;

  /**
   * The properties of an inline node (a price, a pack size) beyond those its reader reads (`read`; a second value of
   * one of those too), kept as its extra: a `dfc-b:minValue`, a comment, a tax category were dropped without a word.
   */
  public inlineExtra(node: GraphNode, read: readonly string[]): Extra | undefined {
    const inner = new NodeReader(this.graph, node, this.problems, this.typeName, this.keeper);
    for (const predicate of read) {
      const first = inner.take([predicate])[0];
      if (first !== undefined) inner.keepRest([predicate], first);
    }
    return inner.extra();
  }

  /** Keeps the values of `predicates` but `first` (the one read) as extra; public for the fields read by their own readers. */
  public keepRest(predicates: readonly string[], first: Term): void {
    // Each under its own name; the same value under the other spelling (`description` and `hasDescription`,
    // as the node itself writes) is the value read, not another one.
    for (const predicate of predicates) {
      const values = this.node.properties.get(predicate);
      // The usual case, one value and it is the one read: nothing is left over.
      if (values === undefined || (values.length === 1 && values[0] === first)) continue;
      const rest = values.filter((v) => v !== first && !sameTerm(v, first));
      if (rest.length > 0) (this.leftovers ??= new Map()).set(predicate, rest);
    }
  }

  /**
   * Whatever this reader did not consume, as expanded JSON-LD; undefined (with the resource refused) when the
   * node is over a limit: a list too long, blank nodes nested too deep, or more kept than the document's budget.
   */
  public extra(): Extra | undefined {
    const overfull = this.graph.overfull.get(this.node.id);
    if (overfull !== undefined) {
      this.refuse('too-many-values', shortName(overfull),
        `${shortName(overfull)} has more than ${valueLimitOf(overfull)} values`);
      return undefined;
    }
    if (this.leftovers === undefined && this.sharedLinks === undefined && !this.hasUnconsumed()) return undefined;
    const extra: Record<string, ExtraValue[]> = {};
    const path = new Set([this.node.id]);
    try {
      for (const [predicate, values] of this.node.properties) {
        if (!this.isConsumed(predicate, values)) extra[predicate] = values.map((v) => this.extraValue(v, path, predicate, 1));
      }
      for (const [predicate, values] of this.leftovers ?? []) {
        extra[predicate] = values.map((v) => this.extraValue(v, path, predicate, 1));
      }
      for (const [predicate, id] of this.sharedLinks ?? []) {
        this.keeper.spend(predicate);
        (extra[predicate] ??= []).push({ '@id': id });
      }
    } catch (error: unknown) {
      if (!(error instanceof OverLimit)) throw error;
      this.refuse(error.code, error.path, error.message);
      return undefined;
    }
    return Object.keys(extra).length > 0 ? extra : undefined;
  }

  private isConsumed(predicate: string, values: readonly Term[]): boolean {
    // `rdf:type` as a property (an RDF reader's) is the node's types, read as such.
    return predicate === RDF_TYPE || (this.consumed !== undefined && this.consumed.includes(values));
  }

  private hasUnconsumed(): boolean {
    for (const [predicate, values] of this.node.properties) if (!this.isConsumed(predicate, values)) return true;
    return false;
  }

  /** Refuses the resource; the blank nodes it reaches go with it, rather than each becoming a resource of its own. */
  private refuse(code: ProblemCode, path: string, message: string): void {
    this.reportPath('extra', path, code, message);
    this.keeper.swallow(this.graph, this.node.id);
  }

  /**
   * One kept value. Recursion is safe here: it stops at {@link MAX_EXTRA_DEPTH}, and every value kept is
   * paid for from the document's budget, so a blank node shared many times cannot multiply the output.
   */
  private extraValue(term: Term, path: Set<string>, predicate: string, depth: number): ExtraValue {
    this.keeper.spend(predicate);
    if (term.kind === 'literal') return literalValue(term);
    const target = term.id.startsWith('_:') ? this.graph.nodes.get(term.id) : undefined;
    // Blank nodes are embedded (they have no name to link to); a cycle of blank nodes is cut with a link.
    if (target === undefined || path.has(target.id)) return { '@id': term.id };
    if (depth >= MAX_EXTRA_DEPTH) {
      throw new OverLimit('too-deep', shortName(predicate), `blank nodes nest more than ${MAX_EXTRA_DEPTH} levels deep`);
    }
    const overfull = this.graph.overfull.get(target.id);
    if (overfull !== undefined) {
      throw new OverLimit('too-many-values', shortName(predicate),
        `a blank node under ${shortName(predicate)} has more than ${valueLimitOf(overfull)} values of ${shortName(overfull)}`);
    }
    this.inlined.add(target.id);
    const properties: Record<string, ExtraValue[]> = {};
    path.add(target.id);
    for (const [inner, values] of target.properties) properties[inner] = values.map((v) => this.extraValue(v, path, predicate, depth + 1));
    path.delete(target.id);
    return target.types.length > 0 ? { '@type': [...target.types], properties } : { properties };
  }
}

/** Thrown inside {@link NodeReader.extra} when a limit is reached; the reader turns it into a problem. */
class OverLimit extends Error {
  public constructor(
    public readonly code: ProblemCode,
    public readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * What the readers of one document share: the nodes read inline (so they are not kept again as resources),
 * the budget of values the document's unmodelled properties may keep, and the decode's deadline.
 */
class Keeper {
  public readonly inlined = new Set<string>();
  /**
   * Blank nodes given as a second value of a link read as one ({@link NodeReader.ref}): kept whole in that record's
   * extra, and so no record of their own (a second address of an enterprise), whatever kind they are.
   */
  public readonly seconds = new Set<string>();
  /** How many links each blank node has, counted over the graph on the first question. */
  private referenceCounts: Map<string, number> | undefined;

  /** How many links name a blank node, over the whole graph. */
  public references(graph: Graph, id: string): number {
    if (this.referenceCounts === undefined) {
      const counts = new Map<string, number>();
      for (const node of graph.nodes.values()) {
        for (const values of node.properties.values()) {
          for (const value of values) if (value.kind === 'ref' && value.id.startsWith('_:')) counts.set(value.id, (counts.get(value.id) ?? 0) + 1);
        }
      }
      this.referenceCounts = counts;
    }
    return this.referenceCounts.get(id) ?? 0;
  }
  /** Whether the document is an order request (see {@link ExtractOptions.orderRequest}). */
  public readonly orderRequest: boolean;
  /** Whether the document writes this node's own catalogue (see {@link ExtractOptions.catalogueWrite}). */
  public readonly catalogueWrite: boolean;
  /** Whether a stock or price is read strictly (see {@link ExtractOptions.strictSale}). */
  public readonly strictSale: boolean;
  /** The items and offers that say no stock (see {@link Extraction.unstatedStock}). */
  public readonly unstatedStock: Set<string>;
  /** The offers whose price is a bare number (see {@link Extraction.barePrices}). */
  public readonly barePrices: Set<string>;
  /** Nodes whose every reachable blank node is already in {@link inlined}: a walk stops there. */
  private readonly swallowed = new Set<string>();
  private readonly budget: number;
  private remaining: number;

  public constructor(
    graph: Graph,
    private readonly deadline: Deadline,
    orderRequest = false,
    catalogueWrite = false,
    strictSale = false,
  ) {
    this.orderRequest = orderRequest;
    this.catalogueWrite = catalogueWrite;
    this.strictSale = catalogueWrite || strictSale;
    this.unstatedStock = new Set();
    this.barePrices = new Set();
    this.budget = graph.valueCount * KEPT_VALUES_FACTOR + KEPT_VALUES_SLACK;
    this.remaining = this.budget;
  }

  /** Pays for one kept value, or throws when the document's budget is spent (or its time is up). */
  public spend(predicate: string): void {
    this.deadline.check();
    if (this.remaining <= 0) {
      throw new OverLimit('too-large', shortName(predicate),
        `keeps more unmodelled values than the document's budget of ${this.budget} (a blank node is kept once per link to it: blank nodes shared in a chain?)`);
    }
    this.remaining--;
  }

  /** Marks every blank node reachable from `id` as read, iteratively and at most once per node per document. */
  public swallow(graph: Graph, id: string): void {
    const stack = [id];
    while (stack.length > 0) {
      const current = graph.nodes.get(stack.pop() as string);
      if (current === undefined || this.swallowed.has(current.id)) continue;
      this.swallowed.add(current.id);
      if (current.id !== id) this.inlined.add(current.id);
      for (const values of current.properties.values()) {
        for (const value of values) if (value.kind === 'ref' && value.id.startsWith('_:')) stack.push(value.id);
      }
    }
  }
}

function literalValue(term: LiteralTerm): ExtraValue {
  if (term.language !== undefined) return { '@value': term.value, '@language': term.language };
  if (term.datatype !== undefined) return { '@value': term.value, '@type': term.datatype };
  return { '@value': term.value };
}

function describe(term: Term): string {
  if (term.kind === 'ref') return `<${term.id}>`;
  // JSON reads 1e400 as Infinity, which JSON.stringify writes as null: say what it is.
  if (typeof term.value === 'number' && !Number.isFinite(term.value)) return `${String(term.value)} (a number too large to hold, such as 1e400)`;
  return JSON.stringify(term.value);
}

/** A value as {@link NodeReader.string} reads it: an IRI or the literal's text. */
function textOf(term: Term): string {
  return term.kind === 'ref' ? term.id : String(term.value);
}

/** How many of a property's different values a `conflicting-values` problem shows (there may be thousands). */
const SHOWN_VALUES = 5;

function primaryKind(node: GraphNode): Exclude<RecordKind, 'Resource'> | undefined {
  for (const type of node.types) {
    const kind = KIND_OF_TYPE.get(type);
    if (kind !== undefined) return kind;
  }
  return undefined;
}

/** What a SaleSession says of itself (its reader's properties), moved with it off an Order that shares its `@id`. */
const SALE_SESSION_PROPERTIES: readonly string[] = [DFC_B.beginDate, DFC_B.startDate, DFC_B.endDate, DFC_B.lists];

/**
 * Gives a SaleSession that shares its `@id` with the Order of an order request a node of its own (blank), which the
 * Order belongs to. Open Food Network derives both from a product's `@id` by replacing `/SuppliedProducts` (with
 * `/Orders` for the order, `/SalesSession/#` for its session): under a catalogue of another spelling
 * (`…/supplied_products`) both become the collection's URL, one node in RDF, and the order was refused as an Order
 * and a SaleSession at once.
 */
function splitSaleSessions(graph: Graph): void {
  for (const node of [...graph.nodes.values()]) {
    if (!node.types.includes(DFC_B.Order) || !node.types.includes(DFC_B.SaleSession)) continue;
    const session: GraphNode = { id: graph.freshBlank(), types: [DFC_B.SaleSession], properties: new Map(), origin: node.origin };
    node.types.splice(node.types.indexOf(DFC_B.SaleSession), 1);
    for (const predicate of SALE_SESSION_PROPERTIES) {
      const values = node.properties.get(predicate);
      if (values === undefined) continue;
      session.properties.set(predicate, values);
      node.properties.delete(predicate);
    }
    const link: Term = { kind: 'ref', id: session.id };
    const belongsTo = node.properties.get(DFC_B.belongsTo) ?? [];
    // The order belongs to its session: its link to itself was that session.
    const others = belongsTo.filter((term) => term.kind !== 'ref' || term.id !== node.id);
    node.properties.set(DFC_B.belongsTo, [...(others.length < belongsTo.length || others.length === 0 ? [link] : []), ...others]);
    graph.nodes.set(session.id, session);
  }
}

/**
 * Extracts the records of a graph.
 *
 * @param graph - a document's graph, canonical IRIs
 * @param options - defaults for what the wire may leave out, and the decode's deadline
 * @throws DecodeTimeoutError when the deadline passes
 */
export function extractRecords(graph: Graph, options: ExtractOptions): Extraction {
  const problems: Problem[] = [];
  const deadline = options.deadline ?? Deadline.none();
  if (options.orderRequest === true) splitSaleSessions(graph);
  const keeper = new Keeper(graph, deadline, options.orderRequest === true, options.catalogueWrite === true, options.strictSale === true);
  const inlined = keeper.inlined;
  const invalidFields = new Map<string, Set<string>>();
  const drafts: Draft<DfcRecord>[] = [];
  const references: string[] = [];
  const envelopes: ResourceRecord[] = [];

  // Nodes of no record kind, in document order: read once the records are (a price is read inline by its offer).
  const others: GraphNode[] = [];
  // In an order request, every node that says it is an Order, whatever else it is (a bare reference too).
  const orders: GraphNode[] | undefined = keeper.orderRequest ? [] : undefined;
  for (const node of graph.nodes.values()) {
    deadline.check();
    const kind = primaryKind(node);
    if (kind === undefined) {
      others.push(node);
      continue;
    }
    if (orders !== undefined && node.types.includes(DFC_B.Order)) orders.push(node);
    if (isReference(node)) {
      references.push(node.id);
      continue;
    }
    const typeName = kind === 'Enterprise' && node.types.includes(DFC_B.Organization) ? 'dfc-b:Organization' : TYPE_NAME_OF[kind];
    const reader = new NodeReader(graph, node, problems, typeName, keeper);
    // One type (the usual case) cannot conflict.
    if (node.types.length > 1) {
      const kinds = new Set(node.types.map((t) => KIND_OF_TYPE.get(t)).filter((k) => k !== undefined));
      if (kinds.size > 1) {
        // A node cannot be both an Offer and a SuppliedProduct: reading it as either would be wrong.
        reader.reportPath('types', '@type', 'conflicting-types', `the types say this is ${[...kinds].map((k) => `a ${k}`).join(' and ')} at once`);
      }
    }
    const draft = READERS[kind](reader, options);
    const kindTypes = TYPES_OF_KIND.get(kind) as readonly string[];
    const extraTypes = node.types.length === 1 && kindTypes.includes(node.types[0] as string) ? NO_TYPES : node.types.filter((t) => !kindTypes.includes(t));
    if (extraTypes.length > 0) draft.extraTypes = extraTypes;
    if (reader.languages !== undefined) draft.languages = reader.languages;
    const extra = reader.extra();
    if (extra !== undefined) draft.extra = extra;
    if (reader.invalid !== undefined) invalidFields.set(node.id, reader.invalid);
    drafts.push(draft);
  }
  if (orders !== undefined && orders.length > 1) reportSecondOrders(orders, problems);
  // What is neither a record nor read inline is kept whole: an aggregator may relay classes we do not model.
  // Nodes nobody links to go first, so that a chain of blank nodes is read once from its head rather than
  // from each of its links in turn; blank nodes only reachable through a cycle come last.
  // A node read inline by a record (a price, a pack size) is skipped wherever it comes: left out before ordering,
  // the usual document (every such node inline) needs no ordering at all.
  const rest = others.filter((node) => !inlined.has(node.id));
  const linked = new Set<string>();
  if (rest.length > 0) {
    for (const node of graph.nodes.values()) {
      for (const values of node.properties.values()) {
        for (const value of values) if (value.kind === 'ref' && value.id.startsWith('_:')) linked.add(value.id);
      }
    }
  }
  for (const node of [...rest.filter((n) => !linked.has(n.id)), ...rest.filter((n) => linked.has(n.id))]) {
    deadline.check();
    if (inlined.has(node.id)) continue;
    if (isReference(node)) {
      references.push(node.id);
      continue;
    }
    // Containers and paging views are envelopes of a response, not data: kept apart.
    if (node.types.some((t) => ENVELOPE_TYPES.has(t))) {
      const envelope: Draft<ResourceRecord> = { kind: 'Resource', id: node.id as NodeId, types: [...node.types] };
      const extra = new NodeReader(graph, node, problems, shortName(node.types[0] as string), keeper).extra();
      if (extra !== undefined) envelope.extra = extra;
      envelopes.push(envelope as ResourceRecord);
      continue;
    }
    if (node.id.startsWith('_:') && node.types.some((t) => INLINE_TYPES.has(t))) continue;
    const reader = new NodeReader(graph, node, problems, node.types[0] !== undefined ? shortName(node.types[0]) : 'rdfs:Resource', keeper);
    const draft: Draft<ResourceRecord> = { kind: 'Resource', id: node.id as NodeId, types: [...node.types] };
    const extra = reader.extra();
    if (extra !== undefined) draft.extra = extra;
    drafts.push(draft);
  }
  // Blank nodes embedded in another resource's extra were pushed before we knew; drop them now.
  // So are the blank second values of a link read as one, kept whole in their record's extra (a second address).
  const seconds = keeper.seconds;
  const records = (rest.length === 0 && seconds.size === 0 ? drafts
    : drafts.filter((d) => !(inlined.has(d.id) && (d.kind === 'Resource' || seconds.has(d.id))))) as DfcRecord[];
  completeLinks(records as Draft<DfcRecord>[]);
  return { records, problems, invalidFields, references, envelopes, unstatedStock: keeper.unstatedStock, ...(keeper.barePrices.size > 0 ? { barePrices: keeper.barePrices } : {}) };
}

/**
 * Reports each Order of an order request after the first: a request places or changes one order, and which of
 * two it means would be a guess (a second one as a bare reference is no less a second Order).
 */
function reportSecondOrders(orders: readonly GraphNode[], problems: Problem[]): void {
  const first = (orders[0] as GraphNode).id;
  for (const order of orders.slice(1)) {
    problems.push(problem('conflicting-values', order.id, TYPE_NAME_OF.Order, '@type',
      `a second dfc-b:Order in one order request (the first is <${first}>): a request holds one Order`));
  }
}

type Reader = (r: NodeReader, options: ExtractOptions) => Draft<DfcRecord>;

function optional<T extends object>(target: T, values: Record<string, unknown>): T {
  for (const key in values) {
    const value = values[key];
    if (value !== undefined) (target as Record<string, unknown>)[key] = value;
  }
  return target;
}

function readStock(r: NodeReader): number | null {
  const predicates = [DFC_B.stockLimitation];
  const terms = r.terms(predicates);
  if (terms.length === 0) r.stockUnstated();
  // Not read when ambiguous: the resource is refused with the problem, and its stock is not null (on demand) either.
  if (r.conflicting('stock', predicates, terms, quantityMeaning, r.strictSale)) return 0;
  const stock = stockOf(r.number('stock', predicates, STOCK_LABEL));
  // This node's own stock is what its orders take, a thousandth at a time: a finer one could never be ordered.
  if (r.catalogueWrite && stock !== null && !inThousandths(stock)) {
    r.reportPath('stock', shortName(DFC_B.stockLimitation), 'invalid-value', `${STOCK_STEP_MESSAGE}, not ${stock}`);
    return 0;
  }
  return stock;
}

function readQuantity(r: NodeReader, field: string, predicates: readonly string[]): Quantity | undefined {
  const term = r.terms(predicates)[0];
  if (term === undefined) return undefined;
  // A second pack size is kept, and written out again (it was dropped without a word).
  r.keepRest(predicates, term);
  const node = r.inline(term);
  if (node === undefined) {
    const predicate = predicates[0] as string;
    // A bare number (`"dfc-b:hasQuantity": 2`) says no unit: 2 what? It is no pack size, but it is what the peer
    // said: kept as written, with a warning (it was dropped without a word).
    if (term.kind === 'literal' && toNumber(term) !== undefined) {
      r.keepUnread(predicate, term, 'invalid-value', `${shortName(predicate)} is a number with no unit (${describe(term)}): it cannot be read as a pack `
        + 'size, which is a dfc-b:QuantitativeValue with dfc-b:value and dfc-b:hasUnit (dfc-m:Kilogram, dfc-m:Piece…); kept as written');
      return undefined;
    }
    r.number(field, predicates, `${shortName(predicate)}`);
    return undefined;
  }
  const valueTerm = firstValue(node, DFC_B.value);
  const unit = firstValue(node, DFC_B.hasUnit);
  const value = valueTerm === undefined ? undefined : toNumber(valueTerm);
  if (valueTerm === undefined || value === undefined) {
    r.reportPath(field, `${shortName(predicates[0] as string)}/dfc-b:value`, valueTerm === undefined ? 'missing-property' : 'not-a-number',
      valueTerm === undefined ? 'quantity has no value' : `quantity value is not a number: ${describe(valueTerm)}`);
    return undefined;
  }
  if (unit?.kind !== 'ref') {
    r.reportPath(field, `${shortName(predicates[0] as string)}/dfc-b:hasUnit`, unit === undefined ? 'missing-property' : 'invalid-value', unit === undefined
      ? 'quantity has no unit (dfc-b:hasUnit)' : `quantity unit is text (${describe(unit)}), not a unit of the DFC measures (dfc-m:Kilogram, dfc-m:Piece…)`);
    return undefined;
  }
  const extra = r.inlineExtra(node, [DFC_B.value, DFC_B.hasUnit]);
  return extra === undefined ? { value, unit: unit.id as Iri } : { value, unit: unit.id as Iri, extra };
}

/** The first value of a property of an inline node (a price's value, a pack size's unit). */
function firstValue(node: GraphNode, predicate: string): Term | undefined {
  return node.properties.get(predicate)?.[0];
}

function readPrice(r: NodeReader, options: ExtractOptions): Price | undefined {
  const terms = r.terms([DFC_B.hasPrice]);
  const term = terms[0];
  if (term === undefined) return undefined;
  // A write of our own catalogue says one price (as one stock): two different ones are refused, never the first kept;
  // so does a peer's page read strictly (two prices for one offer are no price to list or sell at).
  if (r.conflictingAt('price', 'dfc-b:hasPrice', terms, (t) => priceMeaning(r, t, options), r.strictSale, (t) => priceShown(r, t))) return undefined;
  // Where the first is read (a peer's document), the others are kept, and written out again.
  r.keepRest([DFC_B.hasPrice], term);
  if (term.kind === 'literal') {
    const value = toNumber(term);
    if (value === undefined) {
      r.reportPath('price', 'dfc-b:hasPrice', 'not-a-number', `price is not a number: ${describe(term)}`);
      return undefined;
    }
    r.priceBare();
    return barePrice(value, options.defaultCurrency);
  }
  const node = r.inline(term);
  if (node === undefined) {
    r.reportPath('price', 'dfc-b:hasPrice', 'dangling-link', `price <${term.id}> is not in the document`);
    return undefined;
  }
  const strict = r.strictSale;
  if (r.conflictingAt('price', 'dfc-b:hasPrice/dfc-b:value', node.properties.get(DFC_B.value) ?? [], quantityMeaning, strict)
    || r.conflictingAt('price', 'dfc-b:hasPrice/dfc-b:hasUnit', node.properties.get(DFC_B.hasUnit) ?? [], (t) => currencyOf(t) ?? describe(t), strict)
    || r.conflictingAt('price', 'dfc-b:hasPrice/dfc-b:VATrate', node.properties.get(DFC_B.VATrate) ?? [], quantityMeaning, strict)) return undefined;
  const valueTerm = firstValue(node, DFC_B.value);
  const value = valueTerm === undefined ? undefined : toNumber(valueTerm);
  if (value === undefined) {
    r.reportPath('price', 'dfc-b:hasPrice/dfc-b:value', valueTerm === undefined ? 'missing-property' : 'not-a-number',
      valueTerm === undefined ? 'price has no value (dfc-b:value)' : `price is not a number: ${describe(valueTerm)}`);
    return undefined;
  }
  const currencyTerm = firstValue(node, DFC_B.hasUnit);
  const currency = currencyTerm === undefined ? undefined : currencyOf(currencyTerm);
  if (currency === undefined) {
    r.reportPath('price', 'dfc-b:hasPrice/dfc-b:hasUnit', currencyTerm === undefined ? 'missing-property' : 'invalid-value',
      currencyTerm === undefined ? 'price has no currency (dfc-b:hasUnit)' : `price currency is neither an IRI nor an ISO 4217 code: ${describe(currencyTerm)}`);
    return undefined;
  }
  const vatTerm = firstValue(node, DFC_B.VATrate);
  const vatRate = vatTerm === undefined ? undefined : toNumber(vatTerm);
  if (vatTerm !== undefined && vatRate === undefined) {
    r.reportPath('price', 'dfc-b:hasPrice/dfc-b:VATrate', 'not-a-number', `VAT rate is not a number: ${describe(vatTerm)}`);
  }
  return optional({ value, currency } as Price, { vatRate, extra: r.inlineExtra(node, [DFC_B.value, DFC_B.hasUnit, DFC_B.VATrate]) });
}

/**
 * What a price term says, to tell two apart: a bare number, or a price node's values, currency and VAT rate (two
 * blank nodes saying the same are one price).
 */
function priceMeaning(r: NodeReader, term: Term, options: ExtractOptions): string {
  if (term.kind === 'literal') {
    const value = toNumber(term);
    return value === undefined ? describe(term) : `${value} ${barePrice(value, options.defaultCurrency).currency} `;
  }
  const node = r.inline(term);
  if (node === undefined) return describe(term);
  const all = (predicate: string, meaning: (t: Term) => string | number): string =>
    [...new Set((node.properties.get(predicate) ?? []).map(meaning))].sort().join('|');
  return [all(DFC_B.value, quantityMeaning), all(DFC_B.hasUnit, (t) => currencyOf(t) ?? describe(t)), all(DFC_B.VATrate, quantityMeaning)].join(' ');
}

/** A price as a conflict shows it: `7 dfc-m:Euro` for a price node (not its blank node's label), else the value. */
function priceShown(r: NodeReader, term: Term): string {
  const node = term.kind === 'ref' ? r.inline(term) : undefined;
  if (node === undefined) return describe(term);
  const all = (predicate: string, shown: (t: Term) => string): string => (node.properties.get(predicate) ?? []).map(shown).join('|');
  return [all(DFC_B.value, describe), all(DFC_B.hasUnit, (t) => (t.kind === 'ref' ? shortName(t.id) : describe(t)))].filter((s) => s !== '').join(' ');
}

/** An ISO 4217 currency code: three letters. */
const CURRENCY_CODE = /^[A-Za-z]{3}$/u;

/**
 * The currency of a price as people write it: a `dfc-m:` IRI, an ISO 4217 code as a literal (`"GBP"`) or in the
 * measures namespace (`dfc-m:GBP`), mapped to the taxonomy's currency (`dfc-m:PoundSterling`). A code that is no
 * DFC currency is kept as `dfc-m:CODE` (the validator warns about it); a literal that is no code is no currency.
 */
export function currencyOf(term: Term): Iri | undefined {
  if (term.kind === 'ref') {
    const local = term.id.startsWith(DFC_M_NS) ? term.id.slice(DFC_M_NS.length) : undefined;
    return (local !== undefined && CURRENCY_CODE.test(local) ? currencyOfCode(local) : undefined) ?? (term.id as Iri);
  }
  if (typeof term.value !== 'string' || !CURRENCY_CODE.test(term.value.trim())) return undefined;
  return currencyOfCode(term.value) ?? (`${DFC_M_NS}${term.value.trim().toUpperCase()}` as Iri);
}

/** A country as people write it: an IRI is kept; an ISO code or name becomes the EU authority's IRI. */
function readCountry(r: NodeReader): string | undefined {
  const written = r.string('country', [DFC_B.hasCountry, DFC_B.country]);
  return written === undefined ? undefined : (countryIri(written) ?? written);
}

/**
 * A date: ISO 8601 kept as written, the JavaScript spelling some platforms send made ISO 8601. `one`: read as one
 * value in an order request (two spellings of one instant are one date; two instants are {@link NodeReader.conflicting}).
 */
function readDate(r: NodeReader, field: string, predicates: readonly string[], one = false): string | undefined {
  if (one && r.conflicting(field, predicates, r.terms(predicates), (term) => isoDate(textOf(term)))) return undefined;
  const written = r.string(field, predicates);
  return written === undefined ? undefined : isoDate(written);
}

function readPhone(r: NodeReader): string | undefined {
  const term = r.terms([DFC_B.hasPhoneNumber])[0];
  if (term === undefined) return undefined;
  // The others are kept, and written out again (a second number was dropped without a word).
  r.keepRest([DFC_B.hasPhoneNumber], term);
  if (term.kind === 'literal') return String(term.value);
  const node = r.inline(term);
  const number = node?.properties.get(DFC_B.phoneNumber)?.[0];
  return number?.kind === 'literal' ? String(number.value) : undefined;
}

/** Where an order line's quantity is written: a number (the TypeScript connector, OFN) or a QuantitativeValue. */
const LINE_QUANTITY: readonly string[] = [DFC_B.quantity, DFC_B.hasQuantity];

/** Every quantity an order line gives: each bare value, and each value of each QuantitativeValue it links to. */
function lineQuantities(r: NodeReader): Term[] {
  const values: Term[] = [];
  for (const term of r.terms(LINE_QUANTITY)) {
    const node = r.inline(term);
    // A bare value, or a link to a node the document does not hold (which is not read as a quantity either).
    if (node === undefined) values.push(term);
    else for (const value of node.properties.get(DFC_B.value) ?? NO_TERMS) values.push(value);
  }
  return values;
}

/** A quantity's number (`2` and `"2"` are one quantity), or the value as written when it is none. */
/**
 * An Offer's item: `dfc-b:offeredItem` (the connectors' name), else `dfc-b:offers` (the ontology's), each one value in
 * an order request. An order's echo names the product ordered by the first and the catalog item sold by the other
 * (see `OfferRecord.offeredItem`): a client sending it back sends both, which is no conflict; the first is read, as
 * before, and the other kept as said.
 */
function offerItem(r: NodeReader): NodeId | undefined {
  const offered = r.oneRef('item', [DFC_B.offeredItem]);
  if (offered === undefined) return r.oneRef('item', [DFC_B.offers]);
  const offers = r.terms([DFC_B.offers]);
  if (offers.length > 0) r.keepRest([DFC_B.offers], { kind: 'ref', id: offered });
  return offered;
}

function quantityMeaning(term: Term): string | number {
  return toNumber(term) ?? describe(term);
}

const READERS: Readonly<Record<Exclude<RecordKind, 'Resource'>, Reader>> = {
  Enterprise: (r) => optional<Draft<EnterpriseRecord>>({
    kind: 'Enterprise', id: r.node.id as NodeId,
    supplies: r.refs([DFC_B.supplies]), manages: r.refs([DFC_B.manages]), maintains: r.refs([DFC_B.maintains]),
    customerCategories: r.refs([DFC_B.defines]), affiliates: r.refs([DFC_B.affiliates]),
  }, {
    name: r.string('name', [DFC_B.name]),
    description: r.string('description', [DFC_B.hasDescription, DFC_B.description]),
    vatNumber: r.string('vatNumber', [DFC_B.VATnumber]),
    email: r.string('email', [DFC_B.email]),
    phone: readPhone(r),
    website: r.string('website', [DFC_B.websitePage]),
    logo: r.string('logo', [DFC_B.logo]),
    address: r.ref([DFC_B.hasAddress]),
    mainContact: r.ref([DFC_B.hasMainContact]),
  }),
  Address: (r) => optional<Draft<AddressRecord>>({ kind: 'Address', id: r.node.id as NodeId }, {
    street: r.string('street', [DFC_B.hasStreet, DFC_B.street]),
    postcode: r.string('postcode', [DFC_B.hasPostalCode, DFC_B.postcode]),
    city: r.string('city', [DFC_B.hasCity, DFC_B.city]),
    region: r.string('region', [DFC_B.region]),
    country: readCountry(r),
    latitude: r.number('latitude', [DFC_B.latitude], 'latitude'),
    longitude: r.number('longitude', [DFC_B.longitude], 'longitude'),
  }),
  Person: (r) => optional<Draft<PersonRecord>>({
    kind: 'Person', id: r.node.id as NodeId, affiliates: r.refs([DFC_B.affiliates]),
  }, {
    firstName: r.string('firstName', [DFC_B.firstName]),
    familyName: r.string('familyName', [DFC_B.familyName]),
    address: r.ref([DFC_B.hasAddress]),
  }),
  SuppliedProduct: (r) => optional<Draft<SuppliedProductRecord>>({
    kind: 'SuppliedProduct', id: r.node.id as NodeId,
    images: r.strings([DFC_B.image, DFC_B.Image]),
    variantOf: r.refs([DFC_B.isVariantOf]), variants: r.refs([DFC_B.hasVariant]),
    catalogItems: r.refs([DFC_B.referencedBy]),
  }, {
    name: r.string('name', [DFC_B.name]),
    description: r.string('description', [DFC_B.description, DFC_B.hasDescription]),
    productType: r.ref([DFC_B.hasType]),
    quantity: readQuantity(r, 'quantity', [DFC_B.hasQuantity]),
    totalTheoreticalStock: r.number('totalTheoreticalStock', [DFC_B.totalTheoreticalStock, DFC_B.totalTheoriticalStock], 'total theoretical stock'),
    suppliedBy: r.ref([DFC_B.suppliedBy]),
  }),
  CatalogItem: (r) => optional<Draft<CatalogItemRecord>>({
    kind: 'CatalogItem', id: r.node.id as NodeId, stock: readStock(r),
    offers: r.refs([DFC_B.offeredThrough]), listedIn: r.refs([DFC_B.listedIn]),
  }, {
    product: r.ref([DFC_B.references]),
    sku: r.string('sku', [DFC_B.sku]),
    managedBy: r.ref([DFC_B.managedBy]),
  }),
  Offer: (r, options) => optional<Draft<OfferRecord>>({ kind: 'Offer', id: r.node.id as NodeId, stock: readStock(r) }, {
    // An order line may be resolved by its Offer's item (and the item is echoed to the buyer): one, in an order.
    item: offerItem(r),
    price: readPrice(r, options),
    customerCategory: r.ref([DFC_B.offeredTo, DFC_B.offersTo]),
  }),
  Catalog: (r) => optional<Draft<CatalogRecord>>({ kind: 'Catalog', id: r.node.id as NodeId, items: r.refs([DFC_B.lists]) }, {
    name: r.string('name', [DFC_B.name]),
    maintainedBy: r.ref([DFC_B.maintainedBy]),
  }),
  CustomerCategory: (r) => optional<Draft<CustomerCategoryRecord>>({ kind: 'CustomerCategory', id: r.node.id as NodeId }, {
    name: r.string('name', [DFC_B.name]),
    description: r.string('description', [DFC_B.description, DFC_B.hasDescription]),
    definedBy: r.ref([DFC_B.definedBy]),
  }),
  SaleSession: (r) => optional<Draft<SaleSessionRecord>>({ kind: 'SaleSession', id: r.node.id as NodeId, offers: r.refs([DFC_B.lists]) }, {
    // An order records its sale session as sent: its dates are read as one in an order request.
    beginDate: readDate(r, 'beginDate', [DFC_B.beginDate, DFC_B.startDate], true),
    endDate: readDate(r, 'endDate', [DFC_B.endDate], true),
  }),
  Order: (r) => optional<Draft<OrderRecord>>({ kind: 'Order', id: r.node.id as NodeId, lines: r.refs([DFC_B.hasPart]) }, {
    orderNumber: r.string('orderNumber', [DFC_B.orderNumber]),
    date: readDate(r, 'date', [DFC_B.date]),
    // What the order service records and acts on is read as one value in an order request (`oneRef`, `oneString`).
    orderedBy: r.oneRef('orderedBy', [DFC_B.orderedBy]),
    soldBy: r.ref([DFC_B.soldBy]),
    saleSession: r.oneRef('saleSession', [DFC_B.belongsTo]),
    orderStatus: r.oneString('orderStatus', [DFC_B.hasOrderStatus]),
    paymentStatus: r.string('paymentStatus', [DFC_B.hasPaymentStatus]),
    fulfilmentStatus: r.string('fulfilmentStatus', [DFC_B.hasFulfilmentStatus]),
  }),
  OrderLine: (r, options) => {
    const line = optional<Draft<OrderLineRecord>>({ kind: 'OrderLine', id: r.node.id as NodeId }, {
      order: r.oneRef('order', [DFC_B.partOf]),
      offer: r.oneRef('offer', [DFC_B.concerns]),
      price: readPrice(r, options),
    });
    // Two quantities (`[1, 2]`, or one line's node sent twice, which JSON-LD merges) would reserve a guess.
    if (r.orderRequest && r.conflicting('quantity', LINE_QUANTITY, lineQuantities(r), quantityMeaning)) return line;
    // The TypeScript connector sends `quantity: "2"`; the 1.15+ ontology and OFN a QuantitativeValue.
    const bare = r.terms([DFC_B.quantity])[0];
    if (bare !== undefined) {
      const node = r.inline(bare);
      if (node === undefined) {
        const value = r.number('quantity', [DFC_B.quantity], 'quantity (dfc-b:quantity)');
        if (value !== undefined) line.quantity = value;
        return line;
      }
    }
    const term = r.terms([DFC_B.hasQuantity, DFC_B.quantity]).find((t) => t.kind === 'ref');
    if (term !== undefined) {
      const node = r.inline(term);
      const valueTerm = node?.properties.get(DFC_B.value)?.[0];
      const value = valueTerm === undefined ? undefined : toNumber(valueTerm);
      if (value === undefined) r.reportPath('quantity', 'dfc-b:hasQuantity/dfc-b:value', 'not-a-number', 'order line quantity is not a number');
      else line.quantity = value;
      const unit = node?.properties.get(DFC_B.hasUnit)?.[0];
      if (unit?.kind === 'ref') line.quantityUnit = unit.id as Iri;
    }
    return line;
  },
};

/**
 * Completes every link both ways, from the inverse-property table: a list end gets the record added (once),
 * a single end is set only when the document left it out.
 *
 * @param records - every record of one document, changed in place
 */
export function completeLinks(records: Draft<DfcRecord>[]): void {
  const byId = new Map<string, Draft<DfcRecord>>();
  for (let r = 0; r < records.length; r++) {
    const record = records[r] as Draft<DfcRecord>;
    byId.set(record.id, record);
  }
  // Link lists can hold thousands of ids (an enterprise managing its whole catalogue): a long one is indexed once;
  // a short one (nearly all: a product's one catalogue item) is scanned, cheaper than building a set for it.
  const members = new Map<NodeId[], Set<NodeId>>();
  const addTo = (list: NodeId[], id: NodeId): void => {
    if (list.length < SCAN_LIMIT) {
      if (!list.includes(id)) list.push(id);
      return;
    }
    let set = members.get(list);
    if (set === undefined) {
      set = new Set(list);
      members.set(list, set);
    }
    if (!set.has(id)) {
      set.add(id);
      list.push(id);
    }
  };
  const link = (record: Draft<DfcRecord>, id: NodeId, other: LinkEnd): void => {
    const target = byId.get(id);
    if (target?.kind !== other.kind) return;
    const targetFields = target as unknown as Record<string, NodeId | NodeId[] | undefined>;
    if (other.many) addTo(targetFields[other.field] as NodeId[], record.id);
    else if (targetFields[other.field] === undefined) targetFields[other.field] = record.id;
  };
  // Index loops, not `for…of` with destructuring: this runs for every link of every record of a catalogue, and the
  // iterators were a third of a direct decode's garbage.
  for (let r = 0; r < records.length; r++) {
    const record = records[r] as Draft<DfcRecord>;
    const ends = ENDS_OF_KIND.get(record.kind);
    if (ends === undefined) continue;
    const fields = record as unknown as Record<string, NodeId | NodeId[] | undefined>;
    for (let e = 0; e < ends.length; e++) {
      const pair = ends[e] as readonly [LinkEnd, LinkEnd];
      const own = pair[0];
      const other = pair[1];
      const value = fields[own.field];
      if (value === undefined) continue;
      if (Array.isArray(value)) for (let i = 0; i < value.length; i++) link(record, value[i] as NodeId, other);
      else link(record, value as NodeId, other);
    }
  }
}

/** Longest link list {@link completeLinks} scans rather than indexes. */
const SCAN_LIMIT = 16;

/** The link ends of each kind of record, and their other ends. */
const ENDS_OF_KIND: ReadonlyMap<RecordKind, readonly (readonly [LinkEnd, LinkEnd])[]> = (() => {
  const endsOf = new Map<RecordKind, (readonly [LinkEnd, LinkEnd])[]>();
  for (const ends of LINK_ENDS) endsOf.set(ends[0].kind, [...(endsOf.get(ends[0].kind) ?? []), ends]);
  return endsOf;
})();
