// A controller work queue in the client-go mould: a key is queued at most once, never handled
// by two workers at the same time (a key added while in flight runs again afterwards), and a
// failing key comes back with per-key exponential backoff.
import { EventEmitter } from 'node:events';
import { backoffDelay } from '@vilokanam/contracts/backoff';

export interface WorkResult {
  /** Handle the key again after this long even if nothing changes (polling a slow outcome). */
  requeueAfterMs?: number;
}

export type WorkHandler = (key: string) => Promise<WorkResult | void>;

export interface WorkQueueEvents {
  done: [{ key: string; ms: number; error: Error | undefined; retryInMs: number | undefined }];
}

export interface WorkQueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export class WorkQueue extends EventEmitter<WorkQueueEvents> {
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #queue: string[] = [];
  readonly #queued = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  #wake: (() => void) | undefined;
  #stopped = false;
  #workers: Promise<void>[] = [];

  constructor(opts: WorkQueueOptions = {}) {
    super();
    this.#baseDelayMs = opts.baseDelayMs ?? 50;
    this.#maxDelayMs = opts.maxDelayMs ?? 30_000;
  }

  get depth(): number {
    return this.#queue.length;
  }

  get inFlight(): number {
    return this.#processing.size;
  }

  add(key: string): void {
    if (this.#stopped) return;
    if (this.#processing.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    this.#queue.push(key);
    this.#wake?.();
  }

  /** Adds the key after a delay; an earlier pending delay for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.#stopped) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const pending = this.#timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.#timers.set(key, { at, timer });
  }

  /** Backoff for a key that failed: base·2^(failures−1), capped. */
  retryDelay(key: string): number {
    const n = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, n);
    return backoffDelay(n - 1, { initialMs: this.#baseDelayMs, maxMs: this.#maxDelayMs });
  }

  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  start(workers: number, handler: WorkHandler): void {
    for (let i = 0; i < workers; i++) this.#workers.push(this.#work(handler));
  }

  /** Stops taking keys and waits for the ones in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#queue.length = 0;
    this.#queued.clear();
    this.#wake?.();
    await Promise.all(this.#workers);
    this.#workers = [];
  }

  async #next(): Promise<string | undefined> {
    while (!this.#stopped) {
      const key = this.#queue.shift();
      if (key !== undefined) {
        this.#queued.delete(key);
        return key;
      }
      await new Promise<void>((resolve) => {
        const previous = this.#wake;
        this.#wake = () => {
          this.#wake = undefined;
          previous?.();
          resolve();
        };
      });
    }
    return undefined;
  }

  async #work(handler: WorkHandler): Promise<void> {
    for (;;) {
      const key = await this.#next();
      if (key === undefined) return;
      this.#processing.add(key);
      const started = performance.now();
      let error: Error | undefined;
      let retryInMs: number | undefined;
      try {
        const result = await handler(key);
        this.forget(key);
        retryInMs = result?.requeueAfterMs;
      } catch (err) {
        error = err instanceof Error ? err : new Error(String(err));
        retryInMs = this.retryDelay(key);
      }
      this.#processing.delete(key);
      this.emit('done', { key, ms: performance.now() - started, error, retryInMs });
      if (this.#dirty.delete(key)) this.add(key);
      else if (retryInMs !== undefined) this.addAfter(key, retryInMs);
    }
  }
}
