// WHIP ingest and WHEP playback with real third-party clients (the whip-whep package) in
// Chromium, on a site of their own (cross-origin, as a web broadcaster would be).
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '@vilokanam/signaling';
import { waitFor } from '@vilokanam/testkit';
import { NodeViewer } from '@vilokanam/testkit/clients';
import { clientContext, clientPage, decodedFrames, launchChromium, mediaContext, signInToStudio, startWebPlatform, whepView, whipPublish } from '@vilokanam/testkit/web';

let platform: Platform;
let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  platform = await startWebPlatform({ VILO_TRUSTED_PROXIES: 'loopback' });
  browser = await launchChromium();
  context = await clientContext(browser);
}, 60_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await platform?.close();
});

describe('WHIP', () => {
  it('takes the studio panel\'s URL and key and a simulcast offer from a WHIP client, goes live, and viewers decode it', async () => {
    // The creator copies the server URL and the bearer token from the studio, as into OBS.
    const studio = await (await mediaContext(browser, platform.url)).newPage();
    await signInToStudio(studio);
    await studio.getByTestId('title-input').fill('From OBS');
    await studio.getByTestId('category-input').selectOption('tech');
    await studio.getByTestId('create-stream').click();
    const whipUrl = (await studio.getByTestId('whip-url').textContent())!;
    await studio.getByTestId('reveal-key').click();
    const key = (await studio.getByTestId('stream-key').textContent())!;
    const streamId = whipUrl.split('/').pop()!;
    expect(whipUrl).toBe(`${platform.url}/whip/${streamId}`);
    expect(await platform.store.verifyKey(streamId, key)).toBe(true);
    await studio.close();

    const stream = { id: streamId, key };
    const page = await clientPage(context);
    const resource = await whipPublish(page, whipUrl, key, { simulcast: true });
    expect(resource).toMatch(new RegExp(`/whip/${stream.id}/[0-9a-f-]{36}$`));
    expect((await platform.store.get(stream.id))?.status).toBe('live');
    const viewer = new NodeViewer(platform.url, stream.id);
    await viewer.start(20_000);
    await waitFor('frames at the viewer', () => viewer.stats.frames > 30);

    const watch = await clientPage(context);
    await whepView(watch, `${platform.url}/whep/${stream.id}`);
    await waitFor('frames in the WHEP player', async () => (await decodedFrames(watch)).frames > 30, 20_000);

    // The creator's health view of a WHIP publisher: its rids and audio, as the origin gets them
    // (the browser sends the top layer only once its bandwidth estimate allows it).
    expect((await fetch(`${platform.url}/api/v1/streams/${stream.id}/health`)).status).toBe(401);
    const health = await waitFor('the WHIP layers in the health view', async () => {
      const res = await fetch(`${platform.url}/api/v1/streams/${stream.id}/health`, { headers: { authorization: `Bearer ${key}` } });
      const body = (await res.json()) as { health: { layers: { kind: string; rid: string | null; bitrate: number; frameRate: number | null }[]; viewersByLayer: Record<string, number>; viewers: number } };
      // Frame rates arrive from the second poll on: the first starts their one-second sample.
      return body.health.layers.filter((l) => l.bitrate > 0).length >= 3 && body.health.layers.some((l) => (l.frameRate ?? 0) > 0) ? body.health : undefined;
    }, 15_000);
    const names = health.layers.map((l) => `${l.kind} ${l.rid ?? ''}`.trim());
    expect(names).toContain('audio');
    expect(names.filter((n) => n.startsWith('video')).length).toBeGreaterThanOrEqual(2);
    for (const n of names.filter((x) => x.startsWith('video'))) expect(['video q', 'video h', 'video f']).toContain(n);
    expect(Object.values(health.viewersByLayer).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);

    // The client restarts ICE through PATCH; media keeps flowing on the new credentials.
    const ufragBefore = await page.evaluate(() => (window as any).pc.remoteDescription.sdp.match(/a=ice-ufrag:(\S+)/)[1]);
    await page.evaluate(() => (window as any).whip.restart());
    const ufragAfter = await page.evaluate(() => (window as any).pc.remoteDescription.sdp.match(/a=ice-ufrag:(\S+)/)[1]);
    expect(ufragAfter).not.toBe(ufragBefore);
    const framesAtRestart = viewer.stats.frames;
    await waitFor('frames after the ICE restart', () => viewer.stats.frames > framesAtRestart + 60, 20_000);
    expect(await page.evaluate(() => (window as any).pc.iceConnectionState)).toMatch(/connected|completed/);

    // Stop in the client is a DELETE: the stream ends, its viewers are told.
    await page.evaluate(() => (window as any).whip.stop());
    await waitFor('the stream to end', async () => (await platform.store.get(stream.id))?.status === 'ended');
    await waitFor('the viewer to hear of it', () => viewer.stats.state === 'ended', 10_000);
    viewer.close();
    await watch.close();
    await page.close();
  }, 60_000);
});
