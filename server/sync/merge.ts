/**
 * The merge of one peer's snapshot into what we hold from that peer: a pure function from (what we had, what
 * the peer sent) to a plan of writes. No I/O, no clock: the engine passes `now` and applies the plan in one
 * transaction.
 *
 * Rules (see the README's federation section):
 * - every peer's data is kept apart, in its own provenance graph;
 * - a peer is authoritative for `@id`s under its own origin and a relay for any other origin: relayed
 *   resources are kept, flagged, and never win over the origin or over our own node;
 * - a peer can never change our own resources: such records are skipped (an aggregator relays them back), and counted;
 * - a resource absent from a complete snapshot is marked missing, then withdrawn after a grace period;
 *   it is never deleted silently, and it comes back if the peer lists it again;
 * - a resource that did not change costs no write.
 *
 * @packageDocumentation
 */
import { hash } from 'node:crypto';
import type { DfcRecord } from '../../ontology/records.js';
import { problem, type Problem } from '../errors/problem.js';
import { isOwnIri, mayBeOwnUnder } from '../urls/own-iris.js';
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
export function jsonHash(json: string): string {
  // One call, no Hash object per record: a big peer's snapshot hashes hundreds of thousands of them.
  return hash('sha1', json, 'base64url');
}

/** Whether an IRI is written under an origin: its text, then a `/`, `?` or `#` (where its authority ends). */
function isUnder(iri: string, origin: string): boolean {
  return iri.length > origin.length && iri.startsWith(origin) && '/?#'.includes(iri.charAt(origin.length));
}

function originOf(iri: string): string | undefined {
  try {
    return new URL(iri).origin;
  } catch {
    return undefined;
  }
}

/** Plans the merge of a snapshot, with how many of its records were this node's own (see {@link PagePlan.ownSkipped}). */
export function planMerge(input: MergeInput): MergePlan & { readonly ownSkipped: number } {
  const upsert: PlannedResource[] = [];
  const refused: Problem[] = [];
  let ownSkipped = 0;
  const seen = new Set<string>();
  let added = 0;
  let updated = 0;
  let unchanged = 0;
  for (const page of input.pages) {
    if (page.status === 304) {
      for (const iri of listedBefore(input.held.values(), page.url)) seen.add(iri);
      continue;
    }
    const planned = planPage({ peerOrigin: input.peerOrigin, ownBase: input.ownBase, held: input.held, seen: (iri) => seen.has(iri) }, page);
    // Loops, not `push(...list)`: one page may hold a hundred thousand resources, too many arguments for a call.
    for (const resource of planned.upsert) upsert.push(resource);
    for (const problem of planned.refused) refused.push(problem);
    ownSkipped += planned.ownSkipped;
    planned.seen.forEach((iri) => seen.add(iri));
    added += planned.added;
    updated += planned.updated;
    unchanged += planned.unchanged;
  }
  const absence = planAbsence({ held: input.held.values(), seen: (iri) => seen.has(iri), complete: input.complete, now: input.now, graceMs: input.graceMs });
  return { upsert, added, updated, unchanged, ...absence, refused, ownSkipped };
}

/** What {@link planPage} needs: the rules, what we hold of the page's resources, and what earlier pages listed. */
export interface PageMergeInput {
  readonly peerOrigin: string;
  readonly ownBase: string;
  /** What we hold from the peer: at least the resources the page lists (a snapshot of a big peer looks up one page's at a time). */
  readonly held: ReadonlyMap<string, HeldResource>;
  /** Whether an earlier page of the snapshot listed this resource already (the first page that lists it wins). */
  readonly seen: (iri: string) => boolean;
}

/** The merge of one page of a snapshot. */
export interface PagePlan {
  readonly upsert: readonly PlannedResource[];
  /** The resources this page listed first, changed or not (the upserts among them), in page order. */
  readonly seen: readonly string[];
  readonly added: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly refused: readonly Problem[];
  /**
   * Records of this node's own resources (under its base URL, however spelt), skipped: no peer changes them, and an
   * aggregator that federates this node's catalogue relays all of them back, which is no problem of the peer's to
   * quarantine (it would bury the real ones).
   */
  readonly ownSkipped: number;
}

/**
 * A page's records serialised already, each as `JSON.stringify` writes it and its {@link jsonHash}, in the records'
 * order: where a worker thread read the page, it did that work too (`page-workers.ts`).
 */
export interface Serialised {
  readonly json: readonly string[];
  readonly hash: readonly string[];
}

/**
 * Plans the merge of one fetched page, on its own: a snapshot of any size is merged page by page as the pages
 * arrive, and only a page's records are ever in memory. Which resources went missing is for {@link planAbsence},
 * once every page was listed.
 */
export function planPage(input: PageMergeInput, page: { readonly url: string; readonly records: readonly DfcRecord[]; readonly serialised?: Serialised }): PagePlan {
  const ownBase = input.ownBase.replace(/\/+$/u, '');
  // The peer's origin as a prefix that settles an IRI's origin without parsing it, when it is one as URL writes it.
  const fastOrigin = originOf(`${input.peerOrigin}/`) === input.peerOrigin ? input.peerOrigin : undefined;
  // Whether a record written under that prefix may be one of our own: asked once, not for each record.
  const ownUnderPeer = fastOrigin === undefined || mayBeOwnUnder(fastOrigin, ownBase);
  const upsert: PlannedResource[] = [];
  const refused: Problem[] = [];
  let ownSkipped = 0;
  const seen: string[] = [];
  const here = new Set<string>();
  let added = 0;
  let updated = 0;
  let unchanged = 0;
  const { records, serialised } = page;
  for (let r = 0; r < records.length; r++) {
    const record = records[r] as DfcRecord;
    if (record.id.startsWith('_:')) {
      refused.push(problem('no-iri', record.id, `dfc-b:${record.kind}`, '@id', 'a resource without an IRI cannot be kept in sync; it was skipped', 'warning'));
      continue;
    }
    const underPeer = fastOrigin !== undefined && isUnder(record.id, fastOrigin);
    if ((ownUnderPeer || !underPeer) && isOwnIri(record.id, ownBase)) {
      ownSkipped++;
      continue;
    }
    if (here.has(record.id) || input.seen(record.id)) continue; // the same resource on two pages: the first one wins
    here.add(record.id);
    seen.push(record.id);
    const json = serialised?.json[r] ?? JSON.stringify(record);
    const hash = serialised?.hash[r] ?? jsonHash(json);
    const held = input.held.get(record.id);
    if (held !== undefined && held.hash === hash && held.sourceUrl === page.url) {
      unchanged++;
      continue;
    }
    if (held === undefined) added++;
    else if (held.hash === hash) unchanged++;
    else updated++;
    upsert.push({
      iri: record.id, kind: record.kind, record, json, hash, authoritative: underPeer || originOf(record.id) === input.peerOrigin, sourceUrl: page.url,
    });
  }
  return { upsert, seen, added, updated, unchanged, refused, ownSkipped };
}

/**
 * What an unchanged page (a 304) lists: what it listed last time, save what it no longer listed then (that
 * stays missing).
 *
 * @param held - what we hold from the peer
 * @param url - the page
 */
export function listedBefore(held: Iterable<HeldResource>, url: string): string[] {
  const listed: string[] = [];
  for (const h of held) if (h.sourceUrl === url && isListed(h)) listed.push(h.iri);
  return listed;
}

/** Whether a held resource was listed by the last snapshot (neither missing nor withdrawn). */
export function isListed(held: Pick<HeldResource, 'missingSince' | 'withdrawnAt'>): boolean {
  return held.missingSince === null && held.withdrawnAt === null;
}

/** What {@link planAbsence} needs. */
export interface AbsenceInput {
  readonly held: Iterable<HeldResource>;
  /** Whether some page of the snapshot listed the resource. */
  readonly seen: (iri: string) => boolean;
  /** Whether every page of the snapshot was fetched (only then can absence mean withdrawal). */
  readonly complete: boolean;
  readonly now: string;
  readonly graceMs: number;
}

/**
 * The end of a snapshot's merge: what we hold that no page listed goes missing, and is withdrawn once missing
 * for longer than the grace; what is listed again after being missing or withdrawn is restored.
 */
export function planAbsence(input: AbsenceInput): Pick<MergePlan, 'missing' | 'withdrawn' | 'restored'> {
  const missing: string[] = [];
  const withdrawn: string[] = [];
  const restored: string[] = [];
  const now = Date.parse(input.now);
  for (const held of input.held) {
    if (input.seen(held.iri)) {
      if (!isListed(held)) restored.push(held.iri);
      continue;
    }
    if (!input.complete) continue;
    if (held.missingSince === null) missing.push(held.iri);
    if (held.withdrawnAt === null && now - Date.parse(held.missingSince ?? input.now) >= input.graceMs) withdrawn.push(held.iri);
  }
  return { missing, withdrawn, restored };
}

/**
 * The withdrawal rule of {@link planAbsence} as a store applies it in SQL, over a snapshot's resources it never
 * loads: a resource absent and not withdrawn yet is withdrawn when it went missing at `cutoff` or before
 * (timestamps as `toISOString` writes them compare as text), or, when it goes missing only now, if the grace is
 * none at all.
 *
 * @param now - the time of the snapshot (ISO 8601)
 * @param graceMs - the grace
 */
export function withdrawalCutoff(now: string, graceMs: number): { readonly cutoff: string; readonly immediately: boolean } {
  const at = Date.parse(now) - graceMs;
  // A grace past the representable dates withdraws nothing that went missing: no timestamp is at or before ''.
  return { cutoff: Number.isFinite(at) && Math.abs(at) <= 8.64e15 ? new Date(at).toISOString() : '', immediately: graceMs <= 0 };
}
