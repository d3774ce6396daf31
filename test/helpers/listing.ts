/**
 * A listing made by hand for tests of orders placed upstream: the shop's own SuppliedProduct, CatalogItem and
 * Offer for another node's item, published in its catalogue, and the listing row that ties them to the origin
 * (what is ordered from whom, in packs of how many). The listing service does the same from a peer's catalogue;
 * these tests do not depend on it.
 */
import type { NodeId } from '../../ontology/iri.js';
import type { EnterpriseRecord } from '../../ontology/records.js';
import { measureIri } from '../../ontology/units.js';
import type { ListingRow, NewListing } from '../../server/store/orders.js';
import type { InProcessNode } from './in-process.js';

/** What {@link listRemoteItem} lists. */
export interface RemoteItem {
  /** Local id of the shop's product, catalog item and offer (they share it). */
  readonly key: string;
  readonly name?: string;
  /** The shop's retail price, in euros. */
  readonly price?: number;
  /** The shop's stock shown for the listing (default null: on demand, the owner decides). */
  readonly stock?: number | null;
  /** The owner's catalog item, offer (if known) and the product ordered from it (its case, for a pack). */
  readonly originItem: string;
  readonly originOffer?: string;
  readonly originProduct: string;
  /** The owner's orders collection. */
  readonly originOrders: string;
  /** Retail units in one unit ordered from the owner (default 1). */
  readonly factor?: number;
}

/** The shop's records of a listing, and the listing row. */
export interface ListedItem {
  readonly product: string;
  readonly item: string;
  readonly offer: string;
  readonly listing: ListingRow;
}

/**
 * Lists another node's item at enterprise `eid` of `node`: upserts the shop's product, catalog item and offer
 * (added to the enterprise's `supplies` and `manages`), then the listing.
 */
export async function listRemoteItem(node: InProcessNode, eid: string, remote: RemoteItem): Promise<ListedItem> {
  const api = `${node.base}/api/dfc/enterprises/${eid}`;
  const product = `${api}/supplied_products/${remote.key}` as NodeId;
  const item = `${api}/catalog_items/${remote.key}` as NodeId;
  const offer = `${api}/offers/${remote.key}` as NodeId;
  const enterprise = (await node.store.getResource(api))?.record;
  if (enterprise?.kind !== 'Enterprise') throw new Error(`no enterprise ${eid} at ${node.base}`);
  const stock = remote.stock ?? null;
  const updated: EnterpriseRecord = { ...enterprise, supplies: [...enterprise.supplies, product], manages: [...enterprise.manages, item] };
  await node.store.apply(eid, {
    upsert: [
      updated,
      {
        kind: 'SuppliedProduct', id: product, name: remote.name ?? remote.key, images: [], variantOf: [], variants: [], catalogItems: [item],
        suppliedBy: api as NodeId,
      },
      { kind: 'CatalogItem', id: item, product, stock, offers: [offer], managedBy: api as NodeId, listedIn: [] },
      { kind: 'Offer', id: offer, item, price: { value: remote.price ?? 1, currency: measureIri('Euro') }, stock },
    ],
  });
  const listing = await node.store.orders.addListing({
    eid, item, offer, product, originItem: remote.originItem, ...(remote.originOffer !== undefined ? { originOffer: remote.originOffer } : {}),
    originProduct: remote.originProduct, originOrders: remote.originOrders, factor: remote.factor ?? 1,
  });
  return { product, item, offer, listing };
}

/**
 * The listing row of `key` that a shop at `api` sells from an origin enterprise at `origin`, named as the tests
 * of the order store and service name them (`{api}/catalog_items/{key}`, `{origin}/orders`…), in units (factor 1).
 */
export function listingRowOf(eid: string, api: string, key: string, origin: string): NewListing {
  return {
    eid, item: `${api}/catalog_items/${key}`, offer: `${api}/offers/${key}`, product: `${api}/supplied_products/${key}`,
    originItem: `${origin}/catalog_items/${key}`, originOffer: `${origin}/offers/${key}`, originProduct: `${origin}/supplied_products/${key}`,
    originOrders: `${origin}/orders`, factor: 1,
  };
}
