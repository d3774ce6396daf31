/**
 * Compact IRIs (`dfc-b:name`) for output and for problem messages.
 *
 * @packageDocumentation
 */
import { COMMON_PREFIXES, DFC_NAMESPACES, type DfcGeneration, type DfcPrefix } from '../../ontology/namespaces.js';

/** A prefix table, longest namespace first so that the most specific prefix wins. */
export type PrefixTable = readonly (readonly [prefix: string, namespace: string])[];

/**
 * The prefixes a DFC context of `generation` declares.
 *
 * @param generation - `1.x` for DFC 1.16 output, `2.0` for DFC 2.0 output
 */
export function dfcPrefixes(generation: DfcGeneration): PrefixTable {
  const table: [string, string][] = [
    ...(Object.entries(DFC_NAMESPACES[generation]) as [DfcPrefix, string][]),
    ...Object.entries(COMMON_PREFIXES),
  ];
  return table.sort((a, b) => b[1].length - a[1].length);
}

/**
 * Compacts an IRI with a prefix table.
 *
 * @param iri - an absolute IRI
 * @param prefixes - the table to use
 * @returns `prefix:local` when a namespace matches and the local part is safe in a CURIE, else the IRI
 */
export function compactIri(iri: string, prefixes: PrefixTable): string {
  for (const [prefix, namespace] of prefixes) {
    if (iri.startsWith(namespace) && iri.length > namespace.length) {
      const local = iri.slice(namespace.length);
      // A local part starting with '//' would read back as a full IRI, not a CURIE.
      if (!local.startsWith('//')) return `${prefix}:${local}`;
    }
  }
  return iri;
}

/** The 1.16 prefix table, for problem messages. */
export const CANONICAL_PREFIXES = dfcPrefixes('1.x');

/** Compacts a canonical IRI for a message. */
export function shortName(iri: string): string {
  return compactIri(iri, CANONICAL_PREFIXES);
}
