-- Withdrawals: a viewer takes unspent balance back to an address of theirs, and the platform
-- takes its accrued fee to its treasury. Each is a payout batch of kind 'withdrawal' with one
-- item, so it goes through the one payout submitter (attempt rows, the lock, resolution on
-- chain) and the reconciler's checks exactly as creator payouts do.
--
-- Ledger, per withdrawal of `requested` with `charge` kept for the network fee:
--   reserve:  <source> -requested, withdrawal_pending:<owner> +requested
--   finalize: withdrawal_pending:<owner> -requested, escrow +sent (= total), platform +charge
--   reverse:  withdrawal_pending:<owner> -requested, <source> +requested
-- The escrow signer pays the real fee out of the float, as for payouts; the charge is what the
-- withdrawer paid towards it.

-- The platform's own fee account gets an owner row, so its withdrawal has an owner like any other.
INSERT INTO accounts (id) VALUES ('platform') ON CONFLICT DO NOTHING;

ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_kind_check;
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_kind_check
  CHECK (kind IN ('viewer', 'creator', 'payout_pending', 'withdrawal_pending', 'platform', 'escrow'));

ALTER TABLE ledger_txns DROP CONSTRAINT ledger_txns_kind_check;
ALTER TABLE ledger_txns ADD CONSTRAINT ledger_txns_kind_check CHECK (kind IN ('watch', 'deposit', 'payout', 'withdrawal'));

ALTER TABLE payout_batches
  ADD COLUMN kind   text NOT NULL DEFAULT 'creators' CHECK (kind IN ('creators', 'withdrawal')),
  -- Withdrawals: the ledger account the money came from ('viewer:<id>' or 'platform').
  ADD COLUMN source text,
  -- Withdrawals: what the withdrawer paid towards the network fee; sent = requested - charge.
  ADD COLUMN charge numeric(39, 0) NOT NULL DEFAULT 0 CHECK (charge >= 0),
  ADD CONSTRAINT payout_batches_withdrawal_source CHECK ((kind = 'withdrawal') = (source IS NOT NULL));

CREATE INDEX payout_batches_withdrawals_idx ON payout_batches (source, created_at) WHERE kind = 'withdrawal';
