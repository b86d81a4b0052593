// A tip settles exactly once and its proof verifies against a real dev chain: the tip is paid by
// the creator's next payout (PayoutScheduler on chopsticks, as PayoutScheduler.test.ts runs it),
// and chain's verify-proof command finds the batch's root in that payout's finalized memo.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { accountHex, merkleProof, SettlementClient, sortLeaves, verifyInclusion, windowToJson, type ProofFile } from '@vilokanam/chain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainMerkleRoot, toSettledWindow } from './chainRoot.ts';
import { Ledger } from './Ledger.ts';
import { creatorAccount, tipLeafId, viewerAccount } from './ledgerSql.ts';
import { PayoutBook } from './PayoutBook.ts';
import { PayoutScheduler } from './PayoutScheduler.ts';
import { SubmitterLock } from './SubmitterLock.ts';
import { freeBalance, quietLog, randomAddress, ROC, startEscrowChain, type EscrowChain } from './testing/chain.ts';
import { engines } from './testing/databases.ts';
import { useDatabase } from './testing/ledgerHooks.ts';
import { Tips } from './Tips.ts';

// The command as chain ships it (its package's bin), found through the package, not a path.
const VERIFY_PROOF = fileURLToPath(new URL('./cli/verify-proof.ts', pathToFileURL(createRequire(import.meta.url).resolve('@vilokanam/chain'))));
const SLOT = 60_000;

let fx: EscrowChain;

beforeAll(async () => {
  fx = await startEscrowChain();
}, 120_000);

afterAll(async () => {
  await fx?.close();
}, 60_000);

function verifyProofCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [VERIFY_PROOF, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('a tip paid out on a real dev chain', () => {
  const open = useDatabase(engines.find((e) => e.name === 'postgres')!);

  it('settles once, is paid in the next batch, and its proof passes verify-proof against the chain', async () => {
    const { db, url } = await open();
    const ledger = new Ledger(db);
    const book = new PayoutBook(db, { computeRoot: chainMerkleRoot });
    const viewer = accountHex(randomAddress());
    const address = randomAddress();
    const creator = accountHex(address);
    await ledger.creditDeposit({ chainId: `test:${randomUUID()}`, account: viewer, amount: 10n * ROC });
    await ledger.setPayoutAddress(creator, address);
    // A watched window and a tip, both owed to the creator.
    await ledger.settleWindows([{ sessionId: randomUUID(), window: 1, seconds: 10, pricePerSecond: 10n ** 9n, viewer, creator, stream: randomUUID() }]);
    const input = { tipId: randomUUID(), viewer, creator, stream: randomUUID(), amount: 2n * ROC + 7n, message: 'for the encore' };
    const results = await Promise.all(Array.from({ length: 10 }, () => new Tips(db).send(input)));
    expect(results.filter((r) => r.status === 'sent')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'duplicate')).toHaveLength(9);
    const { tip } = results[0]!;
    const owed = 9n * 10n ** 9n + tip.creatorShare;
    expect(await ledger.balance(creatorAccount(creator))).toBe(owed);
    expect(await ledger.balance(viewerAccount(viewer))).toBe(10n * ROC - 10n ** 10n - tip.amount);

    const client = new SettlementClient({ api: fx.api, signer: fx.escrow, log: quietLog, pollMs: 200 });
    const lock = new SubmitterLock({ db, databaseUrl: url, log: quietLog });
    const now = Math.floor(Date.now() / SLOT) * SLOT + 1_000;
    const scheduler = new PayoutScheduler({ db, book, client, lock, log: quietLog, intervalMs: SLOT, now: () => now, minAmount: 1n });
    try {
      const cycle = await scheduler.runOnce();
      expect(cycle.batches).toMatchObject([{ outcome: 'finalized', creators: 1 }]);
      const batch = (await book.get(cycle.batches[0]!.batchId))!;
      expect(batch).toMatchObject({ status: 'finalized', total: owed, windowCount: 2 });
      expect(await freeBalance(fx.api, address)).toBe(owed);
      expect((await new Tips(db).get(tip.tipId))!.payoutBatchId).toBe(batch.id);

      // The proof file a viewer or creator would be handed, from the batch's own leaves.
      const leaves = sortLeaves((await book.leaves(batch.id)).map(toSettledWindow));
      const index = leaves.findIndex((l) => l.sessionId === tipLeafId(tip.tipId));
      expect(leaves[index]).toEqual({ sessionId: tipLeafId(tip.tipId), window: 0, viewer, creator, amount: tip.amount });
      const file: ProofFile = { leaf: windowToJson(leaves[index]!), proof: merkleProof(leaves, index), root: batch.merkleRoot! as `0x${string}`, blockHash: batch.blockHash! as `0x${string}`, batchId: batch.id };
      expect(await verifyInclusion(file, fx.api, { escrow: fx.escrow.address })).toMatchObject({ ok: true, proofValid: true, onChain: { batchId: batch.id, success: true, finalized: true } });

      const dir = await mkdtemp(join(tmpdir(), 'vilo-tip-proof-'));
      try {
        const good = join(dir, 'tip.json');
        const forged = join(dir, 'forged.json');
        await writeFile(good, JSON.stringify(file));
        await writeFile(forged, JSON.stringify({ ...file, leaf: { ...file.leaf, amount: (tip.amount * 2n).toString() } }));
        const ok = await verifyProofCli([good, '--ws', fx.chain.wsUrl, '--escrow', fx.escrow.address]);
        expect(ok.code, ok.stderr).toBe(0);
        expect(ok.stdout).toMatch(new RegExp(`^OK: included: payout ${batch.id} in finalized block #\\d+`));
        const bad = await verifyProofCli([forged, '--ws', fx.chain.wsUrl]);
        expect(bad.code).toBe(1);
        expect(bad.stdout).toMatch(/^FAIL: proof does not lead/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }

      // Retried after the payout: still the one tip, nothing moves, and the next slot has nothing to pay.
      expect((await new Tips(db).send(input)).status).toBe('duplicate');
      expect(await ledger.balance(creatorAccount(creator))).toBe(0n);
    } finally {
      await lock.release();
      await client.close();
    }
  }, 180_000);
});
