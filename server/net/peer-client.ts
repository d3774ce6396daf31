/**
 * The sync engine's HTTP client: fetches one page of a peer's catalogue.
 *
 * A peer is untrusted. It may be slow on purpose, send more than it announced or less, redirect forever,
 * answer HTML, or resolve to an address inside our own network (SSRF). Every such behaviour comes back as a
 * {@link PeerFailure} value; nothing here throws because of what a peer did, so the sync loop can record the
 * failure and move on to the next peer.
 *
 * `node:http`/`node:https` are used directly rather than `fetch` because `fetch` gives no control over the
 * address actually connected to (DNS rebinding), no separate connect timeout, and no way to stop reading at
 * a byte limit before buffering.
 *
 * @packageDocumentation
 */
import dns, { type LookupAddress } from 'node:dns';
import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import { isJsonMediaType } from '../codec/decode.js';
import { RDF_FORMATS } from '../codec/read-rdf.js';

/** Limits applied to one {@link fetchPage} call. */
export interface FetchPolicy {
  /** Time to resolve the host and establish the connection (TCP, and TLS for `https:`), per hop. */
  connectTimeoutMs: number;
  /** Deadline for the whole call, from the start to the last body byte, across every redirect hop. */
  totalTimeoutMs: number;
  /** Largest body accepted, in bytes as received (the client asks for `identity` encoding). */
  maxBytes: number;
  /** Redirects followed; one more is a failure. */
  maxRedirects: number;
  /** Whether loopback, private, link-local and other non-public addresses may be contacted (tests, LANs). */
  allowPrivate: boolean;
  /** `User-Agent` header (default {@link DEFAULT_USER_AGENT}). */
  userAgent?: string;
}

/** The `User-Agent` sent when the policy names none. */
export const DEFAULT_USER_AGENT = 'Maillon (DFC federation node)';

/** The `Accept` header sent when the request names none: JSON-LD first, then plain JSON, then Turtle. */
export const DEFAULT_ACCEPT = 'application/ld+json;q=1, application/json;q=0.9, text/turtle;q=0.8';

/** Defaults: connect 5 s, total 30 s, 50 MB, 3 redirects, public addresses only. */
export const DEFAULT_FETCH_POLICY: FetchPolicy = Object.freeze({
  connectTimeoutMs: 5_000,
  totalTimeoutMs: 30_000,
  maxBytes: 50 * 1024 * 1024,
  maxRedirects: 3,
  allowPrivate: false,
});

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
   * A JSON body to POST instead of a GET (webhook deliveries, subscriptions): redirects are then not followed
   * and any 2xx answer is accepted, whatever its content type.
   */
  post?: { readonly body: string; readonly contentType: string; readonly headers?: Readonly<Record<string, string>> };
}

/** A page fetched successfully, or confirmed unchanged (304). */
export interface FetchedPage {
  /** Final URL, after redirects (without fragment); the base for relative IRIs in the body. */
  url: string;
  /** 200 for any 2xx answer with a body; 304 when the copy we hold is still current. */
  status: 200 | 304;
  /** The body decoded as UTF-8 (absent for 304). */
  body?: string;
  /** The `Content-Type` header as sent (absent if the peer sent none). */
  contentType?: string;
  /** `ETag` of the page (for 304, the peer's or else the one we sent). */
  etag?: string;
  /** `Last-Modified` of the page (for 304, the peer's or else the one we sent). */
  lastModified?: string;
  /** Body size in bytes as received. */
  bytes: number;
  /** Absolute http(s) URL of the next page, from a `Link: rel="next"` header or a JSON body's paging links. */
  next?: string;
}

/** Why a fetch failed. */
export type PeerFailureKind =
  | 'timeout'
  | 'too-large'
  | 'http-status'
  | 'not-dfc'
  | 'too-many-redirects'
  | 'private-address'
  | 'bad-url'
  | 'network'
  | 'truncated';

/** A failed fetch. */
export interface PeerFailure {
  kind: PeerFailureKind;
  /** One line for logs and operators; peer-supplied text in it is clipped and stripped of control characters. */
  message: string;
  /** The URL being fetched when it failed (after any redirects followed). */
  url: string;
  /** HTTP status, when the peer answered one. */
  status?: number;
}

/** The outcome of {@link fetchPage}: a page or a failure, never an exception for peer behaviour. */
export type FetchOutcome = { ok: true; page: FetchedPage } | { ok: false; failure: PeerFailure };

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const HYDRA = 'http://www.w3.org/ns/hydra/core#';
/** How much of an error body is read for the failure message. */
const SNIPPET_BYTES = 1024;
const SNIPPET_CHARS = 200;

/** One request/response exchange: either the end of the call, or a redirect to follow. */
type Hop = { kind: 'done'; outcome: FetchOutcome } | { kind: 'redirect'; location: string; status: number };

/**
 * Fetches one page of a peer's catalogue under a policy of limits.
 *
 * Expected failures (timeouts, oversize or truncated bodies, HTTP errors, non-DFC content, redirect
 * trouble, private addresses, bad URLs, network errors) are returned as `{ ok: false, failure }`.
 * Sockets are never reused and are destroyed when the call ends, whatever the outcome.
 *
 * @param request - URL, accept header, credentials and validators
 * @param policy - limits (default {@link DEFAULT_FETCH_POLICY})
 */
export async function fetchPage(request: PageRequest, policy: FetchPolicy = DEFAULT_FETCH_POLICY): Promise<FetchOutcome> {
  // One deadline for the whole call: a peer must not get a fresh budget per redirect hop.
  const deadline = Date.now() + policy.totalTimeoutMs;
  const first = parseHttpUrl(request.url);
  if (typeof first === 'string') return failed('bad-url', first, request.url);
  let url = first;
  let token = request.token;
  let redirects = 0;
  for (;;) {
    const hop = await fetchOnce(url, requestHeaders(request, token, policy), request, policy, deadline);
    if (hop.kind === 'done') return hop.outcome;
    redirects += 1;
    if (redirects > policy.maxRedirects) {
      return failed('too-many-redirects', `more than ${policy.maxRedirects} redirects`, url.href, hop.status);
    }
    let target: URL;
    try {
      target = new URL(hop.location, url);
    } catch {
      return failed('bad-url', `redirect to an invalid URL ${JSON.stringify(clip(hop.location, 100))}`, url.href, hop.status);
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      return failed('bad-url', `redirect to a non-HTTP URL ${clip(target.href, 100)}`, url.href, hop.status);
    }
    target.hash = '';
    // Like browsers: a credential given for one origin is not handed to another (nor over a downgrade to http).
    if (target.origin !== url.origin) token = undefined;
    url = target;
  }
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
  url.hash = '';
  return url;
}

function requestHeaders(request: PageRequest, token: string | undefined, policy: FetchPolicy): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    accept: request.accept ?? DEFAULT_ACCEPT,
    // Identity only: the byte limit then holds on what we store and parse, and no decompression bomb exists.
    'accept-encoding': 'identity',
    'user-agent': policy.userAgent ?? DEFAULT_USER_AGENT,
    connection: 'close',
  };
  if (request.post !== undefined) {
    headers['content-type'] = request.post.contentType;
    headers['content-length'] = Buffer.byteLength(request.post.body);
    for (const [name, value] of Object.entries(request.post.headers ?? {})) headers[name.toLowerCase()] = value;
  }
  if (request.etag !== undefined) headers['if-none-match'] = request.etag;
  if (request.lastModified !== undefined) headers['if-modified-since'] = request.lastModified;
  if (token !== undefined) {
    if (request.tokenHeader === 'x-api-token') headers['x-api-token'] = token;
    else headers.authorization = `Bearer ${token}`;
  }
  return headers;
}

function failed(kind: PeerFailureKind, message: string, url: string, status?: number): FetchOutcome {
  return { ok: false, failure: { kind, message, url, ...(status !== undefined ? { status } : {}) } };
}

function done(outcome: FetchOutcome): Hop {
  return { kind: 'done', outcome };
}

/** One hop: resolve and check the host, then exchange one request and response. */
async function fetchOnce(url: URL, headers: OutgoingHttpHeaders, request: PageRequest, policy: FetchPolicy, deadline: number): Promise<Hop> {
  const connectBy = Math.min(Date.now() + policy.connectTimeoutMs, deadline);
  const resolved = await resolvePeer(url, policy, connectBy, deadline);
  if (!Array.isArray(resolved) && resolved !== undefined) return done(resolved);
  return exchange(url, headers, resolved, request, policy, connectBy, deadline);
}

/**
 * Resolves the host and checks every address: `undefined` for an IP literal (nothing to resolve), the checked
 * addresses for a name, or a failure.
 */
async function resolvePeer(url: URL, policy: FetchPolicy, connectBy: number, deadline: number): Promise<LookupAddress[] | undefined | FetchOutcome> {
  const host = bareHost(url);
  if (isIP(host) !== 0) {
    if (!policy.allowPrivate && isPrivateAddress(host)) return failed('private-address', `${host} is not a public address`, url.href);
    return undefined;
  }
  let addresses: LookupAddress[];
  try {
    // Looked up through the module object at call time so that tests can stand in for DNS.
    const lookup = dns.promises.lookup(host, { all: true });
    addresses = await withTimeout(lookup, connectBy - Date.now());
  } catch (error: unknown) {
    if (error === TIMED_OUT) return failed('timeout', timeoutMessage(connectBy, deadline, policy, 'resolving the host'), url.href);
    return failed('network', `cannot resolve ${host}: ${errorText(error)}`, url.href);
  }
  if (addresses.length === 0) return failed('network', `${host} has no address`, url.href);
  if (!policy.allowPrivate) {
    // ANY private address refuses the host: otherwise a peer could list one public and one internal address.
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad !== undefined) return failed('private-address', `${host} resolves to ${bad.address}, not a public address`, url.href);
  }
  return addresses;
}

const TIMED_OUT = Symbol('timed out');

/** Races a promise against a timer. The promise itself cannot be cancelled (getaddrinfo), only abandoned. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(TIMED_OUT), Math.max(0, ms));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
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
  url: URL,
  headers: OutgoingHttpHeaders,
  addresses: LookupAddress[] | undefined,
  request: PageRequest,
  policy: FetchPolicy,
  connectBy: number,
  deadline: number,
): Promise<Hop> {
  return new Promise<Hop>((resolve) => {
    const href = url.href;
    const secure = url.protocol === 'https:';
    if (deadline - Date.now() <= 0) {
      resolve(done(failed('timeout', `no complete response within ${policy.totalTimeoutMs} ms`, href)));
      return;
    }
    let settled = false;
    let gotResponse = false;
    let connectTimer: NodeJS.Timeout | undefined;
    let deadlineTimer: NodeJS.Timeout | undefined;
    // What the deadline means depends on the phase: usually a timeout, but while reading an error body the
    // status already tells the story.
    let onDeadline = (): void => fail('timeout', `no complete response within ${policy.totalTimeoutMs} ms`);

    const req = (secure ? https : http).request({
      protocol: url.protocol,
      hostname: bareHost(url),
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method: request.post === undefined ? 'GET' : 'POST',
      headers,
      // A fresh, non-keep-alive connection per request: nothing pooled can outlive the call, and no socket
      // checked for one peer is reused for another.
      agent: false,
      ...(addresses !== undefined ? { lookup: pinnedLookup(addresses) } : {}),
    });

    function finish(hop: Hop): void {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(deadlineTimer);
      // Destroying the request destroys its socket: aborts a slow or oversized body, and closes a finished one.
      req.destroy();
      resolve(hop);
    }
    function fail(kind: PeerFailureKind, message: string, status?: number): void {
      finish(done(failed(kind, message, href, status)));
    }

    deadlineTimer = setTimeout(() => onDeadline(), deadline - Date.now());
    connectTimer = setTimeout(
      () => fail('timeout', timeoutMessage(connectBy, deadline, policy, 'connecting')),
      Math.max(0, connectBy - Date.now()),
    );
    req.on('socket', (socket: Socket) => {
      socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
    });
    // Stays attached for the request's life: Node emits 'error' after our own destroy() too.
    req.on('error', (error: Error) => {
      if (gotResponse) fail('truncated', `connection lost during the body: ${errorText(error)}`);
      else fail('network', errorText(error));
    });
    req.on('response', (res: IncomingMessage) => {
      gotResponse = true;
      clearTimeout(connectTimer);
      onResponse(res);
    });
    req.end(request.post?.body);

    function onResponse(res: IncomingMessage): void {
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      // A POST is never replayed to another URL: a redirect is an answer like any other non-2xx.
      if (request.post === undefined && REDIRECT_STATUSES.has(status) && location !== undefined && location !== '') {
        // The redirect body is not read: the socket is destroyed, the next hop opens its own.
        finish({ kind: 'redirect', location, status });
        return;
      }
      const etag = res.headers.etag;
      const lastModified = res.headers['last-modified'];
      if (status === 304) {
        const page: FetchedPage = { url: href, status: 304, bytes: 0 };
        const tag = etag ?? request.etag;
        const modified = lastModified ?? request.lastModified;
        if (tag !== undefined) page.etag = tag;
        if (modified !== undefined) page.lastModified = modified;
        finish(done({ ok: true, page }));
        return;
      }
      if (status < 200 || status > 299) {
        readErrorSnippet(res, status);
        return;
      }
      const contentType = res.headers['content-type'];
      const mediaType = contentType === undefined ? undefined : mediaTypeOf(contentType);
      if (request.post === undefined && mediaType !== undefined && !isDfcMediaType(mediaType)) {
        fail('not-dfc', `content type ${clip(contentType ?? '', 100)} is not a DFC format`, status);
        return;
      }
      const encoding = res.headers['content-encoding']?.trim().toLowerCase();
      if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
        // We asked for identity; decoding an unasked-for encoding would let the limit be dodged.
        fail('not-dfc', `unrequested content encoding ${clip(encoding, 50)}`, status);
        return;
      }
      const declared = contentLengthOf(res);
      if (declared !== undefined && declared > policy.maxBytes) {
        fail('too-large', `body of ${declared} bytes (Content-Length) exceeds the limit of ${policy.maxBytes}`, status);
        return;
      }
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > policy.maxBytes) {
          fail('too-large', `body exceeds the limit of ${policy.maxBytes} bytes`, status);
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (error: Error) => fail('truncated', `connection lost after ${bytes} body bytes: ${errorText(error)}`, status));
      res.on('close', () => {
        // Safety net for a close without 'end' or 'error' (the parser flags incomplete messages).
        if (!res.complete) fail('truncated', `connection closed after ${bytes} body bytes`, status);
      });
      res.on('end', () => {
        if (!res.complete || (declared !== undefined && bytes !== declared)) {
          fail('truncated', `body ended after ${bytes}${declared !== undefined ? ` of ${declared}` : ''} bytes`, status);
          return;
        }
        let body = Buffer.concat(chunks, bytes).toString('utf8');
        if (body.charCodeAt(0) === 0xfeff) body = body.slice(1);
        const page: FetchedPage = { url: href, status: 200, body, bytes };
        if (contentType !== undefined) page.contentType = contentType;
        if (etag !== undefined) page.etag = etag;
        if (lastModified !== undefined) page.lastModified = lastModified;
        const next = nextFromLinkHeader(headerText(res.headers.link), url) ?? (mediaType === undefined || isJsonMediaType(mediaType) ? nextFromJsonBody(body, url) : undefined);
        if (next !== undefined) page.next = next;
        finish(done({ ok: true, page }));
      });
    }

    /** Reads at most {@link SNIPPET_BYTES} of an error body, then fails with the status and a clipped text. */
    function readErrorSnippet(res: IncomingMessage, status: number): void {
      const chunks: Buffer[] = [];
      let bytes = 0;
      const report = (): void => {
        const contentType = res.headers['content-type'];
        const textual = contentType === undefined || /^\s*(text\/|application\/([\w.+-]*\+)?(json|xml))/iu.test(contentType);
        const snippet = textual ? clip(Buffer.concat(chunks).toString('utf8'), SNIPPET_CHARS) : '';
        const reason = clip(res.statusMessage ?? '', 60);
        fail('http-status', `HTTP ${status}${reason !== '' ? ` ${reason}` : ''}${snippet !== '' ? `: ${snippet}` : ''}`, status);
      };
      onDeadline = report;
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        bytes += chunk.length;
        if (bytes >= SNIPPET_BYTES) report();
      });
      res.on('end', report);
      res.on('error', report);
      res.on('close', report);
    }
  });
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

/** The declared `Content-Length`, if it is a plain number. */
function contentLengthOf(res: IncomingMessage): number | undefined {
  const header = res.headers['content-length'];
  return header !== undefined && /^\d+$/u.test(header) ? Number(header) : undefined;
}

/** An absolute http(s) URL for a peer-supplied reference, or nothing: a bad link only means no next page. */
function resolveLink(reference: string, base: URL): string | undefined {
  try {
    const url = new URL(reference, base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The `rel="next"` target of a `Link` header (RFC 8288). Node joins repeated `Link` headers with `, `.
 * The parser splits on `<` and is linear in the header's length (which Node bounds anyway).
 */
export function nextFromLinkHeader(header: string | undefined, base: URL): string | undefined {
  if (header === undefined) return undefined;
  for (const link of header.matchAll(/<([^>]*)>([^<]*)/gu)) {
    for (const param of (link[2] ?? '').matchAll(/;\s*([^\s=;,]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^;,\s"]*))?/gu)) {
      if (param[1]?.toLowerCase() !== 'rel') continue;
      let value = param[2] ?? '';
      if (value.startsWith('"')) value = value.slice(1, -1).replace(/\\(.)/gu, '$1');
      if (value.toLowerCase().split(/\s+/u).includes('next')) {
        const next = resolveLink(link[1] ?? '', base);
        if (next !== undefined) return next;
      }
      break; // RFC 8288 §3.3: only the first rel parameter counts.
    }
  }
  return undefined;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A link value as JSON-LD writes it: an IRI string, `{"@id": ...}`, or an array of those. */
function linkValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isObject(value) && typeof value['@id'] === 'string') return value['@id'];
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = linkValue(item);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * The next page named by a JSON body: `hydra:next` (compact or full IRI) on a top-level or `@graph` node or
 * on such a node's `hydra:view`, else a top-level `next` string. A body that is not JSON has no next page
 * here; reporting the syntax error is the decoder's job.
 */
export function nextFromJsonBody(body: string, base: URL): string | undefined {
  // Most catalogues are not paged: skip parsing a large body a second time when no link can be in it.
  if (!body.includes('next')) return undefined;
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    return undefined;
  }
  const roots = (Array.isArray(document) ? document : [document]).filter(isObject);
  const nodes: JsonObject[] = [];
  for (const root of roots) {
    nodes.push(root);
    const graph = root['@graph'];
    if (Array.isArray(graph)) nodes.push(...graph.filter(isObject));
  }
  const views = nodes.flatMap((node) => [node['hydra:view'], node[`${HYDRA}view`]].flatMap((v) => (Array.isArray(v) ? v : [v])).filter(isObject));
  for (const node of [...nodes, ...views]) {
    const value = linkValue(node['hydra:next']) ?? linkValue(node[`${HYDRA}next`]);
    const next = value === undefined ? undefined : resolveLink(value, base);
    if (next !== undefined) return next;
  }
  for (const root of roots) {
    const value = root['next'];
    const next = typeof value === 'string' ? resolveLink(value, base) : undefined;
    if (next !== undefined) return next;
  }
  return undefined;
}

/** Peer text made safe for one log line: control characters out (no log forging), whitespace folded, clipped. */
function clip(text: string, max: number): string {
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

// ---------------------------------------------------------------------------------------------------------
// Address classification

/** IPv4 ranges that are not public unicast (IANA special-purpose registry, RFC 6890 and successors). */
const PRIVATE_V4: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // RFC 1918
  ['100.64.0.0', 10], // carrier-grade NAT (RFC 6598)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, including cloud metadata endpoints (169.254.169.254)
  ['172.16.0.0', 12], // RFC 1918
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // TEST-NET-1
  ['192.88.99.0', 24], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16], // RFC 1918
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // TEST-NET-2
  ['203.0.113.0', 24], // TEST-NET-3
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the limited broadcast address
];

const PRIVATE_V4_RANGES = PRIVATE_V4.map(([base, bits]) => {
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { network: ((parseIPv4(base) ?? 0) & mask) >>> 0, mask };
});

/** A dotted-quad IPv4 address as an unsigned 32-bit number; no octal, hex or short forms. */
function parseIPv4(text: string): number | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/u.exec(text);
  if (match === null) return undefined;
  let value = 0;
  for (const part of match.slice(1)) {
    if (part.length > 1 && part.startsWith('0')) return undefined; // ambiguous (octal to some parsers)
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** An IPv6 address as eight 16-bit groups (embedded dotted quad allowed), or nothing. */
function parseIPv6(text: string): number[] | undefined {
  if (isIP(text) !== 6) return undefined;
  let hex = text.toLowerCase();
  const lastColon = hex.lastIndexOf(':');
  const tail = hex.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIPv4(tail);
    if (v4 === undefined) return undefined;
    hex = `${hex.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = hex.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string | undefined): number[] => (part === undefined || part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = groupsOf(halves[0]);
  const right = groupsOf(halves[1]);
  const groups = halves.length === 2 ? [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right] : left;
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

function isPrivateV4(address: number): boolean {
  return PRIVATE_V4_RANGES.some(({ network, mask }) => ((address & mask) >>> 0) === network);
}

function isPrivateV6(g: readonly number[]): boolean {
  const at = (i: number): number => g[i] ?? 0;
  const v4 = (hi: number, lo: number): number => ((hi << 16) >>> 0) + lo;
  const zeros = (from: number, to: number): boolean => g.slice(from, to).every((x) => x === 0);
  // ::ffff:a.b.c.d, IPv4-mapped: the kernel connects to the IPv4 address, so judge that.
  if (zeros(0, 5) && at(5) === 0xffff) return isPrivateV4(v4(at(6), at(7)));
  // ::/96: unspecified (::), loopback (::1) and the deprecated IPv4-compatible form; none is a public peer.
  if (zeros(0, 6)) return true;
  // 64:ff9b::/96, NAT64: the translator connects to the embedded IPv4 address.
  if (at(0) === 0x64 && at(1) === 0xff9b && zeros(2, 6)) return isPrivateV4(v4(at(6), at(7)));
  // 64:ff9b:1::/48, local-use NAT64.
  if (at(0) === 0x64 && at(1) === 0xff9b && at(2) === 1) return true;
  // 2002::/16, 6to4: the embedded IPv4 address is where packets go.
  if (at(0) === 0x2002) return isPrivateV4(v4(at(1), at(2)));
  // 2001::/23 IETF protocol assignments (Teredo, ORCHID, ...), 2001:db8::/32 and 3fff::/20 documentation.
  if (at(0) === 0x2001 && at(1) < 0x200) return true;
  if (at(0) === 0x2001 && at(1) === 0xdb8) return true;
  if (at(0) === 0x3fff && (at(1) & 0xf000) === 0) return true;
  // Only 2000::/3 is global unicast; this refuses fc00::/7 (unique-local), fe80::/10 (link-local),
  // fec0::/10 (site-local), ff00::/8 (multicast), 100::/64 (discard) and everything unallocated.
  return (at(0) & 0xe000) !== 0x2000;
}

/**
 * Whether an IP address is one a peer must not make us contact: loopback, RFC 1918 private, link-local,
 * carrier-grade NAT, unique-local, multicast, documentation, reserved, "this network", and IPv4 addresses
 * embedded in IPv6 (mapped, NAT64, 6to4) that are any of those. Brackets and a zone (`%eth0`) are accepted.
 *
 * Fails closed: a string that is not an IP address counts as private.
 *
 * @param ip - an IPv4 or IPv6 address
 */
export function isPrivateAddress(ip: string): boolean {
  let text = ip.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return isPrivateV4(v4);
  const v6 = parseIPv6(text);
  if (v6 !== undefined) return isPrivateV6(v6);
  return true;
}
