import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { openViewerSession, recordTicks, ticksKey, TICK_INDEX_KEY, windowMember } from '@vilokanam/contracts/ticks';
import { Ledger } from './Ledger.ts';
import { viewerAccount } from './ledgerSql.ts';
import { RedisTickSource } from './RedisTickSource.ts';
import { SettlementWorker } from './SettlementWorker.ts';
import { engines } from './testing/databases.ts';
import { useDatabase } from './testing/ledgerHooks.ts';
import { openTestRedis } from './testing/redis.ts';

const W = 10;
/** An hour ago, at a window start: every window near it is long closed. */
const PAST = Math.floor((Date.now() / 1000 - 3600) / W) * W;
const WIN = PAST / W;

const conns: Redis[] = [];
afterEach(() => {
  for (const c of conns.splice(0)) c.disconnect();
});
const redisForTest = async (): Promise<Redis> => {
  const redis = await openTestRedis();
  conns.push(redis);
  return redis;
};
const at = (sessionId: string, window: number) => ({ member: windowMember(sessionId, window), sessionId, window });
const sorted = (seconds: number[][]) => seconds.map((s) => [...s].sort((x, y) => x - y));

describe('RedisTickSource', () => {
  it('reads the seconds of every window asked, in order, beside the sessions', async () => {
    const redis = await redisForTest();
    const source = new RedisTickSource(redis);
    const [a, b] = [randomUUID(), randomUUID()];
    await openViewerSession(redis, { sessionId: a, viewer: 'alice', creator: 'carol', stream: 's', pricePerSecond: 3n, joinedAt: 1 });
    await recordTicks(redis, [
      { sessionId: a, unixSecond: PAST },
      { sessionId: a, unixSecond: PAST + 1 },
      { sessionId: a, unixSecond: PAST + 1 },
      { sessionId: a, unixSecond: PAST + W },
      { sessionId: b, unixSecond: PAST + 2 },
    ], W);
    const read = await source.read([at(a, WIN + 1), at(b, WIN), at(a, WIN), at(b, WIN + 5)], [a, b]);
    expect(sorted(read.seconds)).toEqual([[PAST + W], [PAST + 2], [PAST, PAST + 1], []]);
    expect(read.sessions[0]).toMatchObject({ sessionId: a, viewer: 'alice', pricePerSecond: 3n });
    expect(read.sessions[1]).toBeUndefined();
    // A member recordTicks never writes reads as NaN: the worker must not take it for a second.
    await redis.sadd(ticksKey(b, WIN), 'junk', '', '1e9');
    const [junk] = (await source.read([at(b, WIN)], [])).seconds;
    expect(junk!.filter((s) => !Number.isNaN(s))).toEqual([PAST + 2]);
    expect(junk).toHaveLength(4);
  });
});

describe.each(engines)('SettlementWorker on $name, ticks that are not seconds of their window', (engine) => {
  const open = useDatabase(engine);

  it('drops them and bills the rest, instead of failing the batch every pass', async () => {
    const { db } = await open();
    const redis = await redisForTest();
    const ledger = new Ledger(db);
    await ledger.creditDeposit({ chainId: 'd1', account: 'alice', amount: 10_000n });
    const worker = new SettlementWorker({ redis, ledger, log: pino({ level: 'silent' }), windowSeconds: W, graceSeconds: 5 });
    const [ok, stray] = [randomUUID(), randomUUID()];
    for (const sessionId of [ok, stray]) await openViewerSession(redis, { sessionId, viewer: 'alice', creator: 'carol', stream: sessionId, pricePerSecond: 10n, joinedAt: 1 });
    await recordTicks(redis, [0, 1, 2].map((i) => ({ sessionId: ok, unixSecond: PAST + i })), W);
    // A tick emitter with another W, and a member nobody should have written.
    await redis.sadd(ticksKey(ok, WIN), String(PAST + W), 'junk');
    await redis.sadd(ticksKey(stray, WIN), String(PAST - 1));
    await redis.sadd(TICK_INDEX_KEY, windowMember(stray, WIN));
    expect(await worker.runOnce()).toMatchObject({ settled: 1, empty: 1, ticks: 3, billedSeconds: 3 });
    expect(await ledger.balance(viewerAccount('alice'))).toBe(10_000n - 30n);
    expect(await redis.scard(TICK_INDEX_KEY)).toBe(0);
  });
});
