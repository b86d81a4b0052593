import type { MediaKind } from '@vilokanam/sfu-node/client';

export interface Edge {
  nodeId: string;
  /** The node this edge pulls from: the origin, or another edge when fan-out chains. */
  parent: string;
  srcPipeId: string;
  dstPipeId: string;
  piped: Set<string>;
  /** performance.now() when it joined the route: a fresh edge is not idle, its viewer is on the way. */
  openedAt: number;
}

/** One stream's place in the fleet: its origin, its edges, and its viewers per node. */
export interface Route {
  streamId: string;
  origin: string;
  edges: Map<string, Edge>;
  pendingEdges: Map<string, Promise<Edge>>;
  viewers: Map<string, number>;
  kinds: Map<string, MediaKind>;
  idleTimer: NodeJS.Timeout | undefined;
  /** Placed routes only: edges that take no new viewers, and the stream's own limits. */
  draining: Set<string>;
  viewersPerEdge: number;
  maxViewers: number;
}

/** Viewers on every node serving the stream. */
export function audience(route: Route): number {
  let total = 0;
  for (const n of route.viewers.values()) total += n;
  return total;
}

/** The route as the pure placement functions read it; edges still opening count as edges. */
export function streamState(route: Route): { origin: string; viewers: Record<string, number>; edges: string[] } {
  return { origin: route.origin, viewers: Object.fromEntries(route.viewers), edges: [...route.edges.keys(), ...route.pendingEdges.keys()] };
}
