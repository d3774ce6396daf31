/**
 * Namespace IRIs of the DFC vocabulary, per generation, and the standard vocabularies we use beside it.
 *
 * DFC moved its namespaces twice: from `static.datafoodconsortium.org` (before 1.8) to GitHub release
 * downloads (1.8 to 1.16), then to `w3id.org/.../v2.0.0` (2.0). Peers speak all three. Internally the node
 * keeps one canonical set, the 1.16 one, because that is what Open Food Network reads and writes today; the `dfc-b:`
 * terms that only DFC 2.0 defines keep their 2.0 IRI (a 1.x IRI would name a term of no ontology).
 *
 * @packageDocumentation
 */
import {
  DFC_B_CLASSES_ADDED_2_0, DFC_B_OBJECT_PROPERTIES_ADDED_2_0, DFC_B_OBJECT_PROPERTIES_REMOVED_2_0,
} from './terms.js';

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

/** The business ontology namespace of each generation (2.0 on http, as its context declares it). */
const DFC_B_1_X = DFC_NAMESPACES['1.x']['dfc-b'];
const DFC_B_2_0 = DFC_NAMESPACES['2.0']['dfc-b'];

/**
 * `dfc-b:` local names that only DFC 2.0 defines (its classes and object properties added to 1.16). No DFC 1.x
 * namespace has them: the node keeps them under their 2.0 IRI, wherever they were read from.
 */
const DFC_B_ONLY_2_0: ReadonlySet<string> = new Set<string>([...DFC_B_CLASSES_ADDED_2_0, ...DFC_B_OBJECT_PROPERTIES_ADDED_2_0]);

/** `dfc-b:` local names of 1.16 that DFC 2.0 no longer defines: kept under their 1.x IRI in 2.0 output. */
const DFC_B_ONLY_1_X: ReadonlySet<string> = new Set<string>(DFC_B_OBJECT_PROPERTIES_REMOVED_2_0);

/**
 * Whether `local`, a `dfc-b:` local name, is a term only DFC 2.0 defines (`ProductOption`, `hasProductOption`,
 * `Organization`…): its IRI is the 2.0 one, in every output.
 *
 * @param local - the part of an IRI after a DFC business namespace
 */
export function isDfc2OnlyTerm(local: string): boolean {
  return DFC_B_ONLY_2_0.has(local);
}

/**
 * The 2.0-only local names by their length: a 1.x business IRI is asked about by its length first, which rules out
 * nearly every IRI (a resource id, `dfc-b:name`) without cutting or hashing it (this runs per triple read).
 */
const DFC_B_ONLY_2_0_BY_LENGTH: readonly (readonly string[] | undefined)[] = (() => {
  const byLength: string[][] = [];
  for (const local of DFC_B_ONLY_2_0) (byLength[local.length] ??= []).push(local);
  return byLength;
})();

/**
 * Whether `value` is a term only DFC 2.0 defines under the 1.x business namespace (`…/DFC_BusinessOntology.owl#ProductOption`
 * on GitHub): an IRI of no ontology, whose canonical form is the 2.0 one. As `isDfc2OnlyTerm` of the local name of a
 * 1.x business IRI, without a string made or hashed.
 *
 * @param value - any IRI
 */
export function isDfc2OnlyTermIn1x(value: string): boolean {
  const local = value.length - DFC_B_1_X.length;
  const candidates = local > 0 ? DFC_B_ONLY_2_0_BY_LENGTH[local] : undefined;
  if (candidates === undefined) return false;
  for (let i = 0; i < candidates.length; i++) {
    if (value.endsWith(candidates[i] as string)) return value.startsWith(DFC_B_1_X);
  }
  return false;
}

/**
 * The canonical form of a business ontology IRI whose local name is `local` (the namespace it was written in is
 * irrelevant: a 1.x-namespaced `dfc-b:ProductOption` is the 2.0 class all the same).
 */
function canonicalBusinessIri(local: string): string {
  return (DFC_B_ONLY_2_0.has(local) ? DFC_B_2_0 : DFC_B_1_X) + local;
}

/**
 * Rewrites an IRI in any DFC namespace generation to its canonical form: the 1.x namespace, except for the
 * `dfc-b:` terms that only DFC 2.0 defines ({@link isDfc2OnlyTerm}), kept in the 2.0 one. Every term so keeps the
 * IRI of an ontology that defines it.
 *
 * @param value - any IRI
 * @returns the canonical IRI, or `value` itself when it is in no DFC namespace or canonical already
 */
export function canonicalDfcIri(value: string): string {
  // A 1.x IRI is canonical unless it names a 2.0-only term.
  if (isDfc2OnlyTermIn1x(value)) return DFC_B_2_0 + value.slice(DFC_B_1_X.length);
  // Fast exit: nearly every IRI on the wire is canonical already or not DFC at all.
  if (!value.includes('datafoodconsortium.org/') && !value.includes('w3id.org/dfc/')) return value;
  for (const generation of ['2.0', 'legacy'] as const) {
    const namespaces = DFC_NAMESPACES[generation];
    for (const prefix of Object.keys(namespaces) as DfcPrefix[]) {
      const ns = namespaces[prefix];
      let local: string | undefined;
      if (value.startsWith(ns)) local = value.slice(ns.length);
      // w3id answers on https too, and peers write both.
      else if (generation === '2.0' && value.startsWith(`https${ns.slice(4)}`)) local = value.slice(ns.length + 1);
      if (local !== undefined) return prefix === 'dfc-b' ? canonicalBusinessIri(local) : CANONICAL_NAMESPACES[prefix] + local;
    }
  }
  return value;
}

/**
 * Rewrites a canonical IRI into the namespaces of a generation, for its output: a term that generation does not
 * define keeps the IRI of the one that does (a 2.0-only term its 2.0 IRI in 1.16 output, `dfc-b:hasProcess` its 1.x
 * IRI in 2.0 output).
 *
 * A 2.0-only term still under the 1.x namespace (a record stored before such terms were kept under their 2.0 IRI)
 * is written under its 2.0 IRI too: what the node writes never depends on when it read it.
 *
 * @param value - a canonical IRI
 * @param generation - the target generation
 */
export function dfcIriIn(value: string, generation: DfcGeneration): string {
  if (generation === '1.x') return isDfc2OnlyTermIn1x(value) ? DFC_B_2_0 + value.slice(DFC_B_1_X.length) : value;
  for (const prefix of Object.keys(CANONICAL_NAMESPACES) as DfcPrefix[]) {
    const ns = CANONICAL_NAMESPACES[prefix];
    if (!value.startsWith(ns)) continue;
    const local = value.slice(ns.length);
    if (prefix === 'dfc-b') {
      if (DFC_B_ONLY_2_0.has(local)) return DFC_B_2_0 + local;
      if (generation === '2.0' && DFC_B_ONLY_1_X.has(local)) return value;
    }
    return DFC_NAMESPACES[generation][prefix] + local;
  }
  return value;
}
