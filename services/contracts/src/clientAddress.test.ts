import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientAddressResolver } from './clientAddress.ts';

const req = (peer: string, xff?: string) =>
  ({ socket: { remoteAddress: peer }, connection: { remoteAddress: peer }, headers: xff ? { 'x-forwarded-for': xff } : {} }) as unknown as IncomingMessage;

describe('clientAddressResolver', () => {
  it('ignores X-Forwarded-For by default', () => {
    const resolve = clientAddressResolver([]);
    expect(resolve(req('203.0.113.9', '198.51.100.1'))).toBe('203.0.113.9');
  });

  it('believes a trusted proxy, hop by hop, and stops at the first untrusted hop', () => {
    const resolve = clientAddressResolver(['10.0.0.0/8']);
    expect(resolve(req('10.1.2.3', '198.51.100.7'))).toBe('198.51.100.7');
    // The client prepended a forged hop; the proxy appended the real one.
    expect(resolve(req('10.1.2.3', '1.1.1.1, 198.51.100.7'))).toBe('198.51.100.7');
    // Not from the proxy: the header is the client's own words.
    expect(resolve(req('203.0.113.9', '198.51.100.7'))).toBe('203.0.113.9');
  });

  it('takes proxy-addr names and refuses nonsense', () => {
    expect(clientAddressResolver(['loopback'])(req('127.0.0.1', '198.51.100.2'))).toBe('198.51.100.2');
    expect(() => clientAddressResolver(['not an address'])).toThrow(/VILO_TRUSTED_PROXIES/);
  });
});
