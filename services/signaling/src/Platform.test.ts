// The signaling service end to end over real HTTP and WebSockets, on real mediasoup workers.
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SfuNode, sfuConfigFromEnv } from '@vilokanam/sfu-node';
import { signalingConfigFromEnv } from './config.ts';
import { startPlatform, type Platform } from './Platform.ts';
import { TokenIssuer } from './TokenIssuer.ts';
import { WsTestClient } from '@vilokanam/testkit/clients';
import { AuthClient, newPair } from '@vilokanam/testkit/clients';
import { waitFor } from '@vilokanam/testkit';

const secret = randomBytes(24).toString('hex');
let platform: Platform;
let sfu: SfuNode;
/** Streams have owners: this signed-in creator makes them. */
let creator: AuthClient;

beforeAll(async () => {
  const log = pino({ level: 'silent' });
  sfu = new SfuNode(sfuConfigFromEnv({ ...process.env, VILO_SFU_WORKERS: '1' }), log);
  await sfu.start();
  const config = signalingConfigFromEnv({
    VILO_PORT: '0',
    VILO_DATA_DIR: 'memory://',
    VILO_TOKEN_SECRET: secret,
    // Long enough for a test to finish with a live stream nobody publishes to, short enough to wait out.
    VILO_PUBLISHER_GRACE_MS: '1500',
    // One creator makes every stream here; the limit has its own attack test.
    VILO_MAX_STREAMS_PER_ACCOUNT: '100',
  });
  platform = await startPlatform(config, { sfu, log });
  creator = new AuthClient(platform.url);
  expect((await creator.signIn(newPair('sr25519'))).status).toBe(200);
});
afterAll(async () => {
  await platform?.close();
  sfu?.close();
});

async function api(path: string, init: { method?: string; body?: unknown; key?: string; anonymous?: boolean } = {}) {
  const method = init.method ?? (init.body ? 'POST' : 'GET');
  // Creating a stream needs the creator's sign-in; everything else here is anonymous.
  const cookie = path === '/streams' && method === 'POST' && !init.anonymous ? creator.cookie : undefined;
  const res = await fetch(`${platform.url}/api/v1${path}`, {
    method,
    headers: {
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(init.key ? { authorization: `Bearer ${init.key}` } : {}),
      ...(cookie ? { cookie } : {}),
    },
    body: typeof init.body === 'string' ? init.body : init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function liveStream() {
  const { body } = await api('/streams', { body: { title: 'Test', category: 'Tech' } });
  await api(`/streams/${body.stream.id}/start`, { method: 'POST', key: body.streamKey });
  return { id: body.stream.id as string, key: body.streamKey as string };
}

async function token(id: string, role: 'viewer' | 'publisher', key?: string): Promise<string> {
  const res = await api(`/streams/${id}/tokens`, { body: { role }, key });
  expect(res.status).toBe(200);
  return res.body.token;
}

describe('REST', () => {
  it('refuses a category outside the managed list, and malformed tags', async () => {
    const unknown = await api('/streams', { body: { title: 'Odd', category: 'Basket weaving' } });
    expect(unknown).toMatchObject({ status: 400, body: { error: { code: 'bad_request', message: expect.stringContaining('category') } } });
    const badTag = await api('/streams', { body: { title: 'Odd', category: 'music', tags: ['<script>'] } });
    expect(badTag).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });
    const tooMany = await api('/streams', { body: { title: 'Odd', category: 'music', tags: Array.from({ length: 11 }, (_, i) => `t${i}`) } });
    expect(tooMany.status).toBe(400);
  });

  it('creates, lists, starts and stops a stream, without ever echoing the key later', async () => {
    const created = await api('/streams', { body: { title: '  Lo-fi beats ', category: 'Music', tags: ['Lofi', 'chill', 'lofi'] } });
    expect(created.status).toBe(201);
    // The category named is stored as its slug from the managed list; tags are folded and kept once.
    expect(created.body.stream).toMatchObject({ title: 'Lo-fi beats', category: 'music', tags: ['lofi', 'chill'], status: 'created', viewers: 0 });
    const { id } = created.body.stream;
    const key = created.body.streamKey;

    expect((await api('/streams?status=live')).body.streams.map((s: any) => s.id)).not.toContain(id);
    const started = await api(`/streams/${id}/start`, { method: 'POST', key });
    expect(started.body.stream.status).toBe('live');
    expect((await api('/streams?status=live')).body.streams.map((s: any) => s.id)).toContain(id);
    expect(JSON.stringify((await api(`/streams/${id}`)).body)).not.toContain(key);

    const stopped = await api(`/streams/${id}/stop`, { method: 'POST', key });
    expect(stopped.body.stream.status).toBe('ended');
    const late = await api(`/streams/${id}/tokens`, { body: { role: 'viewer' } });
    expect(late).toMatchObject({ status: 409, body: { error: { code: 'stream_not_live' } } });
  });

  it('answers bad input with a 4xx and a JSON error body', async () => {
    const cases = [
      [await api('/streams', { body: { title: '' } }), 400, 'bad_request'],
      [await api('/streams', { body: '{not json' }), 400, 'bad_request'],
      [await api('/streams?status=banana'), 400, 'bad_request'],
      [await api('/streams/not-a-uuid'), 404, 'not_found'],
      [await api('/streams/00000000-0000-4000-8000-000000000000'), 404, 'not_found'],
      [await api('/nowhere'), 404, 'not_found'],
    ] as const;
    for (const [res, status, code] of cases) {
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.message.length).toBeGreaterThan(3);
    }
  });

  it('guards start, stop and publisher tokens with the stream key', async () => {
    const { body } = await api('/streams', { body: { title: 'Guarded', category: 'Tech' } });
    const id = body.stream.id;
    expect((await api(`/streams/${id}/start`, { method: 'POST' })).status).toBe(401);
    expect((await api(`/streams/${id}/start`, { method: 'POST', key: 'vk_wrong' })).status).toBe(403);
    expect((await api(`/streams/${id}/stop`, { method: 'POST', key: 'vk_wrong' })).status).toBe(403);
    expect((await api(`/streams/${id}/tokens`, { body: { role: 'publisher' } })).status).toBe(401);
    expect((await api(`/streams/${id}/tokens`, { body: { role: 'publisher' }, key: body.streamKey })).status).toBe(200);
  });

  it('serves health, readiness and prom-client metrics, the metrics on the ops port only', async () => {
    for (const base of [platform.url, platform.opsUrl]) {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ ok: true, nodes: 1 });
    }
    // What the ingress routes: no metrics, not even the web app's index page in their place.
    const publicMetrics = await fetch(`${platform.url}/metrics`);
    expect(publicMetrics.status).toBe(404);
    expect((await publicMetrics.json()).error.code).toBe('not_found');
    expect(new URL(platform.opsUrl).port).not.toBe(new URL(platform.url).port);
    const metrics = await (await fetch(`${platform.opsUrl}/metrics`)).text();
    for (const name of ['vilo_sfu_workers 1', 'vilo_sfu_consumers', 'vilo_sfu_bitrate_out_bps', 'vilo_http_request_duration_seconds_bucket', 'vilo_ws_sockets']) {
      expect(metrics).toContain(name);
    }
  });
});

describe('WebSocket signaling', () => {
  it('answers malformed frames with error frames and keeps the socket', async () => {
    const c = await WsTestClient.connect(platform.url);
    expect((await c.raw('{nope', null)).error?.code).toBe('bad_request');
    expect((await c.raw({ v: 99, id: 7, type: 'join' }, 7)).error?.code).toBe('unsupported_version');
    expect((await c.request('teleport', {})).error?.code).toBe('unknown_type');
    expect((await c.request('createTransport', { direction: 'recv' })).error?.code).toBe('forbidden');
    expect((await c.request('join', { token: 42 })).error?.code).toBe('bad_request');
    expect((await c.request('join', { token: 'garbage' })).error).toEqual({ code: 'unauthorized', message: 'invalid token' });
    const { id } = await liveStream();
    const expired = (await new TokenIssuer(new TextEncoder().encode(secret), 60).issue({ streamId: id, role: 'viewer' }, Date.now() - 120_000)).token;
    expect((await c.request('join', { token: expired })).error).toEqual({ code: 'unauthorized', message: 'token expired' });
    expect((await c.request('stats')).error?.code).toBe('forbidden');
    expect(c.socket.readyState).toBe(c.socket.OPEN);
    c.close();
  });

  it('joins a viewer with router capabilities and counts viewers live', async () => {
    const { id } = await liveStream();
    const a = await WsTestClient.connect(platform.url);
    const joined = await a.request('join', { token: await token(id, 'viewer') });
    expect(joined.ok).toBe(true);
    const mimeTypes = joined.data.routerRtpCapabilities.codecs.map((c: any) => c.mimeType);
    expect(mimeTypes).toEqual(expect.arrayContaining(['audio/opus', 'video/VP8', 'video/H264']));
    expect(joined.data).toMatchObject({ role: 'viewer', streamId: id, producers: [], viewers: 1 });
    expect((await a.request('join', { token: await token(id, 'viewer') })).error?.code).toBe('conflict');

    const b = await WsTestClient.connect(platform.url);
    await b.request('join', { token: await token(id, 'viewer') });
    await a.waitForEvent('viewers', (d) => d.count === 2);
    expect((await api(`/streams/${id}`)).body.stream.viewers).toBe(2);
    b.close();
    await a.waitForEvent('viewers', (d) => d.count === 1);
    a.close();
  });

  it('limits each role to its transport direction and frees transports when the tab closes', async () => {
    const { id, key } = await liveStream();
    const before = (await sfu.load()).transports;
    const viewer = await WsTestClient.connect(platform.url);
    await viewer.request('join', { token: await token(id, 'viewer') });
    expect((await viewer.request('createTransport', { direction: 'send' })).error?.code).toBe('forbidden');
    expect((await viewer.request('produce', { transportId: 'x', kind: 'video', rtpParameters: {} })).error?.code).toBe('forbidden');
    const t = await viewer.request('createTransport', { direction: 'recv' });
    expect(t.ok).toBe(true);
    expect(t.data.iceCandidates.length).toBeGreaterThan(0);
    expect((await viewer.request('connectTransport', { transportId: 'other', dtlsParameters: {} })).error?.code).toBe('not_found');
    expect((await viewer.request('connectTransport', { transportId: t.data.id, dtlsParameters: { bogus: true } })).error?.code).toBe('bad_request');

    const publisher = await WsTestClient.connect(platform.url);
    await publisher.request('join', { token: await token(id, 'publisher', key) });
    const send = await publisher.request('createTransport', { direction: 'send' });
    expect(send.ok).toBe(true);
    expect((await publisher.request('produce', { transportId: send.data.id, kind: 'video', rtpParameters: { codecs: 'no' } })).error?.code).toBe('bad_request');
    expect((await sfu.load()).transports).toBe(before + 2);

    viewer.close();
    publisher.close();
    await waitFor('transports to be freed', async () => (await sfu.load()).transports === before, 3000);
  });

  it('refuses a publisher before start, and ends the stream when the publisher does not return', async () => {
    const { body } = await api('/streams', { body: { title: 'Not yet', category: 'Tech' } });
    const early = await WsTestClient.connect(platform.url);
    const refused = await early.request('join', { token: await token(body.stream.id, 'publisher', body.streamKey) });
    expect(refused.error?.code).toBe('stream_not_live');
    early.close();

    const { id, key } = await liveStream();
    const viewer = await WsTestClient.connect(platform.url);
    await viewer.request('join', { token: await token(id, 'viewer') });
    const publisher = await WsTestClient.connect(platform.url);
    await publisher.request('join', { token: await token(id, 'publisher', key) });
    publisher.close();
    expect(await viewer.waitForEvent('streamEnded')).toEqual({ reason: 'publisher_left' });
    expect((await api(`/streams/${id}`)).body.stream.status).toBe('ended');
    viewer.close();
  });

  it('tells viewers when the creator stops, and a new publisher replaces a stale one', async () => {
    const { id, key } = await liveStream();
    const first = await WsTestClient.connect(platform.url);
    await first.request('join', { token: await token(id, 'publisher', key) });
    const second = await WsTestClient.connect(platform.url);
    await second.request('join', { token: await token(id, 'publisher', key) });
    expect((await first.closed).code).toBe(4002);

    const viewer = await WsTestClient.connect(platform.url);
    await viewer.request('join', { token: await token(id, 'viewer') });
    await api(`/streams/${id}/stop`, { method: 'POST', key });
    expect(await viewer.waitForEvent('streamEnded')).toEqual({ reason: 'stopped' });
    viewer.close();
    second.close();
  });

  it('rate-limits a flooding socket without dropping it, and closes on oversized frames', async () => {
    const c = await WsTestClient.connect(platform.url);
    const replies = await Promise.all(Array.from({ length: 120 }, () => c.request('stats')));
    const codes = new Set(replies.map((r) => r.error?.code));
    expect(codes.has('rate_limited')).toBe(true);
    expect(c.socket.readyState).toBe(c.socket.OPEN);
    c.socket.send('x'.repeat(70 * 1024));
    expect((await c.closed).code).toBe(1009);
    expect((await fetch(`${platform.url}/healthz`)).status).toBe(200);
  });

  it('replaces a crashed worker and tells the stream\'s tabs to reconnect', async () => {
    const { id } = await liveStream();
    const viewer = await WsTestClient.connect(platform.url);
    await viewer.request('join', { token: await token(id, 'viewer') });
    const oldPid = sfu.pool.slots[0]!.worker.pid;
    const died = new Promise((resolve) => sfu.pool.once('workerdied', resolve));
    process.kill(oldPid, 'SIGKILL');
    expect((await viewer.closed).code).toBe(4001);
    expect(await died).toMatchObject({ index: 0, pid: oldPid, replaced: true });
    expect(sfu.pool.slots[0]!.worker.pid).not.toBe(oldPid);
    expect((await sfu.load()).workerDeaths).toBe(1);

    const again = await WsTestClient.connect(platform.url);
    const rejoined = await again.request('join', { token: await token(id, 'viewer') });
    expect(rejoined.ok).toBe(true);
    expect((await again.request('createTransport', { direction: 'recv' })).ok).toBe(true);
    again.close();
  });
});
