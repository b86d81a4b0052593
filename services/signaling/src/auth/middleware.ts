import type { Context, Middleware } from 'koa';
import { HttpError } from '../http/errors.ts';
import type { Account } from './AccountStore.ts';
import { readCookie, type Auth } from './Auth.ts';
import { SESSION_COOKIE } from '@vilokanam/contracts/auth';

declare module 'koa' {
  interface DefaultState {
    /** The signed-in account, set by sessionMiddleware; absent for anonymous requests. */
    account?: Account;
  }
}

/**
 * Resolves the session cookie into `ctx.state.account` for API requests and never rejects
 * anyone: routes that need an account say so with requireAccount. Static files skip the
 * lookup, since they are the same for everybody.
 */
export function sessionMiddleware(auth: Auth): Middleware {
  return async (ctx, next) => {
    if (ctx.path.startsWith('/api/')) {
      const header = ctx.get('cookie');
      const account = await auth.accountFromCookieHeader(header);
      if (account) ctx.state.account = account;
      // A cookie that no longer opens a session (expired, signed out, other secret) is
      // cleared, so the browser stops sending it and the page sees a clean signed-out state.
      else if (readCookie(header, SESSION_COOKIE) !== undefined) clearSessionCookie(ctx);
    }
    await next();
  };
}

/** The signed-in account, or a 401 `unauthorized` for the client to send to /signin. */
export function requireAccount(ctx: Context): Account {
  const account = ctx.state.account;
  if (!account) throw new HttpError(401, 'unauthorized', 'sign in first');
  return account;
}

// httpOnly: page scripts (and XSS) never see the token. SameSite=Lax: other sites' forms
// and fetches do not carry it, which is the CSRF defence for the cookie-authenticated routes.
// Secure whenever the request came over TLS (directly or per X-Forwarded-Proto).
export function setSessionCookie(ctx: Context, token: string, expiresAt: Date): void {
  ctx.cookies.set(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: ctx.secure,
    path: '/',
    expires: expiresAt,
    overwrite: true,
  });
}

export function clearSessionCookie(ctx: Context): void {
  ctx.cookies.set(SESSION_COOKIE, null, { httpOnly: true, sameSite: 'lax', secure: ctx.secure, path: '/', overwrite: true });
}
