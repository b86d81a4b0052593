import { describe, expect, it } from 'vitest';
import { RateLimiter } from './RateLimiter.ts';

describe('RateLimiter', () => {
  it('allows a burst, then refills at the configured rate', () => {
    const l = new RateLimiter({ burst: 2, perMinute: 6 });
    expect([l.take('a', 0), l.take('a', 0), l.take('a', 0)]).toEqual([true, true, false]);
    expect(l.retryAfterSeconds('a', 0)).toBe(10);
    expect(l.take('a', 9_000)).toBe(false);
    expect(l.take('a', 10_000)).toBe(true);
    expect(l.take('b', 10_000)).toBe(true);
  });

  it('keeps memory bounded when many keys appear', () => {
    const l = new RateLimiter({ burst: 1, perMinute: 1, maxKeys: 100 });
    for (let i = 0; i < 10_000; i++) l.take(`k${i}`, 0);
    expect(l.size).toBeLessThanOrEqual(100);
    // The most recent keys are the ones remembered.
    expect(l.take('k9999', 0)).toBe(false);
  });
});
