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

    // A free live stream plays by itself, muted, as viewers expect.
    await viewer.getByTestId('price').waitFor();
    expect(await viewer.getByTestId('player').getAttribute('data-started')).toBe('true');
    expect(await viewer.getByTestId('watch-button').count()).toBe(0);
    expect(await viewer.getByTestId('player').evaluate((v: HTMLVideoElement) => v.muted)).toBe(true);
    await startFrameCounter(viewer);
    await expect.poll(() => viewer.getByTestId('player').getAttribute('data-join-ms'), { timeout: 20_000 }).toMatch(/^\d+(\.\d+)?$/);
    const joinMs = Number(await viewer.getByTestId('player').getAttribute('data-join-ms'));
    console.log(`[e2e] join time (autoplay start → first decoded frame): ${Math.round(joinMs)} ms`);
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

    // The studio's health panel: three simulcast layers as the origin receives them, this
    // browser's encoder resolution beside them, and the one viewer on the high layer.
    const panel = studio.getByTestId('health-panel');
    await expect.poll(() => panel.getByTestId('health-layer').count(), { timeout: 15_000 }).toBe(4);
    const rows = await panel.getByTestId('health-layer').evaluateAll((trs) => trs.map((tr) => ({ layer: tr.getAttribute('data-layer'), bitrate: Number(tr.getAttribute('data-bitrate')), text: tr.textContent ?? '' })));
    console.log(`[e2e] studio health: ${rows.map((r) => `${r.layer} ${Math.round(r.bitrate / 1000)} kbit/s`).join(', ')}`);
    expect(rows.map((r) => r.layer).sort()).toEqual(['audio', 'video r0', 'video r1', 'video r2']);
    for (const r of rows) expect(r.bitrate).toBeGreaterThan(0);
    await expect.poll(async () => (await panel.getByTestId('health-layer').filter({ hasText: 'video r2' }).textContent()) ?? '', { timeout: 10_000 }).toMatch(/\d+×\d+ @ \d+ fps/);
    await expect.poll(() => panel.getByTestId('viewers-by-layer').textContent(), { timeout: 10_000 }).toContain('high 100%');
    // The viewer's player reports its freezes; the panel counts it among those reporting.
    await expect.poll(() => panel.getByTestId('viewer-freezes').getAttribute('data-reporting'), { timeout: 20_000 }).toBe('1');
    // The same figures as metrics, labelled by kind and layer, never by stream.
    const metrics = await (await fetch(`${platform.opsUrl}/metrics`)).text();
    const value = (series: string) => Number(metrics.split('\n').find((l) => l.startsWith(`${series} `))?.split(' ')[1]);
    expect(value('vilo_sfu_ingest_bitrate_bps{kind="video"}')).toBeGreaterThan(100_000);
    expect(value('vilo_sfu_viewers_by_layer{layer="2"}')).toBe(1);
    expect(metrics).not.toMatch(/vilo_sfu_(ingest|viewers)[^\n]*stream/);

    // The creator stops; the viewer sees the ended state.
    await studio.getByTestId('stop-stream').click();
    await expect.poll(() => viewer.getByTestId('stream-state').textContent(), { timeout: 10_000 }).toBe('ended');
    await expect.poll(() => studio.getByTestId('studio-state').textContent(), { timeout: 10_000 }).toBe('stopped');
    await expect.poll(async () => (await platform.sfu!.load()).transports, { timeout: 10_000 }).toBe(0);
  }, 60_000);
});
