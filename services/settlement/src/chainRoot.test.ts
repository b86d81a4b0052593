// The payout root agrees with chain/merkle.ts: every window of a batch proves against it.
import { merkleProof, sortLeaves, verifyProof } from '@vilokanam/chain';
import { describe, expect, it } from 'vitest';
import { chainMerkleRoot, toSettledWindow } from './chainRoot.ts';
import { Ledger } from './Ledger.ts';
import { PayoutBook } from './PayoutBook.ts';
import { engines } from './testing/databases.ts';
import { usage } from './testing/fixtures.ts';
import { useDatabase } from './testing/ledgerHooks.ts';

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
});
