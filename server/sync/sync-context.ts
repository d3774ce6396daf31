/**
 * What the parts of one sync share: the parts they work with, the run they belong to, the outcome they
 * return, and the small rules they all apply (same origin, what of a record is kept).
 *
 * @packageDocumentation
 */
import { withoutDerivedLinks } from '../../ontology/inverses.js';
import type { DfcRecord } from '../../ontology/records.js';
import type { Decoder, DecodeOptions, DecodeResult, RejectedResource } from '../codec/decode.js';
import { failure, type Failure } from '../errors/failure.js';
import { clip, type FetchPolicy } from '../net/safe-fetch.js';
import type { PeerRow, ProvenanceStore, SyncSummary } from '../store/federation.js';
import type { FeedStore } from '../store/feed.js';
import type { Serialised } from './merge.js';
import type { FetchedPage, FetchOutcome, PageRequest } from './peer-fetch.js';

/** The outcome of one sync of one peer. */
export type PeerSyncOutcome =
  | { readonly ok: true; readonly peer: PeerRow; readonly summary: SyncSummary }
  | { readonly ok: false; readonly peer: PeerRow; readonly failure: Failure };

/** Progress of one sync, for a progress bar. */
export interface SyncProgress {
  readonly pages: number;
  readonly queued: number;
  readonly bytes: number;
}

/** Fetches one page of a peer under the engine's policy. */
export type PageFetch = (request: PageRequest) => Promise<FetchOutcome>;

/** The parts a sync works with. */
export interface SyncParts {
  /** Peers and what each said: the sync reads and writes only the provenance side of the federation. */
  readonly provenance: ProvenanceStore;
  readonly feed: FeedStore;
  readonly decoder: Decoder;
  /** Our own public base URL: peers can never write under it. */
  readonly ownBase: string;
  readonly policy: FetchPolicy;
  /** How long a resource may be absent from a peer's snapshot before it is flagged withdrawn. */
  readonly graceMs: number;
  readonly fetch: PageFetch;
  /** Told of the records of a peer once they are applied (the push path of listings); see `SyncEngineArgs.onApplied`. */
  readonly onApplied?: AppliedHook;
  /** Whether `onApplied` has anything to do now; see `SyncEngineArgs.appliedWanted`. */
  readonly appliedWanted?: () => Promise<boolean>;
  /** Most rows a snapshot keeps in memory until its end instead of staging them in the store; see `SyncEngineArgs.memoryRows`. */
  readonly memoryRows?: number;
  /** Reads a snapshot's pages (default: in the event loop, with {@link SyncParts.decoder}); see `SyncEngineArgs.pages`. */
  readonly pages?: PageReader;
}

/**
 * What is told of a peer's records once a sync applied them: their new state, as the peer sent them, and the
 * `@id`s its change feed said were deleted (withdrawn now).
 */
export type AppliedHook = (peerId: number, records: readonly DfcRecord[], deleted?: readonly string[]) => unknown;

/**
 * Tells {@link SyncParts.onApplied} of what a sync applied. Awaited, so that a sync's caller sees its effects;
 * a failure there is the hook's own business, never the sync's.
 */
export async function tellApplied(
  parts: SyncParts, peerId: number, upsert: readonly { readonly record: DfcRecord }[], deleted: readonly string[] = [],
): Promise<void> {
  if (parts.onApplied === undefined || (upsert.length === 0 && deleted.length === 0)) return;
  try {
    await parts.onApplied(peerId, upsert.map((r) => r.record), deleted);
  } catch {
    // The hook reports its own failures; the peer's data is applied whatever it does.
  }
}

/** One sync of one peer. */
export interface SyncRun {
  readonly peer: PeerRow;
  /** `Date.now()` at the start, for the duration. */
  readonly started: number;
  /** The engine's clock at the start: the time of every write. */
  readonly startedAt: Date;
  /**
   * `Date.now()` by which the whole sync (discovery and every page) must be done: past it, no page is
   * fetched and nothing is applied.
   */
  readonly deadline: number;
  /** The whole-sync budget the deadline was set from, in ms (for the failure's message). */
  readonly budgetMs: number;
  readonly onProgress?: ((progress: SyncProgress) => void) | undefined;
  /**
   * The peer's credentials version when the run began (`FeedStore.peerCredentials`), or `stale` when the run holds
   * older credentials than the stored ones: the run's feed cursor is written only if they are still the same.
   */
  readonly credentials?: string;
}

/**
 * Whether a sync is past its whole-sync deadline.
 *
 * @param run - the run
 */
export function pastDeadline(run: Pick<SyncRun, 'deadline'>): boolean {
  return Date.now() >= run.deadline;
}

/**
 * The failure of a sync past its whole-sync budget: a peer that answers each request just in time (a slow
 * discovery, then a trickled catalogue, or many slow pages) must not hold a sync for the sum of the per-fetch
 * deadlines.
 *
 * @param run - the run
 * @param url - the URL being worked on
 */
export function overBudget(run: Pick<SyncRun, 'budgetMs'>, url?: string): Failure {
  return failure('timeout', `the whole sync took longer than its budget of ${run.budgetMs} ms; nothing of it was applied`, url);
}

/** Where a page is read: the URL it was asked for (failures name it) and the peer's origin (its skolem IRIs). */
export interface PageAt {
  readonly url: string;
  readonly origin: string;
}

/** What a snapshot needs of a page it reads, or why it fails the sync. */
export type PageReading =
  | {
    readonly ok: true;
    /** Its records as kept: skolemised, without derived links. */
    readonly records: readonly DfcRecord[];
    /** What was refused, with why (the sync's quarantine). */
    readonly rejected: readonly RejectedResource[];
    /** The catalogues an enterprise list leads to (Open Food Network's layout). */
    readonly follow: readonly string[];
    /** The next page, from the `Link` header or the body. */
    readonly next?: string;
    /** The records' JSON and hashes, made where the page was read (a worker thread): the merge does not make them again. */
    readonly serialised?: Serialised;
  }
  | {
    readonly ok: false;
    readonly failure: Failure;
    /**
     * Whether the page failed before its decoding, over the JSON limits: a failure of its fetch, as it always was
     * (told before the snapshot's own size budget is looked at).
     */
    readonly unparsable?: true;
  };

/** Reads a snapshot's page: in the event loop (`inProcessPages`) or in a worker thread (`page-workers.ts`). */
export interface PageReader {
  /**
   * Reads a page answered 200.
   *
   * @param page - the page (its body and parsed tree are the reader's to drop)
   * @param at - where
   * @param signal - given up when it fires (the node stops): a `stopped` failure, at once
   */
  read(page: FetchedPage, at: PageAt, signal?: AbortSignal): Promise<PageReading>;
  /**
   * Tells the reader a snapshot begins (where its pages are best read depends on how many run at once); what it returns
   * is called when the snapshot ends.
   */
  begin?(): () => void;
}

/** A page decoded, or the failure of a decoder that threw on it. */
export type PageDecoding = { readonly ok: true; readonly decoded: DecodeResult } | { readonly ok: false; readonly failure: Failure };

/**
 * Why a page of a peer is no document at all, or undefined when it is one. A page read whole stands for everything
 * it lists: one that is no document must not pass for an empty catalogue (or container), which would withdraw all the
 * peer had. An empty catalogue is still a document, and passes: `{"@context": …, "@graph": []}`, a node of its own
 * (an empty `ldp:Container`), or Turtle that says something (a `@prefix` line, as a writer of an empty graph gives).
 * No document: an empty body, or only white space (and comments, in an RDF syntax: N-Triples has no other way to say
 * nothing, so nothing said is refused); JSON that is no JSON-LD (`{"error": …}`), or a JSON-LD object that holds no
 * graph and no node (a `@context` alone).
 *
 * @param input - the page's parsed JSON (an object or array) or text
 */
export function notADocument(input: string | object): string | undefined {
  if (typeof input === 'string') {
    return isBlankDocument(input) ? 'the answer is empty (no document; an empty catalogue is a document that says so)' : undefined;
  }
  const nodes: unknown[] = Array.isArray(input) ? input : [input];
  const objects = nodes.filter((n): n is Record<string, unknown> => typeof n === 'object' && n !== null && !Array.isArray(n));
  if (!objects.some((n) => '@context' in n || '@graph' in n || '@id' in n || '@type' in n)) {
    return 'the answer is JSON but not JSON-LD (no @context, @graph or @id)';
  }
  // A JSON-LD object with a context and nothing else is a document too: the empty graph, as jsonld.js (and the
  // connectors built on JSON-LD libraries) compacts a catalogue with no product. Refusing it would keep listed, for
  // good, what a producer who sold out and took everything down no longer offers.
  return undefined;
}

/**
 * Whether a text holds nothing: white space, and `#` comment lines (RDF syntaxes; no JSON text is only those either).
 * A loop, not a regular expression: a repeated group over megabytes of white space can exhaust the regexp's stack.
 */
function isBlankDocument(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x23) {
      // A comment runs to the end of its line.
      while (i < text.length && text.charCodeAt(i) !== 0x0a && text.charCodeAt(i) !== 0x0d) i++;
    } else if (c !== 0x20 && (c < 0x09 || c > 0x0d) && (c < 0x80 ? true : !/\s/u.test(text[i] as string))) {
      return false;
    }
  }
  return true;
}

/**
 * Decodes one page of a peer. A page that is no document at all ({@link notADocument}) fails the sync as `not-dfc`.
 * The decoder reports what is wrong with a document as problems; should it throw
 * all the same (a hostile document driving it past a limit: a `RangeError`, say), the page fails the sync of
 * that peer as a `decode` failure naming the page, and the process goes on.
 *
 * @param decoder - the decoder
 * @param input - the page's parsed JSON or text
 * @param options - its media type and base
 * @param url - the page's URL, for the failure
 */
export async function decodePage(decoder: Decoder, input: string | object, options: DecodeOptions, url: string): Promise<PageDecoding> {
  const nothing = notADocument(input);
  if (nothing !== undefined) return { ok: false, failure: failure('not-dfc', nothing, url) };
  try {
    // A stock or price given twice, different (one `@id` twice on a page), is no value to list or sell at: the resource
    // is quarantined with the conflict, not read as whichever came first.
    return { ok: true, decoded: await decoder.decode(input, { ...options, strictSale: true }) };
  } catch (error: unknown) {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { ok: false, failure: failure('decode', `the decoder failed on this document (${clip(text, 300)})`, url) };
  }
}

/** A whole snapshot (or run of feed pages) may be this many times the size limit of one response. */
export const SNAPSHOT_BUDGET = 4;

/** Most pages one sync will fetch: a peer that pages forever fails instead of filling memory. */
export const MAX_PAGES = 2000;

/**
 * Whether two URLs have the same origin (false if either is no URL).
 *
 * @param a - a URL
 * @param b - another
 */
export function sameOrigin(a: string, b: string): boolean {
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
 *
 * @param records - decoded records
 */
export function kept(records: readonly DfcRecord[]): DfcRecord[] {
  return records.map(withoutDerivedLinks);
}

/**
 * The peer's credential, as a page request carries it.
 *
 * @param peer - the peer
 */
export function credentials(peer: PeerRow): Pick<PageRequest, 'token' | 'tokenHeader'> {
  return peer.token !== null ? { token: peer.token, tokenHeader: peer.tokenHeader } : {};
}
