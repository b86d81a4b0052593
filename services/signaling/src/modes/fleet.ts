import { Redis } from 'ioredis';
import { UntrustedInput } from '@vilokanam/contracts/untrusted';
import { ControlAuth } from '@vilokanam/sfu-node/client';
import { RedisViewerBilling } from '../billing/RedisViewerBilling.ts';
import type { FleetConfig, KubernetesConfig } from '../config.ts';
import { RedisFleet } from '../fleet/RedisFleet.ts';
import { StreamRoutes } from '../fleet/StreamRoutes.ts';
import { RedisAccountSessions } from '../ws/RedisAccountSessions.ts';
import { RedisHubBus } from '../ws/RedisHubBus.ts';
import type { MediaMode, ModeContext } from './MediaMode.ts';

/** Fleet mode's parts, and the Redis connection the Kubernetes mode adds its own to. */
export interface FleetMedia extends MediaMode {
  redis: Redis;
  /** Opens another connection to the same Redis, closed with the rest. */
  connect(): Redis;
}

/**
 * Fleet mode: sfu-node processes found through their load reports in Redis, driven over their
 * control channels; viewer sessions and overdrafts go through Redis too. Signaling places
 * origins and edges itself.
 */
export async function startFleetMedia(config: FleetConfig | KubernetesConfig, ctx: ModeContext): Promise<FleetMedia> {
  const { log, metrics } = ctx;
  const connections: Redis[] = [];
  const connect = () => {
    const r = new Redis(config.redisUrl);
    connections.push(r);
    return r;
  };
  // Commands, and one subscriber each for node reports, overdrafts and the other signaling replicas.
  const [redis, reports, overdrafts, peers] = [connect(), connect(), connect(), connect()];
  const untrusted = new UntrustedInput({ count: (source) => metrics.malformed.inc({ source }), warn: (obj, msg) => log.warn(obj, msg) });
  const fleet = new RedisFleet({ redis, subscriber: reports, auth: new ControlAuth(config.sfuControlSecret), log, fleet: config.fleet, untrusted });
  const billing = new RedisViewerBilling({ redis, subscriber: overdrafts, log, untrusted, ...(config.billingSessionKey ? { sessionKey: config.billingSessionKey } : {}) });
  const hubBus = new RedisHubBus({ redis, subscriber: peers, replicaId: ctx.replicaId, fleet: config.fleet, untrusted, log });
  // A killed replica's sessions stop counting against their accounts when its streams' leases run out.
  const accounts = new RedisAccountSessions({ redis, replicaId: ctx.replicaId, fleet: config.fleet, leaseMs: config.liveLeaseSeconds * 1000, untrusted, log });
  if (!config.billingSessionKey) log.warn('VILO_BILLING_SESSION_KEY is not set: billing sessions are unsigned, and settlement cannot tell them from forged ones');
  try {
    await fleet.start();
    await billing.start();
    await hubBus.start();
    accounts.start();
  } catch (err) {
    for (const r of connections) r.disconnect();
    throw err;
  }
  const { edges } = config;
  const routes = new StreamRoutes(fleet, log, {
    policy: { viewersPerEdge: edges.viewersPerEdge, minEdges: 0, maxEdges: edges.maxEdges },
    fanoutPerNode: edges.fanoutPerNode,
    edgeIdleMs: edges.idleMs,
  });
  return {
    fleet,
    routes,
    billing,
    hubBus,
    accounts,
    redis,
    connect,
    async close() {
      await hubBus.close();
      await accounts.close();
      await billing.stop();
      await fleet.close();
      for (const r of connections) r.disconnect();
    },
  };
}
