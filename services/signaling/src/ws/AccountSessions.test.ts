import { describe, expect, it } from 'vitest';
import { AccountSessions } from './AccountSessions.ts';

describe('AccountSessions', () => {
  it('bounds sessions per account and sums what they cost', () => {
    const a = new AccountSessions();
    expect(a.reserve('alice', 's1', 5n, 2)).toBe(true);
    expect(a.reserve('alice', 's2', 7n, 2)).toBe(true);
    expect(a.reserve('alice', 's3', 1n, 2)).toBe(false);
    expect(a.reserve('bob', 's4', 1n, 2)).toBe(true);
    expect(a.pricePerSecond('alice')).toBe(12n);
    expect(a.count('alice')).toBe(2);
  });

  it('re-reserving a held session is not a new one', () => {
    const a = new AccountSessions();
    expect(a.reserve('alice', 's1', 5n, 1)).toBe(true);
    expect(a.reserve('alice', 's1', 5n, 1)).toBe(true);
    expect(a.count('alice')).toBe(1);
  });

  it('forgets accounts once their last session is released', () => {
    const a = new AccountSessions();
    a.reserve('alice', 's1', 5n, 1);
    a.release('alice', 's1');
    a.release('alice', 's1');
    expect(a.size).toBe(0);
    expect(a.pricePerSecond('alice')).toBe(0n);
    expect(a.reserve('alice', 's2', 5n, 1)).toBe(true);
  });
});
