/**
 * A catalogue read as a DFC platform reads it: the published TypeScript connector
 * (`@datafoodconsortium/connector`), page by page, following `Link: <…>; rel="next"` (the connector has no
 * notion of Hydra), offline.
 *
 * The connector resolves a JSON-LD context by fetching it (it preloads only its own URL): while it reads, the
 * global `fetch` answers the DFC 1.16 context URL our node writes with the connector's *own* bundled context (the
 * same context under another URL, so the connector reads our pages with its understanding of the vocabulary, not
 * ours) and refuses everything else. Pages are fetched from loopback only.
 */
import { expect } from 'chai';
import { CONTEXT_1_16_URL } from '../../ontology/contexts.js';
import { NS } from '../../ontology/namespaces.js';

/** One catalog item as the connector reads it, with its product and its offers. */
export interface ConnectorEntry {
  readonly item: string;
  readonly sku: string | undefined;
  /** `undefined` when the connector found no stock (on demand). */
  readonly stock: number | undefined;
  readonly product: string | undefined;
  readonly name: string | undefined;
  readonly offers: readonly { readonly id: string; readonly price: number | undefined; readonly unit: unknown; readonly stock: number | undefined }[];
}

/** What a paged read found. */
export interface ConnectorRead {
  readonly entries: ConnectorEntry[];
  /** Every SuppliedProduct read (with a catalog item or not: product groups, products not on sale). */
  readonly products: { readonly id: string; readonly name: string | undefined }[];
  /** Every page fetched, in order. */
  readonly pages: string[];
  /** Every URL the connector itself tried to fetch (contexts), answered or refused. */
  readonly connectorFetches: string[];
}

/** A stock the connector read: NaN and undefined are "none". */
function stockOf(value: number | undefined): number | undefined {
  return value === undefined || Number.isNaN(value) ? undefined : value;
}

/** The `next` target of a `Link` header, if any. */
function nextLink(header: string | null): string | undefined {
  return header?.split(',').map((l) => /<([^>]+)>\s*;\s*rel="?next"?/u.exec(l.trim())?.[1]).find((u) => u !== undefined);
}

/**
 * Reads a paged DFC collection (JSON-LD 1.16) from `start` with the connector, page by page. Each page's
 * `hydra:next`, on the view whose `@id` is the page URL, must be the `Link` header's `next`.
 *
 * @param start - the first page's URL (on loopback)
 * @param headers - sent with every page (a token)
 */
export async function readWithConnector(start: string, headers: Record<string, string> = {}): Promise<ConnectorRead> {
  const realFetch = globalThis.fetch;
  const connectorFetches: string[] = [];
  const { Connector, CatalogItem, SuppliedProduct } = await import('@datafoodconsortium/connector');
  const { default: connectorContext } = await import('@datafoodconsortium/connector/lib/context.js');
  globalThis.fetch = ((input: unknown) => {
    const url = input instanceof Request ? input.url : String(input);
    connectorFetches.push(url);
    if (url === CONTEXT_1_16_URL) {
      return Promise.resolve(new Response(JSON.stringify({ '@context': connectorContext }), { headers: { 'content-type': 'application/ld+json' } }));
    }
    return Promise.reject(new Error(`network access during an offline read: ${url}`));
  }) as typeof fetch;
  try {
    const connector = new Connector();
    const items: InstanceType<typeof CatalogItem>[] = [];
    const products: ConnectorRead['products'] = [];
    const pages: string[] = [];
    for (let url: string | undefined = start; url !== undefined;) {
      if (new URL(url).hostname !== '127.0.0.1') throw new Error(`a page off loopback: ${url}`);
      if (pages.includes(url)) throw new Error(`paging loops back to ${url}`);
      pages.push(url);
      const response = await realFetch(url, { headers: { accept: 'application/ld+json', ...headers } });
      const text = await response.text();
      expect(response.status, `${url}: ${text}`).to.equal(200);
      const next = nextLink(response.headers.get('link'));
      // The body says the same as the header, from the view that is this very page.
      const graph = (JSON.parse(text) as { '@graph'?: Record<string, unknown>[] })['@graph'] ?? [];
      const view = graph.find((n) => n['@type'] === 'hydra:PartialCollectionView' || n['@type'] === `${NS.hydra}PartialCollectionView`);
      if (next !== undefined || view !== undefined) {
        expect(view?.['@id'], `the view of ${url}`).to.equal(url);
        expect(view?.['hydra:next'], `hydra:next of ${url}`).to.equal(next);
      }
      for (const object of await connector.import(text)) {
        if (object instanceof CatalogItem) items.push(object);
        else if (object instanceof SuppliedProduct) products.push({ id: object.getSemanticId(), name: object.getName() });
      }
      url = next;
    }
    const entries: ConnectorEntry[] = [];
    for (const item of items) {
      const product = await item.getOfferedProduct();
      const offers = await item.getOfferers();
      entries.push({
        item: item.getSemanticId(),
        sku: item.getSku(),
        stock: stockOf(item.getStockLimitation()),
        product: product?.getSemanticId(),
        name: product?.getName(),
        offers: offers.map((o) => ({
          id: o.getSemanticId(),
          price: o.getPrice()?.getQuantityValue(),
          unit: o.getPrice()?.getSemanticProperty('dfc-b:hasUnit'),
          stock: stockOf(o.getStockLimitation()),
        })),
      });
    }
    return { entries, products, pages, connectorFetches };
  } finally {
    globalThis.fetch = realFetch;
  }
}
