import { describe, expect, it } from 'vitest';
import { generateStreamKey, hashStreamKey, streamKeyMatches } from './streamKey.ts';

describe('stream keys', () => {
  it('are unique, prefixed, and verify against their hash only', () => {
    const a = generateStreamKey();
    const b = generateStreamKey();
    expect(a).toMatch(/^vk_[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    const hash = hashStreamKey(a);
    expect(hash).toHaveLength(32);
    expect(Buffer.from(hash).toString('utf8')).not.toContain(a.slice(3));
    expect(streamKeyMatches(a, hash)).toBe(true);
    expect(streamKeyMatches(b, hash)).toBe(false);
  });
  it('rejects keys without the prefix or absurdly long', () => {
    const key = generateStreamKey();
    expect(streamKeyMatches(key.slice(3), hashStreamKey(key.slice(3)))).toBe(false);
    const long = `vk_${'a'.repeat(200)}`;
    expect(streamKeyMatches(long, hashStreamKey(long))).toBe(false);
  });
});
