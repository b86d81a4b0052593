import { z } from 'zod';

// Every environment variable the settlement service reads is declared here.
const Env = z.object({
  VILO_DATABASE_URL: z.string().optional(),
  VILO_SETTLEMENT_DATA_DIR: z.string().default('.data/pglite-settlement'),
  VILO_REDIS_URL: z.string().min(1, 'VILO_REDIS_URL is required'),
  VILO_SETTLEMENT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
  VILO_SETTLEMENT_GRACE_SECONDS: z.coerce.number().int().min(0).max(3600).default(5),
  VILO_SETTLEMENT_INTERVAL_MS: z.coerce.number().int().min(10).max(600_000).default(2000),
  VILO_SETTLEMENT_BATCH_SIZE: z.coerce.number().int().min(1).max(50_000).default(2000),
  VILO_SETTLEMENT_METRICS_HOST: z.string().default('127.0.0.1'),
  /** 0 picks a free port; unset disables the metrics server. */
  VILO_SETTLEMENT_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  VILO_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface SettlementConfig {
  /** Postgres connection string; absent means embedded PGlite in `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  redisUrl: string;
  /** W: window length in seconds. Must match the tick emitters and never change while ticks are pending. */
  windowSeconds: number;
  /** A window closes at (window + 1) × W + grace. */
  graceSeconds: number;
  intervalMs: number;
  batchSize: number;
  metrics: { host: string; port: number } | undefined;
  logLevel: z.infer<typeof Env>['VILO_LOG_LEVEL'];
}

export function settlementConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SettlementConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${detail}`);
  }
  const e = parsed.data;
  return {
    databaseUrl: e.VILO_DATABASE_URL,
    dataDir: e.VILO_SETTLEMENT_DATA_DIR,
    redisUrl: e.VILO_REDIS_URL,
    windowSeconds: e.VILO_SETTLEMENT_WINDOW_SECONDS,
    graceSeconds: e.VILO_SETTLEMENT_GRACE_SECONDS,
    intervalMs: e.VILO_SETTLEMENT_INTERVAL_MS,
    batchSize: e.VILO_SETTLEMENT_BATCH_SIZE,
    metrics: e.VILO_SETTLEMENT_METRICS_PORT === undefined ? undefined : { host: e.VILO_SETTLEMENT_METRICS_HOST, port: e.VILO_SETTLEMENT_METRICS_PORT },
    logLevel: e.VILO_LOG_LEVEL,
  };
}
