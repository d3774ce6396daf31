/**
 * Abort signals tied to longer-lived ones: a fetch that stops with the node or with its own request, a run's read-ahead
 * that stops when the run ends or the node stops.
 *
 * @packageDocumentation
 */

/** A signal that fires when any of its parents fires, or when aborted itself. */
export interface LinkedSignal {
  readonly signal: AbortSignal;
  /** Fires {@link LinkedSignal.signal} (the parents are not touched). */
  abort(): void;
  /** Stops listening to the parents; the signal fires no more through them. Calling it again does nothing. */
  release(): void;
}

/**
 * A signal that fires when any of `parents` fires (at once if one has), held by listeners that {@link LinkedSignal.release}
 * removes, rather than by `AbortSignal.any`: a long-lived parent (the node's signal, alive for the process) would
 * keep every signal `AbortSignal.any` made from it until it fired, one per fetch or run.
 *
 * @param parents - the signals it follows; undefined ones are skipped
 */
export function linkedSignal(...parents: readonly (AbortSignal | undefined)[]): LinkedSignal {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  const followed = parents.filter((parent): parent is AbortSignal => parent !== undefined);
  if (followed.some((parent) => parent.aborted)) controller.abort();
  for (const parent of followed) parent.addEventListener('abort', abort, { once: true });
  return {
    signal: controller.signal,
    abort,
    release: () => {
      for (const parent of followed) parent.removeEventListener('abort', abort);
    },
  };
}
