/**
 * `onlyWhereRouted(router)`: a router entered only by the requests one of its own layers matches.
 *
 * A request that a mounted router does not handle still walks every layer of it, and the router hands it back
 * through `setImmediate` (Express's router leaves every router so, to bound its stack): each router passed on the
 * way to the one that answers costs the request a turn of the event loop. A stock write to
 * `/api/dfc/enterprises/{eid}/catalog_items/{id}` went through five such routers (orders, discovery, OpenAPI,
 * subscriptions, feed) before the DFC routes. Asking the router's own layers first (the same matchers, on the same
 * path) leaves the outcome as it was and skips the turns.
 *
 * @packageDocumentation
 */
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';

/** What the guard reads of a router's layers (`router` 2.x: each layer matches a path, or throws on a bad one). */
interface MatchingLayer {
  match(path: string): unknown;
}

/**
 * Whether any layer of `stack` matches `path` (a layer that throws, on a malformed escape, counts as matching: the
 * router then reports that error itself, as it would have).
 */
export function anyLayerMatches(stack: readonly MatchingLayer[], path: string): boolean {
  for (const layer of stack) {
    try {
      if (layer.match(path) !== false) return true;
    } catch {
      return true;
    }
  }
  return false;
}

/** Whether the router may handle the request: one of its layers matches, or its path cannot be read (it says so). */
function mayRoute(req: Request, stack: readonly MatchingLayer[]): boolean {
  let path: string | undefined;
  try {
    // The router matches on the pathname of `req.url` (below its mount point), as `req.path` gives it.
    path = req.path as string | undefined;
  } catch {
    return true;
  }
  return typeof path !== 'string' || anyLayerMatches(stack, path);
}

/**
 * The router, entered only for a request that one of its layers matches (its routes' paths, whatever the method:
 * a route of the path with other methods answers OPTIONS and 405s itself; its middleware's prefixes). Others go on
 * to the next handler at once. The layers are read at each request: routes added later count.
 *
 * @param router - an Express router, mounted where it was (the path it sees is the one below its mount point)
 */
export function onlyWhereRouted(router: Router): RequestHandler {
  const stack = (router as unknown as { readonly stack: readonly MatchingLayer[] }).stack;
  const guard = (req: Request, res: Response, next: NextFunction): void => {
    if (mayRoute(req, stack)) {
      router(req, res, next);
      return;
    }
    next();
  };
  // The router's layers stay readable where a mounted router shows them (what reads the application's routes, as the
  // OpenAPI test does, still finds these).
  return Object.assign(guard, { stack });
}
