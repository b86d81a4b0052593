// Live stream health: what the origin sees of the publisher's layers, what viewers receive,
// and the warnings the studio shows. One shape for the studio publisher and for WHIP.
import { z } from 'zod';

const Num = z.number().finite().min(0).max(1e12);

export const IngestLayer = z.object({
  kind: z.enum(['audio', 'video']),
  /** The simulcast rid, or null for a single-layer stream (and audio). */
  rid: z.string().max(32).nullable(),
  mimeType: z.string().max(64),
  bitrate: Num,
  /** 0–10, mediasoup's score of the incoming stream. */
  score: z.number().int().min(0).max(10),
  packetsLost: Num,
  /** Fraction of packets lost in the last report interval, 0–1. */
  fractionLost: z.number().min(0).max(1),
  jitter: Num,
  roundTripTime: Num.nullable(),
  /** Seconds between the last keyframes; null until two were seen. */
  keyFrameInterval: Num.nullable(),
  /** Frames per second arriving, from the last one-second sample; null until sampled. */
  frameRate: Num.nullable(),
});
export type IngestLayer = z.infer<typeof IngestLayer>;

/** What one node reports of a stream. */
export const NodeStreamHealth = z.object({
  layers: z.array(IngestLayer).max(16),
  /** Video consumers on this node by the spatial layer they receive now (-1: none yet). */
  viewersByLayer: z.record(z.string().regex(/^-?\d$/), z.number().int().min(0).max(1e6)),
});
export type NodeStreamHealth = z.infer<typeof NodeStreamHealth>;

export interface HealthWarning {
  code: 'keyframe_interval' | 'bitrate_low' | 'bitrate_high' | 'packet_loss' | 'no_video';
  message: string;
}

export interface StreamHealthView extends NodeStreamHealth {
  at: string;
  viewers: number;
  /** What viewers' players reported in the last 30 s: picture freezes over their last minute. */
  freezes: { reporting: number; freezing: number; freezesLastMinute: number };
  warnings: HealthWarning[];
}
