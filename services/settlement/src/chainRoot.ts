// The payout Merkle root as chain/ defines it (merkle.ts), so anyone can check a window's
// inclusion proof against the root in the payout's on-chain memo. Kept out of the core: the
// ledger and its tests do not need the chain.
import { merkleRoot, sortLeaves, type SettledWindow } from '@vilokanam/chain';
import type { MerkleRootFn, PayoutLeaf } from './PayoutBook.ts';

/** The leaf for a window: accounts are 0x public keys (signaling's account ids), amount what the viewer paid. */
export function toSettledWindow(l: PayoutLeaf): SettledWindow {
  return { sessionId: l.sessionId, window: l.window, viewer: l.viewer, creator: l.creator, amount: l.amount };
}

export const chainMerkleRoot: MerkleRootFn = (leaves) =>
  `0x${Buffer.from(merkleRoot(sortLeaves(leaves.map(toSettledWindow)))).toString('hex')}`;
