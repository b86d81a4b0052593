// A publisher without a browser: synthetic VP8 enters a worker of its own as plain RTP and
// leaves over an SRTP pipe, to a stream on any node (SfuControl) where it becomes an ordinary
// producer that viewers consume, or to any other pipe transport. Tests and benchmarks use it
// when the thing under test is the viewer side.
import dgram from 'node:dgram';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { mediaCodecs, type SfuControl } from '@vilokanam/sfu-node';
import { SOURCE_PT, SOURCE_SSRC, startVp8Source, type Vp8Source } from './vp8source.ts';

const listenInfo: types.TransportListenInfo = { protocol: 'udp', ip: '127.0.0.1' };

export interface PipeEnd {
  ip: string;
  port: number;
  srtpParameters: types.SrtpParameters;
}

export class Vp8PipeSource {
  /** This source's end of the pipe, for the receiving side to connect to. */
  readonly pipe: PipeEnd;
  readonly #worker: types.Worker;
  readonly #producer: types.Producer;
  readonly #out: types.PipeTransport;
  readonly #feed: Vp8Source;
  readonly #socket: dgram.Socket;

  private constructor(worker: types.Worker, producer: types.Producer, out: types.PipeTransport, feed: Vp8Source, socket: dgram.Socket) {
    this.#worker = worker;
    this.#producer = producer;
    this.#out = out;
    this.#feed = feed;
    this.#socket = socket;
    this.pipe = { ip: '127.0.0.1', port: out.tuple.localPort, srtpParameters: out.srtpParameters! };
  }

  /** Starts the worker and the real-time feed (~1.5 Mbit/s, 720p30 packet shape). */
  static async start(workerBin = process.env.MEDIASOUP_WORKER_BIN): Promise<Vp8PipeSource> {
    const worker = await mediasoup.createWorker({ workerBin, logLevel: 'warn' });
    try {
      const router = await worker.createRouter({ mediaCodecs });
      const plain = await router.createPlainTransport({ listenInfo, rtcpMux: true, comedia: true });
      const producer = await plain.produce({
        kind: 'video',
        rtpParameters: {
          codecs: [{ mimeType: 'video/VP8', payloadType: SOURCE_PT, clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] }],
          encodings: [{ ssrc: SOURCE_SSRC }],
        },
      });
      const socket = dgram.createSocket('udp4');
      await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
      const feed = startVp8Source(socket, plain.tuple.localPort);
      const out = await router.createPipeTransport({ listenInfo, enableSrtp: true, enableRtx: true });
      return new Vp8PipeSource(worker, producer, out, feed, socket);
    } catch (err) {
      worker.close();
      throw err;
    }
  }

  /** Starts a source and pipes it into `streamId` on `node`; resolves once the producer exists there. */
  static async into(node: SfuControl, streamId: string, workerBin?: string): Promise<Vp8PipeSource> {
    const source = await Vp8PipeSource.start(workerBin);
    try {
      await source.pipeInto(node, streamId);
      return source;
    } catch (err) {
      source.close();
      throw err;
    }
  }

  /** Pipes this source into `streamId` on `node`, through its control API. */
  async pipeInto(node: SfuControl, streamId: string): Promise<void> {
    const into = await node.createPipeTransport(streamId);
    const { producerId, rtpParameters } = await this.connect({ ip: into.ip, port: into.port, srtpParameters: into.srtpParameters as types.SrtpParameters });
    await node.connectPipeTransport(into.id, this.pipe);
    await node.pipeProduce(into.id, { producerId, kind: 'video', rtpParameters, paused: false });
  }

  get producerId(): string {
    return this.#producer.id;
  }

  /** Packets the feed has sent so far. */
  get sent(): number {
    return this.#feed.sent;
  }

  /** Sends into the remote pipe end; returns what the receiving side produces from. */
  async connect(remote: PipeEnd): Promise<{ producerId: string; rtpParameters: types.RtpParameters }> {
    await this.#out.connect(remote);
    const consumer = await this.#out.consume({ producerId: this.#producer.id });
    return { producerId: this.#producer.id, rtpParameters: consumer.rtpParameters };
  }

  close(): void {
    this.#feed.stop();
    this.#socket.close();
    this.#worker.close();
  }
}
