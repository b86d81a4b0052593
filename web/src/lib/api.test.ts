import { afterEach, describe, expect, it, vi } from 'vitest';
import { VilokanamError } from '@vilokanam/contracts/errors';
import { ApiError, apiUrl, call, listStreams } from './api.ts';

function answer(status: number, body?: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), { status });
}

function stubFetch(respond: () => Promise<Response>) {
  const fetch = vi.fn((_url: string, _init: RequestInit) => respond());
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('apiUrl', () => {
  it('prefixes /api/v1 and leaves out undefined parameters', () => {
    expect(apiUrl('/me/wallet')).toBe('/api/v1/me/wallet');
    expect(apiUrl('/me/wallet', { limit: 25, before: undefined })).toBe('/api/v1/me/wallet?limit=25');
    expect(apiUrl('/me/proofs', { batch: 'a b&c', limit: 1000 })).toBe('/api/v1/me/proofs?batch=a+b%26c&limit=1000');
  });
});

describe('call', () => {
  it('sends JSON with the cookie and the stream key, and returns the body', async () => {
    const fetch = stubFetch(async () => answer(200, { ok: 1 }));
    const signal = new AbortController().signal;
    await expect(call('/x', { method: 'POST', body: {}, streamKey: 'sk', query: { n: 1 }, signal })).resolves.toEqual({ ok: 1 });
    const [url, init] = fetch.mock.calls[0] ?? [];
    expect(url).toBe('/api/v1/x?n=1');
    expect(init).toMatchObject({ method: 'POST', body: '{}', credentials: 'same-origin', signal });
    expect(init?.headers).toEqual({ Accept: 'application/json', 'Content-Type': 'application/json', Authorization: 'Bearer sk' });
  });

  it('turns an error body into an ApiError with the server code and message', async () => {
    stubFetch(async () => answer(403, { error: { code: 'forbidden', message: 'Admins only' } }));
    const error = await call('/admin/reconciler').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toBeInstanceOf(VilokanamError);
    expect(error).toMatchObject({ status: 403, code: 'forbidden', message: 'Admins only' });
  });

  it('falls back to a generic error when the body says nothing', async () => {
    stubFetch(async () => new Response('<html>', { status: 502 }));
    await expect(call('/x')).rejects.toMatchObject({ status: 502, code: 'http_error', message: 'Request failed (502)' });
    stubFetch(async () => new Response('not json', { status: 200 }));
    await expect(call('/x')).rejects.toMatchObject({ status: 200, code: 'bad_response' });
  });

  it('reports an unreachable server as status 0, but lets an abort through as is', async () => {
    stubFetch(async () => Promise.reject(new TypeError('fetch failed')));
    await expect(call('/x')).rejects.toMatchObject({ status: 0, code: 'network' });
    const abort = new DOMException('aborted', 'AbortError');
    stubFetch(async () => Promise.reject(abort));
    await expect(call('/x')).rejects.toBe(abort);
  });

  it('resolves undefined for 204', async () => {
    stubFetch(async () => new Response(null, { status: 204 }));
    await expect(call('/auth/logout', { method: 'POST' })).resolves.toBeUndefined();
  });
});

it('filters streams by status through the query string', async () => {
  const fetch = stubFetch(async () => answer(200, { streams: [] }));
  await listStreams('live');
  await listStreams();
  expect(fetch.mock.calls.map(([url]) => url)).toEqual(['/api/v1/streams?status=live', '/api/v1/streams']);
});
