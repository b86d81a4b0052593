// Small builders shared by the tests.
import { randomUUID } from 'node:crypto';
import type { WindowUsage } from '../Ledger.ts';

export function usage(over: Partial<WindowUsage> = {}): WindowUsage {
  return {
    sessionId: randomUUID(),
    window: 1,
    seconds: 10,
    pricePerSecond: 10n,
    viewer: 'alice',
    creator: 'carol',
    stream: 'stream-1',
    ...over,
  };
}

/** Deterministic xorshift32 in [0, 1), so a failing case is reproducible from its seed. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}
