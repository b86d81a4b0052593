import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { UntrustedInput } from '@vilokanam/contracts/untrusted';
import { MemoryChatBus, RedisChatBus, SocialMetrics, SocialService, type ChatBus, type Member } from '@vilokanam/social';
import type { Account } from '../auth/AccountStore.ts';
import type { SignalingConfig } from '../config.ts';
import type { Database } from '../db/Database.ts';
import { clientAddressResolver } from '@vilokanam/contracts/client-address';

/**
 * The social service inside this process: on the in-process bus in embedded mode, on Redis
 * otherwise, where standalone social replicas (services/social's main) share the same rooms.
 */
export async function startSocial(
  config: SignalingConfig,
  d: { db: Database; log: Logger; registry: Registry; accountFromCookieHeader(header: string | undefined): Promise<Account | undefined>; isAdmin(id: string): boolean },
): Promise<SocialService> {
  const metrics = new SocialMetrics({ registry: d.registry });
  const bus = chatBus(config, d.log, metrics);
  const social = new SocialService({
    db: d.db,
    bus,
    log: d.log.child({ component: 'social' }),
    metrics,
    resolveMember: async (header): Promise<Member | undefined> => {
      const a = await d.accountFromCookieHeader(header);
      return a && { id: a.id, address: a.address, displayName: a.displayName };
    },
    isAdmin: d.isAdmin,
    clientAddress: clientAddressResolver(config.limits.trustedProxies),
    publicUrl: config.social.publicUrl ?? `http://localhost:${config.port}`,
    socketsPerIp: config.limits.socketsPerIp,
    allowedOrigins: config.allowedOrigins,
    allowPrivateWebhookTargets: config.social.allowPrivateWebhookTargets,
    chatRatePerWindow: config.social.chatRatePer10s,
  });
  await social.start();
  return social;
}

function chatBus(config: SignalingConfig, log: Logger, metrics: SocialMetrics): ChatBus {
  if (config.sfuMode === 'embedded') return new MemoryChatBus();
  const untrusted = new UntrustedInput({ count: (source) => metrics.malformed.inc({ source }), warn: (obj, msg) => log.warn(obj, msg) });
  return new RedisChatBus(new Redis(config.redisUrl), untrusted);
}
