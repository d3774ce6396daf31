/**
 * The SQLite implementation of {@link FeedStore}.
 *
 * @packageDocumentation
 */
import type { DfcRecord } from '../../../ontology/records.js';
import type { FeedEvent, FeedStats, FeedStore, PeerFeedState, PeerPushState, SubscriptionRow } from '../feed.js';
import type { Batchable, BatchOutcome, BatchRunner, SqlConnection, SqliteDatabase, SqlValue } from './database.js';
import { wellFormedJson } from './federated-index.js';

interface EventSql { seq: number; eid: string; iri: string; kind: string; action: string; record: string | null; at: string }
interface SubscriptionSql {
  id: string; token_id: string | null; eid: string | null; callback: string; secret: string; created_at: string; status: string;
  failures: number; next_attempt_at: string | null; last_delivery_at: string | null; last_error: string | null; delivered_seq: number; closing_after: number | null;
}

function subscriptionRow(r: SubscriptionSql): SubscriptionRow {
  return {
    id: r.id, tokenId: r.token_id, eid: r.eid, callback: r.callback, secret: r.secret, createdAt: r.created_at,
    status: r.status as SubscriptionRow['status'], failures: r.failures, nextAttemptAt: r.next_attempt_at, lastDeliveryAt: r.last_delivery_at,
    lastError: r.last_error, deliveredSeq: r.delivered_seq, closingAfter: r.closing_after,
  };
}

/**
 * How long an empty subscriptions table is taken as still empty without a look ({@link
 * SqliteFeedStore.deliverableSubscriptions}): as often as the notifier polls (`NotifierArgs.pollMs`' default).
 * Subscriptions are made here (a new one empties that knowledge at once); this bounds only what nothing here foresees.
 * The notifier's poll reads afresh (`fresh`): this spares the rounds woken by writes, a hundred a second under load.
 */
const EMPTY_SUBSCRIPTIONS_MS = 500;

/** {@link FeedStore} on SQLite. */
export class SqliteFeedStore implements FeedStore {
  /**
   * When the subscriptions table was last seen empty, with none made here since (`performance.now()`); undefined
   * when it may hold one. The notifier looks for due subscriptions a few milliseconds after every burst of writes:
   * on a node with none (most), that was a read for nothing a hundred times a second under a load of stock writes.
   */
  private seenEmptyAt: number | undefined;
  /** Moves on before and after every subscription made: a look begun before one does not conclude "empty". */
  private made = 0;

  public constructor(private readonly db: SqliteDatabase) {}

  public async events(after: number, limit: number, eid?: string, publicOnly = false): Promise<FeedEvent[]> {
    // Each version's own visibility, its enterprise's when it was written: what a page showed, it always shows.
    const privacy = publicOnly ? 'AND private = 0' : '';
    const rows = eid === undefined
      ? await this.db.reader.all<EventSql>(`SELECT * FROM feed_events WHERE seq > ? ${privacy} ORDER BY seq LIMIT ?`, [after, limit])
      : await this.db.reader.all<EventSql>(`SELECT * FROM feed_events WHERE eid = ? AND seq > ? ${privacy} ORDER BY seq LIMIT ?`, [eid, after, limit]);
    return rows.map((r) => ({
      seq: r.seq, eid: r.eid, iri: r.iri, kind: r.kind, action: r.action as FeedEvent['action'],
      record: r.record === null ? null : (JSON.parse(r.record) as DfcRecord), at: r.at,
    }));
  }

  public async previousVersion(iri: string, seq: number): Promise<FeedEvent | undefined> {
    const r = await this.db.reader.get<EventSql>('SELECT * FROM feed_events WHERE iri = ? AND seq < ? ORDER BY seq DESC LIMIT 1', [iri, seq]);
    return r === undefined ? undefined : {
      seq: r.seq, eid: r.eid, iri: r.iri, kind: r.kind, action: r.action as FeedEvent['action'],
      record: r.record === null ? null : (JSON.parse(r.record) as DfcRecord), at: r.at,
    };
  }

  public async streamId(): Promise<string> {
    return (await this.db.reader.get<{ value: string }>("SELECT value FROM meta WHERE key = 'stream_id'"))?.value ?? 'unknown';
  }

  public async latestSeq(eid?: string, publicOnly = false): Promise<number> {
    const privacy = publicOnly ? 'AND private = 0' : '';
    const row = eid === undefined
      ? await this.db.reader.get<{ seq: number | null }>(`SELECT MAX(seq) AS seq FROM feed_events WHERE 1 = 1 ${privacy}`)
      : await this.db.reader.get<{ seq: number | null }>(`SELECT MAX(seq) AS seq FROM feed_events WHERE eid = ? ${privacy}`, [eid]);
    return row?.seq ?? 0;
  }

  public async compact(before: string): Promise<number> {
    return this.db.transaction(async (tx) => (await tx.run(
      'DELETE FROM feed_events WHERE at < ? AND seq NOT IN (SELECT MAX(seq) FROM feed_events GROUP BY iri)', [before])).changes);
  }

  public async createSubscription(row: Omit<SubscriptionRow, 'status' | 'failures' | 'nextAttemptAt' | 'lastDeliveryAt' | 'lastError' | 'closingAfter'>): Promise<SubscriptionRow> {
    this.mayHaveSubscriptions();
    try {
      return await this.insertSubscription(row);
    } finally {
      // Again once committed: a look that began before the first and read before the commit saw the table empty.
      this.mayHaveSubscriptions();
    }
  }

  /** Forgets that the subscriptions table was seen empty (see {@link seenEmptyAt}). */
  private mayHaveSubscriptions(): void {
    this.made++;
    this.seenEmptyAt = undefined;
  }

  private async insertSubscription(row: Omit<SubscriptionRow, 'status' | 'failures' | 'nextAttemptAt' | 'lastDeliveryAt' | 'lastError' | 'closingAfter'>): Promise<SubscriptionRow> {
    return this.db.transaction(async (tx) => {
      // One token's subscription of a callback to the same changes is one: looked for in the writing transaction, so
      // that two requests at once cannot both create it.
      if (row.tokenId !== null) {
        const same = await tx.get<SubscriptionSql>(`SELECT * FROM subscriptions WHERE token_id = ? AND eid IS ? AND callback = ? AND status <> 'dead'
          AND closing_after IS NULL ORDER BY created_at, id LIMIT 1`, [row.tokenId, row.eid, row.callback]);
        if (same !== undefined) return subscriptionRow(same);
      }
      await tx.run('INSERT INTO subscriptions (id, token_id, eid, callback, secret, created_at, delivered_seq) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [row.id, row.tokenId, row.eid, row.callback, row.secret, row.createdAt, row.deliveredSeq]);
      return subscriptionRow((await tx.get<SubscriptionSql>('SELECT * FROM subscriptions WHERE id = ?', [row.id])) as SubscriptionSql);
    });
  }

  public async getSubscription(id: string): Promise<SubscriptionRow | undefined> {
    const row = await this.db.reader.get<SubscriptionSql>('SELECT * FROM subscriptions WHERE id = ?', [id]);
    return row === undefined ? undefined : subscriptionRow(row);
  }

  public async listSubscriptions(): Promise<SubscriptionRow[]> {
    return (await this.db.reader.all<SubscriptionSql>('SELECT * FROM subscriptions ORDER BY created_at, id')).map(subscriptionRow);
  }

  public async deliverableSubscriptions(options: { readonly fresh?: boolean } = {}): Promise<SubscriptionRow[]> {
    const started = performance.now();
    if (options.fresh !== true && this.seenEmptyAt !== undefined && started - this.seenEmptyAt < EMPTY_SUBSCRIPTIONS_MS) return [];
    const made = this.made;
    const rows = await this.db.reader.all<SubscriptionSql>(
      `SELECT s.* FROM subscriptions s LEFT JOIN tokens t ON t.id = s.token_id
       WHERE s.status <> 'dead' AND (s.closing_after IS NOT NULL OR s.token_id IS NULL OR s.token_id LIKE 'oidc:%' OR (t.id IS NOT NULL AND t.revoked_at IS NULL))
       ORDER BY s.created_at, s.id`);
    if (rows.length === 0) {
      // None deliverable is not none at all: a dead one, or one of a revoked token, which an enterprise's removal makes
      // deliverable again (to say its deletes). Only an empty table stays empty until a subscription is made here.
      const any = await this.db.reader.get<{ n: number }>('SELECT EXISTS (SELECT 1 FROM subscriptions) AS n');
      if (any?.n === 0 && made === this.made) this.seenEmptyAt = started;
    }
    return rows.map(subscriptionRow);
  }

  public async deleteSubscription(id: string): Promise<boolean> {
    return this.db.transaction(async (tx) => (await tx.run('DELETE FROM subscriptions WHERE id = ?', [id])).changes > 0);
  }

  public async recordDelivery(id: string, state: Pick<SubscriptionRow, 'status' | 'failures' | 'nextAttemptAt' | 'lastDeliveryAt' | 'lastError' | 'deliveredSeq'>): Promise<void> {
    await this.db.transaction((tx) => tx.run(
      `UPDATE subscriptions SET status = ?, failures = ?, next_attempt_at = ?, last_delivery_at = ?, last_error = ?, delivered_seq = ? WHERE id = ?`,
      [state.status, state.failures, state.nextAttemptAt, state.lastDeliveryAt, state.lastError, state.deliveredSeq, id]));
  }

  public async peerFeed(peerId: number): Promise<PeerFeedState> {
    const row = await this.db.reader.get<{ feed_url: string | null; cursor: number | null; stream: string | null; secret: string | null; subscription_url: string | null }>(
      'SELECT * FROM peer_feeds WHERE peer_id = ?', [peerId]);
    return {
      feedUrl: row?.feed_url ?? null, cursor: row?.cursor ?? null, stream: row?.stream ?? null, secret: row?.secret ?? null,
      subscriptionUrl: row?.subscription_url ?? null,
    };
  }

  public async setPeerFeed(peerId: number, state: Partial<PeerFeedState>, options: { readonly credentials?: string } = {}): Promise<boolean> {
    const current = await this.peerFeed(peerId);
    const next = { ...current, ...state };
    const values: SqlValue[] = [peerId, next.feedUrl, next.cursor, next.stream, next.secret, next.subscriptionUrl];
    const work = async (tx: SqlConnection): Promise<boolean> => {
      if (options.credentials !== undefined) {
        const now = await tx.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', [credentialsKey(peerId)]);
        if ((now?.value ?? '0') !== options.credentials) return false;
      }
      await tx.run(
        `INSERT INTO peer_feeds (peer_id, feed_url, cursor, stream, secret, subscription_url) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (peer_id) DO UPDATE SET feed_url = excluded.feed_url, cursor = excluded.cursor, stream = excluded.stream,
           secret = excluded.secret, subscription_url = excluded.subscription_url`, values);
      return true;
    };
    // Without a credentials check, the write is one statement: shared with the peers' feed states written beside it (a
    // cold sync notes each peer's feed, or that it has none), committed by itself.
    const batch: Batchable<SqlValue[]> | undefined = options.credentials !== undefined ? undefined
      : { runner: writePeerFeeds, part: values, keys: [`peer feed ${peerId}`], oneStatement: true };
    return this.db.transaction(work, batch === undefined ? {} : { batch: batch as Batchable<unknown> });
  }

  public async peerCredentials(peerId: number): Promise<string> {
    return (await this.db.reader.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', [credentialsKey(peerId)]))?.value ?? '0';
  }

  public async stats(): Promise<FeedStats> {
    // MAX and COUNT read the primary key; the newest event's time is one row by it.
    const totals = await this.db.reader.get<{ seq: number | null; n: number }>('SELECT MAX(seq) AS seq, COUNT(*) AS n FROM feed_events');
    const newest = await this.db.reader.get<{ at: string }>('SELECT at FROM feed_events ORDER BY seq DESC LIMIT 1');
    return { latestSeq: totals?.seq ?? 0, lastEventAt: newest?.at ?? null, events: totals?.n ?? 0, streamId: await this.streamId() };
  }

  public async peerPush(peerId: number): Promise<PeerPushState> {
    const row = await this.db.reader.get<{
      subscribed_at: string | null; notified_at: string | null; notifications: number; subscribe_failures: number; subscribe_error: string | null;
    }>('SELECT subscribed_at, notified_at, notifications, subscribe_failures, subscribe_error FROM peer_feeds WHERE peer_id = ?', [peerId]);
    return {
      subscribedAt: row?.subscribed_at ?? null, lastNotificationAt: row?.notified_at ?? null, notifications: row?.notifications ?? 0,
      failures: row?.subscribe_failures ?? 0, lastError: row?.subscribe_error ?? null,
    };
  }

  public async recordPeerSubscribe(peerId: number, at: string, error: string | null): Promise<void> {
    // In one statement: two attempts at once count two failures, not one.
    await this.db.transaction((tx) => tx.run(
      error === null
        ? `INSERT INTO peer_feeds (peer_id, subscribed_at) VALUES (?, ?)
           ON CONFLICT (peer_id) DO UPDATE SET subscribed_at = excluded.subscribed_at, subscribe_failures = 0, subscribe_error = NULL`
        : `INSERT INTO peer_feeds (peer_id, subscribe_failures, subscribe_error) VALUES (?, 1, ?)
           ON CONFLICT (peer_id) DO UPDATE SET subscribe_failures = subscribe_failures + 1, subscribe_error = excluded.subscribe_error`,
      error === null ? [peerId, at] : [peerId, error]));
  }

  public async recordPeerNotification(peerId: number, at: string): Promise<void> {
    await this.db.transaction((tx) => tx.run(
      `INSERT INTO peer_feeds (peer_id, notified_at, notifications) VALUES (?, ?, 1)
       ON CONFLICT (peer_id) DO UPDATE SET notified_at = excluded.notified_at, notifications = notifications + 1`, [peerId, at]));
  }
}

/**
 * Writes the feed states of distinct peers (each its row's six values, as {@link SqliteFeedStore.setPeerFeed} binds
 * them) in one statement. Passed as JSON, its texts made well-formed as binding them would.
 */
const writePeerFeeds: BatchRunner<SqlValue[]> = async (tx, rows) => {
  await tx.run(
    `INSERT INTO peer_feeds (peer_id, feed_url, cursor, stream, secret, subscription_url)
     SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5 FROM json_each(?) WHERE true
     ON CONFLICT (peer_id) DO UPDATE SET feed_url = excluded.feed_url, cursor = excluded.cursor, stream = excluded.stream,
       secret = excluded.secret, subscription_url = excluded.subscription_url`, [wellFormedJson(rows)]);
  return rows.map((): BatchOutcome => ({ value: true }));
};

/** The `meta` key of a peer's credentials version (see `FeedStore.peerCredentials`). */
export function credentialsKey(peerId: number): string {
  return `peer-credentials:${peerId}`;
}

/**
 * Forgets a peer's feed cursor because its credentials changed, in the transaction that changes them: the next sync
 * reads the peer whole, and a sync running with the old credentials does not write its cursor back.
 */
export async function forgetPeerCursor(tx: { run(sql: string, params?: readonly SqlValue[]): Promise<unknown> }, peerId: number): Promise<void> {
  await tx.run('UPDATE peer_feeds SET cursor = NULL WHERE peer_id = ?', [peerId]);
  await tx.run(`INSERT INTO meta (key, value) VALUES (?, '1') ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)`, [credentialsKey(peerId)]);
}
