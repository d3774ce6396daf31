/**
 * Checking a peer URL when the operator adds it: http(s) only, not this node, and not a private address
 * unless private peers are allowed (the fetcher checks again on every request, after DNS and redirects).
 *
 * @packageDocumentation
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { failure, type Failure } from '../errors/failure.js';
import { isPrivateAddress } from '../net/addresses.js';

/** The checked URL, or why it is refused (the failure's message is what the operator is told). */
export type PeerUrlCheck = { ok: true; url: string } | { ok: false; failure: Failure };

/**
 * Checks a peer URL.
 *
 * @param text - what the operator gave
 * @param options - whether private addresses are allowed, and our own base URL
 */
export async function checkPeerUrl(text: string, options: { allowPrivate: boolean; ownBase: string }): Promise<PeerUrlCheck> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return refused('bad-url', `not a URL: ${JSON.stringify(text)}`, text);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return refused('bad-url', 'a peer URL must be http or https', text);
  if (url.username !== '' || url.password !== '') return refused('bad-url', 'put credentials in the peer token, not in the URL', text);
  url.hash = '';
  if (url.href.startsWith(`${options.ownBase.replace(/\/+$/u, '')}/`) || url.origin === new URL(options.ownBase).origin) {
    return refused('bad-url', 'a node cannot be its own peer', url.href);
  }
  if (!options.allowPrivate) {
    const host = url.hostname.replace(/^\[|\]$/gu, '');
    let addresses: string[];
    try {
      addresses = isIP(host) !== 0 ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
    } catch (error: unknown) {
      return refused('network', `cannot resolve ${host}: ${error instanceof Error ? error.message : String(error)}`, url.href);
    }
    if (addresses.some(isPrivateAddress)) {
      return refused('private-address', `${host} is a private or loopback address; start the node with --allow-private to sync such peers`, url.href);
    }
  }
  return { ok: true, url: url.href };
}

function refused(kind: Failure['kind'], message: string, url: string): PeerUrlCheck {
  return { ok: false, failure: failure(kind, message, url) };
}
