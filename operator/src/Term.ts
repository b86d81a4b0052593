// One term of leadership: the controllers that run only while this replica holds the Lease.
// Built in four steps, as they depend on one another: the caches (informers and node reports),
// the reconcilers over them, the events that queue keys, and the start, which waits for synced
// caches before any worker runs.
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { NodeReport } from '@vilokanam/contracts/fleet';
import { UntrustedInput } from '@vilokanam/contracts/untrusted';
import { ControlAuth } from '@vilokanam/sfu-node/client';
import type { LiveStream } from './api/livestream.ts';
import { LiveStreamClient } from './api/LiveStreamClient.ts';
import type { OperatorConfig } from './config.ts';
import { FLEET_KEY, FleetReconciler } from './fleet/FleetReconciler.ts';
import { FLEET_LABEL, FleetState } from './fleet/FleetState.ts';
import { NodeControls } from './fleet/NodeControls.ts';
import { NodeReports } from './fleet/NodeReports.ts';
import { EventRecorder } from './kube/EventRecorder.ts';
import { Informer } from './kube/Informer.ts';
import { WorkQueue } from './kube/WorkQueue.ts';
import type { OperatorMetrics } from './metrics.ts';
import { LiveStreamCache, streamKey } from './reconcile/LiveStreamCache.ts';
import { LiveStreamReconciler } from './reconcile/LiveStreamReconciler.ts';
import type { RouteMirror } from './reconcile/RouteMirror.ts';
import { RoutingIndex } from './reconcile/RoutingIndex.ts';

export interface TermDeps {
  kc: KubeConfig;
  config: OperatorConfig;
  log: Logger;
  metrics: OperatorMetrics;
  redis: Redis;
  subscriber: Redis;
  mirror: RouteMirror;
}

const PHASES = ['Pending', 'Scheduling', 'Live', 'Draining', 'Ended', 'Failed'];

export class Term {
  readonly queue = new WorkQueue({ baseDelayMs: 100, maxDelayMs: 30_000 });
  readonly streams: Informer<LiveStream>;
  readonly pods: Informer<V1Pod>;
  readonly reports: NodeReports;
  readonly controls: NodeControls;
  readonly reconciler: LiveStreamReconciler;
  readonly #fleetReconciler: FleetReconciler;
  readonly #routing = new RoutingIndex();
  readonly #cache: LiveStreamCache;
  readonly #d: TermDeps;
  readonly #timers: NodeJS.Timeout[] = [];
  #stopped = false;

  constructor(d: TermDeps) {
    this.#d = d;
    const untrusted = new UntrustedInput({ count: (source) => d.metrics.malformed.inc({ source }), warn: (obj, msg) => d.log.warn(obj, msg) });
    [this.streams, this.pods] = this.#informers();
    this.reports = new NodeReports({ redis: d.redis, subscriber: d.subscriber, log: d.log, staleMs: d.config.reportStaleMs, fleet: d.config.fleet.name, untrusted });
    this.#cache = new LiveStreamCache(this.streams);
    this.controls = new NodeControls(new ControlAuth(d.config.controlSecret), d.log, { untrusted });
    [this.reconciler, this.#fleetReconciler] = this.#reconcilers();
    this.#wire();
  }

  #informers(): [Informer<LiveStream>, Informer<V1Pod>] {
    const { kc, config, log } = this.#d;
    const ns = config.namespace;
    const core = kc.makeApiClient(CoreV1Api);
    const lsClient = new LiveStreamClient(kc);
    const fleetSelector = `${FLEET_LABEL}=${config.fleet.templateName}`;
    return [
      new Informer<LiveStream>({ kc, name: 'livestreams', path: LiveStreamClient.watchPath(ns), list: () => lsClient.list(ns), resyncMs: config.resyncMs, log }),
      new Informer<V1Pod>({
        kc,
        name: 'sfu-pods',
        path: `/api/v1/namespaces/${ns}/pods`,
        list: () => core.listNamespacedPod({ namespace: ns, labelSelector: fleetSelector }),
        labelSelector: fleetSelector,
        resyncMs: config.resyncMs,
        log,
      }),
    ];
  }

  #reconcilers(): [LiveStreamReconciler, FleetReconciler] {
    const { kc, config, log, metrics, mirror } = this.#d;
    const ns = config.namespace;
    const events = new EventRecorder(kc, 'vilokanam-operator', config.identity, log);
    const fleet = new FleetState(() => this.pods.list(ns), this.reports, this.#routing, {
      reservePerStream: config.fleet.streamReserve,
      defaultCapacity: config.fleet.nodeCapacity,
    });
    const reconciler = new LiveStreamReconciler(
      { cache: this.#cache, client: new LiveStreamClient(kc), fleet, controls: this.controls, mirror, routing: this.#routing, events, metrics, log, wantCapacity: () => this.queue.add(FLEET_KEY) },
      { fanout: config.edges.fanout, edgeScaleDownDelayMs: config.edges.scaleDownDelayMs, releaseTimeoutMs: config.releaseTimeoutMs, pendingRequeueMs: 1_000 },
    );
    const { minNodes, maxNodes, targetUtilization, drainGraceMs, nodeCapacity, templateName, scaleDownDelayMs, pollMs } = config.fleet;
    const fleetReconciler = new FleetReconciler(
      {
        kc,
        fleet,
        pods: () => this.pods.list(ns),
        events,
        metrics,
        log,
        unplaced: () => [...reconciler.unplaced.values()].reduce((a, b) => a + b, 0),
        nodeChanged: (pod) => this.#routing.streamsOn(pod).forEach((k) => this.queue.add(k)),
      },
      { namespace: ns, templateName, policy: { minNodes, maxNodes, targetUtilization, drainGraceMs, defaultCapacity: nodeCapacity }, scaleDownDelayMs, pollMs },
    );
    return [reconciler, fleetReconciler];
  }

  /** Which keys each change queues. */
  #wire(): void {
    const { queue, streams, pods, reports } = this;
    const enqueue = (obj: LiveStream) => queue.add(streamKey(obj.metadata.namespace, obj.metadata.name));
    for (const verb of ['add', 'update', 'delete', 'resync'] as const) streams.on(verb, enqueue);
    streams.on('delete', (obj) => this.#routing.delete(streamKey(obj.metadata.namespace, obj.metadata.name)));
    const nodeChanged = (pod: string) => {
      queue.add(FLEET_KEY);
      this.#routing.streamsOn(pod).forEach((k) => queue.add(k));
    };
    for (const verb of ['add', 'update', 'delete'] as const) pods.on(verb, (pod) => nodeChanged(pod.metadata!.name!));
    reports.on('report', (report, previous) => this.#onReport(report, previous));
    reports.on('gone', nodeChanged);
    queue.on('done', ({ key, ms, error, retryInMs }) => {
      const controller = key === FLEET_KEY ? 'fleet' : 'livestream';
      this.#d.metrics.reconciles.inc({ controller, result: error ? 'error' : retryInMs !== undefined ? 'requeue' : 'ok' });
      this.#d.metrics.reconcileSeconds.observe({ controller }, ms / 1000);
      if (error) this.#d.log.warn({ key, err: error, retryInMs }, 'reconcile failed');
    });
  }

  #onReport(report: NodeReport, previous: NodeReport | undefined): void {
    const ns = this.#d.config.namespace;
    // Redis may be shared with other installs and standalone nodes: only this fleet's matter.
    if (!this.pods.get(report.nodeId, ns)) return;
    if (!previous) {
      // A node joined: anything waiting for room may fit now.
      this.queue.add(FLEET_KEY);
      for (const k of this.reconciler.unplaced.keys()) this.queue.add(k);
    }
    const ids = new Set([...Object.keys(report.streams), ...Object.keys(previous?.streams ?? {})]);
    for (const id of ids) {
      const a = report.streams[id];
      const b = previous?.streams[id];
      if ((a?.consumers !== b?.consumers || a?.producers !== b?.producers) && this.streams.get(id, ns)) this.queue.add(streamKey(ns, id));
    }
    if (previous && (previous.draining !== report.draining || previous.capacity !== report.capacity)) this.queue.add(FLEET_KEY);
  }

  /**
   * Fills the caches, then starts the workers: a stream missing from an unsynced cache would
   * look deleted and lose its route. Resolves early, doing nothing more, if stopped meanwhile.
   */
  async start(): Promise<void> {
    const { config, log } = this.#d;
    const ns = config.namespace;
    await this.reports.start();
    await Promise.all([this.streams.start(), this.pods.start()]);
    if (this.#stopped) return;
    this.queue.start(config.workers, (key) => (key === FLEET_KEY ? this.#fleetReconciler.reconcile() : this.reconciler.reconcile(key)));
    for (const ls of this.streams.list()) this.#routing.set(streamKey(ls.metadata.namespace, ls.metadata.name), ls.status);
    this.queue.add(FLEET_KEY);
    for (const ls of this.streams.list()) this.queue.add(streamKey(ls.metadata.namespace, ls.metadata.name));
    this.#housekeeping();
    log.info({ streams: this.streams.list().length, pods: this.pods.list(ns).length }, 'controllers running');
  }

  /** Gauges every 2 s, and routes of streams that are gone collected every resync. */
  #housekeeping(): void {
    const { config, log, metrics, mirror } = this.#d;
    const ns = config.namespace;
    this.#timers.push(
      setInterval(() => {
        metrics.queueDepth.set(this.queue.depth);
        const phases = new Map<string, number>();
        for (const ls of this.#cache.list()) phases.set(ls.status?.phase ?? 'Pending', (phases.get(ls.status?.phase ?? 'Pending') ?? 0) + 1);
        for (const phase of PHASES) metrics.streams.set({ phase }, phases.get(phase) ?? 0);
      }, 2_000),
      setInterval(() => {
        void mirror
          .collect(ns, (id) => this.streams.get(id, ns) !== undefined)
          .then((stale) => stale.length && log.info({ stale }, 'removed routes of streams that are gone'))
          .catch((err: Error) => log.warn({ err }, 'route collection failed'));
      }, config.resyncMs),
    );
    for (const t of this.#timers) t.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
    await Promise.all([this.queue.stop(), this.streams.stop(), this.pods.stop(), this.reports.stop()]);
    this.controls.close();
  }
}
