// Rows the social tests stand on: accounts with real signed sessions, streams, follows.
import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { SESSION_COOKIE } from '@vilokanam/contracts/auth';
import type { Queryable } from '@vilokanam/settlement/db';

export const TEST_SESSION_SECRET = new Uint8Array(randomBytes(32));

export interface TestAccount {
  id: string;
  address: string;
  displayName: string;
  /** A Cookie header carrying a genuine session of this account. */
  cookie: string;
}

export async function createAccount(db: Queryable, displayName: string, opts: { handle?: string; secret?: Uint8Array } = {}): Promise<TestAccount> {
  const id = `0x${randomBytes(32).toString('hex')}`;
  const address = `5${randomBytes(24).toString('hex').slice(0, 47)}`;
  await db.query('INSERT INTO user_accounts (id, address, display_name) VALUES ($1, $2, $3)', [id, address, displayName]);
  if (opts.handle) await db.query('INSERT INTO profiles (account_id, handle) VALUES ($1, $2)', [id, opts.handle]);
  const sessionId = randomUUID();
  const now = Math.floor(Date.now() / 1000);
  await db.query('INSERT INTO auth_sessions (id, account_id, created_at, expires_at) VALUES ($1, $2, now(), $3)', [sessionId, id, new Date((now + 3600) * 1000)]);
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(id)
    .setIssuer('vilokanam')
    .setAudience('vilokanam:session')
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .setJti(sessionId)
    .sign(opts.secret ?? TEST_SESSION_SECRET);
  return { id, address, displayName, cookie: `${SESSION_COOKIE}=${token}` };
}

export async function createStream(db: Queryable, creator: string | null, opts: { title?: string; category?: string; status?: 'created' | 'live' | 'ended'; tags?: string[] } = {}): Promise<string> {
  const id = randomUUID();
  await db.query(
    `INSERT INTO streams (id, title, category, status, stream_key_hash, creator_id, tags, started_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $4 = 'live' THEN now() END)`,
    [id, opts.title ?? 'Test stream', opts.category ?? 'music', opts.status ?? 'live', randomBytes(32), creator, opts.tags ?? []],
  );
  return id;
}

export async function follow(db: Queryable, follower: string, creator: string, at = new Date()): Promise<void> {
  await db.query('INSERT INTO follows (follower, creator, created_at) VALUES ($1, $2, $3)', [follower, creator, at]);
}
