/**
 * Checking a peer URL when the operator adds it: http(s) only, not this node, and not a private address
 * unless private peers are allowed (the fetcher checks again on every request, after DNS and redirects).
 *
 * @packageDocumentation
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { isPrivateAddress } from '../net/addresses.js';

/** The checked URL, or why it is refused. */
export type PeerUrlCheck = { ok: true; url: string } | { ok: false; message: string };

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
    return { ok: false, message: `not a URL: ${JSON.stringify(text)}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, message: 'a peer URL must be http or https' };
  if (url.username !== '' || url.password !== '') return { ok: false, message: 'put credentials in the peer token, not in the URL' };
  url.hash = '';
  if (url.href.startsWith(`${options.ownBase.replace(/\/+$/u, '')}/`) || url.origin === new URL(options.ownBase).origin) {
    return { ok: false, message: 'a node cannot be its own peer' };
  }
  if (!options.allowPrivate) {
    const host = url.hostname.replace(/^\[|\]$/gu, '');
    let addresses: string[];
    try {
      addresses = isIP(host) !== 0 ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
    } catch (error: unknown) {
      return { ok: false, message: `cannot resolve ${host}: ${error instanceof Error ? error.message : String(error)}` };
    }
    if (addresses.some(isPrivateAddress)) {
      return { ok: false, message: `${host} is a private or loopback address; start the node with --allow-private to sync such peers` };
    }
  }
  return { ok: true, url: url.href };
}
