/**
 * Structured JSON logs (pino), with a request id on every request.
 *
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { pino, type Logger } from 'pino';

/** A logger at `level` (`silent` in tests), writing JSON lines to standard error. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'maillon' } }, pino.destination(2));
}

/**
 * Gives each request an id (the client's `X-Request-Id` when it is sane, else a new UUID), echoes it in the
 * response, and logs one line per finished request, with the client's address and protocol (those a trusted
 * reverse proxy forwarded, when the app trusts one: Express's `req.ip` and `req.protocol`).
 */
export function requestLogger(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const given = req.get('x-request-id');
    const id = given !== undefined && /^[A-Za-z0-9._-]{1,64}$/u.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      logger.info({
        requestId: id, method: req.method, url: req.originalUrl, status: res.statusCode, ip: req.ip, protocol: req.protocol,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
      }, 'request');
    });
    next();
  };
}
