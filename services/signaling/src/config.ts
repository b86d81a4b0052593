import { randomBytes } from 'node:crypto';
import { z } from 'zod';

// Every environment variable the service reads is declared here; README documents them.
const Env = z.object({
  VILO_HOST: z.string().default('127.0.0.1'),
  VILO_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  VILO_DATABASE_URL: z.string().optional(),
  VILO_DATA_DIR: z.string().default('.data/pglite'),
  VILO_TOKEN_SECRET: z.string().min(32, 'VILO_TOKEN_SECRET must be at least 32 characters').optional(),
  VILO_TOKEN_TTL_SECONDS: z.coerce.number().int().min(10).max(3600).default(300),
  VILO_PUBLISHER_GRACE_MS: z.coerce.number().int().min(0).default(30_000),
  VILO_WEB_DIR: z.string().optional(),
  VILO_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface SignalingConfig {
  host: string;
  port: number;
  /** Postgres connection string; absent means embedded PGlite. */
  databaseUrl: string | undefined;
  /** PGlite data directory, or `memory://` for a throwaway database. */
  dataDir: string;
  tokenSecret: Uint8Array;
  /** True when the secret was generated for this process only (embedded mode). */
  ephemeralSecret: boolean;
  tokenTtlSeconds: number;
  publisherGraceMs: number;
  webDir: string | undefined;
  logLevel: z.infer<typeof Env>['VILO_LOG_LEVEL'];
}

export function signalingConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SignalingConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${detail}`);
  }
  const e = parsed.data;
  return {
    host: e.VILO_HOST,
    port: e.VILO_PORT,
    databaseUrl: e.VILO_DATABASE_URL,
    dataDir: e.VILO_DATA_DIR,
    tokenSecret: e.VILO_TOKEN_SECRET ? new TextEncoder().encode(e.VILO_TOKEN_SECRET) : randomBytes(32),
    ephemeralSecret: !e.VILO_TOKEN_SECRET,
    tokenTtlSeconds: e.VILO_TOKEN_TTL_SECONDS,
    publisherGraceMs: e.VILO_PUBLISHER_GRACE_MS,
    webDir: e.VILO_WEB_DIR,
    logLevel: e.VILO_LOG_LEVEL,
  };
}
