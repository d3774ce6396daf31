/**
 * A synthetic DFC 1.16 catalogue in the shape Open Food Network publishes, for benchmarks and tests.
 *
 * Per offer: a `dfc-b:SuppliedProduct` (name, description, product type, an inline `dfc-b:QuantitativeValue`
 * pack size, `dfc-b:referencedBy`), a `dfc-b:CatalogItem` (references, sku, stockLimitation, offeredThrough,
 * managedBy) and a `dfc-b:Offer` (an inline `dfc-b:Price` in euros, stockLimitation). One item in
 * {@link CatalogOptions.onDemandEvery} is on demand: neither the item nor the offer has a stockLimitation.
 *
 * The output is deterministic: the same arguments always give the same document, byte for byte once
 * stringified, so sizes and timings can be compared between runs.
 *
 * @packageDocumentation
 */
import { CONTEXT_1_16_URL } from '../ontology/contexts.js';
import { STARTER_PRODUCT_TYPES } from '../ontology/product-types.js';

/** Options of {@link generateCatalog}. */
export interface CatalogOptions {
  /** Context URL written in `@context` (default: the w3id 1.16 URL Open Food Network writes). */
  readonly contextUrl?: string;
  /** Base of every `@id` (default `https://ofn.example.net/api/dfc`). */
  readonly baseUrl?: string;
  /** Enterprise id the catalogue belongs to (default 10000). */
  readonly enterpriseId?: number;
  /** Include the enterprise node with `supplies`/`manages` lists (default true, as Open Food Network does). */
  readonly enterprise?: boolean;
  /** One offer in this many is on demand, without stockLimitation (default 7; 0 for none). */
  readonly onDemandEvery?: number;
  /** Seed of the pseudo-random names, prices and stocks (default 1). */
  readonly seed?: number;
  /** Number of the first offer, in its `@id`s (default 10001): the pages of one big catalogue number on. */
  readonly firstOffer?: number;
}

/** A compacted JSON-LD document with an `@graph`, as the generator writes it. */
export interface GeneratedCatalog {
  readonly '@context': string;
  readonly '@graph': Record<string, unknown>[];
}

const ADJECTIVES = [
  'Organic', 'Heritage', 'Seasonal', 'Local', 'Fresh', 'Farmhouse', 'Hand-picked', 'Wild', 'Biodynamic', 'Artisan',
  'Free-range', 'Small-batch', 'Traditional', 'Unwaxed', 'Raw',
];
const ORIGINS = [
  'from the valley farm', 'from our hillside orchard', 'grown under cover', 'from the market garden',
  'from the cooperative', 'from a neighbouring smallholding', 'harvested this week', 'from the upland pastures',
];
const SENTENCES = [
  'Grown without synthetic pesticides and picked at peak ripeness.',
  'Packed by hand on the farm the morning it leaves for the hub.',
  'A customer favourite, best eaten within a few days of delivery.',
  'Store somewhere cool and dry, away from direct sunlight.',
  'Produced on a family farm that has worked the same land for three generations.',
  'Certified organic; traceable to the field and the picking date.',
  'Minimal packaging, all of it compostable or returnable to the hub.',
  'Flavour varies a little with the season, as it should.',
];
/** `[unit, typical pack sizes]`: Open Food Network writes the pack size in the variant's unit. */
const PACKS: readonly (readonly [string, readonly number[]])[] = [
  ['dfc-m:Gram', [100, 250, 500]],
  ['dfc-m:Kilogram', [1, 2, 5]],
  ['dfc-m:Litre', [0.5, 1, 2]],
  ['dfc-m:Millilitre', [250, 500, 750]],
  ['dfc-m:Piece', [1, 6, 12]],
];

/** A small deterministic PRNG (mulberry32). */
/** A small deterministic pseudo-random generator (mulberry32): same seed, same sequence. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}

/**
 * Builds a catalogue of `offers` offers, each with its supplied product and catalog item.
 *
 * About 1.3 kB of JSON per offer with `JSON.stringify(catalog)` (5,000 offers: 6.4 MB, 15,001 nodes); most
 * of it is the full Open Food Network-style IRIs, each written twice (as `@id` and as a link).
 *
 * @param offers - number of offers (and of products and catalog items)
 * @param options - context URL, ids, on-demand ratio, seed
 * @returns the JSON-LD document, compacted against the DFC 1.16 context
 */
export function generateCatalog(offers: number, options: CatalogOptions = {}): GeneratedCatalog {
  if (!Number.isInteger(offers) || offers < 0) throw new RangeError(`offers must be a non-negative integer, got ${offers}`);
  const random = prng(options.seed ?? 1);
  const base = `${options.baseUrl ?? 'https://ofn.example.net/api/dfc'}/enterprises/${options.enterpriseId ?? 10000}`;
  const onDemandEvery = options.onDemandEvery ?? 7;
  const productTypes = STARTER_PRODUCT_TYPES.filter(([, broader]) => broader !== null);

  const enterpriseGraph: Record<string, unknown>[] = [];
  const productIds: string[] = [];
  const itemIds: string[] = [];
  const nodes: Record<string, unknown>[] = [];

  for (let i = 0; i < offers; i++) {
    const n = (options.firstOffer ?? 10001) + i;
    const productId = `${base}/supplied_products/${n}`;
    const itemId = `${base}/catalog_items/${n}`;
    const offerId = `${base}/offers/${n}`;
    productIds.push(productId);
    itemIds.push(itemId);

    const [typeName, , label] = pick(productTypes, random) ?? ['vegetable', null, 'vegetable'];
    const [unit, sizes] = pick(PACKS, random);
    const size = pick(sizes, random);
    const onDemand = onDemandEvery > 0 && i % onDemandEvery === onDemandEvery - 1;
    const stock = Math.floor(random() * 200);
    const price = Math.round((0.5 + random() * 30) * 100) / 100;
    const description = `${pick(ADJECTIVES, random)} ${label} ${pick(ORIGINS, random)}. ${pick(SENTENCES, random)}`;

    nodes.push({
      '@id': productId,
      '@type': 'dfc-b:SuppliedProduct',
      'dfc-b:name': `${pick(ADJECTIVES, random)} ${label} #${n}`,
      'dfc-b:description': description,
      'dfc-b:hasType': `dfc-pt:${typeName}`,
      'dfc-b:hasQuantity': { '@type': 'dfc-b:QuantitativeValue', 'dfc-b:hasUnit': unit, 'dfc-b:value': size },
      'dfc-b:referencedBy': itemId,
    });
    const item: Record<string, unknown> = {
      '@id': itemId,
      '@type': 'dfc-b:CatalogItem',
      'dfc-b:references': productId,
      'dfc-b:sku': `SKU-${n.toString(36).toUpperCase()}-${typeName.slice(0, 3).toUpperCase()}`,
    };
    if (!onDemand) item['dfc-b:stockLimitation'] = stock;
    item['dfc-b:offeredThrough'] = offerId;
    item['dfc-b:managedBy'] = base;
    nodes.push(item);
    const offer: Record<string, unknown> = {
      '@id': offerId,
      '@type': 'dfc-b:Offer',
      'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': price, 'dfc-b:hasUnit': 'dfc-m:Euro' },
    };
    if (!onDemand) offer['dfc-b:stockLimitation'] = stock;
    nodes.push(offer);
  }

  if (options.enterprise ?? true) {
    enterpriseGraph.push({
      '@id': base,
      '@type': 'dfc-b:Enterprise',
      'dfc-b:name': 'Valley Farm Cooperative',
      'dfc-b:hasDescription': 'A cooperative of small producers selling through food hubs.',
      'dfc-b:supplies': productIds,
      'dfc-b:manages': itemIds,
    });
  }
  return { '@context': options.contextUrl ?? CONTEXT_1_16_URL, '@graph': [...enterpriseGraph, ...nodes] };
}
