import { execFile } from 'node:child_process';
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Preview } from './RecordingStore.ts';
import type { ClipSource } from './vodPlaylist.ts';

const run = promisify(execFile);
const PREVIEW = { width: 160, height: 90, columns: 10, maxFrames: 100 };

/** What ffmpeg does to a finished recording: stills, previews and clips, never a transcode of the video itself. */
export class VodMedia {
  readonly #ffmpeg: string;
  readonly #ffprobe: string;

  constructor(tools: { ffmpeg: string; ffprobe: string }) {
    this.#ffmpeg = tools.ffmpeg;
    this.#ffprobe = tools.ffprobe;
  }

  async #ff(args: string[]): Promise<void> {
    await run(this.#ffmpeg, ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args], { maxBuffer: 1 << 20 });
  }

  /**
   * A still, 320 px wide, from the keyframe that starts `segment` (ffmpeg's HLS demuxer does
   * not seek in fragmented MP4, so the segment is read on its own, after its init segment).
   */
  async thumbnail(files: { init: string; segment: string }, out: string): Promise<void> {
    await this.#withJoined([files.init, files.segment], async (joined) => {
      await this.#ff(['-i', joined, '-frames:v', '1', '-vf', 'scale=320:-2', '-q:v', '4', out]);
    });
    if (!(await stat(out).catch(() => undefined))?.size) throw new Error('ffmpeg wrote no thumbnail');
  }

  /** Runs `work` on one fragmented MP4 made of `files` (an init segment, then media segments). */
  async #withJoined<T>(files: string[], work: (joined: string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vilo-vod-'));
    try {
      const joined = path.join(dir, 'source.mp4');
      const fh = await open(joined, 'w');
      try {
        for (const file of files) await fh.write(await readFile(file));
      } finally {
        await fh.close();
      }
      return await work(joined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * The seek bar's preview sprite: a frame every `interval` seconds, tiled. Only keyframes are
   * decoded, so it costs little however long the VOD is.
   */
  async previewSprite(playlist: string, durationS: number, out: string): Promise<Preview> {
    const interval = Math.max(2, Math.ceil(durationS / PREVIEW.maxFrames));
    const count = Math.max(1, Math.min(PREVIEW.maxFrames, Math.ceil(durationS / interval)));
    const columns = Math.min(PREVIEW.columns, count);
    const rows = Math.ceil(count / columns);
    const { width, height } = PREVIEW;
    await this.#ff([
      '-protocol_whitelist', 'file', '-skip_frame', 'nokey', '-i', playlist,
      '-vf', `fps=1/${interval},scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:-1:-1,tile=${columns}x${rows}`,
      '-frames:v', '1', '-q:v', '5', out,
    ]);
    return { interval, columns, rows, width, height, count };
  }

  /**
   * Cuts a clip without re-encoding: the chosen segments joined after their init segment make
   * one fragmented MP4, trimmed with stream copy (so it starts on the keyframe at or before the
   * requested start) into a progressive MP4. Resolves to the clip's duration in seconds.
   */
  async clip(source: ClipSource, files: { init: string; segments: string[] }, out: string): Promise<number> {
    await this.#withJoined([files.init, ...files.segments], async (joined) => {
      await this.#ff(['-ss', source.offsetS.toFixed(3), '-i', joined, '-t', source.lengthS.toFixed(3), '-map', '0', '-c', 'copy', '-movflags', '+faststart', out]);
    });
    return this.duration(out);
  }

  async duration(file: string): Promise<number> {
    const { stdout } = await run(this.#ffprobe, ['-v', 'error', '-show_entries', 'format=duration', '-of', 'default=nw=1:nk=1', file]);
    return Number.parseFloat(stdout.trim());
  }
}
