// What every sfu-node reports to Redis (its LoadReporter), read by signaling's RedisFleet
// and the operator's NodeReports. Anything that can reach Redis can publish here, so readers
// parse every report with NodeReport and drop the rest.
import { z } from 'zod';

/** The default fleet's names; other fleets on the same Redis get their own. */
export const REPORT_KEY_PREFIX = 'vilo:sfu:node:';
export const REPORT_CHANNEL = 'vilo:sfu:load';

// Redis pub/sub channels are shared by every database index on a server, so fleets sharing
// a Redis are told apart by name, not by database number.
export function reportKeyPrefix(fleet = 'default'): string {
  return fleet === 'default' ? REPORT_KEY_PREFIX : `vilo:sfu:${fleet}:node:`;
}

export function reportChannel(fleet = 'default'): string {
  return fleet === 'default' ? REPORT_CHANNEL : `vilo:sfu:${fleet}:load`;
}

const Count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
/** Pod names, hostnames and test ids. */
export const NodeId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/, 'node id: letters, digits, dot, dash, underscore');
/** A node serves at most this many streams in one report; more is a forged or broken report. */
const MAX_STREAMS_PER_REPORT = 10_000;

export const StreamLoad = z.object({ producers: Count, consumers: Count });
export type StreamLoad = z.infer<typeof StreamLoad>;

export const SfuLoad = z.object({
  workers: Count,
  routers: Count,
  transports: Count,
  producers: Count,
  consumers: Count,
  /** Estimated send bitrate, bits per second. */
  bitrateOut: z.number().nonnegative().finite(),
  workerDeaths: Count,
  /** Per stream this node serves, for routing viewers to edges with room. */
  streams: z
    .record(z.string().min(1).max(128), StreamLoad)
    .refine((s) => Object.keys(s).length <= MAX_STREAMS_PER_REPORT, `at most ${MAX_STREAMS_PER_REPORT} streams`),
});
export type SfuLoad = z.infer<typeof SfuLoad>;

export const NodeReport = SfuLoad.extend({
  nodeId: NodeId,
  /** The node's control channel: http://host:port (clients connect ws://host:port/control). */
  controlUrl: z.string().max(256).regex(/^https?:\/\/[^\s/?#@]+\/?$/, 'controlUrl: http://host:port'),
  /** Consumers this node may carry. */
  capacity: Count,
  draining: z.boolean(),
  /** Unix milliseconds. */
  at: z.number().int().nonnegative(),
});
export type NodeReport = z.infer<typeof NodeReport>;
