import { describe, expect, it } from 'vitest';
import { auditLedger } from './audit.ts';
import { Ledger } from './Ledger.ts';
import { ESCROW_ACCOUNT, PLATFORM_ACCOUNT, viewerAccount, withdrawalPendingAccount } from './ledgerSql.ts';
import { PayoutBook } from './PayoutBook.ts';
import { engines } from './testing/databases.ts';
import { usage } from './testing/fixtures.ts';
import { useDatabase } from './testing/ledgerHooks.ts';
import { PLATFORM_OWNER, withdrawalCommitment, Withdrawals } from './Withdrawals.ts';

const inclusion = { extrinsicHash: '0x01', blockHash: '0x02', blockNumber: 7, fee: 1_700n };

describe.each(engines)('Withdrawals on $name', (engine) => {
  const open = useDatabase(engine);
  const setup = async () => {
    const { db } = await open();
    const ledger = new Ledger(db);
    // Withdrawals never create batches of windows, so the root function is never called.
    const book = new PayoutBook(db, { computeRoot: () => '0x00' });
    const withdrawals = new Withdrawals(db);
    await ledger.creditDeposit({ chainId: 'd:1', account: 'alice', amount: 1_000_000n });
    return { db, ledger, book, withdrawals };
  };
  const request = { owner: 'alice', destination: '5Alice', requested: 400_000n, charge: 2_000n, idempotencyKey: 'k1' };

  it('reserves what it takes from the balance and queues one payout of the rest to the address', async () => {
    const { ledger, book, withdrawals } = await setup();
    const r = await withdrawals.request(request);
    if (r.status === 'insufficient') throw new Error('expected a withdrawal');
    expect(r.status).toBe('created');
    const w = r.withdrawal;
    expect(w).toMatchObject({ owner: 'alice', destination: '5Alice', requested: 400_000n, charge: 2_000n, sent: 398_000n, status: 'pending' });
    expect(w.id).toMatch(/^w-[0-9a-f-]{36}$/);
    expect(await ledger.balance(viewerAccount('alice'))).toBe(600_000n);
    expect(await ledger.balance(withdrawalPendingAccount('alice'))).toBe(400_000n);
    expect(await withdrawals.inFlight('alice')).toBe(400_000n);
    // To the submitter it is a payout like any other: one transfer, its memo committing to it.
    const batch = (await book.open()).find((b) => b.id === w.id)!;
    expect(batch).toMatchObject({ kind: 'withdrawal', total: 398_000n, items: [{ creator: 'alice', address: '5Alice', amount: 398_000n }] });
    expect(batch.merkleRoot).toBe(withdrawalCommitment({ id: w.id, owner: 'alice', destination: '5Alice', sent: 398_000n }));
    expect(await ledger.history(viewerAccount('alice'))).toContainEqual(expect.objectContaining({ kind: 'withdrawal', amount: -400_000n }));
  });

  it('pays out once: finalized moves the money out of escrow and the charge to the platform', async () => {
    const { ledger, book, withdrawals } = await setup();
    const r = await withdrawals.request(request);
    if (r.status === 'insufficient') throw new Error('expected a withdrawal');
    const id = r.withdrawal.id;
    expect(await book.markSubmitted(id, '0x01')).toBe('submitted');
    expect(await book.markFinalized(id, inclusion)).toBe('finalized');
    expect(await book.markFinalized(id, inclusion)).toBe('duplicate');
    await expect(book.markExpired(id)).rejects.toThrow(/is finalized/);
    expect(await ledger.balance(viewerAccount('alice'))).toBe(600_000n);
    expect(await ledger.balance(withdrawalPendingAccount('alice'))).toBe(0n);
    expect(await ledger.balance(PLATFORM_ACCOUNT)).toBe(2_000n);
    // Escrow's contra balance: deposited 1,000,000, of which 398,000 left on chain.
    expect(await ledger.balance(ESCROW_ACCOUNT)).toBe(-602_000n);
    expect(await withdrawals.get(id)).toMatchObject({ status: 'finalized', blockNumber: 7, extrinsicHash: '0x01' });
    // A withdrawal is not a creator's earnings.
    expect(await ledger.earnings('alice')).toEqual({ settled: 0n, pending: 0n, paidOut: 0n, earned: 0n });
  });

  it('gives everything back when the withdrawal fails or expires', async () => {
    const { ledger, book, withdrawals } = await setup();
    const a = await withdrawals.request(request);
    const b = await withdrawals.request({ ...request, requested: 100_000n, idempotencyKey: 'k2' });
    if (a.status === 'insufficient' || b.status === 'insufficient') throw new Error('expected withdrawals');
    expect(await book.markExpired(a.withdrawal.id)).toBe('expired');
    expect(await book.markFailed(b.withdrawal.id, 'balances.InsufficientBalance', inclusion)).toBe('failed');
    expect(await ledger.balance(viewerAccount('alice'))).toBe(1_000_000n);
    expect(await ledger.balance(withdrawalPendingAccount('alice'))).toBe(0n);
    expect(await ledger.balance(PLATFORM_ACCOUNT)).toBe(0n);
    expect((await withdrawals.list('alice')).map((w) => w.status).sort()).toEqual(['expired', 'failed']);
  });

  it('withdraws once per key, and never more than the balance, however requests race', async () => {
    const { ledger, withdrawals } = await setup();
    const again = await Promise.all([withdrawals.request(request), withdrawals.request(request)]);
    expect(again.map((r) => r.status).sort()).toEqual(['created', 'duplicate']);
    // 600,000 left: of five concurrent 250,000 requests, exactly two fit.
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => withdrawals.request({ ...request, requested: 250_000n, idempotencyKey: `race-${i}` })));
    expect(results.filter((r) => r.status === 'created')).toHaveLength(2);
    expect(results.filter((r) => r.status === 'insufficient').map((r) => r.status === 'insufficient' && r.available)).toEqual([100_000n, 100_000n, 100_000n]);
    expect(await ledger.balance(viewerAccount('alice'))).toBe(100_000n);
    expect(await withdrawals.request({ ...request, requested: 100_001n, idempotencyKey: 'too-much' })).toEqual({ status: 'insufficient', available: 100_000n });
    // A stranger has nothing to withdraw.
    expect(await withdrawals.request({ ...request, owner: 'mallory', idempotencyKey: 'm' })).toEqual({ status: 'insufficient', available: 0n });
  });

  it('lets the platform withdraw the fees it earned, to its treasury, and no more', async () => {
    const { db, ledger, book, withdrawals } = await setup();
    // alice watches 10 s at 1,000: the platform's 10 % is 1,000.
    await ledger.settleWindows([usage({ viewer: 'alice', creator: 'carol', seconds: 10, pricePerSecond: 1_000n })]);
    expect(await ledger.balance(PLATFORM_ACCOUNT)).toBe(1_000n);
    const treasury = { owner: PLATFORM_OWNER, destination: '5Treasury', charge: 0n };
    expect(await withdrawals.request({ ...treasury, requested: 1_001n, idempotencyKey: 't0' })).toEqual({ status: 'insufficient', available: 1_000n });
    const r = await withdrawals.request({ ...treasury, requested: 1_000n, idempotencyKey: 't1' });
    if (r.status === 'insufficient') throw new Error('expected a withdrawal');
    expect(r.withdrawal).toMatchObject({ owner: 'platform', sent: 1_000n });
    expect(await ledger.balance(PLATFORM_ACCOUNT)).toBe(0n);
    await book.markFinalized(r.withdrawal.id, inclusion);
    expect(await withdrawals.list(PLATFORM_OWNER)).toHaveLength(1);
    expect(await withdrawals.list('alice')).toHaveLength(0);
    expect(await auditLedger(db)).toEqual([]);
  });

  it('refuses requests that cannot be a withdrawal', async () => {
    const { withdrawals } = await setup();
    await expect(withdrawals.request({ ...request, requested: 2_000n })).rejects.toThrow('requested must exceed the charge');
    await expect(withdrawals.request({ ...request, charge: -1n })).rejects.toThrow('requested must exceed the charge');
    await expect(withdrawals.request({ ...request, idempotencyKey: '' })).rejects.toThrow(/idempotencyKey/);
    await expect(withdrawals.request({ ...request, idempotencyKey: 'x'.repeat(101) })).rejects.toThrow(/idempotencyKey/);
  });
});
