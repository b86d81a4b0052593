// Recordings, VODs and clips as the REST API shows them.
import { z } from 'zod';

export interface PreviewView {
  /** The sprite of seek-bar previews: one frame every `interval` seconds, `columns` across. */
  sprite: string;
  interval: number;
  columns: number;
  rows: number;
  width: number;
  height: number;
  count: number;
}

export interface RecordingView {
  id: string;
  streamId: string;
  title: string;
  category: string;
  /** SS58 address of the creator. */
  creator: string | null;
  status: 'recording' | 'processing' | 'ready' | 'failed';
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  /** Parts the publisher's connection split it into; gaps between them are marked. */
  parts: number;
  playlist: string | null;
  thumbnail: string | null;
  preview: PreviewView | null;
  error: string | null;
}

export interface ClipView {
  id: string;
  streamId: string;
  recordingId: string | null;
  title: string;
  creator: string | null;
  /** Where the clip starts in its recording, what was asked for, and what the keyframes gave. */
  startMs: number;
  requestedMs: number;
  durationMs: number | null;
  createdAt: string;
  url: string;
}

const Title = z.string().trim().min(1).max(140);

/** A range of a VOD, in milliseconds from its start. */
export const ClipRangeRequest = z.object({ startMs: z.number().int().min(0).max(1e9), endMs: z.number().int().min(1).max(1e9), title: Title.optional() });
/** The last `seconds` of a live stream. */
export const LiveClipRequest = z.object({ seconds: z.number().int().min(5).max(60).default(30), title: Title.optional() });
