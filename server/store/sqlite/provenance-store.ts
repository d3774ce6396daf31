/**
 * The SQLite implementation of {@link ProvenanceStore}: peers and their sync state, what each peer said,
 * the validators of the pages fetched, and quarantined records.
 *
 * A snapshot is applied in one transaction with multi-row statements (a 1,000-offer peer is a few dozen
 * statements, not thousands), and the peer's rows of the federated index are rebuilt in the same
 * transaction, so a reader never sees a half-applied peer.
 *
 * @packageDocumentation
 */
import type { Problem } from '../../errors/problem.js';
import type {
  HeldResource, NewPeer, PeerChanges, PeerRow, ProvenanceStore, QuarantinedRecord, SnapshotWrite, SourceValidators, SyncSummary,
} from '../federation.js';
import { inChunks, insertMany } from './chunks.js';
import type { SqliteDatabase } from './database.js';
import { dropPeerRows, indexPeerSnapshot } from './federated-index.js';

interface PeerSql {
  id: number; name: string; url: string; origin: string; token: string | null; token_header: string; profile: string; kind: string; interval_s: number;
  created_at: string; status: string; last_attempt_at: string | null; last_success_at: string | null; next_attempt_at: string | null;
  failures: number; last_error: string | null; last_summary: string | null;
}

function peerRow(row: PeerSql): PeerRow {
  return {
    id: row.id, name: row.name, url: row.url, origin: row.origin, token: row.token,
    tokenHeader: row.token_header === 'x-api-token' ? 'x-api-token' : 'authorization',
    profile: row.profile === 'dfc-v2' ? 'dfc-v2' : 'dfc-v1', kind: row.kind === 'solid' ? 'solid' : 'dfc', intervalSeconds: row.interval_s, createdAt: row.created_at,
    status: row.status, lastAttemptAt: row.last_attempt_at, lastSuccessAt: row.last_success_at, nextAttemptAt: row.next_attempt_at,
    failures: row.failures, lastError: row.last_error, lastSummary: row.last_summary === null ? null : (JSON.parse(row.last_summary) as SyncSummary),
  };
}

/** {@link ProvenanceStore} on SQLite. */
export class SqliteProvenanceStore implements ProvenanceStore {
  public constructor(private readonly db: SqliteDatabase) {}

  public async addPeer(peer: NewPeer, origin: string): Promise<PeerRow> {
    return this.db.transaction(async (tx) => {
      const result = await tx.run(
        `INSERT INTO peers (name, url, origin, token, token_header, profile, kind, interval_s, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [peer.name, peer.url, origin, peer.token ?? null, peer.tokenHeader ?? 'authorization', peer.profile ?? 'dfc-v1', peer.kind ?? 'dfc',
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

  public async updatePeer(id: number, changes: PeerChanges): Promise<PeerRow | undefined> {
    const columns: readonly [string, string | number | null | undefined][] = [
      ['name', changes.name], ['token', changes.token], ['token_header', changes.tokenHeader], ['profile', changes.profile],
      ['interval_s', changes.intervalSeconds],
    ];
    const given = columns.filter(([, value]) => value !== undefined);
    const sets = given.map(([column]) => `${column} = ?`);
    const values = given.map(([, value]) => value ?? null);
    if (changes.token !== undefined || changes.tokenHeader !== undefined || changes.profile !== undefined) sets.push('next_attempt_at = NULL');
    return this.db.transaction(async (tx) => {
      if (sets.length > 0) await tx.run(`UPDATE peers SET ${sets.join(', ')} WHERE id = ?`, [...values, id]);
      const row = await tx.get<PeerSql>('SELECT * FROM peers WHERE id = ?', [id]);
      return row === undefined ? undefined : peerRow(row);
    });
  }

  public async removePeer(id: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await dropPeerRows(tx, id);
      const result = await tx.run('DELETE FROM peers WHERE id = ?', [id]);
      return result.changes > 0;
    }, { alone: true });
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
    // Alone: a snapshot can take seconds, and the short writes grouped with it would wait for its commit.
    await this.db.transaction(async (tx) => {
      await insertMany(tx,
        'INSERT INTO peer_resources (peer_id, iri, kind, record, hash, authoritative, source_url, first_seen_at, updated_at, missing_since, withdrawn_at)',
        11,
        plan.upsert.map((r) => [peerId, r.iri, r.kind, r.json, r.hash, r.authoritative ? 1 : 0, r.sourceUrl, now, now, null, null]),
        `ON CONFLICT (peer_id, iri) DO UPDATE SET kind = excluded.kind, record = excluded.record, hash = excluded.hash,
           authoritative = excluded.authoritative, source_url = excluded.source_url, updated_at = excluded.updated_at,
           missing_since = NULL, withdrawn_at = NULL`);
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
      await indexPeerSnapshot(tx, peerId, plan);
    }, { alone: true });
    // A peer's first snapshot can grow the index tenfold: the planner's statistics must follow.
    if (plan.upsert.length >= 1000) await this.db.optimize();
  }

  public async quarantine(peerId: number): Promise<QuarantinedRecord[]> {
    const rows = await this.db.reader.all<{ iri: string; type: string | null; problems: string; seen_at: string }>(
      'SELECT iri, type, problems, seen_at FROM quarantine WHERE peer_id = ? ORDER BY iri', [peerId]);
    return rows.map((r) => ({ iri: r.iri, type: r.type, problems: JSON.parse(r.problems) as Problem[], seenAt: r.seen_at }));
  }

  public async quarantineCounts(): Promise<Map<number, number>> {
    const rows = await this.db.reader.all<{ peer_id: number; n: number }>('SELECT peer_id, COUNT(*) AS n FROM quarantine GROUP BY peer_id');
    return new Map(rows.map((r) => [r.peer_id, r.n]));
  }

  public async peerCounts(peerId: number): Promise<{ active: number; missing: number; withdrawn: number }> {
    const row = await this.db.reader.get<{ active: number; missing: number; withdrawn: number }>(
      `SELECT SUM(withdrawn_at IS NULL AND missing_since IS NULL) AS active,
              SUM(withdrawn_at IS NULL AND missing_since IS NOT NULL) AS missing,
              SUM(withdrawn_at IS NOT NULL) AS withdrawn
       FROM peer_resources WHERE peer_id = ?`, [peerId]);
    return { active: row?.active ?? 0, missing: row?.missing ?? 0, withdrawn: row?.withdrawn ?? 0 };
  }
}
