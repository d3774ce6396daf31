/**
 * Namespace IRIs of the DFC vocabulary, per generation, and the standard vocabularies we use beside it.
 *
 * DFC moved its namespaces twice: from `static.datafoodconsortium.org` (before 1.8) to GitHub release
 * downloads (1.8 to 1.16), then to `w3id.org/.../v2.0.0` (2.0). Peers speak all three. Internally the node
 * keeps one canonical set, the 1.16 one, because that is what Open Food Network reads and writes today.
 *
 * @packageDocumentation
 */

/** The DFC prefixes our contexts declare. */
export type DfcPrefix = 'dfc' | 'dfc-b' | 'dfc-t' | 'dfc-m' | 'dfc-pt' | 'dfc-f' | 'dfc-v';

/** A generation of DFC namespaces. */
export type DfcGeneration = 'legacy' | '1.x' | '2.0';

const GH_ONTOLOGY = 'https://github.com/datafoodconsortium/ontology/releases/latest/download/';
const GH_TAXONOMIES = 'https://github.com/datafoodconsortium/taxonomies/releases/latest/download/';
const STATIC = 'http://static.datafoodconsortium.org/';
const W3ID = 'http://w3id.org/dfc/';

/** Namespace IRI of every DFC prefix, per generation. */
export const DFC_NAMESPACES: Readonly<Record<DfcGeneration, Readonly<Record<DfcPrefix, string>>>> = {
  '1.x': {
    dfc: `${GH_ONTOLOGY}DFC_FullModel.owl#`,
    'dfc-b': `${GH_ONTOLOGY}DFC_BusinessOntology.owl#`,
    'dfc-t': `${GH_ONTOLOGY}DFC_TechnicalOntology.owl#`,
    'dfc-m': `${GH_TAXONOMIES}measures.rdf#`,
    'dfc-pt': `${GH_TAXONOMIES}productTypes.rdf#`,
    'dfc-f': `${GH_TAXONOMIES}facets.rdf#`,
    'dfc-v': `${GH_TAXONOMIES}vocabulary.rdf#`,
  },
  '2.0': {
    dfc: `${W3ID}ontology/DFC_FullModel.owl#`,
    'dfc-b': `${W3ID}ontology/v2.0.0/src/DFC_BusinessOntology.owl#`,
    'dfc-t': `${W3ID}ontology/v2.0.0/src/DFC_TechnicalOntology.owl#`,
    'dfc-m': `${W3ID}taxonomies/v2.0.0/measures.rdf#`,
    'dfc-pt': `${W3ID}taxonomies/v2.0.0/productTypes.rdf#`,
    'dfc-f': `${W3ID}taxonomies/v2.0.0/facets.rdf#`,
    'dfc-v': `${W3ID}taxonomies/v2.0.0/vocabulary.rdf#`,
  },
  legacy: {
    dfc: `${STATIC}ontologies/DFC_FullModel.owl#`,
    'dfc-b': `${STATIC}ontologies/DFC_BusinessOntology.owl#`,
    'dfc-t': `${STATIC}ontologies/DFC_TechnicalOntology.owl#`,
    'dfc-m': `${STATIC}data/measures.rdf#`,
    'dfc-pt': `${STATIC}data/productTypes.rdf#`,
    'dfc-f': `${STATIC}data/facets.rdf#`,
    'dfc-v': `${STATIC}data/vocabulary.rdf#`,
  },
};

/** The namespaces the node stores and compares IRIs in. */
export const CANONICAL_NAMESPACES = DFC_NAMESPACES['1.x'];

/** Non-DFC prefixes that every DFC context declares. */
export const COMMON_PREFIXES = {
  rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
  skos: 'http://www.w3.org/2004/02/skos/core#',
  // The stray '#' is in every official DFC context; we keep it so our contexts expand `dc:` terms identically.
  dc: 'http://purl.org/dc/elements/1.1/#',
  ontosec: 'http://www.semanticweb.org/ontologies/2008/11/OntologySecurity.owl#',
} as const;

/** Standard namespaces the node uses outside DFC contexts. */
export const NS = {
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  owl: 'http://www.w3.org/2002/07/owl#',
  skos: 'http://www.w3.org/2004/02/skos/core#',
  ldp: 'http://www.w3.org/ns/ldp#',
  hydra: 'http://www.w3.org/ns/hydra/core#',
  dcterms: 'http://purl.org/dc/terms/',
} as const;

/**
 * Rewrites an IRI in any DFC namespace generation to the canonical (1.x) namespace.
 *
 * @param value - any IRI
 * @returns the canonical IRI, or `value` itself when it is in no DFC namespace
 */
export function canonicalDfcIri(value: string): string {
  // Fast exit: nearly every IRI on the wire is already canonical or not DFC at all.
  if (!value.includes('datafoodconsortium.org/') && !value.includes('w3id.org/dfc/')) return value;
  for (const generation of ['2.0', 'legacy'] as const) {
    const namespaces = DFC_NAMESPACES[generation];
    for (const prefix of Object.keys(namespaces) as DfcPrefix[]) {
      const ns = namespaces[prefix];
      if (value.startsWith(ns)) return CANONICAL_NAMESPACES[prefix] + value.slice(ns.length);
      // w3id answers on https too, and peers write both.
      if (generation === '2.0') {
        const https = `https${ns.slice(4)}`;
        if (value.startsWith(https)) return CANONICAL_NAMESPACES[prefix] + value.slice(https.length);
      }
    }
  }
  return value;
}

/**
 * Rewrites a canonical IRI into the namespaces of another generation (for DFC 2.0 output).
 *
 * @param value - a canonical IRI
 * @param generation - the target generation
 */
export function dfcIriIn(value: string, generation: DfcGeneration): string {
  if (generation === '1.x') return value;
  for (const prefix of Object.keys(CANONICAL_NAMESPACES) as DfcPrefix[]) {
    const ns = CANONICAL_NAMESPACES[prefix];
    if (value.startsWith(ns)) return DFC_NAMESPACES[generation][prefix] + value.slice(ns.length);
  }
  return value;
}
