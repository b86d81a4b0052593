// Exactly-once across real crashes: the settlement service runs as a child process and is
// SIGKILLed while it folds thousands of windows, then restarted, several times over. The
// ledger must end up with exactly the ticks that were recorded: none lost, none doubled.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLedger, entriesTotal } from './audit.ts';
import { openDatabase, type Database } from './db/Database.ts';
import { Ledger } from './Ledger.ts';
import { viewerAccount } from './ledgerSql.ts';
import { createPostgresDatabase } from '@vilokanam/testkit/postgres';
import { rng } from './testing/fixtures.ts';
import { openTestRedis, TEST_REDIS_URL } from './testing/redis.ts';
import { openViewerSession, recordTicks, TICK_INDEX_KEY } from '@vilokanam/contracts/ticks';

const W = 10;
const SESSIONS = 300;
const SECONDS = 400;
const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const crashingWorker = fileURLToPath(new URL('./testing/workerProcess.ts', import.meta.url));

describe('settlement service killed mid-batch (Postgres, Redis)', () => {
  let created: { url: string; drop(): Promise<void> };
  let db: Database;
  let redis: Redis;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    created = await createPostgresDatabase();
    db = await openDatabase({ databaseUrl: created.url, dataDir: '' }, pino({ level: 'silent' }));
    redis = await openTestRedis();
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    redis?.disconnect();
    await db?.close();
    await created?.drop();
  });

  const startService = async (entry = main, extraEnv: Record<string, string> = {}): Promise<ChildProcess> => {
    const p = spawn(process.execPath, [entry], {
      env: {
        ...process.env,
        ...extraEnv,
        VILO_DATABASE_URL: created.url,
        VILO_REDIS_URL: TEST_REDIS_URL,
        VILO_SETTLEMENT_WINDOW_SECONDS: String(W),
        VILO_SETTLEMENT_BATCH_SIZE: '40',
        VILO_SETTLEMENT_INTERVAL_MS: '20',
        VILO_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      p.once('exit', (code) => reject(new Error(`settlement exited early (${code})`)));
      p.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('settlement ready')) resolve();
      });
    });
    p.removeAllListeners('exit');
    return p;
  };
  const settledCount = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM settled_windows'))[0]!.n;
  const kill = async (p: ChildProcess) => {
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  };

  it('bills every recorded second exactly once across repeated SIGKILLs', async () => {
    const r = rng(99);
    const ledger = new Ledger(db);
    const base = Math.floor((Date.now() / 1000 - 7200) / W) * W;
    const expectedSeconds = new Map<string, { viewer: string; price: bigint; seconds: Set<number> }>();
    const ticks: { sessionId: string; unixSecond: number }[] = [];
    for (let i = 0; i < SESSIONS; i++) {
      const sessionId = randomUUID();
      const viewer = `v${i % 97}`;
      const price = BigInt(1 + Math.floor(r() * 9999));
      await openViewerSession(redis, { sessionId, viewer, creator: `c${i % 11}`, stream: `s${i % 11}`, pricePerSecond: price, joinedAt: base * 1000 });
      const seconds = new Set<number>();
      for (let s = base; s < base + SECONDS; s++) {
        if (r() < 0.2) continue;
        seconds.add(s);
        ticks.push({ sessionId, unixSecond: s });
        if (r() < 0.05) ticks.push({ sessionId, unixSecond: s });
      }
      expectedSeconds.set(sessionId, { viewer, price, seconds });
    }
    for (let v = 0; v < 97; v++) await ledger.creditDeposit({ chainId: `dep:${v}`, account: `v${v}`, amount: 10n ** 18n });
    for (let i = 0; i < ticks.length; i += 5000) await recordTicks(redis, ticks.slice(i, i + 5000), W);
    const windows = await redis.scard(TICK_INDEX_KEY);
    expect(windows).toBe(SESSIONS * (SECONDS / W));

    // Kill from outside at growing progress points, while the service is folding windows:
    // these land inside a ledger transaction, which the database rolls back.
    const kills: number[] = [];
    const overlaps: number[] = [];
    const afterKill = async () => {
      const settled = await settledCount();
      kills.push(settled);
      // Windows both settled and still indexed: the kill landed between commit and cleanup.
      overlaps.push(settled + (await redis.scard(TICK_INDEX_KEY)) - windows);
    };
    for (const share of [0.1, 0.3, 0.5]) {
      child = await startService();
      await expect.poll(settledCount, { timeout: 60_000, interval: 5 }).toBeGreaterThanOrEqual(Math.floor(windows * share));
      await kill(child);
      await afterKill();
    }
    // Then kills right after a commit and before the Redis cleanup, the replay case.
    for (const n of [3, 7, 5]) {
      child = await startService(crashingWorker, { VILO_TEST_CRASH_AFTER_BATCHES: String(n) });
      await new Promise((r) => child!.once('exit', r));
      await afterKill();
      expect(overlaps.at(-1)).toBeGreaterThan(0);
    }
    expect(kills.at(-1)!).toBeLessThan(windows);

    child = await startService();
    await expect.poll(() => redis.scard(TICK_INDEX_KEY), { timeout: 60_000, interval: 50 }).toBe(0);
    const exited = new Promise((res) => child!.once('exit', res));
    child.kill('SIGTERM');
    await exited;
    child = undefined;

    const distinct = [...expectedSeconds.values()].reduce((n, e) => n + e.seconds.size, 0);
    const [sums] = await db.query<{ windows: number; seconds: number; billed: number }>(
      'SELECT count(*)::int AS windows, sum(seconds)::int AS seconds, sum(billed_seconds)::int AS billed FROM settled_windows',
    );
    expect(sums).toEqual({ windows, seconds: distinct, billed: distinct });
    const spent = new Map<string, bigint>();
    for (const e of expectedSeconds.values()) spent.set(e.viewer, (spent.get(e.viewer) ?? 0n) + BigInt(e.seconds.size) * e.price);
    for (const [v, s] of spent) expect(await ledger.balance(viewerAccount(v))).toBe(10n ** 18n - s);
    expect(await entriesTotal(db)).toBe(0n);
    expect(await auditLedger(db)).toEqual([]);
    // Only the session hashes are left in Redis.
    expect(await redis.dbsize()).toBe(SESSIONS);
    console.log(`killed at ${kills.join(', ')} of ${windows} windows (settled but not cleaned: ${overlaps.join(', ')}); ${distinct} seconds billed once`);
  }, 240_000);
});
