/**
 * Stand-ins for the other party of an outbound request: a real HTTP server on 127.0.0.1 that records what
 * reached it, a DNS that answers from a table, and the check that the client closed every connection itself.
 */
import { expect } from 'chai';
import dns, { type LookupAddress } from 'node:dns';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request a test peer received. */
export interface Hit {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** The request body, as received. */
  readonly body: Buffer;
}

/** A test peer: a real HTTP server on 127.0.0.1, recording what reached it. */
export interface Peer {
  readonly base: string;
  readonly port: number;
  readonly hits: Hit[];
  /** Connections accepted, ever. */
  connections: number;
}

interface Running {
  readonly server: http.Server;
  readonly sockets: Set<Socket>;
}

const running: Running[] = [];

/**
 * Starts a test peer. The handler is called once the request body is in (see `hits`).
 *
 * @param handler - answers each request
 */
export async function startPeer(handler: (req: IncomingMessage, res: ServerResponse, peer: Peer) => void): Promise<Peer> {
  const sockets = new Set<Socket>();
  let peer: Peer | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (peer === undefined) throw new Error('request before listen');
      peer.hits.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      handler(req, res, peer);
    });
  });
  server.on('connection', (socket: Socket) => {
    if (peer !== undefined) peer.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  running.push({ server, sockets });
  peer = { base: `http://127.0.0.1:${port}`, port, hits: [], connections: 0 };
  return peer;
}

/**
 * Waits until a condition holds, or gives up after `ms`.
 *
 * @returns whether it held
 */
export async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const stop = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > stop) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}

/** Closes every test peer, after checking that the client closed every connection itself (for `afterEach`). */
export async function closePeers(): Promise<void> {
  // The client must close every connection itself; give the FINs a moment, then check before we close.
  const closedByClient = await until(() => running.every((r) => r.sockets.size === 0), 1_000);
  const leaked = running.reduce((n, r) => n + r.sockets.size, 0);
  for (const { server } of running.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  expect(closedByClient, `${leaked} connection(s) left open by the client`).to.equal(true);
}

/** Makes `dns.promises.lookup` (which the client calls at request time) answer from a table, for one call. */
export async function withDns<T>(answer: (host: string) => Promise<LookupAddress[]>, run: () => Promise<T>): Promise<T> {
  const promises = dns.promises as unknown as { lookup: (host: string, options: unknown) => Promise<LookupAddress[]> };
  const original = promises.lookup;
  promises.lookup = (host: string) => answer(host);
  try {
    return await run();
  } finally {
    promises.lookup = original;
  }
}

export const JSONLD = 'application/ld+json';
export const CATALOG = JSON.stringify({ '@context': 'https://w3id.org/dfc/ontology/context/context_1.16.0.json', '@graph': [] });

/** Answers 200 with a JSON-LD body (a string as it is, anything else as JSON). */
export function sendJson(res: ServerResponse, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(200, { 'content-type': JSONLD, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
