import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import serve from 'koa-static';
import type { Logger } from 'pino';
import type { Auth } from '../auth/Auth.ts';
import type { ClientAddress } from '@vilokanam/contracts/client-address';
import { authRoutes } from '../auth/authRouter.ts';
import { sessionMiddleware } from '../auth/middleware.ts';
import type { Database } from '../db/Database.ts';
import type { Fleet } from '../fleet/Fleet.ts';
import type { SignalingMetrics } from '../metrics.ts';
import { moneyRoutes, type MoneyConfig } from '../money/moneyRouter.ts';
import { errorMiddleware, HttpError } from './errors.ts';
import { readiness } from './ops.ts';
import { streamsRouter, type StreamsDeps } from './streamsRouter.ts';

export interface AppDeps extends StreamsDeps {
  auth: Auth;
  db: Database;
  fleet: Fleet;
  log: Logger;
  metrics: SignalingMetrics;
  webDir: string | undefined;
  money: MoneyConfig;
  /** The real client address of a request (VILO_TRUSTED_PROXIES decides whom to believe). */
  clientAddress: ClientAddress;
  /** Believe X-Forwarded-Proto and -Host: only when proxies are configured. */
  trustProxy: boolean;
  /** API routes mounted before sign-in's (e.g. the dev chain faucet). */
  extraRoutes?: Koa.Middleware[];
}

/** A small core; everything is middleware, in the order a request meets it. */
export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  app.proxy = deps.trustProxy;
  // Koa reports body-stream failures here; a tab closed mid-download is routine, not an error.
  app.on('error', (err: NodeJS.ErrnoException) => {
    const aborted = err.code === 'ERR_STREAM_PREMATURE_CLOSE' || err.code === 'ECONNRESET' || err.code === 'EPIPE';
    if (aborted) deps.log.debug({ code: err.code }, 'client went away mid-response');
    else deps.log.error({ err }, 'response stream failed');
  });
  app.use(deps.metrics.httpMiddleware());
  // ctx.ip is what rate limits key on: the socket's peer unless a trusted proxy says otherwise.
  app.use(async (ctx, next) => {
    ctx.request.ip = deps.clientAddress(ctx.req);
    await next();
  });
  app.use(requestLog(deps.log));
  app.use(errorMiddleware(deps.log));
  // SDP offers and ICE fragments (WHIP, WHEP) come as text; everything else as JSON.
  app.use(bodyParser({ enableTypes: ['json', 'text'], jsonLimit: '32kb', textLimit: '64kb', extendTypes: { text: ['application/sdp', 'application/trickle-ice-sdpfrag'] } }));

  // Probes stay here for the kubelet; metrics are on the ops listener only (ops.ts).
  const probes = new Router();
  probes.get('/healthz', (ctx) => {
    ctx.body = { ok: true };
  });
  probes.get('/readyz', async (ctx) => {
    const state = await readiness(deps);
    ctx.status = state.ok ? 200 : 503;
    ctx.body = state;
  });
  probes.all('/metrics', () => {
    throw new HttpError(404, 'not_found', 'metrics are served on the ops port (VILO_OPS_PORT)');
  });
  app.use(probes.routes()).use(probes.allowedMethods());

  // Before every API router, so any of them can call requireAccount.
  app.use(sessionMiddleware(deps.auth));

  const streams = streamsRouter(deps);
  app.use(streams.routes()).use(streams.allowedMethods());
  app.use(moneyRoutes(deps));
  for (const routes of deps.extraRoutes ?? []) app.use(routes);
  app.use(authRoutes(deps.auth));

  if (deps.webDir && existsSync(deps.webDir)) app.use(spa(deps.webDir));
  return app;
}

/** Serves the built SvelteKit app; unknown non-API paths get index.html for client routing. */
function spa(webDir: string): Koa.Middleware {
  const assets = serve(webDir, { index: 'index.html', maxage: 0 });
  const indexFile = path.join(webDir, 'index.html');
  return async (ctx, next) => {
    if (ctx.path.startsWith('/api/')) return next();
    await assets(ctx, async () => {});
    if (ctx.body !== undefined || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return;
    ctx.type = 'html';
    ctx.body = await readFile(indexFile);
  };
}

function requestLog(log: Logger): Koa.Middleware {
  return async (ctx, next) => {
    const start = performance.now();
    await next();
    if (ctx.path.startsWith('/api/')) {
      log.debug({ method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(performance.now() - start) }, 'http');
    }
  };
}
