import { describe, expect, it } from 'vitest';
import { u8aToHex } from '@polkadot/util';
import { encodeAddress } from '@polkadot/util-crypto';
import { accountIdOf } from './address.ts';

describe('accountIdOf', () => {
  it('reads the public key out of SS58 addresses of any prefix', () => {
    for (const key of [new Uint8Array(32).fill(7), new Uint8Array(32).map((_, i) => i * 8), new Uint8Array(32)]) {
      for (const prefix of [0, 2, 42, 63, 64, 1000]) expect(accountIdOf(encodeAddress(key, prefix))).toBe(u8aToHex(key));
    }
  });

  it('refuses what is not an address', () => {
    expect(accountIdOf('not an address')).toBeNull();
    expect(accountIdOf('5Grw')).toBeNull();
  });
});
