// VODs and clips over /api/v1.
import type { ClipView, RecordingView } from '@vilokanam/contracts/recording';
import { call } from '../api.ts';

export function getRecording(id: string): Promise<{ recording: RecordingView; clips: ClipView[] }> {
  return call(`/recordings/${encodeURIComponent(id)}`);
}

export async function listRecordings(creator: string): Promise<RecordingView[]> {
  return (await call<{ recordings: RecordingView[] }>('/recordings', { query: { creator } })).recordings;
}

export function deleteRecording(id: string): Promise<void> {
  return call(`/recordings/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

export async function clipRecording(id: string, startMs: number, endMs: number): Promise<ClipView> {
  return (await call<{ clip: ClipView }>(`/recordings/${encodeURIComponent(id)}/clips`, { method: 'POST', body: { startMs, endMs } })).clip;
}

/** The last `seconds` of a live stream. */
export async function clipLive(streamId: string, seconds = 30): Promise<ClipView> {
  return (await call<{ clip: ClipView }>(`/streams/${encodeURIComponent(streamId)}/clips`, { method: 'POST', body: { seconds } })).clip;
}

export async function getClip(id: string): Promise<ClipView> {
  return (await call<{ clip: ClipView }>(`/clips/${encodeURIComponent(id)}`)).clip;
}

/** 83.4 s → "1:23"; an hour or more → "1:02:03". */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Where in the preview sprite the frame for `seconds` is, as a CSS background offset. */
export function previewTile(preview: { interval: number; columns: number; count: number; width: number; height: number }, seconds: number): { x: number; y: number } {
  const index = Math.min(preview.count - 1, Math.max(0, Math.floor(seconds / preview.interval)));
  return { x: -(index % preview.columns) * preview.width, y: -Math.floor(index / preview.columns) * preview.height };
}
