/**
 * Federation test nodes: real Maillon nodes on loopback whose base URL IS their real URL (so that every `@id`
 * they publish dereferences, and peers can follow enterprise `@id`s to their catalogues), with private peers
 * allowed and the periodic scheduler off (tests sync by hand). Plus a tiny static HTTP server (ETag, 304) to
 * play a non-Maillon peer.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueToken, SCOPES } from '../../server/auth/tokens.js';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/logging.js';
import { startNode, type RunningNode } from '../../server/main.js';
import type { PeerRow, SyncSummary } from '../../server/store/federation.js';
import type { TestResponse } from './node.js';

const EXAMPLES = join(import.meta.dirname, '../../examples/network');

/** A federation node started for a test. */
export interface FederationNode {
  readonly node: RunningNode;
  /** Its real URL, which is also its base URL. */
  readonly url: string;
  readonly base: string;
  readonly adminToken: string;
  readonly db: string;
  /** Imports an example file (`examples/network/<name>.jsonld`) as enterprise `eid`. */
  seed(name: string, eid?: string): Promise<void>;
  request(method: string, path: string, options?: { headers?: Record<string, string>; body?: string }): Promise<TestResponse>;
  /** Adds a peer through the API (`POST /api/sync/peers`), and returns it. */
  addPeer(url: string, name: string): Promise<PeerRow>;
  /** Syncs one peer through the API (`POST /api/sync/peers/{id}/sync`); throws when the sync failed. */
  sync(peerId: number): Promise<SyncSummary>;
  close(): Promise<void>;
}

/** A free loopback port (free when asked: there is a tiny window before the caller binds it). */
export async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createNetServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Reads a fetch response whole. */
async function read(response: Response): Promise<TestResponse> {
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: <T>() => JSON.parse(text) as T };
}

/**
 * Starts a node on a fixed free loopback port with `--base-url http://127.0.0.1:<port>`,
 * `MAILLON_ALLOW_PRIVATE=1` and `MAILLON_SYNC_SCHEDULE=off`.
 *
 * @param options - the node's name (discovery), and the withdrawal grace in seconds
 */
export async function startFederationNode(options: { name?: string; withdrawGraceSeconds?: number } = {}): Promise<FederationNode> {
  const dir = mkdtempSync(join(tmpdir(), 'maillon-fed-'));
  const env: NodeJS.ProcessEnv = {
    MAILLON_LOG_LEVEL: 'silent',
    MAILLON_ALLOW_PRIVATE: '1',
    MAILLON_SYNC_SCHEDULE: 'off',
    ...(options.name !== undefined ? { MAILLON_NAME: options.name } : {}),
    ...(options.withdrawGraceSeconds !== undefined ? { MAILLON_WITHDRAW_GRACE: String(options.withdrawGraceSeconds) } : {}),
  };
  let node: RunningNode | undefined;
  let base = '';
  let db = '';
  // Another process may take the port between the probe and the bind: try a few.
  for (let attempt = 0; node === undefined; attempt++) {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const config = loadConfig({ port: String(port), host: '127.0.0.1', 'data-dir': dir, 'base-url': base }, env);
    db = config.db;
    try {
      node = await startNode(config, createLogger('silent'));
    } catch (error: unknown) {
      if (attempt >= 4 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
  const running = node;
  if (running.url !== base) throw new Error(`node listens on ${running.url}, not on its base URL ${base}`);
  const { token: adminToken } = await issueToken(running.store, { eid: null, scopes: SCOPES, label: 'admin' });
  const request = async (method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}): Promise<TestResponse> =>
    read(await fetch(`${base}${path}`, { method, headers: init.headers ?? {}, ...(init.body !== undefined ? { body: init.body } : {}) }));
  const admin = { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' };
  return {
    node: running,
    url: base,
    base,
    adminToken,
    db,
    seed: async (name, eid = name) => {
      const text = readFileSync(join(EXAMPLES, `${name}.jsonld`), 'utf8');
      const result = await running.decoder.decode(text);
      if (result.rejected.length > 0) throw new Error(`example ${name} does not decode`);
      await running.catalog.createEnterprise(result.records, { eid });
      await running.catalog.importRecords(eid, result.records);
    },
    request,
    addPeer: async (url, name) => {
      const response = await request('POST', '/api/sync/peers', { headers: admin, body: JSON.stringify({ url, name }) });
      if (response.status !== 201) throw new Error(`adding peer ${url}: ${response.status} ${response.text}`);
      return response.json<PeerRow>();
    },
    sync: async (peerId) => {
      const response = await request('POST', `/api/sync/peers/${peerId}/sync`, { headers: admin });
      if (response.status !== 200) throw new Error(`syncing peer ${peerId}: ${response.status} ${response.text}`);
      const body = response.json<{ ok: boolean; summary?: SyncSummary; failure?: unknown }>();
      if (!body.ok || body.summary === undefined) throw new Error(`sync of peer ${peerId} failed: ${JSON.stringify(body.failure)}`);
      return body.summary;
    },
    close: async () => {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One file a {@link StaticServer} serves. */
export interface StaticFile {
  readonly body: string;
  readonly contentType: string;
}

/** A plain static HTTP server (no Maillon), serving files from memory with strong ETags and 304s. */
export interface StaticServer {
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
 * Starts a static server on a free loopback port.
 *
 * @param files - path → file, or a function of the server's own origin (for documents whose `@id`s are under it)
 */
export async function startStaticServer(files: (origin: string) => Record<string, StaticFile>): Promise<StaticServer> {
  const served = new Map<string, StaticFile>();
  const log: StaticServer['log'] = [];
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
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
  };
  let server: Server | undefined;
  let port = 0;
  for (let attempt = 0; server === undefined; attempt++) {
    port = await freePort();
    const candidate = createServer(handler);
    try {
      await new Promise<void>((resolve, reject) => {
        candidate.once('error', reject);
        candidate.listen(port, '127.0.0.1', () => resolve());
      });
      server = candidate;
    } catch (error: unknown) {
      if (attempt >= 4 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
  const origin = `http://127.0.0.1:${port}`;
  for (const [path, file] of Object.entries(files(origin))) served.set(path, file);
  const running = server;
  return {
    url: origin,
    port,
    files: served,
    log,
    close: () => new Promise<void>((resolve) => {
      running.close(() => resolve());
      running.closeAllConnections();
    }),
  };
}
