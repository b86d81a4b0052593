import Router from '@koa/router';
import type Koa from 'koa';
import { HttpError } from '@vilokanam/contracts/http';
import type { Database } from '@vilokanam/settlement/db';
import { requireMember } from '../http/member.ts';
import { routerMiddleware } from '@vilokanam/contracts/http';
import { profileSummaries } from '../profiles/profileSummaries.ts';
import type { ChatModeration } from './ChatModeration.ts';

const ACCOUNT = /^0x[0-9a-f]{64}$/;

function accountParam(value: string | undefined): string {
  if (!value || !ACCOUNT.test(value)) throw new HttpError(404, 'not_found', 'no such account');
  return value;
}

/** The creator's side of moderation over REST: appointing moderators and reading the log. */
export function moderationRoutes(deps: { db: Database; moderation: ChatModeration }): Koa.Middleware {
  const router = new Router({ prefix: '/api/v1' });

  router.get('/channels/:creatorId/moderators', async (ctx) => {
    const channel = accountParam(ctx.params.creatorId);
    const rows = await deps.db.query<{ account: string; created_at: Date | string }>('SELECT account, created_at FROM chat_moderators WHERE channel = $1 ORDER BY created_at LIMIT 500', [channel]);
    const people = await profileSummaries(deps.db, rows.map((r) => r.account));
    ctx.body = {
      moderators: rows.map((r) => {
        const p = people.get(r.account);
        return { id: r.account, handle: p?.handle ?? null, displayName: p?.displayName ?? r.account, avatarUrl: p?.avatarUrl ?? null, followedAt: new Date(r.created_at).toISOString() };
      }),
    };
  });

  router.put('/me/moderators/:accountId', async (ctx) => {
    await deps.moderation.appoint(requireMember(ctx), accountParam(ctx.params.accountId));
    ctx.status = 204;
  });

  router.delete('/me/moderators/:accountId', async (ctx) => {
    await deps.moderation.dismiss(requireMember(ctx), accountParam(ctx.params.accountId));
    ctx.status = 204;
  });

  router.get('/me/modlog', async (ctx) => {
    const before = typeof ctx.query.before === 'string' && /^[0-9]{1,19}$/.test(ctx.query.before) ? ctx.query.before : undefined;
    ctx.body = { entries: await deps.moderation.log(requireMember(ctx), before) };
  });

  return routerMiddleware(router);
}
