// Signaling scaled out: the added join latency with 2 replicas against 1, and how long viewers
// take to see frames again when a replica dies. Real parts: Postgres, Redis, one sfu-node
// process, signaling replicas as their own processes (main.ts, as the image runs it), a
// Chromium publisher on replica A and werift viewers. Method and figures in bench/README.md.
// Usage: npm run bench:replicas   (env JOINS=20, ROUNDS=5, VIEWERS=6)
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { freePort } from '@vilokanam/testkit';
import { NodeViewer } from '@vilokanam/testkit/clients';
import { createPostgresDatabase } from '@vilokanam/testkit/postgres';
import { goLive, launchChromium, mediaContext, TestFleet } from '@vilokanam/testkit/web';
import { percentile } from './lib/proc.ts';
import { TcpBalancer } from '@vilokanam/testkit';

const JOINS = Number(process.env.JOINS ?? 20);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const VIEWERS = Number(process.env.VIEWERS ?? 6);
const REDIS_URL = process.env.VILO_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/4';
const MAIN = fileURLToPath(new URL('../services/signaling/src/main.ts', import.meta.url));

interface Replica {
  port: number;
  url: string;
  child: ChildProcess;
  exited: Promise<void>;
}

const fleetName = `bench-replicas-${randomBytes(3).toString('hex')}`;
const fleet = await TestFleet.start({ name: fleetName, redisUrl: REDIS_URL, idPrefix: 'r', firstIp: 20, portBase: 46000, portSpan: 400, netns: false }, 1);
const database = await createPostgresDatabase();
const secrets = { token: randomBytes(24).toString('hex'), session: randomBytes(24).toString('hex') };

async function startReplica(): Promise<Replica> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      VILO_HOST: '127.0.0.1',
      VILO_PORT: String(port),
      VILO_OPS_PORT: '0',
      VILO_SFU_MODE: 'fleet',
      VILO_FLEET: fleetName,
      VILO_REDIS_URL: fleet.redisUrl,
      VILO_SFU_CONTROL_SECRET: fleet.secret,
      VILO_DATABASE_URL: database.url,
      VILO_TOKEN_SECRET: secrets.token,
      VILO_SESSION_SECRET: secrets.session,
      VILO_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('is running') && resolve());
    void exited.then(() => reject(new Error('a signaling replica exited before it served')));
  });
  const url = `http://127.0.0.1:${port}`;
  // Ready as a Service would see it: once it has found the sfu-node.
  for (let i = 0; i < 100 && (await fetch(`${url}/readyz`).then((r) => r.status, () => 0)) !== 200; i++) await new Promise((r) => setTimeout(r, 100));
  return { port, url, child, exited };
}

async function join(url: string, streamId: string): Promise<number> {
  const viewer = new NodeViewer(url, streamId);
  try {
    return await viewer.start(30_000);
  } finally {
    viewer.close();
  }
}

function line(label: string, values: number[]): { p50: number; p95: number } {
  const sorted = [...values].sort((x, y) => x - y);
  const p50 = percentile(sorted, 50);
  const p95 = percentile(sorted, 95);
  console.log(`${label.padEnd(52)} p50 ${p50.toFixed(0).padStart(5)} ms  p95 ${p95.toFixed(0).padStart(5)} ms  (n=${sorted.length})`);
  return { p50, p95 };
}

const replicas: Replica[] = [];
const browser = await launchChromium();
let proxy: TcpBalancer | undefined;
/** The ready replicas' ports, as the Service's endpoints would list them. */
let backends: number[] = [];
try {
  const a = await startReplica();
  replicas.push(a);
  const studio = await (await mediaContext(browser, a.url)).newPage();
  const streamId = await goLive(studio, 'replica bench');
  console.log(`stream ${streamId} published on replica A; ${JOINS} joins per case, ${ROUNDS} kill rounds of ${VIEWERS} viewers`);
  await join(a.url, streamId); // warm-up: the first consumer on a router pays for a keyframe

  // Join latency: token → first frame, one viewer at a time.
  const one: number[] = [];
  for (let i = 0; i < JOINS; i++) one.push(await join(a.url, streamId));
  const b = await startReplica();
  replicas.push(b);
  const sameTwo: number[] = [];
  const otherTwo: number[] = [];
  for (let i = 0; i < JOINS; i++) {
    // Alternating, so drift in the machine's load falls on both.
    if (i % 2) sameTwo.push(await join(a.url, streamId));
    otherTwo.push(await join(b.url, streamId));
    if (!(i % 2)) sameTwo.push(await join(a.url, streamId));
  }
  console.log('\njoin latency (token request to first video frame):');
  const base = line('1 replica (baseline)', one);
  line('2 replicas, viewer on the publisher\'s replica', sameTwo);
  const cross = line('2 replicas, viewer on the other replica', otherTwo);
  console.log(`added by the second replica at p95: ${(cross.p95 - base.p95).toFixed(0)} ms, at p50: ${(cross.p50 - base.p50).toFixed(0)} ms (target <= 20 ms)`);

  // Recovery: viewers through a Service with no affinity; one replica is SIGKILLed.
  backends = [a.port, b.port];
  proxy = await TcpBalancer.start(() => backends.map((port) => ({ host: '127.0.0.1', port })));
  const recoveries: number[] = [];
  let victim = b;
  for (let round = 0; round < ROUNDS; round++) {
    const viewers = Array.from({ length: VIEWERS }, () => new NodeViewer(proxy!.url, streamId));
    await Promise.all(viewers.map((v) => v.start(30_000)));
    // Each viewer's first frame after it lost its connection, from the moment of the kill.
    const lost = new Set<NodeViewer>();
    const back = new Map<NodeViewer, number>();
    let killedAt = 0;
    for (const v of viewers) {
      v.once('lost', () => {
        lost.add(v);
        v.once('live', ({ at }) => back.set(v, at - killedAt));
      });
    }
    killedAt = performance.now();
    victim.child.kill('SIGKILL');
    await victim.exited;
    backends = [a.port];
    const deadline = Date.now() + 30_000;
    await new Promise((r) => setTimeout(r, 1000));
    while ([...lost].some((v) => !back.has(v)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const hit = [...lost].map((v) => back.get(v) ?? Number.POSITIVE_INFINITY);
    recoveries.push(...hit);
    console.log(`round ${round + 1}: ${hit.length} of ${VIEWERS} viewers were on the killed replica; back in ${hit.map((x) => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : 'never')).join(', ')}`);
    for (const v of viewers) v.close();
    victim = await startReplica();
    replicas.push(victim);
    backends = [a.port, victim.port];
  }
  console.log('\nrecovery after a replica is SIGKILLed (kill to first frame again, viewers reconnecting through the Service):');
  const rec = line('recovery', recoveries);
  console.log(`beside a fresh join in the same run (1 replica p95 ${base.p95.toFixed(0)} ms); target p95 <= 3000 ms: ${rec.p95 <= 3000 ? 'met' : 'not met'}`);
} finally {
  await proxy?.close();
  await browser.close();
  for (const r of replicas) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
  await Promise.all(replicas.map((r) => r.exited));
  await fleet.stop();
  await database.drop();
}
