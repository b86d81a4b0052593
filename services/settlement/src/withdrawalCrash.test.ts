// Exactly-once withdrawals across real crashes: the settlement service runs as a child process
// (Postgres, Redis, a chopsticks chain) and is SIGKILLed at each step of a withdrawal: before
// it picks the request up, after signing and before sending, and after the chain finalized
// the transfer but before the ledger recorded it. After each restart the destination holds
// exactly what was sent once (or nothing, with the balance given back when the attempt
// expired), the escrow signed one extrinsic per paid withdrawal, and the reconciler is clean.
import type { ChildProcess } from 'node:child_process';
import { accountHex, devSigner } from '@vilokanam/chain';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLedger } from './audit.ts';
import { depositCursorName, loadCursor } from './chainState.ts';
import { openDatabase, type Database } from './db/Database.ts';
import { Ledger } from './Ledger.ts';
import { PLATFORM_ACCOUNT, viewerAccount } from './ledgerSql.ts';
import { Reconciler } from './Reconciler.ts';
import { depositOnChain, freeBalance, quietLog, randomAddress, ROC, startEscrowChain, type EscrowChain } from './testing/chain.ts';
import { exited, startSettlementChild, whileBuildingBlocks, type CrashPoint } from './testing/settlementChild.ts';
import { Withdrawals, type WithdrawalRecord } from './Withdrawals.ts';
import { createPostgresDatabase } from '@vilokanam/testkit/postgres';

const REDIS_URL = process.env.VILO_TEST_REDIS_URL_WITHDRAWAL ?? 'redis://127.0.0.1:6379/10';
const CHARGE = ROC / 100n;

let fx: EscrowChain;
let created: { url: string; drop(): Promise<void> };
let db: Database;
let ledger: Ledger;
let withdrawals: Withdrawals;
let child: ChildProcess | undefined;
const viewer = accountHex(randomAddress());
/** What each destination must hold once everything settles. */
const owed = new Map<string, bigint>();
let withdrawn = 0n;
let charged = 0n;

beforeAll(async () => {
  fx = await startEscrowChain();
  created = await createPostgresDatabase();
  db = await openDatabase({ databaseUrl: created.url, dataDir: '' }, pino({ level: 'silent' }));
  ledger = new Ledger(db);
  withdrawals = new Withdrawals(db);
}, 180_000);

afterAll(async () => {
  child?.kill('SIGKILL');
  await db?.close();
  await created?.drop();
  await fx?.close();
}, 60_000);

function startService(crashAt?: CrashPoint): Promise<ChildProcess> {
  return startSettlementChild(fx, { VILO_DATABASE_URL: created.url, VILO_REDIS_URL: REDIS_URL, VILO_PAYOUT_INTERVAL_MS: '60000', VILO_WITHDRAWAL_POLL_MS: '200' }, crashAt);
}

async function stopService(): Promise<void> {
  child!.kill('SIGTERM');
  await exited(child!);
  child = undefined;
}

async function withdraw(key: string, requested: bigint): Promise<WithdrawalRecord> {
  const destination = randomAddress();
  const r = await withdrawals.request({ owner: viewer, destination, requested, charge: CHARGE, idempotencyKey: key });
  if (r.status === 'insufficient') throw new Error(`insufficient: ${r.available}`);
  return r.withdrawal;
}

/** The withdrawal is paid: its destination holds what it sent, and the ledger counts it once. */
function paid(w: WithdrawalRecord): void {
  owed.set(w.destination, w.sent);
  withdrawn += w.requested;
  charged += w.charge;
}

const statusOf = async (id: string) => (await withdrawals.get(id))?.status;

/** Every destination holds exactly its withdrawal, the escrow signed once per paid one, and the books agree. */
async function expectPaidOnce(deposited: bigint): Promise<void> {
  const destinations = [...owed.keys()];
  await expect.poll(() => Promise.all(destinations.map((a) => freeBalance(fx.api, a))), { timeout: 60_000, interval: 250 }).toEqual([...owed.values()]);
  expect(await ledger.balance(viewerAccount(viewer))).toBe(deposited - withdrawn);
  expect(await ledger.balance(PLATFORM_ACCOUNT)).toBe(charged);
  expect(await auditLedger(db)).toEqual([]);
  const finalized = await db.query("SELECT 1 FROM payout_batches WHERE status = 'finalized'");
  expect((await fx.api.rpc.system.accountNextIndex(fx.escrow.address)).toNumber()).toBe(finalized.length);
  const [last] = await db.query<{ n: string }>("SELECT max(block_number)::text AS n FROM payout_batches WHERE status = 'finalized'");
  const cursorName = depositCursorName(accountHex(fx.escrow.address));
  await expect.poll(async () => (await loadCursor(db, cursorName))! > Number(last!.n), { timeout: 20_000 }).toBe(true);
  const reconciler = new Reconciler({ db, api: fx.api, escrow: fx.escrow.address, log: quietLog });
  const report = await reconciler.run();
  await reconciler.stop();
  expect(report.checks.filter((c) => !c.ok)).toEqual([]);
}

describe('settlement service killed mid-withdrawal (Postgres, Redis, dev chain)', () => {
  const deposited = 1000n * ROC;

  it('requested while no settlement runs: the next one to start pays it once', async () => {
    child = await startService();
    await depositOnChain(fx.api, await devSigner('//Bob'), fx.escrow.address, deposited, viewer);
    await expect.poll(() => ledger.balance(viewerAccount(viewer)), { timeout: 30_000, interval: 100 }).toBe(deposited);
    await stopService();

    const w = await withdraw('before-start', 100n * ROC);
    expect(w.sent).toBe(100n * ROC - CHARGE);
    child = await startService();
    await expect.poll(() => statusOf(w.id), { timeout: 30_000, interval: 100 }).toBe('finalized');
    paid(w);
    await expectPaidOnce(deposited);
    await stopService();
  }, 180_000);

  it('SIGKILLed after signing and before sending: the attempt expires and the balance comes back, then a new request pays once', async () => {
    child = await startService('signed');
    const w = await withdraw('signed', 50n * ROC);
    expect(await exited(child)).toBe('SIGKILL');
    expect(await statusOf(w.id)).toBe('pending');
    // Reserved while in flight.
    expect(await ledger.balance(viewerAccount(viewer))).toBe(deposited - withdrawn - w.requested);

    child = await startService();
    await whileBuildingBlocks(fx, () => expect.poll(() => statusOf(w.id), { timeout: 60_000, interval: 200 }).toBe('expired'));
    expect(await freeBalance(fx.api, w.destination)).toBe(0n);
    expect(await ledger.balance(viewerAccount(viewer))).toBe(deposited - withdrawn);

    const retry = await withdraw('signed-retry', 50n * ROC);
    await expect.poll(() => statusOf(retry.id), { timeout: 30_000, interval: 100 }).toBe('finalized');
    paid(retry);
    owed.set(w.destination, 0n);
    await expectPaidOnce(deposited);
    await stopService();
  }, 240_000);

  it('SIGKILLed after the chain finalized the transfer and before the ledger recorded it: resolved, paid once', async () => {
    child = await startService('finalized');
    const w = await withdraw('finalized', 25n * ROC);
    expect(await exited(child)).toBe('SIGKILL');
    // The money left escrow; the ledger still holds it reserved.
    expect(await statusOf(w.id)).toBe('submitted');
    expect(await freeBalance(fx.api, w.destination)).toBe(w.sent);

    child = await startService();
    await expect.poll(() => statusOf(w.id), { timeout: 30_000, interval: 100 }).toBe('finalized');
    paid(w);
    await expectPaidOnce(deposited);
    await stopService();
  }, 180_000);
});
