/**
 * Blank nodes of a peer's page made resources of their own. DFC allows a resource without an `@id` (a catalog item
 * and its offer written as blank nodes, an enterprise's address inline): kept under its blank label, it cannot be
 * kept in sync (the label is the document's, and changes with every answer), and what links to it would link to
 * nothing. Each is given an IRI under the peer's origin, as RDF 1.1 skolemises blank nodes
 * (`/.well-known/genid/…`), named from what it is to the page rather than from its label: the link that leads to it
 * from a resource with an IRI (that resource's IRI and the field), or, for a blank node nothing named leads to, its
 * content. The same page read twice names its blank nodes the same, so nothing churns; a catalog item's stock
 * changing does not rename it.
 *
 * @packageDocumentation
 */
import { hash } from 'node:crypto';
import type { NodeId } from '../../ontology/iri.js';
import type { DfcRecord } from '../../ontology/records.js';

/** Where skolem IRIs live under an origin (RFC 8615, RDF 1.1 Concepts §3.5). */
export const GENID_PATH = '/.well-known/genid/';

/** Whether a string is a blank node label. */
function isBlank(value: string): boolean {
  return value.charCodeAt(0) === 95 && value.charCodeAt(1) === 58; // "_:"
}

/** One link to a blank node: the record it is from and the field (or kept predicate) that holds it. */
interface Edge {
  readonly from: string;
  readonly field: string;
}

/**
 * The page's records with every blank node record given a skolem IRI under `origin`, and every link to it
 * rewritten; the same array when no record is a blank node (the common page costs one look at each `@id`).
 *
 * @param records - a page's records, as decoded
 * @param origin - the peer's origin (`https://shop.example`)
 */
export function skolemise(records: readonly DfcRecord[], origin: string): readonly DfcRecord[] {
  const blanks = new Map<string, DfcRecord>();
  for (const record of records) if (isBlank(record.id)) blanks.set(record.id, record);
  if (blanks.size === 0) return records;
  const edges = new Map<string, Edge[]>();
  for (const record of records) {
    collectEdges(record, record.id, '', blanks, edges);
  }
  const names = new Map<string, string>();
  // Round by round: the blank nodes a named resource (or one named in an earlier round) leads to.
  for (let progress = true; progress && names.size < blanks.size;) {
    progress = false;
    const keys = new Map<string, string[]>();
    for (const blank of blanks.keys()) {
      if (names.has(blank)) continue;
      let best: string | undefined;
      for (const edge of edges.get(blank) ?? []) {
        const from = isBlank(edge.from) ? names.get(edge.from) : edge.from;
        if (from === undefined || from === blank) continue;
        const key = `${from}\n${edge.field}`;
        if (best === undefined || key < best) best = key;
      }
      if (best !== undefined) keys.set(best, [...(keys.get(best) ?? []), blank]);
    }
    for (const [key, group] of keys) {
      name(group, key, blanks, names, origin);
      progress = true;
    }
  }
  // Blank nodes no named resource leads to: named by their content alone.
  const islands = [...blanks.keys()].filter((blank) => !names.has(blank));
  if (islands.length > 0) name(islands, 'content', blanks, names, origin);
  return records.map((record) => rewrite(record, names, undefined) as DfcRecord);
}

/**
 * Names blank nodes reached the same way (`key`): one alone takes the key's name; several are told apart by their
 * content (labels left out), then by their order among equal ones.
 */
function name(group: readonly string[], key: string, blanks: ReadonlyMap<string, DfcRecord>, names: Map<string, string>, origin: string): void {
  if (group.length === 1 && key !== 'content') {
    names.set(group[0] as string, genid(origin, key));
    return;
  }
  const digests = group.map((blank) => ({ blank, digest: contentDigest(blanks.get(blank) as DfcRecord) }));
  digests.sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
  const seen = new Map<string, number>();
  for (const { blank, digest } of digests) {
    const n = (seen.get(digest) ?? 0) + 1;
    seen.set(digest, n);
    names.set(blank, genid(origin, `${key}\n${digest}\n${n}`));
  }
}

function genid(origin: string, key: string): string {
  return `${origin}${GENID_PATH}${hash('sha256', key, 'base64url').slice(0, 32)}`;
}

/**
 * A digest of what a record is, blank labels (which the document chose) left out, and what changes from one sync to
 * the next (its stock, its price): two catalog items of one product are told apart by their SKU and links, and keep
 * their names when their stock moves.
 */
function contentDigest(record: DfcRecord): string {
  const { id: _id, ...all } = record as DfcRecord & { stock?: unknown; price?: unknown };
  const { stock: _stock, price: _price, ...content } = all;
  return hash('sha256', JSON.stringify(content, (_key, value: unknown) => (typeof value === 'string' && isBlank(value) ? '_:' : value)), 'base64url');
}

/** Notes every link to a blank node record in `value` (a record, or a kept node inside one) as an edge from `from`. */
function collectEdges(value: unknown, from: string, field: string, blanks: ReadonlyMap<string, DfcRecord>, edges: Map<string, Edge[]>): void {
  if (typeof value === 'string') {
    if (field !== '' && field !== 'id' && isBlank(value) && blanks.has(value)) {
      const list = edges.get(value);
      if (list === undefined) edges.set(value, [{ from, field }]);
      else list.push({ from, field });
    }
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) collectEdges(item, from, field, blanks, edges);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, inner] of Object.entries(value)) {
    if (key === '@value') continue;
    // A kept link (`{"@id": "_:b1"}`) is named by the predicate that holds it; a field of the record by its name.
    const innerField = key === '@id' || key === 'id' ? (field === '' ? key : field) : field === '' ? key : `${field} ${key}`;
    collectEdges(inner, from, innerField, blanks, edges);
  }
}

/** Rewrites every string naming a blank node that was given an IRI; the values of literals are left alone. */
function rewrite(value: unknown, names: ReadonlyMap<string, string>, key: string | undefined): unknown {
  if (typeof value === 'string') return key !== '@value' && isBlank(value) ? (names.get(value) as NodeId | undefined) ?? value : value;
  if (Array.isArray(value)) return value.map((item: unknown) => rewrite(item, names, undefined));
  if (typeof value !== 'object' || value === null) return value;
  const result: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) result[k] = rewrite(v, names, k);
  return result;
}
