/**
 * A peer's catalogue page as JSON-LD text, as the sync tests serve it: one product, catalog item and offer per
 * slug, all of enterprise `farm` on the origin, with the enterprise itself when asked.
 */

const CONTEXT = 'https://w3id.org/dfc/ontology/context/context_1.16.0.json';

/** What a page holds besides its slugs. */
export interface CataloguePageOptions {
  /** The enterprise node too (the first page of a paged catalogue). */
  readonly enterprise?: boolean;
  readonly stock?: number;
  readonly price?: number;
}

/**
 * @param origin - the peer's origin (`http://127.0.0.1:PORT`)
 * @param slugs - one offer each
 */
export function cataloguePage(origin: string, slugs: Iterable<string>, options: CataloguePageOptions = {}): string {
  const e = `${origin}/api/dfc/enterprises/farm`;
  const nodes: Record<string, unknown>[] = options.enterprise === true ? [{ '@id': e, '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Farm' }] : [];
  for (const slug of slugs) {
    nodes.push(
      { '@id': `${e}/supplied_products/${slug}`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': `Product ${slug}`, 'dfc-b:suppliedBy': e },
      {
        '@id': `${e}/catalog_items/${slug}`, '@type': 'dfc-b:CatalogItem', 'dfc-b:references': `${e}/supplied_products/${slug}`,
        'dfc-b:stockLimitation': options.stock ?? 5, 'dfc-b:offeredThrough': `${e}/offers/${slug}`, 'dfc-b:managedBy': e,
      },
      {
        '@id': `${e}/offers/${slug}`, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': `${e}/catalog_items/${slug}`,
        'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': options.price ?? 2, 'dfc-b:hasUnit': 'dfc-m:Euro' },
      },
    );
  }
  return JSON.stringify({ '@context': CONTEXT, '@graph': nodes });
}
