-- A live stream stays live while a signaling replica holds its lease: the replica its
-- publisher is connected to (or waiting for within the publisher grace) renews it every few
-- seconds, and any replica ends a stream whose lease has passed. This replaces ending every
-- live stream at start-up, which made each restart or rolling update end them all.
ALTER TABLE streams ADD COLUMN live_lease_until timestamptz;
ALTER TABLE streams ADD COLUMN live_lease_holder text CHECK (char_length(live_lease_holder) <= 128);
-- Streams live when this runs had no lease: they get a minute for their publisher to return.
UPDATE streams SET live_lease_until = now() + interval '1 minute' WHERE status = 'live';
CREATE INDEX streams_live_lease_idx ON streams (live_lease_until) WHERE status = 'live';
