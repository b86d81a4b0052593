// Stream health against real parts: an x264 encoder with a 3 s keyframe interval publishes into
// a real router, one viewer consumes it, and the report reads what mediasoup measured.
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegRtpSource } from '@vilokanam/testkit/media';
import { mediaCodecs } from './config.ts';
import { StreamHealth } from './StreamHealth.ts';

const workerBin = process.env.MEDIASOUP_WORKER_BIN;
if (!workerBin) throw new Error('MEDIASOUP_WORKER_BIN must point at the built worker (scripts/env.sh sets it)');

let worker: types.Worker;
beforeAll(async () => {
  worker = await mediasoup.createWorker({ workerBin, logLevel: 'error' });
});
afterAll(() => worker?.close());

describe('StreamHealth', () => {
  it('reports each layer\'s bitrate, loss and keyframe interval, and viewers by layer', async () => {
    const router = await worker.createRouter({ mediaCodecs });
    const health = new StreamHealth();
    const source = await FfmpegRtpSource.start(router, { bitrate: 800_000, width: 640, height: 360, keyFrameSeconds: 3 });
    for (const p of source.producers) health.watch(p);
    const viewerTransport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: false });
    await viewerTransport.connect({ ip: '127.0.0.1', port: 9 });
    const video = source.producers.find((p) => p.kind === 'video')!;
    const consumer = await viewerTransport.consume({ producerId: video.id, rtpCapabilities: router.rtpCapabilities });
    await new Promise((r) => setTimeout(r, 11_000));

    const report = await health.report(source.producers, [consumer]);
    const v = report.layers.find((l) => l.kind === 'video')!;
    const a = report.layers.find((l) => l.kind === 'audio')!;
    expect(v).toMatchObject({ rid: null, mimeType: 'video/H264', fractionLost: 0 });
    expect(v.bitrate).toBeGreaterThan(400_000);
    expect(v.bitrate).toBeLessThan(1_600_000);
    // Measured from the keyframes that arrived, not assumed: the encoder's 3 s.
    expect(v.keyFrameInterval).toBeGreaterThan(2.5);
    expect(v.keyFrameInterval).toBeLessThan(3.5);
    expect(a).toMatchObject({ mimeType: 'audio/opus', keyFrameInterval: null });
    expect(a.bitrate).toBeGreaterThan(20_000);
    expect(report.viewersByLayer).toEqual({ 0: 1 });
    // Frames arriving, counted from a one-second sample of RTP marker bits the report started.
    await new Promise((r) => setTimeout(r, 1300));
    const sampled = (await health.report(source.producers, [consumer])).layers.find((l) => l.kind === 'video')!;
    expect(sampled.frameRate).toBeGreaterThan(25);
    expect(sampled.frameRate).toBeLessThan(35);

    source.stop();
    await new Promise((r) => setTimeout(r, 100));
    expect((await health.report(source.producers, [consumer])).layers).toEqual([]);
    router.close();
  }, 30_000);
});
