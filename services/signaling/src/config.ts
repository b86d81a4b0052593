import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { billingKeyFromEnv } from '@vilokanam/contracts/ticks';
import { clientAddressResolver } from '@vilokanam/contracts/client-address';
import { opsPort } from '@vilokanam/contracts/ops';
import { reserveSecondsFromEnv, settlementConfigFromEnv, type SettlementConfig } from '@vilokanam/settlement';
import { zodMessage } from '@vilokanam/contracts/errors';

// Every environment variable the service reads is declared here; README documents them.
const Env = z.object({
  VILO_HOST: z.string().default('127.0.0.1'),
  VILO_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** /healthz, /readyz and /metrics on a port the ingress does not route (0: ephemeral). */
  VILO_OPS_HOST: z.string().optional(),
  VILO_OPS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  VILO_DATABASE_URL: z.string().optional(),
  VILO_DATA_DIR: z.string().default('.data/pglite'),
  VILO_TOKEN_SECRET: z.string().min(32, 'VILO_TOKEN_SECRET must be at least 32 characters').optional(),
  VILO_TOKEN_TTL_SECONDS: z.coerce.number().int().min(10).max(3600).default(300),
  VILO_PUBLISHER_GRACE_MS: z.coerce.number().int().min(0).default(30_000),
  /** How long a live stream stays live without its replica renewing it (renewed every quarter of it). */
  VILO_LIVE_LEASE_SECONDS: z.coerce.number().int().min(2).max(600).default(20),
  VILO_WEB_DIR: z.string().optional(),
  VILO_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  VILO_SFU_MODE: z.enum(['embedded', 'fleet', 'kubernetes']).default('embedded'),
  VILO_NAMESPACE: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'VILO_NAMESPACE: a Kubernetes namespace name').default('default'),
  VILO_MAX_PRICE_PER_SECOND: z.string().regex(/^[1-9][0-9]{0,38}$/, 'VILO_MAX_PRICE_PER_SECOND: planck, digits only').default('10000000000'),
  VILO_ALLOWED_ORIGINS: z.string().default(''),
  /** Proxies whose X-Forwarded-For is believed: addresses, CIDRs, or loopback / linklocal / uniquelocal. */
  VILO_TRUSTED_PROXIES: z.string().default(''),
  VILO_MAX_SOCKETS_PER_IP: z.coerce.number().int().min(1).max(100_000).default(50),
  VILO_MAX_SESSIONS_PER_ACCOUNT: z.coerce.number().int().min(1).max(1000).default(8),
  VILO_MAX_STREAMS_PER_ACCOUNT: z.coerce.number().int().min(1).max(1000).default(5),
  VILO_JOIN_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(15_000),
  VILO_RECORDINGS_DIR: z.string().min(1).optional(),
  VILO_FFMPEG: z.string().min(1).default('ffmpeg'),
  VILO_FFPROBE: z.string().min(1).default('ffprobe'),
  VILO_CLIPS_PER_HOUR: z.coerce.number().int().min(1).max(10_000).default(30),
  /** Embedded mode: run a chopsticks dev chain and settle against it (npm start sets it). */
  VILO_DEVCHAIN: z.enum(['0', '1', 'true', 'false']).default('0'),
  VILO_ROUTE_WAIT_MS: z.coerce.number().int().min(100).max(120_000).default(15_000),
  VILO_FLEET: z.string().regex(/^[a-z0-9-]{1,40}$/, 'VILO_FLEET: lowercase letters, digits and dashes').default('default'),
  VILO_REDIS_URL: z.string().optional(),
  VILO_SFU_CONTROL_SECRET: z.string().min(32, 'VILO_SFU_CONTROL_SECRET must be at least 32 characters').optional(),
  VILO_VIEWERS_PER_EDGE: z.coerce.number().int().min(1).default(200),
  VILO_MAX_EDGES: z.coerce.number().int().min(0).max(64).default(8),
  VILO_EDGE_FANOUT: z.coerce.number().int().min(1).default(4),
  VILO_EDGE_IDLE_MS: z.coerce.number().int().min(0).default(15_000),
  VILO_SESSION_SECRET: z.string().min(32, 'VILO_SESSION_SECRET must be at least 32 characters').optional(),
  VILO_SESSION_TTL_SECONDS: z.coerce.number().int().min(60).max(90 * 86_400).default(7 * 86_400),
  VILO_AUTH_CHALLENGE_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(300),
  VILO_SS58_PREFIX: z.coerce.number().int().min(0).max(16_383).default(42),
  // Money pages. Checked (SS58 checksums, key lengths) where the money routes are built.
  VILO_ESCROW_ADDRESS: z.string().trim().optional(),
  // Where the platform's own fee goes when an admin withdraws it.
  VILO_TREASURY_ADDRESS: z.string().trim().optional(),
  // A node RPC that browsers may reach, for wallet-extension deposits composed in the page.
  VILO_CHAIN_PUBLIC_WS_URL: z.string().trim().regex(/^(wss?:\/\/[^\s]+)?$/, 'a ws:// or wss:// URL').optional(),
  VILO_PUBLIC_URL: z.url().optional(),
  VILO_CHAT_RATE_PER_10S: z.coerce.number().int().min(1).max(1000).default(5),
  VILO_WEBHOOK_ALLOW_PRIVATE: z.enum(['0', '1', 'true', 'false']).default('0'),
  VILO_ADMIN_ACCOUNTS: z.string().default(''),
  /** Payout links: a URL with {txHash}, {blockHash} or {blockNumber}. */
  VILO_EXPLORER_URL: z.string().url().optional(),
});

export interface Limits {
  /** Proxies whose X-Forwarded-For names the real client; empty trusts none. */
  trustedProxies: string[];
  socketsPerIp: number;
  /** Joined sessions (tabs) one signed-in account may hold. */
  sessionsPerAccount: number;
  /** Streams one account may have created and not ended. */
  streamsPerAccount: number;
  /** A socket that has not joined a stream by then is closed. */
  joinTimeoutMs: number;
}

/** What every mode shares. */
interface CommonConfig {
  host: string;
  port: number;
  /** The ops listener (/healthz, /readyz, /metrics): VILO_OPS_HOST (default VILO_HOST), VILO_OPS_PORT (default 9091). */
  ops: { host: string; port: number };
  /** Postgres connection string; absent means embedded PGlite. */
  databaseUrl: string | undefined;
  /** PGlite data directory, or `memory://` for a throwaway database. */
  dataDir: string;
  tokenSecret: Uint8Array;
  /** True when the secret was generated for this process only (embedded mode). */
  ephemeralSecret: boolean;
  tokenTtlSeconds: number;
  publisherGraceMs: number;
  /** A live stream's lease: a dead replica's streams end this long after its last renewal. */
  liveLeaseSeconds: number;
  webDir: string | undefined;
  logLevel: z.infer<typeof Env>['VILO_LOG_LEVEL'];
  /** Origins besides the server's own whose pages may open the signaling socket. */
  allowedOrigins: string[];
  /** What one client may hold at once (docs/threat-model.md). */
  limits: Limits;
  /** Highest price per second a creator may set, and the balance (in seconds) a viewer needs to start. */
  pricing: { maxPricePerSecond: bigint; minPrepaidSeconds: number };
  /** Wallet sign-in. Without VILO_SESSION_SECRET sessions last only as long as the process. */
  auth: { sessionSecret: Uint8Array; ephemeralSessionSecret: boolean; sessionTtlSeconds: number; challengeTtlSeconds: number; ss58Prefix: number };
  /**
   * Wallet and dashboard. `escrowAddress`: SS58 address viewers deposit to (absent: deposits
   * are not offered). `adminAccounts`: SS58 addresses or 0x account ids allowed on /admin.
   */
  /** Chat and the rest of the social side. `publicUrl` is the site's address, for webhook bodies. */
  social: { publicUrl?: string; chatRatePer10s: number; allowPrivateWebhookTargets: boolean };
  money: { escrowAddress: string | undefined; adminAccounts: string[]; explorerUrl?: string; rpcUrl?: string; treasuryAddress?: string };
  /**
   * Recordings, VODs and clips: where they are stored (the recorder on the origin writes there
   * too: one volume), the ffmpeg tools, and how many clips one account may cut an hour.
   */
  recordings: { dir: string; ffmpeg: string; ffprobe: string; clipsPerHour: number };
}

export interface EdgeSettings {
  viewersPerEdge: number;
  maxEdges: number;
  fanoutPerNode: number;
  idleMs: number;
}

/** One in-process sfu-node; settlement runs in this process too. */
export interface EmbeddedConfig extends CommonConfig {
  sfuMode: 'embedded';
  /** Settlement's settings (VILO_SETTLEMENT_*, VILO_CHAIN_*, VILO_PAYOUT_*: docs/money.md); `devChain` starts a dev chain for it. */
  settlement: SettlementConfig & { devChain: boolean };
}

/** sfu-node processes found through Redis; signaling places streams and edges. */
export interface FleetConfig extends CommonConfig {
  sfuMode: 'fleet';
  redisUrl: string;
  sfuControlSecret: string;
  /** Which fleet's load reports to follow when several share one Redis. */
  fleet: string;
  edges: EdgeSettings;
  /** Signs billing sessions for settlement (VILO_BILLING_SESSION_KEY); unset: sessions go unsigned. */
  billingSessionKey: Uint8Array | undefined;
}

/** The same nodes, placed by the operator through LiveStreams. */
export interface KubernetesConfig extends Omit<FleetConfig, 'sfuMode'> {
  sfuMode: 'kubernetes';
  /** Where LiveStreams are created, and whose routes are followed. */
  namespace: string;
  /** How long a publisher or viewer waits for the operator's route. */
  routeWaitMs: number;
}

export type SignalingConfig = EmbeddedConfig | FleetConfig | KubernetesConfig;
type ParsedEnv = z.infer<typeof Env>;

export function signalingConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SignalingConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) throw new Error(`invalid configuration: ${zodMessage(parsed.error)}`);
  const e = parsed.data;
  clientAddressResolver(list(e.VILO_TRUSTED_PROXIES));
  const common = commonConfig(e, env);
  if (e.VILO_SFU_MODE === 'embedded') {
    // Only embedded mode runs settlement in this process; elsewhere it is its own service.
    return { ...common, sfuMode: 'embedded', settlement: { ...settlementConfigFromEnv(env), devChain: e.VILO_DEVCHAIN === '1' || e.VILO_DEVCHAIN === 'true' } };
  }
  if (!e.VILO_REDIS_URL || !e.VILO_SFU_CONTROL_SECRET) {
    throw new Error(`invalid configuration: VILO_SFU_MODE=${e.VILO_SFU_MODE} needs VILO_REDIS_URL and VILO_SFU_CONTROL_SECRET`);
  }
  const fleet = {
    ...common,
    redisUrl: e.VILO_REDIS_URL,
    sfuControlSecret: e.VILO_SFU_CONTROL_SECRET,
    fleet: e.VILO_FLEET,
    billingSessionKey: billingKeyFromEnv(env.VILO_BILLING_SESSION_KEY),
    edges: { viewersPerEdge: e.VILO_VIEWERS_PER_EDGE, maxEdges: e.VILO_MAX_EDGES, fanoutPerNode: e.VILO_EDGE_FANOUT, idleMs: e.VILO_EDGE_IDLE_MS },
  };
  if (e.VILO_SFU_MODE === 'fleet') return { ...fleet, sfuMode: 'fleet' };
  return { ...fleet, sfuMode: 'kubernetes', namespace: e.VILO_NAMESPACE, routeWaitMs: e.VILO_ROUTE_WAIT_MS };
}

function commonConfig(e: ParsedEnv, env: NodeJS.ProcessEnv): CommonConfig {
  return {
    host: e.VILO_HOST,
    port: e.VILO_PORT,
    ops: { host: e.VILO_OPS_HOST ?? e.VILO_HOST, port: opsPort(e.VILO_OPS_PORT, e.VILO_PORT, 9091) },
    databaseUrl: e.VILO_DATABASE_URL,
    dataDir: e.VILO_DATA_DIR,
    tokenSecret: e.VILO_TOKEN_SECRET ? new TextEncoder().encode(e.VILO_TOKEN_SECRET) : randomBytes(32),
    ephemeralSecret: !e.VILO_TOKEN_SECRET,
    tokenTtlSeconds: e.VILO_TOKEN_TTL_SECONDS,
    publisherGraceMs: e.VILO_PUBLISHER_GRACE_MS,
    liveLeaseSeconds: e.VILO_LIVE_LEASE_SECONDS,
    webDir: e.VILO_WEB_DIR,
    logLevel: e.VILO_LOG_LEVEL,
    allowedOrigins: list(e.VILO_ALLOWED_ORIGINS),
    limits: {
      trustedProxies: list(e.VILO_TRUSTED_PROXIES),
      socketsPerIp: e.VILO_MAX_SOCKETS_PER_IP,
      sessionsPerAccount: e.VILO_MAX_SESSIONS_PER_ACCOUNT,
      streamsPerAccount: e.VILO_MAX_STREAMS_PER_ACCOUNT,
      joinTimeoutMs: e.VILO_JOIN_TIMEOUT_MS,
    },
    // The same figure the settlement worker keeps in reserve: the two must agree.
    pricing: { maxPricePerSecond: BigInt(e.VILO_MAX_PRICE_PER_SECOND), minPrepaidSeconds: reserveSecondsFromEnv(env) },
    auth: {
      sessionSecret: e.VILO_SESSION_SECRET ? new TextEncoder().encode(e.VILO_SESSION_SECRET) : randomBytes(32),
      ephemeralSessionSecret: !e.VILO_SESSION_SECRET,
      sessionTtlSeconds: e.VILO_SESSION_TTL_SECONDS,
      challengeTtlSeconds: e.VILO_AUTH_CHALLENGE_TTL_SECONDS,
      ss58Prefix: e.VILO_SS58_PREFIX,
    },
    recordings: {
      // A throwaway database gets throwaway recordings.
      dir: e.VILO_RECORDINGS_DIR ?? (e.VILO_DATA_DIR === 'memory://' ? path.join(os.tmpdir(), `vilokanam-recordings-${process.pid}`) : '.data/recordings'),
      ffmpeg: e.VILO_FFMPEG,
      ffprobe: e.VILO_FFPROBE,
      clipsPerHour: e.VILO_CLIPS_PER_HOUR,
    },
    social: {
      ...(e.VILO_PUBLIC_URL ? { publicUrl: e.VILO_PUBLIC_URL } : {}),
      chatRatePer10s: e.VILO_CHAT_RATE_PER_10S,
      allowPrivateWebhookTargets: e.VILO_WEBHOOK_ALLOW_PRIVATE === '1' || e.VILO_WEBHOOK_ALLOW_PRIVATE === 'true',
    },
    money: {
      // Empty counts as unset, as a chart's blank value would be.
      escrowAddress: e.VILO_ESCROW_ADDRESS || undefined,
      adminAccounts: list(e.VILO_ADMIN_ACCOUNTS),
      ...(e.VILO_EXPLORER_URL ? { explorerUrl: e.VILO_EXPLORER_URL } : {}),
      ...(e.VILO_CHAIN_PUBLIC_WS_URL ? { rpcUrl: e.VILO_CHAIN_PUBLIC_WS_URL } : {}),
      ...(e.VILO_TREASURY_ADDRESS ? { treasuryAddress: e.VILO_TREASURY_ADDRESS } : {}),
    },
  };
}

function list(csv: string): string[] {
  return csv.split(',').map((v) => v.trim()).filter((v) => v.length > 0);
}
