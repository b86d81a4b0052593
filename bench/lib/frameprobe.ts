// Runs in a page: on every frame a <video> presents (requestVideoFrameCallback), draws the
// code row of bench/lib/framecode.ts onto a tiny canvas, reads the frame index back and
// records it with absolute times (performance.timeOrigin + page time, so pages of one browser
// share a clock).
import type { Locator, Page } from 'playwright-core';
import type { CodeLayout } from './framecode.ts';

export interface ProbeRecord {
  /** Decoded frame index, or -1 when the code did not decode. */
  idx: number[];
  /** Absolute expected display time of the frame (rVFC expectedDisplayTime). */
  shown: number[];
  /** Absolute camera capture time (rVFC captureTime), NaN when the browser gave none. */
  cap: number[];
  /** Absolute time the last packet of the frame arrived (rVFC receiveTime, remote only), else NaN. */
  rx: number[];
  /** Frame width as presented (the simulcast layer, on a viewer). */
  w: number[];
  /** Presented frames the callback never saw (rVFC collapses frames within one vsync). */
  missed: number;
}

declare global {
  interface Window {
    __viloGlass?: ProbeRecord;
  }
}

/** Samples per cell side on the canvas; the centre half of each cell is averaged. */
const S = 8;

export async function installProbe(video: Locator, layout: CodeLayout): Promise<void> {
  await video.evaluate(
    (el, { L, S }) => {
      const video = el as HTMLVideoElement;
      const canvas = document.createElement('canvas');
      canvas.width = L.cells * S;
      canvas.height = S;
      const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
      const rec: ProbeRecord = { idx: [], shown: [], cap: [], rx: [], w: [], missed: 0 };
      window.__viloGlass = rec;
      const origin = performance.timeOrigin;
      let lastPresented = -1;
      const luma = (data: Uint8ClampedArray, c: number) => {
        let sum = 0;
        let n = 0;
        for (let y = S / 4; y < (3 * S) / 4; y++)
          for (let x = c * S + S / 4; x < c * S + (3 * S) / 4; x++) {
            const i = (y * canvas.width + x) * 4;
            sum += data[i]! + data[i + 1]! + data[i + 2]!;
            n += 3;
          }
        return sum / n;
      };
      const decode = (vw: number, vh: number): number => {
        const kx = vw / L.width;
        const ky = vh / L.height;
        ctx.drawImage(video, L.x0 * kx, L.y0 * ky, L.cells * L.cell * kx, L.cell * ky, 0, 0, canvas.width, canvas.height);
        const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        const black = luma(data, 0);
        const white = luma(data, L.cells - 1);
        const span = white - black;
        if (span < 100) return -1;
        const mid = (black + white) / 2;
        let word = 0;
        for (let c = 1; c < L.cells - 1; c++) {
          const value = luma(data, c);
          // Too close to the threshold: a blend of two frames or a smeared block.
          if (Math.abs(value - mid) < span / 4) return -1;
          word = (word << 1) | (value > mid ? 1 : 0);
        }
        const n = word >> 4;
        const check = ~(n ^ (n >> 4) ^ (n >> 8)) & 0xf;
        return (word & 0xf) === check && n < L.frames ? n : -1;
      };
      const onFrame: VideoFrameRequestCallback = (_now, m) => {
        if (lastPresented >= 0 && m.presentedFrames > lastPresented + 1) rec.missed += m.presentedFrames - lastPresented - 1;
        lastPresented = m.presentedFrames;
        const vw = m.width || video.videoWidth;
        const vh = m.height || video.videoHeight;
        rec.idx.push(vw > 0 && vh > 0 ? decode(vw, vh) : -1);
        rec.shown.push(origin + m.expectedDisplayTime);
        rec.cap.push(m.captureTime === undefined ? NaN : origin + m.captureTime);
        rec.rx.push(m.receiveTime === undefined ? NaN : origin + m.receiveTime);
        rec.w.push(vw);
        video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
    },
    { L: layout, S },
  );
}

export async function readProbe(page: Page): Promise<ProbeRecord> {
  const rec = await page.evaluate(() => window.__viloGlass);
  if (!rec) throw new Error('no probe installed on this page');
  // NaN does not survive serialization as NaN everywhere: normalize.
  const num = (a: unknown[]) => a.map((x) => (typeof x === 'number' ? x : NaN));
  return { ...rec, cap: num(rec.cap), rx: num(rec.rx) };
}

/** Frames seen and decoded so far, optionally only those shown after `since` (page clock). */
export async function probeCounts(page: Page, since = 0): Promise<{ frames: number; decoded: number; width: number }> {
  return page.evaluate((since) => {
    const r = window.__viloGlass;
    if (!r) return { frames: 0, decoded: 0, width: 0 };
    let frames = 0;
    let decoded = 0;
    for (let i = 0; i < r.idx.length; i++) {
      if (r.shown[i]! < since) continue;
      frames++;
      if (r.idx[i]! >= 0) decoded++;
    }
    return { frames, decoded, width: r.w.at(-1) ?? 0 };
  }, since);
}

/**
 * This page's clock minus Node's (ms), both as timeOrigin + now, from the evaluate round trip
 * with the smallest RTT. The difference of two pages' offsets is their clock skew.
 */
export async function clockOffset(page: Page, rounds = 25): Promise<{ offset: number; rtt: number }> {
  let best = { offset: 0, rtt: Infinity };
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.timeOrigin + performance.now();
    const t = await page.evaluate(() => performance.timeOrigin + performance.now());
    const t1 = performance.timeOrigin + performance.now();
    if (t1 - t0 < best.rtt) best = { offset: t - (t0 + t1) / 2, rtt: t1 - t0 };
  }
  return best;
}
