-- Pay-per-second settlement ledger. Money is planck in numeric(39,0): every u128 fits, and no
-- float ever touches it. The database enforces the invariants itself, so a bug in one code
-- path cannot break them silently:
--   * every ledger txn's entries sum to zero (checked per INSERT statement, so a txn's entries
--     are always written in one statement);
--   * ledger_accounts.balance is maintained only by the entries trigger, so it always equals
--     the sum of the account's entries;
--   * entries are append-only;
--   * no account but escrow can go negative;
--   * a settled window's money obeys seconds × price and the 90/10 split with the remainder
--     to the platform.

CREATE TABLE accounts (
  id             text PRIMARY KEY CHECK (char_length(id) BETWEEN 1 AND 128),
  -- SS58 address creator payouts go to; a creator without one accrues but is not paid out.
  payout_address text,
  created_at     timestamptz NOT NULL DEFAULT now()
);

-- viewer:<id> (prepaid balance), creator:<id> (earned, not yet in a payout),
-- payout_pending:<id> (in a payout batch not yet final), platform (fees), escrow.
-- escrow is the contra account of on-chain money: its balance is minus what the escrow
-- address holds on the ledger's behalf, which is what lets all entries sum to zero.
CREATE TABLE ledger_accounts (
  id      text PRIMARY KEY,
  kind    text NOT NULL CHECK (kind IN ('viewer', 'creator', 'payout_pending', 'platform', 'escrow')),
  owner   text REFERENCES accounts (id),
  balance numeric(39, 0) NOT NULL DEFAULT 0,
  CONSTRAINT ledger_accounts_no_overdraft CHECK (kind = 'escrow' OR balance >= 0),
  CONSTRAINT ledger_accounts_owner CHECK ((kind IN ('platform', 'escrow')) = (owner IS NULL))
);
INSERT INTO ledger_accounts (id, kind) VALUES ('platform', 'platform'), ('escrow', 'escrow');

CREATE TABLE ledger_txns (
  id              bigserial PRIMARY KEY,
  kind            text NOT NULL CHECK (kind IN ('watch', 'deposit', 'payout')),
  idempotency_key text NOT NULL UNIQUE,
  memo            text,
  created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ledger_entries (
  id         bigserial PRIMARY KEY,
  txn_id     bigint NOT NULL REFERENCES ledger_txns (id),
  account    text NOT NULL REFERENCES ledger_accounts (id),
  -- Signed: a positive amount raises the account's balance.
  amount     numeric(39, 0) NOT NULL CHECK (amount <> 0),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_entries_account_idx ON ledger_entries (account, id);
CREATE INDEX ledger_entries_txn_idx ON ledger_entries (txn_id);

-- The planner knows nothing about a transition table, and may hash-join it against every
-- ledger account; the settings keep the balance update to one index probe per account.
CREATE FUNCTION ledger_entries_post() RETURNS trigger LANGUAGE plpgsql
  SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off AS $$
DECLARE
  bad bigint;
BEGIN
  SELECT txn_id INTO bad FROM new_entries GROUP BY txn_id HAVING sum(amount) <> 0 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger txn % does not balance', bad USING ERRCODE = 'check_violation';
  END IF;
  UPDATE ledger_accounts a SET balance = a.balance + d.delta
    FROM (SELECT account, sum(amount) AS delta FROM new_entries GROUP BY account) d
    WHERE a.id = d.account;
  RETURN NULL;
END $$;

CREATE TRIGGER ledger_entries_post AFTER INSERT ON ledger_entries
  REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_post();

CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger entries are append-only';
END $$;

CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_append_only();

CREATE TABLE payout_batches (
  -- Also the on-chain batch id in the payout memo.
  id              text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9._-]{1,80}$'),
  idempotency_key text NOT NULL UNIQUE,
  status          text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'submitted', 'finalized', 'failed', 'expired')),
  total           numeric(39, 0) NOT NULL CHECK (total > 0),
  window_count    integer NOT NULL,
  merkle_root     text,
  tx_hash         text,
  block_hash      text,
  block_number    bigint,
  -- Planck the escrow signer paid for the extrinsic (informational; not a ledger entry).
  fee             numeric(39, 0),
  error           text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  submitted_at    timestamptz,
  settled_at      timestamptz
);
CREATE INDEX payout_batches_open_idx ON payout_batches (created_at) WHERE status IN ('pending', 'submitted');

CREATE TABLE payout_items (
  batch_id text NOT NULL REFERENCES payout_batches (id),
  creator  text NOT NULL REFERENCES accounts (id),
  address  text NOT NULL,
  amount   numeric(39, 0) NOT NULL CHECK (amount > 0),
  PRIMARY KEY (batch_id, creator)
);
CREATE INDEX payout_items_creator_idx ON payout_items (creator);

-- One row per (session, window) ever settled: the primary key is what makes settlement
-- exactly-once. seconds = distinct seconds media flowed; billed_seconds < seconds only when
-- the viewer ran out of balance.
CREATE TABLE settled_windows (
  session_id      uuid NOT NULL,
  "window"        bigint NOT NULL CHECK ("window" >= 0),
  viewer          text NOT NULL,
  creator         text NOT NULL,
  stream          text NOT NULL,
  price           numeric(39, 0) NOT NULL CHECK (price >= 0),
  seconds         integer NOT NULL CHECK (seconds >= 0),
  billed_seconds  integer NOT NULL CHECK (billed_seconds BETWEEN 0 AND seconds),
  amount          numeric(39, 0) NOT NULL,
  creator_amount  numeric(39, 0) NOT NULL,
  platform_amount numeric(39, 0) NOT NULL,
  -- No foreign keys on these two: per-row FK triggers cost as much as the insert itself, on
  -- the hottest table. The ledger writes them in the transaction that creates the referenced
  -- row, and auditLedger() checks them.
  txn_id          bigint,
  -- The payout batch that pays this window's creator share; cleared if that batch fails.
  payout_batch_id text,
  settled_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (session_id, "window"),
  CONSTRAINT settled_windows_amount CHECK (amount = billed_seconds * price),
  -- div() truncates; `/` on numeric rounds at a scale that shrinks as amounts grow.
  CONSTRAINT settled_windows_split CHECK (
    creator_amount = div(amount * 90, 100) AND platform_amount = amount - creator_amount)
);
CREATE INDEX settled_windows_unpaid_idx ON settled_windows (creator)
  WHERE payout_batch_id IS NULL AND creator_amount > 0;
CREATE INDEX settled_windows_batch_idx ON settled_windows (payout_batch_id)
  WHERE payout_batch_id IS NOT NULL;

-- chain_id identifies one transfer into escrow on chain (e.g. blockHash:extrinsicIndex), so a
-- deposit delivered twice is credited once.
CREATE TABLE deposits (
  chain_id     text PRIMARY KEY CHECK (char_length(chain_id) BETWEEN 1 AND 200),
  account      text NOT NULL REFERENCES accounts (id),
  amount       numeric(39, 0) NOT NULL CHECK (amount > 0),
  block_number bigint,
  txn_id       bigint NOT NULL REFERENCES ledger_txns (id),
  credited_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deposits_account_idx ON deposits (account);
