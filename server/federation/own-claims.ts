/**
 * A peer's claims on this node's own resources, taken out of what the node republishes. The node knows its own
 * catalogue: a peer's item "managed by" one of this node's enterprises, a peer's product "supplied by" it, or a
 * peer's enterprise that "supplies" or "manages" one of this node's products, would show a DFC reader of the
 * federated catalogue this node's farm selling what it does not sell (every such link also says its inverse, about
 * the node's resource). The index already lists such an item under no enterprise; its record is republished without
 * the link, the rest of it as the peer said it.
 *
 * @packageDocumentation
 */
import type { DfcRecord, Extra, ExtraValue } from '../../ontology/records.js';
import { DFC_B } from '../../ontology/vocabulary.js';
import { isOwnIri } from '../urls/own-iris.js';

/** The links naming who owns a resource, by record kind: one link, or a list (an enterprise's). */
const OWNER_LINKS: Readonly<Record<string, readonly { readonly field: string; readonly property: string; readonly many: boolean }[]>> = {
  CatalogItem: [{ field: 'managedBy', property: DFC_B.managedBy, many: false }],
  SuppliedProduct: [{ field: 'suppliedBy', property: DFC_B.suppliedBy, many: false }],
  Catalog: [{ field: 'maintainedBy', property: DFC_B.maintainedBy, many: false }],
  CustomerCategory: [{ field: 'definedBy', property: DFC_B.definedBy, many: false }],
  Enterprise: [
    { field: 'supplies', property: DFC_B.supplies, many: true }, { field: 'manages', property: DFC_B.manages, many: true },
    { field: 'maintains', property: DFC_B.maintains, many: true }, { field: 'customerCategories', property: DFC_B.defines, many: true },
  ],
};

/** Whether a kept value links to (or describes inline) a resource of this node. */
function namesOwn(value: ExtraValue, ownBase: string): boolean {
  const id = '@id' in value ? value['@id'] : 'properties' in value ? value.id : undefined;
  return id !== undefined && isOwnIri(id, ownBase);
}

/**
 * A peer's record without its links naming one of this node's resources as its owner (manager, supplier,
 * maintainer, definer) or as owned by the peer's enterprise, second values kept in `extra` included: the same
 * object when it has none.
 *
 * @param record - a record held from a peer
 * @param ownBase - this node's public base URL, without a trailing slash
 */
export function withoutClaimsOnOwn<T extends DfcRecord>(record: T, ownBase: string): T {
  const links = OWNER_LINKS[record.kind];
  if (links === undefined) return record;
  let result: Record<string, unknown> | undefined;
  let extra: Record<string, readonly ExtraValue[]> | undefined;
  const fields = record as unknown as Record<string, unknown>;
  for (const link of links) {
    const value = fields[link.field];
    if (link.many) {
      const list = (value as readonly string[] | undefined) ?? [];
      if (list.some((iri) => isOwnIri(iri, ownBase))) {
        result ??= { ...fields };
        result[link.field] = list.filter((iri) => !isOwnIri(iri, ownBase));
      }
    } else if (typeof value === 'string' && isOwnIri(value, ownBase)) {
      result ??= { ...fields };
      delete result[link.field];
    }
    const kept = record.extra?.[link.property];
    if (kept?.some((v) => namesOwn(v, ownBase)) === true) {
      extra ??= { ...(record.extra as Extra) };
      const rest = kept.filter((v) => !namesOwn(v, ownBase));
      if (rest.length > 0) extra[link.property] = rest;
      else delete extra[link.property];
    }
  }
  if (result === undefined && extra === undefined) return record;
  result ??= { ...fields };
  if (extra !== undefined) {
    if (Object.keys(extra).length > 0) result['extra'] = extra;
    else delete result['extra'];
  }
  return result as unknown as T;
}
