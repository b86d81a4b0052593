import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Ledger } from './Ledger.ts';
import { creatorAccount, ESCROW_ACCOUNT, payoutPendingAccount } from './ledgerSql.ts';
import { PayoutBook, type PayoutLeaf } from './PayoutBook.ts';
import { engines } from './testing/databases.ts';
import { usage } from './testing/fixtures.ts';
import { useDatabase } from './testing/ledgerHooks.ts';

/** Stands in for chain/merkle.ts's root: any deterministic function of the canonical leaves will do here. */
const testRoot = (leaves: readonly PayoutLeaf[]): string =>
  `0x${createHash('sha256')
    .update(JSON.stringify(leaves, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
    .digest('hex')}`;

const inclusion = { extrinsicHash: '0x01', blockHash: '0x02', blockNumber: 7, fee: 1_789n };

describe.each(engines)('PayoutBook on $name', (engine) => {
  const open = useDatabase(engine);
  const setup = async () => {
    const { db } = await open();
    const ledger = new Ledger(db);
    const book = new PayoutBook(db, { computeRoot: testRoot });
    await ledger.creditDeposit({ chainId: 'd:1', account: 'alice', amount: 1_000_000n });
    await ledger.setPayoutAddress('carol', '5Carol');
    await ledger.setPayoutAddress('dave', '5Dave');
    // carol earns 900 + 90, dave 9, erin (no address) 90.
    await ledger.settleWindows([
      usage({ creator: 'carol', seconds: 10, pricePerSecond: 100n }),
      usage({ creator: 'carol', seconds: 10, pricePerSecond: 10n }),
      usage({ creator: 'dave', seconds: 1, pricePerSecond: 10n }),
      usage({ creator: 'erin', seconds: 10, pricePerSecond: 10n }),
    ]);
    return { db, ledger, book };
  };

  it('reserves payable creators in one batch, tagged windows and root included', async () => {
    const { ledger, book } = await setup();
    const r = await book.createBatch({ idempotencyKey: 'p1', minAmount: 10n });
    if (r.status === 'empty') throw new Error('expected a batch');
    expect(r.status).toBe('created');
    expect(r.batch).toMatchObject({ status: 'pending', total: 990n, windowCount: 2, items: [{ creator: 'carol', address: '5Carol', amount: 990n }] });
    const leaves = await book.leaves(r.batch.id);
    expect(leaves.map((l) => [l.creator, l.creatorAddress, l.amount]).sort()).toEqual([
      ['carol', '5Carol', 100n],
      ['carol', '5Carol', 1000n],
    ]);
    expect(r.batch.merkleRoot).toBe(testRoot(leaves));
    expect(await ledger.earnings('carol')).toEqual({ settled: 0n, pending: 990n, paidOut: 0n, earned: 990n });
    // Below the minimum and without an address: left to accrue.
    expect(await ledger.balance(creatorAccount('dave'))).toBe(9n);
    expect(await ledger.balance(creatorAccount('erin'))).toBe(90n);
    const again = await book.createBatch({ idempotencyKey: 'p1', minAmount: 1n });
    expect(again).toMatchObject({ status: 'duplicate', batch: { id: r.batch.id, total: 990n } });
    expect(await ledger.balance(creatorAccount('dave'))).toBe(9n);
  });

  it('caps a batch at maxCreators; the rest wait for the next batch', async () => {
    const { book } = await setup();
    const a = await book.createBatch({ idempotencyKey: 'a', maxCreators: 1 });
    const b = await book.createBatch({ idempotencyKey: 'b', maxCreators: 1 });
    if (a.status === 'empty' || b.status === 'empty') throw new Error('expected batches');
    expect(a.batch.items.map((i) => i.creator)).toEqual(['carol']);
    expect(b.batch.items.map((i) => i.creator)).toEqual(['dave']);
    expect(await book.createBatch({ idempotencyKey: 'c', maxCreators: 1 })).toEqual({ status: 'empty' });
  });

  it('finalizes once: the money leaves escrow and counts as paid out', async () => {
    const { ledger, book } = await setup();
    const r = await book.createBatch({ idempotencyKey: 'p1' });
    if (r.status === 'empty') throw new Error('expected a batch');
    expect(r.batch.total).toBe(999n);
    expect(await book.markSubmitted(r.batch.id, '0x01')).toBe('submitted');
    expect(await book.markSubmitted(r.batch.id, '0x01')).toBe('duplicate');
    await expect(book.markSubmitted(r.batch.id, '0x09')).rejects.toThrow(/another extrinsic/);
    expect((await book.open()).map((b) => b.id)).toEqual([r.batch.id]);
    expect(await book.markFinalized(r.batch.id, inclusion)).toBe('finalized');
    expect(await book.markFinalized(r.batch.id, inclusion)).toBe('duplicate');
    await expect(book.markFailed(r.batch.id, 'late')).rejects.toThrow(/is finalized/);
    expect(await ledger.earnings('carol')).toEqual({ settled: 0n, pending: 0n, paidOut: 990n, earned: 990n });
    expect(await ledger.earnings('dave')).toEqual({ settled: 0n, pending: 0n, paidOut: 9n, earned: 9n });
    expect(await ledger.balance(payoutPendingAccount('carol'))).toBe(0n);
    expect(await ledger.balance(ESCROW_ACCOUNT)).toBe(-1_000_000n + 999n);
    expect(await book.get(r.batch.id)).toMatchObject({ status: 'finalized', blockNumber: 7, blockHash: '0x02', extrinsicHash: '0x01', fee: 1_789n });
    expect(await book.open()).toEqual([]);
    expect(await book.createBatch({ idempotencyKey: 'p2' })).toEqual({ status: 'empty' });
  });

  it.each(['failed', 'expired'] as const)('reverses a batch that %s, and a later batch pays the same windows', async (how) => {
    const { ledger, book } = await setup();
    const r = await book.createBatch({ idempotencyKey: 'p1' });
    if (r.status === 'empty') throw new Error('expected a batch');
    await book.markSubmitted(r.batch.id, '0x01');
    const first = await book.leaves(r.batch.id);
    const out = how === 'failed' ? await book.markFailed(r.batch.id, 'balances.InsufficientBalance', inclusion) : await book.markExpired(r.batch.id);
    expect(out).toBe(how);
    expect(how === 'failed' ? await book.markFailed(r.batch.id, 'x') : await book.markExpired(r.batch.id)).toBe('duplicate');
    await expect(book.markFinalized(r.batch.id, inclusion)).rejects.toThrow(new RegExp(`is ${how}`));
    expect(await ledger.earnings('carol')).toEqual({ settled: 990n, pending: 0n, paidOut: 0n, earned: 990n });
    expect(await book.leaves(r.batch.id)).toEqual([]);
    // Earned meanwhile: the next batch pays the old windows and the new one together.
    await ledger.settleWindow(usage({ creator: 'carol', seconds: 1, pricePerSecond: 100n }));
    const r2 = await book.createBatch({ idempotencyKey: 'p2' });
    if (r2.status === 'empty') throw new Error('expected a batch');
    expect(r2.batch.items.find((i) => i.creator === 'carol')?.amount).toBe(1080n);
    const second = await book.leaves(r2.batch.id);
    expect(second.filter((l) => l.creator === 'carol')).toHaveLength(3);
    expect(second.map((l) => l.sessionId)).toEqual(expect.arrayContaining(first.map((l) => l.sessionId)));
    await book.markFinalized(r2.batch.id, inclusion);
    expect(await ledger.earnings('carol')).toEqual({ settled: 0n, pending: 0n, paidOut: 1080n, earned: 1080n });
  });

  it('keeps creator balances equal to unpaid windows while settling and paying out at once', async () => {
    const { ledger, book } = await setup();
    const settle = (async () => {
      for (let i = 0; i < 10; i++) {
        await ledger.settleWindows(Array.from({ length: 20 }, (_, k) => usage({ creator: k % 2 ? 'carol' : 'dave', window: i, seconds: 3, pricePerSecond: 7n })));
      }
    })();
    const pay = (async () => {
      for (let i = 0; i < 5; i++) {
        const r = await book.createBatch({ idempotencyKey: `k${i}` });
        if (r.status !== 'empty') await (i % 2 ? book.markFinalized(r.batch.id, inclusion) : book.markExpired(r.batch.id));
      }
    })();
    await Promise.all([settle, pay]);
    // useDatabase's audit checks balances against unpaid windows, batches and escrow.
  });

  it('refuses malformed input and unknown batches', async () => {
    const { book } = await setup();
    await expect(book.createBatch({ idempotencyKey: 'k', batchId: 'has space' })).rejects.toThrow(/batchId/);
    await expect(book.createBatch({ idempotencyKey: 'k', minAmount: 0n })).rejects.toThrow(/minAmount/);
    await expect(book.markFinalized(randomUUID(), inclusion)).rejects.toThrow(/not found/);
  });
});
