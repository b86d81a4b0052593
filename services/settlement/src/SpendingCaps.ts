// A viewer's spending caps (migrations/006_spending_caps.sql): at most so much a UTC day, and
// at most so much on one stream a UTC day. The ledger bills within them as it bills within a
// balance; signaling checks them before a paid session starts; the player shows what is left.
import type { Database, Queryable } from './db/Database.ts';
import { ACCOUNT_ID, pgArray } from './ledgerSql.ts';
import { parsePlanck } from './money.ts';

export interface SpendingCap {
  /** Planck a UTC day across every stream; null: no cap. */
  perDay: bigint | null;
  /** Planck a UTC day on any one stream; null: no cap. */
  perStream: bigint | null;
}

/** What one viewer may still spend, and whether a cap (rather than the balance) is what limits it. */
export interface Spendable {
  amount: bigint;
  limit: 'balance' | 'day_cap' | 'stream_cap';
}

/** A capped viewer's state inside a watch transaction. */
export interface CapState {
  cap: SpendingCap;
  day: bigint;
  byStream: Map<string, bigint>;
}

const TODAY = "(now() AT TIME ZONE 'UTC')::date";
const U128_MAX = (1n << 128n) - 1n;

/** The least of the balance and what each cap leaves; never negative. */
export function spendableWithin(balance: bigint, state: CapState | undefined, stream: string): Spendable {
  let best: Spendable = { amount: balance > 0n ? balance : 0n, limit: 'balance' };
  if (!state) return best;
  const { cap } = state;
  const consider = (room: bigint, limit: Spendable['limit']) => {
    const r = room > 0n ? room : 0n;
    if (r < best.amount) best = { amount: r, limit };
  };
  if (cap.perDay !== null) consider(cap.perDay - state.day, 'day_cap');
  if (cap.perStream !== null) consider(cap.perStream - (state.byStream.get(stream) ?? 0n), 'stream_cap');
  return best;
}

/** Caps and today's spending of the capped ones among `viewers`; most viewers have none, and cost one probe. */
export async function loadCapStates(q: Queryable, viewers: readonly string[]): Promise<Map<string, CapState>> {
  const states = new Map<string, CapState>();
  if (viewers.length === 0) return states;
  const caps = await q.query<{ account: string; per_day: string | null; per_stream: string | null }>(
    'SELECT account, per_day::text AS per_day, per_stream::text AS per_stream FROM spending_caps WHERE account = ANY($1::text[])',
    [pgArray([...new Set(viewers)], true)],
  );
  if (caps.length === 0) return states;
  for (const c of caps) {
    const cap = { perDay: c.per_day === null ? null : parsePlanck(c.per_day), perStream: c.per_stream === null ? null : parsePlanck(c.per_stream) };
    states.set(c.account, { cap, day: 0n, byStream: new Map() });
  }
  const spent = await q.query<{ account: string; stream: string; amount: string }>(
    `SELECT account, stream, amount::text AS amount FROM spending_days WHERE account = ANY($1::text[]) AND day = ${TODAY}`,
    [pgArray([...states.keys()], true)],
  );
  for (const s of spent) {
    const state = states.get(s.account)!;
    if (s.stream === '') state.day = parsePlanck(s.amount);
    else state.byStream.set(s.stream, parsePlanck(s.amount));
  }
  return states;
}

/** Adds billed amounts to today's totals, per viewer and per (viewer, stream), in one statement. */
export async function recordSpending(q: Queryable, billed: readonly { viewer: string; stream: string; amount: bigint }[]): Promise<void> {
  const sums = new Map<string, { account: string; stream: string; amount: bigint }>();
  const add = (account: string, stream: string, amount: bigint) => {
    const key = `${account}\u0000${stream}`;
    const prev = sums.get(key);
    if (prev) prev.amount += amount;
    else sums.set(key, { account, stream, amount });
  };
  for (const b of billed) {
    if (b.amount <= 0n) continue;
    add(b.viewer, '', b.amount);
    add(b.viewer, b.stream, b.amount);
  }
  if (sums.size === 0) return;
  const rows = [...sums.values()];
  await q.query(
    `INSERT INTO spending_days (account, day, stream, amount)
     SELECT a, ${TODAY}, s, m FROM unnest($1::text[], $2::text[], $3::numeric[]) AS t(a, s, m)
     ON CONFLICT (account, day, stream) DO UPDATE SET amount = spending_days.amount + EXCLUDED.amount`,
    [pgArray(rows.map((r) => r.account), true), pgArray(rows.map((r) => r.stream), true), pgArray(rows.map((r) => r.amount.toString()))],
  );
}

export class SpendingCaps {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async get(account: string): Promise<SpendingCap> {
    const [row] = await this.#db.query<{ per_day: string | null; per_stream: string | null }>(
      'SELECT per_day::text AS per_day, per_stream::text AS per_stream FROM spending_caps WHERE account = $1',
      [account],
    );
    return { perDay: row?.per_day ? parsePlanck(row.per_day) : null, perStream: row?.per_stream ? parsePlanck(row.per_stream) : null };
  }

  /** Sets both caps at once; nulls remove them. */
  async set(account: string, cap: SpendingCap): Promise<void> {
    if (!ACCOUNT_ID.test(account)) throw new Error('account: 1-128 printable characters');
    for (const v of [cap.perDay, cap.perStream]) if (v !== null && (v <= 0n || v > U128_MAX)) throw new Error('a cap is a positive planck amount');
    await this.#db.transaction(async (tx) => {
      await tx.query('INSERT INTO accounts (id) VALUES ($1) ON CONFLICT DO NOTHING', [account]);
      if (cap.perDay === null && cap.perStream === null) return void (await tx.query('DELETE FROM spending_caps WHERE account = $1', [account]));
      await tx.query(
        `INSERT INTO spending_caps (account, per_day, per_stream) VALUES ($1, $2, $3)
         ON CONFLICT (account) DO UPDATE SET per_day = EXCLUDED.per_day, per_stream = EXCLUDED.per_stream, updated_at = now()`,
        [account, cap.perDay?.toString() ?? null, cap.perStream?.toString() ?? null],
      );
    });
  }

  /** Spent today (UTC), in total and on `stream`. */
  async spentToday(account: string, stream?: string): Promise<{ day: bigint; stream: bigint }> {
    const rows = await this.#db.query<{ stream: string; amount: string }>(
      `SELECT stream, amount::text AS amount FROM spending_days WHERE account = $1 AND day = ${TODAY} AND stream IN ('', $2)`,
      [account, stream ?? ''],
    );
    const get = (s: string) => parsePlanck(rows.find((r) => r.stream === s)?.amount ?? '0');
    return { day: get(''), stream: stream === undefined ? 0n : get(stream) };
  }

  /** What `account` may spend on `stream` now: the balance, or less if a cap says so. */
  async spendable(account: string, stream: string, balance: bigint): Promise<Spendable> {
    const states = await loadCapStates(this.#db, [account]);
    return spendableWithin(balance, states.get(account), stream);
  }
}
