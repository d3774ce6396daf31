/**
 * Who a peer says sells what: an origin speaks for its own enterprises only. A peer's catalog item (or product) on
 * one origin naming as its manager (or supplier) an enterprise of another origin (this node's, or a third party's)
 * is an impersonation, not a relay: the index lists such an item under no enterprise (see `sellerOf`), and the sync
 * reports the items among them with the refusals. A relay republishing an origin's items with that origin's enterprise (all of them on
 * that origin) is not one.
 *
 * @packageDocumentation
 */
import type { DfcRecord } from '../../ontology/records.js';
import { problem, type Problem } from '../errors/problem.js';
import { iriOrigin } from '../store/federated-entries.js';

/**
 * A warning for each catalog item of a page that names as its seller (`dfc-b:managedBy`) an enterprise of another
 * origin than its own. A product's supplier on another origin is not reported: a hub's product may well come from
 * another platform's producer (the hub sells it: its items name the hub); the index only never lists an offer
 * under it.
 *
 * @param records - a page's records
 */
export function misattributions(records: readonly DfcRecord[]): Problem[] {
  const problems: Problem[] = [];
  for (const record of records) {
    if (record.kind !== 'CatalogItem') continue;
    const seller = record.managedBy;
    if (seller === undefined || iriOrigin(seller) === iriOrigin(record.id)) continue;
    problems.push(problem('foreign-seller', record.id, 'dfc-b:CatalogItem', 'dfc-b:managedBy',
      `names ${seller} as its seller, an enterprise of another origin: only that origin speaks for it, so this is listed under no enterprise`,
      'warning'));
  }
  return problems;
}
