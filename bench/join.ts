// Join time and sfu-node cost, through the real UI in real Chromium on loopback.
// Phase 1: JOINS joins one at a time (watch click → first presented frame), each viewer
// page closed after its first frame, so the figure is the platform's join path and not
// this 2-core machine's client decode load.
// Phase 2: JOINS viewers joined and kept watching (join times printed too, now under the
// load of all earlier viewers' decoders), then the CPU and memory of the platform process
// and its mediasoup workers with 1 publisher and JOINS viewers.
// Usage: npm run bench:join  (env JOINS, SAMPLE_SECONDS)
import { launchChromium, mediaContext } from '@vilokanam/testkit/web';
import { goLive, watch } from '@vilokanam/testkit/web';
import { startPlatformProcess } from './lib/platform.ts';
import { mib, percentile, procStat, sampleCpu, workersOf } from './lib/proc.ts';

const JOINS = Number(process.env.JOINS ?? 20);
const SAMPLE_SECONDS = Number(process.env.SAMPLE_SECONDS ?? 10);

const { process: platform, baseURL } = await startPlatformProcess();
console.log(`platform up at ${baseURL} (pid ${platform.pid}); ${JOINS} joins, ${SAMPLE_SECONDS}s CPU sample`);

const idle = [platform.pid!, ...workersOf(platform.pid!)].map((p) => procStat(p).rss);
console.log(`idle rss: platform ${mib(idle[0]!)} MiB (PGlite, Node, signaling, sfu control), workers ${idle.slice(1).map(mib).join(' + ')} MiB`);

function summary(label: string, joins: number[]): void {
  const sorted = [...joins].sort((a, b) => a - b);
  console.log(
    `${label}: p50 ${percentile(sorted, 50).toFixed(0)} ms, p95 ${percentile(sorted, 95).toFixed(0)} ms, ` +
      `min ${sorted[0]!.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms (target p95 <= 500 ms)`,
  );
}

const browser = await launchChromium();
try {
  const studio = await (await mediaContext(browser, baseURL)).newPage();
  const streamId = await goLive(studio, 'bench');
  const context = await mediaContext(browser, baseURL);

  console.log(`phase 1: ${JOINS} joins, one viewer at a time`);
  const single: number[] = [];
  for (let i = 0; i < JOINS; i++) {
    const page = await context.newPage();
    single.push(await watch(page, streamId, 30_000));
    await page.close();
    process.stdout.write(`  join ${String(i + 1).padStart(2)}: ${single.at(-1)!.toFixed(0)} ms\n`);
  }
  summary(`join time, ${JOINS} joins one at a time`, single);

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
  const metrics = await (await fetch(`${baseURL}/metrics`)).text();
  const line = (name: string) => metrics.split('\n').find((l) => l.startsWith(`${name} `)) ?? `${name} ?`;
  console.log(`  ${line('vilo_sfu_consumers')}; ${line('vilo_sfu_bitrate_out_bps')}`);
} finally {
  await browser.close();
  platform.kill('SIGTERM');
}
