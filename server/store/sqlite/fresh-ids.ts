/**
 * Row ids that are never given twice (peers, listings): what named a removed row (a Location a client still holds,
 * a graph's IRI, a bookmark) must never name another one.
 *
 * @packageDocumentation
 */

/**
 * The SQL expression of the next id of `table`: past the highest in use and the highest ever removed, which a
 * trigger keeps in `meta` under `metaKey` (migrations 33 and 37).
 */
export function freshIdSql(table: 'listings' | 'peers', metaKey: 'listing_number' | 'peer_id'): string {
  return `max(coalesce((SELECT max(id) FROM ${table}), 0), coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = '${metaKey}'), 0)) + 1`;
}
