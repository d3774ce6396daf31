/**
 * The merge of one peer's snapshot into what we hold from that peer: a pure function from (what we had, what
 * the peer sent) to a plan of writes. No I/O, no clock: the engine passes `now` and applies the plan in one
 * transaction.
 *
 * Rules (see the README's federation section):
 * - every peer's data is kept apart, in its own provenance graph;
 * - a peer is authoritative for `@id`s under its own origin and a relay for any other origin: relayed
 *   resources are kept, flagged, and never win over the origin or over our own node;
 * - a peer can never change our own resources: such records are refused;
 * - a resource absent from a complete snapshot is marked missing, then withdrawn after a grace period;
 *   it is never deleted silently, and it comes back if the peer lists it again;
 * - a resource that did not change costs no write.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import type { DfcRecord } from '../../ontology/records.js';
import { problem, type Problem } from '../errors/problem.js';
import type { HeldResource, MergePlan, PlannedResource } from '../store/federation.js';

/** One fetched page of a snapshot: its records, or a 304 (unchanged since last time). */
export type SnapshotPage =
  | { readonly url: string; readonly status: 200; readonly records: readonly DfcRecord[] }
  | { readonly url: string; readonly status: 304 };

/** Everything the merge needs. */
export interface MergeInput {
  /** The peer's origin (`https://shop.example`): it is authoritative for `@id`s there. */
  readonly peerOrigin: string;
  /** Our own public base URL: nothing under it may be written by a peer. */
  readonly ownBase: string;
  readonly held: ReadonlyMap<string, HeldResource>;
  readonly pages: readonly SnapshotPage[];
  /** Whether every page of the snapshot was fetched (only then can absence mean withdrawal). */
  readonly complete: boolean;
  readonly now: string;
  /** How long a resource may be missing before it is flagged withdrawn. */
  readonly graceMs: number;
}

/** The hash that decides whether a resource changed. */
export function recordHash(record: DfcRecord): string {
  return jsonHash(JSON.stringify(record));
}

/** The hash of a record already serialised (the plan keeps the text, so a record is serialised once). */
function jsonHash(json: string): string {
  return createHash('sha1').update(json).digest('base64url');
}

function originOf(iri: string): string | undefined {
  try {
    return new URL(iri).origin;
  } catch {
    return undefined;
  }
}

/** Plans the merge of a snapshot. */
export function planMerge(input: MergeInput): MergePlan {
  const ownBase = input.ownBase.replace(/\/+$/u, '');
  const upsert: PlannedResource[] = [];
  const refused: Problem[] = [];
  const seen = new Set<string>();
  let added = 0;
  let updated = 0;
  let unchanged = 0;
  for (const page of input.pages) {
    if (page.status === 304) {
      // Unchanged page: what it listed last time is still listed; what it no longer listed stays missing.
      for (const held of input.held.values()) {
        if (held.sourceUrl === page.url && held.missingSince === null && held.withdrawnAt === null) seen.add(held.iri);
      }
      continue;
    }
    for (const record of page.records) {
      if (record.id.startsWith('_:')) {
        refused.push(problem('no-iri', record.id, `dfc-b:${record.kind}`, '@id', 'a resource without an IRI cannot be kept in sync; it was skipped', 'warning'));
        continue;
      }
      if (record.id === ownBase || record.id.startsWith(`${ownBase}/`)) {
        refused.push(problem('foreign-resource', record.id, `dfc-b:${record.kind}`, '@id', 'a peer cannot change a resource of this node; refused'));
        continue;
      }
      if (seen.has(record.id)) continue; // the same resource on two pages: the first one wins
      seen.add(record.id);
      const json = JSON.stringify(record);
      const hash = jsonHash(json);
      const held = input.held.get(record.id);
      if (held !== undefined && held.hash === hash && held.sourceUrl === page.url) {
        unchanged++;
        continue;
      }
      if (held === undefined) added++;
      else if (held.hash === hash) unchanged++;
      else updated++;
      upsert.push({
        iri: record.id, kind: record.kind, record, json, hash, authoritative: originOf(record.id) === input.peerOrigin, sourceUrl: page.url,
      });
    }
  }
  const missing: string[] = [];
  const withdrawn: string[] = [];
  const restored: string[] = [];
  const now = Date.parse(input.now);
  for (const held of input.held.values()) {
    if (seen.has(held.iri)) {
      if (held.missingSince !== null || held.withdrawnAt !== null) restored.push(held.iri);
      continue;
    }
    if (!input.complete) continue;
    if (held.missingSince === null) missing.push(held.iri);
    if (held.withdrawnAt === null && now - Date.parse(held.missingSince ?? input.now) >= input.graceMs) withdrawn.push(held.iri);
  }
  return { upsert, added, updated, unchanged, missing, withdrawn, restored, refused };
}
