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

describe('TokenBucket, for keyed limiters', () => {
  it('says when it is full and how long until the next token', () => {
    const bucket = new TokenBucket(2, 1, 0);
    expect(bucket.full(0)).toBe(true);
    bucket.take(0);
    bucket.take(0);
    expect(bucket.full(0)).toBe(false);
    expect(bucket.secondsUntilToken(0)).toBe(1);
    expect(bucket.secondsUntilToken(1000)).toBe(0);
    expect(bucket.full(2000)).toBe(true);
  });
});
