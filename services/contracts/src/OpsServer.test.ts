import { afterEach, describe, expect, it } from 'vitest';
import { OpsServer, opsPort } from './OpsServer.ts';

let ops: OpsServer | undefined;
afterEach(async () => {
  await ops?.close();
  ops = undefined;
});

const start = (ready: () => Promise<{ ok: boolean }>) =>
  OpsServer.start({ host: '127.0.0.1', port: 0, ready, metrics: async () => ({ contentType: 'text/plain; version=0.0.4', body: 'up 1\n' }) });

describe('OpsServer', () => {
  it('serves probes and metrics on a port of its own, and nothing else', async () => {
    ops = await start(async () => ({ ok: true, nodes: 2 }));
    expect(ops.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${ops.url}/healthz`)).json()).toEqual({ ok: true });
    expect(await (await fetch(`${ops.url}/readyz`)).json()).toEqual({ ok: true, nodes: 2 });
    const metrics = await fetch(`${ops.url}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(await metrics.text()).toBe('up 1\n');
    expect((await fetch(`${ops.url}/api/v1/streams`)).status).toBe(404);
  });

  it('answers 503 when not ready, or when the check throws', async () => {
    ops = await start(async () => ({ ok: false }));
    expect((await fetch(`${ops.url}/readyz`)).status).toBe(503);
    await ops.close();
    ops = await start(async () => {
      throw new Error('database down');
    });
    const res = await fetch(`${ops.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.text()).not.toContain('database down');
  });

  it('takes the fallback port unless set, and an ephemeral one beside an ephemeral public port', () => {
    expect(opsPort(undefined, 8080, 9091)).toBe(9091);
    expect(opsPort(undefined, 0, 9091)).toBe(0);
    expect(opsPort(9500, 0, 9091)).toBe(9500);
    expect(opsPort(0, 8080, 9091)).toBe(0);
  });
});
