import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import { HttpError } from '@vilokanam/contracts/http';
import { Handle, ProfileUpdate } from '@vilokanam/contracts/social';
import type { Queryable } from '@vilokanam/settlement/db';
import { requireMember } from '../http/member.ts';
import { routerMiddleware } from '@vilokanam/contracts/http';
import { loadImage } from '../media/images.ts';
import { readUpload } from '../media/readUpload.ts';
import type { Profiles } from './Profiles.ts';

export interface ProfileRoutesDeps {
  profiles: Profiles;
  /** Where images are read from, for GET /api/v1/images/:key. */
  db: Queryable;
}

const AccountId = z.string().regex(/^0x[0-9a-f]{64}$/);
const PageQuery = z.object({ before: z.uuid({ message: 'before: a stream id' }).optional() });
// An image's URL names its content, so whatever is cached under it can never go stale.
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Profiles, avatars, creator pages and the image store's read side. */
export function profileRoutes(deps: ProfileRoutesDeps): Middleware {
  const { profiles, db } = deps;
  const router = new Router({ prefix: '/api/v1' });

  router.get('/me/profile', async (ctx) => {
    const member = requireMember(ctx);
    ctx.body = await found(profiles.get(member.id), 'no such account');
  });

  router.put('/me/profile', async (ctx) => {
    const member = requireMember(ctx);
    ctx.body = await profiles.update(member.id, ProfileUpdate.parse(ctx.request.body ?? {}));
  });

  router.post('/me/avatar', async (ctx) => {
    const member = requireMember(ctx);
    ctx.body = await profiles.setAvatar(member.id, await readUpload(ctx));
  });

  router.get('/profiles/:id', async (ctx) => {
    const id = AccountId.safeParse(ctx.params.id);
    ctx.body = await found(id.success ? profiles.get(id.data) : Promise.resolve(undefined), 'no such profile');
  });

  router.get('/c/:handle', async (ctx) => {
    const handle = Handle.safeParse(ctx.params.handle);
    const { before } = PageQuery.parse(ctx.query);
    const page = handle.success ? profiles.creatorPage(handle.data, { viewer: ctx.state.member?.id, before }) : Promise.resolve(undefined);
    ctx.body = await found(page, 'no creator has that handle');
  });

  router.get('/images/:key', async (ctx) => serveImage(ctx, db));

  return routerMiddleware(router);
}

async function serveImage(ctx: Context, db: Queryable): Promise<void> {
  const key = ctx.params.key ?? '';
  const etag = `"${key}"`;
  if (ctx.get('if-none-match') === etag) {
    // Only a stored key has ever been handed out, and stored bytes never change.
    ctx.status = 304;
    ctx.set('Cache-Control', IMMUTABLE);
    ctx.set('ETag', etag);
    return;
  }
  const image = await loadImage(db, key);
  if (!image) throw new HttpError(404, 'not_found', 'no such image');
  ctx.set('Cache-Control', IMMUTABLE);
  ctx.set('ETag', etag);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Content-Security-Policy', "default-src 'none'");
  ctx.type = image.contentType;
  ctx.body = image.bytes;
}

async function found<T>(value: Promise<T | undefined>, message: string): Promise<T> {
  const v = await value;
  if (v === undefined) throw new HttpError(404, 'not_found', message);
  return v;
}
