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

/**
 * The prefixes of the canonical IRIs, for problem messages: the 1.16 table, and `dfc-b:` for the business namespace
 * of DFC 2.0 too, where the node keeps the terms only 2.0 defines (`dfc-b:ProductOption`, as the document wrote it).
 */
export const CANONICAL_PREFIXES: PrefixTable = [...dfcPrefixes('1.x'), ['dfc-b', DFC_NAMESPACES['2.0']['dfc-b']] as const]
  .sort((a, b) => b[1].length - a[1].length);

/** Compacts a canonical IRI for a message. */
export function shortName(iri: string): string {
  return compactIri(iri, CANONICAL_PREFIXES);
}

/** The scheme and authority of an IRI (`https://host`), or undefined when it has no `scheme://authority/`. */
function head(iri: string): string | undefined {
  const scheme = iri.indexOf('://');
  if (scheme <= 0) return undefined;
  const slash = iri.indexOf('/', scheme + 3);
  return slash < 0 ? undefined : iri.slice(0, slash);
}

/**
 * {@link compactIri} with one table, for writing thousands of IRIs: an IRI is only compared with the namespaces
 * on its own host. Nearly every IRI written is a resource id on the peer's or the node's host, which no prefix
 * matches: answered with one look-up instead of a comparison with every prefix.
 */
export class Compactor {
  /** Per host, the table's entries on that host (and those without one), in the table's order. */
  private readonly byHead = new Map<string, PrefixTable>();
  /** The entries without a host of their own: the only candidates for an IRI without one. */
  private readonly headless: PrefixTable;

  public constructor(table: PrefixTable) {
    this.headless = table.filter(([, namespace]) => head(namespace) === undefined);
    for (const [, namespace] of table) {
      const h = head(namespace);
      if (h === undefined || this.byHead.has(h)) continue;
      this.byHead.set(h, table.filter(([, ns]) => {
        const other = head(ns);
        return other === undefined || other === h;
      }));
    }
  }

  /**
   * The same as `compactIri(iri, table)`: a namespace that starts `iri` has the same scheme and host as `iri`.
   *
   * @param iri - an absolute IRI
   */
  public compact(iri: string): string {
    const h = head(iri);
    const candidates = h === undefined ? this.headless : (this.byHead.get(h) ?? this.headless);
    return candidates.length === 0 ? iri : compactIri(iri, candidates);
  }
}
