import { describe, expect, it } from 'vitest';
import { MemoryAccountSessions } from './MemoryAccountSessions.ts';

describe('MemoryAccountSessions', () => {
  it('bounds sessions per account and sums what they cost', async () => {
    const a = new MemoryAccountSessions();
    expect(await a.reserve('alice', 's1', 5n, 2)).toBe(true);
    expect(await a.reserve('alice', 's2', 7n, 2)).toBe(true);
    expect(await a.reserve('alice', 's3', 1n, 2)).toBe(false);
    expect(await a.reserve('bob', 's4', 1n, 2)).toBe(true);
    expect(await a.pricePerSecond('alice')).toBe(12n);
    expect(a.count('alice')).toBe(2);
  });

  it('counts joins that race against each other', async () => {
    const a = new MemoryAccountSessions();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => a.reserve('alice', `s${i}`, 1n, 3)));
    expect(results.filter(Boolean)).toHaveLength(3);
  });

  it('re-reserving a held session is not a new one', async () => {
    const a = new MemoryAccountSessions();
    expect(await a.reserve('alice', 's1', 5n, 1)).toBe(true);
    expect(await a.reserve('alice', 's1', 5n, 1)).toBe(true);
    expect(a.count('alice')).toBe(1);
  });

  it('forgets accounts once their last session is released', async () => {
    const a = new MemoryAccountSessions();
    await a.reserve('alice', 's1', 5n, 1);
    await a.release('alice', 's1');
    await a.release('alice', 's1');
    expect(a.size).toBe(0);
    expect(await a.pricePerSecond('alice')).toBe(0n);
    expect(await a.reserve('alice', 's2', 5n, 1)).toBe(true);
  });
});
