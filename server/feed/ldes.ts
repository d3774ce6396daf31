/**
 * The change feed as a W3C TREE / Linked Data Event Stream.
 *
 * The stream (`/api/dfc/feed`, or an enterprise's `/api/dfc/enterprises/{eid}/feed`) describes itself and
 * points to its first fragment. A fragment (`?after=N`) holds the next versions after sequence `N`; a full one
 * never changes again and links to the next with a `tree:GreaterThanOrEqualToRelation` on the timestamp.
 * A member is a version of a resource with its own IRI (`/api/dfc/feed/versions/{seq}`): the resource's
 * DFC properties, `dcterms:isVersionOf` the resource and `dcterms:modified`. A withdrawal is a version typed
 * `as:Delete`.
 *
 * @packageDocumentation
 */
import { CONTEXT_1_16 } from '../../ontology/contexts.js';
import type { Iri, NodeId } from '../../ontology/iri.js';
import { NS } from '../../ontology/namespaces.js';
import type { DfcRecord, ExtraValue } from '../../ontology/records.js';
import type { FeedEvent } from '../store/feed.js';

/** Vocabularies of the feed. */
export const LDES = 'https://w3id.org/ldes#';
export const TREE = 'https://w3id.org/tree#';
export const AS = 'https://www.w3.org/ns/activitystreams#';
export const MAILLON = 'https://maillon.example/ns#';
const IS_VERSION_OF = `${NS.dcterms}isVersionOf`;
const MODIFIED = `${NS.dcterms}modified`;
const DATE_TIME = `${NS.xsd}dateTime`;

/** The inline context of feed documents: DFC 1.16 plus the stream vocabularies (no remote context to fetch). */
export const FEED_CONTEXT = Object.freeze({
  ...CONTEXT_1_16,
  ldes: LDES,
  tree: TREE,
  dcterms: NS.dcterms,
  as: AS,
  maillon: MAILLON,
  xsd: NS.xsd,
  'tree:view': { '@type': '@id' },
  'tree:member': { '@type': '@id' },
  'tree:node': { '@type': '@id' },
  'tree:path': { '@type': '@id' },
  'ldes:versionOfPath': { '@type': '@id' },
  'ldes:timestampPath': { '@type': '@id' },
  'dcterms:isVersionOf': { '@type': '@id' },
});

/** The IRI of one version. */
export function versionIri(api: string, seq: number): string {
  return `${api}/feed/versions/${seq}`;
}

/** The sequence number of a version IRI of ours, or undefined. */
export function sequenceOf(iri: string): number | undefined {
  const match = /\/feed\/versions\/(\d+)$/u.exec(iri);
  return match === null ? undefined : Number(match[1]);
}

/**
 * A version as a record: the resource's record under the version IRI, with `isVersionOf` and `modified`
 * (a withdrawal: a bare `as:Delete` version).
 */
export function versionRecord(api: string, event: FeedEvent): DfcRecord {
  const stamp: Record<string, ExtraValue[]> = {
    [IS_VERSION_OF]: [{ '@id': event.iri }],
    [MODIFIED]: [{ '@value': event.at, '@type': DATE_TIME }],
  };
  const id = versionIri(api, event.seq) as Iri;
  if (event.record === null) return { kind: 'Resource', id, types: [`${AS}Delete`], extra: stamp };
  return { ...event.record, id: id as NodeId, extra: { ...event.record.extra, ...stamp } } as DfcRecord;
}

/** A member read back from a feed page: the resource's record (its own `@id` again) or a deletion. */
export type FeedMember =
  | { readonly kind: 'version'; readonly seq: number | undefined; readonly iri: string; readonly record: DfcRecord; readonly at: string | undefined }
  | { readonly kind: 'delete'; readonly seq: number | undefined; readonly iri: string; readonly at: string | undefined };

/** Turns decoded version records back into the resources they are versions of. */
export function membersOf(records: readonly DfcRecord[]): FeedMember[] {
  const members: FeedMember[] = [];
  for (const record of records) {
    const of = record.extra?.[IS_VERSION_OF]?.find((v) => '@id' in v);
    if (of === undefined || !('@id' in of)) continue;
    const modified = record.extra?.[MODIFIED]?.find((v) => '@value' in v);
    const at = modified !== undefined && '@value' in modified ? String(modified['@value']) : undefined;
    const seq = sequenceOf(record.id);
    if (record.kind === 'Resource' && record.types.includes(`${AS}Delete`)) {
      members.push({ kind: 'delete', seq, iri: of['@id'], at });
      continue;
    }
    const { [IS_VERSION_OF]: _of, [MODIFIED]: _modified, ...rest } = record.extra ?? {};
    const restored = { ...record, id: of['@id'] as NodeId } as DfcRecord & { extra?: unknown };
    if (Object.keys(rest).length > 0) (restored as { extra?: unknown }).extra = rest;
    else delete (restored as { extra?: unknown }).extra;
    members.push({ kind: 'version', seq, iri: of['@id'], record: restored as DfcRecord, at });
  }
  return members.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
}
