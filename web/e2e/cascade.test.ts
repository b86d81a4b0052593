// One stream cascaded across separate sfu-node processes, each in its own network namespace
// (TestFleet; 127.0.0.x addresses where namespaces cannot be made), found through Redis:
// origin → edge → chained edge, viewers spread over them in real Chromium, a layer switch
// two hops down, and an edge killed mid-stream.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '@vilokanam/signaling';
import { TestFleet } from '@vilokanam/testkit/web';

import { launchChromium, mediaContext } from '@vilokanam/testkit/web';

import { readPlayer, startFrameCounter, waitForPlayer } from '@vilokanam/testkit/web';

import { goLive, watch } from '@vilokanam/testkit/web';
import { waitFor } from '@vilokanam/testkit';

const REDIS_URL = process.env.VILO_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/7';
let fleet: TestFleet;
let platform: Platform;
let browser: Browser;

beforeAll(async () => {
  fleet = await TestFleet.start({ name: 'e2e-cascade', redisUrl: REDIS_URL, idPrefix: 'n', firstIp: 2, portBase: 41000 }, 4);
  platform = await fleet.startPlatform({ VILO_VIEWERS_PER_EDGE: '1', VILO_EDGE_FANOUT: '1', VILO_EDGE_IDLE_MS: '500' });
  browser = await launchChromium();
  console.log(`[cascade] sfu-node hosts: ${fleet.hosts} (${fleet.nodes.map((n) => new URL(n.controlUrl).hostname).join(', ')})`);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await platform?.close();
  await fleet?.stop();
});

async function viewerOn(streamId: string): Promise<Page> {
  const page = await (await mediaContext(browser, platform.url)).newPage();
  await watch(page, streamId, 30_000);
  await startFrameCounter(page);
  await waitForPlayer(page, (p) => p.frames > 30 && p.width > 0, 30_000, 'frames on a new viewer');
  return page;
}

describe('cascade across sfu-node hosts', () => {
  it('spreads viewers over origin and chained edges, switches layers through them, and survives an edge dying', async () => {
    // Every node is a host of its own: its own address, on its own network stack when namespaced.
    const addresses = fleet.nodes.map((n) => new URL(n.controlUrl).hostname);
    expect(new Set(addresses).size).toBe(fleet.nodes.length);
    if (fleet.hosts === 'netns') for (const a of addresses) expect(a).toMatch(/^10\.203\.\d+\.\d+$/);
    const studio = await (await mediaContext(browser, platform.url)).newPage();
    const streamId = await goLive(studio, 'Cascade');
    const origin = platform.routes.view(streamId)!.origin;

    const a = await viewerOn(streamId);
    const b = await viewerOn(streamId);
    const c = await viewerOn(streamId);
    const route = platform.routes.view(streamId)!;
    const [e1, e2] = route.edges;
    expect(route.origin).toBe(origin);
    expect(route.edges).toHaveLength(2);
    expect(e1!.parent).toBe(origin);
    // Fan-out of one per node makes the second edge chain from the first.
    expect(e2!.parent).toBe(e1!.nodeId);
    expect(route.viewers).toEqual({ [origin]: 1, [e1!.nodeId]: 1, [e2!.nodeId]: 1 });

    // Each node carries its own viewer's consumers (audio + video).
    for (const id of [origin, e1!.nodeId, e2!.nodeId]) expect((await fleet.node(id).load()).streams[streamId]?.consumers).toBe(2);

    // The viewer two hops from the publisher still picks its layer.
    await c.getByTestId('quality').selectOption('0');
    const low = await waitForPlayer(c, (p) => p.width > 0 && p.width <= 400, 20_000, 'the low layer through two hops');
    await c.getByTestId('quality').selectOption('2');
    const high = await waitForPlayer(c, (p) => p.width >= low.width * 3, 20_000, 'the high layer through two hops');
    console.log(`[cascade] layer switch two hops down: ${low.width}x${low.height} → ${high.width}x${high.height}`);

    // Kill the chained edge: its viewer reconnects on its own to another node.
    const victim = fleet.node(e2!.nodeId);
    const framesA = (await readPlayer(a)).frames;
    const framesC = (await readPlayer(c)).frames;
    const killedAt = performance.now();
    await victim.kill();
    await waitFor('the viewer to notice', () => c.getByTestId('stream-state').textContent(), { until: (s) => s === 'reconnecting' || s === 'connecting', timeoutMs: 10_000 });
    await waitFor('the viewer to be live again', () => c.getByTestId('stream-state').textContent(), { until: (s) => s === 'live', timeoutMs: 20_000 });
    // A fresh player element may restart the count; wait for real new frames either way.
    await startFrameCounter(c);
    await waitForPlayer(c, (p) => p.frames > 10 && p.width > 0, 20_000, 'frames again after the edge died');
    const recoveryMs = performance.now() - killedAt;
    console.log(`[cascade] recovery after killing edge ${victim.nodeId}: ${Math.round(recoveryMs)} ms to frames again (was at frame ${framesC})`);
    expect(recoveryMs).toBeLessThan(20_000);

    const after = platform.routes.view(streamId)!;
    expect(after.edges.map((e) => e.nodeId)).not.toContain(victim.nodeId);
    expect(after.edges).toHaveLength(2);
    // Viewers elsewhere never stopped.
    await waitForPlayer(a, (p) => p.frames > framesA + 30, 10_000, 'the origin viewer to keep playing');
    expect(await b.getByTestId('stream-state').textContent()).toBe('live');

    // The last viewer of an edge leaves: the edge is dropped and its router closed.
    const replacement = after.edges.find((e) => e.nodeId !== e1!.nodeId)!.nodeId;
    await c.close();
    await waitFor('the idle edge to go', async () => platform.routes.view(streamId)!.edges.map((e) => e.nodeId), { until: (ids) => !ids.includes(replacement), timeoutMs: 10_000 });
    await waitFor('the idle edge router to close', async () => (await fleet.node(replacement).load()).routers, { until: (r) => r === 0, timeoutMs: 10_000 });

    await studio.getByTestId('stop-stream').click();
    await waitFor('the edge viewer to see the end', () => b.getByTestId('stream-state').textContent(), { until: (s) => s === 'ended', timeoutMs: 10_000 });
    await Promise.all([a.close(), b.close(), studio.close()]);
  }, 240_000);

  it('re-publishes to a new origin when the origin dies, and viewers come back', async () => {
    const studio = await (await mediaContext(browser, platform.url)).newPage();
    const streamId = await goLive(studio, 'Origin loss');
    const a = await viewerOn(streamId);
    const b = await viewerOn(streamId);
    const before = platform.routes.view(streamId)!;
    expect(before.edges).toHaveLength(1);

    const victim = fleet.node(before.origin);
    const killedAt = performance.now();
    await victim.kill();
    // Viewers are told, and the studio notices, without anyone pressing anything.
    await waitFor('viewer a to leave live', () => a.getByTestId('stream-state').textContent(), { until: (s) => s !== 'live', timeoutMs: 10_000 });
    await waitFor('the studio to be live again', () => studio.getByTestId('studio-state').textContent(), { until: (s) => s === 'live', timeoutMs: 30_000 });
    for (const page of [a, b]) {
      await waitFor('viewers to be live again', () => page.getByTestId('stream-state').textContent(), { until: (s) => s === 'live', timeoutMs: 30_000 });
      await startFrameCounter(page);
      await waitForPlayer(page, (p) => p.frames > 10 && p.width > 0, 30_000, 'frames from the new origin');
    }
    const recoveryMs = performance.now() - killedAt;
    const after = platform.routes.view(streamId)!;
    console.log(`[cascade] origin ${victim.nodeId} killed: new origin ${after.origin}, both viewers decoding again after ${Math.round(recoveryMs)} ms`);
    expect(after.origin).not.toBe(victim.nodeId);
    expect(after.edges.map((e) => e.nodeId)).not.toContain(victim.nodeId);
    expect((await platform.store.get(streamId))?.status).toBe('live');
    await studio.getByTestId('stop-stream').click();
  }, 240_000);
});
