-- Outgoing webhooks: a creator registers URLs that are told when they go live. The secret is
-- kept as issued, not hashed: the server needs it to sign every delivery with HMAC-SHA256.
CREATE TABLE webhooks (
  id          uuid PRIMARY KEY,
  creator     text NOT NULL REFERENCES user_accounts (id) ON DELETE CASCADE,
  url         text NOT NULL CHECK (char_length(url) BETWEEN 1 AND 500),
  secret      text NOT NULL CHECK (char_length(secret) = 64),
  last_status text CHECK (last_status IS NULL OR char_length(last_status) <= 64),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_creator_idx ON webhooks (creator, created_at);

-- One delivery per webhook per stream, however many times the stream's start is reported.
-- A replica claims a due row by pushing next_attempt_at past its request's timeout (a lease),
-- so a replica that dies mid-request leaves the row to be retried, not lost.
CREATE TABLE webhook_deliveries (
  id              uuid PRIMARY KEY,
  webhook         uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  stream          uuid NOT NULL REFERENCES streams (id) ON DELETE CASCADE,
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_status     text CHECK (last_status IS NULL OR char_length(last_status) <= 64),
  created_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz,
  UNIQUE (webhook, stream)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_finished_idx ON webhook_deliveries (finished_at) WHERE state <> 'pending';
