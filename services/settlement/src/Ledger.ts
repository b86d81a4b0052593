import { createHash } from 'node:crypto';
import type { Database, Queryable } from './db/Database.ts';
import {
  ACCOUNT_ID,
  addTo,
  creatorAccount,
  ensureAccounts,
  ESCROW_ACCOUNT,
  insertEntries,
  insertTxn,
  lockAccounts,
  payoutPendingAccount,
  pgArray,
  PLATFORM_ACCOUNT,
  viewerAccount,
  type OwnedKind,
  type TxnKind,
} from './ledgerSql.ts';
import { BilledSeconds, validateWatchedSeconds } from './BilledSeconds.ts';
import { parsePlanck, parseSigned, splitWatch, U128_MAX } from './money.ts';
import { loadCapStates, recordSpending, spendableWithin, type CapState } from './SpendingCaps.ts';

/** Seconds of media one viewer session received in one window, at the session's fixed price. */
export interface WindowUsage {
  sessionId: string;
  window: number;
  /** Distinct seconds media flowed in this session's window. */
  seconds: number;
  /**
   * Those seconds as unix seconds, all inside [window × windowSeconds, (window + 1) ×
   * windowSeconds). With them, a second some session of the same viewer on the same stream
   * was already billed for is not billed again. SettlementWorker always gives them; without
   * them (a caller that knows only a count) the window is billed by count, unchecked.
   */
  unixSeconds?: readonly number[];
  /** W, the window length `unixSeconds` were grouped by; required with them. */
  windowSeconds?: number;
  pricePerSecond: bigint;
  viewer: string;
  creator: string;
  stream: string;
}

export interface SettledWindowResult {
  /**
   * `overdrawn`: the viewer could not pay for every second not already billed (seconds −
   * sharedSeconds); only whole affordable seconds were billed.
   */
  status: 'settled' | 'overdrawn';
  sessionId: string;
  window: number;
  viewer: string;
  stream: string;
  seconds: number;
  /** Seconds already billed to another session of the viewer on the stream: neither billed nor overdrawn. */
  sharedSeconds: number;
  billedSeconds: number;
  amount: bigint;
  creatorAmount: bigint;
  platformAmount: bigint;
  /** Null when nothing was billed. */
  txnId: string | null;
  /** What the viewer may still spend right after this window: the balance, or less under a spending cap. */
  balanceAfter: bigint;
  /** A spending cap, not the balance, is what limits `balanceAfter` (and cut the window, if overdrawn). */
  capped: boolean;
}

/** The window was settled before; nothing changed. */
export interface DuplicateWindowResult {
  status: 'duplicate';
  sessionId: string;
  window: number;
}

export type SettleResult = SettledWindowResult | DuplicateWindowResult;

export interface DepositInput {
  /** One transfer into escrow on chain, e.g. `<blockHash>:<extrinsicIndex>`. */
  chainId: string;
  account: string;
  amount: bigint;
  blockNumber?: number;
}

export interface DepositResult {
  status: 'credited' | 'duplicate';
  balance: bigint;
}

export interface HistoryEntry {
  entryId: string;
  txnId: string;
  kind: TxnKind;
  memo: string | null;
  amount: bigint;
  createdAt: Date;
}

/** A creator's money, in planck: earned = settled + pending + paidOut. */
export interface Earnings {
  /** Settled into the ledger, not yet in a payout. */
  settled: bigint;
  /** In a payout batch that is not final yet. */
  pending: bigint;
  /** Paid by finalized payouts. */
  paidOut: bigint;
  earned: bigint;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_SECONDS = 2_147_483_647;

function validateUsage(w: WindowUsage): void {
  if (!UUID.test(w.sessionId)) throw new Error('sessionId: not a lowercase uuid');
  if (!Number.isSafeInteger(w.window) || w.window < 0) throw new Error('window: must be a non-negative integer');
  if (!Number.isInteger(w.seconds) || w.seconds < 0 || w.seconds > MAX_SECONDS) throw new Error('seconds: must be a non-negative integer');
  if (typeof w.pricePerSecond !== 'bigint' || w.pricePerSecond < 0n) throw new Error('price: must be a non-negative bigint');
  if (BigInt(w.seconds) * w.pricePerSecond > U128_MAX) throw new Error('amount: exceeds u128');
  if (!ACCOUNT_ID.test(w.viewer) || !ACCOUNT_ID.test(w.creator)) throw new Error('account: 1-128 printable characters');
  if (w.stream.length === 0 || w.stream.length > 128) throw new Error('stream: 1-128 characters');
  if (w.unixSeconds !== undefined || w.windowSeconds !== undefined) validateWatchedSeconds(w);
}

/**
 * The settlement ledger: prepaid viewer balances, creator earnings and platform fees, in
 * double entry. Every write is one SQL transaction; settling a (session, window) is
 * exactly-once because settled_windows has it as primary key, and a watched second is billed
 * at most once per (viewer, stream), whatever number of sessions ticked it, because
 * billed_watch_seconds records it under the viewer's lock.
 */
export class Ledger {
  readonly #db: Database;
  /** Ledger accounts known to exist; they are never deleted, so this only saves round trips. */
  readonly #known = new Set<string>();

  constructor(db: Database) {
    this.#db = db;
  }

  get db(): Database {
    return this.#db;
  }

  async settleWindow(w: WindowUsage): Promise<SettleResult> {
    const [r] = await this.settleWindows([w]);
    return r!;
  }

  /**
   * Settles many windows in one transaction, results in input order. Per window:
   * viewer −seconds×price, creator +floor(90%), platform +remainder. A window settled before
   * (in an earlier call or earlier in this list) is a `duplicate` and changes nothing. A
   * window's seconds already billed to any session of the same viewer on the same stream (in
   * this list, an earlier call, or a concurrent one) are `sharedSeconds`: not billed again.
   *
   * Overdraft rule: a viewer is billed only the whole seconds their balance covers, earlier
   * windows first, shared seconds left out before the balance is looked at; the rest of that
   * window is never billed (the window is closed for good), and the result is `overdrawn` so
   * the media side stops the session. A balance never goes negative.
   */
  async settleWindows(ws: readonly WindowUsage[]): Promise<SettleResult[]> {
    const results: SettleResult[] = new Array(ws.length);
    const fresh: number[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < ws.length; i++) {
      const w = ws[i]!;
      validateUsage(w);
      const key = `${w.sessionId}:${w.window}`;
      if (seen.has(key)) results[i] = { status: 'duplicate', sessionId: w.sessionId, window: w.window };
      else {
        seen.add(key);
        fresh.push(i);
      }
    }
    if (fresh.length === 0) return results;
    const viewers = fresh.map((i) => ws[i]!.viewer);
    const creators = fresh.map((i) => ws[i]!.creator);
    await this.#ensure('viewer', viewers);
    await this.#ensure('creator', creators);
    // Earlier windows are billed first, so a viewer running dry pays for the time watched first.
    fresh.sort((a, b) => ws[a]!.window - ws[b]!.window || (ws[a]!.sessionId < ws[b]!.sessionId ? -1 : 1));
    await this.#db.transaction((tx) => this.#settle(tx, ws, fresh, results));
    return results;
  }

  async #settle(tx: Queryable, ws: readonly WindowUsage[], order: number[], results: SettleResult[]): Promise<void> {
    const balances = await lockAccounts(tx, [
      ...order.map((i) => viewerAccount(ws[i]!.viewer)),
      ...order.map((i) => creatorAccount(ws[i]!.creator)),
      PLATFORM_ACCOUNT,
    ]);
    // Under the viewer's lock, a window committed by a concurrent settler is visible here.
    // LATERAL ... LIMIT 1 keeps this one primary-key probe per window; as a plain join the
    // planner hashes the whole table, which grows without bound.
    const existing = new Set(
      (
        await tx.query<{ k: string }>(
          `SELECT k.sid::text || ':' || k.w AS k FROM unnest($1::uuid[], $2::bigint[]) AS k(sid, w),
           LATERAL (SELECT 1 FROM settled_windows s WHERE s.session_id = k.sid AND s."window" = k.w LIMIT 1) hit`,
          [pgArray(order.map((i) => ws[i]!.sessionId)), pgArray(order.map((i) => ws[i]!.window))],
        )
      ).map((r) => r.k),
    );
    const fresh: number[] = [];
    for (const i of order) {
      const w = ws[i]!;
      if (existing.has(`${w.sessionId}:${w.window}`)) results[i] = { status: 'duplicate', sessionId: w.sessionId, window: w.window };
      else fresh.push(i);
    }
    if (fresh.length === 0) return;
    const usages = fresh.map((i) => ws[i]!);
    const caps = await loadCapStates(tx, usages.map((w) => w.viewer));
    // The same lock makes the seconds a concurrent settler billed this viewer visible here too.
    const billed = await BilledSeconds.load(tx, usages);
    const rows: SettledWindowResult[] = [];
    const entries = new Map<string, bigint>();
    for (const i of fresh) {
      const w = ws[i]!;
      const r = this.#bill(w, balances, caps.get(w.viewer), billed);
      addTo(entries, viewerAccount(w.viewer), -r.amount);
      addTo(entries, creatorAccount(w.creator), r.creatorAmount);
      addTo(entries, PLATFORM_ACCOUNT, r.platformAmount);
      results[i] = r;
      rows.push(r);
    }
    await this.#write(tx, rows, usages, entries);
    await billed.save(tx);
    await recordSpending(tx, rows);
  }

  /**
   * Bills one window against the running balance and cap: its seconds no session of the
   * viewer on the stream has paid for yet (all of them when it carries only a count), as many
   * as the viewer can afford, earliest first.
   */
  #bill(w: WindowUsage, balances: Map<string, bigint>, cap: CapState | undefined, billed: BilledSeconds): SettledWindowResult {
    const va = viewerAccount(w.viewer);
    const balance = balances.get(va)!;
    const unbilled = billed.unbilled(w);
    const billable = unbilled ? unbilled.length : w.seconds;
    const room = spendableWithin(balance, cap, w.stream).amount;
    const affordable = w.pricePerSecond === 0n ? BigInt(billable) : room / w.pricePerSecond;
    const n = affordable < BigInt(billable) ? Number(affordable) : billable;
    if (unbilled) billed.mark(w, unbilled.slice(0, n));
    const amount = BigInt(n) * w.pricePerSecond;
    const split = splitWatch(amount);
    balances.set(va, balance - amount);
    if (cap && amount > 0n) {
      cap.day += amount;
      cap.byStream.set(w.stream, (cap.byStream.get(w.stream) ?? 0n) + amount);
    }
    const after = spendableWithin(balance - amount, cap, w.stream);
    return {
      status: n < billable ? 'overdrawn' : 'settled',
      sessionId: w.sessionId,
      window: w.window,
      viewer: w.viewer,
      stream: w.stream,
      seconds: w.seconds,
      sharedSeconds: w.seconds - billable,
      billedSeconds: n,
      amount,
      creatorAmount: split.creator,
      platformAmount: split.platform,
      txnId: null,
      balanceAfter: after.amount,
      capped: after.limit !== 'balance',
    };
  }

  /** The batch's txn, its settled_windows rows (`usages` in the same order) and its entries. */
  async #write(tx: Queryable, rows: SettledWindowResult[], usages: readonly WindowUsage[], entries: Map<string, bigint>): Promise<void> {
    let txnId: string | null = null;
    if ([...entries.values()].some((v) => v !== 0n)) {
      // One txn per settled batch; its key names exactly the windows it settles, each of which
      // can be settled only once, so the key is unique and a replay could not reuse it.
      const digest = createHash('sha256');
      for (const r of rows) digest.update(`${r.sessionId}:${r.window}\n`);
      txnId = (await insertTxn(tx, { kind: 'watch', idempotencyKey: `watch:${digest.digest('hex')}`, memo: `${rows.length} windows` }))!;
      for (const r of rows) if (r.amount > 0n) r.txnId = txnId;
    }
    const [{ n } = { n: 0 }] = await tx.query<{ n: number }>(
      `WITH ins AS (
         INSERT INTO settled_windows (session_id, "window", viewer, creator, stream, price, seconds, billed_seconds,
                                      amount, creator_amount, platform_amount, txn_id, shared_seconds)
         SELECT sid, w, v, c, st, p, s, b, a, ca, pa, CASE WHEN a > 0 THEN $12::bigint END, sh
         FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::int[], $8::int[],
                     $9::numeric[], $10::numeric[], $11::numeric[], $13::int[]) AS t(sid, w, v, c, st, p, s, b, a, ca, pa, sh)
         ON CONFLICT DO NOTHING RETURNING 1)
       SELECT count(*)::int AS n FROM ins`,
      [
        pgArray(rows.map((r) => r.sessionId)),
        pgArray(rows.map((r) => r.window)),
        pgArray(rows.map((r) => r.viewer), true),
        pgArray(usages.map((w) => w.creator), true),
        pgArray(rows.map((r) => r.stream), true),
        pgArray(usages.map((w) => w.pricePerSecond.toString())),
        pgArray(rows.map((r) => r.seconds)),
        pgArray(rows.map((r) => r.billedSeconds)),
        pgArray(rows.map((r) => r.amount.toString())),
        pgArray(rows.map((r) => r.creatorAmount.toString())),
        pgArray(rows.map((r) => r.platformAmount.toString())),
        txnId,
        // NULL: a window given as a count only, never checked against other sessions.
        pgArray(rows.map((r, i) => (usages[i]!.unixSeconds ? r.sharedSeconds : 'NULL'))),
      ],
    );
    // Only a caller settling one session under two different viewers could get here; roll back.
    if (n !== rows.length) throw new Error('settled window conflict; retry');
    if (txnId) await insertEntries(tx, txnId, entries);
  }

  /**
   * Credits a finalized on-chain deposit to the viewer's balance: escrow −amount, viewer
   * +amount. A chainId seen before changes nothing, whoever delivers it.
   */
  async creditDeposit(d: DepositInput): Promise<DepositResult> {
    if (d.chainId.length === 0 || d.chainId.length > 200) throw new Error('chainId: 1-200 characters');
    if (!ACCOUNT_ID.test(d.account)) throw new Error('account: 1-128 printable characters');
    if (typeof d.amount !== 'bigint' || d.amount <= 0n || d.amount > U128_MAX) throw new Error('amount: must be a positive u128 bigint');
    const va = viewerAccount(d.account);
    await this.#ensure('viewer', [d.account]);
    return this.#db.transaction(async (tx) => {
      const balances = await lockAccounts(tx, [va, ESCROW_ACCOUNT]);
      const txnId = await insertTxn(tx, { kind: 'deposit', idempotencyKey: `deposit:${d.chainId}`, memo: d.chainId });
      if (!txnId) {
        const [prev] = await tx.query<{ account: string; amount: string }>(
          'SELECT account, amount::text AS amount FROM deposits WHERE chain_id = $1',
          [d.chainId],
        );
        if (!prev || prev.account !== d.account || parsePlanck(prev.amount) !== d.amount) {
          throw new Error(`deposit ${d.chainId} conflicts with the one already credited`);
        }
        return { status: 'duplicate', balance: balances.get(va)! };
      }
      await tx.query('INSERT INTO deposits (chain_id, account, amount, block_number, txn_id) VALUES ($1, $2, $3, $4, $5)', [
        d.chainId,
        d.account,
        d.amount.toString(),
        d.blockNumber ?? null,
        txnId,
      ]);
      await insertEntries(
        tx,
        txnId,
        new Map([
          [va, d.amount],
          [ESCROW_ACCOUNT, -d.amount],
        ]),
      );
      return { status: 'credited', balance: balances.get(va)! + d.amount };
    });
  }

  /** Balance of a ledger account (`viewer:<id>`, `creator:<id>`, `platform`, ...); 0 if it has none yet. */
  async balance(account: string): Promise<bigint> {
    const [row] = await this.#db.query<{ balance: string }>('SELECT balance::text AS balance FROM ledger_accounts WHERE id = $1', [account]);
    return parseSigned(row?.balance);
  }

  /** A ledger account's entries, newest first; page with `beforeEntryId`. */
  async history(account: string, opts: { limit?: number; beforeEntryId?: string } = {}): Promise<HistoryEntry[]> {
    const limit = Math.min(Math.max(opts.limit ?? 50, 1), 1000);
    const rows = await this.#db.query<{ id: string; txn_id: string; kind: HistoryEntry['kind']; memo: string | null; amount: string; created_at: Date | string }>(
      `SELECT e.id::text AS id, e.txn_id::text AS txn_id, t.kind, t.memo, e.amount::text AS amount, e.created_at
       FROM ledger_entries e JOIN ledger_txns t ON t.id = e.txn_id
       WHERE e.account = $1 AND ($2::bigint IS NULL OR e.id < $2::bigint)
       ORDER BY e.id DESC LIMIT $3`,
      [account, opts.beforeEntryId ?? null, limit],
    );
    return rows.map((r) => ({
      entryId: r.id,
      txnId: r.txn_id,
      kind: r.kind,
      memo: r.memo,
      amount: parseSigned(r.amount),
      createdAt: new Date(r.created_at),
    }));
  }

  async earnings(creator: string): Promise<Earnings> {
    // One statement, so the three figures come from one snapshot.
    const [row] = await this.#db.query<{ settled: string | null; pending: string | null; paid: string }>(
      `SELECT (SELECT balance::text FROM ledger_accounts WHERE id = $1) AS settled,
              (SELECT balance::text FROM ledger_accounts WHERE id = $2) AS pending,
              (SELECT coalesce(sum(i.amount), 0)::text FROM payout_items i JOIN payout_batches b ON b.id = i.batch_id
               WHERE i.creator = $3 AND b.status = 'finalized' AND b.kind = 'creators') AS paid`,
      [creatorAccount(creator), payoutPendingAccount(creator), creator],
    );
    const settled = parseSigned(row?.settled);
    const pending = parseSigned(row?.pending);
    const paidOut = parseSigned(row?.paid);
    return { settled, pending, paidOut, earned: settled + pending + paidOut };
  }

  /** Where a creator's payouts go; null stops paying them out (their earnings keep accruing). */
  async setPayoutAddress(account: string, address: string | null): Promise<void> {
    if (!ACCOUNT_ID.test(account)) throw new Error('account: 1-128 printable characters');
    await this.#db.query(
      `INSERT INTO accounts (id, payout_address) VALUES ($1, $2)
       ON CONFLICT (id) DO UPDATE SET payout_address = EXCLUDED.payout_address`,
      [account, address],
    );
  }

  async #ensure(kind: OwnedKind, owners: readonly string[]): Promise<void> {
    const missing = [...new Set(owners)].filter((o) => !this.#known.has(`${kind}:${o}`));
    if (missing.length === 0) return;
    await ensureAccounts(this.#db, kind, missing);
    for (const o of missing) this.#known.add(`${kind}:${o}`);
  }
}
