import Router from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import { HttpError } from '@vilokanam/contracts/http';
import { WebhookCreate } from '@vilokanam/contracts/social';
import { requireMember } from '../http/member.ts';
import { routerMiddleware } from '@vilokanam/contracts/http';
import type { Webhooks } from './Webhooks.ts';

export interface WebhookRoutesDeps {
  webhooks: Webhooks;
}

const WebhookId = z.uuid();

/** The signed-in creator's go-live webhooks. */
export function webhookRoutes(deps: WebhookRoutesDeps): Middleware {
  const { webhooks } = deps;
  const router = new Router({ prefix: '/api/v1' });

  router.get('/me/webhooks', async (ctx) => {
    const member = requireMember(ctx);
    ctx.body = { webhooks: await webhooks.list(member.id) };
  });

  router.post('/me/webhooks', async (ctx) => {
    const member = requireMember(ctx);
    const { url } = WebhookCreate.parse(ctx.request.body ?? {});
    const created = await webhooks.create(member.id, url);
    if (!created.ok) throw new HttpError(created.reason === 'full' ? 409 : 400, created.reason === 'full' ? 'conflict' : 'bad_request', created.message);
    ctx.status = 201;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { webhook: created.webhook };
  });

  router.delete('/me/webhooks/:id', async (ctx) => {
    const member = requireMember(ctx);
    const id = WebhookId.safeParse(ctx.params.id);
    if (!id.success || !(await webhooks.remove(member.id, id.data))) throw new HttpError(404, 'not_found', 'no such webhook');
    ctx.status = 204;
  });

  return routerMiddleware(router);
}
