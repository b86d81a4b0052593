import { describe, expect, it } from 'vitest';
import { describePrice, exactPlanck, tokensExact, formatTokens, parseTokens, priceFromEntry, pricePer, TokenInputError, type Token } from './tokens.ts';

const ROC: Token = { symbol: 'ROC', decimals: 12 };
const DOT: Token = { symbol: 'DOT', decimals: 10 };
const U128_MAX = 340282366920938463463374607431768211455n;

describe('formatTokens', () => {
  it('shows whole and fractional tokens with up to four decimals, grouped', () => {
    expect(formatTokens(10n ** 13n, ROC)).toBe('10 ROC');
    expect(formatTokens('9996400000000', ROC)).toBe('9.9964 ROC');
    expect(formatTokens(1_234_567_890_123_456_789n, ROC)).toBe('1,234,567.8901 ROC');
    expect(formatTokens(15_000_000_000n, DOT)).toBe('1.5 DOT');
    expect(formatTokens(0n, ROC)).toBe('0 ROC');
  });

  it('cuts digits instead of rounding up, so a balance never reads as more than it is', () => {
    expect(formatTokens(1_999_999_999_999n, ROC)).toBe('1.9999 ROC');
    expect(formatTokens(999_999_999_999n, ROC)).toBe('0.999 ROC');
    expect(formatTokens(2_000_049_999_999n, ROC)).toBe('2 ROC');
  });

  it('keeps significant digits of tiny amounts, down to one planck', () => {
    expect(formatTokens(1n, ROC)).toBe('0.000000000001 ROC');
    expect(formatTokens(1_234_567n, ROC)).toBe('0.00000123 ROC');
    expect(formatTokens(1_000_000_000n, ROC)).toBe('0.001 ROC');
    expect(formatTokens(1_234_567n, ROC, { significant: 6 })).toBe('0.00000123456 ROC');
  });

  it('holds every digit of the largest u128 amount', () => {
    expect(formatTokens(U128_MAX, ROC)).toBe('340,282,366,920,938,463,463,374,607.4317 ROC');
    expect(formatTokens(U128_MAX, { symbol: 'X', decimals: 0 })).toBe('340,282,366,920,938,463,463,374,607,431,768,211,455 X');
  });

  it('signs ledger entries with a real minus, and a plus when asked', () => {
    expect(formatTokens(-3_000_000_000_000n, ROC)).toBe('−3 ROC');
    expect(formatTokens('-63', ROC)).toBe('−0.000000000063 ROC');
    expect(formatTokens(5n * 10n ** 12n, ROC, { signed: true })).toBe('+5 ROC');
    expect(formatTokens(0n, ROC, { signed: true })).toBe('0 ROC');
    expect(formatTokens(10n ** 12n, ROC, { bare: true })).toBe('1');
  });

  it('falls back to planck when no chain is known, and passes malformed input through', () => {
    expect(formatTokens(1_000_000n, null)).toBe('1,000,000 planck');
    expect(formatTokens('-900', null, { signed: true })).toBe('−900 planck');
    expect(formatTokens('12.5', ROC)).toBe('12.5');
    expect(exactPlanck(10n ** 9n)).toBe('1,000,000,000 planck');
  });
});

describe('parseTokens', () => {
  it('reads what a person types into exact planck', () => {
    expect(parseTokens('1', ROC)).toBe(10n ** 12n);
    expect(parseTokens(' 1.5 ', ROC)).toBe(1_500_000_000_000n);
    expect(parseTokens('.5', ROC)).toBe(500_000_000_000n);
    expect(parseTokens('0.000000000001', ROC)).toBe(1n);
    expect(parseTokens('00012', DOT)).toBe(120_000_000_000n);
    expect(parseTokens('1_000', DOT)).toBe(10_000_000_000_000n);
    expect(parseTokens('0', ROC)).toBe(0n);
    expect(parseTokens('7.', ROC)).toBe(7n * 10n ** 12n);
  });

  it('refuses what it would have to guess, with a message a person understands', () => {
    expect(() => parseTokens('', ROC)).toThrow(TokenInputError);
    expect(() => parseTokens('1,5', ROC)).toThrow(/point for decimals/);
    expect(() => parseTokens('0.0000000000001', ROC)).toThrow('ROC has at most 12 decimal places.');
    expect(() => parseTokens('-1', ROC)).toThrow(/for example/);
    expect(() => parseTokens('1e3', ROC)).toThrow(/for example/);
    expect(() => parseTokens('.', ROC)).toThrow(/for example/);
    expect(() => parseTokens('9'.repeat(40), ROC)).toThrow('That amount is too large.');
  });
});

describe('tokensExact', () => {
  it('writes every digit back, so parsing it gives the same planck', () => {
    expect(tokensExact(7_200_000_000_000n, ROC)).toBe('7.2');
    expect(tokensExact(1n, ROC)).toBe('0.000000000001');
    expect(tokensExact(0n, ROC)).toBe('0');
    expect(tokensExact(-15_000_000_000n, DOT)).toBe('-1.5');
    for (const v of [1n, 999n, 10n ** 12n, 123_456_789_012_345n, U128_MAX]) expect(parseTokens(tokensExact(v, ROC), ROC)).toBe(v);
  });
});

describe('prices', () => {
  it('turns a price per minute or hour into whole planck per second, and says when it was cut', () => {
    expect(priceFromEntry('0.06', 'minute', ROC)).toEqual({ perSecond: 1_000_000_000n, exact: true });
    expect(priceFromEntry('3.6', 'hour', ROC)).toEqual({ perSecond: 1_000_000_000n, exact: true });
    expect(priceFromEntry('0.05', 'minute', ROC)).toEqual({ perSecond: 833_333_333n, exact: false });
    expect(priceFromEntry('0', 'hour', ROC)).toEqual({ perSecond: 0n, exact: true });
    expect(() => priceFromEntry('0.000000000059', 'minute', ROC)).toThrow(/less than 1 planck a second.*0\.00000000006 ROC per minute/);
  });

  it('describes a per-second price per second, minute and hour', () => {
    expect(pricePer(2_000_000_000n, 'hour')).toBe(7_200_000_000_000n);
    expect(describePrice(1_000_000_000n, ROC)).toEqual({ second: '0.001 ROC', minute: '0.06 ROC', hour: '3.6 ROC' });
    expect(describePrice(833_333_333n, ROC)).toEqual({ second: '0.0008333 ROC', minute: '0.04999 ROC', hour: '2.9999 ROC' });
  });
});
