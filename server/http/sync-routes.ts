/**
 * The peers API under `/api/sync` (node admin only): add, list, inspect and remove peers, sync one now, the
 * sync status of every peer (with how its changes reach us and its quarantine), and our own change feed with the
 * push subscriptions other nodes hold at it.
 *
 * @packageDocumentation
 */
import { Router, type Request, type Response } from 'express';
import { requireAdmin } from '../auth/middleware.js';
import { ConflictHttpError, NotFoundHttpError, UnprocessableEntityHttpError } from '../errors/http-error.js';
import type { FeedStore, PeerFeedState, PeerPushState, SubscriptionRow } from '../store/feed.js';
import type { PeerChanges, PeerRow, ProvenanceStore } from '../store/federation.js';
import { checkPeerUrl, peerTokenProblem } from '../sync/peer-url.js';
import { parseInterval, type SyncScheduler } from '../sync/scheduler.js';
import { subscribeFailureText, type SubscribeOutcome } from '../sync/subscribe.js';
import { NodeUrls } from '../urls/node-urls.js';
import { jsonObjectBody, refuseUnknownFields } from './json-body.js';


/** Options of {@link syncRoutes}. */
export interface SyncRoutesArgs {
  readonly provenance: ProvenanceStore;
  /** Our change feed, its subscriptions, and what we know of each peer's feed. */
  readonly feed: FeedStore;
  readonly scheduler: SyncScheduler;
  readonly allowPrivate: boolean;
  /** Our own base URL: a node is not its own peer. */
  readonly ownBase: string;
  /** Registers our webhook at a peer. */
  readonly subscribe: (peer: PeerRow) => Promise<SubscribeOutcome>;
}

/** A peer as the API shows it: never its token. */
export function publicPeer(peer: PeerRow): Record<string, unknown> {
  const { token, ...rest } = peer;
  return { ...rest, ...peerState(peer), hasToken: token !== null };
}

/**
 * A peer's status as shown: `syncing` while a sync runs (its last outcome in `lastStatus`, its failures and last error
 * as that outcome left them), else its last outcome.
 */
export function peerState(peer: PeerRow): { status: string; lastStatus: string; syncingSince: string | null } {
  return { status: peer.syncingSince !== null ? 'syncing' : peer.status, lastStatus: peer.status, syncingSince: peer.syncingSince };
}

/**
 * How a peer's changes reach us: pushed (a notification starts a sync at once) or at its interval, and read from
 * its change feed, a full snapshot, or not known before its first sync.
 */
export function changesOf(peer: PeerRow, state: PeerFeedState): Record<string, unknown> {
  const feedUrl = state.feedUrl === null || state.feedUrl === '' ? null : state.feedUrl;
  // A feed is read incrementally once a snapshot gave the cursor; before that, and without a feed, snapshots.
  const read = state.feedUrl === null ? 'unknown' : feedUrl !== null && state.cursor !== null ? 'feed' : 'snapshot';
  return { via: state.secret !== null ? 'push' : 'interval', read, intervalSeconds: peer.intervalSeconds, feed: feedUrl, cursor: state.cursor };
}

/** Our push subscription at a peer, never its secret: `subscribed`, `failing` (never made, attempts failed) or `none`. */
export function pushOf(state: PeerFeedState, push: PeerPushState): Record<string, unknown> {
  const made = state.secret !== null;
  return { state: made ? 'subscribed' : push.failures > 0 ? 'failing' : 'none', subscription: made ? state.subscriptionUrl : null, ...push };
}

/**
 * Where a subscriber's notifications go, without what might be a credential: a callback's user, password and
 * query (`?key=…`) are the subscriber's secret as much as its webhook secret is.
 */
export function shownTarget(callback: string): string {
  try {
    const url = new URL(callback);
    return `${url.origin}${url.pathname}${url.search !== '' ? '?…' : ''}`;
  } catch {
    return '?';
  }
}

/** A push subscription held at our node, as the network view shows it: never its secret nor its token. */
function subscriberOf(row: SubscriptionRow, latest: number): Record<string, unknown> {
  return {
    id: row.id, enterprise: row.eid, target: shownTarget(row.callback), createdAt: row.createdAt, status: row.status, failures: row.failures,
    lastDeliveryAt: row.lastDeliveryAt, nextAttemptAt: row.nextAttemptAt, lastError: row.lastError, deliveredSeq: row.deliveredSeq,
    upToDate: row.deliveredSeq >= latest,
  };
}

function json(res: Response, status: number, body: unknown): void {
  res.status(status).type('application/json').send(JSON.stringify(body));
}

const PATCH_FIELDS = ['name', 'token', 'tokenHeader', 'interval', 'profile'] as const;

/**
 * The changes a `PATCH /api/sync/peers/{id}` body asks for, merge-patch style (RFC 7396): an absent field is
 * left as it is, `"token": null` forgets the token; any other field, or a value of the wrong shape, is refused.
 *
 * @throws UnprocessableEntityHttpError (422) naming the field
 */
export function peerChangesOf(body: Record<string, unknown>): PeerChanges {
  const unknown = Object.keys(body).filter((key) => !(PATCH_FIELDS as readonly string[]).includes(key));
  if (unknown.length > 0) throw new UnprocessableEntityHttpError(`unknown field(s) ${unknown.join(', ')}; a peer's ${PATCH_FIELDS.join(', ')} may change`);
  const changes: { -readonly [K in keyof PeerChanges]: PeerChanges[K] } = {};
  const { name, token, tokenHeader, interval, profile } = body;
  if (name !== undefined) {
    if (typeof name !== 'string' || name.trim() === '') throw new UnprocessableEntityHttpError('name must be a non-empty string');
    changes.name = name;
  }
  if (token !== undefined) {
    if (token !== null && typeof token !== 'string') throw new UnprocessableEntityHttpError('token must be a non-empty string, or null to forget it');
    const problem = token === null ? undefined : peerTokenProblem(token);
    if (problem !== undefined) throw new UnprocessableEntityHttpError(problem);
    changes.token = token;
  }
  if (tokenHeader !== undefined) {
    if (tokenHeader !== 'authorization' && tokenHeader !== 'x-api-token') throw new UnprocessableEntityHttpError('tokenHeader must be authorization or x-api-token');
    changes.tokenHeader = tokenHeader;
  }
  if (profile !== undefined) {
    if (profile !== 'dfc-v1' && profile !== 'dfc-v2') throw new UnprocessableEntityHttpError('profile must be dfc-v1 or dfc-v2');
    changes.profile = profile;
  }
  if (interval !== undefined) {
    const seconds = typeof interval === 'number' || typeof interval === 'string' ? parseInterval(String(interval)) : undefined;
    if (seconds === undefined) throw new UnprocessableEntityHttpError('interval must be like 300, 90s, 5m or 1h, at most a year');
    changes.intervalSeconds = seconds;
  }
  return changes;
}

/** Builds the router. */
export function syncRoutes(args: SyncRoutesArgs): Router {
  const router = Router();
  const { provenance, scheduler } = args;

  const peerOf = async (req: Request): Promise<PeerRow> => {
    const peer = await provenance.getPeer(req.params['id'] as string);
    if (peer === undefined) throw new NotFoundHttpError(`no peer ${JSON.stringify(req.params['id'])}`);
    return peer;
  };

  router.get('/status', async (_req, res) => {
    // Peer URLs and errors are the operator's business: admin only, like the rest of /api/sync.
    requireAdmin(res);
    const peers = await provenance.listPeers();
    const quarantined = await provenance.quarantineCounts();
    const states = await Promise.all(peers.map(async (p) => [await args.feed.peerFeed(p.id), await args.feed.peerPush(p.id)] as const));
    json(res, 200, {
      running: scheduler.active,
      // How late the schedule runs: the peers due and not running, and how overdue the latest is.
      schedule: scheduler.statusOf(peers),
      // Whether private and loopback peers are synced: the flag, the environment or the stored setting.
      allowPrivate: args.allowPrivate,
      peers: peers.map((p, i) => {
        const [state, push] = states[i] as (typeof states)[number];
        return {
          id: p.id, name: p.name, ...peerState(p), lastAttemptAt: p.lastAttemptAt, lastSuccessAt: p.lastSuccessAt,
          nextAttemptAt: p.nextAttemptAt, failures: p.failures, lastError: p.lastError, lastSummary: p.lastSummary,
          // A count only: the records and their problems are the peer's detail (`GET /api/sync/peers/{id}`).
          quarantined: quarantined.get(p.id) ?? 0, changes: changesOf(p, state), push: pushOf(state, push),
        };
      }),
    });
  });

  router.get('/feed', async (_req, res) => {
    // Subscribers' addresses and errors are the operator's business, like the peers'.
    requireAdmin(res);
    const stats = await args.feed.stats();
    const rows = await args.feed.listSubscriptions();
    // Up to date against the stream it follows: a subscription to one enterprise is not behind for another's events.
    const latest = new Map<string | null, number>([[null, stats.latestSeq]]);
    for (const eid of new Set(rows.map((r) => r.eid))) if (eid !== null) latest.set(eid, await args.feed.latestSeq(eid));
    json(res, 200, {
      feed: { url: `${new NodeUrls(args.ownBase).api}/feed`, latestSeq: stats.latestSeq, lastEventAt: stats.lastEventAt, events: stats.events, stream: stats.streamId },
      subscriptions: rows.map((r) => subscriberOf(r, latest.get(r.eid) ?? stats.latestSeq)),
    });
  });

  router.get('/peers', async (_req, res) => {
    requireAdmin(res);
    json(res, 200, (await provenance.listPeers()).map(publicPeer));
  });

  router.post('/peers', async (req, res) => {
    requireAdmin(res);
    const body = jsonObjectBody(req, '{"url": "...", "name": "...", "token": "...", "interval": "5m"}');
    refuseUnknownFields(body, ['url', 'name', 'token', 'tokenHeader', 'interval', 'profile', 'kind']);
    if (typeof body['url'] !== 'string') throw new UnprocessableEntityHttpError('url is required');
    for (const field of ['name', 'token'] as const) {
      if (body[field] != null && typeof body[field] !== 'string') throw new UnprocessableEntityHttpError(`${field} must be a string`);
    }
    const checked = await checkPeerUrl(body['url'], {
      allowPrivate: args.allowPrivate, ownBase: args.ownBase,
      privateHint: "this node does not sync such peers; its operator allows them with 'maillon config set allow-private true' and a restart (or starts it with --allow-private)",
    });
    if (!checked.ok) throw new UnprocessableEntityHttpError(checked.failure.message);
    const given = body['interval'];
    const interval = given === undefined ? 300 : typeof given === 'number' || typeof given === 'string' ? parseInterval(String(given)) : undefined;
    // A number that does not fit is refused, not kept: a year is far more than any peer needs.
    if (interval === undefined) throw new UnprocessableEntityHttpError('interval must be like 300, 90s, 5m or 1h, at most a year');
    const profile = body['profile'] ?? 'dfc-v1';
    if (profile !== 'dfc-v1' && profile !== 'dfc-v2') throw new UnprocessableEntityHttpError('profile must be dfc-v1 or dfc-v2');
    const tokenHeader = body['tokenHeader'] ?? 'authorization';
    if (tokenHeader !== 'authorization' && tokenHeader !== 'x-api-token') throw new UnprocessableEntityHttpError('tokenHeader must be authorization or x-api-token');
    // A string a header can carry (its type was checked above), or null: none, as a PATCH takes it.
    const tokenProblem = typeof body['token'] === 'string' ? peerTokenProblem(body['token']) : undefined;
    if (tokenProblem !== undefined) throw new UnprocessableEntityHttpError(tokenProblem);
    // A Solid pod (a container or a WebID) is read by walking its documents, not as a DFC node.
    const kind = body['kind'] ?? 'dfc';
    if (kind !== 'dfc' && kind !== 'solid') throw new UnprocessableEntityHttpError('kind must be dfc or solid');
    const name = typeof body['name'] === 'string' && body['name'] !== '' ? body['name'] : new URL(checked.url).host;
    const existing = (await provenance.listPeers()).find((p) => p.url === checked.url || p.name === name);
    if (existing !== undefined) throw new ConflictHttpError(`peer ${existing.name} already has this ${existing.url === checked.url ? 'URL' : 'name'}`);
    const peer = await provenance.addPeer({
      name, url: checked.url, kind, intervalSeconds: interval, profile, tokenHeader,
      ...(typeof body['token'] === 'string' ? { token: body['token'] } : {}),
    }, new URL(checked.url).origin);
    res.setHeader('Location', `${req.baseUrl}/peers/${peer.id}`);
    json(res, 201, publicPeer(peer));
  });

  router.get('/peers/:id', async (req, res) => {
    requireAdmin(res);
    const peer = await peerOf(req);
    // Quarantined records show their problems as every other answer does, stable `code` included.
    const quarantine = await provenance.quarantine(peer.id);
    json(res, 200, { ...publicPeer(peer), resources: await provenance.peerCounts(peer.id), quarantine });
  });

  // Changes what is sent and when, never what was synced: a peer's data stays (`DELETE` is the way to drop it).
  router.patch('/peers/:id', async (req, res) => {
    requireAdmin(res);
    const peer = await peerOf(req);
    const changes = peerChangesOf(jsonObjectBody(req, '{"token": "...", "tokenHeader": "authorization", "interval": "5m", "name": "...", "profile": "dfc-v1"}'));
    if (changes.name !== undefined && (await provenance.listPeers()).some((p) => p.name === changes.name && p.id !== peer.id)) {
      throw new ConflictHttpError(`another peer is named ${changes.name}`);
    }
    const updated = await provenance.updatePeer(peer.id, changes);
    if (updated === undefined) throw new NotFoundHttpError(`no peer ${JSON.stringify(req.params['id'])}`);
    json(res, 200, publicPeer(updated));
  });

  router.delete('/peers/:id', async (req, res) => {
    requireAdmin(res);
    const peer = await peerOf(req);
    await provenance.removePeer(peer.id);
    res.status(204).end();
  });

  router.post('/peers/:id/subscribe', async (req, res) => {
    requireAdmin(res);
    const outcome = await args.subscribe(await peerOf(req));
    if (!outcome.ok) throw new UnprocessableEntityHttpError(`cannot subscribe: ${subscribeFailureText(outcome.failure)}`);
    json(res, 200, outcome);
  });

  router.post('/peers/:id/sync', async (req, res) => {
    requireAdmin(res);
    const outcome = await scheduler.syncOne(await peerOf(req));
    json(res, 200, outcome.ok ? { ok: true, summary: outcome.summary } : { ok: false, failure: outcome.failure });
  });

  return router;
}
