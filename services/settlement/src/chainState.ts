// Scan positions in chain_cursors (migrations/003_chain_state.sql), shared by the deposit
// crediter and the reconciler.
import type { Queryable } from './db/Database.ts';

export const depositCursorName = (escrowHex: string): string => `deposits:${escrowHex}`;
export const reconcilerCursorName = (escrowHex: string): string => `reconciler:escrow:${escrowHex}`;

/** The next block to scan, or undefined when this scan has never run. */
export async function loadCursor(q: Queryable, name: string): Promise<number | undefined> {
  const [row] = await q.query<{ next_block: string }>('SELECT next_block::text AS next_block FROM chain_cursors WHERE name = $1', [name]);
  return row ? Number(row.next_block) : undefined;
}

/**
 * Moves a cursor forward, never back: two writers (a slow old process, a fast new one) can
 * only ever leave the furthest position. Moving one back is an operator's UPDATE.
 */
export async function advanceCursor(q: Queryable, name: string, next: number): Promise<void> {
  await q.query(
    `INSERT INTO chain_cursors (name, next_block) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE SET next_block = greatest(chain_cursors.next_block, EXCLUDED.next_block), updated_at = now()`,
    [name, next],
  );
}

/** Sets the cursor only if it has none yet; returns the cursor in force. */
export async function initCursor(q: Queryable, name: string, next: number): Promise<number> {
  await q.query('INSERT INTO chain_cursors (name, next_block) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, next]);
  return (await loadCursor(q, name))!;
}
