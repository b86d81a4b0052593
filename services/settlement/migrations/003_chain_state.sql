-- What the chain-facing jobs must remember across restarts.

-- Scan positions: the next block to read. deposits:<escrow> moves only after every deposit
-- before it is credited; reconciler:escrow:<escrow> only over blocks the reconciler found clean.
CREATE TABLE chain_cursors (
  name       text PRIMARY KEY,
  next_block bigint NOT NULL CHECK (next_block >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The escrow address's free balance at the block from which the ledger accounts for it. The
-- reconciler's equation starts here: everything the address held before (the platform's own
-- funding, deposits credited before this block) is in `balance`.
CREATE TABLE escrow_openings (
  -- 0x account id of the escrow.
  escrow       text PRIMARY KEY,
  block_number bigint NOT NULL,
  block_hash   text NOT NULL,
  balance      numeric(39, 0) NOT NULL CHECK (balance >= 0),
  recorded_at  timestamptz NOT NULL DEFAULT now()
);

-- Transfers into escrow without a usable memo: on chain, so the reconciler counts them, but
-- credited to nobody until ops assign them (Ledger.creditDeposit with the same chain_id).
CREATE TABLE unassigned_deposits (
  chain_id     text PRIMARY KEY CHECK (char_length(chain_id) BETWEEN 1 AND 200),
  sender       text NOT NULL,
  amount       numeric(39, 0) NOT NULL CHECK (amount > 0),
  memo         text,
  block_number bigint NOT NULL,
  seen_at      timestamptz NOT NULL DEFAULT now()
);

-- At most one signed extrinsic per payout batch, ever: the row is written (by the holder of the
-- submitter lock) before the extrinsic is signed, so after a crash the batch is resolved on
-- chain from from_block instead of being sent again. extrinsic_hash and death_block arrive
-- once it is signed; without them, resolving waits a whole era.
CREATE TABLE payout_attempts (
  batch_id       text PRIMARY KEY REFERENCES payout_batches (id),
  from_block     bigint NOT NULL,
  extrinsic_hash text,
  death_block    bigint,
  created_at     timestamptz NOT NULL DEFAULT now()
);
