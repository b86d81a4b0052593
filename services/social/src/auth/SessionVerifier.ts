import { errors, jwtVerify } from 'jose';
import { SESSION_COOKIE } from '@vilokanam/contracts/auth';
import type { Queryable } from '@vilokanam/settlement/db';
import type { Member } from '../http/member.ts';

// Must match how signaling's SessionIssuer signs: the same issuer, audience and secret.
const ISSUER = 'vilokanam';
const AUDIENCE = 'vilokanam:session';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Checks the session cookies signaling issues, for when social runs as its own service: the
 * signature first (garbage costs no query), then the auth_sessions row, so a signed-out
 * session is refused here as it is there.
 */
export class SessionVerifier {
  readonly #db: Queryable;
  readonly #secret: Uint8Array;
  readonly #now: () => number;

  constructor(db: Queryable, secret: Uint8Array, now: () => number = Date.now) {
    if (secret.length < 32) throw new Error('session secret must be at least 32 bytes');
    this.#db = db;
    this.#secret = secret;
    this.#now = now;
  }

  /** The member a Cookie header's session belongs to; never throws. */
  readonly resolve = async (cookieHeader: string | undefined): Promise<Member | undefined> => {
    const token = readSessionCookie(cookieHeader);
    if (!token) return undefined;
    let sub: string, jti: string;
    try {
      const { payload } = await jwtVerify(token, this.#secret, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], currentDate: new Date(this.#now()) });
      if (typeof payload.sub !== 'string' || typeof payload.jti !== 'string' || !UUID.test(payload.jti)) return undefined;
      sub = payload.sub;
      jti = payload.jti;
    } catch (err) {
      if (err instanceof errors.JOSEError) return undefined;
      throw err;
    }
    const rows = await this.#db.query<{ id: string; address: string; display_name: string | null }>(
      `SELECT a.id, a.address, a.display_name FROM auth_sessions s JOIN user_accounts a ON a.id = s.account_id
        WHERE s.id = $1 AND s.account_id = $2 AND s.expires_at > $3`,
      [jti, sub, new Date(this.#now())],
    );
    const row = rows[0];
    return row ? { id: row.id, address: row.address, displayName: row.display_name } : undefined;
  };
}

/** The session cookie's value in a Cookie header, if any. */
export function readSessionCookie(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}
