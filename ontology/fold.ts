/**
 * Folding text for search: what a French user types (`chevre`, `oeufs`, `LEGUME`) and what producers write
 * (`Chèvre`, `Œufs`, `légume`) fold to the same letters.
 *
 * @packageDocumentation
 */

/**
 * Letters that Unicode decomposition leaves whole (ligatures and a few letters with a stroke), spelled out the
 * way a keyboard without them writes them. SQLite's `unicode61` tokenizer removes accents but does not expand
 * ligatures, so `oeufs` would never match `Œufs` without this.
 */
const SPELLED_OUT: Readonly<Record<string, string>> = {
  'œ': 'oe', 'æ': 'ae', 'ß': 'ss', 'ø': 'o', 'đ': 'd', 'ł': 'l', 'ĳ': 'ij', 'ŀ': 'l', 'ﬁ': 'fi', 'ﬂ': 'fl', 'ﬀ': 'ff',
};
const SPELLED_OUT_RE = new RegExp(`[${Object.keys(SPELLED_OUT).join('')}]`, 'gu');

/** Whether a text is of ASCII characters only (see {@link foldText}). */
function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * Text folded for search: lower case, accents removed (NFD, then combining marks dropped), ligatures spelled
 * out (`œ` → `oe`, `æ` → `ae`, `ß` → `ss`), typographic apostrophes made plain. Idempotent, and the same on
 * indexed text and on queries, so both sides compare as equal.
 *
 * @param text - any text
 * @returns the folded text (same words, same spaces)
 */
export function foldText(text: string): string {
  // Plain ASCII (most names, IRIs, many descriptions) folds to its lower case: no ASCII character decomposes, is a
  // mark, a ligature or a typographic apostrophe. One scan instead of a normalisation and three replacements.
  if (isAscii(text)) return text.toLowerCase();
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(SPELLED_OUT_RE, (c) => SPELLED_OUT[c] ?? c)
    .replace(/[\u2018\u2019\u02bc]/gu, "'");
}

/**
 * The folded words of a text: runs of letters and digits (what SQLite's `unicode61` tokenizer calls a token),
 * so `Pommes de terre - 2,5 kg` gives `pommes`, `de`, `terre`, `2`, `5`, `kg`.
 */
export function foldedWords(text: string): string[] {
  return foldText(text).match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * French elisions (`l'`, `d'`, `qu'`, `jusqu'`…, after folding: any apostrophe) at the start of a word: in a query
 * they are no word of their own (`l'épicerie` is `épicerie`: a required `l` would leave out every "Épicerie" not
 * written after one).
 */
const ELISION = /(^|[^\p{L}\p{N}])(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu|quoiqu)'(?=\p{L})/gu;

/** The folded words of a query: as {@link foldedWords}, without French elisions. */
export function queryWords(text: string): string[] {
  return foldedWords(foldText(text).replace(ELISION, '$1 '));
}

/**
 * Levenshtein distance between two strings (for "did you mean" suggestions on short names; quadratic, so keep
 * the inputs short).
 */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
