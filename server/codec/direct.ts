/**
 * The direct reader: the common DFC document read straight from parsed JSON into records, without the
 * {@link Graph} and the extractor in between.
 *
 * Nearly every catalogue on the wire is one built-in DFC context named by URL, a flat `@graph` of enterprises,
 * products, catalogue items and offers with absolute `@id`s, one type each, one value per field, and prices and pack
 * sizes as small blank nodes. For those, the general path (the one-pass reader of `read-jsonld.ts`, then
 * `extract.ts`) builds a node, a property map and a term per value only to read them back at once: measured on a
 * 5,000-offer catalogue that is more than half of the decode, and most of its garbage.
 *
 * This reader only accepts what it fully understands, and answers `undefined` for anything else, so the document
 * goes the general way: a key it does not know (or a key it knows twice), a field in an unexpected shape (an array
 * where one value is read, a number written as text, `null`, an empty list), an `@id` that is relative, blank or a
 * compact IRI, two nodes with one `@id`, a second type or an unknown one, a link that is not absolute, a price or a
 * pack size that is anything but its three plain fields, a number JSON reads as Infinity, any other keyword. What
 * it accepts, it reads to exactly the records the general path would: the same fields in the same order, links
 * completed by the same function, and no problem (a document with one goes the general way, which reports it).
 * `test/unit/codec/direct.test.ts` holds it to that, decoding every document both ways.
 *
 * @packageDocumentation
 */
import { isAbsoluteIri, type Iri, type NodeId } from '../../ontology/iri.js';
import type { DfcRecord, Price, Quantity } from '../../ontology/records.js';
import { DFC_B } from '../../ontology/vocabulary.js';
import type { ContextRegistry } from './context-registry.js';
import { completeLinks, currencyOf, type Draft, type Extraction } from './extract.js';
import { Graph } from './graph.js';
import { MAX_VALUES_PER_PROPERTY, type Deadline } from './limits.js';
import { builtInContextTerms, type TermDefinition } from './read-jsonld.js';
import { stockOf } from './values.js';

/** The record kinds this reader builds; any other type sends the document the general way. */
type Kind = 'Enterprise' | 'SuppliedProduct' | 'CatalogItem' | 'Offer';

/** How a field's value is written, and read. */
type Shape =
  /** One text literal. */
  | 'text'
  /** One link. */
  | 'link'
  /** Links: one, or an array of them (never two spellings: its slot is filled once). */
  | 'links'
  /** One finite JSON number. */
  | 'number'
  /** A blank `dfc-b:Price` node. */
  | 'price'
  /** A blank `dfc-b:QuantitativeValue` node. */
  | 'quantity';

/** One field of a record kind: the slot it fills and the predicates (canonical IRIs) that write it. */
interface Field {
  readonly slot: number;
  readonly shape: Shape;
}

/**
 * The fields of each kind, in the order of the extractor's readers (`READERS` in `extract.ts`). Predicates sharing
 * a slot are two spellings of one field: a node that writes both with different values goes the general way (which
 * reads the first by the order of its reader and keeps the other in `extra`).
 */
const FIELDS: Readonly<Record<Kind, readonly (readonly [Shape, ...string[]])[]>> = {
  Enterprise: [
    ['links', DFC_B.supplies], ['links', DFC_B.manages], ['links', DFC_B.maintains], ['links', DFC_B.defines],
    ['links', DFC_B.affiliates], ['text', DFC_B.name], ['text', DFC_B.hasDescription, DFC_B.description],
    ['text', DFC_B.VATnumber], ['text', DFC_B.email], ['text', DFC_B.websitePage], ['text', DFC_B.logo],
    ['link', DFC_B.hasAddress], ['link', DFC_B.hasMainContact],
  ],
  SuppliedProduct: [
    ['links', DFC_B.isVariantOf], ['links', DFC_B.hasVariant], ['links', DFC_B.referencedBy], ['text', DFC_B.name],
    ['text', DFC_B.description, DFC_B.hasDescription], ['link', DFC_B.hasType], ['quantity', DFC_B.hasQuantity],
    ['number', DFC_B.totalTheoreticalStock, DFC_B.totalTheoriticalStock], ['link', DFC_B.suppliedBy],
  ],
  CatalogItem: [
    ['number', DFC_B.stockLimitation], ['links', DFC_B.offeredThrough], ['links', DFC_B.listedIn],
    ['link', DFC_B.references], ['text', DFC_B.sku], ['link', DFC_B.managedBy],
  ],
  Offer: [
    ['number', DFC_B.stockLimitation], ['link', DFC_B.offeredItem, DFC_B.offers], ['price', DFC_B.hasPrice],
    ['link', DFC_B.offeredTo, DFC_B.offersTo],
  ],
};

/** The kind of each class this reader takes (`dfc-b:Organization` is left to the general path). */
const KIND_OF_CLASS: ReadonlyMap<string, Kind> = new Map<string, Kind>([
  [DFC_B.Enterprise, 'Enterprise'], [DFC_B.SuppliedProduct, 'SuppliedProduct'],
  [DFC_B.CatalogItem, 'CatalogItem'], [DFC_B.Offer, 'Offer'],
]);

/** Per kind: canonical predicate → field. */
const FIELD_OF: ReadonlyMap<Kind, ReadonlyMap<string, Field>> = new Map(
  (Object.keys(FIELDS) as Kind[]).map((kind) => {
    const fields = new Map<string, Field>();
    FIELDS[kind].forEach(([shape, ...predicates], slot) => {
      for (const predicate of predicates) fields.set(predicate, { slot, shape });
    });
    return [kind, fields] as const;
  }),
);

/** How many slots the widest kind has. */
const SLOTS = Math.max(...Object.values(FIELDS).map((f) => f.length));

/** A key of a node as this reader reads it: its canonical predicate, and whether its strings are links. */
interface Key {
  readonly predicate: string;
  readonly link: boolean;
  /** Whether a string under it may be text rather than a link (the general path's `TEXT_OR_IRI`). */
  readonly textOrLink: boolean;
}

/** The general path's properties whose strings may be text: this reader takes them only as links, inside a price or pack size. */
const TEXT_OR_LINK = new Set<string>([DFC_B.hasCountry, DFC_B.country, DFC_B.hasPhoneNumber, DFC_B.hasUnit]);

/** The value fields of a blank price or pack size. */
const INLINE_VALUE = 0;
const INLINE_UNIT = 1;
const INLINE_VAT = 2;

/** Thrown (and caught in {@link readDirect}) for anything this reader does not fully understand. */
class NotDirect extends Error {}
const NOT_DIRECT = new NotDirect('not for the direct reader');

const SLASH = 0x2f;
/** Prefixes the general path reports when no context defines them (`missing-context`). */
const DFC_PREFIXES = new Set(['dfc', 'dfc-b', 'dfc-t', 'dfc-m', 'dfc-pt', 'dfc-f', 'dfc-v']);

/** What one document's read shares: its terms, memos and the graph used for canonical IRIs. */
class DirectReader {
  /** Canonical IRIs, memoised as the general path does (`Graph.iri`): the same function, so the same answers. */
  private readonly canonical = new Graph();
  private readonly keys = new Map<string, Key | null>();
  private readonly classes = new Map<string, string | null>();
  /** Compact links (`dfc-m:Gram`) and what they expand to. */
  private readonly links = new Map<string, string>();
  private readonly ids = new Set<string>();
  /** Absolute IRIs met, and their canonical form ({@link absolute}). */
  private readonly absolutes = new Map<string, string>();
  private readonly slots: unknown[] = new Array<unknown>(SLOTS);
  private readonly inline: unknown[] = [undefined, undefined, undefined];
  /** The catalog items and offers read so far that say no stock ({@link Extraction.unstatedStock}). */
  public readonly unstated: string[] = [];

  public constructor(
    private readonly terms: ReadonlyMap<string, TermDefinition>,
    private readonly deadline: Deadline,
  ) {}

  /**
   * A compact key or type (`dfc-b:name`) as the general path expands it with `vocab` (a term, else a defined
   * prefix); undefined for anything else (an IRI, a relative or blank one, an undefined prefix).
   */
  private expandVocab(value: string): TermDefinition | undefined {
    const term = this.terms.get(value);
    if (term !== undefined) return term;
    const colon = value.indexOf(':');
    if (colon <= 0 || (value.charCodeAt(colon + 1) === SLASH && value.charCodeAt(colon + 2) === SLASH)) return undefined;
    const prefix = this.terms.get(value.slice(0, colon));
    if (prefix === undefined) return undefined;
    const iri = prefix.iri + value.slice(colon + 1);
    return isAbsoluteIri(iri) && !iri.startsWith('_:') ? { iri, typeId: false } : undefined;
  }

  private key(name: string): Key {
    let key = this.keys.get(name);
    if (key === undefined) {
      const definition = name.startsWith('@') ? undefined : this.expandVocab(name);
      if (definition === undefined) key = null;
      else {
        const predicate = this.canonical.iri(definition.iri);
        key = { predicate, link: definition.typeId, textOrLink: definition.typeId && TEXT_OR_LINK.has(predicate) };
      }
      this.keys.set(name, key);
    }
    if (key === null) throw NOT_DIRECT;
    return key;
  }

  /** The canonical class of an `@type` value. */
  private class(value: unknown): string {
    if (typeof value !== 'string') throw NOT_DIRECT;
    let found = this.classes.get(value);
    if (found === undefined) {
      const definition = this.expandVocab(value);
      found = definition === undefined ? null : this.canonical.iri(definition.iri);
      this.classes.set(value, found);
    }
    if (found === null) throw NOT_DIRECT;
    return found;
  }

  /**
   * A link as the general path reads a string under an `@id`-typed key: an absolute IRI as written, a compact one
   * through a defined prefix, made canonical. Blank, relative and undefined-prefix ones are not for this reader.
   */
  private link(value: unknown): string {
    if (typeof value !== 'string') throw NOT_DIRECT;
    const colon = value.indexOf(':');
    if (colon <= 0) throw NOT_DIRECT;
    if (value.charCodeAt(colon + 1) === SLASH && value.charCodeAt(colon + 2) === SLASH) return this.absolute(value);
    let expanded = this.links.get(value);
    if (expanded === undefined) {
      if (value.startsWith('_:')) throw NOT_DIRECT;
      const prefix = value.slice(0, colon);
      const definition = this.terms.get(prefix);
      if (definition === undefined && DFC_PREFIXES.has(prefix)) throw NOT_DIRECT;
      const iri = definition === undefined ? value : definition.iri + value.slice(colon + 1);
      if (!isAbsoluteIri(iri)) throw NOT_DIRECT;
      expanded = this.canonical.iri(iri);
      this.links.set(value, expanded);
    }
    return expanded;
  }

  /**
   * An absolute IRI (`scheme://…`) made canonical, checked once per document. The same IRI comes back as one string:
   * a catalogue names each resource three or four times (and its enterprise once per item), and the copies
   * `JSON.parse` made of it are left to die young instead of being kept in every record that links to it.
   */
  private absolute(value: string): string {
    let canonical = this.absolutes.get(value);
    if (canonical === undefined) {
      if (!isAbsoluteIri(value)) throw NOT_DIRECT;
      canonical = this.canonical.iri(value);
      this.absolutes.set(value, canonical);
    }
    return canonical;
  }

  /** A node's `@id`: absolute as written (`scheme://…`), and the first node with it. */
  private id(value: unknown): NodeId {
    if (typeof value !== 'string') throw NOT_DIRECT;
    const colon = value.indexOf(':');
    if (colon <= 0 || value.charCodeAt(colon + 1) !== SLASH || value.charCodeAt(colon + 2) !== SLASH) throw NOT_DIRECT;
    const canonical = this.absolute(value);
    // A node's id is kept as written (the general path does not make it canonical): the shared string when equal.
    const id = canonical === value ? canonical : value;
    if (this.ids.has(id)) throw NOT_DIRECT;
    this.ids.add(id);
    return id as NodeId;
  }

  /** A finite JSON number: a number JSON reads as Infinity (`1e400`) is reported by the general path. */
  private static number(value: unknown): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw NOT_DIRECT;
    return value;
  }

  /**
   * One link under a key: a string under an `@id`-typed key, or `{"@id": …}` and nothing else under any key (how a
   * property the context leaves out, `dfc-b:offeredItem`, is written).
   */
  private keyLink(key: Key, value: unknown): string {
    if (typeof value === 'string') {
      if (!key.link) throw NOT_DIRECT;
      return this.link(value);
    }
    if (typeof value !== 'object' || value === null) throw NOT_DIRECT;
    let link: unknown;
    for (const name in value) {
      if (name !== '@id') throw NOT_DIRECT;
      link = (value as Record<string, unknown>)[name];
    }
    return this.link(link);
  }

  /** Links, one or an array: in order, without repeats (RDF is a set). */
  private linkList(key: Key, value: unknown): NodeId[] {
    if (!Array.isArray(value)) return [this.keyLink(key, value) as NodeId];
    if (value.length === 0 || value.length > MAX_VALUES_PER_PROPERTY) throw NOT_DIRECT;
    const ids: NodeId[] = [];
    if (value.length < 16) {
      for (const item of value) {
        const id = this.keyLink(key, item) as NodeId;
        if (!ids.includes(id)) ids.push(id);
      }
      return ids;
    }
    const seen = new Set<string>();
    for (const item of value) {
      // Up to a hundred thousand links: the deadline is checked in every loop over the input, not only per node.
      this.deadline.check();
      const id = this.keyLink(key, item);
      if (!seen.has(id)) {
        seen.add(id);
        ids.push(id as NodeId);
      }
    }
    return ids;
  }

  /**
   * A blank price or pack size: `@type` the given class, a number under `dfc-b:value`, a link under `dfc-b:hasUnit`
   * and, for a price, a number under `dfc-b:VATrate`. Fills {@link inline}.
   */
  private inlineNode(value: unknown, type: string, vat: boolean): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw NOT_DIRECT;
    const inline = this.inline;
    inline[INLINE_VALUE] = inline[INLINE_UNIT] = inline[INLINE_VAT] = undefined;
    let typed = false;
    for (const name in value) {
      const item = (value as Record<string, unknown>)[name];
      if (name === '@type') {
        if (typed || this.class(item) !== type) throw NOT_DIRECT;
        typed = true;
        continue;
      }
      const key = this.key(name);
      let slot: number;
      if (key.predicate === DFC_B.value && !key.link) slot = INLINE_VALUE;
      else if (key.predicate === DFC_B.hasUnit && key.link) slot = INLINE_UNIT;
      else if (vat && key.predicate === DFC_B.VATrate && !key.link) slot = INLINE_VAT;
      else throw NOT_DIRECT;
      if (inline[slot] !== undefined) throw NOT_DIRECT;
      inline[slot] = slot === INLINE_UNIT ? this.link(item) : DirectReader.number(item);
    }
    if (!typed || inline[INLINE_VALUE] === undefined || inline[INLINE_UNIT] === undefined) throw NOT_DIRECT;
  }

  private price(value: unknown): Price {
    this.inlineNode(value, DFC_B.Price, true);
    const currency = currencyOf({ kind: 'ref', id: this.inline[INLINE_UNIT] as string });
    if (currency === undefined) throw NOT_DIRECT;
    const price: { value: number; currency: Iri; vatRate?: number } = { value: this.inline[INLINE_VALUE] as number, currency };
    if (this.inline[INLINE_VAT] !== undefined) price.vatRate = this.inline[INLINE_VAT] as number;
    return price;
  }

  private quantity(value: unknown): Quantity {
    this.inlineNode(value, DFC_B.QuantitativeValue, false);
    return { value: this.inline[INLINE_VALUE] as number, unit: this.inline[INLINE_UNIT] as Iri };
  }

  /** One node of the `@graph` (or the document itself) as a record. */
  public node(value: unknown, top = false): Draft<DfcRecord> {
    this.deadline.check();
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw NOT_DIRECT;
    const object = value as Record<string, unknown>;
    // The type first: it says which keys the node may have. A node without one goes the general way.
    const kind = KIND_OF_CLASS.get(this.class(object['@type']));
    if (kind === undefined) throw NOT_DIRECT;
    const fields = FIELD_OF.get(kind) as ReadonlyMap<string, Field>;
    const slots = this.slots;
    slots.fill(undefined);
    let id: NodeId | undefined;
    let described = false;
    for (const name in object) {
      const item = object[name];
      // The document's own `@context`, when the document is the node: read already.
      if (name === '@type' || (top && name === '@context')) continue;
      if (name === '@id') {
        id = this.id(item);
        continue;
      }
      const key = this.key(name);
      const field = fields.get(key.predicate);
      if (field === undefined || key.textOrLink) throw NOT_DIRECT;
      let read: unknown;
      switch (field.shape) {
        case 'text':
          if (key.link || typeof item !== 'string') throw NOT_DIRECT;
          read = item;
          break;
        case 'link':
          read = this.keyLink(key, item);
          break;
        case 'links':
          read = this.linkList(key, item);
          break;
        case 'number':
          if (key.link) throw NOT_DIRECT;
          read = DirectReader.number(item);
          break;
        case 'price':
          read = this.price(item);
          break;
        case 'quantity':
          read = this.quantity(item);
          break;
      }
      const before = slots[field.slot];
      if (before === undefined) slots[field.slot] = read;
      // Both spellings of one field (`description` and `hasDescription`, `offers` and `offeredItem`, as our own
      // output writes them) with the same text, link or number read as one, as the general path reads them (its
      // leftovers drop a value equal to the one read); different values are its to sort out (which comes first, what
      // is kept in `extra`). `Object.is`: 0 and -0 differ, and which is read depends on the order of the spellings.
      else if (typeof before === 'object' || !Object.is(before, read)) throw NOT_DIRECT;
      described = true;
    }
    // No `@id` is a blank node; nothing but a type is a reference: both are the general path's.
    if (id === undefined || !described) throw NOT_DIRECT;
    // A stock not said reads as null, as a negative one does: which it was is noted (see `unstatedStock`).
    if (slots[0] === undefined && (kind === 'CatalogItem' || kind === 'Offer')) this.unstated.push(id);
    return build(kind, id, slots);
  }
}

/** A list field: its links, or a fresh empty list. */
function list(value: unknown): NodeId[] {
  return value === undefined ? [] : (value as NodeId[]);
}

/** Sets a field when the node gave it (the extractor's `optional`): an absent field is no key at all. */
function set(record: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined) record[key] = value;
}

/**
 * The record of one node, its fields in the order the extractor's readers write them (the order is kept: records
 * are stored and written back as JSON).
 */
function build(kind: Kind, id: NodeId, s: readonly unknown[]): Draft<DfcRecord> {
  let record: Record<string, unknown>;
  switch (kind) {
    case 'Enterprise':
      record = {
        kind, id, supplies: list(s[0]), manages: list(s[1]), maintains: list(s[2]), customerCategories: list(s[3]),
        affiliates: list(s[4]),
      };
      set(record, 'name', s[5]);
      set(record, 'description', s[6]);
      set(record, 'vatNumber', s[7]);
      set(record, 'email', s[8]);
      set(record, 'website', s[9]);
      set(record, 'logo', s[10]);
      set(record, 'address', s[11]);
      set(record, 'mainContact', s[12]);
      break;
    case 'SuppliedProduct':
      record = { kind, id, images: [], variantOf: list(s[0]), variants: list(s[1]), catalogItems: list(s[2]) };
      set(record, 'name', s[3]);
      set(record, 'description', s[4]);
      set(record, 'productType', s[5]);
      set(record, 'quantity', s[6]);
      set(record, 'totalTheoreticalStock', s[7]);
      set(record, 'suppliedBy', s[8]);
      break;
    case 'CatalogItem':
      record = { kind, id, stock: stockOf(s[0] as number | undefined), offers: list(s[1]), listedIn: list(s[2]) };
      set(record, 'product', s[3]);
      set(record, 'sku', s[4]);
      set(record, 'managedBy', s[5]);
      break;
    case 'Offer':
      record = { kind, id, stock: stockOf(s[0] as number | undefined) };
      set(record, 'item', s[1]);
      set(record, 'price', s[2]);
      set(record, 'customerCategory', s[3]);
      break;
  }
  return record as unknown as Draft<DfcRecord>;
}

/** An extraction of records that had no problem (the direct reader takes no other). */
function extraction(records: Draft<DfcRecord>[], unstated: readonly string[]): Extraction {
  completeLinks(records);
  return { records: records as DfcRecord[], problems: [], invalidFields: new Map(), references: [], envelopes: [], unstatedStock: new Set(unstated) };
}

/**
 * Reads a parsed document straight into records when it is the common shape (see the module comment).
 *
 * @param document - the parsed JSON
 * @param contexts - the contexts the decoder resolves (only a built-in DFC one is read here)
 * @param deadline - when the decode must be over
 * @returns the extraction, exactly what the general path would give, or undefined for the general path to read it
 * @throws DecodeTimeoutError when the deadline passes
 */
export function readDirect(document: unknown, contexts: ContextRegistry, deadline: Deadline): Extraction | undefined {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return undefined;
  const top = document as Record<string, unknown>;
  const url = top['@context'];
  if (typeof url !== 'string') return undefined;
  const resolved = contexts.resolve(url);
  if (resolved?.kind !== 'known') return undefined;
  let items: readonly unknown[] | undefined;
  let single = false;
  for (const name in top) {
    if (name === '@context') continue;
    if (name === '@graph') items = top[name] as unknown[];
    else single = true;
  }
  // `{"@context", "@graph"}`, or one node with its context; a node that also has a `@graph` is the general path's.
  if (single) {
    if (items !== undefined) return undefined;
    items = [top];
  }
  if (!Array.isArray(items)) return undefined;
  const reader = new DirectReader(builtInContextTerms(resolved.context), deadline);
  const records: Draft<DfcRecord>[] = [];
  try {
    for (const item of items) records.push(reader.node(item, item === top));
  } catch (error: unknown) {
    if (error instanceof NotDirect) return undefined;
    throw error;
  }
  return extraction(records, reader.unstated);
}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;

/** The index of the first character at or after `i` that is not JSON whitespace. */
function skipSpace(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== SPACE && c !== LF && c !== CR && c !== TAB) return i;
    i++;
  }
}

/** The index just past the string whose opening quote is at `i`, or -1 when it is not closed. */
function skipString(text: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const quote = text.indexOf('"', j);
    if (quote < 0) return -1;
    // Escaped when an odd number of backslashes precede it.
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    j = quote + 1;
  }
}

/**
 * The index just past the object or array opening at `i`, by counting brackets outside strings; -1 when the text
 * ends first. Not a validation: what lies between is given to `JSON.parse`, which refuses anything unbalanced.
 */
function skipNested(text: string, i: number): number {
  let depth = 0;
  const length = text.length;
  for (let j = i; j < length; j++) {
    const c = text.charCodeAt(j);
    if (c === QUOTE) {
      j = skipString(text, j);
      if (j < 0) return -1;
      j--;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (--depth === 0) return j + 1;
    }
  }
  return -1;
}

/** Why {@link readDirectText} did not read a text: its layout (the parsed document may still be direct), or a node. */
export type NotReadDirectly = 'layout' | 'node';

/** `JSON.parse` of a slice, or undefined when it is not JSON (the whole text's parse then reports the error). */
function parseSlice(text: string, start: number, end: number): unknown {
  try {
    return JSON.parse(text.slice(start, end)) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Reads a document's text straight into records, one `@graph` node at a time: each node is parsed, read and
 * dropped, so the whole document never stands in memory as JSON objects (its parse tree is several times the text,
 * and, all alive at once, most of a decode's memory and garbage collection).
 *
 * Only the layout every DFC catalogue has is taken: `{"@context": "<URL>", "@graph": [{…}, …]}`, JSON whitespace
 * anywhere, keys written without escapes. The text between is cut at the bracket that closes each node and given
 * to `JSON.parse`: a slice that is not one JSON object makes the reader give up, so the text is read exactly as
 * `JSON.parse` reads it whole, or by the whole parse. A header written otherwise (another key, another order, an
 * escape): `layout`; anything unexpected after it: `node`.
 *
 * @param text - the document
 * @param contexts - the contexts the decoder resolves (only a built-in DFC one is read here)
 * @param deadline - when the decode must be over
 * @returns the extraction, or why not: `layout` (parse the text whole and try {@link readDirect}), `node` (a node
 *   this reader does not fully understand, or text after the header it does not take: the general path reads the
 *   document)
 * @throws DecodeTimeoutError when the deadline passes
 */
export function readDirectText(text: string, contexts: ContextRegistry, deadline: Deadline): Extraction | NotReadDirectly {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) return 'layout';
  // `"@context"`: exactly these characters, no escape.
  i = skipSpace(text, i + 1);
  if (!text.startsWith('"@context"', i)) return 'layout';
  i = skipSpace(text, i + 10);
  if (text.charCodeAt(i) !== COLON) return 'layout';
  i = skipSpace(text, i + 1);
  if (text.charCodeAt(i) !== QUOTE) return 'layout';
  const urlEnd = skipString(text, i);
  if (urlEnd < 0) return 'layout';
  const url = parseSlice(text, i, urlEnd);
  if (typeof url !== 'string') return 'layout';
  const resolved = contexts.resolve(url);
  if (resolved?.kind !== 'known') return 'layout';
  i = skipSpace(text, urlEnd);
  if (text.charCodeAt(i) !== COMMA) return 'layout';
  i = skipSpace(text, i + 1);
  if (!text.startsWith('"@graph"', i)) return 'layout';
  i = skipSpace(text, i + 8);
  if (text.charCodeAt(i) !== COLON) return 'layout';
  i = skipSpace(text, i + 1);
  if (text.charCodeAt(i) !== OPEN_BRACKET) return 'layout';
  i = skipSpace(text, i + 1);
  // Past the header, no text that stops here is a document the direct reader takes once parsed whole: not JSON (an
  // unbalanced node, a slice that does not parse, a stray separator, text after the end), a node that is no object,
  // or a key after the graph (which makes {@link readDirect} give up too). `node`: the general path, without a
  // second direct read of the nodes read so far.
  const reader = new DirectReader(builtInContextTerms(resolved.context), deadline);
  const records: Draft<DfcRecord>[] = [];
  if (text.charCodeAt(i) === CLOSE_BRACKET) i++;
  else {
    for (;;) {
      if (text.charCodeAt(i) !== OPEN_BRACE) return 'node';
      const end = skipNested(text, i);
      if (end < 0) return 'node';
      const node = parseSlice(text, i, end);
      if (node === undefined) return 'node';
      try {
        records.push(reader.node(node));
      } catch (error: unknown) {
        if (error instanceof NotDirect) return 'node';
        throw error;
      }
      i = skipSpace(text, end);
      const c = text.charCodeAt(i);
      if (c === CLOSE_BRACKET) {
        i++;
        break;
      }
      if (c !== COMMA) return 'node';
      i = skipSpace(text, i + 1);
    }
  }
  i = skipSpace(text, i);
  if (text.charCodeAt(i) !== CLOSE_BRACE) return 'node';
  if (skipSpace(text, i + 1) !== text.length) return 'node';
  return extraction(records, reader.unstated);
}
