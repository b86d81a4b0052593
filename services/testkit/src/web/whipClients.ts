// Real WHIP and WHEP clients in Chromium: the `whip-whep` npm package (Medooze's WHIPClient
// and WHEPClient, plain fetch and RTCPeerConnection), loaded into a page on a site of its own,
// so every request is cross-origin as a third-party broadcaster's would be. It shares no code
// with the platform's own web client.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/** The page's own origin: no server listens there, Playwright answers for it; localhost is a secure context, so getUserMedia works, and a site other than the platform's 127.0.0.1. */
export const CLIENT_ORIGIN = 'http://localhost:9';

const require = createRequire(import.meta.url);
const PACKAGE = path.dirname(require.resolve('whip-whep/package.json'));
const source = (file: string) => readFileSync(path.join(PACKAGE, file), 'utf8');

// The clients are ES modules; the page puts them on window for the test to drive.
const PAGE = `<!doctype html><html><body><video id="v" autoplay muted playsinline></video>
<script type="module">
import { WHIPClient } from '/lib/whip.js';
import { WHEPClient } from '/lib/whep.js';
Object.assign(window, { WHIPClient, WHEPClient });
</script></body></html>`;

type Clients = { WHIPClient: new () => any; WHEPClient: new () => any };

/**
 * A context for client pages: the fake camera, and the permission Chromium asks a person for
 * before a public site may reach a loopback address (Local Network Access), which is where
 * the platform runs in tests.
 */
export function clientContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ permissions: ['camera', 'microphone', 'local-network-access'] });
}

/** A blank page on CLIENT_ORIGIN with whip.js and whep.js importable from /lib/. */
export async function clientPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.route(`${CLIENT_ORIGIN}/**`, (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/lib/whip.js' || url.pathname === '/lib/whep.js') {
      return route.fulfill({ contentType: 'text/javascript', body: source(path.basename(url.pathname)) });
    }
    return route.fulfill({ contentType: 'text/html', body: PAGE });
  });
  await page.goto(`${CLIENT_ORIGIN}/`);
  await page.waitForFunction(() => 'WHIPClient' in window && 'WHEPClient' in window);
  return page;
}

export interface WhipOptions {
  /** Three rid layers (q, h, f) as OBS 32.1 and browsers send them. */
  simulcast?: boolean;
  /** Put this video codec first in the offer, e.g. 'video/H264'. */
  videoCodec?: string;
}

/** Publishes the fake camera to `url` with `key`; resolves to the resource URL. */
export async function whipPublish(page: Page, url: string, key: string, opts: WhipOptions = {}): Promise<string> {
  return page.evaluate(
    async ({ url, key, simulcast, videoCodec }) => {
      const { WHIPClient } = window as unknown as Clients;
      const media = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 1280, height: 720 } });
      const pc = new RTCPeerConnection();
      const [video] = media.getVideoTracks();
      const [audio] = media.getAudioTracks();
      const sendEncodings = simulcast
        ? [{ rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000 }, { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000 }, { rid: 'f', maxBitrate: 1_500_000 }]
        : undefined;
      const vt = pc.addTransceiver(video!, { direction: 'sendonly', ...(sendEncodings ? { sendEncodings } : {}) });
      pc.addTransceiver(audio!, { direction: 'sendonly' });
      if (videoCodec) {
        const codecs = RTCRtpSender.getCapabilities('video')!.codecs;
        vt.setCodecPreferences([...codecs.filter((c) => c.mimeType === videoCodec), ...codecs.filter((c) => c.mimeType !== videoCodec)]);
      }
      const client = new WHIPClient();
      (window as unknown as { whip: unknown; pc: RTCPeerConnection }).whip = client;
      (window as unknown as { pc: RTCPeerConnection }).pc = pc;
      await client.publish(pc, url, key);
      return String(client.resourceURL);
    },
    { url, key, simulcast: opts.simulcast ?? false, videoCodec: opts.videoCodec },
  );
}

/** Watches `url` (with a viewer token for a paid stream) into the page's <video>. */
export async function whepView(page: Page, url: string, token?: string): Promise<string> {
  return page.evaluate(
    async ({ url, token }) => {
      const { WHEPClient } = window as unknown as Clients;
      const pc = new RTCPeerConnection();
      pc.addTransceiver('video', { direction: 'recvonly' });
      pc.addTransceiver('audio', { direction: 'recvonly' });
      const stream = new MediaStream();
      pc.ontrack = (e) => {
        stream.addTrack(e.track);
        (document.getElementById('v') as HTMLVideoElement).srcObject = stream;
      };
      const client = new WHEPClient();
      (window as unknown as { whep: unknown }).whep = client;
      await client.view(pc, url, token);
      return String(client.resourceURL);
    },
    { url, token },
  );
}

/** Frames the page's <video> has decoded so far, and its size. */
export async function decodedFrames(page: Page): Promise<{ frames: number; width: number }> {
  return page.evaluate(() => {
    const v = document.getElementById('v') as HTMLVideoElement;
    return { frames: v.getVideoPlaybackQuality?.().totalVideoFrames ?? 0, width: v.videoWidth };
  });
}
