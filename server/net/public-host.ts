/**
 * Whether a host may be contacted: its name resolved once, and every address judged by the policy of
 * `addresses.ts`. The fetcher asks on every hop, the peer check when an operator adds a peer; neither
 * resolves names or judges addresses on its own, and each words the answer for its own reader.
 *
 * @packageDocumentation
 */
import dns, { type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { isPrivateAddress } from './addresses.js';

/**
 * What {@link checkPublicHost} found: the addresses to connect to (none for an IP literal: there was nothing
 * to resolve), or why the host is refused.
 */
export type HostCheck =
  | { readonly ok: true; readonly addresses: LookupAddress[] | undefined }
  /** The name did not resolve: `error` is what the resolver said. */
  | { readonly ok: false; readonly reason: 'unresolved'; readonly error: unknown }
  /** The resolver did not answer within the time given. */
  | { readonly ok: false; readonly reason: 'timeout' }
  /** The resolver answered with no address. */
  | { readonly ok: false; readonly reason: 'no-address' }
  /** The host is, or resolves to, an address that is not public: `resolved` tells which. */
  | { readonly ok: false; readonly reason: 'private'; readonly address: string; readonly resolved: boolean };

/** Options of {@link checkPublicHost}. */
export interface HostCheckOptions {
  /** Give up resolving after this long (a resolver call cannot be cancelled, only abandoned). */
  readonly timeoutMs?: number;
}

/**
 * Checks a host: an IP literal as it is, a name by resolving it (through `dns.promises.lookup`, looked up
 * at call time so that tests can stand in for DNS) and checking every address it resolves to.
 *
 * A name is refused if ANY of its addresses is private: otherwise a peer could list one public and one
 * internal address. A name is resolved even when private addresses are allowed, since the caller connects
 * to the addresses checked (no second query a rebinding server could answer differently).
 *
 * @param host - a host name or IP address (IPv6 with or without brackets)
 * @param allowPrivate - whether loopback, private and other non-public addresses are acceptable
 * @param options - a time limit for the resolver
 */
export async function checkPublicHost(host: string, allowPrivate: boolean, options: HostCheckOptions = {}): Promise<HostCheck> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(bare) !== 0) {
    if (!allowPrivate && isPrivateAddress(bare)) return { ok: false, reason: 'private', address: bare, resolved: false };
    return { ok: true, addresses: undefined };
  }
  let addresses: LookupAddress[];
  try {
    const lookup = dns.promises.lookup(bare, { all: true });
    addresses = await (options.timeoutMs === undefined ? lookup : withTimeout(lookup, options.timeoutMs));
  } catch (error: unknown) {
    if (error === TIMED_OUT) return { ok: false, reason: 'timeout' };
    return { ok: false, reason: 'unresolved', error };
  }
  if (addresses.length === 0) return { ok: false, reason: 'no-address' };
  if (!allowPrivate) {
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad !== undefined) return { ok: false, reason: 'private', address: bad.address, resolved: true };
  }
  return { ok: true, addresses };
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
