// WHIP and WHEP through the cascade: a third-party WHIP client in Chromium publishes simulcast
// to the origin of a fleet of sfu-node processes; WHEP players (werift in Node, and the
// whip-whep client in Chromium) are placed on edges like browser viewers and metered there;
// and when the origin dies the WHIP client posts again, as OBS does, and playback resumes.
import { Redis } from 'ioredis';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '@vilokanam/signaling';
import { Ledger } from '@vilokanam/settlement';
import { TICKS_KEY_PREFIX } from '@vilokanam/contracts/ticks';
import { waitFor } from '@vilokanam/testkit';
import { AuthClient, NodeViewer, WeriftReceiver, newPair } from '@vilokanam/testkit/clients';
import { TestFleet, clientContext, clientPage, decodedFrames, launchChromium, whepView, whipPublish } from '@vilokanam/testkit/web';

const REDIS_URL = process.env.VILO_TEST_REDIS_URL_WHIP ?? 'redis://127.0.0.1:6379/10';
const PRICE = 1_000n;
let fleet: TestFleet;
let platform: Platform;
let browser: Browser;
let context: BrowserContext;
let creator: AuthClient;
let viewer: AuthClient;
let redis: Redis;

beforeAll(async () => {
  fleet = await TestFleet.start({ name: 'e2e-whip', redisUrl: REDIS_URL, idPrefix: 'w', firstIp: 30, portBase: 43000 }, 3);
  platform = await fleet.startPlatform({ VILO_VIEWERS_PER_EDGE: '1', VILO_EDGE_FANOUT: '2', VILO_TRUSTED_PROXIES: 'loopback' });
  redis = new Redis(fleet.redisUrl);
  browser = await launchChromium();
  context = await clientContext(browser);
  creator = new AuthClient(platform.url);
  expect((await creator.signIn(newPair('sr25519'))).status).toBe(200);
  viewer = new AuthClient(platform.url);
  const login = await viewer.signIn(newPair('sr25519'));
  await new Ledger(platform.db).creditDeposit({ chainId: 'whip-cascade:1', account: login.body.account.id, amount: PRICE * 100_000n });
}, 120_000);

afterAll(async () => {
  redis?.disconnect();
  await context?.close();
  await browser?.close();
  await platform?.close();
  await fleet?.stop();
});

async function viewerToken(streamId: string): Promise<string> {
  const reply = await viewer.call(`/streams/${streamId}/tokens`, { body: { role: 'viewer' } });
  expect(reply.status).toBe(200);
  return reply.body.token;
}

/** Seconds the node metered for a session, from its tick windows in Redis. */
async function tickedSeconds(sessionId: string): Promise<number> {
  const keys = await redis.keys(`${TICKS_KEY_PREFIX}${sessionId}:*`);
  return new Set((await Promise.all(keys.map((k) => redis.smembers(k)))).flat()).size;
}

/** Publishes until the platform takes it: a WHIP encoder retries a 409 while the old session is let go. */
async function publish(page: Page, streamId: string, key: string): Promise<string> {
  return waitFor('a WHIP publish to be taken', async () => {
    await page.evaluate(() => (window as unknown as { pc?: RTCPeerConnection }).pc?.close());
    try {
      return await whipPublish(page, `${platform.url}/whip/${streamId}`, key, { simulcast: true, videoCodec: 'video/VP8' });
    } catch {
      return undefined;
    }
  }, 30_000);
}

describe('WHIP through the cascade', () => {
  it('reaches viewers on edges, meters WHEP players there, and survives the origin dying', async () => {
    const created = await creator.call('/streams', { body: { title: 'OBS over WHIP', category: 'Tech', pricePerSecond: PRICE.toString() } });
    expect(created.status).toBe(201);
    const streamId: string = created.body.stream.id;
    const key: string = created.body.streamKey;
    const studio = await clientPage(context);
    await publish(studio, streamId, key);
    const origin = platform.routes.view(streamId)!.origin;

    // A browser-protocol viewer takes the origin's one seat; WHEP players go to edges.
    const browserViewer = new NodeViewer(platform.url, streamId, { cookie: viewer.cookie });
    await browserViewer.start(30_000);
    const werift = await WeriftReceiver.whep(`${platform.url}/whep/${streamId}`, await viewerToken(streamId));
    const chromium = await clientPage(context);
    await whepView(chromium, `${platform.url}/whep/${streamId}`, await viewerToken(streamId));
    await waitFor('frames in the werift WHEP player', () => werift.receiver.stats.frames > 30, 20_000);
    await waitFor('frames in the Chromium WHEP player', async () => (await decodedFrames(chromium)).frames > 30, 20_000);
    const route = platform.routes.view(streamId)!;
    expect(route.edges.length).toBeGreaterThanOrEqual(1);
    expect(Object.keys(route.viewers).filter((n) => n !== origin).length).toBeGreaterThanOrEqual(1);
    expect(route.viewers[origin]).toBe(1);

    // The WHEP player's node ticks its session, second by second, as it does a browser's.
    const sessionId = werift.resource.split('/').pop()!;
    await new Promise((r) => setTimeout(r, 4000));
    const ticked = await tickedSeconds(sessionId);
    const watched = werift.receiver.frameSeconds.size;
    expect(ticked).toBeGreaterThanOrEqual(4);
    expect(Math.abs(ticked - watched)).toBeLessThanOrEqual(2);
    werift.receiver.close();
    await fetch(werift.resource, { method: 'DELETE' });

    // The origin dies: the WHIP client posts again and lands on a new origin; viewers come back.
    const killedAt = performance.now();
    await fleet.node(origin).kill();
    await publish(studio, streamId, key);
    const after = platform.routes.view(streamId)!;
    expect(after.origin).not.toBe(origin);
    const framesBefore = browserViewer.stats.frames;
    await waitFor('the browser viewer to decode again', () => browserViewer.stats.frames > framesBefore + 30, 40_000);
    const again = await clientPage(context);
    await whepView(again, `${platform.url}/whep/${streamId}`, await viewerToken(streamId));
    await waitFor('a new WHEP player to decode', async () => (await decodedFrames(again)).frames > 30, 30_000);
    console.log(`[whip-cascade] origin ${origin} killed; WHIP re-posted to ${after.origin}; viewers decoding again after ${Math.round(performance.now() - killedAt)} ms`);
    expect((await platform.store.get(streamId))?.status).toBe('live');

    browserViewer.close();
    await Promise.all([chromium.close(), again.close(), studio.close()]);
  }, 240_000);
});
