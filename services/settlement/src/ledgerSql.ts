// Statements shared by Ledger and PayoutBook. Lock discipline: every transaction that posts
// entries first locks all the ledger accounts it touches, in one statement, in id order
// (byte order), so concurrent transactions always lock in the same order and cannot deadlock.
import type { Queryable } from './db/Database.ts';
import { parseSigned } from './money.ts';

export const PLATFORM_ACCOUNT = 'platform';
export const ESCROW_ACCOUNT = 'escrow';
export type OwnedKind = 'viewer' | 'creator' | 'payout_pending' | 'withdrawal_pending';

export const viewerAccount = (id: string): string => `viewer:${id}`;
export const creatorAccount = (id: string): string => `creator:${id}`;
export const payoutPendingAccount = (id: string): string => `payout_pending:${id}`;
/** Money on its way out in a withdrawal; the owner is a viewer's id or 'platform'. */
export const withdrawalPendingAccount = (owner: string): string => `withdrawal_pending:${owner}`;

/**
 * A tip's Merkle leaf goes where a window's session id goes (window 0). Window leaves carry a
 * bare uuid, so the prefix keeps the two kinds of leaf from ever colliding.
 */
export const tipLeafId = (tipId: string): string => `tip:${tipId}`;

export const ACCOUNT_ID = /^[\x21-\x7e]{1,128}$/;

/** Creates accounts and their ledger accounts of one kind. Sorted, so concurrent inserts of the same new ids queue in one order. */
export async function ensureAccounts(q: Queryable, kind: OwnedKind, owners: readonly string[]): Promise<void> {
  const sorted = [...new Set(owners)].sort();
  if (sorted.length === 0) return;
  await q.query('INSERT INTO accounts (id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING', [sorted]);
  await q.query(
    `INSERT INTO ledger_accounts (id, kind, owner)
     SELECT $2 || ':' || o, $2, o FROM unnest($1::text[]) AS o ON CONFLICT DO NOTHING`,
    [sorted, kind],
  );
}

/**
 * Locks the ledger accounts (which must exist) and returns their balances. Ids are locked in
 * code-unit order (= COLLATE "C" for these ASCII ids), one primary-key probe each: with
 * `id = ANY(...)` the planner may scan the whole table when its statistics are stale.
 */
export async function lockAccounts(q: Queryable, ids: Iterable<string>): Promise<Map<string, bigint>> {
  const list = [...new Set(ids)].sort();
  const rows = await q.query<{ id: string; balance: string }>(
    `SELECT a.id, a.balance::text AS balance FROM unnest($1::text[]) WITH ORDINALITY AS k(id, n),
     LATERAL (SELECT id, balance FROM ledger_accounts WHERE id = k.id LIMIT 1 FOR UPDATE) a ORDER BY k.n`,
    [pgArray(list, true)],
  );
  if (rows.length !== list.length) throw new Error('ledger account missing');
  return new Map(rows.map((r) => [r.id, parseSigned(r.balance)]));
}

export type TxnKind = 'watch' | 'deposit' | 'payout' | 'withdrawal' | 'tip';

export interface TxnHeader {
  kind: TxnKind;
  idempotencyKey: string;
  memo?: string;
}

/** Inserts the txn row; undefined when its idempotency key was already used. */
export async function insertTxn(q: Queryable, h: TxnHeader): Promise<string | undefined> {
  const rows = await q.query<{ id: string }>(
    `INSERT INTO ledger_txns (kind, idempotency_key, memo) VALUES ($1, $2, $3)
     ON CONFLICT (idempotency_key) DO NOTHING RETURNING id::text AS id`,
    [h.kind, h.idempotencyKey, h.memo ?? null],
  );
  return rows[0]?.id;
}

/**
 * Writes a txn's entries in ONE statement: the database checks per statement that they sum
 * to zero, and moves the balances. Zero amounts are dropped.
 */
export async function insertEntries(q: Queryable, txnId: string, entries: ReadonlyMap<string, bigint>): Promise<void> {
  const accounts: string[] = [];
  const amounts: string[] = [];
  for (const [account, amount] of entries) {
    if (amount === 0n) continue;
    accounts.push(account);
    amounts.push(amount.toString());
  }
  if (accounts.length === 0) return;
  await q.query(
    `INSERT INTO ledger_entries (txn_id, account, amount)
     SELECT $1::bigint, a, m FROM unnest($2::text[], $3::numeric[]) AS t(a, m)`,
    [txnId, pgArray(accounts, true), pgArray(amounts)],
  );
}

/** Adds `amount` to `account` in an entries map. */
export function addTo(entries: Map<string, bigint>, account: string, amount: bigint): void {
  entries.set(account, (entries.get(account) ?? 0n) + amount);
}

/**
 * A Postgres array literal built in one pass: for batches of thousands of rows, the driver's
 * generic per-element escaping is the settlement worker's largest client-side cost. `text`
 * quotes every element; otherwise the values must be numbers, decimal strings or uuids.
 */
export function pgArray(values: readonly (string | number)[], text = false): string {
  if (!text) return `{${values.join(',')}}`;
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = String(values[i]);
    out += (i ? ',"' : '"') + (/["\\]/.test(v) ? v.replace(/["\\]/g, '\\$&') : v) + '"';
  }
  return out + '}';
}
