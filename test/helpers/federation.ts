/**
 * Federation test nodes: real Maillon nodes on loopback whose base URL IS their real URL (so that every `@id`
 * they publish dereferences, and peers can follow enterprise `@id`s to their catalogues), with private peers
 * allowed and the periodic scheduler off (tests sync by hand). A non-Maillon peer is a fake peer
 * (`fake-peer.ts`).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
 * @param options - the node's name (discovery), the withdrawal grace in seconds, and more environment
 */
export async function startFederationNode(
  options: { name?: string; withdrawGraceSeconds?: number; env?: Readonly<Record<string, string>> } = {},
): Promise<FederationNode> {
  const dir = mkdtempSync(join(tmpdir(), 'maillon-fed-'));
  const env: NodeJS.ProcessEnv = {
    MAILLON_LOG_LEVEL: 'silent',
    MAILLON_ALLOW_PRIVATE: '1',
    MAILLON_SYNC_SCHEDULE: 'off',
    ...(options.name !== undefined ? { MAILLON_NAME: options.name } : {}),
    ...(options.withdrawGraceSeconds !== undefined ? { MAILLON_WITHDRAW_GRACE: String(options.withdrawGraceSeconds) } : {}),
    ...options.env,
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
