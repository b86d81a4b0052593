import type Router from '@koa/router';
import type Koa from 'koa';
import { HttpError } from './errors.ts';

/**
 * A router's routes and method check as one middleware: a wrong method leaves as a JSON 405
 * (with Allow) like every other failure, not as Koa's plain-text one.
 */
export function routerMiddleware(router: Router): Koa.Middleware {
  // Router middleware types a richer context than Koa.Middleware; Koa passes the same object.
  const routes = router.routes() as unknown as Koa.Middleware;
  const methods = router.allowedMethods() as unknown as Koa.Middleware;
  return async (ctx, next) => {
    await routes(ctx, () => methods(ctx, next));
    if (ctx.status === 405 && ctx.body == null) throw new HttpError(405, 'bad_request', `${ctx.method} is not allowed on ${ctx.path}`);
  };
}
