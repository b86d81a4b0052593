// Amounts as people read them: tokens with sensible precision, not planck. The chain says what
// its token is (GET /api/v1/chain); every page formats through here, and the exact planck value
// stays in the tooltip and in exports. All arithmetic is bigint: a float never holds money.
import { planckToTokens } from '@vilokanam/contracts/tokens';
import { groupDigits } from './format.ts';

export interface Token {
  symbol: string;
  decimals: number;
}

export interface TokenFormat {
  /** "+" before positive amounts (ledger entries). */
  signed?: boolean;
  /** Fraction digits kept for amounts of one token or more. Default 4. */
  decimals?: number;
  /** Significant digits kept below one token, so a tiny amount never reads as 0. Default 3. */
  significant?: number;
  /** Leave the symbol off (a column already names it). */
  bare?: boolean;
}

const INTEGER = /^-?(0|[1-9][0-9]*)$/;
const MINUS = '−';

function toBig(planck: bigint | string): bigint | null {
  if (typeof planck === 'bigint') return planck;
  return INTEGER.test(planck) ? BigInt(planck) : null;
}

/**
 * 10_000_000_000_000n with 12 decimals → "10 ROC"; 1_234_567n → "0.00000123 ROC". Digits beyond
 * the precision are cut, never rounded up, so a balance is never shown as more than it is.
 * Without a token (no chain known yet) the amount is shown in planck.
 */
export function formatTokens(planck: bigint | string, token: Token | null, o: TokenFormat = {}): string {
  const value = toBig(planck);
  if (value === null) return String(planck);
  const sign = value < 0n ? MINUS : o.signed && value > 0n ? '+' : '';
  const abs = value < 0n ? -value : value;
  if (!token) return `${sign}${groupDigits(abs.toString())}${o.bare ? '' : ' planck'}`;
  const unit = 10n ** BigInt(token.decimals);
  const whole = abs / unit;
  const fraction = (abs % unit).toString().padStart(token.decimals, '0');
  let kept: string;
  if (whole > 0n) kept = fraction.slice(0, o.decimals ?? 4);
  else {
    const firstDigit = fraction.search(/[1-9]/);
    kept = firstDigit < 0 ? '' : fraction.slice(0, firstDigit + (o.significant ?? 3));
  }
  kept = kept.replace(/0+$/, '');
  const text = `${groupDigits(whole.toString())}${kept ? `.${kept}` : ''}`;
  return `${sign}${text}${o.bare ? '' : ` ${token.symbol}`}`;
}

/** The exact amount for a tooltip or an export: "1,000,000,000 planck". */
export function exactPlanck(planck: bigint | string): string {
  const value = toBig(planck);
  return value === null ? String(planck) : `${groupDigits(value.toString())} planck`;
}

export class TokenInputError extends Error {}

/**
 * What a person typed ("1.5", "0.02", ".5") as planck. A comma is refused rather than guessed:
 * "1,000" is a thousand in one locale and one in another.
 */
export function parseTokens(text: string, token: Token): bigint {
  const t = text.trim().replace(/[\s_]/g, '');
  if (t === '') throw new TokenInputError('Enter an amount.');
  if (t.includes(',')) throw new TokenInputError(`Use a point for decimals, without thousands separators (for example 1234.5 ${token.symbol}).`);
  const m = /^([0-9]*)(?:\.([0-9]*))?$/.exec(t);
  if (!m || (m[1] === '' && !m[2])) throw new TokenInputError(`Enter an amount in ${token.symbol}, for example 0.5.`);
  const fraction = m[2] ?? '';
  if (fraction.length > token.decimals) throw new TokenInputError(`${token.symbol} has at most ${token.decimals} decimal places.`);
  const digits = `${m[1] ?? ''}${fraction.padEnd(token.decimals, '0')}`.replace(/^0+(?=[0-9])/, '');
  if (digits.length > 39) throw new TokenInputError('That amount is too large.');
  return BigInt(digits || '0');
}

export type PriceUnit = 'second' | 'minute' | 'hour';
export const SECONDS_PER: Record<PriceUnit, bigint> = { second: 1n, minute: 60n, hour: 3600n };

/** A per-second price over a longer unit: what a minute or an hour of watching costs. */
export function pricePer(planckPerSecond: bigint, unit: PriceUnit): bigint {
  return planckPerSecond * SECONDS_PER[unit];
}

export interface PriceEntry {
  /** What is billed: whole planck per watched second. */
  perSecond: bigint;
  /** False when the entered price did not divide into whole planck per second and was cut. */
  exact: boolean;
}

/**
 * A creator's price "0.06 per minute" as the per-second planck the ledger bills. A price that
 * does not divide into whole planck per second is cut to the planck below, and says so.
 */
export function priceFromEntry(text: string, unit: PriceUnit, token: Token): PriceEntry {
  const perUnit = parseTokens(text, token);
  const seconds = SECONDS_PER[unit];
  const perSecond = perUnit / seconds;
  if (perUnit > 0n && perSecond === 0n) {
    throw new TokenInputError(`That is less than 1 planck a second; the smallest price is ${formatTokens(seconds, token, { significant: 6 })} per ${unit}.`);
  }
  return { perSecond, exact: perSecond * seconds === perUnit };
}

/** "0.001 ROC/s · 0.06 ROC/min · 3.6 ROC/h": a price in the three units people compare. */
export function describePrice(planckPerSecond: bigint, token: Token | null): { second: string; minute: string; hour: string } {
  return {
    second: formatTokens(planckPerSecond, token, { significant: 4 }),
    minute: formatTokens(pricePer(planckPerSecond, 'minute'), token, { significant: 4 }),
    hour: formatTokens(pricePer(planckPerSecond, 'hour'), token, { significant: 4 }),
  };
}

/** Every digit, no grouping: what goes back into an input ("7.2", "0.000000000001"). */
export function tokensExact(planck: bigint, token: Token): string {
  return planckToTokens(planck, token.decimals);
}
