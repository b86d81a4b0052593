// Signaling's side of signed billing sessions, on a real Redis: the hash it writes carries a
// signature that settlement's parser accepts under the shared key, and no other.
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { OPEN_SESSION_TTL_SECONDS, parseViewerSession, sessionKey } from '@vilokanam/contracts/ticks';
import { UntrustedInput } from '@vilokanam/contracts/untrusted';
import { RedisViewerBilling } from './RedisViewerBilling.ts';

const redis = new Redis(process.env.VILO_TEST_REDIS_URL_BILLING ?? 'redis://127.0.0.1:6379/11');
const subscriber = redis.duplicate();
const untrusted = new UntrustedInput({ count: () => {}, warn: () => {} });

afterAll(() => {
  redis.disconnect();
  subscriber.disconnect();
});

describe('RedisViewerBilling', () => {
  it('signs every session it opens with the billing key, so settlement can tell it from a forged one', async () => {
    const key = randomBytes(32);
    const billing = new RedisViewerBilling({ redis, subscriber, log: pino({ level: 'silent' }), untrusted, sessionKey: key });
    const sessionId = randomUUID();
    await billing.open({ sessionId, viewer: 'alice', creator: 'carol', stream: 's1', pricePerSecond: 7n, joinedAt: Date.now() });
    const hash = await redis.hgetall(sessionKey(sessionId));
    expect(hash.sig).toMatch(/^[0-9a-f]{64}$/);
    expect(parseViewerSession(sessionId, hash, key)).toMatchObject({ viewer: 'alice', creator: 'carol', pricePerSecond: 7n });
    expect(parseViewerSession(sessionId, hash, randomBytes(32))).toBeUndefined();
    // Open, it already expires: a replica killed now would never close it.
    const open = await redis.ttl(sessionKey(sessionId));
    expect(open).toBeGreaterThan(OPEN_SESSION_TTL_SECONDS - 60);
    expect(open).toBeLessThanOrEqual(OPEN_SESSION_TTL_SECONDS);
    await billing.close(sessionId);
    const closed = await redis.ttl(sessionKey(sessionId));
    expect(closed).toBeGreaterThan(0);
    expect(closed).toBeLessThan(OPEN_SESSION_TTL_SECONDS - 60);
  });
});
