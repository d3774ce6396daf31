/**
 * The one home of a node's background timers: the sync scheduler's tick, the webhook deliveries and their
 * retries, the feed's retention (and, to come, the expiry of order reservations). `main.ts` builds one
 * {@link NodeTimers} and hands it to each part that needs time to pass; stopping the node cancels them all at
 * once, and a test can hand in timers it drives itself.
 *
 * Deadlines of a single request (the safe client's connect and response timeouts) are not background work
 * and stay with the request in `net/`.
 *
 * @packageDocumentation
 */

/** Cancels one timer; calling it again does nothing. */
export type CancelTimer = () => void;

/** Where background work is scheduled. */
export interface Timers {
  /**
   * Runs `task` every `ms` milliseconds (first after `ms`). A run that is still going when the next is due
   * makes that next one skip: one task never runs twice at once.
   *
   * @param name - what the task is, for the error report
   */
  every(name: string, ms: number, task: () => unknown): CancelTimer;
  /** Runs `task` once, after `ms` milliseconds. */
  after(name: string, ms: number, task: () => unknown): CancelTimer;
  /** Cancels every timer still pending (runs in progress finish on their own). */
  cancelAll(): void;
}

/** What to do with a task's error: timers never let one escape as an unhandled rejection. */
export type TimerErrorHandler = (name: string, error: unknown) => void;

/** {@link Timers} on Node's event loop; timers never keep the process alive (`unref`). */
export class NodeTimers implements Timers {
  private readonly pending = new Set<NodeJS.Timeout>();

  public constructor(private readonly onError: TimerErrorHandler = () => undefined) {}

  public every(name: string, ms: number, task: () => unknown): CancelTimer {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      // `run` never rejects: a task's error goes to `onError`.
      void this.run(name, task).finally(() => {
        running = false;
      });
    }, ms);
    return this.track(timer, () => clearInterval(timer));
  }

  public after(name: string, ms: number, task: () => unknown): CancelTimer {
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      void this.run(name, task);
    }, ms);
    return this.track(timer, () => clearTimeout(timer));
  }

  public cancelAll(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }

  private track(timer: NodeJS.Timeout, clear: () => void): CancelTimer {
    timer.unref();
    this.pending.add(timer);
    return () => {
      clear();
      this.pending.delete(timer);
    };
  }

  private async run(name: string, task: () => unknown): Promise<void> {
    try {
      await task();
    } catch (error: unknown) {
      this.onError(name, error);
    }
  }
}

/**
 * Keeps the process alive until the returned function is called: {@link NodeTimers} are unref'd (they never hold
 * a process up), so a command that works only on timers and waits for a signal (`solid publish --follow`), with no
 * server listening, holds the process with this.
 */
export function holdProcess(): () => void {
  const timer = setInterval(() => undefined, 2 ** 30);
  return () => clearInterval(timer);
}
