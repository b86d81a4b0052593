import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelay } from './backoff.ts';

describe('backoffDelay', () => {
  it('doubles from 500 ms and caps at 5 s without jitter', () => {
    const delays = [0, 1, 2, 3, 4, 5, 10].map((a) => backoffDelay(a, { jitter: 0 }));
    expect(delays).toEqual([500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });

  it('never exceeds the cap for huge attempt numbers', () => {
    expect(backoffDelay(10_000, { jitter: 0 })).toBe(5000);
    expect(Number.isFinite(backoffDelay(1e9, { jitter: 0 }))).toBe(true);
  });

  it('treats negative or fractional attempts as whole non-negative numbers', () => {
    expect(backoffDelay(-3, { jitter: 0 })).toBe(500);
    expect(backoffDelay(1.9, { jitter: 0 })).toBe(1000);
  });

  it('jitter only shortens the delay, proportionally to random()', () => {
    expect(backoffDelay(2, { jitter: 0.5, random: () => 0 })).toBe(2000);
    expect(backoffDelay(2, { jitter: 0.5, random: () => 0.5 })).toBe(1500);
    expect(backoffDelay(2, { jitter: 0.5, random: () => 0.999 })).toBeGreaterThanOrEqual(1000);
  });

  it('honours custom bounds', () => {
    expect(backoffDelay(0, { initialMs: 100, maxMs: 250, jitter: 0 })).toBe(100);
    expect(backoffDelay(2, { initialMs: 100, maxMs: 250, jitter: 0 })).toBe(250);
  });
});

describe('Backoff', () => {
  it('advances on next() and starts over after reset()', () => {
    const b = new Backoff({ jitter: 0 });
    expect([b.next(), b.next(), b.next()]).toEqual([500, 1000, 2000]);
    expect(b.attempt).toBe(3);
    b.reset();
    expect(b.attempt).toBe(0);
    expect(b.next()).toBe(500);
  });
});
