// The typed control API that signaling calls. Every argument and result is plain JSON, so
// the same contract serves the in-process SfuNode (embedded mode) and a remote node.
import type { EventEmitter } from 'node:events';
import type { ControlErrorCode, ControlEventMap, RecordingSummary } from '@vilokanam/contracts/control';
import { VilokanamError } from '@vilokanam/contracts/errors';
import type { NodeStreamHealth } from '@vilokanam/contracts/health';
import type { SfuLoad } from '@vilokanam/contracts/fleet';

export type MediaKind = 'audio' | 'video';
export type TransportDirection = 'send' | 'recv';

export interface TransportParams {
  id: string;
  iceParameters: unknown;
  iceCandidates: unknown[];
  dtlsParameters: unknown;
}

export interface ConsumerParams {
  id: string;
  producerId: string;
  kind: MediaKind;
  rtpParameters: unknown;
  /** Spatial layers the viewer can choose from. */
  layers: number;
}

export interface TransportOptions {
  /** A recv transport with a `sessionId` is metered: one tick per second of real media. */
  sessionId?: string;
  /**
   * A recv transport for a player that made the offer (WHEP): its consumers use the player's
   * payload types, from these capabilities (mediasoup-client's RtpCapabilities shape).
   */
  remoteCapabilities?: unknown;
}

export interface ConsumeOptions {
  mid?: string;
}

export interface ProducerInfo {
  producerId: string;
  kind: MediaKind;
}

/** One end of an origin→edge media pipe: a PipeTransport with SRTP. */
export interface PipeTransportParams {
  id: string;
  ip: string;
  port: number;
  srtpParameters: unknown;
}

export interface PipeRemote {
  ip: string;
  port: number;
  srtpParameters: unknown;
}

/** What an edge needs to re-create an origin producer behind a pipe. */
export interface PipedProducerParams {
  producerId: string;
  kind: MediaKind;
  rtpParameters: unknown;
  paused: boolean;
}

export type { SfuLoad, StreamLoad } from '@vilokanam/contracts/fleet';

/** What a node emits: the control channel's events, plus the channel's own up and down. */
export type SfuControlEvents = ControlEventMap & {
  /** Remote nodes only: the control channel came up or dropped (every stream on it is lost). */
  nodeup: [{ nodeId: string }];
  nodedown: [{ nodeId: string }];
};

export interface SfuControl extends EventEmitter<SfuControlEvents> {
  routerCapabilities(streamId: string): Promise<unknown>;
  createTransport(streamId: string, direction: TransportDirection, opts?: TransportOptions): Promise<TransportParams>;
  connectTransport(transportId: string, dtlsParameters: unknown): Promise<void>;
  restartIce(transportId: string): Promise<unknown>;
  closeTransport(transportId: string): void;
  produce(transportId: string, kind: MediaKind, rtpParameters: unknown, appData?: Record<string, unknown>): Promise<{ id: string }>;
  closeProducer(producerId: string): void;
  producers(streamId: string): Promise<ProducerInfo[]>;
  /** `mid`: the media section the consumer answers (WHEP); by default one is assigned. */
  consume(transportId: string, producerId: string, rtpCapabilities: unknown, opts?: ConsumeOptions): Promise<ConsumerParams>;
  resumeConsumer(consumerId: string): Promise<void>;
  /** A paused player: media stops, and so does metering. */
  pauseConsumer(consumerId: string): Promise<void>;
  setConsumerLayer(consumerId: string, layer: 'auto' | number): Promise<void>;
  /** Records the stream's producers on this node (its origin) until stopRecording. */
  startRecording(streamId: string, recordingId: string): Promise<void>;
  stopRecording(streamId: string): Promise<RecordingSummary | undefined>;
  /** The publisher's layers as this node receives them, and its viewers by layer. */
  streamHealth(streamId: string): Promise<NodeStreamHealth>;
  closeStream(streamId: string): void;
  load(): Promise<SfuLoad>;
  // Cascade: pipes carry a stream's producers from its origin node to an edge node.
  createPipeTransport(streamId: string): Promise<PipeTransportParams>;
  connectPipeTransport(pipeTransportId: string, remote: PipeRemote): Promise<void>;
  closePipeTransport(pipeTransportId: string): void;
  /** On the sending node: consume a producer into the pipe. */
  pipeConsume(pipeTransportId: string, producerId: string): Promise<PipedProducerParams>;
  /** On the receiving node: re-create the producer, under the same id, from the pipe. */
  pipeProduce(pipeTransportId: string, params: PipedProducerParams): Promise<void>;
}

/** A control-API failure caused by the caller, mapped to a 4xx / error frame upstream. */
export class SfuError extends VilokanamError<Exclude<ControlErrorCode, 'internal'>> {}
