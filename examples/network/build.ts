/**
 * Turns the example network (`data.ts`) into DFC records and writes the example JSON-LD files.
 *
 * IRIs follow the Open Food Network layout: one slug per product, shared by its supplied product, catalog item
 * and offer; a product group is a supplied product with variants and has neither catalog item nor offer.
 *
 * @packageDocumentation
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeId } from '../../ontology/iri.js';
import type {
  AddressRecord, CatalogItemRecord, DfcRecord, EnterpriseRecord, OfferRecord, PersonRecord, SuppliedProductRecord,
} from '../../ontology/records.js';
import { measureIri } from '../../ontology/units.js';
import { DFC_PT_NS } from '../../ontology/vocabulary.js';
import { encodeJsonLd } from '../../server/codec/encode.js';
import { ENTERPRISES, isProductGroup, type EnterpriseData, type ProductData } from './data.js';

export type { EnterpriseData } from './data.js';

/** The network: six enterprises. */
export const NETWORK: readonly EnterpriseData[] = ENTERPRISES;

/** Base URL of the committed example files (the importer re-bases ids to the node's own). */
export const EXAMPLE_BASE_URL = 'https://maillon.example';

/** The EU country authority IRI of France. */
const FRANCE = 'http://publications.europa.eu/resource/authority/country/FRA';

/** The IRIs of one enterprise's resources. */
export interface EnterpriseIris {
  readonly enterprise: NodeId;
  readonly address: NodeId;
  readonly person: NodeId;
  suppliedProduct(productSlug: string): NodeId;
  catalogItem(productSlug: string): NodeId;
  offer(productSlug: string): NodeId;
}

/**
 * The IRIs of one enterprise's resources under a base URL.
 *
 * @param slug - the enterprise slug
 * @param baseUrl - the node's base URL, like `http://127.0.0.1:3000` (a trailing slash is ignored)
 */
export function enterpriseIris(slug: string, baseUrl: string): EnterpriseIris {
  const api = `${baseUrl.replace(/\/+$/u, '')}/api/dfc`;
  const enterprise = `${api}/enterprises/${slug}`;
  return {
    enterprise: enterprise as NodeId,
    address: `${api}/addresses/${slug}` as NodeId,
    person: `${api}/persons/${slug}` as NodeId,
    suppliedProduct: (productSlug) => `${enterprise}/supplied_products/${productSlug}` as NodeId,
    catalogItem: (productSlug) => `${enterprise}/catalog_items/${productSlug}` as NodeId,
    offer: (productSlug) => `${enterprise}/offers/${productSlug}` as NodeId,
  };
}

/**
 * The records of one enterprise: the enterprise, its address and main contact, then its supplied products
 * (each group followed by its variants), catalog items and offers. Every link is given in both directions.
 *
 * @param enterprise - the enterprise
 * @param baseUrl - the node's base URL, like `http://127.0.0.1:3000`
 */
export function buildEnterpriseRecords(enterprise: EnterpriseData, baseUrl: string): DfcRecord[] {
  const iris = enterpriseIris(enterprise.slug, baseUrl);
  const products: SuppliedProductRecord[] = [];
  const items: CatalogItemRecord[] = [];
  const offers: OfferRecord[] = [];

  const addSold = (product: ProductData, group: NodeId | undefined): void => {
    const productId = iris.suppliedProduct(product.slug);
    const itemId = iris.catalogItem(product.slug);
    const offerId = iris.offer(product.slug);
    products.push({
      kind: 'SuppliedProduct', id: productId, name: product.name, description: product.description,
      productType: `${DFC_PT_NS}${product.type}`,
      quantity: { value: product.quantity.value, unit: measureIri(product.quantity.unit) },
      images: [], variantOf: group === undefined ? [] : [group], variants: [], catalogItems: [itemId],
      suppliedBy: iris.enterprise,
    });
    items.push({
      kind: 'CatalogItem', id: itemId, product: productId, sku: product.sku, stock: product.stock, offers: [offerId],
      managedBy: iris.enterprise, listedIn: [],
    });
    offers.push({
      kind: 'Offer', id: offerId, item: itemId,
      price: { value: product.price, currency: measureIri('Euro'), vatRate: product.vatRate }, stock: product.stock,
    });
  };

  for (const entry of enterprise.products) {
    if (!isProductGroup(entry)) {
      addSold(entry, undefined);
      continue;
    }
    const groupId = iris.suppliedProduct(entry.slug);
    products.push({
      kind: 'SuppliedProduct', id: groupId, name: entry.name, description: entry.description,
      productType: `${DFC_PT_NS}${entry.type}`, images: [], variantOf: [],
      variants: entry.variants.map((variant) => iris.suppliedProduct(variant.slug)), catalogItems: [],
      suppliedBy: iris.enterprise,
    });
    for (const variant of entry.variants) addSold(variant, groupId);
  }

  const enterpriseRecord: EnterpriseRecord = {
    kind: 'Enterprise', id: iris.enterprise, name: enterprise.name, description: enterprise.description,
    email: enterprise.email, phone: enterprise.phone, website: enterprise.website,
    address: iris.address, mainContact: iris.person,
    supplies: products.map((p) => p.id), manages: items.map((i) => i.id),
    maintains: [], customerCategories: [], affiliates: [],
  };
  const { address } = enterprise;
  const addressRecord: AddressRecord = {
    kind: 'Address', id: iris.address, street: address.street, postcode: address.postcode, city: address.city,
    region: address.region, country: FRANCE, latitude: address.latitude, longitude: address.longitude,
  };
  const person: PersonRecord = {
    kind: 'Person', id: iris.person, firstName: enterprise.contact.firstName, familyName: enterprise.contact.familyName,
    affiliates: [iris.enterprise],
  };
  return [enterpriseRecord, addressRecord, person, ...products, ...items, ...offers];
}

/**
 * The text of one enterprise's example file: its records as DFC 1.16 JSON-LD, indented, with a final newline.
 *
 * @param enterprise - the enterprise
 * @param baseUrl - the base URL of the ids
 */
export function exampleFileText(enterprise: EnterpriseData, baseUrl: string): string {
  return `${JSON.stringify(encodeJsonLd(buildEnterpriseRecords(enterprise, baseUrl)), null, 2)}\n`;
}

/** The file name of one enterprise's example file. */
export function exampleFileName(enterprise: EnterpriseData): string {
  return `${enterprise.slug}.jsonld`;
}

/**
 * Writes one `<slug>.jsonld` file per enterprise of {@link NETWORK} into `dir`.
 *
 * @param dir - the directory, created if missing
 * @param baseUrl - the base URL of the ids
 * @returns the paths written, in network order
 */
export async function writeExampleFiles(dir: string, baseUrl: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const enterprise of NETWORK) {
    const path = join(dir, exampleFileName(enterprise));
    await writeFile(path, exampleFileText(enterprise, baseUrl), 'utf8');
    written.push(path);
  }
  return written;
}
