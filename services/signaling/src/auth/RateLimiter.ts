/**
 * Token buckets per key (a client IP): `burst` at once, refilled at `perMinute`. Memory is
 * bounded: past `maxKeys`, full buckets are dropped first (they hold no information), then
 * the least recently used.
 */
export class RateLimiter {
  readonly #burst: number;
  readonly #perMs: number;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, { tokens: number; last: number }>();

  constructor(opts: { burst: number; perMinute: number; maxKeys?: number }) {
    this.#burst = opts.burst;
    this.#perMs = opts.perMinute / 60_000;
    this.#maxKeys = opts.maxKeys ?? 10_000;
  }

  /** True if the key may proceed; false means it is over its budget right now. */
  take(key: string, now = Date.now()): boolean {
    const b = this.#buckets.get(key) ?? { tokens: this.#burst, last: now };
    b.tokens = Math.min(this.#burst, b.tokens + Math.max(0, now - b.last) * this.#perMs);
    b.last = now;
    // Re-inserting keeps the map in least-recently-used order.
    this.#buckets.delete(key);
    this.#buckets.set(key, b);
    if (this.#buckets.size > this.#maxKeys) this.#evict(now);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Seconds until the key has a token again; for Retry-After. */
  retryAfterSeconds(key: string, now = Date.now()): number {
    const b = this.#buckets.get(key);
    if (!b) return 0;
    const tokens = Math.min(this.#burst, b.tokens + Math.max(0, now - b.last) * this.#perMs);
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / this.#perMs / 1000);
  }

  get size(): number {
    return this.#buckets.size;
  }

  #evict(now: number): void {
    for (const [key, b] of this.#buckets) {
      if (b.tokens + (now - b.last) * this.#perMs >= this.#burst) this.#buckets.delete(key);
    }
    // Down to 90 %, so a flood of new keys pays for a sweep once per many requests, not each.
    const target = Math.floor(this.#maxKeys * 0.9);
    for (const key of this.#buckets.keys()) {
      if (this.#buckets.size <= target) break;
      this.#buckets.delete(key);
    }
  }
}
