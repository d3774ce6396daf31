/**
 * The vocabulary a Maillon node speaks: DFC namespaces and contexts, typed IRI constants, units, product
 * types, taxonomies, record types and their schemas. Pure data and pure functions.
 *
 * @packageDocumentation
 */
export * from './contexts.js';
export * from './fold.js';
export * from './inverses.js';
export * from './iri.js';
export * from './namespaces.js';
export * from './product-types.js';
export * from './records.js';
export * from './schemas.js';
export * from './spellings.js';
export * from './streams.js';
export * from './taxonomy.js';
export * from './terms.js';
export * from './units.js';
export * from './vocabulary.js';
export * from './countries.js';
