// Geometry for the hand-drawn SVG charts. Values are bigint planck; only the pixel ratios
// become numbers, and they never flow back into money.
import { exactPlanck, formatTokens, type Token } from './tokens.ts';

/** The smallest 1, 2 or 5 × 10^k at or above `max` (at least 1): an axis top people can read. */
export function niceCeiling(max: bigint): bigint {
  if (max <= 1n) return 1n;
  let step = 1n;
  while (step * 10n < max) step *= 10n;
  for (const m of [1n, 2n, 5n, 10n]) if (step * m >= max) return step * m;
  return step * 10n;
}

/** value / max as a number in [0, 1], to four decimal places. */
export function ratio(value: bigint, max: bigint): number {
  if (max <= 0n || value <= 0n) return 0;
  if (value >= max) return 1;
  return Number((value * 10_000n) / max) / 10_000;
}

/** Maps [0, max] planck onto [0, length] drawing units; values beyond max stop at length. */
export function linearScale(max: bigint, length: number): (value: bigint) => number {
  return (value) => ratio(value, max) * length;
}

/** A bar's tooltip: what it is, its exact amount, and one more fact about it. */
export function barTitle(label: string, value: bigint, note: string, token: Token | null): string {
  return `${label}: ${formatTokens(value, token, { decimals: 6 })} (${exactPlanck(value)}), ${note}`;
}

/** Room for the longest axis label, in drawing units, so no label is ever cut off. */
export function axisWidth(labels: readonly string[], charWidth = 7, padding = 12): number {
  return Math.max(...labels.map((l) => l.length), 1) * charWidth + padding;
}

export function maxOf(values: readonly bigint[]): bigint {
  return values.reduce((m, v) => (v > m ? v : m), 0n);
}

/** Which of `count` labels to draw so that at most `room` show, always including the last. */
export function labelEvery(count: number, room: number): number {
  return Math.max(1, Math.ceil(count / Math.max(1, room)));
}
