import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { z } from 'zod';
import { SfuError } from '@vilokanam/sfu-node';
import type { ErrorCode } from '../protocol.ts';

export class HttpError extends Error {
  readonly status: number;
  readonly code: ErrorCode;

  constructor(status: number, code: ErrorCode, message: string) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
  }
}

const SFU_STATUS = { not_found: 404, bad_request: 400, forbidden: 403, conflict: 409 } as const;

/** Every failure leaves as `{ error: { code, message } }`; only 5xx are logged with stacks. */
export function errorMiddleware(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new HttpError(404, 'not_found', `no route for ${ctx.method} ${ctx.path}`);
      }
    } catch (err) {
      let status = 500;
      let code: ErrorCode = 'internal';
      let message = 'internal error';
      if (err instanceof HttpError) ({ status, code, message } = err);
      else if (err instanceof SfuError) ({ code, message } = err), (status = SFU_STATUS[err.code]);
      else if (err instanceof z.ZodError) {
        status = 400;
        code = 'bad_request';
        message = err.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
      } else if (isClientError(err)) {
        status = err.status;
        code = 'bad_request';
        message = err instanceof SyntaxError ? 'request body is not valid JSON' : err.expose ? err.message : 'bad request';
      }
      if (status >= 500) log.error({ err, path: ctx.path }, 'request failed');
      ctx.status = status;
      ctx.body = { error: { code, message } };
    }
  };
}

/** Body parsing and Koa's own checks throw errors carrying a 4xx status. */
function isClientError(err: unknown): err is { status: number; message: string; expose?: boolean } {
  const status = (err as { status?: unknown })?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}
