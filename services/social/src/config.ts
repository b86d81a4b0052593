import { z } from 'zod';
import { zodMessage } from '@vilokanam/contracts/errors';
import { opsPort } from '@vilokanam/contracts/ops';

const Env = z.object({
  VILO_DATABASE_URL: z.string().min(1, 'the social service needs Postgres'),
  VILO_REDIS_URL: z.string().min(1, 'the social service needs Redis for chat fan-out'),
  VILO_SESSION_SECRET: z.string().min(32, 'the session secret signaling signs sessions with, at least 32 bytes'),
  VILO_HOST: z.string().default('0.0.0.0'),
  VILO_PORT: z.coerce.number().int().min(0).max(65535).default(8090),
  /** /healthz, /readyz and /metrics on a port the ingress does not route (0: ephemeral). */
  VILO_OPS_HOST: z.string().optional(),
  VILO_OPS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  VILO_PUBLIC_URL: z.url().default('http://localhost:8080'),
  VILO_ALLOWED_ORIGINS: z.string().default(''),
  VILO_TRUSTED_PROXIES: z.string().default(''),
  VILO_ADMIN_ACCOUNTS: z.string().default(''),
  VILO_MAX_SOCKETS_PER_IP: z.coerce.number().int().min(1).default(20),
  VILO_CHAT_RATE_PER_10S: z.coerce.number().int().min(1).max(1000).default(5),
  VILO_WEBHOOK_ALLOW_PRIVATE: z.enum(['0', '1', 'true', 'false']).default('0'),
  VILO_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface SocialConfig {
  databaseUrl: string;
  redisUrl: string;
  sessionSecret: Uint8Array;
  host: string;
  port: number;
  /** The ops listener: VILO_OPS_HOST (default VILO_HOST), VILO_OPS_PORT (default 9092). */
  ops: { host: string; port: number };
  publicUrl: string;
  allowedOrigins: string[];
  /** Proxies whose X-Forwarded-For is believed (an ingress): per-address socket caps key on the real client. */
  trustedProxies: string[];
  /** 0x account ids; SS58 admins are configured on signaling, which decodes them. */
  adminAccounts: string[];
  socketsPerIp: number;
  chatRatePer10s: number;
  allowPrivateWebhookTargets: boolean;
  logLevel: string;
}

/** The standalone social service's settings; a bad value stops it with the variable named. */
export function socialConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SocialConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) throw new Error(`invalid configuration: ${zodMessage(parsed.error)}`);
  const e = parsed.data;
  const list = (csv: string): string[] => csv.split(',').map((v) => v.trim()).filter(Boolean);
  return {
    databaseUrl: e.VILO_DATABASE_URL,
    redisUrl: e.VILO_REDIS_URL,
    sessionSecret: new TextEncoder().encode(e.VILO_SESSION_SECRET),
    host: e.VILO_HOST,
    port: e.VILO_PORT,
    ops: { host: e.VILO_OPS_HOST ?? e.VILO_HOST, port: opsPort(e.VILO_OPS_PORT, e.VILO_PORT, 9092) },
    publicUrl: e.VILO_PUBLIC_URL,
    allowedOrigins: list(e.VILO_ALLOWED_ORIGINS),
    trustedProxies: list(e.VILO_TRUSTED_PROXIES),
    adminAccounts: list(e.VILO_ADMIN_ACCOUNTS).map((a) => a.toLowerCase()).filter((a) => /^0x[0-9a-f]{64}$/.test(a)),
    socketsPerIp: e.VILO_MAX_SOCKETS_PER_IP,
    chatRatePer10s: e.VILO_CHAT_RATE_PER_10S,
    allowPrivateWebhookTargets: e.VILO_WEBHOOK_ALLOW_PRIVATE === '1' || e.VILO_WEBHOOK_ALLOW_PRIVATE === 'true',
    logLevel: e.VILO_LOG_LEVEL,
  };
}
