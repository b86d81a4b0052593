// Recording against real parts: an x264/Opus encoder (ffmpeg, as OBS would send) publishes into
// a real mediasoup router, the recorder remuxes it with ffmpeg, and ffprobe reads what it wrote.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegRtpSource } from '@vilokanam/testkit/media';
import { mediaCodecs } from '../config.ts';
import { StreamRecorder } from './StreamRecorder.ts';

const workerBin = process.env.MEDIASOUP_WORKER_BIN;
if (!workerBin) throw new Error('MEDIASOUP_WORKER_BIN must point at the built worker (scripts/env.sh sets it)');
const run = promisify(execFile);

async function probe(file: string): Promise<{ codecs: string[]; duration: number }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-protocol_whitelist', 'file', '-show_entries', 'stream=codec_name:format=duration', '-of', 'json', file]);
  const out = JSON.parse(stdout) as { streams: { codec_name: string }[]; format: { duration: string } };
  return { codecs: out.streams.map((s) => s.codec_name).sort(), duration: Number(out.format.duration) };
}

let worker: types.Worker;
let dir: string;
beforeAll(async () => {
  worker = await mediasoup.createWorker({ workerBin, logLevel: 'error' });
  dir = await mkdtemp(path.join(os.tmpdir(), 'vilo-rec-'));
});
afterAll(async () => {
  worker?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('StreamRecorder', () => {
  it('remuxes a publisher to fMP4 HLS without transcoding, and a dropped publisher\'s return starts a new part', async () => {
    const router = await worker.createRouter({ mediaCodecs });
    let source = await FfmpegRtpSource.start(router, { bitrate: 800_000, width: 640, height: 360 });
    const opts = { dir, ffmpeg: 'ffmpeg', segmentSeconds: 2, keyFrameIntervalMs: 2000, settleMs: 300 };
    const recorder = new StreamRecorder('6d0c6f1e-4a57-4f0e-9a55-2c3f2f0a8f11', router, () => source.producers, opts, pino({ level: 'silent' }));
    await new Promise((r) => setTimeout(r, 7000));

    // The encoder goes away (its producers close) and comes back: a second part.
    source.stop();
    recorder.producersChanged();
    await new Promise((r) => setTimeout(r, 1500));
    source = await FfmpegRtpSource.start(router, { bitrate: 800_000, width: 640, height: 360 });
    recorder.producersChanged();
    await new Promise((r) => setTimeout(r, 6000));
    const summary = await recorder.stop();
    source.stop();

    expect(summary.parts).toHaveLength(2);
    expect(summary.skipped).toEqual([]);
    const recordingDir = path.join(dir, summary.recordingId);
    expect((await readdir(recordingDir)).sort()).toEqual([...summary.parts].sort());
    for (const part of summary.parts) {
      const files = await readdir(path.join(recordingDir, part));
      expect(files).toContain('init.mp4');
      expect(files.filter((f) => f.endsWith('.m4s')).length).toBeGreaterThanOrEqual(2);
      const playlist = await readFile(path.join(recordingDir, part, 'index.m3u8'), 'utf8');
      expect(playlist).toContain('#EXT-X-ENDLIST');
      const { codecs, duration } = await probe(path.join(recordingDir, part, 'index.m3u8'));
      // Copied, not transcoded: the encoder's H.264 and Opus, for about as long as it ran.
      expect(codecs).toEqual(['h264', 'opus']);
      expect(duration).toBeGreaterThan(3.5);
      expect(duration).toBeLessThan(8);
    }
    router.close();
  }, 40_000);
});
