// Attack: make the platform hold more than a client is owed: streams nobody owns or publishes,
// tokens for streams that are not live, sockets, sessions, producers and transports without
// end, and fresh client addresses minted with X-Forwarded-For. Each is bounded; the bounds are
// listed in docs/threat-model.md.
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthClient } from '@vilokanam/testkit/clients';
import { AbuseHarness } from './AbuseHarness.ts';
import { waitFor } from '@vilokanam/testkit';

let h: AbuseHarness;

beforeAll(async () => {
  h = await AbuseHarness.start({
    VILO_MAX_STREAMS_PER_ACCOUNT: '3',
    VILO_MAX_SESSIONS_PER_ACCOUNT: '2',
    VILO_PUBLISHER_GRACE_MS: '1000',
    VILO_JOIN_TIMEOUT_MS: '1000',
    VILO_SFU_CONNECT_TIMEOUT_MS: '1000',
  });
}, 60_000);
afterAll(() => h?.close());

describe('streams', () => {
  it('are created only by a signed-in account', async () => {
    const anonymous = new AuthClient(h.url);
    expect(await anonymous.call('/streams', { body: { title: 'Nobody', category: 'Tech' } })).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
  });

  it('are bounded per account, even when creates race', async () => {
    const creator = await h.account();
    const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => creator.client.call('/streams', { body: { title: `S${i}`, category: 'Tech' } })));
    const created = replies.filter((r) => r.status === 201);
    expect(created).toHaveLength(3);
    expect(replies.filter((r) => r.status === 429).every((r) => r.body.error.code === 'rate_limited')).toBe(true);
    const { id } = created[0]!.body.stream;
    const key = created[0]!.body.streamKey;
    await creator.client.call(`/streams/${id}/stop`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
    expect((await creator.client.call('/streams', { body: { title: 'Room again', category: 'Tech' } })).status).toBe(201);
    // Restarting the ended one would make four open streams.
    expect((await creator.client.call(`/streams/${id}/start`, { method: 'POST', headers: { authorization: `Bearer ${key}` } })).status).toBe(429);
  });

  it('hand out viewer tokens only while live, and end when started but never published', async () => {
    const creator = await h.account();
    const created = (await creator.client.call('/streams', { body: { title: 'Silent', category: 'Tech' } })).body;
    const viewer = new AuthClient(h.url);
    const early = await viewer.call(`/streams/${created.stream.id}/tokens`, { body: { role: 'viewer' } });
    expect(early).toMatchObject({ status: 409, body: { error: { code: 'stream_not_live' } } });
    await creator.client.call(`/streams/${created.stream.id}/start`, { method: 'POST', headers: { authorization: `Bearer ${created.streamKey}` } });
    expect((await viewer.call(`/streams/${created.stream.id}/tokens`, { body: { role: 'viewer' } })).status).toBe(200);
    await waitFor('the unpublished stream to end', async () => (await h.platform.store.get(created.stream.id))?.status === 'ended', 5000);
    expect((await viewer.call(`/streams/${created.stream.id}/tokens`, { body: { role: 'viewer' } })).status).toBe(409);
  });
});

describe('media', () => {
  it('bounds the sessions of one account', async () => {
    const stream = await h.liveStream(await h.account());
    const viewer = await h.account();
    const token = await h.viewerToken(viewer, stream.id);
    const joins = [];
    for (let i = 0; i < 3; i++) joins.push(await (await h.socket()).request('join', { token }));
    expect(joins.map((j) => j.ok)).toEqual([true, true, false]);
    expect(joins[2]!.error?.code).toBe('rate_limited');
  });

  it('bounds the producers of a publisher', async () => {
    const stream = await h.liveStream(await h.account());
    const send = (await stream.publisher.request('createTransport', { direction: 'send' })).data;
    const codes = [];
    for (let i = 0; i < 5; i++) {
      const rtpParameters = { codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: 5000 + i }], mid: String(i) };
      const r = await stream.publisher.request('produce', { transportId: send.id, kind: 'audio', rtpParameters });
      codes.push(r.ok ? 'ok' : r.error!.code);
    }
    expect(codes).toEqual(['ok', 'ok', 'ok', 'ok', 'conflict']);
  });

  it('closes a transport that never connects, and a socket that never joins', async () => {
    const stream = await h.liveStream(await h.account());
    const before = (await h.sfu.load()).transports;
    const ws = await h.socket();
    await ws.request('join', { token: await h.viewerToken(undefined, stream.id) });
    expect((await ws.request('createTransport', { direction: 'recv' })).ok).toBe(true);
    expect((await h.sfu.load()).transports).toBe(before + 1);
    expect((await ws.closed).code).toBe(4001);
    // Earlier tests' unconnected transports are reaped too, so the count may fall below where it began.
    await waitFor('the transport to be reaped', async () => (await h.sfu.load()).transports <= before, 3000);

    const idle = await h.socket();
    expect((await idle.closed).code).toBe(4003);
  });
});

describe('client addresses', () => {
  let direct: AbuseHarness;
  beforeAll(async () => {
    // No proxy is trusted: X-Forwarded-For is only the client's own words.
    direct = await AbuseHarness.start({ VILO_TRUSTED_PROXIES: '', VILO_MAX_SOCKETS_PER_IP: '4' });
  }, 60_000);
  afterAll(() => direct?.close());

  const open = (headers: Record<string, string>) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(`${direct.url.replace(/^http/, 'ws')}/api/v1/ws`, { headers });
      ws.once('open', () => resolve(101));
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    });

  it('bounds sockets per address, whatever X-Forwarded-For claims', async () => {
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push(await open({ 'x-forwarded-for': `203.0.113.${i}` }));
    expect(statuses).toEqual([101, 101, 101, 101, 429, 429]);
  });

  it('rate-limits sign-in by the real address, not the claimed one', async () => {
    const statuses = [];
    for (let i = 0; i < 14; i++) statuses.push((await new AuthClient(direct.url, `198.51.100.${i}`).challenge('5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY')).status);
    expect(statuses.slice(0, 10).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429, 429, 429]);
  });
});
