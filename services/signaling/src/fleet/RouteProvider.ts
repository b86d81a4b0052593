import type { StreamRecord } from '../StreamStore.ts';

/** A stream's placement as decided elsewhere (Kubernetes mode: the operator's route). */
export interface PlacedRoute {
  origin: string;
  edges: { nodeId: string; parent: string; draining: boolean }[];
  viewersPerEdge: number;
  maxViewers: number;
}

/**
 * Who places origins and edges when signaling does not. StreamRoutes then only routes
 * viewers among the placed nodes and pipes producers down the placed edges.
 */
export interface RouteProvider {
  /** Makes the stream's placement happen (Kubernetes: creates its LiveStream); throws to refuse the start. */
  streamStarting(stream: StreamRecord): Promise<void>;
  /** Resolves once the stream has a placed route whose origin this process can reach. */
  awaitRoute(streamId: string): Promise<void>;
  /** The stream ended here: its placement may be released. */
  streamEnded(streamId: string): void;
  /** Every serving node is full: the stream wants room for this many viewers. */
  capacityWanted(streamId: string, viewers: number): void;
  /** A viewer left; the audience is now this many, which may end an earlier request. */
  audienceShrank(streamId: string, viewers: number): void;
  close(): Promise<void>;
}
