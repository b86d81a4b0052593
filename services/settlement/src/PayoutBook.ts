import { randomUUID } from 'node:crypto';
import type { Database, Queryable } from './db/Database.ts';
import { addTo, creatorAccount, ensureAccounts, insertEntries, insertTxn, lockAccounts, payoutPendingAccount, tipLeafId } from './ledgerSql.ts';
import { parsePlanck } from './money.ts';
import { finalizeEntries, reverseEntries, type BatchMoney } from './payoutEntries.ts';

export type PayoutStatus = 'pending' | 'submitted' | 'finalized' | 'failed' | 'expired';

/**
 * One settled window or tip a payout pays for. `amount` is what the viewer paid for it; the
 * creator's share of it is floor(amount × 90 / 100). A tip's leaf has sessionId
 * `tip:<tipId>` (tipLeafId) and window 0.
 */
export interface PayoutLeaf {
  sessionId: string;
  window: number;
  viewer: string;
  creator: string;
  /** The creator's payout address (SS58). */
  creatorAddress: string;
  amount: bigint;
}

export interface PayoutItem {
  creator: string;
  address: string;
  amount: bigint;
}

export interface PayoutBatchRecord {
  id: string;
  idempotencyKey: string;
  /** `creators`: a scheduled payout of earnings; `withdrawal`: one account's money leaving (Withdrawals). */
  kind: BatchMoney['kind'];
  status: PayoutStatus;
  total: bigint;
  /** Leaves: the windows and tips the batch pays for. */
  windowCount: number;
  merkleRoot: string | null;
  items: PayoutItem[];
  extrinsicHash: string | null;
  blockHash: string | null;
  blockNumber: number | null;
  fee: bigint | null;
  error: string | null;
  createdAt: Date;
}

/** Where a payout landed; chain/'s SettlementClient results have these fields. */
export interface PayoutInclusion {
  extrinsicHash: string;
  blockHash: string;
  blockNumber: number;
  /** Planck the escrow signer paid in fees; recorded on the batch, not booked (see docs/money.md). */
  fee?: bigint;
}

/** Root over the batch's leaves, given in canonical order (sessionId, then window); 0x hex. */
export type MerkleRootFn = (leaves: readonly PayoutLeaf[]) => string;

export type CreateBatchResult =
  | { status: 'created' | 'duplicate'; batch: PayoutBatchRecord }
  /** No creator with a payout address has at least the minimum; nothing was written. */
  | { status: 'empty' };

const BATCH_ID = /^[A-Za-z0-9._-]{1,80}$/;
/** Serializes batch creation, so the idempotency check and the reservation are one step. */
const PAYOUT_LOCK = 0x7061796f; // 'payo'
const OPEN: readonly PayoutStatus[] = ['pending', 'submitted'];

interface BatchRow {
  id: string;
  idempotency_key: string;
  kind: BatchMoney['kind'];
  status: PayoutStatus;
  total: string;
  window_count: number;
  merkle_root: string | null;
  tx_hash: string | null;
  block_hash: string | null;
  block_number: string | null;
  fee: string | null;
  error: string | null;
  created_at: Date | string;
}

/**
 * Payout bookkeeping. Creating a batch moves each payable creator's whole balance to
 * payout_pending:<creator> and tags the windows and tips it pays for, in one transaction. The
 * batch then ends exactly once: finalized (payout_pending → escrow, the money left on chain) or
 * failed/expired (payout_pending → creator, windows and tips untagged, paid by a later batch).
 */
export class PayoutBook {
  readonly #db: Database;
  readonly #computeRoot: MerkleRootFn;

  constructor(db: Database, opts: { computeRoot: MerkleRootFn }) {
    this.#db = db;
    this.#computeRoot = opts.computeRoot;
  }

  /**
   * Reserves every payable creator's balance (payout address set, balance ≥ minAmount), at
   * most `maxCreators` of them so the batch fits one extrinsic (see chain's
   * maxTransfersPerExtrinsic); the rest wait for the next batch. The same idempotencyKey
   * returns the batch it created before.
   */
  async createBatch(opts: { idempotencyKey: string; minAmount?: bigint; batchId?: string; maxCreators?: number }): Promise<CreateBatchResult> {
    const batchId = opts.batchId ?? randomUUID();
    const min = opts.minAmount ?? 1n;
    const maxCreators = opts.maxCreators ?? 1000;
    if (!Number.isInteger(maxCreators) || maxCreators < 1) throw new Error('maxCreators: must be a positive integer');
    if (!BATCH_ID.test(batchId)) throw new Error('batchId: 1-80 of [A-Za-z0-9._-]');
    if (opts.idempotencyKey.length === 0 || opts.idempotencyKey.length > 200) throw new Error('idempotencyKey: 1-200 characters');
    if (min < 1n) throw new Error('minAmount: must be positive');
    return this.#db.transaction(async (tx): Promise<CreateBatchResult> => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [PAYOUT_LOCK]);
      const [prev] = await tx.query<{ id: string }>('SELECT id FROM payout_batches WHERE idempotency_key = $1', [opts.idempotencyKey]);
      if (prev) return { status: 'duplicate', batch: (await this.#get(tx, prev.id))! };
      const payable = await tx.query<{ creator: string; balance: string; address: string }>(
        `SELECT la.owner AS creator, la.balance::text AS balance, a.payout_address AS address
         FROM ledger_accounts la JOIN accounts a ON a.id = la.owner
         WHERE la.kind = 'creator' AND la.balance >= $1::numeric AND a.payout_address IS NOT NULL
         ORDER BY la.id COLLATE "C" LIMIT $2 FOR UPDATE OF la`,
        [min.toString(), maxCreators],
      );
      if (payable.length === 0) return { status: 'empty' };
      const creators = payable.map((p) => p.creator);
      await ensureAccounts(tx, 'payout_pending', creators);
      await lockAccounts(tx, creators.map(payoutPendingAccount));
      const total = payable.reduce((s, p) => s + parsePlanck(p.balance), 0n);
      await tx.query('INSERT INTO payout_batches (id, idempotency_key, total, window_count) VALUES ($1, $2, $3, 0)', [
        batchId,
        opts.idempotencyKey,
        total.toString(),
      ]);
      const tagged = await tagUnpaid(tx, batchId, creators);
      // A creator's balance is exactly their unpaid windows' and tips' shares; anything else is a ledger bug.
      const address = new Map(payable.map((p) => [p.creator, p.address]));
      for (const p of payable) {
        if (tagged.shares.get(p.creator) !== parsePlanck(p.balance)) throw new Error(`creator ${p.creator}: balance does not match unpaid windows and tips`);
      }
      const leaves: PayoutLeaf[] = tagged.leaves
        .map((l) => ({ sessionId: l.sessionId, window: l.window, viewer: l.viewer, creator: l.creator, creatorAddress: address.get(l.creator)!, amount: l.amount }))
        .sort(compareLeaves);
      await tx.query('UPDATE payout_batches SET merkle_root = $2, window_count = $3 WHERE id = $1', [batchId, this.#computeRoot(leaves), leaves.length]);
      await tx.query(
        `INSERT INTO payout_items (batch_id, creator, address, amount)
         SELECT $1, c, a, m FROM unnest($2::text[], $3::text[], $4::numeric[]) AS t(c, a, m)`,
        [batchId, creators, payable.map((p) => p.address), payable.map((p) => p.balance)],
      );
      const entries = new Map<string, bigint>();
      for (const p of payable) {
        addTo(entries, creatorAccount(p.creator), -parsePlanck(p.balance));
        addTo(entries, payoutPendingAccount(p.creator), parsePlanck(p.balance));
      }
      const txnId = await insertTxn(tx, { kind: 'payout', idempotencyKey: `payout:${batchId}:reserve`, memo: batchId });
      if (!txnId) throw new Error(`payout ${batchId} already reserved`);
      await insertEntries(tx, txnId, entries);
      return { status: 'created', batch: (await this.#get(tx, batchId))! };
    });
  }

  /** The batch was signed and sent as the extrinsic `extrinsicHash`. */
  async markSubmitted(batchId: string, extrinsicHash: string): Promise<'submitted' | 'duplicate'> {
    return this.#db.transaction(async (tx) => {
      const status = await this.#lockStatus(tx, batchId);
      if (status === 'submitted') {
        const [row] = await tx.query<{ tx_hash: string | null }>('SELECT tx_hash FROM payout_batches WHERE id = $1', [batchId]);
        if (row?.tx_hash === extrinsicHash) return 'duplicate';
        throw new Error(`payout ${batchId} was submitted as another extrinsic`);
      }
      if (status !== 'pending') throw new Error(`payout ${batchId} is ${status}`);
      await tx.query("UPDATE payout_batches SET status = 'submitted', tx_hash = $2, submitted_at = now() WHERE id = $1", [batchId, extrinsicHash]);
      return 'submitted';
    });
  }

  /** Every transfer happened in a finalized block: the money left escrow. */
  async markFinalized(batchId: string, inc: PayoutInclusion): Promise<'finalized' | 'duplicate'> {
    return this.#db.transaction(async (tx) => {
      const status = await this.#lockStatus(tx, batchId);
      if (status === 'finalized') return 'duplicate';
      if (!OPEN.includes(status)) throw new Error(`payout ${batchId} is ${status}`);
      const money = await this.#money(tx, batchId);
      const entries = finalizeEntries(money);
      await lockAccounts(tx, entries.keys());
      const kind = money.kind === 'withdrawal' ? 'withdrawal' : 'payout';
      const txnId = await insertTxn(tx, { kind, idempotencyKey: `${kind}:${batchId}:finalize`, memo: batchId });
      await insertEntries(tx, txnId!, entries);
      await tx.query(
        `UPDATE payout_batches SET status = 'finalized', tx_hash = $2, block_hash = $3, block_number = $4, fee = $5,
           settled_at = now() WHERE id = $1`,
        [batchId, inc.extrinsicHash, inc.blockHash, inc.blockNumber, inc.fee?.toString() ?? null],
      );
      return 'finalized';
    });
  }

  /** Dispatch failed or the node refused it: nothing was paid, the creators get their balance back. */
  markFailed(batchId: string, error: string, inc?: PayoutInclusion): Promise<'failed' | 'duplicate'> {
    return this.#reverse(batchId, 'failed', error, inc);
  }

  /** The mortal era ended with no inclusion: nothing was paid and nothing can be. */
  markExpired(batchId: string): Promise<'expired' | 'duplicate'> {
    return this.#reverse(batchId, 'expired', null, undefined);
  }

  async #reverse<S extends 'failed' | 'expired'>(batchId: string, to: S, error: string | null, inc: PayoutInclusion | undefined): Promise<S | 'duplicate'> {
    return this.#db.transaction(async (tx) => {
      const status = await this.#lockStatus(tx, batchId);
      if (status === to) return 'duplicate';
      if (!OPEN.includes(status)) throw new Error(`payout ${batchId} is ${status}`);
      const money = await this.#money(tx, batchId);
      const entries = reverseEntries(money);
      await lockAccounts(tx, entries.keys());
      const kind = money.kind === 'withdrawal' ? 'withdrawal' : 'payout';
      const txnId = await insertTxn(tx, { kind, idempotencyKey: `${kind}:${batchId}:reverse`, memo: `${batchId} ${to}` });
      await insertEntries(tx, txnId!, entries);
      await tx.query('UPDATE settled_windows SET payout_batch_id = NULL WHERE payout_batch_id = $1', [batchId]);
      await tx.query('UPDATE tips SET payout_batch_id = NULL WHERE payout_batch_id = $1', [batchId]);
      await tx.query(
        `UPDATE payout_batches SET status = $2, error = $3, tx_hash = coalesce($4, tx_hash), block_hash = $5,
           block_number = $6, fee = $7, settled_at = now() WHERE id = $1`,
        [batchId, to, error, inc?.extrinsicHash ?? null, inc?.blockHash ?? null, inc?.blockNumber ?? null, inc?.fee?.toString() ?? null],
      );
      return to;
    });
  }

  get(batchId: string): Promise<PayoutBatchRecord | undefined> {
    return this.#get(this.#db, batchId);
  }

  /** Batches not yet final, oldest first: after a restart, ask the chain what became of each. */
  async open(): Promise<PayoutBatchRecord[]> {
    const rows = await this.#db.query<{ id: string }>(
      "SELECT id FROM payout_batches WHERE status IN ('pending', 'submitted') ORDER BY created_at, id",
    );
    const out: PayoutBatchRecord[] = [];
    for (const r of rows) out.push((await this.get(r.id))!);
    return out;
  }

  /** The windows and tips a live or finalized batch pays for, in canonical order, for inclusion proofs. */
  async leaves(batchId: string): Promise<PayoutLeaf[]> {
    const rows = await this.#db.query<{ session_id: string; window: string; viewer: string; creator: string; amount: string; address: string }>(
      `SELECT s.session_id::text AS session_id, s."window"::text AS "window", s.viewer, s.creator, s.amount::text AS amount,
              i.address
       FROM settled_windows s JOIN payout_items i ON i.batch_id = s.payout_batch_id AND i.creator = s.creator
       WHERE s.payout_batch_id = $1
       UNION ALL
       SELECT $2 || t.tip_id::text, '0', t.viewer, t.creator, t.amount::text, i.address
       FROM tips t JOIN payout_items i ON i.batch_id = t.payout_batch_id AND i.creator = t.creator
       WHERE t.payout_batch_id = $1`,
      [batchId, tipLeafId('')],
    );
    return rows
      .map((r) => ({
        sessionId: r.session_id,
        window: Number(r.window),
        viewer: r.viewer,
        creator: r.creator,
        creatorAddress: r.address,
        amount: parsePlanck(r.amount),
      }))
      .sort(compareLeaves);
  }

  async #lockStatus(tx: Queryable, batchId: string): Promise<PayoutStatus> {
    const [row] = await tx.query<{ status: PayoutStatus }>('SELECT status FROM payout_batches WHERE id = $1 FOR UPDATE', [batchId]);
    if (!row) throw new Error(`payout ${batchId} not found`);
    return row.status;
  }

  /** What ending the batch moves: its kind, where a withdrawal came from, its charge, its items. */
  async #money(q: Queryable, batchId: string): Promise<BatchMoney> {
    const [row] = await q.query<{ kind: BatchMoney['kind']; source: string | null; charge: string }>(
      'SELECT kind, source, charge::text AS charge FROM payout_batches WHERE id = $1',
      [batchId],
    );
    if (!row) throw new Error(`payout ${batchId} not found`);
    return { kind: row.kind, source: row.source, charge: parsePlanck(row.charge), items: await this.#items(q, batchId) };
  }

  async #items(q: Queryable, batchId: string): Promise<PayoutItem[]> {
    const rows = await q.query<{ creator: string; address: string; amount: string }>(
      'SELECT creator, address, amount::text AS amount FROM payout_items WHERE batch_id = $1 ORDER BY creator',
      [batchId],
    );
    return rows.map((r) => ({ creator: r.creator, address: r.address, amount: parsePlanck(r.amount) }));
  }

  async #get(q: Queryable, batchId: string): Promise<PayoutBatchRecord | undefined> {
    const [r] = await q.query<BatchRow>(
      `SELECT id, idempotency_key, kind, status, total::text AS total, window_count, merkle_root, tx_hash, block_hash,
              block_number::text AS block_number, fee::text AS fee, error, created_at
       FROM payout_batches WHERE id = $1`,
      [batchId],
    );
    if (!r) return undefined;
    return {
      id: r.id,
      idempotencyKey: r.idempotency_key,
      kind: r.kind,
      status: r.status,
      total: parsePlanck(r.total),
      windowCount: r.window_count,
      merkleRoot: r.merkle_root,
      items: await this.#items(q, batchId),
      extrinsicHash: r.tx_hash,
      blockHash: r.block_hash,
      blockNumber: r.block_number === null ? null : Number(r.block_number),
      fee: r.fee === null ? null : parsePlanck(r.fee),
      error: r.error,
      createdAt: new Date(r.created_at),
    };
  }
}

/** Tags the unpaid windows and tips of `creators` with the batch; their leaves (no address yet) and each creator's sum of shares. */
async function tagUnpaid(tx: Queryable, batchId: string, creators: string[]): Promise<{ leaves: Omit<PayoutLeaf, 'creatorAddress'>[]; shares: Map<string, bigint> }> {
  const windows = await tx.query<{ session_id: string; window: string; viewer: string; creator: string; amount: string; creator_amount: string }>(
    `UPDATE settled_windows SET payout_batch_id = $1
     WHERE creator = ANY($2::text[]) AND payout_batch_id IS NULL AND creator_amount > 0
     RETURNING session_id::text AS session_id, "window"::text AS "window", viewer, creator, amount::text AS amount,
               creator_amount::text AS creator_amount`,
    [batchId, creators],
  );
  const tips = await tx.query<{ tip_id: string; viewer: string; creator: string; amount: string; creator_share: string }>(
    `UPDATE tips SET payout_batch_id = $1
     WHERE creator = ANY($2::text[]) AND payout_batch_id IS NULL AND creator_share > 0
     RETURNING tip_id::text AS tip_id, viewer, creator, amount::text AS amount, creator_share::text AS creator_share`,
    [batchId, creators],
  );
  const shares = new Map<string, bigint>();
  const leaves: Omit<PayoutLeaf, 'creatorAddress'>[] = [];
  for (const w of windows) {
    addTo(shares, w.creator, parsePlanck(w.creator_amount));
    leaves.push({ sessionId: w.session_id, window: Number(w.window), viewer: w.viewer, creator: w.creator, amount: parsePlanck(w.amount) });
  }
  for (const t of tips) {
    addTo(shares, t.creator, parsePlanck(t.creator_share));
    leaves.push({ sessionId: tipLeafId(t.tip_id), window: 0, viewer: t.viewer, creator: t.creator, amount: parsePlanck(t.amount) });
  }
  return { leaves, shares };
}

/** Canonical leaf order: sessionId as UTF-8 bytes (a lowercase uuid or tip:<uuid>, all ASCII: plain string order), then window. */
function compareLeaves(a: PayoutLeaf, b: PayoutLeaf): number {
  return a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : a.window - b.window;
}

