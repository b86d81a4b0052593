// What a reconciler needs to read about the escrow account from finalized blocks: its balance
// at a given block, and every extrinsic that it signed or that moved money out of it.
import type { ApiPromise } from '@polkadot/api';
import { u8aToHex } from '@polkadot/util';
import { decodeAddress } from '@polkadot/util-crypto';
import type { BlockRef, ChainBlock } from './FinalizedChain.ts';
import { parsePayoutMemo, remarkHash, remarksIn } from './memo.ts';
import { accountIs, amountOf, eventsOf, extrinsicOutcome } from './outcome.ts';

export interface EscrowTransfer {
  /** Recipient account id, 0x hex (compare with `accountHex(address)`). */
  to: `0x${string}`;
  amount: bigint;
}

export interface EscrowExtrinsic {
  blockNumber: number;
  blockHash: `0x${string}`;
  extrinsicIndex: number;
  extrinsicHash: `0x${string}`;
  signedByEscrow: boolean;
  success: boolean;
  error?: string;
  /** Planck the escrow paid in fees for it; 0 when someone else signed (a proxy, say). */
  fee: bigint;
  /** Money that left the escrow in it, from the Balances.Transfer events (what really moved). */
  transfers: EscrowTransfer[];
  /** The payout memo, when the escrow signed it and its Remarked event is there. */
  payout: { batchId: string; rootHex: `0x${string}` } | null;
}

/** An SS58 address or 0x account id as 0x hex of the 32-byte account id. */
export function accountHex(address: string): `0x${string}` {
  return u8aToHex(decodeAddress(address));
}

/** Free balance of `address` in the state at `blockHash`, planck. Old blocks need an archive node. */
export async function freeBalanceAt(api: ApiPromise, address: string, blockHash: `0x${string}`): Promise<bigint> {
  const at = await api.at(blockHash);
  const account = (await at.query.system!.account!(address)) as unknown as { data: { free: { toString(): string } } };
  return BigInt(account.data.free.toString());
}

/** True when `ref` is the finalized chain's block at its height (not a block reorganised away). */
export async function isFinalizedCanonical(api: ApiPromise, ref: BlockRef): Promise<boolean> {
  const head = await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead());
  if (ref.number > head.number.toNumber()) return false;
  return (await api.rpc.chain.getBlockHash(ref.number)).toHex() === ref.hash;
}

/**
 * Every extrinsic of `block` that the escrow signed or that moved money out of the escrow.
 * Anything here that is not a payout the ledger knows about is money the ledger cannot explain.
 */
export async function escrowExtrinsicsIn(block: ChainBlock, escrow: Uint8Array): Promise<EscrowExtrinsic[]> {
  const events = await block.events();
  const out: EscrowExtrinsic[] = [];
  for (let i = 0; i < block.extrinsics.length; i++) {
    const ext = block.extrinsics[i]!;
    const signedByEscrow = ext.isSigned && accountIs(ext.signer, escrow);
    const mine = eventsOf(events, i);
    const transfers: EscrowTransfer[] = [];
    for (const { event } of mine) {
      if (event.section === 'balances' && event.method === 'Transfer' && accountIs(event.data[0]!, escrow)) {
        transfers.push({ to: accountHex(event.data[1]!.toString()), amount: amountOf(event.data[2]!) });
      }
    }
    if (!signedByEscrow && transfers.length === 0) continue;
    const outcome = extrinsicOutcome(events, i, escrow);
    let payout: EscrowExtrinsic['payout'] = null;
    if (signedByEscrow) {
      for (const text of remarksIn(ext.method)) {
        const memo = parsePayoutMemo(text);
        if (!memo) continue;
        const hash = remarkHash(text);
        const remarked = mine.some(
          ({ event }) => event.section === 'system' && event.method === 'Remarked' && accountIs(event.data[0]!, escrow) && event.data[1]!.toHex() === hash,
        );
        // A failed batchAll rolls the remark back, so a failed payout keeps its memo from the call.
        if (remarked || !outcome.success) payout = memo;
        break;
      }
    }
    const entry: EscrowExtrinsic = {
      blockNumber: block.number,
      blockHash: block.hash,
      extrinsicIndex: i,
      extrinsicHash: ext.hash.toHex(),
      signedByEscrow,
      success: outcome.success,
      fee: signedByEscrow ? outcome.fee : 0n,
      transfers,
      payout,
    };
    if (outcome.error !== undefined) entry.error = outcome.error;
    out.push(entry);
  }
  return out;
}
