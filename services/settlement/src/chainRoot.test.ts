// The payout root agrees with chain/merkle.ts: every window and tip of a batch proves against it.
import { randomUUID } from 'node:crypto';
import { merkleProof, sortLeaves, verifyProof } from '@vilokanam/chain';
import { describe, expect, it } from 'vitest';
import { chainMerkleRoot, toSettledWindow } from './chainRoot.ts';
import { Ledger } from './Ledger.ts';
import { tipLeafId } from './ledgerSql.ts';
import { PayoutBook } from './PayoutBook.ts';
import { engines } from './testing/databases.ts';
import { usage } from './testing/fixtures.ts';
import { useDatabase } from './testing/ledgerHooks.ts';
import { Tips } from './Tips.ts';

// Account ids as signaling issues them: 32-byte public keys in 0x hex.
const key = (n: number): string => `0x${n.toString(16).padStart(64, '0')}`;

describe('payout roots with chain/merkle.ts', () => {
  const open = useDatabase(engines.find((e) => e.name === 'postgres')!);

  it('lets every settled window of a batch prove its inclusion', async () => {
    const { db } = await open();
    const ledger = new Ledger(db);
    const book = new PayoutBook(db, { computeRoot: chainMerkleRoot });
    await ledger.creditDeposit({ chainId: 'd', account: key(1), amount: 10n ** 15n });
    await ledger.setPayoutAddress(key(9), '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty');
    await ledger.settleWindows(Array.from({ length: 37 }, (_, i) => usage({ viewer: key(1), creator: key(9), window: i, seconds: 1 + (i % 10), pricePerSecond: 12_345n })));
    const r = await book.createBatch({ idempotencyKey: 'p' });
    if (r.status === 'empty') throw new Error('expected a batch');
    const leaves = sortLeaves((await book.leaves(r.batch.id)).map(toSettledWindow));
    expect(leaves).toHaveLength(37);
    for (let i = 0; i < leaves.length; i++) expect(verifyProof(leaves[i]!, merkleProof(leaves, i), r.batch.merkleRoot!)).toBe(true);
    expect(verifyProof({ ...leaves[0]!, amount: leaves[0]!.amount + 1n }, merkleProof(leaves, 0), r.batch.merkleRoot!)).toBe(false);
    // The payout pays exactly the creator's shares of the windows the root commits to.
    expect(r.batch.total).toBe(leaves.reduce((s, l) => s + (l.amount * 90n) / 100n, 0n));
  });

  it("lets a tip prove its inclusion as a leaf of its own, beside the creator's windows", async () => {
    const { db } = await open();
    const ledger = new Ledger(db);
    const tips = new Tips(db);
    const book = new PayoutBook(db, { computeRoot: chainMerkleRoot });
    await ledger.creditDeposit({ chainId: 'd', account: key(1), amount: 10n ** 15n });
    await ledger.setPayoutAddress(key(9), '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty');
    await ledger.settleWindows(Array.from({ length: 5 }, (_, i) => usage({ viewer: key(1), creator: key(9), window: i, seconds: 3, pricePerSecond: 777n })));
    const sent = await Promise.all([1_234_567n, 99n, 10n ** 12n + 1n].map((amount) => tips.send({ tipId: randomUUID(), viewer: key(1), creator: key(9), stream: randomUUID(), amount, message: 'gg' })));
    const r = await book.createBatch({ idempotencyKey: 'p' });
    if (r.status === 'empty') throw new Error('expected a batch');
    const leaves = sortLeaves((await book.leaves(r.batch.id)).map(toSettledWindow));
    expect(leaves).toHaveLength(8);
    for (const { tip } of sent) {
      const i = leaves.findIndex((l) => l.sessionId === tipLeafId(tip.tipId));
      expect(leaves[i]).toEqual({ sessionId: tipLeafId(tip.tipId), window: 0, viewer: key(1), creator: key(9), amount: tip.amount });
      expect(verifyProof(leaves[i]!, merkleProof(leaves, i), r.batch.merkleRoot!)).toBe(true);
      expect(verifyProof({ ...leaves[i]!, amount: tip.creatorShare }, merkleProof(leaves, i), r.batch.merkleRoot!)).toBe(false);
    }
    expect(r.batch.total).toBe(leaves.reduce((s, l) => s + (l.amount * 90n) / 100n, 0n));
  });
});
