import { randomUUID } from 'node:crypto';
import type { Database } from '../db/Database.ts';
import { Hs256 } from './Hs256.ts';

export interface SessionClaims {
  accountId: string;
  sessionId: string;
  expiresAt: Date;
}

// Not the media tokens' audience: a stream token can never pass for a session, or back.
const AUDIENCE = 'vilokanam:session';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Sessions are HS256 tokens that name a row in auth_sessions. The signature lets garbage
 * cookies fail without a query; the row lets sign-out end a session before its expiry.
 */
export class SessionIssuer {
  readonly #db: Database;
  readonly #jwt: Hs256;
  readonly #ttlSeconds: number;

  constructor(db: Database, secret: Uint8Array, ttlSeconds: number) {
    this.#jwt = new Hs256(secret, AUDIENCE, 'session');
    this.#db = db;
    this.#ttlSeconds = ttlSeconds;
  }

  get ttlSeconds(): number {
    return this.#ttlSeconds;
  }

  async issue(accountId: string, now = Date.now()): Promise<{ token: string; expiresAt: Date }> {
    const sessionId = randomUUID();
    const iat = Math.floor(now / 1000);
    const expiresAt = new Date((iat + this.#ttlSeconds) * 1000);
    // Sessions of this account that have run out are dead weight; sweep them on the way in.
    await this.#db.query('DELETE FROM auth_sessions WHERE account_id = $1 AND expires_at <= $2', [accountId, new Date(now)]);
    await this.#db.query('INSERT INTO auth_sessions (id, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)', [
      sessionId,
      accountId,
      new Date(now),
      expiresAt,
    ]);
    const token = await this.#jwt.sign({}, accountId, iat, iat + this.#ttlSeconds, sessionId);
    return { token, expiresAt };
  }

  /** The session if the token is genuine, unexpired and not signed out; never throws. */
  async verify(token: string, now = Date.now()): Promise<SessionClaims | undefined> {
    const claims = await this.#claims(token, now);
    if (!claims) return undefined;
    const rows = await this.#db.query<{ id: string }>(
      'SELECT id FROM auth_sessions WHERE id = $1 AND account_id = $2 AND expires_at > $3',
      [claims.sessionId, claims.accountId, new Date(now)],
    );
    return rows.length === 1 ? claims : undefined;
  }

  /** Ends the session the token names. Tokens that do not verify end nothing. */
  async revoke(token: string, now = Date.now()): Promise<boolean> {
    const claims = await this.#claims(token, now);
    if (!claims) return false;
    const rows = await this.#db.query<{ id: string }>('DELETE FROM auth_sessions WHERE id = $1 AND account_id = $2 RETURNING id', [
      claims.sessionId,
      claims.accountId,
    ]);
    return rows.length === 1;
  }

  async #claims(token: string, now: number): Promise<SessionClaims | undefined> {
    try {
      const payload = await this.#jwt.verify(token, now);
      if (typeof payload.sub !== 'string' || typeof payload.jti !== 'string' || !UUID.test(payload.jti) || !payload.exp) return undefined;
      return { accountId: payload.sub, sessionId: payload.jti, expiresAt: new Date(payload.exp * 1000) };
    } catch {
      return undefined;
    }
  }
}
