/**
 * The normalised records the node stores, publishes and accepts.
 *
 * A record is a plain, read-only object with the wire details taken out: one spelling per property, numbers
 * as numbers, links as `@id`s in both directions, stock as a number or `null` for "on demand". What the node
 * does not model is kept in {@link Extra} so that republishing a resource loses nothing.
 *
 * @packageDocumentation
 */
import type { Iri, NodeId } from './iri.js';

/** A literal kept as expanded JSON-LD. */
export interface ExtraLiteral {
  readonly '@value': string | number | boolean;
  readonly '@language'?: string;
  /** Absolute datatype IRI; absent for plain strings, JSON numbers and booleans. */
  readonly '@type'?: string;
}

/** A link kept as expanded JSON-LD. */
export interface ExtraLink {
  readonly '@id': string;
}

/**
 * A node kept inline, with its own types and properties: a blank node, or a resource described where it is linked
 * from (`id`, its IRI), as a profile keeps the `dfc-b:SocialMedia` nodes Open Food Network names.
 */
export interface ExtraNode {
  /** The node's IRI when it has one; absent for a blank node. */
  readonly id?: string;
  readonly '@type'?: readonly string[];
  readonly properties: Extra;
}

/** One value of a property the node does not model. */
export type ExtraValue = ExtraLiteral | ExtraLink | ExtraNode;

/** Properties the node does not model, by absolute (canonical) predicate IRI, in the order they were read. */
export type Extra = Readonly<Record<string, readonly ExtraValue[]>>;

/** An amount in a unit: a product's pack size, an order line's quantity. */
export interface Quantity {
  readonly value: number;
  /** A `dfc-m:` quantity unit. */
  readonly unit: Iri;
  /** Properties of its node the node does not model (`dfc-b:minValue`, a comment), kept and written back. */
  readonly extra?: Extra;
}

/** A price in a currency. */
export interface Price {
  readonly value: number;
  /** A `dfc-m:` currency unit. */
  readonly currency: Iri;
  /** VAT rate in percent, when given. */
  readonly vatRate?: number;
  /** Properties of its node the node does not model (`dfc-b:minValue`, a tax category), kept and written back. */
  readonly extra?: Extra;
}

/**
 * A language tag as RDF syntaxes write it (Turtle's `LANGTAG`), lower case as the readers leave it: `fr`, `en-gb`,
 * `zh-hant-tw`. A tag that is not one is dropped when read (the text is kept without it).
 */
export const LANGUAGE_TAG = /^[a-z]+(?:-[a-z0-9]+)*$/u;

/** What every record has. */
export interface RecordBase {
  readonly id: NodeId;
  /** Types beyond the one the record kind stands for. */
  readonly extraTypes?: readonly string[];
  /**
   * The language of a text field's value, by field name (`{"name": "fr"}` for `"Pommes"@fr`), when it was given one:
   * written back with it. Absent for text without a language (nearly all). Other values of the field, in other
   * languages, are in {@link extra}.
   */
  readonly languages?: Readonly<Record<string, string>>;
  /** Properties the node does not model. */
  readonly extra?: Extra;
}

/** A producer, shop, group or any other organisation (`dfc-b:Enterprise`; `dfc-b:Organization` in 2.0). */
export interface EnterpriseRecord extends RecordBase {
  readonly kind: 'Enterprise';
  readonly name?: string;
  readonly description?: string;
  readonly vatNumber?: string;
  readonly email?: string;
  readonly phone?: string;
  readonly website?: string;
  readonly logo?: string;
  readonly address?: NodeId;
  readonly mainContact?: NodeId;
  readonly supplies: readonly NodeId[];
  readonly manages: readonly NodeId[];
  readonly maintains: readonly NodeId[];
  readonly customerCategories: readonly NodeId[];
  readonly affiliates: readonly NodeId[];
}

/** A postal address with coordinates. */
export interface AddressRecord extends RecordBase {
  readonly kind: 'Address';
  readonly street?: string;
  readonly postcode?: string;
  readonly city?: string;
  readonly region?: string;
  /** An EU country authority IRI (1.16) or, from older peers, a country name. */
  readonly country?: string;
  readonly latitude?: number;
  readonly longitude?: number;
}

/** A person, usually an enterprise's main contact. */
export interface PersonRecord extends RecordBase {
  readonly kind: 'Person';
  readonly firstName?: string;
  readonly familyName?: string;
  readonly address?: NodeId;
  readonly affiliates: readonly NodeId[];
}

/** A product as its supplier defines it; a product group when it has variants. */
export interface SuppliedProductRecord extends RecordBase {
  readonly kind: 'SuppliedProduct';
  readonly name?: string;
  readonly description?: string;
  /** A `dfc-pt:` product type. */
  readonly productType?: string;
  /** Pack size of one unit sold (not stock). */
  readonly quantity?: Quantity;
  readonly totalTheoreticalStock?: number;
  readonly images: readonly string[];
  readonly variantOf: readonly NodeId[];
  readonly variants: readonly NodeId[];
  /** Catalog items that reference this product. */
  readonly catalogItems: readonly NodeId[];
  readonly suppliedBy?: NodeId;
}

/** A product as listed in one catalogue, with its stock. */
export interface CatalogItemRecord extends RecordBase {
  readonly kind: 'CatalogItem';
  readonly product?: NodeId;
  readonly sku?: string;
  /** Available stock; `null` means on demand (unlimited). */
  readonly stock: number | null;
  readonly offers: readonly NodeId[];
  readonly managedBy?: NodeId;
  readonly listedIn: readonly NodeId[];
}

/** A price (and optionally reserved stock) for a catalog item, for a customer category. */
export interface OfferRecord extends RecordBase {
  readonly kind: 'Offer';
  /** The catalog item offered (`dfc-b:offers`; `dfc-b:offeredItem` too, as the connectors read it). */
  readonly item?: NodeId;
  /**
   * In an order's echo of an offer only: what the buyer's Offer named as its `dfc-b:offeredItem` (Open Food Network
   * matches its order lines by it: the product it ordered), written under `dfc-b:offeredItem` in place of the item,
   * never under `dfc-b:offers`, whose value is a catalog item. Never read from a document. An echo tells no stock:
   * its `stock` of `null` is written as none (not as on demand).
   */
  readonly offeredItem?: NodeId;
  readonly price?: Price;
  /** Stock for this offer; `null` means on demand (unlimited). */
  readonly stock: number | null;
  readonly customerCategory?: NodeId;
}

/** A catalogue (`dfc-b:Catalog`). */
export interface CatalogRecord extends RecordBase {
  readonly kind: 'Catalog';
  readonly name?: string;
  readonly maintainedBy?: NodeId;
  readonly items: readonly NodeId[];
}

/** A kind of customer an offer is made to (`dfc-b:CustomerCategory`). */
export interface CustomerCategoryRecord extends RecordBase {
  readonly kind: 'CustomerCategory';
  readonly name?: string;
  readonly description?: string;
  readonly definedBy?: NodeId;
}

/** An order cycle (`dfc-b:SaleSession`). */
export interface SaleSessionRecord extends RecordBase {
  readonly kind: 'SaleSession';
  /** As written by the peer: ISO 8601, or the `Date.toString()` style some connectors send. */
  readonly beginDate?: string;
  readonly endDate?: string;
  readonly offers: readonly NodeId[];
}

/** An order (`dfc-b:Order`). */
export interface OrderRecord extends RecordBase {
  readonly kind: 'Order';
  readonly orderNumber?: string;
  readonly date?: string;
  readonly orderedBy?: NodeId;
  readonly soldBy?: NodeId;
  readonly saleSession?: NodeId;
  readonly lines: readonly NodeId[];
  readonly orderStatus?: string;
  readonly paymentStatus?: string;
  readonly fulfilmentStatus?: string;
}

/** One line of an order (`dfc-b:OrderLine`). */
export interface OrderLineRecord extends RecordBase {
  readonly kind: 'OrderLine';
  readonly order?: NodeId;
  readonly offer?: NodeId;
  /** Number of units ordered. */
  readonly quantity?: number;
  /** The unit of `quantity` when the peer gave one (a QuantitativeValue). */
  readonly quantityUnit?: Iri;
  readonly price?: Price;
}

/** Any other resource in a document: kept whole so that nothing a peer sent is lost. */
export interface ResourceRecord extends RecordBase {
  readonly kind: 'Resource';
  readonly types: readonly string[];
}

/** Every record kind. */
export type DfcRecord =
  | EnterpriseRecord
  | AddressRecord
  | PersonRecord
  | SuppliedProductRecord
  | CatalogItemRecord
  | OfferRecord
  | CatalogRecord
  | CustomerCategoryRecord
  | SaleSessionRecord
  | OrderRecord
  | OrderLineRecord
  | ResourceRecord;

/** The discriminant of {@link DfcRecord}. */
export type RecordKind = DfcRecord['kind'];

/** The record kinds in the order documents list them (owners before what they own). */
export const RECORD_KINDS: readonly RecordKind[] = [
  'Enterprise', 'Address', 'Person', 'CustomerCategory', 'Catalog', 'SuppliedProduct', 'CatalogItem', 'Offer',
  'SaleSession', 'Order', 'OrderLine', 'Resource',
];
