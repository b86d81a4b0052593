import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import { HttpError } from '@vilokanam/contracts/http';
import type { FollowState } from '@vilokanam/contracts/social';
import { requireMember } from '../http/member.ts';
import { RateLimiter } from '@vilokanam/contracts/rate-limiter';
import { routerMiddleware } from '@vilokanam/contracts/http';
import { Follows } from './Follows.ts';

export interface FollowRoutesDeps {
  follows: Follows;
  /**
   * Follow and unfollow requests per account: each one may notify nobody, but a toggle loop
   * would churn the tables and other people's follower lists. Per instance, in memory.
   */
  toggleLimit?: { burst: number; perMinute: number };
}

const AccountId = z.string().regex(/^0x[0-9a-f]{64}$/, 'an account id is 0x and 64 hex digits');
const PageQuery = z.object({
  before: z
    .string()
    .refine((b) => Follows.isCursor(b), 'before: the `next` of a previous page')
    .optional(),
});

/** Follow, unfollow, follower and following lists, and the home page's live "Following" row. */
export function followRoutes(deps: FollowRoutesDeps): Middleware {
  const { follows } = deps;
  const limit = new RateLimiter(deps.toggleLimit ?? { burst: 20, perMinute: 30 });
  const router = new Router({ prefix: '/api/v1' });

  const toggle = (ctx: Context): { follower: string; creator: string } => {
    const member = requireMember(ctx);
    const creator = AccountId.parse(ctx.params.creatorId);
    if (!limit.take(member.id)) {
      ctx.set('Retry-After', String(Math.max(1, limit.retryAfterSeconds(member.id))));
      throw new HttpError(429, 'rate_limited', 'too many follows and unfollows: try again in a moment');
    }
    return { follower: member.id, creator };
  };

  router.put('/follows/:creatorId', async (ctx) => {
    const { follower, creator } = toggle(ctx);
    const result = await follows.follow(follower, creator);
    if (result.outcome === 'self') throw new HttpError(400, 'bad_request', 'you cannot follow yourself');
    if (result.outcome === 'unknown') throw new HttpError(404, 'not_found', 'no such account');
    if (result.outcome === 'full') throw new HttpError(409, 'conflict', `you follow ${follows.maxFollowing} accounts already: unfollow some first`);
    ctx.body = { following: true, followers: (await follows.counts(creator)).followers } satisfies FollowState;
  });

  router.delete('/follows/:creatorId', async (ctx) => {
    const { follower, creator } = toggle(ctx);
    await follows.unfollow(follower, creator);
    ctx.body = { following: false, followers: (await follows.counts(creator)).followers } satisfies FollowState;
  });

  router.get('/accounts/:id/followers', async (ctx) => {
    const { account, before } = await listArgs(ctx, follows);
    ctx.body = await follows.followers(account, before);
  });

  router.get('/accounts/:id/following', async (ctx) => {
    const { account, before } = await listArgs(ctx, follows);
    ctx.body = await follows.following(account, before);
  });

  router.get('/me/following/live', async (ctx) => {
    const member = requireMember(ctx);
    ctx.body = { streams: await follows.live(member.id) };
  });

  return routerMiddleware(router);
}

async function listArgs(ctx: Context, follows: Follows): Promise<{ account: string; before: string | undefined }> {
  const id = AccountId.safeParse(ctx.params.id);
  if (!id.success || !(await follows.accountExists(id.data))) throw new HttpError(404, 'not_found', 'no such account');
  const { before } = PageQuery.parse(ctx.query);
  return { account: id.data, before };
}
