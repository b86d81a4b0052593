// Read-only queries behind the wallet, dashboard and admin pages. Writes to the ledger stay
// in services/settlement (Ledger, PayoutBook); this only reads what they wrote. Amounts leave
// Postgres as numeric::text and stay decimal strings, so no float ever touches them.
import { Ledger, viewerAccount } from '@vilokanam/settlement';
import type { Database } from '../db/Database.ts';
import type {
  AdminPayoutBatch,
  EarningsBucket,
  EarningsRange,
  EarningsResponse,
  PayoutView,
  ReconcilerCheck,
  ReconcilerRun,
  StreamEarnings,
  WalletHistoryEntry,
} from '@vilokanam/contracts/money';

type PayoutStatus = PayoutView['status'];
const STATUSES: readonly PayoutStatus[] = ['pending', 'submitted', 'finalized', 'failed', 'expired'];

/** Bucket width and count per range: minutes while the picture is live, hours beyond a few hours. */
export const RANGES: Record<EarningsRange, { bucketSeconds: 60 | 3600; buckets: number }> = {
  '1h': { bucketSeconds: 60, buckets: 60 },
  '6h': { bucketSeconds: 60, buckets: 360 },
  '24h': { bucketSeconds: 3600, buckets: 24 },
  '7d': { bucketSeconds: 3600, buckets: 168 },
  '30d': { bucketSeconds: 3600, buckets: 720 },
};

const iso = (d: Date | string): string => new Date(d).toISOString();
const isoOrNull = (d: Date | string | null): string | null => (d === null ? null : iso(d));

export interface WindowRef {
  batchId: string | null;
  viewer: string;
  creator: string;
}

export interface BatchHead {
  id: string;
  status: PayoutStatus;
  merkleRoot: string | null;
  blockHash: string | null;
}

export class MoneyStore {
  readonly #db: Database;
  readonly ledger: Ledger;

  constructor(db: Database) {
    this.#db = db;
    this.ledger = new Ledger(db);
  }

  /** The viewer's prepaid balance and ledger lines, newest first, `limit` per page. */
  async wallet(accountId: string, page: { limit: number; before?: string }): Promise<{ balance: string; history: WalletHistoryEntry[]; nextBefore: string | null }> {
    const account = viewerAccount(accountId);
    // One row more than asked tells whether an older page exists, without a count.
    const [balance, rows] = await Promise.all([this.ledger.balance(account), this.ledger.history(account, { limit: page.limit + 1, beforeEntryId: page.before })]);
    const more = rows.length > page.limit;
    const history = rows.slice(0, page.limit).map((h) => ({
      entryId: h.entryId,
      txnId: h.txnId,
      kind: h.kind,
      memo: h.memo,
      amount: h.amount.toString(),
      createdAt: h.createdAt.toISOString(),
    }));
    return { balance: balance.toString(), history, nextBefore: more ? history[history.length - 1]!.entryId : null };
  }

  /** A deposit credited to this account, by chain id; someone else's reads as not credited. */
  async deposit(accountId: string, chainId: string): Promise<{ amount: string; creditedAt: string } | undefined> {
    const [row] = await this.#db.query<{ amount: string; credited_at: Date | string }>(
      'SELECT amount::text AS amount, credited_at FROM deposits WHERE chain_id = $1 AND account = $2',
      [chainId, accountId],
    );
    return row ? { amount: row.amount, creditedAt: iso(row.credited_at) } : undefined;
  }

  async earnings(accountId: string, range: EarningsRange, now: number): Promise<Omit<EarningsResponse, 'account' | 'payouts'> & { payouts: Omit<PayoutView, 'explorerUrl'>[] }> {
    const [e, streams, series, payouts] = await Promise.all([
      this.ledger.earnings(accountId),
      this.#streams(accountId),
      this.#series(accountId, range, now),
      this.#payouts(accountId),
    ]);
    return {
      totals: { pending: e.settled.toString(), inPayout: e.pending.toString(), paidOut: e.paidOut.toString(), earned: e.earned.toString() },
      streams,
      series,
      payouts,
    };
  }

  async #streams(creator: string): Promise<StreamEarnings[]> {
    // Aggregated first, then joined: the join casts the stream table's uuid to text, which is
    // cheap on the few aggregated rows and would defeat its index on the raw windows. Tips
    // count as money the stream earned, with no seconds and no windows.
    const rows = await this.#db.query<{ stream: string; title: string | null; windows: string; seconds: string; gross: string; share: string; last: Date | string }>(
      `WITH agg AS (
         SELECT stream, sum(windows) AS windows, sum(seconds) AS seconds, sum(gross) AS gross, sum(share) AS share, max(last) AS last
         FROM (SELECT stream, count(*) AS windows, sum(billed_seconds) AS seconds, sum(amount) AS gross,
                      sum(creator_amount) AS share, max(settled_at) AS last
               FROM settled_windows WHERE creator = $1 GROUP BY stream
               UNION ALL
               SELECT stream::text, 0, 0, sum(amount), sum(creator_share), max(created_at)
               FROM tips WHERE creator = $1 GROUP BY stream) u
         GROUP BY stream)
       SELECT agg.stream, s.title, agg.windows::text AS windows, agg.seconds::text AS seconds,
              agg.gross::text AS gross, agg.share::text AS share, agg.last
       FROM agg LEFT JOIN streams s ON s.id::text = agg.stream
       ORDER BY agg.last DESC, agg.stream LIMIT 200`,
      [creator],
    );
    return rows.map((r) => ({
      streamId: r.stream,
      title: r.title,
      seconds: Number(r.seconds),
      windows: Number(r.windows),
      gross: r.gross,
      creatorShare: r.share,
      lastSettledAt: iso(r.last),
    }));
  }

  async #series(creator: string, range: EarningsRange, now: number): Promise<EarningsResponse['series']> {
    const { bucketSeconds, buckets } = RANGES[range];
    const last = Math.floor(now / 1000 / bucketSeconds);
    const first = last - buckets + 1;
    // Buckets by epoch arithmetic, not date_trunc: the session's time zone (a +05:30 one, say)
    // must not move hour boundaries.
    const rows = await this.#db.query<{ b: string; seconds: string; gross: string; share: string }>(
      `SELECT floor(extract(epoch FROM at) / $3::int)::bigint::text AS b, sum(seconds)::text AS seconds,
              sum(amount)::text AS gross, sum(share)::text AS share
       FROM (SELECT settled_at AS at, billed_seconds AS seconds, amount, creator_amount AS share
             FROM settled_windows WHERE creator = $1 AND settled_at >= to_timestamp($2::bigint)
             UNION ALL
             SELECT created_at, 0, amount, creator_share FROM tips WHERE creator = $1 AND created_at >= to_timestamp($2::bigint)) u
       GROUP BY 1`,
      [creator, first * bucketSeconds, bucketSeconds],
    );
    const byBucket = new Map(rows.map((r) => [Number(r.b), r]));
    const points: EarningsBucket[] = [];
    for (let b = first; b <= last; b++) {
      const r = byBucket.get(b);
      points.push({ start: iso(new Date(b * bucketSeconds * 1000)), seconds: r ? Number(r.seconds) : 0, gross: r?.gross ?? '0', creatorShare: r?.share ?? '0' });
    }
    return {
      range,
      bucket: bucketSeconds === 60 ? 'minute' : 'hour',
      from: iso(new Date(first * bucketSeconds * 1000)),
      to: iso(new Date((last + 1) * bucketSeconds * 1000)),
      points,
    };
  }

  async #payouts(creator: string): Promise<Omit<PayoutView, 'explorerUrl'>[]> {
    const rows = await this.#db.query<{
      id: string;
      status: PayoutStatus;
      amount: string;
      tx_hash: string | null;
      block_hash: string | null;
      block_number: string | null;
      merkle_root: string | null;
      created_at: Date | string;
      settled_at: Date | string | null;
    }>(
      `SELECT b.id, b.status, i.amount::text AS amount, b.tx_hash, b.block_hash, b.block_number::text AS block_number,
              b.merkle_root, b.created_at, b.settled_at
       FROM payout_items i JOIN payout_batches b ON b.id = i.batch_id
       WHERE i.creator = $1 AND b.kind = 'creators' ORDER BY b.created_at DESC, b.id LIMIT 100`,
      [creator],
    );
    return rows.map((r) => ({
      batchId: r.id,
      status: r.status,
      amount: r.amount,
      txHash: r.tx_hash,
      blockHash: r.block_hash,
      blockNumber: r.block_number === null ? null : Number(r.block_number),
      merkleRoot: r.merkle_root,
      createdAt: iso(r.created_at),
      settledAt: isoOrNull(r.settled_at),
    }));
  }

  /**
   * The reconciler's latest runs. Its table comes with another migration
   * (settlement/002_reconciler); until that has run here the answer is "not installed", not an error.
   */
  async reconcilerRuns(limit: number): Promise<{ installed: boolean; runs: ReconcilerRun[] }> {
    const [reg] = await this.#db.query<{ installed: boolean }>("SELECT to_regclass('reconciler_runs') IS NOT NULL AS installed");
    if (!reg?.installed) return { installed: false, runs: [] };
    let rows: {
      id: string;
      started_at: Date | string;
      finished_at: Date | string | null;
      clean: boolean | null;
      escrow_chain: string | null;
      escrow_ledger: string | null;
      report: string | null;
    }[];
    try {
      // report as text: the driver's JSON.parse would round planck figures above 2^53.
      rows = await this.#db.query(
        `SELECT id::text AS id, started_at, finished_at, clean, escrow_chain::text AS escrow_chain,
                escrow_ledger::text AS escrow_ledger, report::text AS report
         FROM reconciler_runs ORDER BY id DESC LIMIT $1`,
        [limit],
      );
    } catch (err) {
      // Dropped between the two statements (a test database being reset, say).
      if ((err as { code?: string }).code === '42P01') return { installed: false, runs: [] };
      throw err;
    }
    return {
      installed: true,
      runs: rows.map((r) => ({
        id: r.id,
        startedAt: iso(r.started_at),
        finishedAt: isoOrNull(r.finished_at),
        clean: r.clean,
        escrowChain: r.escrow_chain,
        escrowLedger: r.escrow_ledger,
        checks: parseChecks(r.report),
      })),
    };
  }

  async payoutBatches(limit: number): Promise<{ counts: Record<PayoutStatus, number>; recent: AdminPayoutBatch[] }> {
    const [counted, rows] = await Promise.all([
      this.#db.query<{ status: PayoutStatus; n: number }>('SELECT status, count(*)::int AS n FROM payout_batches GROUP BY status'),
      this.#db.query<{
        id: string;
        status: PayoutStatus;
        total: string;
        window_count: number;
        creators: number;
        tx_hash: string | null;
        block_number: string | null;
        error: string | null;
        created_at: Date | string;
        settled_at: Date | string | null;
      }>(
        `SELECT b.id, b.status, b.total::text AS total, b.window_count, b.tx_hash, b.block_number::text AS block_number,
                b.error, b.created_at, b.settled_at,
                (SELECT count(*)::int FROM payout_items i WHERE i.batch_id = b.id) AS creators
         FROM payout_batches b ORDER BY b.created_at DESC, b.id LIMIT $1`,
        [limit],
      ),
    ]);
    const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<PayoutStatus, number>;
    for (const c of counted) counts[c.status] = c.n;
    return {
      counts,
      recent: rows.map((r) => ({
        batchId: r.id,
        status: r.status,
        total: r.total,
        windowCount: r.window_count,
        creators: r.creators,
        txHash: r.tx_hash,
        blockNumber: r.block_number === null ? null : Number(r.block_number),
        error: r.error,
        createdAt: iso(r.created_at),
        settledAt: isoOrNull(r.settled_at),
      })),
    };
  }

  async window(sessionId: string, window: number): Promise<WindowRef | undefined> {
    const [row] = await this.#db.query<{ payout_batch_id: string | null; viewer: string; creator: string }>(
      'SELECT payout_batch_id, viewer, creator FROM settled_windows WHERE session_id = $1 AND "window" = $2',
      [sessionId, window],
    );
    return row && { batchId: row.payout_batch_id, viewer: row.viewer, creator: row.creator };
  }

  /** A tip, by id, for its proof: who it was between and the batch paying it. */
  async tip(tipId: string): Promise<WindowRef | undefined> {
    const [row] = await this.#db.query<{ payout_batch_id: string | null; viewer: string; creator: string }>(
      'SELECT payout_batch_id, viewer, creator FROM tips WHERE tip_id = $1',
      [tipId],
    );
    return row && { batchId: row.payout_batch_id, viewer: row.viewer, creator: row.creator };
  }

  async batch(batchId: string): Promise<BatchHead | undefined> {
    const [row] = await this.#db.query<{ id: string; status: PayoutStatus; merkle_root: string | null; block_hash: string | null }>(
      'SELECT id, status, merkle_root, block_hash FROM payout_batches WHERE id = $1',
      [batchId],
    );
    return row && { id: row.id, status: row.status, merkleRoot: row.merkle_root, blockHash: row.block_hash };
  }
}

/**
 * The checks of a run's report, `{checks: [{name, ok, expected?, actual?, detail?}]}`. Integers
 * too big for a double keep their digits as strings. Malformed entries are dropped rather than
 * failing the whole page: the page is how an operator finds out something is wrong.
 */
export function parseChecks(report: string | null): ReconcilerCheck[] {
  if (report === null) return [];
  const exact = (_key: string, value: unknown, context?: { source?: string }) =>
    typeof value === 'number' && !Number.isSafeInteger(value) && context?.source !== undefined && /^-?\d+$/.test(context.source) ? context.source : value;
  let parsed: unknown;
  try {
    parsed = JSON.parse(report, exact as (key: string, value: unknown) => unknown);
  } catch {
    return [];
  }
  const checks = (parsed as { checks?: unknown } | null)?.checks;
  if (!Array.isArray(checks)) return [];
  const out: ReconcilerCheck[] = [];
  for (const c of checks) {
    if (typeof c !== 'object' || c === null) continue;
    const { name, ok, expected, actual, detail } = c as Record<string, unknown>;
    if (typeof name !== 'string' || typeof ok !== 'boolean') continue;
    const check: ReconcilerCheck = { name, ok };
    if (expected !== undefined) check.expected = expected;
    if (actual !== undefined) check.actual = actual;
    if (detail !== undefined) check.detail = detail;
    out.push(check);
  }
  return out;
}
