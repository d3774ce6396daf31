/**
 * Webhook subscriptions under `/api/dfc/subscriptions`, and the receiving end under
 * `/api/sync/notifications/{peer}`: a verified notification from a peer starts an incremental sync of it.
 *
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { badCredentialOf, maySee, principalOf, requireCaller, requireScope, unauthorized } from '../auth/middleware.js';
import { isAdmin } from '../auth/tokens.js';
import { unknownEnterprise } from '../catalog/catalog-reads.js';
import type { CatalogService } from '../catalog/catalog-service.js';
import { ConflictHttpError, ForbiddenHttpError, NotFoundHttpError, UnauthorizedHttpError, UnprocessableEntityHttpError } from '../errors/http-error.js';
import { newSecret, ReplayGuard, SIGNATURE_HEADER, SIGNATURE_MISMATCH, verify } from '../feed/signature.js';
import type { FeedStore, SubscriptionRow } from '../store/feed.js';
import type { ProvenanceStore } from '../store/federation.js';
import { checkPeerUrl } from '../sync/peer-url.js';
import { MIN_SECRET_LENGTH } from '../sync/subscribe.js';
import type { SyncScheduler } from '../sync/scheduler.js';
import { jsonObjectBody } from './json-body.js';

/** Options of the subscription routes. */
export interface SubscriptionRoutesArgs {
  readonly feed: FeedStore;
  readonly catalog: CatalogService;
  readonly allowPrivate: boolean;
  /** Called when a subscription is created, so its first delivery does not wait for the next poll. */
  readonly onChange?: () => void;
}

/** A subscription as its owner sees it (the secret only in the answer to its creation). */
function view(row: SubscriptionRow, withSecret = false): Record<string, unknown> {
  const { secret, tokenId: _tokenId, ...rest } = row;
  return withSecret ? { ...rest, secret } : rest;
}

function json(res: Response, status: number, body: unknown): void {
  res.status(status).type('application/json').send(JSON.stringify(body));
}

/** `/api/dfc/subscriptions`. */
export function subscriptionRoutes(args: SubscriptionRoutesArgs): Router {
  const router = Router();
  const { feed, catalog } = args;

  const mine = async (req: Request, res: Response): Promise<SubscriptionRow> => {
    const principal = requireCaller(res, 'this needs an API token');
    const row = await feed.getSubscription(req.params['id'] as string);
    if (row === undefined || (!isAdmin(principal) && row.tokenId !== principal.tokenId)) throw new NotFoundHttpError('no such subscription');
    return row;
  };

  router.post('/subscriptions', async (req, res) => {
    // Every subscription is a token's: a caller without one is told so before anything of its body.
    requireCaller(res, 'this needs an API token');
    const body = jsonObjectBody(req, '{"callback": "https://...", "enterprise": "..."}');
    const unknown = Object.keys(body).filter((key) => key !== 'callback' && key !== 'enterprise');
    if (unknown.length > 0) throw new UnprocessableEntityHttpError(`unknown field(s) ${unknown.join(', ')}; a subscription takes callback and enterprise`);
    const enterprise = body['enterprise'];
    if (enterprise !== undefined && typeof enterprise !== 'string') throw new UnprocessableEntityHttpError('enterprise must be an enterprise id');
    let principal;
    if (enterprise === undefined) {
      principal = requireCaller(res, 'this needs an API token');
      if (!isAdmin(principal)) throw new ForbiddenHttpError('watching the whole node needs the admin token; give an enterprise');
    } else {
      // A private enterprise is unknown to whoever may not see it, as its feed is: 404, not 401 or 403.
      const row = await catalog.enterpriseRow(enterprise);
      // A credential we cannot use gets 401 invalid_token, which says nothing of the enterprise: an unknown one's
      // 404 is a 401 too then (the error funnel).
      if (row.private && principalOf(res) === undefined && badCredentialOf(res) !== undefined) throw unauthorized(res, 'this needs an API token');
      if (!maySee(res, row)) throw unknownEnterprise(enterprise);
      principal = requireScope(res, 'ReadProducts', enterprise);
    }
    if (typeof body['callback'] !== 'string') throw new UnprocessableEntityHttpError('callback (the URL to POST notifications to) is required');
    // The refusal reaches the subscriber's operator, but the fix is this node's: say whose setting it is.
    const checked = await checkPeerUrl(body['callback'], {
      allowPrivate: args.allowPrivate, ownBase: 'http://0.0.0.0', callback: true,
      privateHint: "this node does not call such addresses; its operator (not the subscriber's) allows them with 'maillon config set allow-private true' and a restart",
    });
    if (!checked.ok) throw new UnprocessableEntityHttpError(`callback refused: ${checked.failure.message}`);
    const id = randomBytes(12).toString('base64url');
    const row = await feed.createSubscription({
      id, tokenId: principal.tokenId, eid: enterprise ?? null, callback: checked.url,
      secret: newSecret(), createdAt: new Date().toISOString(),
      // Changes from now on: a subscriber first takes a snapshot, then follows.
      deliveredSeq: await feed.latestSeq(enterprise),
    });
    // The same callback subscribed twice by one token to the same changes would get each change twice: the store
    // answers the one it has (looked for in its transaction, so two requests at once make one).
    if (row.id !== id) {
      res.setHeader('Location', `${catalog.urls.api}/subscriptions/${row.id}`);
      throw new ConflictHttpError(`this callback is subscribed already (${row.id}): DELETE it first to subscribe it again with a new secret`);
    }
    res.setHeader('Location', `${catalog.urls.api}/subscriptions/${row.id}`);
    // The only answer that carries the secret: kept by no cache at all.
    res.setHeader('Cache-Control', 'no-store');
    json(res, 201, view(row, true));
    args.onChange?.();
  });

  router.get('/subscriptions', async (_req, res) => {
    const principal = requireCaller(res, 'this needs an API token');
    const rows = (await feed.listSubscriptions()).filter((r) => isAdmin(principal) || r.tokenId === principal.tokenId);
    json(res, 200, rows.map((r) => view(r)));
  });

  router.get('/subscriptions/:id', async (req, res) => json(res, 200, view(await mine(req, res))));
  router.delete('/subscriptions/:id', async (req, res) => {
    await feed.deleteSubscription((await mine(req, res)).id);
    res.status(204).end();
  });
  return router;
}

/** Options of the notification receiver. */
export interface NotificationRoutesArgs {
  readonly feed: FeedStore;
  /** The peers, to find the one a notification names (the provenance store). */
  readonly provenance: ProvenanceStore;
  readonly scheduler: SyncScheduler;
}

/** `/api/sync/notifications/{peer}`: where peers POST their signed notifications. */
export function notificationRoutes(args: NotificationRoutesArgs): Router {
  const router = Router();
  const guard = new ReplayGuard();
  // What a notification for a peer we hold no secret for is checked against: nobody can sign with it.
  const noSecret = newSecret();
  router.post('/notifications/:peer', async (req, res) => {
    const peer = await args.provenance.getPeer(Number(req.params['peer']));
    const state = peer === undefined ? undefined : await args.feed.peerFeed(peer.id);
    const refused = (reason: string): never => {
      throw new UnauthorizedHttpError(`notification refused: ${reason}`);
    };
    // A secret kept before short ones were refused (an empty one a peer gave) is none: anyone could sign with it.
    const kept = peer === undefined ? null : state?.secret ?? null;
    const secret = kept !== null && kept.length >= MIN_SECRET_LENGTH ? kept : null;
    const body = typeof req.body === 'string' ? req.body : '';
    // Verified whatever the peer: a header's form and time are judged alike for every peer id, and one answer (in
    // about one time) is given to an unknown peer, a peer we hold no secret for and a bad signature, so that probing
    // the ids tells nothing. Only a signature made with the secret can then be told it is a replay.
    const verdict = verify(secret ?? noSecret, req.get(SIGNATURE_HEADER), body, guard);
    if (!verdict.ok && verdict.failure.message !== SIGNATURE_MISMATCH) refused(verdict.failure.message);
    if (!verdict.ok || secret === null) refused('no subscription for this peer, or a signature that does not match');
    // Only a verified sender learns that its body is malformed: the signature is checked first.
    jsonObjectBody(req);
    // Counted once verified and well formed: the network view shows what the peer really sent, not what anyone posted.
    await args.feed.recordPeerNotification((peer as NonNullable<typeof peer>).id, new Date().toISOString());
    // Answer at once; the sync runs on its own (a notification never waits for a peer's catalogue).
    args.scheduler.syncSoon(peer as NonNullable<typeof peer>);
    res.status(202).end();
  });
  return router;
}
