/**
 * Failures as values: what went wrong with another party (a peer, a subscriber, a pod) or, rarely, in our own
 * code during a background job. Beside `HttpError` (thrown, turned into problem+json by the one funnel)
 * and `Problem` (what is wrong with a DFC document), this is the third shape of error: returned, never
 * thrown, so a sync or a delivery records it and moves on.
 *
 * @packageDocumentation
 */

/**
 * Why something failed. Callers branch on the kind, never on the message.
 *
 * - the outbound HTTP client (`net/safe-fetch`): `timeout`, `too-large`, `http-status` (any answer that is not
 *   2xx or 304; `status` says which), `too-many-redirects`, `private-address`, `bad-url`, `network`,
 *   `truncated` (a compressed body cut before its end too), `bad-encoding` (a content encoding we did not ask for,
 *   stacked codings, or a compressed body that does not decode);
 * - what a peer sent: `not-dfc` (not a DFC document, or not one the decoder can read), `decode` (an answer
 *   that is not what the protocol says, e.g. a subscription without its secret), `discovery` (no usable
 *   discovery document);
 * - `signature`: a notification whose signature does not verify;
 * - `removed`: what the job worked for was removed while it ran (a peer deleted during its sync): nothing of it is kept;
 * - `stopped`: the node was stopping, and the job gave up rather than hold the stop (it runs again after the next start);
 * - `busy`: another process is doing the same job now (`maillon sync` beside `serve`, both syncing one peer): this one
 *   did not run, wrote nothing, and counts no failure;
 * - `internal`: our own fault (a bug, the database), reported on the job like any other failure.
 */
export type FailureKind =
  | 'timeout'
  | 'too-large'
  | 'http-status'
  | 'too-many-redirects'
  | 'private-address'
  | 'bad-url'
  | 'network'
  | 'truncated'
  | 'bad-encoding'
  | 'not-dfc'
  | 'decode'
  | 'discovery'
  | 'signature'
  | 'removed'
  | 'stopped'
  | 'busy'
  | 'internal';

/**
 * One failure. Its JSON form (`kind`, `message`, and `url`, `status` when known) is what the sync API answers,
 * so no other field belongs here.
 */
export interface Failure {
  readonly kind: FailureKind;
  /** One line for logs and operators; text from the other party in it is clipped and free of control characters. */
  readonly message: string;
  /** The URL being worked on when it failed (after any redirects followed). */
  readonly url?: string;
  /** The HTTP status, when the other party answered one. */
  readonly status?: number;
}

/**
 * Builds a failure, leaving out what is unknown.
 *
 * @param kind - why
 * @param message - one line for operators
 * @param url - the URL being worked on
 * @param status - the HTTP status answered
 */
export function failure(kind: FailureKind, message: string, url?: string, status?: number): Failure {
  return { kind, message, ...(url !== undefined ? { url } : {}), ...(status !== undefined ? { status } : {}) };
}

/**
 * The one-line text of a failure as operators see it (the stored `lastError`, the CLI's tables): `kind: message`.
 *
 * @param f - the failure
 */
export function failureText(f: Failure): string {
  return `${f.kind}: ${f.message}`;
}

/**
 * A URL as logs show it: without its query, fragment and user info, where secrets are put (a peer's
 * `?key=…`, `user:password@`); the query's place is marked (`?…`). A text that is no URL is given back as it is.
 *
 * @param url - the URL
 */
export function shownUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (parsed.search === '' && parsed.hash === '' && parsed.username === '' && parsed.password === '') return url;
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}${parsed.search !== '' ? '?…' : ''}`;
}

/** The absolute URLs in a failure's message (a redirect's target, the page that failed). */
const URLS_IN_TEXT = /\bhttps?:\/\/[^\s"'<>]+/giu;

/**
 * A failure as logs show it: its URL, and each URL in its message, {@link shownUrl | without query nor user info}.
 * The failure itself (what the sync answers its admin, what the node fetches) keeps them whole.
 *
 * @param f - the failure
 */
export function loggedFailure(f: Failure): Failure {
  const message = f.message.replace(URLS_IN_TEXT, (url) => shownUrl(url));
  const url = f.url !== undefined ? shownUrl(f.url) : undefined;
  if (message === f.message && url === f.url) return f;
  return { ...f, message, ...(url !== undefined ? { url } : {}) };
}
