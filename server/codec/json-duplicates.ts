/**
 * Duplicate names in a JSON object. `JSON.parse` keeps the last of `{"quantity": 1, "quantity": 2}` without a word
 * (RFC 8259 §4: the names SHOULD be unique, and what a reader does with two is unpredictable). A write must not rest
 * on which one a parser happens to keep: the body says two things where one is read, and is refused, as two values
 * of one property are in JSON-LD.
 *
 * @packageDocumentation
 */
import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COMMA, MAX_JSON_DEPTH, OPEN_BRACE, OPEN_BRACKET, QUOTE } from './limits.js';

/** A name given twice in one object of a JSON text. */
export interface DuplicateName {
  /** The name, decoded (`"a"` and `"\u0061"` are one name). */
  readonly name: string;
  /** Where the object is, as a JSON Pointer of the names and indexes that lead to it (`/@graph/2`). */
  readonly pointer: string;
}


/** A container being read: an object's names so far, or an array's index. */
interface Frame {
  readonly names: Set<string> | undefined;
  /** The name or index of this container in its parent ('' for the top). */
  readonly at: string;
  /** In an object: whether the next string is a name. In an array: the index of the next element. */
  expectName: boolean;
  index: number;
  /** The last name read in this object (the key of the value being read). */
  last: string;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/gu, '~0').replace(/\//gu, '~1');
}

/** What a refusal says of a {@link DuplicateName}. */
export function duplicateNameMessage(duplicate: DuplicateName): string {
  return `${JSON.stringify(duplicate.name)} is given twice in one object (at ${duplicate.pointer === '' ? 'the top' : duplicate.pointer}): `
    + 'a JSON reader keeps one of them, and which would be a guess';
}

/** What one reading of a write body's text says before it is parsed. */
export interface JsonTextScan {
  /** Whether it nests arrays and objects deeper than {@link MAX_JSON_DEPTH} (the scan stopped there). */
  readonly tooDeep: boolean;
  /** The first name given twice in one object, if any (none looked for past the depth limit). */
  readonly duplicate?: DuplicateName;
}

/**
 * The first name given twice in one object of a JSON text, if any. The text is assumed to be JSON that
 * `JSON.parse` reads (call it on text that parsed): malformed text gives no answer worth having. Linear in the
 * text, without building its values; a text nested deeper than {@link MAX_JSON_DEPTH} is not scanned past it.
 */
export function findDuplicateName(text: string): DuplicateName | undefined {
  return scanJsonText(text).duplicate;
}

/**
 * Reads a write body's text once, before `JSON.parse` (which holds the event loop for seconds on millions of `[`):
 * whether it nests too deep, and the first name given twice in one object. Malformed text gives no answer worth
 * having (its parse refuses it).
 */
export function scanJsonText(text: string): JsonTextScan {
  const stack: Frame[] = [];
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // A string: find its end, skipping escapes.
      let end = i + 1;
      let escaped = false;
      while (end < length) {
        const d = text.charCodeAt(end);
        if (d === BACKSLASH) {
          escaped = true;
          end += 2;
          continue;
        }
        if (d === QUOTE) break;
        end++;
      }
      const top = stack[stack.length - 1];
      if (top?.names !== undefined && top.expectName) {
        const name = escaped ? (JSON.parse(text.slice(i, end + 1)) as string) : text.slice(i + 1, end);
        if (top.names.has(name)) return { tooDeep: false, duplicate: { name, pointer: stack.slice(1).map((f) => `/${escapePointer(f.at)}`).join('') } };
        top.names.add(name);
        top.last = name;
        top.expectName = false;
      }
      i = end;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      // Deeper than any document the decoder reads: it refuses the document as such, and the scan stops here (a
      // body of five million `[` would otherwise cost a frame each).
      if (stack.length >= MAX_JSON_DEPTH) return { tooDeep: true };
      const parent = stack[stack.length - 1];
      const at = parent === undefined ? '' : parent.names !== undefined ? parent.last : String(parent.index);
      stack.push({ names: c === OPEN_BRACE ? new Set() : undefined, at, expectName: true, index: 0, last: '' });
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      stack.pop();
    } else if (c === COMMA) {
      const top = stack[stack.length - 1];
      if (top === undefined) continue;
      if (top.names !== undefined) top.expectName = true;
      else top.index++;
    }
  }
  return { tooDeep: false };
}

/** Whether a JSON text nests arrays and objects deeper than {@link MAX_JSON_DEPTH}, read from the text (see {@link scanJsonText}). */
export function jsonTextDepthExceeds(text: string): boolean {
  return scanJsonText(text).tooDeep;
}
