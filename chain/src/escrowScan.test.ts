import type { KeyringPair } from '@polkadot/keyring/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDepositExtrinsic } from './DepositWatcher.ts';
import { accountHex, escrowExtrinsicsIn, freeBalanceAt, isFinalizedCanonical, type EscrowExtrinsic } from './escrowScan.ts';
import { FinalizedChain } from './FinalizedChain.ts';
import { devSigner } from './keys.ts';
import { merkleRoot, sortLeaves } from './merkle.ts';
import { SettlementClient, type PayoutBatch } from './SettlementClient.ts';
import { freshPair, quietLog, randomAddress, ROC, sendAndFinalize, startChain, type ChainFixture } from './testing/chainFixture.ts';

let fx: ChainFixture;
let escrow: KeyringPair;
let client: SettlementClient;

beforeAll(async () => {
  escrow = freshPair();
  fx = await startChain({ fund: [escrow.address] });
  client = new SettlementClient({ api: fx.api, signer: escrow, log: quietLog, pollMs: 200 });
}, 120_000);

afterAll(async () => {
  await client?.close();
  await fx?.close();
}, 60_000);

function batchFor(batchId: string, amounts: bigint[]): PayoutBatch {
  const to = amounts.map(() => randomAddress());
  const root = merkleRoot(sortLeaves(to.map((creator, i) => ({ sessionId: `${batchId}-${i}`, window: 0, viewer: escrow.address, creator, amount: amounts[i]! }))));
  return { batchId, transfers: to.map((t, i) => ({ to: t, amount: amounts[i]! })), merkleRoot: root };
}

async function scan(from: number): Promise<EscrowExtrinsic[]> {
  const chain = new FinalizedChain(fx.api);
  const out: EscrowExtrinsic[] = [];
  for await (const block of chain.blocks(from, (await chain.head()).number)) out.push(...(await escrowExtrinsicsIn(block, escrow.publicKey)));
  await chain.close();
  return out;
}

describe('escrowScan on a real dev chain', () => {
  it('reports every extrinsic that moved money out of the escrow or that it signed, and nothing else', async () => {
    const from = (await fx.chain.headNumber()) + 1;
    const good = batchFor('good', [2n * ROC, 3n * ROC]);
    const paid = await client.submitPayoutBatch(good);
    const tooMuch = batchFor('too-much', [10n ** 30n]);
    const failed = await client.submitPayoutBatch(tooMuch);
    const stranger = randomAddress();
    await sendAndFinalize(fx.api.tx.balances!.transferKeepAlive!(stranger, ROC), escrow);
    // Money coming in is not an outflow.
    await sendAndFinalize(buildDepositExtrinsic(fx.api, escrow.address, 5n * ROC, 'viewer-1'), await devSigner('//Bob'));
    if (paid.status !== 'finalized' || failed.status !== 'failed' || !failed.included) throw new Error(`unexpected ${paid.status} ${failed.status}`);

    const found = await scan(from);
    expect(found).toHaveLength(3);
    const [payout, dispatchFailed, plain] = found as [EscrowExtrinsic, EscrowExtrinsic, EscrowExtrinsic];
    expect(payout).toMatchObject({ blockHash: paid.blockHash, extrinsicHash: paid.extrinsicHash, signedByEscrow: true, success: true, fee: paid.fee });
    expect(payout.payout).toEqual({ batchId: 'good', rootHex: `0x${Buffer.from(good.merkleRoot).toString('hex')}` });
    expect(payout.transfers).toEqual(good.transfers.map((t) => ({ to: accountHex(t.to), amount: t.amount })));
    // A failed batchAll moved nothing but its fee, and still names its batch.
    expect(dispatchFailed).toMatchObject({ success: false, error: 'balances.InsufficientBalance', fee: failed.fee, transfers: [] });
    expect(dispatchFailed.payout?.batchId).toBe('too-much');
    expect(plain).toMatchObject({ signedByEscrow: true, success: true, payout: null, transfers: [{ to: accountHex(stranger), amount: ROC }] });
    expect(plain.fee).toBeGreaterThan(0n);
  });

  it('reads the balance at a past block, and tells a replaced block from the finalized one', async () => {
    const beforeHash = (await fx.api.rpc.chain.getFinalizedHead()).toHex();
    const before = await freeBalanceAt(fx.api, escrow.address, beforeHash);
    const hash = (await sendAndFinalize(fx.api.tx.balances!.transferKeepAlive!(randomAddress(), ROC), escrow)) as `0x${string}`;
    const found = (await scan((await fx.chain.headNumber())))[0]!;
    expect(before - (await freeBalanceAt(fx.api, escrow.address, hash))).toBe(ROC + found.fee);
    expect(await freeBalanceAt(fx.api, escrow.address, beforeHash)).toBe(before);

    const number = await fx.chain.headNumber();
    expect(await isFinalizedCanonical(fx.api, { number, hash })).toBe(true);
    expect(await isFinalizedCanonical(fx.api, { number: number + 1, hash })).toBe(false);
    await fx.chain.rpc('dev_setHead', [number - 1]);
    await fx.chain.newBlock();
    expect(await isFinalizedCanonical(fx.api, { number, hash })).toBe(false);
  });
});
