import { setImmediate } from 'node:timers/promises';
import { u8aToHex, hexToU8a, isHex, u8aEq } from '@polkadot/util';
import { blake2AsU8a, decodeAddress } from '@polkadot/util-crypto';
import { z } from 'zod';

/**
 * Merkle tree over settled pay-per-second windows.
 *
 * Leaf hash  = blake2b-256(0x00 ‖ u32le(len(sessionId)) ‖ utf8(sessionId) ‖ u64le(window)
 *                          ‖ viewer(32) ‖ creator(32) ‖ u128le(amount))
 * Inner hash = blake2b-256(0x01 ‖ left ‖ right)
 * Empty root = blake2b-256(0x02)  (an empty settlement has a root but no proofs)
 *
 * Every field but sessionId has a fixed width and sessionId is length-prefixed, so two
 * different leaves can never encode to the same bytes. Accounts are hashed as their 32-byte
 * public keys, so the same account written with another SS58 prefix gives the same leaf.
 * The prefix bytes keep a leaf from ever being passed off as an inner node.
 *
 * Ordering rule: leaves must be in canonical order, strictly increasing by
 * (sessionId compared as UTF-8 bytes, then window). Use `sortLeaves` first; the tree
 * functions refuse any other order, so anyone recomputing a root from the same windows gets
 * the same root.
 *
 * Odd levels: the last node is carried up unchanged, not paired with itself. Duplicating it,
 * as Bitcoin does, would let two different leaf lists share one root.
 */

export interface SettledWindow {
  sessionId: string;
  /** Index of the settlement window within the session. */
  window: number;
  /** SS58 address (any prefix) or 0x-prefixed 32-byte account id. */
  viewer: string;
  creator: string;
  /** Planck. */
  amount: bigint;
}

/** One step up the tree: the sibling hash and which side of the path it sits on. */
export interface ProofStep {
  side: 'left' | 'right';
  hash: `0x${string}`;
}

const LEAF = 0x00;
const NODE = 0x01;
const EMPTY = 0x02;
const MAX_SESSION_ID_BYTES = 256;
const U128_MAX = (1n << 128n) - 1n;

export const EMPTY_ROOT: Uint8Array = blake2AsU8a(Uint8Array.of(EMPTY), 256);

const utf8 = new TextEncoder();

export function accountBytes(address: string, field = 'account'): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = decodeAddress(address);
  } catch {
    throw new Error(`${field}: not an SS58 address or account id`);
  }
  if (bytes.length !== 32) throw new Error(`${field}: account id must be 32 bytes`);
  return bytes;
}

export function encodeLeaf(w: SettledWindow): Uint8Array {
  // Lone surrogates would all encode to U+FFFD and collide.
  if (!w.sessionId.isWellFormed()) throw new Error('sessionId: not well-formed unicode');
  const sid = utf8.encode(w.sessionId);
  if (sid.length === 0 || sid.length > MAX_SESSION_ID_BYTES) throw new Error('sessionId: must be 1-256 bytes');
  if (!Number.isSafeInteger(w.window) || w.window < 0) throw new Error('window: must be a non-negative safe integer');
  if (typeof w.amount !== 'bigint' || w.amount < 0n || w.amount > U128_MAX) throw new Error('amount: must be a u128 bigint');
  const out = new Uint8Array(1 + 4 + sid.length + 8 + 32 + 32 + 16);
  const view = new DataView(out.buffer);
  let o = 0;
  out[o++] = LEAF;
  view.setUint32(o, sid.length, true);
  o += 4;
  out.set(sid, o);
  o += sid.length;
  view.setBigUint64(o, BigInt(w.window), true);
  o += 8;
  out.set(accountBytes(w.viewer, 'viewer'), o);
  o += 32;
  out.set(accountBytes(w.creator, 'creator'), o);
  o += 32;
  view.setBigUint64(o, w.amount & 0xffff_ffff_ffff_ffffn, true);
  view.setBigUint64(o + 8, w.amount >> 64n, true);
  return out;
}

export function leafHash(w: SettledWindow): Uint8Array {
  return blake2AsU8a(encodeLeaf(w), 256);
}

function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(65);
  buf[0] = NODE;
  buf.set(left, 1);
  buf.set(right, 33);
  return blake2AsU8a(buf, 256);
}

/** Negative, zero or positive, like Array.prototype.sort expects. */
export function compareLeaves(a: SettledWindow, b: SettledWindow): number {
  const bySession = Buffer.compare(utf8.encode(a.sessionId), utf8.encode(b.sessionId));
  if (bySession !== 0) return bySession;
  return a.window - b.window;
}

export function sortLeaves(leaves: readonly SettledWindow[]): SettledWindow[] {
  return [...leaves].sort(compareLeaves);
}

function assertCanonical(leaves: readonly SettledWindow[]): void {
  for (let i = 1; i < leaves.length; i++) {
    if (compareLeaves(leaves[i - 1]!, leaves[i]!) >= 0) {
      throw new Error(`leaves not in canonical order at index ${i} (sort by sessionId, window; no duplicates)`);
    }
  }
}

/** Hashes between yields when a tree is built asynchronously. */
const HASHES_PER_SLICE = 2000;

/** All levels, leaves first; yields every HASHES_PER_SLICE hashes so a caller may let others run. */
function* levelsOf(leaves: readonly SettledWindow[]): Generator<void, Uint8Array[][]> {
  assertCanonical(leaves);
  const first: Uint8Array[] = [];
  for (const leaf of leaves) {
    first.push(leafHash(leaf));
    if (first.length % HASHES_PER_SLICE === 0) yield;
  }
  const out: Uint8Array[][] = [first];
  while (out[out.length - 1]!.length > 1) {
    const cur = out[out.length - 1]!;
    const next: Uint8Array[] = [];
    // An odd last node is carried up unchanged.
    for (let i = 0; i < cur.length; i += 2) {
      next.push(i + 1 < cur.length ? nodeHash(cur[i]!, cur[i + 1]!) : cur[i]!);
      if (next.length % HASHES_PER_SLICE === 0) yield;
    }
    out.push(next);
  }
  return out;
}

/** A payout batch's tree with every level kept, so each proof is a walk up rather than a rebuild. */
export class MerkleTree {
  readonly levels: readonly Uint8Array[][];

  private constructor(levels: Uint8Array[][]) {
    this.levels = levels;
  }

  /** Leaves in canonical order (sortLeaves); throws otherwise. */
  static of(leaves: readonly SettledWindow[]): MerkleTree {
    const steps = levelsOf(leaves);
    let step = steps.next();
    while (!step.done) step = steps.next();
    return new MerkleTree(step.value);
  }

  /** The same tree, yielding to the event loop between slices: a big batch must not stall a server. */
  static async build(leaves: readonly SettledWindow[]): Promise<MerkleTree> {
    const steps = levelsOf(leaves);
    let step = steps.next();
    while (!step.done) {
      await setImmediate();
      step = steps.next();
    }
    return new MerkleTree(step.value);
  }

  get root(): Uint8Array {
    const top = this.levels[this.levels.length - 1]!;
    return top.length === 0 ? EMPTY_ROOT : top[0]!;
  }

  proof(index: number): ProofStep[] {
    const leaves = this.levels[0]!.length;
    if (!Number.isInteger(index) || index < 0 || index >= leaves) throw new Error('index out of range');
    const proof: ProofStep[] = [];
    let i = index;
    for (let l = 0; l < this.levels.length - 1; l++) {
      const level = this.levels[l]!;
      const sibling = i % 2 === 0 ? i + 1 : i - 1;
      // A carried-up last node has no sibling at this level.
      if (sibling < level.length) proof.push({ side: i % 2 === 0 ? 'right' : 'left', hash: u8aToHex(level[sibling]!) });
      i = Math.floor(i / 2);
    }
    return proof;
  }
}

export function merkleRoot(leaves: readonly SettledWindow[]): Uint8Array {
  return MerkleTree.of(leaves).root;
}

export function merkleProof(leaves: readonly SettledWindow[], index: number): ProofStep[] {
  return MerkleTree.of(leaves).proof(index);
}

export function verifyProof(leaf: SettledWindow, proof: readonly ProofStep[], root: Uint8Array | string): boolean {
  let acc: Uint8Array;
  let expected: Uint8Array;
  try {
    acc = leafHash(leaf);
    expected = typeof root === 'string' ? hexToU8a(root) : root;
  } catch {
    return false;
  }
  if (expected.length !== 32) return false;
  for (const step of proof) {
    if (!isHex(step.hash, 256)) return false;
    const sib = hexToU8a(step.hash);
    if (step.side === 'left') acc = nodeHash(sib, acc);
    else if (step.side === 'right') acc = nodeHash(acc, sib);
    else return false;
  }
  return u8aEq(acc, expected);
}

// JSON forms, for proofs handed to viewers and creators and for the verify-proof CLI.

export const Hex32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, 'expected 0x + 64 hex digits')
  .transform((s) => s.toLowerCase() as `0x${string}`);

export const SettledWindowJson = z.object({
  sessionId: z.string().min(1),
  window: z.number().int().nonnegative(),
  viewer: z.string().min(1),
  creator: z.string().min(1),
  /** Planck as a decimal string: JSON numbers cannot hold u128. */
  amount: z.string().regex(/^(0|[1-9][0-9]*)$/, 'amount: decimal planck string'),
});
export type SettledWindowJson = z.infer<typeof SettledWindowJson>;

export const ProofStepJson = z.object({ side: z.enum(['left', 'right']), hash: Hex32 });

export function windowToJson(w: SettledWindow): SettledWindowJson {
  return { sessionId: w.sessionId, window: w.window, viewer: w.viewer, creator: w.creator, amount: w.amount.toString() };
}

export function windowFromJson(j: SettledWindowJson): SettledWindow {
  return { ...j, amount: BigInt(j.amount) };
}

