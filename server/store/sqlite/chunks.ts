/**
 * Chunked statements: SQLite bounds the parameters of one statement, and a peer's snapshot or a big list of
 * `@id`s can exceed that bound.
 *
 * @packageDocumentation
 */
import type { SqlConnection, SqlValue } from './database.js';

/**
 * Rows of `columns` values cut into chunks of at most `parameters` bound values: each chunk's `(?, …), …` and
 * its values, every value bound as a parameter (never through JSON, whose reader in SQLite does not give back
 * every double exactly).
 */
export function* valueChunks(rows: readonly SqlValue[][], columns: number, parameters: number): Generator<{ values: string; params: SqlValue[] }> {
  const perStatement = Math.max(1, Math.floor(parameters / columns));
  const placeholder = `(${new Array<string>(columns).fill('?').join(',')})`;
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement);
    yield { values: chunk.map(() => placeholder).join(','), params: chunk.flat() };
  }
}

/** Runs one multi-row INSERT per chunk of rows. */
export async function insertMany(tx: SqlConnection, head: string, columns: number, rows: readonly SqlValue[][], tail = ''): Promise<void> {
  // SQLite allows 32,766 bound parameters per statement: stay well below it.
  for (const { values, params } of valueChunks(rows, columns, 30000)) await tx.run(`${head} VALUES ${values} ${tail}`, params);
}

/** Runs `work` on chunks of 500 `@id`s, with the matching `?,?,…` placeholders. */
export async function inChunks(iris: readonly string[], work: (chunk: string[], marks: string) => Promise<void>): Promise<void> {
  for (let i = 0; i < iris.length; i += 500) {
    const chunk = iris.slice(i, i + 500);
    await work(chunk, chunk.map(() => '?').join(','));
  }
}
