// Runs in a page: reads the frame index of bench/lib/framecode.ts back from video frames.
// - installProbe: on every frame a <video> presents (requestVideoFrameCallback), takes the
//   element's current frame (new VideoFrame(video), checked against the callback's mediaTime),
//   copies out just the code row's pixels (VideoFrame.copyTo of that rectangle, Y plane; a tiny
//   canvas for RGB frames), decodes the index and records it with the rVFC times as absolute
//   times (performance.timeOrigin + page time).
// - tapCapture (publisher): reads every frame of a clone of the camera track through
//   MediaStreamTrackProcessor and records its index with VideoFrame.timestamp, which for a
//   camera track in Chromium is the capture time on the monotonic clock (TimeTicks, µs), the
//   same instant rVFC reports as captureTime for the frames the preview presents.
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
  /** Presented frames the callback never saw (rVFC reports one frame per rendering update). */
  missed: number;
  /** Callbacks skipped because the element had already moved on to a newer frame. */
  raced: number;
}

export interface CaptureRecord {
  /** Decoded frame index, or -1. */
  idx: number[];
  /** VideoFrame.timestamp in ms: capture time on the monotonic clock. */
  mono: number[];
}

declare global {
  interface Window {
    __viloGlass?: ProbeRecord;
    __viloCaptures?: CaptureRecord;
  }
}

/** Samples per cell side on the fallback canvas; the centre half of each cell is averaged either way. */
const S = 8;

interface ProbeArgs {
  L: CodeLayout;
  S: number;
  tap: boolean;
}

/** Page-side: everything lives in this one function, as Playwright ships its source. */
function pageProbe(el: Element, { L, S, tap }: ProbeArgs): void {
  const video = el as HTMLVideoElement;
  const even = (v: number) => 2 * Math.round(v / 2);

  /** Decodes the code row from cell luma values (cell 0 black, last cell white). */
  const fromCells = (cell: (c: number) => number): number => {
    const black = cell(0);
    const white = cell(L.cells - 1);
    const span = white - black;
    if (span < 100) return -1;
    const mid = (black + white) / 2;
    let word = 0;
    for (let c = 1; c < L.cells - 1; c++) {
      const value = cell(c);
      // Too close to the threshold: a blend of two frames or a smeared block.
      if (Math.abs(value - mid) < span / 4) return -1;
      word = (word << 1) | (value > mid ? 1 : 0);
    }
    const n = word >> 4;
    const check = ~(n ^ (n >> 4) ^ (n >> 8)) & 0xf;
    return (word & 0xf) === check && n < L.frames ? n : -1;
  };

  // Fast path: copy only the code row's pixels out of the frame (no colour conversion) and
  // read the Y plane. Fallback for RGB or GPU frames: draw the row onto a tiny canvas.
  const canvas = new OffscreenCanvas(L.cells * S, S);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  let buffer = new Uint8Array(0);
  const decodeFrame = async (frame: VideoFrame): Promise<number> => {
    const vw = frame.displayWidth;
    const vh = frame.displayHeight;
    if (!(vw > 0 && vh > 0)) return -1;
    const kx = vw / L.width;
    const ky = vh / L.height;
    const yuv = frame.format === 'I420' || frame.format === 'I420A' || frame.format === 'NV12' || frame.format === 'I422' || frame.format === 'I444';
    if (yuv && vw === frame.codedWidth && vh === frame.codedHeight) {
      const rect = { x: even(L.x0 * kx), y: even(L.y0 * ky), width: even(L.cells * L.cell * kx), height: even(L.cell * ky) };
      const size = frame.allocationSize({ rect });
      if (buffer.length < size) buffer = new Uint8Array(size);
      const [luma] = await frame.copyTo(buffer, { rect });
      const stride = luma!.stride;
      const cw = rect.width / L.cells;
      return fromCells((c) => {
        let sum = 0;
        let n = 0;
        for (let y = Math.floor(rect.height / 4); y < Math.ceil((3 * rect.height) / 4); y++)
          for (let x = Math.floor(c * cw + cw / 4); x < Math.ceil(c * cw + (3 * cw) / 4); x++) {
            sum += buffer[luma!.offset + y * stride + x]!;
            n++;
          }
        return sum / n;
      });
    }
    ctx.drawImage(frame, L.x0 * kx, L.y0 * ky, L.cells * L.cell * kx, L.cell * ky, 0, 0, canvas.width, canvas.height);
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    return fromCells((c) => {
      let sum = 0;
      let n = 0;
      for (let y = S / 4; y < (3 * S) / 4; y++)
        for (let x = c * S + S / 4; x < c * S + (3 * S) / 4; x++) {
          const i = (y * canvas.width + x) * 4;
          sum += (data[i]! + data[i + 1]! + data[i + 2]!) / 3;
          n++;
        }
      return sum / n;
    });
  };

  const rec: ProbeRecord = { idx: [], shown: [], cap: [], rx: [], w: [], missed: 0, raced: 0 };
  window.__viloGlass = rec;
  const origin = performance.timeOrigin;
  let lastPresented = -1;
  const onFrame: VideoFrameRequestCallback = (_now, m) => {
    video.requestVideoFrameCallback(onFrame);
    if (lastPresented >= 0 && m.presentedFrames > lastPresented + 1) rec.missed += m.presentedFrames - lastPresented - 1;
    lastPresented = m.presentedFrames;
    let frame: VideoFrame;
    try {
      frame = new VideoFrame(video);
    } catch {
      return;
    }
    // The element's current frame must be the one the callback describes: compare media times.
    if (Math.abs(frame.timestamp / 1e6 - m.mediaTime) > 0.001) {
      rec.raced++;
      frame.close();
      return;
    }
    const shown = origin + m.expectedDisplayTime;
    const cap = m.captureTime === undefined ? NaN : origin + m.captureTime;
    const rx = m.receiveTime === undefined ? NaN : origin + m.receiveTime;
    void decodeFrame(frame)
      .catch(() => -1)
      .then((idx) => {
        frame.close();
        rec.idx.push(idx);
        rec.shown.push(shown);
        rec.cap.push(cap);
        rec.rx.push(rx);
        rec.w.push(m.width);
      });
  };
  video.requestVideoFrameCallback(onFrame);

  if (!tap) return;
  const stream = video.srcObject;
  const track = stream instanceof MediaStream ? stream.getVideoTracks()[0] : undefined;
  type ProcessorInit = { track: MediaStreamTrack; maxBufferSize?: number };
  const Processor = (globalThis as unknown as { MediaStreamTrackProcessor?: new (o: ProcessorInit) => { readable: ReadableStream<VideoFrame> } })
    .MediaStreamTrackProcessor;
  if (!track || !Processor) throw new Error(`cannot tap the camera: ${track ? 'no MediaStreamTrackProcessor' : 'no video track on the preview'}`);
  const caps: CaptureRecord = { idx: [], mono: [] };
  window.__viloCaptures = caps;
  // A deep queue: a busy renderer reads late, but frames keep their capture timestamps.
  const reader = new Processor({ track: track.clone(), maxBufferSize: 60 }).readable.getReader();
  void (async () => {
    for (;;) {
      const { value: frame, done } = await reader.read();
      if (done || !frame) return;
      caps.mono.push(frame.timestamp / 1000);
      caps.idx.push(await decodeFrame(frame).catch(() => -1));
      frame.close();
    }
  })();
}

/** Records every frame `video` presents; with `tapCapture`, also every frame its camera track captures. */
export async function installProbe(video: Locator, layout: CodeLayout, tapCapture = false): Promise<void> {
  await video.evaluate(pageProbe, { L: layout, S, tap: tapCapture });
}

export async function readProbe(page: Page): Promise<ProbeRecord> {
  const rec = await page.evaluate(() => window.__viloGlass);
  if (!rec) throw new Error('no probe installed on this page');
  // NaN comes back as null from some serializers: normalize.
  const num = (a: unknown[]) => a.map((x) => (typeof x === 'number' ? x : NaN));
  return { ...rec, cap: num(rec.cap), rx: num(rec.rx) };
}

export async function readCaptures(page: Page): Promise<CaptureRecord> {
  const caps = await page.evaluate(() => window.__viloCaptures);
  if (!caps) throw new Error('no capture tap on this page');
  return caps;
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

/**
 * Node's absolute clock (timeOrigin + now) minus the monotonic clock (process.hrtime, which
 * is CLOCK_MONOTONIC, as Chromium's TimeTicks on Linux), in ms: add it to a
 * VideoFrame.timestamp of a camera frame to place the capture on Node's clock.
 */
export function monoToNode(): number {
  const now = performance.now();
  const mono = Number(process.hrtime.bigint()) / 1e6;
  return performance.timeOrigin + now - mono;
}

// ---------------------------------------------------------------- WebRTC stats, for the breakdown

declare global {
  interface Window {
    __viloPcs?: RTCPeerConnection[];
  }
}

/** Keeps every RTCPeerConnection the page makes, for getStats. Call before the page loads. */
export async function trackPeerConnections(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const pcs: RTCPeerConnection[] = [];
    window.__viloPcs = pcs;
    const Native = window.RTCPeerConnection;
    class Tracked extends Native {
      constructor(config?: RTCConfiguration) {
        super(config);
        pcs.push(this);
      }
    }
    window.RTCPeerConnection = Tracked;
  });
}

export interface InboundVideo {
  jitterBufferDelay: number;
  jitterBufferTargetDelay: number;
  jitterBufferEmittedCount: number;
  totalDecodeTime: number;
  totalProcessingDelay: number;
  framesDecoded: number;
  framesDropped: number;
  decoder: string;
}

export interface OutboundVideo {
  rid: string;
  totalEncodeTime: number;
  framesEncoded: number;
  width: number;
  limitation: string;
  limitationDurations: Record<string, number>;
}

export interface RtcSnapshot {
  inbound: InboundVideo[];
  outbound: OutboundVideo[];
}

export async function rtcSnapshot(page: Page): Promise<RtcSnapshot> {
  return page.evaluate(async () => {
    const out: RtcSnapshot = { inbound: [], outbound: [] };
    for (const pc of window.__viloPcs ?? []) {
      if (pc.connectionState === 'closed') continue;
      const stats = await pc.getStats();
      stats.forEach((s: Record<string, unknown>) => {
        const n = (k: string) => (typeof s[k] === 'number' ? (s[k] as number) : 0);
        if (s.type === 'inbound-rtp' && s.kind === 'video') {
          out.inbound.push({
            jitterBufferDelay: n('jitterBufferDelay'),
            jitterBufferTargetDelay: n('jitterBufferTargetDelay'),
            jitterBufferEmittedCount: n('jitterBufferEmittedCount'),
            totalDecodeTime: n('totalDecodeTime'),
            totalProcessingDelay: n('totalProcessingDelay'),
            framesDecoded: n('framesDecoded'),
            framesDropped: n('framesDropped'),
            decoder: String(s.decoderImplementation ?? '?'),
          });
        }
        if (s.type === 'outbound-rtp' && s.kind === 'video') {
          out.outbound.push({
            rid: String(s.rid ?? '-'),
            totalEncodeTime: n('totalEncodeTime'),
            framesEncoded: n('framesEncoded'),
            width: n('frameWidth'),
            limitation: String(s.qualityLimitationReason ?? '?'),
            limitationDurations: (s.qualityLimitationDurations as Record<string, number>) ?? {},
          });
        }
      });
    }
    return out;
  });
}
