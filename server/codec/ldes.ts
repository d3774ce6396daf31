/**
 * The change feed's members on the wire: a version of a resource as a record, and back.
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
import type { Iri, NodeId } from '../../ontology/iri.js';
import type { DfcRecord, ExtraValue } from '../../ontology/records.js';
import { AS, DCTERMS } from '../../ontology/streams.js';
import { XSD } from '../../ontology/vocabulary.js';

/** One version of one resource, as the feed keeps it. */
export interface VersionEvent {
  readonly seq: number;
  readonly iri: string;
  readonly at: string;
  /** The resource after the change; null for a withdrawal. */
  readonly record: DfcRecord | null;
}

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
export function versionRecord(api: string, event: VersionEvent): DfcRecord {
  const stamp: Record<string, ExtraValue[]> = {
    [DCTERMS.isVersionOf]: [{ '@id': event.iri }],
    [DCTERMS.modified]: [{ '@value': event.at, '@type': XSD.dateTime }],
  };
  const id = versionIri(api, event.seq) as Iri;
  if (event.record === null) return { kind: 'Resource', id, types: [AS.Delete], extra: stamp };
  return { ...event.record, id: id as NodeId, extra: { ...event.record.extra, ...stamp } } as DfcRecord;
}

/** A member read back from a feed page: the resource's record (its own `@id` again) or a deletion. */
export type FeedMember =
  | { readonly kind: 'version'; readonly seq: number | undefined; readonly iri: string; readonly record: DfcRecord; readonly at: string | undefined }
  | { readonly kind: 'delete'; readonly seq: number | undefined; readonly iri: string; readonly at: string | undefined };

/** The resource a version record is a version of (its `dcterms:isVersionOf`), or undefined for any other record. */
export function versionOf(record: DfcRecord): string | undefined {
  const of = record.extra?.[DCTERMS.isVersionOf]?.find((v) => '@id' in v);
  return of !== undefined && '@id' in of ? of['@id'] : undefined;
}

/** Turns decoded version records back into the resources they are versions of. */
export function membersOf(records: readonly DfcRecord[]): FeedMember[] {
  const members: FeedMember[] = [];
  for (const record of records) {
    const of = versionOf(record);
    if (of === undefined) continue;
    const modified = record.extra?.[DCTERMS.modified]?.find((v) => '@value' in v);
    const at = modified !== undefined && '@value' in modified ? String(modified['@value']) : undefined;
    const seq = sequenceOf(record.id);
    if (record.kind === 'Resource' && record.types.includes(AS.Delete)) {
      members.push({ kind: 'delete', seq, iri: of, at });
      continue;
    }
    const { [DCTERMS.isVersionOf]: _of, [DCTERMS.modified]: _modified, ...rest } = record.extra ?? {};
    const restored = { ...record, id: of as NodeId } as DfcRecord & { extra?: unknown };
    if (Object.keys(rest).length > 0) (restored as { extra?: unknown }).extra = rest;
    else delete (restored as { extra?: unknown }).extra;
    members.push({ kind: 'version', seq, iri: of, record: restored as DfcRecord, at });
  }
  return members.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
}
