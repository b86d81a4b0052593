/**
 * The joined sessions of each signed-in account, with the price each one pays: what
 * `VILO_MAX_SESSIONS_PER_ACCOUNT` bounds and what a paid join's balance must cover. One table
 * serves every path a session can take (a signaling socket, a WHEP resource, a viewer token's
 * balance check). In embedded mode it is this process's memory (`MemoryAccountSessions`); with
 * replicas it is Redis (`RedisAccountSessions`), so the bound holds across all of them.
 */
export interface AccountSessions {
  /**
   * Counts `sessionId` for `account` at `pricePerSecond`, atomically against every other
   * reservation of the account; false when it already holds `max` sessions. Reserving a
   * session already held is not a new one, and keeps the price it was first reserved at.
   */
  reserve(account: string, sessionId: string, pricePerSecond: bigint, max: number): Promise<boolean>;
  /** Gives the session's place back. May be called before its reserve() settled: it then takes effect after. */
  release(account: string, sessionId: string): Promise<void>;
  /** Planck per second the account's sessions cost together: what its balance must cover. */
  pricePerSecond(account: string): Promise<bigint>;
  /** Gives back everything this process still holds; later calls change nothing. */
  close(): Promise<void>;
}
