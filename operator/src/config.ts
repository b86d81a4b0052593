// Every environment variable the operator reads; the Helm chart's operator ConfigMap sets them
// and docs/kubernetes.md documents them.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';
import { zodMessage } from '@vilokanam/contracts/errors';

const ms = (fallback: number) => z.coerce.number().int().min(0).default(fallback);

const Env = z.object({
  VILO_OPERATOR_NAMESPACE: z.string().min(1).optional(),
  VILO_OPERATOR_IDENTITY: z.string().min(1).optional(),
  VILO_OPERATOR_LEASE_NAME: z.string().min(1).default('vilokanam-operator'),
  VILO_OPERATOR_LEASE_DURATION_MS: ms(15_000),
  VILO_OPERATOR_RENEW_DEADLINE_MS: ms(10_000),
  VILO_OPERATOR_RETRY_PERIOD_MS: ms(2_000),
  VILO_OPERATOR_WORKERS: z.coerce.number().int().min(1).max(64).default(4),
  VILO_OPERATOR_RESYNC_MS: ms(30_000),
  VILO_OPERATOR_METRICS_HOST: z.string().default('0.0.0.0'),
  VILO_OPERATOR_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9090),
  VILO_REDIS_URL: z.string().min(1, 'VILO_REDIS_URL is required'),
  VILO_SFU_CONTROL_SECRET: z.string().min(32, 'VILO_SFU_CONTROL_SECRET must be at least 32 characters'),
  VILO_FLEET: z.string().regex(/^[a-z0-9-]{1,40}$/, 'VILO_FLEET: lowercase letters, digits and dashes').default('default'),
  VILO_FLEET_POD_TEMPLATE: z.string().min(1).default('vilokanam-sfu-node'),
  VILO_FLEET_MIN_NODES: z.coerce.number().int().min(0).default(1),
  VILO_FLEET_MAX_NODES: z.coerce.number().int().min(1).default(10),
  VILO_FLEET_TARGET_UTILIZATION: z.coerce.number().gt(0).max(1).default(0.7),
  VILO_FLEET_NODE_CAPACITY: z.coerce.number().int().min(2).default(1600),
  VILO_FLEET_STREAM_RESERVE: z.coerce.number().int().min(0).default(20),
  VILO_FLEET_DRAIN_GRACE_MS: ms(300_000),
  VILO_FLEET_SCALE_DOWN_DELAY_MS: ms(60_000),
  VILO_FLEET_POLL_MS: ms(10_000),
  VILO_EDGE_FANOUT: z.coerce.number().int().min(1).default(4),
  VILO_EDGE_SCALE_DOWN_DELAY_MS: ms(30_000),
  VILO_RELEASE_TIMEOUT_MS: ms(60_000),
  VILO_REPORT_STALE_MS: ms(6_000),
  VILO_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface OperatorConfig {
  namespace: string;
  identity: string;
  lease: { name: string; durationMs: number; renewDeadlineMs: number; retryPeriodMs: number };
  workers: number;
  resyncMs: number;
  metrics: { host: string; port: number };
  redisUrl: string;
  controlSecret: string;
  fleet: {
    /** Names the load reports (Redis keys and channel) of this fleet's sfu-nodes. */
    name: string;
    templateName: string;
    minNodes: number;
    maxNodes: number;
    targetUtilization: number;
    nodeCapacity: number;
    streamReserve: number;
    drainGraceMs: number;
    scaleDownDelayMs: number;
    pollMs: number;
  };
  edges: { fanout: number; scaleDownDelayMs: number };
  releaseTimeoutMs: number;
  reportStaleMs: number;
  logLevel: z.infer<typeof Env>['VILO_LOG_LEVEL'];
}

const SA_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export function operatorConfigFromEnv(env: NodeJS.ProcessEnv = process.env): OperatorConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    throw new Error(`invalid configuration: ${zodMessage(parsed.error)}`);
  }
  const e = parsed.data;
  if (e.VILO_FLEET_MIN_NODES > e.VILO_FLEET_MAX_NODES) throw new Error('invalid configuration: VILO_FLEET_MIN_NODES exceeds VILO_FLEET_MAX_NODES');
  if (e.VILO_OPERATOR_RENEW_DEADLINE_MS >= e.VILO_OPERATOR_LEASE_DURATION_MS) {
    throw new Error('invalid configuration: VILO_OPERATOR_RENEW_DEADLINE_MS must be below VILO_OPERATOR_LEASE_DURATION_MS');
  }
  return {
    namespace: e.VILO_OPERATOR_NAMESPACE ?? inClusterNamespace() ?? 'default',
    identity: e.VILO_OPERATOR_IDENTITY ?? `${hostname()}-${process.pid}`,
    lease: {
      name: e.VILO_OPERATOR_LEASE_NAME,
      durationMs: e.VILO_OPERATOR_LEASE_DURATION_MS,
      renewDeadlineMs: e.VILO_OPERATOR_RENEW_DEADLINE_MS,
      retryPeriodMs: e.VILO_OPERATOR_RETRY_PERIOD_MS,
    },
    workers: e.VILO_OPERATOR_WORKERS,
    resyncMs: e.VILO_OPERATOR_RESYNC_MS,
    metrics: { host: e.VILO_OPERATOR_METRICS_HOST, port: e.VILO_OPERATOR_METRICS_PORT },
    redisUrl: e.VILO_REDIS_URL,
    controlSecret: e.VILO_SFU_CONTROL_SECRET,
    fleet: {
      name: e.VILO_FLEET,
      templateName: e.VILO_FLEET_POD_TEMPLATE,
      minNodes: e.VILO_FLEET_MIN_NODES,
      maxNodes: e.VILO_FLEET_MAX_NODES,
      targetUtilization: e.VILO_FLEET_TARGET_UTILIZATION,
      nodeCapacity: e.VILO_FLEET_NODE_CAPACITY,
      streamReserve: e.VILO_FLEET_STREAM_RESERVE,
      drainGraceMs: e.VILO_FLEET_DRAIN_GRACE_MS,
      scaleDownDelayMs: e.VILO_FLEET_SCALE_DOWN_DELAY_MS,
      pollMs: e.VILO_FLEET_POLL_MS,
    },
    edges: { fanout: e.VILO_EDGE_FANOUT, scaleDownDelayMs: e.VILO_EDGE_SCALE_DOWN_DELAY_MS },
    releaseTimeoutMs: e.VILO_RELEASE_TIMEOUT_MS,
    reportStaleMs: e.VILO_REPORT_STALE_MS,
    logLevel: e.VILO_LOG_LEVEL,
  };
}

function inClusterNamespace(): string | undefined {
  try {
    return readFileSync(SA_NAMESPACE, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
