/**
 * `inSequence(handlers)`: middleware run one after the other as one, outside the router's dispatch.
 *
 * Express's router dispatches every middleware it holds as a layer: a match of the path, an object of the match and
 * a closure for its parameters, whichever the layer, before each handler runs. The handlers every request goes
 * through (logging, compression, the security headers, the credential, the body) matched every path: each request
 * paid that for each of them, about 17 KB of allocations a stock write in the router alone (a sampled heap profile
 * of the HTTP bench). Run in sequence here, they do what they did as layers, in the same order.
 *
 * @packageDocumentation
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * One handler running `handlers` in order, as the router would run them as layers of the path `/`: a handler calls
 * `next()` for the next one (after the last, the router's next layer), `next(error)` to go to the error handlers at
 * once, or answers and calls neither. A handler that throws, or whose promise rejects, passes its error on as the
 * router does (a rejection without a reason, or with a falsy one, as an `Error`).
 *
 * @param handlers - plain handlers of three parameters (no error handlers; `next('route')` goes on to the next
 *   handler, as the router's does from a middleware)
 */
export function inSequence(handlers: readonly RequestHandler[]): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    let index = 0;
    const step = (error?: unknown): void => {
      // As the router reads it: any truthy value is an error, except `route` (which skips the rest of a route's
      // handlers: a middleware is no route, the next handler runs); `router` leaves the router, past these too.
      if (error && error !== 'route') {
        next(error);
        return;
      }
      const handler = handlers[index++];
      if (handler === undefined) {
        next();
        return;
      }
      try {
        const result = handler(req, res, step) as unknown;
        if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
          (result as Promise<unknown>).then(undefined, (reason: unknown) => step(reason || new Error('Rejected promise')));
        }
      } catch (thrown: unknown) {
        step(thrown);
      }
    };
    step();
  };
}
