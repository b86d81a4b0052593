// A viewer's spending caps over REST: read them with what today's spending leaves (per stream
// too, for the player), and set them. Settlement enforces them (SpendingCaps, Ledger).
import Router from '@koa/router';
import type Koa from 'koa';
import type { Context } from 'koa';
import { z } from 'zod';
import { Ledger, SpendingCaps, viewerAccount } from '@vilokanam/settlement';
import type { SpendingCapsResponse } from '@vilokanam/contracts/money';
import { requireAccount } from '../auth/middleware.ts';
import type { Database } from '../db/Database.ts';
import { routerMiddleware } from '@vilokanam/contracts/http';

const Cap = z.union([z.null(), z.string().regex(/^[1-9][0-9]{0,38}$/, 'a cap: planck as a decimal string, or null for none')]);
const CapsBody = z.object({ perDay: Cap, perStream: Cap }).strict();
const CapsQuery = z.object({ stream: z.uuid({ message: 'stream: a stream id' }).optional() });

export function capsRoutes(deps: { db: Database }): Koa.Middleware {
  const caps = new SpendingCaps(deps.db);
  const ledger = new Ledger(deps.db);
  const router = new Router({ prefix: '/api/v1/me/caps' });

  const describe = async (account: string, stream: string | undefined): Promise<SpendingCapsResponse> => {
    const [cap, spent, balance] = await Promise.all([caps.get(account), caps.spentToday(account, stream), ledger.balance(viewerAccount(account))]);
    const body: SpendingCapsResponse = {
      perDay: cap.perDay?.toString() ?? null,
      perStream: cap.perStream?.toString() ?? null,
      spentToday: spent.day.toString(),
      balance: balance.toString(),
    };
    if (stream !== undefined) {
      const allows = await caps.spendable(account, stream, balance);
      body.stream = { id: stream, spentToday: spent.stream.toString(), spendable: allows.amount.toString(), limit: allows.limit };
    }
    return body;
  };

  router.get('/', async (ctx: Context) => {
    const account = requireAccount(ctx);
    const { stream } = CapsQuery.parse(ctx.query);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await describe(account.id, stream);
  });
  router.put('/', async (ctx: Context) => {
    const account = requireAccount(ctx);
    const body = CapsBody.parse(ctx.request.body ?? {});
    await caps.set(account.id, { perDay: body.perDay === null ? null : BigInt(body.perDay), perStream: body.perStream === null ? null : BigInt(body.perStream) });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await describe(account.id, undefined);
  });
  return routerMiddleware(router);
}
