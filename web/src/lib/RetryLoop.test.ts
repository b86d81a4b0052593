import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RetryLoop, Superseded } from './RetryLoop.ts';

describe('RetryLoop', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs attempts with increasing generations and backoff delays', () => {
    const runs: number[] = [];
    const loop = new RetryLoop((g) => runs.push(g), { jitter: 0 });
    loop.start();
    expect(runs).toEqual([1]);

    expect(loop.retry(1)).toBe(500);
    expect(loop.isCurrent(1)).toBe(false);
    vi.advanceTimersByTime(499);
    expect(runs).toEqual([1]);
    vi.advanceTimersByTime(1);
    expect(runs).toEqual([1, 3]);

    expect(loop.retry(3)).toBe(1000);
    vi.advanceTimersByTime(1000);
    expect(runs).toEqual([1, 3, 5]);
    expect(loop.isCurrent(5)).toBe(true);
  });

  it('schedules only one retry per failed attempt', () => {
    const runs: number[] = [];
    const loop = new RetryLoop((g) => runs.push(g), { jitter: 0 });
    loop.start();
    expect(loop.retry(1)).toBe(500);
    expect(loop.retry(1)).toBeNull();
    vi.advanceTimersByTime(10_000);
    expect(runs).toHaveLength(2);
  });

  it('resets the delay after succeeded()', () => {
    const loop = new RetryLoop(() => {}, { jitter: 0 });
    loop.start();
    loop.retry(1);
    vi.advanceTimersByTime(500);
    loop.retry(3);
    vi.advanceTimersByTime(1000);
    loop.succeeded();
    expect(loop.attempt).toBe(0);
    expect(loop.retry(5)).toBe(500);
  });

  it('stop() cancels a pending retry and invalidates the current attempt', () => {
    const runs: number[] = [];
    const loop = new RetryLoop((g) => runs.push(g), { jitter: 0 });
    loop.start();
    loop.retry(1);
    loop.stop();
    vi.advanceTimersByTime(10_000);
    expect(runs).toEqual([1]);
    expect(loop.stopped).toBe(true);
    expect(loop.isCurrent(2)).toBe(false);
    loop.start();
    expect(runs).toEqual([1]);
  });

  it('assertCurrent() throws Superseded once an attempt is abandoned', () => {
    const loop = new RetryLoop(() => {}, { jitter: 0 });
    loop.start();
    expect(() => loop.assertCurrent(1)).not.toThrow();
    loop.retry(1);
    expect(() => loop.assertCurrent(1)).toThrow(Superseded);
    vi.advanceTimersByTime(500);
    expect(() => loop.assertCurrent(3)).not.toThrow();
    loop.stop();
    expect(() => loop.assertCurrent(3)).toThrow(Superseded);
  });
});
