/**
 * Counts the picture's freezes as a viewer sees them: a gap of more than `thresholdMs` between
 * two presented frames while the stream is live. Keeps the last minute, bounded.
 */
export class FreezeDetector {
  readonly #thresholdMs: number;
  readonly #freezes: number[] = [];
  #lastFrame: number | null = null;

  constructor(thresholdMs = 600) {
    this.#thresholdMs = thresholdMs;
  }

  /** A frame was presented at `now` (performance.now()). */
  frame(now: number): void {
    if (this.#lastFrame !== null && now - this.#lastFrame > this.#thresholdMs) {
      this.#freezes.push(now);
      if (this.#freezes.length > 600) this.#freezes.shift();
    }
    this.#lastFrame = now;
  }

  /** The picture stopped on purpose (paused, stream ended, reconnecting): the gap is no freeze. */
  reset(): void {
    this.#lastFrame = null;
  }

  lastMinute(now: number): number {
    while (this.#freezes.length > 0 && now - this.#freezes[0]! > 60_000) this.#freezes.shift();
    return this.#freezes.length;
  }
}
