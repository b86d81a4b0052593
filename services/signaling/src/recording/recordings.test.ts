// VODs and clips over real HTTP, on each real database engine, with real sign-ins and real
// ffmpeg: a recording's parts are written as the recorder writes them (x264 and Opus remuxed
// to fragmented-MP4 HLS, two parts with a gap), then finalized, served, clipped and deleted.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { bodyParser } from '@koa/bodyparser';
import { u8aToHex } from '@polkadot/util';
import { cryptoWaitReady, decodeAddress } from '@polkadot/util-crypto';
import Koa from 'koa';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthClient, newPair } from '@vilokanam/testkit/clients';
import { createAuth, type Auth } from '../auth/Auth.ts';
import { authRoutes } from '../auth/authRouter.ts';
import { sessionMiddleware } from '../auth/middleware.ts';
import type { Database } from '../db/Database.ts';
import type { Fleet } from '../fleet/Fleet.ts';
import type { StreamRoutes } from '../fleet/StreamRoutes.ts';
import { errorMiddleware } from '../http/errors.ts';
import { StreamStore } from '../StreamStore.ts';
import { engines } from '../testing/databases.ts';
import { Clips } from './Clips.ts';
import { LocalDiskStorage } from './LocalDiskStorage.ts';
import { recordingsRoutes } from './recordingsRouter.ts';
import { Recordings } from './Recordings.ts';
import { RecordingStore } from './RecordingStore.ts';
import { VodMedia } from './VodMedia.ts';

const quiet = pino({ level: 'silent' });
const run = promisify(execFile);

/** One part as the recorder leaves it: 2 s keyframes, 2 s fMP4 segments, H.264 and Opus. */
async function writePart(dir: string, seconds: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  await run('ffmpeg', [
    '-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=30:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
    '-c:v', 'libx264', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-g', '60', '-c:a', 'libopus',
    '-f', 'hls', '-hls_time', '2', '-hls_list_size', '0', '-hls_playlist_type', 'event', '-hls_segment_type', 'fmp4',
    '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename', path.join(dir, 'seg%05d.m4s'), path.join(dir, 'index.m3u8'),
  ]);
}

describe.each(engines)('VODs and clips on $name', (engine) => {
  let handle: { db: Database; drop(): Promise<void> };
  let auth: Auth;
  let server: Server;
  let base: string;
  let dir: string;
  let recordings: RecordingStore;
  let lifecycle: Recordings;
  let streamId: string;
  let recordingId: string;
  const pairs = { creator: newPair('sr25519'), viewer: newPair('sr25519') };
  const clients = {} as Record<keyof typeof pairs, AuthClient>;

  const call = async (who: keyof typeof pairs | null, url: string, init: { method?: string; body?: unknown } = {}) => {
    const headers: Record<string, string> = init.body === undefined ? {} : { 'content-type': 'application/json' };
    if (who) headers.cookie = clients[who].cookie!;
    const res = await fetch(`${base}${url}`, { method: init.method ?? 'GET', headers, body: init.body === undefined ? null : JSON.stringify(init.body) });
    const text = await res.text();
    return { status: res.status, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text, headers: res.headers };
  };

  beforeAll(async () => {
    await cryptoWaitReady();
    handle = await engine.open();
    const { db } = handle;
    dir = await mkdtemp(path.join(os.tmpdir(), 'vilo-vods-'));
    auth = createAuth(db, { sessionSecret: randomBytes(32), sessionTtlSeconds: 3600, challengeTtlSeconds: 300, ss58Prefix: 42 });
    const store = new StreamStore(db);
    const storage = new LocalDiskStorage(dir);
    recordings = new RecordingStore(db);
    const media = new VodMedia({ ffmpeg: 'ffmpeg', ffprobe: 'ffprobe' });
    // Neither the fleet nor the routes are reached: nothing here goes live (recording.test in
    // web/e2e covers the recorder on a live origin).
    lifecycle = new Recordings({ store, recordings, storage, media, fleet: {} as Fleet, routes: {} as StreamRoutes, log: quiet });
    const clips = new Clips({ recordings, storage, media, parts: (id) => lifecycle.parts(id), clipsPerHour: 3 });
    const app = new Koa();
    app.use(errorMiddleware(quiet));
    app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '32kb' }));
    app.use(sessionMiddleware(auth));
    app.use(recordingsRoutes({ store, recordings, lifecycle, clips, storage }));
    app.use(authRoutes(auth));
    server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const [name, pair] of Object.entries(pairs)) {
      const client = new AuthClient(`${base}`);
      expect((await client.signIn(pair)).status).toBe(200);
      clients[name as keyof typeof pairs] = client;
    }
    const creatorId = u8aToHex(decodeAddress(pairs.creator.address));
    streamId = (await store.create({ title: 'Recorded', category: 'tech', creatorId, recording: true }))!.stream.id;
    await store.markLive(streamId);
    const recording = await recordings.open(streamId);
    recordingId = recording.id;
    // Two runs of the publisher with a reconnect between them: 8 s, then 6 s.
    await writePart(path.join(dir, recordingId, `part-${(1_000_000).toString(36)}`), 8);
    await writePart(path.join(dir, recordingId, `part-${(2_000_000).toString(36)}`), 6);
  }, 120_000);

  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await handle?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('opens one recording per live stream, however often it is asked', async () => {
    expect((await recordings.open(streamId)).id).toBe(recordingId);
    expect((await Promise.all([recordings.open(streamId), recordings.open(streamId)])).map((r) => r.id)).toEqual([recordingId, recordingId]);
  });

  it('serves nothing of a recording until it is a VOD', async () => {
    expect((await call(null, `/api/v1/recordings/${recordingId}`)).body.recording).toMatchObject({ status: 'recording', playlist: null });
    expect((await call(null, `/media/recordings/${recordingId}/part-lfls/init.mp4`)).status).toBe(404);
    expect((await call('viewer', `/api/v1/recordings/${recordingId}/clips`, { method: 'POST', body: { startMs: 0, endMs: 5000 } })).status).toBe(409);
  });

  it('finalizes the parts into a VOD: a playlist with a gap marker, its duration, a thumbnail and previews', async () => {
    await lifecycle.finalize((await recordings.get(recordingId))!);
    const { recording } = (await call(null, `/api/v1/recordings/${recordingId}`)).body;
    expect(recording).toMatchObject({ status: 'ready', parts: 2, creator: pairs.creator.address, preview: { interval: 2, count: 7, columns: 7, rows: 1 } });
    expect(Math.abs(recording.durationMs - 14_000)).toBeLessThan(200);
    const playlist = await call(null, recording.playlist);
    expect(playlist.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(playlist.body.match(/#EXT-X-DISCONTINUITY/g)).toHaveLength(1);
    expect(playlist.body.match(/#EXT-X-MAP/g)).toHaveLength(2);
    for (const still of [recording.thumbnail, recording.preview.sprite]) expect((await call(null, still)).headers.get('content-type')).toBe('image/jpeg');
    expect((await call(null, `/api/v1/recordings?creator=${pairs.creator.address}`)).body.recordings.map((r: { id: string }) => r.id)).toEqual([recordingId]);
    // Finalizing twice does nothing the second time.
    await lifecycle.finalize((await recordings.get(recordingId))!);
  });

  it('serves only the VOD\'s own files, with byte ranges', async () => {
    const init = await call(null, `/media/recordings/${recordingId}/part-${(1_000_000).toString(36)}/init.mp4`);
    expect(init.status).toBe(200);
    const res = await fetch(`${base}/media/recordings/${recordingId}/part-${(1_000_000).toString(36)}/seg00000.m4s`, { headers: { range: 'bytes=0-9' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toMatch(/^bytes 0-9\/\d+$/);
    for (const probe of ['input.sdp', 'part-x/index.m3u8', '..%2F..%2Fetc%2Fpasswd', 'part-lfls/..%2F..%2Fvod.m3u8']) {
      const r = await call(null, `/media/recordings/${recordingId}/${probe}`);
      expect(r.status, probe).toBe(404);
      expect(r.body.error.code).toBe('not_found');
    }
  });

  it('cuts a clip from a range without re-encoding, within a keyframe interval of what was asked', async () => {
    expect((await call(null, `/api/v1/recordings/${recordingId}/clips`, { method: 'POST', body: { startMs: 0, endMs: 5000 } })).status).toBe(401);
    expect((await call('viewer', `/api/v1/recordings/${recordingId}/clips`, { method: 'POST', body: { startMs: 5000, endMs: 1000 } })).status).toBe(400);
    expect((await call('viewer', `/api/v1/recordings/${recordingId}/clips`, { method: 'POST', body: { startMs: 0, endMs: 90_000 } })).status).toBe(400);
    expect((await call('viewer', `/api/v1/recordings/${recordingId}/clips`, { method: 'POST', body: { startMs: 60_000, endMs: 70_000 } })).status).toBe(422);
    const made = await call('viewer', `/api/v1/recordings/${recordingId}/clips`, { method: 'POST', body: { startMs: 3000, endMs: 7000, title: 'The good bit' } });
    expect(made.status).toBe(201);
    expect(made.body.clip).toMatchObject({ title: 'The good bit', recordingId, streamId, startMs: 3000, requestedMs: 4000 });
    expect(Math.abs(made.body.clip.durationMs - 4000)).toBeLessThanOrEqual(2000);
    const file = await fetch(`${base}${made.body.clip.url}`);
    expect(file.headers.get('content-type')).toBe('video/mp4');
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', '-i', path.join(dir, 'clips', `${made.body.clip.id}.mp4`)]);
    expect(stdout.trim().split('\n').sort()).toEqual(['h264', 'opus']);
    // A range across the gap stays in the part that holds most of it.
    const across = await call('viewer', `/api/v1/recordings/${recordingId}/clips`, { method: 'POST', body: { startMs: 7000, endMs: 12_000 } });
    expect(across.body.clip).toMatchObject({ startMs: 8000, requestedMs: 4000 });
    // Three an hour, then a clear refusal.
    expect((await call('viewer', `/api/v1/recordings/${recordingId}/clips`, { method: 'POST', body: { startMs: 0, endMs: 2000 } })).status).toBe(201);
    const limited = await call('viewer', `/api/v1/recordings/${recordingId}/clips`, { method: 'POST', body: { startMs: 0, endMs: 2000 } });
    expect(limited.status).toBe(429);
    expect(limited.body.error.message).toMatch(/3 clips an hour/);
  });

  it('lets only its creator delete a VOD; its media goes, its clips stay', async () => {
    const { clips } = (await call(null, `/api/v1/recordings/${recordingId}`)).body;
    expect(clips).toHaveLength(3);
    expect((await call(null, `/api/v1/recordings/${recordingId}`, { method: 'DELETE' })).status).toBe(401);
    expect((await call('viewer', `/api/v1/recordings/${recordingId}`, { method: 'DELETE' })).status).toBe(403);
    expect((await call('creator', `/api/v1/recordings/${recordingId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(null, `/api/v1/recordings/${recordingId}`)).status).toBe(404);
    expect(await readdir(dir)).toEqual(['clips']);
    const clip = await call(null, `/api/v1/clips/${clips[0].id}`);
    expect(clip.body.clip.recordingId).toBeNull();
    expect((await fetch(`${base}${clip.body.clip.url}`)).status).toBe(200);
  });
});
