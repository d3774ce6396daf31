/**
 * Decoding: DFC on the wire (JSON-LD in any shape peers send, Turtle, N-Triples, N-Quads) to records.
 *
 * Decoding never throws for bad input: it returns the records it could accept and a {@link Problem} for
 * everything else, so one bad offer never costs a peer its whole catalogue.
 *
 * @packageDocumentation
 */
import { duplicateNameMessage, scanJsonText } from './json-duplicates.js';
import { LINK_ENDS, type LinkEnd } from '../../ontology/inverses.js';
import { toIri, type Iri } from '../../ontology/iri.js';
import { isNodeIdValue } from '../../ontology/schemas.js';
import type { DfcRecord, OfferRecord, ResourceRecord } from '../../ontology/records.js';
import { Taxonomy, type Concept } from '../../ontology/taxonomy.js';
import { EURO } from '../../ontology/units.js';
import { extractRecords, type Extraction } from './extract.js';
import { versionOf } from './ldes.js';
import type { Graph } from './graph.js';
import { hasErrors, problem, type Problem, type ProblemCode } from '../errors/problem.js';
import { readJsonLd } from './read-jsonld.js';
import { readDirect, readDirectText } from './direct.js';
import { ContextRegistry, type StoredContextValue } from './context-registry.js';
import { RDF_FORMATS, readRdf } from './read-rdf.js';
import { RecordValidator } from './validate.js';
import { shortName } from './compact.js';
import { DECODE_TIME_BUDGET_MS, Deadline, DecodeTimeoutError, jsonTextExcess, MAX_JSON_DEPTH, ProblemCollector } from './limits.js';
import { inThousandths } from './values.js';
import { mayHoldLoneSurrogates, wellFormedRecords } from './well-formed.js';

/** A resource that was not accepted, with why. */
export interface RejectedResource {
  readonly id: string;
  readonly type: string | null;
  readonly problems: readonly Problem[];
  /**
   * The resource a rejected version of a change feed is a version of (its `dcterms:isVersionOf`): the version is
   * quarantined under it, as a snapshot's copy of the resource would be.
   */
  readonly versionOf?: string;
}

/** The outcome of decoding one document. */
export interface DecodeResult {
  /** Records without errors, in document order. */
  readonly records: DfcRecord[];
  /** Every problem, errors and warnings, document-level first. */
  readonly problems: Problem[];
  /** Resources rejected because of an error, with their problems. */
  readonly rejected: RejectedResource[];
  /**
   * Ids of the nodes read as references to resources described elsewhere (an `@id`, perhaps an `@type`, and
   * nothing else): neither records nor rejected.
   */
  readonly references: string[];
  /**
   * The envelopes of a response (`ldp:Container`, Hydra paging views), read whole and kept apart from the
   * records: nothing stores them, and a conversion writes them back as they were.
   */
  readonly envelopes: ResourceRecord[];
  /**
   * In a write of our own catalogue ({@link DecodeOptions.catalogueWrite}): the catalog items and offers that say no
   * `dfc-b:stockLimitation` (their stock `null` is "not said", which a write reads as "unchanged", not as on demand).
   */
  readonly unstatedStock?: ReadonlySet<string>;
  /** The offers whose price is a bare number (see `Extraction.barePrices`). */
  readonly barePrices?: ReadonlySet<string>;
  /**
   * How the document was read: straight into records by the direct reader (`direct.ts`, the usual catalogue),
   * the JSON-LD fast path, full JSON-LD processing, or an RDF parser.
   */
  readonly via: 'direct' | 'fast' | 'full' | 'rdf';
}

/** Options of {@link Decoder}. */
export interface DecoderOptions {
  /** Units, currencies and product types known to the node (default: the built-in taxonomy). */
  readonly taxonomy?: Taxonomy;
  /** Currency of a bare-number price (default: euro). */
  readonly defaultCurrency?: string;
  /**
   * How long one decode may take, in milliseconds (default {@link DECODE_TIME_BUDGET_MS}); past it the document
   * is refused with a `decode-timeout` problem.
   */
  readonly timeBudgetMs?: number;
  /**
   * The JSON-LD contexts read without the network: the DFC ones, and those the operator stored (default: the
   * DFC ones only). A document naming any other context is refused, never fetched.
   */
  readonly contexts?: ContextRegistry;
}

/** Per-call options of {@link Decoder.decode}. */
export interface DecodeOptions {
  /** Media type of the input (default `application/ld+json`); parameters are ignored. */
  readonly mediaType?: string;
  /** Base IRI for relative IRIs, usually the URL the document was fetched from or posted to. */
  readonly base?: string;
  /**
   * Whether to try the direct reader first (default true). False for documents it never takes (orders: it reads
   * catalogues only), which would go the general way after it looked: the same records, without that look.
   */
  readonly direct?: boolean;
  /**
   * Whether the document is one order request, read strictly: a second Order, or several different values where
   * the order is read by one (a line's quantity or offer…), is a `conflicting-values` error of that resource rather
   * than a guess (see `ExtractOptions.orderRequest`). Default false.
   */
  readonly orderRequest?: boolean;
  /**
   * Whether the document writes this node's own catalogue: a stock given several different values is a
   * `conflicting-values` error of that resource rather than a guess (see `ExtractOptions.catalogueWrite`). Default false.
   */
  readonly catalogueWrite?: boolean;
  /**
   * Whether a stock or a price given several different values is a `conflicting-values` error of that resource (a
   * peer's page in a sync: its stock and price decide what is listed and sold), the rest read as usual (see
   * `ExtractOptions.strictSale`). Default false.
   */
  readonly strictSale?: boolean;
  /**
   * Whether the records are the document's as written, for a conversion that must give back its graph: an offer that
   * says no stock is not given its item's ({@link mirrorItemStock}). Default false.
   */
  readonly asWritten?: boolean;
}

/** JSON media types the decoder reads as JSON-LD. */
export function isJsonMediaType(mediaType: string): boolean {
  return mediaType === 'application/ld+json' || mediaType === 'application/json' || mediaType.endsWith('+json');
}

/**
 * A decoder's whole configuration as plain data, which a structured clone carries: a worker thread decodes with a
 * decoder made from its node's ({@link Decoder.settings}, {@link Decoder.fromSettings}), never a configuration of its own.
 */
export interface DecoderSettings {
  /** The taxonomy's concepts, in order. */
  readonly concepts: readonly Concept[];
  /** The stored JSON-LD contexts, URL and value. */
  readonly contexts: readonly (readonly [string, StoredContextValue])[];
  readonly defaultCurrency: string;
  readonly timeBudgetMs: number;
}

/** Decodes and validates DFC documents. One instance serves many documents. */
export class Decoder {
  private readonly validator: RecordValidator;
  /** The currency of a price given as a bare number. */
  public readonly defaultCurrency: Iri;
  private readonly timeBudgetMs: number;
  private readonly contexts: ContextRegistry;
  private readonly taxonomy: Taxonomy;

  public constructor(options: DecoderOptions = {}) {
    this.taxonomy = options.taxonomy ?? Taxonomy.builtin();
    this.validator = new RecordValidator(this.taxonomy);
    this.defaultCurrency = options.defaultCurrency === undefined ? EURO : toIri(options.defaultCurrency);
    this.timeBudgetMs = options.timeBudgetMs ?? DECODE_TIME_BUDGET_MS;
    this.contexts = options.contexts ?? ContextRegistry.NONE;
  }

  /** A decoder configured as the one whose {@link Decoder.settings} these are. */
  public static fromSettings(settings: DecoderSettings): Decoder {
    return new Decoder({
      taxonomy: Taxonomy.empty().with(settings.concepts), contexts: new ContextRegistry(settings.contexts),
      defaultCurrency: settings.defaultCurrency, timeBudgetMs: settings.timeBudgetMs,
    });
  }

  /** This decoder's configuration, as plain data (see {@link DecoderSettings}). */
  public settings(): DecoderSettings {
    return { concepts: [...this.taxonomy.all()], contexts: this.contexts.entries(), defaultCurrency: this.defaultCurrency, timeBudgetMs: this.timeBudgetMs };
  }

  /**
   * Decodes a document given as text (or as already parsed JSON).
   *
   * @param input - the body as text, or parsed JSON-LD
   * @param options - media type and base IRI
   */
  public async decode(input: string | object, options: DecodeOptions = {}): Promise<DecodeResult> {
    const deadline = new Deadline(this.timeBudgetMs);
    try {
      const read = await this.decodeWithin(input, options, deadline);
      // Every text read is well-formed Unicode, whatever the syntax (`well-formed.ts`): looked into only when the input may
      // hold a lone surrogate (parsed JSON, or text holding one or an escape of one).
      const result = mayHoldLoneSurrogates(input) ? wellFormedResult(read) : read;
      return options.asWritten === true ? result : mirrorItemStock(result);
    } catch (error: unknown) {
      // Every walk checks the deadline as it goes: a document that takes too long is refused, never a hang.
      if (error instanceof DecodeTimeoutError) return failure('decode-timeout', error.message);
      throw error;
    }
  }

  private async decodeWithin(input: string | object, options: DecodeOptions, deadline: Deadline): Promise<DecodeResult> {
    const mediaType = (options.mediaType ?? 'application/ld+json').split(';')[0]?.trim().toLowerCase() ?? '';
    if (typeof input === 'string' && RDF_FORMATS[mediaType] !== undefined) {
      const { graph, problems } = await readRdf(input, mediaType, options.base, deadline);
      return this.finish(graph, problems, 'rdf', deadline, options);
    }
    if (typeof input === 'string' && !isJsonMediaType(mediaType)) {
      return failure('unsupported-media-type', `unsupported media type ${mediaType}: expected JSON-LD, Turtle, N-Triples or N-Quads`);
    }
    // The common document (a built-in context, a flat graph of the usual resources) is read straight into records,
    // from its text a node at a time when it is laid out as catalogues are; anything the direct reader does not
    // fully understand goes the general way, which reads it identically (`direct.ts`). A document parsed already (a
    // sync's page, parsed once by the fetcher for its paging links) is read by the direct reader too: the general way
    // took 4–5 times as long on a 1,000-offer page (42 against 9 ms).
    // A write says each thing once: a name given twice in one object is refused, not read as whichever JSON.parse
    // keeps (a peer's page is read as it always was). Text that is no JSON goes on to be refused as such.
    // What the text holds is counted before anything reads it: every reader below costs work and memory per value.
    const excess = typeof input === 'string' ? jsonTextExcess(input) : undefined;
    if (excess !== undefined) return failure(excess.code, excess.message);
    if (typeof input === 'string' && (options.catalogueWrite === true || options.orderRequest === true)) {
      // Refused before JSON.parse, which would hold the event loop for seconds on millions of `[`.
      const { tooDeep, duplicate } = scanJsonText(input);
      if (tooDeep) return failure('too-deep', `the document nests JSON arrays and objects more than ${MAX_JSON_DEPTH} levels deep`);
      if (duplicate !== undefined && isJson(input)) return failure('conflicting-values', duplicateNameMessage(duplicate));
    }
    const tryDirect = options.direct !== false;
    const streamed = !tryDirect ? 'node' : typeof input === 'string' ? readDirectText(input, this.contexts, deadline) : 'layout';
    // The direct reader cannot tell a stock not said from a negative one: a catalogue write of an item or offer
    // without a stock goes the general way, which can (`unstatedStock`).
    const usable = (read: Extraction | undefined): read is Extraction => read !== undefined && !(options.catalogueWrite === true && needsGeneralWay(read));
    if (typeof streamed === 'object' && usable(streamed)) return this.validated(streamed, [], 'direct', deadline);
    let document: unknown = input;
    if (typeof input === 'string') {
      try {
        document = JSON.parse(input);
      } catch (error: unknown) {
        return failure('invalid-json', `malformed JSON: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (streamed === 'layout') {
      const direct = readDirect(document, this.contexts, deadline);
      if (usable(direct)) return this.validated(direct, [], 'direct', deadline);
    }
    const read = await readJsonLd(document, {
      ...(options.base !== undefined ? { base: options.base } : {}), deadline, contexts: this.contexts,
    });
    return this.finish(read.graph, read.problems, read.path, deadline, options);
  }

  /**
   * Validates records that did not come from the wire (an API write built from plain JSON).
   *
   * @param records - the records to check
   */
  public validate(records: readonly DfcRecord[]): Problem[] {
    return records.flatMap((record) => this.validator.validate(record));
  }

  private finish(graph: Graph, readProblems: Problem[], via: DecodeResult['via'], deadline: Deadline, options: DecodeOptions): DecodeResult {
    const documentErrors = readProblems.filter((p) => p.id === null && p.severity === 'error');
    if (documentErrors.length > 0) return { records: [], problems: readProblems, rejected: [], references: [], envelopes: [], via };
    const extraction = extractRecords(graph, {
      defaultCurrency: this.defaultCurrency, deadline,
      ...(options.orderRequest === true ? { orderRequest: true } : {}), ...(options.catalogueWrite === true ? { catalogueWrite: true } : {}),
      ...(options.strictSale === true ? { strictSale: true } : {}),
    });
    return this.validated(extraction, readProblems, via, deadline);
  }

  /** Validates extracted records and sorts them into accepted and rejected. */
  private validated(extraction: Extraction, readProblems: Problem[], via: DecodeResult['via'], deadline: Deadline): DecodeResult {
    const all = extraction.records;
    // Bounded, whatever path found them: at most MAX_PROBLEMS, and the first error of each resource (which rejects it).
    const collected = new ProblemCollector();
    collected.pushAll(withDerivedLinkWarnings(readProblems, all));
    collected.pushAll(extraction.problems);
    // Index loops: these run once per record of a catalogue, and their iterators were garbage of every decode.
    for (let r = 0; r < all.length; r++) {
      deadline.check();
      const record = withoutBadDerivedLinks(all[r] as DfcRecord, collected);
      all[r] = record;
      collected.pushAll(this.validator.validate(record, extraction.invalidFields.get(record.id)));
    }
    const problems = collected.list();
    const byId = new Map<string, Problem[]>();
    for (let i = 0; i < problems.length; i++) {
      const p = problems[i] as Problem;
      if (p.id === null || p.severity !== 'error') continue;
      const list = byId.get(p.id) ?? [];
      list.push(p);
      byId.set(p.id, list);
    }
    // Nothing rejected (the usual document): the extracted list is the answer, not a copy of it.
    const anyRejected = byId.size > 0;
    const records: DfcRecord[] = anyRejected ? [] : all;
    const rejected: RejectedResource[] = [];
    for (let r = 0; anyRejected && r < all.length; r++) {
      const record = all[r] as DfcRecord;
      const errors = byId.get(record.id);
      if (errors === undefined) records.push(record);
      else {
        const of = versionOf(record);
        rejected.push({ id: record.id, type: errors[0]?.type ?? null, problems: errors, ...(of !== undefined ? { versionOf: of } : {}) });
        byId.delete(record.id);
      }
    }
    // Errors about nodes that never became records (a malformed @id on an untyped node, say).
    for (const [id, errors] of byId) rejected.push({ id, type: errors[0]?.type ?? null, problems: errors });
    return {
      records, problems: sortProblems(problems), rejected, references: extraction.references, envelopes: extraction.envelopes, via,
      ...(extraction.unstatedStock !== undefined ? { unstatedStock: extraction.unstatedStock } : {}),
      ...(extraction.barePrices !== undefined ? { barePrices: extraction.barePrices } : {}),
    };
  }
}

/**
 * An offer that says no stock, of a catalog item in the same document that says one, takes the item's: Open Food
 * Network has one stock per variant, and publishes it on the item and on its offer alike. Published without it, the
 * offer read as on demand (unlimited) while its item sold a few: a DFC client that reads the offer's stock (as Open
 * Food Network's own importer may) would order what is not there. An offer stating its own stock keeps it; an item
 * saying none leaves its offers as they are (on demand when created, unchanged when replaced). Every document is read
 * so (a write, an import, a peer's page, a conversion): OFN's importer reads the offer's stock after the item's, and
 * a variant it reads on demand is one its stock sync never corrects.
 */
export function mirrorItemStock(result: DecodeResult): DecodeResult {
  const unstated = result.unstatedStock;
  if (unstated === undefined || unstated.size === 0) return result;
  const stated = new Map<string, number | null>();
  for (const record of result.records) if (record.kind === 'CatalogItem' && !unstated.has(record.id)) stated.set(record.id, record.stock);
  if (stated.size === 0) return result;
  const still = new Set(unstated);
  const records = result.records.map((record): DfcRecord => {
    if (record.kind !== 'Offer' || !unstated.has(record.id) || record.item === undefined) return record;
    const stock = stated.get(record.item);
    if (stock === undefined) return record;
    still.delete(record.id);
    const offer: OfferRecord = { ...record, stock };
    return offer;
  });
  return { ...result, records, unstatedStock: still };
}

/**
 * The local names of the derived link lists (`manages`, `supplies`), each with the kind that holds it: a reader's
 * problem names the property as the document wrote its key (`dfc-b:manages`, `dfc:manages`, the full IRI).
 */
const DERIVED_LISTS: ReadonlyMap<string, string> = new Map(LINK_ENDS.filter(([own]) => own.derived).map(([own]) => [localName(own.property), own.kind]));

/** The derived link ends, by the kind of record that holds them: looked up once per record decoded. */
const DERIVED_ENDS: ReadonlyMap<string, readonly LinkEnd[]> = LINK_ENDS.reduce((byKind, [own]) => {
  if (own.derived) byKind.set(own.kind, [...(byKind.get(own.kind) ?? []), own]);
  return byKind;
}, new Map<string, LinkEnd[]>());

/** The local name of a property as written (after its prefix, `#` or last `/`). */
function localName(property: string): string {
  return property.slice(Math.max(property.lastIndexOf(':'), property.lastIndexOf('#'), property.lastIndexOf('/')) + 1);
}

/**
 * The problems of a document read, those of a malformed IRI in a derived link list of a record that holds it made
 * warnings (the reader left the value out; see {@link withoutBadDerivedLinks}): the only errors of such a record
 * would otherwise refuse it whole. The same array when there is none.
 */
function withDerivedLinkWarnings(problems: Problem[], records: readonly DfcRecord[]): Problem[] {
  const derived = (p: Problem): boolean => p.severity === 'error' && p.code === 'invalid-iri' && p.id !== null && DERIVED_LISTS.has(localName(p.path));
  if (!problems.some(derived)) return problems;
  const kinds = new Map(records.map((r) => [r.id as string, r.kind as string]));
  return problems.map((p) => (derived(p) && kinds.get(p.id ?? '') === DERIVED_LISTS.get(localName(p.path))
    ? { ...p, severity: 'warning', message: `${p.message}: left out of ${p.path}, the rest of the resource is kept` }
    : p));
}

/**
 * A record without the values of its derived link lists (an enterprise's `supplies` and `manages`) that are no link,
 * each list's dropped with a warning: the node derives those lists from the other end and never keeps them (see
 * `withoutDerivedLinks`), so one malformed entry (`…/catalog_items/new item`) must not refuse the whole enterprise,
 * and with it a peer's profile of the farm (its name, its address: every offer of it unplaced). The same object
 * when every value is a link.
 *
 * @param problems - where the warnings go
 */
function withoutBadDerivedLinks(record: DfcRecord, problems: ProblemCollector): DfcRecord {
  let result = record;
  for (const own of DERIVED_ENDS.get(record.kind) ?? []) {
    const links = (record as unknown as Readonly<Record<string, readonly unknown[] | undefined>>)[own.field];
    if (links === undefined || links.every(isNodeIdValue)) continue;
    const bad = links.filter((link) => !isNodeIdValue(link));
    problems.push(problem('invalid-value', record.id, `dfc-b:${record.kind}`, shortName(own.property),
      `${bad.length} value(s) of ${shortName(own.property)} are no IRI (${JSON.stringify(String(bad[0])).slice(0, 120)}): left out, the rest of the resource is kept`,
      'warning'));
    result = { ...result, [own.field]: links.filter(isNodeIdValue) };
  }
  return result;
}

/**
 * Whether a catalogue write read directly needs the general way: an item or offer with no stock (not said, or
 * negative: the direct reader cannot tell them apart), or a stock finer than a thousandth, which the general way
 * refuses in a write of this node's catalogue.
 */
function needsGeneralWay(extraction: Extraction): boolean {
  return extraction.records.some((r) => (r.kind === 'CatalogItem' || r.kind === 'Offer') && (r.stock === null || !inThousandths(r.stock)));
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function failure(code: ProblemCode, message: string): DecodeResult {
  return { records: [], problems: [problem(code, null, null, '', message)], rejected: [], references: [], envelopes: [], via: 'fast' };
}

function sortProblems(problems: Problem[]): Problem[] {
  // Document-level first, then in the order found (stable sort).
  return problems.sort((a, b) => Number(a.id !== null) - Number(b.id !== null));
}

/** Whether a decode result has any error. */
export function decodeFailed(result: DecodeResult): boolean {
  return hasErrors(result.problems);
}

/** A decode's result with the text of its records and envelopes well-formed, and a warning for each that was not. */
function wellFormedResult(result: DecodeResult): DecodeResult {
  const records = wellFormedRecords(result.records);
  const envelopes = wellFormedRecords(result.envelopes);
  if (records.problems.length === 0 && envelopes.problems.length === 0) return result;
  return { ...result, records: records.records, envelopes: envelopes.records, problems: [...result.problems, ...records.problems, ...envelopes.problems] };
}
