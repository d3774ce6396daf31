/**
 * The vocabularies of the change feed and of push notifications: W3C TREE, Linked Data Event Streams,
 * ActivityStreams, Dublin Core terms, and the few terms of our own, as typed IRI constants; and the inline
 * context feed documents carry (no client has to fetch a remote one).
 *
 * @packageDocumentation
 */
import { CONTEXT_1_16 } from './contexts.js';
import { iri } from './iri.js';
import { NS } from './namespaces.js';
import { createVocabulary } from './vocabulary.js';

/** Linked Data Event Streams. */
export const LDES = createVocabulary(
  iri('https://w3id.org/ldes#'),
  'EventStream', 'versionOfPath', 'timestampPath', 'retentionPolicy', 'LatestVersionSubset', 'amount',
);

/** W3C TREE (fragments of a collection). */
export const TREE = createVocabulary(
  iri('https://w3id.org/tree#'),
  'Node', 'view', 'member', 'relation', 'GreaterThanOrEqualToRelation', 'path', 'value', 'node',
);

/** ActivityStreams 2.0 (the verbs of notifications and withdrawals). */
export const AS = createVocabulary(
  iri('https://www.w3.org/ns/activitystreams#'),
  'Create', 'Update', 'Delete', 'object', 'actor', 'published',
);

/** Dublin Core terms used by feed versions. */
export const DCTERMS = createVocabulary(iri(NS.dcterms), 'isVersionOf', 'modified');

/**
 * Maillon's own terms: a feed's head sequence and identity, the spellings a resource was read in.
 *
 * The namespace is a placeholder until the project has a dereferenceable home for it.
 */
export const MAILLON = createVocabulary(iri('https://maillon.example/ns#'), 'head', 'stream', 'wireAliasOf');

/** The inline context of feed documents: DFC 1.16 plus the stream vocabularies. */
export const FEED_CONTEXT = Object.freeze({
  ...CONTEXT_1_16,
  ldes: LDES.namespace,
  tree: TREE.namespace,
  dcterms: NS.dcterms,
  as: AS.namespace,
  maillon: MAILLON.namespace,
  xsd: NS.xsd,
  'tree:view': { '@type': '@id' },
  'tree:member': { '@type': '@id' },
  'tree:node': { '@type': '@id' },
  'tree:path': { '@type': '@id' },
  'ldes:versionOfPath': { '@type': '@id' },
  'ldes:timestampPath': { '@type': '@id' },
  'dcterms:isVersionOf': { '@type': '@id' },
});
