import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { HttpError } from '../http/errors.ts';
import type { RecordingStorage } from './RecordingStorage.ts';
import type { ClipRecord, RecordingRecord, RecordingStore } from './RecordingStore.ts';
import type { VodMedia } from './VodMedia.ts';
import { clipSource, totalSeconds, type RecordedPart } from './vodPlaylist.ts';

export interface ClipsDeps {
  recordings: RecordingStore;
  storage: RecordingStorage;
  media: VodMedia;
  parts(recordingId: string): Promise<RecordedPart[]>;
  /** Clips one account may cut per hour. */
  clipsPerHour: number;
}

export const MAX_CLIP_SECONDS = 60;

/** Clips: a range of a recording, live or finished, cut without re-encoding into an MP4. */
export class Clips {
  readonly #d: ClipsDeps;
  /** One cut at a time per account, so a burst cannot run many ffmpegs at once. */
  readonly #cutting = new Set<string>();

  constructor(deps: ClipsDeps) {
    this.#d = deps;
  }

  /** The last `seconds` of a live stream's recording so far. */
  async fromLive(recording: RecordingRecord, seconds: number, title: string, accountId: string): Promise<ClipRecord> {
    const parts = await this.#d.parts(recording.id);
    const total = totalSeconds(parts);
    if (total < 1) throw new HttpError(409, 'conflict', 'nothing has been recorded yet: try again in a few seconds');
    return this.#cut(recording, parts, Math.max(0, total - seconds), total, title, accountId);
  }

  async fromRecording(recording: RecordingRecord, startS: number, endS: number, title: string, accountId: string): Promise<ClipRecord> {
    return this.#cut(recording, undefined, startS, endS, title, accountId);
  }

  /** `parts` when the caller already read them; the checks come before any reading. */
  async #cut(recording: RecordingRecord, known: RecordedPart[] | undefined, startS: number, endS: number, title: string, accountId: string): Promise<ClipRecord> {
    if (!(endS > startS) || endS - startS > MAX_CLIP_SECONDS) throw new HttpError(400, 'bad_request', `a clip is 1 to ${MAX_CLIP_SECONDS} seconds long`);
    if (this.#cutting.has(accountId)) throw new HttpError(429, 'rate_limited', 'one clip at a time');
    if ((await this.#d.recordings.clipCount(accountId, new Date(Date.now() - 3_600_000))) >= this.#d.clipsPerHour) {
      throw new HttpError(429, 'rate_limited', `at most ${this.#d.clipsPerHour} clips an hour`);
    }
    const parts = known ?? (await this.#d.parts(recording.id));
    const source = clipSource(parts, startS, endS);
    if (!source || source.segments.length === 0) throw new HttpError(422, 'bad_request', 'the range is not in the recording');
    this.#cutting.add(accountId);
    try {
      const { storage } = this.#d;
      const files = {
        init: await storage.localPath(`${recording.id}/${source.part.init}`),
        segments: await Promise.all(source.segments.map((s) => storage.localPath(`${recording.id}/${s.uri}`))),
      };
      const id = randomUUID();
      const out = path.join(os.tmpdir(), `vilo-clip-${id}.mp4`);
      const seconds = await this.#d.media.clip(source, files, out);
      await storage.putFile(`clips/${id}.mp4`, out);
      return await this.#d.recordings.addClip({
        id,
        recordingId: recording.id,
        streamId: recording.streamId,
        title,
        startMs: source.startS * 1000,
        requestedMs: source.lengthS * 1000,
        durationMs: seconds * 1000,
        createdBy: accountId,
      });
    } finally {
      this.#cutting.delete(accountId);
    }
  }
}
