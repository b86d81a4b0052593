// Settlement worker service: `node services/settlement/src/main.ts`. Folds closed tick windows
// from Redis into the ledger every VILO_SETTLEMENT_INTERVAL_MS and stops cleanly on SIGTERM.
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import pino from 'pino';
import { settlementConfigFromEnv } from './config.ts';
import { openDatabase } from './db/Database.ts';
import { Ledger } from './Ledger.ts';
import { SettlementMetrics } from './SettlementMetrics.ts';
import { SettlementWorker } from './SettlementWorker.ts';

const config = settlementConfigFromEnv();
const log = pino({ name: 'settlement', level: config.logLevel });
const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }, log);
const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3 });
const metrics = new SettlementMetrics({ defaultMetrics: true });
const worker = new SettlementWorker({
  redis,
  ledger: new Ledger(db),
  log,
  metrics,
  windowSeconds: config.windowSeconds,
  graceSeconds: config.graceSeconds,
  intervalMs: config.intervalMs,
  batchSize: config.batchSize,
});

const server = config.metrics
  ? createServer((req, res) => {
      if (req.url === '/metrics') {
        void metrics.registry.metrics().then((body) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(body);
        });
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

worker.start();
log.info({ windowSeconds: config.windowSeconds, graceSeconds: config.graceSeconds, batchSize: config.batchSize }, 'settlement ready');
process.stdout.write('settlement ready\n');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'stopping');
  await worker.stop();
  server?.close();
  redis.disconnect();
  await db.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
