/**
 * Incremental sync: the versions a peer published in its change feed (an LDES) after our cursor, applied as
 * a partial merge. Whenever the cursor is no good (the feed was reset, compacted past it, or is not one we
 * can follow), the answer is `resync`: a full snapshot follows, never missing data.
 *
 * @packageDocumentation
 */
import type { DfcRecord } from '../../ontology/records.js';
import { MAILLON } from '../../ontology/streams.js';
import { membersOf, sequenceOf } from '../codec/ldes.js';
import type { PeerRow } from '../store/federation.js';
import { misattributions } from './attribution.js';
import { planMerge } from './merge.js';
import { FRESH_LIMIT, Quarantine } from './staged-snapshot.js';
import { decoderInput, pageMediaType } from './peer-fetch.js';
import {
  credentials, decodePage, kept, MAX_PAGES, overBudget, pastDeadline, SNAPSHOT_BUDGET, tellApplied, type PeerSyncOutcome, type SyncParts, type SyncRun,
} from './sync-context.js';

/** Feed pages in Turtle: the JSON-LD ones carry a whole inline context, several kilobytes per page. */
const FEED_ACCEPT = 'text/turtle, application/ld+json;q=0.5';

/** Where a peer's feed stands: its newest sequence, and the feed's identity. */
export interface FeedHead {
  readonly head: number;
  readonly stream: string | null;
}

/**
 * The newest sequence of a peer's feed and the feed's identity (its root says them), or undefined.
 *
 * @param parts - the sync's parts
 * @param peer - the peer
 * @param feedUrl - the peer's feed
 */
export async function feedHead(parts: SyncParts, peer: PeerRow, feedUrl: string): Promise<FeedHead | undefined> {
  const root = await parts.fetch({ url: feedUrl, accept: FEED_ACCEPT, ...credentials(peer) });
  if (!root.ok || root.page.status !== 200) return undefined;
  const decoding = await decodePage(parts.decoder, decoderInput(root.page), { base: feedUrl, mediaType: pageMediaType(root.page) }, feedUrl);
  // A feed root the decoder cannot read is no feed we can follow: a snapshot is taken instead.
  if (!decoding.ok) return undefined;
  for (const record of decoding.decoded.records) {
    const head = record.extra?.[MAILLON.head]?.find((v) => '@value' in v);
    const stream = record.extra?.[MAILLON.stream]?.find((v) => '@value' in v);
    if (head !== undefined && '@value' in head && typeof head['@value'] === 'number') {
      return { head: head['@value'], stream: stream !== undefined && '@value' in stream ? String(stream['@value']) : null };
    }
  }
  return undefined;
}

/**
 * An incremental sync that gave way to a snapshot (the cursor no good, the feed too long, or what it would keep too
 * much): the feed pages it read meanwhile, which the sync's summary counts besides the snapshot's.
 */
export interface Resync {
  readonly resync: true;
  readonly pages: number;
  readonly bytes: number;
  readonly wireBytes: number;
}

/**
 * Most resources whose newest version (or deletion) one incremental sync keeps in memory until it applies them, as a
 * snapshot keeps at most so many rows (`FRESH_LIMIT`): more changes than that are read by a snapshot, which stages them
 * in the store. The bytes read do not bound this memory (a version decoded takes several times its text), what is kept does.
 */
export const MAX_FEED_RESOURCES = FRESH_LIMIT;

/**
 * Applies the versions published after `cursor`, then moves the cursor. Returns a {@link Resync} when the cursor
 * is no good, or the changes are more than one incremental sync keeps ({@link MAX_FEED_RESOURCES}, or as many
 * characters of versions as one response may have bytes).
 *
 * @param parts - the sync's parts
 * @param run - the peer and the run
 * @param feedUrl - the peer's feed
 * @param cursor - the last sequence applied
 * @param stream - the identity of the feed the cursor is in
 */
export async function incrementalSync(
  parts: SyncParts, run: SyncRun, feedUrl: string, cursor: number, stream: string | null,
): Promise<PeerSyncOutcome | Resync> {
  const { provenance } = parts;
  const { peer, started, startedAt, onProgress } = run;
  const root = await feedHead(parts, peer, feedUrl);
  // A feed that went backwards, or another feed altogether (the peer's database was made anew): start over.
  if (root === undefined || root.head < cursor || root.stream !== stream) return { resync: true, pages: 0, bytes: 0, wireBytes: 0 };
  const versions = new Map<string, DfcRecord>();
  /** The size of each version kept in {@link versions} (its JSON's length: what it holds, roughly), and their sum. */
  const sizeOf = new Map<string, number>();
  let keptSize = 0;
  const keep = (iri: string, record: DfcRecord | undefined): void => {
    keptSize -= sizeOf.get(iri) ?? 0;
    sizeOf.delete(iri);
    if (record === undefined) {
      versions.delete(iri);
      return;
    }
    versions.set(iri, record);
    const size = JSON.stringify(record).length;
    sizeOf.set(iri, size);
    keptSize += size;
  };
  /** The sequence of the version kept of each resource in {@link versions}. */
  const seqOf = new Map<string, number>();
  /** The newest refused version of each resource quarantined. */
  const refusedSeqOf = new Map<string, number>();
  const deleted = new Set<string>();
  const quarantine = new Quarantine();
  let after = cursor;
  let bytes = 0;
  let wireBytes = 0;
  let pages = 0;
  const resync = (): Resync => ({ resync: true, pages, bytes, wireBytes });
  for (;;) {
    if (pages >= MAX_PAGES) return resync();
    const url = `${feedUrl}?after=${after}`;
    const fetched = await parts.fetch({ url, accept: FEED_ACCEPT, ...credentials(peer) });
    if (!fetched.ok) {
      if (fetched.failure.kind === 'http-status' && (fetched.failure.status === 404 || fetched.failure.status === 410)) return resync();
      return { ok: false, peer, failure: fetched.failure };
    }
    pages++;
    bytes += fetched.page.bytes;
    wireBytes += fetched.page.wireBytes ?? fetched.page.bytes;
    if (bytes > parts.policy.maxBytes * SNAPSHOT_BUDGET) return resync();
    const decoding = await decodePage(parts.decoder, decoderInput(fetched.page), { base: url, mediaType: pageMediaType(fetched.page) }, url);
    if (!decoding.ok) return { ok: false, peer, failure: decoding.failure };
    const { decoded } = decoding;
    if (decoded.problems.some((p) => p.id === null && p.severity === 'error')) return resync();
    // A refused version is quarantined under its resource, as a snapshot's copy would be: a later valid version lets
    // it out, and the versions of one resource take one entry.
    for (const rejected of decoded.rejected) {
      const iri = rejected.versionOf ?? rejected.id;
      quarantine.set(iri, { iri, type: rejected.type, problems: [...rejected.problems] });
    }
    const members = membersOf(decoded.records);
    onProgress?.({ pages, queued: 0, bytes });
    // A fragment without versions is the end of the feed. One whose versions this node refused (quarantined above)
    // is not: the cursor moves past them as past those it keeps, or every later sync would stop at them and never
    // read the versions after them.
    const refused = decoded.rejected.flatMap((r) => {
      const seq = sequenceOf(r.id);
      return seq === undefined ? [] : [{ seq, of: r.versionOf }];
    });
    if (members.length === 0 && refused.length === 0) break;
    const from = after;
    let reached = after;
    for (const member of members) {
      // A version at or before the cursor was read already (a fragment answers those after it): read again, an older
      // version would take the place of a newer one.
      if (member.seq !== undefined && member.seq <= from) continue;
      if (member.kind === 'delete') {
        keep(member.iri, undefined);
        deleted.add(member.iri);
      } else {
        deleted.delete(member.iri);
        keep(member.iri, member.record);
      }
      if (member.seq !== undefined) seqOf.set(member.iri, member.seq);
      reached = Math.max(reached, member.seq ?? reached);
    }
    for (const { seq, of } of refused) {
      reached = Math.max(reached, seq);
      // A refused version newer than the one kept of its resource: the peer's resource is the refused one now, and
      // the older one is not applied as if it were current (a snapshot would not hold it either).
      if (of !== undefined && seq > from && (seqOf.get(of) ?? -1) < seq) {
        keep(of, undefined);
        seqOf.delete(of);
      }
      if (of !== undefined) refusedSeqOf.set(of, Math.max(refusedSeqOf.get(of) ?? seq, seq));
    }
    // A fragment that does not take the cursor further (versions without sequence numbers, or only versions read
    // already) is not a feed we can follow: asked again, it would answer the same. A snapshot is taken instead.
    if (reached === from) return resync();
    // More changes than one incremental sync keeps until it applies them: a snapshot reads them, staging them in the store.
    if (versions.size + deleted.size > MAX_FEED_RESOURCES || keptSize > parts.policy.maxBytes) return resync();
    after = reached;
  }
  if (pastDeadline(run)) return { ok: false, peer, failure: overBudget(run, feedUrl) };
  // Only what the versions touch: a few rows, not the peer's whole graph.
  const held = await provenance.heldOf(peer.id, [...versions.keys(), ...deleted]);
  const plan = planMerge({
    peerOrigin: peer.origin, ownBase: parts.ownBase, held, complete: false, now: startedAt.toISOString(), graceMs: parts.graceMs,
    pages: [{ url: feedUrl, status: 200, records: kept([...versions.values()]) }],
  });
  // A version keeps the page it belongs to in the snapshot, so a later snapshot's 304 still counts it seen.
  const upsert = plan.upsert.map((r) => ({ ...r, sourceUrl: held.get(r.iri)?.sourceUrl ?? peer.url }));
  const withdrawn = [...deleted].filter((iri) => held.has(iri) && held.get(iri)?.withdrawnAt === null);
  const changes = { ...plan, upsert, withdrawn, missing: [], restored: plan.restored };
  // A resource whose refused version a newer valid one followed is kept, not quarantined.
  const quarantined = [...quarantine.values()].filter((q) => (seqOf.get(q.iri) ?? -1) < (refusedSeqOf.get(q.iri) ?? Infinity));
  if (upsert.length + withdrawn.length + quarantined.length > 0) {
    await provenance.applySnapshot(peer.id, { plan: changes, sources: new Map(), quarantine: quarantined, replaceQuarantine: false, now: startedAt.toISOString() });
    await tellApplied(parts, peer.id, upsert, withdrawn);
  }
  // Not over a change of credentials made meanwhile: the next sync reads the peer whole with the new ones.
  await parts.feed.setPeerFeed(peer.id, { cursor: after }, run.credentials === undefined ? {} : { credentials: run.credentials });
  return {
    ok: true,
    peer,
    summary: {
      added: plan.added, updated: plan.updated, unchanged: plan.unchanged, withdrawn: withdrawn.length, quarantined: quarantine.size,
      refused: plan.refused.length + misattributions([...versions.values()]).length, pages, notModified: 0, bytes, wireBytes,
      ...(plan.ownSkipped > 0 ? { ownSkipped: plan.ownSkipped } : {}), ms: Date.now() - started,
    },
  };
}
