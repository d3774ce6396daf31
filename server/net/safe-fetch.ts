/**
 * The node's one outbound HTTP client: every request to another party (a peer's catalogue, a webhook, a
 * subscription, an order, a Solid pod) goes through {@link safeFetch}.
 *
 * The other party is untrusted. It may be slow on purpose, send more than it announced or less, redirect
 * forever, or resolve to an address inside our own network (SSRF). Every such behaviour comes back as a
 * {@link Failure} value; nothing here throws because of what the other party did, so a caller can record the
 * failure and move on.
 *
 * `node:http`/`node:https` are used directly rather than `fetch` because `fetch` gives no control over the
 * address actually connected to (DNS rebinding), no separate connect timeout, and no way to stop reading at
 * a byte limit before buffering.
 *
 * @packageDocumentation
 */
import type { LookupAddress } from 'node:dns';
import http, { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { LookupFunction, Socket } from 'node:net';
import { createBrotliDecompress, createGunzip, type BrotliDecompress, type Gunzip } from 'node:zlib';
import { TextDecoder } from 'node:util';
import { isUtf8 } from 'node:buffer';
import { failure, type Failure, type FailureKind } from '../errors/failure.js';
import { checkPublicHost } from './public-host.js';

/** Limits applied to one {@link safeFetch} call. */
export interface FetchPolicy {
  /** Time to resolve the host and establish the connection (TCP, and TLS for `https:`), per hop. */
  connectTimeoutMs: number;
  /** Deadline for the whole call, from the start to the last body byte, across every redirect hop. */
  totalTimeoutMs: number;
  /**
   * Largest body accepted, in bytes once decoded: a compressed body is refused as soon as its decoded bytes pass
   * this, however small it was on the wire (a compression bomb costs at most this much memory).
   */
  maxBytes: number;
  /** Largest body accepted as received, compressed or not (default {@link FetchPolicy.maxBytes}). */
  maxEncodedBytes?: number;
  /**
   * Whether the client asks for compressed answers (`Accept-Encoding: br, gzip`) and decodes them (default
   * true); false asks for `identity` and refuses any coding.
   */
  compressed?: boolean;
  /** Redirects followed; one more is a failure. */
  maxRedirects: number;
  /** Whether loopback, private, link-local and other non-public addresses may be contacted (tests, LANs). */
  allowPrivate: boolean;
  /** `User-Agent` header (default {@link DEFAULT_USER_AGENT}). */
  userAgent?: string;
  /**
   * Aborts the call when it fires (a failure of kind `stopped`): the node is stopping, and a peer that answers slowly
   * must not hold the stop until the deadline.
   */
  signal?: AbortSignal;
}

/** The message of a call given up because its {@link FetchPolicy.signal} fired. */
const STOPPED = 'given up: the node is stopping';

/** The `User-Agent` sent when the policy names none. */
export const DEFAULT_USER_AGENT = 'Maillon (DFC federation node)';

/** Defaults: connect 5 s, total 30 s, 50 MB, 3 redirects, public addresses only. */
export const DEFAULT_FETCH_POLICY: FetchPolicy = Object.freeze({
  connectTimeoutMs: 5_000,
  totalTimeoutMs: 30_000,
  maxBytes: 50 * 1024 * 1024,
  maxRedirects: 3,
  allowPrivate: false,
});

/** What went wrong with an answer's head, as a caller's {@link SafeRequest.checkHead} reports it. */
export interface HeadRefusal {
  readonly kind: FailureKind;
  readonly message: string;
}

/** One request. */
export interface SafeRequest {
  /** Absolute `http:` or `https:` URL (a fragment is dropped). */
  readonly url: string;
  /** The method (default `GET`). */
  readonly method?: string;
  /**
   * Request headers (`Accept`, `Content-Type`, `If-Match`, ...). The client sets `Accept-Encoding` (see
   * {@link FetchPolicy.compressed}), `Connection` (`close`, or `keep-alive` with {@link SafeRequest.agent}) and
   * `Content-Length` itself, whatever is given here.
   */
  readonly headers?: Readonly<Record<string, string>>;
  /** The body (strings are sent as UTF-8); kept for a 307/308 redirect, dropped when a redirect turns the request into a GET. */
  readonly body?: string | Uint8Array;
  /**
   * A credential header (`Authorization`, `X-Api-Token`): sent to the origin of `url` only, and dropped for
   * good when a redirect leaves that origin (nor handed over a downgrade to http), as browsers do.
   */
  readonly credential?: { readonly header: string; readonly value: string };
  /**
   * `follow` (default): redirects are followed, at most `policy.maxRedirects` of them. `error`: a redirect is
   * an answer like any other that is not 2xx (an `http-status` failure); a signed delivery is never replayed
   * to a URL its receiver did not register.
   */
  readonly redirect?: 'follow' | 'error';
  /**
   * Checks the head of a 2xx answer before its body is read (its media type, say): a refusal ends the call
   * there, so an answer of the wrong kind costs no download.
   */
  readonly checkHead?: (headers: IncomingHttpHeaders, status: number) => HeadRefusal | undefined;
  /**
   * Statuses besides 2xx whose body is read as an answer (under the same limits), not turned into an
   * `http-status` failure with a clipped snippet: a refusal whose problem document the caller must read whole
   * (a supplier's 409 names the short lines).
   */
  readonly answerStatuses?: ReadonlySet<number>;
  /**
   * A keep-alive pool the caller keeps for the origin of `url` (an order client's supplier): the connection is
   * reused by the next request to that origin instead of being opened and closed for each (`Connection:
   * keep-alive` then). Every limit still holds per request; a connection that failed or was cut is destroyed,
   * never pooled; a redirect to another origin opens its own connection as usual. A request that finds its
   * pooled connection closed by the server before any answer is sent again once on a new connection.
   */
  readonly agent?: http.Agent;
}

/** An answer: 2xx, 304 to a conditional request, or one of the request's {@link SafeRequest.answerStatuses}. */
export interface SafeResponse {
  /** Final URL, after redirects (without fragment). */
  readonly url: string;
  readonly status: number;
  /**
   * The response headers, names in lower case (Node joins repeated ones). As received: a decoded body's
   * `Content-Encoding` and `Content-Length` are the wire's (see {@link SafeResponse.encoding}).
   */
  readonly headers: IncomingHttpHeaders;
  /** The body, decoded when it came compressed (empty for 304, 204 and HEAD). */
  readonly body: Buffer;
  /** The content coding the body came in and was decoded from (absent: as it is). */
  readonly encoding?: WireCoding;
  /** Bytes of the body as received: the compressed size when it came compressed (absent: the body's length). */
  readonly wireBytes?: number;
}

/** The content codings the client asks for and decodes. */
export type WireCoding = 'br' | 'gzip';

/** `Accept-Encoding` of a client that decodes: brotli first (smaller), gzip for every other server. */
const ACCEPT_CODINGS = 'br, gzip';

/** The outcome of {@link safeFetch}: an answer or a failure, never an exception for the other party's behaviour. */
export type SafeFetchOutcome = { ok: true; response: SafeResponse } | { ok: false; failure: Failure };

/** The shape of {@link safeFetch}, for the parts that take the client as a dependency (and for tests). */
export type SafeFetch = (request: SafeRequest, policy: FetchPolicy) => Promise<SafeFetchOutcome>;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Headers that describe a body: dropped with the body when a redirect turns the request into a GET (Fetch §4.4). */
const BODY_HEADERS = new Set(['content-type', 'content-encoding', 'content-language', 'content-location']);
/** How much of an error body is read for the failure message (decoded bytes, when it comes compressed). */
const SNIPPET_BYTES = 1024;
/**
 * The decoder's output chunk for a coded body (zlib's default is 16 KiB): each chunk is a round trip from the thread
 * pool to the main thread, and a big peer's page of a megabyte was seventy of them (measured: about 5 ms of CPU and of
 * latency a page, against under 1 ms with this). The size limit is checked for each chunk, so a body over it is
 * refused having inflated at most this much past the limit.
 */
const DECODED_CHUNK = 256 * 1024;
const SNIPPET_CHARS = 200;
/**
 * How much of a compressed error body is read to decode its snippet: plenty for the first KB of any problem
 * document, and a bound on what a peer can make us read (and decode) for an answer we refuse anyway.
 */
const SNIPPET_WIRE_BYTES = 16 * 1024;
/** Media types whose error body is shown (as text) in the failure message. */
const TEXTUAL_ERROR = /^\s*(text\/|application\/([\w.+-]*\+)?(json|xml))/iu;

/** The request as one hop sends it. */
interface Hop {
  readonly url: URL;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | undefined;
  readonly credential: SafeRequest['credential'];
  /** The caller's pool, for the origin of the first hop only. */
  readonly agent: http.Agent | undefined;
}

/** One request/response exchange: either the end of the call, or a redirect to follow. */
type Exchange = { kind: 'done'; outcome: SafeFetchOutcome } | { kind: 'redirect'; location: string; status: number } | { kind: 'stale' };

/**
 * Sends one request under a policy of limits, following redirects: 303 (and 301/302 after a POST) as a GET
 * without the body, 307/308 with the same method and body, others as they are, as `fetch` does.
 *
 * Expected failures (timeouts, oversize or truncated bodies, answers that are not 2xx or 304, redirect
 * trouble, private addresses, bad URLs, network errors) are returned as `{ ok: false, failure }`.
 * Sockets are never reused and are destroyed when the call ends, whatever the outcome.
 *
 * @param request - URL, method, headers, body, credential
 * @param policy - limits (default {@link DEFAULT_FETCH_POLICY})
 */
export async function safeFetch(request: SafeRequest, policy: FetchPolicy = DEFAULT_FETCH_POLICY): Promise<SafeFetchOutcome> {
  // One deadline for the whole call: a peer must not get a fresh budget per redirect hop.
  const deadline = Date.now() + policy.totalTimeoutMs;
  const first = parseHttpUrl(request.url);
  if (typeof first === 'string') return failed('bad-url', first, request.url);
  const body = request.body === undefined ? undefined : typeof request.body === 'string' ? Buffer.from(request.body, 'utf8') : Buffer.from(request.body);
  let hop: Hop = { url: first, method: (request.method ?? 'GET').toUpperCase(), headers: request.headers ?? {}, body, credential: request.credential, agent: request.agent };
  let redirects = 0;
  for (;;) {
    const exchanged = await fetchOnce(hop, request, policy, deadline);
    if (exchanged.kind === 'done') return exchanged.outcome;
    redirects += 1;
    const url = hop.url;
    if (redirects > policy.maxRedirects) {
      return failed('too-many-redirects', `more than ${policy.maxRedirects} redirects`, url.href, exchanged.status);
    }
    let target: URL;
    try {
      target = new URL(exchanged.location, url);
    } catch {
      return failed('bad-url', `redirect to an invalid URL ${JSON.stringify(clip(exchanged.location, 100))}`, url.href, exchanged.status);
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      return failed('bad-url', `redirect to a non-HTTP URL ${clip(target.href, 100)}`, url.href, exchanged.status);
    }
    if (target.port === '0') return failed('bad-url', `redirect to port 0 ${clip(target.href, 100)}`, url.href, exchanged.status);
    const tooLong = urlTooLong(target.href);
    if (tooLong !== undefined) return failed('bad-url', `redirect to ${tooLong}`, url.href, exchanged.status);
    target.hash = '';
    hop = redirected(hop, target, exchanged.status);
  }
}

/** The next hop after a redirect: the method and body as `fetch` changes them, the credential as far as its origin. */
function redirected(hop: Hop, target: URL, status: number): Hop {
  const toGet = (status === 303 && hop.method !== 'GET' && hop.method !== 'HEAD') || ((status === 301 || status === 302) && hop.method === 'POST');
  const headers = toGet ? Object.fromEntries(Object.entries(hop.headers).filter(([name]) => !BODY_HEADERS.has(name.toLowerCase()))) : hop.headers;
  // Like browsers: a credential given for one origin is not handed to another (nor over a downgrade to http).
  const credential = target.origin === hop.url.origin ? hop.credential : undefined;
  const agent = target.origin === hop.url.origin ? hop.agent : undefined;
  return { url: target, method: toGet ? 'GET' : hop.method, headers, body: toGet ? undefined : hop.body, credential, agent };
}

/**
 * The longest URL (in characters) this node fetches, or takes from a client to fetch later (a peer, a webhook, an
 * item to list). A DFC IRI is a hundred characters or so; servers refuse a request line past 8 to 16 KiB (Node's
 * own limit is 16 KiB of request line and headers), so a longer URL can only fail, and slowly, at the other end,
 * after it was stored and written to the logs whole.
 */
export const MAX_URL_LENGTH = 4096;

/**
 * Why a URL is too long to fetch, or undefined when it is not. Given the URL as it is sent (`URL.href`): characters a
 * URL may not hold are percent-encoded there, up to nine characters each, so the text as written may be far shorter.
 */
export function urlTooLong(text: string): string | undefined {
  return text.length > MAX_URL_LENGTH
    ? `a URL of ${text.length.toLocaleString('en-US')} characters (${JSON.stringify(clip(text, 60))}): at most ${MAX_URL_LENGTH.toLocaleString('en-US')} are taken`
    : undefined;
}

/** A URL object for an absolute http(s) URL, or why not. */
function parseHttpUrl(text: string): URL | string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `not a URL: ${JSON.stringify(clip(text, 100))}`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `not an http(s) URL: ${clip(url.href, 100)}`;
  if (url.hostname === '') return `no host in ${clip(url.href, 100)}`;
  // Port 0 is no port: Node would connect to the scheme's default port instead of refusing.
  if (url.port === '0') return `port 0 in ${clip(url.href, 100)}`;
  url.hash = '';
  return urlTooLong(url.href) ?? url;
}

function requestHeaders(hop: Hop, policy: FetchPolicy): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { 'user-agent': policy.userAgent ?? DEFAULT_USER_AGENT };
  for (const [name, value] of Object.entries(hop.headers)) headers[name.toLowerCase()] = value;
  if (hop.credential !== undefined) headers[hop.credential.header.toLowerCase()] = hop.credential.value;
  // The limits hold on the decoded bytes (see `decodedBody`), so asking for compression opens no bomb.
  headers['accept-encoding'] = policy.compressed === false ? 'identity' : ACCEPT_CODINGS;
  headers.connection = hop.agent !== undefined ? 'keep-alive' : 'close';
  if (hop.body !== undefined) headers['content-length'] = hop.body.length;
  else delete headers['content-length'];
  return headers;
}

function failed(kind: FailureKind, message: string, url: string, status?: number): SafeFetchOutcome {
  return { ok: false, failure: failure(kind, message, url, status) };
}

function done(outcome: SafeFetchOutcome): Extract<Exchange, { kind: 'done' }> {
  return { kind: 'done', outcome };
}

/** One hop: resolve and check the host, then exchange one request and response. */
async function fetchOnce(hop: Hop, request: SafeRequest, policy: FetchPolicy, deadline: number): Promise<Exclude<Exchange, { kind: 'stale' }>> {
  const connectBy = Math.min(Date.now() + policy.connectTimeoutMs, deadline);
  const resolved = await resolveHost(hop.url, policy, connectBy, deadline);
  if (!Array.isArray(resolved) && resolved !== undefined) return done(resolved);
  const exchanged = await exchange(hop, resolved, request, policy, connectBy, deadline);
  // A pooled connection the server had closed meanwhile (its keep-alive timeout): nothing was answered, and the
  // pool now opens a new one.
  const again = exchanged.kind === 'stale' ? await exchange(hop, resolved, request, policy, connectBy, deadline, false) : exchanged;
  return again.kind === 'stale' ? done(failed('network', 'the connection was reset', hop.url.href)) : again;
}

/**
 * Resolves the host and checks every address: `undefined` for an IP literal (nothing to resolve), the checked
 * addresses for a name, or a failure.
 */
async function resolveHost(url: URL, policy: FetchPolicy, connectBy: number, deadline: number): Promise<LookupAddress[] | undefined | SafeFetchOutcome> {
  const host = bareHost(url);
  const checked = await checkPublicHost(host, policy.allowPrivate, { timeoutMs: connectBy - Date.now() });
  if (checked.ok) return checked.addresses;
  switch (checked.reason) {
    case 'timeout': return failed('timeout', timeoutMessage(connectBy, deadline, policy, 'resolving the host'), url.href);
    case 'unresolved': return failed('network', `cannot resolve ${host}: ${errorText(checked.error)}`, url.href);
    case 'no-address': return failed('network', `${host} has no address`, url.href);
    case 'private': return failed('private-address', checked.resolved
      ? `${host} resolves to ${checked.address}, not a public address`
      : `${host} is not a public address`, url.href);
  }
}

function timeoutMessage(connectBy: number, deadline: number, policy: FetchPolicy, what: string): string {
  return connectBy < deadline
    ? `connect timeout (${policy.connectTimeoutMs} ms) while ${what}`
    : `no complete response within ${policy.totalTimeoutMs} ms (${what})`;
}

/**
 * A `lookup` for `http.request` that answers only with addresses already checked, so the connection goes
 * where the check looked (no second DNS query a rebinding server could answer differently).
 */
function pinnedLookup(addresses: readonly LookupAddress[]): LookupFunction {
  return (hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
    const candidates = family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : [...addresses];
    const first = candidates[0];
    if (first === undefined) {
      const error: NodeJS.ErrnoException = new Error(`no checked IPv${family} address for ${hostname}`);
      error.code = 'ENOTFOUND';
      callback(error, '');
    } else if (options.all === true) {
      callback(null, candidates);
    } else {
      callback(null, first.address, first.family);
    }
  };
}

/** The host of a URL without IPv6 brackets. */
function bareHost(url: URL): string {
  const host = url.hostname;
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** One request and its response, every limit armed; settles exactly once and always destroys the socket. */
function exchange(
  hop: Hop,
  addresses: LookupAddress[] | undefined,
  request: SafeRequest,
  policy: FetchPolicy,
  connectBy: number,
  deadline: number,
  mayRetry = true,
): Promise<Exchange> {
  return new Promise<Exchange>((resolve) => {
    const { url } = hop;
    const href = url.href;
    const secure = url.protocol === 'https:';
    if (deadline - Date.now() <= 0) {
      resolve(done(failed('timeout', `no complete response within ${policy.totalTimeoutMs} ms`, href)));
      return;
    }
    const { signal } = policy;
    if (signal?.aborted === true) {
      resolve(done(failed('stopped', STOPPED, href)));
      return;
    }
    let settled = false;
    let gotResponse = false;
    let connectTimer: NodeJS.Timeout | undefined;
    let deadlineTimer: NodeJS.Timeout | undefined;
    // What the deadline means depends on the phase: usually a timeout, but while reading an error body the
    // status already tells the story.
    let onDeadline = (): void => fail('timeout', `no complete response within ${policy.totalTimeoutMs} ms`);
    const onAbort = (): void => fail('stopped', STOPPED);

    const req = (secure ? https : http).request({
      protocol: url.protocol,
      hostname: bareHost(url),
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method: hop.method,
      headers: requestHeaders(hop, policy),
      // A fresh, non-keep-alive connection per request: nothing pooled can outlive the call, and no socket
      // checked for one peer is reused for another. Unless the caller keeps a pool of its own for this origin.
      agent: hop.agent ?? false,
      ...(addresses !== undefined ? { lookup: pinnedLookup(addresses) } : {}),
    });

    function finish(result: Exchange, reusable = false): void {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(deadlineTimer);
      signal?.removeEventListener('abort', onAbort);
      // A decoder stopped at the limit (or at the deadline) must not go on inflating into memory.
      decoder?.destroy();
      // Destroying the request destroys its socket: aborts a slow or oversized body, and closes a finished one.
      // Only a pooled connection whose answer was read to its end goes back to its pool.
      if (!(reusable && hop.agent !== undefined)) req.destroy();
      resolve(result);
    }
    function fail(kind: FailureKind, message: string, status?: number): void {
      finish(done(failed(kind, message, href, status)));
    }
    let decoder: BrotliDecompress | Gunzip | undefined;
    function answer(res: IncomingMessage, status: number, body: Buffer, wireBytes: number, encoding?: WireCoding): void {
      finish(done({ ok: true, response: { url: href, status, headers: res.headers, body, wireBytes, ...(encoding !== undefined ? { encoding } : {}) } }), res.complete);
    }

    signal?.addEventListener('abort', onAbort, { once: true });
    deadlineTimer = setTimeout(() => onDeadline(), deadline - Date.now());
    connectTimer = setTimeout(
      () => fail('timeout', timeoutMessage(connectBy, deadline, policy, 'connecting')),
      Math.max(0, connectBy - Date.now()),
    );
    req.on('socket', (socket: Socket) => {
      // A pooled connection is connected already.
      if (req.reusedSocket) clearTimeout(connectTimer);
      else socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
    });
    // Stays attached for the request's life: Node emits 'error' after our own destroy() too.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (gotResponse) fail('truncated', `connection lost during the body: ${errorText(error)}`);
      else if (mayRetry && req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) finish({ kind: 'stale' });
      else fail('network', errorText(error));
    });
    req.on('response', (res: IncomingMessage) => {
      gotResponse = true;
      clearTimeout(connectTimer);
      onResponse(res);
    });
    req.end(hop.body);

    function onResponse(res: IncomingMessage): void {
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (request.redirect !== 'error' && REDIRECT_STATUSES.has(status) && location !== undefined && location !== '') {
        // The redirect body is not read: the socket is destroyed, the next hop opens its own.
        finish({ kind: 'redirect', location, status });
        return;
      }
      if (status === 304) {
        // No body, whatever its headers say: answered at its end, not at its head, when the response is complete, so
        // that a pooled connection goes back to its pool (a re-sync of an unchanged peer is a 304 for each page).
        res.on('end', () => answer(res, status, Buffer.alloc(0), 0));
        res.on('error', (error: Error) => fail('truncated', `connection lost after the head of a 304: ${errorText(error)}`, status));
        res.on('close', () => {
          if (!res.complete) fail('truncated', 'connection closed after the head of a 304', status);
        });
        res.resume();
        return;
      }
      if ((status < 200 || status > 299) && request.answerStatuses?.has(status) !== true) {
        readErrorSnippet(res, status);
        return;
      }
      const refusal = request.checkHead?.(res.headers, status);
      if (refusal !== undefined) {
        fail(refusal.kind, clip(refusal.message, 500), status);
        return;
      }
      // A HEAD or 204 answer has no body to decode, whatever coding its GET would have.
      const coding = hop.method === 'HEAD' || status === 204 ? undefined : codingOf(res.headers['content-encoding'], policy.compressed !== false);
      if (typeof coding === 'object') {
        fail('bad-encoding', coding.refused, status);
        return;
      }
      const wireLimit = coding === undefined ? policy.maxBytes : policy.maxEncodedBytes ?? policy.maxBytes;
      // A HEAD answer declares the length of the body it does not send.
      const declared = hop.method === 'HEAD' ? undefined : contentLengthOf(res);
      if (declared !== undefined && declared > wireLimit) {
        fail('too-large', `body of ${declared} bytes (Content-Length) exceeds the limit of ${wireLimit}`, status);
        return;
      }
      // Bytes as received, and the body as kept: the same chunks, or the decoder's output when it is coded.
      let wireBytes = 0;
      let bytes = 0;
      const chunks: Buffer[] = [];
      const keep = (chunk: Buffer): boolean => {
        bytes += chunk.length;
        if (bytes > policy.maxBytes) {
          // At the limit, not after: the decoder is destroyed with the call, before it inflates another chunk.
          fail('too-large', coding === undefined
            ? `body exceeds the limit of ${policy.maxBytes} bytes`
            : `body exceeds the limit of ${policy.maxBytes} bytes once decoded (${coding}, ${wireBytes} bytes received)`, status);
          return false;
        }
        chunks.push(chunk);
        return true;
      };
      const complete = (): void => answer(res, status, Buffer.concat(chunks, bytes), wireBytes, coding);
      if (coding !== undefined) {
        const active = coding === 'br' ? createBrotliDecompress({ chunkSize: DECODED_CHUNK }) : createGunzip({ chunkSize: DECODED_CHUNK });
        decoder = active;
        active.on('data', (chunk: Buffer) => keep(chunk));
        active.on('error', (error: NodeJS.ErrnoException) => {
          // A stream that stops before its end marker is a truncated body; anything else is not the coding it claims.
          if (error.code === 'Z_BUF_ERROR') fail('truncated', `the ${coding} body ends before its end (${wireBytes} bytes received)`, status);
          else fail('bad-encoding', `the ${coding} body cannot be decoded after ${wireBytes} bytes received: ${errorText(error)}`, status);
        });
        active.on('end', complete);
        // The socket waits while the decoder is busy: what is read but not yet decoded stays one chunk.
        active.on('drain', () => res.resume());
      }
      res.on('data', (chunk: Buffer) => {
        wireBytes += chunk.length;
        if (wireBytes > wireLimit) {
          fail('too-large', `body exceeds the limit of ${wireLimit} bytes${coding !== undefined ? ` as received (${coding})` : ''}`, status);
          return;
        }
        if (decoder === undefined) keep(chunk);
        else if (!decoder.write(chunk)) res.pause();
      });
      res.on('error', (error: Error) => fail('truncated', `connection lost after ${wireBytes} body bytes: ${errorText(error)}`, status));
      res.on('close', () => {
        // Safety net for a close without 'end' or 'error' (the parser flags incomplete messages).
        if (!res.complete) fail('truncated', `connection closed after ${wireBytes} body bytes`, status);
      });
      res.on('end', () => {
        if (!res.complete || (declared !== undefined && wireBytes !== declared)) {
          fail('truncated', `body ended after ${wireBytes}${declared !== undefined ? ` of ${declared}` : ''} bytes`, status);
          return;
        }
        // A coded body is complete when the decoder has flushed (and found the stream's end marker); an empty
        // body has nothing to decode.
        if (decoder === undefined || wireBytes === 0) complete();
        else decoder.end();
      });
    }

    /**
     * Reads at most {@link SNIPPET_BYTES} of an error body, then fails with the status and a clipped text. A body
     * in a coding we asked for is decoded under the same bound on its decoded bytes (and at most
     * {@link SNIPPET_WIRE_BYTES} of it are read): a bomb costs a KB. One that cannot be decoded (another coding,
     * corrupt data) is left out of the message, which says so, rather than shown as binary.
     */
    function readErrorSnippet(res: IncomingMessage, status: number): void {
      const chunks: Buffer[] = [];
      let bytes = 0;
      let note = '';
      const contentType = res.headers['content-type'];
      const textual = contentType === undefined || TEXTUAL_ERROR.test(contentType);
      const report = (): void => {
        const snippet = textual ? clip(Buffer.concat(chunks).toString('utf8'), SNIPPET_CHARS) : '';
        const reason = clip(res.statusMessage ?? '', 60);
        fail('http-status', `HTTP ${status}${reason !== '' ? ` ${reason}` : ''}${snippet !== '' ? `: ${snippet}` : ''}${note !== '' ? ` (${note})` : ''}`, status);
      };
      const keep = (chunk: Buffer): void => {
        chunks.push(chunk);
        bytes += chunk.length;
        if (bytes >= SNIPPET_BYTES) report();
      };
      onDeadline = report;
      // A HEAD answer has no body to decode; a body that is not text is not shown, coded or not.
      const coding = hop.method === 'HEAD' || !textual ? undefined : codingOf(res.headers['content-encoding'], policy.compressed !== false);
      if (typeof coding === 'object') {
        note = `body not shown: ${coding.refused}`;
        report();
        return;
      }
      if (coding === undefined) {
        res.on('data', keep);
        res.on('end', report);
        res.on('error', report);
        res.on('close', report);
        return;
      }
      // Output in pieces of the snippet's size: the decoder is destroyed (with the call) as soon as one KB is out.
      const active = coding === 'br' ? createBrotliDecompress({ chunkSize: SNIPPET_BYTES }) : createGunzip({ chunkSize: SNIPPET_BYTES });
      decoder = active;
      let wireBytes = 0;
      let ended = false;
      const endDecoder = (): void => {
        if (ended) return;
        ended = true;
        // Nothing received: nothing to decode (an empty coded body ends no stream).
        if (wireBytes === 0) report();
        else if (!active.destroyed) active.end();
      };
      active.on('data', keep);
      active.on('end', report);
      active.on('error', (error: NodeJS.ErrnoException) => {
        // A stream cut before its end marker (by the peer, or by us at the bound) decoded a true beginning, which is
        // shown; anything else is not the coding it claims, and what came out of it is not shown.
        if (error.code !== 'Z_BUF_ERROR') {
          chunks.length = 0;
          note = `body not shown: the ${coding} body cannot be decoded`;
        } else if (bytes === 0) {
          note = `body not shown: nothing decoded from ${wireBytes} bytes of ${coding}`;
        }
        report();
      });
      active.on('drain', () => res.resume());
      res.on('data', (chunk: Buffer) => {
        if (ended) return;
        const room = SNIPPET_WIRE_BYTES - wireBytes;
        const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
        wireBytes += part.length;
        if (!active.write(part)) res.pause();
        if (wireBytes >= SNIPPET_WIRE_BYTES) endDecoder();
      });
      // The decoder says when the snippet is complete: at its end, or once what was received is decoded.
      res.on('end', endDecoder);
      res.on('error', endDecoder);
      res.on('close', endDecoder);
    }
  });
}

/**
 * A body as text: UTF-8, without a byte order mark.
 *
 * @param response - the answer
 */
export function bodyText(response: SafeResponse): string {
  const text = charsetOf(response.headers['content-type'], response.body)?.decode(response.body) ?? response.body.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Where a body read as UTF-8 (JSON whatever its charset, or no other charset named) is not UTF-8: the offset of its
 * first byte that is no UTF-8, undefined when it is (or when its header names another charset, which it is read in). Read as it is, each such
 * byte became U+FFFD in the text kept: `Pomme` stored as `Po�mme`, for good.
 */
export function notUtf8At(response: SafeResponse): number | undefined {
  if (isUtf8(response.body) || charsetOf(response.headers['content-type'], response.body) !== undefined) return undefined;
  // Where: the text up to the first replacement character, as bytes.
  const text = response.body.toString('utf8');
  const at = text.indexOf('\ufffd');
  return at < 0 ? 0 : Buffer.byteLength(text.slice(0, at), 'utf8');
}

/**
 * The decoder of a `Content-Type`'s `charset` when it names one other than UTF-8 (or its subset US-ASCII) that the
 * platform knows (`iso-8859-1`, `windows-1252`…); undefined otherwise, for UTF-8. A peer's Latin-1 page read as
 * UTF-8 had every accent replaced by U+FFFD. JSON (and JSON-LD) is UTF-8 whatever the header says (RFC 8259 §8.1:
 * its charset parameter has no effect): a UTF-8 page mislabelled Latin-1 is still read right; only a JSON body that
 * is no UTF-8 (`body` given) is read in the charset its header names.
 */
function charsetOf(contentType: string | undefined, body?: Buffer): TextDecoder | undefined {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if ((mediaType === 'application/json' || mediaType.endsWith('+json')) && (body === undefined || isUtf8(body))) return undefined;
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/iu.exec(contentType ?? '')?.[1]?.toLowerCase();
  if (charset === undefined || charset === 'utf-8' || charset === 'utf8' || charset === 'us-ascii') return undefined;
  try {
    return new TextDecoder(charset);
  } catch {
    // A charset the platform does not know: read as UTF-8, as before.
    return undefined;
  }
}

/**
 * The coding of an answer from its `Content-Encoding`: none (absent, empty or `identity`), one the client asked
 * for, or a refusal. Stacked codings (`gzip, br`) are refused: no server we talk to needs them, and each layer
 * would need its own limit. Codings we did not ask for are refused too: decoding them would open the limits to
 * formats nobody checked.
 *
 * @param header - the `Content-Encoding` header
 * @param asked - whether the request asked for compressed answers
 */
export function codingOf(header: string | undefined, asked: boolean): WireCoding | undefined | { readonly refused: string } {
  const codings = (header ?? '').split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0) return undefined;
  if (codings.length > 1) return { refused: `stacked content codings ${clip(codings.join(', '), 50)} are not decoded` };
  const [coding = ''] = codings;
  const known = coding === 'x-gzip' ? 'gzip' : coding;
  if (!asked) return { refused: `unrequested content encoding ${clip(coding, 50)}` };
  if (known !== 'br' && known !== 'gzip') return { refused: `unsupported content encoding ${clip(coding, 50)} (asked for ${ACCEPT_CODINGS})` };
  return known;
}

/** The declared `Content-Length`, if it is a plain number. */
function contentLengthOf(res: IncomingMessage): number | undefined {
  const header = res.headers['content-length'];
  return header !== undefined && /^\d+$/u.test(header) ? Number(header) : undefined;
}

/**
 * Text from another party made safe for one log line: control characters out (no log forging), whitespace
 * folded, clipped to `max` characters.
 *
 * @param text - the text
 * @param max - most characters kept (an ellipsis marks the cut)
 */
export function clip(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this removes
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/gu, ' ').replace(/\s+/gu, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return clip(code !== undefined && !error.message.includes(code) ? `${code}: ${error.message}` : error.message, 200);
  }
  return clip(String(error), 200);
}
