// Many real WebRTC viewers (werift: ICE, DTLS, SRTP) on one cascaded stream: edges are added
// as the audience crosses viewersPerEdge, every viewer receives frames, a layer switch works
// through an edge, and an edge's viewers all come back after it is killed.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '@vilokanam/signaling';
import { NodeViewer } from '@vilokanam/testkit/clients';
import { TestFleet } from '@vilokanam/testkit/web';

import { launchChromium, mediaContext } from '@vilokanam/testkit/web';

import { goLive } from '@vilokanam/testkit/web';
import { waitFor } from '@vilokanam/testkit';

const REDIS_URL = process.env.VILO_TEST_REDIS_URL_MANY ?? 'redis://127.0.0.1:6379/6';
const PER_EDGE = 6;
const VIEWERS = 16;
let fleet: TestFleet;
const viewers: NodeViewer[] = [];
let platform: Platform;
let browser: Browser;

beforeAll(async () => {
  fleet = await TestFleet.start({ name: 'e2e-crowd', redisUrl: REDIS_URL, idPrefix: 'm', firstIp: 6, portBase: 42000 }, 4);
  platform = await fleet.startPlatform({ VILO_VIEWERS_PER_EDGE: String(PER_EDGE), VILO_EDGE_IDLE_MS: '500' });
  browser = await launchChromium();
  console.log(`[many] sfu-node hosts: ${fleet.hosts} (${fleet.nodes.map((n) => new URL(n.controlUrl).hostname).join(', ')})`);
}, 120_000);

afterAll(async () => {
  for (const v of viewers) v.close();
  await browser?.close();
  await platform?.close();
  await fleet?.stop();
});

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describe('many real WebRTC viewers on a cascade', () => {
  it('adds edges as the audience grows, serves every viewer, and recovers an edge\'s viewers', async () => {
    const studio = await (await mediaContext(browser, platform.url)).newPage();
    const streamId = await goLive(studio, 'Crowd');
    const edgeCounts: number[] = [];
    const joins: number[] = [];
    for (let i = 0; i < VIEWERS; i++) {
      const v = new NodeViewer(platform.url, streamId);
      viewers.push(v);
      joins.push(await v.start(30_000));
      edgeCounts.push(platform.routes.view(streamId)!.edges.length);
    }
    // Crossing each multiple of viewersPerEdge opens one more edge, and it is used.
    expect(edgeCounts[PER_EDGE - 1]).toBe(0);
    expect(edgeCounts[PER_EDGE]).toBe(1);
    expect(edgeCounts[2 * PER_EDGE]).toBe(2);
    const route = platform.routes.view(streamId)!;
    expect(Object.values(route.viewers).sort((a, b) => a - b)).toEqual([4, 6, 6]);
    console.log(`[many] ${VIEWERS} werift viewers joined: p50 ${percentile(joins, 50).toFixed(0)} ms, p95 ${percentile(joins, 95).toFixed(0)} ms`);

    // Everyone is receiving, not just joined.
    const before = viewers.map((v) => v.stats.frames);
    await new Promise((r) => setTimeout(r, 2000));
    viewers.forEach((v, i) => expect(v.stats.frames, `viewer ${i}`).toBeGreaterThan(before[i]! + 10));

    // A viewer on the last edge pins the lowest layer and gets it through the cascade.
    const edgeViewer = viewers[VIEWERS - 1]!;
    await edgeViewer.setLayer(0);
    await waitFor('the low layer at an edge viewer', async () => edgeViewer.stats.width, { until: (w) => w > 0 && w <= 400, timeoutMs: 10_000 });
    await edgeViewer.setLayer(2);
    await waitFor('the top layer at an edge viewer', async () => edgeViewer.stats.width, { until: (w) => w >= 1000, timeoutMs: 10_000 });

    // Kill the edge holding the last viewers; all of them play again on their own.
    const victimId = route.edges.at(-1)!.nodeId;
    const victims = viewers.slice(2 * PER_EDGE);
    const recoveries = victims.map((v) => new Promise<number>((resolve) => v.once('live', ({ at }) => resolve(at))));
    const killedAt = performance.now();
    await fleet.node(victimId).kill();
    const times = (await Promise.all(recoveries)).map((at) => at - killedAt);
    console.log(`[many] ${victims.length} viewers of killed edge ${victimId} back: p50 ${percentile(times, 50).toFixed(0)} ms, p95 ${percentile(times, 95).toFixed(0)} ms`);
    expect(percentile(times, 95)).toBeLessThan(10_000);
    expect(platform.routes.view(streamId)!.edges.map((e) => e.nodeId)).not.toContain(victimId);
    const framesNow = viewers.map((v) => v.stats.frames);
    await new Promise((r) => setTimeout(r, 1500));
    viewers.forEach((v, i) => expect(v.stats.frames, `viewer ${i} after recovery`).toBeGreaterThan(framesNow[i]!));
    await studio.close();
  }, 240_000);
});
