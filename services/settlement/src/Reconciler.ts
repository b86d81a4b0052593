import {
  accountHex,
  DepositWatcher,
  type ApiPromise,
  escrowExtrinsicsIn,
  FinalizedChain,
  freeBalanceAt,
  isFinalizedCanonical,
  type ChainBlock,
  type EscrowExtrinsic,
} from '@vilokanam/chain';
import type { Logger } from 'pino';
import { auditLedger } from './audit.ts';
import { advanceCursor, depositCursorName, loadCursor, reconcilerCursorName } from './chainState.ts';
import type { Database } from './db/Database.ts';
import type { SettlementMetrics } from './SettlementMetrics.ts';

export interface ReconcileCheck {
  name: string;
  ok: boolean;
  expected?: string;
  actual?: string;
  detail?: string;
}

export interface ReconcileReport {
  /** reconciler_runs.id */
  id: string;
  startedAt: Date;
  finishedAt: Date;
  clean: boolean;
  /** The block the run compared at: the last one whose deposits are all credited. */
  atBlock: number;
  /** Escrow free balance on chain at atBlock. */
  escrowChain: bigint | null;
  /** What the ledger says the escrow holds for users at atBlock: deposits − finalized payouts. */
  escrowLedger: bigint | null;
  checks: ReconcileCheck[];
}

export interface ReconcilerOptions {
  db: Database;
  api: ApiPromise;
  /** Escrow address (SS58 or 0x). */
  escrow: string;
  log: Logger;
  metrics?: SettlementMetrics;
  /** Runs on this interval after start(); without it, only on demand. */
  intervalMs?: number;
  /** Blocks the escrow-outflow scan reads per run; the rest wait for the next run. */
  maxScanBlocks?: number;
}

/** Check names, stable for whoever reads reconciler_runs. */
export const CHECKS = {
  escrowBalance: 'escrow_balance',
  escrowSolvent: 'escrow_solvent',
  ledgerAudit: 'ledger_audit',
  payoutsOnChain: 'payouts_on_chain',
  depositsOnChain: 'deposits_on_chain',
  escrowOutflows: 'escrow_outflows_in_ledger',
} as const;

const SHOW = 5;

interface OpenBatch {
  id: string;
  total: string;
  from_block: string;
}

interface Opening {
  block: number;
  balance: bigint;
}

/**
 * Compares the chain with the ledger and records each run in reconciler_runs. The rule (see
 * docs/money.md, "Reconciliation"), at block C, the last block whose deposits are all credited:
 *
 *   escrow free balance(C) = opening balance(B) + credited deposits(B, C] + unassigned deposits(B, C]
 *                            − finalized payouts(B, C] − fees of included payouts(B, C]
 *
 * where B is the block whose balance was recorded when the escrow was first seen. It then checks
 * each finalized payout and each credited deposit against the block it names, and scans every
 * new block for money leaving the escrow that no ledger batch explains.
 */
export class Reconciler {
  readonly #o: ReconcilerOptions;
  readonly #log: Logger;
  readonly #escrowHex: `0x${string}`;
  readonly #escrowKey: Uint8Array;
  readonly #chain: FinalizedChain;
  readonly #deposits: DepositWatcher;
  #queue: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: ReconcilerOptions) {
    this.#o = opts;
    this.#log = opts.log.child({ component: 'reconciler' });
    this.#escrowHex = accountHex(opts.escrow);
    this.#escrowKey = Uint8Array.from(Buffer.from(this.#escrowHex.slice(2), 'hex'));
    this.#chain = new FinalizedChain(opts.api);
    // Only for depositsIn(block): the same reading of a block the crediter used.
    this.#deposits = new DepositWatcher({ api: opts.api, escrow: opts.escrow, cursor: 0, onDeposit: async () => {}, log: this.#log });
  }

  /**
   * Records the escrow's opening balance if it has none: at the block before the deposit
   * cursor (so deposits from the cursor on are the ones the ledger credits), else at the head.
   */
  async init(): Promise<Opening> {
    const existing = await this.#opening();
    if (existing) return existing;
    const cursor = await loadCursor(this.#o.db, depositCursorName(this.#escrowHex));
    const block = Math.max(0, cursor === undefined ? (await this.#chain.head()).number : cursor - 1);
    const hash = (await this.#o.api.rpc.chain.getBlockHash(block)).toHex();
    const balance = await freeBalanceAt(this.#o.api, this.#o.escrow, hash);
    await this.#o.db.query(
      'INSERT INTO escrow_openings (escrow, block_number, block_hash, balance) VALUES ($1, $2, $3, $4) ON CONFLICT (escrow) DO NOTHING',
      [this.#escrowHex, block, hash, balance.toString()],
    );
    this.#log.info({ block, balance: balance.toString() }, 'escrow opening balance recorded');
    return (await this.#opening())!;
  }

  start(): void {
    const every = this.#o.intervalMs;
    if (!every || this.#timer) return;
    const tick = (): void => {
      void this.run()
        .catch((err: Error) => this.#log.error({ err }, 'reconciler run failed'))
        .finally(() => {
          if (this.#timer) this.#timer = setTimeout(tick, every);
        });
    };
    this.#timer = setTimeout(tick, every);
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#queue;
    await this.#chain.close();
  }

  /** One run, on demand; runs never overlap. */
  run(): Promise<ReconcileReport> {
    const r = this.#queue.then(() => this.#run());
    this.#queue = r.catch(() => {});
    return r;
  }

  async #run(): Promise<ReconcileReport> {
    const { db, api, metrics } = this.#o;
    const startedAt = new Date();
    const checks: ReconcileCheck[] = [];
    const opening = await this.init();
    const head = await this.#chain.head();
    const cursor = await loadCursor(db, depositCursorName(this.#escrowHex));
    const at = Math.min(head.number, (cursor ?? head.number + 1) - 1);

    let escrowChain: bigint | null = null;
    let escrowLedger: bigint | null = null;
    if (at < opening.block) {
      checks.push({ name: CHECKS.escrowBalance, ok: false, detail: `deposits are credited only up to #${at}, before the opening block #${opening.block}` });
    } else {
      const hash = (await api.rpc.chain.getBlockHash(at)).toHex();
      escrowChain = await freeBalanceAt(api, this.#o.escrow, hash);
      const s = await this.#sums(opening.block, at);
      const inflight = await this.#inFlight(s.open, at);
      escrowLedger = s.claim;
      const expected = opening.balance + s.deposits + s.unassigned - s.payouts - s.fees - inflight.out;
      const diff = escrowChain - expected;
      metrics?.reconcilerDifference.set(Number(diff));
      checks.push({
        name: CHECKS.escrowBalance,
        ok: diff === 0n,
        expected: expected.toString(),
        actual: escrowChain.toString(),
        detail:
          `at #${at}: opening ${opening.balance} at #${opening.block} + deposits ${s.deposits} + unassigned ${s.unassigned}` +
          ` - payouts ${s.payouts} - fees ${s.fees}` +
          (inflight.batches.length ? ` - in flight ${inflight.out} (${inflight.batches.join(', ')})` : '') +
          (diff === 0n ? '' : `; difference ${diff}`),
      });
      checks.push({
        name: CHECKS.escrowSolvent,
        ok: escrowChain >= escrowLedger,
        expected: `>= ${escrowLedger}`,
        actual: escrowChain.toString(),
        detail: `the escrow must hold at least what the ledger owes (float ${escrowChain - escrowLedger})`,
      });
    }
    const problems = await auditLedger(db);
    checks.push({ name: CHECKS.ledgerAudit, ok: problems.length === 0, ...(problems.length ? { detail: problems.slice(0, SHOW).join('; ') } : {}) });
    checks.push(await this.#checkPayouts());
    checks.push(await this.#checkDeposits());
    checks.push(await this.#scanOutflows(opening.block, at));

    const clean = checks.every((c) => c.ok);
    const finishedAt = new Date();
    const [row] = await db.query<{ id: string }>(
      `INSERT INTO reconciler_runs (started_at, finished_at, clean, escrow_chain, escrow_ledger, report)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING id::text AS id`,
      [startedAt, finishedAt, clean, escrowChain?.toString() ?? null, escrowLedger?.toString() ?? null, JSON.stringify({ checks })],
    );
    metrics?.reconcilerClean.set(clean ? 1 : 0);
    metrics?.reconcilerFailedChecks.set(checks.filter((c) => !c.ok).length);
    metrics?.reconcilerLastRun.set(finishedAt.getTime() / 1000);
    const failed = checks.filter((c) => !c.ok);
    if (clean) this.#log.info({ atBlock: at }, 'reconciled: chain and ledger agree');
    else this.#log.error({ atBlock: at, failed }, 'reconciler found differences');
    return { id: row!.id, startedAt, finishedAt, clean, atBlock: at, escrowChain, escrowLedger, checks };
  }

  async #opening(): Promise<Opening | undefined> {
    const [row] = await this.#o.db.query<{ block_number: string; balance: string }>(
      'SELECT block_number::text AS block_number, balance::text AS balance FROM escrow_openings WHERE escrow = $1',
      [this.#escrowHex],
    );
    return row && { block: Number(row.block_number), balance: BigInt(row.balance) };
  }

  /**
   * Ledger figures for blocks (from, to] (claim = what the ledger owes users at `to`) and the
   * open batches already handed to the chain, all from one snapshot: a batch finalized meanwhile
   * is then counted either as paid or as in flight, never as both or neither.
   */
  async #sums(from: number, to: number): Promise<{ deposits: bigint; unassigned: bigint; payouts: bigint; fees: bigint; claim: bigint; open: OpenBatch[] }> {
    return this.#o.db.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      const [r] = await tx.query<Record<'deposits' | 'unassigned' | 'payouts' | 'fees' | 'claim', string>>(
        `SELECT
           (SELECT coalesce(sum(amount), 0) FROM deposits WHERE block_number > $1 AND block_number <= $2)::text AS deposits,
           (SELECT coalesce(sum(u.amount), 0) FROM unassigned_deposits u WHERE u.block_number > $1 AND u.block_number <= $2
              AND NOT EXISTS (SELECT 1 FROM deposits d WHERE d.chain_id = u.chain_id))::text AS unassigned,
           (SELECT coalesce(sum(total), 0) FROM payout_batches WHERE status = 'finalized' AND block_number > $1 AND block_number <= $2)::text AS payouts,
           (SELECT coalesce(sum(fee), 0) FROM payout_batches WHERE block_number > $1 AND block_number <= $2)::text AS fees,
           ((SELECT coalesce(sum(amount), 0) FROM deposits WHERE block_number IS NULL OR block_number <= $2)
            - (SELECT coalesce(sum(total), 0) FROM payout_batches WHERE status = 'finalized' AND block_number <= $2))::text AS claim`,
        [from, to],
      );
      const open = await tx.query<OpenBatch>(
        `SELECT b.id, b.total::text AS total, a.from_block::text AS from_block FROM payout_batches b
         JOIN payout_attempts a ON a.batch_id = b.id WHERE b.status IN ('pending', 'submitted') AND a.from_block <= $1`,
        [to],
      );
      return { deposits: BigInt(r!.deposits), unassigned: BigInt(r!.unassigned), payouts: BigInt(r!.payouts), fees: BigInt(r!.fees), claim: BigInt(r!.claim), open };
    });
  }

  /** Open batches already on chain at or before `to`: the scheduler has not recorded them yet. */
  async #inFlight(open: readonly OpenBatch[], to: number): Promise<{ out: bigint; batches: string[] }> {
    let out = 0n;
    const batches: string[] = [];
    for (const b of open) {
      for await (const block of this.#chain.blocks(Number(b.from_block), to)) {
        const x = (await escrowExtrinsicsIn(block, this.#escrowKey)).find((e) => e.payout?.batchId === b.id);
        if (!x) continue;
        out += x.fee + (x.success ? BigInt(b.total) : 0n);
        batches.push(b.id);
        break;
      }
    }
    return { out, batches };
  }

  /** Each finalized batch: in its block, signed by the escrow, same recipients, amounts, root and fee. */
  async #checkPayouts(): Promise<ReconcileCheck> {
    const batches = await this.#o.db.query<{ id: string; total: string; merkle_root: string; tx_hash: string; block_hash: string; block_number: string; fee: string | null }>(
      `SELECT id, total::text AS total, merkle_root, tx_hash, block_hash, block_number::text AS block_number, fee::text AS fee
       FROM payout_batches WHERE status = 'finalized' ORDER BY block_number, id`,
    );
    const items = await this.#o.db.query<{ batch_id: string; address: string; amount: string }>(
      `SELECT i.batch_id, i.address, i.amount::text AS amount FROM payout_items i JOIN payout_batches b ON b.id = i.batch_id WHERE b.status = 'finalized'`,
    );
    const byBatch = new Map<string, string[]>();
    for (const i of items) byBatch.set(i.batch_id, [...(byBatch.get(i.batch_id) ?? []), `${safeHex(i.address)}=${i.amount}`]);
    const bad: string[] = [];
    for (const b of batches) {
      const block = await this.#canonicalBlock(b.block_hash as `0x${string}`, Number(b.block_number));
      if (!block) {
        bad.push(`${b.id}: block #${b.block_number} ${b.block_hash} is not on the finalized chain`);
        continue;
      }
      const x = (await escrowExtrinsicsIn(block, this.#escrowKey)).find((e) => e.extrinsicHash === b.tx_hash);
      const want = (byBatch.get(b.id) ?? []).sort();
      const got = x?.transfers.map((t) => `${t.to}=${t.amount}`).sort() ?? [];
      const sum = x?.transfers.reduce((s, t) => s + t.amount, 0n) ?? 0n;
      const why = !x
        ? 'no escrow extrinsic with its hash in that block'
        : !x.success || !x.payout
          ? `extrinsic did not succeed (${x.error ?? 'no memo'})`
          : x.payout.batchId !== b.id
            ? `memo names batch ${x.payout.batchId}`
            : x.payout.rootHex !== b.merkle_root
              ? `memo root ${x.payout.rootHex} differs from ledger root ${b.merkle_root}`
              : sum !== BigInt(b.total) || want.join() !== got.join()
                ? `transfers differ: chain ${got.join(' ')} (total ${sum}), ledger ${want.join(' ')} (total ${b.total})`
                : b.fee !== null && BigInt(b.fee) !== x.fee
                  ? `fee ${x.fee} on chain, ${b.fee} in the ledger`
                  : undefined;
      if (why) bad.push(`${b.id}: ${why}`);
    }
    return result(CHECKS.payoutsOnChain, `${batches.length} finalized payouts`, bad);
  }

  /** Each credited (and unassigned) deposit: the transfer its chain id names, same amount and memo account. */
  async #checkDeposits(): Promise<ReconcileCheck> {
    const rows = await this.#o.db.query<{ chain_id: string; account: string | null; amount: string }>(
      `SELECT chain_id, account, amount::text AS amount FROM deposits
       UNION ALL SELECT chain_id, NULL, amount::text FROM unassigned_deposits u WHERE NOT EXISTS (SELECT 1 FROM deposits d WHERE d.chain_id = u.chain_id)`,
    );
    const byBlock = new Map<string, typeof rows>();
    const bad: string[] = [];
    for (const r of rows) {
      const hash = /^(0x[0-9a-f]{64}):\d+$/.exec(r.chain_id)?.[1];
      if (!hash) bad.push(`${r.chain_id}: not a chain id`);
      else byBlock.set(hash, [...(byBlock.get(hash) ?? []), r]);
    }
    for (const [hash, list] of byBlock) {
      let block: ChainBlock | undefined;
      try {
        block = await this.#chain.blockAt(hash as `0x${string}`);
      } catch {
        block = undefined;
      }
      if (!block || !(await isFinalizedCanonical(this.#o.api, block))) {
        for (const r of list) bad.push(`${r.chain_id}: block not on the finalized chain`);
        continue;
      }
      const onChain = new Map((await this.#deposits.depositsIn(block)).map((d) => [d.id, d]));
      for (const r of list) {
        const d = onChain.get(r.chain_id);
        if (!d) bad.push(`${r.chain_id}: no deposit into escrow there`);
        else if (d.amount !== BigInt(r.amount)) bad.push(`${r.chain_id}: ${d.amount} on chain, ${r.amount} in the ledger`);
        else if (r.account !== null && d.memoAccount !== r.account) bad.push(`${r.chain_id}: memo names ${d.memoAccount}, credited to ${r.account}`);
      }
    }
    return result(CHECKS.depositsOnChain, `${rows.length} deposits`, bad);
  }

  /**
   * Every extrinsic since the last clean scan that the escrow signed or that moved money out of
   * it must be a payout the ledger knows in that very outcome. The cursor stops at the first
   * block with a finding, so the finding is reported on every run until someone deals with it.
   */
  async #scanOutflows(opening: number, to: number): Promise<ReconcileCheck> {
    const name = reconcilerCursorName(this.#escrowHex);
    const from = Math.max((await loadCursor(this.#o.db, name)) ?? 0, opening + 1);
    const last = Math.min(to, from + (this.#o.maxScanBlocks ?? 10_000) - 1);
    const bad: string[] = [];
    let firstBad: number | undefined;
    let seen = 0;
    for await (const block of this.#chain.blocks(from, last)) {
      for (const x of await escrowExtrinsicsIn(block, this.#escrowKey)) {
        seen++;
        const why = await this.#explain(x);
        if (!why) continue;
        bad.push(`#${x.blockNumber}/${x.extrinsicIndex} ${x.extrinsicHash}: ${why}`);
        firstBad ??= block.number;
      }
    }
    if (last >= from) await advanceCursor(this.#o.db, name, firstBad ?? last + 1);
    return result(CHECKS.escrowOutflows, `${seen} escrow extrinsics in #${from}..#${last}`, bad);
  }

  async #explain(x: EscrowExtrinsic): Promise<string | undefined> {
    const moved = x.transfers.reduce((s, t) => s + t.amount, 0n);
    if (!x.payout) return `not a payout: ${moved} planck left the escrow, fee ${x.fee}`;
    const [b] = await this.#o.db.query<{ status: string; block_hash: string | null }>('SELECT status, block_hash FROM payout_batches WHERE id = $1', [
      x.payout.batchId,
    ]);
    if (!b) return `payout ${x.payout.batchId} is not in the ledger (${moved} planck)`;
    if (b.status === 'pending' || b.status === 'submitted') return undefined; // in flight; the scheduler will record it
    if (x.success && (b.status !== 'finalized' || b.block_hash !== x.blockHash)) return `payout ${x.payout.batchId} succeeded on chain but is ${b.status} in the ledger`;
    if (!x.success && b.block_hash !== x.blockHash) return `failed payout ${x.payout.batchId} attempt not recorded (fee ${x.fee})`;
    return undefined;
  }

  async #canonicalBlock(hash: `0x${string}`, number: number): Promise<ChainBlock | undefined> {
    try {
      if (!(await isFinalizedCanonical(this.#o.api, { number, hash }))) return undefined;
      return await this.#chain.blockAt(hash);
    } catch {
      return undefined;
    }
  }
}

function result(name: string, what: string, bad: string[]): ReconcileCheck {
  if (bad.length === 0) return { name, ok: true, detail: `${what}: all match` };
  return { name, ok: false, detail: `${what}, ${bad.length} wrong: ${bad.slice(0, SHOW).join('; ')}${bad.length > SHOW ? '; ...' : ''}` };
}

function safeHex(address: string): string {
  try {
    return accountHex(address);
  } catch {
    return `invalid:${address}`;
  }
}
