// Where a stream's origin and edges go, and which node a viewer joins. Pure functions over
// reported load, shared by signaling (embedded and cascade) and the Kubernetes operator.

export interface NodeState {
  id: string;
  ready: boolean;
  /** A draining node takes no new streams or viewers; it is removed once empty. */
  draining: boolean;
  /** Consumers the node can carry. */
  capacity: number;
  consumers: number;
}

export interface StreamState {
  origin: string | undefined;
  /** Viewers per node serving this stream, the origin included. */
  viewers: Record<string, number>;
  /** Nodes holding a pipe of this stream from the origin (or from another edge). */
  edges: string[];
}

export interface EdgePolicy {
  /** Viewers one node may carry for a stream before another edge is wanted. */
  viewersPerEdge: number;
  minEdges: number;
  maxEdges: number;
}

export const defaultEdgePolicy: EdgePolicy = { viewersPerEdge: 200, minEdges: 0, maxEdges: 8 };

/** Consumers per viewer: one audio and one video. */
export const CONSUMERS_PER_VIEWER = 2;

function spare(node: NodeState): number {
  return node.capacity - node.consumers;
}

function usable(node: NodeState): boolean {
  return node.ready && !node.draining && spare(node) >= CONSUMERS_PER_VIEWER;
}

/** Least loaded first (by fraction of capacity), then by id so every caller agrees. */
function byLoad(a: NodeState, b: NodeState): number {
  const la = a.consumers / Math.max(1, a.capacity);
  const lb = b.consumers / Math.max(1, b.capacity);
  return la - lb || a.id.localeCompare(b.id);
}

export function placeOrigin(nodes: readonly NodeState[], exclude: readonly string[] = []): string | undefined {
  return nodes.filter((n) => usable(n) && !exclude.includes(n.id)).sort(byLoad)[0]?.id;
}

export type ViewerRoute = { nodeId: string; newEdge: boolean } | { nodeId: undefined; reason: string };

/**
 * A viewer goes to a node already serving the stream that still has room for it; failing
 * that, to a new edge on the least loaded node; failing that, nowhere.
 */
export function routeViewer(nodes: readonly NodeState[], stream: StreamState, policy: EdgePolicy = defaultEdgePolicy): ViewerRoute {
  if (!stream.origin) return { nodeId: undefined, reason: 'stream has no origin' };
  const serving = new Set([stream.origin, ...stream.edges]);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const roomy = [...serving]
    .map((id) => byId.get(id))
    .filter((n): n is NodeState => n !== undefined && usable(n) && (stream.viewers[n.id] ?? 0) < policy.viewersPerEdge)
    .sort(byLoad);
  if (roomy[0]) return { nodeId: roomy[0].id, newEdge: false };
  if (stream.edges.length >= policy.maxEdges) return { nodeId: undefined, reason: 'stream is at its edge limit' };
  const fresh = nodes.filter((n) => usable(n) && !serving.has(n.id)).sort(byLoad)[0];
  if (fresh) return { nodeId: fresh.id, newEdge: true };
  return { nodeId: undefined, reason: 'no node has capacity' };
}

/** Edges the stream should have for its audience, within the policy's bounds. */
export function desiredEdges(totalViewers: number, policy: EdgePolicy = defaultEdgePolicy): number {
  // The origin carries the first viewersPerEdge viewers itself.
  const beyondOrigin = Math.max(0, totalViewers - policy.viewersPerEdge);
  const wanted = Math.ceil(beyondOrigin / policy.viewersPerEdge);
  return Math.min(policy.maxEdges, Math.max(policy.minEdges, wanted));
}

/** Edges that can go now: no viewers, beyond what the audience needs, emptiest first. */
export function removableEdges(stream: StreamState, policy: EdgePolicy = defaultEdgePolicy): string[] {
  const total = Object.values(stream.viewers).reduce((a, b) => a + b, 0);
  const excess = stream.edges.length - desiredEdges(total, policy);
  if (excess <= 0) return [];
  return stream.edges
    .filter((id) => (stream.viewers[id] ?? 0) === 0)
    .sort()
    .slice(0, excess);
}

/** A node can be removed from the fleet once drained: nothing left on it, or its grace ran out. */
export function drained(node: NodeState, drainingSinceMs: number, nowMs: number, graceMs: number): boolean {
  return node.consumers === 0 || nowMs - drainingSinceMs >= graceMs;
}
