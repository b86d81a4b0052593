// One way for a test to wait for something it can observe: poll it, with a deadline that names
// what was awaited and the last value seen.

export interface WaitOptions<T> {
  /** Default 20 s. */
  timeoutMs?: number;
  /** Default 50 ms. */
  everyMs?: number;
  /** When the value is the one awaited; default: anything but undefined, null and false. */
  until?: (value: T) => boolean;
}

const settled = (v: unknown) => v !== undefined && v !== null && v !== false;

/**
 * Polls `read` until its value passes `until`, and returns that value. A `read` that throws
 * counts as not yet, so a server still starting can be polled; the last error is reported.
 * `options` as a number is the timeout.
 */
export function waitFor<T>(what: string, read: () => T | Promise<T>, options: WaitOptions<T> & { until: (value: T) => boolean }): Promise<T>;
export function waitFor<T>(what: string, read: () => T | Promise<T>, options?: Omit<WaitOptions<T>, 'until'> | number): Promise<Exclude<T, undefined | null | false>>;
export async function waitFor<T>(what: string, read: () => T | Promise<T>, options: WaitOptions<T> | number = {}): Promise<T> {
  const opts = typeof options === 'number' ? { timeoutMs: options } : options;
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const until = opts.until ?? settled;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await read();
      if (until(value)) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const seen = last instanceof Error ? last.message : String(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${seen})`);
    }
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 50));
  }
}
