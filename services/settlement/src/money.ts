// Money is bigint planck end to end. Postgres numeric comes back as a decimal string and is
// parsed here; nothing on the money path is ever a JS number.

export const CREATOR_SHARE_PERCENT = 90n;
/** Upper bound of an on-chain balance (u128); the ledger refuses anything larger. */
export const U128_MAX = (1n << 128n) - 1n;

export interface WatchSplit {
  creator: bigint;
  platform: bigint;
}

/**
 * The creator gets floor(total × 90 / 100) and the platform gets the rest. The platform
 * taking the rounding remainder keeps creator + platform == total exactly: no planck is
 * created or lost, and the creator is never paid more than 90%.
 */
export function splitWatch(total: bigint): WatchSplit {
  if (total < 0n) throw new Error('amount: must not be negative');
  const creator = (total * CREATOR_SHARE_PERCENT) / 100n;
  return { creator, platform: total - creator };
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** Parses a non-negative decimal planck string strictly (no sign, exponent, fraction or spaces). */
export function parsePlanck(value: string, field = 'amount'): bigint {
  if (!DECIMAL.test(value)) throw new Error(`${field}: not a decimal planck string`);
  const n = BigInt(value);
  if (n > U128_MAX) throw new Error(`${field}: exceeds u128`);
  return n;
}

/** Parses a signed decimal from the database (sums and entries may be negative). */
export function parseSigned(value: string | null | undefined): bigint {
  if (value === null || value === undefined) return 0n;
  if (!/^-?(0|[1-9][0-9]*)$/.test(value)) throw new Error(`not an integer: ${value}`);
  return BigInt(value);
}
