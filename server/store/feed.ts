/**
 * The change feed's persistence port: the versions appended by every change, webhook subscriptions, and what
 * we know of each peer's feed.
 *
 * @packageDocumentation
 */
import type { DfcRecord } from '../../ontology/records.js';

/** One version of one resource. */
export interface FeedEvent {
  readonly seq: number;
  readonly eid: string;
  readonly iri: string;
  readonly kind: string;
  readonly action: 'create' | 'update' | 'delete';
  /** The resource as it is after the change; null for a deletion. */
  readonly record: DfcRecord | null;
  readonly at: string;
}

/** A webhook subscription. */
export interface SubscriptionRow {
  readonly id: string;
  readonly tokenId: string | null;
  /** The watched enterprise; null for the whole node. */
  readonly eid: string | null;
  readonly callback: string;
  readonly secret: string;
  readonly createdAt: string;
  readonly status: 'active' | 'failing' | 'dead';
  readonly failures: number;
  readonly nextAttemptAt: string | null;
  readonly lastDeliveryAt: string | null;
  readonly lastError: string | null;
  readonly deliveredSeq: number;
  /**
   * Set when the watched enterprise was removed: the last feed sequence the subscription is still owed (its
   * deletes); once delivered, the subscription is deleted.
   */
  readonly closingAfter: number | null;
}

/** What we know of a peer's feed. */
export interface PeerFeedState {
  readonly feedUrl: string | null;
  /** The last sequence applied from the peer's feed. */
  readonly cursor: number | null;
  /** The identity of the peer's feed when the cursor was taken: another one means the feed started over. */
  readonly stream: string | null;
  /** The secret of our subscription at the peer (to verify its notifications). */
  readonly secret: string | null;
  readonly subscriptionUrl: string | null;
}

/**
 * Our push subscription at a peer, as the operator follows it (its secret stays in {@link PeerFeedState}): when
 * it was made, what the peer has sent since, and why the last attempt to make it failed.
 */
export interface PeerPushState {
  /** When our last subscription at the peer was made (null: never, or before this was recorded). */
  readonly subscribedAt: string | null;
  /** When the last verified notification from the peer arrived. */
  readonly lastNotificationAt: string | null;
  /** Verified notifications received from the peer. */
  readonly notifications: number;
  /** Failed attempts to subscribe in a row (0 once one succeeds). */
  readonly failures: number;
  /** Why the last attempt to subscribe failed, while it is the last one. */
  readonly lastError: string | null;
}

/** The state of this node's own change feed. */
export interface FeedStats {
  /** The newest sequence (0 when the feed is empty). */
  readonly latestSeq: number;
  /** When the newest event was written (null when the feed is empty). */
  readonly lastEventAt: string | null;
  /** Events kept (compaction drops superseded versions). */
  readonly events: number;
  /** The identity of the feed. */
  readonly streamId: string;
}

/** The feed's persistence port. */
export interface FeedStore {
  /**
   * Versions after `seq`, oldest first, at most `limit`, of one enterprise or of the whole node; with
   * `publicOnly`, versions written while their enterprise was private are left out (a version keeps the visibility
   * it was written with, whatever its enterprise id stands for later).
   */
  events(after: number, limit: number, eid?: string, publicOnly?: boolean): Promise<FeedEvent[]>;
  /** The identity of this node's feed (new with every database). */
  streamId(): Promise<string>;
  /** The newest sequence (0 when the feed is empty), of the versions written public only with `publicOnly`. */
  latestSeq(eid?: string, publicOnly?: boolean): Promise<number>;
  /**
   * Subscriptions to deliver to: not given up, and whose token (if any) is not revoked. A store may answer none for a
   * while after it found none, unless `fresh`: the notifier's poll reads afresh, so that a subscription another process
   * made (`maillon` beside `serve`) is found at the next poll.
   */
  deliverableSubscriptions(options?: { readonly fresh?: boolean }): Promise<SubscriptionRow[]>;
  /** The version of a resource just before sequence `seq`, if any. */
  previousVersion(iri: string, seq: number): Promise<FeedEvent | undefined>;
  /** Drops versions older than `before` that are not the latest version of their resource. */
  compact(before: string): Promise<number>;

  /**
   * Creates a subscription; answers the one a token holds already for the same callback and changes (active or
   * failing, not closing), unchanged, when there is one: the caller tells them apart by their id.
   */
  createSubscription(row: Omit<SubscriptionRow, 'status' | 'failures' | 'nextAttemptAt' | 'lastDeliveryAt' | 'lastError' | 'closingAfter'>): Promise<SubscriptionRow>;
  getSubscription(id: string): Promise<SubscriptionRow | undefined>;
  listSubscriptions(): Promise<SubscriptionRow[]>;
  deleteSubscription(id: string): Promise<boolean>;
  recordDelivery(id: string, state: Pick<SubscriptionRow, 'status' | 'failures' | 'nextAttemptAt' | 'lastDeliveryAt' | 'lastError' | 'deliveredSeq'>): Promise<void>;

  peerFeed(peerId: number): Promise<PeerFeedState>;
  /**
   * Sets what we know of a peer's feed. With `credentials` (what {@link FeedStore.peerCredentials} said when the
   * sync began), nothing is written if the peer's credentials changed since: the cursor a sync with the old ones
   * reached is not the new ones' (see {@link FeedStore.peerCredentials}). Resolves whether it was written.
   */
  setPeerFeed(peerId: number, state: Partial<PeerFeedState>, options?: { readonly credentials?: string }): Promise<boolean>;
  /**
   * The version of a peer's credentials (its token, header, OpenID login): it changes with each of them, when the
   * feed cursor is forgotten so that the next sync reads the peer whole.
   */
  peerCredentials(peerId: number): Promise<string>;

  /** The state of this node's feed, whole (private enterprises included: it is for the operator). */
  stats(): Promise<FeedStats>;
  /** Our push subscription at a peer: when made, notifications received, failed attempts. */
  peerPush(peerId: number): Promise<PeerPushState>;
  /** Records an attempt to subscribe at a peer: a success resets the failures, a failure counts and keeps its reason. */
  recordPeerSubscribe(peerId: number, at: string, error: string | null): Promise<void>;
  /** Records a verified notification from a peer. */
  recordPeerNotification(peerId: number, at: string): Promise<void>;
}
