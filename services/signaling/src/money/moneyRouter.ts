// The money REST API: a viewer's wallet, a creator's earnings and payouts, inclusion proofs,
// and the reconciler's state for admins. Read-only: money moves only through settlement.
import Router from '@koa/router';
import type Koa from 'koa';
import type { Context } from 'koa';
import type { Logger } from 'pino';
import { z } from 'zod';
import { loadChainProperties, PayoutBook, tipLeafId } from '@vilokanam/settlement';
import { requireAccount } from '../auth/middleware.ts';
import { parseAddress } from '../auth/wallet.ts';
import type { Database } from '../db/Database.ts';
import { HttpError } from '../http/errors.ts';
import { routerMiddleware } from '@vilokanam/contracts/http';
import { MoneyStore, type BatchHead } from './MoneyStore.ts';
import { buildTree, loadChain, proofFile, TreeCache, type BatchTree } from './proofs.ts';
import type { ChainResponse, DepositStatusResponse, EarningsRange, EarningsResponse, PayoutView, ProofBundle, ReconcilerResponse, WalletResponse } from '@vilokanam/contracts/money';

export interface MoneyConfig {
  /** SS58 address viewers deposit to; absent: the wallet offers no deposit instructions. */
  escrowAddress: string | undefined;
  /** SS58 addresses (any prefix) or 0x account ids allowed on /api/v1/admin/*. */
  adminAccounts: string[];
  /**
   * Link to a payout on a block explorer, with `{txHash}`, `{blockHash}` and `{blockNumber}`
   * filled in, e.g. `https://assethub-polkadot.subscan.io/extrinsic/{txHash}`.
   */
  explorerUrl?: string;
  /** A chain node's ws:// or wss:// RPC that browsers reach, to compose deposits for a wallet extension. */
  rpcUrl?: string;
  /** SS58 address the platform's fee is withdrawn to (withdrawalsRouter). */
  treasuryAddress?: string;
}

export interface MoneyDeps {
  db: Database;
  auth: { ss58Prefix: number };
  log: Logger;
  /** Absent: read from the environment (VILO_ESCROW_ADDRESS, VILO_ADMIN_ACCOUNTS). */
  money: MoneyConfig;
  /** The clock for the earnings buckets; tests fix it. */
  now?: () => number;
}

const RANGE_VALUES = ['1h', '6h', '24h', '7d', '30d'] as const satisfies readonly EarningsRange[];
const EntryId = z.string().regex(/^[1-9][0-9]{0,18}$/, 'before: an entry id');
const WalletQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50), before: EntryId.optional() });
const EarningsQuery = z.object({ range: z.enum(RANGE_VALUES).default('1h') });
const ProofsQuery = z
  .object({
    batch: z.string().regex(/^[A-Za-z0-9._-]{1,80}$/, 'batch: a payout batch id').optional(),
    session: z.uuid({ message: 'session: a session uuid' }).transform((s) => s.toLowerCase()).optional(),
    window: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    tip: z.uuid({ message: 'tip: a tip id' }).transform((s) => s.toLowerCase()).optional(),
    offset: z.coerce.number().int().min(0).default(0),
    limit: z.coerce.number().int().min(1).max(1000).default(200),
  })
  .refine((q) => (q.session === undefined) === (q.window === undefined), { message: 'session and window go together' })
  .refine((q) => q.session === undefined || q.tip === undefined, { message: 'a session and window, or a tip: not both' })
  .refine((q) => q.batch !== undefined || q.session !== undefined || q.tip !== undefined, { message: 'name a batch, a session and window, or a tip' });
const DepositId = z.string().regex(/^0x[0-9a-fA-F]{64}:[0-9]{1,6}$/, 'a deposit id: <block hash>:<extrinsic index>');
const AdminQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) });
const HASH32 = /^0x[0-9a-fA-F]{64}$/;
const OPEN_OR_PAID: readonly PayoutView['status'][] = ['pending', 'submitted', 'finalized'];

/** Admin entries as account ids; a typo must stop the process, not silently lock admins out. */
export function adminAccountIds(entries: readonly string[], ss58Prefix: number): Set<string> {
  const ids = new Set<string>();
  for (const entry of entries) {
    if (/^0x[0-9a-fA-F]{64}$/.test(entry)) ids.add(entry.toLowerCase());
    else {
      const key = parseAddress(entry, ss58Prefix);
      if (!key) throw new Error(`invalid configuration: VILO_ADMIN_ACCOUNTS: "${entry}" is neither an SS58 address nor a 0x account id`);
      ids.add(key.id);
    }
  }
  return ids;
}

function explorerLink(template: string | undefined, p: { txHash: string | null; blockHash: string | null; blockNumber: number | null }): string | undefined {
  if (!template || !p.txHash) return undefined;
  const fields: Record<string, string | null> = { txHash: p.txHash, blockHash: p.blockHash, blockNumber: p.blockNumber === null ? null : String(p.blockNumber) };
  let missing = false;
  const url = template.replace(/\{(txHash|blockHash|blockNumber)\}/g, (_m, k: string) => {
    const v = fields[k];
    if (v === null || v === undefined) missing = true;
    return encodeURIComponent(v ?? '');
  });
  return missing ? undefined : url;
}

function reply(ctx: Context, body: unknown): void {
  // Balances and proofs are per person and change by the second: no shared or stale copies.
  ctx.set('Cache-Control', 'no-store');
  ctx.body = body;
}

type ProofsQuery = z.infer<typeof ProofsQuery>;
type Owned = { viewer: string; creator: string };

/** The routes' work, one method per route; the router below only maps paths to them. */
class MoneyApi {
  readonly #money: MoneyConfig;
  readonly #now: () => number;
  readonly #admins: Set<string>;
  readonly #store: MoneyStore;
  readonly #db: Database;
  readonly #payouts: PayoutBook;
  readonly #trees = new TreeCache();

  constructor(deps: MoneyDeps) {
    this.#money = deps.money;
    this.#now = deps.now ?? Date.now;
    const escrow = this.#money.escrowAddress;
    if (escrow !== undefined && !parseAddress(escrow, deps.auth.ss58Prefix)) {
      throw new Error(`invalid configuration: VILO_ESCROW_ADDRESS: "${escrow}" is not an SS58 address of an account`);
    }
    this.#admins = adminAccountIds(this.#money.adminAccounts, deps.auth.ss58Prefix);
    this.#store = new MoneyStore(deps.db);
    this.#db = deps.db;
    // Signaling only reads payouts; batches are created (and their roots computed) by settlement.
    this.#payouts = new PayoutBook(deps.db, {
      computeRoot: () => {
        throw new Error('signaling does not create payout batches');
      },
    });
    // The wallet needs chain/'s memo format on every request; load it now rather than on the first one.
    if (escrow) loadChain().catch((err: unknown) => deps.log.error({ err }, 'loading @vilokanam/chain failed'));
  }

  /** Public: how to read amounts (the chain's own token), and where a browser wallet deposits. */
  chain = async (ctx: Context): Promise<void> => {
    const p = await loadChainProperties(this.#db);
    const body: ChainResponse = {
      token: p ? { symbol: p.tokenSymbol, decimals: p.tokenDecimals } : null,
      ss58Prefix: p?.ss58Prefix ?? null,
      genesisHash: p?.genesisHash ?? null,
      existentialDeposit: p ? p.existentialDeposit.toString() : null,
      rpcUrl: this.#money.rpcUrl ?? null,
      escrowAddress: this.#money.escrowAddress ?? null,
    };
    // Changes only when settlement moves to another chain; a minute of staleness is harmless.
    ctx.set('Cache-Control', 'public, max-age=60');
    ctx.body = body;
  };

  wallet = async (ctx: Context): Promise<void> => {
    const account = requireAccount(ctx);
    const wallet = await this.#store.wallet(account.id, WalletQuery.parse(ctx.query));
    const body: WalletResponse = { account: account.id, address: account.address, ...wallet, deposit: null };
    const escrow = this.#money.escrowAddress;
    if (escrow) body.deposit = { escrowAddress: escrow, memo: (await loadChain()).chain.depositMemo(account.id) };
    else body.depositUnavailableReason = 'Deposits are not open yet: this platform has no escrow address configured.';
    reply(ctx, body);
  };

  /** Whether one deposit (by its chain id) is credited to the caller: what a wallet's progress waits for. */
  deposit = async (ctx: Context): Promise<void> => {
    const account = requireAccount(ctx);
    const chainId = DepositId.parse(ctx.params.id).toLowerCase();
    const credited = await this.#store.deposit(account.id, chainId);
    const body: DepositStatusResponse = credited ? { id: chainId, credited: true, amount: credited.amount, creditedAt: credited.creditedAt } : { id: chainId, credited: false };
    reply(ctx, body);
  };

  earnings = async (ctx: Context): Promise<void> => {
    const account = requireAccount(ctx);
    const { range } = EarningsQuery.parse(ctx.query);
    const e = await this.#store.earnings(account.id, range, this.#now());
    const payouts = e.payouts.map((p) => {
      const explorerUrl = explorerLink(this.#money.explorerUrl, p);
      return explorerUrl ? { ...p, explorerUrl } : p;
    });
    const body: EarningsResponse = { account: account.id, ...e, payouts };
    reply(ctx, body);
  };

  /** One window's proof (session and window), one tip's (tip), or a page of every proof of the caller's in a batch. */
  proofs = async (ctx: Context): Promise<void> => {
    const account = requireAccount(ctx);
    const q = ProofsQuery.parse(ctx.query);
    const mine = (l: Owned) => l.viewer === account.id || l.creator === account.id;
    const head = await this.#provableBatch(q, mine);
    const tree = await this.#treeFor(head);
    const lib = await loadChain();
    // Only a finalized payout's block is evidence; before that the proof checks against the
    // root alone. verify-proof refuses a file whose blockHash is not 32 bytes, so a malformed
    // one is left out rather than spoiling the proof.
    const blockHash = head.status === 'finalized' && head.blockHash && HASH32.test(head.blockHash) ? head.blockHash.toLowerCase() : null;
    // A tip's leaf stands where a window's would: sessionId tip:<id>, window 0.
    const one =
      q.tip !== undefined
        ? { sessionId: tipLeafId(q.tip), window: 0, what: 'tip', name: `tip-${q.tip}` }
        : q.session !== undefined
          ? { sessionId: q.session, window: q.window!, what: 'window', name: `${q.session}-${q.window}` }
          : undefined;
    if (one) {
      const index = tree.leaves.findIndex((l) => l.sessionId === one.sessionId && l.window === one.window);
      if (index < 0) throw new HttpError(404, 'not_found', `that ${one.what} is not in payout ${head.id}`);
      ctx.set('Content-Disposition', `attachment; filename="proof-${head.id}-${one.name}.json"`);
      return reply(ctx, proofFile(lib, tree, index, blockHash));
    }
    const indices: number[] = [];
    tree.leaves.forEach((l, i) => mine(l) && indices.push(i));
    if (indices.length === 0) throw new HttpError(404, 'not_found', `payout ${head.id} pays for none of your windows`);
    const proofs = indices.slice(q.offset, q.offset + q.limit).map((i) => proofFile(lib, tree, i, blockHash));
    const body: ProofBundle = { batchId: head.id, status: head.status, root: tree.root, blockHash, total: indices.length, offset: q.offset, proofs };
    ctx.set('Content-Disposition', `attachment; filename="proofs-${head.id}.json"`);
    reply(ctx, body);
  };

  reconciler = async (ctx: Context): Promise<void> => {
    const account = requireAccount(ctx);
    if (!this.#admins.has(account.id)) throw new HttpError(403, 'forbidden', 'this page is for platform admins');
    const { limit } = AdminQuery.parse(ctx.query);
    const [runs, batches] = await Promise.all([this.#store.reconcilerRuns(limit), this.#store.payoutBatches(limit)]);
    const body: ReconcilerResponse = { reconcilerInstalled: runs.installed, runs: runs.runs, payouts: batches };
    reply(ctx, body);
  };

  /** The batch a proofs request names, directly or through one of the caller's windows, if it paid. */
  async #provableBatch(q: ProofsQuery, mine: (l: Owned) => boolean): Promise<BatchHead> {
    let batchId = q.batch;
    if (q.session !== undefined || q.tip !== undefined) {
      const what = q.tip !== undefined ? 'tip' : 'window';
      const w = q.tip !== undefined ? await this.#store.tip(q.tip) : await this.#store.window(q.session!, q.window!);
      // Someone else's window or tip answers exactly like a missing one.
      if (!w || !mine(w)) throw new HttpError(404, 'not_found', q.tip !== undefined ? 'you sent or received no tip with that id' : 'you have no settled window with that session and window');
      if (!w.batchId || (batchId !== undefined && w.batchId !== batchId)) {
        throw new HttpError(404, 'not_found', batchId ? `that ${what} is not in payout ${batchId}` : `that ${what} is not in a payout yet`);
      }
      batchId = w.batchId;
    }
    const head = await this.#store.batch(batchId!);
    if (!head) throw new HttpError(404, 'not_found', `no payout ${batchId}`);
    if (!OPEN_OR_PAID.includes(head.status)) {
      throw new HttpError(409, 'conflict', `payout ${head.id} is ${head.status}; it paid nothing, and its windows go to a later payout`);
    }
    return head;
  }

  async #treeFor(head: BatchHead): Promise<BatchTree> {
    const cached = this.#trees.get(head.id);
    if (cached) return cached;
    if (!head.merkleRoot) throw new Error(`payout ${head.id} has no Merkle root`);
    const [lib, leaves] = await Promise.all([loadChain(), this.#payouts.leaves(head.id)]);
    if (leaves.length === 0) {
      // Reversed since its status was read: its windows were untagged and it paid nothing.
      const current = await this.#store.batch(head.id);
      throw new HttpError(409, 'conflict', `payout ${head.id} is ${current?.status ?? 'gone'}; it paid nothing to prove`);
    }
    const tree = await buildTree(lib, head.id, leaves, head.merkleRoot);
    if (head.status === 'finalized') this.#trees.set(tree);
    return tree;
  }
}

export function createMoneyRouter(deps: MoneyDeps): Router {
  const api = new MoneyApi(deps);
  const router = new Router({ prefix: '/api/v1' });
  router.get('/chain', api.chain);
  router.get('/me/wallet', api.wallet);
  router.get('/me/deposits/:id', api.deposit);
  router.get('/me/earnings', api.earnings);
  router.get('/me/proofs', api.proofs);
  router.get('/admin/reconciler', api.reconciler);
  return router;
}

/**
 * The money routes as one middleware, a wrong method answered as JSON with Allow like the
 * sign-in routes. Mount after sessionMiddleware.
 */
export function moneyRoutes(deps: MoneyDeps): Koa.Middleware {
  return routerMiddleware(createMoneyRouter(deps));
}
