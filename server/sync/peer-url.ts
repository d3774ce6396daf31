/**
 * Checking a peer URL when the operator adds it: http(s) only, no credentials in it, not this node, and not a
 * private address unless private peers are allowed (`net/public-host.ts` judges the host; the fetcher asks it
 * again on every request, after redirects).
 *
 * @packageDocumentation
 */
import { failure, type Failure } from '../errors/failure.js';
import { checkPublicHost, type HostCheck } from '../net/public-host.js';
import { clip, urlTooLong } from '../net/safe-fetch.js';

/** The checked URL, or why it is refused (the failure's message is what the operator is told). */
export type PeerUrlCheck = { ok: true; url: string } | { ok: false; failure: Failure };

/**
 * Checks a peer URL (or a webhook's callback URL).
 *
 * @param text - what the operator gave
 * @param options - whether private addresses are allowed, our own base URL, what to tell about a private
 *   address (default: how this node's operator allows private peers), and whether the URL is a callback's
 */
export async function checkPeerUrl(
  text: string, options: { allowPrivate: boolean; ownBase: string; privateHint?: string; callback?: boolean },
): Promise<PeerUrlCheck> {
  // A webhook's callback is checked as a peer URL is, and told in its own words.
  const callback = options.callback === true;
  // What is refused is told clipped: a text of any length may come (a 100 KB URL was stored and logged whole).
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return refused('bad-url', `not a URL: ${JSON.stringify(clip(text, 100))}`, clip(text, 100));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return refused('bad-url', `a ${callback ? 'callback' : 'peer'} URL must be http or https`, clip(text, 100));
  if (url.username !== '' || url.password !== '') return refused('bad-url', callback ? 'a callback URL takes no credentials (user:password@): notifications are signed instead' : 'put credentials in the peer token, not in the URL', clip(text, 100));
  // Port 0 is no port a server listens on: a client would connect to the scheme's default port instead.
  if (url.port === '0') return refused('bad-url', 'port 0 is no port a server listens on', clip(text, 100));
  url.hash = '';
  // The URL as it is stored and fetched.
  const tooLong = urlTooLong(url.href);
  if (tooLong !== undefined) return refused('bad-url', tooLong, clip(url.href, 100));
  if (url.href.startsWith(`${options.ownBase.replace(/\/+$/u, '')}/`) || url.origin === new URL(options.ownBase).origin) {
    return refused('bad-url', callback ? `${url.host} is no host to call` : 'a node cannot be its own peer', url.href);
  }
  if (!options.allowPrivate) {
    const host = url.hostname.replace(/^\[|\]$/gu, '');
    const checked = await checkPublicHost(host, false);
    if (!checked.ok) return refusedHost(checked, host, url.href, options.privateHint ?? PEER_PRIVATE_HINT);
  }
  return { ok: true, url: url.href };
}

function refused(kind: Failure['kind'], message: string, url: string): PeerUrlCheck {
  return { ok: false, failure: failure(kind, message, url) };
}

/** How the operator of the node that refused a private peer allows such peers: for one command, or for good. */
export const PEER_PRIVATE_HINT = "give --allow-private to this command, or allow private peers for good with 'maillon config set allow-private true'";

/** The operator's words for a host {@link checkPublicHost} refused. */
function refusedHost(checked: Exclude<HostCheck, { ok: true }>, host: string, url: string, privateHint: string): PeerUrlCheck {
  switch (checked.reason) {
    case 'private':
      return refused('private-address', `${host} is a private or loopback address; ${privateHint}`, url);
    case 'unresolved':
      return refused('network', `cannot resolve ${host}: ${checked.error instanceof Error ? checked.error.message : String(checked.error)}`, url);
    // An empty answer (Node's resolver throws instead), or a timeout, which is not asked for here: the
    // operator's add waits for the resolver.
    case 'no-address':
    case 'timeout':
      return refused('network', `cannot resolve ${host}: no address`, url);
  }
}

/**
 * Why a peer token cannot be sent, or undefined when it can: it goes in an HTTP header (`Authorization: Bearer …` or
 * `X-Api-Token`), which holds visible ASCII only. A token with a line break, a space or a character beyond ASCII was
 * stored, and then every sync of its peer failed (`Invalid character in header content`).
 */
export function peerTokenProblem(token: string): string | undefined {
  if (token === '') return 'token must be a non-empty string, or null to forget it';
  return /^[\x21-\x7e]+$/u.test(token) ? undefined : 'token must be visible ASCII characters without spaces or line breaks, as an HTTP header carries it';
}
