import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import type { Logger } from 'pino';
import { mediaCodecs, type SfuNodeConfig } from './config.ts';
import { Meter, type TickSink } from './Meter.ts';
import { preferredLayersFor, spatialLayerCount } from './layers.ts';
import {
  SfuError,
  type ConsumerParams,
  type MediaKind,
  type PipedProducerParams,
  type PipeRemote,
  type PipeTransportParams,
  type ProducerInfo,
  type SfuControl,
  type SfuControlEvents,
  type SfuLoad,
  type TransportDirection,
  type TransportParams,
} from './SfuControl.ts';
import { StreamRouter } from './StreamRouter.ts';
import { WorkerPool } from './WorkerPool.ts';

/** mediasoup rejects malformed parameters with these; they are the caller's fault. */
function asCallerError(err: unknown): unknown {
  if (err instanceof TypeError || (err instanceof Error && err.name === 'UnsupportedError')) {
    return new SfuError('bad_request', err.message);
  }
  return err;
}

/** The process around the mediasoup workers: one router per live stream. */
export class SfuNode extends EventEmitter<SfuControlEvents> implements SfuControl {
  readonly pool: WorkerPool;
  readonly #config: SfuNodeConfig;
  readonly #log: Logger;
  readonly #streams = new Map<string, StreamRouter>();
  readonly #pending = new Map<string, Promise<StreamRouter>>();
  readonly #byTransport = new Map<string, StreamRouter>();
  readonly #byProducer = new Map<string, StreamRouter>();
  readonly #byConsumer = new Map<string, StreamRouter>();
  readonly #byPipe = new Map<string, StreamRouter>();
  readonly meter: Meter | undefined;

  constructor(config: SfuNodeConfig, log: Logger, opts: { tickSink?: TickSink } = {}) {
    super();
    this.#config = config;
    this.#log = log;
    this.pool = new WorkerPool(config, log);
    if (opts.tickSink) this.meter = new Meter(opts.tickSink, log.child({ component: 'meter' }));
  }

  async start(): Promise<void> {
    await this.pool.start();
  }

  close(): void {
    this.meter?.close();
    for (const stream of this.#streams.values()) stream.close();
    this.pool.close();
  }

  get streamIds(): string[] {
    return [...this.#streams.keys()];
  }

  async routerCapabilities(streamId: string): Promise<unknown> {
    return (await this.#stream(streamId)).router.rtpCapabilities;
  }

  async createTransport(streamId: string, direction: TransportDirection, opts: { sessionId?: string } = {}): Promise<TransportParams> {
    const stream = await this.#stream(streamId);
    const transport = await stream.createTransport(direction);
    this.#byTransport.set(transport.id, stream);
    if (opts.sessionId && direction === 'recv' && this.meter) {
      this.meter.watch(opts.sessionId, transport, () =>
        [...stream.consumers.values()].filter((c) => c.appData.transportId === transport.id),
      );
    }
    transport.observer.once('close', () => this.#byTransport.delete(transport.id));
    transport.on('dtlsstatechange', (state) => {
      if (state === 'failed' || state === 'closed') {
        this.#log.warn({ streamId, transportId: transport.id, state }, 'transport dtls ended');
        transport.close();
        this.emit('transportclose', { streamId, transportId: transport.id, reason: 'dtls_failed' });
      }
    });
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
    };
  }

  async connectTransport(transportId: string, dtlsParameters: unknown): Promise<void> {
    const { transport } = this.#transport(transportId);
    try {
      await transport.connect({ dtlsParameters: dtlsParameters as types.DtlsParameters });
    } catch (err) {
      throw asCallerError(err);
    }
  }

  async restartIce(transportId: string): Promise<unknown> {
    return this.#transport(transportId).transport.restartIce();
  }

  closeTransport(transportId: string): void {
    this.#byTransport.get(transportId)?.transports.get(transportId)?.transport.close();
  }

  async produce(
    transportId: string,
    kind: MediaKind,
    rtpParameters: unknown,
    appData: Record<string, unknown> = {},
  ): Promise<{ id: string }> {
    const entry = this.#transport(transportId);
    if (entry.direction !== 'send') throw new SfuError('forbidden', 'produce needs a send transport');
    const stream = this.#byTransport.get(transportId)!;
    let producer: types.Producer;
    try {
      producer = await entry.transport.produce({
        kind,
        rtpParameters: rtpParameters as types.RtpParameters,
        keyFrameRequestDelay: this.#config.keyFrameRequestDelayMs,
        appData,
      });
    } catch (err) {
      throw asCallerError(err);
    }
    this.#trackProducer(stream, producer);
    this.#log.info({ streamId: stream.streamId, producerId: producer.id, kind }, 'producer created');
    return { id: producer.id };
  }

  #trackProducer(stream: StreamRouter, producer: types.Producer): void {
    stream.producers.set(producer.id, producer);
    this.#byProducer.set(producer.id, stream);
    producer.observer.once('close', () => {
      stream.producers.delete(producer.id);
      this.#byProducer.delete(producer.id);
      this.emit('producerclose', { streamId: stream.streamId, producerId: producer.id });
    });
  }

  closeProducer(producerId: string): void {
    this.#byProducer.get(producerId)?.producers.get(producerId)?.close();
  }

  async producers(streamId: string): Promise<ProducerInfo[]> {
    const stream = this.#streams.get(streamId);
    if (!stream) return [];
    return [...stream.producers.values()].map((p) => ({ producerId: p.id, kind: p.kind }));
  }

  async consume(transportId: string, producerId: string, rtpCapabilities: unknown): Promise<ConsumerParams> {
    const entry = this.#transport(transportId);
    if (entry.direction !== 'recv') throw new SfuError('forbidden', 'consume needs a recv transport');
    const stream = this.#byTransport.get(transportId)!;
    const producer = stream.producers.get(producerId);
    if (!producer) throw new SfuError('not_found', `producer ${producerId} not in this stream`);
    const caps = rtpCapabilities as types.RtpCapabilities;
    let canConsume: boolean;
    try {
      canConsume = stream.router.canConsume({ producerId, rtpCapabilities: caps });
    } catch (err) {
      throw asCallerError(err);
    }
    if (!canConsume) throw new SfuError('bad_request', 'rtpCapabilities cannot consume this producer');

    const consumer = await entry.transport.consume({ producerId, rtpCapabilities: caps, paused: true, appData: { transportId } });
    const streamId = stream.streamId;
    stream.consumers.set(consumer.id, consumer);
    this.#byConsumer.set(consumer.id, stream);
    consumer.observer.once('close', () => {
      stream.consumers.delete(consumer.id);
      this.#byConsumer.delete(consumer.id);
      this.emit('consumerclose', { streamId, transportId, consumerId: consumer.id });
    });
    consumer.on('layerschange', (layers) => {
      this.emit('consumerlayers', {
        consumerId: consumer.id,
        spatialLayer: layers?.spatialLayer ?? null,
        temporalLayer: layers?.temporalLayer ?? null,
      });
    });
    consumer.on('producerpause', () => this.emit('consumerpause', { consumerId: consumer.id, byProducer: true }));
    consumer.on('producerresume', () => this.emit('consumerresume', { consumerId: consumer.id }));

    return {
      id: consumer.id,
      producerId,
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters,
      layers: spatialLayerCount(consumer.rtpParameters.encodings?.[0]?.scalabilityMode),
    };
  }

  async resumeConsumer(consumerId: string): Promise<void> {
    const consumer = this.#consumer(consumerId);
    await consumer.resume();
    // A fresh viewer needs a keyframe now, not at the publisher's next periodic one.
    if (consumer.kind === 'video') await consumer.requestKeyFrame();
  }

  async pauseConsumer(consumerId: string): Promise<void> {
    await this.#consumer(consumerId).pause();
    // Signaling pauses consumers on its own too (overdraft): the player must hear of it.
    this.emit('consumerpause', { consumerId, byProducer: false });
  }

  async setConsumerLayer(consumerId: string, layer: 'auto' | number): Promise<void> {
    const consumer = this.#consumer(consumerId);
    if (consumer.kind !== 'video') throw new SfuError('bad_request', 'layers apply to video consumers only');
    let preferred;
    try {
      preferred = preferredLayersFor(layer, consumer.rtpParameters.encodings?.[0]?.scalabilityMode);
    } catch (err) {
      throw new SfuError('bad_request', (err as Error).message);
    }
    await consumer.setPreferredLayers(preferred);
    await consumer.requestKeyFrame();
  }

  closeStream(streamId: string): void {
    const stream = this.#streams.get(streamId);
    if (!stream) return;
    this.#streams.delete(streamId);
    stream.close();
    this.emit('streamclose', { streamId, reason: 'closed' });
  }

  async createPipeTransport(streamId: string): Promise<PipeTransportParams> {
    const stream = await this.#stream(streamId);
    const pipe = await stream.createPipeTransport();
    this.#byPipe.set(pipe.id, stream);
    pipe.observer.once('close', () => this.#byPipe.delete(pipe.id));
    return { id: pipe.id, ip: pipe.tuple.localAddress ?? pipe.tuple.localIp, port: pipe.tuple.localPort, srtpParameters: pipe.srtpParameters };
  }

  async connectPipeTransport(pipeTransportId: string, remote: PipeRemote): Promise<void> {
    const pipe = this.#pipe(pipeTransportId);
    try {
      await pipe.connect({ ip: remote.ip, port: remote.port, srtpParameters: remote.srtpParameters as types.SrtpParameters });
    } catch (err) {
      throw asCallerError(err);
    }
  }

  closePipeTransport(pipeTransportId: string): void {
    this.#byPipe.get(pipeTransportId)?.pipes.get(pipeTransportId)?.close();
  }

  async pipeConsume(pipeTransportId: string, producerId: string): Promise<PipedProducerParams> {
    const pipe = this.#pipe(pipeTransportId);
    const stream = this.#byPipe.get(pipeTransportId)!;
    const producer = stream.producers.get(producerId);
    if (!producer) throw new SfuError('not_found', `producer ${producerId} not in this stream`);
    const consumer = await pipe.consume({ producerId });
    return { producerId, kind: consumer.kind, rtpParameters: consumer.rtpParameters, paused: consumer.producerPaused };
  }

  async pipeProduce(pipeTransportId: string, params: PipedProducerParams): Promise<void> {
    const pipe = this.#pipe(pipeTransportId);
    const stream = this.#byPipe.get(pipeTransportId)!;
    if (stream.producers.has(params.producerId)) throw new SfuError('bad_request', `producer ${params.producerId} already here`);
    let producer: types.Producer;
    try {
      producer = await pipe.produce({
        id: params.producerId,
        kind: params.kind,
        rtpParameters: params.rtpParameters as types.RtpParameters,
        paused: params.paused,
        keyFrameRequestDelay: this.#config.keyFrameRequestDelayMs,
        appData: { piped: true },
      });
    } catch (err) {
      throw asCallerError(err);
    }
    this.#trackProducer(stream, producer);
    this.#log.info({ streamId: stream.streamId, producerId: producer.id, kind: producer.kind }, 'piped producer created');
  }

  async load(): Promise<SfuLoad> {
    let transports = 0;
    let producers = 0;
    let consumers = 0;
    const streams: SfuLoad['streams'] = {};
    const stats: Promise<types.WebRtcTransportStat[]>[] = [];
    for (const stream of this.#streams.values()) {
      transports += stream.transports.size;
      producers += stream.producers.size;
      consumers += stream.consumers.size;
      streams[stream.streamId] = { producers: stream.producers.size, consumers: stream.consumers.size };
      for (const { transport } of stream.transports.values()) {
        stats.push(transport.getStats().catch(() => []));
      }
    }
    const bitrateOut = (await Promise.all(stats)).flat().reduce((sum, s) => sum + (s.sendBitrate ?? 0), 0);
    return {
      workers: this.pool.slots.length,
      routers: this.#streams.size,
      transports,
      producers,
      consumers,
      bitrateOut,
      workerDeaths: this.pool.deaths,
      streams,
    };
  }

  async #stream(streamId: string): Promise<StreamRouter> {
    const existing = this.#streams.get(streamId);
    if (existing && !existing.closed) return existing;
    // Concurrent joins of a new stream must share one router.
    let pending = this.#pending.get(streamId);
    if (!pending) {
      pending = StreamRouter.create(streamId, this.pool.leastLoaded(), this.#config, mediaCodecs);
      this.#pending.set(streamId, pending);
    }
    try {
      const stream = await pending;
      if (this.#streams.get(streamId) !== stream) this.#adopt(stream);
      return stream;
    } finally {
      this.#pending.delete(streamId);
    }
  }

  #adopt(stream: StreamRouter): void {
    this.#streams.set(stream.streamId, stream);
    stream.router.on('workerclose', () => {
      if (this.#streams.get(stream.streamId) === stream) this.#streams.delete(stream.streamId);
      this.#log.warn({ streamId: stream.streamId, worker: stream.slot.index }, 'stream router lost with its worker');
      this.emit('streamclose', { streamId: stream.streamId, reason: 'worker_died' });
    });
    this.#log.info({ streamId: stream.streamId, worker: stream.slot.index }, 'router created');
  }

  #transport(transportId: string) {
    const entry = this.#byTransport.get(transportId)?.transports.get(transportId);
    if (!entry) throw new SfuError('not_found', `transport ${transportId} not found`);
    return entry;
  }

  #pipe(pipeTransportId: string): types.PipeTransport {
    const pipe = this.#byPipe.get(pipeTransportId)?.pipes.get(pipeTransportId);
    if (!pipe) throw new SfuError('not_found', `pipe transport ${pipeTransportId} not found`);
    return pipe;
  }

  #consumer(consumerId: string): types.Consumer {
    const consumer = this.#byConsumer.get(consumerId)?.consumers.get(consumerId);
    if (!consumer) throw new SfuError('not_found', `consumer ${consumerId} not found`);
    return consumer;
  }
}
