/**
 * The URL conventions Open Food Network assumes of a supplier (`FdcUrlBuilder`): there is no discovery, the
 * catalogue and the orders collection are derived from a product's `@id` by string rules. A node that lists
 * another node's items, or orders from it, follows the same rules so that it works with OFN and FDC suppliers.
 *
 * @packageDocumentation
 */

/**
 * The catalogue URL of a product (or catalog item): its `@id` without the last path segment
 * (`…/SuppliedProducts/445` → `…/SuppliedProducts`). Every DFC and OFN node serves its whole catalogue there.
 *
 * @param iri - a product's or catalog item's `@id`
 */
export function catalogUrlOf(iri: string): string {
  const url = new URL(iri);
  url.hash = '';
  url.search = '';
  url.pathname = url.pathname.replace(/\/+$/u, '').replace(/\/[^/]*$/u, '');
  return url.toString();
}

/**
 * The orders collection of the supplier of a product, by Open Food Network's rule: the catalogue URL with
 * `/SuppliedProducts` replaced by `/Orders` (an FDC supplier), and `/supplied_products` by `/orders` (an
 * OFN-shaped node, this one included).
 *
 * @param productIri - the supplier's product `@id` (what is ordered)
 */
export function ordersUrlOf(productIri: string): string {
  return catalogUrlOf(productIri).replace(/\/SuppliedProducts(?=\/|$)/u, '/Orders').replace(/\/supplied_products(?=\/|$)/u, '/orders');
}

/**
 * The suffixes of the resources by which a catalogue plans a retail product's making from a wholesale case
 * (`R/AsPlannedTransformation`, `R/AsPlannedConsumptionFlow`, `R/AsPlannedProductionFlow`): Open Food Network
 * finds them by string concatenation on the retail product's `@id`.
 */
export const PLAN_SUFFIXES = ['/AsPlannedTransformation', '/AsPlannedConsumptionFlow', '/AsPlannedProductionFlow'] as const;

/** The product a planned-transformation resource belongs to, and its suffix; undefined for any other `@id`. */
export function planOf(iri: string): { readonly product: string; readonly suffix: (typeof PLAN_SUFFIXES)[number] } | undefined {
  const suffix = PLAN_SUFFIXES.find((s) => iri.endsWith(s) && iri.length > s.length);
  return suffix === undefined ? undefined : { product: iri.slice(0, -suffix.length), suffix };
}
