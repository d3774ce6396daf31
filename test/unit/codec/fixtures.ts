/**
 * Helpers shared by the codec tests: fixture loading and typed record look-up.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { DfcRecord, RecordKind } from '../../../ontology/records.js';
import type { DecodeResult } from '../../../server/codec/decode.js';

/** Absolute path of `test/fixtures`. */
export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures');

/** The text of a fixture file, relative to `test/fixtures`. */
export function fixtureText(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

/** A fixture parsed as JSON. */
export function fixtureJson<T = unknown>(name: string): T {
  return JSON.parse(fixtureText(name)) as T;
}

/** The record with `id`, which must exist and be of `kind`. */
export function recordOf<K extends RecordKind>(
  records: readonly DfcRecord[],
  kind: K,
  id: string,
): Extract<DfcRecord, { kind: K }> {
  const found = records.find((r) => r.id === id);
  expect(found, `record ${id}`).to.not.equal(undefined);
  expect(found?.kind, `kind of ${id}`).to.equal(kind);
  return found as Extract<DfcRecord, { kind: K }>;
}

/** The ids of the records of one kind, in document order. */
export function idsOf(records: readonly DfcRecord[], kind: RecordKind): string[] {
  return records.filter((r) => r.kind === kind).map((r) => r.id);
}

/** The error problems of a result. */
export function errorsOf(result: DecodeResult): DecodeResult['problems'] {
  return result.problems.filter((p) => p.severity === 'error');
}
