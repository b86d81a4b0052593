import Router from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import { HttpError } from '@vilokanam/contracts/http';
import { EmoteCode, type EmoteList } from '@vilokanam/contracts/social';
import { requireMember } from '../http/member.ts';
import { routerMiddleware } from '@vilokanam/contracts/http';
import { readUpload } from '../media/readUpload.ts';
import type { Emotes } from './Emotes.ts';

export interface EmoteRoutesDeps {
  emotes: Emotes;
}

const ListQuery = z.object({
  channel: z.string().regex(/^0x[0-9a-f]{64}$/, 'channel: a creator account id').optional(),
});
const UploadQuery = z.object({ code: EmoteCode });

/** The emote picker's list, and a creator's own emotes. */
export function emoteRoutes(deps: EmoteRoutesDeps): Middleware {
  const { emotes } = deps;
  const router = new Router({ prefix: '/api/v1' });

  router.get('/emotes', async (ctx) => {
    const { channel } = ListQuery.parse(ctx.query);
    const body: EmoteList = { emotes: await emotes.forChannel(channel ?? null) };
    ctx.body = body;
  });

  router.post('/me/emotes', async (ctx) => {
    const member = requireMember(ctx);
    // The code is checked before the body is read, so a bad request costs no upload.
    const { code } = UploadQuery.parse(ctx.query);
    ctx.status = 201;
    ctx.body = await emotes.add(member.id, code, await readUpload(ctx));
  });

  router.delete('/me/emotes/:code', async (ctx) => {
    const member = requireMember(ctx);
    const code = EmoteCode.safeParse(ctx.params.code);
    if (!code.success || !(await emotes.remove(member.id, code.data))) throw new HttpError(404, 'not_found', 'no emote by that code');
    ctx.status = 204;
  });

  return routerMiddleware(router);
}
