/**
 * The joined sessions of each signed-in account, in this process, with the price each one
 * pays. A reservation is taken synchronously before a join awaits anything, so concurrent
 * joins of one account (several tabs, sockets or replayed tokens) are counted against each
 * other rather than each seeing the account idle.
 */
export class AccountSessions {
  readonly #byAccount = new Map<string, Map<string, bigint>>();

  /** Counts `sessionId` for `account`; false when the account already holds `max` sessions. */
  reserve(account: string, sessionId: string, pricePerSecond: bigint, max: number): boolean {
    let sessions = this.#byAccount.get(account);
    if (!sessions) this.#byAccount.set(account, (sessions = new Map()));
    if (!sessions.has(sessionId) && sessions.size >= max) {
      if (sessions.size === 0) this.#byAccount.delete(account);
      return false;
    }
    sessions.set(sessionId, pricePerSecond);
    return true;
  }

  release(account: string, sessionId: string): void {
    const sessions = this.#byAccount.get(account);
    if (!sessions?.delete(sessionId)) return;
    if (sessions.size === 0) this.#byAccount.delete(account);
  }

  /** Planck per second the account's sessions cost together: what its balance must cover. */
  pricePerSecond(account: string): bigint {
    let total = 0n;
    for (const price of this.#byAccount.get(account)?.values() ?? []) total += price;
    return total;
  }

  count(account: string): number {
    return this.#byAccount.get(account)?.size ?? 0;
  }

  /** Accounts with any session, for tests and metrics. */
  get size(): number {
    return this.#byAccount.size;
  }
}
