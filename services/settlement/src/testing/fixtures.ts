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

/**
 * A usage that carries its unix seconds, as SettlementWorker passes them (W = 10 unless given):
 * the window is the first second's, `seconds` their count.
 */
export function watched(unixSeconds: readonly number[], over: Partial<WindowUsage> = {}): WindowUsage {
  const windowSeconds = over.windowSeconds ?? 10;
  return usage({ window: Math.floor(unixSeconds[0]! / windowSeconds), seconds: unixSeconds.length, unixSeconds, windowSeconds, ...over });
}

/** `n` consecutive unix seconds from `from`. */
export const secondsFrom = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

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
