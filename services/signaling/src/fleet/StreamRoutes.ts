import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { CONSUMERS_PER_VIEWER, SfuError, removableEdges, type EdgePolicy, type MediaKind } from '@vilokanam/sfu-node/client';
import type { StreamRecord } from '../StreamStore.ts';
import type { Fleet } from './Fleet.ts';
import { LocalPlacement } from './placement/LocalPlacement.ts';
import type { Placement } from './placement/Placement.ts';
import { ProvidedPlacement } from './placement/ProvidedPlacement.ts';
import { streamState, type Edge, type Route } from './Route.ts';
import type { PlacedRoute, RouteProvider } from './RouteProvider.ts';

/** A new edge is not idle this soon: its viewer's join (transport, consume) is still landing. */
const EDGE_FRESH_MS = 2000;

export interface RouteView {
  origin: string;
  edges: { nodeId: string; parent: string }[];
  viewers: Record<string, number>;
}

export interface StreamRoutesEvents {
  /** A producer can now be consumed on this node (the origin, or an edge once piped). */
  producerready: [{ streamId: string; nodeId: string; producerId: string; kind: MediaKind }];
  /** The stream lost this node (and every edge below it): its tabs there must reconnect. */
  nodelost: [{ streamId: string; nodeId: string; wasOrigin: boolean }];
  routechange: [{ streamId: string; route: RouteView | undefined }];
}

export interface RoutesOptions {
  policy: EdgePolicy;
  /** Edges a node feeds before a new edge chains from an edge instead. */
  fanoutPerNode: number;
  /** How long an empty edge lingers before its pipes close. */
  edgeIdleMs: number;
}

/**
 * The routing table: each stream's origin and edges. Publishers go to the origin; viewers go
 * where the placement says, and a new edge first gets every producer piped over SRTP.
 *
 * The placement is local (embedded and fleet mode) unless a RouteProvider is attached
 * (Kubernetes mode): then origins and edges come from applyRoute(), routers are the
 * operator's to open and close, and this only picks viewers' nodes and owns the pipes.
 */
export class StreamRoutes extends EventEmitter<StreamRoutesEvents> {
  readonly #fleet: Fleet;
  readonly #log: Logger;
  readonly #opts: RoutesOptions;
  readonly #routes = new Map<string, Route>();
  readonly #applying = new Map<string, Promise<void>>();
  #placement: Placement;

  constructor(fleet: Fleet, log: Logger, opts: RoutesOptions) {
    super();
    this.#fleet = fleet;
    this.#log = log.child({ component: 'routes' });
    this.#opts = opts;
    this.#placement = new LocalPlacement(fleet, opts.policy);
    fleet.on('nodedown', ({ nodeId }) => this.nodeLost(nodeId));
  }

  /** Hands placement to the provider (Kubernetes mode). */
  attach(provider: RouteProvider): void {
    this.#placement = new ProvidedPlacement(provider, this.#fleet);
  }

  get placedExternally(): boolean {
    return this.#placement.external;
  }

  /** A stream is about to go live: the placement may refuse it by throwing. */
  streamStarting(stream: StreamRecord): Promise<void> {
    return this.#placement.streamStarting(stream);
  }

  view(streamId: string): RouteView | undefined {
    const r = this.#routes.get(streamId);
    if (!r) return undefined;
    return {
      origin: r.origin,
      edges: [...r.edges.values()].map((e) => ({ nodeId: e.nodeId, parent: e.parent })),
      viewers: Object.fromEntries(r.viewers),
    };
  }

  /** The origin: placed on first use, or (placed routes) once the provider has one. */
  async origin(streamId: string): Promise<string> {
    return (await this.#route(streamId)).origin;
  }

  async #route(streamId: string): Promise<Route> {
    const existing = this.#routes.get(streamId);
    if (existing) return existing;
    const origin = await this.#placement.origin(streamId);
    // A provided placement applies the route itself while we wait; a local one names a node.
    const applied = this.#routes.get(streamId);
    if (applied) return applied;
    if (origin === undefined) throw new SfuError('not_found', 'the stream has no media origin yet');
    const route = this.#newRoute(streamId, origin);
    this.#log.info({ streamId, origin }, 'origin placed');
    this.#changed(route);
    return route;
  }

  #newRoute(streamId: string, origin: string): Route {
    const route: Route = {
      streamId,
      origin,
      edges: new Map(),
      pendingEdges: new Map(),
      viewers: new Map(),
      kinds: new Map(),
      idleTimer: undefined,
      draining: new Set(),
      viewersPerEdge: this.#opts.policy.viewersPerEdge,
      maxViewers: Number.MAX_SAFE_INTEGER,
    };
    this.#routes.set(streamId, route);
    return route;
  }

  /**
   * Where a new viewer goes; opens (and fills) a new edge when serving nodes are full.
   * `elsewhere`: the stream's viewers joined to other signaling replicas.
   */
  async viewerNode(streamId: string, elsewhere = 0): Promise<string> {
    const route = await this.#route(streamId);
    const { nodeId, newEdge } = this.#placement.viewerNode(route, elsewhere);
    if (newEdge) await this.#ensureEdge(route, nodeId);
    return nodeId;
  }

  viewerJoined(streamId: string, nodeId: string): void {
    const route = this.#routes.get(streamId);
    if (!route) return;
    route.viewers.set(nodeId, (route.viewers.get(nodeId) ?? 0) + 1);
    this.#fleet.reserve(nodeId, CONSUMERS_PER_VIEWER);
    this.#changed(route);
  }

  /** `elsewhere`: the stream's viewers joined to other signaling replicas. */
  viewerLeft(streamId: string, nodeId: string, elsewhere = 0): void {
    const route = this.#routes.get(streamId);
    if (!route) return;
    route.viewers.set(nodeId, Math.max(0, (route.viewers.get(nodeId) ?? 0) - 1));
    this.#changed(route);
    if (!this.#placement.viewerLeft(route, elsewhere)) return;
    clearTimeout(route.idleTimer);
    route.idleTimer = setTimeout(() => this.#shrink(route), this.#opts.edgeIdleMs).unref();
  }

  /** The origin has a new producer: it is ready there, and gets piped down every edge. */
  async producerAdded(streamId: string, producerId: string, kind: MediaKind): Promise<void> {
    const route = this.#routes.get(streamId);
    if (!route) return;
    route.kinds.set(producerId, kind);
    this.emit('producerready', { streamId, nodeId: route.origin, producerId, kind });
    await Promise.all(this.#childrenOf(route, route.origin).map((e) => this.#pipeDown(route, e, producerId)));
  }

  /** The origin's producer closed: edges drop their piped copies. */
  producerClosed(streamId: string, nodeId: string, producerId: string): void {
    const route = this.#routes.get(streamId);
    if (!route || nodeId !== route.origin) return;
    route.kinds.delete(producerId);
    for (const edge of route.edges.values()) {
      if (edge.piped.delete(producerId)) this.#fleet.control(edge.nodeId)?.closeProducer(producerId);
    }
  }

  /** A node or its router for a stream is gone. */
  nodeLost(nodeId: string, onlyStream?: string): void {
    for (const route of [...this.#routes.values()]) {
      if (onlyStream && route.streamId !== onlyStream) continue;
      if (route.origin === nodeId) {
        this.#log.warn({ streamId: route.streamId, nodeId }, 'origin lost');
        this.#teardown(route);
        this.emit('nodelost', { streamId: route.streamId, nodeId, wasOrigin: true });
        continue;
      }
      if (route.edges.has(nodeId)) this.#removeEdge(route, nodeId, true);
    }
  }

  /** The stream ended: close it everywhere. */
  endStream(streamId: string): void {
    const route = this.#routes.get(streamId);
    if (route) this.#teardown(route);
    this.#placement.streamEnded(streamId);
  }

  /**
   * Makes a stream's route match its placement (undefined: it has none any more). Calls for
   * one stream run in order; a moved origin loses every tab of the stream, which reconnect.
   */
  applyRoute(streamId: string, placed: PlacedRoute | undefined): Promise<void> {
    const next = (this.#applying.get(streamId) ?? Promise.resolve())
      .then(() => this.#apply(streamId, placed))
      .catch((err: unknown) => this.#log.warn({ streamId, err }, 'route not applied'));
    this.#applying.set(streamId, next);
    void next.finally(() => {
      if (this.#applying.get(streamId) === next) this.#applying.delete(streamId);
    });
    return next;
  }

  async #apply(streamId: string, placed: PlacedRoute | undefined): Promise<void> {
    let route = this.#routes.get(streamId);
    if (route && (!placed || route.origin !== placed.origin)) {
      this.#teardown(route);
      this.emit('nodelost', { streamId, nodeId: route.origin, wasOrigin: true });
      route = undefined;
    }
    if (!placed) return;
    if (!route) {
      route = this.#newRoute(streamId, placed.origin);
      // A restarted signaling learns the producers from the origin itself.
      const producers = (await this.#fleet.control(placed.origin)?.producers(streamId)) ?? [];
      for (const p of producers) route.kinds.set(p.producerId, p.kind);
      this.#log.info({ streamId, origin: placed.origin }, 'origin followed');
    }
    route.viewersPerEdge = placed.viewersPerEdge;
    route.maxViewers = placed.maxViewers;
    route.draining = new Set(placed.edges.filter((e) => e.draining).map((e) => e.nodeId));
    for (const [nodeId, edge] of [...route.edges]) {
      const wanted = placed.edges.find((e) => e.nodeId === nodeId);
      if (!wanted || wanted.parent !== edge.parent) this.#removeEdge(route, nodeId, (route.viewers.get(nodeId) ?? 0) > 0);
    }
    // Parents open before their children; an edge whose parent failed waits for the next apply.
    let pending = placed.edges.filter((e) => !route.edges.has(e.nodeId));
    for (;;) {
      const ready = pending.filter((e) => e.parent === route.origin || route.edges.has(e.parent));
      if (ready.length === 0) break;
      await Promise.all(
        ready.map((e) =>
          this.#ensureEdge(route, e.nodeId, e.parent).catch((err: unknown) =>
            this.#log.warn({ streamId, edge: e.nodeId, err }, 'edge not opened'),
          ),
        ),
      );
      pending = pending.filter((e) => !ready.includes(e));
    }
    this.#changed(route);
  }

  close(): void {
    for (const r of this.#routes.values()) clearTimeout(r.idleTimer);
  }

  #childrenOf(route: Route, nodeId: string): Edge[] {
    return [...route.edges.values()].filter((e) => e.parent === nodeId);
  }

  /** Feed from the origin while it has fan-out to spare, else from the edge with the fewest children. */
  #parentFor(route: Route): string {
    const serving = [route.origin, ...route.edges.keys()];
    const fanout = (id: string) => this.#childrenOf(route, id).length;
    return serving.find((id) => fanout(id) < this.#opts.fanoutPerNode) ?? serving.sort((a, b) => fanout(a) - fanout(b))[0]!;
  }

  #ensureEdge(route: Route, nodeId: string, parent?: string): Promise<Edge> {
    const existing = route.edges.get(nodeId);
    if (existing) return Promise.resolve(existing);
    let pending = route.pendingEdges.get(nodeId);
    if (!pending) {
      pending = this.#openEdge(route, nodeId, parent ?? this.#parentFor(route)).finally(() => route.pendingEdges.delete(nodeId));
      route.pendingEdges.set(nodeId, pending);
    }
    return pending;
  }

  async #openEdge(route: Route, nodeId: string, parent: string): Promise<Edge> {
    const src = this.#fleet.control(parent);
    const dst = this.#fleet.control(nodeId);
    if (!src || !dst) throw new SfuError('not_found', 'media node went away');
    const started = performance.now();
    const [a, b] = await Promise.all([src.createPipeTransport(route.streamId), dst.createPipeTransport(route.streamId)]);
    await Promise.all([
      src.connectPipeTransport(a.id, { ip: b.ip, port: b.port, srtpParameters: b.srtpParameters }),
      dst.connectPipeTransport(b.id, { ip: a.ip, port: a.port, srtpParameters: a.srtpParameters }),
    ]);
    const edge: Edge = { nodeId, parent, srcPipeId: a.id, dstPipeId: b.id, piped: new Set(), openedAt: performance.now() };
    route.edges.set(nodeId, edge);
    const producers = parent === route.origin ? [...route.kinds.keys()] : [...(route.edges.get(parent)?.piped ?? [])];
    await Promise.all(producers.map((p) => this.#pipeDown(route, edge, p)));
    // Lost or removed while its pipes were being made: a viewer sent there would get no media.
    if (route.edges.get(nodeId) !== edge) throw new SfuError('not_found', 'the edge closed while it opened');
    this.#log.info({ streamId: route.streamId, edge: nodeId, parent, ms: Math.round(performance.now() - started) }, 'edge opened');
    this.#changed(route);
    return edge;
  }

  async #pipeDown(route: Route, edge: Edge, producerId: string): Promise<void> {
    if (edge.piped.has(producerId) || route.edges.get(edge.nodeId) !== edge) return;
    const src = this.#fleet.control(edge.parent);
    const dst = this.#fleet.control(edge.nodeId);
    if (!src || !dst) return;
    try {
      const params = await src.pipeConsume(edge.srcPipeId, producerId);
      await dst.pipeProduce(edge.dstPipeId, params);
    } catch (err) {
      // A concurrent pipe of the same producer already landed; anything else is logged.
      if (!(err instanceof SfuError && err.code === 'conflict')) {
        this.#log.warn({ streamId: route.streamId, edge: edge.nodeId, producerId, err }, 'pipe failed');
        return;
      }
    }
    edge.piped.add(producerId);
    const kind = route.kinds.get(producerId) ?? 'video';
    this.emit('producerready', { streamId: route.streamId, nodeId: edge.nodeId, producerId, kind });
    await Promise.all(this.#childrenOf(route, edge.nodeId).map((child) => this.#pipeDown(route, child, producerId)));
  }

  #shrink(route: Route): void {
    if (this.#routes.get(route.streamId) !== route) return;
    let recheckIn = Infinity;
    const freshMs = Math.max(this.#opts.edgeIdleMs, EDGE_FRESH_MS);
    for (const nodeId of removableEdges(streamState(route), this.#opts.policy)) {
      const edge = route.edges.get(nodeId);
      // Still opening, or opened for a viewer whose join has not landed yet: not idle.
      if (!edge) continue;
      const age = performance.now() - edge.openedAt;
      if (age < freshMs) {
        recheckIn = Math.min(recheckIn, freshMs - age);
        continue;
      }
      // An edge that feeds another stays while its child does.
      if (this.#childrenOf(route, nodeId).length === 0) this.#removeEdge(route, nodeId, false);
    }
    if (recheckIn !== Infinity) {
      clearTimeout(route.idleTimer);
      route.idleTimer = setTimeout(() => this.#shrink(route), Math.ceil(recheckIn)).unref();
    }
  }

  #removeEdge(route: Route, nodeId: string, lost: boolean): void {
    const edge = route.edges.get(nodeId);
    if (!edge) return;
    for (const child of this.#childrenOf(route, nodeId)) this.#removeEdge(route, child.nodeId, true);
    route.edges.delete(nodeId);
    route.viewers.delete(nodeId);
    this.#fleet.control(edge.parent)?.closePipeTransport(edge.srcPipeId);
    const dst = this.#fleet.control(nodeId);
    dst?.closePipeTransport(edge.dstPipeId);
    // A placed edge's router is the provider's to close.
    if (!this.#placement.external) dst?.closeStream(route.streamId);
    this.#log.info({ streamId: route.streamId, edge: nodeId, lost }, lost ? 'edge lost' : 'edge removed');
    if (lost) this.emit('nodelost', { streamId: route.streamId, nodeId, wasOrigin: false });
    this.#changed(route);
  }

  #teardown(route: Route): void {
    clearTimeout(route.idleTimer);
    this.#routes.delete(route.streamId);
    // Every tab of the stream is told separately (stream ended, or origin lost), so the
    // edges need no notice of their own here. Placed routers are the provider's to close.
    if (this.#placement.external) {
      for (const e of route.edges.values()) {
        this.#fleet.control(e.parent)?.closePipeTransport(e.srcPipeId);
        this.#fleet.control(e.nodeId)?.closePipeTransport(e.dstPipeId);
      }
    } else {
      for (const id of [route.origin, ...route.edges.keys()]) this.#fleet.control(id)?.closeStream(route.streamId);
    }
    this.emit('routechange', { streamId: route.streamId, route: undefined });
  }

  #changed(route: Route): void {
    if (this.#routes.get(route.streamId) === route) this.emit('routechange', { streamId: route.streamId, route: this.view(route.streamId) });
  }
}
