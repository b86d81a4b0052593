// A publisher without a browser: synthetic VP8 enters a worker of its own as plain RTP and
// leaves over an SRTP pipe into a stream on any node (SfuControl), where it becomes an
// ordinary producer that viewers consume. Tests and benchmarks use it when the thing under
// test is the viewer side.
import dgram from 'node:dgram';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { mediaCodecs } from '../config.ts';
import type { SfuControl } from '../SfuControl.ts';
import { SOURCE_PT, SOURCE_SSRC, startVp8Source, type Vp8Source } from './vp8source.ts';

const listenInfo: types.TransportListenInfo = { protocol: 'udp', ip: '127.0.0.1' };

export class Vp8PipeSource {
  readonly producerId: string;
  readonly #worker: types.Worker;
  readonly #feed: Vp8Source;
  readonly #socket: dgram.Socket;

  private constructor(producerId: string, worker: types.Worker, feed: Vp8Source, socket: dgram.Socket) {
    this.producerId = producerId;
    this.#worker = worker;
    this.#feed = feed;
    this.#socket = socket;
  }

  /** Starts the feed and pipes it into `streamId` on `node`; resolves once the producer exists there. */
  static async into(node: SfuControl, streamId: string, workerBin = process.env.MEDIASOUP_WORKER_BIN): Promise<Vp8PipeSource> {
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
      const into = await node.createPipeTransport(streamId);
      await out.connect({ ip: into.ip, port: into.port, srtpParameters: into.srtpParameters as types.SrtpParameters });
      await node.connectPipeTransport(into.id, { ip: '127.0.0.1', port: out.tuple.localPort, srtpParameters: out.srtpParameters });
      const consumer = await out.consume({ producerId: producer.id });
      await node.pipeProduce(into.id, { producerId: producer.id, kind: 'video', rtpParameters: consumer.rtpParameters, paused: false });
      return new Vp8PipeSource(producer.id, worker, feed, socket);
    } catch (err) {
      worker.close();
      throw err;
    }
  }

  /** Packets the feed has sent so far. */
  get sent(): number {
    return this.#feed.sent;
  }

  close(): void {
    this.#feed.stop();
    this.#socket.close();
    this.#worker.close();
  }
}
