/**
 * The floor of the render benchmark ({@link ./render.ts}): a plain `node:http` server, alone in its own process,
 * sending bytes it holds in memory, with nothing else to do (no routing, no database, no cache lookup).
 *
 * Usage: `node --import tsx bench/plain-server.ts DIR`. Reads `DIR/headers.json` (`content-type` and `etag`
 * of the identity body, and the `etag` of each coded one) and the bodies `DIR/identity`, `DIR/br`, `DIR/gzip`
 * (the node's own bytes, fetched by the parent), listens on 127.0.0.1 with an ephemeral port and prints one JSON
 * line `{"url", "pid"}`. Every request gets the same headers the node sends for the body: `Content-Type`,
 * `ETag`, `Content-Length` and, for a coded body, `Content-Encoding` and `Vary`, the coding chosen from the
 * request's `Accept-Encoding` as the node does for these two codings (br first, then gzip, else identity).
 * Serves until its standard input closes.
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** What the parent writes beside the bodies. */
export interface PlainHeaders {
  readonly contentType: string;
  readonly etags: { readonly identity: string; readonly br: string; readonly gzip: string };
}

const [dir] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: plain-server.ts DIR');
const headers = JSON.parse(readFileSync(join(dir, 'headers.json'), 'utf8')) as PlainHeaders;
const bodies = { identity: readFileSync(join(dir, 'identity')), br: readFileSync(join(dir, 'br')), gzip: readFileSync(join(dir, 'gzip')) };

const server = createServer((req, res) => {
  const accept = req.headers['accept-encoding'] ?? '';
  const coding = /\bbr\b/u.test(accept) ? 'br' : /\bgzip\b/u.test(accept) ? 'gzip' : 'identity';
  const body = bodies[coding];
  res.setHeader('Content-Type', headers.contentType);
  res.setHeader('ETag', headers.etags[coding]);
  res.setHeader('Content-Length', body.length);
  if (coding !== 'identity') {
    res.setHeader('Content-Encoding', coding);
    res.setHeader('Vary', 'Accept-Encoding');
  }
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(JSON.stringify({ url: `http://127.0.0.1:${port}`, pid: process.pid }));
});
const close = (): void => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.stdin.on('end', close);
process.stdin.on('error', close);
process.stdin.resume();
process.on('SIGTERM', close);
