/**
 * Keeps a pod publication up to date from the change feed: the feed's latest version of the enterprise is
 * checked every interval (cheap: one indexed read), and a new one publishes again, incrementally.
 *
 * @packageDocumentation
 */
import type { FeedStore } from '../store/feed.js';
import type { CancelTimer, Timers } from '../timers/timers.js';

/** Options of {@link followFeed}. */
export interface FollowOptions {
  readonly eid: string;
  readonly feed: Pick<FeedStore, 'latestSeq'>;
  readonly timers: Timers;
  /** How often the feed is read, in ms (default 1000: the pod follows within seconds). */
  readonly intervalMs?: number;
  /** Publishes once; its failures are its own to report. */
  readonly publish: () => Promise<void>;
  /** The feed position already published (default: the current one, read at start). */
  readonly from?: number;
}

/**
 * Starts following; resolves once the starting position is read, with the function that stops following.
 * Runs never overlap (the timers skip a tick while a run is still going).
 */
export async function followFeed(options: FollowOptions): Promise<CancelTimer> {
  let published = options.from ?? (await options.feed.latestSeq(options.eid));
  return options.timers.every(`solid-publish ${options.eid}`, options.intervalMs ?? 1000, async () => {
    const latest = await options.feed.latestSeq(options.eid);
    if (latest === published) return;
    await options.publish();
    published = latest;
  });
}
