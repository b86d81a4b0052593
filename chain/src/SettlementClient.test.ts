import type { KeyringPair } from '@polkadot/keyring/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FUND_AMOUNT } from './DevChain.ts';
import { estimatePayoutBatch, maxTransfersPerExtrinsic } from './estimate.ts';
import { devSigner } from './keys.ts';
import { merkleRoot, sortLeaves, type SettledWindow } from './merkle.ts';
import { payoutMemo, remarkHash } from './memo.ts';
import { eventsOf } from './outcome.ts';
import { SettlementClient, splitPayoutBatch, type PayoutBatch, type PayoutResult } from './SettlementClient.ts';
import { freshPair, quietLog, randomAddress, ROC, startChain, type ChainFixture } from './testing/chainFixture.ts';
import { waitFor } from '@vilokanam/testkit';

let fx: ChainFixture;
let escrow: KeyringPair;
let expiring: KeyringPair;
let client: SettlementClient;

beforeAll(async () => {
  escrow = freshPair();
  expiring = freshPair();
  fx = await startChain({ fund: [escrow.address, expiring.address] });
  client = new SettlementClient({ api: fx.api, signer: escrow, log: quietLog });
}, 120_000);

afterAll(async () => {
  await client?.close();
  await fx?.close();
}, 60_000);

function batchFor(batchId: string, amounts: bigint[]): PayoutBatch {
  const creators = amounts.map(() => randomAddress());
  const windows: SettledWindow[] = sortLeaves(
    creators.map((creator, i) => ({ sessionId: `${batchId}-s${i}`, window: 0, viewer: escrow.address, creator, amount: amounts[i]! })),
  );
  return { batchId, transfers: creators.map((to, i) => ({ to, amount: amounts[i]! })), merkleRoot: merkleRoot(windows) };
}

async function balances(addresses: string[]): Promise<bigint[]> {
  return Promise.all(addresses.map((a) => client.balanceOf(a)));
}

function assertFinalized(r: PayoutResult): asserts r is Extract<PayoutResult, { status: 'finalized' }> {
  expect(r.status, JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).toBe('finalized');
}

describe('SettlementClient on a real dev chain', () => {
  it('pays a batch in one extrinsic: exact amounts, a real fee, the memo, and findPayoutOnChain', async () => {
    const from = (await fx.chain.headNumber()) + 1;
    const batch = batchFor('batch-1', [10n * ROC, 25n * ROC, 3n * ROC + 1n, ROC / 100n]);
    const recipients = batch.transfers.map((t) => t.to);
    const before = await balances(recipients);
    const escrowBefore = await client.balanceOf(escrow.address);

    const result = await client.submitPayoutBatch(batch);
    assertFinalized(result);

    const after = await balances(recipients);
    expect(after.map((b, i) => b - before[i]!)).toEqual(batch.transfers.map((t) => t.amount));
    const total = batch.transfers.reduce((s, t) => s + t.amount, 0n);
    expect(result.fee).toBeGreaterThan(0n);
    expect(escrowBefore - (await client.balanceOf(escrow.address))).toBe(total + result.fee);

    // The memo rides in the same extrinsic and its Remarked event carries the memo's hash.
    const events = [...((await (await fx.api.at(result.blockHash)).query.system!.events!()) as unknown as Parameters<typeof eventsOf>[0])];
    const remarked = eventsOf(events, result.extrinsicIndex).filter(({ event }) => event.method === 'Remarked');
    expect(remarked).toHaveLength(1);
    expect(remarked[0]!.event.data[1]!.toHex()).toBe(remarkHash(payoutMemo(batch.batchId, batch.merkleRoot)));

    const found = await client.findPayoutOnChain('batch-1', from);
    expect(found).toMatchObject({ blockHash: result.blockHash, blockNumber: result.blockNumber, extrinsicIndex: result.extrinsicIndex, success: true });
    expect(found!.rootHex).toBe(`0x${Buffer.from(batch.merkleRoot).toString('hex')}`);
    expect(await client.findPayoutOnChain('no-such-batch', from)).toBeNull();
    // Someone else posting our memo text does not count.
    expect(await client.findPayoutOnChain('batch-1', result.blockNumber + 1)).toBeNull();
  });

  it('fails an over-balance batch atomically: no recipient changes, only the fee is paid', async () => {
    const escrowBalance = await client.balanceOf(escrow.address);
    const batch = batchFor('too-much', [5n * ROC, escrowBalance]);
    const recipients = batch.transfers.map((t) => t.to);
    const before = await balances(recipients);

    const result = await client.submitPayoutBatch(batch);
    expect(result).toMatchObject({ status: 'failed', included: true, error: 'balances.InsufficientBalance' });
    if (result.status !== 'failed' || !result.included) throw new Error('unreachable');

    expect(await balances(recipients)).toEqual(before);
    expect(escrowBalance - (await client.balanceOf(escrow.address))).toBe(result.fee);
    const found = await client.findPayoutOnChain('too-much', result.blockNumber);
    expect(found).toMatchObject({ success: false, error: 'balances.InsufficientBalance', blockHash: result.blockHash });
  });

  it('serializes concurrent payouts and keeps the nonce in step', async () => {
    const batches = [batchFor('conc-a', [ROC]), batchFor('conc-b', [2n * ROC]), batchFor('conc-c', [3n * ROC])];
    const results = await Promise.all(batches.map((b) => client.submitPayoutBatch(b)));
    for (const r of results) assertFinalized(r);
    const numbers = results.map((r) => (r.status === 'finalized' ? r.blockNumber : -1));
    expect([...numbers].sort((a, b) => a - b)).toEqual(numbers);
    expect(new Set(numbers).size).toBe(3);
    for (const [i, b] of batches.entries()) expect(await client.balanceOf(b.transfers[0]!.to)).toBe(BigInt(i + 1) * ROC);
  });

  it('reports a payout whose era ran out unincluded as expired; resubmitting then pays once', async () => {
    const short = new SettlementClient({ api: fx.api, signer: expiring, log: quietLog, eraPeriod: 4, pollMs: 200 });
    const bystander = await devSigner('//Ferdie');
    const batch = batchFor('expiring', [7n * ROC]);
    await fx.chain.setBlockMode('manual');
    try {
      const pending = short.submitPayoutBatch(batch);
      await waitFor('the payout in the pool', async () => (await fx.chain.pendingExtrinsics()).length > 0);
      // Blocks built from another transaction leave ours waiting in the pool until its era ends.
      const nonce = (await fx.api.rpc.system.accountNextIndex(bystander.address)).toNumber();
      const filler = await fx.api.tx.system!.remark!('filler').signAsync(bystander, { nonce });
      await fx.chain.newBlock(4, { transactions: [filler.toHex()] });
      const result = await pending;
      expect(result.status).toBe('expired');
      if (result.status !== 'expired') throw new Error('unreachable');
      expect(await fx.chain.headNumber()).toBeGreaterThanOrEqual(result.deathBlock);
      // The chain now refuses the stale transaction rather than including it.
      await fx.chain.newBlock();
      expect(await fx.chain.pendingExtrinsics()).toEqual([]);
      expect(await client.balanceOf(batch.transfers[0]!.to)).toBe(0n);
    } finally {
      await fx.chain.setBlockMode('instant');
    }
    const retry = await short.submitPayoutBatch(batch);
    assertFinalized(retry);
    expect(await client.balanceOf(batch.transfers[0]!.to)).toBe(7n * ROC);

    // Recovery after a crash: a landed payout is reported at once; an unknown one only after
    // every attempt that could exist has passed its era.
    expect(await short.resolvePayout('expiring', 1)).toMatchObject({ success: true, blockHash: retry.blockHash });
    const before = await fx.chain.headNumber();
    let resolved = false;
    const ghost = short.resolvePayout('ghost', 1).finally(() => (resolved = true));
    await fx.chain.newBlock(3);
    await new Promise((r) => setTimeout(r, 500));
    expect(resolved).toBe(false);
    await fx.chain.newBlock(1);
    expect(await ghost).toBeNull();
    expect(await fx.chain.headNumber()).toBe(before + 4);
    // Given the only attempt's death block (from the `submitted` event), waiting for it is enough.
    const head = await fx.chain.headNumber();
    let resolvedEarly = false;
    const early = short.resolvePayout('ghost-2', 1, { deathBlock: head + 2 }).finally(() => (resolvedEarly = true));
    await fx.chain.newBlock(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(resolvedEarly).toBe(false);
    await fx.chain.newBlock(1);
    expect(await early).toBeNull();
    expect(await fx.chain.headNumber()).toBe(head + 2);
    expect(await short.resolvePayout('ghost-3', 1, { deathBlock: head })).toBeNull();
    await short.close();
  });

  it('reports a transaction the node refuses as failed and not included', async () => {
    const broke = new SettlementClient({ api: fx.api, signer: freshPair(), log: quietLog });
    const batch = batchFor('broke', [ROC]);
    const result = await broke.submitPayoutBatch(batch);
    expect(result).toMatchObject({ status: 'failed', included: false });
    expect(result.status === 'failed' && result.error).toMatch(/^1010: .*(payment|pay some fees)/i);
    expect(await client.balanceOf(batch.transfers[0]!.to)).toBe(0n);
    await broke.close();
  });

  it('validates input before touching the chain', async () => {
    const ok = batchFor('valid', [ROC]);
    await expect(client.submitPayoutBatch({ ...ok, batchId: 'has:colon' })).rejects.toThrow('batchId');
    await expect(client.submitPayoutBatch({ ...ok, transfers: [] })).rejects.toThrow('no transfers');
    await expect(client.submitPayoutBatch({ ...ok, transfers: [{ to: 'nope', amount: 1n }] })).rejects.toThrow('transfers[0].to');
    await expect(client.submitPayoutBatch({ ...ok, transfers: [{ to: ok.transfers[0]!.to, amount: 0n }] })).rejects.toThrow('amount');
    await expect(client.submitPayoutBatch({ ...ok, merkleRoot: new Uint8Array(31) })).rejects.toThrow('merkleRoot');
    const tiny = new SettlementClient({ api: fx.api, signer: escrow, log: quietLog, weightShare: 0.001 });
    await expect(tiny.submitPayoutBatch(batchFor('big', Array.from({ length: 10 }, () => ROC)))).rejects.toThrow('too large');
    await tiny.close();
  });

  it('splits big settlements into parts with their own ids and the same root', () => {
    const batch = batchFor('split', Array.from({ length: 7 }, (_, i) => BigInt(i + 1) * ROC));
    const parts = splitPayoutBatch(batch, 3);
    expect(parts.map((p) => p.batchId)).toEqual(['split.0', 'split.1', 'split.2']);
    expect(parts.map((p) => p.transfers.length)).toEqual([3, 3, 1]);
    expect(parts.flatMap((p) => p.transfers)).toEqual(batch.transfers);
    expect(parts.every((p) => p.merkleRoot === batch.merkleRoot)).toBe(true);
    expect(splitPayoutBatch(batch, 7)).toEqual([batch]);
  });

  it('pays 1,000 creators in one extrinsic; size and fee measured', async () => {
    const estimate = await estimatePayoutBatch(fx.api, 1000);
    const max = await maxTransfersPerExtrinsic(fx.api);
    console.info(
      `1000-creator payout: ${estimate.encodedLength} bytes, weight ${estimate.weight.refTime} ` +
        `(limit ${estimate.limits.maxCallWeight.refTime} x ${estimate.weightShare}), fee ${estimate.partialFee} planck, ` +
        `max transfers per extrinsic ${max}`,
    );
    expect(estimate.fits).toBe(true);
    expect(max).toBeGreaterThanOrEqual(1000);
    expect(estimate.encodedLength).toBeLessThan(estimate.limits.maxLength);

    const batch = batchFor('creators-1000', Array.from({ length: 1000 }, (_, i) => ROC / 10n + BigInt(i)));
    const escrowBefore = await client.balanceOf(escrow.address);
    const result = await client.submitPayoutBatch(batch);
    assertFinalized(result);
    const total = batch.transfers.reduce((s, t) => s + t.amount, 0n);
    expect(escrowBefore - (await client.balanceOf(escrow.address))).toBe(total + result.fee);
    const sample = [0, 499, 999].map((i) => batch.transfers[i]!);
    expect(await balances(sample.map((t) => t.to))).toEqual(sample.map((t) => t.amount));
    // Fee within 1% of the estimate: same shape, different signer and amounts.
    const diff = result.fee > estimate.partialFee ? result.fee - estimate.partialFee : estimate.partialFee - result.fee;
    expect(diff * 100n).toBeLessThan(estimate.partialFee);
    expect(escrowBefore).toBeLessThan(DEFAULT_FUND_AMOUNT);
  }, 60_000);
});
