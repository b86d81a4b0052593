// The Redis contract between the media side (signaling, sfu-node) and settlement. Both sides
// import these functions, so the key layout lives in one place.
//
//   HASH vilo:vsession:<sessionId>   viewer, creator, stream, price (planck/s), joinedAt (ms), sig
//                                    (HMAC-SHA256 of the rest, under VILO_BILLING_SESSION_KEY)
//   SET  vilo:ticks:<sessionId>:<w>  unix seconds media flowed in window w = floor(s / W)
//   SET  vilo:tickwin                "<sessionId>:<w>" for every window holding ticks
//   SET  vilo:tickwin:orphan         windows set aside because their session hash is unusable
//   PUBSUB vilo:overdraft            OverdraftMessage JSON
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { zodMessage } from './errors.ts';

export const SESSION_KEY_PREFIX = 'vilo:vsession:';
export const TICKS_KEY_PREFIX = 'vilo:ticks:';
export const TICK_INDEX_KEY = 'vilo:tickwin';
export const ORPHAN_INDEX_KEY = 'vilo:tickwin:orphan';
export const OVERDRAFT_CHANNEL = 'vilo:overdraft';
export const DEFAULT_WINDOW_SECONDS = 10;
export const DEFAULT_GRACE_SECONDS = 5;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const sessionKey = (sessionId: string): string => SESSION_KEY_PREFIX + sessionId;
export const ticksKey = (sessionId: string, window: number): string => `${TICKS_KEY_PREFIX}${sessionId}:${window}`;
export const windowMember = (sessionId: string, window: number): string => `${sessionId}:${window}`;

export function windowOf(unixSecond: number, windowSeconds: number): number {
  return Math.floor(unixSecond / windowSeconds);
}

/** The unix second from which a window is closed: no tick for it is expected any more. */
export function windowClosesAt(window: number, windowSeconds: number, graceSeconds: number): number {
  return (window + 1) * windowSeconds + graceSeconds;
}

export function parseWindowMember(member: string): { sessionId: string; window: number } | undefined {
  const i = member.lastIndexOf(':');
  const sessionId = member.slice(0, i);
  const window = Number(member.slice(i + 1));
  if (i <= 0 || !UUID.test(sessionId) || !/^\d+$/.test(member.slice(i + 1)) || !Number.isSafeInteger(window)) return undefined;
  return { sessionId, window };
}

/** A viewer session as signaling records it at join. The price is fixed for the session. */
export interface ViewerSession {
  sessionId: string;
  viewer: string;
  creator: string;
  stream: string;
  /** Planck per second. */
  pricePerSecond: bigint;
  joinedAt: number;
}

// The same rules the ledger enforces: a hash that passes here can always be settled, so one
// bad hash cannot wedge a whole batch.
const AccountId = z.string().regex(/^[\x21-\x7e]{1,128}$/);
/** An hour of watching at the highest price must still fit in u128. */
const MAX_PRICE = ((1n << 128n) - 1n) / 3600n;
const SessionHash = z.object({
  viewer: AccountId,
  creator: AccountId,
  stream: z.string().min(1).max(128),
  price: z
    .string()
    .regex(/^(0|[1-9][0-9]{0,38})$/, 'price: planck per second as a decimal string')
    .refine((p) => BigInt(p) <= MAX_PRICE, 'price: too large'),
  joinedAt: z.string().regex(/^\d{1,16}$/),
});

/**
 * What signaling signs when it opens a session, so settlement bills only sessions signaling
 * opened: anyone else who can write to Redis cannot invent a viewer to charge or a creator to
 * pay. HMAC-SHA256 over every field, under a key the two share (VILO_BILLING_SESSION_KEY).
 */
export function viewerSessionMac(key: Uint8Array, sessionId: string, hash: Record<string, string>): string {
  const fields = ['v1', sessionId, hash.viewer, hash.creator, hash.stream, hash.price, hash.joinedAt].join('\n');
  return createHmac('sha256', key).update(fields).digest('hex');
}

function macMatches(key: Uint8Array, sessionId: string, hash: Record<string, string>): boolean {
  const given = hash.sig;
  if (typeof given !== 'string' || !/^[0-9a-f]{64}$/.test(given)) return false;
  return timingSafeEqual(Buffer.from(given, 'hex'), Buffer.from(viewerSessionMac(key, sessionId, hash), 'hex'));
}

/**
 * Parses the session hash; undefined when it is missing or malformed, or, given the key, when
 * its signature does not match every field.
 */
export function parseViewerSession(sessionId: string, hash: Record<string, string>, key?: Uint8Array): ViewerSession | undefined {
  const parsed = SessionHash.safeParse(hash);
  if (!parsed.success || !UUID.test(sessionId)) return undefined;
  if (key && !macMatches(key, sessionId, hash)) return undefined;
  const h = parsed.data;
  return { sessionId, viewer: h.viewer, creator: h.creator, stream: h.stream, pricePerSecond: BigInt(h.price), joinedAt: Number(h.joinedAt) };
}

/** The shared billing key from the environment: 32+ bytes as hex or base64, or unset. */
export function billingKeyFromEnv(value: string | undefined): Uint8Array | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  const bytes = /^[0-9a-fA-F]+$/.test(v) && v.length % 2 === 0 ? Buffer.from(v, 'hex') : Buffer.from(v, 'base64');
  if (bytes.length < 32) throw new Error('invalid configuration: VILO_BILLING_SESSION_KEY: at least 32 bytes, as hex or base64');
  return new Uint8Array(bytes);
}

async function execOrThrow(multi: ReturnType<Redis['multi']>): Promise<void> {
  const results = await multi.exec();
  if (!results) throw new Error('redis transaction aborted');
  for (const [err] of results) if (err) throw err;
}

/** The session as its hash fields; throws on anything the worker could not settle. */
export function viewerSessionHash(s: ViewerSession): Record<string, string> {
  if (!UUID.test(s.sessionId)) throw new Error('sessionId: not a lowercase uuid');
  const hash = { viewer: s.viewer, creator: s.creator, stream: s.stream, price: s.pricePerSecond.toString(), joinedAt: String(s.joinedAt) };
  const checked = SessionHash.safeParse(hash);
  if (!checked.success) throw new Error(`viewer session: ${zodMessage(checked.error)}`);
  return hash;
}

/**
 * How long an open session's hash lives if nobody closes it: its replica was killed, so no
 * leave ever comes. Longer than any session watches; a week-long one's later windows would be
 * set aside as orphans (kept, not billed), never billed to anyone else.
 */
export const OPEN_SESSION_TTL_SECONDS = 7 * 86_400;

/**
 * Signaling, at join. Writes the whole hash at once so the worker never sees half of it; with
 * the billing key, the hash carries its signature (`sig`). It expires on its own, so a replica
 * that dies mid-session leaves nothing in Redis for ever.
 */
export async function openViewerSession(redis: Redis, s: ViewerSession, key?: Uint8Array): Promise<void> {
  const hash = viewerSessionHash(s);
  const replies = await redis
    .multi()
    .hset(sessionKey(s.sessionId), key ? { ...hash, sig: viewerSessionMac(key, s.sessionId, hash) } : hash)
    .expire(sessionKey(s.sessionId), OPEN_SESSION_TTL_SECONDS)
    .exec();
  if (!replies) throw new Error('viewer session write aborted');
  for (const [err] of replies) if (err) throw err;
}

/**
 * Signaling, at leave. The hash must outlive the session's last window (W + grace + worker
 * lag), so it expires rather than being deleted; the default leaves a day for a stalled worker.
 */
export async function closeViewerSession(redis: Redis, sessionId: string, ttlSeconds = 86_400): Promise<void> {
  await redis.expire(sessionKey(sessionId), ttlSeconds);
}

/**
 * sfu-node, once per second per viewer session with media flowing. The tick set and the index
 * change in one MULTI, so a window with ticks is always indexed. A repeated tick for the same
 * second is a no-op: the set holds seconds, not counts.
 */
export async function recordTick(redis: Redis, sessionId: string, unixSecond: number, windowSeconds = DEFAULT_WINDOW_SECONDS): Promise<void> {
  await recordTicks(redis, [{ sessionId, unixSecond }], windowSeconds);
}

/** Many sessions' ticks in one MULTI and one round trip (an sfu-node ticks all its viewers each second). */
export async function recordTicks(
  redis: Redis,
  ticks: readonly { sessionId: string; unixSecond: number }[],
  windowSeconds = DEFAULT_WINDOW_SECONDS,
): Promise<void> {
  if (ticks.length === 0) return;
  const multi = redis.multi();
  for (const { sessionId, unixSecond } of ticks) {
    if (!Number.isSafeInteger(unixSecond) || unixSecond < 0) throw new Error('unixSecond: must be a non-negative integer');
    const w = windowOf(unixSecond, windowSeconds);
    multi.sadd(ticksKey(sessionId, w), String(unixSecond));
    multi.sadd(TICK_INDEX_KEY, windowMember(sessionId, w));
  }
  await execOrThrow(multi);
}

/** Published on OVERDRAFT_CHANNEL: stop this session's consumers and tell the player why. */
export const OverdraftMessage = z.object({
  v: z.literal(1),
  sessionId: z.string(),
  viewer: z.string(),
  stream: z.string(),
  /** The first window the viewer could not pay for in full. */
  window: z.number().int(),
  /** Seconds watched but not billed, for lack of balance, in the windows this report covers. */
  unbilledSeconds: z.number().int(),
  /**
   * `overdrawn`: a window could not be paid in full. `low_balance`: every window was paid, but
   * what is left would not cover the seconds still on their way to settlement, so the
   * account's sessions stop now, while their last seconds can still be billed.
   * `spending_cap`: the same, for a spending cap the viewer set rather than their balance.
   */
  reason: z.enum(['overdrawn', 'low_balance', 'spending_cap']).optional(),
});
export type OverdraftMessage = z.infer<typeof OverdraftMessage>;
