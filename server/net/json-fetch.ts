/**
 * Small JSON documents from other parties (an OpenID provider's discovery document and keys, a token
 * endpoint's answer), through {@link safeFetch} with tighter limits than a catalogue's.
 *
 * @packageDocumentation
 */
import { failure, type Failure } from '../errors/failure.js';
import { bodyText, type FetchPolicy, type SafeFetch, type SafeRequest } from './safe-fetch.js';

/** Largest JSON document of this kind: keys and discovery documents are a few kilobytes. */
export const SMALL_JSON_BYTES = 256 * 1024;

/** Deadline of one such request, in ms (whatever the policy allows a catalogue). */
export const SMALL_JSON_TIMEOUT_MS = 10_000;

/** A JSON document, or why not. */
export type JsonOutcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly failure: Failure };

/**
 * Fetches a small JSON document (a GET, or the request given), bounded to {@link SMALL_JSON_BYTES} and
 * {@link SMALL_JSON_TIMEOUT_MS}.
 *
 * @param fetch - the safe client
 * @param policy - the node's fetch policy (private addresses, connect timeout)
 * @param request - a URL, or a whole request (a form POST to a token endpoint)
 */
export async function fetchJson(fetch: SafeFetch, policy: FetchPolicy, request: string | SafeRequest): Promise<JsonOutcome> {
  const asked: SafeRequest = typeof request === 'string' ? { url: request } : request;
  const fetched = await fetch({ ...asked, headers: { accept: 'application/json', ...asked.headers } }, {
    ...policy, maxBytes: Math.min(policy.maxBytes, SMALL_JSON_BYTES), totalTimeoutMs: Math.min(policy.totalTimeoutMs, SMALL_JSON_TIMEOUT_MS),
  });
  if (!fetched.ok) return fetched;
  try {
    return { ok: true, value: JSON.parse(bodyText(fetched.response)) as unknown };
  } catch {
    return { ok: false, failure: failure('decode', 'the answer is not JSON', fetched.response.url, fetched.response.status) };
  }
}
