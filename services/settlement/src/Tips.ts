// Tips: a viewer gives a creator part of their prepaid balance, with a message, in chat
// (migrations/007_tips.sql). A tip is money exactly like a watched window: one ledger txn with
// the 90/10 split, under the same row locks, inside the same spending caps, and paid out by the
// creator's next payout batch as a Merkle leaf of its own (PayoutBook).
import { VilokanamError } from '@vilokanam/contracts/errors';
import type { Database, Queryable } from './db/Database.ts';
import { ACCOUNT_ID, creatorAccount, ensureAccounts, insertEntries, insertTxn, lockAccounts, PLATFORM_ACCOUNT, viewerAccount } from './ledgerSql.ts';
import { parsePlanck, splitWatch, U128_MAX } from './money.ts';
import { loadCapStates, recordSpending, spendableWithin, type Spendable } from './SpendingCaps.ts';

export type TipErrorCode = 'bad_request' | 'payment_required' | 'conflict';

/** A tip refused for something the caller can act on; nothing was written. */
export class TipError extends VilokanamError<TipErrorCode> {
  /** payment_required: what the viewer may still spend on the stream, and what limits it. */
  readonly spendable: Spendable | undefined;

  constructor(code: TipErrorCode, message: string, spendable?: Spendable) {
    super(code, message);
    this.spendable = spendable;
  }
}

export interface TipInput {
  /** Chosen by the client once per tip (a uuid): a retried request pays once. */
  tipId: string;
  viewer: string;
  creator: string;
  /** The stream (uuid) the tip was sent on; it counts against that stream's spending cap. */
  stream: string;
  /** Planck, taken whole from the viewer's balance. */
  amount: bigint;
  /** At most 200 characters; may be empty. */
  message: string;
}

export interface TipRow {
  tipId: string;
  viewer: string;
  creator: string;
  stream: string;
  amount: bigint;
  creatorShare: bigint;
  platformShare: bigint;
  message: string;
  createdAt: Date;
  /** The payout batch paying the creator's share; null until one does (or after one failed). */
  payoutBatchId: string | null;
}

export interface TipResult {
  /** `duplicate`: this tipId was sent before, with the same details; nothing changed. */
  status: 'sent' | 'duplicate';
  tip: TipRow;
}

export interface TipPage {
  /** 1-200. */
  limit: number;
  /** A tipId from the previous page: the tips older than it. */
  before?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_MESSAGE = 200;
const MAX_PAGE = 200;

interface Row {
  tip_id: string;
  viewer: string;
  creator: string;
  stream: string;
  amount: string;
  creator_share: string;
  platform_share: string;
  message: string;
  created_at: Date | string;
  payout_batch_id: string | null;
}

const COLUMNS = `tip_id::text AS tip_id, viewer, creator, stream::text AS stream, amount::text AS amount,
  creator_share::text AS creator_share, platform_share::text AS platform_share, message, created_at, payout_batch_id`;

function toRow(r: Row): TipRow {
  return {
    tipId: r.tip_id,
    viewer: r.viewer,
    creator: r.creator,
    stream: r.stream,
    amount: parsePlanck(r.amount),
    creatorShare: parsePlanck(r.creator_share),
    platformShare: parsePlanck(r.platform_share),
    message: r.message,
    createdAt: new Date(r.created_at),
    payoutBatchId: r.payout_batch_id,
  };
}

const bad = (message: string): TipError => new TipError('bad_request', message);

/** The input checked and in canonical form (lowercase uuids), or a bad_request. */
function normalize(t: TipInput): TipInput {
  const tipId = String(t.tipId).toLowerCase();
  const stream = String(t.stream).toLowerCase();
  if (!UUID.test(tipId)) throw bad('tipId: must be a uuid');
  if (!UUID.test(stream)) throw bad('stream: must be a uuid');
  if (!ACCOUNT_ID.test(t.viewer) || !ACCOUNT_ID.test(t.creator)) throw bad('account: 1-128 printable characters');
  if (t.viewer === t.creator) throw bad('you cannot tip yourself');
  if (typeof t.amount !== 'bigint' || t.amount <= 0n) throw bad('amount: must be more than zero');
  if (t.amount > U128_MAX) throw bad('amount: too large');
  if (typeof t.message !== 'string') throw bad('message: must be text');
  // Postgres counts code points and cannot store NUL.
  if ([...t.message].length > MAX_MESSAGE) throw bad(`message: at most ${MAX_MESSAGE} characters`);
  if (t.message.includes('\u0000')) throw bad('message: must not contain NUL');
  return { tipId, viewer: t.viewer, creator: t.creator, stream, amount: t.amount, message: t.message };
}

/** A second request with a used tipId: the same tip again, or a different one reusing its id. */
function replay(prev: TipRow, t: TipInput): TipResult {
  const same = prev.viewer === t.viewer && prev.creator === t.creator && prev.stream === t.stream && prev.amount === t.amount && prev.message === t.message;
  if (!same) throw new TipError('conflict', `tip ${t.tipId} was already sent with other details; a new tip needs a new tipId`);
  return { status: 'duplicate', tip: prev };
}

function refusal(amount: bigint, room: Spendable): TipError {
  const why =
    room.limit === 'day_cap'
      ? `your daily spending cap leaves ${room.amount} planck today`
      : room.limit === 'stream_cap'
        ? `your spending cap for this stream leaves ${room.amount} planck today`
        : `your balance is ${room.amount} planck`;
  return new TipError('payment_required', `a tip of ${amount} planck is more than you can spend: ${why}`, room);
}

export class Tips {
  readonly #db: Database;
  /** Ledger accounts known to exist; they are never deleted, so this only saves round trips. */
  readonly #known = new Set<string>();

  constructor(db: Database) {
    this.#db = db;
  }

  /**
   * Moves `amount` from the viewer's balance: creator +⌊90 %⌋, platform +rest, in one
   * transaction. The tipId is the idempotency key: sent again with the same details it is a
   * `duplicate` that changes nothing, whatever the balance is by then; with other details it is
   * a `conflict`. Refused (payment_required) when the balance or a spending cap does not cover
   * the whole amount: a tip is never cut short as a window is.
   */
  async send(input: TipInput): Promise<TipResult> {
    const t = normalize(input);
    // Created outside the transaction, as Ledger does: two new accounts tipping each other
    // would otherwise insert their rows in opposite orders.
    await this.#ensure('viewer', t.viewer);
    await this.#ensure('creator', t.creator);
    return this.#db.transaction((tx) => this.#send(tx, t));
  }

  async #send(tx: Queryable, t: TipInput): Promise<TipResult> {
    const va = viewerAccount(t.viewer);
    const ca = creatorAccount(t.creator);
    // The same accounts, in the same order, as a watch txn of this viewer and creator.
    const balances = await lockAccounts(tx, [va, ca, PLATFORM_ACCOUNT]);
    const prev = await this.#find(tx, t.tipId);
    if (prev) return replay(prev, t);
    const caps = await loadCapStates(tx, [t.viewer]);
    const room = spendableWithin(balances.get(va)!, caps.get(t.viewer), t.stream);
    if (t.amount > room.amount) throw refusal(t.amount, room);
    const txnId = await insertTxn(tx, { kind: 'tip', idempotencyKey: `tip:${t.tipId}`, memo: t.tipId });
    if (!txnId) {
      // Sent meanwhile by a request holding another viewer's lock: its row is committed now.
      const other = await this.#find(tx, t.tipId);
      if (!other) throw new Error(`tip ${t.tipId}: ledger txn without its tip`);
      return replay(other, t);
    }
    const split = splitWatch(t.amount);
    const [row] = await tx.query<Row>(
      `INSERT INTO tips (tip_id, viewer, creator, stream, amount, creator_share, platform_share, message, txn_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${COLUMNS}`,
      [t.tipId, t.viewer, t.creator, t.stream, t.amount.toString(), split.creator.toString(), split.platform.toString(), t.message, txnId],
    );
    await insertEntries(
      tx,
      txnId,
      new Map([
        [va, -t.amount],
        [ca, split.creator],
        [PLATFORM_ACCOUNT, split.platform],
      ]),
    );
    await recordSpending(tx, [{ viewer: t.viewer, stream: t.stream, amount: t.amount }]);
    return { status: 'sent', tip: toRow(row!) };
  }

  /** One tip by id, or undefined. */
  async get(tipId: string): Promise<TipRow | undefined> {
    const id = String(tipId).toLowerCase();
    if (!UUID.test(id)) return undefined;
    return this.#find(this.#db, id);
  }

  /** Tips a creator received, newest first. */
  received(creator: string, page: TipPage): Promise<TipRow[]> {
    return this.#list('creator', creator, page);
  }

  /** Tips a viewer sent, newest first. */
  sent(viewer: string, page: TipPage): Promise<TipRow[]> {
    return this.#list('viewer', viewer, page);
  }

  async #list(side: 'creator' | 'viewer', account: string, page: TipPage): Promise<TipRow[]> {
    const limit = Math.min(Math.max(Math.trunc(page.limit) || 1, 1), MAX_PAGE);
    const before = page.before === undefined ? null : page.before.toLowerCase();
    if (before !== null && !UUID.test(before)) throw bad('before: must be a tipId');
    // (created_at, tip_id) orders tips sent in the same microsecond too; an unknown cursor
    // compares as NULL and yields an empty page.
    const rows = await this.#db.query<Row>(
      `SELECT ${COLUMNS} FROM tips
       WHERE ${side} = $1 AND ($2::uuid IS NULL OR (created_at, tip_id) < (SELECT created_at, tip_id FROM tips WHERE tip_id = $2::uuid))
       ORDER BY created_at DESC, tip_id DESC LIMIT $3`,
      [account, before, limit],
    );
    return rows.map(toRow);
  }

  async #find(q: Queryable, tipId: string): Promise<TipRow | undefined> {
    const [row] = await q.query<Row>(`SELECT ${COLUMNS} FROM tips WHERE tip_id = $1`, [tipId]);
    return row && toRow(row);
  }

  async #ensure(kind: 'viewer' | 'creator', owner: string): Promise<void> {
    const key = `${kind}:${owner}`;
    if (this.#known.has(key)) return;
    await ensureAccounts(this.#db, kind, [owner]);
    this.#known.add(key);
  }
}
