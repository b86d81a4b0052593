import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { types } from 'mediasoup';
import { freeUdpPortPair } from './ports.ts';
import { recorderSdp, type RecordedTrack } from './recorderSdp.ts';

export interface RecordingPartOptions {
  dir: string;
  ffmpeg: string;
  /** Target HLS segment length; segments cut at the first keyframe after it. */
  segmentSeconds: number;
  /** How often the part asks the publisher for a keyframe, so every segment can start on one. */
  keyFrameIntervalMs: number;
}

/**
 * One unbroken run of a stream's producers, remuxed without transcoding: a PlainTransport per
 * producer sends RTP to ffmpeg, which writes fragmented-MP4 HLS (init.mp4, seg*.m4s,
 * index.m3u8) into its own directory. When the publisher drops, the part ends cleanly; the
 * next run is a new part, and the VOD joins them with a discontinuity.
 */
export class RecordingPart {
  readonly name: string;
  readonly dir: string;
  readonly startedAt = Date.now();
  readonly #transports: types.PlainTransport[] = [];
  readonly #consumers: types.Consumer[] = [];
  readonly #log: Logger;
  #ffmpeg: ChildProcess | undefined;
  #exited: Promise<number | null> = Promise.resolve(null);
  #keyFrames: NodeJS.Timeout | undefined;
  #stopping = false;

  private constructor(name: string, dir: string, log: Logger) {
    this.name = name;
    this.dir = dir;
    this.#log = log;
  }

  static async start(router: types.Router, producers: types.Producer[], opts: RecordingPartOptions, log: Logger): Promise<RecordingPart> {
    const name = `part-${Date.now().toString(36)}`;
    const part = new RecordingPart(name, path.join(opts.dir, name), log.child({ part: name }));
    try {
      await part.#open(router, producers, opts);
    } catch (err) {
      await part.stop();
      throw err;
    }
    return part;
  }

  get producerIds(): string[] {
    return this.#consumers.map((c) => c.producerId);
  }

  async #open(router: types.Router, producers: types.Producer[], opts: RecordingPartOptions): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const tracks: RecordedTrack[] = [];
    for (const producer of producers) {
      const port = await freeUdpPortPair();
      const transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: false, comedia: false });
      this.#transports.push(transport);
      await transport.connect({ ip: '127.0.0.1', port, rtcpPort: port + 1 });
      const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities, paused: true });
      this.#consumers.push(consumer);
      // The best layer of a simulcast publisher is the recording.
      if (consumer.type === 'simulcast') await consumer.setPreferredLayers({ spatialLayer: 2, temporalLayer: 2 });
      tracks.push({ kind: consumer.kind, port, rtpParameters: consumer.rtpParameters });
    }
    const sdpPath = path.join(this.dir, 'input.sdp');
    await writeFile(sdpPath, recorderSdp(tracks));
    this.#spawn(sdpPath, opts);
    for (const consumer of this.#consumers) await consumer.resume();
    const keyFrame = () => {
      for (const c of this.#consumers) if (c.kind === 'video' && !c.closed) void c.requestKeyFrame().catch(() => {});
    };
    keyFrame();
    this.#keyFrames = setInterval(keyFrame, opts.keyFrameIntervalMs).unref();
  }

  #spawn(sdpPath: string, opts: RecordingPartOptions): void {
    const args = [
      '-nostdin', '-hide_banner', '-loglevel', 'error',
      '-protocol_whitelist', 'file,udp,rtp',
      '-fflags', '+genpts', '-analyzeduration', '5M', '-probesize', '5M', '-listen_timeout', '3',
      '-i', sdpPath,
      '-map', '0', '-c', 'copy',
      '-f', 'hls', '-hls_time', String(opts.segmentSeconds), '-hls_list_size', '0',
      '-hls_playlist_type', 'event', '-hls_segment_type', 'fmp4',
      '-hls_flags', 'independent_segments+temp_file',
      '-hls_fmp4_init_filename', 'init.mp4',
      '-hls_segment_filename', path.join(this.dir, 'seg%05d.m4s'),
      path.join(this.dir, 'index.m3u8'),
    ];
    const ffmpeg = spawn(opts.ffmpeg, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#ffmpeg = ffmpeg;
    let stderr = '';
    ffmpeg.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4096);
    });
    this.#exited = new Promise((resolve) => {
      ffmpeg.once('error', (err) => {
        this.#log.error({ err }, 'ffmpeg could not start');
        resolve(null);
      });
      ffmpeg.once('exit', (code, signal) => {
        if (!this.#stopping && code !== 0) this.#log.error({ code, signal, stderr }, 'ffmpeg exited while recording');
        else if (code !== 0 && code !== 255) this.#log.warn({ code, signal, stderr }, 'ffmpeg ended with an error');
        resolve(code);
      });
    });
  }

  /** The pid of the part's ffmpeg, for CPU accounting. */
  get pid(): number | undefined {
    return this.#ffmpeg?.pid;
  }

  /**
   * Ends the run; ffmpeg writes its last segment and the playlist's end. A signal does not
   * break ffmpeg out of a blocked read: after a publisher drops, its silence timeout
   * (`-listen_timeout`) ends it instead, as cleanly.
   */
  async stop(): Promise<void> {
    if (this.#stopping) return this.#exited.then(() => undefined);
    this.#stopping = true;
    clearInterval(this.#keyFrames);
    const ffmpeg = this.#ffmpeg;
    if (ffmpeg && ffmpeg.exitCode === null && ffmpeg.signalCode === null) {
      ffmpeg.kill('SIGINT');
      const killer = setTimeout(() => ffmpeg.kill('SIGKILL'), 8000).unref();
      await this.#exited;
      clearTimeout(killer);
    }
    for (const t of this.#transports) t.close();
  }
}
