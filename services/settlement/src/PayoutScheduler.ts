import { EventEmitter } from 'node:events';
import type { PayoutOnChain, PayoutResult, SettlementClient } from '@vilokanam/chain';
import type { Logger } from 'pino';
import type { Database } from './db/Database.ts';
import type { PayoutBatchRecord, PayoutBook, PayoutInclusion } from './PayoutBook.ts';
import type { SettlementMetrics } from './SettlementMetrics.ts';
import type { SubmitterLock } from './SubmitterLock.ts';

export type BatchOutcome = 'finalized' | 'failed' | 'expired';

export interface BatchEvent {
  batchId: string;
  outcome: BatchOutcome;
  /** true when decided by looking the batch up on chain after a restart or an error. */
  recovered: boolean;
  total: bigint;
  creators: number;
}

export interface CycleSummary {
  /** false: another process holds the submitter lock; nothing was done. */
  submitter: boolean;
  batches: BatchEvent[];
}

export interface PayoutSchedulerEvents {
  batch: [BatchEvent];
  cycleerror: [Error];
}

export interface PayoutSchedulerOptions {
  db: Database;
  book: PayoutBook;
  client: SettlementClient;
  lock: SubmitterLock;
  log: Logger;
  metrics?: SettlementMetrics;
  /** Length of a payout slot; one cycle runs at each slot boundary. */
  intervalMs: number;
  /** Smallest payout per creator; keep it at least the chain's existential deposit. */
  minAmount?: bigint;
  /** Creators per batch (one extrinsic); more wait for the next batch of the slot. */
  maxCreators?: number;
  /** Batches one slot may create: retries of expired ones and parts of a full one. */
  maxBatchesPerSlot?: number;
  /** After a failed cycle, or while another process is the submitter; default min(interval, 30 s). */
  retryMs?: number;
  /** How often requested withdrawals are looked for and sent, between payout slots. Default 5 s. */
  withdrawalPollMs?: number;
  /** Unix milliseconds. */
  now?: () => number;
  /** Test hook: the extrinsic is signed and about to be sent (synchronous, like the event). */
  onSigned?: (batchId: string) => void;
  /** Test hook: the chain has decided the batch and the ledger does not know yet. */
  beforeRecord?: (batchId: string, result: PayoutResult | PayoutOnChain | null) => void | Promise<void>;
}

interface Attempt {
  from_block: string;
  extrinsic_hash: string | null;
  death_block: string | null;
}

/**
 * Pays creators every `intervalMs`: at each slot boundary it resolves every open batch against
 * the chain first, then creates the slot's batch (idempotency key `payout:<slot start ms>:<k>`,
 * so a restart within the slot finds the same batch) and pays it as one mortal batchAll.
 *
 * Exactly once: only the holder of the submitter lock sends, and it records a payout_attempts
 * row through the lock's own connection before signing. A batch with such a row is never sent
 * again; it is resolved on chain (SettlementClient.resolvePayout, which waits out the
 * attempt's era before it calls a batch unpaid). Finalized only on a finalized success; an
 * expired batch is reversed and its creators are paid by the slot's next batch, under a new id.
 */
export class PayoutScheduler extends EventEmitter<PayoutSchedulerEvents> {
  readonly #o: PayoutSchedulerOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #retryMs: number;
  #queue: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #withdrawalTimer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = true;

  constructor(opts: PayoutSchedulerOptions) {
    super();
    if (!(opts.intervalMs >= 100)) throw new Error('intervalMs: at least 100');
    this.#o = opts;
    this.#log = opts.log.child({ component: 'payout-scheduler' });
    this.#now = opts.now ?? Date.now;
    this.#retryMs = opts.retryMs ?? Math.min(opts.intervalMs, 30_000);
  }

  /** Runs a cycle now (resolving what a previous run left open), then one per slot. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
    this.#withdrawalTimer = setInterval(() => void this.sendWithdrawals(), this.#o.withdrawalPollMs ?? 5_000);
  }

  /**
   * Sends (or resolves) every open withdrawal now, in the cycle queue, so it never overlaps a
   * payout cycle; a person waiting for their money does not wait for the next payout slot.
   */
  sendWithdrawals(): Promise<BatchEvent[]> {
    const run = this.#queue.then(async () => {
      if (!(await this.#o.lock.acquire())) return [];
      const events: BatchEvent[] = [];
      for (const b of await this.#o.book.open()) if (b.kind === 'withdrawal') events.push(await this.#settle(b));
      return events;
    });
    this.#queue = run.catch(() => {});
    return run.catch((err: Error) => {
      this.#o.metrics?.payoutErrors.inc();
      this.#log.error({ err }, 'sending withdrawals failed; retrying');
      return [];
    });
  }

  /**
   * Stops scheduling and waits up to `waitMs` for the cycle in progress. A payout still in
   * flight after that is safe to abandon: the next start resolves it on chain.
   */
  async stop(waitMs = 10_000): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearInterval(this.#withdrawalTimer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#running, new Promise((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
  }

  /** One cycle; cycles never overlap. */
  runOnce(): Promise<CycleSummary> {
    const run = this.#queue.then(() => this.#cycle());
    this.#queue = run.catch(() => {});
    return run;
  }

  #schedule(delay: number): void {
    this.#timer = setTimeout(() => {
      let next = this.#untilNextSlot();
      this.#running = this.runOnce()
        .then((s) => {
          if (!s.submitter) next = Math.min(next, this.#retryMs);
        })
        .catch((err: Error) => {
          this.#o.metrics?.payoutErrors.inc();
          this.#log.error({ err }, 'payout cycle failed; retrying');
          if (this.listenerCount('cycleerror') > 0) this.emit('cycleerror', err);
          next = Math.min(this.#untilNextSlot(), this.#retryMs);
        })
        .finally(() => {
          if (!this.#stopped) this.#schedule(next);
        });
    }, delay);
  }

  #untilNextSlot(): number {
    const i = this.#o.intervalMs;
    return i - (this.#now() % i) + 5;
  }

  async #cycle(): Promise<CycleSummary> {
    const { lock, book, metrics } = this.#o;
    const held = await lock.acquire();
    metrics?.submitter.set(held ? 1 : 0);
    if (!held) return { submitter: false, batches: [] };
    const batches: BatchEvent[] = [];
    // Whatever is open was left by a crash or an error: decide it before anything new goes out.
    for (const b of await book.open()) batches.push(await this.#settle(b));

    const slotMs = Math.floor(this.#now() / this.#o.intervalMs) * this.#o.intervalMs;
    const max = this.#o.maxCreators ?? 1000;
    for (let k = 0; k < (this.#o.maxBatchesPerSlot ?? 4); k++) {
      const r = await book.createBatch({
        idempotencyKey: `payout:${slotMs}:${k}`,
        batchId: `p${slotMs}-${k}`,
        minAmount: this.#o.minAmount ?? 1n,
        maxCreators: max,
      });
      if (r.status === 'empty') break;
      const b = r.batch;
      let outcome: PayoutBatchRecord['status'] = b.status;
      if (b.status === 'pending' || b.status === 'submitted') {
        const ev = await this.#settle(b);
        batches.push(ev);
        outcome = ev.outcome;
      }
      // Expired: nothing moved, pay again now. Full: more creators may be waiting. Failed: stop;
      // repeating a dispatch error would only burn fees, the next slot tries again.
      if (!(outcome === 'expired' || (outcome === 'finalized' && b.items.length >= max))) break;
    }
    return { submitter: true, batches };
  }

  /** Pays an open batch, or, if it was ever handed to the chain, finds out what became of it. */
  async #settle(b: PayoutBatchRecord): Promise<BatchEvent> {
    const attempt = await this.#attempt(b.id);
    if (attempt) return this.#resolve(b, attempt);
    if (b.status === 'submitted') throw new Error(`payout ${b.id} is submitted but has no attempt record; resolve it by hand`);
    const head = await this.#o.client.finalizedHead();
    // Fenced: succeeds only while this process holds the lock, and at most once per batch.
    // The extrinsic is signed against a head at least this one, so it can only land after it.
    const rows = await this.#o.lock.fenced(
      'INSERT INTO payout_attempts (batch_id, from_block) VALUES ($1, $2) ON CONFLICT (batch_id) DO NOTHING RETURNING 1',
      [b.id, head.number + 1],
    );
    if (rows.length === 0) return this.#resolve(b, (await this.#attempt(b.id))!);
    return this.#submit(b);
  }

  async #submit(b: PayoutBatchRecord): Promise<BatchEvent> {
    const { client, book } = this.#o;
    if (!b.merkleRoot) throw new Error(`payout ${b.id} has no Merkle root`);
    let signed: Promise<unknown> = Promise.resolve();
    const onSubmitted = (ev: { batchId: string; extrinsicHash: string; deathBlock: number }): void => {
      if (ev.batchId !== b.id) return;
      this.#o.onSigned?.(b.id);
      // The death block lets a restart stop waiting as soon as this extrinsic can no longer land.
      signed = Promise.all([
        this.#o.db.query('UPDATE payout_attempts SET extrinsic_hash = $2, death_block = $3 WHERE batch_id = $1', [b.id, ev.extrinsicHash, ev.deathBlock]),
        book.markSubmitted(b.id, ev.extrinsicHash),
      ]);
      signed.catch(() => {});
    };
    client.on('submitted', onSubmitted);
    let result: PayoutResult;
    try {
      this.#log.info({ batchId: b.id, creators: b.items.length, total: b.total.toString() }, 'paying out');
      result = await client.submitPayoutBatch({
        batchId: b.id,
        transfers: b.items.map((i) => ({ to: i.address, amount: i.amount })),
        merkleRoot: Uint8Array.from(Buffer.from(b.merkleRoot.slice(2), 'hex')),
      });
    } finally {
      client.off('submitted', onSubmitted);
    }
    await signed;
    await this.#o.beforeRecord?.(b.id, result);
    if (result.status === 'finalized') {
      await book.markFinalized(b.id, inclusion(result));
      return this.#done(b, 'finalized', false);
    }
    if (result.status === 'expired') {
      // Reversing is what lets the creators be paid again, so confirm from the chain itself,
      // through the same lookup a restart uses, that no attempt of this batch ever landed.
      const a = (await this.#attempt(b.id))!;
      return this.#resolve(b, { ...a, death_block: String(result.deathBlock) }, false);
    }
    await book.markFailed(b.id, result.error, result.included ? inclusion(result) : undefined);
    this.#log.error({ batchId: b.id, error: result.error, included: result.included }, 'payout failed; creators keep their balance');
    return this.#done(b, 'failed', false);
  }

  /** `recovered`: the batch was left open by a crash or an error, rather than just reported expired. */
  async #resolve(b: PayoutBatchRecord, a: Attempt, recovered = true): Promise<BatchEvent> {
    const { client, book } = this.#o;
    if (recovered) this.#log.info({ batchId: b.id, fromBlock: a.from_block, deathBlock: a.death_block }, 'resolving an open payout on chain');
    const found = await client.resolvePayout(b.id, Number(a.from_block), a.death_block === null ? {} : { deathBlock: Number(a.death_block) });
    if (recovered) await this.#o.beforeRecord?.(b.id, found);
    if (found?.success) {
      await book.markFinalized(b.id, inclusion(found));
      return this.#done(b, 'finalized', recovered);
    }
    if (found) {
      await book.markFailed(b.id, found.error ?? 'dispatch failed', inclusion(found));
      return this.#done(b, 'failed', recovered);
    }
    await book.markExpired(b.id);
    return this.#done(b, 'expired', recovered);
  }

  async #attempt(batchId: string): Promise<Attempt | undefined> {
    const [row] = await this.#o.db.query<Attempt>(
      'SELECT from_block::text AS from_block, extrinsic_hash, death_block::text AS death_block FROM payout_attempts WHERE batch_id = $1',
      [batchId],
    );
    return row;
  }

  #done(b: PayoutBatchRecord, outcome: BatchOutcome, recovered: boolean): BatchEvent {
    const ev: BatchEvent = { batchId: b.id, outcome, recovered, total: b.total, creators: b.items.length };
    this.#o.metrics?.payouts.inc({ outcome: recovered ? `recovered_${outcome}` : outcome });
    this.#log.info({ batchId: b.id, outcome, recovered, total: b.total.toString() }, 'payout batch decided');
    this.emit('batch', ev);
    return ev;
  }
}

function inclusion(r: { extrinsicHash: string; blockHash: string; blockNumber: number; fee: bigint }): PayoutInclusion {
  return { extrinsicHash: r.extrinsicHash, blockHash: r.blockHash, blockNumber: r.blockNumber, fee: r.fee };
}
