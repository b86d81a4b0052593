// Fan-out capacity: video viewers per core on one sfu-node, Vilokanam vs raw mediasoup, in
// the same run on the same worker binary. Method in bench/README.md.
// Usage: npm run bench:fanout   (env STEPS="100,200,400,600", SAMPLE_SECONDS=6)
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import os from 'node:os';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import pino from 'pino';
import { Redis } from 'ioredis';
import { ControlAuth, RemoteSfu, mediaCodecs } from '@vilokanam/sfu-node';
import { SfuProcess } from '../sfu-node/src/testing/SfuProcess.ts';
import { sampleCpu, workersOf } from './lib/proc.ts';
import { SOURCE_PT, SOURCE_SSRC, startVp8Source } from '../sfu-node/src/testing/vp8source.ts';

const STEPS = (process.env.STEPS ?? '100,200,400,600').split(',').map(Number);
const SAMPLE_SECONDS = Number(process.env.SAMPLE_SECONDS ?? 6);
const REDIS_URL = process.env.VILO_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/4';
const workerBin = process.env.MEDIASOUP_WORKER_BIN;
if (!workerBin) throw new Error('MEDIASOUP_WORKER_BIN is not set (run through scripts/with-env.sh)');
const listenInfo: types.TransportListenInfo = { protocol: 'udp', ip: '127.0.0.1' };
const log = pino({ level: 'warn' });

interface Piped {
  producerId: string;
  rtpParameters: types.RtpParameters;
}

/** The consumer side of a measured node: N SRTP pipes to the sink, one per viewer. */
interface Target {
  label: string;
  pids: () => number[];
  /** Receives the source stream over an SRTP pipe; returns the producer id. */
  ingest(source: { ip: string; port: number; srtp: types.SrtpParameters; connect: (ip: string, port: number, srtp: unknown) => Promise<Piped> }): Promise<string>;
  addViewer(producerId: string, sinkPort: number): Promise<void>;
  close(): Promise<void>;
}

async function rawTarget(): Promise<Target> {
  const worker = await mediasoup.createWorker({ workerBin, logLevel: 'warn' });
  const router = await worker.createRouter({ mediaCodecs });
  return {
    label: 'raw mediasoup',
    pids: () => [worker.pid],
    async ingest(source) {
      const pipe = await router.createPipeTransport({ listenInfo, enableSrtp: true, enableRtx: true });
      const params = await source.connect(pipe.tuple.localAddress ?? '127.0.0.1', pipe.tuple.localPort, pipe.srtpParameters);
      await pipe.connect({ ip: source.ip, port: source.port, srtpParameters: source.srtp });
      const producer = await pipe.produce({ id: params.producerId, kind: 'video', rtpParameters: params.rtpParameters });
      return producer.id;
    },
    async addViewer(producerId, sinkPort) {
      const pipe = await router.createPipeTransport({ listenInfo, enableSrtp: true, enableRtx: true });
      await pipe.connect({ ip: '127.0.0.1', port: sinkPort, srtpParameters: pipe.srtpParameters! });
      await pipe.consume({ producerId });
    },
    async close() {
      worker.close();
    },
  };
}

async function vilokanamTarget(): Promise<Target> {
  const secret = randomBytes(32).toString('hex');
  const redis = new Redis(REDIS_URL);
  await redis.flushdb();
  redis.disconnect();
  const node = await SfuProcess.start({ nodeId: 'bench', ip: '127.0.0.1', redisUrl: REDIS_URL, controlSecret: secret, rtcMinPort: 43000, rtcMaxPort: 44999 });
  const sfu = new RemoteSfu({ nodeId: 'bench', url: node.controlUrl, auth: new ControlAuth(secret), caller: 'bench', log });
  await sfu.connect();
  const streamId = 'fanout';
  const scraper = setInterval(() => void fetch(`${node.controlUrl}/metrics`).then((r) => r.text()), 5000);
  return {
    label: 'Vilokanam sfu-node',
    pids: () => [node.child.pid!, ...workersOf(node.child.pid!)],
    async ingest(source) {
      const pipe = await sfu.createPipeTransport(streamId);
      const params = await source.connect(pipe.ip, pipe.port, pipe.srtpParameters);
      await sfu.connectPipeTransport(pipe.id, { ip: source.ip, port: source.port, srtpParameters: source.srtp });
      await sfu.pipeProduce(pipe.id, { producerId: params.producerId, kind: 'video', rtpParameters: params.rtpParameters, paused: false });
      return params.producerId;
    },
    async addViewer(producerId, sinkPort) {
      const pipe = await sfu.createPipeTransport(streamId);
      await sfu.connectPipeTransport(pipe.id, { ip: '127.0.0.1', port: sinkPort, srtpParameters: pipe.srtpParameters });
      await sfu.pipeConsume(pipe.id, producerId);
    },
    async close() {
      clearInterval(scraper);
      sfu.close();
      await node.stop();
    },
  };
}

/** Source worker: plain synthetic VP8 in, SRTP pipe out to the measured node. */
async function startSource() {
  const worker = await mediasoup.createWorker({ workerBin, logLevel: 'warn' });
  const router = await worker.createRouter({ mediaCodecs });
  const plain = await router.createPlainTransport({ listenInfo, rtcpMux: true, comedia: true });
  const producer = await plain.produce({
    kind: 'video',
    rtpParameters: {
      codecs: [{ mimeType: 'video/VP8', payloadType: SOURCE_PT, clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] }],
      encodings: [{ ssrc: SOURCE_SSRC }],
    },
  });
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const feed = startVp8Source(socket, plain.tuple.localPort);
  const pipe = await router.createPipeTransport({ listenInfo, enableSrtp: true, enableRtx: true });
  return {
    feed,
    pipeEnd: {
      ip: '127.0.0.1',
      port: pipe.tuple.localPort,
      srtp: pipe.srtpParameters!,
      async connect(ip: string, port: number, srtp: unknown) {
        await pipe.connect({ ip, port, srtpParameters: srtp as types.SrtpParameters });
        const consumer = await pipe.consume({ producerId: producer.id });
        return { producerId: producer.id, rtpParameters: consumer.rtpParameters } satisfies Piped;
      },
    },
    close() {
      feed.stop();
      socket.close();
      worker.close();
    },
  };
}

async function sink(): Promise<{ port: number; packets: () => number; close: () => void }> {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 16 * 2 ** 20 });
  let count = 0;
  socket.on('message', () => count++);
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return { port: socket.address().port, packets: () => count, close: () => socket.close() };
}

interface Row {
  viewers: number;
  cpu: number;
  perCore: number;
  delivered: number;
}

async function measure(make: () => Promise<Target>): Promise<{ label: string; rows: Row[] }> {
  const source = await startSource();
  const target = await make();
  const out = await sink();
  const producerId = await target.ingest(source.pipeEnd);
  const rows: Row[] = [];
  let viewers = 0;
  for (const step of STEPS) {
    while (viewers < step) {
      await target.addViewer(producerId, out.port);
      viewers++;
    }
    await new Promise((r) => setTimeout(r, 1500));
    const received0 = out.packets();
    const sent0 = source.feed.sent;
    const cpus = await sampleCpu(target.pids(), SAMPLE_SECONDS);
    // Expected = what the source really sent in the window, times the viewers.
    const delivered = (out.packets() - received0) / ((source.feed.sent - sent0) * viewers);
    const cpu = cpus.reduce((a, b) => a + b, 0);
    rows.push({ viewers, cpu, perCore: viewers / (cpu / 100), delivered });
    const parts = cpus.length > 1 ? ` (node process ${cpus[0]!.toFixed(1)}% + worker ${cpus.slice(1).reduce((a, b) => a + b, 0).toFixed(1)}%)` : '';
    console.log(`  ${target.label.padEnd(20)} ${String(viewers).padStart(4)} viewers: cpu ${cpu.toFixed(1).padStart(5)}% of a core${parts}, ` +
      `${(viewers / (cpu / 100)).toFixed(0).padStart(4)} viewers/core, delivered ${(delivered * 100).toFixed(1)}%`);
  }
  await target.close();
  out.close();
  source.close();
  return { label: target.label, rows };
}

/** Capacity at the largest step still delivering ≥ 99% of packets. */
function capacity(rows: Row[]): Row {
  const healthy = rows.filter((r) => r.delivered >= 0.99);
  return healthy.at(-1) ?? rows[0]!;
}

console.log(`fan-out capacity on ${os.availableParallelism()} cores (${os.cpus()[0]?.model}); steps ${STEPS.join(', ')} viewers, ${SAMPLE_SECONDS}s samples`);
console.log('each viewer = one SRTP (AES_CM_128_HMAC_SHA1_80) video consumer of a 720p30 VP8 stream at ~1.5 Mbit/s');
const raw = await measure(rawTarget);
const vilo = await measure(vilokanamTarget);
const r = capacity(raw.rows);
const v = capacity(vilo.rows);
console.log(`raw mediasoup:      ${r.perCore.toFixed(0)} viewers/core (at ${r.viewers} viewers, ${r.cpu.toFixed(1)}% cpu)`);
console.log(`Vilokanam sfu-node: ${v.perCore.toFixed(0)} viewers/core (at ${v.viewers} viewers, ${v.cpu.toFixed(1)}% cpu, worker + node process)`);
console.log(`ratio Vilokanam / raw: ${((v.perCore / r.perCore) * 100).toFixed(1)}% (target >= 90%)`);
process.exit(0);
