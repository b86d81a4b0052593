import { describe, expect, it } from 'vitest';
import { depositMemo, parseDepositMemo, parsePayoutMemo, payoutMemo, remarkHash } from './memo.ts';

describe('memos', () => {
  const root = new Uint8Array(32).fill(0xab);

  it('round-trips payout memos', () => {
    const memo = payoutMemo('2026-11-21.settle-7', root);
    expect(memo).toBe(`vilokanam:payout:v1:2026-11-21.settle-7:0x${'ab'.repeat(32)}`);
    expect(parsePayoutMemo(memo)).toEqual({ batchId: '2026-11-21.settle-7', rootHex: `0x${'ab'.repeat(32)}` });
  });

  it('refuses ambiguous or malformed payout memos', () => {
    expect(() => payoutMemo('a:b', root)).toThrow('batchId');
    expect(() => payoutMemo('', root)).toThrow('batchId');
    expect(() => payoutMemo('ok', new Uint8Array(31))).toThrow('merkleRoot');
    expect(parsePayoutMemo(`vilokanam:payout:v1:a:b:0x${'ab'.repeat(32)}`)).toBeNull();
    expect(parsePayoutMemo(`vilokanam:payout:v1:a:0x${'AB'.repeat(32)}`)).toBeNull();
    expect(parsePayoutMemo(`vilokanam:payout:v2:a:0x${'ab'.repeat(32)}`)).toBeNull();
    expect(parsePayoutMemo('hello')).toBeNull();
  });

  it('round-trips deposit memos and rejects bad accounts', () => {
    expect(parseDepositMemo(depositMemo('user-42'))).toBe('user-42');
    expect(parseDepositMemo(depositMemo('5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY'))).toBe('5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY');
    expect(() => depositMemo('has space')).toThrow('deposit account');
    expect(parseDepositMemo('vilokanam:deposit:v1:')).toBeNull();
    expect(parseDepositMemo('vilokanam:deposit:v1:a b')).toBeNull();
    expect(parseDepositMemo(`vilokanam:deposit:v1:${'x'.repeat(129)}`)).toBeNull();
    expect(parseDepositMemo('vilokanam:payout:v1:x')).toBeNull();
  });

  it('hashes remarks the way system.Remarked reports them (blake2-256 of the bytes)', () => {
    expect(remarkHash('vilokanam:payout:v1:b1:0xab')).toBe('0x30393c96216eec53156901423df247d8e18e28b9024ce237ae731c5aa8945282');
  });
});
