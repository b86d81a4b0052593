import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { migrate } from './db/Database.ts';
import { Ledger, type SettledWindowResult, type WindowUsage } from './Ledger.ts';
import { creatorAccount, ESCROW_ACCOUNT, PLATFORM_ACCOUNT, viewerAccount } from './ledgerSql.ts';
import { splitWatch } from './money.ts';
import { engines } from './testing/databases.ts';
import { rng, usage } from './testing/fixtures.ts';
import { useDatabase } from './testing/ledgerHooks.ts';

describe.each(engines)('Ledger on $name', (engine) => {
  const open = useDatabase(engine);
  const setup = async () => {
    const { db } = await open();
    return { db, ledger: new Ledger(db) };
  };
  const deposit = (ledger: Ledger, account: string, amount: bigint) =>
    ledger.creditDeposit({ chainId: `0x${randomUUID().replaceAll('-', '')}:1`, account, amount });

  it('settles a window: viewer pays seconds × price, creator 90% rounded down, platform the rest', async () => {
    const { ledger } = await setup();
    await deposit(ledger, 'alice', 1000n);
    const r = (await ledger.settleWindow(usage({ seconds: 7, pricePerSecond: 13n }))) as SettledWindowResult;
    expect(r).toMatchObject({ status: 'settled', seconds: 7, billedSeconds: 7, amount: 91n, creatorAmount: 81n, platformAmount: 10n });
    expect(await ledger.balance(viewerAccount('alice'))).toBe(909n);
    expect(await ledger.balance(creatorAccount('carol'))).toBe(81n);
    expect(await ledger.balance(PLATFORM_ACCOUNT)).toBe(10n);
    expect(await ledger.balance(ESCROW_ACCOUNT)).toBe(-1000n);
  });

  it('keeps creator + platform == viewer debit for many odd prices and seconds', async () => {
    const { ledger } = await setup();
    const r = rng(7);
    const viewers = ['v1', 'v2', 'v3', 'v4', 'v5'];
    for (const v of viewers) await deposit(ledger, v, 10n ** 30n);
    const usages: WindowUsage[] = [];
    for (let i = 0; i < 400; i++) {
      usages.push(
        usage({
          viewer: viewers[i % 5]!,
          creator: `c${i % 7}`,
          window: i,
          seconds: 1 + Math.floor(r() * 10),
          // Odd prices from 1 planck to ~10^15, so every remainder 0..9 turns up.
          pricePerSecond: BigInt(Math.floor(r() * 1e6)) * BigInt(Math.floor(r() * 1e9)) + 1n + 2n * BigInt(i % 5),
        }),
      );
    }
    const results = [];
    for (let i = 0; i < usages.length; i += 100) results.push(...(await ledger.settleWindows(usages.slice(i, i + 100))));
    let debit = 0n;
    let credit = 0n;
    const remainders = new Set<bigint>();
    for (const [i, res] of results.entries()) {
      const u = usages[i]!;
      const s = res as SettledWindowResult;
      expect(s.status).toBe('settled');
      expect(s.amount).toBe(BigInt(u.seconds) * u.pricePerSecond);
      expect(s.creatorAmount + s.platformAmount).toBe(s.amount);
      expect({ creator: s.creatorAmount, platform: s.platformAmount }).toEqual(splitWatch(s.amount));
      remainders.add((s.amount * 90n) % 100n);
      debit += s.amount;
      credit += s.creatorAmount + s.platformAmount;
    }
    expect(credit).toBe(debit);
    expect(remainders.size).toBeGreaterThan(5);
    let spent = 0n;
    for (const v of viewers) spent += 10n ** 30n - (await ledger.balance(viewerAccount(v)));
    let earned = await ledger.balance(PLATFORM_ACCOUNT);
    for (let c = 0; c < 7; c++) earned += await ledger.balance(creatorAccount(`c${c}`));
    expect(spent).toBe(debit);
    expect(earned).toBe(debit);
  });

  it('settles a window once: a second settle, even with other figures, changes nothing', async () => {
    const { db, ledger } = await setup();
    await deposit(ledger, 'alice', 1000n);
    const w = usage({ seconds: 5 });
    expect((await ledger.settleWindow(w)).status).toBe('settled');
    const before = await db.query('SELECT id, balance::text FROM ledger_accounts ORDER BY id');
    expect(await ledger.settleWindow(w)).toEqual({ status: 'duplicate', sessionId: w.sessionId, window: 1 });
    expect((await ledger.settleWindow({ ...w, seconds: 9 })).status).toBe('duplicate');
    const [a, b] = await ledger.settleWindows([{ ...w, window: 2 }, { ...w, window: 2 }]);
    expect([a!.status, b!.status]).toEqual(['settled', 'duplicate']);
    expect(await db.query('SELECT id, balance::text FROM ledger_accounts ORDER BY id')).not.toEqual(before);
    expect(await ledger.balance(viewerAccount('alice'))).toBe(1000n - 100n);
    expect(await db.query('SELECT count(*)::int AS n FROM settled_windows')).toEqual([{ n: 2 }]);
  });

  it('bills only the whole seconds a balance covers, earliest window first, and never goes negative', async () => {
    const { ledger } = await setup();
    await deposit(ledger, 'alice', 125n);
    const sid = randomUUID();
    // Given out of order on purpose: window 1 must be billed before window 2.
    const [w2, w1] = await ledger.settleWindows([
      usage({ sessionId: sid, window: 2, seconds: 10, pricePerSecond: 10n }),
      usage({ sessionId: sid, window: 1, seconds: 10, pricePerSecond: 10n }),
    ]);
    expect(w1).toMatchObject({ status: 'settled', billedSeconds: 10, amount: 100n });
    expect(w2).toMatchObject({ status: 'overdrawn', seconds: 10, billedSeconds: 2, amount: 20n, viewer: 'alice' });
    expect(await ledger.balance(viewerAccount('alice'))).toBe(5n);
    expect(await ledger.settleWindow(usage({ sessionId: sid, window: 3, pricePerSecond: 10n }))).toMatchObject({
      status: 'overdrawn',
      billedSeconds: 0,
      amount: 0n,
      txnId: null,
    });
    // A viewer who never deposited is overdrawn from the first second.
    expect(await ledger.settleWindow(usage({ viewer: 'bob' }))).toMatchObject({ status: 'overdrawn', billedSeconds: 0 });
    expect(await ledger.balance(viewerAccount('alice'))).toBe(5n);
    expect(await ledger.balance(viewerAccount('bob'))).toBe(0n);
  });

  it('settles free streams without moving money', async () => {
    const { db, ledger } = await setup();
    expect(await ledger.settleWindow(usage({ viewer: 'nobody', pricePerSecond: 0n }))).toMatchObject({ status: 'settled', billedSeconds: 10, amount: 0n, txnId: null });
    expect(await db.query('SELECT count(*)::int AS n FROM ledger_entries')).toEqual([{ n: 0 }]);
  });

  it('credits a deposit once even if it is delivered twice, concurrently too', async () => {
    const { ledger } = await setup();
    const d = { chainId: '0xabc:3', account: 'alice', amount: 5_000_000_000n, blockNumber: 12 };
    expect(await ledger.creditDeposit(d)).toEqual({ status: 'credited', balance: 5_000_000_000n });
    expect(await ledger.creditDeposit(d)).toEqual({ status: 'duplicate', balance: 5_000_000_000n });
    const again = await Promise.all([1, 2, 3].map(() => ledger.creditDeposit({ ...d, chainId: '0xdef:1' })));
    expect(again.map((r) => r.status).sort()).toEqual(['credited', 'duplicate', 'duplicate']);
    expect(await ledger.balance(viewerAccount('alice'))).toBe(10_000_000_000n);
    await expect(ledger.creditDeposit({ ...d, amount: 1n })).rejects.toThrow(/conflicts/);
    await expect(ledger.creditDeposit({ ...d, chainId: 'x', amount: 0n })).rejects.toThrow(/positive/);
  });

  it('lists history newest first and splits earnings', async () => {
    const { ledger } = await setup();
    await deposit(ledger, 'alice', 1000n);
    await ledger.settleWindow(usage({ seconds: 3, pricePerSecond: 11n }));
    const h = await ledger.history(viewerAccount('alice'));
    expect(h.map((e) => [e.kind, e.amount])).toEqual([
      ['watch', -33n],
      ['deposit', 1000n],
    ]);
    expect((await ledger.history(viewerAccount('alice'), { beforeEntryId: h[0]!.entryId })).map((e) => e.kind)).toEqual(['deposit']);
    expect(await ledger.earnings('carol')).toEqual({ settled: 29n, pending: 0n, paidOut: 0n, earned: 29n });
    expect(await ledger.earnings('nobody')).toEqual({ settled: 0n, pending: 0n, paidOut: 0n, earned: 0n });
  });

  it('keeps exact totals when many settlers race over overlapping windows', async () => {
    const { db } = await setup();
    const ledgers = [new Ledger(db), new Ledger(db), new Ledger(db), new Ledger(db)];
    const viewers = Array.from({ length: 20 }, (_, i) => `v${i}`);
    for (const v of viewers) await deposit(ledgers[0]!, v, 10n ** 12n);
    const usages = Array.from({ length: 200 }, (_, i) =>
      usage({ viewer: viewers[i % 20]!, creator: `c${i % 3}`, stream: `s${i % 3}`, window: i, seconds: 1 + (i % 10), pricePerSecond: 7n }),
    );
    // Every settler gets every window, in its own order and batch sizes.
    const results = await Promise.all(
      ledgers.map(async (l, k) => {
        const r = rng(k + 1);
        const mine = usages.map((u) => ({ u, key: r() })).sort((a, b) => a.key - b.key).map((x) => x.u);
        const out = [];
        for (let i = 0; i < mine.length; i += 17 + k * 10) out.push(...(await l.settleWindows(mine.slice(i, i + 17 + k * 10))));
        return out;
      }),
    );
    const settled = results.flat().filter((r) => r.status !== 'duplicate');
    expect(settled).toHaveLength(200);
    const expected = usages.reduce((s, u) => s + BigInt(u.seconds) * 7n, 0n);
    const [row] = await db.query<{ s: string }>('SELECT sum(amount)::text AS s FROM settled_windows');
    expect(BigInt(row!.s)).toBe(expected);
    expect(await ledgers[0]!.balance(PLATFORM_ACCOUNT)).toBe(usages.reduce((s, u) => s + splitWatch(BigInt(u.seconds) * 7n).platform, 0n));
  });

  it('is guarded by the database itself: unbalanced txns, edits and overdrafts are refused', async () => {
    const { db, ledger } = await setup();
    await deposit(ledger, 'alice', 10n);
    const [t] = await db.query<{ id: string }>("INSERT INTO ledger_txns (kind, idempotency_key) VALUES ('watch', 'manual') RETURNING id::text AS id");
    await expect(
      db.query("INSERT INTO ledger_entries (txn_id, account, amount) VALUES ($1, 'viewer:alice', -5)", [t!.id]),
    ).rejects.toThrow(/does not balance/);
    await expect(
      db.query("INSERT INTO ledger_entries (txn_id, account, amount) VALUES ($1, 'viewer:alice', -50), ($1, 'platform', 50)", [t!.id]),
    ).rejects.toThrow(/no_overdraft/);
    await expect(db.query('UPDATE ledger_entries SET amount = amount * 2')).rejects.toThrow(/append-only/);
    await expect(db.query('DELETE FROM ledger_entries')).rejects.toThrow(/append-only/);
    await expect(
      db.query(
        `INSERT INTO settled_windows (session_id, "window", viewer, creator, stream, price, seconds, billed_seconds, amount, creator_amount, platform_amount)
         VALUES ($1, 1, 'a', 'c', 's', 3, 3, 3, 9, 9, 0)`,
        [randomUUID()],
      ),
    ).rejects.toThrow(/settled_windows_split/);
    await db.query("DELETE FROM ledger_txns WHERE idempotency_key = 'manual'");
  });

  it('refuses malformed windows', async () => {
    const { ledger } = await setup();
    await expect(ledger.settleWindow(usage({ sessionId: 'nope' }))).rejects.toThrow(/sessionId/);
    await expect(ledger.settleWindow(usage({ seconds: 1.5 }))).rejects.toThrow(/seconds/);
    await expect(ledger.settleWindow(usage({ pricePerSecond: -1n }))).rejects.toThrow(/price/);
    await expect(ledger.settleWindow(usage({ window: -1 }))).rejects.toThrow(/window/);
    await expect(ledger.settleWindow(usage({ viewer: '' }))).rejects.toThrow(/account/);
  });

  it('applies each migration once', async () => {
    const { db } = await setup();
    expect(await migrate(db, pino({ level: 'silent' }))).toEqual([]);
    const rows = await db.query<{ version: string }>("SELECT version FROM schema_migrations WHERE version LIKE 'settlement/%'");
    expect(rows.map((r) => r.version).sort()).toEqual(['settlement/001_ledger', 'settlement/002_reconciler', 'settlement/003_chain_state', 'settlement/004_chain_properties', 'settlement/005_withdrawals', 'settlement/006_spending_caps', 'settlement/007_tips', 'settlement/008_billed_watch_seconds']);
  });
});
