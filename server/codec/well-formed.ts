/**
 * Text read from any input is well-formed Unicode. A lone surrogate (half of a UTF-16 pair, `"\ud800"` in JSON or
 * `\uD800` in Turtle) is no character: UTF-8 cannot hold it, so each writer did something else with it (JSON-LD wrote
 * it back escaped, Turtle as U+FFFD) and one text read differently in each format. It is read as U+FFFD, as a
 * byte sequence that is no UTF-8 is, with a warning naming the resource; the rest of the text is kept, as with a
 * language tag no syntax can write (`invalid-language-tag`).
 *
 * @packageDocumentation
 */
import type { DfcRecord } from '../../ontology/records.js';
import { problem, type Problem } from '../errors/problem.js';

/** The ES2024 string methods (Node 20 has them; the project's `lib` is ES2023). */
interface WellFormedText {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/** A surrogate written as an escape (JSON `\uD8xx`, Turtle `\uD8xx` or `\U0000D8xx`), which parses to a lone one, or to half of a pair. */
const ESCAPED_SURROGATE = /\\u[dD][89a-fA-F]|\\U0000[dD][89a-fA-F]/;

/**
 * Whether text read from this input may hold a lone surrogate: parsed JSON may (it is not looked into: the records are
 * checked), text may when it holds one or an escape of one. Most documents hold neither, and cost two scans.
 *
 * @param input - a document as the decoder takes it
 */
export function mayHoldLoneSurrogates(input: string | object): boolean {
  if (typeof input !== 'string') return true;
  return !(input as unknown as WellFormedText).isWellFormed() || ESCAPED_SURROGATE.test(input);
}

/** A string with each lone surrogate replaced by U+FFFD (itself when it has none). */
export function wellFormed(text: string): string {
  const t = text as unknown as WellFormedText;
  return t.isWellFormed() ? text : t.toWellFormed();
}

/** A value with every string in it (object keys too) well-formed; the value itself when nothing changed. */
function wellFormedValue(value: unknown): unknown {
  if (typeof value === 'string') return wellFormed(value);
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = wellFormedValue(value[i]);
      if (v !== value[i]) (out ??= value.slice())[i] = v;
    }
    return out ?? value;
  }
  let out: Record<string, unknown> | undefined;
  const entries = Object.entries(value as Record<string, unknown>);
  for (const [key, v] of entries) {
    const k = wellFormed(key);
    const w = wellFormedValue(v);
    if (k !== key || w !== v) out ??= {};
  }
  if (out === undefined) return value;
  for (const [key, v] of entries) out[wellFormed(key)] = wellFormedValue(v);
  return out;
}

/**
 * Records with their text made well-formed, and a warning for each record that held a lone surrogate.
 *
 * @param records - the records read
 * @returns the records (the same objects when they held none) and the warnings
 */
export function wellFormedRecords<T extends DfcRecord>(records: readonly T[]): { records: T[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const out = records.map((record) => {
    const fixed = wellFormedValue(record) as T;
    if (fixed !== record) {
      problems.push(problem('ill-formed-text', fixed.id, null, '',
        'text holding a lone surrogate (half of a UTF-16 pair, no Unicode character) is read with U+FFFD in its place', 'warning'));
    }
    return fixed;
  });
  return { records: out, problems };
}
