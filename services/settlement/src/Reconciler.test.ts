// The whole settlement service in embedded mode (MemoryTickStore, Postgres, a real chopsticks
// chain): deposits credited, windows settled, creators paid, and the reconciler clean. Then a
// tampered ledger row and an out-of-band transfer from escrow each fail a specific check.
import { randomUUID } from 'node:crypto';
import { accountHex, devSigner, type KeyringPair } from '@vilokanam/chain';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLedger } from './audit.ts';
import { loadChainProperties } from './chainProperties.ts';
import { depositCursorName, loadCursor } from './chainState.ts';
import { openDatabase, type Database } from './db/Database.ts';
import { creatorAccount, viewerAccount } from './ledgerSql.ts';
import { MemoryTickStore } from './MemoryTickStore.ts';
import { CHECKS, type ReconcileReport } from './Reconciler.ts';
import { SettlementService } from './SettlementService.ts';
import { depositOnChain, freeBalance, quietLog, randomAddress, ROC, sendAndFinalize, startEscrowChain, type EscrowChain } from './testing/chain.ts';
import { createPostgresDatabase } from '@vilokanam/testkit/postgres';

const W = 10;
const PRICE = 10n ** 9n;
const PAST = Math.floor((Date.now() / 1000 - 3600) / W) * W;

let fx: EscrowChain;
let created: { url: string; drop(): Promise<void> };
let db: Database;
let store: MemoryTickStore;
let service: SettlementService;
let gateReached: (batchId: string) => void;
const reached = new Promise<string>((r) => (gateReached = r));
let openGate: () => void;
const gate = new Promise<void>((r) => (openGate = r));
const viewers = [accountHex(randomAddress()), accountHex(randomAddress())];
const creators = [randomAddress(), randomAddress(), randomAddress()];

const failing = (r: ReconcileReport) => r.checks.filter((c) => !c.ok).map((c) => c.name);
const check = (r: ReconcileReport, name: string) => r.checks.find((c) => c.name === name)!;

beforeAll(async () => {
  fx = await startEscrowChain();
  created = await createPostgresDatabase();
  db = await openDatabase({ databaseUrl: created.url, dataDir: '' }, pino({ level: 'silent' }));
  store = new MemoryTickStore({ windowSeconds: W });
  let gated = false;
  service = new SettlementService({
    db,
    databaseUrl: created.url,
    ticks: store,
    log: quietLog,
    worker: { windowSeconds: W, graceSeconds: 5, intervalMs: 100 },
    chain: {
      wsUrl: fx.chain.wsUrl,
      signer: fx.escrow,
      payoutIntervalMs: 1_500,
      pollMs: 200,
      hooks: {
        // Holds the first payout between the chain finalizing it and the ledger recording it.
        beforeRecord: async (batchId) => {
          if (gated) return;
          gated = true;
          gateReached(batchId);
          await gate;
        },
      },
    },
  });
  await service.start();
}, 180_000);

afterAll(async () => {
  openGate?.();
  await service?.stop();
  await db?.close();
  await created?.drop();
  await fx?.close();
}, 60_000);

describe('Reconciler after a full run on a real dev chain', () => {
  it('records the chain it settles on, with the token as the chain describes it, for the pages', async () => {
    const stored = await loadChainProperties(db);
    expect(stored).toMatchObject({ tokenSymbol: 'ROC', tokenDecimals: 12, ss58Prefix: 2, genesisHash: fx.api.genesisHash.toHex() });
    expect(stored!.existentialDeposit).toBe(BigInt(fx.api.consts.balances!.existentialDeposit!.toString()));
  });

  it('is clean once deposits are credited, windows settled and payouts finalized, even with a payout in flight', async () => {
    const [bob, charlie, dave] = (await Promise.all(['//Bob', '//Charlie', '//Dave'].map((u) => devSigner(u)))) as [KeyringPair, KeyringPair, KeyringPair];
    const escrow = service.escrowAddress!;
    expect(escrow).toBe(fx.escrow.address);
    await depositOnChain(fx.api, bob, escrow, 100n * ROC, viewers[0]!);
    await depositOnChain(fx.api, charlie, escrow, 50n * ROC, viewers[1]!);
    // No memo: on chain and counted, credited to nobody.
    await sendAndFinalize(fx.api.tx.balances!.transferKeepAlive!(escrow, 2n * ROC), dave);
    await expect.poll(() => service.ledger.balance(viewerAccount(viewers[1]!)), { timeout: 30_000, interval: 100 }).toBe(50n * ROC);
    expect(await service.ledger.balance(viewerAccount(viewers[0]!))).toBe(100n * ROC);

    for (const c of creators) await service.ledger.setPayoutAddress(accountHex(c), c);
    const owed = new Map<string, bigint>();
    for (let i = 0; i < 6; i++) {
      const sessionId = randomUUID();
      const creator = creators[i % 3]!;
      await store.openViewerSession({ sessionId, viewer: viewers[i % 2]!, creator: accountHex(creator), stream: `st${i % 3}`, pricePerSecond: PRICE, joinedAt: PAST * 1000 });
      const seconds = 25 + i;
      for (let s = 0; s < seconds; s++) await store.recordTick(sessionId, PAST + s);
      // Per window: floor(90 % of what the viewer paid).
      for (const n of [10, 10, seconds - 20]) owed.set(creator, (owed.get(creator) ?? 0n) + (BigInt(n) * PRICE * 90n) / 100n);
    }
    await expect.poll(() => store.indexedWindows(), { timeout: 30_000, interval: 100 }).toBe(0);

    // The first payout is on chain but not yet in the ledger: the reconciler accounts for it as in flight.
    const held = await reached;
    const attempt = (await db.query<{ from_block: string }>('SELECT from_block::text AS from_block FROM payout_attempts WHERE batch_id = $1', [held]))[0]!;
    const landed = (await service.client!.findPayoutOnChain(held, Number(attempt.from_block)))!;
    expect(landed.success).toBe(true);
    await expect.poll(async () => (await loadCursor(db, depositCursorName(accountHex(escrow))))! > landed.blockNumber, { timeout: 20_000 }).toBe(true);
    const inFlight = await service.reconcile();
    expect(failing(inFlight)).toEqual([]);
    expect(check(inFlight, CHECKS.escrowBalance).detail).toContain(`in flight`);
    openGate();

    await expect
      .poll(async () => Promise.all(creators.map((c) => freeBalance(fx.api, c))), { timeout: 60_000, interval: 200 })
      .toEqual(creators.map((c) => owed.get(c)!));
    await expect.poll(async () => (await service.book.open()).length, { timeout: 20_000 }).toBe(0);
    for (const c of creators) expect(await service.ledger.balance(creatorAccount(accountHex(c)))).toBe(0n);
    expect(await auditLedger(db)).toEqual([]);

    const report = await service.reconcile();
    expect(failing(report)).toEqual([]);
    expect(report.clean).toBe(true);
    expect(report.checks.map((c) => c.name).sort()).toEqual(Object.values(CHECKS).sort());
    const paid = [...owed.values()].reduce((s, v) => s + v, 0n);
    expect(report.escrowLedger).toBe(150n * ROC - paid);
    expect(report.escrowChain).toBe(await freeBalance(fx.api, escrow));
    const [row] = await db.query<{ clean: boolean; escrow_chain: string; escrow_ledger: string; report: { checks: { name: string; ok: boolean }[] } }>(
      'SELECT clean, escrow_chain::text AS escrow_chain, escrow_ledger::text AS escrow_ledger, report FROM reconciler_runs WHERE id = $1',
      [report.id],
    );
    expect(row).toMatchObject({ clean: true, escrow_chain: report.escrowChain!.toString(), escrow_ledger: report.escrowLedger!.toString() });
    expect(row!.report.checks.every((c) => c.ok)).toBe(true);
    expect((await service.metrics.reconcilerClean.get()).values[0]!.value).toBe(1);
    expect((await service.metrics.reconcilerDifference.get()).values[0]!.value).toBe(0);
  }, 180_000);

  it('reports a tampered payout row in the payouts check, and is clean again once it is restored', async () => {
    const [batch] = await db.query<{ id: string; merkle_root: string }>("SELECT id, merkle_root FROM payout_batches WHERE status = 'finalized' ORDER BY id LIMIT 1");
    await db.query('UPDATE payout_batches SET merkle_root = $2 WHERE id = $1', [batch!.id, `0x${'ab'.repeat(32)}`]);
    const tampered = await service.reconcile();
    expect(failing(tampered)).toEqual([CHECKS.payoutsOnChain]);
    expect(check(tampered, CHECKS.payoutsOnChain).detail).toContain(`${batch!.id}: memo root ${batch!.merkle_root} differs from ledger root 0x${'ab'.repeat(32)}`);
    expect((await service.metrics.reconcilerClean.get()).values[0]!.value).toBe(0);
    await db.query('UPDATE payout_batches SET merkle_root = $2 WHERE id = $1', [batch!.id, batch!.merkle_root]);
    expect((await service.reconcile()).clean).toBe(true);
  }, 60_000);

  it('reports an out-of-band transfer from escrow, with the exact difference, run after run', async () => {
    const escrow = service.escrowAddress!;
    const thief = randomAddress();
    const before = await freeBalance(fx.api, escrow);
    const hash = await sendAndFinalize(fx.api.tx.balances!.transferKeepAlive!(thief, 7n * ROC), fx.escrow);
    const block = (await fx.api.rpc.chain.getHeader(hash)).number.toNumber();
    const taken = before - (await freeBalance(fx.api, escrow));
    expect(taken).toBeGreaterThan(7n * ROC); // the transfer and its fee
    await expect.poll(async () => (await loadCursor(db, depositCursorName(accountHex(escrow))))! > block, { timeout: 20_000 }).toBe(true);

    for (let run = 0; run < 2; run++) {
      const r = await service.reconcile();
      expect(failing(r)).toEqual([CHECKS.escrowBalance, CHECKS.escrowOutflows]);
      const balance = check(r, CHECKS.escrowBalance);
      expect(BigInt(balance.expected!) - BigInt(balance.actual!)).toBe(taken);
      expect(balance.detail).toContain(`difference -${taken}`);
      expect(check(r, CHECKS.escrowOutflows).detail).toContain(`#${block}/`);
      expect(check(r, CHECKS.escrowOutflows).detail).toContain(`not a payout: ${7n * ROC} planck left the escrow`);
      expect((await service.metrics.reconcilerDifference.get()).values[0]!.value).toBe(-Number(taken));
    }
    const [{ n } = { n: 0 }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM reconciler_runs WHERE NOT clean');
    expect(n).toBe(3);
  }, 60_000);
});
