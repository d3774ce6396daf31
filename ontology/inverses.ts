/**
 * The links the node keeps in both directions, written once: which DFC property is the inverse of which,
 * and in which record field each end lives.
 *
 * DFC documents give a link from either end (a product's `dfc-b:referencedBy`, or its catalog item's
 * `dfc-b:references`); the codec completes the other end from this table, the catalogue and sync empty the
 * ends the node derives instead of storing, and the catalogue fills them again when it reads a profile.
 *
 * @packageDocumentation
 */
import type { Iri, NodeId } from './iri.js';
import type { DfcRecord, RecordKind } from './records.js';
import { DFC_B } from './vocabulary.js';

type RecordOf<K extends RecordKind> = Extract<DfcRecord, { kind: K }>;

/** The fields of a record kind that hold links: one (`product`) or a list (`catalogItems`). */
export type LinkField<K extends RecordKind> = {
  [F in keyof RecordOf<K>]-?: F extends 'id' ? never
    : RecordOf<K>[F] extends NodeId | undefined ? F
      : RecordOf<K>[F] extends readonly NodeId[] ? F : never;
}[keyof RecordOf<K>] & string;

/** One end of a link: the property, and the record field that holds it. */
export interface LinkEnd {
  readonly property: Iri;
  readonly kind: RecordKind;
  readonly field: string;
  /** A list of links (added to, without repeats), or one link (set only when the record has none). */
  readonly many: boolean;
  /**
   * The node never stores this end: it is derived from the other end when the record is read (an
   * enterprise's `supplies` and `manages` list its catalogue, which would make every stock write rewrite it).
   */
  readonly derived: boolean;
}

/** A property and its inverse. */
export interface InversePair {
  readonly forward: LinkEnd;
  readonly inverse: LinkEnd;
}

function end<K extends RecordKind>(kind: K, field: LinkField<K>, property: Iri, many: 'one' | 'many', derived = false): LinkEnd {
  return { property, kind, field, many: many === 'many', derived };
}

/** Every pair of inverse properties the node completes, as the codec has always treated them. */
export const INVERSE_PAIRS: readonly InversePair[] = Object.freeze([
  { forward: end('SuppliedProduct', 'suppliedBy', DFC_B.suppliedBy, 'one'), inverse: end('Enterprise', 'supplies', DFC_B.supplies, 'many', true) },
  { forward: end('CatalogItem', 'managedBy', DFC_B.managedBy, 'one'), inverse: end('Enterprise', 'manages', DFC_B.manages, 'many', true) },
  { forward: end('SuppliedProduct', 'catalogItems', DFC_B.referencedBy, 'many'), inverse: end('CatalogItem', 'product', DFC_B.references, 'one') },
  { forward: end('CatalogItem', 'offers', DFC_B.offeredThrough, 'many'), inverse: end('Offer', 'item', DFC_B.offeredItem, 'one') },
  { forward: end('SuppliedProduct', 'variants', DFC_B.hasVariant, 'many'), inverse: end('SuppliedProduct', 'variantOf', DFC_B.isVariantOf, 'many') },
  { forward: end('CatalogItem', 'listedIn', DFC_B.listedIn, 'many'), inverse: end('Catalog', 'items', DFC_B.lists, 'many') },
  { forward: end('Catalog', 'maintainedBy', DFC_B.maintainedBy, 'one'), inverse: end('Enterprise', 'maintains', DFC_B.maintains, 'many') },
  { forward: end('CustomerCategory', 'definedBy', DFC_B.definedBy, 'one'), inverse: end('Enterprise', 'customerCategories', DFC_B.defines, 'many') },
  { forward: end('OrderLine', 'order', DFC_B.partOf, 'one'), inverse: end('Order', 'lines', DFC_B.hasPart, 'many') },
]);

/** Each end of a pair with the end opposite it, both ways: what a record of `end.kind` links to and back. */
export const LINK_ENDS: readonly (readonly [LinkEnd, LinkEnd])[] = Object.freeze(
  INVERSE_PAIRS.flatMap((p): (readonly [LinkEnd, LinkEnd])[] => [[p.forward, p.inverse], [p.inverse, p.forward]]),
);

/**
 * The fields of the derived ends of each kind of record: a sync asks {@link withoutDerivedLinks} of every record it
 * reads, most of a kind that derives none (a walk of {@link LINK_ENDS} for each allocated more than the record).
 */
const DERIVED_FIELDS: ReadonlyMap<string, readonly string[]> = LINK_ENDS.reduce((fields, [own]) => {
  if (own.derived && !(fields.get(own.kind) ?? []).includes(own.field)) fields.set(own.kind, [...(fields.get(own.kind) ?? []), own.field]);
  return fields;
}, new Map<string, string[]>());

/**
 * A record without the links the node derives instead of storing (an enterprise's `supplies` and
 * `manages`): the same object when it has none.
 */
export function withoutDerivedLinks<T extends DfcRecord>(record: T): T {
  const fields = DERIVED_FIELDS.get(record.kind);
  if (fields === undefined) return record;
  let result = record;
  for (const field of fields) {
    const links = (record as unknown as Record<string, readonly NodeId[]>)[field] ?? [];
    if (links.length > 0) result = { ...result, [field]: [] };
  }
  return result;
}

/**
 * A record with the links the node derives filled in (an enterprise's `supplies` and `manages`), each from
 * what the caller knows of the records at the other end: the same object when its kind derives none.
 *
 * @param record - a record as stored (its derived ends empty)
 * @param linksTo - the links of a derived end, given the end opposite it (its kind says which records to list)
 */
export function withDerivedLinks<T extends DfcRecord>(record: T, linksTo: (opposite: LinkEnd) => readonly NodeId[]): T {
  let result = record;
  for (const [own, opposite] of LINK_ENDS) {
    if (own.derived && own.kind === record.kind) result = { ...result, [own.field]: [...linksTo(opposite)] };
  }
  return result;
}
