-- Reads behind the creator dashboard (GET /api/me/earnings), which polls every few seconds:
-- a creator's settled windows, all of them per stream and the recent ones by settle time.
-- settlement's own indexes on settled_windows cover only unpaid and batched windows, so
-- without this each poll would scan the whole, ever-growing table.
--
-- It runs after settlement's migrations (signaling's Database opens those first), so the
-- table exists. Cost: one more btree entry per settled window on settlement's hot insert.
-- A plain CREATE INDEX blocks settlement's writes while it builds; on a large existing
-- database create it CONCURRENTLY by hand first, and this statement is then a no-op.
CREATE INDEX IF NOT EXISTS settled_windows_creator_time_idx ON settled_windows (creator, settled_at);
