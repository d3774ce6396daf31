/**
 * Object properties of the DFC business and technical ontologies, by version.
 *
 * These are facts about the vocabulary (term names), written down here so that the node can build its
 * own JSON-LD contexts: in every DFC context file an object property is declared `{"@type": "@id"}`
 * and nothing else is coerced, so the list of object property names *is* the context.
 *
 * @packageDocumentation
 */

/** `dfc-b:` object properties of DFC 1.16 (the version Open Food Network speaks). */
export const DFC_B_OBJECT_PROPERTIES_1_16 = [
  'DFC_BusinessOntology_ObjectProperty', 'DFC_Interface_Property', 'addressOf', 'affiliatedTo',
  'affiliates', 'allergenCharacteristicOf', 'basedAt', 'belongsTo', 'brandOf', 'certificateOf',
  'characteristicOf', 'claimOf', 'composedOf', 'composes', 'concernedBy', 'concerns',
  'constituedBy', 'constitutes', 'consumedBy', 'consumes', 'containerInformationOf',
  'coordinatedBy', 'coordinates', 'definedBy', 'defines', 'deliveredAt', 'endsAt', 'facetOf',
  'from', 'fulfills', 'geographicalOriginOf', 'hasAddress', 'hasAllergenCharacteristic',
  'hasAllergenDimension', 'hasBrand', 'hasCertification', 'hasCharacteristic', 'hasClaim',
  'hasContainerInformation', 'hasCountry', 'hasDimension', 'hasFacet', 'hasFulfilmentStatus',
  'hasGeographicalOrigin', 'hasIngredient', 'hasInput', 'hasLabellingCharacteristic',
  'hasLabellingDimension', 'hasMainContact', 'hasNatureOrigin', 'hasNutrientCharacteristic',
  'hasNutrientDimension', 'hasObject', 'hasOffer', 'hasOption', 'hasOrderStatus', 'hasOutput',
  'hasPart', 'hasPartOrigin', 'hasPaymentMethod', 'hasPaymentStatus', 'hasPhoneNumber',
  'hasPhysicalCharacteristic', 'hasPhysicalDimension', 'hasPrice', 'hasProcess', 'hasQuantity',
  'hasReference', 'hasSocialMedia', 'hasStatus', 'hasTemperature', 'hasTransformationType',
  'hasType', 'hasUnit', 'hasVariant', 'holds', 'hostedAt', 'hosts', 'identifiedBy', 'identifies',
  'industrializedBy', 'industrializes', 'inputOf', 'isAvailableDuring', 'isFulfilledBy',
  'isIngredientOf', 'isOpenDuring', 'isPriceOf', 'isShippedIn', 'isTemperatureOf', 'isVariantOf',
  'labellingCharacteristicOf', 'listedIn', 'lists', 'localizedBy', 'localizes', 'mainContactOf',
  'maintainedBy', 'maintains', 'managedBy', 'manages', 'natureOriginOf', 'nutrientCharacteristicOf',
  'objectOf', 'offeredThrough', 'offers', 'offersTo', 'optionOf', 'orderedBy', 'orders', 'outputOf',
  'ownedBy', 'owns', 'paidWith', 'partOf', 'partOriginOf', 'phoneNumberOf',
  'physicalCharacteristicOf', 'pickedUpAt', 'processOf', 'producedBy', 'produces', 'proposedBy',
  'proposes', 'referenceOf', 'referencedBy', 'references', 'refersTo', 'representedBy',
  'represents', 'requestedBy', 'requests', 'satisfiedBy', 'satisfies', 'selectedBy', 'selects',
  'sells', 'ships', 'socialMediaOf', 'soldBy', 'startsAt', 'storedIn', 'stores', 'suppliedBy',
  'supplies', 'suppliesTo', 'to', 'tracedBy', 'traces', 'transformedBy', 'transforms',
  'transportedBy', 'transports', 'typeOf', 'uses'
] as const;

/** `dfc-t:` object properties declared by every numbered DFC context. */
export const DFC_T_OBJECT_PROPERTIES = [
  'hasPivot', 'hostedBy', 'owner', 'represent'
] as const;

/** `dfc-b:` object properties that DFC 2.0 adds to 1.16. */
export const DFC_B_OBJECT_PROPERTIES_ADDED_2_0 = [
  'certifies', 'delivery', 'hasGeoJsonFeature', 'hasMember', 'hasProductOption',
  'hasProductOptionValue', 'hasReferenceProductOption', 'hasReferenceProductOptionValue', 'hasStep',
  'hasTemplateSaleSession', 'hasVariantCaracteristic', 'isCertifiedBy', 'isMemberOf', 'isStepOf',
  'isTemplateSaleSessionOf', 'pickUp', 'useVehicle', 'usedInRoute'
] as const;

/** `dfc-b:` object properties of 1.16 that DFC 2.0 no longer declares. */
export const DFC_B_OBJECT_PROPERTIES_REMOVED_2_0 = [
  'hasProcess'
] as const;

/**
 * Object properties that older 1.x contexts (1.9 to 1.13) declared and that were renamed later
 * (`hasIncome`→`hasInput`, `sold`→`sells`, `affiliatedBy`→`affiliatedTo`). Documents written with
 * those contexts still use them, so our 1.x reading context keeps them typed `@id`.
 */
export const DFC_B_OBJECT_PROPERTIES_LEGACY = [
  'affiliatedBy', 'hasIncome', 'hasOutcome', 'incomeOf', 'outcomeOf', 'sold'
] as const;

/**
 * `dfc-b:` datatype properties of DFC 1.16 whose range is `xsd:boolean`. Peers send them as JSON strings
 * (`"true"`), which JSON-LD reads as text: the writer puts them back as booleans.
 */
export const DFC_B_BOOLEAN_PROPERTIES_1_16 = ['VATstatus', 'frozen', 'refrigerated'] as const;

/**
 * `dfc-b:` datatype properties of DFC 1.16 whose range is `xsd:float`. Peers send them as JSON strings
 * (`"4.95"`, as the TypeScript connector writes every number): the writer puts them back as numbers.
 */
export const DFC_B_NUMBER_PROPERTIES_1_16 = [
  'VATrate', 'cost', 'discount', 'fee', 'hasPercentageOfAlcoholByVolume', 'latitude', 'lifetime', 'longitude',
  'marginPercent', 'quantity', 'stockLimitation', 'totalTheoriticalStock', 'value',
] as const;

/** `dfc-b:` classes that DFC 2.0 adds to 1.16 (ontology CHANGELOG 2.0.0; no 2.0 OWL file is published with it). */
export const DFC_B_CLASSES_ADDED_2_0 = [
  'Option', 'OptionValue', 'Organization', 'ProductOption', 'TemplateSaleSession', 'Variant', 'VariantCaracteristic',
] as const;
