import type { Database } from '../db/Database.ts';
import { AccountStore, type Account } from './AccountStore.ts';
import { ChallengeStore } from './ChallengeStore.ts';
import { SESSION_COOKIE } from '@vilokanam/contracts/auth';
import { RateLimiter } from '@vilokanam/contracts/rate-limiter';
import { SessionIssuer } from './SessionIssuer.ts';

/** Everything the sign-in routes, the session middleware and the WebSocket side share. */
export interface Auth {
  accounts: AccountStore;
  challenges: ChallengeStore;
  sessions: SessionIssuer;
  /** Per client IP, shared by challenge and login requests. */
  limiter: RateLimiter;
  ss58Prefix: number;
  /** The clock for expiry decisions; tests move it. */
  now: () => number;
  /** The signed-in account for a Cookie header (HTTP or a WebSocket upgrade), if any. */
  accountFromCookieHeader(header: string | undefined): Promise<Account | undefined>;
}

export interface AuthConfig {
  sessionSecret: Uint8Array;
  sessionTtlSeconds: number;
  challengeTtlSeconds: number;
  ss58Prefix: number;
}

export interface AuthOptions {
  now?: () => number;
  /** Challenge + login requests per IP; modest, since a person signs in rarely. */
  limits?: { burst: number; perMinute: number };
}

export function createAuth(db: Database, config: AuthConfig, opts: AuthOptions = {}): Auth {
  const now = opts.now ?? Date.now;
  const accounts = new AccountStore(db);
  const sessions = new SessionIssuer(db, config.sessionSecret, config.sessionTtlSeconds);
  return {
    accounts,
    challenges: new ChallengeStore(db, config.challengeTtlSeconds),
    sessions,
    limiter: new RateLimiter(opts.limits ?? { burst: 10, perMinute: 10 }),
    ss58Prefix: config.ss58Prefix,
    now,
    async accountFromCookieHeader(header) {
      const token = readCookie(header, SESSION_COOKIE);
      if (!token) return undefined;
      const session = await sessions.verify(token, now());
      return session ? accounts.get(session.accountId) : undefined;
    },
  };
}

/** The first cookie of that name in a Cookie header; browsers send the most specific first. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    return value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1) : value;
  }
  return undefined;
}
