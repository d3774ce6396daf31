/**
 * `inSequence`: handlers run as one do what they did as router layers: in order, an answer ends the sequence, an
 * error (passed, thrown or rejected) goes to the error handlers past every handler left, and after the last the
 * request goes on to the application's next layer.
 */
import { expect } from 'chai';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { AddressInfo } from 'node:net';
import { inSequence } from '../../../server/http/in-sequence.js';

/** An app running `handlers` in sequence, then a handler that says what ran, and an error handler that names the error. */
function app(handlers: readonly RequestHandler[]): express.Express {
  const result = express();
  result.use(inSequence(handlers));
  result.use((_req, res) => {
    res.status(200).send(`after: ${String(res.locals['ran'] ?? '')}`);
  });
  result.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).send(`error ${error.message}; ran ${String(res.locals['ran'] ?? '')}`);
  });
  return result;
}

/** A handler that notes its name in `res.locals.ran`, then calls `next`. */
function noting(name: string): RequestHandler {
  return (_req, res, next) => {
    res.locals['ran'] = `${String(res.locals['ran'] ?? '')}${name}`;
    next();
  };
}

async function get(a: express.Express): Promise<{ status: number; text: string }> {
  const server = a.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/x`);
    return { status: response.status, text: await response.text() };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('inSequence', () => {
  it('runs the handlers in order, then the next layer', async () => {
    const asynchronous: RequestHandler = (_req, res, next) => {
      setImmediate(() => noting('b')(_req, res, next));
    };
    expect(await get(app([noting('a'), asynchronous, noting('c')]))).to.deep.equal({ status: 200, text: 'after: abc' });
  });

  it('stops at a handler that answers', async () => {
    const answering: RequestHandler = (_req, res) => {
      res.status(204).end();
    };
    expect((await get(app([noting('a'), answering, noting('c')]))).status).to.equal(204);
  });

  it('sends an error passed, thrown or rejected to the error handlers, past the handlers left', async () => {
    const passing: RequestHandler = (_req, _res, next) => next(new Error('passed'));
    const throwing: RequestHandler = () => {
      throw new Error('thrown');
    };
    const rejecting: RequestHandler = async () => {
      await Promise.resolve();
      throw new Error('rejected');
    };
    for (const [handler, message] of [[passing, 'passed'], [throwing, 'thrown'], [rejecting, 'rejected']] as const) {
      expect(await get(app([noting('a'), handler, noting('c')]))).to.deep.equal({ status: 500, text: `error ${message}; ran a` });
    }
  });

  it('goes on past a falsy next argument, as the router does', async () => {
    const falsy: RequestHandler = (_req, _res, next) => next(null);
    expect(await get(app([falsy, noting('b')]))).to.deep.equal({ status: 200, text: 'after: b' });
  });

  it('does with next(\'route\') and with a promise rejected without a reason what the same handlers do as router layers', async () => {
    /** The same handlers as layers of the application, the reference. */
    const layered = (handlers: readonly RequestHandler[]): express.Express => {
      const result = express();
      for (const handler of handlers) result.use(handler);
      result.use((_req, res) => {
        res.status(200).send(`after: ${String(res.locals['ran'] ?? '')}`);
      });
      result.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
        res.status(500).send(`error ${error instanceof Error ? error.message : String(error)}; ran ${String(res.locals['ran'] ?? '')}`);
      });
      return result;
    };
    // `route` skips what is left of a route's handlers: a middleware has none, the router goes on to the next layer.
    const route: RequestHandler = (_req, _res, next) => next('route');
    // Rejected with `false` (no reason an error handler could read): the router makes it an error all the same.
    const rejectsFalse: RequestHandler = () => Promise.reject(false as unknown as Error);
    for (const [name, handler] of [['route', route], ['rejected with false', rejectsFalse]] as const) {
      const handlers = [noting('a'), handler, noting('c')];
      const reference = await get(layered(handlers));
      expect(await get(app(handlers)), name).to.deep.equal(reference);
    }
  });
});
