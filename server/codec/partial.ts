/**
 * Partial acceptance: what of a document goes in when some of its resources are rejected.
 *
 * One bad resource rejects that resource, not the document. What depends on a rejected resource goes with it
 * (a catalog item whose product was rejected has nothing to list, an offer whose item was rejected has nothing
 * to offer), and links to what was rejected are dropped, so that nothing stored points at a resource that is
 * not there.
 *
 * @packageDocumentation
 */
import type { NodeId } from '../../ontology/iri.js';
import type { DfcRecord } from '../../ontology/records.js';
import type { RejectedResource } from './decode.js';

/** The records to keep, and the ids dropped with the rejected resources they depend on. */
export interface Accepted {
  readonly records: DfcRecord[];
  /** Valid resources left out because a resource they depend on was rejected, with that resource's id. */
  readonly dependents: { readonly id: string; readonly kind: DfcRecord['kind']; readonly because: string }[];
}

/**
 * The records of a decode that can go in despite the rejected resources.
 *
 * @param records - the records the decoder accepted
 * @param rejected - the resources it rejected
 */
export function acceptedRecords(records: readonly DfcRecord[], rejected: readonly RejectedResource[]): Accepted {
  const gone = new Set<string>(rejected.map((r) => r.id));
  const dependents: Accepted['dependents'] = [];
  if (gone.size === 0) return { records: [...records], dependents };
  // A catalog item stands for its product, an offer for its item: drop them (in that order) with what they need.
  const dependsOn = (record: DfcRecord): NodeId | undefined =>
    record.kind === 'CatalogItem' ? record.product : record.kind === 'Offer' ? record.item : undefined;
  for (const kind of ['CatalogItem', 'Offer'] as const) {
    for (const record of records) {
      const needed = record.kind === kind ? dependsOn(record) : undefined;
      if (needed !== undefined && gone.has(needed) && !gone.has(record.id)) {
        gone.add(record.id);
        dependents.push({ id: record.id, kind: record.kind, because: needed });
      }
    }
  }
  const keep = (ids: readonly NodeId[]): NodeId[] => ids.filter((id) => !gone.has(id));
  const kept: DfcRecord[] = [];
  for (const record of records) {
    if (gone.has(record.id)) continue;
    switch (record.kind) {
      case 'SuppliedProduct':
        kept.push({ ...record, catalogItems: keep(record.catalogItems), variants: keep(record.variants), variantOf: keep(record.variantOf) });
        break;
      case 'CatalogItem':
        kept.push({ ...record, offers: keep(record.offers) });
        break;
      case 'Enterprise':
        kept.push({ ...record, supplies: keep(record.supplies), manages: keep(record.manages) });
        break;
      case 'Catalog':
        kept.push({ ...record, items: keep(record.items) });
        break;
      case 'SaleSession':
        kept.push({ ...record, offers: keep(record.offers) });
        break;
      default:
        kept.push(record);
    }
  }
  return { records: kept, dependents };
}

/**
 * The records of a products write that can go in: as {@link acceptedRecords}, and a product goes in only with
 * all its catalog items and offers of the body (a product created without the price it was sent with would
 * be wrong, not incomplete), so one rejected offer rejects its product and item too.
 *
 * @param records - the records the decoder accepted
 * @param rejected - the resources it rejected
 */
export function acceptedProducts(records: readonly DfcRecord[], rejected: readonly RejectedResource[]): Accepted {
  const gone = new Set<string>(rejected.map((r) => r.id));
  if (gone.size === 0) return { records: [...records], dependents: [] };
  const byId = new Map<string, DfcRecord>(records.map((r) => [r.id, r]));
  const dependents: Accepted['dependents'] = [];
  const dropped = new Set<string>();
  for (const product of records) {
    if (product.kind !== 'SuppliedProduct') continue;
    const items = new Set<string>(product.catalogItems);
    for (const r of records) if (r.kind === 'CatalogItem' && r.product === product.id) items.add(r.id);
    const offers = new Set<string>();
    for (const id of items) {
      const item = byId.get(id);
      if (item?.kind === 'CatalogItem') for (const offer of item.offers) offers.add(offer);
    }
    for (const r of records) if (r.kind === 'Offer' && r.item !== undefined && items.has(r.item)) offers.add(r.id);
    const because = [...items, ...offers].find((id) => gone.has(id));
    if (because === undefined) continue;
    for (const id of [product.id, ...items, ...offers]) {
      const record = byId.get(id);
      if (record === undefined || dropped.has(id)) continue;
      dropped.add(id);
      dependents.push({ id, kind: record.kind, because });
    }
  }
  const rest = acceptedRecords(records.filter((r) => !dropped.has(r.id)), rejected);
  return { records: rest.records, dependents: [...dependents, ...rest.dependents] };
}
