/**
 * A small but complete set of records (every kind, every optional field, extras), for round-trip tests.
 */
import type { Iri, NodeId } from '../../ontology/iri.js';
import type { DfcRecord } from '../../ontology/records.js';
import { measureIri } from '../../ontology/units.js';
import { DFC_B, DFC_PT_NS } from '../../ontology/vocabulary.js';

const base = 'https://node.example/api/dfc';
const id = (path: string): NodeId => `${base}/${path}` as NodeId;

/** Records of one enterprise with a product group, two variants, items, offers and an order. */
export function sampleRecords(): DfcRecord[] {
  const enterprise = id('enterprises/ferme');
  return [
    {
      kind: 'Enterprise', id: enterprise, name: 'Ferme des Trois Chênes', description: 'Maraîchage bio',
      vatNumber: 'FR12345678901', email: 'contact@trois-chenes.example', phone: '+33 5 55 00 00 00',
      website: 'https://trois-chenes.example', logo: 'https://trois-chenes.example/logo.png',
      address: id('addresses/1'), mainContact: id('enterprises/ferme#mainContact'),
      supplies: [id('enterprises/ferme/supplied_products/tomate-1kg'), id('enterprises/ferme/supplied_products/tomate-3kg')],
      manages: [id('enterprises/ferme/catalog_items/tomate-1kg'), id('enterprises/ferme/catalog_items/tomate-3kg')],
      maintains: [], customerCategories: [id('enterprises/ferme/customer_categories/public')], affiliates: [],
      extra: { 'ofn:contact_name': [{ '@value': 'Anne Martin' }] },
    },
    {
      kind: 'Address', id: id('addresses/1'), street: '3 chemin des Chênes', postcode: '87000', city: 'Limoges',
      country: 'http://publications.europa.eu/resource/authority/country/FRA', latitude: 45.83, longitude: 1.26,
    },
    { kind: 'Person', id: id('enterprises/ferme#mainContact'), firstName: 'Anne', familyName: 'Martin', affiliates: [] },
    {
      kind: 'CustomerCategory', id: id('enterprises/ferme/customer_categories/public'), name: 'Public',
      definedBy: enterprise,
    },
    {
      kind: 'SuppliedProduct', id: id('product_groups/tomates'), name: 'Tomates anciennes', images: [], variantOf: [],
      variants: [id('enterprises/ferme/supplied_products/tomate-1kg'), id('enterprises/ferme/supplied_products/tomate-3kg')],
      catalogItems: [],
    },
    {
      kind: 'SuppliedProduct', id: id('enterprises/ferme/supplied_products/tomate-1kg'), name: 'Tomates anciennes - 1 kg',
      description: 'Variétés anciennes, cueillies à maturité', productType: `${DFC_PT_NS}hierloom-tomato`,
      quantity: { value: 1, unit: measureIri('Kilogram') }, totalTheoreticalStock: 40,
      images: ['https://trois-chenes.example/tomates.jpg'], variantOf: [id('product_groups/tomates')], variants: [],
      catalogItems: [id('enterprises/ferme/catalog_items/tomate-1kg')], suppliedBy: enterprise,
      extra: {
        'ofn:spree_product_id': [{ '@value': 21 }],
        [DFC_B.hasAllergenCharacteristic]: [{
          '@type': [`${DFC_B.namespace}AllergenCharacteristic`],
          properties: {
            [DFC_B.hasAllergenDimension]: [{ '@id': measureIri('Kilogram').replace('Kilogram', 'Celery') }],
            [DFC_B.value]: [{ '@value': 0 }],
          },
        }],
        'https://schema.org/alternateName': [{ '@value': 'Heirloom tomatoes', '@language': 'en' }],
      },
    },
    {
      kind: 'SuppliedProduct', id: id('enterprises/ferme/supplied_products/tomate-3kg'), name: 'Tomates anciennes - 3 kg',
      quantity: { value: 3000, unit: measureIri('Gram') }, images: [], variantOf: [id('product_groups/tomates')],
      variants: [], catalogItems: [id('enterprises/ferme/catalog_items/tomate-3kg')], suppliedBy: enterprise,
    },
    {
      kind: 'CatalogItem', id: id('enterprises/ferme/catalog_items/tomate-1kg'),
      product: id('enterprises/ferme/supplied_products/tomate-1kg'), sku: 'TOM-1K', stock: 12,
      offers: [id('enterprises/ferme/offers/tomate-1kg')], managedBy: enterprise, listedIn: [],
    },
    {
      kind: 'CatalogItem', id: id('enterprises/ferme/catalog_items/tomate-3kg'),
      product: id('enterprises/ferme/supplied_products/tomate-3kg'), sku: 'TOM-3K', stock: null,
      offers: [id('enterprises/ferme/offers/tomate-3kg')], managedBy: enterprise, listedIn: [],
    },
    {
      kind: 'Offer', id: id('enterprises/ferme/offers/tomate-1kg'), item: id('enterprises/ferme/catalog_items/tomate-1kg'),
      price: { value: 4.5, currency: measureIri('Euro'), vatRate: 5.5 }, stock: 12,
      customerCategory: id('enterprises/ferme/customer_categories/public'),
    },
    {
      kind: 'Offer', id: id('enterprises/ferme/offers/tomate-3kg'), item: id('enterprises/ferme/catalog_items/tomate-3kg'),
      price: { value: 12, currency: measureIri('Euro') }, stock: null,
    },
    {
      kind: 'SaleSession', id: id('enterprises/ferme/sale_sessions/2026-w48'), beginDate: '2026-11-23T08:00:00Z',
      endDate: '2026-11-27T18:00:00Z', offers: [id('enterprises/ferme/offers/tomate-1kg')],
    },
    {
      kind: 'Order', id: id('enterprises/ferme/orders/1'), orderNumber: 'A-0001', date: '2026-11-24T10:00:00Z',
      orderedBy: 'https://shop.example/api/dfc/enterprises/epicerie' as NodeId, soldBy: enterprise,
      saleSession: id('enterprises/ferme/sale_sessions/2026-w48'), lines: [id('enterprises/ferme/orders/1/lines/1')],
      orderStatus: 'https://github.com/datafoodconsortium/taxonomies/releases/latest/download/vocabulary.rdf#Held',
    },
    {
      kind: 'OrderLine', id: id('enterprises/ferme/orders/1/lines/1'), order: id('enterprises/ferme/orders/1'),
      offer: id('enterprises/ferme/offers/tomate-1kg'), quantity: 2, price: { value: 4.5, currency: measureIri('Euro') },
    },
    {
      kind: 'Resource', id: 'https://social.example/ferme' as Iri, types: [`${DFC_B.namespace}SocialMedia`],
      extra: { [`${DFC_B.namespace}URL`]: [{ '@value': 'https://social.example/ferme' }] },
    },
  ];
}

/** The `@id`s of an enterprise, its address, and its product, item and offer `slug`, under `origin`. */
export function resourceIds(origin: string, eid: string, slug = ''): { enterprise: NodeId; address: NodeId; product: NodeId; item: NodeId; offer: NodeId } {
  const e = `${origin}/api/dfc/enterprises/${eid}`;
  return {
    enterprise: `${e}` as NodeId, address: `${origin}/api/dfc/addresses/${eid}` as NodeId, product: `${e}/supplied_products/${slug}` as NodeId,
    item: `${e}/catalog_items/${slug}` as NodeId, offer: `${e}/offers/${slug}` as NodeId,
  };
}

/**
 * A one-offer DFC catalogue (JSON-LD text) under `origin` whose price is negative: the codec quarantines the offer,
 * the rest merges. What a peer that quarantines looks like.
 */
export function negativePriceCatalogue(origin: string): string {
  const e = `${origin}/api/dfc/enterprises/rucher`;
  return JSON.stringify({
    '@context': 'https://w3id.org/dfc/ontology/context/context_1.16.0.json',
    '@graph': [
      { '@id': e, '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Rucher' },
      { '@id': `${e}/supplied_products/gelee`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Gelée royale', 'dfc-b:suppliedBy': e },
      {
        '@id': `${e}/catalog_items/gelee`, '@type': 'dfc-b:CatalogItem', 'dfc-b:references': `${e}/supplied_products/gelee`,
        'dfc-b:offeredThrough': `${e}/offers/gelee`, 'dfc-b:managedBy': e,
      },
      {
        '@id': `${e}/offers/gelee`, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': `${e}/catalog_items/gelee`,
        'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': -4, 'dfc-b:hasUnit': 'dfc-m:Euro' },
      },
    ],
  });
}
