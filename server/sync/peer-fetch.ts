/**
 * One page of a peer's DFC data, as the sync reads it: `Accept` for DFC, the peer's credential, conditional
 * headers, an answer that must be a format the decoder reads, the next page's link, and the body parsed once
 * when it is JSON. The transport and all its limits are {@link safeFetch}'s.
 *
 * @packageDocumentation
 */
import type { Agent, IncomingHttpHeaders } from 'node:http';
import { isJsonMediaType } from '../codec/decode.js';
import { jsonTextExcess } from '../codec/limits.js';
import { RDF_FORMATS } from '../codec/read-rdf.js';
import { failure, type Failure } from '../errors/failure.js';
import { linkedSignal } from '../net/linked-signal.js';
import { bodyText, clip, DEFAULT_FETCH_POLICY, notUtf8At, safeFetch, type FetchPolicy, type HeadRefusal, type SafeFetch } from '../net/safe-fetch.js';
import { nextFromJson, nextFromLinkHeader } from './paging.js';

/** The `Accept` header sent when the request names none: JSON-LD first, then plain JSON, then Turtle. */
export const DEFAULT_ACCEPT = 'application/ld+json;q=1, application/json;q=0.9, text/turtle;q=0.8';

/**
 * The `Prefer` header of every page asked for (LDP Paging, RFC 7240): a catalogue in pages of at most a thousand
 * products, each decoded and merged as it arrives, rather than the whole catalogue in one answer, which a Maillon node
 * (as Open Food Network) gives a client that asks for no pages. A server that knows no such preference ignores it.
 */
export const PREFER_PAGES = 'return=representation; max-member-count="1000"';

/** What to fetch, and how to authenticate and revalidate. */
export interface PageRequest {
  /** Absolute `http:` or `https:` URL. */
  url: string;
  /** `Accept` header (default {@link DEFAULT_ACCEPT}). */
  accept?: string;
  /** Credential for the peer; dropped when a redirect leaves the origin it was given for. */
  token?: string;
  /** How the token is sent: `Authorization: Bearer <token>` (default) or `X-Api-Token: <token>`. */
  tokenHeader?: 'authorization' | 'x-api-token';
  /** ETag of the copy we hold, sent as `If-None-Match`. */
  etag?: string;
  /** `Last-Modified` of the copy we hold, sent as `If-Modified-Since`. */
  lastModified?: string;
  /**
   * A keep-alive pool for the origin of `url` (a sync's own, for its peer's pages: see {@link SafeRequest.agent}),
   * so that the pages of a snapshot share one connection instead of opening and closing one each.
   */
  agent?: Agent;
  /**
   * Leave a JSON body unparsed ({@link FetchedPage.unparsed}): the caller parses it where it decodes it ({@link parsePage}),
   * a snapshot's page in the decoding worker, so that the event loop never holds a big page's `JSON.parse`.
   */
  unparsed?: boolean;
  /**
   * Gives the fetch up when it fires (a failure of kind `stopped`), besides the policy's signal (the node stopping): a
   * snapshot's next page read ahead is given up, download and all, when its run ends before coming to it.
   */
  signal?: AbortSignal;
}

/** A page fetched successfully, or confirmed unchanged (304). */
export interface FetchedPage {
  /** Final URL, after redirects (without fragment); the base for relative IRIs in the body. */
  url: string;
  /** 200 for any 2xx answer with a body; 304 when the copy we hold is still current. */
  status: 200 | 304;
  /** The body decoded as UTF-8 (absent for 304). */
  body?: string;
  /**
   * The body parsed, when it is JSON (by its media type, or for want of one) and parses: a page is parsed
   * once, here, and the value handed on (paging links, the JSON-LD check, the decoder).
   */
  json?: { readonly value: unknown };
  /** The `Content-Type` header as sent (absent if the peer sent none). */
  contentType?: string;
  /** `ETag` of the page (for 304, the peer's or else the one we sent). */
  etag?: string;
  /** `Last-Modified` of the page (for 304, the peer's or else the one we sent). */
  lastModified?: string;
  /** Body size in bytes, decoded (what the limits count). */
  bytes: number;
  /** Body size in bytes as received: smaller than {@link FetchedPage.bytes} when the peer compressed it. */
  wireBytes?: number;
  /**
   * Absolute http(s) URL of the next page, from a `Link: rel="next"` header or a JSON body's paging links (these once
   * the page is parsed: see {@link FetchedPage.unparsed}).
   */
  next?: string;
  /**
   * Set when the page was asked for {@link PageRequest.unparsed}: its body is not parsed yet, nor counted against the
   * JSON limits, nor its paging links read ({@link parsePage} does all three); the HTTP status it came with, for a
   * failure of those.
   */
  unparsed?: { readonly status: number };
}

/** The outcome of {@link fetchPage}: a page or a failure, never an exception for peer behaviour. */
export type FetchOutcome = { ok: true; page: FetchedPage } | { ok: false; failure: Failure };

/**
 * Fetches one page of a peer's DFC data.
 *
 * Besides {@link safeFetch}'s failures, an answer in a media type the decoder does not read (an HTML login
 * page, say) is a `not-dfc` failure, refused before its body is read; so is one in a content encoding we did
 * not ask for (the fetcher's `bad-encoding`, named for what it means to a sync).
 *
 * @param request - URL, accept header, credentials and validators
 * @param policy - limits (default {@link DEFAULT_FETCH_POLICY})
 * @param transport - the HTTP client (default {@link safeFetch}; tests pass their own)
 */
export async function fetchPage(request: PageRequest, policy: FetchPolicy = DEFAULT_FETCH_POLICY, transport: SafeFetch = safeFetch): Promise<FetchOutcome> {
  const headers: Record<string, string> = { accept: request.accept ?? DEFAULT_ACCEPT, prefer: PREFER_PAGES };
  if (request.etag !== undefined) headers['if-none-match'] = request.etag;
  if (request.lastModified !== undefined) headers['if-modified-since'] = request.lastModified;
  const credential = request.token === undefined ? undefined : peerCredential(request.token, request.tokenHeader);
  const { signal, release } = eitherSignal(policy.signal, request.signal);
  let fetched: Awaited<ReturnType<SafeFetch>>;
  try {
    fetched = await transport({
      url: request.url, headers, ...(credential !== undefined ? { credential } : {}), ...(request.agent !== undefined ? { agent: request.agent } : {}),
      checkHead: checkDfcHead,
    }, signal === policy.signal ? policy : { ...policy, signal });
  } finally {
    release();
  }
  if (!fetched.ok) {
    // The fetcher refuses an encoding we did not ask for; for a peer's page that answer is no DFC document
    // either (discovery reads `not-dfc` as "absent", and the stored error names it so).
    return fetched.failure.kind === 'bad-encoding' ? { ok: false, failure: { ...fetched.failure, kind: 'not-dfc' } } : fetched;
  }
  const { response } = fetched;
  const etag = response.headers.etag;
  const lastModified = response.headers['last-modified'];
  if (response.status === 304) {
    // Not Modified answers a conditional request only (RFC 9110 §15.4.5): to one without validators it says
    // nothing about the page, and taken as "unchanged" it would keep (or, on a first sync, withdraw) what it hides.
    if (request.etag === undefined && request.lastModified === undefined) {
      return { ok: false, failure: failure('decode', '304 Not Modified to a request without If-None-Match or If-Modified-Since', response.url, 304) };
    }
    const page: FetchedPage = { url: response.url, status: 304, bytes: 0, wireBytes: 0 };
    const tag = etag ?? request.etag;
    const modified = lastModified ?? request.lastModified;
    if (tag !== undefined) page.etag = tag;
    if (modified !== undefined) page.lastModified = modified;
    return { ok: true, page };
  }
  // A page that is not the UTF-8 it is read as: its texts would be kept with U+FFFD for its bytes, for good (as a
  // write of ours refuses such a body). The sync fails instead, saying where, and keeps what it held.
  const badByte = notUtf8At(response);
  if (badByte !== undefined) {
    return { ok: false, failure: failure('not-dfc', `the page is not valid UTF-8 (byte ${badByte}), as JSON and DFC documents must be: nothing of it was read`, response.url, response.status) };
  }
  const body = bodyText(response);
  const page: FetchedPage = { url: response.url, status: 200, body, bytes: response.body.length, wireBytes: response.wireBytes ?? response.body.length };
  const contentType = response.headers['content-type'];
  if (contentType !== undefined) page.contentType = contentType;
  if (etag !== undefined) page.etag = etag;
  if (lastModified !== undefined) page.lastModified = lastModified;
  const linked = nextFromLinkHeader(headerText(response.headers.link), new URL(response.url));
  if (linked !== undefined) page.next = linked;
  if (request.unparsed === true) {
    page.unparsed = { status: response.status };
    return { ok: true, page };
  }
  const refused = parsePage(page, response.status);
  return refused === undefined ? { ok: true, page } : { ok: false, failure: refused };
}

/**
 * Parses a page's body once when it is JSON (by its media type, or for want of one), into {@link FetchedPage.json},
 * and reads its next page there when no `Link` header named one; the page's failure when its text is over the JSON
 * limits. {@link fetchPage} does it, or, for a page asked for {@link PageRequest.unparsed}, whoever decodes it.
 *
 * @param page - a page answered 200 (changed in place)
 * @param status - the HTTP status it came with, for the failure
 */
export function parsePage(page: FetchedPage, status: number): Failure | undefined {
  const body = page.body ?? '';
  delete page.unparsed;
  if (page.contentType === undefined || isJsonMediaType(mediaTypeOf(page.contentType))) {
    // Counted before it is parsed: `JSON.parse` of 15 million `{}` (45 MB) held the event loop for 8 s, and 24 million
    // `1`s exhausted the heap in the walks after it. A page over the limits fails its own sync, as one over the size limit.
    const excess = jsonTextExcess(body);
    if (excess !== undefined) return failure(excess.code === 'too-large' ? 'too-large' : 'decode', excess.message, page.url, status);
    try {
      page.json = { value: JSON.parse(body) as unknown };
    } catch {
      // Not JSON after all: reporting the syntax error is the decoder's job.
    }
  }
  // A `Link` header's next page first, else the body's.
  if (page.next === undefined && page.json !== undefined) {
    const next = nextFromJson(page.json.value, new URL(page.url));
    if (next !== undefined) page.next = next;
  }
  return undefined;
}

/**
 * A signal that fires when either fires, and what stops it listening to them; one of them alone when the other is
 * undefined (no controller made for a fetch without a signal of its own).
 */
function eitherSignal(a: AbortSignal | undefined, b: AbortSignal | undefined): { signal: AbortSignal | undefined; release: () => void } {
  if (b === undefined) return { signal: a, release: () => undefined };
  if (a === undefined) return { signal: b, release: () => undefined };
  return linkedSignal(a, b);
}

/**
 * A peer's token as the credential header it is sent in: `Authorization: Bearer <token>` (default) or
 * `X-Api-Token: <token>`.
 *
 * @param token - the token
 * @param tokenHeader - how the peer takes it
 */
export function peerCredential(token: string, tokenHeader: PageRequest['tokenHeader']): { header: string; value: string } {
  return tokenHeader === 'x-api-token' ? { header: 'x-api-token', value: token } : { header: 'authorization', value: `Bearer ${token}` };
}

/**
 * A DFC page's head: a media type the decoder reads (or none). The identity encoding we asked for is
 * checked by the fetcher itself, after this.
 */
function checkDfcHead(headers: IncomingHttpHeaders): HeadRefusal | undefined {
  const contentType = headers['content-type'];
  if (contentType !== undefined && !isDfcMediaType(mediaTypeOf(contentType))) {
    return { kind: 'not-dfc', message: `content type ${clip(contentType, 100)} is not a DFC format` };
  }
  return undefined;
}

/**
 * The media type of a page, lower case, without parameters; JSON-LD when the peer named none.
 *
 * @param page - the page
 */
export function pageMediaType(page: FetchedPage): string {
  return page.contentType === undefined ? 'application/ld+json' : mediaTypeOf(page.contentType);
}

/**
 * What to hand the decoder for a page: the parsed JSON when there is an object of it, else the text (the
 * decoder then reads RDF, or reports precisely why the JSON is no good).
 *
 * @param page - a page answered 200
 */
export function decoderInput(page: FetchedPage): string | object {
  const value = page.json?.value;
  return typeof value === 'object' && value !== null ? value : page.body ?? '';
}

/** A header as one string (Node joins repeated `Link` headers with `, ` already; the type allows an array). */
function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The media type of a `Content-Type` value, lower case, without parameters. */
function mediaTypeOf(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

/** Whether the decoder reads this media type (JSON, JSON-LD, or one of its RDF syntaxes). */
function isDfcMediaType(mediaType: string): boolean {
  return isJsonMediaType(mediaType) || RDF_FORMATS[mediaType] !== undefined;
}
