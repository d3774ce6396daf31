/**
 * Structured JSON logs (pino), with a request id on every request.
 *
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { pino, type Logger } from 'pino';

/** A logger at `level` (`silent` in tests), writing JSON lines (or, `pretty`, readable lines) to standard error. */
export function createLogger(level: string, format: 'json' | 'pretty' = 'json'): Logger {
  if (format === 'json') return pino({ level, base: { service: 'maillon' } }, pino.destination(2));
  return pino({ level, base: null }, { write: (line: string) => process.stderr.write(prettyLine(line)) });
}

const LEVELS: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/**
 * One JSON log line as a person reads it: time, level, message, then the fields as `key=value`. A request is
 * written `GET /path 200 3.1 ms`, the way access logs look.
 *
 * @param line - a JSON line written by pino
 */
export function prettyLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { time, level, msg, pid: _pid, hostname: _hostname, ...fields } = entry;
  const clock = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : '';
  const label = (LEVELS[Number(level)] ?? String(level)).padEnd(5);
  if (msg === 'request' && typeof fields['method'] === 'string') {
    const ms = typeof fields['ms'] === 'number' ? `${fields['ms'].toFixed(1)} ms` : '';
    return `${clock} ${label} ${String(fields['method'])} ${String(fields['url'])} ${String(fields['status'])} ${ms} [${String(fields['requestId'])}]\n`;
  }
  // A string with a control character (a peer's error text with a newline) is quoted: it cannot forge a log line.
  // eslint-disable-next-line no-control-regex -- control characters are what this looks for
  const rest = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' && !/[\u0000-\u001f\u007f]/u.test(v) ? v : JSON.stringify(v)}`).join(' ');
  return `${clock} ${label} ${String(msg ?? '')}${rest !== '' ? ` ${rest}` : ''}\n`;
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
    // A node that logs no requests (`silent`, `warn`…) does not pay for the line it would not write.
    if (!logger.isLevelEnabled('info')) {
      next();
      return;
    }
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
