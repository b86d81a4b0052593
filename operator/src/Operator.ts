// The operator process: serves /metrics and probes always, campaigns for the Lease, and runs
// the controllers only while it leads. Losing the lease stops every controller before the
// lease could pass to another replica (renewDeadline < leaseDuration).
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { OperatorConfig } from './config.ts';
import { LeaderElector } from './kube/LeaderElector.ts';
import type { WorkQueue } from './kube/WorkQueue.ts';
import { createMetrics, type OperatorMetrics } from './metrics.ts';
import { RouteMirror } from './reconcile/RouteMirror.ts';
import { Term } from './Term.ts';

export interface OperatorEvents {
  leading: [boolean];
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
        this.#log.error({ err }, 'controllers failed to start');
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
    const term = new Term({ kc: this.#kc, config: this.config, log: this.#log, metrics: this.metrics, redis: this.#redis, subscriber: this.#sub, mirror: this.#mirror });
    this.#term = term;
    this.#mirror.reset();
    await term.start();
  }

  #endTerm(): Promise<void> {
    const term = this.#term;
    if (!term) return this.#ending;
    this.#term = undefined;
    this.#ending = (async () => {
      await term.stop();
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
