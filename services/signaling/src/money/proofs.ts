// Inclusion proofs for payout windows, in the file format chain/src/cli/verify-proof.ts reads.
//
// chain/ is loaded on first use: its index pulls in @polkadot/api, which costs seconds of CPU
// that a signaling process never needs unless someone asks for a proof or a deposit memo.
import { u8aToHex } from '@polkadot/util';
import type { PayoutLeaf } from '@vilokanam/settlement';
import type { ProofFile } from '@vilokanam/contracts/money';

type Chain = typeof import('@vilokanam/chain');
type SettledWindow = import('@vilokanam/chain').SettledWindow;
type MerkleTree = import('@vilokanam/chain').MerkleTree;

export interface ChainLib {
  chain: Chain;
  toSettledWindow: (l: PayoutLeaf) => SettledWindow;
}

let loading: Promise<ChainLib> | undefined;

export function loadChain(): Promise<ChainLib> {
  loading ??= Promise.all([import('@vilokanam/chain'), import('@vilokanam/settlement/chain')]).then(
    ([chain, root]) => ({ chain, toSettledWindow: root.toSettledWindow }),
    (err: unknown) => {
      // A failed load is retried on the next request instead of failing every later one.
      loading = undefined;
      throw err;
    },
  );
  return loading;
}

/** A batch's tree (chain's MerkleTree), with the leaves it was built from. */
export interface BatchTree {
  batchId: string;
  leaves: PayoutLeaf[];
  windows: SettledWindow[];
  tree: MerkleTree;
  root: `0x${string}`;
}

/** Builds the tree over the batch's leaves and refuses it unless its root is `expectedRoot`. */
export async function buildTree(lib: ChainLib, batchId: string, leaves: PayoutLeaf[], expectedRoot: string): Promise<BatchTree> {
  const windows = leaves.map(lib.toSettledWindow);
  // Built between yields to the event loop: a big batch must not stall every socket of this process.
  const tree = await lib.chain.MerkleTree.build(windows);
  const root = u8aToHex(tree.root);
  if (root !== expectedRoot.toLowerCase()) throw new Error(`batch ${batchId}: its windows hash to ${root}, but the payout committed to ${expectedRoot}`);
  return { batchId, leaves, windows, tree, root };
}

/** The proof file for leaf `index`, checked with chain's verifier before it is handed out. */
export function proofFile(lib: ChainLib, tree: BatchTree, index: number, blockHash: string | null): ProofFile {
  const proof = tree.tree.proof(index);
  const window = tree.windows[index]!;
  if (!lib.chain.verifyProof(window, proof, tree.root)) {
    throw new Error(`batch ${tree.batchId}: the proof for leaf ${index} does not verify`);
  }
  const file: ProofFile = { leaf: lib.chain.windowToJson(window), proof, root: tree.root, batchId: tree.batchId };
  if (blockHash) file.blockHash = blockHash;
  return file;
}

/**
 * Trees of finalized batches, whose windows never change again, so a page of proofs after
 * another does not rehash the whole batch. Small: a tree holds two hashes per window.
 */
export class TreeCache {
  readonly #max: number;
  readonly #trees = new Map<string, BatchTree>();

  constructor(max = 4) {
    this.#max = max;
  }

  get(batchId: string): BatchTree | undefined {
    const tree = this.#trees.get(batchId);
    if (tree) {
      // Re-inserted: the map's order is least recently used first.
      this.#trees.delete(batchId);
      this.#trees.set(batchId, tree);
    }
    return tree;
  }

  set(tree: BatchTree): void {
    this.#trees.set(tree.batchId, tree);
    for (const key of this.#trees.keys()) {
      if (this.#trees.size <= this.#max) break;
      this.#trees.delete(key);
    }
  }
}
