import type { Logger } from 'pino';
import type { StreamStore } from '../StreamStore.ts';

/** How often leases are renewed and expired ones swept, for a lease of `seconds`. */
export function leaseTiming(seconds: number): { renewMs: number; sweepMs: number } {
  // Four renewals per lease: a replica misses three (a slow database, a long GC) before its
  // streams end. Sweeping as often ends a dead replica's streams within 1.25 leases.
  const every = Math.max(250, Math.floor((seconds * 1000) / 4));
  return { renewMs: every, sweepMs: every };
}

export interface LiveLeasesDeps {
  store: StreamStore;
  log: Logger;
  /** The streams whose lease this replica must keep: a publisher here, or its grace running here. */
  held(): string[];
  /** Held streams whose lease is no longer this replica's (taken over, or the stream ended). */
  lost(streamIds: string[]): void;
  /** Streams this replica just ended because their lease had passed. */
  expired(streamIds: string[]): void;
}

/**
 * Keeps this replica's live streams live in the database, and ends anyone's whose lease
 * passed. A replica that dies stops renewing, so its streams end once their lease runs out
 * (unless their publisher reconnects to another replica first, which claims the lease); a
 * replica that starts ends nothing that is still leased.
 */
export class LiveLeases {
  readonly #d: LiveLeasesDeps;
  readonly #timers: NodeJS.Timeout[] = [];
  #renewing = false;
  #sweeping = false;

  constructor(deps: LiveLeasesDeps) {
    this.#d = deps;
  }

  start(): void {
    const { renewMs, sweepMs } = leaseTiming(this.#d.store.lease.seconds);
    this.#timers.push(setInterval(() => void this.renew(), renewMs).unref());
    this.#timers.push(setInterval(() => void this.sweep(), sweepMs).unref());
  }

  /** One renewal round; rounds never overlap, a slow one makes the next wait. */
  async renew(): Promise<void> {
    if (this.#renewing) return;
    this.#renewing = true;
    try {
      const held = this.#d.held();
      const renewed = new Set(await this.#d.store.renewLeases(held));
      const lost = held.filter((id) => !renewed.has(id));
      if (lost.length) this.#d.lost(lost);
    } catch (err) {
      this.#d.log.warn({ err }, 'live leases not renewed');
    } finally {
      this.#renewing = false;
    }
  }

  async sweep(): Promise<void> {
    if (this.#sweeping) return;
    this.#sweeping = true;
    try {
      const ended = await this.#d.store.endExpiredLeases();
      if (ended.length) {
        this.#d.log.warn({ streams: ended }, 'ended live streams whose lease passed');
        this.#d.expired(ended);
      }
    } catch (err) {
      this.#d.log.warn({ err }, 'expired live leases not swept');
    } finally {
      this.#sweeping = false;
    }
  }

  close(): void {
    for (const t of this.#timers) clearInterval(t);
    this.#timers.length = 0;
  }
}
