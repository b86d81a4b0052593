import { EventEmitter } from 'node:events';
import type { ApiPromise } from '@polkadot/api';
import type { SubmittableExtrinsic } from '@polkadot/api/types';
import type { Logger } from 'pino';
import { FinalizedChain, type ChainBlock } from './FinalizedChain.ts';
import { accountBytes } from './merkle.ts';
import { DEPOSIT_PREFIX, depositMemo, parseDepositMemo, remarksIn } from './memo.ts';
import { accountIs, amountOf } from './outcome.ts';

export interface Deposit {
  /** `<blockHash>:<extrinsicIndex>`; unique, so the consumer dedupes on it. */
  id: string;
  blockNumber: number;
  blockHash: `0x${string}`;
  extrinsicIndex: number;
  /** Sender, SS58 with the chain's prefix. */
  from: string;
  /** Planck that reached the escrow in this extrinsic. */
  amount: bigint;
  /** Platform account from a valid deposit memo; null when there is none (ops refunds by hand). */
  memoAccount: string | null;
  /** The deposit memo text as found, valid or not; null when there is none. */
  memo: string | null;
}

export interface DepositWatcherEvents {
  deposit: [Deposit];
  /** The next block to scan; persist it once the deposits before it are recorded. */
  cursor: [number];
  error: [Error];
}

export interface DepositWatcherOptions {
  api: ApiPromise;
  /** Escrow address, SS58 (any prefix) or 0x account id. */
  escrow: string;
  /** First block number to scan. */
  cursor: number;
  /** Called once per deposit, in chain order; the cursor only moves past a block once all resolved. */
  onDeposit: (deposit: Deposit) => Promise<void>;
  log: Logger;
  pollMs?: number;
  /** Pause after a failed block before trying it again. */
  retryMs?: number;
}

/**
 * Reports deposits into the escrow from finalized blocks only, in order, from a caller-owned
 * cursor. Delivery is at-least-once: after a crash or a handler error the block is scanned
 * again and its deposits re-delivered with the same ids, so a consumer that records ids in
 * the same transaction as the credit credits each deposit exactly once. Unfinalized blocks are
 * never read, so a reorg cannot produce a deposit that later disappears.
 *
 * A deposit is any successful extrinsic whose events show a Balances.Transfer to the escrow:
 * transferKeepAlive, transfer / transferAllowDeath, transferAll, inside batches or proxies. The
 * memo comes from a `vilokanam:deposit:v1:<account>` remark in the same extrinsic. Transfers
 * without one are still reported, with memoAccount null. Funds arriving outside extrinsics
 * (XCM teleports) emit no Transfer event and are not reported.
 */
export class DepositWatcher extends EventEmitter<DepositWatcherEvents> {
  readonly #escrow: Uint8Array;
  readonly #onDeposit: (deposit: Deposit) => Promise<void>;
  readonly #log: Logger;
  readonly #retryMs: number;
  readonly #chain: FinalizedChain;
  #cursor: number;
  #serial: Promise<unknown> = Promise.resolve();
  #abort: AbortController | undefined;
  #loop: Promise<void> | undefined;

  constructor(opts: DepositWatcherOptions) {
    super();
    if (!Number.isSafeInteger(opts.cursor) || opts.cursor < 0) throw new Error('cursor: must be a block number');
    this.#escrow = accountBytes(opts.escrow, 'escrow');
    this.#onDeposit = opts.onDeposit;
    this.#log = opts.log.child({ component: 'deposit-watcher' });
    this.#retryMs = opts.retryMs ?? 5_000;
    this.#cursor = opts.cursor;
    this.#chain = new FinalizedChain(opts.api, opts.pollMs === undefined ? {} : { pollMs: opts.pollMs });
  }

  get cursor(): number {
    return this.#cursor;
  }

  /** Scans up to the current finalized head and resolves with the new cursor. */
  catchUp(): Promise<number> {
    const run = this.#serial.then(() => this.#catchUp());
    this.#serial = run.catch(() => {});
    return run;
  }

  /** Follows finality until `stop()`; handler and RPC errors are logged and retried. */
  start(): void {
    if (this.#loop) return;
    this.#abort = new AbortController();
    this.#loop = this.#follow(this.#abort.signal);
  }

  async stop(): Promise<void> {
    this.#abort?.abort();
    await this.#loop;
    this.#loop = undefined;
    await this.#serial;
    await this.#chain.close();
  }

  /** Deposits to the escrow in one finalized block. */
  async depositsIn(block: ChainBlock): Promise<Deposit[]> {
    const events = await block.events();
    const byExtrinsic = new Map<number, { success: boolean; transfers: { from: string; amount: bigint }[] }>();
    for (const { phase, event } of events) {
      if (!phase.isApplyExtrinsic) continue;
      const index = phase.asApplyExtrinsic.toNumber();
      const entry = byExtrinsic.get(index) ?? { success: false, transfers: [] };
      byExtrinsic.set(index, entry);
      if (event.section === 'system' && event.method === 'ExtrinsicSuccess') entry.success = true;
      if (event.section === 'balances' && event.method === 'Transfer' && accountIs(event.data[1]!, this.#escrow) && !accountIs(event.data[0]!, this.#escrow)) {
        entry.transfers.push({ from: event.data[0]!.toString(), amount: amountOf(event.data[2]!) });
      }
    }
    const out: Deposit[] = [];
    for (const [index, { success, transfers }] of [...byExtrinsic].sort(([a], [b]) => a - b)) {
      if (!success || transfers.length === 0) continue;
      const memos = [...new Set(remarksIn(block.extrinsics[index]!.method).filter((t) => t.startsWith(DEPOSIT_PREFIX)))];
      // Two different memos in one extrinsic name no single account.
      const memo = memos.length === 1 ? memos[0]! : null;
      const from = transfers[0]!.from;
      if (transfers.some((t) => t.from !== from)) this.#log.warn({ block: block.number, index }, 'deposit from several senders; reporting the first');
      out.push({
        id: `${block.hash}:${index}`,
        blockNumber: block.number,
        blockHash: block.hash,
        extrinsicIndex: index,
        from,
        amount: transfers.reduce((s, t) => s + t.amount, 0n),
        memoAccount: memo === null ? null : parseDepositMemo(memo),
        memo: memos.length === 0 ? null : memos.join('\n'),
      });
    }
    return out;
  }

  async #catchUp(): Promise<number> {
    const head = await this.#chain.head();
    if (head.number < this.#cursor) return this.#cursor;
    for await (const block of this.#chain.blocks(this.#cursor, head.number)) {
      if (this.#abort?.signal.aborted) break;
      for (const deposit of await this.depositsIn(block)) {
        await this.#onDeposit(deposit);
        this.#log.info({ id: deposit.id, amount: deposit.amount.toString(), memoAccount: deposit.memoAccount }, 'deposit');
        this.emit('deposit', deposit);
      }
      this.#cursor = block.number + 1;
      this.emit('cursor', this.#cursor);
    }
    return this.#cursor;
  }

  async #follow(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.catchUp();
        await this.#chain.waitForHead(this.#cursor, signal);
      } catch (err) {
        if (signal.aborted) break;
        this.#log.error({ err, cursor: this.#cursor }, 'deposit scan failed; retrying');
        if (this.listenerCount('error') > 0) this.emit('error', err as Error);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.#retryMs);
          signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
        });
      }
    }
  }
}

/** What a wallet signs to deposit: the transfer and its memo, all or nothing. */
export function buildDepositExtrinsic(api: ApiPromise, escrow: string, amount: bigint, account: string): SubmittableExtrinsic<'promise'> {
  accountBytes(escrow, 'escrow');
  if (typeof amount !== 'bigint' || amount <= 0n) throw new Error('amount: must be a positive bigint');
  return api.tx.utility!.batchAll!([api.tx.balances!.transferKeepAlive!(escrow, amount), api.tx.system!.remarkWithEvent!(depositMemo(account))]);
}
