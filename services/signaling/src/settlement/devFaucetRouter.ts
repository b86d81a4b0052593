import Router from '@koa/router';
import type Koa from 'koa';
import { z } from 'zod';
import { requireAccount } from '../auth/middleware.ts';
import { HttpError } from '../http/errors.ts';
import type { EmbeddedSettlement } from './EmbeddedSettlement.ts';

/** What one faucet deposit may carry: enough to watch, not enough to matter. */
export const FAUCET_MAX = 10n ** 15n;
export const FAUCET_DEFAULT = 10n ** 13n;

const DepositRequest = z.object({
  amount: z
    .string()
    .regex(/^[1-9][0-9]{0,38}$/, 'amount: planck as a decimal string')
    .refine((a) => BigInt(a) <= FAUCET_MAX, `amount: at most ${FAUCET_MAX} planck`)
    .optional(),
});

/**
 * Dev chain only: a signed-in user gets test money through a real on-chain deposit to the
 * escrow, credited by the deposit crediter once finalized, exactly as a wallet's would be.
 */
export function devFaucetRoutes(settlement: EmbeddedSettlement | undefined): Koa.Middleware {
  const router = new Router({ prefix: '/api/v1/dev/faucet' });
  const available = () => settlement?.devChain !== undefined && settlement.escrowAddress !== undefined;
  router.get('/', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { available: available(), amount: FAUCET_DEFAULT.toString(), max: FAUCET_MAX.toString() };
  });
  router.post('/', async (ctx) => {
    const account = requireAccount(ctx);
    if (!available()) throw new HttpError(404, 'not_found', 'the faucet exists only on the dev chain');
    const { amount } = DepositRequest.parse(ctx.request.body ?? {});
    const planck = amount === undefined ? FAUCET_DEFAULT : BigInt(amount);
    const txHash = await settlement!.devDeposit(account.id, planck);
    ctx.status = 202;
    ctx.body = { txHash, amount: planck.toString() };
  });
  const routes = router.routes();
  return routes as unknown as Koa.Middleware;
}
