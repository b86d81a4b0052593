import { spawn, type ChildProcess } from 'node:child_process';
import type { types } from 'mediasoup';

export interface FfmpegRtpSourceOptions {
  /** Video bitrate, bits/s. */
  bitrate?: number;
  fps?: number;
  width?: number;
  height?: number;
  /** Keyframe interval in seconds, as an encoder like OBS is set. */
  keyFrameSeconds?: number;
  ffmpeg?: string;
}

const VIDEO = { ssrc: 22222222, pt: 102 };
const AUDIO = { ssrc: 11111111, pt: 100 };

/**
 * An encoder like OBS's: ffmpeg draws a test pattern and a tone, encodes H.264 (x264,
 * constrained baseline) and Opus, and sends them as RTP into PlainTransport producers on
 * `router`, so recording and health can be measured against a real, steady publisher.
 */
export class FfmpegRtpSource {
  readonly producers: types.Producer[];
  readonly #transports: types.PlainTransport[];
  readonly #ffmpeg: ChildProcess;

  private constructor(producers: types.Producer[], transports: types.PlainTransport[], ffmpeg: ChildProcess) {
    this.producers = producers;
    this.#transports = transports;
    this.#ffmpeg = ffmpeg;
  }

  static async start(router: types.Router, opts: FfmpegRtpSourceOptions = {}): Promise<FfmpegRtpSource> {
    const fps = opts.fps ?? 30;
    const listenInfo = { protocol: 'udp' as const, ip: '127.0.0.1' };
    const videoT = await router.createPlainTransport({ listenInfo, rtcpMux: false, comedia: true });
    const audioT = await router.createPlainTransport({ listenInfo, rtcpMux: false, comedia: true });
    const video = await videoT.produce({
      kind: 'video',
      rtpParameters: {
        codecs: [{ mimeType: 'video/H264', clockRate: 90000, payloadType: VIDEO.pt, parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 }, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] }],
        encodings: [{ ssrc: VIDEO.ssrc }],
      },
    });
    const audio = await audioT.produce({
      kind: 'audio',
      rtpParameters: { codecs: [{ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: AUDIO.pt }], encodings: [{ ssrc: AUDIO.ssrc }] },
    });
    const url = (t: types.PlainTransport) => `rtp://127.0.0.1:${t.tuple.localPort}?rtcpport=${t.rtcpTuple?.localPort ?? t.tuple.localPort}&pkt_size=1200`;
    const bitrate = opts.bitrate ?? 1_500_000;
    const args = [
      '-nostdin', '-hide_banner', '-loglevel', 'error', '-re',
      '-f', 'lavfi', '-i', `testsrc2=size=${opts.width ?? 1280}x${opts.height ?? 720}:rate=${fps}`,
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-map', '0:v', '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p',
      '-b:v', String(bitrate), '-maxrate', String(bitrate), '-bufsize', String(bitrate), '-g', String(fps * (opts.keyFrameSeconds ?? 2)), '-bsf:v', 'dump_extra',
      '-f', 'rtp', '-ssrc', String(VIDEO.ssrc), '-payload_type', String(VIDEO.pt), url(videoT),
      '-map', '1:a', '-c:a', 'libopus', '-b:a', '64k', '-ac', '2',
      '-f', 'rtp', '-ssrc', String(AUDIO.ssrc), '-payload_type', String(AUDIO.pt), url(audioT),
    ];
    const ffmpeg = spawn(opts.ffmpeg ?? 'ffmpeg', args, { stdio: ['ignore', 'ignore', 'inherit'] });
    return new FfmpegRtpSource([audio, video], [audioT, videoT], ffmpeg);
  }

  /** The encoder's pid, to set its CPU apart from the recorder's. */
  get pid(): number | undefined {
    return this.#ffmpeg.pid;
  }

  /** The encoder stops and its producers close, as when OBS loses its connection. */
  stop(): void {
    this.#ffmpeg.kill('SIGKILL');
    for (const t of this.#transports) t.close();
  }
}
