/**
 * `createApp(deps)`: the Express application of a node, without listening. Tests build it in-process and
 * `main.ts` gives it a socket.
 *
 * @packageDocumentation
 */
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import express, { type Express, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { identify, principalOf, type BearerVerifier } from './auth/middleware.js';
import { SIGNATURE_HEADER } from './feed/signature.js';
import type { CatalogService } from './catalog/catalog-service.js';
import { BadRequestHttpError, MethodNotAllowedHttpError, NotFoundHttpError, NotImplementedHttpError } from './errors/http-error.js';
import { compression, COMPRESSION_SETTING } from './http/compress.js';
import { dfcRoutes, readAheadOfStockWrites } from './http/dfc-routes.js';
import { discoveryRoutes } from './http/discovery-routes.js';
import { healthRoutes } from './http/health-routes.js';
import { errorHandler } from './http/error-handler.js';
import type { RenderCache } from './http/render.js';
import { requestLogger } from './logging.js';
import type { NodeStore } from './store/store.js';
import type { FederationService } from './federation/federation-service.js';
import { federationRoutes } from './http/federation-routes.js';
import { listingRoutes } from './http/listing-routes.js';
import type { ListingService } from './orders/listings.js';
import { feedRoutes } from './http/feed-routes.js';
import { syncRoutes } from './http/sync-routes.js';
import { notificationRoutes, subscriptionRoutes } from './http/subscription-routes.js';
import type { PeerRow } from './store/federation.js';
import type { SubscribeOutcome } from './sync/subscribe.js';
import type { SyncScheduler } from './sync/scheduler.js';
import type { OrderService } from './orders/order-service.js';
import { buyerOpenOrders, orderRoutes } from './http/order-routes.js';
import { oidcRoutes } from './http/oidc-routes.js';
import { allowedMethods, openApiRoutes } from './http/openapi.js';
import { JSON_BODY_TYPES } from './http/json-body.js';
import { dashboardRoutes } from './http/dashboard-routes.js';
import { onlyWhereRouted } from './http/router-guard.js';
import { inSequence } from './http/in-sequence.js';

/** What the application needs. */
export interface AppDeps {
  readonly store: NodeStore;
  /** Our catalogue: reads and writes. */
  readonly catalog: CatalogService;
  /** The federated catalogue. */
  readonly federation: FederationService;
  /** Rendered bodies of our catalogue, by enterprise version. */
  readonly renderCache: RenderCache;
  readonly logger: Logger;
  /** Body size limit in bytes (default 5 MB). */
  readonly bodyLimit?: number;
  /** Default page size of collections (default 500). */
  readonly pageSize?: number;
  /** Name shown in discovery. */
  readonly name?: string;
  /** Runs peer syncs (the `/api/sync` routes use it). */
  readonly scheduler: SyncScheduler;
  /** Whether peers on private addresses may be added. */
  readonly allowPrivate?: boolean;
  /** Versions per fragment of the change feed (default 500). */
  readonly feedFragmentSize?: number;
  /** Called after a subscription is created (wakes the webhook deliveries). */
  readonly onChange?: () => void;
  /** Registers our webhook at a peer. */
  readonly subscribe: (peer: PeerRow) => Promise<SubscribeOutcome>;
  /** The orders of our enterprises (the DFC Orders API). */
  readonly orders: OrderService;
  /** Listings of other nodes' items (none: no listing routes). */
  readonly listings?: ListingService;
  /** Verifiers of bearer tokens that are not our API tokens (OpenID Connect). */
  readonly verifiers?: readonly BearerVerifier[];
  /**
   * Which reverse proxies' `X-Forwarded-*` headers are believed (default none): the client address and protocol
   * that requests are logged with come from them only then.
   */
  readonly trustProxy?: false | number | readonly string[];
  /** The dashboard map's tile server URL template (none: plain points on a blank background). */
  readonly tileUrl?: string;
  /** Whether responses are compressed for clients that ask (`Accept-Encoding: br, gzip`; default true). */
  readonly compression?: boolean;
}

/** The version written in discovery. */
export const VERSION = '0.1.0';

/**
 * Refuses a body taken as UTF-8 (declared so, or with no charset) whose bytes are not UTF-8, or declared US-ASCII
 * with bytes that are not: it would be read with U+FFFD in place of what the client wrote, and stored so. JSON and
 * Turtle are UTF-8 text.
 */
function refuseInvalidUtf8(_req: IncomingMessage, _res: unknown, bytes: Buffer, encoding: string): void {
  if (/^utf-?8$/iu.test(encoding) && !isUtf8(bytes)) throw new BadRequestHttpError('the body is not valid UTF-8');
  // US-ASCII has no byte above 0x7F: one is read as U+FFFD, and would be stored so.
  if (/^(?:us-)?ascii$/iu.test(encoding)) {
    const at = bytes.findIndex((b) => b > 0x7f);
    if (at >= 0) throw new BadRequestHttpError(`the body is not valid US-ASCII, as its Content-Type says: byte 0x${(bytes[at] ?? 0).toString(16)} at offset ${at} (send UTF-8)`);
  }
}

/** The methods whose requests carry a representation a route reads. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** The most a peer's notification read without a credential may unpack to (one is a few hundred bytes). */
const NOTIFICATION_BODY_LIMIT = 64 * 1024;

/** The routes that read the body of a request without a credential: a peer's notification, signed over its body. */
const ANONYMOUS_BODY = /^\/api\/sync\/notifications\/[^/]+\/?$/iu;

/** Whether a path's router answers OPTIONS itself (the DFC resources, orders included; not the listings). */
function answersOptionsItself(path: string): boolean {
  const lower = path.toLowerCase();
  if (/^\/api\/dfc\/(?:persons|addresses)\//u.test(lower)) return true;
  return /^\/api\/dfc\/enterprises(?:\/|$)/u.test(lower) && !/^\/api\/dfc\/enterprises\/[^/]+\/listings(?:\/|$)/u.test(lower);
}

/** Builds the application. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // ETags are ours (strong, from the content); Express's own weak ones would shadow them.
  app.set('etag', false);
  app.set('query parser', 'simple');
  // Off unless configured: otherwise any client could write X-Forwarded-For and be logged as someone else.
  app.set('trust proxy', deps.trustProxy === undefined || deps.trustProxy === false ? false : deps.trustProxy);
  const catalog = deps.catalog;

  // Every request goes through these: run as one handler, not as a router layer each (see `inSequence`).
  const front: RequestHandler[] = [];
  front.push(requestLogger(deps.logger));
  app.set(COMPRESSION_SETTING, deps.compression ?? true);
  front.push(compression());
  // No answer is to be sniffed into another type (a JSON error read as HTML by an old browser). An answer to a request
  // with a credential that says nothing of caching is the caller's own: no shared cache keeps it (RFC 9111 §3.5
  // covers `Authorization` only, not `X-Api-Token`), and a private one asks again before using it.
  front.push((req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (req.headers.authorization !== undefined || req.headers['x-api-token'] !== undefined) {
      const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => typeof res;
      res.writeHead = ((...args: unknown[]) => {
        if (!res.hasHeader('cache-control')) res.setHeader('Cache-Control', 'private, no-cache');
        return writeHead(...args);
      }) as typeof res.writeHead;
    }
    next();
  });
  // CORS for reads: any origin may read public catalogues from a browser.
  front.push((req, res, next) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', 'ETag, Last-Modified, Link, Location, X-Request-Id');
    if (req.method === 'OPTIONS' && req.get('access-control-request-method') !== undefined) {
      res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS');
      // `Prefer`: LDP paging (`Prefer: return=representation; max-member-count=…`) from a page on another origin.
      res.setHeader('Access-Control-Allow-Headers', 'Accept, Accept-Language, Authorization, X-Api-Token, If-None-Match, Prefer');
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  });
  // A stock write's read begins here, beside the look-up of its credential below, not after it.
  front.push(readAheadOfStockWrites(catalog));
  front.push(identify(deps.store, { logger: deps.logger, ...(deps.verifiers !== undefined ? { verifiers: deps.verifiers } : {}) }));
  // Every body is read as text: the codec decides what it is (JSON-LD, plain JSON, Turtle…). Only a write's, and
  // only once its caller is known: unpacking a compressed body costs up to the limit in memory, and a request
  // that no route would take a body from (a GET, an anonymous write, which is refused) must cost next to nothing.
  // Peers' signed notifications are the one anonymous write: their signature is over the body.
  const readBody = express.text({ type: () => true, limit: deps.bodyLimit ?? 5 * 1024 * 1024, verify: refuseInvalidUtf8 });
  // A notification is a few hundred bytes: anyone may send one, so what it may cost is bounded low (unpacked), and a
  // request without a signature to check is not read at all.
  const readNotification = express.text({ type: () => true, limit: Math.min(NOTIFICATION_BODY_LIMIT, deps.bodyLimit ?? Infinity), verify: refuseInvalidUtf8 });
  front.push((req, res, next) => {
    if (!BODY_METHODS.has(req.method)) {
      next();
      return;
    }
    const framing = framingError(req);
    if (framing !== undefined) {
      next(framing);
      return;
    }
    if (principalOf(res) !== undefined) {
      readBody(req, res, next);
      return;
    }
    if (ANONYMOUS_BODY.test(req.path) && req.get(SIGNATURE_HEADER) !== undefined) {
      readNotification(req, res, next);
      return;
    }
    next();
  });
  // OPTIONS of the routes whose routers do not answer it themselves (the DFC resources' do, with their Accept-Post):
  // 204 with the route's methods, not Express's default of 200 "GET, HEAD" in text, which left OPTIONS and POST out.
  front.push((req, res, next) => {
    const allowed = req.method === 'OPTIONS' && !answersOptionsItself(req.path) ? allowedMethods(req.path) : undefined;
    if (allowed === undefined) {
      next();
      return;
    }
    res.setHeader('Allow', allowed);
    // These routes take JSON bodies only.
    if (allowed.split(', ').includes('POST')) res.setHeader('Accept-Post', JSON_BODY_TYPES);
    res.status(204).end();
  });
  app.use(inSequence(front));
  const dfc = dfcRoutes({ catalog, cache: deps.renderCache, pageSize: deps.pageSize ?? 500, maxPageSize: 10000, openOrders: buyerOpenOrders(deps.orders) });
  // The stock write, the busiest request (Open Food Network's, for every sale in every shop), routed before the
  // routers: under `/api/dfc` it was matched against every route ahead of it (and every router's, to skip them), and
  // its URL rewritten going in and out of the mount. None of those routes takes a PUT of this path; the handler is
  // the one the DFC router routes there.
  app.put('/api/dfc/enterprises/:eid/catalog_items/:id', dfc.catalogItemWrite);
  app.use(onlyWhereRouted(discoveryRoutes({ urls: catalog.urls, name: deps.name ?? 'Maillon node', version: VERSION })));
  app.use(onlyWhereRouted(openApiRoutes({ base: deps.store.baseUrl, version: VERSION })));
  app.use(onlyWhereRouted(healthRoutes(deps.store, VERSION)));
  // The routers under `/api/dfc`, mounted once: each mount point rewrites the request's URL going in and coming out
  // (and it is parsed again). Neither router above answers where one of these does (discovery's `/api/dfc/webid` is
  // none of theirs), so their order against these is no matter.
  const dfcApi = express.Router();
  // Orders first: the busiest writes (an order per sale, through every shop) go past no other router's routes
  // (none of which answers under an orders collection or takes a POST to a products collection).
  dfcApi.use(onlyWhereRouted(orderRoutes({ orders: deps.orders, store: deps.store, base: deps.store.baseUrl, pageSize: deps.pageSize ?? 500, maxPageSize: 10000 })));
  dfcApi.use(onlyWhereRouted(subscriptionRoutes({
    feed: deps.store.feed, catalog, allowPrivate: deps.allowPrivate ?? false, ...(deps.onChange !== undefined ? { onChange: deps.onChange } : {}),
  })));
  dfcApi.use(onlyWhereRouted(feedRoutes({ feed: deps.store.feed, catalog, fragmentSize: deps.feedFragmentSize ?? 500 })));
  if (deps.listings !== undefined) dfcApi.use(onlyWhereRouted(listingRoutes({ listings: deps.listings })));
  dfcApi.use(dfc);
  app.use('/api/dfc', dfcApi);
  const provenance = deps.store.provenance;
  app.use('/api/sync', notificationRoutes({ feed: deps.store.feed, provenance, scheduler: deps.scheduler }));
  app.use('/api/sync', syncRoutes({
    provenance, feed: deps.store.feed, scheduler: deps.scheduler, allowPrivate: deps.allowPrivate ?? false, ownBase: deps.store.baseUrl, subscribe: deps.subscribe,
  }));
  app.use('/api/admin', oidcRoutes({ oidc: deps.store.oidc, store: deps.store }));
  app.use('/api/federation', federationRoutes({
    service: deps.federation,
    base: deps.store.baseUrl, pageSize: deps.pageSize ?? 500, maxPageSize: 10000,
  }));
  app.use(dashboardRoutes(deps.tileUrl !== undefined ? { tileUrl: deps.tileUrl } : {}));
  app.use((req, res, next) => {
    const path = req.originalUrl.split('?')[0] ?? '';
    // A route that takes other methods: 405 with what it takes (an OPTIONS, 204 with them), not "nothing at".
    const allowed = allowedMethods(path);
    if (allowed !== undefined && req.method === 'OPTIONS') {
      res.setHeader('Allow', allowed);
      res.status(204).end();
      return;
    }
    if (allowed === undefined || allowed.split(', ').includes(req.method)) {
      next(new NotFoundHttpError(`nothing at ${path}`));
      return;
    }
    next(new MethodNotAllowedHttpError(`${req.method} is not allowed on ${path}; allowed: ${allowed}`, { headers: { Allow: allowed } }));
  });
  app.use(errorHandler(deps.logger));
  return app;
}

/**
 * What makes a request's body mean something else here than to a proxy in front of the node (request smuggling), or
 * be read as another type than the client meant: a transfer coding other than chunked, which Node's parser leaves
 * unapplied (`Transfer-Encoding: gzip, chunked` was read as a plain body), is a 501 (RFC 9112 §6.1); a second
 * `Content-Type`, which Node drops, a 400.
 */
function framingError(req: IncomingMessage): Error | undefined {
  const coding = req.headers['transfer-encoding'];
  if (coding !== undefined && coding.trim().toLowerCase() !== 'chunked') {
    return new NotImplementedHttpError(`Transfer-Encoding ${JSON.stringify(coding)} is not applied here: only chunked (compress a body with Content-Encoding)`);
  }
  let types = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if ((req.rawHeaders[i] as string).toLowerCase() === 'content-type') types++;
  return types > 1 ? new BadRequestHttpError(`the request has ${types} Content-Type headers: one body has one type`) : undefined;
}
