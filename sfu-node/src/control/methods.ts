// The control channel's wire contract: SfuControl methods with their arguments as a tuple.
import { z } from 'zod';

const Id = z.string().min(1).max(128);
const Json = z.unknown();
const Remote = z.object({ ip: z.string().min(1).max(64), port: z.number().int().min(1).max(65535), srtpParameters: Json });
const Piped = z.object({
  producerId: Id,
  kind: z.enum(['audio', 'video']),
  rtpParameters: Json,
  paused: z.boolean(),
});

export const ControlMethods = {
  routerCapabilities: z.tuple([Id]),
  createTransport: z.union([z.tuple([Id, z.enum(['send', 'recv'])]), z.tuple([Id, z.enum(['send', 'recv']), z.object({ sessionId: Id.optional() })])]),
  connectTransport: z.tuple([Id, Json]),
  restartIce: z.tuple([Id]),
  closeTransport: z.tuple([Id]),
  produce: z.tuple([Id, z.enum(['audio', 'video']), Json, z.record(z.string(), z.unknown()).optional()]),
  closeProducer: z.tuple([Id]),
  producers: z.tuple([Id]),
  consume: z.tuple([Id, Id, Json]),
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
} as const;

export type ControlMethod = keyof typeof ControlMethods;

export const ControlRequest = z.object({ id: z.number().int().nonnegative(), method: z.string().max(64), params: z.array(z.unknown()).max(8) });

export type ControlReply =
  | { id: number; ok: true; data: unknown }
  | { id: number | null; ok: false; error: { code: string; message: string } };

export interface ControlEventFrame {
  event: string;
  data: unknown;
}
