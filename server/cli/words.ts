/**
 * Counted nouns for the command line's messages: "1 offer", "2 offers", "0 categories", never "1 resources".
 *
 * @packageDocumentation
 */

/** Nouns whose plural is not the singular plus "s". */
const IRREGULAR: Readonly<Record<string, string>> = {
  category: 'categories',
  'customer category': 'customer categories',
  taxonomy: 'taxonomies',
  entry: 'entries',
};

/**
 * A number and its noun, in the singular for exactly one.
 *
 * @param n - how many
 * @param noun - the noun, in the singular
 */
export function count(n: number, noun: string): string {
  return `${n} ${n === 1 ? noun : IRREGULAR[noun] ?? `${noun}s`}`;
}
