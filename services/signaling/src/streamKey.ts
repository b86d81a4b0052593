import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'vk_';

/** A 256-bit random secret. High entropy makes a plain SHA-256 at rest sufficient. */
export function generateStreamKey(): string {
  return PREFIX + randomBytes(32).toString('base64url');
}

export function hashStreamKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

export function streamKeyMatches(key: string, hash: Uint8Array): boolean {
  if (!key.startsWith(PREFIX) || key.length > 128) return false;
  const candidate = hashStreamKey(key);
  return candidate.length === hash.length && timingSafeEqual(candidate, hash);
}
