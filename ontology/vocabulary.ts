/**
 * Typed IRI constants for the terms the node reads and writes.
 *
 * `DFC_B.name` has the literal type of the full IRI, so a typo is a compile error and the CURIE strings
 * (`"dfc-b:name"`) only ever appear in contexts and in the codec's compaction table.
 *
 * @packageDocumentation
 */
import { iri, type Iri } from './iri.js';
import { CANONICAL_NAMESPACES, DFC_NAMESPACES, NS } from './namespaces.js';
import { DFC_B_CLASSES_ADDED_2_0, DFC_B_OBJECT_PROPERTIES_ADDED_2_0 } from './terms.js';

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

/**
 * The `dfc-b:` terms that only DFC 2.0 defines, under their 2.0 IRI: the node keeps them so whatever namespace they
 * were read in (see `canonicalDfcIri`), since no 1.x ontology defines them.
 */
export const DFC_B_2_0 = createVocabulary(
  DFC_NAMESPACES['2.0']['dfc-b'] as 'http://w3id.org/dfc/ontology/v2.0.0/src/DFC_BusinessOntology.owl#',
  ...DFC_B_CLASSES_ADDED_2_0, ...DFC_B_OBJECT_PROPERTIES_ADDED_2_0,
);

const DFC_B_1_X = createVocabulary(
  CANONICAL_NAMESPACES['dfc-b'] as 'https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#',
  // classes
  'Enterprise', 'Person', 'Address', 'PhoneNumber', 'SocialMedia', 'SuppliedProduct', 'CatalogItem',
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

/**
 * DFC business ontology: the classes and properties the node models, by their canonical IRI. That is the 1.x
 * namespace ({@link Vocabulary.namespace}), but for `Organization`, the DFC 2.0 name of an enterprise, which only 2.0
 * defines: its 2.0 IRI, what a `dfc-b:Organization` of any namespace is read as, and what 2.0 output writes.
 */
export const DFC_B: typeof DFC_B_1_X & { readonly Organization: typeof DFC_B_2_0.Organization } = Object.freeze({
  ...DFC_B_1_X, Organization: DFC_B_2_0.Organization,
});

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
