/**
 * `GET /api/health`: whether the node can serve, for a load balancer, a container's health check or an uptime
 * monitor. Public and cheap (one indexed read and a stat of the database file), never cached.
 *
 * @packageDocumentation
 */
import { Router } from 'express';
import { ServiceUnavailableHttpError } from '../errors/http-error.js';
import type { NodeStore } from '../store/store.js';

/** Builds the health router (mounted at the root). */
export function healthRoutes(store: Pick<NodeStore, 'health'>, version: string): Router {
  const router = Router();
  router.get('/api/health', async (_req, res) => {
    const found = await store.health();
    res.setHeader('Cache-Control', 'no-store');
    // The reason is the operator's to act on; it names no path or secret, so a monitor may show it.
    if (!found.ok) throw new ServiceUnavailableHttpError(`the node cannot serve: ${found.reason}`);
    res.type('application/json').send(JSON.stringify({ status: 'ok', version }));
  });
  return router;
}
