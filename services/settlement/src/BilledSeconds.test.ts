// A watched second is billed once per viewer and stream, however many sessions ticked it: two
// tabs, or a reconnect to another signaling replica while the old transport still ticks.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditLedger } from './audit.ts';
import { Ledger, type SettledWindowResult, type SettleResult, type WindowUsage } from './Ledger.ts';
import { viewerAccount } from './ledgerSql.ts';
import { engines } from './testing/databases.ts';
import { rng, secondsFrom, usage, watched } from './testing/fixtures.ts';
import { useDatabase } from './testing/ledgerHooks.ts';

/** A multiple of 64 and of 10: bucket and window boundaries line up here. */
const B = 1_700_000_000;
/** A window whose ten seconds span two 64-second buckets, bit 63 (the bigint's sign) included. */
const CROSS = B + 60;

/** Two session ids in the order the ledger settles them within a window. */
const twoSessions = (): [string, string] => [randomUUID(), randomUUID()].sort() as [string, string];
const settled = (r: SettleResult | undefined): SettledWindowResult => {
  expect(r?.status).not.toBe('duplicate');
  return r as SettledWindowResult;
};

describe.each(engines)('one bill per watched second on $name', (engine) => {
  const open = useDatabase(engine);
  const setup = async (deposit = 1_000_000n) => {
    const { db } = await open();
    const ledger = new Ledger(db);
    if (deposit > 0n) await ledger.creditDeposit({ chainId: `d:${randomUUID()}`, account: 'alice', amount: deposit });
    return { db, ledger };
  };

  it('bills the union of two sessions\' seconds settled in one batch', async () => {
    const { db, ledger } = await setup();
    const [a, b] = twoSessions();
    const results = await ledger.settleWindows([
      watched(secondsFrom(CROSS + 3, 7), { sessionId: b }),
      watched(secondsFrom(CROSS, 7), { sessionId: a }),
      watched(secondsFrom(CROSS + 10, 10), { sessionId: b }),
      watched(secondsFrom(CROSS + 10, 10), { sessionId: a }),
    ]);
    // The earlier session (by id) of a window pays for the seconds both ticked.
    expect(settled(results[1])).toMatchObject({ status: 'settled', seconds: 7, sharedSeconds: 0, billedSeconds: 7, amount: 70n });
    expect(settled(results[0])).toMatchObject({ status: 'settled', seconds: 7, sharedSeconds: 4, billedSeconds: 3, amount: 30n });
    expect(settled(results[3])).toMatchObject({ sharedSeconds: 0, billedSeconds: 10 });
    expect(settled(results[2])).toMatchObject({ status: 'settled', sharedSeconds: 10, billedSeconds: 0, amount: 0n, txnId: null });
    expect(await ledger.balance(viewerAccount('alice'))).toBe(1_000_000n - 20n * 10n);
    const rows = await db.query<{ seconds: number; billed: number; shared: number }>(
      'SELECT seconds, billed_seconds AS billed, shared_seconds AS shared FROM settled_windows ORDER BY "window", session_id',
    );
    expect(rows).toEqual([
      { seconds: 7, billed: 7, shared: 0 },
      { seconds: 7, billed: 3, shared: 4 },
      { seconds: 10, billed: 10, shared: 0 },
      { seconds: 10, billed: 0, shared: 10 },
    ]);
  });

  it('bills the union across batches, and a replayed window is still a duplicate', async () => {
    const { db, ledger } = await setup();
    const [a, b] = twoSessions();
    const first = watched(secondsFrom(CROSS + 3, 7), { sessionId: b });
    expect(await ledger.settleWindow(first)).toMatchObject({ sharedSeconds: 0, billedSeconds: 7 });
    // Settled later, the lower session id no longer goes first: the batch that came first paid.
    expect(await ledger.settleWindow(watched(secondsFrom(CROSS, 7), { sessionId: a }))).toMatchObject({ status: 'settled', sharedSeconds: 4, billedSeconds: 3 });
    // A third tab that saw every second of the window pays for none of them.
    expect(await ledger.settleWindow(watched(secondsFrom(CROSS, 10)))).toMatchObject({ status: 'settled', sharedSeconds: 10, billedSeconds: 0 });
    const balance = await ledger.balance(viewerAccount('alice'));
    expect(balance).toBe(1_000_000n - 100n);

    expect(await ledger.settleWindow(first)).toEqual({ status: 'duplicate', sessionId: b, window: first.window });
    // Replayed with other seconds (a late tick), the window is a duplicate all the same.
    const late = watched(secondsFrom(CROSS, 10), { sessionId: b });
    expect(await ledger.settleWindow(late)).toEqual({ status: 'duplicate', sessionId: b, window: first.window });
    expect(await ledger.balance(viewerAccount('alice'))).toBe(balance);
    expect(await db.query('SELECT count(*)::int AS n FROM settled_windows')).toEqual([{ n: 3 }]);
  });

  it('bills the union when two ledgers settle every session of a viewer concurrently', async () => {
    const { db } = await setup(0n);
    const ledgers = [new Ledger(db), new Ledger(db)];
    const r = rng(11);
    const viewers = ['v0', 'v1', 'v2', 'v3'];
    for (const v of viewers) await ledgers[0]!.creditDeposit({ chainId: `d:${v}`, account: v, amount: 10n ** 12n });
    const usages: WindowUsage[] = [];
    const union = new Map<string, Set<number>>();
    for (const viewer of viewers) {
      // Three sessions per viewer on one stream, each ticking most seconds of 12 windows.
      for (let k = 0; k < 3; k++) {
        const sessionId = randomUUID();
        for (let w = 0; w < 12; w++) {
          const seconds = secondsFrom(B + w * 10, 10).filter(() => r() < 0.7);
          if (seconds.length === 0) continue;
          usages.push(watched(seconds, { sessionId, viewer, stream: 'live', pricePerSecond: 7n }));
          const u = union.get(viewer) ?? new Set<number>();
          for (const s of seconds) u.add(s);
          union.set(viewer, u);
        }
      }
    }
    // Each ledger gets every window, in its own order and batch size, all at once.
    const results = await Promise.all(
      ledgers.map(async (l, k) => {
        const order = usages.map((u) => ({ u, key: r() })).sort((x, y) => x.key - y.key).map((x) => x.u);
        const size = 5 + k * 8;
        const batches = [];
        for (let i = 0; i < order.length; i += size) batches.push(order.slice(i, i + size));
        // Every batch in flight together: many transactions contend for each viewer's lock.
        return (await Promise.all(batches.map((batch) => l.settleWindows(batch)))).flat();
      }),
    );
    const done = results.flat().filter((x) => x.status !== 'duplicate') as SettledWindowResult[];
    expect(done).toHaveLength(usages.length);
    expect(done.some((x) => x.sharedSeconds > 0)).toBe(true);
    for (const v of viewers) {
      const seconds = union.get(v)!.size;
      expect(done.filter((x) => x.viewer === v).reduce((n, x) => n + x.billedSeconds, 0)).toBe(seconds);
      expect(await ledgers[0]!.balance(viewerAccount(v))).toBe(10n ** 12n - BigInt(seconds) * 7n);
    }
  });

  it('does not share seconds between streams, or between viewers', async () => {
    const { ledger } = await setup();
    await ledger.creditDeposit({ chainId: 'bob', account: 'bob', amount: 1_000_000n });
    const seconds = secondsFrom(CROSS, 10);
    const results = await ledger.settleWindows([
      watched(seconds, { stream: 's1' }),
      watched(seconds, { stream: 's2' }),
      watched(seconds, { stream: 's1', viewer: 'bob' }),
    ]);
    for (const r of results) expect(r).toMatchObject({ status: 'settled', sharedSeconds: 0, billedSeconds: 10 });
    expect(await ledger.balance(viewerAccount('alice'))).toBe(1_000_000n - 200n);
    expect(await ledger.balance(viewerAccount('bob'))).toBe(1_000_000n - 100n);
  });

  it('leaves shared seconds out before the balance is looked at: overdrawn means the balance ran out', async () => {
    const { ledger } = await setup(150n);
    const [a, b] = twoSessions();
    const w1 = secondsFrom(B, 10);
    const w2 = secondsFrom(B + 10, 10);
    const [a1, b1, a2, b2] = await ledger.settleWindows([
      watched(w1, { sessionId: a }),
      watched(w1.slice(5), { sessionId: b }),
      watched(w2, { sessionId: a }),
      watched(w2, { sessionId: b }),
    ]);
    expect(a1).toMatchObject({ status: 'settled', billedSeconds: 10 });
    // Nothing left to bill in b's first window, and the balance had nothing to do with it.
    expect(b1).toMatchObject({ status: 'settled', seconds: 5, sharedSeconds: 5, billedSeconds: 0 });
    // 50 left at 10 a second: a pays 5 of its 10; b shares those 5 and cannot pay the other 5.
    expect(a2).toMatchObject({ status: 'overdrawn', sharedSeconds: 0, billedSeconds: 5, amount: 50n });
    expect(b2).toMatchObject({ status: 'overdrawn', sharedSeconds: 5, billedSeconds: 0, amount: 0n });
    expect(await ledger.balance(viewerAccount('alice'))).toBe(0n);
    // Topped up, a late third session may still pay for the seconds nobody paid for: once.
    await ledger.creditDeposit({ chainId: 'top-up', account: 'alice', amount: 1000n });
    expect(await ledger.settleWindow(watched(w2))).toMatchObject({ status: 'settled', sharedSeconds: 5, billedSeconds: 5 });
    expect(await ledger.settleWindow(watched(w2))).toMatchObject({ status: 'settled', sharedSeconds: 10, billedSeconds: 0 });
    expect(await ledger.balance(viewerAccount('alice'))).toBe(950n);
  });

  it('settles a window given as a count only, unchecked, and refuses seconds that do not fit', async () => {
    const { db, ledger } = await setup();
    // No seconds: billed by count, shared_seconds NULL (the audit leaves it out of its bit count).
    expect(await ledger.settleWindow(usage({ window: CROSS / 10 }))).toMatchObject({ sharedSeconds: 0, billedSeconds: 10 });
    expect(await ledger.settleWindow(watched(secondsFrom(CROSS, 10)))).toMatchObject({ sharedSeconds: 0, billedSeconds: 10 });
    expect(await db.query('SELECT shared_seconds AS s FROM settled_windows ORDER BY shared_seconds NULLS FIRST')).toEqual([{ s: null }, { s: 0 }]);

    const ok = watched(secondsFrom(CROSS, 3));
    await expect(ledger.settleWindow({ ...ok, unixSeconds: [CROSS, CROSS + 1, CROSS + 10] })).rejects.toThrow(/not a second of window/);
    await expect(ledger.settleWindow({ ...ok, unixSeconds: [CROSS - 1, CROSS, CROSS + 1] })).rejects.toThrow(/not a second of window/);
    await expect(ledger.settleWindow({ ...ok, unixSeconds: [CROSS, CROSS, CROSS + 1] })).rejects.toThrow(/twice/);
    await expect(ledger.settleWindow({ ...ok, unixSeconds: [CROSS, CROSS + 0.5, CROSS + 1] })).rejects.toThrow(/not a second/);
    await expect(ledger.settleWindow({ ...ok, seconds: 4 })).rejects.toThrow(/one entry per second/);
    await expect(ledger.settleWindow({ ...ok, windowSeconds: undefined })).rejects.toThrow(/both or neither/);
    await expect(ledger.settleWindow({ ...ok, unixSeconds: undefined })).rejects.toThrow(/both or neither/);
    await expect(ledger.settleWindow({ ...ok, windowSeconds: 3601, window: 0 })).rejects.toThrow(/windowSeconds/);
    // A long window is fine, up to the configured maximum; its list can be no longer than W.
    const hour = watched(secondsFrom(3600 * 500, 3600), { windowSeconds: 3600, pricePerSecond: 1n });
    expect(await ledger.settleWindow(hour)).toMatchObject({ status: 'settled', billedSeconds: 3600 });
    expect(await ledger.settleWindow({ ...hour, sessionId: randomUUID() })).toMatchObject({ sharedSeconds: 3600, billedSeconds: 0 });
  });

  it('is audited: a second billed twice, or recorded without a window, is reported', async () => {
    const { db, ledger } = await setup();
    await ledger.settleWindow(watched(secondsFrom(CROSS, 10)));
    expect(await auditLedger(db)).toEqual([]);
    // Forget the seconds of the bucket holding bit 63: the window's billed seconds outnumber the bits.
    const [row] = await db.query<{ bucket: string; mask: string }>('SELECT bucket::text, mask::text FROM billed_watch_seconds WHERE mask < 0');
    expect(row).toBeDefined();
    await db.query('UPDATE billed_watch_seconds SET mask = 1 WHERE bucket = $1', [row!.bucket]);
    expect(await auditLedger(db)).toEqual(['billed seconds differ from windows: alice on stream-1 10 vs 7']);
    await db.query('UPDATE billed_watch_seconds SET mask = $2 WHERE bucket = $1', [row!.bucket, row!.mask]);
    await db.query("INSERT INTO billed_watch_seconds (viewer, stream, bucket, mask) VALUES ('bob', 'x', 1, 3)");
    expect(await auditLedger(db)).toEqual(['billed seconds differ from windows: bob on x 0 vs 2']);
    await db.query("DELETE FROM billed_watch_seconds WHERE viewer = 'bob'");
  });
});
