// Inclusion proofs for payout windows, in the file format chain/src/cli/verify-proof.ts reads.
//
// chain/ is loaded on first use: its index pulls in @polkadot/api, which costs seconds of CPU
// that a signaling process never needs unless someone asks for a proof or a deposit memo.
import { setImmediate } from 'node:timers/promises';
import { u8aToHex } from '@polkadot/util';
import { blake2AsU8a } from '@polkadot/util-crypto';
import type { PayoutLeaf } from '@vilokanam/settlement';
import type { ProofFile } from './protocol.ts';

type Chain = typeof import('@vilokanam/chain');
type SettledWindow = import('@vilokanam/chain').SettledWindow;
type ProofStep = import('@vilokanam/chain').ProofStep;
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

/** A batch's tree, every level kept, so each proof is a walk up rather than a rebuild. */
export interface BatchTree {
  batchId: string;
  leaves: PayoutLeaf[];
  windows: SettledWindow[];
  levels: Uint8Array[][];
  root: `0x${string}`;
}

// The inner-node rule of chain/src/merkle.ts (blake2b-256(0x01 ‖ left ‖ right)), which it
// does not export. buildTree checks the root against the one the payout committed to, and
// every proof is checked with chain's own verifyProof, so a divergence here cannot go out.
function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(65);
  buf[0] = 0x01;
  buf.set(left, 1);
  buf.set(right, 33);
  return blake2AsU8a(buf, 256);
}

/** Hashes between yields to the event loop: a big batch must not stall every socket of this process. */
const HASHES_PER_SLICE = 2000;

/** Builds the tree over the batch's leaves and refuses it unless its root is `expectedRoot`. */
export async function buildTree(lib: ChainLib, batchId: string, leaves: PayoutLeaf[], expectedRoot: string): Promise<BatchTree> {
  const windows = leaves.map(lib.toSettledWindow);
  for (let i = 1; i < windows.length; i++) {
    if (lib.chain.compareLeaves(windows[i - 1]!, windows[i]!) >= 0) throw new Error(`batch ${batchId}: leaves not in canonical order`);
  }
  const first: Uint8Array[] = [];
  for (const w of windows) {
    first.push(lib.chain.leafHash(w));
    if (first.length % HASHES_PER_SLICE === 0) await setImmediate();
  }
  const levels: Uint8Array[][] = [first];
  while (levels[levels.length - 1]!.length > 1) {
    const cur = levels[levels.length - 1]!;
    const next: Uint8Array[] = [];
    // An odd last node is carried up unchanged, as chain/merkle.ts does.
    for (let i = 0; i < cur.length; i += 2) {
      next.push(i + 1 < cur.length ? nodeHash(cur[i]!, cur[i + 1]!) : cur[i]!);
      if (next.length % HASHES_PER_SLICE === 0) await setImmediate();
    }
    levels.push(next);
  }
  const root = windows.length === 0 ? u8aToHex(lib.chain.EMPTY_ROOT) : u8aToHex(levels[levels.length - 1]![0]!);
  if (root !== expectedRoot.toLowerCase()) throw new Error(`batch ${batchId}: its windows hash to ${root}, but the payout committed to ${expectedRoot}`);
  return { batchId, leaves, windows, levels, root };
}

/** The proof file for leaf `index`, checked with chain's verifier before it is handed out. */
export function proofFile(lib: ChainLib, tree: BatchTree, index: number, blockHash: string | null): ProofFile {
  const proof: ProofStep[] = [];
  let i = index;
  for (let l = 0; l < tree.levels.length - 1; l++) {
    const level = tree.levels[l]!;
    const sibling = i % 2 === 0 ? i + 1 : i - 1;
    // A carried-up last node has no sibling at this level.
    if (sibling < level.length) proof.push({ side: i % 2 === 0 ? 'right' : 'left', hash: u8aToHex(level[sibling]!) });
    i = Math.floor(i / 2);
  }
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
