import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWebhook } from './postWebhook.ts';
import { isPrivateAddress, refuseTarget } from './targets.ts';

describe('webhook targets', () => {
  it.each([
    'http://localhost:8080/hook',
    'http://LOCALHOST./hook',
    'http://api.localhost/hook',
    'http://127.0.0.1/hook',
    'http://127.1.2.3:9000/',
    'http://0x7f.1/', // another spelling of 127.0.0.1
    'http://2130706433/', // and another
    'http://0.0.0.0/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://169.254.169.254/latest/meta-data/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://10.0.0.5/',
    'http://172.16.3.4/',
    'http://192.168.1.1/',
    'http://100.64.0.1/',
    'http://[fe80::1]/',
    'http://[fd12:3456::1]/',
    'http://printer.local/',
  ])('refuses %s', (url) => {
    expect(refuseTarget(url, false)).toBeTypeOf('string');
  });

  it.each(['https://chat.example.org/hooks/abc', 'http://93.184.216.34/', 'https://[2606:4700::1111]/'])('accepts %s', (url) => {
    expect(refuseTarget(url, false)).toBeUndefined();
  });

  it('allows private targets only when told to, and never other schemes or credentials', () => {
    expect(refuseTarget('http://127.0.0.1:9000/hook', true)).toBeUndefined();
    expect(refuseTarget('ftp://example.org/', true)).toBeTypeOf('string');
    expect(refuseTarget('https://user:pw@example.org/', true)).toBeTypeOf('string');
    expect(refuseTarget('not a url', true)).toBeTypeOf('string');
  });

  it('classifies addresses', () => {
    expect(isPrivateAddress('127.0.0.1')).toBe(true);
    expect(isPrivateAddress('::ffff:a9fe:a9fe')).toBe(true); // 169.254.169.254, mapped
    expect(isPrivateAddress('8.8.8.8')).toBe(false);
    expect(isPrivateAddress('2001:4860:4860::8888')).toBe(false);
    expect(isPrivateAddress('not-an-ip')).toBe(true);
  });
});

describe('a delivery to a private address', () => {
  let server: Server;
  let port: number;
  let hits = 0;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const request = (url: string, allowPrivateTargets: boolean) =>
    postWebhook({ url, secret: 'x'.repeat(64), deliveryId: 'd', body: '{}', timeoutMs: 2000, allowPrivateTargets });

  it('is refused after DNS, whatever name led there', async () => {
    // "localhost" passes no literal-address check here; its resolution is what refuses it.
    expect(await request(`http://localhost:${port}/`, false)).toEqual({ ok: false, status: 'blocked', blocked: true });
    expect(await request(`http://127.0.0.1:${port}/`, false)).toEqual({ ok: false, status: 'blocked', blocked: true });
    expect(hits).toBe(0);
    expect(await request(`http://127.0.0.1:${port}/`, true)).toEqual({ ok: true, status: '200', blocked: false });
    expect(hits).toBe(1);
  });
});
