-- A watched second is billed once per viewer and stream, however many sessions ticked it: a
-- second tab, or a reconnect to another signaling replica while the old session's transport
-- still receives (and ticks) until its PeerConnection closes. settled_windows keeps a session's
-- window from being settled twice; this table keeps two sessions from paying the same second.
--
-- The seconds billed so far per (viewer, stream), as one bit mask per 64-second bucket of unix
-- time: bit b of bucket k is second 64k + b (bit 63 makes the bigint negative). Fixed buckets
-- rather than windows, so any W fits and the rule still holds across a change of W. Only the
-- watch transaction writes it, under the viewer's ledger row lock, in the same transaction as
-- the windows whose seconds it records.
CREATE TABLE billed_watch_seconds (
  viewer text NOT NULL,
  stream text NOT NULL,
  bucket bigint NOT NULL CHECK (bucket >= 0),
  mask   bigint NOT NULL CHECK (mask <> 0),
  PRIMARY KEY (viewer, stream, bucket)
);

-- Seconds of the window some other session of the viewer on the stream had already paid for:
-- billed_seconds < seconds - shared_seconds only when the balance (or a spending cap) ran out.
-- NULL: the window's seconds were not known (settled before this migration, or given as a
-- count only), so it was not checked against other sessions.
ALTER TABLE settled_windows
  ADD COLUMN shared_seconds integer CHECK (shared_seconds >= 0),
  ADD CONSTRAINT settled_windows_shared CHECK (billed_seconds + coalesce(shared_seconds, 0) <= seconds);
