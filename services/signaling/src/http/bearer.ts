import type { Context } from 'koa';

/** The token of an `Authorization: Bearer <token>` header, if the request has one. */
export function bearer(ctx: Context): string | undefined {
  return /^Bearer (\S+)$/.exec(ctx.get('authorization'))?.[1];
}
