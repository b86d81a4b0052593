// The routing table entry the operator mirrors to Redis for signaling: where a stream's origin
// and edges are and how to reach them. docs/kubernetes.md documents the format; signaling
// parses it with StreamRoute so a format change breaks loudly on both sides.
import { z } from 'zod';

export const ROUTE_KEY_PREFIX = 'vilo:route:';
/** Every set or delete of a route key is announced here (message: the route JSON, or a tombstone). */
export const ROUTE_CHANNEL = 'vilo:routes';

export const routeKey = (streamId: string) => ROUTE_KEY_PREFIX + streamId;

const RouteNode = z.object({
  pod: z.string(),
  node: z.string(),
  address: z.string(),
  /** sfu-node control channel (http://host:port; signaling connects ws://…/control). */
  controlUrl: z.string(),
});

export const StreamRoute = z.object({
  v: z.literal(1),
  streamId: z.string(),
  namespace: z.string(),
  /** LiveStream metadata.generation the route was computed for. */
  generation: z.number().int(),
  phase: z.string(),
  origin: RouteNode,
  edges: z.array(
    RouteNode.extend({
      parent: z.string(),
      /** A draining node keeps its viewers but must get no new ones. */
      draining: z.boolean(),
    }),
  ),
  policy: z.object({ viewersPerEdge: z.number().int(), maxViewers: z.number().int() }),
  ingest: z.enum(['webrtc', 'whip']),
  simulcast: z.array(z.object({ rid: z.string(), scaleResolutionDownBy: z.number(), maxBitrate: z.number(), maxFramerate: z.number().optional() })),
  pricePerSecond: z.string(),
  updatedAt: z.number().int(),
});
export type StreamRoute = z.infer<typeof StreamRoute>;

export const RouteTombstone = z.object({ v: z.literal(1), streamId: z.string(), deleted: z.literal(true) });
export type RouteTombstone = z.infer<typeof RouteTombstone>;

/** Parses a channel message: a route, or a tombstone for a route that is gone. */
export function parseRouteMessage(json: string): StreamRoute | RouteTombstone {
  const value: unknown = JSON.parse(json);
  const tomb = RouteTombstone.safeParse(value);
  return tomb.success ? tomb.data : StreamRoute.parse(value);
}
