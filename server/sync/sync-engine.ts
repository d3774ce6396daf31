/**
 * One sync of one peer: discover what to fetch, fetch every page (conditionally), decode, plan the merge and
 * apply it in one transaction. A peer's failure is a value ({@link PeerSyncOutcome}), never an exception, and
 * it touches nothing: the previous snapshot stays as it was.
 *
 * @packageDocumentation
 */
import { withoutDerivedLinks } from '../../ontology/inverses.js';
import type { DfcRecord } from '../../ontology/records.js';
import type { Decoder } from '../codec/decode.js';
import type { Problem } from '../errors/problem.js';
import type { FederationStore, PeerRow, SourceValidators, SyncSummary } from '../store/federation.js';
import type { FeedStore } from '../store/feed.js';
import { membersOf } from '../codec/ldes.js';
import { MAILLON } from '../../ontology/streams.js';
import { planMerge, type SnapshotPage } from './merge.js';
import { DEFAULT_FETCH_POLICY, fetchPage, type FetchOutcome, type FetchPolicy, type PageRequest, type PeerFailure } from '../net/peer-client.js';

/** The outcome of one sync of one peer. */
export type PeerSyncOutcome =
  | { readonly ok: true; readonly peer: PeerRow; readonly summary: SyncSummary }
  | { readonly ok: false; readonly peer: PeerRow; readonly failure: PeerFailure };

/** Progress of one sync, for a progress bar. */
export interface SyncProgress {
  readonly pages: number;
  readonly queued: number;
  readonly bytes: number;
}

/** Options of {@link SyncEngine}. */
export interface SyncEngineArgs {
  readonly federation: FederationStore;
  /** Where each peer's feed and cursor are kept (incremental sync when the peer has a feed). */
  readonly feed: FeedStore;
  readonly decoder: Decoder;
  /** Our own public base URL: peers can never write under it. */
  readonly ownBase: string;
  readonly policy?: FetchPolicy;
  /** How long a resource may be absent from a peer's snapshot before it is flagged withdrawn. */
  readonly graceMs?: number;
  /** Delay before retrying a failed peer: `min(maxBackoffMs, baseBackoffMs * 2^(failures-1))`, with jitter. */
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** The fetcher (replaceable in tests). */
  readonly fetch?: (request: PageRequest, policy: FetchPolicy) => Promise<FetchOutcome>;
  readonly now?: () => Date;
  readonly random?: () => number;
}

/** Feed pages in Turtle: the JSON-LD ones carry a whole inline context, several kilobytes per page. */
const FEED_ACCEPT = 'text/turtle, application/ld+json;q=0.5';

/** A whole snapshot may be this many times the size limit of one response. */
const SNAPSHOT_BUDGET = 4;

/** Most pages one sync will fetch: a peer that pages forever fails instead of filling memory. */
const MAX_PAGES = 2000;

const ACCEPT = {
  'dfc-v1': 'application/ld+json, application/json;q=0.9, text/turtle;q=0.8',
  'dfc-v2': 'application/ld+json; profile="dfc-v2", application/ld+json;q=0.9, application/json;q=0.8, text/turtle;q=0.7',
} as const;

function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? 'application/ld+json').split(';')[0]?.trim().toLowerCase() ?? 'application/ld+json';
}

/** Whether a JSON body is JSON-LD: some top-level node has a keyword that makes it linked data. */
function looksLikeJsonLd(body: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return true; // malformed JSON: the decoder reports it precisely
  }
  const nodes = Array.isArray(parsed) ? parsed : [parsed];
  return nodes.some((n) => typeof n === 'object' && n !== null && ['@context', '@graph', '@id', '@type'].some((k) => k in n));
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

/**
 * A peer's records as we keep them: an enterprise's `supplies` and `manages` are the inverse of the
 * `suppliedBy`/`managedBy` of its products and items, which the federated index reads; a copy of the lists
 * would go stale with every incremental change, so they are not kept.
 */
function kept(records: readonly DfcRecord[]): DfcRecord[] {
  return records.map(withoutDerivedLinks);
}

/** Syncs peers into the federation store. */
export class SyncEngine {
  private readonly policy: FetchPolicy;
  private readonly graceMs: number;
  private readonly fetcher: (request: PageRequest, policy: FetchPolicy) => Promise<FetchOutcome>;
  private readonly now: () => Date;
  private readonly random: () => number;

  public constructor(private readonly args: SyncEngineArgs) {
    this.policy = args.policy ?? DEFAULT_FETCH_POLICY;
    this.graceMs = args.graceMs ?? 3_600_000;
    this.fetcher = args.fetch ?? fetchPage;
    this.now = args.now ?? (() => new Date());
    this.random = args.random ?? Math.random;
  }

  /**
   * Syncs one peer now.
   *
   * @param peer - the peer
   * @param onProgress - called after each page
   */
  public async sync(peer: PeerRow, onProgress?: (progress: SyncProgress) => void): Promise<PeerSyncOutcome> {
    const started = Date.now();
    const startedAt = this.now();
    let outcome: PeerSyncOutcome;
    try {
      outcome = await this.run(peer, started, startedAt, onProgress);
    } catch (error: unknown) {
      // Our own fault (a bug, the database): reported on the peer like a failure, so the scheduler goes on.
      outcome = { ok: false, peer, failure: { kind: 'network', url: peer.url, message: `internal error: ${error instanceof Error ? error.message : String(error)}` } };
    }
    const failures = outcome.ok ? 0 : peer.failures + 1;
    await this.args.federation.recordAttempt(peer.id, {
      status: outcome.ok ? 'ok' : 'failed',
      at: startedAt.toISOString(),
      nextAttemptAt: new Date(this.now().getTime() + (outcome.ok ? peer.intervalSeconds * 1000 : this.backoff(failures, peer))).toISOString(),
      failures,
      error: outcome.ok ? null : `${outcome.failure.kind}: ${outcome.failure.message}`,
      summary: outcome.ok ? outcome.summary : null,
    });
    return outcome;
  }

  /** Exponential backoff with jitter, never longer than the peer's own interval. */
  private backoff(failures: number, peer: PeerRow): number {
    const base = this.args.baseBackoffMs ?? 30_000;
    const max = Math.min(this.args.maxBackoffMs ?? 3_600_000, Math.max(base, peer.intervalSeconds * 1000));
    const delay = Math.min(max, base * 2 ** Math.max(0, failures - 1));
    // Full jitter in [delay/2, delay): peers that failed together do not all retry together.
    return Math.round(delay / 2 + (this.random() * delay) / 2);
  }

  /**
   * Incremental when the peer publishes a change feed and we hold a cursor in it; otherwise a full snapshot,
   * after which the cursor is set to the feed's head read *before* the snapshot (so no change is missed).
   */
  private async run(peer: PeerRow, started: number, startedAt: Date, onProgress?: (p: SyncProgress) => void): Promise<PeerSyncOutcome> {
    const feedUrl = await this.feedUrlOf(peer);
    const state = await this.args.feed.peerFeed(peer.id);
    if (feedUrl !== undefined && state.cursor !== null) {
      const incremental = await this.incremental(peer, feedUrl, state.cursor, state.stream, started, startedAt, onProgress);
      if (incremental !== 'resync') return incremental;
    }
    const head = feedUrl === undefined ? undefined : await this.feedHead(peer, feedUrl);
    const outcome = await this.snapshot(peer, started, startedAt, onProgress);
    if (outcome.ok && head !== undefined) await this.args.feed.setPeerFeed(peer.id, { cursor: head.head, stream: head.stream });
    return outcome;
  }

  /** The feed of a peer, found once through discovery (`feed`, or `enterpriseFeed` for an enterprise URL). */
  private async feedUrlOf(peer: PeerRow): Promise<string | undefined> {
    const state = await this.args.feed.peerFeed(peer.id);
    if (state.feedUrl !== null) return state.feedUrl === '' ? undefined : state.feedUrl;
    const url = new URL(peer.url);
    let found = '';
    const discovery = await this.fetcher({ url: `${url.origin}/.well-known/dfc/`, accept: 'application/ld+json, application/json' }, this.policy);
    if (discovery.ok && discovery.page.status === 200) {
      try {
        const document = JSON.parse(discovery.page.body ?? '') as { feed?: unknown; enterpriseFeed?: unknown };
        const eid = /\/api\/dfc\/enterprises\/([^/?#]+)/u.exec(url.pathname)?.[1];
        if (eid !== undefined && typeof document.enterpriseFeed === 'string') found = document.enterpriseFeed.replace('{eid}', eid);
        else if ((url.pathname === '/' || url.pathname === '') && typeof document.feed === 'string') found = document.feed;
        if (found !== '' && !sameOrigin(found, peer.url)) found = '';
      } catch {
        found = '';
      }
    } else if (!discovery.ok && discovery.failure.kind !== 'http-status' && discovery.failure.kind !== 'not-dfc') {
      return undefined; // the peer is unreachable: decide next time
    }
    await this.args.feed.setPeerFeed(peer.id, { feedUrl: found });
    return found === '' ? undefined : found;
  }

  /** The newest sequence of a peer's feed and the feed's identity (its root says them), or undefined. */
  private async feedHead(peer: PeerRow, feedUrl: string): Promise<{ head: number; stream: string | null } | undefined> {
    const root = await this.fetcher({ url: feedUrl, accept: FEED_ACCEPT, ...this.credentials(peer) }, this.policy);
    if (!root.ok || root.page.status !== 200) return undefined;
    const decoded = await this.args.decoder.decode(root.page.body ?? '', { base: feedUrl, mediaType: mediaTypeOf(root.page.contentType) });
    for (const record of decoded.records) {
      const head = record.extra?.[MAILLON.head]?.find((v) => '@value' in v);
      const stream = record.extra?.[MAILLON.stream]?.find((v) => '@value' in v);
      if (head !== undefined && '@value' in head && typeof head['@value'] === 'number') {
        return { head: head['@value'], stream: stream !== undefined && '@value' in stream ? String(stream['@value']) : null };
      }
    }
    return undefined;
  }

  private credentials(peer: PeerRow): Pick<PageRequest, 'token' | 'tokenHeader'> {
    return peer.token !== null ? { token: peer.token, tokenHeader: peer.tokenHeader } : {};
  }

  /**
   * Applies the versions published after `cursor`. Returns 'resync' when the cursor is no good (the feed
   * was reset or compacted past it): a full snapshot follows, never missing data.
   */
  private async incremental(
    peer: PeerRow, feedUrl: string, cursor: number, stream: string | null, started: number, startedAt: Date,
    onProgress?: (p: SyncProgress) => void,
  ): Promise<PeerSyncOutcome | 'resync'> {
    const { federation } = this.args;
    const root = await this.feedHead(peer, feedUrl);
    // A feed that went backwards, or another feed altogether (the peer's database was made anew): start over.
    if (root === undefined || root.head < cursor || root.stream !== stream) return 'resync';
    const versions = new Map<string, DfcRecord>();
    const deleted = new Set<string>();
    const quarantine: { iri: string; type: string | null; problems: Problem[] }[] = [];
    let after = cursor;
    let bytes = 0;
    let pages = 0;
    for (;;) {
      if (pages >= MAX_PAGES) return 'resync';
      const url = `${feedUrl}?after=${after}`;
      const fetched = await this.fetcher({ url, accept: FEED_ACCEPT, ...this.credentials(peer) }, this.policy);
      if (!fetched.ok) {
        if (fetched.failure.kind === 'http-status' && (fetched.failure.status === 404 || fetched.failure.status === 410)) return 'resync';
        return { ok: false, peer, failure: fetched.failure };
      }
      pages++;
      bytes += fetched.page.bytes;
      if (bytes > this.policy.maxBytes * SNAPSHOT_BUDGET) return 'resync';
      const decoded = await this.args.decoder.decode(fetched.page.body ?? '', { base: url, mediaType: mediaTypeOf(fetched.page.contentType) });
      if (decoded.problems.some((p) => p.id === null && p.severity === 'error')) return 'resync';
      for (const rejected of decoded.rejected) quarantine.push({ iri: rejected.id, type: rejected.type, problems: [...rejected.problems] });
      const members = membersOf(decoded.records);
      onProgress?.({ pages, queued: 0, bytes });
      if (members.length === 0) break;
      for (const member of members) {
        if (member.kind === 'delete') {
          versions.delete(member.iri);
          deleted.add(member.iri);
        } else {
          deleted.delete(member.iri);
          versions.set(member.iri, member.record);
        }
        after = Math.max(after, member.seq ?? after);
      }
      if (after === cursor) return 'resync'; // members without sequence numbers: not a feed we can follow
    }
    // Only what the versions touch: a few rows, not the peer's whole graph.
    const held = await federation.heldOf(peer.id, [...versions.keys(), ...deleted]);
    const plan = planMerge({
      peerOrigin: peer.origin, ownBase: this.args.ownBase, held, complete: false, now: startedAt.toISOString(), graceMs: this.graceMs,
      pages: [{ url: feedUrl, status: 200, records: kept([...versions.values()]) }],
    });
    // A version keeps the page it belongs to in the snapshot, so a later snapshot's 304 still counts it seen.
    const upsert = plan.upsert.map((r) => ({ ...r, sourceUrl: held.get(r.iri)?.sourceUrl ?? peer.url }));
    const withdrawn = [...deleted].filter((iri) => held.has(iri) && held.get(iri)?.withdrawnAt === null);
    const changes = { ...plan, upsert, withdrawn, missing: [], restored: plan.restored };
    if (upsert.length + withdrawn.length + quarantine.length > 0) {
      await federation.applySnapshot(peer.id, { plan: changes, sources: new Map(), quarantine, replaceQuarantine: false, now: startedAt.toISOString() });
    }
    await this.args.feed.setPeerFeed(peer.id, { cursor: after });
    return {
      ok: true,
      peer,
      summary: {
        added: plan.added, updated: plan.updated, unchanged: plan.unchanged, withdrawn: withdrawn.length, quarantined: quarantine.length,
        refused: plan.refused.length, pages, notModified: 0, bytes, ms: Date.now() - started,
      },
    };
  }

  /** A full snapshot: every page of the peer's catalogue, conditionally. */
  private async snapshot(peer: PeerRow, started: number, startedAt: Date, onProgress?: (p: SyncProgress) => void): Promise<PeerSyncOutcome> {
    const { federation } = this.args;
    const known = await federation.sources(peer.id);
    const start = await this.startUrl(peer);
    if ('failure' in start) return { ok: false, peer, failure: start.failure };

    const queue: string[] = [start.url];
    const queued = new Set<string>(queue);
    const pages: SnapshotPage[] = [];
    const sources = new Map<string, SourceValidators>();
    const quarantine = new Map<string, { iri: string; type: string | null; problems: Problem[] }>();
    let bytes = 0;
    let notModified = 0;
    const enqueue = (url: string | undefined): void => {
      if (url === undefined || queued.has(url) || !sameOrigin(url, peer.url)) return;
      queued.add(url);
      queue.push(url);
    };

    while (queue.length > 0) {
      if (pages.length >= MAX_PAGES) {
        return { ok: false, peer, failure: { kind: 'too-large', url: peer.url, message: `more than ${MAX_PAGES} pages in one snapshot` } };
      }
      const url = queue.shift() as string;
      const validators = known.get(url);
      const fetched = await this.fetcher({
        url,
        accept: ACCEPT[peer.profile],
        ...(peer.token !== null ? { token: peer.token, tokenHeader: peer.tokenHeader } : {}),
        ...(validators?.etag != null ? { etag: validators.etag } : {}),
        ...(validators?.lastModified != null ? { lastModified: validators.lastModified } : {}),
      }, this.policy);
      if (!fetched.ok) return { ok: false, peer, failure: fetched.failure };
      const page = fetched.page;
      bytes += page.bytes;
      // Each response is capped; a snapshot of many pages is capped too, or a peer could fill our memory.
      if (bytes > this.policy.maxBytes * SNAPSHOT_BUDGET) {
        return { ok: false, peer, failure: { kind: 'too-large', url, message: `the snapshot exceeds ${this.policy.maxBytes * SNAPSHOT_BUDGET} bytes` } };
      }
      if (page.status === 304) {
        notModified++;
        pages.push({ url, status: 304 });
        sources.set(url, validators ?? { etag: null, lastModified: null });
        // An unchanged page hides its links: fetch again everything the last complete snapshot fetched.
        for (const previous of known.keys()) enqueue(previous);
      } else {
        const mediaType = mediaTypeOf(page.contentType);
        // A JSON answer that is no JSON-LD at all ({"error": "maintenance"}) must not pass for an empty
        // catalogue: that would withdraw everything the peer has.
        if (mediaType.includes('json') && !looksLikeJsonLd(page.body ?? '')) {
          return { ok: false, peer, failure: { kind: 'not-dfc', url, message: 'the answer is JSON but not JSON-LD (no @context, @graph or @id)' } };
        }
        const decoded = await this.args.decoder.decode(page.body ?? '', { mediaType, base: page.url });
        const documentErrors = decoded.problems.filter((p) => p.id === null && p.severity === 'error');
        if (documentErrors.length > 0) {
          return { ok: false, peer, failure: { kind: 'not-dfc', url, message: documentErrors.map((p) => p.message).join('; ').slice(0, 500) } };
        }
        for (const rejected of decoded.rejected) quarantine.set(rejected.id, { iri: rejected.id, type: rejected.type, problems: [...rejected.problems] });
        pages.push({ url, status: 200, records: kept(decoded.records) });
        sources.set(url, { etag: page.etag ?? null, lastModified: page.lastModified ?? null });
        for (const next of this.linksToFollow(decoded.records, url)) enqueue(next);
      }
      enqueue(page.next);
      onProgress?.({ pages: pages.length, queued: queue.length, bytes });
    }

    const plan = planMerge({
      peerOrigin: peer.origin, ownBase: this.args.ownBase, held: await federation.held(peer.id), pages, complete: true,
      now: startedAt.toISOString(), graceMs: this.graceMs,
    });
    for (const refused of plan.refused.filter((p) => p.severity === 'error')) {
      quarantine.set(refused.id ?? '', { iri: refused.id ?? '', type: refused.type, problems: [refused] });
    }
    const sourcesChanged = [...sources].some(([url, v]) => known.get(url)?.etag !== v.etag || known.get(url)?.lastModified !== v.lastModified)
      || known.size !== sources.size;
    const anything = plan.upsert.length + plan.missing.length + plan.withdrawn.length + plan.restored.length > 0;
    // Pages answered 304 were not decoded again: their quarantined records stay quarantined.
    const replaceQuarantine = notModified === 0;
    const quarantineChanged = replaceQuarantine ? quarantine.size > 0 || (await federation.quarantine(peer.id)).length > 0 : quarantine.size > 0;
    // A snapshot that changed nothing (every page 304, or the same data again) costs no write.
    if (anything || sourcesChanged || quarantineChanged) {
      await federation.applySnapshot(peer.id, {
        plan, sources, quarantine: [...quarantine.values()], replaceQuarantine, now: startedAt.toISOString(),
      });
    }
    return {
      ok: true,
      peer,
      summary: {
        added: plan.added, updated: plan.updated, unchanged: plan.unchanged, withdrawn: plan.withdrawn.length,
        quarantined: quarantine.size, refused: plan.refused.length, pages: pages.length, notModified, bytes, ms: Date.now() - started,
      },
    };
  }

  /**
   * Where a sync starts. A node's base URL is resolved through discovery (`/.well-known/dfc/`), with the
   * Open Food Network path `/api/dfc/enterprises` as a fallback; any other URL (a catalogue, an enterprise)
   * is fetched as it is.
   */
  private async startUrl(peer: PeerRow): Promise<{ url: string } | { failure: PeerFailure }> {
    const url = new URL(peer.url);
    if (url.pathname !== '/' && url.pathname !== '') return { url: peer.url };
    const discovery = await this.fetcher({ url: `${url.origin}/.well-known/dfc/`, accept: 'application/ld+json, application/json' }, this.policy);
    if (discovery.ok && discovery.page.status === 200) {
      try {
        const document = JSON.parse(discovery.page.body ?? '') as { enterprises?: unknown };
        if (typeof document.enterprises === 'string' && sameOrigin(document.enterprises, peer.url)) return { url: document.enterprises };
      } catch {
        // Not our discovery document: fall back to the conventional path.
      }
    } else if (!discovery.ok && discovery.failure.kind !== 'http-status' && discovery.failure.kind !== 'not-dfc') {
      return { failure: discovery.failure };
    }
    return { url: `${url.origin}/api/dfc/enterprises` };
  }

  /** From an enterprise document, the catalogues of its enterprises (Open Food Network's layout). */
  private linksToFollow(records: readonly DfcRecord[], url: string): string[] {
    if (records.some((r) => r.kind === 'CatalogItem')) return [];
    return records
      .filter((r) => r.kind === 'Enterprise' && !r.id.startsWith('_:') && sameOrigin(r.id, url))
      .map((r) => `${r.id.replace(/\/+$/u, '')}/catalog_items`);
  }
}
