// Paid streams on the real embedded platform (PGlite, a real sfu-node, the real ledger):
// a price needs a signed-in creator; a viewer needs to be signed in, to have seen the current
// price and to hold enough balance; the join fixes the price into a billing session; an
// overdraft pauses the viewer's media at the node and tells the player; and only this site's
// pages may open the socket.
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SfuNode, sfuConfigFromEnv } from '@vilokanam/sfu-node';
import { Ledger } from '@vilokanam/settlement';
import { AuthClient, newPair } from '@vilokanam/testkit/clients';
import { signalingConfigFromEnv } from '../config.ts';
import { startPlatform, type Platform } from '../Platform.ts';
import { WsTestClient } from '@vilokanam/testkit/clients';

const AUDIO = { codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: 1111 }] };
const PRICE = 1_000_000n;

let platform: Platform;
let sfu: SfuNode;
let creator: AuthClient;
let viewer: AuthClient;
let viewerId: string;
let streamId: string;
let streamKey: string;

beforeAll(async () => {
  sfu = new SfuNode(sfuConfigFromEnv({ ...process.env, VILO_SFU_WORKERS: '1' }), pino({ level: 'silent' }));
  await sfu.start();
  const config = signalingConfigFromEnv({
    VILO_PORT: '0',
    VILO_DATA_DIR: 'memory://',
    VILO_SESSION_SECRET: randomBytes(24).toString('hex'),
    VILO_MIN_PREPAID_SECONDS: '10',
    VILO_MAX_PRICE_PER_SECOND: '1000000000',
    VILO_ALLOWED_ORIGINS: 'https://studio.example',
  });
  platform = await startPlatform(config, { sfu, log: pino({ level: 'silent' }) });
  creator = new AuthClient(platform.url);
  expect((await creator.signIn(newPair('sr25519'))).status).toBe(200);
  viewer = new AuthClient(platform.url);
  viewerId = (await viewer.signIn(newPair('sr25519'))).body.account.id;
}, 30_000);

afterAll(async () => {
  await platform?.close();
  sfu?.close();
});

async function joinAsViewer(token: string): Promise<{ ws: WsTestClient; join: any }> {
  const ws = await WsTestClient.connect(platform.url);
  const join = await ws.request('join', { token });
  return { ws, join };
}

describe('a paid stream', () => {
  it('takes a price only from a signed-in creator, within the platform maximum', async () => {
    const anonymous = new AuthClient(platform.url);
    const refused = await anonymous.call('/streams', { body: { title: 'Paid', category: 'Music', pricePerSecond: '1' } });
    expect(refused).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    const tooDear = await creator.call('/streams', { body: { title: 'Paid', category: 'Music', pricePerSecond: '1000000001' } });
    expect(tooDear).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });
    expect((await creator.call('/streams', { body: { title: 'Paid', category: 'Music', pricePerSecond: '1.5' } })).status).toBe(400);

    const created = await creator.call('/streams', { body: { title: 'Paid', category: 'Music', pricePerSecond: PRICE.toString() } });
    expect(created.status).toBe(201);
    expect(created.body.stream).toMatchObject({ pricePerSecond: PRICE.toString(), creator: (await creator.me()).body.account.address });
    streamId = created.body.stream.id;
    streamKey = created.body.streamKey;
    expect((await creator.call(`/streams/${streamId}/start`, { body: {}, headers: { authorization: `Bearer ${streamKey}` } })).status).toBe(200);
    // A free stream has an owner too; only the price differs.
    expect((await anonymous.call('/streams', { body: { title: 'Free', category: 'Music' } })).status).toBe(401);
    const free = await creator.call('/streams', { body: { title: 'Free', category: 'Music' } });
    expect(free.body.stream).toMatchObject({ pricePerSecond: '0', creator: (await creator.me()).body.account.address });
  });

  it('lets only a signed-in viewer with enough balance, who saw the current price, watch', async () => {
    const anonymous = new AuthClient(platform.url);
    const asAnonymous = await anonymous.call(`/streams/${streamId}/tokens`, { body: { role: 'viewer' } });
    expect(asAnonymous).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    const broke = await viewer.call(`/streams/${streamId}/tokens`, { body: { role: 'viewer', pricePerSecond: PRICE.toString() } });
    expect(broke).toMatchObject({ status: 402, body: { error: { code: 'payment_required' } } });

    const ledger = new Ledger(platform.db);
    await ledger.creditDeposit({ chainId: 'test:deposit:1', account: viewerId, amount: PRICE * 10n });
    const stale = await viewer.call(`/streams/${streamId}/tokens`, { body: { role: 'viewer', pricePerSecond: '5' } });
    expect(stale).toMatchObject({ status: 409, body: { error: { code: 'conflict' } } });
    const ok = await viewer.call(`/streams/${streamId}/tokens`, { body: { role: 'viewer', pricePerSecond: PRICE.toString() } });
    expect(ok.status).toBe(200);
    expect(ok.body.pricePerSecond).toBe(PRICE.toString());
  });

  it('fixes the price into a billing session at join, and stops the media on overdraft', async () => {
    const pub = await WsTestClient.connect(platform.url);
    const publisherToken = (await creator.call(`/streams/${streamId}/tokens`, { body: { role: 'publisher' }, headers: { authorization: `Bearer ${streamKey}` } })).body.token;
    expect((await pub.request('join', { token: publisherToken })).ok).toBe(true);
    const send = (await pub.request('createTransport', { direction: 'send' })).data;
    const produced = await pub.request('produce', { transportId: send.id, kind: 'audio', rtpParameters: AUDIO });
    expect(produced.ok).toBe(true);

    const token = (await viewer.call(`/streams/${streamId}/tokens`, { body: { role: 'viewer' } })).body.token;
    const { ws, join } = await joinAsViewer(token);
    expect(join.ok).toBe(true);
    expect(join.data.pricePerSecond).toBe(PRICE.toString());
    const sessionId: string = join.data.sessionId;
    const { sessions } = await platform.ticks!.read([], [sessionId]);
    expect(sessions[0]).toMatchObject({ sessionId, viewer: viewerId, stream: streamId, pricePerSecond: PRICE });

    const recv = (await ws.request('createTransport', { direction: 'recv' })).data;
    const consumer = (await ws.request('consume', { transportId: recv.id, producerId: produced.data.id, rtpCapabilities: join.data.routerRtpCapabilities })).data;
    expect((await ws.request('resumeConsumer', { consumerId: consumer.id })).ok).toBe(true);

    await platform.ticks!.publishOverdrafts([{ v: 1, sessionId, viewer: viewerId, stream: streamId, window: 1, unbilledSeconds: 3 }]);
    const notice = await ws.waitForEvent('overdraft');
    expect(notice.topUpUrl).toBe('/wallet');
    await ws.waitForEvent('consumerPaused', (d) => d.consumerId === consumer.id);
    expect(await ws.request('resumeConsumer', { consumerId: consumer.id })).toMatchObject({ ok: false, error: { code: 'payment_required' } });

    ws.socket.close();
    await ws.closed;
    // The record outlives the tab so its last window still settles.
    await new Promise((r) => setTimeout(r, 50));
    expect((await platform.ticks!.read([], [sessionId])).sessions[0]).toBeDefined();
    pub.socket.close();
  });
});

describe('the signaling socket', () => {
  const open = (headers: Record<string, string>) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(`${platform.url.replace(/^http/, 'ws')}/api/v1/ws`, { headers });
      ws.once('open', () => {
        ws.close();
        resolve(101);
      });
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    });

  it('refuses pages of other sites, and takes its own, configured ones and non-browser clients', async () => {
    const host = new URL(platform.url).host;
    expect(await open({ origin: 'https://evil.example' })).toBe(403);
    expect(await open({ origin: 'null' })).toBe(403);
    expect(await open({ origin: `http://${host}` })).toBe(101);
    expect(await open({ origin: 'https://studio.example' })).toBe(101);
    expect(await open({})).toBe(101);
  });
});
