/**
 * What one document may cost the node to decode: depth, values per property, what is kept of it, and time.
 *
 * A decode must cost the node a linear function of its input, and every walk whose depth the input controls
 * is either iterative or stopped at a fixed depth before it recurses. Past a limit, the resource (or the
 * document) is refused with a problem: a 422 on a write, a quarantine entry on sync, never a node that dies.
 *
 * @packageDocumentation
 */
import { performance } from 'node:perf_hooks';
import { problem, type Problem } from '../errors/problem.js';

/**
 * Deepest nesting of JSON (objects and arrays together) a JSON-LD document may have. Checked by an iterative
 * scan before any walk (ours or jsonld.js's, which recurse); a DFC document nests a dozen levels at most.
 */
export const MAX_JSON_DEPTH = 256;

/** Deepest nesting of node objects a JSON-LD document may have. */
export const MAX_NODE_DEPTH = 64;

/**
 * Deepest chain of blank nodes a resource keeps inline in its unmodelled properties (Turtle `[ … [ … ] ]`,
 * nested RDF lists, a JSON-LD chain of blank nodes). The kept value is a tree that is stored, encoded and
 * rewritten by recursive code: this bound is what makes that code safe.
 */
export const MAX_EXTRA_DEPTH = 64;

/**
 * Most values one property of one node may hold: an enterprise's `supplies`, `manages`, or any other list.
 * The catalogues of real platforms hold at most thousands of products; a hundred thousand is plenty.
 */
export const MAX_VALUES_PER_PROPERTY = 100_000;

/**
 * Most types one node may have. Real documents give one to three; each type a node gets is compared with those it
 * has (a node's types are a short list, scanned), so a node of 150,000 types cost 20 s of the event loop to read,
 * and as long again to write back in Turtle.
 */
export const MAX_TYPES_PER_NODE = 64;

/** The key under which {@link MAX_TYPES_PER_NODE} is reported, as a property's limit is under its IRI. */
export const TYPES_KEY = '@type';

/** The most values the property (or `@type`) may hold, for a `too-many-values` problem. */
export function valueLimitOf(key: string): number {
  return key === TYPES_KEY ? MAX_TYPES_PER_NODE : MAX_VALUES_PER_PROPERTY;
}

/**
 * What the unmodelled properties of a whole document may keep, in values (literals, links and blank nodes):
 * this many times the values of the document itself, plus {@link KEPT_VALUES_SLACK}. Blank nodes are kept
 * as trees, so a blank node reached twice is kept twice: without a bound, a chain of shared blank nodes
 * (`_:l0 :a _:l1 ; :b _:l1 . _:l1 :a _:l2 ; :b _:l2 …`) doubles at each level and a 1 KB document becomes
 * gigabytes.
 */
export const KEPT_VALUES_FACTOR = 4;

/** The fixed part of the kept-values budget, so that small documents are never refused for sharing a node. */
export const KEPT_VALUES_SLACK = 10_000;

/**
 * Longest name (`dfc-b:name` of any resource), in UTF-16 code units. A product's or an enterprise's name is a line
 * of a list, the title of a page: Open Food Network caps them at 255, a thousand is plenty. A longer one is an error
 * of its resource (refused whole, never truncated: a cut name is a word its origin never said, and relays would
 * pass it on as if it had).
 */
export const MAX_NAME_LENGTH = 1_000;

/**
 * Longest text of any other literal of a resource (a description, an address line, a kept unmodelled literal), in
 * UTF-16 code units: a product's description of several pages fits. Every text a peer sends is stored, indexed for
 * search and served again: a megabyte per offer multiplied by a national catalogue is a node out of disk and memory.
 */
export const MAX_TEXT_LENGTH = 20_000;

/**
 * Most values one document may hold: JSON values (objects, arrays, strings, numbers, booleans, nulls; the names of
 * an object's members are not counted), counted in its text before it is parsed ({@link jsonTextExcess}). Every
 * value costs the parse, and the walks after it, work and memory: 24 million `1`s (48 MB, under the response limit)
 * once exhausted a 4 GB heap. A page of 300,000 products holds about 1.2 million; a catalogue of a hundred thousand
 * offers written out in full, about three.
 */
export const MAX_DOCUMENT_VALUES = 4_000_000;

/**
 * Most nodes one document may hold: JSON objects and arrays, or RDF statements (Turtle, N-Triples, N-Quads). A node
 * costs more than a scalar (an object each, several for a statement): 15 million `{}` (45 MB) held a node's event
 * loop for 8 s in `JSON.parse` alone, and 3.5 million `[] x:p [] .` for 32 s in the Turtle parser. A page of 300,000
 * products is 300,000 objects.
 */
export const MAX_DOCUMENT_NODES = 1_000_000;

/**
 * Most statements one RDF document (Turtle, N-Triples, N-Quads) may hold, counting each `[`, `(` or `<<` the parser
 * opens as one (it holds a context for each until it closes: 50 MB of `[ a [ a …` never completes a statement). Twice
 * {@link MAX_DOCUMENT_NODES}: a DFC product is about 25 statements but 5 JSON objects, and 50,000 products in one
 * Turtle page (1.25 million statements, 45 MB) must read as they do in JSON-LD.
 */
export const MAX_RDF_STATEMENTS = 2 * MAX_DOCUMENT_NODES;

/**
 * Most problems one document's decode lists ({@link ProblemCollector}): past them, each is counted, and one warning
 * says how many were not listed. A problem per value of a document of millions was gigabytes of problems.
 */
export const MAX_PROBLEMS = 1_000;

/**
 * The problems of one decode, bounded: the first {@link MAX_PROBLEMS} are kept, then only the first error of each
 * resource (and of the document), which is what rejects it (a resource or a document with an error must never pass
 * for one without); the others are counted. Those kept past the bound cost no more than the resources they reject,
 * which the document's own limits bound.
 */
export class ProblemCollector {
  private readonly kept: Problem[] = [];
  private dropped = 0;
  /** The resources (null: the document) with an error kept. */
  private readonly erring = new Set<string | null>();

  /** Adds a problem, or counts it when over the bound. */
  public push(found: Problem): void {
    const error = found.severity === 'error';
    if (this.kept.length < MAX_PROBLEMS || (error && !this.erring.has(found.id))) {
      this.kept.push(found);
      if (error) this.erring.add(found.id);
    } else {
      this.dropped++;
    }
  }

  /** Adds every problem of a list. */
  public pushAll(found: readonly Problem[]): void {
    for (let i = 0; i < found.length; i++) this.push(found[i] as Problem);
  }

  /** Adds a problem first (a document-level one found at the end of a walk), whatever the bound. */
  public unshift(found: Problem): void {
    this.kept.unshift(found);
    if (found.severity === 'error') this.erring.add(found.id);
  }

  /** The problems kept, then, when some were not, a warning that says how many. */
  public list(): Problem[] {
    if (this.dropped === 0) return this.kept;
    return [...this.kept, problem('too-many-problems', null, null, '',
      `${this.dropped.toLocaleString('en-US')} more problem(s) of this document are not listed (at most ${MAX_PROBLEMS.toLocaleString('en-US')} are, `
      + 'and the first error of each resource)', 'warning')];
  }
}

/** The UTF-16 code units of JSON's structure, for the scans of a JSON text (here and in `json-duplicates.ts`). */
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACKET = 0x5d;
export const COMMA = 0x2c;
const SPACE = 0x20;

/** What a text holds more of than a document may: the problem's code, and its message. */
export interface TextExcess {
  /** `too-deep`: nested deeper than {@link MAX_JSON_DEPTH}; `too-large`: more values or nodes than a document may hold. */
  readonly code: 'too-deep' | 'too-large';
  readonly message: string;
}

/**
 * Why a JSON text holds more than a document may (or nests deeper than {@link MAX_JSON_DEPTH}) ({@link MAX_DOCUMENT_VALUES}, {@link MAX_DOCUMENT_NODES}), read from
 * its text before `JSON.parse` builds any of it, or undefined when it does not. One pass, no allocation, stopped at
 * the first limit passed: tens of milliseconds a megabyte. Malformed text is counted as far as it goes (its parse
 * refuses it after).
 *
 * @param text - the JSON text
 */
export function jsonTextExcess(text: string, maxValues = MAX_DOCUMENT_VALUES, maxNodes = MAX_DOCUMENT_NODES): TextExcess | undefined {
  // Values: the top one, one per comma (between an array's elements, an object's members), and the first of each
  // container that is not empty.
  let values = 1;
  let nodes = 0;
  let depth = 0;
  let opened = false;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c <= SPACE) continue;
    if (opened) {
      opened = false;
      if (c !== CLOSE_BRACE && c !== CLOSE_BRACKET && ++values > maxValues) break;
    }
    if (c === QUOTE) {
      let end = text.indexOf('"', i + 1);
      while (end !== -1 && escaped(text, end)) end = text.indexOf('"', end + 1);
      if (end === -1) return undefined;
      i = end;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      opened = true;
      if (++depth > MAX_JSON_DEPTH) return { code: 'too-deep', message: `the document nests JSON arrays and objects more than ${MAX_JSON_DEPTH} levels deep` };
      if (++nodes > maxNodes) {
        return { code: 'too-large', message: `the document holds more than ${maxNodes.toLocaleString('en-US')} JSON objects and arrays, more than a document may: nothing of it was read` };
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    } else if (c === COMMA && ++values > maxValues) {
      break;
    }
  }
  return values > maxValues
    ? { code: 'too-large', message: `the document holds more than ${maxValues.toLocaleString('en-US')} JSON values, more than a document may: nothing of it was read` }
    : undefined;
}

/** Whether the quote at `at` is escaped (an odd number of backslashes before it). */
function escaped(text: string, at: number): boolean {
  let count = 0;
  for (let i = at - 1; i >= 0 && text.charCodeAt(i) === BACKSLASH; i--) count++;
  return (count & 1) === 1;
}

const DOT = 0x2e;
const SEMICOLON = 0x3b;
const HASH = 0x23;
const LESS = 0x3c;
const APOSTROPHE = 0x27;

/**
 * Why a Turtle, N-Triples or N-Quads text holds more statements than a document may ({@link MAX_DOCUMENT_NODES}),
 * read from its text before the parser builds any of them, or undefined. Counts what ends a statement (`.`, and in
 * Turtle `;` and `,`, each of which ends one) outside IRIs, strings and comments: at least the statements written out
 * (a `.` inside a decimal or a name is followed by a letter or a digit, and not counted). The parse counts them exactly
 * as it goes ({@link MAX_DOCUMENT_NODES} quads).
 *
 * @param text - the document
 */
export function rdfTextExcess(text: string, maxStatements = MAX_RDF_STATEMENTS): string | undefined {
  let statements = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === LESS) {
      const end = text.indexOf('>', i + 1);
      if (end === -1) return undefined;
      i = end;
    } else if (c === QUOTE || c === APOSTROPHE) {
      const quote = c === QUOTE ? '"' : "'";
      const long = text.charCodeAt(i + 1) === c && text.charCodeAt(i + 2) === c;
      const closing = long ? quote.repeat(3) : quote;
      let end = text.indexOf(closing, i + closing.length);
      while (end !== -1 && escaped(text, end)) end = text.indexOf(closing, end + 1);
      if (end === -1) return undefined;
      i = end + closing.length - 1;
    } else if (c === HASH) {
      const end = text.indexOf('\n', i + 1);
      if (end === -1) break;
      i = end;
    } else if (c === SEMICOLON || c === COMMA || (c === DOT && !nameChar(text.charCodeAt(i + 1)))) {
      if (++statements > maxStatements) {
        return `the document holds more than ${maxStatements.toLocaleString('en-US')} statements, more than a document may: nothing of it was read`;
      }
    }
  }
  return undefined;
}

/** Whether a character goes on a name or a number (so a `.` before it is inside one, not the end of a statement). */
function nameChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2d || c === 0x3a || c === 0x25 || c > 0x7f;
}

/** Default wall-clock budget of one decode, in milliseconds. */
export const DECODE_TIME_BUDGET_MS = 10_000;

/** Thrown inside a decode when its time budget is spent; the decoder turns it into a document problem. */
export class DecodeTimeoutError extends Error {
  public constructor(budgetMs: number) {
    super(`decoding the document took longer than its budget of ${budgetMs} ms`);
  }
}

/** The wall-clock budget of one decode: readers and the extractor call {@link Deadline.check} as they go. */
export class Deadline {
  private readonly end: number;
  private calls = 0;

  /**
   * @param budgetMs - how long the decode may take from now
   */
  public constructor(private readonly budgetMs: number) {
    this.end = performance.now() + budgetMs;
  }

  /** A deadline that never passes (for callers that decode their own, trusted, output). */
  public static none(): Deadline {
    return new Deadline(Number.POSITIVE_INFINITY);
  }

  /**
   * Throws {@link DecodeTimeoutError} once the budget is spent. Cheap enough for every node: the clock is read
   * on the first call and then once every 256 calls.
   */
  public check(): void {
    if ((this.calls++ & 0xff) !== 0) return;
    if (performance.now() >= this.end) throw new DecodeTimeoutError(this.budgetMs);
  }
}

/**
 * The deepest nesting of a parsed JSON value, found without recursion and without going further than
 * `limit + 1` levels.
 *
 * @param value - parsed JSON
 * @param limit - the depth past which the scan stops
 * @returns the depth (a scalar is 0, `[]` is 1), or `limit + 1` when deeper than `limit`
 */
export function jsonDepth(value: unknown, limit: number, deadline = Deadline.none()): number {
  // Two parallel stacks rather than a stack of pairs: this runs on every JSON-LD document, so it allocates little.
  const values: unknown[] = [value];
  const depths: number[] = [0];
  let deepest = 0;
  while (values.length > 0) {
    deadline.check();
    const current = values.pop();
    const depth = (depths.pop() as number) + 1;
    if (typeof current !== 'object' || current === null) continue;
    if (depth > deepest) {
      deepest = depth;
      if (deepest > limit) return limit + 1;
    }
    if (Array.isArray(current)) {
      for (const child of current) {
        if (typeof child === 'object' && child !== null) {
          values.push(child);
          depths.push(depth);
        }
      }
    } else {
      for (const key in current) {
        const child = (current as Record<string, unknown>)[key];
        if (typeof child === 'object' && child !== null) {
          values.push(child);
          depths.push(depth);
        }
      }
    }
  }
  return deepest;
}
