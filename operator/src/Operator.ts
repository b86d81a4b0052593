// The operator process: serves /metrics and probes always, campaigns for the Lease, and runs
// the controllers only while it leads. Losing the lease stops every controller before the
// lease could pass to another replica (renewDeadline < leaseDuration).
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
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
import { LeaderElector } from './kube/LeaderElector.ts';
import { WorkQueue } from './kube/WorkQueue.ts';
import { createMetrics, type OperatorMetrics } from './metrics.ts';
import { LiveStreamCache, streamKey } from './reconcile/LiveStreamCache.ts';
import { LiveStreamReconciler } from './reconcile/LiveStreamReconciler.ts';
import { RouteMirror } from './reconcile/RouteMirror.ts';
import { RoutingIndex } from './reconcile/RoutingIndex.ts';

export interface OperatorEvents {
  leading: [boolean];
}

interface Term {
  queue: WorkQueue;
  streams: Informer<LiveStream>;
  pods: Informer<V1Pod>;
  reports: NodeReports;
  controls: NodeControls;
  reconciler: LiveStreamReconciler;
  timers: NodeJS.Timeout[];
}

export class Operator extends EventEmitter<OperatorEvents> {
  readonly config: OperatorConfig;
  readonly metrics: OperatorMetrics;
  readonly elector: LeaderElector;
  readonly #kc: KubeConfig;
  readonly #log: Logger;
  readonly #redis: Redis;
  readonly #sub: Redis;
  readonly #mirror: RouteMirror;
  #server: Server | undefined;
  #term: Term | undefined;
  #termChange: Promise<void> = Promise.resolve();
  #ending: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(kc: KubeConfig, config: OperatorConfig, log: Logger, opts: { defaultMetrics?: boolean } = {}) {
    super();
    this.#kc = kc;
    this.config = config;
    this.#log = log;
    this.metrics = createMetrics({ defaults: opts.defaultMetrics ?? true });
    this.#redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 3 });
    this.#sub = new Redis(config.redisUrl, { lazyConnect: true });
    this.#mirror = new RouteMirror(this.#redis);
    this.elector = new LeaderElector({
      kc,
      namespace: config.namespace,
      name: config.lease.name,
      identity: config.identity,
      leaseDurationMs: config.lease.durationMs,
      renewDeadlineMs: config.lease.renewDeadlineMs,
      retryPeriodMs: config.lease.retryPeriodMs,
      log,
    });
    this.elector.on('started', () => this.#switch(true));
    this.elector.on('stopped', () => this.#switch(false));
  }

  get leading(): boolean {
    return this.#term !== undefined;
  }

  /** The metrics/probe address once listening. */
  metricsUrl: string | undefined;

  async start(): Promise<void> {
    await Promise.all([this.#redis.connect(), this.#sub.connect()]);
    this.#server = createServer((req, res) => void this.#serve(req.url ?? '/', res));
    await new Promise<void>((resolve) => this.#server!.listen(this.config.metrics.port, this.config.metrics.host, resolve));
    const addr = this.#server.address() as { port: number };
    this.metricsUrl = `http://${this.config.metrics.host === '0.0.0.0' ? '127.0.0.1' : this.config.metrics.host}:${addr.port}`;
    this.elector.start();
    this.#log.info({ namespace: this.config.namespace, identity: this.config.identity, metrics: this.metricsUrl }, 'operator started');
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    // Controllers stop before the lease is released, so a standby never overlaps with them.
    await this.#endTerm();
    await this.#termChange;
    await this.elector.stop();
    await this.#endTerm();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
    this.#redis.disconnect();
    this.#sub.disconnect();
  }

  /** Resolves when every key queued so far has been handled (tests, benchmarks). */
  get queue(): WorkQueue | undefined {
    return this.#term?.queue;
  }

  #switch(leading: boolean): void {
    if (!leading) {
      // Not chained behind a term that is still starting: stopping must never wait on it.
      void this.#endTerm().then(() => this.#announce());
      return;
    }
    this.#termChange = this.#termChange.then(async () => {
      // A term that is still winding down may have writes in flight; the new one must see them.
      await this.#ending;
      if (this.#stopped || !this.elector.leading || this.#term) return;
      await this.#beginTerm().catch((err: Error) => {
        // e.g. RBAC missing: keep campaigning; the next term tries again.
        this.#log.error({ err: err.message }, 'controllers failed to start');
        return this.#endTerm();
      });
      this.#announce();
    });
  }

  #announce(): void {
    this.metrics.leader.set(this.#term ? 1 : 0);
    this.emit('leading', this.#term !== undefined);
  }

  async #beginTerm(): Promise<void> {
    const ns = this.config.namespace;
    const log = this.#log;
    const core = this.#kc.makeApiClient(CoreV1Api);
    const lsClient = new LiveStreamClient(this.#kc);
    const fleetSelector = `${FLEET_LABEL}=${this.config.fleet.templateName}`;
    const streams = new Informer<LiveStream>({
      kc: this.#kc,
      name: 'livestreams',
      path: LiveStreamClient.watchPath(ns),
      list: () => lsClient.list(ns),
      resyncMs: this.config.resyncMs,
      log,
    });
    const pods = new Informer<V1Pod>({
      kc: this.#kc,
      name: 'sfu-pods',
      path: `/api/v1/namespaces/${ns}/pods`,
      list: () => core.listNamespacedPod({ namespace: ns, labelSelector: fleetSelector }),
      labelSelector: fleetSelector,
      resyncMs: this.config.resyncMs,
      log,
    });
    const untrusted = new UntrustedInput({ count: (source) => this.metrics.malformed.inc({ source }), warn: (obj, msg) => log.warn(obj, msg) });
    const reports = new NodeReports({ redis: this.#redis, subscriber: this.#sub, log, staleMs: this.config.reportStaleMs, fleet: this.config.fleet.name, untrusted });
    const routing = new RoutingIndex();
    const cache = new LiveStreamCache(streams);
    const controls = new NodeControls(new ControlAuth(this.config.controlSecret), log, { untrusted });
    const events = new EventRecorder(this.#kc, 'vilokanam-operator', this.config.identity, log);
    const fleet = new FleetState(() => pods.list(ns), reports, routing, {
      reservePerStream: this.config.fleet.streamReserve,
      defaultCapacity: this.config.fleet.nodeCapacity,
    });
    const queue = new WorkQueue({ baseDelayMs: 100, maxDelayMs: 30_000 });
    const reconciler = new LiveStreamReconciler(
      { cache, client: lsClient, fleet, controls, mirror: this.#mirror, routing, events, metrics: this.metrics, log, wantCapacity: () => queue.add(FLEET_KEY) },
      {
        fanout: this.config.edges.fanout,
        edgeScaleDownDelayMs: this.config.edges.scaleDownDelayMs,
        releaseTimeoutMs: this.config.releaseTimeoutMs,
        pendingRequeueMs: 1_000,
      },
    );
    const fleetReconciler = new FleetReconciler(
      {
        kc: this.#kc,
        fleet,
        pods: () => pods.list(ns),
        events,
        metrics: this.metrics,
        log,
        unplaced: () => [...reconciler.unplaced.values()].reduce((a, b) => a + b, 0),
        nodeChanged: (pod) => routing.streamsOn(pod).forEach((k) => queue.add(k)),
      },
      {
        namespace: ns,
        templateName: this.config.fleet.templateName,
        policy: {
          minNodes: this.config.fleet.minNodes,
          maxNodes: this.config.fleet.maxNodes,
          targetUtilization: this.config.fleet.targetUtilization,
          drainGraceMs: this.config.fleet.drainGraceMs,
          defaultCapacity: this.config.fleet.nodeCapacity,
        },
        scaleDownDelayMs: this.config.fleet.scaleDownDelayMs,
        pollMs: this.config.fleet.pollMs,
      },
    );

    const term: Term = { queue, streams, pods, reports, controls, reconciler, timers: [] };
    this.#term = term;
    this.#mirror.reset();

    const enqueue = (obj: LiveStream) => queue.add(streamKey(obj.metadata.namespace, obj.metadata.name));
    for (const verb of ['add', 'update', 'delete', 'resync'] as const) streams.on(verb, enqueue);
    streams.on('delete', (obj) => routing.delete(streamKey(obj.metadata.namespace, obj.metadata.name)));
    const podChanged = (pod: V1Pod) => {
      queue.add(FLEET_KEY);
      routing.streamsOn(pod.metadata!.name!).forEach((k) => queue.add(k));
    };
    for (const verb of ['add', 'update', 'delete'] as const) pods.on(verb, podChanged);
    reports.on('report', (report, previous) => {
      // Redis may be shared with other installs and standalone nodes: only this fleet's matter.
      if (!pods.get(report.nodeId, ns)) return;
      if (!previous) {
        // A node joined: anything waiting for room may fit now.
        queue.add(FLEET_KEY);
        for (const k of reconciler.unplaced.keys()) queue.add(k);
      }
      const ids = new Set([...Object.keys(report.streams), ...Object.keys(previous?.streams ?? {})]);
      for (const id of ids) {
        const a = report.streams[id];
        const b = previous?.streams[id];
        if ((a?.consumers !== b?.consumers || a?.producers !== b?.producers) && streams.get(id, ns)) queue.add(streamKey(ns, id));
      }
      if (previous && (previous.draining !== report.draining || previous.capacity !== report.capacity)) queue.add(FLEET_KEY);
    });
    reports.on('gone', (pod) => {
      queue.add(FLEET_KEY);
      routing.streamsOn(pod).forEach((k) => queue.add(k));
    });

    queue.on('done', ({ key, ms, error, retryInMs }) => {
      const controller = key === FLEET_KEY ? 'fleet' : 'livestream';
      this.metrics.reconciles.inc({ controller, result: error ? 'error' : retryInMs !== undefined ? 'requeue' : 'ok' });
      this.metrics.reconcileSeconds.observe({ controller }, ms / 1000);
      if (error) log.warn({ key, err: error.message, retryInMs }, 'reconcile failed');
    });
    await reports.start();
    await Promise.all([streams.start(), pods.start()]);
    // Ended (lease lost, or stopping) while the caches were filling.
    if (this.#term !== term) return;
    // Workers start only on synced caches: a stream missing from an unsynced cache would
    // look deleted and lose its route.
    queue.start(this.config.workers, (key) => (key === FLEET_KEY ? fleetReconciler.reconcile() : reconciler.reconcile(key)));
    for (const ls of streams.list()) routing.set(streamKey(ls.metadata.namespace, ls.metadata.name), ls.status);
    queue.add(FLEET_KEY);
    for (const ls of streams.list()) enqueue(ls);

    term.timers.push(
      setInterval(() => {
        this.metrics.queueDepth.set(queue.depth);
        const phases = new Map<string, number>();
        for (const ls of cache.list()) phases.set(ls.status?.phase ?? 'Pending', (phases.get(ls.status?.phase ?? 'Pending') ?? 0) + 1);
        for (const phase of ['Pending', 'Scheduling', 'Live', 'Draining', 'Ended', 'Failed']) this.metrics.streams.set({ phase }, phases.get(phase) ?? 0);
      }, 2_000),
      setInterval(() => {
        void this.#mirror
          .collect(ns, (id) => streams.get(id, ns) !== undefined)
          .then((stale) => stale.length && log.info({ stale }, 'removed routes of streams that are gone'))
          .catch((err: Error) => log.warn({ err: err.message }, 'route collection failed'));
      }, this.config.resyncMs),
    );
    for (const t of term.timers) t.unref();
    log.info({ streams: streams.list().length, pods: pods.list().length }, 'controllers running');
  }

  #endTerm(): Promise<void> {
    const term = this.#term;
    if (!term) return this.#ending;
    this.#term = undefined;
    this.#ending = (async () => {
      for (const t of term.timers) clearInterval(t);
      await Promise.all([term.queue.stop(), term.streams.stop(), term.pods.stop(), term.reports.stop()]);
      term.controls.close();
      this.#log.info('controllers stopped');
    })();
    return this.#ending;
  }

  async #serve(url: string, res: import('node:http').ServerResponse): Promise<void> {
    if (url === '/metrics') {
      res.setHeader('content-type', this.metrics.registry.contentType);
      res.end(await this.metrics.registry.metrics());
      return;
    }
    if (url === '/healthz') {
      res.end('ok');
      return;
    }
    if (url === '/readyz') {
      // Ready means connected to Redis; a standby is ready too (it takes over on its own).
      const ok = this.#redis.status === 'ready';
      res.statusCode = ok ? 200 : 503;
      res.end(ok ? 'ok' : 'redis not ready');
      return;
    }
    if (url === '/leader') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ identity: this.config.identity, leading: this.leading, leader: this.elector.leader }));
      return;
    }
    res.statusCode = 404;
    res.end();
  }
}
