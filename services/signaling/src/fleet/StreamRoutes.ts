import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import {
  CONSUMERS_PER_VIEWER,
  SfuError,
  placeOrigin,
  removableEdges,
  routeViewer,
  type EdgePolicy,
  type MediaKind,
} from '@vilokanam/sfu-node';
import type { Fleet } from './Fleet.ts';

interface Edge {
  nodeId: string;
  /** The node this edge pulls from: the origin, or another edge when fan-out chains. */
  parent: string;
  srcPipeId: string;
  dstPipeId: string;
  piped: Set<string>;
}

interface Route {
  streamId: string;
  origin: string;
  edges: Map<string, Edge>;
  pendingEdges: Map<string, Promise<Edge>>;
  viewers: Map<string, number>;
  kinds: Map<string, MediaKind>;
  idleTimer: NodeJS.Timeout | undefined;
}

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
 * where placement says, and a new edge first gets every producer piped over SRTP.
 */
export class StreamRoutes extends EventEmitter<StreamRoutesEvents> {
  readonly #fleet: Fleet;
  readonly #log: Logger;
  readonly #opts: RoutesOptions;
  readonly #routes = new Map<string, Route>();

  constructor(fleet: Fleet, log: Logger, opts: RoutesOptions) {
    super();
    this.#fleet = fleet;
    this.#log = log.child({ component: 'routes' });
    this.#opts = opts;
    fleet.on('nodedown', ({ nodeId }) => this.nodeLost(nodeId));
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

  /** The origin, placed on first use. */
  origin(streamId: string): string {
    const existing = this.#routes.get(streamId);
    if (existing) return existing.origin;
    const origin = placeOrigin(this.#fleet.nodes());
    if (!origin) throw new SfuError('not_found', 'no media node is available');
    const route: Route = {
      streamId,
      origin,
      edges: new Map(),
      pendingEdges: new Map(),
      viewers: new Map(),
      kinds: new Map(),
      idleTimer: undefined,
    };
    this.#routes.set(streamId, route);
    this.#log.info({ streamId, origin }, 'origin placed');
    this.#changed(route);
    return origin;
  }

  /** Where a new viewer goes; opens (and fills) a new edge when serving nodes are full. */
  async viewerNode(streamId: string): Promise<string> {
    this.origin(streamId);
    const route = this.#routes.get(streamId)!;
    const decision = routeViewer(this.#fleet.nodes(), this.#state(route), this.#opts.policy);
    if (decision.nodeId === undefined) throw new SfuError('not_found', decision.reason);
    if (decision.newEdge) await this.#ensureEdge(route, decision.nodeId);
    return decision.nodeId;
  }

  viewerJoined(streamId: string, nodeId: string): void {
    const route = this.#routes.get(streamId);
    if (!route) return;
    route.viewers.set(nodeId, (route.viewers.get(nodeId) ?? 0) + 1);
    this.#fleet.reserve(nodeId, CONSUMERS_PER_VIEWER);
    this.#changed(route);
  }

  viewerLeft(streamId: string, nodeId: string): void {
    const route = this.#routes.get(streamId);
    if (!route) return;
    route.viewers.set(nodeId, Math.max(0, (route.viewers.get(nodeId) ?? 0) - 1));
    this.#changed(route);
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
  }

  close(): void {
    for (const r of this.#routes.values()) clearTimeout(r.idleTimer);
  }

  #state(route: Route) {
    return { origin: route.origin, viewers: Object.fromEntries(route.viewers), edges: [...route.edges.keys(), ...route.pendingEdges.keys()] };
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

  #ensureEdge(route: Route, nodeId: string): Promise<Edge> {
    const existing = route.edges.get(nodeId);
    if (existing) return Promise.resolve(existing);
    let pending = route.pendingEdges.get(nodeId);
    if (!pending) {
      pending = this.#openEdge(route, nodeId).finally(() => route.pendingEdges.delete(nodeId));
      route.pendingEdges.set(nodeId, pending);
    }
    return pending;
  }

  async #openEdge(route: Route, nodeId: string): Promise<Edge> {
    const parent = this.#parentFor(route);
    const src = this.#fleet.control(parent);
    const dst = this.#fleet.control(nodeId);
    if (!src || !dst) throw new SfuError('not_found', 'media node went away');
    const started = performance.now();
    const [a, b] = await Promise.all([src.createPipeTransport(route.streamId), dst.createPipeTransport(route.streamId)]);
    await Promise.all([
      src.connectPipeTransport(a.id, { ip: b.ip, port: b.port, srtpParameters: b.srtpParameters }),
      dst.connectPipeTransport(b.id, { ip: a.ip, port: a.port, srtpParameters: a.srtpParameters }),
    ]);
    const edge: Edge = { nodeId, parent, srcPipeId: a.id, dstPipeId: b.id, piped: new Set() };
    route.edges.set(nodeId, edge);
    const producers = parent === route.origin ? [...route.kinds.keys()] : [...(route.edges.get(parent)?.piped ?? [])];
    await Promise.all(producers.map((p) => this.#pipeDown(route, edge, p)));
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
      if (!(err instanceof SfuError && /already here/.test(err.message))) {
        this.#log.warn({ streamId: route.streamId, edge: edge.nodeId, producerId, err: (err as Error).message }, 'pipe failed');
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
    for (const nodeId of removableEdges(this.#state(route), this.#opts.policy)) {
      // An edge that feeds another stays while its child does.
      if (this.#childrenOf(route, nodeId).length === 0) this.#removeEdge(route, nodeId, false);
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
    dst?.closeStream(route.streamId);
    this.#log.info({ streamId: route.streamId, edge: nodeId, lost }, lost ? 'edge lost' : 'edge removed');
    if (lost) this.emit('nodelost', { streamId: route.streamId, nodeId, wasOrigin: false });
    this.#changed(route);
  }

  #teardown(route: Route): void {
    clearTimeout(route.idleTimer);
    this.#routes.delete(route.streamId);
    // Every tab of the stream is told separately (stream ended, or origin lost), so the
    // edges need no notice of their own here.
    for (const id of [route.origin, ...route.edges.keys()]) this.#fleet.control(id)?.closeStream(route.streamId);
    this.emit('routechange', { streamId: route.streamId, route: undefined });
  }

  #changed(route: Route): void {
    if (this.#routes.get(route.streamId) === route) this.emit('routechange', { streamId: route.streamId, route: this.view(route.streamId) });
  }
}
