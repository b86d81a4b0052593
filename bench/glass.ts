// Glass-to-glass latency: publisher camera capture → viewer render, read from the pixels.
// The fake camera plays a y4m clip whose frames carry their own index as big black/white
// blocks (bench/lib/framecode.ts). In one headless Chromium (one clock for both pages) the
// studio's preview and the viewer's player decode that index on every presented frame
// (requestVideoFrameCallback + canvas readback); latency is the viewer's display time minus
// the publisher's capture time of the same frame.
// Scenarios: (a) embedded platform in-process, one viewer; (b) fleet mode with two sfu-node
// processes, one viewer on the origin and one on an edge, measured at the same time.
// Usage: node bench/glass.ts  (env COLLECT_SECONDS, WARMUP_SECONDS, VILO_BENCH_REDIS_URL, VILO_CACHE)
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { Redis } from 'ioredis';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { signalingConfigFromEnv, startPlatform, type Platform } from '@vilokanam/signaling';
import { SfuProcess } from '../sfu-node/src/testing/SfuProcess.ts';
import { launchChromium, mediaContext } from '../web/e2e/browser.ts';
import { goLive, pollUntil, watch } from '../web/e2e/studio.ts';
import { ensureCodedY4m, LAYOUT } from './lib/framecode.ts';
import { clockOffset, installProbe, probeCounts, readProbe, type ProbeRecord } from './lib/frameprobe.ts';

const COLLECT_SECONDS = Number(process.env.COLLECT_SECONDS ?? 12);
const MAX_COLLECT_SECONDS = Number(process.env.MAX_COLLECT_SECONDS ?? 40);
const WARMUP_SECONDS = Number(process.env.WARMUP_SECONDS ?? 4);
// Its own database: bench/cascade.ts uses 3, bench/fanout.ts 4, the e2e tests 6 and 7, settlement 8.
const REDIS_URL = process.env.VILO_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/11';
const TARGET_P95_MS = 300;
const MIN_SAMPLES = 300;
const LOOP_MS = (LAYOUT.frames / LAYOUT.fps) * 1000;
const log = pino({ level: 'warn' });
const nodeNow = () => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------- analysis

const FRAME_MS = 1000 / LAYOUT.fps;
/** A viewer frame whose index the preview never presented takes its capture time from a
 * preview frame at most this many frames away (the fake camera ticks at the clip's rate). */
const MAX_GAP = 3;

interface Result {
  label: string;
  /** Viewer frames presented inside the window. */
  presented: number;
  undecodable: number;
  /** Decoded, but no capture within MAX_GAP frames of that index seen within half a loop before. */
  unmatched: number;
  /** Matched through a neighbouring preview frame (the preview skipped that index). */
  interpolated: number;
  /** The same captured frame presented again (counted once). */
  repeats: number;
  /** Viewer display − publisher camera capture (rVFC captureTime). */
  fromCapture: number[];
  /** Viewer display − publisher preview display (both rVFC expectedDisplayTime), exact matches only. */
  fromPreview: number[];
  /** Viewer last-packet receive − publisher capture: encode + send + SFU path. */
  toReceive: number[];
  /** Viewer display − last-packet receive: jitter buffer + decode + render. */
  afterReceive: number[];
  widths: Map<number, number>;
  missed: number;
}

interface Clocked {
  rec: ProbeRecord;
  /** Page clock minus Node clock, subtracted from every page time. */
  offset: number;
}

interface Capture {
  idx: number;
  /** Camera capture time (Node clock); the preview display time when the browser gives none. */
  cap: number;
  shown: number;
}

function cyclic(d: number): number {
  const m = ((d % LAYOUT.frames) + LAYOUT.frames) % LAYOUT.frames;
  return m > LAYOUT.frames / 2 ? m - LAYOUT.frames : m;
}

function captures(pub: Clocked): Capture[] {
  const list: Capture[] = [];
  for (let i = 0; i < pub.rec.idx.length; i++) {
    const idx = pub.rec.idx[i]!;
    if (idx < 0) continue;
    const shown = pub.rec.shown[i]! - pub.offset;
    const cap = pub.rec.cap[i]! - pub.offset;
    list.push({ idx, shown, cap: Number.isFinite(cap) ? cap : shown });
  }
  return list.sort((a, b) => a.cap - b.cap);
}

/** How regularly the camera ticks: |interval − n·frame| between consecutive preview frames. */
function captureJitter(caps: Capture[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < caps.length; i++) {
    const d = cyclic(caps[i]!.idx - caps[i - 1]!.idx);
    if (d >= 1 && d <= MAX_GAP + 1) out.push(Math.abs(caps[i]!.cap - caps[i - 1]!.cap - d * FRAME_MS));
  }
  return out;
}

function analyze(label: string, caps: Capture[], view: Clocked, from: number, to: number): Result {
  const r: Result = {
    label,
    presented: 0,
    undecodable: 0,
    unmatched: 0,
    interpolated: 0,
    repeats: 0,
    fromCapture: [],
    fromPreview: [],
    toReceive: [],
    afterReceive: [],
    widths: new Map(),
    missed: view.rec.missed,
  };
  const used = new Set<string>();
  for (let i = 0; i < view.rec.idx.length; i++) {
    const shown = view.rec.shown[i]! - view.offset;
    if (shown < from || shown > to) continue;
    r.presented++;
    const w = view.rec.w[i]!;
    r.widths.set(w, (r.widths.get(w) ?? 0) + 1);
    const idx = view.rec.idx[i]!;
    if (idx < 0) {
      r.undecodable++;
      continue;
    }
    // The clip loops: take the latest capture of this index before the render, read directly
    // from the preview or, when the preview skipped it, from the nearest preview frame.
    let best: { est: number; d: number; at: number } | undefined;
    for (let j = 0; j < caps.length; j++) {
      const c = caps[j]!;
      const d = cyclic(idx - c.idx);
      if (Math.abs(d) > MAX_GAP) continue;
      const est = c.cap + d * FRAME_MS;
      if (est > shown || shown - est > LOOP_MS / 2) continue;
      if (!best || est > best.est + FRAME_MS / 2 || (Math.abs(est - best.est) <= FRAME_MS / 2 && Math.abs(d) < Math.abs(best.d))) {
        best = { est, d, at: j };
      }
    }
    if (!best) {
      r.unmatched++;
      continue;
    }
    const key = `${best.at}:${best.d}`;
    if (used.has(key)) {
      r.repeats++;
      continue;
    }
    used.add(key);
    r.fromCapture.push(shown - best.est);
    if (best.d === 0) r.fromPreview.push(shown - caps[best.at]!.shown);
    else r.interpolated++;
    const rx = view.rec.rx[i]! - view.offset;
    if (Number.isFinite(rx)) {
      r.toReceive.push(rx - best.est);
      r.afterReceive.push(shown - rx);
    }
  }
  return r;
}

function pct(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(0)}` : '-');

function report(r: Result, captureBasis: boolean): void {
  const p95 = pct(r.fromCapture, 95);
  const widths = [...r.widths].sort((a, b) => b[1] - a[1]).map(([w, n]) => `${w}px×${n}`).join(', ');
  console.log(`\n${r.label}`);
  console.log(
    `  samples ${r.fromCapture.length} (${r.presented} frames presented in the window; undecodable ${r.undecodable}; ` +
      `no capture found ${r.unmatched}; repeats ${r.repeats}; ${r.interpolated} timed from a neighbouring preview frame; ` +
      `${r.missed} frames presented between rVFC callbacks)`,
  );
  console.log(`  layers presented: ${widths}`);
  const line = (name: string, v: number[]) =>
    `  ${name.padEnd(40)} p50 ${ms(pct(v, 50)).padStart(4)}  p95 ${ms(pct(v, 95)).padStart(4)}  ` +
    `min ${ms(pct(v, 0)).padStart(4)}  max ${ms(pct(v, 100)).padStart(4)} ms  (n=${v.length})`;
  console.log(line(captureBasis ? 'glass-to-glass (capture → display)' : 'preview display → viewer display', r.fromCapture));
  if (captureBasis) console.log(line('preview display → viewer display', r.fromPreview));
  if (r.toReceive.length) {
    console.log(line('  capture → last packet received', r.toReceive));
    console.log(line('  last packet received → display', r.afterReceive));
  }
  const n = r.fromCapture.length;
  const verdict = p95 <= TARGET_P95_MS ? 'meets' : 'MISSES';
  console.log(`  → p95 ${ms(p95)} ms: ${verdict} the target p95 ≤ ${TARGET_P95_MS} ms${n < MIN_SAMPLES ? ` (only ${n} samples, wanted ${MIN_SAMPLES})` : ''}`);
  const bad = r.fromCapture.filter((v) => v <= 0 || v > 2000).length;
  if (bad) console.log(`  !! ${bad} samples outside (0, 2000] ms: check the clock alignment`);
}

// ---------------------------------------------------------------- measuring

async function viewerOn(browser: Browser, platform: Platform, streamId: string): Promise<Page> {
  const page = await (await mediaContext(browser, platform.url)).newPage();
  await watch(page, streamId, 30_000);
  return page;
}

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

/**
 * Probes each viewer (quality pinned to the top layer; the preview is already probed), warms
 * up, records for COLLECT_SECONDS or until every viewer has enough decoded frames (at most
 * MAX_COLLECT_SECONDS), and returns one result per viewer.
 */
async function measure(studio: Page, viewers: { label: string; page: Page }[]): Promise<{ results: Result[]; captureBasis: boolean }> {
  for (const { page } of viewers) await page.getByTestId('quality').selectOption('2');
  for (const { page } of viewers) await installProbe(page.getByTestId('player'), LAYOUT);
  // Let the pinned layer arrive and the bandwidth estimate settle.
  for (const { label, page } of viewers) {
    await pollUntil(() => probeCounts(page), (c) => c.width >= LAYOUT.width, 15_000, `${label} to get the 720p layer`).catch((err: Error) =>
      console.log(`  (warning: ${err.message}; measuring whatever layer arrives)`),
    );
  }
  await sleep(WARMUP_SECONDS);
  const pages = [studio, ...viewers.map((v) => v.page)];
  const before = await Promise.all(pages.map((p) => clockOffset(p)));
  const from = nodeNow();
  const t0 = performance.now();
  for (;;) {
    await sleep(2);
    const elapsed = (performance.now() - t0) / 1000;
    if (elapsed >= MAX_COLLECT_SECONDS) break;
    if (elapsed < COLLECT_SECONDS) continue;
    const counts = await Promise.all(viewers.map(({ page }, i) => probeCounts(page, from + before[i + 1]!.offset)));
    if (counts.every((c) => c.decoded >= MIN_SAMPLES * 1.1)) break;
  }
  const to = nodeNow();
  const after = await Promise.all(pages.map((p) => clockOffset(p)));
  const offsets = before.map((b, i) => (b.offset + after[i]!.offset) / 2);
  const pub: Clocked = { rec: await readProbe(studio), offset: offsets[0]! };
  const caps = captures(pub);
  const captureBasis = pub.rec.cap.some(Number.isFinite);
  const results: Result[] = [];
  for (const [i, { label, page }] of viewers.entries()) {
    results.push(analyze(label, caps, { rec: await readProbe(page), offset: offsets[i + 1]! }, from, to));
  }
  const inWindow = caps.filter((c) => c.cap >= from - 2000 && c.cap <= to);
  const jitter = captureJitter(inWindow);
  const previewLag = inWindow.map((c) => c.shown - c.cap);
  const skews = viewers.map(({ label }, i) => `${label.split(',')[0]} ${(offsets[i + 1]! - offsets[0]!).toFixed(2)} ms`);
  const drift = Math.max(...before.map((b, i) => Math.abs(after[i]!.offset - b.offset)));
  console.log(`  recorded ${((to - from) / 1000).toFixed(0)} s`);
  console.log(
    `  publisher preview: ${inWindow.length} coded frames (of ${Math.round((to - from + 2000) / FRAME_MS)} captured), ` +
      `${pub.rec.idx.filter((i) => i < 0).length} undecodable; capture → preview display p50 ${ms(pct(previewLag, 50))} ms; ` +
      `camera tick jitter p50 ${pct(jitter, 50).toFixed(1)} ms, p95 ${pct(jitter, 95).toFixed(1)} ms`,
  );
  console.log(`  page clock skew vs the studio page: ${skews.join('; ')}; drift over the run ≤ ${drift.toFixed(2)} ms`);
  return { results, captureBasis };
}

/** Goes live and checks the fake camera really plays the coded clip. */
async function goLiveCoded(browser: Browser, platform: Platform): Promise<{ studio: Page; streamId: string }> {
  const studio = await (await mediaContext(browser, platform.url)).newPage();
  const streamId = await goLive(studio, 'Glass to glass');
  await installProbe(studio.getByTestId('preview'), LAYOUT);
  const seen = await pollUntil(() => probeCounts(studio), (c) => c.decoded >= 15, 10_000, 'coded frames in the studio preview').catch(
    async () => {
      const c = await probeCounts(studio);
      throw new Error(
        `the studio preview shows ${c.frames} frames (${c.width}px wide) but only ${c.decoded} carry the frame code: ` +
          `Chromium is not capturing from the y4m file`,
      );
    },
  );
  console.log(`  live as ${streamId}; preview ${seen.width}px wide, ${seen.decoded}/${seen.frames} frames decoded so far`);
  return { studio, streamId };
}

type Measured = Awaited<ReturnType<typeof measure>>;

async function direct(y4m: string): Promise<Measured> {
  console.log('\n== (a) direct: embedded platform in-process (signaling + mediasoup workers), one viewer');
  const platform = await startPlatform(signalingConfigFromEnv({ VILO_PORT: '0', VILO_DATA_DIR: 'memory://', VILO_LOG_LEVEL: 'warn' }), { log });
  let browser: Browser | undefined;
  try {
    browser = await launchChromium([`--use-file-for-fake-video-capture=${y4m}`]);
    const { studio, streamId } = await goLiveCoded(browser, platform);
    const viewer = await viewerOn(browser, platform, streamId);
    return await measure(studio, [{ label: '(a) direct, embedded platform', page: viewer }]);
  } finally {
    await browser?.close();
    await platform.close();
  }
}

async function throughEdge(y4m: string): Promise<Measured> {
  console.log('\n== (b) fleet: two sfu-node processes (127.0.0.20 origin, 127.0.0.21 edge), viewer 1 on the origin, viewer 2 on the edge');
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    await redis.flushdb();
  } catch (err) {
    throw new Error(`Redis is required at ${REDIS_URL} (scripts/services.sh starts it): ${(err as Error).message}`);
  } finally {
    redis.disconnect();
  }
  const secret = randomBytes(32).toString('hex');
  const nodes: SfuProcess[] = [];
  let platform: Platform | undefined;
  let browser: Browser | undefined;
  try {
    for (let i = 0; i < 2; i++) {
      nodes.push(
        await SfuProcess.start({
          nodeId: `g${i + 1}`,
          ip: `127.0.0.${20 + i}`,
          redisUrl: REDIS_URL,
          controlSecret: secret,
          rtcMinPort: 47000 + i * 200,
          rtcMaxPort: 47199 + i * 200,
        }),
      );
    }
    platform = await startPlatform(
      signalingConfigFromEnv({
        VILO_PORT: '0',
        VILO_DATA_DIR: 'memory://',
        VILO_LOG_LEVEL: 'warn',
        VILO_SFU_MODE: 'fleet',
        VILO_REDIS_URL: REDIS_URL,
        VILO_SFU_CONTROL_SECRET: secret,
        VILO_VIEWERS_PER_EDGE: '1',
      }),
      { log },
    );
    const fleet = platform.fleet;
    await pollUntil(async () => fleet.nodes().filter((n) => n.ready).length, (n) => n === 2, 15_000, 'two nodes in the fleet');
    browser = await launchChromium([`--use-file-for-fake-video-capture=${y4m}`]);
    const { studio, streamId } = await goLiveCoded(browser, platform);
    const routes = platform.routes;
    const origin = routes.view(streamId)!.origin;
    const first = await viewerOn(browser, platform, streamId);
    const second = await viewerOn(browser, platform, streamId);
    const route = routes.view(streamId)!;
    const edge = route.edges[0];
    if (route.edges.length !== 1 || edge?.parent !== origin || route.viewers[origin] !== 1 || route.viewers[edge.nodeId] !== 1) {
      throw new Error(`unexpected route: ${JSON.stringify(route)}`);
    }
    console.log(`  route: origin ${origin} (viewer 1), edge ${edge.nodeId} ← ${edge.parent} (viewer 2)`);
    return await measure(studio, [
      { label: `(b) origin viewer, fleet (publisher → ${origin} → viewer)`, page: first },
      { label: `(b) edge viewer, fleet (publisher → ${origin} → ${edge.nodeId} → viewer)`, page: second },
    ]);
  } finally {
    await browser?.close();
    await platform?.close();
    await Promise.all(nodes.map((n) => n.stop()));
  }
}

// ---------------------------------------------------------------- main

const startedAt = performance.now();
const clip = ensureCodedY4m();
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`Glass-to-glass latency on loopback: publisher camera capture → viewer display (target p95 ≤ ${TARGET_P95_MS} ms)
Method: Chromium's fake camera (--use-file-for-fake-video-capture) plays a ${LAYOUT.width}x${LAYOUT.height}@${LAYOUT.fps} y4m clip of ${LAYOUT.frames} frames
(${LOOP_MS / 1000} s, looped) in which each frame shows its index as 16 black/white ${LAYOUT.cell}px blocks (12-bit index + 4-bit check)
between a black and a white reference block, above moving content. Studio and viewer pages run in one headless
Chromium, so they share a clock (performance.timeOrigin + page time; the skew is measured below). On every frame
a <video> presents (requestVideoFrameCallback) the page draws the code row to a canvas, sampling block centres in
normalized coordinates (any simulcast layer reads), and records the index with the rVFC times.
Latency = viewer expectedDisplayTime − the publisher's captureTime (rVFC on the studio preview) of the latest
capture of that index before the render. When the preview skipped that index, the capture time comes from the
nearest preview frame (≤ ${MAX_GAP} frames away) ± n × ${FRAME_MS.toFixed(1)} ms, since the fake camera ticks at the clip rate.
"preview display → viewer display" uses the preview's own display time instead (exact matches only).
Viewers pin quality 2 (720p). Warm-up ${WARMUP_SECONDS} s after 720p arrives, then ≥ ${COLLECT_SECONDS} s recorded per scenario (until ${MIN_SAMPLES}+
samples, ≤ ${MAX_COLLECT_SECONDS} s). Frames that do not decode are counted and left out.
Machine: ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}; load average at start ${load()}
Clip: ${clip.file}${clip.generatedMs === null ? ' (cached)' : ` (generated in ${(clip.generatedMs / 1000).toFixed(1)} s)`}`);

const a = await direct(clip.file);
const b = await throughEdge(clip.file);
console.log('\n== Results');
for (const r of a.results) report(r, a.captureBasis);
for (const r of b.results) report(r, b.captureBasis);
const [origin, edge] = b.results;
if (origin && edge) {
  const d50 = pct(edge.fromCapture, 50) - pct(origin.fromCapture, 50);
  const d95 = pct(edge.fromCapture, 95) - pct(origin.fromCapture, 95);
  console.log(`\nOne edge hop (edge viewer − origin viewer, same run, same frames): ${ms(d50)} ms at p50, ${ms(d95)} ms at p95.`);
}
console.log(`Load average at the end ${load()}; total bench time ${((performance.now() - startedAt) / 1000).toFixed(0)} s.`);
process.exit(0);
