// The SDP translation on offers shaped like the clients that send them: OBS 32's WHIP output
// (libdatachannel: H.264 with three rids, opus, one ICE ufrag at session level) and a WHEP
// player's receive-only offer. Pure functions; the wire tests are whip.test.ts and web/e2e.
import sdpTransform from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { mediaCodecs } from '@vilokanam/sfu-node';
import { assertSends, fragmentCredentials, parseOffer, publisherAnswer, publisherPlan, restartFragment, viewerAnswer } from './sdp.ts';

const FINGERPRINT = 'sha-256 3A:1F:77:0B:C4:52:9E:8D:61:AA:20:5C:13:F7:0E:48:D9:92:6B:35:E1:7C:04:B8:5F:26:9A:C3:71:DE:08:44';
const OBS_SIMULCAST = [
  'v=0', 'o=rtc 2882457346 0 IN IP4 127.0.0.1', 's=-', 't=0 0',
  'a=group:BUNDLE 0 1', 'a=group:LS 0 1', 'a=msid-semantic:WMS *', 'a=setup:actpass',
  'a=ice-ufrag:Pi7n', 'a=ice-pwd:8X7VUDuRRwNlw2s3vJ9BXd', 'a=ice-options:ice2,trickle', `a=fingerprint:${FINGERPRINT}`,
  'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0', 'a=mid:0', 'a=sendonly',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid',
  'a=ssrc:3164557071 cname:zWbnjMjCkbEKcNph', 'a=ssrc:3164557071 msid:obs obs-audio', 'a=msid:obs obs-audio', 'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2', 'a=fmtp:111 minptime=10;maxaveragebitrate=96000;stereo=1;sprop-stereo=1;useinbandfec=1',
  'm=video 9 UDP/TLS/RTP/SAVPF 96', 'c=IN IP4 0.0.0.0', 'a=mid:1', 'a=sendonly',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid', 'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
  'a=msid:obs obs-video', 'a=rtcp-mux', 'a=rtcp-rsize',
  'a=rtpmap:96 H264/90000', 'a=rtcp-fb:96 nack', 'a=rtcp-fb:96 nack pli', 'a=rtcp-fb:96 goog-remb',
  'a=fmtp:96 profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1',
  'a=rid:0 send', 'a=rid:1 send', 'a=rid:2 send', 'a=simulcast:send 0;1;2', '',
].join('\r\n');

const WHEP_PLAYER = [
  'v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE a v', `a=fingerprint:${FINGERPRINT}`, 'a=setup:actpass',
  'm=audio 9 UDP/TLS/RTP/SAVPF 109', 'c=IN IP4 0.0.0.0', 'a=mid:a', 'a=recvonly', 'a=ice-ufrag:w1', 'a=ice-pwd:wwwwwwwwwwwwwwwwwwwwww', 'a=rtcp-mux',
  'a=rtpmap:109 opus/48000/2',
  'm=video 9 UDP/TLS/RTP/SAVPF 120 121', 'c=IN IP4 0.0.0.0', 'a=mid:v', 'a=recvonly', 'a=rtcp-mux',
  'a=rtpmap:120 VP8/90000', 'a=rtcp-fb:120 nack', 'a=rtcp-fb:120 nack pli', 'a=rtcp-fb:120 ccm fir',
  'a=rtpmap:121 rtx/90000', 'a=fmtp:121 apt=120',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'c=IN IP4 0.0.0.0', 'a=mid:d', 'a=sctp-port:5000', '',
].join('\r\n');

const routerCaps = {
  codecs: mediaCodecs.map((c, i) => ({ ...c, preferredPayloadType: 100 + i })),
  headerExtensions: [
    { kind: 'video', uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', preferredId: 1 },
    { kind: 'audio', uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', preferredId: 1 },
    { kind: 'video', uri: 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id', preferredId: 10 },
  ],
};
const transport = {
  id: 't',
  iceParameters: { usernameFragment: 'srv', password: 'p'.repeat(32), iceLite: true },
  iceCandidates: [{ foundation: 'udpcandidate', priority: 1, ip: '192.0.2.10', address: '192.0.2.10', protocol: 'udp', port: 40000, type: 'host' }],
  dtlsParameters: { role: 'auto', fingerprints: [{ algorithm: 'sha-256', value: 'AA:BB' }] },
};

describe('an OBS simulcast offer', () => {
  const offer = parseOffer(OBS_SIMULCAST);

  it('reads the session-level ICE ufrag and the fingerprint, as the DTLS client', () => {
    expect(offer.iceUfrag).toBe('Pi7n');
    expect(offer.dtls).toEqual({ role: 'client', fingerprints: [{ algorithm: 'sha-256', value: FINGERPRINT.split(' ')[1] }] });
    expect(offer.media.map((m) => [m.mid, m.kind])).toEqual([['0', 'audio'], ['1', 'video']]);
    expect(() => assertSends(offer)).not.toThrow();
  });

  it('produces H.264 with one encoding per rid, in the offer payload types', () => {
    const [audio, video] = publisherPlan(offer, routerCaps);
    expect(audio!.rtpParameters.codecs[0]).toMatchObject({ mimeType: 'audio/opus', payloadType: 111 });
    expect(video!.rtpParameters.codecs[0]).toMatchObject({ mimeType: 'video/H264', payloadType: 96 });
    expect(video!.rtpParameters.encodings).toEqual([{ rid: '0' }, { rid: '1' }, { rid: '2' }]);
    expect(video!.rtpParameters.mid).toBe('1');
    expect(video!.rtpParameters.headerExtensions?.map((h) => [h.uri, h.id])).toContainEqual(['urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id', 4]);
  });

  it('answers each section under its mid, receiving the rids, passive, ICE-lite', () => {
    const answer = sdpTransform.parse(publisherAnswer(offer, transport, publisherPlan(offer, routerCaps)));
    expect(answer.icelite).toBe('ice-lite');
    expect(answer.media.map((m) => [String(m.mid), m.direction, m.setup])).toEqual([['0', 'recvonly', 'passive'], ['1', 'recvonly', 'passive']]);
    expect(answer.media[1]!.rids?.map((r) => [String(r.id), r.direction])).toEqual([['0', 'recv'], ['1', 'recv'], ['2', 'recv']]);
    expect(answer.media[1]!.simulcast?.list1).toBe('0;1;2');
    expect(answer.media[1]!.rtp.map((r) => r.payload)).toEqual([96]);
  });

  it('refuses a section that only receives', () => {
    const offerWithRecv = parseOffer(OBS_SIMULCAST.replace('a=mid:0\r\na=sendonly', 'a=mid:0\r\na=recvonly'));
    expect(() => assertSends(offerWithRecv)).toThrow(/section 0 does not send/);
  });

  // Found by the fuzzer: a section with no a=ssrc and no a=rid was a 500, not the offer's fault.
  it('refuses, as the offer\'s fault, a sending section with neither SSRCs nor rids', () => {
    const bare = parseOffer(OBS_SIMULCAST.replace('a=ssrc:3164557071 cname:zWbnjMjCkbEKcNph\r\na=ssrc:3164557071 msid:obs obs-audio\r\n', ''));
    expect(() => publisherPlan(bare, routerCaps)).toThrow(expect.objectContaining({ status: 422, message: expect.stringMatching(/section 0 has neither a=rid nor usable a=ssrc/) }));
  });
});

describe('a WHEP player offer', () => {
  const offer = parseOffer(WHEP_PLAYER);

  it('keeps only audio and video, and the ufrag from the first section that has one', () => {
    expect(offer.media.map((m) => m.mid)).toEqual(['a', 'v']);
    expect(offer.iceUfrag).toBe('w1');
    expect(offer.caps.codecs?.find((c) => c.mimeType === 'video/VP8')?.preferredPayloadType).toBe(120);
  });

  it('answers sendonly where it has a consumer and rejects the rest, one m-line per offered one', () => {
    const consumer = { mid: 'v', kind: 'video' as const, id: 'c1', rtpParameters: { mid: 'v', codecs: [{ mimeType: 'video/VP8', payloadType: 120, clockRate: 90000, rtcpFeedback: [{ type: 'nack' }] }], headerExtensions: [], encodings: [{ ssrc: 1111 }], rtcp: { cname: 'x' } } };
    const answer = sdpTransform.parse(viewerAnswer(offer, transport, [consumer]));
    expect(answer.media.map((m) => [String(m.mid), m.type, m.port === 0])).toEqual([['a', 'audio', true], ['v', 'video', false], ['d', 'application', true]]);
    expect(answer.media[1]).toMatchObject({ direction: 'sendonly', setup: 'passive' });
    expect(answer.media[1]!.rtp.map((r) => r.payload)).toEqual([120]);
    expect(answer.media[1]!.ssrcs?.[0]?.id).toBe(1111);
  });
});

describe('malformed offers', () => {
  it.each([
    ['no media', 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n', /not usable SDP|no media/],
    ['no audio or video', WHEP_PLAYER.slice(0, WHEP_PLAYER.indexOf('m=audio')) + WHEP_PLAYER.slice(WHEP_PLAYER.indexOf('m=application')), /no audio or video/],
    ['no fingerprint', WHEP_PLAYER.replace(/a=fingerprint:.*\r\n/, ''), /fingerprint/],
    ['a section without a mid', WHEP_PLAYER.replace('a=mid:v\r\n', ''), /mid/],
  ])('%s: a 422', (_what, text, message) => {
    expect(() => parseOffer(text)).toThrow(message);
    try {
      parseOffer(text);
    } catch (err) {
      expect((err as { status: number }).status).toBe(422);
    }
  });
});

describe('ICE fragments', () => {
  it('reads the credentials of a trickle fragment and writes ours after a restart', () => {
    expect(fragmentCredentials('a=ice-ufrag:abc\r\na=ice-pwd:def\r\na=candidate:1 1 udp 1 10.0.0.1 5000 typ host\r\n')).toEqual({ ufrag: 'abc', pwd: 'def' });
    expect(fragmentCredentials('a=end-of-candidates\r\n')).toEqual({ ufrag: undefined, pwd: undefined });
    expect(restartFragment({ usernameFragment: 'u', password: 'p' })).toBe('a=ice-lite\r\na=ice-ufrag:u\r\na=ice-pwd:p\r\n');
  });
});
