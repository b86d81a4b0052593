// Pay-per-second metering at its source: the sfu-node ticks a viewer's session once per
// second into settlement's Redis windows, only while media really flows to it.
import { Redis } from 'ioredis';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisTickSink, SfuNode, sfuConfigFromEnv } from '@vilokanam/sfu-node';
import type { Platform } from '@vilokanam/signaling';
import { Ledger } from '@vilokanam/settlement';
import { TICKS_KEY_PREFIX } from '@vilokanam/contracts/ticks';
import { AuthClient, newPair } from '@vilokanam/testkit/clients';
import { NodeViewer } from '@vilokanam/testkit/clients';
import { startWebPlatform } from '@vilokanam/testkit/web';
import { launchChromium, mediaContext } from '@vilokanam/testkit/web';
import { goLive } from '@vilokanam/testkit/web';

const REDIS_URL = process.env.VILO_TEST_REDIS_URL_METER ?? 'redis://127.0.0.1:6379/2';
let redis: Redis;
let sfu: SfuNode;
let platform: Platform;
let browser: Browser;
let viewer: AuthClient;
const PRICE = 1_000n;

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  await redis.flushdb();
  const log = pino({ level: 'warn' });
  sfu = new SfuNode(sfuConfigFromEnv({ ...process.env, VILO_SFU_WORKERS: '1' }), log, { tickSink: new RedisTickSink(redis) });
  await sfu.start();
  platform = await startWebPlatform({}, { sfu });
  // Only paid sessions are metered: a signed-in viewer with a balance.
  viewer = new AuthClient(platform.url);
  const login = await viewer.signIn(newPair('sr25519'));
  await new Ledger(platform.db).creditDeposit({ chainId: 'metering:1', account: login.body.account.id, amount: PRICE * 100_000n });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await platform?.close();
  sfu?.close();
  redis?.disconnect();
});

/** Every second the node billed for a session, across its windows. */
async function billedSeconds(sessionId: string): Promise<number[]> {
  const keys = await redis.keys(`${TICKS_KEY_PREFIX}${sessionId}:*`);
  const seconds = (await Promise.all(keys.map((k) => redis.smembers(k)))).flat().map(Number);
  return seconds.sort((a, b) => a - b);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('metering', () => {
  let studio: Page;
  let streamId: string;

  it('ticks once per second while media flows, and not while the viewer is paused', async () => {
    studio = await (await mediaContext(browser, platform.url)).newPage();
    streamId = await goLive(studio, 'Metered', 20_000, { pricePerSecond: PRICE });
    const watching = new NodeViewer(platform.url, streamId, { cookie: viewer.cookie });
    const pausing = new NodeViewer(platform.url, streamId, { cookie: viewer.cookie });
    await watching.start();
    await pausing.start();

    await sleep(5000);
    const watched = await billedSeconds(watching.sessionId!);
    // 5 s of flowing media: about 5 ticks, each a distinct second, in order, without gaps.
    expect(watched.length).toBeGreaterThanOrEqual(4);
    expect(watched.length).toBeLessThanOrEqual(7);
    expect(watched.at(-1)! - watched[0]!).toBe(watched.length - 1);

    await pausing.pause();
    await sleep(1500); // a sample already in flight may still land
    const atPause = (await billedSeconds(pausing.sessionId!)).length;
    await sleep(4000);
    expect((await billedSeconds(pausing.sessionId!)).length).toBe(atPause);
    // Meanwhile the other viewer kept being billed.
    expect((await billedSeconds(watching.sessionId!)).length).toBeGreaterThanOrEqual(watched.length + 4);

    await pausing.resume();
    await sleep(3000);
    expect((await billedSeconds(pausing.sessionId!)).length).toBeGreaterThanOrEqual(atPause + 2);
    pausing.close();
    watching.close();
  }, 60_000);

  it('stops ticking when the stream freezes, though the viewer stays connected', async () => {
    const frozen = new NodeViewer(platform.url, streamId, { cookie: viewer.cookie });
    await frozen.start();
    await sleep(3000);
    expect((await billedSeconds(frozen.sessionId!)).length).toBeGreaterThanOrEqual(2);
    // The publisher vanishes without stopping: no more media reaches the viewer.
    await studio.close();
    await sleep(2000);
    const frozenAt = (await billedSeconds(frozen.sessionId!)).length;
    await sleep(4000);
    expect((await billedSeconds(frozen.sessionId!)).length).toBe(frozenAt);
    expect(frozen.stats.state).not.toBe('closed');
    frozen.close();
  }, 60_000);
});
