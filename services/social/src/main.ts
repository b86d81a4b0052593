// The social service on its own, for a cluster: its replicas share rooms through Redis and
// state through Postgres, and read the sessions signaling issues.
import { createServer } from 'node:http';
import { bodyParser } from '@koa/bodyparser';
import { Redis } from 'ioredis';
import Koa from 'koa';
import pino from 'pino';
import { clientAddressResolver } from '@vilokanam/contracts/client-address';
import { errorMiddleware, HttpError } from '@vilokanam/contracts/http';
import { OpsServer } from '@vilokanam/contracts/ops';
import { UntrustedInput } from '@vilokanam/contracts/untrusted';
import { openDatabase } from '@vilokanam/settlement/db';
import { SessionVerifier } from './auth/SessionVerifier.ts';
import { RedisChatBus } from './chat/RedisChatBus.ts';
import { socialConfigFromEnv } from './config.ts';
import { waitForSchema } from './db.ts';
import { SocialMetrics } from './SocialMetrics.ts';
import { SocialService } from './SocialService.ts';

const config = socialConfigFromEnv();
const log = pino({ level: config.logLevel, redact: ['req.headers.cookie', 'req.headers.authorization'] });
const metrics = new SocialMetrics({ defaultMetrics: true });
const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: '' }, log);
await waitForSchema(db, log);
const redis = new Redis(config.redisUrl);
const bus = new RedisChatBus(redis, new UntrustedInput({ count: (source) => metrics.malformed.inc({ source }), warn: (obj, msg) => log.warn(obj, msg) }));
const admins = new Set(config.adminAccounts);
const social = new SocialService({
  db, bus, log, metrics,
  resolveMember: new SessionVerifier(db, config.sessionSecret).resolve,
  isAdmin: (id) => admins.has(id),
  clientAddress: clientAddressResolver(config.trustedProxies),
  publicUrl: config.publicUrl,
  socketsPerIp: config.socketsPerIp,
  allowedOrigins: config.allowedOrigins,
  allowPrivateWebhookTargets: config.allowPrivateWebhookTargets,
  chatRatePerWindow: config.chatRatePer10s,
});
await social.start();

const ready = async () => {
  await db.query('SELECT 1');
  await redis.ping();
  return { ok: true };
};
// Metrics only on the ops listener, which the ingress does not route; probes on both.
const ops = await OpsServer.start({
  ...config.ops,
  ready,
  metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
  onError: (err) => log.warn({ err }, 'readiness check failed'),
});
log.info({ url: ops.url }, 'ops listening');

const app = new Koa();
app.use(errorMiddleware(log));
app.use(async (ctx, next) => {
  if (ctx.path === '/healthz') return void (ctx.body = { ok: true });
  if (ctx.path === '/readyz') return void (ctx.body = await ready());
  if (ctx.path === '/metrics') throw new HttpError(404, 'not_found', 'metrics are served on the ops port (VILO_OPS_PORT)');
  await next();
});
app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '32kb' }));
for (const routes of social.routes) app.use(routes);
const server = createServer(app.callback());
server.on('upgrade', social.handleUpgrade);
server.listen(config.port, config.host, () => log.info({ port: config.port }, 'social listening'));

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'social stopping');
    server.close();
    void ops.close();
    void social.close().then(() => db.close()).then(() => process.exit(0));
  });
}
