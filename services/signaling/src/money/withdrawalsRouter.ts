// Withdrawals over REST: a viewer takes unspent balance to an address of theirs, an admin takes
// the platform's fee to the configured treasury. The request only reserves the money in the
// ledger (settlement's Withdrawals); settlement's one payout submitter sends it on chain.
import Router from '@koa/router';
import type Koa from 'koa';
import type { Context } from 'koa';
import type { Logger } from 'pino';
import { z } from 'zod';
import { Ledger, loadChainProperties, PLATFORM_ACCOUNT, PLATFORM_OWNER, viewerAccount, Withdrawals, type StoredChainProperties, type WithdrawalRecord } from '@vilokanam/settlement';
import type { WithdrawalQuote, WithdrawalsResponse, WithdrawalView } from '@vilokanam/contracts/money';
import { requireAccount } from '../auth/middleware.ts';
import { parseAddress } from '../auth/wallet.ts';
import type { Database } from '../db/Database.ts';
import { HttpError } from '../http/errors.ts';
import { routerMiddleware } from '@vilokanam/contracts/http';
import { adminAccountIds } from './moneyRouter.ts';

export interface WithdrawalsDeps {
  db: Database;
  log: Logger;
  ss58Prefix: number;
  adminAccounts: string[];
  /** The platform's own address for its fee; unset: the platform cannot withdraw. */
  treasuryAddress: string | undefined;
  /** Withdrawals one account may have on their way at once. */
  maxInFlight?: number;
  /** Asks settlement to send now (embedded mode); otherwise it finds the request on its next poll. */
  kick?: () => Promise<void>;
}

const Amount = z.string().regex(/^[1-9][0-9]{0,38}$/, 'amount: planck as a decimal string');
const RequestId = z.string().regex(/^[A-Za-z0-9-]{8,64}$/, 'requestId: 8-64 letters, digits or dashes, new for each withdrawal');
const ViewerRequest = z.object({ amount: Amount, destination: z.string().trim().min(1).max(64), requestId: RequestId }).strict();
const PlatformRequest = z.object({ amount: Amount, requestId: RequestId }).strict();
const OPEN = new Set(['pending', 'submitted']);

function view(w: WithdrawalRecord): WithdrawalView {
  return {
    id: w.id,
    destination: w.destination,
    requested: w.requested.toString(),
    fee: w.charge.toString(),
    sent: w.sent.toString(),
    status: w.status,
    txHash: w.extrinsicHash,
    blockNumber: w.blockNumber,
    error: w.error,
    createdAt: w.createdAt.toISOString(),
  };
}

class WithdrawalsApi {
  readonly #d: WithdrawalsDeps;
  readonly #withdrawals: Withdrawals;
  readonly #ledger: Ledger;
  readonly #admins: Set<string>;

  constructor(d: WithdrawalsDeps) {
    this.#d = d;
    this.#withdrawals = new Withdrawals(d.db);
    this.#ledger = new Ledger(d.db);
    this.#admins = adminAccountIds(d.adminAccounts, d.ss58Prefix);
    if (d.treasuryAddress !== undefined && !parseAddress(d.treasuryAddress, d.ss58Prefix)) {
      throw new Error(`invalid configuration: VILO_TREASURY_ADDRESS: "${d.treasuryAddress}" is not an SS58 address of an account`);
    }
  }

  /** What a withdrawal costs now, or why there are none: they need the chain settlement runs on. */
  async #quote(): Promise<{ quote: WithdrawalQuote; chain: StoredChainProperties } | { unavailable: string }> {
    const chain = await loadChainProperties(this.#d.db);
    if (chain?.withdrawalFee === undefined) return { unavailable: 'Withdrawals open once settlement is connected to the chain.' };
    // What arrives must be at least the existential deposit, or a new address cannot receive it.
    const fee = chain.withdrawalFee;
    return { quote: { fee: fee.toString(), minimum: (fee + chain.existentialDeposit).toString() }, chain };
  }

  list = async (ctx: Context): Promise<void> => {
    const account = requireAccount(ctx);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await this.#listing(account.id, viewerAccount(account.id));
  };

  request = async (ctx: Context): Promise<void> => {
    const account = requireAccount(ctx);
    const body = ViewerRequest.parse(ctx.request.body ?? {});
    const key = parseAddress(body.destination, this.#d.ss58Prefix);
    if (!key) throw new HttpError(400, 'bad_request', 'destination: not an SS58 address of an account');
    await this.#create(ctx, account.id, key.address, BigInt(body.amount), body.requestId, true);
  };

  platformList = async (ctx: Context): Promise<void> => {
    this.#requireAdmin(ctx);
    ctx.set('Cache-Control', 'no-store');
    const treasury = this.#d.treasuryAddress === undefined ? null : parseAddress(this.#d.treasuryAddress, this.#d.ss58Prefix)!.address;
    ctx.body = { ...(await this.#listing(PLATFORM_OWNER, PLATFORM_ACCOUNT)), treasuryAddress: treasury };
  };

  platformRequest = async (ctx: Context): Promise<void> => {
    this.#requireAdmin(ctx);
    const body = PlatformRequest.parse(ctx.request.body ?? {});
    // The destination is configuration, never request input: a stolen admin session cannot redirect the fee.
    const treasury = this.#d.treasuryAddress;
    if (!treasury) throw new HttpError(409, 'conflict', 'no treasury address is configured (VILO_TREASURY_ADDRESS)');
    await this.#create(ctx, PLATFORM_OWNER, parseAddress(treasury, this.#d.ss58Prefix)!.address, BigInt(body.amount), body.requestId, false);
  };

  async #listing(owner: string, ledgerAccount: string): Promise<WithdrawalsResponse> {
    const [q, balance, inFlight, list] = await Promise.all([this.#quote(), this.#ledger.balance(ledgerAccount), this.#withdrawals.inFlight(owner), this.#withdrawals.list(owner)]);
    const base = { available: balance.toString(), inFlight: inFlight.toString(), withdrawals: list.map(view) };
    return 'unavailable' in q ? { ...base, quote: null, unavailableReason: q.unavailable } : { ...base, quote: q.quote };
  }

  async #create(ctx: Context, owner: string, destination: string, requested: bigint, requestId: string, chargeFee: boolean): Promise<void> {
    const q = await this.#quote();
    if ('unavailable' in q) throw new HttpError(503, 'unavailable', q.unavailable);
    // The platform's own withdrawal pays its fee out of the float like any payout: no charge,
    // and only the existential deposit as the floor.
    const fee = chargeFee ? BigInt(q.quote.fee) : 0n;
    const minimum = chargeFee ? BigInt(q.quote.minimum) : q.chain.existentialDeposit;
    if (requested < minimum) throw new HttpError(400, 'bad_request', `amount: at least ${minimum} planck, so that what arrives covers the network fee and the minimum balance`);
    const open = (await this.#withdrawals.list(owner, 50)).filter((w) => OPEN.has(w.status)).length;
    if (open >= (this.#d.maxInFlight ?? 3)) throw new HttpError(429, 'rate_limited', 'too many withdrawals on their way; wait for one to finish');
    const r = await this.#withdrawals.request({ owner, destination, requested, charge: fee, idempotencyKey: requestId });
    if (r.status === 'insufficient') throw new HttpError(402, 'payment_required', `the balance covers ${r.available} planck, less than the ${requested} asked`);
    if (r.status === 'duplicate' && r.withdrawal.requested !== requested) throw new HttpError(409, 'conflict', 'requestId was used for another withdrawal');
    this.#d.log.info({ withdrawal: r.withdrawal.id, owner, requested: requested.toString(), duplicate: r.status === 'duplicate' }, 'withdrawal requested');
    if (r.status === 'created') this.#d.kick?.().catch((err: unknown) => this.#d.log.warn({ err }, 'sending the withdrawal now failed; settlement retries'));
    ctx.status = r.status === 'created' ? 201 : 200;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = view(r.withdrawal);
  }

  #requireAdmin(ctx: Context): void {
    const account = requireAccount(ctx);
    if (!this.#admins.has(account.id)) throw new HttpError(403, 'forbidden', 'this is for platform admins');
  }
}

export function withdrawalsRoutes(deps: WithdrawalsDeps): Koa.Middleware {
  const api = new WithdrawalsApi(deps);
  const router = new Router({ prefix: '/api/v1' });
  router.get('/me/withdrawals', api.list);
  router.post('/me/withdrawals', api.request);
  router.get('/admin/withdrawals', api.platformList);
  router.post('/admin/withdrawals', api.platformRequest);
  return routerMiddleware(router);
}
