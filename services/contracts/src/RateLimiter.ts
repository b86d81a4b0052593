import { TokenBucket } from './TokenBucket.ts';

/**
 * A token bucket per key (a client address, an account id): `burst` at once, refilled at `perMinute`. Memory
 * is bounded: past `maxKeys`, full buckets are dropped first (they hold no information), then
 * the least recently used.
 */
export class RateLimiter {
  readonly #burst: number;
  readonly #perSecond: number;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(opts: { burst: number; perMinute: number; maxKeys?: number }) {
    this.#burst = opts.burst;
    this.#perSecond = opts.perMinute / 60;
    this.#maxKeys = opts.maxKeys ?? 10_000;
  }

  /** True if the key may proceed; false means it is over its budget right now. */
  take(key: string, now = Date.now()): boolean {
    const bucket = this.#buckets.get(key) ?? new TokenBucket(this.#burst, this.#perSecond, now);
    // Re-inserting keeps the map in least-recently-used order.
    this.#buckets.delete(key);
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > this.#maxKeys) this.#evict(now);
    return bucket.take(now);
  }

  /** Seconds until the key has a token again; for Retry-After. */
  retryAfterSeconds(key: string, now = Date.now()): number {
    return this.#buckets.get(key)?.secondsUntilToken(now) ?? 0;
  }

  get size(): number {
    return this.#buckets.size;
  }

  #evict(now: number): void {
    for (const [key, bucket] of this.#buckets) if (bucket.full(now)) this.#buckets.delete(key);
    // Down to 90 %, so a flood of new keys pays for a sweep once per many requests, not each.
    const target = Math.floor(this.#maxKeys * 0.9);
    for (const key of this.#buckets.keys()) {
      if (this.#buckets.size <= target) break;
      this.#buckets.delete(key);
    }
  }
}
