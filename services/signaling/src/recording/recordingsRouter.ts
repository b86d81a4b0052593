// VODs and clips over REST, and their media files. Reading is open to anyone; cutting a clip
// needs a sign-in, and deleting a VOD is its creator's alone.
import Router from '@koa/router';
import type Koa from 'koa';
import type { Context } from 'koa';
import { z } from 'zod';
import { ClipRangeRequest, LiveClipRequest, type ClipView, type RecordingView } from '@vilokanam/contracts/recording';
import { HttpError } from '../http/errors.ts';
import { routerMiddleware } from '@vilokanam/contracts/http';
import type { StreamStore } from '../StreamStore.ts';
import type { Clips } from './Clips.ts';
import type { RecordingStorage } from './RecordingStorage.ts';
import type { ClipRecord, RecordingRecord, RecordingStore } from './RecordingStore.ts';
import type { Recordings } from './Recordings.ts';
import { serveMedia } from './serveMedia.ts';

export interface RecordingsRouterDeps {
  store: StreamStore;
  recordings: RecordingStore;
  lifecycle: Recordings;
  clips: Clips;
  storage: RecordingStorage;
}

const Id = z.uuid({ message: 'id must be a UUID' });
const Address = z.string().regex(/^[1-9A-HJ-NP-Za-km-z]{40,64}$/, 'creator must be an SS58 address');
const MEDIA_FILE = /^(vod\.m3u8|thumb\.jpg|sprite\.jpg|part-[0-9a-z]{1,16}\/(init\.mp4|seg\d{5}\.m4s))$/;

export function toRecordingView(r: RecordingRecord): RecordingView {
  const base = `/media/recordings/${r.id}`;
  const ready = r.status === 'ready';
  return {
    id: r.id, streamId: r.streamId, title: r.title, category: r.category, creator: r.creatorAddress, status: r.status,
    startedAt: r.startedAt.toISOString(), endedAt: r.endedAt?.toISOString() ?? null, durationMs: r.durationMs, parts: r.parts,
    playlist: ready ? `${base}/vod.m3u8` : null,
    thumbnail: ready ? `${base}/thumb.jpg` : null,
    preview: ready && r.preview ? { sprite: `${base}/sprite.jpg`, ...r.preview } : null,
    error: r.error,
  };
}

export function toClipView(c: ClipRecord): ClipView {
  return {
    id: c.id, streamId: c.streamId, recordingId: c.recordingId, title: c.title, creator: c.creatorAddress, startMs: c.startMs,
    requestedMs: c.requestedMs, durationMs: c.durationMs, createdAt: c.createdAt.toISOString(), url: `/media/clips/${c.id}.mp4`,
  };
}

class RecordingsApi {
  readonly #d: RecordingsRouterDeps;

  constructor(deps: RecordingsRouterDeps) {
    this.#d = deps;
  }

  list = async (ctx: Context): Promise<void> => {
    const creator = Address.parse(ctx.query.creator);
    ctx.body = { recordings: (await this.#d.recordings.byCreator(creator)).map(toRecordingView) };
  };

  get = async (ctx: Context): Promise<void> => {
    const recording = await this.#recording(ctx);
    ctx.body = { recording: toRecordingView(recording), clips: (await this.#d.recordings.clipsOf(recording.id)).map(toClipView) };
  };

  remove = async (ctx: Context): Promise<void> => {
    const recording = await this.#recording(ctx);
    const account = this.#account(ctx);
    if (recording.creatorId !== account.id) throw new HttpError(403, 'forbidden', 'only the creator can delete this VOD');
    if (recording.status === 'recording' || recording.status === 'processing') throw new HttpError(409, 'conflict', 'the VOD is still being made');
    await this.#d.lifecycle.delete(recording);
    ctx.status = 204;
  };

  clip = async (ctx: Context): Promise<void> => {
    const account = this.#account(ctx);
    const recording = await this.#recording(ctx);
    if (recording.status !== 'ready') throw new HttpError(409, 'conflict', 'the VOD is not ready');
    const input = ClipRangeRequest.parse(ctx.request.body ?? {});
    const clip = await this.#d.clips.fromRecording(recording, input.startMs / 1000, input.endMs / 1000, input.title ?? `Clip of ${recording.title}`, account.id);
    ctx.status = 201;
    ctx.body = { clip: toClipView(clip) };
  };

  liveClip = async (ctx: Context): Promise<void> => {
    const account = this.#account(ctx);
    const id = Id.safeParse(ctx.params.id);
    const stream = id.success ? await this.#d.store.get(id.data) : undefined;
    if (!stream) throw new HttpError(404, 'not_found', 'stream not found');
    const input = LiveClipRequest.parse(ctx.request.body ?? {});
    const recording = stream.status === 'live' && stream.recording ? await this.#d.recordings.current(stream.id) : undefined;
    if (!recording) throw new HttpError(409, 'conflict', 'the stream is not live and recording');
    const clip = await this.#d.clips.fromLive(recording, input.seconds, input.title ?? `Clip of ${stream.title}`, account.id);
    ctx.status = 201;
    ctx.body = { clip: toClipView(clip) };
  };

  getClip = async (ctx: Context): Promise<void> => {
    const id = Id.safeParse(ctx.params.id);
    const clip = id.success ? await this.#d.recordings.clip(id.data) : undefined;
    if (!clip) throw new HttpError(404, 'not_found', 'clip not found');
    ctx.body = { clip: toClipView(clip) };
  };

  recordingFile = async (ctx: Context): Promise<void> => {
    const recording = await this.#recording(ctx);
    const file = ctx.params.part ? `${ctx.params.part}/${ctx.params.file}` : String(ctx.params.file ?? '');
    if (!MEDIA_FILE.test(file) || recording.status !== 'ready') throw new HttpError(404, 'not_found', 'no such file');
    await serveMedia(ctx, this.#d.storage, `${recording.id}/${file}`, { immutable: file !== 'vod.m3u8' });
  };

  clipFile = async (ctx: Context): Promise<void> => {
    const id = Id.safeParse(/^(.+)\.mp4$/.exec(String(ctx.params.file))?.[1]);
    if (!id.success || !(await this.#d.recordings.clip(id.data))) throw new HttpError(404, 'not_found', 'no such clip');
    await serveMedia(ctx, this.#d.storage, `clips/${id.data}.mp4`, { immutable: true });
  };

  async #recording(ctx: Context): Promise<RecordingRecord> {
    const id = Id.safeParse(ctx.params.id);
    const recording = id.success ? await this.#d.recordings.get(id.data) : undefined;
    if (!recording) throw new HttpError(404, 'not_found', 'recording not found');
    return recording;
  }

  #account(ctx: Context): { id: string } {
    const account = ctx.state.account as { id: string } | undefined;
    if (!account) throw new HttpError(401, 'unauthorized', 'sign in first');
    return account;
  }
}

export function recordingsRoutes(deps: RecordingsRouterDeps): Koa.Middleware {
  const api = new RecordingsApi(deps);
  const router = new Router();
  router.get('/api/v1/recordings', api.list);
  router.get('/api/v1/recordings/:id', api.get);
  router.delete('/api/v1/recordings/:id', api.remove);
  router.post('/api/v1/recordings/:id/clips', api.clip);
  router.post('/api/v1/streams/:id/clips', api.liveClip);
  router.get('/api/v1/clips/:id', api.getClip);
  router.get('/media/recordings/:id/:file', api.recordingFile);
  router.get('/media/recordings/:id/:part/:file', api.recordingFile);
  router.get('/media/clips/:file', api.clipFile);
  const routes = routerMiddleware(router);
  return async (ctx, next) => {
    if (!ctx.path.startsWith('/api/v1/recordings') && !ctx.path.startsWith('/api/v1/clips') && !ctx.path.startsWith('/media/') && !/^\/api\/v1\/streams\/[^/]+\/clips$/.test(ctx.path)) return next();
    await routes(ctx, next);
  };
}
