import { randomUUID } from 'node:crypto';
import type { PreviewView } from '@vilokanam/contracts/recording';
import type { Database } from '../db/Database.ts';

export type RecordingStatus = 'recording' | 'processing' | 'ready' | 'failed';

/** Seek-bar previews as stored: the view adds the sprite's address. */
export type Preview = Omit<PreviewView, 'sprite'>;

export interface RecordingRecord {
  id: string;
  streamId: string;
  status: RecordingStatus;
  startedAt: Date;
  endedAt: Date | null;
  durationMs: number | null;
  parts: number;
  preview: Preview | null;
  error: string | null;
  title: string;
  category: string;
  creatorId: string | null;
  creatorAddress: string | null;
}

export interface ClipRecord {
  id: string;
  recordingId: string | null;
  streamId: string;
  title: string;
  startMs: number;
  requestedMs: number;
  durationMs: number | null;
  createdBy: string | null;
  createdAt: Date;
  creatorAddress: string | null;
}

interface RecordingRow {
  id: string; stream_id: string; status: RecordingStatus; started_at: Date; ended_at: Date | null;
  duration_ms: number | null; parts: number; preview: Preview | string | null; error: string | null;
  title: string; category: string; creator_id: string | null; creator_address: string | null;
}

const RECORDING = `r.id, r.stream_id, r.status, r.started_at, r.ended_at, r.duration_ms, r.parts, r.preview, r.error,
  s.title, s.category, s.creator_id, (SELECT address FROM user_accounts u WHERE u.id = s.creator_id) AS creator_address`;

function toRecording(r: RecordingRow): RecordingRecord {
  return {
    id: r.id, streamId: r.stream_id, status: r.status, startedAt: new Date(r.started_at),
    endedAt: r.ended_at ? new Date(r.ended_at) : null, durationMs: r.duration_ms, parts: r.parts,
    preview: typeof r.preview === 'string' ? (JSON.parse(r.preview) as Preview) : r.preview, error: r.error,
    title: r.title, category: r.category, creatorId: r.creator_id, creatorAddress: r.creator_address,
  };
}

interface ClipRow {
  id: string; recording_id: string | null; stream_id: string; title: string; start_ms: number; requested_ms: number;
  duration_ms: number | null; created_by: string | null; created_at: Date; creator_address: string | null;
}

function toClip(r: ClipRow): ClipRecord {
  return {
    id: r.id, recordingId: r.recording_id, streamId: r.stream_id, title: r.title, startMs: r.start_ms, requestedMs: r.requested_ms,
    durationMs: r.duration_ms, createdBy: r.created_by, createdAt: new Date(r.created_at), creatorAddress: r.creator_address,
  };
}

/** Recordings and clips in the system of record. */
export class RecordingStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** The stream's recording in progress, opened now if there is none (at most one: an index). */
  async open(streamId: string): Promise<RecordingRecord> {
    await this.#db.query(
      `INSERT INTO recordings (id, stream_id) VALUES ($1, $2) ON CONFLICT (stream_id) WHERE status = 'recording' DO NOTHING`,
      [randomUUID(), streamId],
    );
    const [row] = await this.#db.query<RecordingRow>(
      `SELECT ${RECORDING} FROM recordings r JOIN streams s ON s.id = r.stream_id WHERE r.stream_id = $1 AND r.status = 'recording'`,
      [streamId],
    );
    return toRecording(row!);
  }

  async current(streamId: string): Promise<RecordingRecord | undefined> {
    const [row] = await this.#db.query<RecordingRow>(
      `SELECT ${RECORDING} FROM recordings r JOIN streams s ON s.id = r.stream_id WHERE r.stream_id = $1 AND r.status = 'recording'`,
      [streamId],
    );
    return row && toRecording(row);
  }

  async get(id: string): Promise<RecordingRecord | undefined> {
    const [row] = await this.#db.query<RecordingRow>(`SELECT ${RECORDING} FROM recordings r JOIN streams s ON s.id = r.stream_id WHERE r.id = $1`, [id]);
    return row && toRecording(row);
  }

  /** Only the one caller that moves it out of `recording` finalizes it. */
  async markProcessing(id: string): Promise<boolean> {
    const rows = await this.#db.query(`UPDATE recordings SET status = 'processing', ended_at = now() WHERE id = $1 AND status = 'recording' RETURNING id`, [id]);
    return rows.length === 1;
  }

  async markReady(id: string, durationMs: number, parts: number, preview: Preview | null): Promise<void> {
    await this.#db.query(`UPDATE recordings SET status = 'ready', duration_ms = $2, parts = $3, preview = $4 WHERE id = $1`, [id, Math.round(durationMs), parts, preview && JSON.stringify(preview)]);
  }

  async markFailed(id: string, error: string): Promise<void> {
    await this.#db.query(`UPDATE recordings SET status = 'failed', error = $2 WHERE id = $1`, [id, error.slice(0, 500)]);
  }

  /** A creator's past streams, newest first: every VOD that can be played. */
  async byCreator(creatorAddress: string, limit = 50): Promise<RecordingRecord[]> {
    const rows = await this.#db.query<RecordingRow>(
      `SELECT ${RECORDING} FROM recordings r JOIN streams s ON s.id = r.stream_id
       WHERE s.creator_id = (SELECT id FROM user_accounts WHERE address = $1) AND r.status = 'ready' ORDER BY r.started_at DESC LIMIT $2`,
      [creatorAddress, limit],
    );
    return rows.map(toRecording);
  }

  async delete(id: string): Promise<void> {
    await this.#db.query('DELETE FROM recordings WHERE id = $1', [id]);
  }

  /** `id` names the clip's file, which is stored before the row. */
  async addClip(input: { id: string; recordingId: string; streamId: string; title: string; startMs: number; requestedMs: number; durationMs: number; createdBy: string }): Promise<ClipRecord> {
    const { id } = input;
    await this.#db.query(
      `INSERT INTO clips (id, recording_id, stream_id, title, start_ms, requested_ms, duration_ms, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [id, input.recordingId, input.streamId, input.title, Math.round(input.startMs), Math.round(input.requestedMs), Math.round(input.durationMs), input.createdBy],
    );
    return (await this.clip(id))!;
  }

  async clip(id: string): Promise<ClipRecord | undefined> {
    const [row] = await this.#db.query<ClipRow>(
      `SELECT c.id, c.recording_id, c.stream_id, c.title, c.start_ms, c.requested_ms, c.duration_ms, c.created_by, c.created_at,
         (SELECT address FROM user_accounts u WHERE u.id = s.creator_id) AS creator_address
       FROM clips c JOIN streams s ON s.id = c.stream_id WHERE c.id = $1`,
      [id],
    );
    return row && toClip(row);
  }

  async clipsOf(recordingId: string, limit = 50): Promise<ClipRecord[]> {
    const rows = await this.#db.query<ClipRow>(
      `SELECT c.id, c.recording_id, c.stream_id, c.title, c.start_ms, c.requested_ms, c.duration_ms, c.created_by, c.created_at,
         NULL AS creator_address
       FROM clips c WHERE c.recording_id = $1 ORDER BY c.created_at DESC LIMIT $2`,
      [recordingId, limit],
    );
    return rows.map(toClip);
  }

  /** Clips one account made since `since`: what bounds how fast one person can cut them. */
  async clipCount(accountId: string, since: Date): Promise<number> {
    const [row] = await this.#db.query<{ n: number }>('SELECT count(*)::int AS n FROM clips WHERE created_by = $1 AND created_at > $2', [accountId, since]);
    return row?.n ?? 0;
  }
}
