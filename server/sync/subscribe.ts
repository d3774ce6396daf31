/**
 * Subscribing to a peer's push notifications: our node registers a webhook at the peer (its discovery names the
 * subscriptions endpoint) and keeps the shared secret to verify what the peer sends.
 *
 * @packageDocumentation
 */
import { failure, failureText, type Failure } from '../errors/failure.js';
import { bodyText, type FetchPolicy, type SafeFetch } from '../net/safe-fetch.js';
import type { FeedStore } from '../store/feed.js';
import type { PeerRow } from '../store/federation.js';
import { safeDecode } from '../urls/node-urls.js';
import { discover, subscriptionsOf } from './discovery.js';
import { fetchPage, peerCredential } from './peer-fetch.js';

/** What {@link subscribeToPeer} needs. */
export interface SubscribeArgs {
  readonly feed: FeedStore;
  /** The HTTP client. */
  readonly fetch: SafeFetch;
  readonly policy: FetchPolicy;
  /** Our public base URL: the peer POSTs to `<base>/api/sync/notifications/<peer id>`. */
  readonly ownBase: string;
}

/** The outcome of a subscription attempt. */
export type SubscribeOutcome = { ok: true; subscription: string } | { ok: false; failure: Failure };

/**
 * Why a subscription failed, in one line: what the peer's answer meant (it takes no subscriptions, it gave no
 * secret) as it is, a transport failure with its kind (`timeout: …`), as operators have always read them.
 */
export function subscribeFailureText(f: Failure): string {
  return f.kind === 'discovery' || f.kind === 'decode' ? f.message : failureText(f);
}

/** The shortest webhook secret a peer may give (ours are 49 characters: `whsec_` and 32 random bytes in base64url). */
export const MIN_SECRET_LENGTH = 16;

/** Refusals of a subscription whose problem detail is worth reading: a bad token, no right, a refused callback. */
const REFUSALS: ReadonlySet<number> = new Set([401, 403, 422]);

/** The `detail` (else `title`) of a problem document, clipped to one line; the text itself when it is none. */
function problemDetail(text: string): string {
  let said = text;
  try {
    const problem = JSON.parse(text) as { detail?: unknown; title?: unknown };
    if (typeof problem.detail === 'string') said = problem.detail;
    else if (typeof problem.title === 'string') said = problem.title;
  } catch {
    // Not JSON: the text as it is.
  }
  // eslint-disable-next-line no-control-regex -- text from another party: no control characters in a log line
  const line = said.replace(/[\u0000-\u001f\u007f]+/gu, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

/**
 * Records how an attempt to subscribe at a peer ended, for the network view: the operator sees a subscription
 * that could not be made (and why) instead of waiting for notifications that will never come.
 */
export async function recordSubscribeOutcome(feed: FeedStore, peerId: number, outcome: SubscribeOutcome, at = new Date()): Promise<void> {
  await feed.recordPeerSubscribe(peerId, at.toISOString(), outcome.ok ? null : subscribeFailureText(outcome.failure));
}

/**
 * Registers our webhook at a peer.
 *
 * @param peer - the peer (its token is used; a node-wide subscription needs the peer's admin token, an
 *   enterprise URL subscribes to that enterprise)
 */
export async function subscribeToPeer(peer: PeerRow, args: SubscribeArgs): Promise<SubscribeOutcome> {
  const origin = new URL(peer.url).origin;
  const discovery = await discover(origin, (request) => fetchPage(request, args.policy, args.fetch));
  if (discovery.status !== 'found') {
    return { ok: false, failure: failure('discovery', 'the peer has no discovery document: it does not take subscriptions', `${origin}/`) };
  }
  const endpoint = subscriptionsOf(discovery.document, origin);
  if (endpoint === undefined) return { ok: false, failure: failure('discovery', 'the peer does not take subscriptions', `${origin}/`) };
  const eid = /\/api\/dfc\/enterprises\/([^/?#]+)/u.exec(new URL(peer.url).pathname)?.[1];
  const body = JSON.stringify({
    callback: `${args.ownBase.replace(/\/+$/u, '')}/api/sync/notifications/${peer.id}`,
    ...(eid !== undefined ? { enterprise: safeDecode(eid) ?? eid } : {}),
  });
  const answer = await args.fetch({
    url: endpoint, method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' }, body,
    // Registration carries our credential at the peer: it is not replayed to wherever a redirect points.
    redirect: 'error',
    ...(peer.token !== null ? { credential: peerCredential(peer.token, peer.tokenHeader) } : {}),
    // A refusal's problem document is read whole: its detail says what to fix, and on which node.
    answerStatuses: REFUSALS,
  }, args.policy);
  if (!answer.ok) return answer;
  if (REFUSALS.has(answer.response.status)) {
    return { ok: false, failure: failure('http-status', `the peer refused (HTTP ${answer.response.status}): ${problemDetail(bodyText(answer.response))}`, endpoint, answer.response.status) };
  }
  let created: { id?: unknown; secret?: unknown };
  try {
    created = JSON.parse(bodyText(answer.response)) as { id?: unknown; secret?: unknown };
  } catch {
    return { ok: false, failure: failure('decode', 'the peer answered something that is not a subscription', endpoint, answer.response.status) };
  }
  if (typeof created.secret !== 'string' || typeof created.id !== 'string') {
    return { ok: false, failure: failure('decode', 'the peer gave no secret', endpoint, answer.response.status) };
  }
  // The secret is all that tells the peer's notifications from anyone's: an empty or short one can be guessed, and
  // each forged notification would start a sync of the peer.
  if (created.secret.length < MIN_SECRET_LENGTH) {
    // The subscription the peer made is given back (as far as it lets us): it would go on sending what we refuse.
    await args.fetch({
      url: `${endpoint}/${encodeURIComponent(created.id)}`, method: 'DELETE', redirect: 'error',
      ...(peer.token !== null ? { credential: peerCredential(peer.token, peer.tokenHeader) } : {}),
    }, args.policy);
    return { ok: false, failure: failure('decode', `the peer gave a secret of ${created.secret.length} characters, too short to tell its notifications from forged ones (at least ${MIN_SECRET_LENGTH})`, endpoint, answer.response.status) };
  }
  const subscription = `${endpoint}/${created.id}`;
  await args.feed.setPeerFeed(peer.id, { secret: created.secret, subscriptionUrl: subscription });
  return { ok: true, subscription };
}
