/**
 * The composition root: the only place that builds concrete parts (SQLite store, decoder with the loaded
 * taxonomies, logger) and wires them into the application.
 *
 * @packageDocumentation
 */
import type { AddressInfo } from 'node:net';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { createApp, type AppDeps } from './app.js';
import { CatalogService } from './catalog/catalog-service.js';
import { Decoder } from './codec/decode.js';
import type { Config } from './config.js';
import { createLogger } from './logging.js';
import { SqliteStore } from './store/sqlite/sqlite-store.js';
import { acquireServeLock, type ServeLock } from './store/sqlite/serve-lock.js';
import { prepareDatabasePath } from './store/sqlite/database-path.js';
import type { NodeStore } from './store/store.js';
import { FileTaxonomyStore } from './store/taxonomy-store.js';
import { FileContextStore, type UnreadableContextFile } from './store/context-store.js';
import { ContextRegistry, storedContextProblem } from './codec/context-registry.js';
import type { PeerKind } from './store/federation.js';
import { detectPeerKind } from './sync/solid-snapshot.js';
import { fetchPage, type PageRequest } from './sync/peer-fetch.js';
import type { Taxonomy } from '../ontology/taxonomy.js';
import { currencyOfCode, EURO } from '../ontology/units.js';
import { SyncScheduler } from './sync/scheduler.js';
import { settleUnfinishedSyncs, SyncEngine } from './sync/sync-engine.js';
import { Notifier } from './feed/notifier.js';
import { FederationService } from './federation/federation-service.js';
import { NodeTimers, type Timers } from './timers/timers.js';
import { answerClientError } from './http/client-errors.js';
import { RenderCache } from './http/render.js';
import { safeFetch, type FetchPolicy, type SafeFetch } from './net/safe-fetch.js';
import { recordSubscribeOutcome, subscribeToPeer, type SubscribeOutcome } from './sync/subscribe.js';
import type { PeerRow } from './store/federation.js';
import { OrderService } from './orders/order-service.js';
import { HttpUpstreamOrders } from './orders/upstream.js';
import type { UpstreamCancellationEvent } from './orders/upstream-cancellations.js';
import { ListingService } from './orders/listings.js';
import { ListingFollower, type FeedLocation } from './orders/listing-follower.js';
import { discover, feedOf } from './sync/discovery.js';
import { NodeUrls } from './urls/node-urls.js';
import { OidcVerifier } from './auth/oidc.js';
import { fetchJson } from './net/json-fetch.js';
import { PageWorkers } from './sync/page-workers.js';
import { PeerTokens } from './sync/peer-tokens.js';
import { failure, loggedFailure, shownUrl } from './errors/failure.js';

/** The parts of a node, opened and wired. */
export interface NodeParts {
  readonly config: Config;
  readonly store: NodeStore;
  readonly decoder: Decoder;
  readonly catalog: CatalogService;
  readonly federation: FederationService;
  readonly taxonomy: Taxonomy;
  readonly engine: SyncEngine;
  /** Where the snapshots' pages are decoded: a worker thread, ended when the node stops. */
  readonly pages: PageWorkers;
  readonly scheduler: SyncScheduler;
  /** The node's background timers: the sync schedule, webhook deliveries, feed retention. */
  readonly timers: Timers;
  /** Delivers webhook notifications (started by {@link startNode}). */
  readonly notifier: Notifier;
  /** Listings of other nodes' items in our enterprises' catalogues. */
  readonly listings: ListingService;
  /** Follows the change feeds of the listings' origins (started by {@link startNode}). */
  readonly listingFollower: ListingFollower;
  /** Registers our webhook at a peer. */
  subscribe(peer: PeerRow): Promise<SubscribeOutcome>;
  /** Whether a URL is a Solid pod or WebID (`solid`) or else a DFC node (`dfc`), read under the node's fetch rules. */
  detectPeerKind(url: string): Promise<PeerKind>;
  /** Orders of our enterprises, and the stock they hold. */
  readonly orders: OrderService;
  /** Verifies OpenID Connect tokens of the configured issuers. */
  readonly oidc: OidcVerifier;
  readonly logger: Logger;
  /**
   * Stops the background work: the timers, the listing follower, the webhook deliveries and the scheduler. The syncs
   * and deliveries under way are given up at once (those a request waits for end as `stopped`, and the request is
   * answered). The database stays open: requests still in flight may use it. Safe to call again.
   */
  stop(): Promise<void>;
  /** Stops the background work ({@link NodeParts.stop}, again: what requests started since ends too), then closes the database. */
  close(): Promise<void>;
}

/**
 * The JSON-LD contexts stored in a data folder (`maillon context add`), as the registry the decoder reads with.
 *
 * @param dataDir - the node's data folder
 * @param onUnreadable - told of each file that cannot be read (it is left out: documents naming it are refused)
 */
export function storedContexts(dataDir: string, onUnreadable: (file: UnreadableContextFile) => void = () => undefined): ContextRegistry {
  const store = new FileContextStore(dataDir);
  const { contexts, unreadable } = store.load();
  for (const file of unreadable) onUnreadable(file);
  const usable = contexts.filter((c) => {
    const problem = storedContextProblem(c.context);
    if (problem !== undefined) onUnreadable({ file: store.fileOf(c.url), reason: problem });
    return problem === undefined;
  });
  return new ContextRegistry(usable.map((c) => [c.url, c.context] as const));
}

/** Parts a caller may replace when it opens a node (tests: a fake transport, a faster poll). */
export interface NodeOverrides {
  /** The outbound HTTP client of syncs, subscriptions and webhooks (default {@link safeFetch}). */
  readonly fetch?: SafeFetch;
  /** How often the webhook notifier looks at the feed for due deliveries (default 500 ms). */
  readonly webhookPollMs?: number;
  /** The background timers (default: one {@link NodeTimers} on the event loop). */
  readonly timers?: Timers;
}

/** One setting an operator stores in the node's database (`maillon config set KEY VALUE`). */
export interface NodeSetting {
  /** What it does, for `maillon config list`. */
  readonly meaning: string;
  /** Its value when never set. */
  readonly fallback: string;
  /** The value to store for what the operator typed, or undefined when it is not one. */
  parse(text: string): string | undefined;
  /** The values it takes, for a refusal. */
  readonly values: string;
}

const BOOLEAN_WORDS: Readonly<Record<string, string>> = { true: 'true', yes: 'true', on: 'true', 1: 'true', false: 'false', no: 'false', off: 'false', 0: 'false' };

/**
 * The node settings: kept in the database, so that every command and the running node agree (a per-command
 * flag that one command forgets is a mistake that sticks: a sync without it marks a healthy peer failed).
 */
export const NODE_SETTINGS: Readonly<Record<string, NodeSetting>> = {
  'allow-private': {
    meaning: 'peers, webhook callbacks and listings on private and loopback addresses are allowed (development, nodes on one machine)',
    fallback: 'false',
    parse: (text) => BOOLEAN_WORDS[text.toLowerCase()],
    values: 'true or false',
  },
};

/**
 * The least time (ms) between two copies of the database's write-ahead log into its file while a node runs (see
 * `CheckpointSpacing`): what is committed reaches the file within it.
 */
const CHECKPOINT_SPACING_MS = 100;

/** Opens the store and builds every part of a node, without HTTP. */
export async function openNode(config: Config, logger: Logger = createLogger(config.logLevel, config.logFormat), overrides: NodeOverrides = {}): Promise<NodeParts> {
  prepareDatabasePath(config.db);
  const timers = overrides.timers ?? new NodeTimers((name, error) => logger.error({ err: error, timer: name }, `${name} failed`));
  // The log is copied into the file at most every CHECKPOINT_SPACING_MS: a copy after each of a busy writer's commits
  // (hundreds a second under stock writes) cost as much as the writes.
  const store = await SqliteStore.open({
    path: config.db, baseUrl: config.baseUrl, rebase: config.baseUrlGiven,
    checkpointSpacing: { ms: CHECKPOINT_SPACING_MS, later: (ms, task) => timers.after('checkpoint', ms, task) },
  });
  // Private peers: the flag or the environment for this process, or the node's stored setting.
  if (!config.allowPrivate && (await store.settings()).get('allow-private') === 'true') config = { ...config, allowPrivate: true };
  // A database keeps the base URL it was made with unless one is given: ids do not move with a --port.
  const base = store.baseUrl;
  // What a sync that died with its process staged: no sync lasts longer than its budget, so older runs are dead.
  const stale = await store.provenance.clearStaleRuns(new Date(Date.now() - config.syncTimeoutMs).toISOString());
  if (stale > 0) logger.info({ runs: stale }, 'dropped what unfinished syncs had staged');
  // The syncs a process died during (its mark left on the peer): each counts as a failed attempt, in the backoff it set.
  const unfinished = await settleUnfinishedSyncs(store.provenance, config.syncTimeoutMs);
  if (unfinished.length > 0) logger.warn({ peers: unfinished.length }, 'syncs that did not finish (the process stopped during them) are counted as failed');
  if (base !== config.baseUrl) logger.debug({ baseUrl: base, configured: config.baseUrl }, 'using the base URL stored in the database; give --base-url to move the ids');
  const taxonomy = new FileTaxonomyStore(config.dataDir).load();
  const contexts = storedContexts(config.dataDir, (unreadable) => {
    logger.warn({ file: unreadable.file, reason: unreadable.reason }, 'a stored JSON-LD context cannot be read and is left out');
  });
  if (contexts.urls().length > 0) logger.info({ contexts: contexts.urls() }, 'stored JSON-LD contexts');
  const decoder = new Decoder({ taxonomy, contexts, defaultCurrency: currencyOfCode(config.currency) ?? EURO });
  const policy: FetchPolicy = {
    connectTimeoutMs: config.fetchConnectTimeoutMs, totalTimeoutMs: config.fetchTimeoutMs, maxBytes: config.maxResponseBytes,
    maxRedirects: 3, allowPrivate: config.allowPrivate, compressed: config.fetchCompressed,
  };
  const api = `${base}/api/dfc`;
  const fetch = overrides.fetch ?? safeFetch;
  /** A look at another node that must not hold its caller for a whole fetch deadline (discovery, a peer's kind): 5 s at most. */
  const glancePolicy: FetchPolicy = { ...policy, totalTimeoutMs: Math.min(policy.totalTimeoutMs, 5000) };
  const glance = (request: PageRequest): ReturnType<typeof fetchPage> => fetchPage(request, glancePolicy, fetch);
  const notifier = new Notifier({
    feed: store.feed, base, api, fetch, policy, logger, timers,
    ...(overrides.webhookPollMs !== undefined ? { pollMs: overrides.webhookPollMs } : {}),
    maxFailures: config.webhookMaxFailures, baseBackoffMs: config.webhookBackoffMs,
  });
  const catalog = new CatalogService({ store, decoder, onChange: () => notifier.wake() });
  const peerTokens = new PeerTokens({ oidc: store.oidc, fetch, policy });
  // Fired when the node stops: the listings' reads of their origins are given up, not waited out.
  const listingsStopping = new AbortController();
  const listingPolicy: FetchPolicy = { ...policy, signal: listingsStopping.signal };
  const listings = new ListingService({
    store, decoder, urls: new NodeUrls(base), fetch, policy: listingPolicy, onChange: () => notifier.wake(),
    // A forced removal of a listing cancels the open orders that sell from it, as their seller (and at the owner).
    cancelOrder: (iri, reason) => orders.cancelAsSeller(iri, reason),
    onListingsChanged: () => void listingFollower.update(),
  });
  const listingFollower = new ListingFollower({
    listings, decoder, fetch, policy: listingPolicy, timers, intervalMs: config.listingFollowMs,
    locate: async (origin, signal) => locateFeed(origin, (request) => fetchPage(request, { ...glancePolicy, signal }, fetch)),
    onFailure: (origin, failure) => logger.warn({ origin: shownUrl(origin), failure: loggedFailure(failure) }, 'the change feed of a listing\'s origin cannot be read; its listings are pulled meanwhile'),
  });
  const pages = new PageWorkers({ decoder, maxPageBytes: policy.maxBytes, timers });
  const engine = new SyncEngine({
    provenance: store.provenance, feed: store.feed, decoder, ownBase: base, graceMs: config.withdrawGraceSeconds * 1000, policy, fetch,
    syncTimeoutMs: config.syncTimeoutMs, tokens: peerTokens,
    // Push: what a peer changed reaches the listings of its items at once; what its feed says was deleted is gone.
    onApplied: async (peerId, records, deleted) => {
      try {
        const origin = (await store.provenance.getPeer(peerId))?.origin;
        await listings.onPeerRecords(records, origin);
        if (origin !== undefined && deleted !== undefined && deleted.length > 0) await listings.onOriginChanges(origin, { deleted });
      } catch (error: unknown) {
        logger.error({ err: error, peer: peerId }, 'listings could not mirror what a peer changed');
      }
    },
    appliedWanted: () => store.orders.hasListings(),
    // A snapshot's pages are decoded in a worker thread with this decoder's configuration: the event loop (and with
    // it the completions of the database's statements) is never held by a page's decoding.
    pages,
  });
  // A peer whose sync the last process died during waits its backoff from now: synced at once, it could kill this one too.
  const deferred = await engine.deferUnfinished(unfinished);
  if (deferred.length > 0) {
    logger.warn({ peers: deferred.map((p) => ({ id: p.id, name: p.name, failures: p.failures, nextAttemptAt: p.nextAttemptAt })) },
      'the last sync of these peers never finished (the process stopped during it): each waits its backoff before the next');
  }
  const scheduler = new SyncScheduler({ engine, provenance: store.provenance, timers, concurrency: config.syncConcurrency, logger });
  const peerNames = async (): Promise<Map<number, string>> => new Map((await store.provenance.listPeers()).map((p) => [p.id, p.name]));
  const federation = new FederationService(store.index, catalog, () => taxonomy, peerNames, store.baseUrl);
  const upstreamOrders = new HttpUpstreamOrders({ fetch, policy, decoder, peers: () => store.provenance.listPeers(),
    peersAt: (origin) => store.provenance.peersAt(origin), timeoutMs: config.orderTimeoutMs,
    oidcTokenFor: async (peer) => {
      const outcome = await peerTokens.tokenFor(peer);
      return outcome?.ok === true ? outcome.token : undefined;
    },
  });
  const orders = new OrderService({
    store, decoder, urls: new NodeUrls(base), holdMs: config.orderHoldSeconds * 1000, onChange: () => notifier.wake(),
    onExpiryError: (order, error) => logger.error({ err: error, order }, 'a held order could not be expired'),
    onUpstreamCancellation: (event) => logUpstreamCancellation(logger, event),
    // A Maillon supplier answers a POST sent again with its Idempotency-Key with the order it made; others may not.
    honoursIdempotencyKeys: async (ordersUrl) => {
      const found = await discover(new URL(ordersUrl).origin, glance);
      return found.status === 'unreachable' ? undefined : found.status === 'found' && found.document.software === 'Maillon';
    },
    upstream: upstreamOrders,
  });
  const oidc = new OidcVerifier({
    store: store.oidc, fetchJson: (url) => fetchJson(fetch, policy, url), logger,
    cooldownMs: config.oidcKeysCooldownMs, keysMaxAgeMs: config.oidcKeysMaxAgeSeconds * 1000,
  });
  const stopBackground = async (): Promise<void> => {
    timers.cancelAll();
    listingsStopping.abort();
    // Together: the syncs and deliveries are given up at once, not after the follower's feed reads in flight end.
    await Promise.all([listingFollower.stop(), notifier.stop(), scheduler.stop()]);
    // The syncs are given up (their pages' readings with them): the worker thread ends.
    await pages.close();
  };
  return {
    config, store, decoder, catalog, federation, taxonomy, engine, pages, scheduler, timers, notifier, listings, listingFollower, logger, orders, oidc,
    subscribe: async (peer) => {
      // A peer that demands OpenID Connect tokens is subscribed to with one.
      const token = await peerTokens.tokenFor(peer);
      const withToken: PeerRow = token === undefined || !token.ok ? peer : { ...peer, token: token.token, tokenHeader: 'authorization' };
      const outcome = token !== undefined && !token.ok ? token : await subscribeToPeer(withToken, { feed: store.feed, fetch, policy, ownBase: base });
      // Here, where the API and the command line both come: every attempt shows in the network view.
      await recordSubscribeOutcome(store.feed, peer.id, outcome);
      return outcome;
    },
    // A look at the URL before adding it: a peer that does not answer must not hold `peer add` for a whole sync's time.
    detectPeerKind: (url) => detectPeerKind(url, glance),
    stop: () => stopBackground(),
    close: async () => {
      await stopBackground();
      upstreamOrders.closePools();
      await store.close();
    },
  };
}

/** What becomes of a cancellation owed to a supplier, in the node's log: the operator sees each one owed, and how it ends. */
function logUpstreamCancellation(logger: Logger, event: UpstreamCancellationEvent): void {
  const { eid, order, target, reason } = event.cancellation;
  const about = { enterprise: eid, ...(order !== undefined ? { order } : {}), supplierOrder: target };
  switch (event.kind) {
    case 'owed':
      logger.warn({ ...about, reason }, 'a cancellation is owed to a supplier; it is retried until the supplier confirms it');
      break;
    case 'done':
      logger.info({ ...about, ...(event.note !== undefined ? { note: event.note } : {}) }, 'a cancellation owed to a supplier is done');
      break;
    case 'refused':
      logger.warn({ ...about, reason: event.reason }, 'a supplier refused the cancellation of its order; its operator must be asked');
      break;
    case 'retry':
      logger.info({ ...about, attempts: event.cancellation.attempts + 1, error: event.error, nextAt: event.nextAt }, 'a cancellation owed to a supplier failed again');
      break;
    case 'given-up':
      logger.warn({ ...about, attempts: event.cancellation.attempts + 1, error: event.error }, 'a cancellation owed to a supplier is given up: its hold there has run out');
      break;
  }
}

/**
 * The public change feed of an origin node, as its discovery document names it (on its own origin): none when it
 * publishes no discovery document or no feed, unreachable when it did not answer.
 */
async function locateFeed(origin: string, fetch: Parameters<typeof discover>[1]): Promise<FeedLocation> {
  const found = await discover(origin, fetch);
  if (found.status !== 'found') return found.status === 'unreachable' ? { unreachable: found.failure } : { none: found.failure };
  const feed = feedOf(found.document, `${origin}/`);
  return feed !== undefined ? { feed } : { none: failure('discovery', 'the discovery document names no change feed', `${origin}/`) };
}

/** What `createApp` needs, from a node's parts and configuration. */
export function appDeps(parts: NodeParts): AppDeps {
  const { config } = parts;
  return {
    store: parts.store, catalog: parts.catalog, federation: parts.federation, renderCache: new RenderCache(),
    logger: parts.logger, bodyLimit: config.bodyLimit, pageSize: config.pageSize, name: config.name,
    scheduler: parts.scheduler, allowPrivate: config.allowPrivate,
    onChange: () => parts.notifier.wake(), subscribe: (peer) => parts.subscribe(peer), feedFragmentSize: config.feedFragmentSize,
    orders: parts.orders, verifiers: [parts.oidc],
    listings: parts.listings, trustProxy: config.trustProxy, compression: config.compress,
    ...(config.tileUrl !== undefined ? { tileUrl: config.tileUrl } : {}),
  };
}

/** A running node. */
export interface RunningNode extends NodeParts {
  readonly server: Server;
  /** The URL it listens on (the bound port, when 0 was asked). */
  readonly url: string;
  /**
   * Stops gracefully: no new connection is accepted; the background work stops at once ({@link NodeParts.stop}: the
   * syncs and webhook deliveries under way are given up, a request waiting for a sync gets its `stopped` outcome);
   * requests in flight get up to `graceMs` (from the call) to finish, and with them their transactions; then the
   * database is closed.
   */
  shutdown(graceMs: number): Promise<void>;
  /**
   * Set when the database's base URL was derived from another address than this node listens on (and no
   * `--base-url` was given): one line for the operator, with the command that moves the ids.
   */
  readonly baseUrlNotice?: string;
}

/**
 * The node could not listen (the port is taken, needs privileges, or the host is not this machine's). It is
 * raised before the database is opened: a failed start creates and changes nothing.
 */
export class ListenError extends Error {
  public override readonly name = 'ListenError';
}

function listenError(error: unknown, port: number, host: string): Error {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE') return new ListenError(`port ${port} is already in use (another maillon node?)`, { cause: error });
  if (code === 'EACCES') return new ListenError(`port ${port} needs privileges on this system; choose another with --port`, { cause: error });
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new ListenError(`cannot listen on ${host}: not an address of this machine (--host)`, { cause: error });
  return error instanceof Error ? error : new Error(String(error));
}

/** Listens, or rejects with a {@link ListenError}: Express's `listen` calls back on an error as on success. */
async function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: unknown): void => {
      server.off('listening', onListening);
      reject(listenError(error, port, host));
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
  return server.address() as AddressInfo;
}

function bracketed(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * Starts a node: listens, then opens it. Listening comes first so that a node that cannot listen creates and
 * changes nothing; without `--base-url`, a new database then stores the address it really listens on
 * (`http://HOST:PORT`, the bound port when 0 was asked).
 *
 * @param config - the configuration; port 0 picks a free port
 * @throws {@link ListenError} when the port is taken or not allowed
 */
export async function startNode(config: Config, logger?: Logger): Promise<RunningNode> {
  const server = createServer();
  // A client (a peer, a reverse proxy) reuses an idle connection until its own idle timeout; if ours is shorter,
  // the server may close the socket just as a request is sent on it, and the client sees ECONNRESET. Proxies keep
  // idle upstream connections about 60 s: stay open longer than they do.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on('clientError', answerClientError);
  // Listening comes first (a taken port must fail before the database is touched), so requests may arrive while the
  // database opens and migrates: they get a 503 to retry, not a socket nobody answers.
  const opening = (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '5', connection: 'close' });
    res.end(JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'the node is starting: retry in a few seconds' }));
  };
  server.on('request', opening);
  const address = await listen(server, config.port, config.host);
  const listeningBase = `http://${bracketed(config.host)}:${address.port}`;
  let parts: NodeParts;
  let lock: ServeLock | undefined;
  try {
    // Before the database is opened: a second node must not migrate it, nor start its timers, under the first.
    prepareDatabasePath(config.db);
    lock = await acquireServeLock(config.db);
    parts = await openNode(config.baseUrlGiven ? config : { ...config, baseUrl: listeningBase }, logger);
  } catch (error: unknown) {
    server.close();
    server.closeAllConnections();
    await lock?.release();
    throw error;
  }
  const release = async (): Promise<void> => {
    await lock?.release();
  };
  const notice = !config.baseUrlGiven && !parts.store.baseUrlGiven && parts.store.baseUrl !== listeningBase
    ? `the stored base URL is ${parts.store.baseUrl} but this node listens on ${listeningBase}; every @id is published under the stored one. `
      + `To move them: maillon serve --db ${config.db}${config.host === '127.0.0.1' ? '' : ` --host ${config.host}`} --port ${address.port} --base-url ${listeningBase}`
    : unreachableBase(parts.store.baseUrl);
  let app: ReturnType<typeof createApp>;
  try {
    app = createApp(appDeps(parts));
  } catch (error: unknown) {
    server.close();
    await parts.close();
    await release();
    throw error;
  }
  parts.notifier.start();
  // Retention: versions older than the policy go, except the latest version of each resource.
  parts.timers.every('feed compaction', 3_600_000, async () => {
    await parts.store.feed.compact(new Date(Date.now() - config.feedRetentionDays * 86_400_000).toISOString());
  });
  // An order left being placed (or amended) with its suppliers by a process that stopped is placed by nobody now: it
  // expires at the first look (its stock back, its suppliers' orders cancelled), not after a whole hold. What was
  // being sent to a supplier then is owed a cancellation: the supplier may have taken it, and nobody here holds it.
  const interrupted = await parts.store.orders.interruptPending(new Date().toISOString());
  if (interrupted.orders > 0 || interrupted.placements > 0) {
    parts.logger.warn({ orders: interrupted.orders, placements: interrupted.placements },
      'orders left being placed by a stopped process expire now; what was being sent to suppliers is cancelled there');
  }
  // Held orders nobody completed in time give their stock back: looked at a few times per hold period.
  parts.timers.every('order expiry', Math.max(200, Math.min(15_000, (config.orderHoldSeconds * 1000) / 4)), async () => {
    await parts.orders.expireDue();
  });
  // The cancellations owed to suppliers that could not be reached (or whose answer to an order was lost): each is
  // tried again when due, with a growing delay, until the supplier confirms it.
  parts.timers.every('upstream cancellations', 1000, async () => {
    await parts.orders.retryUpstreamCancellations();
  });
  // The change feeds of the listings' origins: a change at the owner reaches its listings within a second or so.
  void parts.listingFollower.start();
  // Pull, the fallback of the push: each listing reads its origin again.
  parts.timers.every('listing refresh', config.listingRefreshSeconds * 1000, async () => {
    const { failed } = await parts.listings.refreshAll();
    for (const f of failed) parts.logger.warn({ failure: loggedFailure(f) }, 'a listing could not read its origin');
    // Listings also go with their enterprise: the origins followed are looked at again now and then.
    await parts.listingFollower.update();
  });
  // A database file removed or replaced under the node (by hand, or a copy put in its place) takes no more writes
  // (see `SqliteDatabase.fileProblem`); the operator is told now, not by a restart that finds the writes gone.
  let databaseProblem: string | undefined;
  parts.timers.every('database check', 10_000, async () => {
    const found = await parts.store.health();
    const problem = found.ok ? undefined : found.reason;
    if (problem !== undefined && problem !== databaseProblem) parts.logger.error({ db: config.db, pid: process.pid }, problem);
    else if (problem === undefined && databaseProblem !== undefined) parts.logger.info({ db: config.db }, 'the database can be used again');
    databaseProblem = problem;
  });
  server.off('request', opening);
  server.on('request', app);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  parts.logger.info({ url: `http://${host}:${address.port}`, baseUrl: parts.store.baseUrl, db: config.db }, 'listening');
  return {
    ...parts,
    server,
    url: `http://${host}:${address.port}`,
    ...(notice !== undefined ? { baseUrlNotice: notice } : {}),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await parts.close();
      await release();
    },
    shutdown: async (graceMs: number) => {
      const started = Date.now();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections with no request in flight would hold close() open until they time out.
      server.closeIdleConnections();
      // Before waiting for the requests: one that waits for a sync (POST …/sync) would otherwise hold the stop for
      // the whole grace while that sync, the scheduler and the listing follower go on fetching.
      await parts.stop();
      // A request still running after the grace period is cut: the process must end for its supervisor. Armed after
      // `stop` (which cancels the node's timers), for what is left of the grace.
      const cancel = parts.timers.after('shutdown grace', Math.max(0, graceMs - (Date.now() - started)), () => server.closeAllConnections());
      // A keep-alive connection whose request is answered during the grace stays open (close() only closed those
      // idle when it was called) and would hold the stop to the end of the grace: closed as soon as it is idle.
      const cancelIdle = parts.timers.every('shutdown idle connections', 100, () => server.closeIdleConnections());
      await closed;
      cancel();
      cancelIdle();
      await parts.close();
      await release();
    },
  };
}

/**
 * Why a base URL is no address anyone can reach, or undefined: the wildcard host a node listens on everywhere with
 * (`--host 0.0.0.0` without `--base-url` published every `@id` under `http://0.0.0.0:3000`), or port 0 (an old
 * database made with `--port 0`). Said at start: peers and browsers would follow those ids nowhere.
 */
export function unreachableBase(base: string): string | undefined {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    return undefined;
  }
  const wildcard = url.hostname === '0.0.0.0' || url.hostname === '[::]';
  if (!wildcard && url.port !== '0') return undefined;
  return `the base URL ${base} is no address a peer or a browser can reach, and every @id is published under it: `
    + 'give the public one (maillon serve --base-url https://…), which moves the stored ids';
}

