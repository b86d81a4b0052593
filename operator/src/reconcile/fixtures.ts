// Fleet snapshots for the pure reconcile tests.
import type { FleetNode } from '../fleet/FleetState.ts';

export function fleetNode(pod: string, extra: Partial<FleetNode> = {}): FleetNode {
  return {
    pod,
    node: `node-${pod}`,
    address: `10.0.0.${pod.length}`,
    controlUrl: `http://10.0.0.${pod.length}:7070`,
    state: 'ready',
    ready: true,
    draining: false,
    drainingSinceMs: undefined,
    terminating: false,
    capacity: 100,
    consumers: 0,
    streams: {},
    ...extra,
  };
}

export function fleetOf(...nodes: FleetNode[]): Map<string, FleetNode> {
  return new Map(nodes.map((n) => [n.pod, n]));
}

export function placementOf(fleet: Map<string, FleetNode>) {
  return [...fleet.values()].map((n) => ({ id: n.pod, ready: n.ready, draining: n.draining, capacity: n.capacity, consumers: n.consumers }));
}
