import type { ApiPromise } from '@polkadot/api';
import { z } from 'zod';
import { FinalizedChain, type ChainBlock } from './FinalizedChain.ts';
import { accountBytes, Hex32, ProofStepJson, SettledWindowJson, verifyProof, windowFromJson } from './merkle.ts';
import { parsePayoutMemo, remarkHash, remarksIn } from './memo.ts';
import { accountIs, eventsOf, extrinsicOutcome } from './outcome.ts';
import { zodMessage } from '@vilokanam/contracts/errors';

/** What a viewer or creator is handed to check one settled window. */
export const ProofFile = z.object({
  leaf: SettledWindowJson,
  proof: z.array(ProofStepJson),
  root: Hex32,
  /** Block holding the payout whose memo commits to `root`. */
  blockHash: Hex32.optional(),
  batchId: z.string().optional(),
});
export type ProofFile = z.infer<typeof ProofFile>;

export interface PayoutRemark {
  blockNumber: number;
  extrinsicIndex: number;
  batchId: string;
  signer: string;
  success: boolean;
  finalized: boolean;
}

export interface InclusionReport {
  ok: boolean;
  message: string;
  proofValid: boolean;
  /** Null when the chain was not consulted or no payout memo with this root was found. */
  onChain: PayoutRemark | null;
}

export interface VerifyOptions {
  /** Payout signer to require; without it any signer's memo is accepted and reported. */
  escrow?: string;
}

/**
 * Checks that a settled window is in the tree with `root` and, given an api and blockHash,
 * that a successful, finalized payout in that block carries `root` in its memo.
 */
export async function verifyInclusion(input: unknown, api?: ApiPromise, opts: VerifyOptions = {}): Promise<InclusionReport> {
  const parsed = ProofFile.safeParse(input);
  if (!parsed.success) {
    const detail = zodMessage(parsed.error, { root: '(root)' });
    return { ok: false, proofValid: false, onChain: null, message: `invalid proof file: ${detail}` };
  }
  const p = parsed.data;
  const proofValid = verifyProof(windowFromJson(p.leaf), p.proof, p.root);
  if (!proofValid) return { ok: false, proofValid, onChain: null, message: 'proof does not lead from this window to the root' };
  if (!api || !p.blockHash) {
    return { ok: true, proofValid, onChain: null, message: 'proof valid; on-chain payout not checked (needs --ws and blockHash)' };
  }

  const chain = new FinalizedChain(api);
  let block: ChainBlock;
  let finalized: boolean;
  try {
    block = await chain.blockAt(p.blockHash);
    const head = await chain.head();
    finalized = block.number <= head.number && (await api.rpc.chain.getBlockHash(block.number)).toHex() === block.hash;
  } catch {
    return { ok: false, proofValid, onChain: null, message: `block ${p.blockHash} not found on this chain` };
  }

  const root = p.root;
  const events = await block.events();
  let foreign: InclusionReport | undefined;
  for (let i = 0; i < block.extrinsics.length; i++) {
    const ext = block.extrinsics[i]!;
    if (!ext.isSigned) continue;
    for (const text of remarksIn(ext.method)) {
      const memo = parsePayoutMemo(text);
      if (!memo || memo.rootHex !== root || (p.batchId !== undefined && memo.batchId !== p.batchId)) continue;
      const signerKey = accountBytes(ext.signer.toString(), 'signer');
      const outcome = extrinsicOutcome(events, i, signerKey);
      const remarked = eventsOf(events, i).some(({ event }) => event.method === 'Remarked' && event.data[1]!.toHex() === remarkHash(text));
      const onChain: PayoutRemark = {
        blockNumber: block.number,
        extrinsicIndex: i,
        batchId: memo.batchId,
        signer: ext.signer.toString(),
        success: outcome.success && remarked,
        finalized,
      };
      if (opts.escrow !== undefined && !accountIs(ext.signer, accountBytes(opts.escrow, 'escrow'))) {
        // Anyone can post a remark; keep looking for the escrow's own.
        foreign ??= { ok: false, proofValid, onChain, message: `payout memo found but signed by ${onChain.signer}, not the escrow` };
        continue;
      }
      if (!onChain.success) return { ok: false, proofValid, onChain, message: `payout ${memo.batchId} failed on chain; nothing was paid` };
      if (!finalized) return { ok: false, proofValid, onChain, message: `payout ${memo.batchId} found but block #${block.number} is not finalized` };
      return { ok: true, proofValid, onChain, message: `included: payout ${memo.batchId} in finalized block #${block.number}, extrinsic ${i}` };
    }
  }
  return foreign ?? { ok: false, proofValid, onChain: null, message: `no payout memo with root ${root} in block ${p.blockHash}` };
}

