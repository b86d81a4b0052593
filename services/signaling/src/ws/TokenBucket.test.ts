import { describe, expect, it } from 'vitest';
import { TokenBucket } from './TokenBucket.ts';

describe('TokenBucket', () => {
  it('allows a burst, then refuses until it refills', () => {
    const bucket = new TokenBucket(3, 2, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, true, false]);
    expect(bucket.take(499)).toBe(false);
    expect(bucket.take(500)).toBe(true);
  });
  it('never stores more than the burst', () => {
    const bucket = new TokenBucket(2, 10, 0);
    const results = [0, 1, 2].map(() => bucket.take(60_000));
    expect(results).toEqual([true, true, false]);
  });
});
