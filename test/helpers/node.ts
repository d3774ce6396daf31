/**
 * Real nodes for tests: a Maillon node on an ephemeral loopback port with its own SQLite file, seeded with an
 * example enterprise, with an admin token and enterprise tokens ready.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueToken, SCOPES, type Scope } from '../../server/auth/tokens.js';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/logging.js';
import { startNode, type RunningNode } from '../../server/main.js';

/** A node started for a test. */
export interface TestNode {
  readonly node: RunningNode;
  /** Where requests go (the bound loopback port). */
  readonly url: string;
  /** The base URL the node's `@id`s use. */
  readonly base: string;
  readonly adminToken: string;
  /** Issues a token for an enterprise with the given scopes. */
  token(eid: string, scopes: readonly Scope[]): Promise<string>;
  /** Imports an example file (`examples/network/<name>.jsonld`) as enterprise `eid`. */
  seed(name: string, eid?: string): Promise<void>;
  /** GET/PUT/POST/… on the node, returning status, headers and text. */
  request(method: string, path: string, options?: { headers?: Record<string, string>; body?: string }): Promise<TestResponse>;
  /** The database file. */
  readonly db: string;
  close(): Promise<void>;
}

/** A response, read whole. */
export interface TestResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  json<T = unknown>(): T;
}

const EXAMPLES = join(import.meta.dirname, '../../examples/network');

/**
 * Starts a node on 127.0.0.1 with an ephemeral port and a fresh SQLite file.
 *
 * @param options - base URL (default `http://node.test`), body limit, page size
 */
export async function startTestNode(options: { base?: string; bodyLimit?: number; pageSize?: number; env?: NodeJS.ProcessEnv } = {}): Promise<TestNode> {
  const dir = mkdtempSync(join(tmpdir(), 'maillon-node-'));
  const env: NodeJS.ProcessEnv = {
    MAILLON_LOG_LEVEL: 'silent',
    ...(options.bodyLimit !== undefined ? { MAILLON_BODY_LIMIT: String(options.bodyLimit) } : {}),
    ...(options.pageSize !== undefined ? { MAILLON_PAGE_SIZE: String(options.pageSize) } : {}),
    ...options.env,
  };
  const base = options.base ?? 'http://node.test';
  const config = loadConfig({ port: '0', host: '127.0.0.1', 'data-dir': dir, 'base-url': base }, env);
  const node = await startNode(config, createLogger('silent'));
  const { token: adminToken } = await issueToken(node.store, { eid: null, scopes: SCOPES, label: 'admin' });
  const request = async (method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}): Promise<TestResponse> => {
    const response = await fetch(`${node.url}${path}`, { method, headers: init.headers ?? {}, ...(init.body !== undefined ? { body: init.body } : {}) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: <T>() => JSON.parse(text) as T };
  };
  return {
    node,
    url: node.url,
    base,
    adminToken,
    db: config.db,
    token: async (eid, scopes) => (await issueToken(node.store, { eid, scopes })).token,
    seed: async (name, eid = name) => {
      const text = readFileSync(join(EXAMPLES, `${name}.jsonld`), 'utf8');
      const result = await node.decoder.decode(text);
      if (result.rejected.length > 0) throw new Error(`example ${name} does not decode`);
      await node.catalog.createEnterprise(result.records, { eid });
      await node.catalog.importRecords(eid, result.records);
    },
    request,
    close: async () => {
      await node.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
