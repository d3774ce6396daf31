/**
 * The listings API: an enterprise lists another node's catalog items in its own catalogue, at a fixed price or
 * with a markup. `WriteProducts` on the enterprise for every route (reads included: what a shop resells, and at
 * which margin, is its own business). Answers are plain JSON; errors go to the one funnel (problem+json).
 *
 * @packageDocumentation
 */
import { Router, type Request, type Response } from 'express';
import { requireScope } from '../auth/middleware.js';
import { BadRequestHttpError, MethodNotAllowedHttpError, NotFoundHttpError, UnprocessableEntityHttpError } from '../errors/http-error.js';
import { parseMarkup, parsePrice, type ListingService, type ListingTerms } from '../orders/listings.js';
import { jsonObjectBody } from './json-body.js';

/** Options of {@link listingRoutes}. */
export interface ListingRoutesArgs {
  readonly listings: ListingService;
}

const EXAMPLE = '{"item": "<remote CatalogItem @id>", "price": 3.5} or {"item": "…", "markup": "15%"}';

/**
 * The terms of a listing request: `price` (a JSON number or a plain decimal string, above 0, at most 2 decimals)
 * or `markup` (`15`, `"15"`, `"-10%"`). Nothing is coerced: `"0x10"`, `"1e3"` or `" 12 "` is no price.
 */
function termsOf(body: Record<string, unknown>): ListingTerms {
  const { price, markup } = body;
  if (price !== undefined && markup !== undefined) throw new UnprocessableEntityHttpError('give a price or a markup, not both');
  if (price !== undefined) {
    const value = parsePrice(price);
    if (value === undefined) {
      throw new UnprocessableEntityHttpError(`price must be an amount above 0 with at most 2 decimals (3.5 or "3.50"), not ${JSON.stringify(price)}`);
    }
    return { price: value };
  }
  if (markup !== undefined) {
    const value = parseMarkup(markup);
    if (value === undefined) throw new UnprocessableEntityHttpError(`markup must be a percentage above -100 (15, "15" or "-10%"), not ${JSON.stringify(markup)}`);
    return { markup: value };
  }
  return {};
}

const TERMS_EXAMPLE = '{"price": 4.2}, {"markup": "10%"} or {"price": null} (the origin\'s price)';

/**
 * The terms of a change of a listing's terms: one of `price` and `markup` (as {@link termsOf} reads them), or either
 * of them null for the origin's price. Anything else is refused: a field the listing does not have would be
 * silently dropped.
 */
function newTermsOf(body: Record<string, unknown>): ListingTerms {
  const unknown = Object.keys(body).filter((k) => k !== 'price' && k !== 'markup');
  if (unknown.length > 0) throw new UnprocessableEntityHttpError(`a listing's terms are its price or its markup; ${unknown.map((k) => JSON.stringify(k)).join(', ')} cannot be changed: expected ${TERMS_EXAMPLE}`);
  if (!('price' in body) && !('markup' in body)) throw new UnprocessableEntityHttpError(`nothing to change: expected ${TERMS_EXAMPLE}`);
  const given = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== null));
  return termsOf(given);
}

/** The `force` query parameter: absent or false, or true (`true`, `1`, `yes`). */
function forceOf(value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value === 'string' && /^(?:true|1|yes)$/iu.test(value)) return true;
  if (typeof value === 'string' && /^(?:false|0|no)$/iu.test(value)) return false;
  throw new BadRequestHttpError(`force must be true or false, not ${JSON.stringify(value)}`);
}

function idOf(req: Request): number {
  const raw = req.params['id'] as string;
  const id = Number(raw);
  if (!/^\d+$/u.test(raw) || !Number.isSafeInteger(id)) throw new NotFoundHttpError(`no listing ${JSON.stringify(raw)}`);
  return id;
}

/** Builds the router (mounted under `/api/dfc`). */
export function listingRoutes(args: ListingRoutesArgs): Router {
  const { listings } = args;
  const router = Router();
  const notAllowed = (methods: string) => (req: Request, res: Response): void => {
    res.setHeader('Allow', `${methods}, OPTIONS`);
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    throw new MethodNotAllowedHttpError(`${req.method} is not allowed on ${req.originalUrl.split('?')[0] ?? ''}; allowed: ${methods}, OPTIONS`, {
      headers: { Allow: `${methods}, OPTIONS` },
    });
  };

  router.get('/enterprises/:eid/listings', async (req, res) => {
    const eid = req.params['eid'] as string;
    requireScope(res, 'WriteProducts', eid);
    res.status(200).json({ listings: await listings.list(eid) });
  });

  router.post('/enterprises/:eid/listings', async (req, res) => {
    const eid = req.params['eid'] as string;
    requireScope(res, 'WriteProducts', eid);
    const body = jsonObjectBody(req, EXAMPLE);
    // As for a change of terms: a field a listing does not have (a misspelt `price`) would be dropped, and the
    // item sold at the origin's price.
    const unknown = Object.keys(body).filter((k) => k !== 'item' && k !== 'price' && k !== 'markup');
    if (unknown.length > 0) throw new UnprocessableEntityHttpError(`a listing is an item and its price or markup; ${unknown.map((k) => JSON.stringify(k)).join(', ')} is none of them: expected ${EXAMPLE}`);
    const item = body['item'];
    if (typeof item !== 'string' || item.trim() === '') throw new BadRequestHttpError(`"item" must be the @id of a remote dfc-b:CatalogItem; expected ${EXAMPLE}`);
    const view = await listings.add(eid, item.trim(), termsOf(body));
    res.status(201).setHeader('Location', `${req.originalUrl.split('?')[0] ?? ''}/${view.id}`).json(view);
  });
  router.all('/enterprises/:eid/listings', notAllowed('GET, HEAD, POST'));

  router.get('/enterprises/:eid/listings/:id', async (req, res) => {
    const eid = req.params['eid'] as string;
    requireScope(res, 'WriteProducts', eid);
    res.status(200).json(await listings.get(eid, idOf(req)));
  });

  // Open orders that sell from the listing refuse its removal (409 naming them) unless `force=true`, which cancels
  // them first, with their orders at the owner: 200 naming the orders cancelled, else 204.
  router.delete('/enterprises/:eid/listings/:id', async (req, res) => {
    const eid = req.params['eid'] as string;
    requireScope(res, 'WriteProducts', eid);
    const force = forceOf(req.query['force']);
    const { cancelled } = await listings.remove(eid, idOf(req), { force });
    if (cancelled.length === 0) res.status(204).end();
    else res.status(200).json({ cancelledOrders: cancelled });
  });
  // New terms: `{"price": 4.2}`, `{"markup": "10%"}`, or `{"price": null}` (the origin's price); the terms not
  // given are cleared (a listing sells at one of them). The answer is the listing, its new price published.
  router.patch('/enterprises/:eid/listings/:id', async (req, res) => {
    const eid = req.params['eid'] as string;
    requireScope(res, 'WriteProducts', eid);
    const id = idOf(req);
    res.status(200).json(await listings.setTerms(eid, id, newTermsOf(jsonObjectBody(req, TERMS_EXAMPLE))));
  });
  router.all('/enterprises/:eid/listings/:id', notAllowed('GET, HEAD, PATCH, DELETE'));

  return router;
}
