-- One row per reconciler run: the chain compared with the ledger (see docs/money.md,
-- "Reconciliation"). escrow_chain is the escrow address's free balance on chain, escrow_ledger
-- what the ledger says that address holds for viewers and creators (−balance of the escrow
-- ledger account), both at the block the run checked. report = {checks: [{name, ok,
-- expected?, actual?, detail?}]}; clean is true exactly when every check is ok.
CREATE TABLE reconciler_runs (id bigserial PRIMARY KEY, started_at timestamptz NOT NULL, finished_at timestamptz NOT NULL, clean boolean NOT NULL, escrow_chain numeric(39,0), escrow_ledger numeric(39,0), report jsonb NOT NULL);
