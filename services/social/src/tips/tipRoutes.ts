import Router from '@koa/router';
import type Koa from 'koa';
import { HttpError } from '@vilokanam/contracts/http';
import { TipRequest, type TipRecord } from '@vilokanam/contracts/social';
import { Tips, type TipRow } from '@vilokanam/settlement';
import type { Database } from '@vilokanam/settlement/db';
import type { ChatService } from '../chat/ChatService.ts';
import { requireMember } from '../http/member.ts';
import { RateLimiter } from '@vilokanam/contracts/rate-limiter';
import { routerMiddleware } from '@vilokanam/contracts/http';
import { profileSummaries } from '../profiles/profileSummaries.ts';
import type { SocialMetrics } from '../SocialMetrics.ts';

export interface TipRoutesDeps {
  db: Database;
  chat: ChatService;
  metrics: SocialMetrics;
}

/**
 * Tips in chat. The money moves in settlement's ledger, once per tipId whatever the client
 * retries; the chat line is written once per tip too, so a retry after a lost response
 * neither pays twice nor shows twice.
 */
export function tipRoutes(deps: TipRoutesDeps): Koa.Middleware {
  const tips = new Tips(deps.db);
  const limiter = new RateLimiter({ burst: 10, perMinute: 10 });
  const router = new Router({ prefix: '/api/v1' });

  router.post('/streams/:id/tips', async (ctx) => {
    const member = requireMember(ctx);
    const input = TipRequest.parse(ctx.request.body ?? {});
    if (!limiter.take(member.id)) throw new HttpError(429, 'rate_limited', 'too many tips at once: wait a moment');
    // Fresh, not the chat's cached room: whether the stream is live now is what counts.
    const room = await deps.chat.store.room(uuidParam(ctx.params.id));
    if (!room) throw new HttpError(404, 'not_found', 'no such stream');
    if (!room.channel) throw new HttpError(409, 'conflict', 'this stream has no creator to tip');
    if (room.status !== 'live') throw new HttpError(409, 'stream_not_live', 'tips go to live streams');
    const restriction = await deps.chat.store.restriction(room.channel, member.id, new Date());
    if (restriction) throw new HttpError(403, 'forbidden', 'you cannot tip in a chat you are banned or timed out from');
    const result = await tips.send({ tipId: input.tipId, viewer: member.id, creator: room.channel, stream: room.id, amount: BigInt(input.amount), message: input.message });
    if (result.status === 'sent') deps.metrics.tips.inc();
    await deps.chat.tipMessage(member, room.id, { id: result.tip.tipId, amount: result.tip.amount, text: result.tip.message });
    ctx.status = result.status === 'sent' ? 201 : 200;
    ctx.body = (await records(deps.db, [result.tip]))[0];
  });

  router.get('/me/tips', async (ctx) => {
    const member = requireMember(ctx);
    const before = typeof ctx.query.before === 'string' ? uuidParam(ctx.query.before) : undefined;
    ctx.body = { tips: await records(deps.db, await tips.received(member.id, { limit: 50, ...(before ? { before } : {}) })) };
  });

  return routerMiddleware(router);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function uuidParam(value: string | undefined): string {
  if (!value || !UUID.test(value)) throw new HttpError(404, 'not_found', 'no such stream or tip');
  return value;
}

async function records(db: Database, rows: TipRow[]): Promise<TipRecord[]> {
  const people = await profileSummaries(db, rows.map((r) => r.viewer));
  return rows.map((r) => {
    const p = people.get(r.viewer);
    return {
      tipId: r.tipId,
      stream: r.stream,
      viewer: { id: r.viewer, handle: p?.handle ?? null, displayName: p?.displayName ?? r.viewer.slice(0, 10) },
      amount: r.amount.toString(),
      creatorShare: r.creatorShare.toString(),
      platformShare: r.platformShare.toString(),
      message: r.message,
      createdAt: r.createdAt.toISOString(),
    };
  });
}
