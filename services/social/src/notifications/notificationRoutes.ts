import Router from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import { requireMember } from '../http/member.ts';
import { routerMiddleware } from '@vilokanam/contracts/http';
import type { Notifications } from './Notifications.ts';

export interface NotificationRoutesDeps {
  notifications: Notifications;
}

const MarkRead = z.object({
  /** Notification ids to mark read; absent marks them all. */
  ids: z
    .array(z.string().regex(/^[1-9][0-9]{0,17}$/, 'a notification id is a decimal number'))
    .min(1)
    .max(100)
    .optional(),
});

/** The signed-in account's notifications: the bell's list and marking them read. */
export function notificationRoutes(deps: NotificationRoutesDeps): Middleware {
  const { notifications } = deps;
  const router = new Router({ prefix: '/api/v1' });

  router.get('/me/notifications', async (ctx) => {
    const member = requireMember(ctx);
    ctx.body = await notifications.list(member.id);
  });

  router.post('/me/notifications/read', async (ctx) => {
    const member = requireMember(ctx);
    const { ids } = MarkRead.parse(ctx.request.body ?? {});
    ctx.body = { unread: await notifications.markRead(member.id, ids) };
  });

  return routerMiddleware(router);
}
