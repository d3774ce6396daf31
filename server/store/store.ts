/**
 * The node's persistence port. The HTTP layer and the command line see only this interface; SQLite is one
 * implementation of it (a second engine can be added behind the same interface).
 *
 * @packageDocumentation
 */
import { hash } from 'node:crypto';
import type { DfcRecord, RecordKind } from '../../ontology/records.js';
import type { FeedStore } from './feed.js';
import type { FederatedIndex, ProvenanceStore } from './federation.js';
import type { OidcStore } from './oidc.js';
import type { OrderStore } from './orders.js';
import type { SolidLedger } from './solid.js';

/** An enterprise as the node manages it. */
export interface EnterpriseRow {
  /** The local id used in URLs (`/api/dfc/enterprises/{eid}`). */
  readonly eid: string;
  readonly iri: string;
  readonly name: string;
  /** A private enterprise's catalogue and profile need a token to read. */
  readonly private: boolean;
  /** Increases with every write to the enterprise or its catalogue. */
  readonly version: number;
  /**
   * Increases when the enterprise's profile changes (its Enterprise, Address or Person, or the list of its
   * products and catalog items), not with stock and prices: the version of `GET /enterprises/{eid}`.
   */
  readonly profileVersion: number;
  readonly updatedAt: string;
}

/** A stored resource. */
export interface StoredResource {
  readonly eid: string;
  readonly record: DfcRecord;
  /** The record's version: changes whenever the record does ({@link recordVersion}); keys strong ETags. */
  readonly version: string;
  readonly updatedAt: string;
  /**
   * An offer with a stock of its own (written alone with another number than its item's, migration 38): it does not
   * mirror its item's stock, whatever the numbers say, and its item's writers leave it as it is. Set by the reads of
   * several resources and of an item with its offers; absent otherwise.
   */
  readonly ownStock?: true;
}

/**
 * The version of a record as a store keeps it: a hash of its JSON, so it changes exactly when the record
 * does, and a writer knows the version of what it wrote without reading it back.
 */
export function recordVersion(record: DfcRecord): string {
  return writtenVersions.get(record) ?? versionOfJson(JSON.stringify(record));
}

/**
 * The versions of records a store has just written, by the record object: the answer to a stock write gives the
 * version of what it wrote as its ETag, which the store computed when it wrote it (a second serialisation and hash
 * of the record, per write, for the same string). Records are not changed once written (their fields are read-only).
 */
const writtenVersions = new WeakMap<DfcRecord, string>();

/** Notes the version a store wrote `record` with ({@link recordVersion} then answers it without serialising it). */
export function rememberVersion(record: DfcRecord, version: string): void {
  writtenVersions.set(record, version);
}

/** {@link recordVersion} of a record already serialised (by `JSON.stringify`). */
export function versionOfJson(json: string): string {
  // One-shot `hash`: the same digest as `createHash`, without a Hash object for each of the many records written.
  return hash('sha256', json, 'base64url').slice(0, 27);
}

/** What {@link NodeStore.health} finds. */
export type StoreHealth = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** An API token as stored (never the token itself). */
export interface TokenRow {
  readonly id: string;
  /** Null for a node admin token. */
  readonly eid: string | null;
  readonly scopes: readonly string[];
  readonly label: string | null;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

/** One write to an enterprise's resources, applied atomically. */
export interface ChangeSet {
  /**
   * Create the enterprise first, in the same transaction (named `enterprise.name`, else its id): a write that
   * creates an enterprise with its catalogue (an import) is then all or nothing. Refused with
   * {@link AlreadyExistsError} when the id or the IRI is taken.
   */
  readonly create?: { readonly iri: string; readonly private?: boolean };
  /** Records to insert or replace, by `@id`. */
  readonly upsert?: readonly DfcRecord[];
  /** `@id`s to delete. */
  readonly delete?: readonly string[];
  /** New enterprise name or privacy, when they change. */
  readonly enterprise?: { readonly name?: string; readonly private?: boolean };
  /** Refuse the write (with {@link VersionConflictError}) unless the enterprise is at this version. */
  readonly expectedVersion?: number;
  /**
   * Refuse the write (with {@link VersionConflictError}) unless the enterprise's profile is at this version
   * (`EnterpriseRow.profileVersion`): the condition of a profile write, whose ETag is made from it. Unlike
   * `expectedVersion`, a stock write meanwhile does not move it.
   */
  readonly expectedProfileVersion?: number;
  /**
   * What the writer read before deciding: `@id` → the record as read, or null for "must not exist". If any
   * differs when the transaction runs, the write is refused with {@link ConcurrentChangeError} (and can be
   * retried from a fresh read): two requests never silently overwrite each other.
   */
  readonly expect?: ReadonlyMap<string, DfcRecord | null>;
  /**
   * Refuse the write (with {@link ListedRecordError}) when a listing publishes a record it writes or deletes: the
   * listing's item, offer or product, or a record under its product (`<product>/…`), as
   * `OrderStore.listingsPublishing` finds them. Checked in the write's transaction (a stock write's conditional
   * statement checks it as it writes, without a read of its own), so no listing made meanwhile slips through.
   */
  readonly refuseListed?: boolean;
}

/** Raised when a resource changed between the read and the write of a change set. */
export class ConcurrentChangeError extends Error {
  public override readonly name = 'ConcurrentChangeError';

  public constructor(public readonly iri: string) {
    super(`${iri} changed meanwhile`);
  }
}

/**
 * Raised when a change set with `refuseListed` writes or deletes a record a listing publishes (nothing is written):
 * the listing's records change only through the listing.
 */
export class ListedRecordError extends Error {
  public override readonly name = 'ListedRecordError';

  public constructor(public readonly iri: string) {
    super(`${iri} is published by a listing`);
  }
}

/**
 * Raised when a change set deletes a catalog item or offer that a line of an open order (pending or held) names
 * (nothing is written): the order could then be neither completed nor cancelled as placed, and the stock it holds
 * would stay held for an item that is no more.
 */
export class OrderedRecordError extends Error {
  public override readonly name = 'OrderedRecordError';

  public constructor(public readonly iri: string, public readonly order: string, public readonly status: string) {
    super(`${iri} is in open order ${order} (${status.toLowerCase()}): complete or cancel it first, then delete`);
  }
}

/** The reads of resources a read-modify-write makes: the store's own, or those inside its transaction ({@link NodeStore.update}). */
export interface ResourceReads {
  /** One resource by `@id`. */
  getResource(iri: string): Promise<StoredResource | undefined>;
  /** Several resources by `@id` (missing ones are left out). */
  getResources(iris: readonly string[]): Promise<StoredResource[]>;
  /**
   * One resource by `@id` with the resources its record names as `offers` (a catalog item's; missing ones are
   * left out), in one read of one state: for a write that may change them all (a stock write), one read, not two.
   */
  getResourceWithOffers(iri: string): Promise<{ resource: StoredResource; offers: StoredResource[] } | undefined>;
}

/** What the `decide` of {@link NodeStore.update} answers: the change set to apply, and the value to give back. */
export interface Decision<T> {
  readonly changes: ChangeSet;
  readonly value: T;
}

/** Options of {@link NodeStore.apply}. */
export interface ApplyOptions {
  /** Called as records are written (for a progress bar on long imports). */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Raised when a write's `expectedVersion` is stale. */
export class VersionConflictError extends Error {
  public override readonly name = 'VersionConflictError';

  public constructor(public readonly current: number) {
    super(`the enterprise changed meanwhile (now at version ${current})`);
  }
}

/** Raised when a write would take a resource that another enterprise owns. */
export class OwnershipError extends Error {
  public override readonly name = 'OwnershipError';

  public constructor(public readonly iri: string, public readonly owner: string) {
    super(`${iri} belongs to enterprise ${owner}`);
  }
}

/**
 * The largest quantity the stock ledger keeps exactly: an item's stock, an order line's quantity. The ledger counts
 * units in floating point and must still tell a thousandth of a unit from none; far above any real stock or order.
 * A stock of 1e17 or 1e308 was once stored, and then every order of the item failed the ledger's own check.
 */
export const MAX_QUANTITY = 1e9;

/**
 * The largest amount of money the node keeps: beyond it, an amount in cents is no longer exact in a double (2^53
 * cents ≈ 9 × 10^13). Far above any real price: what goes past it is a broken catalogue, not a dear item.
 */
export const MAX_MONEY = 1e13;

/**
 * Raised when a write would create what exists already (an enterprise id or IRI taken): the store's own
 * word for a uniqueness constraint, so no engine's error code reaches the services.
 */
export class AlreadyExistsError extends Error {
  public override readonly name = 'AlreadyExistsError';

  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Raised when an enterprise cannot be removed while orders placed with it are open (pending or held). */
export class OpenOrdersError extends Error {
  public override readonly name = 'OpenOrdersError';

  public constructor(public readonly eid: string, public readonly open: number) {
    super(`enterprise ${eid} has ${open} open order(s) (pending or held): complete or cancel them first`);
  }
}

/** What {@link NodeStore.removeEnterprise} removed. */
export interface RemovedEnterprise {
  /** Published resources withdrawn (each a `delete` version in the change feed, unless the enterprise was private). */
  readonly resources: number;
  /** API tokens of the enterprise deleted (with the webhook subscriptions they made). */
  readonly tokens: number;
  /** Listings of other nodes' items it had. */
  readonly listings: number;
}

/** The persistence port. */
export interface NodeStore {
  /** The public base URL the stored `@id`s are built from. */
  readonly baseUrl: string;
  /** Whether the operator chose that base URL (`--base-url`), rather than it being where a node first listened. */
  readonly baseUrlGiven: boolean;
  /**
   * Peers, their sync state and their provenance graphs: the sync engine's side of the federation. Applying
   * a snapshot here also rebuilds the peer's rows of {@link NodeStore.index}, in the same transaction.
   */
  readonly provenance: ProvenanceStore;
  /** The federated index and the records behind it: the federated catalogue's side. */
  readonly index: FederatedIndex;
  /** The change feed and webhook subscriptions. */
  readonly feed: FeedStore;
  /** Stock ledgers, orders and listings: the shared stock. */
  readonly orders: OrderStore;
  /** OpenID Connect issuers, grants to their identities, and peers' OpenID Connect credentials. */
  readonly oidc: OidcStore;
  /** What was published into Solid pods (`maillon solid publish`). */
  readonly solid: SolidLedger;

  /** Creates an enterprise with its profile records (Enterprise, Address, Person). */
  createEnterprise(eid: string, iri: string, records: readonly DfcRecord[], options?: { private?: boolean }): Promise<EnterpriseRow>;
  getEnterprise(eid: string): Promise<EnterpriseRow | undefined>;
  /**
   * Removes an enterprise in one transaction: its resources are deleted one by one, so the change feed carries a
   * `delete` version of each (a private enterprise's versions are all dropped from the feed instead: without its
   * row, nothing would hide them from the public feed); then its tokens, grants, listings, stock, closed orders and webhook
   * subscriptions go with its row.
   *
   * @returns what was removed, or undefined when there is no such enterprise
   * @throws {@link OpenOrdersError} while an order placed with it is pending or held (nothing is removed)
   */
  removeEnterprise(eid: string): Promise<RemovedEnterprise | undefined>;
  listEnterprises(): Promise<EnterpriseRow[]>;
  /** Current version of an enterprise (one indexed read: used to validate caches). */
  enterpriseVersion(eid: string): Promise<number | undefined>;

  /** One resource by `@id`. */
  getResource(iri: string): Promise<StoredResource | undefined>;
  /** Several resources by `@id` (missing ones are left out). */
  getResources(iris: readonly string[]): Promise<StoredResource[]>;
  /** See {@link ResourceReads.getResourceWithOffers}. */
  getResourceWithOffers(iri: string): Promise<{ resource: StoredResource; offers: StoredResource[] } | undefined>;
  /** An enterprise's resources of the given kinds, ordered by `@id`. */
  listResources(eid: string, kinds: readonly RecordKind[]): Promise<StoredResource[]>;

  /** The `@id`s of an enterprise's products (and whether each is a product group) and catalog items, by `@id`. */
  catalogueIds(eid: string): Promise<{ products: { iri: string; group: boolean }[]; items: string[] }>;
  /** Applies a change set to one enterprise in one transaction (every change moves the enterprise's version). */
  apply(eid: string, changes: ChangeSet, options?: ApplyOptions): Promise<void>;
  /**
   * A read-modify-write as one transaction: `decide` reads through the reads it is given, which see the state its
   * change set applies to, and no other write runs until that change set is committed (or `decide` throws, and
   * nothing is). It cannot meet a concurrent change: for a write that must apply whatever was written meanwhile
   * (a PUT without a precondition, last writer wins). `decide` holds the store's write lock: it must be quick, and
   * must not write through the store (that write would wait for this transaction).
   */
  update<T>(eid: string, decide: (reads: ResourceReads) => Promise<Decision<T>>, options?: ApplyOptions): Promise<T>;

  /** The operator's stored node settings (`maillon config`), by key. */
  settings(): Promise<Map<string, string>>;
  /** Stores one node setting (the caller checks the key and the value). */
  setSetting(key: string, value: string): Promise<void>;

  createToken(token: { id: string; hash: string; eid: string | null; scopes: readonly string[]; label?: string }): Promise<TokenRow>;
  findTokenByHash(hash: string): Promise<TokenRow | undefined>;
  listTokens(eid?: string): Promise<TokenRow[]>;
  revokeToken(id: string): Promise<boolean>;

  /**
   * Whether the store can serve: its database answers a read, and its file is still the one it opened (one
   * removed or replaced under the node takes no more writes). Never rejects: a failure is the reason.
   */
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}
