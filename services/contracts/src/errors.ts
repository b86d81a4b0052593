// One error base for everything that crosses a boundary (an HTTP body, a WebSocket error
// frame, a control-channel reply, a CR condition): a code a program can act on, and a message
// a person can read. One formatter for schema failures, so every refusal reads the same.
import type { z } from 'zod';

export class VilokanamError<C extends string = string> extends Error {
  readonly code: C;

  constructor(code: C, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * What a schema refused, on one line: `path: message; path: message`. `prefix` names where
 * the value came from (`spec.`, `VILO_…`); `root` stands in for an empty path.
 */
export function zodMessage(error: z.ZodError, opts: { prefix?: string; root?: string; max?: number } = {}): string {
  const issues = opts.max === undefined ? error.issues : error.issues.slice(0, opts.max);
  return issues
    .map((i) => {
      const path = i.path.map(String).join('.');
      return `${path ? `${opts.prefix ?? ''}${path}` : (opts.root ?? 'value')}: ${i.message}`;
    })
    .join('; ');
}

/** Codes of errors a caller caused, and the HTTP status each one means. */
export const HTTP_STATUS = {
  bad_request: 400,
  unsupported_version: 400,
  unknown_type: 400,
  unauthorized: 401,
  payment_required: 402,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  stream_not_live: 409,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
} as const;
