import type { types } from 'mediasoup';

export interface RecordedTrack {
  kind: types.MediaKind;
  /** ffmpeg's RTP port; RTCP is the next one. */
  port: number;
  rtpParameters: types.RtpParameters;
}

/** The SDP ffmpeg reads to receive a part's consumers from their PlainTransports. */
export function recorderSdp(tracks: RecordedTrack[]): string {
  const lines = ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=vilokanam recording', 'c=IN IP4 127.0.0.1', 't=0 0'];
  for (const track of tracks) {
    const codec = track.rtpParameters.codecs[0];
    if (!codec) throw new Error(`the ${track.kind} consumer has no codec`);
    const [, name] = codec.mimeType.split('/');
    const channels = codec.channels && codec.channels > 1 ? `/${codec.channels}` : '';
    lines.push(`m=${track.kind} ${track.port} RTP/AVP ${codec.payloadType}`);
    lines.push(`a=rtpmap:${codec.payloadType} ${name}/${codec.clockRate}${channels}`);
    const fmtp = Object.entries(codec.parameters ?? {}).map(([k, v]) => `${k}=${v}`).join(';');
    if (fmtp) lines.push(`a=fmtp:${codec.payloadType} ${fmtp}`);
    lines.push('a=recvonly');
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Video codecs fragmented MP4 carries and browsers' MSE plays; VP8 in MP4 plays nowhere. */
export function recordable(mimeType: string): boolean {
  return ['video/h264', 'video/vp9', 'video/av1', 'audio/opus'].includes(mimeType.toLowerCase());
}
