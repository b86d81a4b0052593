import type { Middleware } from 'koa';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class SignalingMetrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'vilo_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly sockets = new Gauge({ name: 'vilo_ws_sockets', help: 'Open signaling WebSockets', registers: [this.registry] });
  readonly sessions = new Gauge({
    name: 'vilo_ws_sessions',
    help: 'Joined sessions by role',
    labelNames: ['role'],
    registers: [this.registry],
  });
  readonly requests = new Counter({
    name: 'vilo_ws_requests_total',
    help: 'Signaling requests by type and outcome',
    labelNames: ['type', 'outcome'],
    registers: [this.registry],
  });
  readonly malformed = new Counter({
    name: 'vilo_malformed_messages_total',
    help: 'Messages from Redis, nodes or sockets refused as malformed, by source',
    labelNames: ['source'],
    registers: [this.registry],
  });
  readonly liveStreams = new Gauge({ name: 'vilo_live_streams', help: 'Streams with a publisher joined', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'vilo_signaling_' });
  }

  httpMiddleware(): Middleware {
    return async (ctx, next) => {
      const end = this.httpDuration.startTimer();
      try {
        await next();
      } finally {
        // Route patterns, not raw paths, keep label cardinality bounded.
        const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? (ctx.path.startsWith('/api') ? 'unmatched' : 'static');
        end({ method: ctx.method, route, status: String(ctx.status) });
      }
    };
  }
}
