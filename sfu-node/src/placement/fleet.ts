// How many sfu-nodes the fleet should have, which to drain and which to remove, and where a
// stream's extra edges go. Pure functions over reported load, like placement.ts; the Kubernetes
// operator drives pods with them, and embedded mode can size a local worker fleet the same way.
import { CONSUMERS_PER_VIEWER, type NodeState, type StreamState } from './placement.ts';

export type MemberState = 'starting' | 'ready' | 'draining';

export interface FleetMember {
  id: string;
  /** starting: created, not yet reporting; draining: takes nothing new, removed once empty. */
  state: MemberState;
  capacity: number;
  /** Reported consumers plus whatever the caller reserves for streams placed there. */
  consumers: number;
  /** A publisher cannot move without reconnecting, so a node with an origin is never drained. */
  hostsOrigin: boolean;
  /** Edges are the streams' own decision: the fleet keeps their nodes until the streams let go. */
  hostsEdges?: boolean;
  /** For draining members: when the drain began. */
  drainingSinceMs?: number;
}

export interface FleetPolicy {
  minNodes: number;
  maxNodes: number;
  /** Fraction of capacity the fleet aims to use; the rest is headroom for joins. */
  targetUtilization: number;
  /** How long a draining node may keep consumers before it is removed anyway. */
  drainGraceMs: number;
  /** Capacity assumed for nodes that have not reported yet. */
  defaultCapacity: number;
}

export interface FleetDemand {
  /** Origins and edges that found no node with room. */
  unplaced: number;
}

export interface FleetPlan {
  want: number;
  create: number;
  drain: string[];
  undrain: string[];
  remove: string[];
}

const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);

/** Nodes the fleet should run, draining ones not counted. */
export function desiredFleetSize(members: readonly FleetMember[], demand: FleetDemand, policy: FleetPolicy): number {
  const active = members.filter((m) => m.state !== 'draining');
  const reporting = active.filter((m) => m.state === 'ready' && m.capacity > 0);
  const perNode = reporting.length
    ? reporting.reduce((sum, m) => sum + m.capacity, 0) / reporting.length
    : policy.defaultCapacity;
  const load = active.reduce((sum, m) => sum + m.consumers, 0);
  let want = Math.ceil(load / Math.max(1, perNode * policy.targetUtilization));
  if (demand.unplaced > 0) {
    // A node still starting will bring room; asking for another on top would overshoot.
    const starting = active.some((m) => m.state === 'starting');
    want = Math.max(want, starting ? active.length : active.length + 1);
  }
  want = Math.max(want, active.filter((m) => m.hostsOrigin || m.hostsEdges).length);
  return Math.min(policy.maxNodes, Math.max(policy.minNodes, want));
}

/**
 * Grow by undraining first (the node is already up), then by creating. Shrink by draining
 * nodes still starting, then the emptiest ready ones, never one hosting an origin or an edge.
 * Remove draining nodes once drained.
 */
export function planFleet(members: readonly FleetMember[], demand: FleetDemand, policy: FleetPolicy, nowMs: number): FleetPlan {
  const want = desiredFleetSize(members, demand, policy);
  const active = members.filter((m) => m.state !== 'draining');
  const draining = members.filter((m) => m.state === 'draining');
  const plan: FleetPlan = { want, create: 0, drain: [], undrain: [], remove: [] };

  // A draining node that gained an origin (placed just before the drain) is needed after all.
  const reclaimed = draining.filter((m) => m.hostsOrigin);
  plan.undrain.push(...reclaimed.map((m) => m.id));
  const activeCount = active.length + reclaimed.length;

  if (want > activeCount) {
    const need = want - activeCount;
    const revivable = draining
      .filter((m) => !m.hostsOrigin)
      .sort((a, b) => b.consumers - a.consumers || byId(a, b))
      .slice(0, need);
    plan.undrain.push(...revivable.map((m) => m.id));
    plan.create = need - revivable.length;
  } else if (want < activeCount) {
    const load = (m: FleetMember) => m.consumers / Math.max(1, m.capacity);
    const candidates = active
      .filter((m) => !m.hostsOrigin && !m.hostsEdges)
      .sort((a, b) => Number(b.state === 'starting') - Number(a.state === 'starting') || load(a) - load(b) || byId(a, b));
    plan.drain = candidates.slice(0, activeCount - want).map((m) => m.id);
  }

  const undrained = new Set(plan.undrain);
  plan.remove = draining
    .filter((m) => !undrained.has(m.id) && nodeDrained(m, nowMs, policy.drainGraceMs))
    .map((m) => m.id)
    .sort();
  return plan;
}

function nodeDrained(m: FleetMember, nowMs: number, graceMs: number): boolean {
  return m.consumers === 0 || nowMs - (m.drainingSinceMs ?? nowMs) >= graceMs;
}

/** Up to `count` new edges for a stream: the least loaded usable nodes not serving it yet. */
export function placeEdges(nodes: readonly NodeState[], stream: StreamState, count: number): string[] {
  const serving = new Set([stream.origin, ...stream.edges]);
  const load = (n: NodeState) => n.consumers / Math.max(1, n.capacity);
  return nodes
    .filter((n) => n.ready && !n.draining && !serving.has(n.id) && n.capacity - n.consumers >= CONSUMERS_PER_VIEWER)
    .sort((a, b) => load(a) - load(b) || a.id.localeCompare(b.id))
    .slice(0, Math.max(0, count))
    .map((n) => n.id);
}

export interface EdgeLink {
  node: string;
  /** The node this edge pulls media from: the origin, or another edge. */
  parent: string;
}

/**
 * The parent for a new edge: the origin while it feeds fewer than `fanout` edges, else the
 * earliest edge with room. Existing links never change, so pipes already open stay valid.
 */
export function edgeParent(origin: string, links: readonly EdgeLink[], fanout: number): string {
  const children = (id: string) => links.filter((l) => l.parent === id).length;
  for (const id of [origin, ...links.map((l) => l.node)]) if (children(id) < Math.max(1, fanout)) return id;
  return origin;
}

/** Viewers on a node for one stream, from its consumer count (audio + video per viewer). */
export function viewersFromConsumers(consumers: number): number {
  return Math.ceil(consumers / CONSUMERS_PER_VIEWER);
}
