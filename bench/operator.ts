// Operator figures against the real control plane: LiveStream created → status Live (as a
// client watching sees it), reconcile throughput with a burst of streams, and the operator's
// memory. The operator runs as its own process under the chart's RBAC; two real sfu-node
// processes are the fleet (the test kubelet runs them); Redis is real.
// Usage: npm run bench:operator  (env SEQUENTIAL=50, BURST=500, CONCURRENCY=25)
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { reportKeyPrefix } from '@vilokanam/contracts/fleet';
import { Informer, liveStream, LiveStreamClient, type LiveStream } from '@vilokanam/operator';
import { Harness, NAMESPACE } from '@vilokanam/testkit/kube';
import { waitFor } from '@vilokanam/testkit';

const SEQUENTIAL = Number(process.env.SEQUENTIAL ?? 50);
const BURST = Number(process.env.BURST ?? 500);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 25);

const spec = { creator: 'bench', title: 'bench', category: 'tech', pricePerSecond: '1' };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const ms = (n: number) => `${n.toFixed(0)} ms`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

async function operatorMetrics(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\w+)(?:\{[^}]*\})? ([\d.e+-]+)$/.exec(line);
    if (m) out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[2]);
  }
  return out;
}

const h = await Harness.start({
  hosts: 2,
  redisDb: 14,
  values: { sfu: { capacity: 100_000, fleet: { minNodes: 2, maxNodes: 2, streamReserve: 2 } }, operator: { workers: 8 } },
  log: pino({ level: 'silent' }),
});
try {
  const { metricsUrl } = await h.spawnOperator('bench-operator');
  await waitFor('two sfu-nodes reporting', async () => h.kubelet.pods.length === 2 && (await h.redis.keys(`${reportKeyPrefix(h.env.VILO_FLEET)}*`)).length === 2, 60_000);
  const client = new LiveStreamClient(h.admin);

  // The client's view: a watch on LiveStreams, noting when each first shows phase Live.
  const liveAt = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  const informer = new Informer<LiveStream>({
    kc: h.admin,
    name: 'bench',
    path: LiveStreamClient.watchPath(NAMESPACE),
    list: () => client.list(NAMESPACE),
    log: pino({ level: 'silent' }),
  });
  const seen = (ls: LiveStream) => {
    if (ls.status?.phase !== 'Live' || liveAt.has(ls.metadata.name)) return;
    liveAt.set(ls.metadata.name, performance.now());
    waiters.get(ls.metadata.name)?.();
  };
  informer.on('add', seen);
  informer.on('update', seen);
  await informer.start();
  const live = (name: string) => new Promise<void>((resolve) => (liveAt.has(name) ? resolve() : waiters.set(name, resolve)));

  await sleep(2_000);
  const idle = await operatorMetrics(metricsUrl);

  // Phase 1: one at a time.
  const sequential: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const name = `seq-${i}`;
    const t0 = performance.now();
    await client.create(NAMESPACE, liveStream(name, spec));
    await live(name);
    sequential.push(liveAt.get(name)! - t0);
  }
  sequential.sort((a, b) => a - b);

  // Phase 2: a burst.
  const created = new Map<string, number>();
  const burstStart = performance.now();
  const names = Array.from({ length: BURST }, (_, i) => `burst-${i}`);
  const all = Promise.all(names.map(live));
  for (let i = 0; i < names.length; i += CONCURRENCY) {
    await Promise.all(
      names.slice(i, i + CONCURRENCY).map(async (name) => {
        created.set(name, performance.now());
        await client.create(NAMESPACE, liveStream(name, spec));
      }),
    );
  }
  const createdAllMs = performance.now() - burstStart;
  await Promise.race([all, sleep(180_000).then(() => Promise.reject(new Error(`only ${liveAt.size - SEQUENTIAL} of ${BURST} Live after 180 s`)))]);
  const burstMs = Math.max(...names.map((n) => liveAt.get(n)!)) - burstStart;
  const perStream = names.map((n) => liveAt.get(n)! - created.get(n)!).sort((a, b) => a - b);

  await sleep(3_000);
  const loaded = await operatorMetrics(metricsUrl);
  // With every stream Live the operator idles on resyncs and load reports; V8 returns memory lazily.
  await sleep(30_000);
  const settled = await operatorMetrics(metricsUrl);
  const origins = new Map<string, number>();
  for (const ls of informer.list()) origins.set(ls.status?.origin?.pod ?? '-', (origins.get(ls.status?.origin?.pod ?? '-') ?? 0) + 1);
  await informer.stop();

  const total = SEQUENTIAL + BURST;
  console.log(`\nOperator bench (real kube-apiserver 1.20, ${h.kubelet.pods.length} real sfu-nodes, Redis; operator process under the chart's RBAC)`);
  console.log(`  create → Live, one at a time (${SEQUENTIAL}): p50 ${ms(percentile(sequential, 50))}, p95 ${ms(percentile(sequential, 95))}, max ${ms(sequential.at(-1)!)}   target p95 ≤ 1000 ms`);
  console.log(`  burst of ${BURST}: created in ${ms(createdAllMs)}, all Live in ${ms(burstMs)} (${((BURST / burstMs) * 1000).toFixed(0)} streams/s)   target ≤ 60000 ms`);
  console.log(`  burst create → Live per stream: p50 ${ms(percentile(perStream, 50))}, p95 ${ms(percentile(perStream, 95))}`);
  console.log(`  origins spread: ${[...origins].map(([pod, n]) => `${pod}: ${n}`).join(', ')}`);
  console.log(`  reconciles: ${loaded.vilo_operator_reconciles_total ?? 0} for ${total} streams`);
  const mem = (m: Record<string, number>) => `RSS ${mib(m.vilo_operator_process_resident_memory_bytes ?? 0)}, heap used ${mib(m.vilo_operator_nodejs_heap_size_used_bytes ?? 0)}`;
  console.log(`  operator memory: idle ${mem(idle)}; ${total} streams just Live: ${mem(loaded)}; 30 s later: ${mem(settled)}`);
} finally {
  await h.close();
}
process.exit(0);
