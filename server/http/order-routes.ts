/**
 * The DFC Orders API of each selling enterprise: `…/enterprises/{eid}/orders[/{n}]`.
 *
 * The same collection answers under `…/Orders` too: the path Open Food Network derives from an FDC-style product
 * `@id` (`…/SuppliedProducts/{id}` → `…/Orders`). An order's `@id` is made under the collection it was posted to,
 * and either spelling reaches it. From our own product ids (`…/supplied_products/{id}`) OFN's rule leads to the
 * products collection itself: an order posted there is placed, and a buyer finds its open orders there (see
 * {@link buyerOpenOrders}).
 *
 * Orders are never in the public catalogue, the federated catalogue or the public change feed: every route needs
 * a token of the selling enterprise, with `WriteOrders` to place or change an order and `ReadOrders` to read all
 * of them (a buyer's token reads the orders it placed).
 *
 * @packageDocumentation
 */
import { Router, type Request, type Response } from 'express';
import type { DfcRecord } from '../../ontology/records.js';
import { decided, maySee, principalOf, requireCaller, requireScope } from '../auth/middleware.js';
import { allows, type Principal } from '../auth/tokens.js';
import {
  BadRequestHttpError, ConflictHttpError, ForbiddenHttpError, NotFoundHttpError, PreconditionFailedHttpError, ServiceUnavailableHttpError,
} from '../errors/http-error.js';
import { nodeOfPath, ORDER_VIA_HEADER, type OrderBody, type OrderCaller, type OrderService, type OrderView } from '../orders/order-service.js';
import type { NodeStore } from '../store/store.js';
import { allowOnly, textBody } from './methods.js';
import { negotiate, type Representation } from './negotiate.js';
import { pageParams, requestIri } from './page-params.js';
import { CURSOR_PARAM, orderCursor, orderCursorOf } from './cursor.js';
import { etagList, renderBody, sendRendered, type PageView } from './render.js';

/** Options of {@link orderRoutes}. */
export interface OrderRoutesArgs {
  readonly orders: OrderService;
  readonly store: NodeStore;
  /** The public base URL (the orders' `@id`s are made from it). */
  readonly base: string;
  readonly pageSize: number;
  readonly maxPageSize: number;
}

/** The two spellings of an enterprise's orders collection: ours, and the FDC one Open Food Network derives. */
const COLLECTIONS = ['orders', 'Orders'] as const;

const LONGEST_KEY = 200;

/** The most nodes read of an order's path: far more than any order may come through (it is refused above a few). */
const LONGEST_PATH = 32;

/**
 * The nodes an order came through, as the buyer's node names them ({@link ORDER_VIA_HEADER}, comma-separated
 * base URLs; absent: none). A malformed one is the buyer's error (400): it cannot be told from a path.
 */
function orderPath(req: Request): string[] | undefined {
  const header = req.get(ORDER_VIA_HEADER);
  if (header === undefined || header.trim() === '') return undefined;
  const nodes = header.split(',').map((n) => n.trim());
  // An empty member (`a,,b`, a trailing comma) is a malformed path as much as a member that is no URL.
  const bad = nodes.slice(0, LONGEST_PATH + 1).find((n) => n === '' || nodeOfPath(n) === undefined);
  if (bad !== undefined) throw new BadRequestHttpError(`${ORDER_VIA_HEADER} must list the base URLs of the nodes the order came through, comma-separated; ${JSON.stringify(bad)} is none`);
  return nodes.slice(0, LONGEST_PATH + 1);
}

/** Builds the router (mounted under `/api/dfc`). */
export function orderRoutes(args: OrderRoutesArgs): Router {
  const { orders } = args;
  const router = Router();

  /** The caller of an order route: `WriteOrders` or `ReadOrders` on the enterprise (401/403 otherwise). */
  const callerOf = (res: Response, eid: string, write: boolean): OrderCaller => {
    const principal = requireCaller(res, `orders need an API token with the ${write ? 'WriteOrders' : 'ReadOrders or WriteOrders'} scope`);
    if (write) requireScope(res, 'WriteOrders', eid);
    else if (!allows(principal, 'ReadOrders', eid) && !allows(principal, 'WriteOrders', eid)) requireScope(res, 'ReadOrders', eid);
    else decided(res, principal, allows(principal, 'ReadOrders', eid) ? 'ReadOrders' : 'WriteOrders', eid, true);
    return { id: callerId(principal), readsAll: allows(principal, 'ReadOrders', eid) };
  };

  /**
   * The enterprise of an order route, known to the caller: an unknown one is a 404, and so is a private one to whoever
   * may not know it exists (no token, another enterprise's), before any 401 or 403 of the order scopes would confirm it.
   */
  const enterprise = async (req: Request, res: Response): Promise<string> => {
    const eid = req.params['eid'] as string;
    const row = await args.store.getEnterprise(eid);
    if (row === undefined || !maySee(res, row)) throw new NotFoundHttpError(`no enterprise ${eid}`);
    return eid;
  };

  /**
   * Places an order without reading the enterprise first (a round trip every order waited for): an order stands
   * only on offers of its enterprise, and its row references the enterprise, so one placed proves it exists. When
   * placing fails, the enterprise is read then, and a missing one answers 404 before anything else, as if it had
   * been checked first; a refusal of the stock (409) or of a supplier (503) comes after the lines were found among
   * the enterprise's offers, which proves it too.
   */
  const placing = async <T>(req: Request, res: Response, place: () => Promise<T>): Promise<T> => {
    try {
      return await place();
    } catch (error: unknown) {
      if (!(error instanceof ConflictHttpError || error instanceof ServiceUnavailableHttpError)) await enterprise(req, res);
      throw error;
    }
  };

  const collectionUrl = (req: Request): string => `${args.base}${req.baseUrl}${req.path}`.replace(/\/+$/u, '');
  const orderUrl = (req: Request): string => `${args.base}${req.baseUrl}${req.path}`;

  const body = (req: Request): OrderBody => textBody(req);

  const idempotencyKey = (req: Request): string | undefined => {
    const key = req.get('idempotency-key');
    if (key === undefined) return undefined;
    // The header is a structured-field string (draft-ietf-httpapi-idempotency-key-header): quotes are optional here.
    const bare = key.trim().replace(/^"(.*)"$/u, '$1');
    if (bare === '' || bare.length > LONGEST_KEY || /[^\x21-\x7e]/u.test(bare)) {
      throw new BadRequestHttpError(`Idempotency-Key must be 1 to ${LONGEST_KEY} visible ASCII characters`);
    }
    return bare;
  };

  /**
   * The representation a write will answer in, negotiated before it changes anything: a write the client cannot
   * read the answer of is a 406 with nothing placed, changed or reserved (answered after the write, a retry placed
   * a second order).
   */
  const answeredAs = (req: Request): Representation => negotiate(req.get('accept'));

  const answer = (
    req: Request, res: Response, status: number, records: OrderView['records'],
    options: { containerId?: string; view?: PageView; representation?: Representation } = {},
  ): void => {
    const representation = options.representation ?? negotiate(req.get('accept'));
    const body = renderBody(records, representation, {
      ...(options.containerId !== undefined ? { containerId: options.containerId } : { container: false }),
      ...(options.view !== undefined ? { view: options.view } : {}),
    });
    // Orders are personal and change: never stored by a cache (so no ETag is made either).
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Vary', 'Accept, Authorization, X-Api-Token');
    res.status(status);
    sendRendered(res, representation.contentType, body);
  };

  const allow = allowOnly;

  /**
   * `If-Match` on a change of an order (RFC 9110 §13.1.1). Orders carry no ETag (they are never cached), so no tag
   * matches: a conditional change is a 412, never applied as if it were unconditional. `*` asks only that the
   * order exists, which the change checks anyway. Evaluated once the order is known to be the caller's: whoever
   * would get a 404 without the condition gets it with one too (§13.2.1).
   */
  const ifMatchHolds = async (req: Request, eid: string, iri: string, caller: OrderCaller): Promise<void> => {
    // `If-None-Match: *` asks that the order not be there (RFC 9110 §13.1.2): it is, so the write is refused. Other
    // tags match none (an order has no ETag), and the write goes on.
    if (etagList(req.get('if-none-match'), 'weak')?.includes('*') === true) {
      await orders.get(eid, iri, caller);
      throw new PreconditionFailedHttpError(`order ${iri} exists: If-None-Match: * lets a write through only where there is nothing`);
    }
    const tags = etagList(req.get('if-match'), 'strong');
    if (tags === undefined || tags.includes('*')) return;
    await orders.get(eid, iri, caller);
    throw new PreconditionFailedHttpError(`order ${iri} has no ETag: If-Match can only be *, and no other tag matches`);
  };

  // Open Food Network's URL rule, applied to our product ids (`…/supplied_products/{id}`), names the products
  // collection itself as the orders collection: an order posted there is taken as if posted to `…/orders`.
  // A middleware, not a route: a route would make this router answer OPTIONS on the products collection alone.
  router.use('/enterprises/:eid/supplied_products', async (req, res, next) => {
    if (req.method !== 'POST' || (req.path !== '/' && req.path !== '')) {
      next();
      return;
    }
    let given: OrderBody;
    try {
      given = body(req);
    } catch {
      next();
      return;
    }
    const collection = collectionUrl(req).replace(/\/supplied_products$/u, '/orders');
    if (!(await orders.holdsOrder(given, collection))) {
      next();
      return;
    }
    const eid = req.params['eid'] as string;
    const representation = answeredAs(req);
    const created = await placing(req, res, async () => {
      const caller = withPath(req, callerOf(res, eid, true));
      return orders.create(eid, collection, given, caller, idempotencyKey(req));
    });
    res.setHeader('Location', created.order.iri);
    answer(req, res, 201, created.records, { representation });
  });

  for (const collection of COLLECTIONS) {
    router.get(`/enterprises/:eid/${collection}`, async (req, res) => {
      const eid = await enterprise(req, res);
      const caller = callerOf(res, eid, false);
      const { page: asked, size } = pageParams(req, args.pageSize, args.maxPageSize);
      // After where the previous page ended (`after=`, what every next link carries): a new order, placed between two
      // pages, comes first and shifts no page, as it would an offset's (the walk would read the last order again).
      const cursor = orderCursorOf(req);
      const page = cursor?.page ?? asked;
      const { views, total, next } = await orders.list(eid, caller,
        cursor === undefined ? { offset: (page - 1) * size, limit: size } : { offset: 0, limit: size, before: cursor.before });
      if (cursor === undefined && page > 1 && views.length === 0) throw new NotFoundHttpError(`page ${page} is past the end of the orders`);
      const last = Math.max(1, Math.ceil(total / size));
      const url = collectionUrl(req);
      const at = (p: number): string => `${url}?page=${p}&page_size=${size}`;
      const nextUrl = next === undefined ? undefined : `${url}?page_size=${size}&${CURSOR_PARAM}=${orderCursor(next, page + 1)}`;
      const links = [`<${at(1)}>; rel="first"`, `<${at(last)}>; rel="last"`];
      if (nextUrl !== undefined) links.push(`<${nextUrl}>; rel="next"`);
      if (page > 1) links.push(`<${at(Math.min(page - 1, last))}>; rel="prev"`);
      res.setHeader('Link', links.join(', '));
      // A list on more than one page also describes its view in the body, whose `@id` is the URL as requested.
      const view: PageView | undefined = cursor === undefined && nextUrl === undefined && total <= size && page === 1 ? undefined : {
        self: requestIri(args.base, req), first: at(1), last: at(last),
        ...(nextUrl !== undefined ? { next: nextUrl } : {}), ...(page > 1 ? { previous: at(Math.min(page - 1, last)) } : {}),
      };
      answer(req, res, 200, views.flatMap((v) => v.records), { containerId: url, ...(view !== undefined ? { view } : {}) });
    });

    router.post(`/enterprises/:eid/${collection}`, async (req, res) => {
      const eid = req.params['eid'] as string;
      const representation = answeredAs(req);
      const created = await placing(req, res, async () => {
        const caller = withPath(req, callerOf(res, eid, true));
        const given = body(req);
        return orders.create(eid, collectionUrl(req), given, caller, idempotencyKey(req));
      });
      res.setHeader('Location', created.order.iri);
      answer(req, res, 201, created.records, { representation });
    });
    router.all(`/enterprises/:eid/${collection}`, allow('GET, HEAD, OPTIONS, POST', true));

    router.get(`/enterprises/:eid/${collection}/:n`, async (req, res) => {
      const eid = await enterprise(req, res);
      const caller = callerOf(res, eid, false);
      const view = await orders.get(eid, await orders.orderIri(orderUrl(req)), caller);
      answer(req, res, 200, view.records);
    });
    router.put(`/enterprises/:eid/${collection}/:n`, async (req, res) => {
      const eid = await enterprise(req, res);
      const caller = withPath(req, callerOf(res, eid, true));
      const iri = await orders.orderIri(orderUrl(req));
      await ifMatchHolds(req, eid, iri, caller);
      const representation = answeredAs(req);
      const view = await orders.update(eid, iri, body(req), caller);
      answer(req, res, 200, view.records, { representation });
    });
    router.delete(`/enterprises/:eid/${collection}/:n`, async (req, res) => {
      const eid = await enterprise(req, res);
      const caller = callerOf(res, eid, true);
      const iri = await orders.orderIri(orderUrl(req));
      await ifMatchHolds(req, eid, iri, caller);
      const representation = answeredAs(req);
      const view = await orders.cancel(eid, iri, caller);
      answer(req, res, 200, view.records, { representation });
    });
    router.all(`/enterprises/:eid/${collection}/:n`, allow('GET, HEAD, OPTIONS, PUT, DELETE'));

    // The node names an order's lines `{order}/OrderLines/{n}`: an IRI of ours dereferences. A line is described by
    // its order's document (what it is part of), to those who may see the order.
    router.get(`/enterprises/:eid/${collection}/:n/OrderLines/:line`, async (req, res) => {
      const eid = await enterprise(req, res);
      const caller = callerOf(res, eid, false);
      const url = orderUrl(req);
      const iri = await orders.orderIri(url.slice(0, url.lastIndexOf('/OrderLines/')));
      const view = await orders.get(eid, iri, caller);
      const line = `${iri}/OrderLines/${req.params['line'] ?? ''}`;
      if (!view.records.some((r) => r.id === line && r.kind === 'OrderLine')) throw new NotFoundHttpError(`order ${iri} has no line ${line}`);
      res.setHeader('Content-Location', iri);
      answer(req, res, 200, view.records);
    });
    router.all(`/enterprises/:eid/${collection}/:n/OrderLines/:line`, allow('GET, HEAD, OPTIONS'));
  }
  return router;
}

/**
 * The open orders of a buyer, for the products collection of the enterprise it buys from. Open Food Network's URL
 * rule, applied to our product ids (`…/supplied_products/{id}`), names that collection as the orders collection;
 * OFN looks there for its open (Held) order before it amends it, with the token it orders with. So a buyer's
 * token (`WriteOrders` without `ReadOrders`) finds its own Held orders there beside the products; any other
 * caller (the public, the seller, the node's admin) gets the catalogue alone, as everywhere else.
 */
export function buyerOpenOrders(orders: OrderService): (res: Response, eid: string) => Promise<readonly DfcRecord[]> {
  return async (res, eid) => {
    const principal = principalOf(res);
    if (principal === undefined || principal.tokenId === '' || !allows(principal, 'WriteOrders', eid) || allows(principal, 'ReadOrders', eid)) return [];
    return orders.openOrderRecords(eid, { id: principal.tokenId, readsAll: false });
  };
}

/** A caller with the path its order came by, when its node names one. */
function withPath(req: Request, caller: OrderCaller): OrderCaller {
  const via = orderPath(req);
  return via === undefined ? caller : { ...caller, via };
}

/** Who placed an order: the token's id (the admin's token is one caller like any other). */
function callerId(principal: Principal): string {
  if (principal.tokenId === '') throw new ForbiddenHttpError('this caller cannot place orders');
  return principal.tokenId;
}
