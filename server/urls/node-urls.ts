/**
 * The node's URL layout: stable `@id`s built from the public base URL, in the paths Open Food Network uses.
 *
 * A product's `@id` is `<catalogue URL>/<id>`, and the catalogue URL returns the whole catalogue, because Open
 * Food Network derives the catalogue URL from each linked product to refresh stock.
 *
 * @packageDocumentation
 */
import { ownSpelling } from './own-iris.js';

/** The collections of an enterprise's catalogue. */
export type Collection = 'supplied_products' | 'catalog_items' | 'offers' | 'sale_sessions' | 'customer_categories' | 'catalogs';

/** The collection each catalogue record kind lives in. */
export const COLLECTION_OF = {
  SuppliedProduct: 'supplied_products',
  CatalogItem: 'catalog_items',
  Offer: 'offers',
  SaleSession: 'sale_sessions',
  CustomerCategory: 'customer_categories',
  Catalog: 'catalogs',
} as const;

/**
 * How the local id of every record a listing publishes begins (`listing-tomates-anciennes`): what a catalogue
 * write that mints an id of that shape checks against the listings, present and removed.
 */
export const LISTING_ID_PREFIX = 'listing-';

/** Builds and parses the node's IRIs. */
export class NodeUrls {
  public readonly api: string;

  public constructor(public readonly base: string) {
    this.api = `${base.replace(/\/+$/u, '')}/api/dfc`;
  }

  public enterprises(): string {
    return `${this.api}/enterprises`;
  }

  public enterprise(eid: string): string {
    return `${this.api}/enterprises/${encodeURIComponent(eid)}`;
  }

  public collection(eid: string, collection: Collection): string {
    return `${this.enterprise(eid)}/${collection}`;
  }

  public resource(eid: string, collection: Collection, id: string): string {
    return `${this.collection(eid, collection)}/${encodeURIComponent(id)}`;
  }

  public address(id: string): string {
    return `${this.api}/addresses/${encodeURIComponent(id)}`;
  }

  public person(id: string): string {
    return `${this.api}/persons/${encodeURIComponent(id)}`;
  }

  /**
   * The `@id` a resource of this node is stored under, for an IRI in any spelling it answers to: products also
   * answer under the FDC spelling `…/enterprises/{eid}/SuppliedProducts/{id}` (the path Open Food Network's URL rule
   * expects). Any other IRI is answered as it is.
   */
  public canonical(given: string): string {
    const prefix = `${this.enterprises()}/`;
    // Another spelling of the node's own IRI (scheme or host in capitals, a default port written out) is the same IRI.
    const iri = given.startsWith(prefix) ? given : ownSpelling(given, this.base.replace(/\/+$/u, '')) ?? given;
    if (!iri.startsWith(prefix)) return given;
    return `${prefix}${iri.slice(prefix.length).replace(/^([^/]+)\/SuppliedProducts\//u, '$1/supplied_products/')}`;
  }

  /** The local id of an IRI inside one of an enterprise's collections, or undefined. */
  public localId(eid: string, collection: Collection, iri: string): string | undefined {
    const prefix = `${this.collection(eid, collection)}/`;
    if (!iri.startsWith(prefix)) return undefined;
    const rest = iri.slice(prefix.length);
    return rest !== '' && !rest.includes('/') && !rest.includes('#') ? canonicalLocalId(rest) : undefined;
  }

  /** The enterprise id of an enterprise IRI of this node, or undefined. */
  public enterpriseId(iri: string): string | undefined {
    const prefix = `${this.enterprises()}/`;
    if (!iri.startsWith(prefix)) return undefined;
    const rest = iri.slice(prefix.length);
    return rest !== '' && !rest.includes('/') && !rest.includes('#') ? canonicalLocalId(rest) : undefined;
  }
}

/** A decoded path segment, or undefined for a malformed escape (`%E0%A4%A`) or a non-canonical spelling. */
export function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * The local id a path segment stands for, only when the segment is spelled the way we would spell it
 * (`t%6Fmate` is not `tomate`): one resource, one IRI.
 */
function canonicalLocalId(segment: string): string | undefined {
  const decoded = safeDecode(segment);
  return decoded !== undefined && encodeURIComponent(decoded) === segment ? decoded : undefined;
}

/**
 * Latin letters that no decomposition turns into ASCII, as they are written without them: French `œ` (œufs, bœuf,
 * cœur) and `æ`, German `ß`, Nordic `ø` and `þ`, Polish `ł`, `đ`. Dropped, `Œufs de plein air` gave `ufs-de-plein-air`.
 */
const SPELLED_OUT: Readonly<Record<string, string>> = {
  Œ: 'OE', œ: 'oe', Æ: 'AE', æ: 'ae', ß: 'ss', ẞ: 'SS', Ø: 'O', ø: 'o', Ł: 'L', ł: 'l', Đ: 'D', đ: 'd', Þ: 'TH', þ: 'th', Ð: 'D', ð: 'd',
};

/** A URL-safe id from a name: lower case, ASCII, dashes. */
export function slugify(text: string): string {
  const slug = text
    .replace(/[ŒœÆæßẞØøŁłĐđÞþÐð]/gu, (letter) => SPELLED_OUT[letter] ?? letter)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/gu, '-')
    .replace(/^-+|-+$/gu, '')
    .slice(0, 60);
  return slug === '' ? 'item' : slug;
}

/** Whether a string is acceptable as a local id in a URL path. */
export function isValidLocalId(id: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/u.test(id);
}
