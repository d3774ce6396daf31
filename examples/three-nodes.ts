/**
 * Starts three Maillon nodes on one machine, each serving two enterprises of the example network:
 *
 *   node A  http://127.0.0.1:3101  the farm and the goat dairy
 *   node B  http://127.0.0.1:3102  the bakery and the producers' group
 *   node C  http://127.0.0.1:3103  the AMAP and the village grocery
 *
 * (Ports 3101 to 3103, away from the README's first node on 3000 and second node on 3001;
 * `MAILLON_FIRST_PORT` moves them.)
 *
 * Run with `npx tsx examples/three-nodes.ts` (Ctrl-C stops them). Each node has its own SQLite file under
 * `./data/three-nodes/`, filled from `examples/network/` on first start.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueToken, SCOPES } from '../server/auth/tokens.js';
import { loadConfig } from '../server/config.js';
import { createLogger } from '../server/logging.js';
import { startNode, type RunningNode } from '../server/main.js';

/** Which enterprises each node serves. */
export const LAYOUT: readonly { readonly name: string; readonly enterprises: readonly string[] }[] = [
  { name: 'a', enterprises: ['ferme-des-trois-chenes', 'chevrerie-du-puy'] },
  { name: 'b', enterprises: ['fournil-de-la-place', 'groupement-producteurs-limousins'] },
  { name: 'c', enterprises: ['amap-du-vieux-pont', 'epicerie-du-village'] },
];

/** Options of {@link startThreeNodes}. */
export interface ThreeNodesOptions {
  /** Where the three databases go. */
  readonly dataDir: string;
  /** Port of node A; B and C take the next ones. 0 picks free ports (then `baseUrl` names the nodes). */
  readonly firstPort: number;
  /** Base URL of each node by name; default `http://127.0.0.1:<port>`. */
  readonly baseUrl?: (name: string, port: number) => string;
  readonly logLevel?: string;
  /** Let the nodes reach one another on loopback (peers, listings and orders between them; default false). */
  readonly allowPrivate?: boolean;
}

/** A started node with the admin token printed for it (when it was new). */
export interface ExampleNode {
  readonly name: string;
  readonly node: RunningNode;
  readonly adminToken?: string;
}

/** Starts the three nodes, seeding each empty database with its two enterprises. */
export async function startThreeNodes(options: ThreeNodesOptions): Promise<ExampleNode[]> {
  const started: ExampleNode[] = [];
  try {
    for (const [index, layout] of LAYOUT.entries()) {
      const port = options.firstPort === 0 ? 0 : options.firstPort + index;
      const config = loadConfig({
        port: String(port), host: '127.0.0.1', 'data-dir': join(options.dataDir, `node-${layout.name}`),
        ...(options.baseUrl !== undefined ? { 'base-url': options.baseUrl(layout.name, port) } : {}),
        ...(options.allowPrivate === true ? { 'allow-private': true } : {}),
      }, { ...process.env, MAILLON_NAME: `Maillon node ${layout.name.toUpperCase()}` });
      const node = await startNode(config, createLogger(options.logLevel ?? 'warn'));
      let adminToken: string | undefined;
      if ((await node.store.listEnterprises()).length === 0) {
        adminToken = (await issueToken(node.store, { eid: null, scopes: SCOPES, label: 'admin' })).token;
        for (const eid of layout.enterprises) {
          const text = readFileSync(join(import.meta.dirname, 'network', `${eid}.jsonld`), 'utf8');
          const { records } = await node.decoder.decode(text);
          await node.catalog.createEnterprise(records, { eid });
          await node.catalog.importRecords(eid, records);
        }
      }
      started.push({ name: layout.name, node, ...(adminToken !== undefined ? { adminToken } : {}) });
    }
  } catch (error: unknown) {
    await Promise.all(started.map((s) => s.node.close()));
    throw error;
  }
  return started;
}

async function main(): Promise<void> {
  const nodes = await startThreeNodes({ dataDir: './data/three-nodes', firstPort: Number(process.env['MAILLON_FIRST_PORT'] ?? 3101) });
  for (const { name, node, adminToken } of nodes) {
    console.log(`node ${name.toUpperCase()}: ${node.url}/api/dfc/enterprises${adminToken !== undefined ? `  (admin token, shown once: ${adminToken})` : ''}`);
  }
  const stop = (): void => void Promise.all(nodes.map((n) => n.node.close())).then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] !== undefined && import.meta.filename === process.argv[1]) await main();
