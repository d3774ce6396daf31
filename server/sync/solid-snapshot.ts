/**
 * Snapshot sync of a peer of kind `solid`: a Solid pod (or a WebID whose public type index says where its DFC
 * catalogue is). Its catalogue is found through the type index's registrations of DFC classes, or by walking the
 * container the peer URL names (`ldp:contains`, down into sub-containers); each document is read conditionally
 * through the same page fetch as any peer (safe fetch: size and time limits, SSRF rules, the whole-sync
 * deadline), decoded by the same decoder, and merged by the same rules (authority by origin, quarantine,
 * withdrawal) in one transaction ({@link finishSnapshot}).
 *
 * What a pod says is untrusted: only URLs on the peer's origin are followed, a container's children only when
 * they are under it, and the walk is bounded in depth, pages and bytes.
 *
 * @packageDocumentation
 */
import { Parser, type Quad } from 'n3';
import { DCTERMS } from '../../ontology/streams.js';
import { DFC_NAMESPACES } from '../../ontology/namespaces.js';
import { DFC_B, DFC_B_2_0, LDP, PIM, RDF, SOLID } from '../../ontology/vocabulary.js';
import type { DfcRecord } from '../../ontology/records.js';
import { failure, type Failure } from '../errors/failure.js';
import type { PeerKind, SourceValidators } from '../store/federation.js';
import type { SnapshotPage } from './merge.js';
import { decoderInput, pageMediaType, type FetchedPage, type FetchOutcome } from './peer-fetch.js';
import { finishSnapshot } from './snapshot.js';
import { skolemise } from './skolem.js';
import { Quarantine } from './staged-snapshot.js';
import {
  credentials, decodePage, kept, MAX_PAGES, sameOrigin, SNAPSHOT_BUDGET, type PageFetch, type PeerSyncOutcome, type SyncParts, type SyncRun,
} from './sync-context.js';

/** What a pod is asked for: Turtle first (every Solid server speaks it), JSON-LD after. */
const ACCEPT = 'text/turtle, application/ld+json;q=0.8, application/n-triples;q=0.5';

/** Documents of a pod fetched at once. */
export const FETCH_CONCURRENCY = 6;

/** Deepest sub-container walked below a catalogue container. */
export const MAX_CONTAINER_DEPTH = 4;

/**
 * The DFC classes whose type index registrations point at a catalogue, in every generation of the DFC namespaces
 * (a pod written by another DFC tool may register the 2.0 IRIs).
 */
const CATALOGUE_CLASSES: readonly string[] = Object.values(DFC_NAMESPACES).flatMap((ns) =>
  ['SuppliedProduct', 'CatalogItem', 'Enterprise', 'Organization', 'Offer', 'Catalog'].map((local) => `${ns['dfc-b']}${local}`));

/** The URL without its fragment. */
function documentOf(url: string): string {
  return url.split('#')[0] ?? url;
}

/** The triples of a Turtle (or N-Triples) page; none when it is not RDF text we can parse. */
function triplesOf(page: FetchedPage): Quad[] {
  const mediaType = pageMediaType(page);
  if (page.body === undefined || !['text/turtle', 'application/n-triples'].includes(mediaType)) return [];
  try {
    return new Parser({ format: mediaType, baseIRI: page.url }).parse(page.body);
  } catch {
    return [];
  }
}

function objects(triples: readonly Quad[], subject: string | undefined, predicate: string): string[] {
  return triples.filter((t) => (subject === undefined || t.subject.value === subject) && t.predicate.value === predicate && t.object.termType === 'NamedNode')
    .map((t) => t.object.value);
}

/** Whether a page describes `url` as an LDP container. */
function isContainer(triples: readonly Quad[], url: string): boolean {
  const types = objects(triples, url, RDF.type);
  return types.includes(LDP.Container) || types.includes(LDP.BasicContainer);
}

/** Whether a page is a WebID profile (or a pod's description of itself). */
function isWebIdProfile(triples: readonly Quad[]): boolean {
  const profile: readonly string[] = [SOLID.publicTypeIndex, SOLID.oidcIssuer, PIM.storage];
  return triples.some((t) => profile.includes(t.predicate.value));
}

/**
 * What kind of peer a URL is: `solid` when it answers as an LDP container or a WebID profile, `dfc` otherwise
 * (a DFC node, an unreachable URL: the sync will say).
 *
 * @param url - the peer's URL
 * @param fetch - the page fetch (the node's limits and address rules)
 */
export async function detectPeerKind(url: string, fetch: PageFetch): Promise<PeerKind> {
  const fetched = await fetch({ url, accept: ACCEPT });
  if (!fetched.ok || fetched.page.status !== 200) return 'dfc';
  const triples = triplesOf(fetched.page);
  return isContainer(triples, fetched.page.url) || isWebIdProfile(triples) ? 'solid' : 'dfc';
}

/**
 * Keeps the records a pod document says about the DFC: any DFC kind, or another resource with a DFC type (one only
 * DFC 2.0 defines, `dfc-b:ProductOption`, is kept under its 2.0 IRI).
 */
function dfcRecords(records: readonly DfcRecord[]): DfcRecord[] {
  return records.filter((r) => r.kind !== 'Resource' || r.types.some((t) => t.startsWith(DFC_B.namespace) || t.startsWith(DFC_B_2_0.namespace)));
}

/** One thing to read: a container (walked) or a document (decoded). */
interface Target {
  readonly url: string;
  readonly container: boolean;
  readonly depth: number;
  /** The page, when finding the roots fetched it already (not fetched twice). */
  readonly page?: FetchedPage;
  /** When its container's listing says it was last modified (`dc:modified`, as written), if it says. */
  readonly listed?: string;
}

/** The `dc:modified` a container's listing gives each member, as written. */
function listedModified(triples: readonly Quad[]): Map<string, string> {
  const listed = new Map<string, string>();
  for (const t of triples) if (t.predicate.value === DCTERMS.modified && t.object.termType === 'Literal') listed.set(t.subject.value, t.object.value);
  return listed;
}

/** Whether a stored validator is a listed `dc:modified` (ISO 8601), which is no HTTP date to send as If-Modified-Since. */
function isListedTime(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T/u.test(value);
}

/**
 * Where the catalogue of a pod peer is: its URL as a container or a document, or, for a WebID, the containers
 * and documents its public type index registers for DFC classes.
 */
async function rootsOf(parts: SyncParts, run: SyncRun): Promise<{ roots: Target[] } | { failure: Failure }> {
  const { peer } = run;
  const fetched = await parts.fetch({ url: peer.url, accept: ACCEPT, ...credentials(peer) });
  if (!fetched.ok) return { failure: fetched.failure };
  const page = fetched.page;
  const triples = triplesOf(page);
  const url = page.url;
  if (isContainer(triples, url) || url.endsWith('/')) return { roots: [{ url, container: true, depth: 0, page }] };
  const indexes = objects(triples, undefined, SOLID.publicTypeIndex).filter((i) => sameOrigin(i, peer.url));
  if (indexes.length === 0) {
    if (isWebIdProfile(triples)) return { failure: failure('not-dfc', 'the WebID has no public type index on its own origin: give the URL of the catalogue\'s container instead', peer.url) };
    return { roots: [{ url, container: false, depth: 0, page }] };
  }
  const roots: Target[] = [];
  for (const index of indexes.slice(0, 2)) {
    const read = await parts.fetch({ url: documentOf(index), accept: ACCEPT, ...credentials(peer) });
    if (!read.ok) return { failure: read.failure };
    const registrations = triplesOf(read.page);
    const registered = new Set(registrations.filter((t) => t.predicate.value === SOLID.forClass && CATALOGUE_CLASSES.includes(t.object.value)).map((t) => t.subject.value));
    for (const registration of registered) {
      for (const container of objects(registrations, registration, SOLID.instanceContainer)) roots.push({ url: container, container: true, depth: 0 });
      for (const instance of objects(registrations, registration, SOLID.instance)) roots.push({ url: documentOf(instance), container: false, depth: 0 });
    }
  }
  const safe = roots.filter((r) => sameOrigin(r.url, peer.url));
  if (safe.length === 0) return { failure: failure('not-dfc', 'the public type index registers no DFC catalogue on the pod\'s origin', peer.url) };
  return { roots: safe };
}

/** Failures of one document that mean "not part of the catalogue" rather than "the pod is failing". */
function skippable(f: Failure): boolean {
  return f.kind === 'not-dfc' || (f.kind === 'http-status' && [401, 403, 404, 410].includes(f.status ?? 0));
}

/**
 * Syncs a pod peer from a full snapshot of its catalogue.
 *
 * @param parts - the sync's parts
 * @param run - the peer and the run
 */
export async function solidSnapshotSync(parts: SyncParts, run: SyncRun): Promise<PeerSyncOutcome> {
  const { provenance, policy } = parts;
  const { peer, onProgress } = run;
  const failed = (f: Failure): PeerSyncOutcome => ({ ok: false, peer, failure: f });
  const known = await provenance.sources(peer.id);
  const found = await rootsOf(parts, run);
  if ('failure' in found) return failed(found.failure);

  const queue: Target[] = [];
  const queued = new Set<string>();
  const enqueue = (target: Target): void => {
    if (queued.has(target.url) || !sameOrigin(target.url, peer.url)) return;
    queued.add(target.url);
    queue.push(target);
  };
  for (const root of found.roots) enqueue(root);
  const pages: SnapshotPage[] = [];
  const sources = new Map<string, SourceValidators>();
  const quarantine = new Quarantine();
  let bytes = 0;
  let wireBytes = 0;
  let notModified = 0;
  let fetchedCount = 0;

  // A document whose container lists the same modification time as when we last read it is not asked again: a
  // pod that does not change that time when it changes a document only hides its own change. Containers are read
  // whole every time (one request each), so that what they list is current.
  const unchangedByListing = (target: Target): boolean =>
    !target.container && target.listed !== undefined && known.get(target.url)?.lastModified === target.listed;
  const fetchTarget = (target: Target): Promise<FetchOutcome> | undefined => {
    if (target.page !== undefined) return Promise.resolve({ ok: true, page: target.page });
    if (unchangedByListing(target)) return undefined;
    const validators = target.container ? undefined : known.get(target.url);
    return parts.fetch({
      url: target.url, accept: ACCEPT, ...credentials(peer),
      ...(validators?.etag != null ? { etag: validators.etag } : {}),
      ...(validators?.lastModified != null && !isListedTime(validators.lastModified) ? { lastModified: validators.lastModified } : {}),
    });
  };

  while (queue.length > 0) {
    // A few documents fetched at once (a pod is many small documents: latency, not bandwidth, is the cost), then
    // handled in the order they were queued, so the outcome does not depend on which answered first.
    const batch = queue.splice(0, FETCH_CONCURRENCY);
    if (fetchedCount + batch.length > MAX_PAGES) return failed(failure('too-large', `more than ${MAX_PAGES} documents in one pod snapshot`, peer.url));
    fetchedCount += batch.length;
    const outcomes = await Promise.all(batch.map(fetchTarget));
    for (const [i, target] of batch.entries()) {
      const validators = known.get(target.url);
      const fetched = outcomes[i] ?? (validators !== undefined ? { ok: true, page: { url: target.url, status: 304, bytes: 0 } } as const : undefined);
      if (fetched === undefined) continue;
      if (!fetched.ok) {
        // A document the pod does not let us read, or that is no RDF (an image in the container): not catalogue.
        if (!target.container && skippable(fetched.failure)) continue;
        return failed(fetched.failure);
      }
      const page = fetched.page;
      bytes += page.bytes;
      wireBytes += 'wireBytes' in page && page.wireBytes !== undefined ? page.wireBytes : page.bytes;
      if (bytes > policy.maxBytes * SNAPSHOT_BUDGET) return failed(failure('too-large', `the pod snapshot exceeds ${policy.maxBytes * SNAPSHOT_BUDGET} bytes`, target.url));
      // A document's validators: its ETag, and the time its container listed (else its Last-Modified).
      const etag = page.status === 304 ? validators?.etag ?? null : page.etag ?? null;
      const lastModified = target.listed ?? (page.status === 304 ? validators?.lastModified ?? null : page.lastModified ?? null);
      sources.set(target.url, { etag, lastModified });
      if (page.status === 304) {
        notModified++;
        pages.push({ url: target.url, status: 304 });
        // An unchanged container hides its members: read again every document the last snapshot read under it.
        if (target.container) {
          for (const previous of known.keys()) {
            if (previous !== target.url && previous.startsWith(target.url)) enqueue({ url: previous, container: previous.endsWith('/'), depth: target.depth + 1 });
          }
        }
      } else if (target.container) {
        pages.push({ url: target.url, status: 200, records: [] });
        const base = page.url;
        const listing = triplesOf(page);
        const listed = listedModified(listing);
        for (const member of objects(listing, base, LDP.contains)) {
          // Only the container's own members: a listing cannot send us elsewhere in the pod, or off it.
          if (!member.startsWith(base) || member === base || member.includes('#')) continue;
          const container = member.endsWith('/');
          if (container && target.depth + 1 > MAX_CONTAINER_DEPTH) continue;
          const modified = listed.get(member);
          enqueue({ url: member, container, depth: target.depth + 1, ...(modified !== undefined ? { listed: modified } : {}) });
        }
      } else {
        const decoding = await decodePage(parts.decoder, decoderInput(page), { mediaType: pageMediaType(page), base: page.url }, target.url);
        if (!decoding.ok) return failed(decoding.failure);
        const { decoded } = decoding;
        const documentErrors = decoded.problems.filter((p) => p.id === null && p.severity === 'error');
        if (documentErrors.length > 0) {
          // One broken document of the pod is quarantined under its URL; the rest of the catalogue is read.
          quarantine.set(target.url, { iri: target.url, type: null, problems: documentErrors });
          pages.push({ url: target.url, status: 200, records: [] });
          continue;
        }
        for (const rejected of decoded.rejected) quarantine.set(rejected.id, { iri: rejected.id, type: rejected.type, problems: [...rejected.problems] });
        pages.push({ url: target.url, status: 200, records: kept(skolemise(dfcRecords(decoded.records), peer.origin)) });
      }
    }
    onProgress?.({ pages: pages.length, queued: queue.length, bytes });
  }
  return finishSnapshot(parts, run, { known, pages, sources, quarantine, notModified, bytes, wireBytes });
}
