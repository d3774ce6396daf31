import { expect } from 'chai';
import { followFeed } from '../../../server/solid/follow.js';
import type { Timers } from '../../../server/timers/timers.js';

/** Timers run by hand: `tick()` runs the task once, as the interval would. */
function manualTimers(): { timers: Timers; tick: () => Promise<void>; cancelled: () => boolean } {
  let task: (() => unknown) | undefined;
  let cancelled = false;
  return {
    timers: {
      every: (_name, _ms, run) => {
        task = run;
        return () => {
          cancelled = true;
        };
      },
      after: () => () => undefined,
      cancelAll: () => undefined,
    },
    tick: async () => {
      try {
        await task?.();
      } catch {
        // the timers report a task's error; the next tick runs again
      }
    },
    cancelled: () => cancelled,
  };
}

describe('solid/follow', () => {
  it('publishes once per new feed position, again after a failed publication, and stops', async () => {
    let seq = 10;
    let publications = 0;
    let fail = false;
    const { timers, tick, cancelled } = manualTimers();
    const stop = await followFeed({
      eid: 'farm', timers, feed: { latestSeq: async () => seq },
      publish: async () => {
        publications++;
        if (fail) throw new Error('pod down');
      },
    });
    await tick();
    expect(publications).to.equal(0);
    seq = 12;
    await tick();
    await tick();
    expect(publications).to.equal(1);
    seq = 13;
    fail = true;
    await tick();
    fail = false;
    await tick();
    await tick();
    expect(publications).to.equal(3);
    stop();
    expect(cancelled()).to.equal(true);
  });
});
