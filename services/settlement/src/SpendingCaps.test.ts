import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Ledger, type SettleResult } from './Ledger.ts';
import { viewerAccount } from './ledgerSql.ts';
import { spendableWithin, SpendingCaps } from './SpendingCaps.ts';
import { engines } from './testing/databases.ts';
import { usage } from './testing/fixtures.ts';
import { useDatabase } from './testing/ledgerHooks.ts';

describe('spendableWithin', () => {
  const state = (perDay: bigint | null, perStream: bigint | null, day = 0n, onStream = 0n) => ({ cap: { perDay, perStream }, day, byStream: new Map([['s1', onStream]]) });
  it('is the least of the balance and what each cap leaves, never negative', () => {
    expect(spendableWithin(1_000n, undefined, 's1')).toEqual({ amount: 1_000n, limit: 'balance' });
    expect(spendableWithin(-5n, undefined, 's1')).toEqual({ amount: 0n, limit: 'balance' });
    expect(spendableWithin(1_000n, state(600n, null, 100n), 's1')).toEqual({ amount: 500n, limit: 'day_cap' });
    expect(spendableWithin(1_000n, state(600n, 300n, 100n, 50n), 's1')).toEqual({ amount: 250n, limit: 'stream_cap' });
    // Another stream has its own per-stream room.
    expect(spendableWithin(1_000n, state(null, 300n, 0n, 300n), 's2')).toEqual({ amount: 300n, limit: 'stream_cap' });
    expect(spendableWithin(200n, state(600n, 300n), 's1')).toEqual({ amount: 200n, limit: 'balance' });
    expect(spendableWithin(1_000n, state(600n, null, 900n), 's1')).toEqual({ amount: 0n, limit: 'day_cap' });
  });
});

describe.each(engines)('spending caps on $name', (engine) => {
  const open = useDatabase(engine);
  const setup = async () => {
    const { db } = await open();
    const ledger = new Ledger(db);
    const caps = new SpendingCaps(db);
    await ledger.creditDeposit({ chainId: 'd1', account: 'alice', amount: 1_000_000n });
    return { db, ledger, caps };
  };
  const billed = (rs: SettleResult[]) => rs.reduce((s, r) => s + (r.status === 'duplicate' ? 0n : r.amount), 0n);

  it('bills within the daily cap across streams, counting what was spent before the cap was set', async () => {
    const { ledger, caps } = await setup();
    // 200 spent before any cap.
    await ledger.settleWindows([usage({ stream: 's1', seconds: 10, pricePerSecond: 20n })]);
    await caps.set('alice', { perDay: 500n, perStream: null });
    expect(await caps.get('alice')).toEqual({ perDay: 500n, perStream: null });
    expect(await caps.spentToday('alice', 's1')).toEqual({ day: 200n, stream: 200n });
    const r = await ledger.settleWindows([usage({ stream: 's2', seconds: 10, pricePerSecond: 20n }), usage({ stream: 's3', window: 2, seconds: 10, pricePerSecond: 20n })]);
    // 300 left under the cap: the first window whole, the second 5 of its 10 seconds.
    expect(r.map((x) => x.status)).toEqual(['settled', 'overdrawn']);
    expect(r[1]).toMatchObject({ billedSeconds: 5, balanceAfter: 0n, capped: true });
    expect(billed(r)).toBe(300n);
    expect(await ledger.balance(viewerAccount('alice'))).toBe(1_000_000n - 500n);
    expect(await caps.spendable('alice', 's1', 1_000_000n - 500n)).toEqual({ amount: 0n, limit: 'day_cap' });
    // Removing the cap lets the balance decide again.
    await caps.set('alice', { perDay: null, perStream: null });
    expect(await caps.spendable('alice', 's1', 7n)).toEqual({ amount: 7n, limit: 'balance' });
  });

  it('bills within the per-stream cap on each stream separately', async () => {
    const { ledger, caps } = await setup();
    await caps.set('alice', { perDay: null, perStream: 150n });
    const r = await ledger.settleWindows([
      usage({ stream: 's1', seconds: 10, pricePerSecond: 10n }),
      usage({ stream: 's1', window: 2, seconds: 10, pricePerSecond: 10n }),
      usage({ stream: 's2', window: 3, seconds: 10, pricePerSecond: 10n }),
    ]);
    expect(r.map((x) => (x.status === 'duplicate' ? 0 : x.billedSeconds))).toEqual([10, 5, 10]);
    expect(r[0]).toMatchObject({ balanceAfter: 50n, capped: true });
    expect(await caps.spentToday('alice', 's1')).toEqual({ day: 250n, stream: 150n });
    expect(await caps.spentToday('alice', 's2')).toEqual({ day: 250n, stream: 100n });
  });

  it('never bills past a cap however many settlers race', async () => {
    const { ledger, caps } = await setup();
    await caps.set('alice', { perDay: 1_234n, perStream: null });
    const windows = Array.from({ length: 40 }, (_, i) => usage({ sessionId: randomUUID(), window: i, stream: `s${i % 3}`, seconds: 10, pricePerSecond: 7n }));
    await Promise.all([0, 1, 2, 3].map((k) => ledger.settleWindows(windows.filter((_, i) => i % 4 === k))));
    expect(1_000_000n - (await ledger.balance(viewerAccount('alice')))).toBe(1_232n);
    expect((await caps.spentToday('alice')).day).toBe(1_232n);
  });

  it('refuses caps that are not positive amounts', async () => {
    const { caps } = await setup();
    await expect(caps.set('alice', { perDay: 0n, perStream: null })).rejects.toThrow('a cap is a positive planck amount');
    await expect(caps.set('alice', { perDay: null, perStream: -1n })).rejects.toThrow('a cap is a positive planck amount');
    await expect(caps.set('', { perDay: 1n, perStream: null })).rejects.toThrow(/account/);
  });
});
