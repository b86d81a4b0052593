// The HTTP error shape every service answers with: `{ error: { code, message } }`. Koa and pino
// are named by type only, so this stays a dependency-free helper.
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { z } from 'zod';
import { HTTP_STATUS, VilokanamError, zodMessage } from './errors.ts';
import type { ErrorCode } from './signaling.ts';

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

/**
 * A page on another site must not drive a socket with this site's cookies. Browsers always
 * send Origin on a WebSocket; other clients (OBS tooling, tests) send none and hold a token.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: ReadonlySet<string>): boolean {
  if (!origin) return true;
  if (allowed.has(origin)) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

const REASONS: Record<number, string> = { 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests' };

/** The raw HTTP response that refuses a WebSocket upgrade, with the usual JSON error body. */
export function upgradeRefusal(status: 403 | 404 | 429, code: ErrorCode, message: string, retryAfterSeconds?: number): string {
  const retry = retryAfterSeconds ? `Retry-After: ${retryAfterSeconds}\r\n` : '';
  return `HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: application/json\r\n${retry}Connection: close\r\n\r\n${JSON.stringify({ error: { code, message } })}`;
}

/** What routerMiddleware needs of a @koa/router Router. */
interface RouterLike {
  routes(): unknown;
  allowedMethods(): unknown;
}

/**
 * A router's routes and method check as one middleware: a wrong method leaves as a JSON 405
 * (with Allow) like every other failure, not as Koa's plain-text one.
 */
export function routerMiddleware(router: RouterLike): Middleware {
  // Router middleware types a richer context than Koa's; Koa passes the same object.
  const routes = router.routes() as Middleware;
  const methods = router.allowedMethods() as Middleware;
  return async (ctx, next) => {
    await routes(ctx, () => methods(ctx, next));
    if (ctx.status === 405 && ctx.body == null) throw new HttpError(405, 'bad_request', `${ctx.method} is not allowed on ${ctx.path}`);
  };
}
