// Fan-out capacity: video viewers per core on one sfu-node, Vilokanam vs raw mediasoup, in
// the same run on the same worker binary, as the median of several rounds in alternating
// order; then instructions per forwarded packet of each worker under callgrind, a figure the
// machine's noise does not move. Method in bench/README.md.
// Usage: npm run bench:fanout   (env STEPS="100,200,400,600", SAMPLE_SECONDS=6, ROUNDS=3,
//                                INSTR_VIEWERS=10, INSTR_SECONDS=5; INSTR_VIEWERS=0 skips callgrind)
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import dgram from 'node:dgram';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import pino from 'pino';
import { Redis } from 'ioredis';
import { ControlAuth, RemoteSfu, mediaCodecs } from '@vilokanam/sfu-node';
import { SfuProcess } from '@vilokanam/testkit/media';
import { Vp8PipeSource } from '@vilokanam/testkit/media';
import { sampleCpuSplit, workersOf } from './lib/proc.ts';

const STEPS = (process.env.STEPS ?? '100,200,400,600').split(',').map(Number);
const SAMPLE_SECONDS = Number(process.env.SAMPLE_SECONDS ?? 6);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const INSTR_VIEWERS = Number(process.env.INSTR_VIEWERS ?? 10);
const INSTR_SECONDS = Number(process.env.INSTR_SECONDS ?? 5);
const REDIS_URL = process.env.VILO_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/4';
const workerBin = process.env.MEDIASOUP_WORKER_BIN;
if (!workerBin) throw new Error('MEDIASOUP_WORKER_BIN is not set (run through scripts/with-env.sh)');
const listenInfo: types.TransportListenInfo = { protocol: 'udp', ip: '127.0.0.1' };
const log = pino({ level: 'warn' });
const isRaw = (label: string) => label.startsWith('raw');

/** The consumer side of a measured node: N SRTP pipes to the sink, one per viewer. */
interface Target {
  label: string;
  pids: () => number[];
  /** The mediasoup worker that forwards, for callgrind. */
  workerPid: () => number;
  /** Receives the source stream over an SRTP pipe; returns the producer id. */
  ingest(source: Vp8PipeSource): Promise<string>;
  addViewer(producerId: string, sinkPort: number): Promise<void>;
  close(): Promise<void>;
}

type MakeTarget = (bin: string) => Promise<Target>;

/** What a viewer's own WebRTC transport holds while it watches: here, never connected (no DTLS client). */
const SESSION_TRANSPORT = {
  // UDP and TCP, as the sfu-node's own viewer transports listen.
  listenInfos: [
    { protocol: 'udp', ip: '127.0.0.1', portRange: { min: 45000, max: 47999 } },
    { protocol: 'tcp', ip: '127.0.0.1', portRange: { min: 45000, max: 47999 } },
  ] as types.TransportListenInfo[],
};

/**
 * A minimal mediasoup script. `sessions`: each viewer also has a WebRTC transport with a paused
 * consumer, as the Vilokanam side's metered sessions do, so both hold the same objects.
 */
async function rawTarget(bin: string, sessions = true): Promise<Target> {
  const worker = await mediasoup.createWorker({ workerBin: bin, logLevel: 'warn' });
  const router = await worker.createRouter({ mediaCodecs });
  return {
    label: sessions ? 'raw mediasoup' : 'raw, pipes only',
    pids: () => [worker.pid],
    workerPid: () => worker.pid,
    async ingest(source) {
      const pipe = await router.createPipeTransport({ listenInfo, enableSrtp: true, enableRtx: true });
      const params = await source.connect({ ip: pipe.tuple.localAddress ?? '127.0.0.1', port: pipe.tuple.localPort, srtpParameters: pipe.srtpParameters! });
      await pipe.connect(source.pipe);
      const producer = await pipe.produce({ id: params.producerId, kind: 'video', rtpParameters: params.rtpParameters });
      return producer.id;
    },
    async addViewer(producerId, sinkPort) {
      const pipe = await router.createPipeTransport({ listenInfo, enableSrtp: true, enableRtx: true });
      await pipe.connect({ ip: '127.0.0.1', port: sinkPort, srtpParameters: pipe.srtpParameters! });
      await pipe.consume({ producerId });
      if (!sessions) return;
      const session = await router.createWebRtcTransport(SESSION_TRANSPORT);
      await session.consume({ producerId, rtpCapabilities: router.rtpCapabilities, paused: true });
    },
    async close() {
      worker.close();
    },
  };
}

/**
 * The full sfu-node: load reports to Redis every 2 s, metrics scraped every 5 s, every pipe
 * made, authorised and consumed through the authenticated control channel. `metered`: each
 * viewer is also a paid session with a metered WebRTC transport and a consumer (paused, since
 * there is no DTLS client), which the Meter samples every second; the raw side holds the same
 * transport and consumer, unmetered.
 */
async function vilokanamTarget(bin: string, metered = true): Promise<Target> {
  const secret = randomBytes(32).toString('hex');
  const redis = new Redis(REDIS_URL);
  await redis.flushdb();
  redis.disconnect();
  const node = await SfuProcess.start({
    nodeId: 'bench',
    ip: '127.0.0.1',
    redisUrl: REDIS_URL,
    controlSecret: secret,
    rtcMinPort: 42000,
    rtcMaxPort: 44999,
    // The metered transports never connect; the bench keeps them for its whole run.
    env: { MEDIASOUP_WORKER_BIN: bin, VILO_SFU_CONNECT_TIMEOUT_MS: '3600000' },
  });
  const sfu = new RemoteSfu({ nodeId: 'bench', url: node.controlUrl, auth: new ControlAuth(secret), caller: 'bench', log });
  await sfu.connect();
  const streamId = 'fanout';
  const caps = await sfu.routerCapabilities(streamId);
  const scraper = setInterval(() => void fetch(`${node.controlUrl}/metrics`).then((r) => r.text()), 5000);
  return {
    label: metered ? 'Vilokanam sfu-node' : 'Vilokanam, pipes only',
    pids: () => [node.child.pid!, ...workersOf(node.child.pid!)],
    workerPid: () => workersOf(node.child.pid!, { valgrind: true })[0]!,
    async ingest(source) {
      await source.pipeInto(sfu, streamId);
      return source.producerId;
    },
    async addViewer(producerId, sinkPort) {
      const pipe = await sfu.createPipeTransport(streamId);
      await sfu.connectPipeTransport(pipe.id, { ip: '127.0.0.1', port: sinkPort, srtpParameters: pipe.srtpParameters });
      await sfu.pipeConsume(pipe.id, producerId);
      if (!metered) return;
      const session = await sfu.createTransport(streamId, 'recv', { sessionId: randomUUID() });
      await sfu.consume(session.id, producerId, caps);
    },
    async close() {
      clearInterval(scraper);
      sfu.close();
      await node.stop();
    },
  };
}

/**
 * Counts what arrives per RTP stream (one SSRC per viewer) from sequence numbers, which SRTP
 * leaves in clear: delivered = packets received ÷ the span of sequence numbers seen. That is
 * exact loss, whatever is still in flight when a window opens or closes.
 */
async function sink(): Promise<{ port: number; reset: () => void; delivered: () => number; close: () => void }> {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 16 * 2 ** 20 });
  let streams = new Map<number, { first: number; last: number; count: number }>();
  socket.on('message', (p: Buffer) => {
    // RTCP (packet types 192-223 in the second byte) is not media.
    if (p.length < 12 || (p[1]! >= 192 && p[1]! <= 223)) return;
    const ssrc = p.readUInt32BE(8);
    const seq = p.readUInt16BE(2);
    const s = streams.get(ssrc);
    if (!s) return void streams.set(ssrc, { first: seq, last: seq, count: 1 });
    // Unwrap the 16-bit counter against the last extended number seen.
    const ext = s.last + (((seq - (s.last & 0xffff) + 0x8000) & 0xffff) - 0x8000);
    s.last = Math.max(s.last, ext);
    s.first = Math.min(s.first, ext);
    s.count++;
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return {
    port: socket.address().port,
    reset: () => void (streams = new Map()),
    delivered: () => {
      let received = 0;
      let expected = 0;
      for (const s of streams.values()) {
        received += s.count;
        expected += s.last - s.first + 1;
      }
      return expected ? received / expected : 0;
    },
    close: () => socket.close(),
  };
}

interface Row {
  viewers: number;
  cpu: number;
  perCore: number;
  delivered: number;
}

/** A target fed by the source, with `viewers` pipes to one sink; `run` measures while it stands. */
async function withTarget<T>(make: MakeTarget, bin: string, run: (t: Target, grow: (n: number) => Promise<void>, window: () => { delivered: () => number; packets: () => number }) => Promise<T>): Promise<T> {
  const source = await Vp8PipeSource.start(workerBin);
  const target = await make(bin);
  const out = await sink();
  try {
    const producerId = await target.ingest(source);
    let viewers = 0;
    const grow = async (n: number) => {
      while (viewers < n) {
        await target.addViewer(producerId, out.port);
        viewers++;
      }
    };
    const window = () => {
      out.reset();
      const sent0 = source.sent;
      // Packets forwarded in the window: what the source sent, times the viewers, times the share delivered.
      return { delivered: out.delivered, packets: () => (source.sent - sent0) * viewers * out.delivered() };
    };
    return await run(target, grow, window);
  } finally {
    await target.close();
    out.close();
    source.close();
  }
}

async function measure(make: MakeTarget): Promise<{ label: string; rows: Row[] }> {
  let label = '';
  const rows = await withTarget(make, workerBin!, async (target, grow, window) => {
    label = target.label;
    const out: Row[] = [];
    for (const step of STEPS) {
      try {
        await grow(step);
      } catch (err) {
        // A worker this busy answers control calls too late: the previous step was its limit.
        console.log(`  ${target.label.padEnd(20)} ${String(step).padStart(4)} viewers: could not add viewers (${(err as Error).message})`);
        break;
      }
      await new Promise((r) => setTimeout(r, 1500));
      const w = window();
      const split = await sampleCpuSplit(target.pids(), SAMPLE_SECONDS);
      const cpus = split.map((c) => c.total);
      const system = split.reduce((a, c) => a + c.system, 0);
      const delivered = w.delivered();
      const cpu = cpus.reduce((a, b) => a + b, 0);
      out.push({ viewers: step, cpu, perCore: step / (cpu / 100), delivered });
      const parts = (cpus.length > 1 ? ` (node process ${cpus[0]!.toFixed(1)}% + worker ${cpus.slice(1).reduce((a, b) => a + b, 0).toFixed(1)}%)` : '') + `, kernel ${system.toFixed(1)}%`;
      console.log(`  ${target.label.padEnd(20)} ${String(step).padStart(4)} viewers: cpu ${cpu.toFixed(1).padStart(5)}% of a core${parts}, ` +
        `${(step / (cpu / 100)).toFixed(0).padStart(4)} viewers/core, delivered ${(delivered * 100).toFixed(1)}%`);
    }
    return out;
  });
  return { label, rows };
}

/** The ratio at the largest step where both delivered ≥ 99% of packets. */
function compare(raw: Row[], vilo: Row[]): { viewers: number; ratio: number } | undefined {
  for (let i = Math.min(raw.length, vilo.length) - 1; i >= 0; i--) {
    if (raw[i]!.delivered >= 0.99 && vilo[i]!.delivered >= 0.99) return { viewers: raw[i]!.viewers, ratio: vilo[i]!.perCore / raw[i]!.perCore };
  }
  return undefined;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

/** Worker instructions per packet the sink received, over INSTR_SECONDS with INSTR_VIEWERS viewers, under callgrind. */
async function instructions(make: MakeTarget, dir: string): Promise<{ label: string; perPacket: number; packets: number }> {
  const wrapper = path.join(dir, `worker-${randomUUID()}.sh`);
  writeFileSync(wrapper, `#!/bin/sh\nexec valgrind --tool=callgrind --callgrind-out-file=${dir}/callgrind.%p --instr-atstart=no "${workerBin}" "$@"\n`);
  chmodSync(wrapper, 0o755);
  return withTarget(make, wrapper, async (target, grow, window) => {
    await grow(INSTR_VIEWERS);
    await new Promise((r) => setTimeout(r, 3000));
    const pid = String(target.workerPid());
    execFileSync('callgrind_control', ['-i', 'on', pid], { stdio: 'ignore' });
    const w = window();
    await new Promise((r) => setTimeout(r, INSTR_SECONDS * 1000));
    execFileSync('callgrind_control', ['-d', pid], { stdio: 'ignore' });
    const packets = w.packets();
    // The worker writes the dump between packets, a moment after the request is acknowledged.
    let totals: RegExpExecArray | null = null;
    for (let i = 0; i < 100 && !totals; i++) {
      const dump = readdirSync(dir).find((f) => f.startsWith(`callgrind.${pid}.`));
      if (dump) totals = /^totals: (\d+)/m.exec(readFileSync(path.join(dir, dump), 'utf8'));
      if (!totals) await new Promise((r) => setTimeout(r, 100));
    }
    if (!totals) throw new Error(`no callgrind dump for worker ${pid} in ${dir}: ${readdirSync(dir).join(', ')}`);
    return { label: target.label, perPacket: Number(totals[1]) / packets, packets };
  });
}

function ensureValgrind(): boolean {
  if (existsSync('/usr/bin/valgrind')) return true;
  console.log('installing valgrind from Debian for the instruction counts');
  try {
    execFileSync('apt-get', ['install', '-y', '-qq', 'valgrind'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    return existsSync('/usr/bin/valgrind');
  } catch {
    return false;
  }
}

console.log(`fan-out capacity on ${os.availableParallelism()} cores (${os.cpus()[0]?.model}); steps ${STEPS.join(', ')} viewers, ${SAMPLE_SECONDS}s samples, ${ROUNDS} rounds`);
console.log('each viewer = one SRTP (AES_CM_128_HMAC_SHA1_80) video consumer of a 720p30 VP8 stream at ~1.5 Mbit/s, plus a WebRTC session transport');
console.log('with a paused consumer on both sides, metered on the Vilokanam side');
const ratios: number[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  // Alternate the order, so neither side always runs on a machine the other just warmed.
  const raw: MakeTarget = (bin) => rawTarget(bin);
  const metered: MakeTarget = (bin) => vilokanamTarget(bin);
  const order: MakeTarget[] = round % 2 === 1 ? [raw, metered] : [metered, raw];
  console.log(`round ${round}:`);
  const results = [];
  for (const make of order) results.push(await measure(make));
  const rawRows = results.find((r) => isRaw(r.label))!.rows;
  const viloRows = results.find((r) => !isRaw(r.label))!.rows;
  const c = compare(rawRows, viloRows);
  if (!c) {
    console.log('  no step where both delivered >= 99%: round not counted');
    continue;
  }
  ratios.push(c.ratio);
  const r = rawRows.find((x) => x.viewers === c.viewers)!;
  const v = viloRows.find((x) => x.viewers === c.viewers)!;
  console.log(`  at ${c.viewers} viewers: raw ${r.perCore.toFixed(0)} vs Vilokanam ${v.perCore.toFixed(0)} viewers/core, ratio ${(c.ratio * 100).toFixed(1)}%`);
}
if (ratios.length) {
  console.log(`ratio Vilokanam / raw, median of ${ratios.length} rounds: ${(median(ratios) * 100).toFixed(1)}% (rounds: ${ratios.map((x) => `${(x * 100).toFixed(1)}%`).join(', ')}; target >= 90%)`);
}

if (INSTR_VIEWERS > 0 && ensureValgrind()) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vilo-callgrind-'));
  try {
    console.log(`instructions per forwarded packet under callgrind (${INSTR_VIEWERS} viewers, ${INSTR_SECONDS} s; the worker runs ~50x slower, so fewer packets get through):`);
    const pairs: [MakeTarget, MakeTarget][] = [
      [(bin) => rawTarget(bin, false), (bin) => vilokanamTarget(bin, false)],
      [(bin) => rawTarget(bin), (bin) => vilokanamTarget(bin)],
    ];
    for (const [makeRaw, makeVilo] of pairs) {
      const raw = await instructions(makeRaw, dir);
      const vilo = await instructions(makeVilo, dir);
      for (const x of [raw, vilo]) console.log(`  ${x.label.padEnd(22)} ${x.perPacket.toFixed(0).padStart(7)} instructions per packet (${x.packets} packets)`);
      console.log(`  ${''.padEnd(22)} raw / Vilokanam ${((raw.perPacket / vilo.perPacket) * 100).toFixed(1)}%`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
process.exit(0);
