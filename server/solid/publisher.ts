/**
 * Publishes an enterprise's catalogue into a Solid pod container, incrementally: a document whose Turtle did not
 * change is not written; a changed one is written with `If-Match` on the ETag the pod gave last time, a new one
 * with `If-None-Match: *`; the documents of removed products are deleted (conditionally too). A document that
 * changed in the pod behind our back (412, or 409) is reported and left as it is, unless the operator forces.
 *
 * The pod is a target the operator chose, not a peer: it is written with the fetch given (a login session's,
 * or the global one), each request under a deadline.
 *
 * @packageDocumentation
 */
import type { SolidLedger } from '../store/solid.js';
import { podLayout, type LayoutEntry, type PodDocument } from './layout.js';
import type { DfcRecord, SuppliedProductRecord } from '../../ontology/records.js';

/** What the publisher reads of the catalogue (the catalogue service, passed in by the composition root). */
export interface CatalogueSource {
  enterpriseGraph(eid: string): Promise<{ readonly records: readonly DfcRecord[] }>;
  catalogue(eid: string): Promise<{ readonly entries: readonly LayoutEntry[]; readonly groups: ReadonlyMap<string, SuppliedProductRecord> }>;
  otherResources(eid: string): Promise<readonly DfcRecord[]>;
}

/** A fetch (a login session's, or the global one). */
export type PodFetch = typeof fetch;

/** Options of {@link publishToPod}. */
export interface PublishOptions {
  readonly eid: string;
  /** The publication's container: absolute, with a final slash (see {@link containerUrl}). */
  readonly container: string;
  readonly catalogue: CatalogueSource;
  readonly ledger: SolidLedger;
  readonly fetch: PodFetch;
  /** Overwrite documents changed in the pod behind our back (default false: report them). */
  readonly force?: boolean;
  /** Deadline of each request to the pod, in ms (default 30 s). */
  readonly timeoutMs?: number;
  /** Requests to the pod in flight at once (default {@link DEFAULT_CONCURRENCY}). */
  readonly concurrency?: number;
  readonly now?: () => Date;
}

/** A document not written, and why. */
export interface PublishConflict {
  readonly url: string;
  /** The pod's status (412 or 409: changed behind our back; other: refused). */
  readonly status: number;
  readonly message: string;
}

/** What a publication did. */
export interface PublishSummary {
  readonly container: string;
  /** URLs written (created or replaced). */
  readonly written: readonly string[];
  readonly created: number;
  /** URLs deleted (products removed). */
  readonly deleted: readonly string[];
  readonly unchanged: number;
  readonly conflicts: readonly PublishConflict[];
  readonly ms: number;
}

/**
 * The container of a publication: `container` (default `dfc/<eid>/`) resolved against the pod URL, with a final
 * slash. It must stay under the pod URL: a `..` or an absolute URL elsewhere is refused.
 *
 * @throws Error naming what is wrong
 */
export function containerUrl(pod: string, eid: string, container?: string): string {
  let podUrl: URL;
  try {
    podUrl = new URL(pod);
  } catch {
    throw new Error(`--pod ${JSON.stringify(pod)} is not a URL`);
  }
  if (podUrl.protocol !== 'http:' && podUrl.protocol !== 'https:') throw new Error('--pod must be an http or https URL');
  if (podUrl.search !== '' || podUrl.hash !== '') throw new Error('--pod must have no query or fragment');
  const base = podUrl.href.endsWith('/') ? podUrl.href : `${podUrl.href}/`;
  const path = container ?? `dfc/${encodeURIComponent(eid)}/`;
  if (/^[a-z][a-z0-9+.-]*:/iu.test(path) || path.startsWith('/') || path.split('/').some((s) => s === '..' || s === '.')) {
    throw new Error(`--container must be a relative path inside the pod, without . or .. (got ${JSON.stringify(path)})`);
  }
  const url = new URL(path.endsWith('/') ? path : `${path}/`, base).href;
  if (!url.startsWith(base) || url.includes('?') || url.includes('#')) throw new Error(`--container ${JSON.stringify(path)} leaves the pod`);
  return url;
}

/** The documents of an enterprise's publication, read from the catalogue. */
export async function documentsOf(catalogue: CatalogueSource, eid: string, container: string): Promise<PodDocument[]> {
  const { records: profile } = await catalogue.enterpriseGraph(eid);
  const { entries, groups } = await catalogue.catalogue(eid);
  const categories = (await catalogue.otherResources(eid)).filter((r) => r.kind === 'CustomerCategory');
  return podLayout({ container, profile, entries, groups: [...groups.values()], categories });
}

/** Default of {@link PublishOptions.concurrency}: a few writes in flight hide the pod's latency, without flooding it. */
export const DEFAULT_CONCURRENCY = 6;

/** Runs `work` on every item, at most `limit` at once. */
async function inPool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/** The first bytes of a body (a pod's error page is not read whole). */
async function head(response: Response, limit = 2048): Promise<string> {
  const reader = response.body?.getReader();
  if (reader === undefined) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // what was read is enough for a message
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8', 0, Math.min(size, limit));
}

/** Why a response refused a write, in a line. */
async function refusal(response: Response): Promise<string> {
  const text = (await head(response)).replace(/\s+/gu, ' ').trim().slice(0, 200);
  return `${response.status} ${response.statusText}${text !== '' ? `: ${text}` : ''}`;
}

/**
 * Publishes (or brings up to date) one enterprise's catalogue in a pod container.
 *
 * @returns what was written, deleted, left unchanged, and the conflicts (never thrown: reported)
 * @throws Error when the pod cannot be reached at all
 */
export async function publishToPod(options: PublishOptions): Promise<PublishSummary> {
  const started = Date.now();
  const now = options.now ?? (() => new Date());
  const timeout = options.timeoutMs ?? 30_000;
  // A pod that redirects a write would have our documents (and our login) sent elsewhere: refused.
  const send = (url: string, init: RequestInit): Promise<Response> => options.fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(timeout) });
  const documents = await documentsOf(options.catalogue, options.eid, options.container);
  const held = new Map((await options.ledger.published(options.container)).map((r) => [r.url, r]));
  const written: string[] = [];
  const deleted: string[] = [];
  const conflicts: PublishConflict[] = [];
  let created = 0;
  let unchanged = 0;

  const limit = options.concurrency ?? DEFAULT_CONCURRENCY;
  // The documents in a stable order, whatever order the writes end in (the report lists them so).
  const order = new Map(documents.map((d, i) => [d.url, i]));
  await inPool(documents, limit, async (doc) => {
    const previous = held.get(doc.url);
    if (previous !== undefined && previous.hash === doc.hash && options.force !== true) {
      unchanged++;
      return;
    }
    const headers: Record<string, string> = { 'content-type': 'text/turtle' };
    // Replace only what we wrote, create only what is not there: anything else changed behind our back.
    if (options.force !== true) {
      if (previous?.etag != null) headers['if-match'] = previous.etag;
      else if (previous === undefined) headers['if-none-match'] = '*';
    }
    const response = await send(doc.url, { method: 'PUT', headers, body: doc.turtle });
    if (!response.ok) {
      const message = await refusal(response);
      conflicts.push({
        url: doc.url, status: response.status,
        message: response.status === 412 || response.status === 409
          ? `changed in the pod since we published it (${previous === undefined ? 'it exists already, and was not written by this node' : 'its ETag is not the one we wrote'}); not overwritten: check it, then publish with --force to replace it`
          : `refused by the pod: ${message}`,
      });
      return;
    }
    await response.body?.cancel();
    if (previous === undefined) created++;
    written.push(doc.url);
    const etag = response.headers.get('etag') ?? (await send(doc.url, { method: 'HEAD' }).then((r) => (r.ok ? r.headers.get('etag') : null), () => null));
    await options.ledger.record({ url: doc.url, container: options.container, eid: options.eid, hash: doc.hash, etag, publishedAt: now().toISOString() });
  });

  const current = new Set(documents.map((d) => d.url));
  await inPool([...held.values()].filter((p) => !current.has(p.url)), limit, async (previous) => {
    const headers: Record<string, string> = {};
    if (options.force !== true && previous.etag !== null) headers['if-match'] = previous.etag;
    const response = await send(previous.url, { method: 'DELETE', headers });
    if (response.ok || response.status === 404) {
      await response.body?.cancel();
      deleted.push(previous.url);
      await options.ledger.forget(previous.url);
    } else {
      const message = await refusal(response);
      conflicts.push({
        url: previous.url, status: response.status,
        message: response.status === 412 || response.status === 409
          ? 'its product was removed, but the document changed in the pod since we published it; not deleted: check it, then publish with --force'
          : `not deleted, refused by the pod: ${message}`,
      });
    }
  });
  const byUrl = (x: string, y: string): number => (order.get(x) ?? 0) - (order.get(y) ?? 0) || (x < y ? -1 : x > y ? 1 : 0);
  written.sort(byUrl);
  deleted.sort(byUrl);
  conflicts.sort((x, y) => byUrl(x.url, y.url));
  return { container: options.container, written, created, deleted, unchanged, conflicts, ms: Date.now() - started };
}
