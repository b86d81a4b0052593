// Money going back out of escrow at its owner's request: a viewer's unspent balance to their
// own address, or the platform's accrued fee to its treasury. A withdrawal is a payout batch of
// kind 'withdrawal' with one item, so the payout submitter sends it exactly once and the
// reconciler checks it like any payout (migrations/005_withdrawals.sql).
import { createHash, randomUUID } from 'node:crypto';
import type { Database, Queryable } from './db/Database.ts';
import { ensureAccounts, insertEntries, insertTxn, lockAccounts, PLATFORM_ACCOUNT, viewerAccount, withdrawalPendingAccount } from './ledgerSql.ts';
import { parsePlanck } from './money.ts';
import type { PayoutStatus } from './PayoutBook.ts';

/** The platform's own fee account, as the owner of its withdrawals. */
export const PLATFORM_OWNER = 'platform';

export interface WithdrawalRequest {
  /** A viewer's account id, or PLATFORM_OWNER. */
  owner: string;
  /** SS58 address the money goes to (checked by the caller against the chain's format). */
  destination: string;
  /** What leaves the balance. */
  requested: bigint;
  /** What the platform keeps towards the network fee; the destination receives requested − charge. */
  charge: bigint;
  /** The caller's key for this request: the same key never withdraws twice. */
  idempotencyKey: string;
}

export interface WithdrawalRecord {
  id: string;
  owner: string;
  destination: string;
  requested: bigint;
  charge: bigint;
  sent: bigint;
  status: PayoutStatus;
  extrinsicHash: string | null;
  blockNumber: number | null;
  error: string | null;
  createdAt: Date;
  settledAt: Date | null;
}

export type WithdrawalResult =
  | { status: 'created' | 'duplicate'; withdrawal: WithdrawalRecord }
  /** The balance does not cover the request; nothing was written. */
  | { status: 'insufficient'; available: bigint };

const KEY = /^[\x21-\x7e]{1,100}$/;

/** The owner's ledger account the money leaves from. */
export const withdrawalSource = (owner: string): string => (owner === PLATFORM_OWNER ? PLATFORM_ACCOUNT : viewerAccount(owner));

/**
 * What the on-chain memo commits to, in place of a payout's Merkle root: sha-256 of the
 * withdrawal's fields, so the memo names exactly this withdrawal.
 */
export function withdrawalCommitment(w: { id: string; owner: string; destination: string; sent: bigint }): string {
  const text = JSON.stringify({ v: 1, id: w.id, owner: w.owner, destination: w.destination, sent: w.sent.toString() });
  return `0x${createHash('sha256').update(text).digest('hex')}`;
}

interface Row {
  id: string;
  owner: string;
  address: string;
  sent: string;
  charge: string;
  status: PayoutStatus;
  tx_hash: string | null;
  block_number: string | null;
  error: string | null;
  created_at: Date | string;
  settled_at: Date | string | null;
}

const SELECT = `SELECT b.id, i.creator AS owner, i.address, i.amount::text AS sent, b.charge::text AS charge, b.status, b.tx_hash,
         b.block_number::text AS block_number, b.error, b.created_at, b.settled_at
  FROM payout_batches b JOIN payout_items i ON i.batch_id = b.id WHERE b.kind = 'withdrawal'`;

function toRecord(r: Row): WithdrawalRecord {
  const sent = parsePlanck(r.sent);
  const charge = parsePlanck(r.charge);
  return {
    id: r.id,
    owner: r.owner,
    destination: r.address,
    requested: sent + charge,
    charge,
    sent,
    status: r.status,
    extrinsicHash: r.tx_hash,
    blockNumber: r.block_number === null ? null : Number(r.block_number),
    error: r.error,
    createdAt: new Date(r.created_at),
    settledAt: r.settled_at === null ? null : new Date(r.settled_at),
  };
}

export class Withdrawals {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /**
   * Reserves `requested` from the owner's balance (it stays reserved until the withdrawal is
   * final, and comes back if it fails or expires) and queues the payout. The source account's
   * row lock orders concurrent requests, so two of them can never spend the same balance.
   */
  async request(r: WithdrawalRequest): Promise<WithdrawalResult> {
    if (!KEY.test(r.idempotencyKey)) throw new Error('idempotencyKey: 1-100 printable characters');
    if (r.charge < 0n || r.requested <= r.charge) throw new Error('requested must exceed the charge');
    const key = `withdrawal:${r.owner}:${r.idempotencyKey}`;
    const source = withdrawalSource(r.owner);
    return this.#db.transaction(async (tx): Promise<WithdrawalResult> => {
      if (r.owner !== PLATFORM_OWNER) await ensureAccounts(tx, 'viewer', [r.owner]);
      await ensureAccounts(tx, 'withdrawal_pending', [r.owner]);
      const balances = await lockAccounts(tx, [source, withdrawalPendingAccount(r.owner)]);
      const [prev] = await tx.query<{ id: string }>('SELECT id FROM payout_batches WHERE idempotency_key = $1', [key]);
      if (prev) return { status: 'duplicate', withdrawal: (await this.#get(tx, prev.id))! };
      const available = balances.get(source)!;
      if (available < r.requested) return { status: 'insufficient', available };
      const id = `w-${randomUUID()}`;
      const sent = r.requested - r.charge;
      const root = withdrawalCommitment({ id, owner: r.owner, destination: r.destination, sent });
      await tx.query(
        `INSERT INTO payout_batches (id, idempotency_key, total, window_count, merkle_root, kind, source, charge)
         VALUES ($1, $2, $3, 0, $4, 'withdrawal', $5, $6)`,
        [id, key, sent.toString(), root, source, r.charge.toString()],
      );
      await tx.query('INSERT INTO payout_items (batch_id, creator, address, amount) VALUES ($1, $2, $3, $4)', [id, r.owner, r.destination, sent.toString()]);
      const txnId = await insertTxn(tx, { kind: 'withdrawal', idempotencyKey: `withdrawal:${id}:reserve`, memo: id });
      const entries = new Map([
        [source, -r.requested],
        [withdrawalPendingAccount(r.owner), r.requested],
      ]);
      await insertEntries(tx, txnId!, entries);
      return { status: 'created', withdrawal: (await this.#get(tx, id))! };
    });
  }

  get(id: string): Promise<WithdrawalRecord | undefined> {
    return this.#get(this.#db, id);
  }

  /** The owner's withdrawals, newest first. */
  async list(owner: string, limit = 20): Promise<WithdrawalRecord[]> {
    const rows = await this.#db.query<Row>(`${SELECT} AND b.source = $1 ORDER BY b.created_at DESC, b.id LIMIT $2`, [withdrawalSource(owner), limit]);
    return rows.map(toRecord);
  }

  /** What the owner holds reserved in withdrawals still on their way. */
  async inFlight(owner: string): Promise<bigint> {
    const [row] = await this.#db.query<{ balance: string }>('SELECT balance::text AS balance FROM ledger_accounts WHERE id = $1', [withdrawalPendingAccount(owner)]);
    return row ? parsePlanck(row.balance) : 0n;
  }

  async #get(q: Queryable, id: string): Promise<WithdrawalRecord | undefined> {
    const [row] = await q.query<Row>(`${SELECT} AND b.id = $1`, [id]);
    return row ? toRecord(row) : undefined;
  }
}
