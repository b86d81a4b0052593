import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { z } from 'zod';
import { HTTP_STATUS, VilokanamError, zodMessage } from '@vilokanam/contracts/errors';
import type { ErrorCode } from '@vilokanam/contracts/signaling';

/** A refused request whose status is not the one its code implies (405 for a wrong method). */
export class HttpError extends VilokanamError<ErrorCode> {
  readonly status: number;

  constructor(status: number, code: ErrorCode, message: string) {
    super(code, message);
    this.status = status;
  }
}

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
      if (err instanceof VilokanamError) {
        code = err.code as ErrorCode;
        message = err.message;
        status = err instanceof HttpError ? err.status : (HTTP_STATUS[code] ?? 500);
      } else if (err instanceof z.ZodError) {
        status = 400;
        code = 'bad_request';
        message = zodMessage(err, { root: 'body' });
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
