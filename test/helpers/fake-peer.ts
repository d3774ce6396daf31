/**
 * Fake peers: plain HTTP servers on loopback (no Maillon) that play a peer, a subscriber or any other remote
 * party, and the one way to close a server with the connections it still holds.
 *
 * - {@link startFakePeer}: programmable, a handler answers each request; every request and connection is
 *   recorded;
 * - {@link startStaticPeer}: static, serving files from memory with strong ETags and 304s.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A request a fake peer received. */
export interface FakeHit {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** The request body, when the peer was started with `readBody` (it is then read before the handler runs). */
  readonly body?: Buffer;
}

/** Options of {@link startFakePeer}. */
export interface FakePeerOptions {
  /**
   * Read each request's body whole, record it in {@link FakeHit.body}, and only then call the handler (for
   * tests of what a client sends). Off by default: handlers that stream or ignore the body see it untouched.
   */
  readonly readBody?: boolean;
}

/** A programmable HTTP peer on 127.0.0.1. */
export interface FakePeer {
  /** Its origin, `http://127.0.0.1:<port>`. */
  readonly base: string;
  readonly port: number;
  readonly server: Server;
  /** Every request received, in order (recorded before the handler runs). */
  readonly hits: FakeHit[];
  /** The connections open now. */
  readonly sockets: ReadonlySet<Socket>;
  /** Connections accepted, ever. */
  readonly connections: number;
  /** Closes the server and every connection it still holds. */
  close(): Promise<void>;
}

/** Answers one request; `peer` is the fake peer itself (its origin, for documents whose `@id`s are under it). */
export type FakePeerHandler = (req: IncomingMessage, res: ServerResponse, peer: FakePeer) => void;

/**
 * Closes a server and the connections it still holds (keep-alive sockets, requests left hanging): a test's
 * teardown never waits for a client's idle timeout.
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Starts a programmable peer on an ephemeral loopback port. */
export async function startFakePeer(handler: FakePeerHandler, options: FakePeerOptions = {}): Promise<FakePeer> {
  const sockets = new Set<Socket>();
  const hits: FakeHit[] = [];
  let connections = 0;
  let peer: FakePeer | undefined;
  const server = createServer((req, res) => {
    const self = peer;
    if (self === undefined) throw new Error('request before listen');
    const hit = { method: req.method ?? 'GET', url: req.url ?? '', headers: req.headers };
    if (options.readBody !== true) {
      hits.push(hit);
      handler(req, res, self);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      hits.push({ ...hit, body: Buffer.concat(chunks) });
      handler(req, res, self);
    });
  });
  server.on('connection', (socket: Socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  peer = {
    base: `http://127.0.0.1:${port}`,
    port,
    server,
    hits,
    sockets,
    get connections() {
      return connections;
    },
    close: () => closeServer(server),
  };
  return peer;
}

/** One file a {@link StaticPeer} serves. */
export interface StaticFile {
  readonly body: string;
  readonly contentType: string;
}

/** A plain static HTTP server (no Maillon), serving files from memory with strong ETags and 304s. */
export interface StaticPeer {
  readonly url: string;
  readonly port: number;
  /** Path → file; change it to change what is served (the ETag follows the content). */
  readonly files: Map<string, StaticFile>;
  /** Every request received: method, path, and the `If-None-Match` sent. */
  readonly log: { method: string; path: string; ifNoneMatch: string | undefined; status: number }[];
  close(): Promise<void>;
}

function etagOf(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/**
 * Starts a static peer on an ephemeral loopback port.
 *
 * @param files - path → file, or a function of the server's own origin (for documents whose `@id`s are under it)
 */
export async function startStaticPeer(files: (origin: string) => Record<string, StaticFile>): Promise<StaticPeer> {
  const served = new Map<string, StaticFile>();
  const log: StaticPeer['log'] = [];
  const peer = await startFakePeer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = served.get(path);
    const ifNoneMatch = req.headers['if-none-match'];
    const answer = (status: number): void => {
      log.push({ method: req.method ?? 'GET', path, ifNoneMatch, status });
      res.statusCode = status;
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      answer(405);
      res.setHeader('Allow', 'GET, HEAD');
      res.end();
      return;
    }
    if (file === undefined) {
      answer(404);
      res.setHeader('Content-Type', 'text/plain');
      res.end('not found');
      return;
    }
    const etag = etagOf(file.body);
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'no-cache');
    if (ifNoneMatch !== undefined && ifNoneMatch.split(',').map((t) => t.trim().replace(/^W\//u, '')).some((t) => t === etag || t === '*')) {
      answer(304);
      res.end();
      return;
    }
    answer(200);
    const bytes = Buffer.from(file.body, 'utf8');
    res.setHeader('Content-Type', file.contentType);
    res.setHeader('Content-Length', String(bytes.length));
    res.end(req.method === 'HEAD' ? undefined : bytes);
  });
  for (const [path, file] of Object.entries(files(peer.base))) served.set(path, file);
  return { url: peer.base, port: peer.port, files: served, log, close: peer.close };
}
