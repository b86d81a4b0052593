// The sfu-node fleet as the operator sees it: its pods (from the pod informer) joined with the
// load each node reports to Redis. A pod is a usable node only when Kubernetes says it is
// Ready *and* it is reporting; draining is the operator's own mark on the pod.
import type { V1Pod } from '@kubernetes/client-node';
import type { FleetMember, NodeReport, NodeState, StreamLoad } from '@vilokanam/sfu-node/client';
import type { NodeRef } from '../api/livestream.ts';
import type { RoutingIndex } from '../reconcile/RoutingIndex.ts';
import type { NodeReports } from './NodeReports.ts';

export const DRAINING_ANNOTATION = 'streaming.vilokanam.io/draining-since';
export const TEMPLATE_HASH_LABEL = 'streaming.vilokanam.io/template-hash';
export const FLEET_LABEL = 'streaming.vilokanam.io/fleet';

export interface FleetNode {
  pod: string;
  node: string;
  address: string;
  controlUrl: string | undefined;
  state: FleetMember['state'];
  /** Pod Ready and a fresh load report. */
  ready: boolean;
  draining: boolean;
  drainingSinceMs: number | undefined;
  terminating: boolean;
  capacity: number;
  /** As reported, without reservations. */
  consumers: number;
  streams: Record<string, StreamLoad>;
}

export interface FleetStateOptions {
  /** Consumers counted per origin a node hosts, on top of what it reports. */
  reservePerStream: number;
  defaultCapacity: number;
}

export function podReady(pod: V1Pod): boolean {
  return pod.status?.phase === 'Running' && !!pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

export function podFinished(pod: V1Pod): boolean {
  return pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded';
}

export class FleetState {
  readonly #pods: () => V1Pod[];
  readonly #reports: NodeReports;
  readonly #routing: RoutingIndex;
  readonly #opts: FleetStateOptions;

  constructor(pods: () => V1Pod[], reports: NodeReports, routing: RoutingIndex, opts: FleetStateOptions) {
    this.#pods = pods;
    this.#reports = reports;
    this.#routing = routing;
    this.#opts = opts;
  }

  get options(): FleetStateOptions {
    return this.#opts;
  }

  /** Every pod of the fleet that has not failed, by pod name. */
  nodes(): Map<string, FleetNode> {
    const out = new Map<string, FleetNode>();
    for (const pod of this.#pods()) {
      if (podFinished(pod)) continue;
      const name = pod.metadata!.name!;
      const report: NodeReport | undefined = this.#reports.get(name);
      const since = pod.metadata?.annotations?.[DRAINING_ANNOTATION];
      const terminating = !!pod.metadata?.deletionTimestamp;
      const draining = since !== undefined || terminating || !!report?.draining;
      const ready = podReady(pod) && !terminating && report !== undefined;
      out.set(name, {
        pod: name,
        node: pod.spec?.nodeName ?? '',
        address: pod.status?.hostIP ?? pod.status?.podIP ?? '',
        controlUrl: report?.controlUrl,
        state: draining ? 'draining' : ready ? 'ready' : 'starting',
        ready,
        draining,
        drainingSinceMs: since !== undefined ? Date.parse(since) || Date.now() : undefined,
        terminating,
        capacity: report?.capacity ?? this.#opts.defaultCapacity,
        consumers: report?.consumers ?? 0,
        streams: report?.streams ?? {},
      });
    }
    return out;
  }

  /** Nodes for the placement functions, each loaded with its reservations. */
  placementNodes(nodes: Map<string, FleetNode> = this.nodes()): NodeState[] {
    const origins = this.#routing.originCounts();
    return [...nodes.values()]
      .filter((n) => !n.terminating)
      .map((n) => ({
        id: n.pod,
        ready: n.ready && n.controlUrl !== undefined,
        draining: n.draining,
        capacity: n.capacity,
        consumers: n.consumers + (origins.get(n.pod) ?? 0) * this.#opts.reservePerStream,
      }));
  }

  members(nodes: Map<string, FleetNode> = this.nodes()): FleetMember[] {
    const origins = this.#routing.originCounts();
    const edges = this.#routing.edgeHosts();
    return [...nodes.values()]
      .filter((n) => !n.terminating)
      .map((n) => ({
        id: n.pod,
        state: n.state,
        capacity: n.capacity,
        // Reservations keep an idle origin's node from looking empty; a draining node is judged
        // by what it really carries.
        consumers: n.consumers + (n.draining ? 0 : (origins.get(n.pod) ?? 0) * this.#opts.reservePerStream),
        hostsOrigin: (origins.get(n.pod) ?? 0) > 0,
        hostsEdges: edges.has(n.pod),
        ...(n.drainingSinceMs !== undefined ? { drainingSinceMs: n.drainingSinceMs } : {}),
      }));
  }

  static ref(n: FleetNode): NodeRef {
    return { pod: n.pod, node: n.node, address: n.address };
  }
}
