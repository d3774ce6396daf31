/**
 * The walks through a text search's pages (`q`), kept in memory: the order of a text's matches is its relevance
 * over the whole index (bm25 weighs each word by every offer that holds it; a text too broad to rank lists its
 * hits in index order), so no key of a row holds its place in it, and every write of the index (a sync, a local
 * order or stock change) may reorder it. A walk keeps the ordered keys of its matches as its first page found them
 * (at most 1,000: a few hundred kilobytes at worst), and each of its pages is read by those keys:
 * nothing is skipped or repeated whatever changes meanwhile. The walks are bounded in number, bytes and age; a
 * walk no longer kept is the only reason its next page is refused.
 *
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import type { RowKey } from '../store/federation.js';

/** How the walks are bounded. */
export interface TextWalkLimits {
  /** Most walks kept (the least recently read goes first). */
  readonly walks: number;
  /** Most bytes of keys kept, all walks together (an estimate: two bytes per character, plus each key's overhead). */
  readonly bytes: number;
  /** How long (ms) a walk is kept after its last page was read. */
  readonly ttlMs: number;
}

/** The default bounds: 256 walks, 32 MiB, 15 minutes (a person reading a page, a crawler following the links). */
export const TEXT_WALK_LIMITS: TextWalkLimits = { walks: 256, bytes: 32 * 1024 * 1024, ttlMs: 15 * 60_000 };

/** The cost in bytes counted for each key beside its characters: the object, the array's slot, the strings' headers. */
const KEY_OVERHEAD = 64;

/** One walk: the query it is of (its walk goes on only with that query), its ordered keys, when it was last read. */
interface Walk {
  readonly query: string;
  readonly keys: readonly RowKey[];
  readonly bytes: number;
  at: number;
}

/** A walk's id as a cursor carries it: 16 random bytes in base64url. */
export const WALK_ID = /^[A-Za-z0-9_-]{22}$/u;

/** The kept walks of text searches, least recently read first. */
export class TextWalks {
  private readonly walks = new Map<string, Walk>();
  private bytes = 0;

  public constructor(
    private readonly limits: TextWalkLimits = TEXT_WALK_LIMITS,
    /** The clock (ms), for tests. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Keeps a new walk of `query` (any text that names the query: a walk goes on only with the same) and answers its id.
   * A walk bigger than the bytes allowed to all of them is not kept: undefined.
   */
  public start(query: string, keys: readonly RowKey[]): string | undefined {
    const bytes = keys.reduce((n, k) => n + KEY_OVERHEAD + 2 * (k.source.length + k.item.length), 0) + 2 * query.length;
    if (bytes > this.limits.bytes) return undefined;
    const id = randomBytes(16).toString('base64url');
    this.walks.set(id, { query, keys, bytes, at: this.now() });
    this.bytes += bytes;
    this.evict();
    return id;
  }

  /**
   * The ordered keys of walk `id` of `query`, which is read now (the last to be evicted); undefined when it is no
   * longer kept (evicted for newer ones, or unread for too long); `other` when it is of another query.
   */
  public keys(id: string, query: string): readonly RowKey[] | 'other' | undefined {
    this.evict();
    const walk = this.walks.get(id);
    if (walk === undefined) return undefined;
    if (walk.query !== query) return 'other';
    walk.at = this.now();
    this.walks.delete(id);
    this.walks.set(id, walk);
    return walk.keys;
  }

  /** Forgets the walks past their age, then the least recently read ones while the bounds are exceeded. */
  private evict(): void {
    const oldest = this.now() - this.limits.ttlMs;
    for (const [id, walk] of this.walks) {
      if (walk.at >= oldest && this.walks.size <= this.limits.walks && this.bytes <= this.limits.bytes) break;
      this.walks.delete(id);
      this.bytes -= walk.bytes;
    }
  }
}
