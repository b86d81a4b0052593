// Join time and sfu-node cost, through the real UI in real Chromium on loopback.
// Phase 1: JOINS joins one at a time (watch → first presented frame), each viewer page closed
// after its first frame, so the figure is the join path and not this 2-core machine's client
// decode load. Each platform join is paired with a join to a raw-mediasoup baseline (a minimal
// server and page: bench/lib/RawJoinServer.ts) in the same browser, the order alternating.
// Phase 2: JOINS viewers joined and kept watching (join times printed too, now under the
// load of all earlier viewers' decoders), then the CPU and memory of the platform process
// and its mediasoup workers with 1 publisher and JOINS viewers.
// Usage: npm run bench:join  (env JOINS, SAMPLE_SECONDS)
import { launchChromium, mediaContext } from '@vilokanam/testkit/web';
import { goLive, watch } from '@vilokanam/testkit/web';
import type { BrowserContext } from 'playwright-core';
import { startPlatformProcess } from './lib/platform.ts';
import { RawJoinServer } from './lib/RawJoinServer.ts';
import { mib, percentile, procStat, sampleCpu, workersOf } from './lib/proc.ts';

const JOINS = Number(process.env.JOINS ?? 20);
const SAMPLE_SECONDS = Number(process.env.SAMPLE_SECONDS ?? 10);

const { process: platform, baseURL, opsURL } = await startPlatformProcess();
console.log(`platform up at ${baseURL} (pid ${platform.pid}); ${JOINS} joins, ${SAMPLE_SECONDS}s CPU sample`);

const idle = [platform.pid!, ...workersOf(platform.pid!)].map((p) => procStat(p).rss);
console.log(`idle rss: platform ${mib(idle[0]!)} MiB (PGlite, Node, signaling, sfu control), workers ${idle.slice(1).map(mib).join(' + ')} MiB`);

function summary(label: string, joins: number[], target = '(target p95 <= 500 ms)'): { p50: number; p95: number } {
  const sorted = [...joins].sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  const p95 = percentile(sorted, 95);
  console.log(`${label}: p50 ${p50.toFixed(0)} ms, p95 ${p95.toFixed(0)} ms, min ${sorted[0]!.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms ${target}`);
  return { p50, p95 };
}

/** One join to the raw baseline: click its Watch, wait for its own first-frame figure. */
async function rawJoin(context: BrowserContext, url: string): Promise<number> {
  const page = await context.newPage();
  await page.goto(url);
  await page.click('#watch');
  await page.waitForFunction(() => document.body.dataset.joinMs !== undefined, undefined, { timeout: 30_000 });
  const ms = Number(await page.evaluate(() => document.body.dataset.joinMs));
  await page.close();
  return ms;
}

const workerBin = process.env.MEDIASOUP_WORKER_BIN;
if (!workerBin) throw new Error('MEDIASOUP_WORKER_BIN is not set (run through scripts/with-env.sh)');
const raw = await RawJoinServer.start(workerBin);

const browser = await launchChromium();
try {
  const studio = await (await mediaContext(browser, baseURL)).newPage();
  const streamId = await goLive(studio, 'bench');
  const context = await mediaContext(browser, baseURL);

  // The baseline's publisher: the same fake camera and simulcast layers as the studio.
  const rawPublisher = await (await mediaContext(browser, raw.url)).newPage();
  await rawPublisher.goto(raw.url);
  await rawPublisher.evaluate((ws) => (window as unknown as { rawPublish(u: string): Promise<void> }).rawPublish(ws), raw.url.replace('http', 'ws'));
  await new Promise((r) => setTimeout(r, 3000));
  const rawContext = await mediaContext(browser, raw.url);

  console.log(`phase 1: ${JOINS} joins, one viewer at a time, each paired with a raw-mediasoup join (order alternating)`);
  const single: number[] = [];
  const baseline: number[] = [];
  const platformJoin = async () => {
    const page = await context.newPage();
    single.push(await watch(page, streamId, 30_000));
    await page.close();
  };
  for (let i = 0; i < JOINS; i++) {
    if (i % 2 === 0) {
      baseline.push(await rawJoin(rawContext, raw.url));
      await platformJoin();
    } else {
      await platformJoin();
      baseline.push(await rawJoin(rawContext, raw.url));
    }
    process.stdout.write(`  join ${String(i + 1).padStart(2)}: vilokanam ${single.at(-1)!.toFixed(0)} ms, raw ${baseline.at(-1)!.toFixed(0)} ms\n`);
  }
  const ours = summary(`join time, vilokanam, ${JOINS} joins one at a time`, single);
  const theirs = summary(`join time, raw mediasoup, same run`, baseline, '(the baseline)');
  console.log(`vilokanam / raw: p50 ${(ours.p50 / theirs.p50).toFixed(2)}x, p95 ${(ours.p95 / theirs.p95).toFixed(2)}x (target p95 <= 1.25x)`);
  await rawContext.close();
  await rawPublisher.context().close();

  console.log(`phase 2: ${JOINS} viewers joining and staying`);
  const stacked: number[] = [];
  for (let i = 0; i < JOINS; i++) {
    const page = await context.newPage();
    stacked.push(await watch(page, streamId, 30_000));
    process.stdout.write(`  join ${String(i + 1).padStart(2)} (${i} already watching): ${stacked.at(-1)!.toFixed(0)} ms\n`);
  }
  summary(`join time, while 0..${JOINS - 1} viewers decode on the same 2-core machine`, stacked);

  await new Promise((r) => setTimeout(r, 3000));
  const pids = [platform.pid!, ...workersOf(platform.pid!)];
  const cpu = await sampleCpu(pids, SAMPLE_SECONDS);
  const after = pids.map((p) => procStat(p));
  console.log(`sfu-node with 1 publisher and ${JOINS} viewers (${SAMPLE_SECONDS}s sample, % of one core):`);
  console.log(`  platform process (signaling + sfu control): cpu ${cpu[0]!.toFixed(1)}%, rss ${mib(after[0]!.rss)} MiB`);
  after.slice(1).forEach((s, i) => console.log(`  mediasoup worker ${i}: cpu ${cpu[i + 1]!.toFixed(1)}%, rss ${mib(s.rss)} MiB`));
  const total = cpu.reduce((a, b) => a + b, 0);
  const rss = after.reduce((a, s) => a + s.rss, 0);
  console.log(`  total: cpu ${total.toFixed(1)}%, rss ${mib(rss)} MiB`);
  const metrics = await (await fetch(`${opsURL}/metrics`)).text();
  const line = (name: string) => metrics.split('\n').find((l) => l.startsWith(`${name} `)) ?? `${name} ?`;
  console.log(`  ${line('vilo_sfu_consumers')}; ${line('vilo_sfu_bitrate_out_bps')}`);
} finally {
  await browser.close();
  await raw.close();
  platform.kill('SIGTERM');
}
