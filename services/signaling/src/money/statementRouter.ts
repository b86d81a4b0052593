// A viewer's statement as CSV (GET /api/v1/me/statement.csv?from=&to=): every window billed to
// them (the seconds and the price), every tip they sent, every deposit and every withdrawal,
// oldest first, in exact planck and in tokens.
import Router from '@koa/router';
import type Koa from 'koa';
import type { Context } from 'koa';
import { z } from 'zod';
import { loadChainProperties, viewerAccount } from '@vilokanam/settlement';
import { planckToTokens } from '@vilokanam/contracts/tokens';
import { requireAccount } from '../auth/middleware.ts';
import type { Database } from '../db/Database.ts';
import { HttpError } from '../http/errors.ts';
import { routerMiddleware } from '@vilokanam/contracts/http';

const DAY_MS = 86_400_000;
const MAX_DAYS = 366;
/** Rows one download holds; a longer statement is asked for in shorter ranges. */
export const STATEMENT_MAX_ROWS = 100_000;
const Query = z.object({ from: z.iso.datetime({ offset: true }).optional(), to: z.iso.datetime({ offset: true }).optional() });
const HEADER = ['time_utc', 'kind', 'stream', 'session', 'window', 'seconds_billed', 'price_planck_per_second', 'amount_planck', 'amount_tokens', 'reference'];

interface Line {
  at: Date;
  kind: 'watch' | 'tip' | 'deposit' | 'withdrawal' | 'withdrawal_returned';
  stream?: string;
  session?: string;
  window?: string;
  seconds?: string;
  price?: string;
  amount: bigint;
  reference?: string;
}

/** A field as RFC 4180 wants it; a leading = + - @ is defused so a spreadsheet never runs it as a formula. */
function field(v: string): string {
  const safe = /^[=+\-@\t\r]/.test(v) && !/^-?[0-9]+(\.[0-9]+)?$/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

async function lines(db: Database, account: string, from: Date, to: Date): Promise<Line[]> {
  const range = [account, from.toISOString(), to.toISOString(), STATEMENT_MAX_ROWS + 1];
  const [watched, tips, deposits, withdrawals] = await Promise.all([
    db.query<{ at: Date | string; stream: string; session: string; w: string; billed: number; price: string; amount: string }>(
      `SELECT settled_at AS at, stream, session_id::text AS session, "window"::text AS w, billed_seconds AS billed, price::text AS price, amount::text AS amount
         FROM settled_windows WHERE viewer = $1 AND settled_at >= $2 AND settled_at < $3 AND billed_seconds > 0
        ORDER BY settled_at, session_id, "window" LIMIT $4`,
      range,
    ),
    // The tip's message stays out: a statement is for amounts, and it is the viewer's own text anyway.
    db.query<{ at: Date | string; stream: string; amount: string; tip_id: string }>(
      `SELECT created_at AS at, stream::text AS stream, amount::text AS amount, tip_id::text AS tip_id
         FROM tips WHERE viewer = $1 AND created_at >= $2 AND created_at < $3 ORDER BY created_at, tip_id LIMIT $4`,
      range,
    ),
    db.query<{ at: Date | string; amount: string; chain_id: string }>(
      'SELECT credited_at AS at, amount::text AS amount, chain_id FROM deposits WHERE account = $1 AND credited_at >= $2 AND credited_at < $3 ORDER BY credited_at LIMIT $4',
      range,
    ),
    // A withdrawal leaves when requested (reserved) and comes back if it failed or expired.
    db.query<{ at: Date | string; amount: string; ref: string; back: Date | string | null }>(
      `SELECT b.created_at AS at, (b.total + b.charge)::text AS amount, b.id || coalesce(' ' || b.tx_hash, '') AS ref,
              CASE WHEN b.status IN ('failed', 'expired') THEN b.settled_at END AS back
         FROM payout_batches b WHERE b.kind = 'withdrawal' AND b.source = $1 AND b.created_at >= $2 AND b.created_at < $3
        ORDER BY b.created_at LIMIT $4`,
      [viewerAccount(account), ...range.slice(1)],
    ),
  ]);
  const out: Line[] = [];
  for (const r of watched) out.push({ at: new Date(r.at), kind: 'watch', stream: r.stream, session: r.session, window: r.w, seconds: String(r.billed), price: r.price, amount: -BigInt(r.amount) });
  for (const t of tips) out.push({ at: new Date(t.at), kind: 'tip', stream: t.stream, amount: -BigInt(t.amount), reference: t.tip_id });
  for (const d of deposits) out.push({ at: new Date(d.at), kind: 'deposit', amount: BigInt(d.amount), reference: d.chain_id });
  for (const w of withdrawals) {
    out.push({ at: new Date(w.at), kind: 'withdrawal', amount: -BigInt(w.amount), reference: w.ref });
    if (w.back !== null) out.push({ at: new Date(w.back), kind: 'withdrawal_returned', amount: BigInt(w.amount), reference: w.ref });
  }
  return out.sort((a, b) => a.at.getTime() - b.at.getTime());
}

export function statementRoutes(deps: { db: Database; now?: () => number }): Koa.Middleware {
  const router = new Router({ prefix: '/api/v1/me' });
  router.get('/statement.csv', async (ctx: Context) => {
    const account = requireAccount(ctx);
    const q = Query.parse(ctx.query);
    const to = q.to ? new Date(q.to) : new Date((deps.now ?? Date.now)());
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - 31 * DAY_MS);
    if (from >= to) throw new HttpError(400, 'bad_request', 'from: must be before to');
    if (to.getTime() - from.getTime() > MAX_DAYS * DAY_MS) throw new HttpError(400, 'bad_request', `a statement covers at most ${MAX_DAYS} days`);
    const [all, chain] = await Promise.all([lines(deps.db, account.id, from, to), loadChainProperties(deps.db)]);
    if (all.length > STATEMENT_MAX_ROWS) throw new HttpError(413, 'bad_request', `more than ${STATEMENT_MAX_ROWS} lines: ask for a shorter range`);
    const decimals = chain?.tokenDecimals;
    const rows = all.map((l) =>
      [l.at.toISOString(), l.kind, l.stream ?? '', l.session ?? '', l.window ?? '', l.seconds ?? '', l.price ?? '', l.amount.toString(), decimals === undefined ? '' : planckToTokens(l.amount, decimals), l.reference ?? '']
        .map(field)
        .join(','),
    );
    const symbol = chain?.tokenSymbol ?? 'tokens';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Disposition', `attachment; filename="vilokanam-statement-${from.toISOString().slice(0, 10)}-${to.toISOString().slice(0, 10)}.csv"`);
    ctx.type = 'text/csv; charset=utf-8';
    ctx.body = [HEADER.map((h) => (h === 'amount_tokens' ? `amount_${symbol.toLowerCase()}` : h)).join(','), ...rows].join('\r\n') + '\r\n';
  });
  return routerMiddleware(router);
}
