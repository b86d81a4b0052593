// A creator goes live from the studio page and a viewer watches on the watch page, in real
// headless Chromium against the real embedded platform (mediasoup workers, PGlite).
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '@vilokanam/signaling';
import { startWebPlatform } from '@vilokanam/testkit/web';
import { launchChromium, mediaContext } from '@vilokanam/testkit/web';
import { readPlayer, startFrameCounter, waitForPlayer } from '@vilokanam/testkit/web';
import { goLive } from '@vilokanam/testkit/web';

let platform: Platform;
let browser: Browser;

beforeAll(async () => {
  platform = await startWebPlatform();
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await platform?.close();
});

describe('go live and watch in the browser', () => {
  it('decodes real frames, switches layers, and shows the end', async () => {
    const studio = await (await mediaContext(browser, platform.url)).newPage();
    const streamId = await goLive(studio, 'E2E live');

    // The home page lists the live stream.
    const viewer = await (await mediaContext(browser, platform.url)).newPage();
    await viewer.goto('/');
    await viewer.getByTestId('stream-card').filter({ hasText: 'E2E live' }).first().click();
    await viewer.waitForURL(`**/watch/${streamId}`);

    await viewer.getByTestId('watch-button').click();
    await startFrameCounter(viewer);
    await expect.poll(() => viewer.getByTestId('player').getAttribute('data-join-ms'), { timeout: 20_000 }).toMatch(/^\d+(\.\d+)?$/);
    const joinMs = Number(await viewer.getByTestId('player').getAttribute('data-join-ms'));
    console.log(`[e2e] join time (watch click → first decoded frame): ${Math.round(joinMs)} ms`);
    expect(joinMs).toBeGreaterThan(0);

    const playing = await waitForPlayer(viewer, (p) => p.frames > 60 && p.width > 0 && p.height > 0, 30_000, '60 decoded frames');
    expect(playing.frames).toBeGreaterThan(60);
    expect(await viewer.getByTestId('stream-state').textContent()).toBe('live');
    await expect.poll(() => viewer.getByTestId('viewer-count').textContent(), { timeout: 10_000 }).toBe('1');
    await expect.poll(() => studio.getByTestId('studio-viewers').textContent(), { timeout: 10_000 }).toContain('1');

    // Manual layer choice changes the received resolution, both ways.
    await viewer.getByTestId('quality').selectOption('0');
    const low = await waitForPlayer(viewer, (p) => p.width > 0 && p.width <= 400, 20_000, 'the low layer');
    await viewer.getByTestId('quality').selectOption('2');
    const high = await waitForPlayer(viewer, (p) => p.width >= low.width * 3, 20_000, 'the high layer');
    console.log(`[e2e] layer switch: low ${low.width}x${low.height}, high ${high.width}x${high.height}`);
    expect(high.width).toBeGreaterThan(low.width);
    const framesBefore = (await readPlayer(viewer)).frames;
    await waitForPlayer(viewer, (p) => p.frames > framesBefore + 30, 10_000, 'frames to keep flowing after the switch');

    // The creator stops; the viewer sees the ended state.
    await studio.getByTestId('stop-stream').click();
    await expect.poll(() => viewer.getByTestId('stream-state').textContent(), { timeout: 10_000 }).toBe('ended');
    await expect.poll(() => studio.getByTestId('studio-state').textContent(), { timeout: 10_000 }).toBe('stopped');
    await expect.poll(async () => (await platform.sfu!.load()).transports, { timeout: 10_000 }).toBe(0);
  });
});
