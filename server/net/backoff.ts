/**
 * When to try again after failures in a row: exponential backoff with jitter, capped. Used by the sync engine
 * for peers and by the webhook notifier for subscribers. Pure: the caller adds the delay to its own clock.
 *
 * @packageDocumentation
 */

/** How a backoff grows. */
export interface BackoffPolicy {
  /** Delay after the first failure (before jitter), in milliseconds. */
  readonly baseMs: number;
  /** Longest delay (before jitter), in milliseconds. */
  readonly maxMs: number;
}

/**
 * The delay before the next attempt: `min(maxMs, baseMs * 2^(failures-1))`, then jittered into
 * `[delay/2, delay)` (then rounded) so that parties that failed together do not all retry together.
 *
 * @param failures - failures in a row, the one just seen included (0 counts as 1)
 * @param policy - base and cap
 * @param random - a number in `[0, 1)` (default `Math.random`; tests pass their own)
 * @returns milliseconds, rounded
 */
export function backoffDelay(failures: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const delay = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(delay / 2 + (random() * delay) / 2);
}
