/**
 * JSON Schemas (draft 2020-12 subset, checked with ajv) of the normalised records.
 *
 * They state what the node accepts and stores: the codec validates every decoded record against them, and
 * the store can rely on them. Wire-level problems (a price that is not a number) are found while decoding;
 * these schemas catch what is missing or out of range once the record is built.
 *
 * @packageDocumentation
 */
import { LANGUAGE_TAG, type RecordKind } from './records.js';

type Schema = Readonly<Record<string, unknown>>;

/** What a link of a record holds: a blank node label, or an absolute IRI without the characters RDF forbids in one. */
const NODE_ID_PATTERN = '^(_:.+|[A-Za-z][A-Za-z0-9+.-]*:[^\\s<>"{}|\\\\^`]*)$';
const nodeId: Schema = { type: 'string', pattern: NODE_ID_PATTERN };
const NODE_ID = new RegExp(NODE_ID_PATTERN, 'u');

/** Whether a link's value is one the record schemas take (see {@link NODE_ID_PATTERN}). */
export function isNodeIdValue(value: unknown): boolean {
  return typeof value === 'string' && NODE_ID.test(value);
}
const nodeIds: Schema = { type: 'array', items: nodeId };
const text: Schema = { type: 'string' };
const nonEmptyText: Schema = { type: 'string', minLength: 1, pattern: '\\S' };
const stock: Schema = { anyOf: [{ type: 'number', minimum: 0 }, { type: 'null' }] };

const extraValue: Schema = { type: 'object' };
const extra: Schema = { type: 'object', additionalProperties: { type: 'array', items: extraValue } };
const common = {
  id: nodeId,
  kind: { type: 'string' },
  extraTypes: { type: 'array', items: text },
  languages: { type: 'object', additionalProperties: { type: 'string', pattern: LANGUAGE_TAG.source } },
  extra,
};

/** Schema of a {@link Quantity}. */
export const QUANTITY_SCHEMA: Schema = {
  type: 'object',
  required: ['value', 'unit'],
  additionalProperties: false,
  properties: { value: { type: 'number', minimum: 0 }, unit: nodeId, extra },
};

/** Schema of a {@link Price}. */
export const PRICE_SCHEMA: Schema = {
  type: 'object',
  required: ['value', 'currency'],
  additionalProperties: false,
  properties: {
    value: { type: 'number', minimum: 0 },
    currency: nodeId,
    vatRate: { type: 'number', minimum: 0, maximum: 100 },
    extra,
  },
};

function recordSchema(kind: RecordKind, properties: Record<string, Schema>, required: string[] = []): Schema {
  return {
    $id: `https://maillon.example/schemas/${kind}.json`,
    title: kind,
    type: 'object',
    required: ['id', 'kind', ...required],
    additionalProperties: false,
    properties: { ...common, kind: { const: kind }, ...properties },
  };
}

/** One schema per record kind. */
export const RECORD_SCHEMAS: Readonly<Record<RecordKind, Schema>> = {
  Enterprise: recordSchema('Enterprise', {
    name: nonEmptyText, description: text, vatNumber: text, email: text, phone: text, website: text, logo: text,
    address: nodeId, mainContact: nodeId, supplies: nodeIds, manages: nodeIds, maintains: nodeIds,
    customerCategories: nodeIds, affiliates: nodeIds,
  }, ['name']),
  Address: recordSchema('Address', {
    street: text, postcode: text, city: text, region: text, country: text,
    latitude: { type: 'number', minimum: -90, maximum: 90 },
    longitude: { type: 'number', minimum: -180, maximum: 180 },
  }),
  Person: recordSchema('Person', { firstName: text, familyName: text, address: nodeId, affiliates: nodeIds }),
  SuppliedProduct: recordSchema('SuppliedProduct', {
    name: nonEmptyText, description: text, productType: nodeId, quantity: QUANTITY_SCHEMA,
    totalTheoreticalStock: { type: 'number' }, images: { type: 'array', items: text }, variantOf: nodeIds,
    variants: nodeIds, catalogItems: nodeIds, suppliedBy: nodeId,
  }),
  CatalogItem: recordSchema('CatalogItem', {
    product: nodeId, sku: text, stock, offers: nodeIds, managedBy: nodeId, listedIn: nodeIds,
  }, ['stock']),
  Offer: recordSchema('Offer', { item: nodeId, offeredItem: nodeId, price: PRICE_SCHEMA, stock, customerCategory: nodeId }, ['price', 'stock']),
  Catalog: recordSchema('Catalog', { name: text, maintainedBy: nodeId, items: nodeIds }),
  CustomerCategory: recordSchema('CustomerCategory', { name: text, description: text, definedBy: nodeId }),
  SaleSession: recordSchema('SaleSession', { beginDate: text, endDate: text, offers: nodeIds }),
  Order: recordSchema('Order', {
    orderNumber: text, date: text, orderedBy: nodeId, soldBy: nodeId, saleSession: nodeId, lines: nodeIds,
    orderStatus: text, paymentStatus: text, fulfilmentStatus: text,
  }),
  OrderLine: recordSchema('OrderLine', {
    order: nodeId, offer: nodeId, quantity: { type: 'number', minimum: 0 }, quantityUnit: nodeId, price: PRICE_SCHEMA,
  }),
  Resource: recordSchema('Resource', { types: { type: 'array', items: text } }, ['types']),
};
