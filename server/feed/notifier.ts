/**
 * Webhook deliveries: every subscription follows the change feed from its own cursor, so a delivery never
 * blocks or slows the write that caused it, survives a restart, and coalesces a burst of changes to one
 * resource into one notification. A failed delivery is retried with backoff; after `maxFailures` in a row the
 * subscription is given up (`dead`, visible in its status).
 *
 * @packageDocumentation
 */
import { CANONICAL_NAMESPACES } from '../../ontology/namespaces.js';
import { MAILLON } from '../../ontology/streams.js';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { CatalogItemRecord, DfcRecord, OfferRecord } from '../../ontology/records.js';
import { shortName } from '../codec/compact.js';
import type { FeedEvent, FeedStore, SubscriptionRow } from '../store/feed.js';
import { failureText, type Failure } from '../errors/failure.js';
import { backoffDelay } from '../net/backoff.js';
import type { FetchPolicy, SafeFetch } from '../net/safe-fetch.js';
import { SIGNATURE_HEADER, sign } from './signature.js';
import type { CancelTimer, Timers } from '../timers/timers.js';

/** Options of {@link Notifier}. */
export interface NotifierArgs {
  readonly feed: FeedStore;
  /** Our base URL (the actor of the activities) and API root (feed URLs). */
  readonly base: string;
  readonly api: string;
  /** The HTTP client deliveries are POSTed with. */
  readonly fetch: SafeFetch;
  readonly policy: FetchPolicy;
  /** Where the poll and the coalescing delay run (retries are due deliveries found by the poll). */
  readonly timers: Timers;
  /** How often the feed is looked at when nothing wakes the notifier (default 500 ms). */
  readonly pollMs?: number;
  readonly maxFailures?: number;
  /** First retry delay of a failed delivery (default 1 s), doubled each time up to an hour, with jitter. */
  readonly baseBackoffMs?: number;
  readonly logger?: Logger;
}

/** An ActivityStreams notification of one change. */
export interface ChangeNotification {
  readonly '@context': readonly unknown[];
  readonly id: string;
  readonly type: 'Create' | 'Update' | 'Delete';
  readonly published: string;
  readonly actor: string;
  readonly object: Record<string, unknown>;
}

/**
 * The `Accept` header deliveries have always carried. The receiver's answer body is never read: only its
 * status counts.
 */
const DELIVERY_ACCEPT = 'application/ld+json;q=1, application/json;q=0.9, text/turtle;q=0.8';

/** The longest delay between two attempts at a failing subscriber. */
const MAX_BACKOFF_MS = 3_600_000;

const TYPE: Readonly<Record<FeedEvent['action'], ChangeNotification['type']>> = { create: 'Create', update: 'Update', delete: 'Delete' };

function stockOf(record: DfcRecord | null | undefined): number | null | undefined {
  return record?.kind === 'CatalogItem' || record?.kind === 'Offer' ? (record as CatalogItemRecord | OfferRecord).stock : undefined;
}

/**
 * ActivityStreams, plus the prefixes the object's properties use: `dfc-b:`, `dfc-m:`, and `maillon:` for the
 * version and feed links (a prefix the context did not declare would leave those keys without an IRI).
 */
const NOTIFICATION_CONTEXT: readonly unknown[] = Object.freeze([
  'https://www.w3.org/ns/activitystreams',
  { 'dfc-b': CANONICAL_NAMESPACES['dfc-b'], 'dfc-m': CANONICAL_NAMESPACES['dfc-m'], maillon: MAILLON.namespace },
]);

/** The namespace of {@link notificationId}'s name-based UUIDs (a fixed random UUID: Maillon's own). */
const NOTIFICATION_NAMESPACE = Buffer.from('5b0f3c1e8d2a4f6b9c7e1a2d3f4b5c6d', 'hex');

/**
 * The `id` of the notification of one version to one subscription: a name-based UUID (RFC 9562 version 5) of the
 * feed's stream, the subscription and the version's sequence. A retry of the same notification carries the same id,
 * so a receiver can tell it from a new change; a restored database starts a new stream, whose sequences mean other
 * changes, and so gives other ids.
 */
export function notificationId(stream: string, subscription: string, seq: number): string {
  const hash = createHash('sha1').update(NOTIFICATION_NAMESPACE).update(`${stream}\n${subscription}\n${seq}`).digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Builds the notification of a resource's latest change.
 *
 * @param id - the notification's id: {@link notificationId} of the version, the same on every attempt to deliver it
 */
export function notificationOf(args: { base: string; api: string }, event: FeedEvent, previous: FeedEvent | undefined, id: string): ChangeNotification {
  const object: Record<string, unknown> = { id: event.iri, type: `dfc-b:${event.kind}` };
  const record = event.record;
  // Stock and price travel inline when they changed, so a shop can update without fetching anything.
  const stock = stockOf(record);
  if (stock !== undefined && (previous === undefined || stockOf(previous.record) !== stock)) {
    object['dfc-b:stockLimitation'] = stock ?? -1;
  }
  if (record?.kind === 'Offer' && record.price !== undefined) {
    const before = previous?.record?.kind === 'Offer' ? previous.record.price : undefined;
    if (before === undefined || before.value !== record.price.value || before.currency !== record.price.currency) {
      object['dfc-b:hasPrice'] = { 'dfc-b:value': record.price.value, 'dfc-b:hasUnit': shortName(record.price.currency) };
    }
  }
  return {
    '@context': NOTIFICATION_CONTEXT,
    id,
    type: TYPE[event.action],
    published: event.at,
    actor: args.base,
    object: { ...object, 'maillon:version': `${args.api}/feed/versions/${event.seq}`, 'maillon:feed': `${args.api}/feed` },
  };
}

/**
 * A failed delivery as logs and the subscription's status show it: its callback without the query, where receivers
 * often put a secret of theirs (`?key=…`), as the status shows the callback itself.
 */
export function withoutQuery(failure: Failure, callback: string): Failure {
  let shown: string;
  try {
    const url = new URL(callback);
    if (url.search === '' && url.username === '' && url.password === '') return failure;
    shown = `${url.origin}${url.pathname}${url.search !== '' ? '?…' : ''}`;
  } catch {
    return failure;
  }
  const hide = (text: string): string => text.split(callback).join(shown);
  return { ...failure, message: hide(failure.message), ...(failure.url !== undefined ? { url: hide(failure.url) } : {}) };
}

/** Delivers notifications to every subscription. */
export class Notifier {
  private cancelPoll: CancelTimer | undefined;
  /** Deliveries in flight, by subscription: each subscriber goes at its own pace, a slow one holds up nobody. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** A change arrived while deliveries were in flight: look again when one ends. */
  private lookAgain = false;
  /** Fires when the node stops: a delivery in flight ends at once ({@link Notifier.stop}). */
  private readonly stopping = new AbortController();
  /** The deliveries' fetch policy, given up by {@link stopping}. */
  private readonly policy: FetchPolicy;

  public constructor(private readonly args: NotifierArgs) {
    this.policy = { ...args.policy, signal: this.stopping.signal };
  }

  /** Starts polling the feed. */
  public start(): void {
    if (this.cancelPoll !== undefined) return;
    this.cancelPoll = this.args.timers.every('webhook poll', this.args.pollMs ?? 500, () => {
      this.pollDue = true;
      this.wake();
    });
  }

  /**
   * Stops: the deliveries in flight are given up at once (a slow receiver would hold the stop for a fetch deadline per
   * notification), what each delivered is kept, and nothing is counted against the subscribers: the next start
   * sends the rest.
   */
  public async stop(): Promise<void> {
    this.stopping.abort();
    this.cancelPoll?.();
    this.soon?.();
    this.cancelPoll = undefined;
    this.soon = undefined;
    await Promise.allSettled(this.inFlight.values());
  }

  /** Starts the due deliveries now. Never throws; never waits, so a write is never slowed by a subscriber. */
  public wake(): void {
    // Bursts of writes wake the notifier once: one look at the subscriptions per few milliseconds, not per write.
    if (this.soon !== undefined) return;
    this.soon = this.args.timers.after('webhook round', 5, () => {
      this.soon = undefined;
      if (this.inFlight.size > 0) this.lookAgain = true;
      const fresh = this.pollDue;
      this.pollDue = false;
      this.round({ fresh }).catch((error: unknown) => this.args.logger?.error({ err: error }, 'webhook round failed'));
    });
  }

  private soon: CancelTimer | undefined;
  /**
   * The poll woke the next round: it reads the subscriptions afresh, whatever the store remembers of an empty table
   * (a subscription another process made is found within a poll; the rounds woken by writes may skip the read).
   */
  private pollDue = false;

  /**
   * Starts a delivery for every due subscription that has none in flight, and resolves when those are done
   * (tests await it).
   *
   * @param options - `fresh`: read the subscriptions afresh (the poll's round, and one asked for directly)
   */
  public async round(options: { readonly fresh?: boolean } = { fresh: true }): Promise<void> {
    const now = new Date().toISOString();
    // A revoked token's subscriptions get nothing more.
    const due = (await this.args.feed.deliverableSubscriptions({ fresh: options.fresh === true }))
      .filter((s) => !this.inFlight.has(s.id) && (s.nextAttemptAt === null || s.nextAttemptAt <= now));
    const started = due.map((s) => {
      const run = this.deliver(s)
        .catch((error: unknown) => this.args.logger?.error({ err: error, subscription: s.id }, 'webhook delivery crashed'))
        .finally(() => {
          this.inFlight.delete(s.id);
          if (this.lookAgain) {
            this.lookAgain = false;
            this.wake();
          }
        });
      this.inFlight.set(s.id, run);
      return run;
    });
    await Promise.all(started);
  }

  private async deliver(subscription: SubscriptionRow): Promise<void> {
    const { feed } = this.args;
    const closing = subscription.closingAfter;
    // A subscription to a removed enterprise gets its deletes and nothing after them (not even the events of a new
    // enterprise given the same id), then goes.
    const events = (await feed.events(subscription.deliveredSeq, 500, subscription.eid ?? undefined))
      .filter((e) => closing === null || e.seq <= closing);
    if (events.length === 0) {
      if (closing !== null) await feed.deleteSubscription(subscription.id);
      return;
    }
    // A burst of changes to one resource is one notification: its latest version, sent in the order the resources
    // first changed in the batch. Each delivered notification covers all its resource's events of the batch, so the
    // cursor can move to just before the first event of a resource not yet delivered: in this order, every
    // notification delivered moves it, and a failure part way keeps what went before it.
    const first = new Map<string, FeedEvent>();
    const latest = new Map<string, FeedEvent>();
    for (const event of events) {
      if (!first.has(event.iri)) first.set(event.iri, event);
      latest.set(event.iri, event);
    }
    const stream = await feed.streamId();
    const ordered = [...first.values()];
    for (const [index, firstEvent] of ordered.entries()) {
      const event = latest.get(firstEvent.iri) as FeedEvent;
      const notification = notificationOf(this.args, event, await feed.previousVersion(event.iri, firstEvent.seq),
        notificationId(stream, subscription.id, event.seq));
      const body = JSON.stringify(notification);
      const outcome = await this.args.fetch({
        url: subscription.callback,
        method: 'POST',
        headers: { accept: DELIVERY_ACCEPT, 'content-type': 'application/ld+json', [SIGNATURE_HEADER]: sign(subscription.secret, body) },
        body,
        // A signed delivery goes to the URL the subscriber registered, never on to wherever it redirects.
        redirect: 'error',
      }, this.policy);
      if (!outcome.ok && outcome.failure.kind === 'stopped') {
        // The node stops, not the receiver's doing: what went before this one is kept as delivered, nothing counted.
        if (index > 0) {
          const { status, failures, nextAttemptAt, lastError } = subscription;
          await feed.recordDelivery(subscription.id, {
            status, failures, nextAttemptAt, lastError, lastDeliveryAt: new Date().toISOString(), deliveredSeq: Math.max(subscription.deliveredSeq, firstEvent.seq - 1),
          });
        }
        return;
      }
      if (!outcome.ok) {
        // What went before this one is delivered: the next attempt starts at this resource's first event (the
        // delivered ones that changed again after it are sent again, under the same ids).
        const deliveredSeq = Math.max(subscription.deliveredSeq, firstEvent.seq - 1);
        // Failures count the attempts in a row that moved nothing: a receiver that takes some of each attempt
        // catches up, and only one that takes nothing is given up.
        const failures = deliveredSeq > subscription.deliveredSeq ? 1 : subscription.failures + 1;
        const dead = failures >= (this.args.maxFailures ?? 10);
        const delay = backoffDelay(failures, { baseMs: this.args.baseBackoffMs ?? 1000, maxMs: MAX_BACKOFF_MS });
        await feed.recordDelivery(subscription.id, {
          status: dead ? 'dead' : 'failing', failures, nextAttemptAt: dead ? null : new Date(Date.now() + delay).toISOString(),
          lastDeliveryAt: index > 0 ? new Date().toISOString() : subscription.lastDeliveryAt, lastError: failureText(withoutQuery(outcome.failure, subscription.callback)), deliveredSeq,
        });
        this.args.logger?.warn({ subscription: subscription.id, failure: withoutQuery(outcome.failure, subscription.callback), dead }, 'webhook delivery failed');
        return;
      }
    }
    const delivered = events.at(-1)?.seq ?? subscription.deliveredSeq;
    if (closing !== null && delivered >= closing) {
      await feed.deleteSubscription(subscription.id);
      return;
    }
    await feed.recordDelivery(subscription.id, {
      status: 'active', failures: 0, nextAttemptAt: null, lastDeliveryAt: new Date().toISOString(), lastError: null,
      deliveredSeq: delivered,
    });
  }
}
