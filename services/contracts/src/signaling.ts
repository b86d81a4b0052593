// The signaling wire protocol, shared by the server and the browser.
// One WebSocket per tab; every frame is JSON with a protocol version `v`.
// Requests carry an `id` that the response echoes; notifications carry no id.
import { z } from 'zod';
import { requestEnvelope } from './envelope.ts';
import type { HTTP_STATUS } from './errors.ts';

export const PROTOCOL_VERSION = 1;

/** Quality choice a viewer makes: `auto` lets bandwidth estimation pick. */
export const LayerChoice = z.union([z.literal('auto'), z.number().int().min(0).max(2)]);
export type LayerChoice = z.infer<typeof LayerChoice>;

const Id = z.string().min(1).max(128);
// mediasoup validates RTP/DTLS parameters itself; here we only bound their shape and size.
const Params = z.record(z.string(), z.unknown());

export const RequestSchemas = {
  join: z.object({ token: z.string().min(1).max(4096) }),
  createTransport: z.object({ direction: z.enum(['send', 'recv']) }),
  connectTransport: z.object({ transportId: Id, dtlsParameters: Params }),
  restartIce: z.object({ transportId: Id }),
  produce: z.object({
    transportId: Id,
    kind: z.enum(['audio', 'video']),
    rtpParameters: Params,
    appData: z.record(z.string(), z.unknown()).optional(),
  }),
  closeProducer: z.object({ producerId: Id }),
  consume: z.object({ transportId: Id, producerId: Id, rtpCapabilities: Params }),
  resumeConsumer: z.object({ consumerId: Id }),
  /** A paused player: the server stops sending, and metering stops with it. */
  pauseConsumer: z.object({ consumerId: Id }),
  setLayer: z.object({ consumerId: Id, layer: LayerChoice }),
  stats: z.object({}),
  /** A viewer's picture freezes in the last minute, as its player saw them (stream health). */
  quality: z.object({ freezesLastMinute: z.number().int().min(0).max(600) }),
} as const;

export type RequestType = keyof typeof RequestSchemas;

/** Own keys only: `constructor`, `toString` or `__proto__` are as unknown as any other name. */
export function isRequestType(type: string): type is RequestType {
  return Object.hasOwn(RequestSchemas, type);
}
export type RequestData<T extends RequestType> = z.infer<(typeof RequestSchemas)[T]>;

export const RequestFrame = requestEnvelope(PROTOCOL_VERSION);
export type RequestFrame = z.infer<typeof RequestFrame>;

/** What a refused request was refused for; each code has its HTTP status in HTTP_STATUS. */
export type ErrorCode = keyof typeof HTTP_STATUS;

export interface ErrorBody {
  code: ErrorCode;
  message: string;
}

export type ResponseFrame =
  | { v: typeof PROTOCOL_VERSION; id: number; ok: true; data: unknown }
  | { v: typeof PROTOCOL_VERSION; id: number | null; ok: false; error: ErrorBody };

/** Server → client events. */
export interface NotificationMap {
  producerAdded: { producerId: string; kind: 'audio' | 'video' };
  producerClosed: { producerId: string };
  consumerClosed: { consumerId: string };
  consumerLayers: { consumerId: string; spatialLayer: number | null; temporalLayer: number | null };
  consumerPaused: { consumerId: string; byProducer: boolean };
  consumerResumed: { consumerId: string };
  viewers: { count: number };
  streamEnded: { reason: 'stopped' | 'publisher_left' };
  streamLive: Record<string, never>;
  /** The viewer's balance ran out: media is stopped until they top up and rejoin. */
  overdraft: { message: string; topUpUrl: string };
}

export type NotificationFrame = {
  [K in keyof NotificationMap]: { v: typeof PROTOCOL_VERSION; event: K; data: NotificationMap[K] };
}[keyof NotificationMap];

/** Response payloads, so both sides agree on shapes without casting. */
export interface ResponseMap {
  join: {
    role: Role;
    streamId: string;
    /** This tab's session: what metering bills and what proofs are fetched by. */
    sessionId: string;
    /** Planck per watched second, fixed for this session ("0": free). */
    pricePerSecond: string;
    routerRtpCapabilities: unknown;
    producers: { producerId: string; kind: 'audio' | 'video' }[];
    viewers: number;
  };
  createTransport: {
    id: string;
    iceParameters: unknown;
    iceCandidates: unknown[];
    dtlsParameters: unknown;
  };
  connectTransport: Record<string, never>;
  restartIce: { iceParameters: unknown };
  produce: { id: string };
  closeProducer: Record<string, never>;
  consume: {
    id: string;
    producerId: string;
    kind: 'audio' | 'video';
    rtpParameters: unknown;
    layers: number;
  };
  resumeConsumer: Record<string, never>;
  pauseConsumer: Record<string, never>;
  setLayer: Record<string, never>;
  stats: { transports: number; producers: number; consumers: number };
  quality: Record<string, never>;
}

export type Role = 'publisher' | 'viewer';

/** WebSocket close codes the server uses; clients reconnect unless told they were replaced. */
export const CloseCode = {
  /** The stream's media node (worker or transport) is gone: reconnect and rejoin. */
  mediaNodeLost: 4001,
  /** Another studio tab took over publishing: do not fight it. */
  replacedByNewPublisher: 4002,
  /** The socket did not join a stream in time. */
  joinTimeout: 4003,

} as const;

/** Stream as the REST API returns it. Never carries the stream key or its hash. */
export interface StreamView {
  id: string;
  title: string;
  category: string;
  status: 'created' | 'live' | 'ended';
  /** SS58 address of the creator the stream pays; null for a free stream nobody owns. */
  creator: string | null;
  /** The creator's account id (0x hex), to follow them; null as `creator` is. */
  creatorId: string | null;
  /** The creator's handle, for /c/<handle>; null until they choose one. */
  creatorHandle: string | null;
  /** Free tags the creator added; the category is a slug from GET /api/v1/categories. */
  tags: string[];
  /** Planck per watched second, as a decimal string (u128 does not fit a JSON number). */
  pricePerSecond: string;
  /** Recorded while live; the recording becomes a VOD when the stream ends. */
  recording: boolean;
  viewers: number;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
}
