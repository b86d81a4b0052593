import { describe, expect, it } from 'vitest';
import { parsePlanck, splitWatch, U128_MAX } from './money.ts';
import { rng } from './testing/fixtures.ts';

// The split is checked as a pure function here and through the ledger in Ledger.test.ts.
describe('splitWatch: 90/10 with the remainder to the platform', () => {
  const check = (total: bigint): void => {
    const { creator, platform } = splitWatch(total);
    // Exact, so creator + platform is the viewer's debit to the planck.
    expect(creator + platform).toBe(total);
    // The creator gets the floor of 90%: never more, and less by under one planck.
    expect(creator * 100n <= total * 90n).toBe(true);
    expect((creator + 1n) * 100n > total * 90n).toBe(true);
    expect(platform >= 0n && creator >= 0n).toBe(true);
  };

  it('is exact for every total from 0 to 10,000', () => {
    for (let t = 0n; t <= 10_000n; t++) check(t);
  });

  it('is exact for random seconds × prices, including odd and huge ones', () => {
    const r = rng(42);
    for (let i = 0; i < 20_000; i++) {
      const price = BigInt(Math.floor(r() * 2 ** 40)) * BigInt(Math.floor(r() * 1000) + 1) + 1n;
      const seconds = BigInt(Math.floor(r() * 10) + 1);
      check(price * seconds);
    }
    for (const t of [1n, 3n, 7n, 9n, 11n, 99n, 101n, 999_999_999_999n, U128_MAX, U128_MAX - 1n, 10n ** 38n + 9n]) check(t);
  });

  it('gives the remainder to the platform on odd amounts', () => {
    expect(splitWatch(1n)).toEqual({ creator: 0n, platform: 1n });
    expect(splitWatch(7n)).toEqual({ creator: 6n, platform: 1n });
    expect(splitWatch(19n)).toEqual({ creator: 17n, platform: 2n });
    expect(splitWatch(100n)).toEqual({ creator: 90n, platform: 10n });
    expect(() => splitWatch(-1n)).toThrow(/negative/);
  });

  it('parses planck strictly', () => {
    expect(parsePlanck('0')).toBe(0n);
    expect(parsePlanck('340282366920938463463374607431768211455')).toBe(U128_MAX);
    for (const bad of ['', '-1', '01', '1.5', '1e3', ' 1', '340282366920938463463374607431768211456']) {
      expect(() => parsePlanck(bad), bad).toThrow();
    }
  });
});
