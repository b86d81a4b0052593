import type { Queryable } from './db/Database.ts';

/**
 * Checks every ledger invariant from the raw tables and returns what is violated (empty when
 * the ledger is sound). Tests run it after every case; a reconciler can run it on a replica.
 */
export async function auditLedger(db: Queryable): Promise<string[]> {
  const problems: string[] = [];
  const check = async (label: string, sql: string): Promise<void> => {
    const rows = await db.query<{ v: string }>(sql);
    for (const r of rows.slice(0, 5)) problems.push(`${label}: ${r.v}`);
  };

  await check('entries do not sum to zero', `SELECT sum(amount)::text AS v FROM ledger_entries HAVING sum(amount) <> 0`);
  await check('txn does not balance', `SELECT txn_id::text AS v FROM ledger_entries GROUP BY txn_id HAVING sum(amount) <> 0`);
  await check(
    'balance differs from its entries',
    `SELECT a.id || ' ' || a.balance || ' vs ' || coalesce(e.s, 0) AS v
     FROM ledger_accounts a LEFT JOIN (SELECT account, sum(amount) AS s FROM ledger_entries GROUP BY account) e ON e.account = a.id
     WHERE a.balance <> coalesce(e.s, 0)`,
  );
  await check('negative balance', `SELECT id || ' ' || balance AS v FROM ledger_accounts WHERE kind <> 'escrow' AND balance < 0`);
  await check(
    'window money wrong',
    `SELECT session_id || ':' || "window" AS v FROM settled_windows
     WHERE amount <> billed_seconds * price OR creator_amount <> div(amount * 90, 100)
        OR creator_amount + platform_amount <> amount OR billed_seconds + coalesce(shared_seconds, 0) > seconds
        OR (amount > 0) <> (txn_id IS NOT NULL)`,
  );
  // Each second billed from a window that carried its seconds is one bit of billed_watch_seconds:
  // a second billed twice for one viewer and stream, or a bit no window paid for, shows here.
  await check(
    'billed seconds differ from windows',
    `WITH w AS (SELECT viewer, stream, sum(billed_seconds) AS n FROM settled_windows WHERE shared_seconds IS NOT NULL GROUP BY viewer, stream),
          b AS (SELECT viewer, stream, sum(bit_count(mask::bit(64))) AS n FROM billed_watch_seconds GROUP BY viewer, stream)
     SELECT coalesce(w.viewer, b.viewer) || ' on ' || coalesce(w.stream, b.stream) || ' ' || coalesce(w.n, 0) || ' vs ' || coalesce(b.n, 0) AS v
     FROM w FULL JOIN b ON b.viewer = w.viewer AND b.stream = w.stream WHERE coalesce(w.n, 0) <> coalesce(b.n, 0)`,
  );
  await check(
    'window references a missing txn or batch',
    `SELECT s.session_id || ':' || s."window" AS v FROM settled_windows s
     WHERE (s.txn_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ledger_txns t WHERE t.id = s.txn_id AND t.kind = 'watch'))
        OR (s.payout_batch_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM payout_batches b WHERE b.id = s.payout_batch_id))`,
  );
  // Watch txns move exactly what the windows say, account kind by account kind.
  await check(
    'watch entries differ from windows',
    `WITH w AS (SELECT coalesce(sum(amount), 0) AS paid, coalesce(sum(creator_amount), 0) AS creator,
                       coalesce(sum(platform_amount), 0) AS platform FROM settled_windows),
          e AS (SELECT coalesce(sum(e.amount) FILTER (WHERE a.kind = 'viewer'), 0) AS viewer,
                       coalesce(sum(e.amount) FILTER (WHERE a.kind = 'creator'), 0) AS creator,
                       coalesce(sum(e.amount) FILTER (WHERE a.kind = 'platform'), 0) AS platform
                FROM ledger_entries e JOIN ledger_txns t ON t.id = e.txn_id AND t.kind = 'watch'
                JOIN ledger_accounts a ON a.id = e.account)
     SELECT w.paid || '/' || w.creator || '/' || w.platform || ' vs ' || -e.viewer || '/' || e.creator || '/' || e.platform AS v
     FROM w, e WHERE w.paid <> -e.viewer OR w.creator <> e.creator OR w.platform <> e.platform`,
  );
  await check(
    'tip money wrong',
    `SELECT tip_id::text AS v FROM tips
     WHERE amount <= 0 OR creator_share <> div(amount * 90, 100) OR creator_share + platform_share <> amount OR viewer = creator`,
  );
  await check(
    'tip references a missing txn or batch',
    `SELECT t.tip_id::text AS v FROM tips t
     WHERE NOT EXISTS (SELECT 1 FROM ledger_txns x WHERE x.id = t.txn_id AND x.kind = 'tip')
        OR (t.payout_batch_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM payout_batches b WHERE b.id = t.payout_batch_id))`,
  );
  await check('tip txn without its tip', `SELECT x.id::text AS v FROM ledger_txns x WHERE x.kind = 'tip' AND NOT EXISTS (SELECT 1 FROM tips t WHERE t.txn_id = x.id)`);
  // Each tip txn moves exactly its tip: the viewer pays it, the creator and platform get the split.
  await check(
    'tip entries differ from tips',
    `WITH e AS (SELECT e.txn_id, coalesce(sum(e.amount) FILTER (WHERE a.id = 'viewer:' || t.viewer), 0) AS viewer,
                       coalesce(sum(e.amount) FILTER (WHERE a.id = 'creator:' || t.creator), 0) AS creator,
                       coalesce(sum(e.amount) FILTER (WHERE a.id = 'platform'), 0) AS platform, count(*) AS n
                FROM ledger_entries e JOIN tips t ON t.txn_id = e.txn_id JOIN ledger_accounts a ON a.id = e.account
                GROUP BY e.txn_id)
     SELECT t.tip_id || ' ' || t.amount || '/' || t.creator_share || '/' || t.platform_share || ' vs ' ||
            -coalesce(e.viewer, 0) || '/' || coalesce(e.creator, 0) || '/' || coalesce(e.platform, 0) AS v
     FROM tips t LEFT JOIN e ON e.txn_id = t.txn_id
     WHERE coalesce(e.viewer, 0) <> -t.amount OR coalesce(e.creator, 0) <> t.creator_share OR coalesce(e.platform, 0) <> t.platform_share
        OR coalesce(e.n, 0) <> (CASE WHEN t.creator_share > 0 THEN 3 ELSE 2 END)`,
  );
  await check(
    'creator balance differs from unpaid windows and tips',
    `SELECT a.owner || ' ' || a.balance || ' vs ' || coalesce(w.s, 0) AS v
     FROM ledger_accounts a LEFT JOIN (SELECT creator, sum(s) AS s FROM (
                                         SELECT creator, creator_amount AS s FROM settled_windows WHERE payout_batch_id IS NULL
                                         UNION ALL SELECT creator, creator_share FROM tips WHERE payout_batch_id IS NULL) u
                                       GROUP BY creator) w ON w.creator = a.owner
     WHERE a.kind = 'creator' AND a.balance <> coalesce(w.s, 0)`,
  );
  await check(
    'payout_pending differs from open batches',
    `SELECT a.owner || ' ' || a.balance || ' vs ' || coalesce(i.s, 0) AS v
     FROM ledger_accounts a LEFT JOIN (SELECT i.creator, sum(i.amount) AS s FROM payout_items i
                                       JOIN payout_batches b ON b.id = i.batch_id AND b.status IN ('pending', 'submitted')
                                       WHERE b.kind = 'creators' GROUP BY i.creator) i ON i.creator = a.owner
     WHERE a.kind = 'payout_pending' AND a.balance <> coalesce(i.s, 0)`,
  );
  // A withdrawal holds what it takes from the balance (sent plus the fee charge) until it ends.
  await check(
    'withdrawal_pending differs from open withdrawals',
    `SELECT a.owner || ' ' || a.balance || ' vs ' || coalesce(w.s, 0) AS v
     FROM ledger_accounts a LEFT JOIN (SELECT i.creator AS owner, sum(i.amount + b.charge) AS s FROM payout_items i
                                       JOIN payout_batches b ON b.id = i.batch_id AND b.status IN ('pending', 'submitted')
                                       WHERE b.kind = 'withdrawal' GROUP BY i.creator) w ON w.owner = a.owner
     WHERE a.kind = 'withdrawal_pending' AND a.balance <> coalesce(w.s, 0)`,
  );
  await check(
    'withdrawal is not one item from its owner',
    `SELECT b.id AS v FROM payout_batches b
     WHERE b.kind = 'withdrawal' AND ((SELECT count(*) FROM payout_items i WHERE i.batch_id = b.id) <> 1
        OR b.window_count <> 0 OR b.source <> (SELECT CASE WHEN i.creator = 'platform' THEN 'platform' ELSE 'viewer:' || i.creator END
                                                FROM payout_items i WHERE i.batch_id = b.id LIMIT 1))`,
  );
  // A batch's leaves are the windows and tips it pays for.
  await check(
    'batch total differs from its items or leaves',
    `SELECT b.id AS v FROM payout_batches b
     LEFT JOIN (SELECT batch_id, sum(amount) AS s FROM payout_items GROUP BY batch_id) i ON i.batch_id = b.id
     LEFT JOIN (SELECT payout_batch_id, sum(s) AS s, count(*) AS n FROM (
                  SELECT payout_batch_id, creator_amount AS s FROM settled_windows WHERE payout_batch_id IS NOT NULL
                  UNION ALL SELECT payout_batch_id, creator_share FROM tips WHERE payout_batch_id IS NOT NULL) u
                GROUP BY payout_batch_id) w ON w.payout_batch_id = b.id
     WHERE b.total <> coalesce(i.s, 0)
        OR (b.kind = 'creators' AND b.status IN ('pending', 'submitted', 'finalized') AND (b.total <> coalesce(w.s, 0) OR b.window_count <> coalesce(w.n, 0)))
        OR (b.status IN ('failed', 'expired') AND w.n IS NOT NULL)`,
  );
  // The escrow address must hold what was deposited minus what was paid out.
  await check(
    'escrow differs from deposits minus payouts',
    `SELECT a.balance || ' vs ' || (coalesce(p.s, 0) - coalesce(d.s, 0)) AS v
     FROM ledger_accounts a,
          (SELECT sum(amount) AS s FROM deposits) d,
          (SELECT sum(i.amount) AS s FROM payout_items i JOIN payout_batches b ON b.id = i.batch_id AND b.status = 'finalized') p
     WHERE a.id = 'escrow' AND a.balance <> coalesce(p.s, 0) - coalesce(d.s, 0)`,
  );
  return problems;
}

/** Sum of every ledger entry, as a bigint (zero in a sound double-entry ledger). */
export async function entriesTotal(db: Queryable): Promise<bigint> {
  const [row] = await db.query<{ s: string }>('SELECT coalesce(sum(amount), 0)::text AS s FROM ledger_entries');
  return BigInt(row!.s);
}
