import { u8aToHex } from '@polkadot/util';
import { encodeAddress, decodeAddress } from '@polkadot/util-crypto';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_ROOT,
  MerkleTree,
  encodeLeaf,
  leafHash,
  merkleProof,
  merkleRoot,
  sortLeaves,
  verifyProof,
  windowFromJson,
  windowToJson,
  type SettledWindow,
} from './merkle.ts';

const account = (n: number): string => encodeAddress(new Uint8Array(32).fill(n), 42);

function windows(count: number): SettledWindow[] {
  const out: SettledWindow[] = [];
  for (let i = 0; i < count; i++) {
    out.push({
      sessionId: `sess-${String(Math.floor(i / 3)).padStart(2, '0')}`,
      window: i % 3,
      viewer: account(1 + (i % 5)),
      creator: account(100 + (i % 2)),
      amount: 1_000_000n * BigInt(i + 1),
    });
  }
  return sortLeaves(out);
}

describe('merkle', () => {
  it('every proof verifies for trees of 1..17 leaves', () => {
    for (let n = 1; n <= 17; n++) {
      const leaves = windows(n);
      const root = merkleRoot(leaves);
      for (let i = 0; i < n; i++) {
        const proof = merkleProof(leaves, i);
        expect(verifyProof(leaves[i]!, proof, root), `n=${n} i=${i}`).toBe(true);
        expect(proof.length).toBeLessThanOrEqual(Math.ceil(Math.log2(n)));
      }
    }
  });

  it('a single leaf is its own root with an empty proof', () => {
    const [leaf] = windows(1);
    expect(u8aToHex(merkleRoot([leaf!]))).toBe(u8aToHex(leafHash(leaf!)));
    expect(merkleProof([leaf!], 0)).toEqual([]);
  });

  it('the empty set has a fixed root and no proofs', () => {
    expect(merkleRoot([])).toEqual(EMPTY_ROOT);
    expect(() => merkleProof([], 0)).toThrow('index out of range');
    expect(u8aToHex(EMPTY_ROOT)).not.toBe(u8aToHex(new Uint8Array(32)));
  });

  it('tampering with the leaf, the amount, a sibling or the root fails', () => {
    const leaves = windows(9);
    const root = merkleRoot(leaves);
    const leaf = leaves[4]!;
    const proof = merkleProof(leaves, 4);
    expect(verifyProof(leaf, proof, root)).toBe(true);

    expect(verifyProof({ ...leaf, amount: leaf.amount + 1n }, proof, root)).toBe(false);
    expect(verifyProof({ ...leaf, window: leaf.window + 1 }, proof, root)).toBe(false);
    expect(verifyProof({ ...leaf, sessionId: leaf.sessionId + 'x' }, proof, root)).toBe(false);
    expect(verifyProof({ ...leaf, creator: account(99) }, proof, root)).toBe(false);
    expect(verifyProof({ ...leaf, viewer: account(99) }, proof, root)).toBe(false);

    const badSibling = proof.map((s, i) => (i === 1 ? { ...s, hash: `0x${'ab'.repeat(32)}` as const } : s));
    expect(verifyProof(leaf, badSibling, root)).toBe(false);
    expect(verifyProof(leaf, proof.slice(1), root)).toBe(false);

    const badRoot = Uint8Array.from(root);
    badRoot[0]! ^= 1;
    expect(verifyProof(leaf, proof, badRoot)).toBe(false);
    expect(verifyProof(leaf, proof, '0x1234')).toBe(false);
  });

  it('is order sensitive: swapped sides, reordered leaves and unsorted input all fail', () => {
    const leaves = windows(6);
    const root = merkleRoot(leaves);
    const proof = merkleProof(leaves, 2);
    const flipped = proof.map((s) => ({ ...s, side: s.side === 'left' ? ('right' as const) : ('left' as const) }));
    expect(verifyProof(leaves[2]!, flipped, root)).toBe(false);
    // A leaf's proof does not verify another leaf.
    expect(verifyProof(leaves[3]!, proof, root)).toBe(false);

    const swapped = [...leaves];
    [swapped[0], swapped[1]] = [swapped[1]!, swapped[0]!];
    expect(() => merkleRoot(swapped)).toThrow('canonical order');
    expect(() => merkleRoot([leaves[0]!, leaves[0]!])).toThrow('canonical order');
    expect(u8aToHex(merkleRoot(sortLeaves(swapped)))).toBe(u8aToHex(root));
  });

  it('orders session ids by UTF-8 bytes, then window numerically', () => {
    const base = { viewer: account(1), creator: account(2), amount: 1n };
    const sorted = sortLeaves([
      { ...base, sessionId: 'b', window: 10 },
      { ...base, sessionId: 'b', window: 9 },
      { ...base, sessionId: '\u{1F600}', window: 0 },
      { ...base, sessionId: '\uFF21', window: 0 },
      { ...base, sessionId: 'a', window: 2 },
    ]);
    // U+FF21 (EF BC A1) sorts before U+1F600 (F0 9F 98 80) in UTF-8, though not in UTF-16.
    expect(sorted.map((w) => `${w.sessionId}/${w.window}`)).toEqual(['a/2', 'b/9', 'b/10', '\uFF21/0', '\u{1F600}/0']);
  });

  it('hashes accounts by public key, whatever the SS58 prefix', () => {
    const [leaf] = windows(1);
    const viewerKey = decodeAddress(leaf!.viewer);
    const asPolkadot = { ...leaf!, viewer: encodeAddress(viewerKey, 0) };
    const asHex = { ...leaf!, viewer: u8aToHex(viewerKey) };
    expect(leafHash(asPolkadot)).toEqual(leafHash(leaf!));
    expect(leafHash(asHex)).toEqual(leafHash(leaf!));
  });

  it('keeps encodings unambiguous and rejects bad fields', () => {
    const base = { viewer: account(1), creator: account(2), amount: 5n };
    // Without the length prefix these two would share bytes.
    expect(encodeLeaf({ ...base, sessionId: 'ab', window: 0 })).not.toEqual(encodeLeaf({ ...base, sessionId: 'a', window: 0 }));
    expect(() => encodeLeaf({ ...base, sessionId: '', window: 0 })).toThrow('sessionId');
    expect(() => encodeLeaf({ ...base, sessionId: '\uD800', window: 0 })).toThrow('well-formed');
    expect(() => encodeLeaf({ ...base, sessionId: 's', window: 1.5 })).toThrow('window');
    expect(() => encodeLeaf({ ...base, sessionId: 's', window: -1 })).toThrow('window');
    expect(() => encodeLeaf({ ...base, sessionId: 's', window: 0, amount: -1n })).toThrow('amount');
    expect(() => encodeLeaf({ ...base, sessionId: 's', window: 0, amount: 1n << 128n })).toThrow('amount');
    expect(() => encodeLeaf({ ...base, sessionId: 's', window: 0, viewer: '0x1234' })).toThrow('viewer');
    expect(() => encodeLeaf({ ...base, sessionId: 's', window: 0, creator: 'nope' })).toThrow('creator');
    // u128 high half is encoded.
    const big = encodeLeaf({ ...base, sessionId: 's', window: 0, amount: (1n << 100n) + 7n });
    expect(big.subarray(big.length - 16)).toEqual(Uint8Array.from([7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0]));
  });

  it('round-trips the JSON form and gives a stable root', () => {
    const leaves = windows(5);
    const back = leaves.map((w) => windowFromJson(windowToJson(w)));
    expect(merkleRoot(back)).toEqual(merkleRoot(leaves));
    // Pinned so an accidental encoding change shows up as a failing test, not a silent fork.
    expect(u8aToHex(leafHash({ sessionId: 's', window: 1, viewer: account(1), creator: account(2), amount: 3n }))).toMatchInlineSnapshot(`"0xb5d82ed2ba83dcd0503e07bae1bd6780cc1d7bfe3a6c8715b94cc029b997b1aa"`);
  });
  it('builds the same tree asynchronously, yielding between slices of a large batch', async () => {
    const leaves = windows(4500);
    const sync = MerkleTree.of(leaves);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const built = await MerkleTree.build(leaves);
    clearInterval(timer);
    expect(u8aToHex(built.root)).toBe(u8aToHex(sync.root));
    expect(built.proof(4321)).toEqual(merkleProof(leaves, 4321));
    expect(verifyProof(leaves[4321]!, built.proof(4321), built.root)).toBe(true);
    // Other work ran while it hashed.
    expect(ticks).toBeGreaterThan(0);
    expect(u8aToHex((await MerkleTree.build([])).root)).toBe(u8aToHex(EMPTY_ROOT));
  });
});
