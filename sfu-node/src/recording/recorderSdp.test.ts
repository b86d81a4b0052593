import { describe, expect, it } from 'vitest';
import { recordable, recorderSdp } from './recorderSdp.ts';

describe('recorderSdp', () => {
  it('describes each consumer as an RTP/AVP section on its port, with its payload type and format', () => {
    const sdp = recorderSdp([
      { kind: 'audio', port: 5000, rtpParameters: { codecs: [{ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 100, parameters: { useinbandfec: 1 } }], encodings: [] } },
      { kind: 'video', port: 5002, rtpParameters: { codecs: [{ mimeType: 'video/H264', clockRate: 90000, payloadType: 102, parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f' } }], encodings: [] } },
    ]);
    expect(sdp.split('\r\n')).toEqual(expect.arrayContaining([
      'c=IN IP4 127.0.0.1',
      'm=audio 5000 RTP/AVP 100', 'a=rtpmap:100 opus/48000/2', 'a=fmtp:100 useinbandfec=1',
      'm=video 5002 RTP/AVP 102', 'a=rtpmap:102 H264/90000', 'a=fmtp:102 packetization-mode=1;profile-level-id=42e01f',
    ]));
    expect(sdp.endsWith('\r\n')).toBe(true);
  });

  it('refuses a consumer without a codec', () => {
    expect(() => recorderSdp([{ kind: 'video', port: 1, rtpParameters: { codecs: [], encodings: [] } }])).toThrow('the video consumer has no codec');
  });

  it('records what fragmented MP4 carries and browsers play, and nothing else', () => {
    expect(['video/H264', 'video/VP9', 'video/AV1', 'audio/opus'].map(recordable)).toEqual([true, true, true, true]);
    expect(['video/VP8', 'audio/PCMU', 'video/rtx'].map(recordable)).toEqual([false, false, false]);
  });
});
