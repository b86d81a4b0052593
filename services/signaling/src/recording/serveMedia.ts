import type { Context } from 'koa';
import { HttpError } from '../http/errors.ts';
import type { RecordingStorage } from './RecordingStorage.ts';

const TYPES: Record<string, string> = {
  m3u8: 'application/vnd.apple.mpegurl',
  mp4: 'video/mp4',
  m4s: 'video/iso.segment',
  jpg: 'image/jpeg',
};

/** Serves one stored file, with byte ranges (players seek MP4 with them). */
export async function serveMedia(ctx: Context, storage: RecordingStorage, key: string, opts: { immutable: boolean }): Promise<void> {
  const ext = key.slice(key.lastIndexOf('.') + 1);
  const type = TYPES[ext];
  if (!type) throw new HttpError(404, 'not_found', 'no such file');
  const size = await storage.size(key);
  if (size === undefined) throw new HttpError(404, 'not_found', 'no such file');
  ctx.set('Accept-Ranges', 'bytes');
  ctx.set('Cache-Control', opts.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  ctx.type = type;
  const range = parseRange(ctx.get('range'), size);
  if (range === 'unsatisfiable') {
    ctx.set('Content-Range', `bytes */${size}`);
    throw new HttpError(416, 'bad_request', 'the range is outside the file');
  }
  const opened = await storage.open(key, range);
  if (!opened) throw new HttpError(404, 'not_found', 'no such file');
  if (range) {
    ctx.status = 206;
    ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
    ctx.length = range.end - range.start + 1;
  } else {
    ctx.status = 200;
    ctx.length = size;
  }
  ctx.body = ctx.method === 'HEAD' ? null : opened.body;
  if (ctx.method === 'HEAD') opened.body.destroy();
}

/** One `bytes=` range, as players send; several ranges are served whole. */
export function parseRange(header: string, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (!Number.isSafeInteger(start) || start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}
