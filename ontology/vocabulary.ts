/**
 * Typed IRI constants for the terms the node reads and writes.
 *
 * `DFC_B.name` has the literal type of the full IRI, so a typo is a compile error and the CURIE strings
 * (`"dfc-b:name"`) only ever appear in contexts and in the codec's compaction table.
 *
 * @packageDocumentation
 */
import { iri, type Iri } from './iri.js';
import { CANONICAL_NAMESPACES, NS } from './namespaces.js';

/** A vocabulary: one typed IRI per local name, plus the namespace itself. */
export type Vocabulary<TBase extends string, TLocal extends string> = {
  readonly [K in TLocal]: `${TBase}${K}` & Iri;
} & { readonly namespace: TBase & Iri };

/**
 * Builds a {@link Vocabulary} from a namespace and its local names.
 *
 * @param base - the namespace IRI
 * @param locals - the local names
 */
export function createVocabulary<TBase extends string, TLocal extends string>(
  base: TBase,
  ...locals: TLocal[]
): Vocabulary<TBase, TLocal> {
  const vocabulary: Record<string, string> = { namespace: base };
  for (const local of locals) vocabulary[local] = `${base}${local}`;
  return Object.freeze(vocabulary) as Vocabulary<TBase, TLocal>;
}

/** DFC business ontology (canonical 1.x namespace): the classes and properties the node models. */
export const DFC_B = createVocabulary(
  CANONICAL_NAMESPACES['dfc-b'] as 'https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#',
  // classes
  'Enterprise', 'Organization', 'Person', 'Address', 'PhoneNumber', 'SocialMedia', 'SuppliedProduct', 'CatalogItem',
  'Catalog', 'Offer', 'Price', 'QuantitativeValue', 'CustomerCategory', 'SaleSession', 'Order', 'OrderLine',
  'AllergenCharacteristic', 'NutrientCharacteristic', 'PhysicalCharacteristic',
  // agents
  'name', 'description', 'hasDescription', 'VATnumber', 'email', 'websitePage', 'logo', 'hasAddress', 'hasPhoneNumber',
  'phoneNumber', 'hasMainContact', 'mainContactOf', 'supplies', 'suppliedBy', 'manages', 'managedBy', 'maintains',
  'maintainedBy', 'defines', 'definedBy', 'affiliates', 'affiliatedTo', 'firstName', 'familyName', 'hasSocialMedia',
  // address
  'street', 'hasStreet', 'postcode', 'hasPostalCode', 'city', 'hasCity', 'region', 'hasCountry', 'country', 'latitude',
  'longitude',
  // products
  'hasType', 'hasQuantity', 'hasUnit', 'value', 'totalTheoreticalStock', 'totalTheoriticalStock', 'image', 'Image',
  'hasVariant', 'isVariantOf', 'referencedBy', 'references', 'hasCertification', 'hasClaim', 'hasAllergenCharacteristic',
  'hasNutrientCharacteristic', 'hasPhysicalCharacteristic', 'hasAllergenDimension',
  // catalogue and offers
  'sku', 'stockLimitation', 'offeredThrough', 'offeredItem', 'offers', 'listedIn', 'lists', 'hasPrice', 'VATrate',
  'offeredTo', 'offersTo', 'hasOffer',
  // sale sessions and orders
  'beginDate', 'startDate', 'endDate', 'orderedBy', 'soldBy', 'hasPart', 'partOf', 'belongsTo', 'holds', 'concerns',
  'quantity', 'orderNumber', 'date', 'hasOrderStatus', 'hasPaymentStatus', 'hasFulfilmentStatus',
  // planned transformations (Open Food Network's retail units of a wholesale case)
  'AsPlannedTransformation', 'AsPlannedConsumptionFlow', 'AsPlannedProductionFlow', 'consumes', 'produces',
);

/** RDF core. */
export const RDF = createVocabulary(iri(NS.rdf), 'type', 'langString', 'first', 'rest', 'nil');
/** XML Schema datatypes. */
export const XSD = createVocabulary(iri(NS.xsd), 'string', 'integer', 'decimal', 'double', 'float', 'boolean', 'dateTime');
/** SKOS. */
export const SKOS = createVocabulary(
  iri(NS.skos), 'Concept', 'ConceptScheme', 'broader', 'narrower', 'inScheme', 'prefLabel', 'altLabel', 'notation',
  'topConceptOf', 'hasTopConcept',
);
/** Linked Data Platform. */
export const LDP = createVocabulary(iri(NS.ldp), 'Container', 'BasicContainer', 'Resource', 'contains');
/** RDF Schema. */
export const RDFS = createVocabulary(iri(NS.rdfs), 'label', 'comment', 'Class', 'domain', 'range', 'seeAlso');
/** Solid terms: a WebID's type indexes and their registrations (where an application finds data of a class). */
export const SOLID = createVocabulary(
  iri('http://www.w3.org/ns/solid/terms#'), 'publicTypeIndex', 'privateTypeIndex', 'TypeIndex', 'ListedDocument', 'UnlistedDocument',
  'TypeRegistration', 'forClass', 'instance', 'instanceContainer', 'oidcIssuer',
);
/** The workspace vocabulary: a WebID's storage (its pod). */
export const PIM = createVocabulary(iri('http://www.w3.org/ns/pim/space#'), 'storage', 'Storage');
/** OWL (only `sameAs`, for identity links between peers). */
export const OWL = createVocabulary(iri(NS.owl), 'sameAs', 'Class', 'ObjectProperty', 'DatatypeProperty');

/** DFC measures taxonomy namespace (units, currencies, dimensions). */
export const DFC_M_NS = iri(CANONICAL_NAMESPACES['dfc-m']);
/** DFC product types taxonomy namespace. */
export const DFC_PT_NS = iri(CANONICAL_NAMESPACES['dfc-pt']);
/** DFC facets taxonomy namespace (certifications, claims, origins). */
export const DFC_F_NS = iri(CANONICAL_NAMESPACES['dfc-f']);
/** DFC vocabulary taxonomy namespace (order, payment and fulfilment statuses). */
export const DFC_V_NS = iri(CANONICAL_NAMESPACES['dfc-v']);
