import type { Queryable } from './db/Database.ts';
import type { WindowUsage } from './Ledger.ts';
import { pgArray } from './ledgerSql.ts';

/** Seconds per row of billed_watch_seconds: one bigint mask (migration 008). */
const BUCKET = 64;
/** The longest window a usage may carry seconds for; the settlement config allows no more. */
export const MAX_WINDOW_SECONDS = 3600;

/**
 * Checks a usage's seconds: W a positive integer up to MAX_WINDOW_SECONDS, and the list as
 * many distinct unix seconds as `seconds`, each inside the window [w×W, (w+1)×W), so the list
 * can never be longer than W.
 */
export function validateWatchedSeconds(w: WindowUsage): void {
  const W = w.windowSeconds;
  const list = w.unixSeconds;
  if (W === undefined || list === undefined) throw new Error('unixSeconds and windowSeconds: give both or neither');
  if (!Number.isInteger(W) || W < 1 || W > MAX_WINDOW_SECONDS) throw new Error(`windowSeconds: an integer from 1 to ${MAX_WINDOW_SECONDS}`);
  if (!Number.isSafeInteger((w.window + 1) * W)) throw new Error('window: too large for its windowSeconds');
  if (!Array.isArray(list) || list.length !== w.seconds) throw new Error('unixSeconds: one entry per second counted in seconds');
  const from = w.window * W;
  const seen = new Set<number>();
  for (const s of list) {
    if (!Number.isInteger(s) || s < from || s >= from + W) throw new Error(`unixSeconds: ${s} is not a second of window ${w.window}`);
    if (seen.has(s)) throw new Error(`unixSeconds: ${s} given twice`);
    seen.add(s);
  }
}

const key = (viewer: string, stream: string, bucket: number): string => JSON.stringify([viewer, stream, bucket]);

/**
 * The seconds already billed to a viewer on a stream, for the buckets one batch of windows
 * touches. Loaded and saved inside the watch transaction while it holds the lock on every
 * viewer's ledger row, so a concurrent settler of the same viewer (another batch, another
 * replica) has either committed its seconds before the load or waits until this one commits.
 */
export class BilledSeconds {
  /** Key → mask, unsigned; only buckets of usages that carry their seconds. */
  readonly #masks = new Map<string, bigint>();
  readonly #changed = new Set<string>();

  private constructor() {}

  /** Reads the masks of every bucket the usages' seconds fall in: one primary-key probe each. */
  static async load(tx: Queryable, usages: readonly WindowUsage[]): Promise<BilledSeconds> {
    const billed = new BilledSeconds();
    const keys: [string, string, number][] = [];
    for (const w of usages) {
      for (const s of w.unixSeconds ?? []) {
        const bucket = Math.floor(s / BUCKET);
        const k = key(w.viewer, w.stream, bucket);
        if (billed.#masks.has(k)) continue;
        billed.#masks.set(k, 0n);
        keys.push([w.viewer, w.stream, bucket]);
      }
    }
    if (keys.length === 0) return billed;
    const rows = await tx.query<{ v: string; s: string; b: string; mask: string }>(
      `SELECT k.v, k.s, k.b::text AS b, x.mask::text AS mask FROM unnest($1::text[], $2::text[], $3::bigint[]) AS k(v, s, b),
       LATERAL (SELECT mask FROM billed_watch_seconds t WHERE t.viewer = k.v AND t.stream = k.s AND t.bucket = k.b LIMIT 1) x`,
      [pgArray(keys.map((k) => k[0]), true), pgArray(keys.map((k) => k[1]), true), pgArray(keys.map((k) => k[2]))],
    );
    for (const r of rows) billed.#masks.set(key(r.v, r.s, Number(r.b)), BigInt.asUintN(64, BigInt(r.mask)));
    return billed;
  }

  /** The usage's seconds that no session of its viewer on its stream was billed for, earliest first; undefined when it carries none. */
  unbilled(w: WindowUsage): number[] | undefined {
    if (!w.unixSeconds) return undefined;
    return w.unixSeconds.filter((s) => !this.#has(w.viewer, w.stream, s)).sort((a, b) => a - b);
  }

  /** Records seconds as billed, for the rest of the batch and for `save`. */
  mark(w: WindowUsage, seconds: readonly number[]): void {
    for (const s of seconds) {
      const k = key(w.viewer, w.stream, Math.floor(s / BUCKET));
      this.#masks.set(k, this.#masks.get(k)! | (1n << BigInt(s % BUCKET)));
      this.#changed.add(k);
    }
  }

  /** Writes the buckets that gained seconds, in one statement. */
  async save(tx: Queryable): Promise<void> {
    if (this.#changed.size === 0) return;
    const rows = [...this.#changed].map((k) => [...(JSON.parse(k) as [string, string, number]), this.#masks.get(k)!] as const);
    // OR rather than overwrite: harmless under the lock, and no bit is ever lost without it.
    await tx.query(
      `INSERT INTO billed_watch_seconds (viewer, stream, bucket, mask)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])
       ON CONFLICT (viewer, stream, bucket) DO UPDATE SET mask = billed_watch_seconds.mask | EXCLUDED.mask`,
      [
        pgArray(rows.map((r) => r[0]), true),
        pgArray(rows.map((r) => r[1]), true),
        pgArray(rows.map((r) => r[2])),
        pgArray(rows.map((r) => BigInt.asIntN(64, r[3]).toString())),
      ],
    );
  }

  #has(viewer: string, stream: string, s: number): boolean {
    const mask = this.#masks.get(key(viewer, stream, Math.floor(s / BUCKET))) ?? 0n;
    return (mask & (1n << BigInt(s % BUCKET))) !== 0n;
  }
}
