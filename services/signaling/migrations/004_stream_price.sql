-- A stream belongs to the signed-in account that created it, and its earnings go there. The
-- price per watched second is planck in numeric(39,0), like every amount in the ledger. A
-- stream created without signing in has no one to pay, so it can only be free.
ALTER TABLE streams ADD COLUMN creator_id text REFERENCES user_accounts (id);
ALTER TABLE streams ADD COLUMN price_per_second numeric(39, 0) NOT NULL DEFAULT 0;
ALTER TABLE streams ADD CONSTRAINT streams_price_range CHECK (price_per_second >= 0);
ALTER TABLE streams ADD CONSTRAINT streams_price_needs_creator CHECK (price_per_second = 0 OR creator_id IS NOT NULL);
CREATE INDEX streams_creator_idx ON streams (creator_id, created_at DESC) WHERE creator_id IS NOT NULL;
