// Attack: send a burst of identical requests on one socket, so checks made before an await
// are all passed before any of them acts. Seen against the old code: 20 parallel joins all
// succeeded, and 60 parallel createTransport requests made 60 transports against a cap of 4.
// Now a session handles its requests one at a time, so a burst leaves one request's state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { weriftCapabilities } from '@vilokanam/testkit/clients';
import type { WsTestClient } from '@vilokanam/testkit/clients';
import { AbuseHarness, type LiveStream } from './AbuseHarness.ts';
import { waitFor } from '@vilokanam/testkit';

const PRICE = 1_000n;
const BURST = 100;
let h: AbuseHarness;
let stream: LiveStream;

beforeAll(async () => {
  h = await AbuseHarness.start();
  stream = await h.liveStream(await h.account(), PRICE);
}, 60_000);
afterAll(() => h?.close());

/** Sends `n` copies of one request at once; returns how many succeeded and every error code. */
async function burst(ws: WsTestClient, type: string, data: unknown, n = BURST): Promise<{ ok: number; codes: Set<string> }> {
  const replies = await Promise.all(Array.from({ length: n }, () => ws.request(type, data)));
  return { ok: replies.filter((r) => r.ok).length, codes: new Set(replies.filter((r) => !r.ok).map((r) => r.error!.code)) };
}

describe('a burst of parallel requests on one session', () => {
  it('joins once, makes one transport and one consumer, and frees everything on leave', async () => {
    const viewer = await h.account(PRICE * 1000n);
    const token = await h.viewerToken(viewer, stream.id);
    const transportsBefore = (await h.sfu.load()).transports;
    const ws = await h.socket();

    const joins = await burst(ws, 'join', { token });
    expect(joins.ok).toBe(1);
    expect([...joins.codes].every((c) => c === 'conflict' || c === 'rate_limited')).toBe(true);
    expect(h.platform.hub.viewerCount(stream.id)).toBe(1);
    expect(h.platform.routes.view(stream.id)?.viewers).toEqual({ local: 1 });

    // The bucket refills at 30 per second; wait for a full one before the next burst.
    await new Promise((r) => setTimeout(r, 2100));
    const transports = await burst(ws, 'createTransport', { direction: 'recv' }, 60);
    expect(transports.ok).toBe(1);
    expect((await h.sfu.load()).transports).toBe(transportsBefore + 1);

    await new Promise((r) => setTimeout(r, 2100));
    expect((await ws.request('stats')).data).toEqual({ transports: 1, producers: 0, consumers: 0 });
    expect(h.platform.hub.viewerCount(stream.id)).toBe(1);
    ws.close();
    await waitFor('the viewer to leave', () => h.platform.hub.viewerCount(stream.id) === 0, 3000);
    await waitFor('the transport to close', async () => (await h.sfu.load()).transports === transportsBefore, 3000);
    expect(h.platform.routes.view(stream.id)?.viewers).toEqual({ local: 0 });
  }, 30_000);

  it('consumes a producer once however many times it is asked', async () => {
    const viewer = await h.account(PRICE * 1000n);
    const ws = await h.socket();
    const join = await ws.request('join', { token: await h.viewerToken(viewer, stream.id) });
    const transport = await ws.request('createTransport', { direction: 'recv' });
    const consumersBefore = (await h.sfu.load()).consumers;
    const consumes = await burst(ws, 'consume', { transportId: transport.data.id, producerId: stream.source.producerId, rtpCapabilities: weriftCapabilities(join.data.routerRtpCapabilities) }, 50);
    expect(consumes.ok).toBe(1);
    expect((await h.sfu.load()).consumers).toBe(consumersBefore + 1);
    expect((await ws.request('stats')).data).toEqual({ transports: 1, producers: 0, consumers: 1 });
    ws.close();
    await waitFor('the consumer to close', async () => (await h.sfu.load()).consumers === consumersBefore, 3000);
  }, 30_000);

  it('opens one billing session and counts one session against the account', async () => {
    const viewer = await h.account(PRICE * 1000n);
    const token = await h.viewerToken(viewer, stream.id);
    // Several sockets of one account racing their joins: each is counted against the others.
    const sockets = await Promise.all([h.socket(), h.socket(), h.socket()]);
    const joins = await Promise.all(sockets.flatMap((ws) => Array.from({ length: 20 }, () => ws.request('join', { token }))));
    const sessions = joins.filter((r) => r.ok).map((r) => r.data.sessionId as string);
    expect(sessions).toHaveLength(3);
    const { sessions: billed } = await h.ticks.read([], sessions);
    expect(billed.every((s) => s?.viewer === viewer.id)).toBe(true);
    for (const ws of sockets) ws.close();
  }, 30_000);

  it('lets a publisher produce once for a burst of the same produce', async () => {
    const creator = await h.account();
    const own = await h.liveStream(creator);
    const ws = own.publisher;
    const send = await ws.request('createTransport', { direction: 'send' });
    expect(send.ok).toBe(true);
    const rtpParameters = { codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: 4242 }], mid: '0' };
    const produced = await burst(ws, 'produce', { transportId: send.data.id, kind: 'audio', rtpParameters }, 50);
    expect(produced.ok).toBe(1);
    expect((await ws.request('stats')).data).toEqual({ transports: 1, producers: 1, consumers: 0 });
  }, 30_000);
});
