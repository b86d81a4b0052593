// Exactly-once payouts across real crashes: the settlement service runs as a child process
// (Postgres, Redis, a chopsticks chain) and is SIGKILLed mid-payout, once after the chain
// finalized a payout but before the ledger recorded it, once after signing but before sending.
// After each restart every creator must hold exactly what they earned, on chain, and the
// reconciler must find the chain and the ledger in agreement.
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { accountHex, devSigner } from '@vilokanam/chain';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLedger } from './audit.ts';
import { depositCursorName, loadCursor } from './chainState.ts';
import { openDatabase, type Database } from './db/Database.ts';
import { Ledger } from './Ledger.ts';
import { viewerAccount } from './ledgerSql.ts';
import { Reconciler } from './Reconciler.ts';
import { exited, startSettlementChild, whileBuildingBlocks, type CrashPoint } from './testing/settlementChild.ts';
import { depositOnChain, freeBalance, quietLog, randomAddress, ROC, startEscrowChain, type EscrowChain } from './testing/chain.ts';
import { createPostgresDatabase } from '@vilokanam/testkit/postgres';
import { openViewerSession, recordTicks, TICK_INDEX_KEY } from '@vilokanam/contracts/ticks';

const W = 10;
const PRICE = 10n ** 9n;
/** Its own Redis database: the crash test of the worker flushes 8. */
const REDIS_URL = process.env.VILO_TEST_REDIS_URL_PAYOUT ?? 'redis://127.0.0.1:6379/9';

let fx: EscrowChain;
let created: { url: string; drop(): Promise<void> };
let db: Database;
let redis: Redis;
let child: ChildProcess | undefined;
const viewer = accountHex(randomAddress());
/** What each creator address has earned so far, computed from the ticks recorded. */
const owed = new Map<string, bigint>();

beforeAll(async () => {
  fx = await startEscrowChain();
  created = await createPostgresDatabase();
  db = await openDatabase({ databaseUrl: created.url, dataDir: '' }, pino({ level: 'silent' }));
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  await redis.flushdb();
}, 180_000);

afterAll(async () => {
  child?.kill('SIGKILL');
  redis?.disconnect();
  await db?.close();
  await created?.drop();
  await fx?.close();
}, 60_000);

function startService(crashAt?: CrashPoint): Promise<ChildProcess> {
  return startSettlementChild(
    fx,
    { VILO_DATABASE_URL: created.url, VILO_REDIS_URL: REDIS_URL, VILO_SETTLEMENT_WINDOW_SECONDS: String(W), VILO_SETTLEMENT_INTERVAL_MS: '100', VILO_PAYOUT_INTERVAL_MS: '1500' },
    crashAt,
  );
}

/** Sessions for `creators`, with ticks in long-closed windows; adds what they earn to `owed`. */
async function watch(creators: string[]): Promise<void> {
  const base = Math.floor((Date.now() / 1000 - 3600) / W) * W;
  const ticks: { sessionId: string; unixSecond: number }[] = [];
  for (const [i, address] of creators.entries()) {
    const sessionId = randomUUID();
    // A stream per creator: the viewer's sessions share no stream, so each pays its own seconds.
    await openViewerSession(redis, { sessionId, viewer, creator: accountHex(address), stream: `s-${address}`, pricePerSecond: PRICE, joinedAt: base * 1000 });
    const seconds = 12 + i;
    for (let s = 0; s < seconds; s++) ticks.push({ sessionId, unixSecond: base + s });
    for (const n of [10, seconds - 10]) owed.set(address, (owed.get(address) ?? 0n) + (BigInt(n) * PRICE * 90n) / 100n);
  }
  await recordTicks(redis, ticks, W);
}

async function newCreators(n: number): Promise<string[]> {
  const ledger = new Ledger(db);
  const out = Array.from({ length: n }, () => randomAddress());
  for (const a of out) await ledger.setPayoutAddress(accountHex(a), a);
  return out;
}

const batches = () => db.query<{ id: string; status: string }>('SELECT id, status FROM payout_batches ORDER BY created_at, id');
const onChain = () => Promise.all([...owed.keys()].map((a) => freeBalance(fx.api, a)));

/** Waits until every creator is paid and nothing is open, then checks exactly-once on chain and a clean reconciler. */
async function expectSettledOnce(): Promise<void> {
  await expect.poll(onChain, { timeout: 90_000, interval: 250 }).toEqual([...owed.values()]);
  await expect.poll(async () => (await batches()).filter((b) => b.status === 'pending' || b.status === 'submitted'), { timeout: 30_000 }).toEqual([]);
  expect(await redis.scard(TICK_INDEX_KEY)).toBe(0);
  expect(await auditLedger(db)).toEqual([]);
  // One escrow extrinsic per finalized batch: nothing was ever sent twice.
  const finalized = (await batches()).filter((b) => b.status === 'finalized').length;
  expect((await fx.api.rpc.system.accountNextIndex(fx.escrow.address)).toNumber()).toBe(finalized);
  const [last] = await db.query<{ n: string }>("SELECT max(block_number)::text AS n FROM payout_batches WHERE status = 'finalized'");
  const cursorName = depositCursorName(accountHex(fx.escrow.address));
  await expect.poll(async () => (await loadCursor(db, cursorName))! > Number(last!.n), { timeout: 20_000 }).toBe(true);
  const reconciler = new Reconciler({ db, api: fx.api, escrow: fx.escrow.address, log: quietLog });
  const report = await reconciler.run();
  await reconciler.stop();
  expect(report.checks.filter((c) => !c.ok)).toEqual([]);
  expect(report.clean).toBe(true);
}

describe('settlement service killed mid-payout (Postgres, Redis, dev chain)', () => {
  it('SIGKILLed after the chain finalized a payout and before the ledger recorded it: resolved, paid once', async () => {
    child = await startService('finalized');
    const bob = await devSigner('//Bob');
    await depositOnChain(fx.api, bob, fx.escrow.address, 1000n * ROC, viewer);
    const ledger = new Ledger(db);
    await expect.poll(() => ledger.balance(viewerAccount(viewer)), { timeout: 30_000, interval: 100 }).toBe(1000n * ROC);

    await watch(await newCreators(3));
    expect(await exited(child)).toBe('SIGKILL');
    // Money moved on chain; the ledger still has the batch open.
    const open = (await batches()).filter((b) => b.status === 'submitted');
    expect(open).toHaveLength(1);
    const items = await db.query<{ address: string; amount: string }>('SELECT address, amount::text AS amount FROM payout_items WHERE batch_id = $1', [open[0]!.id]);
    for (const i of items) expect(await freeBalance(fx.api, i.address)).toBe(BigInt(i.amount));

    child = await startService();
    await expectSettledOnce();
    expect(await batches()).toContainEqual({ id: open[0]!.id, status: 'finalized' });
    child.kill('SIGTERM');
    await exited(child);
    child = undefined;
  }, 240_000);

  it('SIGKILLed after signing and before sending: the attempt expires, the creators are paid once by the next batch', async () => {
    const before = [...owed.keys()];
    const paidBefore = await onChain();
    await watch(await newCreators(2));
    child = await startService('signed');
    expect(await exited(child)).toBe('SIGKILL');
    const open = (await batches()).filter((b) => b.status === 'pending');
    expect(open).toHaveLength(1);
    // Nothing left escrow.
    expect(await Promise.all(before.map((a) => freeBalance(fx.api, a)))).toEqual(paidBefore);
    for (const a of [...owed.keys()].slice(before.length)) expect(await freeBalance(fx.api, a)).toBe(0n);

    // The restarted service waits out the attempt's era before paying again; chopsticks in
    // instant mode builds no block by itself, so build them.
    child = await startService();
    await whileBuildingBlocks(fx, () =>
      expect.poll(async () => (await batches()).find((b) => b.id === open[0]!.id)?.status, { timeout: 60_000, interval: 200 }).toBe('expired'),
    );
    await expectSettledOnce();
    child.kill('SIGTERM');
    await exited(child);
    child = undefined;
  }, 240_000);
});
