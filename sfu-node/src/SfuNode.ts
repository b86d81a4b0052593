import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import type { Logger } from 'pino';
import { mediaCodecs, type SfuNodeConfig } from './config.ts';
import { AnswerRouter } from './AnswerRouter.ts';
import { Meter, type TickSink } from './Meter.ts';
import { preferredLayersFor, spatialLayerCount } from './layers.ts';
import {
  SfuError,
  type ConsumeOptions,
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
  type TransportOptions,
  type TransportParams,
} from './SfuControl.ts';
import { StreamRouter } from './StreamRouter.ts';
import { NodeRecorders } from './recording/NodeRecorders.ts';
import type { RecordingSummary } from '@vilokanam/contracts/control';
import type { NodeStreamHealth } from '@vilokanam/contracts/health';
import { StreamHealth } from './StreamHealth.ts';
import { watchTransportLifetime } from './TransportLifetime.ts';
import { WorkerPool } from './WorkerPool.ts';

/** mediasoup rejects malformed parameters with these; they are the caller's fault. */
function asCallerError(err: unknown): unknown {
  if (err instanceof TypeError || (err instanceof Error && err.name === 'UnsupportedError')) {
    return new SfuError('bad_request', err.message);
  }
  return err;
}

/** What one transport may carry: a stream has an audio and a video producer, a few spare. */
export const MAX_CONSUMERS_PER_TRANSPORT = 8;
const BITRATE_CACHE_MS = 1000;

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
  /** Viewer transports on a router of their own (a remote offerer's payload types), by transport id. */
  readonly #answers = new Map<string, AnswerRouter>();
  readonly meter: Meter | undefined;
  readonly recorders: NodeRecorders;
  readonly #health = new StreamHealth();
  #bitrate: { at: number; value: Promise<number> } | undefined;

  constructor(config: SfuNodeConfig, log: Logger, opts: { tickSink?: TickSink } = {}) {
    super();
    this.#config = config;
    this.#log = log;
    this.pool = new WorkerPool(config, log);
    this.recorders = new NodeRecorders(config.recording, log);
    if (opts.tickSink) {
      this.meter = new Meter(opts.tickSink, log.child({ component: 'meter' }), { producer: (id) => this.#producerAnywhere(id) });
    }
  }

  async start(): Promise<void> {
    await this.pool.start();
  }

  close(): void {
    this.meter?.close();
    void this.recorders.close();
    for (const stream of this.#streams.values()) stream.close();
    this.pool.close();
  }

  get streamIds(): string[] {
    return [...this.#streams.keys()];
  }

  async routerCapabilities(streamId: string): Promise<unknown> {
    return (await this.#stream(streamId)).router.rtpCapabilities;
  }

  async createTransport(streamId: string, direction: TransportDirection, opts: TransportOptions = {}): Promise<TransportParams> {
    let stream = await this.#stream(streamId);
    let answer: AnswerRouter | undefined;
    if (opts.remoteCapabilities !== undefined && direction === 'recv') {
      answer = await AnswerRouter.open(stream, this.#config, opts.remoteCapabilities);
      stream = answer.room;
    }
    const room = stream;
    const transport = await room.createTransport(direction);
    this.#byTransport.set(transport.id, room);
    if (answer) {
      this.#answers.set(transport.id, answer);
      transport.observer.once('close', () => {
        this.#answers.delete(transport.id);
        answer.close();
      });
    }
    if (opts.sessionId && direction === 'recv' && this.meter) {
      this.meter.watch(opts.sessionId, transport, () => room.consumersOn(transport.id));
    }
    transport.observer.once('close', () => this.#byTransport.delete(transport.id));
    watchTransportLifetime(transport, this.#config.connectTimeoutMs, (reason, state) => {
      this.#log.info({ streamId, transportId: transport.id, reason, state }, 'transport ended');
      this.emit('transportclose', { streamId, transportId: transport.id, reason });
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

  /** Resolves when the transport closes, however; at once if it is not open. */
  transportClosed(transportId: string): Promise<void> {
    const transport = this.#byTransport.get(transportId)?.transports.get(transportId)?.transport;
    if (!transport || transport.closed) return Promise.resolve();
    return new Promise((resolve) => transport.observer.once('close', () => resolve()));
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
    this.recorders.producersChanged(stream.streamId);
    this.#health.watch(producer);
    producer.observer.once('close', () => {
      stream.producers.delete(producer.id);
      this.#byProducer.delete(producer.id);
      this.recorders.producersChanged(stream.streamId);
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

  async consume(transportId: string, producerId: string, rtpCapabilities: unknown, opts: ConsumeOptions = {}): Promise<ConsumerParams> {
    const entry = this.#transport(transportId);
    if (entry.direction !== 'recv') throw new SfuError('forbidden', 'consume needs a recv transport');
    const stream = this.#byTransport.get(transportId)!;
    const answer = this.#answers.get(transportId);
    const producer = answer ? answer.producer(producerId) : stream.producers.get(producerId);
    if (!producer) {
      const codec = answer?.source.producers.get(producerId)?.rtpParameters.codecs[0]?.mimeType;
      if (codec) throw new SfuError('bad_request', `the offer cannot receive ${codec}, which this stream sends`);
      throw new SfuError('not_found', `producer ${producerId} not in this stream`);
    }
    const caps = rtpCapabilities as types.RtpCapabilities;
    let canConsume: boolean;
    try {
      canConsume = stream.router.canConsume({ producerId: producer.id, rtpCapabilities: caps });
    } catch (err) {
      throw asCallerError(err);
    }
    if (!canConsume) throw new SfuError('bad_request', 'rtpCapabilities cannot consume this producer');
    // One copy of a producer per transport, and a bound per transport, whatever the caller asks.
    const existing = stream.consumersOn(transportId);
    if (existing.some((c) => c.producerId === producer.id)) throw new SfuError('conflict', `producer ${producerId} is already consumed on this transport`);
    if (existing.length >= MAX_CONSUMERS_PER_TRANSPORT) throw new SfuError('conflict', `at most ${MAX_CONSUMERS_PER_TRANSPORT} consumers per transport`);

    // An answer router's payload types are the player's; its RTX types might not be, so no RTX there.
    const consumer = await entry.transport.consume({
      producerId: producer.id,
      rtpCapabilities: caps,
      paused: true,
      appData: { transportId },
      ...(opts.mid ? { mid: opts.mid } : {}),
      ...(answer ? { enableRtx: false } : {}),
    });
    const streamId = stream.streamId;
    stream.trackConsumer(consumer, transportId);
    this.#byConsumer.set(consumer.id, stream);
    consumer.observer.once('close', () => {
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

  /** What this node sees of the stream's publisher and viewers. */
  async streamHealth(streamId: string): Promise<NodeStreamHealth> {
    const stream = this.#streams.get(streamId);
    if (!stream) return { layers: [], viewersByLayer: {} };
    return this.#health.report(stream.producers.values(), stream.consumers.values());
  }

  /** Every stream's health on this node, for metrics. */
  async allStreamHealth(): Promise<NodeStreamHealth[]> {
    return Promise.all([...this.#streams.keys()].map((id) => this.streamHealth(id)));
  }

  /** Records the stream's producers on this node (its origin) into `recordingId`. */
  async startRecording(streamId: string, recordingId: string): Promise<void> {
    this.recorders.start(await this.#stream(streamId), recordingId);
  }

  /** Ends the stream's recording; undefined when none ran here. */
  async stopRecording(streamId: string): Promise<RecordingSummary | undefined> {
    return this.recorders.stop(streamId);
  }

  closeStream(streamId: string): void {
    void this.recorders.stop(streamId);
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
    if (stream.producers.has(params.producerId)) throw new SfuError('conflict', `producer ${params.producerId} already here`);
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

  /**
   * Counts are local and always current. The bitrate is estimated from one getStats per
   * producer (its received bitrate times its consumers here), so a load report costs IPC per
   * stream, not per viewer; reporters, metrics and placement ask often and together, so one
   * estimate serves a second.
   */
  async load(): Promise<SfuLoad> {
    let transports = 0;
    let producers = 0;
    let consumers = 0;
    const streams: SfuLoad['streams'] = {};
    for (const stream of this.#streams.values()) {
      transports += stream.transports.size;
      producers += stream.producers.size;
      consumers += stream.consumers.size;
      streams[stream.streamId] = { producers: stream.producers.size, consumers: stream.consumers.size };
    }
    return {
      workers: this.pool.slots.length,
      routers: this.#streams.size,
      transports,
      producers,
      consumers,
      bitrateOut: await this.#bitrateOut(),
      workerDeaths: this.pool.deaths,
      streams,
    };
  }

  #bitrateOut(): Promise<number> {
    const now = performance.now();
    if (this.#bitrate && now - this.#bitrate.at < BITRATE_CACHE_MS) return this.#bitrate.value;
    const bitrates: Promise<number>[] = [];
    for (const stream of this.#streams.values()) {
      const fanout = new Map<string, number>();
      for (const c of stream.consumers.values()) fanout.set(c.producerId, (fanout.get(c.producerId) ?? 0) + 1);
      for (const [id, n] of fanout) {
        const producer = stream.producers.get(id);
        if (!producer) continue;
        bitrates.push(producer.getStats().then((stats) => n * stats.reduce((sum, s) => sum + (s.bitrate ?? 0), 0), () => 0));
      }
    }
    const value = Promise.all(bitrates).then((all) => all.reduce((a, b) => a + b, 0));
    this.#bitrate = { at: now, value };
    return value;
  }

  /** A producer of a stream, or its copy in an answer router (metering reads either). */
  #producerAnywhere(id: string): types.Producer | undefined {
    const own = this.#byProducer.get(id)?.producers.get(id);
    if (own) return own;
    for (const answer of this.#answers.values()) {
      const p = answer.room.producers.get(id);
      if (p) return p;
    }
    return undefined;
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
