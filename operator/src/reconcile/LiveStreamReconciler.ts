// Reconciles one LiveStream: finalizer, spec check, origin, edges, routers, status, Redis route.
// Crash safety comes from ordering: a placement is written to status (guarded by
// resourceVersion) *before* any router is opened for it, so a restarted operator resumes from
// status and never places twice; routers found on nodes outside the route (a crash between
// status write and close) are closed as orphans.
import type { Logger } from 'pino';
import { API_VERSION, KIND, viewerDemand, type LiveStream, type LiveStreamStatus } from '../api/livestream.ts';
import type { LiveStreamClient } from '../api/LiveStreamClient.ts';
import type { StreamRoute } from '@vilokanam/contracts/routes';
import { FleetState, type FleetNode } from '../fleet/FleetState.ts';
import type { NodeControls } from '../fleet/NodeControls.ts';
import type { EventReason, EventRecorder, EventType } from '../kube/EventRecorder.ts';
import type { WorkResult } from '../kube/WorkQueue.ts';
import type { OperatorMetrics } from '../metrics.ts';
import { sameStatus } from './conditions.ts';
import { decideEdges, type EdgeDecision } from './edges.ts';
import { addFinalizer, hasFinalizer, releaseStream, removeFinalizer } from './finalizer.ts';
import { splitKey, type LiveStreamCache } from './LiveStreamCache.ts';
import { decideOrigin } from './origin.ts';
import type { RouteMirror } from './RouteMirror.ts';
import type { RoutingIndex } from './RoutingIndex.ts';
import { edgePolicy, validateSpec, type ValidSpec } from './spec.ts';
import { buildStatus, type Lifecycle, type OriginFact } from './status.ts';

export interface StreamReconcilerOptions {
  fanout: number;
  /** How long the audience must stay below the edges it has before one is removed. */
  edgeScaleDownDelayMs: number;
  /** After this long a release that cannot reach a node gives up (the node is presumed dead). */
  releaseTimeoutMs: number;
  /** Poll interval while waiting on capacity or a router. */
  pendingRequeueMs: number;
}

export interface StreamReconcilerDeps {
  cache: LiveStreamCache;
  client: LiveStreamClient;
  fleet: FleetState;
  controls: NodeControls;
  mirror: RouteMirror;
  routing: RoutingIndex;
  events: EventRecorder;
  metrics: OperatorMetrics;
  log: Logger;
  /** Called when a stream wants capacity the fleet does not have. */
  wantCapacity: () => void;
}

export class LiveStreamReconciler {
  readonly #d: StreamReconcilerDeps;
  readonly #o: StreamReconcilerOptions;
  readonly #log: Logger;
  /** Streams short of an origin or edges, and by how many nodes: the fleet's unmet demand. */
  readonly unplaced = new Map<string, number>();
  readonly #lowSince = new Map<string, number>();

  constructor(deps: StreamReconcilerDeps, opts: StreamReconcilerOptions) {
    this.#d = deps;
    this.#o = opts;
    this.#log = deps.log.child({ controller: 'livestream' });
  }

  async reconcile(key: string): Promise<WorkResult | void> {
    let ls = this.#d.cache.get(key);
    if (!ls) return this.#forget(key);
    this.#d.routing.set(key, ls.status);
    const fleet = this.#d.fleet.nodes();

    if (ls.metadata.deletionTimestamp) {
      if (!hasFinalizer(ls)) return this.#forget(key);
      return this.#release(key, ls, fleet, 'releasing');
    }
    if (!hasFinalizer(ls)) ls = this.#wrote(key, await addFinalizer(this.#d.client, ls));

    const parsed = validateSpec(ls.spec);
    if (!parsed.ok) {
      if (ls.status?.phase !== 'Failed' || ls.status.observedGeneration !== ls.metadata.generation) {
        this.#event(ls, 'Warning', 'InvalidSpec', parsed.message);
      }
      await this.#writeStatus(key, ls, buildStatus(ls.status, { ...this.#facts(ls, 'invalid'), invalidMessage: parsed.message }));
      this.unplaced.delete(key);
      return;
    }
    if (parsed.spec.ended) return this.#release(key, ls, fleet, 'ended');
    return this.#place(key, ls, parsed.spec, fleet);
  }

  async #place(key: string, ls: LiveStream, spec: ValidSpec, fleet: Map<string, FleetNode>): Promise<WorkResult | void> {
    const streamId = ls.metadata.name;
    const placement = this.#d.fleet.placementNodes(fleet);
    const decision = decideOrigin(ls.status?.origin, fleet, placement);
    if (decision.kind !== 'keep' && decision.lost) {
      this.#event(ls, 'Warning', 'OriginLost', `origin pod ${decision.lost} is gone; the publisher must reconnect`);
      this.#d.metrics.decisions.inc({ decision: 'origin_lost' });
    }

    if (decision.kind === 'unplaceable') {
      const ready = placement.filter((n) => n.ready && !n.draining).length;
      this.#event(ls, 'Warning', 'NoCapacity', `no sfu-node can take the origin (${ready} ready); asking the fleet for a node`);
      this.unplaced.set(key, 1);
      this.#d.wantCapacity();
      const origin: OriginFact = {
        placed: false,
        reason: decision.lost ? 'OriginLost' : 'NoCapacity',
        message: decision.lost ? `origin pod ${decision.lost} is gone; waiting for a node` : `no sfu-node has room (${ready} ready)`,
      };
      // Edges hang off the origin; without one they are kept as they are until it returns.
      await this.#writeStatus(key, ls, buildStatus(ls.status, { ...this.#facts(ls, 'active', spec), origin }));
      await this.#d.mirror.delete(streamId);
      return { requeueAfterMs: this.#o.pendingRequeueMs };
    }

    const origin = decision.node;
    if (decision.kind === 'place') {
      const ready = placement.filter((n) => n.ready && !n.draining).length;
      this.#event(ls, 'Normal', 'OriginPlaced', `origin on ${origin.pod}${origin.node ? ` (node ${origin.node})` : ''}, least loaded of ${ready} ready sfu-nodes`);
      this.#d.metrics.decisions.inc({ decision: 'origin_placed' });
    }

    const current = (ls.status?.edges ?? []).filter((e) => e.pod !== origin.pod);
    const demand = viewerDemand(ls.metadata.annotations, Date.now());
    const edgeInput = { streamId, origin: origin.pod, current, fleet, placement, policy: edgePolicy(spec), fanout: this.#o.fanout, shrink: false, demand };
    let edges = decideEdges(edgeInput);
    let requeueAfterMs: number | undefined;
    if (edges.surplus > 0) {
      const since = this.#lowSince.get(key) ?? Date.now();
      this.#lowSince.set(key, since);
      const wait = since + this.#o.edgeScaleDownDelayMs - Date.now();
      if (wait <= 0) edges = decideEdges({ ...edgeInput, shrink: true });
      else requeueAfterMs = wait;
    } else this.#lowSince.delete(key);
    if (edges.short > 0) {
      this.unplaced.set(key, edges.short);
      this.#d.wantCapacity();
      this.#event(ls, 'Warning', 'NoCapacity', `${edges.short} more edges wanted for ${edges.viewers} viewers; no sfu-node has room`);
      requeueAfterMs = this.#o.pendingRequeueMs;
    } else this.unplaced.delete(key);

    // 1. Commit the routing table before touching any node.
    const routing = { origin: FleetState.ref(origin), edges: edges.edges };
    const changed =
      decision.kind === 'place' ||
      JSON.stringify(routing.edges.map((e) => [e.pod, e.parent])) !== JSON.stringify((ls.status?.edges ?? []).map((e) => [e.pod, e.parent]));
    const hasRouter = (n: FleetNode | undefined) => n?.streams[streamId] !== undefined;
    if (changed) {
      ls = await this.#writeStatus(key, ls, this.#status(ls, spec, origin, hasRouter(origin), edges));
    }
    this.#edgeEvents(ls, edges);

    // 2. Routers where the table says, closes where it no longer does.
    let originRouter = hasRouter(origin);
    if (!originRouter && origin.controlUrl) {
      originRouter = await this.#d.controls.openRouter(origin.pod, origin.controlUrl, streamId).then(
        () => true,
        (err: Error) => (this.#log.warn({ streamId, pod: origin.pod, err }, 'router open failed'), false),
      );
    }
    await Promise.all(
      edges.edges
        .map((e) => fleet.get(e.pod)!)
        .filter((n) => !hasRouter(n) && n.controlUrl)
        .map((n) => this.#d.controls.openRouter(n.pod, n.controlUrl!, streamId).catch((err: Error) => this.#log.warn({ streamId, pod: n.pod, err }, 'edge router open failed'))),
    );
    const serving = new Set([origin.pod, ...edges.edges.map((e) => e.pod)]);
    // Removed edges, and routers a crash left outside the table (never one with viewers on it).
    const orphans = [...fleet.values()].filter(
      (n) => n.controlUrl && !serving.has(n.pod) && (edges.removed.includes(n.pod) || (hasRouter(n) && (n.streams[streamId]?.consumers ?? 0) === 0)),
    );
    for (const n of orphans) {
      await this.#d.controls.closeRouter(n.pod, n.controlUrl!, streamId).catch((err: Error) => this.#log.warn({ streamId, pod: n.pod, err }, 'router close failed'));
    }

    // 3. Status and the route signaling reads.
    const wasLive = ls.status?.phase === 'Live';
    ls = await this.#writeStatus(key, ls, this.#status(ls, spec, origin, originRouter, edges));
    if (!wasLive && ls.status?.phase === 'Live' && ls.metadata.creationTimestamp) {
      this.#d.metrics.timeToLive.observe((Date.now() - Date.parse(ls.metadata.creationTimestamp)) / 1000);
    }
    await this.#d.mirror.put(this.#route(ls, spec, origin, edges, fleet));
    if (!originRouter) return { requeueAfterMs: this.#o.pendingRequeueMs };
    return requeueAfterMs !== undefined ? { requeueAfterMs } : undefined;
  }

  async #release(key: string, ls: LiveStream, fleet: Map<string, FleetNode>, lifecycle: Lifecycle): Promise<WorkResult | void> {
    const streamId = ls.metadata.name;
    // Ended is written only after a complete release; a crash before it leaves the phase unset.
    if (lifecycle === 'ended' && ls.status?.phase === 'Ended') return;
    if (lifecycle === 'releasing' && ls.status?.phase !== 'Draining') {
      ls = await this.#writeStatus(key, ls, { ...buildStatus(ls.status, this.#facts(ls, 'releasing')), origin: ls.status?.origin, edges: ls.status?.edges ?? [] });
    }
    const result = await releaseStream(streamId, ls.status, fleet, this.#d.controls, this.#d.mirror);
    if (result.failed.length) {
      const since = Date.parse(ls.metadata.deletionTimestamp ?? '') || Date.now();
      const detail = result.failed.map((f) => `${f.pod}: ${f.error}`).join('; ');
      if (Date.now() - since < this.#o.releaseTimeoutMs) {
        this.#event(ls, 'Warning', 'ReleaseRetry', `could not close routers yet: ${detail}`);
        throw new Error(`release of ${streamId} incomplete: ${detail}`);
      }
      this.#event(ls, 'Warning', 'ReleaseIncomplete', `gave up on unreachable sfu-nodes after ${this.#o.releaseTimeoutMs} ms: ${detail}`);
    }
    const where = result.released.length ? `routers closed on ${result.released.join(', ')}` : 'no router was open';
    this.#event(ls, 'Normal', lifecycle === 'ended' ? 'Ended' : 'Released', `${where}; route removed`);
    this.#d.metrics.decisions.inc({ decision: 'released' });
    this.unplaced.delete(key);
    this.#lowSince.delete(key);
    if (lifecycle === 'ended') {
      await this.#writeStatus(key, ls, buildStatus(ls.status, this.#facts(ls, 'ended')));
      return;
    }
    this.#d.routing.delete(key);
    // Recorded so events queued before the watch reports the deletion do not release again.
    this.#d.cache.wrote(await removeFinalizer(this.#d.client, ls));
  }

  async #forget(key: string): Promise<void> {
    this.#d.routing.delete(key);
    this.unplaced.delete(key);
    this.#lowSince.delete(key);
    // Deleted without passing our finalizer (stripped by hand): at least drop the route, if
    // it is this namespace's and not another install's sharing the Redis.
    const { namespace, name } = splitKey(key);
    const route = await this.#d.mirror.get(name);
    if (route && route.namespace === namespace) await this.#d.mirror.delete(name);
  }

  #status(ls: LiveStream, spec: ValidSpec, origin: FleetNode, routerReady: boolean, edges: EdgeDecision): LiveStreamStatus {
    return buildStatus(ls.status, {
      ...this.#facts(ls, 'active', spec),
      origin: { placed: true, ref: FleetState.ref(origin), routerReady, nodeReady: origin.ready },
      edges: { edges: edges.edges, desired: edges.desired, short: edges.short },
      viewers: edges.viewers,
      producers: origin.streams[ls.metadata.name]?.producers ?? 0,
    });
  }

  #facts(ls: LiveStream, lifecycle: Lifecycle, spec?: ValidSpec) {
    return {
      generation: ls.metadata.generation,
      now: new Date(),
      lifecycle,
      viewers: 0,
      producers: 0,
      viewersPerEdge: spec?.edges.viewersPerEdge ?? 0,
    };
  }

  #route(ls: LiveStream, spec: ValidSpec, origin: FleetNode, edges: EdgeDecision, fleet: Map<string, FleetNode>): StreamRoute {
    const at = (pod: string) => fleet.get(pod);
    return {
      v: 1,
      streamId: ls.metadata.name,
      namespace: ls.metadata.namespace,
      generation: ls.metadata.generation,
      phase: ls.status?.phase ?? 'Scheduling',
      origin: { ...FleetState.ref(origin), controlUrl: origin.controlUrl ?? '' },
      edges: edges.edges.map((e) => ({
        pod: e.pod,
        node: e.node,
        address: e.address,
        controlUrl: at(e.pod)?.controlUrl ?? '',
        parent: e.parent,
        draining: at(e.pod)?.draining ?? false,
      })),
      policy: { viewersPerEdge: spec.edges.viewersPerEdge, maxViewers: spec.maxViewers },
      ingest: spec.ingest,
      simulcast: spec.simulcast,
      pricePerSecond: spec.pricePerSecond,
      updatedAt: Date.now(),
    };
  }

  #edgeEvents(ls: LiveStream, edges: EdgeDecision): void {
    for (const pod of edges.added) {
      const parent = edges.edges.find((e) => e.pod === pod)?.parent;
      this.#event(ls, 'Normal', 'EdgeAdded', `edge on ${pod} (from ${parent}): ${edges.viewers} viewers want ${edges.desired} edges`);
      this.#d.metrics.decisions.inc({ decision: 'edge_added' });
    }
    for (const pod of edges.removed) {
      this.#event(ls, 'Normal', 'EdgeRemoved', `edge on ${pod} removed: ${edges.viewers} viewers want ${edges.desired} edges`);
      this.#d.metrics.decisions.inc({ decision: 'edge_removed' });
    }
    for (const pod of edges.lost) {
      this.#event(ls, 'Warning', 'EdgeLost', `edge pod ${pod} is gone; its viewers must reconnect`);
      this.#d.metrics.decisions.inc({ decision: 'edge_lost' });
    }
  }

  async #writeStatus(key: string, ls: LiveStream, status: LiveStreamStatus): Promise<LiveStream> {
    if (sameStatus(ls.status, status)) return ls;
    return this.#wrote(key, await this.#d.client.replaceStatus(ls, status));
  }

  #wrote(key: string, ls: LiveStream): LiveStream {
    this.#d.cache.wrote(ls);
    this.#d.routing.set(key, ls.status);
    return ls;
  }

  #event(ls: LiveStream, type: EventType, reason: EventReason, message: string): void {
    this.#d.events.record({ apiVersion: API_VERSION, kind: KIND, metadata: ls.metadata }, type, reason, message);
    this.#log[type === 'Warning' ? 'warn' : 'info']({ stream: `${ls.metadata.namespace}/${ls.metadata.name}`, reason }, message);
  }
}
