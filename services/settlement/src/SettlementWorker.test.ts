import { randomBytes, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Ledger } from './Ledger.ts';
import { creatorAccount, PLATFORM_ACCOUNT, viewerAccount } from './ledgerSql.ts';
import { splitWatch } from './money.ts';
import { RedisTickSource } from './RedisTickSource.ts';
import { SpendingCaps } from './SpendingCaps.ts';
import { SettlementMetrics } from './SettlementMetrics.ts';
import { SettlementWorker, type OverdraftEvent, type SettlementWorkerOptions } from './SettlementWorker.ts';
import { engines } from './testing/databases.ts';
import { rng } from './testing/fixtures.ts';
import { useDatabase } from './testing/ledgerHooks.ts';
import { openTestRedis } from './testing/redis.ts';
import {
  OVERDRAFT_CHANNEL,
  ORPHAN_INDEX_KEY,
  OverdraftMessage,
  TICK_INDEX_KEY,
  openViewerSession,
  recordTick,
  recordTicks,
  ticksKey,
  windowMember,
} from '@vilokanam/contracts/ticks';
import { waitFor } from '@vilokanam/testkit';

const W = 10;
const quiet = pino({ level: 'silent' });
/** A past minute: every window in it is long closed. */
const PAST = Math.floor(Date.now() / 1000) - 3600;

describe.each(engines)('SettlementWorker on $name with Redis', (engine) => {
  const open = useDatabase(engine);
  const conns: Redis[] = [];
  afterEach(() => {
    for (const c of conns.splice(0)) c.disconnect();
  });

  const setup = async (opts: Partial<SettlementWorkerOptions> = {}) => {
    const { db } = await open();
    const redis = await openTestRedis();
    conns.push(redis);
    const ledger = new Ledger(db);
    const metrics = new SettlementMetrics();
    const worker = new SettlementWorker({ redis, ledger, log: quiet, metrics, windowSeconds: W, graceSeconds: 5, batchSize: 50, ...opts });
    const session = async (viewer = 'alice', creator = 'carol', price = 10n, stream = 'st1') => {
      const sessionId = randomUUID();
      await openViewerSession(redis, { sessionId, viewer, creator, stream, pricePerSecond: price, joinedAt: Date.now() });
      return sessionId;
    };
    return { db, redis, ledger, worker, metrics, session };
  };

  it('records ticks idempotently per second, indexed by window', async () => {
    const { redis, session } = await setup();
    const sid = await session();
    await recordTick(redis, sid, PAST, W);
    await recordTick(redis, sid, PAST, W);
    await recordTicks(redis, [{ sessionId: sid, unixSecond: PAST + 1 }, { sessionId: sid, unixSecond: PAST + 1 }], W);
    const w = Math.floor(PAST / W);
    expect(await redis.smembers(ticksKey(sid, w))).toHaveLength(PAST % W === W - 1 ? 1 : 2);
    expect(await redis.sismember(TICK_INDEX_KEY, windowMember(sid, w))).toBe(1);
    await expect(recordTick(redis, sid, 1.5, W)).rejects.toThrow(/unixSecond/);
  });

  it('settles closed windows only, then removes them from Redis', async () => {
    const { redis, ledger, worker, session } = await setup();
    await ledger.creditDeposit({ chainId: 'd1', account: 'alice', amount: 10_000n });
    const sid = await session();
    const now = Math.floor(Date.now() / 1000);
    for (let s = PAST - (PAST % W); s < PAST - (PAST % W) + 7; s++) await recordTick(redis, sid, s, W);
    await recordTick(redis, sid, now, W);
    const sum = await worker.runOnce();
    expect(sum).toMatchObject({ windows: 1, settled: 1, ticks: 7, billedSeconds: 7, duplicates: 0 });
    expect(await ledger.balance(viewerAccount('alice'))).toBe(10_000n - 70n);
    expect(await redis.smembers(TICK_INDEX_KEY)).toEqual([windowMember(sid, Math.floor(now / W))]);
    expect(await redis.exists(ticksKey(sid, Math.floor(PAST / W)))).toBe(0);
    expect(await redis.scard(ticksKey(sid, Math.floor(now / W)))).toBe(1);
  });

  it('changes nothing when a whole run is replayed, or a crash hits between commit and cleanup', async () => {
    let crash = true;
    const { db, redis, ledger, worker, session, metrics } = await setup({
      beforeCleanup: () => {
        if (crash) throw new Error('crash after commit');
      },
    });
    await ledger.creditDeposit({ chainId: 'd1', account: 'alice', amount: 10n ** 9n });
    const ticks: { sessionId: string; unixSecond: number }[] = [];
    // A stream per session: sessions sharing one would share seconds, and a replayed batch
    // might then find every second already paid for and move no money at all.
    for (let i = 0; i < 12; i++) {
      const sid = await session('alice', 'carol', 10n, `st${i}`);
      for (let s = 0; s < 120; s += 1 + (i % 3)) ticks.push({ sessionId: sid, unixSecond: PAST + s });
    }
    await recordTicks(redis, ticks, W);
    const snapshot = async () => db.query('SELECT id, balance::text FROM ledger_accounts ORDER BY id');

    await expect(worker.runOnce()).rejects.toThrow(/crash after commit/);
    expect(await redis.scard(TICK_INDEX_KEY)).toBeGreaterThan(0);
    crash = false;
    const settledOnce = await snapshot();
    const replay = await worker.runOnce();
    expect(replay.settled).toBeGreaterThan(0);
    expect(replay.duplicates).toBe(50);
    expect(await redis.scard(TICK_INDEX_KEY)).toBe(0);
    const afterRun = await snapshot();
    const [{ s } = { s: 0 }] = await db.query<{ s: number }>('SELECT sum(seconds)::int AS s FROM settled_windows');
    expect(s).toBe(ticks.length);

    // The same ticks delivered again (a replayed Redis, late duplicates): all duplicates.
    await recordTicks(redis, ticks, W);
    const again = await worker.runOnce();
    expect(again).toMatchObject({ settled: 0, duplicates: again.windows, ticks: 0 });
    expect(await snapshot()).toEqual(afterRun);
    expect(settledOnce).not.toEqual(afterRun);
    expect((await metrics.duplicates.get()).values[0]!.value).toBe(50 + again.windows);
  });

  it('reports an overdrawn viewer once per pass on vilo:overdraft, balance never negative', async () => {
    const { redis, ledger, worker, session } = await setup();
    const sub = await openTestRedis();
    conns.push(sub);
    const messages: OverdraftMessage[] = [];
    sub.on('message', (_c: string, m: string) => messages.push(OverdraftMessage.parse(JSON.parse(m))));
    await sub.subscribe(OVERDRAFT_CHANNEL);
    const events: OverdraftEvent[] = [];
    worker.on('overdraft', (e) => events.push(e));
    await ledger.creditDeposit({ chainId: 'd1', account: 'alice', amount: 155n });
    const poor = await session('alice', 'carol', 10n, 'st9');
    const rich = await session('bob', 'carol', 10n);
    const base = PAST - (PAST % W);
    for (let s = base; s < base + 30; s++) await recordTicks(redis, [{ sessionId: poor, unixSecond: s }, { sessionId: rich, unixSecond: s }], W);
    const sum = await worker.runOnce();
    expect(sum).toMatchObject({ settled: 1, overdrawn: 5, billedSeconds: 15, ticks: 60 });
    expect(await ledger.balance(viewerAccount('alice'))).toBe(5n);
    expect(await ledger.balance(viewerAccount('bob'))).toBe(0n);
    expect(events.map((e) => e.sessionId).sort()).toEqual([poor, rich].sort());
    expect(events.find((e) => e.sessionId === poor)).toMatchObject({ viewer: 'alice', stream: 'st9' });
    await waitFor('both overdrafts on the channel', () => messages.length === 2);
    expect(messages.map((m) => m.sessionId).sort()).toEqual([poor, rich].sort());
    const base3 = Math.floor(base / W);
    expect(messages.find((m) => m.sessionId === poor)).toEqual({ v: 1, sessionId: poor, viewer: 'alice', stream: 'st9', window: base3 + 1, unbilledSeconds: 15, reason: 'overdrawn' });
    expect(messages.find((m) => m.sessionId === rich)).toMatchObject({ viewer: 'bob', window: base3, unbilledSeconds: 30 });
  });

  it('bills a viewer once for a second two sessions on one stream both ticked, in one pass, across passes and across workers', async () => {
    const { db, redis, ledger, worker, session } = await setup();
    await ledger.creditDeposit({ chainId: 'a', account: 'alice', amount: 10_000n });
    await ledger.creditDeposit({ chainId: 'b', account: 'bob', amount: 10_000n });
    const base = PAST - (PAST % W);
    const tick = (sessionId: string, from: number, to: number) =>
      recordTicks(redis, Array.from({ length: to - from }, (_, i) => ({ sessionId, unixSecond: base + from + i })), W);
    // The old tab keeps ticking for a while after the viewer reconnected on another replica.
    const [old, fresh, bob] = [await session(), await session(), await session('bob')];
    await tick(old, 0, 20);
    await tick(fresh, 5, 30);
    await tick(bob, 0, 20);
    expect(await worker.runOnce()).toMatchObject({ settled: 7, ticks: 65, sharedSeconds: 15, billedSeconds: 50 });
    expect(await ledger.balance(viewerAccount('alice'))).toBe(10_000n - 300n);
    expect(await ledger.balance(viewerAccount('bob'))).toBe(10_000n - 200n);

    // A window the first pass settled for one session comes back from another, later.
    const third = await session();
    await tick(third, 25, 35);
    await tick(fresh, 30, 40);
    expect(await worker.runOnce()).toMatchObject({ ticks: 20, sharedSeconds: 10, billedSeconds: 10 });

    // Two settlement replicas at once, over windows that share seconds.
    const other = new SettlementWorker({ source: new RedisTickSource(redis), ledger: new Ledger(db), log: quiet, windowSeconds: W, graceSeconds: 5, batchSize: 1 });
    await tick(old, 40, 60);
    await tick(fresh, 45, 70);
    await tick(third, 50, 70);
    const [x, y] = await Promise.all([worker.runOnce(), other.runOnce()]);
    expect(x.billedSeconds + y.billedSeconds).toBe(30);
    expect(x.ticks + y.ticks).toBe(20 + 25 + 20);
    expect(await ledger.balance(viewerAccount('alice'))).toBe(10_000n - 700n);
    const [row] = await db.query<{ billed: number; shared: number }>(
      "SELECT sum(billed_seconds)::int AS billed, sum(shared_seconds)::int AS shared FROM settled_windows WHERE viewer = 'alice'",
    );
    expect(row).toEqual({ billed: 70, shared: 15 + 10 + 35 });
  });

  it('reports as unbilled only the seconds the balance left out, not those another session paid', async () => {
    const { redis, ledger, worker, session } = await setup();
    const events: OverdraftEvent[] = [];
    worker.on('overdraft', (e) => events.push(e));
    await ledger.creditDeposit({ chainId: 'd1', account: 'alice', amount: 150n });
    const [a, b] = [await session(), await session()];
    const base = PAST - (PAST % W);
    for (let s = base; s < base + 20; s++) await recordTicks(redis, [a, b].map((sessionId) => ({ sessionId, unixSecond: s })), W);
    // 20 seconds watched, in two tabs: 15 paid, 5 not, whichever tab the ledger billed them to.
    expect(await worker.runOnce()).toMatchObject({ ticks: 40, sharedSeconds: 15, billedSeconds: 15, overdrawn: 2 });
    expect(await ledger.balance(viewerAccount('alice'))).toBe(0n);
    const w1 = Math.floor(base / W) + 1;
    expect(events.map((e) => [e.sessionId, e.window, e.unbilledSeconds, e.reason]).sort()).toEqual(
      [a, b].map((sessionId) => [sessionId, w1, 5, 'overdrawn']).sort(),
    );
  });

  it('stops every session of a viewer whose balance falls below the reserve, while each second is still paid', async () => {
    const { redis, ledger, worker, session } = await setup({ reserveSeconds: 20 });
    const events: OverdraftEvent[] = [];
    worker.on('overdraft', (e) => events.push(e));
    // Alice: two sessions at 10 + 5 per second, so her reserve is 20 × 15 = 300.
    await ledger.creditDeposit({ chainId: 'r1', account: 'alice', amount: 600n });
    await ledger.creditDeposit({ chainId: 'r2', account: 'bob', amount: 10_000n });
    const a1 = await session('alice', 'carol', 10n);
    const a2 = await session('alice', 'carol', 5n, 'st2');
    const b = await session('bob', 'carol', 10n);
    const base = PAST - (PAST % W);
    // One window: alice pays 10 × 10 + 10 × 5 = 150 and keeps 450, above 300.
    for (let s = base; s < base + 10; s++) await recordTicks(redis, [a1, a2, b].map((sessionId) => ({ sessionId, unixSecond: s })), W);
    await worker.runOnce();
    expect(events).toEqual([]);
    // Two more: the first leaves her exactly 300, the next 150, below the reserve.
    for (let s = base + 10; s < base + 30; s++) await recordTicks(redis, [a1, a2, b].map((sessionId) => ({ sessionId, unixSecond: s })), W);
    const sum = await worker.runOnce();
    expect(sum.overdrawn).toBe(0);
    expect(await ledger.balance(viewerAccount('alice'))).toBe(150n);
    expect(events.map((e) => e.sessionId).sort()).toEqual([a1, a2].sort());
    expect(events.every((e) => e.reason === 'low_balance' && e.unbilledSeconds === 0 && e.viewer === 'alice')).toBe(true);
  });

  it('stops a viewer nearing the spending cap they set, like a low balance, and never bills past it', async () => {
    const { db, redis, ledger, worker, session } = await setup({ reserveSeconds: 20 });
    const events: OverdraftEvent[] = [];
    worker.on('overdraft', (e) => events.push(e));
    await ledger.creditDeposit({ chainId: 'c1', account: 'alice', amount: 1_000_000n });
    // Plenty of balance, but at most 490 a day: at 10 a second, 30 s leave 190, under the reserve of 200.
    await new SpendingCaps(db).set('alice', { perDay: 490n, perStream: null });
    const a = await session('alice', 'carol', 10n);
    const base = PAST - (PAST % W);
    for (let s = base; s < base + 30; s++) await recordTicks(redis, [{ sessionId: a, unixSecond: s }], W);
    await worker.runOnce();
    expect(events).toEqual([expect.objectContaining({ sessionId: a, reason: 'spending_cap', unbilledSeconds: 0 })]);
    // Seconds that still arrive are billed only up to the cap: of 30 more, 19 fit in the 190 left.
    for (let s = base + 30; s < base + 60; s++) await recordTicks(redis, [{ sessionId: a, unixSecond: s }], W);
    await worker.runOnce();
    expect(await ledger.balance(viewerAccount('alice'))).toBe(1_000_000n - 490n);
    expect(events.at(-1)).toMatchObject({ sessionId: a, reason: 'overdrawn', unbilledSeconds: 11 });
  });

  it('keeps exact totals for 200 sessions on many streams, random ticks with duplicates', async () => {
    const { db, redis, ledger, worker, session } = await setup({ batchSize: 300 });
    const r = rng(2024);
    const viewers = Array.from({ length: 60 }, (_, i) => `viewer-${i}`);
    for (const v of viewers) await ledger.creditDeposit({ chainId: `dep-${v}`, account: v, amount: 10n ** 15n });
    // A price per stream, in tens: 90 % of it is exact, so a second shared by two sessions of a
    // viewer splits the same whichever of them pays for it.
    const prices = Array.from({ length: 13 }, () => 10n * BigInt(1 + Math.floor(r() * 100_003)));
    // What each viewer watched on each stream: two sessions of one viewer on one stream pay once.
    const expected = new Map<string, { viewer: string; creator: string; price: bigint; seconds: Set<number> }>();
    const ticks: { sessionId: string; unixSecond: number }[] = [];
    let distinct = 0;
    for (let i = 0; i < 200; i++) {
      const viewer = viewers[Math.floor(r() * viewers.length)]!;
      const creator = `creator-${i % 13}`;
      const price = prices[i % 13]!;
      const sid = await session(viewer, creator, price, `stream-${i % 13}`);
      const key = `${viewer} ${i % 13}`;
      const e = expected.get(key) ?? { viewer, creator, price, seconds: new Set<number>() };
      expected.set(key, e);
      const start = PAST - 600 + Math.floor(r() * 300);
      for (let s = start; s < start + 20 + Math.floor(r() * 200); s++) {
        if (r() < 0.15) continue; // media stalled: no tick
        distinct++;
        e.seconds.add(s);
        ticks.push({ sessionId: sid, unixSecond: s });
        if (r() < 0.1) ticks.push({ sessionId: sid, unixSecond: s }); // retried tick
      }
    }
    ticks.sort(() => r() - 0.5);
    for (let i = 0; i < ticks.length; i += 1000) await recordTicks(redis, ticks.slice(i, i + 1000), W);
    const sum = await worker.runOnce();
    expect(sum.orphaned + sum.empty + sum.duplicates).toBe(0);
    expect(await redis.dbsize()).toBe(200); // only the session hashes remain

    const union = [...expected.values()].reduce((n, e) => n + e.seconds.size, 0);
    expect(sum.ticks).toBe(distinct);
    expect(sum.billedSeconds).toBe(union);
    expect(sum.sharedSeconds).toBe(distinct - union);
    expect(union).toBeLessThan(distinct); // the seed does put some viewers on one stream twice
    const perViewer = new Map<string, bigint>();
    const perCreator = new Map<string, bigint>();
    let platform = 0n;
    for (const e of expected.values()) {
      const amount = BigInt(e.seconds.size) * e.price;
      const split = splitWatch(amount);
      perViewer.set(e.viewer, (perViewer.get(e.viewer) ?? 0n) + amount);
      perCreator.set(e.creator, (perCreator.get(e.creator) ?? 0n) + split.creator);
      platform += split.platform;
    }
    for (const [v, spent] of perViewer) expect(await ledger.balance(viewerAccount(v))).toBe(10n ** 15n - spent);
    for (const [c, earned] of perCreator) expect(await ledger.balance(creatorAccount(c))).toBe(earned);
    expect(await ledger.balance(PLATFORM_ACCOUNT)).toBe(platform);
    const [{ n } = { n: 0 }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM settled_windows');
    expect(n).toBe(sum.settled);
  });

  it('with the billing key, bills only sessions signaling signed, and sets forged or altered ones aside', async () => {
    const key = randomBytes(32);
    const { redis, ledger } = await setup();
    const signedWorker = new SettlementWorker({ source: new RedisTickSource(redis, { sessionKey: key }), ledger, log: quiet, windowSeconds: W, graceSeconds: 5, batchSize: 50 });
    await ledger.creditDeposit({ chainId: 'k1', account: 'alice', amount: 10_000n });
    const open = (sessionId: string, sign: Uint8Array | undefined, creator = 'carol') =>
      openViewerSession(redis, { sessionId, viewer: 'alice', creator, stream: 's', pricePerSecond: 10n, joinedAt: 1 }, sign);
    const [signed, unsigned, altered, otherKey] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await open(signed, key);
    await open(unsigned, undefined);
    await open(altered, key);
    // Someone with Redis access redirects a signed session's earnings to themselves.
    await redis.hset(`vilo:vsession:${altered}`, 'creator', 'mallory');
    await open(otherKey, randomBytes(32));
    await recordTicks(redis, [signed, unsigned, altered, otherKey].map((sessionId) => ({ sessionId, unixSecond: PAST })), W);
    const sum = await signedWorker.runOnce();
    expect(sum).toMatchObject({ settled: 1, orphaned: 3 });
    const w = Math.floor(PAST / W);
    expect((await redis.smembers(ORPHAN_INDEX_KEY)).sort()).toEqual([unsigned, altered, otherKey].map((s) => windowMember(s, w)).sort());
    expect(await ledger.balance(viewerAccount('alice'))).toBe(10_000n - 10n);
    expect(await ledger.balance(creatorAccount('mallory'))).toBe(0n);
  });

  it('sets aside windows whose session hash is missing, keeping their ticks', async () => {
    const { redis, ledger, worker, session } = await setup();
    await ledger.creditDeposit({ chainId: 'd1', account: 'alice', amount: 10_000n });
    const known = await session();
    const unknown = randomUUID();
    const malformed = randomUUID();
    // Written past openViewerSession's checks: a space in the viewer id, a price beyond u128.
    await redis.hset(`vilo:vsession:${malformed}`, { viewer: 'bad id', creator: 'c', stream: 's', price: '9'.repeat(39), joinedAt: '1' });
    await expect(openViewerSession(redis, { sessionId: malformed, viewer: 'bad id', creator: 'c', stream: 's', pricePerSecond: 1n, joinedAt: 1 })).rejects.toThrow(/viewer/);
    await recordTicks(redis, [known, unknown, malformed].map((sessionId) => ({ sessionId, unixSecond: PAST })), W);
    await redis.sadd(TICK_INDEX_KEY, 'garbage');
    const sum = await worker.runOnce();
    expect(sum).toMatchObject({ settled: 1, orphaned: 3 });
    const w = Math.floor(PAST / W);
    expect((await redis.smembers(ORPHAN_INDEX_KEY)).sort()).toEqual(['garbage', windowMember(unknown, w), windowMember(malformed, w)].sort());
    expect(await redis.scard(ticksKey(unknown, w))).toBe(1);
    // Once the hash is fixed, an operator moves the window back and it settles.
    await openViewerSession(redis, { sessionId: unknown, viewer: 'alice', creator: 'carol', stream: 's', pricePerSecond: 10n, joinedAt: 1 });
    await redis.smove(ORPHAN_INDEX_KEY, TICK_INDEX_KEY, windowMember(unknown, w));
    expect(await worker.runOnce()).toMatchObject({ settled: 1, ticks: 1 });
    expect(await ledger.balance(viewerAccount('alice'))).toBe(10_000n - 20n);
  });

  it('runs on its interval until stopped, and a late tick for a settled window is never billed', async () => {
    const { redis, ledger, worker, session } = await setup({ intervalMs: 20 });
    await ledger.creditDeposit({ chainId: 'd1', account: 'alice', amount: 10_000n });
    const sid = await session();
    await recordTick(redis, sid, PAST, W);
    const passes: number[] = [];
    worker.on('pass', (p) => passes.push(p.windows));
    worker.start();
    await expect.poll(() => redis.scard(TICK_INDEX_KEY), { timeout: 5000 }).toBe(0);
    await recordTick(redis, sid, PAST - (PAST % W) + ((PAST + 1) % W), W); // same window, another second
    await expect.poll(() => redis.scard(TICK_INDEX_KEY), { timeout: 5000 }).toBe(0);
    await worker.stop();
    expect(passes.length).toBeGreaterThan(1);
    expect(await ledger.balance(viewerAccount('alice'))).toBe(10_000n - 10n);
  });
});
