-- Streams as the platform's system of record; stream keys are stored only as hashes.
CREATE TABLE streams (
  id              uuid PRIMARY KEY,
  title           text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 140),
  category        text NOT NULL CHECK (char_length(category) BETWEEN 1 AND 64),
  status          text NOT NULL DEFAULT 'created' CHECK (status IN ('created', 'live', 'ended')),
  stream_key_hash bytea NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  started_at      timestamptz,
  ended_at        timestamptz
);

CREATE INDEX streams_status_idx ON streams (status, created_at DESC);
