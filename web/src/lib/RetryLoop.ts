// Owns the "which connection attempt is current" question for Publisher and Viewer.
// Every attempt gets a generation number; async work from an abandoned attempt checks
// it and bows out, which is what keeps late callbacks from a dead socket harmless.
import { Backoff, type BackoffOptions } from '@vilokanam/contracts/backoff';

/** Thrown by assertCurrent() inside an abandoned attempt; the attempt's catch simply returns. */
export class Superseded extends Error {}

export class RetryLoop {
  #generation = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #stopped = false;
  readonly #backoff: Backoff;
  readonly #run: (generation: number) => void;

  constructor(run: (generation: number) => void, options: BackoffOptions = { jitter: 0.2 }) {
    this.#run = run;
    this.#backoff = new Backoff(options);
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Failed attempts since the last success. */
  get attempt(): number {
    return this.#backoff.attempt;
  }

  /** Begin a fresh attempt immediately, abandoning any current one. */
  start(): void {
    if (this.#stopped) return;
    this.#clearTimer();
    this.#run(++this.#generation);
  }

  isCurrent(generation: number): boolean {
    return !this.#stopped && generation === this.#generation;
  }

  /** Between the awaits of an attempt: a newer attempt (or stop()) ends this one here. */
  assertCurrent(generation: number): void {
    if (!this.isCurrent(generation)) throw new Superseded();
  }

  /**
   * Abandon attempt `generation` and schedule the next one after a backoff delay.
   * Returns the delay, or null when the attempt was already superseded (so several
   * failure signals for one attempt schedule only one retry).
   */
  retry(generation: number): number | null {
    if (!this.isCurrent(generation)) return null;
    this.#generation++;
    const delay = this.#backoff.next();
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.start();
    }, delay);
    return delay;
  }

  /** Call once an attempt is healthy, so the next outage starts from the short delay. */
  succeeded(): void {
    this.#backoff.reset();
  }

  stop(): void {
    this.#stopped = true;
    this.#generation++;
    this.#clearTimer();
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
