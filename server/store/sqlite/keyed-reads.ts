/**
 * Point reads by key that are asked in the same turn of the event loop, run as one statement.
 *
 * Every statement is a round trip through sqlite3's thread pool that costs the main thread about 30 µs and the
 * process about 45 µs, however small (measured on a one-row read by key). Under load a turn of the event loop
 * handles many requests at once, and each of them reads its own row by key (its token, say): those reads are
 * gathered until the turn's end (`setImmediate`) and made as one `IN (…)` statement, whose rows are handed back
 * to each asker by key. A lone read waits for nothing more than the end of its own turn.
 *
 * Nothing is cached: every read sees the database as it is when its statement runs, as a read of its own would.
 *
 * @packageDocumentation
 */

/** Keys read by one statement at most: below the bulk threshold of the statement cache, as elsewhere. */
const KEYS_PER_STATEMENT = 99;

/**
 * The numbers of keys a statement is written for: a batch is padded up to the next (with its last key again, which
 * `IN` reads once), so that a read keeps eight statements in the connection's cache, not one per batch size.
 */
const STATEMENT_SIZES = [1, 2, 4, 8, 16, 32, 64, KEYS_PER_STATEMENT] as const;

/** A chunk of keys padded to the next of {@link STATEMENT_SIZES}, and its `?, ?…`. */
function padded(chunk: readonly string[]): { keys: string[]; marks: string } {
  const size = STATEMENT_SIZES.find((s) => s >= chunk.length) ?? KEYS_PER_STATEMENT;
  const keys = [...chunk];
  while (keys.length < size) keys.push(chunk[chunk.length - 1] as string);
  return { keys, marks: keys.map(() => '?').join(',') };
}

/**
 * `?1,?2,…,?n`, the marks of `n` keys for a statement that names the list of keys more than once (in each part of a
 * `UNION ALL`): bound once each, however many times named, they stay below the bulk threshold of the statement cache.
 */
export function numbered(n: number): string {
  return Array.from({ length: n }, (_, i) => `?${i + 1}`).join(',');
}

interface Waiting<R> {
  readonly resolve: (rows: readonly R[]) => void;
  readonly reject: (error: unknown) => void;
}

/** Reads rows by key, the reads of one turn together. */
export class KeyedReads<R> {
  private pending: Map<string, Waiting<R>[]> | undefined;

  /**
   * @param read - reads the rows of some keys (at most {@link KEYS_PER_STATEMENT}, a key maybe more than once, as
   * `IN` takes it: its rows once), `marks` being their `?, ?…`
   * @param keyOf - the key of a row read
   */
  public constructor(
    private readonly read: (keys: readonly string[], marks: string) => Promise<readonly R[]>,
    private readonly keyOf: (row: R) => string,
  ) {}

  /** The row of `key` (the first, when the key is not unique), or undefined when there is none. */
  public async get(key: string): Promise<R | undefined> {
    return (await this.all(key))[0];
  }

  /** The rows of `key`, in the order the statement gave them. */
  public all(key: string): Promise<readonly R[]> {
    return new Promise<readonly R[]>((resolve, reject) => {
      let pending = this.pending;
      if (pending === undefined) {
        pending = new Map();
        this.pending = pending;
        setImmediate(() => void this.flush());
      }
      const waiting = pending.get(key);
      if (waiting === undefined) pending.set(key, [{ resolve, reject }]);
      else waiting.push({ resolve, reject });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = undefined;
    if (batch === undefined) return;
    const keys = [...batch.keys()];
    const chunks: string[][] = [];
    for (let i = 0; i < keys.length; i += KEYS_PER_STATEMENT) chunks.push(keys.slice(i, i + KEYS_PER_STATEMENT));
    await Promise.all(chunks.map(async (chunk) => {
      try {
        const found = new Map<string, R[]>();
        const { keys: asked, marks } = padded(chunk);
        for (const row of await this.read(asked, marks)) {
          const key = this.keyOf(row);
          const rows = found.get(key);
          if (rows === undefined) found.set(key, [row]);
          else rows.push(row);
        }
        for (const key of chunk) for (const w of batch.get(key) ?? []) w.resolve(found.get(key) ?? []);
      } catch (error: unknown) {
        for (const key of chunk) for (const w of batch.get(key) ?? []) w.reject(error);
      }
    }));
  }
}
