/** Reports older than this no longer describe the picture. */
const FRESH_MS = 30_000;

/** Each viewer's latest freeze report, by stream then session: one entry per member at most. */
export class ViewerQuality {
  readonly #reports = new Map<string, Map<string, { at: number; freezes: number }>>();

  report(streamId: string, sessionId: string, freezesLastMinute: number): void {
    let reports = this.#reports.get(streamId);
    if (!reports) this.#reports.set(streamId, (reports = new Map()));
    reports.set(sessionId, { at: Date.now(), freezes: freezesLastMinute });
  }

  left(streamId: string, sessionId: string): void {
    this.#reports.get(streamId)?.delete(sessionId);
  }

  ended(streamId: string): void {
    this.#reports.delete(streamId);
  }

  /** Freezes reported by sessions still present within the last 30 s: how many, and how many viewers froze. */
  summary(streamId: string, present: (sessionId: string) => boolean): { reporting: number; freezing: number; freezesLastMinute: number } {
    const now = Date.now();
    let reporting = 0;
    let freezing = 0;
    let freezesLastMinute = 0;
    for (const [sessionId, r] of this.#reports.get(streamId) ?? []) {
      if (now - r.at > FRESH_MS || !present(sessionId)) continue;
      reporting++;
      if (r.freezes > 0) freezing++;
      freezesLastMinute += r.freezes;
    }
    return { reporting, freezing, freezesLastMinute };
  }
}
