/**
 * The composition root: the only place that builds concrete parts (SQLite store, decoder with the loaded
 * taxonomies, logger) and wires them into the application.
 *
 * @packageDocumentation
 */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { createApp } from './app.js';
import { CatalogService } from './catalog/catalog-service.js';
import { Decoder } from './codec/decode.js';
import type { Config } from './config.js';
import { createLogger } from './logging.js';
import { SqliteStore } from './store/sqlite/sqlite-store.js';
import type { NodeStore } from './store/store.js';
import { FileTaxonomyStore } from './store/taxonomy-store.js';

/** The parts of a node, opened and wired. */
export interface NodeParts {
  readonly config: Config;
  readonly store: NodeStore;
  readonly decoder: Decoder;
  readonly catalog: CatalogService;
  readonly logger: Logger;
  close(): Promise<void>;
}

/** Opens the store and builds the decoder and catalogue service, without HTTP. */
export async function openNode(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<NodeParts> {
  if (config.db !== ':memory:') mkdirSync(dirname(config.db), { recursive: true });
  const store = await SqliteStore.open({ path: config.db, baseUrl: config.baseUrl });
  const decoder = new Decoder({ taxonomy: new FileTaxonomyStore(config.dataDir).load() });
  const catalog = new CatalogService({ store, decoder });
  return { config, store, decoder, catalog, logger, close: () => store.close() };
}

/** A running node. */
export interface RunningNode extends NodeParts {
  readonly server: Server;
  /** The URL it listens on (the bound port, when 0 was asked). */
  readonly url: string;
}

/**
 * Starts a node: opens it and listens.
 *
 * @param config - the configuration; port 0 picks a free port
 */
export async function startNode(config: Config, logger?: Logger): Promise<RunningNode> {
  const parts = await openNode(config, logger);
  const app = createApp({
    store: parts.store, decoder: parts.decoder, logger: parts.logger, bodyLimit: config.bodyLimit, pageSize: config.pageSize, name: config.name,
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  parts.logger.info({ url: `http://${host}:${address.port}`, baseUrl: config.baseUrl, db: config.db }, 'listening');
  return {
    ...parts,
    server,
    url: `http://${host}:${address.port}`,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await parts.store.close();
    },
  };
}
