/**
 * Linked signals: fired by any parent (at once by one already fired), or by their own abort; released, they no longer
 * listen to their parents, which keep no listener of theirs.
 */
import { expect } from 'chai';
import { getEventListeners } from 'node:events';
import { linkedSignal } from '../../../server/net/linked-signal.js';

describe('linkedSignal', () => {
  it('fires when any parent fires, and skips undefined parents', () => {
    const a = new AbortController();
    const b = new AbortController();
    const linked = linkedSignal(a.signal, undefined, b.signal);
    expect(linked.signal.aborted).to.equal(false);
    b.abort();
    expect(linked.signal.aborted).to.equal(true);
  });

  it('fires at once when a parent has fired already', () => {
    const a = new AbortController();
    a.abort();
    expect(linkedSignal(new AbortController().signal, a.signal).signal.aborted).to.equal(true);
  });

  it('fires on its own abort, leaving its parents alone', () => {
    const a = new AbortController();
    const linked = linkedSignal(a.signal);
    linked.abort();
    expect(linked.signal.aborted).to.equal(true);
    expect(a.signal.aborted).to.equal(false);
  });

  it('once released, no longer listens to its parents', () => {
    const a = new AbortController();
    const linked = linkedSignal(a.signal);
    expect(getEventListeners(a.signal, 'abort')).to.have.length(1);
    linked.release();
    linked.release();
    expect(getEventListeners(a.signal, 'abort')).to.have.length(0);
    a.abort();
    expect(linked.signal.aborted).to.equal(false);
  });

  it('without parents, fires only on its own abort', () => {
    const linked = linkedSignal();
    expect(linked.signal.aborted).to.equal(false);
    linked.abort();
    expect(linked.signal.aborted).to.equal(true);
  });
});
