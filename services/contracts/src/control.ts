// The sfu-node control channel: SfuControl methods with their arguments as a tuple, the
// replies, and the events a node pushes. Both ends parse every frame with these schemas; a
// frame that fails is refused (node side) or dropped and counted (caller side).
import { z } from 'zod';

const Id = z.string().min(1).max(128);
const Json = z.unknown();
const Ip = z.string().min(1).max(64);
const Port = z.number().int().min(1).max(65535);

/**
 * Pipe SRTP parameters never cross the channel in the clear: both ends seal them
 * (AES-256-GCM, sfu-node's PipeSeal) as `v1.<iv>.<ciphertext>.<tag>`, base64url.
 */
export const SEALED_SRTP_VERSION = 'v1';
export const SealedSrtp = z.string().max(1024).regex(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'sealed SRTP parameters');
const Remote = z.object({ ip: Ip, port: Port, srtpParameters: SealedSrtp });
/** A node's answer to createPipeTransport: its end of the pipe, SRTP parameters sealed. */
export const PipeTransportReply = z.object({ id: Id, ip: Ip, port: Port, srtpParameters: SealedSrtp });
const Piped = z.object({
  producerId: Id,
  kind: z.enum(['audio', 'video']),
  rtpParameters: Json,
  paused: z.boolean(),
});
/** What a metered recv transport carries: the viewer session its seconds are billed to. */
const TransportOptions = z.object({ sessionId: Id.optional(), remoteCapabilities: Json.optional() });

export const ControlMethods = {
  routerCapabilities: z.tuple([Id]),
  createTransport: z.union([z.tuple([Id, z.enum(['send', 'recv'])]), z.tuple([Id, z.enum(['send', 'recv']), TransportOptions])]),
  connectTransport: z.tuple([Id, Json]),
  restartIce: z.tuple([Id]),
  closeTransport: z.tuple([Id]),
  produce: z.tuple([Id, z.enum(['audio', 'video']), Json, z.record(z.string(), z.unknown()).optional()]),
  closeProducer: z.tuple([Id]),
  producers: z.tuple([Id]),
  consume: z.union([z.tuple([Id, Id, Json]), z.tuple([Id, Id, Json, z.object({ mid: z.string().min(1).max(32).optional() })])]),
  resumeConsumer: z.tuple([Id]),
  pauseConsumer: z.tuple([Id]),
  setConsumerLayer: z.tuple([Id, z.union([z.literal('auto'), z.number().int().min(0).max(2)])]),
  closeStream: z.tuple([Id]),
  load: z.tuple([]),
  createPipeTransport: z.tuple([Id]),
  /** The third element is the pipe grant the node verifies before connecting. */
  connectPipeTransport: z.tuple([Id, Remote, z.string().min(1).max(2048)]),
  closePipeTransport: z.tuple([Id]),
  pipeConsume: z.tuple([Id, Id]),
  pipeProduce: z.tuple([Id, Piped]),
  startRecording: z.tuple([Id, z.uuid()]),
  stopRecording: z.tuple([Id]),
  streamHealth: z.tuple([Id]),
} as const;

/** What a node says of a recording it stopped: its parts, in order, and codecs it could not keep. */
export const RecordingSummary = z.object({
  recordingId: z.uuid(),
  parts: z.array(z.string().regex(/^part-[0-9a-z]{1,16}$/)).max(10_000),
  skipped: z.array(z.string().max(64)).max(16),
});
export type RecordingSummary = z.infer<typeof RecordingSummary>;

export type ControlMethod = keyof typeof ControlMethods;

/** Own keys only: `constructor` or `__proto__` must be as unknown as any other name. */
export function isControlMethod(name: string): name is ControlMethod {
  return Object.hasOwn(ControlMethods, name);
}

export const ControlRequest = z.object({ id: z.number().int().nonnegative(), method: z.string().max(64), params: z.array(z.unknown()).max(8) });
export type ControlRequest = z.infer<typeof ControlRequest>;

export const ControlErrorCode = z.enum(['not_found', 'bad_request', 'forbidden', 'conflict', 'internal']);
export type ControlErrorCode = z.infer<typeof ControlErrorCode>;

export const ControlReply = z.discriminatedUnion('ok', [
  z.object({ id: z.number().int().nonnegative(), ok: z.literal(true), data: Json }),
  z.object({ id: z.number().int().nonnegative().nullable(), ok: z.literal(false), error: z.object({ code: ControlErrorCode, message: z.string().max(4096) }) }),
]);
export type ControlReply = z.infer<typeof ControlReply>;

/** Why a node closed a transport by itself. */
export const TransportCloseReason = z.enum(['dtls_failed', 'router_closed', 'connect_timeout', 'ice_lost']);
export type TransportCloseReason = z.infer<typeof TransportCloseReason>;
/** Why a stream's router went away on a node. */
export const StreamCloseReason = z.enum(['worker_died', 'closed']);
export type StreamCloseReason = z.infer<typeof StreamCloseReason>;

const Layer = z.number().int().min(0).max(15).nullable();

/** Events a node pushes to every control channel, by name. */
export const ControlEvents = {
  producerclose: z.object({ streamId: Id, producerId: Id }),
  consumerclose: z.object({ streamId: Id, transportId: Id, consumerId: Id }),
  consumerlayers: z.object({ consumerId: Id, spatialLayer: Layer, temporalLayer: Layer }),
  consumerpause: z.object({ consumerId: Id, byProducer: z.boolean() }),
  consumerresume: z.object({ consumerId: Id }),
  transportclose: z.object({ streamId: Id, transportId: Id, reason: TransportCloseReason }),
  /** The stream's router is gone (its worker died): every client of it must rejoin. */
  streamclose: z.object({ streamId: Id, reason: StreamCloseReason }),
} as const;

export type ControlEvent = keyof typeof ControlEvents;
export type ControlEventMap = { [K in ControlEvent]: [z.infer<(typeof ControlEvents)[K]>] };

export function isControlEvent(name: string): name is ControlEvent {
  return Object.hasOwn(ControlEvents, name);
}

export const ControlEventFrame = z.object({ event: z.string().max(64), data: Json });
export type ControlEventFrame = z.infer<typeof ControlEventFrame>;

/** Parses a node's event frame: undefined for an unknown event or a malformed payload. */
export function parseControlEvent(frame: ControlEventFrame): { [K in ControlEvent]: { event: K; data: ControlEventMap[K][0] } }[ControlEvent] | undefined {
  if (!isControlEvent(frame.event)) return undefined;
  const data = ControlEvents[frame.event].safeParse(frame.data);
  return data.success ? ({ event: frame.event, data: data.data } as never) : undefined;
}
