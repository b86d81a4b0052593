// Reconnect delays: doubling from a short first retry (a blip should heal fast) up to a
// cap (so a long outage does not hammer the server), with optional jitter so a whole
// audience dropped by one SFU restart does not reconnect in lockstep.

export interface BackoffOptions {
  /** First delay in ms. */
  initialMs?: number;
  /** Upper bound in ms. */
  maxMs?: number;
  /** Fraction of the delay to randomise, 0..1 (0 = deterministic). */
  jitter?: number;
  /** Source of randomness in [0, 1); injectable for tests. */
  random?: () => number;
}

export const DEFAULT_BACKOFF = { initialMs: 500, maxMs: 5_000, jitter: 0.2 } as const;

/** Delay before retry number `attempt` (0-based). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? DEFAULT_BACKOFF.initialMs;
  const max = options.maxMs ?? DEFAULT_BACKOFF.maxMs;
  const jitter = Math.min(Math.max(options.jitter ?? 0, 0), 1);
  const random = options.random ?? Math.random;
  const n = Math.max(0, Math.floor(attempt));
  // Clamp the exponent so large attempt counts cannot overflow to Infinity.
  const base = Math.min(max, initial * 2 ** Math.min(n, 30));
  if (jitter === 0) return base;
  // Jitter only shortens the delay, so the cap stays a true upper bound.
  return Math.round(base * (1 - jitter * random()));
}

/** Stateful helper: `next()` yields successive delays, `reset()` after a success. */
export class Backoff {
  #attempt = 0;
  readonly #options: BackoffOptions;

  constructor(options: BackoffOptions = {}) {
    this.#options = options;
  }

  get attempt(): number {
    return this.#attempt;
  }

  next(): number {
    const delay = backoffDelay(this.#attempt, this.#options);
    this.#attempt += 1;
    return delay;
  }

  reset(): void {
    this.#attempt = 0;
  }
}
