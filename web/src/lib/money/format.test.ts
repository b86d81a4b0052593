import { describe, expect, it } from 'vitest';
import { formatDuration, formatPlanck, formatSigned, groupDigits, payoutBadge, shortHash } from './format.ts';
import { axisWidth, barTitle, labelEvery, linearScale, maxOf, niceCeiling, ratio } from './charts.ts';

describe('money formatting', () => {
  it('groups planck digits exactly, far beyond what a double holds', () => {
    expect(groupDigits('0')).toBe('0');
    expect(groupDigits('999')).toBe('999');
    expect(groupDigits('1000')).toBe('1,000');
    expect(groupDigits('-992874')).toBe('−992,874');
    // u128 max: every digit survives.
    expect(groupDigits('340282366920938463463374607431768211455')).toBe('340,282,366,920,938,463,463,374,607,431,768,211,455');
    expect(formatPlanck('1234')).toBe('1,234 planck');
    expect(groupDigits('12.5')).toBe('12.5');
  });

  it('signs ledger amounts', () => {
    expect(formatSigned('1000000')).toBe('+1,000,000');
    expect(formatSigned('-63')).toBe('−63');
    expect(formatSigned('0')).toBe('0');
  });

  it('shortens durations and hashes', () => {
    expect(formatDuration(45)).toBe('45 s');
    expect(formatDuration(120)).toBe('2 min');
    expect(formatDuration(125)).toBe('2 min 5 s');
    expect(formatDuration(3725)).toBe('1 h 2 min');
    expect(shortHash(`0x${'ab'.repeat(32)}`)).toBe('0xababab…ababab');
    expect(shortHash('batch-1')).toBe('batch-1');
  });

  it('colours payout statuses by whether the money arrived', () => {
    const statuses = ['finalized', 'pending', 'submitted', 'failed', 'expired'] as const;
    expect(statuses.map(payoutBadge)).toEqual(['badge badge--ok', 'badge badge--warn', 'badge badge--warn', 'badge badge--danger', 'badge badge--danger']);
  });
});

describe('chart geometry', () => {
  it('puts the axis top at a round number at or above the largest value', () => {
    expect([0n, 1n, 2n, 3n, 7n, 10n, 11n, 250n, 9_000n].map(niceCeiling)).toEqual([1n, 1n, 2n, 5n, 10n, 10n, 20n, 500n, 10_000n]);
    expect(niceCeiling(10n ** 30n + 1n)).toBe(2n * 10n ** 30n);
  });

  it('scales bigint values to [0, 1] without converting the amounts', () => {
    expect(ratio(0n, 10n)).toBe(0);
    expect(ratio(5n, 10n)).toBe(0.5);
    expect(ratio(15n, 10n)).toBe(1);
    expect(ratio(1n, 3n)).toBe(0.3333);
    expect(ratio(10n ** 38n, 2n * 10n ** 38n)).toBe(0.5);
    expect(ratio(5n, 0n)).toBe(0);
    expect(maxOf([3n, 10n ** 30n, 7n])).toBe(10n ** 30n);
    expect(maxOf([])).toBe(0n);
  });

  it('maps planck onto drawing units, clamped to the axis', () => {
    const y = linearScale(200n, 180);
    expect([0n, 50n, 200n, 400n, -5n].map(y)).toEqual([0, 45, 180, 180, 0]);
    expect(linearScale(0n, 180)(10n)).toBe(0);
  });

  it('titles a bar with its exact amount', () => {
    expect(barTitle('Jazz night', 1_234_567n, '2 min watched', null)).toBe('Jazz night: 1,234,567 planck (1,234,567 planck), 2 min watched');
    expect(barTitle('Jazz night', 1_234_567_000_000n, '2 min watched', { symbol: 'ROC', decimals: 12 })).toBe('Jazz night: 1.234567 ROC (1,234,567,000,000 planck), 2 min watched');
    // The axis grows with its longest label instead of cutting it off.
    expect(axisWidth(['0', '2.5', '5'])).toBe(3 * 7 + 12);
    expect(axisWidth(['340,282,366,920,938', '0'])).toBe(19 * 7 + 12);
  });

  it('thins axis labels to the room there is', () => {
    expect(labelEvery(60, 6)).toBe(10);
    expect(labelEvery(24, 6)).toBe(4);
    expect(labelEvery(3, 6)).toBe(1);
  });
});
