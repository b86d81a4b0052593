// Messages from Redis, a node's control channel or a browser are untrusted until parsed. One
// class decides what happens to those that fail: each is counted, the first of each source is
// logged with the reason, and later ones are summed into at most one line per interval, so a
// flood of garbage can neither crash a process nor fill its logs.
import type { z } from 'zod';
import { zodMessage } from './errors.ts';

export interface UntrustedInputOptions {
  /** Counts one malformed message from `source` (a prom-client counter's inc). */
  count(source: string): void;
  /** Where the summary lines go (a pino logger's warn). */
  warn(obj: Record<string, unknown>, msg: string): void;
  /** How often a source's further failures may be logged. */
  intervalMs?: number;
  now?: () => number;
}

interface SourceLog {
  lastLoggedAt: number;
  suppressed: number;
}

export class UntrustedInput {
  readonly #opts: UntrustedInputOptions;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #sources = new Map<string, SourceLog>();

  constructor(opts: UntrustedInputOptions) {
    this.#opts = opts;
    this.#intervalMs = opts.intervalMs ?? 60_000;
    this.#now = opts.now ?? Date.now;
  }

  /** JSON text through a schema: the value, or undefined after counting the failure. */
  parseJson<T>(source: string, schema: z.ZodType<T>, text: string): T | undefined {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.reject(source, 'not JSON');
      return undefined;
    }
    return this.parse(source, schema, value);
  }

  parse<T>(source: string, schema: z.ZodType<T>, value: unknown): T | undefined {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    this.reject(source, zodMessage(parsed.error, { root: 'message', max: 3 }));
    return undefined;
  }

  /** Counts a message refused for `reason`; logs it if this source has been quiet for a while. */
  reject(source: string, reason: string): void {
    this.#opts.count(source);
    const now = this.#now();
    const seen = this.#sources.get(source);
    if (seen && now - seen.lastLoggedAt < this.#intervalMs) {
      seen.suppressed++;
      return;
    }
    // The reason names the failing field, never the content: it may be anyone's text.
    this.#opts.warn({ source, reason: reason.slice(0, 300), suppressedSinceLast: seen?.suppressed ?? 0 }, 'malformed message dropped');
    this.#sources.set(source, { lastLoggedAt: now, suppressed: 0 });
  }
}
