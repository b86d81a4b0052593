// The LiveStream API (streaming.vilokanam.io/v1alpha1), defined once: the CRD's OpenAPI schema
// (crd.ts, `npm run gen:crd`) and the TypeScript types both derive from these zod schemas.
// Only what a structural schema without CEL can express goes in here; cross-field rules
// (edges.min ≤ edges.max) are checked by the operator (spec.ts), which marks the stream Failed.
import { z } from 'zod';

export const GROUP = 'streaming.vilokanam.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'LiveStream';
export const PLURAL = 'livestreams';
export const SINGULAR = 'livestream';
export const SHORT_NAMES = ['ls', 'lstream'];
/** Held until the stream's routers and edges are released on every sfu-node. */
export const FINALIZER = `${GROUP}/release`;

export const PHASES = ['Pending', 'Scheduling', 'Live', 'Draining', 'Ended', 'Failed'] as const;
export type Phase = (typeof PHASES)[number];

export const CONDITION_TYPES = ['Scheduled', 'OriginReady', 'EdgesReady', 'Publishing', 'Ready'] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

const int64 = { format: 'int64' } as const;

export const SimulcastLayer = z
  .object({
    rid: z.string().regex(/^[a-z0-9]{1,8}$/).meta({ description: 'RTP stream id of the layer, e.g. q, h, f' }),
    scaleResolutionDownBy: z.number().min(1).max(16).meta({ description: 'Divides the source resolution (1 = full)' }),
    maxBitrate: z.number().int().min(30_000).max(50_000_000).meta({ description: 'Bits per second' }),
    maxFramerate: z.number().int().min(1).max(120).optional().meta({ description: 'Frames per second the layer is capped at' }),
  })
  .meta({ description: 'One simulcast encoding the publisher sends' });

export const defaultSimulcast = [
  { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
];

export const EdgeSpec = z
  .object({
    min: z.number().int().min(0).max(64).default(0).meta({ description: 'Edges kept even with no audience' }),
    max: z.number().int().min(0).max(64).default(8).meta({ description: 'Edges never exceeded (must be ≥ min)' }),
    viewersPerEdge: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(200)
      .meta({ description: 'Viewers one sfu-node carries for this stream before another edge is added' }),
  })
  .meta({ description: 'How the stream fans out from its origin to edge sfu-nodes' });

export const LiveStreamSpec = z
  .object({
    creator: z.string().min(1).max(128).meta({ description: 'Account of the creator (SS58 address or user id)' }),
    title: z.string().min(1).max(140).meta({ description: 'Shown on the stream page and in listings' }),
    category: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/).meta({ description: 'Category slug' }),
    pricePerSecond: z
      .string()
      .regex(/^(0|[1-9][0-9]{0,38})$/)
      .meta({ description: 'Price per watched second in planck, as a decimal string (u128 does not fit a JSON number)' }),
    ingest: z.enum(['webrtc', 'whip']).default('webrtc').meta({ description: 'How the creator publishes: webrtc (the studio) or whip (OBS and other WHIP encoders)' }),
    simulcast: z
      .array(SimulcastLayer)
      .min(1)
      .max(4)
      .default(defaultSimulcast)
      .meta({ description: 'Layers the publisher sends, lowest resolution first, with unique rids (default q, h, f)' }),
    edges: EdgeSpec.default({ min: 0, max: 8, viewersPerEdge: 200 }),
    maxViewers: z.number().int().min(1).max(10_000_000).default(100_000).meta({ description: 'Signaling refuses viewers beyond this' }),
    recording: z.boolean().default(false).meta({ description: 'Record the stream while it is live; it becomes a VOD when it ends' }),
    ended: z.boolean().default(false).meta({ description: 'Set when the creator stops: routers are released and the object stays as a record' }),
  })
  .meta({ description: 'What the creator asked for' });

export const NodeRef = z.object({
  pod: z.string().max(253),
  node: z.string().max(253).meta({ description: 'Kubernetes node the pod runs on' }),
  address: z.string().max(64).meta({ description: 'Host address media and control are reached on' }),
});

export const EdgeStatus = NodeRef.extend({
  parent: z.string().max(253).meta({ description: 'Pod this edge pulls the stream from: the origin or another edge' }),
  viewers: z.number().int().min(0).default(0),
});

export const Condition = z.object({
  type: z.string().regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/).max(316),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/).min(1).max(1024),
  message: z.string().max(32768),
  lastTransitionTime: z.string().meta({ format: 'date-time' }),
  observedGeneration: z.number().int().min(0).optional().meta(int64),
});

export const LiveStreamStatus = z
  .object({
    phase: z.enum(PHASES).optional(),
    origin: NodeRef.optional(),
    edges: z.array(EdgeStatus).optional(),
    edgeCount: z.number().int().min(0).optional().meta({ description: 'len(edges), for the printer column' }),
    viewers: z.number().int().min(0).optional().meta({ description: 'Viewers on every node serving the stream, from sfu-node load reports' }),
    conditions: z
      .array(Condition)
      .optional()
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] }),
    observedGeneration: z.number().int().min(0).optional().meta(int64),
  })
  .meta({ description: 'What the operator made of it' });

export type LiveStreamSpec = z.output<typeof LiveStreamSpec>;
export type LiveStreamSpecInput = z.input<typeof LiveStreamSpec>;
export type LiveStreamStatus = z.output<typeof LiveStreamStatus>;
export type Condition = z.output<typeof Condition>;
export type NodeRef = z.output<typeof NodeRef>;
export type EdgeStatus = z.output<typeof EdgeStatus>;

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  generation: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A LiveStream as the apiserver returns it (spec already defaulted by the CRD schema). */
export interface LiveStream {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: ObjectMeta;
  spec: LiveStreamSpecInput;
  status?: LiveStreamStatus;
}

/** What a client submits. */
export interface LiveStreamInput {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec: LiveStreamSpecInput;
}

export function liveStream(name: string, spec: LiveStreamSpecInput, namespace?: string): LiveStreamInput {
  return { apiVersion: API_VERSION, kind: KIND, metadata: { name, ...(namespace ? { namespace } : {}) }, spec };
}

/**
 * Set by signaling when every serving node of a stream is full: `<viewers>@<unix ms>`. The
 * operator adds edges for that audience at once instead of waiting for the load reports.
 */
export const VIEWER_DEMAND_ANNOTATION = `${GROUP}/viewer-demand`;
/** A demand older than this is ignored: the load reports have caught up by then. */
export const VIEWER_DEMAND_TTL_MS = 30_000;

/** The demand an annotation states, if it is well-formed and fresh. */
export function viewerDemand(annotations: Record<string, string> | undefined, nowMs: number): number | undefined {
  const m = /^(\d{1,9})@(\d{1,16})$/.exec(annotations?.[VIEWER_DEMAND_ANNOTATION] ?? '');
  if (!m) return undefined;
  const at = Number(m[2]);
  return nowMs - at <= VIEWER_DEMAND_TTL_MS && at - nowMs <= VIEWER_DEMAND_TTL_MS ? Number(m[1]) : undefined;
}
