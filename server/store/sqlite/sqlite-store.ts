/**
 * The SQLite implementation of {@link NodeStore}.
 *
 * A resource is stored as its normalised record (JSON, checked by SQLite's `json_valid`) plus copies of the
 * fields that queries filter on. Every change set runs in one transaction and bumps the enterprise's version,
 * which HTTP uses for strong ETags and response caching.
 *
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { SqliteSolidLedger } from './solid-store.js';
import { SqliteOidcStore } from './oidc-store.js';
import type { DfcRecord, RecordKind } from '../../../ontology/records.js';
import {
  AlreadyExistsError, ConcurrentChangeError, ListedRecordError, OpenOrdersError, OrderedRecordError, OwnershipError, type RemovedEnterprise, VersionConflictError, type ApplyOptions, type ChangeSet, type Decision, type EnterpriseRow, type NodeStore, type ResourceReads, type StoredResource, type StoreHealth, type TokenRow,
  rememberVersion, versionOfJson,
} from '../store.js';
import {
  SqliteDatabase, withReadOnly, type Batchable, type CheckpointSpacing, type BatchOutcome, type BatchRunner, type SqlConnection, type SqlValue, type TransactionOptions,
} from './database.js';
import type { FeedStore } from '../feed.js';
import { SqliteFederatedIndex } from './federated-index.js';
import { SqliteFeedStore } from './feed-store.js';
import { KeyedReads, numbered } from './keyed-reads.js';
import { publishOwnOffers, SqliteOrderStore } from './order-store.js';
import { migrate, recordedSchemaVersion, SCHEMA_VERSION, SchemaTooNewError } from './migrations.js';
import { prepareStaging, SqliteProvenanceStore, STAGING_DDL } from './provenance-store.js';

interface EnterpriseSql { eid: string; iri: string; name: string; private: number; version: number; profile_version: number; updated_at: string }
interface ResourceSql { eid: string; record: string; version: string | null; updated_at: string; own_stock?: number | null }
interface TokenSql {
  id: string; hash: string; eid: string | null; scopes: string; label: string | null; created_at: string; last_used_at: string | null; revoked_at: string | null;
}

function enterpriseRow(row: EnterpriseSql): EnterpriseRow {
  return {
    eid: row.eid, iri: row.iri, name: row.name, private: row.private === 1, version: row.version, profileVersion: row.profile_version,
    updatedAt: row.updated_at,
  };
}

function resourceRow(row: ResourceSql): StoredResource {
  // Rows written before migration 8, or re-based since, have no version yet: it is the hash of the record.
  const resource = { eid: row.eid, record: JSON.parse(row.record) as DfcRecord, version: row.version ?? versionOfJson(row.record), updatedAt: row.updated_at };
  return row.own_stock === 1 ? { ...resource, ownStock: true } : resource;
}

/**
 * The column {@link StoredResource.ownStock} is read from, for a row of `resources` under `alias`: an offer with a
 * ledger of its own (migration 38), looked up by its key.
 */
const OWN_STOCK = (alias: string): string =>
  `CASE WHEN ${alias}.kind = 'Offer' THEN EXISTS (SELECT 1 FROM offer_stock AS os WHERE os.offer_iri = ${alias}.iri AND os.own = 1) END AS own_stock`;

/**
 * The text records read one by one (the reads a write starts from) are stored as, by the record object: a write's
 * expectation that a row is still as it read it compares that text with the row, with no serialisation of the
 * record again (a stock write reads an item and its offers and writes them back: two serialisations, not four).
 */
const storedTexts = new WeakMap<DfcRecord, string>();

/** {@link resourceRow}, remembering the text the record was read from ({@link storedJson}). */
function readRow(row: ResourceSql): StoredResource {
  const resource = resourceRow(row);
  storedTexts.set(resource.record, row.record);
  return resource;
}

/** The JSON a record expected by a write is compared with: the text it was read from, else its serialisation. */
function storedJson(record: DfcRecord): string {
  return storedTexts.get(record) ?? JSON.stringify(record);
}

function tokenRow(row: TokenSql): TokenRow {
  return {
    id: row.id, eid: row.eid, scopes: row.scopes.split(' ').filter(Boolean), label: row.label, createdAt: row.created_at,
    lastUsedAt: row.last_used_at, revokedAt: row.revoked_at,
  };
}

/** The columns copied out of a record for filtering. */
function indexColumns(record: DfcRecord): SqlValue[] {
  const name = 'name' in record && typeof record.name === 'string' ? record.name : null;
  const productType = record.kind === 'SuppliedProduct' ? (record.productType ?? null) : null;
  const stock = record.kind === 'CatalogItem' || record.kind === 'Offer' ? record.stock : null;
  const price = record.kind === 'Offer' ? (record.price?.value ?? null) : null;
  const currency = record.kind === 'Offer' ? (record.price?.currency ?? null) : null;
  const latitude = record.kind === 'Address' ? (record.latitude ?? null) : null;
  const longitude = record.kind === 'Address' ? (record.longitude ?? null) : null;
  return [name, productType, stock, price, currency, latitude, longitude];
}

/**
 * The port's error for an engine error: a taken key (a taken enterprise id or IRI) becomes
 * {@link AlreadyExistsError}; anything else passes as it is (a broken check is no resource that exists already).
 */
export function storeErrorOf(error: unknown): unknown {
  if ((error as { code?: unknown } | null)?.code === 'SQLITE_CONSTRAINT' && /\b(UNIQUE|PRIMARY KEY) constraint failed\b/u.test(String((error as Error).message))) {
    return new AlreadyExistsError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  return error;
}

const CHUNK = 500; // SQLite's default limit on bound parameters is 32766; stay far below it.

/**
 * Records beyond which a write runs in a transaction of its own (an import, a removal): grouped with short
 * writes, it would hold back their answers until its commit.
 */
const LARGE = 100;

/** Options of {@link SqliteStore.open}. */
export interface SqliteStoreOptions {
  /** Database file (`:memory:` for a throwaway store). */
  readonly path: string;
  /** The node's public base URL for a new database. */
  readonly baseUrl: string;
  /**
   * The operator gave `baseUrl` (`--base-url`): move the stored `@id`s to it when the database was made with
   * another one (else keep the stored one), and remember that the stored base URL was chosen, not derived from
   * where a node listened.
   */
  readonly rebase?: boolean;
  /** How far apart the copies of the log into the file begin (none: one after each commit); see {@link CheckpointSpacing}. */
  readonly checkpointSpacing?: CheckpointSpacing;
}

/** {@link NodeStore} on SQLite. */
export class SqliteStore implements NodeStore {
  /** Peers, their provenance graphs and their snapshots (which also rebuild their rows of the index). */
  public readonly provenance: SqliteProvenanceStore;
  /** The federated index and the records behind it, in the same database. */
  public readonly index: SqliteFederatedIndex;
  /** The change feed and webhook subscriptions, in the same database. */
  public readonly feed: FeedStore;
  /** Stock ledgers, orders and listings, in the same database (an order and the stock it moves commit together). */
  public readonly orders: SqliteOrderStore;
  /** OpenID Connect issuers, grants and peers' credentials, in the same database. */
  public readonly oidc: SqliteOidcStore;
  /** What was published into Solid pods, in the same database. */
  public readonly solid: SqliteSolidLedger;
  /** Tokens by hash: the lookup of every authenticated request, those of one turn in one statement. */
  private readonly tokensByHash: KeyedReads<TokenSql>;
  /** Resources with the offers they name: the first read of every stock write, those of one turn in one statement. */
  private readonly withOffers: KeyedReads<WithOffersSql>;

  private constructor(
    private readonly db: SqliteDatabase,
    public readonly baseUrl: string,
    /** Whether the stored base URL was given by the operator (`--base-url`) rather than derived from an address. */
    public readonly baseUrlGiven: boolean,
  ) {
    this.provenance = new SqliteProvenanceStore(db);
    this.index = new SqliteFederatedIndex(db);
    this.feed = new SqliteFeedStore(db);
    this.orders = new SqliteOrderStore(db);
    this.oidc = new SqliteOidcStore(db);
    this.solid = new SqliteSolidLedger(db);
    this.tokensByHash = new KeyedReads((hashes, marks) => db.reader.all<TokenSql>(`SELECT * FROM tokens WHERE hash IN (${marks})`, hashes), (row) => row.hash);
    this.withOffers = new KeyedReads((iris) => db.reader.all<WithOffersSql>(WITH_OFFERS(numbered(iris.length)), iris), (row) => row.key);
  }

  /**
   * Opens the store: creates the file if needed, applies migrations, and re-bases stored `@id`s when the
   * node's base URL changed.
   */
  public static async open(options: SqliteStoreOptions): Promise<SqliteStore> {
    // A database of a newer Maillon is refused before the writer connection touches it (even switching it to
    // WAL is a write): read-only, its recorded schema version is read first.
    if (options.path !== ':memory:' && existsSync(options.path)) {
      const found = await withReadOnly(options.path, recordedSchemaVersion);
      if (found > SCHEMA_VERSION) throw new SchemaTooNewError(found, SCHEMA_VERSION, options.path);
    }
    const db = await SqliteDatabase.open(options.path,
      { staging: STAGING_DDL, ...(options.checkpointSpacing !== undefined ? { checkpointSpacing: options.checkpointSpacing } : {}) });
    try {
      await migrate(db);
      await db.transaction(prepareStaging);
      await db.optimize();
      let baseUrl = options.baseUrl.replace(/\/+$/u, '');
      let given = options.rebase === true;
      await db.transaction(async (tx) => {
        const stored = await tx.get<{ value: string }>("SELECT value FROM meta WHERE key = 'base_url'");
        if (stored === undefined) {
          await tx.run("INSERT INTO meta (key, value) VALUES ('base_url', ?)", [baseUrl]);
        } else if (stored.value !== baseUrl) {
          if (options.rebase === true) await rebase(tx, stored.value, baseUrl);
          else baseUrl = stored.value;
        }
        if (stored === undefined || options.rebase === true) {
          await tx.run("INSERT INTO meta (key, value) VALUES ('base_url_given', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [given ? '1' : '0']);
        } else {
          const decided = await tx.get<{ value: string }>("SELECT value FROM meta WHERE key = 'base_url_given'");
          // A database made before this key existed had its base URL chosen at creation (often with --base-url):
          // it is taken as decided, never as an address to be "moved" to wherever the node listens now.
          if (decided === undefined) await tx.run("INSERT INTO meta (key, value) VALUES ('base_url_given', '1')");
          given = decided === undefined || decided.value === '1';
        }
      });
      return new SqliteStore(db, baseUrl, given);
    } catch (error: unknown) {
      await db.close();
      throw error;
    }
  }

  public async createEnterprise(eid: string, iri: string, records: readonly DfcRecord[], options: { private?: boolean } = {}): Promise<EnterpriseRow> {
    const enterprise = records.find((r) => r.kind === 'Enterprise' && r.id === iri);
    const name = enterprise?.kind === 'Enterprise' ? (enterprise.name ?? eid) : eid;
    return this.write(async (tx) => {
      const now = new Date().toISOString();
      await tx.run('INSERT INTO enterprises (eid, iri, name, private, version, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)', [
        eid, iri, name, options.private === true ? 1 : 0, now, now,
      ]);
      await continueVersions(tx, eid);
      await upsertRecords(tx, eid, records, now);
      await publishOwnOffers(tx, stockIris(records));
      return enterpriseRow((await tx.get<EnterpriseSql>('SELECT * FROM enterprises WHERE eid = ?', [eid])) as EnterpriseSql);
    }, { alone: records.length > LARGE });
  }

  public async getEnterprise(eid: string): Promise<EnterpriseRow | undefined> {
    const row = await this.db.reader.get<EnterpriseSql>('SELECT * FROM enterprises WHERE eid = ?', [eid]);
    return row === undefined ? undefined : enterpriseRow(row);
  }

  public async removeEnterprise(eid: string): Promise<RemovedEnterprise | undefined> {
    return this.write(async (tx) => {
      const row = await tx.get<EnterpriseSql>('SELECT * FROM enterprises WHERE eid = ?', [eid]);
      if (row === undefined) return undefined;
      // Checked in the transaction that removes: no order can be placed between the check and the removal.
      const open = await tx.get<{ n: number }>("SELECT count(*) AS n FROM orders WHERE eid = ? AND status IN ('Pending', 'Held')", [eid]);
      if ((open?.n ?? 0) > 0) throw new OpenOrdersError(eid, open?.n ?? 0);
      // Row by row through the triggers: each resource leaves a `delete` version in the feed, so followers withdraw it.
      const resources = await tx.run('DELETE FROM resources WHERE eid = ?', [eid]);
      // A private enterprise's versions were its readers' only, and its readers (tokens, grants) go with it: they all
      // go, its deletes with them, and an enterprise later given its id starts without them. Its followers (an admin
      // or enterprise token) would then never learn that its resources went: a new stream id makes every follower
      // resync from a full snapshot, which withdraws them. A public enterprise's versions stay, public as written.
      if (row.private === 1) {
        await tx.run('DELETE FROM feed_events WHERE eid = ?', [eid]);
        await tx.run("UPDATE meta SET value = lower(hex(randomblob(16))) WHERE key = 'stream_id'");
        await tx.run('DELETE FROM subscriptions WHERE eid = ?', [eid]);
      } else {
        // Its subscribers are owed the deletes just written: they stay until those are delivered (the notifier
        // then deletes them), whatever happens to the tokens they were made with.
        await tx.run('UPDATE subscriptions SET closing_after = (SELECT coalesce(max(seq), 0) FROM feed_events) WHERE eid = ?', [eid]);
      }
      const listings = await tx.run('DELETE FROM listings WHERE eid = ?', [eid]);
      const tokens = await tx.run('DELETE FROM tokens WHERE eid = ?', [eid]);
      // The rest (grants, stock ledgers, closed orders, the enterprise's webhook subscriptions) cascades.
      const last = await tx.get<{ version: number; profile_version: number }>('DELETE FROM enterprises WHERE eid = ? RETURNING version, profile_version', [eid]);
      await tx.run(`INSERT INTO meta (key, value) VALUES (?, json_object('version', ?, 'profile', ?))
        ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [`removed-enterprise:${eid}`, last?.version ?? row.version, last?.profile_version ?? row.profile_version]);
      return { resources: resources.changes, tokens: tokens.changes, listings: listings.changes };
    }, { alone: true });
  }

  public async listEnterprises(): Promise<EnterpriseRow[]> {
    return (await this.db.reader.all<EnterpriseSql>('SELECT * FROM enterprises ORDER BY eid')).map(enterpriseRow);
  }

  public async enterpriseVersion(eid: string): Promise<number | undefined> {
    return (await this.db.reader.get<{ version: number }>('SELECT version FROM enterprises WHERE eid = ?', [eid]))?.version;
  }

  public async getResource(iri: string): Promise<StoredResource | undefined> {
    return resourceReads(this.db.reader).getResource(iri);
  }

  public async getResources(iris: readonly string[]): Promise<StoredResource[]> {
    return resourceReads(this.db.reader).getResources(iris);
  }

  public async getResourceWithOffers(iri: string): Promise<{ resource: StoredResource; offers: StoredResource[] } | undefined> {
    return withOffersOf(await this.withOffers.all(iri));
  }

  public async listResources(eid: string, kinds: readonly RecordKind[]): Promise<StoredResource[]> {
    const rows = await this.db.reader.all<ResourceSql>(
      `SELECT eid, record, version, updated_at FROM resources WHERE eid = ? AND kind IN (${kinds.map(() => '?').join(',')}) ORDER BY iri`,
      [eid, ...kinds],
    );
    return rows.map(resourceRow);
  }

  public async catalogueIds(eid: string): Promise<{ products: { iri: string; group: boolean }[]; items: string[] }> {
    // Ids only (and the length of a JSON array): no record is parsed, whatever the catalogue's size.
    const rows = await this.db.reader.all<{ iri: string; kind: string; variants: number | null }>(
      `SELECT iri, kind, json_array_length(record, '$.variants') AS variants FROM resources
       WHERE eid = ? AND kind IN ('SuppliedProduct', 'CatalogItem') ORDER BY iri`, [eid]);
    return {
      products: rows.filter((r) => r.kind === 'SuppliedProduct').map((r) => ({ iri: r.iri, group: (r.variants ?? 0) > 0 })),
      items: rows.filter((r) => r.kind === 'CatalogItem').map((r) => r.iri),
    };
  }

  public async apply(eid: string, changes: ChangeSet, options: ApplyOptions = {}): Promise<void> {
    const size = (changes.upsert?.length ?? 0) + (changes.delete?.length ?? 0);
    // A stock write (records replacing what the writer read, nothing else) shares one statement with the stock
    // writes queued beside it; run alone (when that statement fails as a whole), it is the same change set.
    const update = options.onProgress === undefined ? conditionalUpdateOf(eid, changes) : undefined;
    const batch: Batchable<ConditionalUpdate> | undefined = update === undefined ? undefined
      : { runner: sharedUpdate, part: update, keys: update.rows.map((row) => row[0]), oneStatement: true };
    const work = (tx: SqlConnection): Promise<void> => applyChanges(tx, eid, changes, options);
    if (batch === undefined) return this.write(work, { alone: size > LARGE });
    try {
      return await this.write(work, { alone: size > LARGE, batch: batch as Batchable<unknown> });
    } catch (error: unknown) {
      if (!(error instanceof PublishesOwnStock)) throw error;
      return this.write(work, { alone: size > LARGE });
    }
  }

  public async update<T>(eid: string, decide: (reads: ResourceReads) => Promise<Decision<T>>, options: ApplyOptions = {}): Promise<T> {
    return this.write(async (tx) => {
      // The writer connection: it sees what this transaction sees, and no other write runs until it commits.
      const { changes, value } = await decide(resourceReads(tx));
      await applyChanges(tx, eid, changes, options);
      return value;
    });
  }

  public async settings(): Promise<Map<string, string>> {
    // Settings share the meta table under a prefix of their own: no migration, and no clash with base_url.
    const rows = await this.db.reader.all<{ key: string; value: string }>("SELECT key, value FROM meta WHERE key LIKE 'setting:%' ORDER BY key");
    return new Map(rows.map((r) => [r.key.slice('setting:'.length), r.value]));
  }

  public async setSetting(key: string, value: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [`setting:${key}`, value]);
    });
  }

  public async createToken(token: { id: string; hash: string; eid: string | null; scopes: readonly string[]; label?: string }): Promise<TokenRow> {
    return this.db.transaction(async (tx) => {
      await tx.run('INSERT INTO tokens (id, hash, eid, scopes, label, created_at) VALUES (?, ?, ?, ?, ?, ?)', [
        token.id, token.hash, token.eid, token.scopes.join(' '), token.label ?? null, new Date().toISOString(),
      ]);
      return tokenRow((await tx.get<TokenSql>('SELECT * FROM tokens WHERE id = ?', [token.id])) as TokenSql);
    });
  }

  public async findTokenByHash(hash: string): Promise<TokenRow | undefined> {
    const row = await this.tokensByHash.get(hash);
    return row === undefined ? undefined : tokenRow(row);
  }

  public async listTokens(eid?: string): Promise<TokenRow[]> {
    const rows = eid === undefined
      ? await this.db.reader.all<TokenSql>('SELECT * FROM tokens ORDER BY created_at, id')
      : await this.db.reader.all<TokenSql>('SELECT * FROM tokens WHERE eid = ? ORDER BY created_at, id', [eid]);
    return rows.map(tokenRow);
  }

  public async revokeToken(id: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const result = await tx.run('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [new Date().toISOString(), id]);
      return result.changes > 0;
    });
  }

  public async health(): Promise<StoreHealth> {
    const gone = this.db.fileProblem();
    if (gone !== undefined) return { ok: false, reason: gone };
    try {
      await this.db.reader.get("SELECT value FROM meta WHERE key = 'base_url'");
      return { ok: true };
    } catch (error: unknown) {
      return { ok: false, reason: `the database cannot be read (${error instanceof Error ? error.message : String(error)})` };
    }
  }

  public close(): Promise<void> {
    return this.db.close();
  }

  /** A write transaction of the catalogue, whose engine errors leave as the port's own. */
  private async write<T>(work: (tx: SqlConnection) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    try {
      return await this.db.transaction(work, options);
    } catch (error: unknown) {
      throw storeErrorOf(error);
    }
  }
}

/**
 * A new enterprise that takes the id of a removed one continues its versions: they key the render cache and
 * ETags, and a body or an ETag of the removed enterprise must never pass for the new one's.
 */
async function continueVersions(tx: SqlConnection, eid: string): Promise<void> {
  await tx.run(`UPDATE enterprises SET version = enterprises.version + v.last, profile_version = enterprises.profile_version + v.last_profile
    FROM (SELECT json_extract(value, '$.version') AS last, json_extract(value, '$.profile') AS last_profile FROM meta WHERE key = ?) AS v
    WHERE enterprises.eid = ?`, [`removed-enterprise:${eid}`, eid]);
}

/** Applies a change set inside the caller's transaction (see {@link NodeStore.apply}). */
async function applyChanges(tx: SqlConnection, eid: string, changes: ChangeSet, options: ApplyOptions): Promise<void> {
  const now = new Date().toISOString();
  if (changes.create !== undefined) {
    // A taken id or IRI breaks a constraint: the port's AlreadyExistsError, and nothing of the change set stays.
    await tx.run('INSERT INTO enterprises (eid, iri, name, private, version, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)', [
      eid, changes.create.iri, changes.enterprise?.name ?? eid, changes.create.private === true ? 1 : 0, now, now,
    ]);
    await continueVersions(tx, eid);
  }
  // The version moves by triggers with every change; an explicit statement is needed only to check it
  // (If-Match) or to change the enterprise row itself. A stock write holds the lock for its own updates only.
  const { expectedVersion = null, expectedProfileVersion = null } = changes;
  if (changes.create === undefined && (expectedVersion !== null || expectedProfileVersion !== null || changes.enterprise !== undefined)) {
    const updated = await tx.get<EnterpriseSql>(
      `UPDATE enterprises SET name = COALESCE(?, name), private = COALESCE(?, private), version = version + 1, updated_at = ?
       WHERE eid = ? AND (? IS NULL OR version = ?) AND (? IS NULL OR profile_version = ?) RETURNING *`,
      [changes.enterprise?.name ?? null, changes.enterprise?.private === undefined ? null : changes.enterprise.private ? 1 : 0, now, eid,
        expectedVersion, expectedVersion, expectedProfileVersion, expectedProfileVersion],
    );
    if (updated === undefined) {
      const current = await tx.get<{ version: number; profile_version: number }>('SELECT version, profile_version FROM enterprises WHERE eid = ?', [eid]);
      if (current === undefined) throw new OwnershipError(eid, '(none: no such enterprise)');
      throw new VersionConflictError(expectedVersion !== null && current.version !== expectedVersion ? current.version : current.profile_version);
    }
  }
  const { conditional, checks } = expectationsOf(changes);
  if (checks.size > 0) await checkExpectations(tx, checks);
  if (changes.refuseListed === true) await refuseListed(tx, [...(changes.upsert ?? []).map((r) => r.id as string), ...(changes.delete ?? [])]);
  await upsertRecords(tx, eid, changes.upsert ?? [], now, options.onProgress, conditional);
  const deletions = changes.delete ?? [];
  if (deletions.length > 0) await refuseOrdered(tx, eid, deletions, now);
  for (let i = 0; i < deletions.length; i += CHUNK) {
    const chunk = deletions.slice(i, i + CHUNK);
    await tx.run(`DELETE FROM resources WHERE eid = ? AND iri IN (${chunk.map(() => '?').join(',')})`, [eid, ...chunk]);
  }
  // The ledgers the triggers just moved (an offer's own stock written, its item's restocked or deleted): what the
  // offers with a stock of their own publish follows, in this transaction.
  await publishOwnOffers(tx, [...stockIris(changes.upsert ?? []), ...deletions]);
}

/** The offers and catalog items among records: those whose writes may move an offer's published stock. */
function stockIris(records: readonly DfcRecord[]): string[] {
  return records.filter((r) => r.kind === 'Offer' || r.kind === 'CatalogItem').map((r) => r.id);
}

/**
 * The failure of a stock write left out of the statement shared with others ({@link UPDATE_CONDITIONALLY}) because
 * an offer's published stock would have to follow it, which that one statement cannot do: it is run alone, by
 * {@link applyChanges}, which does it ({@link SqliteStore.apply}).
 */
class PublishesOwnStock extends Error {}

/**
 * How a change set's expectations are checked: a record that replaces one the writer read is written
 * conditionally, in the same statement (the hot path of stock writes: no extra round trip), keyed by `@id` with
 * the JSON read; the other expectations are checked by a read.
 */
function expectationsOf(changes: ChangeSet): { conditional: Map<string, string>; checks: Map<string, DfcRecord | null>; writing: Map<string, string> } {
  const conditional = new Map<string, string>();
  const checks = new Map<string, DfcRecord | null>();
  const writing = new Map<string, string>();
  const kinds = new Map<string, string>();
  for (const record of changes.upsert ?? []) {
    writing.set(record.id, JSON.stringify(record));
    kinds.set(record.id, record.kind);
  }
  for (const [iri, expected] of changes.expect ?? []) {
    const before = expected === null ? null : storedJson(expected);
    // Of the same kind only: the conditional statement leaves the kind column as it is (see UPDATE_CONDITIONALLY).
    if (before !== null && writing.has(iri) && writing.get(iri) !== before && kinds.get(iri) === expected?.kind) conditional.set(iri, before);
    else checks.set(iri, expected);
  }
  return { conditional, checks, writing };
}

/**
 * A change set that only replaces records as the writer read them, as one part of {@link updateConditionally};
 * undefined for any other (it then runs its own statements).
 */
function conditionalUpdateOf(eid: string, changes: ChangeSet): ConditionalUpdate | undefined {
  const records = changes.upsert ?? [];
  if (changes.create !== undefined || changes.enterprise !== undefined || changes.expectedVersion !== undefined
    || changes.expectedProfileVersion !== undefined || (changes.delete?.length ?? 0) > 0) return undefined;
  if (records.length === 0 || records.length > CONDITIONAL_ROWS || new Set(records.map((r) => r.id)).size !== records.length) return undefined;
  // Cheap checks first: an expectation for each record written, as read (not "must not exist"), and no other.
  const expect = changes.expect;
  if (expect === undefined || expect.size !== records.length || !records.every((r) => (expect.get(r.id) ?? null) !== null)) return undefined;
  const { conditional, checks, writing } = expectationsOf(changes);
  if (checks.size > 0 || !records.every((r) => conditional.has(r.id))) return undefined;
  return { ...conditionalRows(eid, records, conditional, writing), refuseListed: changes.refuseListed === true };
}

/** The rows of a {@link ConditionalUpdate}. */
function conditionalRows(
  eid: string, records: readonly DfcRecord[], conditional: ReadonlyMap<string, string>, written: ReadonlyMap<string, string> = new Map(),
): ConditionalUpdate {
  // The items written, with their stock: an offer written with its item at the same stock mirrors it (the stock
  // writes set the offers mirroring an item so), and takes no stock of its own by that write.
  const items = new Map(records.flatMap((r) => (r.kind === 'CatalogItem' ? [[r.id, r.stock] as const] : [])));
  return {
    eid,
    refuseListed: false,
    rows: records.map((record) => {
      const json = written.get(record.id) ?? JSON.stringify(record);
      const version = versionOfJson(json);
      rememberVersion(record, version);
      // Last, the item of an offer written without its item at the same stock (see PUBLISHING), else null.
      const alone = record.kind === 'Offer' && record.item !== undefined && !(items.has(record.item) && items.get(record.item) === record.stock);
      return [record.id, conditional.get(record.id) as string, record.kind, json, version, ...indexColumns(record), alone ? record.item as string : null] as const;
    }),
  };
}

/** A row of {@link WITH_OFFERS}: a resource asked for (`offer` 0), or an offer it names (1), under the IRI asked (`key`). */
type WithOffersSql = ResourceSql & { key: string; iri: string; offer: number };

/**
 * Resources by IRI and the offers each names (its record's `offers`), in one statement for several IRIs: the rows
 * of each under the IRI asked (`key`). Its parameters are the IRIs, once (`marks` numbered, see {@link numbered}).
 */
const WITH_OFFERS = (marks: string): string => `
  SELECT r.iri AS key, 0 AS offer, r.iri, r.eid, r.record, r.version, r.updated_at, ${OWN_STOCK('r')} FROM resources AS r WHERE r.iri IN (${marks})
  UNION ALL
  SELECT i.iri, 1, r.iri, r.eid, r.record, r.version, r.updated_at, ${OWN_STOCK('r')}
  FROM resources AS i CROSS JOIN json_each(i.record, '$.offers') AS o CROSS JOIN resources AS r
  WHERE i.iri IN (${marks}) AND r.iri = o.value`;

/** A resource and its offers from its rows of {@link WITH_OFFERS}; undefined when it does not exist. */
function withOffersOf(rows: readonly WithOffersSql[]): { resource: StoredResource; offers: StoredResource[] } | undefined {
  // Told apart by the flag, not by their order (SQL does not promise a UNION ALL's order without ORDER BY).
  const resource = rows.find((row) => row.offer === 0);
  if (resource === undefined) return undefined;
  // Each offer once, as `getResources` reads them, however many times the record names it.
  const seen = new Set<string>();
  const offers: StoredResource[] = [];
  for (const row of rows) {
    if (row.offer === 0 || seen.has(row.iri)) continue;
    seen.add(row.iri);
    offers.push(readRow(row));
  }
  return { resource: readRow(resource), offers };
}

/** Reads of resources on one connection: the reader's, or the writer's inside its transaction. */
function resourceReads(connection: SqlConnection): ResourceReads {
  return {
    getResource: async (iri) => {
      const row = await connection.get<ResourceSql>('SELECT eid, record, version, updated_at FROM resources WHERE iri = ?', [iri]);
      return row === undefined ? undefined : readRow(row);
    },
    getResources: async (iris) => {
      const found: StoredResource[] = [];
      for (let i = 0; i < iris.length; i += CHUNK) {
        const chunk = iris.slice(i, i + CHUNK);
        const rows = await connection.all<ResourceSql>(
          `SELECT eid, record, version, updated_at, ${OWN_STOCK('resources')} FROM resources WHERE iri IN (${chunk.map(() => '?').join(',')})`, chunk as string[]);
        found.push(...rows.map(readRow));
      }
      return found;
    },
    getResourceWithOffers: async (iri) => {
      // The resource first, then the offers it names (each once, as `getResources` reads them), in one statement.
      const rows = await connection.all<ResourceSql & { offer: number }>(
        `SELECT 0 AS offer, eid, record, version, updated_at, ${OWN_STOCK('resources')} FROM resources WHERE iri = ?1
         UNION ALL
         SELECT 1, eid, record, version, updated_at, ${OWN_STOCK('resources')} FROM resources
         WHERE iri IN (SELECT o.value FROM resources AS i, json_each(i.record, '$.offers') AS o WHERE i.iri = ?1)`, [iri]);
      // Told apart by the flag, not by their order (SQL does not promise a UNION ALL's order without ORDER BY).
      const resource = rows.find((row) => row.offer === 0);
      if (resource === undefined) return undefined;
      return { resource: readRow(resource), offers: rows.filter((row) => row.offer !== 0).map(readRow) };
    },
  };
}

async function upsertRecords(
  tx: SqlConnection, eid: string, records: readonly DfcRecord[], now: string, onProgress?: (done: number, total: number) => void,
  conditional: ReadonlyMap<string, string> = new Map(),
): Promise<void> {
  // The hot path of stock writes: every record replaces one the writer read (an item and the offers mirroring it).
  // One statement for them all, not one each: statements on the writer run one at a time, each a round trip.
  if (records.length > 1 && records.length <= CONDITIONAL_ROWS && records.every((r) => conditional.has(r.id))
    && new Set(records.map((r) => r.id)).size === records.length) {
    const [outcome] = await updateConditionally(tx, [conditionalRows(eid, records, conditional)], now);
    if (outcome !== undefined && 'error' in outcome) throw outcome.error;
    onProgress?.(records.length, records.length);
    return;
  }
  let done = 0;
  for (const record of records) {
    if (onProgress !== undefined && done++ % 100 === 0) onProgress(done - 1, records.length);
    const before = conditional.get(record.id);
    const json = JSON.stringify(record);
    if (before !== undefined) {
      // The kind is the one read (see expectationsOf): not set, so that no index entry is rewritten (UPDATE_CONDITIONALLY).
      const updated = await tx.run(
        `UPDATE resources SET record = ?, version = ?, name = ?, product_type = ?, stock = ?, price = ?, currency = ?, latitude = ?,
           longitude = ?, updated_at = ? WHERE iri = ? AND eid = ? AND record = ?`,
        [json, versionOfJson(json), ...indexColumns(record), now, record.id, eid, before],
      );
      if (updated.changes === 0) throw new ConcurrentChangeError(record.id);
      continue;
    }
    // One statement per record: the update only happens when the row belongs to this enterprise, so an
    // enterprise never overwrites another's resource, whatever `@id` its document names.
    const result = await tx.run(
      `INSERT INTO resources (iri, eid, kind, record, version, name, product_type, stock, price, currency, latitude, longitude, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (iri) DO UPDATE SET kind = excluded.kind, record = excluded.record, version = excluded.version, name = excluded.name,
         product_type = excluded.product_type, stock = excluded.stock, price = excluded.price, currency = excluded.currency,
         latitude = excluded.latitude, longitude = excluded.longitude, updated_at = excluded.updated_at
       WHERE resources.eid = excluded.eid AND resources.record IS NOT excluded.record`,
      [record.id, eid, record.kind, json, versionOfJson(json), ...indexColumns(record), now, now],
    );
    // No change: either the record is the same (nothing to write, no feed event) or another enterprise owns it.
    if (result.changes === 0) {
      const owner = await tx.get<{ eid: string }>('SELECT eid FROM resources WHERE iri = ?', [record.id]);
      if (owner?.eid !== eid) throw new OwnershipError(record.id, owner?.eid ?? '(unknown)');
    }
  }
  onProgress?.(records.length, records.length);
}

/** Most records one change set writes by {@link updateConditionally}. */
const CONDITIONAL_ROWS = 50;

/**
 * Records of one enterprise to replace, each only where it is still stored as the writer read it, all or none:
 * rows of `[iri, JSON read, kind, JSON written, version, ...indexColumns]`.
 */
interface ConditionalUpdate {
  readonly eid: string;
  /** Leave the change set out when a listing publishes one of its records ({@link ChangeSet.refuseListed}). */
  readonly refuseListed: boolean;
  readonly rows: readonly (readonly [string, string, ...SqlValue[]])[];
}

/**
 * Whether a row `w` of {@link UPDATE_CONDITIONALLY} moves what an offer with a stock of its own publishes (the
 * smaller of its own and its item's, `OWN_OFFER_PUBLISHED`), which a second statement then writes: it is such an
 * offer, or the item of one (its ledger restocked by the write), or an offer written with more than its item has
 * left, and not with that item at the same stock (as the stock writes set the offers mirroring an item), which may
 * take a stock of its own by its trigger, or such an offer whose item the statement writes too (in its change set at
 * another stock, or in another's queued beside it: the item's ledger it is compared with is the one before the
 * statement, and the item's new stock may be below the offer's). The stock writes of other items and offers, nearly all, are not. The
 * ledgers of offers are looked up only when one offer at least has a stock of its own (an uncorrelated subquery,
 * evaluated once): two index probes a row cost a stock write about 7 % more CPU on a node where none has.
 */
const PUBLISHING = (w: string): string => `(${w}.item IS NOT NULL AND (${w}.stock > (SELECT s.available FROM stock AS s WHERE s.item_iri = ${w}.item AND s.on_demand = 0)
    OR EXISTS (SELECT 1 FROM v AS x WHERE x.iri = ${w}.item)))
  OR ((SELECT 1 FROM offer_stock WHERE own = 1 LIMIT 1) IS NOT NULL
    AND (EXISTS (SELECT 1 FROM offer_stock AS os WHERE os.offer_iri = ${w}.iri AND os.own = 1)
      OR EXISTS (SELECT 1 FROM offer_stock AS os WHERE os.item_iri = ${w}.iri AND os.own = 1)))`;

/**
 * The statement of {@link updateConditionally}. The rows come as one JSON parameter (`[unit, eid, iri, before,
 * kind, record, version, name, product_type, stock, price, currency, latitude, longitude, item, refuse_listed, parent]`
 * each; `item` is the item of an offer written without it at the same stock, else null), so the SQL is the same
 * whatever their number, and stays prepared. A unit with a row no longer as read
 * (changed, gone, or another enterprise's), or, when it refuses them, with a row a listing publishes (as its item,
 * offer or product, or under its product: `parent`, the IRI without its last segment, as `listingsPublishing`
 * looks), is left out whole: SQLite evaluates the subquery before the first row changes (a statement reads the
 * tables as they were when it began), and the units share no row. A row of a unit that refuses them is looked up
 * in the listings' indexes of item, offer and product (six seeks at most: its IRI and its parent in each), never by
 * reading the listings: a shop may list thousands of items, and each stock write would read them all. The kind is
 * not set: each row keeps the kind it was read with ({@link expectationsOf} leaves a change of kind to the other
 * statements), and a column set is an index entry rewritten (`resources_by_enterprise`), whatever its value: a page
 * more in the log, and in the file, for each record a stock write replaces (9 % of the bytes a stock write writes).
 */
const UPDATE_CONDITIONALLY = `
  WITH v (unit, eid, iri, before, kind, record, version, name, product_type, stock, price, currency, latitude, longitude, item, refuse_listed, parent)
  AS MATERIALIZED (
    SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 8,
      value ->> 9, value ->> 10, value ->> 11, value ->> 12, value ->> 13, value ->> 14, value ->> 15, value ->> 16
    FROM json_each(?))
  UPDATE resources SET record = v.record, version = v.version, name = v.name, product_type = v.product_type,
    stock = v.stock, price = v.price, currency = v.currency, latitude = v.latitude, longitude = v.longitude, updated_at = ?
  FROM v WHERE resources.iri = v.iri AND resources.eid = v.eid AND resources.record = v.before
    AND v.unit NOT IN (SELECT w.unit FROM v AS w
      WHERE NOT EXISTS (SELECT 1 FROM resources AS r WHERE r.iri = w.iri AND r.eid = w.eid AND r.record = w.before)
        OR (w.refuse_listed = 1 AND EXISTS (SELECT 1 FROM listings AS l
          WHERE l.item_iri IN (w.iri, w.parent) OR l.offer_iri IN (w.iri, w.parent) OR l.product_iri IN (w.iri, w.parent)))
        OR (?3 = 1 AND (${PUBLISHING('w')})))
  RETURNING resources.iri AS iri`;

/**
 * Refuses, in the transaction that deletes them, to delete catalog items or offers that a line of one of the
 * enterprise's open orders names. Read from the open orders (few, through their partial index), not from the lines.
 * A held order past its expiry is not open (the sweep closes it), as for a listing's removal (`openOrdersOfListing`).
 *
 * @param now - the time the expiries are compared with (ISO)
 * @throws OrderedRecordError naming the first such record and its order
 */
async function refuseOrdered(tx: SqlConnection, eid: string, iris: readonly string[], now: string): Promise<void> {
  for (let i = 0; i < iris.length; i += CHUNK) {
    const chunk = iris.slice(i, i + CHUNK);
    const marks = chunk.map(() => '?').join(',');
    const line = await tx.get<{ order_iri: string; status: string; item_iri: string; offer_iri: string }>(
      `SELECT o.iri AS order_iri, o.status, l.item_iri, l.offer_iri FROM orders o JOIN order_lines l ON l.order_iri = o.iri
       WHERE o.status IN ('Pending', 'Held') AND (o.status = 'Pending' OR o.expires_at IS NULL OR o.expires_at > ?) AND o.eid = ?
         AND (l.item_iri IN (${marks}) OR l.offer_iri IN (${marks})) LIMIT 1`,
      [now, eid, ...chunk, ...chunk]);
    if (line !== undefined) {
      throw new OrderedRecordError(chunk.includes(line.offer_iri) ? line.offer_iri : line.item_iri, line.order_iri, line.status);
    }
  }
}

/** The IRI a record may be under (its IRI without the last segment): a record under a listing's product is the listing's. */
function parentOf(iri: string): string {
  return iri.replace(/\/[^/]*$/u, '');
}

/**
 * Refuses, inside the write's transaction, to write or delete records a listing publishes: as
 * `OrderStore.listingsPublishing` finds them (the listing's item, offer or product, or a record under its product).
 *
 * @throws ListedRecordError naming the first of `iris` a listing publishes
 */
async function refuseListed(tx: SqlConnection, iris: readonly string[]): Promise<void> {
  const candidates = [...new Set(iris.flatMap((iri) => [iri, parentOf(iri)]))];
  const published = new Set<string>();
  for (let i = 0; i < candidates.length; i += CHUNK) {
    const chunk = candidates.slice(i, i + CHUNK);
    const marks = chunk.map(() => '?').join(',');
    const rows = await tx.all<{ item_iri: string; offer_iri: string; product_iri: string }>(
      `SELECT item_iri, offer_iri, product_iri FROM listings WHERE item_iri IN (${marks}) OR offer_iri IN (${marks}) OR product_iri IN (${marks})`,
      [...chunk, ...chunk, ...chunk]);
    for (const row of rows) for (const iri of [row.item_iri, row.offer_iri, row.product_iri]) published.add(iri);
  }
  const listed = iris.find((iri) => published.has(iri) || published.has(parentOf(iri)));
  if (listed !== undefined) throw new ListedRecordError(listed);
}

/**
 * Replaces the records of several change sets in one statement ({@link BatchRunner}): each change set all or
 * nothing, where every record it replaces is still stored as its writer read it. Change sets that share no
 * record (the database batches only those).
 *
 * @param shared - the statement shared by stock writes ({@link SqliteStore.apply}), which leaves out the change sets
 *   that move an offer's published stock ({@link PUBLISHING}); not inside {@link applyChanges}, which publishes it
 * @returns per change set, nothing, or (the change set then wrote nothing) a {@link ConcurrentChangeError} naming a
 *   record that changed meanwhile, a {@link ListedRecordError} when it refuses listed records and a listing
 *   publishes one, or (shared) a {@link PublishesOwnStock} for one to run alone
 */
async function updateConditionally(
  tx: SqlConnection, updates: readonly ConditionalUpdate[], now = new Date().toISOString(), shared = false,
): Promise<BatchOutcome[]> {
  const rows = updates.flatMap((update, unit) => update.rows.map((row) => [unit, update.eid, ...row, update.refuseListed ? 1 : 0, parentOf(row[0])]));
  const applied = new Set((await tx.all<{ iri: string }>(UPDATE_CONDITIONALLY, [JSON.stringify(rows), now, shared ? 1 : 0])).map((r) => r.iri));
  const refused = updates.filter((update) => !applied.has(update.rows[0]?.[0] as string));
  if (refused.length === 0) return updates.map(() => ({ value: undefined }));
  // Which record of each refused one: the first that is no longer as read (for the error's message), else (all as
  // read) a listing publishes one. Never a throw from here on: the statement wrote the others, and a runner that
  // throws must have written nothing.
  const stored = new Map<string, { eid: string; record: string }>();
  try {
    const iris = refused.flatMap((update) => update.rows.map((row) => row[0]));
    for (let i = 0; i < iris.length; i += CHUNK) {
      const chunk = iris.slice(i, i + CHUNK);
      const found = await tx.all<{ iri: string; eid: string; record: string }>(
        `SELECT iri, eid, record FROM resources WHERE iri IN (${chunk.map(() => '?').join(',')})`, chunk);
      for (const row of found) stored.set(row.iri, row);
    }
  } catch {
    // Unnamed: the first record of each then stands for it (whether any changed is known from the statement).
    stored.clear();
  }
  const outcomes: BatchOutcome[] = [];
  for (const update of updates) {
    if (!refused.includes(update)) {
      outcomes.push({ value: undefined });
      continue;
    }
    const changed = stored.size > 0 ? update.rows.find(([iri, before]) => stored.get(iri)?.eid !== update.eid || stored.get(iri)?.record !== before) : undefined;
    // Unnamed (a read failed): a concurrent change, done again from a fresh read, which meets the listing if there is one.
    // All as read and none listed: left out of the shared statement for an offer's published stock, to run alone.
    const fallback = shared ? new PublishesOwnStock() : new ConcurrentChangeError(update.rows[0]?.[0] as string);
    outcomes.push({ error: changed === undefined && stored.size > 0
      ? (update.refuseListed ? await listedAmong(tx, update.rows.map((row) => row[0])) : undefined) ?? fallback
      : new ConcurrentChangeError((changed ?? update.rows[0])?.[0] as string) });
  }
  return outcomes;
}

/** The {@link ListedRecordError} of the first of `iris` a listing publishes; undefined for none, or when the read fails. */
async function listedAmong(tx: SqlConnection, iris: readonly string[]): Promise<ListedRecordError | undefined> {
  try {
    await refuseListed(tx, iris);
  } catch (error: unknown) {
    if (error instanceof ListedRecordError) return error;
  }
  return undefined;
}

/** {@link updateConditionally} as the runner of stock writes (one function: runners batch together when they are the same). */
const sharedUpdate: BatchRunner<ConditionalUpdate> = (tx, updates) => updateConditionally(tx, updates, undefined, true);

/** Checks, inside the write transaction, that what the writer read is still what is stored. */
async function checkExpectations(tx: SqlConnection, expect: ReadonlyMap<string, DfcRecord | null>): Promise<void> {
  const iris = [...expect.keys()];
  const stored = new Map<string, string>();
  for (let i = 0; i < iris.length; i += CHUNK) {
    const chunk = iris.slice(i, i + CHUNK);
    const rows = await tx.all<{ iri: string; record: string }>(`SELECT iri, record FROM resources WHERE iri IN (${chunk.map(() => '?').join(',')})`, chunk);
    for (const row of rows) stored.set(row.iri, row.record);
  }
  for (const [iri, expected] of expect) {
    const now = stored.get(iri);
    if (expected === null ? now !== undefined : now !== storedJson(expected)) throw new ConcurrentChangeError(iri);
  }
}

/** Moves every stored `@id` from one base URL to another (the operator changed `--base-url`). */
async function rebase(tx: SqlConnection, from: string, to: string): Promise<void> {
  // Only whole IRIs are rewritten: JSON strings equal to the old base or starting with it and a '/', and
  // columns under it (http://host:3000 must not touch http://host:30001).
  const prefix = `${from}/`;
  const toPrefix = `${to}/`;
  for (const [a, b] of [[JSON.stringify(prefix).slice(0, -1), JSON.stringify(toPrefix).slice(0, -1)], [JSON.stringify(from), JSON.stringify(to)]]) {
    // The records change: their versions are computed again from them when read.
    await tx.run('UPDATE resources SET record = replace(record, ?, ?), version = NULL', [a as string, b as string]);
    await tx.run('UPDATE feed_events SET record = replace(record, ?, ?) WHERE record IS NOT NULL', [a as string, b as string]);
  }
  await tx.run('UPDATE resources SET iri = ? || substr(iri, length(?) + 1) WHERE substr(iri, 1, length(?)) = ?', [toPrefix, prefix, prefix, prefix]);
  await tx.run('UPDATE enterprises SET iri = ? || substr(iri, length(?) + 1), version = version + 1, profile_version = profile_version + 1 WHERE substr(iri, 1, length(?)) = ?', [toPrefix, prefix, prefix, prefix]);
  await tx.run('UPDATE feed_events SET iri = ? || substr(iri, length(?) + 1) WHERE substr(iri, 1, length(?)) = ?', [toPrefix, prefix, prefix, prefix]);
  // The ledgers, orders and listings name the same resources.
  const moved = (column: string) => `${column} = CASE WHEN substr(${column}, 1, length(?1)) = ?1 THEN ?2 || substr(${column}, length(?1) + 1) ELSE ${column} END`;
  await tx.run(`UPDATE stock SET ${moved('item_iri')}`, [prefix, toPrefix]);
  await tx.run(`UPDATE offer_stock SET ${moved('offer_iri')}, ${moved('item_iri')}`, [prefix, toPrefix]);
  await tx.run(`UPDATE orders SET ${moved('iri')}, ${moved('ordered_by')}`, [prefix, toPrefix]);
  await tx.run(`UPDATE order_lines SET ${moved('offer_iri')}, ${moved('item_iri')}, ${moved('product_iri')}`, [prefix, toPrefix]);
  await tx.run(`UPDATE listings SET ${moved('item_iri')}, ${moved('offer_iri')}, ${moved('product_iri')}`, [prefix, toPrefix]);
  await tx.run(`UPDATE retired_listing_iris SET ${moved('iri')}`, [prefix, toPrefix]);
  await tx.run("UPDATE meta SET value = ? WHERE key = 'base_url'", [to]);
}

/**
 * The node settings stored in a database, read without opening the node (no migration, no write): for commands
 * that do not otherwise need the database, such as `maillon context add`.
 *
 * @param path - the database file; none yet means no setting
 */
export async function storedSettings(path: string): Promise<Map<string, string>> {
  if (path === ':memory:' || !existsSync(path)) return new Map();
  return withReadOnly(path, async (connection) => {
    const table = await connection.get<{ n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'meta'");
    if ((table?.n ?? 0) === 0) return new Map<string, string>();
    const rows = await connection.all<{ key: string; value: string }>("SELECT key, value FROM meta WHERE key LIKE 'setting:%'");
    return new Map(rows.map((r) => [r.key.slice('setting:'.length), r.value]));
  });
}
