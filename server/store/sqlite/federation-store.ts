/**
 * The SQLite implementation of {@link FederationStore}.
 *
 * A snapshot is applied in one transaction with multi-row statements (a 1,000-offer peer is a few dozen
 * statements, not thousands), and the peer's rows of the federated index are rebuilt in the same
 * transaction, so a reader never sees a half-applied peer.
 *
 * @packageDocumentation
 */
import type { DfcRecord } from '../../../ontology/records.js';
import type { Problem } from '../../errors/problem.js';
import { entriesOf, type FederatedEntry } from '../federated-entries.js';
import type {
  FederatedMatch, FederatedQuery, FederatedRow, FederationStore, HeldResource, NewPeer, PeerRow, QuarantinedRecord, SnapshotWrite, SourceValidators, SyncSummary,
} from '../federation.js';
import type { SqlConnection, SqliteDatabase, SqlValue } from './database.js';

interface PeerSql {
  id: number; name: string; url: string; origin: string; token: string | null; token_header: string; profile: string; interval_s: number;
  created_at: string; status: string; last_attempt_at: string | null; last_success_at: string | null; next_attempt_at: string | null;
  failures: number; last_error: string | null; last_summary: string | null;
}

interface EntrySql {
  source: string; item_iri: string; product_iri: string; product_key: string; offer_iri: string | null; enterprise_iri: string | null;
  peer_id: number | null; name: string | null; search: string; product_type: string | null; stock: number | null; in_stock: number;
  price: number | null; currency: string | null; latitude: number | null; longitude: number | null; postcode: string | null;
}

function peerRow(row: PeerSql): PeerRow {
  return {
    id: row.id, name: row.name, url: row.url, origin: row.origin, token: row.token,
    tokenHeader: row.token_header === 'x-api-token' ? 'x-api-token' : 'authorization',
    profile: row.profile === 'dfc-v2' ? 'dfc-v2' : 'dfc-v1', intervalSeconds: row.interval_s, createdAt: row.created_at,
    status: row.status, lastAttemptAt: row.last_attempt_at, lastSuccessAt: row.last_success_at, nextAttemptAt: row.next_attempt_at,
    failures: row.failures, lastError: row.last_error, lastSummary: row.last_summary === null ? null : (JSON.parse(row.last_summary) as SyncSummary),
  };
}

function entryRow(row: EntrySql): FederatedRow {
  return {
    source: row.source, peerId: row.peer_id, itemIri: row.item_iri, productIri: row.product_iri, productKey: row.product_key,
    offerIri: row.offer_iri, enterpriseIri: row.enterprise_iri, name: row.name, search: row.search, productType: row.product_type, sameAs: [],
    stock: row.stock, inStock: row.in_stock === 1, price: row.price, currency: row.currency, latitude: row.latitude,
    longitude: row.longitude, postcode: row.postcode,
  };
}

/** Runs one multi-row INSERT per chunk of rows. */
async function insertMany(tx: SqlConnection, head: string, columns: number, rows: readonly SqlValue[][], tail = ''): Promise<void> {
  // SQLite allows 32,766 bound parameters per statement: stay well below it.
  const perStatement = Math.max(1, Math.floor(30000 / columns));
  const placeholder = `(${new Array<string>(columns).fill('?').join(',')})`;
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement);
    await tx.run(`${head} VALUES ${chunk.map(() => placeholder).join(',')} ${tail}`, chunk.flat());
  }
}

async function inChunks(iris: readonly string[], work: (chunk: string[], marks: string) => Promise<void>): Promise<void> {
  for (let i = 0; i < iris.length; i += 500) {
    const chunk = iris.slice(i, i + 500);
    await work(chunk, chunk.map(() => '?').join(','));
  }
}

const ENTRY_COLUMNS = 19;

function entryValues(source: string, peerId: number | null, rank: number, e: FederatedEntry): SqlValue[] {
  return [
    source, e.itemIri, e.productIri, e.productKey, e.offerIri, e.enterpriseIri, peerId, rank, 0, e.name, e.search, e.productType,
    e.stock, e.inStock ? 1 : 0, e.price, e.currency, e.latitude, e.longitude, e.postcode,
  ];
}

const INSERT_ENTRIES = `INSERT INTO federated_entries (source, item_iri, product_iri, product_key, offer_iri, enterprise_iri, peer_id, rank,
  winner, name, search, product_type, stock, in_stock, price, currency, latitude, longitude, postcode)`;

/** Recomputes which source wins each product key: our node, then authoritative peers, then relays. */
async function electWinners(tx: SqlConnection, keys: readonly string[]): Promise<void> {
  await inChunks(keys, async (chunk, marks) => {
    await tx.run(
      `UPDATE federated_entries SET winner = (source = (
         SELECT f2.source FROM federated_entries f2 WHERE f2.product_key = federated_entries.product_key
         ORDER BY f2.rank, (f2.product_iri = f2.product_key) DESC, f2.source LIMIT 1))
       WHERE product_key IN (${marks})`,
      chunk,
    );
  });
}

/** One row to index: an entry with its rank and whether its source withdrew it. */
interface IndexRow {
  readonly entry: FederatedEntry;
  readonly rank: number;
  readonly withdrawn: boolean;
}

/**
 * Replaces a source's rows of the index, gives them (and the copies elsewhere that point at them through
 * `owl:sameAs`) their identity keys, and re-elects the winner of every key touched.
 */
async function indexSource(
  tx: SqlConnection, source: string, peerId: number | null, rows: readonly IndexRow[], scope?: readonly string[],
): Promise<void> {
  // With a scope, only those items' rows are replaced (a small change to a big peer); without, all of them.
  const inScope = scope === undefined ? '' : ` AND item_iri IN (${scope.map(() => '?').join(',')})`;
  const scoped = (params: SqlValue[]): SqlValue[] => (scope === undefined ? params : [...params, ...scope]);
  const touched = new Set((await tx.all<{ product_key: string }>(
    `SELECT DISTINCT product_key FROM federated_entries WHERE source = ?${inScope}`, scoped([source]))).map((r) => r.product_key));
  await tx.run(`DELETE FROM federated_entries WHERE source = ?${inScope}`, scoped([source]));
  await tx.run(`DELETE FROM entry_same_as WHERE source = ?${inScope}`, scoped([source]));
  await insertMany(tx, INSERT_ENTRIES_WITHDRAWN, ENTRY_COLUMNS + 1,
    rows.map((r) => [...entryValues(source, peerId, r.rank, r.entry), r.withdrawn ? 1 : 0]), 'ON CONFLICT (source, item_iri) DO NOTHING');
  const sameAs = rows.flatMap((r) => r.entry.sameAs.map((target) => [source, r.entry.itemIri, target] as SqlValue[]));
  if (sameAs.length > 0) {
    await insertMany(tx, 'INSERT INTO entry_same_as (source, item_iri, target)', 3, sameAs, 'ON CONFLICT DO NOTHING');
    // A copy takes the key of a product it is the same as that the index knows, or else the key of another
    // source's copy of the same original (two imports of one file are one product).
    await tx.run(
      `UPDATE federated_entries SET product_key = COALESCE((
         SELECT n.product_key FROM entry_same_as s JOIN federated_entries n ON n.product_iri = s.target
         WHERE s.source = federated_entries.source AND s.item_iri = federated_entries.item_iri AND n.source <> federated_entries.source
         LIMIT 1), (
         SELECT n.product_key FROM entry_same_as s JOIN entry_same_as s2 ON s2.target = s.target AND s2.source <> s.source
           JOIN federated_entries n ON n.source = s2.source AND n.item_iri = s2.item_iri
         WHERE s.source = federated_entries.source AND s.item_iri = federated_entries.item_iri
         LIMIT 1), product_iri)
       WHERE source = ? AND item_iri IN (SELECT item_iri FROM entry_same_as WHERE source = ?)${inScope}`, scoped([source, source]));
  }
  // Copies indexed earlier that point at this source's products join them now.
  const joining = await tx.all<{ product_key: string }>(
    `SELECT DISTINCT f.product_key FROM federated_entries f JOIN entry_same_as s ON s.source = f.source AND s.item_iri = f.item_iri
     JOIN federated_entries n ON n.product_iri = s.target AND n.source = ? WHERE f.source <> ?`, [source, source]);
  if (joining.length > 0) {
    joining.forEach((r) => touched.add(r.product_key));
    await tx.run(
      `UPDATE federated_entries SET product_key = (
         SELECT n.product_key FROM entry_same_as s JOIN federated_entries n ON n.product_iri = s.target AND n.source = ?
         WHERE s.source = federated_entries.source AND s.item_iri = federated_entries.item_iri LIMIT 1)
       WHERE source <> ? AND EXISTS (
         SELECT 1 FROM entry_same_as s JOIN federated_entries n ON n.product_iri = s.target AND n.source = ?
         WHERE s.source = federated_entries.source AND s.item_iri = federated_entries.item_iri)`, [source, source, source]);
  }
  const now = await tx.all<{ product_key: string }>(`SELECT DISTINCT product_key FROM federated_entries WHERE source = ?${inScope}`, scoped([source]));
  now.forEach((r) => touched.add(r.product_key));
  await electWinners(tx, [...touched]);
}

/** The catalog items of a peer whose index rows a change touches, or undefined when it touches too much. */
async function affectedItems(tx: SqlConnection, peerId: number, changed: readonly string[], upsert: readonly DfcRecord[]): Promise<string[] | undefined> {
  if (changed.length > 500) return undefined;
  const source = `peer:${peerId}`;
  const kinds = new Map<string, DfcRecord>();
  for (const record of upsert) kinds.set(record.id, record);
  const missing = changed.filter((iri) => !kinds.has(iri));
  if (missing.length > 0) {
    const rows = await tx.all<{ record: string }>(
      `SELECT record FROM peer_resources WHERE peer_id = ? AND iri IN (${missing.map(() => '?').join(',')})`, [peerId, ...missing]);
    for (const row of rows) {
      const record = JSON.parse(row.record) as DfcRecord;
      kinds.set(record.id, record);
    }
  }
  const items = new Set<string>();
  const products: string[] = [];
  const offers: string[] = [];
  for (const iri of changed) {
    const record = kinds.get(iri);
    if (record === undefined) continue;
    if (record.kind === 'CatalogItem') items.add(iri);
    else if (record.kind === 'Offer') {
      offers.push(iri);
      if (record.item !== undefined) items.add(record.item);
    } else if (record.kind === 'SuppliedProduct') products.push(iri);
    else return undefined; // an enterprise, an address…: its rows are everywhere, rebuild them all
  }
  for (const record of upsert) if (record.kind === 'CatalogItem' && record.product !== undefined && products.includes(record.product)) items.add(record.id);
  if (products.length > 0) {
    for (const row of await tx.all<{ item_iri: string }>(
      `SELECT item_iri FROM federated_entries WHERE source = ? AND product_iri IN (${products.map(() => '?').join(',')})`, [source, ...products])) {
      items.add(row.item_iri);
    }
  }
  if (offers.length > 0) {
    for (const row of await tx.all<{ item_iri: string }>(
      `SELECT item_iri FROM federated_entries WHERE source = ? AND offer_iri IN (${offers.map(() => '?').join(',')})`, [source, ...offers])) {
      items.add(row.item_iri);
    }
  }
  return items.size > 500 ? undefined : [...items];
}

/** Peer records by `@id` (withdrawn ones included), with their authority and withdrawal flags. */
async function peerRecords(tx: SqlConnection, peerId: number, iris: readonly string[]): Promise<{ record: DfcRecord; authoritative: boolean; withdrawn: boolean }[]> {
  const out: { record: DfcRecord; authoritative: boolean; withdrawn: boolean }[] = [];
  await inChunks(iris, async (chunk, marks) => {
    const rows = await tx.all<{ record: string; authoritative: number; withdrawn: number }>(
      `SELECT record, authoritative, withdrawn_at IS NOT NULL AS withdrawn FROM peer_resources WHERE peer_id = ? AND iri IN (${marks})`,
      [peerId, ...chunk]);
    for (const row of rows) out.push({ record: JSON.parse(row.record) as DfcRecord, authoritative: row.authoritative === 1, withdrawn: row.withdrawn === 1 });
  });
  return out;
}

/**
 * Rank of a source: lower wins. Between equal ranks, the source whose product is the key itself (the
 * original, not a copy declared `owl:sameAs` it) wins.
 */
const RANK = { local: 0, authoritative: 1, relayed: 2 } as const;

const INSERT_ENTRIES_WITHDRAWN = `${INSERT_ENTRIES.replace(/postcode\)$/u, 'postcode, withdrawn)')}`;

/** The rank of a peer's entry: the origin speaking of its own resource, or a relay of another origin's. */
function rankOf(authoritative: boolean): number {
  return authoritative ? RANK.authoritative : RANK.relayed;
}

/** The WHERE clause of a federated query, or undefined when it matches nothing. */
function whereOf(query: FederatedQuery): { where: string; params: SqlValue[] } | undefined {
  const where: string[] = ['winner = 1', 'withdrawn = 0'];
  const params: SqlValue[] = [];
  if (query.types !== undefined) {
    if (query.types.length === 0) return undefined;
    where.push(`product_type IN (${query.types.map(() => '?').join(',')})`);
    params.push(...query.types);
  }
  if (query.box !== undefined) {
    where.push('latitude BETWEEN ? AND ? AND longitude BETWEEN ? AND ?');
    params.push(query.box.minLat, query.box.maxLat, query.box.minLon, query.box.maxLon);
  }
  if (query.inStock !== undefined) where.push(query.inStock ? 'in_stock = 1' : 'in_stock = 0');
  if (query.enterprise !== undefined) {
    where.push('enterprise_iri = ?');
    params.push(query.enterprise);
  }
  if (query.source !== undefined) {
    if (query.source === 'local') where.push("source LIKE 'local:%'");
    else {
      where.push('peer_id = ?');
      params.push(Number(query.source));
    }
  }
  for (const word of (query.text ?? '').toLowerCase().split(/\s+/u).filter(Boolean)) {
    where.push("search LIKE ? ESCAPE '\\'");
    params.push(`%${word.replace(/[\\%_]/gu, (c) => `\\${c}`)}%`);
  }
  return { where: where.join(' AND '), params };
}

/** {@link FederationStore} on SQLite. */
export class SqliteFederationStore implements FederationStore {
  public constructor(private readonly db: SqliteDatabase) {}

  public async addPeer(peer: NewPeer, origin: string): Promise<PeerRow> {
    return this.db.transaction(async (tx) => {
      const result = await tx.run(
        `INSERT INTO peers (name, url, origin, token, token_header, profile, interval_s, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [peer.name, peer.url, origin, peer.token ?? null, peer.tokenHeader ?? 'authorization', peer.profile ?? 'dfc-v1',
          peer.intervalSeconds ?? 300, new Date().toISOString()],
      );
      return peerRow((await tx.get<PeerSql>('SELECT * FROM peers WHERE id = ?', [result.lastID])) as PeerSql);
    });
  }

  public async listPeers(): Promise<PeerRow[]> {
    return (await this.db.reader.all<PeerSql>('SELECT * FROM peers ORDER BY id')).map(peerRow);
  }

  public async getPeer(idOrName: string | number): Promise<PeerRow | undefined> {
    const row = typeof idOrName === 'number' || /^\d+$/u.test(idOrName)
      ? await this.db.reader.get<PeerSql>('SELECT * FROM peers WHERE id = ?', [Number(idOrName)])
      : await this.db.reader.get<PeerSql>('SELECT * FROM peers WHERE name = ?', [idOrName]);
    return row === undefined ? undefined : peerRow(row);
  }

  public async removePeer(id: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const keys = await tx.all<{ product_key: string }>('SELECT DISTINCT product_key FROM federated_entries WHERE peer_id = ?', [id]);
      const result = await tx.run('DELETE FROM peers WHERE id = ?', [id]);
      await tx.run('DELETE FROM federated_entries WHERE peer_id = ?', [id]);
      await electWinners(tx, keys.map((k) => k.product_key));
      return result.changes > 0;
    });
  }

  public async recordAttempt(id: number, state: {
    status: 'ok' | 'failed'; at: string; nextAttemptAt: string; failures: number; error: string | null; summary: SyncSummary | null;
  }): Promise<void> {
    await this.db.transaction((tx) => tx.run(
      `UPDATE peers SET status = ?, last_attempt_at = ?, next_attempt_at = ?, failures = ?, last_error = ?,
         last_success_at = CASE WHEN ? = 'ok' THEN ? ELSE last_success_at END,
         last_summary = COALESCE(?, last_summary)
       WHERE id = ?`,
      [state.status, state.at, state.nextAttemptAt, state.failures, state.error, state.status, state.at,
        state.summary === null ? null : JSON.stringify(state.summary), id],
    ));
  }

  public async sources(peerId: number): Promise<Map<string, SourceValidators>> {
    const rows = await this.db.reader.all<{ url: string; etag: string | null; last_modified: string | null }>(
      'SELECT url, etag, last_modified FROM peer_sources WHERE peer_id = ?', [peerId]);
    return new Map(rows.map((r) => [r.url, { etag: r.etag, lastModified: r.last_modified }]));
  }

  public async held(peerId: number): Promise<Map<string, HeldResource>> {
    const rows = await this.db.reader.all<{ iri: string; hash: string; source_url: string; missing_since: string | null; withdrawn_at: string | null }>(
      'SELECT iri, hash, source_url, missing_since, withdrawn_at FROM peer_resources WHERE peer_id = ?', [peerId]);
    return new Map(rows.map((r) => [r.iri, { iri: r.iri, hash: r.hash, sourceUrl: r.source_url, missingSince: r.missing_since, withdrawnAt: r.withdrawn_at }]));
  }

  public async heldOf(peerId: number, iris: readonly string[]): Promise<Map<string, HeldResource>> {
    const held = new Map<string, HeldResource>();
    await inChunks(iris, async (chunk, marks) => {
      const rows = await this.db.reader.all<{ iri: string; hash: string; source_url: string; missing_since: string | null; withdrawn_at: string | null }>(
        `SELECT iri, hash, source_url, missing_since, withdrawn_at FROM peer_resources WHERE peer_id = ? AND iri IN (${marks})`, [peerId, ...chunk]);
      for (const r of rows) held.set(r.iri, { iri: r.iri, hash: r.hash, sourceUrl: r.source_url, missingSince: r.missing_since, withdrawnAt: r.withdrawn_at });
    });
    return held;
  }

  public async applySnapshot(peerId: number, write: SnapshotWrite): Promise<void> {
    const { plan, now } = write;
    await this.db.transaction(async (tx) => {
      await insertMany(tx,
        'INSERT INTO peer_resources (peer_id, iri, kind, record, hash, authoritative, source_url, first_seen_at, updated_at, missing_since, withdrawn_at)',
        11,
        plan.upsert.map((r) => [peerId, r.iri, r.kind, JSON.stringify(r.record), r.hash, r.authoritative ? 1 : 0, r.sourceUrl, now, now, null, null]),
        `ON CONFLICT (peer_id, iri) DO UPDATE SET kind = excluded.kind, record = excluded.record, hash = excluded.hash,
           authoritative = excluded.authoritative, source_url = excluded.source_url, updated_at = excluded.updated_at,
           missing_since = NULL, withdrawn_at = NULL`);
      // Test hook: a sync process killed in the middle of its transaction (see the crash test).
      if (process.env['MAILLON_TEST_KILL_DURING_SYNC'] === '1') process.kill(process.pid, 'SIGKILL');
      await inChunks(plan.missing, (chunk, marks) => tx.run(
        `UPDATE peer_resources SET missing_since = ? WHERE peer_id = ? AND iri IN (${marks})`, [now, peerId, ...chunk]).then(() => undefined));
      await inChunks(plan.withdrawn, (chunk, marks) => tx.run(
        `UPDATE peer_resources SET withdrawn_at = ? WHERE peer_id = ? AND iri IN (${marks})`, [now, peerId, ...chunk]).then(() => undefined));
      await inChunks(plan.restored, (chunk, marks) => tx.run(
        `UPDATE peer_resources SET missing_since = NULL, withdrawn_at = NULL WHERE peer_id = ? AND iri IN (${marks})`, [peerId, ...chunk]).then(() => undefined));
      if (write.replaceQuarantine) await tx.run('DELETE FROM quarantine WHERE peer_id = ?', [peerId]);
      // A record that is valid now leaves the quarantine.
      await inChunks(plan.upsert.map((r) => r.iri), (chunk, marks) => tx.run(
        `DELETE FROM quarantine WHERE peer_id = ? AND iri IN (${marks})`, [peerId, ...chunk]).then(() => undefined));
      await insertMany(tx, 'INSERT INTO quarantine (peer_id, iri, type, problems, seen_at)', 5,
        write.quarantine.map((q) => [peerId, q.iri, q.type, JSON.stringify(q.problems), now]),
        'ON CONFLICT (peer_id, iri) DO UPDATE SET type = excluded.type, problems = excluded.problems, seen_at = excluded.seen_at');
      for (const [url, v] of write.sources) {
        await tx.run(
          `INSERT INTO peer_sources (peer_id, url, etag, last_modified, fetched_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (peer_id, url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, fetched_at = excluded.fetched_at`,
          [peerId, url, v.etag, v.lastModified, now]);
      }
      const changed = plan.upsert.length + plan.withdrawn.length + plan.restored.length > 0;
      if (!changed) return;
      // A small change (a few stock updates from a feed) re-indexes only the items it touches.
      const scope = await affectedItems(tx, peerId, [...plan.upsert.map((r) => r.iri), ...plan.withdrawn, ...plan.restored],
        plan.upsert.map((r) => r.record));
      if (scope !== undefined) {
        const items = await peerRecords(tx, peerId, scope);
        const linked = new Set<string>();
        for (const { record } of items) {
          if (record.kind !== 'CatalogItem') continue;
          if (record.product !== undefined) linked.add(record.product);
          record.offers.forEach((o) => linked.add(o));
          if (record.managedBy !== undefined) linked.add(record.managedBy);
        }
        const second = await peerRecords(tx, peerId, [...linked]);
        const addresses = second.flatMap(({ record }) => (record.kind === 'Enterprise' && record.address !== undefined ? [record.address] : []));
        const all = [...items, ...second, ...(await peerRecords(tx, peerId, addresses))];
        const authoritative = new Set<string>(all.filter((r) => r.authoritative).map((r) => r.record.id));
        const withdrawn = new Set<string>(all.filter((r) => r.withdrawn).map((r) => r.record.id));
        const inScope = new Set(scope);
        const entries = entriesOf(all.map((r) => r.record)).filter((e) => inScope.has(e.itemIri));
        if (scope.length > 0) {
          await indexSource(tx, `peer:${peerId}`, peerId, entries.map((entry) => ({
            entry, rank: rankOf(authoritative.has(entry.itemIri) && authoritative.has(entry.productIri)), withdrawn: withdrawn.has(entry.itemIri),
          })), scope);
        }
        return;
      }
      // The index reads the peer's whole graph (an item's product may be unchanged while its offer changed),
      // withdrawn resources included: the origin's "withdrawn" must outrank a relay's copy.
      const rows = await tx.all<{ record: string; authoritative: number; withdrawn: number }>(
        'SELECT record, authoritative, withdrawn_at IS NOT NULL AS withdrawn FROM peer_resources WHERE peer_id = ?', [peerId]);
      const records = rows.map((r) => JSON.parse(r.record) as DfcRecord);
      const authoritative = new Set<string>();
      const withdrawn = new Set<string>();
      rows.forEach((r, i) => {
        const id = records[i]?.id;
        if (id === undefined) return;
        if (r.authoritative === 1) authoritative.add(id);
        if (r.withdrawn === 1) withdrawn.add(id);
      });
      await indexSource(tx, `peer:${peerId}`, peerId, entriesOf(records).map((entry) => ({
        // An item of the peer's own pointing at a product of another origin is still a relay of that product.
        entry, rank: rankOf(authoritative.has(entry.itemIri) && authoritative.has(entry.productIri)), withdrawn: withdrawn.has(entry.itemIri),
      })));
    });
  }

  public async quarantine(peerId: number): Promise<QuarantinedRecord[]> {
    const rows = await this.db.reader.all<{ iri: string; type: string | null; problems: string; seen_at: string }>(
      'SELECT iri, type, problems, seen_at FROM quarantine WHERE peer_id = ? ORDER BY iri', [peerId]);
    return rows.map((r) => ({ iri: r.iri, type: r.type, problems: JSON.parse(r.problems) as Problem[], seenAt: r.seen_at }));
  }

  public async peerCounts(peerId: number): Promise<{ active: number; missing: number; withdrawn: number }> {
    const row = await this.db.reader.get<{ active: number; missing: number; withdrawn: number }>(
      `SELECT SUM(withdrawn_at IS NULL AND missing_since IS NULL) AS active,
              SUM(withdrawn_at IS NULL AND missing_since IS NOT NULL) AS missing,
              SUM(withdrawn_at IS NOT NULL) AS withdrawn
       FROM peer_resources WHERE peer_id = ?`, [peerId]);
    return { active: row?.active ?? 0, missing: row?.missing ?? 0, withdrawn: row?.withdrawn ?? 0 };
  }

  public async refreshLocal(versions: ReadonlyMap<string, number>, recordsOf: (eid: string) => Promise<DfcRecord[]>): Promise<void> {
    const built = new Map((await this.db.reader.all<{ source: string; version: number }>(
      "SELECT source, version FROM federated_sources WHERE source LIKE 'local:%'")).map((r) => [r.source, r.version]));
    const stale = [...versions].filter(([eid, version]) => built.get(`local:${eid}`) !== version);
    const gone = [...built.keys()].filter((source) => !versions.has(source.slice('local:'.length)));
    if (stale.length === 0 && gone.length === 0) return;
    const rebuilt = await Promise.all(stale.map(async ([eid, version]) => ({ eid, version, entries: entriesOf(await recordsOf(eid)) })));
    await this.db.transaction(async (tx) => {
      for (const { eid, version, entries } of rebuilt) {
        await indexSource(tx, `local:${eid}`, null, entries.map((entry) => ({ entry, rank: RANK.local, withdrawn: false })));
        await tx.run('INSERT INTO federated_sources (source, version) VALUES (?, ?) ON CONFLICT (source) DO UPDATE SET version = excluded.version',
          [`local:${eid}`, version]);
      }
      for (const source of gone) {
        await indexSource(tx, source, null, []);
        await tx.run('DELETE FROM federated_sources WHERE source = ?', [source]);
      }
    });
  }

  public async queryMatches(query: FederatedQuery): Promise<FederatedMatch[]> {
    const filter = whereOf(query);
    if (filter === undefined) return [];
    // Three small columns per row: a query over 100,000 offers moves kilobytes, not megabytes, to JavaScript.
    return this.db.reader.all<FederatedMatch>(
      `SELECT rowid AS id, latitude, longitude FROM federated_entries WHERE ${filter.where} ORDER BY name, item_iri`, filter.params);
  }

  public async entriesByIds(ids: readonly number[]): Promise<FederatedRow[]> {
    const byId = new Map<number, FederatedRow>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = await this.db.reader.all<EntrySql & { id: number }>(
        `SELECT rowid AS id, * FROM federated_entries WHERE rowid IN (${chunk.map(() => '?').join(',')})`, chunk);
      for (const row of rows) byId.set(row.id, entryRow(row));
    }
    return ids.map((id) => byId.get(id)).filter((r): r is FederatedRow => r !== undefined);
  }

  public async queryEntries(query: FederatedQuery): Promise<FederatedRow[]> {
    const filter = whereOf(query);
    if (filter === undefined) return [];
    const rows = await this.db.reader.all<EntrySql>(
      `SELECT * FROM federated_entries WHERE ${filter.where} ORDER BY name, item_iri`, filter.params);
    return rows.map(entryRow);
  }

  public async rowsOfKeys(productKeys: readonly string[]): Promise<FederatedRow[]> {
    const rows: FederatedRow[] = [];
    await inChunks(productKeys, async (chunk, marks) => {
      rows.push(...(await this.db.reader.all<EntrySql>(
        `SELECT * FROM federated_entries WHERE product_key IN (${marks}) AND withdrawn = 0 ORDER BY rank, source`, chunk)).map(entryRow));
    });
    return rows;
  }

  public async recordsIn(source: string, iris: readonly string[]): Promise<DfcRecord[]> {
    const records: DfcRecord[] = [];
    await inChunks(iris, async (chunk, marks) => {
      const rows = source.startsWith('peer:')
        ? await this.db.reader.all<{ record: string }>(
          `SELECT record FROM peer_resources WHERE peer_id = ? AND iri IN (${marks}) AND withdrawn_at IS NULL`, [Number(source.slice(5)), ...chunk])
        : await this.db.reader.all<{ record: string }>(
          `SELECT record FROM resources WHERE eid = ? AND iri IN (${marks})
             AND eid NOT IN (SELECT eid FROM enterprises WHERE private = 1)`, [source.slice('local:'.length), ...chunk]);
      records.push(...rows.map((r) => JSON.parse(r.record) as DfcRecord));
    });
    return records;
  }

  public async recordsOf(iris: readonly string[]): Promise<Map<string, { record: DfcRecord; source: string }>> {
    const result = new Map<string, { record: DfcRecord; source: string }>();
    await inChunks(iris, async (chunk, marks) => {
      const local = await this.db.reader.all<{ iri: string; eid: string; record: string }>(
        `SELECT iri, eid, record FROM resources WHERE iri IN (${marks})
           AND eid NOT IN (SELECT eid FROM enterprises WHERE private = 1)`, chunk);
      for (const r of local) result.set(r.iri, { record: JSON.parse(r.record) as DfcRecord, source: `local:${r.eid}` });
      const peers = await this.db.reader.all<{ iri: string; peer_id: number; record: string }>(
        `SELECT iri, peer_id, record FROM peer_resources WHERE iri IN (${marks}) AND withdrawn_at IS NULL
         ORDER BY authoritative DESC, updated_at DESC`, chunk);
      for (const r of peers) if (!result.has(r.iri)) result.set(r.iri, { record: JSON.parse(r.record) as DfcRecord, source: `peer:${r.peer_id}` });
    });
    return result;
  }
}
