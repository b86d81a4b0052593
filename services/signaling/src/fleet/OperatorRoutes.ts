import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  API_VERSION,
  KIND,
  VIEWER_DEMAND_ANNOTATION,
  LiveStreamClient,
  ROUTE_CHANNEL,
  StreamRoute,
  isStatus,
  kubeMessage,
  parseRouteMessage,
  routeKey,
} from '@vilokanam/operator/api';
import { SfuError } from '@vilokanam/sfu-node';
import type { StreamRecord } from '../StreamStore.ts';
import type { Fleet } from './Fleet.ts';
import type { PlacedRoute, RouteProvider } from './RouteProvider.ts';
import type { StreamRoutes } from './StreamRoutes.ts';
import { backoffDelay } from '@vilokanam/contracts/backoff';

export interface OperatorRoutesOptions {
  routes: StreamRoutes;
  fleet: Fleet;
  redis: Redis;
  /** A connection of its own: it is put in subscriber mode. */
  subscriber: Redis;
  streams: LiveStreamClient;
  namespace: string;
  /** How long a publisher or viewer waits for the operator to place the stream. */
  waitMs: number;
  log: Logger;
  /** What every LiveStream signaling creates gets: its fan-out policy. */
  defaults: { edges: { viewersPerEdge: number; max: number } };
}

/** The CRD's category rule: a DNS label. Free-text categories are folded into one. */
export function categorySlug(category: string): string {
  const slug = category
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return slug || 'other';
}

export function placedRoute(route: StreamRoute): PlacedRoute | undefined {
  if (route.phase !== 'Live') return undefined;
  return {
    origin: route.origin.pod,
    edges: route.edges.map((e) => ({ nodeId: e.pod, parent: e.parent, draining: e.draining })),
    viewersPerEdge: route.policy.viewersPerEdge,
    maxViewers: route.policy.maxViewers,
  };
}

const ENDED_ATTEMPTS = 5;
/** A standing demand is restated this often while nodes stay full, within the operator's TTL. */
const DEMAND_REFRESH_MS = 10_000;

/**
 * Kubernetes mode: a stream that starts becomes a LiveStream, and the operator's route for it
 * (mirrored to Redis, see docs/kubernetes.md) is what StreamRoutes follows. Node ids are pod
 * names: each sfu-node reports under its pod's name.
 */
export class OperatorRoutes implements RouteProvider {
  readonly #o: OperatorRoutesOptions;
  readonly #log: Logger;
  /** The newest route seen per stream of this namespace. */
  readonly #latest = new Map<string, StreamRoute>();
  /** The last demand written per stream, so a burst of joins patches once per step up. */
  readonly #asked = new Map<string, { viewers: number; at: number }>();
  #closed = false;

  constructor(o: OperatorRoutesOptions) {
    this.#o = o;
    this.#log = o.log.child({ component: 'operator-routes' });
  }

  async start(): Promise<void> {
    this.#o.subscriber.on('message', (channel: string, json: string) => {
      if (channel === ROUTE_CHANNEL) this.#onMessage(json);
    });
    await this.#o.subscriber.subscribe(ROUTE_CHANNEL);
    // A node that comes back gets the edges its routes still name.
    this.#o.fleet.on('nodeup', ({ nodeId }) => {
      for (const r of this.#latest.values()) {
        if (r.origin.pod === nodeId || r.edges.some((e) => e.pod === nodeId)) void this.#o.routes.applyRoute(r.streamId, placedRoute(r));
      }
    });
    this.#o.routes.attach(this);
  }

  async streamStarting(stream: StreamRecord): Promise<void> {
    const { streams, namespace } = this.#o;
    const spec = {
      // A free stream nobody owns still needs a creator in the spec.
      creator: stream.creatorAddress ?? 'unclaimed',
      title: stream.title.slice(0, 140),
      category: categorySlug(stream.category),
      pricePerSecond: stream.pricePerSecond.toString(),
      // The stream's setting, so `kubectl get livestreams` shows which are recorded.
      recording: stream.recording,
      edges: { min: 0, ...this.#o.defaults.edges },
    };
    try {
      await streams.create(namespace, {
        apiVersion: API_VERSION,
        kind: KIND,
        metadata: { name: stream.id, namespace, labels: { 'app.kubernetes.io/managed-by': 'vilokanam-signaling' } },
        spec,
      });
      this.#log.info({ streamId: stream.id }, 'LiveStream created');
    } catch (err) {
      if (!isStatus(err, 409)) throw new Error(kubeMessage(err));
      // Started again after it ended: the same object goes back to the operator.
      const existing = await streams.get(namespace, stream.id);
      if (existing.spec.ended || existing.spec.recording !== stream.recording) await streams.patchSpec(namespace, stream.id, { ended: false, recording: stream.recording });
    }
  }

  async awaitRoute(streamId: string): Promise<void> {
    const deadline = Date.now() + this.#o.waitMs;
    let lastFetch = 0;
    for (;;) {
      const view = this.#o.routes.view(streamId);
      if (view && this.#o.fleet.control(view.origin)) return;
      // The channel may have said it before this process listened; the key holds it too.
      if (Date.now() - lastFetch >= 1000) {
        lastFetch = Date.now();
        await this.#fetch(streamId);
        continue;
      }
      if (this.#closed || Date.now() > deadline) throw new SfuError('not_found', 'the stream has no media origin yet');
      await sleep(50);
    }
  }

  streamEnded(streamId: string): void {
    this.#asked.delete(streamId);
    void this.#end(streamId);
  }

  /** The audience fell below what was asked for: the request goes, and the reports decide again. */
  audienceShrank(streamId: string, viewers: number): void {
    const last = this.#asked.get(streamId);
    if (!last || viewers >= last.viewers) return;
    this.#asked.delete(streamId);
    this.#o.streams.annotate(this.#o.namespace, streamId, { [VIEWER_DEMAND_ANNOTATION]: null }).catch((err: unknown) => {
      if (!isStatus(err, 404)) this.#log.warn({ streamId, err, apiserver: kubeMessage(err) }, 'could not withdraw the edge request');
    });
  }

  /**
   * Tells the operator at once, through an annotation on the LiveStream, that the stream has
   * outgrown its nodes; it adds edges for that audience without waiting for load reports.
   */
  capacityWanted(streamId: string, viewers: number): void {
    const now = Date.now();
    const last = this.#asked.get(streamId);
    if (last && last.viewers >= viewers && now - last.at < DEMAND_REFRESH_MS) return;
    this.#asked.set(streamId, { viewers, at: now });
    this.#o.streams.annotate(this.#o.namespace, streamId, { [VIEWER_DEMAND_ANNOTATION]: `${viewers}@${now}` }).then(
      () => this.#log.info({ streamId, viewers }, 'asked the operator for an edge'),
      (err: unknown) => this.#log.warn({ streamId, err, apiserver: kubeMessage(err) }, 'could not ask for an edge'),
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#o.subscriber.unsubscribe(ROUTE_CHANNEL).catch(() => undefined);
  }

  async #end(streamId: string): Promise<void> {
    this.#latest.delete(streamId);
    for (let attempt = 1; attempt <= ENDED_ATTEMPTS; attempt++) {
      try {
        await this.#o.streams.patchSpec(this.#o.namespace, streamId, { ended: true });
        this.#log.info({ streamId }, 'LiveStream ended');
        return;
      } catch (err) {
        if (isStatus(err, 404)) return;
        this.#log.warn({ streamId, attempt, err, apiserver: kubeMessage(err) }, 'could not end LiveStream');
        if (this.#closed) return;
        await sleep(backoffDelay(attempt, { initialMs: 200, maxMs: 5000 }));
      }
    }
    this.#log.error({ streamId }, 'LiveStream left running: spec.ended could not be set');
  }

  async #fetch(streamId: string): Promise<void> {
    const json = await this.#o.redis.get(routeKey(streamId));
    if (!json) return;
    try {
      await this.#accept(StreamRoute.parse(JSON.parse(json)));
    } catch (err) {
      this.#log.warn({ streamId, err }, 'unreadable route');
    }
  }

  #onMessage(json: string): void {
    try {
      const msg = parseRouteMessage(json);
      if ('deleted' in msg) {
        // Tombstones carry no namespace: only a stream followed here is ours to drop.
        if (this.#latest.delete(msg.streamId)) void this.#o.routes.applyRoute(msg.streamId, undefined);
        return;
      }
      void this.#accept(msg);
    } catch (err) {
      this.#log.warn({ err }, 'unreadable route message');
    }
  }

  #accept(route: StreamRoute): Promise<void> {
    if (route.namespace !== this.#o.namespace) return Promise.resolve();
    const known = this.#latest.get(route.streamId);
    // A GET may race a newer message: the operator stamps every write.
    if (known && known.updatedAt > route.updatedAt) return Promise.resolve();
    this.#latest.set(route.streamId, route);
    const placed = placedRoute(route);
    // Scheduling with the same origin is the operator re-checking the router: keep serving.
    if (!placed && (route.phase === 'Scheduling' || route.phase === 'Pending') && this.#o.routes.view(route.streamId)?.origin === route.origin.pod) {
      return Promise.resolve();
    }
    return this.#o.routes.applyRoute(route.streamId, placed);
  }
}
