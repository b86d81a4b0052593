// The settlement worker as a child process for crash tests. With VILO_TEST_CRASH_AFTER_BATCHES=n
// it SIGKILLs itself right after its n-th ledger commit and before cleaning Redis, the one
// moment an outside kill is unlikely to hit.
import { Redis } from 'ioredis';
import pino from 'pino';
import { settlementConfigFromEnv } from '../config.ts';
import { openDatabase } from '../db/Database.ts';
import { Ledger } from '../Ledger.ts';
import { SettlementWorker } from '../SettlementWorker.ts';

const config = settlementConfigFromEnv();
const log = pino({ name: 'settlement-test-worker', level: config.logLevel });
const crashAfter = Number(process.env.VILO_TEST_CRASH_AFTER_BATCHES ?? 0);
const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }, log);
let batches = 0;
const worker = new SettlementWorker({
  redis: new Redis(config.redisUrl ?? 'redis://127.0.0.1:6379'),
  ledger: new Ledger(db),
  log,
  windowSeconds: config.windowSeconds,
  graceSeconds: config.graceSeconds,
  intervalMs: config.intervalMs,
  batchSize: config.batchSize,
  beforeCleanup: () => {
    if (crashAfter && ++batches >= crashAfter) process.kill(process.pid, 'SIGKILL');
  },
});
worker.start();
process.stdout.write('settlement ready\n');
