import type { Logger } from 'pino';

/**
 * Writes each live stream's viewer count (and so its peak) to the database for browse and
 * creator pages, at most once per interval per stream: a crowd joining at once costs a few
 * writes, not one per viewer. The latest count always lands.
 */
export class ViewerCounts {
  readonly #write: (streamId: string, count: number) => Promise<void>;
  readonly #log: Logger;
  readonly #intervalMs: number;
  readonly #pending = new Map<string, number>();
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(write: (streamId: string, count: number) => Promise<void>, log: Logger, intervalMs = 2_000) {
    this.#write = write;
    this.#log = log;
    this.#intervalMs = intervalMs;
  }

  report(streamId: string, count: number): void {
    this.#pending.set(streamId, count);
    if (this.#timers.has(streamId)) return;
    this.#flush(streamId);
  }

  #flush(streamId: string): void {
    const count = this.#pending.get(streamId);
    if (count === undefined) {
      this.#timers.delete(streamId);
      return;
    }
    this.#pending.delete(streamId);
    this.#write(streamId, count).catch((err: unknown) => this.#log.warn({ err, streamId }, 'viewer count not recorded'));
    this.#timers.set(streamId, setTimeout(() => this.#flush(streamId), this.#intervalMs).unref());
  }

  close(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    this.#pending.clear();
  }
}
