/**
 * A peer's discovery document (`/.well-known/dfc/`): fetched and read here only, for the sync (where its
 * enterprises and its change feed are) and for subscriptions (where to register a webhook).
 *
 * A peer's claims are untrusted: every URL read from the document must be on the peer's own origin.
 *
 * @packageDocumentation
 */
import { failure, type Failure } from '../errors/failure.js';
import type { PageFetch } from './sync-context.js';
import { sameOrigin } from './sync-context.js';

/** Where a node publishes its discovery document, under its origin. */
export const DISCOVERY_PATH = '/.well-known/dfc/';

/** What the sync reads of a discovery document: the URLs it names, as the peer wrote them. */
export interface DiscoveryDocument {
  /** The enterprises collection. */
  readonly enterprises?: string;
  /** The node's change feed. */
  readonly feed?: string;
  /** The feed of one enterprise, with `{eid}` in place of its id. */
  readonly enterpriseFeed?: string;
  /** Where webhooks are registered. */
  readonly subscriptions?: string;
  /** The software the node runs, as it says (`Maillon`). */
  readonly software?: string;
}

/**
 * What discovery found:
 * - `found`: a document (empty when the answer was no JSON object);
 * - `absent`: the peer answered, with no discovery document (an HTTP error, not a DFC format): fall back to
 *   the conventional paths;
 * - `unreachable`: no answer to tell (timeout, network, ...): try again later.
 */
export type DiscoveryOutcome =
  | { readonly status: 'found'; readonly document: DiscoveryDocument }
  | { readonly status: 'absent' | 'unreachable'; readonly failure: Failure };

/**
 * Fetches and reads the discovery document of an origin (no credential: discovery is public).
 *
 * @param origin - the peer's origin
 * @param fetch - the page fetch
 */
export async function discover(origin: string, fetch: PageFetch): Promise<DiscoveryOutcome> {
  const url = `${origin}${DISCOVERY_PATH}`;
  const fetched = await fetch({ url, accept: 'application/ld+json, application/json' });
  if (!fetched.ok) {
    const kind = fetched.failure.kind;
    return { status: kind === 'http-status' || kind === 'not-dfc' ? 'absent' : 'unreachable', failure: fetched.failure };
  }
  if (fetched.page.status !== 200) return { status: 'absent', failure: failure('discovery', 'the discovery document was answered without a body', url) };
  const value = fetched.page.json?.value;
  const object = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  const document: Record<string, string> = {};
  for (const key of ['enterprises', 'feed', 'enterpriseFeed', 'subscriptions', 'software'] as const) {
    const link = object[key];
    if (typeof link === 'string') document[key] = link;
  }
  return { status: 'found', document };
}

/**
 * The enterprises collection a discovery document names, if it is on the peer's origin.
 *
 * @param document - the peer's discovery document
 * @param peerUrl - the peer's URL
 */
export function enterprisesOf(document: DiscoveryDocument, peerUrl: string): string | undefined {
  return document.enterprises !== undefined && sameOrigin(document.enterprises, peerUrl) ? document.enterprises : undefined;
}

/**
 * The change feed that covers a peer URL, if the document names one on the peer's origin: the enterprise's
 * feed for an enterprise URL, the node's feed for a base URL, none for anything else.
 *
 * @param document - the peer's discovery document
 * @param peerUrl - the peer's URL
 */
export function feedOf(document: DiscoveryDocument, peerUrl: string): string | undefined {
  const url = new URL(peerUrl);
  const eid = /\/api\/dfc\/enterprises\/([^/?#]+)/u.exec(url.pathname)?.[1];
  let found: string | undefined;
  if (eid !== undefined && document.enterpriseFeed !== undefined) found = document.enterpriseFeed.replace('{eid}', eid);
  else if ((url.pathname === '/' || url.pathname === '') && document.feed !== undefined) found = document.feed;
  return found !== undefined && sameOrigin(found, peerUrl) ? found : undefined;
}

/**
 * Where the peer registers webhooks (a relative reference resolved against its origin), if on its origin.
 *
 * @param document - the peer's discovery document
 * @param origin - the peer's origin
 */
export function subscriptionsOf(document: DiscoveryDocument, origin: string): string | undefined {
  if (document.subscriptions === undefined) return undefined;
  try {
    const url = new URL(document.subscriptions, origin);
    return url.origin === origin ? url.href : undefined;
  } catch {
    return undefined;
  }
}
