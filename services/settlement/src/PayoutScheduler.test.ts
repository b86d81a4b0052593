// PayoutScheduler against a real chopsticks chain: creators' on-chain balances are the proof
// that each was paid exactly once, through expiry, crashes around submission and two submitters.
import { randomUUID } from 'node:crypto';
import { accountHex, devSigner, SettlementClient } from '@vilokanam/chain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainMerkleRoot } from './chainRoot.ts';
import type { Database } from './db/Database.ts';
import { Ledger } from './Ledger.ts';
import { PayoutBook } from './PayoutBook.ts';
import { PayoutScheduler, type PayoutSchedulerOptions } from './PayoutScheduler.ts';
import { SubmitterLock } from './SubmitterLock.ts';
import { freeBalance, quietLog, randomAddress, startEscrowChain, type EscrowChain } from './testing/chain.ts';
import { engines, type Engine } from './testing/databases.ts';
import { useDatabase } from './testing/ledgerHooks.ts';
import { waitFor } from '@vilokanam/testkit';

let fx: EscrowChain;
const SLOT = 60_000;
/** Planck per second: a 10 s window pays a creator 9 × 10^9, well above the existential deposit. */
const PRICE = 10n ** 9n;

beforeAll(async () => {
  fx = await startEscrowChain();
}, 120_000);

afterAll(async () => {
  await fx?.close();
}, 60_000);

const postgres = engines.find((e) => e.name === 'postgres')!;

function harness(engine: Engine) {
  const open = useDatabase(engine);
  return async () => {
    const { db, url } = await open();
    const ledger = new Ledger(db);
    const book = new PayoutBook(db, { computeRoot: chainMerkleRoot });
    let now = Math.floor(Date.now() / SLOT) * SLOT + 1_000;
    const viewer = accountHex(randomAddress());
    await ledger.creditDeposit({ chainId: `test:${randomUUID()}`, account: viewer, amount: 10n ** 15n });
    /** Creators who earned `seconds` × PRICE × 90 %, each with a fresh payout address. */
    const earn = async (n: number, seconds = 10): Promise<Map<string, bigint>> => {
      const owed = new Map<string, bigint>();
      for (let i = 0; i < n; i++) {
        const address = randomAddress();
        const creator = accountHex(address);
        await ledger.setPayoutAddress(creator, address);
        await ledger.settleWindows([{ sessionId: randomUUID(), window: 1, seconds, pricePerSecond: PRICE, viewer, creator, stream: 's' }]);
        owed.set(address, (BigInt(seconds) * PRICE * 90n) / 100n);
      }
      return owed;
    };
    const scheduler = (o: Partial<PayoutSchedulerOptions> & { eraPeriod?: number; database?: Database } = {}) => {
      const client = new SettlementClient({ api: fx.api, signer: fx.escrow, log: quietLog, pollMs: 200, eraPeriod: o.eraPeriod ?? 64 });
      const lock = new SubmitterLock({ db, databaseUrl: url, log: quietLog });
      const s = new PayoutScheduler({ db, book, client, lock, log: quietLog, intervalMs: SLOT, now: () => now, minAmount: 3_333_333n, ...o });
      return { s, client, lock, close: async () => (await lock.release(), await client.close()) };
    };
    const onChain = async (owed: Map<string, bigint>) => Promise.all([...owed.keys()].map((a) => freeBalance(fx.api, a)));
    const status = async () => db.query<{ id: string; status: string }>('SELECT id, status FROM payout_batches ORDER BY created_at, id');
    const nonce = async () => (await fx.api.rpc.system.accountNextIndex(fx.escrow.address)).toNumber();
    return { db, ledger, book, earn, scheduler, onChain, status, nonce, nextSlot: () => (now += SLOT), slot: () => Math.floor(now / SLOT) * SLOT };
  };
}

/** Builds a block every 200 ms until `p` settles: chopsticks in instant mode makes none by itself. */
async function withBlocks<T>(p: Promise<T>): Promise<T> {
  let done = false;
  const out = p.finally(() => (done = true));
  while (!done) {
    await fx.chain.newBlock();
    await Promise.race([out.catch(() => {}), new Promise((r) => setTimeout(r, 200))]);
  }
  return out;
}

describe.each(engines)('PayoutScheduler on $name and a real dev chain', (engine) => {
  const setup = harness(engine);

  it('pays every payable creator once per slot in one batchAll carrying the batch Merkle root', async () => {
    const h = await setup();
    const owed = await h.earn(3);
    const { s, client, close } = h.scheduler();
    const cycle = await s.runOnce();
    expect(cycle.submitter).toBe(true);
    expect(cycle.batches).toMatchObject([{ batchId: `p${h.slot()}-0`, outcome: 'finalized', recovered: false, creators: 3 }]);
    expect(await h.onChain(owed)).toEqual([...owed.values()]);
    const batch = (await h.book.get(`p${h.slot()}-0`))!;
    expect(batch.status).toBe('finalized');
    expect(batch.fee).toBeGreaterThan(0n);
    const found = await client.findPayoutOnChain(batch.id, batch.blockNumber!);
    expect(found).toMatchObject({ success: true, rootHex: batch.merkleRoot, blockHash: batch.blockHash, fee: batch.fee });

    // Same slot again: the slot's batch is done, and new earnings wait for the next slot.
    const more = await h.earn(1);
    expect((await s.runOnce()).batches).toEqual([]);
    expect(await h.onChain(more)).toEqual([0n]);
    h.nextSlot();
    expect((await s.runOnce()).batches).toMatchObject([{ batchId: `p${h.slot()}-0`, outcome: 'finalized', creators: 1 }]);
    expect(await h.onChain(more)).toEqual([...more.values()]);
    expect(await h.onChain(owed)).toEqual([...owed.values()]);
    await close();
  });
});

describe('PayoutScheduler recovery on postgres and a real dev chain', () => {
  const setup = harness(postgres);

  it('resubmits a batch whose era expired unincluded, and pays each creator once', async () => {
    const h = await setup();
    const owed = await h.earn(2);
    const { s, close } = h.scheduler({ eraPeriod: 4 });
    const bystander = await devSigner('//Ferdie');
    await fx.chain.setBlockMode('manual');
    try {
      const run = s.runOnce();
      await waitFor('the payout in the pool', async () => (await fx.chain.pendingExtrinsics()).length > 0);
      // Blocks built from another transaction leave the payout in the pool until its era ends.
      const filler = await fx.api.tx.system!.remark!('filler').signAsync(bystander, { nonce: (await fx.api.rpc.system.accountNextIndex(bystander.address)).toNumber() });
      await fx.chain.newBlock(4, { transactions: [filler.toHex()] });
      const cycle = await withBlocks(run);
      expect(cycle.batches.map((b) => [b.batchId, b.outcome])).toEqual([
        [`p${h.slot()}-0`, 'expired'],
        [`p${h.slot()}-1`, 'finalized'],
      ]);
    } finally {
      await fx.chain.setBlockMode('instant');
    }
    expect(await h.onChain(owed)).toEqual([...owed.values()]);
    expect((await h.book.get(`p${h.slot()}-0`))!.windowCount).toBe(2);
    expect(await h.book.leaves(`p${h.slot()}-0`)).toEqual([]);
    expect(await h.book.leaves(`p${h.slot()}-1`)).toHaveLength(2);
    await close();
  });

  it('after a crash between the chain finalizing and the ledger recording, resolves the batch without resending', async () => {
    const h = await setup();
    const owed = await h.earn(2);
    const before = await h.nonce();
    const crashing = h.scheduler({
      beforeRecord: () => {
        throw new Error('killed before recording');
      },
    });
    await expect(crashing.s.runOnce()).rejects.toThrow('killed before recording');
    await crashing.close();
    // Paid on chain, open in the ledger.
    expect(await h.onChain(owed)).toEqual([...owed.values()]);
    expect(await h.status()).toEqual([{ id: `p${h.slot()}-0`, status: 'submitted' }]);

    const restarted = h.scheduler();
    const cycle = await restarted.s.runOnce();
    expect(cycle.batches).toMatchObject([{ batchId: `p${h.slot()}-0`, outcome: 'finalized', recovered: true }]);
    expect(await h.onChain(owed)).toEqual([...owed.values()]);
    // One extrinsic signed by the escrow in all.
    expect(await h.nonce()).toBe(before + 1);
    expect((await h.book.get(`p${h.slot()}-0`))!.fee).toBeGreaterThan(0n);
    await restarted.close();
  });

  it('after a crash between recording the attempt and sending it, waits out the era, then pays once', async () => {
    const h = await setup();
    const owed = await h.earn(2);
    const before = await h.nonce();
    const crashing = h.scheduler({
      eraPeriod: 4,
      onSigned: () => {
        throw new Error('killed before sending');
      },
    });
    await expect(crashing.s.runOnce()).rejects.toThrow('killed before sending');
    await crashing.close();
    expect(await h.status()).toEqual([{ id: `p${h.slot()}-0`, status: 'pending' }]);
    const [attempt] = await h.db.query<{ extrinsic_hash: string | null }>('SELECT extrinsic_hash FROM payout_attempts');
    expect(attempt).toEqual({ extrinsic_hash: null });

    const restarted = h.scheduler({ eraPeriod: 4 });
    const cycle = await withBlocks(restarted.s.runOnce());
    expect(cycle.batches.map((b) => [b.batchId, b.outcome, b.recovered])).toEqual([
      [`p${h.slot()}-0`, 'expired', true],
      [`p${h.slot()}-1`, 'finalized', false],
    ]);
    expect(await h.onChain(owed)).toEqual([...owed.values()]);
    expect(await h.nonce()).toBe(before + 1);
    await restarted.close();
  });

  it('lets one process submit: a second scheduler stands by until the lock is free', async () => {
    const h = await setup();
    const owed = await h.earn(1);
    const a = h.scheduler();
    const b = h.scheduler();
    expect(await a.lock.acquire()).toBe(true);
    expect(await b.s.runOnce()).toEqual({ submitter: false, batches: [] });
    await expect(b.lock.fenced('SELECT 1')).rejects.toThrow('not the payout submitter');
    expect(await h.onChain(owed)).toEqual([0n]);

    await a.close();
    // A lock lost with its connection cannot fence a write any more.
    await expect(a.lock.fenced('SELECT 1')).rejects.toThrow('not the payout submitter');
    const cycle = await b.s.runOnce();
    expect(cycle.submitter).toBe(true);
    expect(cycle.batches).toMatchObject([{ outcome: 'finalized' }]);
    expect(await h.onChain(owed)).toEqual([...owed.values()]);
    await b.close();
  });
});
