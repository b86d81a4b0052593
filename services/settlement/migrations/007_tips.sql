-- Tips: a viewer gives a creator part of their prepaid balance, with a message, in chat. A tip is
-- money like a watched window: one ledger txn (viewer −amount, creator +⌊90 %⌋, platform +rest),
-- exactly once per tip_id, within the viewer's spending caps, paid out in the creator's next
-- batch as a Merkle leaf of its own (sessionId 'tip:<tip_id>', window 0), so verify-proof checks
-- it like a window.

ALTER TABLE ledger_txns DROP CONSTRAINT ledger_txns_kind_check;
ALTER TABLE ledger_txns ADD CONSTRAINT ledger_txns_kind_check CHECK (kind IN ('watch', 'deposit', 'payout', 'withdrawal', 'tip'));

CREATE TABLE tips (
  -- Chosen by the client once per tip: the primary key is what makes a retried request pay once.
  tip_id          uuid PRIMARY KEY,
  viewer          text NOT NULL,
  creator         text NOT NULL,
  -- No foreign key: settlement's migrations run before signaling creates streams.
  stream          uuid NOT NULL,
  amount          numeric(39, 0) NOT NULL CHECK (amount > 0),
  creator_share   numeric(39, 0) NOT NULL,
  platform_share  numeric(39, 0) NOT NULL,
  message         text NOT NULL DEFAULT '' CHECK (char_length(message) <= 200),
  txn_id          bigint NOT NULL UNIQUE REFERENCES ledger_txns (id),
  -- The payout batch that pays this tip's creator share; cleared if that batch fails.
  payout_batch_id text REFERENCES payout_batches (id),
  created_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT tips_not_to_self CHECK (viewer <> creator),
  -- The same split as settled_windows_split: div() truncates, the platform takes the remainder.
  CONSTRAINT tips_split CHECK (
    creator_share = div(amount * 90, 100) AND platform_share = amount - creator_share)
);
CREATE INDEX tips_creator_idx ON tips (creator, created_at DESC, tip_id DESC);
CREATE INDEX tips_viewer_idx ON tips (viewer, created_at DESC, tip_id DESC);
CREATE INDEX tips_unpaid_idx ON tips (creator) WHERE payout_batch_id IS NULL AND creator_share > 0;
CREATE INDEX tips_batch_idx ON tips (payout_batch_id) WHERE payout_batch_id IS NOT NULL;
