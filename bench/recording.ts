// The recording's CPU cost on the origin, per stream. An x264/Opus encoder (ffmpeg, as OBS
// would send) publishes ~1.5 Mbit/s of 720p30 into a real mediasoup router; the baseline in the
// same run is that router forwarding with nothing recorded, then the same stream recorded by
// the StreamRecorder the origin runs (PlainTransport consumers → ffmpeg -c copy → fMP4 HLS).
// Usage: npm run bench:recording  (env SAMPLE_SECONDS, STREAMS, BITRATE)
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as mediasoup from 'mediasoup';
import pino from 'pino';
import { mediaCodecs, StreamRecorder } from '@vilokanam/sfu-node';
import { FfmpegRtpSource } from '@vilokanam/testkit/media';
import { sampleCpu } from './lib/proc.ts';

const SAMPLE_SECONDS = Number(process.env.SAMPLE_SECONDS ?? 20);
const STREAMS = Number(process.env.STREAMS ?? 1);
const BITRATE = Number(process.env.BITRATE ?? 1_500_000);
const workerBin = process.env.MEDIASOUP_WORKER_BIN;
if (!workerBin) throw new Error('MEDIASOUP_WORKER_BIN is not set (scripts/with-env.sh sets it)');

const dir = await mkdtemp(path.join(os.tmpdir(), 'vilo-bench-rec-'));
const worker = await mediasoup.createWorker({ workerBin, logLevel: 'error' });
const streams = await Promise.all(
  Array.from({ length: STREAMS }, async () => {
    const router = await worker.createRouter({ mediaCodecs });
    return { router, source: await FfmpegRtpSource.start(router, { bitrate: BITRATE, width: 1280, height: 720 }) };
  }),
);
console.log(`${STREAMS} stream(s) of 720p30 H.264 at ${(BITRATE / 1e6).toFixed(1)} Mbit/s + Opus; ${SAMPLE_SECONDS} s samples, % of one core`);
await new Promise((r) => setTimeout(r, 4000));

const [workerIdle] = await sampleCpu([worker.pid], SAMPLE_SECONDS);
console.log(`baseline, nothing recorded: mediasoup worker ${workerIdle!.toFixed(2)}%`);

const log = pino({ level: 'warn' });
const recorders = streams.map(
  ({ router, source }) => new StreamRecorder(crypto.randomUUID(), router, () => source.producers, { dir, ffmpeg: 'ffmpeg', segmentSeconds: 2, keyFrameIntervalMs: 2000, settleMs: 200 }, log),
);
await new Promise((r) => setTimeout(r, 5000));
const pids = recorders.map((r) => r.part?.pid).filter((p): p is number => p !== undefined);
if (pids.length !== STREAMS) throw new Error(`only ${pids.length} of ${STREAMS} recorders started`);
const [workerRec, ...ffmpeg] = await sampleCpu([worker.pid, ...pids], SAMPLE_SECONDS);
const encoders = await sampleCpu(streams.map((s) => s.source.pid!), 3);

const extraWorker = workerRec! - workerIdle!;
const perStream = (ffmpeg.reduce((a, b) => a + b, 0) + Math.max(0, extraWorker)) / STREAMS;
console.log(`recording: mediasoup worker ${workerRec!.toFixed(2)}% (${extraWorker >= 0 ? '+' : ''}${extraWorker.toFixed(2)}% for the recording consumers)`);
console.log(`recording: ffmpeg remux ${ffmpeg.map((c) => c.toFixed(2)).join(', ')}%`);
console.log(`recording cost per stream: ${perStream.toFixed(2)}% of one core (target <= 3%); the encoder it records uses ${(encoders.reduce((a, b) => a + b, 0) / STREAMS).toFixed(0)}% for comparison`);

const summaries = await Promise.all(recorders.map((r) => r.stop()));
const segments = (await readdir(path.join(dir, summaries[0]!.recordingId, summaries[0]!.parts[0]!))).filter((f) => f.endsWith('.m4s')).length;
console.log(`wrote ${segments} segments for the first stream`);
for (const s of streams) s.source.stop();
worker.close();
await rm(dir, { recursive: true, force: true });
