import { describe, expect, it } from 'vitest';
import { AddressQuota } from './AddressQuota.ts';

describe('AddressQuota', () => {
  it('refuses an address at its bound and admits others', () => {
    const quota = new AddressQuota(2);
    expect(quota.take('a')).toBeTypeOf('function');
    expect(quota.take('a')).toBeTypeOf('function');
    expect(quota.take('a')).toBeUndefined();
    expect(quota.take('b')).toBeTypeOf('function');
    expect(quota.held('a')).toBe(2);
  });

  it('frees a place once however often its release runs, and forgets an empty address', () => {
    const quota = new AddressQuota(1);
    const release = quota.take('a')!;
    release();
    release();
    expect(quota.held('a')).toBe(0);
    expect(quota.addresses).toBe(0);
    const again = quota.take('a')!;
    release(); // a stale release must not free the new holder's place
    expect(quota.take('a')).toBeUndefined();
    again();
    expect(quota.take('a')).toBeTypeOf('function');
  });
});
