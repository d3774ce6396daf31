import { expect } from 'chai';
import { NodeTimers } from '../../../server/timers/timers.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('timers: NodeTimers', () => {
  let timers: NodeTimers;
  afterEach(() => timers.cancelAll());

  it('runs a periodic task until it is cancelled', async () => {
    timers = new NodeTimers();
    let runs = 0;
    const cancel = timers.every('count', 5, () => {
      runs += 1;
    });
    await sleep(60);
    cancel();
    const seen = runs;
    expect(seen).to.be.at.least(3);
    await sleep(30);
    expect(runs).to.equal(seen);
  });

  it('never starts a run of a task while its previous run is still going', async () => {
    timers = new NodeTimers();
    let running = 0;
    let overlapped = false;
    let runs = 0;
    timers.every('slow', 2, async () => {
      running += 1;
      if (running > 1) overlapped = true;
      runs += 1;
      await sleep(15);
      running -= 1;
    });
    await sleep(80);
    expect(runs).to.be.at.least(2);
    expect(overlapped).to.equal(false);
  });

  it('runs a delayed task once, and not at all when cancelled first', async () => {
    timers = new NodeTimers();
    const ran: string[] = [];
    timers.after('once', 5, () => ran.push('once'));
    const cancel = timers.after('never', 5, () => ran.push('never'));
    cancel();
    await sleep(40);
    expect(ran).to.deep.equal(['once']);
  });

  it('cancelAll stops every pending timer', async () => {
    timers = new NodeTimers();
    let runs = 0;
    timers.every('a', 5, () => {
      runs += 1;
    });
    timers.after('b', 10, () => {
      runs += 100;
    });
    timers.cancelAll();
    await sleep(40);
    expect(runs).to.equal(0);
  });

  it("hands a task's error, thrown or rejected, to the error handler with the task's name", async () => {
    const errors: [string, string][] = [];
    timers = new NodeTimers((name, error) => errors.push([name, error instanceof Error ? error.message : String(error)]));
    timers.after('throws', 1, () => {
      throw new Error('boom');
    });
    timers.after('rejects', 1, () => Promise.reject(new Error('later')));
    await sleep(30);
    expect(errors).to.have.deep.members([['throws', 'boom'], ['rejects', 'later']]);
  });
});
