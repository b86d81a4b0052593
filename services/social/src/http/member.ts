import type { Context, Middleware } from 'koa';
import { HttpError } from '@vilokanam/contracts/http';
import { readSessionCookie } from '../auth/SessionVerifier.ts';

/** A signed-in account as the social service sees it. */
export interface Member {
  id: string;
  address: string;
  displayName: string | null;
}

/** Who a session cookie belongs to; undefined for anonymous or stale cookies. Never throws. */
export type MemberResolver = (cookieHeader: string | undefined) => Promise<Member | undefined>;

declare module 'koa' {
  interface DefaultState {
    /** The signed-in account, set by memberMiddleware; absent for anonymous requests. */
    member?: Member;
  }
}

/** Resolves the session cookie of API requests into `ctx.state.member`; never refuses anyone. */
export function memberMiddleware(resolve: MemberResolver): Middleware {
  return async (ctx, next) => {
    if (ctx.path.startsWith('/api/') && readSessionCookie(ctx.get('cookie'))) {
      const member = await resolve(ctx.get('cookie'));
      if (member) ctx.state.member = member;
    }
    await next();
  };
}

/** The signed-in account, or a 401 for the client to sign in. */
export function requireMember(ctx: Context): Member {
  const member = ctx.state.member;
  if (!member) throw new HttpError(401, 'unauthorized', 'sign in first');
  return member;
}
