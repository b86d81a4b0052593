// What signaling replicas tell one another about their streams (HubBus). Redis is shared
// infrastructure, so every message is parsed with this schema on arrival and anything else is
// counted and dropped; what a message claims about a stream's state is checked against the
// database before a replica acts on it (StreamHub).
import { z } from 'zod';

const StreamId = z.uuid();
/** A replica's id: the pod's host name and a random suffix, so a restarted pod is a new replica. */
export const ReplicaId = z.string().regex(/^[A-Za-z0-9._-]{1,128}$/);
/** No stream has more viewers than this on one replica; a bigger figure is a forgery. */
const Viewers = z.number().int().min(0).max(10_000_000);
/** When a publisher joined, in ms since the epoch. */
const Since = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
/** Streams one heartbeat may list: far more than one replica serves. */
const MAX_STREAMS_PER_HEARTBEAT = 100_000;

const Body = z.discriminatedUnion('t', [
  /** Every few seconds: the replica is alive, and these are its viewers per stream (absent: none) and its publishers. */
  z.object({
    t: z.literal('alive'),
    viewers: z.record(StreamId, Viewers).refine((v) => Object.keys(v).length <= MAX_STREAMS_PER_HEARTBEAT, 'too many streams'),
    /** The streams whose publisher is connected there, with when it joined. */
    publishers: z.record(StreamId, Since).refine((v) => Object.keys(v).length <= MAX_STREAMS_PER_HEARTBEAT, 'too many streams'),
  }),
  /** The replica is shutting down: forget its viewers and publishers now rather than at the timeout. */
  z.object({ t: z.literal('gone') }),
  /** The replica's own viewers of one stream changed. */
  z.object({ t: z.literal('viewers'), streamId: StreamId, count: Viewers }),
  /** The stream's publisher joined this replica (it holds the stream's lease since `since`), or left it. */
  z.object({ t: z.literal('publisher'), streamId: StreamId, present: z.boolean(), since: Since }),
  /** A producer can be consumed on a node: viewers there may consume it. */
  z.object({
    t: z.literal('producer'),
    streamId: StreamId,
    nodeId: z.string().min(1).max(253),
    producerId: z.string().min(1).max(128),
    kind: z.enum(['audio', 'video']),
  }),
  z.object({ t: z.literal('live'), streamId: StreamId }),
  z.object({ t: z.literal('ended'), streamId: StreamId, reason: z.enum(['stopped', 'publisher_left']) }),
]);

export const HubMessage = z.intersection(z.object({ replica: ReplicaId }), Body);
export type HubMessage = z.infer<typeof HubMessage>;
/** What a replica says; the bus adds who says it. */
export type HubMessageBody = z.infer<typeof Body>;

/** The pub/sub channel of one fleet's signaling replicas. */
export function hubChannel(fleet: string): string {
  return `vilo:hub:${fleet}`;
}
