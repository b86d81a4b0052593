import { signerConfigFromEnv, type SignerConfig } from '@vilokanam/chain';
import { z } from 'zod';
import { billingKeyFromEnv } from '@vilokanam/contracts/ticks';
import type { SettlementWorkerOptions } from './SettlementWorker.ts';
import { zodMessage } from '@vilokanam/contracts/errors';

// Every environment variable the settlement service reads is declared here.
const Env = z.object({
  VILO_DATABASE_URL: z.string().optional(),
  VILO_SETTLEMENT_DATA_DIR: z.string().default('.data/pglite-settlement'),
  /** The standalone service reads ticks from Redis; embedded in signaling it reads them in process. */
  VILO_REDIS_URL: z.string().min(1).optional(),
  VILO_SETTLEMENT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
  VILO_SETTLEMENT_GRACE_SECONDS: z.coerce.number().int().min(0).max(3600).default(5),
  VILO_SETTLEMENT_INTERVAL_MS: z.coerce.number().int().min(10).max(600_000).default(2000),
  VILO_SETTLEMENT_BATCH_SIZE: z.coerce.number().int().min(1).max(50_000).default(2000),
  /**
   * Seconds of watching a viewer's balance must cover: signaling checks it before a paid
   * session starts, and the worker stops an account's sessions once what is left falls below
   * it. Default: window + grace + interval, rounded up, plus 2 s of propagation.
   */
  VILO_MIN_PREPAID_SECONDS: z.coerce.number().int().min(0).max(86_400).optional(),
  VILO_SETTLEMENT_METRICS_HOST: z.string().default('127.0.0.1'),
  /** 0 picks a free port; unset disables the metrics server. */
  VILO_SETTLEMENT_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  VILO_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Unset: no chain; the worker still settles ticks into the ledger, nothing is paid out or credited. */
  VILO_CHAIN_WS_URL: z.string().regex(/^wss?:\/\//, 'a ws:// or wss:// URL').optional(),
  VILO_PAYOUT_INTERVAL_MINUTES: z.coerce.number().positive().max(7 * 24 * 60).default(60),
  /** Overrides the minutes, e.g. for tests; at least 100 ms. */
  VILO_PAYOUT_INTERVAL_MS: z.coerce.number().int().min(100).optional(),
  /** Smallest payout per creator, planck; never below the chain's existential deposit. */
  VILO_PAYOUT_MIN_PLANCK: z.string().regex(/^[1-9][0-9]{0,38}$/).optional(),
  VILO_PAYOUT_MAX_CREATORS: z.coerce.number().int().min(1).max(10_000).default(1000),
  /** Mortality of payout extrinsics, blocks (rounded up to a power of two, at least 4). */
  VILO_CHAIN_ERA_PERIOD: z.coerce.number().int().min(4).max(65_536).default(64),
  /** First block to scan for deposits when none was scanned before; default: the finalized head at first start. */
  VILO_DEPOSIT_START_BLOCK: z.coerce.number().int().min(0).optional(),
  /** 0: the reconciler runs only on demand. */
  VILO_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(0).default(300_000),
  /** How often requested withdrawals are sent between payout slots. */
  VILO_WITHDRAWAL_POLL_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  /** Fallback poll for finalized heads when a subscription notification is missed. */
  VILO_CHAIN_POLL_MS: z.coerce.number().int().min(50).max(600_000).default(6_000),
});

export interface SettlementConfig {
  /** Postgres connection string; absent means embedded PGlite in `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  redisUrl: string | undefined;
  /** W: window length in seconds. Must match the tick emitters and never change while ticks are pending. */
  windowSeconds: number;
  /** A window closes at (window + 1) × W + grace. */
  graceSeconds: number;
  intervalMs: number;
  batchSize: number;
  /** See VILO_MIN_PREPAID_SECONDS. */
  reserveSeconds: number;
  metrics: { host: string; port: number } | undefined;
  logLevel: z.infer<typeof Env>['VILO_LOG_LEVEL'];
  /** How often creators are paid, whichever chain the payouts go to (a configured one, or a dev chain). */
  payoutIntervalMs: number;
  /** Undefined when VILO_CHAIN_WS_URL is unset. */
  chain: SettlementChainConfig | undefined;
  /** VILO_BILLING_SESSION_KEY: only sessions signed with it are billed; unset: unsigned ones are. */
  billingSessionKey: Uint8Array | undefined;
}

export interface SettlementChainConfig {
  wsUrl: string;
  /** The escrow's key (VILO_CHAIN_SIGNER_URI or _FILE): wrapped in Secret, safe to log. */
  signer: SignerConfig;
  payoutIntervalMs: number;
  minPayout: bigint | undefined;
  maxCreators: number;
  eraPeriod: number;
  depositStartBlock: number | undefined;
  reconcileIntervalMs: number;
  pollMs: number;
  withdrawalPollMs: number;
}

export function settlementConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SettlementConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const detail = zodMessage(parsed.error);
    throw new Error(`invalid configuration: ${detail}`);
  }
  const e = parsed.data;
  const payoutIntervalMs = e.VILO_PAYOUT_INTERVAL_MS ?? Math.round(e.VILO_PAYOUT_INTERVAL_MINUTES * 60_000);
  return {
    databaseUrl: e.VILO_DATABASE_URL,
    dataDir: e.VILO_SETTLEMENT_DATA_DIR,
    redisUrl: e.VILO_REDIS_URL,
    windowSeconds: e.VILO_SETTLEMENT_WINDOW_SECONDS,
    graceSeconds: e.VILO_SETTLEMENT_GRACE_SECONDS,
    intervalMs: e.VILO_SETTLEMENT_INTERVAL_MS,
    batchSize: e.VILO_SETTLEMENT_BATCH_SIZE,
    reserveSeconds: e.VILO_MIN_PREPAID_SECONDS ?? settlementLagSeconds(e.VILO_SETTLEMENT_WINDOW_SECONDS, e.VILO_SETTLEMENT_GRACE_SECONDS, e.VILO_SETTLEMENT_INTERVAL_MS),
    metrics: e.VILO_SETTLEMENT_METRICS_PORT === undefined ? undefined : { host: e.VILO_SETTLEMENT_METRICS_HOST, port: e.VILO_SETTLEMENT_METRICS_PORT },
    logLevel: e.VILO_LOG_LEVEL,
    payoutIntervalMs,
    billingSessionKey: billingKeyFromEnv(env.VILO_BILLING_SESSION_KEY),
    chain: e.VILO_CHAIN_WS_URL
      ? {
          wsUrl: e.VILO_CHAIN_WS_URL,
          signer: signerConfigFromEnv(env),
          payoutIntervalMs,
          minPayout: e.VILO_PAYOUT_MIN_PLANCK === undefined ? undefined : BigInt(e.VILO_PAYOUT_MIN_PLANCK),
          maxCreators: e.VILO_PAYOUT_MAX_CREATORS,
          eraPeriod: e.VILO_CHAIN_ERA_PERIOD,
          depositStartBlock: e.VILO_DEPOSIT_START_BLOCK,
          reconcileIntervalMs: e.VILO_RECONCILE_INTERVAL_MS,
          pollMs: e.VILO_CHAIN_POLL_MS,
          withdrawalPollMs: e.VILO_WITHDRAWAL_POLL_MS,
        }
      : undefined,
  };
}

/**
 * The longest a watched second can wait before it is settled and its session stopped: a
 * whole window, its grace, one worker interval, and 2 s for ticks and stop messages to travel.
 */
export function settlementLagSeconds(windowSeconds: number, graceSeconds: number, intervalMs: number): number {
  return windowSeconds + graceSeconds + Math.ceil(intervalMs / 1000) + 2;
}

const ReserveEnv = Env.pick({ VILO_SETTLEMENT_WINDOW_SECONDS: true, VILO_SETTLEMENT_GRACE_SECONDS: true, VILO_SETTLEMENT_INTERVAL_MS: true, VILO_MIN_PREPAID_SECONDS: true });

/** VILO_MIN_PREPAID_SECONDS as settlement reads it, for services that share its environment. */
export function reserveSecondsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const parsed = ReserveEnv.safeParse(env);
  if (!parsed.success) throw new Error(`invalid configuration: ${zodMessage(parsed.error)}`);
  const e = parsed.data;
  return e.VILO_MIN_PREPAID_SECONDS ?? settlementLagSeconds(e.VILO_SETTLEMENT_WINDOW_SECONDS, e.VILO_SETTLEMENT_GRACE_SECONDS, e.VILO_SETTLEMENT_INTERVAL_MS);
}

/** The worker's settings from the service's configuration, wherever the worker runs. */
export function workerSettings(config: SettlementConfig): Pick<SettlementWorkerOptions, 'windowSeconds' | 'graceSeconds' | 'intervalMs' | 'batchSize' | 'reserveSeconds'> {
  return {
    windowSeconds: config.windowSeconds,
    graceSeconds: config.graceSeconds,
    intervalMs: config.intervalMs,
    batchSize: config.batchSize,
    reserveSeconds: config.reserveSeconds,
  };
}
