import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startPolling } from './poll.ts';

class FakeDocument extends EventTarget {
  hidden = false;
}

let doc: FakeDocument;

beforeEach(() => {
  vi.useFakeTimers();
  doc = new FakeDocument();
  vi.stubGlobal('document', doc);
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('startPolling', () => {
  it('runs at once and then on the timer, aborting the run it supersedes', () => {
    const signals: AbortSignal[] = [];
    const poller = startPolling(async (signal) => void signals.push(signal), 1_000);
    expect(signals).toHaveLength(1);
    vi.advanceTimersByTime(1_000);
    expect(signals).toHaveLength(2);
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[1]?.aborted).toBe(false);
    poller.stop();
    expect(signals[1]?.aborted).toBe(true);
    vi.advanceTimersByTime(5_000);
    expect(signals).toHaveLength(2);
  });

  it('skips hidden ticks and catches up when the tab is shown', () => {
    let runs = 0;
    const poller = startPolling(async () => void runs++, 1_000);
    doc.hidden = true;
    vi.advanceTimersByTime(3_000);
    expect(runs).toBe(1);
    doc.hidden = false;
    doc.dispatchEvent(new Event('visibilitychange'));
    expect(runs).toBe(2);
    poller.stop();
    doc.dispatchEvent(new Event('visibilitychange'));
    expect(runs).toBe(2);
  });

  it('does not let a failed run escape', async () => {
    const poller = startPolling(() => Promise.reject(new Error('boom')), 1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    poller.stop();
  });
});
