import Router from '@koa/router';
import type Koa from 'koa';
import type { Context } from 'koa';
import { z } from 'zod';
import { HttpError } from '../http/errors.ts';
import { routerMiddleware } from '@vilokanam/contracts/http';
import { toAccountView } from './AccountStore.ts';
import { readCookie, type Auth } from './Auth.ts';
import { clearSessionCookie, requireAccount, setSessionCookie } from './middleware.ts';
import { SESSION_COOKIE, type AccountResponse, type ChallengeResponse } from '@vilokanam/contracts/auth';
import { parseAddress, signatureMatches, type WalletKey } from './wallet.ts';

// Base58 only, and short: anything else cannot be an SS58 address of a 32-byte key.
const Address = z.string().regex(/^[1-9A-HJ-NP-Za-km-z]{40,64}$/, 'not an SS58 address');
const ChallengeBody = z.object({ address: Address });
const LoginBody = z.object({
  address: Address,
  challenge: z.string().min(1).max(512),
  // 64 bytes (sr25519, ed25519), 65 (ecdsa) or 65/66 with a MultiSignature type byte.
  signature: z.string().regex(/^0x(?:[0-9a-fA-F]{2}){64,66}$/, 'not a hex signature'),
  displayName: z.string().trim().min(1).max(64).optional(),
});
// What the challenge names as the site. The Host header is client-supplied, so it is
// reduced to host-name characters; it only informs the signer, it authorizes nothing.
const HOST = /^[A-Za-z0-9.\-:[\]]{1,100}$/;

/**
 * The sign-in routes as one middleware. Mount it after the other API routers, so its
 * method check runs first and a wrong method leaves as JSON (with Allow) like every failure.
 */
export function authRoutes(auth: Auth): Koa.Middleware {
  return routerMiddleware(authRouter(auth));
}

export function authRouter(auth: Auth): Router {
  const router = new Router({ prefix: '/api/v1' });

  const limit = (ctx: Context) => {
    const now = auth.now();
    if (auth.limiter.take(ctx.ip, now)) return;
    ctx.set('Retry-After', String(Math.max(1, auth.limiter.retryAfterSeconds(ctx.ip, now))));
    throw new HttpError(429, 'rate_limited', 'too many sign-in attempts; try again shortly');
  };

  const walletKey = (address: string): WalletKey => {
    const key = parseAddress(address, auth.ss58Prefix);
    if (!key) throw new HttpError(400, 'bad_request', 'address: not a valid SS58 address of an account key');
    return key;
  };

  router.post('/auth/challenge', async (ctx) => {
    limit(ctx);
    const { address } = ChallengeBody.parse(ctx.request.body ?? {});
    const key = walletKey(address);
    const domain = HOST.test(ctx.host) ? ctx.host : 'unknown';
    const issued = await auth.challenges.issue({ accountId: key.id, address, domain }, auth.now());
    const body: ChallengeResponse = { challenge: issued.message, expiresAt: issued.expiresAt.toISOString() };
    ctx.body = body;
  });

  router.post('/auth/login', async (ctx) => {
    limit(ctx);
    const input = LoginBody.parse(ctx.request.body ?? {});
    const key = walletKey(input.address);
    // One message for every failure: which check failed is of use only to an attacker.
    const denied = () => new HttpError(401, 'unauthorized', 'the signature or the challenge is not valid; request a new challenge');
    if (!signatureMatches(input.challenge, input.signature, input.address)) throw denied();
    // Consumed only after the signature checks out, so nobody can burn someone else's challenge.
    if (!(await auth.challenges.consume(key.id, input.challenge, auth.now()))) throw denied();
    const account = await auth.accounts.upsert(key, input.displayName, auth.now());
    // A previous session in this browser ends here rather than lingering until it expires.
    const previous = readCookie(ctx.get('cookie'), SESSION_COOKIE);
    if (previous) await auth.sessions.revoke(previous, auth.now());
    const { token, expiresAt } = await auth.sessions.issue(account.id, auth.now());
    setSessionCookie(ctx, token, expiresAt);
    const body: AccountResponse = { account: toAccountView(account) };
    ctx.body = body;
  });

  router.post('/auth/logout', async (ctx) => {
    const token = readCookie(ctx.get('cookie'), SESSION_COOKIE);
    if (token) await auth.sessions.revoke(token, auth.now());
    clearSessionCookie(ctx);
    ctx.status = 204;
  });

  router.get('/me', (ctx) => {
    const body: AccountResponse = { account: toAccountView(requireAccount(ctx)) };
    ctx.body = body;
  });

  return router;
}
