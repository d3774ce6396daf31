/**
 * Snapshot sync: every page of a peer's catalogue, fetched conditionally, decoded and merged as it arrives (its
 * records staged, then dropped: memory is a page's, whatever the peer's size), and applied at the end as a
 * complete snapshot (what is absent goes missing, then withdrawn) in one transaction.
 *
 * @packageDocumentation
 */
import { failure, type Failure } from '../errors/failure.js';
import { linkedSignal } from '../net/linked-signal.js';
import type { PeerRow, SourceValidators } from '../store/federation.js';
import { discover, enterprisesOf } from './discovery.js';
import type { SnapshotPage } from './merge.js';
import { inProcessPages, type PageReading } from './page-reader.js';
import type { FetchOutcome } from './peer-fetch.js';
import { Quarantine, StagedSnapshot } from './staged-snapshot.js';
import {
  credentials, MAX_PAGES, sameOrigin, SNAPSHOT_BUDGET, type PeerSyncOutcome, type SyncParts, type SyncRun,
} from './sync-context.js';

const ACCEPT = {
  'dfc-v1': 'application/ld+json, application/json;q=0.9, text/turtle;q=0.8',
  'dfc-v2': 'application/ld+json; profile="dfc-v2", application/ld+json;q=0.9, application/json;q=0.8, text/turtle;q=0.7',
} as const;

/**
 * Where a sync starts. A node's base URL is resolved through discovery, with the Open Food Network path
 * `/api/dfc/enterprises` as a fallback; any other URL (a catalogue, an enterprise) is fetched as it is.
 */
async function startUrl(parts: SyncParts, peer: PeerRow): Promise<{ url: string } | { failure: Failure }> {
  const url = new URL(peer.url);
  if (url.pathname !== '/' && url.pathname !== '') return { url: peer.url };
  const discovery = await discover(url.origin, parts.fetch);
  if (discovery.status === 'unreachable') return { failure: discovery.failure };
  const enterprises = discovery.status === 'found' ? enterprisesOf(discovery.document, peer.url) : undefined;
  return { url: enterprises ?? `${url.origin}/api/dfc/enterprises` };
}

/** The origin of a URL (the empty string for none). */
function originOf(url: string): string {
  try {
      return new URL(url).origin;
    } catch {
      return '';
    }
  }

  /**
   * Syncs a peer from a full snapshot of its catalogue.
   *
   * @param parts - the sync's parts
   * @param run - the peer and the run
   */
  export async function snapshotSync(parts: SyncParts, run: SyncRun): Promise<PeerSyncOutcome> {
    const { peer } = run;
    const start = await startUrl(parts, peer);
    if ('failure' in start) return { ok: false, peer, failure: start.failure };
    const known = await parts.provenance.sources(peer.id);
    const staged = new StagedSnapshot(parts, run);
    try {
      return await fetchAndStage(parts, run, { first: start.url, known }, staged);
  } finally {
    // Applied or not, the run's staging goes: a failed sync applies nothing.
    await staged.end();
  }
}

/** Fetches every page of a snapshot, merging and staging each as it arrives, then applies the run. */
async function fetchAndStage(
  parts: SyncParts, run: SyncRun, { first, known }: { first: string; known: ReadonlyMap<string, SourceValidators> }, staged: StagedSnapshot,
): Promise<PeerSyncOutcome> {
  const { policy } = parts;
  const { peer, onProgress } = run;
  const reader = parts.pages ?? inProcessPages(parts.decoder);
  const failed = (f: Failure): PeerSyncOutcome => ({ ok: false, peer, failure: f });
  const queue: string[] = [first];
  const queued = new Set<string>(queue);
  const sources = new Map<string, SourceValidators>();
  const quarantine = new Quarantine();
  // The pages a next link leads to (one missing truncates a catalogue); the others past the first are catalogues of
  // the enterprises of a list (found in it, or fetched again after it answered 304), and those the peer gave or not.
  const nexts = new Set<string>();
  let catalogues = 0;
  const unreadable: string[] = [];
  let firstRefusal: Failure | undefined;
  let pages = 0;
  let bytes = 0;
  let wireBytes = 0;
  let notModified = 0;
  // The origins the snapshot's pages may come from: the peer's, where its start URL is, and where a page of
  // these was redirected (a peer moved to https or another host answers there, and its next links lead there).
  const home = new Set([originOf(peer.url), originOf(first)]);
  const enqueue = (url: string | undefined): void => {
    if (url === undefined || queued.has(url) || !home.has(originOf(url))) return;
    queued.add(url);
    queue.push(url);
  };

  // Pages kept as they were with an unreadable catalogue: not asked for again in this run.
  const keptAsTheyWere = new Set<string>();
  // The pages of the last snapshot asked for again because a page answered 304 (which hides its links).
  const again = new Set<string>();
  // Pages of those that answered 404: decided at the end, once every page that could name them was read.
  const vanished: { url: string; failure: Failure }[] = [];
  // The pages read (as asked for, and where they were answered), and the next page each decoded page named.
  const read = new Set<string>();
  const nextOf = new Map<string, string>();

  // The last snapshot's pages by path, made at the first refusal (an instance may refuse hundreds of catalogues).
  let knownByPath: Map<string, string[]> | undefined;
  /** The last snapshot's other pages at `url`'s path (a catalogue's next pages). */
  const samePath = (url: string): string[] => ((knownByPath ??= byPath(known.keys())).get(pathOf(url) ?? '') ?? []).filter((u) => u !== url);
  /**
   * Keeps an unreadable catalogue's pages as the last snapshot had them; each is asked for again next time (with no
   * validators if it had none, or a 304 of the list would hide it for good).
   */
  const keepAsItWas = (url: string, others: readonly string[]): void => {
    for (const page of [url, ...others]) {
      staged.unreadablePage(page);
      sources.set(page, known.get(page) ?? { etag: null, lastModified: null });
      keptAsTheyWere.add(page);
    }
  };

  // Fired when the run ends (or the node stops): a page fetched and read ahead that the run did not come to is given up.
  const ended = linkedSignal(policy.signal);
  const { signal } = ended;
  /** Fetches a page, and reads it when it answered 200 (its reading is given up when the run ends first). */
  const fetchAndRead = async (url: string): Promise<Fetched> => {
    const validators = known.get(url);
    const fetched = await parts.fetch({
      url,
      accept: ACCEPT[peer.profile],
      // The peer's token goes to the peer's origin only, never to where its pages moved.
      ...(sameOrigin(url, peer.url) ? credentials(peer) : {}),
      ...(validators?.etag != null ? { etag: validators.etag } : {}),
      ...(validators?.lastModified != null ? { lastModified: validators.lastModified } : {}),
      // Parsed where it is decoded (a worker thread, for a node's syncs), not in the event loop.
      unparsed: true,
      // A page read ahead that the run does not come to (it failed, or the node stops) is not downloaded to its end.
      signal,
    });
    if (!fetched.ok || fetched.page.status !== 200) return { fetched };
    return { fetched, reading: await reader.read(fetched.page, { url, origin: peer.origin }, signal) };
  };
  // The next page of a catalogue, asked for as soon as the page naming it is read: fetched and decoded while this one
  // is merged and staged (the event loop's work), not after.
  let ahead: { readonly url: string; readonly done: Promise<Fetched> } | undefined;
  const leave = reader.begin?.();

  try {
  while (queue.length > 0) {
    if (pages >= MAX_PAGES) return failed(failure('too-large', `more than ${MAX_PAGES} pages in one snapshot`, peer.url));
    const url = queue.shift() as string;
    if (keptAsTheyWere.has(url)) continue;
    const validators = known.get(url);
    const { fetched, reading } = await (ahead?.url === url ? ahead.done : fetchAndRead(url));
    ahead = undefined;
    if (!fetched.ok) {
      if (url !== first && !nexts.has(url) && again.has(url) && fetched.failure.status === 404) {
        // A page of the last snapshot that is not there now: the sync fails if a page read leads to it (the
        // catalogue cut short), told at the end when every page was read; else it is kept as it was.
        vanished.push({ url, failure: fetched.failure });
        continue;
      }
      // Open Food Network lists the enterprises a platform may see, and answers 401 for the catalogue of one whose
      // manager did not also let it read products: that one is kept as it was, and the others are read.
      if (url !== first && !nexts.has(url) && UNREADABLE.has(fetched.failure.status ?? 0)) {
        unreadable.push(url);
        firstRefusal ??= fetched.failure;
        // The catalogue's pages as the last snapshot had them (its next pages too, which cannot be reached now).
        keepAsItWas(url, samePath(url));
        continue;
      }
      return failed(fetched.failure);
    }
    const page = fetched.page;
    // A page over the JSON limits fails as its fetch did when the fetcher parsed it: before anything is counted.
    if (reading !== undefined && !reading.ok && reading.unparsable === true) return failed(reading.failure);
    if (url !== first && !nexts.has(url)) catalogues++;
    home.add(originOf(page.url));
    bytes += page.bytes;
    wireBytes += page.wireBytes ?? page.bytes;
    // Each response is capped; a snapshot of many pages is capped too, or a peer could fill our disk.
    if (bytes > policy.maxBytes * SNAPSHOT_BUDGET) {
      return failed(failure('too-large', `the snapshot exceeds ${policy.maxBytes * SNAPSHOT_BUDGET} bytes`, url));
    }
    pages++;
    if (page.status === 304) {
      notModified++;
      staged.unchangedPage(url);
      sources.set(url, validators ?? { etag: null, lastModified: null });
      // An unchanged page hides its links: fetch again everything the last complete snapshot fetched.
      for (const previous of known.keys()) {
        if (!queued.has(previous)) again.add(previous);
        enqueue(previous);
      }
    } else if (reading !== undefined) {
      // Read (`readPage`): decoded, its document errors refused (`not-dfc`), its records as kept.
      if (!reading.ok) return failed(reading.failure);
      // Its next page is the run's next (nothing else is queued before it), and will be followed: asked for now. Should
      // the run end before it comes to it (a failure), it is given up. A page read already (where a redirect answered
      // an earlier page) is not: as the next link, it may close a loop, which fails the run before it is asked for.
      const after = reading.next;
      if (after !== undefined && queue.length === 0 && reading.follow.length === 0 && after !== url && after !== page.url
        && !queued.has(after) && !read.has(after) && home.has(originOf(after)) && !keptAsTheyWere.has(after) && pages < MAX_PAGES) {
        const done = fetchAndRead(after);
        // Never left rejected: a reading ahead the run did not come to is nobody's.
        done.catch(() => undefined);
        ahead = { url: after, done };
      }
      for (const rejected of reading.rejected) quarantine.set(rejected.id, { iri: rejected.id, type: rejected.type, problems: [...rejected.problems] });
      await staged.page(url, reading.records, reading.serialised);
      sources.set(url, { etag: page.etag ?? null, lastModified: page.lastModified ?? null });
      for (const catalogue of reading.follow) enqueue(catalogue);
    }
    // The next page, from the `Link` header or the body (which the reading parsed).
    const named = reading?.ok === true ? reading.next : page.next;
    // A page naming itself as its next one is the last (some paginators write it so): nothing lies past it.
    const next = named === url || named === page.url ? undefined : named;
    // A next page that is not followed would make a truncated snapshot look complete, and withdraw the rest of
    // the catalogue: the sync fails instead, and nothing is applied.
    if (next !== undefined && !home.has(originOf(next))) {
      return failed(failure('bad-url', `the next page ${next} is on another origin than the peer's (${[...home].join(', ')}): not followed`, url));
    }
    read.add(url).add(page.url);
    if (next !== undefined) {
      nextOf.set(url, next).set(page.url, next);
      // A next link back to a page read already, whose own next links lead here: the pages loop, and what lies past
      // them was never reached (followed no further, the catalogue would look complete and its other pages withdrawn).
      if (read.has(next) && leadsTo(nextOf, next, new Set([url, page.url]))) {
        return failed(failure('truncated', `the pages loop: ${url} names ${next} as its next page, read already in this snapshot`, url));
      }
    }
    if (next !== undefined && !queued.has(next)) nexts.add(next);
    enqueue(next);
    onProgress?.({ pages, queued: queue.length, bytes });
  }
  } finally {
    ended.release();
    ended.abort();
    leave?.();
  }

  const named = new Set(nextOf.values());
  for (const { url, failure: gone } of vanished) {
    // A page read leads to it: the catalogue is cut short, as when a next page fails.
    if (named.has(url)) return failed(gone);
    // Otherwise kept as it was: an enterprise's catalogue no longer given, or a page a page answered 304 may still
    // lead to (a 304 hides its next link): whether the catalogue became shorter cannot be told, and a transient 404
    // must not withdraw what the page listed.
    unreadable.push(url);
    firstRefusal ??= gone;
    keepAsItWas(url, samePath(url).filter((page) => !sources.has(page)));
  }
  // Not one catalogue given (a token the peer no longer takes, say): the peer's sync fails, as it would on its list.
  if (firstRefusal !== undefined && catalogues === 0) return failed(firstRefusal);
  return staged.finish({ known, sources, quarantine, pages, notModified, bytes, wireBytes, unreadable });
}

/** A page fetched, and its reading when it answered 200. */
interface Fetched {
  readonly fetched: FetchOutcome;
  readonly reading?: PageReading;
}

/**
 * Whether following next links from `from` reaches one of `targets` (a page's next link that closes a loop).
 *
 * @param nextOf - the next page each page read named
 */
function leadsTo(nextOf: ReadonlyMap<string, string>, from: string, targets: ReadonlySet<string>): boolean {
  const walked = new Set<string>();
  for (let page: string | undefined = from; page !== undefined && !walked.has(page); page = nextOf.get(page)) {
    if (targets.has(page)) return true;
    walked.add(page);
  }
  return false;
}

/**
 * Pages by origin and path (a catalogue's pages share them: `…/catalog_items`, `…/catalog_items?page=2`).
 *
 * @param urls - the pages of the last snapshot
 */
function byPath(urls: Iterable<string>): Map<string, string[]> {
  const paths = new Map<string, string[]>();
  for (const url of urls) {
    const path = pathOf(url);
    if (path === undefined) continue;
    const same = paths.get(path);
    if (same === undefined) paths.set(path, [url]);
    else same.push(url);
  }
  return paths;
}

/** A URL's origin and path, without its query or fragment (undefined for no URL). */
function pathOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return undefined;
  }
}

/**
 * The answers that mean "not for you" for one enterprise's catalogue (no permission to read its products, or no
 * catalogue there), not that the peer is down: that catalogue is skipped, the sync goes on.
 */
const UNREADABLE: ReadonlySet<number> = new Set([401, 403, 404]);

/** What the fetch of a whole snapshot gathered, for {@link finishSnapshot}. */
export interface GatheredSnapshot {
  /** The validators of the pages of the last snapshot. */
  readonly known: ReadonlyMap<string, SourceValidators>;
  readonly pages: readonly SnapshotPage[];
  readonly sources: ReadonlyMap<string, SourceValidators>;
  readonly quarantine: Quarantine;
  readonly notModified: number;
  /** Decoded bytes of the pages. */
  readonly bytes: number;
  /** Bytes received (compressed, when the peer compressed); the decoded ones when not counted apart. */
  readonly wireBytes?: number;
}

/**
 * Merges a complete snapshot gathered whole (a pod's documents, fetched several at a time) and applies it in one
 * transaction (or writes nothing when nothing changed), as {@link snapshotSync} does page by page.
 *
 * @param parts - the sync's parts
 * @param run - the peer and the run
 * @param gathered - the pages fetched, their validators, and what was quarantined while decoding them
 */
export async function finishSnapshot(parts: SyncParts, run: SyncRun, gathered: GatheredSnapshot): Promise<PeerSyncOutcome> {
  const { pages, ...end } = gathered;
  const staged = new StagedSnapshot(parts, run);
  try {
    for (const page of pages) {
      if (page.status === 304) staged.unchangedPage(page.url);
      else await staged.page(page.url, page.records);
    }
    return await staged.finish({ ...end, pages: pages.length });
  } finally {
    await staged.end();
  }
}
