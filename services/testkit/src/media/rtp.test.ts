import { describe, expect, it } from 'vitest';
import { isRtcp, rtpPacket, rtpPayload } from './rtp.ts';

describe('rtp helpers', () => {
  it('builds a packet whose payload parses back', () => {
    const payload = Buffer.from('hello');
    const p = rtpPacket({ pt: 100, seq: 65537, ts: 2 ** 32 + 5, ssrc: 1234, payload });
    expect(p[0]).toBe(0x80);
    expect(p[1]).toBe(100);
    expect(p.readUInt16BE(2)).toBe(1);
    expect(p.readUInt32BE(4)).toBe(5);
    expect(p.readUInt32BE(8)).toBe(1234);
    expect(rtpPayload(p).equals(payload)).toBe(true);
    expect(isRtcp(p)).toBe(false);
  });
  it('skips CSRCs, a header extension and padding', () => {
    const p = Buffer.from([0xb1, 100, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 9, 9, 9, 9, 0xbe, 0xde, 0, 1, 7, 7, 7, 7, 0xaa, 0xbb, 0, 2]);
    expect([...rtpPayload(p)]).toEqual([0xaa, 0xbb]);
  });
  it('recognises RTCP sender reports', () => {
    expect(isRtcp(Buffer.from([0x80, 200, 0, 6, 0, 0, 0, 1]))).toBe(true);
  });
});
