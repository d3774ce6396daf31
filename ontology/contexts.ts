/**
 * The JSON-LD contexts the node speaks, and every context URL peers are known to send.
 *
 * Each official DFC context is a prefix table plus one `{"@type": "@id"}` entry per object property,
 * so we build ours from {@link ./terms.ts} and {@link ./namespaces.ts} instead of shipping a copy.
 *
 * @packageDocumentation
 */
import { COMMON_PREFIXES, DFC_NAMESPACES, NS, type DfcGeneration } from './namespaces.js';
import {
  DFC_B_OBJECT_PROPERTIES_1_16,
  DFC_B_OBJECT_PROPERTIES_ADDED_2_0,
  DFC_B_OBJECT_PROPERTIES_LEGACY,
  DFC_B_OBJECT_PROPERTIES_REMOVED_2_0,
  DFC_T_OBJECT_PROPERTIES,
} from './terms.js';

/** A JSON-LD context object as we build them: prefixes and `@id`-typed terms only. */
export type SimpleContext = Readonly<Record<string, string | Readonly<{ '@type': '@id' }>>>;

/** The context URL Open Food Network and our node put in DFC 1.16 documents. */
export const CONTEXT_1_16_URL = 'https://w3id.org/dfc/ontology/context/context_1.16.0.json';
/** The context URL the TypeScript connector writes (and preloads). */
export const CONTEXT_1_16_CONNECTOR_URL =
  'https://www.datafoodconsortium.org/wp-content/plugins/wordpress-context-jsonld/context_1.16.0.jsonld';
/** The context URL our node writes in DFC 2.0 documents. */
export const CONTEXT_2_0_URL = 'https://w3id.org/dfc/ontology/context/context_2.0.0.json';

/** Which of our contexts a known URL stands for. */
export type ContextVersion = '1.16' | '2.0' | 'legacy';

const ID = Object.freeze({ '@type': '@id' as const });

function buildContext(generation: DfcGeneration, dfcBTerms: readonly string[]): SimpleContext {
  const context: Record<string, string | { '@type': '@id' }> = {
    rdfs: COMMON_PREFIXES.rdfs,
    skos: COMMON_PREFIXES.skos,
    dfc: DFC_NAMESPACES[generation].dfc,
    dc: COMMON_PREFIXES.dc,
    'dfc-b': DFC_NAMESPACES[generation]['dfc-b'],
    'dfc-t': DFC_NAMESPACES[generation]['dfc-t'],
    'dfc-m': DFC_NAMESPACES[generation]['dfc-m'],
    'dfc-pt': DFC_NAMESPACES[generation]['dfc-pt'],
    'dfc-f': DFC_NAMESPACES[generation]['dfc-f'],
    'dfc-v': DFC_NAMESPACES[generation]['dfc-v'],
    ontosec: COMMON_PREFIXES.ontosec,
  };
  for (const term of [...dfcBTerms].sort()) context[`dfc-b:${term}`] = ID;
  for (const term of DFC_T_OBJECT_PROPERTIES) context[`dfc-t:${term}`] = ID;
  return Object.freeze(context);
}

/** Our DFC 1.16 context: term for term the official `context_1.16.0.json`. */
export const CONTEXT_1_16: SimpleContext = buildContext('1.x', DFC_B_OBJECT_PROPERTIES_1_16);

/** Our DFC 2.0 context: term for term the official `context_2.0.0.json`. */
export const CONTEXT_2_0: SimpleContext = buildContext('2.0', [
  ...DFC_B_OBJECT_PROPERTIES_1_16.filter((t) => !(DFC_B_OBJECT_PROPERTIES_REMOVED_2_0 as readonly string[]).includes(t)),
  ...DFC_B_OBJECT_PROPERTIES_ADDED_2_0,
]);

/**
 * The context used to *read* documents that name a numbered 1.8.2–1.15.0 context: 1.16 plus the object
 * properties that older versions declared and later renamed. Every other difference between those files is
 * a term added later, which an older document cannot use, so one reading context serves them all.
 */
export const CONTEXT_1_X_READING: SimpleContext = buildContext('1.x', [
  ...DFC_B_OBJECT_PROPERTIES_1_16,
  ...DFC_B_OBJECT_PROPERTIES_LEGACY,
]);

/** The context of pre-1.8 documents (`static.datafoodconsortium.org` namespaces). */
export const CONTEXT_LEGACY: SimpleContext = buildContext('legacy', [
  ...DFC_B_OBJECT_PROPERTIES_1_16,
  ...DFC_B_OBJECT_PROPERTIES_LEGACY,
]);

/** Prefixes we add beside a DFC context for containers and paging (not part of any DFC context). */
export const CONTAINER_CONTEXT: SimpleContext = Object.freeze({
  ldp: NS.ldp,
  hydra: NS.hydra,
  'ldp:contains': ID,
  'hydra:view': ID,
  'hydra:first': ID,
  'hydra:next': ID,
  'hydra:previous': ID,
  'hydra:last': ID,
});

const NUMBERED_1X = ['1.8.2', '1.9.0', '1.10.0', '1.11.0', '1.11.1', '1.12.0', '1.13.0', '1.14.0', '1.15.0'];

function numberedUrls(version: string): string[] {
  return [
    `https://w3id.org/dfc/ontology/context/context_${version}.json`,
    `https://www.datafoodconsortium.org/wp-content/plugins/wordpress-context-jsonld/context_${version}.jsonld`,
    `https://raw.githubusercontent.com/datafoodconsortium/ontology/master/context/context_${version}.json`,
    `https://cdn.jsdelivr.net/gh/datafoodconsortium/ontology/context/context_${version}.json`,
  ];
}

function knownContexts(): ReadonlyMap<string, SimpleContext> {
  const known = new Map<string, SimpleContext>();
  for (const url of numberedUrls('1.16.0')) known.set(url, CONTEXT_1_16);
  known.set('https://www.datafoodconsortium.org/wp-content/plugins/wordpress-context-jsonld/context.jsonld', CONTEXT_1_16);
  // The WordPress home page links to a context through an HTTP header; the TypeScript connector up to
  // alpha.10 and Open Food Network's v1 output have always meant 1.16 by it.
  known.set('https://www.datafoodconsortium.org', CONTEXT_1_16);
  known.set('https://www.datafoodconsortium.org/', CONTEXT_1_16);
  for (const version of NUMBERED_1X) for (const url of numberedUrls(version)) known.set(url, CONTEXT_1_X_READING);
  known.set('http://static.datafoodconsortium.org/ontologies/context.json', CONTEXT_LEGACY);
  known.set('http://www.datafoodconsortium.org/ontologies/context.json', CONTEXT_LEGACY);
  for (const url of numberedUrls('2.0.0')) known.set(url, CONTEXT_2_0);
  known.set('https://w3id.org/dfc/ontology/v2.0.0/context/context_2.0.0.json', CONTEXT_2_0);
  return known;
}

/** Every context URL the node resolves locally, mapped to the context it stands for. */
export const KNOWN_CONTEXTS: ReadonlyMap<string, SimpleContext> = knownContexts();

/**
 * Looks up a context URL, tolerating `http`/`https` and a trailing `#`.
 *
 * @param url - the `@context` value found in a document
 * @returns our local context, or undefined when the URL is not a known DFC context
 */
export function resolveKnownContext(url: string): SimpleContext | undefined {
  const trimmed = url.endsWith('#') ? url.slice(0, -1) : url;
  return (
    KNOWN_CONTEXTS.get(trimmed) ??
    KNOWN_CONTEXTS.get(trimmed.replace(/^http:/u, 'https:')) ??
    KNOWN_CONTEXTS.get(trimmed.replace(/^https:/u, 'http:'))
  );
}

/**
 * The DFC generation of a context (which namespace set its prefixes expand to).
 *
 * @param context - one of our contexts
 */
export function contextVersion(context: SimpleContext): ContextVersion {
  if (context === CONTEXT_2_0) return '2.0';
  if (context === CONTEXT_LEGACY) return 'legacy';
  return '1.16';
}
