import type { AccountSessions } from './AccountSessions.ts';

/**
 * Embedded mode's table: one process serves every session, so its memory is the whole truth.
 * A reservation is taken synchronously, before its caller awaits anything, so concurrent joins
 * of one account (several tabs, sockets or replayed tokens) are counted against each other
 * rather than each seeing the account idle.
 */
export class MemoryAccountSessions implements AccountSessions {
  readonly #byAccount = new Map<string, Map<string, bigint>>();

  async reserve(account: string, sessionId: string, pricePerSecond: bigint, max: number): Promise<boolean> {
    let sessions = this.#byAccount.get(account);
    if (!sessions) this.#byAccount.set(account, (sessions = new Map()));
    if (!sessions.has(sessionId) && sessions.size >= max) {
      if (sessions.size === 0) this.#byAccount.delete(account);
      return false;
    }
    if (!sessions.has(sessionId)) sessions.set(sessionId, pricePerSecond);
    return true;
  }

  async release(account: string, sessionId: string): Promise<void> {
    const sessions = this.#byAccount.get(account);
    if (!sessions?.delete(sessionId)) return;
    if (sessions.size === 0) this.#byAccount.delete(account);
  }

  async pricePerSecond(account: string): Promise<bigint> {
    let total = 0n;
    for (const price of this.#byAccount.get(account)?.values() ?? []) total += price;
    return total;
  }

  async close(): Promise<void> {
    this.#byAccount.clear();
  }

  count(account: string): number {
    return this.#byAccount.get(account)?.size ?? 0;
  }

  /** Accounts with any session, for tests and metrics. */
  get size(): number {
    return this.#byAccount.size;
  }
}
