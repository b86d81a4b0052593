// Reads what the viewer's <video> really presents, via requestVideoFrameCallback.
import type { Page } from 'playwright-core';

export interface PlayerState {
  /** Frames presented since the counter started. */
  frames: number;
  width: number;
  height: number;
}

declare global {
  interface Window {
    __viloFrames?: PlayerState;
  }
}

export async function startFrameCounter(page: Page): Promise<void> {
  await page.getByTestId('player').evaluate((video: HTMLVideoElement) => {
    const state = { frames: 0, width: 0, height: 0 };
    window.__viloFrames = state;
    const onFrame: VideoFrameRequestCallback = (_now, meta) => {
      state.frames = meta.presentedFrames;
      state.width = meta.width;
      state.height = meta.height;
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  });
}

export async function readPlayer(page: Page): Promise<PlayerState> {
  return page.evaluate(() => ({ ...(window.__viloFrames ?? { frames: 0, width: 0, height: 0 }) }));
}

export async function waitForPlayer(
  page: Page,
  check: (s: PlayerState) => boolean,
  timeoutMs: number,
  what: string,
): Promise<PlayerState> {
  const deadline = Date.now() + timeoutMs;
  let last = await readPlayer(page);
  while (!check(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; player at ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await readPlayer(page);
  }
  return last;
}
