-- Recording: a stream with recording on is remuxed on its origin while live; each time it goes
-- live is one recording, which becomes a VOD when the stream ends. Clips are cut from a
-- recording and outlive it (recording_id is cleared when the VOD is deleted).
ALTER TABLE streams ADD COLUMN recording boolean NOT NULL DEFAULT false;

CREATE TABLE recordings (
  id          uuid PRIMARY KEY,
  stream_id   uuid NOT NULL REFERENCES streams (id),
  status      text NOT NULL DEFAULT 'recording' CHECK (status IN ('recording', 'processing', 'ready', 'failed')),
  started_at  timestamptz NOT NULL DEFAULT now(),
  ended_at    timestamptz,
  duration_ms integer CHECK (duration_ms >= 0),
  parts       integer NOT NULL DEFAULT 0,
  -- Seek-bar previews: { "interval": s, "columns": n, "rows": n, "width": px, "height": px }
  preview     jsonb,
  error       text
);
-- One recording in progress per stream: two go-live events cannot open two.
CREATE UNIQUE INDEX recordings_one_open ON recordings (stream_id) WHERE status = 'recording';
CREATE INDEX recordings_stream_idx ON recordings (stream_id, started_at DESC);

CREATE TABLE clips (
  id           uuid PRIMARY KEY,
  recording_id uuid REFERENCES recordings (id) ON DELETE SET NULL,
  stream_id    uuid NOT NULL REFERENCES streams (id),
  title        text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 140),
  start_ms     integer NOT NULL CHECK (start_ms >= 0),
  requested_ms integer NOT NULL CHECK (requested_ms > 0),
  duration_ms  integer CHECK (duration_ms >= 0),
  created_by   text REFERENCES user_accounts (id),
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX clips_stream_idx ON clips (stream_id, created_at DESC);
CREATE INDEX clips_creator_idx ON clips (created_by, created_at DESC);
