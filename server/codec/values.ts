/**
 * The rules for stock and price values, shared by every reader of DFC: the JSON-LD and RDF documents
 * (`extract.ts`) and Open Food Network's plain-JSON updates (`plain-json.ts`).
 *
 * @packageDocumentation
 */
import type { Iri } from '../../ontology/iri.js';
import type { Price } from '../../ontology/records.js';
import type { Term } from './graph.js';

const NUMBER = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/u;

/** What a stock limitation is called in problem messages. */
export const STOCK_LABEL = 'stock (dfc-b:stockLimitation)';

/**
 * A literal as a number: JSON numbers, numeric strings (`"40"`, as the TypeScript connector sends every
 * number) and numeric typed literals. A number that does not fit a double (`1e309`, which JSON and `Number`
 * read as Infinity), NaN and `INF` are no number: every caller reports the value with its path rather than
 * storing a value that JSON cannot write back.
 */
export function toNumber(term: Term): number | undefined {
  if (term.kind !== 'literal') return undefined;
  if (typeof term.value === 'number') return Number.isFinite(term.value) ? term.value : undefined;
  if (typeof term.value === 'string' && NUMBER.test(term.value)) {
    const value = Number(term.value);
    return Number.isFinite(value) ? value : undefined;
  }
  return undefined;
}

/** A plain JSON value as a number, by the same rule as {@link toNumber} (numbers and numeric strings). */
export function jsonNumber(value: unknown): number | undefined {
  return typeof value === 'number' || typeof value === 'string' ? toNumber({ kind: 'literal', value }) : undefined;
}

/**
 * Open Food Network's stock rule: a stock limitation of zero or more is limited stock; absent or negative
 * is on demand (null).
 */
export function stockOf(limitation: number | undefined): number | null {
  return limitation === undefined || limitation < 0 ? null : limitation;
}

/**
 * A price given as a bare number, as Open Food Network sent before 2025 (and still accepts): the value in
 * the currency of the price it replaces, else the default currency; the rest of that price (its VAT rate) is kept.
 */
export function barePrice(value: number, defaultCurrency: Iri, previous?: Price): Price {
  return { ...(previous ?? {}), value, currency: previous?.currency ?? defaultCurrency };
}
