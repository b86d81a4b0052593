// The per-account session table that signaling replicas share, on a real Redis: two tables on
// two connections stand for two replicas.
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { UntrustedInput } from '@vilokanam/contracts/untrusted';
import { RedisAccountSessions, accountSessionsKey } from './RedisAccountSessions.ts';

const REDIS_URL = process.env.VILO_TEST_REDIS_URL_ACCOUNTS ?? 'redis://127.0.0.1:6379/1';
const FLEET = `accounts-${randomBytes(3).toString('hex')}`;
const log = pino({ level: 'silent' });
const redis = new Redis(REDIS_URL);
const opened: { table: RedisAccountSessions; connection: Redis }[] = [];

afterAll(async () => {
  for (const { table, connection } of opened) {
    await table.close();
    connection.disconnect();
  }
  redis.disconnect();
});

/** A replica's table on a connection of its own; `rejected` collects what it refused as malformed. */
function replica(name: string, leaseMs = 30_000): { table: RedisAccountSessions; connection: Redis; rejected: string[] } {
  const connection = new Redis(REDIS_URL);
  const rejected: string[] = [];
  const untrusted = new UntrustedInput({ count: (source) => rejected.push(source), warn: () => {} });
  const table = new RedisAccountSessions({ redis: connection, replicaId: `${name}-${randomBytes(4).toString('hex')}`, fleet: FLEET, leaseMs, untrusted, log });
  opened.push({ table, connection });
  return { table, connection, rejected };
}

const account = () => `0x${randomBytes(16).toString('hex')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RedisAccountSessions', () => {
  it('never lets two replicas racing for the last place both take it', async () => {
    const [a, b] = [replica('a').table, replica('b').table];
    for (let round = 0; round < 40; round++) {
      const who = account();
      expect(await a.reserve(who, randomUUID(), 1n, 3)).toBe(true);
      expect(await b.reserve(who, randomUUID(), 1n, 3)).toBe(true);
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).reserve(who, randomUUID(), 1n, 3)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await redis.zcard(accountSessionsKey(FLEET, who))).toBe(3);
    }
    // All at once, from nothing: exactly the cap.
    for (let round = 0; round < 20; round++) {
      const who = account();
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).reserve(who, randomUUID(), 1n, 3)));
      expect(results.filter(Boolean)).toHaveLength(3);
    }
  });

  it('sums the prices of the account sessions on every replica, and a release frees a place for the other', async () => {
    const [a, b] = [replica('a').table, replica('b').table];
    const who = account();
    const [s1, s2] = [randomUUID(), randomUUID()];
    expect(await a.reserve(who, s1, 5n, 2)).toBe(true);
    expect(await b.reserve(who, s2, 7n, 2)).toBe(true);
    expect(await a.pricePerSecond(who)).toBe(12n);
    expect(await b.pricePerSecond(who)).toBe(12n);
    expect(await b.reserve(who, randomUUID(), 1n, 2)).toBe(false);
    // Reserving a held session again is not a second one, and keeps its price.
    expect(await a.reserve(who, s1, 99n, 2)).toBe(true);
    expect(await b.pricePerSecond(who)).toBe(12n);

    await a.release(who, s1);
    await a.release(who, s1);
    expect(await b.pricePerSecond(who)).toBe(7n);
    expect(await b.reserve(who, randomUUID(), 1n, 2)).toBe(true);
    expect(await a.pricePerSecond(account())).toBe(0n);
  });

  it('gives back a place released before its reservation settled', async () => {
    const [a, b] = [replica('a').table, replica('b').table];
    const who = account();
    const s1 = randomUUID();
    const reserving = a.reserve(who, s1, 1n, 1);
    const releasing = a.release(who, s1);
    expect(await reserving).toBe(true);
    await releasing;
    expect(await redis.exists(accountSessionsKey(FLEET, who))).toBe(0);
    expect(await b.reserve(who, randomUUID(), 1n, 1)).toBe(true);
  });

  it("lets a dead replica's reservations lapse after a lease, while a live one's refreshed reservations stay", async () => {
    const leaseMs = 600;
    const a = replica('a', leaseMs);
    const b = replica('b', leaseMs);
    for (const r of [a, b]) r.table.start();
    const [shared, onlyB] = [account(), account()];
    const mine = randomUUID();
    expect(await a.table.reserve(shared, mine, 3n, 2)).toBe(true);
    expect(await b.table.reserve(shared, randomUUID(), 4n, 2)).toBe(true);
    expect(await b.table.reserve(onlyB, randomUUID(), 1n, 2)).toBe(true);
    expect(await a.table.reserve(shared, randomUUID(), 1n, 2)).toBe(false);
    expect(await redis.pttl(accountSessionsKey(FLEET, shared))).toBeLessThanOrEqual(leaseMs);

    // B is killed: its connection goes and nothing of it refreshes or cleans up.
    b.connection.disconnect();
    await sleep(leaseMs / 2);
    expect(await a.table.reserve(shared, randomUUID(), 1n, 2)).toBe(false);
    await sleep(leaseMs * 2);
    // Nobody refreshed the account only B held: the key itself is gone, not just its members.
    expect(await redis.exists(accountSessionsKey(FLEET, onlyB))).toBe(0);
    // A's session outlived several leases because A refreshed it; B's no longer counts.
    expect(await a.table.pricePerSecond(shared)).toBe(3n);
    expect(await a.table.reserve(shared, randomUUID(), 1n, 2)).toBe(true);
    expect(await a.table.reserve(shared, randomUUID(), 1n, 2)).toBe(false);

    // A replica that closes removes what it held at once.
    await a.table.close();
    expect(await redis.exists(accountSessionsKey(FLEET, shared))).toBe(0);
    await expect(a.table.reserve(shared, randomUUID(), 1n, 2)).rejects.toThrow(/closed/);
  });

  it('neither counts nor bills malformed members, and drops and reports them', async () => {
    const { table, rejected } = replica('a');
    const who = account();
    const key = accountSessionsKey(FLEET, who);
    const far = Date.now() + 3_600_000;
    const session = randomUUID();
    await redis.zadd(key, far, 'garbage', far, '1 2', far, `5 ${session} evil/../x`, far, `${'9'.repeat(41)} ${session} r1`, far, `-5 ${session} r1`);
    // Well-formed but lapsed: it no longer counts, and is not malformed either.
    await redis.zadd(key, Date.now() - 1000, `5 ${randomUUID()} r1`);
    expect(await table.reserve(who, randomUUID(), 2n, 1)).toBe(true);
    expect(rejected).toEqual(Array(5).fill('account-sessions'));
    expect(await redis.zcard(key)).toBe(1);
    expect(await table.pricePerSecond(who)).toBe(2n);
    expect(rejected).toHaveLength(5);
    // A key written without a TTL gets one.
    const bare = accountSessionsKey(FLEET, account());
    await redis.zadd(bare, far, 'junk');
    expect(await table.reserve(bare.split(':').pop()!, randomUUID(), 1n, 1)).toBe(true);
    expect(await redis.pttl(bare)).toBeGreaterThan(0);
  });
});
