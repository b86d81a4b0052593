// Recording end to end in Chromium: the studio goes live with recording on, a viewer clips the
// last 30 s while it is live, the creator stops, and the VOD page plays the remuxed recording
// (hls.js) at its start, middle and end; a clip cut from the VOD plays on its own page.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '@vilokanam/signaling';
import { waitFor } from '@vilokanam/testkit';
import { goLive, launchChromium, mediaContext, signInToStudio, startWebPlatform } from '@vilokanam/testkit/web';

let platform: Platform;
let browser: Browser;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vilo-vod-'));
  platform = await startWebPlatform({ VILO_RECORDINGS_DIR: dir });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await platform?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Seeks the page's video to `at` seconds, plays, and resolves once frames there are presented. */
async function framesAt(page: Page, selector: string, at: number): Promise<{ mediaTime: number; frames: number; width: number }> {
  return page.evaluate(
    async ({ selector, at }) => {
      const v = document.querySelector(selector) as HTMLVideoElement;
      v.muted = true;
      if (v.readyState < 1) await new Promise((r) => v.addEventListener('loadedmetadata', r, { once: true }));
      v.currentTime = at;
      await v.play();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no frames presented near ${at} s`)), 15_000);
        let frames = 0;
        const onFrame = (_now: number, meta: VideoFrameCallbackMetadata) => {
          frames++;
          if (frames < 5) return void v.requestVideoFrameCallback(onFrame);
          clearTimeout(timer);
          v.pause();
          resolve({ mediaTime: meta.mediaTime, frames, width: meta.width });
        };
        v.requestVideoFrameCallback(onFrame);
      });
    },
    { selector, at },
  );
}

const maxSegment = (playlist: string) => Math.max(...[...playlist.matchAll(/#EXTINF:([\d.]+)/g)].map((m) => Number(m[1])));

describe('recording', () => {
  it('records a live stream without transcoding, plays it back as a VOD, and cuts clips that play', async () => {
    const creator = await (await mediaContext(browser, platform.url)).newPage();
    const streamId = await goLive(creator, 'Recorded live', 30_000, { recording: true });
    const liveAt = Date.now();
    expect(await creator.getByTestId('recording-badge').textContent()).toBe('recorded');

    // A viewer watches and clips the last 30 s while the stream is live.
    const viewer = await (await mediaContext(browser, platform.url)).newPage();
    await signInToStudio(viewer);
    await viewer.goto(`/watch/${streamId}`);
    await new Promise((r) => setTimeout(r, 16_000));
    await viewer.getByTestId('clip-live').click();
    await viewer.getByTestId('clip-link').waitFor({ timeout: 20_000 });
    const liveClipId = (await viewer.getByTestId('clip-link').getAttribute('href'))!.split('/').pop()!;

    await new Promise((r) => setTimeout(r, Math.max(0, 24_000 - (Date.now() - liveAt))));
    await creator.getByTestId('stop-stream').click();
    const liveMs = Date.now() - liveAt;
    await platform.recordings.settled();

    const recording = (await (await fetch(`${platform.url}/api/v1/recordings?creator=${(await platform.store.get(streamId))!.creatorAddress}`)).json()).recordings[0];
    expect(recording).toMatchObject({ streamId, status: 'ready', parts: 1 });
    const playlist = await (await fetch(`${platform.url}${recording.playlist}`)).text();
    expect(playlist).toContain('#EXT-X-ENDLIST');
    // The VOD lasts as long as the stream was live, within one segment.
    expect(Math.abs(recording.durationMs - liveMs)).toBeLessThanOrEqual(maxSegment(playlist) * 1000 + 500);
    for (const file of [recording.thumbnail, recording.preview.sprite]) {
      const res = await fetch(`${platform.url}${file}`);
      expect(res.headers.get('content-type')).toBe('image/jpeg');
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    }

    // The VOD page plays it at its start, middle and end.
    await creator.goto(`/vod/${recording.id}`);
    await creator.getByTestId('vod-video').waitFor();
    const durationS = recording.durationMs / 1000;
    for (const at of [0, durationS / 2, durationS - 2]) {
      const seen = await framesAt(creator, '[data-testid=vod-video]', at);
      expect(seen.frames).toBe(5);
      expect(seen.width).toBeGreaterThan(0);
      expect(seen.mediaTime).toBeGreaterThanOrEqual(at - 0.1);
      expect(seen.mediaTime).toBeLessThan(at + 3);
    }
    // Hovering the seek bar shows a preview frame from the sprite.
    await creator.getByTestId('seek-bar').hover();
    expect(await creator.getByTestId('seek-preview').getAttribute('style')).toContain('sprite.jpg');

    // A clip of 4 s–14 s from the VOD page: its own page plays it, about 10 s long.
    await creator.getByTestId('clip-start').fill('4');
    await creator.getByTestId('clip-end').fill('14');
    await creator.getByTestId('make-clip').click();
    await creator.getByTestId('clip-link').click();
    await creator.getByTestId('clip-video').waitFor();
    const keyFrameS = 2;
    const clipSrc = await creator.getByTestId('clip-video').getAttribute('src');
    const ranged = await fetch(`${platform.url}${clipSrc}`, { headers: { range: 'bytes=0-99' } });
    expect(ranged.status).toBe(206);
    expect((await ranged.arrayBuffer()).byteLength).toBe(100);
    const clipLength = await creator.evaluate(async () => {
      const v = document.querySelector('[data-testid=clip-video]') as HTMLVideoElement;
      if (v.readyState < 1) await new Promise((r, j) => { v.addEventListener('loadedmetadata', r, { once: true }); v.addEventListener('error', () => j(new Error(`clip error ${v.error?.code} ${v.error?.message}`)), { once: true }); });
      return v.duration;
    });
    expect(Math.abs(clipLength - 10)).toBeLessThanOrEqual(keyFrameS);
    expect((await framesAt(creator, '[data-testid=clip-video]', 5)).frames).toBe(5);

    // The live clip: as long as what was asked (clamped to what had been recorded), and it plays.
    const liveClip = (await (await fetch(`${platform.url}/api/v1/clips/${liveClipId}`)).json()).clip;
    expect(liveClip.recordingId).toBe(recording.id);
    expect(Math.abs(liveClip.durationMs - liveClip.requestedMs)).toBeLessThanOrEqual(keyFrameS * 1000);
    expect(liveClip.requestedMs).toBeGreaterThan(12_000);
    console.log(`recording figures: live ${liveMs} ms, VOD ${recording.durationMs} ms (segments ≤ ${maxSegment(playlist)} s); clip 10 s → ${clipLength.toFixed(2)} s; live clip ${liveClip.requestedMs} → ${liveClip.durationMs} ms`);
    await viewer.goto(`/clip/${liveClipId}`);
    await viewer.getByTestId('clip-video').waitFor();
    expect((await framesAt(viewer, '[data-testid=clip-video]', 1)).frames).toBe(5);

    // The creator deletes the VOD: its media is gone, the clips stay.
    await creator.goto(`/vod/${recording.id}`);
    creator.once('dialog', (d) => void d.accept());
    await creator.getByTestId('delete-vod').click();
    await creator.waitForURL((u) => u.pathname.startsWith('/videos/'));
    await waitFor('the VOD to be gone', async () => (await fetch(`${platform.url}/api/v1/recordings/${recording.id}`)).status === 404);
    expect((await fetch(`${platform.url}${recording.playlist}`)).status).toBe(404);
    expect((await fetch(`${platform.url}${liveClip.url}`)).status).toBe(200);
    await viewer.close();
    await creator.close();
  }, 180_000);
});
