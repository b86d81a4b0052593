import { SealedSrtp } from '@vilokanam/contracts/control';
import { describe, expect, it } from 'vitest';
import { ControlAuth } from './ControlAuth.ts';

const srtp = { cryptoSuite: 'AEAD_AES_256_GCM', keyBase64: 'c2VjcmV0LWtleS1tYXRlcmlhbC0xMjM0NTY3ODkwYWJjZGVmMDEyMzQ1Njc4OTAx' };
const { seal } = new ControlAuth('s'.repeat(48));

describe('PipeSeal', () => {
  it('round-trips SRTP parameters for the same pipe and side, and shows no key', () => {
    const sealed = seal.seal('remote', 'pipe-1', srtp);
    expect(SealedSrtp.safeParse(sealed).success).toBe(true);
    expect(sealed).not.toContain(srtp.keyBase64);
    expect(sealed).not.toContain(Buffer.from(srtp.keyBase64, 'base64').toString('hex'));
    expect(seal.open('remote', 'pipe-1', sealed)).toEqual(srtp);
  });

  it('seals the same parameters differently every time (a fresh IV)', () => {
    expect(seal.seal('remote', 'pipe-1', srtp)).not.toBe(seal.seal('remote', 'pipe-1', srtp));
  });

  it('refuses a blob moved to another pipe, or from one side to the other', () => {
    const sealed = seal.seal('remote', 'pipe-1', srtp);
    expect(() => seal.open('remote', 'pipe-2', sealed)).toThrow('sealed SRTP parameters do not open for pipe pipe-2 (remote end)');
    expect(() => seal.open('local', 'pipe-1', sealed)).toThrow(/do not open/);
  });

  it('refuses a blob sealed under another secret, tampered with, or malformed', () => {
    const foreign = new ControlAuth('t'.repeat(48)).seal.seal('remote', 'pipe-1', srtp);
    expect(() => seal.open('remote', 'pipe-1', foreign)).toThrow(/do not open/);
    const [v, iv, body, tag] = seal.seal('remote', 'pipe-1', srtp).split('.');
    const flipped = Buffer.from(body!, 'base64url');
    flipped.writeUInt8(flipped.readUInt8(0) ^ 1, 0);
    expect(() => seal.open('remote', 'pipe-1', [v, iv, flipped.toString('base64url'), tag].join('.'))).toThrow(/do not open/);
    expect(() => seal.open('remote', 'pipe-1', 'v1.AAAA.AAAA')).toThrow('sealed SRTP parameters are malformed');
    expect(() => seal.open('remote', 'pipe-1', 'v2.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA')).toThrow(/malformed/);
  });
});
