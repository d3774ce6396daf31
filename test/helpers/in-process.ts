/**
 * One node, in-process, for unit tests of the HTTP layer and the services: the parts built by
 * `server/main.ts`'s own `openNode` (a SQLite file in a temp folder; a test may hand in the outbound transport and
 * the webhook poll), `createApp(appDeps(parts))` on 127.0.0.1:0, and one teardown that closes the server, its
 * sockets and the parts, and removes the folder. No scheduler tick and no notifier poll run unless a test starts
 * them.
 *
 * Plus small records of our own (an enterprise with an address, a main contact and a few products) to seed it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';
import type { Logger } from 'pino';
import type { NodeId } from '../../ontology/iri.js';
import type { DfcRecord } from '../../ontology/records.js';
import { measureIri } from '../../ontology/units.js';
import { DFC_PT_NS } from '../../ontology/vocabulary.js';
import { createApp, type AppDeps } from '../../server/app.js';
import { issueToken, SCOPES, type Scope } from '../../server/auth/tokens.js';
import { serialize } from '../../server/codec/serialize.js';
import { loadConfig, type Config } from '../../server/config.js';
import { createLogger } from '../../server/logging.js';
import { appDeps, openNode, type NodeParts } from '../../server/main.js';
import type { SafeFetch } from '../../server/net/safe-fetch.js';
import type { EnterpriseRow } from '../../server/store/store.js';
import type { PeerRow } from '../../server/store/federation.js';
import { closeServer, startStaticPeer, type StaticPeer } from './fake-peer.js';
import type { TestResponse } from './node.js';

/** Options of {@link startInProcess}. */
export interface InProcessOptions {
  /** The base URL of the node's `@id`s (default `http://node.test`; it need not be where the node listens). */
  readonly base?: string;
  readonly pageSize?: number;
  readonly bodyLimit?: number;
  readonly feedFragmentSize?: number;
  readonly name?: string;
  /** Peers and callbacks on loopback (default true: tests run on 127.0.0.1). */
  readonly allowPrivate?: boolean;
  readonly withdrawGraceSeconds?: number;
  /** Default: a silent logger. */
  readonly logger?: Logger;
  /** The notifier's `post` (default: the real peer client), poll, failures and backoff. */
  readonly notifier?: { readonly fetch?: SafeFetch; readonly pollMs?: number; readonly maxFailures?: number; readonly baseBackoffMs?: number };
  /** Least time between two fetches of an OpenID issuer's keys for an unknown key id (default 0). */
  readonly oidcKeysCooldownMs?: number;
  /** How long a held order keeps its stock, in seconds (default 1800). */
  readonly orderHoldSeconds?: number;
  /** Deadline of one outbound request, in ms (default 10,000). */
  readonly fetchTimeoutMs?: number;
  /** Changes what `createApp` gets (a failing service, a fake `subscribe`…). */
  readonly deps?: (deps: AppDeps) => AppDeps;
}

/** A request's options. */
export interface RequestOptions {
  readonly headers?: Record<string, string>;
  readonly body?: string | Uint8Array;
}

/** A node running in this process: the parts `openNode` built, and its server. */
export interface InProcessNode
  extends Pick<NodeParts, 'store' | 'decoder' | 'catalog' | 'federation' | 'taxonomy' | 'engine' | 'scheduler' | 'notifier' | 'orders' | 'listings' | 'listingFollower'> {
  /** Where it listens (`http://127.0.0.1:<port>`). */
  readonly url: string;
  /** The base URL of its `@id`s. */
  readonly base: string;
  /** Its temp folder, and the SQLite file in it. */
  readonly dir: string;
  readonly db: string;
  readonly app: Express;
  readonly server: Server;
  /** A node admin token. */
  readonly adminToken: string;
  /** Issues a token (an enterprise's, or the admin's with `null`). */
  token(eid: string | null, scopes?: readonly Scope[]): Promise<string>;
  /** Creates an enterprise from {@link farmRecords} (or the records given) and imports its catalogue. */
  seed(eid: string, options?: { private?: boolean; records?: readonly DfcRecord[] }): Promise<EnterpriseRow>;
  /** A request to the node, read whole. */
  request(method: string, path: string, options?: RequestOptions): Promise<TestResponse>;
  /** Closes the server and its sockets, the notifier and scheduler, the store; removes the folder. Idempotent. */
  close(): Promise<void>;
}

/** `Authorization: Bearer <token>`. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** Reads a fetch response whole. */
export async function readResponse(response: Response): Promise<TestResponse> {
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: <T>() => JSON.parse(text) as T };
}

/** Starts a node in-process on 127.0.0.1:0 with a fresh SQLite file, wired as `main.ts` wires a node. */
export async function startInProcess(options: InProcessOptions = {}): Promise<InProcessNode> {
  const dir = mkdtempSync(join(tmpdir(), 'maillon-unit-'));
  const db = join(dir, 'maillon.db');
  const logger = options.logger ?? createLogger('silent');
  const config: Config = {
    ...loadConfig({ db, 'data-dir': dir, 'base-url': options.base ?? 'http://node.test', port: '0' }, {}),
    allowPrivate: options.allowPrivate ?? true,
    ...(options.bodyLimit !== undefined ? { bodyLimit: options.bodyLimit } : {}),
    ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
    ...(options.feedFragmentSize !== undefined ? { feedFragmentSize: options.feedFragmentSize } : {}),
    name: options.name ?? 'Maillon unit node',
    syncConcurrency: 2,
    withdrawGraceSeconds: options.withdrawGraceSeconds ?? 3600,
    fetchConnectTimeoutMs: 2000,
    fetchTimeoutMs: options.fetchTimeoutMs ?? 10_000,
    maxResponseBytes: 5 * 1024 * 1024,
    webhookMaxFailures: options.notifier?.maxFailures ?? 10,
    webhookBackoffMs: options.notifier?.baseBackoffMs ?? 1000,
    ...(options.orderHoldSeconds !== undefined ? { orderHoldSeconds: options.orderHoldSeconds } : {}),
    // A token signed by a key the node does not know yet fetches the issuer's keys at once (a rotation is seen).
    oidcKeysCooldownMs: options.oidcKeysCooldownMs ?? 0,
  };
  let parts: NodeParts;
  try {
    parts = await openNode(config, logger, {
      ...(options.notifier?.fetch !== undefined ? { fetch: options.notifier.fetch } : {}),
      ...(options.notifier?.pollMs !== undefined ? { webhookPollMs: options.notifier.pollMs } : {}),
    });
  } catch (error: unknown) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const { store, decoder, catalog, federation, taxonomy, engine, scheduler, notifier, orders, listings, listingFollower } = parts;
  const base = store.baseUrl;
  const defaults = appDeps(parts);
  const app = createApp(options.deps !== undefined ? options.deps(defaults) : defaults);
  let server: Server;
  try {
    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
  } catch (error: unknown) {
    await parts.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const { token: adminToken } = await issueToken(store, { eid: null, scopes: SCOPES, label: 'admin' });
  let closed: Promise<void> | undefined;
  return {
    url, base, dir, db, store, decoder, catalog, federation, taxonomy, engine, scheduler, notifier, orders, listings, listingFollower, app, server, adminToken,
    token: async (eid, scopes = SCOPES) => (await issueToken(store, { eid, scopes })).token,
    seed: async (eid, seedOptions = {}) => {
      const records = seedOptions.records ?? farmRecords(eid);
      const row = await catalog.createEnterprise(records, { eid, ...(seedOptions.private === true ? { private: true } : {}) });
      await catalog.importRecords(eid, records);
      return row;
    },
    request: async (method, path, init = {}) => readResponse(await fetch(`${url}${path}`, {
      method, headers: init.headers ?? {}, ...(init.body !== undefined ? { body: init.body } : {}),
    })),
    close: () => {
      closed ??= (async () => {
        await closeServer(server);
        await parts.close();
        rmSync(dir, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}

// ------------------------------------------------------------------ small records

/** One product of {@link farmRecords}. */
export interface FarmProduct {
  /** Local id (product, catalog item and offer share it). */
  readonly id: string;
  readonly name: string;
  readonly description?: string;
  /** A product type's local name (`carrot`). */
  readonly type?: string;
  /** Null: on demand. */
  readonly stock: number | null;
  readonly price: number;
  readonly sku?: string;
}

/** What {@link farmRecords} describes. */
export interface FarmOptions {
  /** The base URL of the `@id`s (default `https://elsewhere.example`: an import moves them under the node). */
  readonly origin?: string;
  readonly name?: string;
  readonly postcode?: string;
  readonly latitude?: number;
  readonly longitude?: number;
  readonly products?: readonly FarmProduct[];
}

/** Three products: a heirloom tomato in stock, carrots on demand, a goat cheese out of stock. */
export const FARM_PRODUCTS: readonly FarmProduct[] = [
  { id: 'tomate', name: 'Tomates anciennes', description: 'Variétés anciennes de plein champ', type: 'hierloom-tomato', stock: 12, price: 4.5, sku: 'TOM-1' },
  { id: 'carottes', name: 'Carottes des sables', description: 'Botte de carottes nouvelles', type: 'carrot', stock: null, price: 2, sku: 'CAR-1' },
  { id: 'chevre', name: 'Crottin de chèvre', description: 'Fromage fermier au lait cru', type: 'goat-fresh-cheese', stock: 0, price: 3.2, sku: 'CHE-1' },
];

/**
 * An enterprise (address with coordinates, main contact) and its products, each with one catalog item and one
 * offer in euros.
 */
export function farmRecords(eid: string, options: FarmOptions = {}): DfcRecord[] {
  const api = `${options.origin ?? 'https://elsewhere.example'}/api/dfc`;
  const id = (path: string): NodeId => `${api}/${path}` as NodeId;
  const enterprise = id(`enterprises/${eid}`);
  const products = options.products ?? FARM_PRODUCTS;
  const records: DfcRecord[] = [
    {
      kind: 'Enterprise', id: enterprise, name: options.name ?? `Ferme ${eid}`, description: 'Une ferme de test',
      address: id(`addresses/${eid}`), mainContact: id(`persons/${eid}`),
      supplies: products.map((p) => id(`enterprises/${eid}/supplied_products/${p.id}`)),
      manages: products.map((p) => id(`enterprises/${eid}/catalog_items/${p.id}`)),
      maintains: [], customerCategories: [], affiliates: [],
    },
    {
      kind: 'Address', id: id(`addresses/${eid}`), street: '1 route des Chênes', postcode: options.postcode ?? '87000', city: 'Limoges',
      country: 'http://publications.europa.eu/resource/authority/country/FRA',
      latitude: options.latitude ?? 45.83, longitude: options.longitude ?? 1.26,
    },
    { kind: 'Person', id: id(`persons/${eid}`), firstName: 'Anne', familyName: 'Martin', affiliates: [] },
  ];
  for (const p of products) {
    const product = id(`enterprises/${eid}/supplied_products/${p.id}`);
    const item = id(`enterprises/${eid}/catalog_items/${p.id}`);
    const offer = id(`enterprises/${eid}/offers/${p.id}`);
    records.push(
      {
        kind: 'SuppliedProduct', id: product, name: p.name, ...(p.description !== undefined ? { description: p.description } : {}),
        ...(p.type !== undefined ? { productType: `${DFC_PT_NS}${p.type}` } : {}),
        quantity: { value: 1, unit: measureIri('Kilogram') }, images: [], variantOf: [], variants: [], catalogItems: [item], suppliedBy: enterprise,
      },
      {
        kind: 'CatalogItem', id: item, product, ...(p.sku !== undefined ? { sku: p.sku } : {}), stock: p.stock, offers: [offer],
        managedBy: enterprise, listedIn: [],
      },
      { kind: 'Offer', id: offer, item, price: { value: p.price, currency: measureIri('Euro') }, stock: p.stock },
    );
  }
  return records;
}

// ------------------------------------------------------------------ a node with a peer

/** The peer's products: apples, cherry tomatoes in stock, honey out of stock (a name a spreadsheet would run). */
export const ORCHARD_PRODUCTS: readonly FarmProduct[] = [
  { id: 'pommes', name: 'Pommes Reinette', description: 'Pommes du Limousin', type: 'apples', stock: 30, price: 2.8 },
  { id: 'tomate-cerise', name: 'Tomates cerises', description: 'Barquette de tomates cerises', type: 'cherry-tomato', stock: 5, price: 3.5 },
  { id: 'miel', name: '=Miel "toutes fleurs", printemps', description: 'Pot de miel', type: 'honey', stock: 0, price: 9 },
];

/** A node with its own enterprise `ferme` (Limoges, 87) and a peer `verger` (Brive, 19) synced into it. */
export interface FederatedFixture {
  readonly node: InProcessNode;
  /** The peer: a static server on 127.0.0.1 serving `/catalog.json`. */
  readonly peerServer: StaticPeer;
  readonly peer: PeerRow;
  close(): Promise<void>;
}

/** Starts a {@link FederatedFixture}; the peer is synced once (an error if that fails). */
export async function startFederated(options: InProcessOptions = {}): Promise<FederatedFixture> {
  const peerServer = await startStaticPeer((origin) => ({
    '/catalog.json': {
      body: serialize(farmRecords('verger', { origin, name: 'Verger de Brive', postcode: '19100', latitude: 45.16, longitude: 1.53, products: ORCHARD_PRODUCTS }), 'jsonld'),
      contentType: 'application/ld+json',
    },
  }));
  let node: InProcessNode | undefined;
  try {
    node = await startInProcess(options);
    await node.seed('ferme');
    const peer = await node.store.provenance.addPeer({ name: 'verger', url: `${peerServer.url}/catalog.json` }, peerServer.url);
    const outcome = await node.scheduler.syncOne(peer);
    if (!outcome.ok) throw new Error(`the peer did not sync: ${JSON.stringify(outcome.failure)}`);
    const running = node;
    return {
      node: running, peerServer, peer,
      close: async () => {
        await running.close();
        await peerServer.close();
      },
    };
  } catch (error: unknown) {
    await node?.close();
    await peerServer.close();
    throw error;
  }
}
