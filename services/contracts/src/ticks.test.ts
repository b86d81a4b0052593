import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { billingKeyFromEnv, parseViewerSession, viewerSessionHash, viewerSessionMac } from './ticks.ts';

describe('signed viewer sessions', () => {
  const key = randomBytes(32);
  const sessionId = randomUUID();
  const hash = viewerSessionHash({ sessionId, viewer: 'alice', creator: 'carol', stream: 's1', pricePerSecond: 10n, joinedAt: 1_700_000_000_000 });
  const signed = { ...hash, sig: viewerSessionMac(key, sessionId, hash) };

  it('accepts a hash whose signature covers every field, under the key', () => {
    expect(parseViewerSession(sessionId, signed, key)).toMatchObject({ viewer: 'alice', creator: 'carol', pricePerSecond: 10n });
    // Without a key the signature is not asked for.
    expect(parseViewerSession(sessionId, hash)).toBeDefined();
  });

  it('refuses unsigned, altered, mis-keyed or moved hashes', () => {
    expect(parseViewerSession(sessionId, hash, key)).toBeUndefined();
    for (const field of ['viewer', 'creator', 'stream', 'price', 'joinedAt'] as const) {
      const altered = { ...signed, [field]: field === 'price' || field === 'joinedAt' ? '11' : 'mallory' };
      expect(parseViewerSession(sessionId, altered, key), field).toBeUndefined();
    }
    expect(parseViewerSession(sessionId, signed, randomBytes(32))).toBeUndefined();
    // The same signed fields under another session id: the id is signed too.
    expect(parseViewerSession(randomUUID(), signed, key)).toBeUndefined();
    expect(parseViewerSession(sessionId, { ...signed, sig: 'zz' }, key)).toBeUndefined();
  });

  it('reads the key as 32 or more bytes of hex or base64, and refuses a short one', () => {
    expect(billingKeyFromEnv(undefined)).toBeUndefined();
    expect(billingKeyFromEnv('  ')).toBeUndefined();
    expect(billingKeyFromEnv('ab'.repeat(32))!.length).toBe(32);
    expect(billingKeyFromEnv(randomBytes(48).toString('base64'))!.length).toBe(48);
    expect(() => billingKeyFromEnv('ab'.repeat(8))).toThrow(/at least 32 bytes/);
  });
});
