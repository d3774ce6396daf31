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
export function jsonDepth(value: unknown, limit: number): number {
  // Two parallel stacks rather than a stack of pairs: this runs on every JSON-LD document, so it allocates little.
  const values: unknown[] = [value];
  const depths: number[] = [0];
  let deepest = 0;
  while (values.length > 0) {
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
