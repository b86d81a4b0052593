import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KeyringPair } from '@polkadot/keyring/types';
import { u8aToHex } from '@polkadot/util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyInclusion, type ProofFile } from './inclusion.ts';
import { devSigner } from './keys.ts';
import { merkleProof, merkleRoot, sortLeaves, windowToJson, type SettledWindow } from './merkle.ts';
import { SettlementClient } from './SettlementClient.ts';
import { freshPair, quietLog, randomAddress, ROC, startChain, type ChainFixture } from './testing/chainFixture.ts';

let fx: ChainFixture;
let escrow: KeyringPair;
let client: SettlementClient;
let otherBlock: `0x${string}`;
let good: ProofFile;
let rolledBack: ProofFile;

beforeAll(async () => {
  escrow = freshPair();
  fx = await startChain({ fund: [escrow.address] });
  client = new SettlementClient({ api: fx.api, signer: escrow, log: quietLog });

  const [viewer, c1, c2] = [randomAddress(), randomAddress(), randomAddress()];
  const windows = sortLeaves([
    { sessionId: 'sess-b', window: 0, viewer: viewer!, creator: c2!, amount: 3n * ROC },
    { sessionId: 'sess-a', window: 1, viewer: viewer!, creator: c1!, amount: 2n * ROC },
    { sessionId: 'sess-a', window: 0, viewer: viewer!, creator: c1!, amount: 2n * ROC },
  ]);
  const root = merkleRoot(windows);
  const paid = await client.submitPayoutBatch({ batchId: 'proof-1', transfers: [{ to: c1!, amount: 4n * ROC }, { to: c2!, amount: 3n * ROC }], merkleRoot: root });
  if (paid.status !== 'finalized') throw new Error(`setup payout: ${paid.status}`);
  good = { leaf: windowToJson(windows[1]!), proof: merkleProof(windows, 1), root: u8aToHex(root), blockHash: paid.blockHash };

  const other = await client.submitPayoutBatch({ batchId: 'other', transfers: [{ to: c1!, amount: ROC }], merkleRoot: new Uint8Array(32).fill(1) });
  if (other.status !== 'finalized') throw new Error(`setup payout: ${other.status}`);
  otherBlock = other.blockHash;

  // A payout that batchAll rolls back: its memo is in the block, but nothing was paid.
  const unpaid: SettledWindow[] = [{ sessionId: 'sess-x', window: 0, viewer: viewer!, creator: c2!, amount: 10n ** 30n }];
  const failed = await client.submitPayoutBatch({ batchId: 'unpaid', transfers: [{ to: c2!, amount: 10n ** 30n }], merkleRoot: merkleRoot(unpaid) });
  if (failed.status !== 'failed' || !failed.included) throw new Error(`setup payout: ${failed.status}`);
  rolledBack = { leaf: windowToJson(unpaid[0]!), proof: [], root: u8aToHex(merkleRoot(unpaid)), blockHash: failed.blockHash };
}, 120_000);

afterAll(async () => {
  await client?.close();
  await fx?.close();
}, 60_000);

describe('verifyInclusion against a real dev chain', () => {
  it('accepts a window whose root a finalized escrow payout carries', async () => {
    expect(await verifyInclusion(good, fx.api, { escrow: escrow.address })).toMatchObject({
      ok: true,
      proofValid: true,
      onChain: { batchId: 'proof-1', success: true, finalized: true },
    });
    expect((await verifyInclusion(good)).message).toContain('not checked');
  });

  it('rejects tampering, the wrong block, a foreign signer and rolled-back payouts', async () => {
    const tampered = { ...good, leaf: { ...good.leaf, amount: (3n * ROC).toString() } };
    expect(await verifyInclusion(tampered, fx.api)).toMatchObject({ ok: false, proofValid: false });
    expect((await verifyInclusion({ ...good, proof: [] }, fx.api)).ok).toBe(false);
    expect((await verifyInclusion({ ...good, blockHash: otherBlock }, fx.api)).message).toContain('no payout memo');
    expect((await verifyInclusion({ ...good, blockHash: `0x${'ab'.repeat(32)}` }, fx.api)).message).toContain('not found');
    const bob = await devSigner('//Bob');
    expect((await verifyInclusion(good, fx.api, { escrow: bob.address })).message).toContain('not the escrow');
    expect((await verifyInclusion({ root: 'x' })).message).toMatch(/^invalid proof file/);

    const report = await verifyInclusion(rolledBack, fx.api);
    expect(report).toMatchObject({ ok: false, proofValid: true, onChain: { batchId: 'unpaid', success: false } });
    expect(report.message).toContain('failed on chain');
  });

  it('verify-proof CLI exits 0 for a good proof and 1 for a tampered one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vilo-proof-'));
    try {
      const goodFile = join(dir, 'good.json');
      const badFile = join(dir, 'bad.json');
      await writeFile(goodFile, JSON.stringify(good));
      await writeFile(badFile, JSON.stringify({ ...good, leaf: { ...good.leaf, window: 7 } }));
      const [ok, fail, usage] = await Promise.all([
        runCli([goodFile, '--ws', fx.chain.wsUrl, '--escrow', escrow.address]),
        runCli([badFile, '--ws', fx.chain.wsUrl]),
        runCli([]),
      ]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/^OK: included: payout proof-1 in finalized block #\d+, extrinsic \d+/);
      expect(fail.code).toBe(1);
      expect(fail.stdout).toMatch(/^FAIL: proof does not lead/);
      expect(usage.code).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const cli = fileURLToPath(new URL('./cli/verify-proof.ts', import.meta.url));
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
