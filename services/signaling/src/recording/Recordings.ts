import type { Logger } from 'pino';
import type { Fleet } from '../fleet/Fleet.ts';
import type { StreamRoutes } from '../fleet/StreamRoutes.ts';
import type { StreamStore } from '../StreamStore.ts';
import type { StreamHub } from '../ws/StreamHub.ts';
import type { RecordingStorage } from './RecordingStorage.ts';
import type { RecordingRecord, RecordingStore } from './RecordingStore.ts';
import type { VodMedia } from './VodMedia.ts';
import { clipSource, orderParts, parsePartPlaylist, totalSeconds, vodPlaylist, type RecordedPart } from './vodPlaylist.ts';

export interface RecordingsDeps {
  store: StreamStore;
  recordings: RecordingStore;
  storage: RecordingStorage;
  media: VodMedia;
  fleet: Fleet;
  routes: StreamRoutes;
  log: Logger;
}

/**
 * Recording's lifecycle, driven by the stream's: the first producer ready on an origin opens
 * the stream's recording there (and a new origin after a loss picks the same recording up),
 * the stream's end stops it, and the parts on storage become a VOD.
 */
export class Recordings {
  readonly #d: RecordingsDeps;
  readonly #log: Logger;
  /** Finalizations under way, so close() and tests can wait for them. */
  readonly #finishing = new Set<Promise<void>>();

  constructor(deps: RecordingsDeps) {
    this.#d = deps;
    this.#log = deps.log.child({ component: 'recordings' });
  }

  attach(hub: StreamHub): void {
    // Edges announce piped producers too; only the origin records.
    this.#d.routes.on('producerready', ({ streamId, nodeId }) => {
      if (this.#d.routes.view(streamId)?.origin === nodeId) void this.#ensure(streamId, nodeId);
    });
    hub.onStreamEnding((streamId) => this.#track(this.#end(streamId)));
  }

  /** Waits for every VOD being finalized. */
  async settled(): Promise<void> {
    while (this.#finishing.size > 0) await Promise.allSettled([...this.#finishing]);
  }

  async #ensure(streamId: string, nodeId: string): Promise<void> {
    try {
      const stream = await this.#d.store.get(streamId);
      if (!stream?.recording || stream.status !== 'live') return;
      const recording = await this.#d.recordings.open(streamId);
      await this.#d.fleet.control(nodeId)?.startRecording(streamId, recording.id);
    } catch (err) {
      this.#log.error({ err, streamId, nodeId }, 'could not start recording');
    }
  }

  #track(work: Promise<void>): void {
    this.#finishing.add(work);
    void work.finally(() => this.#finishing.delete(work));
  }

  async #end(streamId: string): Promise<void> {
    // Asked before anything awaits: the route, and so the origin's recorder, is still there.
    const origin = this.#d.routes.view(streamId)?.origin;
    const stopped = origin ? this.#d.fleet.control(origin)?.stopRecording(streamId) : undefined;
    try {
      await stopped;
    } catch (err) {
      this.#log.warn({ err, streamId }, 'the origin could not stop the recording; finalizing what it wrote');
    }
    const recording = await this.#d.recordings.current(streamId);
    if (recording) await this.finalize(recording);
  }

  /** Turns a stopped recording's parts into a VOD: playlist, duration, thumbnail, previews. */
  async finalize(recording: RecordingRecord): Promise<void> {
    if (!(await this.#d.recordings.markProcessing(recording.id))) return;
    const log = this.#log.child({ recordingId: recording.id });
    try {
      const parts = await this.parts(recording.id);
      const seconds = totalSeconds(parts);
      if (seconds <= 0) throw new Error('nothing was recorded (no video in a codec that can be recorded reached the origin)');
      const { storage, media } = this.#d;
      await storage.write(`${recording.id}/vod.m3u8`, vodPlaylist(parts, true));
      const playlist = await storage.localPath(`${recording.id}/vod.m3u8`);
      const still = clipSource(parts, Math.min(seconds / 3, 10), Math.min(seconds / 3, 10) + 0.1);
      if (!still?.segments[0]) throw new Error('no segment to take a thumbnail from');
      const files = { init: await storage.localPath(`${recording.id}/${still.part.init}`), segment: await storage.localPath(`${recording.id}/${still.segments[0].uri}`) };
      await media.thumbnail(files, await storage.localPath(`${recording.id}/thumb.jpg`));
      const preview = await media.previewSprite(playlist, seconds, await storage.localPath(`${recording.id}/sprite.jpg`));
      await this.#d.recordings.markReady(recording.id, seconds * 1000, parts.filter((p) => p.segments.length > 0).length, preview);
      log.info({ seconds: Math.round(seconds), parts: parts.length }, 'VOD ready');
    } catch (err) {
      log.error({ err }, 'VOD could not be made');
      await this.#d.recordings.markFailed(recording.id, (err as Error).message);
    }
  }

  /** The parts on storage, in order; a part whose playlist cannot be read is left out. */
  async parts(recordingId: string): Promise<RecordedPart[]> {
    const parts: RecordedPart[] = [];
    for (const name of orderParts(await this.#d.storage.list(recordingId))) {
      const text = await this.#d.storage.readText(`${recordingId}/${name}/index.m3u8`);
      if (!text) continue;
      try {
        parts.push(parsePartPlaylist(name, text));
      } catch (err) {
        this.#log.warn({ err, recordingId, part: name }, 'part playlist unreadable');
      }
    }
    return parts;
  }

  /** Deletes a VOD's media and its row; clips cut from it stay. */
  async delete(recording: RecordingRecord): Promise<void> {
    await this.#d.recordings.delete(recording.id);
    await this.#d.storage.remove(recording.id);
  }
}
