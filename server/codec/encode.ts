/**
 * Encoding: records to compacted DFC JSON-LD, in the shape Open Food Network imports.
 *
 * We write the compacted form directly instead of building expanded JSON-LD and running `jsonld.compact`
 * (five times slower on a 5,000-offer catalogue, see `npm run bench`). The output is checked against
 * jsonld.js in the tests: expanding it gives the same RDF graph as our N-Quads.
 *
 * @packageDocumentation
 */
import {
  CONTAINER_CONTEXT, CONTEXT_1_16, CONTEXT_1_16_URL, CONTEXT_2_0, CONTEXT_2_0_URL, type SimpleContext,
} from '../../ontology/contexts.js';
import { dfcIriIn, NS, type DfcGeneration } from '../../ontology/namespaces.js';
import type { DfcRecord, Extra, ExtraValue, Price, Quantity, RecordKind, ResourceRecord } from '../../ontology/records.js';
import { wireSpelling } from '../../ontology/spellings.js';
import { DFC_B_BOOLEAN_PROPERTIES_1_16, DFC_B_NUMBER_PROPERTIES_1_16 } from '../../ontology/terms.js';
import { DFC_B, LDP } from '../../ontology/vocabulary.js';
import { Compactor, dfcPrefixes } from './compact.js';
import { containerMembers, isLanguageTag, toNumber, writtenStock } from './values.js';

/** The DFC profiles the node can write. */
export type DfcProfile = 'dfc-v1' | 'dfc-v2';

/** Options of {@link encodeJsonLd}. */
export interface EncodeOptions {
  /** `dfc-v1` (DFC 1.16, the default) or `dfc-v2` (DFC 2.0 with an `ldp:Container`). */
  readonly profile?: DfcProfile;
  /** Context URL to write instead of the default one of the profile (the TypeScript connector's, say). */
  readonly contextUrl?: string;
  /** `@id` of the `ldp:Container` in DFC 2.0 output (the request URL). */
  readonly containerId?: string;
  /** Whether DFC 2.0 output wraps the records in an `ldp:Container` (default true; false for one resource). */
  readonly container?: boolean;
  /**
   * The envelopes read with a document (its `ldp:Container`, Hydra views: `DecodeResult.envelopes`), written
   * back as they were, first. A container among them is the one DFC 2.0 output wraps the records in: its `@id`
   * and `ldp:contains` are kept, none is made up.
   */
  readonly envelopes?: readonly ResourceRecord[];
  /**
   * The catalog items and offers whose document said no stock (`DecodeResult.unstatedStock`): written without a
   * `dfc-b:stockLimitation`, for a conversion that must give back the graph it read. Otherwise a stock of `null` is
   * written as on demand, which on an offer would make Open Food Network sell what its catalog item does not have.
   */
  readonly unstatedStock?: ReadonlySet<string>;
}

/** A compacted JSON-LD document as we write it. */
export interface JsonLdDocument {
  readonly '@context': string | readonly (string | SimpleContext)[];
  readonly '@graph': readonly Record<string, unknown>[];
}

type Node = Record<string, unknown>;

const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:/u;

const CONTAINER_TYPES = new Set<string>([LDP.Container, LDP.BasicContainer]);

/** A property key as written: its compact form, and whether the context types it `@id`. */
interface Key {
  readonly key: string;
  readonly idTyped: boolean;
}

/**
 * What a writer works out from its profile alone (generation, envelopes): the compactor, and the keys of the
 * predicates it wrote. Shared by every document of that profile: an order's answer writes a few dozen keys, and
 * working them out again for each was a good part of its encoding. Bounded: a record's extra properties (a peer's
 * own predicates) could otherwise grow it without end.
 */
interface WriterProfile {
  readonly compactor: Compactor;
  readonly keyMemo: Map<string, Key>;
  readonly keysMemo: Map<RecordKind | undefined, Map<string, readonly Key[]>>;
}

/** Most keys a shared profile keeps (the ontology's predicates number a few hundred). */
const PROFILE_KEYS = 4096;

const PROFILES = new Map<string, WriterProfile>();

/** Writes nodes compacted against one DFC context. */
class NodeWriter {
  private readonly compactor: Compactor;
  /** The kind of the record being written: which reader spellings go beside the ontology's terms. */
  public kind: RecordKind | undefined;
  /** See {@link EncodeOptions.unstatedStock}. */
  public unstatedStock: ReadonlySet<string> | undefined;
  /**
   * Memos of this document's predicates and vocabulary IRIs (types, units): a catalogue writes the same few
   * dozen thousands of times. Resource ids are not memoised (each is written two or three times, and there are
   * as many as resources).
   */
  private readonly keyMemo: Map<string, Key>;
  private readonly keysMemo: Map<RecordKind | undefined, Map<string, readonly Key[]>>;
  private readonly vocabularyMemo = new Map<string, string>();

  /**
   * @param context - the DFC context of `generation`, with the container context when `envelopes`: what the
   *   writer's profile (shared by every writer of the same generation and envelopes) is worked out against
   */
  public constructor(
    private readonly generation: DfcGeneration,
    private readonly context: SimpleContext,
    envelopes: boolean,
  ) {
    const name = `${generation}|${String(envelopes)}`;
    let profile = PROFILES.get(name);
    if (profile === undefined) {
      // The `ldp:` and `hydra:` prefixes are declared beside the DFC context only when the document has an envelope.
      const table = [...dfcPrefixes(generation), ...(envelopes ? [['ldp', NS.ldp] as const, ['hydra', NS.hydra] as const] : [])];
      profile = { compactor: new Compactor(table.sort((a, b) => b[1].length - a[1].length)), keyMemo: new Map(), keysMemo: new Map() };
      PROFILES.set(name, profile);
    }
    this.compactor = profile.compactor;
    this.keyMemo = profile.keyMemo;
    this.keysMemo = profile.keysMemo;
  }

  /** A canonical IRI in this generation's namespaces, compacted. */
  public iri(value: string): string {
    return value.startsWith('_:') ? value : this.compactor.compact(dfcIriIn(value, this.generation));
  }

  /** A vocabulary IRI (a type, a unit, a product type), compacted: {@link iri}, memoised. */
  public term(value: string): string {
    let compact = this.vocabularyMemo.get(value);
    if (compact === undefined) {
      compact = this.iri(value);
      this.vocabularyMemo.set(value, compact);
    }
    return compact;
  }

  /** A property key: the compact form of a canonical predicate IRI. */
  public key(predicate: string): string {
    return this.keyOf(predicate).key;
  }

  private keyOf(predicate: string): Key {
    let key = this.keyMemo.get(predicate);
    if (key === undefined) {
      const compact = this.iri(predicate);
      key = { key: compact, idTyped: typeof this.context[compact] === 'object' };
      if (this.keyMemo.size < PROFILE_KEYS) this.keyMemo.set(predicate, key);
    }
    return key;
  }

  /** The keys a property is written under: its ontology term, and the name its readers use when they differ. */
  private keys(predicate: string): readonly Key[] {
    let byPredicate = this.keysMemo.get(this.kind);
    if (byPredicate === undefined) {
      byPredicate = new Map();
      this.keysMemo.set(this.kind, byPredicate);
    }
    let keys = byPredicate.get(predicate);
    if (keys === undefined) {
      const wire = this.kind === undefined ? undefined : wireSpelling(this.kind, predicate);
      keys = wire === undefined ? [this.keyOf(predicate)] : [this.keyOf(predicate), this.keyOf(wire)];
      if (byPredicate.size < PROFILE_KEYS) byPredicate.set(predicate, keys);
    }
    return keys;
  }

  private isIdTyped(key: string): boolean {
    const definition = this.context[key];
    return typeof definition === 'object';
  }

  /**
   * Sets a link; a bare string where the context types the term `@id`, `{"@id"}` elsewhere.
   *
   * @param wire - what the reader spelling beside the term (see `ontology/spellings.ts`) names instead, when it differs
   *   (an order's echo of an offer: see `OfferRecord.offeredItem`)
   */
  public link(node: Node, predicate: string, given: string | readonly string[] | undefined, wire?: string): void {
    if (given === undefined && wire === undefined) return;
    // Index loops, and no one-element list for one link: this runs for every link of a catalogue, and the
    // iterators and lists were a third of an encode's garbage.
    const keys = this.keys(predicate);
    for (let k = 0; k < keys.length; k++) {
      const ids = k === 1 && wire !== undefined ? wire : given;
      // An empty list writes nothing; a single id is written whatever it is (as before this loop).
      if (ids === undefined || (typeof ids !== 'string' && ids.length === 0)) continue;
      const { key, idTyped } = keys[k] as Key;
      if (typeof ids === 'string' || ids.length === 1) {
        const id = this.iri(typeof ids === 'string' ? ids : (ids[0] as string));
        node[key] = idTyped ? id : { '@id': id };
      } else {
        const written: unknown[] = new Array<unknown>(ids.length);
        for (let i = 0; i < ids.length; i++) {
          const id = this.iri(ids[i] as string);
          written[i] = idTyped ? id : { '@id': id };
        }
        node[key] = written;
      }
    }
  }

  /** Sets a value that peers send either as an IRI or as text (an order status). */
  public iriOrText(node: Node, predicate: string, value: string | undefined): void {
    if (value === undefined) return;
    if (ABSOLUTE.test(value)) this.link(node, predicate, value);
    else this.literal(node, predicate, value);
  }

  /** Sets a literal property; text in a language (the record's `languages`) as a value object with it. */
  public literal(node: Node, predicate: string, value: string | number | boolean | undefined, language?: string): void {
    if (value === undefined) return;
    const keys = this.keys(predicate);
    for (let k = 0; k < keys.length; k++) {
      const { key, idTyped } = keys[k] as Key;
      // A literal under a term the context types `@id` would be read back as an IRI: use a value object.
      node[key] = language !== undefined && isLanguageTag(language) ? { '@value': value, '@language': language } : idTyped ? { '@value': value } : value;
    }
  }

  /** Sets a list of literals (images). */
  public literals(node: Node, predicate: string, values: readonly string[]): void {
    if (values.length === 0) return;
    for (const { key } of this.keys(predicate)) node[key] = values.length === 1 ? values[0] : [...values];
  }

  public type(node: Node, main: string, extra: readonly string[] | undefined): void {
    if (extra === undefined || extra.length === 0) {
      node['@type'] = this.term(main);
      return;
    }
    node['@type'] = [this.term(main), ...extra.map((t) => this.term(t))];
  }

  public price(price: Price): Node {
    const node: Node = { '@type': this.term(DFC_B.Price), [this.key(DFC_B.value)]: price.value };
    node[this.key(DFC_B.hasUnit)] = this.term(price.currency);
    if (price.vatRate !== undefined) node[this.key(DFC_B.VATrate)] = price.vatRate;
    this.extra(node, price.extra);
    return node;
  }

  public quantity(quantity: Quantity): Node {
    const node: Node = {
      '@type': this.term(DFC_B.QuantitativeValue),
      [this.key(DFC_B.hasUnit)]: this.term(quantity.unit),
      [this.key(DFC_B.value)]: quantity.value,
    };
    this.extra(node, quantity.extra);
    return node;
  }

  /** Writes back the properties the node does not model. */
  public extra(node: Node, extra: Extra | undefined): void {
    if (extra === undefined) return;
    for (const [predicate, values] of Object.entries(extra)) {
      const key = this.key(predicate);
      const idTyped = this.isIdTyped(key);
      const written = values.map((v) => this.extraValue(typedExtraValue(predicate, v), idTyped));
      const existing = node[key];
      const before = existing === undefined ? [] : Array.isArray(existing) ? (existing as unknown[]) : [existing];
      // A kept value the record already writes (the other spelling of a modelled property, kept by an older
      // reader) is the same statement: written once.
      const seen = new Set(before.map((v) => JSON.stringify(v)));
      const merged = before.length === 0 ? written : [...before, ...written.filter((v) => !seen.has(JSON.stringify(v)))];
      if (merged.length === 0) continue;
      node[key] = merged.length === 1 ? merged[0] : merged;
    }
  }

  private extraValue(value: ExtraValue, idTyped: boolean): unknown {
    if ('@id' in value) return idTyped ? this.iri(value['@id']) : { '@id': this.iri(value['@id']) };
    if ('@value' in value) {
      // A tag no RDF syntax can write (one kept before tags were checked) is no language: the text alone.
      if (value['@language'] !== undefined && isLanguageTag(value['@language'])) return { '@value': value['@value'], '@language': value['@language'] };
      if (value['@type'] !== undefined) return { '@value': value['@value'], '@type': this.iri(value['@type']) };
      return idTyped ? { '@value': value['@value'] } : value['@value'];
    }
    const node: Node = {};
    if (value.id !== undefined) node['@id'] = this.iri(value.id);
    if (value['@type'] !== undefined && value['@type'].length > 0) {
      const types = value['@type'].map((t) => this.iri(t));
      node['@type'] = types.length === 1 ? types[0] : types;
    }
    this.extra(node, value.properties);
    return node;
  }
}

/** The datatype the ontology gives a property the node does not model, when it is a boolean or a number. */
const DATATYPE_OF: ReadonlyMap<string, 'boolean' | 'number'> = new Map([
  ...DFC_B_BOOLEAN_PROPERTIES_1_16.map((t) => [`${DFC_B.namespace}${t}`, 'boolean'] as const),
  ...DFC_B_NUMBER_PROPERTIES_1_16.map((t) => [`${DFC_B.namespace}${t}`, 'number'] as const),
]);

const BOOLEAN_TEXT = /^\s*(true|false)\s*$/iu;

/**
 * A kept value of a property the node does not model, as it is written: typed as the ontology types that property
 * (see {@link typedValue}). Shared with the RDF writer (`write-rdf.ts`), so that both forms write the same value.
 *
 * @param predicate - the canonical predicate IRI
 * @param value - the kept value
 */
export function typedExtraValue(predicate: string, value: ExtraValue): ExtraValue {
  const datatype = DATATYPE_OF.get(predicate);
  return datatype === undefined ? value : typedValue(value, datatype);
}

/**
 * A kept value as the ontology types its property: `"true"` on a boolean property is written `true`, and
 * `"4.95"` on a number property `4.95` (the number the text means, so JSON writes it back as `4.95`). Plain
 * text only: a value with a language or a datatype of its own is the peer's statement and is kept as given.
 */
function typedValue(value: ExtraValue, datatype: 'boolean' | 'number'): ExtraValue {
  if (!('@value' in value) || typeof value['@value'] !== 'string' || value['@language'] !== undefined || value['@type'] !== undefined) {
    return value;
  }
  const text = value['@value'];
  if (datatype === 'boolean') {
    const m = BOOLEAN_TEXT.exec(text);
    return m === null ? value : { '@value': (m[1] as string).toLowerCase() === 'true' };
  }
  const number = toNumber({ kind: 'literal', value: text });
  return number === undefined ? value : { '@value': number };
}

function writeRecord(w: NodeWriter, record: DfcRecord, generation: DfcGeneration): Node {
  const node: Node = { '@id': w.iri(record.id) };
  w.kind = record.kind;
  switch (record.kind) {
    case 'Enterprise':
      w.type(node, generation === '2.0' ? DFC_B.Organization : DFC_B.Enterprise, record.extraTypes);
      w.literal(node, DFC_B.name, record.name, record.languages?.['name']);
      w.literal(node, DFC_B.description, record.description, record.languages?.['description']);
      w.literal(node, DFC_B.VATnumber, record.vatNumber, record.languages?.['vatNumber']);
      w.literal(node, DFC_B.email, record.email, record.languages?.['email']);
      if (record.phone !== undefined) {
        node[w.key(DFC_B.hasPhoneNumber)] = { '@type': w.iri(DFC_B.PhoneNumber), [w.key(DFC_B.phoneNumber)]: record.phone };
      }
      w.literal(node, DFC_B.websitePage, record.website, record.languages?.['website']);
      w.literal(node, DFC_B.logo, record.logo, record.languages?.['logo']);
      w.link(node, DFC_B.hasAddress, record.address);
      w.link(node, DFC_B.hasMainContact, record.mainContact);
      w.link(node, DFC_B.supplies, record.supplies);
      w.link(node, DFC_B.manages, record.manages);
      w.link(node, DFC_B.maintains, record.maintains);
      w.link(node, DFC_B.defines, record.customerCategories);
      w.link(node, DFC_B.affiliates, record.affiliates);
      break;
    case 'Address':
      w.type(node, DFC_B.Address, record.extraTypes);
      w.literal(node, DFC_B.street, record.street, record.languages?.['street']);
      w.literal(node, DFC_B.postcode, record.postcode, record.languages?.['postcode']);
      w.literal(node, DFC_B.city, record.city, record.languages?.['city']);
      w.literal(node, DFC_B.region, record.region, record.languages?.['region']);
      // `hasCountry` is an object property: a country the node could not map to an IRI goes under the
      // ontology's text property, `country`, rather than as text where a link is expected.
      if (record.country !== undefined && ABSOLUTE.test(record.country)) w.link(node, DFC_B.hasCountry, record.country);
      else w.literal(node, DFC_B.country, record.country, record.languages?.['country']);
      w.literal(node, DFC_B.latitude, record.latitude);
      w.literal(node, DFC_B.longitude, record.longitude);
      break;
    case 'Person':
      w.type(node, DFC_B.Person, record.extraTypes);
      w.literal(node, DFC_B.firstName, record.firstName, record.languages?.['firstName']);
      w.literal(node, DFC_B.familyName, record.familyName, record.languages?.['familyName']);
      w.link(node, DFC_B.hasAddress, record.address);
      w.link(node, DFC_B.affiliates, record.affiliates);
      break;
    case 'SuppliedProduct':
      w.type(node, DFC_B.SuppliedProduct, record.extraTypes);
      w.literal(node, DFC_B.name, record.name, record.languages?.['name']);
      w.literal(node, DFC_B.description, record.description, record.languages?.['description']);
      w.link(node, DFC_B.hasType, record.productType);
      if (record.quantity !== undefined) node[w.key(DFC_B.hasQuantity)] = w.quantity(record.quantity);
      w.literal(node, DFC_B.totalTheoriticalStock, record.totalTheoreticalStock);
      w.literals(node, DFC_B.Image, record.images);
      w.link(node, DFC_B.suppliedBy, record.suppliedBy);
      w.link(node, DFC_B.hasVariant, record.variants);
      w.link(node, DFC_B.isVariantOf, record.variantOf);
      w.link(node, DFC_B.referencedBy, record.catalogItems);
      break;
    case 'CatalogItem':
      w.type(node, DFC_B.CatalogItem, record.extraTypes);
      w.link(node, DFC_B.references, record.product);
      w.literal(node, DFC_B.sku, record.sku, record.languages?.['sku']);
      if (w.unstatedStock?.has(record.id) !== true) w.literal(node, DFC_B.stockLimitation, writtenStock(record));
      w.link(node, DFC_B.offeredThrough, record.offers);
      w.link(node, DFC_B.managedBy, record.managedBy);
      w.link(node, DFC_B.listedIn, record.listedIn);
      break;
    case 'Offer':
      w.type(node, DFC_B.Offer, record.extraTypes);
      if (record.price !== undefined) node[w.key(DFC_B.hasPrice)] = w.price(record.price);
      if (w.unstatedStock?.has(record.id) !== true) w.literal(node, DFC_B.stockLimitation, writtenStock(record));
      w.link(node, DFC_B.offers, record.item, record.offeredItem);
      w.link(node, DFC_B.offersTo, record.customerCategory);
      break;
    case 'Catalog':
      w.type(node, DFC_B.Catalog, record.extraTypes);
      w.literal(node, DFC_B.name, record.name, record.languages?.['name']);
      w.link(node, DFC_B.maintainedBy, record.maintainedBy);
      w.link(node, DFC_B.lists, record.items);
      break;
    case 'CustomerCategory':
      w.type(node, DFC_B.CustomerCategory, record.extraTypes);
      w.literal(node, DFC_B.name, record.name, record.languages?.['name']);
      w.literal(node, DFC_B.description, record.description, record.languages?.['description']);
      w.link(node, DFC_B.definedBy, record.definedBy);
      break;
    case 'SaleSession':
      w.type(node, DFC_B.SaleSession, record.extraTypes);
      w.literal(node, DFC_B.startDate, record.beginDate);
      w.literal(node, DFC_B.endDate, record.endDate);
      w.link(node, DFC_B.lists, record.offers);
      break;
    case 'Order':
      w.type(node, DFC_B.Order, record.extraTypes);
      w.literal(node, DFC_B.orderNumber, record.orderNumber, record.languages?.['orderNumber']);
      w.literal(node, DFC_B.date, record.date);
      w.link(node, DFC_B.orderedBy, record.orderedBy);
      w.link(node, DFC_B.soldBy, record.soldBy);
      w.link(node, DFC_B.belongsTo, record.saleSession);
      w.link(node, DFC_B.hasPart, record.lines);
      w.iriOrText(node, DFC_B.hasOrderStatus, record.orderStatus);
      w.iriOrText(node, DFC_B.hasPaymentStatus, record.paymentStatus);
      w.iriOrText(node, DFC_B.hasFulfilmentStatus, record.fulfilmentStatus);
      break;
    case 'OrderLine':
      w.type(node, DFC_B.OrderLine, record.extraTypes);
      w.link(node, DFC_B.partOf, record.order);
      w.link(node, DFC_B.concerns, record.offer);
      if (record.quantity !== undefined) {
        if (record.quantityUnit !== undefined) {
          node[w.key(DFC_B.hasQuantity)] = w.quantity({ value: record.quantity, unit: record.quantityUnit });
        } else {
          w.literal(node, DFC_B.quantity, record.quantity);
        }
      }
      if (record.price !== undefined) node[w.key(DFC_B.hasPrice)] = w.price(record.price);
      break;
    case 'Resource':
      if (record.types.length > 0) {
        const types = record.types.map((t) => w.iri(t));
        node['@type'] = types.length === 1 ? types[0] : types;
      }
      break;
  }
  w.extra(node, record.extra);
  return node;
}

/**
 * Encodes records as a compacted DFC JSON-LD document with an `@graph`.
 *
 * @param records - the records, written in this order
 * @param options - profile, context URL, container id
 */
export function encodeJsonLd(records: readonly DfcRecord[], options: EncodeOptions = {}): JsonLdDocument {
  const v2 = options.profile === 'dfc-v2';
  const generation: DfcGeneration = v2 ? '2.0' : '1.x';
  const envelopes = options.envelopes ?? [];
  const wrapped = v2 && options.container !== false;
  const enveloped = wrapped || envelopes.length > 0;
  const dfcContext = v2 ? CONTEXT_2_0 : CONTEXT_1_16;
  const writer = new NodeWriter(generation, enveloped ? { ...dfcContext, ...CONTAINER_CONTEXT } : dfcContext, enveloped);
  writer.unstatedStock = options.unstatedStock;
  const url = options.contextUrl ?? (v2 ? CONTEXT_2_0_URL : CONTEXT_1_16_URL);
  const context = enveloped ? [url, CONTAINER_CONTEXT] : url;
  const graph: Node[] = new Array<Node>(envelopes.length + records.length);
  for (let i = 0; i < envelopes.length; i++) graph[i] = writeRecord(writer, envelopes[i] as ResourceRecord, generation);
  for (let i = 0; i < records.length; i++) graph[envelopes.length + i] = writeRecord(writer, records[i] as DfcRecord, generation);
  if (!wrapped || envelopes.some((e) => e.types.some((t) => CONTAINER_TYPES.has(t)))) return { '@context': context, '@graph': graph };
  const container: Node = { '@type': 'ldp:Container' };
  if (options.containerId !== undefined) container['@id'] = options.containerId;
  const contained = containerMembers(records).map((r) => writer.iri(r.id));
  if (contained.length > 0) container['ldp:contains'] = contained;
  return { '@context': context, '@graph': [container, ...graph] };
}
