// Cascade hop cost and edge-failure recovery, with real sfu-node processes on separate
// loopback addresses (not namespaces: kept comparable with the numbers in bench/README.md)
// and real WebRTC viewers (werift). Method in bench/README.md.
// Usage: npm run bench:cascade   (env SECONDS=20, ROUNDS=3, VIEWERS_PER_EDGE=6)
import os from 'node:os';
import { NodeViewer } from '@vilokanam/testkit/clients';
import { TestFleet } from '@vilokanam/testkit/web';
import { launchChromium, mediaContext } from '@vilokanam/testkit/web';
import { goLive } from '@vilokanam/testkit/web';
import { percentile } from './lib/proc.ts';

const HOP_SECONDS = Number(process.env.SECONDS ?? 20);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const PER_EDGE = Number(process.env.VIEWERS_PER_EDGE ?? 6);
const REDIS_URL = process.env.VILO_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/3';

/** Fraction of all cores busy since `since` (or the raw counters when called without). */
function cpuBusy(since?: { idle: number; total: number }): any {
  const t = os.cpus().reduce((acc, c) => {
    const total = Object.values(c.times).reduce((a, b) => a + b, 0);
    return { idle: acc.idle + c.times.idle, total: acc.total + total };
  }, { idle: 0, total: 0 });
  if (!since) return t;
  return 1 - (t.idle - since.idle) / (t.total - since.total);
}

const fleet = await TestFleet.start({ name: 'bench-cascade', redisUrl: REDIS_URL, idPrefix: 'b', firstIp: 10, portBase: 45000, portSpan: 300, netns: false }, 3);
const platform = await fleet.startPlatform({ VILO_VIEWERS_PER_EDGE: '1', VILO_EDGE_FANOUT: '1', VILO_EDGE_IDLE_MS: '60000' });
const browser = await launchChromium();
const viewers: NodeViewer[] = [];
try {
  console.log(`cascade bench on ${os.availableParallelism()} cores; sfu-nodes on 127.0.0.10-12, Chromium publisher, werift viewers`);
  const studio = await (await mediaContext(browser, platform.url)).newPage();
  const streamId = await goLive(studio, 'hop bench');

  // One viewer each on the origin, an edge, and an edge chained below it.
  const arrivals: Map<string, number>[] = [];
  for (let hop = 0; hop < 3; hop++) {
    const v = new NodeViewer(platform.url, streamId);
    viewers.push(v);
    await v.start(30_000);
    await v.setLayer(2);
    const seen = new Map<string, number>();
    arrivals.push(seen);
    v.on('frame', ({ at, id }) => seen.set(id, at));
  }
  const route = platform.routes.view(streamId)!;
  console.log(`route: origin ${route.origin} → ${route.edges.map((e) => `${e.nodeId} (from ${e.parent})`).join(' → ')}`);
  await new Promise((r) => setTimeout(r, 2000));
  arrivals.forEach((m) => m.clear());
  const load0 = os.loadavg()[0]!;
  const busy0 = cpuBusy();
  await new Promise((r) => setTimeout(r, HOP_SECONDS * 1000));
  const busy = cpuBusy(busy0);
  console.log(`machine during the sample: ${(busy * 100).toFixed(0)}% of all ${os.availableParallelism()} cores busy, load average ${load0.toFixed(1)}`);

  // The same frame, identified by its payload, reaches each hop at a measured time.
  for (const [label, from, to] of [['origin → edge (1 hop)', 0, 1], ['edge → chained edge (1 more hop)', 1, 2], ['origin → chained edge (2 hops)', 0, 2]] as const) {
    const deltas: number[] = [];
    for (const [id, t0] of arrivals[from]!) {
      const t1 = arrivals[to]!.get(id);
      if (t1 !== undefined) deltas.push(t1 - t0);
    }
    const over = deltas.filter((d) => d > 10).length / deltas.length;
    console.log(
      `hop cost ${label}: p50 ${percentile(deltas, 50).toFixed(2)} ms, p90 ${percentile(deltas, 90).toFixed(2)} ms, ` +
        `p95 ${percentile(deltas, 95).toFixed(2)} ms, p99 ${percentile(deltas, 99).toFixed(2)} ms, ${(over * 100).toFixed(1)}% over 10 ms, ` +
        `${deltas.length} frames (target <= 10 ms p95 per hop)`,
    );
  }
  for (const v of viewers.splice(0)) v.close();
  await new Promise((r) => setTimeout(r, 1000));

  await studio.getByTestId('stop-stream').click();
  await studio.close();

  // Recovery: a second signaling instance over the same fleet, with PER_EDGE viewers per
  // node, so one kill takes PER_EDGE viewers down at once; each is timed back to a frame.
  const crowdPlatform = await fleet.startPlatform({ VILO_VIEWERS_PER_EDGE: String(PER_EDGE) });
  const times: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Keep a spare node for the edge's viewers to move to.
      while (fleet.live.length < 3) await fleet.addNode();
      await fleet.waitReady(crowdPlatform);
      const page = await (await mediaContext(browser, crowdPlatform.url)).newPage();
      const id = await goLive(page, `recovery ${round}`);
      const crowd: NodeViewer[] = [];
      for (let i = 0; i < 2 * PER_EDGE; i++) {
        const v = new NodeViewer(crowdPlatform.url, id);
        crowd.push(v);
        await v.start(30_000);
      }
      const victimId = crowdPlatform.routes.view(id)!.edges[0]!.nodeId;
      const onVictim = crowd.slice(PER_EDGE);
      const back = onVictim.map((v) => new Promise<number>((resolve) => v.once('live', ({ at }) => resolve(at))));
      const killedAt = performance.now();
      await fleet.node(victimId).kill();
      const round_ = (await Promise.all(back)).map((at) => at - killedAt);
      times.push(...round_);
      console.log(`  round ${round + 1}: killed edge ${victimId}; its ${onVictim.length} viewers back after ${round_.map((t) => t.toFixed(0)).join(', ')} ms`);
      for (const v of crowd) v.close();
      await page.getByTestId('stop-stream').click();
      await page.close();
    }
  } finally {
    await crowdPlatform.close();
  }
  console.log(`recovery after an edge is killed: p50 ${percentile(times, 50).toFixed(0)} ms, p95 ${percentile(times, 95).toFixed(0)} ms over ${times.length} kills (target <= 3000 ms p95)`);
} finally {
  for (const v of viewers) v.close();
  await browser.close();
  await platform.close();
  await fleet.stop();
}
process.exit(0);
