/**
 * `onlyWhereRouted`: a router is skipped only by requests none of its layers matches, and answers the others as it
 * did (its routes, its middleware's prefixes, its OPTIONS and 405s, its parameters' decoding errors).
 */
import { expect } from 'chai';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { AddressInfo } from 'node:net';
import { anyLayerMatches, onlyWhereRouted } from '../../../server/http/router-guard.js';

/** An app with a guarded router under `/api` and a handler after it that says what reached it. */
function app(entered: string[]): express.Express {
  const router = Router();
  router.use((req, _res, next) => {
    entered.push(req.path);
    next();
  });
  const inner = Router();
  inner.get('/items/:id', (req, res) => {
    res.json({ id: req.params['id'] });
  });
  inner.use('/files', (_req, res) => {
    res.send('files');
  });
  // Counts the requests that enter the router.
  const counted = Object.assign((req: Request, res: Response, next: NextFunction) => {
    entered.push(`inner ${req.path}`);
    inner(req, res, next);
  }, { stack: (inner as unknown as { stack: unknown }).stack }) as unknown as Router;
  const guarded = onlyWhereRouted(counted);
  const result = express();
  result.use('/api', guarded);
  result.use('/api', onlyWhereRouted(router));
  result.use((req, res) => {
    res.status(404).send(`after ${req.method} ${req.path}`);
  });
  result.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
    res.status(400).send(error.name);
  });
  return result;
}

/** Serves the app on loopback for one test's requests. */
async function serve(a: express.Express, run: (get: (method: string, path: string) => Promise<globalThis.Response>) => Promise<void>): Promise<void> {
  const server = a.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    await run((method, path) => fetch(`http://127.0.0.1:${port}${path}`, { method }));
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('onlyWhereRouted', () => {
  it('skips a router none of whose layers matches, and enters one that does', async () => {
    const entered: string[] = [];
    await serve(app(entered), async (send) => {
      expect(await (await send('GET', '/api/items/7')).json()).to.deep.equal({ id: '7' });
      // Case and a trailing slash match as the router matches them.
      expect(await (await send('GET', '/API/Items/8/')).json()).to.deep.equal({ id: '8' });
      expect(await (await send('GET', '/api/files/x/y.txt')).text()).to.equal('files');
      // A middleware without a path matches everything: that router is always entered.
      expect(await (await send('GET', '/api/other')).text()).to.equal('after GET /api/other');
    });
    // The router with routes was entered for its own paths only; the one with a middleware of every path, always.
    expect(entered).to.deep.equal(['inner /items/7', 'inner /Items/8/', 'inner /files/x/y.txt', '/other']);
  });

  it('leaves the router its OPTIONS answer and its decoding errors', async () => {
    await serve(app([]), async (send) => {
      const options = await send('OPTIONS', '/api/items/7');
      expect(options.status).to.equal(200);
      expect(options.headers.get('allow')).to.equal('GET, HEAD');
      // A malformed escape in a parameter is the router's error (URIError), not a request that went past it.
      const bad = await send('GET', '/api/items/%E0%A4%A');
      expect(bad.status).to.equal(400);
      expect(await bad.text()).to.equal('URIError');
    });
  });

  it('keeps the router\'s layers readable on the handler', () => {
    const router = Router();
    router.get('/x', (_req, res) => {
      res.end();
    });
    const guarded = onlyWhereRouted(router) as unknown as { stack: unknown[] };
    expect(guarded.stack).to.equal((router as unknown as { stack: unknown[] }).stack);
  });

  it('counts a layer that throws while matching as a match', () => {
    const layers = [{ match: () => false }, { match: () => { throw new URIError('bad'); } }];
    expect(anyLayerMatches(layers, '/x')).to.equal(true);
    expect(anyLayerMatches([{ match: () => false }], '/x')).to.equal(false);
  });
});
