// The settlement service as a process: config from the environment, Redis ticks, a metrics
// server, clean stop on SIGTERM. main.ts runs it; testing/serviceProcess.ts runs it with crash hooks.
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import pino from 'pino';
import { settlementConfigFromEnv, workerSettings } from './config.ts';
import { openDatabase } from './db/Database.ts';
import { RedisTickSource } from './RedisTickSource.ts';
import { SettlementMetrics } from './SettlementMetrics.ts';
import { SettlementService, type SettlementChainOptions, type SettlementServiceOptions } from './SettlementService.ts';

export interface ProcessHooks {
  worker?: SettlementServiceOptions['worker'];
  chain?: SettlementChainOptions['hooks'];
}

export async function runSettlementProcess(hooks: ProcessHooks = {}): Promise<SettlementService> {
  const config = settlementConfigFromEnv();
  if (!config.redisUrl) throw new Error('invalid configuration: VILO_REDIS_URL is required: the service reads tick windows from Redis');
  const log = pino({ name: 'settlement', level: config.logLevel });
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }, log);
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3 });
  const metrics = new SettlementMetrics({ defaultMetrics: true });
  if (!config.billingSessionKey) log.warn('VILO_BILLING_SESSION_KEY is not set: any session hash in Redis is billed as it stands');
  const service = new SettlementService({
    db,
    databaseUrl: config.databaseUrl,
    ticks: new RedisTickSource(redis, config.billingSessionKey ? { sessionKey: config.billingSessionKey } : {}),
    log,
    metrics,
    worker: { ...workerSettings(config), ...hooks.worker },
    chain: config.chain && { ...config.chain, ...(hooks.chain ? { hooks: hooks.chain } : {}) },
  });

  const server = config.metrics
    ? createServer((req, res) => {
        if (req.url === '/metrics') {
          void metrics.registry.metrics().then((body) => {
            res.writeHead(200, { 'content-type': metrics.registry.contentType });
            res.end(body);
          });
        } else if (req.url === '/reconcile' && req.method === 'POST') {
          // On demand, besides VILO_RECONCILE_INTERVAL_MS; this server listens on localhost by default.
          service.reconcile().then(
            (report) => {
              res.writeHead(report.clean ? 200 : 409, { 'content-type': 'application/json' });
              res.end(JSON.stringify(report, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
            },
            (err: Error) => res.writeHead(503, { 'content-type': 'text/plain' }).end(err.message),
          );
        } else if (req.url === '/healthz') {
          res.writeHead(200).end('ok');
        } else res.writeHead(404).end();
      })
    : undefined;
  if (server && config.metrics) {
    const { host, port } = config.metrics;
    await new Promise<void>((resolve) => server.listen(port, host, resolve));
    log.info({ address: server.address() }, 'metrics listening');
  }

  await service.start();
  log.info(
    { windowSeconds: config.windowSeconds, graceSeconds: config.graceSeconds, batchSize: config.batchSize, chain: config.chain?.wsUrl ?? null },
    'settlement ready',
  );
  process.stdout.write('settlement ready\n');

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    await service.stop();
    server?.close();
    redis.disconnect();
    await db.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  return service;
}
